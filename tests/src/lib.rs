//! Paths of the test programs (connectors built from source for the tests,
//! hostile ones included), compiled by this crate's build script.

/// A test program's `.wasm` file by crate name, e.g. `test-hostile`.
pub fn program(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("TEST_PROGRAMS_DIR")).join(format!("{}.wasm", name.replace('-', "_")))
}
