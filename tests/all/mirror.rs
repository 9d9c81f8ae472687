//! The bundled absence mirror against a fake planning tool: the host signs
//! in with OAuth2 client credentials, absences follow HR changes in real
//! time, people are matched on their exact names, and the tool's refusals,
//! throttling and outages end up in monitoring.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::api::{
    App, get as api_get, post_json, put_json, send_json, spawn_app_with, tenant_token,
};
use crate::connectors::{connect, runs};

const TENANT: &str = "t-1";
const CLIENT_ID: &str = "lockgate-app";
const CLIENT_SECRET: &str = "cs-9f2c1e77d0aa41b3";

/// The planning tool's side.
struct Tool {
    people: Vec<Value>,
    absences: BTreeMap<String, Value>,
    /// Issued tokens and when they stop working.
    tokens: BTreeMap<String, Instant>,
    issued: u32,
    lifetime: u64,
    /// API calls answered 401.
    unauthorized: u32,
    /// Absence ids the tool refuses.
    refuse: Vec<String>,
    /// The next this many API calls get 429 with `Retry-After: 1`.
    throttle: u32,
    throttled: u32,
    down: bool,
    /// The Authorization header of each call to `/echo`.
    echoed: Vec<Option<String>>,
}

type Shared = Arc<Mutex<Tool>>;

async fn tool() -> (String, Shared) {
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

async fn rows(app: &App, run: &lockgate::store::RunRecord) -> Vec<lockgate::store::RunRow> {
    app.store
        .run_rows(&run.id, None, None, None, 100)
        .await
        .unwrap()
}

fn today_plus(days: i64) -> String {
    lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), days))
}

