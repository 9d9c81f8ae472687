//! What the host decides by its clock, tested by moving the app's clock
//! (`App::clock`) rather than by editing records: a daily schedule runs
//! once a day, and a webhook delivery keeps the instant it was received
//! however late a worker handles it.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use lockgate::app::App;
use lockgate::store::{InstallRecord, Job, TenantSettings};
use lockgate::time::{add_days, date_text, today};
use lockgate::vocabulary::{InstallStatus, RunTrigger};
use lockgate::webhooks::{RECEIVED_AT_HEADER, SIGNATURE_HEADER};
use lockgate::worker::{WorkerConfig, schedule_due};
use lockgate_tests::{TempDir, jobs_settled, spawn_app_with, tenant_token, test_database_url};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

use crate::helpers::{FakePlanner, PLANNER_KEY};
use crate::platform::{TENANT, connect, finished_runs};

fn at(day: Date, hour: u8, minute: u8, second: u8) -> OffsetDateTime {
    day.with_hms(hour, minute, second).unwrap().assume_utc()
}

/// The planner export's daily slot (`daily@03:00`) on `day`, as stored.
fn slot(day: Date) -> String {
    format!("{}T03:00:00.000000Z", date_text(day))
}

/// The install's scheduled jobs, oldest slot first.
async fn scheduled(app: &App, install: &str) -> Vec<Job> {
    let mut jobs: Vec<Job> = app
        .store
        .install_jobs(install, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.trigger == RunTrigger::Scheduled)
        .collect();
    jobs.sort_by(|a, b| a.due_at.cmp(&b.due_at));
    jobs
}

async fn next_run_at(app: &App, install: &str) -> Option<String> {
    app.store
        .install(install)
        .await
        .unwrap()
        .unwrap()
        .next_run_at
}

#[tokio::test]
async fn the_daily_schedule_runs_once_a_day_as_the_clock_moves() {
    let planner = FakePlanner::start().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&planner.addr.to_string()).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 30, 4)
        .await
        .unwrap();
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let admin = tenant_token(&app, TENANT, true).await;
    // Ten days back: workers lease by the system clock, so the slots the
    // schedule queues are due for them at once and run against the planner.
    let start = add_days(today(), -10);
    let day = |n: i64| add_days(start, n);
    app.clock.set(at(day(0), 12, 0, 0));
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    assert_eq!(
        finished_runs(&app, &admin, &id, 1).await[0]["trigger"],
        "initial"
    );
    assert_eq!(next_run_at(&app, &id).await, Some(slot(day(1))));

    // Just before the slot: nothing.
    app.clock.set(at(day(1), 2, 59, 59));
    assert_eq!(schedule_due(&app).await.unwrap(), 0);
    assert!(scheduled(&app, &id).await.is_empty());

    // At the slot: one run, and the next slot is the next day's. (The
    // app's own scheduler reads the same clock and may claim it first;
    // either way it is claimed once.)
    app.clock.set(at(day(1), 3, 0, 0));
    schedule_due(&app).await.unwrap();
    let jobs = scheduled(&app, &id).await;
    assert_eq!(
        jobs.iter().map(|j| j.due_at.as_str()).collect::<Vec<_>>(),
        [slot(day(1))]
    );
    assert_eq!(next_run_at(&app, &id).await, Some(slot(day(2))));

    // Later the same day: nothing more.
    for (h, m, s) in [(3, 0, 1), (12, 0, 0), (23, 59, 59)] {
        app.clock.set(at(day(1), h, m, s));
        assert_eq!(schedule_due(&app).await.unwrap(), 0, "{h}:{m}:{s}");
    }
    assert_eq!(scheduled(&app, &id).await.len(), 1);

    // The next day: one more.
    app.clock.set(at(day(2), 3, 0, 0));
    schedule_due(&app).await.unwrap();
    let jobs = scheduled(&app, &id).await;
    assert_eq!(
        jobs.iter().map(|j| j.due_at.as_str()).collect::<Vec<_>>(),
        [slot(day(1)), slot(day(2))]
    );
    assert_eq!(next_run_at(&app, &id).await, Some(slot(day(3))));

    // A host that was down for days runs the missed schedule once when it
    // is back, and goes on from the next slot to come.
    app.clock.set(at(day(5), 9, 30, 0));
    schedule_due(&app).await.unwrap();
    assert_eq!(schedule_due(&app).await.unwrap(), 0);
    let jobs = scheduled(&app, &id).await;
    assert_eq!(jobs.len(), 3, "{jobs:?}");
    assert_eq!(jobs[2].due_at, slot(day(3)));
    assert_eq!(next_run_at(&app, &id).await, Some(slot(day(6))));

    // Every queued slot ran once.
    let jobs = jobs_settled(&app.store, &id).await;
    assert_eq!(jobs.len(), 4, "the initial sync and three slots: {jobs:?}");
    assert!(
        jobs.iter().all(|j| j.status == "done" && j.attempts == 1),
        "{jobs:?}"
    );
    let runs = finished_runs(&app, &admin, &id, 4).await;
    let triggers: Vec<&str> = runs
        .iter()
        .map(|r| r["trigger"].as_str().unwrap())
        .collect();
    assert_eq!(triggers, ["scheduled", "scheduled", "scheduled", "initial"]);
    assert!(runs.iter().all(|r| r["status"] == "successful"), "{runs:?}");
}

