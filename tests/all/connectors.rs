//! The bundled connectors that come in through webhooks, end to end: the
//! tenant admin connects them through the API, the partner tool calls the
//! webhook, monitoring shows the rows.

use std::time::Duration;

use serde_json::{Value, json};

use lockgate_tests::http::{post_json, put_json};
use lockgate_tests::{TestApp, jobs_settled, spawn_app, spawn_app_with, tenant_token};

const TENANT: &str = "t-1";

async fn deliver(app: &TestApp, url: &str, secret: &str, body: &Value) -> u16 {
    let bytes = body.to_string().into_bytes();
    reqwest::Client::new()
        .post(format!("{}{url}", app.url))
        .header(
            lockgate::webhooks::SIGNATURE_HEADER,
            lockgate::webhooks::sign(secret, &bytes),
        )
        .body(bytes)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The connect wizard over the API: previews `config`, grants exactly what
/// the preview asked for, connects. Returns the preview and the install.
pub(crate) async fn connect(
    app: &TestApp,
    admin: &str,
    plugin: &str,
    config: &Value,
) -> (Value, Value) {
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let (status, preview) = post_json(
        app,
        admin,
        &format!("{path}/preview"),
        &json!({ "plugin": plugin, "config": config }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    let (status, install) = post_json(
        app,
        admin,
        &path,
        &json!({ "plugin": plugin, "config": config, "grant": preview["grant"] }).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{install}");
    (preview, install)
}

/// The install's finished runs, oldest first, once there are `n`.
pub(crate) async fn runs(
    app: &TestApp,
    install: &str,
    n: usize,
) -> Vec<lockgate::store::RunRecord> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let mut runs: Vec<_> = app
            .store
            .runs_of_install(install)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.status != "running")
            .collect();
        if runs.len() >= n {
            runs.reverse();
            return runs;
        }
        assert!(tokio::time::Instant::now() < deadline, "{runs:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn candidate(id: &str, column: &str) -> Value {
    json!({
        "column": column,
        "candidate": {
            "id": id,
            "last_name": "Müller-Lüdenscheidt",
            "first_name": "Jürgen",
            "work_email": null,
            "personal_email": "juergen@example.org",
            "phone": "+49 30 1234567",
            "contract_type": "permanent",
            "contract_start": "2026-12-01",
        }
    })
}

/// Lists `component` in the marketplace as the platform's own, approved,
/// as the bundled connectors are; returns its connector id.
pub(crate) async fn publish_first_party(app: &lockgate::app::App, component: &[u8]) -> String {
    use lockgate::store::catalog::Decision;
    let found = lockgate_manifest::inspect(component);
    assert!(found.is_acceptable(), "{:?}", found.problems);
    let manifest = found.manifest.expect("a manifest");
    let sha = app.artifacts.put(component).await.unwrap();
    let version = app
        .store
        .submit_version(
            "lockgate",
            true,
            &manifest,
            &sha,
            found.size,
            &found.imports,
        )
        .await
        .unwrap();
    if version.status == "submitted" {
        let approve = Decision::Approve {
            tier: "premier".into(),
            note: None,
        };
        app.store
            .review(&manifest.id, &manifest.version, approve)
            .await
            .unwrap();
    }
    manifest.id
}

/// The ATS hire connector written in Python, built from plugins/ats-hire-py.
pub(crate) fn ats_hire_py() -> Vec<u8> {
    std::fs::read(lockgate_tests::python_program("ats-hire-py")).expect("ats-hire-py built")
}

#[tokio::test]
async fn ats_hire_creates_the_employee_once_per_candidate() {
    ats_hire_scenario(lockgate::demo::ATS_HIRE).await;
}

#[tokio::test]
async fn ats_hire_in_python_creates_the_employee_once_per_candidate() {
    ats_hire_scenario(&ats_hire_py()).await;
}

/// The tenant admin connects the connector in `component` (ats-hire or a
/// port of it); the tracker delivers moves; monitoring and the HR data
/// show one employee per candidate.
async fn ats_hire_scenario(component: &[u8]) {
    let app = spawn_app().await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 2)
        .await
        .unwrap();
    let plugin = publish_first_party(&app, component).await;
    // Compiled before the deliveries: a Python component takes seconds,
    // which the wait for the runs below is not meant to cover.
    app.runtime.load(component).expect("the connector loads");
    let admin = tenant_token(&app, TENANT, true).await;
    let (status, body) = put_json(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/settings"),
        r#"{"default_department":"Onboarding","default_legal_entity":"Acme GmbH","default_position":"New hire"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The connect wizard: no configuration needed, one permission to grant.
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let (status, preview) = post_json(
        &app,
        &admin,
        &format!("{path}/preview"),
        &json!({ "plugin": plugin }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["grant"]["scopes"], json!(["employees.create"]));
    let (status, install) = post_json(
        &app,
        &admin,
        &path,
        &json!({ "plugin": plugin, "grant": preview["grant"] }).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{install}");
    assert_eq!(install["status"], "connected");
    let id = install["id"].as_str().unwrap().to_string();
    let url = install["webhook"]["url"].as_str().unwrap().to_string();
    let secret = install["webhook"]["secret"]
        .as_str()
        .expect("shown once")
        .to_string();
    // Shown once: the install view does not carry it.
    let (_, view) = lockgate_tests::http::get(&app, &admin, &format!("{path}/{id}"), None).await;
    assert!(view["webhook"]["secret"].is_null() && !view.to_string().contains(&secret));

    // A move into another column: acknowledged, skipped.
    assert_eq!(
        deliver(&app, &url, &secret, &candidate("c-1", "interview")).await,
        202
    );
    // The hire, delivered three times, two of them at once.
    let hired = candidate("c-1", "hired");
    let (a, b) = tokio::join!(
        deliver(&app, &url, &secret, &hired),
        deliver(&app, &url, &secret, &hired)
    );
    assert_eq!((a, b), (202, 202));
    assert_eq!(deliver(&app, &url, &secret, &hired).await, 202);
    // A bad signature runs nothing.
    assert_eq!(deliver(&app, &url, "whsec_forged", &hired).await, 401);
    // A candidate without a name is refused by the connector.
    let nameless = json!({ "column": "hired", "candidate": { "id": "c-2" } });
    assert_eq!(deliver(&app, &url, &secret, &nameless).await, 202);

    let runs = runs(&app, &id, 5).await;
    assert_eq!(runs.len(), 5, "{runs:?}");
    let rows = |run: &lockgate::store::RunRecord| {
        let store = app.store.clone();
        let run = run.id.clone();
        async move { store.run_rows(&run, None, None, None, 10).await.unwrap() }
    };
    let skipped = rows(&runs[0]).await;
    assert_eq!(
        (skipped[0].operation.as_str(), skipped[0].status.as_str()),
        ("skip", "skipped")
    );
    let mut created_ids = Vec::new();
    for run in &runs[1..4] {
        let r = rows(run).await;
        assert_eq!(
            (r[0].operation.as_str(), r[0].status.as_str()),
            ("create", "success"),
            "{r:?}"
        );
        created_ids.push(r[0].employee_id.clone().unwrap());
    }
    created_ids.dedup();
    assert_eq!(created_ids.len(), 1, "one employee for three deliveries");
    assert_eq!(runs[4].status, "failed");
    assert!(
        runs[4].failure_reason.as_deref().unwrap().contains("422"),
        "{:?}",
        runs[4]
    );

    let employee = app
        .store
        .employee(TENANT, &created_ids[0])
        .await
        .unwrap()
        .expect("created");
    assert_eq!(employee.first_name, "Jürgen");
    assert_eq!(employee.last_name, "Müller-Lüdenscheidt");
    assert_eq!(employee.login.as_deref(), Some("jmuellerluedenscheidt"));
    assert_eq!(employee.work_email.as_deref(), Some("juergen@example.org"));
    assert_eq!(employee.phone.as_deref(), Some("+49 30 1234567"));
    assert_eq!(employee.contract_type.as_deref(), Some("permanent"));
    assert_eq!(employee.hire_date, "2026-12-01");
    assert_eq!(employee.department.as_deref(), Some("Onboarding"));
    assert_eq!(employee.legal_entity.as_deref(), Some("Acme GmbH"));
    assert_eq!(employee.position.as_deref(), Some("New hire"));
}

/// A SCIM 2.0 tool on loopback: its accounts, and ids it refuses.
#[derive(Default)]
struct ScimState {
    users: Vec<Value>,
    refuse: Vec<String>,
    down: bool,
    /// The next this many calls get 429 with `Retry-After: 1`.
    throttle: u32,
    throttled: u32,
}

/// 429 while the tool is throttling.
fn throttled(s: &mut ScimState) -> Option<axum::response::Response> {
    use axum::response::IntoResponse;
    if s.throttle == 0 {
        return None;
    }
    s.throttle -= 1;
    s.throttled += 1;
    Some(
        (
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response(),
    )
}

type Scim = std::sync::Arc<std::sync::Mutex<ScimState>>;

async fn scim() -> (String, Scim) {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use axum::routing::{get, put};
    let state: Scim = Default::default();
    async fn list(
        State(s): State<Scim>,
        Query(q): Query<std::collections::HashMap<String, usize>>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut s = s.lock().unwrap();
        if let Some(answer) = throttled(&mut s) {
            return answer;
        }
        if s.down {
            return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({}))).into_response();
        }
        let start = q.get("startIndex").copied().unwrap_or(1).max(1) - 1;
        let count = q.get("count").copied().unwrap_or(100);
        let page: Vec<_> = s.users.iter().skip(start).take(count).cloned().collect();
        (
            StatusCode::OK,
            axum::Json(json!({ "totalResults": s.users.len(), "Resources": page })),
        )
            .into_response()
    }
    async fn create(
        State(s): State<Scim>,
        axum::Json(mut user): axum::Json<Value>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let mut s = s.lock().unwrap();
        if let Some(answer) = throttled(&mut s) {
            return answer;
        }
        let external = user["externalId"].as_str().unwrap_or("").to_string();
        if s.refuse.contains(&external) {
            return (
                StatusCode::CONFLICT,
                axum::Json(json!({ "detail": format!("userName of {external} is taken") })),
            )
                .into_response();
        }
        user["id"] = json!(format!("u-{}", s.users.len() + 1));
        s.users.push(user.clone());
        (StatusCode::CREATED, axum::Json(user)).into_response()
    }
    async fn replace(
        State(s): State<Scim>,
        Path(id): Path<String>,
        axum::Json(mut user): axum::Json<Value>,
    ) -> (StatusCode, axum::Json<Value>) {
        let mut s = s.lock().unwrap();
        user["id"] = json!(id);
        match s.users.iter_mut().find(|u| u["id"] == id.as_str()) {
            Some(slot) => {
                *slot = user.clone();
                (StatusCode::OK, axum::Json(user))
            }
            None => (StatusCode::NOT_FOUND, axum::Json(json!({}))),
        }
    }
    let app = axum::Router::new()
        .route("/scim/v2/Users", get(list).post(create))
        .route("/scim/v2/Users/{id}", put(replace))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, state)
}

#[tokio::test]
async fn account_provisioning_provisions_links_updates_and_deprovisions_on_the_day() {
    use crate::helpers::{RunSetup, Tenant};
    let tenant = Tenant::seeded(40, 31).await;
    let (addr, tool) = scim().await;
    let plugin = crate::helpers::runtime()
        .load(&std::fs::read(lockgate_tests::program("account-provisioning")).unwrap())
        .unwrap();
    let url = format!("http://{addr}");
    let config = [("scim-url", url.as_str()), ("api-token", "scim-token")];
    let setup = || RunSetup {
        allow_http: vec![addr.clone()],
        ..RunSetup::default()
    };
    let visible = crate::helpers::visible_employees(&tenant, "account-provisioning").await;
    assert!(visible.len() > 5);
    // One person already has an account, under their work e-mail.
    let existing = visible
        .iter()
        .find(|e| e.work_email.is_some() && e.termination_date.is_none())
        .unwrap()
        .clone();
    tool.lock().unwrap().users.push(json!({
        "id": "u-old", "userName": existing.work_email, "active": true,
        "emails": [{ "value": existing.work_email, "primary": true }],
    }));
    // The tool refuses one new account.
    let refused = visible
        .iter()
        .find(|e| e.id != existing.id)
        .unwrap()
        .id
        .clone();
    tool.lock().unwrap().refuse.push(refused.clone());

    let first = tenant.run(&plugin, &config, setup()).await;
    assert_eq!(
        first.run.status, "partially_successful",
        "{:?}",
        first.run.failure_reason
    );
    let op = |summary: &lockgate::sync::RunSummary, op: &str, status: &str| {
        summary
            .counts
            .get(&op.parse().unwrap())
            .and_then(|s| s.get(&status.parse().unwrap()))
            .copied()
            .unwrap_or(0)
    };
    assert_eq!(op(&first, "link", "success"), 1);
    assert_eq!(op(&first, "provision", "failed"), 1);
    let refused_row = first.rows.iter().find(|r| r.status == "failed").unwrap();
    assert_eq!(refused_row.employee_id.as_deref(), Some(refused.as_str()));
    assert_eq!(refused_row.partner_status, Some(409));
    assert!(
        refused_row
            .partner_body
            .as_deref()
            .unwrap()
            .contains("is taken")
    );
    let active_now = visible
        .iter()
        .filter(|e| {
            e.termination_date
                .as_deref()
                .is_none_or(|t| t > lockgate::time::date_text(lockgate::time::today()).as_str())
        })
        .count();
    assert_eq!(op(&first, "provision", "success") + 2, active_now as i64);
    {
        let tool = tool.lock().unwrap();
        let linked = tool.users.iter().find(|u| u["id"] == "u-old").unwrap();
        assert_eq!(linked["externalId"], existing.id.as_str());
        // Nobody the install may not see has an account.
        let seen: std::collections::BTreeSet<_> = visible.iter().map(|e| e.id.clone()).collect();
        assert!(!tool.users.is_empty());
        assert!(
            tool.users
                .iter()
                .all(|u| seen.contains(u["externalId"].as_str().unwrap_or("")))
        );
    }

    // Nothing changed: nothing sent but the refused one, now, after the
    // tool asked twice to wait (Retry-After). Then one change, one
    // termination today and one tomorrow.
    tool.lock().unwrap().refuse.clear();
    tool.lock().unwrap().throttle = 2;
    let second = tenant.run(&plugin, &config, setup()).await;
    assert_eq!(tool.lock().unwrap().throttled, 2);
    assert_eq!(
        second.run.status, "successful",
        "{:?}",
        second.run.failure_reason
    );
    assert_eq!(
        op(&second, "provision", "success"),
        1,
        "the refused one, now"
    );
    assert_eq!(second.total_rows, 1, "{:?}", second.rows);
    let today = lockgate::time::date_text(lockgate::time::today());
    let tomorrow = lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), 1));
    let mut all = tenant
        .store
        .all_employees(crate::helpers::TENANT)
        .await
        .unwrap();
    let active: Vec<_> = all
        .iter_mut()
        .filter(|e| visible.iter().any(|v| v.id == e.id) && e.termination_date.is_none())
        .take(3)
        .collect();
    let (moved, leaving, later) = (
        active[0].id.clone(),
        active[1].id.clone(),
        active[2].id.clone(),
    );
    let mut changed = Vec::new();
    for e in all.iter_mut() {
        if e.id == moved {
            e.department = Some("Moved".into());
        } else if e.id == leaving {
            e.termination_date = Some(today.clone());
        } else if e.id == later {
            e.termination_date = Some(tomorrow.clone());
        } else {
            continue;
        }
        e.updated_at = lockgate::time::now_text();
        changed.push(e.clone());
    }
    tenant
        .store
        .upsert_employees(crate::helpers::TENANT, &changed)
        .await
        .unwrap();
    let third = tenant.run(&plugin, &config, setup()).await;
    assert_eq!(
        third.run.status, "successful",
        "{:?}",
        third.run.failure_reason
    );
    let by_employee = |id: &str| {
        third
            .rows
            .iter()
            .find(|r| r.employee_id.as_deref() == Some(id))
            .map(|r| r.operation.to_string())
    };
    assert_eq!(by_employee(&moved).as_deref(), Some("update"));
    assert_eq!(
        by_employee(&leaving).as_deref(),
        Some("deprovision"),
        "on the termination date"
    );
    assert_eq!(by_employee(&later), None, "not before it");
    {
        let tool_state = tool.lock().unwrap();
        let account = tool_state
            .users
            .iter()
            .find(|u| u["externalId"] == leaving.as_str())
            .unwrap();
        assert_eq!(account["active"], false);
    }

    // The tool down: the run fails with its answer.
    tool.lock().unwrap().down = true;
    let down = tenant.run(&plugin, &config, setup()).await;
    assert_eq!(down.run.status, "failed");
    assert!(
        down.run.failure_reason.as_deref().unwrap().contains("503"),
        "{:?}",
        down.run.failure_reason
    );
}

