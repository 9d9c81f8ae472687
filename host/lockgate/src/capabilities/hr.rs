//! `lockgate:connector/hr`: HR reads and writes under the data rules. The
//! store applies the employment window and the inclusion flag in its
//! queries; this unit checks scopes, narrows the absence window and leaves
//! ungranted attribute groups out.

use lockgate_manifest::Scope;

use crate::bindings::hr::{
    self, AbsencePage, AbsenceQuery, AbsenceStatus, BasicAttributes, CompensationAttributes,
    ContactAttributes, Departure, DeparturePage, DepartureQuery, DepartureReason, EmployeePage,
    EmployeeQuery, EmploymentAttributes, EmploymentStatus, Money, NewEmployee,
};
use crate::bindings::types::HostError;
use crate::capabilities::Invocation;
use crate::hr::{AbsenceFilter, Employee, EmployeeFilter, Visibility, split_page};

/// Largest page the host returns.
pub const MAX_PAGE: u32 = 500;

const EMPLOYEE_SCOPES: [Scope; 4] = [
    Scope::EmployeesBasic,
    Scope::EmployeesContact,
    Scope::EmployeesEmployment,
    Scope::EmployeesCompensation,
];

/// A paged read's store error: a cursor this host never handed out is the
/// connector's mistake; anything else is the store's.
pub(crate) fn paging_error(e: crate::store::StoreError) -> HostError {
    match e {
        crate::store::StoreError::Invalid(why) => HostError::InvalidArgument(why),
        e => unavailable(e),
    }
}

/// Field problems as one `invalid-argument`, fields named as the contract
/// spells them (`start-time`).
pub(crate) fn invalid_fields<F: AsRef<str>>(
    problems: impl IntoIterator<Item = (F, String)>,
) -> HostError {
    let problems: Vec<String> = problems
        .into_iter()
        .map(|(field, message)| format!("{}: {message}", field.as_ref().replace('_', "-")))
        .collect();
    HostError::InvalidArgument(problems.join("; "))
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> HostError {
    tracing::error!("HR store: {e}");
    HostError::Unavailable("the HR data store is unavailable; try again later".into())
}

fn page_limit(limit: u32) -> u32 {
    limit.clamp(1, MAX_PAGE)
}

fn status_text(s: EmploymentStatus) -> &'static str {
    match s {
        EmploymentStatus::Active => "active",
        EmploymentStatus::Inactive => "inactive",
    }
}

fn absence_status_text(s: AbsenceStatus) -> &'static str {
    match s {
        AbsenceStatus::Approved => "approved",
        AbsenceStatus::Pending => "pending",
        AbsenceStatus::Cancelled => "cancelled",
    }
}

pub(crate) fn check_date(what: &str, value: &str) -> Result<(), HostError> {
    if lockgate_manifest::manifest::is_date(value) {
        Ok(())
    } else {
        Err(HostError::InvalidArgument(format!(
            "{what} {value:?} is not a date (YYYY-MM-DD)"
        )))
    }
}

pub(crate) fn canonical_since(since: Option<String>) -> Result<Option<String>, HostError> {
    since
        .map(|s| {
            crate::time::canonical_instant(&s).ok_or_else(|| {
                HostError::InvalidArgument(format!(
                    "updated-since {s:?} is not an RFC 3339 instant"
                ))
            })
        })
        .transpose()
}

/// The employee fields an install with these scopes sees, group by group
/// as [`project`] hands them over; none without an employee scope.
pub fn visible_fields(scopes: &[Scope]) -> Vec<&'static str> {
    let mut fields = Vec::new();
    for scope in scopes {
        fields.extend_from_slice(match scope {
            Scope::EmployeesBasic => &[
                "first_name",
                "last_name",
                "preferred_name",
                "department",
                "position",
                "status",
            ][..],
            Scope::EmployeesContact => &["work_email", "personal_email", "phone", "birth_date"][..],
            Scope::EmployeesEmployment => &[
                "hire_date",
                "termination_date",
                "legal_entity",
                "contract_type",
                "weekly_hours",
                "supervisor_id",
                "cost_center",
            ][..],
            Scope::EmployeesCompensation => &["fixed_salary", "hourly_wage"][..],
            _ => &[][..],
        });
    }
    if !fields.is_empty() {
        fields.insert(0, "id");
    }
    fields
}

