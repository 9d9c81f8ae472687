//! Figures per language, printed (not asserted), for the README's table:
//! the connector `lockgate plugin new` writes, built from the same
//! templates in Rust, TypeScript and Python by the test build, so each row
//! is one connector in one language. Per language: the `.wasm` size; the
//! compile time and the load time from the on-disk artifact cache;
//! instantiate p50 / p99 with the pooling allocator; the guest's peak
//! memory in one run; and a sync of 10,000 employees to a loopback partner,
//! as a ratio to the Rust build measured in the same process.
//!
//! `cargo bench -p lockgate-tests --bench languages`
//! (`LOCKGATE_BENCH_EMPLOYEES` changes the sync size,
//! `LOCKGATE_BENCH_INSTANCES` the instantiations per language).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, put};
use lockgate::bindings::Trigger;
use lockgate::policy::{Grant, Limits, OperatorPolicy};
use lockgate::runtime::{InvocationSetup, Plugin, Runtime, RuntimeConfig};
use lockgate::store::{InstallRecord, Store};
use lockgate::sync::{RunRequest, run_sync};

const TENANT: &str = "bench";

struct Language {
    name: &'static str,
    wasm: &'static str,
}

const LANGUAGES: [Language; 3] = [
    Language {
        name: "Rust",
        wasm: env!("SCAFFOLD_RUST_WASM"),
    },
    Language {
        name: "TypeScript",
        wasm: env!("SCAFFOLD_TS_WASM"),
    },
    Language {
        name: "Python",
        wasm: env!("SCAFFOLD_PYTHON_WASM"),
    },
];

/// What one language measured.
struct Figures {
    size: u64,
    compile: Duration,
    cached_load: Duration,
    instantiate_p50: Duration,
    instantiate_p99: Duration,
    peak_memory: u64,
    sync: Duration,
    synced: i64,
    /// Why the sync did not succeed, if it did not.
    failure: Option<String>,
}

mod shared;

use shared::{env_number, percentile};

