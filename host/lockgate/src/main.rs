//! The `lockgate` command: inspect and run connectors against a sandbox
//! tenant, seed sandboxes, and run the demo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use lockgate::bindings::Trigger;
use lockgate::policy::{Limits, OperatorPolicy};
use lockgate::runtime::{Runtime, RuntimeConfig};
use lockgate::store::{InstallRecord, Store};
use lockgate::sync::{RunRequest, RunSummary, run_sync};

#[derive(Parser)]
#[command(name = "lockgate", version, about = "The Lockgate integration host")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with connector files.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Synthetic tenants for trying connectors.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Seed a sandbox, run the bundled planner export against a built-in
    /// demo planner, and show the result.
    Demo(DemoArgs),
    /// Run the API server.
    Serve(ServeArgs),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Args)]
struct SettingsArgs {
    /// A TOML settings file (keys: listen, database-url, cache-dir,
    /// data-dir, allow-http); LOCKGATE_* variables override it, flags override both.
    #[arg(long)]
    config: Option<PathBuf>,
    /// `sqlite://path` (default `sqlite://.lockgate/lockgate.db`) or `postgres://…`.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
    /// Let connectors use plain HTTP and private addresses for HOST:PORT.
    #[arg(long = "allow-http", value_name = "HOST:PORT")]
    allow_http: Vec<String>,
    /// Set the host up for a first look: the bundled connectors listed, a
    /// sandbox tenant `demo` connected to a built-in demo planner, and a
    /// token per role printed.
    #[arg(long)]
    demo: bool,
    /// Jobs run at once (default 2).
    #[arg(long)]
    workers: Option<usize>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (it is shown only this once).
    Create(TokenArgs),
}

#[derive(Args)]
struct TokenArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    #[arg(long, value_parser = ["operator", "partner", "tenant-admin"])]
    role: String,
    /// The partner a partner token acts for.
    #[arg(long)]
    partner: Option<String>,
    /// The tenant a tenant-admin token acts for.
    #[arg(long)]
    tenant: Option<String>,
    /// A tenant admin without the right to manage marketplace integrations.
    #[arg(long)]
    no_marketplace_right: bool,
    /// A note on who holds the token.
    #[arg(long, default_value = "")]
    label: String,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Show a connector's manifest, imports, exports, size and digest, and
    /// every reason the host would refuse it.
    Inspect {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Run a connector's sync against a tenant and record the run.
    Run(RunArgs),
    /// The automated quality review: static checks, self-service
    /// activation, filter options, a live transfer example, behaviour under
    /// limits and the version upgrade, each pass / warn / fail.
    Vet(VetArgs),
}

#[derive(Args)]
struct VetArgs {
    file: PathBuf,
    /// A configuration value for the partner's sandbox, KEY=VALUE; repeat
    /// for more (credentials too: they are only sent as the declared header).
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// The partner's sandbox API; every request the connector makes to a
    /// granted host is forwarded there and recorded. Without it a recorder
    /// answers `200 {}` and the checks that need a partner warn.
    #[arg(long, value_name = "URL")]
    partner_url: Option<String>,
    /// The previous version's .wasm, to check the upgrade keeps configurations valid.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SandboxCommand {
    /// Create a synthetic tenant (deterministic per seed).
    Seed(SeedArgs),
}

#[derive(Args)]
struct DbArgs {
    /// SQLite file (created if missing).
    #[arg(long, default_value = ".lockgate/sandbox.db")]
    db: PathBuf,
    /// Tenant id.
    #[arg(long, default_value = "sandbox")]
    tenant: String,
}

#[derive(Args)]
struct SeedArgs {
    #[command(flatten)]
    db: DbArgs,
    #[arg(long, default_value_t = 200)]
    employees: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct RunArgs {
    file: PathBuf,
    /// Seed a sandbox tenant first if the tenant does not exist yet.
    #[arg(long)]
    sandbox: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 200)]
    employees: usize,
    #[command(flatten)]
    db: DbArgs,
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
    /// Memory cap in MiB.
    #[arg(long, default_value_t = 64)]
    memory: u64,
    /// Rows to print (all are stored).
    #[arg(long, default_value_t = 50)]
    rows: usize,
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TriggerArg {
    Manual,
    Scheduled,
    Initial,
}

