//! `lockgate token create`: an API token for a role, printed once.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use super::{SettingsArgs, build_error, settings};

#[derive(Args)]
pub struct TokenArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    #[arg(long, value_parser = ["operator", "partner", "tenant-admin"])]
    role: String,
    /// The partner a partner token acts for. Its connectors' manifests
    /// name it as publisher (letters and digits count: `planner-co`
    /// publishes as "Planner Co"); `lockgate` is the operator's own.
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

pub async fn create(args: TokenArgs) -> anyhow::Result<ExitCode> {
    let config = settings(&args.settings, Default::default())?;
    let store = lockgate::app::open_database(&config.database_url)
        .await
        .map_err(build_error)?;
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
