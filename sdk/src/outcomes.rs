//! Monitoring rows: one per employee and operation. [`Outcomes`] batches
//! them so a sync of 100 000 employees is a few hundred host calls, and
//! remembers whose records failed, so the next run can send them again
//! (see [`crate::state::Cursor`]).

use std::collections::BTreeSet;

use crate::Error;
pub use crate::bindings::contract::outcomes::{Operation, Outcome, OutcomeStatus};
use crate::imports::outcomes as raw;

/// Rows are sent to the host in batches of this size.
pub const BATCH: usize = 500;

const BODY_LIMIT: usize = 4096;

impl Outcome {
    fn new(
        employee_id: Option<&str>,
        operation: Operation,
        status: OutcomeStatus,
        message: &str,
    ) -> Self {
        Outcome {
            employee_id: employee_id.map(str::to_string),
            operation,
            status,
            message: message.to_string(),
            partner_status: None,
            partner_body: None,
        }
    }

    pub fn success(employee_id: &str, operation: Operation, message: &str) -> Self {
        Self::new(
            Some(employee_id),
            operation,
            OutcomeStatus::Success,
            message,
        )
    }

    pub fn failed(employee_id: &str, operation: Operation, message: &str) -> Self {
        Self::new(Some(employee_id), operation, OutcomeStatus::Failed, message)
    }

    pub fn skipped(employee_id: &str, operation: Operation, message: &str) -> Self {
        Self::new(
            Some(employee_id),
            operation,
            OutcomeStatus::Skipped,
            message,
        )
    }

    /// Attaches the partner's answer (status and body, truncated to 4 KiB).
    pub fn with_partner(mut self, status: u16, body: &[u8]) -> Self {
        self.partner_status = Some(status);
        self.partner_body = (!body.is_empty()).then(|| truncate_body(body));
        self
    }
}

/// The body as text, cut at 4 KiB on a character boundary.
pub fn truncate_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= BODY_LIMIT {
        return text.into_owned();
    }
    let mut end = BODY_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A buffer of rows, sent in batches. Call [`Outcomes::finish`] at the end;
/// dropping it also flushes, ignoring errors.
#[derive(Default)]
pub struct Outcomes {
    pending: Vec<Outcome>,
    failed: BTreeSet<String>,
}

impl Outcomes {
    pub fn new() -> Self {
        Self {
            pending: Vec::with_capacity(BATCH),
            failed: BTreeSet::new(),
        }
    }

    /// Queues a row; sends a batch when full. An error means the host refused
    /// the batch (for example the run's row limit is reached).
    pub fn push(&mut self, outcome: Outcome) -> Result<(), Error> {
        if outcome.status == OutcomeStatus::Failed
            && let Some(id) = &outcome.employee_id
        {
            self.failed.insert(id.clone());
        }
        self.pending.push(outcome);
        if self.pending.len() >= BATCH {
            self.flush()?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), Error> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        raw::report_batch(&batch).map_err(Error::Host)
    }

    /// The employees with at least one failed row so far: the records
    /// the partner rejected, to send again next run.
    pub fn failed(&self) -> &BTreeSet<String> {
        &self.failed
    }

    /// Sends the rows queued so far and commits `state` with them: a run
    /// cut short after this (the host stopped, a later failure) leaves the
    /// next run this state and these rows, so it continues rather than
    /// starting over. See [`crate::state::checkpoint`].
    pub fn checkpoint(&mut self, state: &str) -> Result<(), Error> {
        self.flush()?;
        crate::state::checkpoint(state)
    }

    /// Sends what is left.
    pub fn finish(mut self) -> Result<(), Error> {
        self.flush()
    }

    /// Sends what is left; returns the employees with a failed row, for
    /// [`crate::state::Cursor::advance`].
    pub fn finish_failed(mut self) -> Result<BTreeSet<String>, Error> {
        self.flush()?;
        Ok(std::mem::take(&mut self.failed))
    }
}

impl Drop for Outcomes {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Sends one row right away.
pub fn report(outcome: &Outcome) -> Result<(), Error> {
    raw::report(outcome).map_err(Error::Host)
}
