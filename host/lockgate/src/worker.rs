//! The scheduler and the workers of one `lockgate serve` process.
//!
//! The scheduler turns due schedule slots into queued jobs (once per slot,
//! whichever replica claims it), and removes the data of partners'
//! sandboxes that have expired. Workers lease ready jobs, keep the lease
//! alive while they run, and end the job with the run's outcome. A job
//! whose lease ran out belonged to a host that stopped: the run it left
//! behind is marked Failed ("host stopped during run", its committed rows
//! kept) and the job runs again, up to [`MAX_ATTEMPTS`] times.
//!
//! A clean stop ([`Workers::stop`], on SIGTERM) is not a crash: the host
//! stops leasing, lets the runs in flight finish within a grace period,
//! and hands the jobs of the rest back to the queue at once, so another
//! host takes them without waiting for the lease to run out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::app::App;
use crate::installs;
use crate::monitoring::RunRecord;
use crate::store::installs::SlotClaim;
use crate::store::{Job, StoreError};
use crate::sync::{JobRun, RunRequest, run_sync_job};
use crate::vocabulary::{Failure, FailureKind, InstallStatus, JobKind, JobStatus, RunTrigger};

/// Leases of one job before it is given up.
pub const MAX_ATTEMPTS: i64 = 3;

pub const HOST_STOPPED: &str = "host stopped during run";

/// How long workers get to hand their jobs back once the grace period of a
/// stop is over.
const HAND_BACK_TIME: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Concurrent jobs in this process.
    pub workers: usize,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
    /// How often idle workers and the scheduler look for work.
    pub poll: Duration,
    /// How long a job this host could not prepare (its build or secrets
    /// unreadable here) waits before it is tried again, by any host.
    pub retry_later: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            workers: 2,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            retry_later: Duration::from_secs(30),
        }
    }
}

/// The scheduler and the workers of this process, for a clean stop.
pub struct Workers {
    host: String,
    phase: Arc<watch::Sender<Phase>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    in_flight: Arc<AtomicUsize>,
}

/// What every worker shares: the stop signal and the count of jobs in
/// flight.
#[derive(Clone)]
struct Control {
    phase: watch::Receiver<Phase>,
    in_flight: Arc<AtomicUsize>,
    /// Kept so the signal stays open when the [`Workers`] handle is
    /// dropped: the workers then run until the process ends.
    _sender: Arc<watch::Sender<Phase>>,
}

impl Control {
    fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Resolves once the host starts handing back.
    async fn handing_back(&self) {
        let mut phase = self.phase.clone();
        let _ = phase.wait_for(|p| *p == Phase::HandingBack).await;
    }
}

/// Where a stopping host is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    /// No more leases; runs in flight go on.
    Draining,
    /// Runs still in flight stop and their jobs go back to the queue.
    HandingBack,
}

/// How a clean stop went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Runs that were in flight and finished within the grace period.
    pub finished: usize,
    /// Jobs handed back to the queue for another host.
    pub handed_back: usize,
}

/// Starts the scheduler and the workers; they run until [`Workers::stop`]
/// or the end of the process.
pub fn start(state: App, config: WorkerConfig) -> Workers {
    let host = format!(
        "{}-{}-{}",
        machine_name(),
        std::process::id(),
        crate::store::new_id("host")
            .trim_start_matches("host-")
            .get(..8)
            .unwrap_or("")
    );
    let (phase, watching) = watch::channel(Phase::Running);
    let phase = Arc::new(phase);
    let control = Control {
        phase: watching,
        in_flight: Arc::default(),
        _sender: phase.clone(),
    };
    let mut tasks = vec![tokio::spawn(scheduler(
        state.clone(),
        config.clone(),
        control.clone(),
    ))];
    for n in 0..config.workers.max(1) {
        let owner = format!("{host}-w{n}");
        tasks.push(tokio::spawn(worker(
            state.clone(),
            config.clone(),
            owner,
            control.clone(),
        )));
    }
    Workers {
        host,
        phase,
        tasks,
        in_flight: control.in_flight,
    }
}

