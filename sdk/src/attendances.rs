//! Working time (attendance periods), with `attendances.read` and
//! `attendances.write`. The host applies the data rules: only visible
//! employees, only days inside their employment and the granted window.
//! Writes are keyed by the connector's own id for the period (the
//! external id), so a retried webhook or a re-run sync never duplicates
//! one: create it again and the first one comes back unchanged.

pub use crate::bindings::contract::attendances::{
    Attendance, AttendanceInput, AttendancePage, AttendanceQuery, AttendanceStatus,
};
use crate::bindings::contract::types::HostError;
use crate::hr::{PAGE, Pages};
use crate::imports::attendances as raw;

impl AttendanceQuery {
    /// Periods on days in `[from, to]` (dates `YYYY-MM-DD`).
    pub fn between(from: &str, to: &str) -> Self {
        AttendanceQuery {
            cursor: None,
            limit: PAGE,
            from: from.to_string(),
            to: to.to_string(),
            employee_id: None,
            updated_since: None,
        }
    }
}

/// Every visible period matching `query`, fetched a page at a time.
pub fn attendances(query: AttendanceQuery) -> Pages<Attendance, AttendanceQuery> {
    Pages::new(query, |q| {
        raw::fetch_attendances(q).map(|page| (page.items, page.next_cursor))
    })
}

/// One visible period by the host's id.
pub fn attendance(id: &str) -> Result<Attendance, HostError> {
    raw::get_attendance(id)
}

/// Records the period the connector knows as `external_id`; the same id
/// again returns the first period unchanged. An overlap with another
/// period of the employee is `invalid-argument`.
pub fn create(external_id: &str, period: &AttendanceInput) -> Result<Attendance, HostError> {
    raw::create_attendance(external_id, period)
}

/// Replaces the period the connector knows as `external_id`.
pub fn update(external_id: &str, period: &AttendanceInput) -> Result<Attendance, HostError> {
    raw::update_attendance(external_id, period)
}

/// Creates the period, or replaces it when the connector wrote it before:
/// what a reconciling sync wants.
pub fn put(external_id: &str, period: &AttendanceInput) -> Result<Attendance, HostError> {
    match raw::update_attendance(external_id, period) {
        Err(HostError::NotFound(_)) => raw::create_attendance(external_id, period),
        other => other,
    }
}

/// Removes the period the connector knows as `external_id`; `false` when
/// there was none (already removed is not an error).
pub fn delete(external_id: &str) -> Result<bool, HostError> {
    raw::delete_attendance(external_id)
}
