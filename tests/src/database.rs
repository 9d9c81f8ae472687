//! The database a test runs on: a fresh SQLite file in the test's folder,
//! or a fresh schema in the PostgreSQL at `LOCKGATE_TEST_POSTGRES_URL` when
//! that is set (CI sets it, so the same tests cover both).

use std::sync::atomic::{AtomicU32, Ordering};

use lockgate::Store;

use crate::tempdir::TempDir;

/// The variable naming the PostgreSQL server to test against.
pub const POSTGRES_URL_VAR: &str = "LOCKGATE_TEST_POSTGRES_URL";

/// Opens (and migrates) a fresh test database; see [`test_database_url`].
pub async fn test_store(dir: &TempDir) -> Store {
    Store::open(&test_database_url(dir).await)
        .await
        .expect("the test database opens")
}

/// The URL of a fresh test database: `sqlite://{dir}/test.db`, or with
/// [`POSTGRES_URL_VAR`] set a new schema `lgt_{pid}_{n}` on that server,
/// selected through the connection's `search_path`. A second
/// `Store::open` of the URL is a second replica on the same data.
pub async fn test_database_url(dir: &TempDir) -> String {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => postgres_schema(&url).await,
        _ => format!("sqlite://{}", dir.0.join("test.db").display()),
    }
}

async fn postgres_schema(url: &str) -> String {
    use sqlx::Connection;
    static N: AtomicU32 = AtomicU32::new(0);
    let schema = format!(
        "lgt_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    // Schemas of earlier test processes go first, once per process.
    static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    CLEANED.get_or_init(|| drop_stale_schemas(url)).await;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("PostgreSQL reachable");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("a test schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// Drops the test schemas of processes that have ended. Schemas of test
/// processes still running (another suite, or another engineer's run on
/// the same server) are left alone.
async fn drop_stale_schemas(url: &str) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("PostgreSQL reachable");
    let found: Vec<(String,)> = sqlx::query_as(
        "SELECT nspname::text FROM pg_namespace WHERE nspname ~ '^lg[tc]_[0-9]+_[0-9]+$'",
    )
    .fetch_all(&mut admin)
    .await
    .expect("the schema list");
    for (name,) in found {
        let pid: Option<u32> = name.split('_').nth(1).and_then(|p| p.parse().ok());
        if pid.is_some_and(process_running) {
            continue;
        }
        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
            .execute(&mut admin)
            .await;
    }
}

/// Whether a process with this id runs on this machine (where the test
/// processes run). Elsewhere than Linux only this process is known.
fn process_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        false
    }
}
