//! Absences: writing one (checked against the tenant's employees) and
//! listing them page by page.

use crate::api::JsonBody;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Page, check_id, invalid, page_params};
use crate::api::access::tenant_access;
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::Absence;
use lockgate_manifest::manifest::is_date;

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
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<AbsenceInput>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    check_id(&id)?;
    let JsonBody(input) = body?;
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
    let before = state.store.absence(&tenant, &absence.id).await?;
    state
        .store
        .upsert_absences(&tenant, std::slice::from_ref(&absence))
        .await?;
    let events: Vec<_> = crate::events::absence_event(before.as_ref(), &absence)
        .into_iter()
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(Json(json!(absence)))
}

/// GET /api/v1/tenants/{tenant}/absences?cursor=&limit=
pub async fn list_absences(
    State(state): State<App>,
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
