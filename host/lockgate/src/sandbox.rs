//! A deterministic generator of a realistic synthetic HR tenant, used to test
//! connectors without touching real personal data. The same employee count,
//! seed and `today` always give the same tenant, and every date and timestamp
//! is placed relative to `today`, so employment and absence windows behave the
//! same whichever day the tests run.
//!
//! [`generate`] here drives the pass over employees (`people`, placed in
//! `departments` and named from `names`) and then over their absences
//! (`absences`), and adds the tenant's job positions (`openings`); `seed`
//! writes the result into the store. This file also holds the random
//! helpers every part shares. [`edits`] holds the changes a partner makes
//! to a sandbox tenant by hand.

mod absences;
mod departments;
pub mod edits;
mod names;
mod openings;
mod people;
mod seed;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::{Date, Duration};

pub use openings::openings;
pub use seed::{create_tenant, ensure_tenant};

use crate::hr::{Absence, Employee, Position};
use crate::time::instant;
use departments::DEPARTMENTS;
use names::UniqueNames;
use people::{KINDS, Kind, Org, employee, ensure_kind_floors, guarantee_exclusions};

/// Options for a synthetic tenant.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    pub employees: usize,
    pub seed: u64,
    pub today: Date,
}

/// A generated tenant.
#[derive(Debug, Clone)]
pub struct SandboxTenant {
    pub employees: Vec<Employee>,
    pub absences: Vec<Absence>,
    /// (employee id, connector id): the tenant answered No to "include in transfer to <connector>?".
    pub exclusions: Vec<(String, String)>,
    /// Job positions, most of them open for applications.
    pub positions: Vec<Position>,
}

/// Connector ids the generator sets inclusion flags for.
pub const KNOWN_CONNECTORS: &[&str] = &[
    "planner-export",
    "absence-mirror",
    "account-provisioning",
    "ats-hire",
];

/// From this size on, the tenant is guaranteed to contain every case the
/// connector tests rely on; below it the data is purely random.
const GUARANTEE_FROM: usize = 20;

const DAYS_PER_YEAR: i64 = 365;

/// Generates the tenant described by `options`.
pub fn generate(options: &SandboxOptions) -> SandboxTenant {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let count = options.employees;
    let today = options.today;

    let mut kinds: Vec<Kind> = (0..count).map(|_| weighted(&mut rng, KINDS)).collect();
    if count >= GUARANTEE_FROM {
        ensure_kind_floors(&mut kinds);
    }

    let mut employees = Vec::with_capacity(count);
    let mut plans = Vec::with_capacity(count);
    let mut names = UniqueNames::default();
    let mut org = Org {
        leaders: vec![Vec::new(); DEPARTMENTS.len()],
        sizes: vec![0; DEPARTMENTS.len()],
    };
    for (index, &kind) in kinds.iter().enumerate() {
        let (employee, plan) = employee(&mut rng, index, kind, today, &mut names, &mut org);
        employees.push(employee);
        plans.push(plan);
    }

    let anchor = if count >= GUARANTEE_FROM {
        guarantee_exclusions(&mut plans, &mut employees)
    } else {
        None
    };

    let absences = absences::absences(&mut rng, &plans, &employees, anchor, today);

    let exclusions = employees
        .iter()
        .zip(&plans)
        .flat_map(|(employee, plan)| {
            KNOWN_CONNECTORS
                .iter()
                .enumerate()
                .filter(move |(bit, _)| plan.excluded & (1 << bit) != 0)
                .map(move |(_, connector)| (employee.id.clone(), (*connector).to_string()))
        })
        .collect();

    SandboxTenant {
        employees,
        absences,
        exclusions,
        positions: openings(today),
    }
}

