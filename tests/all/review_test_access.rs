//! The review of a submission that carries test access: the platform's
//! review reaches the partner's test API (a fake partner on loopback that
//! the operator allows, as `partner-allow-http` does), runs
//! check-connection, the first sync and the incremental checks against it,
//! and records the live transfer; a wrong credential fails
//! check-connection with its reason. The endpoint and credentials appear
//! in no answer and no stored report.

use lockgate::auth::Role;
use lockgate::policy::OperatorPolicy;
use lockgate_tests::http::{get, post_json, put_json, send_json, submit};
use lockgate_tests::{TestApp, eventually_within, spawn_app_with, tenant_token, token};
use serde_json::{Value, json};

use crate::helpers::{FakePlanner, PLANNER_KEY};

const ACCESS: &str = "/api/v1/partner/submissions/planner-export/0.1.0/test-access";

/// An app whose partners' test APIs may be `planner` over plain HTTP on
/// loopback (when `allowed`), with `planner-co`'s planner export
/// submitted; the partner's token.
async fn submitted(planner: &FakePlanner, allowed: bool) -> (TestApp, String) {
    let mut operator = OperatorPolicy::default();
    if allowed {
        operator.partners.allow(&planner.addr.to_string()).unwrap();
    }
    let app = spawn_app_with(operator).await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let bytes = crate::api_catalog::published_by(lockgate::demo::PLANNER_EXPORT, "Planner Co");
    let (status, body) = submit(&app, &partner, bytes).await;
    assert_eq!(status, 201, "{body}");
    (app, partner)
}

fn access(url: &str, key: &str) -> String {
    json!({ "url": url, "config": { "api-key": key } }).to_string()
}

