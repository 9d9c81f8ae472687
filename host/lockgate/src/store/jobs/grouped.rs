//! Group commit for [`Store::enqueue`]. Every caller still returns only
//! once its job is committed, but jobs enqueued at the same moment (a
//! burst of webhook deliveries) share one transaction: one write lock and
//! one commit instead of one each. On SQLite, writers that queue for the
//! database lock wait in its busy handler's growing sleeps; on PostgreSQL,
//! each commit waits for its own flush of the log.
//!
//! One task per store writes the jobs. It takes whatever is waiting when it
//! starts a transaction (up to [`MAX_GROUP`]) and writes it as one
//! multi-row insert, so a lone job is written at once and never waits for
//! company. When a group's transaction fails, its jobs are written one by
//! one, so one bad job fails only its own caller.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use super::{NewJob, insert_job};
use crate::store::sql::Sql;
use crate::store::{Result, Store};
use crate::vocabulary::JobStatus;

/// The most jobs one transaction takes.
const MAX_GROUP: usize = 256;

type Reply = oneshot::Sender<Result<Option<String>>>;

/// The way to a store's job writer, started on first use.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobWriter(Arc<OnceLock<mpsc::UnboundedSender<(NewJob, Reply)>>>);

impl Store {
    /// Queues a job; returns its id, or `None` when a job with the same
    /// dedupe key exists. Returns once the job is committed.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Option<String>> {
        let sender = self.jobs.0.get_or_init(|| {
            let (sender, waiting) = mpsc::unbounded_channel();
            // The writer's own handle has no writer: it holds the pool, not
            // the way in, and stops when the last handle of the store goes.
            let store = Store {
                pool: self.pool.clone(),
                dialect: self.dialect,
                jobs: JobWriter::default(),
            };
            tokio::spawn(write_jobs(store, waiting));
            sender
        });
        let (reply, answer) = oneshot::channel();
        if sender.send((job.clone(), reply)).is_err() {
            // The writer's runtime has gone (a handle kept across
            // runtimes): write it here instead.
            return self.enqueue_alone(job).await;
        }
        // No answer means the writer stopped mid-group (its runtime shut
        // down): the job may or may not be committed, so it is not written
        // again here; the caller sees an error, as if the database failed.
        answer
            .await
            .unwrap_or(Err(sqlx::Error::WorkerCrashed.into()))
    }

    /// One job in a transaction of its own.
    async fn enqueue_alone(&self, job: &NewJob) -> Result<Option<String>> {
        let mut tx = self.begin_write().await?;
        let id = insert_job(&mut tx, job).await?;
        tx.commit().await?;
        Ok(id)
    }
}

async fn write_jobs(store: Store, mut waiting: mpsc::UnboundedReceiver<(NewJob, Reply)>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while waiting.recv_many(&mut group, MAX_GROUP).await > 0 {
        match write_group(&store, &group).await {
            Ok(ids) => {
                for ((_, reply), id) in group.drain(..).zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            Err(e) if group.len() == 1 => {
                if let Some((_, reply)) = group.pop() {
                    let _ = reply.send(Err(e));
                }
            }
            Err(_) => {
                for (job, reply) in group.drain(..) {
                    let _ = reply.send(store.enqueue_alone(&job).await);
                }
            }
        }
    }
}

/// The group's jobs in one transaction and one statement; a job whose
/// dedupe key exists already (or repeats inside the group) is left out.
async fn write_group(store: &Store, group: &[(NewJob, Reply)]) -> Result<Vec<Option<String>>> {
    let ids: Vec<String> = group.iter().map(|_| crate::store::new_id("job")).collect();
    let created_at = crate::time::now_text();
    let mut insert = Sql::new(
        store.dialect,
        "INSERT INTO jobs (id, install_id, tenant_id, kind, run_trigger, payload, dedupe_key, \
         status, due_at, attempts, created_at, delivery_digest) VALUES ",
    );
    insert.values(group.iter().zip(&ids), |row, ((job, _), id)| {
        row.bind(id.clone())
            .bind(job.install_id.clone())
            .bind(job.tenant_id.clone())
            .bind(job.kind.as_str())
            .bind(job.trigger.as_str())
            .bind(job.payload.clone())
            .bind(job.dedupe_key.clone())
            .bind(JobStatus::Queued.as_str())
            .bind(job.due_at.clone())
            .bind(0_i64)
            .bind(created_at.clone())
            .bind(job.delivery_digest.clone());
    });
    insert
        .push(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
        .once();
    let mut tx = store.begin_write().await?;
    let inserted: HashSet<String> = insert
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    tx.commit().await?;
    Ok(ids
        .into_iter()
        .map(|id| inserted.contains(&id).then_some(id))
        .collect())
}
