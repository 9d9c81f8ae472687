//! What a run's end does to its install: records the partner rejected and
//! deliveries the connector refused never switch an integration off; only
//! failures of the run itself do. An accepted delivery is run, or shown in
//! monitoring as not run, with the reason.

use lockgate::installs::FAILURE_LIMIT;
use lockgate_tests::http::post_json;
use lockgate_tests::{TempDir, eventually, test_database_url};
use serde_json::Value;

use crate::events::{connected, deliver, install_events_connector, partner, webhook_runs};
use crate::helpers::{FakePlanner, PLANNER_KEY};
use crate::platform::{TENANT, connect, finished_runs, listed_app};

#[tokio::test]
async fn one_rejected_record_is_sent_again_and_never_disconnects_the_tenant() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    // The partner refuses every record at first.
    for employee in app.store.all_employees(TENANT).await.unwrap() {
        planner.reject(&employee.id);
    }
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let first = &finished_runs(&app, &admin, &id, 1).await[0];
    assert_eq!(first["status_label"], "Failed", "{first}");
    assert_eq!(first["failure_kind"], "records", "{first}");
    // The run finished: what the connector saved is kept (the rejected
    // records, to send again), although every record was rejected.
    let saved = app.store.state(&id).await.unwrap().expect("state saved");
    let sent: Vec<String> = planner.received_ids();
    assert!(sent.is_empty(), "nothing was accepted: {sent:?}");
    let everyone = attempted(&planner);
    assert!(everyone.len() > 3, "{everyone:?}");
    assert!(saved.contains(&everyone[0]), "{saved}");

    // The partner now takes everyone but one.
    let refused = everyone[0].clone();
    planner.state.lock().unwrap().reject = [refused.clone()].into();
    let sync = format!("/api/v1/tenants/{TENANT}/installs/{id}/sync");
    let mut runs = Vec::new();
    for n in 2..=FAILURE_LIMIT as usize + 3 {
        let before = attempted(&planner).len();
        let (status, body) = post_json(&app, &admin, &sync, "").await;
        assert_eq!(status, 202, "run {n}: {body}");
        runs = finished_runs(&app, &admin, &id, n).await;
        let this_run = &attempted(&planner)[before..];
        if n == 2 {
            // Everyone rejected before is sent again; all but one pass.
            assert_eq!(this_run.len(), everyone.len(), "{this_run:?}");
            assert_eq!(runs[0]["status_label"], "Partially successful");
        } else {
            // Then only the one the partner still refuses: nothing it
            // accepted is sent again, and the refused one is not lost.
            assert_eq!(this_run, std::slice::from_ref(&refused), "run {n}");
            assert_eq!(runs[0]["status_label"], "Failed", "{}", runs[0]);
            assert_eq!(runs[0]["failure_kind"], "records", "{}", runs[0]);
        }
    }
    // More than the failure limit of such runs: still connected.
    let record = app.store.install(&id).await.unwrap().unwrap();
    assert_eq!(record.status, "connected", "{:?}", record.status_reason);
    assert!(runs.len() > FAILURE_LIMIT as usize + 2);

    // Once the partner takes it, it arrives, and the next sync sends nothing.
    planner.state.lock().unwrap().reject.clear();
    let n = runs.len();
    post_json(&app, &admin, &sync, "").await;
    let runs = finished_runs(&app, &admin, &id, n + 1).await;
    assert_eq!(runs[0]["status_label"], "Successful", "{}", runs[0]);
    assert!(planner.received_ids().contains(&refused));
    let before = attempted(&planner).len();
    post_json(&app, &admin, &sync, "").await;
    let runs = finished_runs(&app, &admin, &id, n + 2).await;
    assert_eq!(runs[0]["status_label"], "Successful", "{}", runs[0]);
    assert_eq!(attempted(&planner).len(), before, "nothing left to send");
}

/// Every employee the planner was sent, accepted or not, in order.
fn attempted(planner: &FakePlanner) -> Vec<String> {
    planner.state.lock().unwrap().attempted.clone()
}

