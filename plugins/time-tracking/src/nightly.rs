//! The reconciliation (nightly, and "sync now"): the tool's entries of
//! today and the days before it are put again, and the working times this
//! connector wrote on those days for entries the tool no longer lists are
//! followed to where the entry went, or removed when the tool deleted it.
//! Periods the tenant entered by hand carry no external id and are never
//! touched; writes and removals by external id only ever reach this
//! connector's own periods.

use std::collections::{BTreeMap, BTreeSet};

use lockgate_sdk::attendances::{self, Attendance, AttendanceQuery};
use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;

use crate::people::People;
use crate::periods;
use crate::tool::{self, EntryRef};

/// The longest reconciliation, in days before today: the attendance
/// window reaches 31 days back.
pub const MAX_DAYS_BACK: u32 = 30;

/// `days-back` from the configuration: how many days before today are
/// reconciled.
pub fn days_back(value: Option<&str>) -> Result<u32, String> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(1);
    };
    match value.parse::<u32>() {
        Ok(n) if n <= MAX_DAYS_BACK => Ok(n),
        _ => Err(format!("give a whole number from 0 to {MAX_DAYS_BACK}")),
    }
}

pub fn reconcile(base: &str) -> Result<(), Error> {
    let back = days_back(config::get("days-back").as_deref())
        .map_err(|message| Error::config("days-back", message))?;
    let today = dates::today();
    let days: Vec<String> = (0..=i64::from(back))
        .rev()
        .filter_map(|n| dates::add_days(&today, -n))
        .collect();
    let first = days.first().cloned().unwrap_or_else(|| today.clone());

    let people = People::load()?;
    // What this connector wrote on those days, by entry id.
    let mut ours: BTreeMap<String, Attendance> = BTreeMap::new();
    for period in attendances::attendances(AttendanceQuery::between(&first, &today)) {
        let period = period?;
        if let Some(external) = period.external_id.clone() {
            ours.insert(external, period);
        }
    }

    let mut rows = Outcomes::new();
    let mut listed: BTreeSet<String> = BTreeSet::new();
    for day in &days {
        // A day the tool cannot list ends the run here: nothing of it is
        // taken for deleted.
        for entry in tool::entries_of(base, day)? {
            if !listed.insert(entry.id.clone()) {
                continue;
            }
            let found = people.find(entry.employee_number.as_deref(), entry.email.as_deref());
            rows.push(periods::put(&entry, &found, ours.get(&entry.id)).row)?;
        }
    }
    let mut removed = 0;
    for (external, period) in &ours {
        if listed.contains(external) {
            continue;
        }
        match tool::entry(base, external)? {
            // Moved to a day this run does not cover: the period follows
            // (it differs from the entry by its day, so it is written).
            Some(entry) => {
                let found = people.find(entry.employee_number.as_deref(), entry.email.as_deref());
                rows.push(periods::put(&entry, &found, None).row)?;
            }
            None => {
                let gone = EntryRef {
                    id: external.clone(),
                    employee_number: None,
                };
                let applied =
                    periods::remove(&gone, Some(&period.employee_id), "deleted in the tool");
                // Nothing removed: the period is another connector's (reads
                // show every writer's external ids; writes only touch ours).
                if applied.row.operation == Operation::Skip {
                    continue;
                }
                removed += 1;
                rows.push(applied.row)?;
            }
        }
    }
    log::info(&format!(
        "reconciled {} to {today}: {} entr{} in the tool, {removed} working time(s) of deleted entries",
        first,
        listed.len(),
        if listed.len() == 1 { "y" } else { "ies" }
    ));
    rows.finish()
}
