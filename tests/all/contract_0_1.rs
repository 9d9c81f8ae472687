//! A connector built against the released contract 0.1.0
//! (`tests/programs/contract-0-1`, no SDK, never rebuilt against a newer
//! contract) keeps working: it imports 0.1.0 only, passes the review, and
//! installed over the API it syncs, sends changes and rejected entries
//! again, and hears HR changes as events.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use lockgate::review::vet::{Verdict, VetOptions, vet};
use lockgate::store::RunRecord;
use lockgate::vocabulary::RowStatus;
use lockgate_tests::http::{post_json, put_json, send_json};
use lockgate_tests::{TestApp, spawn_app_with, tenant_token};
use serde_json::{Value, json};

use crate::connectors::{connect, runs};
use crate::helpers::{publish, visible_in};

const TENANT: &str = "t-1";
const KEY: &str = "directory-key-0001";

/// What the fake staff directory holds and was asked.
#[derive(Default)]
struct Directory {
    people: BTreeMap<String, Value>,
    puts: Vec<String>,
    deletes: Vec<String>,
    /// Ids whose entries are refused with 422.
    reject: BTreeSet<String>,
}

type Shared = Arc<Mutex<Directory>>;

/// `GET /ping`, `PUT` and `DELETE /people/{id}`, each with the key only.
async fn answer(
    axum::extract::State(dir): axum::extract::State<Shared>,
    request: axum::extract::Request,
) -> (StatusCode, String) {
    let key = request.headers().get("authorization");
    if key.and_then(|v| v.to_str().ok()) != Some(format!("Bearer {KEY}").as_str()) {
        return (StatusCode::UNAUTHORIZED, "bad key".into());
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .unwrap();
    let Some(id) = path.strip_prefix("/people/").map(String::from) else {
        let found = method == Method::GET && path == "/ping";
        return (
            if found {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            },
            String::new(),
        );
    };
    let mut dir = dir.lock().unwrap();
    match method {
        Method::PUT => {
            dir.puts.push(id.clone());
            if dir.reject.contains(&id) {
                let why = format!("{id}: no such cost centre");
                return (StatusCode::UNPROCESSABLE_ENTITY, why);
            }
            dir.people
                .insert(id, serde_json::from_slice(&body).unwrap());
            (StatusCode::OK, "{}".into())
        }
        Method::DELETE => {
            dir.deletes.push(id.clone());
            match dir.people.remove(&id) {
                Some(_) => (StatusCode::NO_CONTENT, String::new()),
                None => (StatusCode::NOT_FOUND, String::new()),
            }
        }
        _ => (StatusCode::METHOD_NOT_ALLOWED, String::new()),
    }
}

/// A staff directory on loopback; its address and what it holds.
async fn directory() -> (String, Shared) {
    let dir: Shared = Arc::default();
    let app = axum::Router::new().fallback(answer).with_state(dir.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, dir)
}

fn component() -> Vec<u8> {
    std::fs::read(lockgate_tests::program("test-contract-0-1")).unwrap()
}

#[test]
fn it_imports_the_released_contract_only() {
    let report = lockgate_manifest::inspect(&component());
    assert!(report.is_acceptable(), "{:?}", report.problems);
    assert_eq!(report.manifest.unwrap().id, "directory-export");
    assert_eq!(report.contract.as_deref(), Some("0.1.0"));
    let contract: BTreeSet<&str> = report
        .imports
        .iter()
        .map(String::as_str)
        .filter(|i| i.starts_with("lockgate:"))
        .collect();
    let released = ["types", "hr", "outcomes", "config", "state", "log"]
        .map(|i| format!("lockgate:connector/{i}@0.1.0"));
    assert_eq!(contract, released.iter().map(String::as_str).collect());
    let http = "wasi:http/outgoing-handler@0.2.12".to_string();
    assert!(report.imports.contains(&http), "{:?}", report.imports);
}

#[tokio::test]
async fn it_passes_the_review() {
    let (addr, _) = directory().await;
    let runtime = lockgate::Runtime::new(lockgate::RuntimeConfig {
        max_instances: 8,
        ..Default::default()
    })
    .unwrap();
    let options = VetOptions {
        config: [("api-key".to_string(), KEY.to_string())].into(),
        partner_url: Some(format!("http://{addr}")),
        previous: None,
    };
    let report = vet(
        Arc::new(runtime),
        Default::default(),
        &component(),
        options,
        &|_| {},
    )
    .await;
    assert_ne!(report.verdict, Verdict::Fail, "{:#?}", report.checks);
    let passed: BTreeSet<&str> = report
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Pass)
        .map(|c| c.name.as_str())
        .collect();
    for name in [
        "validate-config accepts the sample",
        "validate-config refuses a broken configuration",
        "check-connection",
        "check-connection with a wrong credential",
        "first sync",
        "excluded and out-of-window employees",
        "filter department",
        "employees.contact",
        "incremental",
        "late cursor",
        "rejected record",
    ] {
        assert!(passed.contains(name), "{name}: {:#?}", report.checks);
    }
    assert!(
        report
            .exchanges
            .iter()
            .any(|e| e.method == "PUT" && e.url.contains("/people/e-"))
    );
}

fn employee(department: &str, termination: Option<String>) -> String {
    let hired = lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), -30));
    json!({
        "first_name": "Zoë", "last_name": "Van den Berg", "hire_date": hired,
        "department": department, "work_email": "zoe@acme.example",
        "termination_date": termination,
    })
    .to_string()
}

