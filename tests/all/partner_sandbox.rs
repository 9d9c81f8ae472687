//! A partner's sandbox tenant over the API: the partner creates it (one,
//! seeded with synthetic employees), installs its own connector before
//! any review, runs it against its test API and reads runs and rows
//! through the tenant endpoints an admin uses. And what it never does:
//! open a real tenant or another partner's sandbox, install an
//! unapproved version anywhere else, show in the marketplace, reach a
//! host the partner did not declare, or outlive its expiry.

use std::collections::BTreeSet;

use lockgate::auth::Role;
use lockgate::policy::OperatorPolicy;
use lockgate_tests::http::{get, post_json, put_json, send_json, submit};
use lockgate_tests::{TestApp, eventually, spawn_app_with, tenant_token, token};
use serde_json::{Value, json};

use crate::helpers::{FakePlanner, PLANNER_KEY, visible_in, with_manifest};

const SANDBOX: &str = "/api/v1/partner/sandbox";

/// The planner export as `publisher` ships it, at `version`.
fn planner_export(publisher: &str, version: &str) -> Vec<u8> {
    let by = crate::api_catalog::published_by(lockgate::demo::PLANNER_EXPORT, publisher);
    with_manifest(&by, |text| {
        text.lines()
            .map(|line| {
                if line.starts_with("version =") {
                    format!("version = \"{version}\"")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// An app under `operator` in which `planner-co` submitted the planner
/// export (not reviewed); its token.
async fn partner_app(operator: OperatorPolicy) -> (TestApp, String) {
    let app = spawn_app_with(operator).await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let (status, body) = submit(&app, &partner, planner_export("Planner Co", "0.1.0")).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "submitted");
    (app, partner)
}

/// The operator's policy letting partners' test APIs be `planner`, over
/// plain HTTP on loopback (`partner-allow-http`).
fn test_api_allowed(planner: &FakePlanner) -> OperatorPolicy {
    let mut operator = OperatorPolicy::default();
    operator.partners.allow(&planner.addr.to_string()).unwrap();
    operator
}

async fn create_sandbox(app: &TestApp, partner: &str, hosts: &[String]) -> Value {
    let (status, body) = post_json(
        app,
        partner,
        SANDBOX,
        &json!({ "test_hosts": hosts, "employees": 60, "seed": 7 }).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn config(url: &str, key: &str) -> Value {
    json!({ "planner-url": url, "api-key": key })
}

/// Previews and connects the planner export in `tenant` with `config`;
/// the connect answer.
async fn connect(app: &TestApp, who: &str, tenant: &str, config: Value) -> (u16, Value) {
    let path = format!("/api/v1/tenants/{tenant}/installs");
    let body = json!({ "plugin": "planner-export", "config": config });
    let (status, preview) =
        post_json(app, who, &format!("{path}/preview"), &body.to_string()).await;
    if status != 200 {
        return (status, preview);
    }
    let mut body = body;
    body["grant"] = preview["grant"].clone();
    post_json(app, who, &path, &body.to_string()).await
}

/// Waits until the install has `n` finished runs; returns them, newest
/// first.
async fn finished_runs(
    app: &TestApp,
    who: &str,
    tenant: &str,
    install: &str,
    n: usize,
) -> Vec<Value> {
    eventually(&format!("{n} finished run(s)"), || async {
        let (status, body) = get(
            app,
            who,
            &format!("/api/v1/tenants/{tenant}/installs/{install}/runs"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let runs = body["items"].as_array().unwrap().clone();
        (runs.len() >= n && runs.iter().all(|r| r["status"] != "running")).then_some(runs)
    })
    .await
}

fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_partner_runs_its_unreviewed_connector_in_its_own_sandbox() {
    let planner = FakePlanner::start().await;
    let (app, partner) = partner_app(test_api_allowed(&planner)).await;

    let (status, body) = get(&app, &partner, SANDBOX, None).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        message(&body).contains("POST /api/v1/partner/sandbox"),
        "{body}"
    );

    let sandbox = create_sandbox(&app, &partner, &[planner.url()]).await;
    let tenant = sandbox["tenant_id"].as_str().unwrap().to_string();
    assert!(tenant.starts_with("sandbox-plannerco-"), "{sandbox}");
    assert_eq!(sandbox["test_hosts"], json!([planner.url()]));
    // It says when it ends: 90 days by default.
    assert_eq!(sandbox["expires_in_days"], 90, "{sandbox}");
    let created = lockgate::time::parse_instant(sandbox["created_at"].as_str().unwrap()).unwrap();
    let expires = lockgate::time::parse_instant(sandbox["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, time::Duration::days(90));
    let (status, again) = get(&app, &partner, SANDBOX, None).await;
    assert_eq!(status, 200);
    assert_eq!(again["tenant_id"], sandbox["tenant_id"]);

    // One per partner.
    let (status, body) = post_json(&app, &partner, SANDBOX, r#"{"test_hosts": []}"#).await;
    assert_eq!(status, 409, "{body}");
    assert!(message(&body).contains(&tenant), "{body}");

    // Filled like `lockgate sandbox seed`, read as an admin reads it.
    let t = format!("/api/v1/tenants/{tenant}");
    assert_eq!(app.store.all_employees(&tenant).await.unwrap().len(), 60);
    let (status, page) = get(&app, &partner, &format!("{t}/employees?limit=5"), None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(!app.store.all_absences(&tenant).await.unwrap().is_empty());

    // A configuration reaching a host it did not declare does not resolve.
    let (status, body) = connect(
        &app,
        &partner,
        &tenant,
        config("https://planner.example", PLANNER_KEY),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("declared test hosts"), "{body}");

    // Its own submitted version installs, and runs against its test API.
    let (status, install) =
        connect(&app, &partner, &tenant, config(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 201, "{install}");
    assert_eq!(install["version"], "0.1.0");
    assert_eq!(install["status"], "connected", "{install}");
    assert!(!install.to_string().contains(PLANNER_KEY), "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    let first = finished_runs(&app, &partner, &tenant, &id, 1).await;
    assert_eq!(first[0]["trigger"], "initial");
    assert_eq!(first[0]["status_label"], "Successful", "{}", first[0]);
    let sent: BTreeSet<String> = planner.received_ids().into_iter().collect();
    let visible: BTreeSet<String> = visible_in(&app.store, &tenant, "planner-export")
        .await
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        sent, visible,
        "the sandbox's visible employees, no one else"
    );

    // Runs and rows through the admin's endpoints.
    let run_id = first[0]["id"].as_str().unwrap();
    let (status, run) = get(&app, &partner, &format!("{t}/runs/{run_id}"), None).await;
    assert_eq!(status, 200, "{run}");
    let (status, rows) = get(
        &app,
        &partner,
        &format!("{t}/runs/{run_id}/rows?limit=500"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{rows}");
    let row_ids: BTreeSet<String> = rows["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["employee_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(row_ids, sent);
    let today = lockgate::time::date_text(lockgate::time::today());
    let res = reqwest::Client::new()
        .get(format!("{}{t}/audit?from={today}&to={today}", app.url))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains(&id));

    // The partner hires someone in its sandbox; "sync now" sends them.
    let hire = json!({
        "first_name": "Ada", "last_name": "Lovelace", "hire_date": "2020-01-01",
        "department": "Engineering",
    });
    let (status, body) = put_json(
        &app,
        &partner,
        &format!("{t}/employees/e-90001"),
        &hire.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, queued) = post_json(&app, &partner, &format!("{t}/installs/{id}/sync"), "").await;
    assert_eq!(status, 202, "{queued}");
    let second = finished_runs(&app, &partner, &tenant, &id, 2).await;
    assert_eq!(second[0]["trigger"], "manual");
    assert_eq!(second[0]["status_label"], "Successful", "{}", second[0]);
    assert!(planner.received_ids().contains(&"e-90001".to_string()));

    // Nothing of it reaches the marketplace: the version is still only
    // submitted, and listed nowhere.
    let admin = tenant_token(&app, "t-real", true).await;
    for who in [&admin, &partner] {
        let (status, listed) = get(&app, who, "/api/v1/marketplace", None).await;
        assert_eq!(status, 200);
        assert_eq!(listed["items"], json!([]), "{listed}");
        let (status, _) = get(&app, who, "/api/v1/marketplace/planner-export", None).await;
        assert_eq!(status, 404);
    }
    let operator = token(&app, Role::Operator, None, None).await;
    let (_, queue) = get(&app, &operator, "/api/v1/review/queue", None).await;
    assert_eq!(queue["items"][0]["plugin_id"], "planner-export", "{queue}");
    assert_eq!(queue["items"][0]["status"], "submitted");
    assert_eq!(queue["items"][0]["listed"], false);
    assert_eq!(app.store.listed().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_partner_token_opens_its_own_sandbox_only() {
    let planner = FakePlanner::start().await;
    let (app, partner) = partner_app(test_api_allowed(&planner)).await;
    lockgate::sandbox::ensure_tenant(&app.store, "t-real", 30, 3)
        .await
        .unwrap();
    let admin = tenant_token(&app, "t-real", true).await;
    let other = token(&app, Role::Partner, Some("other-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;

    let mine = create_sandbox(&app, &partner, &[planner.url()]).await;
    let mine = mine["tenant_id"].as_str().unwrap().to_string();
    let theirs = create_sandbox(&app, &other, &[]).await;
    let theirs = theirs["tenant_id"].as_str().unwrap().to_string();
    assert_ne!(mine, theirs);
    let (status, install) =
        connect(&app, &partner, &mine, config(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 201, "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    let run = finished_runs(&app, &partner, &mine, &id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Another partner learns nothing of my sandbox, and I nothing of a
    // real tenant or of theirs.
    for (who, tenant) in [
        (&other, mine.as_str()),
        (&partner, "t-real"),
        (&partner, theirs.as_str()),
        (&admin, mine.as_str()),
    ] {
        for path in ["employees", "installs", "settings", "absences"] {
            let (status, body) =
                get(&app, who, &format!("/api/v1/tenants/{tenant}/{path}"), None).await;
            assert_eq!(status, 404, "{tenant}/{path}: {body}");
        }
    }
    for path in [
        format!("installs/{id}"),
        format!("installs/{id}/runs"),
        format!("runs/{run}"),
        format!("runs/{run}/rows"),
    ] {
        let (status, body) = get(
            &app,
            &other,
            &format!("/api/v1/tenants/{mine}/{path}"),
            None,
        )
        .await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (status, _) = post_json(
        &app,
        &other,
        &format!("/api/v1/tenants/{mine}/installs/{id}/sync"),
        "",
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = connect(
        &app,
        &partner,
        "t-real",
        config(&planner.url(), PLANNER_KEY),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = send_json(
        &app,
        reqwest::Method::POST,
        &partner,
        "/api/v1/tenants",
        r#"{"id": "mine", "name": "Mine"}"#,
    )
    .await;
    assert_eq!(status, 403);

    // Another partner's connector does not install in a sandbox.
    let (status, body) = connect(&app, &other, &theirs, config(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("none of your connectors"), "{body}");

    // A real tenant installs no unapproved version: not the submitted one,
    // and, once one is approved, not a newer one waiting for review.
    let (status, body) = connect(&app, &admin, "t-real", config(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("no approved connector"), "{body}");
    let (status, body) = post_json(
        &app,
        &operator,
        "/api/v1/review/planner-export/0.1.0",
        r#"{"decision": "approve", "tier": "select"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = submit(&app, &partner, planner_export("Planner Co", "0.2.0")).await;
    assert_eq!(status, 201, "{body}");
    // (Its check fails at once: a real tenant reaches no loopback address.)
    let (status, body) = connect(
        &app,
        &admin,
        "t-real",
        config("https://127.0.0.1:9", PLANNER_KEY),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["version"], "0.1.0");
    let real = body["id"].as_str().unwrap();
    let (status, body) = post_json(
        &app,
        &admin,
        &format!("/api/v1/tenants/t-real/installs/{real}/upgrade"),
        r#"{"version": "0.2.0"}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(message(&body).contains("no approved connector"), "{body}");
    // In the sandbox, the partner moves to its unreviewed 0.2.0.
    let (status, body) = post_json(
        &app,
        &partner,
        &format!("/api/v1/tenants/{mine}/installs/{id}/upgrade"),
        r#"{"version": "0.2.0"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "0.2.0");
    // The marketplace lists the approved version only.
    let (_, listed) = get(&app, &admin, "/api/v1/marketplace", None).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["items"][0]["version"], "0.1.0");

    // The sandbox endpoints are partners' own.
    for who in [&admin, &operator] {
        let (status, _) = get(&app, who, SANDBOX, None).await;
        assert_eq!(status, 403);
        let (status, _) = post_json(&app, who, SANDBOX, r#"{"test_hosts": []}"#).await;
        assert_eq!(status, 403);
    }
}

#[tokio::test]
async fn a_sandbox_reaches_only_the_test_hosts_its_partner_declared() {
    let planner = FakePlanner::start().await;
    let elsewhere = FakePlanner::start().await;
    // The operator lets installs reach `elsewhere` over plain HTTP; that is
    // no allowance for partners' sandboxes.
    let mut operator = test_api_allowed(&planner);
    operator.allow(&elsewhere.addr.to_string()).unwrap();
    let (app, partner) = partner_app(operator).await;

    let (status, body) = post_json(
        &app,
        &partner,
        SANDBOX,
        &json!({ "test_hosts": [elsewhere.url(), "ftp://x", "https://a.example/path"] })
            .to_string(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<_> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        fields,
        ["test_hosts[0]", "test_hosts[1]", "test_hosts[2]"],
        "{body}"
    );
    assert!(message(&body).contains("partner-allow-http"), "{body}");

    // Declared over HTTPS, the loopback address is still refused: private
    // addresses only for test APIs the operator allows.
    let https_elsewhere = format!("https://{}", elsewhere.addr);
    let sandbox = create_sandbox(&app, &partner, &[planner.url(), https_elsewhere.clone()]).await;
    let tenant = sandbox["tenant_id"].as_str().unwrap().to_string();
    let (status, install) = connect(
        &app,
        &partner,
        &tenant,
        config(&https_elsewhere, PLANNER_KEY),
    )
    .await;
    assert_eq!(status, 201, "{install}");
    assert_eq!(install["status"], "pending", "{install}");
    let why = install["status_reason"].as_str().unwrap();
    assert!(
        why.contains("denied") && why.contains("loopback"),
        "{install}"
    );
    assert!(
        elsewhere.state.lock().unwrap().auth.is_empty(),
        "nothing reached it"
    );
    let (status, _) = send_json(
        &app,
        reqwest::Method::DELETE,
        &partner,
        &format!(
            "/api/v1/tenants/{tenant}/installs/{}",
            install["id"].as_str().unwrap()
        ),
        "",
    )
    .await;
    assert_eq!(status, 204);

    // Connected to the declared host, then the host is no longer declared:
    // the next run fails, naming what it may reach.
    let (status, install) =
        connect(&app, &partner, &tenant, config(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 201, "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    finished_runs(&app, &partner, &tenant, &id, 1).await;
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &partner,
        SANDBOX,
        &json!({ "test_hosts": [https_elsewhere] }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["test_hosts"], json!([https_elsewhere]));
    let before = planner.received_ids().len();
    let (status, _) = post_json(
        &app,
        &partner,
        &format!("/api/v1/tenants/{tenant}/installs/{id}/sync"),
        "",
    )
    .await;
    assert_eq!(status, 202);
    let runs = finished_runs(&app, &partner, &tenant, &id, 2).await;
    assert_eq!(runs[0]["status"], "failed", "{}", runs[0]);
    assert_eq!(runs[0]["failure_kind"], "config", "{}", runs[0]);
    assert!(
        runs[0]["failure_reason"]
            .as_str()
            .unwrap()
            .contains("reaches only its declared test hosts"),
        "{}",
        runs[0]
    );
    assert_eq!(planner.received_ids().len(), before);
}

/// Rows of `tenant` in every table that has a `tenant_id` column.
async fn rows_left(store: &lockgate::Store, tenant: &str) -> Vec<(String, i64)> {
    use sqlx::Row;
    let tables: Vec<String> = match store.dialect {
        lockgate::store::Dialect::Sqlite => sqlx::query(
            "SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name = 'tenant_id'",
        ),
        lockgate::store::Dialect::Postgres => sqlx::query(
            "SELECT table_name::text AS t FROM information_schema.columns WHERE column_name = 'tenant_id' AND table_schema = current_schema()",
        ),
    }
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| r.get::<String, _>("t"))
    .collect();
    assert!(tables.len() >= 15, "{tables:?}");
    let mut left = Vec::new();
    // The sandbox's own record stays, to say it expired.
    for table in tables.into_iter().filter(|t| t != "partner_sandboxes") {
        let row = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE tenant_id = $1"
        ))
        .bind(tenant)
        .fetch_one(store.pool())
        .await
        .unwrap();
        let n: i64 = row.get("n");
        if n > 0 {
            left.push((table, n));
        }
    }
    left
}

#[tokio::test]
async fn an_expired_sandbox_is_refused_runs_nothing_and_is_removed() {
    let planner = FakePlanner::start().await;
    let mut operator = test_api_allowed(&planner);
    operator.partners.sandbox_days = 30;
    let (app, partner) = partner_app(operator).await;
    let sandbox = create_sandbox(&app, &partner, &[planner.url()]).await;
    assert_eq!(sandbox["expires_in_days"], 30, "{sandbox}");
    let tenant = sandbox["tenant_id"].as_str().unwrap().to_string();
    let (status, install) =
        connect(&app, &partner, &tenant, config(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 201, "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    let run = finished_runs(&app, &partner, &tenant, &id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!rows_left(&app.store, &tenant).await.is_empty());
    let rows = app
        .store
        .run_rows(&run, None, None, None, 10)
        .await
        .unwrap();
    assert!(!rows.is_empty());

    // A day before the end it still counts down.
    app.clock.advance(time::Duration::days(29));
    let (status, body) = get(&app, &partner, SANDBOX, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in_days"], 1);

    // Past its end: refused, saying when, and its data removed.
    app.clock.advance(time::Duration::days(2));
    let expired_at = sandbox["expires_at"].as_str().unwrap();
    let t = format!("/api/v1/tenants/{tenant}");
    for path in [
        SANDBOX.to_string(),
        format!("{t}/employees"),
        format!("{t}/installs/{id}/runs"),
        format!("{t}/runs/{run}/rows"),
    ] {
        let (status, body) = get(&app, &partner, &path, None).await;
        assert_eq!(status, 410, "{path}: {body}");
        assert_eq!(body["error"]["code"], "sandbox_expired");
        assert!(message(&body).contains(expired_at), "{body}");
    }
    let (status, _) = post_json(&app, &partner, &format!("{t}/installs/{id}/sync"), "").await;
    assert_eq!(status, 410);
    eventually("the expired sandbox's data to be removed", || async {
        (!app.store.tenant_exists(&tenant).await.unwrap()).then_some(())
    })
    .await;
    assert_eq!(rows_left(&app.store, &tenant).await, vec![]);
    assert!(app.store.install(&id).await.unwrap().is_none());
    assert!(app.store.run(&run).await.unwrap().is_none());
    assert!(
        app.store
            .run_rows(&run, None, None, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, body) = get(&app, &partner, SANDBOX, None).await;
    assert_eq!(status, 410, "{body}");

    // A new one starts over, for the same period from now.
    let fresh = create_sandbox(&app, &partner, &[planner.url()]).await;
    let fresh_tenant = fresh["tenant_id"].as_str().unwrap();
    assert_ne!(fresh_tenant, tenant);
    assert_eq!(fresh["expires_in_days"], 30);
    assert!(fresh["expires_at"].as_str().unwrap() > expired_at);
    assert_eq!(
        app.store.all_employees(fresh_tenant).await.unwrap().len(),
        60
    );
    let (status, _) = get(&app, &partner, &format!("{t}/employees"), None).await;
    assert_eq!(status, 404, "the old tenant is gone");

    // Deleted by its partner: removed at once, and said so.
    let (status, _) = send_json(&app, reqwest::Method::DELETE, &partner, SANDBOX, "").await;
    assert_eq!(status, 204);
    assert!(!app.store.tenant_exists(fresh_tenant).await.unwrap());
    let (status, body) = get(&app, &partner, SANDBOX, None).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["error"]["code"], "sandbox_deleted");
    let (status, _) = send_json(&app, reqwest::Method::DELETE, &partner, SANDBOX, "").await;
    assert_eq!(status, 404);
    create_sandbox(&app, &partner, &[]).await;
}
