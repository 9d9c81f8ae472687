//! Changes a partner makes to a sandbox tenant by hand, to try how a
//! connector follows them: hiring, changing and terminating one employee.
//! Each is checked by the rules the API checks a tenant's write by
//! ([`crate::hr::shape`]) and written the way the API writes it, stamped
//! by the sandbox's own [`Clock`], so the connector's next run finds it as
//! it would find a tenant's change.

use crate::field::FieldProblem;
use crate::hr::Employee;
use crate::store::{EmployeeWrite, Store, StoreError};
use crate::time::Clock;

/// A new employee. Fields left out stay empty; the hire date is the
/// clock's day unless given.
#[derive(Debug, Clone, Default)]
pub struct Hire {
    /// The id; a new random one when `None`.
    pub id: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub department: Option<String>,
    pub position: Option<String>,
    pub work_email: Option<String>,
    /// `YYYY-MM-DD`.
    pub hire_date: Option<String>,
}

/// What to change of an employee: each field given replaces the stored
/// one; an empty text clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub preferred_name: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    /// `active` or `inactive`.
    pub status: Option<String>,
    pub work_email: Option<String>,
    pub phone: Option<String>,
    /// `YYYY-MM-DD`.
    pub hire_date: Option<String>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        [
            &self.first_name,
            &self.last_name,
            &self.preferred_name,
            &self.department,
            &self.position,
            &self.status,
            &self.work_email,
            &self.phone,
            &self.hire_date,
        ]
        .iter()
        .all(|f| f.is_none())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("tenant {0:?} does not exist")]
    NoTenant(String),
    #[error("tenant {tenant:?} has no employee {id:?}")]
    NoEmployee { tenant: String, id: String },
    #[error("tenant {tenant:?} already has an employee {id:?}")]
    Exists { tenant: String, id: String },
    #[error("nothing to change")]
    NothingToChange,
    /// Every field the tenant's rules refuse, at once.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An optional text: empty clears it.
fn text(value: String) -> Option<String> {
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}

async fn existing(store: &Store, tenant: &str, id: &str) -> Result<Employee, EditError> {
    if !store.tenant_exists(tenant).await? {
        return Err(EditError::NoTenant(tenant.to_string()));
    }
    store
        .employee(tenant, id)
        .await?
        .ok_or_else(|| EditError::NoEmployee {
            tenant: tenant.to_string(),
            id: id.to_string(),
        })
}

/// Checks `employee` by the tenant's rules and writes it, stamped now by
/// `clock`.
async fn write(
    store: &Store,
    tenant: &str,
    clock: &Clock,
    mut employee: Employee,
) -> Result<Employee, EditError> {
    employee.updated_at = clock.now_text();
    let problems = crate::hr::shape::employee_problems(&employee, None);
    if !problems.is_empty() {
        return Err(EditError::Invalid(problems));
    }
    let write = EmployeeWrite {
        employee,
        include_in: Default::default(),
        attributes: None,
    };
    store
        .write_employees(tenant, std::slice::from_ref(&write), &clock.now_text())
        .await?;
    Ok(write.employee)
}

/// Hires an employee, active from the hire date.
pub async fn hire(
    store: &Store,
    tenant: &str,
    clock: &Clock,
    hire: Hire,
) -> Result<Employee, EditError> {
    if !store.tenant_exists(tenant).await? {
        return Err(EditError::NoTenant(tenant.to_string()));
    }
    let id = match hire.id {
        Some(id) => {
            if store.employee_exists(tenant, &id).await? {
                return Err(EditError::Exists {
                    tenant: tenant.to_string(),
                    id,
                });
            }
            id
        }
        None => crate::store::new_id("e"),
    };
    let employee = Employee {
        id,
        first_name: hire.first_name.trim().to_string(),
        last_name: hire.last_name.trim().to_string(),
        preferred_name: None,
        department: hire.department.and_then(text),
        position: hire.position.and_then(text),
        status: "active".into(),
        work_email: hire.work_email.and_then(text),
        personal_email: None,
        phone: None,
        birth_date: None,
        hire_date: hire
            .hire_date
            .unwrap_or_else(|| crate::time::date_text(clock.today())),
        termination_date: None,
        legal_entity: None,
        contract_type: None,
        weekly_hours: None,
        supervisor_id: None,
        cost_center: None,
        salary_minor: None,
        hourly_wage_minor: None,
        currency: None,
        login: None,
        updated_at: String::new(),
    };
    write(store, tenant, clock, employee).await
}

/// Changes an employee; returns it as it was and as it is now.
pub async fn change(
    store: &Store,
    tenant: &str,
    clock: &Clock,
    id: &str,
    change: Change,
) -> Result<(Employee, Employee), EditError> {
    let before = existing(store, tenant, id).await?;
    if change.is_empty() {
        return Err(EditError::NothingToChange);
    }
    let mut after = before.clone();
    if let Some(v) = change.first_name {
        after.first_name = v.trim().to_string();
    }
    if let Some(v) = change.last_name {
        after.last_name = v.trim().to_string();
    }
    if let Some(v) = change.status {
        after.status = v.trim().to_string();
    }
    if let Some(v) = change.hire_date {
        after.hire_date = v.trim().to_string();
    }
    for (field, value) in [
        (&mut after.preferred_name, change.preferred_name),
        (&mut after.department, change.department),
        (&mut after.position, change.position),
        (&mut after.work_email, change.work_email),
        (&mut after.phone, change.phone),
    ] {
        if let Some(v) = value {
            *field = text(v);
        }
    }
    let after = write(store, tenant, clock, after).await?;
    Ok((before, after))
}

