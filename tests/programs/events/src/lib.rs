//! A connector for the event and webhook tests: every `on-event` is posted
//! to the partner as `{"event", "id"}` and reported as one row; every
//! webhook delivery is reported as one row saying what arrived.

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

    fn handle_webhook(request: WebhookRequest) -> WebhookResponse {
        let body = String::from_utf8_lossy(&request.body).to_string();
        let headers: Vec<_> = request.headers.iter().map(|(k, _)| k.as_str()).collect();
        let seen = format!(
            "{} {} headers={} body={body}",
            request.method,
            request.path,
            headers.join(",")
        );
        let refused = body == "refuse";
        let row = if refused {
            Outcome::failed("webhook", Operation::Create, &seen)
        } else {
            Outcome::success("webhook", Operation::Create, &seen)
        };
        let _ = lockgate_sdk::outcomes::report(&row);
        WebhookResponse {
            status: if refused { 422 } else { 200 },
            headers: Vec::new(),
            body: if refused {
                b"refused".to_vec()
            } else {
                b"ok".to_vec()
            },
        }
    }
}

lockgate_sdk::export_connector!(Events);