#[tokio::test]
async fn account_provisioning_follows_employee_events_but_not_excluded_ones() {
    let (addr, tool) = scim().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&addr).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 4, 8)
        .await
        .unwrap();
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let admin = tenant_token(&app, TENANT, true).await;
    let config = json!({ "scim-url": format!("http://{addr}"), "api-token": "scim-token" });
    let (_, install) = connect(&app, &admin, "account-provisioning", &config).await;
    assert_eq!(install["status"], "connected", "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    // The initial sync provisions the visible employees.
    let initial = runs(&app, &id, 1).await;
    assert_eq!(initial[0].kind, "sync");
    let before = tool.lock().unwrap().users.len();

    let hire = lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), -1));
    let employee = |first: &str, extra: Value| {
        let mut body = json!({
            "first_name": first, "last_name": "Nouvel", "hire_date": hire,
            "work_email": format!("{}@acme.example", first.to_lowercase()),
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body.to_string()
    };
    let employees = format!("/api/v1/tenants/{TENANT}/employees");
    // Excluded from this connector by the tenant: no event run, no account.
    let (status, _) = put_json(
        &app,
        &admin,
        &format!("{employees}/e-hidden"),
        &employee(
            "Hidden",
            json!({ "include_in": { "account-provisioning": false } }),
        ),
    )
    .await;
    assert_eq!(status, 200);
    // A new hire: provisioned within the event's run.
    let (status, _) = put_json(
        &app,
        &admin,
        &format!("{employees}/e-new"),
        &employee("Amélie", json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let done = runs(&app, &id, 2).await;
    assert_eq!(done[1].kind, "event");
    assert_eq!(done[1].trigger.as_str(), "employee-created");
    let rows = app
        .store
        .run_rows(&done[1].id, None, None, None, 10)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].employee_id.as_deref(), Some("e-new"));
    assert_eq!(
        (rows[0].operation.as_str(), rows[0].status.as_str()),
        ("provision", "success")
    );
    // Both writes were queued (or not) before their answers; once the
    // install's queue is drained nothing more can run for them.
    let jobs = jobs_settled(&app.store, &id).await;
    assert_eq!(
        jobs.len(),
        2,
        "the initial sync and e-new's event, nothing for e-hidden: {jobs:?}"
    );
    assert_eq!(
        app.store.runs_of_install(&id).await.unwrap().len(),
        2,
        "nothing ran for the excluded employee"
    );
    let tool = tool.lock().unwrap();
    assert_eq!(tool.users.len(), before + 1);
    assert!(tool.users.iter().all(|u| u["externalId"] != "e-hidden"));
}
