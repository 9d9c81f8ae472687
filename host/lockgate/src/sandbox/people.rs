//! Generated employees: where each one's employment sits relative to today
//! ([`Kind`]), the employee record itself (name, position, pay, dates,
//! contact data, supervisor, connector exclusions) and the fix-ups that make
//! a large enough tenant contain every case the connector tests rely on.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use time::Date;

use super::departments::{CONTRACTS, Contract, DEPARTMENTS, HEAD_SALARY};
use super::names::{LOCALES, UniqueNames, phone};
use super::{DAYS_PER_YEAR, KNOWN_CONNECTORS, pick, stamp, weighted, weighted_index};
use crate::hr::{Employee, ascii_fold as fold, login_base};
use crate::time::{add_days, date_text};

/// Bit of `KNOWN_CONNECTORS[0]` in an employee's exclusion mask.
const PLANNER_EXPORT: u8 = 1;

/// Where an employee's employment window sits relative to today.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kind {
    /// Employed today and at work.
    Current,
    /// Employed today but on long leave (status `inactive`).
    Inactive,
    /// Employed today, termination within the next 60 days.
    LeavingSoon,
    /// Hire date 1–90 days ahead.
    Future,
    /// Terminated 1–400 days ago.
    Past,
}

/// Per mille; the remainder of "current" is split into inactive and leaving.
pub(super) const KINDS: &[(Kind, u32)] = &[
    (Kind::Current, 750),
    (Kind::Inactive, 40),
    (Kind::LeavingSoon, 30),
    (Kind::Future, 80),
    (Kind::Past, 100),
];

impl Kind {
    /// How many of this kind a guaranteed tenant must keep. Two plain current
    /// employees are needed: one carries the planner-export exclusion, the
    /// other the guaranteed absences while excluded from nothing.
    fn floor(self) -> usize {
        match self {
            Kind::Current => 2,
            Kind::Future | Kind::Past => 1,
            Kind::Inactive | Kind::LeavingSoon => 0,
        }
    }

    fn employed_today(self) -> bool {
        matches!(self, Kind::Current | Kind::Inactive | Kind::LeavingSoon)
    }
}

/// The parts of an employee the absence pass needs, as day offsets from today.
pub(super) struct Plan {
    pub(super) kind: Kind,
    pub(super) hire: i64,
    pub(super) termination: Option<i64>,
    /// Bit `i` set: excluded from `KNOWN_CONNECTORS[i]`.
    pub(super) excluded: u8,
}

/// Converts surplus employees (taken from the end) into whichever kinds are
/// missing. With at least `GUARANTEE_FROM` employees and floors summing to
/// four, some kind always has a surplus.
pub(super) fn ensure_kind_floors(kinds: &mut [Kind]) {
    for &(needed, _) in KINDS {
        while count_kind(kinds, needed) < needed.floor() {
            let surplus = (0..kinds.len())
                .rev()
                .find(|&i| count_kind(kinds, kinds[i]) > kinds[i].floor());
            let Some(position) = surplus else { return };
            kinds[position] = needed;
        }
    }
}

fn count_kind(kinds: &[Kind], kind: Kind) -> usize {
    kinds.iter().filter(|&&k| k == kind).count()
}

/// Makes sure one current employee is excluded from planner-export and
/// another is excluded from nothing and stays employed past the absence
/// horizon; returns the latter, who carries the guaranteed absences.
pub(super) fn guarantee_exclusions(
    plans: &mut [Plan],
    employees: &mut [Employee],
) -> Option<usize> {
    let current: Vec<usize> = (0..plans.len())
        .filter(|&i| plans[i].kind == Kind::Current)
        .collect();
    let holder = match current
        .iter()
        .copied()
        .find(|&i| plans[i].excluded & PLANNER_EXPORT != 0)
    {
        Some(i) => i,
        None => {
            let first = *current.first()?;
            plans[first].excluded |= PLANNER_EXPORT;
            first
        }
    };
    let anchor = match current.iter().copied().find(|&i| plans[i].excluded == 0) {
        Some(i) => i,
        None => {
            let other = current.iter().rev().copied().find(|&i| i != holder)?;
            plans[other].excluded = 0;
            other
        }
    };
    // The guaranteed far-future absence needs employment beyond it.
    if plans[anchor].termination.is_some() {
        plans[anchor].termination = None;
        let employee = &mut employees[anchor];
        employee.termination_date = None;
        if employee.contract_type.as_deref() == Some("fixed-term") {
            employee.contract_type = Some(Contract::Permanent.text().to_string());
        }
    }
    Some(anchor)
}

/// The departments as filled so far, in generation order.
pub(super) struct Org {
    /// Per department: earlier employees who can lead others, so a
    /// supervisor always precedes their reports.
    pub(super) leaders: Vec<Vec<usize>>,
    pub(super) sizes: Vec<usize>,
}

