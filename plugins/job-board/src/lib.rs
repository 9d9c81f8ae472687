//! Job board: the board calls the webhook for every new application, which
//! becomes an application on the tenant's position, once per board
//! application however often it is delivered. An hourly backstop sync
//! reads the board's list for whatever the webhook missed and tries again
//! the applications whose position did not exist yet. `board` speaks the
//! board's API (see the README), `backstop` keeps the state.

mod backstop;
mod board;

use std::collections::BTreeSet;

use lockgate_sdk::prelude::*;
use lockgate_sdk::recruiting;
use serde_json::json;

use backstop::{Backstop, MAX_WAITING, RETRY_DAYS};
use board::{Application, Delivery};

struct JobBoard;

/// What became of one application.
enum Recorded {
    /// The host's application id.
    Created(String),
    /// The position is not (yet) one of the tenant's: the host's words.
    NoPosition(String),
    /// The application breaks a rule that waiting will not fix.
    Refused(String),
    /// The host could not take it now; the run fails and tries again.
    Failed(HostError),
}

fn record(app: &Application) -> Recorded {
    let Some(position) = app.position() else {
        return Recorded::Refused("the job has neither a reference nor a title".into());
    };
    let source = config::get("source");
    let new = match app.to_new(position, source.as_deref()) {
        Ok(new) => new,
        Err(why) => return Recorded::Refused(why),
    };
    // The board's id is the key: a second delivery, or the sync reading
    // an application the webhook brought, creates nothing more.
    match recruiting::create_application(&new, &format!("job-board-{}", app.id)) {
        Ok(id) => Recorded::Created(id),
        Err(HostError::NotFound(why)) => Recorded::NoPosition(why),
        Err(HostError::InvalidArgument(why)) => Recorded::Refused(why),
        Err(e) => Recorded::Failed(e),
    }
}

fn row(status: OutcomeStatus, message: String) -> Outcome {
    Outcome {
        // An application is no employee: the row names the candidate.
        employee_id: None,
        operation: Operation::Create,
        status,
        message,
        partner_status: None,
        partner_body: None,
    }
}

fn applied(app: &Application) -> String {
    format!(
        "{} applied for {:?}",
        app.candidate_name(),
        app.position().unwrap_or_default()
    )
}

fn created(app: &Application, id: &str) -> Outcome {
    row(
        OutcomeStatus::Success,
        format!(
            "{}: application {id} (board application {})",
            applied(app),
            app.id
        ),
    )
}

fn no_position(app: &Application, why: &str, retried: bool) -> Outcome {
    let next = if retried {
        format!("the hourly sync tries again for {RETRY_DAYS} days")
    } else {
        format!("not tried again: {MAX_WAITING} applications already wait")
    };
    row(
        OutcomeStatus::Failed,
        format!(
            "{}, which is not one of your positions ({why}); create the position or correct the job's reference on the board: {next} (board application {})",
            applied(app),
            app.id
        ),
    )
}

fn refused(app: &Application, why: &str) -> Outcome {
    row(
        OutcomeStatus::Failed,
        format!(
            "the application of {} (board application {}) was refused: {why}",
            app.candidate_name(),
            app.id
        ),
    )
}

fn answer(status: u16, body: serde_json::Value) -> WebhookResponse {
    WebhookResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    }
}

/// Whether the application may wait for its position: remembered, or
/// room to remember it.
fn wait_for_position(state: &mut Backstop, id: &str) -> bool {
    if state.waiting.contains_key(id) {
        return true;
    }
    if state.waiting.len() >= MAX_WAITING {
        return false;
    }
    state.waiting.insert(id.to_string(), backstop::now());
    true
}

fn backfill_days(text: Option<&str>) -> Result<i64, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(7);
    };
    match text.parse::<i64>() {
        Ok(days) if (0..=90).contains(&days) => Ok(days),
        _ => Err(format!("{text:?} is not a number of days from 0 to 90")),
    }
}

