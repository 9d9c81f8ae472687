//! Builds the bundled connectors for wasm32-wasip2 so the host binary
//! carries them (the demo and, later, the marketplace's first-party list).

use std::path::PathBuf;
use std::process::Command;

const BUNDLED: &[(&str, &str)] = &[("planner-export", "LOCKGATE_PLANNER_EXPORT_WASM")];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("../..");
    for dir in ["plugins", "sdk", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    // target/<profile>/build/<crate>/out -> target
    let target = out_dir
        .ancestors()
        .nth(4)
        .map(PathBuf::from)
        .unwrap_or_else(|| out_dir.clone());
    let guest_target = target.join("guest");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--profile", "guest", "--target", "wasm32-wasip2"])
        .arg("--target-dir")
        .arg(&guest_target)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET");
    for (package, _) in BUNDLED {
        cmd.args(["-p", package]);
    }
    let status = cmd
        .status()
        .expect("cannot run cargo to build the bundled connectors");
    if !status.success() {
        panic!(
            "building the bundled connectors failed; is the wasm32-wasip2 target installed? \
             (rustup target add wasm32-wasip2)"
        );
    }
    for (package, var) in BUNDLED {
        let file = guest_target
            .join("wasm32-wasip2/guest")
            .join(format!("{}.wasm", package.replace('-', "_")));
        println!("cargo:rustc-env={var}={}", file.display());
    }
}
