//! The closed vocabularies of runs, rows, jobs and installs. Each is an enum,
//! stored and served as the text it has always had ("partially_successful",
//! "webhook-replay"), and parsed from that text in one place, here: a value
//! the store cannot parse is an error, never a silent default.

use std::fmt;
use std::str::FromStr;

use lockgate_manifest::manifest::EventKind;
use serde::{Deserialize, Serialize};

/// A stored text that is not one of a vocabulary's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {vocabulary}")]
pub struct UnknownWord {
    pub vocabulary: &'static str,
    pub value: String,
}

/// An enum of unit variants with a fixed text per variant.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident ($what:literal) { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every word, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownWord { vocabulary: $what, value: s.to_string() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

vocabulary! {
    /// How a run ended, as monitoring shows it.
    RunStatus ("run status") {
        Running = "running",
        Successful = "successful",
        PartiallySuccessful = "partially_successful",
        Failed = "failed",
        /// Accepted (a delivery answered 202, a "sync now") but never run:
        /// the install was deactivated or deleted first. The reason says so.
        NotRun = "not_run",
    }
}

impl RunStatus {
    /// How the status reads in the console and the CLI.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Running => "Running",
            RunStatus::Successful => "Successful",
            RunStatus::PartiallySuccessful => "Partially successful",
            RunStatus::Failed => "Failed",
            RunStatus::NotRun => "Not run",
        }
    }
}

vocabulary! {
    /// The outcome of one row (one employee and operation).
    RowStatus ("row status") {
        Success = "success",
        Failed = "failed",
        Skipped = "skipped",
    }
}

vocabulary! {
    /// What a row did for its employee.
    Operation ("operation") {
        Provision = "provision",
        Update = "update",
        Deprovision = "deprovision",
        Link = "link",
        Create = "create",
        Skip = "skip",
    }
}

vocabulary! {
    /// What a job (and the run it makes) hands the connector.
    JobKind ("job kind") {
        /// A whole `sync`.
        Sync = "sync",
        /// One HR data event, to `on-event`.
        Event = "event",
        /// One inbound delivery, to `handle-webhook`.
        Webhook = "webhook",
    }
}

vocabulary! {
    /// Where a job is in the queue.
    JobStatus ("job status") {
        Queued = "queued",
        Leased = "leased",
        Done = "done",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// Where an install stands; a new one is Pending.
    #[derive(Default)]
    InstallStatus ("install status") {
        /// Waiting for a successful connection check.
        #[default]
        Pending = "pending",
        /// Checked and running on its schedule.
        Connected = "connected",
        /// Switched off by the admin or after repeated failures.
        Inactive = "inactive",
        /// Removed by the admin; kept only so its runs stay readable.
        Deleted = "deleted",
    }
}

impl InstallStatus {
    /// How the status reads in the console.
    pub fn label(self) -> &'static str {
        match self {
            InstallStatus::Pending => "Pending",
            InstallStatus::Connected => "Connected",
            InstallStatus::Inactive => "Inactive",
            InstallStatus::Deleted => "Deleted",
        }
    }
}

vocabulary! {
    /// Why a run ended as Failed; the reason beside it says it in words.
    FailureKind ("failure kind") {
        /// The wall-clock deadline ran out.
        Deadline = "deadline",
        /// The connector wanted more memory than its cap.
        Memory = "memory",
        /// A request limit, a row limit or another cap of the sandbox.
        Limit = "limit",
        /// The policy refused a request the connector needed.
        Denied = "denied",
        /// The connector crashed (a trap: panic, abort, stack overflow).
        Trap = "trap",
        /// The partner could not be reached or answered with an error.
        Partner = "partner",
        /// The host could not sign in to the partner for the connector.
        SignIn = "sign-in",
        /// The connector's configuration was refused.
        Config = "config",
        /// The connector returned an error of its own.
        Connector = "connector",
        /// Every record the run reported was rejected.
        Records = "records",
        /// The connector refused an inbound delivery (it answered 4xx).
        Delivery = "delivery",
        /// The run could not start (its build or secrets are unreadable).
        Setup = "setup",
        /// The host running it stopped.
        HostStopped = "host-stopped",
    }
}

/// What a finished run does to an install's streak of failed runs (five
/// in a row turn it Inactive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streak {
    /// The connector reached its partner and finished: the streak ends.
    Ends,
    /// Says nothing about the integration's health: the streak stays.
    Stays,
    /// The run itself failed: the streak grows.
    Grows,
}

