//! `lockgate plugin dev [DIR]`: the partner's edit loop. It builds the
//! connector in DIR (Rust, TypeScript or Python, told apart by the files
//! there), checks `connector.toml`, inspects the component as `plugin
//! inspect` does and runs one sync of the sandbox tenant as `plugin run`
//! does, then watches DIR's sources and does it all again after each
//! change. A cycle that fails says why and waits for the next change;
//! `--once` does one cycle and exits with its status.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use notify::{EventKind, RecursiveMode, Watcher};

use super::run::{SyncArgs, print_run, sync_once};

#[derive(Args)]
pub struct DevArgs {
    /// The connector's folder.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// One cycle, then exit: 0 when it built, its manifest is clean, the
    /// host accepts it and the sync did not fail; 1 otherwise.
    #[arg(long)]
    once: bool,
    /// How long the folder must be quiet after a change before a cycle
    /// starts, in milliseconds (an editor saves in several writes).
    #[arg(long, default_value_t = 300)]
    debounce_ms: u64,
    /// Rows of the run to print.
    #[arg(long, default_value_t = 10)]
    rows: usize,
    #[command(flatten)]
    sync: SyncArgs,
}

/// How a connector folder is built.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A cdylib crate; the component is cargo's artifact `<lib>.wasm`.
    Rust {
        lib: String,
    },
    TypeScript,
    Python,
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Rust { .. } => "Rust",
            Kind::TypeScript => "TypeScript",
            Kind::Python => "Python",
        }
    }
}

/// Tells the kind of connector in `dir` by its files.
fn kind(dir: &Path) -> anyhow::Result<Kind> {
    let cargo = dir.join("Cargo.toml");
    let has_manifest = dir.join("connector.toml").is_file();
    if cargo.is_file() {
        let text = std::fs::read_to_string(&cargo)
            .with_context(|| format!("cannot read {}", cargo.display()))?;
        let value: toml::Value =
            toml::from_str(&text).with_context(|| format!("{} is not valid", cargo.display()))?;
        let lib = value.get("lib");
        let cdylib = lib
            .and_then(|l| l.get("crate-type"))
            .and_then(|t| t.as_array())
            .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("cdylib")));
        if !cdylib {
            bail!(
                "{} builds no cdylib: a connector crate has [lib] crate-type = [\"cdylib\"]",
                cargo.display()
            );
        }
        let name = lib
            .and_then(|l| l.get("name"))
            .or_else(|| value.get("package").and_then(|p| p.get("name")))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{} has no [package] name", cargo.display()))?;
        return Ok(Kind::Rust {
            lib: name.replace('-', "_"),
        });
    }
    if dir.join("package.json").is_file() && has_manifest {
        return Ok(Kind::TypeScript);
    }
    if dir.join("app.py").is_file() && has_manifest {
        return Ok(Kind::Python);
    }
    bail!(
        "{} is not a connector folder: expected Cargo.toml (Rust, crate-type cdylib), package.json and connector.toml (TypeScript), or app.py and connector.toml (Python)",
        dir.display()
    )
}

/// The build command for `kind` in `dir`, and the component it writes.
async fn build_plan(dir: &Path, kind: &Kind) -> anyhow::Result<(tokio::process::Command, PathBuf)> {
    match kind {
        Kind::Rust { lib } => {
            let metadata = tokio::process::Command::new("cargo")
                .args(["metadata", "--format-version", "1", "--no-deps"])
                .current_dir(dir)
                .output()
                .await
                .context("cannot run cargo; is Rust installed?")?;
            if !metadata.status.success() {
                bail!(
                    "cargo metadata failed:\n{}",
                    String::from_utf8_lossy(&metadata.stderr)
                );
            }
            let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout)?;
            let target = metadata["target_directory"]
                .as_str()
                .context("cargo metadata names no target directory")?;
            let wasm = Path::new(target)
                .join("wasm32-wasip2/release")
                .join(format!("{lib}.wasm"));
            let mut cmd = tokio::process::Command::new("cargo");
            cmd.args(["build", "--target", "wasm32-wasip2", "--release"]);
            Ok((cmd, wasm))
        }
        Kind::TypeScript | Kind::Python => {
            let id = connector_id(dir)?;
            let out = Path::new("dist").join(format!("{id}.wasm"));
            let mut cmd = if *kind == Kind::TypeScript {
                let mut cmd = tokio::process::Command::new("npx");
                cmd.arg("lockgate-build");
                cmd
            } else if which("lockgate-build-py") {
                tokio::process::Command::new("lockgate-build-py")
            } else {
                let mut cmd = tokio::process::Command::new("python3");
                cmd.args(["-m", "lockgate_connector.build"]);
                cmd
            };
            cmd.arg(".").arg("-o").arg(&out);
            Ok((cmd, dir.join(out)))
        }
    }
}

