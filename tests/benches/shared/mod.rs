//! What the benches share: their settings from the environment, a
//! percentile, and a store seeded with a synthetic tenant.

use std::path::Path;
use std::time::Duration;

use lockgate::sandbox::{SandboxOptions, SandboxTenant, generate};
use lockgate::store::Store;

/// `name` from the environment as a number, else `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A SQLite store in `dir` with `tenant` holding a synthetic tenant of
/// `employees` (seed 1): the employees, their absences and the exclusions.
/// (The store bench seeds its own databases, timing each step.)
#[allow(dead_code)]
pub async fn seeded_store(dir: &Path, tenant: &str, employees: usize) -> (Store, SandboxTenant) {
    std::fs::create_dir_all(dir).expect("dir");
    let store = Store::open_sqlite(&dir.join("bench.db"))
        .await
        .expect("store");
    let data = generate(&SandboxOptions {
        employees,
        seed: 1,
        today: lockgate::time::today(),
    });
    store.create_tenant(tenant, "Bench").await.expect("tenant");
    store
        .upsert_employees(tenant, &data.employees)
        .await
        .expect("employees");
    store
        .upsert_absences(tenant, &data.absences)
        .await
        .expect("absences");
    store
        .set_exclusions(tenant, &data.exclusions)
        .await
        .expect("exclusions");
    (store, data)
}
