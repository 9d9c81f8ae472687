//! The host as a connector's unit test sees it: one [`World`] per
//! [`super::TestHost`], made current on the thread for the length of a
//! call, and one module per contract interface whose functions have the
//! signatures of the generated imports (see `crate::imports`).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use super::{LogLine, SentRequest};
use crate::HostError;
use crate::attendances::Attendance;
use crate::hr::{Absence, Departure, Employee, NewEmployee};
use crate::http::{HttpError, Response};
use crate::outcomes::Outcome;
use crate::recruiting::NewApplication;

/// What answers a request the connector sends.
pub(crate) type Handler = Rc<RefCell<dyn FnMut(&SentRequest) -> Result<Response, HttpError>>>;

/// The largest page the host returns, as the real host caps it.
const MAX_PAGE: u32 = 500;
/// The largest state value, as the real host allows.
const MAX_STATE_BYTES: usize = 64 << 10;

/// Everything the stand-in host knows and records.
pub(crate) struct World {
    pub config: BTreeMap<String, String>,
    pub employees: BTreeMap<String, Employee>,
    pub absences: BTreeMap<String, Absence>,
    pub departures: Vec<Departure>,
    /// Periods by the host's id, and the external ids of those a
    /// connector wrote.
    pub attendances: BTreeMap<String, Attendance>,
    pub page_size: u32,
    /// What the last call that did not fail saved (and checkpoints).
    pub saved: Option<String>,
    /// What the current call set.
    pub staged: Option<String>,
    pub outcomes: Vec<Outcome>,
    pub log: Vec<LogLine>,
    pub requests: Vec<SentRequest>,
    pub handler: Option<Handler>,
    pub denied: BTreeSet<String>,
    /// Employees created: idempotency key, the record, the id given.
    pub created: Vec<(String, NewEmployee, String)>,
    /// Applications created: idempotency key, the application, the id given.
    pub applications: Vec<(String, NewApplication, String)>,
    pub now: Option<(i64, u32)>,
    pub slept: Duration,
}

impl Default for World {
    fn default() -> Self {
        World {
            config: BTreeMap::new(),
            employees: BTreeMap::new(),
            absences: BTreeMap::new(),
            departures: Vec::new(),
            attendances: BTreeMap::new(),
            page_size: MAX_PAGE,
            saved: None,
            staged: None,
            outcomes: Vec::new(),
            log: Vec::new(),
            requests: Vec::new(),
            handler: None,
            denied: BTreeSet::new(),
            created: Vec::new(),
            applications: Vec::new(),
            now: None,
            slept: Duration::ZERO,
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<World>>>> = const { RefCell::new(None) };
}

/// Makes `world` the thread's host until the guard drops (also when the
/// connector panics), then puts back the one before.
pub(crate) struct Installed {
    previous: Option<Rc<RefCell<World>>>,
}

pub(crate) fn install(world: &Rc<RefCell<World>>) -> Installed {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(Rc::clone(world)));
    Installed { previous }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

fn with<T>(f: impl FnOnce(&mut World) -> T) -> T {
    let world = CURRENT.with(|c| c.borrow().clone()).unwrap_or_else(|| {
        panic!(
            "lockgate_sdk::testing: no test host on this thread. Call the connector \
             through a TestHost (host.sync::<MyConnector>(Trigger::Manual), \
             host.run(|| ...)), not directly"
        )
    });
    let mut world = world.borrow_mut();
    f(&mut world)
}

/// The instant a test set, if it set one and a host is current.
pub(crate) fn clock() -> Option<(i64, u32)> {
    CURRENT
        .with(|c| c.borrow().clone())
        .and_then(|w| w.borrow().now)
}

/// One page of `items` (already filtered and in order) from `cursor`.
fn page<T: Clone>(
    items: Vec<T>,
    cursor: Option<&str>,
    limit: u32,
    page_size: u32,
) -> Result<(Vec<T>, Option<String>), HostError> {
    let start = match cursor {
        None => 0,
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|&n| n <= items.len())
            .ok_or_else(|| {
                HostError::InvalidArgument(format!("cursor {c:?} is not one this host gave"))
            })?,
    };
    let size = limit.clamp(1, MAX_PAGE).min(page_size.max(1)) as usize;
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| end.to_string());
    Ok((items[start..end].to_vec(), next))
}

