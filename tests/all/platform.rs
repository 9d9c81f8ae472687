//! The platform over real HTTP: a partner submits, the operator approves,
//! a tenant admin finds, previews, grants and connects; the workers run
//! the initial, manual and scheduled syncs; monitoring shows runs and rows.
//! The fixtures here (a listed planner export, the connect wizard, waits
//! on runs) serve the install, queue and audit tests too.

use lockgate::auth::Role;
use lockgate_tests::http::{get, post_json, submit};
use lockgate_tests::{TestApp, eventually, spawn_app_with, tenant_token, token};
use serde_json::{Value, json};

use crate::helpers::{FakePlanner, PLANNER_KEY};

pub(crate) const TENANT: &str = "t-1";

/// An app whose connectors may reach `planner`, with the planner export
/// listed (submitted by a partner, approved by the operator) and a sandbox
/// tenant.
pub(crate) async fn listed_app(planner: &FakePlanner) -> (TestApp, String) {
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&planner.addr.to_string()).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 60, 7)
        .await
        .unwrap();
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let op = token(&app, Role::Operator, None, None).await;
    // A partner publishes under its own name, not the operator's.
    let bytes = crate::api_catalog::published_by(lockgate::demo::PLANNER_EXPORT, "Planner Co");
    let (status, body) = submit(&app, &partner, bytes).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post_json(
        &app,
        &op,
        "/api/v1/review/planner-export/0.1.0",
        r#"{"decision": "approve", "tier": "elite"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let admin = tenant_token(&app, TENANT, true).await;
    (app, admin)
}

pub(crate) fn connect_body(planner: &FakePlanner, key: &str, grant: Option<Value>) -> String {
    let mut body = json!({
        "plugin": "planner-export",
        "config": { "planner-url": planner.url(), "api-key": key },
    });
    if let Some(grant) = grant {
        body["grant"] = grant;
    }
    body.to_string()
}

