//! Recruiting for the tenant's admins: job positions (written and read
//! here, checked by [`crate::hr::recruiting`]) and the applications job
//! boards created for them, with their files. Connectors create
//! applications through the contract and never read them back; this is
//! where the tenant does.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{Page, invalid, next_cursor, no_such, page_params};
use crate::api::JsonBody;
use crate::api::access::tenant_access;
use crate::api::answers::{ApplicationPage, PositionPage};
use crate::api::monitoring::{bad_cursor, decode_cursor, encode_cursor};
use crate::api::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::hr::shape::id_problem;
use crate::hr::{Application, ApplicationFilter, Position, PositionInput};

/// PUT /api/v1/tenants/{tenant}/positions/{id}
pub async fn put_position(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<PositionInput>, ApiError>,
) -> Result<Json<Position>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let problems = input.problems(&id);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(Json(state.store.put_position(&tenant, &id, &input).await?))
}

/// GET /api/v1/tenants/{tenant}/positions/{id}
pub async fn get_position(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Position>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    // What is no id names nothing stored (and PostgreSQL text cannot
    // hold a NUL): not looked up.
    let found = match id_problem(&id) {
        None => state.store.position(&tenant, &id).await?,
        Some(_) => None,
    };
    found.map(Json).ok_or_else(|| no_such("position", &id))
}

/// GET /api/v1/tenants/{tenant}/positions?cursor=&limit=
pub async fn list_positions(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    page: Result<Query<Page>, QueryRejection>,
) -> Result<Json<PositionPage>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let (cursor, limit) = page_params(page)?;
    let (items, next) = state
        .store
        .positions_page(&tenant, cursor.as_deref(), limit)
        .await?;
    Ok(Json(PositionPage {
        items,
        next_cursor: next_cursor(next),
    }))
}

/// The query of the application list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// Only applications for this position.
    pub position_id: Option<String>,
}

/// GET /api/v1/tenants/{tenant}/applications?position_id=&cursor=&limit=
/// — newest first.
pub async fn list_applications(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    query: Result<Query<ApplicationQuery>, QueryRejection>,
) -> Result<Json<ApplicationPage>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text()))?;
    let after = match query.cursor.as_deref() {
        None => None,
        Some(cursor) => {
            let key = decode_cursor(cursor)?;
            let (at, id) = key.split_once('|').ok_or_else(bad_cursor)?;
            Some((at.to_string(), id.to_string()))
        }
    };
    if let Some(position) = &query.position_id {
        if let Some(problem) = id_problem(position) {
            return Err(invalid(vec![FieldProblem::new("position_id", problem)]));
        }
        // A filter naming a position the tenant does not have is a mistake
        // to point out, not an empty list.
        if state.store.position(&tenant, position).await?.is_none() {
            return Err(no_such("position", position));
        }
    }
    let filter = ApplicationFilter {
        position_id: query.position_id,
        after,
        limit: query.limit.unwrap_or(100).clamp(1, 500),
    };
    let (items, next) = state.store.applications_page(&tenant, &filter).await?;
    Ok(Json(ApplicationPage {
        items,
        next_cursor: next.map(|(at, id)| encode_cursor(&format!("{at}|{id}"))),
    }))
}

/// GET /api/v1/tenants/{tenant}/applications/{id}
pub async fn get_application(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Application>, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    let found = match id_problem(&id) {
        None => state.store.application(&tenant, &id).await?,
        Some(_) => None,
    };
    found.map(Json).ok_or_else(|| no_such("application", &id))
}

/// GET /api/v1/tenants/{tenant}/applications/{id}/attachments/{seq} —
/// the file as the candidate sent it, always as a download: a browser
/// neither renders it nor guesses another type.
pub async fn get_attachment(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id, seq)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    tenant_access(&state, &caller, &tenant).await?;
    if id_problem(&id).is_some() {
        return Err(no_such("application", &id));
    }
    let found = match seq.parse::<i64>() {
        Ok(n) => state.store.attachment(&tenant, &id, n).await?,
        Err(_) => None,
    };
    let Some((file_name, media_type, content)) = found else {
        if state.store.application(&tenant, &id).await?.is_none() {
            return Err(no_such("application", &id));
        }
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this application has no attachment with that number; its attachments list the numbers",
        ));
    };
    let content_type = HeaderValue::from_str(&media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(&file_name))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        content,
    )
        .into_response())
}

/// `attachment` with the file's name: a plain ASCII `filename` (anything
/// else becomes `_`) for old clients, and the exact name as `filename*`
/// (RFC 6266, percent-encoded UTF-8).
pub fn content_disposition(file_name: &str) -> String {
    let plain: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let plain = plain.trim();
    let plain = if plain.is_empty() {
        "attachment"
    } else {
        plain
    };
    let mut exact = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            exact.push(char::from(b));
        } else {
            exact.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn file_names_cannot_break_out_of_the_header() {
        assert_eq!(
            content_disposition("Lebenslauf Zoë.pdf"),
            "attachment; filename=\"Lebenslauf Zo_.pdf\"; filename*=UTF-8''Lebenslauf%20Zo%C3%AB.pdf"
        );
        let nasty = content_disposition("a\";inline; filename=x.html");
        assert!(
            nasty.starts_with("attachment; filename=\"a__inline_ filename_x.html\";"),
            "{nasty}"
        );
        assert!(!nasty.contains("\"a\""), "{nasty}");
        assert_eq!(
            content_disposition("ü"),
            "attachment; filename=\"_\"; filename*=UTF-8''%C3%BC"
        );
    }
}
