//! The HTTP API under `/api/v1`, plus `/healthz` and the web console
//! (`/console`). Errors are JSON, `{"error": {"code", "message",
//! "fields"?}}`, with a status that matches; they tell the caller what to
//! fix and nothing internal (details go to the log).

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

mod access;
mod answers;
mod catalog;
mod console;
mod hr;
mod installs;
mod monitoring;
mod openapi;
mod operator;
mod partner_sandbox;
mod requests;
mod sign_in;
mod webhooks;

use crate::app::App;
use crate::auth::{Principal, authenticate};
pub use crate::field::FieldProblem;
pub use catalog::{MAX_REASON_CHARS, MAX_UPLOAD_BYTES};
pub use openapi::document as openapi_document;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldProblem>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid token as Authorization: Bearer <token>",
        )
    }

    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {detail}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "something went wrong on our side; try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let answer = openapi::ErrorAnswer {
            error: openapi::ErrorDetail {
                code: self.code.into(),
                message: self.message,
                fields: self.fields,
            },
        };
        let mut response = (self.status, Json(answer)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::internal(e)
    }
}

/// A malformed JSON body, explained: too large is 413, not JSON is 415,
/// anything else 400.
pub fn json_error(e: axum::extract::rejection::JsonRejection) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a JSON body may be at most {} KiB", MAX_JSON_BYTES >> 10),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_json",
            e.body_text(),
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_json", e.body_text()),
    }
}

/// The largest JSON request body (axum's default body limit).
pub const MAX_JSON_BYTES: usize = 2 << 20;

/// A JSON request body that must be an object (`{…}`): derived
/// deserializers would also take an array for a struct, so `[null, null]`
/// could pass for settings with every field cleared.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(json_error)?;
        if !value.is_object() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                "the body must be a JSON object, {…}",
            ));
        }
        T::deserialize(value).map(JsonBody).map_err(|e| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                format!("the JSON body does not fit: {e}"),
            )
        })
    }
}

/// A request body that could not be read: too large (saying the limit,
/// e.g. "a connector file may be at most 32 MiB") or broken off.
pub fn body_error(e: axum::extract::rejection::BytesRejection, too_large: String) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", too_large)
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            "could not read the request body",
        )
    }
}

/// One field of the request is wrong.
pub fn field_error(field: &str, message: &str) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
        format!("{field}: {message}"),
    );
    error.fields = vec![FieldProblem {
        field: field.into(),
        message: message.into(),
    }];
    error
}

