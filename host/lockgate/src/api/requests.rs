//! "Request this integration" and "request a demo": a tenant admin asks
//! about a listed connector; the operator sees every request, the
//! connector's partner those for its connectors, the tenant its own.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::{forbidden, operator_only, tenant_access};
use super::{ApiError, Caller, FieldProblem, JsonBody};
use crate::app::App;
use crate::auth::Role;
use crate::store::requests::{IntegrationRequest, NewRequest, RequestsOf};

/// The longest message a request may carry, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// What a tenant admin may ask for.
pub const KINDS: [&str; 2] = ["integration", "demo"];

/// A request as the admin sends it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestInput {
    /// The listed connector's id.
    pub connector: String,
    /// `integration` (request this integration) or `demo` (request a demo).
    pub kind: String,
    /// Anything the operator and the partner should know.
    #[serde(default)]
    pub message: Option<String>,
}

/// Requests, newest first.
#[derive(Serialize, ToSchema)]
pub struct RequestList {
    pub items: Vec<IntegrationRequest>,
}

/// POST /api/v1/tenants/{tenant}/requests — the tenant's own admin asks.
pub async fn create(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<JsonBody<RequestInput>, ApiError>,
) -> Result<(StatusCode, Json<IntegrationRequest>), ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    if caller.role != Role::TenantAdmin {
        return Err(forbidden(
            "only the tenant's own admins request integrations and demos",
        ));
    }
    let JsonBody(body) = body?;
    let mut problems = Vec::new();
    if !KINDS.contains(&body.kind.as_str()) {
        problems.push(FieldProblem::new(
            "kind",
            "give integration (request this integration) or demo (request a demo)",
        ));
    }
    let message = body
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    if let Some(problem) = message.and_then(|m| {
        crate::hr::shape::text_problem(&m.replace(['\r', '\n'], " "), MAX_MESSAGE_CHARS)
    }) {
        problems.push(FieldProblem::new("message", problem));
    }
    let listed = state
        .store
        .listed()
        .await?
        .into_iter()
        .any(|v| v.plugin_id == body.connector);
    if !listed {
        problems.push(FieldProblem::new(
            "connector",
            "no connector with this id is listed in the marketplace",
        ));
    }
    if !problems.is_empty() {
        return Err(super::catalog::invalid_fields(problems));
    }
    let now = state.clock.now_text();
    let request = state
        .store
        .add_integration_request(&NewRequest {
            tenant_id: &tenant,
            connector_id: &body.connector,
            kind: &body.kind,
            message,
            requested_by: &caller.label,
            created_at: &now,
        })
        .await?;
    tracing::info!(
        tenant = %tenant,
        connector = %body.connector,
        kind = %body.kind,
        "integration request recorded"
    );
    Ok((StatusCode::CREATED, Json(request)))
}

/// GET /api/v1/tenants/{tenant}/requests — what the tenant asked for.
pub async fn of_tenant(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
) -> Result<Json<RequestList>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let items = state
        .store
        .integration_requests(RequestsOf::Tenant(&tenant))
        .await?;
    Ok(Json(RequestList { items }))
}

/// GET /api/v1/requests — every request (operator).
pub async fn all(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<RequestList>, ApiError> {
    operator_only(&caller, "only the operator sees every request")?;
    let items = state
        .store
        .integration_requests(RequestsOf::Everyone)
        .await?;
    Ok(Json(RequestList { items }))
}

/// GET /api/v1/partner/requests — requests for the partner's connectors.
pub async fn of_partner(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<RequestList>, ApiError> {
    let partner = match (caller.role, caller.partner_id.as_deref()) {
        (Role::Partner, Some(p)) if !crate::principal::names_the_operator(p) => p.to_string(),
        _ => {
            return Err(forbidden(
                "only partners see the requests for their connectors",
            ));
        }
    };
    let items = state
        .store
        .integration_requests(RequestsOf::Partner(&partner))
        .await?;
    Ok(Json(RequestList { items }))
}
