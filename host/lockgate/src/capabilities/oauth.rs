//! OAuth2 client credentials, done by the host for the connector.
//!
//! The connector never sees the client secret or the access token: the
//! egress asks the partner's token endpoint for a token (through the same
//! vetted route as any request), keeps it in a process-wide cache until
//! shortly before it expires, and adds it to requests for the declared
//! host. A 401 from that host drops the token, so the next request asks
//! for a fresh one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use lockgate_manifest::ClientAuth;
use serde::Deserialize;

use crate::capabilities::transport::Route;
use crate::policy::OAuthClient;

/// Token responses larger than this are refused.
const MAX_TOKEN_RESPONSE: usize = 64 << 10;
/// Used when the partner does not say how long a token lives.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

#[derive(Clone)]
struct Token {
    header: http::HeaderValue,
    renew_at: Instant,
}

/// The token of one set of credentials, if any; locked while fetching.
type Slot = Arc<tokio::sync::Mutex<Option<Token>>>;

/// Access tokens by credentials. One slot per client, so concurrent runs of
/// the same install ask the partner once.
#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<[u8; 32], Slot>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache(tokens redacted)")
    }
}

impl TokenCache {
    fn slot(&self, client: &OAuthClient) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.entry(client.cache_key).or_default().clone()
    }

    /// The `Authorization` value for the client's API host, fetching a token
    /// when there is none or it is about to expire. The error says why in
    /// words fit for the run log; it never holds the secret.
    pub async fn bearer(
        &self,
        client: &OAuthClient,
        route: &Route,
    ) -> Result<http::HeaderValue, String> {
        let slot = self.slot(client);
        let mut token = slot.lock().await;
        if let Some(t) = token.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.header.clone());
        }
        *token = None;
        let fresh = fetch(client, route).await?;
        let header = fresh.header.clone();
        *token = Some(fresh);
        Ok(header)
    }

    /// Drops `used` after the partner refused it; a newer token stays.
    pub async fn refused(&self, client: &OAuthClient, used: &http::HeaderValue) {
        let slot = self.slot(client);
        let mut token = slot.lock().await;
        if token.as_ref().is_some_and(|t| t.header == used) {
            *token = None;
        }
    }
}

#[derive(Deserialize)]
struct Granted {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Refused {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

async fn fetch(client: &OAuthClient, route: &Route) -> Result<Token, String> {
    let url = client.token_url();
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(scope) = &client.scope {
        form.push(("scope", scope));
    }
    let mut request = http::Request::builder()
        .method(http::Method::POST)
        .uri(url.as_str())
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(http::header::ACCEPT, "application/json");
    match client.client_auth {
        ClientAuth::Basic => {
            use base64::Engine;
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            let pair = format!(
                "{}:{}",
                encode(&client.client_id),
                encode(&client.client_secret)
            );
            let mut value = http::HeaderValue::try_from(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ))
            .map_err(|_| "the client id cannot be sent in a header".to_string())?;
            value.set_sensitive(true);
            request = request.header(http::header::AUTHORIZATION, value);
        }
        ClientAuth::Body => {
            form.push(("client_id", &client.client_id));
            form.push(("client_secret", &client.client_secret));
        }
    }
    let form: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let body = http_body_util::Full::new(Bytes::from(form))
        .map_err(|never| match never {})
        .boxed_unsync();
    let request = request
        .body(body)
        .map_err(|_| format!("the token endpoint {url} is not a valid URL"))?;

    let (response, io) = route
        .send(request, &client.token_host)
        .await
        .map_err(|e| format!("could not reach the token endpoint {url}: {e}"))?;
    let io = tokio::spawn(Box::into_pin(io));
    let status = response.status();
    let body = http_body_util::Limited::new(response.into_body(), MAX_TOKEN_RESPONSE)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| format!("the token endpoint {url} sent an unreadable answer: {e}"));
    io.abort();
    let body = body?;

    if !status.is_success() {
        let mut why = format!("the token endpoint {url} answered {}", status.as_u16());
        if let Ok(refused) = serde_json::from_slice::<Refused>(&body) {
            if let Some(error) = refused.error {
                why.push_str(&format!(": {}", truncate(&error, 80)));
            }
            if let Some(description) = refused.error_description {
                why.push_str(&format!(" ({})", truncate(&description, 160)));
            }
        }
        if status == http::StatusCode::UNAUTHORIZED || why.contains("invalid_client") {
            why.push_str("; check the client id and secret");
        }
        return Err(why);
    }
    let granted: Granted = serde_json::from_slice(&body)
        .map_err(|_| format!("the token endpoint {url} answered without an access_token"))?;
    if let Some(kind) = &granted.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(format!(
            "the token endpoint {url} issued a {} token; only Bearer tokens are supported",
            truncate(kind, 40)
        ));
    }
    let mut header = http::HeaderValue::try_from(format!("Bearer {}", granted.access_token))
        .map_err(|_| format!("the token endpoint {url} issued a token that is not header text"))?;
    header.set_sensitive(true);
    let lifetime = granted
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    // Renew a little early so a token does not expire in flight.
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    route.recorder.log(
        "info",
        &format!(
            "access token obtained from {url}, valid for {} s",
            lifetime.as_secs()
        ),
    );
    Ok(Token {
        header,
        renew_at: Instant::now() + lifetime - margin,
    })
}

fn truncate(text: &str, max: usize) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    clean
}
