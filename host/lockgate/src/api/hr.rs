//! The tenant's HR data: employees (with the per-connector inclusion flag)
//! and absences, written and read by the tenant's admins, so a tenant is
//! usable without the sandbox seeder. Another tenant's data is a 404.
//!
//! One file per resource: [`tenants`] (opening a tenant, its settings),
//! [`employees`], [`import`] (employees from a CSV file) and [`absences`].
//! This file holds what they share: id and page parameters and the "fields
//! need fixing" error; the access rules are in [`super::access`].

mod absences;
mod employees;
mod import;
mod tenants;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use serde::Deserialize;

pub use absences::{list_absences, put_absence};
pub use employees::{list_employees, put_employee};
pub use import::{MAX_IMPORT_BYTES, import_employees};
pub use tenants::{create_tenant, get_settings, put_settings};

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
        .map(|id| FieldProblem::new(field(id), format!("no connector has the id {id:?}; {hint}")))
        .collect())
}

fn check_id(id: &str) -> Result<(), ApiError> {
    // `import` names the CSV import endpoint beside the employees.
    if id.is_empty()
        || id.len() > 100
        || id == "import"
        || id.chars().any(|c| c.is_control() || c == '/')
    {
        return Err(super::field_error("id", "1 to 100 characters, no slashes"));
    }
    Ok(())
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

/// The cursor and a page size between 1 and 500 (default 100).
fn page_params(
    page: Result<Query<Page>, QueryRejection>,
) -> Result<(Option<String>, u32), ApiError> {
    let Query(page) =
        page.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    Ok((page.cursor, page.limit.unwrap_or(100).clamp(1, 500)))
}
