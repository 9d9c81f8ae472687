//! HR data events: a change made through the API reaches every Connected
//! install subscribed to it through the job queue, in order, and only when
//! the connector may see the record.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use serde_json::{Value, json};

use crate::api::{App, put_json, spawn_app_with, tenant_token};

const TENANT: &str = "t-1";

/// A partner that records the events it is told about.
async fn partner() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let app = axum::Router::new()
        .route(
            "/events",
            post(
                |axum::extract::State(seen): axum::extract::State<Arc<Mutex<Vec<Value>>>>,
                 axum::Json(body): axum::Json<Value>| async move {
                    seen.lock().unwrap().push(body);
                    axum::Json(json!({ "ok": true }))
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// An app with the event test connector connected to `partner`.
async fn connected(partner: &str) -> (App, String) {
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(partner).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 10, 3)
        .await
        .unwrap();
    let bytes = std::fs::read(lockgate_tests::program("test-events")).unwrap();
    let sha = app.state.artifacts.put(&bytes).unwrap();
    app.store
        .create_install(&lockgate::store::InstallRecord {
            id: "inst-events".into(),
            tenant_id: TENANT.into(),
            connector_id: "test-events".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: sha,
            config: [("partner-url".to_string(), format!("http://{partner}"))].into(),
            status: "connected".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let admin = tenant_token(&app, TENANT, true).await;
    (app, admin)
}

/// Waits until the partner has heard `n` events; returns them.
async fn heard(seen: &Arc<Mutex<Vec<Value>>>, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = seen.lock().unwrap().clone();
        if now.len() >= n {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "heard only {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn employee(hire: &str, extra: Value) -> String {
    let mut body = json!({ "first_name": "Zoë", "last_name": "Van den Berg", "hire_date": hire });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body.to_string()
}

fn today_plus(days: i64) -> String {
    lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), days))
}

#[tokio::test]
async fn changes_reach_subscribed_installs_in_order_and_only_when_visible() {
    let (addr, seen) = partner().await;
    let (app, admin) = connected(&addr).await;
    let path = |id: &str| format!("/api/v1/tenants/{TENANT}/employees/{id}");

    // Created, then updated: heard in that order, each as a run.
    let (status, body) = put_json(
        &app,
        &admin,
        &path("n-1"),
        &employee(&today_plus(-5), json!({})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = put_json(
        &app,
        &admin,
        &path("n-1"),
        &employee(&today_plus(-5), json!({ "department": "Sales" })),
    )
    .await;
    assert_eq!(status, 200);
    // Writing the same again is no change, and no event.
    put_json(
        &app,
        &admin,
        &path("n-1"),
        &employee(&today_plus(-5), json!({ "department": "Sales" })),
    )
    .await;
    let events = heard(&seen, 2).await;
    assert_eq!(
        events[0],
        json!({ "event": "employee-created", "id": "n-1" })
    );
    assert_eq!(
        events[1],
        json!({ "event": "employee-updated", "id": "n-1" })
    );

    // Not seen: a future hire, and an employee the tenant excluded.
    put_json(
        &app,
        &admin,
        &path("n-2"),
        &employee(&today_plus(30), json!({})),
    )
    .await;
    put_json(
        &app,
        &admin,
        &path("n-3"),
        &employee(
            &today_plus(-5),
            json!({ "include_in": { "test-events": false } }),
        ),
    )
    .await;
    // An absence inside the window, then cancelled; one far outside it.
    let absence = |id: &str, start: &str, status: &str| {
        json!({
            "employee_id": "n-1", "type_name": "Vacation",
            "start_date": start, "end_date": start, "status": status,
        })
        .to_string()
    };
    let apath = |id: &str| format!("/api/v1/tenants/{TENANT}/absences/{id}");
    put_json(
        &app,
        &admin,
        &apath("a-far"),
        &absence("a-far", &today_plus(200), "approved"),
    )
    .await;
    put_json(
        &app,
        &admin,
        &apath("a-1"),
        &absence("a-1", &today_plus(10), "approved"),
    )
    .await;
    put_json(
        &app,
        &admin,
        &apath("a-1"),
        &absence("a-1", &today_plus(10), "cancelled"),
    )
    .await;
    // Terminated (visible until the last day): heard.
    put_json(
        &app,
        &admin,
        &path("n-1"),
        &employee(
            &today_plus(-5),
            json!({ "department": "Sales", "termination_date": today_plus(3) }),
        ),
    )
    .await;

    let events = heard(&seen, 5).await;
    assert_eq!(
        events[2..5],
        [
            json!({ "event": "absence-created", "id": "a-1" }),
            json!({ "event": "absence-cancelled", "id": "a-1" }),
            json!({ "event": "employee-terminated", "id": "n-1" }),
        ],
        "in order, nothing about n-2, n-3 or a-far: {events:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.lock().unwrap().len(), 5, "no more than that");

    // Each delivery is a run in monitoring, with its row.
    let runs = app.store.runs_of_install("inst-events").await.unwrap();
    assert_eq!(runs.len(), 5, "{runs:?}");
    assert!(
        runs.iter()
            .all(|r| r.kind == "event" && r.status == "successful"),
        "{runs:?}"
    );
    assert!(runs.iter().any(|r| r.trigger == "absence-cancelled"));
}
