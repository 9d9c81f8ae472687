//! The bundled absence mirror against a fake planning tool: the host signs
//! in with OAuth2 client credentials, absences follow HR changes in real
//! time, people are matched on their exact names, and the tool's refusals,
//! throttling and outages end up in monitoring.

use std::time::Instant;

use lockgate_tests::http::{get as api_get, post_json, put_json, send_json};
use lockgate_tests::{TestApp, eventually, spawn_app_with, tenant_token};
use serde_json::json;

use crate::connectors::{connect, runs};
use crate::mirror_tool::{Build, CLIENT_ID, CLIENT_SECRET, tool};

const TENANT: &str = "t-1";

async fn rows(app: &TestApp, run: &lockgate::store::RunRecord) -> Vec<lockgate::store::RunRow> {
    app.store
        .run_rows(&run.id, None, None, None, 100)
        .await
        .unwrap()
}

fn today_plus(days: i64) -> String {
    lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), days))
}

#[tokio::test]
async fn absence_mirror_follows_hr_changes_with_a_host_managed_token() {
    follows_hr_changes_with_a_host_managed_token(Build::Rust).await;
}

#[tokio::test]
async fn absence_mirror_ts_follows_hr_changes_with_a_host_managed_token() {
    follows_hr_changes_with_a_host_managed_token(Build::TypeScript).await;
}

