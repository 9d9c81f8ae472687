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
/// again, so a test moves time exactly where it wants it. Clones share
/// the setting (the scheduler, the workers and the API of one app read the
/// same clock).
///
/// Leases and run stamps are not decided by it: they measure how long a
/// host has really been at work.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    set: Arc<RwLock<Option<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> OffsetDateTime {
        self.set
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .unwrap_or_else(now)
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
        *self.set.write().unwrap_or_else(PoisonError::into_inner) = Some(at);
    }

    /// Sets the clock `by` later than it reads now (earlier if negative).
    pub fn advance(&self, by: Duration) {
        let mut set = self.set.write().unwrap_or_else(PoisonError::into_inner);
        *set = Some(set.unwrap_or_else(now) + by);
    }

    /// Back to the system clock.
    pub fn follow_system(&self) {
        *self.set.write().unwrap_or_else(PoisonError::into_inner) = None;
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
}