pub(super) fn employee(
    rng: &mut ChaCha8Rng,
    index: usize,
    kind: Kind,
    today: Date,
    names: &mut UniqueNames,
    org: &mut Org,
) -> (Employee, Plan) {
    let locale = &LOCALES[weighted_index(rng, LOCALES.iter().map(|l| l.weight))];
    let first_name = pick(rng, locale.first_names);
    let last_name = if rng.random_bool(0.12) {
        let a = pick(rng, locale.last_names);
        let mut b = pick(rng, locale.last_names);
        while b == a {
            b = pick(rng, locale.last_names);
        }
        format!("{a}-{b}")
    } else {
        pick(rng, locale.last_names).to_string()
    };
    let preferred_name = rng
        .random_bool(0.08)
        .then(|| pick(rng, locale.nicknames).to_string());

    let department_index = weighted_index(rng, DEPARTMENTS.iter().map(|d| d.weight));
    let department = &DEPARTMENTS[department_index];
    let is_head = org.sizes[department_index] == 0;
    org.sizes[department_index] += 1;

    let contract = if is_head {
        Contract::Permanent
    } else {
        weighted(rng, CONTRACTS)
    };
    let weekly_hours = match contract {
        _ if is_head => 40.0,
        Contract::Permanent => weighted(
            rng,
            &[(40.0, 50), (38.5, 25), (32.0, 12), (24.0, 8), (20.0, 5)],
        ),
        Contract::FixedTerm => weighted(rng, &[(40.0, 55), (38.5, 30), (32.0, 15)]),
        Contract::WorkingStudent => weighted(rng, &[(20.0, 80), (24.0, 20)]),
        Contract::Freelance => weighted(rng, &[(40.0, 40), (32.0, 35), (24.0, 25)]),
    };

    let (position, low, high) = if is_head {
        (department.head, HEAD_SALARY.0, HEAD_SALARY.1)
    } else if contract == Contract::WorkingStudent {
        ("Working Student", 0, 0)
    } else {
        *pick(rng, department.positions)
    };

    let (mut salary_minor, mut hourly_wage_minor) = (None, None);
    match contract {
        Contract::WorkingStudent => hourly_wage_minor = Some(rng.random_range(1_400..=2_000)),
        Contract::Freelance => hourly_wage_minor = Some(rng.random_range(55..=120) * 100),
        Contract::Permanent | Contract::FixedTerm => {
            let yearly_euros = rng.random_range(low..=high) as f64;
            if weekly_hours <= 24.0 {
                // Short part-timers are paid by the hour: the full-time
                // yearly rate over 52 weeks of 40 hours.
                hourly_wage_minor = Some((yearly_euros * 100.0 / (52.0 * 40.0)).round() as i64);
            } else {
                let pro_rata_hundreds = (yearly_euros * weekly_hours / 40.0 / 100.0).round();
                salary_minor = Some(pro_rata_hundreds as i64 * 100 * 100);
            }
        }
    }

    let max_tenure = if contract == Contract::WorkingStudent {
        4 * DAYS_PER_YEAR
    } else {
        15 * DAYS_PER_YEAR
    };
    let (hire, termination) = match kind {
        Kind::Current | Kind::Inactive => {
            let hire = -rng.random_range(DAYS_PER_YEAR..=max_tenure);
            let termination = (contract == Contract::FixedTerm).then(|| rng.random_range(61..=720));
            (hire, termination)
        }
        Kind::LeavingSoon => (
            -rng.random_range(90..=max_tenure),
            Some(rng.random_range(1..=60)),
        ),
        Kind::Future => {
            let hire = rng.random_range(1..=90);
            let termination =
                (contract == Contract::FixedTerm).then(|| hire + rng.random_range(180..=730));
            (hire, termination)
        }
        Kind::Past => {
            let termination = -rng.random_range(1..=400);
            let tenure = rng.random_range(60..=max_tenure.min(10 * DAYS_PER_YEAR));
            (termination - tenure, Some(termination))
        }
    };

    // Old enough to have started work at 18, within the 20–64 band.
    let tenure_days = (-hire).max(0);
    let youngest = (20 * DAYS_PER_YEAR + 5).max(tenure_days + 18 * DAYS_PER_YEAR);
    let oldest = if contract == Contract::WorkingStudent {
        30 * DAYS_PER_YEAR
    } else {
        64 * DAYS_PER_YEAR
    }
    .max(youngest);
    let birth_date = rng
        .random_bool(0.97)
        .then(|| date_text(add_days(today, -rng.random_range(youngest..=oldest))));

    let folded_first = fold(first_name);
    let folded_last = fold(&last_name);
    let work_email = format!(
        "{}@lockgate.example",
        names.unique_email(format!("{folded_first}.{folded_last}"))
    );
    let login =
        (kind != Kind::Future).then(|| names.unique_login(login_base(first_name, &last_name)));
    let personal_email = rng.random_bool(0.85).then(|| {
        let domain = pick(rng, locale.personal_domains);
        let compact: String = folded_last
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        match rng.random_range(0..3) {
            0 => format!("{folded_first}.{compact}@{domain}"),
            1 => format!(
                "{folded_first}{compact}{:02}@{domain}",
                rng.random_range(0..100)
            ),
            _ => {
                let initial: String = folded_first.chars().take(1).collect();
                format!("{initial}.{compact}@{domain}")
            }
        }
    });
    let phone = rng.random_bool(0.9).then(|| phone(rng, locale.phone));

    let supervisor_id = {
        let pool = &org.leaders[department_index];
        // Reports go to the earliest part of the department, which keeps the
        // reporting lines shallow like a real org chart.
        let top = (1 + pool.len() / 6).min(pool.len());
        (top > 0 && rng.random_bool(0.93)).then(|| employee_id(pool[rng.random_range(0..top)]))
    };

    let mut excluded = 0u8;
    if kind.employed_today() && rng.random_bool(0.05) {
        excluded |= PLANNER_EXPORT;
    }
    if rng.random_bool(0.02) {
        excluded |= 1 << rng.random_range(1..KNOWN_CONNECTORS.len());
    }

    let max_days_back = if hire > 0 {
        30
    } else {
        (-hire).min(DAYS_PER_YEAR)
    };
    let updated_at = stamp(rng, today, max_days_back);

    let can_lead = matches!(kind, Kind::Current | Kind::LeavingSoon)
        && matches!(contract, Contract::Permanent | Contract::FixedTerm);
    if can_lead {
        org.leaders[department_index].push(index);
    }

    let employee = Employee {
        id: employee_id(index),
        first_name: first_name.to_string(),
        last_name,
        preferred_name,
        department: Some(department.name.to_string()),
        position: Some(position.to_string()),
        status: if kind == Kind::Inactive {
            "inactive"
        } else {
            "active"
        }
        .to_string(),
        work_email: Some(work_email),
        personal_email,
        phone,
        birth_date,
        hire_date: date_text(add_days(today, hire)),
        termination_date: termination.map(|t| date_text(add_days(today, t))),
        legal_entity: Some(locale.legal_entity.to_string()),
        contract_type: Some(contract.text().to_string()),
        weekly_hours: Some(weekly_hours),
        supervisor_id,
        cost_center: Some(format!(
            "CC-{}",
            department.cost_center + locale.cost_center_offset
        )),
        salary_minor,
        hourly_wage_minor,
        currency: Some("EUR".to_string()),
        login,
        updated_at,
    };
    let plan = Plan {
        kind,
        hire,
        termination,
        excluded,
    };
    (employee, plan)
}

