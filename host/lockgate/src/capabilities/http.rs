//! Outbound HTTP (`wasi:http/outgoing-handler`) under the install's grant.
//!
//! Every request passes [`Egress::send_request`]: the scheme, host and port
//! must be granted (plain HTTP only where the operator allows it), the
//! authority must be plain `host[:port]` (no user information), the name
//! is resolved here and addresses that are not globally reachable are
//! refused unless the operator allowed that exact host (metadata addresses
//! always), and the connection goes to the vetted address (no second lookup
//! to rebind) with the granted host as `Host` and TLS server name. Secrets
//! are injected here; timeouts are clamped; redirects are returned to the
//! connector, never followed. Every refusal is logged.

use std::sync::Arc;
use std::time::Duration;

use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use crate::capabilities::Recorder;
use crate::capabilities::oauth::TokenCache;
use crate::capabilities::transport::{Route, Timeouts, outgoing_authority};
use crate::policy::{Grant, Limits};
use crate::vocabulary::FailureKind;

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

/// The outbound-HTTP policy of one invocation.
pub struct Egress {
    pub grant: Arc<Grant>,
    pub limits: Limits,
    pub recorder: Recorder,
    pub tls: Arc<rustls::ClientConfig>,
    pub tokens: Arc<TokenCache>,
    /// The admin's sign-in, when the connector signs in by authorization
    /// code.
    pub sign_in: Option<Arc<crate::capabilities::oauth::SignedIn>>,
}

fn denied(reason: String, recorder: &Recorder, error: HttpError) -> SendFuture {
    recorder.deny(reason);
    Box::new(async move { Err(error) })
}

fn origin(scheme: &str, host: &str, port: u16) -> String {
    let default = if scheme == "https" { 443 } else { 80 };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if port == default {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

impl WasiHttpHooks for Egress {
    /// Smaller than wasmtime's 1 MiB, so an unsent body holds at most two
    /// chunks (see `host_objects`).
    fn p2_outgoing_body_chunk_size(&mut self) -> usize {
        crate::capabilities::host_objects::BODY_CHUNK_BYTES
    }

    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        // A run that hit a fatal limit sends nothing more and records
        // nothing more: refused at once, only counted.
        if self.recorder.refuse_after_fatal() {
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }
        let uri = request.uri().clone();
        let scheme = uri.scheme_str().unwrap_or("https").to_ascii_lowercase();
        // Every attempt counts, refused ones too, so a connector cannot
        // spin on requests the policy turns down.
        let count = self.recorder.count_request();
        if count > self.limits.max_requests {
            let reason = format!("request limit {} reached", self.limits.max_requests);
            self.recorder.fatal(FailureKind::Limit, reason.clone());
            let shown: String = uri.to_string().chars().take(100).collect();
            return denied(
                format!("request to {shown} denied: {reason}"),
                &self.recorder,
                HttpError::ConnectionLimitReached,
            );
        }
        let Some(authority) = uri.authority().map(|a| a.as_str()) else {
            return denied(
                "request without a host denied".into(),
                &self.recorder,
                HttpError::HttpRequestUriInvalid,
            );
        };
        // Only `host[:port]`: user information or odd spellings could make
        // the partner see another host than the one granted.
        let (host, explicit_port) = match outgoing_authority(authority) {
            Ok(parsed) => parsed,
            Err(why) => {
                let shown: String = authority.chars().take(100).collect();
                return denied(
                    format!("request to {scheme}://{shown} denied: {why}"),
                    &self.recorder,
                    HttpError::HttpRequestDenied,
                );
            }
        };
        let tls = match scheme.as_str() {
            "https" => true,
            "http" => false,
            other => {
                return denied(
                    format!("request to {other}://{host} denied: only https is allowed"),
                    &self.recorder,
                    HttpError::HttpRequestDenied,
                );
            }
        };
        let port = explicit_port.unwrap_or(if tls { 443 } else { 80 });
        let target = origin(&scheme, &host, port);

        if !self
            .grant
            .hosts
            .iter()
            .any(|h| h.host == host && h.port == port)
        {
            return denied(
                format!("request to {target} denied: host not granted"),
                &self.recorder,
                HttpError::HttpRequestDenied,
            );
        }
        if !tls && !self.grant.plain_http_allowed(&host, port) {
            return denied(
                format!("request to {target} denied: plain HTTP is not allowed, use https"),
                &self.recorder,
                HttpError::HttpRequestDenied,
            );
        }

        // The host's secrets replace whatever the connector put there.
        for secret in self
            .grant
            .secrets
            .iter()
            .filter(|s| s.host == host && s.port == port)
        {
            request
                .headers_mut()
                .insert(secret.header.clone(), secret.value.clone());
        }
        let oauth = self
            .grant
            .oauth
            .clone()
            .filter(|o| o.api_host.host == host && o.api_host.port == port);
        if oauth.is_some() {
            request.headers_mut().remove(http::header::AUTHORIZATION);
        }

        let clamp = |asked: Option<Duration>, max: Duration| asked.map_or(max, |d| d.min(max));
        let route = Route {
            grant: self.grant.clone(),
            recorder: self.recorder.clone(),
            tls: self.tls.clone(),
            timeouts: Timeouts {
                connect: clamp(
                    options.and_then(|o| o.connect_timeout),
                    self.limits.connect_timeout,
                ),
                first_byte: clamp(
                    options.and_then(|o| o.first_byte_timeout),
                    self.limits.first_byte_timeout,
                ),
                between_bytes: clamp(
                    options.and_then(|o| o.between_bytes_timeout),
                    self.limits.between_bytes_timeout,
                ),
            },
            max_response_bytes: self.limits.max_response_bytes,
        };
        let tokens = self.tokens.clone();
        let sign_in = self.sign_in.clone();
        Box::new(async move {
            let bearer = match &oauth {
                None => None,
                Some(client) => match tokens.bearer(client, sign_in.as_deref(), &route).await {
                    Ok(bearer) => {
                        request
                            .headers_mut()
                            .insert(http::header::AUTHORIZATION, bearer.clone());
                        Some(bearer)
                    }
                    Err(why) => {
                        route
                            .recorder
                            .log("error", &format!("request to {target} not sent: {why}"));
                        route.recorder.sign_in_failed(&why);
                        // The SDK reads this prefix as a failed sign-in.
                        return Err(HttpError::InternalError(Some(format!("sign-in: {why}"))));
                    }
                },
            };
            let sent = route.send_to(request, &host, port, tls, &target).await;
            if let (Ok((response, _)), Some(client), Some(bearer)) = (&sent, &oauth, &bearer)
                && response.status() == http::StatusCode::UNAUTHORIZED
            {
                tokens.refused(client, sign_in.as_deref(), bearer).await;
                route.recorder.log(
                    "warn",
                    &format!("{target} refused the access token; the next request gets a new one"),
                );
            }
            sent
        })
    }
}
