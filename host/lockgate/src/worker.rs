//! The scheduler and the workers of one `lockgate serve` process.
//!
//! The scheduler turns due schedule slots into queued jobs (once per slot,
//! whichever replica claims it). Workers lease ready jobs, keep the lease
//! alive while they run, and end the job with the run's outcome. A job
//! whose lease ran out belonged to a host that stopped: the run it left
//! behind is marked Failed ("host stopped during run", its committed rows
//! kept) and the job runs again, up to [`MAX_ATTEMPTS`] times.

use std::time::Duration;

use crate::app::App;
use crate::installs;
use crate::store::{Job, StoreError};
use crate::sync::{RunRequest, run_sync_job};
use crate::vocabulary::{
    Failure, FailureKind, InstallStatus, JobKind, JobStatus, RunStatus, RunTrigger,
};

/// Leases of one job before it is given up.
pub const MAX_ATTEMPTS: i64 = 3;

pub const HOST_STOPPED: &str = "host stopped during run";

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Concurrent jobs in this process.
    pub workers: usize,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
    /// How often idle workers and the scheduler look for work.
    pub poll: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: 2,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
        }
    }
}

/// Starts the scheduler and the workers; they run until the process ends.
pub fn start(state: App, config: WorkerConfig) {
    let host = format!(
        "{}-{}",
        std::process::id(),
        crate::store::new_id("host")
            .trim_start_matches("host-")
            .get(..8)
            .unwrap_or("")
    );
    tokio::spawn(scheduler(state.clone(), config.clone()));
    for n in 0..config.workers.max(1) {
        let owner = format!("{host}-w{n}");
        tokio::spawn(worker(state.clone(), config.clone(), owner));
    }
}

fn instant_after(d: Duration) -> String {
    crate::time::instant(crate::time::now() + d)
}

async fn scheduler(state: App, config: WorkerConfig) {
    loop {
        match schedule_due(&state).await {
            Ok(0) => {}
            Ok(_) => state.wake(),
            Err(e) => tracing::warn!("scheduler: {e}"),
        }
        tokio::time::sleep(config.poll).await;
    }
}

/// Enqueues the due slot of every connected install; returns how many.
pub async fn schedule_due(state: &App) -> Result<usize, StoreError> {
    let now = crate::time::now_text();
    let mut claimed = 0;
    for install in state.store.due_installs(&now).await? {
        let Some(slot) = install.next_run_at.clone() else {
            continue;
        };
        let manifest = state
            .plugin(&install.plugin_sha256)
            .map(|p| p.manifest.clone())
            .ok();
        let next = manifest.as_ref().and_then(|m| {
            installs::next_slot(installs::effective_schedule(m, &install).as_deref())
        });
        if state
            .store
            .claim_slot(&install, &slot, next.as_deref())
            .await?
        {
            claimed += 1;
        }
    }
    Ok(claimed)
}

async fn worker(state: App, config: WorkerConfig, owner: String) {
    loop {
        let leased = state
            .store
            .lease_job(
                &owner,
                &crate::time::now_text(),
                &instant_after(config.lease),
            )
            .await;
        match leased {
            Ok(Some(job)) => run_job(&state, &config, &owner, job).await,
            Ok(None) => {
                state.wait_for_work(config.poll).await;
            }
            Err(e) => {
                tracing::warn!("worker {owner}: cannot lease a job: {e}");
                tokio::time::sleep(config.poll).await;
            }
        }
    }
}

/// Runs one leased job to its end, renewing the lease meanwhile.
async fn run_job(state: &App, config: &WorkerConfig, owner: &str, job: Job) {
    let keep_alive = {
        let store = state.store.clone();
        let (id, owner, lease) = (job.id.clone(), owner.to_string(), config.lease);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match store.renew_lease(&id, &owner, &instant_after(lease)).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => tracing::warn!("cannot renew the lease of {id}: {e}"),
                }
            }
        })
    };
    let outcome = execute(state, &job).await;
    keep_alive.abort();
    let (status, error) = match outcome {
        Ok(Outcome::Ran { failure: None }) => (JobStatus::Done, None),
        Ok(Outcome::Ran {
            failure: Some(failure),
        }) => (JobStatus::Failed, Some(failure.reason)),
        Ok(Outcome::Cancelled(reason)) => (JobStatus::Cancelled, Some(reason)),
        Err(e) => {
            tracing::error!("job {}: {e}", job.id);
            (
                JobStatus::Failed,
                Some("the host could not record the run".to_string()),
            )
        }
    };
    match state
        .store
        .finish_job(&job.id, owner, status, error.as_deref())
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::warn!("job {} was taken over before it finished", job.id),
        Err(e) => tracing::error!("cannot finish job {}: {e}", job.id),
    }
}

enum Outcome {
    /// A run was recorded; `failure` when it failed.
    Ran { failure: Option<Failure> },
    /// Nothing was run.
    Cancelled(String),
}

