//! Runtime figures, printed (not asserted): instantiation p50/p99 with the
//! pooling allocator, host-call cost, a 100k-employee planner-export sync
//! against a loopback partner compared with the same logic as native Rust
//! in this process, and resident memory per live instance.
//!
//! `cargo bench -p lockgate-tests --bench runtime` (set
//! `LOCKGATE_BENCH_EMPLOYEES` to change the sync size;
//! `LOCKGATE_BENCH_ONLY=hostile-deny-loop` and the like measure the host's
//! memory during one hostile attack).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lockgate::bindings::Trigger;
use lockgate::demo::{DEMO_API_KEY, DemoPlanner, PLANNER_EXPORT};
use lockgate::hr::{AbsenceFilter, EmployeeFilter, Visibility};
use lockgate::policy::{Grant, Limits, OperatorPolicy};
use lockgate::runtime::{InvocationSetup, Runtime, RuntimeConfig};
use lockgate::store::{InstallRecord, RunRow, Store};
use lockgate::sync::{RunRequest, run_sync};
use lockgate_manifest::Scope;

#[path = "runtime/events.rs"]
mod events;
#[path = "runtime/hostile.rs"]
mod hostile;
mod shared;
#[path = "runtime/tenants.rs"]
mod tenants;

const TENANT: &str = "bench";

use shared::percentile;

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// A KiB figure from /proc/self/status (`VmRSS:`, `VmHWM:`).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn visibility(
    scopes: Vec<Scope>,
    window: Option<lockgate_manifest::AbsenceWindow>,
    connector: &str,
) -> Visibility {
    Visibility {
        tenant_id: TENANT.into(),
        connector_id: connector.into(),
        today: lockgate::time::today(),
        scopes,
        absence_window: window,
        attendance_window: None,
    }
}

fn idle_setup(store: &Store, plugin: &lockgate::runtime::Plugin) -> InvocationSetup {
    let grant = Grant::resolve(
        &plugin.manifest,
        &BTreeMap::from([(
            "planner-url".to_string(),
            "https://planner.example".to_string(),
        )]),
        OperatorPolicy::default(),
    )
    .expect("grant");
    InvocationSetup {
        store: store.clone(),
        visibility: visibility(
            plugin.manifest.scopes.clone(),
            plugin.manifest.absence_window,
            &plugin.manifest.id,
        ),
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

async fn instantiate(runtime: &Runtime, store: &Store) {
    let plugin = runtime.load(PLANNER_EXPORT).expect("planner loads");
    // More rounds give a profiler something to look at.
    let rounds: usize = std::env::var("LOCKGATE_BENCH_INSTANCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    for _ in 0..200 {
        drop(
            runtime
                .instantiate_idle(&plugin, idle_setup(store, &plugin))
                .await
                .expect("instantiates"),
        );
    }
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let setup = idle_setup(store, &plugin);
        let started = Instant::now();
        let live = runtime
            .instantiate_idle(&plugin, setup)
            .await
            .expect("instantiates");
        times.push(started.elapsed());
        drop(live);
    }
    times.sort();
    let mut bare = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let setup = idle_setup(store, &plugin);
        let started = Instant::now();
        runtime
            .instantiate_bare(&plugin, setup)
            .await
            .expect("instantiates");
        bare.push(started.elapsed());
    }
    bare.sort();
    println!(
        "  without the export lookup (store, instantiate, drop): p50 {:.1} µs",
        percentile(&bare, 0.5).as_secs_f64() * 1e6
    );
    let mut stores = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let setup = idle_setup(store, &plugin);
        let started = Instant::now();
        runtime.store_only(setup);
        stores.push(started.elapsed());
    }
    stores.sort();
    println!(
        "  of which building the store (WASI context, limits, policy): p50 {:.1} µs",
        percentile(&stores, 0.5).as_secs_f64() * 1e6
    );
    println!(
        "instantiate (pooling, fresh store, InstancePre): p50 {:.1} µs  p99 {:.1} µs  (n = {})",
        percentile(&times, 0.5).as_secs_f64() * 1e6,
        percentile(&times, 0.99).as_secs_f64() * 1e6,
        times.len()
    );
}

