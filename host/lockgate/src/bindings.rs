//! Host-side bindings for the connector worlds, confined here. The current
//! contract (`lockgate:connector@0.2.0`) is what the capabilities implement;
//! [`v0_1`] is the released 0.1.0 world, which the host still links and
//! serves through the current implementation (see
//! [`crate::capabilities::contract_0_1`]). WASI interfaces map onto
//! wasmtime-wasi's and wasmtime-wasi-http's implementations.

#[allow(missing_docs, clippy::all, reason = "generated code")]
mod generated {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "lockgate:connector/connector@0.2.0",
        imports: { default: async | trappable },
        exports: { default: async },
        require_store_data_send: true,
        with: {
            "wasi:http": wasmtime_wasi_http::p2::bindings::http,
            "wasi:io": wasmtime_wasi::p2::bindings::io,
            "wasi:cli": wasmtime_wasi::p2::bindings::cli,
            "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
            "wasi:random": wasmtime_wasi::p2::bindings::random,
            "wasi:filesystem": wasmtime_wasi::p2::bindings::filesystem,
        },
    });
}

/// The released 0.1.0 world. Its `types` interface is the current one (the
/// two are identical), so errors need no translation.
pub mod v0_1 {
    #[allow(missing_docs, clippy::all, reason = "generated code")]
    mod generated {
        wasmtime::component::bindgen!({
            path: "../../wit",
            world: "lockgate:connector/connector@0.1.0",
            imports: { default: async | trappable },
            exports: { default: async },
            require_store_data_send: true,
            with: {
                "wasi:http": wasmtime_wasi_http::p2::bindings::http,
                "wasi:io": wasmtime_wasi::p2::bindings::io,
                "wasi:cli": wasmtime_wasi::p2::bindings::cli,
                "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
                "wasi:random": wasmtime_wasi::p2::bindings::random,
                "wasi:filesystem": wasmtime_wasi::p2::bindings::filesystem,
                "lockgate:connector/types@0.1.0": crate::bindings::types,
            },
        });
    }
    pub use generated::lockgate::connector0_1_0::{config, hr, log, outcomes, state};
    pub use generated::{Connector, ConnectorPre, Event, Trigger, WebhookRequest, WebhookResponse};
}

pub use generated::lockgate::connector0_2_0::{
    attendances, config, hr, log, outcomes, recruiting, state, types,
};
pub use generated::{Connector, ConnectorPre, Event, Trigger, WebhookRequest, WebhookResponse};
pub use types::{ConnectorError, FieldError, HostError, PartnerError};