/// The authenticated caller of a request.
pub struct Caller(pub Principal);

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &App) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(ApiError::unauthorized)?;
        match authenticate(&state.store, token.trim()).await? {
            Some(principal) => Ok(Caller(principal)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

pub fn router(state: App) -> Router {
    Router::new()
        .route("/", get(console::page))
        .route("/console", get(console::page))
        .route("/console/", get(console::page))
        .route("/console/{file}", get(console::file))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/me", get(me))
        .route(
            "/api/v1/partner/submissions",
            axum::routing::post(catalog::submit)
                .get(catalog::my_submissions)
                .layer(axum::extract::DefaultBodyLimit::max(
                    catalog::MAX_UPLOAD_BYTES,
                )),
        )
        .route(
            "/api/v1/partner/submissions/{plugin}/{version}/test-access",
            axum::routing::put(catalog::test_access::put).delete(catalog::test_access::delete),
        )
        .route(
            "/api/v1/partner/submissions/{plugin}/{version}/preview",
            get(catalog::preview),
        )
        .route(
            "/api/v1/partner/submissions/{plugin}/{version}/icon",
            get(catalog::submission_icon),
        )
        .route(
            "/api/v1/partner/sandbox",
            get(partner_sandbox::get_one)
                .post(partner_sandbox::create)
                .patch(partner_sandbox::change)
                .delete(partner_sandbox::delete),
        )
        .route("/api/v1/review/queue", get(catalog::review_queue))
        .route(
            "/api/v1/review/{plugin}/{version}",
            axum::routing::post(catalog::decide),
        )
        .route(
            "/api/v1/review/{plugin}/{version}/vet",
            post(catalog::revet),
        )
        .route("/api/v1/marketplace", get(catalog::marketplace))
        .route("/api/v1/marketplace/{id}", get(catalog::marketplace_detail))
        .route(
            "/api/v1/marketplace/{id}/icon",
            get(catalog::marketplace_icon),
        )
        .route("/api/v1/requests", get(requests::all))
        .route("/api/v1/partner/requests", get(requests::of_partner))
        .route("/api/v1/operator/connectors", get(operator::connectors))
        .route("/api/v1/operator/tenants", get(operator::tenants))
        .route(
            "/api/v1/operator/failing-installs",
            get(operator::failing_installs),
        )
        .route(
            "/api/v1/tenants/{tenant}/requests",
            get(requests::of_tenant).post(requests::create),
        )
        .route("/api/v1/tenants", axum::routing::post(hr::create_tenant))
        .route(
            "/api/v1/tenants/{tenant}/employees",
            get(hr::list_employees),
        )
        .route(
            "/api/v1/tenants/{tenant}/employees/{id}",
            axum::routing::put(hr::put_employee)
                .get(hr::get_employee)
                .delete(hr::delete_employee),
        )
        .route(
            "/api/v1/tenants/{tenant}/employees/import",
            post(hr::import_employees)
                .layer(axum::extract::DefaultBodyLimit::max(hr::MAX_IMPORT_BYTES)),
        )
        .route(
            "/api/v1/tenants/{tenant}/settings",
            get(hr::get_settings).put(hr::put_settings),
        )
        .route("/api/v1/tenants/{tenant}/absences", get(hr::list_absences))
        .route(
            "/api/v1/tenants/{tenant}/absences/{id}",
            axum::routing::put(hr::put_absence).get(hr::get_absence),
        )
        .route(
            "/api/v1/tenants/{tenant}/attendances",
            get(hr::list_attendances),
        )
        .route(
            "/api/v1/tenants/{tenant}/attendances/import",
            post(hr::import_attendances)
                .layer(axum::extract::DefaultBodyLimit::max(hr::MAX_IMPORT_BYTES)),
        )
        .route(
            "/api/v1/tenants/{tenant}/attendances/{id}",
            axum::routing::put(hr::put_attendance)
                .get(hr::get_attendance)
                .delete(hr::delete_attendance),
        )
        .route(
            "/api/v1/tenants/{tenant}/positions",
            get(hr::list_positions),
        )
        .route(
            "/api/v1/tenants/{tenant}/positions/{id}",
            axum::routing::put(hr::put_position).get(hr::get_position),
        )
        .route(
            "/api/v1/tenants/{tenant}/applications",
            get(hr::list_applications),
        )
        .route(
            "/api/v1/tenants/{tenant}/applications/{id}",
            get(hr::get_application),
        )
        .route(
            "/api/v1/tenants/{tenant}/applications/{id}/attachments/{seq}",
            get(hr::get_attachment),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs",
            get(installs::list).post(installs::connect),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/preview",
            post(installs::preview),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}",
            get(installs::get_one)
                .patch(installs::reconfigure)
                .delete(installs::delete),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/check",
            post(installs::check),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/reactivate",
            post(installs::check),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/deactivate",
            post(installs::deactivate),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/upgrade",
            post(installs::upgrade),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/sync",
            post(installs::sync_now),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/runs",
            get(monitoring::runs),
        )
        .route("/api/v1/tenants/{tenant}/audit", get(monitoring::audit))
        .route("/api/v1/tenants/{tenant}/runs/{run}", get(monitoring::run))
        .route(
            "/api/v1/tenants/{tenant}/runs/{run}/rows",
            get(monitoring::rows),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/webhook-secret",
            post(installs::rotate_webhook_secret),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/sign-in",
            post(sign_in::start),
        )
        .route(
            "/api/v1/tenants/{tenant}/installs/{id}/sign-out",
            post(sign_in::sign_out),
        )
        .route(sign_in::CALLBACK, get(sign_in::callback))
        .route(
            "/hooks/{*rest}",
            axum::routing::any(webhooks::receive).layer(axum::extract::DefaultBodyLimit::max(
                crate::webhooks::MAX_DELIVERY_BYTES,
            )),
        )
        .fallback(|| async { ApiError::not_found("endpoint") })
        .layer(axum::middleware::from_fn(answer_after_the_body))
        .with_state(state)
}

/// The most of a request body read and thrown away after its answer is
/// ready (an upload past its limit, a body sent without a valid token)…
pub const DRAIN_BYTES: u64 = 2 * catalog::MAX_UPLOAD_BYTES as u64;
/// … and for how long.
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// A request body shared between the handler, which reads what it needs,
/// and [`answer_after_the_body`], which reads the rest.
#[derive(Clone)]
struct SharedBody {
    body: std::sync::Arc<std::sync::Mutex<axum::body::Body>>,
    /// Whether the handler asked for the body at all.
    read: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl http_body::Body for SharedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.read.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut body = self.body.lock().unwrap_or_else(|e| e.into_inner());
        std::pin::Pin::new(&mut *body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        let body = self.body.lock().unwrap_or_else(|e| e.into_inner());
        body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let body = self.body.lock().unwrap_or_else(|e| e.into_inner());
        body.size_hint()
    }
}

/// Answers only once the request body is read: whatever the handler left
/// unread (the rest of a body past its limit, a body refused before it was
/// looked at) is read and thrown away first, up to [`DRAIN_BYTES`] and
/// [`DRAIN_TIME`]. A client still sending then reads the answer (`413
/// too_large`, `401`) instead of a reset connection. A client that waits
/// for `100 Continue` before sending gets the answer without sending.
async fn answer_after_the_body(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use http_body::Body as _;
    use http_body_util::BodyExt;
    let (parts, body) = request.into_parts();
    let waits_for_continue = parts
        .headers
        .get(axum::http::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let shared = SharedBody {
        body: std::sync::Arc::new(std::sync::Mutex::new(body)),
        read: Default::default(),
    };
    let request = axum::extract::Request::from_parts(parts, axum::body::Body::new(shared.clone()));
    let response = next.run(request).await;
    let mut rest = std::mem::take(&mut *shared.body.lock().unwrap_or_else(|e| e.into_inner()));
    let untouched = !shared.read.load(std::sync::atomic::Ordering::Relaxed);
    if rest.is_end_stream() || (waits_for_continue && untouched) {
        return response;
    }
    let drained = tokio::time::timeout(DRAIN_TIME, async {
        let mut seen = 0u64;
        loop {
            match rest.frame().await {
                None => return true,
                Some(Err(_)) => return false,
                Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len() as u64),
            }
            if seen > DRAIN_BYTES {
                return false;
            }
        }
    })
    .await;
    if drained != Ok(true) {
        tracing::debug!("gave up reading the rest of a request body; the connection closes");
    }
    response
}

async fn healthz(State(state): State<App>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(answers::Health {
            status: "ok",
            database: "ok",
        })
        .into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(answers::Health {
                    status: "degraded",
                    database: "unreachable",
                }),
            )
                .into_response()
        }
    }
}

