//! Event delivery latency through the job queue and the workers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lockgate::policy::OperatorPolicy;
use lockgate::runtime::{Runtime, RuntimeConfig};
use lockgate::store::{InstallRecord, Store};

use super::{TENANT, percentile};

/// From an HR write to the connector's partner hearing about it: the
/// store write, the event job, a worker waking, a fresh instance running
/// `on-event`, its request to a loopback partner. One event at a time on an
/// otherwise idle host, as `lockgate serve` runs its workers.
pub async fn event_latency(dir: &std::path::Path) {
    use lockgate::worker::{WorkerConfig, start};
    let store = Store::open_sqlite(&dir.join("events.db"))
        .await
        .expect("store");
    lockgate::sandbox::ensure_tenant(&store, TENANT, 5, 1)
        .await
        .expect("tenant");
    let template = store
        .all_employees(TENANT)
        .await
        .expect("employees")
        .remove(0);
    let (heard_tx, mut heard) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let partner = axum::Router::new().route(
        "/events",
        axum::routing::post(move || {
            let heard_tx = heard_tx.clone();
            async move {
                let _ = heard_tx.send(Instant::now());
                "{}"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    tokio::spawn(async move { axum::serve(listener, partner).await });
    let mut operator = OperatorPolicy::default();
    operator.allow(&addr).expect("allow");
    let runtime = Arc::new(Runtime::new(RuntimeConfig::default()).expect("runtime"));
    let state = lockgate::app::App::from_parts(
        store.clone(),
        runtime,
        operator,
        lockgate::artifacts::Artifacts::new(store.clone()),
        lockgate::secrets::SecretBox::from_hex(&lockgate::secrets::SecretBox::generate_key())
            .expect("key"),
        lockgate::policy::Limits::default(),
    );
    let bytes = std::fs::read(lockgate_tests::program("test-events")).expect("test-events");
    let sha = state.artifacts.put(&bytes).await.expect("artifact");
    store
        .create_install(&InstallRecord {
            id: "inst-events".into(),
            tenant_id: TENANT.into(),
            connector_id: "test-events".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: sha,
            config: [("partner-url".to_string(), format!("http://{addr}"))].into(),
            status: lockgate::vocabulary::InstallStatus::Connected,
            ..Default::default()
        })
        .await
        .expect("install");
    start(state.clone(), WorkerConfig::default());

    let hire = lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), -10));
    let mut times = Vec::new();
    for i in 0..60 {
        let employee = lockgate::hr::Employee {
            id: format!("ev-{i}"),
            last_name: format!("Event {i}"),
            hire_date: hire.clone(),
            termination_date: None,
            status: "active".into(),
            updated_at: lockgate::time::now_text(),
            ..template.clone()
        };
        let started = Instant::now();
        store
            .upsert_employees(TENANT, std::slice::from_ref(&employee))
            .await
            .expect("write");
        let events: Vec<_> = lockgate::events::employee_event(None, &employee)
            .into_iter()
            .collect();
        lockgate::events::publish(&state, TENANT, &events)
            .await
            .expect("publish");
        let at = tokio::time::timeout(Duration::from_secs(10), heard.recv())
            .await
            .expect("heard within 10 s")
            .expect("partner");
        // The first few include compiling and warming up.
        if i >= 10 {
            times.push(at - started);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    times.sort();
    println!(
        "event delivery (HR write to the partner hearing it, idle host, 2 workers): p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms  (n = {})",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        times.len()
    );
}
