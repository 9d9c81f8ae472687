//! A job board's API on loopback, as the job-board connector's README
//! describes it: the applications received since an instant, a page at a
//! time, and one application by its id, behind an API key. It also builds
//! the board's applications and webhook deliveries for the tests.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{Value, json};

pub const BOARD_KEY: &str = "board-key-7731";

/// Applications per page: small, so that a sync reads several.
pub const PAGE_SIZE: usize = 2;

#[derive(Default)]
pub struct BoardState {
    /// Every application the board received, each with `submitted_at`.
    pub applications: Vec<Value>,
    /// The `since` of every list call, in order.
    pub listed_since: Vec<String>,
    /// Ids asked for one by one, in order.
    pub fetched: Vec<String>,
    /// Authorization headers seen.
    pub auth: Vec<String>,
}

pub struct FakeBoard {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<BoardState>>,
}

type Shared = State<Arc<Mutex<BoardState>>>;

impl FakeBoard {
    pub async fn start() -> FakeBoard {
        let state: Arc<Mutex<BoardState>> = Arc::default();
        let app = Router::new()
            .route("/api/v1/applications", get(list))
            .route("/api/v1/applications/{id}", get(one))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeBoard { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The install's configuration for this board.
    pub fn config(&self) -> Value {
        json!({ "board-url": self.url(), "api-key": BOARD_KEY })
    }

    /// The board receives `application` now.
    pub fn receive(&self, application: &Value) {
        self.receive_at(application, &now());
    }

    /// The board received `application` at `instant`.
    pub fn receive_at(&self, application: &Value, instant: &str) {
        let mut application = application.clone();
        application["submitted_at"] = json!(instant);
        self.state.lock().unwrap().applications.push(application);
    }

    pub fn listed_since(&self) -> Vec<String> {
        self.state.lock().unwrap().listed_since.clone()
    }

    pub fn fetched(&self) -> Vec<String> {
        self.state.lock().unwrap().fetched.clone()
    }
}

/// Now, to the second, as the board writes instants.
pub fn now() -> String {
    let now = lockgate::time::now_text();
    format!("{}Z", &now[..19])
}

/// The base64 the board sends a file as.
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An application of `first last` for the job with `reference` and
/// `title`, with a CV.
pub fn application(
    id: &str,
    reference: Option<&str>,
    title: &str,
    (first, last): (&str, &str),
) -> Value {
    json!({
        "id": id,
        "job": { "reference": reference, "title": title },
        "candidate": {
            "first_name": first,
            "last_name": last,
            "email": format!("{id}@example.org"),
            "phone": "+49 30 1234567",
        },
        "cover_letter": format!("Dear team, {first} here."),
        "source": "LinkedIn",
        "attachments": [
            { "file_name": "cv.pdf", "content_type": "application/pdf", "data_base64": base64(&cv(first)) }
        ],
    })
}

/// The CV `application` attaches.
pub fn cv(first: &str) -> Vec<u8> {
    format!("%PDF-1.4 the CV of {first}").into_bytes()
}

/// The webhook delivery of `application`.
pub fn created(application: &Value) -> Value {
    json!({ "type": "application.created", "application": application })
}

fn authorized(state: &Mutex<BoardState>, headers: &HeaderMap) -> bool {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let ok = auth == format!("Bearer {BOARD_KEY}");
    state.lock().unwrap().auth.push(auth);
    ok
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "unknown API key" })),
    )
        .into_response()
}

async fn list(
    State(state): Shared,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let (Some(since), Some(page)) = (
        q.get("since"),
        q.get("page").and_then(|p| p.parse::<usize>().ok()),
    ) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "since and page are required" })),
        )
            .into_response();
    };
    let mut state = state.lock().unwrap();
    state.listed_since.push(since.clone());
    let mut received: Vec<&Value> = state
        .applications
        .iter()
        .filter(|a| a["submitted_at"].as_str().unwrap_or("") >= since.as_str())
        .collect();
    received.sort_by_key(|a| a["submitted_at"].as_str().unwrap_or("").to_string());
    let start = page.saturating_sub(1) * PAGE_SIZE;
    let items: Vec<Value> = received
        .iter()
        .skip(start)
        .take(PAGE_SIZE)
        .map(|a| (*a).clone())
        .collect();
    let next = (start + PAGE_SIZE < received.len()).then_some(page + 1);
    Json(json!({ "applications": items, "next_page": next })).into_response()
}

async fn one(State(state): Shared, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let mut state = state.lock().unwrap();
    state.fetched.push(id.clone());
    match state.applications.iter().find(|a| a["id"] == id.as_str()) {
        Some(a) => Json(a.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such application" })),
        )
            .into_response(),
    }
}
