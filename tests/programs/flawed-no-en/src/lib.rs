//! A deliberately flawed connector for the review tests: it has no English listing text.

const FLAW: Flaw = Flaw::NoEnglish;

include!("../../flawed-common.rs");
