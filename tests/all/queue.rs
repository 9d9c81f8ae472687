//! The job queue shared by replicas: several hosts on one database run
//! every due job exactly once.

use lockgate_tests::{eventually, jobs_settled};

use crate::helpers::{FakePlanner, PLANNER_KEY};
use crate::platform::{connect, finished_runs, listed_app};

#[tokio::test]
async fn replicas_run_every_due_job_exactly_once() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let _second = app.replica().await;
    let _third = app.replica().await;

    // Many installs (one per tenant), all due at once.
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let template = app
        .store
        .install(install["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    finished_runs(&app, &admin, &template.id, 1).await;
    let due = lockgate::time::now_text();
    let mut ids = Vec::new();
    for n in 0..24 {
        let tenant = format!("r-{n}");
        lockgate::sandbox::ensure_tenant(&app.store, &tenant, 3, n)
            .await
            .unwrap();
        let record = lockgate::store::InstallRecord {
            id: format!("inst-r-{n}"),
            tenant_id: tenant,
            next_run_at: Some(due.clone()),
            ..template.clone()
        };
        let sealed = app.store.install_secrets(&template.id).await.unwrap();
        // Sealed secrets are bound to their install: seal them again.
        let secrets = app
            .secrets
            .open(&template.id, sealed.as_deref().unwrap())
            .unwrap();
        let resealed = app.secrets.seal(&record.id, &secrets);
        app.store
            .create_install_sealed(&record, Some(&resealed))
            .await
            .unwrap();
        ids.push(record.id);
    }
    for id in &ids {
        let runs = eventually("the scheduled run", || async {
            let runs = app.store.runs_of_install(id).await.unwrap();
            (runs.len() == 1 && runs[0].status != "running").then_some(runs)
        })
        .await;
        assert_eq!(runs[0].status, "successful", "{:?}", runs[0]);
        assert_eq!(runs[0].trigger.as_str(), "scheduled");
    }
    // Nothing more can run: each install's due slot is claimed (its next
    // run moved on, so no scheduler enqueues that slot again) and none of
    // its jobs is queued or leased. Only then count.
    for id in &ids {
        eventually("the due slot to be claimed", || async {
            let record = app.store.install(id).await.unwrap().unwrap();
            (record.next_run_at.as_deref() != Some(due.as_str())).then_some(())
        })
        .await;
        let jobs = jobs_settled(&app.store, id).await;
        assert_eq!(jobs.len(), 1, "{id}: {jobs:?}");
        assert_eq!(jobs[0].attempts, 1, "{id}: leased once");
        assert_eq!(jobs[0].status, "done", "{id}: {jobs:?}");
        assert_eq!(
            app.store.runs_of_install(id).await.unwrap().len(),
            1,
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_clean_stop_hands_a_run_in_flight_to_another_host_at_once() {
    // The partner stalls: the first host's run cannot finish.
    let planner = FakePlanner::start().await;
    planner.state.lock().unwrap().stall = true;
    let (_dir, config, first) = planner_host(&planner).await;
    let install = planner_install(&first, &planner, "inst-stop", 20).await;
    // A long lease: only a hand-back lets another host take the job soon.
    let workers = |lease| lockgate::worker::WorkerConfig {
        workers: 1,
        lease,
        poll: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    let lease = std::time::Duration::from_secs(120);
    let job_id = sync_now(&first, &install).await;
    let running = lockgate::worker::start(first.clone(), workers(lease));
    let host_a = running.host().to_string();

    // While it runs, the job shows its run, and the run its host.
    let stalled_run = eventually("the run to start", || async {
        let job = first.store.job(&job_id).await.unwrap().unwrap();
        let run = first.store.run(job.run_id.as_deref()?).await.unwrap()?;
        (run.status == "running").then_some(run)
    })
    .await;
    assert!(
        stalled_run
            .host
            .as_deref()
            .unwrap_or("")
            .starts_with(&host_a),
        "{stalled_run:?}"
    );

    let stopped = running.stop(std::time::Duration::from_millis(300)).await;
    assert_eq!(stopped.handed_back, 1, "{stopped:?}");
    let job = first.store.job(&job_id).await.unwrap().unwrap();
    assert_eq!(job.status, "queued", "back in the queue: {job:?}");
    assert_eq!(job.attempts, 0, "a clean stop is not an attempt: {job:?}");
    let left = first.store.run(&stalled_run.id).await.unwrap().unwrap();
    assert_eq!(left.status, "failed");
    assert!(
        left.failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("handed to another host"),
        "{left:?}"
    );

    // Another host takes it at once, long before the lease would have run out.
    planner.state.lock().unwrap().stall = false;
    let second = lockgate::app::App::build(config).await.unwrap();
    let taken_at = std::time::Instant::now();
    let other = lockgate::worker::start(second.clone(), workers(lease));
    let host_b = other.host().to_string();
    let (done, run) = finished_job(&second, &job_id).await;
    assert!(taken_at.elapsed() < lease / 4, "{:?}", taken_at.elapsed());
    assert_eq!(done.attempts, 1);
    assert_eq!(run.status, "successful", "{run:?}");
    assert!(
        run.host.as_deref().unwrap_or("").starts_with(&host_b),
        "{run:?}"
    );
    assert_ne!(host_a, host_b);
}

#[tokio::test]
async fn a_run_taken_over_continues_from_its_last_checkpoint() {
    // 900 employees go in batches of 200; the planner answers two batches
    // and then stalls, so the first host is stopped in the middle.
    let planner = FakePlanner::start().await;
    planner.state.lock().unwrap().stall_after = Some(2);
    let (_dir, config, first) = planner_host(&planner).await;
    let install = planner_install(&first, &planner, "inst-resume", 900).await;
    let workers = lockgate::worker::WorkerConfig {
        workers: 1,
        lease: std::time::Duration::from_secs(120),
        poll: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    let job_id = sync_now(&first, &install).await;
    let running = lockgate::worker::start(first.clone(), workers.clone());
    eventually("two batches answered and checkpointed", || async {
        let answered = planner.state.lock().unwrap().batches_answered;
        let state = first.store.state(&install.id).await.unwrap()?;
        (answered == 2 && state.contains("sent_through")).then_some(())
    })
    .await;
    let stopped = running.stop(std::time::Duration::from_millis(200)).await;
    assert_eq!(stopped.handed_back, 1, "{stopped:?}");
    let sent_before = planner.state.lock().unwrap().attempted.clone();
    assert_eq!(sent_before.len(), 400);

    planner.state.lock().unwrap().stall_after = None;
    let second = lockgate::app::App::build(config).await.unwrap();
    let other = lockgate::worker::start(second.clone(), workers);
    let (_, run) = finished_job(&second, &job_id).await;
    other.stop(std::time::Duration::from_secs(5)).await;
    assert_eq!(run.status, "successful", "{run:?}");

    // Nobody the planner already answered was sent again, and nobody was
    // left out: the two runs together sent each employee once.
    let attempted = planner.state.lock().unwrap().attempted.clone();
    let unique: std::collections::BTreeSet<_> = attempted.iter().collect();
    assert_eq!(unique.len(), attempted.len(), "sent twice: {attempted:?}");
    assert!(attempted.len() > 400, "{}", attempted.len());
    let rows = second
        .store
        .run_rows(&run.id, None, None, None, 1000)
        .await
        .unwrap();
    assert_eq!(rows.len(), attempted.len() - 400, "the second run's rows");
    assert!(
        rows.iter()
            .all(|r| !sent_before.contains(r.employee_id.as_ref().unwrap()))
    );
    let log = second.store.run_logs(&run.id).await.unwrap();
    assert!(
        log.iter().any(
            |l| l.message.contains("400 employee(s)") && l.message.contains("already answered")
        ),
        "{log:?}"
    );
    // The finished run leaves a plain cursor: the next run is incremental.
    let state = second.store.state(&install.id).await.unwrap().unwrap();
    assert!(!state.contains("sent_through"), "{state}");
}

/// A host of its own database that may reach `planner` and holds the
/// planner export's file; its config, to start more hosts on that database.
async fn planner_host(
    planner: &FakePlanner,
) -> (
    lockgate_tests::TempDir,
    lockgate::app::AppConfig,
    lockgate::app::App,
) {
    let dir = lockgate_tests::TempDir::new();
    let mut config = lockgate_tests::app::test_config(
        &lockgate_tests::test_database_url(&dir).await,
        &dir,
        lockgate::policy::OperatorPolicy::default(),
    );
    config.operator.allow(&planner.addr.to_string()).unwrap();
    let app = lockgate::app::App::build(config.clone()).await.unwrap();
    app.artifacts
        .put(lockgate::demo::PLANNER_EXPORT)
        .await
        .unwrap();
    (dir, config, app)
}

/// The planner export installed and connected as `id` for a seeded tenant
/// of its own, sending to `planner`; its file is not stored here.
async fn planner_install(
    app: &lockgate::app::App,
    planner: &FakePlanner,
    id: &str,
    employees: usize,
) -> lockgate::store::InstallRecord {
    let tenant = format!("t-{id}");
    lockgate::sandbox::ensure_tenant(&app.store, &tenant, employees, 4)
        .await
        .unwrap();
    let install = lockgate::store::InstallRecord {
        id: id.into(),
        tenant_id: tenant,
        connector_id: "planner-export".into(),
        plugin_version: "0.1.0".into(),
        plugin_sha256: lockgate_manifest::inspect(lockgate::demo::PLANNER_EXPORT).sha256,
        config: [("planner-url".to_string(), planner.url())].into(),
        status: lockgate::vocabulary::InstallStatus::Connected,
        ..Default::default()
    };
    let secrets = [("api-key".to_string(), PLANNER_KEY.to_string())].into();
    let sealed = app.secrets.seal(&install.id, &secrets);
    app.store
        .create_install_sealed(&install, Some(&sealed))
        .await
        .unwrap();
    install
}

/// The job once done, and its run.
async fn finished_job(
    app: &lockgate::app::App,
    job_id: &str,
) -> (lockgate::store::Job, lockgate::store::RunRecord) {
    let done = eventually("the job to run", || async {
        let job = app.store.job(job_id).await.unwrap().unwrap();
        (job.status == "done").then_some(job)
    })
    .await;
    let run = app
        .store
        .run(done.run_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    (done, run)
}

/// Queues a manual sync of `install`; returns the job's id.
async fn sync_now(app: &lockgate::app::App, install: &lockgate::store::InstallRecord) -> String {
    app.enqueue(&lockgate::store::NewJob {
        install_id: install.id.clone(),
        tenant_id: install.tenant_id.clone(),
        kind: lockgate::vocabulary::JobKind::Sync,
        trigger: lockgate::vocabulary::RunTrigger::Manual,
        payload: None,
        dedupe_key: None,
        delivery_digest: None,
        due_at: lockgate::time::now_text(),
    })
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn a_job_whose_build_this_host_cannot_read_waits_and_then_runs() {
    let planner = FakePlanner::start().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&planner.addr.to_string()).unwrap();
    let app = lockgate_tests::spawn_app_with(operator).await;
    // The install's build is not in the database (yet).
    let install = planner_install(&app, &planner, "inst-later", 20).await;
    let job_id = sync_now(&app, &install).await;
    let waiting = eventually("the job to be put back", || async {
        let job = app.store.job(&job_id).await.unwrap().unwrap();
        (job.status == "queued" && job.last_error.is_some()).then_some(job)
    })
    .await;
    assert!(
        waiting
            .last_error
            .as_deref()
            .unwrap()
            .contains("cannot be read here"),
        "{waiting:?}"
    );
    assert_eq!(waiting.attempts, 0, "nothing ran: {waiting:?}");
    assert!(
        app.store
            .runs_of_install(&install.id)
            .await
            .unwrap()
            .is_empty(),
        "no run failed for it"
    );
    let record = app.store.install(&install.id).await.unwrap().unwrap();
    assert_eq!(record.status, "connected");

    // Once the build can be read, the same job runs.
    app.artifacts
        .put(lockgate::demo::PLANNER_EXPORT)
        .await
        .unwrap();
    let (_, run) = finished_job(&app, &job_id).await;
    assert_eq!(run.status, "successful", "{run:?}");
}

/// A store with tenant `t-1` and an install of it for each id.
async fn store_with_installs(
    dir: &lockgate_tests::TempDir,
    ids: &[&str],
) -> lockgate::store::Store {
    let store = lockgate_tests::test_store(dir).await;
    store.create_tenant("t-1", "Acme").await.unwrap();
    for id in ids {
        store
            .create_install(&lockgate::store::InstallRecord {
                id: id.to_string(),
                tenant_id: "t-1".into(),
                connector_id: "ats-hire".into(),
                plugin_version: "0.1.0".into(),
                plugin_sha256: "0".repeat(64),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    store
}

/// A job for `install` with an optional dedupe key.
fn manual_job(install: &str, dedupe_key: Option<String>) -> lockgate::store::NewJob {
    lockgate::store::NewJob {
        install_id: install.to_string(),
        tenant_id: "t-1".into(),
        kind: lockgate::vocabulary::JobKind::Sync,
        trigger: lockgate::vocabulary::RunTrigger::Manual,
        payload: None,
        dedupe_key,
        delivery_digest: None,
        due_at: "2999-01-01T00:00:00.000000Z".into(),
    }
}

/// Jobs enqueued at the same moment share transactions, yet each caller
/// learns its own job's fate: all are stored, a key repeated inside the
/// burst is stored once, and a job the database refuses (its install does
/// not exist) fails alone without taking the others with it.
#[tokio::test]
async fn a_burst_of_jobs_is_committed_together_and_a_refused_one_fails_alone() {
    let dir = lockgate_tests::TempDir::new();
    let store = store_with_installs(&dir, &["inst-burst"]).await;
    let mut jobs: Vec<_> = (0..300)
        .map(|n| manual_job("inst-burst", Some(format!("burst-{}", n.min(298)))))
        .collect();
    jobs.insert(150, manual_job("inst-missing", None));
    let tasks: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let store = store.clone();
            tokio::spawn(async move { store.enqueue(&job).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    assert!(answers[150].is_err(), "a job of no install is refused");
    let ids: Vec<_> = answers
        .iter()
        .enumerate()
        .filter(|(n, _)| *n != 150)
        .map(|(_, a)| a.as_ref().expect("the others are stored").clone())
        .collect();
    assert_eq!(
        ids.iter().filter(|id| id.is_none()).count(),
        1,
        "the repeated key is stored once"
    );
    let stored = store.install_jobs("inst-burst", 1_000).await.unwrap();
    assert_eq!(stored.len(), 299);
    for id in ids.into_iter().flatten() {
        assert!(stored.iter().any(|j| j.id == id), "{id} is stored");
    }
}

/// A delivery queued before jobs carried their body digest in a column is
/// still recognised when the same body comes again.
#[tokio::test]
async fn a_delivery_queued_before_digests_had_a_column_is_still_a_replay() {
    let dir = lockgate_tests::TempDir::new();
    let store = store_with_installs(&dir, &["inst-hooks", "inst-other"]).await;
    let (old, new) = ("ab".repeat(32), "cd".repeat(32));
    let mut job = manual_job("inst-hooks", None);
    job.kind = lockgate::vocabulary::JobKind::Webhook;
    job.trigger = lockgate::vocabulary::RunTrigger::Webhook;
    job.payload = Some(format!(
        r#"{{"method":"POST","path":"/","headers":[],"body":"","digest":"{old}"}}"#
    ));
    store.enqueue(&job).await.unwrap();
    job.delivery_digest = Some(new.clone());
    store.enqueue(&job).await.unwrap();
    let replay = |install: &'static str, digest: String| {
        let store = store.clone();
        async move {
            let target = store.webhook_target(install, &digest).await.unwrap();
            target.expect("the install").delivered_before
        }
    };
    assert!(replay("inst-hooks", old).await, "found in the payload");
    assert!(
        replay("inst-hooks", new.clone()).await,
        "found in the digest column"
    );
    assert!(!replay("inst-hooks", "ef".repeat(32)).await, "another body");
    assert!(!replay("inst-other", new).await, "another install");
    assert!(
        store
            .webhook_target("inst-none", "ab")
            .await
            .unwrap()
            .is_none()
    );
}

/// The queue hands out the longest-due ready job whose install is free:
/// a lease that ran out (its host stopped) counts as ready again, in its
/// place by due time, and a job waits while another job of its install
/// holds a live lease.
#[tokio::test]
async fn the_queue_leases_the_longest_due_job_whose_install_is_free() {
    let dir = lockgate_tests::TempDir::new();
    let store = store_with_installs(&dir, &["i-a", "i-b", "i-c", "i-d"]).await;
    let at = |s: u32| format!("2030-01-01T00:00:{s:02}.000000Z");
    let enqueue = |install: &'static str, due: String| {
        let store = store.clone();
        async move {
            let job = lockgate::store::NewJob {
                due_at: due,
                ..manual_job(install, None)
            };
            store.enqueue(&job).await.unwrap().unwrap()
        }
    };
    // i-b's job is leased by a host that then stops: its lease runs out at 00:05.
    let b = enqueue("i-b", at(1)).await;
    let gone = store.lease_job("gone", &at(2), &at(5)).await.unwrap();
    assert_eq!(gone.unwrap().id, b);
    // i-d's first job holds a lease far into the future.
    let d1 = enqueue("i-d", at(0)).await;
    let busy = store
        .lease_job("busy", &at(2), "2031-01-01T00:00:00.000000Z")
        .await;
    assert_eq!(busy.unwrap().unwrap().id, d1);
    let a = enqueue("i-a", at(3)).await;
    let c = enqueue("i-c", at(4)).await;
    // Due before all the others, but its install is busy.
    enqueue("i-d", at(0)).await;

    let mut order = Vec::new();
    while let Some(job) = store.lease_job("next", &at(10), &at(50)).await.unwrap() {
        order.push((job.id, job.attempts));
    }
    assert_eq!(order, [(b, 2), (a, 1), (c, 1)]);
}

/// More installs due at once than the scheduler reads in a batch, and two
/// replicas scheduling them at the same moment: each slot is claimed once,
/// by one of them, and becomes exactly one job.
#[tokio::test]
async fn two_schedulers_claim_each_due_slot_once_past_a_batch() {
    let planner = FakePlanner::start().await;
    let (_dir, config, app) = planner_host(&planner).await;
    let installs = lockgate::store::installs::DUE_BATCH * 2 + 50;
    let due = lockgate::time::now_text();
    let template = planner_install(&app, &planner, "due-template", 1).await;
    let sealed = app.store.install_secrets(&template.id).await.unwrap();
    for n in 0..installs {
        let install = lockgate::store::InstallRecord {
            id: format!("due-{n:04}"),
            next_run_at: Some(due.clone()),
            ..template.clone()
        };
        app.store
            .create_install_sealed(&install, sealed.as_deref())
            .await
            .unwrap();
    }
    let other = lockgate::app::App::build(config).await.unwrap();
    let (first, second) = tokio::join!(
        lockgate::worker::schedule_due(&app),
        lockgate::worker::schedule_due(&other)
    );
    assert_eq!(first.unwrap() + second.unwrap(), installs);
    let per_install: Vec<(String, i64)> = sqlx::query_as(
        "SELECT install_id, COUNT(*) FROM jobs GROUP BY install_id ORDER BY install_id",
    )
    .fetch_all(app.store.pool())
    .await
    .unwrap();
    assert_eq!(per_install.len(), installs, "every due install has a job");
    assert!(
        per_install.iter().all(|(_, n)| *n == 1),
        "one job per slot: {:?}",
        per_install
            .iter()
            .filter(|(_, n)| *n != 1)
            .collect::<Vec<_>>()
    );
    for n in [0, installs / 2, installs - 1] {
        let install = app
            .store
            .install(&format!("due-{n:04}"))
            .await
            .unwrap()
            .unwrap();
        assert_ne!(install.next_run_at, Some(due.clone()), "the slot moved on");
    }
    assert_eq!(lockgate::worker::schedule_due(&app).await.unwrap(), 0);
}
