//! An admin's sign-in at a partner (OAuth2 authorization code with PKCE),
//! end to end through the API against a fake authorization server on
//! loopback: connecting leaves the install waiting for the sign-in; the
//! partner sends the browser back to `/oauth/callback`, which checks the
//! state and the browser's binding and exchanges the code through the
//! install's egress; runs renew the access token before it expires; a
//! refused renewal asks for a new sign-in; signing out revokes. The
//! connector (the OAuth probe, which tries to get at tokens) never sees
//! one, and no token shows in an answer, a row, a log or the database.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use lockgate_tests::http::{get as api_get, post_json};
use lockgate_tests::{TestApp, eventually, spawn_app_with, tenant_token};

const CLIENT_ID: &str = "lockgate-client";
const CLIENT_SECRET: &str = "client-s3cret-value";

#[derive(Default)]
struct Server {
    /// Codes handed out: code → (challenge, redirect address).
    codes: HashMap<String, (String, String)>,
    /// Refresh tokens still good.
    refresh: Vec<String>,
    issued: u32,
    renewed: u32,
    refuse_renewal: bool,
    /// Seconds an access token lives.
    lifetime: u64,
    revoked: Vec<String>,
    /// What the authorize endpoint was asked, last.
    asked: BTreeMap<String, String>,
    /// Authorization headers the API saw.
    echoed: Vec<Option<String>>,
}

type Shared = Arc<Mutex<Server>>;

fn client_ok(headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn refused(error: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": error })),
    )
        .into_response()
}

/// The authorization server, the API (`/echo`) and the revocation
/// endpoint of one partner.
async fn partner() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Server {
        lifetime: 3600,
        ..Server::default()
    }));

    // The admin signed in and granted access at once.
    async fn authorize(
        State(s): State<Shared>,
        Query(q): Query<BTreeMap<String, String>>,
    ) -> Response {
        let mut s = s.lock().unwrap();
        s.asked = q.clone();
        if q.get("client_id").map(String::as_str) != Some(CLIENT_ID)
            || q.get("code_challenge_method").map(String::as_str) != Some("S256")
        {
            return (StatusCode::BAD_REQUEST, "bad request").into_response();
        }
        let code = format!("code-{}", s.codes.len() + 1);
        let redirect = q["redirect_uri"].clone();
        s.codes.insert(
            code.clone(),
            (q["code_challenge"].clone(), redirect.clone()),
        );
        let location = format!("{redirect}?code={code}&state={}", q["state"]);
        (StatusCode::SEE_OTHER, [("location", location)]).into_response()
    }

    async fn token(
        State(s): State<Shared>,
        headers: HeaderMap,
        Form(form): Form<BTreeMap<String, String>>,
    ) -> Response {
        let mut s = s.lock().unwrap();
        if !client_ok(&headers) {
            return (
                StatusCode::UNAUTHORIZED,
                axum::Json(json!({ "error": "invalid_client" })),
            )
                .into_response();
        }
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let Some((challenge, redirect)) = s.codes.remove(&form["code"]) else {
                    return refused("invalid_grant");
                };
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(sha2::Sha256::digest(verifier.as_bytes()));
                if computed != challenge || form.get("redirect_uri") != Some(&redirect) {
                    return refused("invalid_grant");
                }
            }
            Some("refresh_token") => {
                let given = form.get("refresh_token").cloned().unwrap_or_default();
                if s.refuse_renewal || !s.refresh.contains(&given) {
                    return refused("invalid_grant");
                }
                // Rotated: the old one is spent.
                s.refresh.retain(|r| *r != given);
                s.renewed += 1;
            }
            _ => return refused("unsupported_grant_type"),
        }
        s.issued += 1;
        let (access, refresh) = (format!("acc-{}", s.issued), format!("ref-{}", s.issued));
        s.refresh.push(refresh.clone());
        axum::Json(json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": s.lifetime,
            "refresh_token": refresh,
        }))
        .into_response()
    }

    async fn revoke(
        State(s): State<Shared>,
        headers: HeaderMap,
        Form(form): Form<BTreeMap<String, String>>,
    ) -> StatusCode {
        if !client_ok(&headers) {
            return StatusCode::UNAUTHORIZED;
        }
        let mut s = s.lock().unwrap();
        let token = form.get("token").cloned().unwrap_or_default();
        s.refresh.retain(|r| *r != token);
        s.revoked.push(token);
        StatusCode::OK
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
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/echo", get(echo))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, shared)
}

