//! Calendar months and the arithmetic the export needs: which month is
//! closed on a given day, and how many working days of a month an absence
//! takes. Dates are the contract's `YYYY-MM-DD`; weekdays are Monday to
//! Friday (the contract carries no holiday calendar).

use lockgate_sdk::dates;

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1–12.
    pub month: u32,
}

impl Month {
    /// The month of a `YYYY-MM-DD` date.
    pub fn of(date: &str) -> Option<Month> {
        Month::parse(date.get(..7)?).filter(|_| dates::to_days(date).is_some())
    }

    /// A `YYYY-MM` label.
    pub fn parse(text: &str) -> Option<Month> {
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let month = Month {
            year: year.parse().ok()?,
            month: month.parse().ok()?,
        };
        (1..=12).contains(&month.month).then_some(month)
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn first_day(self) -> String {
        format!("{self}-01")
    }

    pub fn last_day(self) -> String {
        let leap = (self.year % 4 == 0 && self.year % 100 != 0) || self.year % 400 == 0;
        let days = match self.month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        format!("{self}-{days:02}")
    }

    /// The first instant of the month, as the contract writes instants.
    pub fn start_instant(self) -> String {
        format!("{}T00:00:00Z", self.first_day())
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The last month whose closing day has come by `today`: the previous
/// month from its closing day on, the one before until then.
pub fn last_closed(today: &str, closing_day: u32) -> Option<Month> {
    let previous = Month::of(today)?.previous();
    let day: u32 = today.get(8..10)?.parse().ok()?;
    Some(if day >= closing_day {
        previous
    } else {
        previous.previous()
    })
}

/// Monday to Friday.
fn is_weekday(days: i64) -> bool {
    // 1970-01-01 was a Thursday: +3 makes Monday 0.
    (days + 3).rem_euclid(7) < 5
}

/// Working days (Monday to Friday) an absence from `start` to `end` takes
/// inside `month`; a half first or last day counts 0.5, and a one-day
/// absence with either flag is half a day.
pub fn absence_days(
    month: Month,
    start: &str,
    end: &str,
    half_day_start: bool,
    half_day_end: bool,
) -> f64 {
    let (Some(start), Some(end)) = (dates::to_days(start), dates::to_days(end)) else {
        return 0.0;
    };
    let (Some(first), Some(last)) = (
        dates::to_days(&month.first_day()),
        dates::to_days(&month.last_day()),
    ) else {
        return 0.0;
    };
    let counted = |day: i64| (first..=last).contains(&day) && is_weekday(day);
    let whole = (start.max(first)..=end.min(last))
        .filter(|&d| counted(d))
        .count() as f64;
    if start == end {
        return if (half_day_start || half_day_end) && counted(start) {
            0.5
        } else {
            whole
        };
    }
    let mut days = whole;
    if half_day_start && counted(start) {
        days -= 0.5;
    }
    if half_day_end && counted(end) {
        days -= 0.5;
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(text: &str) -> Month {
        Month::parse(text).unwrap()
    }

    #[test]
    fn months() {
        assert_eq!(month("2026-01").previous(), month("2025-12"));
        assert_eq!(month("2025-12").next(), month("2026-01"));
        assert_eq!(month("2024-02").last_day(), "2024-02-29");
        assert_eq!(month("2026-02").last_day(), "2026-02-28");
        assert_eq!(Month::of("2026-11-30"), Some(month("2026-11")));
        assert_eq!(Month::of("2026-13-01"), None);
    }

    #[test]
    fn closing_day() {
        assert_eq!(last_closed("2026-11-02", 3), Some(month("2026-09")));
        assert_eq!(last_closed("2026-11-03", 3), Some(month("2026-10")));
        assert_eq!(last_closed("2026-01-28", 28), Some(month("2025-12")));
    }

    #[test]
    fn absence_days_count_weekdays_and_halves() {
        let nov = month("2026-11");
        // Fri 2026-11-06 to Tue 2026-11-10: Fri, Mon, Tue.
        assert_eq!(
            absence_days(nov, "2026-11-06", "2026-11-10", false, false),
            3.0
        );
        assert_eq!(
            absence_days(nov, "2026-11-06", "2026-11-10", true, false),
            2.5
        );
        // A weekend alone.
        assert_eq!(
            absence_days(nov, "2026-11-07", "2026-11-08", false, true),
            0.0
        );
        // One half day.
        assert_eq!(
            absence_days(nov, "2026-11-11", "2026-11-11", true, false),
            0.5
        );
        // Across the month's end: only November's weekdays, and the half
        // last day lies in December.
        assert_eq!(
            absence_days(nov, "2026-11-27", "2026-12-02", false, true),
            2.0
        );
    }
}
