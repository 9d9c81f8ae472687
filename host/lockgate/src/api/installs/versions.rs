//! Which version of a connector a tenant may install: a real tenant an
//! approved one, a partner's sandbox tenant one of that partner's own,
//! approved or still waiting for review.

use crate::api::ApiError;
use crate::app::App;
use crate::store::catalog::PluginVersion;

/// The version `tenant` may install: in a partner's sandbox, one of that
/// partner's own (see [`own_version`]); anywhere else an approved one.
pub(super) async fn installable_version(
    state: &App,
    tenant: &str,
    plugin: &str,
    version: Option<&str>,
) -> Result<PluginVersion, ApiError> {
    match state.store.sandbox_of_tenant(tenant).await? {
        Some(sandbox) => own_version(state, &sandbox.partner_id, plugin, version).await,
        None => approved_version(state, plugin, version).await,
    }
}

/// A version of the partner's own connector, submitted or approved (not
/// rejected): the one named, else the newest submitted.
async fn own_version(
    state: &App,
    partner_id: &str,
    plugin: &str,
    version: Option<&str>,
) -> Result<PluginVersion, ApiError> {
    let found = state
        .store
        .partner_versions(partner_id)
        .await?
        .into_iter()
        .filter(|v| v.plugin_id == plugin && v.status != "rejected")
        .find(|v| version.is_none_or(|wanted| v.version == wanted));
    found.ok_or_else(|| {
        crate::api::field_error(
            if version.is_some() {
                "version"
            } else {
                "plugin"
            },
            "none of your connectors has this id and version waiting for review or approved; submit it first (POST /api/v1/partner/submissions)",
        )
    })
}

/// The approved version to install: the one named, else the listed one.
async fn approved_version(
    state: &App,
    plugin: &str,
    version: Option<&str>,
) -> Result<PluginVersion, ApiError> {
    let found = match version {
        Some(v) => state.store.plugin_version(plugin, v).await?,
        None => state
            .store
            .listed()
            .await?
            .into_iter()
            .find(|v| v.plugin_id == plugin),
    };
    match found {
        Some(v) if v.status == "approved" => Ok(v),
        _ => Err(crate::api::field_error(
            if version.is_some() {
                "version"
            } else {
                "plugin"
            },
            "no approved connector with this id and version in the marketplace",
        )),
    }
}
