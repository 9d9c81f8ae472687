//! Run a connector in its own unit tests, on the build machine, against a
//! stand-in for the host (feature `testing`, native targets only).
//!
//! A [`TestHost`] holds what the real host would give the install (HR
//! data, config, the saved state, answers to HTTP requests) and records
//! what the connector does (outcome rows, log lines, requests sent,
//! records created). Its calls ([`TestHost::sync`],
//! [`TestHost::validate_config`], …) run the connector in-process, with
//! every SDK function going to this host; state persists from one call to
//! the next as it does between runs. In `Cargo.toml`:
//!
//! ```toml
//! [dev-dependencies]
//! lockgate-sdk = { version = "0.1", features = ["testing"] } # the same source as [dependencies]
//! ```
//!
//! ```
//! use lockgate_sdk::prelude::*;
//! use lockgate_sdk::testing::{TestHost, employee, reply_json};
//!
//! struct Hello;
//!
//! impl Connector for Hello {
//!     fn sync(_trigger: Trigger) -> Result<(), Error> {
//!         let base = config::require_string("partner-url")?;
//!         let mut rows = Outcomes::new();
//!         for employee in hr::employees(EmployeeQuery::default()) {
//!             let employee = employee?;
//!             let res = http::post(&format!("{base}/people"))
//!                 .json(&serde_json::json!({ "id": employee.id }))?
//!                 .send()?;
//!             rows.push(if res.is_success() {
//!                 Outcome::success(&employee.id, Operation::Update, "sent")
//!             } else {
//!                 Outcome::failed(&employee.id, Operation::Update, "rejected")
//!                     .with_partner(res.status, &res.body)
//!             })?;
//!         }
//!         rows.finish()
//!     }
//! }
//!
//! let host = TestHost::new();
//! host.config("partner-url", "https://api.partner.example")
//!     .employees([employee("e-1", "Ada", "Lovelace"), employee("e-2", "Alan", "Turing")])
//!     .on_http(|request| {
//!         let id = request.json::<serde_json::Value>().unwrap()["id"].clone();
//!         reply_json(if id == "e-2" { 422 } else { 201 }, &serde_json::json!({}))
//!     });
//! host.sync::<Hello>(Trigger::Manual).unwrap();
//!
//! let statuses: Vec<_> = host.outcomes().iter().map(|o| o.status).collect();
//! assert_eq!(statuses, [OutcomeStatus::Success, OutcomeStatus::Failed]);
//! assert_eq!(host.requests()[0].path, "/people");
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::attendances::{Attendance, AttendanceStatus};
use crate::hr::{
    Absence, AbsenceStatus, BasicAttributes, Departure, DepartureReason, Employee,
    EmploymentStatus, NewEmployee,
};
use crate::http::{HttpError, Response};
use crate::log::Level;
use crate::outcomes::Outcome;
use crate::recruiting::NewApplication;
use crate::{Connector, Error, Event, FieldError, Trigger, WebhookRequest, WebhookResponse};

pub(crate) mod stand_in;

use stand_in::World;

/// The instant records made by the helpers below were last changed, unless
/// a test says otherwise.
pub const UPDATED_AT: &str = "2026-01-01T00:00:00Z";

/// A stand-in for the host: what the install may see and what the
/// connector did. Cheap to make; one per test.
#[derive(Default)]
pub struct TestHost {
    world: Rc<RefCell<World>>,
}

/// A request the connector sent, as the test's handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRequest {
    /// `GET`, `POST`, …
    pub method: String,
    pub url: String,
    /// The host name, without a port.
    pub host: String,
    /// The path with the query, `/` at least.
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SentRequest {
    /// The first header of that name, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// One line of the run log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub level: Level,
    pub message: String,
}

/// What a test's HTTP handler may return: a [`Response`], or an
/// [`HttpError`] for a request that got none (a timeout, say).
pub trait Reply {
    fn into_reply(self) -> Result<Response, HttpError>;
}

impl Reply for Response {
    fn into_reply(self) -> Result<Response, HttpError> {
        Ok(self)
    }
}

impl Reply for Result<Response, HttpError> {
    fn into_reply(self) -> Result<Response, HttpError> {
        self
    }
}

impl TestHost {
    pub fn new() -> Self {
        Self::default()
    }

    // What the install is given.

    /// Sets a non-secret config field (secret ones never reach a connector).
    pub fn config(&self, key: &str, value: &str) -> &Self {
        self.world
            .borrow_mut()
            .config
            .insert(key.to_string(), value.to_string());
        self
    }

    /// Adds employees, or replaces those with the same id. Queries return
    /// them by id.
    pub fn employees(&self, employees: impl IntoIterator<Item = Employee>) -> &Self {
        let mut world = self.world.borrow_mut();
        for e in employees {
            world.employees.insert(e.id.clone(), e);
        }
        drop(world);
        self
    }

    /// Removes an employee: no longer visible, as after a termination.
    /// Add a [`departure`] too if the connector reads departures.
    pub fn remove_employee(&self, id: &str) -> &Self {
        self.world.borrow_mut().employees.remove(id);
        self
    }

