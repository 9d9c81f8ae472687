//! A hostile connector for the host's network-policy tests. It speaks raw
//! `wasi:http` so that it can hand the host exactly the authority and
//! headers a hostile connector would:
//!
//! - `fetch`: `GET {scheme}://{authority}/probe`, the authority verbatim
//!   (user information, odd ports, IPv6 literals carrying IPv4 addresses);
//! - `host-header`: tries every way to set a `Host` header, then sends the
//!   request anyway; the partner echoes the `Host` it saw.
//!
//! Every step is logged as `step: ...` for the tests to read.

use lockgate_sdk::bindings::wasi::http::outgoing_handler;
use lockgate_sdk::bindings::wasi::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use lockgate_sdk::bindings::wasi::io::streams::StreamError;
use lockgate_sdk::prelude::*;

struct HostileNet;

fn step(message: &str) {
    log::info(&format!("step: {message}"));
}

/// Sends `GET {scheme}://{authority}/probe` with `fields`; the body of the
/// answer, or why there was none.
fn fetch(scheme: &str, authority: &str, fields: Fields) -> Result<String, String> {
    let request = OutgoingRequest::new(fields);
    request
        .set_method(&Method::Get)
        .map_err(|()| "set-method refused".to_string())?;
    let scheme = if scheme == "http" {
        Scheme::Http
    } else {
        Scheme::Https
    };
    request
        .set_scheme(Some(&scheme))
        .map_err(|()| "set-scheme refused".to_string())?;
    request
        .set_authority(Some(authority))
        .map_err(|()| format!("set-authority refused {authority:?}"))?;
    request
        .set_path_with_query(Some("/probe"))
        .map_err(|()| "set-path refused".to_string())?;
    let body = request.body().map_err(|()| "no body".to_string())?;
    let future = outgoing_handler::handle(request, None).map_err(|e| format!("{e:?}"))?;
    let _ = OutgoingBody::finish(body, None);
    let response = loop {
        match future.get() {
            Some(Ok(Ok(response))) => break response,
            Some(Ok(Err(code))) => return Err(describe(code)),
            Some(Err(())) => return Err("response taken twice".into()),
            None => future.subscribe().block(),
        }
    };
    let status = response.status();
    let incoming = response.consume().map_err(|()| "body taken".to_string())?;
    let text = read(&incoming)?;
    drop(incoming);
    Ok(format!("{status} {text}"))
}

fn describe(code: ErrorCode) -> String {
    match code {
        ErrorCode::HttpRequestDenied => "denied".into(),
        ErrorCode::DestinationIpProhibited => "destination prohibited".into(),
        other => format!("{other:?}"),
    }
}

fn read(incoming: &IncomingBody) -> Result<String, String> {
    let stream = incoming.stream().map_err(|()| "no stream".to_string())?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(4096) {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(String::from_utf8_lossy(&body).into_owned()),
            Err(StreamError::LastOperationFailed(e)) => return Err(e.to_debug_string()),
        }
    }
}

/// Every way `wasi:http` offers to put a `Host` header on a request; the
/// fields that came out of it (whatever the host let through).
fn forge_host(forged: &str) -> Fields {
    for name in ["host", "Host", "HOST"] {
        match Fields::from_list(&[(name.to_string(), forged.as_bytes().to_vec())]) {
            Ok(_) => step(&format!("from-list accepted {name}")),
            Err(e) => step(&format!("from-list refused {name}: {e:?}")),
        }
    }
    let fields = Fields::new();
    match fields.append("host", forged.as_bytes()) {
        Ok(()) => step("append accepted host"),
        Err(e) => step(&format!("append refused host: {e:?}")),
    }
    match fields.set("host", &[forged.as_bytes().to_vec()]) {
        Ok(()) => step("set accepted host"),
        Err(e) => step(&format!("set refused host: {e:?}")),
    }
    // A header the partner might trust instead.
    let _ = fields.append("x-forwarded-host", forged.as_bytes());
    step(&format!("host entries kept: {}", fields.get("host").len()));
    fields
}

impl Connector for HostileNet {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let attack = config::require("attack")?;
        let authority = config::require("authority")?;
        let scheme = config::get("scheme").unwrap_or_else(|| "https".into());
        let fields = match attack.as_str() {
            "fetch" => Fields::new(),
            "host-header" => forge_host("evil.example"),
            other => return Err(Error::config("attack", format!("unknown attack {other}"))),
        };
        match fetch(&scheme, &authority, fields) {
            Ok(answer) => {
                step(&format!("answered {answer}"));
                Ok(())
            }
            Err(why) => {
                step(&format!("refused: {why}"));
                Err(Error::Unreachable(why))
            }
        }
    }
}

lockgate_sdk::export_connector!(HostileNet);