/// The employee as this install may see them: only granted groups.
pub fn project(e: Employee, vis: &Visibility) -> hr::Employee {
    let money = |minor: Option<i64>| {
        minor.map(|amount_minor| Money {
            amount_minor,
            currency: e.currency.clone().unwrap_or_else(|| "EUR".into()),
        })
    };
    hr::Employee {
        basic: vis.granted(Scope::EmployeesBasic).then(|| BasicAttributes {
            first_name: e.first_name.clone(),
            last_name: e.last_name.clone(),
            preferred_name: e.preferred_name.clone(),
            department: e.department.clone(),
            position: e.position.clone(),
            status: if e.status == "inactive" {
                EmploymentStatus::Inactive
            } else {
                EmploymentStatus::Active
            },
        }),
        contact: vis
            .granted(Scope::EmployeesContact)
            .then(|| ContactAttributes {
                work_email: e.work_email.clone(),
                personal_email: e.personal_email.clone(),
                phone: e.phone.clone(),
                birth_date: e.birth_date.clone(),
            }),
        employment: vis
            .granted(Scope::EmployeesEmployment)
            .then(|| EmploymentAttributes {
                hire_date: e.hire_date.clone(),
                termination_date: e.termination_date.clone(),
                legal_entity: e.legal_entity.clone(),
                contract_type: e.contract_type.clone(),
                weekly_hours: e.weekly_hours,
                supervisor_id: e.supervisor_id.clone(),
                cost_center: e.cost_center.clone(),
            }),
        compensation: vis
            .granted(Scope::EmployeesCompensation)
            .then(|| CompensationAttributes {
                fixed_salary: money(e.salary_minor),
                hourly_wage: money(e.hourly_wage_minor),
            }),
        id: e.id,
        updated_at: e.updated_at,
    }
}

fn to_wit_absence(a: crate::hr::Absence) -> hr::Absence {
    hr::Absence {
        status: match a.status.as_str() {
            "pending" => AbsenceStatus::Pending,
            "cancelled" => AbsenceStatus::Cancelled,
            _ => AbsenceStatus::Approved,
        },
        id: a.id,
        employee_id: a.employee_id,
        type_name: a.type_name,
        start_date: a.start_date,
        end_date: a.end_date,
        half_day_start: a.half_day_start,
        half_day_end: a.half_day_end,
        updated_at: a.updated_at,
    }
}

impl Invocation {
    fn require_employee_scope(&self) -> Result<(), HostError> {
        if EMPLOYEE_SCOPES.iter().any(|s| self.visibility.granted(*s)) {
            Ok(())
        } else {
            Err(HostError::Denied(
                "reading employees needs an employees.* scope".into(),
            ))
        }
    }

    async fn employees(&mut self, query: EmployeeQuery) -> Result<EmployeePage, HostError> {
        self.require_employee_scope()?;
        let limit = page_limit(query.limit);
        let filter = EmployeeFilter {
            after_id: query.cursor,
            limit: limit + 1,
            department: query.department,
            updated_since: canonical_since(query.updated_since)?,
            status: query.status.map(|s| status_text(s).to_string()),
            id: None,
        };
        let rows = self
            .store
            .visible_employees(&self.visibility, &filter)
            .await
            .map_err(unavailable)?;
        let (rows, next_cursor) = split_page(rows, limit, |e| &e.id);
        self.audit.employees_read += rows.len() as u64;
        let groups = self.employee_groups();
        self.audit_entry(
            "read",
            "employees",
            rows.iter().map(|e| e.id.clone()).collect(),
            groups,
        );
        let items = rows
            .into_iter()
            .map(|e| project(e, &self.visibility))
            .collect();
        Ok(EmployeePage { items, next_cursor })
    }

