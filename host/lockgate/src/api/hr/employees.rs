//! Employees one at a time: the input shape and its checks (shared with the
//! CSV import), writing one employee and listing them page by page.

use crate::api::JsonBody;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Page, check_id, invalid, page_params, unknown_connectors};
use crate::api::access::tenant_access;
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::Employee;
use lockgate_manifest::manifest::is_date;

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
    /// The tenant's own fields; when given, they replace the stored ones.
    #[serde(default)]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

fn active() -> String {
    "active".into()
}

impl EmployeeInput {
    pub(super) fn validate(&self) -> Vec<FieldProblem> {
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
        for (name, value) in self.custom_attributes.iter().flatten() {
            if name.trim().is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
                bad(
                    &format!("custom_attributes.{name}"),
                    "a name has 1 to 64 characters",
                );
            } else if value.len() > 1000 {
                bad(
                    &format!("custom_attributes.{name}"),
                    "at most 1000 characters",
                );
            }
        }
        out
    }

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

/// PUT /api/v1/tenants/{tenant}/employees/{id}
pub async fn put_employee(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<EmployeeInput>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    check_id(&id)?;
    let JsonBody(input) = body?;
    let mut problems = input.validate();
    problems.extend(
        unknown_connectors(&state, input.include_in.keys(), |id| {
            format!("include_in.{id}")
        })
        .await?,
    );
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let write = input.into_write(id);
    let before = state.store.employee(&tenant, &write.employee.id).await?;
    state
        .store
        .write_employees(&tenant, std::slice::from_ref(&write))
        .await?;
    let events: Vec<_> = crate::events::employee_event(before.as_ref(), &write.employee)
        .into_iter()
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    let mut value = json!(write.employee);
    value["custom_attributes"] = json!(
        state
            .store
            .employee_attributes(&tenant, std::slice::from_ref(&write.employee.id))
            .await?
            .remove(&write.employee.id)
            .unwrap_or_default()
    );
    Ok(Json(value))
}

/// GET /api/v1/tenants/{tenant}/employees?cursor=&limit=
pub async fn list_employees(
    State(state): State<App>,
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