async fn execute(state: &App, job: &Job) -> Result<Outcome, StoreError> {
    if job.attempts > 1 {
        let abandoned = state.store.abandon_job_runs(&job.id, HOST_STOPPED).await?;
        if abandoned > 0 {
            tracing::warn!(
                "job {}: resolved {abandoned} run(s) left by a stopped host",
                job.id
            );
        }
        if job.attempts > MAX_ATTEMPTS {
            return Ok(Outcome::Ran {
                failure: Some(Failure::new(
                    FailureKind::HostStopped,
                    format!("{HOST_STOPPED}, {MAX_ATTEMPTS} times; not tried again"),
                )),
            });
        }
    }
    let Some(install) = state.store.install(&job.install_id).await? else {
        return Ok(Outcome::Cancelled("the install no longer exists".into()));
    };
    if install.status != InstallStatus::Connected {
        return Ok(Outcome::Cancelled(format!(
            "the install is {}",
            install.status.label()
        )));
    }
    let payload = job.payload.as_deref().unwrap_or("");
    let work = match job.kind {
        JobKind::Sync => match crate::sync::sync_trigger(job.trigger) {
            Some(trigger) => Work::Sync(trigger),
            None => {
                return Ok(Outcome::Cancelled(format!(
                    "a sync cannot start on {}",
                    job.trigger
                )));
            }
        },
        JobKind::Event => match serde_json::from_str::<crate::events::HrEvent>(payload) {
            Ok(event) => Work::Event(event),
            Err(_) => return Ok(Outcome::Cancelled("the event cannot be read".into())),
        },
        JobKind::Webhook => match serde_json::from_str::<crate::webhooks::Delivery>(payload) {
            Ok(delivery) => Work::Webhook(delivery),
            Err(_) => return Ok(Outcome::Cancelled("the delivery cannot be read".into())),
        },
    };
    let plugin = match state.plugin(&install.plugin_sha256) {
        Ok(plugin) => plugin,
        Err(e) => {
            let failure = Failure::new(FailureKind::Setup, e.to_string());
            return failed_before_run(state, job, &install, failure).await;
        }
    };
    let secrets = match state.install_secrets(&install.id).await {
        Ok(secrets) => secrets,
        Err(e) => {
            let failure = Failure::new(FailureKind::Setup, e.to_string());
            return failed_before_run(state, job, &install, failure).await;
        }
    };
    let request = RunRequest {
        store: &state.store,
        plugin: &plugin,
        install: &install,
        secrets: &secrets,
        operator: state.operator.clone(),
        limits: state.limits.clone(),
        // Only a sync hands its trigger to the connector.
        trigger: crate::bindings::Trigger::Manual,
    };
    let summary = match work {
        Work::Sync(trigger) => {
            let request = RunRequest { trigger, ..request };
            run_sync_job(&state.runtime, request, Some(&job.id)).await?
        }
        Work::Webhook(delivery) => {
            crate::sync::run_call(
                &state.runtime,
                request,
                crate::runtime::Call::Webhook(delivery.to_wit()),
                JobKind::Webhook,
                job.trigger,
                Some(&job.id),
            )
            .await?
        }
        Work::Event(event) => {
            // The data rules again, as they are now: an employee who left
            // or was excluded since the event was queued is not told about.
            if !crate::events::may_see(state, &install, &plugin.manifest, &event).await? {
                return Ok(Outcome::Cancelled(
                    "the connector may no longer see this record".into(),
                ));
            }
            crate::sync::run_call(
                &state.runtime,
                request,
                crate::runtime::Call::OnEvent(event.to_wit()),
                JobKind::Event,
                RunTrigger::Event(event.kind),
                Some(&job.id),
            )
            .await?
        }
    };
    state.store.set_job_run(&job.id, &summary.run.id).await?;
    let failure = summary.run.failure();
    streak(state, &install.id, failure.as_ref()).await?;
    Ok(Outcome::Ran { failure })
}

/// What a job hands the connector.
enum Work {
    Sync(crate::bindings::Trigger),
    Event(crate::events::HrEvent),
    Webhook(crate::webhooks::Delivery),
}

/// A run that could not start is still a Failed run in monitoring.
async fn failed_before_run(
    state: &App,
    job: &Job,
    install: &crate::store::InstallRecord,
    failure: Failure,
) -> Result<Outcome, StoreError> {
    let now = crate::time::now_text();
    let run = crate::store::RunRecord {
        id: crate::store::new_id("run"),
        install_id: install.id.clone(),
        tenant_id: install.tenant_id.clone(),
        connector_id: install.connector_id.clone(),
        plugin_version: install.plugin_version.clone(),
        kind: job.kind,
        trigger: job.trigger,
        status: RunStatus::Failed,
        started_at: now.clone(),
        finished_at: Some(now),
        duration_ms: Some(0),
        failure_kind: Some(failure.kind),
        failure_reason: Some(failure.reason.clone()),
        requests: 0,
        peak_memory: 0,
        job_id: Some(job.id.clone()),
    };
    state.store.create_run(&run).await?;
    state.store.finish_run(&run).await?;
    state.store.set_job_run(&job.id, &run.id).await?;
    streak(state, &install.id, Some(&failure)).await?;
    Ok(Outcome::Ran {
        failure: Some(failure),
    })
}

/// Counts a run towards the install's streak of failures; the install
/// turns Inactive (and its queued jobs are cancelled) at the limit.
async fn streak(
    state: &App,
    install_id: &str,
    failure: Option<&Failure>,
) -> Result<(), StoreError> {
    let failed = failure.is_some();
    let why = format!(
        "deactivated after {} failed runs in a row; last: {}",
        installs::FAILURE_LIMIT,
        failure.map_or("failed", |f| f.reason.as_str())
    );
    if state
        .store
        .count_run_outcome(install_id, failed, installs::FAILURE_LIMIT, &why)
        .await?
    {
        state.store.cancel_queued_jobs(install_id, &why).await?;
    }
    Ok(())
}