#[tokio::test]
async fn refused_deliveries_leave_an_integration_on_and_failing_ones_switch_it_off() {
    let (addr, _) = partner().await;
    let (app, _admin) = connected(&addr).await;
    let secret = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let signed = |body: &[u8]| lockgate::webhooks::sign(&secret, body);
    let limit = FAILURE_LIMIT as usize;

    // Stray deliveries the connector answers 422: each a Failed run of
    // kind `delivery`, none counting towards deactivation.
    for _ in 0..limit + 1 {
        let signature = signed(b"refuse");
        let (status, answer) = deliver(
            &app,
            "/hooks/inst-events",
            &[("x-lockgate-signature", signature.as_str())],
            b"refuse".to_vec(),
        )
        .await;
        assert_eq!(status, 202, "{answer}");
    }
    let runs = webhook_runs(&app, limit + 1).await;
    for run in &runs {
        assert_eq!(run.status, "failed", "{run:?}");
        assert_eq!(
            run.failure_kind,
            Some(lockgate::vocabulary::FailureKind::Delivery)
        );
    }
    let record = app.store.install("inst-events").await.unwrap().unwrap();
    assert_eq!(record.status, "connected", "{:?}", record.status_reason);

    // Hires the connector cannot create (no first name): it answers 500,
    // a failure of its own, and five in a row switch it off.
    for n in 0..limit {
        let body = format!(r#"{{"key":"k-{n}","first_name":"","last_name":"Doe"}}"#).into_bytes();
        let signature = signed(&body);
        let (status, answer) = deliver(
            &app,
            "/hooks/inst-events",
            &[("x-lockgate-signature", signature.as_str())],
            body,
        )
        .await;
        assert_eq!(status, 202, "{answer}");
    }
    let runs = webhook_runs(&app, 2 * limit + 1).await;
    assert!(
        runs[limit + 1..]
            .iter()
            .all(|r| r.failure_kind == Some(lockgate::vocabulary::FailureKind::Connector)),
        "{runs:?}"
    );
    let record = eventually("the install to turn inactive", || async {
        let record = app.store.install("inst-events").await.unwrap().unwrap();
        (record.status == "inactive").then_some(record)
    })
    .await;
    assert!(
        record
            .status_reason
            .as_deref()
            .unwrap_or("")
            .contains("answered the delivery with 500"),
        "{:?}",
        record.status_reason
    );
}

#[tokio::test]
async fn deliveries_accepted_before_a_deactivation_show_as_not_run() {
    // A host that serves the API but runs nothing yet: what it accepts
    // stays queued until the workers start.
    let (addr, _) = partner().await;
    let dir = TempDir::new();
    let mut config = lockgate_tests::app::test_config(
        &test_database_url(&dir).await,
        &dir,
        lockgate::policy::OperatorPolicy::default(),
    );
    config.operator.allow(&addr).unwrap();
    let app = lockgate::app::App::build(config).await.unwrap();
    install_events_connector(&app, &addr).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(lockgate::api::serve(listener, app.clone()));
    let admin = lockgate::auth::create_token(
        &app.store,
        lockgate::auth::NewToken {
            role: lockgate::auth::Role::TenantAdmin,
            partner_id: None,
            tenant_id: Some(TENANT.into()),
            marketplace_right: true,
            label: "admin".into(),
        },
    )
    .await
    .unwrap()
    .0;
    let secret = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    for n in 0..3 {
        let body = format!("delivery {n}");
        let res = client
            .post(format!("{url}/hooks/inst-events"))
            .header(
                "x-lockgate-signature",
                lockgate::webhooks::sign(&secret, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    let base = format!("{url}/api/v1/tenants/{TENANT}/installs/inst-events");
    let res = client
        .post(format!("{base}/deactivate"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Each accepted delivery is in monitoring, as not run, with the reason.
    let runs: Value = client
        .get(format!("{base}/runs"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = runs["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{runs}");
    for run in items {
        assert_eq!(run["status"], "not_run", "{run}");
        assert_eq!(run["status_label"], "Not run", "{run}");
        assert_eq!(run["kind"], "webhook", "{run}");
        let reason = run["failure_reason"].as_str().unwrap_or("");
        assert!(reason.contains("deactivated"), "{run}");
    }
    // Their jobs are cancelled, each linked to its entry: no worker will
    // take them.
    let jobs = app.store.install_jobs("inst-events", 10).await.unwrap();
    assert_eq!(jobs.len(), 3);
    for job in &jobs {
        assert_eq!(job.status, "cancelled", "{job:?}");
        assert!(
            items
                .iter()
                .any(|r| Some(r["id"].as_str().unwrap()) == job.run_id.as_deref()),
            "{job:?}"
        );
    }
}
