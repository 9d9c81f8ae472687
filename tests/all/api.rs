//! The HTTP API over real HTTP on port 0: health, authentication, error
//! shape.

use std::sync::Arc;

use lockgate::auth::{NewToken, Role, create_token};
use lockgate::runtime::{Runtime, RuntimeConfig};
use serde_json::Value;

use crate::helpers::*;

pub(crate) struct App {
    pub(crate) url: String,
    pub(crate) store: lockgate::store::Store,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) state: lockgate::api::AppState,
    pub(crate) db_url: String,
    _dir: TempDir,
}

pub(crate) async fn spawn_app() -> App {
    spawn_app_with(Default::default()).await
}

/// The API with its scheduler and workers, as `lockgate serve` runs them.
pub(crate) async fn spawn_app_with(operator: lockgate::policy::OperatorPolicy) -> App {
    // Internal errors are logged, not returned: show them with the test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("lockgate=warn"))
        .with_test_writer()
        .try_init();
    let dir = TempDir::new();
    let db_url = crate::helpers::test_database_url(&dir).await;
    let store = lockgate::Store::open(&db_url).await.unwrap();
    let runtime = Arc::new(
        Runtime::new(RuntimeConfig {
            max_instances: 8,
            ..RuntimeConfig::default()
        })
        .unwrap(),
    );
    let state = lockgate::api::AppState::new(
        store.clone(),
        runtime.clone(),
        operator,
        lockgate::artifacts::Artifacts::new(dir.0.join("artifacts")),
        lockgate::secrets::SecretBox::from_hex(&lockgate::secrets::SecretBox::generate_key())
            .unwrap(),
    );
    lockgate::worker::start(
        state.clone(),
        lockgate::worker::WorkerConfig {
            workers: 2,
            lease: std::time::Duration::from_secs(5),
            poll: std::time::Duration::from_millis(50),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(lockgate::api::serve(listener, state.clone()));
    App {
        url,
        store,
        runtime,
        state,
        db_url,
        _dir: dir,
    }
}

pub(crate) async fn token(
    app: &App,
    role: Role,
    partner: Option<&str>,
    tenant: Option<&str>,
) -> String {
    let new = NewToken {
        role,
        partner_id: partner.map(String::from),
        tenant_id: tenant.map(String::from),
        marketplace_right: true,
        label: "test".into(),
    };
    create_token(&app.store, new).await.unwrap().0
}

#[tokio::test]
async fn health_reports_the_database() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/healthz", app.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401_in_the_error_shape() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    for auth in [
        None,
        Some("Bearer nonsense"),
        Some("Basic abc"),
        Some(&*format!("Bearer lg_{}", "0".repeat(64))),
    ] {
        let mut req = client.get(format!("{}/api/v1/me", app.url));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Authorization: Bearer")
        );
    }
}

