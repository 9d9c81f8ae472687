//! The host's own memory under a hostile connector: one attack per process.

use std::collections::BTreeMap;
use std::time::Instant;

use lockgate::bindings::Trigger;
use lockgate::policy::{Limits, OperatorPolicy};
use lockgate::runtime::Runtime;
use lockgate::store::Store;
use lockgate::sync::{RunRequest, run_sync};

use super::{install, rss_kib, status_kib};

/// One hostile attack through the runtime with the default limits: the
/// host's peak resident memory around it and how the run ended. Run one
/// attack per process (`LOCKGATE_BENCH_ONLY=hostile-deny-loop`, …) so the
/// peak (VmHWM) is the attack's own.
pub async fn hostile(runtime: &Runtime, store: &Store, only: &str) {
    // `hold-fields:120`: header maps of 120 KiB each (24 KiB unless given).
    let (attack, header_kib) = only.split_once(':').unwrap_or((only, "24"));
    let bytes = std::fs::read(lockgate_tests::program("test-hostile")).expect("test program built");
    let plugin = runtime.load(&bytes).expect("loads");
    let count = match attack {
        "hold-fields" => "3000",
        "hold-requests" => "300",
        _ => "0",
    };
    let install = install(
        store,
        &plugin,
        BTreeMap::from([
            ("attack".to_string(), attack.to_string()),
            ("target".to_string(), "127.0.0.1:9".to_string()),
            ("count".to_string(), count.to_string()),
            ("header-kib".to_string(), header_kib.to_string()),
        ]),
        &format!("hostile-{only}"),
    )
    .await;
    let (rss, hwm) = (rss_kib(), status_kib("VmHWM:"));
    let started = Instant::now();
    let summary = run_sync(
        runtime,
        RunRequest {
            store,
            plugin: &plugin,
            install: &install,
            secrets: &BTreeMap::new(),
            sign_in_key: None,
            operator: OperatorPolicy::default(),
            limits: Limits::default(),
            trigger: Trigger::Manual,
        },
    )
    .await
    .expect("run");
    let (peak, after) = (status_kib("VmHWM:"), rss_kib());
    let report = serde_json::to_string(&summary).expect("json").len();
    println!(
        "hostile {only}: peak RSS {} MiB (VmHWM before the run {} MiB, RSS before {} MiB, after {} MiB); {:.1} s; status {}; reason {:?}; {} denials kept; log {} lines; summary JSON {} KiB",
        peak / 1024,
        hwm / 1024,
        rss / 1024,
        after / 1024,
        started.elapsed().as_secs_f64(),
        summary.run.status,
        summary.run.failure_reason,
        summary.denials.len(),
        summary.log.len(),
        report / 1024,
    );
}
