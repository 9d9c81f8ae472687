//! Hostile connectors: each tries one way out of the sandbox. Every attempt
//! must end with its specific reason, and the next good run must succeed.
//! The attacks a connector in any language can make are written once here
//! ([`expect`]) and run against the Rust, TypeScript and Python builds.

use std::time::{Duration, Instant};

use lockgate::policy::Limits;
use lockgate::runtime::Plugin;
use lockgate::vocabulary::{FailureKind, RunStatus};

use crate::helpers::*;

pub(crate) async fn attack(
    tenant: &Tenant,
    attack: &str,
    target: &str,
    setup: RunSetup,
) -> lockgate::sync::RunSummary {
    run_attack(&program("test-hostile"), tenant, attack, target, setup).await
}

async fn run_attack(
    plugin: &Plugin,
    tenant: &Tenant,
    attack: &str,
    target: &str,
    setup: RunSetup,
) -> lockgate::sync::RunSummary {
    tenant
        .run(plugin, &[("attack", attack), ("target", target)], setup)
        .await
}

pub(crate) fn failure(summary: &lockgate::sync::RunSummary) -> String {
    assert_eq!(summary.run.status, "failed", "the attack must fail the run");
    summary.run.failure_reason.clone().unwrap_or_default()
}

/// How each attack must end, whatever language the hostile connector is
/// written in. Each takes the connector and a seed for the tenant.
pub(crate) mod expect {
    use super::*;

    /// `loop` spins forever: the deadline ends it, well within `within`
    /// (an engine's compile is not the run's time: load the plugin first).
    pub async fn deadline(plugin: &Plugin, seed: u64, within: Duration) {
        let tenant = Tenant::seeded(40, seed).await;
        let limits = Limits {
            deadline: Duration::from_secs(2),
            ..Limits::default()
        };
        let started = Instant::now();
        let setup = RunSetup {
            limits,
            ..RunSetup::default()
        };
        let summary = run_attack(plugin, &tenant, "loop", "127.0.0.1:9", setup).await;
        assert_eq!(failure(&summary), "deadline 2 s exceeded");
        assert_eq!(summary.run.failure_kind, Some(FailureKind::Deadline));
        let stored = tenant.store.run(&summary.run.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.failure_kind),
            (RunStatus::Failed, Some(FailureKind::Deadline)),
            "monitoring keeps the kind of failure"
        );
        assert!(started.elapsed() < within);
        tenant.assert_good_run_still_works().await;
    }

    /// `memory` keeps every MiB it allocates: the 16 MiB cap ends it.
    pub async fn memory_cap(plugin: &Plugin, seed: u64) {
        let tenant = Tenant::seeded(40, seed).await;
        let setup = RunSetup {
            limits: Limits {
                memory_bytes: 16 << 20,
                ..Limits::default()
            },
            ..RunSetup::default()
        };
        let summary = run_attack(plugin, &tenant, "memory", "127.0.0.1:9", setup).await;
        assert_eq!(failure(&summary), "memory limit 16 MiB reached");
        assert_eq!(summary.run.failure_kind, Some(FailureKind::Memory));
        assert!(summary.run.peak_memory <= 16 << 20);
        tenant.assert_good_run_still_works().await;
    }

    /// `ungranted-host` asks for https://evil.example: denied, counted,
    /// and the SDK tells the connector it was a denial, not a network
    /// error. Returns the run for the language's own checks.
    pub async fn ungranted_host_denied(plugin: &Plugin, seed: u64) -> lockgate::sync::RunSummary {
        let tenant = Tenant::seeded(40, seed).await;
        let summary = run_attack(
            plugin,
            &tenant,
            "ungranted-host",
            "127.0.0.1:9",
            RunSetup::default(),
        )
        .await;
        let denial = "request to https://evil.example denied: host not granted";
        assert_eq!(failure(&summary), denial);
        assert_eq!(summary.run.failure_kind, Some(FailureKind::Denied));
        assert_eq!(summary.denials, [denial]);
        assert_eq!(summary.denials_more, 0);
        assert!(
            summary
                .log
                .iter()
                .any(|l| l.message.contains("evil.example denied"))
        );
        assert!(
            summary
                .log
                .iter()
                .any(|l| l.message.starts_with("sdk: request denied by the host")),
            "{:?}",
            summary.log
        );
        tenant.assert_good_run_still_works().await;
        summary
    }

    /// `read-secret` looks for the secret field everywhere it could and
    /// posts what it found to the partner: it found nothing, yet the host
    /// sent the secret on its own requests, and no log or record holds it.
    /// Returns what the connector posted and the Authorization headers the
    /// partner saw, for the language's own checks.
    pub async fn secret_unreadable(plugin: &Plugin, seed: u64) -> (serde_json::Value, Vec<String>) {
        let tenant = Tenant::seeded(40, seed).await;
        let planner = FakePlanner::start().await;
        let target = planner.addr.to_string();
        let secret = "top-secret-value";
        let summary = tenant
            .run(
                plugin,
                &[
                    ("attack", "read-secret"),
                    ("target", &target),
                    ("api-key", secret),
                ],
                planner.setup(),
            )
            .await;
        assert_eq!(
            summary.run.status, "successful",
            "{:?}",
            summary.run.failure_reason
        );
        let (body, auth) = {
            let state = planner.state.lock().unwrap();
            let [body] = state.other_bodies.as_slice() else {
                panic!("one exfiltration attempt expected")
            };
            (body.clone(), state.auth.clone())
        };
        assert!(
            !body.contains(secret),
            "the connector read the secret: {body}"
        );
        let found: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(found["get"], serde_json::Value::Null, "{body}");
        let log = tenant.store.run_logs(&summary.run.id).await.unwrap();
        assert!(!log.is_empty(), "the run logged");
        assert!(log.iter().all(|l| !l.message.contains(secret)));
        assert!(!serde_json::to_string(&summary).unwrap().contains(secret));
        (found, auth)
    }
}

