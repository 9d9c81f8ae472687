//! The operator's views across the platform: every connector with its
//! versions, every tenant with its installs, the installs failing now.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::access::operator_only;
use super::{ApiError, Caller};
use crate::app::App;
use crate::store::requests::{FailingInstall, TenantOverview};

/// One version of a connector as the operator sees it in the catalog.
#[derive(Serialize, ToSchema)]
pub struct VersionOverview {
    pub version: String,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    pub submitted_at: String,
    pub reviewed_at: Option<String>,
    /// Whether the marketplace lists this version.
    pub listed: bool,
    /// The automated review's verdict (`pass`, `warn`, `fail`), if made.
    pub review_verdict: Option<String>,
}

/// A connector with every version submitted.
#[derive(Serialize, ToSchema)]
pub struct ConnectorOverview {
    pub id: String,
    pub partner_id: String,
    pub first_party: bool,
    /// The name by language, from the newest version.
    pub name: BTreeMap<String, String>,
    pub tier: Option<String>,
    pub listed_version: Option<String>,
    /// Newest first.
    pub versions: Vec<VersionOverview>,
}

#[derive(Serialize, ToSchema)]
pub struct ConnectorOverviews {
    pub items: Vec<ConnectorOverview>,
}

#[derive(Serialize, ToSchema)]
pub struct TenantOverviews {
    pub items: Vec<TenantOverview>,
}

#[derive(Serialize, ToSchema)]
pub struct FailingInstalls {
    pub items: Vec<FailingInstall>,
}

/// GET /api/v1/operator/connectors
pub async fn connectors(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<ConnectorOverviews>, ApiError> {
    operator_only(&caller, "only the operator sees the whole catalog")?;
    let mut items: Vec<ConnectorOverview> = Vec::new();
    for v in state.store.all_versions().await? {
        if items.last().is_none_or(|c| c.id != v.plugin_id) {
            items.push(ConnectorOverview {
                id: v.plugin_id.clone(),
                partner_id: v.partner_id.clone(),
                first_party: v.first_party,
                name: v.manifest.name.clone(),
                tier: v.tier.clone(),
                listed_version: None,
                versions: Vec::new(),
            });
        }
        let Some(c) = items.last_mut() else { continue };
        if v.listed {
            c.listed_version = Some(v.version.clone());
        }
        c.versions.push(VersionOverview {
            version: v.version.clone(),
            status: v.status.clone(),
            submitted_at: v.submitted_at.clone(),
            reviewed_at: v.reviewed_at.clone(),
            listed: v.listed,
            review_verdict: v
                .review_report
                .as_ref()
                .and_then(|r| r["verdict"].as_str().map(String::from)),
        });
    }
    Ok(Json(ConnectorOverviews { items }))
}

/// GET /api/v1/operator/tenants
pub async fn tenants(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<TenantOverviews>, ApiError> {
    operator_only(&caller, "only the operator sees every tenant")?;
    Ok(Json(TenantOverviews {
        items: state.store.tenants_overview().await?,
    }))
}

/// GET /api/v1/operator/failing-installs
pub async fn failing_installs(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<FailingInstalls>, ApiError> {
    operator_only(&caller, "only the operator sees installs across tenants")?;
    Ok(Json(FailingInstalls {
        items: state.store.failing_installs().await?,
    }))
}
