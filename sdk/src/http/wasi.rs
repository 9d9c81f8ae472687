//! Requests over the host's `wasi:http`: what a connector's requests are in
//! a component.

use super::{HttpError, MAX_RESPONSE_BYTES, Request, Response};
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, OutgoingBody, OutgoingRequest, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;

/// How the host marks a failed OAuth2 sign-in in `internal-error`.
const SIGN_IN: &str = "sign-in: ";

fn from_code(code: ErrorCode) -> HttpError {
    match code {
        ErrorCode::HttpRequestDenied => HttpError::Denied("host not granted or not allowed".into()),
        ErrorCode::DestinationIpProhibited => {
            HttpError::Denied("destination address prohibited".into())
        }
        ErrorCode::ConnectionLimitReached => HttpError::Denied("request limit reached".into()),
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout
        | ErrorCode::DnsTimeout => HttpError::Timeout,
        ErrorCode::HttpResponseBodySize(_) => HttpError::TooLarge,
        ErrorCode::HttpRequestUriInvalid => HttpError::InvalidUrl("rejected by the host".into()),
        ErrorCode::ConnectionRefused => HttpError::Connection("connection refused".into()),
        ErrorCode::DnsError(e) => {
            HttpError::Connection(format!("DNS error {}", e.rcode.unwrap_or_default()))
        }
        ErrorCode::InternalError(Some(why)) if why.starts_with(SIGN_IN) => {
            HttpError::SignIn(why[SIGN_IN.len()..].to_string())
        }
        other => HttpError::Connection(format!("{other:?}")),
    }
}

pub(super) fn send_once(req: &Request) -> Result<Response, HttpError> {
    let target = req.target()?;
    let scheme = if target.https {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let (authority, path) = (target.authority, target.path);

    let mut entries: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.as_bytes().to_vec()))
        .collect();
    if !req.body.is_empty() && !req.headers.iter().any(|(k, _)| k == "content-length") {
        entries.push((
            "content-length".into(),
            req.body.len().to_string().into_bytes(),
        ));
    }
    let fields = Fields::from_list(&entries)
        .map_err(|e| HttpError::Protocol(format!("bad header: {e:?}")))?;
    let request = OutgoingRequest::new(fields);
    let invalid = |_| HttpError::InvalidUrl(req.url.clone());
    request.set_method(&req.method).map_err(invalid)?;
    request.set_scheme(Some(&scheme)).map_err(invalid)?;
    request.set_authority(Some(authority)).map_err(invalid)?;
    request.set_path_with_query(Some(&path)).map_err(invalid)?;
    let outgoing = request
        .body()
        .map_err(|_| HttpError::Protocol("request body taken".into()))?;

    let future = outgoing_handler::handle(request, None).map_err(from_code)?;
    write_body(&outgoing, &req.body);
    // A server may answer before reading the whole body; its answer is
    // what counts, so a failure to finish the body is not reported here.
    let _ = OutgoingBody::finish(outgoing, None);

    let response = loop {
        match future.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => return Err(from_code(code)),
            Some(Err(())) => return Err(HttpError::Protocol("response already taken".into())),
            None => future.subscribe().block(),
        }
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response
        .consume()
        .map_err(|_| HttpError::Protocol("body taken".into()))?;
    let body = read_body(&incoming)?;
    drop(incoming);
    Ok(Response {
        status,
        headers,
        body,
        retries: 0,
    })
}

fn write_body(outgoing: &OutgoingBody, body: &[u8]) {
    if body.is_empty() {
        return;
    }
    let Ok(stream) = outgoing.write() else { return };
    for chunk in body.chunks(4096) {
        if stream.blocking_write_and_flush(chunk).is_err() {
            break;
        }
    }
}

fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, HttpError> {
    let stream = incoming
        .stream()
        .map_err(|_| HttpError::Protocol("body stream taken".into()))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_RESPONSE_BYTES {
                    return Err(HttpError::TooLarge);
                }
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(HttpError::Connection(e.to_debug_string()));
            }
        }
    }
}

/// Blocks the instance for `d` (the host's deadline still counts).
pub(super) fn sleep(d: std::time::Duration) {
    if d.is_zero() {
        return;
    }
    let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    crate::bindings::wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
}
