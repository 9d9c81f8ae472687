//! `lockgate plugin vet`: the automated quality review of a connector file
//! against the partner's sandbox (or a recorder), printed check by check.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::Args;

use lockgate::policy::OperatorPolicy;
use lockgate::runtime::Runtime;

use super::{parse_config, read_plugin, runtime_config};

#[derive(Args)]
pub struct VetArgs {
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

pub async fn run(args: VetArgs) -> anyhow::Result<ExitCode> {
    use lockgate::review::vet::{STEPS, Verdict, VetOptions};
    let bytes = read_plugin(&args.file)?;
    let previous = match &args.previous {
        Some(path) => Some(read_plugin(path)?),
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
    let report = lockgate::review::vet::vet(
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