pub(crate) async fn connect(app: &TestApp, admin: &str, planner: &FakePlanner, key: &str) -> Value {
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let (status, preview) = post_json(
        app,
        admin,
        &format!("{path}/preview"),
        &connect_body(planner, key, None),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    let (status, install) = post_json(
        app,
        admin,
        &path,
        &connect_body(planner, key, Some(preview["grant"].clone())),
    )
    .await;
    assert_eq!(status, 201, "{install}");
    install
}

pub(crate) async fn runs(app: &TestApp, admin: &str, install: &str) -> Vec<Value> {
    let (status, body) = get(
        app,
        admin,
        &format!("/api/v1/tenants/{TENANT}/installs/{install}/runs"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Waits until the install has `n` finished runs; returns them, newest first.
pub(crate) async fn finished_runs(
    app: &TestApp,
    admin: &str,
    install: &str,
    n: usize,
) -> Vec<Value> {
    eventually(&format!("{n} finished run(s)"), || async {
        let runs = runs(app, admin, install).await;
        (runs.len() >= n && runs.iter().all(|r| r["status"] != "running")).then_some(runs)
    })
    .await
}

/// The planner export listed and connected for the tenant, its initial run
/// finished: the app, the admin's token, the install's and the run's ids.
pub(crate) async fn connected_after_first_run(
    planner: &FakePlanner,
) -> (TestApp, String, String, String) {
    let (app, admin) = listed_app(planner).await;
    let install = connect(&app, &admin, planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let run = finished_runs(&app, &admin, &id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (app, admin, id, run)
}

#[tokio::test]
async fn a_connected_install_syncs_and_monitoring_shows_every_row() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;

    // Found by search, in the admin's language.
    let (_, found) = get(&app, &admin, "/api/v1/marketplace?q=planung", Some("de")).await;
    assert_eq!(found["items"][0]["id"], "planner-export", "{found}");

    // Connecting without granting what the configuration needs is refused.
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let (status, body) = post_json(
        &app,
        &admin,
        &path,
        &connect_body(&planner, PLANNER_KEY, None),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "grant_required");
    let hosts_msg = body["error"]["fields"][1]["message"].as_str().unwrap();
    assert!(hosts_msg.contains(&planner.addr.to_string()), "{body}");

    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    assert_eq!(install["status"], "connected", "{install}");
    assert_eq!(install["secrets_set"]["api-key"], true);
    assert!(
        !install.to_string().contains(PLANNER_KEY),
        "secret leaked: {install}"
    );
    let id = install["id"].as_str().unwrap().to_string();

    // The first connection runs an initial sync on its own.
    let first = finished_runs(&app, &admin, &id, 1).await;
    let run = &first[0];
    assert_eq!(run["trigger"], "initial");
    assert_eq!(run["status_label"], "Successful", "{run}");
    let sent = planner.received_ids();
    assert!(!sent.is_empty());
    assert_eq!(
        run["counts"]["by_status"]["success"].as_u64().unwrap() as usize,
        sent.len()
    );

    // Every row, a page at a time, in order.
    let run_id = run["id"].as_str().unwrap();
    let mut cursor: Option<String> = None;
    let mut rows = Vec::new();
    loop {
        let mut path = format!("/api/v1/tenants/{TENANT}/runs/{run_id}/rows?limit=7");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = get(&app, &admin, &path, None).await;
        assert_eq!(status, 200, "{page}");
        rows.extend(page["items"].as_array().unwrap().clone());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let row_ids: Vec<_> = rows
        .iter()
        .map(|r| r["employee_id"].as_str().unwrap().to_string())
        .collect();
    let mut expected = sent.clone();
    expected.sort();
    let mut got = row_ids.clone();
    got.sort();
    assert_eq!(got, expected);

    // Sync now, with one employee rejected by the partner this time.
    let rejected = sent[0].clone();
    planner.reject(&rejected);
    // Two employees change; the partner refuses one of them.
    let changed: Vec<_> = app
        .store
        .all_employees(TENANT)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.id == sent[0] || e.id == sent[1])
        .map(|mut e| {
            e.department = Some("Moved".into());
            e.updated_at = lockgate::time::now_text();
            e
        })
        .collect();
    app.store.upsert_employees(TENANT, &changed).await.unwrap();
    let (status, queued) = post_json(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs/{id}/sync"),
        "",
    )
    .await;
    assert_eq!(status, 202, "{queued}");
    let second = finished_runs(&app, &admin, &id, 2).await;
    assert_eq!(second[0]["trigger"], "manual");
    assert_eq!(
        second[0]["status_label"], "Partially successful",
        "{}",
        second[0]
    );
    let second_id = second[0]["id"].as_str().unwrap();
    let (_, failed) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/runs/{second_id}/rows?status=failed"),
        None,
    )
    .await;
    let failed = failed["items"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["employee_id"], rejected.as_str());
    assert_eq!(failed[0]["partner_status"], 422);
    let (_, one) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/runs/{second_id}/rows?employee={rejected}"),
        None,
    )
    .await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1);

    // The scheduler runs a due slot once and moves to the next one.
    let mut record = app.store.install(&id).await.unwrap().unwrap();
    record.next_run_at = Some(lockgate::time::now_text());
    app.store.update_install(&record).await.unwrap();
    let third = finished_runs(&app, &admin, &id, 3).await;
    assert_eq!(third[0]["trigger"], "scheduled");
    let record = app.store.install(&id).await.unwrap().unwrap();
    assert!(
        record.next_run_at.as_deref().unwrap() > lockgate::time::now_text().as_str(),
        "{record:?}"
    );

    // The connected-integrations view: status and last run at a glance.
    let (_, view) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs"),
        None,
    )
    .await;
    assert_eq!(view["items"][0]["status_label"], "Connected");
    assert_eq!(view["items"][0]["last_run"]["trigger"], "scheduled");
    assert!(!view.to_string().contains(PLANNER_KEY));

    // The key is sealed in the database, not stored as written.
    let sealed = app.store.install_secrets(&id).await.unwrap().unwrap();
    assert!(!sealed.contains(PLANNER_KEY));
}
