//! The commands of the `lockgate` binary, one module each, and the little
//! they share: reading a connector file, opening a sandbox store, the
//! serve settings, the runtime's artifact cache and `--config` pairs.

pub mod demo;
pub mod dev;
pub mod inspect;
pub mod manifest;
pub mod new;
pub mod run;
pub mod sandbox;
pub mod serve;
pub mod token;
pub mod vet;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use lockgate::app::BuildError;
use lockgate::config::{RawConfig, ServeConfig};
use lockgate::runtime::RuntimeConfig;
use lockgate::store::Store;

#[derive(Args)]
pub struct SettingsArgs {
    /// A TOML settings file (every key is listed under `lockgate serve
    /// --help`); LOCKGATE_* variables override it, flags override both.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// `sqlite://path` (default `sqlite://.lockgate/lockgate.db`) or `postgres://…`.
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(Args)]
pub struct DbArgs {
    /// SQLite file (created if missing).
    #[arg(long, default_value = ".lockgate/sandbox.db")]
    pub db: PathBuf,
    /// Tenant id.
    #[arg(long, default_value = "sandbox")]
    pub tenant: String,
}

pub fn read_plugin(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

/// Opens a sandbox SQLite file, creating its folder if needed.
pub async fn open_store(db: &Path) -> anyhow::Result<Store> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Store::open_sqlite(db)
        .await
        .with_context(|| format!("cannot open {}", db.display()))
}

pub async fn ensure_sandbox(
    store: &Store,
    tenant: &str,
    employees: usize,
    seed: u64,
) -> anyhow::Result<bool> {
    Ok(lockgate::sandbox::ensure_tenant(store, tenant, employees, seed).await?)
}

/// `--config KEY=VALUE` pairs; a later pair for the same key wins.
pub fn parse_config(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("--config {pair:?}: expected KEY=VALUE");
        };
        out.insert(k.trim().to_string(), v.to_string());
    }
    Ok(out)
}

/// The runtime with its compiled-artifact cache in `LOCKGATE_CACHE_DIR`,
/// else `~/.cache/lockgate/artifacts`.
pub fn runtime_config() -> RuntimeConfig {
    let cache_dir = std::env::var_os("LOCKGATE_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lockgate/artifacts"))
        });
    RuntimeConfig {
        cache_dir,
        ..RuntimeConfig::default()
    }
}

/// The serve settings: the file, then `LOCKGATE_*` variables, then `flags`.
pub fn settings(args: &SettingsArgs, flags: RawConfig) -> anyhow::Result<ServeConfig> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let flags = RawConfig {
        database_url: args.database_url.clone(),
        ..flags
    };
    Ok(lockgate::config::load(args.config.as_deref(), &env, flags)?)
}

/// A build error as one line per cause, without repeating a cause that the
/// error's own text already includes.
pub fn build_error(e: BuildError) -> anyhow::Error {
    match e {
        BuildError::Folder { path, source } => {
            anyhow::Error::new(source).context(format!("cannot create {path}"))
        }
        BuildError::Database(e) => anyhow::Error::new(e).context("cannot open the database"),
        BuildError::SecretKey(e) => anyhow::Error::new(e),
        BuildError::Runtime(reason) => anyhow::anyhow!(reason),
    }
}
