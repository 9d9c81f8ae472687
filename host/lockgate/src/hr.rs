//! The HR data model as the host stores it, and the rules that decide what a
//! connector may see of it. The rules live here, not in the connectors:
//! employment window, the tenant's per-connector inclusion flag, attribute
//! groups by scope, and the absence window. What a tenant may write (ids,
//! texts, records) is in [`shape`]; working time and its rules in
//! [`attendance`]; job positions and applications in [`recruiting`].

pub mod attendance;
pub mod change;
pub mod recruiting;
pub mod shape;

pub use attendance::{
    Attendance, AttendanceFilter, AttendancePeriod, AttendanceRefusal, AttendanceWrite, WriteMode,
};
pub use recruiting::{
    Application, ApplicationFilter, ApplicationRefusal, Attachment, AttachmentInfo, NewApplication,
    Position, PositionInput,
};

use serde::{Deserialize, Serialize};
use time::Date;

use lockgate_manifest::{AbsenceWindow, Scope};

/// An employee a connector asks the host to create; the host fills in the
/// tenant's defaults for what is missing and forms the login.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewEmployee {
    pub first_name: String,
    pub last_name: String,
    pub work_email: Option<String>,
    pub personal_email: Option<String>,
    pub phone: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub legal_entity: Option<String>,
    pub contract_type: Option<String>,
    /// `YYYY-MM-DD`; the day of the trigger when absent.
    pub start_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Employee {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub preferred_name: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// `active` or `inactive` (long leave).
    pub status: String,
    pub work_email: Option<String>,
    pub personal_email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<String>,
    pub hire_date: String,
    pub termination_date: Option<String>,
    pub legal_entity: Option<String>,
    pub contract_type: Option<String>,
    pub weekly_hours: Option<f64>,
    pub supervisor_id: Option<String>,
    pub cost_center: Option<String>,
    pub salary_minor: Option<i64>,
    pub hourly_wage_minor: Option<i64>,
    pub currency: Option<String>,
    pub login: Option<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Absence {
    pub id: String,
    pub employee_id: String,
    pub type_name: String,
    pub start_date: String,
    pub end_date: String,
    pub half_day_start: bool,
    pub half_day_end: bool,
    /// `approved`, `pending` or `cancelled`.
    pub status: String,
    pub updated_at: String,
}

/// What one install may read, fixed for the duration of a run.
#[derive(Debug, Clone)]
pub struct Visibility {
    pub tenant_id: String,
    /// The connector id the tenant's inclusion flag refers to.
    pub connector_id: String,
    /// The day the employment window is evaluated on.
    pub today: Date,
    pub scopes: Vec<Scope>,
    pub absence_window: Option<AbsenceWindow>,
    pub attendance_window: Option<AbsenceWindow>,
}

impl Visibility {
    pub fn granted(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether an employee with these dates is inside the employment window.
    pub fn employed(&self, hire_date: &str, termination_date: Option<&str>) -> bool {
        let today = crate::time::date_text(self.today);
        hire_date <= today.as_str() && termination_date.is_none_or(|t| t >= today.as_str())
    }

    /// The absence window as dates, or `None` when absences are not granted.
    pub fn absence_range(&self) -> Option<(String, String)> {
        if !self.granted(Scope::AbsencesRead) {
            return None;
        }
        self.window_range(self.absence_window?)
    }

    /// The attendance window as dates, or `None` when the install may
    /// neither read nor write attendances.
    pub fn attendance_range(&self) -> Option<(String, String)> {
        if !self.granted(Scope::AttendancesRead) && !self.granted(Scope::AttendancesWrite) {
            return None;
        }
        self.window_range(self.attendance_window?)
    }

    fn window_range(&self, window: AbsenceWindow) -> Option<(String, String)> {
        Some((
            crate::time::date_text(crate::time::add_days(
                self.today,
                -i64::from(window.past_days),
            )),
            crate::time::date_text(crate::time::add_days(
                self.today,
                i64::from(window.future_days),
            )),
        ))
    }
}

/// Filters for reading employees.
#[derive(Debug, Clone, Default)]
pub struct EmployeeFilter {
    pub after_id: Option<String>,
    pub limit: u32,
    pub department: Option<String>,
    pub updated_since: Option<String>,
    pub status: Option<String>,
    pub id: Option<String>,
}

/// Filters for reading absences; `from`/`to` are already narrowed to the
/// granted window.
#[derive(Debug, Clone, Default)]
pub struct AbsenceFilter {
    /// One absence by id.
    pub id: Option<String>,
    pub after_id: Option<String>,
    pub limit: u32,
    pub from: String,
    pub to: String,
    pub employee_id: Option<String>,
    pub type_name: Option<String>,
    pub statuses: Vec<String>,
    pub updated_since: Option<String>,
}

/// Why an employee a connector could see is no longer visible to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartureReason {
    /// The termination date has passed.
    Terminated,
    /// The tenant set "include in transfer" to No for this connector.
    Excluded,
    /// The tenant removed the record.
    OutOfScope,
}

impl DepartureReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            DepartureReason::Terminated => "terminated",
            DepartureReason::Excluded => "excluded",
            DepartureReason::OutOfScope => "out_of_scope",
        }
    }
}

/// An employee a connector could see and no longer can: the id only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Departure {
    pub employee_id: String,
    /// The first instant (canonical) the employee was no longer visible:
    /// for a termination, the start of the day after the termination date
    /// or, if later, when the termination was entered.
    pub left_at: String,
    pub reason: DepartureReason,
}