impl Workers {
    /// This host's name, as runs record it (with the worker's number).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Stops leasing, lets the runs in flight finish within `grace`, and
    /// hands the jobs of those still running back to the queue, so that
    /// another host takes them at once instead of after their lease. Their
    /// runs are marked Failed, "host stopped during run", with the rows
    /// they committed.
    pub async fn stop(mut self, grace: Duration) -> Stopped {
        let busy = self.busy();
        self.phase.send_replace(Phase::Draining);
        let deadline = tokio::time::Instant::now() + grace;
        let mut stopped = Stopped::default();
        for task in &mut self.tasks {
            if tokio::time::timeout_at(deadline, &mut *task).await.is_err() {
                break;
            }
        }
        let left = self.busy();
        stopped.finished = busy.saturating_sub(left);
        if left > 0 {
            self.phase.send_replace(Phase::HandingBack);
            stopped.handed_back = left;
            for task in self.tasks.iter_mut().filter(|t| !t.is_finished()) {
                if tokio::time::timeout(HAND_BACK_TIME, &mut *task)
                    .await
                    .is_err()
                {
                    task.abort();
                }
            }
        }
        stopped
    }

    /// Jobs being run right now.
    fn busy(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }
}

/// The machine's name, for telling replicas apart in monitoring.
fn machine_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "host".into())
}

fn instant_after(d: Duration) -> String {
    crate::time::instant(crate::time::now() + d)
}

async fn scheduler(state: App, config: WorkerConfig, control: Control) {
    while control.phase() == Phase::Running {
        match schedule_due(&state).await {
            Ok(0) => {}
            Ok(_) => state.wake(),
            Err(e) => tracing::warn!("scheduler: {e}"),
        }
        match crate::partner_sandbox::remove_expired(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("removed the data of {n} expired partner sandbox(es)"),
            Err(e) => tracing::warn!("scheduler: removing expired partner sandboxes: {e}"),
        }
        tokio::time::sleep(config.poll).await;
    }
}

/// Enqueues the due slot of every connected install; returns how many.
/// Slots are claimed a batch at a time, each batch in one transaction.
pub async fn schedule_due(state: &App) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let mut claimed = 0;
    // Bounded, so that a poll ends even if claims keep failing to move a
    // slot (another replica claiming the same batch meanwhile).
    for _ in 0..100 {
        let due = state.store.due_installs(&crate::time::instant(now)).await?;
        let mut claims = Vec::with_capacity(due.len());
        for install in &due {
            let Some(slot) = install.next_run_at.clone() else {
                continue;
            };
            let manifest = state
                .load_plugin(&install.plugin_sha256)
                .await
                .map(|p| p.manifest.clone())
                .ok();
            let next = manifest.as_ref().and_then(|m| {
                installs::next_slot(installs::effective_schedule(m, install).as_deref(), now)
            });
            claims.push(SlotClaim {
                install,
                slot,
                next,
            });
        }
        let moved = state.store.claim_slots(&claims).await?;
        claimed += moved;
        if moved > 0 {
            // Workers start on this batch while the next is claimed.
            state.wake();
        }
        if due.len() < crate::store::installs::DUE_BATCH || moved == 0 {
            break;
        }
    }
    Ok(claimed)
}