/// A run's rows as `employee operation status partner-status`.
async fn rows(app: &TestApp, run: &RunRecord) -> Vec<String> {
    let rows = app.store.run_rows(&run.id, None, None, None, 1000);
    let rows = rows.await.unwrap().into_iter();
    rows.map(|r| {
        let id = r.employee_id.unwrap_or_default();
        let answer = r.partner_status.map(|s| s.to_string()).unwrap_or_default();
        format!("{id} {} {} {answer}", r.operation, r.status)
    })
    .collect()
}

#[tokio::test]
async fn installed_over_the_api_it_syncs_sends_changes_and_hears_events() {
    let (addr, dir) = directory().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&addr).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 40, 5)
        .await
        .unwrap();
    publish(&app, "contract-tests", &component()).await;
    let admin = tenant_token(&app, TENANT, true).await;
    let zoe = format!("/api/v1/tenants/{TENANT}/employees/n-1");
    let (status, body) = put_json(&app, &admin, &zoe, &employee("Sales", None)).await;
    assert_eq!(status, 200, "{body}");
    let want: BTreeSet<String> = visible_in(&app.store, TENANT, "directory-export")
        .await
        .into_iter()
        .map(|e| e.id)
        .collect();
    let refused = want.iter().find(|id| id.starts_with("e-")).unwrap().clone();
    dir.lock().unwrap().reject.insert(refused.clone());

    // Connected: the first sync sends everyone visible, once; the refused
    // entry is a failed row with the directory's answer.
    let config = json!({ "directory-url": format!("http://{addr}"), "api-key": KEY });
    let (_, install) = connect(&app, &admin, "directory-export", &config).await;
    assert_eq!(install["status"], "connected", "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    let done = runs(&app, &id, 1).await;
    assert_eq!(
        done[0].status, "partially_successful",
        "{:?}",
        done[0].failure_reason
    );
    {
        let dir = dir.lock().unwrap();
        assert_eq!(dir.puts.len(), want.len(), "each once: {:?}", dir.puts);
        assert_eq!(dir.puts.iter().cloned().collect::<BTreeSet<_>>(), want);
        let zoe = json!({ "name": "Zoë Van den Berg", "department": "Sales", "email": "zoe@acme.example" });
        assert_eq!(dir.people["n-1"], zoe);
    }
    let expected: Vec<String> = want
        .iter()
        .map(|e| match e == &refused {
            true => format!("{e} update failed 422"),
            false => format!("{e} update success 200"),
        })
        .collect();
    let mut got = rows(&app, &done[0]).await;
    got.sort();
    assert_eq!(got, expected);
    let failed = app
        .store
        .run_rows(&done[0].id, Some(RowStatus::Failed), None, None, 10);
    let body = failed.await.unwrap()[0].partner_body.clone().unwrap();
    assert!(body.contains("no such cost centre"), "{body}");

    // A malformed department filter is refused by the connector, per field.
    let path = format!("/api/v1/tenants/{TENANT}/installs/{id}");
    let bad = json!({ "config": { "department": "Sa\u{7}les" } }).to_string();
    let (status, body) = send_json(&app, reqwest::Method::PATCH, &admin, &path, &bad).await;
    assert_eq!(status, 422, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("config.department") && text.contains("U+0007"),
        "{body}"
    );

    // An update over the HR API reaches it as an event: one run, one row.
    dir.lock().unwrap().reject.clear();
    dir.lock().unwrap().puts.clear();
    let (status, body) = put_json(&app, &admin, &zoe, &employee("Marketing", None)).await;
    assert_eq!(status, 200, "{body}");
    let done = runs(&app, &id, 2).await;
    assert_eq!(
        (done[1].kind.as_str(), done[1].status.as_str()),
        ("event", "successful")
    );
    assert_eq!(rows(&app, &done[1]).await, ["n-1 update success 200"]);
    assert_eq!(dir.lock().unwrap().puts, ["n-1"]);
    assert_eq!(dir.lock().unwrap().people["n-1"]["department"], "Marketing");

    // The next sync sends what changed since the first started, and the
    // entry the directory refused; none it accepted.
    dir.lock().unwrap().puts.clear();
    let (status, body) = post_json(&app, &admin, &format!("{path}/sync"), "").await;
    assert_eq!(status, 202, "{body}");
    let done = runs(&app, &id, 3).await;
    assert_eq!(done[2].status, "successful", "{:?}", done[2].failure_reason);
    let again: BTreeSet<String> = dir.lock().unwrap().puts.iter().cloned().collect();
    assert_eq!(again, BTreeSet::from(["n-1".to_string(), refused]));
    assert_eq!(dir.lock().unwrap().puts.len(), 2);

    // A termination removes the entry.
    let leaves = lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), 3));
    let (status, body) = put_json(&app, &admin, &zoe, &employee("Marketing", Some(leaves))).await;
    assert_eq!(status, 200, "{body}");
    let done = runs(&app, &id, 4).await;
    assert_eq!(rows(&app, &done[3]).await, ["n-1 deprovision success 204"]);
    assert_eq!(dir.lock().unwrap().deletes, ["n-1"]);
    assert!(!dir.lock().unwrap().people.contains_key("n-1"));
}
