//! Persistence through sqlx: one schema and one set of migrations for SQLite
//! (the embedded default) and PostgreSQL. Queries use only what both share;
//! instants are canonical text so comparisons agree everywhere.
//!
//! Read rules that protect people's data are part of the queries here: a
//! "visible" employee is inside the employment window and not excluded from
//! the connector by the tenant's inclusion flag.
//!
//! One file per concept: `hr` (employees, absences, inclusion flags),
//! `attendances` (working time, the tenant's and connectors' periods),
//! `departures` (removing employees, who left a connector's sight),
//! `tenants` (tenants, settings, employees connectors create),
//! [`installs`] and their `state`, [`jobs`] (the durable queue), `runs`
//! (runs, rows, logs), `audit`, `tokens`, [`catalog`] (plugins, versions,
//! reviews, test access), [`partner_sandboxes`] (which tenant is a
//! partner's sandbox, and removing one whole), `recruiting` (job positions,
//! applications and their files), `sandbox_clocks` (a sandbox tenant's
//! own clock) and `shared` (connector files by digest, settings every replica must
//! agree on). The store takes and returns domain types only.

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

mod attendances;
mod audit;
pub mod catalog;
mod departures;
mod hr;
pub mod installs;
pub mod jobs;
pub mod partner_sandboxes;
mod recruiting;
pub mod requests;
mod run_end;
mod runs;
mod sandbox_clocks;
mod shared;
mod sql;
mod state;
mod tenants;
mod tokens;

pub use crate::monitoring::{RunRecord, RunRow};
pub use hr::EmployeeWrite;
pub use installs::{InstallRecord, WebhookTarget};
pub use jobs::{Job, NewJob};
pub use partner_sandboxes::PartnerSandbox;
pub use run_end::{JobEnd, RunEnd, RunEnded, StreakLimit};
pub use tenants::TenantSettings;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The database a connection (or a transaction, through `Deref`) is on.
    pub(crate) fn of(connection: &sqlx::AnyConnection) -> Dialect {
        if connection.backend_name() == <sqlx::Postgres as sqlx::Database>::NAME {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    pub dialect: Dialect,
    /// Writes enqueued jobs in groups (see `jobs/grouped.rs`).
    jobs: jobs::JobWriter,
}
/// A column holding a word of one of the closed vocabularies.
pub(crate) fn word<T>(row: &AnyRow, column: &str) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr<Err = crate::vocabulary::UnknownWord>,
{
    let text: String = row.try_get(column)?;
    text.parse().map_err(
        |e: crate::vocabulary::UnknownWord| sqlx::Error::ColumnDecode {
            index: column.to_string(),
            source: Box::new(e),
        },
    )
}

/// The optional form of [`word`].
pub(crate) fn optional_word<T>(row: &AnyRow, column: &str) -> Result<Option<T>, sqlx::Error>
where
    T: std::str::FromStr<Err = crate::vocabulary::UnknownWord>,
{
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| {
        t.parse().map_err(
            |e: crate::vocabulary::UnknownWord| sqlx::Error::ColumnDecode {
                index: column.to_string(),
                source: Box::new(e),
            },
        )
    })
    .transpose()
}

/// A random identifier with a prefix, e.g. `run-4f1c…`.
pub fn new_id(prefix: &str) -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    format!("{prefix}-{}", hex::encode(bytes))
}
impl Store {
    /// Opens (creating a SQLite file if needed) and migrates.
    /// `url` is `sqlite://path`, `sqlite::memory:` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_string())
        } else if url.starts_with("sqlite:") {
            let url = if url.contains('?') || url.contains(":memory:") {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            (Dialect::Sqlite, url)
        } else {
            return Err(StoreError::Invalid(format!(
                "database URL {url:?} must start with sqlite: or postgres://"
            )));
        };
        let memory = url.contains(":memory:");
        let options = AnyPoolOptions::new()
            // One connection keeps an in-memory database alive and shared.
            .max_connections(if memory { 1 } else { 8 })
            // A SQLite connection is a file this process holds open: there
            // is no server that could have dropped it, and the check before
            // each use is a round trip to the connection's thread that
            // costs as much as a short query.
            .test_before_acquire(dialect == Dialect::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        // A page cache that holds a large tenant's hot
                        // pages (the default 2 MiB spills a transaction of
                        // 100 000 employees to the WAL as it goes) and
                        // statement journals in memory, not in temp files.
                        conn.execute("PRAGMA cache_size = -65536").await?;
                        conn.execute("PRAGMA temp_store = MEMORY").await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        if dialect == Dialect::Sqlite && !memory {
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool,
            dialect,
            jobs: jobs::JobWriter::default(),
        })
    }

    /// A SQLite file at `path`.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Store> {
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. SQLite takes the write lock at the
    /// start (`BEGIN IMMEDIATE`): a transaction that read first and then
    /// tried to write could otherwise fail at once when another connection
    /// wrote in between, instead of waiting its turn.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
