//! Generated absences: a few per employee inside their employment and a
//! window around today, never overlapping, with realistic types, half days
//! and approval states, plus the fixed ones a guaranteed tenant needs.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use time::Date;

use super::people::{Kind, Plan};
use super::{stamp, weighted_index};
use crate::hr::{Absence, Employee};
use crate::time::{add_days, date_text};

/// Absences start between these offsets from today (about 6 months back and
/// 9 months ahead), so some lie outside a typical 6-month window.
const ABSENCE_PAST_DAYS: i64 = 182;
const ABSENCE_FUTURE_DAYS: i64 = 273;

/// Name, weight, and inclusive duration range in calendar days.
const ABSENCE_TYPES: &[(&str, u32, i64, i64)] = &[
    ("Vacation", 46, 1, 15),
    ("Sick leave", 20, 1, 10),
    ("Remote work", 14, 1, 5),
    ("Training", 12, 1, 5),
    ("Unpaid leave", 6, 1, 15),
    ("Parental leave", 2, 30, 120),
];
const VACATION: usize = 0;
const SICK_LEAVE: usize = 1;
const REMOTE_WORK: usize = 2;
const TRAINING: usize = 3;
const PARENTAL_LEAVE: usize = 5;

struct Draft {
    type_index: usize,
    start: i64,
    end: i64,
    half_day_start: bool,
    half_day_end: bool,
    status: &'static str,
}

pub(super) fn absences(
    rng: &mut ChaCha8Rng,
    plans: &[Plan],
    employees: &[Employee],
    anchor: Option<usize>,
    today: Date,
) -> Vec<Absence> {
    let mut out = Vec::with_capacity(plans.len() * 3);
    let mut drafts: Vec<Draft> = Vec::with_capacity(8);
    for (index, (plan, employee)) in plans.iter().zip(employees).enumerate() {
        drafts.clear();
        let first = plan.hire.max(-ABSENCE_PAST_DAYS);
        let last = plan
            .termination
            .map_or(ABSENCE_FUTURE_DAYS, |t| t.min(ABSENCE_FUTURE_DAYS));

        // Fixed absences go in first so random ones never displace them.
        if plan.kind == Kind::Inactive {
            let start = -rng.random_range(10..=60);
            let end = plan
                .termination
                .map_or(start + rng.random_range(60..=120), |t| {
                    t.min(start + rng.random_range(60..=120))
                });
            drafts.push(fixed(PARENTAL_LEAVE, start, end));
        }
        if anchor == Some(index) {
            let start = rng.random_range(7..=40);
            drafts.push(fixed(VACATION, start, start + rng.random_range(2..=9)));
            let start = rng.random_range(225..=250);
            drafts.push(fixed(TRAINING, start, start + rng.random_range(0..=2)));
            let start = -rng.random_range(30..=90);
            drafts.push(fixed(SICK_LEAVE, start, start + rng.random_range(0..=4)));
        }

        if first <= last {
            for _ in 0..rng.random_range(1..=6) {
                let draft = random_draft(rng, first, last, plan.termination);
                let clashes = drafts
                    .iter()
                    .any(|d| draft.start <= d.end && d.start <= draft.end);
                if !clashes {
                    drafts.push(draft);
                }
            }
        }

        drafts.sort_by_key(|d| d.start);
        for draft in &drafts {
            out.push(Absence {
                id: format!("a-{:06}", out.len() + 1),
                employee_id: employee.id.clone(),
                type_name: ABSENCE_TYPES[draft.type_index].0.to_string(),
                start_date: date_text(add_days(today, draft.start)),
                end_date: date_text(add_days(today, draft.end)),
                half_day_start: draft.half_day_start,
                half_day_end: draft.half_day_end,
                status: draft.status.to_string(),
                updated_at: stamp(rng, today, 180),
            });
        }
    }
    out
}

fn fixed(type_index: usize, start: i64, end: i64) -> Draft {
    Draft {
        type_index,
        start,
        end,
        half_day_start: false,
        half_day_end: false,
        status: "approved",
    }
}

/// An absence starting within `first..=last` and ending no later than the
/// termination date.
fn random_draft(rng: &mut ChaCha8Rng, first: i64, last: i64, termination: Option<i64>) -> Draft {
    let mut type_index = weighted_index(rng, ABSENCE_TYPES.iter().map(|t| t.1));
    let mut latest_start = last;
    if type_index == SICK_LEAVE {
        // Nobody files sick leave in advance.
        if first <= 0 {
            latest_start = last.min(0);
        } else {
            type_index = VACATION;
        }
    }
    let (_, _, shortest, longest) = ABSENCE_TYPES[type_index];
    let start = rng.random_range(first..=latest_start);
    let mut end = start + rng.random_range(shortest..=longest) - 1;
    if let Some(termination) = termination {
        end = end.min(termination);
    }

    let (mut half_day_start, mut half_day_end) = (false, false);
    let may_be_half = matches!(type_index, VACATION | REMOTE_WORK | TRAINING);
    if start == end && may_be_half && rng.random_bool(0.25) {
        if rng.random_bool(0.5) {
            half_day_start = true;
        } else {
            half_day_end = true;
        }
    } else if start < end && type_index == VACATION && rng.random_bool(0.05) {
        half_day_end = true;
    }

    // Requests ahead of time are often still open; old ones rarely are.
    let roll = rng.random_range(0..100);
    let status = if start > 0 {
        match roll {
            0..70 => "approved",
            70..90 => "pending",
            _ => "cancelled",
        }
    } else {
        match roll {
            0..88 => "approved",
            88..93 => "pending",
            _ => "cancelled",
        }
    };

    Draft {
        type_index,
        start,
        end,
        half_day_start,
        half_day_end,
        status,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::sandbox::tests::{day, tenant};

    #[test]
    fn absences_lie_within_employment_and_do_not_overlap() {
        let t = tenant(2000, 9);
        let by_id: HashMap<&str, &Employee> =
            t.employees.iter().map(|e| (e.id.as_str(), e)).collect();
        let mut last_end: HashMap<&str, &str> = HashMap::new();
        for a in &t.absences {
            let e = by_id[a.employee_id.as_str()];
            assert!(a.start_date <= a.end_date, "{a:?}");
            assert!(a.start_date >= e.hire_date, "{a:?} {e:?}");
            if let Some(t) = &e.termination_date {
                assert!(a.end_date <= *t, "{a:?} {e:?}");
            }
            assert!(a.start_date >= day(-ABSENCE_PAST_DAYS - 1));
            assert!(a.start_date <= day(ABSENCE_FUTURE_DAYS));
            if let Some(previous) = last_end.insert(&a.employee_id, &a.end_date) {
                assert!(previous < a.start_date.as_str(), "overlap at {a:?}");
            }
            if a.half_day_start || a.half_day_end {
                assert!(a.type_name != "Parental leave");
            }
        }
    }
}
