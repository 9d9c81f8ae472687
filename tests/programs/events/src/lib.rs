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
            Event::AttendanceCreated(id) => ("attendance-created", id),
            Event::AttendanceUpdated(id) => ("attendance-updated", id),
            Event::AttendanceDeleted(id) => ("attendance-deleted", id),
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
        // A hire: `{"key", "first_name", "last_name", "personal_email"?}`.
        if let Ok(hire) = serde_json::from_slice::<serde_json::Value>(&request.body)
            && let (Some(key), Some(first), Some(last)) = (
                hire["key"].as_str(),
                hire["first_name"].as_str(),
                hire["last_name"].as_str(),
            )
        {
            let new = NewEmployee {
                first_name: first.into(),
                last_name: last.into(),
                work_email: None,
                personal_email: hire["personal_email"].as_str().map(String::from),
                phone: None,
                department: hire["department"].as_str().map(String::from),
                position: None,
                legal_entity: None,
                contract_type: None,
                start_date: None,
            };
            return match hr::create_employee(&new, key) {
                Ok(id) => {
                    let _ = lockgate_sdk::outcomes::report(&Outcome::success(
                        &id,
                        Operation::Create,
                        "created",
                    ));
                    WebhookResponse {
                        status: 201,
                        headers: Vec::new(),
                        body: id.into_bytes(),
                    }
                }
                Err(e) => WebhookResponse {
                    status: 500,
                    headers: Vec::new(),
                    body: format!("{e:?}").into_bytes(),
                },
            };
        }
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
