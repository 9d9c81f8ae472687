//! `lockgate plugin run`: one sync of a connector against a tenant in a
//! sandbox file, recorded there, and the summary every run prints; the
//! sync and its summary are shared with `plugin dev`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use lockgate::bindings::Trigger;
use lockgate::installs::CheckedConfig;
use lockgate::policy::{Limits, OperatorPolicy};
use lockgate::runtime::Runtime;
use lockgate::store::{InstallRecord, Store};
use lockgate::sync::{RunRequest, RunSummary, run_sync, run_sync_by};
use lockgate::time::Clock;
use lockgate::vocabulary::{InstallStatus, RowStatus, RunStatus};

use super::{DbArgs, ensure_sandbox, open_store, parse_config, read_plugin, runtime_config};

#[derive(Args)]
pub struct RunArgs {
    file: PathBuf,
    /// Seed a sandbox tenant first if the tenant does not exist yet.
    #[arg(long)]
    sandbox: bool,
    #[command(flatten)]
    sync: SyncArgs,
    /// Rows to print (all are stored).
    #[arg(long, default_value_t = 50)]
    rows: usize,
    #[arg(long)]
    json: bool,
}

/// Where and how one sync runs: what `plugin run` and `plugin dev` share.
#[derive(Args)]
pub struct SyncArgs {
    /// The seed of a sandbox tenant made for the run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The employees of a sandbox tenant made for the run.
    #[arg(long, default_value_t = 200)]
    employees: usize,
    #[command(flatten)]
    pub db: DbArgs,
    /// A configuration value, KEY=VALUE; repeat for more. Secret fields are
    /// used for this run only and never stored.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Allow plain HTTP and private addresses for HOST:PORT (local partners).
    #[arg(long = "allow-http", value_name = "HOST:PORT")]
    allow_http: Vec<String>,
    #[arg(long, value_enum, default_value = "manual")]
    trigger: TriggerArg,
    /// Deadline of the run in seconds.
    #[arg(long, default_value_t = 30)]
    deadline: u64,
    /// Memory cap in MiB; a manifest's `memory-mb` raises it up to
    /// max(256, this).
    #[arg(long, default_value_t = 64)]
    memory: u64,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TriggerArg {
    Manual,
    Scheduled,
    Initial,
}

/// A recorded run, and how far the sandbox clock it ran by was ahead.
pub struct Synced {
    pub summary: RunSummary,
    pub clock_ahead: Option<time::Duration>,
}

impl Synced {
    pub fn failed(&self) -> bool {
        self.summary.run.status == RunStatus::Failed
    }
}

pub async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_plugin(&args.file)?;
    let synced = sync_once(&bytes, &args.sync, args.sandbox).await?;
    print_run(&synced, args.json, args.rows)?;
    Ok(if synced.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// One sync of the connector in `bytes` against the tenant of `args`,
/// recorded there; a missing tenant is seeded when `seed_missing`. A
/// sandbox tenant whose clock was moved runs by its clock.
pub async fn sync_once(
    bytes: &[u8],
    args: &SyncArgs,
    seed_missing: bool,
) -> anyhow::Result<Synced> {
    let defaults = Limits::default();
    let max_memory_bytes = defaults.max_memory_bytes.max(args.memory << 20);
    let runtime = Runtime::new(lockgate::runtime::RuntimeConfig {
        max_memory_bytes,
        ..runtime_config()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let plugin = runtime.load(bytes)?;
    let store = open_store(&args.db.db).await?;
    let tenant = &args.db.tenant;
    if seed_missing {
        ensure_sandbox(&store, tenant, args.employees, args.seed).await?;
    } else if !store.tenant_exists(tenant).await? {
        bail!(
            "tenant {tenant:?} does not exist in {}; add --sandbox to create one",
            args.db.db.display()
        );
    }
    let CheckedConfig {
        public: config,
        secrets,
    } = check_config(&plugin.manifest, &args.config)?;
    let mut operator = OperatorPolicy::default();
    for host in &args.allow_http {
        operator
            .allow(host)
            .map_err(|e| anyhow::anyhow!("--allow-http {e}"))?;
    }
    let install = upsert_install(&store, tenant, &plugin, config).await?;
    let limits = Limits {
        deadline: std::time::Duration::from_secs(args.deadline),
        memory_bytes: args.memory << 20,
        max_memory_bytes,
        ..defaults
    };
    let trigger = match args.trigger {
        TriggerArg::Manual => Trigger::Manual,
        TriggerArg::Scheduled => Trigger::Scheduled,
        TriggerArg::Initial => Trigger::Initial,
    };
    let request = RunRequest {
        store: &store,
        plugin: &plugin,
        install: &install,
        secrets: &secrets,
        sign_in_key: None,
        operator,
        limits,
        trigger,
    };
    let clock_ahead = store.sandbox_clock_ahead(tenant).await?;
    let summary = match clock_ahead {
        Some(by) => run_sync_by(&runtime, request, &Clock::ahead(by)).await?,
        None => run_sync(&runtime, request).await?,
    };
    Ok(Synced {
        summary,
        clock_ahead,
    })
}

/// The run's summary (and the sandbox clock, when it was moved).
pub fn print_run(synced: &Synced, json: bool, max_rows: usize) -> anyhow::Result<()> {
    if let Some(ahead) = synced.clock_ahead
        && !json
    {
        println!(
            "clock:    {} by the sandbox clock ({})",
            Clock::ahead(ahead).now_text(),
            super::sandbox::clock::relation(Some(ahead))
        );
    }
    print_summary(&synced.summary, json, max_rows)
}

/// The CLI keeps one install per tenant and connector, so runs share state.
pub async fn upsert_install(
    store: &Store,
    tenant: &str,
    plugin: &lockgate::runtime::Plugin,
    config: BTreeMap<String, String>,
) -> anyhow::Result<InstallRecord> {
    let record = InstallRecord {
        id: format!("{tenant}-{}", plugin.manifest.id),
        tenant_id: tenant.to_string(),
        connector_id: plugin.manifest.id.clone(),
        plugin_version: plugin.manifest.version.clone(),
        plugin_sha256: plugin.sha256.clone(),
        config,
        status: InstallStatus::Connected,
        ..Default::default()
    };
    store.put_install(&record).await?;
    Ok(record)
}

pub fn print_summary(summary: &RunSummary, json: bool, max_rows: usize) -> anyhow::Result<()> {
    if json {
        let mut value = serde_json::to_value(summary)?;
        value["status_label"] = summary.status_label().into();
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    let run = &summary.run;
    println!(
        "run {}  {} {}  trigger {}",
        run.id, run.connector_id, run.plugin_version, run.trigger
    );
    println!("status:   {}", summary.status_label());
    if let Some(reason) = &run.failure_reason {
        println!("reason:   {reason}");
    }
    println!(
        "duration: {} ms   requests: {}   peak memory: {}",
        run.duration_ms.unwrap_or(0),
        run.requests,
        Limits::human_bytes(run.peak_memory as u64)
    );
    println!(
        "{:<12} {:>8} {:>8} {:>8}",
        "operation", "success", "failed", "skipped"
    );
    for (op, by_status) in &summary.counts {
        let n = |s: RowStatus| by_status.get(&s).copied().unwrap_or(0);
        println!(
            "{:<12} {:>8} {:>8} {:>8}",
            op.as_str(),
            n(RowStatus::Success),
            n(RowStatus::Failed),
            n(RowStatus::Skipped)
        );
    }
    if !summary.log.is_empty() {
        println!("log:");
        for line in summary.log.iter().take(20) {
            println!("  {:<5} {}", line.level, line.message);
        }
    }
    if !summary.denials.is_empty() {
        println!("denied:");
        for denial in &summary.denials {
            println!("  {denial}");
        }
        if summary.denials_more > 0 {
            println!("  … and {} more", summary.denials_more);
        }
    }
    let total = summary.total_rows;
    println!("rows ({} of {total}):", summary.rows.len().min(max_rows));
    for r in summary.rows.iter().take(max_rows) {
        println!(
            "  {}  {:<10} {:<11} {:<8} {:>4}  {}",
            r.recorded_at,
            r.employee_id.as_deref().unwrap_or("-"),
            r.operation.as_str(),
            r.status.as_str(),
            r.partner_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.message
        );
    }
    Ok(())
}

/// Checks `--config` pairs as the API checks an install's configuration
/// (one schema check for both), listing every problem on a line of its own.
fn check_config(
    manifest: &lockgate_manifest::Manifest,
    pairs: &[String],
) -> anyhow::Result<CheckedConfig> {
    let input = parse_config(pairs)?
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    lockgate::installs::check_config(manifest, &input, &CheckedConfig::default()).map_err(
        |problems| {
            let lines: Vec<_> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect();
            anyhow::anyhow!(
                "the configuration does not fit the connector:\n  {}",
                lines.join("\n  ")
            )
        },
    )
}
