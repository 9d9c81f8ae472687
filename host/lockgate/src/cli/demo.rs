//! `lockgate demo`: a sandbox tenant, the bundled planner export connected
//! to a built-in demo planner, and two runs (everything, then only
//! changes) printed as `plugin run` prints them.

use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Args;

use lockgate::bindings::Trigger;
use lockgate::policy::{Limits, OperatorPolicy};
use lockgate::runtime::Runtime;
use lockgate::sync::{RunRequest, run_sync};

use super::run::{print_summary, upsert_install};
use super::{ensure_sandbox, open_store, runtime_config};

#[derive(Args)]
pub struct DemoArgs {
    #[arg(long, default_value_t = 200)]
    employees: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
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
                sign_in_key: None,
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
