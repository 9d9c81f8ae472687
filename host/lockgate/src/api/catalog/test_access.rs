//! A submission's test access: the partner's test API and test
//! credentials for the review, sealed like install secrets and shown to no
//! one. Giving or withdrawing it starts the review again.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::views::{Submission, submission_view};
use crate::api::{ApiError, Caller, FieldProblem, JsonBody};
use crate::app::App;
use crate::review::TestAccess;
use crate::store::catalog::PluginVersion;

/// The longest configuration value test access takes, in characters.
const MAX_VALUE_CHARS: usize = 4000;

/// `PUT /api/v1/partner/submissions/{plugin}/{version}/test-access`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestAccessInput {
    /// The partner's test API, `https://sandbox.partner.example[/base]`
    /// (`http://` only where the operator allows it): every request the
    /// connector makes in the review goes there.
    pub url: String,
    /// Configuration values for the review, credentials included, by
    /// field key (as `plugin vet --config`); the fields not given are
    /// sampled. Texts, numbers or true/false.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
}

/// The version, if the caller submitted it (a partner its own, the
/// operator the first-party ones); anyone else learns nothing of it.
async fn own_submission(
    state: &App,
    caller: &crate::auth::Principal,
    plugin_id: &str,
    version: &str,
) -> Result<PluginVersion, ApiError> {
    let (partner_id, _) = super::submitter(caller)?;
    match state.store.plugin_version(plugin_id, version).await? {
        Some(v) if v.partner_id == partner_id => Ok(v),
        _ => Err(ApiError::not_found("submission")),
    }
}

/// The configuration values, checked against the connector's form; the
/// problems name the field and never repeat a value.
fn checked_config(
    version: &PluginVersion,
    input: &Map<String, Value>,
) -> Result<BTreeMap<String, String>, Vec<FieldProblem>> {
    let manifest = &version.manifest;
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for (key, value) in input {
        let name = format!("config.{key}");
        let Some(field) = manifest.field(key) else {
            let known: Vec<_> = manifest.config.iter().map(|f| f.key.as_str()).collect();
            problems.push(FieldProblem::new(
                name,
                format!(
                    "the connector has no such field; it has {}",
                    known.join(", ")
                ),
            ));
            continue;
        };
        let text = match value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                problems.push(FieldProblem::new(
                    name,
                    "must be a text, a number or true/false",
                ));
                continue;
            }
        };
        if let Some(problem) = crate::hr::shape::text_problem(&text, MAX_VALUE_CHARS) {
            problems.push(FieldProblem::new(name, problem));
            continue;
        }
        if text.is_empty() {
            problems.push(FieldProblem::new(
                name,
                "is empty; leave the field out to have it sampled",
            ));
            continue;
        }
        let checked = lockgate_manifest::manifest::check_value(field, &text);
        match checked {
            Ok(()) => {
                out.insert(key.clone(), text);
            }
            Err(_) if field.secret => {
                problems.push(FieldProblem::new(name, "does not fit the field's type"))
            }
            Err(why) => problems.push(FieldProblem::new(name, why)),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// PUT …/submissions/{plugin}/{version}/test-access — give (or replace)
/// the test access of a version waiting for review; the review runs again
/// against the partner's test API.
pub async fn put(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
    body: Result<JsonBody<TestAccessInput>, ApiError>,
) -> Result<(StatusCode, Json<Submission>), ApiError> {
    let submitted = own_submission(&state, &caller, &plugin_id, &version).await?;
    let JsonBody(input) = body?;
    let mut problems = Vec::new();
    if let Err(why) = state.operator.partners.test_url(&input.url) {
        problems.push(FieldProblem::new("url", why));
    }
    let config = match checked_config(&submitted, &input.config) {
        Ok(config) => config,
        Err(found) => {
            problems.extend(found);
            BTreeMap::new()
        }
    };
    if !problems.is_empty() {
        return Err(super::invalid_fields(problems));
    }
    let access = TestAccess {
        url: input.url.trim().to_string(),
        config,
    };
    let sealed = access.seal(&state.secrets, &plugin_id, &version);
    let at = crate::time::now_text();
    let updated = state
        .store
        .set_test_access(&plugin_id, &version, Some((&sealed, &at)))
        .await?;
    tracing::info!("test access given for the review of {plugin_id} {version}");
    tokio::spawn(crate::review::review_submission(
        state.clone(),
        plugin_id,
        version,
    ));
    Ok((StatusCode::ACCEPTED, Json(submission_view(&updated))))
}

/// DELETE …/submissions/{plugin}/{version}/test-access — withdraw it; the
/// review runs again against the recorder alone.
pub async fn delete(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((plugin_id, version)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Submission>), ApiError> {
    own_submission(&state, &caller, &plugin_id, &version).await?;
    let updated = state
        .store
        .set_test_access(&plugin_id, &version, None)
        .await?;
    tokio::spawn(crate::review::review_submission(
        state.clone(),
        plugin_id,
        version,
    ));
    Ok((StatusCode::ACCEPTED, Json(submission_view(&updated))))
}
