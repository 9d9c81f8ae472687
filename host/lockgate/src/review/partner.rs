//! The review partner: every host a connector under review was granted is
//! routed to it. It forwards to the partner's sandbox when one is given and
//! records both sides, or answers `200 {}` itself, so nothing reaches a real
//! partner. Also the sample configuration a review runs with.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use lockgate_manifest::{FieldType, Manifest};
use serde::Serialize;

use crate::installs::CheckedConfig;

/// Request bodies kept per exchange.
const BODY_BYTES: usize = 2048;

/// Recorded instead of the bodies of the host's OAuth2 sign-in.
const WITHHELD: &str = "(the host's OAuth2 sign-in: withheld)";

/// One request the connector made, as the review partner saw it, and
/// the answer it got.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    /// The host the connector addressed, and the path.
    pub url: String,
    /// Header names; values are left out, they may carry injected secrets.
    pub headers: Vec<String>,
    pub request_bytes: usize,
    /// The start of the body, as text.
    pub request_body: String,
    pub response_status: u16,
    /// The start of the answer, as text.
    pub response_body: String,
    /// Where the answer came from: the partner, or the recorder itself.
    pub answered_by: String,
}

#[derive(Clone)]
struct Partner {
    recording: Arc<Mutex<Vec<Exchange>>>,
    /// The partner's sandbox to forward to; `None` answers `200 {}`.
    upstream: Option<String>,
    client: reqwest::Client,
}

/// The review partner: records every request and either answers `200 {}`
/// itself or forwards to the partner's sandbox and records its answer.
pub struct ReviewPartner {
    pub addr: SocketAddr,
    partner: Partner,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReviewPartner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Hop-by-hop and routing headers that are not forwarded.
const NOT_FORWARDED: &[&str] = &["host", "connection", "content-length", "transfer-encoding"];

async fn answer(
    axum::extract::State(partner): axum::extract::State<Partner>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    // The host signing in (OAuth2 client credentials): the form may hold
    // the client secret and the answer holds the token; neither is kept.
    let sign_in = bytes.starts_with(b"grant_type=client_credentials");
    let (status, content_type, answer, answered_by) = match &partner.upstream {
        // The host's own OAuth2 token request gets a token, so the
        // connector's calls behind it can be reviewed.
        None if sign_in => (
            200,
            "application/json".to_string(),
            br#"{"access_token":"review-token","token_type":"Bearer","expires_in":3600}"#.to_vec(),
            "the review partner".to_string(),
        ),
        None => (
            200,
            "application/json".to_string(),
            b"{}".to_vec(),
            "the review partner".to_string(),
        ),
        Some(base) => {
            let mut forward = partner
                .client
                .request(
                    parts.method.clone(),
                    format!("{}{path}", base.trim_end_matches('/')),
                )
                .body(bytes.to_vec());
            for (name, value) in &parts.headers {
                if !NOT_FORWARDED.contains(&name.as_str()) {
                    forward = forward.header(name, value);
                }
            }
            match forward.send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let content_type = res
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("application/octet-stream")
                        .to_string();
                    let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                    (status, content_type, body, base.clone())
                }
                Err(e) => (
                    502,
                    "text/plain".to_string(),
                    format!("the partner's sandbox did not answer: {e}").into_bytes(),
                    "the review partner".to_string(),
                ),
            }
        }
    };
    let exchange = Exchange {
        method: parts.method.to_string(),
        url: format!("{host}{path}"),
        headers: parts.headers.keys().map(|k| k.to_string()).collect(),
        request_bytes: bytes.len(),
        request_body: if sign_in {
            WITHHELD.into()
        } else {
            crate::capabilities::outcomes::truncate(&String::from_utf8_lossy(&bytes), BODY_BYTES)
        },
        response_status: status,
        response_body: if sign_in {
            WITHHELD.into()
        } else {
            crate::capabilities::outcomes::truncate(&String::from_utf8_lossy(&answer), BODY_BYTES)
        },
        answered_by,
    };
    if let Ok(mut r) = partner.recording.lock() {
        r.push(exchange);
    }
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY),
        [(axum::http::header::CONTENT_TYPE, content_type)],
        answer,
    )
        .into_response()
}

impl ReviewPartner {
    /// Starts on loopback; `upstream` is the partner's sandbox, if any.
    pub async fn start(upstream: Option<String>) -> std::io::Result<ReviewPartner> {
        let partner = Partner {
            recording: Arc::default(),
            upstream,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .map_err(std::io::Error::other)?,
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(partner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ReviewPartner {
            addr,
            partner,
            task,
        })
    }

    /// Everything recorded so far, and a fresh start.
    pub fn take(&self) -> Vec<Exchange> {
        self.partner
            .recording
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

/// Sample values for every field: defaults where given, the review
/// partner's address for addresses, test values for secrets.
pub fn sample_config(manifest: &Manifest, partner: SocketAddr) -> CheckedConfig {
    let mut config = CheckedConfig::default();
    for field in &manifest.config {
        let value = match (&field.default, field.kind) {
            (Some(default), _) => default.clone(),
            (None, FieldType::Url) => format!("http://{partner}"),
            (None, FieldType::Hostname) => partner.to_string(),
            (None, FieldType::Boolean) => "false".into(),
            (None, FieldType::Integer) => "1".into(),
            (None, FieldType::Date) => {
                crate::time::date_text(crate::time::add_days(crate::time::today(), -30))
            }
            (None, FieldType::Enum) => field.options.first().cloned().unwrap_or_default(),
            (None, FieldType::String) if field.secret => format!("review-{}", field.key),
            (None, FieldType::String) if field.required => "review".into(),
            (None, FieldType::String) => continue,
        };
        if field.secret {
            config.secrets.insert(field.key.clone(), value);
        } else {
            config.public.insert(field.key.clone(), value);
        }
    }
    config
}
