//! Write Lockgate connectors in Rust.
//!
//! Implement [`Connector`] (only [`Connector::sync`] is required), put a
//! `connector.toml` manifest beside your `Cargo.toml`, register the type with
//! [`export_connector!`], and build with
//! `cargo build --target wasm32-wasip2 --release`. The result is one `.wasm`
//! file that carries the manifest; no WIT reading needed.
//!
//! ```ignore
//! use lockgate_sdk::prelude::*;
//!
//! struct Hello;
//!
//! impl Connector for Hello {
//!     fn sync(_trigger: Trigger) -> Result<(), Error> {
//!         let mut rows = Outcomes::new();
//!         for employee in hr::employees(EmployeeQuery::default()) {
//!             let employee = employee?;
//!             let res = http::post("https://api.partner.example/people")
//!                 .json(&serde_json::json!({ "id": employee.id }))?
//!                 .send()?;
//!             rows.push(if res.is_success() {
//!                 Outcome::success(&employee.id, Operation::Update, "sent")
//!             } else {
//!                 Outcome::failed(&employee.id, Operation::Update, "rejected")
//!                     .with_partner(res.status, &res.body)
//!             })?;
//!         }
//!         rows.finish()
//!     }
//! }
//!
//! lockgate_sdk::export_connector!(Hello);
//! ```
//!
//! Modules: [`hr`] (paged employee and absence reads, departures,
//! creating employees), [`attendances`] (working time, read and written
//! idempotently), [`recruiting`] (job applications), [`http`] (outbound
//! requests through the host's filter), [`outcomes`] (monitoring rows,
//! batched), [`config`], [`state`] (kept between runs, and checkpoints
//! within one) and [`log`]. The SDK targets contract
//! `lockgate:connector@0.2.0`.
//!
//! With the `testing` feature, on the build machine's own target, the
//! `testing` module runs a connector in its unit tests against a stand-in
//! for the host: fake HR data, config, state, HTTP answered by the test,
//! and the rows, log and requests recorded (`cargo test`).

extern crate self as lockgate_sdk;

pub mod attendances;
#[doc(hidden)]
pub mod bindings;
pub mod config;
pub mod dates;
pub mod error;
pub mod hr;
pub mod http;
mod imports;
pub mod log;
pub mod outcomes;
pub mod recruiting;
pub mod state;
#[cfg(all(feature = "testing", not(target_arch = "wasm32")))]
pub mod testing;

#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

pub use bindings::contract::types::HostError;
pub use bindings::{Event, FieldError, Trigger, WebhookRequest, WebhookResponse};
pub use error::Error;

/// Everything a connector usually needs, in one `use`.
pub mod prelude {
    pub use crate::config;
    pub use crate::hr::{
        self, Absence, AbsenceQuery, AbsenceStatus, Employee, EmployeeQuery, NewEmployee,
    };
    pub use crate::http;
    pub use crate::log;
    pub use crate::outcomes::{Operation, Outcome, OutcomeStatus, Outcomes};
    pub use crate::state;
    pub use crate::{
        Connector, Error, Event, FieldError, HostError, Trigger, WebhookRequest, WebhookResponse,
    };
}

/// A connector. Each call runs in a fresh instance: keep what must survive
/// a run in [`state`], not in statics.
pub trait Connector {
    /// Checks a configuration beyond its schema (the host already checked
    /// types, required fields and enums). Secret fields are not passed.
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let _ = config;
        Ok(())
    }

    /// Proves the partner is reachable and accepts the credentials.
    fn check_connection() -> Result<(), Error> {
        Ok(())
    }

    /// One synchronisation run.
    fn sync(trigger: Trigger) -> Result<(), Error>;

    /// An HR change this install may see.
    fn on_event(event: Event) -> Result<(), Error> {
        let _ = event;
        Ok(())
    }

    /// An inbound call from the partner.
    fn handle_webhook(request: WebhookRequest) -> WebhookResponse {
        let _ = request;
        WebhookResponse {
            status: 404,
            headers: Vec::new(),
            body: b"this connector takes no webhooks".to_vec(),
        }
    }
}

/// Registers a [`Connector`] and embeds its manifest.
///
/// `export_connector!(MyConnector)` embeds `connector.toml` from the crate
/// root; `export_connector!(MyConnector, manifest = "path/from/crate/root.toml")`
/// names another file.
#[macro_export]
macro_rules! export_connector {
    ($ty:ty) => {
        $crate::export_connector!($ty, manifest = "connector.toml");
    };
    ($ty:ty, manifest = $path:literal) => {
        #[used]
        #[unsafe(link_section = "lockgate-manifest")]
        static __LOCKGATE_MANIFEST: [u8; include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/",
            $path
        ))
        .len()] = *include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $path));

        #[doc(hidden)]
        pub struct __LockgateGuest;

        impl $crate::bindings::Guest for __LockgateGuest {
            fn validate_config(
                config: ::std::vec::Vec<(::std::string::String, ::std::string::String)>,
            ) -> ::std::result::Result<(), ::std::vec::Vec<$crate::FieldError>> {
                <$ty as $crate::Connector>::validate_config(&config)
            }
            fn check_connection() -> ::std::result::Result<(), $crate::bindings::ConnectorError> {
                <$ty as $crate::Connector>::check_connection().map_err(::std::convert::Into::into)
            }
            fn sync(
                trigger: $crate::Trigger,
            ) -> ::std::result::Result<(), $crate::bindings::ConnectorError> {
                <$ty as $crate::Connector>::sync(trigger).map_err(::std::convert::Into::into)
            }
            fn on_event(
                event: $crate::Event,
            ) -> ::std::result::Result<(), $crate::bindings::ConnectorError> {
                <$ty as $crate::Connector>::on_event(event).map_err(::std::convert::Into::into)
            }
            fn handle_webhook(request: $crate::WebhookRequest) -> $crate::WebhookResponse {
                <$ty as $crate::Connector>::handle_webhook(request)
            }
        }

        $crate::bindings::__lockgate_export_world!(__LockgateGuest with_types_in $crate::bindings);
    };
}
