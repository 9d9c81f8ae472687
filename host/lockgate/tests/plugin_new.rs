//! `lockgate plugin new`: the connector it writes, in each language,
//! builds, passes the automated review against the recorder and syncs a
//! sandbox tenant, by the script it writes beside it; and what it refuses.
//! `lockgate plugin dev` is tried on the Rust one too, reusing its build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

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
/// Returns the temporary folder (its `target/` holds the build) and the
/// connector's folder in it.
fn scaffold_builds_reviews_and_syncs(
    lang: &str,
    files: &[&str],
    unit_tests: (&str, &str),
) -> (TempDir, PathBuf) {
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
    (dir, home)
}

#[test]
fn plugin_new_in_rust_builds_passes_the_review_and_syncs() {
    let (dir, home) = scaffold_builds_reviews_and_syncs(
        "rust",
        &["Cargo.toml", "src/lib.rs"],
        ("running 2 tests", "test result: ok. 2 passed"),
    );
    // The edit loop, on the same build.
    plugin_dev_builds_checks_inspects_and_syncs_on_every_change(&dir, &home);
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

/// `lockgate plugin dev` on the connector `plugin new` wrote (and built
/// into `dir/target`): one cycle with `--once`, its failures, and a cycle
/// on a saved change.
fn plugin_dev_builds_checks_inspects_and_syncs_on_every_change(dir: &TempDir, home: &Path) {
    let port = partner();
    let dev = |extra: &[&str]| {
        let mut cmd = lockgate();
        cmd.args(["plugin", "dev"])
            .arg(home)
            .args(extra)
            .args(["--employees", "20", "--db"])
            .arg(dir.0.join("dev.db"))
            .args(["--config", &format!("api-url=http://127.0.0.1:{port}")])
            .args(["--config", "api-key=test-key"])
            .args(["--allow-http", &format!("127.0.0.1:{port}")])
            .env("CARGO_TARGET_DIR", dir.0.join("target"))
            .env("LOCKGATE_CACHE_DIR", dir.0.join("cache"));
        cmd
    };
    let once = || {
        let out = dev(&["--once"]).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };

    let (code, out) = once();
    assert_eq!(code, Some(0), "{out}");
    for expected in [
        "──── ",
        "build:    ok in ",
        "connector.toml: OK: acme-sync 0.1.0, 2 config fields",
        "id:      acme-sync 0.1.0 by Acme",
        "verdict: acceptable",
        "status:   Successful",
        "result: ok: built in ",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }

    // A manifest problem stops the cycle before the run, at its line.
    let manifest = home.join("connector.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, good.replace("type = \"url\"", "type = \"link\"")).unwrap();
    let (code, out) = once();
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(":8: [[config]] key \"api-url\": type \"link\" is not one of"),
        "{out}"
    );
    assert!(
        out.contains("result: FAILED: connector.toml has 1 problem(s)"),
        "{out}"
    );
    assert!(!out.contains("status:"), "no run: {out}");
    std::fs::write(&manifest, &good).unwrap();

    // A compile error is shown as the compiler said it.
    let lib = home.join("src/lib.rs");
    let source = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, format!("{source}\nfn broken( {{\n")).unwrap();
    let (code, out) = once();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("unclosed delimiter"), "{out}");
    assert!(out.contains("result: FAILED: the build failed"), "{out}");
    std::fs::write(&lib, &source).unwrap();

    // Watching: a cycle at the start, and one after a saved change.
    let mut child = dev(&[])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_result = |seen: &mut Vec<String>| loop {
        let line = rx
            .recv_timeout(Duration::from_secs(300))
            .unwrap_or_else(|_| panic!("no cycle ended: {seen:#?}"));
        seen.push(line.clone());
        if line.starts_with("result: ") {
            return line;
        }
    };
    let mut seen = Vec::new();
    let first = next_result(&mut seen);
    assert!(first.starts_with("result: ok"), "{seen:#?}");
    // Wait until it watches, then save a change.
    while !seen.iter().any(|l| l.starts_with("waiting for a change")) {
        seen.push(rx.recv_timeout(Duration::from_secs(60)).unwrap());
    }
    std::fs::write(&lib, format!("{source}\n// saved again\n")).unwrap();
    let second = next_result(&mut seen);
    let _ = child.kill();
    let _ = child.wait();
    std::fs::write(&lib, &source).unwrap();
    assert!(second.starts_with("result: ok"), "{seen:#?}");
    assert!(
        seen.iter().any(|l| l.contains("(changed src/lib.rs)")),
        "{seen:#?}"
    );
}

/// A stand-in partner on loopback: answers every request 200 `{}`.
fn partner() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || answer(stream));
        }
    });
    port
}

fn answer(mut stream: TcpStream) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_end, body) = loop {
        let Ok(n) = stream.read(&mut chunk) else {
            return;
        };
        if n == 0 {
            return;
        }
        got.extend_from_slice(&chunk[..n]);
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let body: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            break (end + 4, body);
        }
    };
    while got.len() < head_end + body {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
    );
}
