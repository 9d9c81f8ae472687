//! The platform over real HTTP: a partner submits, the operator approves,
//! a tenant admin finds, previews, grants and connects; the workers run
//! the initial, manual and scheduled syncs; monitoring shows runs and rows.
//! Also the install lifecycle, bad input, the access matrix and the job
//! queue shared by replicas.

use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{App, get, post_json, send_json, spawn_app_with, submit, tenant_token, token};
use crate::helpers::{FakePlanner, PLANNER_KEY};
use lockgate::auth::Role;

const TENANT: &str = "t-1";

/// Polls `check` until it returns `Some`, for at most 30 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An app whose connectors may reach `planner`, with the planner export
/// listed (submitted by a partner, approved by the operator) and a sandbox
/// tenant.
async fn listed_app(planner: &FakePlanner) -> (App, String) {
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&planner.addr.to_string()).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 60, 7)
        .await
        .unwrap();
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let op = token(&app, Role::Operator, None, None).await;
    let (status, body) = submit(&app, &partner, lockgate::demo::PLANNER_EXPORT.to_vec()).await;
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

fn connect_body(planner: &FakePlanner, key: &str, grant: Option<Value>) -> String {
    let mut body = json!({
        "plugin": "planner-export",
        "config": { "planner-url": planner.url(), "api-key": key },
    });
    if let Some(grant) = grant {
        body["grant"] = grant;
    }
    body.to_string()
}

async fn connect(app: &App, admin: &str, planner: &FakePlanner, key: &str) -> Value {
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

async fn runs(app: &App, admin: &str, install: &str) -> Vec<Value> {
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
async fn finished_runs(app: &App, admin: &str, install: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} finished run(s)"), || async {
        let runs = runs(app, admin, install).await;
        (runs.len() >= n && runs.iter().all(|r| r["status"] != "running")).then_some(runs)
    })
    .await
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

