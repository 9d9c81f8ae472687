//! The monitoring reads with millions of rows in the store: a page of a
//! run's rows filtered by status or by employee, a page deep into a run,
//! and a page of runs with their counts, each as p50/p99; with the plans
//! the database chose for the row queries.

use std::time::{Duration, Instant};

use lockgate::store::{InstallRecord, RunRow, Store};
use lockgate::vocabulary::{InstallStatus, Operation, RowStatus};
use lockgate_tests::{TempDir, test_store};
use rand::{Rng, SeedableRng};
use sqlx::Row;

use super::shared::percentile;

/// Rows per run: a 100 000-employee tenant's initial sync.
const RUN_ROWS: usize = 100_000;
/// The page size the console asks for, and the one more that says a next
/// page exists.
const PAGE: i64 = 51;
const SAMPLES: usize = 500;

fn row(seq: usize) -> RunRow {
    RunRow {
        seq: seq as i64,
        recorded_at: "2026-12-01T02:00:00.000000Z".into(),
        employee_id: Some(format!("e-{seq:06}")),
        operation: if seq.is_multiple_of(3) {
            Operation::Provision
        } else {
            Operation::Update
        },
        // One row in a hundred failed, one in fifty was skipped.
        status: if seq % 100 == 37 {
            RowStatus::Failed
        } else if seq % 50 == 11 {
            RowStatus::Skipped
        } else {
            RowStatus::Success
        },
        message: "sent with 3 absence(s)".into(),
        partner_status: Some(200),
        partner_body: None,
    }
}

async fn fill(store: &Store, rows: usize) -> Vec<String> {
    store.create_tenant("t-1", "Acme").await.expect("tenant");
    store
        .create_install(&InstallRecord {
            id: "i-1".into(),
            tenant_id: "t-1".into(),
            connector_id: "planner-export".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: "0".repeat(64),
            status: InstallStatus::Connected,
            ..Default::default()
        })
        .await
        .expect("install");
    let mut runs = Vec::new();
    let started = Instant::now();
    for n in 0..rows.div_ceil(RUN_ROWS) {
        let id = format!("run-{n:04}");
        store
            .create_run(&super::finished_run(&id, "i-1", n))
            .await
            .expect("run");
        let count = RUN_ROWS.min(rows - n * RUN_ROWS);
        let batch: Vec<RunRow> = (0..count).map(row).collect();
        for chunk in batch.chunks(10_000) {
            store.insert_rows(&id, chunk).await.expect("rows");
        }
        runs.push(id);
    }
    let took = started.elapsed();
    println!(
        "  wrote {rows} rows in {} runs in {:.1} s ({:.0} rows/s, 10 000 per transaction)",
        runs.len(),
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64()
    );
    // What autovacuum (PostgreSQL) or `PRAGMA optimize` would do in time.
    sqlx::query("ANALYZE")
        .execute(store.pool())
        .await
        .expect("analyze");
    runs
}

async fn plan(store: &Store, query: &str) -> String {
    let explain = match store.dialect {
        lockgate::store::Dialect::Sqlite => format!("EXPLAIN QUERY PLAN {query}"),
        lockgate::store::Dialect::Postgres => format!("EXPLAIN {query}"),
    };
    let rows = sqlx::query(&explain)
        .fetch_all(store.pool())
        .await
        .expect("a plan");
    rows.iter()
        .map(|r| {
            r.try_get::<String, _>("detail")
                .or_else(|_| r.try_get::<String, _>("QUERY PLAN"))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

async fn measure<F, Fut>(what: &str, mut read: F)
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = usize>,
{
    let mut times: Vec<Duration> = Vec::with_capacity(SAMPLES);
    let mut found = 0;
    for i in 0..SAMPLES {
        let started = Instant::now();
        found += read(i).await;
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "  {what}: p50 {:.2} ms, p99 {:.2} ms ({:.0} items per read)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        found as f64 / SAMPLES as f64
    );
}

pub async fn monitoring_reads(rows: usize) {
    let dir = TempDir::new();
    let store = test_store(&dir).await;
    println!(
        "monitoring reads with {rows} rows in the store ({}):",
        super::database()
    );
    let runs = fill(&store, rows).await;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let picks: Vec<(String, usize)> = (0..SAMPLES)
        .map(|_| {
            (
                runs[rng.random_range(0..runs.len())].clone(),
                rng.random_range(0..RUN_ROWS.min(rows)),
            )
        })
        .collect();
    let store = &store;
    let picks = &picks;
    measure("a page of a run's failed rows", |i| async move {
        let (run, _) = &picks[i];
        store
            .run_rows(run, Some(RowStatus::Failed), None, None, PAGE)
            .await
            .expect("rows")
            .len()
    })
    .await;
    measure(
        "the next page of failed rows (after a cursor half-way)",
        |i| async move {
            let (run, seq) = &picks[i];
            store
                .run_rows(run, Some(RowStatus::Failed), None, Some(*seq as i64), PAGE)
                .await
                .expect("rows")
                .len()
        },
    )
    .await;
    measure("one employee's rows in a run", |i| async move {
        let (run, seq) = &picks[i];
        store
            .run_rows(run, None, Some(&format!("e-{seq:06}")), None, PAGE)
            .await
            .expect("rows")
            .len()
    })
    .await;
    measure("a page of a run's rows after a cursor", |i| async move {
        let (run, seq) = &picks[i];
        store
            .run_rows(run, None, None, Some(*seq as i64), PAGE)
            .await
            .expect("rows")
            .len()
    })
    .await;
    measure("a page of runs with their row counts", |_| async move {
        let page = store.runs_page("i-1", None, PAGE).await.expect("runs");
        let ids: Vec<String> = page.iter().map(|r| r.id.clone()).collect();
        store.runs_counts(&ids).await.expect("counts").len()
    })
    .await;
    let run = &runs[0];
    for (what, filter) in [
        ("status", "status = 'failed'"),
        ("employee", "employee_id = 'e-012345'"),
    ] {
        println!(
            "  plan, rows by {what}: {}",
            plan(
                store,
                &format!(
                    "SELECT seq FROM run_rows WHERE run_id = '{run}' AND {filter} ORDER BY seq LIMIT {PAGE}"
                )
            )
            .await
        );
    }
}
