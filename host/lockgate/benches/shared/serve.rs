//! `lockgate serve` as a process, for the benches that start hosts.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One start: the process, its URL, the instant it was spawned, and how
/// long until it printed its address and until `/healthz` answered.
pub async fn start(
    db: &str,
    dir: &Path,
    key: &str,
    allow: &str,
    args: &[&str],
) -> (Child, String, Instant, Duration, Duration) {
    let spawned = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
        .args(["--allow-http", allow])
        .args(args)
        .env("LOCKGATE_CACHE_DIR", dir.join("cache"))
        .env("LOCKGATE_DATA_DIR", dir.join("data"))
        .env("LOCKGATE_SECRET_KEY", key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lockgate serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let url = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next()
                .expect("serve printed its address")
                .expect("a line");
            if let Some(url) = line.strip_prefix("lockgate listening on ") {
                // Keep draining so the process never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return url.to_string();
            }
        }
    })
    .await
    .expect("the address");
    let listening = spawned.elapsed();
    let client = reqwest::Client::new();
    loop {
        if let Ok(res) = client.get(format!("{url}/healthz")).send().await
            && res.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    (child, url, spawned, listening, spawned.elapsed())
}

/// A clean stop (SIGTERM), as a deployment restarts a host: its jobs are
/// handed back, none is left leased.
pub fn stop(mut child: Child) {
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    let status = child.wait().expect("serve stops");
    assert!(status.success(), "serve stopped cleanly: {status}");
}
