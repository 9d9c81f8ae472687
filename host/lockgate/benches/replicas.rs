//! Replicas, printed (not asserted as a speed): `LOCKGATE_BENCH_TENANTS`
//! (10 000) tenants of 50 employees, each with a planner export whose daily
//! sync falls due at one moment, drained by `lockgate serve` processes
//! sharing one database: one process with all `LOCKGATE_BENCH_WORKERS`
//! (8) workers, then two processes with half each. Timed from the moment
//! the slots fall due until every job is done; then checked that every
//! install got exactly one job, leased once, and one successful run.
//!
//! `LOCKGATE_TEST_POSTGRES_URL=… cargo bench -p lockgate --bench replicas`
//! (without it, a SQLite file, which two processes can share too).

use std::time::{Duration, Instant};

use lockgate::app::{App, AppConfig};
use lockgate_tests::TempDir;
use lockgate_tests::fleet::{count_of, job_and_run_counts, open_jobs, planner_tenants};

#[path = "shared/serve.rs"]
mod serve;

/// Forgets every job and run, and unschedules every install, so that the
/// next layout starts from the same tables.
async fn reset(app: &App, postgres: bool) {
    let pool = app.store.pool();
    for table in [
        "run_rows",
        "run_row_counts",
        "run_logs",
        "audit_log",
        "runs",
        "jobs",
        "install_state",
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(pool)
            .await
            .expect("emptied");
    }
    sqlx::query("UPDATE installs SET next_run_at = NULL")
        .execute(pool)
        .await
        .expect("unscheduled");
    // Autovacuum may be off: without this the second layout would run
    // on tables full of dead rows, and both on plans without statistics.
    let tidy = if postgres {
        "VACUUM ANALYZE"
    } else {
        "ANALYZE"
    };
    sqlx::query(tidy).execute(pool).await.expect("tidied");
}

/// Drains every due slot with `processes` replicas of `workers` workers
/// each; prints the time and how the runs were shared.
async fn drain(
    app: &App,
    db: &str,
    dir: &TempDir,
    key: &str,
    planner: &str,
    layout: (usize, usize),
) {
    let (processes, workers) = layout;
    let tenants: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM installs")
        .fetch_one(app.store.pool())
        .await
        .expect("installs");
    let workers_arg = workers.to_string();
    let mut replicas = Vec::new();
    for n in 0..processes {
        let own = dir.0.join(format!("replica-{n}"));
        let (child, ..) = serve::start(db, &own, key, planner, &["--workers", &workers_arg]).await;
        replicas.push(child);
    }
    let due = lockgate::time::now_text();
    let started = Instant::now();
    sqlx::query("UPDATE installs SET next_run_at = $1")
        .bind(&due)
        .execute(app.store.pool())
        .await
        .expect("due");
    let (jobs, runs) = loop {
        let (jobs, runs) = job_and_run_counts(app).await;
        let finished = runs.iter().map(|(_, n)| n).sum::<i64>() - count_of(&runs, "running");
        if open_jobs(&jobs) == 0 && finished >= tenants {
            break (jobs, runs);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let wall = started.elapsed();
    for child in replicas {
        serve::stop(child);
    }
    let per_host: Vec<(String, i64)> = sqlx::query_as(
        "SELECT COALESCE(host, '?') AS host, COUNT(*) AS n FROM runs GROUP BY host ORDER BY host",
    )
    .fetch_all(app.store.pool())
    .await
    .expect("runs per host");
    // A worker is `<machine>-<pid>-<id>-w<n>`: its process is all but the last part.
    let mut per_process = std::collections::BTreeMap::<String, i64>::new();
    for (host, n) in per_host {
        let process = host
            .rsplit_once("-w")
            .map_or(host.clone(), |(p, _)| p.to_string());
        *per_process.entry(process).or_default() += n;
    }
    let shares: Vec<i64> = per_process.values().copied().collect();
    let (jobs_per_install, most_attempts): (i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(MAX(n), 0) AS BIGINT), CAST(COALESCE(MAX(a), 0) AS BIGINT) FROM \
         (SELECT COUNT(*) AS n, MAX(attempts) AS a FROM jobs GROUP BY install_id) per_install",
    )
    .fetch_one(app.store.pool())
    .await
    .expect("jobs per install");
    println!(
        "  {processes} process(es) x {workers} workers: {:.1} s, {:.0} runs/s; runs per process {shares:?}; \
         jobs {jobs:?}, runs {runs:?}; at most {jobs_per_install} job per install, leased at most {most_attempts} time(s)",
        wall.as_secs_f64(),
        tenants as f64 / wall.as_secs_f64(),
    );
    assert_eq!(count_of(&jobs, "done"), tenants, "one job per install");
    assert_eq!(
        count_of(&runs, "successful"),
        tenants,
        "one successful run per install"
    );
    assert_eq!(jobs_per_install, 1, "no slot enqueued twice");
    assert_eq!(most_attempts, 1, "no job leased twice");
}

fn main() {
    let tenants = env_number("LOCKGATE_BENCH_TENANTS", 10_000);
    let workers = env_number("LOCKGATE_BENCH_WORKERS", 8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        let dir = TempDir::new();
        let db = lockgate_tests::test_database_url(&dir).await;
        let postgres = db.starts_with("postgres");
        let mut config = AppConfig::new(db.clone(), dir.0.join("data"));
        let key = lockgate::secrets::SecretBox::generate_key();
        config.secret_key = Some(key.clone());
        let app = App::build(config).await.expect("the app builds");
        let planner = lockgate::demo::DemoPlanner::start()
            .await
            .expect("the demo planner");
        let setup = Instant::now();
        planner_tenants(&app, tenants, &planner.authority(), None).await;
        println!(
            "{tenants} tenants of 50 employees on {} (set up in {:.0} s), every daily sync due at once:",
            if postgres { "PostgreSQL" } else { "SQLite" },
            setup.elapsed().as_secs_f64()
        );
        for layout in [(1, workers), (2, workers / 2)] {
            reset(&app, postgres).await;
            drain(&app, &db, &dir, &key, &planner.authority(), layout).await;
        }
    });
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: a number")))
        .unwrap_or(default)
}
