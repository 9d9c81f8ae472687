//! An install as the console shows it: its status, configuration (secret
//! fields only as set or not), permissions, last run, webhook address,
//! sign-in at the partner and what an upgrade would ask for.

use std::collections::BTreeMap;

use super::super::answers::{InstallView, LastRun, SignInView, UpgradeView, Webhook};
use super::policy;
use crate::api::ApiError;
use crate::app::App;
use crate::installs::{self as service, CheckedConfig};
use crate::policy::OperatorPolicy;
use crate::store::InstallRecord;
use crate::store::installs::InstallFacts;
use lockgate_manifest::manifest::localized;

/// An install as the console shows it.
pub(super) async fn view(
    state: &App,
    install: &InstallRecord,
    lang: &str,
) -> Result<InstallView, ApiError> {
    let mut views = views(
        state,
        &install.tenant_id,
        std::slice::from_ref(install),
        lang,
    )
    .await?;
    Ok(views.remove(0))
}

/// The views of a tenant's installs, read in a fixed number of queries
/// however many there are.
pub(super) async fn views(
    state: &App,
    tenant: &str,
    installs: &[InstallRecord],
    lang: &str,
) -> Result<Vec<InstallView>, ApiError> {
    let facts = state.store.install_facts(installs).await?;
    let operator = policy(state, tenant).await?;
    Ok(installs
        .iter()
        .map(|install| view_with(state, &facts, &operator, install, lang))
        .collect())
}

fn view_with(
    state: &App,
    facts: &InstallFacts,
    operator: &OperatorPolicy,
    install: &InstallRecord,
    lang: &str,
) -> InstallView {
    let manifest = facts.running(install).map(|v| &v.manifest);
    let stored = facts
        .sealed_secrets
        .get(&install.id)
        .and_then(|sealed| state.secrets.open(&install.id, sealed).ok())
        .unwrap_or_default();
    let secret_fields: BTreeMap<String, bool> = match manifest {
        Some(m) => m
            .config
            .iter()
            .filter(|f| f.secret)
            .map(|f| (f.key.clone(), stored.contains_key(&f.key)))
            .collect(),
        None => BTreeMap::new(),
    };
    let permissions = manifest.and_then(|m| {
        service::permissions(
            m,
            // The stored secrets resolve what needs them (the OAuth2
            // client); none of them is part of the answer.
            &CheckedConfig {
                public: install.config.clone(),
                secrets: stored.clone(),
            },
            operator,
        )
        .ok()
    });
    let last_run = facts.last_runs.get(&install.id).cloned();
    let sign_in = match manifest.and_then(|m| m.oauth2.as_ref().map(|o| (m, o))) {
        Some((m, o)) if o.flow == lockgate_manifest::OAuthFlow::AuthorizationCode => {
            let signed_in = facts.signed_in.get(&install.id);
            Some(SignInView {
                at: service::sign_in_place(m, &install.config, operator),
                signed_in: signed_in.is_some(),
                since: signed_in.map(|(at, _)| at.clone()),
                by: signed_in.map(|(_, by)| by.clone()),
            })
        }
        _ => None,
    };
    let listed = facts.listed(&install.connector_id);
    let upgrade = match (manifest, listed) {
        (Some(running), Some(next)) if next.version != install.plugin_version => {
            Some(upgrade_view(running, &next.manifest, lang))
        }
        _ => None,
    };
    let listed = listed.map(|v| v.version.clone());
    InstallView {
        id: install.id.clone(),
        tenant_id: install.tenant_id.clone(),
        connector_id: install.connector_id.clone(),
        name: manifest.map(|m| localized(&m.name, lang).to_string()),
        version: install.plugin_version.clone(),
        upgrade_available: listed.filter(|v| *v != install.plugin_version),
        upgrade,
        status: install.status,
        status_label: install.status.label(),
        status_reason: install.status_reason.clone(),
        config: install.config.clone(),
        secrets_set: secret_fields,
        schedule: manifest.and_then(|m| service::effective_schedule(m, install)),
        schedule_is_default: install.schedule.is_none(),
        next_run_at: install.next_run_at.clone(),
        last_check_at: install.last_check_at.clone(),
        webhook: manifest.filter(|m| m.triggers.webhook).map(|_| Webhook {
            url: crate::webhooks::path(&install.id),
            secret: None,
        }),
        sign_in,
        permissions,
        last_run: last_run.map(|r| LastRun {
            status_label: r.status.label(),
            id: r.id,
            trigger: r.trigger,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            failure_reason: r.failure_reason,
        }),
        created_at: install.created_at.clone(),
    }
}

/// What `next` asks for beyond `running`: scopes, host patterns and
/// configuration fields, in `lang`.
fn upgrade_view(
    running: &lockgate_manifest::Manifest,
    next: &lockgate_manifest::Manifest,
    lang: &str,
) -> UpgradeView {
    UpgradeView {
        version: next.version.clone(),
        new_scopes: next
            .scopes
            .iter()
            .filter(|s| !running.scopes.contains(s))
            .map(|s| s.describe().to_string())
            .collect(),
        new_hosts: next
            .hosts
            .iter()
            .filter(|h| !running.hosts.contains(h))
            .cloned()
            .collect(),
        new_fields: next
            .config
            .iter()
            .filter(|f| running.field(&f.key).is_none())
            .map(|f| localized(&f.label, lang).to_string())
            .collect(),
    }
}
