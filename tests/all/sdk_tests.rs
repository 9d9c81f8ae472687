//! The SDKs' own tests, so that the one test command runs them: the
//! TypeScript SDK's node tests (its stand-in host included), and the Rust
//! SDK's stand-in host with a bundled connector's unit tests written
//! against it. (The Python SDK's are in `python_sdk.rs`.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn the_typescript_sdk_unit_tests_pass() {
    // Its toolchain is in sdk/js/node_modules: the test build ran `npm ci`.
    let out = Command::new("npm")
        .args(["test", "--silent"])
        .current_dir(root().join("sdk/js"))
        .output()
        .expect("npm (Node.js 20 or later) runs the TypeScript SDK's tests");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(report.contains("# fail 0"), "{report}");
}

#[test]
fn the_rust_sdk_stand_in_host_and_a_connector_unit_tested_with_it_pass() {
    // A target directory of their own beside this suite's: they build for
    // the host, with the SDK's `testing` feature.
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .unwrap_or_else(std::env::temp_dir)
        .join("sdk-tests");
    for package in [
        &["-p", "lockgate-sdk", "--features", "testing"][..],
        &["-p", "planner-export"][..],
    ] {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .arg("test")
            .args(package)
            .arg("--target-dir")
            .arg(&target)
            .current_dir(root())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .output()
            .expect("cargo runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{package:?}: {report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Tests ran, not just a build.
        let passed: usize = report
            .lines()
            .filter_map(|l| l.strip_prefix("test result: ok. "))
            .filter_map(|l| l.split_whitespace().next()?.parse::<usize>().ok())
            .sum();
        assert!(passed > 0, "{package:?}: no test ran\n{report}");
    }
}
