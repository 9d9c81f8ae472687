//! Objects the host keeps on the connector's behalf: every `wasi:http`
//! header map, request, response, body and stream and every `wasi:io`
//! pollable lives in the invocation's resource table, in host memory,
//! outside the guest's linear-memory cap. They are counted and bounded
//! against the run's memory budget.
//!
//! The arithmetic: each table entry holds at most [`HOST_OBJECT_BYTES`]
//! (128 KiB) the guest can choose the size of:
//! - a header map: at most [`FIELD_SIZE_LIMIT`] (32 KiB, wasmtime's own
//!   accounting of names, values and their in-memory structures);
//! - an outgoing request: its header map (32 KiB), its path (the `http`
//!   crate refuses more than 64 KiB), its authority (at most
//!   [`MAX_AUTHORITY_BYTES`]) and method (at most [`MAX_METHOD_BYTES`]):
//!   under 98 KiB;
//! - an outgoing body: its unsent buffer, two chunks of
//!   [`BODY_CHUNK_BYTES`] (32 KiB): 64 KiB;
//! - streams, pollables, options, futures: a few hundred bytes.
//!
//! [`max_host_objects`] allows `memory_bytes / 128 KiB` entries (512 for
//! the default 64 MiB), at least [`MIN_HOST_OBJECTS`]: the host holds at
//! most about as much for the connector as the connector's own memory
//! limit (or 32 MiB, for small limits). The SDK needs about ten objects
//! per request in flight.

use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTableError};
use wasmtime_wasi_http::p2::bindings::http::types::{HostOutgoingRequest as _, Method};
use wasmtime_wasi_http::p2::types::HostOutgoingRequest;
use wasmtime_wasi_http::{FieldMapError, WasiHttpView};

use crate::capabilities::Invocation;
use crate::policy::Limits;
use crate::vocabulary::{Failure, FailureKind};

/// Bound of what one table entry holds, for the budget above.
pub const HOST_OBJECT_BYTES: u64 = 128 << 10;
/// Fewest entries a run is given, whatever its memory limit.
pub const MIN_HOST_OBJECTS: usize = 256;
/// One header map (`fields`), by wasmtime's accounting; HTTP servers and
/// proxies accept 8 to 16 KiB of headers on the wire.
pub const FIELD_SIZE_LIMIT: usize = 32 << 10;
/// Chunk of an outgoing body; an unsent body buffers two.
pub const BODY_CHUNK_BYTES: usize = 32 << 10;
/// An outgoing request's authority (`host[:port]`; a DNS name is at most
/// 253 bytes).
pub const MAX_AUTHORITY_BYTES: usize = 1024;
/// An outgoing request's method.
pub const MAX_METHOD_BYTES: usize = 64;

/// Resource-table entries one invocation may hold at once.
pub fn max_host_objects(limits: &Limits) -> usize {
    usize::try_from(limits.memory_bytes / HOST_OBJECT_BYTES)
        .unwrap_or(usize::MAX)
        .max(MIN_HOST_OBJECTS)
}

/// A trap from a host-object limit, in words: the resource table refused
/// another entry, or a header map outgrew [`FIELD_SIZE_LIMIT`] (wasmtime
/// traps rather than returning an error there).
pub fn explain_trap(trap: &wasmtime::Error, limits: &Limits) -> Option<Failure> {
    // The errors are found anywhere in the context chain.
    if let Some(ResourceTableError::Full) = trap.downcast_ref::<ResourceTableError>() {
        let max = max_host_objects(limits);
        return Some(Failure::new(
            FailureKind::Limit,
            format!(
                "the connector held more than {max} host objects at once (HTTP header maps, requests, responses, bodies, streams, pollables); the limit is {max} for a memory limit of {}",
                Limits::human_bytes(limits.memory_bytes)
            ),
        ));
    }
    if let Some(other) = trap.downcast_ref::<ResourceTableError>() {
        // Dropping a request before its body, using a closed handle, …
        return Some(Failure::new(
            FailureKind::Trap,
            format!("the connector misused a host object: {other}"),
        ));
    }
    if let Some(FieldMapError::TotalSizeTooBig | FieldMapError::TooManyFields) =
        trap.downcast_ref::<FieldMapError>()
    {
        return Some(Failure::new(
            FailureKind::Limit,
            format!(
                "the connector put more than {} of headers into one HTTP header map (the limit per header map)",
                Limits::human_bytes(FIELD_SIZE_LIMIT as u64)
            ),
        ));
    }
    None
}

/// Replaces the two `wasi:http` setters that store a string of the guest's
/// choosing without a bound (an authority and a method can be megabytes):
/// longer values are refused as invalid, the rest go to wasmtime's own.
pub fn bound_request_strings(linker: &mut Linker<Invocation>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    {
        let mut types = linker.instance("wasi:http/types@0.2.12")?;
        types.func_wrap(
            "[method]outgoing-request.set-authority",
            |mut store: StoreContextMut<'_, Invocation>,
             (request, authority): (Resource<HostOutgoingRequest>, Option<String>)| {
                if authority
                    .as_ref()
                    .is_some_and(|a| a.len() > MAX_AUTHORITY_BYTES)
                {
                    return Ok((Err(()),));
                }
                Ok((store.data_mut().http().set_authority(request, authority)?,))
            },
        )?;
        types.func_wrap(
            "[method]outgoing-request.set-method",
            |mut store: StoreContextMut<'_, Invocation>,
             (request, method): (Resource<HostOutgoingRequest>, Method)| {
                if matches!(&method, Method::Other(m) if m.len() > MAX_METHOD_BYTES) {
                    return Ok((Err(()),));
                }
                Ok((store.data_mut().http().set_method(request, method)?,))
            },
        )?;
    }
    linker.allow_shadowing(false);
    Ok(())
}
