//! People arriving in and leaving a connector's sight, as an incremental
//! sync sees them: a new hire or an employee included again counts as new
//! for `updated_since` although their record did not change, and the
//! departures query names everyone who left (terminated, excluded,
//! removed) once, from the first instant they were out of sight (for a
//! termination entered after its last day, from when it was entered).

use lockgate::Store;
use lockgate::auth::Role;
use lockgate::hr::{
    Departure, DepartureReason, Employee, EmployeeFilter, Visibility, split_page_by,
};
use lockgate::store::{EmployeeWrite, StoreError};
use lockgate_tests::http::{get, post_json, put_json, send_json};
use lockgate_tests::{TempDir, spawn_app, tenant_token, test_store, token};

const TENANT: &str = "acme";
const CONNECTOR: &str = "planner-export";
const LONG_AGO: &str = "2026-01-01T00:00:00.000000Z";

fn vis(today: &str) -> Visibility {
    Visibility {
        tenant_id: TENANT.into(),
        connector_id: CONNECTOR.into(),
        today: lockgate::time::parse_date(today).expect("a date"),
        scopes: vec![],
        absence_window: None,
        attendance_window: None,
    }
}

fn person(id: &str, hire: &str, termination: Option<&str>) -> Employee {
    Employee {
        id: id.into(),
        first_name: "Zoë".into(),
        last_name: id.into(),
        preferred_name: None,
        department: None,
        position: None,
        status: "active".into(),
        work_email: None,
        personal_email: None,
        phone: None,
        birth_date: None,
        hire_date: hire.into(),
        termination_date: termination.map(str::to_string),
        legal_entity: None,
        contract_type: None,
        weekly_hours: None,
        supervisor_id: None,
        cost_center: None,
        salary_minor: None,
        hourly_wage_minor: None,
        currency: None,
        login: None,
        // Long before any `since` the tests ask with.
        updated_at: "2025-06-01T00:00:00.000000Z".into(),
    }
}

async fn store() -> (TempDir, Store) {
    let dir = TempDir::named("departures");
    let store = test_store(&dir).await;
    store.create_tenant(TENANT, "Acme").await.unwrap();
    (dir, store)
}

async fn hire(store: &Store, people: &[Employee]) {
    store.upsert_employees(TENANT, people).await.unwrap();
}

async fn exclude(store: &Store, id: &str, connector: &str, at: &str) {
    store
        .set_included_at(TENANT, id, connector, false, at)
        .await
        .unwrap();
}

async fn include(store: &Store, id: &str, at: &str) {
    store
        .set_included_at(TENANT, id, CONNECTOR, true, at)
        .await
        .unwrap();
}

