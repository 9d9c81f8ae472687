//! The bundled time-tracking connector against a fake time-tracking tool:
//! the tenant admin connects it over the API, the tool's clock-in and
//! clock-out deliveries become working times at once, the nightly
//! reconciliation repairs what deliveries missed, and monitoring shows one
//! row per entry.

use serde_json::{Value, json};

use lockgate::store::RunRecord;
use lockgate_tests::http::{get as api_get, post_json, put_json};
use lockgate_tests::{TestApp, jobs_settled, spawn_app_with, tenant_token};

use crate::connectors::connect;
use crate::time_tracking_tool::{TOOL_TOKEN, Tool, entry};

const TENANT: &str = "t-1";

fn day(offset: i64) -> String {
    lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), offset))
}

/// A host, a tenant with three people of its own, the tool, and the
/// connector connected to it.
struct Setup {
    app: TestApp,
    admin: String,
    tool: Tool,
    install: String,
    hook: String,
    secret: String,
}

impl Setup {
    async fn new() -> Setup {
        let tool = Tool::start().await;
        let mut operator = lockgate::policy::OperatorPolicy::default();
        operator.allow(&tool.addr).unwrap();
        let app = spawn_app_with(operator).await;
        lockgate::sandbox::ensure_tenant(&app.store, TENANT, 3, 5)
            .await
            .unwrap();
        lockgate::demo::publish_bundled(&app).await.unwrap();
        let admin = tenant_token(&app, TENANT, true).await;
        for (id, first, email, extra) in [
            ("e-anna", "Anna", "Anna.Berg@acme.example", json!({})),
            ("e-ben", "Ben", "ben.okafor@acme.example", json!({})),
            (
                "e-cleo",
                "Cleo",
                "cleo@acme.example",
                json!({ "include_in": { "time-tracking": false } }),
            ),
        ] {
            let mut body = json!({
                "first_name": first, "last_name": "Tester", "hire_date": day(-400),
                "work_email": email,
            });
            for (k, v) in extra.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (status, answer) = put_json(
                &app,
                &admin,
                &format!("/api/v1/tenants/{TENANT}/employees/{id}"),
                &body.to_string(),
            )
            .await;
            assert_eq!(status, 200, "{answer}");
        }
        // Listed in the marketplace in four languages, the form included.
        for (lang, name, label) in [
            (
                "de-DE",
                "Zeiterfassung",
                "Adresse Ihres Zeiterfassungstools",
            ),
            ("en", "Time tracking", "Your time-tracking tool's address"),
            (
                "fr-FR,fr;q=0.9",
                "Pointage",
                "Adresse de votre outil de pointage",
            ),
            (
                "es",
                "Control horario",
                "Dirección de su herramienta de control horario",
            ),
        ] {
            let (status, listing) = api_get(
                &app,
                &admin,
                "/api/v1/marketplace/time-tracking",
                Some(lang),
            )
            .await;
            assert_eq!(status, 200, "{listing}");
            assert_eq!(listing["name"], name, "{lang}");
            assert_eq!(listing["configuration"][0]["label"], label, "{lang}");
        }
        let (preview, install) = connect(
            &app,
            &admin,
            "time-tracking",
            &json!({ "tool-url": tool.url(), "api-token": TOOL_TOKEN }),
        )
        .await;
        assert_eq!(
            preview["grant"]["scopes"],
            json!([
                "employees.basic",
                "employees.contact",
                "attendances.read",
                "attendances.write"
            ]),
            "{preview}"
        );
        assert_eq!(install["status"], "connected", "{install}");
        let id = install["id"].as_str().unwrap().to_string();
        let hook = install["webhook"]["url"].as_str().unwrap().to_string();
        let secret = install["webhook"]["secret"].as_str().unwrap().to_string();
        let setup = Setup {
            app,
            admin,
            tool,
            install: id,
            hook,
            secret,
        };
        // The first sync after connecting found an empty tool.
        let first = setup.settled().await;
        assert!(first.iter().all(|r| r.status == "successful"), "{first:?}");
        setup
    }

