//! Employees from a CSV file as spreadsheets export it: UTF-8 (with or
//! without a byte order mark), UTF-16 with a byte order mark, or
//! Windows-1252; separated by `,`, `;` or tabs, as the header line shows.
//! Every row is checked against the same rules as a single write
//! ([`crate::hr::shape`]), and one bad row refuses the whole file.

use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::csv::{CsvFile, bad_csv, delimiter_name, import_problem, number};
use super::employees::EmployeeInput;
use super::employees::write_problems;
use super::{invalid, unknown_connectors};
use crate::api::access::tenant_access;
use crate::api::answers::ImportAnswer;
use crate::api::{ApiError, Caller};
use crate::app::App;
use crate::hr::shape::{attribute_name_problem, shown};

/// Columns every import file has besides `id`.
pub(in crate::api) const REQUIRED_COLUMNS: &[&str] = &["first_name", "last_name", "hire_date"];

/// Numeric columns of the employee CSV; every other known column is text.
pub(in crate::api) const NUMBER_COLUMNS: &[&str] =
    &["weekly_hours", "salary_minor", "hourly_wage_minor"];
pub(in crate::api) const TEXT_COLUMNS: &[&str] = &[
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
    /// A column without a name (spreadsheets add them after the last
    /// one); its cells must be empty.
    Blank,
}

/// POST /api/v1/tenants/{tenant}/employees/import — a CSV file with a
/// header row: `id`, the employee fields by their API names,
/// `attribute:<name>` for custom attributes and `include:<connector>`
/// (yes/no) for inclusion answers. Every row is checked first; one bad row
/// refuses the whole file, every problem listed by line and column, and
/// nothing is written.
pub async fn import_employees(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ImportAnswer>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let file = CsvFile::read(body)?;
    let (encoding, delimiter) = (file.encoding, file.delimiter);
    let mut reader = file.reader();
    let header = reader
        .headers()
        .map_err(|e| bad_csv(format!("the header row cannot be read: {e}")))?
        .clone();
    let mut columns = Vec::new();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for name in header.iter() {
        if !name.is_empty() && !names.insert(name) {
            problems.push(import_problem(1, &shown(name), "the column appears twice"));
            continue;
        }
        let column = if name.is_empty() {
            Column::Blank
        } else if name == "id" {
            Column::Id
        } else if TEXT_COLUMNS.contains(&name) {
            Column::Text(name.into())
        } else if NUMBER_COLUMNS.contains(&name) {
            Column::Number(name.into())
        } else if let Some(attr) = name.strip_prefix("attribute:") {
            if let Some(p) = attribute_name_problem(attr) {
                problems.push(import_problem(1, &shown(name), p));
                continue;
            }
            Column::Attribute(attr.into())
        } else if let Some(connector) = name.strip_prefix("include:").filter(|c| !c.is_empty()) {
            Column::Include(connector.into())
        } else {
            problems.push(import_problem(
                1,
                &shown(name),
                format!(
                    "unknown column; use id, the employee fields, attribute:<name> or include:<connector> (read as {encoding}, separated by {})",
                    delimiter_name(delimiter)
                ),
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
    let mut seen = BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad_csv(format!("unreadable CSV: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        // Spreadsheets export rows left empty as a line of delimiters.
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != header.len() {
            problems.push(import_problem(
                line,
                "row",
                format!(
                    "has {} fields, the header has {}; the file is read as separated by {}",
                    record.len(),
                    header.len(),
                    delimiter_name(delimiter)
                ),
            ));
            continue;
        }
        let mut fields = serde_json::Map::new();
        let mut id = String::new();
        let mut include_in = BTreeMap::new();
        let mut attributes = BTreeMap::new();
        for (n, (column, value)) in columns.iter().zip(record.iter()).enumerate() {
            match column {
                Column::Id => id = value.to_string(),
                Column::Blank if !value.is_empty() => problems.push(import_problem(
                    line,
                    &format!("column {}", n + 1),
                    "has a value but the column has no name in the header line",
                )),
                // Required fields stay present, so an empty one reads "is required".
                Column::Text(name)
                    if value.is_empty() && REQUIRED_COLUMNS.contains(&name.as_str()) =>
                {
                    fields.insert(name.clone(), json!(""));
                }
                Column::Blank => {}
                _ if value.is_empty() => {}
                Column::Text(name) => {
                    fields.insert(name.clone(), json!(value));
                }
                Column::Number(name) => match number(value) {
                    Some(n) if name == "weekly_hours" => {
                        fields.insert(name.clone(), json!(n));
                    }
                    Some(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
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
        let write = input.into_write(id);
        let row_problems = write_problems(&write);
        let id_ok = !row_problems.iter().any(|p| p.field == "id");
        for p in row_problems {
            let field = match p.field.strip_prefix("custom_attributes.") {
                Some(name) => format!("attribute:{name}"),
                None => p.field,
            };
            problems.push(import_problem(line, &field, p.message));
        }
        if id_ok && !seen.insert(write.employee.id.clone()) {
            problems.push(import_problem(
                line,
                "id",
                format!("{} appears twice", write.employee.id),
            ));
        }
        writes.push(write);
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
    state
        .store
        .write_employees(&tenant, &writes, &state.clock.now_text())
        .await?;
    let events: Vec<_> = writes
        .iter()
        .filter_map(|w| {
            crate::events::employee_event(before.remove(&w.employee.id).as_ref(), &w.employee)
        })
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(Json(ImportAnswer {
        imported: writes.len(),
        events: events.len(),
        encoding: encoding.to_string(),
        delimiter: delimiter_name(delimiter).to_string(),
    }))
}

fn attributes_given(columns: &[Column]) -> bool {
    columns.iter().any(|c| matches!(c, Column::Attribute(_)))
}
