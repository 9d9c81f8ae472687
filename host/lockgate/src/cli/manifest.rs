//! `lockgate manifest check`: a connector's `connector.toml` checked before
//! it is built, every problem at once, each at its line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use lockgate_manifest::Checked;

#[derive(Args)]
pub struct CheckArgs {
    /// The manifest file.
    #[arg(default_value = "connector.toml")]
    file: PathBuf,
    /// Print the problems as a JSON array of {line, column, path, message}.
    #[arg(long)]
    json: bool,
}

pub fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let checked = check_file(&args.file)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&checked.findings)?);
    } else {
        print_check(&args.file, &checked);
    }
    Ok(if checked.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn check_file(file: &Path) -> anyhow::Result<Checked> {
    let bytes = std::fs::read(file).with_context(|| {
        format!(
            "cannot read {}; give the path of the connector's manifest (connector.toml)",
            file.display()
        )
    })?;
    Ok(lockgate_manifest::check_text(&bytes))
}

/// One line per problem, `file:line:column: message`, as editors jump to
/// them, then a summary line.
pub fn print_check(file: &Path, checked: &Checked) {
    let name = file.display();
    for f in &checked.findings {
        println!("{name}:{}:{}: {}", f.line, f.column, f.message);
    }
    match (&checked.manifest, checked.findings.len()) {
        (Some(m), 0) => println!(
            "{name}: OK: {} {}, {} config field{}",
            m.id,
            m.version,
            m.config.len(),
            if m.config.len() == 1 { "" } else { "s" }
        ),
        (_, 1) => println!("{name}: 1 problem"),
        (_, n) => println!("{name}: {n} problems"),
    }
}
