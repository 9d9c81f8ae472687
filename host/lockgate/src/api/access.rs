//! The access rules every handler applies, in one place: a tenant's data
//! is for its own admins and the operator; its installs and monitoring
//! also need the marketplace right, and only its admins change them; the
//! review is the operator's. A partner's sandbox tenant is its partner's
//! as a tenant is its admin's, until it expires; a partner token opens no
//! other tenant. Anyone else learns nothing about a tenant, not even
//! whether it exists.

use axum::http::StatusCode;

use super::ApiError;
use crate::app::App;
use crate::principal::{Principal, Role};
use crate::store::InstallRecord;
use crate::vocabulary::InstallStatus;

/// The caller may work on this tenant's data: its own admin, the
/// operator, or the partner whose sandbox it is. Everyone else gets a 404;
/// the partner of an expired sandbox a 410 saying so.
pub async fn tenant_access(state: &App, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    let allowed = match caller.role {
        Role::Operator => true,
        Role::TenantAdmin => caller.tenant_id.as_deref() == Some(tenant),
        Role::Partner => {
            let sandbox = state.store.sandbox_of_tenant(tenant).await?;
            match sandbox {
                Some(s) if Some(&s.partner_id) == caller.partner_id.as_ref() => {
                    live_sandbox(state, s)?;
                    true
                }
                _ => false,
            }
        }
    };
    if !allowed || !state.store.tenant_exists(tenant).await? {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(())
}

/// The sandbox, unless it has expired (or was deleted): then `410 Gone`,
/// saying when and what to do.
pub fn live_sandbox(
    state: &App,
    sandbox: crate::store::PartnerSandbox,
) -> Result<crate::store::PartnerSandbox, ApiError> {
    if let Some(removed) = &sandbox.removed_at
        && !sandbox.expired_at(removed)
    {
        return Err(ApiError::new(
            StatusCode::GONE,
            "sandbox_deleted",
            format!(
                "your sandbox tenant {} was deleted at {removed} with its data; create a new one with POST /api/v1/partner/sandbox",
                sandbox.tenant_id
            ),
        ));
    }
    if sandbox.removed_at.is_some() || sandbox.expired_at(&state.clock.now_text()) {
        return Err(ApiError::new(
            StatusCode::GONE,
            "sandbox_expired",
            format!(
                "your sandbox tenant {} expired at {}; its data is removed and it runs nothing; create a new one with POST /api/v1/partner/sandbox",
                sandbox.tenant_id, sandbox.expires_at
            ),
        ));
    }
    Ok(sandbox)
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

/// Changing installs: the tenant's admins with the marketplace right, and
/// the partner in its own sandbox.
pub async fn write_access(state: &App, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    read_access(state, caller, tenant).await?;
    if caller.role == Role::Operator {
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
