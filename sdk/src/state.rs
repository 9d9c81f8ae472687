//! A small value kept between runs (a sync cursor, say). What a run saves
//! is committed when the run finishes, that is when `sync` returns `Ok`,
//! even if the partner rejected some or all of its records: the connector
//! decides what to keep. A run that returns an error, traps or hits a
//! limit commits nothing. [`Cursor`] is the usual choice.
//!
//! A long run can also [`checkpoint`]: the value is committed at once,
//! with the rows reported before it, and a run cut short later (the host
//! stopped, a crash, a later failure) leaves the next run that value to
//! continue from. With buffered rows, use
//! [`crate::outcomes::Outcomes::checkpoint`] so they are sent first.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::imports::state as raw;

pub fn get() -> Option<String> {
    raw::get()
}

pub fn set(value: &str) -> Result<(), Error> {
    raw::set(value).map_err(Error::Host)
}

/// Commits `value` now, together with every row already reported. At most
/// 64 KiB.
pub fn checkpoint(value: &str) -> Result<(), Error> {
    raw::checkpoint(value).map_err(Error::Host)
}

/// The saved value as JSON; `None` on the first run. A value that no longer
/// parses (an older layout) also reads as `None`.
pub fn load<T: DeserializeOwned>() -> Option<T> {
    get().and_then(|s| serde_json::from_str(&s).ok())
}

pub fn save<T: Serialize>(value: &T) -> Result<(), Error> {
    set(&serde_json::to_string(value)?)
}

/// The usual state of an incremental sync: the instant the next run reads
/// changes from, and the employees whose records the partner rejected,
/// sent again next run whether they changed or not. Rejected records are
/// neither lost nor a reason to send everything again.
///
/// ```ignore
/// let cursor = state::Cursor::load();
/// let started = dates::now();
/// let mut rows = Outcomes::new();
/// // … send what changed since `cursor.since`, and `cursor.retry` …
/// let rejected = rows.finish_failed()?;
/// state::Cursor::advance(&started, rejected)?;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// When the last finished run started; `None` before the first.
    pub since: Option<String>,
    /// Employees whose records were rejected.
    #[serde(default)]
    pub retry: BTreeSet<String>,
}

impl Cursor {
    /// The saved cursor, or an empty one on the first run.
    pub fn load() -> Cursor {
        load().unwrap_or_default()
    }

    /// Whether no run has finished yet.
    pub fn is_first(&self) -> bool {
        self.since.is_none()
    }

    /// Saves the cursor for the next run: changes from `started` on, and
    /// `rejected` again.
    pub fn advance(started: &str, rejected: BTreeSet<String>) -> Result<(), Error> {
        save(&Cursor {
            since: Some(started.to_string()),
            retry: rejected,
        })
    }
}
