//! The audit trail: every read and write of HR data by a connector, as
//! JSON Lines, by day. Writes of working time and new applications are
//! checked where their connectors are (`time_tracking`, `job_board`),
//! through [`today_of`].

use lockgate_tests::TestApp;
use lockgate_tests::http::get;
use serde_json::{Value, json};

use crate::helpers::FakePlanner;
use crate::platform::{TENANT, connected_after_first_run};

/// Today's audit trail of one install, as the tenant's admin reads it:
/// one JSON object per line.
pub(crate) async fn today_of(
    app: &TestApp,
    admin: &str,
    tenant: &str,
    install: &str,
) -> Vec<Value> {
    let today = lockgate::time::date_text(lockgate::time::today());
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{tenant}/audit?from={today}&to={today}&install={install}",
            app.url
        ))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    res.text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn the_audit_trail_lists_every_read_as_json_lines() {
    let planner = FakePlanner::start().await;
    let (app, admin, id, run) = connected_after_first_run(&planner).await;
    let today = lockgate::time::date_text(lockgate::time::today());

    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/audit?from={today}&to={today}",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    let text = res.text().await.unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let reads: Vec<_> = lines
        .iter()
        .filter(|l| l["run_id"] == run.as_str() && l["what"] == "employees")
        .collect();
    assert!(!reads.is_empty(), "{text}");
    let mut read_ids: Vec<String> = reads
        .iter()
        .flat_map(|l| l["employee_ids"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    read_ids.sort();
    let mut sent = planner.received_ids();
    sent.sort();
    assert_eq!(read_ids, sent, "read exactly who was sent");
    assert!(
        reads
            .iter()
            .all(|l| l["attribute_groups"] == json!(["employees.basic"])
                && l["action"] == "read"
                && l["connector_id"] == "planner-export"
                && l["install_id"] == id.as_str())
    );
    assert!(lines.iter().any(|l| l["what"] == "absences"), "{text}");

    // Yesterday: nothing. A bad date: explained.
    let yesterday =
        lockgate::time::date_text(lockgate::time::add_days(lockgate::time::today(), -1));
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/tenants/{TENANT}/audit?from={yesterday}&to={yesterday}",
            app.url
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "");
    let (status, body) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/audit?from=yesterday&to={today}"),
        None,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "from");
}
