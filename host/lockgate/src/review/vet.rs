//! The automated quality review (`lockgate plugin vet`, and the report
//! attached to every submission): what the platform's technical review
//! checks, done by running the connector.
//!
//! - Static: the component and its manifest, the configuration form,
//!   size and compile time.
//! - Self-service activation: `validate-config` takes the sample and
//!   refuses a broken one; `check-connection` passes against the partner
//!   and fails cleanly with a wrong credential.
//! - Filter options: a department filter narrows what reaches the partner;
//!   excluded and out-of-window employees never reach it (the vetting
//!   tenant excludes a few employees from whichever connector is vetted).
//! - A live transfer example: one full sync with every exchange recorded.
//! - Behaviour under limits: memory, time, requests; a second sync sends
//!   only changes, and an absurdly late cursor sends nothing; after the
//!   partner rejects one employee's record, the next sync sends that one
//!   again and none it accepted.
//! - Scopes: each attribute group asked for changes what is sent.
//! - Version upgrade: the new schema accepts the old configurations.
//! - Injected credentials: no answer the connector received carried one
//!   (a partner API that echoes request headers hands them over).
//!
//! Every exchange goes through the review partner on loopback
//! ([`super::partner`]): it forwards to the partner's sandbox when one is
//! given, and otherwise answers `200 {}` itself. A connector being vetted
//! never reaches anything else.
//!
//! This file is the entry point ([`vet`]), the report, and the throwaway
//! sandbox every check runs in; each section of the report has its own
//! submodule: `static_checks`, `upgrade`, `activation`, `filters`
//! (department and date filters, and the data rules), `scopes`,
//! `incremental`, `rejections`, `limits` and `credentials`.

mod activation;
mod credentials;
mod filters;
mod incremental;
mod limits;
mod rejections;
mod scopes;
mod static_checks;
mod upgrade;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use lockgate_manifest::Scope;
use serde::Serialize;

use super::partner::{Exchange, ReviewPartner, sample_config};
use super::upstream::Upstream;
use crate::bindings::Trigger;
use crate::capabilities::config::visible_config;
use crate::installs::CheckedConfig;
use crate::policy::{Grant, Limits, OperatorPolicy};
use crate::runtime::{Call, CallResult, Plugin, Runtime};
use crate::store::{InstallRecord, Store, StoreError};
use crate::vocabulary::{Failure, InstallStatus};

/// The synthetic tenant a connector is vetted against.
const TENANT: &str = "vet";
const EMPLOYEES: usize = 80;
const SEED: u64 = 11;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        }
    }
}

/// One check and what it found.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub section: &'static str,
    pub name: String,
    pub verdict: Verdict,
    /// What was found, in words a partner can act on.
    pub reason: String,
}

/// What the run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Figures {
    pub size: u64,
    pub compile_ms: u64,
    pub peak_memory: i64,
    pub duration_ms: i64,
    pub requests: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct VetReport {
    pub plugin: Option<String>,
    pub version: Option<String>,
    pub sha256: String,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
    pub figures: Figures,
    /// The first sync's exchanges, as the live transfer example.
    pub exchanges: Vec<Exchange>,
    /// Where the exchanges went: the partner's sandbox or the recorder.
    pub partner: String,
    pub vetted_at: String,
}

/// What the vetting runs with.
#[derive(Debug, Clone, Default)]
pub struct VetOptions {
    /// Configuration values (secrets included) for the partner's sandbox;
    /// the rest is sampled.
    pub config: BTreeMap<String, String>,
    /// The partner's sandbox; without it a recorder answers `200 {}`.
    pub partner_url: Option<String>,
    /// The previous version's `.wasm`, to check the upgrade.
    pub previous: Option<Vec<u8>>,
}

/// How many steps [`vet`] reports through its progress callback.
pub const STEPS: u64 = 8;

/// Why the vetting sandbox could not run a check. Reported as the failed
/// `sandbox`/`setup` check; what a connector did wrong is a [`Check`].
#[derive(Debug, thiserror::Error)]
pub enum VetError {
    /// The throwaway store (opening, seeding, state).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The review partner could not listen on loopback.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The sample configuration gives no grant to run with.
    #[error("the configuration does not resolve: {0}")]
    Unresolved(String),
}

struct Vetting<'a> {
    checks: Vec<Check>,
    progress: &'a (dyn Fn(&str) + Sync),
}

