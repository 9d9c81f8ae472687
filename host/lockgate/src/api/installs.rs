//! Tenant installs and their monitoring: connect (preview, then grant),
//! check, reconfigure, deactivate, reactivate, upgrade, delete, sync now;
//! the connected-integrations view, runs per install and rows per run.
//!
//! Only the tenant's own admins with the marketplace right change
//! installs; the operator may read them (support) but not change them.
//! Secret values are never returned: a secret field reads as set or not.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::catalog::language;
use super::{ApiError, AppState, Caller, FieldProblem, json_error};
use crate::auth::{Principal, Role};
use crate::installs::{self as service, CheckedConfig, Permissions};
use crate::store::InstallRecord;
use crate::store::catalog::PluginVersion;
use crate::store::installs::{CONNECTED, DELETED, INACTIVE, PENDING};
use lockgate_manifest::manifest::localized;

/// Reading the tenant's installs: its own admins (with the marketplace
/// right) and the operator. Anyone else learns nothing.
async fn read_access(state: &AppState, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    super::hr::tenant_access(state, caller, tenant).await?;
    if caller.role == Role::TenantAdmin && !caller.marketplace_right {
        return Err(forbidden(
            "you need the right to manage marketplace integrations",
        ));
    }
    Ok(())
}

/// Changing installs: the tenant's admins with the marketplace right only.
async fn write_access(state: &AppState, caller: &Principal, tenant: &str) -> Result<(), ApiError> {
    read_access(state, caller, tenant).await?;
    if caller.role != Role::TenantAdmin {
        return Err(forbidden(
            "only the tenant's own admins connect and change integrations",
        ));
    }
    Ok(())
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
}

fn invalid(message: &str, fields: Vec<FieldProblem>) -> ApiError {
    let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", message);
    error.fields = fields;
    error
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", message)
}

/// The install, if it belongs to the tenant and is not deleted.
async fn find(state: &AppState, tenant: &str, id: &str) -> Result<InstallRecord, ApiError> {
    match state.store.install(id).await? {
        Some(i) if i.tenant_id == tenant && i.status != DELETED => Ok(i),
        _ => Err(ApiError::not_found("install")),
    }
}

/// The approved version to install: the one named, else the listed one.
async fn approved_version(
    state: &AppState,
    plugin: &str,
    version: Option<&str>,
) -> Result<PluginVersion, ApiError> {
    let found = match version {
        Some(v) => state.store.plugin_version(plugin, v).await?,
        None => state
            .store
            .listed()
            .await?
            .into_iter()
            .find(|v| v.plugin_id == plugin),
    };
    match found {
        Some(v) if v.status == "approved" => Ok(v),
        _ => Err(super::field_error(
            if version.is_some() {
                "version"
            } else {
                "plugin"
            },
            "no approved connector with this id and version in the marketplace",
        )),
    }
}

fn plugin_of(
    state: &AppState,
    sha256: &str,
) -> Result<std::sync::Arc<crate::runtime::Plugin>, ApiError> {
    service::plugin(state, sha256).map_err(ApiError::internal)
}

async fn current_config(
    state: &AppState,
    install: &InstallRecord,
) -> Result<CheckedConfig, ApiError> {
    let secrets = service::secrets(state, &install.id)
        .await
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "secrets_unreadable", e))?;
    Ok(CheckedConfig {
        public: install.config.clone(),
        secrets,
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// The admin grants exactly what the configuration resolves to.
fn check_grant(permissions: &Permissions, grant: Option<&GrantInput>) -> Result<(), ApiError> {
    let want_scopes: Vec<_> = permissions.scopes.iter().map(|s| s.scope.clone()).collect();
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v
    };
    let mut problems = Vec::new();
    let given = grant.map(|g| (sorted(&g.scopes), sorted(&g.hosts)));
    if given.as_ref().map(|g| &g.0) != Some(&sorted(&want_scopes)) {
        problems.push(FieldProblem {
            field: "grant.scopes".into(),
            message: format!("grant exactly: {}", want_scopes.join(", ")),
        });
    }
    if given.as_ref().map(|g| &g.1) != Some(&sorted(&permissions.hosts)) {
        problems.push(FieldProblem {
            field: "grant.hosts".into(),
            message: format!("grant exactly: {}", permissions.hosts.join(", ")),
        });
    }
    if problems.is_empty() {
        return Ok(());
    }
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "grant_required",
        "grant the data scopes and hosts this configuration needs (see the preview)",
    );
    error.fields = problems;
    Err(error)
}

