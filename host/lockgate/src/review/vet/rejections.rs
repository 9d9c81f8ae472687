//! One rejected record: the review partner refuses one employee's record
//! in a first sync; the next sync must send that employee again and none
//! the partner accepted. A connector that fails the whole run for one
//! record, hides the rejection, or forgets it does not pass. Reported in
//! the `limits` section.

use std::collections::BTreeSet;

use super::{Sandbox, Verdict, VetError, Vetting, sent_ids};
use crate::bindings::Trigger;
use crate::vocabulary::{JobKind, RowStatus, RunTrigger};

const CHECK: &str = "rejected record";

/// Rows read back per run; a vetting tenant is far smaller.
const ROWS: i64 = 100_000;

pub(super) async fn rejection_check(
    v: &mut Vetting<'_>,
    sandbox: &mut Sandbox,
    sent: &BTreeSet<String>,
) -> Result<(), VetError> {
    let Some(target) = sent.iter().next().cloned() else {
        v.check(
            "limits",
            CHECK,
            Verdict::Warn,
            "not checked: the first sync sent no employee",
        );
        return Ok(());
    };
    let config = sandbox.config.clone();
    let install = sandbox.install(&config);
    sandbox.store.create_install(&install).await?;

    sandbox.partner.reject(Some(&target));
    let run_id = record_run(sandbox, &install).await?;
    let first = sandbox
        .sync_as(
            &install,
            &config,
            Trigger::Initial,
            None,
            Some(run_id.clone()),
        )
        .await;
    sandbox.partner.reject(None);
    let (_, verdict) = first?;
    if let Err(reason) = verdict {
        v.check(
            "limits",
            CHECK,
            Verdict::Fail,
            format!(
                "the partner rejected the record of {target} and the whole sync failed: {reason}; report the record as a failed row and go on"
            ),
        );
        return Ok(());
    }
    let rows = sandbox
        .store
        .run_rows(&run_id, None, None, None, ROWS)
        .await?;
    let rejected: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.status == RowStatus::Failed)
        .filter_map(|r| r.employee_id.clone())
        .collect();
    let accepted: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.status == RowStatus::Success)
        .filter_map(|r| r.employee_id.clone())
        .filter(|id| !rejected.contains(id))
        .collect();
    if !rejected.contains(&target) {
        v.check(
            "limits",
            CHECK,
            Verdict::Fail,
            format!(
                "the partner answered 422 for the record of {target}, but no row of the sync says it failed: the admin would never see it"
            ),
        );
        return Ok(());
    }

    let (second, verdict) = sandbox
        .sync(&install, &config, Trigger::Scheduled, None)
        .await?;
    let again = sent_ids(&second.exchanges);
    let lost: Vec<&String> = rejected.difference(&again).collect();
    let resent: Vec<&String> = accepted.intersection(&again).collect();
    let (verdict, reason) = match verdict {
        Err(reason) => (
            Verdict::Fail,
            format!("the sync after the rejection failed: {reason}"),
        ),
        Ok(()) if !lost.is_empty() => (
            Verdict::Fail,
            format!(
                "the next sync did not send {} again, whose record the partner had rejected: keep rejected records in the state (the SDK's `state::Cursor`)",
                list(&lost)
            ),
        ),
        Ok(()) if !resent.is_empty() => (
            Verdict::Fail,
            format!(
                "the next sync sent {} employee(s) again whose records the partner had accepted, e.g. {}",
                resent.len(),
                list(&resent)
            ),
        ),
        Ok(()) => (
            Verdict::Pass,
            format!(
                "the partner rejected {target}: the next sync sent the {} rejected employee(s) again and none of the {} it had accepted",
                rejected.len(),
                accepted.len()
            ),
        ),
    };
    v.check("limits", CHECK, verdict, reason);
    Ok(())
}

/// A run in the sandbox's store for the first sync's rows.
async fn record_run(
    sandbox: &Sandbox,
    install: &crate::store::InstallRecord,
) -> Result<String, VetError> {
    let run = crate::sync::new_run(install, JobKind::Sync, RunTrigger::Initial, None);
    sandbox.store.create_run(&run).await?;
    Ok(run.id)
}

/// The first few ids, for a reason.
fn list(ids: &[&String]) -> String {
    let shown: Vec<&str> = ids.iter().take(3).map(|s| s.as_str()).collect();
    let more = ids.len().saturating_sub(shown.len());
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}