async fn updated_since(store: &Store, today: &str, since: &str) -> Vec<String> {
    let filter = EmployeeFilter {
        limit: 100,
        updated_since: Some(since.into()),
        ..Default::default()
    };
    store
        .visible_employees(&vis(today), &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect()
}

/// Every departure in one page, as `(id, left_at, reason)`.
async fn departures(
    store: &Store,
    today: &str,
    not_before: &str,
    since: &str,
) -> Vec<(String, String, DepartureReason)> {
    let rows = store
        .departures(&vis(today), not_before, since, None, 100)
        .await
        .unwrap();
    assert!(rows.len() <= 100, "one page holds them all");
    rows.into_iter()
        .map(|d| (d.employee_id, d.left_at, d.reason))
        .collect()
}

fn departure(
    id: &str,
    left_at: &str,
    reason: DepartureReason,
) -> (String, String, DepartureReason) {
    (id.into(), left_at.into(), reason)
}

#[tokio::test]
async fn new_hires_and_employees_included_again_are_new_since_then() {
    let (_dir, store) = store().await;
    hire(
        &store,
        &[
            person("hired-today", "2026-03-10", None),
            person("long-there", "2020-01-01", None),
            person("back", "2020-01-01", None),
            person("back-elsewhere", "2020-01-01", None),
            person("hidden-hire", "2026-03-10", None),
            person("starts-tomorrow", "2026-03-11", None),
            person("gone-again", "2020-01-01", Some("2026-03-08")),
        ],
    )
    .await;
    exclude(&store, "back", CONNECTOR, "2026-02-05T08:00:00.000000Z").await;
    include(&store, "back", "2026-03-09T12:00:00.000000Z").await;
    exclude(
        &store,
        "back-elsewhere",
        "other",
        "2026-02-05T08:00:00.000000Z",
    )
    .await;
    store
        .set_included_at(
            TENANT,
            "back-elsewhere",
            "other",
            true,
            "2026-03-09T12:00:00.000000Z",
        )
        .await
        .unwrap();
    // Hired today but excluded: the data rules still hold.
    exclude(
        &store,
        "hidden-hire",
        CONNECTOR,
        "2026-03-01T08:00:00.000000Z",
    )
    .await;
    // Included again, but terminated: not visible, not listed.
    exclude(
        &store,
        "gone-again",
        CONNECTOR,
        "2026-02-05T08:00:00.000000Z",
    )
    .await;
    include(&store, "gone-again", "2026-03-09T12:00:00.000000Z").await;

    let today = "2026-03-10";
    assert_eq!(
        updated_since(&store, today, "2026-03-09T00:00:00.000000Z").await,
        vec!["back", "hired-today"],
        "their records are older than yesterday"
    );
    assert_eq!(
        updated_since(&store, today, "2026-03-10T00:00:00.000000Z").await,
        vec!["hired-today"],
        "visible from the very start of the hire date"
    );
    assert!(
        updated_since(&store, today, "2026-03-10T00:00:00.000001Z")
            .await
            .is_empty(),
        "nobody became visible after midnight"
    );
    assert_eq!(
        updated_since(&store, "2026-03-09", "2026-03-09T00:00:00.000000Z").await,
        vec!["back"],
        "yesterday, today's hire was not visible yet"
    );
    assert_eq!(
        updated_since(&store, "2026-03-11", "2026-03-09T00:00:00.000000Z").await,
        vec!["back", "hired-today", "starts-tomorrow"]
    );
    // Changed records still count, as before.
    let mut changed = person("long-there", "2020-01-01", None);
    changed.updated_at = "2026-03-09T15:00:00.000000Z".into();
    hire(&store, &[changed]).await;
    assert_eq!(
        updated_since(&store, today, "2026-03-09T00:00:00.000000Z").await,
        vec!["back", "hired-today", "long-there"]
    );
}

#[tokio::test]
async fn departures_name_who_left_when_and_why_once() {
    use DepartureReason::{Excluded, OutOfScope, Terminated};
    let (_dir, store) = store().await;
    let old = "2020-01-01";
    hire(
        &store,
        &[
            person("left-yesterday", old, Some("2026-03-09")),
            person("leaves-today", old, Some("2026-03-10")),
            person("excluded", old, None),
            person("removed", old, None),
            person("terminated-then-excluded", old, Some("2026-03-02")),
            person("excluded-then-terminated", old, Some("2026-03-04")),
            person("removed-after-termination", old, Some("2026-03-03")),
            person("removed-after-exclusion", old, None),
            person("excluded-elsewhere", old, None),
            person("excluded-before-hire", "2026-03-08", None),
            person("removed-before-hire", "2026-04-01", None),
            person("rehired", old, Some("2026-03-05")),
            person("included-again", old, None),
            person("excluded-long-ago", old, None),
            person("recreated", old, None),
        ],
    )
    .await;
    exclude(&store, "excluded", CONNECTOR, "2026-03-05T09:30:00.000000Z").await;
    // Saying No again does not move when they left.
    exclude(&store, "excluded", CONNECTOR, "2026-03-09T10:00:00.000000Z").await;
    store
        .remove_employee(TENANT, "removed", "2026-03-06T10:00:00.000000Z")
        .await
        .unwrap();
    exclude(
        &store,
        "terminated-then-excluded",
        CONNECTOR,
        "2026-03-08T00:00:00.000000Z",
    )
    .await;
    exclude(
        &store,
        "excluded-then-terminated",
        CONNECTOR,
        "2026-03-01T08:00:00.000000Z",
    )
    .await;
    store
        .remove_employee(
            TENANT,
            "removed-after-termination",
            "2026-03-07T00:00:00.000000Z",
        )
        .await
        .unwrap();
    exclude(
        &store,
        "removed-after-exclusion",
        CONNECTOR,
        "2026-03-02T10:00:00.000000Z",
    )
    .await;
    store
        .remove_employee(
            TENANT,
            "removed-after-exclusion",
            "2026-03-07T00:00:00.000000Z",
        )
        .await
        .unwrap();
    exclude(
        &store,
        "excluded-elsewhere",
        "other",
        "2026-03-05T00:00:00.000000Z",
    )
    .await;
    exclude(
        &store,
        "excluded-before-hire",
        CONNECTOR,
        "2026-03-01T00:00:00.000000Z",
    )
    .await;
    store
        .remove_employee(TENANT, "removed-before-hire", "2026-03-06T00:00:00.000000Z")
        .await
        .unwrap();
    hire(&store, &[person("rehired", old, None)]).await;
    exclude(
        &store,
        "included-again",
        CONNECTOR,
        "2026-03-04T00:00:00.000000Z",
    )
    .await;
    include(&store, "included-again", "2026-03-06T00:00:00.000000Z").await;
    // An exclusion from before exclusions had a start: never reported.
    sqlx::query(
        "INSERT INTO employee_exclusions (tenant_id, employee_id, connector_id) VALUES ($1, $2, $3)",
    )
    .bind(TENANT)
    .bind("excluded-long-ago")
    .bind(CONNECTOR)
    .execute(store.pool())
    .await
    .unwrap();
    // Removed, then written again: a record again, visible, not gone.
    store
        .remove_employee(TENANT, "recreated", "2026-03-06T00:00:00.000000Z")
        .await
        .unwrap();
    hire(&store, &[person("recreated", old, None)]).await;

    let everyone = vec![
        departure(
            "excluded-then-terminated",
            "2026-03-01T08:00:00.000000Z",
            Excluded,
        ),
        departure(
            "removed-after-exclusion",
            "2026-03-02T10:00:00.000000Z",
            Excluded,
        ),
        departure(
            "terminated-then-excluded",
            "2026-03-03T00:00:00.000000Z",
            Terminated,
        ),
        departure(
            "removed-after-termination",
            "2026-03-04T00:00:00.000000Z",
            Terminated,
        ),
        departure("excluded", "2026-03-05T09:30:00.000000Z", Excluded),
        departure("removed", "2026-03-06T10:00:00.000000Z", OutOfScope),
        departure("left-yesterday", "2026-03-10T00:00:00.000000Z", Terminated),
    ];
    assert_eq!(
        departures(&store, "2026-03-10", LONG_AGO, LONG_AGO).await,
        everyone
    );
    // Yesterday the one terminated yesterday was still there; tomorrow the
    // one leaving today is gone from the start of tomorrow.
    assert_eq!(
        departures(&store, "2026-03-09", LONG_AGO, LONG_AGO).await,
        everyone[..6]
    );
    let tomorrow = departures(&store, "2026-03-11", LONG_AGO, LONG_AGO).await;
    assert_eq!(
        tomorrow.last(),
        Some(&departure(
            "leaves-today",
            "2026-03-11T00:00:00.000000Z",
            Terminated
        ))
    );
    assert_eq!(tomorrow.len(), everyone.len() + 1);
    // Not before `since` (at counts), nor before the install was connected.
    assert_eq!(
        departures(
            &store,
            "2026-03-10",
            LONG_AGO,
            "2026-03-05T09:30:00.000000Z"
        )
        .await,
        everyone[4..]
    );
    assert_eq!(
        departures(
            &store,
            "2026-03-10",
            "2026-03-05T09:30:00.000001Z",
            LONG_AGO
        )
        .await,
        everyone[5..]
    );
    assert_eq!(
        departures(
            &store,
            "2026-03-10",
            LONG_AGO,
            "2026-03-10T00:00:00.000001Z"
        )
        .await,
        vec![]
    );
    // Any RFC 3339 form of an instant is read as that instant.
    assert_eq!(
        departures(&store, "2026-03-10", LONG_AGO, "2026-03-05T10:30:00+01:00").await,
        everyone[4..]
    );
    // Hired after their exclusion, never seen, never listed: not even once
    // their hire date has passed.
    assert!(
        departures(&store, "2026-04-02", LONG_AGO, LONG_AGO)
            .await
            .iter()
            .all(|(id, _, _)| id != "excluded-before-hire" && id != "removed-before-hire")
    );
    // A removal keeps ids and instants, not the person.
    assert!(store.employee(TENANT, "removed").await.unwrap().is_none());
    assert!(store.employee(TENANT, "recreated").await.unwrap().is_some());
    assert!(
        !store
            .remove_employee(TENANT, "removed", "2026-03-08T00:00:00.000000Z")
            .await
            .unwrap(),
        "already gone"
    );
}

/// Writes employees as the HR API does, entered at `at`.
async fn enter(store: &Store, people: &[Employee], at: &str) {
    let writes: Vec<EmployeeWrite> = people
        .iter()
        .map(|p| EmployeeWrite {
            employee: Employee {
                updated_at: at.into(),
                ..p.clone()
            },
            include_in: Default::default(),
            attributes: None,
        })
        .collect();
    store.write_employees(TENANT, &writes, at).await.unwrap();
}

/// A connector that last asked on the 4th at 03:00 must still hear of a
/// termination HR enters on the 5th with the 1st as the last day: until it
/// was entered the person was visible. It is dated when it was entered;
/// one entered in time keeps the start of the day after the last day.
#[tokio::test]
async fn a_termination_entered_late_is_named_from_when_it_was_entered() {
    use DepartureReason::Terminated;
    let (_dir, store) = store().await;
    let old = "2020-01-01";
    let last_run = "2026-03-04T03:00:00.000000Z";
    let entered = "2026-03-05T10:00:00.000000Z";
    hire(
        &store,
        &[
            person("late", old, None),
            person("late-then-removed", old, None),
            person("late-elsewhere-first", old, None),
        ],
    )
    .await;
    enter(
        &store,
        &[person("in-time", old, Some("2026-03-04"))],
        "2026-02-20T09:00:00.000000Z",
    )
    .await;
    // Entered late, the last day long before the previous run.
    enter(&store, &[person("late", old, Some("2026-03-01"))], entered).await;
    enter(
        &store,
        &[person("late-then-removed", old, Some("2026-02-27"))],
        "2026-03-06T08:00:00.000000Z",
    )
    .await;
    store
        .remove_employee(TENANT, "late-then-removed", "2026-03-07T00:00:00.000000Z")
        .await
        .unwrap();
    // Excluded before the last run: it left this connector's sight then.
    exclude(
        &store,
        "late-elsewhere-first",
        CONNECTOR,
        "2026-03-02T00:00:00.000000Z",
    )
    .await;
    enter(
        &store,
        &[person("late-elsewhere-first", old, Some("2026-03-01"))],
        entered,
    )
    .await;
    // A hire entered late with a past hire date is new since then too:
    // the record's `updated_at` is when it was entered.
    enter(&store, &[person("hired-late", "2026-03-01", None)], entered).await;
    assert_eq!(
        updated_since(&store, "2026-03-10", last_run).await,
        vec!["hired-late"]
    );

    let since_last_run = vec![
        departure("in-time", "2026-03-05T00:00:00.000000Z", Terminated),
        departure("late", entered, Terminated),
        departure(
            "late-then-removed",
            "2026-03-06T08:00:00.000000Z",
            Terminated,
        ),
    ];
    assert_eq!(
        departures(&store, "2026-03-10", LONG_AGO, last_run).await,
        since_last_run
    );
    // Asked from before everything: the same instants.
    assert_eq!(
        departures(&store, "2026-03-10", LONG_AGO, LONG_AGO).await,
        [
            vec![departure(
                "late-elsewhere-first",
                "2026-03-02T00:00:00.000000Z",
                DepartureReason::Excluded
            )],
            since_last_run.clone()
        ]
        .concat()
    );
    // The page after the first one continues behind the late entry.
    let rows = store
        .departures(&vis("2026-03-10"), LONG_AGO, last_run, None, 2)
        .await
        .unwrap();
    let (page, next) = split_page_by(rows, 2, Departure::cursor);
    assert_eq!(page.len(), 2);
    let rest = store
        .departures(&vis("2026-03-10"), LONG_AGO, last_run, next, 2)
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].employee_id, "late-then-removed");

    // Entered again unchanged (a repeated import): still dated when the
    // termination was first entered, so not named to a later run again.
    enter(
        &store,
        &[person("late", old, Some("2026-03-01"))],
        "2026-03-08T10:00:00.000000Z",
    )
    .await;
    assert_eq!(
        departures(
            &store,
            "2026-03-10",
            LONG_AGO,
            "2026-03-07T00:00:00.000000Z"
        )
        .await,
        vec![]
    );
    // A changed termination date is entered anew.
    enter(
        &store,
        &[person("late", old, Some("2026-02-28"))],
        "2026-03-09T10:00:00.000000Z",
    )
    .await;
    assert_eq!(
        departures(
            &store,
            "2026-03-10",
            LONG_AGO,
            "2026-03-07T00:00:00.000000Z"
        )
        .await,
        vec![departure("late", "2026-03-09T10:00:00.000000Z", Terminated)]
    );
    // Removed after the late entry: the termination came first.
    store
        .remove_employee(TENANT, "late", "2026-03-09T11:00:00.000000Z")
        .await
        .unwrap();
    assert_eq!(
        departures(
            &store,
            "2026-03-10",
            LONG_AGO,
            "2026-03-07T00:00:00.000000Z"
        )
        .await,
        vec![departure("late", "2026-03-09T10:00:00.000000Z", Terminated)]
    );
}

