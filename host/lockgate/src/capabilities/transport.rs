//! How an invocation's outbound request reaches a partner once the policy
//! let it through: the name resolved here, addresses that are not globally
//! reachable (the special-purpose registries in [`addresses`], IPv4 carried
//! in IPv6 included) refused unless the operator allowed that exact host,
//! metadata addresses always refused, the connection made to the vetted
//! address (no second lookup to rebind), the granted host as `Host` and TLS
//! server name, TLS with the public web PKI, clamped timeouts and a byte
//! budget on the answer. The OAuth2 sign-in uses the same route.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::capabilities::{Recorder, addresses};
use crate::policy::{Grant, Limits};
use crate::vocabulary::FailureKind;

/// How one invocation reaches a granted origin: through the review partner,
/// or to the vetted addresses of the name, with the clamped timeouts.
pub struct Route {
    pub grant: Arc<Grant>,
    pub recorder: Recorder,
    pub tls: Arc<rustls::ClientConfig>,
    pub timeouts: Timeouts,
    pub max_response_bytes: u64,
}

impl Route {
    /// Sends to a granted origin. Plain HTTP goes only where the operator
    /// allows it (or to the review partner).
    pub async fn send(
        &self,
        request: http::Request<WasiBody>,
        origin: &lockgate_manifest::ResolvedHost,
    ) -> Result<
        (
            http::Response<WasiBody>,
            Box<dyn Future<Output = Result<(), HttpError>> + Send>,
        ),
        HttpError,
    > {
        // A host the operator allows over plain HTTP is a local partner
        // without TLS; anything else speaks the origin's scheme.
        let https = origin.scheme == lockgate_manifest::hosts::Scheme::Https
            && !self
                .grant
                .operator
                .is_insecure_allowed(&origin.host, origin.port);
        if !https && !self.grant.plain_http_allowed(&origin.host, origin.port) {
            return Err(HttpError::HttpRequestDenied);
        }
        self.send_to(
            request,
            &origin.host,
            origin.port,
            https,
            &origin.to_string(),
        )
        .await
    }

    pub async fn send_to(
        &self,
        request: http::Request<WasiBody>,
        host: &str,
        port: u16,
        https: bool,
        target: &str,
    ) -> Result<
        (
            http::Response<WasiBody>,
            Box<dyn Future<Output = Result<(), HttpError>> + Send>,
        ),
        HttpError,
    > {
        let recorder = self.recorder.clone();
        // The partner sees the granted host, never what the connector wrote.
        let mut request = request;
        let granted = host_header(host, port, https).ok_or(HttpError::HttpRequestUriInvalid)?;
        request.headers_mut().remove(http::header::HOST);
        request.headers_mut().insert(http::header::HOST, granted);
        let path = request.uri().path().to_string();
        let method = request.method().clone();
        if let Some(partner) = self.grant.operator.review_partner {
            recorder.log(
                "debug",
                &format!("{method} {target}{path} (answered by the review partner)"),
            );
            return send(
                request,
                host,
                &[partner],
                None,
                self.timeouts,
                recorder,
                self.max_response_bytes,
            )
            .await;
        }
        let operator_allowed = self.grant.operator.is_insecure_allowed(host, port);
        let addrs = resolve(host, port, self.timeouts.connect)
            .await
            .inspect_err(|_| {
                recorder.log(
                    "warn",
                    &format!("request to {target}: could not resolve {host}"),
                );
            })?;
        let mut vetted = Vec::new();
        for addr in addrs {
            match addresses::check(addr.ip()) {
                Err(refusal) if refusal.metadata || !operator_allowed => {
                    recorder.deny(format!(
                        "request to {target} denied: {host} resolves to {} {refusal}",
                        addr.ip()
                    ));
                }
                _ => vetted.push(addr),
            }
        }
        if vetted.is_empty() {
            return Err(HttpError::DestinationIpProhibited);
        }
        recorder.log("debug", &format!("{method} {target}{path}"));
        send(
            request,
            host,
            &vetted,
            https.then(|| self.tls.clone()),
            self.timeouts,
            recorder,
            self.max_response_bytes,
        )
        .await
    }
}

