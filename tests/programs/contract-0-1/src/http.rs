//! Outbound HTTP on the raw `wasi:http` bindings of the 0.1.0 world: a
//! small copy of what `sdk/src/http.rs` does, kept here because this
//! connector must not depend on the SDK (which follows the newest
//! contract). Blocking, whole bodies, no retries.

use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use crate::bindings::wasi::io::streams::StreamError;

/// Answers larger than this are not read to the end.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A response with its whole body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text, cut at 4 KiB (what the host keeps of a row's body).
    pub fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let mut end = text.len().min(4096);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text[..end].to_string()
    }
}

/// Sends `method url` with an optional JSON body; the text of the error
/// says why no answer came (the host's policy, the network, ...).
pub fn send(
    method: Method,
    url: &str,
    json: Option<&serde_json::Value>,
) -> Result<Response, String> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return Err(format!("{url:?} is no http(s) address"));
    };
    let split = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = if path.is_empty() { "/" } else { path };

    let body = json.map(|v| v.to_string().into_bytes()).unwrap_or_default();
    let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
    if json.is_some() {
        headers.push(("content-type".into(), b"application/json".to_vec()));
        headers.push(("content-length".into(), body.len().to_string().into_bytes()));
    }
    let fields = Fields::from_list(&headers).map_err(|e| format!("bad header: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let invalid = |_| format!("{url:?} is no valid address");
    request.set_method(&method).map_err(invalid)?;
    request.set_scheme(Some(&scheme)).map_err(invalid)?;
    request.set_authority(Some(authority)).map_err(invalid)?;
    request.set_path_with_query(Some(path)).map_err(invalid)?;
    let outgoing = request
        .body()
        .map_err(|_| "the request body was taken".to_string())?;

    let future = outgoing_handler::handle(request, None).map_err(describe)?;
    if !body.is_empty()
        && let Ok(stream) = outgoing.write()
    {
        for chunk in body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    // The partner may answer before reading the whole body; its answer is
    // what counts.
    let _ = OutgoingBody::finish(outgoing, None);

    let response = loop {
        match future.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => return Err(describe(code)),
            Some(Err(())) => return Err("the response was already taken".into()),
            None => future.subscribe().block(),
        }
    };
    let status = response.status();
    let incoming = response
        .consume()
        .map_err(|_| "the response body was taken".to_string())?;
    let body = read_body(&incoming)?;
    drop(incoming);
    Ok(Response { status, body })
}

fn read_body(incoming: &IncomingBody) -> Result<Vec<u8>, String> {
    let stream = incoming
        .stream()
        .map_err(|_| "the response body stream was taken".to_string())?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_RESPONSE_BYTES {
                    return Err("the answer is larger than 1 MiB".into());
                }
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
        }
    }
}

/// Why a request got no answer, for the run log and the admin.
fn describe(code: ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => "the host denied the request (host not granted)".into(),
        ErrorCode::DestinationIpProhibited => "the host denied the destination address".into(),
        ErrorCode::ConnectionLimitReached => "the run's request limit is reached".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => "timed out".into(),
        other => format!("{other:?}"),
    }
}

/// Percent-encodes `text` as one path segment.
pub fn segment(text: &str) -> String {
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