#[tokio::test]
async fn an_install_goes_through_pending_connected_inactive_and_deleted() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let install = connect(&app, &admin, &planner, "wrong-key").await;
    assert_eq!(install["status_label"], "Pending", "{install}");
    let reason = install["status_reason"].as_str().unwrap();
    assert!(reason.contains("401"), "{reason}");
    let id = install["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/tenants/{TENANT}/installs/{id}");

    let (status, body) = post_json(&app, &admin, &format!("{base}/sync"), "").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("check the connection")
    );

    // Reconfigure only the key; the rest is kept, the check runs again.
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &admin,
        &base,
        &json!({ "config": { "api-key": PLANNER_KEY }, "schedule": "daily@05:30" }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status_label"], "Connected", "{body}");
    assert_eq!(body["schedule"], "daily@05:30");
    assert!(body["next_run_at"].as_str().unwrap().contains("T05:30:00"));
    assert_eq!(body["config"]["planner-url"], planner.url());

    let (status, body) = post_json(&app, &admin, &format!("{base}/deactivate"), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status_label"], "Inactive");
    assert_eq!(body["next_run_at"], Value::Null);
    let (status, _) = post_json(&app, &admin, &format!("{base}/sync"), "").await;
    assert_eq!(status, 409);

    let (status, body) = post_json(&app, &admin, &format!("{base}/reactivate"), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status_label"], "Connected");

    // Connecting the same connector twice is a conflict.
    let (status, body) = post_json(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs"),
        &connect_body(&planner, PLANNER_KEY, None),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (status, _) = send_json(&app, reqwest::Method::DELETE, &admin, &base, "").await;
    assert_eq!(status, 204);
    let (status, _) = get(&app, &admin, &base, None).await;
    assert_eq!(status, 404);
    assert_eq!(app.store.install_secrets(&id).await.unwrap(), None);
    let (_, view) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs"),
        None,
    )
    .await;
    assert_eq!(view["items"], json!([]));
}

#[tokio::test]
async fn bad_connect_requests_are_explained_and_store_nothing() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let cases: Vec<(String, u16, &str, Vec<&str>)> = vec![
        ("{not json".into(), 400, "bad_json", vec![]),
        (
            json!({ "plugin": "planner-export", "colour": 1 }).to_string(),
            400,
            "bad_json",
            vec![],
        ),
        (
            json!({ "plugin": 5 }).to_string(),
            400,
            "bad_json",
            vec![],
        ),
        (
            json!({ "plugin": "nope" }).to_string(),
            422,
            "invalid_field",
            vec!["plugin"],
        ),
        (
            json!({
                "plugin": "planner-export",
                "config": { "planner-url": "ftp://x", "include-pending": "maybe", "extra": 1, "initial-sync-from": [1] },
            })
            .to_string(),
            422,
            "invalid_config",
            vec![
                "config.planner-url",
                "config.include-pending",
                "config.extra",
                "config.initial-sync-from",
                "config.api-key",
            ],
        ),
        (
            json!({
                "plugin": "planner-export",
                "config": { "planner-url": planner.url(), "api-key": "k" },
                "schedule": "every tuesday",
            })
            .to_string(),
            422,
            "invalid_field",
            vec!["schedule"],
        ),
    ];
    for (body, status, code, fields) in cases {
        let (got, answer) = post_json(&app, &admin, &path, &body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        let named: Vec<_> = answer["error"]["fields"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|p| p["field"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        for field in fields {
            assert!(
                named.iter().any(|n| n == field),
                "{field} missing in {answer}"
            );
        }
    }
    assert!(app.store.tenant_installs(TENANT).await.unwrap().is_empty());
}

#[tokio::test]
async fn installs_are_reachable_only_by_their_tenants_admins() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let run = finished_runs(&app, &admin, &id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    lockgate::sandbox::ensure_tenant(&app.store, "t-2", 5, 1)
        .await
        .unwrap();

    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let other_admin = tenant_token(&app, "t-2", true).await;
    let no_right = tenant_token(&app, TENANT, false).await;

    let base = format!("/api/v1/tenants/{TENANT}");
    let reads = [
        format!("{base}/installs"),
        format!("{base}/installs/{id}"),
        format!("{base}/installs/{id}/runs"),
        format!("{base}/runs/{run}"),
        format!("{base}/runs/{run}/rows"),
    ];
    let writes = [
        (reqwest::Method::POST, format!("{base}/installs/preview")),
        (reqwest::Method::POST, format!("{base}/installs")),
        (reqwest::Method::PATCH, format!("{base}/installs/{id}")),
        (reqwest::Method::POST, format!("{base}/installs/{id}/check")),
        (
            reqwest::Method::POST,
            format!("{base}/installs/{id}/deactivate"),
        ),
        (
            reqwest::Method::POST,
            format!("{base}/installs/{id}/reactivate"),
        ),
        (
            reqwest::Method::POST,
            format!("{base}/installs/{id}/upgrade"),
        ),
        (reqwest::Method::POST, format!("{base}/installs/{id}/sync")),
        (reqwest::Method::DELETE, format!("{base}/installs/{id}")),
    ];
    // (who, expected status for reads, for writes)
    let callers = [
        ("partner", &partner, 404, 404),
        ("other tenant's admin", &other_admin, 404, 404),
        ("admin without the marketplace right", &no_right, 403, 403),
        ("operator", &operator, 200, 403),
    ];
    for (who, token, read_status, write_status) in callers {
        for path in &reads {
            let (status, body) = get(&app, token, path, None).await;
            assert_eq!(status, read_status, "{who} GET {path}: {body}");
            if status >= 400 {
                assert!(
                    !body.to_string().contains(&id),
                    "{who} learned the install id"
                );
            }
        }
        for (method, path) in &writes {
            let (status, body) = send_json(&app, method.clone(), token, path, "{}").await;
            assert_eq!(status, write_status, "{who} {method} {path}: {body}");
        }
    }
    // Another tenant's path with one's own token reveals nothing either.
    let (status, _) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/t-2/runs/{run}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Nothing changed.
    let record = app.store.install(&id).await.unwrap().unwrap();
    assert_eq!(record.status, "connected");
}

#[tokio::test]
async fn repeated_failures_make_an_install_inactive() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    // The partner refuses everyone: every run fails.
    for employee in app.store.all_employees(TENANT).await.unwrap() {
        planner.reject(&employee.id);
    }
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let limit = lockgate::installs::FAILURE_LIMIT as usize;
    for n in 1..=limit {
        finished_runs(&app, &admin, &id, n).await;
        if n < limit {
            let (status, body) = post_json(
                &app,
                &admin,
                &format!("/api/v1/tenants/{TENANT}/installs/{id}/sync"),
                "",
            )
            .await;
            assert_eq!(status, 202, "run {n}: {body}");
        }
    }
    let view = eventually("the install to become inactive", || async {
        let (_, view) = get(
            &app,
            &admin,
            &format!("/api/v1/tenants/{TENANT}/installs/{id}"),
            None,
        )
        .await;
        (view["status"] == "inactive").then_some(view)
    })
    .await;
    let reason = view["status_reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{limit} failed runs in a row")),
        "{reason}"
    );
    assert!(
        runs(&app, &admin, &id)
            .await
            .iter()
            .all(|r| r["status_label"] == "Failed")
    );
}

/// A second host on the same database: its own pool, scheduler and workers.
async fn replica(app: &App, url: &str) -> lockgate::api::AppState {
    let store = lockgate::Store::open(url).await.unwrap();
    let state = lockgate::api::AppState::new(
        store,
        app.runtime.clone(),
        app.state.operator.clone(),
        app.state.artifacts.clone(),
        app.state.secrets.clone(),
    );
    lockgate::worker::start(
        state.clone(),
        lockgate::worker::WorkerConfig {
            workers: 2,
            lease: Duration::from_secs(5),
            poll: Duration::from_millis(50),
        },
    );
    state
}

#[tokio::test]
async fn replicas_run_every_due_job_exactly_once() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let url = app.db_url.clone();
    let _second = replica(&app, &url).await;
    let _third = replica(&app, &url).await;

    // Many installs (one per tenant), all due at once.
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let template = app
        .store
        .install(install["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    finished_runs(&app, &admin, &template.id, 1).await;
    let due = lockgate::time::now_text();
    let mut ids = Vec::new();
    for n in 0..24 {
        let tenant = format!("r-{n}");
        lockgate::sandbox::ensure_tenant(&app.store, &tenant, 3, n)
            .await
            .unwrap();
        let record = lockgate::store::InstallRecord {
            id: format!("inst-r-{n}"),
            tenant_id: tenant,
            next_run_at: Some(due.clone()),
            ..template.clone()
        };
        let sealed = app.store.install_secrets(&template.id).await.unwrap();
        // Sealed secrets are bound to their install: seal them again.
        let secrets = app
            .state
            .secrets
            .open(&template.id, sealed.as_deref().unwrap())
            .unwrap();
        let resealed = app.state.secrets.seal(&record.id, &secrets);
        app.store
            .create_install_sealed(&record, Some(&resealed))
            .await
            .unwrap();
        ids.push(record.id);
    }
    for id in &ids {
        let runs = eventually("the scheduled run", || async {
            let runs = app.store.runs_of_install(id).await.unwrap();
            (runs.len() == 1 && runs[0].status != "running").then_some(runs)
        })
        .await;
        assert_eq!(runs[0].status, "successful", "{:?}", runs[0]);
        assert_eq!(runs[0].trigger, "scheduled");
    }
    // Give a duplicate the time it would need to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &ids {
        assert_eq!(
            app.store.runs_of_install(id).await.unwrap().len(),
            1,
            "{id}"
        );
        let jobs = app.store.install_jobs(id, 10).await.unwrap();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0].attempts, 1);
    }
}

#[tokio::test]
async fn the_audit_trail_lists_every_read_as_json_lines() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let run = finished_runs(&app, &admin, &id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let today = lockgate::time::date_text(lockgate::time::today());

    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/audit?from={today}&to={today}",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let reads: Vec<_> = lines
        .iter()
        .filter(|l| l["run_id"] == run.as_str() && l["what"] == "employees")
        .collect();
    assert!(!reads.is_empty(), "{text}");
    let mut read_ids: Vec<String> = reads
        .iter()
        .flat_map(|l| l["employee_ids"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    read_ids.sort();
    let mut sent = planner.received_ids();
    sent.sort();
    assert_eq!(read_ids, sent, "read exactly who was sent");
    assert!(
        reads
            .iter()
            .all(|l| l["attribute_groups"] == json!(["employees.basic"])
                && l["action"] == "read"
                && l["connector_id"] == "planner-export"
                && l["install_id"] == id.as_str())
    );
    assert!(lines.iter().any(|l| l["what"] == "absences"), "{text}");

    // Yesterday: nothing. A bad date: explained.
    let yesterday =
        lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), -1));
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/audit?from={yesterday}&to={yesterday}",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "");
    let (status, body) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/audit?from=yesterday&to={today}"),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "from");
}
