//! The review partner: every host a connector under review was granted is
//! routed to it. It forwards to the partner's sandbox when one is given and
//! records both sides, or answers `200 {}` itself, so nothing reaches a real
//! partner. Also the sample configuration a review runs with.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use lockgate_manifest::{FieldType, Manifest};
use serde::Serialize;

use super::upstream::Upstream;
use crate::installs::CheckedConfig;

/// The access token the review partner hands out, and a review run of a
/// connector that needs an admin's sign-in holds.
pub const REVIEW_TOKEN: &str = "review-token";

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
    /// The vetting tenant's employee ids the whole request carried (path
    /// and body), for the checks.
    #[serde(skip)]
    pub employees: BTreeSet<String>,
    pub response_status: u16,
    /// The start of the answer, as text.
    pub response_body: String,
    /// Where the answer came from: the partner, or the recorder itself.
    pub answered_by: String,
    /// The injected credential the answer carried (it is blanked out of
    /// `response_body`), if it carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echoed_secret: Option<String>,
}

/// Employee ids (as the synthetic tenant writes them) in a text.
pub fn employee_ids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i + 7 <= bytes.len() {
        if bytes[i] == b'e'
            && bytes[i + 1] == b'-'
            && bytes[i + 2..i + 7].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 7).is_none_or(|b| !b.is_ascii_digit())
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        {
            out.insert(text[i..i + 7].to_string());
            i += 7;
        } else {
            i += 1;
        }
    }
    out
}

/// Credentials the host injects, watched for in every answer the connector
/// receives: label and value.
#[derive(Default)]
struct Watched {
    secrets: Vec<(String, String)>,
    /// Each credential that came back, with the first exchange it came
    /// back in.
    echoed: BTreeMap<String, String>,
}

/// Shorter values are not watched: they would match by chance.
const MIN_WATCHED: usize = 4;

impl Watched {
    fn add(&mut self, label: String, value: &str) {
        if value.len() >= MIN_WATCHED && !self.secrets.iter().any(|(_, v)| v == value) {
            self.secrets.push((label, value.to_string()));
        }
    }

    /// Every watched credential in `answer`, noted against `at`.
    fn find(&mut self, answer: &[u8], at: &str) -> Vec<(String, String)> {
        let found: Vec<(String, String)> = self
            .secrets
            .iter()
            .filter(|(_, v)| answer.windows(v.len()).any(|w| w == v.as_bytes()))
            .cloned()
            .collect();
        for (label, _) in &found {
            self.echoed
                .entry(label.clone())
                .or_insert_with(|| at.to_string());
        }
        found
    }
}

