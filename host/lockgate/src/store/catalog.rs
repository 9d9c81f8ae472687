//! The connector catalog: submitted versions, the review decision, what is
//! listed in the marketplace.

use lockgate_manifest::Manifest;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Result, Store, StoreError};

/// One submitted build of a connector.
#[derive(Debug, Clone, Serialize)]
pub struct PluginVersion {
    pub plugin_id: String,
    pub version: String,
    pub partner_id: String,
    pub first_party: bool,
    pub sha256: String,
    pub size: i64,
    pub manifest: Manifest,
    pub imports: Vec<String>,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    pub review_reasons: Vec<String>,
    pub submitted_at: String,
    pub reviewed_at: Option<String>,
    /// The plugin's tier badge once approved: `select`, `elite`, `premier`.
    pub tier: Option<String>,
    /// Whether this version is the one the marketplace lists.
    pub listed: bool,
    /// The automated review's report; `None` until it finished.
    pub review_report: Option<serde_json::Value>,
    /// When the partner gave a test endpoint and credentials for the
    /// review, if it did and the version is not decided yet. The values
    /// themselves are sealed and read only by [`Store::test_access`].
    pub test_access_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the connector id {0:?} belongs to another partner; choose another id")]
    NotOwner(String),
    #[error("version {1} of {0} was already submitted with different contents; raise the version")]
    VersionExists(String, String),
    #[error("version {1} of {0} is {2}, not waiting for review")]
    NotPending(String, String, String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CatalogError {
    fn from(e: sqlx::Error) -> Self {
        CatalogError::Store(StoreError::Db(e))
    }
}

/// What the operator decided.
pub enum Decision {
    /// `note` says why a version with failing checks was approved anyway.
    Approve {
        tier: String,
        note: Option<String>,
    },
    Reject {
        reasons: Vec<String>,
    },
}

pub(super) const VERSION_QUERY: &str = "SELECT v.plugin_id, v.version, v.sha256, v.size, v.manifest, v.imports, v.status, \
    v.review_reasons, v.submitted_at, v.reviewed_at, v.review_report, v.test_access_at, p.partner_id, p.first_party, p.tier, p.listed_version \
    FROM plugin_versions v JOIN plugins p ON p.id = v.plugin_id";

pub(super) fn version_from(r: &AnyRow) -> Result<PluginVersion> {
    let manifest: String = r.try_get("manifest")?;
    let imports: String = r.try_get("imports")?;
    let reasons: Option<String> = r.try_get("review_reasons")?;
    let version: String = r.try_get("version")?;
    let listed: Option<String> = r.try_get("listed_version")?;
    Ok(PluginVersion {
        plugin_id: r.try_get("plugin_id")?,
        listed: listed.as_deref() == Some(version.as_str()),
        version,
        partner_id: r.try_get("partner_id")?,
        first_party: r.try_get::<i64, _>("first_party")? != 0,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        manifest: serde_json::from_str(&manifest)
            .map_err(|e| StoreError::Invalid(format!("stored manifest: {e}")))?,
        imports: serde_json::from_str(&imports).unwrap_or_default(),
        status: r.try_get("status")?,
        review_reasons: reasons
            .and_then(|r| serde_json::from_str(&r).ok())
            .unwrap_or_default(),
        submitted_at: r.try_get("submitted_at")?,
        reviewed_at: r.try_get("reviewed_at")?,
        tier: r.try_get("tier")?,
        review_report: r
            .try_get::<Option<String>, _>("review_report")?
            .and_then(|t| serde_json::from_str(&t).ok()),
        test_access_at: r.try_get("test_access_at")?,
    })
}

impl Store {
    /// Records a submitted version for review. Submitting the same bytes
    /// again returns the existing record.
    pub async fn submit_version(
        &self,
        partner_id: &str,
        first_party: bool,
        manifest: &Manifest,
        sha256: &str,
        size: u64,
        imports: &[String],
    ) -> Result<PluginVersion, CatalogError> {
        let mut tx = self.begin_write().await?;
        let owner = sqlx::query("SELECT partner_id FROM plugins WHERE id = $1")
            .bind(&manifest.id)
            .fetch_optional(&mut *tx)
            .await?;
        match owner {
            Some(row) if row.try_get::<String, _>("partner_id")? != partner_id => {
                return Err(CatalogError::NotOwner(manifest.id.clone()));
            }
            Some(_) => {}
            None => {
                sqlx::query("INSERT INTO plugins (id, partner_id, first_party, tier, listed_version, created_at) VALUES ($1, $2, $3, NULL, NULL, $4)")
                    .bind(&manifest.id)
                    .bind(partner_id)
                    .bind(i64::from(first_party))
                    .bind(crate::time::now_text())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let existing =
            sqlx::query("SELECT sha256 FROM plugin_versions WHERE plugin_id = $1 AND version = $2")
                .bind(&manifest.id)
                .bind(&manifest.version)
                .fetch_optional(&mut *tx)
                .await?;
        match existing {
            Some(row) if row.try_get::<String, _>("sha256")? != sha256 => {
                return Err(CatalogError::VersionExists(
                    manifest.id.clone(),
                    manifest.version.clone(),
                ));
            }
            Some(_) => {}
            None => {
                sqlx::query("INSERT INTO plugin_versions (plugin_id, version, sha256, size, manifest, imports, status, review_reasons, submitted_at, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, 'submitted', NULL, $7, NULL)")
                    .bind(&manifest.id)
                    .bind(&manifest.version)
                    .bind(sha256)
                    .bind(size as i64)
                    .bind(serde_json::to_string(manifest).unwrap_or_default())
                    .bind(serde_json::to_string(imports).unwrap_or_default())
                    .bind(crate::time::now_text())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.plugin_version(&manifest.id, &manifest.version)
            .await?
            .ok_or_else(|| {
                CatalogError::Store(StoreError::NotFound("the version just stored".into()))
            })
    }

    pub async fn plugin_version(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<Option<PluginVersion>> {
        let row = sqlx::query(&format!(
            "{VERSION_QUERY} WHERE v.plugin_id = $1 AND v.version = $2"
        ))
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(version_from).transpose()
    }

    /// A partner's versions, newest first.
    pub async fn partner_versions(&self, partner_id: &str) -> Result<Vec<PluginVersion>> {
        let rows = sqlx::query(&format!(
            "{VERSION_QUERY} WHERE p.partner_id = $1 ORDER BY v.submitted_at DESC, v.plugin_id, v.version"
        ))
        .bind(partner_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from).collect()
    }

    /// Versions waiting for review, oldest first.
    pub async fn review_queue(&self) -> Result<Vec<PluginVersion>> {
        let rows = sqlx::query(&format!(
            "{VERSION_QUERY} WHERE v.status = 'submitted' ORDER BY v.submitted_at, v.plugin_id, v.version"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from).collect()
    }

    /// Approves (listing the version) or rejects a submitted version.
    pub async fn review(
        &self,
        plugin_id: &str,
        version: &str,
        decision: Decision,
    ) -> Result<PluginVersion, CatalogError> {
        let Some(current) = self.plugin_version(plugin_id, version).await? else {
            return Err(CatalogError::Store(StoreError::NotFound(format!(
                "{plugin_id} {version}"
            ))));
        };
        if current.status != "submitted" {
            return Err(CatalogError::NotPending(
                plugin_id.into(),
                version.into(),
                current.status,
            ));
        }
        let now = crate::time::now_text();
        let mut tx = self.begin_write().await?;
        match decision {
            Decision::Approve { tier, note } => {
                sqlx::query("UPDATE plugin_versions SET status = 'approved', review_reasons = $4, reviewed_at = $1, test_access = NULL, test_access_at = NULL WHERE plugin_id = $2 AND version = $3")
                    .bind(&now)
                    .bind(plugin_id)
                    .bind(version)
                    .bind(note.map(|n| serde_json::to_string(&[n]).unwrap_or_default()))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE plugins SET tier = $1, listed_version = $2 WHERE id = $3")
                    .bind(tier)
                    .bind(version)
                    .bind(plugin_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Decision::Reject { reasons } => {
                sqlx::query("UPDATE plugin_versions SET status = 'rejected', review_reasons = $1, reviewed_at = $2, test_access = NULL, test_access_at = NULL WHERE plugin_id = $3 AND version = $4")
                    .bind(serde_json::to_string(&reasons).unwrap_or_default())
                    .bind(&now)
                    .bind(plugin_id)
                    .bind(version)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        self.plugin_version(plugin_id, version)
            .await?
            .ok_or_else(|| {
                CatalogError::Store(StoreError::NotFound(format!("{plugin_id} {version}")))
            })
    }

    /// Stores the review's report, made with the test access given at
    /// `made_with` (`None`: without any). A report made with test access
    /// that has been replaced or withdrawn since is not stored: the review
    /// with the current one stores its own. Returns whether it was stored.
    pub async fn set_review_report(
        &self,
        plugin_id: &str,
        version: &str,
        report: &serde_json::Value,
        made_with: Option<&str>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE plugin_versions SET review_report = $1 WHERE plugin_id = $2 AND version = $3 AND COALESCE(test_access_at, '') = $4",
        )
        .bind(report.to_string())
        .bind(plugin_id)
        .bind(version)
        .bind(made_with.unwrap_or(""))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Sets (or with `None` withdraws) a submitted version's sealed test
    /// access, given at `at`; the report made without it is dropped, so
    /// the version waits for the review that uses it. Only a version still
    /// waiting for review takes test access.
    pub async fn set_test_access(
        &self,
        plugin_id: &str,
        version: &str,
        sealed: Option<(&str, &str)>,
    ) -> Result<PluginVersion, CatalogError> {
        let done = sqlx::query(
            "UPDATE plugin_versions SET test_access = $1, test_access_at = $2, review_report = NULL WHERE plugin_id = $3 AND version = $4 AND status = 'submitted'",
        )
        .bind(sealed.map(|(s, _)| s))
        .bind(sealed.map(|(_, at)| at))
        .bind(plugin_id)
        .bind(version)
        .execute(&self.pool)
        .await?;
        let current = self
            .plugin_version(plugin_id, version)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("{plugin_id} {version}")))?;
        if done.rows_affected() == 0 {
            return Err(CatalogError::NotPending(
                plugin_id.into(),
                version.into(),
                current.status,
            ));
        }
        Ok(current)
    }

    /// A version's sealed test access and when it was given, if any.
    pub async fn test_access(
        &self,
        plugin_id: &str,
        version: &str,
    ) -> Result<Option<(String, String)>> {
        let row = sqlx::query(
            "SELECT test_access, test_access_at FROM plugin_versions WHERE plugin_id = $1 AND version = $2",
        )
        .bind(plugin_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sealed: Option<String> = row.try_get("test_access")?;
        let at: Option<String> = row.try_get("test_access_at")?;
        Ok(sealed.zip(at))
    }

    /// The version of a plugin the marketplace lists, if any.
    pub async fn listed_version(&self, plugin_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT listed_version FROM plugins WHERE id = $1")
            .bind(plugin_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<Option<String>, _>("listed_version"))
            .transpose()?
            .flatten())
    }

    /// Every connector id the catalog knows (submitted, listed or not).
    pub async fn connector_ids(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM plugins ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?)
    }

    /// Versions matching `tail` (a `WHERE`/`ORDER BY` clause without
    /// parameters).
    pub(super) async fn versions_where(&self, tail: &str) -> Result<Vec<PluginVersion>> {
        let rows = sqlx::query(&format!("{VERSION_QUERY} {tail}"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(version_from).collect()
    }

    /// The version of each plugin the marketplace lists.
    pub async fn listed(&self) -> Result<Vec<PluginVersion>> {
        let rows = sqlx::query(&format!(
            "{VERSION_QUERY} WHERE v.version = p.listed_version ORDER BY v.plugin_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_from).collect()
    }
}
