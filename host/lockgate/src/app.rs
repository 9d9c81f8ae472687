//! The application: the shared services every entry point works through —
//! the store, the runtime, the connector files, the secret box, the
//! operator's policy, the per-run limits and the job queue with its
//! wake-up. `lockgate serve`, the demo and the tests build it with
//! [`App::build`]; the HTTP API wraps it, and nothing here knows of HTTP.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::artifacts::{Artifacts, ImportError};
use crate::policy::{Limits, OperatorPolicy};
use crate::runtime::{Plugin, Runtime, RuntimeConfig};
use crate::secrets::{SecretBox, SecretError};
use crate::store::{NewJob, Store, StoreError};
use crate::time::Clock;

/// What an [`App`] is built from.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// `sqlite://…` or `postgres://…`; a SQLite file's folder is created.
    pub database_url: String,
    /// This replica's own folder: local copies of connector files (the
    /// database holds them all; files an older host kept only here are
    /// moved into it at start) and, without `secret_key`, the key file.
    pub data_dir: PathBuf,
    /// The key that seals install secrets, as 64 hex characters; `None`
    /// keeps one in `data_dir/secret.key`, created on first start.
    pub secret_key: Option<String>,
    pub operator: OperatorPolicy,
    pub runtime: RuntimeConfig,
    /// Per-invocation limits for every connector call.
    pub limits: Limits,
}

