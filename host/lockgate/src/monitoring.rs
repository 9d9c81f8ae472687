//! What monitoring keeps of a run: the run itself, one row per employee and
//! operation, the run's log lines and its audit entries (every read and
//! write of HR data). Plain records, shared by the runtime that produces
//! them, the store that keeps them and the API that shows them.

use serde::Serialize;

use crate::vocabulary::{
    Failure, FailureKind, JobKind, Operation, RowStatus, RunStatus, RunTrigger, Streak,
};

/// One monitoring row.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunRow {
    pub seq: i64,
    pub recorded_at: String,
    pub employee_id: Option<String>,
    pub operation: Operation,
    pub status: RowStatus,
    pub message: String,
    pub partner_status: Option<i64>,
    pub partner_body: Option<String>,
}

/// A run as monitoring shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunRecord {
    pub id: String,
    pub install_id: String,
    pub tenant_id: String,
    pub connector_id: String,
    pub plugin_version: String,
    pub kind: JobKind,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    /// What kind of failure ended a Failed run.
    pub failure_kind: Option<FailureKind>,
    /// Why, in words.
    pub failure_reason: Option<String>,
    pub requests: i64,
    pub peak_memory: i64,
    /// The queued job the run belongs to; `None` for runs from the CLI.
    pub job_id: Option<String>,
    /// The host (replica) that ran it; `None` when nothing ran.
    pub host: Option<String>,
}

impl RunRecord {
    /// Marks the run Failed for `failure`.
    pub fn fail(&mut self, failure: Failure) {
        self.status = RunStatus::Failed;
        self.failure_kind = Some(failure.kind);
        self.failure_reason = Some(failure.reason);
    }

    /// What the run does to its install's streak of failures.
    pub fn streak(&self) -> Streak {
        match (self.status, self.failure_kind) {
            (RunStatus::Failed, Some(kind)) => kind.streak(),
            (RunStatus::Failed, None) => Streak::Grows,
            (RunStatus::NotRun | RunStatus::Running, _) => Streak::Stays,
            (RunStatus::Successful | RunStatus::PartiallySuccessful, _) => Streak::Ends,
        }
    }

    /// The failure of a Failed run.
    pub fn failure(&self) -> Option<Failure> {
        Some(Failure::new(
            self.failure_kind?,
            self.failure_reason.clone().unwrap_or_default(),
        ))
    }

    /// Why an install turned inactive, should this run be the last
    /// failure of its streak.
    pub fn streak_reason(&self) -> String {
        format!(
            "deactivated after {FAILURE_LIMIT} failed runs in a row; last: {}",
            self.failure_reason.as_deref().unwrap_or("failed")
        )
    }

    /// How the queued job that ran this run ends: done, or failed with
    /// the run's reason.
    pub fn job_end(&self) -> (crate::vocabulary::JobStatus, Option<String>) {
        match self.failure() {
            None => (crate::vocabulary::JobStatus::Done, None),
            Some(failure) => (crate::vocabulary::JobStatus::Failed, Some(failure.reason)),
        }
    }
}

/// Failed runs in a row after which an install becomes inactive.
pub const FAILURE_LIMIT: i64 = 5;

/// One line of a run's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogLine {
    pub at: String,
    pub level: String,
    pub message: String,
}

/// One read or write of HR data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: String,
    /// `read` or `write`.
    pub action: &'static str,
    /// `employees`, `employee`, `absences` or `create-employee`.
    pub what: &'static str,
    pub employee_ids: Vec<String>,
    /// The attribute groups (or `absences`) the connector received.
    pub attribute_groups: Vec<String>,
}
