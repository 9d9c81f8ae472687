//! Fixtures of this suite: the runtime, a seeded tenant in a fresh
//! database, a fake planner API on loopback, and a way to run a connector.
//! Fixtures the `lockgate` binary's tests share (temporary folders, test
//! databases, the app on loopback, waits) are in the `lockgate_tests`
//! library and re-exported here.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use lockgate::bindings::Trigger;
use lockgate::policy::{Limits, OperatorPolicy};
use lockgate::runtime::{Plugin, Runtime, RuntimeConfig};
use lockgate::sandbox::{SandboxOptions, generate};
use lockgate::store::{InstallRecord, Store};
use lockgate::sync::{RunRequest, RunSummary, run_sync};

pub use lockgate_tests::{TempDir, closed_port, test_store};

/// One runtime for the whole test binary, as one host process has.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache =
            std::env::temp_dir().join(format!("lockgate-test-cache-{}", std::process::id()));
        Runtime::new(RuntimeConfig {
            cache_dir: Some(cache),
            ..RuntimeConfig::default()
        })
        .expect("the runtime starts")
    })
}

pub fn planner_export() -> Arc<Plugin> {
    runtime()
        .load(lockgate::demo::PLANNER_EXPORT)
        .expect("planner-export loads")
}

pub fn program(name: &str) -> Arc<Plugin> {
    let bytes = std::fs::read(lockgate_tests::program(name)).expect("test program built");
    runtime().load(&bytes).expect("test program loads")
}

/// A Python connector built by this crate's build script, by folder name.
pub fn python(name: &str) -> Arc<Plugin> {
    let bytes = std::fs::read(lockgate_tests::python_program(name)).expect("Python program built");
    runtime().load(&bytes).expect("Python program loads")
}

pub const TENANT: &str = "acme";

/// A tenant seeded with synthetic data in its own database file.
pub struct Tenant {
    pub store: Store,
    _dir: TempDir,
}

impl Tenant {
    pub async fn seeded(employees: usize, seed: u64) -> Tenant {
        let dir = TempDir::new();
        let store = test_store(&dir).await;
        let data = generate(&SandboxOptions {
            employees,
            seed,
            today: lockgate::time::today(),
        });
        store.create_tenant(TENANT, "Acme").await.unwrap();
        store
            .upsert_employees(TENANT, &data.employees)
            .await
            .unwrap();
        store.upsert_absences(TENANT, &data.absences).await.unwrap();
        store
            .set_exclusions(TENANT, &data.exclusions)
            .await
            .unwrap();
        Tenant { store, _dir: dir }
    }

    /// The folder holding the tenant's SQLite database.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Runs a connector's sync as the install `<tenant>-<connector>`.
    pub async fn run(
        &self,
        plugin: &Plugin,
        config: &[(&str, &str)],
        setup: RunSetup,
    ) -> RunSummary {
        let mut plain = BTreeMap::new();
        let mut secrets = BTreeMap::new();
        for (k, v) in config {
            let secret = plugin.manifest.field(k).is_some_and(|f| f.secret);
            if secret {
                secrets.insert(k.to_string(), v.to_string());
            } else {
                plain.insert(k.to_string(), v.to_string());
            }
        }
        let install = InstallRecord {
            id: format!("{TENANT}-{}", plugin.manifest.id),
            tenant_id: TENANT.into(),
            connector_id: plugin.manifest.id.clone(),
            plugin_version: plugin.manifest.version.clone(),
            plugin_sha256: plugin.sha256.clone(),
            config: plain,
            status: lockgate::vocabulary::InstallStatus::Connected,
            ..Default::default()
        };
        self.store.put_install(&install).await.unwrap();
        let mut operator = OperatorPolicy::default();
        for host in &setup.allow_http {
            operator.allow(host).unwrap();
        }
        run_sync(
            runtime(),
            RunRequest {
                store: &self.store,
                plugin,
                install: &install,
                secrets: &secrets,
                sign_in_key: None,
                operator,
                limits: setup.limits,
                trigger: Trigger::Manual,
            },
        )
        .await
        .expect("the run is recorded")
    }

    /// Runs planner-export against `planner` and asserts it succeeded: the
    /// host is healthy after whatever ran before.
    pub async fn assert_good_run_still_works(&self) {
        let planner = FakePlanner::start().await;
        let summary = self
            .run(&planner_export(), &planner.config(), planner.setup())
            .await;
        assert_eq!(
            summary.run.status, "successful",
            "{:?}",
            summary.run.failure_reason
        );
        assert!(!planner.received_ids().is_empty());
    }
}

/// How a run is set up beyond its configuration.
#[derive(Default)]
pub struct RunSetup {
    pub allow_http: Vec<String>,
    pub limits: Limits,
}

