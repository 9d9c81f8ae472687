//! HR data events. A write to an employee or an absence becomes events
//! (created, updated, terminated / cancelled); every Connected install that
//! subscribed to that kind and may see the record gets an `on-event` job in
//! the durable queue. Jobs of one install run one at a time in the order
//! they were queued, so an install hears about one employee in order. The
//! data rules are checked when the event is queued and again when it is
//! delivered: an employee the connector may not see (outside the
//! employment window, excluded by the tenant, or an absence outside the
//! granted window or without the absence scope) is never delivered; nor is
//! an attendance period without `attendances.read` or on a day outside the
//! granted attendance window. A change a connector made is not told back
//! to the install that made it.

use lockgate_manifest::manifest::EventKind;

use crate::app::App;
pub use crate::hr::change::{HrEvent, absence_event, attendance_event, employee_event};
use crate::hr::{EmployeeFilter, Visibility};
use crate::store::{InstallRecord, NewJob, StoreError};
use crate::vocabulary::{InstallStatus, JobKind, RunTrigger};

/// The contract's form of an event.
pub fn to_wit(event: &HrEvent) -> crate::bindings::Event {
    use crate::bindings::Event;
    let id = event.id.clone();
    match event.kind {
        EventKind::EmployeeCreated => Event::EmployeeCreated(id),
        EventKind::EmployeeUpdated => Event::EmployeeUpdated(id),
        EventKind::EmployeeTerminated => Event::EmployeeTerminated(id),
        EventKind::AbsenceCreated => Event::AbsenceCreated(id),
        EventKind::AbsenceUpdated => Event::AbsenceUpdated(id),
        EventKind::AbsenceCancelled => Event::AbsenceCancelled(id),
        EventKind::AttendanceCreated => Event::AttendanceCreated(id),
        EventKind::AttendanceUpdated => Event::AttendanceUpdated(id),
        EventKind::AttendanceDeleted => Event::AttendanceDeleted(id),
    }
}

fn visibility(install: &InstallRecord, manifest: &lockgate_manifest::Manifest) -> Visibility {
    Visibility {
        tenant_id: install.tenant_id.clone(),
        connector_id: manifest.id.clone(),
        today: crate::time::today(),
        scopes: manifest.scopes.clone(),
        absence_window: manifest.absence_window,
        attendance_window: manifest.attendance_window,
    }
}

/// Whether the install may hear about this event now.
pub async fn may_see(
    state: &App,
    install: &InstallRecord,
    manifest: &lockgate_manifest::Manifest,
    event: &HrEvent,
) -> Result<bool, StoreError> {
    let vis = visibility(install, manifest);
    let employee_visible = !state
        .store
        .visible_employees(
            &vis,
            &EmployeeFilter {
                id: Some(event.employee_id.clone()),
                limit: 1,
                ..Default::default()
            },
        )
        .await?
        .is_empty();
    let terminated_today_or_before = event.kind == EventKind::EmployeeTerminated;
    if !employee_visible && !terminated_today_or_before {
        return Ok(false);
    }
    if terminated_today_or_before && !employee_visible {
        // A leaver stays visible up to the termination date; past it, the
        // connector hears of it only if it was visible before (not excluded).
        let excluded = state
            .store
            .exclusions(&install.tenant_id)
            .await?
            .into_iter()
            .any(|(e, c)| e == event.employee_id && c == manifest.id);
        if excluded {
            return Ok(false);
        }
    }
    match event.kind {
        EventKind::AbsenceCreated | EventKind::AbsenceUpdated | EventKind::AbsenceCancelled => {
            let Some((from, to)) = vis.absence_range() else {
                return Ok(false);
            };
            Ok(state
                .store
                .absence(&install.tenant_id, &event.id)
                .await?
                .is_some_and(|a| a.start_date <= to && a.end_date >= from))
        }
        EventKind::AttendanceCreated | EventKind::AttendanceUpdated => {
            // The period as it is now: one moved out of the window since,
            // or gone, is not told.
            let Some((from, to)) = attendance_range(&vis) else {
                return Ok(false);
            };
            Ok(state
                .store
                .attendance(&install.tenant_id, &event.id)
                .await?
                .is_some_and(|a| {
                    a.employee_id == event.employee_id && a.date >= from && a.date <= to
                }))
        }
        EventKind::AttendanceDeleted => {
            // A deleted period cannot be looked up: the day it had travels
            // in the event (and its employee was checked above).
            let Some((from, to)) = attendance_range(&vis) else {
                return Ok(false);
            };
            Ok(event
                .date
                .as_deref()
                .is_some_and(|d| d >= from.as_str() && d <= to.as_str()))
        }
        _ => Ok(true),
    }
}

/// The attendance window of an install that may read attendances.
fn attendance_range(vis: &Visibility) -> Option<(String, String)> {
    if !vis.granted(lockgate_manifest::Scope::AttendancesRead) {
        return None;
    }
    vis.attendance_range()
}

/// Queues `events` for every Connected install of the tenant that
/// subscribed to them, may see them and did not cause them (an event's
/// `origin`); returns how many jobs were queued.
pub async fn publish(state: &App, tenant: &str, events: &[HrEvent]) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let mut queued = 0;
    for install in state.store.tenant_installs(tenant).await? {
        if install.status != InstallStatus::Connected {
            continue;
        }
        let plugin = match state.load_plugin(&install.plugin_sha256).await {
            Ok(plugin) => plugin,
            Err(e) => {
                tracing::warn!("no events queued for install {}: {e}", install.id);
                continue;
            }
        };
        queued += queue_for(state, &install, &plugin.manifest, events).await?;
    }
    Ok(queued)
}

/// Queues for one install, whose connector has `manifest`, the events it
/// subscribed to, may see, and did not cause; returns how many.
pub async fn queue_for(
    state: &App,
    install: &InstallRecord,
    manifest: &lockgate_manifest::Manifest,
    events: &[HrEvent],
) -> Result<usize, StoreError> {
    let mut queued = 0;
    for event in events.iter().filter(|e| {
        manifest.triggers.events.contains(&e.kind) && e.origin.as_deref() != Some(&install.id)
    }) {
        if !may_see(state, install, manifest, event).await? {
            continue;
        }
        state
            .enqueue(&NewJob {
                install_id: install.id.clone(),
                tenant_id: install.tenant_id.clone(),
                kind: JobKind::Event,
                trigger: RunTrigger::Event(event.kind),
                payload: serde_json::to_string(event).ok(),
                dedupe_key: None,
                delivery_digest: None,
                due_at: crate::time::now_text(),
            })
            .await?;
        queued += 1;
    }
    Ok(queued)
}