impl Connector for JobBoard {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let value = |key: &str| {
            config
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let mut errors = Vec::new();
        let mut problem = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        if value("board-url").is_none_or(|u| u.trim().is_empty()) {
            problem(
                "board-url",
                "is required: your job board's address, e.g. https://acme.jobs.example".into(),
            );
        }
        if let Err(why) = backfill_days(value("backfill-days")) {
            problem("backfill-days", why);
        }
        if let Some(source) = value("source")
            && (source.chars().count() > 100 || source.chars().any(char::is_control))
        {
            problem("source", "at most 100 characters on one line".into());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_connection() -> Result<(), Error> {
        // The list the backstop reads, from now on: proves the address and
        // the key without reading anything.
        board::page(&board::base()?, &backstop::now(), 1).map(|_| ())
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let base = board::base()?;
        let days = backfill_days(config::get("backfill-days").as_deref())
            .map_err(|why| Error::config("backfill-days", why))?;
        let mut state = Backstop::load();
        let started = backstop::now();
        let since = state.read_from(days);
        let mut rows = Outcomes::new();
        let seen = read_list(&base, &since, &mut state, &mut rows)?;
        retry_waiting(&base, &seen, &mut state, &mut rows)?;
        if !state.waiting.is_empty() {
            log::info(&format!(
                "{} application(s) wait for their position; they are tried again every sync",
                state.waiting.len()
            ));
        }
        state.since = Some(started);
        state.save()?;
        rows.finish()
    }

    fn handle_webhook(request: WebhookRequest) -> WebhookResponse {
        if !request.method.eq_ignore_ascii_case("POST") {
            return answer(405, json!({ "error": "deliver applications with POST" }));
        }
        let delivery: Delivery = match serde_json::from_slice(&request.body) {
            Ok(d) => d,
            Err(e) => {
                return answer(
                    400,
                    json!({ "error": format!("not a job board delivery: {e}") }),
                );
            }
        };
        if delivery.kind != board::CREATED {
            let _ = lockgate_sdk::outcomes::report(&Outcome {
                operation: Operation::Skip,
                ..row(
                    OutcomeStatus::Skipped,
                    format!(
                        "ignored a {:?} delivery: only {} creates anything",
                        delivery.kind,
                        board::CREATED
                    ),
                )
            });
            return answer(200, json!({ "ignored": delivery.kind }));
        }
        let Some(value) = delivery.application else {
            return answer(
                400,
                json!({ "error": "application.created without an application" }),
            );
        };
        let app = match Application::parse(value) {
            Ok(app) => app,
            Err(why) => return answer(400, json!({ "error": why })),
        };
        let mut state = Backstop::load();
        let (outcome, response) = match record(&app) {
            Recorded::Created(id) => {
                if state.waiting.remove(&app.id).is_some() {
                    let _ = state.save();
                }
                (
                    created(&app, &id),
                    answer(201, json!({ "application_id": id })),
                )
            }
            // A well-formed delivery the tenant cannot place is a rejected
            // record, not a bad delivery: 2xx, with a failed row.
            Recorded::NoPosition(why) => {
                let retried = wait_for_position(&mut state, &app.id);
                if retried {
                    let _ = state.save();
                }
                (
                    no_position(&app, &why, retried),
                    answer(
                        200,
                        json!({ "application_id": null, "error": why, "retried": retried }),
                    ),
                )
            }
            Recorded::Refused(why) => (
                refused(&app, &why),
                answer(200, json!({ "application_id": null, "error": why })),
            ),
            Recorded::Failed(e) => {
                let status = if matches!(e, HostError::Unavailable(_)) {
                    503
                } else {
                    500
                };
                (
                    row(
                        OutcomeStatus::Failed,
                        format!(
                            "the application of {} (board application {}) could not be stored now ({e:?}); the hourly sync tries again",
                            app.candidate_name(),
                            app.id
                        ),
                    ),
                    answer(
                        status,
                        json!({ "error": "the application could not be stored now; the hourly sync tries again" }),
                    ),
                )
            }
        };
        let _ = lockgate_sdk::outcomes::report(&outcome);
        response
    }
}

/// Records every application the board received since `since`; returns
/// the board ids read.
fn read_list(
    base: &str,
    since: &str,
    state: &mut Backstop,
    rows: &mut Outcomes,
) -> Result<BTreeSet<String>, Error> {
    let mut seen = BTreeSet::new();
    let mut n = 1;
    loop {
        let page = board::page(base, since, n)?;
        for value in page.applications {
            match Application::parse(value) {
                Ok(app) => {
                    seen.insert(app.id.clone());
                    take(&app, state, rows)?;
                }
                Err(why) => rows.push(row(OutcomeStatus::Failed, why))?,
            }
        }
        match page.next_page {
            Some(next) if next > n => n = next,
            _ => break,
        }
    }
    Ok(seen)
}

/// Tries again the applications waiting for their position that the list
/// did not bring: asks the board for each, gives up after [`RETRY_DAYS`].
fn retry_waiting(
    base: &str,
    seen: &BTreeSet<String>,
    state: &mut Backstop,
    rows: &mut Outcomes,
) -> Result<(), Error> {
    let waiting: Vec<(String, String)> = state
        .waiting
        .iter()
        .filter(|(id, _)| !seen.contains(*id))
        .map(|(id, at)| (id.clone(), at.clone()))
        .collect();
    for (id, first_failed) in waiting {
        if Backstop::expired(&first_failed) {
            state.waiting.remove(&id);
            rows.push(row(
                OutcomeStatus::Failed,
                format!(
                    "board application {id} waited {RETRY_DAYS} days for its position since {first_failed} and is not tried again; the board still has it"
                ),
            ))?;
            continue;
        }
        // One application the board cannot hand over now stays
        // waiting; it does not stop the others.
        match board::one(base, &id) {
            Err(e) => rows.push(row(
                OutcomeStatus::Failed,
                format!("board application {id} waits for its position, and the board could not hand it over now: {e}"),
            ))?,
            Ok(None) => {
                state.waiting.remove(&id);
                rows.push(row(
                    OutcomeStatus::Skipped,
                    format!("board application {id} was waiting for its position; the board no longer has it"),
                ))?;
            }
            Ok(Some(value)) => match Application::parse(value) {
                Ok(app) => take(&app, state, rows)?,
                Err(why) => {
                    state.waiting.remove(&id);
                    rows.push(row(OutcomeStatus::Failed, why))?;
                }
            },
        }
    }
    Ok(())
}

/// Records one application the sync read, with its row. An application
/// already waiting for its position is reported once, when it first
/// failed; retries report only when they succeed.
fn take(app: &Application, state: &mut Backstop, rows: &mut Outcomes) -> Result<(), Error> {
    match record(app) {
        Recorded::Created(id) => {
            state.waiting.remove(&app.id);
            rows.push(created(app, &id))
        }
        Recorded::NoPosition(why) => {
            let known = state.waiting.contains_key(&app.id);
            let retried = wait_for_position(state, &app.id);
            if known {
                Ok(())
            } else {
                rows.push(no_position(app, &why, retried))
            }
        }
        Recorded::Refused(why) => {
            state.waiting.remove(&app.id);
            rows.push(refused(app, &why))
        }
        Recorded::Failed(e) => {
            rows.flush()?;
            Err(Error::Host(e))
        }
    }
}

lockgate_sdk::export_connector!(JobBoard);
