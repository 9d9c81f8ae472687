//! Tenants and their HR data: employees (with custom attributes and
//! per-connector inclusion flags), absences, tenant settings, and the
//! employees connectors create. Queries that read for a connector apply
//! the visibility rules in SQL.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

mod pages;
mod writes;

use writes::{replace_attributes, set_inclusions};

use super::sql::{Sql, execute_all};

/// Records per statement: at most 26 values each, well below every
/// database's parameter limit.
const CHUNK: usize = 400;
use super::{Dialect, Result, Store, StoreError};
use crate::hr::{Absence, AbsenceFilter, Employee, EmployeeFilter, Visibility};

pub(super) const EMPLOYEE_COLUMNS: &str = "id, first_name, last_name, preferred_name, department, position, \
    status, work_email, personal_email, phone, birth_date, hire_date, termination_date, \
    legal_entity, contract_type, weekly_hours, supervisor_id, cost_center, salary_minor, \
    hourly_wage_minor, currency, login, updated_at";

const ABSENCE_COLUMNS: &str = "id, employee_id, type_name, start_date, end_date, half_day_start, \
    half_day_end, status, updated_at";

fn employee_from(row: &AnyRow) -> Result<Employee, sqlx::Error> {
    Ok(Employee {
        id: row.try_get("id")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        preferred_name: row.try_get("preferred_name")?,
        department: row.try_get("department")?,
        position: row.try_get("position")?,
        status: row.try_get("status")?,
        work_email: row.try_get("work_email")?,
        personal_email: row.try_get("personal_email")?,
        phone: row.try_get("phone")?,
        birth_date: row.try_get("birth_date")?,
        hire_date: row.try_get("hire_date")?,
        termination_date: row.try_get("termination_date")?,
        legal_entity: row.try_get("legal_entity")?,
        contract_type: row.try_get("contract_type")?,
        weekly_hours: row.try_get("weekly_hours")?,
        supervisor_id: row.try_get("supervisor_id")?,
        cost_center: row.try_get("cost_center")?,
        salary_minor: row.try_get("salary_minor")?,
        hourly_wage_minor: row.try_get("hourly_wage_minor")?,
        currency: row.try_get("currency")?,
        login: row.try_get("login")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn absence_from(row: &AnyRow) -> Result<Absence, sqlx::Error> {
    Ok(Absence {
        id: row.try_get("id")?,
        employee_id: row.try_get("employee_id")?,
        type_name: row.try_get("type_name")?,
        start_date: row.try_get("start_date")?,
        end_date: row.try_get("end_date")?,
        half_day_start: row.try_get::<i64, _>("half_day_start")? != 0,
        half_day_end: row.try_get::<i64, _>("half_day_end")? != 0,
        status: row.try_get("status")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// An absence as [`Sql::json_records`] reads it: the half-day flags are
/// stored as numbers.
#[derive(serde::Deserialize)]
struct AbsenceRecord {
    id: String,
    employee_id: String,
    type_name: String,
    start_date: String,
    end_date: String,
    half_day_start: i64,
    half_day_end: i64,
    status: String,
    updated_at: String,
}

impl From<AbsenceRecord> for Absence {
    fn from(a: AbsenceRecord) -> Absence {
        Absence {
            id: a.id,
            employee_id: a.employee_id,
            type_name: a.type_name,
            start_date: a.start_date,
            end_date: a.end_date,
            half_day_start: a.half_day_start != 0,
            half_day_end: a.half_day_end != 0,
            status: a.status,
            updated_at: a.updated_at,
        }
    }
}

/// Appends the visibility conditions for employees aliased `e`.
pub(super) fn push_visible(q: &mut Sql, vis: &Visibility) {
    let today = crate::time::date_text(vis.today);
    q.push(" e.tenant_id = ").bind(vis.tenant_id.clone());
    q.push(" AND e.hire_date <= ").bind(today.clone());
    q.push(" AND (e.termination_date IS NULL OR e.termination_date >= ")
        .bind(today);
    q.push(") AND NOT EXISTS (SELECT 1 FROM employee_exclusions x WHERE x.tenant_id = e.tenant_id")
        .push(" AND x.employee_id = e.id AND x.connector_id = ")
        .bind(vis.connector_id.clone())
        .push(")");
}

/// Appends "changed at or after `since`, or visible only since then" for
/// employees aliased `e`: hired on a day that started at or after `since`
/// (visible from the start of the hire date; [`push_visible`] keeps the
/// hire date on or before today), or included again for the connector at
/// or after `since`. Their `updated_at` says neither.
fn push_visible_since(q: &mut Sql, vis: &Visibility, since: &str) -> Result<()> {
    let first_hire_day = crate::time::first_day_from(since).ok_or_else(|| {
        StoreError::Invalid(format!(
            "updated_since {since:?} is not an RFC 3339 instant"
        ))
    })?;
    q.push(" AND (e.updated_at >= ").bind(since.to_string());
    q.push(" OR e.hire_date >= ")
        .bind(crate::time::date_text(first_hire_day));
    q.push(" OR EXISTS (SELECT 1 FROM employee_inclusions i WHERE i.tenant_id = e.tenant_id")
        .push(" AND i.employee_id = e.id AND i.connector_id = ")
        .bind(vis.connector_id.clone())
        .push(" AND i.included_at >= ")
        .bind(since.to_string())
        .push("))");
    Ok(())
}

impl Store {
    /// Inserts or replaces employees, in batches inside one transaction.
    /// A termination date they carry for the first time counts as entered
    /// at their `updated_at`.
    pub async fn upsert_employees(&self, tenant_id: &str, employees: &[Employee]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_employees(&mut tx, tenant_id, employees, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes employees with their inclusion answers and (when given)
    /// their custom attributes, all or nothing. `at` is when the answers
    /// were given (see [`set_inclusions`]) and when a termination date that
    /// differs from the stored one was entered.
    pub async fn write_employees(
        &self,
        tenant_id: &str,
        writes: &[EmployeeWrite],
        at: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let employees: Vec<Employee> = writes.iter().map(|w| w.employee.clone()).collect();
        insert_employees(&mut tx, tenant_id, &employees, Some(at)).await?;
        let answers: Vec<(&str, &str, bool)> = writes
            .iter()
            .flat_map(|w| {
                w.include_in.iter().map(|(connector, included)| {
                    (w.employee.id.as_str(), connector.as_str(), *included)
                })
            })
            .collect();
        set_inclusions(&mut tx, tenant_id, &answers, at).await?;
        let attributes: Vec<(&str, &BTreeMap<String, String>)> = writes
            .iter()
            .filter_map(|w| Some((w.employee.id.as_str(), w.attributes.as_ref()?)))
            .collect();
        replace_attributes(&mut tx, tenant_id, &attributes).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Custom attributes of the given employees, by employee id.
    pub async fn employee_attributes(
        &self,
        tenant_id: &str,
        ids: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for chunk in ids.chunks(400) {
            let mut q = Sql::new(
                self.dialect,
                "SELECT employee_id, name, value FROM employee_attributes WHERE tenant_id = ",
            );
            q.bind(tenant_id.to_string()).push(" AND employee_id IN ");
            q.list(chunk.iter().cloned());
            for r in q.fetch_all(&self.pool).await? {
                out.entry(r.try_get("employee_id")?)
                    .or_default()
                    .insert(r.try_get("name")?, r.try_get("value")?);
            }
        }
        Ok(out)
    }
}

/// One employee as a tenant writes it.
#[derive(Debug, Clone)]
pub struct EmployeeWrite {
    pub employee: Employee,
    /// "Include in transfer to <connector>?" answers given with it.
    pub include_in: BTreeMap<String, bool>,
    /// Replaces all custom attributes when `Some`.
    pub attributes: Option<BTreeMap<String, String>>,
}

/// Replaces the employees' rows. Each keeps when its termination date was
/// entered (`termination_recorded_at`) while that date stays as stored; a
/// new or changed one was entered `at`, or with `None` at the employee's
/// `updated_at`. The departures query dates a termination entered late by
/// that instant.
async fn insert_employees(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    employees: &[Employee],
    at: Option<&str>,
) -> Result<()> {
    let dialect = Dialect::of(tx);
    let mut recorded: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for chunk in employees.chunks(CHUNK) {
        let mut stored = Sql::new(
            dialect,
            "SELECT id, termination_date, termination_recorded_at FROM employees WHERE tenant_id = ",
        );
        stored.bind(tenant_id.to_string()).push(" AND id IN ");
        stored.list(chunk.iter().map(|e| e.id.clone()));
        for row in stored.fetch_all(&mut **tx).await? {
            recorded.insert(
                row.try_get("id")?,
                (
                    row.try_get("termination_date")?,
                    row.try_get("termination_recorded_at")?,
                ),
            );
        }
    }
    let recorded_at = |e: &Employee| -> Option<String> {
        let date = e.termination_date.as_ref()?;
        match recorded.get(&e.id) {
            Some((Some(stored), kept)) if stored == date => kept.clone(),
            _ => Some(at.unwrap_or(&e.updated_at).to_string()),
        }
    };

    // An employee written again after a removal is a record again: the
    // removal no longer stands.
    let deletes = [
        ("employees", "id"),
        ("employee_removals", "employee_id"),
        ("employee_removal_exclusions", "employee_id"),
    ]
    .into_iter()
    .flat_map(|(table, id_column)| {
        employees.chunks(CHUNK).map(move |chunk| {
            let mut del = Sql::new(dialect, format!("DELETE FROM {table} WHERE tenant_id = "));
            del.bind(tenant_id.to_string())
                .push(&format!(" AND {id_column} IN "));
            del.list(chunk.iter().map(|e| e.id.clone()));
            del
        })
    });
    let inserts = employees.chunks(CHUNK).map(|chunk| {
        let mut q = Sql::new(
            dialect,
            format!(
                "INSERT INTO employees (tenant_id, {EMPLOYEE_COLUMNS}, termination_recorded_at) "
            ),
        );
        q.push("VALUES ").values(chunk, |b, e| {
            b.bind(tenant_id.to_string())
                .bind(e.id.clone())
                .bind(e.first_name.clone())
                .bind(e.last_name.clone())
                .bind(e.preferred_name.clone())
                .bind(e.department.clone())
                .bind(e.position.clone())
                .bind(e.status.clone())
                .bind(e.work_email.clone())
                .bind(e.personal_email.clone())
                .bind(e.phone.clone())
                .bind(e.birth_date.clone())
                .bind(e.hire_date.clone())
                .bind(e.termination_date.clone())
                .bind(e.legal_entity.clone())
                .bind(e.contract_type.clone())
                .bind(e.weekly_hours)
                .bind(e.supervisor_id.clone())
                .bind(e.cost_center.clone())
                .bind(e.salary_minor)
                .bind(e.hourly_wage_minor)
                .bind(e.currency.clone())
                .bind(e.login.clone())
                .bind(e.updated_at.clone())
                .bind(recorded_at(e));
        });
        q
    });
    execute_all(tx, Box::new(deletes.chain(inserts))).await?;
    Ok(())
}

impl Store {
    pub async fn upsert_absences(&self, tenant_id: &str, absences: &[Absence]) -> Result<()> {
        let dialect = self.dialect;
        let deletes = absences.chunks(CHUNK).map(|chunk| {
            let mut del = Sql::new(dialect, "DELETE FROM absences WHERE tenant_id = ");
            del.bind(tenant_id.to_string()).push(" AND id IN ");
            del.list(chunk.iter().map(|a| a.id.clone()));
            del
        });
        let inserts = absences.chunks(CHUNK).map(|chunk| {
            let mut q = Sql::new(
                dialect,
                format!("INSERT INTO absences (tenant_id, {ABSENCE_COLUMNS}) "),
            );
            q.push("VALUES ").values(chunk, |b, a| {
                b.bind(tenant_id.to_string())
                    .bind(a.id.clone())
                    .bind(a.employee_id.clone())
                    .bind(a.type_name.clone())
                    .bind(a.start_date.clone())
                    .bind(a.end_date.clone())
                    .bind(i64::from(a.half_day_start))
                    .bind(i64::from(a.half_day_end))
                    .bind(a.status.clone())
                    .bind(a.updated_at.clone());
            });
            q
        });
        let mut tx = self.begin_write().await?;
        execute_all(&mut tx, Box::new(deletes.chain(inserts))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the tenant's "include in transfer to `connector_id`?" answer,
    /// given now.
    pub async fn set_included(
        &self,
        tenant_id: &str,
        employee_id: &str,
        connector_id: &str,
        included: bool,
    ) -> Result<()> {
        let at = crate::time::now_text();
        self.set_included_at(tenant_id, employee_id, connector_id, included, &at)
            .await
    }

    /// [`Store::set_included`] with the answer given at `at` (canonical
    /// instant; see [`set_inclusions`]).
    pub async fn set_included_at(
        &self,
        tenant_id: &str,
        employee_id: &str,
        connector_id: &str,
        included: bool,
        at: &str,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        set_inclusions(
            &mut tx,
            tenant_id,
            &[(employee_id, connector_id, included)],
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Excludes each `(employee, connector)` pair, now, all or nothing.
    pub async fn set_exclusions(
        &self,
        tenant_id: &str,
        exclusions: &[(String, String)],
    ) -> Result<()> {
        let at = crate::time::now_text();
        let answers: Vec<(&str, &str, bool)> = exclusions
            .iter()
            .map(|(employee, connector)| (employee.as_str(), connector.as_str(), false))
            .collect();
        let mut tx = self.begin_write().await?;
        set_inclusions(&mut tx, tenant_id, &answers, &at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every employee of a tenant, regardless of visibility (for the
    /// tenant's own views and tests).
    pub async fn all_employees(&self, tenant_id: &str) -> Result<Vec<Employee>> {
        let rows = sqlx::query(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(employee_from).collect::<Result<_, _>>()?)
    }

    pub async fn all_absences(&self, tenant_id: &str) -> Result<Vec<Absence>> {
        let rows = sqlx::query(&format!(
            "SELECT {ABSENCE_COLUMNS} FROM absences WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(absence_from).collect::<Result<_, _>>()?)
    }

    pub async fn exclusions(&self, tenant_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT employee_id, connector_id FROM employee_exclusions WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("employee_id")?, r.try_get("connector_id")?)))
            .collect()
    }

    /// One employee as stored, regardless of visibility.
    pub async fn employee(&self, tenant_id: &str, id: &str) -> Result<Option<Employee>> {
        let row = sqlx::query(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(employee_from).transpose()?)
    }

    /// The stored employees among `ids`, by id.
    pub async fn employees_by_id(
        &self,
        tenant_id: &str,
        ids: &[String],
    ) -> Result<BTreeMap<String, Employee>> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(400) {
            let mut q = Sql::json_records(self.dialect, "e", EMPLOYEE_COLUMNS, "e.id");
            q.push("FROM employees e WHERE e.tenant_id = ")
                .bind(tenant_id.to_string())
                .push(" AND e.id IN ");
            q.list(chunk.iter().cloned());
            for e in q.fetch_json::<Employee, _>(&self.pool).await? {
                out.insert(e.id.clone(), e);
            }
        }
        Ok(out)
    }

    /// One absence as stored.
    pub async fn absence(&self, tenant_id: &str, id: &str) -> Result<Option<Absence>> {
        let row = sqlx::query(&format!(
            "SELECT {ABSENCE_COLUMNS} FROM absences WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(absence_from).transpose()?)
    }

    pub async fn employee_exists(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM employees WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// How many employees the connector may see under the data rules: in
    /// their employment window today and not excluded from the connector.
    pub async fn count_visible_employees(&self, vis: &Visibility) -> Result<i64> {
        let mut q = Sql::new(self.dialect, "SELECT COUNT(*) AS n FROM employees e WHERE");
        push_visible(&mut q, vis);
        let rows = q.fetch_all(&self.pool).await?;
        Ok(match rows.first() {
            Some(row) => row.try_get("n")?,
            None => 0,
        })
    }

    /// Employees the connector may see, in id order. With `updated_since`,
    /// those changed since then or who became visible since then (see
    /// [`push_visible_since`]).
    pub async fn visible_employees(
        &self,
        vis: &Visibility,
        filter: &EmployeeFilter,
    ) -> Result<Vec<Employee>> {
        let mut q = Sql::json_records(self.dialect, "e", EMPLOYEE_COLUMNS, "e.id");
        q.push("FROM employees e WHERE");
        push_visible(&mut q, vis);
        if let Some(id) = &filter.id {
            q.push(" AND e.id = ").bind(id.clone());
        }
        if let Some(after) = &filter.after_id {
            q.push(" AND e.id > ").bind(after.clone());
        }
        if let Some(dept) = &filter.department {
            q.push(" AND e.department = ").bind(dept.clone());
        }
        if let Some(since) = &filter.updated_since {
            push_visible_since(&mut q, vis, since)?;
        }
        if let Some(status) = &filter.status {
            q.push(" AND e.status = ").bind(status.clone());
        }
        q.push(" ORDER BY e.id LIMIT ")
            .bind(i64::from(filter.limit.max(1)));
        Ok(q.fetch_json(&self.pool).await?)
    }

    /// Absences of visible employees overlapping `[from, to]`, in id order.
    pub async fn visible_absences(
        &self,
        vis: &Visibility,
        filter: &AbsenceFilter,
    ) -> Result<Vec<Absence>> {
        let mut q = Sql::json_records(self.dialect, "a", ABSENCE_COLUMNS, "a.id");
        q.push("FROM absences a JOIN employees e ON e.tenant_id = a.tenant_id AND e.id = a.employee_id WHERE");
        push_visible(&mut q, vis);
        q.push(" AND a.start_date <= ").bind(filter.to.clone());
        q.push(" AND a.end_date >= ").bind(filter.from.clone());
        if let Some(id) = &filter.id {
            q.push(" AND a.id = ").bind(id.clone());
        }
        if let Some(after) = &filter.after_id {
            q.push(" AND a.id > ").bind(after.clone());
        }
        if let Some(emp) = &filter.employee_id {
            q.push(" AND a.employee_id = ").bind(emp.clone());
        }
        if let Some(ty) = &filter.type_name {
            q.push(" AND a.type_name = ").bind(ty.clone());
        }
        if !filter.statuses.is_empty() {
            q.push(" AND a.status IN ");
            q.list(filter.statuses.clone());
        }
        if let Some(since) = &filter.updated_since {
            q.push(" AND a.updated_at >= ").bind(since.clone());
        }
        q.push(" ORDER BY a.id LIMIT ")
            .bind(i64::from(filter.limit.max(1)));
        let rows: Vec<AbsenceRecord> = q.fetch_json(&self.pool).await?;
        Ok(rows.into_iter().map(Absence::from).collect())
    }
}
