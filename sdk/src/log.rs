//! The run log the tenant admin and the partner see.

pub use crate::bindings::contract::log::Level;
use crate::imports::log::log;

pub fn debug(message: &str) {
    log(Level::Debug, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn warn(message: &str) {
    log(Level::Warn, message);
}

pub fn error(message: &str) {
    log(Level::Error, message);
}
