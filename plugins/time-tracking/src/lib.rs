//! Time tracking: a time-tracking tool's clock-in and clock-out entries
//! become working times (attendance periods) in HR.
//!
//! The tool calls the webhook for every entry it opens, closes, changes or
//! deletes, and each delivery is applied at once (`periods`); a nightly
//! reconciliation (`nightly`) reads the tool's entries of the last days
//! and repairs whatever a lost delivery left behind. Entries are matched
//! to employees in `people`; the tool's API is in `tool` and documented in
//! this crate's README.

mod nightly;
mod people;
mod periods;
mod tool;

use lockgate_sdk::attendances::{self, AttendanceQuery};
use lockgate_sdk::prelude::*;
use serde::Deserialize;

use crate::people::Match;
use crate::tool::{Entry, EntryRef};

struct TimeTracking;

/// A webhook delivery from the tool.
#[derive(Deserialize)]
struct Delivery {
    event: String,
    entry: serde_json::Value,
}

fn answer(status: u16, body: serde_json::Value) -> WebhookResponse {
    WebhookResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// Reports the row and answers the tool with its message.
fn finish(entry_id: &str, applied: periods::Applied) -> WebhookResponse {
    let message = applied.row.message.clone();
    if let Err(e) = lockgate_sdk::outcomes::report(&applied.row) {
        log::warn(&format!(
            "the row of entry {entry_id} was not recorded: {e}"
        ));
    }
    let key = if applied.status >= 400 {
        "error"
    } else {
        "result"
    };
    answer(
        applied.status,
        serde_json::json!({ "entry": entry_id, key: message }),
    )
}

/// The period this connector wrote for the entry on its day, if any.
fn existing(entry: &Entry, employee: &str) -> Option<attendances::Attendance> {
    let query = AttendanceQuery {
        employee_id: Some(employee.to_string()),
        ..AttendanceQuery::between(&entry.date, &entry.date)
    };
    for period in attendances::attendances(query) {
        match period {
            Ok(p) if p.external_id.as_deref() == Some(entry.id.as_str()) => return Some(p),
            Ok(_) => {}
            Err(e) => {
                // Without it the period is written anyway: only "unchanged"
                // cannot be told apart from "updated".
                log::warn(&format!(
                    "could not read the working times of {employee} on {}: {e:?}",
                    entry.date
                ));
                return None;
            }
        }
    }
    None
}

fn closed_or_changed(entry: serde_json::Value) -> WebhookResponse {
    let entry: Entry = match serde_json::from_value(entry) {
        Ok(e) => e,
        Err(e) => {
            return answer(
                400,
                serde_json::json!({ "error": format!("not a time entry: {e}") }),
            );
        }
    };
    let found = match people::find_one(entry.employee_number.as_deref(), entry.email.as_deref()) {
        Ok(found) => found,
        Err(e) => {
            return answer(
                503,
                serde_json::json!({ "entry": entry.id, "error": format!("employees could not be read: {e:?}; deliver again later") }),
            );
        }
    };
    let current = match (&found, entry.end.is_some() && entry.problems().is_empty()) {
        (Match::Found(id), true) => existing(&entry, id),
        _ => None,
    };
    let id = entry.id.clone();
    finish(&id, periods::put(&entry, &found, current.as_ref()))
}

fn deleted(entry: serde_json::Value) -> WebhookResponse {
    let entry: EntryRef = match serde_json::from_value(entry) {
        Ok(e) => e,
        Err(e) => {
            return answer(
                400,
                serde_json::json!({ "error": format!("not a time entry: {e}") }),
            );
        }
    };
    if entry.id.trim().is_empty() {
        return answer(400, serde_json::json!({ "error": "entry.id is empty" }));
    }
    // Whom the row is about: the HR id when the tool's number is one. The
    // removal itself goes by the entry's id alone.
    let employee = tool::given(entry.employee_number.as_deref())
        .and_then(|number| hr::employee(&number).ok())
        .map(|e| e.id);
    let id = entry.id.clone();
    finish(
        &id,
        periods::remove(&entry, employee.as_deref(), "deleted in the tool"),
    )
}

impl Connector for TimeTracking {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let get = |k: &str| {
            config
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let mut errors = Vec::new();
        match get("tool-url").map(str::trim) {
            None | Some("") => errors.push(field_error(
                "tool-url",
                "give your time-tracking tool's address, e.g. https://acme.timetrack.example",
            )),
            Some(url) if url.trim_end_matches('/').matches('/').count() > 2 => {
                errors.push(field_error("tool-url", "give the address without a path"))
            }
            Some(_) => {}
        }
        if let Err(message) = nightly::days_back(get("days-back")) {
            errors.push(field_error("days-back", &message));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_connection() -> Result<(), Error> {
        tool::check_account(&tool::base_url()?)
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        nightly::reconcile(&tool::base_url()?)
    }

    fn handle_webhook(request: WebhookRequest) -> WebhookResponse {
        if !request.method.eq_ignore_ascii_case("POST") {
            return answer(
                405,
                serde_json::json!({ "error": "deliver entries with POST" }),
            );
        }
        let delivery: Delivery = match serde_json::from_slice(&request.body) {
            Ok(d) => d,
            Err(e) => {
                return answer(
                    400,
                    serde_json::json!({ "error": format!("not a time entry event: {e}") }),
                );
            }
        };
        match delivery.event.as_str() {
            "entry.opened" | "entry.closed" | "entry.updated" => closed_or_changed(delivery.entry),
            "entry.deleted" => deleted(delivery.entry),
            other => {
                log::info(&format!("event {other:?} ignored: not about time entries"));
                answer(200, serde_json::json!({ "ignored": other }))
            }
        }
    }
}

lockgate_sdk::export_connector!(TimeTracking);
