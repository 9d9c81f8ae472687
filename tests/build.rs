//! Builds the test programs in `tests/programs/` and the connectors ported
//! to other languages from source, every time they change.

use std::path::PathBuf;

const PROGRAMS: &[&str] = &[
    "test-hostile",
    "test-hostile-net",
    "test-hostile-records",
    "test-raw-socket",
    "test-flawed-department",
    "test-flawed-stateless",
    "test-flawed-forgetful",
    "test-flawed-compensation",
    "test-flawed-secret",
    "test-flawed-no-en",
    "test-events",
    "test-oauth-probe",
    "test-data-probe",
    "test-data-probe-readonly",
    "test-contract-0-1",
    "account-provisioning",
];

/// Python connectors (folders): test programs and ports of bundled ones.
const PYTHON: &[&str] = &[
    "tests/programs/hostile-py",
    "plugins/ats-hire-py",
    "sdk/python/example",
];
/// Connectors in TypeScript: test programs and ports of bundled connectors
/// (not bundled into the host, so building the host needs no Node.js).
const JS_PROGRAMS: &[&str] = &["tests/programs/hostile-ts", "plugins/absence-mirror-ts"];

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("..");
    let dir = lockgate_guest_build::build(&root, PROGRAMS, &["tests/programs"]);
    println!("cargo:rustc-env=TEST_PROGRAMS_DIR={}", dir.display());
    let python = lockgate_guest_build::python::build_python(&root, PYTHON);
    println!("cargo:rustc-env=TEST_PYTHON_DIR={}", python.display());
    let js = lockgate_guest_build::js::build_js(&root, JS_PROGRAMS);
    println!("cargo:rustc-env=TEST_JS_DIR={}", js.display());
}
