//! Partners' sandbox tenants: which tenant is whose sandbox, what test
//! hosts it may reach, until when; and removing a tenant's data whole,
//! when a sandbox expires or its partner starts over.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError};

/// A partner's sandbox tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerSandbox {
    pub partner_id: String,
    pub tenant_id: String,
    /// The origins its installs may reach, as the partner declared them.
    pub test_hosts: Vec<String>,
    /// How the synthetic data was made.
    pub employees: i64,
    pub seed: i64,
    pub created_at: String,
    pub expires_at: String,
    /// When its tenant's data was removed, after it expired or was
    /// deleted.
    pub removed_at: Option<String>,
}

impl PartnerSandbox {
    /// Whether it has expired at `now` (a stored instant).
    pub fn expired_at(&self, now: &str) -> bool {
        self.expires_at.as_str() <= now
    }
}

/// Why a sandbox could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// The partner has a sandbox that has not expired.
    #[error("the partner already has the sandbox tenant {}", .0.tenant_id)]
    Exists(Box<PartnerSandbox>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ClaimError {
    fn from(e: sqlx::Error) -> Self {
        ClaimError::Store(StoreError::Db(e))
    }
}

const COLUMNS: &str =
    "partner_id, tenant_id, test_hosts, employees, seed, created_at, expires_at, removed_at";

fn sandbox_from(r: &AnyRow) -> Result<PartnerSandbox> {
    let hosts: String = r.try_get("test_hosts")?;
    Ok(PartnerSandbox {
        partner_id: r.try_get("partner_id")?,
        tenant_id: r.try_get("tenant_id")?,
        test_hosts: serde_json::from_str(&hosts)
            .map_err(|e| StoreError::Invalid(format!("stored test hosts: {e}")))?,
        employees: r.try_get("employees")?,
        seed: r.try_get("seed")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        removed_at: r.try_get("removed_at")?,
    })
}

/// Every table that holds a tenant's rows, children before their parents,
/// with the condition that picks the tenant's rows (`$1` is the tenant).
const TENANT_ROWS: &[(&str, &str)] = &[
    (
        "run_rows",
        "run_id IN (SELECT id FROM runs WHERE tenant_id = $1)",
    ),
    (
        "run_row_counts",
        "run_id IN (SELECT id FROM runs WHERE tenant_id = $1)",
    ),
    (
        "run_logs",
        "run_id IN (SELECT id FROM runs WHERE tenant_id = $1)",
    ),
    ("audit_log", "tenant_id = $1"),
    ("runs", "tenant_id = $1"),
    ("jobs", "tenant_id = $1"),
    (
        "install_state",
        "install_id IN (SELECT id FROM installs WHERE tenant_id = $1)",
    ),
    ("installs", "tenant_id = $1"),
    ("created_employees", "tenant_id = $1"),
    ("employee_exclusions", "tenant_id = $1"),
    ("employee_inclusions", "tenant_id = $1"),
    ("employee_removal_exclusions", "tenant_id = $1"),
    ("employee_removals", "tenant_id = $1"),
    ("employee_attributes", "tenant_id = $1"),
    ("absences", "tenant_id = $1"),
    ("attendances", "tenant_id = $1"),
    ("application_attachments", "tenant_id = $1"),
    ("applications", "tenant_id = $1"),
    ("positions", "tenant_id = $1"),
    ("tenant_settings", "tenant_id = $1"),
    ("sandbox_clocks", "tenant_id = $1"),
    ("employees", "tenant_id = $1"),
    ("api_tokens", "tenant_id = $1"),
    ("integration_requests", "tenant_id = $1"),
    ("tenants", "id = $1"),
];

impl Store {
    /// The partner's sandbox, current, expired or removed.
    pub async fn partner_sandbox(&self, partner_id: &str) -> Result<Option<PartnerSandbox>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM partner_sandboxes WHERE partner_id = $1"
        ))
        .bind(partner_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(sandbox_from).transpose()
    }

    /// The sandbox `tenant_id` is, if it is a partner's sandbox.
    pub async fn sandbox_of_tenant(&self, tenant_id: &str) -> Result<Option<PartnerSandbox>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM partner_sandboxes WHERE tenant_id = $1"
        ))
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(sandbox_from).transpose()
    }

    /// Records `sandbox` as its partner's, unless the partner has one that
    /// has not expired at `now`. An expired one's row is replaced: remove
    /// its tenant's data first ([`Store::remove_sandbox_data`]).
    pub async fn claim_partner_sandbox(
        &self,
        sandbox: &PartnerSandbox,
        now: &str,
    ) -> Result<(), ClaimError> {
        let mut tx = self.begin_write().await?;
        let existing = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM partner_sandboxes WHERE partner_id = $1"
        ))
        .bind(&sandbox.partner_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let existing = sandbox_from(&row)?;
            if existing.removed_at.is_none() && !existing.expired_at(now) {
                return Err(ClaimError::Exists(Box::new(existing)));
            }
            sqlx::query("DELETE FROM partner_sandboxes WHERE partner_id = $1")
                .bind(&sandbox.partner_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&format!(
            "INSERT INTO partner_sandboxes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)"
        ))
        .bind(&sandbox.partner_id)
        .bind(&sandbox.tenant_id)
        .bind(serde_json::to_string(&sandbox.test_hosts).unwrap_or_default())
        .bind(sandbox.employees)
        .bind(sandbox.seed)
        .bind(&sandbox.created_at)
        .bind(&sandbox.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the test hosts the partner's sandbox may reach.
    pub async fn set_sandbox_test_hosts(&self, partner_id: &str, hosts: &[String]) -> Result<()> {
        sqlx::query("UPDATE partner_sandboxes SET test_hosts = $1 WHERE partner_id = $2")
            .bind(serde_json::to_string(hosts).unwrap_or_default())
            .bind(partner_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sandboxes expired at `now` whose data is not removed yet.
    pub async fn expired_sandboxes(&self, now: &str) -> Result<Vec<PartnerSandbox>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM partner_sandboxes WHERE removed_at IS NULL AND expires_at <= $1 ORDER BY expires_at"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(sandbox_from).collect()
    }

    /// Whether a job of the tenant is being run (leased) right now.
    pub async fn tenant_has_leased_jobs(&self, tenant_id: &str) -> Result<bool> {
        let row = sqlx::query(&format!(
            "SELECT id FROM jobs WHERE tenant_id = $1 AND status = '{}'",
            crate::vocabulary::JobStatus::Leased.as_str()
        ))
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Removes every row of `sandbox`'s tenant (HR data, installs, their
    /// state, jobs, runs, rows, logs, audit, tokens, the tenant itself) in
    /// one transaction, and marks the sandbox removed at `at`.
    pub async fn remove_sandbox_data(&self, sandbox: &PartnerSandbox, at: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (table, rows) in TENANT_ROWS {
            sqlx::query(&format!("DELETE FROM {table} WHERE {rows}"))
                .bind(&sandbox.tenant_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "UPDATE partner_sandboxes SET removed_at = $1 WHERE partner_id = $2 AND tenant_id = $3",
        )
        .bind(at)
        .bind(&sandbox.partner_id)
        .bind(&sandbox.tenant_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
