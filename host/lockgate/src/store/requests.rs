//! Integration and demo requests: what tenant admins asked for about
//! connectors they have not connected, kept for the operator and the
//! connector's partner; and the operator's views across tenants (tenants
//! with their installs, installs that are failing).

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::catalog::PluginVersion;
use super::{Result, Store, new_id};

/// A recorded request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IntegrationRequest {
    pub id: String,
    pub tenant_id: String,
    /// The tenant's name.
    pub tenant_name: String,
    pub connector_id: String,
    /// The partner the connector belongs to (`lockgate` for the
    /// operator's own).
    pub partner_id: String,
    /// `integration` or `demo`.
    pub kind: String,
    pub message: Option<String>,
    /// The label of the token it was asked with.
    pub requested_by: String,
    pub created_at: String,
}

/// What a new request says.
pub struct NewRequest<'a> {
    pub tenant_id: &'a str,
    pub connector_id: &'a str,
    pub kind: &'a str,
    pub message: Option<&'a str>,
    pub requested_by: &'a str,
    pub created_at: &'a str,
}

/// Whose requests to list.
pub enum RequestsOf<'a> {
    Everyone,
    Tenant(&'a str),
    Partner(&'a str),
}

const REQUEST_QUERY: &str = "SELECT r.id, r.tenant_id, t.name AS tenant_name, r.connector_id, \
    p.partner_id, r.kind, r.message, r.requested_by, r.created_at \
    FROM integration_requests r JOIN tenants t ON t.id = r.tenant_id \
    JOIN plugins p ON p.id = r.connector_id";

fn request_from(r: &AnyRow) -> Result<IntegrationRequest> {
    Ok(IntegrationRequest {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        tenant_name: r.try_get("tenant_name")?,
        connector_id: r.try_get("connector_id")?,
        partner_id: r.try_get("partner_id")?,
        kind: r.try_get("kind")?,
        message: r.try_get("message")?,
        requested_by: r.try_get("requested_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// A tenant with how many installs it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TenantOverview {
    pub id: String,
    pub name: String,
    pub created_at: String,
    /// Installs that are not deleted, whatever their status.
    pub installs: i64,
    /// Of those, the ones connected.
    pub connected: i64,
    /// The partner whose sandbox the tenant is, if it is one.
    pub sandbox_of: Option<String>,
}

/// An install whose latest run failed, or which waits (Pending) for a
/// reason, with that run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FailingInstall {
    pub install_id: String,
    pub tenant_id: String,
    pub connector_id: String,
    pub plugin_version: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub failure_streak: i64,
    pub last_run_id: Option<String>,
    pub last_run_status: Option<String>,
    pub last_run_at: Option<String>,
    pub last_run_failure: Option<String>,
}

impl Store {
    /// Records a request and returns it as it is listed.
    pub async fn add_integration_request(
        &self,
        new: &NewRequest<'_>,
    ) -> Result<IntegrationRequest> {
        let id = new_id("req");
        sqlx::query(
            "INSERT INTO integration_requests (id, tenant_id, connector_id, kind, message, requested_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(new.tenant_id)
        .bind(new.connector_id)
        .bind(new.kind)
        .bind(new.message)
        .bind(new.requested_by)
        .bind(new.created_at)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(&format!("{REQUEST_QUERY} WHERE r.id = $1"))
            .bind(&id)
            .fetch_one(&self.pool)
            .await?;
        request_from(&row)
    }

    /// Requests, newest first: all, a tenant's, or those for a partner's
    /// connectors.
    pub async fn integration_requests(
        &self,
        of: RequestsOf<'_>,
    ) -> Result<Vec<IntegrationRequest>> {
        const ORDER: &str = " ORDER BY r.created_at DESC, r.id";
        let rows = match of {
            RequestsOf::Everyone => {
                sqlx::query(&format!("{REQUEST_QUERY}{ORDER}"))
                    .fetch_all(&self.pool)
                    .await?
            }
            RequestsOf::Tenant(tenant) => {
                sqlx::query(&format!("{REQUEST_QUERY} WHERE r.tenant_id = $1{ORDER}"))
                    .bind(tenant)
                    .fetch_all(&self.pool)
                    .await?
            }
            RequestsOf::Partner(partner) => {
                sqlx::query(&format!("{REQUEST_QUERY} WHERE p.partner_id = $1{ORDER}"))
                    .bind(partner)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(request_from).collect()
    }

    /// Every version of every connector, by connector, newest first.
    pub async fn all_versions(&self) -> Result<Vec<PluginVersion>> {
        self.versions_where("ORDER BY v.plugin_id, v.submitted_at DESC, v.version")
            .await
    }

    /// Every tenant with its install counts, by id.
    pub async fn tenants_overview(&self) -> Result<Vec<TenantOverview>> {
        let rows = sqlx::query(
            "SELECT t.id, t.name, t.created_at, s.partner_id AS sandbox_of, \
             (SELECT COUNT(*) FROM installs i WHERE i.tenant_id = t.id AND i.status <> 'deleted') AS installs, \
             (SELECT COUNT(*) FROM installs i WHERE i.tenant_id = t.id AND i.status = 'connected') AS connected \
             FROM tenants t LEFT JOIN partner_sandboxes s ON s.tenant_id = t.id ORDER BY t.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TenantOverview {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    installs: r.try_get("installs")?,
                    connected: r.try_get("connected")?,
                    sandbox_of: r.try_get("sandbox_of")?,
                })
            })
            .collect()
    }

    /// Installs, across tenants, whose latest finished run failed or which
    /// are Pending with a reason; those that failed longest in a row first.
    pub async fn failing_installs(&self) -> Result<Vec<FailingInstall>> {
        let rows = sqlx::query(
            "SELECT i.id, i.tenant_id, i.connector_id, i.plugin_version, i.status, i.status_reason, \
             i.failure_streak, r.id AS run_id, r.status AS run_status, r.started_at, r.failure_reason \
             FROM installs i LEFT JOIN runs r ON r.id = (SELECT r2.id FROM runs r2 \
               WHERE r2.install_id = i.id AND r2.status <> 'running' \
               ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1) \
             WHERE i.status <> 'deleted' \
               AND (r.status = 'failed' OR (i.status = 'pending' AND i.status_reason IS NOT NULL)) \
             ORDER BY i.failure_streak DESC, r.started_at DESC, i.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FailingInstall {
                    install_id: r.try_get("id")?,
                    tenant_id: r.try_get("tenant_id")?,
                    connector_id: r.try_get("connector_id")?,
                    plugin_version: r.try_get("plugin_version")?,
                    status: r.try_get("status")?,
                    status_reason: r.try_get("status_reason")?,
                    failure_streak: r.try_get("failure_streak")?,
                    last_run_id: r.try_get("run_id")?,
                    last_run_status: r.try_get("run_status")?,
                    last_run_at: r.try_get("started_at")?,
                    last_run_failure: r.try_get("failure_reason")?,
                })
            })
            .collect()
    }
}
