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
pub(super) async fn tenant_access(
    state: &AppState,
    caller: &Principal,
    tenant: &str,
) -> Result<(), ApiError> {
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
    /// The tenant's own fields; when given, they replace the stored ones.
    #[serde(default)]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

fn active() -> String {
    "active".into()
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

    fn into_write(self, id: String) -> crate::store::EmployeeWrite {
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

/// The largest CSV file an import takes.
pub const MAX_IMPORT_BYTES: usize = 10 << 20;

/// Columns every import file has besides `id`.
const REQUIRED_COLUMNS: &[&str] = &["first_name", "last_name", "hire_date"];

/// Numeric columns of the employee CSV; every other known column is text.
const NUMBER_COLUMNS: &[&str] = &["weekly_hours", "salary_minor", "hourly_wage_minor"];
const TEXT_COLUMNS: &[&str] = &[
    "first_name",
    "last_name",
    "preferred_name",
    "department",
    "position",
    "status",
    "work_email",
    "personal_email",
    "phone",
    "birth_date",
    "hire_date",
    "termination_date",
    "legal_entity",
    "contract_type",
    "supervisor_id",
    "cost_center",
    "currency",
    "login",
];

/// A column of the import file.
enum Column {
    Id,
    Text(String),
    Number(String),
    Attribute(String),
    Include(String),
}

fn import_problem(line: u64, field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: format!("line {line}: {field}"),
        message: message.into(),
    }
}

/// POST /api/v1/tenants/{tenant}/employees/import — a CSV file with a
/// header row: `id`, the employee fields by their API names,
/// `attribute:<name>` for custom attributes and `include:<connector>`
/// (yes/no) for inclusion answers. Every row is checked first; one bad row
/// refuses the whole file, every problem listed by line, and nothing is
/// written.
pub async fn import_employees(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let body = body.map_err(|e| {
        super::body_error(
            e,
            format!(
                "an import file may be at most {} MiB",
                MAX_IMPORT_BYTES >> 20
            ),
        )
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body.as_ref());
    let header = reader.headers().map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_csv",
            format!("the header row cannot be read: {e}"),
        )
    })?;
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    for name in header.iter() {
        let column = if name == "id" {
            Column::Id
        } else if TEXT_COLUMNS.contains(&name) {
            Column::Text(name.into())
        } else if NUMBER_COLUMNS.contains(&name) {
            Column::Number(name.into())
        } else if let Some(attr) = name.strip_prefix("attribute:").filter(|a| !a.is_empty()) {
            Column::Attribute(attr.into())
        } else if let Some(connector) = name.strip_prefix("include:").filter(|c| !c.is_empty()) {
            Column::Include(connector.into())
        } else {
            problems.push(import_problem(
                1,
                name,
                "unknown column; use id, the employee fields, attribute:<name> or include:<connector>",
            ));
            continue;
        };
        columns.push(column);
    }
    if !columns.iter().any(|c| matches!(c, Column::Id)) {
        problems.push(import_problem(1, "id", "the file needs an id column"));
    }
    for required in REQUIRED_COLUMNS {
        if !header.iter().any(|h| h == *required) {
            problems.push(import_problem(1, required, "the file needs this column"));
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut writes = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_csv",
                format!("unreadable CSV: {e}"),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let mut fields = serde_json::Map::new();
        let mut id = String::new();
        let mut include_in = BTreeMap::new();
        let mut attributes = BTreeMap::new();
        for (column, value) in columns.iter().zip(record.iter()) {
            match column {
                Column::Id => id = value.to_string(),
                // Required fields stay present, so an empty one reads "is required".
                Column::Text(name)
                    if value.is_empty() && REQUIRED_COLUMNS.contains(&name.as_str()) =>
                {
                    fields.insert(name.clone(), json!(""));
                }
                _ if value.is_empty() => {}
                Column::Text(name) => {
                    fields.insert(name.clone(), json!(value));
                }
                Column::Number(name) => match value.parse::<f64>() {
                    Ok(n) if name == "weekly_hours" => {
                        fields.insert(name.clone(), json!(n));
                    }
                    Ok(n) if n.fract() == 0.0 => {
                        fields.insert(name.clone(), json!(n as i64));
                    }
                    _ => problems.push(import_problem(line, name, "must be a number")),
                },
                Column::Attribute(name) => {
                    attributes.insert(name.clone(), value.to_string());
                }
                Column::Include(connector) => match value.to_ascii_lowercase().as_str() {
                    "yes" | "true" | "1" => {
                        include_in.insert(connector.clone(), true);
                    }
                    "no" | "false" | "0" => {
                        include_in.insert(connector.clone(), false);
                    }
                    _ => problems.push(import_problem(
                        line,
                        &format!("include:{connector}"),
                        "give yes or no",
                    )),
                },
            }
        }
        if check_id(&id).is_err() {
            problems.push(import_problem(
                line,
                "id",
                "1 to 100 characters, no slashes",
            ));
            continue;
        }
        if !seen.insert(id.clone()) {
            problems.push(import_problem(line, "id", format!("{id} appears twice")));
            continue;
        }
        if attributes_given(&columns) {
            fields.insert("custom_attributes".into(), json!(attributes));
        }
        fields.insert("include_in".into(), json!(include_in));
        let input: EmployeeInput = match serde_json::from_value(Value::Object(fields)) {
            Ok(input) => input,
            Err(e) => {
                problems.push(import_problem(line, "row", e.to_string()));
                continue;
            }
        };
        for p in input.validate() {
            problems.push(import_problem(line, &p.field, p.message));
        }
        writes.push(input.into_write(id));
        if problems.len() >= 200 {
            break;
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    if writes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_import",
            "the file has a header but no employees",
        ));
    }
    let ids: Vec<String> = writes.iter().map(|w| w.employee.id.clone()).collect();
    let mut before = state.store.employees_by_id(&tenant, &ids).await?;
    state.store.write_employees(&tenant, &writes).await?;
    let events: Vec<_> = writes
        .iter()
        .filter_map(|w| {
            crate::events::employee_event(before.remove(&w.employee.id).as_ref(), &w.employee)
        })
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(Json(
        json!({ "imported": writes.len(), "events": events.len() }),
    ))
}

fn attributes_given(columns: &[Column]) -> bool {
    columns.iter().any(|c| matches!(c, Column::Attribute(_)))
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

/// GET /api/v1/tenants/{tenant}/settings
pub async fn get_settings(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let settings = state.store.tenant_settings(&tenant).await?;
    let mut value = json!(settings);
    value["effective_login_format"] = json!(
        settings
            .login_format
            .as_deref()
            .unwrap_or(crate::hr::DEFAULT_LOGIN_FORMAT)
    );
    Ok(Json(value))
}

/// PUT /api/v1/tenants/{tenant}/settings — defaults for employees that
/// connectors create, and the login format.
pub async fn put_settings(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<Json<crate::store::TenantSettings>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let Json(mut settings) = body.map_err(json_error)?;
    let trim = |v: &mut Option<String>| {
        *v = v
            .take()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
    };
    trim(&mut settings.default_legal_entity);
    trim(&mut settings.default_department);
    trim(&mut settings.default_position);
    trim(&mut settings.login_format);
    if let Some(format) = &settings.login_format
        && let Err(e) = crate::hr::check_login_format(format)
    {
        return Err(super::field_error("login_format", &e));
    }
    state.store.set_tenant_settings(&tenant, &settings).await?;
    get_settings(State(state), Caller(caller), Path(tenant)).await
}
