//! The payroll export end to end: connected over the API, run by the
//! workers as the app's clock moves through a month's closing day, against
//! a fake payroll tool on loopback. Pay arrives exactly, attendance and
//! absences are summed by the month's rules, a rejected employee fails
//! alone and is sent again, a leaver is a skipped row; without the
//! compensation grant no pay leaves the host; the review passes.

use lockgate::auth::Role;
use lockgate::hr::Visibility;
use lockgate::worker::schedule_due;
use lockgate_manifest::Scope;
use lockgate_tests::http::{get, post_json, put_json};
use lockgate_tests::{TestApp, eventually, spawn_app_with, tenant_token, token};
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime, Weekday};

use crate::payroll_partner::{FakePayroll, PAYROLL_KEY, rejection};

const TENANT: &str = "pay";
const CLOSING_DAY: u8 = 5;

/// The month the tests export (two months back, so every day they move
/// the clock to has passed: workers lease jobs by the system clock) and
/// the days that matter in it.
struct Calendar {
    /// First and last day of the month exported.
    first: Date,
    last: Date,
    /// First day of the next month, when it is exported.
    next: Date,
    /// The month's first Friday: Friday to Tuesday all lie in the month.
    friday: Date,
}

impl Calendar {
    fn new() -> Calendar {
        let this_month = lockgate::time::today().replace_day(1).unwrap();
        let next = (this_month - Duration::days(1)).replace_day(1).unwrap();
        let last = next - Duration::days(1);
        let first = last.replace_day(1).unwrap();
        let mut friday = first;
        while friday.weekday() != Weekday::Friday {
            friday += Duration::days(1);
        }
        Calendar {
            first,
            last,
            next,
            friday,
        }
    }

    /// `YYYY-MM`.
    fn label(&self) -> String {
        text(self.first)[..7].to_string()
    }

    fn day(&self, day: Date, offset: i64) -> String {
        text(day + Duration::days(offset))
    }

    /// 05:00 on day `day` of the next month: after the 04:00 slot.
    fn morning(&self, day: u8) -> OffsetDateTime {
        self.next
            .replace_day(day)
            .unwrap()
            .with_hms(5, 0, 0)
            .unwrap()
            .assume_utc()
    }
}

fn text(day: Date) -> String {
    lockgate::time::date_text(day)
}

/// The tenant's people: one paid a fixed salary, one an hourly wage, one
/// the tool will reject, one who leaves during the month, one hired after
/// it. With their absences and working times of the month and around it.
async fn hr_data(app: &TestApp, admin: &str, cal: &Calendar) {
    let employees = [
        json!({"id": "e-salary", "hire_date": "2020-01-01", "weekly_hours": 40.0,
               "salary_minor": 5_432_100, "currency": "EUR"}),
        json!({"id": "e-hourly", "hire_date": "2021-06-01", "weekly_hours": 20.0,
               "hourly_wage_minor": 2_150, "currency": "CHF"}),
        json!({"id": "e-picky", "hire_date": "2022-01-01", "weekly_hours": 40.0,
               "salary_minor": 4_000_000, "currency": "EUR"}),
        json!({"id": "e-leaver", "hire_date": "2019-01-01", "weekly_hours": 40.0,
               "termination_date": cal.day(cal.first, 14),
               "salary_minor": 3_900_000, "currency": "EUR"}),
        json!({"id": "e-new", "hire_date": cal.day(cal.next, 1), "weekly_hours": 40.0,
               "salary_minor": 3_000_000, "currency": "EUR"}),
    ];
    for mut e in employees {
        let id = e["id"].as_str().unwrap().to_string();
        let body = e.as_object_mut().unwrap();
        body.remove("id");
        body.insert("first_name".into(), json!("Test"));
        body.insert("last_name".into(), json!(id));
        let path = format!("/api/v1/tenants/{TENANT}/employees/{id}");
        let (status, saved) =
            put_json(app, admin, &path, &Value::Object(body.clone()).to_string()).await;
        assert_eq!(status, 200, "{id}: {saved}");
    }
    let fri = cal.friday;
    let absences = [
        // Friday (half) to Tuesday: 2.5 days.
        (
            "a-1",
            "e-salary",
            "Vacation",
            cal.day(fri, 0),
            cal.day(fri, 4),
            true,
            false,
            "approved",
        ),
        // A weekend: no working day.
        (
            "a-2",
            "e-salary",
            "Sick leave",
            cal.day(fri, 1),
            cal.day(fri, 2),
            false,
            false,
            "approved",
        ),
        // Not approved: not counted.
        (
            "a-3",
            "e-salary",
            "Vacation",
            cal.day(fri, 5),
            cal.day(fri, 5),
            false,
            false,
            "pending",
        ),
        // One half day.
        (
            "a-4",
            "e-hourly",
            "Vacation",
            cal.day(fri, 5),
            cal.day(fri, 5),
            false,
            true,
            "approved",
        ),
        (
            "a-5",
            "e-hourly",
            "Vacation",
            cal.day(fri, 6),
            cal.day(fri, 6),
            false,
            false,
            "cancelled",
        ),
        // The month's last day and the next month's first two: only the
        // last day counts, if it is a weekday.
        (
            "a-6",
            "e-hourly",
            "Vacation",
            text(cal.last),
            cal.day(cal.next, 1),
            false,
            false,
            "approved",
        ),
    ];
    for (id, employee, kind, start, end, half_start, half_end, status) in absences {
        let body = json!({"employee_id": employee, "type_name": kind, "start_date": start,
            "end_date": end, "half_day_start": half_start, "half_day_end": half_end, "status": status});
        let path = format!("/api/v1/tenants/{TENANT}/absences/{id}");
        let (code, saved) = put_json(app, admin, &path, &body.to_string()).await;
        assert_eq!(code, 200, "{id}: {saved}");
    }
    let periods = [
        ("w-1", cal.day(fri, 0), 255, "confirmed"),
        // Work on a Saturday counts like any other.
        ("w-2", cal.day(fri, 1), 130, "confirmed"),
        ("w-3", cal.day(fri, 3), 60, "pending"),
        // Before and after the month: not counted.
        ("w-4", cal.day(cal.first, -1), 480, "confirmed"),
        ("w-5", text(cal.next), 480, "confirmed"),
    ];
    for (id, date, minutes, status) in periods {
        let body = json!({"employee_id": "e-hourly", "date": date, "duration_minutes": minutes,
            "status": status});
        let path = format!("/api/v1/tenants/{TENANT}/attendances/{id}");
        let (code, saved) = put_json(app, admin, &path, &body.to_string()).await;
        assert_eq!(code, 200, "{id}: {saved}");
    }
}

