//! Connecting a connector to a tenant and keeping it connected: the
//! configuration checked against the plugin's schema field by field, then
//! by the plugin's own `validate-config`; secrets sealed apart; the scopes
//! and hosts resolved for the admin to grant; `check-connection` deciding
//! between Pending and Connected; the schedule's next slot.

use std::collections::BTreeMap;

use lockgate_manifest::manifest::check_value;
use lockgate_manifest::{Manifest, Schedule};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::App;
use crate::field::FieldProblem;
use crate::runtime::{Call, CallResult, Plugin};
use crate::store::InstallRecord;
use crate::vocabulary::{InstallStatus, JobKind, RunTrigger, Streak};

pub use crate::monitoring::FAILURE_LIMIT;

/// What an install is granted, resolved from its configuration, in words a
/// tenant admin can judge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Permissions {
    pub scopes: Vec<ScopeView>,
    pub hosts: Vec<String>,
    /// Days of absences before and after today the connector may read.
    pub absence_window: Option<lockgate_manifest::AbsenceWindow>,
    /// Days of working times before and after today the connector may read
    /// or write.
    pub attendance_window: Option<lockgate_manifest::AbsenceWindow>,
    /// How Lockgate signs in to the partner for the connector, if it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeView {
    pub scope: String,
    pub means: String,
}

/// A configuration split into what the connector may read and what only
/// the host sees.
#[derive(Debug, Clone, Default)]
pub struct CheckedConfig {
    pub public: BTreeMap<String, String>,
    pub secrets: BTreeMap<String, String>,
}

impl CheckedConfig {
    pub fn all(&self) -> BTreeMap<String, String> {
        let mut all = self.public.clone();
        all.extend(self.secrets.clone());
        all
    }
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem::new(format!("config.{field}"), message)
}

