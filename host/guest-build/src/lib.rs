//! Used by build scripts that need connector components: compiles the named
//! workspace packages for `wasm32-wasip2` with the `guest` profile, in a
//! target directory beside the caller's (a nested cargo cannot share the
//! outer build's lock), and says where the `.wasm` files are. Connectors
//! written in other languages have a module each ([`python`], [`js`]), built
//! into `<target>/guest/<language>/`.

use std::path::{Path, PathBuf};
use std::process::Command;

pub mod js;
pub mod python;

/// The caller's target directory: OUT_DIR is
/// `<target>/<profile>/build/<crate>-<hash>/out`.
pub(crate) fn target_dir() -> PathBuf {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    out_dir
        .ancestors()
        .nth(4)
        .map(PathBuf::from)
        .unwrap_or(out_dir)
}

/// `<target>/guest`: where guest builds go, beside the caller's own, and
/// shared by its profiles.
pub fn guest_target() -> PathBuf {
    target_dir().join("guest")
}

/// Builds `packages` (workspace package names) and returns the directory
/// holding `<crate_name>.wasm` for each; the build script reruns when a file
/// under `sources` (relative to the workspace root) changes. Panics with a
/// hint when the build fails, which fails the calling build script.
pub fn build(workspace_root: &Path, packages: &[&str], sources: &[&str]) -> PathBuf {
    for dir in ["sdk", "wit"].iter().chain(sources) {
        println!(
            "cargo:rerun-if-changed={}",
            workspace_root.join(dir).display()
        );
    }
    let guest_target = guest_target();
    let mut cmd = guest_cargo(&guest_target);
    cmd.current_dir(workspace_root).args(["--profile", "guest"]);
    for package in packages {
        cmd.args(["-p", package]);
    }
    let status = cmd.status().expect("cannot run cargo to build connectors");
    assert!(
        status.success(),
        "building {packages:?} for wasm32-wasip2 failed; is the target installed? (rustup target add wasm32-wasip2)"
    );
    guest_target.join("wasm32-wasip2/guest")
}

/// Builds a connector crate that is a workspace of its own (as `lockgate
/// plugin new` writes one) in release mode, into `<target>/guest/<name>`,
/// and returns its `.wasm`. Panics with a hint when the build fails.
pub fn build_standalone(dir: &Path, name: &str) -> PathBuf {
    let target = guest_target().join(name);
    let status = guest_cargo(&target)
        .arg("--release")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .status()
        .expect("cannot run cargo to build a connector");
    assert!(
        status.success(),
        "building {} for wasm32-wasip2 failed; is the target installed? (rustup target add wasm32-wasip2)",
        dir.display()
    );
    target
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", name.replace('-', "_")))
}

/// `cargo build --target wasm32-wasip2` into `target`, without the outer
/// build's settings.
fn guest_cargo(target: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(target)
        // Flags meant for the host build must not reach the guest build,
        // nor a lint run's compiler wrapper (guests are linted on their own).
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    cmd
}
