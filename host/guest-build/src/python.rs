//! Python connectors and test programs: installs the pinned toolchain
//! (componentize-py, from `sdk/python/requirements-build.txt` with its
//! hashes) into a virtual environment under `<target>/guest/python/venv`,
//! then builds each folder with the SDK's own build command
//! (`python -m lockgate_connector.build`). A component is rebuilt only when
//! its inputs changed: a digest of its folder, the SDK and `wit/` is kept
//! beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// The SDK's sources (the build command and the library it bundles).
const SDK_SOURCES: &str = "sdk/python/src";
/// The toolchain's lockfile.
const LOCKFILE: &str = "sdk/python/requirements-build.txt";
/// The contract; the SDK carries it as a link to this folder.
const WIT: &str = "wit";

/// Builds the Python connectors in `dirs` (folders relative to the
/// workspace root, each with `connector.toml` and `app.py`) and returns
/// the directory holding `<folder name with - as _>.wasm` for each. The
/// calling build script reruns when a file of theirs, of the SDK or of
/// `wit/` changes. Panics with a hint naming what is missing when Python
/// or the toolchain cannot be had, or a build fails.
pub fn build_python(workspace_root: &Path, dirs: &[&str]) -> PathBuf {
    for input in [SDK_SOURCES, LOCKFILE, WIT].iter().chain(dirs) {
        println!(
            "cargo:rerun-if-changed={}",
            workspace_root.join(input).display()
        );
    }
    println!("cargo:rerun-if-env-changed=LOCKGATE_PYTHON");
    let out = crate::guest_target().join("python");
    std::fs::create_dir_all(&out)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", out.display()));
    let python = toolchain(workspace_root, &out);

    let shared = digest(&[
        workspace_root.join(SDK_SOURCES),
        workspace_root.join(LOCKFILE),
        workspace_root.join(WIT),
    ]);
    let stale: Vec<(PathBuf, PathBuf, String)> = dirs
        .iter()
        .filter_map(|dir| {
            let folder = workspace_root.join(dir);
            let name = folder
                .file_name()
                .unwrap_or_else(|| panic!("{dir} names no folder"))
                .to_string_lossy()
                .replace('-', "_");
            let wasm = out.join(format!("{name}.wasm"));
            let want = format!("{shared}{}", digest(std::slice::from_ref(&folder)));
            let stamp = std::fs::read_to_string(stamp_of(&wasm)).unwrap_or_default();
            (!wasm.is_file() || stamp != want).then_some((folder, wasm, want))
        })
        .collect();

    // componentize-py takes ~30 s a component, mostly on one core.
    let failures: Vec<String> = std::thread::scope(|scope| {
        let builds: Vec<_> = stale
            .iter()
            .map(|(folder, wasm, want)| {
                let python = &python;
                scope.spawn(move || build_one(workspace_root, python, folder, wasm, want))
            })
            .collect();
        builds
            .into_iter()
            .filter_map(|b| b.join().expect("a build thread panicked").err())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    out
}

fn stamp_of(wasm: &Path) -> PathBuf {
    wasm.with_extension("wasm.digest")
}

fn build_one(
    root: &Path,
    python: &Path,
    folder: &Path,
    wasm: &Path,
    want: &str,
) -> Result<(), String> {
    let _ = std::fs::remove_file(stamp_of(wasm));
    let output = Command::new(python)
        .args(["-m", "lockgate_connector.build"])
        .arg(folder)
        .arg("--output")
        .arg(wasm)
        .arg("--quiet")
        .env("PYTHONPATH", root.join(SDK_SOURCES))
        // No __pycache__ in the source tree: it would rerun this script.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("VIRTUAL_ENV")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        return Err(format!(
            "building the Python connector {} failed:\n{}{}",
            folder.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    std::fs::write(stamp_of(wasm), want).map_err(|e| format!("{}: {e}", wasm.display()))
}

/// The virtual environment's Python, with the locked toolchain installed
/// (again when the lockfile changed).
fn toolchain(root: &Path, out: &Path) -> PathBuf {
    let venv = out.join("venv");
    let python = if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    };
    let lockfile = root.join(LOCKFILE);
    let want = digest(std::slice::from_ref(&lockfile));
    let stamp = venv.join("lockgate-requirements.sha256");
    if python.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&want) {
        return python;
    }

    let base = std::env::var("LOCKGATE_PYTHON").unwrap_or_else(|_| "python3".into());
    let hint = format!(
        "Python 3.11 or newer with venv is needed to build the Python connectors: install \
         python3 and python3-venv, or name an interpreter in LOCKGATE_PYTHON (tried {base:?})"
    );
    let recent = Command::new(&base)
        .args([
            "-c",
            "import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)",
        ])
        .status();
    match recent {
        Ok(status) if status.success() => {}
        Ok(_) => panic!("{hint}: it is older than 3.11 or has no venv module"),
        Err(e) => panic!("{hint}: {e}"),
    }
    let _ = std::fs::remove_dir_all(&venv);
    run(
        Command::new(&base).args(["-m", "venv"]).arg(&venv),
        &format!("{hint}: `{base} -m venv` failed"),
    );
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--require-hashes",
                "--only-binary=:all:",
                "-r",
            ])
            .arg(&lockfile),
        &format!(
            "pip could not install the Python build toolchain from {LOCKFILE} \
             (componentize-py from PyPI; is PyPI reachable?)"
        ),
    );
    std::fs::write(&stamp, want).unwrap_or_else(|e| panic!("{}: {e}", stamp.display()));
    python
}

fn run(command: &mut Command, hint: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("{hint} ({status})"),
        Err(e) => panic!("{hint}: {e}"),
    }
}

/// SHA-256 over the files under `paths` (names and contents, in a stable
/// order), leaving out caches and build output.
fn digest(paths: &[PathBuf]) -> String {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files);
    }
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        hash.update(file.to_string_lossy().as_bytes());
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    hex::encode(hash.finalize())
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    if name
        .as_deref()
        .is_some_and(|n| n == "__pycache__" || n == "dist" || n.starts_with('.'))
    {
        return;
    }
    if path.is_dir() {
        let entries = std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for entry in entries.flatten() {
            collect(&entry.path(), files);
        }
    } else if path.is_file() && path.extension().is_none_or(|e| e != "pyc") {
        files.push(path.to_path_buf());
    }
}
