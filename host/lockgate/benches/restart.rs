//! A restart, printed (not asserted): `lockgate serve` started as a process
//! on a database listing 20 connector versions, each connected for a
//! tenant and compiled in the host's artifact cache. Timed from the spawn:
//! the address printed, `/healthz` answering, and a first run (a manual
//! sync through the API, run by a worker against the demo planner)
//! finished. Then the same with the cache emptied before each start, so the
//! first run compiles its connector.
//!
//! `cargo bench -p lockgate --bench restart` (SQLite; with
//! `LOCKGATE_TEST_POSTGRES_URL` set, a fresh schema of that PostgreSQL).

use std::time::Duration;

use lockgate::app::{App, AppConfig};
use lockgate::auth::{NewToken, Role, create_token};
use lockgate::demo::DEMO_API_KEY;
use lockgate::store::InstallRecord;
use lockgate::vocabulary::InstallStatus;
use lockgate_tests::TempDir;

#[path = "shared/serve.rs"]
mod serve;

const VERSIONS: usize = 20;
const TRIALS: usize = 5;

/// The 20 versions listed and compiled into `cache`, an install of each
/// for tenant `t-1`; returns the installs and a tenant admin token.
async fn prepare(app: &App, planner_url: &str) -> (Vec<String>, String) {
    lockgate::sandbox::ensure_tenant(&app.store, "t-1", 50, 1)
        .await
        .expect("tenant");
    let mut installs = Vec::new();
    for n in 0..VERSIONS {
        let version = format!("0.2.{n}");
        let bytes = lockgate_tests::with_manifest(lockgate::demo::PLANNER_EXPORT, |text| {
            text.replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
        });
        let listed = lockgate::demo::publish_build(app, &bytes)
            .await
            .expect("listed");
        assert_eq!(listed.version, version, "the version was rewritten");
        app.load_plugin(&listed.sha256)
            .await
            .expect("compiled and cached");
        let id = format!("i-{n:02}");
        let secrets = [("api-key".to_string(), DEMO_API_KEY.to_string())].into();
        app.store
            .create_install_sealed(
                &InstallRecord {
                    id: id.clone(),
                    tenant_id: "t-1".into(),
                    connector_id: listed.plugin_id,
                    plugin_version: listed.version,
                    plugin_sha256: listed.sha256,
                    config: [("planner-url".to_string(), planner_url.to_string())].into(),
                    status: InstallStatus::Connected,
                    ..Default::default()
                },
                Some(&app.secrets.seal(&id, &secrets)),
            )
            .await
            .expect("install");
        installs.push(id);
    }
    let (token, _) = create_token(
        &app.store,
        NewToken {
            role: Role::TenantAdmin,
            partner_id: None,
            tenant_id: Some("t-1".into()),
            marketplace_right: true,
            label: "bench".into(),
        },
    )
    .await
    .expect("token");
    (installs, token)
}

/// Asks for a manual sync of `install` and waits until its run finished.
async fn first_run(app: &App, url: &str, token: &str, install: &str) {
    let before = app
        .store
        .runs_of_install(install)
        .await
        .expect("runs")
        .len();
    let res = reqwest::Client::new()
        .post(format!("{url}/api/v1/tenants/t-1/installs/{install}/sync"))
        .bearer_auth(token)
        .send()
        .await
        .expect("the API answers");
    assert_eq!(
        res.status(),
        202,
        "{}",
        res.text().await.unwrap_or_default()
    );
    loop {
        let runs = app.store.runs_of_install(install).await.expect("runs");
        if runs.len() > before && runs.iter().all(|r| r.status != "running") {
            assert_eq!(runs[0].status, "successful", "{:?}", runs[0].failure_reason);
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn range(mut times: Vec<Duration>) -> String {
    times.sort();
    format!(
        "{:.0} ms (range {:.0}–{:.0})",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    )
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        let dir = TempDir::new();
        let db = lockgate_tests::test_database_url(&dir).await;
        let mut config = AppConfig::new(db.clone(), dir.0.join("data"));
        let key = lockgate::secrets::SecretBox::generate_key();
        config.secret_key = Some(key.clone());
        config.runtime.cache_dir = Some(dir.0.join("cache"));
        let app = App::build(config).await.expect("the app builds");
        let planner = lockgate::demo::DemoPlanner::start()
            .await
            .expect("the demo planner");
        let (installs, token) = prepare(&app, &planner.url()).await;
        let database = if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        println!(
            "restart of `lockgate serve` with {VERSIONS} connector versions ({database}), median of {TRIALS}:"
        );
        // Each start runs a connector version the others did not.
        let mut unused = installs.iter();
        for cached in [true, false] {
            let (mut listening, mut healthy, mut ran) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..TRIALS {
                if !cached {
                    let _ = std::fs::remove_dir_all(dir.0.join("cache"));
                }
                let (child, url, spawned, l, h) =
                    serve::start(&db, &dir.0, &key, &planner.authority(), &[]).await;
                let install = unused.next().expect("a version per start");
                first_run(&app, &url, &token, install).await;
                ran.push(spawned.elapsed());
                listening.push(l);
                healthy.push(h);
                serve::stop(child);
            }
            println!(
                "  {}: address printed {}, /healthz answering {}, first run finished {}",
                if cached {
                    "compiled code in the cache"
                } else {
                    "cache emptied (the first run compiles)"
                },
                range(listening),
                range(healthy),
                range(ran)
            );
        }
    });
}
