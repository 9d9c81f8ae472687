//! Calendar dates as the contract carries them (`YYYY-MM-DD`), and the
//! current instant as an RFC 3339 timestamp.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 of a `YYYY-MM-DD` date.
pub fn to_days(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The `YYYY-MM-DD` date `days` after 1970-01-01.
pub fn from_days(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `date` moved by `days` (negative goes back).
pub fn add_days(date: &str, days: i64) -> Option<String> {
    Some(from_days(to_days(date)? + days))
}

fn now_secs() -> (i64, u32) {
    // A test that set the stand-in host's clock reads that.
    #[cfg(all(feature = "testing", not(target_arch = "wasm32")))]
    if let Some(now) = crate::testing::stand_in::clock() {
        return now;
    }
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (since.as_secs() as i64, since.subsec_micros())
}

/// Today in UTC.
pub fn today() -> String {
    from_days(now_secs().0.div_euclid(86_400))
}

/// Seconds and microseconds since 1970-01-01T00:00:00Z of an RFC 3339
/// instant in UTC (`2026-11-23T08:00:00Z`, fractions allowed).
pub fn parse_instant(instant: &str) -> Option<(i64, u32)> {
    let (date, time) = instant.split_once(['T', 't'])?;
    let time = time.strip_suffix(['Z', 'z'])?;
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, fraction),
        None => (time, ""),
    };
    let mut parts = hms.splitn(3, ':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: i64 = parts.next()?.parse().ok()?;
    if h > 23 || m > 59 || s > 60 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let micros = format!("{fraction:0<6}")[..6].parse().ok()?;
    Some((to_days(date)? * 86_400 + h * 3600 + m * 60 + s, micros))
}

/// Now, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
pub fn now() -> String {
    let (secs, micros) = now_secs();
    let day = from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{day}T{:02}:{:02}:{:02}.{micros:06}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for date in [
            "1970-01-01",
            "2000-02-29",
            "2026-11-23",
            "2027-05-31",
            "1969-12-31",
        ] {
            assert_eq!(from_days(to_days(date).unwrap()), date);
        }
        assert_eq!(add_days("2026-11-23", 183).unwrap(), "2027-05-25");
        assert_eq!(add_days("2024-03-01", -1).unwrap(), "2024-02-29");
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1970-01-02T01:00:01Z"), Some((90_001, 0)));
        assert_eq!(
            parse_instant("2026-11-23T08:00:00.5Z"),
            Some((to_days("2026-11-23").unwrap() * 86_400 + 8 * 3600, 500_000))
        );
        assert_eq!(parse_instant("2026-11-23 08:00:00Z"), None);
        assert_eq!(parse_instant("2026-11-23T08:00:00+01:00"), None);
        assert_eq!(parse_instant("2026-11-23T25:00:00Z"), None);
    }
}
