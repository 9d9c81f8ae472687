//! A whole sync run: record it as started, invoke the connector's `sync`,
//! decide Successful / Partially successful / Failed, commit the state when
//! the connector finished, and record the end. Rows are already stored as the
//! connector reported them.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::bindings::{ConnectorError, Trigger};
use crate::capabilities::config::visible_config;
use crate::hr::Visibility;
use crate::monitoring::LogLine;
use crate::policy::{Grant, Limits, OperatorPolicy};
use crate::runtime::{Call, CallResult, InvocationReport, InvocationSetup, Plugin, Runtime};
use crate::store::{
    InstallRecord, JobEnd, RunEnd, RunRecord, RunRow, Store, StoreError, StreakLimit,
};
use crate::time::Clock;
use crate::vocabulary::{
    Failure, FailureKind, JobKind, Operation, RowStatus, RunStatus, RunTrigger,
};

/// Rows a summary carries; monitoring pages through the rest.
pub const SUMMARY_ROWS: i64 = 1000;

/// The result of one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run: RunRecord,
    /// Rows per `operation` and `status`.
    pub counts: BTreeMap<Operation, BTreeMap<RowStatus, i64>>,
    /// All rows of the run.
    pub total_rows: i64,
    /// The first rows, up to [`SUMMARY_ROWS`]; the rest are in the store.
    pub rows: Vec<RunRow>,
    pub log: Vec<LogLine>,
    /// Requests the policy refused: the first
    /// [`crate::capabilities::recorder::MAX_DENIALS`], word for word.
    pub denials: Vec<String>,
    /// Refused requests past those, counted ("… and N more").
    pub denials_more: u64,
    /// HR events the connector's writes caused; whoever ran it publishes
    /// them.
    pub events: Vec<crate::hr::change::HrEvent>,
}

impl RunSummary {
    pub fn status_label(&self) -> &'static str {
        self.run.status.label()
    }
}

/// The contract's trigger in the host's vocabulary.
pub fn run_trigger(trigger: Trigger) -> RunTrigger {
    match trigger {
        Trigger::Scheduled => RunTrigger::Scheduled,
        Trigger::Manual => RunTrigger::Manual,
        Trigger::Initial => RunTrigger::Initial,
    }
}

/// The contract's form of a sync trigger, if `trigger` starts syncs.
pub fn sync_trigger(trigger: RunTrigger) -> Option<Trigger> {
    match trigger {
        RunTrigger::Scheduled => Some(Trigger::Scheduled),
        RunTrigger::Manual => Some(Trigger::Manual),
        RunTrigger::Initial => Some(Trigger::Initial),
        _ => None,
    }
}

/// The error a connector returned, as a failure; a policy denial explains
/// an "unreachable" best.
pub fn connector_failure(error: &ConnectorError, denials: &[String]) -> Failure {
    let kind = match error {
        ConnectorError::Unreachable(_) if !denials.is_empty() => FailureKind::Denied,
        ConnectorError::Unreachable(_) | ConnectorError::Partner(_) => FailureKind::Partner,
        ConnectorError::Config(_) => FailureKind::Config,
        ConnectorError::Host(_) | ConnectorError::Other(_) => FailureKind::Connector,
    };
    Failure::new(kind, connector_failure_reason(error, denials))
}

/// The error a connector returned from an invocation, as a failure: a
/// refused sign-in to the partner explains it best, then a policy denial.
pub fn invocation_failure(error: &ConnectorError, report: &InvocationReport) -> Failure {
    match (&report.sign_in_failure, error) {
        (Some(why), ConnectorError::Unreachable(_) | ConnectorError::Other(_)) => Failure::new(
            FailureKind::SignIn,
            format!("the host could not sign in to the partner: {why}"),
        ),
        _ => connector_failure(error, &report.denials),
    }
}

fn connector_failure_reason(error: &ConnectorError, denials: &[String]) -> String {
    match error {
        ConnectorError::Unreachable(why) => denials
            .first()
            .cloned()
            .unwrap_or_else(|| format!("partner unreachable: {why}")),
        ConnectorError::Partner(p) => {
            let mut text = format!("partner answered {}: {}", p.status, p.message);
            if let Some(body) = &p.body {
                text.push_str(&format!(
                    " ({})",
                    crate::capabilities::outcomes::truncate(body, 300)
                ));
            }
            text
        }
        ConnectorError::Config(fields) => {
            let fields: Vec<_> = fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect();
            format!("configuration: {}", fields.join("; "))
        }
        ConnectorError::Host(e) => format!("host call failed: {e:?}"),
        ConnectorError::Other(why) => why.clone(),
    }
}

