//! Hostile connectors against the limits that keep the host itself safe:
//! calls after a fatal limit, objects the host holds for the connector,
//! header maps past their size, and `exit`.

use std::time::{Duration, Instant};

use lockgate::policy::Limits;
use lockgate::vocabulary::FailureKind;

use crate::helpers::*;
use crate::hostile::{attack, failure};

#[tokio::test]
async fn denied_requests_after_a_fatal_limit_cost_nothing() {
    use lockgate::capabilities::recorder::{MAX_CALLS_AFTER_FATAL, MAX_DENIALS};
    let tenant = Tenant::seeded(40, 16).await;
    let limits = Limits {
        max_requests: 50,
        deadline: Duration::from_secs(30),
        ..Limits::default()
    };
    let started = Instant::now();
    let summary = attack(
        &tenant,
        "deny-loop",
        "127.0.0.1:9",
        RunSetup {
            limits,
            ..RunSetup::default()
        },
    )
    .await;
    assert_eq!(failure(&summary), "request limit 50 reached");
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Limit));
    // The connector loops forever; the host ends it soon after the limit,
    // not at the deadline.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // 50 ungranted requests and the one past the limit were denied; the
    // first few are kept, the rest (and every later attempt) counted.
    assert_eq!(summary.denials.len(), MAX_DENIALS);
    assert_eq!(
        summary.denials[0],
        "request to https://evil.example denied: host not granted"
    );
    assert!(
        summary.denials_more >= (51 - MAX_DENIALS) as u64 + MAX_CALLS_AFTER_FATAL,
        "{} more",
        summary.denials_more
    );
    // Requests after the limit are neither logged nor counted as sent.
    assert!(summary.log.len() <= 60, "{} log lines", summary.log.len());
    assert_eq!(summary.run.requests, 51);
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn host_objects_a_connector_holds_are_capped() {
    let tenant = Tenant::seeded(40, 17).await;
    for attack_name in ["hold-fields", "hold-requests"] {
        let summary = tenant
            .run(
                &program("test-hostile"),
                &[
                    ("attack", attack_name),
                    ("target", "127.0.0.1:9"),
                    ("count", "100000"),
                ],
                RunSetup::default(),
            )
            .await;
        assert_eq!(
            failure(&summary),
            "the connector held more than 512 host objects at once (HTTP header maps, requests, responses, bodies, streams, pollables); the limit is 512 for a memory limit of 64 MiB",
            "{attack_name}"
        );
        assert_eq!(
            summary.run.failure_kind,
            Some(FailureKind::Limit),
            "{attack_name}"
        );
        if attack_name == "hold-requests" {
            // The host does not keep a request's oversized strings either.
            assert!(
                summary
                    .log
                    .iter()
                    .any(|l| l.message == "an authority of 65536 bytes was refused"),
                "{:?}",
                summary.log
            );
        }
    }
    // The budget follows the run's memory limit.
    let summary = tenant
        .run(
            &program("test-hostile"),
            &[
                ("attack", "hold-fields"),
                ("target", "127.0.0.1:9"),
                ("count", "100000"),
            ],
            RunSetup {
                limits: Limits {
                    memory_bytes: 128 << 20,
                    ..Limits::default()
                },
                ..RunSetup::default()
            },
        )
        .await;
    assert!(
        failure(&summary).starts_with("the connector held more than 1024 host objects"),
        "{:?}",
        summary.run.failure_reason
    );
    // Fewer requests than the limit, dropped body before stream: the guest
    // misuses handles, and the reason says so instead of a backtrace.
    let summary = tenant
        .run(
            &program("test-hostile"),
            &[
                ("attack", "hold-requests"),
                ("target", "127.0.0.1:9"),
                ("count", "50"),
            ],
            RunSetup::default(),
        )
        .await;
    assert_eq!(
        failure(&summary),
        "the connector misused a host object: resource has children"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Trap));
    // Fewer than the limit are fine.
    let summary = tenant
        .run(
            &program("test-hostile"),
            &[
                ("attack", "hold-fields"),
                ("target", "127.0.0.1:9"),
                ("count", "400"),
            ],
            RunSetup::default(),
        )
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_header_map_past_its_size_limit_fails_the_run() {
    let tenant = Tenant::seeded(40, 19).await;
    // 120 headers of 1000 bytes: within wasmtime's default of 128 KiB, past
    // the host's 32 KiB per header map.
    let summary = tenant
        .run(
            &program("test-hostile"),
            &[
                ("attack", "hold-fields"),
                ("target", "127.0.0.1:9"),
                ("count", "3000"),
                ("header-kib", "120"),
            ],
            RunSetup::default(),
        )
        .await;
    assert_eq!(
        failure(&summary),
        "the connector put more than 32 KiB of headers into one HTTP header map (the limit per header map)"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Limit));
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_connector_that_exits_fails_with_its_exit_code() {
    let tenant = Tenant::seeded(40, 18).await;
    // WASI 0.2's `exit` carries success or failure only: Rust's
    // `process::exit(3)` arrives as 1.
    for (code, reported) in [("3", 1), ("0", 0)] {
        let summary = tenant
            .run(
                &program("test-hostile"),
                &[
                    ("attack", "exit"),
                    ("target", "127.0.0.1:9"),
                    ("code", code),
                ],
                RunSetup::default(),
            )
            .await;
        assert_eq!(
            failure(&summary),
            format!("the connector exited with code {reported}")
        );
        assert_eq!(summary.run.failure_kind, Some(FailureKind::Trap));
        // The row reported before the exit is kept; the state is not
        // committed.
        assert_eq!(summary.total_rows, 1);
        assert_eq!(summary.rows[0].message, "before exit");
        assert_eq!(
            tenant.store.state(&summary.run.install_id).await.unwrap(),
            None
        );
    }
    tenant.assert_good_run_still_works().await;
}
