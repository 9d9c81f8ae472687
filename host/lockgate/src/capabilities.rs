//! What the sandbox grants a connector, one unit per capability: the WIT
//! `Host` implementation and the policy it applies. Each works on the
//! per-invocation state in [`crate::runtime::Invocation`].

pub mod config;
pub mod hr;
pub mod http;
pub mod log;
pub mod oauth;
pub mod outcomes;
pub mod recorder;
pub mod state;

pub use recorder::{LogLine, Recorder};
