//! Many tenants on one node: `tenants` tenants of 50 employees, each with
//! a connected planner export whose daily sync is due at the same moment.
//! The host's scheduler enqueues the due slots and its workers drain them,
//! as `lockgate serve` runs them. Timed from starting them until every
//! install has had its run and no job is left; each worker count gets a
//! fresh database.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use lockgate::app::App;
use lockgate::demo::DemoPlanner;
use lockgate::policy::OperatorPolicy;
use lockgate::worker::WorkerConfig;
use lockgate_tests::TempDir;
use lockgate_tests::fleet::{count_of, job_and_run_counts as counts, open_jobs, planner_tenants};

use super::status_kib;

/// A host on a fresh database with `tenants` tenants and their installs,
/// each sending to the planner at `planner` (an authority on loopback).
async fn host(dir: &TempDir, tenants: usize, workers: usize, planner: &str) -> App {
    let mut operator = OperatorPolicy::default();
    operator.allow(planner).expect("allow");
    let db = lockgate_tests::test_database_url(dir).await;
    let mut config = lockgate_tests::app::test_config(&db, dir, operator);
    config.runtime.max_instances = workers.max(8) as u32;
    let app = App::build(config).await.expect("the app builds");
    // Every daily slot is due now.
    let due = lockgate::time::now_text();
    planner_tenants(&app, tenants, planner, Some(&due)).await;
    app
}

pub async fn many_tenants(tenants: usize, worker_counts: &[usize]) {
    println!(
        "{tenants} tenants of 50 employees, every planner export's daily sync due at once ({}):",
        if std::env::var(lockgate_tests::database::POSTGRES_URL_VAR).is_ok_and(|u| !u.is_empty()) {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    for &workers in worker_counts {
        let dir = TempDir::new();
        let started = Instant::now();
        let planner = DemoPlanner::start().await.expect("demo planner");
        let app = host(&dir, tenants, workers, &planner.authority()).await;
        let setup = started.elapsed();
        let rss_before = status_kib("VmRSS:");
        let started = Instant::now();
        let running = lockgate::worker::start(
            app.clone(),
            WorkerConfig {
                workers,
                lease: Duration::from_secs(60),
                poll: Duration::from_millis(50),
                retry_later: Duration::from_secs(30),
            },
        );
        let statements_before = statements();
        statement_kinds();
        let mut polls = 0;
        let (jobs, runs) = loop {
            let (jobs, runs) = counts(&app).await;
            polls += 1;
            let finished = runs.iter().map(|(_, n)| n).sum::<i64>() - count_of(&runs, "running");
            if open_jobs(&jobs) == 0 && finished as usize >= tenants {
                break (jobs, runs);
            }
            // Often enough to time a short drain, rarely enough not to
            // weigh on a long one (each look counts two tables).
            tokio::time::sleep(
                (started.elapsed() / 100)
                    .clamp(Duration::from_millis(10), Duration::from_millis(250)),
            )
            .await;
        };
        let wall = started.elapsed();
        // Two statements per look above are the bench's own.
        let statements = statements().saturating_sub(statements_before + 2 * polls);
        running.stop(Duration::from_secs(5)).await;
        let successful = count_of(&runs, "successful");
        println!(
            "  {workers:>3} workers: {:.1} s, {:.0} runs/s; jobs {jobs:?}, runs {runs:?}; RSS {} -> peak {} MiB (setup {:.0} s)",
            wall.as_secs_f64(),
            tenants as f64 / wall.as_secs_f64(),
            rss_before >> 10,
            status_kib("VmHWM:") >> 10,
            setup.as_secs_f64(),
        );
        if counting() {
            println!(
                "       {statements} statements, {:.1} per run (the scheduler's included)",
                statements as f64 / tenants as f64
            );
            for (text, n) in statement_kinds() {
                println!("       {n:>8}  {text}");
            }
        }
        let done = count_of(&jobs, "done");
        assert_eq!(done as usize, tenants, "one scheduled job per install");
        assert_eq!(
            successful as usize, tenants,
            "every job ran once and succeeded"
        );
    }
}

/// Whether the bench counts the statements the host runs
/// (`LOCKGATE_BENCH_COUNT_STATEMENTS=1`): sqlx reports each one as a
/// `sqlx::query` event, which costs time, so only on request.
fn counting() -> bool {
    std::env::var("LOCKGATE_BENCH_COUNT_STATEMENTS").is_ok_and(|v| v == "1")
}

static STATEMENTS: AtomicU64 = AtomicU64::new(0);

/// Statements by their first words, while counting.
static BY_TEXT: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

/// The start of an event's `summary` field.
struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.0 = value.chars().take(60).collect();
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}").chars().take(60).collect();
        }
    }
}

