//! A deliberately flawed connector for the review tests: it moves its cursor past the records the partner rejected, so they are never sent again.

const FLAW: Flaw = Flaw::LosesRejected;

include!("../../flawed-common.rs");
