//! The planner export end to end: the right people and absences reach the
//! partner, partner errors land on the rows, and later runs send changes only.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::helpers::*;
use lockgate::vocabulary::{Operation, RowStatus};

/// What the data rules say the planner may receive: employees inside their
/// employment window, not excluded from planner-export, in `department` if
/// given, with their approved absences overlapping the next 183 days.
async fn expected(
    tenant: &Tenant,
    department: Option<&str>,
) -> BTreeMap<String, (Option<String>, BTreeSet<String>)> {
    let today = today();
    let window_end = days_from_today(183);
    let mut out: BTreeMap<String, (Option<String>, BTreeSet<String>)> = BTreeMap::new();
    for e in visible_employees(tenant, "planner-export").await {
        if department.is_none_or(|d| e.department.as_deref() == Some(d)) {
            out.insert(e.id.clone(), (e.department.clone(), BTreeSet::new()));
        }
    }
    for a in tenant.store.all_absences(TENANT).await.unwrap() {
        if a.status == "approved"
            && a.start_date <= window_end
            && a.end_date >= today
            && let Some((_, absences)) = out.get_mut(&a.employee_id)
        {
            absences.insert(a.id.clone());
        }
    }
    out
}

fn received(resources: &[Value]) -> BTreeMap<String, (Option<String>, BTreeSet<String>)> {
    resources
        .iter()
        .map(|r| {
            let absences = r["absences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["externalId"].as_str().unwrap().to_string())
                .collect();
            (
                r["externalId"].as_str().unwrap().to_string(),
                (r["department"].as_str().map(str::to_string), absences),
            )
        })
        .collect()
}

#[tokio::test]
async fn exports_exactly_the_visible_employees_and_absences() {
    let tenant = Tenant::seeded(300, 7).await;
    let planner = FakePlanner::start().await;
    let summary = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );

    let resources = planner.take_resources();
    let got = received(&resources);
    let want = expected(&tenant, None).await;
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(got, want);

    // Future hires, leavers and excluded people exist in the data, so the
    // filter above had something to filter.
    let all = tenant.store.all_employees(TENANT).await.unwrap();
    assert!(
        all.len() > want.len() + 20,
        "{} of {} visible",
        want.len(),
        all.len()
    );

    // Only id, department and absences go out: no names.
    for r in &resources {
        let keys: BTreeSet<_> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            BTreeSet::from(["externalId", "department", "absences"])
        );
    }
    // The key came from the host, as a header.
    let auth = planner.state.lock().unwrap().auth.clone();
    assert!(!auth.is_empty(), "the planner was called");
    assert!(
        auth.iter().all(|a| a == &format!("Bearer {PLANNER_KEY}")),
        "{auth:?}"
    );

    // One row per employee, stored.
    assert_eq!(
        summary.counts[&Operation::Update][&RowStatus::Success],
        want.len() as i64
    );
    let stored = tenant
        .store
        .run_rows(&summary.run.id, None, None, None, 10_000)
        .await
        .unwrap();
    assert_eq!(stored.len(), want.len());
    assert!(!stored.is_empty());
    assert!(
        stored
            .iter()
            .all(|r| r.status == "success" && r.partner_status == Some(200))
    );
}

#[tokio::test]
async fn the_department_filter_limits_what_is_sent() {
    let tenant = Tenant::seeded(300, 8).await;
    let planner = FakePlanner::start().await;
    let mut config = planner.config();
    config.push(("base-department", "Engineering"));
    let summary = tenant
        .run(&planner_export(), &config, planner.setup())
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let got = received(&planner.take_resources());
    let want = expected(&tenant, Some("Engineering")).await;
    assert!(!want.is_empty());
    assert_eq!(got, want);
}

#[tokio::test]
async fn partner_rejections_make_a_partially_successful_run() {
    let tenant = Tenant::seeded(120, 9).await;
    let planner = FakePlanner::start().await;
    let want = expected(&tenant, None).await;
    let rejected: Vec<String> = want.keys().take(2).cloned().collect();
    for id in &rejected {
        planner.reject(id);
    }
    let summary = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(summary.run.status, "partially_successful");
    assert_eq!(summary.status_label(), "Partially successful");
    assert_eq!(summary.counts[&Operation::Update][&RowStatus::Failed], 2);
    assert_eq!(
        summary.counts[&Operation::Update][&RowStatus::Success],
        want.len() as i64 - 2
    );

    let failed = tenant
        .store
        .run_rows(&summary.run.id, Some(RowStatus::Failed), None, None, 100)
        .await
        .unwrap();
    let failed_ids: Vec<_> = failed
        .iter()
        .filter_map(|r| r.employee_id.clone())
        .collect();
    assert_eq!(failed_ids, rejected);
    for row in &failed {
        assert_eq!(row.partner_status, Some(422));
        assert!(
            row.message.contains("is unknown in the planner"),
            "{}",
            row.message
        );
        assert!(
            row.partner_body
                .as_deref()
                .unwrap_or("")
                .contains("unknown in the planner")
        );
    }

    // The next run sends the rejected people again, and only them.
    planner.state.lock().unwrap().reject.clear();
    planner.take_resources();
    let again = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(again.run.status, "successful");
    let mut resent = planner.received_ids();
    resent.sort();
    assert_eq!(resent, rejected);
}

