//! The install list and the run list through the API as the console reads
//! them, at growing sizes: with a fixed number of queries per list, the
//! time per listed item stays flat instead of paying a round of queries
//! for each one.

use std::time::{Duration, Instant};

use lockgate::store::{InstallRecord, RunRow};
use lockgate::vocabulary::{InstallStatus, Operation, RowStatus};
use lockgate_tests::TestApp;

use super::shared::percentile;

async fn median_get(app: &TestApp, token: &str, path: &str) -> Duration {
    let client = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let res = client
            .get(format!("{}{path}", app.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("the API answers");
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.bytes().await.expect("the body");
        times.push(started.elapsed());
    }
    times.sort();
    percentile(&times, 0.5)
}

fn rows(count: usize) -> Vec<RunRow> {
    (0..count)
        .map(|seq| RunRow {
            seq: seq as i64,
            recorded_at: "2026-12-01T02:00:00.000000Z".into(),
            employee_id: Some(format!("e-{seq:06}")),
            operation: Operation::Update,
            status: if seq.is_multiple_of(10) {
                RowStatus::Failed
            } else {
                RowStatus::Success
            },
            message: "sent".into(),
            partner_status: Some(200),
            partner_body: None,
        })
        .collect()
}

pub async fn install_and_run_lists() {
    let (app, token) = super::app_with_tenant().await;
    let listed = app
        .store
        .listed_version("planner-export")
        .await
        .expect("catalog")
        .expect("listed");
    let version = app
        .store
        .plugin_version("planner-export", &listed)
        .await
        .expect("catalog")
        .expect("the version");
    println!(
        "install and run lists through the API ({}), median of 30:",
        super::database()
    );
    let mut made = 0;
    for size in [10, 100, 1000] {
        while made < size {
            let id = format!("i-{made:04}");
            app.store
                .create_install(&InstallRecord {
                    id: id.clone(),
                    tenant_id: "t-1".into(),
                    connector_id: "planner-export".into(),
                    plugin_version: version.version.clone(),
                    plugin_sha256: version.sha256.clone(),
                    config: [(
                        "planner-url".to_string(),
                        "https://planner.example".to_string(),
                    )]
                    .into(),
                    status: InstallStatus::Connected,
                    created_at: format!("2026-11-01T00:00:00.{made:06}Z"),
                    ..Default::default()
                })
                .await
                .expect("install");
            for n in 0..3 {
                app.store
                    .create_run(&super::finished_run(&format!("r-{made:04}-{n}"), &id, n))
                    .await
                    .expect("run");
            }
            made += 1;
        }
        let took = median_get(&app, &token, "/api/v1/tenants/t-1/installs").await;
        println!(
            "  install list of {size}: {:.1} ms ({:.0} µs per install)",
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() * 1e6 / size as f64
        );
    }
    for n in 0..200 {
        let id = format!("many-{n:03}");
        app.store
            .create_run(&super::finished_run(&id, "i-0000", n + 10))
            .await
            .expect("run");
        app.store
            .insert_rows(&id, &rows(1_000))
            .await
            .expect("rows");
    }
    for limit in [10, 50, 200] {
        let took = median_get(
            &app,
            &token,
            &format!("/api/v1/tenants/t-1/installs/i-0000/runs?limit={limit}"),
        )
        .await;
        println!(
            "  run list, {limit} runs of 1 000 rows with their counts: {:.1} ms ({:.0} µs per run)",
            took.as_secs_f64() * 1e3,
            took.as_secs_f64() * 1e6 / limit as f64
        );
    }
}