#[derive(Clone)]
struct Partner {
    recording: Arc<Mutex<Vec<Exchange>>>,
    watched: Arc<Mutex<Watched>>,
    /// The partner's sandbox to forward to; `None` answers `200 {}`.
    upstream: Option<Upstream>,
    /// An employee id whose records are rejected: a request that carries
    /// it is answered `422` and never forwarded.
    reject: Arc<Mutex<Option<String>>>,
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
    let rejected = (!sign_in)
        .then(|| {
            partner
                .reject
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        })
        .flatten()
        .filter(|id| {
            path.contains(id.as_str()) || bytes.windows(id.len()).any(|w| w == id.as_bytes())
        });
    let (status, content_type, answer, answered_by) = match (&partner.upstream, rejected) {
        (_, Some(id)) => (
            422,
            "application/json".to_string(),
            serde_json::json!({ "error": format!("rejected by the review: the record of {id} is incomplete") })
                .to_string()
                .into_bytes(),
            "the review partner".to_string(),
        ),
        // The host's own OAuth2 token request gets a token, so the
        // connector's calls behind it can be reviewed.
        (None, None) if sign_in => (
            200,
            "application/json".to_string(),
            format!(r#"{{"access_token":"{REVIEW_TOKEN}","token_type":"Bearer","expires_in":3600}}"#)
                .into_bytes(),
            "the review partner".to_string(),
        ),
        (None, None) => (
            200,
            "application/json".to_string(),
            b"{}".to_vec(),
            "the review partner".to_string(),
        ),
        (Some(upstream), None) => {
            let client = match &upstream.platform {
                None => Ok(partner.client.clone()),
                Some(allow_http) => super::upstream::client(&upstream.base, allow_http).await,
            };
            let forwarded = match client {
                Ok(client) => {
                    let mut forward = client
                        .request(
                            parts.method.clone(),
                            format!("{}{path}", upstream.base.trim_end_matches('/')),
                        )
                        .body(bytes.to_vec());
                    for (name, value) in &parts.headers {
                        if !NOT_FORWARDED.contains(&name.as_str()) {
                            forward = forward.header(name, value);
                        }
                    }
                    forward.send().await.map_err(|e| {
                        // On the platform the address is not shown.
                        let e = if upstream.platform.is_some() {
                            e.without_url()
                        } else {
                            e
                        };
                        format!("{} did not answer: {e}", upstream.shown())
                    })
                }
                Err(why) => Err(why),
            };
            match forwarded {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let content_type = res
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("application/octet-stream")
                        .to_string();
                    let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                    (status, content_type, body, upstream.shown())
                }
                Err(why) => (
                    502,
                    "text/plain".to_string(),
                    why.into_bytes(),
                    "the review partner".to_string(),
                ),
            }
        }
    };
    let mut response_text = String::from_utf8_lossy(&answer).into_owned();
    let mut echoed_secret = None;
    {
        let mut watched = partner.watched.lock().unwrap_or_else(|e| e.into_inner());
        if sign_in {
            // The access token the host sends on: watched like an injected
            // secret from now on.
            if let Some(token) = serde_json::from_slice::<serde_json::Value>(&answer)
                .ok()
                .and_then(|v| v["access_token"].as_str().map(String::from))
            {
                watched.add("the OAuth2 access token".into(), &token);
            }
        } else {
            for (label, value) in watched.find(&answer, &format!("{} {host}{path}", parts.method)) {
                // Never in the report: the exchange says which, not what.
                response_text = response_text.replace(&value, &format!("({label}: withheld)"));
                echoed_secret.get_or_insert(label);
            }
        }
    }
    let exchange = Exchange {
        method: parts.method.to_string(),
        url: format!("{host}{path}"),
        headers: parts.headers.keys().map(|k| k.to_string()).collect(),
        request_bytes: bytes.len(),
        employees: if sign_in {
            BTreeSet::new()
        } else {
            let mut ids = employee_ids(&path);
            ids.extend(employee_ids(&String::from_utf8_lossy(&bytes)));
            ids
        },
        request_body: if sign_in {
            WITHHELD.into()
        } else {
            crate::capabilities::outcomes::truncate(&String::from_utf8_lossy(&bytes), BODY_BYTES)
        },
        response_status: status,
        response_body: if sign_in {
            WITHHELD.into()
        } else {
            crate::capabilities::outcomes::truncate(&response_text, BODY_BYTES)
        },
        answered_by,
        echoed_secret,
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
    pub async fn start(upstream: Option<Upstream>) -> std::io::Result<ReviewPartner> {
        let partner = Partner {
            recording: Arc::default(),
            watched: Arc::default(),
            upstream,
            reject: Arc::default(),
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

    /// Watches every answer for `value`, a credential the host injects,
    /// named `label` in the report.
    pub fn watch(&self, label: String, value: &str) {
        self.partner
            .watched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(label, value);
    }

    /// Each watched credential an answer carried, with the first request
    /// (`METHOD host/path`) whose answer carried it.
    pub fn echoed(&self) -> BTreeMap<String, String> {
        self.partner
            .watched
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .echoed
            .clone()
    }

    /// Rejects every request that carries `employee_id` (in its path or
    /// body) with `422`, until called again with `None`.
    pub fn reject(&self, employee_id: Option<&str>) {
        *self
            .partner
            .reject
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = employee_id.map(String::from);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_text() {
        let ids = employee_ids(r#"{"externalId":"e-00012","x":"xe-00013","e-000145"}"#);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec!["e-00012"]);
    }
}
