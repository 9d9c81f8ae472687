//! The connector manifest and component inspection.
//!
//! A connector is one `.wasm` component; its manifest travels inside it as a
//! custom section (`lockgate-manifest`, TOML). [`manifest`] holds the typed
//! manifest and its validation, [`inspect`] reads a component file (manifest,
//! imports, exports, size, digest) and lists every reason it is unacceptable,
//! and [`check`] checks a manifest file (`connector.toml`) with every
//! problem at its line.
//! Nothing here depends on the runtime, so the CLI, the API and the review
//! tooling share it.

pub mod check;
pub mod hosts;
pub mod inspect;
pub mod manifest;
pub mod schedule;

pub use check::{Checked, Finding, check_text};
pub use hosts::{HostPattern, ResolvedHost};
pub use inspect::{Inspection, Problem, inspect};
pub use manifest::{
    AbsenceWindow, ClientAuth, ConfigField, Direction, FieldType, Injection, Localized, Manifest,
    OAuth2, OAuthFlow, Scope, Triggers,
};
pub use schedule::Schedule;

/// The name of the custom section that carries the manifest.
pub const MANIFEST_SECTION: &str = "lockgate-manifest";

/// The contract package a connector is built against.
pub const CONTRACT_PACKAGE: &str = "lockgate:connector@0.2.0";
