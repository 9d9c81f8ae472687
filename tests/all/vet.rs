//! The automated quality review: the bundled connector passes against its
//! partner; each deliberately flawed connector fails with its reason.

use std::sync::Arc;

use lockgate::review::vet::{Verdict, VetOptions, VetReport, vet};

use crate::helpers::{FakePlanner, PLANNER_KEY};

fn runtime() -> Arc<lockgate::Runtime> {
    Arc::new(
        lockgate::Runtime::new(lockgate::RuntimeConfig {
            max_instances: 8,
            ..Default::default()
        })
        .unwrap(),
    )
}

async fn vet_file(bytes: &[u8], options: VetOptions) -> VetReport {
    vet(runtime(), Default::default(), bytes, options, &|_| {}).await
}

fn program(name: &str) -> Vec<u8> {
    std::fs::read(lockgate_tests::program(name)).unwrap()
}

fn find<'a>(report: &'a VetReport, name: &str) -> &'a lockgate::review::vet::Check {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}: {:#?}", report.checks))
}

fn failures(report: &VetReport) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| format!("{}: {}", c.name, c.reason))
        .collect()
}

#[tokio::test]
async fn the_bundled_connector_passes_against_its_partner() {
    let planner = FakePlanner::start().await;
    let report = vet_file(
        lockgate::demo::PLANNER_EXPORT,
        VetOptions {
            config: [("api-key".to_string(), PLANNER_KEY.to_string())].into(),
            partner_url: Some(planner.url()),
            previous: Some(lockgate::demo::PLANNER_EXPORT.to_vec()),
        },
    )
    .await;
    assert_ne!(report.verdict, Verdict::Fail, "{:#?}", failures(&report));
    for name in [
        "check-connection",
        "check-connection with a wrong credential",
        "validate-config refuses a broken configuration",
        "first sync",
        "filter base-department",
        "excluded and out-of-window employees",
        "incremental",
        "late cursor",
        "rejected record",
        "configuration schema",
        "injected credentials",
    ] {
        assert_eq!(
            find(&report, name).verdict,
            Verdict::Pass,
            "{:#?}",
            find(&report, name)
        );
    }
    // The live transfer example: what was sent and what came back.
    let batch = report
        .exchanges
        .iter()
        .find(|e| e.url.ends_with("/api/v1/resources/batch"))
        .expect("the batch is in the example");
    assert_eq!(batch.response_status, 200);
    assert!(batch.response_body.contains("results"), "{batch:?}");
    assert!(report.figures.peak_memory > 0 && report.figures.requests >= 1);
    // The wrong credential really reached the partner, and the right one
    // appears nowhere in the report.
    assert!(
        planner
            .state
            .lock()
            .unwrap()
            .auth
            .iter()
            .any(|a| a.contains("wrong-api-key"))
    );
    assert!(
        !serde_json::to_string(&report)
            .unwrap()
            .contains(PLANNER_KEY)
    );
}

#[tokio::test]
async fn each_flawed_connector_fails_with_its_reason() {
    let cases = [
        (
            "test-flawed-department",
            "filter base-department",
            "ignores the department filter",
        ),
        ("test-flawed-stateless", "incremental", "not incremental"),
        (
            "test-flawed-forgetful",
            "rejected record",
            "whose record the partner had rejected",
        ),
        (
            "test-flawed-compensation",
            "employees.compensation",
            "sends exactly the same without it",
        ),
        (
            "test-flawed-secret",
            "secret fields",
            "api-token looks like a credential but is not marked secret",
        ),
        ("test-flawed-no-en", "component and manifest", "no en text"),
    ];
    // Against a partner, so that what the connector sends is judged
    // against real answers.
    let planner = FakePlanner::start().await;
    for (name, check, reason) in cases {
        let options = VetOptions {
            config: [("api-key".to_string(), PLANNER_KEY.to_string())].into(),
            partner_url: Some(planner.url()),
            previous: None,
        };
        let options = if name == "test-flawed-secret" {
            // Its credential field has another name.
            VetOptions {
                config: [("api-token".to_string(), PLANNER_KEY.to_string())].into(),
                ..options
            }
        } else {
            options
        };
        let report = vet_file(&program(name), options).await;
        assert_eq!(
            report.verdict,
            Verdict::Fail,
            "{name}: {:#?}",
            report.checks
        );
        let found = report
            .checks
            .iter()
            .any(|c| c.name == check && c.verdict == Verdict::Fail && c.reason.contains(reason));
        assert!(
            found,
            "{name}: no failing {check:?} saying {reason:?}: {:#?}",
            failures(&report)
        );
        if name == "test-flawed-department" {
            // Its one flaw is the filter: it keeps what the partner
            // rejected and sends it again, as a connector should.
            let check = find(&report, "rejected record");
            assert_eq!(check.verdict, Verdict::Pass, "{check:#?}");
        }
    }
}

