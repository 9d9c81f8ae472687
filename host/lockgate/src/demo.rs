//! The built-in demo partner: a small planning tool that speaks the planner
//! API the bundled `planner-export` connector uses (see its README), held
//! in memory. `lockgate demo` runs the connector against it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The bundled planner export connector.
pub const PLANNER_EXPORT: &[u8] = include_bytes!(env!("BUNDLED_PLANNER_EXPORT_WASM"));

/// The bundled ATS hire connector.
pub const ATS_HIRE: &[u8] = include_bytes!(env!("BUNDLED_ATS_HIRE_WASM"));

/// The bundled SCIM account provisioning connector.
pub const ACCOUNT_PROVISIONING: &[u8] = include_bytes!(env!("BUNDLED_ACCOUNT_PROVISIONING_WASM"));
pub const ABSENCE_MIRROR: &[u8] = include_bytes!(env!("BUNDLED_ABSENCE_MIRROR_WASM"));

/// The bundled time-tracking connector (clock entries become working times).
pub const TIME_TRACKING: &[u8] = include_bytes!(env!("BUNDLED_TIME_TRACKING_WASM"));
/// The bundled monthly payroll export connector.
pub const PAYROLL_EXPORT: &[u8] = include_bytes!(env!("BUNDLED_PAYROLL_EXPORT_WASM"));
/// The bundled job board connector: applications from a job board.
pub const JOB_BOARD: &[u8] = include_bytes!(env!("BUNDLED_JOB_BOARD_WASM"));

/// The API key the demo planner accepts.
pub const DEMO_API_KEY: &str = "demo-planner-key";

type Resources = Arc<Mutex<BTreeMap<String, Value>>>;

/// A running demo planner on loopback.
pub struct DemoPlanner {
    addr: SocketAddr,
    resources: Resources,
    _task: tokio::task::JoinHandle<()>,
}

impl DemoPlanner {
    pub async fn start() -> std::io::Result<DemoPlanner> {
        let resources: Resources = Arc::default();
        let app = Router::new()
            .route("/api/v1/account", get(account))
            .route("/api/v1/resources/batch", post(batch))
            .route("/api/v1/resources/{external_id}", delete(remove))
            .with_state(resources.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(DemoPlanner {
            addr,
            resources,
            _task: task,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    pub fn resource_count(&self) -> usize {
        self.resources.lock().map(|r| r.len()).unwrap_or(0)
    }
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {DEMO_API_KEY}"))
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "invalid API key" })),
    )
        .into_response()
}

async fn account(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    Json(json!({ "name": "Demo planner" })).into_response()
}

async fn batch(
    State(resources): State<Resources>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Some(items) = body.get("resources").and_then(Value::as_array) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "resources missing" })),
        )
            .into_response();
    };
    let mut store = match resources.lock() {
        Ok(s) => s,
        Err(e) => e.into_inner(),
    };
    let results: Vec<Value> = items
        .iter()
        .map(|item| {
            let id = item
                .get("externalId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if id.is_empty() {
                return json!({ "externalId": id, "code": 422, "error": "externalId is required" });
            }
            let created = store.insert(id.clone(), item.clone()).is_none();
            json!({
                "externalId": id,
                "code": if created { 201 } else { 200 },
                "result": if created { "created" } else { "updated" },
            })
        })
        .collect();
    Json(json!({ "results": results })).into_response()
}

/// `DELETE /api/v1/resources/{externalId}`: `204`, or `404` when unknown.
async fn remove(
    State(resources): State<Resources>,
    Path(external_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let mut store = match resources.lock() {
        Ok(s) => s,
        Err(e) => e.into_inner(),
    };
    match store.remove(&external_id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no resource {external_id}") })),
        )
            .into_response(),
    }
}

/// Tokens for trying a demo host, one per role.
pub struct DemoAccess {
    pub operator: String,
    pub partner: String,
    pub tenant_admin: String,
    pub install_id: String,
}

/// The connectors that ship with the host.
pub fn bundled() -> Vec<&'static [u8]> {
    vec![
        PLANNER_EXPORT,
        ATS_HIRE,
        ACCOUNT_PROVISIONING,
        ABSENCE_MIRROR,
        TIME_TRACKING,
        PAYROLL_EXPORT,
        JOB_BOARD,
    ]
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("a bundled connector does not pass inspection")]
    BundledRefused,
    #[error("the planner export is not listed")]
    PlannerNotListed,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Catalog(#[from] crate::store::catalog::CatalogError),
    #[error(transparent)]
    Artifact(#[from] crate::artifacts::ArtifactError),
    #[error(transparent)]
    Prepare(#[from] crate::app::PrepareError),
    #[error(transparent)]
    Token(#[from] crate::auth::TokenError),
}

/// A bundled connector whose version the catalog already holds as another
/// build (rebuilt by a new compiler, or changed without raising the
/// version): the stored build stays listed, and this one is not published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptBuild {
    pub connector: String,
    pub version: String,
    /// The digest of the build the catalog keeps.
    pub stored_sha256: String,
    /// The digest of the build this host carries.
    pub bundled_sha256: String,
}

impl std::fmt::Display for KeptBuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the catalog already holds {} {} as another build (sha256 {}); that stored build stays \
             listed and this host's build (sha256 {}) is not published: raise the version in the \
             connector's connector.toml to publish it",
            self.connector, self.version, self.stored_sha256, self.bundled_sha256
        )
    }
}

