//! The audit trail: every read and write of HR data a run made, which
//! employees and attribute groups, kept per tenant, install and run.

use sqlx::Row;

use super::sql::Sql;
use super::{Result, Store};
use crate::monitoring::{AuditEntry, RunRecord};

impl Store {
    /// Records what a run read and wrote.
    pub async fn insert_audit(&self, run: &RunRecord, entries: &[AuditEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        super::run_end::write_audit(self.dialect, &mut tx, run, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit trail of a tenant between two instants, oldest first,
    /// optionally of one install.
    pub async fn audit_trail(
        &self,
        tenant_id: &str,
        from: &str,
        to: &str,
        install_id: Option<&str>,
    ) -> Result<Vec<serde_json::Value>> {
        let mut q = Sql::new(
            self.dialect,
            "SELECT a.install_id, a.run_id, a.at, a.action, a.what, a.employee_ids, a.attribute_groups, r.connector_id \
             FROM audit_log a LEFT JOIN runs r ON r.id = a.run_id WHERE a.tenant_id = ",
        );
        q.bind(tenant_id.to_string());
        q.push(" AND a.at >= ").bind(from.to_string());
        q.push(" AND a.at < ").bind(to.to_string());
        if let Some(install) = install_id {
            q.push(" AND a.install_id = ").bind(install.to_string());
        }
        q.push(" ORDER BY a.at, a.run_id, a.seq");
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let ids: String = r.try_get("employee_ids")?;
                let groups: String = r.try_get("attribute_groups")?;
                Ok(serde_json::json!({
                    "at": r.try_get::<String, _>("at")?,
                    "install_id": r.try_get::<String, _>("install_id")?,
                    "connector_id": r.try_get::<Option<String>, _>("connector_id")?,
                    "run_id": r.try_get::<String, _>("run_id")?,
                    "action": r.try_get::<String, _>("action")?,
                    "what": r.try_get::<String, _>("what")?,
                    "employee_ids": serde_json::from_str::<serde_json::Value>(&ids).unwrap_or_default(),
                    "attribute_groups": serde_json::from_str::<serde_json::Value>(&groups).unwrap_or_default(),
                }))
            })
            .collect()
    }
}
