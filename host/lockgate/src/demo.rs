//! The built-in demo partner: a small planning tool that speaks the planner
//! API the bundled `planner-export` connector uses (see its README), held
//! in memory. `lockgate demo` runs the connector against it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The bundled planner export connector.
pub const PLANNER_EXPORT: &[u8] = include_bytes!(env!("BUNDLED_PLANNER_EXPORT_WASM"));

/// The API key the demo planner accepts.
pub const DEMO_API_KEY: &str = "demo-planner-key";

type Resources = Arc<Mutex<BTreeMap<String, Value>>>;

/// A running demo planner on loopback.
pub struct DemoPlanner {
    addr: SocketAddr,
    resources: Resources,
    _task: tokio::task::JoinHandle<()>,
}

impl DemoPlanner {
    pub async fn start() -> std::io::Result<DemoPlanner> {
        let resources: Resources = Arc::default();
        let app = Router::new()
            .route("/api/v1/account", get(account))
            .route("/api/v1/resources/batch", post(batch))
            .with_state(resources.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(DemoPlanner {
            addr,
            resources,
            _task: task,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    pub fn resource_count(&self) -> usize {
        self.resources.lock().map(|r| r.len()).unwrap_or(0)
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {DEMO_API_KEY}"))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "invalid API key" })),
    )
        .into_response()
}

async fn account(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    Json(json!({ "name": "Demo planner" })).into_response()
}

async fn batch(
    State(resources): State<Resources>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Some(items) = body.get("resources").and_then(Value::as_array) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "resources missing" })),
        )
            .into_response();
    };
    let mut store = match resources.lock() {
        Ok(s) => s,
        Err(e) => e.into_inner(),
    };
    let results: Vec<Value> = items
        .iter()
        .map(|item| {
            let id = item
                .get("externalId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if id.is_empty() {
                return json!({ "externalId": id, "code": 422, "error": "externalId is required" });
            }
            let created = store.insert(id.clone(), item.clone()).is_none();
            json!({
                "externalId": id,
                "code": if created { 201 } else { 200 },
                "result": if created { "created" } else { "updated" },
            })
        })
        .collect();
    Json(json!({ "results": results })).into_response()
}
