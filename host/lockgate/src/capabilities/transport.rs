//! How an invocation's outbound request reaches a partner once the policy
//! let it through: the name resolved here, addresses in loopback, private,
//! link-local, CGNAT and metadata ranges refused unless the operator allowed
//! that exact host, the connection made to the vetted address (no second
//! lookup to rebind), TLS with the public web PKI, clamped timeouts and a
//! byte budget on the answer. The OAuth2 sign-in uses the same route.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
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

use crate::capabilities::Recorder;
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
            match prohibited_range(addr.ip()) {
                Some(range) if range == "a cloud metadata address" || !operator_allowed => {
                    recorder.deny(format!(
                        "request to {target} denied: {host} resolves to {} ({range})",
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

/// Why an address may not be contacted, if it may not.
pub fn prohibited_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => prohibited_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return prohibited_v4(v4).map(|_| "an IPv4-mapped private or reserved address");
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if seg[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if seg[0] & 0xff00 == 0xff00 {
                Some("multicast")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b {
                // NAT64 wraps an IPv4 address: judge that one.
                let v4 = Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                );
                prohibited_v4(v4).map(|_| "a NAT64-wrapped private or reserved address")
            } else if seg[0] == 0x2002 {
                Some("6to4 (may wrap a private address)")
            } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
                Some("documentation")
            } else {
                None
            }
        }
    }
}

fn prohibited_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("a cloud metadata address")
    } else if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        Some("shared address space (CGNAT)")
    } else if o[0] == 0 {
        Some("unspecified")
    } else if ip.is_broadcast()
        || ip.is_multicast()
        || o[0] >= 240
        || ip.is_documentation()
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
    {
        Some("reserved")
    } else {
        None
    }
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
    use super::*;

    #[test]
    fn ranges() {
        let bad = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "255.255.255.255",
        ];
        for ip in bad {
            assert!(
                prohibited_range(ip.parse().unwrap()).is_some(),
                "{ip} should be refused"
            );
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert_eq!(prohibited_range(ip.parse().unwrap()), None, "{ip}");
        }
        assert_eq!(
            prohibited_range("169.254.169.254".parse().unwrap()),
            Some("a cloud metadata address")
        );
    }
}
