//! The web console: plain files (an HTML page, ES modules, a style sheet)
//! built into the binary, so `lockgate serve` needs nothing else installed.
//! Every file is served under `/console/…` with its content type and a
//! policy that allows only this origin's own scripts and styles.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Scripts and styles from this origin only: no inline code, no other
/// origin, no framing. The console sets everything partners write as text.
pub const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The console's files by the name they are served under.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", HTML, include_str!("console/index.html")),
    ("style.css", CSS, include_str!("console/style.css")),
    ("app.js", JS, include_str!("console/app.js")),
    ("api.js", JS, include_str!("console/api.js")),
    ("dom.js", JS, include_str!("console/dom.js")),
    ("i18n.js", JS, include_str!("console/i18n.js")),
    ("router.js", JS, include_str!("console/router.js")),
    ("admin.js", JS, include_str!("console/admin.js")),
    ("tenant.js", JS, include_str!("console/tenant.js")),
    ("operator.js", JS, include_str!("console/operator.js")),
    ("partner.js", JS, include_str!("console/partner.js")),
    ("catalog.js", JS, include_str!("console/catalog.js")),
    (
        "texts-catalog.js",
        JS,
        include_str!("console/texts-catalog.js"),
    ),
    ("sign-in.js", JS, include_str!("console/sign-in.js")),
    (
        "texts-sign-in.js",
        JS,
        include_str!("console/texts-sign-in.js"),
    ),
];

fn answer(name: &str) -> Response {
    let Some((_, kind, body)) = FILES.iter().find(|(n, _, _)| *n == name) else {
        return super::ApiError::not_found("console file").into_response();
    };
    let mut response = (StatusCode::OK, *body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // The files change with the binary; a reload after an upgrade must not
    // mix old modules with new ones.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// GET `/` and `/console`: the page.
pub async fn page() -> Response {
    answer("index.html")
}

/// GET `/console/{file}`: a module or the style sheet.
pub async fn file(Path(name): Path<String>) -> Response {
    answer(&name)
}
