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
