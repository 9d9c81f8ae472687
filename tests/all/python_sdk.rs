//! The Python SDK: its own unit tests (run in CPython against generated
//! bindings, in the virtual environment the test build made) and the
//! README's Python connector against a sandbox tenant.

use std::path::Path;
use std::process::Command;

use crate::helpers::*;

#[test]
fn the_python_sdk_unit_tests_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = Path::new(env!("TEST_PYTHON_DIR")).join("venv/bin/python");
    let out = Command::new(&python)
        .args(["-m", "unittest", "discover", "-s", "tests", "-t", "."])
        .current_dir(root.join("sdk/python"))
        .env("PYTHONPATH", "src")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(report.contains("\nOK"), "{report}");
}

#[tokio::test]
async fn the_readme_python_connector_syncs_a_sandbox_tenant() {
    let tenant = Tenant::seeded(30, 81).await;
    let summary = tenant
        .run(&python("example"), &[], RunSetup::default())
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let visible = visible_employees(&tenant, "hello-py").await.len();
    assert!(visible > 0);
    assert_eq!(summary.total_rows, visible as i64);
    assert!(
        summary
            .log
            .iter()
            .any(|l| l.message == format!("saw {visible} employees")),
        "{:?}",
        summary.log
    );
}