impl Vetting<'_> {
    fn check(
        &mut self,
        section: &'static str,
        name: &str,
        verdict: Verdict,
        reason: impl Into<String>,
    ) {
        self.checks.push(Check {
            section,
            name: name.to_string(),
            verdict,
            reason: reason.into(),
        });
    }

    fn step(&self, what: &str) {
        (self.progress)(what);
    }
}

/// Whether a field's key reads like a credential.
pub fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.split(['-', '_', '.']).any(|part| {
        matches!(
            part,
            "token"
                | "password"
                | "passwd"
                | "secret"
                | "key"
                | "apikey"
                | "credential"
                | "credentials"
        )
    }) || key.ends_with("apikey")
        || key.ends_with("token")
}

/// The employees a set of exchanges carried to the partner.
fn sent_ids(exchanges: &[Exchange]) -> BTreeSet<String> {
    exchanges
        .iter()
        .flat_map(|e| e.employees.iter().cloned())
        .collect()
}

/// One connector, one throwaway sandbox, one review partner.
struct Sandbox {
    runtime: Arc<Runtime>,
    plugin: Arc<Plugin>,
    store: Store,
    partner: ReviewPartner,
    operator: OperatorPolicy,
    limits: Limits,
    config: CheckedConfig,
    installs: u32,
}

/// What one invocation did.
struct Outcome {
    result: Result<CallResult, Failure>,
    exchanges: Vec<Exchange>,
    peak_memory: u64,
    duration_ms: u64,
    requests: u32,
    absences_read: u64,
    staged_state: Option<String>,
}

impl Sandbox {
    fn install(&mut self, config: &CheckedConfig) -> InstallRecord {
        self.installs += 1;
        InstallRecord {
            id: format!("vet-{}", self.installs),
            tenant_id: TENANT.into(),
            connector_id: self.plugin.manifest.id.clone(),
            plugin_version: self.plugin.manifest.version.clone(),
            plugin_sha256: self.plugin.sha256.clone(),
            config: config.public.clone(),
            status: InstallStatus::Connected,
            ..Default::default()
        }
    }

    /// Calls one export for `install`, with `scopes` granted (all the
    /// manifest asks for when `None`).
    async fn call(
        &self,
        install: &InstallRecord,
        config: &CheckedConfig,
        call: Call,
        scopes: Option<Vec<Scope>>,
    ) -> Result<Outcome, VetError> {
        self.call_as(install, config, call, scopes, None).await
    }

    /// [`Sandbox::call`], its rows stored for `run_id` when given.
    async fn call_as(
        &self,
        install: &InstallRecord,
        config: &CheckedConfig,
        call: Call,
        scopes: Option<Vec<Scope>>,
        run_id: Option<String>,
    ) -> Result<Outcome, VetError> {
        let manifest = &self.plugin.manifest;
        let grant = Grant::resolve(manifest, &config.all(), self.operator.clone())
            .map_err(|p| VetError::Unresolved(p.join("; ")))?;
        let mut grant = grant;
        if let Some(scopes) = scopes {
            grant.scopes = scopes;
        }
        // Nobody signs in at the partner during a review: a connector
        // that needs an admin's sign-in gets the review partner's token.
        let sign_in = grant
            .oauth
            .as_ref()
            .filter(|o| o.flow == lockgate_manifest::OAuthFlow::AuthorizationCode)
            .map(|_| {
                Arc::new(crate::capabilities::oauth::SignedIn::fixed(
                    super::partner::REVIEW_TOKEN,
                ))
            });
        let setup = crate::runtime::InvocationSetup {
            store: self.store.clone(),
            visibility: crate::hr::Visibility {
                tenant_id: TENANT.into(),
                connector_id: manifest.id.clone(),
                today: crate::time::today(),
                scopes: grant.scopes.clone(),
                absence_window: grant.absence_window,
                attendance_window: grant.attendance_window,
            },
            grant: Arc::new(grant),
            limits: self.limits.clone(),
            config: visible_config(manifest, &config.public),
            state: self.store.state(&install.id).await?,
            run_id,
            install: Some(crate::capabilities::invocation::InstallRef {
                id: install.id.clone(),
                connected_at: install.created_at.clone(),
            }),
            clock: None,
            sign_in,
        };
        self.partner.take();
        let report = self.runtime.invoke(&self.plugin, setup, call).await;
        Ok(Outcome {
            result: report.result,
            exchanges: self.partner.take(),
            peak_memory: report.peak_memory,
            duration_ms: report.duration.as_millis() as u64,
            requests: report.requests,
            absences_read: report.audit.absences_read,
            staged_state: report.staged_state,
        })
    }