/// The `host[:port]` of an outgoing request's authority, checked: no user
/// information, a DNS name or an IP literal (IPv6 in brackets) and a port
/// written as plain digits. The host comes back lower-cased, IPv6 without
/// brackets. The error says what was wrong.
pub fn outgoing_authority(authority: &str) -> Result<(String, Option<u16>), String> {
    if let Some(at) = authority.rfind('@') {
        return Err(format!(
            "the authority carries user information ({:?}); only host[:port] is allowed",
            &authority[..=at]
        ));
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (literal, after) = rest
            .split_once(']')
            .ok_or("the authority has an unclosed [")?;
        if literal.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!(
                "{literal:?} in brackets is not an IPv6 address (zones and other forms are not allowed)"
            ));
        }
        match after {
            "" => (literal, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (literal, Some(port)),
                None => return Err(format!("{after:?} after the IPv6 address is not a port")),
            },
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            let canonical = !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && !p.starts_with('0');
            match p.parse::<u16>() {
                Ok(n) if canonical => Some(n),
                _ => {
                    return Err(format!(
                        "port {p:?} is not a number from 1 to 65535 in plain digits"
                    ));
                }
            }
        }
    };
    let is_name = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !authority.starts_with('[') && !is_name {
        return Err(format!(
            "{host:?} is not a host name or IPv4 address (letters, digits, '-' and '.' only)"
        ));
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// The `Host` a partner sees: the granted host, with the port unless it is
/// the scheme's default, whatever the connector put in its request.
pub fn host_header(host: &str, port: u16, https: bool) -> Option<http::HeaderValue> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    let default = if https { 443 } else { 80 };
    let value = if port == default {
        host
    } else {
        format!("{host}:{port}")
    };
    http::HeaderValue::from_str(&value).ok()
}

async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<Vec<SocketAddr>, HttpError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(HttpError::DnsTimeout),
        Ok(Err(_)) => Err(HttpError::DnsError {
            rcode: Some("NXDOMAIN".into()),
            info_code: None,
        }),
        Ok(Ok(addrs)) => Ok(addrs.collect()),
    }
}

/// The timeouts of one request, clamped to the run's limits.
#[derive(Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Duration,
    pub between_bytes: Duration,
}

trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static> Stream for T {}

async fn send(
    mut request: http::Request<WasiBody>,
    host: &str,
    addrs: &[SocketAddr],
    tls: Option<Arc<rustls::ClientConfig>>,
    timeouts: Timeouts,
    recorder: Recorder,
    max_response_bytes: u64,
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
> {
    let mut last_error = HttpError::ConnectionRefused;
    let mut tcp = None;
    for addr in addrs {
        match tokio::time::timeout(timeouts.connect, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                tcp = Some(stream);
                break;
            }
            Ok(Err(e)) => last_error = HttpError::Connect(e),
            Err(_) => last_error = HttpError::ConnectionTimeout,
        }
    }
    let Some(tcp) = tcp else {
        return Err(last_error);
    };
    let _ = tcp.set_nodelay(true);

    let stream: Box<dyn Stream> = match tls {
        Some(config) => {
            let name = rustls::pki_types::ServerName::try_from(host.to_string())
                .map_err(|_| HttpError::HttpRequestUriInvalid)?;
            let connector = tokio_rustls::TlsConnector::from(config);
            let stream = tokio::time::timeout(timeouts.connect, connector.connect(name, tcp))
                .await
                .map_err(|_| HttpError::ConnectionTimeout)?
                .map_err(HttpError::Tls)?;
            Box::new(stream)
        }
        None => Box::new(tcp),
    };

    let (mut sender, conn) = tokio::time::timeout(
        timeouts.connect,
        hyper::client::conn::http1::handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)??;

    // The request line carries only the path: the host is in the Host header.
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let mut conn = Box::pin(conn);
    let response = {
        let send = tokio::time::timeout(timeouts.first_byte, sender.send_request(request));
        tokio::pin!(send);
        tokio::select! {
            biased;
            res = &mut send => res.map_err(|_| HttpError::ConnectionReadTimeout)??,
            done = &mut conn => {
                done?;
                // The connection ended cleanly; the response must be ready.
                send.await.map_err(|_| HttpError::ConnectionReadTimeout)??
            }
        }
    };
    let (parts, incoming) = response.into_parts();
    // The answer's headers become a header map the host keeps for the
    // connector: bounded like the maps the connector makes itself.
    let header_bytes = response_header_bytes(&parts.headers);
    if header_bytes > MAX_RESPONSE_HEADER_BYTES {
        recorder.deny(format!(
            "answer from {host} refused: its headers take {header_bytes} bytes; at most {}",
            Limits::human_bytes(MAX_RESPONSE_HEADER_BYTES as u64)
        ));
        return Err(HttpError::HttpResponseHeaderSectionSize(
            u32::try_from(header_bytes).ok(),
        ));
    }
    let body = LimitedBody {
        inner: incoming,
        recorder,
        max_total: max_response_bytes,
        idle: Box::pin(tokio::time::sleep(timeouts.between_bytes)),
        between_bytes: timeouts.between_bytes,
    };
    let response = http::Response::from_parts(parts, body.boxed_unsync());
    let io: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
        Box::new(async move { conn.await.map_err(HttpError::from) });
    Ok((response, io))
}

