//! A listing as admins see it: the connector's icon, served so that the
//! browser can only draw it, and a partner's preview of one of its
//! versions in each language.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::views;
use crate::api::access::{forbidden, marketplace_right};
use crate::api::{ApiError, Caller};
use crate::app::App;
use crate::auth::Role;

/// GET /api/v1/marketplace/{id}/icon — the listed connector's icon, as
/// its manifest carries it (checked again here), with a fixed content type
/// that the browser may not second-guess; an SVG is also sandboxed, so it
/// could not run anything even when opened on its own.
pub async fn marketplace_icon(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    marketplace_right(&caller)?;
    let v = super::listed_connector(&state, &id).await?;
    icon_response(&v.manifest)
}

/// The manifest's icon as it is served: fixed type, nosniff, and for an
/// SVG a policy that lets it do nothing but draw.
fn icon_response(
    manifest: &lockgate_manifest::Manifest,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    use lockgate_manifest::manifest::{IconKind, decode_icon};
    let Some(icon) = manifest.icon.as_deref().and_then(|i| decode_icon(i).ok()) else {
        return Err(ApiError::not_found("icon"));
    };
    let mut response = (StatusCode::OK, icon.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(icon.kind.content_type()),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if icon.kind == IconKind::Svg {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(ICON_POLICY),
        );
    }
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline; filename=\"icon\""),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}

/// The policy an SVG icon is served under: no scripts, no requests, no
/// document of its own.
const ICON_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// The partner's own version, or 404 (also for another partner's).
async fn own_version(
    state: &App,
    caller: &crate::auth::Principal,
    plugin_id: &str,
    version: &str,
) -> Result<crate::store::catalog::PluginVersion, ApiError> {
    if caller.role == Role::TenantAdmin {
        return Err(forbidden("only partners preview their listings"));
    }
    let (partner_id, _) = super::submitter(caller)?;
    match state.store.plugin_version(plugin_id, version).await? {
        Some(v) if v.partner_id == partner_id => Ok(v),
        _ => Err(ApiError::not_found("submission")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    pub lang: Option<String>,
}

/// GET /api/v1/partner/submissions/{plugin}/{version}/preview?lang=de —
/// the listing of one of the partner's versions as an admin reading in
/// `lang` would see it, and which texts lack that language (they fall
/// back to English, or another language the manifest has).
pub async fn preview(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
    query: Result<Query<PreviewQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<views::ListingPreview>, ApiError> {
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("query string: {}", e.body_text()),
        )
    })?;
    let lang = query.lang.unwrap_or_else(|| "en".into());
    if lang.len() != 2 || !lang.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(crate::api::field_error(
            "lang",
            "give a two-letter language code such as de, en, fr or es",
        ));
    }
    let v = own_version(&state, &caller, &plugin_id, &version).await?;
    Ok(Json(views::preview(&v, &lang)))
}

/// GET /api/v1/partner/submissions/{plugin}/{version}/icon — the icon of
/// one of the partner's versions, served as the marketplace serves it.
pub async fn submission_icon(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    let v = own_version(&state, &caller, &plugin_id, &version).await?;
    icon_response(&v.manifest)
}
