//! Installs: a connector connected to a tenant, pinned to one plugin build,
//! with its configuration (secrets sealed apart from it), status and
//! schedule.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store};

mod listing;
pub use listing::InstallFacts;

use crate::vocabulary::{InstallStatus, JobKind, RunTrigger, Streak};

const CONNECTED: &str = InstallStatus::Connected.as_str();
const DELETED: &str = InstallStatus::Deleted.as_str();
const PENDING: &str = InstallStatus::Pending.as_str();

/// Due installs the scheduler reads, and claims, at a time.
pub const DUE_BATCH: usize = 500;

/// A sign-in at the partner under way (authorization-code flow): what the
/// callback needs to finish it. Only hashes of the state and of the
/// browser binding are kept; the PKCE verifier is sealed.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub state_hash: String,
    pub install_id: String,
    pub tenant_id: String,
    pub binding_hash: String,
    pub verifier: String,
    pub redirect_uri: String,
    pub started_by: String,
    pub expires_at: String,
}

/// The sealed values an install keeps apart from its record.
#[derive(Clone, Copy)]
enum Sealed {
    /// The connector's secret configuration values.
    Config,
    /// The secret webhook deliveries carry.
    Webhook,
    /// The admin's OAuth2 tokens (authorization-code flow).
    SignIn,
}

impl Sealed {
    fn column(self) -> &'static str {
        match self {
            Sealed::Config => "secrets",
            Sealed::Webhook => "webhook_secret",
            Sealed::SignIn => "oauth_tokens",
        }
    }
}

/// An install as a webhook delivery finds it: see [`Store::webhook_target`].
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub install: InstallRecord,
    pub sealed_secret: Option<String>,
    /// A delivery with the same body reached the install before.
    pub delivered_before: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InstallRecord {
    pub id: String,
    pub tenant_id: String,
    pub connector_id: String,
    pub plugin_version: String,
    pub plugin_sha256: String,
    /// Non-secret configuration values.
    pub config: BTreeMap<String, String>,
    pub status: InstallStatus,
    /// Why the install has its status, when that needs saying.
    pub status_reason: Option<String>,
    /// The admin's schedule; `None` runs on the manifest's default.
    pub schedule: Option<String>,
    /// Failed runs in a row.
    pub failure_streak: i64,
    pub next_run_at: Option<String>,
    pub last_check_at: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
}

const INSTALL_COLUMNS: &str = "id, tenant_id, connector_id, plugin_version, plugin_sha256, config, \
    status, status_reason, schedule, failure_streak, next_run_at, last_check_at, created_at, updated_at";

