//! The tenant's HR data: employees (with the per-connector inclusion flag)
//! and absences, written and read by the tenant's admins, so a tenant is
//! usable without the sandbox seeder. Another tenant's data is a 404.
//!
//! One file per resource: [`tenants`] (opening a tenant, its settings),
//! [`employees`], [`import`] (employees from a CSV file), [`absences`],
//! [`attendances`] (working time), [`attendance_import`] (working time
//! from a CSV file) and [`recruiting`] (job positions, applications and
//! their files); [`csv`] reads the files both imports take.
//! This file holds what they share: page parameters, inclusion answers and
//! the "fields need fixing" error; the access rules are in
//! [`super::access`], the shape of ids and texts in [`crate::hr::shape`].

mod absences;
mod attendance_import;
mod attendances;
mod csv;
mod employees;
mod import;
mod recruiting;
mod tenants;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use serde::Deserialize;

pub(super) use absences::AbsenceInput;
pub use absences::{get_absence, list_absences, put_absence};
pub use attendance_import::import_attendances;
pub(super) use attendance_import::{ATTENDANCE_COLUMNS, REQUIRED_ATTENDANCE_COLUMNS};
pub(super) use attendances::AttendanceInput;
pub use attendances::{delete_attendance, get_attendance, list_attendances, put_attendance};
pub use csv::MAX_IMPORT_BYTES;
pub(super) use employees::EmployeeInput;
pub use employees::{delete_employee, get_employee, list_employees, put_employee};
pub use import::import_employees;
pub(super) use import::{NUMBER_COLUMNS, REQUIRED_COLUMNS, TEXT_COLUMNS};
pub use recruiting::{
    get_application, get_attachment, get_position, list_applications, list_positions, put_position,
};
pub(super) use tenants::{NewTenant, TenantSettingsInput};
pub use tenants::{create_tenant, get_settings, put_settings};

use super::monitoring::{decode_cursor, encode_cursor};
use super::{ApiError, FieldProblem};
use crate::app::App;

/// Inclusion answers may only name connectors that exist: an answer for a
/// mistyped id would be stored and protect no one. `field` makes the
/// problem's field name from the id (`include_in.x`, `include:x`).
async fn unknown_connectors<'a>(
    state: &App,
    ids: impl IntoIterator<Item = &'a String>,
    field: impl Fn(&str) -> String,
) -> Result<Vec<FieldProblem>, ApiError> {
    let mut ids = ids.into_iter().peekable();
    if ids.peek().is_none() {
        return Ok(Vec::new());
    }
    let known = state.store.connector_ids().await?;
    let hint = if known.is_empty() {
        "no connector is known yet".to_string()
    } else {
        format!("known ids: {}", known.join(", "))
    };
    Ok(ids
        .filter(|id| !known.contains(id))
        .map(|id| {
            FieldProblem::new(
                field(&crate::hr::shape::shown(id)),
                format!(
                    "no connector has the id \"{}\"; {hint}",
                    crate::hr::shape::shown(id)
                ),
            )
        })
        .collect())
}

fn invalid(problems: Vec<FieldProblem>) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_fields",
        format!("{} field(s) need fixing", problems.len()),
    );
    error.fields = problems;
    error
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// The cursor (the key it carries, checked like the run lists' cursors)
/// and a page size between 1 and 500 (default 100).
fn page_params(
    page: Result<Query<Page>, QueryRejection>,
) -> Result<(Option<String>, u32), ApiError> {
    let Query(page) =
        page.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let after = page.cursor.as_deref().map(decode_cursor).transpose()?;
    Ok((after, page.limit.unwrap_or(100).clamp(1, 500)))
}

/// The cursor to the next page, as lists answer it.
fn next_cursor(next: Option<String>) -> Option<String> {
    next.as_deref().map(encode_cursor)
}

/// The answer for an id the tenant has nothing under: the id when it is
/// one (shown escaped), so the caller sees what it asked for.
fn no_such(what: &str, id: &str) -> ApiError {
    let message = if crate::hr::shape::id_problem(id).is_none() {
        format!("no {what} with the id \"{id}\" in this tenant")
    } else {
        format!("no {what} with this id in this tenant")
    };
    ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
}