impl FailureKind {
    /// Whether a failure of this kind counts towards deactivation. Only
    /// failures of the run itself do. Records the partner rejected end the
    /// streak: the run worked, the data did not, and the rows say which. A
    /// delivery the connector refused (a stray or forged webhook), a host
    /// that stopped and a build the host could not load say nothing about
    /// the integration, and leave the streak as it was.
    pub fn streak(self) -> Streak {
        match self {
            FailureKind::Records => Streak::Ends,
            FailureKind::Delivery | FailureKind::HostStopped | FailureKind::Setup => Streak::Stays,
            FailureKind::Deadline
            | FailureKind::Memory
            | FailureKind::Limit
            | FailureKind::Denied
            | FailureKind::Trap
            | FailureKind::Partner
            | FailureKind::SignIn
            | FailureKind::Config
            | FailureKind::Connector => Streak::Grows,
        }
    }
}

/// Why a run failed: what kind of failure, and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
}

impl Failure {
    pub fn new(kind: FailureKind, reason: impl Into<String>) -> Failure {
        Failure {
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTrigger {
    /// Its schedule's slot came.
    Scheduled,
    /// An admin asked for it ("sync now").
    Manual,
    /// The first sync after connecting.
    Initial,
    /// An HR data event.
    Event(EventKind),
    /// An inbound delivery.
    Webhook,
    /// An inbound delivery whose body was delivered before.
    WebhookReplay,
}

impl RunTrigger {
    /// The stored text: `scheduled`, `manual`, `initial`, the event's name
    /// (`employee-created` …), `webhook`, `webhook-replay`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Scheduled => "scheduled",
            RunTrigger::Manual => "manual",
            RunTrigger::Initial => "initial",
            RunTrigger::Webhook => "webhook",
            RunTrigger::WebhookReplay => "webhook-replay",
            RunTrigger::Event(kind) => event_name(kind),
        }
    }
}

/// The name of an event kind, as the manifest and the store write it.
pub fn event_name(kind: EventKind) -> &'static str {
    match kind {
        EventKind::EmployeeCreated => "employee-created",
        EventKind::EmployeeUpdated => "employee-updated",
        EventKind::EmployeeTerminated => "employee-terminated",
        EventKind::AbsenceCreated => "absence-created",
        EventKind::AbsenceUpdated => "absence-updated",
        EventKind::AbsenceCancelled => "absence-cancelled",
        EventKind::AttendanceCreated => "attendance-created",
        EventKind::AttendanceUpdated => "attendance-updated",
        EventKind::AttendanceDeleted => "attendance-deleted",
    }
}

/// Every event kind, in the manifest's order.
pub const EVENT_KINDS: [EventKind; 9] = EventKind::ALL;

impl FromStr for RunTrigger {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Self, UnknownWord> {
        Ok(match s {
            "scheduled" => RunTrigger::Scheduled,
            "manual" => RunTrigger::Manual,
            "initial" => RunTrigger::Initial,
            "webhook" => RunTrigger::Webhook,
            "webhook-replay" => RunTrigger::WebhookReplay,
            other => EVENT_KINDS
                .into_iter()
                .find(|k| event_name(*k) == other)
                .map(RunTrigger::Event)
                .ok_or_else(|| UnknownWord {
                    vocabulary: "run trigger",
                    value: s.to_string(),
                })?,
        })
    }
}

impl fmt::Display for RunTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for RunTrigger {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself() {
        fn round<T: FromStr<Err = UnknownWord> + Copy + PartialEq + fmt::Debug + fmt::Display>(
            all: &[T],
        ) {
            for word in all {
                assert_eq!(word.to_string().parse::<T>().as_ref(), Ok(word));
            }
        }
        round(RunStatus::ALL);
        round(RowStatus::ALL);
        round(Operation::ALL);
        round(JobKind::ALL);
        round(JobStatus::ALL);
        round(InstallStatus::ALL);
        round(FailureKind::ALL);
        let mut triggers = vec![
            RunTrigger::Scheduled,
            RunTrigger::Manual,
            RunTrigger::Initial,
            RunTrigger::Webhook,
            RunTrigger::WebhookReplay,
        ];
        triggers.extend(EVENT_KINDS.map(RunTrigger::Event));
        round(&triggers);
    }

    #[test]
    fn event_names_are_the_manifests() {
        for kind in EVENT_KINDS {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(event_name(kind))
            );
        }
    }

    #[test]
    fn an_unknown_word_is_refused_with_its_vocabulary() {
        let err = "partly".parse::<RunStatus>().unwrap_err();
        assert_eq!(err.to_string(), "\"partly\" is not a known run status");
        assert!("employee-fired".parse::<RunTrigger>().is_err());
    }
}