fn install_from(r: &AnyRow) -> Result<InstallRecord> {
    let config: String = r.try_get("config")?;
    Ok(InstallRecord {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        connector_id: r.try_get("connector_id")?,
        plugin_version: r.try_get("plugin_version")?,
        plugin_sha256: r.try_get("plugin_sha256")?,
        config: serde_json::from_str(&config).unwrap_or_default(),
        status: super::word(r, "status")?,
        status_reason: r.try_get("status_reason")?,
        schedule: r.try_get("schedule")?,
        failure_streak: r.try_get("failure_streak")?,
        next_run_at: r.try_get("next_run_at")?,
        last_check_at: r.try_get("last_check_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Store {
    /// Stores a new install with its sealed secrets (if any).
    pub async fn create_install(&self, install: &InstallRecord) -> Result<()> {
        self.create_install_sealed(install, None).await
    }

    pub async fn create_install_sealed(
        &self,
        install: &InstallRecord,
        secrets: Option<&str>,
    ) -> Result<()> {
        let now = crate::time::now_text();
        sqlx::query(&format!(
            "INSERT INTO installs ({INSTALL_COLUMNS}, secrets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(&install.id)
        .bind(&install.tenant_id)
        .bind(&install.connector_id)
        .bind(&install.plugin_version)
        .bind(&install.plugin_sha256)
        .bind(serde_json::to_string(&install.config).unwrap_or_default())
        .bind(install.status.as_str())
        .bind(&install.status_reason)
        .bind(&install.schedule)
        .bind(install.failure_streak)
        .bind(&install.next_run_at)
        .bind(&install.last_check_at)
        .bind(if install.created_at.is_empty() {
            now.clone()
        } else {
            install.created_at.clone()
        })
        .bind(now)
        .bind(secrets)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Writes everything about an install but its secrets and failure streak.
    pub async fn update_install(&self, install: &InstallRecord) -> Result<()> {
        sqlx::query(
            "UPDATE installs SET plugin_version = $1, plugin_sha256 = $2, config = $3, status = $4, \
             status_reason = $5, schedule = $6, next_run_at = $7, last_check_at = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(&install.plugin_version)
        .bind(&install.plugin_sha256)
        .bind(serde_json::to_string(&install.config).unwrap_or_default())
        .bind(install.status.as_str())
        .bind(&install.status_reason)
        .bind(&install.schedule)
        .bind(&install.next_run_at)
        .bind(&install.last_check_at)
        .bind(crate::time::now_text())
        .bind(&install.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Creates the install, or repoints an existing one with the same id.
    pub async fn put_install(&self, install: &InstallRecord) -> Result<()> {
        if self.install(&install.id).await?.is_some() {
            self.update_install(install).await
        } else {
            self.create_install(install).await
        }
    }

    pub async fn install(&self, id: &str) -> Result<Option<InstallRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {INSTALL_COLUMNS} FROM installs WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(install_from).transpose()
    }

    /// What a webhook delivery to `id` is checked against, in one read:
    /// the install, its sealed webhook secret, and whether a body with
    /// `digest` (hex SHA-256) was delivered to it before. The digest is
    /// searched in its index, and in the payloads of deliveries queued
    /// before jobs carried it in a column (none on a new database).
    ///
    /// PostgreSQL plans it afresh each time: a plan kept on a connection
    /// since the jobs table was nearly empty can search the install's jobs
    /// index instead, which costs the same then and walks every delivery
    /// of the install once the table has grown, until statistics are
    /// gathered again.
    pub async fn webhook_target(&self, id: &str, digest: &str) -> Result<Option<WebhookTarget>> {
        let digest: String = digest.chars().filter(char::is_ascii_hexdigit).collect();
        let row = sqlx::query(&format!(
            "SELECT {INSTALL_COLUMNS}, webhook_secret, CAST(CASE \
               WHEN EXISTS (SELECT 1 FROM jobs WHERE install_id = $1 AND kind = 'webhook' AND delivery_digest = $2) \
                 OR EXISTS (SELECT 1 FROM jobs WHERE install_id = $1 AND kind = 'webhook' \
                            AND delivery_digest IS NULL AND payload LIKE $3) \
               THEN 1 ELSE 0 END AS BIGINT) AS delivered_before \
             FROM installs WHERE id = $1"
        ))
        .bind(id)
        .bind(&digest)
        .bind(format!("%\"digest\":\"{digest}\"%"))
        .persistent(self.dialect == super::Dialect::Sqlite)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(WebhookTarget {
                install: install_from(&r)?,
                sealed_secret: r.try_get("webhook_secret")?,
                delivered_before: r.try_get::<i64, _>("delivered_before")? == 1,
            })
        })
        .transpose()
    }

    /// The tenant's installs that are not deleted, oldest first.
    pub async fn tenant_installs(&self, tenant_id: &str) -> Result<Vec<InstallRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {INSTALL_COLUMNS} FROM installs WHERE tenant_id = $1 AND status <> '{DELETED}' ORDER BY created_at, id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(install_from).collect()
    }

    /// The sealed secrets of an install, if it has any.
    pub async fn install_secrets(&self, id: &str) -> Result<Option<String>> {
        self.sealed(id, Sealed::Config).await
    }

    pub async fn set_install_secrets(&self, id: &str, sealed: Option<&str>) -> Result<()> {
        self.set_sealed(id, Sealed::Config, sealed).await
    }

    /// Seals in (or, with `None`, removes) the install's webhook secret.
    pub async fn set_webhook_secret(&self, id: &str, sealed: Option<&str>) -> Result<()> {
        self.set_sealed(id, Sealed::Webhook, sealed).await
    }

    /// The install's sealed sign-in tokens, if an admin is signed in.
    pub async fn sign_in_tokens(&self, id: &str) -> Result<Option<String>> {
        self.sealed(id, Sealed::SignIn).await
    }

    /// Who signed in at the partner for the install, and when.
    pub async fn signed_in(&self, id: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT signed_in_at, signed_in_by FROM installs WHERE id = $1 AND oauth_tokens IS NOT NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some((
                r.try_get::<Option<String>, _>("signed_in_at")?
                    .unwrap_or_default(),
                r.try_get::<Option<String>, _>("signed_in_by")?
                    .unwrap_or_default(),
            )),
            None => None,
        })
    }

    /// Stores a fresh sign-in by `by`, or forgets it (`None`).
    pub async fn set_sign_in(
        &self,
        id: &str,
        sealed: Option<&str>,
        by: Option<&str>,
    ) -> Result<()> {
        let now = crate::time::now_text();
        sqlx::query(
            "UPDATE installs SET oauth_tokens = $1, signed_in_at = $2, signed_in_by = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(sealed)
        .bind(sealed.map(|_| now.clone()))
        .bind(by)
        .bind(&now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replaces the sealed tokens `old` with `new` (renewed tokens); false
    /// when they changed meanwhile (renewed elsewhere, signed out).
    pub async fn replace_sign_in_tokens(&self, id: &str, old: &str, new: &str) -> Result<bool> {
        Ok(
            sqlx::query(
                "UPDATE installs SET oauth_tokens = $1 WHERE id = $2 AND oauth_tokens = $3",
            )
            .bind(new)
            .bind(id)
            .bind(old)
            .execute(&self.pool)
            .await?
            .rows_affected()
                == 1,
        )
    }

    /// The partner refused the sealed tokens `old`: forgets them and leaves
    /// the install Pending with `reason`, unless they changed meanwhile.
    pub async fn sign_in_lost(&self, id: &str, old: &str, reason: &str) -> Result<bool> {
        Ok(sqlx::query(&format!(
            "UPDATE installs SET oauth_tokens = NULL, signed_in_at = NULL, signed_in_by = NULL, \
             status = '{PENDING}', status_reason = $1, next_run_at = NULL, updated_at = $2 \
             WHERE id = $3 AND oauth_tokens = $4 AND status <> '{DELETED}'"
        ))
        .bind(reason)
        .bind(crate::time::now_text())
        .bind(id)
        .bind(old)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Records a sign-in under way, dropping those that expired.
    pub async fn begin_sign_in(&self, pending: &PendingSignIn) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM oauth_sign_ins WHERE expires_at < $1")
            .bind(crate::time::now_text())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO oauth_sign_ins (state_hash, install_id, tenant_id, binding_hash, verifier, redirect_uri, started_by, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&pending.state_hash)
        .bind(&pending.install_id)
        .bind(&pending.tenant_id)
        .bind(&pending.binding_hash)
        .bind(&pending.verifier)
        .bind(&pending.redirect_uri)
        .bind(&pending.started_by)
        .bind(&pending.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes the sign-in under way with `state_hash`: each is used once.
    pub async fn take_sign_in(&self, state_hash: &str) -> Result<Option<PendingSignIn>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT state_hash, install_id, tenant_id, binding_hash, verifier, redirect_uri, started_by, expires_at \
             FROM oauth_sign_ins WHERE state_hash = $1",
        )
        .bind(state_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let taken = sqlx::query("DELETE FROM oauth_sign_ins WHERE state_hash = $1")
            .bind(state_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        tx.commit().await?;
        if !taken {
            return Ok(None);
        }
        Ok(Some(PendingSignIn {
            state_hash: r.try_get("state_hash")?,
            install_id: r.try_get("install_id")?,
            tenant_id: r.try_get("tenant_id")?,
            binding_hash: r.try_get("binding_hash")?,
            verifier: r.try_get("verifier")?,
            redirect_uri: r.try_get("redirect_uri")?,
            started_by: r.try_get("started_by")?,
            expires_at: r.try_get("expires_at")?,
        }))
    }

    async fn sealed(&self, id: &str, which: Sealed) -> Result<Option<String>> {
        let column = which.column();
        let row = sqlx::query(&format!("SELECT {column} FROM installs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>(column))
            .transpose()?
            .flatten())
    }

    async fn set_sealed(&self, id: &str, which: Sealed, sealed: Option<&str>) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE installs SET {} = $1, updated_at = $2 WHERE id = $3",
            which.column()
        ))
        .bind(sealed)
        .bind(crate::time::now_text())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counts a finished run towards the install's streak of failures: at
    /// `limit` failures in a row the install turns inactive with `reason`.
    /// Returns whether it did.
    pub async fn count_run_outcome(
        &self,
        id: &str,
        step: Streak,
        limit: i64,
        reason: &str,
    ) -> Result<bool> {
        if step == Streak::Stays {
            return Ok(false);
        }
        let mut tx = self.begin_write().await?;
        let done = super::run_end::count_outcome(
            &mut tx,
            id,
            step,
            super::StreakLimit {
                limit,
                reason,
                current: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Connected installs whose next slot is due at `now`, the
    /// [`DUE_BATCH`] longest due; in the same order for every replica, so
    /// that two schedulers claiming together lock them in the same order.
    pub async fn due_installs(&self, now: &str) -> Result<Vec<InstallRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {INSTALL_COLUMNS} FROM installs WHERE status = '{CONNECTED}' AND next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at, id LIMIT {DUE_BATCH}"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(install_from).collect()
    }

    /// Claims due slots for scheduled runs, in one transaction: for each
    /// [`SlotClaim`], moves the install's next slot on and enqueues its
    /// job, once, whichever scheduler gets there first. Returns how many
    /// this call claimed.
    pub async fn claim_slots(&self, claims: &[SlotClaim<'_>]) -> Result<usize> {
        if claims.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let mut claimed = 0;
        for claim in claims {
            let moved = sqlx::query(&format!(
                "UPDATE installs SET next_run_at = $1 WHERE id = $2 AND next_run_at = $3 AND status = '{CONNECTED}'"
            ))
            .bind(claim.next.as_deref())
            .bind(&claim.install.id)
            .bind(&claim.slot)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !moved {
                continue;
            }
            claimed += 1;
            super::jobs::insert_job(
                &mut tx,
                &super::NewJob {
                    install_id: claim.install.id.clone(),
                    tenant_id: claim.install.tenant_id.clone(),
                    kind: JobKind::Sync,
                    trigger: RunTrigger::Scheduled,
                    payload: None,
                    dedupe_key: Some(format!("scheduled:{}:{}", claim.install.id, claim.slot)),
                    delivery_digest: None,
                    due_at: claim.slot.clone(),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }
}

/// A due slot of an install, and the install's slot after it.
pub struct SlotClaim<'a> {
    pub install: &'a InstallRecord,
    pub slot: String,
    pub next: Option<String>,
}
