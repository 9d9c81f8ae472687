//! Working time (attendance periods): written, read, listed and removed
//! by the tenant over the API and from CSV files, every problem named and
//! overlaps refused (across midnight too); events for the installs that
//! may see a period; and the connector's side in the store, under the
//! data rules (visible employees, the employment and granted windows,
//! idempotent writes by the connector's own ids).

use lockgate::hr::attendance::split_attendance_page;
use lockgate::hr::{AttendanceFilter, AttendancePeriod, AttendanceRefusal, Visibility, WriteMode};
use lockgate_manifest::manifest::EventKind;
use lockgate_manifest::{AbsenceWindow, Scope};
use lockgate_tests::http::{get, put_json};
use lockgate_tests::{TestApp, spawn_app, tenant_token};
use serde_json::{Value, json};

const T: &str = "/api/v1/tenants/t-1";

/// An app with tenant `t-1` and its admin's token; employees `e-1` and
/// `e-2`, hired in 2020.
async fn setup() -> (TestApp, String) {
    let app = spawn_app().await;
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    let admin = tenant_token(&app, "t-1", true).await;
    for id in ["e-1", "e-2"] {
        employee(&app, &admin, "t-1", id, "2020-01-01", None).await;
    }
    (app, admin)
}

async fn employee(
    app: &TestApp,
    token: &str,
    tenant: &str,
    id: &str,
    hire: &str,
    termination: Option<&str>,
) {
    let body = json!({
        "first_name": "Zoë", "last_name": "Gruber", "hire_date": hire,
        "termination_date": termination,
    });
    let (status, answer) = put_json(
        app,
        token,
        &format!("/api/v1/tenants/{tenant}/employees/{id}"),
        &body.to_string(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
}

fn timed(employee: &str, date: &str, start: &str, end: &str) -> Value {
    json!({ "employee_id": employee, "date": date, "start_time": start, "end_time": end })
}

async fn put(app: &TestApp, token: &str, id: &str, body: &Value) -> (u16, Value) {
    put_json(
        app,
        token,
        &format!("{T}/attendances/{id}"),
        &body.to_string(),
    )
    .await
}

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    let res = reqwest::Client::new()
        .delete(format!("{}{path}", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    lockgate_tests::openapi::check_answer("delete", path, status, &body);
    status
}

fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields in {err}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

fn first_message(err: &Value) -> String {
    err["error"]["fields"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no message in {err}"))
        .to_string()
}

#[tokio::test]
async fn periods_are_written_read_and_removed_and_overlaps_refused() {
    let (app, admin) = setup().await;

    let (status, morning) = put(
        &app,
        &admin,
        "a-1",
        &timed("e-1", "2026-03-02", "08:00", "12:00"),
    )
    .await;
    assert_eq!(status, 200, "{morning}");
    assert_eq!(morning["duration_minutes"], 240);
    assert_eq!(morning["status"], "confirmed");
    assert_eq!(morning["source"], Value::Null);
    assert_eq!(morning["external_id"], Value::Null);

    // A night shift: the end is on the next day; the break is not worked.
    let mut night = timed("e-1", "2026-03-02", "22:00", "06:00");
    night["break_minutes"] = json!(30);
    night["project"] = json!("  Inventur  ");
    let (status, saved) = put(&app, &admin, "a-2", &night).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["duration_minutes"], 450);
    assert_eq!(saved["project"], "Inventur");

    // Only a duration: never an overlap.
    let duration = json!({ "employee_id": "e-1", "date": "2026-03-03",
        "duration_minutes": 120, "status": "pending", "comment": "Schulung" });
    let (status, saved) = put(&app, &admin, "a-3", &duration).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["start_time"], Value::Null);
    assert_eq!(saved["duration_minutes"], 120);

    // Overlaps are refused, naming the other period: the night shift
    // reaches into the next morning.
    let (status, err) = put(
        &app,
        &admin,
        "a-4",
        &timed("e-1", "2026-03-03", "05:00", "07:00"),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(fields(&err), ["start_time"]);
    assert_eq!(
        first_message(&err),
        "overlaps the period 22:00–06:00 on 2026-03-02 (id a-2)"
    );
    let (status, err) = put(
        &app,
        &admin,
        "a-4",
        &timed("e-1", "2026-03-02", "11:00", "13:00"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(first_message(&err).contains("08:00–12:00"), "{err}");
    // A night shift the day before that ends in the new one, too.
    let (status, err) = put(
        &app,
        &admin,
        "a-4",
        &timed("e-1", "2026-03-01", "20:00", "08:30"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(first_message(&err).contains("(id a-1)"), "{err}");
    assert!(app.store.attendance("t-1", "a-4").await.unwrap().is_none());
    // Touching is no overlap; another employee's hours are their own.
    for (id, body) in [
        ("a-4", timed("e-1", "2026-03-02", "12:00", "13:00")),
        ("a-5", timed("e-1", "2026-03-03", "06:00", "07:00")),
        ("b-1", timed("e-2", "2026-03-02", "08:00", "12:00")),
    ] {
        let (status, answer) = put(&app, &admin, id, &body).await;
        assert_eq!(status, 200, "{id}: {answer}");
    }

    // Writing the same again changes nothing; a period replaced does not
    // overlap itself.
    let (status, again) = put(
        &app,
        &admin,
        "a-1",
        &timed("e-1", "2026-03-02", "08:00", "12:00"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, morning);
    let (status, moved) = put(
        &app,
        &admin,
        "a-1",
        &timed("e-1", "2026-03-02", "09:00", "12:00"),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["duration_minutes"], 180);
    let (status, read) = get(&app, &admin, &format!("{T}/attendances/a-1"), None).await;
    assert_eq!((status, &read), (200, &moved));

    // Every problem at once, and nothing stored.
    let bad = json!({
        "employee_id": "a b", "date": "2026-02-30", "start_time": "25:00",
        "status": "done", "project": "x\u{0}", "comment": "c".repeat(1001),
    });
    let (status, err) = put(&app, &admin, "-bad", &bad).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        fields(&err),
        [
            "id",
            "employee_id",
            "date",
            "start_time",
            "end_time",
            "status",
            "project",
            "comment"
        ]
    );
    let mut wrong = timed("e-1", "2026-03-05", "08:00", "16:30");
    wrong["break_minutes"] = json!(30);
    wrong["duration_minutes"] = json!(510);
    let (status, err) = put(&app, &admin, "a-9", &wrong).await;
    assert_eq!(status, 422);
    assert_eq!(fields(&err), ["duration_minutes"]);
    assert!(first_message(&err).contains("give 480"), "{err}");
    wrong["duration_minutes"] = json!(480);
    wrong["break_minutes"] = json!(510);
    let (status, err) = put(&app, &admin, "a-9", &wrong).await;
    assert_eq!(status, 422);
    assert_eq!(fields(&err), ["break_minutes"]);
    for (body, field) in [
        (
            json!({ "employee_id": "e-1", "date": "2026-03-05" }),
            "duration_minutes",
        ),
        (
            json!({ "employee_id": "e-1", "date": "2026-03-05", "duration_minutes": 1441 }),
            "duration_minutes",
        ),
        (
            json!({ "employee_id": "e-1", "date": "2026-03-05", "end_time": "10:00" }),
            "start_time",
        ),
        (
            json!({ "employee_id": "e-9", "date": "2026-03-05", "duration_minutes": 60 }),
            "employee_id",
        ),
    ] {
        let (status, err) = put(&app, &admin, "a-9", &body).await;
        assert_eq!(status, 422, "{body}: {err}");
        assert_eq!(fields(&err), [field], "{body}");
    }
    let (status, err) = put(
        &app,
        &admin,
        "a-9",
        &json!({ "employee_id": "e-1", "date": "2026-03-05",
        "duration_minutes": 60, "overtime": true }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("overtime"),
        "{err}"
    );
    assert!(app.store.attendance("t-1", "a-9").await.unwrap().is_none());
    assert!(app.store.attendance("t-1", "-bad").await.unwrap().is_none());

    // Removed once; then there is none.
    assert_eq!(
        delete(&app, &admin, &format!("{T}/attendances/a-4")).await,
        204
    );
    assert_eq!(
        delete(&app, &admin, &format!("{T}/attendances/a-4")).await,
        404
    );
    let (status, _) = get(&app, &admin, &format!("{T}/attendances/a-4"), None).await;
    assert_eq!(status, 404);

    // Another tenant's admin sees nothing of it, under either tenant.
    app.store.create_tenant("t-2", "Globex").await.unwrap();
    let other = tenant_token(&app, "t-2", true).await;
    employee(&app, &other, "t-2", "e-1", "2020-01-01", None).await;
    for path in [
        format!("{T}/attendances/a-1"),
        "/api/v1/tenants/t-2/attendances/a-1".to_string(),
    ] {
        let (status, _) = get(&app, &other, &path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(
        delete(&app, &other, &format!("{T}/attendances/a-1")).await,
        404
    );
    let (status, _) = put_json(
        &app,
        &other,
        &format!("{T}/attendances/a-1"),
        &timed("e-1", "2026-03-02", "08:00", "09:00").to_string(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, page) = get(&app, &other, "/api/v1/tenants/t-2/attendances", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"], json!([]));
    assert!(app.store.attendance("t-1", "a-1").await.unwrap().is_some());
    // t-2 writes its own a-1 (its own e-1): no overlap with t-1's.
    let (status, _) = put_json(
        &app,
        &other,
        "/api/v1/tenants/t-2/attendances/a-1",
        &timed("e-1", "2026-03-02", "09:00", "12:00").to_string(),
    )
    .await;
    assert_eq!(status, 200);
}

/// Every page of the list under `query`, as the ids in order.
async fn all_pages(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = format!("{T}/attendances?limit=2{query}");
    loop {
        let (status, page) = get(app, token, &path, None).await;
        assert_eq!(status, 200, "{path}: {page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        ids.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_string()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("{T}/attendances?limit=2{query}&cursor={cursor}"),
            None => return ids,
        }
    }
}

#[tokio::test]
async fn periods_are_listed_by_day_page_by_page_and_filtered() {
    let (app, admin) = setup().await;
    for (id, employee, date, start, end) in [
        ("z-1", "e-1", "2026-03-01", "08:00", "12:00"),
        ("a-2", "e-1", "2026-03-02", "08:00", "12:00"),
        ("b-2", "e-2", "2026-03-02", "08:00", "12:00"),
        ("c-2", "e-1", "2026-03-02", "13:00", "17:00"),
        ("a-3", "e-2", "2026-03-03", "22:00", "06:00"),
    ] {
        let (status, body) = put(&app, &admin, id, &timed(employee, date, start, end)).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        all_pages(&app, &admin, "").await,
        ["z-1", "a-2", "b-2", "c-2", "a-3"]
    );
    assert_eq!(
        all_pages(&app, &admin, "&from=2026-03-02&to=2026-03-02").await,
        ["a-2", "b-2", "c-2"]
    );
    assert_eq!(
        all_pages(&app, &admin, "&employee_id=e-2").await,
        ["b-2", "a-3"]
    );
    assert!(
        all_pages(&app, &admin, "&updated_since=2999-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    assert_eq!(
        all_pages(&app, &admin, "&updated_since=2000-01-01T00:00:00%2B01:00")
            .await
            .len(),
        5
    );

    let (status, err) = get(
        &app,
        &admin,
        &format!("{T}/attendances?from=march&to=2026-13-01&updated_since=yesterday"),
        None,
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(fields(&err), ["from", "to", "updated_since"]);
    let (status, err) = get(
        &app,
        &admin,
        &format!("{T}/attendances?from=2026-03-02&to=2026-03-01"),
        None,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&err), ["to"]);
    let (status, _) = get(&app, &admin, &format!("{T}/attendances?cursor=zz"), None).await;
    assert_eq!(status, 400);
    // A cursor of another list (an id alone) is not this list's.
    let (status, _) = get(
        &app,
        &admin,
        &format!(
            "{T}/attendances?cursor={}",
            "a-2"
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = get(&app, &admin, &format!("{T}/attendances?sort=id"), None).await;
    assert_eq!(status, 400);
}

async fn post_csv(app: &TestApp, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let path = format!("{T}/attendances/import");
    let res = reqwest::Client::new()
        .post(format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    lockgate_tests::openapi::check_answer("post", &path, status, &body);
    (status, body)
}

async fn stored_ids(app: &TestApp) -> Vec<String> {
    let filter = AttendanceFilter {
        limit: 100,
        ..AttendanceFilter::default()
    };
    app.store
        .attendances_page("t-1", &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect()
}

#[tokio::test]
async fn periods_are_imported_from_csv_files_all_or_nothing() {
    let (app, admin) = setup().await;
    let file = "id,employee_id,date,start_time,end_time,duration_minutes,break_minutes,project,comment,status\r\n\
        i-1,e-1,2026-03-02,08:00,16:30,,30,Inventur,,\r\n\
        i-2,e-1,2026-03-02,22:00,06:00,,,,Nachtschicht,pending\r\n\
        ,,,,,,,,,\r\n\
        i-3,e-2,2026-03-03,,,90,,,,\r\n";
    let (status, answer) = post_csv(&app, &admin, file.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["imported"], 3);
    assert_eq!(answer["encoding"], "UTF-8");
    assert_eq!(answer["delimiter"], ",");
    let i1 = app.store.attendance("t-1", "i-1").await.unwrap().unwrap();
    assert_eq!((i1.duration_minutes, i1.break_minutes), (480, 30));
    assert_eq!(i1.project.as_deref(), Some("Inventur"));
    assert_eq!(i1.comment, None);
    let i2 = app.store.attendance("t-1", "i-2").await.unwrap().unwrap();
    assert_eq!((i2.status.as_str(), i2.duration_minutes), ("pending", 480));

    // A German export: `;` and Windows-1252; fewer columns, any order.
    let mut german = b"id;date;employee_id;comment;duration_minutes\n".to_vec();
    german.extend_from_slice(b"g-1;2026-03-04;e-1;\xdcberstunden f\xfcr M\xfcller;45\n");
    let (status, answer) = post_csv(&app, &admin, german).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["encoding"], "windows-1252");
    assert_eq!(answer["delimiter"], ";");
    let g1 = app.store.attendance("t-1", "g-1").await.unwrap().unwrap();
    assert_eq!(g1.comment.as_deref(), Some("Überstunden für Müller"));
    assert_eq!(g1.duration_minutes, 45);

    // One bad row refuses the file: every problem by line and column,
    // overlaps with stored periods and with earlier rows of the file.
    let before = stored_ids(&app).await;
    let bad = "id,employee_id,date,start_time,end_time,duration_minutes\n\
        n-1,e-2,2026-03-05,08:00,12:00,\n\
        n-2,e-2,2026-03-05,11:00,25:00,\n\
        n-3,e-9,2026-03-05,,,sixty\n\
        n-1,e-2,2026-03-06,,,60\n";
    let (status, err) = post_csv(&app, &admin, bad.as_bytes().to_vec()).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        fields(&err),
        [
            "line 3: end_time",
            "line 4: duration_minutes",
            "line 4: duration_minutes",
            "line 4: employee_id",
            "line 5: id",
        ]
    );
    let overlapping = "id,employee_id,date,start_time,end_time\n\
        n-1,e-2,2026-03-05,08:00,12:00\n\
        n-2,e-2,2026-03-05,11:00,13:00\n\
        n-3,e-1,2026-03-03,05:00,07:00\n";
    let (status, err) = post_csv(&app, &admin, overlapping.as_bytes().to_vec()).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(fields(&err), ["line 3: start_time", "line 4: start_time"]);
    let messages: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("(id n-1)"), "{messages:?}");
    assert!(messages[1].contains("(id i-2)"), "{messages:?}");
    let (status, err) = post_csv(
        &app,
        &admin,
        b"id,employee_id,start\nx,e-1,08:00\n".to_vec(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(fields(&err), ["line 1: start", "line 1: date"]);
    assert_eq!(
        stored_ids(&app).await,
        before,
        "nothing of the refused files"
    );
}

fn visibility(connector: &str, scopes: Vec<Scope>) -> Visibility {
    Visibility {
        tenant_id: "t-1".into(),
        connector_id: connector.into(),
        today: lockgate::time::today(),
        scopes,
        absence_window: None,
        attendance_window: Some(AbsenceWindow {
            past_days: 30,
            future_days: 10,
        }),
    }
}

fn day(offset: i64) -> String {
    lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), offset))
}

fn period(employee: &str, date: &str, start: &str, end: &str) -> AttendancePeriod {
    AttendancePeriod {
        employee_id: employee.into(),
        date: date.into(),
        start_time: Some(start.into()),
        end_time: Some(end.into()),
        status: "confirmed".into(),
        ..AttendancePeriod::default()
    }
}

fn invalid(refusal: AttendanceRefusal) -> String {
    match refusal {
        AttendanceRefusal::Invalid(m) => m,
        other => panic!("not Invalid: {other:?}"),
    }
}

#[tokio::test]
async fn connectors_write_by_their_own_ids_under_the_data_rules() {
    let app = spawn_app().await;
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    let admin = tenant_token(&app, "t-1", true).await;
    let (hired, leaving) = (day(-100), day(5));
    employee(&app, &admin, "t-1", "e-1", &hired, None).await;
    employee(&app, &admin, "t-1", "e-excluded", &hired, None).await;
    employee(&app, &admin, "t-1", "e-future", &day(3), None).await;
    employee(&app, &admin, "t-1", "e-leaving", &hired, Some(&leaving)).await;
    app.store
        .set_included("t-1", "e-excluded", "conn-a", false)
        .await
        .unwrap();
    let vis = visibility(
        "conn-a",
        vec![Scope::AttendancesRead, Scope::AttendancesWrite],
    );
    let today = day(0);
    let write = |ext: &'static str, p: AttendancePeriod, mode: WriteMode| {
        let (store, vis) = (app.store.clone(), vis.clone());
        async move {
            store
                .connector_write_attendance(&vis, ext, &p, mode)
                .await
                .unwrap()
        }
    };

    // Created once; created again (a retried webhook) answers the first,
    // whatever the values now.
    let first = write(
        "x-1",
        period("e-1", &today, "08:00", "12:00"),
        WriteMode::Create,
    )
    .await
    .unwrap();
    assert!(first.before.is_none());
    let created = first.after;
    assert!(created.id.starts_with("att-"), "{}", created.id);
    assert_eq!(created.source.as_deref(), Some("conn-a"));
    assert_eq!(created.external_id.as_deref(), Some("x-1"));
    let again = write(
        "x-1",
        period("e-1", &today, "13:00", "14:00"),
        WriteMode::Create,
    )
    .await
    .unwrap();
    assert_eq!(again.before.as_ref(), Some(&created));
    assert_eq!(again.after, created);
    assert!(!again.changed());

    // Updated: the same values change nothing, new ones replace them.
    let same = write(
        "x-1",
        period("e-1", &today, "08:00", "12:00"),
        WriteMode::Update,
    )
    .await
    .unwrap();
    assert_eq!(same.after, created, "updated_at kept");
    let moved = write(
        "x-1",
        period("e-1", &today, "09:00", "12:00"),
        WriteMode::Update,
    )
    .await
    .unwrap();
    assert!(moved.changed());
    assert_eq!(moved.after.id, created.id);
    assert_eq!(moved.after.start_time.as_deref(), Some("09:00"));
    let missing = write(
        "x-none",
        period("e-1", &today, "13:00", "14:00"),
        WriteMode::Update,
    )
    .await;
    assert!(
        matches!(missing, Err(AttendanceRefusal::NotFound(_))),
        "{missing:?}"
    );

    // Employees the connector may not see are not found, and the answer
    // does not tell them from employees that do not exist.
    let mut not_found = Vec::new();
    for employee in ["e-excluded", "e-future", "e-nobody"] {
        match write(
            "x-2",
            period(employee, &today, "08:00", "12:00"),
            WriteMode::Create,
        )
        .await
        {
            Err(AttendanceRefusal::NotFound(m)) => not_found.push(m.replace(employee, "…")),
            other => panic!("{employee}: {other:?}"),
        }
    }
    assert!(
        not_found.iter().all(|m| *m == not_found[0]),
        "{not_found:?}"
    );

    // Days outside the employment or the granted window, and overlaps.
    let refused = write(
        "x-3",
        period("e-leaving", &day(6), "08:00", "12:00"),
        WriteMode::Create,
    )
    .await;
    let message = invalid(refused.unwrap_err());
    assert!(
        message.contains("outside the employment") && message.contains(&leaving),
        "{message}"
    );
    let refused = write(
        "x-3",
        period("e-1", &day(-31), "08:00", "12:00"),
        WriteMode::Create,
    )
    .await;
    let message = invalid(refused.unwrap_err());
    assert!(
        message.contains("outside the granted attendance window"),
        "{message}"
    );
    let refused = write(
        "x-3",
        period("e-1", &day(-1), "22:00", "09:30"),
        WriteMode::Create,
    )
    .await;
    assert_eq!(
        invalid(refused.unwrap_err()),
        format!(
            "overlaps the period 09:00–12:00 on {today} (id {})",
            created.id
        )
    );
    let refused = write(
        "x-3",
        period("e-1", &today, "25:00", "26:00"),
        WriteMode::Create,
    )
    .await;
    assert!(invalid(refused.unwrap_err()).contains("start_time"));
    let refused = write(
        "",
        period("e-1", &today, "13:00", "14:00"),
        WriteMode::Create,
    )
    .await;
    assert!(invalid(refused.unwrap_err()).contains("external id"));
    let leaving_ok = write(
        "x-4",
        period("e-leaving", &day(5), "08:00", "12:00"),
        WriteMode::Create,
    )
    .await;
    assert!(leaving_ok.is_ok(), "the last day is inside: {leaving_ok:?}");

    // Two hosts writing overlapping periods at the same moment: one wins.
    let replica = lockgate::Store::open(&app.db_url).await.unwrap();
    let (early, late) = (
        period("e-1", &day(-2), "08:00", "12:00"),
        period("e-1", &day(-2), "10:00", "14:00"),
    );
    let (x, y) = tokio::join!(
        app.store
            .connector_write_attendance(&vis, "race-1", &early, WriteMode::Create),
        replica.connector_write_attendance(&vis, "race-2", &late, WriteMode::Create),
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
    for ext in ["race-1", "race-2"] {
        app.store
            .connector_delete_attendance(&vis, ext)
            .await
            .unwrap();
    }

    // Reading: visible employees, days inside the window and the
    // employment, by day then id, one extra row for the cursor.
    let tenant_period = |employee: &str, date: &str| AttendancePeriod {
        employee_id: employee.into(),
        date: date.into(),
        duration_minutes: Some(60),
        status: "confirmed".into(),
        ..AttendancePeriod::default()
    };
    for (id, p) in [
        ("t-excluded", tenant_period("e-excluded", &today)),
        ("t-old", tenant_period("e-1", &day(-40))),
        ("t-later", tenant_period("e-1", &day(3))),
        ("t-after-leaving", tenant_period("e-leaving", &day(8))),
    ] {
        app.store
            .put_attendance("t-1", id, &p)
            .await
            .unwrap()
            .unwrap();
    }
    let all = AttendanceFilter {
        limit: 10,
        ..AttendanceFilter::default()
    };
    let seen: Vec<String> = app
        .store
        .visible_attendances(&vis, &all)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(
        seen,
        [
            created.id.clone(),
            "t-later".into(),
            leaving_ok.unwrap().after.id
        ]
    );
    let first_page = AttendanceFilter {
        limit: 1,
        ..AttendanceFilter::default()
    };
    let rows = app
        .store
        .visible_attendances(&vis, &first_page)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "one more than the page, to know more follow");
    let (page, next) = split_attendance_page(rows, 1);
    assert_eq!(page[0].id, created.id);
    let second = AttendanceFilter {
        after: next,
        limit: 1,
        ..AttendanceFilter::default()
    };
    let rows = app.store.visible_attendances(&vis, &second).await.unwrap();
    assert_eq!(rows[0].id, "t-later");
    let later = AttendanceFilter {
        from: Some(day(1)),
        to: Some(day(4)),
        employee_id: Some("e-1".into()),
        limit: 10,
        ..AttendanceFilter::default()
    };
    let rows = app.store.visible_attendances(&vis, &later).await.unwrap();
    assert_eq!(
        rows.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["t-later"]
    );
    assert!(
        app.store
            .visible_attendance(&vis, "t-excluded")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .visible_attendance(&vis, "t-old")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.store
            .visible_attendance(&vis, &created.id)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(created.id.clone())
    );
    let ungranted = visibility("conn-a", vec![Scope::EmployeesBasic]);
    assert!(
        app.store
            .visible_attendances(&ungranted, &all)
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting: only the connector's own periods, once.
    let other = visibility("conn-b", vec![Scope::AttendancesWrite]);
    assert!(
        app.store
            .connector_delete_attendance(&other, "x-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .connector_delete_attendance(&vis, "t-later")
            .await
            .unwrap()
            .is_none()
    );
    let gone = app
        .store
        .connector_delete_attendance(&vis, "x-1")
        .await
        .unwrap();
    assert_eq!(gone.map(|a| a.id), Some(created.id.clone()));
    assert!(
        app.store
            .connector_delete_attendance(&vis, "x-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .attendance("t-1", &created.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .attendance("t-1", "t-later")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn changes_are_queued_for_installs_that_may_see_them_but_not_their_own() {
    let app = spawn_app().await;
    crate::events::install_events_connector(&app, "127.0.0.1:9").await;
    let admin = tenant_token(&app, "t-1", true).await;
    employee(&app, &admin, "t-1", "n-1", &day(-5), None).await;
    employee(&app, &admin, "t-1", "n-2", &day(-5), None).await;
    app.store
        .set_included("t-1", "n-2", "test-events", false)
        .await
        .unwrap();
    let jobs = || async {
        app.store
            .install_jobs("inst-events", 50)
            .await
            .unwrap()
            .into_iter()
            .filter(|j| {
                j.payload
                    .as_deref()
                    .is_some_and(|p| p.contains("attendance"))
            })
            .count()
    };

    // The installed test connector subscribes to attendance events (a
    // window of 30 days each way): a write over the API queues one job.
    let (status, body) = put(
        &app,
        &admin,
        "p-1",
        &timed("n-1", &day(0), "08:00", "12:00"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(jobs().await, 1);

    // The same install as a connector that subscribes and may read
    // attendances in a window of a week each way.
    let install = app.store.install("inst-events").await.unwrap().unwrap();
    let plugin = app.load_plugin(&install.plugin_sha256).await.unwrap();
    let mut manifest = plugin.manifest.clone();
    manifest.scopes.push(Scope::AttendancesRead);
    manifest.attendance_window = Some(AbsenceWindow {
        past_days: 7,
        future_days: 7,
    });
    manifest.triggers.events.extend([
        EventKind::AttendanceCreated,
        EventKind::AttendanceUpdated,
        EventKind::AttendanceDeleted,
    ]);
    let queue = |events: Vec<lockgate::events::HrEvent>, manifest: lockgate_manifest::Manifest| {
        let (state, install) = ((*app).clone(), install.clone());
        async move {
            lockgate::events::queue_for(&state, &install, &manifest, &events)
                .await
                .unwrap()
        }
    };
    let stored = |id: &'static str| {
        let store = app.store.clone();
        async move { store.attendance("t-1", id).await.unwrap().unwrap() }
    };
    let p1 = stored("p-1").await;
    let created = lockgate::events::attendance_event(None, Some(&p1)).unwrap();
    assert_eq!(created.kind, EventKind::AttendanceCreated);
    assert_eq!(queue(vec![created.clone()], manifest.clone()).await, 1);

    // Updated only on a real change; deleted with the day it had.
    let mut changed = p1.clone();
    changed.updated_at = "2999-01-01T00:00:00.000000Z".into();
    assert!(lockgate::events::attendance_event(Some(&p1), Some(&changed)).is_none());
    changed.comment = Some("late".into());
    let updated = lockgate::events::attendance_event(Some(&p1), Some(&changed)).unwrap();
    assert_eq!(updated.kind, EventKind::AttendanceUpdated);
    let deleted = lockgate::events::attendance_event(Some(&p1), None).unwrap();
    assert_eq!(deleted.kind, EventKind::AttendanceDeleted);
    assert_eq!(deleted.date.as_deref(), Some(day(0).as_str()));
    assert_eq!(queue(vec![deleted.clone()], manifest.clone()).await, 1);

    // Not queued: a day outside the window, an excluded employee, the
    // install's own change, an install without attendances.read.
    for (id, employee, date) in [("p-far", "n-1", day(-20)), ("p-excl", "n-2", day(0))] {
        let (status, body) = put(&app, &admin, id, &timed(employee, &date, "08:00", "12:00")).await;
        assert_eq!(status, 200, "{body}");
    }
    for id in ["p-far", "p-excl"] {
        let event = lockgate::events::attendance_event(None, Some(&stored(id).await)).unwrap();
        assert_eq!(queue(vec![event], manifest.clone()).await, 0, "{id}");
    }
    let mut far_deleted = deleted.clone();
    far_deleted.date = Some(day(-20));
    assert_eq!(queue(vec![far_deleted], manifest.clone()).await, 0);
    let mut own = created.clone();
    own.origin = Some("inst-events".into());
    assert_eq!(queue(vec![own.clone()], manifest.clone()).await, 0);
    own.origin = Some("inst-other".into());
    assert_eq!(queue(vec![own], manifest.clone()).await, 1);
    let mut write_only = manifest.clone();
    write_only.scopes.retain(|s| *s != Scope::AttendancesRead);
    write_only.scopes.push(Scope::AttendancesWrite);
    assert_eq!(queue(vec![created.clone()], write_only).await, 0);

    assert_eq!(
        jobs().await,
        5,
        "over the API: p-1, and p-far (inside the installed 30 days); queued here: created, deleted, and another install's change"
    );
    let payloads: Vec<Value> = app
        .store
        .install_jobs("inst-events", 50)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| j.payload)
        .map(|p| serde_json::from_str(&p).unwrap())
        .collect();
    assert!(
        payloads
            .iter()
            .any(|p| p["kind"] == "attendance-deleted" && p["date"] == day(0) && p["id"] == "p-1"),
        "{payloads:?}"
    );
}