#[tokio::test]
async fn each_role_is_recognised_and_the_token_is_not_echoed() {
    let app = spawn_app().await;
    let client = reqwest::Client::new();
    let cases = [
        (
            token(&app, Role::Operator, None, None).await,
            "operator",
            Value::Null,
            Value::Null,
        ),
        (
            token(&app, Role::Partner, Some("acme-hr"), None).await,
            "partner",
            "acme-hr".into(),
            Value::Null,
        ),
        (
            token(&app, Role::TenantAdmin, None, Some("t-1")).await,
            "tenant-admin",
            Value::Null,
            "t-1".into(),
        ),
    ];
    for (token, role, partner, tenant) in cases {
        let res = client
            .get(format!("{}/api/v1/me", app.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        assert!(!text.contains(&token[3..]), "the token is never sent back");
        let me: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(me["role"], role);
        assert_eq!(me["partner_id"], partner);
        assert_eq!(me["tenant_id"], tenant);
    }
}

#[tokio::test]
async fn tokens_must_match_their_role() {
    let app = spawn_app().await;
    let bad = [
        (Role::Partner, None, None),
        (Role::Partner, Some("p"), Some("t")),
        (Role::TenantAdmin, None, None),
        (Role::Operator, None, Some("t")),
    ];
    for (role, partner, tenant) in bad {
        let new = NewToken {
            role,
            partner_id: partner.map(String::from),
            tenant_id: tenant.map(String::from),
            marketplace_right: true,
            label: String::new(),
        };
        assert!(
            create_token(&app.store, new).await.is_err(),
            "{role:?} {partner:?} {tenant:?}"
        );
    }
}

#[tokio::test]
async fn unknown_endpoints_get_a_json_404() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/api/v1/nothing-here", app.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

pub(crate) async fn tenant_token(app: &App, tenant: &str, right: bool) -> String {
    let new = NewToken {
        role: Role::TenantAdmin,
        partner_id: None,
        tenant_id: Some(tenant.into()),
        marketplace_right: right,
        label: "admin".into(),
    };
    create_token(&app.store, new).await.unwrap().0
}

pub(crate) async fn submit(app: &App, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/partner/submissions", app.url))
        .bearer_auth(token)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn get(app: &App, token: &str, path: &str, lang: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(lang) = lang {
        req = req.header("accept-language", lang);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_partner_submission_is_reviewed_and_listed_in_the_marketplace() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let admin = tenant_token(&app, "t-1", true).await;

    let (status, submitted) = submit(&app, &partner, lockgate::demo::PLANNER_EXPORT.to_vec()).await;
    assert_eq!(status, 201, "{submitted}");
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["sha256"].as_str().unwrap().len(), 64);
    // Not listed before review.
    let (_, listed) = get(&app, &admin, "/api/v1/marketplace", None).await;
    assert_eq!(listed["items"], serde_json::json!([]));

    // The operator sees what it asks for.
    let (status, queue) = get(&app, &operator, "/api/v1/review/queue", None).await;
    assert_eq!(status, 200);
    let item = &queue["items"][0];
    assert_eq!(item["plugin_id"], "planner-export");
    assert_eq!(item["partner_id"], "planner-co");
    assert!(
        item["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "wasi:http/outgoing-handler@0.2.12")
    );
    assert_eq!(item["scopes"][0]["scope"], "employees.basic");
    assert_eq!(item["hosts"][0], "https://{planner-url}");
    assert_eq!(item["secrets_injected"][0]["header"], "Authorization");
    // Others do not.
    assert_eq!(
        get(&app, &partner, "/api/v1/review/queue", None).await.0,
        403
    );
    assert_eq!(get(&app, &admin, "/api/v1/review/queue", None).await.0, 403);

    // The automated review ran it in the sandbox, every host answered by
    // the review partner; the report shows what went where.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let report = loop {
        let (_, queue) = get(&app, &operator, "/api/v1/review/queue", None).await;
        let report = queue["items"][0]["review_report"].clone();
        if report.get("verdict").is_some() {
            break report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no review report: {queue}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_ne!(report["verdict"], "fail", "{report}");
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {report}"))
    };
    assert_eq!(
        check("validate-config accepts the sample")["verdict"],
        "pass"
    );
    assert_eq!(check("filter base-department")["verdict"], "pass");
    let exchanges = report["exchanges"].as_array().unwrap();
    let batch = exchanges
        .iter()
        .find(|e| {
            e["url"]
                .as_str()
                .unwrap()
                .ends_with("/api/v1/resources/batch")
        })
        .unwrap_or_else(|| panic!("no batch sent: {report}"));
    assert_eq!(batch["method"], "POST");
    assert!(
        batch["request_body"]
            .as_str()
            .unwrap()
            .contains("externalId")
    );
    assert!(
        batch["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "authorization"),
        "the host injected the key: {batch}"
    );
    assert!(
        !report.to_string().contains("review-api-key"),
        "secret in the report"
    );
    // The partner sees the same report on its own submission.
    let (_, mine) = get(&app, &partner, "/api/v1/partner/submissions", None).await;
    assert_eq!(
        mine["items"][0]["review_report"]["verdict"],
        report["verdict"]
    );

    // A bad decision is explained; a good one lists the connector.
    let path = "/api/v1/review/planner-export/0.1.0";
    let (status, err) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"gold"}"#,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"][0]["field"], "tier");
    let (status, err) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"elite""#,
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["code"], "bad_json");
    let (status, err) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"elite","colour":1}"#,
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("colour"),
        "{err}"
    );
    assert_eq!(
        get(&app, &operator, "/api/v1/review/queue", None).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, approved) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"elite"}"#,
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["listed"], true);
    let (status, _) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"reject","reasons":["late"]}"#,
    )
    .await;
    assert_eq!(status, 409, "a decided version stays decided");

    // Search and filters.
    let search = |q: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            get(app, &admin, &format!("/api/v1/marketplace?{q}"), None)
                .await
                .1["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(search("q=planner").await, 1);
    assert_eq!(search("q=PLANUNGSTOOL").await, 1);
    assert_eq!(search("q=payroll").await, 0);
    assert_eq!(search("category=planning").await, 1);
    assert_eq!(search("category=payroll").await, 0);
    assert_eq!(search("tier=elite").await, 1);
    assert_eq!(search("tier=premier").await, 0);
    assert_eq!(search("first_party=false").await, 1);
    assert_eq!(search("first_party=true").await, 0);
    assert_eq!(search("direction=outbound").await, 1);
    assert_eq!(search("direction=inbound").await, 0);
    assert_eq!(
        get(&app, &admin, "/api/v1/marketplace?sort=name", None)
            .await
            .0,
        400
    );

    // The detail speaks the caller's language.
    let (status, de) = get(
        &app,
        &admin,
        "/api/v1/marketplace/planner-export",
        Some("de-DE,de;q=0.9"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(de["name"], "Planungstool-Export");
    assert_eq!(
        de["configuration"][0]["label"],
        "Adresse Ihres Planungstools"
    );
    assert_eq!(de["price"], "Im Abonnement des Planungstools enthalten");
    assert_eq!(de["developer"], "Lockgate");
    assert_eq!(de["tier"], "elite");
    assert!(
        de["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("absences"))
    );
    let (_, en) = get(&app, &admin, "/api/v1/marketplace/planner-export", None).await;
    assert_eq!(en["name"], "Planner export");
    assert_eq!(
        get(&app, &admin, "/api/v1/marketplace/nope", None).await.0,
        404
    );

    // A tenant admin without the marketplace right sees nothing.
    let limited = tenant_token(&app, "t-1", false).await;
    let (status, err) = get(&app, &limited, "/api/v1/marketplace", None).await;
    assert_eq!(status, 403);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("marketplace")
    );
}

#[tokio::test]
async fn a_rejected_submission_tells_the_partner_why() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("sneaky"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let bytes = std::fs::read(lockgate_tests::program("test-hostile")).unwrap();
    assert_eq!(submit(&app, &partner, bytes).await.0, 201);
    let (status, _) = post_json(
        &app,
        &operator,
        "/api/v1/review/hostile/0.1.0",
        r#"{"decision":"reject","reasons":[]}"#,
    )
    .await;
    assert_eq!(status, 422, "a rejection needs reasons");
    let (status, _) = post_json(
        &app,
        &operator,
        "/api/v1/review/hostile/0.1.0",
        r#"{"decision":"reject","reasons":["asks for hosts it never needs"]}"#,
    )
    .await;
    assert_eq!(status, 200);
    let (_, mine) = get(&app, &partner, "/api/v1/partner/submissions", None).await;
    assert_eq!(mine["items"][0]["status"], "rejected");
    assert_eq!(
        mine["items"][0]["review_reasons"][0],
        "asks for hosts it never needs"
    );
    // Another partner sees none of it.
    let other = token(&app, Role::Partner, Some("other"), None).await;
    assert_eq!(
        get(&app, &other, "/api/v1/partner/submissions", None)
            .await
            .1["items"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_with_every_reason_and_store_nothing() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("p1"), None).await;
    let admin = tenant_token(&app, "t-1", true).await;

    let (status, err) = submit(&app, &partner, b"this is not wasm".to_vec()).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "invalid_connector");
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly component")
    );

    let raw = std::fs::read(lockgate_tests::program("test-raw-socket")).unwrap();
    let (status, err) = submit(&app, &partner, raw).await;
    assert_eq!(status, 422);
    let reasons: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .filter(|r| r.contains("wasi:sockets/"))
            .count()
            >= 2,
        "{reasons:?}"
    );

    let (status, err) = submit(&app, &partner, vec![0u8; 33 << 20]).await;
    assert_eq!(status, 413);
    assert_eq!(err["error"]["code"], "too_large");

    assert_eq!(submit(&app, &partner, Vec::new()).await.0, 400);
    assert_eq!(
        submit(&app, &admin, lockgate::demo::PLANNER_EXPORT.to_vec())
            .await
            .0,
        403
    );
    assert!(
        app.store.partner_versions("p1").await.unwrap().is_empty(),
        "nothing was stored"
    );

    // The id belongs to whoever submitted it first.
    assert_eq!(
        submit(&app, &partner, lockgate::demo::PLANNER_EXPORT.to_vec())
            .await
            .0,
        201
    );
    let thief = token(&app, Role::Partner, Some("p2"), None).await;
    let (status, err) = submit(&app, &thief, lockgate::demo::PLANNER_EXPORT.to_vec()).await;
    assert_eq!(status, 409);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to another partner")
    );
}

