//! The install's configuration. Secret fields are not readable here: the
//! host injects them into requests to the partner.

use crate::Error;
use crate::bindings::contract::config as raw;

/// The value of a non-secret field (or its default).
pub fn get(key: &str) -> Option<String> {
    raw::get(key)
}

/// The value of a field the connector cannot work without.
pub fn require(key: &str) -> Result<String, Error> {
    get(key).ok_or_else(|| Error::config(key, "is required"))
}

/// Every non-secret field with a value.
pub fn all() -> Vec<(String, String)> {
    raw::get_all()
}