fn check_schedule(schedule: Option<&str>) -> Result<(), ApiError> {
    if let Some(s) = schedule
        && let Err(e) = lockgate_manifest::Schedule::parse(s)
    {
        return Err(super::field_error("schedule", &e));
    }
    Ok(())
}

/// An install as the console shows it.
async fn view(state: &AppState, install: &InstallRecord, lang: &str) -> Result<Value, ApiError> {
    let version = state
        .store
        .plugin_version(&install.connector_id, &install.plugin_version)
        .await?;
    let manifest = version.as_ref().map(|v| &v.manifest);
    let secret_fields: BTreeMap<String, bool> = match manifest {
        Some(m) => {
            let stored = service::secrets(state, &install.id)
                .await
                .unwrap_or_default();
            m.config
                .iter()
                .filter(|f| f.secret)
                .map(|f| (f.key.clone(), stored.contains_key(&f.key)))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let permissions = manifest.and_then(|m| {
        service::permissions(
            m,
            &CheckedConfig {
                public: install.config.clone(),
                secrets: BTreeMap::new(),
            },
            state,
        )
        .ok()
    });
    let last_run = state.store.runs_page(&install.id, None, 1).await?.pop();
    let listed = state.store.listed_version(&install.connector_id).await?;
    Ok(json!({
        "id": install.id,
        "tenant_id": install.tenant_id,
        "connector_id": install.connector_id,
        "name": manifest.map(|m| localized(&m.name, lang).to_string()),
        "version": install.plugin_version,
        "upgrade_available": listed.filter(|v| *v != install.plugin_version),
        "status": install.status,
        "status_label": service::status_label(&install.status),
        "status_reason": install.status_reason,
        "config": install.config,
        "secrets_set": secret_fields,
        "schedule": manifest.and_then(|m| service::effective_schedule(m, install)),
        "schedule_is_default": install.schedule.is_none(),
        "next_run_at": install.next_run_at,
        "last_check_at": install.last_check_at,
        "webhook": manifest
            .filter(|m| m.triggers.webhook)
            .map(|_| json!({ "url": crate::webhooks::path(&install.id) })),
        "permissions": permissions,
        "last_run": last_run.map(|r| json!({
            "id": r.id,
            "trigger": r.trigger,
            "status": r.status,
            "status_label": crate::sync::status_label(&r.status),
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "failure_reason": r.failure_reason,
        })),
        "created_at": install.created_at,
    }))
}

/// GET /api/v1/tenants/{tenant}/installs — the connected integrations.
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let lang = language(&headers);
    let mut items = Vec::new();
    for install in state.store.tenant_installs(&tenant).await? {
        items.push(view(&state, &install, &lang).await?);
    }
    Ok(Json(json!({ "items": items })))
}

/// GET /api/v1/tenants/{tenant}/installs/{id}
pub async fn get_one(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectInput {
    pub plugin: String,
    pub version: Option<String>,
    #[serde(default)]
    pub config: Map<String, Value>,
    pub schedule: Option<String>,
    pub grant: Option<GrantInput>,
}

/// POST /api/v1/tenants/{tenant}/installs/preview — the wizard's check
/// before connecting: field errors, or the scopes and hosts to grant.
pub async fn preview(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<Json<ConnectInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let Json(input) = body.map_err(json_error)?;
    let version = approved_version(&state, &input.plugin, input.version.as_deref()).await?;
    check_schedule(input.schedule.as_deref())?;
    let config = service::check_config(&version.manifest, &input.config, &CheckedConfig::default())
        .map_err(|f| invalid("the configuration does not fit the connector", f))?;
    let permissions = service::permissions(&version.manifest, &config, &state)
        .map_err(|f| invalid("the configuration does not resolve", f))?;
    Ok(Json(json!({
        "plugin": version.plugin_id,
        "version": version.version,
        "grant": {
            "scopes": permissions.scopes.iter().map(|s| s.scope.clone()).collect::<Vec<_>>(),
            "hosts": permissions.hosts,
        },
        "permissions": permissions,
    })))
}

/// POST /api/v1/tenants/{tenant}/installs — connect: check the
/// configuration (schema, then the connector), take the grant, store the
/// install with sealed secrets, check the connection.
pub async fn connect(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    body: Result<Json<ConnectInput>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let Json(input) = body.map_err(json_error)?;
    let version = approved_version(&state, &input.plugin, input.version.as_deref()).await?;
    check_schedule(input.schedule.as_deref())?;
    if state
        .store
        .tenant_installs(&tenant)
        .await?
        .iter()
        .any(|i| i.connector_id == version.plugin_id)
    {
        return Err(conflict(format!(
            "{} is already connected to this tenant; reconfigure, upgrade or delete that install",
            version.plugin_id
        )));
    }
    let config = service::check_config(&version.manifest, &input.config, &CheckedConfig::default())
        .map_err(|f| invalid("the configuration does not fit the connector", f))?;
    let permissions = service::permissions(&version.manifest, &config, &state)
        .map_err(|f| invalid("the configuration does not resolve", f))?;
    check_grant(&permissions, input.grant.as_ref())?;
    let plugin = plugin_of(&state, &version.sha256)?;
    let mut install = InstallRecord {
        id: crate::store::new_id("inst"),
        tenant_id: tenant.clone(),
        connector_id: version.plugin_id.clone(),
        plugin_version: version.version.clone(),
        plugin_sha256: version.sha256.clone(),
        config: config.public.clone(),
        status: PENDING.into(),
        schedule: input.schedule.clone(),
        ..Default::default()
    };
    let problems = service::guest_validate(&state, &plugin, &install, &config)
        .await
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", e))?;
    if !problems.is_empty() {
        return Err(invalid("the connector refused the configuration", problems));
    }
    let sealed =
        (!config.secrets.is_empty()).then(|| state.secrets.seal(&install.id, &config.secrets));
    state
        .store
        .create_install_sealed(&install, sealed.as_deref())
        .await?;
    let webhook_secret = if version.manifest.triggers.webhook {
        Some(crate::webhooks::issue_secret(&state, &install.id).await?)
    } else {
        None
    };
    service::settle(&state, &plugin, &mut install, &config.secrets).await?;
    tracing::info!(
        "tenant {tenant} connected {} {} as {} ({})",
        install.connector_id,
        install.plugin_version,
        install.id,
        install.status
    );
    let mut body = view(&state, &install, &language(&headers)).await?;
    if let Some(secret) = webhook_secret {
        // Shown this once: the admin pastes it into the partner tool.
        body["webhook"]["secret"] = json!(secret);
    }
    Ok((StatusCode::CREATED, Json(body)))
}

/// POST …/installs/{id}/webhook-secret — a new webhook secret, shown once;
/// the old one stops working.
pub async fn rotate_webhook_secret(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    let plugin = plugin_of(&state, &install.plugin_sha256)?;
    if !plugin.manifest.triggers.webhook {
        return Err(conflict("this connector takes no webhook deliveries"));
    }
    let secret = crate::webhooks::issue_secret(&state, &install.id).await?;
    Ok(Json(json!({
        "url": crate::webhooks::path(&install.id),
        "secret": secret,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconfigureInput {
    #[serde(default)]
    pub config: Map<String, Value>,
    /// A schedule, or `null` for the connector's default.
    #[serde(default, with = "double_option")]
    pub schedule: Option<Option<String>>,
    pub grant: Option<GrantInput>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

/// Checks a new configuration (and, when it reaches other hosts, the new
/// grant), asks the connector, and stores it with its secrets.
async fn apply_config(
    state: &AppState,
    install: &mut InstallRecord,
    version: &PluginVersion,
    input: &Map<String, Value>,
    grant: Option<&GrantInput>,
) -> Result<CheckedConfig, ApiError> {
    let current = current_config(state, install).await?;
    let before = state
        .store
        .plugin_version(&install.connector_id, &install.plugin_version)
        .await?
        .and_then(|v| service::permissions(&v.manifest, &current, state).ok());
    let config = service::check_config(&version.manifest, input, &current)
        .map_err(|f| invalid("the configuration does not fit the connector", f))?;
    let permissions = service::permissions(&version.manifest, &config, state)
        .map_err(|f| invalid("the configuration does not resolve", f))?;
    if before.as_ref() != Some(&permissions) {
        check_grant(&permissions, grant)?;
    }
    let plugin = plugin_of(state, &version.sha256)?;
    let problems = service::guest_validate(state, &plugin, install, &config)
        .await
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", e))?;
    if !problems.is_empty() {
        return Err(invalid("the connector refused the configuration", problems));
    }
    install.config = config.public.clone();
    let sealed =
        (!config.secrets.is_empty()).then(|| state.secrets.seal(&install.id, &config.secrets));
    state
        .store
        .set_install_secrets(&install.id, sealed.as_deref())
        .await?;
    Ok(config)
}

/// PATCH /api/v1/tenants/{tenant}/installs/{id} — reconfigure. Fields not
/// named keep their value (secrets too); the connection is checked again
/// unless the install is inactive.
pub async fn reconfigure(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Json<ReconfigureInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let Json(input) = body.map_err(json_error)?;
    let mut install = find(&state, &tenant, &id).await?;
    if let Some(schedule) = &input.schedule {
        check_schedule(schedule.as_deref())?;
    }
    let version = state
        .store
        .plugin_version(&install.connector_id, &install.plugin_version)
        .await?
        .ok_or_else(|| ApiError::internal("the pinned version is missing"))?;
    let config = apply_config(
        &state,
        &mut install,
        &version,
        &input.config,
        input.grant.as_ref(),
    )
    .await?;
    if let Some(schedule) = input.schedule {
        install.schedule = schedule;
    }
    store_checked(&state, &mut install, &config.secrets).await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeInput {
    /// The approved version to move to; the listed one when absent.
    pub version: Option<String>,
    #[serde(default)]
    pub config: Map<String, Value>,
    pub grant: Option<GrantInput>,
}

/// POST /api/v1/tenants/{tenant}/installs/{id}/upgrade — move the pinned
/// build to another approved version, with the configuration checked
/// against its schema and any new permission granted.
pub async fn upgrade(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<Json<UpgradeInput>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let Json(input) = body.map_err(json_error)?;
    let mut install = find(&state, &tenant, &id).await?;
    let version = approved_version(&state, &install.connector_id, input.version.as_deref()).await?;
    if version.version == install.plugin_version {
        return Err(conflict(format!(
            "the install already runs version {}",
            version.version
        )));
    }
    let config = apply_config(
        &state,
        &mut install,
        &version,
        &input.config,
        input.grant.as_ref(),
    )
    .await?;
    install.plugin_version = version.version.clone();
    install.plugin_sha256 = version.sha256.clone();
    store_checked(&state, &mut install, &config.secrets).await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

/// Stores a changed install: an inactive one as it is, any other after
/// checking its connection again.
async fn store_checked(
    state: &AppState,
    install: &mut InstallRecord,
    secrets: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    if install.status == INACTIVE {
        state.store.update_install(install).await?;
    } else {
        let plugin = plugin_of(state, &install.plugin_sha256)?;
        service::settle(state, &plugin, install, secrets).await?;
    }
    Ok(())
}

/// POST …/check and …/reactivate — check the connection again; Connected
/// on success, Pending with the reason otherwise.
pub async fn check(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    let plugin = plugin_of(&state, &install.plugin_sha256)?;
    let secrets = current_config(&state, &install).await?.secrets;
    service::settle(&state, &plugin, &mut install, &secrets).await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

/// POST …/deactivate — no more runs until reactivated.
pub async fn deactivate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    install.status = INACTIVE.into();
    install.status_reason = Some(format!("deactivated by {}", caller.label));
    install.next_run_at = None;
    state.store.update_install(&install).await?;
    state
        .store
        .cancel_queued_jobs(&install.id, "the install was deactivated")
        .await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

/// DELETE …/{id} — disconnect: secrets and state are erased, queued jobs
/// cancelled; past runs stay readable for the operator.
pub async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    install.status = DELETED.into();
    install.status_reason = Some(format!("deleted by {}", caller.label));
    install.next_run_at = None;
    install.config = BTreeMap::new();
    state.store.update_install(&install).await?;
    state.store.set_install_secrets(&install.id, None).await?;
    state.store.clear_state(&install.id).await?;
    state
        .store
        .cancel_queued_jobs(&install.id, "the install was deleted")
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// POST …/sync — "sync now": queue a manual run (one waiting at a time).
pub async fn sync_now(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    if install.status != CONNECTED {
        return Err(conflict(format!(
            "the install is {}; {}",
            service::status_label(&install.status),
            if install.status == PENDING {
                "check the connection first"
            } else {
                "reactivate it first"
            }
        )));
    }
    let manifest = &plugin_of(&state, &install.plugin_sha256)?.manifest;
    if !manifest.triggers.manual {
        return Err(conflict(
            "this connector has no manual sync; it runs on its schedule, events or webhooks",
        ));
    }
    let job_id = match state.store.waiting_job(&install.id, "manual").await? {
        Some(job) => job.id,
        None => state
            .store
            .enqueue(&crate::store::NewJob {
                install_id: install.id.clone(),
                tenant_id: install.tenant_id.clone(),
                kind: "sync".into(),
                trigger: "manual".into(),
                payload: None,
                dedupe_key: None,
                due_at: crate::time::now_text(),
            })
            .await?
            .ok_or_else(|| ApiError::internal("a job without a key was deduplicated"))?,
    };
    crate::worker::wake(&state.queue);
    let job = state.store.job(&job_id).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": job }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text())
}

fn bad_cursor() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_cursor",
        "cursor: pass the next_cursor of the previous page unchanged",
    )
}

async fn run_view(state: &AppState, run: &crate::store::RunRecord) -> Result<Value, ApiError> {
    let mut by_operation: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    for ((operation, status), n) in state.store.run_counts(&run.id).await? {
        *by_status.entry(status.clone()).or_default() += n;
        by_operation.entry(operation).or_default().insert(status, n);
    }
    let mut value = serde_json::to_value(run).map_err(ApiError::internal)?;
    value["status_label"] = json!(crate::sync::status_label(&run.status));
    value["counts"] = json!({ "by_operation": by_operation, "by_status": by_status });
    Ok(value)
}

/// GET …/installs/{id}/runs?cursor=&limit= — newest first.
pub async fn runs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
    query: Result<Query<RunsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let Query(query) = query.map_err(bad_query)?;
    let install = match state.store.install(&id).await? {
        Some(i) if i.tenant_id == tenant => i,
        _ => return Err(ApiError::not_found("install")),
    };
    let limit = i64::from(query.limit.unwrap_or(50).clamp(1, 200));
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(c) => {
            let text = hex::decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad_cursor)?;
            let (at, run) = text.split_once('|').ok_or_else(bad_cursor)?;
            Some((at.to_string(), run.to_string()))
        }
    };
    let page = state
        .store
        .runs_page(
            &install.id,
            cursor.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            limit + 1,
        )
        .await?;
    let more = page.len() as i64 > limit;
    let page = &page[..page.len().min(limit as usize)];
    let next = more
        .then(|| page.last())
        .flatten()
        .map(|r| hex::encode(format!("{}|{}", r.started_at, r.id)));
    let mut items = Vec::new();
    for run in page {
        items.push(run_view(&state, run).await?);
    }
    Ok(Json(json!({ "items": items, "next_cursor": next })))
}

async fn find_run(
    state: &AppState,
    tenant: &str,
    run_id: &str,
) -> Result<crate::store::RunRecord, ApiError> {
    match state.store.run(run_id).await? {
        Some(r) if r.tenant_id == tenant => Ok(r),
        _ => Err(ApiError::not_found("run")),
    }
}

/// GET /api/v1/tenants/{tenant}/runs/{run} — one run with counts and log.
pub async fn run(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, run_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let run = find_run(&state, &tenant, &run_id).await?;
    let mut value = run_view(&state, &run).await?;
    value["log"] = json!(state.store.run_logs(&run.id).await?);
    Ok(Json(value))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    pub status: Option<String>,
    pub employee: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// GET /api/v1/tenants/{tenant}/runs/{run}/rows?status=&employee=&cursor=&limit=
pub async fn rows(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((tenant, run_id)): Path<(String, String)>,
    query: Result<Query<RowsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let Query(query) = query.map_err(bad_query)?;
    let run = find_run(&state, &tenant, &run_id).await?;
    if let Some(status) = &query.status
        && !["success", "failed", "skipped"].contains(&status.as_str())
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "status: one of success, failed, skipped",
        ));
    }
    let after = match &query.cursor {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| bad_cursor())?),
    };
    let limit = i64::from(query.limit.unwrap_or(100).clamp(1, 1000));
    let mut page = state
        .store
        .run_rows(
            &run.id,
            query.status.as_deref(),
            query.employee.as_deref(),
            after,
            limit + 1,
        )
        .await?;
    let more = page.len() as i64 > limit;
    page.truncate(limit as usize);
    let next = more
        .then(|| page.last().map(|r| r.seq.to_string()))
        .flatten();
    Ok(Json(json!({
        "run": run.id,
        "items": page,
        "next_cursor": next,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: String,
    pub install: Option<String>,
}

/// GET /api/v1/tenants/{tenant}/audit?from=&to=&install= — every read and
/// write of HR data connectors made, as JSON Lines, oldest first.
pub async fn audit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    read_access(&state, &caller, &tenant).await?;
    let Query(query) = query.map_err(bad_query)?;
    let from = crate::time::parse_date(&query.from)
        .ok_or_else(|| super::field_error("from", "give a date, YYYY-MM-DD"))?;
    let to = crate::time::parse_date(&query.to)
        .ok_or_else(|| super::field_error("to", "give a date, YYYY-MM-DD"))?;
    if to < from {
        return Err(super::field_error("to", "is before from"));
    }
    let start = format!("{}T00:00:00.000000Z", crate::time::date_text(from));
    let end = format!(
        "{}T00:00:00.000000Z",
        crate::time::date_text(crate::time::add_days(to, 1))
    );
    let lines = state
        .store
        .audit_trail(&tenant, &start, &end, query.install.as_deref())
        .await?;
    let mut body = String::new();
    for line in lines {
        body.push_str(&line.to_string());
        body.push('\n');
    }
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/x-ndjson"),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ),
        ],
        body,
    )
        .into_response())
}
