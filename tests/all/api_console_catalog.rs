//! What the console's marketplace, operator and partner views rely on:
//! connector icons served safely, integration and demo requests seen by
//! the right people, the operator's views across tenants.

use base64::Engine;
use lockgate::auth::Role;
use lockgate::store::InstallRecord;
use lockgate::vocabulary::InstallStatus;
use lockgate_tests::http::{get, post_json};
use lockgate_tests::{TestApp, spawn_app, tenant_token, token};

use crate::helpers::{publish, with_manifest};

/// The planner export under another id, its icon replaced by `icon` (none
/// when `None`).
fn planner_as(id: &str, icon: Option<String>) -> Vec<u8> {
    with_manifest(lockgate::demo::PLANNER_EXPORT, |text| {
        let mut out: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with("icon ="))
            .map(|l| {
                if l.starts_with("id =") {
                    format!("id = \"{id}\"")
                } else {
                    l.to_string()
                }
            })
            .collect();
        if let Some(icon) = icon {
            let at = out.iter().position(|l| l.starts_with("hosts =")).unwrap();
            out.insert(at, format!("icon = \"{icon}\""));
        }
        out.join("\n")
    })
}

/// A GET's status and headers, and its body as bytes.
async fn raw_get(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn icons_are_served_with_a_fixed_type_and_sandboxed() {
    let app = spawn_app().await;
    let admin = tenant_token(&app, "t-1", true).await;
    let no_right = tenant_token(&app, "t-1", false).await;
    // The bundled planner export carries an SVG icon.
    publish(&app, "lockgate", lockgate::demo::PLANNER_EXPORT).await;
    publish(&app, "plain-co", &planner_as("plain-export", None)).await;
    let png = {
        let mut b =
            b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\0\0\0\0".to_vec();
        b.extend(b"\0\0\0\0IEND\xaeB`\x82");
        b
    };
    let uri = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&png)
    );
    publish(&app, "png-co", &planner_as("png-export", Some(uri))).await;

    let (status, listed) = get(&app, &admin, "/api/v1/marketplace", None).await;
    assert_eq!(status, 200);
    let icon_of = |id: &str| {
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["icon_url"]
            .clone()
    };
    assert_eq!(
        icon_of("planner-export"),
        "/api/v1/marketplace/planner-export/icon"
    );
    assert_eq!(icon_of("plain-export"), serde_json::Value::Null);

    let (status, headers, body) =
        raw_get(&app, &admin, "/api/v1/marketplace/planner-export/icon").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    );
    assert!(
        body.starts_with(b"<svg"),
        "{}",
        String::from_utf8_lossy(&body)
    );

    let (status, headers, body) =
        raw_get(&app, &admin, "/api/v1/marketplace/png-export/icon").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(body, png);

    let (status, _, _) = raw_get(&app, &admin, "/api/v1/marketplace/plain-export/icon").await;
    assert_eq!(status, 404);
    let (status, _, _) = raw_get(&app, &admin, "/api/v1/marketplace/nothing/icon").await;
    assert_eq!(status, 404);
    let (status, _, _) = raw_get(&app, &no_right, "/api/v1/marketplace/planner-export/icon").await;
    assert_eq!(status, 403);
    let (status, _, _) = raw_get(&app, "nope", "/api/v1/marketplace/planner-export/icon").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_partner_submission_with_a_bad_icon_is_refused_naming_the_icon() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let big = format!("<svg>{}</svg>", "<g/>".repeat(9000));
    let uri = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(big)
    );
    let component =
        crate::api_catalog::published_by(&planner_as("big-icon", Some(uri)), "Planner Co");
    let (status, body) = lockgate_tests::http::submit(&app, &partner, component).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("icon: the image is"), "{body}");
    assert!(body.to_string().contains("at most 32 KiB"), "{body}");
}

