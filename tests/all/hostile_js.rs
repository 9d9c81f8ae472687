//! A hostile connector written in TypeScript (`tests/programs/hostile-ts`):
//! the attacks of the Rust hostile connector that a JavaScript engine can
//! make must end the same way: killed by the deadline, trapped at the memory
//! cap, denied and counted, the secret never readable. The engine's own
//! heap, `fetch`, environment and files change nothing.

use std::time::Duration;

use lockgate::vocabulary::FailureKind;

use crate::helpers::*;
use crate::hostile::{expect, failure};

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
    // Compiling the engine is not the run's time.
    expect::deadline(&hostile_ts(), 1, Duration::from_secs(10)).await;
}

/// The engine and its snapshot take 11 MiB of the 16 before the connector
/// allocates anything.
#[tokio::test]
async fn a_js_memory_bomb_hits_the_memory_limit() {
    expect::memory_cap(&hostile_ts(), 2).await;
}

#[tokio::test]
async fn a_js_request_to_a_host_that_was_not_granted_is_denied() {
    expect::ungranted_host_denied(&hostile_ts(), 5).await;
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
    let (found, auth) = expect::secret_unreadable(&hostile_ts(), 9).await;
    assert_eq!(found["environment"], serde_json::json!([]), "{found}");
    assert_eq!(found["arguments"], serde_json::json!([]), "{found}");
    assert_eq!(found["directories"], serde_json::json!([]), "{found}");
    assert!(
        found["file"].as_str().unwrap().starts_with("refused"),
        "{found}"
    );
    // Both requests (the SDK's and fetch's) reached the partner with the
    // secret the host added.
    assert_eq!(auth, vec!["Bearer top-secret-value".to_string(); 2]);
}