#[tokio::test]
async fn absence_mirror_follows_hr_changes_with_a_host_managed_token() {
    let (addr, tool) = tool().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&addr).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 4)
        .await
        .unwrap();
    lockgate::demo::publish_bundled(&app.state).await.unwrap();
    let admin = tenant_token(&app, TENANT, true).await;
    let employees = format!("/api/v1/tenants/{TENANT}/employees");
    for (id, first, last, extra) in [
        ("e-zoe", "Zoë", "Van den Berg", json!({})),
        // The tool knows "Jan De Vries": capitals differ, no match.
        ("e-jan", "Jan", "de Vries", json!({})),
        // Two people of this name in the tool.
        ("e-luc", "Luc", "Martin", json!({})),
        (
            "e-out",
            "Zoë",
            "Van den Berg",
            json!({ "include_in": { "absence-mirror": false } }),
        ),
    ] {
        let mut body =
            json!({ "first_name": first, "last_name": last, "hire_date": today_plus(-100) });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = put_json(
            &app,
            &admin,
            &format!("{employees}/{id}"),
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    let absences = format!("/api/v1/tenants/{TENANT}/absences");
    let absence = |who: &str, kind: &str, start: i64, status: &str| {
        json!({
            "employee_id": who, "type_name": kind, "status": status,
            "start_date": today_plus(start), "end_date": today_plus(start + 2),
        })
        .to_string()
    };
    // Approved before the integration existed: the first sync sends it.
    put_json(
        &app,
        &admin,
        &format!("{absences}/a-0"),
        &absence("e-zoe", "Vacation", 3, "approved"),
    )
    .await;

    // Connecting with a wrong secret: Pending, with the partner's reason.
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let config = |secret: &str| {
        json!({
            "planner-url": format!("http://{addr}"),
            "client-id": CLIENT_ID,
            "client-secret": secret,
            "type-names": "Vacation=Verlof; Sick leave=Ziekte",
        })
    };
    let (preview, install) = connect(&app, &admin, "absence-mirror", &config("wrong")).await;
    // The wizard says who signs in where, without the secret.
    let sign_in = preview["permissions"]["sign_in"].as_str().unwrap();
    assert!(
        sign_in.contains(&format!("signs in at https://{addr}/oauth/token"))
            && sign_in.contains("never sees"),
        "{sign_in}"
    );
    assert!(!preview.to_string().contains("\"wrong\""));
    assert_eq!(install["status"], "pending", "{install}");
    let reason = install["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("invalid_client") && reason.contains("check the client id and secret"),
        "{reason}"
    );
    assert!(
        !install.to_string().contains("wrong"),
        "the secret is never shown"
    );
    let id = install["id"].as_str().unwrap().to_string();

    // A bad type mapping is refused per field, and nothing changes.
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &admin,
        &format!("{path}/{id}"),
        r#"{"config": {"type-names": "Vacation"}}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("type-names"), "{body}");

    // The right secret: Connected, and the first sync sends a-0.
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &admin,
        &format!("{path}/{id}"),
        &json!({ "config": { "client-secret": CLIENT_SECRET } }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_json(&app, &admin, &format!("{path}/{id}/check"), "{}").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "connected", "{body}");
    let first = runs(&app, &id, 1).await;
    assert_eq!(first[0].kind, "sync");
    assert_eq!(
        first[0].status, "successful",
        "{:?}",
        first[0].failure_reason
    );
    {
        let tool = tool.lock().unwrap();
        let a0 = &tool.absences["a-0"];
        assert_eq!(a0["person_id"], "p-1");
        assert_eq!(a0["type_id"], "t-1", "Vacation is Verlof in the tool");
        assert_eq!(a0["start_date"], today_plus(3).as_str());
    }

    // Real time: each change is one event run.
    let put = |id: &'static str, body: String| {
        let (app, admin, absences) = (&app, &admin, &absences);
        async move {
            let (status, answer) = put_json(app, admin, &format!("{absences}/{id}"), &body).await;
            assert_eq!(status, 200, "{answer}");
        }
    };
    put("a-1", absence("e-zoe", "Sick leave", 10, "approved")).await;
    let done = runs(&app, &id, 2).await;
    let r = rows(&app, &done[1]).await;
    assert_eq!(
        (r[0].operation.as_str(), r[0].status.as_str()),
        ("create", "success"),
        "{r:?}"
    );
    assert_eq!(r[0].partner_status, Some(201));
    assert_eq!(tool.lock().unwrap().absences["a-1"]["type_id"], "t-2");

    // No exact name match, two matches, an unmapped type, a pending one.
    put("a-2", absence("e-jan", "Vacation", 5, "approved")).await;
    put("a-3", absence("e-luc", "Vacation", 5, "approved")).await;
    put("a-4", absence("e-zoe", "Training", 20, "approved")).await;
    put("a-5", absence("e-zoe", "Vacation", 30, "pending")).await;
    // Excluded by the tenant: not delivered at all.
    put("a-6", absence("e-out", "Vacation", 5, "approved")).await;
    let done = runs(&app, &id, 6).await;
    let jan = rows(&app, &done[2]).await;
    assert_eq!(
        (jan[0].operation.as_str(), jan[0].status.as_str()),
        ("skip", "skipped")
    );
    assert!(
        jan[0].message.contains("no person named \"Jan de Vries\"")
            && jan[0].message.contains("capitals"),
        "{jan:?}"
    );
    let luc = rows(&app, &done[3]).await;
    assert!(
        luc[0].message.contains("2 people named \"Luc Martin\""),
        "{luc:?}"
    );
    let training = rows(&app, &done[4]).await;
    assert_eq!(training[0].status, "failed");
    assert!(
        training[0]
            .message
            .contains("no absence type named \"Training\""),
        "{training:?}"
    );
    assert_eq!(done[4].status, "failed", "its only row failed");
    let pending = rows(&app, &done[5]).await;
    assert!(
        pending[0].message.contains("pending approval"),
        "{pending:?}"
    );
    assert!(!tool.lock().unwrap().absences.contains_key("a-2"));

    // Approved later: entered; cancelled: removed.
    put("a-5", absence("e-zoe", "Vacation", 30, "approved")).await;
    put("a-1", absence("e-zoe", "Sick leave", 10, "cancelled")).await;
    let done = runs(&app, &id, 8).await;
    assert_eq!(rows(&app, &done[6]).await[0].operation, "create");
    let cancelled = rows(&app, &done[7]).await;
    assert_eq!(
        (
            cancelled[0].operation.as_str(),
            cancelled[0].status.as_str()
        ),
        ("update", "success")
    );
    assert!(
        cancelled[0].message.contains("cancelled: removed"),
        "{cancelled:?}"
    );
    assert!(!tool.lock().unwrap().absences.contains_key("a-1"));
    assert!(tool.lock().unwrap().absences.contains_key("a-5"));
    assert_eq!(done.len(), 8, "nothing ran for a-6: {done:?}");
    for run in &done {
        assert!(
            rows(&app, run)
                .await
                .iter()
                .all(|r| r.employee_id.as_deref() != Some("e-out"))
        );
    }

    // The tool refuses one absence: that row fails with its answer.
    tool.lock().unwrap().refuse.push("a-7".into());
    put("a-7", absence("e-zoe", "Vacation", 40, "approved")).await;
    let done = runs(&app, &id, 9).await;
    assert_eq!(done[8].status, "failed", "its only row failed");
    let refused = rows(&app, &done[8]).await;
    assert_eq!(refused[0].status, "failed");
    assert_eq!(refused[0].partner_status, Some(422));
    assert!(
        refused[0]
            .partner_body
            .as_deref()
            .unwrap()
            .contains("already confirmed")
    );

    // Throttled twice with Retry-After: waited out, then sent.
    tool.lock().unwrap().throttle = 2;
    put("a-8", absence("e-zoe", "Vacation", 50, "approved")).await;
    let done = runs(&app, &id, 10).await;
    assert_eq!(done[9].status, "successful", "{:?}", done[9].failure_reason);
    assert_eq!(tool.lock().unwrap().throttled, 2);
    assert!(tool.lock().unwrap().absences.contains_key("a-8"));

    // The tool down: the run fails and says so; the nightly sync catches up.
    tool.lock().unwrap().down = true;
    put("a-9", absence("e-zoe", "Vacation", 60, "approved")).await;
    let done = runs(&app, &id, 11).await;
    assert_eq!(done[10].status, "failed");
    let why = done[10].failure_reason.as_deref().unwrap();
    assert!(why.contains("503") && why.contains("nightly sync"), "{why}");
    tool.lock().unwrap().down = false;
    let (status, body) = post_json(&app, &admin, &format!("{path}/{id}/sync"), "{}").await;
    assert_eq!(status, 202, "{body}");
    let done = runs(&app, &id, 12).await;
    assert_eq!(done[11].kind, "sync");
    assert!(
        tool.lock().unwrap().absences.contains_key("a-9"),
        "caught up"
    );
    let caught_up = rows(&app, &done[11]).await;
    assert!(
        caught_up
            .iter()
            .all(|r| r.message.contains("a-") && !r.message.contains("a-0 ")),
        "only what changed since the first sync: {caught_up:?}"
    );

    assert_eq!(
        tool.lock().unwrap().issued,
        1,
        "the host keeps the token between runs"
    );

    // Revoked by the tool: refused once, then the host signs in again.
    tool.lock().unwrap().tokens.clear();
    put("a-10", absence("e-zoe", "Vacation", 70, "approved")).await;
    let done = runs(&app, &id, 13).await;
    assert_eq!(
        done[12].status, "successful",
        "{:?}",
        done[12].failure_reason
    );
    {
        let tool = tool.lock().unwrap();
        assert_eq!((tool.issued, tool.unauthorized), (2, 1));
    }
    // Expired: renewed before use, without a refusal.
    tool.lock().unwrap().lifetime = 1;
    tool.lock().unwrap().tokens.clear();
    put("a-11", absence("e-zoe", "Vacation", 80, "approved")).await;
    runs(&app, &id, 14).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    put("a-12", absence("e-zoe", "Vacation", 90, "approved")).await;
    let done = runs(&app, &id, 15).await;
    assert_eq!(
        done[14].status, "successful",
        "{:?}",
        done[14].failure_reason
    );
    let log = |run: &lockgate::store::RunRecord| {
        let (store, run) = (app.store.clone(), run.id.clone());
        async move {
            store
                .run_logs(&run)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.message)
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let revoked = log(&done[12]).await;
    assert!(
        revoked.contains("refused the access token")
            && revoked.contains("access token obtained from"),
        "{revoked}"
    );

    // No token and no secret anywhere an admin or a log reader looks.
    let tokens: Vec<String> = tool.lock().unwrap().tokens.keys().cloned().collect();
    assert!(!tokens.is_empty());
    let mut seen = String::new();
    for run in &done {
        seen.push_str(&log(run).await);
        for row in rows(&app, run).await {
            seen.push_str(&format!("{row:?}\n"));
        }
    }
    let (_, view) = api_get(&app, &admin, &format!("{path}/{id}"), None).await;
    let (_, audit) = api_get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/audit"),
        None,
    )
    .await;
    seen.push_str(&view.to_string());
    seen.push_str(&audit.to_string());
    for secret in tokens
        .iter()
        .map(String::as_str)
        .chain([CLIENT_SECRET, "tok-1-"])
    {
        assert!(!seen.contains(secret), "{secret} leaked");
    }

    let tool = tool.lock().unwrap();
    assert!(tool.absences.contains_key("a-12"));
    assert_eq!(
        (tool.issued, tool.unauthorized),
        (4, 2),
        "one refusal for the revoked token; the expired one was renewed ahead"
    );
}