#[tokio::test]
async fn requests_reach_the_operator_and_only_the_connectors_partner() {
    let app = spawn_app().await;
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    app.store.create_tenant("t-2", "Globex").await.unwrap();
    publish(&app, "planner-co", &planner_as("planner-x", None)).await;
    publish(&app, "other-co", &planner_as("other-x", None)).await;
    let admin = tenant_token(&app, "t-1", true).await;
    let admin_2 = tenant_token(&app, "t-2", true).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let other = token(&app, Role::Partner, Some("other-co"), None).await;

    let (status, made) = post_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/requests",
        r#"{"connector": "planner-x", "kind": "demo", "message": "Next week?\nThanks"}"#,
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["tenant_id"], "t-1");
    assert_eq!(made["tenant_name"], "Acme");
    assert_eq!(made["connector_id"], "planner-x");
    assert_eq!(made["partner_id"], "planner-co");
    assert_eq!(made["kind"], "demo");
    assert_eq!(made["message"], "Next week?\nThanks");
    assert_eq!(made["requested_by"], "admin");
    assert!(made["created_at"].as_str().unwrap().len() >= 10);
    let (status, _) = post_json(
        &app,
        &admin_2,
        "/api/v1/tenants/t-2/requests",
        r#"{"connector": "other-x", "kind": "integration"}"#,
    )
    .await;
    assert_eq!(status, 201);

    // An admin asks only for its own tenant; nobody else asks at all.
    let body = r#"{"connector": "planner-x", "kind": "integration"}"#;
    assert_eq!(
        post_json(&app, &admin, "/api/v1/tenants/t-2/requests", body)
            .await
            .0,
        404
    );
    assert_eq!(
        post_json(&app, &operator, "/api/v1/tenants/t-1/requests", body)
            .await
            .0,
        403
    );
    assert_eq!(
        post_json(&app, &partner, "/api/v1/tenants/t-1/requests", body)
            .await
            .0,
        404
    );
    // Every problem at once, by field.
    let (status, error) = post_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/requests",
        &format!(
            r#"{{"connector": "nothing", "kind": "call me", "message": "{}"}}"#,
            "x".repeat(2001)
        ),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    let fields: Vec<&str> = error["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "message", "connector"], "{error}");

    // The operator sees both, newest first.
    let (status, all) = get(&app, &operator, "/api/v1/requests", None).await;
    assert_eq!(status, 200);
    let connectors: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["connector_id"].as_str().unwrap())
        .collect();
    assert_eq!(connectors.len(), 2, "{all}");
    assert!(connectors.contains(&"planner-x") && connectors.contains(&"other-x"));
    // Each partner only the requests for its own connectors.
    let (status, mine) = get(&app, &partner, "/api/v1/partner/requests", None).await;
    assert_eq!(status, 200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(mine["items"][0]["tenant_id"], "t-1");
    assert_eq!(mine["items"][0]["kind"], "demo");
    let (_, theirs) = get(&app, &other, "/api/v1/partner/requests", None).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(theirs["items"][0]["tenant_id"], "t-2");
    // A tenant sees its own; the lists are not for anyone else.
    let (_, own) = get(&app, &admin, "/api/v1/tenants/t-1/requests", None).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1, "{own}");
    assert_eq!(
        get(&app, &admin, "/api/v1/tenants/t-2/requests", None)
            .await
            .0,
        404
    );
    assert_eq!(get(&app, &admin, "/api/v1/requests", None).await.0, 403);
    assert_eq!(get(&app, &partner, "/api/v1/requests", None).await.0, 403);
    assert_eq!(
        get(&app, &admin, "/api/v1/partner/requests", None).await.0,
        403
    );
    assert_eq!(
        get(&app, &operator, "/api/v1/partner/requests", None)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn the_operator_sees_connectors_tenants_and_failing_installs() {
    let app = spawn_app().await;
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    app.store.create_tenant("t-2", "Globex").await.unwrap();
    publish(&app, "planner-co", &planner_as("planner-x", None)).await;
    let now = app.clock.now_text();
    for (id, tenant, status, reason) in [
        ("inst-ok", "t-1", InstallStatus::Connected, None),
        (
            "inst-wait",
            "t-1",
            InstallStatus::Pending,
            Some("sign in again"),
        ),
        ("inst-new", "t-2", InstallStatus::Pending, None),
    ] {
        app.store
            .create_install(&InstallRecord {
                id: id.into(),
                tenant_id: tenant.into(),
                connector_id: "planner-x".into(),
                plugin_version: "0.1.0".into(),
                plugin_sha256: "0".repeat(64),
                status,
                status_reason: reason.map(String::from),
                created_at: now.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    // The connected one's latest run failed.
    let run = |id: &str, status, started: &str| lockgate::store::RunRecord {
        id: id.into(),
        install_id: "inst-ok".into(),
        tenant_id: "t-1".into(),
        connector_id: "planner-x".into(),
        plugin_version: "0.1.0".into(),
        kind: lockgate::vocabulary::JobKind::Sync,
        trigger: lockgate::vocabulary::RunTrigger::Scheduled,
        status,
        started_at: started.into(),
        finished_at: Some(started.into()),
        duration_ms: Some(5),
        failure_kind: None,
        failure_reason: None,
        requests: 0,
        peak_memory: 0,
        job_id: None,
        host: None,
    };
    use lockgate::vocabulary::RunStatus;
    let mut failed = run("run-2", RunStatus::Failed, "2026-01-02T00:00:00Z");
    failed.failure_reason = Some("the planner answered 500".into());
    for r in [
        run("run-1", RunStatus::Successful, "2026-01-01T00:00:00Z"),
        failed,
    ] {
        app.store.create_run(&r).await.unwrap();
        app.store.finish_run(&r).await.unwrap();
    }
    let operator = token(&app, Role::Operator, None, None).await;

    let (status, connectors) = get(&app, &operator, "/api/v1/operator/connectors", None).await;
    assert_eq!(status, 200);
    let c = &connectors["items"][0];
    assert_eq!(c["id"], "planner-x");
    assert_eq!(c["partner_id"], "planner-co");
    assert_eq!(c["tier"], "select");
    assert_eq!(c["listed_version"], "0.1.0");
    assert_eq!(c["versions"][0]["status"], "approved");
    assert_eq!(c["versions"][0]["listed"], true);

    let (status, tenants) = get(&app, &operator, "/api/v1/operator/tenants", None).await;
    assert_eq!(status, 200);
    assert_eq!(tenants["items"][0]["id"], "t-1");
    assert_eq!(tenants["items"][0]["name"], "Acme");
    assert_eq!(tenants["items"][0]["installs"], 2);
    assert_eq!(tenants["items"][0]["connected"], 1);
    assert_eq!(tenants["items"][1]["installs"], 1);
    assert_eq!(tenants["items"][1]["connected"], 0);

    let (status, failing) = get(&app, &operator, "/api/v1/operator/failing-installs", None).await;
    assert_eq!(status, 200);
    let items = failing["items"].as_array().unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["install_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{failing}");
    assert!(
        ids.contains(&"inst-wait") && ids.contains(&"inst-ok"),
        "{failing}"
    );
    let wait = items
        .iter()
        .find(|i| i["install_id"] == "inst-wait")
        .unwrap();
    assert_eq!(wait["status_reason"], "sign in again");
    let ok = items.iter().find(|i| i["install_id"] == "inst-ok").unwrap();
    assert_eq!(ok["last_run_id"], "run-2");
    assert_eq!(ok["last_run_status"], "failed");
    assert_eq!(ok["last_run_failure"], "the planner answered 500");

    let admin = tenant_token(&app, "t-1", true).await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    for path in [
        "/api/v1/operator/connectors",
        "/api/v1/operator/tenants",
        "/api/v1/operator/failing-installs",
    ] {
        assert_eq!(get(&app, &admin, path, None).await.0, 403, "{path}");
        assert_eq!(get(&app, &partner, path, None).await.0, 403, "{path}");
    }
}

#[tokio::test]
async fn a_partner_previews_its_listing_in_each_language() {
    let app = spawn_app().await;
    publish(&app, "planner-co", &planner_as("planner-x", None)).await;
    publish(&app, "lockgate", lockgate::demo::PLANNER_EXPORT).await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let other = token(&app, Role::Partner, Some("other-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let admin = tenant_token(&app, "t-1", true).await;
    let path = "/api/v1/partner/submissions/planner-x/0.1.0/preview";

    let (status, de) = get(&app, &partner, &format!("{path}?lang=de"), None).await;
    assert_eq!(status, 200, "{de}");
    assert_eq!(de["language"], "de");
    assert_eq!(de["required"], true);
    assert_eq!(de["name"], "Planungstool-Export");
    assert_eq!(de["missing"], serde_json::json!([]));
    assert_eq!(de["preview_icon_url"], serde_json::Value::Null);
    let (_, es) = get(&app, &partner, &format!("{path}?lang=es"), None).await;
    assert_eq!(es["required"], false);
    assert_eq!(es["name"], "Planner export", "falls back to English: {es}");
    let missing: Vec<&str> = es["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(
        missing.contains(&"name") && missing.contains(&"description"),
        "{es}"
    );

    assert_eq!(
        get(&app, &partner, &format!("{path}?lang=german"), None)
            .await
            .0,
        422
    );
    assert_eq!(get(&app, &other, path, None).await.0, 404);
    assert_eq!(get(&app, &admin, path, None).await.0, 403);
    // The operator previews the platform's own connectors, with their icon.
    let own = "/api/v1/partner/submissions/planner-export/0.1.0";
    let (status, en) = get(&app, &operator, &format!("{own}/preview?lang=en"), None).await;
    assert_eq!(status, 200, "{en}");
    assert_eq!(en["preview_icon_url"], format!("{own}/icon"));
    let (status, headers, _) = raw_get(&app, &operator, &format!("{own}/icon")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(raw_get(&app, &other, &format!("{own}/icon")).await.0, 404);
}

/// A bundled connector's `icon` is its `icon.svg`, base64-encoded, and
/// passes the manifest's checks: a change to one shows in the other.
#[test]
fn bundled_icons_match_their_svg_files() {
    let plugins = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins");
    let mut found = 0;
    for entry in std::fs::read_dir(&plugins).unwrap() {
        let dir = entry.unwrap().path();
        let svg = dir.join("icon.svg");
        if !svg.exists() {
            continue;
        }
        found += 1;
        let text = std::fs::read_to_string(dir.join("connector.toml")).unwrap();
        let manifest = lockgate_manifest::Manifest::parse(text.as_bytes()).unwrap();
        let icon = lockgate_manifest::manifest::decode_icon(manifest.icon.as_deref().unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert_eq!(
            icon.bytes,
            std::fs::read(&svg).unwrap(),
            "{}: connector.toml's icon is not icon.svg; run base64 -w0 icon.svg",
            dir.display()
        );
    }
    assert!(found >= 2, "planner-export and payroll-export carry icons");
}
