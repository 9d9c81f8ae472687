//! A hostile connector written in TypeScript (`tests/programs/hostile-ts`):
//! the attacks of the Rust hostile connector that a JavaScript engine can
//! make must end the same way: killed by the deadline, trapped at the memory
//! cap, denied and counted, the secret never readable. The engine's own
//! heap, `fetch`, environment and files change nothing.

use std::time::{Duration, Instant};

use lockgate::policy::Limits;
use lockgate::vocabulary::{FailureKind, RunStatus};

use crate::helpers::*;
use crate::hostile::failure;

/// Loaded once for the test binary: compiling a JavaScript engine takes
/// seconds in a debug build.
fn hostile_ts() -> std::sync::Arc<lockgate::runtime::Plugin> {
    static PLUGIN: std::sync::OnceLock<std::sync::Arc<lockgate::runtime::Plugin>> =
        std::sync::OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            let bytes = std::fs::read(lockgate_tests::js_program("test-hostile-ts"))
                .expect("the TypeScript hostile connector was built");
            runtime().load(&bytes).expect("it loads")
        })
        .clone()
}

async fn attack(
    tenant: &Tenant,
    attack: &str,
    target: &str,
    setup: RunSetup,
) -> lockgate::sync::RunSummary {
    tenant
        .run(
            &hostile_ts(),
            &[("attack", attack), ("target", target)],
            setup,
        )
        .await
}

#[tokio::test]
async fn a_js_infinite_loop_hits_the_deadline() {
    let tenant = Tenant::seeded(40, 1).await;
    let limits = Limits {
        deadline: Duration::from_secs(2),
        ..Limits::default()
    };
    // Compiling the engine is not the run's time.
    hostile_ts();
    let started = Instant::now();
    let summary = attack(
        &tenant,
        "loop",
        "127.0.0.1:9",
        RunSetup {
            limits,
            ..RunSetup::default()
        },
    )
    .await;
    assert_eq!(failure(&summary), "deadline 2 s exceeded");
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Deadline));
    let stored = tenant.store.run(&summary.run.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.failure_kind),
        (RunStatus::Failed, Some(FailureKind::Deadline)),
        "monitoring keeps the kind of failure"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_js_memory_bomb_hits_the_memory_limit() {
    let tenant = Tenant::seeded(40, 2).await;
    // The engine and its snapshot take 11 MiB of it before the connector
    // allocates anything.
    let limits = Limits {
        memory_bytes: 16 << 20,
        ..Limits::default()
    };
    let summary = attack(
        &tenant,
        "memory",
        "127.0.0.1:9",
        RunSetup {
            limits,
            ..RunSetup::default()
        },
    )
    .await;
    assert_eq!(failure(&summary), "memory limit 16 MiB reached");
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Memory));
    assert!(summary.run.peak_memory <= 16 << 20);
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_js_request_to_a_host_that_was_not_granted_is_denied() {
    let tenant = Tenant::seeded(40, 5).await;
    let summary = attack(
        &tenant,
        "ungranted-host",
        "127.0.0.1:9",
        RunSetup::default(),
    )
    .await;
    assert_eq!(
        failure(&summary),
        "request to https://evil.example denied: host not granted"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Denied));
    assert_eq!(
        summary.denials,
        ["request to https://evil.example denied: host not granted"]
    );
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
async fn the_engines_fetch_is_denied_the_same_way() {
    let tenant = Tenant::seeded(40, 6).await;
    let summary = attack(
        &tenant,
        "fetch-ungranted-host",
        "127.0.0.1:9",
        RunSetup::default(),
    )
    .await;
    // The connector let fetch's error escape; the SDK takes fetch's network
    // error for an unreachable partner, which the host explains with the
    // denial.
    assert_eq!(
        failure(&summary),
        "request to https://evil.example denied: host not granted"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Denied));
    assert_eq!(
        summary.denials,
        ["request to https://evil.example denied: host not granted"]
    );
    // What fetch itself tells the connector: a bare network error, not
    // that it was a denial (why the SDK has its own client).
    let said = summary
        .log
        .iter()
        .find(|l| l.message.starts_with("fetch: "))
        .unwrap_or_else(|| panic!("{:?}", summary.log));
    assert_eq!(
        said.message,
        "fetch: TypeError: NetworkError when attempting to fetch resource"
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_js_connector_never_reads_the_secret_but_it_reaches_the_partner() {
    let tenant = Tenant::seeded(40, 9).await;
    let planner = FakePlanner::start().await;
    let target = planner.addr.to_string();
    let summary = tenant
        .run(
            &hostile_ts(),
            &[
                ("attack", "read-secret"),
                ("target", &target),
                ("api-key", "top-secret-value"),
            ],
            planner.setup(),
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
            !body.contains("top-secret-value"),
            "the connector read the secret: {body}"
        );
        let found: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(found["get"], serde_json::Value::Null, "{body}");
        assert_eq!(found["environment"], serde_json::json!([]), "{body}");
        assert_eq!(found["arguments"], serde_json::json!([]), "{body}");
        assert_eq!(found["directories"], serde_json::json!([]), "{body}");
        assert!(
            found["file"].as_str().unwrap().starts_with("refused"),
            "{body}"
        );
        // Both requests (the SDK's and fetch's) reached the partner with
        // the secret the host added.
        assert_eq!(
            state.auth,
            vec![format!("Bearer top-secret-value"); 2],
            "{body}"
        );
    }
    let log = tenant.store.run_logs(&summary.run.id).await.unwrap();
    assert!(!log.is_empty(), "the run logged");
    assert!(log.iter().all(|l| !l.message.contains("top-secret-value")));
    assert!(
        !serde_json::to_string(&summary)
            .unwrap()
            .contains("top-secret-value")
    );
}