#[tokio::test]
async fn an_upgrade_that_drops_configuration_fields_is_flagged() {
    let report = vet_file(
        &program("test-flawed-department"),
        VetOptions {
            previous: Some(lockgate::demo::PLANNER_EXPORT.to_vec()),
            ..Default::default()
        },
    )
    .await;
    let breaks: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.section == "upgrade" && c.verdict == Verdict::Fail)
        .map(|c| c.reason.clone())
        .collect();
    assert!(
        breaks
            .iter()
            .any(|b| b.contains("initial-sync-from was removed")),
        "{breaks:?}"
    );
}

#[tokio::test]
async fn approving_a_failing_report_needs_an_override_with_a_reason() {
    use lockgate::auth::Role;
    use lockgate_tests::http::{get, post_json, submit};
    use lockgate_tests::{spawn_app, token};
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("flaw-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let bytes = crate::api_catalog::published_by(&program("test-flawed-secret"), "Flaw Co");
    let (status, body) = submit(&app, &partner, bytes).await;
    assert_eq!(status, 201, "{body}");
    let path = "/api/v1/review/flawed-secret/0.1.0";
    let (status, body) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"select"}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "override");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("api-token"),
        "{body}"
    );
    let (status, body) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"select","override":"   "}"#,
    )
    .await;
    assert_eq!(status, 422, "an empty reason is no reason: {body}");
    let (status, body) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"select","override":"the token is a public tenant id"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, mine) = get(&app, &partner, "/api/v1/partner/submissions", None).await;
    let reasons = mine["items"][0]["review_reasons"].to_string();
    assert!(
        reasons.contains("the token is a public tenant id"),
        "{mine}"
    );
    assert_eq!(mine["items"][0]["review_report"]["verdict"], "fail");
}

/// A partner API that answers every request with the request's headers.
async fn echoing_partner() -> String {
    async fn echo(headers: axum::http::HeaderMap) -> axum::Json<serde_json::Value> {
        let headers: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    v.to_str().unwrap_or_default().to_string().into(),
                )
            })
            .collect();
        axum::Json(serde_json::json!({ "results": [], "echo": headers }))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, axum::Router::new().fallback(echo)).await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_partner_that_echoes_the_injected_secret_is_warned_about() {
    const KEY: &str = "echoed-planner-key-4711";
    let report = vet_file(
        lockgate::demo::PLANNER_EXPORT,
        VetOptions {
            config: [("api-key".to_string(), KEY.to_string())].into(),
            partner_url: Some(echoing_partner().await),
            previous: None,
        },
    )
    .await;
    let check = find(&report, "injected credentials");
    assert_eq!(check.verdict, Verdict::Warn, "{check:#?}");
    assert_eq!(check.section, "credentials");
    assert!(
        check
            .reason
            .contains("carried the injected config field api-key")
            && check
                .reason
                .contains("only as private as the partner API keeps them"),
        "{check:#?}"
    );
    // The exchange says which credential came back, never its value.
    let echoed = report
        .exchanges
        .iter()
        .find(|e| e.echoed_secret.is_some())
        .expect("an exchange carried it");
    assert!(
        echoed
            .response_body
            .contains("(the injected config field api-key: withheld)"),
        "{echoed:?}"
    );
    assert!(!serde_json::to_string(&report).unwrap().contains(KEY));
}

/// `plugin vet` of an ATS hire build (it calls no partner, so the recorder
/// answers): no check fails. Returns each check's verdict by name.
async fn ats_hire_vet(component: &[u8]) -> Vec<(String, Verdict)> {
    let report = vet_file(component, VetOptions::default()).await;
    assert!(failures(&report).is_empty(), "{:#?}", failures(&report));
    for name in [
        "component and manifest",
        "configuration form",
        "validate-config accepts the sample",
        "first sync",
        "excluded and out-of-window employees",
        "incremental",
        "memory",
    ] {
        assert_eq!(find(&report, name).verdict, Verdict::Pass, "{name}");
    }
    report
        .checks
        .iter()
        .map(|c| (c.name.clone(), c.verdict))
        .collect()
}

#[tokio::test]
async fn ats_hire_passes_the_review() {
    ats_hire_vet(lockgate::demo::ATS_HIRE).await;
}

/// The Python port is reviewed with the same checks as the original and
/// gets the same verdicts, but for its size: a Python component carries
/// its interpreter and is over the size the review warns about.
#[tokio::test]
async fn ats_hire_in_python_passes_the_review_with_the_checks_of_the_original() {
    let original = ats_hire_vet(lockgate::demo::ATS_HIRE).await;
    let port = ats_hire_vet(&crate::connectors::ats_hire_py()).await;
    let names = |checks: &[(String, Verdict)]| -> Vec<String> {
        checks.iter().map(|(n, _)| n.clone()).collect()
    };
    assert_eq!(names(&port), names(&original));
    for ((name, want), (_, got)) in original.iter().zip(&port) {
        if name == "size" {
            assert_eq!((*want, *got), (Verdict::Pass, Verdict::Warn), "{name}");
        } else {
            assert_eq!(got, want, "{name}: {port:#?}");
        }
    }
}
