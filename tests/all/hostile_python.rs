//! The hostile connector written in Python (`tests/programs/hostile-py`):
//! the attacks of the Rust hostile tests, with the same limits and the same
//! outcomes. A Python guest is a CPython interpreter with its heap (about
//! 12.5 MiB at rest); the limits hold for it exactly as for a Rust guest.

use std::time::{Duration, Instant};

use lockgate::policy::Limits;
use lockgate::vocabulary::{FailureKind, RunStatus};

use crate::helpers::*;
use crate::hostile::failure;

async fn attack(
    tenant: &Tenant,
    attack: &str,
    target: &str,
    setup: RunSetup,
) -> lockgate::sync::RunSummary {
    tenant
        .run(
            &python("hostile-py"),
            &[("attack", attack), ("target", target)],
            setup,
        )
        .await
}

#[tokio::test]
async fn a_python_connector_that_does_nothing_succeeds_within_the_default_memory() {
    let tenant = Tenant::seeded(5, 40).await;
    let setup = RunSetup::default();
    let summary = attack(&tenant, "none", "127.0.0.1:9", setup).await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let peak = summary.run.peak_memory;
    println!("hostile-py, attack none: peak memory {} KiB", peak >> 10);
    assert!(
        peak > 0 && peak <= Limits::default().memory_bytes as i64,
        "{peak}"
    );
}

#[tokio::test]
async fn an_infinite_python_loop_hits_the_deadline() {
    let tenant = Tenant::seeded(40, 41).await;
    let limits = Limits {
        deadline: Duration::from_secs(2),
        ..Limits::default()
    };
    // Compiled before the clock starts: a Python component takes seconds.
    python("hostile-py");
    let started = Instant::now();
    let setup = RunSetup {
        limits,
        ..RunSetup::default()
    };
    let summary = attack(&tenant, "loop", "127.0.0.1:9", setup).await;
    assert_eq!(failure(&summary), "deadline 2 s exceeded");
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Deadline));
    let stored = tenant.store.run(&summary.run.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.failure_kind),
        (RunStatus::Failed, Some(FailureKind::Deadline))
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_python_memory_bomb_hits_the_memory_limit() {
    let tenant = Tenant::seeded(40, 42).await;
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let setup = RunSetup {
        limits,
        ..RunSetup::default()
    };
    let summary = attack(&tenant, "memory", "127.0.0.1:9", setup).await;
    assert_eq!(failure(&summary), "memory limit 16 MiB reached");
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Memory));
    assert!(summary.run.peak_memory <= 16 << 20);
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_host_that_was_not_granted_is_denied_to_python_too() {
    let tenant = Tenant::seeded(40, 43).await;
    let setup = RunSetup::default();
    let summary = attack(&tenant, "ungranted-host", "127.0.0.1:9", setup).await;
    let denial = "request to https://evil.example denied: host not granted";
    assert_eq!(failure(&summary), denial);
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Denied));
    // Denied and counted, and nothing sent.
    assert_eq!(summary.denials, vec![denial.to_string()]);
    assert_eq!(summary.denials_more, 0);
    assert!(
        summary
            .log
            .iter()
            .any(|l| l.message.contains("evil.example denied"))
    );
    // The SDK told the connector it was a denial, not a network error.
    assert!(
        summary
            .log
            .iter()
            .any(|l| l.message.starts_with("sdk: request denied by the host")),
        "{:?}",
        summary.log
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_secret_field_is_never_readable_from_python_but_reaches_the_partner() {
    let tenant = Tenant::seeded(40, 44).await;
    let planner = FakePlanner::start().await;
    let target = planner.addr.to_string();
    let setup = planner.setup();
    let secret = "top-secret-value";
    let summary = tenant
        .run(
            &python("hostile-py"),
            &[
                ("attack", "read-secret"),
                ("target", &target),
                ("api-key", secret),
            ],
            setup,
        )
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    {
        let state = planner.state.lock().unwrap();
        let [body] = state.other_bodies.as_slice() else {
            panic!("one exfiltration attempt expected")
        };
        assert!(
            !body.contains(secret),
            "the connector read the secret: {body}"
        );
        let found: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(found["get"], serde_json::Value::Null, "{body}");
        // Every door was tried, and each gave something (a value or its
        // refusal): the attempt ran, it found nothing.
        let doors: Vec<&str> = found["found"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["door"].as_str().unwrap())
            .collect();
        for door in [
            "config.get",
            "config.all",
            "os.environ",
            "wasi environment",
            "wasi preopens",
            "listdir /",
            "/proc/self/environ",
            "request headers",
        ] {
            assert!(doors.contains(&door), "{door} not tried: {body}");
        }
        // The host injected it as the declared header, on the declared
        // host, after the connector's last look at its request.
        assert!(
            state.auth.contains(&format!("Bearer {secret}")),
            "{:?}",
            state.auth
        );
    }
    let log = tenant.store.run_logs(&summary.run.id).await.unwrap();
    assert!(!log.is_empty(), "the run logged");
    assert!(log.iter().all(|l| !l.message.contains(secret)));
    assert!(!serde_json::to_string(&summary).unwrap().contains(secret));
}
