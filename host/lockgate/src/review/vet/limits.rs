//! Behaviour under limits: how much of the memory limit and the deadline
//! the first sync used. (The incremental checks report in this section
//! too; they live in `incremental`.)

use super::{EMPLOYEES, Outcome, Verdict, Vetting};
use crate::policy::Limits;

/// Memory and run time of the first sync, against the default limits
/// (with the memory the manifest asks for).
pub(super) fn limit_checks(v: &mut Vetting<'_>, first: &Outcome, memory_mb: Option<u32>) {
    let limits = Limits::default().for_connector(memory_mb);
    let memory_verdict = if first.peak_memory > limits.memory_bytes / 2 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    v.check(
        "limits",
        "memory",
        memory_verdict,
        format!(
            "peak {} of the {} limit",
            Limits::human_bytes(first.peak_memory.max(1)),
            Limits::human_bytes(limits.memory_bytes)
        ),
    );
    let time_verdict = if first.duration_ms > limits.deadline.as_millis() as u64 / 2 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    v.check(
        "limits",
        "run time",
        time_verdict,
        format!(
            "{} ms for {EMPLOYEES} employees, of the {} deadline",
            first.duration_ms,
            Limits::human_duration(limits.deadline)
        ),
    );
}
