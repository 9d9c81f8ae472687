//! Absence mirror: an approved absence is entered in the planning tool the
//! moment it changes, and removed when it is cancelled. One direction only:
//! nothing is read back from the tool but its people and absence types.
//! See this crate's README for the partner API.
//!
//! The host signs in with the tenant's client id and secret (OAuth2 client
//! credentials, declared in `connector.toml`); this code never sees either.

use std::collections::{BTreeMap, BTreeSet};

use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;
use serde::Deserialize;
use serde_json::json;

struct Mirror;

#[derive(Deserialize)]
struct Person {
    id: String,
    first_name: String,
    last_name: String,
}

#[derive(Deserialize)]
struct People {
    #[serde(default)]
    people: Vec<Person>,
}

#[derive(Deserialize)]
struct AbsenceType {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Types {
    #[serde(default)]
    types: Vec<AbsenceType>,
}

fn base() -> Result<String, Error> {
    Ok(config::require("planner-url")?
        .trim_end_matches('/')
        .to_string())
}

/// `"Vacation=Verlof; Sick leave=Ziekte"`: our type name to the tool's.
fn parse_type_names(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut map = BTreeMap::new();
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((ours, theirs)) = pair.split_once('=') else {
            return Err(format!(
                "{pair:?} has no \"=\": write pairs like Vacation=Verlof, separated by ;"
            ));
        };
        let (ours, theirs) = (ours.trim(), theirs.trim());
        if ours.is_empty() || theirs.is_empty() {
            return Err(format!("{pair:?} needs a name on both sides of \"=\""));
        }
        if map.insert(ours.to_string(), theirs.to_string()).is_some() {
            return Err(format!("{ours:?} is mapped twice"));
        }
    }
    Ok(map)
}

/// Whom a name stands for in the tool.
enum Match {
    One(String),
    None,
    Several(usize),
}

/// What happened to the absence in HR.
#[derive(Clone, Copy, PartialEq)]
enum Change {
    Created,
    Updated,
    Cancelled,
    /// Sent again by a sync.
    Synced,
}

/// The planning tool, with what one run learned about it.
struct Planner {
    base: String,
    types: Vec<AbsenceType>,
    type_names: BTreeMap<String, String>,
    people: BTreeMap<(String, String), Match>,
    names: BTreeMap<String, Option<(String, String)>>,
}

/// Why an absence could not be sent, when the whole run should stop (or,
/// for an event, be tried again): the tool is down or keeps throttling.
fn stops_the_run(status: u16) -> bool {
    status == 429 || status >= 500
}

impl Planner {
    fn connect() -> Result<Planner, Error> {
        let base = base()?;
        let type_names = parse_type_names(&config::get("type-names").unwrap_or_default())
            .map_err(|e| Error::config("type-names", e))?;
        let types = || {
            http::get(&format!("{base}/api/v1/absence-types"))
                .retrying()
                .send()
        };
        let mut res = types()?;
        if res.status == 401 {
            // The host dropped the refused token; it signs in again.
            res = types()?;
        }
        if !res.is_success() {
            let message = if stops_the_run(res.status) {
                "the planning tool is unavailable"
            } else {
                "the planning tool refused the list of absence types"
            };
            return Err(Error::partner(res.status, message, &res.body));
        }
        let types: Types = res.json()?;
        Ok(Planner {
            base,
            types: types.types,
            type_names,
            people: BTreeMap::new(),
            names: BTreeMap::new(),
        })
    }

    /// First and last name of an employee, once per run.
    fn name(&mut self, employee_id: &str) -> Result<Option<(String, String)>, Error> {
        if let Some(known) = self.names.get(employee_id) {
            return Ok(known.clone());
        }
        let name = match hr::employee(employee_id) {
            Ok(e) => e.basic.map(|b| (b.first_name, b.last_name)),
            Err(HostError::NotFound(_)) => None,
            Err(e) => return Err(Error::Host(e)),
        };
        self.names.insert(employee_id.to_string(), name.clone());
        Ok(name)
    }

    /// The tool's person with exactly this first and last name, capitals
    /// included. The tool's search is looser; the comparison here is not.
    fn person(&mut self, first: &str, last: &str) -> Result<&Match, Error> {
        let key = (first.to_string(), last.to_string());
        if !self.people.contains_key(&key) {
            let res = http::get(&format!(
                "{}/api/v1/people?last_name={}",
                self.base,
                http::encode(last)
            ))
            .retrying()
            .send()?;
            if !res.is_success() {
                return Err(Error::partner(
                    res.status,
                    "the planning tool refused the people search",
                    &res.body,
                ));
            }
            let people: People = res.json()?;
            let exact: Vec<Person> = people
                .people
                .into_iter()
                .filter(|p| p.first_name == first && p.last_name == last)
                .collect();
            let found = match exact.len() {
                0 => Match::None,
                1 => Match::One(exact[0].id.clone()),
                n => Match::Several(n),
            };
            self.people.insert(key.clone(), found);
        }
        Ok(&self.people[&key])
    }

