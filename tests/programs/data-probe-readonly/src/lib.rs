//! Makes one contract 0.2.0 call per run with read scopes only: every
//! write it tries must be denied.

include!("../../data-probe-common.rs");
