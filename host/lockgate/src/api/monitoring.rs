//! Monitoring of a tenant's installs: runs per install (newest first, with
//! counts by operation and status), one run with its log, its rows filtered
//! by status or employee, and the audit trail of every read and write of
//! HR data as JSON Lines.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::answers::{RowPage, RunCounts, RunPage, RunView};

use super::access::read_access;
use super::{ApiError, Caller};
use crate::app::App;
use crate::monitoring::RunRecord;
use crate::vocabulary::{Operation, RowStatus};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text())
}

pub(super) fn bad_cursor() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_cursor",
        "cursor: pass the next_cursor of the previous page unchanged",
    )
}

/// A page cursor as clients see it: the page's last key, hex-encoded, so
/// it travels in a query unchanged. A cursor only positions a page the
/// caller may read anyway: one that is not hex of text is refused, one
/// made up from a key is read as that position (the API document states
/// the same pattern).
pub(super) fn encode_cursor(key: &str) -> String {
    hex::encode(key)
}

/// The key in a cursor from [`encode_cursor`]; anything else is
/// `400 bad_cursor`. No key holds a control character (the document's
/// pattern excludes them too), and PostgreSQL text cannot hold a NUL.
pub(super) fn decode_cursor(cursor: &str) -> Result<String, ApiError> {
    hex::decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|key| !key.is_empty() && !key.bytes().any(|b| b < 0x20))
        .ok_or_else(bad_cursor)
}

/// A run with its row counts by operation and status.
fn run_view(run: &RunRecord, counts: BTreeMap<(Operation, RowStatus), i64>) -> RunView {
    let mut by_operation: BTreeMap<Operation, BTreeMap<RowStatus, i64>> = BTreeMap::new();
    let mut by_status: BTreeMap<RowStatus, i64> = BTreeMap::new();
    for ((operation, status), n) in counts {
        *by_status.entry(status).or_default() += n;
        by_operation.entry(operation).or_default().insert(status, n);
    }
    RunView {
        run: run.clone(),
        status_label: run.status.label(),
        counts: RunCounts {
            by_operation,
            by_status,
        },
        log: None,
    }
}

/// GET …/installs/{id}/runs?cursor=&limit= — newest first.
pub async fn runs(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Json<RunPage>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let Query(query) = query.map_err(bad_query)?;
    let install = match state.store.install(&id).await? {
        Some(i) if i.tenant_id == tenant => i,
        _ => return Err(ApiError::not_found("install")),
    };
    let limit = i64::from(query.limit.unwrap_or(50).clamp(1, 200));
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(c) => {
            let text = decode_cursor(c)?;
            let (at, run) = text.split_once('|').ok_or_else(bad_cursor)?;
            Some((at.to_string(), run.to_string()))
        }
    };
    let page = state
        .store
        .runs_page(
            &install.id,
            cursor.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            limit + 1,
        )
        .await?;
    let more = page.len() as i64 > limit;
    let page = &page[..page.len().min(limit as usize)];
    let next = more
        .then(|| page.last())
        .flatten()
        .map(|r| encode_cursor(&format!("{}|{}", r.started_at, r.id)));
    let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
    let mut counts = state.store.runs_counts(&ids).await?;
    let items = page
        .iter()
        .map(|run| run_view(run, counts.remove(&run.id).unwrap_or_default()))
        .collect();
    Ok(Json(RunPage {
        items,
        next_cursor: next,
    }))
}

async fn find_run(state: &App, tenant: &str, run_id: &str) -> Result<RunRecord, ApiError> {
    match state.store.run(run_id).await? {
        Some(r) if r.tenant_id == tenant => Ok(r),
        _ => Err(ApiError::not_found("run")),
    }
}

/// GET /api/v1/tenants/{tenant}/runs/{run} — one run with counts and log.
pub async fn run(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, run_id)): Path<(String, String)>,
) -> Result<Json<RunView>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let run = find_run(&state, &tenant, &run_id).await?;
    let mut view = run_view(&run, state.store.run_counts(&run.id).await?);
    view.log = Some(state.store.run_logs(&run.id).await?);
    Ok(Json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    pub status: Option<String>,
    pub employee: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// GET /api/v1/tenants/{tenant}/runs/{run}/rows?status=&employee=&cursor=&limit=
pub async fn rows(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, run_id)): Path<(String, String)>,
    query: Result<Query<RowsQuery>, QueryRejection>,
) -> Result<Json<RowPage>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let Query(query) = query.map_err(bad_query)?;
    let run = find_run(&state, &tenant, &run_id).await?;
    let status = match query.status.as_deref() {
        None => None,
        Some(status) => Some(status.parse::<RowStatus>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_query",
                "status: one of success, failed, skipped",
            )
        })?),
    };
    let after = match &query.cursor {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| bad_cursor())?),
    };
    let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 1000));
    let mut page = state
        .store
        .run_rows(&run.id, status, query.employee.as_deref(), after, limit + 1)
        .await?;
    let more = page.len() as i64 > limit;
    page.truncate(limit as usize);
    let next = more
        .then(|| page.last().map(|r| r.seq.to_string()))
        .flatten();
    Ok(Json(RowPage {
        run: run.id,
        items: page,
        next_cursor: next,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: String,
    pub install: Option<String>,
}

/// GET /api/v1/tenants/{tenant}/audit?from=&to=&install= — every read and
/// write of HR data connectors made, as JSON Lines, oldest first.
pub async fn audit(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    read_access(&state, &caller, &tenant).await?;
    let Query(query) = query.map_err(bad_query)?;
    let from = crate::time::parse_date(&query.from)
        .ok_or_else(|| super::field_error("from", "give a date, YYYY-MM-DD"))?;
    let to = crate::time::parse_date(&query.to)
        .ok_or_else(|| super::field_error("to", "give a date, YYYY-MM-DD"))?;
    if to < from {
        return Err(super::field_error("to", "is before from"));
    }
    let start = format!("{}T00:00:00.000000Z", crate::time::date_text(from));
    let end = format!(
        "{}T00:00:00.000000Z",
        crate::time::date_text(crate::time::add_days(to, 1))
    );
    let lines = state
        .store
        .audit_trail(&tenant, &start, &end, query.install.as_deref())
        .await?;
    let mut body = String::new();
    for line in lines {
        body.push_str(&line.to_string());
        body.push('\n');
    }
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/x-ndjson"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}