/// A timestamp up to `max_days_back` days (plus part of a day) before today's
/// midnight, so it is always in the past relative to `today`.
fn stamp(rng: &mut ChaCha8Rng, today: Date, max_days_back: i64) -> String {
    let midnight = today.midnight().assume_utc();
    let back = Duration::days(rng.random_range(0..=max_days_back.max(0)))
        + Duration::seconds(rng.random_range(1..86_400))
        + Duration::microseconds(rng.random_range(0..1_000_000));
    // Only a `today` at the very edge of the calendar can underflow.
    instant(midnight.checked_sub(back).unwrap_or(midnight))
}

/// A uniformly chosen item.
fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, u32)]) -> T {
    items[weighted_index(rng, items.iter().map(|(_, w)| *w))].0
}

fn weighted_index(rng: &mut ChaCha8Rng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut roll = rng.random_range(0..total);
    let mut last = 0;
    for (index, weight) in weights.enumerate() {
        if roll < weight {
            return index;
        }
        roll -= weight;
        last = index;
    }
    last
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use time::macros::date;

    use super::*;
    use crate::time::{add_days, date_text};

    const TODAY: Date = date!(2026 - 03 - 15);

    pub(super) fn tenant(employees: usize, seed: u64) -> SandboxTenant {
        generate(&SandboxOptions {
            employees,
            seed,
            today: TODAY,
        })
    }

    pub(super) fn day(offset: i64) -> String {
        date_text(add_days(TODAY, offset))
    }

    fn employed_today(e: &Employee) -> bool {
        let today = day(0);
        e.hire_date <= today && e.termination_date.as_ref().is_none_or(|t| *t >= today)
    }

    /// Every promise made for tenants of at least `GUARANTEE_FROM` employees.
    fn assert_guarantees(t: &SandboxTenant) {
        let today = day(0);
        assert!(
            t.employees.iter().any(|e| e.hire_date > today),
            "future hire"
        );
        assert!(
            t.employees
                .iter()
                .any(|e| e.termination_date.as_ref().is_some_and(|d| *d < today)),
            "past leaver"
        );
        assert!(t.employees.iter().any(employed_today), "current employee");

        let by_id: HashMap<&str, &Employee> =
            t.employees.iter().map(|e| (e.id.as_str(), e)).collect();
        let excluded: HashSet<&str> = t.exclusions.iter().map(|(e, _)| e.as_str()).collect();
        assert!(
            t.exclusions
                .iter()
                .any(|(e, c)| c == "planner-export" && employed_today(by_id[e.as_str()])),
            "current employee excluded from planner-export"
        );

        let six_months = day(182);
        assert!(
            t.absences.iter().any(|a| {
                let e = by_id[a.employee_id.as_str()];
                a.status == "approved"
                    && a.start_date >= today
                    && a.start_date <= six_months
                    && employed_today(e)
                    && e.status == "active"
                    && !excluded.contains(e.id.as_str())
            }),
            "approved upcoming absence of a current, included employee"
        );
        assert!(
            t.absences.iter().any(|a| a.start_date > day(7 * 31)),
            "absence more than 7 months ahead"
        );
        assert!(
            t.absences.iter().any(|a| a.end_date < today),
            "past absence"
        );
    }

    #[test]
    fn same_seed_same_tenant_and_different_seed_different_tenant() {
        let a = tenant(300, 42);
        let b = tenant(300, 42);
        assert_eq!(a.employees, b.employees);
        assert_eq!(a.absences, b.absences);
        assert_eq!(a.exclusions, b.exclusions);

        let c = tenant(300, 43);
        assert_ne!(a.employees, c.employees);
        assert_ne!(a.absences, c.absences);
    }

    #[test]
    fn timestamps_follow_today_not_the_clock() {
        let a = tenant(50, 1);
        let later = generate(&SandboxOptions {
            employees: 50,
            seed: 1,
            today: add_days(TODAY, 10),
        });
        assert_ne!(a.employees[0].updated_at, later.employees[0].updated_at);
        let midnight = format!("{}T00:00:00.000000Z", day(0));
        for e in &a.employees {
            assert_eq!(e.updated_at.len(), 27, "{}", e.updated_at);
            assert!(e.updated_at < midnight);
        }
        for x in &a.absences {
            assert!(x.updated_at < midnight);
        }
    }

    #[test]
    fn guarantees_hold_for_200_employees() {
        assert_guarantees(&tenant(200, 7));
    }

    #[test]
    fn guarantees_hold_at_the_threshold_for_many_seeds() {
        for seed in 0..200 {
            assert_guarantees(&tenant(GUARANTEE_FROM, seed));
        }
    }

    #[test]
    fn small_and_empty_tenants_work() {
        for n in 0..GUARANTEE_FROM {
            let t = tenant(n, 3);
            assert_eq!(t.employees.len(), n);
        }
    }

    #[test]
    fn proportions_are_realistic() {
        let n = 10_000;
        let t = tenant(n, 123);
        let today = day(0);
        let share = |count: usize| count as f64 / n as f64;

        let future = t.employees.iter().filter(|e| e.hire_date > today).count();
        let past = t
            .employees
            .iter()
            .filter(|e| e.termination_date.as_ref().is_some_and(|d| *d < today))
            .count();
        let leaving = t
            .employees
            .iter()
            .filter(|e| {
                e.termination_date
                    .as_ref()
                    .is_some_and(|d| *d >= today && *d <= day(60))
            })
            .count();
        let inactive = t
            .employees
            .iter()
            .filter(|e| e.status == "inactive")
            .count();
        assert!((0.06..0.10).contains(&share(future)), "future {future}");
        assert!((0.08..0.12).contains(&share(past)), "past {past}");
        assert!((0.02..0.045).contains(&share(leaving)), "leaving {leaving}");
        assert!(
            (0.03..0.06).contains(&share(inactive)),
            "inactive {inactive}"
        );

        let double = t
            .employees
            .iter()
            .filter(|e| e.last_name.contains('-'))
            .count();
        assert!(share(double) >= 0.10, "double-barrelled {double}");

        let salaried = t
            .employees
            .iter()
            .filter(|e| e.salary_minor.is_some())
            .count();
        assert!(share(salaried) > 0.6, "salaried {salaried}");
        for e in &t.employees {
            assert!(e.salary_minor.is_some() != e.hourly_wage_minor.is_some());
            if e.contract_type.as_deref() == Some("working-student") {
                assert!(e.hourly_wage_minor.is_some());
            }
            if let Some(birth) = &e.birth_date {
                assert!(
                    *birth <= day(-20 * 365) && *birth >= day(-65 * 365),
                    "{birth}"
                );
            }
        }

        let per_employee = t.absences.len() as f64 / n as f64;
        assert!((2.5..3.5).contains(&per_employee), "{per_employee}");
        let status_share = |s: &str| {
            t.absences.iter().filter(|a| a.status == s).count() as f64 / t.absences.len() as f64
        };
        assert!((0.11..0.19).contains(&status_share("pending")));
        assert!((0.05..0.11).contains(&status_share("cancelled")));
        assert!(t.absences.iter().any(|a| a.half_day_start));
        assert!(t.absences.iter().any(|a| a.half_day_end));

        let planner = t
            .exclusions
            .iter()
            .filter(|(_, c)| c == "planner-export")
            .count();
        assert!((0.03..0.07).contains(&share(planner)), "planner {planner}");
        for connector in &KNOWN_CONNECTORS[1..] {
            assert!(
                t.exclusions.iter().any(|(_, c)| c == connector),
                "{connector}"
            );
        }
    }

    #[test]
    fn extreme_today_does_not_panic() {
        for today in [Date::MIN, Date::MAX] {
            let t = generate(&SandboxOptions {
                employees: 30,
                seed: 1,
                today,
            });
            assert_eq!(t.employees.len(), 30);
        }
    }
}
