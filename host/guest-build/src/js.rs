//! Connectors written in TypeScript or JavaScript: folders with a
//! `package.json` (its `name` names the output) and a `connector.toml`,
//! built with the SDK's own `lockgate-build` (`sdk/js/bin`). The SDK's
//! toolchain (componentize-js, esbuild, TypeScript, pinned in
//! `sdk/js/package-lock.json`) is installed with `npm ci` when the lockfile
//! changed, and a component is rebuilt only when its inputs changed: a
//! digest of its folder, the SDK and `wit/` is kept beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// What the SDK's build reads besides the connector's own folder.
const SDK_INPUTS: &[&str] = &[
    "sdk/js/package.json",
    "sdk/js/package-lock.json",
    "sdk/js/tsconfig.json",
    "sdk/js/src",
    "sdk/js/bin",
    "sdk/js/scripts",
    "sdk/js/wit",
    "wit",
];

/// Folders of a connector that are outputs or installs, not inputs.
const SKIPPED: &[&str] = &["node_modules", "dist"];

/// Builds the connectors in `dirs` (folders relative to the workspace root)
/// and returns the directory holding `<package name with - as _>.wasm` for
/// each. Panics with a hint naming the missing tool when it cannot build,
/// which fails the calling build script: a missing Node.js is an error,
/// never a reason to skip.
pub fn build_js(workspace_root: &Path, dirs: &[&str]) -> PathBuf {
    for input in SDK_INPUTS {
        println!(
            "cargo:rerun-if-changed={}",
            workspace_root.join(input).display()
        );
    }
    for dir in dirs {
        for file in inputs(&workspace_root.join(dir)) {
            println!("cargo:rerun-if-changed={}", file.display());
        }
    }
    let out = crate::target_dir().join("guest").join("js");
    std::fs::create_dir_all(&out)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", out.display()));

    let node = node_version();
    let sdk = workspace_root.join("sdk/js");
    install_toolchain(&sdk, &out);

    let mut sdk_files = Vec::new();
    for input in SDK_INPUTS {
        sdk_files.extend(inputs(&workspace_root.join(input)));
    }
    for dir in dirs {
        let folder = workspace_root.join(dir);
        let name = package_name(&folder);
        let wasm = out.join(format!("{}.wasm", name.replace('-', "_")));
        let stamp = out.join(format!("{}.wasm.digest", name.replace('-', "_")));
        let mut files = inputs(&folder);
        files.extend(sdk_files.iter().cloned());
        let digest = digest(workspace_root, &files, &node);
        if wasm.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&digest) {
            continue;
        }
        let partial = out.join(format!("{}.wasm.partial", name.replace('-', "_")));
        let output = Command::new("node")
            .arg(sdk.join("bin/lockgate-build.mjs"))
            .arg(&folder)
            .arg("-o")
            .arg(&partial)
            .arg("--quiet")
            .output()
            .unwrap_or_else(|e| panic!("cannot run node to build {dir}: {e}"));
        assert!(
            output.status.success(),
            "building the TypeScript connector {dir} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::rename(&partial, &wasm)
            .unwrap_or_else(|e| panic!("cannot move {} into place: {e}", wasm.display()));
        std::fs::write(&stamp, digest)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", stamp.display()));
    }
    out
}

/// `node --version`, or a panic saying what to install.
fn node_version() -> String {
    const HINT: &str = "building the TypeScript connectors needs Node.js 20 or later with npm \
         (Debian: apt-get install nodejs npm; or https://nodejs.org)";
    let output = Command::new("node")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("{HINT}: cannot run node: {e}"));
    let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let major: u32 = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    assert!(
        output.status.success() && major >= 20,
        "{HINT}: found node {version:?}"
    );
    version
}

/// `npm ci` in the SDK when its lockfile changed since the last install.
fn install_toolchain(sdk: &Path, out: &Path) {
    let lock = sdk.join("package-lock.json");
    let bytes =
        std::fs::read(&lock).unwrap_or_else(|e| panic!("cannot read {}: {e}", lock.display()));
    let wanted = hex(&Sha256::digest(&bytes));
    let stamp = out.join("npm-ci.digest");
    let installed = sdk.join("node_modules/.package-lock.json").exists()
        && std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str());
    if installed {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(sdk)
        .status()
        .unwrap_or_else(|e| {
            panic!(
                "building the TypeScript connectors needs npm (it comes with Node.js 20 or later): {e}"
            )
        });
    assert!(
        status.success(),
        "`npm ci` in {} failed: the SDK's toolchain comes from the npm registry; is it reachable?",
        sdk.display()
    );
    std::fs::write(&stamp, wanted)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", stamp.display()));
}

/// The `name` of the folder's package.json.
fn package_name(folder: &Path) -> String {
    let path = folder.join("package.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    json["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| panic!("{} has no \"name\"", path.display()))
        .to_string()
}

/// The files under `path` (or `path` itself), sorted, without outputs.
fn inputs(path: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(next) = stack.pop() {
        if next.is_dir() {
            let Ok(entries) = std::fs::read_dir(&next) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                if !SKIPPED.iter().any(|s| name == *s) {
                    stack.push(entry.path());
                }
            }
        } else if next.is_file() {
            files.push(next);
        }
    }
    files.sort();
    files
}

/// SHA-256 over the files' paths (from the workspace root) and contents,
/// and the Node.js version that builds them.
fn digest(root: &Path, files: &[PathBuf], node: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(node.as_bytes());
    for file in files {
        let name = file.strip_prefix(root).unwrap_or(file);
        hash.update(name.to_string_lossy().as_bytes());
        hash.update([0]);
        let bytes =
            std::fs::read(file).unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