#[tokio::test]
async fn tenant_admins_keep_their_own_hr_data_and_nobody_elses() {
    let app = spawn_app().await;
    let operator = token(&app, Role::Operator, None, None).await;
    for (id, name) in [("acme", "Acme"), ("globex", "Globex")] {
        let (status, _) = post_json(
            &app,
            &operator,
            "/api/v1/tenants",
            &format!(r#"{{"id":"{id}","name":"{name}"}}"#),
        )
        .await;
        assert_eq!(status, 201);
    }
    assert_eq!(
        post_json(
            &app,
            &operator,
            "/api/v1/tenants",
            r#"{"id":"acme","name":"Again"}"#
        )
        .await
        .0,
        409
    );
    let acme = tenant_token(&app, "acme", true).await;
    let globex = tenant_token(&app, "globex", true).await;
    let partner = token(&app, Role::Partner, Some("p"), None).await;
    assert_eq!(
        post_json(
            &app,
            &acme,
            "/api/v1/tenants",
            r#"{"id":"mine","name":"Mine"}"#
        )
        .await
        .0,
        403
    );

    let employee = r#"{"first_name":"Zoë","last_name":"Müller-Lüdenscheidt","department":"Sales",
        "hire_date":"2020-03-01","work_email":"zoe@acme.example","include_in":{"planner-export":false}}"#;
    let (status, saved) =
        put_json(&app, &acme, "/api/v1/tenants/acme/employees/e-1", employee).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["last_name"], "Müller-Lüdenscheidt");

    // Every problem at once, and nothing stored.
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-2",
        r#"{"first_name":"","last_name":"X","hire_date":"2020-13-01","status":"retired","work_email":"nope"}"#,
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["first_name", "status", "hire_date", "work_email"]
    );
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-2",
        r#"{"first_name":"A","last_name":"B","hire_date":"2020-01-01","shoe_size":44}"#,
    )
    .await;
    assert!(status == 400 || status == 422, "{status}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shoe_size")
    );
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-2",
        r#"{"first_name":1}"#,
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {err}");

    let absence = r#"{"employee_id":"e-1","type_name":"Vacation","start_date":"2026-12-21","end_date":"2026-12-31"}"#;
    assert_eq!(
        put_json(&app, &acme, "/api/v1/tenants/acme/absences/a-1", absence)
            .await
            .0,
        200
    );
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/absences/a-2",
        r#"{"employee_id":"e-9","type_name":"Vacation","start_date":"2026-12-21","end_date":"2026-12-01"}"#,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"].as_array().unwrap().len(), 2, "{err}");

    let (status, list) = get(&app, &acme, "/api/v1/tenants/acme/employees", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["items"][0]["excluded_from"],
        serde_json::json!(["planner-export"])
    );
    let (_, absences) = get(&app, &acme, "/api/v1/tenants/acme/absences", None).await;
    assert_eq!(absences["items"][0]["id"], "a-1");

    // Other tenants, partners and unknown tenants all see the same 404.
    for (who, path) in [
        (&globex, "/api/v1/tenants/acme/employees"),
        (&partner, "/api/v1/tenants/acme/employees"),
        (&acme, "/api/v1/tenants/globex/employees"),
        (&acme, "/api/v1/tenants/nowhere/employees"),
    ] {
        let (status, err) = get(&app, who, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(err["error"]["message"], "tenant not found");
    }
    assert_eq!(
        put_json(
            &app,
            &globex,
            "/api/v1/tenants/acme/employees/e-1",
            employee
        )
        .await
        .0,
        404
    );
    // The operator may look.
    assert_eq!(
        get(&app, &operator, "/api/v1/tenants/acme/employees", None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn employee_lists_page_with_a_cursor() {
    let app = spawn_app().await;
    let operator = token(&app, Role::Operator, None, None).await;
    post_json(
        &app,
        &operator,
        "/api/v1/tenants",
        r#"{"id":"acme","name":"Acme"}"#,
    )
    .await;
    let admin = tenant_token(&app, "acme", true).await;
    for i in 0..7 {
        let body = format!(r#"{{"first_name":"P{i}","last_name":"L","hire_date":"2021-01-01"}}"#);
        assert_eq!(
            put_json(
                &app,
                &admin,
                &format!("/api/v1/tenants/acme/employees/e-{i}"),
                &body
            )
            .await
            .0,
            200
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/tenants/acme/employees?limit=3".to_string();
    loop {
        let (_, page) = get(&app, &admin, &path, None).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/tenants/acme/employees?limit=3&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("e-{i}")).collect::<Vec<_>>());
}

pub(crate) async fn send_json(
    app: &App,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let res = reqwest::Client::new()
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

pub(crate) async fn post_json(app: &App, token: &str, path: &str, body: &str) -> (u16, Value) {
    send_json(app, reqwest::Method::POST, token, path, body).await
}

pub(crate) async fn put_json(app: &App, token: &str, path: &str, body: &str) -> (u16, Value) {
    send_json(app, reqwest::Method::PUT, token, path, body).await
}

#[tokio::test]
async fn metrics_count_runs_instantiations_and_denials() {
    use lockgate::bindings::Trigger;
    use lockgate::store::InstallRecord;
    use lockgate::sync::{RunRequest, run_sync};

    let app = spawn_app().await;
    app.store.create_tenant(TENANT, "Acme").await.unwrap();
    let plugin = app
        .runtime
        .load(&std::fs::read(lockgate_tests::program("test-hostile")).unwrap())
        .unwrap();
    for (n, attack) in ["none", "ungranted-host"].into_iter().enumerate() {
        let install = InstallRecord {
            id: format!("i-{n}"),
            tenant_id: TENANT.into(),
            connector_id: "hostile".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: plugin.sha256.clone(),
            config: [
                ("attack".to_string(), attack.to_string()),
                ("target".to_string(), "127.0.0.1:9".to_string()),
            ]
            .into_iter()
            .collect(),
            status: "connected".into(),
            ..Default::default()
        };
        app.store.put_install(&install).await.unwrap();
        run_sync(
            &app.runtime,
            RunRequest {
                store: &app.store,
                plugin: &plugin,
                install: &install,
                secrets: &Default::default(),
                operator: Default::default(),
                limits: Default::default(),
                trigger: Trigger::Manual,
            },
        )
        .await
        .unwrap();
    }
    let res = reqwest::get(format!("{}/metrics", app.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for line in [
        "lockgate_runs_total{status=\"successful\"} 1",
        "lockgate_runs_total{status=\"failed\"} 1",
        "lockgate_instantiations_total 2",
        "lockgate_http_denials_total 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    assert!(text.contains("lockgate_run_duration_seconds_sum{status=\"failed\"}"));
}

/// The OpenAPI document and the router agree: every documented operation
/// reaches a handler, and every route in the source is documented.
#[tokio::test]
async fn the_openapi_document_matches_the_routes() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let client = reqwest::Client::new();
    for (path, ops) in paths {
        let concrete = path.replace('{', "x-").replace('}', "");
        for method in ops.as_object().unwrap().keys() {
            let method: reqwest::Method = method.to_uppercase().parse().unwrap();
            let res = client
                .request(method.clone(), format!("{}{concrete}", app.url))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            assert!(
                !body.contains("endpoint not found"),
                "{method} {path} is documented but not routed"
            );
        }
    }
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../host/lockgate/src/api.rs"),
    )
    .unwrap();
    let routed: Vec<&str> = source
        .split('"')
        .filter(|s| s.starts_with("/api/") || *s == "/healthz" || *s == "/metrics")
        .filter(|s| !s.contains('*'))
        .collect();
    assert!(routed.len() > 20, "{routed:?}");
    for route in routed {
        assert!(
            paths.contains_key(route),
            "{route} is routed but not documented"
        );
    }
}

async fn post_csv(app: &App, token: &str, tenant: &str, csv: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/tenants/{tenant}/employees/import",
            app.url
        ))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_csv_import_writes_all_rows_or_none() {
    let app = spawn_app().await;
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    let admin = tenant_token(&app, "t-1", true).await;

    // Every problem, by line; nothing is written.
    let bad = "id,first_name,last_name,hire_date,weekly_hours,include:planner-export,attribute:Badge\n\
               e-1,Zoë,Müller-Lüdenscheidt,2024-01-15,38.5,yes,B-17\n\
               e-2,,Dupont,2024-13-01,lots,maybe,\n\
               e-1,Anna,Jansen,2023-05-02,,,\n";
    let (status, body) = post_csv(&app, &admin, "t-1", bad).await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<String> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "line 3: weekly_hours",
        "line 3: include:planner-export",
        "line 3: first_name",
        "line 3: hire_date",
        "line 4: id",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} in {fields:?}"
        );
    }
    assert!(app.store.all_employees("t-1").await.unwrap().is_empty());

    let (status, body) = post_csv(&app, &admin, "t-1", "id,shoe_size\ne-1,42\n").await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown column")
    );

    let good = "id,first_name,last_name,hire_date,weekly_hours,include:planner-export,attribute:Badge\n\
                e-1,Zoë,Müller-Lüdenscheidt,2024-01-15,38.5,yes,B-17\n\
                e-2,Jean,Dupont,2024-03-01,,no,\n";
    let (status, body) = post_csv(&app, &admin, "t-1", good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 2);
    let (_, page) = get(&app, &admin, "/api/v1/tenants/t-1/employees", None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["last_name"], "Müller-Lüdenscheidt");
    assert_eq!(items[0]["weekly_hours"], 38.5);
    assert_eq!(
        items[0]["custom_attributes"],
        serde_json::json!({ "Badge": "B-17" })
    );
    assert_eq!(
        items[1]["excluded_from"],
        serde_json::json!(["planner-export"])
    );
    assert_eq!(items[1]["custom_attributes"], serde_json::json!({}));

    // Custom attributes through the single-employee endpoint too.
    let (status, body) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/employees/e-2",
        r#"{"first_name":"Jean","last_name":"Dupont","hire_date":"2024-03-01","custom_attributes":{"T-shirt":"L"}}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["custom_attributes"],
        serde_json::json!({ "T-shirt": "L" })
    );

    // Another tenant's admin imports nothing here.
    let other = tenant_token(&app, "t-2", true).await;
    let (status, _) = post_csv(&app, &other, "t-1", good).await;
    assert_eq!(status, 404);
}

/// The console is one page on the API, locked down: no other origin, no
/// framing, and partner-written texts are only ever set as text.
#[tokio::test]
async fn the_console_is_served_with_a_strict_policy() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/", app.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let page = res.text().await.unwrap();
    for view in [
        "/api/v1/marketplace",
        "/installs/preview",
        "/runs",
        "/rows?",
    ] {
        assert!(page.contains(view), "the console uses {view}");
    }
    assert!(!page.contains("innerHTML"), "texts must be set as text");
    assert!(
        !page.contains("localStorage"),
        "the token lives only for the session"
    );
}
