//! A planning tool on loopback for the absence mirror: OAuth2 client
//! credentials with expiring tokens, people matched by name, absences,
//! refusals, throttling and outages on demand. And the builds of the
//! absence mirror the same tests drive: the bundled Rust connector and its
//! TypeScript port.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

pub(crate) const CLIENT_ID: &str = "lockgate-app";

/// One build of the absence mirror.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Build {
    /// `plugins/absence-mirror`, bundled with the host.
    Rust,
    /// `plugins/absence-mirror-ts`, built by the tests' build script.
    TypeScript,
}

impl Build {
    pub(crate) fn id(self) -> &'static str {
        match self {
            Build::Rust => "absence-mirror",
            Build::TypeScript => "absence-mirror-ts",
        }
    }

    pub(crate) fn wasm(self) -> Vec<u8> {
        match self {
            Build::Rust => lockgate::demo::ABSENCE_MIRROR.to_vec(),
            Build::TypeScript => std::fs::read(lockgate_tests::js_program("absence-mirror-ts"))
                .expect("the TypeScript absence mirror was built"),
        }
    }

    /// Lists the bundled connectors in the app's marketplace, and this
    /// build when it is not one of them.
    pub(crate) async fn publish(self, app: &lockgate::app::App) {
        lockgate::demo::publish_bundled(app).await.unwrap();
        if let Build::TypeScript = self {
            crate::helpers::publish(app, "lockgate", &self.wasm()).await;
        }
    }
}

pub(crate) const CLIENT_SECRET: &str = "cs-9f2c1e77d0aa41b3";

/// The planning tool's side.
pub(crate) struct Tool {
    pub(crate) people: Vec<Value>,
    pub(crate) absences: BTreeMap<String, Value>,
    /// Issued tokens and when they stop working.
    pub(crate) tokens: BTreeMap<String, Instant>,
    pub(crate) issued: u32,
    pub(crate) lifetime: u64,
    /// API calls answered 401.
    pub(crate) unauthorized: u32,
    /// Absence ids the tool refuses.
    pub(crate) refuse: Vec<String>,
    /// The next this many API calls get 429 with `Retry-After: 1`.
    pub(crate) throttle: u32,
    pub(crate) throttled: u32,
    pub(crate) down: bool,
    /// The Authorization header of each call to `/echo`.
    pub(crate) echoed: Vec<Option<String>>,
}

pub(crate) type Shared = Arc<Mutex<Tool>>;

pub(crate) async fn tool() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Tool {
        people: vec![
            json!({ "id": "p-1", "first_name": "Zoë", "last_name": "Van den Berg" }),
            json!({ "id": "p-2", "first_name": "Jan", "last_name": "De Vries" }),
            json!({ "id": "p-3", "first_name": "Luc", "last_name": "Martin" }),
            json!({ "id": "p-4", "first_name": "Luc", "last_name": "Martin" }),
        ],
        absences: BTreeMap::new(),
        tokens: BTreeMap::new(),
        issued: 0,
        lifetime: 3600,
        unauthorized: 0,
        refuse: Vec::new(),
        throttle: 0,
        throttled: 0,
        down: false,
        echoed: Vec::new(),
    }));

    async fn token(State(s): State<Shared>, headers: HeaderMap, body: String) -> Response {
        use base64::Engine;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
        );
        let basic = headers.get("authorization").and_then(|v| v.to_str().ok());
        let form: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        if basic != Some(expected.as_str()) {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "error": "invalid_client", "error_description": "Client authentication failed" })),
            )
                .into_response();
        }
        if form.get("grant_type").map(String::as_str) != Some("client_credentials")
            || form.get("scope").map(String::as_str) != Some("absences:write people:read")
        {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": "invalid_request" })),
            )
                .into_response();
        }
        let mut s = s.lock().unwrap();
        s.issued += 1;
        let token = format!("tok-{}-{:08x}", s.issued, rand::random::<u32>());
        let lifetime = s.lifetime;
        s.tokens.insert(
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        );
        axum::Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": lifetime }))
            .into_response()
    }

    /// Authenticates an API call; `Some` is the answer to give instead.
    fn gate(s: &mut Tool, headers: &HeaderMap) -> Option<Response> {
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let valid = bearer
            .and_then(|t| s.tokens.get(t))
            .is_some_and(|until| Instant::now() < *until);
        if !valid {
            s.unauthorized += 1;
            return Some(
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({ "error": "invalid_token" })),
                )
                    .into_response(),
            );
        }
        if s.down {
            return Some((StatusCode::SERVICE_UNAVAILABLE, "maintenance").into_response());
        }
        if s.throttle > 0 {
            s.throttle -= 1;
            s.throttled += 1;
            return Some(
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    axum::Json(json!({ "error": "slow down" })),
                )
                    .into_response(),
            );
        }
        None
    }

    async fn types(State(s): State<Shared>, headers: HeaderMap) -> Response {
        if let Some(answer) = gate(&mut s.lock().unwrap(), &headers) {
            return answer;
        }
        axum::Json(json!({ "types": [
            { "id": "t-1", "name": "Verlof" },
            { "id": "t-2", "name": "Ziekte" },
        ]}))
        .into_response()
    }

    async fn people(
        State(s): State<Shared>,
        headers: HeaderMap,
        Query(q): Query<BTreeMap<String, String>>,
    ) -> Response {
        let mut s = s.lock().unwrap();
        if let Some(answer) = gate(&mut s, &headers) {
            return answer;
        }
        // Like many tools, the search ignores capitals.
        let last = q
            .get("last_name")
            .cloned()
            .unwrap_or_default()
            .to_lowercase();
        let found: Vec<Value> = s
            .people
            .iter()
            .filter(|p| p["last_name"].as_str().unwrap().to_lowercase() == last)
            .cloned()
            .collect();
        axum::Json(json!({ "people": found })).into_response()
    }

    async fn upsert(
        State(s): State<Shared>,
        headers: HeaderMap,
        Path(id): Path<String>,
        axum::Json(body): axum::Json<Value>,
    ) -> Response {
        let mut s = s.lock().unwrap();
        if let Some(answer) = gate(&mut s, &headers) {
            return answer;
        }
        if s.refuse.contains(&id) {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({ "error": "overlaps a shift that is already confirmed" })),
            )
                .into_response();
        }
        let status = if s.absences.insert(id, body).is_some() {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
        (status, axum::Json(json!({}))).into_response()
    }

    async fn remove(
        State(s): State<Shared>,
        headers: HeaderMap,
        Path(id): Path<String>,
    ) -> Response {
        let mut s = s.lock().unwrap();
        if let Some(answer) = gate(&mut s, &headers) {
            return answer;
        }
        match s.absences.remove(&id) {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }

    async fn echo(State(s): State<Shared>, headers: HeaderMap) -> &'static str {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        s.lock().unwrap().echoed.push(auth);
        "recorded"
    }

    let app = axum::Router::new()
        .route("/oauth/token", post(token))
        .route("/echo", get(echo))
        .route("/api/v1/absence-types", get(types))
        .route("/api/v1/people", get(people))
        .route("/api/v1/absences/{id}", put(upsert).delete(remove))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, shared)
}
