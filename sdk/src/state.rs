//! A small value kept between runs (a sync cursor, say). What a run saves is
//! committed only when the run does not fail.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::bindings::lockgate::connector::state as raw;

pub fn get() -> Option<String> {
    raw::get()
}

pub fn set(value: &str) -> Result<(), Error> {
    raw::set(value).map_err(Error::Host)
}

/// The saved value as JSON; `None` on the first run. A value that no longer
/// parses (an older layout) also reads as `None`.
pub fn load<T: DeserializeOwned>() -> Option<T> {
    get().and_then(|s| serde_json::from_str(&s).ok())
}

pub fn save<T: Serialize>(value: &T) -> Result<(), Error> {
    set(&serde_json::to_string(value)?)
}