/// The OAuth probe, declaring the authorization-code flow.
fn probe() -> Vec<u8> {
    let wasm = std::fs::read(lockgate_tests::program("test-oauth-probe")).unwrap();
    lockgate_tests::with_manifest(&wasm, |toml| {
        toml.replace(
            "[oauth2]\n",
            "[oauth2]\nflow = \"authorization-code\"\nauthorize-url = \"https://{api-url}/oauth/authorize\"\nrevoke-url = \"https://{api-url}/oauth/revoke\"\n",
        )
    })
}

/// A browser with no cookie jar and no redirects followed: each step is
/// looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Setup {
    app: TestApp,
    admin: String,
    install: String,
    partner: Shared,
}

async fn connected() -> Setup {
    let (api, partner) = self::partner().await;
    let (other, _) = self::partner().await;
    let mut policy = lockgate::policy::OperatorPolicy::default();
    policy.allow(&api).unwrap();
    policy.allow(&other).unwrap();
    let app = spawn_app_with(policy).await;
    lockgate::sandbox::ensure_tenant(&app.store, "t-1", 3, 2)
        .await
        .unwrap();
    crate::helpers::publish(&app, "probe-co", &probe()).await;
    let admin = tenant_token(&app, "t-1", true).await;
    let config = json!({
        "api-url": format!("http://{api}"),
        "other-url": format!("http://{other}"),
        "client-id": CLIENT_ID,
        "client-secret": CLIENT_SECRET,
    });
    let (status, preview) = post_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/installs/preview",
        &json!({ "plugin": "test-oauth-probe", "config": config }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    let (status, install) = post_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/installs",
        &json!({ "plugin": "test-oauth-probe", "config": config, "grant": preview["grant"] })
            .to_string(),
    )
    .await;
    assert_eq!(status, 201, "{install}");
    let install = install["id"].as_str().unwrap().to_string();
    Setup {
        app,
        admin,
        install,
        partner,
    }
}

impl Setup {
    fn path(&self, tail: &str) -> String {
        format!("/api/v1/tenants/t-1/installs/{}{tail}", self.install)
    }