    /// Runs `sync` and commits its state as a run that finished would.
    async fn sync(
        &self,
        install: &InstallRecord,
        config: &CheckedConfig,
        trigger: Trigger,
        scopes: Option<Vec<Scope>>,
    ) -> Result<(Outcome, Result<(), String>), VetError> {
        self.sync_as(install, config, trigger, scopes, None).await
    }

    /// [`Sandbox::sync`] as the run `run_id`, its rows stored.
    async fn sync_as(
        &self,
        install: &InstallRecord,
        config: &CheckedConfig,
        trigger: Trigger,
        scopes: Option<Vec<Scope>>,
        run_id: Option<String>,
    ) -> Result<(Outcome, Result<(), String>), VetError> {
        let outcome = self
            .call_as(install, config, Call::Sync(trigger), scopes, run_id)
            .await?;
        let verdict = match &outcome.result {
            Ok(CallResult::Connector(Ok(()))) => Ok(()),
            Ok(CallResult::Connector(Err(e))) => Err(crate::sync::connector_failure(e, &[]).reason),
            Ok(_) => Err("sync answered something else".into()),
            Err(failure) => Err(failure.reason.clone()),
        };
        if verdict.is_ok()
            && let Some(state) = &outcome.staged_state
        {
            self.store.set_state(&install.id, state).await?;
        }
        Ok((outcome, verdict))
    }
}

