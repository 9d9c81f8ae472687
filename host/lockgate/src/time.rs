//! Dates and instants as the store and the contract carry them: dates as
//! `YYYY-MM-DD`, instants as `YYYY-MM-DDTHH:MM:SS.ffffffZ` so that text order
//! is time order in every database. And the host's [`Clock`], which the
//! decisions that depend on the time of day read.

use std::sync::{Arc, PoisonError, RwLock};

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");
const INSTANT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// The system clock, in UTC.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// The clock an [`App`](crate::app::App) decides by: which schedule slot is
/// due and when the next one comes, and when a webhook delivery was
/// received. It reads the system clock unless it was [set](Clock::set);
/// a set clock stands still at that instant until it is set or advanced
/// again, so a test moves time exactly where it wants it. A clock made
/// [ahead](Clock::ahead) of the system clock keeps running (a sandbox's
/// own clock). Clones share the setting (the scheduler, the workers and
/// the API of one app read the same clock).
///
/// Leases and run stamps are not decided by it: they measure how long a
/// host has really been at work.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    set: Arc<RwLock<Reading>>,
}

/// What a [`Clock`] reads.
#[derive(Debug, Clone, Copy, Default)]
enum Reading {
    #[default]
    System,
    /// Stands still at this instant.
    At(OffsetDateTime),
    /// Runs with the system clock, this far ahead of it (behind when
    /// negative).
    Ahead(Duration),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that runs `by` ahead of the system clock (behind when
    /// negative).
    pub fn ahead(by: Duration) -> Clock {
        Clock {
            set: Arc::new(RwLock::new(Reading::Ahead(by))),
        }
    }

    fn reading(&self) -> Reading {
        *self.set.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn now(&self) -> OffsetDateTime {
        match self.reading() {
            Reading::System => now(),
            Reading::At(at) => at,
            Reading::Ahead(by) => now() + by,
        }
    }

    /// [`Clock::now`] in the canonical text form.
    pub fn now_text(&self) -> String {
        instant(self.now())
    }

    pub fn today(&self) -> Date {
        self.now().to_offset(UtcOffset::UTC).date()
    }

    /// From now on the clock reads `at`, until it is set or advanced again.
    pub fn set(&self, at: OffsetDateTime) {
        *self.set.write().unwrap_or_else(PoisonError::into_inner) = Reading::At(at);
    }

    /// Sets the clock `by` later than it reads now (earlier if negative);
    /// a clock that runs ahead of the system clock runs on, further ahead.
    pub fn advance(&self, by: Duration) {
        let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
        *set = match *set {
            Reading::System => Reading::At(now() + by),
            Reading::At(at) => Reading::At(at + by),
            Reading::Ahead(ahead) => Reading::Ahead(ahead + by),
        };
    }

    /// Back to the system clock.
    pub fn follow_system(&self) {
        *self.set.write().unwrap_or_else(PoisonError::into_inner) = Reading::System;
    }
}

/// An instant in the canonical text form.
pub fn instant(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .format(INSTANT)
        .unwrap_or_default()
}

pub fn now_text() -> String {
    instant(now())
}

pub fn date_text(date: Date) -> String {
    date.format(DATE).unwrap_or_default()
}

pub fn today() -> Date {
    now().date()
}

pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, DATE).ok()
}

/// Parses an RFC 3339 instant (any offset, any precision) into the
/// canonical form, so it compares correctly with stored instants.
pub fn canonical_instant(s: &str) -> Option<String> {
    parse_instant(s).map(instant)
}

/// Parses an RFC 3339 instant (any offset, any precision).
pub fn parse_instant(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

pub fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(Duration::days(days))
}

/// The instant a day starts, in the canonical form.
pub fn day_start(date: Date) -> String {
    format!("{}T00:00:00.000000Z", date_text(date))
}

/// The first day that starts at or after the instant `at` (any RFC 3339
/// form): the day of `at` when `at` is its very start, else the next day.
pub fn first_day_from(at: &str) -> Option<Date> {
    let at = parse_instant(at)?.to_offset(UtcOffset::UTC);
    let day = at.date();
    Some(if instant(at) == day_start(day) {
        day
    } else {
        add_days(day, 1)
    })
}

