//! A payroll tool's API on loopback, as the payroll-export README
//! describes it: an account check and one `PUT` per employee and month,
//! with employees it can be told to reject.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{Value, json};

pub const PAYROLL_KEY: &str = "s3cret-payroll-key";

/// What the tool answers a rejected employee, verbatim.
pub fn rejection(id: &str) -> String {
    format!(r#"{{"error":"no tax class on file for {id}"}}"#)
}

#[derive(Default)]
pub struct PayrollState {
    /// Every accepted record, in order: month, employee id, body.
    pub received: Vec<(String, String, Value)>,
    /// Every employee a `PUT` was made for, accepted or not, in order.
    pub attempted: Vec<(String, String)>,
    /// Employees answered 422 with [`rejection`].
    pub reject: BTreeSet<String>,
}

pub struct FakePayroll {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<PayrollState>>,
}

type Shared = Arc<Mutex<PayrollState>>;

impl FakePayroll {
    pub async fn start() -> FakePayroll {
        let state: Shared = Arc::default();
        let app = Router::new()
            .route("/api/v1/account", get(account))
            .route("/api/v1/payroll/{month}/employees/{id}", put(put_month))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePayroll { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn reject(&self, id: &str) {
        self.state.lock().unwrap().reject.insert(id.to_string());
    }

    pub fn accept(&self, id: &str) {
        self.state.lock().unwrap().reject.remove(id);
    }

    /// The accepted records so far, and forgets them.
    pub fn take(&self) -> Vec<(String, String, Value)> {
        let mut state = self.state.lock().unwrap();
        state.attempted.clear();
        std::mem::take(&mut state.received)
    }

    /// The employees a `PUT` was made for since the last [`take`](Self::take).
    pub fn attempted(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().attempted.clone()
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {PAYROLL_KEY}"))
}

async fn account(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response();
    }
    Json(json!({"name": "Fake payroll"})).into_response()
}

async fn put_month(
    State(state): State<Shared>,
    Path((month, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response();
    }
    let mut state = state.lock().unwrap();
    state.attempted.push((month.clone(), id.clone()));
    if state.reject.contains(&id) {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            [("content-type", "application/json")],
            rejection(&id),
        )
            .into_response();
    }
    if body["month"] != month.as_str() || body["employeeId"] != id.as_str() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "the body names another month or employee"})),
        )
            .into_response();
    }
    state.received.push((month, id, body));
    Json(json!({"status": "accepted"})).into_response()
}
