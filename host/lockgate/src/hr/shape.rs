//! The shape of what a tenant writes: ids, texts, and the employee and
//! absence records made of them. The API and the CSV import check every
//! record here before the store sees it, so SQLite and PostgreSQL hold
//! the same (PostgreSQL text cannot hold a NUL; SQLite would).
//!
//! - An id (employee, absence, tenant) has 1 to 64 characters: ASCII
//!   letters, digits, `.`, `_` and `-`; it starts with a letter or digit,
//!   does not end with `.`, and is no Windows device name (`CON`, `PRN`,
//!   `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, in any case, also before a
//!   dot: `con.txt`). Tenant ids use lower-case letters only.
//! - Every text has no control character (Unicode category Cc: NUL, tab,
//!   line breaks, C1) and no bidirectional override or isolate (U+202A to
//!   U+202E, U+2066 to U+2069), and a length cap in characters: names 200,
//!   e-mail addresses 254, every other text 200, custom attribute names 64
//!   and values 1000, an attendance period's comment 1000.

use std::collections::BTreeMap;

use lockgate_manifest::manifest::is_date;

use super::{Absence, Employee, NewEmployee};
use crate::field::FieldProblem;

/// The longest id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// The longest first, last or preferred name.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest e-mail address (the limit of an SMTP path).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest other text: department, position, phone, a tenant's name,
/// an absence type, a tenant's defaults.
pub const MAX_TEXT_CHARS: usize = 200;
/// The longest custom attribute name.
pub const MAX_ATTRIBUTE_NAME_CHARS: usize = 64;
/// The longest custom attribute value.
pub const MAX_ATTRIBUTE_VALUE_CHARS: usize = 1000;
/// The longest comment on an attendance period.
pub const MAX_COMMENT_CHARS: usize = 1000;

const ID_RULE: &str = "use 1 to 64 characters: letters A-Z a-z, digits, '.', '_' and '-', starting with a letter or digit";
const TENANT_ID_RULE: &str =
    "use 1 to 64 characters: lower-case letters, digits and '-', starting with a letter or digit";

/// A character no text may hold: a control character (Cc) or a
/// bidirectional override or isolate.
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A character as a message shows it: `'ü'`, or `U+202E` for one that
/// would not show.
fn describe(c: char) -> String {
    if is_forbidden_char(c) || c.is_whitespace() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

/// Outside input as a message or field name shows it: escaped, and cut
/// after 64 characters.
pub fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(64).flat_map(char::escape_debug).collect();
    if text.chars().nth(64).is_some() {
        out.push('…');
    }
    out
}

fn is_device_name(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    match upper.as_bytes() {
        b"CON" | b"PRN" | b"AUX" | b"NUL" => true,
        [b'C', b'O', b'M', d] | [b'L', b'P', b'T', d] => (b'1'..=b'9').contains(d),
        _ => false,
    }
}

/// Why `id` is no id (see the module's rules), or `None`.
pub fn id_problem(id: &str) -> Option<String> {
    shape_problem(id, ID_RULE, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
    })
}

/// Why `id` is no tenant id, or `None`: an id of lower-case letters,
/// digits and dashes.
pub fn tenant_id_problem(id: &str) -> Option<String> {
    shape_problem(id, TENANT_ID_RULE, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    })
}

fn shape_problem(id: &str, rule: &str, allowed: impl Fn(char) -> bool) -> Option<String> {
    let Some(first) = id.chars().next() else {
        return Some(format!("is empty; {rule}"));
    };
    if let Some(c) = id.chars().find(|c| !allowed(*c)) {
        return Some(format!("{} cannot be in an id; {rule}", describe(c)));
    }
    let n = id.chars().count();
    if n > MAX_ID_CHARS {
        return Some(format!("at most {MAX_ID_CHARS} characters (has {n})"));
    }
    if !first.is_ascii_alphanumeric() {
        return Some(format!("starts with {}; {rule}", describe(first)));
    }
    if id.ends_with('.') {
        return Some(format!("ends with '.'; {rule}"));
    }
    let stem = id.split('.').next().unwrap_or(id);
    if is_device_name(stem) {
        return Some(format!(
            "{stem:?} is a reserved device name (CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9); choose another id"
        ));
    }
    None
}

/// Why `id` is no employee id, or `None`: an id, and not `import` (the
/// CSV import's path beside the employees).
pub fn employee_id_problem(id: &str) -> Option<String> {
    if id.eq_ignore_ascii_case("import") {
        return Some("\"import\" is reserved (the CSV import endpoint); choose another id".into());
    }
    id_problem(id)
}