fn employee_id(index: usize) -> String {
    format!("e-{:05}", index + 1)
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::sandbox::tests::tenant;

    #[test]
    fn names_have_accents_and_double_barrels() {
        let t = tenant(1000, 11);
        let accented = t
            .employees
            .iter()
            .filter(|e| !e.first_name.is_ascii() || !e.last_name.is_ascii())
            .count();
        assert!(accented > 100, "{accented}");
        let double = t
            .employees
            .iter()
            .filter(|e| e.last_name.contains('-'))
            .count();
        assert!(double * 10 >= t.employees.len(), "{double}");
        assert!(t.employees.iter().any(|e| e.last_name.contains(' ')));
    }

    #[test]
    fn folding_gives_plain_ascii() {
        assert_eq!(fold("Müller-Lüdenscheidt"), "mueller-luedenscheidt");
        assert_eq!(fold("van der Berg"), "vanderberg");
        assert_eq!(fold("'t Hart"), "thart");
        assert_eq!(fold("Geneviève"), "genevieve");
        assert_eq!(fold("Özdemir"), "oezdemir");
        assert_eq!(fold("N'Diaye"), "ndiaye");
        assert_eq!(fold("Søren"), "soren");
        assert_eq!(fold("Élodie"), "elodie");
    }

    #[test]
    fn work_emails_and_logins_are_unique_ascii() {
        let t = tenant(5000, 5);
        let mut emails = HashSet::new();
        let mut logins = HashSet::new();
        for e in &t.employees {
            let email = e
                .work_email
                .as_deref()
                .expect("every employee has a work email");
            assert!(email.ends_with("@lockgate.example"), "{email}");
            assert!(
                email
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"@.-".contains(&b)),
                "{email}"
            );
            assert!(emails.insert(email.to_string()), "duplicate {email}");
            if let Some(login) = &e.login {
                assert!(logins.insert(login.clone()), "duplicate {login}");
            }
        }
    }

    #[test]
    fn ids_are_sequential_and_supervisors_precede_reports() {
        let t = tenant(500, 2);
        for (i, e) in t.employees.iter().enumerate() {
            assert_eq!(e.id, format!("e-{:05}", i + 1));
        }
        for (i, a) in t.absences.iter().enumerate() {
            assert_eq!(a.id, format!("a-{:06}", i + 1));
        }
        let by_id: HashMap<&str, &Employee> =
            t.employees.iter().map(|e| (e.id.as_str(), e)).collect();
        let mut with_supervisor = 0;
        for e in &t.employees {
            if let Some(s) = &e.supervisor_id {
                with_supervisor += 1;
                assert!(*s < e.id);
                assert_eq!(by_id[s.as_str()].department, e.department);
            }
        }
        assert!(
            with_supervisor * 10 > t.employees.len() * 7,
            "{with_supervisor}"
        );
    }
}