#[tokio::test]
async fn departures_page_completely_and_stably() {
    let (_dir, store) = store().await;
    // Three on one instant (the same termination date), ordered by id.
    hire(
        &store,
        &[
            person("p-c", "2020-01-01", Some("2026-03-04")),
            person("p-a", "2020-01-01", Some("2026-03-04")),
            person("p-b", "2020-01-01", Some("2026-03-04")),
            person("p-x", "2020-01-01", None),
            person("p-y", "2020-01-01", None),
            person("p-z", "2020-01-01", None),
        ],
    )
    .await;
    exclude(&store, "p-x", CONNECTOR, "2026-03-02T00:00:00.000000Z").await;
    exclude(&store, "p-y", CONNECTOR, "2026-03-06T00:00:00.000000Z").await;
    store
        .remove_employee(TENANT, "p-z", "2026-03-05T00:00:00.000000Z")
        .await
        .unwrap();
    // Terminated first, entered late: ordered by when it was entered.
    enter(
        &store,
        &[person("p-l", "2020-01-01", Some("2026-03-01"))],
        "2026-03-05T12:00:00.000000Z",
    )
    .await;
    let vis = vis("2026-03-10");
    let all = store
        .departures(&vis, LONG_AGO, LONG_AGO, None, 100)
        .await
        .unwrap();
    let ids: Vec<&str> = all.iter().map(|d| d.employee_id.as_str()).collect();
    assert_eq!(ids, ["p-x", "p-a", "p-b", "p-c", "p-z", "p-l", "p-y"]);

    let mut pages: Vec<Vec<Departure>> = Vec::new();
    let mut cursor = None;
    loop {
        let rows = store
            .departures(&vis, LONG_AGO, LONG_AGO, cursor.clone(), 2)
            .await
            .unwrap();
        assert!(rows.len() <= 3, "at most one beyond the page");
        let (page, next) = split_page_by(rows, 2, Departure::cursor);
        // The same cursor gives the same page.
        let again = store
            .departures(&vis, LONG_AGO, LONG_AGO, cursor.clone(), 2)
            .await
            .unwrap();
        assert_eq!(split_page_by(again, 2, Departure::cursor).0, page);
        pages.push(page);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2, 1]);
    assert_eq!(pages.concat(), all);

    for bad in [
        "zz",
        "2026-03-04T00:00:00Z/p-a",
        "2026-03-04T00:00:00.000000Z/a b",
    ] {
        let err = store
            .departures(&vis, LONG_AGO, LONG_AGO, Some(bad.into()), 2)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid(m) if m.contains("cursor")),
            "{bad}: {err}"
        );
    }
    let err = store
        .departures(&vis, LONG_AGO, "yesterday", None, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("since")),
        "{err}"
    );
}

