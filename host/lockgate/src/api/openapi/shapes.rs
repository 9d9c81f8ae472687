//! The shape rules of [`crate::hr::shape`] (and the API's other checks that
//! a schema can state) written into the generated schemas: ids, texts
//! without control characters and with their caps, dates, words from a
//! fixed list, bounds of numbers and of parameters. The limits are the
//! constants the checks use, so the document says what the server does.
//!
//! What a schema cannot say stays in the prose: rules across fields (an
//! end before its start), across resources (an absence's employee must
//! exist, `include_in` names a connector the catalog knows, a connector's
//! own configuration form) and opaque cursors.

use serde_json::{Value, json};

use crate::hr::attendance::{ATTENDANCE_STATUSES, MINUTES_PER_DAY};
use crate::hr::shape::{
    MAX_ATTRIBUTE_NAME_CHARS, MAX_ATTRIBUTE_VALUE_CHARS, MAX_COMMENT_CHARS, MAX_EMAIL_CHARS,
    MAX_NAME_CHARS, MAX_TEXT_CHARS,
};

/// Control characters (Unicode Cc) and bidirectional overrides and
/// isolates, as a character class body.
const FORBIDDEN: &str = r"\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069";
/// What `str::trim` removes (Unicode White_Space), as a character class body.
const SPACE: &str = r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// A text: no forbidden character, at most `max` characters.
fn text(max: usize) -> Value {
    json!({ "type": "string", "maxLength": max, "pattern": format!("^[^{FORBIDDEN}]*$") })
}

/// A text the server trims first (surrounding spaces and line breaks go):
/// its cap holds for what is left, so the pattern says it.
fn trimmed(max: usize) -> Value {
    json!({
        "type": "string",
        "description": format!("At most {max} characters once trimmed"),
        "pattern": format!("^[{SPACE}]*[^{FORBIDDEN}]{{0,{max}}}[{SPACE}]*$"),
    })
}

/// A required text the server trims first: something besides spaces.
fn trimmed_required(max: usize) -> Value {
    json!({
        "type": "string",
        "description": format!("Required; at most {max} characters once trimmed"),
        "pattern": format!(
            "^[{SPACE}]*[^{FORBIDDEN}]{{0,{}}}[^{FORBIDDEN}{SPACE}][{SPACE}]*$",
            max - 1
        ),
    })
}

/// A required text taken as it is.
fn required(max: usize) -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": max,
        "pattern": format!("^[^{FORBIDDEN}]*[^{FORBIDDEN}{SPACE}][^{FORBIDDEN}]*$"),
    })
}

const DEVICE: &str = r"^([Cc][Oo][Nn]|[Pp][Rr][Nn]|[Aa][Uu][Xx]|[Nn][Uu][Ll]|[Cc][Oo][Mm][1-9]|[Ll][Pp][Tt][1-9])(\.|$)";

/// An employee, absence or supervisor id.
pub fn id() -> Value {
    json!({
        "type": "string",
        "description": "1 to 64 characters: letters A-Z a-z, digits, '.', '_' and '-', starting with a letter or digit, not ending with '.', no Windows device name (CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9, also as con.txt)",
        "minLength": 1,
        "maxLength": 64,
        "pattern": "^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9_-])?$",
        "not": { "pattern": DEVICE },
    })
}

/// An employee id: an id, and not `import`.
fn employee_id() -> Value {
    let mut id = id();
    id["not"] = json!({ "pattern": format!("{DEVICE}|^[Ii][Mm][Pp][Oo][Rr][Tt]$") });
    id
}

/// A schedule: `daily`, `hourly`, `daily@HH:MM` (UTC), or a five-field
/// cron expression (here its plain form: a number or `*` per field).
fn schedule() -> Value {
    let cron = r"(\*|[1-5]?[0-9]) (\*|1?[0-9]|2[0-3]) (\*|[1-9]|[12][0-9]|3[01]) (\*|[1-9]|1[0-2]) (\*|[0-6])";
    json!({
        "type": "string",
        "pattern": format!("^(daily|hourly|daily@([01][0-9]|2[0-3]):[0-5][0-9]|{cron})$"),
    })
}

fn date() -> Value {
    json!({ "type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$" })
}

/// A time of day, `HH:MM` from 00:00 to 23:59.
fn time_of_day() -> Value {
    json!({ "type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$" })
}

fn words(words: &[&str]) -> Value {
    json!({ "type": "string", "enum": words })
}

/// Lets a property be `null` too (an `Option` the server takes as absent).
fn nullable(mut schema: Value) -> Value {
    let kind = schema["type"].clone();
    schema["type"] = json!([kind, "null"]);
    if let Some(words) = schema.get_mut("enum").and_then(Value::as_array_mut) {
        words.push(Value::Null);
    }
    schema
}

