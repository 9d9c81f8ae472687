//! The durable job queue. A job is a row; a worker leases it for a while
//! and renews the lease as long as it works on it. A job is ready when it
//! is queued and due, or when its lease ran out (its host stopped). Jobs
//! of one install run one at a time, in due order, so a connector's state
//! cursor is never written by two runs at once.
//!
//! PostgreSQL: the install row is locked with `FOR UPDATE SKIP LOCKED`
//! while a job of it is leased, so replicas never take the same job or two
//! jobs of one install. SQLite: the lease is one `UPDATE … RETURNING`
//! statement, which SQLite runs with the database write lock held.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use super::{Dialect, Result, Store};

mod grouped;
pub(crate) use grouped::JobWriter;

use crate::vocabulary::{FailureKind, JobKind, JobStatus, RunStatus, RunTrigger};

const QUEUED: &str = JobStatus::Queued.as_str();
const LEASED: &str = JobStatus::Leased.as_str();
const CANCELLED: &str = JobStatus::Cancelled.as_str();

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub install_id: String,
    pub tenant_id: String,
    pub kind: JobKind,
    pub trigger: RunTrigger,
    pub payload: Option<String>,
    /// Jobs with the same key are enqueued once.
    pub dedupe_key: Option<String>,
    /// A webhook delivery's body digest (hex SHA-256), by which a later
    /// delivery of the same body is recognised as a replay.
    pub delivery_digest: Option<String>,
    pub due_at: String,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: String,
    pub install_id: String,
    pub tenant_id: String,
    pub kind: JobKind,
    pub trigger: RunTrigger,
    #[serde(skip)]
    pub payload: Option<String>,
    pub status: JobStatus,
    pub due_at: String,
    /// Leases taken so far; more than one means a host stopped during it.
    pub attempts: i64,
    #[serde(skip)]
    pub lease_owner: Option<String>,
    #[serde(skip)]
    pub lease_until: Option<String>,
    pub run_id: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

const JOB_COLUMNS: &str = "id, install_id, tenant_id, kind, run_trigger, payload, status, due_at, \
    attempts, lease_owner, lease_until, run_id, last_error, created_at, finished_at";

