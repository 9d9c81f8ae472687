//! Incremental sync: a second sync right after the first sends only
//! changes, and a cursor moved to the far future sends nothing. Reported in
//! the `limits` section.

use std::collections::BTreeSet;

use super::{Sandbox, Verdict, VetError, Vetting, sent_ids};
use crate::bindings::Trigger;
use crate::store::InstallRecord;

/// Right after a sync, a second one sends only changes (none); with the
/// cursor moved to the far future, nothing.
pub(super) async fn incremental_checks(
    v: &mut Vetting<'_>,
    sandbox: &Sandbox,
    base: &InstallRecord,
    sent: &BTreeSet<String>,
) -> Result<(), VetError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_cursors() {
        assert_eq!(
            far_future(r#"{"since":"2026-11-23T10:00:00.000000Z","retry":["e-00001"]}"#),
            r#"{"since":"2999-12-31T10:00:00.000000Z","retry":["e-00001"]}"#
        );
    }
}
