//! A partner's sandbox tenant: create it (seeded with synthetic data),
//! read when it expires, change the test hosts it may reach, delete it.
//! Inside it the partner uses the tenant endpoints a tenant admin uses
//! ([`super::access`] lets it in, its own sandbox only).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access::{forbidden, live_sandbox};
use super::{ApiError, Caller, JsonBody};
use crate::app::App;
use crate::partner_sandbox::{self as service, SandboxError, SandboxRequest};
use crate::principal::{Principal, Role};
use crate::store::PartnerSandbox;

/// `POST /api/v1/partner/sandbox`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxInput {
    /// Origins of the partner's test API (`https://sandbox.partner.example`;
    /// `http://` only where the operator allows it): the only hosts the
    /// sandbox's installs may reach. At most 10.
    #[serde(default)]
    pub test_hosts: Vec<String>,
    /// Synthetic employees, 1 to 2000 (default 200).
    pub employees: Option<usize>,
    /// The generator's seed: the same seed gives the same people (default 1).
    pub seed: Option<u32>,
}

/// `PATCH /api/v1/partner/sandbox`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxPatch {
    /// The test hosts, replacing the declared ones.
    pub test_hosts: Vec<String>,
}

/// A partner's sandbox tenant, and until when it lasts.
#[derive(Serialize, ToSchema)]
pub struct SandboxView {
    /// Use it as `{tenant}` in the tenant endpoints.
    pub tenant_id: String,
    pub test_hosts: Vec<String>,
    pub employees: i64,
    pub seed: i64,
    pub created_at: String,
    /// When it expires: from then on the API refuses it (`410
    /// sandbox_expired`), its installs run nothing and its data is
    /// removed.
    pub expires_at: String,
    /// Whole days until then.
    pub expires_in_days: i64,
}

fn view(state: &App, sandbox: &PartnerSandbox) -> SandboxView {
    SandboxView {
        tenant_id: sandbox.tenant_id.clone(),
        test_hosts: sandbox.test_hosts.clone(),
        employees: sandbox.employees,
        seed: sandbox.seed,
        created_at: sandbox.created_at.clone(),
        expires_at: sandbox.expires_at.clone(),
        expires_in_days: service::days_left(sandbox, state.clock.now()),
    }
}

impl From<SandboxError> for ApiError {
    fn from(e: SandboxError) -> Self {
        match e {
            SandboxError::Exists(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            SandboxError::Invalid(problems) => {
                let mut error = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_fields",
                    problems
                        .iter()
                        .map(|p| format!("{}: {}", p.field, p.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                error.fields = problems;
                error
            }
            SandboxError::Store(e) => ApiError::internal(e),
        }
    }
}

/// The partner the caller is.
fn partner(caller: &Principal) -> Result<String, ApiError> {
    match (&caller.role, &caller.partner_id) {
        (Role::Partner, Some(id)) => Ok(id.clone()),
        _ => Err(forbidden("only partners have a sandbox tenant")),
    }
}

/// The caller's sandbox, unless it has none, or it has expired.
async fn current(state: &App, partner_id: &str) -> Result<PartnerSandbox, ApiError> {
    match state.store.partner_sandbox(partner_id).await? {
        Some(sandbox) => live_sandbox(state, sandbox),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "you have no sandbox tenant; create one with POST /api/v1/partner/sandbox",
        )),
    }
}

/// POST /api/v1/partner/sandbox — the partner's sandbox tenant, seeded.
pub async fn create(
    State(state): State<App>,
    Caller(caller): Caller,
    body: Result<JsonBody<SandboxInput>, ApiError>,
) -> Result<(StatusCode, Json<SandboxView>), ApiError> {
    let partner_id = partner(&caller)?;
    let JsonBody(input) = body?;
    let request = SandboxRequest {
        test_hosts: input.test_hosts,
        employees: input.employees.unwrap_or(service::DEFAULT_EMPLOYEES),
        seed: u64::from(input.seed.unwrap_or(1)),
    };
    let sandbox = service::create(&state, &partner_id, &request).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &sandbox))))
}

/// GET /api/v1/partner/sandbox
pub async fn get_one(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<SandboxView>, ApiError> {
    let partner_id = partner(&caller)?;
    let sandbox = current(&state, &partner_id).await?;
    Ok(Json(view(&state, &sandbox)))
}

/// PATCH /api/v1/partner/sandbox — declare other test hosts. Installs
/// whose configuration reaches a host no longer declared fail their runs
/// until reconfigured.
pub async fn change(
    State(state): State<App>,
    Caller(caller): Caller,
    body: Result<JsonBody<SandboxPatch>, ApiError>,
) -> Result<Json<SandboxView>, ApiError> {
    let partner_id = partner(&caller)?;
    let JsonBody(input) = body?;
    let mut sandbox = current(&state, &partner_id).await?;
    let hosts = service::check_test_hosts(&state.operator.partners, &input.test_hosts)
        .map_err(|problems| ApiError::from(SandboxError::Invalid(problems)))?;
    state
        .store
        .set_sandbox_test_hosts(&partner_id, &hosts)
        .await?;
    sandbox.test_hosts = hosts;
    Ok(Json(view(&state, &sandbox)))
}

/// DELETE /api/v1/partner/sandbox — remove it and its data now.
pub async fn delete(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<StatusCode, ApiError> {
    let partner_id = partner(&caller)?;
    match state.store.partner_sandbox(&partner_id).await? {
        Some(sandbox) if sandbox.removed_at.is_none() => {
            service::remove(&state, &sandbox).await?;
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "you have no sandbox tenant to delete",
        )),
    }
}