#[derive(Args)]
struct DemoArgs {
    #[arg(long, default_value_t = 200)]
    employees: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOCKGATE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Plugin(PluginCommand::Inspect { file, json }) => inspect(&file, json),
        Command::Plugin(PluginCommand::Run(args)) => run(args).await,
        Command::Plugin(PluginCommand::Vet(args)) => vet(args).await,
        Command::Sandbox(SandboxCommand::Seed(args)) => seed(args).await,
        Command::Demo(args) => demo(args).await,
        Command::Serve(args) => serve(args).await,
        Command::Token(TokenCommand::Create(args)) => token_create(args).await,
    }
}

fn read_plugin(file: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn inspect(file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let bytes = read_plugin(file)?;
    let report = lockgate_manifest::inspect(&bytes);
    if json {
        let mut value = serde_json::to_value(&report)?;
        value["acceptable"] = report.is_acceptable().into();
        value["problems_text"] = report
            .problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("file:    {}", file.display());
        println!("size:    {} bytes", report.size);
        println!("sha256:  {}", report.sha256);
        if let Some(m) = &report.manifest {
            println!("id:      {} {} by {}", m.id, m.version, m.publisher);
            for (lang, name) in &m.name {
                println!("name:    [{lang}] {name}");
            }
            println!("direction: {:?}", m.direction);
            println!("categories: {}", m.categories.join(", "));
            if let Some(s) = &m.triggers.schedule {
                println!("schedule: {s}");
            }
            println!("scopes:");
            for s in &m.scopes {
                println!("  {:<24} {}", s.as_str(), s.describe());
            }
            if let Some(w) = m.absence_window {
                println!(
                    "absence window: {} days back, {} days ahead",
                    w.past_days, w.future_days
                );
            }
            println!("hosts:   {}", m.hosts.join(", "));
            println!("config:");
            for f in &m.config {
                let mut flags = vec![f.kind.as_str().to_string()];
                if f.required {
                    flags.push("required".into());
                }
                if f.secret {
                    flags.push("secret".into());
                }
                if let Some(d) = &f.default {
                    flags.push(format!("default {d}"));
                }
                if let Some(inject) = &f.inject {
                    flags.push(format!("sent as {} to {}", inject.header, inject.host));
                }
                println!(
                    "  {:<20} {} ({})",
                    f.key,
                    lockgate_manifest::manifest::localized(&f.label, "en"),
                    flags.join(", ")
                );
            }
            if let Some(o) = &m.oauth2 {
                println!(
                    "oauth2:  client credentials ({} / {}) at {}; the host sends the token to {}",
                    o.client_id, o.client_secret, o.token_url, o.host
                );
            }
        }
        println!("imports:");
        for i in &report.imports {
            println!("  {i}");
        }
        println!("exports: {}", report.exports.join(", "));
        if report.is_acceptable() {
            println!("verdict: acceptable");
        } else {
            println!("verdict: refused, {} problem(s):", report.problems.len());
            for p in &report.problems {
                println!("  - {p}");
            }
        }
    }
    Ok(if report.is_acceptable() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn open_store(db: &Path) -> anyhow::Result<Store> {
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Store::open_sqlite(db)
        .await
        .with_context(|| format!("cannot open {}", db.display()))
}

async fn ensure_sandbox(
    store: &Store,
    tenant: &str,
    employees: usize,
    seed: u64,
) -> anyhow::Result<bool> {
    Ok(lockgate::sandbox::ensure_tenant(store, tenant, employees, seed).await?)
}

async fn seed(args: SeedArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(&args.db.db).await?;
    if store.tenant_exists(&args.db.tenant).await? {
        bail!(
            "tenant {:?} already exists in {}; pick another --tenant or --db",
            args.db.tenant,
            args.db.db.display()
        );
    }
    ensure_sandbox(&store, &args.db.tenant, args.employees, args.seed).await?;
    let employees = store.all_employees(&args.db.tenant).await?;
    let absences = store.all_absences(&args.db.tenant).await?;
    let exclusions = store.exclusions(&args.db.tenant).await?;
    let today = lockgate::time::date_text(lockgate::time::today());
    let future = employees.iter().filter(|e| e.hire_date > today).count();
    let left = employees
        .iter()
        .filter(|e| {
            e.termination_date
                .as_deref()
                .is_some_and(|t| t < today.as_str())
        })
        .count();
    let summary = serde_json::json!({
        "db": args.db.db,
        "tenant": args.db.tenant,
        "seed": args.seed,
        "employees": employees.len(),
        "future_hires": future,
        "past_leavers": left,
        "current": employees.len() - future - left,
        "absences": absences.len(),
        "exclusions": exclusions.len(),
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "seeded tenant {} in {}: {} employees ({} current, {} future hires, {} past leavers), {} absences, {} exclusions",
            args.db.tenant,
            args.db.db.display(),
            employees.len(),
            employees.len() - future - left,
            future,
            left,
            absences.len(),
            exclusions.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_config(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for pair in pairs {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("--config {pair:?}: expected KEY=VALUE");
        };
        out.insert(k.trim().to_string(), v.to_string());
    }
    Ok(out)
}

/// Checks values against the manifest's schema; splits off secrets.
fn check_config(
    manifest: &lockgate_manifest::Manifest,
    values: BTreeMap<String, String>,
) -> anyhow::Result<(BTreeMap<String, String>, BTreeMap<String, String>)> {
    let mut problems = Vec::new();
    let (mut plain, mut secrets) = (BTreeMap::new(), BTreeMap::new());
    for (key, value) in values {
        match manifest.field(&key) {
            None => problems.push(format!("{key}: the connector has no such field")),
            Some(field) => {
                if let Err(e) = lockgate_manifest::manifest::check_value(field, &value) {
                    problems.push(format!("{key}: {e}"));
                } else if field.secret {
                    secrets.insert(key, value);
                } else {
                    plain.insert(key, value);
                }
            }
        }
    }
    for field in manifest
        .config
        .iter()
        .filter(|f| f.required && f.default.is_none())
    {
        if !plain.contains_key(&field.key) && !secrets.contains_key(&field.key) {
            problems.push(format!(
                "{}: required, give --config {}=…",
                field.key, field.key
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "the configuration does not fit the connector:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok((plain, secrets))
}

fn runtime_config() -> RuntimeConfig {
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

async fn vet(args: VetArgs) -> anyhow::Result<ExitCode> {
    use lockgate::vet::{STEPS, Verdict, VetOptions};
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let previous = match &args.previous {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        None => None,
    };
    if let Some(url) = &args.partner_url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        bail!("--partner-url {url:?}: give an http:// or https:// address");
    }
    let runtime =
        std::sync::Arc::new(Runtime::new(runtime_config()).map_err(|e| anyhow::anyhow!("{e}"))?);
    let bar = indicatif::ProgressBar::new(STEPS);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |step: &str| {
        bar.set_message(step.to_string());
        bar.inc(1);
    };
    let report = lockgate::vet::vet(
        runtime,
        OperatorPolicy::default(),
        &bytes,
        VetOptions {
            config: parse_config(&args.config)?,
            partner_url: args.partner_url.clone(),
            previous,
        },
        &progress,
    )
    .await;
    bar.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} {}  sha256 {}",
            report.plugin.as_deref().unwrap_or("(no manifest)"),
            report.version.as_deref().unwrap_or(""),
            report.sha256
        );
        println!("partner: {}", report.partner);
        let mut section = "";
        for check in &report.checks {
            if check.section != section {
                section = check.section;
                println!("\n{section}");
            }
            let mark = match check.verdict {
                Verdict::Pass => "pass",
                Verdict::Warn => "WARN",
                Verdict::Fail => "FAIL",
            };
            println!("  {mark}  {}: {}", check.name, check.reason);
        }
        if !report.exchanges.is_empty() {
            println!(
                "\nlive transfer example ({} exchange(s)):",
                report.exchanges.len()
            );
            for e in report.exchanges.iter().take(10) {
                println!(
                    "  {} {} ({} bytes) -> {}  {}",
                    e.method,
                    e.url,
                    e.request_bytes,
                    e.response_status,
                    e.response_body.chars().take(80).collect::<String>()
                );
            }
        }
        let f = &report.figures;
        println!(
            "\nsize {} KiB, compile {} ms, peak memory {} KiB, first sync {} ms, {} request(s)",
            f.size / 1024,
            f.compile_ms,
            f.peak_memory / 1024,
            f.duration_ms,
            f.requests
        );
        println!("verdict: {}", report.verdict.as_str());
    }
    Ok(if report.verdict == Verdict::Fail {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_plugin(&args.file)?;
    let runtime = Runtime::new(runtime_config()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let plugin = runtime.load(&bytes)?;
    let store = open_store(&args.db.db).await?;
    let tenant = &args.db.tenant;
    if args.sandbox {
        ensure_sandbox(&store, tenant, args.employees, args.seed).await?;
    } else if !store.tenant_exists(tenant).await? {
        bail!(
            "tenant {tenant:?} does not exist in {}; add --sandbox to create one",
            args.db.db.display()
        );
    }
    let (config, secrets) = check_config(&plugin.manifest, parse_config(&args.config)?)?;
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
        ..Limits::default()
    };
    let trigger = match args.trigger {
        TriggerArg::Manual => Trigger::Manual,
        TriggerArg::Scheduled => Trigger::Scheduled,
        TriggerArg::Initial => Trigger::Initial,
    };
    let summary = run_sync(
        &runtime,
        RunRequest {
            store: &store,
            plugin: &plugin,
            install: &install,
            secrets: &secrets,
            operator,
            limits,
            trigger,
        },
    )
    .await?;
    print_summary(&summary, args.json, args.rows)?;
    Ok(if summary.run.status == lockgate::sync::FAILED {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The CLI keeps one install per tenant and connector, so runs share state.
async fn upsert_install(
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
        status: "connected".into(),
        ..Default::default()
    };
    store.put_install(&record).await?;
    Ok(record)
}

fn print_summary(summary: &RunSummary, json: bool, max_rows: usize) -> anyhow::Result<()> {
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
        let n = |s: &str| by_status.get(s).copied().unwrap_or(0);
        println!(
            "{:<12} {:>8} {:>8} {:>8}",
            op,
            n("success"),
            n("failed"),
            n("skipped")
        );
    }
    if !summary.log.is_empty() {
        println!("log:");
        for line in summary.log.iter().take(20) {
            println!("  {:<5} {}", line.level, line.message);
        }
    }
    let total = summary.total_rows;
    println!("rows ({} of {total}):", summary.rows.len().min(max_rows));
    for r in summary.rows.iter().take(max_rows) {
        println!(
            "  {}  {:<10} {:<11} {:<8} {:>4}  {}",
            r.recorded_at,
            r.employee_id.as_deref().unwrap_or("-"),
            r.operation,
            r.status,
            r.partner_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.message
        );
    }
    Ok(())
}

async fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let partner = lockgate::demo::DemoPlanner::start().await?;
    let dir = std::env::temp_dir().join(format!("lockgate-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("demo.db");
    let store = open_store(&db).await?;
    ensure_sandbox(&store, "demo", args.employees, args.seed).await?;
    println!(
        "seeded a sandbox tenant with {} employees (seed {}) in {}",
        args.employees,
        args.seed,
        db.display()
    );
    println!("demo planner listening on {}", partner.url());

    let runtime = Runtime::new(runtime_config()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let plugin = runtime.load(lockgate::demo::PLANNER_EXPORT)?;
    let config = BTreeMap::from([("planner-url".to_string(), partner.url())]);
    let secrets = BTreeMap::from([(
        "api-key".to_string(),
        lockgate::demo::DEMO_API_KEY.to_string(),
    )]);
    let install = upsert_install(&store, "demo", &plugin, config).await?;
    let mut operator = OperatorPolicy::default();
    operator
        .allow(&partner.authority())
        .map_err(|e| anyhow::anyhow!(e))?;

    for (title, trigger) in [
        ("first run", Trigger::Initial),
        ("second run (only changes)", Trigger::Manual),
    ] {
        println!("\n== {title} ==");
        let summary = run_sync(
            &runtime,
            RunRequest {
                store: &store,
                plugin: &plugin,
                install: &install,
                secrets: &secrets,
                operator: operator.clone(),
                limits: Limits::default(),
                trigger,
            },
        )
        .await?;
        print_summary(&summary, false, 10)?;
    }
    println!(
        "\nthe demo planner now holds {} employees",
        partner.resource_count()
    );
    Ok(ExitCode::SUCCESS)
}

fn settings(
    args: &SettingsArgs,
    flags: lockgate::config::RawConfig,
) -> anyhow::Result<lockgate::config::ServeConfig> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let flags = lockgate::config::RawConfig {
        database_url: args.database_url.clone(),
        ..flags
    };
    Ok(lockgate::config::load(args.config.as_deref(), &env, flags)?)
}

/// Opens the configured database, creating a SQLite file's folder if needed.
async fn open_database(url: &str) -> anyhow::Result<Store> {
    if let Some(path) = url.strip_prefix("sqlite://")
        && let Some(dir) = Path::new(path.split('?').next().unwrap_or(path)).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Store::open(url).await.context("cannot open the database")
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let flags = lockgate::config::RawConfig {
        listen: args.listen.clone(),
        allow_http: (!args.allow_http.is_empty()).then(|| args.allow_http.clone()),
        workers: args.workers,
        ..Default::default()
    };
    let config = settings(&args.settings, flags)?;
    let store = open_database(&config.database_url).await?;
    let mut operator = OperatorPolicy::default();
    for host in &config.allow_http {
        operator
            .allow(host)
            .map_err(|e| anyhow::anyhow!("allow-http {e}"))?;
    }
    let demo_planner = if args.demo {
        let planner = lockgate::demo::DemoPlanner::start().await?;
        operator
            .allow(&planner.authority())
            .map_err(|e| anyhow::anyhow!(e))?;
        Some(planner)
    } else {
        None
    };
    let secrets = match &config.secret_key {
        Some(key) => lockgate::secrets::SecretBox::from_hex(&key.0)?,
        None => {
            let path = config.data_dir.join("secret.key");
            let key = lockgate::secrets::SecretBox::load_or_create(&path)?;
            eprintln!(
                "install secrets are sealed with the key in {} (set secret-key or LOCKGATE_SECRET_KEY to manage it yourself)",
                path.display()
            );
            key
        }
    };
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: config
            .cache_dir
            .clone()
            .or_else(|| runtime_config().cache_dir),
        ..RuntimeConfig::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = lockgate::api::AppState::new(
        store,
        std::sync::Arc::new(runtime),
        operator,
        lockgate::artifacts::Artifacts::new(config.data_dir.join("artifacts")),
        secrets,
    );
    if let Some(planner) = &demo_planner {
        let access = lockgate::demo::bootstrap(&state, &planner.url(), 200, 1).await?;
        println!("demo planner listening on {}", planner.url());
        println!(
            "tenant `demo` (200 sandbox employees) has the planner export connected as {}",
            access.install_id
        );
        println!("tokens (new ones every start):");
        println!("  export OPERATOR={}", access.operator);
        println!("  export PARTNER={}", access.partner);
        println!("  export ADMIN={}", access.tenant_admin);
        println!("try:");
        println!(
            "  curl -s -H \"Authorization: Bearer $ADMIN\" {url}/api/v1/tenants/demo/installs"
        );
    }
    lockgate::worker::start(
        state.clone(),
        lockgate::worker::WorkerConfig {
            workers: config.workers,
            lease: std::time::Duration::from_secs(config.lease_seconds),
            ..Default::default()
        },
    );
    println!("lockgate listening on {url}");
    lockgate::api::serve(listener, state).await?;
    Ok(ExitCode::SUCCESS)
}

async fn token_create(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let config = settings(&args.settings, Default::default())?;
    let store = open_database(&config.database_url).await?;
    let role = lockgate::auth::Role::parse(&args.role).context("unknown role")?;
    let (token, principal) = lockgate::auth::create_token(
        &store,
        lockgate::auth::NewToken {
            role,
            partner_id: args.partner,
            tenant_id: args.tenant,
            marketplace_right: !args.no_marketplace_right,
            label: args.label,
        },
    )
    .await?;
    eprintln!(
        "created {} token {} (shown once; keep it safe)",
        principal.role.as_str(),
        principal.token_id
    );
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
