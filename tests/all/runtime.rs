//! Runtime properties: compiled artifacts survive a restart, deadlines
//! cover time spent waiting on partners, request caps hold.

use std::time::{Duration, Instant};

use lockgate::policy::Limits;
use lockgate::runtime::{Runtime, RuntimeConfig};

use crate::helpers::*;

#[test]
fn a_restart_loads_the_compiled_connector_from_the_cache() {
    let dir = TempDir::new();
    let config = || RuntimeConfig {
        cache_dir: Some(dir.0.clone()),
        max_instances: 4,
        ..RuntimeConfig::default()
    };
    let first = Runtime::new(config()).unwrap();
    let plugin = first.load(lockgate::demo::PLANNER_EXPORT).unwrap();
    assert!(!plugin.from_cache, "nothing cached yet");
    drop(first);
    let restarted = Runtime::new(config()).unwrap();
    let plugin = restarted.load(lockgate::demo::PLANNER_EXPORT).unwrap();
    assert!(plugin.from_cache, "the second process reuses the artifact");
    let artifacts: Vec<_> = std::fs::read_dir(&dir.0).unwrap().collect();
    assert_eq!(artifacts.len(), 1);
}

#[tokio::test]
async fn the_deadline_covers_a_partner_that_never_answers() {
    let tenant = Tenant::seeded(30, 21).await;
    let planner = FakePlanner::start().await;
    planner.state.lock().unwrap().stall = true;
    let mut setup = planner.setup();
    setup.limits = Limits {
        deadline: Duration::from_secs(2),
        ..Limits::default()
    };
    let started = Instant::now();
    let summary = tenant
        .run(&planner_export(), &planner.config(), setup)
        .await;
    assert_eq!(summary.run.status, "failed");
    assert_eq!(
        summary.run.failure_reason.as_deref(),
        Some("deadline 2 s exceeded")
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    tenant.assert_good_run_still_works().await;
}

#[tokio::test]
async fn the_request_cap_ends_the_run() {
    let tenant = Tenant::seeded(30, 22).await;
    let planner = FakePlanner::start().await;
    let mut setup = planner.setup();
    setup.limits = Limits {
        max_requests: 0,
        ..Limits::default()
    };
    let summary = tenant
        .run(&planner_export(), &planner.config(), setup)
        .await;
    assert_eq!(summary.run.status, "failed");
    assert_eq!(
        summary.run.failure_reason.as_deref(),
        Some("request limit 0 reached")
    );
    assert!(planner.received_ids().is_empty());
}

#[tokio::test]
async fn the_sandbox_is_deterministic_per_seed() {
    use lockgate::sandbox::{SandboxOptions, generate};
    let today = lockgate::time::today();
    let a = generate(&SandboxOptions {
        employees: 300,
        seed: 5,
        today,
    });
    let b = generate(&SandboxOptions {
        employees: 300,
        seed: 5,
        today,
    });
    let c = generate(&SandboxOptions {
        employees: 300,
        seed: 6,
        today,
    });
    assert_eq!(a.employees, b.employees);
    assert_eq!(a.absences, b.absences);
    assert_ne!(a.employees, c.employees);
    // Stored and read back unchanged.
    let tenant = Tenant::seeded(300, 5).await;
    assert_eq!(
        tenant.store.all_employees(TENANT).await.unwrap(),
        a.employees
    );
}
