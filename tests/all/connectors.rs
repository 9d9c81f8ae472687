//! The bundled connectors that come in through webhooks, end to end: the
//! tenant admin connects them through the API, the partner tool calls the
//! webhook, monitoring shows the rows.

use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{App, post_json, put_json, spawn_app, tenant_token};

const TENANT: &str = "t-1";

async fn deliver(app: &App, url: &str, secret: &str, body: &Value) -> u16 {
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

/// The install's finished runs, oldest first, once there are `n`.
async fn runs(app: &App, install: &str, n: usize) -> Vec<lockgate::store::RunRecord> {
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

#[tokio::test]
async fn ats_hire_creates_the_employee_once_per_candidate() {
    let app = spawn_app().await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 2)
        .await
        .unwrap();
    lockgate::demo::publish_bundled(&app.state).await.unwrap();
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
        r#"{"plugin":"ats-hire"}"#,
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["grant"]["scopes"], json!(["employees.create"]));
    let (status, install) = post_json(
        &app,
        &admin,
        &path,
        &json!({ "plugin": "ats-hire", "grant": preview["grant"] }).to_string(),
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
    let (_, view) = crate::api::get(&app, &admin, &format!("{path}/{id}"), None).await;
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
