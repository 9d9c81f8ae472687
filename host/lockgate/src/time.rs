//! Dates and instants as the store and the contract carry them: dates as
//! `YYYY-MM-DD`, instants as `YYYY-MM-DDTHH:MM:SS.ffffffZ` so that text order
//! is time order in every database.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]");
const INSTANT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
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
    OffsetDateTime::parse(s, &Rfc3339).ok().map(instant)
}

pub fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(Duration::days(days))
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
}
