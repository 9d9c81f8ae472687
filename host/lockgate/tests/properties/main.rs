//! Property tests for every parser that takes outside input: the manifest
//! section and component inspection, connector uploads, configuration
//! values against a connector's schema, CSV imports, the webhook signature
//! header, paging cursors and schedule expressions. Each property holds
//! for every generated input: no panic, no server error, and every refusal
//! names what to fix (the field, the manifest key, or the CSV line).
//!
//! The suite runs a bounded number of cases per property (each property's
//! default, 64 to 256; about 10 s in all on two cores, once built). A
//! longer run takes the count from proptest's variable, for every property
//! at once (about 8 minutes for 10000):
//!
//! ```sh
//! PROPTEST_CASES=10000 cargo test -p lockgate --test properties -- --nocapture
//! ```
//!
//! `--nocapture` shows how often each outcome came up per property. A
//! failure prints the input proptest shrank it to; `PROPTEST_RNG_SEED=N`
//! makes a run repeatable. Inputs found that way stay as fixed cases in
//! [`found`]. Properties of the API go through the real router on loopback
//! ([`lockgate_tests::spawn_app`]): a handler that panics shows as a
//! connection closed without an answer, an internal error as a 500.

mod component;
mod config;
mod csv;
mod cursors;
mod found;
mod manifest;
mod schedule;
mod strategies;
mod upload;
mod webhook;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use lockgate::policy::OperatorPolicy;
use lockgate_tests::TestApp;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestCaseResult, TestError, TestRunner};
use serde_json::Value;

/// Runs `test` on `cases` inputs from `strategy` (or `PROPTEST_CASES`
/// of them), panicking with the shrunk input on a failure. Prints how
/// often each outcome the test recorded in its [`Tally`] came up.
pub fn check<S>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value, &Tally) -> TestCaseResult,
) where
    S: Strategy,
    S::Value: Debug,
{
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    // Failures are reported, not written next to the sources.
    config.failure_persistence = None;
    let cases = config.cases;
    let tally = Tally::default();
    let mut runner = TestRunner::new(config);
    match runner.run(&strategy, |value| test(value, &tally)) {
        Ok(()) => eprintln!("{name}: {cases} cases passed; outcomes (shrinking included): {tally}"),
        Err(TestError::Fail(why, input)) => {
            panic!("{name}: {why}\nminimal failing input: {input:#?}")
        }
        Err(TestError::Abort(why)) => panic!("{name}: aborted: {why}"),
    }
}

/// `result` with `input` added to a failure's reason: the bytes or text a
/// case sent, which its generated description only implies.
pub fn showing(result: TestCaseResult, input: impl std::fmt::Display) -> TestCaseResult {
    result.map_err(|e| match e {
        TestCaseError::Fail(why) => TestCaseError::fail(format!("{why}\ninput: {input}")),
        other => other,
    })
}

/// How often each outcome came up, to see that the generators reach both
/// the accepting and the refusing paths.
#[derive(Default)]
pub struct Tally(Mutex<BTreeMap<String, u64>>);

impl Tally {
    pub fn add(&self, outcome: impl Into<String>) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(outcome.into()).or_default() += 1;
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        write!(f, "{}", parts.join(", "))
    }
}

/// A host serving the API on loopback, with a runtime of its own so the
/// (synchronous) property closures can call it.
pub struct Api {
    app: Option<TestApp>,
    rt: Option<tokio::runtime::Runtime>,
    client: reqwest::Client,
}

impl Api {
    pub fn start() -> Api {
        Api::start_with(OperatorPolicy::default())
    }

    pub fn start_with(operator: OperatorPolicy) -> Api {
        Api::start_on(Api::runtime(), operator)
    }

    /// The runtime an [`Api`] runs on, for servers it must reach (a
    /// partner's) that have to exist before it starts.
    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime")
    }

    pub fn start_on(rt: tokio::runtime::Runtime, operator: OperatorPolicy) -> Api {
        let app = rt.block_on(lockgate_tests::spawn_app_with(operator));
        Api {
            app: Some(app),
            rt: Some(rt),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("a client"),
        }
    }

    pub fn app(&self) -> &TestApp {
        self.app.as_ref().expect("the app runs until dropped")
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.as_ref().expect("the runtime").block_on(f)
    }

    /// Sends a request; a connection broken before the answer (a panicking
    /// handler) fails the case.
    pub fn send(&self, request: Request) -> Result<Answer, TestCaseError> {
        let url = format!("{}{}", self.app().url, request.path);
        let mut builder = self.client.request(request.method.clone(), &url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.clone());
        }
        let what = format!("{} {}", request.method, request.path);
        let answer = self.block_on(async move {
            let response = builder.body(request.body).send().await?;
            let status = response.status().as_u16();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        });
        let (status, text) = answer.map_err(|e| {
            TestCaseError::fail(format!(
                "{what}: no answer ({e}); did the handler panic? See the test's output"
            ))
        })?;
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Answer { status, body, text })
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        let app = self.app.take();
        // Stop the workers before their database folder goes.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_secs(5));
        }
        drop(app);
    }
}

/// An HTTP request to the API.
pub struct Request {
    pub method: reqwest::Method,
    pub path: String,
    pub headers: Vec<(String, reqwest::header::HeaderValue)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: reqwest::Method, path: impl Into<String>) -> Request {
        Request {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn get(path: impl Into<String>) -> Request {
        Request::new(reqwest::Method::GET, path)
    }

    pub fn post(path: impl Into<String>, body: impl Into<Vec<u8>>) -> Request {
        let mut request = Request::new(reqwest::Method::POST, path);
        request.body = body.into();
        request
    }

    pub fn bearer(self, token: &str) -> Request {
        let value = format!("Bearer {token}")
            .parse()
            .expect("a token is a header value");
        self.header("authorization", value)
    }

    pub fn header(mut self, name: &str, value: reqwest::header::HeaderValue) -> Request {
        self.headers.push((name.to_string(), value));
        self
    }
}

/// An answer of the API.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// No server error; a refusal has the documented error shape:
    /// `{"error": {"code", "message", "fields"?}}`, each field named.
    pub fn checked(self) -> Result<Answer, TestCaseError> {
        if self.status >= 500 {
            return Err(TestCaseError::fail(format!(
                "server error {}: {}",
                self.status, self.text
            )));
        }
        if self.status >= 400 {
            let error = &self.body["error"];
            if !error["code"].is_string() || self.message().is_empty() {
                return Err(TestCaseError::fail(format!(
                    "{} without the error shape: {}",
                    self.status, self.text
                )));
            }
            for (field, message) in self.fields() {
                if field.trim().is_empty() || message.trim().is_empty() {
                    return Err(TestCaseError::fail(format!(
                        "a field problem without its field or message: {}",
                        self.text
                    )));
                }
            }
        }
        Ok(self)
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }

    /// `(field, message)` of each field problem.
    pub fn fields(&self) -> Vec<(String, String)> {
        self.body["error"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        let text = |k: &str| f[k].as_str().unwrap_or("").to_string();
                        (text("field"), text("message"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A tally key: the status and the error code.
    pub fn outcome(&self) -> String {
        match self.code() {
            "" => self.status.to_string(),
            code => format!("{} {code}", self.status),
        }
    }
}

/// A query string, `key=value&…`, percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}
