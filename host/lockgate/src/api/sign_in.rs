//! Signing in at a partner for an install (see [`crate::sign_in`]):
//! `POST …/installs/{id}/sign-in` answers where to send the admin and binds
//! their browser with an `HttpOnly`, `SameSite=Lax` cookie scoped to the
//! callback; `GET /oauth/callback` is where the partner sends them back;
//! `POST …/installs/{id}/sign-out` revokes and forgets.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::access::{find, write_access};
use super::answers::{SignInStarted, SignedOutAnswer};
use super::{ApiError, Caller};
use crate::app::App;
use crate::sign_in::{self, BINDING_COOKIE, CALLBACK_PATH, Callback, Finished, SignInError};

/// Where the partner sends the admin back to.
pub const CALLBACK: &str = CALLBACK_PATH;

fn conflict(message: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", message)
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> ApiError {
        match e {
            SignInError::Invalid(why) => conflict(why),
            SignInError::Store(e) => e.into(),
        }
    }
}

/// The address the partner sends the admin back to: this host as the
/// admin's browser reached it.
fn redirect_uri(headers: &HeaderMap) -> Result<(String, bool), ApiError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request names no valid Host",
            )
        })?;
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    Ok((format!("{scheme}://{host}{CALLBACK_PATH}"), https))
}

/// POST /api/v1/tenants/{tenant}/installs/{id}/sign-in
pub async fn start(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    let (redirect, https) = redirect_uri(&headers)?;
    let started = sign_in::start(&state, &install, &caller.label, &redirect).await?;
    let cookie = format!(
        "{BINDING_COOKIE}={}; Path={CALLBACK_PATH}; Max-Age=600; HttpOnly; SameSite=Lax{}",
        started.binding,
        if https { "; Secure" } else { "" }
    );
    let mut response = Json(SignInStarted {
        authorize_url: started.authorize_url,
        redirect_uri: redirect,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::try_from(cookie).map_err(|_| ApiError::internal("cookie"))?,
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// POST /api/v1/tenants/{tenant}/installs/{id}/sign-out
pub async fn sign_out(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<SignedOutAnswer>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    let plugin = state
        .load_plugin(&install.plugin_sha256)
        .await
        .map_err(ApiError::internal)?;
    if plugin.manifest.oauth2.as_ref().map(|o| o.flow)
        != Some(lockgate_manifest::OAuthFlow::AuthorizationCode)
    {
        return Err(conflict(
            "this connector does not sign in at the partner".into(),
        ));
    }
    let out = sign_in::sign_out(&state, &mut install, &caller.label).await?;
    Ok(Json(SignedOutAnswer {
        revoked: out.revoked,
        revoke_note: out.revoke_note,
        status: install.status,
        status_reason: install.status_reason,
    }))
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// GET /oauth/callback — where the partner sends the admin back. Goes on
/// to the integration's page in the console; a link that matches no
/// sign-in under way gets a short page saying what to do.
pub async fn callback(
    State(state): State<App>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, ApiError> {
    let Some(sign_in_state) = query.state.filter(|s| !s.is_empty()) else {
        return Ok(page(
            StatusCode::BAD_REQUEST,
            "The partner sent you back without the sign-in's state. Start the sign-in again from the integration's page.",
        ));
    };
    let binding = cookie(&headers, BINDING_COOKIE);
    let finished = sign_in::finish(
        &state,
        Callback {
            state: sign_in_state,
            code: query.code,
            error: query.error,
            error_description: query.error_description,
        },
        binding.as_deref(),
    )
    .await?;
    let (install, outcome) = match finished {
        Finished::SignedIn { install_id, .. } => (install_id, "signed-in"),
        Finished::NotSignedIn { install_id, .. } => (install_id, "not-signed-in"),
        Finished::Unknown(why) => return Ok(page(StatusCode::BAD_REQUEST, &why)),
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::try_from(format!(
            "/console#/integrations/{install}?sign-in={outcome}"
        ))
        .map_err(|_| ApiError::internal("location"))?,
    );
    // The binding is spent.
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "lockgate_sign_in=; Path=/oauth/callback; Max-Age=0; HttpOnly; SameSite=Lax",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// A one-paragraph page for a callback that leads nowhere.
fn page(status: StatusCode, text: &str) -> Response {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in not completed · Lockgate</title></head>\
         <body><h1>Sign-in not completed</h1><p>{escaped}</p><p><a href=\"/console#/integrations\">Back to the integrations</a></p></body></html>"
    );
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(super::console::POLICY),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
