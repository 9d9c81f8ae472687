//! A change to HR data as an event: which kind, about which record and
//! employee, and which install's connector made it. Deciding who hears of
//! it, and queueing, is [`crate::events`]'s.

use lockgate_manifest::manifest::EventKind;
use serde::{Deserialize, Serialize};

use crate::hr::{Absence, Attendance, Employee};

/// One change, about one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HrEvent {
    pub kind: EventKind,
    /// The employee's or the absence's id.
    pub id: String,
    /// The employee the change is about.
    pub employee_id: String,
    /// The day of an attendance period, so the granted window can be
    /// checked for a period that is gone (a deletion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The install whose connector made the change; it is not told of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl HrEvent {
    pub fn name(&self) -> &'static str {
        crate::vocabulary::event_name(self.kind)
    }
}

/// What changed between an employee as stored and as written.
pub fn employee_event(before: Option<&Employee>, after: &Employee) -> Option<HrEvent> {
    let kind = match before {
        None => EventKind::EmployeeCreated,
        Some(b)
            if b.termination_date != after.termination_date && after.termination_date.is_some() =>
        {
            EventKind::EmployeeTerminated
        }
        Some(b) => {
            let mut same = b.clone();
            same.updated_at = after.updated_at.clone();
            if same == *after {
                return None;
            }
            EventKind::EmployeeUpdated
        }
    };
    Some(HrEvent {
        kind,
        id: after.id.clone(),
        employee_id: after.id.clone(),
        date: None,
        origin: None,
    })
}

/// What changed between an absence as stored and as written.
pub fn absence_event(before: Option<&Absence>, after: &Absence) -> Option<HrEvent> {
    let cancelled = after.status == "cancelled";
    let kind = match before {
        None if cancelled => return None,
        None => EventKind::AbsenceCreated,
        Some(b) if cancelled && b.status != "cancelled" => EventKind::AbsenceCancelled,
        Some(b) => {
            let mut same = b.clone();
            same.updated_at = after.updated_at.clone();
            if same == *after {
                return None;
            }
            EventKind::AbsenceUpdated
        }
    };
    Some(HrEvent {
        kind,
        id: after.id.clone(),
        employee_id: after.employee_id.clone(),
        date: None,
        origin: None,
    })
}

/// What changed about an attendance period: created (`before` is `None`),
/// updated (only when a value other than `updated_at` changed) or deleted
/// (`after` is `None`). The event's `origin` is for the caller to set when
/// a connector made the change.
pub fn attendance_event(
    before: Option<&Attendance>,
    after: Option<&Attendance>,
) -> Option<HrEvent> {
    let (kind, period) = match (before, after) {
        (None, Some(a)) => (EventKind::AttendanceCreated, a),
        (Some(b), Some(a)) if !b.same_values(a) => (EventKind::AttendanceUpdated, a),
        (Some(b), None) => (EventKind::AttendanceDeleted, b),
        _ => return None,
    };
    Some(HrEvent {
        kind,
        id: period.id.clone(),
        employee_id: period.employee_id.clone(),
        date: Some(period.date.clone()),
        origin: None,
    })
}
