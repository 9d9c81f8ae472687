//! `lockgate plugin new NAME --lang rust|ts|python`: writes a connector
//! (see [`lockgate_scaffold`]) that builds, passes the automated review
//! against the recorder and syncs a sandbox tenant out of the box.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use lockgate_scaffold::{Lang, Scaffold};

#[derive(Args)]
pub struct NewArgs {
    /// The connector's id: lower-case letters, digits and `-`, e.g.
    /// `acme-sync`. Also the crate's or package's name.
    name: String,
    /// The language to write it in; each builds with its SDK.
    #[arg(long, value_enum, default_value = "rust")]
    lang: LangArg,
    /// Where to write it (default: a new folder NAME here).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The publisher in the manifest: your own name, as your partner id
    /// reads (default: NAME).
    #[arg(long)]
    publisher: Option<String>,
    /// The language's SDK to build against: the lockgate-sdk crate, or the
    /// folder of the TypeScript or Python package (default: the one beside
    /// the sources this program was built from).
    #[arg(long, value_name = "DIR")]
    sdk: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    Rust,
    Ts,
    Python,
}

pub fn run(args: &NewArgs) -> anyhow::Result<ExitCode> {
    let lang = match args.lang {
        LangArg::Rust => Lang::Rust,
        LangArg::Ts => Lang::Ts,
        LangArg::Python => Lang::Python,
    };
    let id = args.name.as_str();
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(id));
    let sdk = args.sdk.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(lang.sdk_folder())
    });
    Scaffold {
        lang,
        id: id.to_string(),
        publisher: args.publisher.clone().unwrap_or_else(|| id.to_string()),
        sdk,
    }
    .write(&dir)?;
    println!("wrote the connector {id} ({lang}) to {}", dir.display());
    println!(
        "next: cd {} && sh test.sh   (see its README.md)",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