async fn worker(state: App, config: WorkerConfig, owner: String, control: Control) {
    while control.phase() == Phase::Running {
        let leased = state
            .store
            .lease_job(
                &owner,
                &crate::time::now_text(),
                &instant_after(config.lease),
            )
            .await;
        match leased {
            Ok(Some(job)) => {
                control.in_flight.fetch_add(1, Ordering::SeqCst);
                run_job(&state, &config, &owner, job, &control).await;
                control.in_flight.fetch_sub(1, Ordering::SeqCst);
            }
            Ok(None) => {
                let mut phase = control.phase.clone();
                tokio::select! {
                    () = state.wait_for_work(config.poll) => {}
                    _ = phase.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!("worker {owner}: cannot lease a job: {e}");
                tokio::time::sleep(config.poll).await;
            }
        }
    }
}

/// Runs one leased job to its end, renewing the lease meanwhile; or, when
/// the host hands back, stops it and puts the job back in the queue.
async fn run_job(state: &App, config: &WorkerConfig, owner: &str, job: Job, control: &Control) {
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
    let outcome = tokio::select! {
        outcome = execute(state, &job, owner) => outcome,
        () = control.handing_back() => {
            keep_alive.abort();
            hand_back(state, &job, owner).await;
            return;
        }
    };
    keep_alive.abort();
    if let Ok(Outcome::Later(why)) = &outcome {
        let at = instant_after(config.retry_later);
        match state.store.requeue_job(&job.id, owner, &at, why).await {
            Ok(_) => tracing::warn!(
                "job {}: not prepared here ({why}); queued again for {at}",
                job.id
            ),
            Err(e) => tracing::error!("cannot queue job {} again: {e}", job.id),
        }
        return;
    }
    let (status, error) = match outcome {
        Ok(Outcome::Ran {
            job_finished: Some(finished),
            ..
        }) => {
            if !finished {
                tracing::warn!("job {} was taken over before it finished", job.id);
            }
            return;
        }
        Ok(Outcome::Ran {
            failure: None,
            job_finished: None,
        }) => (JobStatus::Done, None),
        Ok(Outcome::Ran {
            failure: Some(failure),
            job_finished: None,
        }) => (JobStatus::Failed, Some(failure.reason)),
        Ok(Outcome::Cancelled(reason) | Outcome::NotRun(reason)) => {
            (JobStatus::Cancelled, Some(reason))
        }
        Ok(Outcome::Later(_)) => return,
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

/// Puts a job this host could not finish back in the queue, ready at once;
/// the run it leaves is marked as stopped with its host. A clean stop does
/// not count as one of the job's attempts.
async fn hand_back(state: &App, job: &Job, owner: &str) {
    let reason = format!("{HOST_STOPPED}: the host was shut down; handed to another host");
    if let Err(e) = state.store.abandon_job_runs(&job.id, &reason).await {
        tracing::error!("job {}: cannot mark its run as stopped: {e}", job.id);
    }
    let now = crate::time::now_text();
    match state.store.requeue_job(&job.id, owner, &now, &reason).await {
        Ok(true) => tracing::info!("job {} handed back to the queue", job.id),
        Ok(false) => tracing::warn!("job {} was taken over before it was handed back", job.id),
        Err(e) => tracing::error!("cannot hand back job {}: {e}", job.id),
    }
}

enum Outcome {
    /// A run was recorded; `failure` when it failed. `job_finished` when
    /// the job ended with it (see [`crate::sync::Ran::job_finished`]).
    Ran {
        failure: Option<Failure>,
        job_finished: Option<bool>,
    },
    /// Nothing was run, and there is no install to record it for.
    Cancelled(String),
    /// Nothing was run; monitoring shows it as Not run, with the reason.
    NotRun(String),
    /// Nothing was run: this host could not prepare it now (its build or
    /// secrets unreadable). The job goes back to the queue for a retry.
    Later(String),
}

/// Runs a job, or records why it was not run: an accepted job always
/// leaves a run in monitoring (unless its install is gone).
async fn execute(state: &App, job: &Job, owner: &str) -> Result<Outcome, StoreError> {
    let outcome = attempt(state, job, owner).await?;
    if let Outcome::NotRun(reason) = &outcome {
        state.store.record_not_run(job, reason).await?;
    }
    Ok(outcome)
}

async fn attempt(state: &App, job: &Job, owner: &str) -> Result<Outcome, StoreError> {
    let mut job_run = JobRun {
        job_id: &job.id,
        host: owner,
        as_of: None,
    };
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
                job_finished: None,
            });
        }
    }
    let Some(install) = state.store.install(&job.install_id).await? else {
        return Ok(Outcome::Cancelled("the install no longer exists".into()));
    };
    if install.status != InstallStatus::Connected {
        return Ok(Outcome::NotRun(format!(
            "the install is {}",
            install.status.label()
        )));
    }
    // A partner's sandbox reaches only its test hosts, and runs nothing
    // once it has expired.
    let operator = match state.policy_for(&install.tenant_id).await? {
        Ok(operator) => operator,
        Err(why) => return Ok(Outcome::NotRun(why)),
    };
    let payload = job.payload.as_deref().unwrap_or("");
    let work = match job.kind {
        JobKind::Sync => match crate::sync::sync_trigger(job.trigger) {
            Some(trigger) => Work::Sync(trigger),
            None => {
                return Ok(Outcome::NotRun(format!(
                    "a sync cannot start on {}",
                    job.trigger
                )));
            }
        },
        JobKind::Event => match serde_json::from_str::<crate::events::HrEvent>(payload) {
            Ok(event) => Work::Event(event),
            Err(_) => return Ok(Outcome::NotRun("the event cannot be read".into())),
        },
        JobKind::Webhook => match serde_json::from_str::<crate::webhooks::Delivery>(payload) {
            Ok(delivery) => Work::Webhook(delivery),
            Err(_) => return Ok(Outcome::NotRun("the delivery cannot be read".into())),
        },
    };
    let plugin = match state.load_plugin(&install.plugin_sha256).await {
        Ok(plugin) => plugin,
        // The build cannot be read here now: another host may, or this
        // one later. Nothing ran, nothing failed.
        Err(e) if e.is_retryable() => return Ok(Outcome::Later(e.to_string())),
        Err(e) => {
            let failure = Failure::new(FailureKind::Setup, e.to_string());
            return failed_before_run(state, job, owner, &install, failure).await;
        }
    };
    let secrets = match state.install_secrets(&install.id).await {
        Ok(secrets) => secrets,
        Err(e) if e.is_retryable() => return Ok(Outcome::Later(e.to_string())),
        Err(e) => {
            let failure = Failure::new(FailureKind::Setup, e.to_string());
            return failed_before_run(state, job, owner, &install, failure).await;
        }
    };
    let request = RunRequest {
        store: &state.store,
        plugin: &plugin,
        install: &install,
        secrets: &secrets,
        sign_in_key: Some(&state.secrets),
        operator,
        limits: state.limits.clone(),
        // Only a sync hands its trigger to the connector.
        trigger: crate::bindings::Trigger::Manual,
    };
    let ran = match work {
        Work::Sync(trigger) => {
            // A sync sees the day by the app's clock, as its schedule
            // does: a monthly export's closing day follows a moved clock.
            job_run.as_of = Some(state.clock.today());
            let request = RunRequest { trigger, ..request };
            run_sync_job(&state.runtime, request, Some(job_run)).await?
        }
        Work::Webhook(delivery) => {
            // A hire received at 23:59 starts that day, however late it runs.
            job_run.as_of = delivery
                .received_at
                .as_deref()
                .and_then(crate::time::parse_instant)
                .map(|at| at.to_offset(time::UtcOffset::UTC).date());
            crate::sync::run_call(
                &state.runtime,
                request,
                crate::runtime::Call::Webhook(delivery.to_wit()),
                JobKind::Webhook,
                job.trigger,
                Some(job_run),
            )
            .await?
        }
        Work::Event(event) => {
            // The data rules again, as they are now: an employee who left
            // or was excluded since the event was queued is not told about.
            if !crate::events::may_see(state, &install, &plugin.manifest, &event).await? {
                return Ok(Outcome::NotRun(
                    "the connector may no longer see this record".into(),
                ));
            }
            crate::sync::run_call(
                &state.runtime,
                request,
                crate::runtime::Call::OnEvent(crate::events::to_wit(&event)),
                JobKind::Event,
                RunTrigger::Event(event.kind),
                Some(job_run),
            )
            .await?
        }
    };
    if ran.deactivated {
        cancel_queued(state, &install.id, &ran.run).await?;
    }
    // What the connector wrote (attendances) reaches the tenant's other
    // installs like any other change.
    crate::events::publish(state, &install.tenant_id, &ran.events).await?;
    Ok(Outcome::Ran {
        failure: ran.run.failure(),
        job_finished: ran.job_finished,
    })
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
    owner: &str,
    install: &crate::store::InstallRecord,
    failure: Failure,
) -> Result<Outcome, StoreError> {
    let mut run = crate::sync::new_run(
        install,
        job.kind,
        job.trigger,
        Some(JobRun {
            job_id: &job.id,
            host: owner,
            as_of: None,
        }),
    );
    run.fail(failure.clone());
    run.finished_at = Some(run.started_at.clone());
    run.duration_ms = Some(0);
    state.store.create_run(&run).await?;
    let job_run = JobRun {
        job_id: &job.id,
        host: owner,
        as_of: None,
    };
    let ran = crate::sync::Ran::record(
        &state.store,
        install,
        run,
        Some((job_run, true)),
        None,
        Vec::new(),
        &[],
    )
    .await?;
    if ran.deactivated {
        cancel_queued(state, &install.id, &ran.run).await?;
    }
    Ok(Outcome::Ran {
        failure: Some(failure),
        job_finished: ran.job_finished,
    })
}

/// Cancels the queued jobs of an install that `run` made inactive; each
/// shows in monitoring as Not run.
async fn cancel_queued(state: &App, install_id: &str, run: &RunRecord) -> Result<(), StoreError> {
    let why = run.streak_reason();
    state.store.cancel_queued_jobs(install_id, &why).await?;
    Ok(())
}