async fn follows_hr_changes_with_a_host_managed_token(build: Build) {
    let (addr, tool) = tool().await;
    let mut operator = lockgate::policy::OperatorPolicy::default();
    operator.allow(&addr).unwrap();
    let app = spawn_app_with(operator).await;
    lockgate::sandbox::ensure_tenant(&app.store, TENANT, 5, 4)
        .await
        .unwrap();
    build.publish(&app).await;
    let admin = tenant_token(&app, TENANT, true).await;
    let employees = format!("/api/v1/tenants/{TENANT}/employees");
    for (id, first, last, extra) in [
        ("e-zoe", "Zoë", "Van den Berg", json!({})),
        // The tool knows "Jan De Vries": capitals differ, no match.
        ("e-jan", "Jan", "de Vries", json!({})),
        // Two people of this name in the tool.
        ("e-luc", "Luc", "Martin", json!({})),
        (
            "e-out",
            "Zoë",
            "Van den Berg",
            json!({ "include_in": { build.id(): false } }),
        ),
    ] {
        let mut body =
            json!({ "first_name": first, "last_name": last, "hire_date": today_plus(-100) });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = put_json(
            &app,
            &admin,
            &format!("{employees}/{id}"),
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    let absences = format!("/api/v1/tenants/{TENANT}/absences");
    let absence = |who: &str, kind: &str, start: i64, status: &str| {
        json!({
            "employee_id": who, "type_name": kind, "status": status,
            "start_date": today_plus(start), "end_date": today_plus(start + 2),
        })
        .to_string()
    };
    // Approved before the integration existed: the first sync sends it.
    put_json(
        &app,
        &admin,
        &format!("{absences}/a-0"),
        &absence("e-zoe", "Vacation", 3, "approved"),
    )
    .await;

    // Connecting with a wrong secret: Pending, with the partner's reason.
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let config = |secret: &str| {
        json!({
            "planner-url": format!("http://{addr}"),
            "client-id": CLIENT_ID,
            "client-secret": secret,
            "type-names": "Vacation=Verlof; Sick leave=Ziekte",
        })
    };
    let (preview, install) = connect(&app, &admin, build.id(), &config("wrong")).await;
    // The wizard says who signs in where, without the secret.
    let sign_in = preview["permissions"]["sign_in"].as_str().unwrap();
    assert!(
        sign_in.contains(&format!("signs in at https://{addr}/oauth/token"))
            && sign_in.contains("never sees"),
        "{sign_in}"
    );
    assert!(!preview.to_string().contains("\"wrong\""));
    assert_eq!(install["status"], "pending", "{install}");
    let reason = install["status_reason"].as_str().unwrap();
    assert!(
        reason.contains("invalid_client") && reason.contains("check the client id and secret"),
        "{reason}"
    );
    assert!(
        !install.to_string().contains("wrong"),
        "the secret is never shown"
    );
    let id = install["id"].as_str().unwrap().to_string();

    // A bad type mapping is refused per field, and nothing changes.
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &admin,
        &format!("{path}/{id}"),
        r#"{"config": {"type-names": "Vacation"}}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("type-names"), "{body}");

    // The right secret: Connected, and the first sync sends a-0.
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &admin,
        &format!("{path}/{id}"),
        &json!({ "config": { "client-secret": CLIENT_SECRET } }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_json(&app, &admin, &format!("{path}/{id}/check"), "{}").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "connected", "{body}");
    let first = runs(&app, &id, 1).await;
    assert_eq!(first[0].kind, "sync");
    assert_eq!(
        first[0].status, "successful",
        "{:?}",
        first[0].failure_reason
    );
    {
        let tool = tool.lock().unwrap();
        let a0 = &tool.absences["a-0"];
        assert_eq!(a0["person_id"], "p-1");
        assert_eq!(a0["type_id"], "t-1", "Vacation is Verlof in the tool");
        assert_eq!(a0["start_date"], today_plus(3).as_str());
    }

    // Real time: each change is one event run.
    let put = |id: &'static str, body: String| {
        let (app, admin, absences) = (&app, &admin, &absences);
        async move {
            let (status, answer) = put_json(app, admin, &format!("{absences}/{id}"), &body).await;
            assert_eq!(status, 200, "{answer}");
        }
    };
    put("a-1", absence("e-zoe", "Sick leave", 10, "approved")).await;
    let done = runs(&app, &id, 2).await;
    let r = rows(&app, &done[1]).await;
    assert_eq!(
        (r[0].operation.as_str(), r[0].status.as_str()),
        ("create", "success"),
        "{r:?}"
    );
    assert_eq!(r[0].partner_status, Some(201));
    assert_eq!(tool.lock().unwrap().absences["a-1"]["type_id"], "t-2");

    // No exact name match, two matches, an unmapped type, a pending one.
    put("a-2", absence("e-jan", "Vacation", 5, "approved")).await;
    put("a-3", absence("e-luc", "Vacation", 5, "approved")).await;
    put("a-4", absence("e-zoe", "Training", 20, "approved")).await;
    put("a-5", absence("e-zoe", "Vacation", 30, "pending")).await;
    // Excluded by the tenant: not delivered at all.
    put("a-6", absence("e-out", "Vacation", 5, "approved")).await;
    let done = runs(&app, &id, 6).await;
    let jan = rows(&app, &done[2]).await;
    assert_eq!(
        (jan[0].operation.as_str(), jan[0].status.as_str()),
        ("skip", "skipped")
    );
    assert!(
        jan[0].message.contains("no person named \"Jan de Vries\"")
            && jan[0].message.contains("capitals"),
        "{jan:?}"
    );
    let luc = rows(&app, &done[3]).await;
    assert!(
        luc[0].message.contains("2 people named \"Luc Martin\""),
        "{luc:?}"
    );
    let training = rows(&app, &done[4]).await;
    assert_eq!(training[0].status, "failed");
    assert!(
        training[0]
            .message
            .contains("no absence type named \"Training\""),
        "{training:?}"
    );
    assert_eq!(done[4].status, "failed", "its only row failed");
    let pending = rows(&app, &done[5]).await;
    assert!(
        pending[0].message.contains("pending approval"),
        "{pending:?}"
    );
    assert!(!tool.lock().unwrap().absences.contains_key("a-2"));

    // Approved later: entered; cancelled: removed.
    put("a-5", absence("e-zoe", "Vacation", 30, "approved")).await;
    put("a-1", absence("e-zoe", "Sick leave", 10, "cancelled")).await;
    let done = runs(&app, &id, 8).await;
    assert_eq!(rows(&app, &done[6]).await[0].operation, "create");
    let cancelled = rows(&app, &done[7]).await;
    assert_eq!(
        (
            cancelled[0].operation.as_str(),
            cancelled[0].status.as_str()
        ),
        ("update", "success")
    );
    assert!(
        cancelled[0].message.contains("cancelled: removed"),
        "{cancelled:?}"
    );
    assert!(!tool.lock().unwrap().absences.contains_key("a-1"));
    assert!(tool.lock().unwrap().absences.contains_key("a-5"));
    assert_eq!(done.len(), 8, "nothing ran for a-6: {done:?}");
    let mut delivered = Vec::new();
    for run in &done {
        delivered.extend(rows(&app, run).await);
    }
    assert!(!delivered.is_empty());
    assert!(
        delivered
            .iter()
            .all(|r| r.employee_id.as_deref() != Some("e-out")),
        "{delivered:?}"
    );

    // The tool refuses one absence: that row fails with its answer.
    tool.lock().unwrap().refuse.push("a-7".into());
    put("a-7", absence("e-zoe", "Vacation", 40, "approved")).await;
    let done = runs(&app, &id, 9).await;
    assert_eq!(done[8].status, "failed", "its only row failed");
    let refused = rows(&app, &done[8]).await;
    assert_eq!(refused[0].status, "failed");
    assert_eq!(refused[0].partner_status, Some(422));
    assert!(
        refused[0]
            .partner_body
            .as_deref()
            .unwrap()
            .contains("already confirmed")
    );

    // Throttled twice with Retry-After: waited out, then sent.
    tool.lock().unwrap().throttle = 2;
    put("a-8", absence("e-zoe", "Vacation", 50, "approved")).await;
    let done = runs(&app, &id, 10).await;
    assert_eq!(done[9].status, "successful", "{:?}", done[9].failure_reason);
    assert_eq!(tool.lock().unwrap().throttled, 2);
    assert!(tool.lock().unwrap().absences.contains_key("a-8"));

    // The tool down: the run fails and says so; the nightly sync catches up.
    tool.lock().unwrap().down = true;
    put("a-9", absence("e-zoe", "Vacation", 60, "approved")).await;
    let done = runs(&app, &id, 11).await;
    assert_eq!(done[10].status, "failed");
    let why = done[10].failure_reason.as_deref().unwrap();
    assert!(why.contains("503") && why.contains("nightly sync"), "{why}");
    tool.lock().unwrap().down = false;
    let (status, body) = post_json(&app, &admin, &format!("{path}/{id}/sync"), "{}").await;
    assert_eq!(status, 202, "{body}");
    let done = runs(&app, &id, 12).await;
    assert_eq!(done[11].kind, "sync");
    assert!(
        tool.lock().unwrap().absences.contains_key("a-9"),
        "caught up"
    );
    let caught_up = rows(&app, &done[11]).await;
    assert!(!caught_up.is_empty(), "the catch-up sent a-9");
    assert!(
        caught_up
            .iter()
            .all(|r| r.message.contains("a-") && !r.message.contains("a-0 ")),
        "only what changed since the first sync: {caught_up:?}"
    );

    assert_eq!(
        tool.lock().unwrap().issued,
        1,
        "the host keeps the token between runs"
    );

    // Revoked by the tool: refused once, then the host signs in again.
    tool.lock().unwrap().tokens.clear();
    put("a-10", absence("e-zoe", "Vacation", 70, "approved")).await;
    let done = runs(&app, &id, 13).await;
    assert_eq!(
        done[12].status, "successful",
        "{:?}",
        done[12].failure_reason
    );
    {
        let tool = tool.lock().unwrap();
        assert_eq!((tool.issued, tool.unauthorized), (2, 1));
    }
    // Expired: renewed before use, without a refusal.
    tool.lock().unwrap().lifetime = 1;
    tool.lock().unwrap().tokens.clear();
    put("a-11", absence("e-zoe", "Vacation", 80, "approved")).await;
    runs(&app, &id, 14).await;
    // The tool now holds that 1-second token expired; the host renews 10%
    // ahead of the lifetime it was told, so it knows too.
    eventually("the tool's token to expire", || async {
        let tool = tool.lock().unwrap();
        let now = Instant::now();
        (!tool.tokens.is_empty() && tool.tokens.values().all(|until| now >= *until)).then_some(())
    })
    .await;
    put("a-12", absence("e-zoe", "Vacation", 90, "approved")).await;
    let done = runs(&app, &id, 15).await;
    assert_eq!(
        done[14].status, "successful",
        "{:?}",
        done[14].failure_reason
    );
    let log = |run: &lockgate::store::RunRecord| {
        let (store, run) = (app.store.clone(), run.id.clone());
        async move {
            store
                .run_logs(&run)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.message)
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let revoked = log(&done[12]).await;
    assert!(
        revoked.contains("refused the access token")
            && revoked.contains("access token obtained from"),
        "{revoked}"
    );

    // No token and no secret anywhere an admin or a log reader looks.
    let tokens: Vec<String> = tool.lock().unwrap().tokens.keys().cloned().collect();
    assert!(!tokens.is_empty());
    let mut seen = String::new();
    for run in &done {
        seen.push_str(&log(run).await);
        for row in rows(&app, run).await {
            seen.push_str(&format!("{row:?}\n"));
        }
    }
    let (status, view) = api_get(&app, &admin, &format!("{path}/{id}"), None).await;
    assert_eq!(status, 200, "{view}");
    seen.push_str(&view.to_string());
    // The audit trail of the day, as JSON Lines: one object per line.
    let today = today_plus(0);
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/audit?from={today}&to={today}&install={id}",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let audit = res.text().await.unwrap();
    let lines: Vec<serde_json::Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!lines.is_empty(), "the runs' reads are audited");
    assert!(
        lines.iter().all(|l| l["install_id"] == id.as_str()),
        "{audit}"
    );
    seen.push_str(&audit);
    for secret in tokens
        .iter()
        .map(String::as_str)
        .chain([CLIENT_SECRET, "tok-1-"])
    {
        assert!(!seen.contains(secret), "{secret} leaked");
    }

    let tool = tool.lock().unwrap();
    assert!(tool.absences.contains_key("a-12"));
    assert_eq!(
        (tool.issued, tool.unauthorized),
        (4, 2),
        "one refusal for the revoked token; the expired one was renewed ahead"
    );
}