    /// Adds absences, or replaces those with the same id.
    pub fn absences(&self, absences: impl IntoIterator<Item = Absence>) -> &Self {
        let mut world = self.world.borrow_mut();
        for a in absences {
            world.absences.insert(a.id.clone(), a);
        }
        drop(world);
        self
    }

    pub fn departures(&self, departures: impl IntoIterator<Item = Departure>) -> &Self {
        self.world.borrow_mut().departures.extend(departures);
        self
    }

    /// Adds attendance periods, or replaces those with the same id.
    pub fn attendances(&self, periods: impl IntoIterator<Item = Attendance>) -> &Self {
        let mut world = self.world.borrow_mut();
        for a in periods {
            world.attendances.insert(a.id.clone(), a);
        }
        drop(world);
        self
    }

    /// Pages hold at most `size` records (the real host: 500), so a test
    /// with a few records still walks several pages.
    pub fn page_size(&self, size: u32) -> &Self {
        self.world.borrow_mut().page_size = size.max(1);
        self
    }

    /// The state a previous run saved.
    pub fn set_state(&self, value: &str) -> &Self {
        self.world.borrow_mut().saved = Some(value.to_string());
        self
    }

    /// Fixes the current instant ([`crate::dates::now`] and
    /// [`crate::dates::today`]), RFC 3339 in UTC.
    ///
    /// # Panics
    /// If `instant` is not one (`2026-11-23T08:00:00Z`).
    pub fn clock(&self, instant: &str) -> &Self {
        let parsed = crate::dates::parse_instant(instant).unwrap_or_else(|| {
            panic!("TestHost::clock: {instant:?} is not an RFC 3339 instant in UTC like 2026-11-23T08:00:00Z")
        });
        self.world.borrow_mut().now = Some(parsed);
        self
    }

    /// Answers the connector's HTTP requests. The handler sees each
    /// [`SentRequest`] and returns a [`Response`] (see [`reply`],
    /// [`reply_json`]) or an [`HttpError`]. Without one, a request fails
    /// as a connection error naming it.
    pub fn on_http<R: Reply>(&self, mut handler: impl FnMut(&SentRequest) -> R + 'static) -> &Self {
        self.world.borrow_mut().handler = Some(Rc::new(RefCell::new(move |r: &SentRequest| {
            handler(r).into_reply()
        })));
        self
    }

    /// Refuses requests to `host` (a host name, with or without a port) as
    /// the real host refuses a host the install was not granted:
    /// [`HttpError::Denied`].
    pub fn deny(&self, host: &str) -> &Self {
        let host = host
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/');
        self.world.borrow_mut().denied.insert(host.to_string());
        self
    }

    // The connector's entry points, run against this host.

    /// One sync run. State it sets is kept when it returns `Ok`, as the
    /// host commits it; checkpoints are kept either way.
    pub fn sync<C: Connector>(&self, trigger: Trigger) -> Result<(), Error> {
        self.call(|| C::sync(trigger))
    }

    /// The connector's check of the configuration given with
    /// [`TestHost::config`].
    pub fn validate_config<C: Connector>(&self) -> Result<(), Vec<FieldError>> {
        let entries = self
            .world
            .borrow()
            .config
            .clone()
            .into_iter()
            .collect::<Vec<_>>();
        let _installed = stand_in::install(&self.world);
        C::validate_config(&entries)
    }

    pub fn check_connection<C: Connector>(&self) -> Result<(), Error> {
        self.call(C::check_connection)
    }

    pub fn on_event<C: Connector>(&self, event: Event) -> Result<(), Error> {
        self.call(|| C::on_event(event))
    }

    pub fn handle_webhook<C: Connector>(&self, request: WebhookRequest) -> WebhookResponse {
        self.call(|| Ok::<_, Error>(C::handle_webhook(request)))
            .unwrap_or_else(|_| unreachable!("a webhook call cannot fail"))
    }