#[tokio::test]
async fn absence_mirror_passes_vet_against_the_tool() {
    let (addr, tool) = tool().await;
    let report = lockgate::vet::vet(
        std::sync::Arc::new(
            lockgate::Runtime::new(lockgate::RuntimeConfig {
                max_instances: 8,
                ..Default::default()
            })
            .unwrap(),
        ),
        Default::default(),
        lockgate::demo::ABSENCE_MIRROR,
        lockgate::vet::VetOptions {
            config: [
                ("client-id".to_string(), CLIENT_ID.to_string()),
                ("client-secret".to_string(), CLIENT_SECRET.to_string()),
            ]
            .into(),
            partner_url: Some(format!("http://{addr}")),
            previous: None,
        },
        &|_| {},
    )
    .await;
    let verdict = |name: &str| {
        report
            .checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name}: {report:#?}"))
            .verdict
    };
    assert_ne!(report.verdict, lockgate::vet::Verdict::Fail, "{report:#?}");
    use lockgate::vet::Verdict::Pass;
    // Signed in with the right secret, refused with a wrong one.
    assert_eq!(verdict("check-connection"), Pass, "{report:#?}");
    assert_eq!(
        verdict("check-connection with a wrong credential"),
        Pass,
        "{report:#?}"
    );
    assert_eq!(
        verdict("validate-config refuses a broken configuration"),
        Pass,
        "{report:#?}"
    );
    assert!(tool.lock().unwrap().issued >= 1);
    let text = format!("{report:?}");
    assert!(
        !text.contains(CLIENT_SECRET) && !text.contains("tok-"),
        "{text}"
    );
}