    /// The tool's type for one of ours: by the mapped name, else our own.
    fn type_id(&self, ours: &str) -> Result<&str, String> {
        let theirs = self
            .type_names
            .get(ours)
            .map(String::as_str)
            .unwrap_or(ours);
        self.types
            .iter()
            .find(|t| t.name == theirs)
            .map(|t| t.id.as_str())
            .ok_or_else(|| {
                format!(
                    "the planning tool has no absence type named {theirs:?}; create it there, or map {ours:?} to one of its types under Absence type names"
                )
            })
    }

    /// Mirrors one absence and reports its row. An error stops the run.
    fn mirror(
        &mut self,
        absence: &Absence,
        change: Change,
        rows: &mut Outcomes,
    ) -> Result<(), Error> {
        let who = absence.employee_id.as_str();
        let what = format!(
            "absence {} ({}, {} to {})",
            absence.id, absence.type_name, absence.start_date, absence.end_date
        );
        if absence.status != AbsenceStatus::Approved {
            if absence.status == AbsenceStatus::Pending && change == Change::Created {
                return rows.push(Outcome::skipped(
                    who,
                    Operation::Skip,
                    &format!("{what} is pending approval; it is mirrored once approved"),
                ));
            }
            return self.remove(absence, &what, rows);
        }
        let Some((first, last)) = self.name(who)? else {
            return rows.push(Outcome::skipped(
                who,
                Operation::Skip,
                &format!("{what}: the employee is not visible to this integration"),
            ));
        };
        let person = match self.person(&first, &last)? {
            Match::One(id) => id.clone(),
            Match::None => {
                return rows.push(Outcome::skipped(
                    who,
                    Operation::Skip,
                    &format!(
                        "{what} not mirrored: the planning tool has no person named \"{first} {last}\"; first and last name must match exactly, capitals included"
                    ),
                ));
            }
            Match::Several(n) => {
                return rows.push(Outcome::skipped(
                    who,
                    Operation::Skip,
                    &format!(
                        "{what} not mirrored: the planning tool has {n} people named \"{first} {last}\" and cannot tell them apart"
                    ),
                ));
            }
        };
        let operation = if change == Change::Created {
            Operation::Create
        } else {
            Operation::Update
        };
        let type_id = match self.type_id(&absence.type_name) {
            Ok(id) => id.to_string(),
            Err(why) => {
                return rows.push(Outcome::failed(who, operation, &format!("{what}: {why}")));
            }
        };
        let res = http::put(&format!(
            "{}/api/v1/absences/{}",
            self.base,
            http::encode(&absence.id)
        ))
        .json(&json!({
            "person_id": person,
            "type_id": type_id,
            "start_date": absence.start_date,
            "end_date": absence.end_date,
            "half_day_start": absence.half_day_start,
            "half_day_end": absence.half_day_end,
        }))?
        .retrying()
        .send()?;
        if res.is_success() {
            // The tool says whether the absence was new to it.
            let operation = if res.status == 201 {
                Operation::Create
            } else {
                Operation::Update
            };
            let verb = if res.status == 201 {
                "entered"
            } else {
                "updated"
            };
            return rows.push(
                Outcome::success(who, operation, &format!("{what} {verb}"))
                    .with_partner(res.status, b""),
            );
        }
        if stops_the_run(res.status) {
            return Err(throttled_or_down(&res, &what));
        }
        rows.push(
            Outcome::failed(
                who,
                operation,
                &format!("{what}: the planning tool refused it"),
            )
            .with_partner(res.status, &res.body),
        )
    }

