//! Every operation of the API (as the OpenAPI document lists them) against
//! every kind of caller. A caller without access gets 401 (no token), 403
//! or 404, and the answer reveals nothing about the resource; a caller
//! with access gets the operation's answer to the request the matrix
//! sends (a success, or the one validation error an empty `{}` body
//! earns), never a refusal and never a server error. A new route without a
//! row here fails.

use serde_json::Value;

use crate::helpers::{FakePlanner, PLANNER_KEY};
use lockgate::auth::Role;
use lockgate_tests::http::{get, post_json, submit};
use lockgate_tests::{eventually, spawn_app_with, tenant_token, token};

const OPERATOR: &str = "operator";
const PARTNER: &str = "partner (owner)";
const OTHER_PARTNER: &str = "another partner";
const ADMIN: &str = "tenant admin";
const NO_RIGHT: &str = "tenant admin without the marketplace right";
const OTHER_ADMIN: &str = "another tenant's admin";

/// Who may call each operation; routes that need no token are absent.
fn allowed(method: &str, path: &str) -> Option<&'static [&'static str]> {
    const ALL: &[&str] = &[
        OPERATOR,
        PARTNER,
        OTHER_PARTNER,
        ADMIN,
        NO_RIGHT,
        OTHER_ADMIN,
    ];
    const PARTNERS: &[&str] = &[OPERATOR, PARTNER, OTHER_PARTNER];
    const REVIEW: &[&str] = &[OPERATOR];
    const BROWSE: &[&str] = &[OPERATOR, PARTNER, OTHER_PARTNER, ADMIN, OTHER_ADMIN];
    const HR: &[&str] = &[OPERATOR, ADMIN, NO_RIGHT];
    const MONITOR: &[&str] = &[OPERATOR, ADMIN];
    const MANAGE: &[&str] = &[ADMIN];
    // Each partner its own sandbox; a submission's test access its owner.
    const SANDBOX: &[&str] = &[PARTNER, OTHER_PARTNER];
    const OWNER: &[&str] = &[PARTNER];
    Some(match (method, path) {
        (_, "/healthz" | "/metrics" | "/api/v1/openapi.json") => return None,
        // Authenticated by the install's webhook secret, not a token.
        (_, p) if p.starts_with("/hooks/") => return None,
        ("get", "/api/v1/me") => ALL,
        (_, "/api/v1/partner/submissions") => PARTNERS,
        (_, "/api/v1/partner/sandbox") => SANDBOX,
        (_, p) if p.ends_with("/test-access") => OWNER,
        // A submission's listing preview and icon: its partner only.
        (_, p) if p.starts_with("/api/v1/partner/submissions/") => OWNER,
        ("get", "/api/v1/partner/requests") => &[PARTNER, OTHER_PARTNER],
        ("get", "/api/v1/requests") => REVIEW,
        (_, p) if p.starts_with("/api/v1/operator/") => REVIEW,
        ("get", "/api/v1/tenants/{tenant}/requests") => HR,
        ("post", "/api/v1/tenants/{tenant}/requests") => &[ADMIN, NO_RIGHT],
        (_, p) if p.starts_with("/api/v1/review/") => REVIEW,
        (_, p) if p.starts_with("/api/v1/marketplace") => BROWSE,
        ("post", "/api/v1/tenants") => REVIEW,
        (_, p)
            if p.contains("/employees")
                || p.contains("/absences")
                || p.contains("/attendances")
                || p.contains("/positions")
                || p.contains("/applications")
                || p.ends_with("/settings") =>
        {
            HR
        }
        ("get", p) if p.contains("/installs") || p.contains("/runs/") || p.ends_with("/audit") => {
            MONITOR
        }
        (_, p) if p.contains("/installs") => MANAGE,
        _ => panic!("{method} {path} has no row in the access matrix"),
    })
}

