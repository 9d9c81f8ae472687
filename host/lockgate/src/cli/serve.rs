//! `lockgate serve`: the application built from the settings, the workers
//! started, the API served; with `--demo` also the demo planner, a `demo`
//! tenant and a token per role.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use lockgate::app::{App, AppConfig};
use lockgate::config::RawConfig;
use lockgate::policy::OperatorPolicy;
use lockgate::runtime::RuntimeConfig;

use super::{SettingsArgs, build_error, runtime_config, settings};

/// The settings under `serve --help`: every key, its variable and its flag.
fn settings_help() -> String {
    let mut out = String::from(
        "Settings: keys of the --config file, overridden by LOCKGATE_* variables, overridden by flags:\n",
    );
    for (key, var) in lockgate::config::SETTINGS {
        let flag = if lockgate::config::NO_FLAG.contains(key) {
            "(no flag: it would show in the process list)".to_string()
        } else {
            format!("--{key}")
        };
        out.push_str(&format!("  {key:<18}{var:<28}{flag}\n"));
    }
    out.push_str("An unknown key or LOCKGATE_* variable is an error.");
    out
}

#[derive(Args)]
#[command(after_help = settings_help())]
pub struct ServeArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    listen: Option<String>,
    /// This host's own folder: copies of connector files (the database
    /// holds them all) and, without secret-key, the key file (default
    /// .lockgate).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// Where this host caches compiled connector code (default
    /// ~/.cache/lockgate/artifacts).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<std::path::PathBuf>,
    /// Let connectors use plain HTTP and private addresses for HOST:PORT
    /// (repeat for more).
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
    /// Seconds a job's lease lasts without renewal; a stopped host's job
    /// is taken over after it (default 60).
    #[arg(long, value_name = "SECONDS")]
    lease_seconds: Option<u64>,
    /// Seconds runs in flight get to finish on SIGTERM or Ctrl-C before
    /// their jobs are handed to another host (default 30).
    #[arg(long, value_name = "SECONDS")]
    shutdown_grace_seconds: Option<u64>,
    /// Monitoring rows one run may report (default 250000).
    #[arg(long, value_name = "ROWS")]
    max_outcome_rows: Option<u64>,
    /// Bytes of row messages and partner bodies one run may store; past
    /// it rows keep their status without their texts (default 32 MiB).
    #[arg(long, value_name = "BYTES")]
    max_row_bytes: Option<u64>,
    /// Bytes of log one run may store (default 1 MiB).
    #[arg(long, value_name = "BYTES")]
    max_log_bytes: Option<u64>,
    /// MiB of memory a connector gets unless its manifest asks for more
    /// (default 64).
    #[arg(long, value_name = "MIB")]
    memory_mb: Option<u64>,
    /// The most memory a connector's manifest may ask for, in MiB
    /// (default 256).
    #[arg(long, value_name = "MIB")]
    max_memory_mb: Option<u64>,
    /// Days a partner's sandbox tenant lasts (default 90).
    #[arg(long, value_name = "DAYS")]
    sandbox_days: Option<u32>,
    /// Let partners' test APIs at HOST:PORT be reached over plain HTTP and
    /// at private addresses: by the sandbox of a partner that declared it,
    /// and by the review of a submission naming it (repeat for more).
    #[arg(long = "partner-allow-http", value_name = "HOST:PORT")]
    partner_allow_http: Vec<String>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let flags = RawConfig {
        listen: args.listen.clone(),
        data_dir: args.data_dir.clone(),
        cache_dir: args.cache_dir.clone(),
        allow_http: (!args.allow_http.is_empty()).then(|| args.allow_http.clone()),
        workers: args.workers,
        lease_seconds: args.lease_seconds,
        shutdown_grace_seconds: args.shutdown_grace_seconds,
        max_outcome_rows: args.max_outcome_rows,
        max_row_bytes: args.max_row_bytes,
        max_log_bytes: args.max_log_bytes,
        memory_mb: args.memory_mb,
        max_memory_mb: args.max_memory_mb,
        sandbox_days: args.sandbox_days,
        partner_allow_http: (!args.partner_allow_http.is_empty())
            .then(|| args.partner_allow_http.clone()),
        ..Default::default()
    };
    let config = settings(&args.settings, flags)?;
    let mut operator = OperatorPolicy {
        partners: config.partners.clone(),
        ..OperatorPolicy::default()
    };
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
    let mut app_config = AppConfig::new(config.database_url.clone(), config.data_dir.clone());
    app_config.secret_key = config.secret_key.as_ref().map(|key| key.0.clone());
    app_config.operator = operator;
    app_config.limits = config.limits.clone();
    app_config.runtime = RuntimeConfig {
        cache_dir: config
            .cache_dir
            .clone()
            .or_else(|| runtime_config().cache_dir),
        max_memory_bytes: config.limits.max_memory_bytes,
        ..RuntimeConfig::default()
    };
    let key_file = app_config
        .secret_key
        .is_none()
        .then(|| app_config.key_file());
    let app = App::build(app_config).await.map_err(build_error)?;
    if let Some(path) = key_file {
        eprintln!(
            "install secrets are sealed with the key in {} (set secret-key or LOCKGATE_SECRET_KEY to manage it yourself)",
            path.display()
        );
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let url = format!("http://{}", listener.local_addr()?);
    if let Some(planner) = &demo_planner {
        let access = lockgate::demo::bootstrap(&app, &planner.url(), 200, 1).await?;
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
    let workers = lockgate::worker::start(
        app.clone(),
        lockgate::worker::WorkerConfig {
            workers: config.workers,
            lease: std::time::Duration::from_secs(config.lease_seconds),
            ..Default::default()
        },
    );
    eprintln!("jobs run as host {}", workers.host());
    println!("lockgate listening on {url}");
    // A stop is not a crash: stop answering, stop leasing, let runs in
    // flight finish within the grace period, hand back the rest.
    lockgate::api::serve_until(listener, app, stop_signal()).await?;
    let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds);
    eprintln!(
        "stopping: runs in flight get {} s to finish",
        grace.as_secs()
    );
    let stopped = workers.stop(grace).await;
    eprintln!(
        "stopped: {} run(s) finished, {} job(s) handed back to the queue",
        stopped.finished, stopped.handed_back
    );
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGTERM (and SIGINT, Ctrl-C).
async fn stop_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