    async fn absences(&mut self, query: AbsenceQuery) -> Result<AbsencePage, HostError> {
        let Some((window_from, window_to)) = self.visibility.absence_range() else {
            return Err(HostError::Denied(
                "reading absences needs the absences.read scope".into(),
            ));
        };
        check_date("from", &query.from)?;
        check_date("to", &query.to)?;
        let limit = page_limit(query.limit);
        // Narrow to the granted window: asking wider returns no more.
        let from = query.from.max(window_from);
        let to = query.to.min(window_to);
        if from > to {
            return Ok(AbsencePage {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let filter = AbsenceFilter {
            id: None,
            after_id: query.cursor,
            limit: limit + 1,
            from,
            to,
            employee_id: query.employee_id,
            type_name: query.type_name,
            statuses: query
                .statuses
                .into_iter()
                .map(|s| absence_status_text(s).to_string())
                .collect(),
            updated_since: canonical_since(query.updated_since)?,
        };
        let rows = self
            .store
            .visible_absences(&self.visibility, &filter)
            .await
            .map_err(unavailable)?;
        let (rows, next_cursor) = split_page(rows, limit, |a| &a.id);
        self.audit.absences_read += rows.len() as u64;
        let mut ids: Vec<String> = rows.iter().map(|a| a.employee_id.clone()).collect();
        ids.sort();
        ids.dedup();
        self.audit_entry("read", "absences", ids, vec!["absences.read".into()]);
        Ok(AbsencePage {
            items: rows.into_iter().map(to_wit_absence).collect(),
            next_cursor,
        })
    }
}

impl Invocation {
    async fn departures(&mut self, query: DepartureQuery) -> Result<DeparturePage, HostError> {
        self.require_employee_scope()?;
        let Some(since) = crate::time::canonical_instant(&query.since) else {
            return Err(HostError::InvalidArgument(format!(
                "since {:?} is not an RFC 3339 instant",
                query.since
            )));
        };
        let limit = page_limit(query.limit);
        // Nothing from before the tenant connected the install.
        let not_before = self
            .install
            .as_ref()
            .map(|i| i.connected_at.clone())
            .filter(|at| !at.is_empty())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
        let rows = self
            .store
            .departures(&self.visibility, &not_before, &since, query.cursor, limit)
            .await
            .map_err(paging_error)?;
        let (rows, next_cursor) =
            crate::hr::split_page_by(rows, limit, crate::hr::Departure::cursor);
        self.audit.departures_read += rows.len() as u64;
        self.audit_entry(
            "read",
            "departures",
            rows.iter().map(|d| d.employee_id.clone()).collect(),
            Vec::new(),
        );
        Ok(DeparturePage {
            items: rows
                .into_iter()
                .map(|d| Departure {
                    employee_id: d.employee_id,
                    left_at: d.left_at,
                    reason: match d.reason {
                        crate::hr::DepartureReason::Terminated => DepartureReason::Terminated,
                        crate::hr::DepartureReason::Excluded => DepartureReason::Excluded,
                        crate::hr::DepartureReason::OutOfScope => DepartureReason::OutOfScope,
                    },
                })
                .collect(),
            next_cursor,
        })
    }
}

impl hr::Host for Invocation {
    async fn fetch_departures(
        &mut self,
        query: DepartureQuery,
    ) -> wasmtime::Result<Result<DeparturePage, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self.departures(query).await)
    }

    async fn fetch_employees(
        &mut self,
        query: EmployeeQuery,
    ) -> wasmtime::Result<Result<EmployeePage, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self.employees(query).await)
    }

    async fn get_employee(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<hr::Employee, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        if let Err(e) = self.require_employee_scope() {
            return Ok(Err(e));
        }
        let filter = EmployeeFilter {
            id: Some(id.clone()),
            limit: 1,
            ..Default::default()
        };
        let found = match self
            .store
            .visible_employees(&self.visibility, &filter)
            .await
        {
            Ok(rows) => rows.into_iter().next(),
            Err(e) => return Ok(Err(unavailable(e))),
        };
        // Invisible and missing look the same: nothing about hidden people leaks.
        Ok(match found {
            Some(e) => {
                self.audit.employees_read += 1;
                let groups = self.employee_groups();
                self.audit_entry("read", "employee", vec![e.id.clone()], groups);
                Ok(project(e, &self.visibility))
            }
            None => Err(HostError::NotFound(format!("no visible employee {id}"))),
        })
    }

    async fn fetch_absences(
        &mut self,
        query: AbsenceQuery,
    ) -> wasmtime::Result<Result<AbsencePage, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self.absences(query).await)
    }

    async fn get_absence(
        &mut self,
        id: String,
    ) -> wasmtime::Result<Result<hr::Absence, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        let Some((from, to)) = self.visibility.absence_range() else {
            return Ok(Err(HostError::Denied(
                "reading absences needs the absences.read scope".into(),
            )));
        };
        let filter = AbsenceFilter {
            id: Some(id.clone()),
            limit: 1,
            from,
            to,
            ..Default::default()
        };
        let found = match self.store.visible_absences(&self.visibility, &filter).await {
            Ok(rows) => rows.into_iter().next(),
            Err(e) => return Ok(Err(unavailable(e))),
        };
        // Outside the window, of a hidden employee, or missing: all alike.
        Ok(match found {
            Some(a) => {
                self.audit.absences_read += 1;
                self.audit_entry(
                    "read",
                    "absences",
                    vec![a.employee_id.clone()],
                    vec!["absences.read".into()],
                );
                Ok(to_wit_absence(a))
            }
            None => Err(HostError::NotFound(format!("no visible absence {id}"))),
        })
    }

    async fn create_employee(
        &mut self,
        employee: NewEmployee,
        idempotency_key: String,
    ) -> wasmtime::Result<Result<String, HostError>> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        if !self.visibility.granted(Scope::EmployeesCreate) {
            return Ok(Err(HostError::Denied(
                "creating employees needs the employees.create scope".into(),
            )));
        }
        if idempotency_key.is_empty() || idempotency_key.len() > 200 {
            return Ok(Err(HostError::InvalidArgument(
                "idempotency-key must be 1 to 200 bytes".into(),
            )));
        }
        // The same shape as the HR data API takes: names required, no
        // control characters, every text capped, identically on every store.
        let employee = new_employee(employee);
        let problems = crate::hr::shape::new_employee_problems(&employee);
        if !problems.is_empty() {
            return Ok(Err(invalid_fields(
                problems.into_iter().map(|p| (p.field, p.message)),
            )));
        }
        let result = self
            .store
            .create_employee(&self.visibility, &employee, &idempotency_key)
            .await
            .map_err(unavailable);
        if let Ok(id) = &result {
            self.audit.employees_created += 1;
            self.audit_entry(
                "write",
                "create-employee",
                vec![id.clone()],
                vec!["employees.create".into()],
            );
        }
        Ok(result)
    }
}

