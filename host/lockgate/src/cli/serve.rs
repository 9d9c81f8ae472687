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

#[derive(Args)]
pub struct ServeArgs {
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
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let flags = RawConfig {
        listen: args.listen.clone(),
        allow_http: (!args.allow_http.is_empty()).then(|| args.allow_http.clone()),
        workers: args.workers,
        max_outcome_rows: args.max_outcome_rows,
        max_row_bytes: args.max_row_bytes,
        max_log_bytes: args.max_log_bytes,
        ..Default::default()
    };
    let config = settings(&args.settings, flags)?;
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
    let mut app_config = AppConfig::new(config.database_url.clone(), config.data_dir.clone());
    app_config.secret_key = config.secret_key.as_ref().map(|key| key.0.clone());
    app_config.operator = operator;
    app_config.limits = config.limits.clone();
    app_config.runtime = RuntimeConfig {
        cache_dir: config
            .cache_dir
            .clone()
            .or_else(|| runtime_config().cache_dir),
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
    lockgate::worker::start(
        app.clone(),
        lockgate::worker::WorkerConfig {
            workers: config.workers,
            lease: std::time::Duration::from_secs(config.lease_seconds),
            ..Default::default()
        },
    );
    println!("lockgate listening on {url}");
    lockgate::api::serve(listener, app).await?;
    Ok(ExitCode::SUCCESS)
}
