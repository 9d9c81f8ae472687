//! Runs, their monitoring rows and their logs. Rows are appended as the
//! connector reports them, so a host stopped mid-run keeps every row it
//! acknowledged.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::Sql;
use super::{Result, Store, optional_word, word};
use crate::monitoring::{LogLine, RunRecord, RunRow};
use crate::vocabulary::{Operation, RowStatus, RunStatus};

pub(super) const RUN_COLUMNS: &str = "id, install_id, tenant_id, connector_id, plugin_version, kind, \
    run_trigger, status, started_at, finished_at, duration_ms, failure_reason, requests, peak_memory, \
    job_id, failure_kind, host";

pub(super) fn run_from(row: &AnyRow) -> Result<RunRecord, sqlx::Error> {
    Ok(RunRecord {
        id: row.try_get("id")?,
        install_id: row.try_get("install_id")?,
        tenant_id: row.try_get("tenant_id")?,
        connector_id: row.try_get("connector_id")?,
        plugin_version: row.try_get("plugin_version")?,
        kind: word(row, "kind")?,
        trigger: word(row, "run_trigger")?,
        status: word(row, "status")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        duration_ms: row.try_get("duration_ms")?,
        failure_kind: optional_word(row, "failure_kind")?,
        failure_reason: row.try_get("failure_reason")?,
        requests: row.try_get("requests")?,
        peak_memory: row.try_get("peak_memory")?,
        job_id: row.try_get("job_id")?,
        host: row.try_get("host")?,
    })
}