impl Departure {
    /// The paging key: departures are listed by `(left_at, employee_id)`,
    /// and the page after this one starts behind this key. Plain text
    /// (`{left_at}/{employee_id}`); the layer that hands it out encodes it.
    pub fn cursor(&self) -> String {
        format!("{}/{}", self.left_at, self.employee_id)
    }

    /// The `(left_at, employee_id)` of a [`Departure::cursor`], or why it
    /// is none.
    pub fn parse_cursor(cursor: &str) -> Result<(String, String), String> {
        let problem = || {
            format!(
                "cursor {:?} is not one this host handed out; ask again without a cursor",
                shape::shown(cursor)
            )
        };
        let (left_at, id) = cursor.split_once('/').ok_or_else(problem)?;
        if crate::time::canonical_instant(left_at).as_deref() != Some(left_at)
            || shape::id_problem(id).is_some()
        {
            return Err(problem());
        }
        Ok((left_at.to_string(), id.to_string()))
    }
}

/// Cuts rows fetched with one extra beyond `limit` down to a page; the
/// cursor (the last id kept) is there only when more rows exist.
pub fn split_page<T>(
    rows: Vec<T>,
    limit: u32,
    id: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    split_page_by(rows, limit, |r| id(r).to_string())
}

/// [`split_page`] for rows whose cursor is made from more than an id
/// (such as [`Departure::cursor`]).
pub fn split_page_by<T>(
    mut rows: Vec<T>,
    limit: u32,
    cursor: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if rows.len() <= limit as usize {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(cursor);
    (rows, next)
}

/// Lower-case ASCII for names in e-mail addresses and logins: umlauts
/// become two letters (ü → ue), other accents are dropped (é → e), dashes
/// stay, anything else goes.
pub fn ascii_fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars().flat_map(char::to_lowercase) {
        let replacement = match c {
            'a'..='z' | '0'..='9' | '-' => {
                out.push(c);
                continue;
            }
            'ä' | 'æ' => "ae",
            'ö' | 'œ' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'à' | 'á' | 'â' | 'ã' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' | 'ı' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ø' => "o",
            'ù' | 'ú' | 'û' => "u",
            'ý' | 'ÿ' => "y",
            'ş' => "s",
            'ğ' => "g",
            'ł' => "l",
            _ => "",
        };
        out.push_str(replacement);
    }
    out
}

/// A login before de-duplication: first initial and last name, folded,
/// letters and digits only ("Jürgen Müller-Lüdenscheidt" → "jmuellerluedenscheidt").
pub fn login_base(first_name: &str, last_name: &str) -> String {
    let initial: String = ascii_fold(first_name).chars().take(1).collect();
    let surname: String = ascii_fold(last_name)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{initial}{surname}")
}

/// The login format used when the tenant set none.
pub const DEFAULT_LOGIN_FORMAT: &str = "{first_initial}{last_name}";

/// Checks a tenant's login format: the placeholders `{first_name}`,
/// `{last_name}` and `{first_initial}`, and lower-case letters, digits,
/// dots, dashes and underscores between them; at least one name in it.
pub fn check_login_format(format: &str) -> Result<(), String> {
    let mut rest = format;
    let mut names = 0;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let (name, tail) = after.split_once('}').ok_or("a { has no closing }")?;
            match name {
                "first_name" | "last_name" | "first_initial" => names += 1,
                other => {
                    return Err(format!(
                        "unknown placeholder {{{other}}}; use {{first_name}}, {{last_name}} or {{first_initial}}"
                    ));
                }
            }
            rest = tail;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            if !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_')) {
                return Err(format!(
                    "{c:?} cannot be in a login; use lower-case letters, digits, . - _"
                ));
            }
            rest = &rest[c.len_utf8()..];
        }
    }
    if names == 0 {
        return Err("give at least one of {first_name}, {last_name}, {first_initial}".into());
    }
    Ok(())
}

/// A login from a checked format: names lower-case, accents folded, only
/// letters and digits kept.
pub fn login_from(format: &str, first_name: &str, last_name: &str) -> String {
    let clean = |s: &str| -> String {
        ascii_fold(s)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect()
    };
    let first = clean(first_name);
    format
        .replace(
            "{first_initial}",
            &first.chars().take(1).collect::<String>(),
        )
        .replace("{first_name}", &first)
        .replace("{last_name}", &clean(last_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_formats() {
        assert_eq!(
            login_from(DEFAULT_LOGIN_FORMAT, "Jürgen", "Müller-Lüdenscheidt"),
            login_base("Jürgen", "Müller-Lüdenscheidt")
        );
        assert_eq!(
            login_from("{first_name}.{last_name}", "Élodie", "de Vries"),
            "elodie.devries"
        );
        assert!(check_login_format("{first_name}.{last_name}").is_ok());
        assert!(check_login_format("{nick}").is_err());
        assert!(check_login_format("Admin").is_err());
        assert!(check_login_format("x").is_err(), "no name in it");
    }

    #[test]
    fn logins_fold_accents() {
        assert_eq!(
            login_base("Jürgen", "Müller-Lüdenscheidt"),
            "jmuellerluedenscheidt"
        );
        assert_eq!(login_base("Élodie", "de Vries"), "edevries");
        assert_eq!(ascii_fold("Ruiz-Péron"), "ruiz-peron");
    }
}