/// The partner's submission once the review made with its test access
/// is stored.
async fn reviewed_against_the_test_api(app: &TestApp, partner: &str) -> Value {
    eventually_within(
        "the review against the test API",
        std::time::Duration::from_secs(120),
        || async {
            let (_, mine) = get(app, partner, "/api/v1/partner/submissions", None).await;
            let item = mine["items"][0].clone();
            let report = &item["review_report"];
            (report.get("verdict").is_some() && report["partner"] == "the partner's test API")
                .then_some(item)
        },
    )
    .await
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {report:#}"))
}

/// Whether any of `secrets` shows in `answer`.
fn shows(answer: &Value, secrets: &[&str]) -> Option<String> {
    let text = answer.to_string();
    secrets
        .iter()
        .find(|s| text.contains(**s))
        .map(|s| s.to_string())
}

#[tokio::test]
async fn the_review_reaches_the_partners_test_api_and_shows_no_credential() {
    let planner = FakePlanner::start().await;
    let (app, partner) = submitted(&planner, true).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let hidden = [PLANNER_KEY, &planner.url(), &planner.addr.to_string()].map(String::from);
    let hidden: Vec<&str> = hidden.iter().map(String::as_str).collect();

    let (status, body) =
        put_json(&app, &partner, ACCESS, &access(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 202, "{body}");
    assert!(body["test_access_at"].is_string(), "{body}");
    assert_eq!(shows(&body, &hidden), None, "{body}");

    let item = reviewed_against_the_test_api(&app, &partner).await;
    let report = &item["review_report"];
    assert_ne!(report["verdict"], "fail", "{report:#}");
    for name in [
        "check-connection",
        "check-connection with a wrong credential",
        "first sync",
        "incremental",
        "late cursor",
        "rejected record",
    ] {
        assert_eq!(
            check(report, name)["verdict"],
            "pass",
            "{:#}",
            check(report, name)
        );
    }
    assert_eq!(
        check(report, "check-connection")["reason"],
        "succeeded against the partner's sandbox"
    );
    // The live transfer: the partner's own API answered.
    let exchanges = report["exchanges"].as_array().unwrap();
    let batch = exchanges
        .iter()
        .find(|e| {
            e["url"]
                .as_str()
                .unwrap()
                .ends_with("/api/v1/resources/batch")
        })
        .unwrap_or_else(|| panic!("no batch: {report:#}"));
    assert_eq!(batch["answered_by"], "the partner's test API");
    assert_eq!(batch["response_status"], 200);
    assert!(
        batch["response_body"].as_str().unwrap().contains("results"),
        "{batch}"
    );
    {
        let state = planner.state.lock().unwrap();
        assert!(
            state
                .auth
                .iter()
                .any(|a| a == &format!("Bearer {PLANNER_KEY}"))
        );
        assert!(
            state.auth.iter().any(|a| a.contains("wrong-api-key")),
            "{:?}",
            state.auth
        );
    }
    assert!(!planner.received_ids().is_empty());

    // Shown to no one: not the partner, not the operator, not stored.
    assert_eq!(shows(&item, &hidden), None, "{item:#}");
    let (_, queue) = get(&app, &operator, "/api/v1/review/queue", None).await;
    assert_eq!(queue["items"][0]["plugin_id"], "planner-export");
    assert_eq!(shows(&queue, &hidden), None, "{queue:#}");
    let (status, again) = post_json(
        &app,
        &operator,
        "/api/v1/review/planner-export/0.1.0/vet",
        "",
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["review_report"]["partner"], "the partner's test API");
    assert_eq!(
        check(&again["review_report"], "check-connection")["verdict"],
        "pass"
    );
    assert_eq!(shows(&again, &hidden), None, "{again:#}");
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT test_access, review_report FROM plugin_versions WHERE plugin_id = 'planner-export'",
    )
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    let sealed: String = row.get("test_access");
    let stored: String = row.get("review_report");
    for secret in &hidden {
        assert!(
            !sealed.contains(secret) && !stored.contains(secret),
            "{secret}"
        );
    }

    // Decided, the test access is erased.
    let (status, body) = post_json(
        &app,
        &operator,
        "/api/v1/review/planner-export/0.1.0",
        r#"{"decision": "approve", "tier": "elite"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["test_access_at"], Value::Null);
    assert!(
        app.store
            .test_access("planner-export", "0.1.0")
            .await
            .unwrap()
            .is_none()
    );
    let (status, body) =
        put_json(&app, &partner, ACCESS, &access(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 409, "{body}");
}

#[tokio::test]
async fn a_wrong_test_credential_fails_check_connection_with_its_reason() {
    let planner = FakePlanner::start().await;
    let (app, partner) = submitted(&planner, true).await;
    let (status, body) = put_json(
        &app,
        &partner,
        ACCESS,
        &access(&planner.url(), "not-the-planner-key"),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let item = reviewed_against_the_test_api(&app, &partner).await;
    let report = &item["review_report"];
    assert_eq!(report["verdict"], "fail");
    let connection = check(report, "check-connection");
    assert_eq!(connection["verdict"], "fail", "{connection}");
    let reason = connection["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("failed: ") && reason.contains("401"),
        "{reason}"
    );
    assert_eq!(check(report, "first sync")["verdict"], "fail");
    assert_eq!(
        shows(&item, &["not-the-planner-key", &planner.url()]),
        None,
        "{item:#}"
    );
    assert!(
        planner
            .state
            .lock()
            .unwrap()
            .auth
            .iter()
            .any(|a| a == "Bearer not-the-planner-key"),
        "the partner's API saw the wrong key"
    );

    // Withdrawn, the review runs against the recorder alone again.
    let (status, body) = send_json(&app, reqwest::Method::DELETE, &partner, ACCESS, "").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["test_access_at"], Value::Null);
    let report = eventually_within(
        "the review without test access",
        std::time::Duration::from_secs(120),
        || async {
            let (_, mine) = get(&app, &partner, "/api/v1/partner/submissions", None).await;
            let report = mine["items"][0]["review_report"].clone();
            (report.get("verdict").is_some()).then_some(report)
        },
    )
    .await;
    assert_eq!(
        check(&report, "check-connection")["verdict"],
        "warn",
        "{report:#}"
    );
}

#[tokio::test]
async fn test_access_is_checked_and_the_platform_reaches_only_allowed_addresses() {
    let planner = FakePlanner::start().await;
    // Loopback is not allowed for partners' test APIs here.
    let (app, partner) = submitted(&planner, false).await;
    let other = token(&app, Role::Partner, Some("other-co"), None).await;
    let admin = tenant_token(&app, "t-1", true).await;

    let (status, body) =
        put_json(&app, &partner, ACCESS, &access(&planner.url(), PLANNER_KEY)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "url");
    assert!(body.to_string().contains("partner-allow-http"), "{body}");
    let (status, body) = put_json(
        &app,
        &partner,
        ACCESS,
        &json!({ "url": "https://user:pa55word@sandbox.example", "config": { "colour": "red", "api-key": 5 } }).to_string(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let text = body.to_string();
    assert!(
        text.contains("user information") && !text.contains("pa55word"),
        "{body}"
    );
    assert!(
        text.contains("config.colour") && text.contains("planner-url"),
        "{body}"
    );
    let (status, _) = put_json(
        &app,
        &other,
        ACCESS,
        &access("https://sandbox.example", "k"),
    )
    .await;
    assert_eq!(status, 404, "another partner's submission");
    let (status, _) = put_json(
        &app,
        &admin,
        ACCESS,
        &access("https://sandbox.example", "k"),
    )
    .await;
    assert_eq!(status, 403);

    // HTTPS to a loopback address is taken, and the review does not reach it.
    let https = format!("https://{}", planner.addr);
    let (status, body) = put_json(&app, &partner, ACCESS, &access(&https, PLANNER_KEY)).await;
    assert_eq!(status, 202, "{body}");
    let item = reviewed_against_the_test_api(&app, &partner).await;
    let report = &item["review_report"];
    let connection = check(report, "check-connection");
    assert_eq!(connection["verdict"], "fail", "{connection}");
    let refused = report["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["response_status"] == 502)
        .unwrap_or_else(|| panic!("no refused exchange: {report:#}"));
    let why = refused["response_body"].as_str().unwrap();
    assert!(
        why.contains("does not reach") && why.contains("loopback"),
        "{why}"
    );
    assert!(
        planner.state.lock().unwrap().auth.is_empty(),
        "nothing reached it"
    );
    assert_eq!(
        shows(&item, &[PLANNER_KEY, &https, &planner.addr.to_string()]),
        None,
        "{item:#}"
    );
}
