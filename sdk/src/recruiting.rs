//! Job applications, with `recruiting.write`. There is no reading back:
//! what a connector sends is the tenant's.

pub use crate::bindings::contract::recruiting::{Attachment, NewApplication};
use crate::bindings::contract::types::HostError;
use crate::imports::recruiting as raw;

/// Creates an application for one of the tenant's positions (by id, or by
/// name ignoring case) and returns its id. The same `idempotency_key`
/// always yields the first application's id and creates nothing more.
/// An unknown position is `not-found`, naming it.
pub fn create_application(
    application: &NewApplication,
    idempotency_key: &str,
) -> Result<String, HostError> {
    raw::create_application(application, idempotency_key)
}
