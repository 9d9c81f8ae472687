//! A connector for the event tests: every `on-event` is posted to the
//! partner as `{"event", "id"}` and reported as one row.

use lockgate_sdk::prelude::*;

struct Events;

impl Connector for Events {
    fn sync(_trigger: Trigger) -> Result<(), Error> {
        Ok(())
    }

    fn on_event(event: Event) -> Result<(), Error> {
        let (name, id) = match event {
            Event::EmployeeCreated(id) => ("employee-created", id),
            Event::EmployeeUpdated(id) => ("employee-updated", id),
            Event::EmployeeTerminated(id) => ("employee-terminated", id),
            Event::AbsenceCreated(id) => ("absence-created", id),
            Event::AbsenceUpdated(id) => ("absence-updated", id),
            Event::AbsenceCancelled(id) => ("absence-cancelled", id),
        };
        let base = config::require("partner-url")?;
        let res = http::post(&format!("{}/events", base.trim_end_matches('/')))
            .json(&serde_json::json!({ "event": name, "id": id }))?
            .send()?;
        if !res.is_success() {
            return Err(Error::partner(
                res.status,
                "the partner refused the event",
                &res.body,
            ));
        }
        lockgate_sdk::outcomes::report(&Outcome::success(&id, Operation::Update, name))
    }
}

lockgate_sdk::export_connector!(Events);
