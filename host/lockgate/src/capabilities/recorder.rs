//! The invocation's shared record: the run log (capped), policy denials
//! (the first [`MAX_DENIALS`] kept, the rest counted) and the first fatal
//! limit hit. Shared with futures that outlive a host call
//! (outbound HTTP), hence the lock.

use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::monitoring::LogLine;
use crate::vocabulary::{Failure, FailureKind};

/// Denials kept word for word; later ones are only counted.
pub const MAX_DENIALS: usize = 20;
/// A denial's text is cut at this many bytes, in the record and the log.
pub const MAX_DENIAL_BYTES: usize = 512;
/// Requests a connector may still make after a fatal limit (each refused at
/// once) before the host ends the instance.
pub const MAX_CALLS_AFTER_FATAL: u64 = 1_000;

/// Bytes a stored log line costs besides its level and message.
const LOG_LINE_OVERHEAD: usize = 64;

#[derive(Debug, Default)]
struct Inner {
    lines: Vec<LogLine>,
    bytes: usize,
    truncated: bool,
    denials: Vec<String>,
    /// Denials past [`MAX_DENIALS`], and requests refused after a fatal
    /// limit: counted, not kept.
    denials_more: u64,
    calls_after_fatal: u64,
    sign_in_failure: Option<String>,
    fatal: Option<Failure>,
    requests: u32,
    response_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Recorder {
    inner: Arc<Mutex<Inner>>,
    max_log_bytes: usize,
}

impl Recorder {
    pub fn new(max_log_bytes: usize) -> Self {
        Recorder {
            inner: Arc::default(),
            max_log_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a log line; past the cap, lines are dropped and one marker
    /// line says so.
    pub fn log(&self, level: &str, message: &str) {
        let mut inner = self.lock();
        if inner.truncated {
            return;
        }
        // Each stored line also costs its timestamp, sequence and run id:
        // counted, so a flood of empty lines is bounded by the cap as well.
        let size = message.len() + level.len() + LOG_LINE_OVERHEAD;
        if inner.bytes + size > self.max_log_bytes {
            inner.truncated = true;
            let cap = crate::policy::Limits::human_bytes(self.max_log_bytes as u64);
            inner.lines.push(LogLine {
                at: crate::time::now_text(),
                level: "warn".into(),
                message: format!("log limit {cap} reached; further lines dropped"),
            });
            return;
        }
        inner.bytes += size;
        inner.lines.push(LogLine {
            at: crate::time::now_text(),
            level: level.to_string(),
            message: message.to_string(),
        });
    }

    /// A request the policy refused: logged, and kept as a likely failure
    /// reason.
    /// At most [`MAX_DENIALS`] are kept, each at most [`MAX_DENIAL_BYTES`];
    /// the rest are counted.
    pub fn deny(&self, reason: String) {
        let reason = crate::capabilities::outcomes::truncate(&reason, MAX_DENIAL_BYTES);
        self.log("warn", &reason);
        let mut inner = self.lock();
        if inner.denials.len() < MAX_DENIALS {
            inner.denials.push(reason);
        } else {
            inner.denials_more += 1;
        }
    }

    /// After a fatal limit the run has failed: a further request is refused
    /// here at no cost (counted, neither logged nor kept). True if it was.
    pub fn refuse_after_fatal(&self) -> bool {
        let mut inner = self.lock();
        if inner.fatal.is_none() {
            return false;
        }
        inner.denials_more += 1;
        inner.calls_after_fatal += 1;
        true
    }

    /// The connector kept calling after a fatal limit; time to end it.
    pub fn kept_calling_after_fatal(&self) -> bool {
        self.lock().calls_after_fatal > MAX_CALLS_AFTER_FATAL
    }

    /// Whether a limit already ended the run.
    pub fn has_failed(&self) -> bool {
        self.lock().fatal.is_some()
    }

    /// A limit that ends the invocation. The first one wins.
    pub fn fatal(&self, kind: FailureKind, reason: String) {
        let mut inner = self.lock();
        if inner.fatal.is_none() {
            inner.fatal = Some(Failure::new(kind, reason));
        }
    }

    /// The limit that ended the invocation, if one did.
    pub fn fatal_failure(&self) -> Option<Failure> {
        self.lock().fatal.clone()
    }

    /// The host could not sign in to the partner for the connector.
    pub fn sign_in_failed(&self, why: &str) {
        let mut inner = self.lock();
        if inner.sign_in_failure.is_none() {
            inner.sign_in_failure = Some(why.to_string());
        }
    }

    /// Why the first sign-in failed, if one did.
    pub fn sign_in_failure(&self) -> Option<String> {
        self.lock().sign_in_failure.clone()
    }

    pub fn denials(&self) -> Vec<String> {
        self.lock().denials.clone()
    }

    /// Denials not kept in [`Recorder::denials`].
    pub fn denials_more(&self) -> u64 {
        self.lock().denials_more
    }

    /// Counts a request; returns the new count.
    pub fn count_request(&self) -> u32 {
        let mut inner = self.lock();
        inner.requests += 1;
        inner.requests
    }

    pub fn requests(&self) -> u32 {
        self.lock().requests
    }

    /// Adds received body bytes; returns the new total.
    pub fn add_response_bytes(&self, n: u64) -> u64 {
        let mut inner = self.lock();
        inner.response_bytes += n;
        inner.response_bytes
    }

    pub fn take_lines(&self) -> Vec<LogLine> {
        std::mem::take(&mut self.lock().lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denials_are_capped_cut_and_counted() {
        let recorder = Recorder::new(1 << 20);
        for i in 0..100 {
            recorder.deny(format!("request {i} denied: {}", "x".repeat(2000)));
        }
        let kept = recorder.denials();
        assert_eq!(kept.len(), MAX_DENIALS);
        assert!(
            kept.iter()
                .all(|d| d.len() <= MAX_DENIAL_BYTES + '…'.len_utf8())
        );
        assert!(kept[0].starts_with("request 0 denied: "));
        assert_eq!(recorder.denials_more(), 100 - MAX_DENIALS as u64);
    }

    #[test]
    fn after_a_fatal_limit_requests_are_refused_for_free() {
        let recorder = Recorder::new(1 << 20);
        assert!(!recorder.refuse_after_fatal());
        recorder.fatal(FailureKind::Limit, "request limit 1 reached".into());
        let lines = recorder.take_lines().len();
        for _ in 0..=MAX_CALLS_AFTER_FATAL {
            assert!(recorder.refuse_after_fatal());
        }
        assert!(recorder.kept_calling_after_fatal());
        assert!(recorder.denials().is_empty(), "nothing kept");
        assert_eq!(recorder.take_lines().len(), lines, "nothing logged");
        assert_eq!(recorder.denials_more(), MAX_CALLS_AFTER_FATAL + 1);
    }
}
