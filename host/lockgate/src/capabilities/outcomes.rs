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
        if outcomes.iter().any(|o| {
            o.employee_id
                .as_ref()
                .is_some_and(|id| id.len() > MAX_ID_BYTES)
        }) {
            return Ok(Err(HostError::InvalidArgument(format!(
                "employee-id longer than {MAX_ID_BYTES} bytes"
            ))));
        }
        let now = crate::time::now_text();
        let mut rows = Vec::with_capacity(outcomes.len());
        for o in outcomes {
            let (message, partner_body) = sink.budget.fit(
                truncate(&o.message, MAX_MESSAGE_BYTES),
                o.partner_body.map(|b| truncate(&b, MAX_BODY_BYTES)),
            );
            rows.push(RunRow {
                seq: 0,
                recorded_at: now.clone(),
                employee_id: o.employee_id,
                operation: operation(o.operation),
                status: row_status(o.status),
                message,
                partner_status: o.partner_status.map(i64::from),
                partner_body,
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
    /// The run's byte budget for messages and partner bodies.
    pub budget: RowBudget,
}

impl OutcomeSink {
    /// An empty sink with the run's row count and byte limits.
    pub fn new(target: Option<(crate::Store, String)>, limits: &crate::policy::Limits) -> Self {
        OutcomeSink {
            target,
            cap: limits.max_outcome_rows,
            written: 0,
            failed: 0,
            budget: RowBudget::new(limits.max_row_bytes),
        }
    }
}

/// The bytes of row text (message and partner body) a run may store. Past
/// the budget, rows are still stored with their employee, operation,
/// status and partner status, so counts and failures stay right; only
/// their texts are cut, and the run's log says how many were.
#[derive(Debug, Clone, Default)]
pub struct RowBudget {
    pub max: u64,
    /// Message and body bytes stored so far.
    pub spent: u64,
    /// Rows whose message or body was cut or dropped for the budget.
    pub shortened: u64,
}

impl RowBudget {
    pub fn new(max: u64) -> Self {
        RowBudget {
            max,
            spent: 0,
            shortened: 0,
        }
    }

    /// The row's texts as far as the budget allows: whole while it lasts,
    /// then cut (ending in `…`) to what is left, then empty.
    pub fn fit(&mut self, message: String, body: Option<String>) -> (String, Option<String>) {
        let want = (message.len() + body.as_ref().map_or(0, String::len)) as u64;
        if self.spent + want <= self.max {
            self.spent += want;
            return (message, body);
        }
        self.shortened += 1;
        let mut room = (self.max - self.spent) as usize;
        let message = cut_to(&message, room);
        room -= message.len();
        let body = body.map(|b| cut_to(&b, room)).filter(|b| !b.is_empty());
        self.spent += (message.len() + body.as_ref().map_or(0, String::len)) as u64;
        (message, body)
    }

    /// The log line that says the budget was reached, if it was.
    pub fn marker(&self) -> Option<String> {
        (self.shortened > 0).then(|| {
            format!(
                "row budget {} reached: the message or partner body of {} row(s) was shortened or dropped; every row, its status and the counts are complete",
                crate::policy::Limits::human_bytes(self.max),
                self.shortened
            )
        })
    }
}

/// `text` in at most `room` bytes: whole, or cut with `…`, or empty.
fn cut_to(text: &str, room: usize) -> String {
    const MARK: usize = '…'.len_utf8();
    if text.len() <= room {
        text.to_string()
    } else if room <= MARK {
        String::new()
    } else {
        truncate(text, room - MARK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_cuts_then_drops_texts_and_counts_the_rows() {
        let mut budget = RowBudget::new(10);
        assert_eq!(budget.fit("abcd".into(), None), ("abcd".into(), None));
        assert_eq!(budget.marker(), None);
        // 6 bytes left: the message is cut to 3 + `…`, the body dropped.
        assert_eq!(
            budget.fit("efghijkl".into(), Some("body".into())),
            ("efg…".into(), None)
        );
        assert_eq!(budget.spent, 10);
        assert_eq!(
            budget.fit("x".into(), Some("y".into())),
            (String::new(), None)
        );
        assert_eq!(budget.shortened, 2);
        assert!(
            budget
                .marker()
                .unwrap()
                .starts_with("row budget 10 B reached")
        );
        // A body fits when the message leaves room for it.
        let mut budget = RowBudget::new(12);
        assert_eq!(
            budget.fit("ab".into(), Some("0123456789xyz".into())),
            ("ab".into(), Some("0123456…".into()))
        );
        assert!(budget.spent <= 12);
    }
}