    /// The install's finished runs, oldest first, once its queue is empty.
    async fn settled(&self) -> Vec<RunRecord> {
        jobs_settled(&self.app.store, &self.install).await;
        let mut runs = self.app.store.runs_of_install(&self.install).await.unwrap();
        runs.reverse();
        runs
    }

    /// Delivers a signed event; returns the run it made and its rows.
    async fn deliver(
        &self,
        event: &str,
        entry: &Value,
    ) -> (RunRecord, Vec<lockgate::store::RunRow>) {
        let before = self.settled().await.len();
        let body = json!({ "event": event, "entry": entry })
            .to_string()
            .into_bytes();
        let status = reqwest::Client::new()
            .post(format!("{}{}", self.app.url, self.hook))
            .header(
                lockgate::webhooks::SIGNATURE_HEADER,
                lockgate::webhooks::sign(&self.secret, &body),
            )
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(status, 202);
        self.next_run(before).await
    }

    /// "Sync now"; returns the run and its rows.
    async fn sync(&self) -> (RunRecord, Vec<lockgate::store::RunRow>) {
        let before = self.settled().await.len();
        let (status, body) = post_json(
            &self.app,
            &self.admin,
            &format!("/api/v1/tenants/{TENANT}/installs/{}/sync", self.install),
            "{}",
        )
        .await;
        assert!((200..300).contains(&status), "{status} {body}");
        self.next_run(before).await
    }

    async fn next_run(&self, before: usize) -> (RunRecord, Vec<lockgate::store::RunRow>) {
        let runs = self.settled().await;
        assert_eq!(runs.len(), before + 1, "one run: {runs:?}");
        let run = runs.last().unwrap().clone();
        let rows = self
            .app
            .store
            .run_rows(&run.id, None, None, None, 100)
            .await
            .unwrap();
        (run, rows)
    }

    /// The tenant's working times, as the HR API lists them.
    async fn periods(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/tenants/{TENANT}/attendances?cursor={c}"),
                None => format!("/api/v1/tenants/{TENANT}/attendances"),
            };
            let (status, page) = api_get(&self.app, &self.admin, &path, None).await;
            assert_eq!(status, 200, "{page}");
            out.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    /// The working time recorded for a tool entry.
    async fn period_of(&self, entry: &str) -> Option<Value> {
        self.periods()
            .await
            .into_iter()
            .find(|p| p["external_id"] == entry)
    }

    /// Records a working time by hand, as the tenant does.
    async fn by_hand(&self, id: &str, employee: &str, date: &str, start: &str, end: &str) {
        let (status, body) = put_json(
            &self.app,
            &self.admin,
            &format!("/api/v1/tenants/{TENANT}/attendances/{id}"),
            &json!({
                "employee_id": employee, "date": date,
                "start_time": start, "end_time": end, "break_minutes": 0,
                "status": "confirmed",
            })
            .to_string(),
        )
        .await;
        assert!((200..300).contains(&status), "{body}");
    }
}

fn only(rows: &[lockgate::store::RunRow]) -> (&str, &str, Option<&str>, &str) {
    assert_eq!(rows.len(), 1, "one row per entry: {rows:?}");
    let r = &rows[0];
    (
        r.operation.as_str(),
        r.status.as_str(),
        r.employee_id.as_deref(),
        r.message.as_str(),
    )
}

/// The only row's operation, status and employee.
fn head(rows: &[lockgate::store::RunRow]) -> (&str, &str, Option<&str>) {
    let (op, status, who, _) = only(rows);
    (op, status, who)
}

