//! Builds the test programs in `tests/programs/` for wasm32-wasip2, from
//! source, every time they change.

use std::path::PathBuf;
use std::process::Command;

const PROGRAMS: &[&str] = &["test-hostile", "test-raw-socket"];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest_dir.join("..");
    for dir in ["tests/programs", "sdk", "wit"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
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
    for p in PROGRAMS {
        cmd.args(["-p", p]);
    }
    let status = cmd
        .status()
        .expect("cannot run cargo to build the test programs");
    assert!(
        status.success(),
        "building the test programs failed (rustup target add wasm32-wasip2?)"
    );
    println!(
        "cargo:rustc-env=LOCKGATE_TEST_PROGRAMS={}",
        guest_target.join("wasm32-wasip2/guest").display()
    );
}
