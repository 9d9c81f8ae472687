//! A deliberately flawed connector for the review tests: it asks for salary data and never sends it.

const FLAW: Flaw = Flaw::UnusedCompensation;

include!("../../flawed-common.rs");