/// Prometheus text: runs by status and their durations, instantiations,
/// policy denials.
async fn metrics(State(state): State<App>) -> Result<Response, ApiError> {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::new();
    let totals = state.store.run_totals().await?;
    let _ = writeln!(
        out,
        "# HELP lockgate_runs_total Sync runs recorded, by status."
    );
    let _ = writeln!(out, "# TYPE lockgate_runs_total counter");
    for (status, n, _) in &totals {
        let _ = writeln!(out, "lockgate_runs_total{{status=\"{status}\"}} {n}");
    }
    let _ = writeln!(
        out,
        "# HELP lockgate_run_duration_seconds_sum Time spent in runs, by status."
    );
    let _ = writeln!(out, "# TYPE lockgate_run_duration_seconds_sum counter");
    for (status, _, ms) in &totals {
        let _ = writeln!(
            out,
            "lockgate_run_duration_seconds_sum{{status=\"{status}\"}} {:.3}",
            *ms as f64 / 1000.0
        );
    }
    let c = state.runtime.counters();
    for (name, help, value) in [
        (
            "lockgate_instantiations_total",
            "Connector instances created by this process.",
            c.instantiations.load(Relaxed),
        ),
        (
            "lockgate_instantiation_failures_total",
            "Connector instantiations that failed.",
            c.instantiation_failures.load(Relaxed),
        ),
        (
            "lockgate_http_denials_total",
            "Outbound requests the policy refused.",
            c.denials.load(Relaxed),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    }
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
        .into_response())
}

/// The hand-written part of the OpenAPI document (paths and prose); the
/// document served is [`openapi_document`], with every body's schema.
pub const OPENAPI: &str = openapi::PROSE;

async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        openapi::document(),
    )
        .into_response()
}

/// Who the token belongs to.
async fn me(Caller(principal): Caller) -> Json<Principal> {
    Json(principal)
}

/// Serves the API on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, state: App) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// Serves until `stop` resolves, then finishes the requests in flight.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    state: App,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(stop)
        .await
}