/// Lists the bundled connectors in the marketplace as the platform's own
/// (approved, Premier), unless they already are. A version the catalog
/// holds as another build keeps that build (a version's contents never
/// change); each such one is logged as a warning and returned.
pub async fn publish_bundled(state: &crate::app::App) -> Result<Vec<KeptBuild>, DemoError> {
    let mut kept = Vec::new();
    for bytes in bundled() {
        let (inspection, manifest) = acceptable(bytes)?;
        let stored = state
            .store
            .plugin_version(&manifest.id, &manifest.version)
            .await?;
        match stored {
            Some(stored) if stored.sha256 != inspection.sha256 => {
                let build = KeptBuild {
                    connector: manifest.id.clone(),
                    version: manifest.version.clone(),
                    stored_sha256: stored.sha256.clone(),
                    bundled_sha256: inspection.sha256.clone(),
                };
                tracing::warn!("{build}");
                kept.push(build);
                approve_submitted(state, &stored).await?;
            }
            _ => {
                publish_build(state, bytes).await?;
            }
        }
    }
    Ok(kept)
}

/// Stores a connector build and lists its version as the platform's own
/// (approved, Premier); returns the listed version.
pub async fn publish_build(
    state: &crate::app::App,
    bytes: &[u8],
) -> Result<crate::store::catalog::PluginVersion, DemoError> {
    let (inspection, manifest) = acceptable(bytes)?;
    let sha256 = state.artifacts.put(bytes).await?;
    let version = state
        .store
        .submit_version(
            "lockgate",
            true,
            &manifest,
            &sha256,
            inspection.size,
            &inspection.imports,
        )
        .await?;
    approve_submitted(state, &version).await?;
    Ok(version)
}

/// A build's inspection and manifest, when it passes inspection.
fn acceptable(
    bytes: &[u8],
) -> Result<(lockgate_manifest::Inspection, lockgate_manifest::Manifest), DemoError> {
    let inspection = lockgate_manifest::inspect(bytes);
    let manifest = inspection
        .manifest
        .clone()
        .filter(|_| inspection.is_acceptable())
        .ok_or(DemoError::BundledRefused)?;
    Ok((inspection, manifest))
}

/// Approves a version still waiting for review, as Premier.
async fn approve_submitted(
    state: &crate::app::App,
    version: &crate::store::catalog::PluginVersion,
) -> Result<(), DemoError> {
    use crate::store::catalog::Decision;
    if version.status == "submitted" {
        state
            .store
            .review(
                &version.plugin_id,
                &version.version,
                Decision::Approve {
                    tier: "premier".into(),
                    note: None,
                },
            )
            .await?;
    }
    Ok(())
}

/// Prepares a serving host for a first look: the bundled connectors
/// listed, a sandbox tenant `demo` with open job positions, the planner
/// export connected to the demo planner at `planner_url` (the address
/// changes every start, so an existing install is pointed at it again),
/// and a token per role.
pub async fn bootstrap(
    state: &crate::app::App,
    planner_url: &str,
    employees: usize,
    seed: u64,
) -> Result<DemoAccess, DemoError> {
    use crate::auth::{NewToken, Role, create_token};
    publish_bundled(state).await?;
    let created = crate::sandbox::ensure_tenant(&state.store, "demo", employees, seed).await?;
    // A demo tenant seeded before positions existed gets them once, so a
    // job board connector has something to apply to.
    if !created && state.store.positions("demo").await?.is_empty() {
        let openings = crate::sandbox::openings(crate::time::today());
        state.store.upsert_positions("demo", &openings).await?;
    }

    let version = state
        .store
        .listed()
        .await?
        .into_iter()
        .find(|v| v.plugin_id == "planner-export")
        .ok_or(DemoError::PlannerNotListed)?;
    let plugin = state.load_plugin(&version.sha256).await?;
    let secrets = BTreeMap::from([("api-key".to_string(), DEMO_API_KEY.to_string())]);
    let existing = state
        .store
        .tenant_installs("demo")
        .await?
        .into_iter()
        .find(|i| i.connector_id == "planner-export");
    let mut install = match existing {
        Some(mut install) => {
            install
                .config
                .insert("planner-url".into(), planner_url.to_string());
            install
        }
        None => {
            let install = crate::store::InstallRecord {
                id: crate::store::new_id("inst"),
                tenant_id: "demo".into(),
                connector_id: version.plugin_id.clone(),
                plugin_version: version.version.clone(),
                plugin_sha256: version.sha256.clone(),
                config: BTreeMap::from([("planner-url".to_string(), planner_url.to_string())]),
                status: crate::vocabulary::InstallStatus::Pending,
                ..Default::default()
            };
            let sealed = state.secrets.seal(&install.id, &secrets);
            state
                .store
                .create_install_sealed(&install, Some(&sealed))
                .await?;
            install
        }
    };
    crate::installs::settle(state, &plugin, &mut install, &secrets).await?;

    let token = |role: Role, partner: Option<&str>, tenant: Option<&str>, label: &str| NewToken {
        role,
        partner_id: partner.map(String::from),
        tenant_id: tenant.map(String::from),
        marketplace_right: true,
        label: label.into(),
    };
    let (operator, _) = create_token(
        &state.store,
        token(Role::Operator, None, None, "demo operator"),
    )
    .await?;
    let (partner, _) = create_token(
        &state.store,
        token(Role::Partner, Some("acme"), None, "demo partner acme"),
    )
    .await?;
    let (tenant_admin, _) = create_token(
        &state.store,
        token(Role::TenantAdmin, None, Some("demo"), "demo tenant admin"),
    )
    .await?;
    Ok(DemoAccess {
        operator,
        partner,
        tenant_admin,
        install_id: install.id,
    })
}
