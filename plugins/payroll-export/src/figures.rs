//! What a month's export is made of, read from the host: the employees
//! employed during the month with their pay and contracted hours, their
//! confirmed attendance minutes, their approved absence days, and who left
//! and can no longer be seen.

use std::collections::BTreeMap;

use lockgate_sdk::attendances::{self, AttendanceQuery, AttendanceStatus};
use lockgate_sdk::hr::{DepartureReason, Money};
use lockgate_sdk::prelude::*;
use serde::Serialize;

use crate::month::{Month, absence_days};

/// One employee's month as the payroll tool receives it (see the README).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayrollRecord {
    pub employee_id: String,
    pub month: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub hire_date: String,
    pub termination_date: Option<String>,
    pub weekly_hours: Option<f64>,
    /// Yearly, at 100 % employment.
    pub fixed_salary: Option<Pay>,
    pub hourly_wage: Option<Pay>,
    /// Confirmed periods only.
    pub attendance_minutes: u64,
    /// Recorded but not confirmed: not in `attendance_minutes`.
    pub pending_attendance_minutes: u64,
    /// Approved absences, Monday to Friday inside the month.
    pub absence_days: f64,
    pub absences: Vec<AbsenceDays>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pay {
    /// Minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217.
    pub currency: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbsenceDays {
    #[serde(rename = "type")]
    pub type_name: String,
    pub days: f64,
}

impl From<Money> for Pay {
    fn from(money: Money) -> Self {
        Pay {
            amount_minor: money.amount_minor,
            currency: money.currency,
        }
    }
}

/// Someone who was employed during the month and is no longer visible.
#[derive(Debug, Clone)]
pub struct Leaver {
    pub employee_id: String,
    pub message: String,
}

/// Everything the month's export sends and reports, employees in id order.
pub struct MonthFigures {
    pub records: Vec<PayrollRecord>,
    pub leavers: Vec<Leaver>,
}

/// Reads the month's figures. The host limits what is visible to the
/// granted window and to employees visible today.
pub fn gather(month: Month) -> Result<MonthFigures, Error> {
    let first = month.first_day();
    let last = month.last_day();

    let mut records: BTreeMap<String, PayrollRecord> = BTreeMap::new();
    for employee in hr::employees(EmployeeQuery::default()) {
        let employee = employee?;
        let Some(employment) = employee.employment else {
            return Err(Error::other(
                "the host sent an employee without employment data: grant employees.employment",
            ));
        };
        let employed = employment.hire_date <= last
            && employment
                .termination_date
                .as_ref()
                .is_none_or(|end| *end >= first);
        if !employed {
            continue;
        }
        let (first_name, last_name) = match employee.basic {
            Some(b) => (Some(b.first_name), Some(b.last_name)),
            None => (None, None),
        };
        let (fixed_salary, hourly_wage) = match employee.compensation {
            Some(c) => (c.fixed_salary.map(Pay::from), c.hourly_wage.map(Pay::from)),
            None => (None, None),
        };
        records.insert(
            employee.id.clone(),
            PayrollRecord {
                employee_id: employee.id,
                month: month.to_string(),
                first_name,
                last_name,
                hire_date: employment.hire_date,
                termination_date: employment.termination_date,
                weekly_hours: employment.weekly_hours,
                fixed_salary,
                hourly_wage,
                attendance_minutes: 0,
                pending_attendance_minutes: 0,
                absence_days: 0.0,
                absences: Vec::new(),
            },
        );
    }

    for period in attendances::attendances(AttendanceQuery::between(&first, &last)) {
        let period = period?;
        let Some(record) = records.get_mut(&period.employee_id) else {
            continue;
        };
        let minutes = u64::from(period.duration_minutes);
        match period.status {
            AttendanceStatus::Confirmed => record.attendance_minutes += minutes,
            AttendanceStatus::Pending => record.pending_attendance_minutes += minutes,
        }
    }

    let approved = AbsenceQuery {
        statuses: vec![AbsenceStatus::Approved],
        ..AbsenceQuery::between(&first, &last)
    };
    let mut by_type: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for absence in hr::absences(approved) {
        let absence = absence?;
        if absence.status != AbsenceStatus::Approved || !records.contains_key(&absence.employee_id)
        {
            continue;
        }
        let days = absence_days(
            month,
            &absence.start_date,
            &absence.end_date,
            absence.half_day_start,
            absence.half_day_end,
        );
        *by_type
            .entry(absence.employee_id)
            .or_default()
            .entry(absence.type_name)
            .or_default() += days;
    }
    for (id, types) in by_type {
        if let Some(record) = records.get_mut(&id) {
            record.absence_days = types.values().sum();
            record.absences = types
                .into_iter()
                .filter(|(_, days)| *days > 0.0)
                .map(|(type_name, days)| AbsenceDays { type_name, days })
                .collect();
        }
    }

    let mut leavers = Vec::new();
    for departure in hr::departures(&month.start_instant()) {
        let departure = departure?;
        if records.contains_key(&departure.employee_id) {
            continue;
        }
        let left = departure.left_at.get(..10).unwrap_or(&departure.left_at);
        let message = match departure.reason {
            DepartureReason::Terminated => match hr::last_day(&departure.left_at) {
                Some(end) if end < first => continue,
                Some(end) => format!("left on {end}, no longer visible; settle {month} by hand"),
                // Entered after the last day, which the host no longer shows.
                None => format!(
                    "termination entered on {left}, no longer visible; settle {month} by hand"
                ),
            },
            DepartureReason::Excluded => format!(
                "excluded from this connector on {left}, no longer visible; settle {month} by hand"
            ),
            DepartureReason::OutOfScope => format!(
                "removed from the HR records on {left}, no longer visible; settle {month} by hand"
            ),
        };
        leavers.push(Leaver {
            employee_id: departure.employee_id,
            message,
        });
    }

    Ok(MonthFigures {
        records: records.into_values().collect(),
        leavers,
    })
}

impl PayrollRecord {
    /// What the monitoring row says about a record the tool accepted.
    pub fn summary(&self) -> String {
        let pay = match (&self.fixed_salary, &self.hourly_wage) {
            (Some(p), _) => format!("fixed salary {} a year", money(p)),
            (None, Some(p)) => format!("hourly wage {} an hour", money(p)),
            (None, None) => "no pay recorded".to_string(),
        };
        let mut text = format!(
            "sent {}: {pay}, {} attended, {} absence day(s)",
            self.month,
            hours(self.attendance_minutes),
            self.absence_days
        );
        if self.pending_attendance_minutes > 0 {
            text.push_str(&format!(
                "; {} pending, not counted",
                hours(self.pending_attendance_minutes)
            ));
        }
        text
    }
}

/// In minor units: how many decimals a currency has is the tool's business.
fn money(pay: &Pay) -> String {
    format!("{} {} (minor units)", pay.currency, pay.amount_minor)
}

fn hours(minutes: u64) -> String {
    format!("{}:{:02} h", minutes / 60, minutes % 60)
}
