//! `lockgate serve` settings: an optional TOML file, layered under
//! `LOCKGATE_*` environment variables, layered under command-line flags.
//! Unknown keys, in the file or the environment, are errors, so a typo never
//! silently falls back to a default.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings as written, every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawConfig {
    /// Address the API listens on.
    pub listen: Option<String>,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: Option<String>,
    /// Where this host caches compiled connector code (default
    /// `~/.cache/lockgate/artifacts`).
    pub cache_dir: Option<PathBuf>,
    /// This host's own folder (default `.lockgate`): copies of connector
    /// files (the database holds them all) and, without `secret-key`, the
    /// key file.
    pub data_dir: Option<PathBuf>,
    /// `HOST:PORT` pairs connectors may reach over plain HTTP and at private
    /// addresses (local partners only).
    pub allow_http: Option<Vec<String>>,
    /// 64 hex characters sealing install secrets at rest; when unset, a
    /// key file is created in the data directory on first start.
    pub secret_key: Option<SecretText>,
    /// Jobs this process runs at once (default 2).
    pub workers: Option<usize>,
    /// Seconds a job's lease lasts without renewal; a stopped host's job
    /// is picked up again after it (default 60).
    pub lease_seconds: Option<u64>,
    /// Seconds runs in flight get to finish when the host is told to stop
    /// (SIGTERM, Ctrl-C); the jobs of those still running are then handed
    /// back to the queue for another host (default 30).
    pub shutdown_grace_seconds: Option<u64>,
    /// Monitoring rows one run may report (default 250000).
    pub max_outcome_rows: Option<u64>,
    /// Bytes of row messages and partner bodies one run may store; past
    /// it rows keep their status but lose their texts, with a marker line
    /// in the log (default 33554432, 32 MiB).
    pub max_row_bytes: Option<u64>,
    /// Bytes of log one run may store, stdout and stderr included; past it
    /// lines are dropped with a marker line (default 1048576, 1 MiB).
    pub max_log_bytes: Option<u64>,
    /// MiB of linear memory a connector gets unless its manifest asks for
    /// more (default 64).
    pub memory_mb: Option<u64>,
    /// The most a connector's manifest may ask for, in MiB; a connector
    /// asking for more is refused (default 256).
    pub max_memory_mb: Option<u64>,
    /// Days a partner's sandbox tenant lasts (default 90).
    pub sandbox_days: Option<u32>,
    /// `HOST:PORT` pairs of partners' test APIs reachable over plain HTTP
    /// and at private addresses, by the sandbox of the partner that
    /// declared one and by the review of a submission naming one.
    pub partner_allow_http: Option<Vec<String>>,
}

/// A setting that must not show up in logs or debug output.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(redacted)")
    }
}

/// Validated settings with defaults applied.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub cache_dir: Option<PathBuf>,
    pub data_dir: PathBuf,
    pub allow_http: Vec<String>,
    pub secret_key: Option<SecretText>,
    pub workers: usize,
    pub lease_seconds: u64,
    pub shutdown_grace_seconds: u64,
    /// Per-run limits: the defaults with the row and log settings applied.
    pub limits: crate::policy::Limits,
    /// The partner programme: sandbox days and the test APIs allowed over
    /// plain HTTP.
    pub partners: crate::policy::PartnerPolicy,
}

/// Environment variables this program reads besides the settings.
const OTHER_VARS: &[&str] = &["LOCKGATE_LOG"];

/// Every setting: its key in the settings file and its environment
/// variable (`lockgate serve` also takes each as a flag, `--key`, except
/// `secret-key`, which would show in the process list). The README's
/// settings table is checked against these, `serve --help` and the file
/// and environment readers (`tests/readme.rs`).
pub const SETTINGS: &[(&str, &str)] = &[
    ("listen", "LOCKGATE_LISTEN"),
    ("database-url", "LOCKGATE_DATABASE_URL"),
    ("data-dir", "LOCKGATE_DATA_DIR"),
    ("cache-dir", "LOCKGATE_CACHE_DIR"),
    ("allow-http", "LOCKGATE_ALLOW_HTTP"),
    ("secret-key", "LOCKGATE_SECRET_KEY"),
    ("workers", "LOCKGATE_WORKERS"),
    ("lease-seconds", "LOCKGATE_LEASE_SECONDS"),
    ("shutdown-grace-seconds", "LOCKGATE_SHUTDOWN_GRACE_SECONDS"),
    ("max-outcome-rows", "LOCKGATE_MAX_OUTCOME_ROWS"),
    ("max-row-bytes", "LOCKGATE_MAX_ROW_BYTES"),
    ("max-log-bytes", "LOCKGATE_MAX_LOG_BYTES"),
    ("memory-mb", "LOCKGATE_MEMORY_MB"),
    ("max-memory-mb", "LOCKGATE_MAX_MEMORY_MB"),
    ("sandbox-days", "LOCKGATE_SANDBOX_DAYS"),
    ("partner-allow-http", "LOCKGATE_PARTNER_ALLOW_HTTP"),
];