    /// Takes a cancelled (or no longer approved) absence out of the tool.
    fn remove(&mut self, absence: &Absence, what: &str, rows: &mut Outcomes) -> Result<(), Error> {
        let who = absence.employee_id.as_str();
        let res = http::delete(&format!(
            "{}/api/v1/absences/{}",
            self.base,
            http::encode(&absence.id)
        ))
        .retrying()
        .send()?;
        let state = if absence.status == AbsenceStatus::Cancelled {
            "cancelled"
        } else {
            "no longer approved"
        };
        match res.status {
            200..=299 => rows.push(
                Outcome::success(who, Operation::Update, &format!("{what} {state}: removed"))
                    .with_partner(res.status, b""),
            ),
            // Never mirrored, or removed in the tool already.
            404 => rows.push(Outcome::skipped(
                who,
                Operation::Skip,
                &format!("{what} {state}: not in the planning tool"),
            )),
            s if stops_the_run(s) => Err(throttled_or_down(&res, what)),
            _ => rows.push(
                Outcome::failed(
                    who,
                    Operation::Update,
                    &format!("{what} {state}: the planning tool refused to remove it"),
                )
                .with_partner(res.status, &res.body),
            ),
        }
    }
}

fn throttled_or_down(res: &http::Response, what: &str) -> Error {
    let message = if res.is_throttled() && res.status == 429 {
        format!(
            "the planning tool kept asking to slow down (429 after {} retries); {what} is sent again by the nightly sync",
            res.retries
        )
    } else {
        format!(
            "the planning tool is unavailable ({}); {what} is sent again by the nightly sync",
            res.status
        )
    };
    Error::partner(res.status, message, &res.body)
}

impl Connector for Mirror {
    fn validate_config(config: &[(String, String)]) -> Result<(), Vec<FieldError>> {
        let value = |key: &str| {
            config
                .iter()
                .find(|(k, _)| k == key)
                .map_or("", |(_, v)| v.trim())
        };
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: String| {
            problems.push(FieldError {
                field: field.into(),
                message,
            })
        };
        if value("planner-url").is_empty() {
            problem(
                "planner-url",
                "give your planning tool's address, e.g. https://acme.planning.example".into(),
            );
        }
        if value("client-id").is_empty() {
            problem(
                "client-id",
                "give the client ID of the app registered for Lockgate in the planning tool".into(),
            );
        }
        if let Err(message) = parse_type_names(value("type-names")) {
            problem("type-names", message);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn check_connection() -> Result<(), Error> {
        Planner::connect().map(|_| ())
    }

    fn sync(_trigger: Trigger) -> Result<(), Error> {
        let mut planner = Planner::connect()?;
        let started = dates::now();
        let today = dates::today();
        let wide = |days| dates::add_days(&today, days).unwrap_or_else(|| today.clone());
        let mut query = AbsenceQuery::between(&wide(-3660), &wide(3660));
        let cursor = state::Cursor::load();
        match &cursor.since {
            // Since the last sync: every change, cancellations included.
            Some(since) => query.updated_since = Some(since.clone()),
            // The first sync: what is approved now.
            None => query.statuses = vec![AbsenceStatus::Approved],
        }
        let mut rows = Outcomes::new();
        let mut sent = BTreeSet::new();
        for absence in hr::absences(query) {
            // A stop leaves the cursor where it was: the next sync sends
            // these again, and the tool takes a repeat as an update.
            let absence = absence?;
            sent.insert(absence.id.clone());
            planner.mirror(&absence, Change::Synced, &mut rows)?;
        }
        // Employees the tool rejected last time: their absences again,
        // changed or not.
        for employee in &cursor.retry {
            let query = AbsenceQuery {
                employee_id: Some(employee.clone()),
                ..AbsenceQuery::between(&wide(-3660), &wide(3660))
            };
            for absence in hr::absences(query) {
                let absence = absence?;
                if sent.insert(absence.id.clone()) {
                    planner.mirror(&absence, Change::Synced, &mut rows)?;
                }
            }
        }
        let rejected = rows.finish_failed()?;
        state::Cursor::advance(&started, rejected)
    }

    fn on_event(event: Event) -> Result<(), Error> {
        let (id, change) = match event {
            Event::AbsenceCreated(id) => (id, Change::Created),
            Event::AbsenceUpdated(id) => (id, Change::Updated),
            Event::AbsenceCancelled(id) => (id, Change::Cancelled),
            _ => return Ok(()),
        };
        let absence = match hr::absence(&id) {
            Ok(a) => a,
            // No longer visible to this install: nothing to mirror.
            Err(HostError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(Error::Host(e)),
        };
        let mut planner = Planner::connect().map_err(|e| match e {
            Error::Partner {
                status,
                message,
                body,
            } if stops_the_run(status) => Error::Partner {
                status,
                message: format!("{message}; absence {id} is sent again by the nightly sync"),
                body,
            },
            other => other,
        })?;
        let mut rows = Outcomes::new();
        planner.mirror(&absence, change, &mut rows)?;
        rows.finish()
    }
}

lockgate_sdk::export_connector!(Mirror);
