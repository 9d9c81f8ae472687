//! HR data events: a change made through the API reaches every Connected
//! install subscribed to it through the job queue, in order, and only when
//! the connector may see the record.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use serde_json::{Value, json};

use lockgate_tests::http::put_json;
use lockgate_tests::{TestApp, jobs_settled, spawn_app_with, tenant_token};

const TENANT: &str = "t-1";

/// A partner that records the events it is told about.
pub(crate) async fn partner() -> (String, Arc<Mutex<Vec<Value>>>) {
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
pub(crate) async fn connected(partner: &str) -> (TestApp, String) {
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(partner).unwrap();
    let app = spawn_app_with(operator).await;
    install_events_connector(&app, partner).await;
    let admin = tenant_token(&app, TENANT, true).await;
    (app, admin)
}

/// The event test connector, installed and connected as `inst-events`
/// for a seeded tenant.
pub(crate) async fn install_events_connector(app: &lockgate::app::App, partner: &str) {
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 10, 3)
        .await
        .unwrap();
    let bytes = std::fs::read(lockgate_tests::program("test-events")).unwrap();
    let sha = app.artifacts.put(&bytes).await.unwrap();
    app.store
        .create_install(&lockgate::store::InstallRecord {
            id: "inst-events".into(),
            tenant_id: TENANT.into(),
            connector_id: "test-events".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: sha,
            config: [("partner-url".to_string(), format!("http://{partner}"))].into(),
            status: lockgate::vocabulary::InstallStatus::Connected,
            ..Default::default()
        })
        .await
        .unwrap();
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
async fn working_time_changes_reach_subscribed_installs_whoever_made_them() {
    let (addr, seen) = partner().await;
    let (app, admin) = connected(&addr).await;
    let someone = crate::helpers::visible_in(&app.store, TENANT, "test-events").await[0]
        .id
        .clone();
    let today = today_plus(0);

    // The tenant's admin records a period, then removes it.
    let path = format!("/api/v1/tenants/{TENANT}/attendances/by-hand");
    let period = json!({
        "employee_id": someone, "date": today, "start_time": "07:00",
        "end_time": "09:00", "break_minutes": 0, "status": "confirmed"
    });
    let (status, body) = put_json(&app, &admin, &path, &period.to_string()).await;
    assert_eq!(status, 200, "{body}");
    // Heard before it is removed: delivery checks the period as it is then.
    heard(&seen, 1).await;
    let (status, _) =
        lockgate_tests::http::send_json(&app, reqwest::Method::DELETE, &admin, &path, "").await;
    assert_eq!(status, 204);
    let events = heard(&seen, 2).await;
    assert_eq!(
        events[0],
        json!({ "event": "attendance-created", "id": "by-hand" })
    );
    assert_eq!(
        events[1],
        json!({ "event": "attendance-deleted", "id": "by-hand" })
    );

    // A connector records one: the other installs hear of it too.
    let bytes = std::fs::read(lockgate_tests::program("test-data-probe")).unwrap();
    let sha = app.artifacts.put(&bytes).await.unwrap();
    let config = [
        ("action", "create"),
        ("employee", someone.as_str()),
        ("date", today.as_str()),
        ("start", "10:00"),
        ("end", "12:00"),
        ("external-id", "tool-entry-1"),
    ];
    app.store
        .create_install(&lockgate::store::InstallRecord {
            id: "inst-probe".into(),
            tenant_id: TENANT.into(),
            connector_id: "data-probe".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: sha,
            config: config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            status: lockgate::vocabulary::InstallStatus::Connected,
            ..Default::default()
        })
        .await
        .unwrap();
    let sync = format!("/api/v1/tenants/{TENANT}/installs/inst-probe/sync");
    let (status, body) = lockgate_tests::http::post_json(&app, &admin, &sync, "").await;
    assert_eq!(status, 202, "{body}");
    let events = heard(&seen, 3).await;
    assert_eq!(events[2]["event"], "attendance-created", "{events:?}");
    let written = app
        .store
        .attendances_page(TENANT, &Default::default())
        .await
        .unwrap();
    assert_eq!(events[2]["id"], json!(written[0].id));
    assert_eq!(written[0].external_id.as_deref(), Some("tool-entry-1"));
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
    let absence = |start: &str, status: &str| {
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
        &absence(&today_plus(200), "approved"),
    )
    .await;
    put_json(
        &app,
        &admin,
        &apath("a-1"),
        &absence(&today_plus(10), "approved"),
    )
    .await;
    put_json(
        &app,
        &admin,
        &apath("a-1"),
        &absence(&today_plus(10), "cancelled"),
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
    // Every write was queued (or not) before its answer: once the
    // install's queue is drained, nothing more is on its way.
    let jobs = jobs_settled(&app.store, "inst-events").await;
    assert_eq!(jobs.len(), 5, "one job per visible change: {jobs:?}");
    assert_eq!(seen.lock().unwrap().len(), 5, "no more than that");

    // Each delivery is a run in monitoring, with its row.
    let runs = app.store.runs_of_install("inst-events").await.unwrap();
    assert_eq!(runs.len(), 5, "{runs:?}");
    assert!(
        runs.iter()
            .all(|r| r.kind == "event" && r.status == "successful"),
        "{runs:?}"
    );
    assert!(
        runs.iter()
            .any(|r| r.trigger.as_str() == "absence-cancelled")
    );
}

pub(crate) async fn deliver(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .header("x-partner-trace", "t-77")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The webhook runs of the install, oldest first, once `n` have finished.
pub(crate) async fn webhook_runs(
    app: &lockgate::app::App,
    n: usize,
) -> Vec<lockgate::store::RunRecord> {
    lockgate_tests::eventually(&format!("{n} webhook run(s)"), || async {
        let mut runs: Vec<_> = app
            .store
            .runs_of_install("inst-events")
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == "webhook" && r.status != "running")
            .collect();
        runs.reverse();
        (runs.len() >= n).then_some(runs)
    })
    .await
}

#[tokio::test]
async fn webhook_deliveries_are_authenticated_queued_and_handed_over() {
    let (addr, _) = partner().await;
    let (app, _) = connected(&addr).await;
    let secret = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let url = "/hooks/inst-events/candidates?stage=hired";
    let body = br#"{"candidate":"c-1"}"#.to_vec();

    // Refused without the secret, with a wrong one, or a bad signature:
    // 401, and nothing is queued.
    let bad_signature = lockgate::webhooks::sign("whsec_wrong", &body);
    for headers in [
        vec![],
        vec![("authorization", "Bearer whsec_wrong")],
        vec![("x-lockgate-signature", bad_signature.as_str())],
    ] {
        let (status, answer) = deliver(&app, url, &headers, body.clone()).await;
        assert_eq!(status, 401, "{headers:?}: {answer}");
    }
    let (status, _) = deliver(&app, "/hooks/no-such-install", &[], body.clone()).await;
    assert_eq!(status, 404);
    assert!(
        app.store
            .install_jobs("inst-events", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Signed: accepted at once, then handed to the connector.
    let signature = lockgate::webhooks::sign(&secret, &body);
    let (status, answer) = deliver(
        &app,
        url,
        &[("x-lockgate-signature", signature.as_str())],
        body.clone(),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["replay"], false);
    let runs = webhook_runs(&app, 1).await;
    assert_eq!(runs[0].status, "successful", "{:?}", runs[0]);
    let rows = app
        .store
        .run_rows(&runs[0].id, None, None, None, 10)
        .await
        .unwrap();
    let seen = &rows[0].message;
    assert!(seen.starts_with("POST /candidates?stage=hired"), "{seen}");
    assert!(seen.contains(r#"body={"candidate":"c-1"}"#), "{seen}");
    assert!(seen.contains("x-partner-trace"), "{seen}");
    assert!(
        !seen.contains("authorization") && !seen.contains("x-lockgate-signature"),
        "{seen}"
    );

    // The same body again, with the bearer form: a replay, visible as such.
    let bearer = format!("Bearer {secret}");
    let (status, answer) = deliver(
        &app,
        url,
        &[("authorization", bearer.as_str())],
        body.clone(),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(answer["replay"], true);
    let runs = webhook_runs(&app, 2).await;
    assert_eq!(runs[1].trigger.as_str(), "webhook-replay");

    // The connector's refusal is a failed run with its answer.
    let (status, _) = deliver(
        &app,
        url,
        &[("authorization", bearer.as_str())],
        b"refuse".to_vec(),
    )
    .await;
    assert_eq!(status, 202);
    let runs = webhook_runs(&app, 3).await;
    assert_eq!(runs[2].status, "failed");
    assert!(
        runs[2].failure_reason.as_deref().unwrap().contains("422"),
        "{:?}",
        runs[2]
    );

    // Too big: refused before anything is stored.
    let jobs = app
        .store
        .install_jobs("inst-events", 50)
        .await
        .unwrap()
        .len();
    let (status, answer) = deliver(
        &app,
        url,
        &[("authorization", bearer.as_str())],
        vec![b'x'; lockgate::webhooks::MAX_DELIVERY_BYTES + 1],
    )
    .await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(
        app.store
            .install_jobs("inst-events", 50)
            .await
            .unwrap()
            .len(),
        jobs
    );

    // A new secret replaces the old one.
    let fresh = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let (status, _) = deliver(
        &app,
        url,
        &[("authorization", bearer.as_str())],
        body.clone(),
    )
    .await;
    assert_eq!(status, 401, "the old secret stopped working");
    let (status, _) = deliver(
        &app,
        url,
        &[("authorization", &format!("Bearer {fresh}"))],
        body,
    )
    .await;
    assert_eq!(status, 202);
}

#[tokio::test]
async fn created_employees_get_the_tenants_defaults_and_one_per_idempotency_key() {
    let (addr, _) = partner().await;
    let (app, admin) = connected(&addr).await;
    let settings = format!("/api/v1/tenants/{TENANT}/settings");
    let (status, body) = put_json(&app, &admin, &settings, r#"{"login_format":"{nick}"}"#).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "login_format");
    let (status, body) = put_json(
        &app,
        &admin,
        &settings,
        r#"{"login_format":"{first_name}.{last_name}","default_legal_entity":"Acme GmbH","default_department":"Onboarding","default_position":"Trainee"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A body that is not an object does not clear the defaults.
    let (status, body) = put_json(&app, &admin, &settings, "[null, null, null, null]").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_json");
    // Nor does one past the size limit, which says so.
    let huge = format!(r#"{{"default_position":"{}"}}"#, "x".repeat(3 << 20));
    let (status, body) = put_json(&app, &admin, &settings, &huge).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "too_large");
    let kept = app.store.tenant_settings(TENANT).await.unwrap();
    assert_eq!(kept.default_position.as_deref(), Some("Trainee"));

    let secret = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let bearer = format!("Bearer {secret}");
    let auth = [("authorization", bearer.as_str())];
    let hire = |key: &str| {
        json!({ "key": key, "first_name": "Zoë", "last_name": "Van den Berg", "personal_email": "zoe@example.org" })
            .to_string()
            .into_bytes()
    };
    // The same hire delivered three times, two of them at once.
    let (a, b) = tokio::join!(
        deliver(&app, "/hooks/inst-events", &auth, hire("cand-1")),
        deliver(&app, "/hooks/inst-events", &auth, hire("cand-1")),
    );
    assert_eq!((a.0, b.0), (202, 202));
    deliver(
        &app,
        "/hooks/inst-events",
        &[("authorization", bearer.as_str())],
        hire("cand-1"),
    )
    .await;
    // Another person of the same name.
    deliver(
        &app,
        "/hooks/inst-events",
        &[("authorization", bearer.as_str())],
        hire("cand-2"),
    )
    .await;
    let runs = webhook_runs(&app, 4).await;
    assert!(runs.iter().all(|r| r.status == "successful"), "{runs:?}");

    let created: Vec<_> = app
        .store
        .all_employees(TENANT)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.last_name == "Van den Berg")
        .collect();
    assert_eq!(created.len(), 2, "one per key: {created:?}");
    let mut logins: Vec<_> = created.iter().map(|e| e.login.clone().unwrap()).collect();
    logins.sort();
    assert_eq!(logins, ["zoe.vandenberg", "zoe.vandenberg2"]);
    let first = &created[0];
    assert_eq!(first.legal_entity.as_deref(), Some("Acme GmbH"));
    assert_eq!(first.department.as_deref(), Some("Onboarding"));
    assert_eq!(first.position.as_deref(), Some("Trainee"));
    assert_eq!(
        first.work_email.as_deref(),
        Some("zoe@example.org"),
        "falls back to the personal one"
    );
    assert_eq!(
        first.hire_date,
        lockgate::time::date_text(lockgate::time::today())
    );

    // Two hosts creating with one key at the same moment: one employee.
    let vis = lockgate::hr::Visibility {
        tenant_id: TENANT.into(),
        connector_id: "test-events".into(),
        today: lockgate::time::today(),
        scopes: vec![],
        absence_window: None,
        attendance_window: None,
    };
    let other = lockgate::Store::open(&app.db_url).await.unwrap();
    let new = lockgate::hr::NewEmployee {
        first_name: "Jan".into(),
        last_name: "de Vries".into(),
        work_email: None,
        personal_email: None,
        phone: None,
        department: None,
        position: None,
        legal_entity: None,
        contract_type: None,
        start_date: None,
    };
    let (x, y) = tokio::join!(
        app.store.create_employee(&vis, &new, "race-1"),
        other.create_employee(&vis, &new, "race-1"),
    );
    assert_eq!(x.unwrap(), y.unwrap());
    let jans = app
        .store
        .all_employees(TENANT)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.last_name == "de Vries")
        .count();
    assert_eq!(jans, 1);
}

#[tokio::test]
async fn a_connector_cannot_create_an_employee_the_api_would_refuse() {
    let (addr, _) = partner().await;
    let (app, _) = connected(&addr).await;
    let secret = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let bearer = format!("Bearer {secret}");
    let before = app.store.all_employees(TENANT).await.unwrap().len();
    // A NUL byte (PostgreSQL text cannot hold it) and a name past the cap.
    for (key, first) in [("nul", "Ann\u{0}a".to_string()), ("long", "x".repeat(5000))] {
        let body = json!({ "key": key, "first_name": first, "last_name": "Doe" })
            .to_string()
            .into_bytes();
        let (status, _) = deliver(
            &app,
            "/hooks/inst-events",
            &[("authorization", bearer.as_str())],
            body,
        )
        .await;
        assert_eq!(status, 202);
    }
    let runs = webhook_runs(&app, 2).await;
    let reasons: Vec<String> = runs
        .iter()
        .map(|r| r.failure_reason.clone().unwrap_or_default())
        .collect();
    assert!(
        reasons[0].contains("InvalidArgument") && reasons[0].contains("first-name"),
        "{reasons:?}"
    );
    assert!(reasons[0].contains("control character"), "{reasons:?}");
    assert!(reasons[1].contains("at most 200"), "{reasons:?}");
    // Nothing was stored, on either store.
    assert_eq!(app.store.all_employees(TENANT).await.unwrap().len(), before);
}
