//! The host calls the SDK makes, in one place. In a component they are the
//! contract's imports; in a native build with the `testing` feature they
//! go to the test's stand-in for the host ([`crate::testing::TestHost`]),
//! with the same signatures, so every public function of the SDK behaves
//! the same in a connector's unit tests.

#[cfg(any(target_arch = "wasm32", not(feature = "testing")))]
pub(crate) use crate::bindings::contract::{
    attendances, config, hr, log, outcomes, recruiting, state,
};

#[cfg(all(feature = "testing", not(target_arch = "wasm32")))]
pub(crate) use crate::testing::stand_in::{
    attendances, config, hr, log, outcomes, recruiting, state,
};
