//! The Lockgate host: runs connector components per tenant install in a
//! sandbox and records what they did.
//!
//! Layout, by concept: [`runtime`] (engine, compiled-artifact cache, one
//! invocation per run) and the capabilities it grants ([`capabilities`]:
//! HR data, outbound HTTP, outcomes, config, state, log), [`policy`] (what an
//! install is granted and the per-run limits), [`hr`] (the HR data model and
//! its visibility rules), [`store`] (sqlx persistence and migrations),
//! [`sync`] (a whole run: invoke, classify, persist), [`sandbox`] (synthetic
//! tenants) and [`demo`] (the built-in demo partner).

pub mod api;
pub mod artifacts;
pub mod auth;
pub mod bindings;
pub mod capabilities;
pub mod config;
pub mod demo;
pub mod events;
pub mod hr;
pub mod installs;
pub mod policy;
pub mod review;
pub mod runtime;
pub mod sandbox;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod time;
pub mod vet;
pub mod webhooks;
pub mod worker;

pub use policy::{Grant, Limits};
pub use runtime::{Runtime, RuntimeConfig};
pub use store::Store;
