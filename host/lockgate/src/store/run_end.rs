//! The end of a run, written at once: the state the connector saved, its
//! log, its audit entries, the run's outcome and, for a queued job's run,
//! the install's streak of failures. One transaction instead of five: on
//! SQLite each commit also empties the page cache of every other
//! connection, and with thousands of short runs the commits were a large
//! share of each run.

use sqlx::AnyConnection;

use super::sql::Sql;
use super::{Dialect, Result, Store};
use crate::monitoring::{AuditEntry, LogLine, RunRecord};
use crate::vocabulary::{InstallStatus, JobStatus, Streak};

const CONNECTED: &str = InstallStatus::Connected.as_str();
const INACTIVE: &str = InstallStatus::Inactive.as_str();
const LEASED: &str = JobStatus::Leased.as_str();

/// What a finished run leaves in the store.
pub struct RunEnd<'a> {
    pub run: &'a RunRecord,
    /// The state the connector saved, committed with the run.
    pub state: Option<&'a str>,
    pub log: &'a [LogLine],
    pub audit: &'a [AuditEntry],
    /// Set for a queued job's run: the run counts towards the install's
    /// streak of failures.
    pub streak: Option<StreakLimit<'a>>,
    /// The queued job to end with the run, as [`RunRecord::job_end`] says,
    /// while `owner` still holds its lease.
    pub job: Option<JobEnd<'a>>,
}

/// At `limit` failed runs in a row an install turns inactive, saying
/// `reason`. `current` is the streak the install had when the run
/// started, when known (only one job of an install runs at a time, so
/// it is still the streak at its end).
#[derive(Debug, Clone, Copy)]
pub struct StreakLimit<'a> {
    pub limit: i64,
    pub reason: &'a str,
    pub current: Option<i64>,
}

/// A leased job and the worker holding it.
#[derive(Debug, Clone, Copy)]
pub struct JobEnd<'a> {
    pub id: &'a str,
    pub owner: &'a str,
}

/// What [`Store::end_run`] changed besides the run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunEnded {
    /// The run made its install inactive.
    pub deactivated: bool,
    /// The job was ended with the run: `Some(false)` when its lease had
    /// passed to another host meanwhile.
    pub job_finished: Option<bool>,
}

impl Store {
    /// Writes the end of a run in one transaction.
    pub async fn end_run(&self, end: RunEnd<'_>) -> Result<RunEnded> {
        let mut tx = self.begin_write().await?;
        if let Some(state) = end.state {
            write_state(&mut tx, &end.run.install_id, state).await?;
        }
        write_logs(self.dialect, &mut tx, &end.run.id, end.log).await?;
        write_audit(self.dialect, &mut tx, end.run, end.audit).await?;
        write_finish(&mut tx, end.run).await?;
        let deactivated = match end.streak {
            Some(limit) => {
                count_outcome(&mut tx, &end.run.install_id, end.run.streak(), limit).await?
            }
            None => false,
        };
        let job_finished = match end.job {
            Some(job) => {
                let (status, error) = end.run.job_end();
                Some(write_job_end(&mut tx, job.id, job.owner, status, error.as_deref()).await?)
            }
            None => None,
        };
        tx.commit().await?;
        Ok(RunEnded {
            deactivated,
            job_finished,
        })
    }
}

