//! The Lockgate host: runs connector components per tenant install in a
//! sandbox and records what they did.
//!
//! Layers, top down; a module uses only its own layer and those below
//! (`tests/layers.rs` checks it):
//! - [`api`]: the HTTP API and the console, over the application.
//! - Services: [`installs`] (connect, check, schedule), [`events`] (HR
//!   data events), [`webhooks`] (inbound deliveries), [`review`] (the
//!   automated review and `plugin vet`), [`partner_sandbox`] (a partner's
//!   sandbox tenant), [`worker`] (scheduler and job queue workers),
//!   [`demo`].
//! - [`app`]: the shared services every entry point builds once.
//! - [`sync`]: a whole run (invoke, classify, persist); [`runtime`]: engine,
//!   compiled-artifact cache, one invocation per call.
//! - [`capabilities`]: what the sandbox grants (HR data, outbound HTTP,
//!   outcomes, config, state, log); [`auth`]; [`sandbox`] (synthetic tenants).
//! - [`policy`] (grants and limits), [`store`] (sqlx persistence),
//!   [`secrets`], [`artifacts`], [`config`] (serve settings).
//! - The model: [`hr`] (HR records and visibility rules), [`monitoring`]
//!   (runs, rows, logs, audit entries), [`vocabulary`] (statuses, kinds,
//!   triggers, failures), [`principal`], [`field`], [`time`], [`bindings`].

pub mod api;
pub mod app;
pub mod artifacts;
pub mod auth;
pub mod bindings;
pub mod capabilities;
pub mod config;
pub mod demo;
pub mod events;
pub mod field;
pub mod hr;
pub mod installs;
pub mod monitoring;
pub mod partner_sandbox;
pub mod policy;
pub mod principal;
pub mod review;
pub mod runtime;
pub mod sandbox;
pub mod secrets;
pub mod sign_in;
pub mod store;
pub mod sync;
pub mod time;
pub mod vocabulary;
pub mod webhooks;
pub mod worker;

pub use policy::{Grant, Limits};
pub use runtime::{Runtime, RuntimeConfig};
pub use store::Store;