#[tokio::test]
async fn an_infinite_loop_hits_the_deadline() {
    expect::deadline(&program("test-hostile"), 1, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_memory_bomb_hits_the_memory_limit() {
    expect::memory_cap(&program("test-hostile"), 2).await;
}

/// A connector whose manifest asks for more memory (`memory-mb`) gets it:
/// the bomb stops at the larger cap, and at the operator's ceiling when it
/// asks for more than that (the platform refuses such a build at upload;
/// the runtime still never goes past the ceiling).
#[tokio::test]
async fn memory_mb_raises_the_cap_up_to_the_ceiling() {
    let tenant = Tenant::seeded(40, 2).await;
    let original = std::fs::read(lockgate_tests::program("test-hostile")).unwrap();
    let asking = |mb: u32| {
        let bytes = with_manifest(&original, |toml| {
            toml.replacen("\n[name]", &format!("\nmemory-mb = {mb}\n\n[name]"), 1)
        });
        runtime().load(&bytes).expect("loads")
    };
    let limits = Limits {
        memory_bytes: 16 << 20,
        max_memory_bytes: 48 << 20,
        ..Limits::default()
    };
    for (mb, cap) in [(32, 32), (200, 48)] {
        let plugin = asking(mb);
        assert_eq!(plugin.manifest.memory_mb, Some(mb));
        let summary = tenant
            .run(
                &plugin,
                &[("attack", "memory"), ("target", "127.0.0.1:9")],
                RunSetup {
                    limits: limits.clone(),
                    ..RunSetup::default()
                },
            )
            .await;
        assert_eq!(
            failure(&summary),
            format!("memory limit {cap} MiB reached"),
            "asking for {mb} MiB"
        );
        assert!(summary.run.peak_memory > 16 << 20, "past the default");
        assert!(summary.run.peak_memory <= cap << 20);
    }
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn deep_recursion_overflows_the_stack() {
    let tenant = Tenant::seeded(40, 3).await;
    let summary = attack(&tenant, "recursion", "127.0.0.1:9", RunSetup::default()).await;
    assert_eq!(failure(&summary), "stack overflow: recursion too deep");
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Trap));
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_panic_fails_the_run_and_its_message_is_in_the_log() {
    let tenant = Tenant::seeded(40, 4).await;
    let summary = attack(&tenant, "panic", "127.0.0.1:9", RunSetup::default()).await;
    assert_eq!(
        failure(&summary),
        "the connector crashed (it panicked or aborted)"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Trap));
    assert!(
        summary
            .log
            .iter()
            .any(|l| l.message.contains("the connector gave up")),
        "{:?}",
        summary.log
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_host_that_was_not_granted_is_denied() {
    expect::ungranted_host_denied(&program("test-hostile"), 5).await;
}

#[tokio::test]
async fn a_granted_name_resolving_to_loopback_is_denied() {
    let tenant = Tenant::seeded(40, 6).await;
    let planner = FakePlanner::start().await;
    // `localhost` is granted by the config, but it resolves to loopback and
    // the operator did not allow that host.
    let target = format!("localhost:{}", planner.addr.port());
    let summary = attack(&tenant, "granted-host", &target, RunSetup::default()).await;
    let reason = failure(&summary);
    assert!(
        reason.starts_with(&format!(
            "request to https://{target} denied: localhost resolves to"
        )),
        "{reason}"
    );
    assert!(reason.contains("(loopback)"), "{reason}");
    assert!(
        planner.state.lock().unwrap().auth.is_empty(),
        "nothing reached the server"
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn the_metadata_address_is_denied() {
    let tenant = Tenant::seeded(40, 7).await;
    let summary = attack(
        &tenant,
        "granted-host",
        "169.254.169.254",
        RunSetup::default(),
    )
    .await;
    assert_eq!(
        failure(&summary),
        "request to https://169.254.169.254 denied: 169.254.169.254 resolves to 169.254.169.254 (a cloud metadata address)"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Denied));
    // Not even an operator allowance opens the metadata service.
    let setup = RunSetup {
        allow_http: vec!["169.254.169.254:443".into()],
        ..RunSetup::default()
    };
    let summary = attack(&tenant, "granted-host", "169.254.169.254", setup).await;
    assert!(failure(&summary).contains("cloud metadata"));
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn plain_http_to_a_granted_https_host_is_denied() {
    let tenant = Tenant::seeded(40, 8).await;
    let planner = FakePlanner::start().await;
    let target = planner.addr.to_string();
    let summary = attack(&tenant, "plain-http", &target, RunSetup::default()).await;
    assert_eq!(
        failure(&summary),
        format!("request to http://{target} denied: plain HTTP is not allowed, use https")
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn a_secret_field_is_never_readable_but_reaches_the_partner() {
    // `all` lists the plain fields only.
    let (found, _) = expect::secret_unreadable(&program("test-hostile"), 9).await;
    let keys: Vec<&str> = found["all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"target") && !keys.contains(&"api-key"),
        "{found}"
    );
}

#[tokio::test]
async fn the_host_injects_the_secret_as_the_declared_header() {
    let tenant = Tenant::seeded(30, 10).await;
    let planner = FakePlanner::start().await;
    let summary = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(summary.run.status, "successful");
    let auth = planner.state.lock().unwrap().auth.clone();
    assert_eq!(auth, vec![format!("Bearer {PLANNER_KEY}")]);
}

#[tokio::test]
async fn flooding_outcomes_stops_at_the_row_cap() {
    let tenant = Tenant::seeded(40, 11).await;
    let limits = Limits {
        max_outcome_rows: 1_000,
        ..Limits::default()
    };
    let summary = attack(
        &tenant,
        "flood",
        "127.0.0.1:9",
        RunSetup {
            limits,
            ..RunSetup::default()
        },
    )
    .await;
    assert_eq!(failure(&summary), "outcome limit 1000 rows reached");
    let stored = tenant
        .store
        .run_rows(&summary.run.id, None, None, None, 5_000)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1_000, "rows up to the cap are kept");
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn the_host_withholds_ungranted_data() {
    let tenant = Tenant::seeded(120, 12).await;
    let planner = FakePlanner::start().await;
    let target = planner.addr.to_string();
    let summary = tenant
        .run(
            &program("test-hostile"),
            &[("attack", "dump"), ("target", &target)],
            planner.setup(),
        )
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let body = planner.state.lock().unwrap().other_bodies[0].clone();
    let dump: serde_json::Value = serde_json::from_str(&body).unwrap();
    let employees = dump["employees"].as_array().unwrap();
    // Only employees.basic was granted: the other groups are absent.
    assert!(!employees.is_empty());
    for e in employees {
        let e = e.as_str().unwrap();
        assert!(e.contains("basic: Some"), "{e}");
        for group in ["contact: None", "employment: None", "compensation: None"] {
            assert!(e.contains(group), "{e}");
        }
    }
    // Nobody outside the employment window or excluded by the tenant.
    let visible_ids: std::collections::BTreeSet<String> = visible_employees(&tenant, "hostile")
        .await
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(employees.len(), visible_ids.len());
    // Absences: asked for 1900 to 2999, got only the granted window
    // (30 days back, 60 ahead), and only of visible employees.
    let from = days_from_today(-30);
    let to = days_from_today(60);
    let mut want: Vec<String> = tenant
        .store
        .all_absences(TENANT)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| {
            a.start_date <= to && a.end_date >= from && visible_ids.contains(&a.employee_id)
        })
        .map(|a| a.id)
        .collect();
    want.sort();
    let mut got: Vec<String> = dump["absences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().split(' ').next().unwrap().to_string())
        .collect();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let all = tenant.store.all_absences(TENANT).await.unwrap().len();
    assert!(
        all > got.len() * 2,
        "the window filtered something: {} of {all}",
        got.len()
    );
}

#[tokio::test]
async fn a_huge_response_hits_the_response_size_limit() {
    let tenant = Tenant::seeded(40, 13).await;
    let planner = FakePlanner::start().await;
    let mut setup = planner.setup();
    setup.limits = Limits {
        max_response_bytes: 1 << 20,
        ..Limits::default()
    };
    let summary = attack(&tenant, "big-response", &planner.addr.to_string(), setup).await;
    assert_eq!(failure(&summary), "response size limit 1 MiB reached");
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn an_answer_with_oversized_headers_is_refused() {
    let tenant = Tenant::seeded(40, 13).await;
    let planner = FakePlanner::start().await;
    let summary = attack(
        &tenant,
        "big-headers",
        &planner.addr.to_string(),
        planner.setup(),
    )
    .await;
    let reason = failure(&summary);
    assert!(
        reason.starts_with("answer from 127.0.0.1 refused: its headers take")
            && reason.ends_with("at most 32 KiB"),
        "{reason}"
    );
    assert_eq!(summary.run.failure_kind, Some(FailureKind::Denied));
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let tenant = Tenant::seeded(40, 14).await;
    let planner = FakePlanner::start().await;
    let summary = attack(
        &tenant,
        "redirect",
        &planner.addr.to_string(),
        planner.setup(),
    )
    .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    assert!(
        summary
            .log
            .iter()
            .any(|l| l.message == "redirect answered 302 to https://evil.example/steal"),
        "{:?}",
        summary.log
    );
    assert_eq!(
        summary.run.requests, 1,
        "no second request to the redirect target"
    );
}

#[tokio::test]
async fn a_chatty_connector_is_truncated_not_crashed() {
    let tenant = Tenant::seeded(40, 15).await;
    let setup = RunSetup {
        limits: Limits {
            max_log_bytes: 64 << 10,
            ..Limits::default()
        },
        ..RunSetup::default()
    };
    let summary = attack(&tenant, "chatty", "127.0.0.1:9", setup).await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let log = tenant.store.run_logs(&summary.run.id).await.unwrap();
    let bytes: usize = log.iter().map(|l| l.message.len()).sum();
    assert!(bytes < 80 << 10, "log kept {bytes} bytes");
    assert!(
        log.iter()
            .any(|l| l.message == "log limit 64 KiB reached; further lines dropped")
    );
    assert!(
        !log.iter().any(|l| l.message.starts_with("stdout: ")),
        "stdout came after the cap"
    );
}
