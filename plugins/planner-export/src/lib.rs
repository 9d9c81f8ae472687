//! Planner export: employees (id, department) and their absences of the next
//! six months go to a planning tool once a day.
//!
//! The first run sends everyone in scope; later runs send only employees whose
//! record or absences changed since the previous run, whose absences entered
//! the six-month window since then, or whom the planner rejected last time;
//! and they remove from the planner everyone who left since the previous
//! run, as the host's departures query names them, so nothing but the ids
//! the planner refused is remembered. After each answered batch the run
//! checkpoints, so a run cut short (the host stopped or crashed) is
//! continued by the next one after the last answered batch instead of
//! sending everyone again. The planner API is described in this crate's
//! README.

use std::collections::{BTreeMap, BTreeSet};

use lockgate_sdk::dates;
use lockgate_sdk::hr::{Departure, DepartureReason};
use lockgate_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// How far ahead absences are sent.
const WINDOW_DAYS: i64 = 183;
/// How far back the initial sync period may start (the granted window).
const MAX_PAST_DAYS: i64 = 92;
/// Resources per batch request.
const BATCH: usize = 200;

struct PlannerExport;

/// What the connector remembers between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Cursor {
    /// Start of the last successful run: changes from then on are sent next.
    /// Empty before the first run finished.
    since: String,
    /// Last day of the window the last run covered.
    window_end: String,
    /// Employees the planner rejected or refused to remove; tried again
    /// next run: sent while they are visible, removed once they are not.
    #[serde(default)]
    retry: BTreeSet<String>,
    /// A run that was cut short, as far as it got.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    progress: Option<Progress>,
}

