//! A time-tracking tool's API on loopback, as the time-tracking README
//! describes it: the account check, the entries of a day (two per page, so
//! a day of a few entries is already paged) and one entry by id.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

pub const TOOL_TOKEN: &str = "tt-token-5f1c9a";

/// Entries per page.
const PAGE: usize = 2;

#[derive(Default)]
pub struct ToolState {
    /// The tool's entries by id.
    pub entries: BTreeMap<String, Value>,
    /// The token is refused from now on (revoked in the tool).
    pub revoked: bool,
    /// Every path and query asked for, in order.
    pub requests: Vec<String>,
}

#[derive(Clone)]
pub struct Tool {
    pub addr: String,
    pub state: Arc<Mutex<ToolState>>,
}

impl Tool {
    pub async fn start() -> Tool {
        let state: Arc<Mutex<ToolState>> = Arc::default();
        let app = Router::new()
            .route("/api/v1/me", get(me))
            .route("/api/v1/entries", get(entries))
            .route("/api/v1/entries/{id}", get(one_entry))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Tool { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds or replaces an entry in the tool (no webhook is sent).
    pub fn put(&self, entry: &Value) {
        let id = entry["id"].as_str().expect("an entry id").to_string();
        self.state.lock().unwrap().entries.insert(id, entry.clone());
    }

    /// Deletes an entry in the tool (no webhook is sent).
    pub fn delete(&self, id: &str) {
        self.state.lock().unwrap().entries.remove(id);
    }

    pub fn revoke(&self) {
        self.state.lock().unwrap().revoked = true;
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }
}

/// A closed entry: clock-in at `start`, clock-out at `end`.
pub fn entry(id: &str, number: &str, date: &str, start: &str, end: Option<&str>) -> Value {
    json!({
        "id": id,
        "employee_number": number,
        "email": null,
        "date": date,
        "start": start,
        "end": end,
        "break_minutes": 0,
        "project": null,
        "note": null,
    })
}

fn authorized(state: &Mutex<ToolState>, headers: &HeaderMap, request: String) -> bool {
    let mut state = state.lock().unwrap();
    state.requests.push(request);
    !state.revoked
        && headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOOL_TOKEN}"))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "invalid API token" })),
    )
        .into_response()
}

async fn me(State(state): State<Arc<Mutex<ToolState>>>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers, "/api/v1/me".into()) {
        return unauthorized();
    }
    Json(json!({ "workspace": "Acme" })).into_response()
}

async fn entries(
    State(state): State<Arc<Mutex<ToolState>>>,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let date = query.get("date").cloned().unwrap_or_default();
    let page: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    if !authorized(
        &state,
        &headers,
        format!("/api/v1/entries?date={date}&page={page}"),
    ) {
        return unauthorized();
    }
    if page == 0 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "pages start at 1" })),
        )
            .into_response();
    }
    let state = state.lock().unwrap();
    let of_day: Vec<&Value> = state
        .entries
        .values()
        .filter(|e| e["date"] == date.as_str())
        .collect();
    let items: Vec<&Value> = of_day
        .iter()
        .skip((page - 1) * PAGE)
        .take(PAGE)
        .copied()
        .collect();
    let next_page = (page * PAGE < of_day.len()).then_some(page + 1);
    Json(json!({ "entries": items, "next_page": next_page })).into_response()
}

async fn one_entry(
    State(state): State<Arc<Mutex<ToolState>>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&state, &headers, format!("/api/v1/entries/{id}")) {
        return unauthorized();
    }
    match state.lock().unwrap().entries.get(&id) {
        Some(entry) => Json(entry.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such entry" })),
        )
            .into_response(),
    }
}
