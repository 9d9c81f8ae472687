//! The pages the API lists a tenant's HR data in: employees (searched,
//! with the connectors each is excluded from), one employee as the admin
//! sees them, absences.

use std::collections::BTreeMap;

use sqlx::Row;

use super::super::sql::Sql;
use super::super::{Result, Store};
use super::{ABSENCE_COLUMNS, EMPLOYEE_COLUMNS, absence_from, employee_from};
use crate::hr::{Absence, Employee};

impl Store {
    /// A page of a tenant's employees in id order, each with the connectors
    /// the tenant excluded them from; the cursor is the last id.
    pub async fn employees_page(
        &self,
        tenant_id: &str,
        search: Option<&str>,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<serde_json::Value>, Option<String>)> {
        let mut q = Sql::new(
            self.dialect,
            format!("SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = "),
        );
        q.bind(tenant_id.to_string());
        if let Some(search) = search {
            // A part of the id, a name or "first last", ignoring case.
            let escaped = search
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            q.push(" AND (LOWER(id) LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(first_name || ' ' || last_name) LIKE ")
                .bind(pattern.clone())
                .push(
                    " ESCAPE '\\' OR LOWER(COALESCE(preferred_name, '') || ' ' || last_name) LIKE ",
                )
                .bind(pattern)
                .push(" ESCAPE '\\')");
        }
        if let Some(after) = after {
            q.push(" AND id > ").bind(after.to_string());
        }
        q.push(" ORDER BY id LIMIT ").bind(i64::from(limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        let employees: Vec<Employee> = rows.iter().map(employee_from).collect::<Result<_, _>>()?;
        let (employees, next) = crate::hr::split_page(employees, limit, |e| &e.id);
        Ok((self.employee_views(tenant_id, employees).await?, next))
    }

    /// One employee as the tenant's views show it (see
    /// [`Store::employees_page`]), regardless of visibility.
    pub async fn employee_view(
        &self,
        tenant_id: &str,
        id: &str,
    ) -> Result<Option<serde_json::Value>> {
        let Some(employee) = self.employee(tenant_id, id).await? else {
            return Ok(None);
        };
        Ok(self.employee_views(tenant_id, vec![employee]).await?.pop())
    }

    /// Employees with the connectors the tenant excluded them from
    /// (`excluded_from`) and their `custom_attributes`.
    async fn employee_views(
        &self,
        tenant_id: &str,
        employees: Vec<Employee>,
    ) -> Result<Vec<serde_json::Value>> {
        let ids: Vec<String> = employees.iter().map(|e| e.id.clone()).collect();
        let mut excluded: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for chunk in ids.chunks(400) {
            let mut q = Sql::new(
                self.dialect,
                "SELECT employee_id, connector_id FROM employee_exclusions WHERE tenant_id = ",
            );
            q.bind(tenant_id.to_string()).push(" AND employee_id IN ");
            q.list(chunk.iter().cloned());
            q.push(" ORDER BY connector_id");
            for r in q.fetch_all(&self.pool).await? {
                excluded
                    .entry(r.try_get("employee_id")?)
                    .or_default()
                    .push(r.try_get("connector_id")?);
            }
        }
        let mut attributes = self.employee_attributes(tenant_id, &ids).await?;
        Ok(employees
            .into_iter()
            .map(|e| {
                let mut value = serde_json::json!(e);
                value["excluded_from"] =
                    serde_json::json!(excluded.remove(&e.id).unwrap_or_default());
                value["custom_attributes"] =
                    serde_json::json!(attributes.remove(&e.id).unwrap_or_default());
                value
            })
            .collect())
    }

    /// A page of a tenant's absences in id order; the cursor is the last id.
    pub async fn absences_page(
        &self,
        tenant_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Absence>, Option<String>)> {
        let mut q = Sql::new(
            self.dialect,
            format!("SELECT {ABSENCE_COLUMNS} FROM absences WHERE tenant_id = "),
        );
        q.bind(tenant_id.to_string());
        if let Some(after) = after {
            q.push(" AND id > ").bind(after.to_string());
        }
        q.push(" ORDER BY id LIMIT ").bind(i64::from(limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        let absences: Vec<Absence> = rows.iter().map(absence_from).collect::<Result<_, _>>()?;
        Ok(crate::hr::split_page(absences, limit, |a| &a.id))
    }
}
