//! `/hooks/{install}` and below, any method: an inbound delivery from a
//! partner, checked and queued by [`crate::webhooks`], answered `202` with
//! its id at once.

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{ApiError, body_error};
use crate::app::App;
use crate::webhooks::{DeliveryError, MAX_DELIVERY_BYTES, accept};

pub async fn receive(
    State(state): State<App>,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let rest = uri.path().strip_prefix("/hooks/").unwrap_or("");
    let (install_id, sub) = match rest.split_once('/') {
        Some((id, sub)) => (id, format!("/{sub}")),
        None => (rest, "/".to_string()),
    };
    let path = match uri.query() {
        Some(q) => format!("{sub}?{q}"),
        None => sub,
    };
    let body = body.map_err(|e| {
        body_error(
            e,
            format!("a delivery may be at most {} KiB", MAX_DELIVERY_BYTES >> 10),
        )
    })?;
    match accept(&state, install_id, method.as_str(), path, &headers, &body).await {
        Ok(accepted) => Ok((
            StatusCode::ACCEPTED,
            axum::Json(super::answers::DeliveryAnswer {
                delivery: accepted.id,
                status: "queued",
                replay: accepted.replay,
            }),
        )
            .into_response()),
        Err(e @ DeliveryError::NotFound) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            e.to_string(),
        )),
        Err(e @ DeliveryError::Unauthenticated) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            e.to_string(),
        )),
        Err(e @ DeliveryError::Inactive) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "inactive",
            e.to_string(),
        )),
        Err(DeliveryError::Store(e)) => Err(e.into()),
    }
}
