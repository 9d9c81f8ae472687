//! `lockgate plugin inspect`: a connector file's manifest, imports, exports,
//! size and digest, and every reason the host would refuse it; the report
//! is shared with `plugin dev`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use lockgate_manifest::Inspection;

use super::read_plugin;

#[derive(Args)]
pub struct InspectArgs {
    file: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let (file, json) = (&args.file, args.json);
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
        print_report(file, &report);
    }
    Ok(if report.is_acceptable() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The report as `plugin inspect` prints it (and `plugin dev` each cycle).
pub fn print_report(file: &Path, report: &Inspection) {
    println!("file:    {}", file.display());
    println!("size:    {} bytes", report.size);
    println!("sha256:  {}", report.sha256);
    match &report.contract {
        Some(version) => println!("contract: lockgate:connector@{version}"),
        None => println!("contract: none found (the component imports no contract interface)"),
    }
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
        if let Some(mb) = m.memory_mb {
            println!("memory:  asks for {mb} MiB");
        }
        println!("scopes:");
        for s in &m.scopes {
            println!("  {:<24} {}", s.as_str(), s.describe());
        }
        for (what, window) in [
            ("absence", m.absence_window),
            ("attendance", m.attendance_window),
        ] {
            if let Some(w) = window {
                println!(
                    "{what} window: {} days back, {} days ahead",
                    w.past_days, w.future_days
                );
            }
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
        if lockgate_manifest::inspect::import_denied(i) {
            println!("  {i}  (linked, every call refused: no sockets)");
        } else {
            println!("  {i}");
        }
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