#[tokio::test]
async fn removing_an_employee_over_the_api_erases_them_and_tells_connectors() {
    let app = spawn_app().await;
    // Inclusion answers name connectors the catalog knows.
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let operator = token(&app, Role::Operator, None, None).await;
    for (id, name) in [("acme", "Acme"), ("globex", "Globex")] {
        let body = format!(r#"{{"id":"{id}","name":"{name}"}}"#);
        let (status, _) = post_json(&app, &operator, "/api/v1/tenants", &body).await;
        assert_eq!(status, 201);
    }
    let acme = tenant_token(&app, "acme", true).await;
    let globex = tenant_token(&app, "globex", true).await;
    let at = |s: &str| lockgate::time::parse_instant(s).unwrap();
    let t = "/api/v1/tenants/acme";
    let employee = r#"{"first_name":"Zoë","last_name":"Peeters","hire_date":"2020-03-01"}"#;
    assert_eq!(
        put_json(&app, &acme, &format!("{t}/employees/e-1"), employee)
            .await
            .0,
        200
    );
    let absence = r#"{"employee_id":"e-1","type_name":"Vacation","start_date":"2026-03-02","end_date":"2026-03-03"}"#;
    let (status, body) = put_json(&app, &acme, &format!("{t}/absences/a-1"), absence).await;
    assert_eq!(status, 200, "{body}");
    // An exclusion starts by the app's clock, and a repeated No keeps it.
    let excluded = r#"{"first_name":"Ann","last_name":"Smets","hire_date":"2020-03-01","include_in":{"planner-export":false}}"#;
    app.clock.set(at("2026-03-05T08:00:00Z"));
    assert_eq!(
        put_json(&app, &acme, &format!("{t}/employees/e-2"), excluded)
            .await
            .0,
        200
    );
    app.clock.set(at("2026-03-05T09:00:00Z"));
    assert_eq!(
        put_json(&app, &acme, &format!("{t}/employees/e-2"), excluded)
            .await
            .0,
        200
    );

    let delete = |token: &str, path: String| {
        let token = token.to_string();
        let app = &app;
        async move { send_json(app, reqwest::Method::DELETE, &token, &path, "").await }
    };
    // Another tenant's admin learns nothing and erases nothing.
    let (status, body) = delete(&globex, format!("{t}/employees/e-1")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = delete(&globex, "/api/v1/tenants/globex/employees/e-1".into()).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert!(app.store.employee("acme", "e-1").await.unwrap().is_some());

    app.clock.set(at("2026-03-06T10:00:00Z"));
    let (status, body) = delete(&acme, format!("{t}/employees/e-1")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        get(&app, &acme, &format!("{t}/employees/e-1"), None)
            .await
            .0,
        404
    );
    assert_eq!(
        get(&app, &acme, &format!("{t}/absences/a-1"), None).await.0,
        404
    );
    assert!(app.store.all_absences("acme").await.unwrap().is_empty());
    let (status, body) = delete(&acme, format!("{t}/employees/e-1")).await;
    assert_eq!(status, 404, "{body}");

    let vis = vis("2026-03-10");
    let found: Vec<(String, String, DepartureReason)> = app
        .store
        .departures(&vis, LONG_AGO, LONG_AGO, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.employee_id, d.left_at, d.reason))
        .collect();
    assert_eq!(
        found,
        vec![
            departure(
                "e-2",
                "2026-03-05T08:00:00.000000Z",
                DepartureReason::Excluded
            ),
            departure(
                "e-1",
                "2026-03-06T10:00:00.000000Z",
                DepartureReason::OutOfScope
            ),
        ]
    );

    // Included again over the API: visible, new since then, gone no more.
    let included = excluded.replace("false", "true");
    app.clock.set(at("2026-03-07T12:00:00Z"));
    assert_eq!(
        put_json(&app, &acme, &format!("{t}/employees/e-2"), &included)
            .await
            .0,
        200
    );
    let filter = EmployeeFilter {
        limit: 10,
        updated_since: Some("2026-03-07T00:00:00.000000Z".into()),
        ..Default::default()
    };
    let mut old = app.store.employee("acme", "e-2").await.unwrap().unwrap();
    old.updated_at = "2025-01-01T00:00:00.000000Z".into();
    app.store
        .write_employees(
            "acme",
            &[EmployeeWrite {
                employee: old,
                include_in: Default::default(),
                attributes: None,
            }],
            "2026-03-07T12:00:01.000000Z",
        )
        .await
        .unwrap();
    let visible: Vec<String> = app
        .store
        .visible_employees(&vis, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(visible, ["e-2"], "included again on the 7th");
    let still_gone = app
        .store
        .departures(&vis, LONG_AGO, LONG_AGO, None, 10)
        .await
        .unwrap();
    assert_eq!(still_gone.len(), 1, "{still_gone:?}");
    assert_eq!(still_gone[0].employee_id, "e-1");
}