pub const PLANNER_KEY: &str = "s3cret-planner-key";

#[derive(Default)]
pub struct PlannerState {
    /// Every resource received, in order.
    pub resources: Vec<Value>,
    /// Authorization headers seen.
    pub auth: Vec<String>,
    /// Bodies posted to endpoints a connector should not use.
    pub other_bodies: Vec<String>,
    /// Ids the planner rejects with 422.
    pub reject: BTreeSet<String>,
    /// Every id sent in an answered batch, accepted or rejected, in order.
    pub attempted: Vec<String>,
    /// Batch calls are refused with 401 (the key's batch right was
    /// revoked); the account check still passes.
    pub revoked: bool,
    /// The planner accepts batches but never answers.
    pub stall: bool,
    /// After this many answered batches, batch calls are never answered.
    pub stall_after: Option<usize>,
    /// The next this many batch calls get 429 with `Retry-After: 0`.
    pub throttle_next: u32,
    /// After this many answered batches, every batch call gets 429.
    pub throttle_after: Option<usize>,
    pub batches_answered: usize,
    pub throttled_calls: usize,
    /// Ids of the resources the planner holds: accepted in a batch, not
    /// removed since.
    pub known: BTreeSet<String>,
    /// Every id a removal was asked for, in order.
    pub removals: Vec<String>,
    /// Ids whose removal the planner refuses with 409.
    pub refuse_removal: BTreeSet<String>,
}

/// A planning tool's API on loopback, as the planner-export README
/// describes it.
pub struct FakePlanner {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<PlannerState>>,
}

impl FakePlanner {
    pub async fn start() -> FakePlanner {
        let state: Arc<Mutex<PlannerState>> = Arc::default();
        let app = Router::new()
            .route("/api/v1/account", get(account))
            .route("/api/v1/resources/batch", post(batch))
            .route("/api/v1/resources/{id}", delete(remove))
            .route("/exfiltrate", post(other))
            .route("/dump", post(other))
            .route("/big", get(big))
            .route("/big-headers", get(big_headers))
            .route("/redirect", get(redirect))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakePlanner { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn config(&self) -> Vec<(&'static str, &'static str)> {
        let url: &'static str = Box::leak(self.url().into_boxed_str());
        vec![("planner-url", url), ("api-key", PLANNER_KEY)]
    }

    pub fn setup(&self) -> RunSetup {
        RunSetup {
            allow_http: vec![self.addr.to_string()],
            ..RunSetup::default()
        }
    }

    pub fn reject(&self, id: &str) {
        self.state.lock().unwrap().reject.insert(id.to_string());
    }

    pub fn received_ids(&self) -> Vec<String> {
        self.state
            .lock()
            .unwrap()
            .resources
            .iter()
            .map(|r| r["externalId"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub fn take_resources(&self) -> Vec<Value> {
        std::mem::take(&mut self.state.lock().unwrap().resources)
    }
}

async fn account(State(state): State<Arc<Mutex<PlannerState>>>, headers: HeaderMap) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    state.lock().unwrap().auth.push(auth.clone());
    if auth != format!("Bearer {PLANNER_KEY}") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response();
    }
    Json(json!({"name": "Fake planner"})).into_response()
}

async fn batch(
    State(state): State<Arc<Mutex<PlannerState>>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let stall = {
        let state = state.lock().unwrap();
        state.stall
            || state
                .stall_after
                .is_some_and(|n| state.batches_answered >= n)
    };
    if stall {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    let mut state = state.lock().unwrap();
    state.auth.push(auth.clone());
    if auth != format!("Bearer {PLANNER_KEY}") || state.revoked {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response();
    }
    let over_limit = state
        .throttle_after
        .is_some_and(|n| state.batches_answered >= n);
    if state.throttle_next > 0 || over_limit {
        state.throttle_next = state.throttle_next.saturating_sub(1);
        state.throttled_calls += 1;
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0")],
            Json(json!({"error": "slow down"})),
        )
            .into_response();
    }
    state.batches_answered += 1;
    let mut results = Vec::new();
    for item in body["resources"].as_array().cloned().unwrap_or_default() {
        let id = item["externalId"].as_str().unwrap_or_default().to_string();
        state.attempted.push(id.clone());
        if state.reject.contains(&id) {
            results.push(json!({"externalId": id, "code": 422, "error": format!("department of {id} is unknown in the planner")}));
        } else {
            results.push(json!({"externalId": id, "code": 200, "result": "updated"}));
            state.known.insert(id);
            state.resources.push(item);
        }
    }
    Json(json!({ "results": results })).into_response()
}

/// `DELETE /api/v1/resources/{id}`: 204, 404 when unknown, 409 when refused.
async fn remove(
    State(state): State<Arc<Mutex<PlannerState>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut state = state.lock().unwrap();
    state.auth.push(auth.clone());
    if auth != format!("Bearer {PLANNER_KEY}") || state.revoked {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"}))).into_response();
    }
    state.removals.push(id.clone());
    if state.refuse_removal.contains(&id) {
        let error = format!("{id} still has bookings next week");
        return (StatusCode::CONFLICT, Json(json!({ "error": error }))).into_response();
    }
    if state.known.remove(&id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "no such resource"})),
        )
            .into_response()
    }
}