/// The answer an allowed caller gets for the matrix's request (`{}` as
/// the body) when that request is invalid for the operation: the one
/// validation error it earns. Every other operation must answer with the
/// success its OpenAPI entry documents.
fn invalid_request(method: &str, path: &str) -> Option<u16> {
    Some(match (method, path) {
        // Not a WebAssembly component: refused with every reason.
        ("post", "/api/v1/partner/submissions") => 422,
        // `{}` lacks required fields: a malformed body.
        ("post", "/api/v1/review/{plugin}/{version}") => 400,
        ("post", "/api/v1/tenants") => 400,
        ("put", "/api/v1/tenants/{tenant}/employees/{id}") => 400,
        ("put", "/api/v1/tenants/{tenant}/absences/{id}") => 400,
        ("put", "/api/v1/tenants/{tenant}/attendances/{id}") => 400,
        ("put", "/api/v1/tenants/{tenant}/positions/{id}") => 400,
        ("post", "/api/v1/tenants/{tenant}/installs") => 400,
        ("post", "/api/v1/tenants/{tenant}/requests") => 400,
        ("post", "/api/v1/tenants/{tenant}/installs/preview") => 400,
        // The tenant has no employee, absence or attendance period
        // `e-matrix` (the PUTs were refused).
        ("get", "/api/v1/tenants/{tenant}/employees/{id}") => 404,
        ("get", "/api/v1/tenants/{tenant}/absences/{id}") => 404,
        ("get" | "delete", "/api/v1/tenants/{tenant}/attendances/{id}") => 404,
        ("delete", "/api/v1/tenants/{tenant}/employees/{id}") => 404,
        // Nor a position or an application `e-matrix`.
        ("get", "/api/v1/tenants/{tenant}/positions/{id}") => 404,
        ("get", "/api/v1/tenants/{tenant}/applications/{id}") => 404,
        ("get", "/api/v1/tenants/{tenant}/applications/{id}/attachments/{seq}") => 404,
        // `{}` is not a CSV file with an id column.
        ("post", "/api/v1/tenants/{tenant}/employees/import") => 422,
        ("post", "/api/v1/tenants/{tenant}/attendances/import") => 422,
        // No newer approved version to move to.
        ("post", "/api/v1/tenants/{tenant}/installs/{id}/upgrade") => 409,
        // The planner export takes no webhooks, and signs in with an API
        // key rather than an admin's sign-in at the partner.
        ("post", "/api/v1/tenants/{tenant}/installs/{id}/webhook-secret") => 409,
        (
            "post",
            "/api/v1/tenants/{tenant}/installs/{id}/sign-in"
            | "/api/v1/tenants/{tenant}/installs/{id}/sign-out",
        ) => 409,
        // Read before the `post` creates it (`{}` is a sandbox with no
        // test hosts); a change must name the test hosts.
        ("get", "/api/v1/partner/sandbox") => 404,
        ("patch", "/api/v1/partner/sandbox") => 400,
        // `{}` names no test API; the listed version takes none anyway.
        ("put", "/api/v1/partner/submissions/{plugin}/{version}/test-access") => 400,
        ("delete", "/api/v1/partner/submissions/{plugin}/{version}/test-access") => 409,
        _ => return None,
    })
}

