//! Employees from a CSV file as spreadsheets export it: UTF-8 (with or
//! without a byte order mark), UTF-16 with a byte order mark, or
//! Windows-1252; separated by `,`, `;` or tabs, as the header line shows.
//! Every row is checked against the same rules as a single write
//! ([`crate::hr::shape`]), and one bad row refuses the whole file.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::employees::EmployeeInput;
use super::employees::write_problems;
use super::{invalid, unknown_connectors};
use crate::api::access::tenant_access;
use crate::api::answers::ImportAnswer;
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::shape::{attribute_name_problem, shown};

/// The largest CSV file an import takes.
pub const MAX_IMPORT_BYTES: usize = 10 << 20;

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

fn import_problem(line: u64, field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: format!("line {line}: {field}"),
        message: message.into(),
    }
}

fn bad_csv(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_csv", message)
}

/// The file as text, and the name of its encoding: a byte order mark
/// decides (UTF-8, UTF-16LE, UTF-16BE; the mark itself is dropped);
/// without one, valid UTF-8 is UTF-8 and anything else Windows-1252, the
/// encoding of Western European spreadsheet exports (every byte is a
/// character there, so it always decodes; a stray control character is
/// then refused with its field like any other). A file with both UTF-8
/// letters and bytes that are not UTF-8 is refused: either reading would
/// garble half of it.
fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), ApiError> {
    use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
    let (encoding, bom) = Encoding::for_bom(bytes).unwrap_or((UTF_8, 0));
    let body = &bytes[bom..];
    if encoding != UTF_8 {
        let (text, broken) = encoding.decode_without_bom_handling(body);
        if broken {
            let at = text.find('\u{FFFD}').unwrap_or(text.len());
            let line = 1 + text[..at].matches('\n').count();
            return Err(bad_csv(format!(
                "the file starts with a {} byte order mark but line {line} is not {0}; save it again as UTF-8",
                encoding.name()
            )));
        }
        return Ok((text, encoding.name()));
    }
    let e = match std::str::from_utf8(body) {
        Ok(text) => return Ok((Cow::Borrowed(text), "UTF-8")),
        Err(e) => e,
    };
    let line = 1 + body[..e.valid_up_to()]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    if bom > 0 {
        return Err(bad_csv(format!(
            "the file starts with a UTF-8 byte order mark but line {line} is not UTF-8; save it again as UTF-8"
        )));
    }
    // Letters written as UTF-8 beside bytes that are not: a file edited
    // in two encodings, which neither reading would get right.
    if body.utf8_chunks().any(|chunk| !chunk.valid().is_ascii()) {
        return Err(bad_csv(format!(
            "line {line} is not UTF-8 but other letters in the file are: it mixes two encodings; save it again as UTF-8"
        )));
    }
    Ok((
        WINDOWS_1252.decode_without_bom_handling(body).0,
        "windows-1252",
    ))
}

/// The delimiter the header line uses: the most frequent of `,`, `;` and
/// tab outside quotes (`,` on a tie or when there is none, a file of one
/// column).
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(count) = counts.iter_mut().find(|(d, _)| *d == b) {
            count.1 += 1;
        }
    }
    // The first of the most frequent: `max_by_key` keeps the last.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => ";",
        b'\t' => "tab",
        _ => ",",
    }
}

/// A number cell: `38.5`, or `38,5` as German and French spreadsheets
/// write it.
fn number(value: &str) -> Option<f64> {
    let value = if value.matches(',').count() == 1 && !value.contains('.') {
        Cow::Owned(value.replace(',', "."))
    } else {
        Cow::Borrowed(value)
    };
    value.parse::<f64>().ok().filter(|n| n.is_finite())
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
    let body = body.map_err(|e| {
        crate::api::body_error(
            e,
            format!(
                "an import file may be at most {} MiB",
                MAX_IMPORT_BYTES >> 20
            ),
        )
    })?;
    let (text, encoding) = decode(&body)?;
    // Line breaks as `\n` only, so the reader's line numbers are the
    // file's (it counts a CRLF's `\n` to the next record). A cell with a
    // line break is refused as a control character either way.
    let text = if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        text
    };
    let delimiter = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
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
