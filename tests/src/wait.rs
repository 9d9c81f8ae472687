//! Waiting on conditions. A test that needs something to have happened
//! polls for it; a test that needs nothing more to happen waits for a
//! condition that proves it (the install's jobs all finished), never for
//! a fixed time.

use std::future::Future;
use std::time::Duration;

use lockgate::Store;
use lockgate::store::Job;

/// Polls `check` until it returns `Some`, for at most 30 s.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(what, Duration::from_secs(30), check).await
}

/// Polls `check` every 20 ms until it returns `Some`; panics naming `what`
/// after `timeout`.
pub async fn eventually_within<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the install has jobs and none of them is queued or leased:
/// its queue is drained, so no run of it is under way or about to start
/// (until something enqueues a new job). Returns its jobs, newest first.
pub async fn jobs_settled(store: &Store, install_id: &str) -> Vec<Job> {
    eventually(&format!("the jobs of {install_id} to finish"), || async {
        let jobs = store
            .install_jobs(install_id, 10_000)
            .await
            .expect("the install's jobs");
        // A job is open while queued or leased (see `store::jobs`).
        let open = jobs
            .iter()
            .any(|j| j.status == "queued" || j.status == "leased");
        (!jobs.is_empty() && !open).then_some(jobs)
    })
    .await
}
