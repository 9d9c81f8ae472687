//! A deliberately flawed connector for the review tests: it keeps no cursor, so every run sends everyone.

const FLAW: Flaw = Flaw::NotIncremental;

include!("../../flawed-common.rs");