async fn other(State(state): State<Arc<Mutex<PlannerState>>>, body: String) -> StatusCode {
    state.lock().unwrap().other_bodies.push(body);
    StatusCode::OK
}

pub fn today() -> String {
    lockgate::time::date_text(lockgate::time::today())
}

pub fn days_from_today(days: i64) -> String {
    lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), days))
}

/// Three MiB of body.
async fn big() -> Vec<u8> {
    vec![b'z'; 3 << 20]
}

/// Forty headers of 1 KiB each: more than a header map may hold.
async fn big_headers() -> Response {
    let mut headers = HeaderMap::new();
    for n in 0..40 {
        headers.insert(
            axum::http::HeaderName::try_from(format!("x-filler-{n}")).unwrap(),
            axum::http::HeaderValue::from_str(&"h".repeat(1024)).unwrap(),
        );
    }
    (headers, "{}").into_response()
}

async fn redirect() -> Response {
    (
        StatusCode::FOUND,
        [("location", "https://evil.example/steal")],
    )
        .into_response()
}

/// The employees the data rules let `connector` see today, computed here
/// from the raw data (not by the host's queries, which are under test).
pub async fn visible_employees(tenant: &Tenant, connector: &str) -> Vec<lockgate::hr::Employee> {
    visible_in(&tenant.store, TENANT, connector).await
}

/// [`visible_employees`] of any tenant in any store.
pub async fn visible_in(
    store: &Store,
    tenant: &str,
    connector: &str,
) -> Vec<lockgate::hr::Employee> {
    let today = today();
    let excluded: BTreeSet<String> = store
        .exclusions(tenant)
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, c)| c == connector)
        .map(|(e, _)| e)
        .collect();
    store
        .all_employees(tenant)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.hire_date <= today && e.termination_date.as_ref().is_none_or(|t| *t >= today))
        .filter(|e| !excluded.contains(&e.id))
        .collect()
}

pub use lockgate_tests::with_manifest;

/// Lists `component` in the marketplace as `partner`'s, approved.
pub async fn publish(app: &lockgate::app::App, partner: &str, component: &[u8]) {
    let found = lockgate_manifest::inspect(component);
    let manifest = found.manifest.as_ref().expect("a manifest");
    let sha = app.artifacts.put(component).await.unwrap();
    app.store
        .submit_version(partner, false, manifest, &sha, found.size, &found.imports)
        .await
        .unwrap();
    let approve = lockgate::store::catalog::Decision::Approve {
        tier: "select".into(),
        note: None,
    };
    app.store
        .review(&manifest.id, &manifest.version, approve)
        .await
        .unwrap();
}

/// `lockgate plugin vet` of a bundled connector against its fake partner
/// at `partner_url`, with `secret` as its one secret config value (and
/// `previous` as the listed version, for the upgrade check); fails the
/// test on any failing check and on any of `passing` not passing.
pub async fn vet_passes(
    wasm: &[u8],
    secret: (&str, &str),
    partner_url: String,
    previous: Option<&[u8]>,
    passing: &[&str],
) -> lockgate::review::vet::VetReport {
    use lockgate::review::vet::{Verdict, VetOptions, vet};
    let runtime = Arc::new(
        Runtime::new(RuntimeConfig {
            max_instances: 8,
            ..Default::default()
        })
        .unwrap(),
    );
    let report = vet(
        runtime,
        Default::default(),
        wasm,
        VetOptions {
            config: [(secret.0.to_string(), secret.1.to_string())].into(),
            partner_url: Some(partner_url),
            previous: previous.map(<[u8]>::to_vec),
        },
        &|_| {},
    )
    .await;
    let failures: Vec<String> = report
        .checks
        .iter()
        .filter(|c| c.verdict == Verdict::Fail)
        .map(|c| format!("{}: {}", c.name, c.reason))
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
    for name in passing {
        let check = report
            .checks
            .iter()
            .find(|c| c.name == *name)
            .unwrap_or_else(|| panic!("no check {name}: {:#?}", report.checks));
        assert_eq!(check.verdict, Verdict::Pass, "{check:#?}");
    }
    report
}