impl Store {
    /// Records a run as started; a queued job's run is linked to its job
    /// in the same transaction, so the job shows its run while it runs.
    pub async fn create_run(&self, run: &RunRecord) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "INSERT INTO runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, 0, 0, $10, NULL, $11)"
        ))
        .bind(&run.id)
        .bind(&run.install_id)
        .bind(&run.tenant_id)
        .bind(&run.connector_id)
        .bind(&run.plugin_version)
        .bind(run.kind.as_str())
        .bind(run.trigger.as_str())
        .bind(run.status.as_str())
        .bind(&run.started_at)
        .bind(&run.job_id)
        .bind(&run.host)
        .execute(&mut *tx)
        .await?;
        if let Some(job_id) = &run.job_id {
            sqlx::query("UPDATE jobs SET run_id = $1 WHERE id = $2")
                .bind(&run.id)
                .bind(job_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records the end of a run.
    pub async fn finish_run(&self, run: &RunRecord) -> Result<()> {
        super::run_end::write_finish(&mut *self.pool.acquire().await?, run).await
    }

    pub async fn run(&self, id: &str) -> Result<Option<RunRecord>> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(run_from).transpose()?)
    }

    pub async fn runs_of_install(&self, install_id: &str) -> Result<Vec<RunRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE install_id = $1 ORDER BY started_at DESC, id"
        ))
        .bind(install_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(run_from).collect::<Result<_, _>>()?)
    }

    /// Runs of an install, newest first, `limit` of them after the cursor
    /// `(started_at, id)` of the last run of the previous page.
    pub async fn runs_page(
        &self,
        install_id: &str,
        before: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<Vec<RunRecord>> {
        let mut q = Sql::new(
            self.dialect,
            format!("SELECT {RUN_COLUMNS} FROM runs WHERE install_id = "),
        );
        q.bind(install_id.to_string());
        if let Some((started_at, id)) = before {
            q.push(" AND (started_at < ")
                .bind(started_at.to_string())
                .push(" OR (started_at = ")
                .bind(started_at.to_string())
                .push(" AND id > ")
                .bind(id.to_string())
                .push("))");
        }
        q.push(" ORDER BY started_at DESC, id LIMIT ")
            .bind(limit.max(1));
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(run_from).collect::<Result<_, _>>()?)
    }

    /// Finished runs by status: (status, count, total duration in ms).
    pub async fn run_totals(&self) -> Result<Vec<(RunStatus, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n, CAST(SUM(COALESCE(duration_ms, 0)) AS BIGINT) AS ms FROM runs GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    word(r, "status")?,
                    r.try_get("n")?,
                    r.try_get::<Option<i64>, _>("ms")?.unwrap_or(0),
                ))
            })
            .collect()
    }

    /// Appends monitoring rows in one transaction.
    pub async fn insert_rows(&self, run_id: &str, rows: &[RunRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(500) {
            let mut q = Sql::new(
                self.dialect,
                "INSERT INTO run_rows (run_id, seq, recorded_at, employee_id, operation, status, message, partner_status, partner_body) ",
            );
            q.push("VALUES ").values(chunk, |b, r| {
                b.bind(run_id.to_string())
                    .bind(r.seq)
                    .bind(r.recorded_at.clone())
                    .bind(r.employee_id.clone())
                    .bind(r.operation.as_str())
                    .bind(r.status.as_str())
                    .bind(r.message.clone())
                    .bind(r.partner_status)
                    .bind(r.partner_body.clone());
            });
            q.execute(&mut *tx).await?;
        }
        let mut counts: BTreeMap<(Operation, RowStatus), i64> = BTreeMap::new();
        for r in rows {
            *counts.entry((r.operation, r.status)).or_default() += 1;
        }
        let mut q = Sql::new(
            self.dialect,
            "INSERT INTO run_row_counts (run_id, operation, status, n) VALUES ",
        );
        q.values(&counts, |b, ((operation, status), n)| {
            b.bind(run_id.to_string())
                .bind(operation.as_str())
                .bind(status.as_str())
                .bind(*n);
        });
        q.push(
            " ON CONFLICT (run_id, operation, status) DO UPDATE SET n = run_row_counts.n + excluded.n",
        );
        q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rows of a run in order, optionally only one status or employee.
    pub async fn run_rows(
        &self,
        run_id: &str,
        status: Option<RowStatus>,
        employee_id: Option<&str>,
        after_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RunRow>> {
        let mut q = Sql::new(
            self.dialect,
            "SELECT seq, recorded_at, employee_id, operation, status, message, partner_status, partner_body FROM run_rows WHERE run_id = ",
        );
        q.bind(run_id.to_string());
        if let Some(s) = status {
            q.push(" AND status = ").bind(s.as_str());
        }
        if let Some(e) = employee_id {
            q.push(" AND employee_id = ").bind(e.to_string());
        }
        if let Some(after) = after_seq {
            q.push(" AND seq > ").bind(after);
        }
        q.push(" ORDER BY seq LIMIT ").bind(limit.max(1));
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(RunRow {
                    seq: r.try_get("seq")?,
                    recorded_at: r.try_get("recorded_at")?,
                    employee_id: r.try_get("employee_id")?,
                    operation: word(r, "operation")?,
                    status: word(r, "status")?,
                    message: r.try_get("message")?,
                    partner_status: r.try_get("partner_status")?,
                    partner_body: r.try_get("partner_body")?,
                })
            })
            .collect()
    }

    /// Row counts of a run by (operation, status).
    pub async fn run_counts(&self, run_id: &str) -> Result<BTreeMap<(Operation, RowStatus), i64>> {
        let mut counts = self.runs_counts(&[run_id.to_string()]).await?;
        Ok(counts.remove(run_id).unwrap_or_default())
    }

    /// Row counts of each of the runs by (operation, status), in one query.
    pub async fn runs_counts(
        &self,
        run_ids: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<(Operation, RowStatus), i64>>> {
        let mut out: BTreeMap<String, BTreeMap<(Operation, RowStatus), i64>> = BTreeMap::new();
        for chunk in run_ids.chunks(400) {
            let mut q = Sql::new(
                self.dialect,
                "SELECT run_id, operation, status, n FROM run_row_counts WHERE run_id IN ",
            );
            q.list(chunk.iter().cloned());
            for r in q.fetch_all(&self.pool).await? {
                out.entry(r.try_get("run_id")?).or_default().insert(
                    (word(&r, "operation")?, word(&r, "status")?),
                    r.try_get("n")?,
                );
            }
        }
        Ok(out)
    }

    pub async fn insert_logs(&self, run_id: &str, lines: &[LogLine]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        super::run_end::write_logs(self.dialect, &mut tx, run_id, lines).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn run_logs(&self, run_id: &str) -> Result<Vec<LogLine>> {
        let rows =
            sqlx::query("SELECT at, level, message FROM run_logs WHERE run_id = $1 ORDER BY seq")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(LogLine {
                    at: r.try_get("at")?,
                    level: r.try_get("level")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }
}
