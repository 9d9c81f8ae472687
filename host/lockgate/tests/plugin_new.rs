//! `lockgate plugin new`: the connector it writes builds, passes the
//! automated review against the recorder and syncs a sandbox tenant, by
//! the script it writes beside it; and what it refuses. `lockgate plugin
//! dev` is tried on that connector too, reusing its build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

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

    // The edit loop, on the same build.
    plugin_dev_builds_checks_inspects_and_syncs_on_every_change(&dir, &home);
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
