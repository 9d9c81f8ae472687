//! The lifecycle of a tenant's installs: connect (preview, then grant),
//! check, reconfigure, deactivate, reactivate, upgrade, delete, sync now,
//! and the connected-integrations view. Monitoring is in
//! [`super::monitoring`], the access rules in [`super::access`].
//!
//! Only the tenant's own admins with the marketplace right change
//! installs; the operator may read them (support) but not change them.
//! Secret values are never returned: a secret field reads as set or not.
//!
//! A real tenant installs approved versions only. A partner's sandbox
//! tenant installs that partner's own versions, approved or still
//! waiting for review, and nothing else; its installs reach only the
//! partner's declared test hosts.

use crate::api::JsonBody;
use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

mod inputs;
mod versions;
mod view;
pub use inputs::{ConnectInput, GrantInput, ReconfigureInput, UpgradeInput};
use versions::installable_version;
use view::view;

use super::answers::{Grant, InstallList, InstallView, Leaving, Preview, Queued, WebhookSecret};

use super::access::{find, read_access, write_access};
use super::catalog::language;
use super::{ApiError, Caller, FieldProblem};
use crate::app::App;
use crate::installs::{self as service, CheckedConfig, Permissions};
use crate::policy::OperatorPolicy;
use crate::store::InstallRecord;
use crate::store::catalog::PluginVersion;
use crate::vocabulary::{InstallStatus, JobKind, RunTrigger};

fn invalid(message: &str, fields: Vec<FieldProblem>) -> ApiError {
    let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_config", message);
    error.fields = fields;
    error
}

fn conflict(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "conflict", message)
}

async fn plugin_of(
    state: &App,
    sha256: &str,
) -> Result<std::sync::Arc<crate::runtime::Plugin>, ApiError> {
    state.load_plugin(sha256).await.map_err(|e| {
        if e.is_retryable() {
            // Another attempt (or replica) may load it: not the caller's
            // fault, nor a bug.
            tracing::warn!("{e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "build_unavailable",
                "the connector build cannot be loaded on this host right now; try again",
            )
        } else {
            ApiError::internal(e)
        }
    })
}

async fn current_config(state: &App, install: &InstallRecord) -> Result<CheckedConfig, ApiError> {
    let secrets = state
        .install_secrets(&install.id)
        .await
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, "secrets_unreadable", e.to_string()))?;
    Ok(CheckedConfig {
        public: install.config.clone(),
        secrets,
    })
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

/// The outbound policy of the tenant's installs ([`App::policy_for`]).
async fn policy(state: &App, tenant: &str) -> Result<OperatorPolicy, ApiError> {
    state
        .policy_for(tenant)
        .await?
        .map_err(|why| ApiError::new(StatusCode::GONE, "sandbox_expired", why))
}

/// GET /api/v1/tenants/{tenant}/installs — the connected integrations.
pub async fn list(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path(tenant): Path<String>,
) -> Result<Json<InstallList>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let lang = language(&headers);
    let installs = state.store.tenant_installs(&tenant).await?;
    let items = view::views(&state, &tenant, &installs, &lang).await?;
    Ok(Json(InstallList { items }))
}

