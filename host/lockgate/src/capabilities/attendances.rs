//! `lockgate:connector/attendances`: working time under the data rules.
//! Reading needs `attendances.read`, writing `attendances.write`; the store
//! applies the employment window, the inclusion flag and the granted window
//! (see [`crate::store`]'s attendance queries), this unit checks scopes and
//! arguments, records the audit trail and collects the events a write
//! causes, which the run publishes to the tenant's other installs.

use lockgate_manifest::Scope;

use crate::bindings::attendances::{
    Attendance, AttendanceInput, AttendancePage, AttendanceQuery, AttendanceStatus, Host,
};
use crate::bindings::types::HostError;
use crate::capabilities::Invocation;
use crate::capabilities::hr::{MAX_PAGE, canonical_since, check_date, paging_error, unavailable};
use crate::hr::attendance::split_attendance_page;
use crate::hr::{AttendanceFilter, AttendancePeriod, AttendanceRefusal, WriteMode};

/// The longest external id a connector may give a period.
pub const MAX_EXTERNAL_ID_BYTES: usize = 200;

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

/// The period as a connector sees it: the external id only when this
/// connector wrote the period (another connector's ids are its own).
fn to_wit(a: crate::hr::Attendance, connector_id: &str) -> Attendance {
    let own = a.source.as_deref() == Some(connector_id);
    Attendance {
        status: match a.status.as_str() {
            "pending" => AttendanceStatus::Pending,
            _ => AttendanceStatus::Confirmed,
        },
        id: a.id,
        external_id: a.external_id.filter(|_| own),
        employee_id: a.employee_id,
        date: a.date,
        start_time: a.start_time,
        end_time: a.end_time,
        duration_minutes: a.duration_minutes,
        break_minutes: a.break_minutes,
        project: a.project,
        comment: a.comment,
        updated_at: a.updated_at,
    }
}

fn period(input: AttendanceInput) -> AttendancePeriod {
    AttendancePeriod {
        status: match input.status {
            AttendanceStatus::Confirmed => "confirmed",
            AttendanceStatus::Pending => "pending",
        }
        .to_string(),
        employee_id: input.employee_id,
        date: input.date,
        start_time: input.start_time,
        end_time: input.end_time,
        duration_minutes: input.duration_minutes,
        break_minutes: input.break_minutes,
        project: input.project,
        comment: input.comment,
    }
}

fn refusal(r: AttendanceRefusal) -> HostError {
    match r {
        AttendanceRefusal::NotFound(m) => HostError::NotFound(m),
        AttendanceRefusal::Invalid(m) => HostError::InvalidArgument(m),
    }
}

fn check_external_id(id: &str) -> Result<(), HostError> {
    if id.is_empty() || id.len() > MAX_EXTERNAL_ID_BYTES || id.chars().any(char::is_control) {
        return Err(HostError::InvalidArgument(format!(
            "external-id must be 1 to {MAX_EXTERNAL_ID_BYTES} bytes without control characters"
        )));
    }
    Ok(())
}

impl Invocation {
    fn require(&self, scope: Scope, doing: &str) -> Result<(), HostError> {
        if self.visibility.granted(scope) {
            Ok(())
        } else {
            Err(HostError::Denied(format!(
                "{doing} needs the {} scope",
                scope.as_str()
            )))
        }
    }

    async fn attendances(&mut self, query: AttendanceQuery) -> Result<AttendancePage, HostError> {
        self.require(Scope::AttendancesRead, "reading attendances")?;
        let Some((window_from, window_to)) = self.visibility.attendance_range() else {
            return Err(HostError::Denied(
                "reading attendances needs an attendance window in the manifest".into(),
            ));
        };
        check_date("from", &query.from)?;
        check_date("to", &query.to)?;
        let limit = query.limit.clamp(1, MAX_PAGE);
        let from = query.from.max(window_from);
        let to = query.to.min(window_to);
        if from > to {
            return Ok(AttendancePage {
                items: Vec::new(),
                next_cursor: None,
            });
        }
        let filter = AttendanceFilter {
            after: query.cursor,
            limit,
            from: Some(from),
            to: Some(to),
            employee_id: query.employee_id,
            updated_since: canonical_since(query.updated_since)?,
        };
        let rows = self
            .store
            .visible_attendances(&self.visibility, &filter)
            .await
            .map_err(paging_error)?;
        let (rows, next_cursor) = split_attendance_page(rows, limit);
        self.audit.attendances_read += rows.len() as u64;
        let mut ids: Vec<String> = rows.iter().map(|a| a.employee_id.clone()).collect();
        ids.sort();
        ids.dedup();
        self.audit_entry("read", "attendances", ids, vec!["attendances.read".into()]);
        Ok(AttendancePage {
            items: rows
                .into_iter()
                .map(|a| to_wit(a, &self.visibility.connector_id))
                .collect(),
            next_cursor,
        })
    }

