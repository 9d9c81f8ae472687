//! From a time entry to a working time: the period written under the
//! entry's id (its external id, so a repeat never duplicates it), and the
//! monitoring row saying what became of the entry. Webhooks and the nightly
//! sync both go through here.

use lockgate_sdk::attendances::{self, Attendance, AttendanceInput, AttendanceStatus};
use lockgate_sdk::prelude::*;

use crate::people::Match;
use crate::tool::{Entry, EntryRef};

/// What became of one entry: its row, and the status a webhook answers
/// with (2xx handled, 4xx refused, 5xx try again later).
pub struct Applied {
    pub row: Outcome,
    pub status: u16,
}

impl Applied {
    fn new(row: Outcome, status: u16) -> Self {
        Applied { row, status }
    }
}

/// A row about `employee`, or about nobody in HR when the entry matched
/// no one (the message names the tool's person then).
fn row(
    employee: Option<&str>,
    operation: Operation,
    status: OutcomeStatus,
    message: String,
) -> Outcome {
    Outcome {
        employee_id: employee.map(str::to_string),
        operation,
        status,
        message,
        partner_status: None,
        partner_body: None,
    }
}

/// The host's refusal in words, and the status a webhook answers it with.
fn refusal(e: &HostError) -> (String, u16) {
    match e {
        HostError::InvalidArgument(m) | HostError::NotFound(m) | HostError::Denied(m) => {
            (m.clone(), 422)
        }
        HostError::LimitExceeded(m) | HostError::Unavailable(m) => (m.clone(), 503),
    }
}

/// The period an entry stands for.
fn input(entry: &Entry, employee: &str, end: &str) -> AttendanceInput {
    AttendanceInput {
        employee_id: employee.to_string(),
        date: entry.date.clone(),
        start_time: Some(entry.start.clone()),
        end_time: Some(end.to_string()),
        duration_minutes: None,
        break_minutes: entry.break_minutes,
        project: entry.project(),
        comment: entry.note(),
        // The person clocked in and out themselves.
        status: AttendanceStatus::Confirmed,
    }
}

fn same(existing: &Attendance, period: &AttendanceInput) -> bool {
    existing.employee_id == period.employee_id
        && existing.date == period.date
        && existing.start_time == period.start_time
        && existing.end_time == period.end_time
        && existing.break_minutes == period.break_minutes
        && existing.project == period.project
        && existing.comment == period.comment
        && existing.status == period.status
}

/// "08:00–16:30 on 2026-11-27, 30 min break, project Apollo (entry t-1)".
fn describe(entry: &Entry, end: &str) -> String {
    let mut text = format!("{}–{end} on {}", entry.start, entry.date);
    if entry.break_minutes > 0 {
        text.push_str(&format!(", {} min break", entry.break_minutes));
    }
    if let Some(project) = entry.project() {
        text.push_str(&format!(", project {project}"));
    }
    text.push_str(&format!(" (entry {})", entry.id));
    text
}

