//! A staff-directory export built against the released contract
//! `lockgate:connector@0.1.0` (`wit/deps/connector-0.1.0.wit`), kept in the
//! tests as it is: the proof that the host keeps running 0.1.0 connectors.
//! Never move it to a newer contract, and never make it depend on the SDK,
//! which follows the newest one; it uses `wit-bindgen` and `wasi:http`
//! directly (`http.rs`).
//!
//! Each employee goes to the directory as `PUT /people/{id}` with their
//! name, department and work e-mail; a termination is `DELETE /people/{id}`.
//! The state is the instant the last finished sync started and the ids the
//! directory rejected, so a sync sends what changed since, and the rejected
//! again.

mod http;

/// The generated bindings of the 0.1.0 world, confined here.
#[allow(clippy::all, reason = "generated code")]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        world: "lockgate:connector/connector@0.1.0",
        generate_all,
    });
}

use std::collections::BTreeSet;

use bindings::lockgate::connector0_1_0::hr::{self, Employee, EmployeeQuery};
use bindings::lockgate::connector0_1_0::log::{Level, log};
use bindings::lockgate::connector0_1_0::outcomes::{self, Operation, Outcome, OutcomeStatus};
use bindings::lockgate::connector0_1_0::types::{HostError, PartnerError};
use bindings::lockgate::connector0_1_0::{config, state};
use bindings::wasi::http::types::Method;
use bindings::{
    ConnectorError, Event, FieldError, Guest, Trigger, WebhookRequest, WebhookResponse,
};
use serde::{Deserialize, Serialize};

/// The manifest travels inside the component, in the custom section the
/// host reads (`lockgate-manifest`), as the SDK's `export_connector!` does.
#[used]
#[unsafe(link_section = "lockgate-manifest")]
static MANIFEST: [u8; include_bytes!("../connector.toml").len()] =
    *include_bytes!("../connector.toml");

/// Employees fetched per page.
const PAGE: u32 = 200;

/// The longest department name the HR data holds.
const MAX_DEPARTMENT_CHARS: usize = 200;

/// What a sync keeps for the next one.
#[derive(Default, Serialize, Deserialize)]
struct Cursor {
    /// When the last finished sync started; `None` before the first.
    since: Option<String>,
    /// Employees whose records the directory rejected.
    #[serde(default)]
    retry: BTreeSet<String>,
}

struct Directory;

fn base() -> Result<String, ConnectorError> {
    config::get("directory-url")
        .filter(|u| !u.trim().is_empty())
        .map(|u| u.trim_end_matches('/').to_string())
        .ok_or_else(|| {
            ConnectorError::Config(vec![FieldError {
                field: "directory-url".into(),
                message: "is required".into(),
            }])
        })
}

fn department_filter() -> Option<String> {
    config::get("department").filter(|d| !d.trim().is_empty())
}

/// Why `value` is no usable department name, or `None`.
fn department_problem(value: &str) -> Option<String> {
    if let Some((i, c)) = value.chars().enumerate().find(|(_, c)| {
        c.is_control()
            || ('\u{202A}'..='\u{202E}').contains(c)
            || ('\u{2066}'..='\u{2069}').contains(c)
    }) {
        return Some(format!(
            "contains U+{:04X} at character {}, which no department name holds; remove it",
            c as u32,
            i + 1
        ));
    }
    let n = value.chars().count();
    (n > MAX_DEPARTMENT_CHARS).then(|| {
        format!("at most {MAX_DEPARTMENT_CHARS} characters, like every department name (has {n})")
    })
}

/// Now, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs() as i64;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        since.subsec_micros()
    )
}

fn row(id: &str, operation: Operation, status: OutcomeStatus, message: String) -> Outcome {
    Outcome {
        employee_id: Some(id.to_string()),
        operation,
        status,
        message,
        partner_status: None,
        partner_body: None,
    }
}

