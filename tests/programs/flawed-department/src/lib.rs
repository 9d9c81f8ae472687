//! A deliberately flawed connector for the review tests: it sends everyone whatever the department filter says.

const FLAW: Flaw = Flaw::IgnoresDepartment;

include!("../../flawed-common.rs");