/// Why a text is not accepted, or `None`: a forbidden character (named
/// with its position) or more than `max` characters.
pub fn text_problem(value: &str, max: usize) -> Option<String> {
    if let Some((i, c)) = value
        .chars()
        .enumerate()
        .find(|(_, c)| is_forbidden_char(*c))
    {
        let what = if c.is_control() {
            "a control character"
        } else {
            "a bidirectional override"
        };
        return Some(format!(
            "contains {what} ({}) at character {}; remove it",
            describe(c),
            i + 1
        ));
    }
    let n = value.chars().count();
    (n > max).then(|| format!("at most {max} characters (has {n})"))
}

/// A required text: not blank, and a text.
pub fn required_text_problem(value: &str, max: usize) -> Option<String> {
    if value.trim().is_empty() {
        return Some("is required".into());
    }
    text_problem(value, max)
}

/// Everything wrong with an employee and (when given) its custom
/// attributes, all at once, each naming its field.
pub fn employee_problems(
    e: &Employee,
    attributes: Option<&BTreeMap<String, String>>,
) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let mut bad = |field: &str, message: String| out.push(FieldProblem::new(field, message));
    if let Some(p) = employee_id_problem(&e.id) {
        bad("id", p);
    }
    for (field, value) in [("first_name", &e.first_name), ("last_name", &e.last_name)] {
        if let Some(p) = required_text_problem(value, MAX_NAME_CHARS) {
            bad(field, p);
        }
    }
    if !matches!(e.status.as_str(), "active" | "inactive") {
        bad("status", "give active or inactive".into());
    }
    if !is_date(&e.hire_date) {
        bad("hire_date", "give a date, YYYY-MM-DD".into());
    }
    for (field, value) in [
        ("termination_date", &e.termination_date),
        ("birth_date", &e.birth_date),
    ] {
        if value.as_deref().is_some_and(|d| !is_date(d)) {
            bad(field, "give a date, YYYY-MM-DD".into());
        }
    }
    if let Some(t) = &e.termination_date
        && is_date(t)
        && is_date(&e.hire_date)
        && t.as_str() < e.hire_date.as_str()
    {
        bad("termination_date", "is before the hire date".into());
    }
    for (field, value) in [
        ("work_email", &e.work_email),
        ("personal_email", &e.personal_email),
    ] {
        let Some(value) = value else { continue };
        if let Some(p) = text_problem(value, MAX_EMAIL_CHARS) {
            bad(field, p);
        } else if !value.contains('@') || value.contains(char::is_whitespace) {
            bad(field, "is not an e-mail address".into());
        }
    }
    if e.weekly_hours.is_some_and(|h| !(0.0..=80.0).contains(&h)) {
        bad("weekly_hours", "must be between 0 and 80".into());
    }
    if e.salary_minor.is_some_and(|s| s < 0) {
        bad("salary_minor", "cannot be negative".into());
    }
    if e.hourly_wage_minor.is_some_and(|s| s < 0) {
        bad("hourly_wage_minor", "cannot be negative".into());
    }
    for (field, value, max) in [
        ("preferred_name", &e.preferred_name, MAX_NAME_CHARS),
        ("department", &e.department, MAX_TEXT_CHARS),
        ("position", &e.position, MAX_TEXT_CHARS),
        ("phone", &e.phone, MAX_TEXT_CHARS),
        ("legal_entity", &e.legal_entity, MAX_TEXT_CHARS),
        ("contract_type", &e.contract_type, MAX_TEXT_CHARS),
        ("cost_center", &e.cost_center, MAX_TEXT_CHARS),
        ("currency", &e.currency, MAX_TEXT_CHARS),
        ("login", &e.login, MAX_TEXT_CHARS),
    ] {
        if let Some(p) = value.as_deref().and_then(|v| text_problem(v, max)) {
            bad(field, p);
        }
    }
    if let Some(p) = e.supervisor_id.as_deref().and_then(id_problem) {
        bad("supervisor_id", p);
    }
    out.extend(attributes.map(attribute_problems).unwrap_or_default());
    out
}

/// Why a custom attribute name is not accepted, or `None`.
pub fn attribute_name_problem(name: &str) -> Option<String> {
    required_text_problem(name, MAX_ATTRIBUTE_NAME_CHARS)
        .map(|p| format!("the name {p} (names have 1 to {MAX_ATTRIBUTE_NAME_CHARS} characters)"))
}

/// Everything wrong with custom attributes, each as
/// `custom_attributes.<name>`.
pub fn attribute_problems(attributes: &BTreeMap<String, String>) -> Vec<FieldProblem> {
    attributes
        .iter()
        .filter_map(|(name, value)| {
            attribute_name_problem(name)
                .or_else(|| text_problem(value, MAX_ATTRIBUTE_VALUE_CHARS))
                .map(|p| FieldProblem::new(format!("custom_attributes.{}", shown(name)), p))
        })
        .collect()
}

