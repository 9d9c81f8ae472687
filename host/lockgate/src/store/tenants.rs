//! Tenants, their settings (the defaults and login format the host applies),
//! and the employees connectors create with them, once per idempotency key.

use serde::Serialize;
use sqlx::Row;

use super::hr::EMPLOYEE_COLUMNS;
use super::{Result, Store, StoreError, new_id};
use crate::hr::{NewEmployee, Visibility};

/// What the host fills in when a connector creates an employee without
/// it, and how the login is formed (`{first_initial}{last_name}` when unset).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TenantSettings {
    pub default_legal_entity: Option<String>,
    pub default_department: Option<String>,
    pub default_position: Option<String>,
    pub login_format: Option<String>,
}

impl Store {
    pub async fn create_tenant(&self, id: &str, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(crate::time::now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn tenant_exists(&self, id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Creates an employee for a connector, once per idempotency key. The
    /// key is claimed first, in the same transaction, so two concurrent
    /// deliveries cannot both create one.
    pub async fn create_employee(
        &self,
        vis: &Visibility,
        new: &NewEmployee,
        key: &str,
    ) -> Result<String> {
        let existing = || async {
            sqlx::query(
                "SELECT employee_id FROM created_employees WHERE tenant_id = $1 AND connector_id = $2 AND idempotency_key = $3",
            )
            .bind(&vis.tenant_id)
            .bind(&vis.connector_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
        };
        if let Some(row) = existing().await? {
            return Ok(row.try_get("employee_id")?);
        }
        let id = new_id("e");
        let now = crate::time::now_text();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "INSERT INTO created_employees (tenant_id, connector_id, idempotency_key, employee_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&vis.tenant_id)
        .bind(&vis.connector_id)
        .bind(key)
        .bind(&id)
        .bind(&now)
        .execute(&mut *tx)
        .await;
        if claimed.is_err() {
            drop(tx);
            return match existing().await? {
                Some(row) => Ok(row.try_get("employee_id")?),
                None => Err(StoreError::Invalid(
                    "could not claim the idempotency key".into(),
                )),
            };
        }
        let settings = sqlx::query(
            "SELECT default_legal_entity, default_department, default_position, login_format FROM tenant_settings WHERE tenant_id = $1",
        )
        .bind(&vis.tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
        let setting = |name: &str| -> Option<String> {
            settings
                .as_ref()
                .and_then(|r| r.try_get::<Option<String>, _>(name).ok().flatten())
        };
        let format =
            setting("login_format").unwrap_or_else(|| crate::hr::DEFAULT_LOGIN_FORMAT.to_string());
        let login = crate::hr::login_from(&format, &new.first_name, &new.last_name);
        let taken: Vec<String> =
            sqlx::query("SELECT login FROM employees WHERE tenant_id = $1 AND login LIKE $2")
                .bind(&vis.tenant_id)
                .bind(format!("{login}%"))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .filter_map(|r| r.try_get::<Option<String>, _>("login").ok().flatten())
                .collect();
        let login = (1..)
            .map(|n| {
                if n == 1 {
                    login.clone()
                } else {
                    format!("{login}{n}")
                }
            })
            .find(|candidate| !taken.contains(candidate))
            .unwrap_or(login);
        let start = new
            .start_date
            .clone()
            .unwrap_or_else(|| crate::time::date_text(vis.today));
        sqlx::query(&format!(
            "INSERT INTO employees (tenant_id, {EMPLOYEE_COLUMNS}) VALUES ($1, $2, $3, $4, NULL, $5, $6, 'active', $7, $8, $9, NULL, $10, NULL, $11, $12, NULL, NULL, NULL, NULL, NULL, NULL, $13, $14)"
        ))
        .bind(&vis.tenant_id)
        .bind(&id)
        .bind(new.first_name.trim())
        .bind(new.last_name.trim())
        .bind(new.department.clone().or_else(|| setting("default_department")))
        .bind(new.position.clone().or_else(|| setting("default_position")))
        .bind(new.work_email.clone().or_else(|| new.personal_email.clone()))
        .bind(new.personal_email.clone())
        .bind(new.phone.clone())
        .bind(start)
        .bind(new.legal_entity.clone().or_else(|| setting("default_legal_entity")))
        .bind(new.contract_type.clone())
        .bind(login)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The tenant's defaults for created employees and its login format.
    pub async fn tenant_settings(&self, tenant_id: &str) -> Result<TenantSettings> {
        let row = sqlx::query(
            "SELECT default_legal_entity, default_department, default_position, login_format FROM tenant_settings WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => TenantSettings {
                default_legal_entity: r.try_get("default_legal_entity")?,
                default_department: r.try_get("default_department")?,
                default_position: r.try_get("default_position")?,
                login_format: r.try_get("login_format")?,
            },
            None => TenantSettings::default(),
        })
    }

    pub async fn set_tenant_settings(&self, tenant_id: &str, s: &TenantSettings) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM tenant_settings WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, default_legal_entity, default_department, default_position, login_format, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant_id)
        .bind(&s.default_legal_entity)
        .bind(&s.default_department)
        .bind(&s.default_position)
        .bind(&s.login_format)
        .bind(crate::time::now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
