//! The store's figures, printed (not asserted): seeding a tenant, a CSV
//! import of its employees through the API, the monitoring reads with
//! millions of rows in the store, the install and run lists, and webhook
//! deliveries accepted per second.
//!
//! `cargo bench -p lockgate-tests --bench store` runs on SQLite; with
//! `LOCKGATE_TEST_POSTGRES_URL` set, on a fresh schema of that PostgreSQL.
//! `LOCKGATE_BENCH_EMPLOYEES` (100 000) sizes the seed and the import,
//! `LOCKGATE_BENCH_ROWS` (10 000 000) the monitoring rows,
//! `LOCKGATE_BENCH_DELIVERIES` (5 000) the webhook deliveries per level;
//! `LOCKGATE_BENCH_ONLY=seed`, `import`, `monitoring`, `lists` or `ingress`
//! runs one.

use std::time::{Duration, Instant};

use lockgate::sandbox::{SandboxOptions, generate};
use lockgate_tests::{TempDir, test_store};

#[path = "store/import.rs"]
mod import;
#[path = "store/ingress.rs"]
mod ingress;
#[path = "store/lists.rs"]
mod lists;
#[path = "store/monitoring.rs"]
mod monitoring;
mod shared;

/// A serving host with the bundled connectors listed and a tenant `t-1`,
/// and that tenant's admin token.
async fn app_with_tenant() -> (lockgate_tests::TestApp, String) {
    let app = lockgate_tests::spawn_app().await;
    lockgate::demo::publish_bundled(&app).await.expect("listed");
    app.store
        .create_tenant("t-1", "Acme")
        .await
        .expect("tenant");
    let token = lockgate_tests::tenant_token(&app, "t-1", true).await;
    (app, token)
}

/// A finished planner-export sync of tenant `t-1`, the `n`th of `install`.
fn finished_run(id: &str, install: &str, n: usize) -> lockgate::store::RunRecord {
    use lockgate::vocabulary::{JobKind, RunStatus, RunTrigger};
    lockgate::store::RunRecord {
        id: id.into(),
        install_id: install.into(),
        tenant_id: "t-1".into(),
        connector_id: "planner-export".into(),
        plugin_version: "0.1.0".into(),
        kind: JobKind::Sync,
        trigger: RunTrigger::Scheduled,
        status: RunStatus::Successful,
        started_at: format!("2026-11-{:02}T02:{:02}:00.000000Z", 1 + n / 60 % 28, n % 60),
        finished_at: None,
        duration_ms: Some(1_000),
        failure_kind: None,
        failure_reason: None,
        requests: 3,
        peak_memory: 0,
        job_id: None,
        host: None,
    }
}

/// Which database the figures are of.
fn database() -> &'static str {
    match std::env::var(lockgate_tests::database::POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => "PostgreSQL",
        _ => "SQLite",
    }
}

/// Seeding a tenant as `lockgate sandbox seed` does: the generated data
/// first, then the writes into a fresh database, three times.
async fn seed(employees: usize) {
    let mut writes = Vec::new();
    let mut generated = Duration::ZERO;
    let mut absences = 0;
    for round in 0..3 {
        let dir = TempDir::new();
        let store = test_store(&dir).await;
        let started = Instant::now();
        let data = generate(&SandboxOptions {
            employees,
            seed: round + 1,
            today: lockgate::time::today(),
        });
        generated = started.elapsed();
        absences = data.absences.len();
        let started = Instant::now();
        store.create_tenant("seed", "Seed").await.expect("tenant");
        store
            .upsert_employees("seed", &data.employees)
            .await
            .expect("employees");
        store
            .upsert_absences("seed", &data.absences)
            .await
            .expect("absences");
        store
            .set_exclusions("seed", &data.exclusions)
            .await
            .expect("exclusions");
        store
            .upsert_positions("seed", &data.positions)
            .await
            .expect("positions");
        writes.push(started.elapsed());
    }
    writes.sort();
    println!(
        "seed of {employees} employees and {absences} absences ({}), median of 3: generating {:.2} s, writing {:.2} s ({:.0} employees/s; range {:.2}–{:.2} s)",
        database(),
        generated.as_secs_f64(),
        writes[1].as_secs_f64(),
        employees as f64 / writes[1].as_secs_f64(),
        writes[0].as_secs_f64(),
        writes[2].as_secs_f64(),
    );
}

fn main() {
    let employees = shared::env_number("LOCKGATE_BENCH_EMPLOYEES", 100_000);
    let rows = shared::env_number("LOCKGATE_BENCH_ROWS", 10_000_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let only = std::env::var("LOCKGATE_BENCH_ONLY").ok();
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    rt.block_on(async {
        if runs("seed") {
            seed(employees).await;
        }
        if runs("import") {
            import::csv_import(employees).await;
        }
        if runs("lists") {
            lists::install_and_run_lists().await;
        }
        if runs("ingress") {
            ingress::webhook_ingress(shared::env_number("LOCKGATE_BENCH_DELIVERIES", 5_000)).await;
        }
        if runs("monitoring") {
            monitoring::monitoring_reads(rows).await;
        }
    });
}