    async fn view(&self) -> Value {
        let (status, view) = api_get(&self.app, &self.admin, &self.path(""), None).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// Starts a sign-in: the partner's address and the binding cookie.
    async fn start(&self) -> (String, String) {
        let res = browser()
            .post(format!("{}{}", self.app.url, self.path("/sign-in")))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap()
            .to_string();
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/oauth/callback"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        let binding = cookie.split(';').next().unwrap().to_string();
        let body: Value = res.json().await.unwrap();
        (body["authorize_url"].as_str().unwrap().to_string(), binding)
    }

    /// The admin grants access at the partner: where the partner sends
    /// the browser back to.
    async fn grant(&self, authorize_url: &str) -> String {
        let res = browser().get(authorize_url).send().await.unwrap();
        assert_eq!(res.status(), 303, "{:?}", res.text().await);
        res.headers()["location"].to_str().unwrap().to_string()
    }

    /// The browser comes back with `binding` (or none).
    async fn back(&self, callback: &str, binding: Option<&str>) -> reqwest::Response {
        let mut request = browser().get(callback);
        if let Some(binding) = binding {
            request = request.header("cookie", binding);
        }
        request.send().await.unwrap()
    }

    async fn sign_in(&self) {
        let (authorize_url, binding) = self.start().await;
        let callback = self.grant(&authorize_url).await;
        let res = self.back(&callback, Some(&binding)).await;
        assert_eq!(res.status(), 303, "{:?}", res.text().await);
        assert_eq!(
            res.headers()["location"],
            format!("/console#/integrations/{}?sign-in=signed-in", self.install).as_str()
        );
        // The first connection's initial sync, if there is one, finishes.
        lockgate_tests::jobs_settled(&self.app.store, &self.install).await;
    }

    /// Queues a sync and waits for its run to finish.
    async fn sync(&self) -> lockgate::store::RunRecord {
        lockgate_tests::jobs_settled(&self.app.store, &self.install).await;
        let before = self
            .app
            .store
            .runs_of_install(&self.install)
            .await
            .unwrap()
            .len();
        let (status, body) = post_json(&self.app, &self.admin, &self.path("/sync"), "{}").await;
        assert_eq!(status, 202, "{body}");
        eventually("the sync to finish", || async {
            let runs = self.app.store.runs_of_install(&self.install).await.unwrap();
            (runs.len() > before && runs.iter().all(|r| r.status != "running"))
                .then(|| runs[0].clone())
        })
        .await
    }
}

#[tokio::test]
async fn an_admin_signs_in_at_the_partner_and_the_connector_never_sees_a_token() {
    let s = connected().await;
    let view = s.view().await;
    assert_eq!(view["status"], "pending", "{view}");
    assert!(
        view["status_reason"]
            .as_str()
            .unwrap()
            .starts_with("sign in at http://127.0.0.1:"),
        "{view}"
    );
    assert_eq!(view["sign_in"]["signed_in"], false, "{view}");

    let (authorize_url, binding) = s.start().await;
    assert!(
        authorize_url.contains("/oauth/authorize?response_type=code&client_id=lockgate-client")
    );
    assert!(!authorize_url.contains(CLIENT_SECRET));
    let callback = s.grant(&authorize_url).await;
    let asked = s.partner.lock().unwrap().asked.clone();
    assert_eq!(
        asked["redirect_uri"],
        format!("{}/oauth/callback", s.app.url)
    );
    assert_eq!(asked["scope"], "absences:write people:read");
    assert!(asked["state"].len() >= 43 && asked["code_challenge"].len() == 43);

    // Another browser cannot finish it: the binding cookie is missing.
    let res = s.back(&callback, None).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("another browser"));
    // Each sign-in is finished once; start again.
    let res = s.back(&callback, Some(&binding)).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("already used"));
    assert_eq!(s.partner.lock().unwrap().issued, 0);

    s.sign_in().await;
    let view = s.view().await;
    assert_eq!(view["status"], "connected", "{view}");
    assert_eq!(view["sign_in"]["signed_in"], true, "{view}");
    assert_eq!(view["sign_in"]["by"], "admin", "{view}");
    assert_eq!(s.partner.lock().unwrap().issued, 1);

    let run = s.sync().await;
    assert_eq!(run.status, "successful", "{:?}", run.failure_reason);
    let rows = s
        .app
        .store
        .run_rows(&run.id, None, None, None, 1000)
        .await
        .unwrap();
    let saw = |what: &str| {
        rows.iter()
            .find(|r| r.employee_id.as_deref() == Some(what))
            .unwrap_or_else(|| panic!("no row {what}: {rows:?}"))
            .message
            .clone()
    };
    assert_eq!(saw("config.get"), "absent");
    // The connector's own Authorization header was replaced by the
    // admin's access token, which went to the API host only.
    let echoed = s.partner.lock().unwrap().echoed.clone();
    assert_eq!(echoed.last().unwrap().as_deref(), Some("Bearer acc-1"));
    assert!(saw("other echo").contains("recorded"));
    assert!(
        saw("token endpoint").starts_with("401"),
        "{}",
        saw("token endpoint")
    );

    // No token anywhere a person or the connector can read.
    let logs: String = s
        .app
        .store
        .run_logs(&run.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.message)
        .collect();
    let view = s.view().await.to_string();
    let sealed = s
        .app
        .store
        .sign_in_tokens(&s.install)
        .await
        .unwrap()
        .unwrap();
    for text in [format!("{rows:?}"), logs, view, sealed] {
        for secret in ["acc-1", "ref-1", CLIENT_SECRET, "code-"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[tokio::test]
async fn runs_renew_the_token_before_it_expires_and_a_refusal_asks_for_a_new_sign_in() {
    let s = connected().await;
    // Tokens that live two seconds: each run after that renews.
    s.partner.lock().unwrap().lifetime = 2;
    s.sign_in().await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let run = s.sync().await;
    assert_eq!(run.status, "successful", "{:?}", run.failure_reason);
    {
        let partner = s.partner.lock().unwrap();
        assert_eq!(partner.renewed, 1);
        assert_eq!(
            partner.echoed.last().unwrap().as_deref(),
            Some("Bearer acc-2")
        );
    }
    // The rotated refresh token was stored: the next renewal uses it.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let run = s.sync().await;
    assert_eq!(run.status, "successful", "{:?}", run.failure_reason);
    assert_eq!(s.partner.lock().unwrap().renewed, 2);

    // The partner stops accepting the sign-in.
    s.partner.lock().unwrap().refuse_renewal = true;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let run = s.sync().await;
    assert_eq!(run.status, "failed");
    assert_eq!(run.failure_kind.map(|k| k.as_str()), Some("sign-in"));
    let view = s.view().await;
    assert_eq!(view["status"], "pending", "{view}");
    assert!(
        view["status_reason"]
            .as_str()
            .unwrap()
            .starts_with("sign in again"),
        "{view}"
    );
    assert_eq!(view["sign_in"]["signed_in"], false, "{view}");
    assert!(
        s.app
            .store
            .sign_in_tokens(&s.install)
            .await
            .unwrap()
            .is_none()
    );

    // Signing in again resumes it.
    s.partner.lock().unwrap().refuse_renewal = false;
    s.sign_in().await;
    assert_eq!(s.view().await["status"], "connected");
}

#[tokio::test]
async fn signing_out_revokes_and_forgets_the_tokens() {
    let s = connected().await;
    s.sign_in().await;
    let (status, out) = post_json(&s.app, &s.admin, &s.path("/sign-out"), "{}").await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["revoked"], true, "{out}");
    assert_eq!(out["status"], "pending", "{out}");
    assert_eq!(s.partner.lock().unwrap().revoked, vec!["ref-1".to_string()]);
    assert!(
        s.app
            .store
            .sign_in_tokens(&s.install)
            .await
            .unwrap()
            .is_none()
    );
    let view = s.view().await;
    assert_eq!(view["sign_in"]["signed_in"], false, "{view}");

    // A run now stops before the connector starts, saying why.
    let run = s.sync_refused_or_failed().await;
    if let Some(run) = run {
        assert_eq!(run.failure_kind.map(|k| k.as_str()), Some("sign-in"));
        assert!(
            run.failure_reason.unwrap().contains("sign in"),
            "the reason names the sign-in"
        );
    }
    assert_eq!(
        s.partner.lock().unwrap().echoed.len(),
        1,
        "only the signed-in run reached the API"
    );

    // Disconnecting a signed-in install signs it out at the partner too.
    s.sign_in().await;
    let res = browser()
        .delete(format!("{}{}", s.app.url, s.path("")))
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(s.partner.lock().unwrap().revoked.len(), 2);
}

impl Setup {
    /// "Sync now" on an install that is not connected: refused, or run
    /// and failed. The run, if there was one.
    async fn sync_refused_or_failed(&self) -> Option<lockgate::store::RunRecord> {
        let (status, _) = post_json(&self.app, &self.admin, &self.path("/sync"), "{}").await;
        if status != 202 {
            assert_eq!(status, 409);
            return None;
        }
        Some(
            eventually("the sync to finish", || async {
                let runs = self.app.store.runs_of_install(&self.install).await.unwrap();
                runs.iter().find(|r| r.status == "failed").cloned()
            })
            .await,
        )
    }
}

/// Nobody signs in during a review: the review partner's token stands in,
/// so the connector's calls behind the sign-in are reviewed.
#[tokio::test]
async fn a_review_runs_a_connector_that_needs_a_sign_in() {
    let report = lockgate::review::vet::vet(
        std::sync::Arc::new(
            lockgate::Runtime::new(lockgate::RuntimeConfig {
                max_instances: 8,
                ..Default::default()
            })
            .unwrap(),
        ),
        Default::default(),
        &probe(),
        lockgate::review::vet::VetOptions::default(),
        &|_| {},
    )
    .await;
    let first_sync = report
        .checks
        .iter()
        .find(|c| c.name == "first sync")
        .unwrap_or_else(|| panic!("no first sync: {report:#?}"));
    assert_eq!(
        first_sync.verdict,
        lockgate::review::vet::Verdict::Pass,
        "{report:#?}"
    );
    assert!(
        report.exchanges.iter().any(|x| x.url.ends_with("/echo")),
        "the connector's calls reached the review partner: {:?}",
        report.exchanges
    );
    assert!(!format!("{report:?}").contains(lockgate::capabilities::oauth::NOT_SIGNED_IN));
}
