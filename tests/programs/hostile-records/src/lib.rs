//! A hostile connector for the host's storage tests. `max-rows` reports
//! `count` rows, each with a message and a partner body longer than the
//! host keeps (every third row failed, the rest successful);
//! `empty-log-lines` logs `count` empty lines.

use lockgate_sdk::prelude::*;

struct HostileRecords;

/// Longer than the host's per-row caps (2 KiB message, 4 KiB body).
const MESSAGE_BYTES: usize = 3000;
const BODY_BYTES: usize = 5000;

impl Connector for HostileRecords {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let attack = config::get("attack").unwrap_or_default();
        let count: u64 = config::get("count")
            .and_then(|c| c.parse().ok())
            .unwrap_or(250_000);
        match attack.as_str() {
            "none" => Ok(()),
            "max-rows" => {
                let message = "m".repeat(MESSAGE_BYTES);
                let body = "b".repeat(BODY_BYTES);
                let mut rows = Outcomes::new();
                for n in 1..=count {
                    let id = format!("e-{n:05}");
                    let mut row = if n.is_multiple_of(3) {
                        Outcome::failed(&id, Operation::Update, &message)
                    } else {
                        Outcome::success(&id, Operation::Update, &message)
                    };
                    // Past the SDK's own cut, to test the host's.
                    row.partner_status = Some(if n.is_multiple_of(3) { 500 } else { 200 });
                    row.partner_body = Some(body.clone());
                    rows.push(row)?;
                }
                rows.finish()
            }
            "empty-log-lines" => {
                for _ in 0..count {
                    log::info("");
                }
                Ok(())
            }
            other => Err(Error::other(format!("unknown attack {other}"))),
        }
    }
}

lockgate_sdk::export_connector!(HostileRecords);