/// Everything a run needs besides the runtime.
pub struct RunRequest<'a> {
    pub store: &'a Store,
    pub plugin: &'a Plugin,
    pub install: &'a InstallRecord,
    /// Secret values, by config key; never stored in the install record.
    pub secrets: &'a BTreeMap<String, String>,
    /// The host's key, to open the admin's sign-in at the partner for
    /// connectors that sign in by authorization code; without it they
    /// cannot run.
    pub sign_in_key: Option<&'a crate::secrets::SecretBox>,
    pub operator: OperatorPolicy,
    pub limits: Limits,
    pub trigger: Trigger,
}

/// Runs `sync` once and records it.
pub async fn run_sync(runtime: &Runtime, req: RunRequest<'_>) -> Result<RunSummary, StoreError> {
    let store = req.store;
    let ran = run_sync_job(runtime, req, None).await?;
    summarize(store, ran).await
}

/// [`run_sync`] by `clock` rather than the system's: the connector sees
/// the HR data as of the clock's day, and its wall clock reads the clock
/// (a sandbox's own clock, so a sandbox moved a day on runs as a day
/// later).
pub async fn run_sync_by(
    runtime: &Runtime,
    req: RunRequest<'_>,
    clock: &Clock,
) -> Result<RunSummary, StoreError> {
    let (trigger, store) = (req.trigger, req.store);
    let ran = run_call_by(
        runtime,
        req,
        Call::Sync(trigger),
        JobKind::Sync,
        run_trigger(trigger),
        None,
        Some(clock),
    )
    .await?;
    summarize(store, ran).await
}

/// What an invocation for `install` may see and use: the grant resolved
/// from its configuration (secrets included) and, for a connector that
/// signs in by authorization code, the admin's sign-in opened with
/// `sign_in_key`; the data it may read, the non-secret configuration and
/// the saved state.
#[allow(clippy::too_many_arguments)]
pub async fn invocation_setup(
    store: &Store,
    manifest: &lockgate_manifest::Manifest,
    install: &InstallRecord,
    secrets: &BTreeMap<String, String>,
    sign_in_key: Option<&crate::secrets::SecretBox>,
    operator: OperatorPolicy,
    limits: Limits,
    run_id: Option<String>,
) -> Result<Result<InvocationSetup, Failure>, StoreError> {
    let mut all_config = install.config.clone();
    all_config.extend(secrets.iter().map(|(k, v)| (k.clone(), v.clone())));
    let grant = match Grant::resolve(manifest, &all_config, operator) {
        Ok(grant) => grant,
        Err(problems) => {
            return Ok(Err(Failure::new(
                FailureKind::Config,
                format!("configuration: {}", problems.join("; ")),
            )));
        }
    };
    // Without a sign-in the connector may still check its configuration;
    // requests to the partner's API fail, and a run does not start (see
    // `run_call_by`).
    let sign_in = if awaits_sign_in(&grant) {
        match crate::capabilities::oauth::session(store, sign_in_key, &install.id).await {
            Ok(session) => session,
            Err(why) => return Ok(Err(Failure::new(FailureKind::SignIn, why))),
        }
    } else {
        None
    };
    let visibility = Visibility {
        tenant_id: install.tenant_id.clone(),
        connector_id: manifest.id.clone(),
        today: crate::time::today(),
        scopes: grant.scopes.clone(),
        absence_window: grant.absence_window,
        attendance_window: grant.attendance_window,
    };
    Ok(Ok(InvocationSetup {
        store: store.clone(),
        visibility,
        grant: Arc::new(grant),
        limits,
        config: visible_config(manifest, &install.config),
        state: store.state(&install.id).await?,
        run_id,
        install: Some(crate::capabilities::invocation::InstallRef {
            id: install.id.clone(),
            connected_at: install.created_at.clone(),
        }),
        clock: None,
        sign_in,
    }))
}

/// Whether the grant's partner needs an admin's sign-in (OAuth2
/// authorization code).
fn awaits_sign_in(grant: &Grant) -> bool {
    grant
        .oauth
        .as_ref()
        .is_some_and(|o| o.flow == lockgate_manifest::OAuthFlow::AuthorizationCode)
}

/// The queued job a run belongs to, and the host that runs it.
#[derive(Debug, Clone, Copy)]
pub struct JobRun<'a> {
    pub job_id: &'a str,
    pub host: &'a str,
    /// The day the job's work happened, when it is not the day it runs: a
    /// delivery's receipt, or the app clock's day for a sync. The
    /// connector sees the HR data as of that day (who is employed; the
    /// default start date of a hire), and its wall clock shows that day.
    pub as_of: Option<time::Date>,
}