    async fn write_attendance(
        &mut self,
        external_id: String,
        input: AttendanceInput,
        mode: WriteMode,
    ) -> Result<Attendance, HostError> {
        self.require(Scope::AttendancesWrite, "writing attendances")?;
        check_external_id(&external_id)?;
        let period = period(input);
        let problems = period.problems();
        if !problems.is_empty() {
            let problems: Vec<String> = problems
                .iter()
                .map(|(field, message)| format!("{}: {message}", field.replace('_', "-")))
                .collect();
            return Err(HostError::InvalidArgument(problems.join("; ")));
        }
        let write = self
            .store
            .connector_write_attendance(&self.visibility, &external_id, &period, mode)
            .await
            .map_err(unavailable)?
            .map_err(refusal)?;
        let event = crate::events::attendance_event(write.before.as_ref(), Some(&write.after));
        self.attendance_written(write.after.employee_id.clone(), event);
        Ok(to_wit(write.after, &self.visibility.connector_id))
    }

    /// Audit and events for a write that went through.
    fn attendance_written(&mut self, employee_id: String, event: Option<crate::events::HrEvent>) {
        self.audit.attendances_written += 1;
        self.audit_entry(
            "write",
            "attendances",
            vec![employee_id],
            vec!["attendances.write".into()],
        );
        if let Some(mut event) = event {
            event.origin = self.install.as_ref().map(|i| i.id.clone());
            self.events.push(event);
        }
    }
}

impl Host for Invocation {
    async fn fetch_attendances(&mut self, query: AttendanceQuery) -> Answer<AttendancePage> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self.attendances(query).await)
    }

    async fn get_attendance(&mut self, id: String) -> Answer<Attendance> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        if let Err(e) = self.require(Scope::AttendancesRead, "reading attendances") {
            return Ok(Err(e));
        }
        let found = match self.store.visible_attendance(&self.visibility, &id).await {
            Ok(found) => found,
            Err(e) => return Ok(Err(unavailable(e))),
        };
        // Outside the window, of a hidden employee, or missing: all alike.
        Ok(match found {
            Some(a) => {
                self.audit.attendances_read += 1;
                self.audit_entry(
                    "read",
                    "attendances",
                    vec![a.employee_id.clone()],
                    vec!["attendances.read".into()],
                );
                Ok(to_wit(a, &self.visibility.connector_id))
            }
            None => Err(HostError::NotFound(format!(
                "no visible attendance {}",
                crate::hr::shape::shown(&id)
            ))),
        })
    }

    async fn create_attendance(
        &mut self,
        external_id: String,
        input: AttendanceInput,
    ) -> Answer<Attendance> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self
            .write_attendance(external_id, input, WriteMode::Create)
            .await)
    }

    async fn update_attendance(
        &mut self,
        external_id: String,
        input: AttendanceInput,
    ) -> Answer<Attendance> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        Ok(self
            .write_attendance(external_id, input, WriteMode::Update)
            .await)
    }

    async fn delete_attendance(&mut self, external_id: String) -> Answer<bool> {
        if let Err(e) = self.refuse_after_fatal() {
            return Ok(Err(e));
        }
        if let Err(e) = self
            .require(Scope::AttendancesWrite, "writing attendances")
            .and_then(|()| check_external_id(&external_id))
        {
            return Ok(Err(e));
        }
        let deleted = match self
            .store
            .connector_delete_attendance(&self.visibility, &external_id)
            .await
        {
            Ok(deleted) => deleted,
            Err(e) => return Ok(Err(unavailable(e))),
        };
        Ok(Ok(match deleted {
            Some(gone) => {
                let event = crate::events::attendance_event(Some(&gone), None);
                self.attendance_written(gone.employee_id, event);
                true
            }
            None => false,
        }))
    }
}
