//! Payroll export: once a month, after the closing day, each employee of
//! the closed month goes to a payroll tool with their pay, contracted
//! weekly hours, confirmed attendance hours and approved absence days.
//!
//! `month` is the calendar, `figures` reads a month's figures from the
//! host, and this file decides which month a run sends, sends it one
//! employee per request and remembers what was sent. The payroll API is
//! described in this crate's README.

mod figures;
mod month;

use std::collections::BTreeSet;

use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::figures::PayrollRecord;
use crate::month::{Month, last_closed};

/// The latest closing day every month has.
const MAX_CLOSING_DAY: u32 = 28;
const DEFAULT_CLOSING_DAY: u32 = 3;
/// How far back the granted windows reach (see `connector.toml`): the month
/// before last, whole, on the 27th with closing day 28.
const WINDOW_PAST_DAYS: i64 = 92;
/// Employees sent between two checkpoints.
const CHECKPOINT_EVERY: usize = 25;

struct PayrollExport;

/// What the connector remembers between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Saved {
    /// The last day of the last month sent on or after its closing day:
    /// that month and every earlier one are settled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    settled_through: Option<String>,
    /// Employees the tool rejected, sent again by the next scheduled runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry: Option<Retry>,
    /// A month whose sending was cut short, as far as it got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    progress: Option<Progress>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Retry {
    month: String,
    employees: BTreeSet<String>,
}

/// Employees are sent in id order: everyone up to `sent_through` was
/// answered, and `failed` were rejected.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Progress {
    month: String,
    sent_through: String,
    #[serde(default)]
    failed: BTreeSet<String>,
}

/// What a run does.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Sends `month`: everyone, after the employee `after` when a run cut
    /// short is continued, or `only` the employees rejected last time.
    Send {
        month: Month,
        after: Option<String>,
        only: Option<BTreeSet<String>>,
    },
    /// Sends nothing, and says why.
    Nothing(String),
}

