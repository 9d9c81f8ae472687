//! Employees one at a time: the input shape (shared with the CSV import,
//! checked by the rules in [`crate::hr::shape`]), writing, reading and
//! removing one employee and listing them page by page.

use crate::api::JsonBody;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use crate::api::answers::{EmployeeAnswer, EmployeePage};

use super::{Page, invalid, next_cursor, no_such, page_params, unknown_connectors};
use crate::api::access::tenant_access;
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::Employee;

/// An employee as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeeInput {
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub preferred_name: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub work_email: Option<String>,
    #[serde(default)]
    pub personal_email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    pub hire_date: String,
    #[serde(default)]
    pub termination_date: Option<String>,
    #[serde(default)]
    pub legal_entity: Option<String>,
    #[serde(default)]
    pub contract_type: Option<String>,
    #[serde(default)]
    pub weekly_hours: Option<f64>,
    #[serde(default)]
    pub supervisor_id: Option<String>,
    #[serde(default)]
    pub cost_center: Option<String>,
    #[serde(default, deserialize_with = "whole_number")]
    pub salary_minor: Option<i64>,
    #[serde(default, deserialize_with = "whole_number")]
    pub hourly_wage_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
    /// "Include in transfer to <connector>?" answers, by connector id.
    #[serde(default)]
    pub include_in: BTreeMap<String, bool>,
    /// The tenant's own fields; when given, they replace the stored ones.
    #[serde(default)]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

fn active() -> String {
    "active".into()
}

/// An amount in minor units. JSON's integers include `1198.0` (as the
/// document's `integer` says), so a whole number written with a point is
/// taken too.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18)
                .map(|f| f as i64)
        })
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number")))
}

impl EmployeeInput {
    pub(super) fn into_write(self, id: String) -> crate::store::EmployeeWrite {
        let employee = Employee {
            id,
            first_name: self.first_name.trim().to_string(),
            last_name: self.last_name.trim().to_string(),
            preferred_name: self.preferred_name,
            department: self.department,
            position: self.position,
            status: self.status,
            work_email: self.work_email,
            personal_email: self.personal_email,
            phone: self.phone,
            birth_date: self.birth_date,
            hire_date: self.hire_date,
            termination_date: self.termination_date,
            legal_entity: self.legal_entity,
            contract_type: self.contract_type,
            weekly_hours: self.weekly_hours,
            supervisor_id: self.supervisor_id,
            cost_center: self.cost_center,
            salary_minor: self.salary_minor,
            hourly_wage_minor: self.hourly_wage_minor,
            currency: self.currency,
            login: self.login,
            updated_at: crate::time::now_text(),
        };
        crate::store::EmployeeWrite {
            employee,
            include_in: self.include_in,
            attributes: self.custom_attributes,
        }
    }
}

/// Everything wrong with an employee about to be written, all at once:
/// the shape rules of [`crate::hr::shape`] (shared with the CSV import).
pub(super) fn write_problems(write: &crate::store::EmployeeWrite) -> Vec<FieldProblem> {
    crate::hr::shape::employee_problems(&write.employee, write.attributes.as_ref())
}

/// PUT /api/v1/tenants/{tenant}/employees/{id}
pub async fn put_employee(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<EmployeeInput>, ApiError>,
) -> Result<Json<EmployeeAnswer>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let connectors = unknown_connectors(&state, input.include_in.keys(), |id| {
        format!("include_in.{id}")
    })
    .await?;
    let write = input.into_write(id);
    let mut problems = write_problems(&write);
    problems.extend(connectors);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let before = state.store.employee(&tenant, &write.employee.id).await?;
    state
        .store
        .write_employees(
            &tenant,
            std::slice::from_ref(&write),
            &state.clock.now_text(),
        )
        .await?;
    let events: Vec<_> = crate::events::employee_event(before.as_ref(), &write.employee)
        .into_iter()
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    let custom_attributes = state
        .store
        .employee_attributes(&tenant, std::slice::from_ref(&write.employee.id))
        .await?
        .remove(&write.employee.id)
        .unwrap_or_default();
    Ok(Json(EmployeeAnswer {
        employee: write.employee,
        custom_attributes,
    }))
}

/// GET /api/v1/tenants/{tenant}/employees/{id} — one employee as the list
/// shows it (with `excluded_from` and `custom_attributes`).
pub async fn get_employee(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    match state.store.employee_view(&tenant, &id).await? {
        Some(value) => Ok(Json(value)),
        None => Err(no_such("employee", &id)),
    }
}

/// DELETE /api/v1/tenants/{tenant}/employees/{id} — erases the employee
/// with their absences, custom attributes and inclusion answers (a record
/// entered in error, or erased on request). Connectors that could see
/// them learn only the id, as a departure out of scope.
pub async fn delete_employee(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    if state
        .store
        .remove_employee(&tenant, &id, &state.clock.now_text())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(no_such("employee", &id))
    }
}

/// The longest search `GET …/employees?q=` takes.
const MAX_SEARCH_CHARS: usize = 100;

/// `GET …/employees?q=&cursor=&limit=`: `q` finds employees whose id or
/// name ("first last", or the preferred name with the last) contains it,
/// ignoring case.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployeeQuery {
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// GET /api/v1/tenants/{tenant}/employees?q=&cursor=&limit=
pub async fn list_employees(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    query: Result<Query<EmployeeQuery>, QueryRejection>,
) -> Result<Json<EmployeePage>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if search.is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS) {
        return Err(crate::api::field_error(
            "q",
            &format!("search with at most {MAX_SEARCH_CHARS} characters"),
        ));
    }
    let (cursor, limit) = page_params(Ok(Query(Page {
        cursor: query.cursor,
        limit: query.limit,
    })))?;
    let (items, next) = state
        .store
        .employees_page(&tenant, search, cursor.as_deref(), limit)
        .await?;
    Ok(Json(EmployeePage {
        items,
        next_cursor: next_cursor(next),
    }))
}
