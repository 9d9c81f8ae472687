//! `lockgate plugin new`: the connector it writes, in each language,
//! builds, passes the automated review against the recorder and syncs a
//! sandbox tenant, by the script it writes beside it; and what it refuses.

use std::path::Path;
use std::process::Command;

use lockgate_tests::TempDir;

fn lockgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
}

/// Writes `acme-sync` in `lang`, checks its files, runs its `test.sh` and
/// asserts what the partner relies on: its unit tests pass, the host reads
/// the manifest, the
/// review passes (its rejected-record check included), the sandbox sync
/// succeeds and the stand-in partner received employees.
/// `unit_tests` is what the language's test runner prints when the two
/// unit tests ran and passed.
fn scaffold_builds_reviews_and_syncs(lang: &str, files: &[&str], unit_tests: (&str, &str)) {
    let dir = TempDir::named(&format!("cli-new-{lang}"));
    let home = dir.0.join("acme-sync");
    let new = lockgate()
        .args([
            "plugin",
            "new",
            "acme-sync",
            "--publisher",
            "Acme",
            "--lang",
            lang,
        ])
        .arg("--dir")
        .arg(&home)
        .output()
        .unwrap();
    assert!(
        new.status.success(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    for file in ["connector.toml", "README.md", "test.sh", "fake_partner.py"]
        .iter()
        .chain(files)
    {
        assert!(home.join(file).is_file(), "{lang}: {file}");
    }

    // Its own script: build, inspect, review against the recorder, and one
    // sync of a sandbox tenant against the stand-in partner. One compile
    // cache serves the review and the run.
    let tried = Command::new("sh")
        .arg(home.join("test.sh"))
        .env("LOCKGATE", env!("CARGO_BIN_EXE_lockgate"))
        .env("CARGO_TARGET_DIR", dir.0.join("target"))
        .env("LOCKGATE_CACHE_DIR", dir.0.join("cache"))
        .env_remove("PYTHON")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&tried.stdout);
    let err = String::from_utf8_lossy(&tried.stderr);
    assert!(tried.status.success(), "{lang}: {out}\n{err}");
    // Its unit tests ran against the SDK's stand-in host, and passed.
    let (ran, said) = unit_tests;
    assert!(
        out.contains(ran) || err.contains(ran),
        "{lang}: the unit tests did not report {ran:?}:\n{out}\n{err}"
    );
    assert!(
        out.contains(said) || err.contains(said),
        "{lang}: {out}\n{err}"
    );
    assert!(out.contains("id:      acme-sync 0.1.0 by Acme"), "{out}");
    assert!(out.contains("verdict: acceptable"), "{out}");
    let review = out
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .collect::<Vec<_>>();
    assert!(review.is_empty(), "{lang}: the review failed: {review:?}");
    assert!(out.contains("pass  rejected record"), "{out}");
    assert!(out.contains("status:   Successful"), "{out}");
    let received: usize = out
        .lines()
        .find_map(|l| l.strip_prefix("the partner received "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the script counts what the partner received");
    assert!(received > 0, "{out}");
}

#[test]
fn plugin_new_in_rust_builds_passes_the_review_and_syncs() {
    scaffold_builds_reviews_and_syncs(
        "rust",
        &["Cargo.toml", "src/lib.rs"],
        ("running 2 tests", "test result: ok. 2 passed"),
    );
}

#[test]
fn plugin_new_in_typescript_builds_passes_the_review_and_syncs() {
    // The SDK's pinned toolchain is in sdk/js/node_modules: the build of
    // lockgate-tests (a dev-dependency) ran `npm ci` there.
    scaffold_builds_reviews_and_syncs(
        "ts",
        &["package.json", "src/index.ts", "test/connector.test.mjs"],
        ("# pass 2", "# fail 0"),
    );
}

#[test]
fn plugin_new_in_python_builds_passes_the_review_and_syncs() {
    scaffold_builds_reviews_and_syncs(
        "python",
        &["app.py", "tests/test_app.py"],
        ("Ran 2 tests", "\nOK"),
    );
}

#[test]
fn plugin_new_refuses_a_bad_name_a_folder_in_use_and_a_wrong_sdk() {
    let dir = TempDir::named("cli-new-refuses");
    let taken = dir.0.join("taken");
    std::fs::create_dir_all(&taken).unwrap();
    std::fs::write(taken.join("notes.txt"), "mine").unwrap();
    let rust_sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk");
    let cases: [(Vec<&str>, Vec<&Path>, &str); 4] = [
        (vec!["Acme_Sync"], vec![], "lower-case letters"),
        (vec!["acme-sync", "--dir"], vec![&taken], "not empty"),
        // The Rust crate is not the TypeScript package.
        (
            vec!["acme-ts", "--lang", "ts", "--sdk"],
            vec![&rust_sdk],
            "holds no package.json",
        ),
        (
            vec!["acme-kt", "--lang", "kotlin"],
            vec![],
            "rust, ts, python",
        ),
    ];
    for (args, paths, says) in cases {
        let out = lockgate()
            .args(["plugin", "new"])
            .args(&args)
            .args(paths)
            .current_dir(&dir.0)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::read_to_string(taken.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(!dir.0.join("acme-ts").exists());
}
