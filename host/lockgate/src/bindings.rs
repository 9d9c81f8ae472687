//! Host-side bindings for the `lockgate:connector/connector` world, confined
//! here. WASI interfaces map onto wasmtime-wasi's and wasmtime-wasi-http's
//! implementations.

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
        },
    });
}

pub use generated::lockgate::connector0_1_0::{config, hr, log, outcomes, state, types};
pub use generated::{Connector, ConnectorPre, Event, Trigger, WebhookRequest, WebhookResponse};
pub use types::{ConnectorError, FieldError, HostError, PartnerError};