/// Signs and hands `body` to the host as the tracker would send it, with
/// `extra` headers.
async fn deliver(app: &App, install: &str, secret: &str, body: &Value, extra: &[(&str, &str)]) {
    let bytes = body.to_string().into_bytes();
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let signature = lockgate::webhooks::sign(secret, &bytes);
    headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
    for (name, value) in extra {
        let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
        headers.insert(name, value.parse().unwrap());
    }
    lockgate::webhooks::accept(app, install, "POST", "/".into(), &headers, &bytes)
        .await
        .expect("accepted");
}

fn hired(
    id: &str,
    first: &str,
    last: &str,
    department: Option<&str>,
    start: Option<&str>,
) -> Value {
    json!({
        "column": "hired",
        "candidate": {
            "id": id, "first_name": first, "last_name": last,
            "personal_email": format!("{id}@example.org"),
            "department": department, "contract_type": "permanent", "contract_start": start,
        }
    })
}

#[tokio::test]
async fn a_hire_received_before_midnight_starts_on_the_day_it_was_received() {
    hire_before_midnight_scenario(lockgate::demo::ATS_HIRE).await;
}

#[tokio::test]
async fn a_hire_received_before_midnight_starts_on_that_day_in_python_too() {
    hire_before_midnight_scenario(&crate::connectors::ats_hire_py()).await;
}