    /// Runs any code against this host, say a helper of the connector.
    /// State it sets is kept.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        self.call(|| Ok::<_, Error>(f()))
            .unwrap_or_else(|_| unreachable!("the closure's result is passed through"))
    }

    fn call<T>(&self, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        self.world.borrow_mut().staged = None;
        let result = {
            let _installed = stand_in::install(&self.world);
            f()
        };
        let mut world = self.world.borrow_mut();
        let staged = world.staged.take();
        if result.is_ok() && staged.is_some() {
            world.saved = staged;
        }
        result
    }

    // What the connector did.

    /// Every outcome row reported so far, in order.
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.world.borrow().outcomes.clone()
    }

    pub fn log(&self) -> Vec<LogLine> {
        self.world.borrow().log.clone()
    }

    /// Every request that reached the handler (not the denied ones).
    pub fn requests(&self) -> Vec<SentRequest> {
        self.world.borrow().requests.clone()
    }

    /// The state the next run would start from.
    pub fn state(&self) -> Option<String> {
        self.world.borrow().saved.clone()
    }

    /// [`TestHost::state`] as JSON; `None` without state.
    ///
    /// # Panics
    /// If the state does not parse as `T`.
    pub fn state_as<T: DeserializeOwned>(&self) -> Option<T> {
        self.state().map(|s| {
            serde_json::from_str(&s)
                .unwrap_or_else(|e| panic!("the state {s:?} does not parse: {e}"))
        })
    }

    /// Employees the connector created, with the ids the host gave them.
    pub fn created_employees(&self) -> Vec<(NewEmployee, String)> {
        let world = self.world.borrow();
        world
            .created
            .iter()
            .map(|(_, e, id)| (e.clone(), id.clone()))
            .collect()
    }

    /// Applications the connector created, with their ids.
    pub fn applications(&self) -> Vec<(NewApplication, String)> {
        let world = self.world.borrow();
        world
            .applications
            .iter()
            .map(|(_, a, id)| (a.clone(), id.clone()))
            .collect()
    }

    /// Every attendance period the host holds: those given, and those the
    /// connector wrote (with their external id).
    pub fn periods(&self) -> Vec<Attendance> {
        self.world.borrow().attendances.values().cloned().collect()
    }

    /// How long the connector waited (retrying a throttled request): the
    /// stand-in does not wait, it counts.
    pub fn slept(&self) -> Duration {
        self.world.borrow().slept
    }

    /// Forgets the rows, log lines and requests recorded so far (not the
    /// state), so the next run's can be looked at alone.
    pub fn clear_records(&self) -> &Self {
        let mut world = self.world.borrow_mut();
        world.outcomes.clear();
        world.log.clear();
        world.requests.clear();
        drop(world);
        self
    }
}

/// An active employee with a name and nothing else granted; change fields
/// with the `with_*` methods or struct update syntax.
pub fn employee(id: &str, first_name: &str, last_name: &str) -> Employee {
    Employee {
        id: id.to_string(),
        updated_at: UPDATED_AT.to_string(),
        basic: Some(BasicAttributes {
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            preferred_name: None,
            department: None,
            position: None,
            status: EmploymentStatus::Active,
        }),
        contact: None,
        employment: None,
        compensation: None,
    }
}

impl Employee {
    /// The employee in `department` (which needs the basic group).
    pub fn with_department(mut self, department: &str) -> Self {
        if let Some(basic) = self.basic.as_mut() {
            basic.department = Some(department.to_string());
        }
        self
    }

    pub fn with_updated_at(mut self, instant: &str) -> Self {
        self.updated_at = instant.to_string();
        self
    }
}

/// An approved whole-day absence from `start` to `end` (`YYYY-MM-DD`).
pub fn absence(id: &str, employee_id: &str, type_name: &str, start: &str, end: &str) -> Absence {
    Absence {
        id: id.to_string(),
        employee_id: employee_id.to_string(),
        type_name: type_name.to_string(),
        start_date: start.to_string(),
        end_date: end.to_string(),
        half_day_start: false,
        half_day_end: false,
        status: AbsenceStatus::Approved,
        updated_at: UPDATED_AT.to_string(),
    }
}

impl Absence {
    pub fn with_status(mut self, status: AbsenceStatus) -> Self {
        self.status = status;
        self
    }

    pub fn with_updated_at(mut self, instant: &str) -> Self {
        self.updated_at = instant.to_string();
        self
    }
}

/// An employee who stopped being visible at `left_at`.
pub fn departure(employee_id: &str, left_at: &str, reason: DepartureReason) -> Departure {
    Departure {
        employee_id: employee_id.to_string(),
        left_at: left_at.to_string(),
        reason,
    }
}

/// A confirmed period worked on `date` from `start` to `end` (`HH:MM`).
pub fn attendance(id: &str, employee_id: &str, date: &str, start: &str, end: &str) -> Attendance {
    let minutes = |t: &str| {
        t.split_once(':')
            .and_then(|(h, m)| Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?))
            .unwrap_or(0)
    };
    let (from, to) = (minutes(start), minutes(end));
    Attendance {
        id: id.to_string(),
        external_id: None,
        employee_id: employee_id.to_string(),
        date: date.to_string(),
        start_time: Some(start.to_string()),
        end_time: Some(end.to_string()),
        duration_minutes: if to > from {
            to - from
        } else {
            to + 1440 - from
        },
        break_minutes: 0,
        project: None,
        comment: None,
        status: AttendanceStatus::Confirmed,
        updated_at: UPDATED_AT.to_string(),
    }
}

/// An inbound call from the partner.
pub fn webhook(method: &str, path: &str, body: impl Into<Vec<u8>>) -> WebhookRequest {
    WebhookRequest {
        method: method.to_string(),
        path: path.to_string(),
        headers: Vec::new(),
        body: body.into(),
        received_at: UPDATED_AT.to_string(),
    }
}

/// A response with a status and a body.
pub fn reply(status: u16, body: impl Into<Vec<u8>>) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: body.into(),
        retries: 0,
    }
}

/// A JSON response with its content type.
///
/// # Panics
/// If `value` does not serialise.
pub fn reply_json<T: Serialize + ?Sized>(status: u16, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|e| panic!("reply_json: {e}"));
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
        retries: 0,
    }
}

impl Response {
    /// The response with one more header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }
}
