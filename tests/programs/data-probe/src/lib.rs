//! Makes one contract 0.2.0 call per run with every data scope granted.

include!("../../data-probe-common.rs");