/// Sets an employee's termination date (the last day of employment).
pub async fn terminate(
    store: &Store,
    tenant: &str,
    clock: &Clock,
    id: &str,
    date: &str,
) -> Result<Employee, EditError> {
    let mut employee = existing(store, tenant, id).await?;
    employee.termination_date = Some(date.trim().to_string());
    write(store, tenant, clock, employee).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::{EmployeeFilter, Visibility};
    use time::Duration;

    async fn sandbox() -> (Store, Clock) {
        let store = Store::open("sqlite::memory:").await.unwrap();
        // No generated employees: the ones hired here are all there is.
        super::super::create_tenant(&store, "sandbox", "Sandbox", 0, 1)
            .await
            .unwrap();
        (store, Clock::ahead(Duration::days(10)))
    }

    fn vis(clock: &Clock) -> Visibility {
        Visibility {
            tenant_id: "sandbox".into(),
            connector_id: "probe".into(),
            today: clock.today(),
            scopes: vec![lockgate_manifest::Scope::EmployeesBasic],
            absence_window: None,
            attendance_window: None,
        }
    }

    #[tokio::test]
    async fn a_hire_a_change_and_a_termination_are_stamped_by_the_sandbox_clock() {
        let (store, clock) = sandbox().await;
        let hired = hire(
            &store,
            "sandbox",
            &clock,
            Hire {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                department: Some("Research".into()),
                ..Hire::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(hired.hire_date, crate::time::date_text(clock.today()));
        let stored = store.employee("sandbox", &hired.id).await.unwrap().unwrap();
        assert_eq!(stored.department.as_deref(), Some("Research"));
        assert!(
            stored.updated_at > crate::time::now_text(),
            "ten days ahead"
        );

        // A day later by the sandbox clock, a change; an incremental
        // reader asking since before it finds it, and only it.
        let since = clock.now_text();
        clock.advance(Duration::days(1));
        let (before, after) = change(
            &store,
            "sandbox",
            &clock,
            &hired.id,
            Change {
                department: Some("Engineering".into()),
                position: Some(String::new()),
                ..Change::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(before.department.as_deref(), Some("Research"));
        assert_eq!(after.department.as_deref(), Some("Engineering"));
        assert!(after.updated_at > since);
        let changed = store
            .visible_employees(
                &vis(&clock),
                &EmployeeFilter {
                    updated_since: Some(since),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let ids: Vec<_> = changed.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, vec![hired.id.as_str()]);

        // Terminated today: visible until the day is over.
        let today = crate::time::date_text(clock.today());
        terminate(&store, "sandbox", &clock, &hired.id, &today)
            .await
            .unwrap();
        let visible = |clock: Clock| {
            let store = store.clone();
            let id = hired.id.clone();
            async move {
                store
                    .visible_employees(
                        &vis(&clock),
                        &EmployeeFilter {
                            id: Some(id),
                            limit: 1,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap()
                    .len()
            }
        };
        assert_eq!(visible(clock.clone()).await, 1);
        clock.advance(Duration::days(1));
        assert_eq!(visible(clock.clone()).await, 0, "gone the day after");
    }

    #[tokio::test]
    async fn bad_edits_are_refused_with_what_to_fix() {
        let (store, clock) = sandbox().await;
        let err = hire(
            &store,
            "sandbox",
            &clock,
            Hire {
                first_name: " ".into(),
                last_name: "Lovelace".into(),
                hire_date: Some("2026-02-30".into()),
                ..Hire::default()
            },
        )
        .await
        .unwrap_err();
        let EditError::Invalid(problems) = err else {
            panic!("{err}")
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["first_name", "hire_date"]);

        let err = change(&store, "sandbox", &clock, "nobody", Change::default())
            .await
            .unwrap_err();
        assert!(matches!(err, EditError::NoEmployee { .. }), "{err}");
        let err = terminate(&store, "elsewhere", &clock, "e-1", "2026-01-01")
            .await
            .unwrap_err();
        assert!(matches!(err, EditError::NoTenant(_)), "{err}");

        let someone = hire(
            &store,
            "sandbox",
            &clock,
            Hire {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                ..Hire::default()
            },
        )
        .await
        .unwrap();
        let err = change(&store, "sandbox", &clock, &someone.id, Change::default())
            .await
            .unwrap_err();
        assert!(matches!(err, EditError::NothingToChange), "{err}");
        let err = terminate(&store, "sandbox", &clock, &someone.id, "1900-01-01")
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("termination_date: is before the hire date"),
            "{err}"
        );
    }
}