/// The statements run so far, most frequent first.
fn statement_kinds() -> Vec<(String, u64)> {
    let mut kinds: Vec<_> = std::mem::take(&mut *BY_TEXT.lock().expect("counts"))
        .into_iter()
        .collect();
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    kinds
}

fn statements() -> u64 {
    STATEMENTS.load(Ordering::Relaxed)
}

/// Counts sqlx's `sqlx::query` events, one per statement run.
struct CountStatements;

impl<S: tracing::Subscriber> Layer<S> for CountStatements {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            STATEMENTS.fetch_add(1, Ordering::Relaxed);
            let mut summary = Summary(String::new());
            event.record(&mut summary);
            *BY_TEXT
                .lock()
                .expect("counts")
                .entry(summary.0)
                .or_default() += 1;
        }
    }
}

/// Installs the statement counter, when asked for.
pub fn count_statements_if_asked() {
    if counting() {
        let only_statements = Targets::new().with_target("sqlx::query", LevelFilter::TRACE);
        tracing_subscriber::registry()
            .with(CountStatements.with_filter(only_statements))
            .init();
    }
}

/// A planner that holds every batch of resources until `n` are waiting
/// at once, then answers them all: the proof that `n` runs were in flight
/// together, each with its instance, HR pages and request.
struct Gate {
    authority: String,
    opened_at: Arc<Mutex<Option<Instant>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Gate {
    async fn start(n: usize) -> Gate {
        let waiting = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(tokio::sync::Notify::new());
        let opened_at: Arc<Mutex<Option<Instant>>> = Arc::default();
        let batch = {
            let opened_at = opened_at.clone();
            move |Json(body): Json<Value>| {
                let (waiting, open, opened_at) = (waiting.clone(), open.clone(), opened_at.clone());
                async move {
                    let notified = open.notified();
                    if waiting.fetch_add(1, Ordering::SeqCst) + 1 >= n {
                        opened_at
                            .lock()
                            .expect("gate")
                            .get_or_insert_with(Instant::now);
                        open.notify_waiters();
                    } else if opened_at.lock().expect("gate").is_none() {
                        notified.await;
                    }
                    let results: Vec<Value> = body["resources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| json!({ "externalId": r["externalId"], "code": 201, "result": "created" }))
                    .collect();
                    Json(json!({ "results": results }))
                }
            }
        };
        let app = Router::new().route("/api/v1/resources/batch", post(batch));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let authority = listener.local_addr().expect("address").to_string();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Gate {
            authority,
            opened_at,
            _server: server,
        }
    }
}

/// `in_flight` runs at once: that many tenants and workers, every run
/// held at its partner request until all of them are waiting there. Peak
/// RSS then is what that many live instances, with their stores and
/// requests, cost the host.
pub async fn runs_in_flight(in_flight: usize) {
    let dir = TempDir::new();
    let gate = Gate::start(in_flight).await;
    let app = host(&dir, in_flight, in_flight, &gate.authority).await;
    let rss_before = status_kib("VmRSS:");
    let started = Instant::now();
    let running = lockgate::worker::start(
        app.clone(),
        WorkerConfig {
            workers: in_flight,
            lease: Duration::from_secs(120),
            poll: Duration::from_millis(50),
            retry_later: Duration::from_secs(30),
        },
    );
    loop {
        let (jobs, _) = counts(&app).await;
        if open_jobs(&jobs) == 0 && count_of(&jobs, "done") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let wall = started.elapsed();
    running.stop(Duration::from_secs(5)).await;
    let (jobs, runs) = counts(&app).await;
    let opened = gate
        .opened_at
        .lock()
        .expect("gate")
        .map(|at| at.duration_since(started).as_secs_f64());
    println!(
        "{in_flight} runs in flight at once (SQLite, {in_flight} workers, pool of {in_flight} instances): \
         all waiting at the partner after {}, done after {:.1} s; RSS {} -> peak {} MiB; jobs {jobs:?}, runs {runs:?}",
        opened.map_or("never".to_string(), |s| format!("{s:.1} s")),
        wall.as_secs_f64(),
        rss_before >> 10,
        status_kib("VmHWM:") >> 10,
    );
    assert!(
        opened.is_some(),
        "all {in_flight} runs were in flight at once"
    );
    let successful = count_of(&runs, "successful");
    assert_eq!(successful as usize, in_flight, "every run succeeded");
}