fn job_from(r: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        install_id: r.try_get("install_id")?,
        tenant_id: r.try_get("tenant_id")?,
        kind: super::word(r, "kind")?,
        trigger: super::word(r, "run_trigger")?,
        payload: r.try_get("payload")?,
        status: super::word(r, "status")?,
        due_at: r.try_get("due_at")?,
        attempts: r.try_get("attempts")?,
        lease_owner: r.try_get("lease_owner")?,
        lease_until: r.try_get("lease_until")?,
        run_id: r.try_get("run_id")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// Inserts a job inside `tx`; a job with the same dedupe key makes this a
/// no-op. Returns the new job's id, or `None` when it already existed.
pub(super) async fn insert_job(
    tx: &mut Transaction<'static, Any>,
    job: &NewJob,
) -> Result<Option<String>> {
    let id = super::new_id("job");
    let inserted = sqlx::query(&format!(
        "INSERT INTO jobs (id, install_id, tenant_id, kind, run_trigger, payload, dedupe_key, status, due_at, attempts, created_at, delivery_digest) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, '{QUEUED}', $8, 0, $9, $10) ON CONFLICT (dedupe_key) DO NOTHING"
    ))
    .bind(&id)
    .bind(&job.install_id)
    .bind(&job.tenant_id)
    .bind(job.kind.as_str())
    .bind(job.trigger.as_str())
    .bind(&job.payload)
    .bind(&job.dedupe_key)
    .bind(&job.due_at)
    .bind(crate::time::now_text())
    .bind(&job.delivery_digest)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok((inserted == 1).then_some(id))
}

/// "Ready" for jobs aliased `j` at the instant bound as `$1`.
const READY: &str =
    "((j.status = 'queued' AND j.due_at <= $1) OR (j.status = 'leased' AND j.lease_until < $1))";

/// No other job of the same install holds a live lease at `$1`.
const INSTALL_FREE: &str = "NOT EXISTS (SELECT 1 FROM jobs o WHERE o.install_id = j.install_id \
    AND o.id <> j.id AND o.status = 'leased' AND o.lease_until >= $1)";

/// The first `limit` jobs that are [`READY`] at `$1` and whose install is
/// free, due first, as `id, install_id`. Expired leases and queued jobs
/// are searched apart, each in the order of the `jobs_ready` index, so
/// each search stops at its first `limit` matches instead of checking
/// and sorting every queued job; the two short lists are then merged.
fn next_ready(limit: usize) -> String {
    let search = |ready: &str| {
        format!(
            "SELECT * FROM (SELECT j.id, j.install_id, j.due_at, j.created_at FROM jobs j \
             WHERE {ready} AND {INSTALL_FREE} ORDER BY j.due_at, j.created_at LIMIT {limit})"
        )
    };
    format!(
        "SELECT r.id, r.install_id FROM ({} AS expired UNION ALL {} AS queued) r \
         ORDER BY r.due_at, r.created_at LIMIT {limit}",
        search("j.status = 'leased' AND j.lease_until < $1"),
        search("j.status = 'queued' AND j.due_at <= $1"),
    )
}

impl Store {
    pub async fn job(&self, id: &str) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from).transpose()
    }

    /// A queued manual job of the install that has not started yet.
    pub async fn waiting_job(&self, install_id: &str, trigger: RunTrigger) -> Result<Option<Job>> {
        let row = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE install_id = $1 AND run_trigger = $2 AND status = '{QUEUED}' ORDER BY due_at LIMIT 1"
        ))
        .bind(install_id)
        .bind(trigger.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_from).transpose()
    }

    /// Jobs of an install, newest first.
    pub async fn install_jobs(&self, install_id: &str, limit: i64) -> Result<Vec<Job>> {
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE install_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        ))
        .bind(install_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(job_from).collect()
    }

    /// Leases the next ready job for `owner` until `until`.
    pub async fn lease_job(&self, owner: &str, now: &str, until: &str) -> Result<Option<Job>> {
        match self.dialect {
            Dialect::Sqlite => {
                let row = sqlx::query(&format!(
                    "UPDATE jobs SET status = '{LEASED}', lease_owner = $2, lease_until = $3, attempts = attempts + 1 \
                     WHERE id = (SELECT n.id FROM ({}) n) \
                     RETURNING {JOB_COLUMNS}",
                    next_ready(1)
                ))
                .bind(now)
                .bind(owner)
                .bind(until)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(job_from).transpose()
            }
            Dialect::Postgres => self.lease_job_postgres(owner, now, until).await,
        }
    }

    async fn lease_job_postgres(&self, owner: &str, now: &str, until: &str) -> Result<Option<Job>> {
        let candidates = sqlx::query(&next_ready(16))
            .bind(now)
            .fetch_all(&self.pool)
            .await?;
        let mut tried = std::collections::HashSet::new();
        for candidate in candidates {
            let install_id: String = candidate.try_get("install_id")?;
            if !tried.insert(install_id.clone()) {
                continue;
            }
            let mut tx = self.begin_write().await?;
            // Whoever holds the install row is leasing a job of it.
            let locked =
                sqlx::query("SELECT id FROM installs WHERE id = $1 FOR UPDATE SKIP LOCKED")
                    .bind(&install_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if locked.is_none() {
                continue;
            }
            // Checked again under the lock: the first query saw an older snapshot.
            let row = sqlx::query(&format!(
                "UPDATE jobs SET status = '{LEASED}', lease_owner = $2, lease_until = $3, attempts = attempts + 1 \
                 WHERE id = (SELECT j.id FROM jobs j WHERE j.install_id = $4 AND {READY} AND {INSTALL_FREE} \
                 ORDER BY j.due_at, j.created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING {JOB_COLUMNS}"
            ))
            .bind(now)
            .bind(owner)
            .bind(until)
            .bind(&install_id)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            if let Some(row) = row {
                return Ok(Some(job_from(&row)?));
            }
        }
        Ok(None)
    }

    /// Extends a lease `owner` still holds; `false` when it lost it.
    pub async fn renew_lease(&self, job_id: &str, owner: &str, until: &str) -> Result<bool> {
        let n = sqlx::query(&format!(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND status = '{LEASED}'"
        ))
        .bind(until)
        .bind(job_id)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Puts a job `owner` holds back in the queue, due at `due_at`, with
    /// `reason` as its last error; the lease does not count as an attempt
    /// (the host was stopped, or could not prepare the job). `false` when
    /// the job was taken over meanwhile.
    pub async fn requeue_job(
        &self,
        job_id: &str,
        owner: &str,
        due_at: &str,
        reason: &str,
    ) -> Result<bool> {
        let n = sqlx::query(&format!(
            "UPDATE jobs SET status = '{QUEUED}', lease_owner = NULL, lease_until = NULL, \
             attempts = attempts - 1, due_at = $1, last_error = $2 \
             WHERE id = $3 AND lease_owner = $4 AND status = '{LEASED}'"
        ))
        .bind(due_at)
        .bind(reason)
        .bind(job_id)
        .bind(owner)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Links the run a job started.
    pub async fn set_job_run(&self, job_id: &str, run_id: &str) -> Result<()> {
        sqlx::query("UPDATE jobs SET run_id = $1 WHERE id = $2")
            .bind(run_id)
            .bind(job_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a job `owner` holds with `status` (done, failed, cancelled).
    pub async fn finish_job(
        &self,
        job_id: &str,
        owner: &str,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<bool> {
        super::run_end::write_job_end(
            &mut *self.pool.acquire().await?,
            job_id,
            owner,
            status,
            error,
        )
        .await
    }

    /// Cancels the queued jobs of an install (it was deactivated or
    /// deleted). Each was accepted (a delivery answered 202, a "sync now"),
    /// so each leaves a Not run entry in monitoring saying `reason`.
    pub async fn cancel_queued_jobs(&self, install_id: &str, reason: &str) -> Result<u64> {
        let now = crate::time::now_text();
        let mut tx = self.begin_write().await?;
        let cancelled = sqlx::query(&format!(
            "UPDATE jobs SET status = '{CANCELLED}', last_error = $1, finished_at = $2 \
             WHERE install_id = $3 AND status = '{QUEUED}' RETURNING id, kind, run_trigger"
        ))
        .bind(reason)
        .bind(&now)
        .bind(install_id)
        .fetch_all(&mut *tx)
        .await?;
        for job in &cancelled {
            let job_id: String = job.try_get("id")?;
            let kind: String = job.try_get("kind")?;
            let trigger: String = job.try_get("run_trigger")?;
            let run_id = super::new_id("run");
            insert_not_run(
                &mut tx,
                &run_id,
                install_id,
                (&kind, &trigger),
                &job_id,
                reason,
                &now,
            )
            .await?;
            sqlx::query("UPDATE jobs SET run_id = $1 WHERE id = $2")
                .bind(&run_id)
                .bind(&job_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(cancelled.len() as u64)
    }

    /// Records that a leased job of `install_id` was not run, and why:
    /// a Not run entry in monitoring, linked to the job.
    pub async fn record_not_run(&self, job: &Job, reason: &str) -> Result<String> {
        let now = crate::time::now_text();
        let run_id = super::new_id("run");
        let mut tx = self.begin_write().await?;
        insert_not_run(
            &mut tx,
            &run_id,
            &job.install_id,
            (job.kind.as_str(), job.trigger.as_str()),
            &job.id,
            reason,
            &now,
        )
        .await?;
        sqlx::query("UPDATE jobs SET run_id = $1 WHERE id = $2")
            .bind(&run_id)
            .bind(&job.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(run_id)
    }

    /// Marks the runs of a job that were still going when their host
    /// stopped as Failed, keeping the rows they committed.
    pub async fn abandon_job_runs(&self, job_id: &str, reason: &str) -> Result<u64> {
        Ok(sqlx::query(&format!(
            "UPDATE runs SET status = '{}', failure_kind = '{}', failure_reason = $1, finished_at = $2 \
             WHERE job_id = $3 AND status = '{}'",
            RunStatus::Failed.as_str(),
            FailureKind::HostStopped.as_str(),
            RunStatus::Running.as_str(),
        ))
        .bind(reason)
        .bind(crate::time::now_text())
        .bind(job_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}

/// A Not run entry for a job of `install_id`, written inside `tx`.
async fn insert_not_run(
    tx: &mut Transaction<'static, Any>,
    run_id: &str,
    install_id: &str,
    (kind, trigger): (&str, &str),
    job_id: &str,
    reason: &str,
    now: &str,
) -> Result<()> {
    sqlx::query(&format!(
        "INSERT INTO runs ({}) SELECT $1, i.id, i.tenant_id, i.connector_id, i.plugin_version, $2, $3, '{}', \
         $4, $4, 0, $5, 0, 0, $6, NULL, NULL FROM installs i WHERE i.id = $7",
        super::runs::RUN_COLUMNS,
        RunStatus::NotRun.as_str(),
    ))
    .bind(run_id)
    .bind(kind)
    .bind(trigger)
    .bind(now)
    .bind(reason)
    .bind(job_id)
    .bind(install_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
