//! When a connector runs on its own: `daily`, `hourly`, `daily@HH:MM` or a
//! five-field cron expression, all in UTC. Parsing and the next due time
//! come from `croner`; this module only names the shorthands.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    text: String,
    cron: Cron,
}

/// Whether `text` is all ASCII digits, as many as `count` allows.
fn digits(text: &str, count: std::ops::RangeInclusive<usize>) -> bool {
    count.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let text = text.trim();
        let expression = match text {
            "daily" => "0 0 * * *".to_string(),
            "hourly" => "0 * * * *".to_string(),
            _ => match text.strip_prefix("daily@") {
                Some(at) => {
                    let (h, m) = at
                        .split_once(':')
                        .filter(|(h, m)| [h, m].iter().all(|p| digits(p, 1..=2)))
                        .and_then(|(h, m)| Some((h.parse::<u8>().ok()?, m.parse::<u8>().ok()?)))
                        .filter(|(h, m)| *h < 24 && *m < 60)
                        .ok_or_else(|| {
                            format!("{text:?}: expected daily@HH:MM, e.g. daily@03:00")
                        })?;
                    format!("{m} {h} * * *")
                }
                None => {
                    if text.split_whitespace().count() != 5 {
                        return Err(format!(
                            "{text:?} is not daily, hourly, daily@HH:MM or a five-field cron expression"
                        ));
                    }
                    text.to_string()
                }
            },
        };
        let cron = Cron::from_str(&expression).map_err(|e| format!("{text:?}: {e}"))?;
        // `0 0 30 2 *` parses but would never run: an install saved with it
        // would wait for ever.
        if cron.find_next_occurrence(&Utc::now(), false).is_err() {
            return Err(format!(
                "{text:?} never comes due (no such day in any year); check the day and month"
            ));
        }
        Ok(Schedule {
            text: text.to_string(),
            cron,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first due time strictly after `after` (Unix seconds).
    pub fn next_after(&self, after: i64) -> Option<i64> {
        let start = DateTime::<Utc>::from_timestamp(after, 0)?;
        self.cron
            .find_next_occurrence(&start, false)
            .ok()
            .map(|t| t.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_that_never_come_due_or_are_misspelt_are_refused() {
        for bad in ["0 0 30 2 *", "0 0 31 4 *", "daily@+3:+5", "daily@003:00"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
        // A leap day comes due, once every four years.
        assert!(Schedule::parse("0 0 29 2 *").is_ok());
        assert!(Schedule::parse("daily@3:05").is_ok());
    }

    #[test]
    fn shorthands_and_cron() {
        // 2026-11-23T15:56:00Z
        let now = 1_795_449_360;
        let daily = Schedule::parse("daily@03:00").unwrap();
        let next = daily.next_after(now).unwrap();
        assert_eq!(
            DateTime::<Utc>::from_timestamp(next, 0)
                .unwrap()
                .to_rfc3339(),
            "2026-11-24T03:00:00+00:00"
        );
        let hourly = Schedule::parse("hourly").unwrap().next_after(now).unwrap();
        assert_eq!(hourly % 3600, 0);
        assert!(hourly > now && hourly - now <= 3600);
        let weekdays = Schedule::parse("*/15 8-18 * * 1-5").unwrap();
        // 2026-11-28 is a Saturday: the next slot is Monday 08:00.
        let saturday = 1_795_860_000;
        assert_eq!(
            DateTime::<Utc>::from_timestamp(weekdays.next_after(saturday).unwrap(), 0)
                .unwrap()
                .to_rfc3339(),
            "2026-11-30T08:00:00+00:00"
        );
    }
}
