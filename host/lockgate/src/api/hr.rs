//! The tenant's HR data: employees (with the per-connector inclusion flag)
//! and absences, written and read by the tenant's admins, so a tenant is
//! usable without the sandbox seeder. Another tenant's data is a 404.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller, FieldProblem, json_error};
use crate::auth::{Principal, Role};
use crate::hr::{Absence, Employee};
use lockgate_manifest::manifest::is_date;

/// The caller may work on this tenant's data: its own admin, or the
/// operator. Everyone else learns nothing, not even that it exists.
async fn tenant_access(state: &AppState, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    let allowed = match caller.role {
        Role::Operator => true,
        Role::TenantAdmin => caller.tenant_id.as_deref() == Some(tenant),
        Role::Partner => false,
    };
    if !allowed || !state.store.tenant_exists(tenant).await? {
        return Err(ApiError::not_found("tenant"));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    pub id: String,
    pub name: String,
}

/// POST /api/v1/tenants — the operator opens a tenant.
pub async fn create_tenant(
    State(state): State<AppState>,
    Caller(caller): Caller,
    body: Result<Json<NewTenant>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if caller.role != Role::Operator {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "only the operator opens tenants",
        ));
    }
    let Json(body) = body.map_err(json_error)?;
    if body.id.is_empty()
        || !body
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(super::field_error(
            "id",
            "use lower-case letters, digits and dashes",
        ));
    }
    if body.name.trim().is_empty() {
        return Err(super::field_error("name", "is required"));
    }
    if state.store.tenant_exists(&body.id).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("tenant {} exists", body.id),
        ));
    }
    state
        .store
        .create_tenant(&body.id, body.name.trim())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": body.id, "name": body.name.trim() })),
    ))
}

/// An employee as the API takes it.
#[derive(Deserialize)]
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
    #[serde(default)]
    pub salary_minor: Option<i64>,
    #[serde(default)]
    pub hourly_wage_minor: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
    /// "Include in transfer to <connector>?" answers, by connector id.
    #[serde(default)]
    pub include_in: BTreeMap<String, bool>,
}

fn active() -> String {
    "active".into()
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 100 || id.chars().any(|c| c.is_control() || c == '/') {
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

impl EmployeeInput {
    fn validate(&self) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        let mut bad = |field: &str, message: &str| {
            out.push(FieldProblem {
                field: field.into(),
                message: message.into(),
            })
        };
        if self.first_name.trim().is_empty() {
            bad("first_name", "is required");
        }
        if self.last_name.trim().is_empty() {
            bad("last_name", "is required");
        }
        if !matches!(self.status.as_str(), "active" | "inactive") {
            bad("status", "give active or inactive");
        }
        if !is_date(&self.hire_date) {
            bad("hire_date", "give a date, YYYY-MM-DD");
        }
        for (field, value) in [
            ("termination_date", &self.termination_date),
            ("birth_date", &self.birth_date),
        ] {
            if value.as_deref().is_some_and(|d| !is_date(d)) {
                bad(field, "give a date, YYYY-MM-DD");
            }
        }
        if let Some(t) = &self.termination_date
            && is_date(&self.hire_date)
            && t.as_str() < self.hire_date.as_str()
        {
            bad("termination_date", "is before the hire date");
        }
        for (field, value) in [
            ("work_email", &self.work_email),
            ("personal_email", &self.personal_email),
        ] {
            if value
                .as_deref()
                .is_some_and(|e| !e.contains('@') || e.contains(char::is_whitespace))
            {
                bad(field, "is not an e-mail address");
            }
        }
        if self
            .weekly_hours
            .is_some_and(|h| !(0.0..=80.0).contains(&h))
        {
            bad("weekly_hours", "must be between 0 and 80");
        }
        if self.salary_minor.is_some_and(|s| s < 0) {
            bad("salary_minor", "cannot be negative");
        }
        if self.hourly_wage_minor.is_some_and(|s| s < 0) {
            bad("hourly_wage_minor", "cannot be negative");
        }
        out
    }

    fn into_employee(self, id: String) -> (Employee, BTreeMap<String, bool>) {
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
        (employee, self.include_in)
    }
}

/// PUT /api/v1/tenants/{tenant}/employees/{id}
pub async fn put_employee(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Json<EmployeeInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    check_id(&id)?;
    let Json(input) = body.map_err(json_error)?;
    let problems = input.validate();
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let (employee, include_in) = input.into_employee(id);
    state
        .store
        .upsert_employees(&tenant, std::slice::from_ref(&employee))
        .await?;
    for (connector, included) in include_in {
        state
            .store
            .set_included(&tenant, &employee.id, &connector, included)
            .await?;
    }
    Ok(Json(json!(employee)))
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

/// GET /api/v1/tenants/{tenant}/employees?cursor=&limit=
pub async fn list_employees(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let (cursor, limit) = page_params(page)?;
    let (items, next) = state
        .store
        .employees_page(&tenant, cursor.as_deref(), limit)
        .await?;
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbsenceInput {
    pub employee_id: String,
    pub type_name: String,
    pub start_date: String,
    pub end_date: String,
    #[serde(default)]
    pub half_day_start: bool,
    #[serde(default)]
    pub half_day_end: bool,
    #[serde(default = "approved")]
    pub status: String,
}

fn approved() -> String {
    "approved".into()
}

/// PUT /api/v1/tenants/{tenant}/absences/{id}
pub async fn put_absence(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Json<AbsenceInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    check_id(&id)?;
    let Json(input) = body.map_err(json_error)?;
    let mut problems = Vec::new();
    let mut bad = |field: &str, message: &str| {
        problems.push(FieldProblem {
            field: field.into(),
            message: message.into(),
        })
    };
    if input.type_name.trim().is_empty() {
        bad("type_name", "is required");
    }
    if !is_date(&input.start_date) {
        bad("start_date", "give a date, YYYY-MM-DD");
    }
    if !is_date(&input.end_date) {
        bad("end_date", "give a date, YYYY-MM-DD");
    } else if input.end_date < input.start_date {
        bad("end_date", "is before the start date");
    }
    if !matches!(input.status.as_str(), "approved" | "pending" | "cancelled") {
        bad("status", "give approved, pending or cancelled");
    }
    if !state
        .store
        .employee_exists(&tenant, &input.employee_id)
        .await?
    {
        bad("employee_id", "no such employee in this tenant");
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let absence = Absence {
        id,
        employee_id: input.employee_id,
        type_name: input.type_name.trim().to_string(),
        start_date: input.start_date,
        end_date: input.end_date,
        half_day_start: input.half_day_start,
        half_day_end: input.half_day_end,
        status: input.status,
        updated_at: crate::time::now_text(),
    };
    state
        .store
        .upsert_absences(&tenant, std::slice::from_ref(&absence))
        .await?;
    Ok(Json(json!(absence)))
}

/// GET /api/v1/tenants/{tenant}/absences?cursor=&limit=
pub async fn list_absences(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let (cursor, limit) = page_params(page)?;
    let (items, next) = state
        .store
        .absences_page(&tenant, cursor.as_deref(), limit)
        .await?;
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}
