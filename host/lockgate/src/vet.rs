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
//!   excluded and out-of-window employees never reach it.
//! - A live transfer example: one full sync with every exchange recorded.
//! - Behaviour under limits: memory, time, requests; a second sync sends
//!   only changes, and an absurdly late cursor sends nothing.
//! - Scopes: each attribute group asked for changes what is sent.
//! - Version upgrade: the new schema accepts the old configurations.
//!
//! Every exchange goes through the review partner on loopback: it forwards
//! to the partner's sandbox when one is given, and otherwise answers
//! `200 {}` itself. A connector being vetted never reaches anything else.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use lockgate_manifest::{FieldType, Manifest, Scope};
use serde::Serialize;

use crate::bindings::Trigger;
use crate::capabilities::config::visible_config;
use crate::installs::CheckedConfig;
use crate::policy::{Grant, Limits, OperatorPolicy};
use crate::review::{Exchange, ReviewPartner, sample_config};
use crate::runtime::{Call, CallResult, Plugin, Runtime};
use crate::store::{InstallRecord, Store};

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

/// Checks a component and its manifest without running it.
fn static_checks(v: &mut Vetting<'_>, inspection: &lockgate_manifest::Inspection) {
    const S: &str = "static";
    if inspection.problems.is_empty() {
        v.check(S, "component and manifest", Verdict::Pass, format!(
            "imports only the connector world ({} interfaces); exports {}; the manifest is complete",
            inspection.imports.len(),
            inspection.exports.join(", ")
        ));
    }
    for problem in &inspection.problems {
        v.check(
            S,
            "component and manifest",
            Verdict::Fail,
            problem.to_string(),
        );
    }
    let Some(m) = &inspection.manifest else {
        return;
    };
    if m.categories.is_empty() {
        v.check(
            S,
            "listing",
            Verdict::Fail,
            "give at least one category so tenants can find it",
        );
    }
    if m.triggers.schedule.is_none()
        && !m.triggers.manual
        && !m.triggers.webhook
        && m.triggers.events.is_empty()
    {
        v.check(
            S,
            "triggers",
            Verdict::Fail,
            "nothing ever runs it: give a schedule, manual runs, events or a webhook",
        );
    }
    if m.scopes.is_empty() {
        v.check(S, "scopes", Verdict::Warn, "asks for no data at all");
    }
    let mut form_ok = true;
    for field in &m.config {
        let mut options = BTreeSet::new();
        for option in &field.options {
            if !options.insert(option) {
                form_ok = false;
                v.check(
                    S,
                    "configuration form",
                    Verdict::Fail,
                    format!("field {}: the option {option:?} appears twice", field.key),
                );
            }
        }
        for lang in ["de", "en"] {
            if field.label.get(lang).is_none_or(|t| t.trim().is_empty()) {
                form_ok = false;
                v.check(
                    S,
                    "configuration form",
                    Verdict::Fail,
                    format!("field {}: no label in {lang}", field.key),
                );
            }
        }
        if looks_secret(&field.key) && !field.secret {
            form_ok = false;
            v.check(S, "secret fields", Verdict::Fail, format!(
                "field {} looks like a credential but is not marked secret: the connector could read it and the console would show it; add `secret = true`",
                field.key
            ));
        }
        if field.secret && !looks_secret(&field.key) {
            v.check(S, "secret fields", Verdict::Warn, format!(
                "field {} is marked secret but its name does not say so (token, password, secret, key); admins cannot see or check its value",
                field.key
            ));
        }
        if field.secret && !m.secret_is_used(field) {
            v.check(S, "secret fields", Verdict::Warn, format!(
                "secret field {} is never sent: declare `inject` (header and host) or name it as the oauth2 client-secret, or the connector cannot use it",
                field.key
            ));
        }
    }
    if form_ok {
        v.check(S, "configuration form", Verdict::Pass, format!(
            "{} field(s), each with one type, labels in de and en, distinct options; credentials are marked secret",
            m.config.len()
        ));
    }
    let size_kib = inspection.size / 1024;
    let verdict = if inspection.size > 8 << 20 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    v.check(S, "size", verdict, format!("{size_kib} KiB"));
}