/// A run of `install` starting now, of `kind` and started by `trigger`;
/// `job` when a queued job runs it.
pub fn new_run(
    install: &InstallRecord,
    kind: JobKind,
    trigger: RunTrigger,
    job: Option<JobRun<'_>>,
) -> RunRecord {
    RunRecord {
        id: crate::store::new_id("run"),
        install_id: install.id.clone(),
        tenant_id: install.tenant_id.clone(),
        connector_id: install.connector_id.clone(),
        plugin_version: install.plugin_version.clone(),
        kind,
        trigger,
        status: RunStatus::Running,
        started_at: crate::time::now_text(),
        finished_at: None,
        duration_ms: None,
        failure_kind: None,
        failure_reason: None,
        requests: 0,
        peak_memory: 0,
        job_id: job.map(|j| j.job_id.to_string()),
        host: job.map(|j| j.host.to_string()),
    }
}

/// Runs `sync` once for a queued job and records it; the run carries the
/// job's id so a host that takes the job over can resolve the run.
pub async fn run_sync_job(
    runtime: &Runtime,
    req: RunRequest<'_>,
    job: Option<JobRun<'_>>,
) -> Result<Ran, StoreError> {
    let trigger = req.trigger;
    run_call(
        runtime,
        req,
        Call::Sync(trigger),
        JobKind::Sync,
        run_trigger(trigger),
        job,
    )
    .await
}

/// Runs one export as a recorded run of `kind` (`sync`, `event`), started
/// by `trigger`: the run, its rows and log, Successful / Partially
/// successful / Failed, and the state committed when the connector finished.
pub async fn run_call(
    runtime: &Runtime,
    req: RunRequest<'_>,
    call: Call,
    kind: JobKind,
    trigger: RunTrigger,
    job: Option<JobRun<'_>>,
) -> Result<Ran, StoreError> {
    run_call_by(runtime, req, call, kind, trigger, job, None).await
}

/// [`run_call`], by `clock` when one is given (see [`run_sync_by`]).
async fn run_call_by(
    runtime: &Runtime,
    req: RunRequest<'_>,
    call: Call,
    kind: JobKind,
    trigger: RunTrigger,
    job: Option<JobRun<'_>>,
    clock: Option<&Clock>,
) -> Result<Ran, StoreError> {
    let manifest = &req.plugin.manifest;
    let mut run = new_run(req.install, kind, trigger, job);
    req.store.create_run(&run).await?;

    let mut setup = match invocation_setup(
        req.store,
        manifest,
        req.install,
        req.secrets,
        req.sign_in_key,
        req.operator.clone(),
        req.limits.clone(),
        Some(run.id.clone()),
    )
    .await?
    {
        Ok(setup) if setup.sign_in.is_some() || !awaits_sign_in(&setup.grant) => setup,
        Ok(_) => {
            run.fail(Failure::new(
                FailureKind::SignIn,
                crate::capabilities::oauth::NOT_SIGNED_IN,
            ));
            run.finished_at = Some(crate::time::now_text());
            run.duration_ms = Some(0);
            return Ran::record(
                req.store,
                req.install,
                run,
                job.map(|j| (j, true)),
                None,
                Vec::new(),
                &[],
            )
            .await;
        }
        Err(failure) => {
            run.fail(failure);
            run.finished_at = Some(crate::time::now_text());
            run.duration_ms = Some(0);
            return Ran::record(
                req.store,
                req.install,
                run,
                job.map(|j| (j, true)),
                None,
                Vec::new(),
                &[],
            )
            .await;
        }
    };
    if let Some(day) = job.and_then(|j| j.as_of) {
        setup.visibility.today = day;
    }
    if let Some(clock) = clock {
        setup.visibility.today = clock.today();
        setup.clock = Some(clock.clone());
    }
    let mut report = runtime.invoke(req.plugin, setup, call).await;
    // The row budget's marker is kept even when the log is full: it is one
    // bounded line and says why row texts are missing.
    if let Some(marker) = report.rows_budget_marker.take() {
        report.log.push(LogLine {
            at: crate::time::now_text(),
            level: "warn".into(),
            message: marker,
        });
    }

    let failed_rows = report.rows_failed;
    // A run that failed is one that could not finish: a trap, a limit, an
    // error the connector returned. Records the partner rejected do not
    // make the run fail; when every record was rejected it shows as Failed
    // (kind `records`), and the connector's state is still committed: the
    // connector chose what to save, rejected records included.
    let (status, failure) = match &report.result {
        Err(failure) => (RunStatus::Failed, Some(failure.clone())),
        Ok(CallResult::Connector(Err(e))) => {
            (RunStatus::Failed, Some(invocation_failure(e, &report)))
        }
        Ok(CallResult::Webhook(answer)) if answer.status >= 400 => (
            RunStatus::Failed,
            Some(Failure::new(
                if answer.status < 500 {
                    FailureKind::Delivery
                } else {
                    FailureKind::Connector
                },
                format!(
                    "the connector answered the delivery with {}: {}",
                    answer.status,
                    crate::capabilities::outcomes::truncate(
                        &String::from_utf8_lossy(&answer.body),
                        300
                    )
                ),
            )),
        ),
        Ok(_) if failed_rows > 0 && failed_rows == report.rows_written => (
            RunStatus::Failed,
            Some(Failure::new(
                FailureKind::Records,
                format!(
                    "the partner rejected all {failed_rows} record(s); see the rows for its answers"
                ),
            )),
        ),
        Ok(_) if failed_rows > 0 => (RunStatus::PartiallySuccessful, None),
        Ok(_) => (RunStatus::Successful, None),
    };
    let finished = matches!(
        &report.result,
        Ok(CallResult::Connector(Ok(())) | CallResult::Webhook(_))
    );
    // The state is committed with the run, unless the run did not finish.
    let state = report.staged_state.as_deref().filter(|_| finished);
    run.status = status;
    if let Some(failure) = failure {
        run.fail(failure);
    }
    run.finished_at = Some(crate::time::now_text());
    run.duration_ms = Some(report.duration.as_millis() as i64);
    run.requests = i64::from(report.requests);
    run.peak_memory = report.peak_memory as i64;
    // The job ends with the run, unless the connector's writes still
    // have to be published: the job ends after them, so that a host
    // stopping in between leaves the job to run again.
    let end_job = report.events.is_empty();
    let mut ran = Ran::record(
        req.store,
        req.install,
        run,
        job.map(|j| (j, end_job)),
        state,
        report.log,
        &report.audit.entries,
    )
    .await?;
    ran.denials = report.denials;
    ran.denials_more = report.denials_more;
    ran.events = report.events;
    Ok(ran)
}