/// The connector's id from its manifest, for the component's file name.
fn connector_id(dir: &Path) -> anyhow::Result<String> {
    let file = dir.join("connector.toml");
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let value: toml::Value =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", file.display()))?;
    value
        .get("id")
        .and_then(|v| v.as_str())
        .filter(|id| !id.is_empty() && !id.contains(['/', '\\', '.']))
        .map(str::to_string)
        .with_context(|| format!("{} has no usable id", file.display()))
}

fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// How one cycle ended.
enum Outcome {
    Passed(String),
    Failed(String),
}

pub async fn run(args: DevArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .dir
        .canonicalize()
        .with_context(|| format!("{} is not a folder", args.dir.display()))?;
    let kind = kind(&dir)?;
    if args.once {
        let outcome = cycle(&dir, &kind, &args, "once").await;
        return Ok(match outcome {
            Outcome::Passed(_) => ExitCode::SUCCESS,
            Outcome::Failed(_) => ExitCode::FAILURE,
        });
    }

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver is gone only when the command ends.
        let _ = tx.send(event);
    })
    .context("cannot watch for changes")?;
    watcher
        .watch(&dir, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch {}", dir.display()))?;
    // What the cycle itself writes is not a change.
    let own = [args.sync.db.db.clone()]
        .into_iter()
        .filter_map(|db| std::path::absolute(db).ok())
        .collect::<Vec<_>>();
    println!(
        "watching {} ({} connector); Ctrl-C stops",
        dir.display(),
        kind.name()
    );
    let mut why = "start".to_string();
    loop {
        cycle(&dir, &kind, &args, &why).await;
        println!("waiting for a change in {}", dir.display());
        // The first change that counts, then quiet for the debounce time.
        let mut changed: Vec<PathBuf> = Vec::new();
        while changed.is_empty() {
            let Some(event) = rx.recv().await else {
                bail!("the watcher stopped");
            };
            changed.extend(relevant(&dir, &own, event));
        }
        let quiet = Duration::from_millis(args.debounce_ms);
        let started = Instant::now();
        while let Ok(Some(event)) = tokio::time::timeout(quiet, rx.recv()).await {
            changed.extend(relevant(&dir, &own, event));
            // A folder that never goes quiet (a generator writing) still
            // gets its cycle.
            if started.elapsed() > Duration::from_secs(10) {
                break;
            }
        }
        changed.sort();
        changed.dedup();
        why = match changed.as_slice() {
            [one] => format!("changed {}", one.display()),
            [first, rest @ ..] => format!("changed {} and {} more", first.display(), rest.len()),
            [] => "changed".into(),
        };
    }
}

/// The changed paths of an event that count: sources, not what builds,
/// runs and editors leave behind. Relative to `dir`.
fn relevant(dir: &Path, own: &[PathBuf], event: notify::Result<notify::Event>) -> Vec<PathBuf> {
    let Ok(event) = event else { return Vec::new() };
    if !matches!(
        event.kind,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) | EventKind::Any
    ) {
        return Vec::new();
    }
    event
        .paths
        .into_iter()
        .filter(|p| !own.iter().any(|o| p.starts_with(o) || same_db(p, o)))
        .filter_map(|p| p.strip_prefix(dir).ok().map(Path::to_path_buf))
        .filter(|p| !ignored(p))
        .collect()
}

/// A SQLite file's companions (`-wal`, `-shm`, `-journal`).
fn same_db(path: &Path, db: &Path) -> bool {
    let (Some(p), Some(d)) = (path.to_str(), db.to_str()) else {
        return false;
    };
    p.strip_prefix(d)
        .is_some_and(|rest| matches!(rest, "-wal" | "-shm" | "-journal"))
}

/// Folders that builds, package managers and the sandbox write, and the
/// files editors and runs leave beside the sources.
const IGNORED_DIRS: &[&str] = &[
    "target",
    "dist",
    "node_modules",
    ".git",
    "__pycache__",
    ".lockgate",
];