/// Employee ids (as the synthetic tenant writes them) in a text.
fn employee_ids(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut out = BTreeSet::new();
    let mut i = 0;
    while i + 7 <= bytes.len() {
        if bytes[i] == b'e'
            && bytes[i + 1] == b'-'
            && bytes[i + 2..i + 7].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 7).is_none_or(|b| !b.is_ascii_digit())
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
        {
            out.insert(text[i..i + 7].to_string());
            i += 7;
        } else {
            i += 1;
        }
    }
    out
}

/// The employees a set of exchanges carried to the partner.
fn sent_ids(exchanges: &[Exchange]) -> BTreeSet<String> {
    exchanges
        .iter()
        .flat_map(|e| employee_ids(&e.request_body))
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
    result: Result<CallResult, String>,
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
            status: crate::store::installs::CONNECTED.into(),
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
    ) -> anyhow::Result<Outcome> {
        let manifest = &self.plugin.manifest;
        let grant = Grant::resolve(manifest, &config.all(), self.operator.clone())
            .map_err(|p| anyhow::anyhow!("the configuration does not resolve: {}", p.join("; ")))?;
        let mut grant = grant;
        if let Some(scopes) = scopes {
            grant.scopes = scopes;
        }
        let setup = crate::runtime::InvocationSetup {
            store: self.store.clone(),
            visibility: crate::hr::Visibility {
                tenant_id: TENANT.into(),
                connector_id: manifest.id.clone(),
                today: crate::time::today(),
                scopes: grant.scopes.clone(),
                absence_window: grant.absence_window,
            },
            grant: Arc::new(grant),
            limits: self.limits.clone(),
            config: visible_config(manifest, &config.public),
            state: self.store.state(&install.id).await?,
            run_id: None,
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

    /// Runs `sync` and commits its state as a successful run would.
    async fn sync(
        &self,
        install: &InstallRecord,
        config: &CheckedConfig,
        trigger: Trigger,
        scopes: Option<Vec<Scope>>,
    ) -> anyhow::Result<(Outcome, Result<(), String>)> {
        let outcome = self
            .call(install, config, Call::Sync(trigger), scopes)
            .await?;
        let verdict = match &outcome.result {
            Ok(CallResult::Connector(Ok(()))) => Ok(()),
            Ok(CallResult::Connector(Err(e))) => Err(crate::sync::connector_failure(e, &[])),
            Ok(_) => Err("sync answered something else".into()),
            Err(reason) => Err(reason.clone()),
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
        partner: options.partner_url.clone().unwrap_or_else(|| {
            "none given: the review partner answered 200 {} to every request".into()
        }),
        vetted_at: crate::time::now_text(),
    };
    v.step("static checks");
    static_checks(&mut v, &inspection);
    if let (Some(previous), Some(manifest)) = (&options.previous, &inspection.manifest) {
        upgrade_check(&mut v, previous, manifest);
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
) -> anyhow::Result<()> {
    let partner = ReviewPartner::start(options.partner_url.clone()).await?;
    operator.review_partner = Some(partner.addr);
    let store = Store::open("sqlite::memory:").await?;
    crate::sandbox::ensure_tenant(&store, TENANT, EMPLOYEES, SEED).await?;
    let manifest = plugin.manifest.clone();
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

    v.step("self-service activation");
    activation_checks(v, &mut sandbox, has_partner).await?;

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
    data_rule_check(v, &sandbox, &sent).await?;

    v.step("filter options");
    filter_checks(v, &mut sandbox, &sent).await?;

    date_filter_checks(v, &mut sandbox).await?;

    v.step("scopes");
    scope_checks(v, &mut sandbox, &first).await?;

    v.step("incremental sync");
    if verdict.is_ok() {
        let before = v.checks.len();
        incremental_checks(v, &sandbox, &base, &sent).await?;
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
        v.check(
            "limits",
            "incremental",
            Verdict::Warn,
            "not checked: the first sync failed",
        );
    }

    v.step("limits");
    let limits = Limits::default();
    let memory_verdict = if first.peak_memory > limits.memory_bytes / 2 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    v.check(
        "limits",
        "memory",
        memory_verdict,
        format!(
            "peak {} of the {} limit",
            Limits::human_bytes(first.peak_memory.max(1)),
            Limits::human_bytes(limits.memory_bytes)
        ),
    );
    let time_verdict = if first.duration_ms > limits.deadline.as_millis() as u64 / 2 {
        Verdict::Warn
    } else {
        Verdict::Pass
    };
    v.check(
        "limits",
        "run time",
        time_verdict,
        format!(
            "{} ms for {EMPLOYEES} employees, of the {} deadline",
            first.duration_ms,
            Limits::human_duration(limits.deadline)
        ),
    );
    Ok(())
}

async fn activation_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    has_partner: bool,
) -> anyhow::Result<()> {
    const A: &str = "activation";
    let config = sandbox.config.clone();
    let install = sandbox.install(&config);
    let sample: Vec<_> = visible_config(&sandbox.plugin.manifest, &config.public)
        .into_iter()
        .collect();
    match sandbox
        .call(
            &install,
            &config,
            Call::ValidateConfig(sample.clone()),
            None,
        )
        .await?
        .result
    {
        Ok(CallResult::ValidateConfig(Ok(()))) => v.check(
            A,
            "validate-config accepts the sample",
            Verdict::Pass,
            "accepted",
        ),
        Ok(CallResult::ValidateConfig(Err(fields))) => v.check(
            A,
            "validate-config accepts the sample",
            Verdict::Fail,
            format!(
                "refused the sample configuration: {}",
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Ok(_) => {}
        Err(reason) => v.check(
            A,
            "validate-config accepts the sample",
            Verdict::Fail,
            reason,
        ),
    }
    // Broken: every required non-secret field empty.
    let required: Vec<_> = sandbox
        .plugin
        .manifest
        .config
        .iter()
        .filter(|f| f.required && !f.secret)
        .map(|f| f.key.clone())
        .collect();
    if !required.is_empty() {
        let broken: Vec<_> = sample
            .iter()
            .map(|(k, val)| {
                (
                    k.clone(),
                    if required.contains(k) {
                        String::new()
                    } else {
                        val.clone()
                    },
                )
            })
            .collect();
        match sandbox.call(&install, &config, Call::ValidateConfig(broken), None).await?.result {
            Ok(CallResult::ValidateConfig(Err(fields))) if !fields.is_empty() => v.check(
                A,
                "validate-config refuses a broken configuration",
                Verdict::Pass,
                format!("names {}", fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", ")),
            ),
            Err(reason) => v.check(A, "validate-config refuses a broken configuration", Verdict::Fail, format!(
                "crashed instead of answering: {reason}"
            )),
            _ => v.check(A, "validate-config refuses a broken configuration", Verdict::Warn, format!(
                "accepted empty {}; say per field what is wrong so the connect wizard can show it",
                required.join(", ")
            )),
        }
    }
    let check = sandbox
        .call(&install, &config, Call::CheckConnection, None)
        .await?;
    let passed = matches!(check.result, Ok(CallResult::Connector(Ok(()))));
    let reason = match &check.result {
        Ok(CallResult::Connector(Err(e))) => crate::sync::connector_failure(e, &[]),
        Err(reason) => reason.clone(),
        _ => String::new(),
    };
    match (passed, has_partner) {
        (true, true) => v.check(
            A,
            "check-connection",
            Verdict::Pass,
            "succeeded against the partner's sandbox",
        ),
        (true, false) => v.check(
            A,
            "check-connection",
            Verdict::Warn,
            "succeeded against the recorder only; vet with --partner-url to check it for real",
        ),
        (false, _) => v.check(
            A,
            "check-connection",
            Verdict::Fail,
            format!("failed: {reason}"),
        ),
    }
    let secrets: Vec<_> = config.secrets.keys().cloned().collect();
    if has_partner && !secrets.is_empty() {
        let mut wrong = config.clone();
        for key in &secrets {
            wrong
                .secrets
                .insert(key.clone(), format!("wrong-{key}-0000"));
        }
        match sandbox.call(&install, &wrong, Call::CheckConnection, None).await?.result {
            Ok(CallResult::Connector(Err(e))) => v.check(A, "check-connection with a wrong credential", Verdict::Pass, format!(
                "failed cleanly: {}",
                crate::sync::connector_failure(&e, &[])
            )),
            Ok(_) => v.check(A, "check-connection with a wrong credential", Verdict::Fail, format!(
                "succeeded with a wrong {}: an admin would see Connected and every run would fail",
                secrets.join(", ")
            )),
            Err(reason) => v.check(A, "check-connection with a wrong credential", Verdict::Fail, format!(
                "crashed instead of failing cleanly: {reason}"
            )),
        }
    }
    Ok(())
}

/// Employees the connector must never see: excluded from it, not hired
/// yet, or gone.
async fn data_rule_check(
    v: &mut Vetting<'_>,
    sandbox: &Sandbox,
    sent: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let today = crate::time::date_text(crate::time::today());
    let connector = &sandbox.plugin.manifest.id;
    let excluded: BTreeSet<String> = sandbox
        .store
        .exclusions(TENANT)
        .await?
        .into_iter()
        .filter(|(_, c)| c == connector)
        .map(|(e, _)| e)
        .collect();
    let forbidden: BTreeSet<String> = sandbox
        .store
        .all_employees(TENANT)
        .await?
        .into_iter()
        .filter(|e| {
            e.hire_date > today
                || e.termination_date
                    .as_deref()
                    .is_some_and(|t| t < today.as_str())
                || excluded.contains(&e.id)
        })
        .map(|e| e.id)
        .collect();
    let leaked: Vec<_> = sent.intersection(&forbidden).cloned().collect();
    if leaked.is_empty() {
        v.check(
            "filters",
            "excluded and out-of-window employees",
            Verdict::Pass,
            format!("none of the {} reached the partner", forbidden.len()),
        );
    } else {
        v.check(
            "filters",
            "excluded and out-of-window employees",
            Verdict::Fail,
            format!(
                "{} reached the partner: {}",
                leaked.len(),
                leaked.join(", ")
            ),
        );
    }
    Ok(())
}

/// Dates (`YYYY-MM-DD`, also inside instants) in a text.
fn dates_in(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 10 <= b.len() {
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if digits(i..i + 4)
            && b[i + 4] == b'-'
            && digits(i + 5..i + 7)
            && b[i + 7] == b'-'
            && digits(i + 8..i + 10)
        {
            out.push(text[i..i + 10].to_string());
            i += 10;
        } else {
            i += 1;
        }
    }
    out
}

/// A "from" date must keep what lies before it from the partner: with a
/// late start, fewer dates before that start are sent than with an early one.
async fn date_filter_checks(v: &mut Vetting<'_>, sandbox: &mut Sandbox) -> anyhow::Result<()> {
    let fields: Vec<_> = sandbox
        .plugin
        .manifest
        .config
        .iter()
        .filter(|f| f.kind == FieldType::Date)
        .filter(|f| {
            let k = f.key.to_ascii_lowercase();
            k.contains("from") || k.contains("since") || k.contains("start")
        })
        .map(|f| f.key.clone())
        .collect();
    let today = crate::time::today();
    let back = sandbox
        .plugin
        .manifest
        .absence_window
        .map_or(30, |w| i64::from(w.past_days).min(90));
    let early = crate::time::date_text(crate::time::add_days(today, -back));
    let late = crate::time::date_text(crate::time::add_days(today, -(back / 8).max(1)));
    for key in fields {
        let mut before_late = Vec::new();
        for start in [&early, &late] {
            let mut config = sandbox.config.clone();
            config.public.insert(key.clone(), start.clone());
            let install = sandbox.install(&config);
            sandbox.store.create_install(&install).await?;
            let (outcome, _) = sandbox
                .sync(&install, &config, Trigger::Initial, None)
                .await?;
            let count = outcome
                .exchanges
                .iter()
                .flat_map(|e| dates_in(&e.request_body))
                .filter(|d| d.as_str() < late.as_str())
                .count();
            before_late.push(count);
        }
        let (with_early, with_late) = (before_late[0], before_late[1]);
        if with_early == 0 {
            v.check(
                "filters",
                &format!("filter {key}"),
                Verdict::Pass,
                format!("nothing dated before {late} was sent either way"),
            );
        } else if with_late < with_early {
            v.check("filters", &format!("filter {key}"), Verdict::Pass, format!(
                "starting on {late} instead of {early} sent {with_late} instead of {with_early} date(s) before {late}"
            ));
        } else {
            v.check("filters", &format!("filter {key}"), Verdict::Fail, format!(
                "ignores {key}: starting on {late} sent as much from before {late} ({with_late} dates) as starting on {early}"
            ));
        }
    }
    Ok(())
}

/// A department filter must narrow what is sent to that department.
async fn filter_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    sent: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let fields: Vec<_> = sandbox
        .plugin
        .manifest
        .config
        .iter()
        .filter(|f| {
            f.kind == FieldType::String
                && !f.secret
                && f.key.to_ascii_lowercase().contains("department")
        })
        .map(|f| f.key.clone())
        .collect();
    if fields.is_empty() {
        v.check(
            "filters",
            "filter options",
            Verdict::Pass,
            "the connector has no department filter",
        );
        return Ok(());
    }
    let employees = sandbox.store.all_employees(TENANT).await?;
    let in_department = |d: &str| -> BTreeSet<String> {
        employees
            .iter()
            .filter(|e| e.department.as_deref() == Some(d))
            .map(|e| e.id.clone())
            .collect()
    };
    // The department with the most employees that were sent unfiltered.
    let mut departments: BTreeMap<String, usize> = BTreeMap::new();
    for e in employees.iter().filter(|e| sent.contains(&e.id)) {
        if let Some(d) = &e.department {
            *departments.entry(d.clone()).or_default() += 1;
        }
    }
    let Some((department, _)) = departments.into_iter().max_by_key(|(_, n)| *n) else {
        v.check(
            "filters",
            "filter options",
            Verdict::Warn,
            "not checked: the first sync sent nobody",
        );
        return Ok(());
    };
    let members = in_department(&department);
    for key in fields {
        let mut config = sandbox.config.clone();
        config.public.insert(key.clone(), department.clone());
        let install = sandbox.install(&config);
        sandbox.store.create_install(&install).await?;
        let (outcome, _) = sandbox
            .sync(&install, &config, Trigger::Initial, None)
            .await?;
        let filtered = sent_ids(&outcome.exchanges);
        let outside: Vec<_> = filtered.difference(&members).cloned().collect();
        if filtered.is_empty() {
            v.check(
                "filters",
                &format!("filter {key}"),
                Verdict::Fail,
                format!(
                    "with {key} = {department:?} nobody was sent, though {} employee(s) are in it",
                    sent.intersection(&members).count()
                ),
            );
        } else if !outside.is_empty() {
            v.check("filters", &format!("filter {key}"), Verdict::Fail, format!(
                "ignores the department filter: with {key} = {department:?}, {} employee(s) from other departments were sent ({})",
                outside.len(),
                outside.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ));
        } else {
            v.check(
                "filters",
                &format!("filter {key}"),
                Verdict::Pass,
                format!(
                    "with {key} = {department:?} only its {} employee(s) were sent",
                    filtered.len()
                ),
            );
        }
    }
    Ok(())
}

/// Each attribute group asked for must change what reaches the partner.
async fn scope_checks(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    first: &Outcome,
) -> anyhow::Result<()> {
    let asked = sandbox.plugin.manifest.scopes.clone();
    let bodies = |exchanges: &[Exchange]| -> Vec<String> {
        let mut b: Vec<_> = exchanges.iter().map(|e| e.request_body.clone()).collect();
        b.sort();
        b
    };
    let baseline = bodies(&first.exchanges);
    for scope in &asked {
        match scope {
            Scope::EmployeesContact | Scope::EmployeesEmployment | Scope::EmployeesCompensation => {
                let without: Vec<Scope> = asked.iter().copied().filter(|s| s != scope).collect();
                let config = sandbox.config.clone();
                let install = sandbox.install(&config);
                sandbox.store.create_install(&install).await?;
                let (outcome, _) = sandbox
                    .sync(&install, &config, Trigger::Initial, Some(without))
                    .await?;
                if bodies(&outcome.exchanges) == baseline {
                    // Pay data asked for and not used is a finding, not a hint.
                    let verdict = if *scope == Scope::EmployeesCompensation {
                        Verdict::Fail
                    } else {
                        Verdict::Warn
                    };
                    v.check("scopes", scope.as_str(), verdict, format!(
                        "asks for {} ({}) but sends exactly the same without it; drop the scope",
                        scope.as_str(),
                        scope.describe()
                    ));
                } else {
                    v.check(
                        "scopes",
                        scope.as_str(),
                        Verdict::Pass,
                        "used: what is sent depends on it",
                    );
                }
            }
            Scope::AbsencesRead => {
                if first.absences_read == 0 {
                    v.check(
                        "scopes",
                        scope.as_str(),
                        Verdict::Warn,
                        "asks for absences but read none in the first sync",
                    );
                } else {
                    v.check(
                        "scopes",
                        scope.as_str(),
                        Verdict::Pass,
                        format!("read {} absence(s)", first.absences_read),
                    );
                }
            }
            Scope::EmployeesBasic | Scope::EmployeesCreate => {}
        }
    }
    Ok(())
}

/// Right after a sync, a second one sends only changes (none); with the
/// cursor moved to the far future, nothing.
async fn incremental_checks(
    v: &mut Vetting<'_>,
    sandbox: &Sandbox,
    base: &InstallRecord,
    sent: &BTreeSet<String>,
) -> anyhow::Result<()> {
    let config = sandbox.config.clone();
    let (second, verdict) = sandbox
        .sync(base, &config, Trigger::Scheduled, None)
        .await?;
    let again = sent_ids(&second.exchanges);
    match verdict {
        Err(reason) => v.check("limits", "incremental", Verdict::Fail, format!("the second sync failed: {reason}")),
        Ok(()) if !sent.is_empty() && again.len() >= sent.len() => v.check("limits", "incremental", Verdict::Fail, format!(
            "not incremental: the second sync right after the first sent {} employee(s) again although nothing changed; keep a cursor with the state interface",
            again.len()
        )),
        Ok(()) if !again.is_empty() => v.check("limits", "incremental", Verdict::Warn, format!(
            "the second sync resent {} of {} employee(s) although nothing changed",
            again.len(),
            sent.len()
        )),
        Ok(()) => v.check("limits", "incremental", Verdict::Pass, "the second sync sent nothing: nothing had changed"),
    }
    let Some(state) = sandbox.store.state(&base.id).await? else {
        v.check(
            "limits",
            "late cursor",
            Verdict::Warn,
            "the connector keeps no cursor",
        );
        return Ok(());
    };
    let late = far_future(&state);
    if late == state {
        v.check(
            "limits",
            "late cursor",
            Verdict::Warn,
            "no date in the cursor to move; not checked",
        );
        return Ok(());
    }
    sandbox.store.set_state(&base.id, &late).await?;
    let (third, _) = sandbox
        .sync(base, &config, Trigger::Scheduled, None)
        .await?;
    let late_sent = sent_ids(&third.exchanges);
    if late_sent.is_empty() {
        v.check(
            "limits",
            "late cursor",
            Verdict::Pass,
            "a cursor in the year 2999 sent nothing",
        );
    } else {
        v.check(
            "limits",
            "late cursor",
            Verdict::Fail,
            format!(
                "a cursor in the year 2999 still sent {} employee(s)",
                late_sent.len()
            ),
        );
    }
    Ok(())
}

/// The state with every date and instant in it moved to the year 2999.
fn far_future(state: &str) -> String {
    let bytes = state.as_bytes();
    let mut out = String::with_capacity(state.len());
    let mut i = 0;
    while i < bytes.len() {
        let is_date = i + 10 <= bytes.len()
            && bytes[i..i + 4].iter().all(u8::is_ascii_digit)
            && bytes[i + 4] == b'-'
            && bytes[i + 7] == b'-'
            && (bytes[i + 5..i + 7].iter().chain(&bytes[i + 8..i + 10])).all(u8::is_ascii_digit);
        if is_date {
            out.push_str("2999-12-31");
            i += 10;
        } else {
            let c = state[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The new schema must accept every configuration the previous one did.
fn upgrade_check(v: &mut Vetting<'_>, previous: &[u8], manifest: &Manifest) {
    const U: &str = "upgrade";
    let Some(old) = lockgate_manifest::inspect(previous).manifest else {
        v.check(
            U,
            "previous version",
            Verdict::Fail,
            "the previous file has no readable manifest",
        );
        return;
    };
    let mut breaks = Vec::new();
    for field in &old.config {
        match manifest.field(&field.key) {
            None => breaks.push(format!(
                "field {} was removed: installs that set it would be refused",
                field.key
            )),
            Some(new) => {
                if new.kind != field.kind {
                    breaks.push(format!(
                        "field {} changed type from {} to {}",
                        field.key,
                        field.kind.as_str(),
                        new.kind.as_str()
                    ));
                }
                for option in field.options.iter().filter(|o| !new.options.contains(o)) {
                    breaks.push(format!(
                        "field {}: option {option:?} was removed",
                        field.key
                    ));
                }
                if new.secret != field.secret {
                    breaks.push(format!("field {} changed whether it is secret", field.key));
                }
            }
        }
    }
    for field in manifest
        .config
        .iter()
        .filter(|f| f.required && f.default.is_none())
    {
        if old.field(&field.key).is_none() {
            breaks.push(format!(
                "new field {} is required without a default: existing installs would stop until reconfigured",
                field.key
            ));
        }
    }
    if breaks.is_empty() {
        v.check(
            U,
            "configuration schema",
            Verdict::Pass,
            format!(
                "accepts every configuration version {} accepted",
                old.version
            ),
        );
    } else {
        for b in breaks {
            v.check(U, "configuration schema", Verdict::Fail, b);
        }
    }
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

    #[test]
    fn dates_in_text() {
        assert_eq!(
            dates_in(r#"{"start":"2026-11-02","at":"2026-11-23T10:00:00Z","n":"20261"}"#),
            vec!["2026-11-02", "2026-11-23"]
        );
    }

    #[test]
    fn ids_and_late_cursors() {
        let ids = employee_ids(r#"{"externalId":"e-00012","x":"xe-00013","e-000145"}"#);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec!["e-00012"]);
        assert_eq!(
            far_future(r#"{"since":"2026-11-23T10:00:00.000000Z","retry":["e-00001"]}"#),
            r#"{"since":"2999-12-31T10:00:00.000000Z","retry":["e-00001"]}"#
        );
    }
}
