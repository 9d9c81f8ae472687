//! The generated bindings for the `lockgate:connector/connector` world,
//! confined here; the rest of the SDK and connectors use the names
//! re-exported below.

#[allow(missing_docs, clippy::all, reason = "generated code")]
mod generated {
    wit_bindgen::generate!({
        path: "wit",
        world: "lockgate:connector/connector@0.2.0",
        generate_all,
        // Connector tests compare records (rows, queries, field errors).
        additional_derives: [PartialEq],
        additional_derives_ignore: ["stream-error"],
        pub_export_macro: true,
        export_macro_name: "__lockgate_export_world",
        default_bindings_module: "lockgate_sdk::bindings",
        runtime_path: "lockgate_sdk::__wit_bindgen::rt",
        bitflags_path: "lockgate_sdk::__wit_bindgen::rt::bitflags",
    });
}

pub use generated::*;

/// The contract's interfaces, whatever version the generated module names
/// carry.
pub use generated::lockgate::connector0_2_0 as contract;
