//! Employees from a CSV file: every row is checked against the same rules as
//! a single write, and one bad row refuses the whole file.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::employees::EmployeeInput;
use super::{check_id, invalid, unknown_connectors};
use crate::api::access::tenant_access;
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;

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
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let body = body.map_err(|e| {
        crate::api::body_error(
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
    let included: Vec<String> = columns
        .iter()
        .filter_map(|c| match c {
            Column::Include(connector) => Some(connector.clone()),
            _ => None,
        })
        .collect();
    for problem in unknown_connectors(&state, &included, |id| format!("include:{id}")).await? {
        problems.push(import_problem(1, &problem.field, problem.message));
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
