//! Many small tenants for the scale benches: each with 50 employees and a
//! connected planner export.

use lockgate::app::App;
use lockgate::demo::{DEMO_API_KEY, PLANNER_EXPORT};
use lockgate::store::InstallRecord;
use lockgate::vocabulary::InstallStatus;

/// `tenants` tenants `t-00000`…, each of 50 employees with a connected
/// planner export `i-00000`… sending to the planner at `planner` (an
/// authority on loopback), its next daily slot at `due` (none: not
/// scheduled until set).
pub async fn planner_tenants(app: &App, tenants: usize, planner: &str, due: Option<&str>) {
    let sha256 = app.artifacts.put(PLANNER_EXPORT).await.expect("stored");
    let secrets = [("api-key".to_string(), DEMO_API_KEY.to_string())].into();
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
                    config: [("planner-url".to_string(), format!("http://{planner}"))].into(),
                    status: InstallStatus::Connected,
                    next_run_at: due.map(str::to_string),
                    ..Default::default()
                },
                Some(&app.secrets.seal(&id, &secrets)),
            )
            .await
            .expect("install");
    }
}

/// Jobs by status, and runs by status.
pub async fn job_and_run_counts(app: &App) -> (Vec<(String, i64)>, Vec<(String, i64)>) {
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

/// The count of `status` in counts by status.
pub fn count_of(counts: &[(String, i64)], status: &str) -> i64 {
    counts
        .iter()
        .find(|(s, _)| s == status)
        .map_or(0, |(_, n)| *n)
}

/// Jobs still to run: queued or leased.
pub fn open_jobs(jobs: &[(String, i64)]) -> i64 {
    count_of(jobs, "queued") + count_of(jobs, "leased")
}