/// How far an unfinished run got: employees are sent in id order, so
/// everyone up to `sent_through` was answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Progress {
    started: String,
    window_start: String,
    window_end: String,
    sent_through: String,
    /// Employees the planner rejected in the batches answered so far.
    retry: BTreeSet<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Resource {
    external_id: String,
    department: Option<String>,
    absences: Vec<PlannerAbsence>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlannerAbsence {
    external_id: String,
    start: String,
    end: String,
    reason: String,
    half_day_start: bool,
    half_day_end: bool,
    status: &'static str,
}

#[derive(Deserialize)]
struct BatchResponse {
    results: Vec<ItemResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemResult {
    external_id: String,
    code: u16,
    #[serde(default)]
    result: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

impl Connector for PlannerExport {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let get = |k: &str| {
            config
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        if let Some(from) = get("initial-sync-from") {
            let today = dates::to_days(&dates::today()).unwrap_or(0);
            match dates::to_days(from) {
                Some(day) if day > today => errors.push(FieldError::new(
                    "initial-sync-from",
                    "lies in the future; leave it empty to start today",
                )),
                Some(day) if day < today - MAX_PAST_DAYS => errors.push(FieldError::new(
                    "initial-sync-from",
                    format!("can start at most {MAX_PAST_DAYS} days back"),
                )),
                Some(_) => {}
                None => errors.push(FieldError::new("initial-sync-from", "is not a date")),
            }
        }
        match get("planner-url").map(str::trim) {
            None | Some("") => errors.push(FieldError::new(
                "planner-url",
                "give your planner's address, e.g. https://acme.planner.example",
            )),
            Some(url) if url.trim_end_matches('/').matches('/').count() > 2 => {
                errors.push(FieldError::new(
                    "planner-url",
                    "give the address without a path",
                ));
            }
            Some(_) => {}
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_connection() -> Result<(), Error> {
        let res = http::get(&format!("{}/api/v1/account", base_url()?)).send()?;
        if res.is_success() {
            Ok(())
        } else {
            Err(Error::partner(
                res.status,
                "the planner refused the account check",
                &res.body,
            ))
        }
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let base = base_url()?;
        let department = config::get("base-department").filter(|d| !d.trim().is_empty());
        let include_pending = config::get("include-pending").as_deref() == Some("true");
        let today = dates::today();
        // The last finished run's cursor, and how far a run cut short since
        // then got: it is continued, not started over.
        let (previous, resumed) = match state::load::<Cursor>() {
            None => (None, None),
            Some(mut cursor) => {
                let progress = cursor.progress.take();
                ((!cursor.since.is_empty()).then_some(cursor), progress)
            }
        };
        let started = resumed
            .as_ref()
            .map_or_else(dates::now, |p| p.started.clone());
        let window_end = match &resumed {
            Some(p) => p.window_end.clone(),
            None => dates::add_days(&today, WINDOW_DAYS).unwrap_or_else(|| today.clone()),
        };

        let statuses = if include_pending {
            vec![AbsenceStatus::Approved, AbsenceStatus::Pending]
        } else {
            vec![AbsenceStatus::Approved]
        };

        // Who to send, with their department; who to remove, with why.
        let mut targets: BTreeMap<String, Option<String>> = BTreeMap::new();
        let mut leavers: BTreeMap<String, Leaving> = BTreeMap::new();
        let window_start = match (&resumed, &previous) {
            (Some(p), _) => p.window_start.clone(),
            (None, None) => config::get("initial-sync-from").unwrap_or_else(|| today.clone()),
            (None, Some(_)) => today.clone(),
        };
        match &previous {
            None => {
                let query = EmployeeQuery {
                    department: department.clone(),
                    ..Default::default()
                };
                for employee in hr::employees(query) {
                    let employee = employee?;
                    let dept = employee.basic.and_then(|b| b.department);
                    targets.insert(employee.id, dept);
                }
            }
            Some(cursor) => {
                let query = EmployeeQuery {
                    department: department.clone(),
                    updated_since: Some(cursor.since.clone()),
                    ..Default::default()
                };
                for employee in hr::employees(query) {
                    let employee = employee?;
                    let dept = employee.basic.and_then(|b| b.department);
                    targets.insert(employee.id, dept);
                }
                let mut touched: BTreeSet<String> = cursor.retry.clone();
                let changed = AbsenceQuery {
                    updated_since: Some(cursor.since.clone()),
                    ..AbsenceQuery::between(&today, &window_end)
                };
                for absence in hr::absences(changed) {
                    touched.insert(absence?.employee_id);
                }
                // Absences that were beyond the window last time and are inside now.
                if let Some(entered_from) = dates::add_days(&cursor.window_end, 1)
                    && entered_from <= window_end
                {
                    for absence in hr::absences(AbsenceQuery::between(&entered_from, &window_end)) {
                        touched.insert(absence?.employee_id);
                    }
                }
                for id in touched {
                    if targets.contains_key(&id) {
                        continue;
                    }
                    match hr::employee(&id) {
                        Ok(employee) => {
                            let dept = employee.basic.and_then(|b| b.department);
                            if department.is_none() || dept == department {
                                targets.insert(id, dept);
                            }
                        }
                        // No longer visible (left, or excluded by the
                        // tenant): nothing to send. One the planner refused
                        // last time is removed instead.
                        Err(HostError::NotFound(_)) => {
                            if cursor.retry.contains(&id) {
                                leavers.insert(id, Leaving::Unseen);
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                // Everyone who left since the last run, with why.
                for departure in hr::departures(&cursor.since) {
                    let departure = departure?;
                    if !targets.contains_key(&departure.employee_id) {
                        leavers.insert(departure.employee_id.clone(), Leaving::Departed(departure));
                    }
                }
            }
        }

        // Their absences inside the window.
        let mut absences: BTreeMap<String, Vec<PlannerAbsence>> = BTreeMap::new();
        let full = previous.is_none();
        let query = AbsenceQuery {
            statuses: statuses.clone(),
            ..AbsenceQuery::between(&window_start, &window_end)
        };
        if full {
            for absence in hr::absences(query) {
                let absence = absence?;
                if targets.contains_key(&absence.employee_id) {
                    absences
                        .entry(absence.employee_id.clone())
                        .or_default()
                        .push(to_planner(absence));
                }
            }
        } else {
            for id in targets.keys() {
                let query = AbsenceQuery {
                    employee_id: Some(id.clone()),
                    ..query.clone()
                };
                for absence in hr::absences(query) {
                    absences
                        .entry(id.clone())
                        .or_default()
                        .push(to_planner(absence?));
                }
            }
        }

        let mut retry = BTreeSet::new();
        if let Some(p) = &resumed {
            let before = targets.len();
            targets.retain(|id, _| id.as_str() > p.sent_through.as_str());
            retry.extend(p.retry.iter().cloned());
            log::info(&format!(
                "continuing the run started at {}: {} employee(s) up to {} were already answered",
                p.started,
                before - targets.len(),
                p.sent_through
            ));
        }
        log::info(&format!(
            "sending {} employee(s) with absences {window_start} to {window_end}; removing {} who left",
            targets.len(),
            leavers.len()
        ));

        let mut rows = Outcomes::new();
        let resources: Vec<Resource> = targets
            .into_iter()
            .map(|(id, department)| Resource {
                absences: absences.remove(&id).unwrap_or_default(),
                external_id: id,
                department,
            })
            .collect();
        let batches: Vec<_> = resources.chunks(BATCH).collect();
        let mut throttled = None;
        for (n, batch) in batches.iter().enumerate() {
            if let Sent::Throttled(status) = send_batch(&base, batch, &mut rows, &mut retry)? {
                throttled = Some(status);
                // The planner keeps asking to slow down: what was sent
                // stays sent, the rest goes next run.
                let message = format!(
                    "not sent: the planner answered {status} (rate limited) after retries; sent next run"
                );
                for resource in batches[n..].iter().flat_map(|b| b.iter()) {
                    retry.insert(resource.external_id.clone());
                    rows.push(Outcome::failed(
                        &resource.external_id,
                        Operation::Update,
                        &message,
                    ))?;
                }
                log::warn(&format!(
                    "stopped after {n} of {} batch(es): the planner is rate limiting",
                    batches.len()
                ));
                break;
            }
            // Each answered batch is in monitoring, and the run can be
            // continued after it, before the next is sent.
            let mut checkpoint = previous.clone().unwrap_or_default();
            checkpoint.progress = Some(Progress {
                started: started.clone(),
                window_start: window_start.clone(),
                window_end: window_end.clone(),
                sent_through: batch
                    .last()
                    .map(|r| r.external_id.clone())
                    .unwrap_or_default(),
                retry: retry.clone(),
            });
            rows.checkpoint(&serde_json::to_string(&checkpoint)?)?;
        }
        // After the sends: a run cut short before it got here finds the
        // same departures when it is continued.
        for (id, leaving) in &leavers {
            if let Some(status) = throttled {
                retry.insert(id.clone());
                rows.push(Outcome::failed(
                    id,
                    Operation::Deprovision,
                    &format!(
                        "not removed: the planner answered {status} (rate limited) after retries; removed next run"
                    ),
                ))?;
                continue;
            }
            if let Sent::Throttled(status) = remove(&base, id, leaving, &mut rows, &mut retry)? {
                throttled = Some(status);
            }
        }
        rows.finish()?;

        state::save(&Cursor {
            since: started,
            window_end,
            retry,
            progress: None,
        })?;
        Ok(())
    }
}

/// How a batch or a removal went.
enum Sent {
    Answered,
    /// Still 429 / 503 after the client's retries.
    Throttled(u16),
}

/// Why someone is removed from the planner.
enum Leaving {
    /// The host's departures query named them.
    Departed(Departure),
    /// The planner refused their removal (or their record) last time, and
    /// they are still out of sight.
    Unseen,
}

impl Leaving {
    fn reason(&self) -> String {
        let Leaving::Departed(d) = self else {
            return "no longer visible to this connector".into();
        };
        let day = d.left_at.get(..10).unwrap_or(&d.left_at);
        match d.reason {
            DepartureReason::Terminated => match hr::last_day(&d.left_at) {
                Some(last) => format!("employment ended (last day {last})"),
                // Entered after the last day: dated when it was entered.
                None => format!("employment ended (termination entered on {day})"),
            },
            DepartureReason::Excluded => {
                format!("excluded from the transfer to the planner on {day}")
            }
            DepartureReason::OutOfScope => format!("removed from the HR records on {day}"),
        }
    }
}

/// Removes one person who left from the planner: one row either way.
/// Gone already (`404`) is a skipped row; a refusal is a failed row with
/// the planner's answer, and the person is removed again next run.
fn remove(
    base: &str,
    id: &str,
    leaving: &Leaving,
    rows: &mut Outcomes,
    retry: &mut BTreeSet<String>,
) -> Result<Sent, Error> {
    let res = http::delete(&format!("{base}/api/v1/resources/{}", http::encode(id)))
        .retrying()
        .send()?;
    let why = leaving.reason();
    if res.is_throttled() {
        retry.insert(id.to_string());
        rows.push(
            Outcome::failed(
                id,
                Operation::Deprovision,
                &format!(
                    "not removed: the planner answered {} (rate limited) after retries; removed next run",
                    res.status
                ),
            )
            .with_partner(res.status, &res.body),
        )?;
        return Ok(Sent::Throttled(res.status));
    }
    if res.status == 401 || res.status == 403 {
        return Err(Error::partner(
            res.status,
            "the planner refused the API key",
            &res.body,
        ));
    }
    let row = if res.is_success() {
        Outcome::success(
            id,
            Operation::Deprovision,
            &format!("removed from the planner: {why}"),
        )
    } else if res.status == 404 {
        Outcome::skipped(
            id,
            Operation::Deprovision,
            &format!("not in the planner (nothing to remove): {why}"),
        )
    } else {
        retry.insert(id.to_string());
        Outcome::failed(
            id,
            Operation::Deprovision,
            &format!(
                "the planner refused the removal ({}): {}; removed next run",
                res.status,
                planner_error(&res.body)
            ),
        )
    };
    rows.push(row.with_partner(res.status, &res.body))?;
    Ok(Sent::Answered)
}

/// The planner's `error` text from an answer body, else the body itself
/// (shortened).
fn planner_error(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct Answer {
        error: String,
    }
    match serde_json::from_slice::<Answer>(body) {
        Ok(a) => a.error,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "no reason given".into()
            } else {
                text.chars().take(200).collect()
            }
        }
    }
}

fn send_batch(
    base: &str,
    batch: &[Resource],
    rows: &mut Outcomes,
    retry: &mut BTreeSet<String>,
) -> Result<Sent, Error> {
    let res = http::post(&format!("{base}/api/v1/resources/batch"))
        .json(&serde_json::json!({ "resources": batch }))?
        .retrying()
        .send()?;
    if res.is_throttled() {
        return Ok(Sent::Throttled(res.status));
    }
    if res.retries > 0 {
        log::info(&format!(
            "the planner asked to slow down; sent after {} retr{}",
            res.retries,
            if res.retries == 1 { "y" } else { "ies" }
        ));
    }
    if res.status == 401 || res.status == 403 {
        return Err(Error::partner(
            res.status,
            "the planner refused the API key",
            &res.body,
        ));
    }
    if !res.is_success() {
        // The whole batch failed: every employee in it gets the partner's answer.
        let message = format!("planner answered {} for the batch", res.status);
        for resource in batch {
            retry.insert(resource.external_id.clone());
            rows.push(
                Outcome::failed(&resource.external_id, Operation::Update, &message)
                    .with_partner(res.status, &res.body),
            )?;
        }
        return Ok(Sent::Answered);
    }
    let parsed: BatchResponse = res.json().map_err(|e| {
        Error::partner(
            res.status,
            format!("unreadable planner answer: {e}"),
            &res.body,
        )
    })?;
    let mut answered = BTreeSet::new();
    for item in parsed.results {
        answered.insert(item.external_id.clone());
        let operation = match item.result.as_deref() {
            Some("created") => Operation::Provision,
            _ => Operation::Update,
        };
        let row = if (200..300).contains(&item.code) {
            let n = batch
                .iter()
                .find(|r| r.external_id == item.external_id)
                .map_or(0, |r| r.absences.len());
            Outcome::success(
                &item.external_id,
                operation,
                &format!("sent with {n} absence(s)"),
            )
            .with_partner(item.code, b"")
        } else {
            retry.insert(item.external_id.clone());
            let error = item.error.unwrap_or_else(|| "rejected".to_string());
            let body = serde_json::json!({ "externalId": item.external_id, "code": item.code, "error": error });
            Outcome::failed(
                &item.external_id,
                operation,
                &format!("planner rejected: {error}"),
            )
            .with_partner(item.code, body.to_string().as_bytes())
        };
        rows.push(row)?;
    }
    for resource in batch {
        if !answered.contains(&resource.external_id) {
            retry.insert(resource.external_id.clone());
            rows.push(Outcome::failed(
                &resource.external_id,
                Operation::Update,
                "the planner did not confirm this employee",
            ))?;
        }
    }
    Ok(Sent::Answered)
}

fn to_planner(absence: Absence) -> PlannerAbsence {
    PlannerAbsence {
        external_id: absence.id,
        start: absence.start_date,
        end: absence.end_date,
        reason: absence.type_name,
        half_day_start: absence.half_day_start,
        half_day_end: absence.half_day_end,
        status: match absence.status {
            AbsenceStatus::Approved => "approved",
            AbsenceStatus::Pending => "pending",
            AbsenceStatus::Cancelled => "cancelled",
        },
    }
}

fn base_url() -> Result<String, Error> {
    Ok(config::require("planner-url")?
        .trim_end_matches('/')
        .to_string())
}

lockgate_sdk::export_connector!(PlannerExport);

#[cfg(test)]
mod tests {
    use lockgate_sdk::testing::{SentRequest, TestHost, absence, employee, reply, reply_json};
    use serde_json::{Value, json};

    use super::*;

    /// A planner that creates every resource but `e-3`, whose department
    /// it does not know.
    fn planner(request: &SentRequest) -> lockgate_sdk::http::Response {
        let body: Value = request.json().unwrap_or_default();
        let results: Vec<Value> = body["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| match r["externalId"].as_str() {
                Some("e-3") => json!({ "externalId": "e-3", "code": 422, "error": "department Research does not exist" }),
                id => json!({ "externalId": id, "code": 201, "result": "created" }),
            })
            .collect();
        match request.path.as_str() {
            "/api/v1/resources/batch" => reply_json(200, &json!({ "results": results })),
            _ => reply(404, ""),
        }
    }

    fn host() -> TestHost {
        let host = TestHost::new();
        host.clock("2026-11-23T03:00:00Z")
            .config("planner-url", "https://acme.planner.example/")
            .page_size(2)
            .employees([
                employee("e-1", "Ada", "Lovelace").with_department("Engineering"),
                employee("e-2", "Grace", "Hopper").with_department("Engineering"),
                employee("e-3", "Alan", "Turing").with_department("Research"),
            ])
            .absences([
                absence("a-1", "e-1", "Vacation", "2026-12-21", "2026-12-31"),
                absence("a-2", "e-2", "Vacation", "2027-09-01", "2027-09-05"),
                absence("a-3", "e-2", "Sick leave", "2026-11-25", "2026-11-26")
                    .with_status(AbsenceStatus::Pending),
            ])
            .on_http(planner);
        host
    }

    #[test]
    fn the_first_run_sends_everyone_with_approved_absences_in_the_window() {
        let host = host();
        host.sync::<PlannerExport>(Trigger::Initial).unwrap();

        let requests = host.requests();
        assert_eq!(requests.len(), 1, "three employees fit one batch");
        let sent: Value = requests[0].json().unwrap();
        let absences = |id: &str| -> Vec<Value> {
            sent["resources"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["externalId"] == id)
                .unwrap()["absences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["externalId"].clone())
                .collect()
        };
        assert_eq!(absences("e-1"), [json!("a-1")]);
        assert!(
            absences("e-2").is_empty(),
            "a-2 is past six months, a-3 pending"
        );

        let rows = host.outcomes();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].operation, rows[0].status),
            (Operation::Provision, OutcomeStatus::Success)
        );
        assert_eq!(rows[2].employee_id.as_deref(), Some("e-3"));
        assert_eq!(rows[2].status, OutcomeStatus::Failed);
        assert_eq!(
            rows[2].message,
            "planner rejected: department Research does not exist"
        );

        let cursor: Cursor = host.state_as().unwrap();
        assert_eq!(cursor.since, "2026-11-23T03:00:00.000000Z");
        assert_eq!(cursor.retry, BTreeSet::from(["e-3".to_string()]));
        assert!(cursor.progress.is_none(), "the run finished");
    }

    #[test]
    fn the_next_run_sends_the_rejected_and_the_changed_only() {
        let host = host();
        host.sync::<PlannerExport>(Trigger::Initial).unwrap();
        host.clear_records()
            .clock("2026-11-24T03:00:00Z")
            .absences([
                absence("a-4", "e-2", "Vacation", "2027-01-04", "2027-01-08")
                    .with_updated_at("2026-11-23T10:00:00Z"),
            ]);
        host.sync::<PlannerExport>(Trigger::Scheduled).unwrap();

        let sent: Value = host.requests()[0].json().unwrap();
        let ids: Vec<&str> = sent["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["externalId"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["e-2", "e-3"],
            "e-2's absences changed, e-3 was rejected"
        );
    }

    #[test]
    fn an_unusable_configuration_names_each_field() {
        let host = TestHost::new();
        host.config("planner-url", "https://acme.planner.example/api")
            .config("initial-sync-from", "soon");
        let problems = host.validate_config::<PlannerExport>().unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["initial-sync-from", "planner-url"]);
        assert_eq!(problems[1].message, "give the address without a path");
    }

    #[test]
    fn a_refused_api_key_fails_the_run_and_keeps_the_state() {
        let host = host();
        host.set_state("{}")
            .on_http(|_: &SentRequest| reply(401, "bad key"));
        let error = host.sync::<PlannerExport>(Trigger::Manual).unwrap_err();
        assert!(
            matches!(error, Error::Partner { status: 401, .. }),
            "{error:?}"
        );
        assert_eq!(host.state().as_deref(), Some("{}"));
    }
}