/// Everything wrong with an absence, all at once (whether its employee
/// exists is the store's question).
pub fn absence_problems(a: &Absence) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    let mut bad = |field: &str, message: String| out.push(FieldProblem::new(field, message));
    if let Some(p) = id_problem(&a.id) {
        bad("id", p);
    }
    if let Some(p) = id_problem(&a.employee_id) {
        bad("employee_id", p);
    }
    if let Some(p) = required_text_problem(&a.type_name, MAX_TEXT_CHARS) {
        bad("type_name", p);
    }
    if !is_date(&a.start_date) {
        bad("start_date", "give a date, YYYY-MM-DD".into());
    }
    if !is_date(&a.end_date) {
        bad("end_date", "give a date, YYYY-MM-DD".into());
    } else if a.end_date < a.start_date {
        bad("end_date", "is before the start date".into());
    }
    if !matches!(a.status.as_str(), "approved" | "pending" | "cancelled") {
        bad("status", "give approved, pending or cancelled".into());
    }
    out
}

/// Everything wrong with an employee a connector asks the host to create
/// (the texts it gives; the host forms the id, the login and the rest).
pub fn new_employee_problems(e: &NewEmployee) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    for (field, value) in [("first_name", &e.first_name), ("last_name", &e.last_name)] {
        if let Some(p) = required_text_problem(value, MAX_NAME_CHARS) {
            out.push(FieldProblem::new(field, p));
        }
    }
    for (field, value, max) in [
        ("work_email", &e.work_email, MAX_EMAIL_CHARS),
        ("personal_email", &e.personal_email, MAX_EMAIL_CHARS),
        ("phone", &e.phone, MAX_TEXT_CHARS),
        ("department", &e.department, MAX_TEXT_CHARS),
        ("position", &e.position, MAX_TEXT_CHARS),
        ("legal_entity", &e.legal_entity, MAX_TEXT_CHARS),
        ("contract_type", &e.contract_type, MAX_TEXT_CHARS),
    ] {
        if let Some(p) = value.as_deref().and_then(|v| text_problem(v, max)) {
            out.push(FieldProblem::new(field, p));
        }
    }
    if e.start_date.as_deref().is_some_and(|d| !is_date(d)) {
        out.push(FieldProblem::new("start_date", "give a date, YYYY-MM-DD"));
    }
    out
}

/// Everything wrong with a new tenant's id and name.
pub fn tenant_problems(id: &str, name: &str) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    if let Some(p) = tenant_id_problem(id) {
        out.push(FieldProblem::new("id", p));
    }
    if let Some(p) = required_text_problem(name, MAX_TEXT_CHARS) {
        out.push(FieldProblem::new("name", p));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for good in [
            "e-1",
            "E_00001",
            "a.b",
            "0",
            "x".repeat(64).as_str(),
            "console",
            "com10",
            "lpt0",
        ] {
            assert_eq!(id_problem(good), None, "{good}");
        }
        for bad in [
            "",
            " ",
            ".",
            "..",
            ".hidden",
            "-x",
            "_x",
            "a.",
            "a/b",
            "a b",
            "CON",
            "con",
            "Nul.txt",
            "COM1",
            "lpt9",
            "x".repeat(65).as_str(),
            "e\u{202E}1",
            "e\u{0}",
            "Müller",
        ] {
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
        assert!(employee_id_problem("import").is_some());
        assert!(tenant_id_problem("Acme").is_some());
        assert_eq!(tenant_id_problem("t-1"), None);
    }

    #[test]
    fn texts() {
        assert_eq!(text_problem("Hélène Müller-Lüdenscheidt", 200), None);
        let nul = text_problem("a\u{0}b", 200).unwrap();
        assert!(
            nul.contains("U+0000") && nul.contains("character 2"),
            "{nul}"
        );
        assert!(text_problem("\u{202E}abc", 200).unwrap().contains("U+202E"));
        assert!(text_problem("\u{2066}", 200).is_some());
        assert!(text_problem("tab\there", 200).is_some());
        assert_eq!(
            text_problem(&"é".repeat(201), 200).unwrap(),
            "at most 200 characters (has 201)"
        );
        assert_eq!(text_problem(&"é".repeat(200), 200), None);
        assert_eq!(shown("a\u{202E}b"), "a\\u{202e}b");
    }

    #[test]
    fn new_employees() {
        let mut e = NewEmployee {
            first_name: "Hélène".into(),
            last_name: "Müller".into(),
            ..NewEmployee::default()
        };
        assert!(new_employee_problems(&e).is_empty());
        e.last_name = "M\u{0}".into();
        e.department = Some("d".repeat(201));
        let fields: Vec<_> = new_employee_problems(&e)
            .into_iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(fields, ["last_name", "department"]);
    }
}