/// GET /api/v1/tenants/{tenant}/installs/{id}
pub async fn get_one(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<InstallView>, ApiError> {
    read_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

/// POST /api/v1/tenants/{tenant}/installs/preview — the wizard's check
/// before connecting: field errors, or the scopes and hosts to grant.
pub async fn preview(
    State(state): State<App>,
    Caller(caller): Caller,
    Path(tenant): Path<String>,
    body: Result<JsonBody<ConnectInput>, ApiError>,
) -> Result<Json<Preview>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let version =
        installable_version(&state, &tenant, &input.plugin, input.version.as_deref()).await?;
    check_schedule(input.schedule.as_deref())?;
    let config = service::check_config(&version.manifest, &input.config, &CheckedConfig::default())
        .map_err(|f| invalid("the configuration does not fit the connector", f))?;
    let permissions =
        service::permissions(&version.manifest, &config, &policy(&state, &tenant).await?)
            .map_err(|f| invalid("the configuration does not resolve", f))?;
    let scopes = &version.manifest.scopes;
    let fields = crate::capabilities::hr::visible_fields(scopes);
    // Employees leave with their fields, or by id with their absences and
    // working times; a connector with no such scope sees none.
    let reads_people = !fields.is_empty()
        || scopes.iter().any(|s| {
            matches!(
                s,
                lockgate_manifest::Scope::AbsencesRead | lockgate_manifest::Scope::AttendancesRead
            )
        });
    let employees = if reads_people {
        let visibility = crate::hr::Visibility {
            tenant_id: tenant.clone(),
            connector_id: version.plugin_id.clone(),
            today: crate::time::today(),
            scopes: scopes.clone(),
            absence_window: version.manifest.absence_window,
            attendance_window: version.manifest.attendance_window,
        };
        state.store.count_visible_employees(&visibility).await?
    } else {
        0
    };
    Ok(Json(Preview {
        plugin: version.plugin_id,
        version: version.version,
        grant: Grant {
            scopes: permissions.scopes.iter().map(|s| s.scope.clone()).collect(),
            hosts: permissions.hosts.clone(),
        },
        leaving: Leaving {
            employees,
            fields: fields.into_iter().map(String::from).collect(),
            hosts: permissions.hosts.clone(),
        },
        permissions,
    }))
}

/// POST /api/v1/tenants/{tenant}/installs — connect: check the
/// configuration (schema, then the connector), take the grant, store the
/// install with sealed secrets, check the connection.
pub async fn connect(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path(tenant): Path<String>,
    body: Result<JsonBody<ConnectInput>, ApiError>,
) -> Result<(StatusCode, Json<InstallView>), ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let version =
        installable_version(&state, &tenant, &input.plugin, input.version.as_deref()).await?;
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
    let permissions =
        service::permissions(&version.manifest, &config, &policy(&state, &tenant).await?)
            .map_err(|f| invalid("the configuration does not resolve", f))?;
    check_grant(&permissions, input.grant.as_ref())?;
    let plugin = plugin_of(&state, &version.sha256).await?;
    let mut install = InstallRecord {
        id: crate::store::new_id("inst"),
        tenant_id: tenant.clone(),
        connector_id: version.plugin_id.clone(),
        plugin_version: version.version.clone(),
        plugin_sha256: version.sha256.clone(),
        config: config.public.clone(),
        status: InstallStatus::Pending,
        schedule: input.schedule.clone(),
        // Stored as given, so the answer shows the stored time. By the
        // app's clock: who left since the install was connected is judged
        // against HR dates, on the day the connector sees them.
        created_at: state.clock.now_text(),
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
        if let Some(webhook) = &mut body.webhook {
            webhook.secret = Some(secret);
        }
    }
    Ok((StatusCode::CREATED, Json(body)))
}

/// POST …/installs/{id}/webhook-secret — a new webhook secret, shown once;
/// the old one stops working.
pub async fn rotate_webhook_secret(
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<WebhookSecret>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    let plugin = plugin_of(&state, &install.plugin_sha256).await?;
    if !plugin.manifest.triggers.webhook {
        return Err(conflict("this connector takes no webhook deliveries"));
    }
    let secret = crate::webhooks::issue_secret(&state, &install.id).await?;
    Ok(Json(WebhookSecret {
        url: crate::webhooks::path(&install.id),
        secret,
    }))
}

