//! The access rules every handler applies, in one place: a tenant's data
//! is for its own admins and the operator; its installs and monitoring
//! also need the marketplace right, and only its admins change them; the
//! review is the operator's. Anyone else learns nothing about a tenant, not
//! even whether it exists.

use axum::http::StatusCode;

use super::ApiError;
use crate::app::App;
use crate::principal::{Principal, Role};
use crate::store::InstallRecord;
use crate::vocabulary::InstallStatus;

/// The caller may work on this tenant's data: its own admin, or the
/// operator. Everyone else gets a 404.
pub async fn tenant_access(state: &App, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    let allowed = match caller.role {
        Role::Operator => true,
        Role::TenantAdmin => caller.tenant_id.as_deref() == Some(tenant),
        Role::Partner => false,
    };
    if !allowed || !state.store.tenant_exists(tenant).await? {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(())
}

/// A tenant admin without the right to manage marketplace integrations
/// may not use the marketplace or the installs.
pub fn marketplace_right(caller: &Principal) -> Result<(), ApiError> {
    if caller.role == Role::TenantAdmin && !caller.marketplace_right {
        return Err(forbidden(
            "you need the right to manage marketplace integrations",
        ));
    }
    Ok(())
}

/// Only the operator; `message` says what for.
pub fn operator_only(caller: &Principal, message: &str) -> Result<(), ApiError> {
    if caller.role != Role::Operator {
        return Err(forbidden(message));
    }
    Ok(())
}

/// Reading the tenant's installs: its own admins (with the marketplace
/// right) and the operator. Anyone else learns nothing.
pub async fn read_access(state: &App, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    tenant_access(state, caller, tenant).await?;
    marketplace_right(caller)
}

/// Changing installs: the tenant's admins with the marketplace right only.
pub async fn write_access(state: &App, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    read_access(state, caller, tenant).await?;
    if caller.role != Role::TenantAdmin {
        return Err(forbidden(
            "only the tenant's own admins connect and change integrations",
        ));
    }
    Ok(())
}

pub fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

/// The install, if it belongs to the tenant and is not deleted.
pub async fn find(state: &App, tenant: &str, id: &str) -> Result<InstallRecord, ApiError> {
    match state.store.install(id).await? {
        Some(i) if i.tenant_id == tenant && i.status != InstallStatus::Deleted => Ok(i),
        _ => Err(ApiError::not_found("install")),
    }
}
