//! The released contract `lockgate:connector@0.1.0`, served by the current
//! implementation. A 0.1.0 connector calls the same host functions under
//! the same data rules and limits; its records are translated field by
//! field, because each contract version has its own generated types even
//! where the WIT is the same. What 0.2.0 added (attendances, recruiting,
//! departures, checkpoints) a 0.1.0 component cannot import, so nothing
//! here needs a refusal. Events it cannot receive (attendance changes) are
//! never queued for it: the inspection refuses a 0.1.0 manifest that
//! subscribes to them.

use crate::bindings::types::HostError;
use crate::bindings::v0_1;
use crate::bindings::{self as current, hr, outcomes};
use crate::capabilities::Invocation;

/// A value as the other contract version's type.
pub(crate) trait Adapt<T> {
    fn adapt(self) -> T;
}

macro_rules! same {
    ($($t:ty),*) => {$(
        impl Adapt<$t> for $t {
            fn adapt(self) -> $t {
                self
            }
        }
    )*};
}
same!(String, u32, u16, u8, bool, f64, i64);

impl<A: Adapt<B>, B> Adapt<Option<B>> for Option<A> {
    fn adapt(self) -> Option<B> {
        self.map(Adapt::adapt)
    }
}

impl<A: Adapt<B>, B> Adapt<Vec<B>> for Vec<A> {
    fn adapt(self) -> Vec<B> {
        self.into_iter().map(Adapt::adapt).collect()
    }
}

impl<A: Adapt<C>, B: Adapt<D>, C, D> Adapt<(C, D)> for (A, B) {
    fn adapt(self) -> (C, D) {
        (self.0.adapt(), self.1.adapt())
    }
}

/// Records with the same fields in both versions.
macro_rules! record {
    ($from:ty => $($to:ident)::+ { $($field:ident),* $(,)? }) => {
        impl Adapt<$($to)::+> for $from {
            fn adapt(self) -> $($to)::+ {
                $($to)::+ { $($field: self.$field.adapt()),* }
            }
        }
    };
}

/// Enums with the same cases in both versions.
macro_rules! cases {
    ($from:ty => $to:ty { $($case:ident),* $(,)? }) => {
        impl Adapt<$to> for $from {
            fn adapt(self) -> $to {
                match self { $(<$from>::$case => <$to>::$case),* }
            }
        }
    };
}

mod old {
    pub use crate::bindings::v0_1::hr;
    pub use crate::bindings::v0_1::outcomes;
}

// Arguments: 0.1.0 → current.
record!(old::hr::EmployeeQuery => hr::EmployeeQuery { cursor, limit, department, updated_since, status });
record!(old::hr::AbsenceQuery => hr::AbsenceQuery { cursor, limit, from, to, employee_id, type_name, statuses, updated_since });
record!(old::hr::NewEmployee => hr::NewEmployee {
    first_name, last_name, work_email, personal_email, phone, department, position,
    legal_entity, contract_type, start_date,
});
cases!(old::hr::EmploymentStatus => hr::EmploymentStatus { Active, Inactive });
cases!(old::hr::AbsenceStatus => hr::AbsenceStatus { Approved, Pending, Cancelled });
record!(old::outcomes::Outcome => outcomes::Outcome {
    employee_id, operation, status, message, partner_status, partner_body,
});
cases!(old::outcomes::Operation => outcomes::Operation { Provision, Update, Deprovision, Link, Create, Skip });
cases!(old::outcomes::OutcomeStatus => outcomes::OutcomeStatus { Success, Failed, Skipped });

// Answers: current → 0.1.0.
record!(hr::EmployeePage => old::hr::EmployeePage { items, next_cursor });
record!(hr::Employee => old::hr::Employee { id, updated_at, basic, contact, employment, compensation });
record!(hr::BasicAttributes => old::hr::BasicAttributes {
    first_name, last_name, preferred_name, department, position, status,
});
record!(hr::ContactAttributes => old::hr::ContactAttributes { work_email, personal_email, phone, birth_date });
record!(hr::EmploymentAttributes => old::hr::EmploymentAttributes {
    hire_date, termination_date, legal_entity, contract_type, weekly_hours, supervisor_id, cost_center,
});
record!(hr::CompensationAttributes => old::hr::CompensationAttributes { fixed_salary, hourly_wage });
record!(hr::Money => old::hr::Money { amount_minor, currency });
record!(hr::AbsencePage => old::hr::AbsencePage { items, next_cursor });
record!(hr::Absence => old::hr::Absence {
    id, employee_id, type_name, start_date, end_date, half_day_start, half_day_end, status, updated_at,
});
cases!(hr::EmploymentStatus => old::hr::EmploymentStatus { Active, Inactive });
cases!(hr::AbsenceStatus => old::hr::AbsenceStatus { Approved, Pending, Cancelled });