/// Checks a new configuration (and, when it reaches other hosts, the new
/// grant), asks the connector, and stores it with its secrets.
async fn apply_config(
    state: &App,
    install: &mut InstallRecord,
    version: &PluginVersion,
    input: &Map<String, Value>,
    grant: Option<&GrantInput>,
) -> Result<CheckedConfig, ApiError> {
    let current = current_config(state, install).await?;
    let operator = policy(state, &install.tenant_id).await?;
    let before = state
        .store
        .plugin_version(&install.connector_id, &install.plugin_version)
        .await?
        .and_then(|v| service::permissions(&v.manifest, &current, &operator).ok());
    let config = service::check_config(&version.manifest, input, &current)
        .map_err(|f| invalid("the configuration does not fit the connector", f))?;
    let permissions = service::permissions(&version.manifest, &config, &operator)
        .map_err(|f| invalid("the configuration does not resolve", f))?;
    if before.as_ref() != Some(&permissions) {
        check_grant(&permissions, grant)?;
    }
    let plugin = plugin_of(state, &version.sha256).await?;
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
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<ReconfigureInput>, ApiError>,
) -> Result<Json<InstallView>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
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

/// POST /api/v1/tenants/{tenant}/installs/{id}/upgrade — move the pinned
/// build to another approved version (in a partner's sandbox, another of
/// the partner's own), with the configuration checked against its schema
/// and any new permission granted.
pub async fn upgrade(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<JsonBody<UpgradeInput>, ApiError>,
) -> Result<Json<InstallView>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let JsonBody(input) = body?;
    let mut install = find(&state, &tenant, &id).await?;
    let version = installable_version(
        &state,
        &tenant,
        &install.connector_id,
        input.version.as_deref(),
    )
    .await?;
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
    state: &App,
    install: &mut InstallRecord,
    secrets: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    if install.status == InstallStatus::Inactive {
        state.store.update_install(install).await?;
    } else {
        let plugin = plugin_of(state, &install.plugin_sha256).await?;
        service::settle(state, &plugin, install, secrets).await?;
    }
    Ok(())
}

/// POST …/check and …/reactivate — check the connection again; Connected
/// on success, Pending with the reason otherwise.
pub async fn check(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<InstallView>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    let plugin = plugin_of(&state, &install.plugin_sha256).await?;
    let secrets = current_config(&state, &install).await?.secrets;
    service::settle(&state, &plugin, &mut install, &secrets).await?;
    Ok(Json(view(&state, &install, &language(&headers)).await?))
}

/// POST …/deactivate — no more runs until reactivated.
pub async fn deactivate(
    State(state): State<App>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<InstallView>, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    install.status = InstallStatus::Inactive;
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
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let mut install = find(&state, &tenant, &id).await?;
    if state.store.sign_in_tokens(&install.id).await?.is_some() {
        // Disconnecting ends the sign-in at the partner too.
        crate::sign_in::sign_out(&state, &mut install, &caller.label).await?;
    }
    install.status = InstallStatus::Deleted;
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
    State(state): State<App>,
    Caller(caller): Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    write_access(&state, &caller, &tenant).await?;
    let install = find(&state, &tenant, &id).await?;
    if install.status != InstallStatus::Connected {
        return Err(conflict(format!(
            "the install is {}; {}",
            install.status.label(),
            if install.status == InstallStatus::Pending {
                "check the connection first"
            } else {
                "reactivate it first"
            }
        )));
    }
    let manifest = &plugin_of(&state, &install.plugin_sha256).await?.manifest;
    if !manifest.triggers.manual {
        return Err(conflict(
            "this connector has no manual sync; it runs on its schedule, events or webhooks",
        ));
    }
    let job_id = match state
        .store
        .waiting_job(&install.id, RunTrigger::Manual)
        .await?
    {
        Some(job) => job.id,
        None => state
            .enqueue(&crate::store::NewJob {
                install_id: install.id.clone(),
                tenant_id: install.tenant_id.clone(),
                kind: JobKind::Sync,
                trigger: RunTrigger::Manual,
                payload: None,
                dedupe_key: None,
                delivery_digest: None,
                due_at: crate::time::now_text(),
            })
            .await?
            .ok_or_else(|| ApiError::internal("a job without a key was deduplicated"))?,
    };
    let job = state.store.job(&job_id).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { job })))
}