/// A refused credential ends the run: every other call would fail too.
fn refused_key(res: &http::Response) -> Option<ConnectorError> {
    matches!(res.status, 401 | 403).then(|| {
        ConnectorError::Partner(PartnerError {
            status: res.status,
            message: "the directory refused the API key; check it in the configuration".into(),
            body: Some(res.text()),
        })
    })
}

/// Sends one employee; the row says how the directory answered.
fn put(base: &str, employee: &Employee, operation: Operation) -> Result<Outcome, ConnectorError> {
    let basic = employee.basic.as_ref();
    let name = basic.map(|b| {
        let first = b.preferred_name.as_deref().unwrap_or(&b.first_name);
        format!("{first} {}", b.last_name)
    });
    let body = serde_json::json!({
        "name": name,
        "department": basic.and_then(|b| b.department.clone()),
        "email": employee.contact.as_ref().and_then(|c| c.work_email.clone()),
    });
    let url = format!("{base}/people/{}", http::segment(&employee.id));
    let res = http::send(Method::Put, &url, Some(&body)).map_err(ConnectorError::Unreachable)?;
    if let Some(e) = refused_key(&res) {
        return Err(e);
    }
    let mut outcome = if res.is_success() {
        row(
            &employee.id,
            operation,
            OutcomeStatus::Success,
            "in the directory".into(),
        )
    } else {
        row(
            &employee.id,
            operation,
            OutcomeStatus::Failed,
            format!("the directory rejected the entry ({})", res.status),
        )
    };
    outcome.partner_status = Some(res.status);
    outcome.partner_body = (!res.body.is_empty()).then(|| res.text());
    Ok(outcome)
}

/// Sends an employee as they are now, for an event.
fn send_current(base: &str, id: &str, operation: Operation) -> Result<Outcome, ConnectorError> {
    match hr::get_employee(id) {
        Ok(employee) => put(base, &employee, operation),
        Err(HostError::NotFound(_)) => Ok(row(
            id,
            Operation::Skip,
            OutcomeStatus::Skipped,
            "no longer visible to this integration".into(),
        )),
        Err(e) => Err(ConnectorError::Host(e)),
    }
}

/// Reports a page of rows; returns the employees whose rows failed.
fn report(rows: &[Outcome]) -> Result<Vec<String>, ConnectorError> {
    if !rows.is_empty() {
        outcomes::report_batch(rows).map_err(ConnectorError::Host)?;
    }
    Ok(rows
        .iter()
        .filter(|r| r.status == OutcomeStatus::Failed)
        .filter_map(|r| r.employee_id.clone())
        .collect())
}

