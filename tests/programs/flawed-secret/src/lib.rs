//! A deliberately flawed connector for the review tests: it takes its credential from a field not marked secret.

const FLAW: Flaw = Flaw::UnmarkedSecret;

include!("../../flawed-common.rs");
