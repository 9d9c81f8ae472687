//! A partner's sandbox tenant on the platform: one per partner, filled
//! with synthetic employees as `lockgate sandbox seed` makes them, where the
//! partner installs its own versions (submitted or approved) and runs them
//! against the test hosts it declared, and reads runs and rows as a tenant
//! admin would.
//!
//! It is not a real tenant: its installs reach only the declared test
//! hosts ([`crate::policy::OperatorPolicy::for_sandbox`]), nothing about it
//! reaches the marketplace, and a partner token opens no other tenant. It
//! lasts the operator's `sandbox-days` (90 by default); after that the API
//! refuses it, its installs run nothing, and the scheduler removes its
//! tenant's data whole. The partner may then create a new one.

use crate::app::App;
use crate::field::FieldProblem;
use crate::policy::PartnerPolicy;
use crate::store::partner_sandboxes::ClaimError;
use crate::store::{PartnerSandbox, StoreError};

/// The most test hosts a sandbox declares.
pub const MAX_TEST_HOSTS: usize = 10;
/// Synthetic employees a sandbox gets unless the partner asks for another
/// number, and the most it may ask for.
pub const DEFAULT_EMPLOYEES: usize = 200;
pub const MAX_EMPLOYEES: usize = 2000;

/// What a partner asks for.
#[derive(Debug, Clone)]
pub struct SandboxRequest {
    /// Origins (`https://sandbox.partner.example`) its installs may reach.
    pub test_hosts: Vec<String>,
    pub employees: usize,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The partner has a sandbox that has not expired.
    #[error(
        "you already have the sandbox tenant {} until {}; use it, or delete it to start over",
        .0.tenant_id,
        .0.expires_at
    )]
    Exists(Box<PartnerSandbox>),
    /// What the request got wrong, field by field.
    #[error("the sandbox request has {} problem(s)", .0.len())]
    Invalid(Vec<FieldProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The declared test hosts, checked ([`PartnerPolicy::test_origin`]) and
/// written as canonical origins; every problem is named by its place.
pub fn check_test_hosts(
    policy: &PartnerPolicy,
    hosts: &[String],
) -> Result<Vec<String>, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let mut out: Vec<String> = Vec::new();
    if hosts.len() > MAX_TEST_HOSTS {
        problems.push(FieldProblem::new(
            "test_hosts",
            format!("at most {MAX_TEST_HOSTS} test hosts (has {})", hosts.len()),
        ));
    }
    for (i, host) in hosts.iter().enumerate().take(MAX_TEST_HOSTS) {
        match policy.test_origin(host) {
            Ok(origin) => {
                let origin = origin.to_string();
                if !out.contains(&origin) {
                    out.push(origin);
                }
            }
            Err(why) => problems.push(FieldProblem::new(format!("test_hosts[{i}]"), why)),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A tenant id of the sandbox's own: `sandbox-`, the partner id's letters
/// and digits, and a random part, so a new sandbox never meets what an
/// older one left.
fn tenant_id(partner_id: &str) -> String {
    let slug: String = partner_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(24)
        .collect();
    let random = crate::store::new_id("x");
    let random = random.trim_start_matches("x-").get(..10).unwrap_or("0");
    if slug.is_empty() {
        format!("sandbox-{random}")
    } else {
        format!("sandbox-{slug}-{random}")
    }
}

/// Creates the partner's sandbox tenant, seeded with synthetic data, to
/// last the operator's `sandbox-days` from now (the app's clock). An
/// expired sandbox of the partner's is removed first; one that has not
/// expired is [`SandboxError::Exists`].
pub async fn create(
    state: &App,
    partner_id: &str,
    request: &SandboxRequest,
) -> Result<PartnerSandbox, SandboxError> {
    let mut problems = Vec::new();
    let test_hosts = match check_test_hosts(&state.operator.partners, &request.test_hosts) {
        Ok(hosts) => hosts,
        Err(found) => {
            problems.extend(found);
            Vec::new()
        }
    };
    if !(1..=MAX_EMPLOYEES).contains(&request.employees) {
        problems.push(FieldProblem::new(
            "employees",
            format!("between 1 and {MAX_EMPLOYEES} (has {})", request.employees),
        ));
    }
    if !problems.is_empty() {
        return Err(SandboxError::Invalid(problems));
    }
    let now = state.clock.now();
    let now_text = crate::time::instant(now);
    if let Some(old) = state.store.partner_sandbox(partner_id).await?
        && old.removed_at.is_none()
        && old.expired_at(&now_text)
    {
        state.store.remove_sandbox_data(&old, &now_text).await?;
    }
    let sandbox = PartnerSandbox {
        partner_id: partner_id.to_string(),
        tenant_id: tenant_id(partner_id),
        test_hosts,
        employees: request.employees as i64,
        seed: request.seed as i64,
        created_at: now_text.clone(),
        expires_at: crate::time::instant(
            now + time::Duration::days(i64::from(state.operator.partners.sandbox_days)),
        ),
        removed_at: None,
    };
    match state.store.claim_partner_sandbox(&sandbox, &now_text).await {
        Ok(()) => {}
        Err(ClaimError::Exists(existing)) => return Err(SandboxError::Exists(existing)),
        Err(ClaimError::Store(e)) => return Err(e.into()),
    }
    let seeded = crate::sandbox::create_tenant(
        &state.store,
        &sandbox.tenant_id,
        &format!("Sandbox of {partner_id}"),
        request.employees,
        request.seed,
    )
    .await;
    if let Err(e) = seeded {
        // Half a tenant helps no one: take back what was written.
        if let Err(undo) = state.store.remove_sandbox_data(&sandbox, &now_text).await {
            tracing::error!(
                "cannot remove the half-made sandbox {}: {undo}",
                sandbox.tenant_id
            );
        }
        return Err(e.into());
    }
    tracing::info!(
        "partner {partner_id} created the sandbox tenant {} until {}",
        sandbox.tenant_id,
        sandbox.expires_at
    );
    Ok(sandbox)
}

/// Removes the sandbox's tenant data now (the partner deleted it).
pub async fn remove(state: &App, sandbox: &PartnerSandbox) -> Result<(), StoreError> {
    state
        .store
        .remove_sandbox_data(sandbox, &state.clock.now_text())
        .await?;
    tracing::info!(
        "partner {} deleted its sandbox tenant {}",
        sandbox.partner_id,
        sandbox.tenant_id
    );
    Ok(())
}

/// Removes the data of every sandbox that has expired by the app's clock;
/// one whose job is being run right now waits for the next round (its
/// jobs end as Not run, so that is soon). Returns how many were removed.
pub async fn remove_expired(state: &App) -> Result<usize, StoreError> {
    let now = state.clock.now_text();
    let mut removed = 0;
    for sandbox in state.store.expired_sandboxes(&now).await? {
        if state
            .store
            .tenant_has_leased_jobs(&sandbox.tenant_id)
            .await?
        {
            continue;
        }
        state.store.remove_sandbox_data(&sandbox, &now).await?;
        tracing::info!(
            "the sandbox tenant {} of partner {} expired at {}; its data is removed",
            sandbox.tenant_id,
            sandbox.partner_id,
            sandbox.expires_at
        );
        removed += 1;
    }
    Ok(removed)
}

/// Days left until the sandbox expires, counting a day begun as a day:
/// 90 right after it was made, 1 on its last day, 0 once expired.
pub fn days_left(sandbox: &PartnerSandbox, now: time::OffsetDateTime) -> i64 {
    const DAY: i64 = 86_400;
    crate::time::parse_instant(&sandbox.expires_at)
        .map(|end| ((end - now).whole_seconds().max(0) + DAY - 1) / DAY)
        .unwrap_or(0)
}
