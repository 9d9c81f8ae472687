//! The job positions of a generated tenant: a handful of titles from the
//! departments, most open so a job board connector has something to apply
//! to, one closed so its refusal can be tried. Fixed, not drawn: the
//! employees' random draws stay what they were.

use time::{Date, Duration};

use crate::hr::Position;
use crate::time::instant;

/// (id, department, title, open, days since the last change).
const OPENINGS: &[(&str, &str, &str, bool, i64)] = &[
    (
        "pos-software-engineer",
        "Engineering",
        "Software Engineer",
        true,
        12,
    ),
    (
        "pos-devops-engineer",
        "Engineering",
        "DevOps Engineer",
        true,
        30,
    ),
    (
        "pos-account-executive",
        "Sales",
        "Account Executive",
        true,
        5,
    ),
    (
        "pos-customer-success-manager",
        "Customer Success",
        "Customer Success Manager",
        true,
        21,
    ),
    ("pos-recruiter", "People", "Recruiter", true, 9),
    (
        "pos-payroll-specialist",
        "Finance",
        "Payroll Specialist",
        false,
        60,
    ),
];

/// The positions, stamped relative to `today`.
pub fn openings(today: Date) -> Vec<Position> {
    let midnight = today.midnight().assume_utc();
    OPENINGS
        .iter()
        .map(|&(id, department, name, open, days)| Position {
            id: id.into(),
            name: name.into(),
            department: Some(department.into()),
            open,
            // Only a `today` at the very edge of the calendar can underflow.
            updated_at: instant(
                midnight
                    .checked_sub(Duration::days(days) - Duration::hours(9))
                    .unwrap_or(midnight),
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::departments::DEPARTMENTS;
    use super::*;

    #[test]
    fn openings_are_titles_of_their_departments() {
        let positions = openings(time::macros::date!(2026 - 03 - 15));
        assert!(positions.iter().filter(|p| p.open).count() >= 5);
        assert!(positions.iter().any(|p| !p.open));
        for p in &positions {
            let department = DEPARTMENTS
                .iter()
                .find(|d| Some(d.name) == p.department.as_deref())
                .unwrap_or_else(|| panic!("{:?} is a department", p.department));
            assert!(
                department.positions.iter().any(|(t, ..)| *t == p.name),
                "{} is a title of {}",
                p.name,
                department.name
            );
            assert_eq!(crate::hr::shape::id_problem(&p.id), None);
            assert!(p.updated_at.starts_with("2026-"), "{}", p.updated_at);
        }
    }
}