#[tokio::test]
async fn a_connector_cannot_get_at_the_token_or_the_client_secret() {
    use crate::helpers::{RunSetup, Tenant};
    let tenant = Tenant::seeded(3, 2).await;
    let (api, api_tool) = tool().await;
    let (other, other_tool) = tool().await;
    let plugin = crate::helpers::program("test-oauth-probe");
    let (api_url, other_url) = (format!("http://{api}"), format!("http://{other}"));
    let summary = tenant
        .run(
            &plugin,
            &[
                ("api-url", api_url.as_str()),
                ("other-url", other_url.as_str()),
                ("client-id", CLIENT_ID),
                ("client-secret", CLIENT_SECRET),
            ],
            RunSetup {
                allow_http: vec![api.clone(), other.clone()],
                ..RunSetup::default()
            },
        )
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let saw = |what: &str| {
        summary
            .rows
            .iter()
            .find(|r| r.employee_id.as_deref() == Some(what))
            .unwrap_or_else(|| panic!("no row {what}: {:?}", summary.rows))
            .message
            .clone()
    };
    assert_eq!(saw("config.get"), "absent");
    assert!(
        !saw("config.all").contains("client-secret"),
        "{}",
        saw("config.all")
    );
    // Its own Authorization header was replaced by the host's token.
    let token = {
        let tool = api_tool.lock().unwrap();
        assert_eq!(tool.issued, 1);
        tool.tokens.keys().next().unwrap().clone()
    };
    assert_eq!(
        api_tool.lock().unwrap().echoed,
        vec![Some(format!("Bearer {token}"))]
    );
    // The token went nowhere else.
    assert_eq!(other_tool.lock().unwrap().echoed, vec![None]);
    assert_eq!(other_tool.lock().unwrap().issued, 0);
    // Asking the token endpoint itself gets it nowhere: the host lends it
    // no client credentials.
    assert!(
        saw("token endpoint").starts_with("401"),
        "{}",
        saw("token endpoint")
    );
    assert_eq!(api_tool.lock().unwrap().issued, 1);
    let everything = format!("{:?}{:?}", summary.rows, summary.run);
    let logs: String = tenant
        .store
        .run_logs(&summary.run.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.message)
        .collect();
    for secret in [token.as_str(), CLIENT_SECRET] {
        assert!(
            !everything.contains(secret) && !logs.contains(secret),
            "{secret} leaked"
        );
    }
}
