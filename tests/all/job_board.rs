//! The job board connector end to end: the tenant admin connects it over
//! the API, the board calls the webhook and is read by the backstop sync
//! (a fake board on loopback, `job_board_partner`), and the applications
//! show in the HR API on their positions, once each.

use serde_json::{Value, json};

use lockgate_tests::http::{get, post_json, put_json};
use lockgate_tests::{TestApp, eventually, spawn_app_with, tenant_token};

use crate::connectors::{connect, runs};
use crate::job_board_partner::{BOARD_KEY, FakeBoard, application, base64, created, cv};

const TENANT: &str = "t-1";

/// A host whose connectors may reach `board`, the bundled connectors
/// listed, a tenant with the positions "Backend Engineer" (`pos-backend`)
/// and "Sales Lead" (`pos-sales`), and the job board connected, its
/// initial sync finished. Returns the admin's token, the install id, its
/// webhook URL and secret.
async fn connected(board: &FakeBoard) -> (TestApp, String, String, String, String) {
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&board.addr.to_string()).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 3)
        .await
        .unwrap();
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let admin = tenant_token(&app, TENANT, true).await;
    for (id, name) in [
        ("pos-backend", "Backend Engineer"),
        ("pos-sales", "Sales Lead"),
    ] {
        put_position(&app, &admin, id, name).await;
    }
    let (preview, install) = connect(&app, &admin, "job-board", &board.config()).await;
    assert_eq!(preview["grant"]["scopes"], json!(["recruiting.write"]));
    assert_eq!(install["status"], "connected", "{install}");
    assert!(!install.to_string().contains(BOARD_KEY), "{install}");
    let id = install["id"].as_str().unwrap().to_string();
    let url = install["webhook"]["url"].as_str().unwrap().to_string();
    let secret = install["webhook"]["secret"].as_str().unwrap().to_string();
    let first = runs(&app, &id, 1).await;
    assert_eq!(first[0].status, "successful", "{:?}", first[0]);
    (app, admin, id, url, secret)
}