/// The settings without a `serve` flag.
pub const NO_FLAG: &[&str] = &["secret-key"];

fn known_vars() -> String {
    SETTINGS
        .iter()
        .map(|(_, var)| *var)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Bounds of the per-run monitoring settings: (setting, least, most).
const MAX_OUTCOME_ROWS: (&str, u64, u64) = ("max-outcome-rows", 1, 10_000_000);
const MAX_ROW_BYTES: (&str, u64, u64) = ("max-row-bytes", 64 << 10, 16 << 30);
const MAX_LOG_BYTES: (&str, u64, u64) = ("max-log-bytes", 16 << 10, 256 << 20);
const MEMORY_MB: (&str, u64, u64) = ("memory-mb", 16, 4096);
const MAX_MEMORY_MB: (&str, u64, u64) = ("max-memory-mb", 16, 4096);

/// The longest a partner's sandbox tenant may be set to last: ten years.
const MAX_SANDBOX_DAYS: u32 = 3650;

/// A comma-separated list of `HOST:PORT`, as the environment gives it.
fn host_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn whole_number(key: &str, value: &str) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::Invalid(format!("{key} must be a whole number, not {value:?}")))
}

fn within(value: Option<u64>, default: u64, bounds: (&str, u64, u64)) -> Result<u64, ConfigError> {
    let (name, least, most) = bounds;
    let value = value.unwrap_or(default);
    if !(least..=most).contains(&value) {
        return Err(ConfigError::Invalid(format!(
            "{name} must be between {least} and {most}, not {value}"
        )));
    }
    Ok(value)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl RawConfig {
    pub fn from_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })
    }

    /// Reads `LOCKGATE_*` variables from `vars`; an unknown one is an error.
    pub fn from_env(vars: &BTreeMap<String, String>) -> Result<RawConfig, ConfigError> {
        let mut raw = RawConfig::default();
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("LOCKGATE_") else {
                continue;
            };
            match name {
                "LISTEN" => raw.listen = Some(value.clone()),
                "DATABASE_URL" => raw.database_url = Some(value.clone()),
                "CACHE_DIR" => raw.cache_dir = Some(PathBuf::from(value)),
                "DATA_DIR" => raw.data_dir = Some(PathBuf::from(value)),
                "ALLOW_HTTP" => raw.allow_http = Some(host_list(value)),
                "PARTNER_ALLOW_HTTP" => raw.partner_allow_http = Some(host_list(value)),
                "SANDBOX_DAYS" => {
                    raw.sandbox_days = Some(value.trim().parse().map_err(|_| {
                        ConfigError::Invalid(format!("{key} must be a whole number, not {value:?}"))
                    })?)
                }
                "SECRET_KEY" => raw.secret_key = Some(SecretText(value.clone())),
                "WORKERS" => {
                    raw.workers = Some(value.trim().parse().map_err(|_| {
                        ConfigError::Invalid(format!("{key} must be a whole number, not {value:?}"))
                    })?)
                }
                "LEASE_SECONDS" => {
                    raw.lease_seconds = Some(value.trim().parse().map_err(|_| {
                        ConfigError::Invalid(format!("{key} must be a whole number, not {value:?}"))
                    })?)
                }
                "SHUTDOWN_GRACE_SECONDS" => {
                    raw.shutdown_grace_seconds = Some(whole_number(key, value)?)
                }
                "MAX_OUTCOME_ROWS" => raw.max_outcome_rows = Some(whole_number(key, value)?),
                "MAX_ROW_BYTES" => raw.max_row_bytes = Some(whole_number(key, value)?),
                "MAX_LOG_BYTES" => raw.max_log_bytes = Some(whole_number(key, value)?),
                "MEMORY_MB" => raw.memory_mb = Some(whole_number(key, value)?),
                "MAX_MEMORY_MB" => raw.max_memory_mb = Some(whole_number(key, value)?),
                _ if OTHER_VARS.contains(&key.as_str()) => {}
                // The test suite's own switches (LOCKGATE_TEST_POSTGRES_URL, …).
                _ if name.starts_with("TEST_") => {}
                _ => {
                    return Err(ConfigError::Invalid(format!(
                        "unknown setting {key}; known: {}",
                        known_vars()
                    )));
                }
            }
        }
        Ok(raw)
    }

    /// `self` with every value `over` sets replacing it.
    pub fn overlay(self, over: RawConfig) -> RawConfig {
        RawConfig {
            listen: over.listen.or(self.listen),
            database_url: over.database_url.or(self.database_url),
            cache_dir: over.cache_dir.or(self.cache_dir),
            data_dir: over.data_dir.or(self.data_dir),
            allow_http: over.allow_http.or(self.allow_http),
            secret_key: over.secret_key.or(self.secret_key),
            workers: over.workers.or(self.workers),
            lease_seconds: over.lease_seconds.or(self.lease_seconds),
            shutdown_grace_seconds: over.shutdown_grace_seconds.or(self.shutdown_grace_seconds),
            max_outcome_rows: over.max_outcome_rows.or(self.max_outcome_rows),
            max_row_bytes: over.max_row_bytes.or(self.max_row_bytes),
            max_log_bytes: over.max_log_bytes.or(self.max_log_bytes),
            memory_mb: over.memory_mb.or(self.memory_mb),
            max_memory_mb: over.max_memory_mb.or(self.max_memory_mb),
            sandbox_days: over.sandbox_days.or(self.sandbox_days),
            partner_allow_http: over.partner_allow_http.or(self.partner_allow_http),
        }
    }

    pub fn validate(self) -> Result<ServeConfig, ConfigError> {
        let listen = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "listen {listen:?} is not an address like 127.0.0.1:8080"
            ))
        })?;
        let database_url = self
            .database_url
            .unwrap_or_else(|| "sqlite://.lockgate/lockgate.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(format!(
                "database-url must start with sqlite: or postgres://, not {:?}",
                database_url.split(':').next().unwrap_or("")
            )));
        }
        let allow_http = self.allow_http.unwrap_or_default();
        let mut check = crate::policy::OperatorPolicy::default();
        for host in &allow_http {
            check
                .allow(host)
                .map_err(|e| ConfigError::Invalid(format!("allow-http {e}")))?;
        }
        let mut partners = crate::policy::PartnerPolicy::default();
        for host in self.partner_allow_http.as_deref().unwrap_or_default() {
            partners
                .allow(host)
                .map_err(|e| ConfigError::Invalid(format!("partner-allow-http {e}")))?;
        }
        partners.sandbox_days = self.sandbox_days.unwrap_or(crate::policy::SANDBOX_DAYS);
        if !(1..=MAX_SANDBOX_DAYS).contains(&partners.sandbox_days) {
            return Err(ConfigError::Invalid(format!(
                "sandbox-days must be between 1 and {MAX_SANDBOX_DAYS}, not {}",
                partners.sandbox_days
            )));
        }
        if let Some(key) = &self.secret_key {
            crate::secrets::SecretBox::from_hex(&key.0)
                .map_err(|e| ConfigError::Invalid(format!("secret-key: {e}")))?;
        }
        let workers = self.workers.unwrap_or(2);
        if !(1..=64).contains(&workers) {
            return Err(ConfigError::Invalid(format!(
                "workers must be between 1 and 64, not {workers}"
            )));
        }
        let lease_seconds = self.lease_seconds.unwrap_or(60);
        if !(2..=3600).contains(&lease_seconds) {
            return Err(ConfigError::Invalid(format!(
                "lease-seconds must be between 2 and 3600, not {lease_seconds}"
            )));
        }
        let shutdown_grace_seconds = self.shutdown_grace_seconds.unwrap_or(30);
        if shutdown_grace_seconds > 3600 {
            return Err(ConfigError::Invalid(format!(
                "shutdown-grace-seconds must be at most 3600, not {shutdown_grace_seconds}"
            )));
        }
        let defaults = crate::policy::Limits::default();
        let limits = crate::policy::Limits {
            max_outcome_rows: within(
                self.max_outcome_rows,
                defaults.max_outcome_rows,
                MAX_OUTCOME_ROWS,
            )?,
            max_row_bytes: within(self.max_row_bytes, defaults.max_row_bytes, MAX_ROW_BYTES)?,
            max_log_bytes: within(
                self.max_log_bytes,
                defaults.max_log_bytes as u64,
                MAX_LOG_BYTES,
            )? as usize,
            memory_bytes: within(self.memory_mb, defaults.memory_bytes >> 20, MEMORY_MB)? << 20,
            max_memory_bytes: within(
                self.max_memory_mb,
                defaults.max_memory_bytes >> 20,
                MAX_MEMORY_MB,
            )? << 20,
            ..defaults
        };
        if limits.memory_bytes > limits.max_memory_bytes {
            return Err(ConfigError::Invalid(format!(
                "memory-mb ({}) must not be more than max-memory-mb ({})",
                limits.memory_bytes >> 20,
                limits.max_memory_bytes >> 20
            )));
        }
        Ok(ServeConfig {
            listen,
            database_url,
            cache_dir: self.cache_dir,
            data_dir: self.data_dir.unwrap_or_else(|| PathBuf::from(".lockgate")),
            allow_http,
            secret_key: self.secret_key,
            workers,
            lease_seconds,
            shutdown_grace_seconds,
            limits,
            partners,
        })
    }
}

