//! Outbound HTTP through the host's filter, on the raw `wasi:http` bindings.
//!
//! The host lets a connector reach only the hosts its install was granted. A
//! refused request comes back as [`HttpError::Denied`], not as a network
//! error, so a connector can tell a policy problem from an outage.
//!
//! ```ignore
//! let res = http::post("https://api.planner.example/v1/employees")
//!     .json(&serde_json::json!({ "id": "e-1" }))?
//!     .send()?;
//! if !res.is_success() { /* res.status, res.body */ }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::bindings::wasi::http::types::Method;

// How a request reaches the partner: the host's `wasi:http` in a
// component, the test's stand-in in a native test build.
#[cfg(any(target_arch = "wasm32", not(feature = "testing")))]
mod wasi;
#[cfg(all(feature = "testing", not(target_arch = "wasm32")))]
use crate::testing::stand_in::http as transport;
#[cfg(any(target_arch = "wasm32", not(feature = "testing")))]
use wasi as transport;

/// Bodies larger than this are refused by the client.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The host's policy refused it: host not granted, plain HTTP, a
    /// prohibited address, or the run's request budget is spent.
    Denied(String),
    InvalidUrl(String),
    Timeout,
    /// Connection refused, reset, DNS failure, TLS failure, ...
    Connection(String),
    /// The response was larger than the client or host allows.
    TooLarge,
    Protocol(String),
    /// The host could not sign in to the partner on the connector's behalf
    /// (OAuth2 client credentials declared in the manifest).
    SignIn(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Denied(why) => write!(f, "request denied by the host: {why}"),
            HttpError::InvalidUrl(url) => write!(f, "invalid URL {url:?}"),
            HttpError::Timeout => f.write_str("timed out"),
            HttpError::Connection(why) => write!(f, "connection failed: {why}"),
            HttpError::TooLarge => f.write_str("response too large"),
            HttpError::Protocol(why) => write!(f, "HTTP error: {why}"),
            HttpError::SignIn(why) => write!(f, "could not sign in to the partner: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// Percent-encodes `text` for a query value or a path segment: everything
/// but RFC 3986 unreserved characters is escaped, UTF-8 byte by byte.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A response with its whole body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Times the request was sent again after 429 / 503 (see
    /// [`Request::retrying`]).
    pub retries: u32,
}

/// How a [`Request::retrying`] request waits when the partner answers 429
/// Too Many Requests or 503 Service Unavailable: as long as `Retry-After`
/// says (in seconds), else exponentially from `first_wait`, for at most
/// `attempts` sends and `budget` of waiting in all. Past that, the last
/// answer is returned, so the connector can report what it could not send
/// and go on; the host's deadline for the run still applies.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub first_wait: std::time::Duration,
    pub budget: std::time::Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 5,
            first_wait: std::time::Duration::from_millis(500),
            budget: std::time::Duration::from_secs(20),
        }
    }
}

impl Response {
    /// The partner asked to slow down (429) or is briefly unavailable (503).
    pub fn is_throttled(&self) -> bool {
        self.status == 429 || self.status == 503
    }

    /// `Retry-After` in seconds, when given that way.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(std::time::Duration::from_secs)
    }
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// A request's URL taken apart as the host needs it.
pub(crate) struct Target<'a> {
    pub https: bool,
    pub authority: &'a str,
    /// Path and query; `/` at least.
    pub path: String,
}

/// A request being built.
#[derive(Debug, Clone)]
pub struct Request {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    retry: Option<Retry>,
}

pub fn get(url: &str) -> Request {
    Request::new(Method::Get, url)
}

pub fn post(url: &str) -> Request {
    Request::new(Method::Post, url)
}

pub fn put(url: &str) -> Request {
    Request::new(Method::Put, url)
}

pub fn patch(url: &str) -> Request {
    Request::new(Method::Patch, url)
}

pub fn delete(url: &str) -> Request {
    Request::new(Method::Delete, url)
}

impl Request {
    pub fn new(method: Method, url: &str) -> Self {
        Request {
            method,
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
            retry: None,
        }
    }

    pub(crate) fn target(&self) -> Result<Target<'_>, HttpError> {
        let (https, rest) = if let Some(rest) = self.url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = self.url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(HttpError::InvalidUrl(self.url.clone()));
        };
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        if authority.is_empty() {
            return Err(HttpError::InvalidUrl(self.url.clone()));
        }
        Ok(Target {
            https,
            authority,
            path,
        })
    }

    /// Sends again on 429 / 503 with the default [`Retry`].
    pub fn retrying(self) -> Self {
        self.retry_with(Retry::default())
    }

    pub fn retry_with(mut self, retry: Retry) -> Self {
        self.retry = Some(retry);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, serde_json::Error> {
        let body = serde_json::to_vec(value)?;
        Ok(self.header("content-type", "application/json").body(body))
    }

    /// Sends the request and reads the whole response; with
    /// [`Request::retrying`], waits and sends again while the partner
    /// throttles, within the retry budget.
    pub fn send(self) -> Result<Response, HttpError> {
        let Some(retry) = self.retry else {
            return transport::send_once(&self);
        };
        let mut waited = std::time::Duration::ZERO;
        let mut wait = retry.first_wait;
        let mut attempt = 1;
        loop {
            let mut response = transport::send_once(&self)?;
            response.retries = attempt - 1;
            if !response.is_throttled() || attempt >= retry.attempts {
                return Ok(response);
            }
            let pause = response.retry_after().unwrap_or(wait);
            if waited + pause > retry.budget {
                return Ok(response);
            }
            transport::sleep(pause);
            waited += pause;
            wait = wait.saturating_mul(2);
            attempt += 1;
        }
    }
}

/// The method as HTTP spells it (`GET`, `POST`, …).
#[cfg_attr(
    any(target_arch = "wasm32", not(feature = "testing")),
    allow(dead_code, reason = "only the test stand-in names methods")
)]
pub(crate) fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other.clone(),
    }
}
