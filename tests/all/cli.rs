//! The `lockgate` command as a person runs it.

use std::process::Command;

use crate::helpers::*;

fn lockgate() -> Command {
    // Integration tests live in target/<profile>/deps; the binary beside.
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("lockgate");
    assert!(
        bin.exists(),
        "build the host first: cargo build -p lockgate ({})",
        bin.display()
    );
    Command::new(bin)
}

#[test]
fn inspect_refuses_a_bad_component_with_every_reason() {
    let out = lockgate()
        .args(["plugin", "inspect", "--json"])
        .arg(lockgate_tests::program("test-raw-socket"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["acceptable"], false);
    let texts = report["problems_text"].as_array().unwrap();
    assert!(
        texts
            .iter()
            .any(|t| t.as_str().unwrap().contains("wasi:sockets/tcp"))
    );
}

#[tokio::test]
async fn plugin_run_seeds_a_sandbox_runs_and_prints_one_json_document() {
    let planner = FakePlanner::start().await;
    let dir = TempDir::new();
    let db = dir.0.join("cli.db");
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let mut cmd = lockgate();
    cmd.args(["plugin", "run"])
        .arg(&wasm)
        .args(["--sandbox", "--seed", "3", "--db"])
        .arg(&db);
    cmd.args(["--config", &format!("planner-url={}", planner.url())]);
    cmd.args(["--config", &format!("api-key={PLANNER_KEY}")]);
    cmd.args(["--allow-http", &planner.addr.to_string(), "--json"]);
    // The fake planner runs on this test's runtime: wait off it.
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status_label"], "Successful");
    assert!(summary["counts"]["update"]["success"].as_i64().unwrap() > 50);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(PLANNER_KEY),
        "the secret is not echoed"
    );
}

#[tokio::test]
async fn plugin_run_exits_non_zero_when_the_run_fails() {
    let port = closed_port().await;
    let dir = TempDir::new();
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let db = dir.0.join("cli.db");
    let out = tokio::task::spawn_blocking(move || {
        lockgate()
            .args(["plugin", "run"])
            .arg(&wasm)
            .args(["--sandbox", "--db"])
            .arg(&db)
            .args([
                "--config",
                &format!("planner-url=http://127.0.0.1:{port}"),
                "--config",
                "api-key=x",
            ])
            .args(["--allow-http", &format!("127.0.0.1:{port}")])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("status:   Failed"), "{text}");
    assert!(text.contains("refused"), "{text}");
}

#[test]
fn plugin_run_rejects_config_that_does_not_fit_the_schema() {
    let dir = TempDir::new();
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let out = lockgate()
        .args(["plugin", "run"])
        .arg(&wasm)
        .args(["--sandbox", "--db"])
        .arg(dir.0.join("cli.db"))
        .args(["--config", "planner-url=ftp://x", "--config", "colour=blue"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("planner-url: must start with https://"),
        "{err}"
    );
    assert!(
        err.contains("colour: the connector has no such field"),
        "{err}"
    );
    assert!(err.contains("api-key: required"), "{err}");
}
