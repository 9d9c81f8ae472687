//! Partner submissions, the operator's review queue and the marketplace.

use crate::api::JsonBody;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use lockgate_manifest::manifest::localized;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::access::{forbidden, marketplace_right, operator_only};
use super::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::auth::Role;
use crate::store::catalog::{CatalogError, Decision, PluginVersion};

/// Largest connector file accepted.
pub const MAX_UPLOAD_BYTES: usize = 32 << 20;

/// Tier badges the operator can award.
pub const TIERS: [&str; 3] = ["select", "elite", "premier"];

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotOwner(_)
            | CatalogError::VersionExists(..)
            | CatalogError::NotPending(..) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            CatalogError::Store(crate::store::StoreError::NotFound(_)) => {
                ApiError::not_found("submission")
            }
            CatalogError::Store(e) => ApiError::internal(e),
        }
    }
}

/// A version as its partner and the operator see it.
fn submission_view(v: &PluginVersion) -> Value {
    json!({
        "plugin_id": v.plugin_id,
        "version": v.version,
        "status": v.status,
        "review_reasons": v.review_reasons,
        "sha256": v.sha256,
        "size": v.size,
        "submitted_at": v.submitted_at,
        "reviewed_at": v.reviewed_at,
        "tier": v.tier,
        "listed": v.listed,
        "review_report": v.review_report.clone().unwrap_or_else(|| json!({ "pending": true })),
    })
}

/// What the operator reviews: the submission plus what it asks for.
fn review_view(v: &PluginVersion) -> Value {
    let mut view = submission_view(v);
    view["partner_id"] = json!(v.partner_id);
    view["name"] = json!(v.manifest.name);
    view["imports"] = json!(v.imports);
    view["scopes"] = json!(
        v.manifest
            .scopes
            .iter()
            .map(|s| json!({ "scope": s.as_str(), "means": s.describe() }))
            .collect::<Vec<_>>()
    );

    view["absence_window"] = json!(v.manifest.absence_window);
    view["hosts"] = json!(v.manifest.hosts);
    view["secrets_injected"] = json!(
        v.manifest
            .config
            .iter()
            .filter_map(|f| f
                .inject
                .as_ref()
                .map(|i| json!({ "field": f.key, "header": i.header, "host": i.host })))
            .collect::<Vec<_>>()
    );
    view["oauth2"] = json!(v.manifest.oauth2.as_ref().map(|o| json!({
        "token_url": o.token_url,
        "client_id_field": o.client_id,
        "client_secret_field": o.client_secret,
        "host": o.host,
    })));
    view
}

/// POST /api/v1/partner/submissions — the body is the `.wasm` file.
pub async fn submit(
    State(state): State<App>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (partner_id, first_party) = match caller.role {
        Role::Partner => (caller.partner_id.clone().unwrap_or_default(), false),
        // The operator submits the platform's own connectors.
        Role::Operator => ("lockgate".to_string(), true),
        Role::TenantAdmin => return Err(forbidden("only partners submit connectors")),
    };
    let body = body.map_err(|e| {
        super::body_error(
            e,
            format!(
                "a connector file may be at most {} MiB",
                MAX_UPLOAD_BYTES >> 20
            ),
        )
    })?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "send the .wasm file as the request body",
        ));
    }
    let inspection = lockgate_manifest::inspect(&body);
    let Some(manifest) = inspection
        .manifest
        .clone()
        .filter(|_| inspection.is_acceptable())
    else {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_connector",
            format!(
                "the connector was refused for {} reason(s)",
                inspection.problems.len()
            ),
        );
        error.fields = inspection
            .problems
            .iter()
            .map(|p| FieldProblem {
                field: "component".into(),
                message: p.to_string(),
            })
            .collect();
        return Err(error);
    };
    let sha256 = state.artifacts.put(&body).map_err(ApiError::internal)?;
    let version = state
        .store
        .submit_version(
            &partner_id,
            first_party,
            &manifest,
            &sha256,
            inspection.size,
            &inspection.imports,
        )
        .await?;
    if version.review_report.is_none() {
        tokio::spawn(crate::review::review_submission(
            state.clone(),
            version.plugin_id.clone(),
            version.version.clone(),
        ));
    }
    Ok((StatusCode::CREATED, Json(submission_view(&version))))
}