impl AppConfig {
    /// Defaults for everything but the database and the data directory.
    pub fn new(database_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> AppConfig {
        AppConfig {
            database_url: database_url.into(),
            data_dir: data_dir.into(),
            secret_key: None,
            operator: OperatorPolicy::default(),
            runtime: RuntimeConfig::default(),
            limits: Limits::default(),
        }
    }

    /// The key file used when no key is given.
    pub fn key_file(&self) -> PathBuf {
        self.data_dir.join("secret.key")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot create {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Database(#[from] StoreError),
    #[error("{0}")]
    SecretKey(#[from] SecretError),
    #[error("the connector runtime cannot start: {0}")]
    Runtime(String),
}

/// Why an install's build or secrets could not be made ready for a call.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// This host cannot obtain the build's file now: the database did not
    /// answer, has no file with that digest (yet), or holds one that does
    /// not match it. Nothing is wrong with the job: leave it for a retry
    /// or another replica rather than failing it.
    #[error("the connector build cannot be read here: {0}")]
    Unavailable(#[from] crate::artifacts::ArtifactError),
    /// The file was read and verified, and the runtime refused or could
    /// not compile it: every replica would, so this is final.
    #[error("the connector build cannot be loaded: {0}")]
    Unloadable(#[from] crate::runtime::LoadError),
    #[error("{0}")]
    Secrets(#[from] SecretError),
    #[error("cannot read the install: {0}")]
    Store(#[from] StoreError),
}

impl PrepareError {
    /// Whether another attempt, later or on another replica, may succeed:
    /// the build is [`PrepareError::Unavailable`] or the database did not
    /// answer. Anything else fails the same way everywhere.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            PrepareError::Unavailable(_) | PrepareError::Store(StoreError::Db(_))
        )
    }
}

/// The shared services; cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub runtime: Arc<Runtime>,
    pub operator: OperatorPolicy,
    pub artifacts: Artifacts,
    /// Seals and opens install secrets.
    pub secrets: SecretBox,
    /// Per-invocation limits for every connector call.
    pub limits: Limits,
    /// What schedule slots and webhook receipts are decided by: the system
    /// clock, unless a test sets it.
    pub clock: Clock,
    /// Wakes this process's idle workers when a job is enqueued.
    queue: Arc<Notify>,
}

impl App {
    /// Opens (and migrates) the database, the secret key and the runtime;
    /// checks the key against the one the database's secrets are sealed
    /// with, and moves connector files only the data folder holds into the
    /// database.
    pub async fn build(config: AppConfig) -> Result<App, BuildError> {
        let store = open_database(&config.database_url).await?;
        let secrets = match &config.secret_key {
            Some(key) => SecretBox::from_hex(key)?,
            None => {
                create_folder(&config.data_dir)?;
                SecretBox::load_or_create(&config.key_file())?
            }
        };
        check_shared_key(&store, &secrets).await?;
        let artifacts =
            Artifacts::new(store.clone()).with_local_copies(config.data_dir.join("artifacts"));
        let imported = artifacts.import_local().await.map_err(|e| match e {
            ImportError::Folder { path, source } => BuildError::Folder {
                path: path.display().to_string(),
                source,
            },
            ImportError::Store(e) => BuildError::Database(e),
        })?;
        if imported > 0 {
            tracing::info!(
                "moved {imported} connector file(s) from the data folder into the database"
            );
        }
        let runtime =
            Runtime::new(config.runtime).map_err(|e| BuildError::Runtime(e.to_string()))?;
        Ok(App::from_parts(
            store,
            Arc::new(runtime),
            config.operator,
            artifacts,
            secrets,
            config.limits,
        ))
    }

    /// An app over services built elsewhere (a runtime shared by several
    /// apps in one process, as the review and the benches use).
    pub fn from_parts(
        store: Store,
        runtime: Arc<Runtime>,
        operator: OperatorPolicy,
        artifacts: Artifacts,
        secrets: SecretBox,
        limits: Limits,
    ) -> App {
        App {
            store,
            runtime,
            operator,
            artifacts,
            secrets,
            limits,
            clock: Clock::system(),
            queue: Arc::new(Notify::new()),
        }
    }

    /// Queues a job and wakes this process's idle workers; returns the
    /// job's id, or `None` when a job with the same dedupe key exists.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Option<String>, StoreError> {
        let id = self.store.enqueue(job).await?;
        self.wake();
        Ok(id)
    }

    /// Wakes idle workers (after jobs became ready without [`App::enqueue`]).
    pub fn wake(&self) {
        self.queue.notify_waiters();
    }

    /// Waits until a job may be ready: woken, or after `poll`.
    pub async fn wait_for_work(&self, poll: Duration) {
        let _ = tokio::time::timeout(poll, self.queue.notified()).await;
    }

    /// The prepared build an install is pinned to: the one this process
    /// loaded, else its file from this replica's copy or the shared
    /// database, verified by digest and compiled (or taken from the
    /// compiled-artifact cache) off the async threads.
    pub async fn load_plugin(&self, sha256: &str) -> Result<Arc<Plugin>, PrepareError> {
        if let Some(plugin) = self.runtime.loaded(sha256) {
            return Ok(plugin);
        }
        let bytes = self.artifacts.get(sha256).await?;
        let runtime = self.runtime.clone();
        tokio::task::spawn_blocking(move || runtime.load(&bytes))
            .await
            .map_err(|e| crate::runtime::LoadError::Compile(e.to_string()))?
            .map_err(PrepareError::from)
    }

    /// [`App::load_plugin`] for callers that cannot `.await`: the build
    /// this process loaded, else this replica's copy of its file, else
    /// the database's — read blocking this thread, which only a
    /// multi-threaded runtime allows (`lockgate serve` runs one). On a
    /// current-thread runtime a build without a local copy is
    /// [`PrepareError::Unavailable`]. Prefer `load_plugin`.
    pub fn plugin(&self, sha256: &str) -> Result<Arc<Plugin>, PrepareError> {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if let Some(plugin) = self.runtime.loaded(sha256) {
            return Ok(plugin);
        }
        let bytes = match self.artifacts.local_copy(sha256) {
            Ok(bytes) => bytes,
            Err(e) => match Handle::try_current() {
                Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                    tokio::task::block_in_place(|| handle.block_on(self.artifacts.get(sha256)))?
                }
                _ => return Err(e.into()),
            },
        };
        Ok(self.runtime.load(&bytes)?)
    }

    /// The outbound policy an install of `tenant_id` runs under: the
    /// operator's for a real tenant; for a partner's sandbox tenant, one
    /// confined to the test hosts the partner declared
    /// ([`OperatorPolicy::for_sandbox`]). `Err` with the reason when the
    /// tenant is a sandbox that has expired: it runs nothing any more.
    pub async fn policy_for(
        &self,
        tenant_id: &str,
    ) -> Result<Result<OperatorPolicy, String>, StoreError> {
        let Some(sandbox) = self.store.sandbox_of_tenant(tenant_id).await? else {
            return Ok(Ok(self.operator.clone()));
        };
        if sandbox.removed_at.is_some() || sandbox.expired_at(&self.clock.now_text()) {
            return Ok(Err(format!(
                "the partner sandbox expired at {}",
                sandbox.expires_at
            )));
        }
        // Stored only after the same check; one that no longer parses (a
        // test host the operator stopped allowing over plain HTTP) is not
        // reachable at all.
        let hosts: Vec<_> = sandbox
            .test_hosts
            .iter()
            .filter_map(|h| self.operator.partners.test_origin(h).ok())
            .collect();
        Ok(Ok(self.operator.for_sandbox(&hosts)))
    }

    /// The install's secret configuration values, opened.
    pub async fn install_secrets(
        &self,
        install_id: &str,
    ) -> Result<BTreeMap<String, String>, PrepareError> {
        match self.store.install_secrets(install_id).await? {
            Some(sealed) => Ok(self.secrets.open(install_id, &sealed)?),
            None => Ok(BTreeMap::new()),
        }
    }
}

/// What the key check is sealed for; no install has this id.
const KEY_CHECK: &str = "secret-key-check";

/// Refuses a secret key other than the one the database's install secrets
/// are sealed with (replicas with separate data folders and no configured
/// key would each create their own); the first host to start records its
/// key's check.
async fn check_shared_key(store: &Store, secrets: &SecretBox) -> Result<(), BuildError> {
    let candidate = secrets.seal(KEY_CHECK, &BTreeMap::new());
    let stored = store
        .shared_setting_or_insert(KEY_CHECK, &candidate)
        .await?;
    match secrets.open(KEY_CHECK, &stored) {
        Ok(_) => Ok(()),
        Err(_) => Err(BuildError::SecretKey(SecretError::OtherKey)),
    }
}

fn create_folder(dir: &Path) -> Result<(), BuildError> {
    std::fs::create_dir_all(dir).map_err(|source| BuildError::Folder {
        path: dir.display().to_string(),
        source,
    })
}

/// Opens the database at `url`, creating a SQLite file's folder if needed.
pub async fn open_database(url: &str) -> Result<Store, BuildError> {
    if let Some(path) = url.strip_prefix("sqlite://")
        && let Some(dir) = Path::new(path.split('?').next().unwrap_or(path)).parent()
        && !dir.as_os_str().is_empty()
    {
        create_folder(dir)?;
    }
    Ok(Store::open(url).await?)
}