impl crate::bindings::types::Host for Invocation {}

/// What the connector read and wrote in one invocation: counts, and one
/// entry per call naming the employees and the attribute groups.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Audit {
    pub employees_read: u64,
    pub absences_read: u64,
    pub employees_created: u64,
    pub departures_read: u64,
    pub attendances_read: u64,
    pub attendances_written: u64,
    pub applications_created: u64,
    #[serde(skip)]
    pub entries: Vec<AuditEntry>,
}

pub use crate::monitoring::AuditEntry;

/// The contract's new employee as the store takes it.
fn new_employee(e: NewEmployee) -> crate::hr::NewEmployee {
    crate::hr::NewEmployee {
        first_name: e.first_name,
        last_name: e.last_name,
        work_email: e.work_email,
        personal_email: e.personal_email,
        phone: e.phone,
        department: e.department,
        position: e.position,
        legal_entity: e.legal_entity,
        contract_type: e.contract_type,
        start_date: e.start_date,
    }
}

impl Invocation {
    pub(crate) fn audit_entry(
        &mut self,
        action: &'static str,
        what: &'static str,
        ids: Vec<String>,
        groups: Vec<String>,
    ) {
        if ids.is_empty() {
            return;
        }
        self.audit.entries.push(AuditEntry {
            at: crate::time::now_text(),
            action,
            what,
            employee_ids: ids,
            attribute_groups: groups,
        });
    }

    /// The employee attribute groups this invocation was granted.
    fn employee_groups(&self) -> Vec<String> {
        self.visibility
            .scopes
            .iter()
            .filter(|s| {
                matches!(
                    s,
                    Scope::EmployeesBasic
                        | Scope::EmployeesContact
                        | Scope::EmployeesEmployment
                        | Scope::EmployeesCompensation
                )
            })
            .map(|s| s.as_str().to_string())
            .collect()
    }
}
