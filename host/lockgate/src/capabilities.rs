//! What the sandbox grants a connector, one unit per capability: the WIT
//! `Host` implementation and the policy it applies. Each works on the
//! per-invocation state in [`Invocation`]; outbound HTTP is the policy in
//! [`http`], the OAuth2 sign-in in [`oauth`] and the vetted route to the
//! partner in [`transport`], in that order of use.

pub mod addresses;
pub mod attendances;
pub mod config;
pub mod contract_0_1;
pub mod host_objects;
pub mod hr;
pub mod http;
pub mod invocation;
pub mod log;
pub mod oauth;
pub mod outcomes;
pub mod recorder;
pub mod recruiting;
pub mod state;
pub mod transport;

pub use invocation::Invocation;
pub use recorder::{LogLine, Recorder};
