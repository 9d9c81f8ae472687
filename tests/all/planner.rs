//! The planner export end to end: the right people and absences reach the
//! partner, partner errors land on the rows, later runs send changes only,
//! and people who left are removed from the planner.

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
        sign_in: None,
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

/// One of the people of [`people_who_leave_are_removed_from_the_planner`],
/// as the tenant admin writes them over the API.
fn person(id: &str, termination: Option<&str>, included: bool) -> String {
    let hired = lockgate::time::add_days(lockgate::time::today(), -400);
    serde_json::json!({
        "first_name": "Kim", "last_name": id, "department": "Operations",
        "hire_date": lockgate::time::date_text(hired),
        "termination_date": termination,
        "include_in": { "planner-export": included },
    })
    .to_string()
}

/// Who left since the last run is removed from the planner, one
/// `deprovision` row each: terminated, excluded and erased people as the
/// host's departures name them; gone already is skipped; a refusal is a
/// failed row with the planner's answer and is removed the next run. The
/// app's clock puts the first run three days back, the termination's last
/// day on that day, and the next run the morning after. A termination HR
/// enters only after the first run, with a last day before it, is named
/// too, dated when it was entered.
#[tokio::test]
async fn people_who_leave_are_removed_from_the_planner() {
    use lockgate_tests::http::{get, post_json, put_json, send_json};
    use time::{Date, OffsetDateTime};

    use crate::platform::{TENANT, connect, finished_runs};

    fn at(day: Date, hour: u8, minute: u8) -> OffsetDateTime {
        day.with_hms(hour, minute, 0).unwrap().assume_utc()
    }
    let planner = FakePlanner::start().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&planner.addr.to_string()).unwrap();
    let app = lockgate_tests::spawn_app_with(operator).await;
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let op = lockgate_tests::token(&app, lockgate::auth::Role::Operator, None, None).await;
    let (status, body) = post_json(
        &app,
        &op,
        "/api/v1/tenants",
        &serde_json::json!({"id": TENANT, "name": "Leavers Ltd"}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let admin = lockgate_tests::tenant_token(&app, TENANT, true).await;
    let put = |id: &'static str, body: String| {
        let (app, admin) = (&app, &admin);
        async move {
            let path = format!("/api/v1/tenants/{TENANT}/employees/{id}");
            let (status, answer) = put_json(app, admin, &path, &body).await;
            assert_eq!(status, 200, "{id}: {answer}");
        }
    };
    let rows = |run: Value| {
        let (app, admin) = (&app, &admin);
        async move {
            let run = run["id"].as_str().unwrap().to_string();
            let path = format!("/api/v1/tenants/{TENANT}/runs/{run}/rows");
            let (status, body) = get(app, admin, &path, None).await;
            assert_eq!(status, 200, "{body}");
            let mut items = body["items"].as_array().unwrap().clone();
            items.sort_by_key(|r| r["employee_id"].as_str().unwrap_or("").to_string());
            items
        }
    };
    let sync_now = |install: String, n: usize| {
        let (app, admin) = (&app, &admin);
        async move {
            let path = format!("/api/v1/tenants/{TENANT}/installs/{install}/sync");
            let (status, body) = post_json(app, admin, &path, "").await;
            assert!(status == 200 || status == 202, "{status} {body}");
            finished_runs(app, admin, &install, n).await[0].clone()
        }
    };

    let first_day = lockgate::time::add_days(lockgate::time::today(), -3);
    let next_day = lockgate::time::add_days(first_day, 1);
    let people = [
        "e-erased",
        "e-excluded",
        "e-gone",
        "e-late",
        "e-leaver",
        "e-refused",
        "e-stays",
    ];
    app.clock.set(at(first_day, 9, 0));
    for id in people {
        put(id, person(id, None, true)).await;
        // The API stamps a record's change by the system's clock, not the
        // app's: dated back, the record has not changed since the first run.
        let mut record = app.store.employee(TENANT, id).await.unwrap().unwrap();
        record.updated_at = "2025-01-01T00:00:00.000000Z".into();
        app.store.upsert_employees(TENANT, &[record]).await.unwrap();
    }
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let install = install["id"].as_str().unwrap().to_string();
    let first = finished_runs(&app, &admin, &install, 1).await;
    assert_eq!(first[0]["status"], "successful", "{first:?}");
    assert_eq!(
        planner.state.lock().unwrap().known,
        BTreeSet::from(people.map(String::from)),
        "everyone was sent"
    );
    planner.take_resources();

    // After the first run: the leaver's last day is that day, entered in
    // time; the late one's last day was two days before, entered only
    // after midnight. Others are excluded or erased. The planner removed
    // one by hand already and refuses to remove another.
    app.clock.set(at(first_day, 10, 0));
    let last_day = lockgate::time::date_text(first_day);
    put("e-leaver", person("e-leaver", Some(&last_day), true)).await;
    app.clock.set(at(next_day, 0, 1));
    let late_last_day = lockgate::time::date_text(lockgate::time::add_days(first_day, -2));
    put("e-late", person("e-late", Some(&late_last_day), true)).await;
    for id in ["e-excluded", "e-gone", "e-refused"] {
        put(id, person(id, None, false)).await;
    }
    let path = format!("/api/v1/tenants/{TENANT}/employees/e-erased");
    let (status, body) = send_json(&app, reqwest::Method::DELETE, &admin, &path, "").await;
    assert_eq!(status, 204, "{body}");
    {
        let mut state = planner.state.lock().unwrap();
        state.known.remove("e-gone");
        state.refuse_removal.insert("e-refused".into());
    }

    // The next morning's scheduled run.
    app.clock.set(at(next_day, 5, 0));
    lockgate::worker::schedule_due(&app).await.unwrap();
    let second = finished_runs(&app, &admin, &install, 2).await[0].clone();
    assert_eq!(second["trigger"], "scheduled", "{second}");
    assert_eq!(second["status"], "partially_successful", "{second}");
    let got = rows(second).await;
    let summary: Vec<(&str, &str, &str)> = got
        .iter()
        .map(|r| {
            (
                r["employee_id"].as_str().unwrap_or(""),
                r["operation"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("e-erased", "deprovision", "success"),
            ("e-excluded", "deprovision", "success"),
            ("e-gone", "deprovision", "skipped"),
            ("e-late", "deprovision", "success"),
            ("e-leaver", "deprovision", "success"),
            ("e-refused", "deprovision", "failed"),
        ],
        "{got:#?}"
    );
    let message = |n: usize| got[n]["message"].as_str().unwrap().to_string();
    let next = lockgate::time::date_text(next_day);
    assert_eq!(
        message(0),
        format!("removed from the planner: removed from the HR records on {next}")
    );
    assert_eq!(
        message(1),
        format!("removed from the planner: excluded from the transfer to the planner on {next}")
    );
    assert!(
        message(2).starts_with("not in the planner"),
        "{}",
        message(2)
    );
    assert_eq!(
        message(3),
        format!("removed from the planner: employment ended (termination entered on {next})")
    );
    assert_eq!(
        message(4),
        format!("removed from the planner: employment ended (last day {last_day})")
    );
    assert!(
        message(5).contains("409") && message(5).contains("e-refused still has bookings next week"),
        "{}",
        message(5)
    );
    assert_eq!(got[5]["partner_status"], 409);
    {
        let state = planner.state.lock().unwrap();
        assert_eq!(
            state.removals,
            [
                "e-erased",
                "e-excluded",
                "e-gone",
                "e-late",
                "e-leaver",
                "e-refused"
            ]
        );
        assert_eq!(
            state.known,
            BTreeSet::from(["e-refused", "e-stays"].map(String::from))
        );
    }
    assert!(planner.take_resources().is_empty(), "nobody to send");

    // The planner gives in: the refused removal goes through on the next
    // run, and nobody else is asked for again.
    planner.state.lock().unwrap().refuse_removal.clear();
    let third = sync_now(install.clone(), 3).await;
    assert_eq!(third["status"], "successful", "{third}");
    let got = rows(third).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(
        (
            &got[0]["employee_id"],
            &got[0]["operation"],
            &got[0]["status"]
        ),
        (
            &Value::from("e-refused"),
            &Value::from("deprovision"),
            &Value::from("success")
        )
    );
    assert_eq!(
        planner.state.lock().unwrap().known,
        BTreeSet::from(["e-stays".to_string()])
    );

    // Then nothing is left to do.
    let fourth = sync_now(install, 4).await;
    assert_eq!(fourth["status"], "successful", "{fourth}");
    assert!(rows(fourth).await.is_empty());
    let state = planner.state.lock().unwrap();
    assert_eq!(state.removals.len(), 7, "{:?}", state.removals);
    assert!(state.resources.is_empty());
}
