//! What the connector keeps between runs: where the backstop sync reads
//! from, and the applications waiting for their position to exist.

use std::collections::BTreeMap;

use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// How long an application for an unknown position is tried again.
pub const RETRY_DAYS: i64 = 14;

/// At most this many applications wait at once, so the state stays far
/// below the host's 64 KiB.
pub const MAX_WAITING: usize = 500;

/// Each sync reads again this far before the last one started: the
/// board's clock and ours may differ a little, and reading an application
/// twice creates nothing twice.
const OVERLAP_SECS: i64 = 10 * 60;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Backstop {
    /// When the last finished sync started; `None` before the first.
    pub since: Option<String>,
    /// The board's application id → when it first failed for want of its
    /// position.
    #[serde(default)]
    pub waiting: BTreeMap<String, String>,
}

impl Backstop {
    pub fn load() -> Backstop {
        state::load().unwrap_or_default()
    }

    pub fn save(&self) -> Result<(), Error> {
        state::save(self)
    }

    /// The instant a sync reads applications from: a little before the
    /// last sync started, or on the first run `backfill_days` back (0:
    /// from now on).
    pub fn read_from(&self, backfill_days: i64) -> String {
        match &self.since {
            Some(since) => match to_secs(since) {
                Some(secs) => from_secs(secs - OVERLAP_SECS),
                None => since.clone(),
            },
            None if backfill_days <= 0 => now(),
            None => {
                let today = dates::today();
                let day = dates::add_days(&today, -backfill_days).unwrap_or(today);
                format!("{day}T00:00:00Z")
            }
        }
    }

    /// Whether the application first failed more than [`RETRY_DAYS`] ago.
    pub fn expired(first_failed: &str) -> bool {
        let cutoff = dates::add_days(&dates::today(), -RETRY_DAYS).unwrap_or_default();
        first_failed
            .get(..10)
            .is_some_and(|day| day < cutoff.as_str())
    }
}

/// Now, to the second: `YYYY-MM-DDTHH:MM:SSZ`, the form the board is sent.
pub fn now() -> String {
    let now = dates::now();
    to_secs(&now).map_or(now, from_secs)
}

/// Seconds since 1970 of `YYYY-MM-DDTHH:MM:SS…`.
fn to_secs(instant: &str) -> Option<i64> {
    let day = dates::to_days(instant.get(..10)?)?;
    if instant.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let part = |r: std::ops::Range<usize>| instant.get(r)?.parse::<i64>().ok();
    let (h, m, s) = (part(11..13)?, part(14..16)?, part(17..19)?);
    Some(day * 86_400 + h * 3600 + m * 60 + s)
}

fn from_secs(secs: i64) -> String {
    let day = dates::from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}