/// An app that may reach `payroll`, the tenant with its HR data, and the
/// payroll export connected over the API on day 10 of the exported month
/// with its first run finished: the app, the admin's token, the install.
async fn connected(payroll: &FakePayroll, cal: &Calendar) -> (TestApp, String, String) {
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&payroll.addr.to_string()).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let op = token(&app, Role::Operator, None, None).await;
    let (status, body) = post_json(
        &app,
        &op,
        "/api/v1/tenants",
        &json!({"id": TENANT, "name": "Pay Co"}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let admin = tenant_token(&app, TENANT, true).await;
    // HR entered the people as the month began: the leaver's termination
    // in time, before their last day.
    app.clock
        .set(cal.first.with_hms(8, 0, 0).unwrap().assume_utc());
    hr_data(&app, &admin, cal).await;

    // Connected during the month: the leaver leaves afterwards, so the
    // host tells the connector about them.
    app.clock.set(
        (cal.first + Duration::days(9))
            .with_hms(12, 0, 0)
            .unwrap()
            .assume_utc(),
    );
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let mut body = json!({
        "plugin": "payroll-export",
        "config": {
            "payroll-url": payroll.url(),
            "api-key": PAYROLL_KEY,
            "closing-day": CLOSING_DAY.to_string(),
        },
    });
    let (status, preview) =
        post_json(&app, &admin, &format!("{path}/preview"), &body.to_string()).await;
    assert_eq!(status, 200, "{preview}");
    body["grant"] = preview["grant"].clone();
    let (status, install) = post_json(&app, &admin, &path, &body.to_string()).await;
    assert_eq!(status, 201, "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    let first = runs_finished(&app, &admin, &id, 1).await;
    assert_eq!(first[0]["trigger"], "initial");
    // The first run sent the month closed then, the one before.
    let sent = payroll.take();
    assert!(
        sent.iter()
            .all(|(month, _, _)| *month == text(cal.first - Duration::days(1))[..7]),
        "{sent:?}"
    );
    (app, admin, id)
}

async fn runs(app: &TestApp, admin: &str, install: &str) -> Vec<Value> {
    let path = format!("/api/v1/tenants/{TENANT}/installs/{install}/runs");
    let (status, body) = get(app, admin, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Waits until the install has `n` finished runs; newest first.
async fn runs_finished(app: &TestApp, admin: &str, install: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} finished run(s)"), || async {
        let runs = runs(app, admin, install).await;
        (runs.len() >= n && runs.iter().all(|r| r["status"] != "running")).then_some(runs)
    })
    .await
}

/// Moves the clock to 05:00 on `day` of the next month and lets the
/// schedule run: the new run, finished.
async fn scheduled_run(
    app: &TestApp,
    admin: &str,
    install: &str,
    cal: &Calendar,
    day: u8,
) -> Value {
    let before = runs(app, admin, install).await.len();
    app.clock.set(cal.morning(day));
    // The app's own scheduler reads the same clock and may claim the slot
    // first; either way it runs once.
    schedule_due(app).await.unwrap();
    let runs = runs_finished(app, admin, install, before + 1).await;
    assert_eq!(runs.len(), before + 1, "one run a day: {runs:?}");
    assert_eq!(runs[0]["trigger"], "scheduled");
    runs[0].clone()
}

async fn rows(app: &TestApp, admin: &str, run: &Value) -> Vec<Value> {
    let run = run["id"].as_str().unwrap();
    let (status, body) = get(
        app,
        admin,
        &format!("/api/v1/tenants/{TENANT}/runs/{run}/rows"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], employee: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["employee_id"] == employee)
        .unwrap_or_else(|| panic!("no row for {employee}: {rows:#?}"))
}

#[tokio::test]
async fn a_month_goes_once_on_its_closing_day_with_exact_pay_hours_and_days() {
    let cal = Calendar::new();
    let payroll = FakePayroll::start().await;
    let (app, admin, install) = connected(&payroll, &cal).await;

    // The day before the closing day: nothing.
    let run = scheduled_run(&app, &admin, &install, &cal, CLOSING_DAY - 1).await;
    assert_eq!(run["status"], "successful", "{run}");
    assert!(payroll.attempted().is_empty(), "{:?}", payroll.attempted());

    // On the closing day: the month, one request per employee.
    let run = scheduled_run(&app, &admin, &install, &cal, CLOSING_DAY).await;
    assert_eq!(run["status"], "successful", "{run}");
    let sent = payroll.take();
    let ids: Vec<&str> = sent.iter().map(|(_, id, _)| id.as_str()).collect();
    // Not the leaver (no longer visible), not the one hired afterwards.
    assert_eq!(ids, ["e-hourly", "e-picky", "e-salary"]);
    assert!(sent.iter().all(|(m, _, _)| *m == cal.label()), "{sent:?}");
    let body = |id: &str| sent.iter().find(|(_, e, _)| e == id).unwrap().2.clone();

    let salary = body("e-salary");
    assert_eq!(
        salary["fixedSalary"],
        json!({"amountMinor": 5_432_100, "currency": "EUR"})
    );
    assert_eq!(salary["hourlyWage"], Value::Null);
    assert_eq!(salary["weeklyHours"], 40.0);
    assert_eq!(salary["absenceDays"], 2.5, "{salary}");
    assert_eq!(
        salary["absences"],
        json!([{"type": "Vacation", "days": 2.5}])
    );
    assert_eq!(salary["attendanceMinutes"], 0);

    let hourly = body("e-hourly");
    assert_eq!(
        hourly["hourlyWage"],
        json!({"amountMinor": 2_150, "currency": "CHF"})
    );
    assert_eq!(hourly["fixedSalary"], Value::Null);
    assert_eq!(hourly["weeklyHours"], 20.0);
    assert_eq!(hourly["attendanceMinutes"], 255 + 130, "{hourly}");
    assert_eq!(hourly["pendingAttendanceMinutes"], 60);
    let last_is_weekday = !matches!(cal.last.weekday(), Weekday::Saturday | Weekday::Sunday);
    let days = 0.5 + if last_is_weekday { 1.0 } else { 0.0 };
    assert_eq!(hourly["absenceDays"], days, "{hourly}");

    // Monitoring: a success row each, and the leaver skipped with a word
    // on what to do.
    let rows = rows(&app, &admin, &run).await;
    assert_eq!(rows.len(), 4, "{rows:#?}");
    for id in ["e-hourly", "e-picky", "e-salary"] {
        assert_eq!(row(&rows, id)["status"], "success");
        assert_eq!(row(&rows, id)["operation"], "update");
    }
    let leaver = row(&rows, "e-leaver");
    assert_eq!(leaver["status"], "skipped");
    let message = leaver["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "left on {}, no longer visible; settle {} by hand",
            cal.day(cal.first, 14),
            cal.label()
        )
    );

    // The next day: nothing again.
    let run = scheduled_run(&app, &admin, &install, &cal, CLOSING_DAY + 1).await;
    assert_eq!(run["status"], "successful", "{run}");
    assert!(payroll.attempted().is_empty(), "{:?}", payroll.attempted());
}