/// A span of time as a person types it: a number and a unit, repeated
/// (`3d`, `12h`, `2w`, `1d12h`, `90m`, `30s`); a leading `-` goes back.
pub fn parse_span(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{text:?} is not a span of time: give a number and a unit, e.g. 3d, 12h, 2w, 30m or 1d12h (w weeks, d days, h hours, m minutes, s seconds; a leading - goes back)"
        )
    };
    let trimmed = text.trim();
    let (back, mut rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit = rest[digits..].chars().next().ok_or_else(bad)?;
        let part = match unit {
            'w' => Duration::weeks(n),
            'd' => Duration::days(n),
            'h' => Duration::hours(n),
            'm' => Duration::minutes(n),
            's' => Duration::seconds(n),
            _ => return Err(bad()),
        };
        // A sandbox clock years away is a typo, not a test.
        total = total.checked_add(part).ok_or_else(bad)?;
        if total > Duration::days(36_600) {
            return Err(format!("{text:?} is more than 100 years"));
        }
        rest = &rest[digits + unit.len_utf8()..];
    }
    Ok(if back { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_canonical() {
        assert_eq!(
            canonical_instant("2026-11-23T10:00:00+01:00").as_deref(),
            Some("2026-11-23T09:00:00.000000Z")
        );
        assert_eq!(canonical_instant("2026-11-23"), None);
        assert_eq!(date_text(parse_date("2026-02-03").unwrap()), "2026-02-03");
    }

    #[test]
    fn days_start_at_midnight_utc() {
        let day = parse_date("2026-02-03").unwrap();
        assert_eq!(day_start(day), "2026-02-03T00:00:00.000000Z");
        assert_eq!(first_day_from("2026-02-03T00:00:00Z"), Some(day));
        assert_eq!(
            first_day_from("2026-02-02T23:59:59.5Z"),
            Some(day),
            "a moment before midnight"
        );
        assert_eq!(
            first_day_from("2026-02-03T01:00:00+01:00"),
            Some(day),
            "midnight UTC in another offset"
        );
        assert_eq!(
            first_day_from("2026-02-03T00:00:01Z"),
            Some(add_days(day, 1))
        );
        assert_eq!(first_day_from("yesterday"), None);
    }

    #[test]
    fn a_set_clock_stands_still_and_its_clones_follow() {
        let clock = Clock::system();
        let shared = clock.clone();
        let before = now();
        assert!(clock.now() >= before, "the system clock until set");
        let at = parse_instant("2026-03-28T23:59:59Z").unwrap();
        clock.set(at);
        assert_eq!(shared.now_text(), "2026-03-28T23:59:59.000000Z");
        assert_eq!(date_text(shared.today()), "2026-03-28");
        shared.advance(Duration::seconds(2));
        assert_eq!(clock.now_text(), "2026-03-29T00:00:01.000000Z");
        clock.follow_system();
        let back = shared.now();
        assert!(before <= back && back <= now(), "the system clock again");
    }

    #[test]
    fn spans_are_read_as_typed() {
        assert_eq!(parse_span("3d"), Ok(Duration::days(3)));
        assert_eq!(parse_span("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_span("1d12h"), Ok(Duration::hours(36)));
        assert_eq!(parse_span("-90m"), Ok(Duration::minutes(-90)));
        for bad in ["", "3", "d", "3x", "1.5d", "- 1d", "99999999999999999999d"] {
            let err = parse_span(bad).unwrap_err();
            assert!(err.contains("is not a span of time"), "{bad}: {err}");
        }
        assert!(parse_span("200y").is_err());
        assert!(parse_span("40000d").unwrap_err().contains("100 years"));
    }

    #[test]
    fn a_clock_ahead_keeps_running() {
        let clock = Clock::ahead(Duration::days(3));
        let before = now();
        let read = clock.now();
        assert!(read >= before + Duration::days(3));
        assert!(read <= now() + Duration::days(3));
        clock.advance(Duration::hours(12));
        let later = clock.now();
        assert!(later >= before + Duration::hours(84), "further ahead");
        assert!(later <= now() + Duration::hours(84), "and still running");
    }
}