/// The most header bytes (names and values) an answer may carry: the same
/// bound as a header map the connector builds.
pub const MAX_RESPONSE_HEADER_BYTES: usize = crate::capabilities::host_objects::FIELD_SIZE_LIMIT;

/// Bytes of an answer's header names and values.
fn response_header_bytes(headers: &http::HeaderMap) -> usize {
    headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum()
}

/// A response body that counts against the invocation's byte budget and
/// fails when the partner stalls between chunks.
struct LimitedBody {
    inner: hyper::body::Incoming,
    recorder: Recorder,
    max_total: u64,
    idle: Pin<Box<tokio::time::Sleep>>,
    between_bytes: Duration,
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let total = self.recorder.add_response_bytes(data.len() as u64);
                    if total > self.max_total {
                        let reason = format!(
                            "response size limit {} reached",
                            Limits::human_bytes(self.max_total)
                        );
                        self.recorder.deny(reason.clone());
                        self.recorder.fatal(FailureKind::Limit, reason);
                        return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                            total,
                        )))));
                    }
                }
                let deadline = tokio::time::Instant::now() + self.between_bytes;
                self.idle.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(HttpError::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.idle.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// TLS settings for partner connections: the public web PKI.
pub fn tls_config() -> Arc<rustls::ClientConfig> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    match config {
        Ok(config) => Arc::new(config),
        // The ring provider supports the default versions; this cannot fail
        // in practice, and a host without TLS would refuse every request.
        Err(e) => panic!("TLS configuration: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn authorities_are_host_and_port_only() {
        let ok = [
            ("partner.example", ("partner.example", None)),
            ("Partner.Example:8443", ("partner.example", Some(8443))),
            ("127.0.0.1:9", ("127.0.0.1", Some(9))),
            ("[::1]", ("::1", None)),
            ("[2001:DB8::1]:443", ("2001:db8::1", Some(443))),
        ];
        for (authority, (host, port)) in ok {
            assert_eq!(
                outgoing_authority(authority),
                Ok((host.to_string(), port)),
                "{authority}"
            );
        }
        let bad = [
            ("evil.example@partner:443", "user information"),
            ("user:pass@partner", "user information"),
            ("@partner", "user information"),
            ("a@b@partner", "user information"),
            ("partner:", "port"),
            ("partner:+443", "port"),
            ("partner:0443", "port"),
            ("partner:0", "port"),
            ("partner:65536", "port"),
            ("partner:443:443", "port"),
            ("%70artner", "not a host name"),
            ("part$ner", "not a host name"),
            ("partner..example", "not a host name"),
            ("", "not a host name"),
            ("[::1%25lo]", "not an IPv6 address"),
            ("[v1.x]", "not an IPv6 address"),
            ("[::1", "unclosed"),
            ("[::1]x", "not a port"),
        ];
        for (authority, why) in bad {
            let err = outgoing_authority(authority).unwrap_err();
            assert!(err.contains(why), "{authority}: {err}");
        }
    }

    #[test]
    fn the_host_header_is_the_granted_host() {
        let h = |host, port, https| host_header(host, port, https).unwrap();
        assert_eq!(h("partner.example", 443, true), "partner.example");
        assert_eq!(h("partner.example", 80, false), "partner.example");
        assert_eq!(h("partner.example", 80, true), "partner.example:80");
        assert_eq!(h("127.0.0.1", 8080, false), "127.0.0.1:8080");
        assert_eq!(h("::1", 443, true), "[::1]");
        assert_eq!(h("::1", 9, true), "[::1]:9");
    }

    fn route(host: &str, port: u16) -> Route {
        let operator = crate::policy::OperatorPolicy {
            insecure_hosts: BTreeSet::from([(host.to_string(), port)]),
            ..Default::default()
        };
        Route {
            grant: Arc::new(Grant {
                hosts: Vec::new(),
                operator,
                scopes: Vec::new(),
                absence_window: None,
                attendance_window: None,
                secrets: Vec::new(),
                oauth: None,
            }),
            recorder: Recorder::new(1 << 16),
            tls: tls_config(),
            timeouts: Timeouts {
                connect: Duration::from_secs(5),
                first_byte: Duration::from_secs(5),
                between_bytes: Duration::from_secs(5),
            },
            max_response_bytes: 1 << 20,
        }
    }

    /// What a connector could hand over if wasi:http let it: a forged
    /// `Host` (twice) and user information in the URI.
    fn forged_request(port: u16) -> http::Request<WasiBody> {
        http::Request::builder()
            .uri(format!("http://evil.example@127.0.0.1:{port}/probe"))
            .header(http::header::HOST, "evil.example")
            .header(http::header::HOST, "evil.example:443")
            .body(
                http_body_util::Empty::<Bytes>::new()
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .unwrap()
    }

    /// A loopback partner over plain HTTP sees exactly one `Host`: the
    /// granted one.
    #[tokio::test]
    async fn the_partner_sees_the_granted_host() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let partner = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                head.extend_from_slice(&buf[..n]);
            }
            stream
                .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8(head).unwrap()
        });
        let route = route("127.0.0.1", port);
        let (response, _io) = route
            .send_to(forged_request(port), "127.0.0.1", port, false, "test")
            .await
            .unwrap();
        assert_eq!(response.status(), 204);
        let head = partner.await.unwrap();
        let hosts: Vec<&str> = head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("host:"))
            .collect();
        assert_eq!(hosts, [format!("host: 127.0.0.1:{port}")], "{head}");
        assert!(!head.contains("evil"), "{head}");
        assert!(head.starts_with("GET /probe HTTP/1.1\r\n"), "{head}");
    }

    /// Over TLS the server name (SNI) is the granted host too. The loopback
    /// server reads the ClientHello and hangs up.
    #[tokio::test]
    async fn the_tls_server_name_is_the_granted_host() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let partner = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut acceptor = rustls::server::Acceptor::default();
            loop {
                acceptor.read_tls(&mut stream).unwrap();
                if let Some(accepted) = acceptor.accept().map_err(|(e, _)| e).unwrap() {
                    return accepted.client_hello().server_name().map(str::to_string);
                }
            }
        });
        // `localhost` may resolve to ::1 first; nothing listens there, and
        // the route goes on to 127.0.0.1.
        let route = route("localhost", port);
        let sent = route
            .send_to(forged_request(port), "localhost", port, true, "test")
            .await;
        assert!(
            sent.is_err(),
            "the test server never finishes the handshake"
        );
        assert_eq!(partner.join().unwrap().as_deref(), Some("localhost"));
    }
}
