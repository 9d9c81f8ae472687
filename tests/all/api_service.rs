//! What the API serves besides its operations: metrics, the OpenAPI
//! document (checked against the routes) and the console page.

use lockgate_tests::spawn_app;
use serde_json::Value;

use crate::helpers::TENANT;

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
            status: lockgate::vocabulary::InstallStatus::Connected,
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
