//! Calls to a [`TestApp`]'s API; each returns the status and the JSON
//! body (`Null` when the body is not JSON), checked against the OpenAPI
//! document ([`crate::openapi::check_answer`]).

use serde_json::Value;

use crate::app::TestApp;

/// A connector upload as a partner sends it.
pub async fn submit(app: &TestApp, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/partner/submissions", app.url))
        .bearer_auth(token)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .expect("the API answers");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    crate::openapi::check_answer("post", "/api/v1/partner/submissions", status, &body);
    (status, body)
}

/// A GET, optionally with an `Accept-Language`.
pub async fn get(app: &TestApp, token: &str, path: &str, lang: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .get(format!("{}{path}", app.url))
        .bearer_auth(token);
    if let Some(lang) = lang {
        req = req.header("accept-language", lang);
    }
    let res = req.send().await.expect("the API answers");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    crate::openapi::check_answer("get", path, status, &body);
    (status, body)
}

/// A request with a JSON body.
pub async fn send_json(
    app: &TestApp,
    method: reqwest::Method,
    token: &str,
    path: &str,
    body: &str,
) -> (u16, Value) {
    let res = reqwest::Client::new()
        .request(method.clone(), format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("the API answers");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    crate::openapi::check_answer(method.as_str(), path, status, &body);
    (status, body)
}

pub async fn post_json(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, Value) {
    send_json(app, reqwest::Method::POST, token, path, body).await
}

pub async fn put_json(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, Value) {
    send_json(app, reqwest::Method::PUT, token, path, body).await
}
