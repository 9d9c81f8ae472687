//! Partner submissions, the operator's review queue and the marketplace.

use crate::api::JsonBody;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;

mod preview;
pub(super) mod test_access;
pub(super) mod views;
pub use preview::{marketplace_icon, preview, submission_icon};
use views::{
    Listing, ListingDetail, Listings, ReviewItem, ReviewQueue, Submission, Submissions, listing,
    review_view, submission_view,
};

use super::access::{forbidden, marketplace_right, operator_only};
use super::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::auth::Role;
use crate::store::catalog::{CatalogError, Decision};

/// Largest connector file accepted: the upload route's body limit, the
/// `413` message and the OpenAPI document (a test compares it) say this.
pub const MAX_UPLOAD_BYTES: usize = 32 << 20;

/// The longest review reason or override reason, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// The most reasons one rejection gives.
pub const MAX_REASONS: usize = 20;
/// The longest marketplace search or filter value, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

pub use crate::principal::OPERATOR_PUBLISHER;
use crate::principal::{name_key, names_the_operator};

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

/// Whom the caller submits for: a partner for itself, the operator for
/// the platform (first party, under the partner id `lockgate`).
pub(super) fn submitter(caller: &crate::auth::Principal) -> Result<(String, bool), ApiError> {
    match caller.role {
        Role::Partner => {
            let id = caller.partner_id.clone().unwrap_or_default();
            if names_the_operator(&id) {
                return Err(forbidden(
                    "this partner id is reserved for the operator's own connectors; ask the operator for a token with your own partner id",
                ));
            }
            Ok((id, false))
        }
        Role::Operator => Ok(("lockgate".to_string(), true)),
        Role::TenantAdmin => Err(forbidden("only partners submit connectors")),
    }
}

/// Why `publisher` may not stand on a connector `partner_id` submits, if
/// it may not: a partner publishes under its own name (its partner id,
/// compared by [`name_key`]), the operator as Lockgate. The marketplace
/// shows the publisher as the developer.
fn publisher_problem(publisher: &str, partner_id: &str, first_party: bool) -> Option<String> {
    let shown = crate::hr::shape::shown(publisher);
    if first_party {
        return (!names_the_operator(publisher)).then(|| {
            format!(
                "\"{shown}\" is not {OPERATOR_PUBLISHER}; the operator's own connectors are published as \"{OPERATOR_PUBLISHER}\""
            )
        });
    }
    let own = name_key(partner_id);
    if !own.is_empty() && name_key(publisher) == own {
        return None;
    }
    let whose = if names_the_operator(publisher) {
        "the operator's name"
    } else {
        "not your name"
    };
    Some(format!(
        "\"{shown}\" is {whose}; publish under your own name, your partner id \"{partner_id}\" (letters and digits count, case and punctuation do not)"
    ))
}

/// POST /api/v1/partner/submissions — the body is the `.wasm` file.
pub async fn submit(
    State(state): State<App>,
    Caller(caller): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Submission>), ApiError> {
    let (partner_id, first_party) = submitter(&caller)?;
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
    let mut problems: Vec<FieldProblem> = inspection
        .problems
        .iter()
        .map(|p| FieldProblem::new("component", p.to_string()))
        .collect();
    if let Some(problem) = inspection
        .manifest
        .as_ref()
        .and_then(|m| publisher_problem(&m.publisher, &partner_id, first_party))
    {
        problems.push(FieldProblem::new("publisher", problem));
    }
    let asked = u64::from(
        inspection
            .manifest
            .as_ref()
            .and_then(|m| m.memory_mb)
            .unwrap_or(0),
    ) << 20;
    if asked > state.limits.max_memory_bytes {
        problems.push(FieldProblem::new(
            "memory-mb",
            format!(
                "memory-mb asks for {}; this platform gives a connector at most {}",
                crate::policy::Limits::human_bytes(asked),
                crate::policy::Limits::human_bytes(state.limits.max_memory_bytes)
            ),
        ));
    }
    let Some(manifest) = inspection.manifest.clone().filter(|_| problems.is_empty()) else {
        let message = match inspection.problems.as_slice() {
            [lockgate_manifest::inspect::Problem::NotAComponent(_)] => format!(
                "expected a WebAssembly component carrying a {} section (a connector built with lockgate-sdk for wasm32-wasip2); this file is not one",
                lockgate_manifest::MANIFEST_SECTION
            ),
            _ => format!("the connector was refused for {} reason(s)", problems.len()),
        };
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_connector",
            message,
        );
        error.fields = problems;
        return Err(error);
    };
    let sha256 = state
        .artifacts
        .put(&body)
        .await
        .map_err(ApiError::internal)?;
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
) -> Result<Json<ReviewItem>, ApiError> {
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
) -> Result<Json<Submissions>, ApiError> {
    if caller.role == Role::TenantAdmin {
        return Err(forbidden("only partners have submissions"));
    }
    let (partner_id, _) = submitter(&caller)?;
    let versions = state.store.partner_versions(&partner_id).await?;
    Ok(Json(Submissions {
        items: versions.iter().map(submission_view).collect(),
    }))
}

