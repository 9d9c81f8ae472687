//! Opening a tenant (the operator's job) and the tenant's settings: defaults
//! for employees that connectors create, and the login format.

use crate::api::JsonBody;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::access::{operator_only, tenant_access};
use crate::api::{ApiError, Caller};
use crate::app::App;

#[derive(Deserialize)]
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
) -> Result<(StatusCode, Json<Value>), ApiError> {
    operator_only(&caller, "only the operator opens tenants")?;
    let JsonBody(body) = body?;
    if body.id.is_empty()
        || !body
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(crate::api::field_error(
            "id",
            "use lower-case letters, digits and dashes",
        ));
    }
    if body.name.trim().is_empty() {
        return Err(crate::api::field_error("name", "is required"));
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
        Json(json!({ "id": body.id, "name": body.name.trim() })),
    ))
}

/// GET /api/v1/tenants/{tenant}/settings
pub async fn get_settings(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let settings = state.store.tenant_settings(&tenant).await?;
    let mut value = json!(settings);
    value["effective_login_format"] = json!(
        settings
            .login_format
            .as_deref()
            .unwrap_or(crate::hr::DEFAULT_LOGIN_FORMAT)
    );
    Ok(Json(value))
}

/// PUT /api/v1/tenants/{tenant}/settings — defaults for employees that
/// connectors create, and the login format.
pub async fn put_settings(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<JsonBody<crate::store::TenantSettings>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let JsonBody(mut settings) = body?;
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
    if let Some(format) = &settings.login_format
        && let Err(e) = crate::hr::check_login_format(format)
    {
        return Err(crate::api::field_error("login_format", &e));
    }
    state.store.set_tenant_settings(&tenant, &settings).await?;
    get_settings(State(state), Caller(caller), Path(tenant)).await
}