impl Guest for Directory {
    fn validate_config(config: Vec<(String, String)>) -> Result<(), Vec<FieldError>> {
        let value = |key: &str| {
            config
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let mut problems = Vec::new();
        if value("directory-url").is_none_or(|u| u.trim().is_empty()) {
            problems.push(FieldError {
                field: "directory-url".into(),
                message:
                    "is required: your directory's address, e.g. https://acme.directory.example"
                        .into(),
            });
        }
        if let Some(problem) = value("department").and_then(department_problem) {
            problems.push(FieldError {
                field: "department".into(),
                message: problem,
            });
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn check_connection() -> Result<(), ConnectorError> {
        let res = http::send(Method::Get, &format!("{}/ping", base()?), None)
            .map_err(ConnectorError::Unreachable)?;
        if let Some(e) = refused_key(&res) {
            return Err(e);
        }
        if !res.is_success() {
            return Err(ConnectorError::Partner(PartnerError {
                status: res.status,
                message: "the directory did not answer the connection check".into(),
                body: Some(res.text()),
            }));
        }
        log(Level::Info, "the directory answered the connection check");
        Ok(())
    }

    fn sync(trigger: Trigger) -> Result<(), ConnectorError> {
        let base = base()?;
        let department = department_filter();
        let cursor: Cursor = state::get()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let started = now();
        let why = match trigger {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
            Trigger::Initial => "initial",
        };
        log(
            Level::Info,
            &format!(
                "{why} sync of {}: changes since {}, {} rejected entr(ies) again",
                department.as_deref().unwrap_or("every department"),
                cursor.since.as_deref().unwrap_or("the beginning"),
                cursor.retry.len()
            ),
        );
        let mut sent = BTreeSet::new();
        let mut rejected = BTreeSet::new();
        let mut page_cursor = None;
        loop {
            let page = hr::fetch_employees(&EmployeeQuery {
                cursor: page_cursor.take(),
                limit: PAGE,
                department: department.clone(),
                updated_since: cursor.since.clone(),
                status: None,
            })
            .map_err(ConnectorError::Host)?;
            let mut rows = Vec::with_capacity(page.items.len());
            for employee in &page.items {
                if sent.insert(employee.id.clone()) {
                    rows.push(put(&base, employee, Operation::Update)?);
                }
            }
            rejected.extend(report(&rows)?);
            match page.next_cursor {
                Some(next) => page_cursor = Some(next),
                None => break,
            }
        }
        // Rejected last time and unchanged since: sent again all the same.
        let mut rows = Vec::new();
        for id in &cursor.retry {
            if sent.contains(id) {
                continue;
            }
            match hr::get_employee(id) {
                Ok(employee) => {
                    let outside = department.as_ref().is_some_and(|d| {
                        employee.basic.as_ref().and_then(|b| b.department.as_ref()) != Some(d)
                    });
                    if !outside {
                        sent.insert(id.clone());
                        rows.push(put(&base, &employee, Operation::Update)?);
                    }
                }
                // No longer visible to this install: nothing to send.
                Err(HostError::NotFound(_)) => {}
                Err(e) => return Err(ConnectorError::Host(e)),
            }
        }
        rejected.extend(report(&rows)?);
        log(
            Level::Info,
            &format!(
                "sent {} employee(s), {} rejected",
                sent.len(),
                rejected.len()
            ),
        );
        let next = Cursor {
            since: Some(started),
            retry: rejected,
        };
        let text =
            serde_json::to_string(&next).map_err(|e| ConnectorError::Other(e.to_string()))?;
        state::set(&text).map_err(ConnectorError::Host)
    }

    fn on_event(event: Event) -> Result<(), ConnectorError> {
        let base = base()?;
        let outcome = match event {
            Event::EmployeeCreated(id) => send_current(&base, &id, Operation::Provision)?,
            Event::EmployeeUpdated(id) => send_current(&base, &id, Operation::Update)?,
            Event::EmployeeTerminated(id) => {
                let url = format!("{base}/people/{}", http::segment(&id));
                let res =
                    http::send(Method::Delete, &url, None).map_err(ConnectorError::Unreachable)?;
                if let Some(e) = refused_key(&res) {
                    return Err(e);
                }
                // Gone already is as good as removed.
                let (status, message) = if res.is_success() || res.status == 404 {
                    (
                        OutcomeStatus::Success,
                        "removed from the directory".to_string(),
                    )
                } else {
                    (
                        OutcomeStatus::Failed,
                        format!("the directory did not remove the entry ({})", res.status),
                    )
                };
                let mut outcome = row(&id, Operation::Deprovision, status, message);
                outcome.partner_status = Some(res.status);
                outcome.partner_body = (!res.body.is_empty()).then(|| res.text());
                outcome
            }
            other => {
                log(Level::Debug, &format!("not subscribed, ignored: {other:?}"));
                return Ok(());
            }
        };
        outcomes::report(&outcome).map_err(ConnectorError::Host)
    }

    fn handle_webhook(_request: WebhookRequest) -> WebhookResponse {
        WebhookResponse {
            status: 404,
            headers: Vec::new(),
            body: b"this connector takes no webhooks".to_vec(),
        }
    }
}

bindings::export!(Directory with_types_in bindings);