/// GET /api/v1/review/queue — the operator's queue.
pub async fn review_queue(
    State(state): State<App>,
    Caller(caller): Caller,
) -> Result<Json<ReviewQueue>, ApiError> {
    operator_only(&caller, "only the operator reviews submissions")?;
    let queue = state.store.review_queue().await?;
    Ok(Json(ReviewQueue {
        items: queue.iter().map(review_view).collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
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
        if current.review_report.is_none() {
            // New test access arrived meanwhile; its review is under way.
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "review_pending",
                "the review is being made again with the partner's new test access; decide once its report is there",
            ));
        }
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

/// The listed version of connector `id`, or 404.
pub(super) async fn listed_connector(
    state: &App,
    id: &str,
) -> Result<crate::store::catalog::PluginVersion, ApiError> {
    state
        .store
        .listed()
        .await?
        .into_iter()
        .find(|v| v.plugin_id == id)
        .ok_or_else(|| ApiError::not_found("connector"))
}

/// Several fields are wrong: all of them, each with its problem.
pub(super) fn invalid_fields(problems: Vec<FieldProblem>) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; "),
    );
    error.fields = problems;
    error
}

/// The review's free texts, which the partner reads: at most
/// [`MAX_REASONS`] reasons of [`MAX_REASON_CHARS`] characters, an override
/// reason as long, none with a control character or a bidirectional
/// override.
fn check_review_texts(body: &ReviewBody) -> Result<(), ApiError> {
    use crate::hr::shape::text_problem;
    let mut problems = Vec::new();
    if body.reasons.len() > MAX_REASONS {
        problems.push(FieldProblem::new(
            "reasons",
            format!("at most {MAX_REASONS} reasons (has {})", body.reasons.len()),
        ));
    }
    for (i, reason) in body.reasons.iter().enumerate() {
        if let Some(problem) = text_problem(reason, MAX_REASON_CHARS) {
            problems.push(FieldProblem::new(format!("reasons[{i}]"), problem));
        }
    }
    for (field, value) in [
        ("override", &body.override_reason),
        ("tier", &body.tier),
        ("decision", &Some(body.decision.clone())),
    ] {
        if let Some(problem) = value
            .as_deref()
            .and_then(|v| text_problem(v, MAX_REASON_CHARS))
        {
            problems.push(FieldProblem::new(field, problem));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid_fields(problems))
    }
}

/// POST /api/v1/review/{plugin}/{version} — approve with a tier or reject
/// with reasons.
pub async fn decide(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
    body: Result<JsonBody<ReviewBody>, ApiError>,
) -> Result<Json<ReviewItem>, ApiError> {
    operator_only(&caller, "only the operator reviews submissions")?;
    let JsonBody(body) = body?;
    check_review_texts(&body)?;
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

/// GET /api/v1/marketplace — approved connectors, searchable and filtered.
pub async fn marketplace(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    query: Result<Query<MarketplaceQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Listings>, ApiError> {
    marketplace_right(&caller)?;
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("query string: {}", e.body_text()),
        )
    })?;
    let mut problems = Vec::new();
    for (field, value) in [
        ("q", &query.q),
        ("category", &query.category),
        ("tier", &query.tier),
        ("direction", &query.direction),
    ] {
        if let Some(problem) = value
            .as_deref()
            .and_then(|v| crate::hr::shape::text_problem(v, MAX_QUERY_CHARS))
        {
            problems.push(FieldProblem::new(field, problem));
        }
    }
    if !problems.is_empty() {
        return Err(invalid_fields(problems));
    }
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
    Ok(Json(Listings { items }))
}

/// GET /api/v1/marketplace/{id} — what a tenant admin reads before
/// connecting.
pub async fn marketplace_detail(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ListingDetail>, ApiError> {
    marketplace_right(&caller)?;
    let lang = language(&headers);
    let v = listed_connector(&state, &id).await?;
    Ok(Json(views::detail(&v, &lang)))
}