#[tokio::test]
async fn a_rejected_employee_fails_alone_with_the_tools_answer_and_is_sent_again() {
    let cal = Calendar::new();
    let payroll = FakePayroll::start().await;
    let (app, admin, install) = connected(&payroll, &cal).await;
    payroll.reject("e-picky");

    let run = scheduled_run(&app, &admin, &install, &cal, CLOSING_DAY).await;
    assert_eq!(run["status_label"], "Partially successful", "{run}");
    let rows = rows(&app, &admin, &run).await;
    let picky = row(&rows, "e-picky");
    assert_eq!(picky["status"], "failed");
    assert_eq!(picky["partner_status"], 422);
    assert_eq!(picky["partner_body"], rejection("e-picky"));
    assert_eq!(row(&rows, "e-salary")["status"], "success");
    assert_eq!(row(&rows, "e-hourly")["status"], "success");
    let sent: Vec<String> = payroll.take().into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(sent, ["e-hourly", "e-salary"]);

    // The next day the rejected employee alone is sent again.
    payroll.accept("e-picky");
    let run = scheduled_run(&app, &admin, &install, &cal, CLOSING_DAY + 1).await;
    assert_eq!(run["status"], "successful", "{run}");
    let sent: Vec<String> = payroll.take().into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(sent, ["e-picky"]);
    // And then nothing more.
    scheduled_run(&app, &admin, &install, &cal, CLOSING_DAY + 2).await;
    assert!(payroll.attempted().is_empty(), "{:?}", payroll.attempted());

    // Sync now sends the last closed month again, whole.
    let (status, body) = post_json(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs/{install}/sync"),
        "",
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let runs = runs_finished(&app, &admin, &install, 5).await;
    assert_eq!(runs[0]["trigger"], "manual");
    let sent: Vec<String> = payroll.take().into_iter().map(|(_, id, _)| id).collect();
    assert_eq!(sent, ["e-hourly", "e-picky", "e-salary"]);
}

/// Without `employees.compensation` granted, the host gives a connector no
/// pay at all: the group is absent, not blank.
#[test]
fn pay_is_absent_without_the_compensation_grant() {
    let employee = lockgate::hr::Employee {
        id: "e-salary".into(),
        first_name: "Test".into(),
        last_name: "Salary".into(),
        hire_date: "2020-01-01".into(),
        status: "active".into(),
        salary_minor: Some(5_432_100),
        hourly_wage_minor: Some(2_150),
        currency: Some("CHF".into()),
        updated_at: "2026-01-01T00:00:00.000000Z".into(),
        ..blank_employee()
    };
    let visibility = |scopes: Vec<Scope>| Visibility {
        tenant_id: TENANT.into(),
        connector_id: "payroll-export".into(),
        today: lockgate::time::today(),
        scopes,
        absence_window: None,
        attendance_window: None,
    };
    let all = [
        Scope::EmployeesBasic,
        Scope::EmployeesEmployment,
        Scope::EmployeesCompensation,
    ];
    let granted = lockgate::capabilities::hr::project(employee.clone(), &visibility(all.to_vec()));
    let pay = granted.compensation.expect("granted");
    let salary = pay.fixed_salary.expect("a salary");
    assert_eq!(
        (salary.amount_minor, salary.currency.as_str()),
        (5_432_100, "CHF")
    );
    let wage = pay.hourly_wage.expect("a wage");
    assert_eq!((wage.amount_minor, wage.currency.as_str()), (2_150, "CHF"));

    let without = visibility(all[..2].to_vec());
    let seen = lockgate::capabilities::hr::project(employee, &without);
    assert!(seen.compensation.is_none(), "{:?}", seen.compensation);
    assert!(seen.employment.is_some() && seen.basic.is_some());
}

fn blank_employee() -> lockgate::hr::Employee {
    lockgate::hr::Employee {
        id: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        preferred_name: None,
        department: None,
        position: None,
        status: String::new(),
        work_email: None,
        personal_email: None,
        phone: None,
        birth_date: None,
        hire_date: String::new(),
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
    }
}

#[tokio::test]
async fn the_review_passes_against_the_payroll_tool() {
    let payroll = FakePayroll::start().await;
    let report = crate::helpers::vet_passes(
        lockgate::demo::PAYROLL_EXPORT,
        ("api-key", PAYROLL_KEY),
        payroll.url(),
        None,
        &[
            "first sync",
            "incremental",
            "rejected record",
            "employees.compensation",
        ],
    )
    .await;
    // The live transfer example sent pay to the tool.
    assert!(
        report
            .exchanges
            .iter()
            .any(|e| e.request_body.contains("amountMinor")),
        "{:#?}",
        report.exchanges
    );
}