pub(super) async fn write_state(
    conn: &mut AnyConnection,
    install_id: &str,
    value: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM install_state WHERE install_id = $1")
        .bind(install_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO install_state (install_id, value, updated_at) VALUES ($1, $2, $3)")
        .bind(install_id)
        .bind(value)
        .bind(crate::time::now_text())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn write_logs(
    dialect: Dialect,
    conn: &mut AnyConnection,
    run_id: &str,
    lines: &[LogLine],
) -> Result<()> {
    for (chunk_no, chunk) in lines.chunks(500).enumerate() {
        let mut q = Sql::new(
            dialect,
            "INSERT INTO run_logs (run_id, seq, at, level, message) ",
        );
        q.push("VALUES ")
            .values(chunk.iter().enumerate(), |b, (i, l)| {
                b.bind(run_id.to_string())
                    .bind((chunk_no * 500 + i) as i64)
                    .bind(l.at.clone())
                    .bind(l.level.clone())
                    .bind(l.message.clone());
            });
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn write_audit(
    dialect: Dialect,
    conn: &mut AnyConnection,
    run: &RunRecord,
    entries: &[AuditEntry],
) -> Result<()> {
    for (chunk_no, chunk) in entries.chunks(200).enumerate() {
        let mut q = Sql::new(
            dialect,
            "INSERT INTO audit_log (tenant_id, install_id, run_id, seq, at, action, what, employee_ids, attribute_groups) ",
        );
        q.push("VALUES ")
            .values(chunk.iter().enumerate(), |b, (i, e)| {
                b.bind(run.tenant_id.clone())
                    .bind(run.install_id.clone())
                    .bind(run.id.clone())
                    .bind((chunk_no * 200 + i) as i64)
                    .bind(e.at.clone())
                    .bind(e.action.to_string())
                    .bind(e.what.to_string())
                    .bind(serde_json::to_string(&e.employee_ids).unwrap_or_default())
                    .bind(serde_json::to_string(&e.attribute_groups).unwrap_or_default());
            });
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

pub(super) async fn write_finish(conn: &mut AnyConnection, run: &RunRecord) -> Result<()> {
    sqlx::query(
        "UPDATE runs SET status = $1, finished_at = $2, duration_ms = $3, failure_reason = $4, requests = $5, peak_memory = $6, failure_kind = $8 WHERE id = $7",
    )
    .bind(run.status.as_str())
    .bind(&run.finished_at)
    .bind(run.duration_ms)
    .bind(&run.failure_reason)
    .bind(run.requests)
    .bind(run.peak_memory)
    .bind(&run.id)
    .bind(run.failure_kind.map(|k| k.as_str()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves an install's streak of failures by `step`; returns whether it
/// reached the limit and turned the install inactive.
pub(super) async fn count_outcome(
    conn: &mut AnyConnection,
    install_id: &str,
    step: Streak,
    limit: StreakLimit<'_>,
) -> Result<bool> {
    match step {
        Streak::Stays => Ok(false),
        Streak::Ends if limit.current == Some(0) => Ok(false),
        Streak::Ends => {
            sqlx::query(
                "UPDATE installs SET failure_streak = 0 WHERE id = $1 AND failure_streak <> 0",
            )
            .bind(install_id)
            .execute(&mut *conn)
            .await?;
            Ok(false)
        }
        Streak::Grows => {
            sqlx::query("UPDATE installs SET failure_streak = failure_streak + 1 WHERE id = $1")
                .bind(install_id)
                .execute(&mut *conn)
                .await?;
            let n = sqlx::query(&format!(
                "UPDATE installs SET status = '{INACTIVE}', status_reason = $1, next_run_at = NULL, updated_at = $2 \
                 WHERE id = $3 AND status = '{CONNECTED}' AND failure_streak >= $4"
            ))
            .bind(limit.reason)
            .bind(crate::time::now_text())
            .bind(install_id)
            .bind(limit.limit)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            Ok(n == 1)
        }
    }
}

/// Ends a job `owner` holds; `false` when it no longer holds it.
pub(super) async fn write_job_end(
    conn: &mut sqlx::AnyConnection,
    job_id: &str,
    owner: &str,
    status: JobStatus,
    error: Option<&str>,
) -> Result<bool> {
    let n = sqlx::query(&format!(
        "UPDATE jobs SET status = $1, last_error = $2, finished_at = $3, lease_until = NULL \
         WHERE id = $4 AND lease_owner = $5 AND status = '{LEASED}'"
    ))
    .bind(status.as_str())
    .bind(error)
    .bind(crate::time::now_text())
    .bind(job_id)
    .bind(owner)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}