#[tokio::test]
async fn partner_down_fails_the_run_with_the_reason() {
    let tenant = Tenant::seeded(50, 10).await;
    let port = closed_port().await;
    let url = format!("http://127.0.0.1:{port}");
    let summary = tenant
        .run(
            &planner_export(),
            &[("planner-url", &url), ("api-key", PLANNER_KEY)],
            RunSetup {
                allow_http: vec![format!("127.0.0.1:{port}")],
                ..RunSetup::default()
            },
        )
        .await;
    assert_eq!(summary.run.status, "failed");
    let reason = summary.run.failure_reason.unwrap();
    assert!(
        reason.contains("unreachable") && reason.contains("refused"),
        "{reason}"
    );
    // Nothing was committed as sent: the state stays empty for a full retry.
    assert_eq!(
        tenant
            .store
            .state(&format!("{TENANT}-planner-export"))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_wrong_api_key_fails_with_the_partners_answer() {
    let tenant = Tenant::seeded(30, 11).await;
    let planner = FakePlanner::start().await;
    let url = planner.url();
    let summary = tenant
        .run(
            &planner_export(),
            &[("planner-url", &url), ("api-key", "wrong")],
            planner.setup(),
        )
        .await;
    assert_eq!(summary.run.status, "failed");
    let reason = summary.run.failure_reason.unwrap();
    assert!(
        reason.contains("401") && reason.contains("API key"),
        "{reason}"
    );
}

#[tokio::test]
async fn second_run_sends_only_changes() {
    let tenant = Tenant::seeded(200, 12).await;
    let planner = FakePlanner::start().await;
    let first = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(first.run.status, "successful");
    let want = expected(&tenant, None).await;
    assert_eq!(planner.take_resources().len(), want.len());

    let second = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(second.run.status, "successful");
    assert!(
        planner.take_resources().is_empty(),
        "nothing changed, nothing sent"
    );
    assert!(second.rows.is_empty());
    assert_eq!(second.total_rows, 0);

    // Change one employee's department and add an absence for another.
    let mut employees = tenant.store.all_employees(TENANT).await.unwrap();
    let ids: Vec<&String> = want.keys().collect();
    let moved = employees.iter_mut().find(|e| &e.id == ids[0]).unwrap();
    moved.department = Some("Research".into());
    moved.updated_at = lockgate::time::now_text();
    let moved = moved.clone();
    tenant
        .store
        .upsert_employees(TENANT, std::slice::from_ref(&moved))
        .await
        .unwrap();
    let absence = lockgate::hr::Absence {
        id: "a-new-1".into(),
        employee_id: ids[1].clone(),
        type_name: "Vacation".into(),
        start_date: days_from_today(10),
        end_date: days_from_today(12),
        half_day_start: false,
        half_day_end: false,
        status: "approved".into(),
        updated_at: lockgate::time::now_text(),
    };
    tenant
        .store
        .upsert_absences(TENANT, &[absence])
        .await
        .unwrap();

    let third = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(third.run.status, "successful");
    let got = received(&planner.take_resources());
    assert_eq!(got.keys().collect::<Vec<_>>(), vec![ids[0], ids[1]]);
    assert_eq!(got[ids[0]].0.as_deref(), Some("Research"));
    assert!(got[ids[1]].1.contains("a-new-1"));
    // The whole current absence list goes with a changed person.
    assert_eq!(got[ids[1]].1.len(), want[ids[1]].1.len() + 1);
}

#[tokio::test]
async fn the_initial_sync_period_reaches_back_on_the_first_run_only() {
    let tenant = Tenant::seeded(200, 13).await;
    let planner = FakePlanner::start().await;
    let from = days_from_today(-60);
    let mut config = planner.config();
    config.push(("initial-sync-from", &from));
    let first = tenant
        .run(&planner_export(), &config, planner.setup())
        .await;
    assert_eq!(
        first.run.status, "successful",
        "{:?}",
        first.run.failure_reason
    );
    let sent = received(&planner.take_resources());
    // Past absences (ended before today, started within the 60 days) went out.
    let today = today();
    let past: BTreeSet<String> = tenant
        .store
        .all_absences(TENANT)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.status == "approved" && a.end_date < today && a.end_date >= from)
        .filter(|a| sent.contains_key(&a.employee_id))
        .map(|a| a.id)
        .collect();
    assert!(!past.is_empty(), "the seed has recent past absences");
    let sent_absences: BTreeSet<String> =
        sent.values().flat_map(|(_, a)| a.iter().cloned()).collect();
    assert!(past.is_subset(&sent_absences));

    // A config that reaches further back than the granted window is refused.
    let too_far = days_from_today(-200);
    let mut config = planner.config();
    config.push(("initial-sync-from", &too_far));
    let plugin = planner_export();
    let report = lockgate::runtime::Runtime::invoke(
        runtime(),
        &plugin,
        validate_setup(&tenant, &plugin),
        lockgate::runtime::Call::ValidateConfig(vec![(
            "initial-sync-from".into(),
            too_far.clone(),
        )]),
    )
    .await;
    match report.result {
        Ok(lockgate::runtime::CallResult::ValidateConfig(Err(errors))) => {
            assert_eq!(errors[0].field, "initial-sync-from");
            assert!(
                errors[0].message.contains("at most 92 days back"),
                "{}",
                errors[0].message
            );
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn validate_setup(
    tenant: &Tenant,
    plugin: &lockgate::runtime::Plugin,
) -> lockgate::runtime::InvocationSetup {
    lockgate::runtime::InvocationSetup {
        store: tenant.store.clone(),
        visibility: lockgate::hr::Visibility {
            tenant_id: TENANT.into(),
            connector_id: plugin.manifest.id.clone(),
            today: lockgate::time::today(),
            scopes: plugin.manifest.scopes.clone(),
            absence_window: plugin.manifest.absence_window,
            attendance_window: None,
        },
        grant: std::sync::Arc::new(
            lockgate::policy::Grant::resolve(
                &plugin.manifest,
                &std::collections::BTreeMap::from([(
                    "planner-url".to_string(),
                    "https://p.example".to_string(),
                )]),
                Default::default(),
            )
            .unwrap(),
        ),
        limits: Default::default(),
        config: Default::default(),
        state: None,
        run_id: None,
        install: None,
        clock: None,
    }
}

#[tokio::test]
async fn a_throttling_planner_is_waited_for_within_the_retry_budget() {
    let tenant = Tenant::seeded(120, 21).await;
    let planner = FakePlanner::start().await;
    planner.state.lock().unwrap().throttle_next = 2;
    let summary = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    assert_eq!(planner.state.lock().unwrap().throttled_calls, 2);
    let got = received(&planner.take_resources());
    assert_eq!(
        got,
        expected(&tenant, None).await,
        "everyone arrived after the retries"
    );
    assert!(
        summary
            .log
            .iter()
            .any(|l| l.message.contains("after 2 retries")),
        "{:?}",
        summary.log
    );
}

#[tokio::test]
async fn a_rate_limited_run_keeps_its_progress_and_says_so() {
    let tenant = Tenant::seeded(600, 22).await;
    let planner = FakePlanner::start().await;
    // One batch gets through; then the planner only says 429.
    planner.state.lock().unwrap().throttle_after = Some(1);
    let summary = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(
        summary.run.status, "partially_successful",
        "{:?}",
        summary.run.failure_reason
    );
    let sent = planner.take_resources().len();
    assert_eq!(sent, 200, "the first batch stays sent");
    let failed = summary.counts[&Operation::Update][&RowStatus::Failed];
    assert!(failed > 0);
    assert!(
        summary.rows.iter().any(|r| r.status == "failed"),
        "the failed rows are listed"
    );
    assert!(
        summary
            .rows
            .iter()
            .filter(|r| r.status == "failed")
            .all(|r| r.message.contains("rate limited")),
        "{:?}",
        summary.rows.iter().find(|r| r.status == "failed")
    );
    // The client gave up within its budget: five sends of the throttled batch.
    assert_eq!(planner.state.lock().unwrap().throttled_calls, 5);

    // Next run, without the limit: the rest goes, the first batch not again.
    planner.state.lock().unwrap().throttle_after = None;
    let next = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(
        next.run.status, "successful",
        "{:?}",
        next.run.failure_reason
    );
    assert_eq!(planner.take_resources().len() as i64, failed);
}

/// An absence of the person `e-pinned`, `days.0` to `days.1` days from
/// today, with half first and last days as `half` says.
fn absence(
    id: &str,
    type_name: &str,
    days: (i64, i64),
    half: (bool, bool),
    status: &str,
) -> lockgate::hr::Absence {
    lockgate::hr::Absence {
        id: id.into(),
        employee_id: "e-pinned".into(),
        type_name: type_name.into(),
        start_date: days_from_today(days.0),
        end_date: days_from_today(days.1),
        half_day_start: half.0,
        half_day_end: half.1,
        status: status.into(),
        updated_at: lockgate::time::now_text(),
    }
}

/// An absence as the planner API carries it (see the connector's README).
fn planner_absence(a: &lockgate::hr::Absence) -> Value {
    serde_json::json!({
        "externalId": a.id, "start": a.start_date, "end": a.end_date, "reason": a.type_name,
        "halfDayStart": a.half_day_start, "halfDayEnd": a.half_day_end, "status": a.status,
    })
}

#[tokio::test]
async fn the_planner_receives_each_absences_start_end_and_reason() {
    let tenant = Tenant::seeded(40, 31).await;
    let mut person = visible_employees(&tenant, "planner-export").await[0].clone();
    person.id = "e-pinned".into();
    person.department = Some("Logistik & Lager".into());
    person.hire_date = days_from_today(-400);
    person.termination_date = None;
    tenant
        .store
        .upsert_employees(TENANT, std::slice::from_ref(&person))
        .await
        .unwrap();
    let none = (false, false);
    let sent = [
        // Ten days off, back at noon on the last one.
        absence("a-pin-1", "Vacation", (10, 19), (false, true), "approved"),
        // One afternoon.
        absence("a-pin-2", "Arzttermin", (3, 3), (true, false), "approved"),
        // Began two days ago, still running: sent from its real start.
        absence("a-pin-3", "Sick leave", (-2, 1), none, "approved"),
        // Reaches past the six months: sent whole.
        absence(
            "a-pin-4",
            "Congé parental d'éducation",
            (170, 260),
            none,
            "approved",
        ),
    ];
    let not_sent = [
        absence("a-pin-5", "Vacation", (30, 31), none, "pending"),
        absence("a-pin-6", "Vacation", (40, 44), none, "cancelled"),
        absence("a-pin-7", "Vacation", (-10, -5), none, "approved"),
        absence("a-pin-8", "Vacation", (190, 195), none, "approved"),
    ];
    let all: Vec<_> = sent.iter().chain(&not_sent).cloned().collect();
    tenant.store.upsert_absences(TENANT, &all).await.unwrap();

    let planner = FakePlanner::start().await;
    let run = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(run.run.status, "successful", "{:?}", run.run.failure_reason);
    let resources = planner.take_resources();
    let pinned = |resources: &[Value]| {
        let mut r = resources
            .iter()
            .find(|r| r["externalId"] == "e-pinned")
            .expect("the pinned person was sent")
            .clone();
        // The planner replaces the whole list: its order carries nothing.
        r["absences"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|a| a["externalId"].as_str().unwrap().to_string());
        r
    };
    assert_eq!(
        pinned(&resources),
        serde_json::json!({
            "externalId": "e-pinned",
            "department": "Logistik & Lager",
            "absences": sent.iter().map(planner_absence).collect::<Vec<_>>(),
        })
    );

    // Everyone else's absences went out as stored, field by field.
    let stored: BTreeMap<String, lockgate::hr::Absence> = tenant
        .store
        .all_absences(TENANT)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let mut compared = 0;
    for resource in &resources {
        for got in resource["absences"].as_array().unwrap() {
            let want = &stored[got["externalId"].as_str().unwrap()];
            assert_eq!(want.employee_id, resource["externalId"].as_str().unwrap());
            assert_eq!(got, &planner_absence(want));
            compared += 1;
        }
    }
    let half_days = resources
        .iter()
        .flat_map(|r| r["absences"].as_array().unwrap())
        .filter(|a| a["halfDayStart"] == true || a["halfDayEnd"] == true)
        .count();
    assert!(
        compared > 20 && half_days > 2,
        "{compared} absences, {half_days} with half days"
    );

    // Moved and renamed, now from noon on its first day to the end of its
    // last: the next run sends the person again, with the new values.
    let moved = absence("a-pin-1", "Urlaub", (11, 12), (true, false), "approved");
    tenant
        .store
        .upsert_absences(TENANT, std::slice::from_ref(&moved))
        .await
        .unwrap();
    let next = tenant
        .run(&planner_export(), &planner.config(), planner.setup())
        .await;
    assert_eq!(
        next.run.status, "successful",
        "{:?}",
        next.run.failure_reason
    );
    let resources = planner.take_resources();
    assert_eq!(resources.len(), 1, "only the person whose absence changed");
    let mut want: Vec<Value> = sent[1..].iter().map(planner_absence).collect();
    want.insert(0, planner_absence(&moved));
    assert_eq!(pinned(&resources)["absences"], Value::Array(want));
}
