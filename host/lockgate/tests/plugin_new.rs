//! `lockgate plugin new`: the connector it writes builds, passes the
//! automated review against the recorder and syncs a sandbox tenant, by
//! the script it writes beside it; and what it refuses.

use std::process::Command;

use lockgate_tests::TempDir;

fn lockgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
}

#[test]
fn plugin_new_writes_a_connector_that_builds_passes_the_review_and_syncs() {
    let dir = TempDir::named("cli-new");
    let home = dir.0.join("acme-sync");
    let new = lockgate()
        .args(["plugin", "new", "acme-sync", "--publisher", "Acme"])
        .arg("--dir")
        .arg(&home)
        .output()
        .unwrap();
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    for file in [
        "Cargo.toml",
        "connector.toml",
        "src/lib.rs",
        "README.md",
        "test.sh",
    ] {
        assert!(home.join(file).is_file(), "{file}");
    }

    // Its own script: build, inspect, review against the recorder, and one
    // sync of a sandbox tenant against the stand-in partner.
    let tried = Command::new("sh")
        .arg(home.join("test.sh"))
        .env("LOCKGATE", env!("CARGO_BIN_EXE_lockgate"))
        .env("CARGO_TARGET_DIR", dir.0.join("target"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&tried.stdout);
    assert!(
        tried.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&tried.stderr)
    );
    assert!(out.contains("id:      acme-sync 0.1.0 by Acme"), "{out}");
    assert!(out.contains("verdict: acceptable"), "{out}");
    let review = out
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .collect::<Vec<_>>();
    assert!(review.is_empty(), "the review failed: {review:?}");
    assert!(out.contains("pass  rejected record"), "{out}");
    assert!(out.contains("status:   Successful"), "{out}");
    let received: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("the partner received "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the script counts what the partner received");
    assert!(received > 0, "{out}");

    // What it refuses: a bad name, a language without its SDK, a folder
    // that is not empty.
    for (args, says) in [
        (vec!["Acme_Sync"], "lower-case letters"),
        (vec!["acme-ts", "--lang", "ts"], "TypeScript"),
    ] {
        let out = lockgate()
            .args(["plugin", "new"])
            .args(&args)
            .current_dir(&dir.0)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let again = lockgate()
        .args(["plugin", "new", "acme-sync", "--dir"])
        .arg(&home)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}
