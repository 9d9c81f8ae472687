//! The HTTP API over real HTTP on port 0: authentication, roles, health
//! and the error shape of unknown endpoints.

use lockgate::auth::{NewToken, Role, create_token};
use lockgate_tests::{spawn_app, token};
use serde_json::Value;

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