/// Vets a connector file. `progress` hears of each of the [`STEPS`] steps.
pub async fn vet(
    runtime: Arc<Runtime>,
    operator: OperatorPolicy,
    bytes: &[u8],
    options: VetOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> VetReport {
    let upstream = options.partner_url.clone().map(Upstream::local);
    vet_through(runtime, operator, bytes, options, upstream, progress).await
}

/// [`vet`] as the platform reviews a submission: `options.partner_url`
/// came with it, so it is reached only at vetted addresses, over plain
/// HTTP and at private addresses only where the operator allows that test
/// API (`operator.partners`), and the report does not show it.
pub async fn vet_submission(
    runtime: Arc<Runtime>,
    operator: OperatorPolicy,
    bytes: &[u8],
    options: VetOptions,
) -> VetReport {
    let upstream = options.partner_url.clone().map(|base| Upstream {
        base,
        platform: Some(operator.partners.insecure_test_hosts.clone()),
    });
    vet_through(runtime, operator, bytes, options, upstream, &|_| {}).await
}

async fn vet_through(
    runtime: Arc<Runtime>,
    operator: OperatorPolicy,
    bytes: &[u8],
    options: VetOptions,
    upstream: Option<Upstream>,
    progress: &(dyn Fn(&str) + Sync),
) -> VetReport {
    let inspection = lockgate_manifest::inspect(bytes);
    let mut v = Vetting {
        checks: Vec::new(),
        progress,
    };
    let mut report = VetReport {
        plugin: inspection.manifest.as_ref().map(|m| m.id.clone()),
        version: inspection.manifest.as_ref().map(|m| m.version.clone()),
        sha256: inspection.sha256.clone(),
        verdict: Verdict::Pass,
        checks: Vec::new(),
        figures: Figures {
            size: inspection.size,
            ..Figures::default()
        },
        exchanges: Vec::new(),
        partner: upstream.as_ref().map(Upstream::shown).unwrap_or_else(|| {
            "none given: the review partner answered 200 {} to every request".into()
        }),
        vetted_at: crate::time::now_text(),
    };
    v.step("static checks");
    static_checks::static_checks(&mut v, &inspection);
    if let (Some(previous), Some(manifest)) = (&options.previous, &inspection.manifest) {
        upgrade::upgrade_check(&mut v, previous, manifest);
    }
    if inspection.is_acceptable() {
        match runtime.load(bytes) {
            Ok(plugin) => {
                report.figures.compile_ms = plugin.compile_time.as_millis() as u64;
                v.check(
                    "static",
                    "compile time",
                    Verdict::Pass,
                    format!(
                        "{} ms{}",
                        report.figures.compile_ms,
                        if plugin.from_cache {
                            " (from the artifact cache)"
                        } else {
                            ""
                        }
                    ),
                );
                if let Err(e) = run_checks(
                    &mut v,
                    &mut report,
                    runtime.clone(),
                    operator,
                    plugin,
                    &options,
                    upstream,
                )
                .await
                {
                    v.check(
                        "sandbox",
                        "setup",
                        Verdict::Fail,
                        format!("the vetting sandbox failed: {e}"),
                    );
                }
            }
            Err(e) => v.check("static", "compile", Verdict::Fail, e.to_string()),
        }
    }
    report.checks = v.checks;
    report.verdict = report
        .checks
        .iter()
        .map(|c| c.verdict)
        .max()
        .unwrap_or(Verdict::Pass);
    report
}

async fn run_checks(
    v: &mut Vetting<'_>,
    report: &mut VetReport,
    runtime: Arc<Runtime>,
    mut operator: OperatorPolicy,
    plugin: Arc<Plugin>,
    options: &VetOptions,
    upstream: Option<Upstream>,
) -> Result<(), VetError> {
    let partner = ReviewPartner::start(upstream).await?;
    operator.review_partner = Some(partner.addr);
    let store = Store::open("sqlite::memory:").await?;
    crate::sandbox::ensure_tenant(&store, TENANT, EMPLOYEES, SEED).await?;
    let manifest = plugin.manifest.clone();
    filters::exclude_some(&store, &manifest.id).await?;
    let mut config = sample_config(&manifest, partner.addr);
    for (key, value) in &options.config {
        match manifest.field(key) {
            Some(f) if f.secret => {
                config.secrets.insert(key.clone(), value.clone());
            }
            Some(_) => {
                config.public.insert(key.clone(), value.clone());
            }
            None => v.check(
                "activation",
                "sample configuration",
                Verdict::Fail,
                format!("--config {key}: the connector has no such field"),
            ),
        }
    }
    let mut sandbox = Sandbox {
        runtime,
        plugin,
        store,
        partner,
        operator,
        limits: Limits::default(),
        config,
        installs: 0,
    };
    let has_partner = options.partner_url.is_some();
    credentials::watch_injected(&sandbox);

    v.step("self-service activation");
    activation::activation_checks(v, &mut sandbox, has_partner).await?;

    v.step("live transfer example");
    let config = sandbox.config.clone();
    let base = sandbox.install(&config);
    sandbox.store.create_install(&base).await?;
    let (first, verdict) = sandbox.sync(&base, &config, Trigger::Initial, None).await?;
    report.figures.peak_memory = first.peak_memory as i64;
    report.figures.duration_ms = first.duration_ms as i64;
    report.figures.requests = i64::from(first.requests);
    let sent = sent_ids(&first.exchanges);
    match &verdict {
        Ok(()) => v.check(
            "transfer",
            "first sync",
            Verdict::Pass,
            format!(
                "{} request(s), {} employee(s) sent, in {} ms",
                first.requests,
                sent.len(),
                first.duration_ms
            ),
        ),
        Err(reason) => v.check(
            "transfer",
            "first sync",
            if has_partner {
                Verdict::Fail
            } else {
                Verdict::Warn
            },
            format!(
                "the sync failed: {reason}{}",
                if has_partner {
                    ""
                } else {
                    " (no partner sandbox was given; vet with --partner-url)"
                }
            ),
        ),
    }
    report.exchanges = first.exchanges.clone();

    v.step("data rules");
    filters::data_rule_check(v, &sandbox, &sent).await?;

    v.step("filter options");
    filters::filter_checks(v, &mut sandbox, &sent).await?;

    filters::date_filter_checks(v, &mut sandbox).await?;

    v.step("scopes");
    scopes::scope_checks(v, &mut sandbox, &first).await?;

    v.step("incremental sync");
    if verdict.is_ok() {
        let before = v.checks.len();
        incremental::incremental_checks(v, &sandbox, &base, &sent).await?;
        rejections::rejection_check(v, &mut sandbox, &sent).await?;
        if !has_partner {
            // Without the partner's sandbox the recorder's `{}` answers
            // stand in for its state; a connector that reads the partner's
            // accounts to decide looks like it resends everything.
            for check in &mut v.checks[before..] {
                if check.verdict == Verdict::Fail {
                    check.verdict = Verdict::Warn;
                    check
                        .reason
                        .push_str(" (no partner sandbox was given; vet with --partner-url)");
                }
            }
        }
    } else {
        for name in ["incremental", "rejected record"] {
            v.check(
                "limits",
                name,
                Verdict::Warn,
                "not checked: the first sync failed",
            );
        }
    }

    v.step("limits");
    limits::limit_checks(v, &first, sandbox.plugin.manifest.memory_mb);
    credentials::echo_check(v, &sandbox);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_looking_names() {
        for key in [
            "api-key",
            "token",
            "client_secret",
            "password",
            "apiKey",
            "access-token",
        ] {
            assert!(looks_secret(key), "{key}");
        }
        for key in [
            "planner-url",
            "base-department",
            "keyboard-layout",
            "monkey",
        ] {
            assert!(!looks_secret(key), "{key}");
        }
    }
}
