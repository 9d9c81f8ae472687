//! The invocation's shared record: the run log (capped), policy denials and
//! the first fatal limit hit. Shared with futures that outlive a host call
//! (outbound HTTP), hence the lock.

use std::sync::{Arc, Mutex, MutexGuard};

pub use crate::monitoring::LogLine;
use crate::vocabulary::{Failure, FailureKind};

#[derive(Debug, Default)]
struct Inner {
    lines: Vec<LogLine>,
    bytes: usize,
    truncated: bool,
    denials: Vec<String>,
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
        let size = message.len() + level.len();
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
    pub fn deny(&self, reason: String) {
        self.log("warn", &reason);
        self.lock().denials.push(reason);
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