/// Checks `input` against the manifest's schema. Values may be text,
/// numbers or true/false; `null` or an empty text clears a value. Fields
/// `input` does not name keep their value from `current`. Every problem is
/// listed, one per field.
pub fn check_config(
    manifest: &Manifest,
    input: &Map<String, Value>,
    current: &CheckedConfig,
) -> Result<CheckedConfig, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut out = current.clone();
    for (key, value) in input {
        let Some(field) = manifest.field(key) else {
            let known: Vec<_> = manifest.config.iter().map(|f| f.key.as_str()).collect();
            problems.push(problem(
                key,
                format!(
                    "the connector has no such field; it has {}",
                    known.join(", ")
                ),
            ));
            continue;
        };
        let text = match value {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.trim().to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                problems.push(problem(key, "must be a text, a number or true/false"));
                continue;
            }
        };
        let target = if field.secret {
            &mut out.secrets
        } else {
            &mut out.public
        };
        match text {
            None => {
                target.remove(key);
            }
            Some(text) => match check_value(field, &text) {
                Ok(()) => {
                    target.insert(key.clone(), text);
                }
                Err(message) => problems.push(problem(key, message)),
            },
        }
    }
    for field in manifest.config.iter().filter(|f| f.required) {
        // A default fills in a missing plain value when the connector reads
        // it. A secret has no default anyone may see (the manifest rules
        // refuse one), so a required secret is set only by a value given.
        let set = if field.secret {
            out.secrets.contains_key(&field.key)
        } else {
            out.public.contains_key(&field.key) || field.default.is_some()
        };
        if !set
            && !problems
                .iter()
                .any(|p| p.field == format!("config.{}", field.key))
        {
            problems.push(problem(&field.key, "required"));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The scopes and hosts a configuration resolves to under `operator`, the
/// tenant's policy ([`App::policy_for`]).
pub fn permissions(
    manifest: &Manifest,
    config: &CheckedConfig,
    operator: &crate::policy::OperatorPolicy,
) -> Result<Permissions, Vec<FieldProblem>> {
    let grant = crate::policy::Grant::resolve(manifest, &config.all(), operator.clone()).map_err(
        |problems| {
            problems
                .into_iter()
                .map(|p| FieldProblem::new("config", p))
                .collect::<Vec<_>>()
        },
    )?;
    Ok(Permissions {
        scopes: grant
            .scopes
            .iter()
            .map(|s| ScopeView {
                scope: s.as_str().into(),
                means: s.describe().into(),
            })
            .collect(),
        hosts: grant.hosts.iter().map(ToString::to_string).collect(),
        absence_window: grant.absence_window,
        attendance_window: grant.attendance_window,
        sign_in: grant.oauth.as_ref().map(|o| match &o.authorize {
            Some((origin, _)) => format!(
                "You sign in at {} and grant access; Lockgate keeps the sign-in sealed, renews the access token at {} and sends it only to {}; the connector never sees it",
                operator.browser_origin(origin),
                o.token_url(),
                o.api_host
            ),
            None => format!(
                "Lockgate signs in at {} with your client ID and secret and sends the access token only to {}; the connector never sees either",
                o.token_url(),
                o.api_host
            ),
        }),
    })
}

/// Where the admin signs in for a connector configured with `config`, in
/// words: the partner's sign-in host.
pub fn sign_in_place(
    manifest: &Manifest,
    config: &BTreeMap<String, String>,
    operator: &crate::policy::OperatorPolicy,
) -> String {
    manifest
        .oauth2
        .as_ref()
        .and_then(|o| o.authorize_url.as_deref())
        .and_then(|url| lockgate_manifest::manifest::origin_and_path("authorize-url", url).ok())
        .and_then(|(origin, _)| {
            lockgate_manifest::HostPattern::parse(&origin)
                .and_then(|p| p.resolve(manifest, config))
                .ok()
        })
        .map(|host| operator.browser_origin(&host))
        .unwrap_or_else(|| "the partner".into())
}

/// The schedule an install runs on: the admin's, else the manifest's.
pub fn effective_schedule(manifest: &Manifest, install: &InstallRecord) -> Option<String> {
    install
        .schedule
        .clone()
        .or_else(|| manifest.triggers.schedule.clone())
}

/// The first slot of `schedule` after `now` (the app's clock), as a
/// stored instant.
pub fn next_slot(schedule: Option<&str>, now: time::OffsetDateTime) -> Option<String> {
    let schedule = Schedule::parse(schedule?).ok()?;
    let next = schedule.next_after(now.unix_timestamp())?;
    time::OffsetDateTime::from_unix_timestamp(next)
        .ok()
        .map(crate::time::instant)
}

/// The tenant's outbound policy, or why its installs run nothing.
async fn tenant_policy(
    state: &App,
    tenant_id: &str,
) -> Result<crate::policy::OperatorPolicy, String> {
    state
        .policy_for(tenant_id)
        .await
        .map_err(|e| e.to_string())?
}

/// Asks the plugin's `validate-config` about the non-secret values.
pub async fn guest_validate(
    state: &App,
    plugin: &Plugin,
    install: &InstallRecord,
    config: &CheckedConfig,
) -> Result<Vec<FieldProblem>, String> {
    let setup = crate::sync::invocation_setup(
        &state.store,
        &plugin.manifest,
        install,
        &config.secrets,
        Some(&state.secrets),
        tenant_policy(state, &install.tenant_id).await?,
        state.limits.clone(),
        None,
    )
    .await
    .map_err(|e| e.to_string())?
    .map_err(|f| f.reason)?;
    let values = crate::capabilities::config::visible_config(&plugin.manifest, &config.public)
        .into_iter()
        .collect();
    let report = state
        .runtime
        .invoke(plugin, setup, Call::ValidateConfig(values))
        .await;
    match report.result {
        Ok(CallResult::ValidateConfig(Ok(()))) => Ok(Vec::new()),
        Ok(CallResult::ValidateConfig(Err(fields))) => Ok(fields
            .into_iter()
            .map(|f| problem(&f.field, f.message))
            .collect()),
        Ok(_) => Err("the connector answered something else than a validation".into()),
        Err(reason) => Err(format!(
            "the connector's configuration check failed: {reason}"
        )),
    }
}

/// Runs `check-connection`; `Err` carries the reason in words.
pub async fn check_connection(
    state: &App,
    plugin: &Plugin,
    install: &InstallRecord,
    secrets: &BTreeMap<String, String>,
) -> Result<(), String> {
    let setup = crate::sync::invocation_setup(
        &state.store,
        &plugin.manifest,
        install,
        secrets,
        Some(&state.secrets),
        tenant_policy(state, &install.tenant_id).await?,
        state.limits.clone(),
        None,
    )
    .await
    .map_err(|e| e.to_string())?
    .map_err(|f| f.reason)?;
    let report = state
        .runtime
        .invoke(plugin, setup, Call::CheckConnection)
        .await;
    match &report.result {
        Ok(CallResult::Connector(Ok(()))) => Ok(()),
        Ok(CallResult::Connector(Err(e))) => {
            Err(crate::sync::invocation_failure(e, &report).reason)
        }
        Ok(_) => Err("the connector answered something else than a connection check".into()),
        Err(failure) => Err(failure.reason.clone()),
    }
}

/// Checks the connection and moves the install to Connected (with its next
/// scheduled slot) or leaves it Pending with the reason. Stores the result.
pub async fn settle(
    state: &App,
    plugin: &Plugin,
    install: &mut InstallRecord,
    secrets: &BTreeMap<String, String>,
) -> Result<(), crate::store::StoreError> {
    let signs_in = plugin.manifest.oauth2.as_ref().map(|o| o.flow)
        == Some(lockgate_manifest::OAuthFlow::AuthorizationCode);
    if signs_in && state.store.sign_in_tokens(&install.id).await?.is_none() {
        // Nothing to check before an admin signed in at the partner.
        install.status = InstallStatus::Pending;
        install.status_reason = Some(format!(
            "sign in at {} to finish connecting",
            sign_in_place(
                &plugin.manifest,
                &install.config,
                &tenant_policy(state, &install.tenant_id)
                    .await
                    .unwrap_or_default()
            )
        ));
        install.next_run_at = None;
        return state.store.update_install(install).await;
    }
    let result = check_connection(state, plugin, install, secrets).await;
    install.last_check_at = Some(crate::time::now_text());
    match result {
        Ok(()) => {
            install.status = InstallStatus::Connected;
            install.status_reason = None;
            install.next_run_at = next_slot(
                effective_schedule(&plugin.manifest, install).as_deref(),
                state.clock.now(),
            );
        }
        Err(reason) => {
            install.status = InstallStatus::Pending;
            install.status_reason = Some(format!("connection check failed: {reason}"));
            install.next_run_at = None;
        }
    }
    state.store.update_install(install).await?;
    if install.status == InstallStatus::Connected {
        // A fresh connection starts the streak over.
        state
            .store
            .count_run_outcome(&install.id, Streak::Ends, FAILURE_LIMIT, "")
            .await?;
        // The first connection sends everything once, right away (for
        // connectors that sync at all; some only answer webhooks).
        let triggers = &plugin.manifest.triggers;
        let syncs = triggers.schedule.is_some() || triggers.manual;
        if syncs
            && state
                .store
                .runs_page(&install.id, None, 1)
                .await?
                .is_empty()
        {
            state
                .enqueue(&crate::store::NewJob {
                    install_id: install.id.clone(),
                    tenant_id: install.tenant_id.clone(),
                    kind: JobKind::Sync,
                    trigger: RunTrigger::Initial,
                    payload: None,
                    dedupe_key: Some(format!("initial:{}", install.id)),
                    delivery_digest: None,
                    due_at: crate::time::now_text(),
                })
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(include_bytes!(
            "../../../plugins/planner-export/connector.toml"
        ))
        .expect("the bundled manifest parses")
    }

    fn input(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn every_field_problem_is_listed_and_secrets_are_kept_apart() {
        let m = manifest();
        let err = check_config(
            &m,
            &input(serde_json::json!({
                "planner-url": "ftp://x",
                "include-pending": "maybe",
                "colour": "red",
                "initial-sync-from": 5,
            })),
            &CheckedConfig::default(),
        )
        .unwrap_err();
        let fields: Vec<_> = err.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"config.planner-url"), "{err:?}");
        assert!(fields.contains(&"config.include-pending"), "{err:?}");
        assert!(fields.contains(&"config.colour"), "{err:?}");
        assert!(fields.contains(&"config.initial-sync-from"), "{err:?}");
        assert!(fields.contains(&"config.api-key"), "required: {err:?}");

        let ok = check_config(
            &m,
            &input(serde_json::json!({
                "planner-url": "https://acme.planner.example",
                "api-key": "k-1",
                "include-pending": true,
            })),
            &CheckedConfig::default(),
        )
        .unwrap();
        assert_eq!(ok.secrets["api-key"], "k-1");
        assert!(!ok.public.contains_key("api-key"));
        assert_eq!(ok.public["include-pending"], "true");

        // Reconfiguring without the secret keeps it; null clears a value.
        let again = check_config(
            &m,
            &input(serde_json::json!({ "include-pending": null, "base-department": "Sales" })),
            &ok,
        )
        .unwrap();
        assert_eq!(again.secrets["api-key"], "k-1");
        assert_eq!(again.public.get("include-pending"), None);
        assert_eq!(again.public["base-department"], "Sales");
    }

    /// The planner manifest with a default added after `field`'s `required`.
    fn with_default(field: &str, default: &str) -> Manifest {
        let text = include_str!("../../../plugins/planner-export/connector.toml");
        let at = text.find(&format!("key = \"{field}\"")).unwrap();
        let required = at + text[at..].find("required = true\n").unwrap();
        let end = required + "required = true\n".len();
        let text = format!("{}default = \"{default}\"\n{}", &text[..end], &text[end..]);
        let m = Manifest::parse(text.as_bytes()).unwrap();
        assert_eq!(m.field(field).unwrap().default.as_deref(), Some(default));
        m
    }

    #[test]
    fn a_required_secret_needs_a_value_even_with_a_default() {
        let m = with_default("api-key", "shown-to-everyone");
        let err = check_config(
            &m,
            &input(serde_json::json!({ "planner-url": "https://acme.planner.example" })),
            &CheckedConfig::default(),
        )
        .unwrap_err();
        assert_eq!(err.len(), 1, "{err:?}");
        assert_eq!(err[0].field, "config.api-key");
        assert_eq!(err[0].message, "required");

        // A required plain field with a default is satisfied by it; the
        // default is filled in when read, not stored.
        let m = with_default("planner-url", "https://planner.example");
        let ok = check_config(
            &m,
            &input(serde_json::json!({ "api-key": "k-1" })),
            &CheckedConfig::default(),
        )
        .unwrap();
        assert!(!ok.public.contains_key("planner-url"));
        assert!(!ok.secrets.contains_key("planner-url"));
    }

    #[test]
    fn an_unknown_field_names_the_fields_there_are() {
        let err = check_config(
            &manifest(),
            &input(serde_json::json!({ "colour": "red" })),
            &CheckedConfig::default(),
        )
        .unwrap_err();
        let colour = err.iter().find(|p| p.field == "config.colour").unwrap();
        assert!(
            colour
                .message
                .starts_with("the connector has no such field; it has planner-url, api-key"),
            "{colour:?}"
        );
    }
}