/// Records or replaces the period of a closed entry; an entry still open
/// is not a working time yet, and one reopened in the tool takes its
/// period away until the next clock-out. `existing` is the period this
/// connector wrote for the entry, when the caller has read it.
pub fn put(entry: &Entry, found: &Match, existing: Option<&Attendance>) -> Applied {
    let employee = match found {
        Match::Found(id) => id.as_str(),
        Match::Unknown => {
            return Applied::new(
                row(
                    None,
                    Operation::Skip,
                    OutcomeStatus::Skipped,
                    format!(
                        "entry {}: no employee matches {}; give the HR id as the employee number in the tool, or the work e-mail",
                        entry.id,
                        entry.who()
                    ),
                ),
                200,
            );
        }
        Match::Ambiguous(n) => {
            return Applied::new(
                row(
                    None,
                    Operation::Skip,
                    OutcomeStatus::Skipped,
                    format!(
                        "entry {}: {n} employees have the work e-mail of {}; give the HR id as the employee number in the tool",
                        entry.id,
                        entry.who()
                    ),
                ),
                200,
            );
        }
    };
    let operation = if existing.is_some() {
        Operation::Update
    } else {
        Operation::Create
    };
    let problems = entry.problems();
    if !problems.is_empty() {
        return Applied::new(
            row(
                Some(employee),
                operation,
                OutcomeStatus::Failed,
                format!("entry {}: {}", entry.id, problems.join("; ")),
            ),
            422,
        );
    }
    let Some(end) = entry.end.as_deref() else {
        return open(entry, employee);
    };
    let period = input(entry, employee, end);
    let what = describe(entry, end);
    if existing.is_some_and(|e| same(e, &period)) {
        return Applied::new(
            row(
                Some(employee),
                Operation::Skip,
                OutcomeStatus::Skipped,
                format!("{what}: already recorded, unchanged"),
            ),
            200,
        );
    }
    // Replace what this connector wrote for the entry, on whatever day;
    // record it when there is nothing to replace.
    let written = match attendances::update(&entry.id, &period) {
        Err(HostError::NotFound(_)) => {
            attendances::create(&entry.id, &period).map(|_| Operation::Create)
        }
        other => other.map(|_| Operation::Update),
    };
    match written {
        Ok(Operation::Create) => Applied::new(
            row(
                Some(employee),
                Operation::Create,
                OutcomeStatus::Success,
                format!("{what}: recorded"),
            ),
            201,
        ),
        Ok(op) => Applied::new(
            row(
                Some(employee),
                op,
                OutcomeStatus::Success,
                format!("{what}: updated"),
            ),
            200,
        ),
        Err(e) => {
            let (message, status) = refusal(&e);
            Applied::new(
                row(
                    Some(employee),
                    operation,
                    OutcomeStatus::Failed,
                    format!("{what}: refused: {message}"),
                ),
                status,
            )
        }
    }
}

/// An entry without a clock-out: nothing to record yet. A period written
/// for it before (the entry was closed, then reopened in the tool) goes.
fn open(entry: &Entry, employee: &str) -> Applied {
    match attendances::delete(&entry.id) {
        Ok(false) => Applied::new(
            row(
                Some(employee),
                Operation::Skip,
                OutcomeStatus::Skipped,
                format!(
                    "entry {}: clocked in at {} on {}; recorded at clock-out",
                    entry.id, entry.start, entry.date
                ),
            ),
            200,
        ),
        Ok(true) => Applied::new(
            row(
                Some(employee),
                Operation::Deprovision,
                OutcomeStatus::Success,
                format!(
                    "entry {}: reopened in the tool; its working time is removed until the clock-out",
                    entry.id
                ),
            ),
            200,
        ),
        Err(e) => {
            let (message, status) = refusal(&e);
            Applied::new(
                row(
                    Some(employee),
                    Operation::Deprovision,
                    OutcomeStatus::Failed,
                    format!("entry {}: reopened, not removed: {message}", entry.id),
                ),
                status,
            )
        }
    }
}

/// Removes the period of an entry deleted in the tool. `employee` names
/// whom the row is about, when known.
pub fn remove(entry: &EntryRef, employee: Option<&str>, why: &str) -> Applied {
    match attendances::delete(&entry.id) {
        Ok(true) => Applied::new(
            row(
                employee,
                Operation::Deprovision,
                OutcomeStatus::Success,
                format!("entry {}: {why}; its working time is removed", entry.id),
            ),
            200,
        ),
        Ok(false) => Applied::new(
            row(
                employee,
                Operation::Skip,
                OutcomeStatus::Skipped,
                format!(
                    "entry {}: {why}; no working time was recorded for it",
                    entry.id
                ),
            ),
            200,
        ),
        Err(e) => {
            let (message, status) = refusal(&e);
            Applied::new(
                row(
                    employee,
                    Operation::Deprovision,
                    OutcomeStatus::Failed,
                    format!("entry {}: {why}; not removed: {message}", entry.id),
                ),
                status,
            )
        }
    }
}
