//! Opening a tenant (the operator's job; its id and name shaped as
//! [`crate::hr::shape`] says) and the tenant's settings: defaults for
//! employees that connectors create, and the login format.

use crate::api::JsonBody;
use crate::api::answers::{Tenant, TenantSettingsView};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::api::access::{operator_only, tenant_access};
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::shape::{MAX_TEXT_CHARS, text_problem};

/// A tenant to open.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub id: String,
    pub name: String,
}

/// POST /api/v1/tenants — the operator opens a tenant.
pub async fn create_tenant(
    State(state): State<App>,
    Caller(caller): Caller,
    body: Result<JsonBody<NewTenant>, ApiError>,
) -> Result<(StatusCode, Json<Tenant>), ApiError> {
    operator_only(&caller, "only the operator opens tenants")?;
    let JsonBody(body) = body?;
    let problems = crate::hr::shape::tenant_problems(&body.id, &body.name);
    if !problems.is_empty() {
        return Err(super::invalid(problems));
    }
    if state.store.tenant_exists(&body.id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("tenant {} exists", body.id),
        ));
    }
    state
        .store
        .create_tenant(&body.id, body.name.trim())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Tenant {
            name: body.name.trim().to_string(),
            id: body.id,
        }),
    ))
}

/// The tenant's settings as the API takes them: what the host fills in
/// when a connector creates an employee without it, and the login format
/// (`{first_initial}{last_name}` when unset). An absent, `null` or blank
/// value clears the setting.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantSettingsInput {
    #[serde(default)]
    pub default_legal_entity: Option<String>,
    #[serde(default)]
    pub default_department: Option<String>,
    #[serde(default)]
    pub default_position: Option<String>,
    /// `{first_name}`, `{last_name}` and `{first_initial}`, with lower-case
    /// letters, digits, `.`, `-` and `_` between them.
    #[serde(default)]
    pub login_format: Option<String>,
}

/// GET /api/v1/tenants/{tenant}/settings
pub async fn get_settings(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
) -> Result<Json<TenantSettingsView>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let settings = state.store.tenant_settings(&tenant).await?;
    Ok(Json(TenantSettingsView {
        effective_login_format: settings
            .login_format
            .clone()
            .unwrap_or_else(|| crate::hr::DEFAULT_LOGIN_FORMAT.into()),
        default_legal_entity: settings.default_legal_entity,
        default_department: settings.default_department,
        default_position: settings.default_position,
        login_format: settings.login_format,
    }))
}

/// PUT /api/v1/tenants/{tenant}/settings — defaults for employees that
/// connectors create, and the login format.
pub async fn put_settings(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<JsonBody<TenantSettingsInput>, ApiError>,
) -> Result<Json<TenantSettingsView>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let mut settings = crate::store::TenantSettings {
        default_legal_entity: input.default_legal_entity,
        default_department: input.default_department,
        default_position: input.default_position,
        login_format: input.login_format,
    };
    let trim = |v: &mut Option<String>| {
        *v = v
            .take()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
    };
    trim(&mut settings.default_legal_entity);
    trim(&mut settings.default_department);
    trim(&mut settings.default_position);
    trim(&mut settings.login_format);
    let mut problems = Vec::new();
    for (field, value) in [
        ("default_legal_entity", &settings.default_legal_entity),
        ("default_department", &settings.default_department),
        ("default_position", &settings.default_position),
        ("login_format", &settings.login_format),
    ] {
        if let Some(p) = value
            .as_deref()
            .and_then(|v| text_problem(v, MAX_TEXT_CHARS))
        {
            problems.push(FieldProblem::new(field, p));
        }
    }
    if problems.is_empty()
        && let Some(format) = &settings.login_format
        && let Err(e) = crate::hr::check_login_format(format)
    {
        return Err(crate::api::field_error("login_format", &e));
    }
    if !problems.is_empty() {
        return Err(super::invalid(problems));
    }
    state.store.set_tenant_settings(&tenant, &settings).await?;
    get_settings(State(state), Caller(caller), Path(tenant)).await
}