pub(crate) mod config {
    pub fn get(key: &str) -> Option<String> {
        super::with(|w| w.config.get(key).cloned())
    }

    pub fn get_all() -> Vec<(String, String)> {
        super::with(|w| {
            w.config
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
    }
}

pub(crate) mod state {
    use super::{HostError, MAX_STATE_BYTES};

    fn check_size(value: &str) -> Result<(), HostError> {
        if value.len() > MAX_STATE_BYTES {
            return Err(HostError::LimitExceeded(format!(
                "state is {} bytes; at most {MAX_STATE_BYTES}",
                value.len()
            )));
        }
        Ok(())
    }

    pub fn get() -> Option<String> {
        super::with(|w| w.staged.clone().or_else(|| w.saved.clone()))
    }

    pub fn set(value: &str) -> Result<(), HostError> {
        check_size(value)?;
        super::with(|w| w.staged = Some(value.to_string()));
        Ok(())
    }

    pub fn checkpoint(value: &str) -> Result<(), HostError> {
        check_size(value)?;
        super::with(|w| {
            w.saved = Some(value.to_string());
            w.staged = Some(value.to_string());
        });
        Ok(())
    }
}

pub(crate) mod log {
    use crate::log::Level;
    use crate::testing::LogLine;

    pub fn log(level: Level, message: &str) {
        super::with(|w| {
            w.log.push(LogLine {
                level,
                message: message.to_string(),
            })
        });
    }
}

pub(crate) mod outcomes {
    use super::HostError;
    use crate::outcomes::Outcome;

    pub fn report(outcome: &Outcome) -> Result<(), HostError> {
        super::with(|w| w.outcomes.push(outcome.clone()));
        Ok(())
    }

    pub fn report_batch(outcomes: &[Outcome]) -> Result<(), HostError> {
        super::with(|w| w.outcomes.extend_from_slice(outcomes));
        Ok(())
    }
}

pub(crate) mod hr {
    use super::{HostError, page, with};
    use crate::bindings::contract::hr::{AbsencePage, DeparturePage, EmployeePage};
    use crate::hr::{Absence, AbsenceQuery, DepartureQuery, Employee, EmployeeQuery, NewEmployee};

    pub fn fetch_employees(query: &EmployeeQuery) -> Result<EmployeePage, HostError> {
        with(|w| {
            let matching: Vec<Employee> = w
                .employees
                .values()
                .filter(|e| {
                    let basic = e.basic.as_ref();
                    query
                        .department
                        .as_ref()
                        .is_none_or(|d| basic.and_then(|b| b.department.as_ref()) == Some(d))
                        && query
                            .status
                            .is_none_or(|s| basic.map(|b| b.status) == Some(s))
                        && query
                            .updated_since
                            .as_ref()
                            .is_none_or(|since| e.updated_at >= *since)
                })
                .cloned()
                .collect();
            let (items, next_cursor) =
                page(matching, query.cursor.as_deref(), query.limit, w.page_size)?;
            Ok(EmployeePage { items, next_cursor })
        })
    }

    pub fn get_employee(id: &str) -> Result<Employee, HostError> {
        with(|w| w.employees.get(id).cloned())
            .ok_or_else(|| HostError::NotFound(format!("no visible employee {id}")))
    }

    pub fn fetch_absences(query: &AbsenceQuery) -> Result<AbsencePage, HostError> {
        with(|w| {
            let matching: Vec<Absence> = w
                .absences
                .values()
                .filter(|a| {
                    a.start_date <= query.to
                        && a.end_date >= query.from
                        && query
                            .employee_id
                            .as_ref()
                            .is_none_or(|id| a.employee_id == *id)
                        && query.type_name.as_ref().is_none_or(|t| a.type_name == *t)
                        && (query.statuses.is_empty() || query.statuses.contains(&a.status))
                        && query
                            .updated_since
                            .as_ref()
                            .is_none_or(|since| a.updated_at >= *since)
                })
                .cloned()
                .collect();
            let (items, next_cursor) =
                page(matching, query.cursor.as_deref(), query.limit, w.page_size)?;
            Ok(AbsencePage { items, next_cursor })
        })
    }

    pub fn get_absence(id: &str) -> Result<Absence, HostError> {
        with(|w| w.absences.get(id).cloned())
            .ok_or_else(|| HostError::NotFound(format!("no visible absence {id}")))
    }

    pub fn fetch_departures(query: &DepartureQuery) -> Result<DeparturePage, HostError> {
        with(|w| {
            let mut matching: Vec<_> = w
                .departures
                .iter()
                .filter(|d| d.left_at >= query.since)
                .cloned()
                .collect();
            matching
                .sort_by(|a, b| (&a.left_at, &a.employee_id).cmp(&(&b.left_at, &b.employee_id)));
            let (items, next_cursor) =
                page(matching, query.cursor.as_deref(), query.limit, w.page_size)?;
            Ok(DeparturePage { items, next_cursor })
        })
    }

    pub fn create_employee(
        employee: &NewEmployee,
        idempotency_key: &str,
    ) -> Result<String, HostError> {
        if employee.first_name.trim().is_empty() || employee.last_name.trim().is_empty() {
            return Err(HostError::InvalidArgument(
                "a new employee needs a first and a last name".into(),
            ));
        }
        with(|w| {
            if let Some((_, _, id)) = w.created.iter().find(|(k, _, _)| k == idempotency_key) {
                return Ok(id.clone());
            }
            let id = format!("new-{}", w.created.len() + 1);
            w.created
                .push((idempotency_key.to_string(), employee.clone(), id.clone()));
            Ok(id)
        })
    }
}

pub(crate) mod attendances {
    use super::{HostError, page, with};
    use crate::attendances::{Attendance, AttendanceInput, AttendanceQuery};
    use crate::bindings::contract::attendances::AttendancePage;

    pub fn fetch_attendances(query: &AttendanceQuery) -> Result<AttendancePage, HostError> {
        with(|w| {
            let mut matching: Vec<Attendance> = w
                .attendances
                .values()
                .filter(|a| {
                    a.date >= query.from
                        && a.date <= query.to
                        && query
                            .employee_id
                            .as_ref()
                            .is_none_or(|id| a.employee_id == *id)
                        && query
                            .updated_since
                            .as_ref()
                            .is_none_or(|since| a.updated_at >= *since)
                })
                .cloned()
                .collect();
            matching.sort_by(|a, b| (&a.date, &a.id).cmp(&(&b.date, &b.id)));
            let (items, next_cursor) =
                page(matching, query.cursor.as_deref(), query.limit, w.page_size)?;
            Ok(AttendancePage { items, next_cursor })
        })
    }

    pub fn get_attendance(id: &str) -> Result<Attendance, HostError> {
        with(|w| w.attendances.get(id).cloned())
            .ok_or_else(|| HostError::NotFound(format!("no visible attendance {id}")))
    }

    /// Worked minutes of a period as the host computes them.
    fn duration(period: &AttendanceInput) -> Result<u32, HostError> {
        let minutes = |t: &str| -> Option<u32> {
            let (h, m) = t.split_once(':')?;
            let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        match (
            &period.start_time,
            &period.end_time,
            period.duration_minutes,
        ) {
            (Some(start), Some(end), _) => {
                let bad =
                    || HostError::InvalidArgument(format!("{start}-{end} is not HH:MM-HH:MM"));
                let (start, end) = (
                    minutes(start).ok_or_else(bad)?,
                    minutes(end).ok_or_else(bad)?,
                );
                let span = if end > start {
                    end - start
                } else {
                    end + 24 * 60 - start
                };
                Ok(span.saturating_sub(period.break_minutes))
            }
            (None, None, Some(duration)) => Ok(duration),
            _ => Err(HostError::InvalidArgument(
                "give start and end time, or neither and a duration".into(),
            )),
        }
    }

    fn record(
        id: String,
        external_id: &str,
        period: &AttendanceInput,
    ) -> Result<Attendance, HostError> {
        Ok(Attendance {
            id,
            external_id: Some(external_id.to_string()),
            employee_id: period.employee_id.clone(),
            date: period.date.clone(),
            start_time: period.start_time.clone(),
            end_time: period.end_time.clone(),
            duration_minutes: duration(period)?,
            break_minutes: period.break_minutes,
            project: period.project.clone(),
            comment: period.comment.clone(),
            status: period.status,
            updated_at: super::now_text(),
        })
    }

    fn find(external_id: &str) -> Option<Attendance> {
        with(|w| {
            w.attendances
                .values()
                .find(|a| a.external_id.as_deref() == Some(external_id))
                .cloned()
        })
    }

    pub fn create_attendance(
        external_id: &str,
        period: &AttendanceInput,
    ) -> Result<Attendance, HostError> {
        if let Some(existing) = find(external_id) {
            return Ok(existing);
        }
        let id = with(|w| format!("att-{}", w.attendances.len() + 1));
        let created = record(id.clone(), external_id, period)?;
        with(|w| w.attendances.insert(id, created.clone()));
        Ok(created)
    }

    pub fn update_attendance(
        external_id: &str,
        period: &AttendanceInput,
    ) -> Result<Attendance, HostError> {
        let existing = find(external_id).ok_or_else(|| {
            HostError::NotFound(format!("this connector wrote no attendance {external_id}"))
        })?;
        let updated = record(existing.id.clone(), external_id, period)?;
        with(|w| w.attendances.insert(existing.id, updated.clone()));
        Ok(updated)
    }

    pub fn delete_attendance(external_id: &str) -> Result<bool, HostError> {
        Ok(match find(external_id) {
            Some(existing) => with(|w| w.attendances.remove(&existing.id).is_some()),
            None => false,
        })
    }
}

pub(crate) mod recruiting {
    use super::{HostError, with};
    use crate::recruiting::NewApplication;

    pub fn create_application(
        application: &NewApplication,
        idempotency_key: &str,
    ) -> Result<String, HostError> {
        if application.position.trim().is_empty() {
            return Err(HostError::InvalidArgument(
                "an application names a position".into(),
            ));
        }
        with(|w| {
            if let Some((_, _, id)) = w.applications.iter().find(|(k, _, _)| k == idempotency_key) {
                return Ok(id.clone());
            }
            let id = format!("application-{}", w.applications.len() + 1);
            w.applications
                .push((idempotency_key.to_string(), application.clone(), id.clone()));
            Ok(id)
        })
    }
}

pub(crate) mod http {
    use std::time::Duration;

    use super::{HttpError, Response, SentRequest, with};
    use crate::http::{Request, method_name};

    /// Answers `request` with the test's handler; a denied host is refused
    /// as the real host refuses it.
    pub fn send_once(request: &Request) -> Result<Response, HttpError> {
        let target = request.target()?;
        let host = target
            .authority
            .rsplit_once(':')
            .map_or(target.authority, |(host, _)| host);
        let sent = SentRequest {
            method: method_name(&request.method),
            url: request.url.clone(),
            host: host.to_string(),
            path: target.path.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        if !target.https {
            // As the host does, unless its operator allows a local partner.
            return Err(HttpError::Denied(format!(
                "plain HTTP is not allowed ({}); the host sends https only",
                request.url
            )));
        }
        let handler = with(|w| {
            if w.denied.contains(host) || w.denied.contains(target.authority) {
                return Err(HttpError::Denied("host not granted or not allowed".into()));
            }
            w.requests.push(sent.clone());
            w.handler.clone().ok_or_else(|| {
                HttpError::Connection(format!(
                    "the test host has no answer for {} {}; give one with TestHost::on_http",
                    sent.method, sent.url
                ))
            })
        })?;
        // Outside the borrow: the handler may read the host too.
        let mut handler = handler.borrow_mut();
        (*handler)(&sent)
    }

    /// Waits no time, but counts it: [`crate::testing::TestHost::slept`].
    pub fn sleep(d: Duration) {
        with(|w| w.slept += d);
    }
}

/// The current instant as the host would stamp a record.
fn now_text() -> String {
    crate::dates::now()
}