/// POST /api/v1/review/{plugin}/{version}/vet — run the automated review
/// again and return the submission with the fresh report (operator).
pub async fn revet(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    operator_only(&caller, "only the operator reviews")?;
    if state
        .store
        .plugin_version(&plugin_id, &version)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("submission"));
    }
    crate::review::review_submission(state.clone(), plugin_id.clone(), version.clone()).await;
    let v = state
        .store
        .plugin_version(&plugin_id, &version)
        .await?
        .ok_or_else(|| ApiError::not_found("submission"))?;
    Ok(Json(review_view(&v)))
}

/// GET /api/v1/partner/submissions — the caller's own.
pub async fn my_submissions(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<Value>, ApiError> {
    let partner_id = match caller.role {
        Role::Partner => caller.partner_id.clone().unwrap_or_default(),
        Role::Operator => "lockgate".to_string(),
        Role::TenantAdmin => return Err(forbidden("only partners have submissions")),
    };
    let versions = state.store.partner_versions(&partner_id).await?;
    Ok(Json(
        json!({ "items": versions.iter().map(submission_view).collect::<Vec<_>>() }),
    ))
}

/// GET /api/v1/review/queue — the operator's queue.
pub async fn review_queue(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<Value>, ApiError> {
    operator_only(&caller, "only the operator reviews submissions")?;
    let queue = state.store.review_queue().await?;
    Ok(Json(
        json!({ "items": queue.iter().map(review_view).collect::<Vec<_>>() }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    pub decision: String,
    #[serde(default)]
    pub tier: Option<String>,
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Why to approve although the review report has failing checks.
    #[serde(default, rename = "override")]
    pub override_reason: Option<String>,
}

/// A version is approved only with its review report; one with failing
/// checks only with an explicit override, whose reason is kept and shown
/// to the partner. A report still being made is made now.
async fn approval_note(
    state: &App,
    plugin_id: &str,
    version: &str,
    override_reason: Option<String>,
) -> Result<Option<String>, ApiError> {
    let Some(mut current) = state.store.plugin_version(plugin_id, version).await? else {
        return Err(ApiError::not_found("submission"));
    };
    if current.status == "submitted" && current.review_report.is_none() {
        crate::review::review_submission(state.clone(), plugin_id.into(), version.into()).await;
        current = state
            .store
            .plugin_version(plugin_id, version)
            .await?
            .ok_or_else(|| ApiError::not_found("submission"))?;
    }
    let failing: Vec<String> = current
        .review_report
        .as_ref()
        .and_then(|r| r["checks"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .map(|c| {
            format!(
                "{}: {}",
                c["name"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    let reason = override_reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    match (failing.is_empty(), reason) {
        (true, _) => Ok(None),
        (false, Some(reason)) => Ok(Some(format!(
            "approved although {} review check(s) failed: {reason}",
            failing.len()
        ))),
        (false, None) => Err(super::field_error(
            "override",
            &format!(
                "the review report has {} failing check(s) ({}); fix them, reject, or approve with an override saying why",
                failing.len(),
                failing.join("; ")
            ),
        )),
    }
}

/// POST /api/v1/review/{plugin}/{version} — approve with a tier or reject
/// with reasons.
pub async fn decide(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
    body: Result<JsonBody<ReviewBody>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    operator_only(&caller, "only the operator reviews submissions")?;
    let JsonBody(body) = body?;
    let decision = match body.decision.as_str() {
        "approve" => {
            let tier = body.tier.unwrap_or_default();
            if !TIERS.contains(&tier.as_str()) {
                return Err(super::field_error(
                    "tier",
                    "give one of select, elite, premier",
                ));
            }
            let note = approval_note(&state, &plugin_id, &version, body.override_reason).await?;
            Decision::Approve { tier, note }
        }
        "reject" => {
            let reasons: Vec<String> = body
                .reasons
                .into_iter()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            if reasons.is_empty() {
                return Err(super::field_error(
                    "reasons",
                    "say why, so the partner can fix it",
                ));
            }
            Decision::Reject { reasons }
        }
        _ => return Err(super::field_error("decision", "give approve or reject")),
    };
    let version = state.store.review(&plugin_id, &version, decision).await?;
    Ok(Json(review_view(&version)))
}

/// The caller's language from `Accept-Language`, `en` when none fits.
pub fn language(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|tag| {
            tag.split([';', '-'])
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|l| l.len() == 2)
        .unwrap_or_else(|| "en".into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketplaceQuery {
    pub q: Option<String>,
    pub category: Option<String>,
    pub tier: Option<String>,
    pub first_party: Option<bool>,
    pub direction: Option<String>,
}

#[derive(Serialize)]
struct Listing {
    id: String,
    name: String,
    description: String,
    categories: Vec<String>,
    direction: lockgate_manifest::Direction,
    tier: Option<String>,
    first_party: bool,
    developer: String,
    version: String,
}

fn listing(v: &PluginVersion, lang: &str) -> Listing {
    Listing {
        id: v.plugin_id.clone(),
        name: localized(&v.manifest.name, lang).to_string(),
        description: localized(&v.manifest.description, lang).to_string(),
        categories: v.manifest.categories.clone(),
        direction: v.manifest.direction,
        tier: v.tier.clone(),
        first_party: v.first_party,
        developer: v.manifest.publisher.clone(),
        version: v.version.clone(),
    }
}

/// GET /api/v1/marketplace — approved connectors, searchable and filtered.
pub async fn marketplace(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    query: Result<Query<MarketplaceQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    marketplace_right(&caller)?;
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("query string: {}", e.body_text()),
        )
    })?;
    let lang = language(&headers);
    let needle = query
        .q
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.trim().is_empty());
    let items: Vec<Listing> = state
        .store
        .listed()
        .await?
        .iter()
        .filter(|v| {
            let m = &v.manifest;
            let text_hit = needle.as_ref().is_none_or(|q| {
                m.id.contains(q.as_str())
                    || m.name
                        .values()
                        .chain(m.description.values())
                        .any(|t| t.to_lowercase().contains(q.as_str()))
            });
            text_hit
                && query
                    .category
                    .as_ref()
                    .is_none_or(|c| m.categories.contains(c))
                && query
                    .tier
                    .as_ref()
                    .is_none_or(|t| v.tier.as_ref() == Some(t))
                && query.first_party.is_none_or(|f| v.first_party == f)
                && query.direction.as_ref().is_none_or(|d| {
                    serde_json::to_value(m.direction)
                        .ok()
                        .and_then(|x| x.as_str().map(String::from))
                        .as_deref()
                        == Some(d.as_str())
                })
        })
        .map(|v| listing(v, &lang))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// GET /api/v1/marketplace/{id} — what a tenant admin reads before
/// connecting.
pub async fn marketplace_detail(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    marketplace_right(&caller)?;
    let lang = language(&headers);
    let Some(v) = state
        .store
        .listed()
        .await?
        .into_iter()
        .find(|v| v.plugin_id == id)
    else {
        return Err(ApiError::not_found("connector"));
    };
    let m = &v.manifest;
    let mut detail = serde_json::to_value(listing(&v, &lang)).map_err(ApiError::internal)?;
    detail["language"] = json!(lang);
    detail["configuration"] = json!(
        m.config
            .iter()
            .map(|f| json!({
                "key": f.key,
                "label": localized(&f.label, &lang),
                "help": f.help.as_ref().map(|h| localized(h, &lang)),
                "type": f.kind.as_str(),
                "required": f.required,
                "default": f.default,
                "options": f.options,
                "secret": f.secret,
            }))
            .collect::<Vec<_>>()
    );
    detail["permissions"] = json!(m.scopes.iter().map(|s| s.describe()).collect::<Vec<_>>());
    detail["absence_window"] = json!(m.absence_window);
    detail["hosts"] = json!(m.hosts);
    detail["price"] = json!(m.price.as_ref().map(|p| localized(p, &lang)));
    detail["support_url"] = json!(m.support_url);
    detail["schedule"] = json!(m.triggers.schedule);
    Ok(Json(detail))
}