/// File, then environment, then flags; each layer wins over the one before.
pub fn load(
    file: Option<&Path>,
    env: &BTreeMap<String, String>,
    flags: RawConfig,
) -> Result<ServeConfig, ConfigError> {
    let base = match file {
        Some(path) => RawConfig::from_file(path)?,
        None => RawConfig::default(),
    };
    base.overlay(RawConfig::from_env(env)?)
        .overlay(flags)
        .validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn layers_and_defaults() {
        let dir = std::env::temp_dir().join(format!("lockgate-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("lockgate.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndatabase-url = \"sqlite://file.db\"\n",
        )
        .unwrap();
        let config = load(
            Some(&file),
            &env(&[
                ("LOCKGATE_DATABASE_URL", "postgres://db/lockgate"),
                ("PATH", "/bin"),
            ]),
            RawConfig::default(),
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.database_url, "postgres://db/lockgate");
        let defaults = load(None, &env(&[]), RawConfig::default()).unwrap();
        assert_eq!(defaults.database_url, "sqlite://.lockgate/lockgate.db");
        assert_eq!(defaults.limits.max_row_bytes, 32 << 20);
        assert_eq!(defaults.limits.max_log_bytes, 1 << 20);
        assert_eq!(defaults.limits.max_outcome_rows, 250_000);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn row_and_log_limits_are_settings() {
        let file: RawConfig =
            toml::from_str("max-row-bytes = 1048576\nmax-log-bytes = 65536").unwrap();
        let config = file
            .overlay(RawConfig::from_env(&env(&[("LOCKGATE_MAX_OUTCOME_ROWS", "5000")])).unwrap())
            .overlay(RawConfig {
                max_log_bytes: Some(131072),
                ..RawConfig::default()
            })
            .validate()
            .unwrap();
        assert_eq!(config.limits.max_row_bytes, 1 << 20);
        assert_eq!(config.limits.max_outcome_rows, 5000);
        assert_eq!(config.limits.max_log_bytes, 128 << 10);
        let memory = load(
            None,
            &env(&[
                ("LOCKGATE_MEMORY_MB", "96"),
                ("LOCKGATE_MAX_MEMORY_MB", "1024"),
            ]),
            RawConfig::default(),
        )
        .unwrap();
        assert_eq!(
            (memory.limits.memory_bytes, memory.limits.max_memory_bytes),
            (96 << 20, 1024 << 20)
        );
        for (key, value, expected) in [
            (
                "LOCKGATE_MAX_ROW_BYTES",
                "12",
                "max-row-bytes must be between 65536",
            ),
            ("LOCKGATE_MAX_LOG_BYTES", "lots", "must be a whole number"),
            (
                "LOCKGATE_MAX_OUTCOME_ROWS",
                "0",
                "max-outcome-rows must be between 1",
            ),
            ("LOCKGATE_MEMORY_MB", "8", "memory-mb must be between 16"),
            (
                "LOCKGATE_MEMORY_MB",
                "512",
                "memory-mb (512) must not be more than max-memory-mb (256)",
            ),
        ] {
            let err = load(None, &env(&[(key, value)]), RawConfig::default()).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    /// `SETTINGS` names every key the file takes (serde lists them when
    /// refusing an unknown one), and the environment takes each variable.
    #[test]
    fn the_settings_list_is_complete() {
        let err = toml::from_str::<RawConfig>("no-such-setting = 1").unwrap_err();
        let message = err.message();
        let listed = message.split("expected one of").nth(1).unwrap_or("");
        let keys: Vec<&str> = listed
            .split(',')
            .map(|k| k.trim().trim_matches('`'))
            .collect();
        let mut expected: Vec<&str> = SETTINGS.iter().map(|(k, _)| *k).collect();
        let mut found = keys.clone();
        expected.sort();
        found.sort();
        assert_eq!(found, expected, "{message}");
        for (key, var) in SETTINGS {
            assert_eq!(
                *var,
                format!("LOCKGATE_{}", key.to_uppercase().replace('-', "_"))
            );
            if let Err(e) = RawConfig::from_env(&env(&[(var, "x")])) {
                assert!(!e.to_string().contains("unknown setting"), "{var}: {e}");
            }
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        let err = RawConfig::from_env(&env(&[("LOCKGATE_LISTN", "x")])).unwrap_err();
        assert!(
            err.to_string().contains("unknown setting LOCKGATE_LISTN"),
            "{err}"
        );
        let err = toml::from_str::<RawConfig>("colour = 1").unwrap_err();
        assert!(err.message().contains("colour"), "{err}");
        let err = load(
            None,
            &env(&[("LOCKGATE_LISTEN", "everywhere")]),
            RawConfig::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("not an address"), "{err}");
    }
}