/// A recorded run, before its rows are read back for a summary.
#[derive(Debug)]
pub struct Ran {
    pub run: RunRecord,
    pub log: Vec<LogLine>,
    /// See [`RunSummary::denials`].
    pub denials: Vec<String>,
    pub denials_more: u64,
    /// See [`RunSummary::events`].
    pub events: Vec<crate::hr::change::HrEvent>,
    /// Whether the run's failure made its install inactive; only a queued
    /// job's run counts towards the install's streak of failures.
    pub deactivated: bool,
    /// Whether the queued job ended with the run (see
    /// [`crate::store::RunEnded::job_finished`]); `None` when its runner
    /// still has to end it.
    pub job_finished: Option<bool>,
}

impl Ran {
    /// Writes the end of `run` of `install` in one transaction (see
    /// [`Store::end_run`]). A queued job's run counts towards the
    /// install's streak of failures, and the job ends with it when `job`
    /// says so.
    pub async fn record(
        store: &Store,
        install: &InstallRecord,
        run: RunRecord,
        job: Option<(JobRun<'_>, bool)>,
        state: Option<&str>,
        log: Vec<LogLine>,
        audit: &[crate::monitoring::AuditEntry],
    ) -> Result<Ran, StoreError> {
        let reason = run.streak_reason();
        let ended = store
            .end_run(RunEnd {
                run: &run,
                state,
                log: &log,
                audit,
                streak: job.map(|_| StreakLimit {
                    limit: crate::monitoring::FAILURE_LIMIT,
                    reason: &reason,
                    current: Some(install.failure_streak),
                }),
                job: job.filter(|(_, end)| *end).map(|(j, _)| JobEnd {
                    id: j.job_id,
                    owner: j.host,
                }),
            })
            .await?;
        Ok(Ran {
            run,
            log,
            denials: Vec::new(),
            denials_more: 0,
            events: Vec::new(),
            deactivated: ended.deactivated,
            job_finished: ended.job_finished,
        })
    }
}

/// A recorded run with its row counts and first rows, as the API and the
/// CLI show it.
pub async fn summarize(store: &Store, ran: Ran) -> Result<RunSummary, StoreError> {
    let mut counts: BTreeMap<Operation, BTreeMap<RowStatus, i64>> = BTreeMap::new();
    let mut total_rows = 0;
    for ((operation, status), n) in store.run_counts(&ran.run.id).await? {
        total_rows += n;
        counts.entry(operation).or_default().insert(status, n);
    }
    let rows = store
        .run_rows(&ran.run.id, None, None, None, SUMMARY_ROWS)
        .await?;
    Ok(RunSummary {
        run: ran.run,
        counts,
        total_rows,
        rows,
        log: ran.log,
        denials: ran.denials,
        denials_more: ran.denials_more,
        events: ran.events,
    })
}
