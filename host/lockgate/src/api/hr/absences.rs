//! Absences: writing one (checked by the rules in [`crate::hr::shape`] and
//! against the tenant's employees), reading one and listing them page by
//! page.

use crate::api::JsonBody;
use crate::api::answers::AbsencePage;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;

use super::{Page, invalid, next_cursor, no_such, page_params};
use crate::api::access::tenant_access;
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::Absence;

/// An absence as the API takes it.
#[derive(Deserialize, utoipa::ToSchema)]
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
) -> Result<Json<Absence>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
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
    let mut problems = crate::hr::shape::absence_problems(&absence);
    if !problems.iter().any(|p| p.field == "employee_id")
        && !state
            .store
            .employee_exists(&tenant, &absence.employee_id)
            .await?
    {
        problems.push(FieldProblem::new(
            "employee_id",
            "no such employee in this tenant",
        ));
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let before = state.store.absence(&tenant, &absence.id).await?;
    state
        .store
        .upsert_absences(&tenant, std::slice::from_ref(&absence))
        .await?;
    let events: Vec<_> = crate::events::absence_event(before.as_ref(), &absence)
        .into_iter()
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(Json(absence))
}

/// GET /api/v1/tenants/{tenant}/absences/{id}
pub async fn get_absence(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Absence>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    match state.store.absence(&tenant, &id).await? {
        Some(absence) => Ok(Json(absence)),
        None => Err(no_such("absence", &id)),
    }
}

/// GET /api/v1/tenants/{tenant}/absences?cursor=&limit=
pub async fn list_absences(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<AbsencePage>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let (cursor, limit) = page_params(page)?;
    let (items, next) = state
        .store
        .absences_page(&tenant, cursor.as_deref(), limit)
        .await?;
    Ok(Json(AbsencePage {
        items,
        next_cursor: next_cursor(next),
    }))
}
