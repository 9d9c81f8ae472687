//! Builds the bundled connectors so the host binary carries them (the demo
//! and the marketplace's first-party list).

use std::path::PathBuf;

const BUNDLED: &[(&str, &str)] = &[
    ("planner-export", "BUNDLED_PLANNER_EXPORT_WASM"),
    ("ats-hire", "BUNDLED_ATS_HIRE_WASM"),
    ("account-provisioning", "BUNDLED_ACCOUNT_PROVISIONING_WASM"),
    ("absence-mirror", "BUNDLED_ABSENCE_MIRROR_WASM"),
    ("time-tracking", "BUNDLED_TIME_TRACKING_WASM"),
    ("payroll-export", "BUNDLED_PAYROLL_EXPORT_WASM"),
    ("job-board", "BUNDLED_JOB_BOARD_WASM"),
];

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../..");
    let packages: Vec<&str> = BUNDLED.iter().map(|(p, _)| *p).collect();
    let dir = lockgate_guest_build::build(&root, &packages, &["plugins"]);
    for (package, var) in BUNDLED {
        let file = dir.join(format!("{}.wasm", package.replace('-', "_")));
        println!("cargo:rustc-env={var}={}", file.display());
    }
}
