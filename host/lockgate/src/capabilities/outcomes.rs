//! `lockgate:connector/outcomes`: monitoring rows, written to the store as
//! they arrive so a host killed mid-run keeps every row it acknowledged.

use crate::bindings::outcomes::{Host, Operation, Outcome, OutcomeStatus};
use crate::bindings::types::HostError;
use crate::capabilities::Invocation;
use crate::monitoring::RunRow;
use crate::vocabulary::{self, FailureKind, RowStatus};

/// Partner bodies are kept up to this many bytes.
pub const MAX_BODY_BYTES: usize = 4096;
/// Messages are kept up to this many bytes.
pub const MAX_MESSAGE_BYTES: usize = 2048;
const MAX_ID_BYTES: usize = 200;

/// The contract's operation in the host's vocabulary.
pub fn operation(op: Operation) -> vocabulary::Operation {
    match op {
        Operation::Provision => vocabulary::Operation::Provision,
        Operation::Update => vocabulary::Operation::Update,
        Operation::Deprovision => vocabulary::Operation::Deprovision,
        Operation::Link => vocabulary::Operation::Link,
        Operation::Create => vocabulary::Operation::Create,
        Operation::Skip => vocabulary::Operation::Skip,
    }
}

/// The contract's row status in the host's vocabulary.
pub fn row_status(status: OutcomeStatus) -> RowStatus {
    match status {
        OutcomeStatus::Success => RowStatus::Success,
        OutcomeStatus::Failed => RowStatus::Failed,
        OutcomeStatus::Skipped => RowStatus::Skipped,
    }
}

/// Cuts text at `max` bytes on a character boundary, marking the cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl Invocation {
    async fn record(&mut self, outcomes: Vec<Outcome>) -> wasmtime::Result<Result<(), HostError>> {
        let sink = &mut self.outcomes;
        let total = sink.written + outcomes.len() as u64;
        if total > sink.cap {
            let reason = format!("outcome limit {} rows reached", sink.cap);
            self.recorder.fatal(FailureKind::Limit, reason.clone());
            // Fatal: the instance stops here.
            return Err(wasmtime::format_err!("{reason}"));
        }
        let now = crate::time::now_text();
        let mut rows = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            if o.employee_id
                .as_ref()
                .is_some_and(|id| id.len() > MAX_ID_BYTES)
            {
                return Ok(Err(HostError::InvalidArgument(format!(
                    "employee-id longer than {MAX_ID_BYTES} bytes"
                ))));
            }
            rows.push(RunRow {
                seq: 0,
                recorded_at: now.clone(),
                employee_id: o.employee_id,
                operation: operation(o.operation),
                status: row_status(o.status),
                message: truncate(&o.message, MAX_MESSAGE_BYTES),
                partner_status: o.partner_status.map(i64::from),
                partner_body: o.partner_body.map(|b| truncate(&b, MAX_BODY_BYTES)),
            });
        }
        for row in &mut rows {
            row.seq = sink.written as i64;
            sink.written += 1;
        }
        if let Some((store, run_id)) = &sink.target
            && let Err(e) = store.insert_rows(run_id, &rows).await
        {
            tracing::error!(run = %run_id, "storing outcome rows: {e}");
            return Ok(Err(HostError::Unavailable(
                "the host could not store the rows".into(),
            )));
        }
        sink.failed += rows
            .iter()
            .filter(|r| r.status == RowStatus::Failed)
            .count() as u64;
        Ok(Ok(()))
    }
}

impl Host for Invocation {
    async fn report(&mut self, outcome: Outcome) -> wasmtime::Result<Result<(), HostError>> {
        self.record(vec![outcome]).await
    }

    async fn report_batch(
        &mut self,
        outcomes: Vec<Outcome>,
    ) -> wasmtime::Result<Result<(), HostError>> {
        self.record(outcomes).await
    }
}

/// Where an invocation's rows go.
pub struct OutcomeSink {
    /// The run the rows belong to; `None` for calls that are not runs.
    pub target: Option<(crate::Store, String)>,
    pub cap: u64,
    /// Rows accepted so far, and how many of them failed; the rows
    /// themselves live only in the store.
    pub written: u64,
    pub failed: u64,
}