impl Connector for PayrollExport {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let get = |k: &str| {
            config
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let mut errors = Vec::new();
        if let Some(day) = get("closing-day")
            && let Err(e) = parse_closing_day(day)
        {
            errors.push(field_error("closing-day", &e));
        }
        match get("payroll-url").map(str::trim) {
            None | Some("") => errors.push(field_error(
                "payroll-url",
                "give your payroll tool's address, e.g. https://acme.payroll.example",
            )),
            Some(url) if url.trim_end_matches('/').matches('/').count() > 2 => {
                errors.push(field_error(
                    "payroll-url",
                    "give the address without a path, e.g. https://acme.payroll.example",
                ));
            }
            Some(_) => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_connection() -> Result<(), Error> {
        let res = http::get(&format!("{}/api/v1/account", base_url()?)).send()?;
        if res.is_success() {
            Ok(())
        } else {
            Err(Error::partner(
                res.status,
                "the payroll tool refused the account check",
                &res.body,
            ))
        }
    }

    fn sync(trigger: Trigger) -> Result<(), Error> {
        let base = base_url()?;
        let closing_day = match config::get("closing-day") {
            Some(day) => parse_closing_day(&day).map_err(|e| Error::config("closing-day", e))?,
            None => DEFAULT_CLOSING_DAY,
        };
        let today = dates::today();
        let closed = last_closed(&today, closing_day)
            .ok_or_else(|| Error::other(format!("today's date {today:?} is not a date")))?;
        let mut saved: Saved = state::load().unwrap_or_default();
        forget_beyond_window(&mut saved, &today);

        let (month, after, only) = match plan(trigger, closed, closing_day, &saved) {
            Plan::Nothing(why) => {
                log::info(&why);
                return state::save(&saved);
            }
            Plan::Send { month, after, only } => (month, after, only),
        };
        let settled = saved.settled_through.as_deref().and_then(Month::of);
        if only.is_none()
            && after.is_none()
            && let Some(settled) = settled
            && settled < month.previous()
        {
            log::warn(&format!(
                "{} to {} were not sent (the connector did not run after their closing day); send them by hand",
                settled.next(),
                month.previous()
            ));
        }

        let figures = figures::gather(month)?;
        let pending: Vec<&PayrollRecord> = figures
            .records
            .iter()
            .filter(|r| after.as_deref().is_none_or(|a| r.employee_id.as_str() > a))
            .filter(|r| only.as_ref().is_none_or(|o| o.contains(&r.employee_id)))
            .collect();
        match (&after, &only) {
            (_, Some(only)) => log::info(&format!(
                "sending {month} again to the employee(s) the payroll tool rejected: {} of {} (the others are no longer visible)",
                pending.len(),
                only.len()
            )),
            (Some(after), None) => log::info(&format!(
                "continuing {month} after {after}: {} employee(s) left",
                pending.len()
            )),
            (None, None) => log::info(&format!(
                "sending {month}: {} employee(s), {} leaver(s) to settle by hand",
                pending.len(),
                figures.leavers.len()
            )),
        }

        let mut rows = Outcomes::new();
        let mut failed = saved.progress.take().map(|p| p.failed).unwrap_or_default();
        for (n, record) in pending.iter().enumerate() {
            let row = send(&base, record)?;
            if row.status == OutcomeStatus::Failed {
                failed.insert(record.employee_id.clone());
            }
            rows.push(row)?;
            if only.is_none() && (n + 1) % CHECKPOINT_EVERY == 0 && n + 1 < pending.len() {
                let progress = Saved {
                    progress: Some(Progress {
                        month: month.to_string(),
                        sent_through: record.employee_id.clone(),
                        failed: failed.clone(),
                    }),
                    ..saved.clone()
                };
                rows.checkpoint(&serde_json::to_string(&progress)?)?;
            }
        }
        if only.is_none() {
            for leaver in &figures.leavers {
                rows.push(Outcome::skipped(
                    &leaver.employee_id,
                    Operation::Skip,
                    &leaver.message,
                ))?;
            }
        }
        rows.finish()?;

        if let Some(old) = &saved.retry
            && old.month != month.to_string()
        {
            log::warn(&format!(
                "not sent again, {} is closed for this connector: {} of {}; send them by hand",
                old.month,
                old.employees.iter().cloned().collect::<Vec<_>>().join(", "),
                old.month
            ));
        }
        saved.retry = (!failed.is_empty()).then(|| Retry {
            month: month.to_string(),
            employees: failed,
        });
        if settled.is_none_or(|s| s < month) {
            saved.settled_through = Some(month.last_day());
        }
        state::save(&saved)
    }
}

/// Which month a run sends. The last closed month is sent by the first
/// run that finds it not sent yet, and by every manual run; a run cut
/// short is continued first; otherwise a run sends again whom the tool
/// rejected last time, if anyone.
fn plan(trigger: Trigger, closed: Month, closing_day: u32, saved: &Saved) -> Plan {
    if let Some(p) = &saved.progress
        && let Some(month) = Month::parse(&p.month)
    {
        return Plan::Send {
            month,
            after: Some(p.sent_through.clone()),
            only: None,
        };
    }
    let settled = saved.settled_through.as_deref().and_then(Month::of);
    if trigger == Trigger::Manual || settled.is_none_or(|s| s < closed) {
        return Plan::Send {
            month: closed,
            after: None,
            only: None,
        };
    }
    if let Some(retry) = &saved.retry
        && let Some(month) = Month::parse(&retry.month)
        && !retry.employees.is_empty()
    {
        return Plan::Send {
            month,
            after: None,
            only: Some(retry.employees.clone()),
        };
    }
    let next = closed.next();
    Plan::Nothing(format!(
        "{closed} was sent already; {next} is sent from {}-{closing_day:02} on",
        next.next()
    ))
}

/// Drops a continuation or retry of a month whose data the connector may
/// no longer read, saying so.
fn forget_beyond_window(saved: &mut Saved, today: &str) {
    let oldest = dates::add_days(today, -WINDOW_PAST_DAYS).unwrap_or_default();
    let beyond = |month: &str| Month::parse(month).is_none_or(|m| m.first_day() < oldest);
    if let Some(p) = saved.progress.take_if(|p| beyond(&p.month)) {
        log::warn(&format!(
            "the run sending {} stopped after {}; {} now lies beyond the {WINDOW_PAST_DAYS} days back this connector may read: send the rest by hand",
            p.month, p.sent_through, p.month
        ));
    }
    if let Some(r) = saved.retry.take_if(|r| beyond(&r.month)) {
        log::warn(&format!(
            "not sent again, {} lies beyond the {WINDOW_PAST_DAYS} days back this connector may read: {}; send them by hand",
            r.month,
            r.employees.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
}

/// Sends one employee's month; the row says how the tool answered. An
/// answer 401 ends the run: no record would go through.
fn send(base: &str, record: &PayrollRecord) -> Result<Outcome, Error> {
    let url = format!(
        "{base}/api/v1/payroll/{}/employees/{}",
        record.month,
        http::encode(&record.employee_id)
    );
    let res = http::put(&url).json(record)?.retrying().send()?;
    if res.status == 401 {
        return Err(Error::partner(
            res.status,
            "the payroll tool refused the API key",
            &res.body,
        ));
    }
    Ok(if res.is_success() {
        Outcome::success(&record.employee_id, Operation::Update, &record.summary())
            .with_partner(res.status, b"")
    } else {
        Outcome::failed(
            &record.employee_id,
            Operation::Update,
            &format!(
                "the payroll tool refused {} with {}",
                record.month, res.status
            ),
        )
        .with_partner(res.status, &res.body)
    })
}

fn parse_closing_day(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(day) if (1..=MAX_CLOSING_DAY).contains(&day) => Ok(day),
        _ => Err(format!(
            "give a day between 1 and {MAX_CLOSING_DAY} (every month has it)"
        )),
    }
}

fn base_url() -> Result<String, Error> {
    Ok(config::require("payroll-url")?
        .trim_end_matches('/')
        .to_string())
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.to_string(),
    }
}

lockgate_sdk::export_connector!(PayrollExport);

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    fn settled(through: &str) -> Saved {
        Saved {
            settled_through: Some(through.into()),
            ..Saved::default()
        }
    }

    fn sends(month_text: &str) -> Plan {
        Plan::Send {
            month: month(month_text),
            after: None,
            only: None,
        }
    }

    #[test]
    fn a_closed_month_is_sent_once_and_again_by_hand() {
        let oct = month("2026-10");
        assert_eq!(
            plan(Trigger::Initial, oct, 3, &Saved::default()),
            sends("2026-10")
        );
        assert_eq!(
            plan(Trigger::Scheduled, oct, 3, &settled("2026-09-30")),
            sends("2026-10")
        );
        assert!(matches!(
            plan(Trigger::Scheduled, oct, 3, &settled("2026-10-31")),
            Plan::Nothing(why) if why.contains("2026-11 is sent from 2026-12-03 on")
        ));
        assert_eq!(
            plan(Trigger::Manual, oct, 3, &settled("2026-10-31")),
            sends("2026-10")
        );
    }

    #[test]
    fn rejected_employees_and_cut_short_runs_come_first() {
        let oct = month("2026-10");
        let mut saved = settled("2026-10-31");
        saved.retry = Some(Retry {
            month: "2026-10".into(),
            employees: BTreeSet::from(["e-2".to_string()]),
        });
        assert_eq!(
            plan(Trigger::Scheduled, oct, 3, &saved),
            Plan::Send {
                month: oct,
                after: None,
                only: Some(BTreeSet::from(["e-2".to_string()])),
            }
        );
        saved.progress = Some(Progress {
            month: "2026-10".into(),
            sent_through: "e-1".into(),
            failed: BTreeSet::new(),
        });
        assert_eq!(
            plan(Trigger::Manual, oct, 3, &saved),
            Plan::Send {
                month: oct,
                after: Some("e-1".into()),
                only: None,
            }
        );
    }
}