/// ats-hire (or a port of it, in `component`) creates a hire delivered
/// just before midnight and handled after it with the day it was received.
async fn hire_before_midnight_scenario(component: &[u8]) {
    // A host whose workers start only after the deliveries were queued.
    let dir = TempDir::new();
    let config =
        lockgate_tests::app::test_config(&test_database_url(&dir).await, &dir, Default::default());
    let app = App::build(config).await.expect("the app builds");
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 3)
        .await
        .unwrap();
    crate::connectors::publish_first_party(&app, component).await;
    let defaults = TenantSettings {
        default_department: Some("Onboarding".into()),
        ..Default::default()
    };
    app.store
        .set_tenant_settings(TENANT, &defaults)
        .await
        .unwrap();
    let plugin = app.runtime.load(component).unwrap();
    let install = InstallRecord {
        id: "i-ats".into(),
        tenant_id: TENANT.into(),
        connector_id: plugin.manifest.id.clone(),
        plugin_version: plugin.manifest.version.clone(),
        plugin_sha256: plugin.sha256.clone(),
        status: InstallStatus::Connected,
        ..Default::default()
    };
    app.store.put_install(&install).await.unwrap();
    let secret = lockgate::webhooks::issue_secret(&app, &install.id)
        .await
        .unwrap();

    // Received one second before midnight (yesterday, so that the workers,
    // which run now, handle them after that midnight).
    let received = add_days(today(), -1);
    app.clock.set(at(received, 23, 59, 59));
    let zoe = hired("c-7", "Zoë", "Van den Berg", Some("Engineering"), None);
    // A receipt the caller claims is not taken.
    let forged = [(RECEIVED_AT_HEADER, "2001-01-01T00:00:00Z")];
    deliver(&app, &install.id, &secret, &zoe, &forged).await;
    let theo = hired("c-8", "Théo", "Martin", None, Some("2027-01-04"));
    deliver(&app, &install.id, &secret, &theo, &[]).await;

    app.clock.set(at(add_days(received, 1), 0, 0, 30));
    let workers = WorkerConfig {
        poll: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    lockgate::worker::start(app.clone(), workers);
    let jobs = jobs_settled(&app.store, &install.id).await;
    let receipt = format!("{}T23:59:59.000000Z", date_text(received));
    assert_eq!(jobs.len(), 2);
    assert!(
        jobs.iter()
            .all(|j| j.status == "done" && j.due_at == receipt),
        "{jobs:?}"
    );
    for run in app.store.runs_of_install(&install.id).await.unwrap() {
        assert_eq!(run.status, "successful", "{run:?}");
        assert!(run.started_at > receipt, "handled after midnight: {run:?}");
    }

    let employees = app.store.all_employees(TENANT).await.unwrap();
    let created = |last: &str| {
        employees
            .iter()
            .find(|e| e.last_name == last)
            .unwrap_or_else(|| panic!("{last} was created"))
    };
    let zoe = created("Van den Berg");
    assert_eq!(zoe.department.as_deref(), Some("Engineering"));
    assert_eq!(
        zoe.hire_date,
        date_text(received),
        "the day the hire came in"
    );
    assert_eq!(zoe.contract_type.as_deref(), Some("permanent"));
    let theo = created("Martin");
    assert_eq!(
        theo.department.as_deref(),
        Some("Onboarding"),
        "the tenant's default"
    );
    assert_eq!(theo.hire_date, "2027-01-04", "the tracker's contract start");
}

#[tokio::test]
async fn a_hire_without_a_start_date_starts_on_the_day_it_was_received() {
    // The host's own default, for a connector that gives no start date:
    // the delivery's receipt day, not the day a worker handles it.
    let (addr, _) = crate::events::partner().await;
    let dir = TempDir::new();
    let mut config =
        lockgate_tests::app::test_config(&test_database_url(&dir).await, &dir, Default::default());
    config.operator.allow(&addr).unwrap();
    let app = App::build(config).await.expect("the app builds");
    crate::events::install_events_connector(&app, &addr).await;
    let secret = lockgate::webhooks::issue_secret(&app, "inst-events")
        .await
        .unwrap();
    let received = add_days(today(), -1);
    app.clock.set(at(received, 23, 59, 59));
    let hire = json!({ "key": "h-1", "first_name": "Ines", "last_name": "Receipt" });
    deliver(&app, "inst-events", &secret, &hire, &[]).await;

    app.clock.set(at(add_days(received, 1), 0, 0, 30));
    let workers = WorkerConfig {
        poll: Duration::from_millis(50),
        ..WorkerConfig::default()
    };
    lockgate::worker::start(app.clone(), workers);
    let jobs = jobs_settled(&app.store, "inst-events").await;
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");
    let employees = app
        .store
        .all_employees(crate::platform::TENANT)
        .await
        .unwrap();
    let ines = employees
        .iter()
        .find(|e| e.last_name == "Receipt")
        .expect("the hire was created");
    assert_eq!(ines.hire_date, date_text(received));
}
