//! Working time (attendance periods): writing one (checked by the rules in
//! [`crate::hr::attendance`], against the tenant's employees and against
//! the employee's other periods), reading, removing and listing them by
//! day. Every change is an event for the installs that may see it.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{invalid, next_cursor, no_such};
use crate::api::JsonBody;
use crate::api::access::tenant_access;
use crate::api::answers::AttendancePage;
use crate::api::monitoring::{bad_cursor, decode_cursor};
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::attendance::split_attendance_page;
use crate::hr::shape::employee_id_problem;
use crate::hr::{Attendance, AttendanceFilter, AttendancePeriod, AttendanceRefusal};

/// An attendance period as the API takes it: times, or a duration.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub employee_id: String,
    /// The day the period starts.
    pub date: String,
    /// `HH:MM`; give both times, or neither and `duration_minutes`.
    #[serde(default)]
    pub start_time: Option<String>,
    /// `HH:MM`; at or before `start_time` it is on the next day.
    #[serde(default)]
    pub end_time: Option<String>,
    /// Minutes worked, breaks not counted: required without times; with
    /// times it is computed, and a given one must agree.
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub break_minutes: u32,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// `confirmed` (the default) or `pending`.
    #[serde(default = "confirmed")]
    pub status: String,
}

fn confirmed() -> String {
    "confirmed".into()
}

/// A text cell or field: trimmed, and none when nothing is left.
fn trimmed(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl AttendanceInput {
    pub(super) fn into_period(self) -> AttendancePeriod {
        AttendancePeriod {
            employee_id: self.employee_id,
            date: self.date,
            start_time: self.start_time,
            end_time: self.end_time,
            duration_minutes: self.duration_minutes,
            break_minutes: self.break_minutes,
            project: trimmed(self.project),
            comment: trimmed(self.comment),
            status: self.status,
        }
    }
}

/// Everything wrong with the period `id` that can be told before the
/// store writes it: its shape, and whether its employee exists.
pub(super) fn period_problems(id: &str, period: &AttendancePeriod) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if let Some(p) = employee_id_problem(id) {
        problems.push(FieldProblem::new("id", p));
    }
    problems.extend(
        period
            .problems()
            .into_iter()
            .map(|(field, message)| FieldProblem::new(field, message)),
    );
    problems
}

/// The field a refusal of the store is about: the employee when it is
/// missing, the times when the period overlaps another.
pub(super) fn refusal_problem(refusal: AttendanceRefusal) -> FieldProblem {
    match refusal {
        AttendanceRefusal::NotFound(_) => {
            FieldProblem::new("employee_id", "no such employee in this tenant")
        }
        AttendanceRefusal::Invalid(message) => FieldProblem::new("start_time", message),
    }
}

/// PUT /api/v1/tenants/{tenant}/attendances/{id}
pub async fn put_attendance(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<AttendanceInput>, ApiError>,
) -> Result<Json<Attendance>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let period = input.into_period();
    let mut problems = period_problems(&id, &period);
    if !problems.iter().any(|p| p.field == "employee_id")
        && !state
            .store
            .employee_exists(&tenant, &period.employee_id)
            .await?
    {
        problems.push(refusal_problem(AttendanceRefusal::NotFound(String::new())));
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let write = state
        .store
        .put_attendance(&tenant, &id, &period)
        .await?
        .map_err(|r| invalid(vec![refusal_problem(r)]))?;
    let events: Vec<_> = crate::events::attendance_event(write.before.as_ref(), Some(&write.after))
        .into_iter()
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(Json(write.after))
}

/// GET /api/v1/tenants/{tenant}/attendances/{id}
pub async fn get_attendance(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Attendance>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    match state.store.attendance(&tenant, &id).await? {
        Some(period) => Ok(Json(period)),
        None => Err(no_such("attendance period", &id)),
    }
}

/// DELETE /api/v1/tenants/{tenant}/attendances/{id}
pub async fn delete_attendance(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let Some(gone) = state.store.delete_attendance(&tenant, &id).await? else {
        return Err(no_such("attendance period", &id));
    };
    let events: Vec<_> = crate::events::attendance_event(Some(&gone), None)
        .into_iter()
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The list's query: a page, and which periods.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Periods on this day or later.
    pub from: Option<String>,
    /// Periods on this day or earlier.
    pub to: Option<String>,
    pub employee_id: Option<String>,
    /// Periods written at or after this instant (RFC 3339).
    pub updated_since: Option<String>,
}

/// GET /api/v1/tenants/{tenant}/attendances?from=&to=&employee_id=&updated_since=&cursor=&limit=
pub async fn list_attendances(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    query: Result<Query<AttendanceQuery>, QueryRejection>,
) -> Result<Json<AttendancePage>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let mut problems = Vec::new();
    for (field, value) in [("from", &query.from), ("to", &query.to)] {
        if value
            .as_deref()
            .is_some_and(|d| crate::time::parse_date(d).is_none())
        {
            problems.push(FieldProblem::new(field, "give a date, YYYY-MM-DD"));
        }
    }
    if let Some(problem) = query
        .employee_id
        .as_deref()
        .and_then(crate::hr::shape::id_problem)
    {
        problems.push(FieldProblem::new("employee_id", problem));
    }
    if let (Some(from), Some(to)) = (&query.from, &query.to)
        && problems.is_empty()
        && to < from
    {
        problems.push(FieldProblem::new("to", "is before from"));
    }
    let updated_since = match query.updated_since.as_deref() {
        None => None,
        Some(text) => match crate::time::canonical_instant(text) {
            Some(instant) => Some(instant),
            None => {
                problems.push(FieldProblem::new(
                    "updated_since",
                    "give an instant, e.g. 2026-03-02T08:00:00Z",
                ));
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let filter = AttendanceFilter {
        after: query.cursor.as_deref().map(decode_cursor).transpose()?,
        limit,
        from: query.from,
        to: query.to,
        employee_id: query.employee_id,
        updated_since,
    };
    if filter.after_key().is_some_and(|key| key.is_err()) {
        return Err(bad_cursor());
    }
    let rows = state.store.attendances_page(&tenant, &filter).await?;
    let (items, next) = split_attendance_page(rows, limit);
    Ok(Json(AttendancePage {
        items,
        next_cursor: next_cursor(next),
    }))
}
