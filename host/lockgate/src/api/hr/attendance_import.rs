//! Working time from a CSV file as time-tracking tools and spreadsheets
//! export it (read by [`super::csv`]): one attendance period per row, by
//! the tenant's id. Every row is checked by the rules of a single write,
//! then against the stored periods and the file's earlier rows; one bad
//! row refuses the whole file and nothing is written.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::attendances::{period_problems, refusal_problem};
use super::csv::{CsvFile, bad_csv, import_problem};
use super::invalid;
use crate::api::access::tenant_access;
use crate::api::answers::ImportAnswer;
use crate::api::{ApiError, Caller};
use crate::app::App;
use crate::hr::AttendancePeriod;
use crate::hr::shape::shown;

/// The columns of the attendance CSV, in the order the document lists them.
pub(in crate::api) const ATTENDANCE_COLUMNS: &[&str] = &[
    "id",
    "employee_id",
    "date",
    "start_time",
    "end_time",
    "duration_minutes",
    "break_minutes",
    "project",
    "comment",
    "status",
];

/// Columns every attendance file has.
pub(in crate::api) const REQUIRED_ATTENDANCE_COLUMNS: &[&str] = &["id", "employee_id", "date"];

/// Whole numbers of minutes.
const MINUTE_COLUMNS: &[&str] = &["duration_minutes", "break_minutes"];

/// One row, read.
struct Row {
    line: u64,
    id: String,
    period: AttendancePeriod,
}

/// The period of one row from its cells by column (`None` for a column
/// without a name); problems go to `problems` by line and column.
fn period_of(
    line: u64,
    columns: &[Option<&str>],
    cells: &csv::StringRecord,
    problems: &mut Vec<crate::api::FieldProblem>,
) -> Row {
    let mut row = Row {
        line,
        id: String::new(),
        period: AttendancePeriod {
            status: "confirmed".into(),
            ..AttendancePeriod::default()
        },
    };
    let p = &mut row.period;
    for (n, (column, value)) in columns.iter().zip(cells.iter()).enumerate() {
        let Some(column) = column else {
            if !value.is_empty() {
                problems.push(import_problem(
                    line,
                    &format!("column {}", n + 1),
                    "has a value but the column has no name in the header line",
                ));
            }
            continue;
        };
        let text = (!value.is_empty()).then(|| value.to_string());
        if MINUTE_COLUMNS.contains(column) && !value.is_empty() {
            let Ok(minutes) = value.parse::<u32>() else {
                problems.push(import_problem(
                    line,
                    column,
                    "give a whole number of minutes",
                ));
                continue;
            };
            if *column == "duration_minutes" {
                p.duration_minutes = Some(minutes);
            } else {
                p.break_minutes = minutes;
            }
            continue;
        }
        match *column {
            "id" => row.id = value.to_string(),
            "employee_id" => p.employee_id = value.to_string(),
            "date" => p.date = value.to_string(),
            "start_time" => p.start_time = text,
            "end_time" => p.end_time = text,
            "project" => p.project = text,
            "comment" => p.comment = text,
            "status" if !value.is_empty() => p.status = value.to_string(),
            _ => {}
        }
    }
    row
}

/// POST /api/v1/tenants/{tenant}/attendances/import — a CSV file with a
/// header row naming the columns of [`ATTENDANCE_COLUMNS`] (`id`,
/// `employee_id` and `date` required). All rows or none.
pub async fn import_attendances(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<ImportAnswer>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let file = CsvFile::read(body)?;
    let mut reader = file.reader();
    let header = reader
        .headers()
        .map_err(|e| bad_csv(format!("the header row cannot be read: {e}")))?
        .clone();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    let mut columns = Vec::new();
    for name in header.iter() {
        if name.is_empty() {
            columns.push(None);
        } else if let Some(known) = ATTENDANCE_COLUMNS.iter().find(|c| **c == name) {
            if !names.insert(name) {
                problems.push(import_problem(1, &shown(name), "the column appears twice"));
            }
            columns.push(Some(*known));
        } else {
            problems.push(import_problem(
                1,
                &shown(name),
                format!(
                    "unknown column; use {} (read as {}, separated by {})",
                    ATTENDANCE_COLUMNS.join(", "),
                    file.encoding,
                    file.delimiter_name()
                ),
            ));
            columns.push(None);
        }
    }
    for required in REQUIRED_ATTENDANCE_COLUMNS {
        if !names.contains(required) {
            problems.push(import_problem(1, required, "the file needs this column"));
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let mut rows = Vec::new();
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
                    file.delimiter_name()
                ),
            ));
            continue;
        }
        let row = period_of(line, &columns, &record, &mut problems);
        let row_problems = period_problems(&row.id, &row.period);
        let id_ok = !row_problems.iter().any(|p| p.field == "id");
        for p in row_problems {
            problems.push(import_problem(line, &p.field, p.message));
        }
        if id_ok && !seen.insert(row.id.clone()) {
            problems.push(import_problem(
                line,
                "id",
                format!("{} appears twice", row.id),
            ));
        }
        rows.push(row);
        if problems.len() >= 200 {
            break;
        }
    }
    let employee_ids: Vec<String> = rows
        .iter()
        .map(|r| r.period.employee_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let known = state.store.employees_by_id(&tenant, &employee_ids).await?;
    for row in &rows {
        if crate::hr::shape::employee_id_problem(&row.period.employee_id).is_none()
            && !known.contains_key(&row.period.employee_id)
        {
            problems.push(import_problem(
                row.line,
                "employee_id",
                "no such employee in this tenant",
            ));
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| line_of(&p.field));
        return Err(invalid(problems));
    }
    if rows.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_import",
            "the file has a header but no attendance periods",
        ));
    }
    let periods: Vec<(String, AttendancePeriod)> = rows
        .iter()
        .map(|r| (r.id.clone(), r.period.clone()))
        .collect();
    let writes = match state.store.put_attendances(&tenant, &periods).await? {
        Ok(writes) => writes,
        Err(refusals) => {
            return Err(invalid(
                refusals
                    .into_iter()
                    .map(|(n, refusal)| {
                        let p = refusal_problem(refusal);
                        import_problem(rows[n].line, &p.field, p.message)
                    })
                    .collect(),
            ));
        }
    };
    let events: Vec<_> = writes
        .iter()
        .filter_map(|w| crate::events::attendance_event(w.before.as_ref(), Some(&w.after)))
        .collect();
    crate::events::publish(&state, &tenant, &events).await?;
    Ok(Json(ImportAnswer {
        imported: writes.len(),
        events: events.len(),
        encoding: file.encoding.to_string(),
        delimiter: file.delimiter_name().to_string(),
    }))
}

/// The line a problem names (`line 3: date` → 3), to list them in file order.
fn line_of(field: &str) -> u64 {
    field
        .strip_prefix("line ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