/// Replaces a property's schema, keeping its description and whether it
/// may be `null`.
fn set(schemas: &mut Value, name: &str, field: &str, mut shape: Value) {
    let property = &mut schemas[name]["properties"][field];
    assert!(
        property.is_object(),
        "{name}.{field} is a generated property"
    );
    let may_be_null = property["type"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("null")));
    if may_be_null {
        shape = nullable(shape);
    }
    if let Some(d) = property.get("description").cloned() {
        shape["description"] = d;
    }
    *property = shape;
}

fn patch(schemas: &mut Value, name: &str, field: &str, extra: Value) {
    let property = &mut schemas[name]["properties"][field];
    assert!(
        property.is_object(),
        "{name}.{field} is a generated property"
    );
    for (k, v) in extra.as_object().into_iter().flatten() {
        property[k] = v.clone();
    }
}

/// The request bodies' rules.
pub fn bodies(schemas: &mut Value) {
    let e = "EmployeeInput";
    set(schemas, e, "first_name", trimmed_required(MAX_NAME_CHARS));
    set(schemas, e, "last_name", trimmed_required(MAX_NAME_CHARS));
    set(schemas, e, "preferred_name", text(MAX_NAME_CHARS));
    for field in [
        "department",
        "position",
        "phone",
        "legal_entity",
        "contract_type",
        "cost_center",
        "currency",
        "login",
    ] {
        set(schemas, e, field, text(MAX_TEXT_CHARS));
    }
    for field in ["work_email", "personal_email"] {
        let mut email = json!({
            "type": "string",
            "maxLength": MAX_EMAIL_CHARS,
            "pattern": format!("^[^{FORBIDDEN}{SPACE}]*@[^{FORBIDDEN}{SPACE}]*$"),
        });
        email["description"] = json!("An e-mail address: an @, no spaces");
        set(schemas, e, field, email);
    }
    set(schemas, e, "status", words(&["active", "inactive"]));
    set(schemas, e, "hire_date", date());
    set(schemas, e, "birth_date", date());
    set(
        schemas,
        e,
        "termination_date",
        json!({ "type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                "description": "Not before hire_date" }),
    );
    patch(
        schemas,
        e,
        "weekly_hours",
        json!({ "minimum": 0, "maximum": 80 }),
    );
    for field in ["salary_minor", "hourly_wage_minor"] {
        patch(
            schemas,
            e,
            field,
            json!({ "minimum": 0, "maximum": i64::MAX }),
        );
    }
    set(schemas, e, "supervisor_id", id());
    patch(
        schemas,
        e,
        "include_in",
        json!({ "propertyNames": { "type": "string", "description": "A connector id the catalog knows" } }),
    );
    patch(
        schemas,
        e,
        "custom_attributes",
        json!({
            "propertyNames": required(MAX_ATTRIBUTE_NAME_CHARS),
            "additionalProperties": text(MAX_ATTRIBUTE_VALUE_CHARS),
        }),
    );

    let a = "AbsenceInput";
    set(schemas, a, "employee_id", id());
    set(schemas, a, "type_name", trimmed_required(MAX_TEXT_CHARS));
    set(schemas, a, "start_date", date());
    set(schemas, a, "end_date", date());
    set(
        schemas,
        a,
        "status",
        words(&["approved", "pending", "cancelled"]),
    );

    let t = "AttendanceInput";
    set(schemas, t, "employee_id", employee_id());
    set(schemas, t, "date", date());
    set(schemas, t, "start_time", time_of_day());
    set(schemas, t, "end_time", time_of_day());
    patch(
        schemas,
        t,
        "duration_minutes",
        json!({ "minimum": 1, "maximum": MINUTES_PER_DAY }),
    );
    patch(
        schemas,
        t,
        "break_minutes",
        json!({ "minimum": 0, "maximum": MINUTES_PER_DAY - 1 }),
    );
    set(schemas, t, "project", trimmed(MAX_TEXT_CHARS));
    set(schemas, t, "comment", trimmed(MAX_COMMENT_CHARS));
    set(schemas, t, "status", words(ATTENDANCE_STATUSES));

    set(
        schemas,
        "NewTenant",
        "id",
        json!({
            "type": "string",
            "description": "1 to 64 characters: lower-case letters, digits and '-', starting with a letter or digit, no Windows device name",
            "pattern": "^[a-z0-9][a-z0-9-]{0,63}$",
            "not": { "pattern": DEVICE },
        }),
    );
    set(schemas, "NewTenant", "name", required(MAX_TEXT_CHARS));

    let s = "TenantSettingsInput";
    for field in [
        "default_legal_entity",
        "default_department",
        "default_position",
    ] {
        set(schemas, s, field, trimmed(MAX_TEXT_CHARS));
    }
    let placeholder = r"\{(first_name|last_name|first_initial)\}";
    set(
        schemas,
        s,
        "login_format",
        json!({
            "type": "string",
            "maxLength": MAX_TEXT_CHARS,
            "pattern": format!(
                "^[{SPACE}]*([a-z0-9._-]*({placeholder}[a-z0-9._-]*)+)?[{SPACE}]*$"
            ),
        }),
    );

    let p = "PositionInput";
    set(schemas, p, "name", trimmed_required(MAX_TEXT_CHARS));
    set(schemas, p, "department", trimmed(MAX_TEXT_CHARS));

    for name in ["ConnectInput", "ReconfigureInput"] {
        set(schemas, name, "schedule", schedule());
    }

    let r = "ReviewBody";
    set(schemas, r, "decision", words(&["approve", "reject"]));
    set(schemas, r, "tier", words(&super::super::catalog::TIERS));
    patch(
        schemas,
        r,
        "reasons",
        json!({
            "maxItems": super::super::catalog::MAX_REASONS,
            "items": text(super::super::MAX_REASON_CHARS),
        }),
    );
    set(schemas, r, "override", text(super::super::MAX_REASON_CHARS));
}

/// The path and query parameters' rules.
pub fn parameters(doc: &mut Value) {
    const T: &str = "/api/v1/tenants/{tenant}";
    let employee = format!("{T}/employees/{{id}}");
    let absence = format!("{T}/absences/{{id}}");
    let attendance = format!("{T}/attendances/{{id}}");
    let position = format!("{T}/positions/{{id}}");
    for method in ["get", "put"] {
        parameter(doc, &employee, method, "id", employee_id());
        parameter(doc, &absence, method, "id", id());
        parameter(doc, &position, method, "id", id());
    }
    // `import` is the import's path beside the periods, as beside the
    // employees.
    for method in ["get", "put", "delete"] {
        parameter(doc, &attendance, method, "id", employee_id());
    }
    parameter(doc, &format!("{T}/applications/{{id}}"), "get", "id", id());
    let attachment = format!("{T}/applications/{{id}}/attachments/{{seq}}");
    parameter(doc, &attachment, "get", "id", id());
    parameter(
        doc,
        &format!("{T}/applications"),
        "get",
        "position_id",
        id(),
    );
    let limit = |max: u32| json!({ "type": "integer", "minimum": 0, "maximum": max });
    // A cursor is the next_cursor of the previous page: hex of printable
    // ASCII. The attendances' holds `date|id`, the applications' (like a
    // run list's) `instant|id`.
    let cursor = |pattern: &str| json!({ "type": "string", "pattern": pattern });
    let lists = [
        (format!("{T}/employees"), "^([2-7][0-9a-fA-F])+$"),
        (format!("{T}/absences"), "^([2-7][0-9a-fA-F])+$"),
        (format!("{T}/positions"), "^([2-7][0-9a-fA-F])+$"),
        (
            format!("{T}/attendances"),
            "^([2-6][0-9a-fA-F]|7[0-9abd-fABD-F])+7[cC]([2-7][0-9a-fA-F])+$",
        ),
        (
            format!("{T}/applications"),
            "^([2-7][0-9a-fA-F])*7[cC]([2-7][0-9a-fA-F])*$",
        ),
    ];
    for (path, pattern) in &lists {
        parameter(doc, path, "get", "limit", limit(u32::MAX));
        parameter(doc, path, "get", "cursor", cursor(pattern));
    }
    let attendances = format!("{T}/attendances");
    parameter(doc, &attendances, "get", "from", date());
    parameter(doc, &attendances, "get", "to", date());
    parameter(doc, &attendances, "get", "employee_id", id());
    parameter(
        doc,
        &attendances,
        "get",
        "updated_since",
        json!({ "type": "string", "format": "date-time" }),
    );
    let runs = format!("{T}/installs/{{id}}/runs");
    parameter(doc, &runs, "get", "limit", limit(u32::MAX));
    parameter(
        doc,
        &runs,
        "get",
        "cursor",
        json!({ "type": "string", "pattern": "^([2-7][0-9a-fA-F])*7[cC]([2-7][0-9a-fA-F])*$" }),
    );
    let rows = format!("{T}/runs/{{run}}/rows");
    parameter(doc, &rows, "get", "limit", limit(u32::MAX));
    parameter(
        doc,
        &rows,
        "get",
        "status",
        words(&["success", "failed", "skipped"]),
    );
    parameter(
        doc,
        &rows,
        "get",
        "cursor",
        json!({ "type": "string", "pattern": "^-?[0-9]{1,18}$" }),
    );
    for name in ["q", "category", "tier", "direction"] {
        parameter(
            doc,
            "/api/v1/marketplace",
            "get",
            name,
            text(super::super::catalog::MAX_QUERY_CHARS),
        );
    }
    parameter(
        doc,
        "/api/v1/marketplace",
        "get",
        "first_party",
        json!({ "type": "boolean" }),
    );
}

fn parameter(doc: &mut Value, path: &str, method: &str, name: &str, schema: Value) {
    let parameters = doc["paths"][path][method]["parameters"]
        .as_array_mut()
        .unwrap_or_else(|| panic!("{method} {path} has parameters"));
    let parameter = parameters
        .iter_mut()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} has the parameter {name}"));
    parameter["schema"] = schema;
}