#[tokio::test]
async fn every_operation_against_every_caller() {
    let planner = FakePlanner::start().await;
    let mut operator_policy = lockgate::policy::OperatorPolicy::default();
    operator_policy.allow(&planner.addr.to_string()).unwrap();
    let app = spawn_app_with(operator_policy).await;
    for tenant in ["t-1", "t-2"] {
        lockgate::sandbox::ensure_tenant(&app.store, tenant, 20, 3)
            .await
            .unwrap();
    }
    let callers = [
        (OPERATOR, token(&app, Role::Operator, None, None).await),
        (
            PARTNER,
            token(&app, Role::Partner, Some("planner-co"), None).await,
        ),
        (
            OTHER_PARTNER,
            token(&app, Role::Partner, Some("other-co"), None).await,
        ),
        (ADMIN, tenant_token(&app, "t-1", true).await),
        (NO_RIGHT, tenant_token(&app, "t-1", false).await),
        (OTHER_ADMIN, tenant_token(&app, "t-2", true).await),
    ];
    let by_name = |name: &str| callers.iter().find(|(n, _)| *n == name).unwrap().1.clone();

    // A listed connector, connected to t-1, with one finished run.
    let (status, _) = submit(
        &app,
        &by_name(PARTNER),
        crate::api_catalog::published_by(lockgate::demo::PLANNER_EXPORT, "Planner Co"),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) = post_json(
        &app,
        &by_name(OPERATOR),
        "/api/v1/review/planner-export/0.1.0",
        r#"{"decision":"approve","tier":"select"}"#,
    )
    .await;
    assert_eq!(status, 200);
    let admin = by_name(ADMIN);
    let (_, preview) = post_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/installs/preview",
        &serde_json::json!({
            "plugin": "planner-export",
            "config": { "planner-url": planner.url(), "api-key": PLANNER_KEY },
        })
        .to_string(),
    )
    .await;
    let (status, install) = post_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/installs",
        &serde_json::json!({
            "plugin": "planner-export",
            "config": { "planner-url": planner.url(), "api-key": PLANNER_KEY },
            "grant": preview["grant"],
        })
        .to_string(),
    )
    .await;
    assert_eq!(status, 201, "{install}");
    let install_id = install["id"].as_str().unwrap().to_string();
    let run_id = eventually("a finished run", || async {
        let runs = app.store.runs_of_install(&install_id).await.unwrap();
        runs.iter()
            .find(|r| r.status != "running")
            .map(|r| r.id.clone())
    })
    .await;
    let today = lockgate::time::date_text(lockgate::time::today());

    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await
        .unwrap();
    let doc: Value = res.json().await.unwrap();
    let mut operations = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if let Some(allowed) = allowed(method, path) {
                let documented: Vec<u16> = ops[method]["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .filter_map(|code| code.parse().ok())
                    .filter(|code| (200..300).contains(code))
                    .collect();
                assert_eq!(documented.len(), 1, "{method} {path}: {documented:?}");
                let want = invalid_request(method, path).unwrap_or(documented[0]);
                let concrete = path
                    .replace("{tenant}", "t-1")
                    .replace("{plugin}", "planner-export")
                    .replace("{version}", "0.1.0")
                    .replace("{run}", &run_id)
                    .replace("{seq}", "1")
                    .replace(
                        "{id}",
                        if path.contains("/installs/") {
                            &install_id
                        } else if path.contains("/marketplace/") {
                            "planner-export"
                        } else {
                            "e-matrix"
                        },
                    );
                let concrete = if path.ends_with("/audit") {
                    format!("{concrete}?from={today}&to={today}")
                } else {
                    concrete
                };
                operations.push((method.clone(), path.clone(), concrete, allowed, want));
            }
        }
    }
    // Deactivating the install goes next to last (so syncing it is still
    // allowed before), deleting it last, so every other operation finds it.
    operations
        .sort_by_key(|(method, path, ..)| (method == "delete", path.ends_with("/deactivate")));
    assert!(operations.len() > 25, "{}", operations.len());

    let client = reqwest::Client::new();
    let send = |method: &str, url: &str, token: Option<&str>| {
        let mut req = client
            .request(
                method.to_uppercase().parse().unwrap(),
                format!("{}{url}", app.url),
            )
            .header("content-type", "application/json")
            .body("{}");
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    // First everyone who may not, so nothing has changed yet.
    for (method, path, url, allowed, _) in &operations {
        let res = send(method, url, None).await.unwrap();
        assert_eq!(res.status(), 401, "anonymous {method} {path}");
        for (name, token) in callers.iter().filter(|(n, _)| !allowed.contains(n)) {
            let res = send(method, url, Some(token)).await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            assert!(
                status == 403 || status == 404,
                "{name} {method} {path}: {status} {body}"
            );
            for secret in [&install_id, &run_id] {
                assert!(
                    !body.contains(secret.as_str()),
                    "{name} {method} {path} revealed {secret}"
                );
            }
        }
    }
    let install_before = app.store.install(&install_id).await.unwrap();
    assert_eq!(install_before.as_ref().unwrap().status, "connected");
    // Then everyone who may: the operation's own answer, every mismatch
    // reported at once.
    let mut wrong = Vec::new();
    let mut answered = 0;
    for (method, path, url, allowed, want) in &operations {
        for (name, token) in callers.iter().filter(|(n, _)| allowed.contains(n)) {
            let res = send(method, url, Some(token)).await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            answered += 1;
            if status != *want {
                wrong.push(format!(
                    "{name} {method} {path}: {status}, expected {want}: {body:.300}"
                ));
            }
        }
    }
    assert!(answered > 25, "{answered}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (status, _) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/t-1/installs/{install_id}"),
        None,
    )
    .await;
    assert_eq!(status, 404, "the admin's DELETE went through last");
}
