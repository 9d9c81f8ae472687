//! The API with its scheduler and workers on loopback, as `lockgate serve`
//! runs them, built through the same [`App::build`] as the binary.

use std::time::Duration;

use lockgate::app::{App, AppConfig};
use lockgate::auth::{NewToken, Role, create_token};
use lockgate::policy::OperatorPolicy;
use lockgate::runtime::RuntimeConfig;
use lockgate::worker::WorkerConfig;

use crate::database::test_database_url;
use crate::tempdir::TempDir;

/// A serving host: the shared services ([`App`], reachable through
/// `Deref`: `app.store`, `app.artifacts`, `app.secrets`…), its URL, the
/// database URL (for replicas) and its data folder.
pub struct TestApp {
    pub url: String,
    pub host: App,
    pub db_url: String,
    pub config: AppConfig,
    dir: TempDir,
}

impl std::ops::Deref for TestApp {
    type Target = App;
    fn deref(&self) -> &App {
        &self.host
    }
}

impl TestApp {
    /// The data folder (local copies of connector files in `artifacts/`,
    /// the secret key).
    pub fn dir(&self) -> &TempDir {
        &self.dir
    }

    /// A second host on the same database and data folder (so the same
    /// connector files and secret key), with its own pool, runtime,
    /// scheduler and workers; it serves no HTTP.
    pub async fn replica(&self) -> App {
        let app = App::build(self.config.clone())
            .await
            .expect("the replica builds");
        lockgate::worker::start(app.clone(), worker_config());
        app
    }
}

/// The configuration the test hosts are built from.
pub fn test_config(database_url: &str, dir: &TempDir, operator: OperatorPolicy) -> AppConfig {
    let mut config = AppConfig::new(database_url, dir.0.clone());
    config.runtime = RuntimeConfig {
        max_instances: 8,
        ..Default::default()
    };
    config.operator = operator;
    config
}

fn worker_config() -> WorkerConfig {
    WorkerConfig {
        workers: 2,
        lease: Duration::from_secs(5),
        poll: Duration::from_millis(50),
        retry_later: Duration::from_millis(200),
    }
}

/// The API on a fresh database, with the default operator policy.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(OperatorPolicy::default()).await
}

/// The API with its scheduler and workers, as `lockgate serve` runs them,
/// under `operator`'s policy.
pub async fn spawn_app_with(operator: OperatorPolicy) -> TestApp {
    // Internal errors are logged, not returned: show them with the test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("lockgate=warn"))
        .with_test_writer()
        .try_init();
    let dir = TempDir::new();
    let db_url = test_database_url(&dir).await;
    let config = test_config(&db_url, &dir, operator);
    let host = App::build(config.clone()).await.expect("the app builds");
    lockgate::worker::start(host.clone(), worker_config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(lockgate::api::serve(listener, host.clone()));
    TestApp {
        url,
        host,
        db_url,
        config,
        dir,
    }
}

/// A token for `role`, with the marketplace right.
pub async fn token(
    app: &TestApp,
    role: Role,
    partner: Option<&str>,
    tenant: Option<&str>,
) -> String {
    let new = NewToken {
        role,
        partner_id: partner.map(String::from),
        tenant_id: tenant.map(String::from),
        marketplace_right: true,
        label: "test".into(),
    };
    create_token(&app.store, new).await.expect("a token").0
}

/// A tenant admin's token, with or without the marketplace right.
pub async fn tenant_token(app: &TestApp, tenant: &str, right: bool) -> String {
    let new = NewToken {
        role: Role::TenantAdmin,
        partner_id: None,
        tenant_id: Some(tenant.into()),
        marketplace_right: right,
        label: "admin".into(),
    };
    create_token(&app.store, new).await.expect("a token").0
}
