//! The hostile connector written in Python (`tests/programs/hostile-py`):
//! the attacks of the Rust hostile tests, with the same limits and the same
//! outcomes. A Python guest is a CPython interpreter with its heap (about
//! 12.5 MiB at rest); the limits hold for it exactly as for a Rust guest.

use std::time::Duration;

use lockgate::policy::Limits;

use crate::helpers::*;
use crate::hostile::expect;

#[tokio::test]
async fn a_python_connector_that_does_nothing_succeeds_within_the_default_memory() {
    let tenant = Tenant::seeded(5, 40).await;
    let config = [("attack", "none"), ("target", "127.0.0.1:9")];
    let summary = tenant
        .run(&python("hostile-py"), &config, RunSetup::default())
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let peak = summary.run.peak_memory;
    println!("hostile-py, attack none: peak memory {} KiB", peak >> 10);
    assert!(
        peak > 0 && peak <= Limits::default().memory_bytes as i64,
        "{peak}"
    );
}

#[tokio::test]
async fn an_infinite_python_loop_hits_the_deadline() {
    // Compiled before the clock starts: a Python component takes seconds.
    let plugin = python("hostile-py");
    expect::deadline(&plugin, 41, Duration::from_secs(15)).await;
}

#[tokio::test]
async fn a_python_memory_bomb_hits_the_memory_limit() {
    expect::memory_cap(&python("hostile-py"), 42).await;
}

#[tokio::test]
async fn a_host_that_was_not_granted_is_denied_to_python_too() {
    expect::ungranted_host_denied(&python("hostile-py"), 43).await;
}

#[tokio::test]
async fn a_secret_field_is_never_readable_from_python_but_reaches_the_partner() {
    let (found, auth) = expect::secret_unreadable(&python("hostile-py"), 44).await;
    // Every door was tried, and each gave something (a value or its
    // refusal): the attempt ran, it found nothing.
    let doors: Vec<&str> = found["found"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["door"].as_str().unwrap())
        .collect();
    for door in [
        "config.get",
        "config.all",
        "os.environ",
        "wasi environment",
        "wasi preopens",
        "listdir /",
        "/proc/self/environ",
        "request headers",
    ] {
        assert!(doors.contains(&door), "{door} not tried: {found}");
    }
    // The host injected it as the declared header, on the declared host,
    // after the connector's last look at its request.
    assert!(
        auth.contains(&"Bearer top-secret-value".to_string()),
        "{auth:?}"
    );
}
