//! `lockgate plugin new NAME`: a connector that builds, passes the
//! automated review against the recorder, and syncs a sandbox tenant out of
//! the box: manifest with de and en texts, a config form with one secret,
//! one granted host, a sync that pages employees and reports a row each,
//! a README for the partner and a script that tries it all.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

#[derive(Args)]
pub struct NewArgs {
    /// The connector's id: lower-case letters, digits and `-`, e.g.
    /// `acme-sync`. Also the crate's name.
    name: String,
    #[arg(long, value_enum, default_value = "rust")]
    lang: Lang,
    /// Where to write it (default: a new folder NAME here).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The publisher in the manifest: your own name, as your partner id
    /// reads (default: NAME).
    #[arg(long)]
    publisher: Option<String>,
    /// The lockgate-sdk crate to build against (default: the one this
    /// program was built with).
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    Rust,
    Ts,
    Python,
}

/// The Rust connector's files: path, template.
const RUST: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("new/rust/Cargo.toml.in")),
    ("connector.toml", include_str!("new/rust/connector.toml.in")),
    ("src/lib.rs", include_str!("new/rust/lib.rs.in")),
    ("README.md", include_str!("new/rust/README.md.in")),
    (
        "fake_partner.py",
        include_str!("new/rust/fake_partner.py.in"),
    ),
    ("test.sh", include_str!("new/rust/test.sh.in")),
    (".gitignore", "/target\n*.log\n"),
];

pub fn run(args: &NewArgs) -> anyhow::Result<ExitCode> {
    let id = args.name.as_str();
    let fits = (2..=64).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !fits {
        bail!(
            "NAME {id:?}: 2 to 64 lower-case letters, digits and '-', starting with a letter, e.g. acme-sync"
        );
    }
    let files = match args.lang {
        Lang::Rust => RUST,
        Lang::Ts | Lang::Python => bail!(
            "--lang ts and --lang python come with the TypeScript and Python SDKs, which are not released yet; use --lang rust"
        ),
    };
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(id));
    if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
        bail!(
            "{} exists and is not empty; choose another --dir",
            dir.display()
        );
    }
    let sdk = match &args.sdk {
        Some(sdk) => sdk.clone(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk"),
    };
    let sdk = sdk.canonicalize().with_context(|| {
        format!(
            "the SDK is not at {}; give its folder with --sdk",
            sdk.display()
        )
    })?;
    if !sdk.join("Cargo.toml").is_file() {
        bail!(
            "{} holds no Cargo.toml; give the lockgate-sdk folder with --sdk",
            sdk.display()
        );
    }
    let publisher = args.publisher.clone().unwrap_or_else(|| id.to_string());
    let title = title(id);
    let crate_name = id.replace('-', "_");
    let sdk_text = sdk.display().to_string();
    let fill = |template: &str| {
        template
            .replace("{{id}}", id)
            .replace("{{crate}}", &crate_name)
            .replace("{{title}}", &title)
            .replace("{{publisher}}", &publisher.replace('"', "'"))
            .replace("{{sdk}}", &sdk_text.replace('\\', "/"))
    };
    for (path, template) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, fill(template))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // The versions the SDK is tested with, so the first build resolves
    // to the same ones.
    let lock = sdk.join("../Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, dir.join("Cargo.lock"))
            .with_context(|| format!("cannot copy {}", lock.display()))?;
    }
    println!("wrote the connector {id} to {}", dir.display());
    println!(
        "next: cd {} && sh test.sh   (see its README.md)",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `acme-sync` → `Acme sync`.
fn title(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
