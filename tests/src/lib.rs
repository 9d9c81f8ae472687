//! Shared fixtures of the end-to-end suites (`tests/all` and the `lockgate`
//! binary's own tests): the test programs compiled by this crate's build
//! script, temporary folders, a fresh database per test, the API with its
//! workers on loopback, and waits on conditions instead of fixed sleeps.

pub mod app;
pub mod component;
pub mod database;
pub mod fleet;
pub mod http;
pub mod net;
pub mod openapi;
pub mod tempdir;
pub mod wait;

pub use app::{TestApp, spawn_app, spawn_app_with, tenant_token, token};
pub use component::with_manifest;
pub use database::{test_database_url, test_store};
pub use net::closed_port;
pub use tempdir::TempDir;
pub use wait::{eventually, eventually_within, jobs_settled};

/// A test program's `.wasm` file by crate name, e.g. `test-hostile`.
pub fn program(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("TEST_PROGRAMS_DIR")).join(format!("{}.wasm", name.replace('-', "_")))
}

/// A Python connector's `.wasm` file by folder name, e.g. `hostile-py`.
pub fn python_program(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("TEST_PYTHON_DIR")).join(format!("{}.wasm", name.replace('-', "_")))
}

/// A connector in TypeScript by its package name, e.g. `test-hostile-ts`
/// or `absence-mirror-ts`.
pub fn js_program(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("TEST_JS_DIR")).join(format!("{}.wasm", name.replace('-', "_")))
}