fn ignored(relative: &Path) -> bool {
    let in_ignored_dir = relative.components().any(|c| match c {
        Component::Normal(name) => name.to_str().is_some_and(|n| IGNORED_DIRS.contains(&n)),
        _ => false,
    });
    let name = relative.file_name().and_then(|n| n.to_str()).unwrap_or("");
    in_ignored_dir
        || name.is_empty()
        || name.ends_with('~')
        || name.starts_with(".#")
        || name == "4913"
        || [
            ".swp",
            ".swx",
            ".log",
            ".db",
            ".db-wal",
            ".db-shm",
            ".db-journal",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
        || matches!(name, "Cargo.lock" | "package-lock.json")
}

/// One cycle: build, check the manifest, inspect, sync; a separator
/// first and a one-line result last.
async fn cycle(dir: &Path, kind: &Kind, args: &DevArgs, why: &str) -> Outcome {
    let at = lockgate::time::now_text();
    println!();
    println!(
        "──── {} ({why}) ──────────────────────────────",
        &at[11..19]
    );
    let outcome = match steps(dir, kind, args).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Failed(format!("{e:#}")),
    };
    match &outcome {
        Outcome::Passed(line) => println!("result: ok: {line}"),
        Outcome::Failed(line) => println!("result: FAILED: {line}"),
    }
    outcome
}

async fn steps(dir: &Path, kind: &Kind, args: &DevArgs) -> anyhow::Result<Outcome> {
    // Build.
    let (mut build, wasm) = build_plan(dir, kind).await?;
    let started = Instant::now();
    let shown = format!("{:?}", build.as_std()).replace('"', "");
    let output = build
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot start the build ({shown})"))?;
    if !output.status.success() {
        print!("{}", String::from_utf8_lossy(&output.stdout));
        print!("{}", String::from_utf8_lossy(&output.stderr));
        return Ok(Outcome::Failed(format!(
            "the build failed ({shown}); fix the error above and save"
        )));
    }
    let built = started.elapsed();
    println!("build:    ok in {:.1} s ({shown})", built.as_secs_f64());

    // The manifest.
    let manifest = dir.join("connector.toml");
    if manifest.is_file() {
        let checked = super::manifest::check_file(&manifest)?;
        super::manifest::print_check(Path::new("connector.toml"), &checked);
        if !checked.is_clean() {
            return Ok(Outcome::Failed(format!(
                "connector.toml has {} problem(s)",
                checked.findings.len()
            )));
        }
    }

    // What the host sees in the component.
    let bytes = super::read_plugin(&wasm)
        .with_context(|| format!("the build wrote no {}", wasm.display()))?;
    let report = lockgate_manifest::inspect(&bytes);
    super::inspect::print_report(&wasm, &report);
    if !report.is_acceptable() {
        return Ok(Outcome::Failed(format!(
            "the host refuses the component: {} problem(s)",
            report.problems.len()
        )));
    }

    // One sync of the sandbox tenant.
    let synced = sync_once(&bytes, &args.sync, true).await?;
    print_run(&synced, false, args.rows)?;
    let run = &synced.summary.run;
    let line = format!(
        "built in {:.1} s, manifest clean, acceptable, run {} ({} rows)",
        built.as_secs_f64(),
        synced.summary.status_label(),
        synced.summary.total_rows
    );
    Ok(if synced.failed() {
        Outcome::Failed(format!(
            "run {}: {}",
            synced.summary.status_label(),
            run.failure_reason.as_deref().unwrap_or("see the log above")
        ))
    } else {
        Outcome::Passed(line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_and_editor_files_are_not_changes() {
        for path in [
            "target/wasm32-wasip2/release/x.wasm",
            "dist/acme.wasm",
            "node_modules/x/index.js",
            ".git/index",
            "pkg/__pycache__/app.cpython-312.pyc",
            ".lockgate/sandbox.db",
            "src/.lib.rs.swp",
            "src/lib.rs~",
            "fake_partner.log",
            "Cargo.lock",
        ] {
            assert!(ignored(Path::new(path)), "{path}");
        }
        for path in [
            "src/lib.rs",
            "connector.toml",
            "app.py",
            "src/index.ts",
            "Cargo.toml",
        ] {
            assert!(!ignored(Path::new(path)), "{path}");
        }
        assert!(same_db(Path::new("/x/s.db-wal"), Path::new("/x/s.db")));
        assert!(!same_db(Path::new("/x/s.dbx"), Path::new("/x/s.db")));
    }
}