#[tokio::test]
async fn clock_entries_become_working_times_as_the_tool_reports_them() {
    let s = Setup::new().await;
    let today = day(0);
    let mut shift = json!({
        "id": "te-1", "employee_number": "e-anna", "email": null, "date": today,
        "start": "08:00", "end": null, "break_minutes": 0, "project": null, "note": null,
    });

    // Clock-in: nothing recorded until clock-out.
    let (run, rows) = s.deliver("entry.opened", &shift).await;
    assert_eq!(run.status, "successful");
    let (op, status, who, message) = only(&rows);
    assert_eq!((op, status, who), ("skip", "skipped", Some("e-anna")));
    assert!(message.contains("recorded at clock-out"), "{message}");
    assert!(s.period_of("te-1").await.is_none());

    // Clock-out, delivered twice: one working time.
    shift["end"] = json!("16:30");
    shift["break_minutes"] = json!(30);
    shift["project"] = json!("Apollo");
    shift["note"] = json!("Customer workshop");
    let (created, rows) = s.deliver("entry.closed", &shift).await;
    assert_eq!(created.status, "successful", "{created:?}");
    assert_eq!(head(&rows), ("create", "success", Some("e-anna")));
    let (unchanged, rows) = s.deliver("entry.closed", &shift).await;
    let (op, status, _, message) = only(&rows);
    assert_eq!((op, status), ("skip", "skipped"), "{message}");
    assert!(message.contains("unchanged"), "{message}");
    let periods = s.periods().await;
    let ours: Vec<&Value> = periods
        .iter()
        .filter(|p| p["external_id"] == "te-1")
        .collect();
    assert_eq!(ours.len(), 1, "{periods:?}");
    let p = ours[0];
    assert_eq!(p["employee_id"], "e-anna");
    assert_eq!(p["date"], today.as_str());
    assert_eq!(
        (&p["start_time"], &p["end_time"]),
        (&json!("08:00"), &json!("16:30"))
    );
    assert_eq!(p["break_minutes"], 30);
    assert_eq!(p["duration_minutes"], 480);
    assert_eq!(p["project"], "Apollo");
    assert_eq!(p["comment"], "Customer workshop");

    // Corrected in the tool: the working time follows.
    shift["end"] = json!("17:00");
    shift["project"] = json!("Hermes");
    let (updated, rows) = s.deliver("entry.updated", &shift).await;
    assert_eq!(head(&rows), ("update", "success", Some("e-anna")));
    let p = s.period_of("te-1").await.unwrap();
    assert_eq!(
        (&p["end_time"], &p["project"]),
        (&json!("17:00"), &json!("Hermes"))
    );

    // A closing delivery that was lost: the update records it. Ben is
    // found by his work e-mail, capitals aside, as the number is the tool's own.
    let ben = json!({
        "id": "te-2", "employee_number": "4711", "email": "BEN.Okafor@acme.example",
        "date": day(-1), "start": "22:00", "end": "06:00", "break_minutes": 15,
    });
    let (ben_created, rows) = s.deliver("entry.updated", &ben).await;
    assert_eq!(head(&rows), ("create", "success", Some("e-ben")));
    let p = s.period_of("te-2").await.unwrap();
    assert_eq!(p["employee_id"], "e-ben");
    // A night shift: 8 hours less the break.
    assert_eq!(p["duration_minutes"], 465);

    // Nobody with that number or e-mail, and someone excluded from this
    // connector: skipped, naming the tool's employee number.
    for (id, number, email) in [
        ("te-3", "9999", "nobody@acme.example"),
        ("te-4", "e-cleo", "cleo@acme.example"),
    ] {
        let mut e = entry(id, number, &today, "09:00", Some("10:00"));
        e["email"] = json!(email);
        let (run, rows) = s.deliver("entry.closed", &e).await;
        assert_eq!(run.status, "successful");
        let (op, status, who, message) = only(&rows);
        assert_eq!((op, status, who), ("skip", "skipped", None), "{message}");
        assert!(message.contains(&format!("{number:?}")), "{message}");
        assert!(s.period_of(id).await.is_none());
    }

    // A malformed time is refused, naming the field.
    let bad = entry("te-5", "e-ben", &today, "8:00", Some("25:00"));
    let (run, rows) = s.deliver("entry.closed", &bad).await;
    assert_eq!(run.status, "failed");
    let (_, status, _, message) = only(&rows);
    assert_eq!(status, "failed");
    assert!(
        message.contains("start") && message.contains("end"),
        "{message}"
    );

    // Deleted in the tool: the working time goes; again, nothing to do.
    let (deleted, rows) = s.deliver("entry.deleted", &json!({ "id": "te-1" })).await;
    assert_eq!((head(&rows).0, head(&rows).1), ("deprovision", "success"));
    assert!(s.period_of("te-1").await.is_none());
    let (gone, rows) = s.deliver("entry.deleted", &json!({ "id": "te-1" })).await;
    assert_eq!((head(&rows).0, head(&rows).1), ("skip", "skipped"));
    assert!(s.period_of("te-2").await.is_some(), "other entries stay");

    // The audit trail shows each write of working time, in the run that
    // made it, with whose time it was; what changed nothing wrote nothing.
    let trail = crate::audit::today_of(&s.app, &s.admin, TENANT, &s.install).await;
    let writes = |run: &RunRecord| -> Vec<(Value, Value, Value)> {
        trail
            .iter()
            .filter(|l| l["run_id"] == run.id.as_str() && l["action"] == "write")
            .map(|l| {
                (
                    l["what"].clone(),
                    l["employee_ids"].clone(),
                    l["attribute_groups"].clone(),
                )
            })
            .collect()
    };
    let written = |who: &str| {
        vec![(
            json!("attendances"),
            json!([who]),
            json!(["attendances.write"]),
        )]
    };
    assert_eq!(writes(&created), written("e-anna"), "{trail:#?}");
    assert_eq!(writes(&updated), written("e-anna"));
    assert_eq!(writes(&ben_created), written("e-ben"));
    assert_eq!(writes(&deleted), written("e-anna"));
    assert_eq!(writes(&unchanged), vec![]);
    assert_eq!(writes(&gone), vec![]);
    assert!(
        trail
            .iter()
            .all(|l| l["install_id"] == s.install.as_str() && l["connector_id"] == "time-tracking"),
        "{trail:#?}"
    );

    // A forged delivery runs nothing.
    let body = br#"{"event":"entry.deleted","entry":{"id":"te-2"}}"#.to_vec();
    let status = reqwest::Client::new()
        .post(format!("{}{}", s.app.url, s.hook))
        .header(
            lockgate::webhooks::SIGNATURE_HEADER,
            lockgate::webhooks::sign("whsec_forged", &body),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    assert!(s.period_of("te-2").await.is_some());
}

#[tokio::test]
async fn a_period_overlapping_one_entered_by_hand_is_refused_with_the_reason() {
    let s = Setup::new().await;
    let yesterday = day(-1);
    s.by_hand("hand-1", "e-ben", &yesterday, "09:00", "12:00")
        .await;
    let overlapping = entry("te-9", "e-ben", &yesterday, "11:00", Some("15:00"));
    let (run, rows) = s.deliver("entry.closed", &overlapping).await;
    assert_eq!(run.status, "failed", "{run:?}");
    let (op, status, who, message) = only(&rows);
    assert_eq!((op, status, who), ("create", "failed", Some("e-ben")));
    assert!(message.contains("overlap"), "the host's reason: {message}");
    assert!(
        run.failure_reason.as_deref().unwrap_or("").contains("422"),
        "{run:?}"
    );
    assert!(s.period_of("te-9").await.is_none());
    let periods = s.periods().await;
    let hand = periods.iter().find(|p| p["id"] == "hand-1").expect("kept");
    assert_eq!(
        (&hand["start_time"], &hand["end_time"]),
        (&json!("09:00"), &json!("12:00"))
    );
}

#[tokio::test]
async fn the_nightly_reconciliation_repairs_what_deliveries_missed() {
    let s = Setup::new().await;
    let (today, yesterday) = (day(0), day(-1));
    // Delivered at the time, then changed and deleted in the tool without
    // a delivery reaching Lockgate.
    let changed = entry("te-10", "e-ben", &today, "07:00", Some("11:00"));
    let deleted = entry("te-11", "e-anna", &today, "13:00", Some("14:00"));
    for e in [&changed, &deleted] {
        s.tool.put(e);
        let (_, rows) = s.deliver("entry.closed", e).await;
        assert_eq!(head(&rows).1, "success");
    }
    let mut changed = changed;
    changed["end"] = json!("12:30");
    changed["note"] = json!("stayed longer");
    s.tool.put(&changed);
    s.tool.delete("te-11");
    // Never delivered: a closed entry, one still open, one for nobody.
    s.tool.put(&entry(
        "te-12",
        "e-anna",
        &yesterday,
        "08:00",
        Some("16:00"),
    ));
    s.tool.put(&entry("te-13", "e-anna", &today, "15:00", None));
    s.tool
        .put(&entry("te-14", "8888", &yesterday, "08:00", Some("09:00")));
    s.tool
        .put(&entry("te-15", "e-ben", &yesterday, "13:00", Some("14:00")));
    // The tenant's own entry stays whatever the tool says.
    s.by_hand("hand-2", "e-anna", &yesterday, "18:00", "19:00")
        .await;

    let (run, rows) = s.sync().await;
    assert_eq!(run.status, "successful", "{run:?}");
    let mut got: Vec<(String, String, Option<String>)> = rows
        .iter()
        .map(|r| {
            let entry = r
                .message
                .split(' ')
                .find(|w| w.starts_with("te-"))
                .unwrap_or("");
            (
                entry
                    .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .to_string(),
                format!("{} {}", r.operation.as_str(), r.status.as_str()),
                r.employee_id.clone(),
            )
        })
        .collect();
    got.sort();
    let want = |e: &str, what: &str, who: Option<&str>| {
        (e.to_string(), what.to_string(), who.map(String::from))
    };
    assert_eq!(
        got,
        vec![
            want("te-10", "update success", Some("e-ben")),
            want("te-11", "deprovision success", Some("e-anna")),
            want("te-12", "create success", Some("e-anna")),
            want("te-13", "skip skipped", Some("e-anna")),
            want("te-14", "skip skipped", None),
            want("te-15", "create success", Some("e-ben")),
        ],
        "{rows:#?}"
    );
    let p = s.period_of("te-10").await.unwrap();
    assert_eq!(
        (&p["end_time"], &p["comment"]),
        (&json!("12:30"), &json!("stayed longer"))
    );
    assert!(s.period_of("te-11").await.is_none());
    assert_eq!(
        s.period_of("te-12").await.unwrap()["date"],
        yesterday.as_str()
    );
    assert!(s.period_of("te-13").await.is_none());
    let periods = s.periods().await;
    assert!(periods.iter().any(|p| p["id"] == "hand-2"), "{periods:?}");
    // Both days were read, yesterday's three entries over two pages.
    let asked = s.tool.requests();
    for wanted in [
        format!("/api/v1/entries?date={yesterday}&page=1"),
        format!("/api/v1/entries?date={yesterday}&page=2"),
        format!("/api/v1/entries?date={today}&page=1"),
        "/api/v1/entries/te-11".to_string(),
    ] {
        assert!(asked.contains(&wanted), "{wanted} in {asked:?}");
    }

    // Again right away: nothing to change.
    let before = s.periods().await;
    let (run, rows) = s.sync().await;
    assert_eq!(run.status, "successful");
    assert!(
        rows.iter().all(|r| r.status.as_str() == "skipped"),
        "{rows:#?}"
    );
    assert_eq!(s.periods().await, before);

    // The token revoked in the tool: the run fails and takes nothing for
    // deleted.
    s.tool.revoke();
    let (run, _) = s.sync().await;
    assert_eq!(run.status, "failed");
    assert!(
        run.failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("API token"),
        "{run:?}"
    );
    assert_eq!(s.periods().await, before);
}

#[tokio::test]
async fn the_quality_review_passes_against_the_tool() {
    let tool = Tool::start().await;
    // People of the vetting tenant clocked in and out.
    tool.put(&entry("te-v1", "e-00001", &day(-1), "08:00", Some("12:00")));
    tool.put(&entry("te-v2", "e-00002", &day(0), "08:00", None));
    let report = crate::helpers::vet_passes(
        lockgate::demo::TIME_TRACKING,
        ("api-token", TOOL_TOKEN),
        tool.url(),
        None,
        &[
            "component and manifest",
            "configuration form",
            "validate-config accepts the sample",
            "validate-config refuses a broken configuration",
            "check-connection",
            "check-connection with a wrong credential",
            "first sync",
            "excluded and out-of-window employees",
        ],
    )
    .await;
    // The first sync really read the tool's entries, with the token the
    // host injected and nowhere in the report.
    assert!(
        report
            .exchanges
            .iter()
            .any(|e| e.url.contains("/api/v1/entries?date=") && e.response_status == 200),
        "{:#?}",
        report.exchanges
    );
    assert!(!serde_json::to_string(&report).unwrap().contains(TOOL_TOKEN));
}