async fn put_position(app: &TestApp, admin: &str, id: &str, name: &str) {
    let (status, body) = put_json(
        app,
        admin,
        &format!("/api/v1/tenants/{TENANT}/positions/{id}"),
        &json!({ "name": name }).to_string(),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");
}

/// Delivers `body` to the webhook, signed with `secret`; the host's answer.
async fn deliver(app: &TestApp, url: &str, secret: &str, body: &Value) -> u16 {
    let bytes = body.to_string().into_bytes();
    reqwest::Client::new()
        .post(format!("{}{url}", app.url))
        .header(
            lockgate::webhooks::SIGNATURE_HEADER,
            lockgate::webhooks::sign(secret, &bytes),
        )
        .body(bytes)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The tenant's applications, through the HR API.
async fn applications(app: &TestApp, admin: &str) -> Vec<Value> {
    let (status, body) = get(
        app,
        admin,
        &format!("/api/v1/tenants/{TENANT}/applications"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// The rows of a run, through the monitoring API.
async fn rows(app: &TestApp, admin: &str, run: &str) -> Vec<Value> {
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

/// Presses "sync now" and waits for the install's `n`-th finished run.
async fn sync_now(
    app: &TestApp,
    admin: &str,
    install: &str,
    n: usize,
) -> lockgate::store::RunRecord {
    let (status, body) = post_json(
        app,
        admin,
        &format!("/api/v1/tenants/{TENANT}/installs/{install}/sync"),
        "",
    )
    .await;
    assert!(status == 200 || status == 202, "{status} {body}");
    runs(app, install, n).await.pop().unwrap()
}

fn messages(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_delivery_is_one_application_on_its_position_however_often_it_comes() {
    let board = FakeBoard::start().await;
    let (app, admin, id, url, secret) = connected(&board).await;

    // By reference, delivered three times, two of them at once.
    let zoe = application(
        "a-1",
        Some("pos-backend"),
        "Senior Backend Engineer (m/f/d)",
        ("Zoë", "Van den Berg"),
    );
    let delivery = created(&zoe);
    let (a, b) = tokio::join!(
        deliver(&app, &url, &secret, &delivery),
        deliver(&app, &url, &secret, &delivery)
    );
    assert_eq!((a, b), (202, 202));
    assert_eq!(deliver(&app, &url, &secret, &delivery).await, 202);
    // By title, capitals aside, without a reference.
    let jan = application("a-2", None, "backend ENGINEER", ("Jan", "de Vries"));
    assert_eq!(deliver(&app, &url, &secret, &created(&jan)).await, 202);

    let all = runs(&app, &id, 5).await;
    let mut created_ids = Vec::new();
    for run in &all[1..] {
        assert_eq!(run.status, "successful", "{run:?}");
        let r = rows(&app, &admin, &run.id).await;
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(
            (r[0]["operation"].as_str(), r[0]["status"].as_str()),
            (Some("create"), Some("success"))
        );
        created_ids.push(r[0]["message"].as_str().unwrap().to_string());
    }
    // The monitoring rows name the candidate and the position asked for.
    assert!(
        created_ids[..3]
            .iter()
            .all(|m| m.contains("Zoë Van den Berg") && m.contains("pos-backend")),
        "{created_ids:?}"
    );
    assert_eq!(
        created_ids[0], created_ids[1],
        "the same application each time"
    );
    assert_eq!(created_ids[1], created_ids[2]);
    assert!(created_ids[3].contains("Jan de Vries"), "{created_ids:?}");

    let stored = applications(&app, &admin).await;
    assert_eq!(
        stored.len(),
        2,
        "one application per board application: {stored:#?}"
    );
    let by_name = |first: &str| {
        stored
            .iter()
            .find(|a| a["first_name"] == first)
            .unwrap_or_else(|| panic!("no application of {first}: {stored:#?}"))
            .clone()
    };
    let (zoe_app, jan_app) = (by_name("Zoë"), by_name("Jan"));
    // Each application is in the audit trail once, as the write of the
    // run that created it, however often the board delivered it.
    let mut created: Vec<(Value, Value, Value)> = crate::audit::today_of(&app, &admin, TENANT, &id)
        .await
        .into_iter()
        .filter(|l| l["action"] == "write")
        .map(|l| {
            assert!(
                all[1..].iter().any(|r| l["run_id"] == r.id.as_str()),
                "written by a delivery's run: {l}"
            );
            (
                l["what"].clone(),
                l["employee_ids"].clone(),
                l["attribute_groups"].clone(),
            )
        })
        .collect();
    let entry = |application: &Value| {
        (
            json!("create-application"),
            json!([application["id"]]),
            json!(["recruiting.write"]),
        )
    };
    let mut want = vec![entry(&zoe_app), entry(&jan_app)];
    let by_id = |e: &(Value, Value, Value)| e.1.to_string();
    created.sort_by_key(by_id);
    want.sort_by_key(by_id);
    assert_eq!(created, want);
    assert_eq!(zoe_app["position_id"], "pos-backend", "{zoe_app}");
    assert_eq!(jan_app["position_id"], "pos-backend", "{jan_app}");
    assert_eq!(zoe_app["last_name"], "Van den Berg");
    assert_eq!(zoe_app["email"], "a-1@example.org");
    assert_eq!(zoe_app["source"], "LinkedIn");
    assert_eq!(zoe_app["message"], "Dear team, Zoë here.");

    // The CV, downloadable as the board sent it.
    let app_id = zoe_app["id"].as_str().unwrap();
    let (status, detail) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/applications/{app_id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    let attachment = &detail["attachments"][0];
    assert_eq!(attachment["file_name"], "cv.pdf", "{detail}");
    let seq = attachment["seq"].as_i64().unwrap();
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/applications/{app_id}/attachments/{seq}",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/pdf"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), cv("Zoë"));
}

#[tokio::test]
async fn an_application_the_tenant_cannot_place_is_a_failed_row_and_nothing_stored() {
    let board = FakeBoard::start().await;
    let (app, admin, id, url, secret) = connected(&board).await;

    // A position the tenant does not have.
    let kim = application("a-3", None, "Underwater Basket Weaver", ("Kim", "Larsen"));
    assert_eq!(deliver(&app, &url, &secret, &created(&kim)).await, 202);
    // Six attachments: one more than an application may have.
    let mut many = application("a-4", Some("pos-sales"), "Sales Lead", ("Ola", "Nordmann"));
    let file = many["attachments"][0].clone();
    many["attachments"] = json!(vec![file; 6]);
    assert_eq!(deliver(&app, &url, &secret, &created(&many)).await, 202);
    // Not an application at all: a bad delivery, not a rejected record.
    let junk = json!({ "type": "application.created", "application": { "id": "a-5" } });
    assert_eq!(deliver(&app, &url, &secret, &junk).await, 202);
    // A withdrawal is acknowledged and ignored.
    let withdrawn = json!({ "type": "application.withdrawn", "application": { "id": "a-1" } });
    assert_eq!(deliver(&app, &url, &secret, &withdrawn).await, 202);

    let all = runs(&app, &id, 5).await;
    let (unknown, too_many, bad, ignored) = (&all[1], &all[2], &all[3], &all[4]);
    for run in [unknown, too_many] {
        assert_eq!(run.status, "failed", "{run:?}");
        assert_eq!(
            run.failure_kind.map(|k| k.as_str()),
            Some("records"),
            "{run:?}"
        );
    }
    let r = rows(&app, &admin, &unknown.id).await;
    assert_eq!(r[0]["status"], "failed", "{r:?}");
    let message = r[0]["message"].as_str().unwrap();
    assert!(message.contains("Underwater Basket Weaver"), "{message}");
    assert!(message.contains("Kim Larsen"), "{message}");
    let r = rows(&app, &admin, &too_many.id).await;
    let message = r[0]["message"].as_str().unwrap();
    assert!(
        message.contains("Ola Nordmann") && message.contains("attachment"),
        "{message}"
    );
    assert_eq!(bad.status, "failed", "{bad:?}");
    assert_eq!(
        bad.failure_kind.map(|k| k.as_str()),
        Some("delivery"),
        "{bad:?}"
    );
    assert!(
        bad.failure_reason.as_deref().unwrap().contains("400"),
        "{bad:?}"
    );
    assert_eq!(ignored.status, "successful", "{ignored:?}");
    assert_eq!(
        rows(&app, &admin, &ignored.id).await[0]["status"],
        "skipped"
    );
    assert!(applications(&app, &admin).await.is_empty());

    // The tenant creates the position; the board has the application from
    // long ago, beyond what the list returns: the sync asks for it by id.
    board.receive_at(
        &kim,
        &format!("{}T10:00:00Z", crate::helpers::days_from_today(-30)),
    );
    put_position(&app, &admin, "pos-weaver", "underwater basket weaver").await;
    let run = sync_now(&app, &admin, &id, 6).await;
    assert_eq!(run.status, "successful", "{run:?}");
    assert_eq!(board.fetched(), vec!["a-3".to_string()]);
    let r = rows(&app, &admin, &run.id).await;
    assert!(
        messages(&r).iter().any(|m| m.contains("Kim Larsen")),
        "{r:?}"
    );
    let stored = applications(&app, &admin).await;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert_eq!(stored[0]["position_id"], "pos-weaver");
    // Placed now: not asked for again.
    sync_now(&app, &admin, &id, 7).await;
    assert_eq!(board.fetched().len(), 1);
}

#[tokio::test]
async fn the_backstop_sync_brings_what_the_webhook_missed_and_nothing_twice() {
    let board = FakeBoard::start().await;
    let (app, admin, id, url, secret) = connected(&board).await;
    // The initial sync read the last week, from midnight on (the
    // connection check before it asked for the list from now on).
    let first_since = format!("{}T00:00:00Z", crate::helpers::days_from_today(-7));
    let listed = board.listed_since();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[1], first_since);

    // Five applications reach the board; the webhook brings two of them.
    let people = [
        ("a-10", "Ada", "Lovelace"),
        ("a-11", "Alan", "Turing"),
        ("a-12", "Grace", "Hopper"),
        ("a-13", "Edsger", "Dijkstra"),
        ("a-14", "Barbara", "Liskov"),
    ];
    for (n, (board_id, first, last)) in people.iter().enumerate() {
        let a = application(board_id, Some("pos-sales"), "Sales Lead", (first, last));
        board.receive(&a);
        if n % 2 == 1 {
            assert_eq!(deliver(&app, &url, &secret, &created(&a)).await, 202);
        }
    }
    runs(&app, &id, 3).await;
    assert_eq!(applications(&app, &admin).await.len(), 2);

    // The sync reads every page and creates the three the webhook missed.
    let run = sync_now(&app, &admin, &id, 4).await;
    assert_eq!(run.status, "successful", "{run:?}");
    let stored = applications(&app, &admin).await;
    assert_eq!(stored.len(), 5, "{stored:#?}");
    let mut names: Vec<&str> = stored
        .iter()
        .map(|a| a["first_name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Ada", "Alan", "Barbara", "Edsger", "Grace"]);
    assert!(stored.iter().all(|a| a["position_id"] == "pos-sales"));
    let r = messages(&rows(&app, &admin, &run.id).await);
    for (_, first, last) in people {
        assert!(
            r.iter().any(|m| m.contains(&format!("{first} {last}"))),
            "{r:?}"
        );
    }

    // Again: it reads on from just before the last sync, creates nothing.
    let run = sync_now(&app, &admin, &id, 5).await;
    assert_eq!(run.status, "successful", "{run:?}");
    assert_eq!(applications(&app, &admin).await.len(), 5);
    let since = board.listed_since();
    assert!(since.last().unwrap() > &first_since, "{since:?}");
}

#[tokio::test]
async fn a_file_that_is_not_base64_is_refused_by_name() {
    let board = FakeBoard::start().await;
    let (app, admin, id, url, secret) = connected(&board).await;
    let mut bad = application("a-20", Some("pos-sales"), "Sales Lead", ("Mia", "Wong"));
    bad["attachments"][0]["data_base64"] = json!("not base64 at all!");
    bad["attachments"][0]["file_name"] = json!("letter.pdf");
    assert_eq!(deliver(&app, &url, &secret, &created(&bad)).await, 202);
    let run = runs(&app, &id, 2).await.pop().unwrap();
    let r = rows(&app, &admin, &run.id).await;
    let message = r[0]["message"].as_str().unwrap();
    assert!(
        message.contains("letter.pdf") && message.contains("Mia Wong"),
        "{message}"
    );
    assert!(applications(&app, &admin).await.is_empty());
    // A line-wrapped file is fine.
    let mut wrapped = application("a-21", Some("pos-sales"), "Sales Lead", ("Mia", "Wong"));
    let text = base64(&cv("Mia"));
    wrapped["attachments"][0]["data_base64"] = json!(format!("{}\n{}", &text[..8], &text[8..]));
    assert_eq!(deliver(&app, &url, &secret, &created(&wrapped)).await, 202);
    eventually("the application", || async {
        (applications(&app, &admin).await.len() == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_review_passes_it_against_the_board() {
    let board = FakeBoard::start().await;
    // Something to read: an application for a position the vetting
    // tenant does not have, so the sync reports a failed row and goes on.
    board.receive(&application(
        "a-30",
        None,
        "Backend Engineer",
        ("Ada", "Lovelace"),
    ));
    let report = crate::helpers::vet_passes(
        lockgate::demo::JOB_BOARD,
        ("api-key", BOARD_KEY),
        board.url(),
        Some(lockgate::demo::JOB_BOARD),
        &[
            "component and manifest",
            "configuration form",
            "validate-config accepts the sample",
            "validate-config refuses a broken configuration",
            "check-connection",
            "check-connection with a wrong credential",
            "first sync",
            "incremental",
            "late cursor",
            "injected credentials",
        ],
    )
    .await;
    // The wrong key reached the board and was refused; the right one is
    // nowhere in the report.
    let state = board.state.lock().unwrap();
    assert!(
        state.auth.iter().any(|a| a.contains("wrong-api-key")),
        "{:?}",
        state.auth
    );
    assert!(!serde_json::to_string(&report).unwrap().contains(BOARD_KEY));
    assert!(
        report
            .exchanges
            .iter()
            .any(|e| e.url.contains("/api/v1/applications?since="))
    );
}
