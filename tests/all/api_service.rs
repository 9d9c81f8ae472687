//! What the API serves besides its operations: metrics, the OpenAPI
//! document (checked against the routes) and the console's files.

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
                sign_in_key: None,
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

/// The console's page and every module it loads are served from this
/// origin with their content type and a policy that runs no inline code:
/// what a browser refuses to load under that policy would leave a blank
/// page. (The journeys themselves run in a real browser in
/// `host/lockgate/tests/console.rs`.)
#[tokio::test]
async fn the_console_loads_only_its_own_files_under_a_strict_policy() {
    let app = spawn_app().await;
    let mut pending = vec!["/".to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = pending.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let res = reqwest::get(format!("{}{path}", app.url)).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        let body = res.text().await.unwrap();
        let expected = match path.rsplit('.').next() {
            Some("css") => "text/css",
            Some("js") => "text/javascript",
            _ => "text/html",
        };
        assert!(kind.starts_with(expected), "{path} is served as {kind}");
        if expected == "text/html" {
            assert!(
                !body.contains("<script>") && !body.contains(" style="),
                "inline code in {path}"
            );
            let handler = body
                .split_whitespace()
                .find(|word| word.starts_with("on") && word.contains('='));
            assert_eq!(handler, None, "an inline handler in {path}");
        }
        // What the page and the modules load: `/console/…` and `./….js`.
        for piece in body.split('"').skip(1).step_by(2) {
            if let Some(name) = piece.strip_prefix("./") {
                pending.push(format!("/console/{name}"));
            } else if piece.starts_with("/console/") {
                pending.push(piece.to_string());
            }
        }
        assert!(
            !body.contains("innerHTML") && !body.contains("insertAdjacentHTML"),
            "{path}: texts must be set as text"
        );
        assert!(
            !(body.contains("lockgate-token") && body.contains("localStorage")),
            "{path}: the token lives only for the session"
        );
    }
    for module in [
        "/console/app.js",
        "/console/admin.js",
        "/console/operator.js",
        "/console/partner.js",
    ] {
        assert!(seen.contains(module), "{module} is not loaded: {seen:?}");
    }
    let missing = reqwest::get(format!("{}/console/nothing.js", app.url))
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// A request body past its limit is read before the answer goes out, so
/// a real client still sending gets `413 too_large` rather than a reset
/// connection (and a body refused for its token, its `401`); the
/// connection stays usable.
#[tokio::test]
async fn an_oversized_body_gets_its_413_not_a_reset() {
    use lockgate::auth::Role;
    let app = spawn_app().await;
    let operator = lockgate_tests::token(&app, Role::Operator, None, None).await;
    let partner = lockgate_tests::token(&app, Role::Partner, Some("p-big"), None).await;
    let client = reqwest::Client::new();
    let json = format!(r#"{{"id":"big","name":"{}"}}"#, "n".repeat(10_000_000));
    let upload = vec![7u8; lockgate::api::MAX_UPLOAD_BYTES + (1 << 20)];
    let cases = [
        (
            format!("{}/api/v1/tenants", app.url),
            Some(&operator),
            "application/json",
            json.clone().into_bytes(),
            413,
            "too_large",
            format!("at most {} KiB", lockgate::api::MAX_JSON_BYTES >> 10),
        ),
        (
            format!("{}/api/v1/review/x/1.0.0", app.url),
            Some(&operator),
            "application/json",
            json.into_bytes(),
            413,
            "too_large",
            "KiB".to_string(),
        ),
        (
            format!("{}/api/v1/partner/submissions", app.url),
            Some(&partner),
            "application/wasm",
            upload.clone(),
            413,
            "too_large",
            format!("at most {} MiB", lockgate::api::MAX_UPLOAD_BYTES >> 20),
        ),
        (
            format!("{}/api/v1/partner/submissions", app.url),
            None,
            "application/wasm",
            upload,
            401,
            "unauthorized",
            "Bearer".to_string(),
        ),
    ];
    for round in 0..2 {
        for (url, token, content_type, body, status, code, says) in &cases {
            let mut request = client
                .post(url)
                .header("content-type", *content_type)
                .body(body.clone());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let res = request.send().await.unwrap_or_else(|e| {
                panic!("round {round}, {url}: no answer, the client saw {e:?}")
            });
            assert_eq!(res.status().as_u16(), *status, "{url}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], *code, "{url}: {body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(says.as_str()), "{url}: {message}");
        }
    }
    // Nothing was stored, and the same client goes on.
    assert!(!app.store.tenant_exists("big").await.unwrap());
    let res = client
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// A client that sends its whole request before it reads (as curl
/// without `Expect`, Python's `requests` and many others do): the answer,
/// or the I/O error it saw instead.
async fn send_all_then_read(
    url: &str,
    head: &str,
    body: &[u8],
) -> Result<(u16, Value), std::io::Error> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "{head}\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Ok((status, json))
}

#[tokio::test]
async fn a_client_that_sends_everything_first_reads_its_413() {
    use lockgate::auth::Role;
    let app = spawn_app().await;
    let operator = lockgate_tests::token(&app, Role::Operator, None, None).await;
    let partner = lockgate_tests::token(&app, Role::Partner, Some("p-big"), None).await;
    let json = format!(r#"{{"id":"big","name":"{}"}}"#, "n".repeat(10_000_000));
    let upload = vec![7u8; lockgate::api::MAX_UPLOAD_BYTES + (1 << 20)];
    for (head, body, status, code) in [
        (
            format!(
                "POST /api/v1/tenants HTTP/1.1\r\nAuthorization: Bearer {operator}\r\nContent-Type: application/json"
            ),
            json.as_bytes(),
            413,
            "too_large",
        ),
        (
            format!(
                "POST /api/v1/partner/submissions HTTP/1.1\r\nAuthorization: Bearer {partner}\r\nContent-Type: application/wasm"
            ),
            &upload[..],
            413,
            "too_large",
        ),
        (
            "POST /api/v1/partner/submissions HTTP/1.1\r\nContent-Type: application/wasm"
                .to_string(),
            &upload[..],
            401,
            "unauthorized",
        ),
    ] {
        let what = head.lines().next().unwrap().to_string();
        let (got, answer) = send_all_then_read(&app.url, &head, body)
            .await
            .unwrap_or_else(|e| panic!("{what}: no answer, the client saw {e:?}"));
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    assert!(!app.store.tenant_exists("big").await.unwrap());
}

/// The upload limit has one source: the server's constant, which the
/// OpenAPI document states in bytes and in MiB.
#[test]
fn the_openapi_document_states_the_upload_limit_the_server_enforces() {
    let doc: Value = serde_json::from_str(lockgate::api::OPENAPI).unwrap();
    let post = &doc["paths"]["/api/v1/partner/submissions"]["post"];
    let limit = lockgate::api::MAX_UPLOAD_BYTES;
    assert_eq!(
        post["requestBody"]["content"]["application/wasm"]["schema"]["maxLength"], limit,
        "{post}"
    );
    let mib = format!("at most {} MiB", limit >> 20);
    assert!(
        post["summary"].as_str().unwrap().contains(&mib),
        "{mib}: {post}"
    );
    let text = post.to_string();
    let mut sizes = text
        .match_indices(" MiB")
        .map(|(at, _)| {
            let digits: String = text[..at]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.chars().rev().collect::<String>()
        })
        .collect::<Vec<_>>();
    sizes.dedup();
    assert_eq!(sizes, vec![(limit >> 20).to_string()], "{text}");
    assert!(text.contains(&limit.to_string()), "{text}");
    assert!(post["responses"].get("413").is_some(), "{post}");
}

/// What a create answers is what was stored: `created_at` included.
#[tokio::test]
async fn a_new_install_answers_its_stored_creation_time() {
    use crate::helpers::FakePlanner;
    use crate::platform::TENANT;
    use lockgate::auth::Role;
    use lockgate_tests::http::{get, post_json, submit};
    let planner = FakePlanner::start().await;
    let mut policy = lockgate::policy::OperatorPolicy::default();
    policy.allow(&planner.addr.to_string()).unwrap();
    let app = lockgate_tests::spawn_app_with(policy).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 1)
        .await
        .unwrap();
    let operator = lockgate_tests::token(&app, Role::Operator, None, None).await;
    let (status, body) = submit(&app, &operator, lockgate::demo::PLANNER_EXPORT.to_vec()).await;
    assert_eq!(status, 201, "{body}");
    assert!(!body["submitted_at"].as_str().unwrap().is_empty(), "{body}");
    let (status, body) = post_json(
        &app,
        &operator,
        "/api/v1/review/planner-export/0.1.0",
        r#"{"decision":"approve","tier":"select"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let admin = lockgate_tests::tenant_token(&app, TENANT, true).await;
    let install =
        crate::platform::connect(&app, &admin, &planner, crate::helpers::PLANNER_KEY).await;
    let created = install["created_at"].as_str().unwrap();
    assert!(
        created.len() >= 20 && created.starts_with("20") && created.ends_with('Z'),
        "{install}"
    );
    let id = install["id"].as_str().unwrap();
    let stored = app.store.install(id).await.unwrap().unwrap();
    assert_eq!(stored.created_at, created);
    let (_, again) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs/{id}"),
        None,
    )
    .await;
    assert_eq!(again["created_at"], created);
}

/// Every JSON body is an object: an array (which derived deserializers
/// would take for a struct, `[null, null]` clearing the tenant's
/// defaults) is `400 bad_json`, and nothing changes.
#[tokio::test]
async fn a_json_body_that_is_no_object_is_refused_and_changes_nothing() {
    use lockgate::auth::Role;
    use lockgate_tests::http::{post_json, put_json};
    let app = spawn_app().await;
    app.store.create_tenant(TENANT, "Acme").await.unwrap();
    let operator = lockgate_tests::token(&app, Role::Operator, None, None).await;
    let settings = format!("/api/v1/tenants/{TENANT}/settings");
    let (status, body) = put_json(
        &app,
        &operator,
        &settings,
        r#"{"default_department":"Onboarding","default_position":"Trainee"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for (path, body) in [
        (settings.as_str(), "[null, null]"),
        (settings.as_str(), "[null, null, null, null]"),
        (settings.as_str(), "null"),
        ("/api/v1/tenants", r#"["t-2", "Two"]"#),
        ("/api/v1/review/x/1.0.0", r#"["reject", null, ["no"]]"#),
    ] {
        let (status, answer) = if path == settings {
            put_json(&app, &operator, path, body).await
        } else {
            post_json(&app, &operator, path, body).await
        };
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_json", "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("object"),
            "{answer}"
        );
    }
    let kept = app.store.tenant_settings(TENANT).await.unwrap();
    assert_eq!(kept.default_position.as_deref(), Some("Trainee"));
    assert_eq!(kept.default_department.as_deref(), Some("Onboarding"));
    assert!(!app.store.tenant_exists("t-2").await.unwrap());
}
