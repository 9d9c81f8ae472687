//! The `lockgate` command: inspect and run connectors against a sandbox
//! tenant, seed sandboxes, run the demo, serve the API and create tokens.
//! This file holds only the command tree and the dispatch; each command
//! lives in its own module under [`cli`].

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use cli::demo::DemoArgs;
use cli::inspect::InspectArgs;
use cli::run::RunArgs;
use cli::sandbox::SeedArgs;
use cli::serve::ServeArgs;
use cli::token::TokenArgs;
use cli::vet::VetArgs;

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
    /// Connector manifests (connector.toml).
    #[command(subcommand)]
    Manifest(ManifestCommand),
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

#[derive(Subcommand)]
enum PluginCommand {
    /// Show a connector's manifest, imports, exports, size and digest, and
    /// every reason the host would refuse it.
    Inspect(InspectArgs),
    /// Run a connector's sync against a tenant and record the run.
    Run(RunArgs),
    /// Write a new connector that builds, passes the review and syncs a
    /// sandbox tenant out of the box.
    New(cli::new::NewArgs),
    /// Build, check, inspect and sync a connector folder on every change
    /// (Rust, TypeScript or Python).
    Dev(cli::dev::DevArgs),
    /// The automated quality review: static checks, self-service
    /// activation, filter options, a live transfer example, behaviour under
    /// limits and the version upgrade, each pass / warn / fail.
    Vet(VetArgs),
}

#[derive(Subcommand)]
enum ManifestCommand {
    /// Check a manifest file and report every problem at once, each with
    /// its line; exit status 1 when there are any.
    Check(cli::manifest::CheckArgs),
}

#[derive(Subcommand)]
enum SandboxCommand {
    /// Create a synthetic tenant (deterministic per seed).
    Seed(SeedArgs),
    /// Hire an employee into a sandbox tenant; prints the new id.
    Hire(cli::sandbox::people::HireArgs),
    /// Change an employee's basic fields; its updated-at stamp moves, so
    /// the connector's next incremental run sees it.
    Change(cli::sandbox::people::ChangeArgs),
    /// Set an employee's termination date (the last day of employment).
    Terminate(cli::sandbox::people::TerminateArgs),
    /// The sandbox tenant's own clock, which its changes are stamped by
    /// and `plugin run` runs connectors by.
    #[command(subcommand)]
    Clock(cli::sandbox::clock::ClockCommand),
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it (it is shown only this once).
    Create(TokenArgs),
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
        Command::Plugin(PluginCommand::Inspect(args)) => cli::inspect::run(&args),
        Command::Plugin(PluginCommand::Run(args)) => cli::run::run(args).await,
        Command::Plugin(PluginCommand::Vet(args)) => cli::vet::run(args).await,
        Command::Plugin(PluginCommand::New(args)) => cli::new::run(&args),
        Command::Plugin(PluginCommand::Dev(args)) => cli::dev::run(args).await,
        Command::Manifest(ManifestCommand::Check(args)) => cli::manifest::check(&args),
        Command::Sandbox(SandboxCommand::Seed(args)) => cli::sandbox::seed(args).await,
        Command::Sandbox(SandboxCommand::Hire(args)) => cli::sandbox::people::hire(args).await,
        Command::Sandbox(SandboxCommand::Change(args)) => cli::sandbox::people::change(args).await,
        Command::Sandbox(SandboxCommand::Terminate(args)) => {
            cli::sandbox::people::terminate(args).await
        }
        Command::Sandbox(SandboxCommand::Clock(command)) => cli::sandbox::clock::run(command).await,
        Command::Demo(args) => cli::demo::run(args).await,
        Command::Serve(args) => cli::serve::run(args).await,
        Command::Token(TokenCommand::Create(args)) => cli::token::create(args).await,
    }
}
