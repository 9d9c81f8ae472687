//! OAuth2, done by the host for the connector.
//!
//! The connector never sees the client secret or a token. With client
//! credentials the egress asks the partner's token endpoint for a token
//! (through the same vetted route as any request), keeps it in a
//! process-wide cache until shortly before it expires, and adds it to
//! requests for the declared host. With the authorization-code flow the
//! admin signed in once (`crate::sign_in`); the run opens the install's
//! sealed tokens ([`SignedIn`]) and renews the access token with the
//! refresh token before it expires, storing what the partner hands back.
//! A 401 from the API host drops the token, so the next request gets a
//! fresh one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use lockgate_manifest::{ClientAuth, OAuthFlow};
use serde::Deserialize;

use crate::capabilities::transport::Route;

mod session;
use crate::policy::OAuthClient;
pub use session::{NOT_SIGNED_IN, SignedIn, Tokens, Vault, session};

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
    /// With the authorization-code flow the token is `signed_in`'s.
    pub async fn bearer(
        &self,
        client: &OAuthClient,
        signed_in: Option<&SignedIn>,
        route: &Route,
    ) -> Result<http::HeaderValue, String> {
        if client.flow == OAuthFlow::AuthorizationCode {
            return match signed_in {
                Some(session) => session.bearer(client, route).await,
                None => Err(NOT_SIGNED_IN.into()),
            };
        }
        let slot = self.slot(client);
        let mut token = slot.lock().await;
        if let Some(t) = token.as_ref()
            && Instant::now() < t.renew_at
        {
            return Ok(t.header.clone());
        }
        *token = None;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &client.scope {
            form.push(("scope", scope));
        }
        let granted = token_request(client, route, form)
            .await
            .map_err(TokenError::into_reason)?;
        let header = granted.header.clone();
        *token = Some(Token {
            header: granted.header,
            renew_at: renew_at(granted.lifetime),
        });
        Ok(header)
    }

    /// Drops `used` after the partner refused it; a newer token stays.
    pub async fn refused(
        &self,
        client: &OAuthClient,
        signed_in: Option<&SignedIn>,
        used: &http::HeaderValue,
    ) {
        if let Some(session) = signed_in {
            return session.expire(used).await;
        }
        let slot = self.slot(client);
        let mut token = slot.lock().await;
        if token.as_ref().is_some_and(|t| t.header == used) {
            *token = None;
        }
    }
}

/// What a token endpoint answers when it grants.
#[derive(Deserialize)]
struct Answer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct Refused {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// Tokens a token endpoint granted.
pub struct Granted {
    /// `Bearer …`, marked sensitive.
    pub header: http::HeaderValue,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub lifetime: Duration,
}

impl std::fmt::Debug for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Granted(tokens redacted, {} s)", self.lifetime.as_secs())
    }
}

/// Why a token request came back without tokens.
#[derive(Debug)]
pub enum TokenError {
    /// The endpoint answered and said no (a 4xx): the credentials, the
    /// code or the refresh token are not (or no longer) good.
    Refused(String),
    /// The endpoint could not be reached or answered something unusable;
    /// trying again later may work.
    Failed(String),
}

impl TokenError {
    pub fn into_reason(self) -> String {
        match self {
            TokenError::Refused(why) | TokenError::Failed(why) => why,
        }
    }
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Renew a little early so a token does not expire in flight.
pub(crate) fn renew_at(lifetime: Duration) -> Instant {
    let margin = (lifetime / 10).min(Duration::from_secs(30));
    Instant::now() + lifetime - margin
}

/// Posts `form` to `path` on `origin` with the client's credentials (as
/// the client authenticates at the token endpoint) and reads a bounded
/// answer: its status and body.
async fn post_form(
    client: &OAuthClient,
    route: &Route,
    origin: &lockgate_manifest::ResolvedHost,
    path: &str,
    mut form: Vec<(&str, &str)>,
) -> Result<(http::StatusCode, Bytes), String> {
    let url = format!("{origin}{path}");
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
        .map_err(|_| format!("{url} is not a valid URL"))?;

    let (response, io) = route
        .send(request, origin)
        .await
        .map_err(|e| format!("could not reach {url}: {e}"))?;
    let io = tokio::spawn(Box::into_pin(io));
    let status = response.status();
    let body = http_body_util::Limited::new(response.into_body(), MAX_TOKEN_RESPONSE)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| format!("{url} sent an unreadable answer: {e}"));
    io.abort();
    Ok((status, body?))
}

/// Asks the token endpoint for tokens with `grant` (the grant type and
/// its parameters).
pub async fn token_request(
    client: &OAuthClient,
    route: &Route,
    grant: Vec<(&str, &str)>,
) -> Result<Granted, TokenError> {
    let url = client.token_url();
    let (status, body) = post_form(client, route, &client.token_host, &client.token_path, grant)
        .await
        .map_err(|e| TokenError::Failed(format!("the token endpoint: {e}")))?;
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
        return Err(if status.is_client_error() {
            TokenError::Refused(why)
        } else {
            TokenError::Failed(why)
        });
    }
    let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
        TokenError::Failed(format!(
            "the token endpoint {url} answered without an access_token"
        ))
    })?;
    if let Some(kind) = &answer.token_type
        && !kind.eq_ignore_ascii_case("bearer")
    {
        return Err(TokenError::Failed(format!(
            "the token endpoint {url} issued a {} token; only Bearer tokens are supported",
            truncate(kind, 40)
        )));
    }
    let mut header = http::HeaderValue::try_from(format!("Bearer {}", answer.access_token))
        .map_err(|_| {
            TokenError::Failed(format!(
                "the token endpoint {url} issued a token that is not header text"
            ))
        })?;
    header.set_sensitive(true);
    let lifetime = answer
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    route.recorder.log(
        "info",
        &format!(
            "access token obtained from {url}, valid for {} s",
            lifetime.as_secs()
        ),
    );
    Ok(Granted {
        header,
        access_token: answer.access_token,
        refresh_token: answer.refresh_token.filter(|t| !t.is_empty()),
        lifetime,
    })
}

/// Revokes `token` at the partner's revocation endpoint (RFC 7009). An
/// answer of 200 is success; the error says what happened otherwise.
pub async fn revoke(
    client: &OAuthClient,
    route: &Route,
    token: &str,
    hint: &str,
) -> Result<(), String> {
    let Some((origin, path)) = &client.revoke else {
        return Err("the partner offers no way to revoke a sign-in".into());
    };
    let (status, _) = post_form(
        client,
        route,
        origin,
        path,
        vec![("token", token), ("token_type_hint", hint)],
    )
    .await?;
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("{origin}{path} answered {}", status.as_u16()))
    }
}

fn truncate(text: &str, max: usize) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).take(max).collect();
    clean
}
