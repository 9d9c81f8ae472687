//! Many tenants on one node: `tenants` tenants of 50 employees, each with
//! a connected planner export whose daily sync is due at the same moment.
//! The host's scheduler enqueues the due slots and its workers drain them,
//! as `lockgate serve` runs them. Timed from starting them until every
//! install has had its run and no job is left; each worker count gets a
//! fresh database.

use std::time::{Duration, Instant};

use lockgate::app::App;
use lockgate::demo::{DEMO_API_KEY, DemoPlanner, PLANNER_EXPORT};
use lockgate::policy::OperatorPolicy;
use lockgate::store::InstallRecord;
use lockgate::vocabulary::InstallStatus;
use lockgate::worker::WorkerConfig;
use lockgate_tests::TempDir;

use super::status_kib;

/// A host on a fresh database with `tenants` tenants and their installs.
async fn host(dir: &TempDir, tenants: usize, workers: usize) -> (App, DemoPlanner) {
    let planner = DemoPlanner::start().await.expect("demo planner");
    let mut operator = OperatorPolicy::default();
    operator.allow(&planner.authority()).expect("allow");
    let db = lockgate_tests::test_database_url(dir).await;
    let mut config = lockgate_tests::app::test_config(&db, dir, operator);
    config.runtime.max_instances = workers.max(8) as u32;
    let app = App::build(config).await.expect("the app builds");
    let sha256 = app.artifacts.put(PLANNER_EXPORT).await.expect("stored");
    let secrets = [("api-key".to_string(), DEMO_API_KEY.to_string())].into();
    // Every daily slot is due now.
    let due = lockgate::time::now_text();
    for n in 0..tenants {
        let tenant = format!("t-{n:05}");
        lockgate::sandbox::ensure_tenant(&app.store, &tenant, 50, n as u64 + 1)
            .await
            .expect("tenant");
        let id = format!("i-{n:05}");
        app.store
            .create_install_sealed(
                &InstallRecord {
                    id: id.clone(),
                    tenant_id: tenant,
                    connector_id: "planner-export".into(),
                    plugin_version: "0.1.0".into(),
                    plugin_sha256: sha256.clone(),
                    config: [("planner-url".to_string(), planner.url())].into(),
                    status: InstallStatus::Connected,
                    next_run_at: Some(due.clone()),
                    ..Default::default()
                },
                Some(&app.secrets.seal(&id, &secrets)),
            )
            .await
            .expect("install");
    }
    (app, planner)
}

/// Jobs by status, and runs by status.
async fn counts(app: &App) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
    let by = |table: &str| {
        let sql =
            format!("SELECT status, COUNT(*) AS n FROM {table} GROUP BY status ORDER BY status");
        let pool = app.store.pool().clone();
        async move {
            sqlx::query_as::<_, (String, i64)>(&sql)
                .fetch_all(&pool)
                .await
                .expect("counts")
        }
    };
    (by("jobs").await, by("runs").await)
}

pub async fn many_tenants(tenants: usize, worker_counts: &[usize]) {
    println!(
        "{tenants} tenants of 50 employees, every planner export's daily sync due at once ({}):",
        if std::env::var(lockgate_tests::database::POSTGRES_URL_VAR).is_ok_and(|u| !u.is_empty()) {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    for &workers in worker_counts {
        let dir = TempDir::new();
        let started = Instant::now();
        let (app, _planner) = host(&dir, tenants, workers).await;
        let setup = started.elapsed();
        let rss_before = status_kib("VmRSS:");
        let started = Instant::now();
        let running = lockgate::worker::start(
            app.clone(),
            WorkerConfig {
                workers,
                lease: Duration::from_secs(60),
                poll: Duration::from_millis(50),
                retry_later: Duration::from_secs(30),
            },
        );
        let (jobs, runs) = loop {
            let (jobs, runs) = counts(&app).await;
            let open: i64 = jobs
                .iter()
                .filter(|(s, _)| s == "queued" || s == "leased")
                .map(|(_, n)| n)
                .sum();
            let finished: i64 = runs
                .iter()
                .filter(|(s, _)| s != "running")
                .map(|(_, n)| n)
                .sum();
            if open == 0 && finished as usize >= tenants {
                break (jobs, runs);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let wall = started.elapsed();
        running.stop(Duration::from_secs(5)).await;
        let successful = runs
            .iter()
            .find(|(s, _)| s == "successful")
            .map_or(0, |(_, n)| *n);
        println!(
            "  {workers:>3} workers: {:.1} s, {:.0} runs/s; jobs {jobs:?}, runs {runs:?}; RSS {} -> peak {} MiB (setup {:.0} s)",
            wall.as_secs_f64(),
            tenants as f64 / wall.as_secs_f64(),
            rss_before >> 10,
            status_kib("VmHWM:") >> 10,
            setup.as_secs_f64(),
        );
        let done = jobs
            .iter()
            .find(|(s, _)| s == "done")
            .map_or(0, |(_, n)| *n);
        assert_eq!(done as usize, tenants, "one scheduled job per install");
        assert_eq!(
            successful as usize, tenants,
            "every job ran once and succeeded"
        );
    }
}