async fn live_instance_memory(store: &Store) {
    let runtime = Runtime::new(RuntimeConfig {
        max_instances: 600,
        max_memory_bytes: 64 << 20,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let plugin = runtime.load(PLANNER_EXPORT).expect("planner loads");
    drop(
        runtime
            .instantiate_idle(&plugin, idle_setup(store, &plugin))
            .await,
    );
    let before = rss_kib();
    let mut live = Vec::new();
    for _ in 0..500 {
        live.push(
            runtime
                .instantiate_idle(&plugin, idle_setup(store, &plugin))
                .await
                .expect("instantiates"),
        );
    }
    let after = rss_kib();
    println!(
        "resident memory per live instance: {:.0} KiB  ({} instances, RSS {} -> {} KiB)",
        (after.saturating_sub(before)) as f64 / live.len() as f64,
        live.len(),
        before,
        after
    );
}

async fn host_calls(runtime: &Runtime, store: &Store) {
    let bytes = std::fs::read(lockgate_tests::program("test-hostile")).expect("test program built");
    let plugin = runtime.load(&bytes).expect("loads");
    let time = |count: u64| {
        let store = store.clone();
        let plugin = plugin.clone();
        async move {
            let install = install(
                &store,
                &plugin,
                BTreeMap::from([
                    ("attack".to_string(), "host-calls".to_string()),
                    ("target".to_string(), "127.0.0.1:9".to_string()),
                    ("count".to_string(), count.to_string()),
                ]),
                &format!("calls-{count}"),
            )
            .await;
            let mut best = Duration::MAX;
            for _ in 0..5 {
                let summary = run_sync(
                    runtime,
                    RunRequest {
                        store: &store,
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
                assert_eq!(
                    summary.run.status, "successful",
                    "{:?}",
                    summary.run.failure_reason
                );
                best = best.min(Duration::from_millis(
                    summary.run.duration_ms.unwrap_or(0) as u64
                ));
            }
            best
        }
    };
    let n = 1_000_000u64;
    let base = time(0).await;
    let many = time(n).await;
    println!(
        "host call (config.get, string in and out): {:.3} µs per call  ({n} calls in {:?}, empty run {:?})",
        (many.saturating_sub(base)).as_secs_f64() * 1e6 / n as f64,
        many,
        base
    );
}

async fn install(
    store: &Store,
    plugin: &lockgate::runtime::Plugin,
    config: BTreeMap<String, String>,
    id: &str,
) -> InstallRecord {
    let record = InstallRecord {
        id: id.to_string(),
        tenant_id: TENANT.into(),
        connector_id: plugin.manifest.id.clone(),
        plugin_version: plugin.manifest.version.clone(),
        plugin_sha256: plugin.sha256.clone(),
        config,
        status: lockgate::vocabulary::InstallStatus::Connected,
        ..Default::default()
    };
    store.create_install(&record).await.expect("install");
    record
}

/// The planner export's first run, as native Rust against the same store
/// and partner: the baseline the plugin is compared with.
async fn native_planner_sync(store: &Store, url: &str, run_id: &str) -> usize {
    let vis = visibility(
        vec![Scope::EmployeesBasic, Scope::AbsencesRead],
        Some(lockgate_manifest::AbsenceWindow {
            past_days: 92,
            future_days: 184,
        }),
        "planner-export",
    );
    let today = lockgate::time::date_text(vis.today);
    let end = lockgate::time::date_text(lockgate::time::add_days(vis.today, 183));
    let mut departments: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut after = None;
    loop {
        let filter = EmployeeFilter {
            after_id: after.clone(),
            limit: 501,
            ..Default::default()
        };
        let mut page = store
            .visible_employees(&vis, &filter)
            .await
            .expect("employees");
        let more = page.len() > 500;
        page.truncate(500);
        after = page.last().map(|e| e.id.clone());
        for e in page {
            departments.insert(e.id, e.department);
        }
        if !more {
            break;
        }
    }
    let mut absences: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    let mut after = None;
    loop {
        let filter = AbsenceFilter {
            after_id: after.clone(),
            limit: 501,
            from: today.clone(),
            to: end.clone(),
            statuses: vec!["approved".into()],
            ..Default::default()
        };
        let mut page = store
            .visible_absences(&vis, &filter)
            .await
            .expect("absences");
        let more = page.len() > 500;
        page.truncate(500);
        after = page.last().map(|a| a.id.clone());
        for a in page {
            if departments.contains_key(&a.employee_id) {
                absences.entry(a.employee_id.clone()).or_default().push(serde_json::json!({
                    "externalId": a.id, "start": a.start_date, "end": a.end_date, "reason": a.type_name,
                    "halfDayStart": a.half_day_start, "halfDayEnd": a.half_day_end, "status": a.status,
                }));
            }
        }
        if !more {
            break;
        }
    }
    let client = reqwest::Client::new();
    let resources: Vec<serde_json::Value> = departments
        .into_iter()
        .map(|(id, department)| serde_json::json!({
            "absences": absences.remove(&id).unwrap_or_default(), "externalId": id, "department": department,
        }))
        .collect();
    let mut rows = Vec::new();
    let mut seq = 0;
    let mut sent = 0;
    for batch in resources.chunks(200) {
        let res: serde_json::Value = client
            .post(format!("{url}/api/v1/resources/batch"))
            .bearer_auth(DEMO_API_KEY)
            .json(&serde_json::json!({ "resources": batch }))
            .send()
            .await
            .expect("partner answers")
            .json()
            .await
            .expect("json");
        let answered: BTreeSet<String> = res["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["externalId"].as_str().unwrap_or_default().to_string())
            .collect();
        for item in res["results"].as_array().expect("results") {
            let id = item["externalId"].as_str().unwrap_or_default();
            let n = batch
                .iter()
                .find(|r| r["externalId"] == id)
                .map_or(0, |r| r["absences"].as_array().map_or(0, Vec::len));
            rows.push(RunRow {
                seq,
                recorded_at: lockgate::time::now_text(),
                employee_id: Some(id.to_string()),
                operation: if item["result"] == "created" {
                    lockgate::vocabulary::Operation::Provision
                } else {
                    lockgate::vocabulary::Operation::Update
                },
                status: lockgate::vocabulary::RowStatus::Success,
                message: format!("sent with {n} absence(s)"),
                partner_status: item["code"].as_i64(),
                partner_body: None,
            });
            seq += 1;
            if rows.len() == 500 {
                store
                    .insert_rows(run_id, &std::mem::take(&mut rows))
                    .await
                    .expect("rows");
            }
        }
        sent += answered.len();
    }
    store.insert_rows(run_id, &rows).await.expect("rows");
    sent
}

async fn sync_vs_native(runtime: &Runtime, store: &Store, employees: usize) {
    let partner = DemoPlanner::start().await.expect("demo planner");
    let plugin = runtime.load(PLANNER_EXPORT).expect("planner loads");
    let mut operator = OperatorPolicy::default();
    operator.allow(&partner.authority()).expect("allow");
    let limits = Limits {
        deadline: Duration::from_secs(600),
        max_requests: 100_000,
        ..Limits::default()
    };
    let mut plugin_times = Vec::new();
    let mut native_times = Vec::new();
    let mut sent = 0;
    for round in 0..3 {
        let install = install(
            store,
            &plugin,
            BTreeMap::from([("planner-url".to_string(), partner.url())]),
            &format!("sync-{round}"),
        )
        .await;
        let secrets = BTreeMap::from([("api-key".to_string(), DEMO_API_KEY.to_string())]);
        let started = Instant::now();
        let summary = run_sync(
            runtime,
            RunRequest {
                store,
                plugin: &plugin,
                install: &install,
                secrets: &secrets,
                sign_in_key: None,
                operator: operator.clone(),
                limits: limits.clone(),
                trigger: Trigger::Initial,
            },
        )
        .await
        .expect("run");
        plugin_times.push(started.elapsed());
        assert_eq!(
            summary.run.status, "successful",
            "{:?}",
            summary.run.failure_reason
        );
        sent = summary.total_rows as usize;

        let run = lockgate::store::RunRecord {
            id: format!("native-{round}"),
            install_id: install.id.clone(),
            tenant_id: TENANT.into(),
            connector_id: "planner-export".into(),
            plugin_version: "native".into(),
            kind: lockgate::vocabulary::JobKind::Sync,
            trigger: lockgate::vocabulary::RunTrigger::Initial,
            status: lockgate::vocabulary::RunStatus::Running,
            started_at: lockgate::time::now_text(),
            finished_at: None,
            duration_ms: None,
            failure_kind: None,
            failure_reason: None,
            requests: 0,
            peak_memory: 0,
            job_id: None,
            host: None,
        };
        store.create_run(&run).await.expect("run row");
        let started = Instant::now();
        let native_sent = native_planner_sync(store, &partner.url(), &run.id).await;
        native_times.push(started.elapsed());
        assert_eq!(native_sent, sent, "both send the same employees");
    }
    plugin_times.sort();
    native_times.sort();
    let (p, n) = (plugin_times[1], native_times[1]);
    println!(
        "sync of {employees} employees ({sent} visible) to a loopback partner, median of 3: plugin {:.2} s ({:.0} employees/s), native {:.2} s; plugin speed = {:.2}x native",
        p.as_secs_f64(),
        sent as f64 / p.as_secs_f64(),
        n.as_secs_f64(),
        n.as_secs_f64() / p.as_secs_f64()
    );
}

fn main() {
    let employees = shared::env_number("LOCKGATE_BENCH_EMPLOYEES", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    rt.block_on(async {
        // `LOCKGATE_BENCH_ONLY=tenants`: many small tenants drained by the
        // workers, `LOCKGATE_BENCH_TENANTS` (10 000) of them, once per
        // worker count in `LOCKGATE_BENCH_WORKERS` (2,8,32).
        if std::env::var("LOCKGATE_BENCH_ONLY").as_deref() == Ok("in-flight") {
            tenants::runs_in_flight(shared::env_number("LOCKGATE_BENCH_IN_FLIGHT", 1000)).await;
            return;
        }
        if std::env::var("LOCKGATE_BENCH_ONLY").as_deref() == Ok("tenants") {
            tenants::count_statements_if_asked();
            let workers: Vec<usize> = std::env::var("LOCKGATE_BENCH_WORKERS")
                .unwrap_or_else(|_| "2,8,32".into())
                .split(',')
                .map(|w| w.trim().parse().expect("LOCKGATE_BENCH_WORKERS: numbers"))
                .collect();
            tenants::many_tenants(
                shared::env_number("LOCKGATE_BENCH_TENANTS", 10_000),
                &workers,
            )
            .await;
            return;
        }
        let dir = std::env::temp_dir().join(format!("lockgate-bench-{}", std::process::id()));
        let seeded = Instant::now();
        let (store, data) = shared::seeded_store(&dir, TENANT, employees).await;
        println!(
            "seeded {employees} employees, {} absences in {:.1} s",
            data.absences.len(),
            seeded.elapsed().as_secs_f64()
        );

        let runtime = Runtime::new(RuntimeConfig {
            cache_dir: Some(dir.join("cache")),
            ..RuntimeConfig::default()
        })
        .expect("runtime");
        // `LOCKGATE_BENCH_ONLY=instantiate` measures just that (for profiling).
        match std::env::var("LOCKGATE_BENCH_ONLY").as_deref() {
            Ok("instantiate") => {
                instantiate(&runtime, &store).await;
                return;
            }
            Ok("events") => {
                events::event_latency(&dir).await;
                return;
            }
            Ok("sync") => {
                sync_vs_native(&runtime, &store, employees).await;
                let _ = std::fs::remove_dir_all(&dir);
                return;
            }
            // `hostile-deny-loop`, `hostile-hold-fields[:KIB]`,
            // `hostile-hold-requests[:KIB]`.
            Ok(only) if only.starts_with("hostile-") => {
                hostile::hostile(&runtime, &store, &only["hostile-".len()..]).await;
                return;
            }
            _ => {}
        }
        instantiate(&runtime, &store).await;
        host_calls(&runtime, &store).await;
        sync_vs_native(&runtime, &store, employees).await;
        live_instance_memory(&store).await;
        events::event_latency(&dir).await;
        let _ = std::fs::remove_dir_all(&dir);
    });
}
