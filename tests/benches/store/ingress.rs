//! Webhook ingress: deliveries a partner posts to `/hooks/{install}`,
//! each answered `202` only once its job is committed. A `reqwest` load
//! generator keeps 1, 16 or 128 deliveries in flight against a host that
//! serves the API and runs no workers, so that only the acceptance path is
//! timed; afterwards the queue must hold exactly one job per `202`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lockgate::app::App;
use lockgate::policy::OperatorPolicy;
use lockgate::store::InstallRecord;
use lockgate::vocabulary::InstallStatus;
use lockgate_tests::TempDir;

use super::shared::percentile;

const INSTALL: &str = "i-hooks";

/// A host serving the API on loopback (no scheduler, no workers) with a
/// connected ats-hire install and its webhook secret.
async fn host(dir: &TempDir) -> (String, App, String) {
    let db_url = lockgate_tests::test_database_url(dir).await;
    let config = lockgate_tests::app::test_config(&db_url, dir, OperatorPolicy::default());
    let app = App::build(config).await.expect("the app builds");
    lockgate::demo::publish_bundled(&app).await.expect("listed");
    app.store
        .create_tenant("t-1", "Acme")
        .await
        .expect("tenant");
    let listed = app
        .store
        .listed_version("ats-hire")
        .await
        .expect("catalog")
        .expect("listed");
    let version = app
        .store
        .plugin_version("ats-hire", &listed)
        .await
        .expect("catalog")
        .expect("the version");
    app.store
        .create_install(&InstallRecord {
            id: INSTALL.into(),
            tenant_id: "t-1".into(),
            connector_id: "ats-hire".into(),
            plugin_version: version.version.clone(),
            plugin_sha256: version.sha256.clone(),
            status: InstallStatus::Connected,
            ..Default::default()
        })
        .await
        .expect("install");
    let secret = lockgate::webhooks::issue_secret(&app, INSTALL)
        .await
        .expect("secret");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!(
        "http://{}{}",
        listener.local_addr().expect("its address"),
        lockgate::webhooks::path(INSTALL)
    );
    tokio::spawn(lockgate::api::serve(listener, app.clone()));
    (url, app, secret)
}

/// `total` deliveries, `senders` at a time; each body is new. Returns the
/// wall time and each delivery's latency.
async fn deliver(
    url: &str,
    secret: &str,
    senders: usize,
    total: usize,
    first: usize,
) -> (Duration, Vec<Duration>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(senders)
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..senders {
        let (client, next, url) = (client.clone(), next.clone(), url.to_string());
        let auth = format!("Bearer {secret}");
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return times;
                }
                let body = format!(
                    r#"{{"event":"candidate.hired","candidate":{{"id":"c-{}","first_name":"Ada","last_name":"Lovelace"}}}}"#,
                    first + n
                );
                let sent = Instant::now();
                let res = client
                    .post(&url)
                    .header("authorization", &auth)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("the host answers");
                let status = res.status();
                res.bytes().await.expect("the answer");
                assert_eq!(status, 202, "a delivery is accepted");
                times.push(sent.elapsed());
            }
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.extend(task.await.expect("sender"));
    }
    (started.elapsed(), times)
}

pub async fn webhook_ingress(deliveries: usize) {
    let dir = TempDir::new();
    let (url, app, secret) = host(&dir).await;
    println!(
        "webhook ingress ({}), {deliveries} deliveries per level, bearer secret, committed before 202:",
        super::database()
    );
    // Connections and the first statements warm up outside the figures.
    let (_, _) = deliver(&url, &secret, 16, 500, 0).await;
    let mut sent = 500;
    for senders in [1, 16, 128] {
        let (wall, mut times) = deliver(&url, &secret, senders, deliveries, sent).await;
        sent += deliveries;
        times.sort();
        println!(
            "  {senders:>3} senders: {:>6.0} deliveries/s, p50 {:.1} ms, p99 {:.1} ms",
            deliveries as f64 / wall.as_secs_f64(),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
    let queued = app
        .store
        .install_jobs(INSTALL, (sent * 2) as i64)
        .await
        .expect("jobs")
        .len();
    assert_eq!(queued, sent, "one job per accepted delivery");
    println!("  {queued} jobs queued for {sent} accepted deliveries");
}