/// The stand-in partner: `PUT /people/{id}` (its body read whole) and
/// `GET /ping` answer 200.
async fn partner() -> String {
    let app = Router::new()
        .route(
            "/people/{id}",
            put(|body: axum::body::Bytes| async move {
                drop(body);
                "{}"
            }),
        )
        .route("/ping", get(|| async { "{}" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("127.0.0.1:{}", addr.port())
}

fn config(partner: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("api-url".to_string(), format!("http://{partner}"))])
}

fn operator(partner: &str) -> OperatorPolicy {
    let mut operator = OperatorPolicy::default();
    operator.allow(partner).expect("allow the loopback partner");
    operator
}

fn idle_setup(store: &Store, plugin: &Plugin, partner: &str) -> InvocationSetup {
    let grant =
        Grant::resolve(&plugin.manifest, &config(partner), operator(partner)).expect("grant");
    InvocationSetup {
        store: store.clone(),
        visibility: lockgate::hr::Visibility {
            tenant_id: TENANT.into(),
            connector_id: plugin.manifest.id.clone(),
            today: lockgate::time::today(),
            scopes: plugin.manifest.scopes.clone(),
            absence_window: None,
            attendance_window: None,
        },
        grant: Arc::new(grant),
        limits: Limits::default(),
        config: BTreeMap::new(),
        state: None,
        run_id: None,
        install: None,
        clock: None,
        sign_in: None,
    }
}

async fn measure(
    language: &Language,
    store: &Store,
    partner: &str,
    dir: &Path,
    instances: usize,
) -> Figures {
    let bytes = std::fs::read(language.wasm).expect("built by the test build");
    let cache = dir.join(format!("cache-{}", language.name));
    let runtime_with_cache = || {
        Runtime::new(RuntimeConfig {
            cache_dir: Some(cache.clone()),
            ..RuntimeConfig::default()
        })
        .expect("runtime")
    };

    // Compiled once into an empty cache, then loaded from it by a new
    // runtime, as a restarted host does.
    let started = Instant::now();
    drop(runtime_with_cache().load(&bytes).expect("loads"));
    let compile = started.elapsed();
    let runtime = runtime_with_cache();
    let started = Instant::now();
    let plugin = runtime.load(&bytes).expect("loads from the cache");
    let cached_load = started.elapsed();

    for _ in 0..20 {
        drop(
            runtime
                .instantiate_idle(&plugin, idle_setup(store, &plugin, partner))
                .await
                .expect("instantiates"),
        );
    }
    let mut times = Vec::with_capacity(instances);
    for _ in 0..instances {
        let setup = idle_setup(store, &plugin, partner);
        let started = Instant::now();
        let live = runtime
            .instantiate_idle(&plugin, setup)
            .await
            .expect("instantiates");
        times.push(started.elapsed());
        drop(live);
    }
    times.sort();

    let install = InstallRecord {
        id: format!("sync-{}", language.name),
        tenant_id: TENANT.into(),
        connector_id: plugin.manifest.id.clone(),
        plugin_version: plugin.manifest.version.clone(),
        plugin_sha256: plugin.sha256.clone(),
        config: config(partner),
        status: lockgate::vocabulary::InstallStatus::Connected,
        ..Default::default()
    };
    store.create_install(&install).await.expect("install");
    let secrets = BTreeMap::from([("api-key".to_string(), "bench-key".to_string())]);
    let limits = Limits {
        deadline: Duration::from_secs(1800),
        max_requests: 1_000_000,
        ..Limits::default()
    };
    let started = Instant::now();
    let summary = run_sync(
        &runtime,
        RunRequest {
            store,
            plugin: &plugin,
            install: &install,
            secrets: &secrets,
            sign_in_key: None,
            operator: operator(partner),
            limits,
            trigger: Trigger::Initial,
        },
    )
    .await
    .expect("run");
    let sync = started.elapsed();
    // A run the sandbox ended is a figure too: the table says why.
    let failure = (summary.run.status != "successful").then(|| {
        summary
            .run
            .failure_reason
            .clone()
            .unwrap_or_else(|| summary.run.status.to_string())
    });
    Figures {
        size: bytes.len() as u64,
        compile,
        cached_load,
        instantiate_p50: percentile(&times, 0.5),
        instantiate_p99: percentile(&times, 0.99),
        peak_memory: summary.run.peak_memory.max(0) as u64,
        sync,
        synced: summary.total_rows,
        failure,
    }
}

fn main() {
    let employees = env_number("LOCKGATE_BENCH_EMPLOYEES", 10_000);
    let instances = env_number("LOCKGATE_BENCH_INSTANCES", 500);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("lockgate-languages-{}", std::process::id()));
        let (store, _) = shared::seeded_store(&dir, TENANT, employees).await;
        let partner = partner().await;
        println!(
            "the `plugin new` connector per language; {employees} employees seeded, each visible one sent with PUT to a loopback partner"
        );
        let mut rows = Vec::new();
        for language in &LANGUAGES {
            let figures = measure(language, &store, &partner, &dir, instances).await;
            rows.push((language.name, figures));
        }
        let rust_sync = rows[0].1.sync;
        println!(
            "| language | .wasm | compile | cached load | instantiate p50 / p99 | peak memory | sync of {employees} | vs Rust |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (name, f) in &rows {
            let sync = match &f.failure {
                Some(why) => format!(
                    "failed after {:.2} s and {} rows: {why}",
                    f.sync.as_secs_f64(),
                    f.synced
                ),
                None => format!("{:.2} s ({} rows)", f.sync.as_secs_f64(), f.synced),
            };
            println!(
                "| {name} | {:.1} MiB | {:.2} s | {:.0} ms | {:.0} µs / {:.0} µs | {:.1} MiB | {sync} | {:.1}x |",
                f.size as f64 / (1 << 20) as f64,
                f.compile.as_secs_f64(),
                f.cached_load.as_secs_f64() * 1e3,
                f.instantiate_p50.as_secs_f64() * 1e6,
                f.instantiate_p99.as_secs_f64() * 1e6,
                f.peak_memory as f64 / (1 << 20) as f64,
                f.sync.as_secs_f64() / rust_sync.as_secs_f64(),
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}