// The world's own types.
cases!(current::Trigger => v0_1::Trigger { Scheduled, Manual, Initial });
record!(v0_1::WebhookResponse => current::WebhookResponse { status, headers, body });

/// The 0.1.0 form of a webhook delivery: the same request without the
/// receipt instant (a 0.1.0 connector reads it from the
/// `x-lockgate-received-at` header, see [`crate::webhooks`]).
pub fn webhook_request(request: current::WebhookRequest) -> v0_1::WebhookRequest {
    v0_1::WebhookRequest {
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
    }
}

/// The 0.1.0 form of an event, when 0.1.0 has it.
pub fn event(event: current::Event) -> Option<v0_1::Event> {
    use current::Event as E;
    use v0_1::Event as Old;
    Some(match event {
        E::EmployeeCreated(id) => Old::EmployeeCreated(id),
        E::EmployeeUpdated(id) => Old::EmployeeUpdated(id),
        E::EmployeeTerminated(id) => Old::EmployeeTerminated(id),
        E::AbsenceCreated(id) => Old::AbsenceCreated(id),
        E::AbsenceUpdated(id) => Old::AbsenceUpdated(id),
        E::AbsenceCancelled(id) => Old::AbsenceCancelled(id),
        E::AttendanceCreated(_) | E::AttendanceUpdated(_) | E::AttendanceDeleted(_) => {
            return None;
        }
    })
}

type Answer<T> = wasmtime::Result<Result<T, HostError>>;

fn adapted<A: Adapt<B>, B>(answer: Answer<A>) -> Answer<B> {
    answer.map(|r| r.map(Adapt::adapt))
}

impl v0_1::hr::Host for Invocation {
    async fn fetch_employees(
        &mut self,
        query: old::hr::EmployeeQuery,
    ) -> Answer<old::hr::EmployeePage> {
        adapted(hr::Host::fetch_employees(self, query.adapt()).await)
    }

    async fn get_employee(&mut self, id: String) -> Answer<old::hr::Employee> {
        adapted(hr::Host::get_employee(self, id).await)
    }

    async fn fetch_absences(
        &mut self,
        query: old::hr::AbsenceQuery,
    ) -> Answer<old::hr::AbsencePage> {
        adapted(hr::Host::fetch_absences(self, query.adapt()).await)
    }

    async fn get_absence(&mut self, id: String) -> Answer<old::hr::Absence> {
        adapted(hr::Host::get_absence(self, id).await)
    }

    async fn create_employee(
        &mut self,
        employee: old::hr::NewEmployee,
        idempotency_key: String,
    ) -> Answer<String> {
        hr::Host::create_employee(self, employee.adapt(), idempotency_key).await
    }
}

impl v0_1::outcomes::Host for Invocation {
    async fn report(&mut self, outcome: old::outcomes::Outcome) -> Answer<()> {
        outcomes::Host::report(self, outcome.adapt()).await
    }

    async fn report_batch(&mut self, rows: Vec<old::outcomes::Outcome>) -> Answer<()> {
        outcomes::Host::report_batch(self, rows.adapt()).await
    }
}

impl v0_1::config::Host for Invocation {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        current::config::Host::get(self, key).await
    }

    async fn get_all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        current::config::Host::get_all(self).await
    }
}

impl v0_1::state::Host for Invocation {
    async fn get(&mut self) -> wasmtime::Result<Option<String>> {
        current::state::Host::get(self).await
    }

    async fn set(&mut self, value: String) -> Answer<()> {
        current::state::Host::set(self, value).await
    }
}

cases!(v0_1::log::Level => current::log::Level { Debug, Info, Warn, Error });

impl v0_1::log::Host for Invocation {
    async fn log(&mut self, level: v0_1::log::Level, message: String) -> wasmtime::Result<()> {
        current::log::Host::log(self, level.adapt(), message).await
    }
}
