//! The install lifecycle over the API: pending, connected, inactive and
//! deleted; bad connect requests; who may reach an install; repeated
//! failures.

use lockgate::auth::Role;
use lockgate_tests::http::{get, post_json, send_json};
use lockgate_tests::{eventually, tenant_token, token};
use serde_json::{Value, json};

use crate::helpers::{FakePlanner, PLANNER_KEY};
use crate::platform::{
    TENANT, connect, connect_body, connected_after_first_run, finished_runs, listed_app, runs,
};

#[tokio::test]
async fn an_install_goes_through_pending_connected_inactive_and_deleted() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let install = connect(&app, &admin, &planner, "wrong-key").await;
    assert_eq!(install["status_label"], "Pending", "{install}");
    let reason = install["status_reason"].as_str().unwrap();
    assert!(reason.contains("401"), "{reason}");
    let id = install["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/tenants/{TENANT}/installs/{id}");

    let (status, body) = post_json(&app, &admin, &format!("{base}/sync"), "").await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("check the connection")
    );

    // Reconfigure only the key; the rest is kept, the check runs again.
    let (status, body) = send_json(
        &app,
        reqwest::Method::PATCH,
        &admin,
        &base,
        &json!({ "config": { "api-key": PLANNER_KEY }, "schedule": "daily@05:30" }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status_label"], "Connected", "{body}");
    assert_eq!(body["schedule"], "daily@05:30");
    assert!(body["next_run_at"].as_str().unwrap().contains("T05:30:00"));
    assert_eq!(body["config"]["planner-url"], planner.url());

    let (status, body) = post_json(&app, &admin, &format!("{base}/deactivate"), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status_label"], "Inactive");
    assert_eq!(body["next_run_at"], Value::Null);
    let (status, _) = post_json(&app, &admin, &format!("{base}/sync"), "").await;
    assert_eq!(status, 409);

    let (status, body) = post_json(&app, &admin, &format!("{base}/reactivate"), "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status_label"], "Connected");

    // Connecting the same connector twice is a conflict.
    let (status, body) = post_json(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs"),
        &connect_body(&planner, PLANNER_KEY, None),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let (status, _) = send_json(&app, reqwest::Method::DELETE, &admin, &base, "").await;
    assert_eq!(status, 204);
    let (status, _) = get(&app, &admin, &base, None).await;
    assert_eq!(status, 404);
    assert_eq!(app.store.install_secrets(&id).await.unwrap(), None);
    let (_, view) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/installs"),
        None,
    )
    .await;
    assert_eq!(view["items"], json!([]));
}

#[tokio::test]
async fn bad_connect_requests_are_explained_and_store_nothing() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let path = format!("/api/v1/tenants/{TENANT}/installs");
    let cases: Vec<(String, u16, &str, Vec<&str>)> = vec![
        ("{not json".into(), 400, "bad_json", vec![]),
        (
            json!({ "plugin": "planner-export", "colour": 1 }).to_string(),
            400,
            "bad_json",
            vec![],
        ),
        (
            json!({ "plugin": 5 }).to_string(),
            400,
            "bad_json",
            vec![],
        ),
        (
            json!({ "plugin": "nope" }).to_string(),
            422,
            "invalid_field",
            vec!["plugin"],
        ),
        (
            json!({
                "plugin": "planner-export",
                "config": { "planner-url": "ftp://x", "include-pending": "maybe", "extra": 1, "initial-sync-from": [1] },
            })
            .to_string(),
            422,
            "invalid_config",
            vec![
                "config.planner-url",
                "config.include-pending",
                "config.extra",
                "config.initial-sync-from",
                "config.api-key",
            ],
        ),
        (
            json!({
                "plugin": "planner-export",
                "config": { "planner-url": planner.url(), "api-key": "k" },
                "schedule": "every tuesday",
            })
            .to_string(),
            422,
            "invalid_field",
            vec!["schedule"],
        ),
    ];
    for (body, status, code, fields) in cases {
        let (got, answer) = post_json(&app, &admin, &path, &body).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
        let named: Vec<_> = answer["error"]["fields"]
            .as_array()
            .map(|f| {
                f.iter()
                    .map(|p| p["field"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        for field in fields {
            assert!(
                named.iter().any(|n| n == field),
                "{field} missing in {answer}"
            );
        }
    }
    assert!(app.store.tenant_installs(TENANT).await.unwrap().is_empty());
}

#[tokio::test]
async fn installs_are_reachable_only_by_their_tenants_admins() {
    let planner = FakePlanner::start().await;
    let (app, admin, id, run) = connected_after_first_run(&planner).await;
    lockgate::sandbox::ensure_tenant(&app.store, "t-2", 5, 1)
        .await
        .unwrap();

    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let other_admin = tenant_token(&app, "t-2", true).await;
    let no_right = tenant_token(&app, TENANT, false).await;

    let base = format!("/api/v1/tenants/{TENANT}");
    let reads = [
        format!("{base}/installs"),
        format!("{base}/installs/{id}"),
        format!("{base}/installs/{id}/runs"),
        format!("{base}/runs/{run}"),
        format!("{base}/runs/{run}/rows"),
    ];
    let writes = [
        (reqwest::Method::POST, format!("{base}/installs/preview")),
        (reqwest::Method::POST, format!("{base}/installs")),
        (reqwest::Method::PATCH, format!("{base}/installs/{id}")),
        (reqwest::Method::POST, format!("{base}/installs/{id}/check")),
        (
            reqwest::Method::POST,
            format!("{base}/installs/{id}/deactivate"),
        ),
        (
            reqwest::Method::POST,
            format!("{base}/installs/{id}/reactivate"),
        ),
        (
            reqwest::Method::POST,
            format!("{base}/installs/{id}/upgrade"),
        ),
        (reqwest::Method::POST, format!("{base}/installs/{id}/sync")),
        (reqwest::Method::DELETE, format!("{base}/installs/{id}")),
    ];
    // (who, expected status for reads, for writes)
    let callers = [
        ("partner", &partner, 404, 404),
        ("other tenant's admin", &other_admin, 404, 404),
        ("admin without the marketplace right", &no_right, 403, 403),
        ("operator", &operator, 200, 403),
    ];
    for (who, token, read_status, write_status) in callers {
        for path in &reads {
            let (status, body) = get(&app, token, path, None).await;
            assert_eq!(status, read_status, "{who} GET {path}: {body}");
            if status >= 400 {
                assert!(
                    !body.to_string().contains(&id),
                    "{who} learned the install id"
                );
            }
        }
        for (method, path) in &writes {
            let (status, body) = send_json(&app, method.clone(), token, path, "{}").await;
            assert_eq!(status, write_status, "{who} {method} {path}: {body}");
        }
    }
    // Another tenant's path with one's own token reveals nothing either.
    let (status, _) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/t-2/runs/{run}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    // Nothing changed.
    let record = app.store.install(&id).await.unwrap().unwrap();
    assert_eq!(record.status, "connected");
}

#[tokio::test]
async fn repeated_failures_make_an_install_inactive() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    // The partner refuses the key for every batch: every run fails.
    // (Records it rejects would not count: see `streaks`.)
    planner.state.lock().unwrap().revoked = true;
    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let limit = lockgate::installs::FAILURE_LIMIT as usize;
    for n in 1..=limit {
        finished_runs(&app, &admin, &id, n).await;
        if n < limit {
            let (status, body) = post_json(
                &app,
                &admin,
                &format!("/api/v1/tenants/{TENANT}/installs/{id}/sync"),
                "",
            )
            .await;
            assert_eq!(status, 202, "run {n}: {body}");
        }
    }
    let view = eventually("the install to become inactive", || async {
        let (_, view) = get(
            &app,
            &admin,
            &format!("/api/v1/tenants/{TENANT}/installs/{id}"),
            None,
        )
        .await;
        (view["status"] == "inactive").then_some(view)
    })
    .await;
    let reason = view["status_reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("{limit} failed runs in a row")),
        "{reason}"
    );
    let all = runs(&app, &admin, &id).await;
    assert!(all.len() >= limit, "{all:?}");
    assert!(all.iter().all(|r| r["status_label"] == "Failed"), "{all:?}");
}

/// The employees the data rules let the connector see today, counted from
/// the employee list: in their employment window and not excluded from it.
async fn visible_to_planner(app: &lockgate_tests::TestApp, admin: &str) -> (usize, Vec<Value>) {
    let (status, page) = get(
        app,
        admin,
        &format!("/api/v1/tenants/{TENANT}/employees?limit=500"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let today = lockgate::time::date_text(lockgate::time::today());
    let visible: Vec<Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["hire_date"].as_str().unwrap() <= today.as_str()
                && e["termination_date"]
                    .as_str()
                    .is_none_or(|t| t >= today.as_str())
                && !e["excluded_from"]
                    .as_array()
                    .is_some_and(|x| x.iter().any(|c| c == "planner-export"))
        })
        .cloned()
        .collect();
    (visible.len(), visible)
}

#[tokio::test]
async fn the_preview_says_how_many_employees_and_which_fields_would_leave_to_which_hosts() {
    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let path = format!("/api/v1/tenants/{TENANT}/installs/preview");
    let body = connect_body(&planner, PLANNER_KEY, None);

    let (expected, visible) = visible_to_planner(&app, &admin).await;
    let (status, all) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/{TENANT}/employees?limit=500"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        expected > 0 && expected < all["items"].as_array().unwrap().len(),
        "the sandbox has people outside the employment window: {expected} of {}",
        all["items"].as_array().unwrap().len()
    );

    let (status, preview) = post_json(&app, &admin, &path, &body).await;
    assert_eq!(status, 200, "{preview}");
    let leaving = &preview["leaving"];
    assert_eq!(leaving["employees"], json!(expected), "{preview}");
    // The planner export reads the basic group: names, department, position.
    let fields: Vec<&str> = leaving["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    for field in ["id", "first_name", "last_name", "department"] {
        assert!(fields.contains(&field), "{field} missing in {fields:?}");
    }
    assert!(!fields.contains(&"fixed_salary"), "{fields:?}");
    assert_eq!(
        leaving["hosts"], preview["permissions"]["hosts"],
        "{preview}"
    );
    assert!(
        !leaving["hosts"].as_array().unwrap().is_empty(),
        "{preview}"
    );

    // Someone excluded from the connector no longer counts.
    let who = &visible[0];
    let csv = format!(
        "id,first_name,last_name,hire_date,include:planner-export\n{},{},{},{},no\n",
        who["id"].as_str().unwrap(),
        who["first_name"].as_str().unwrap(),
        who["last_name"].as_str().unwrap(),
        who["hire_date"].as_str().unwrap(),
    );
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/tenants/{TENANT}/employees/import",
            app.url
        ))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.text().await);
    let (now, _) = visible_to_planner(&app, &admin).await;
    assert_eq!(now, expected - 1);
    let (status, preview) = post_json(&app, &admin, &path, &body).await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        preview["leaving"]["employees"],
        json!(expected - 1),
        "{preview}"
    );
}

#[tokio::test]
async fn an_upgrade_names_what_the_new_version_asks_beyond_the_running_one() {
    let planner = FakePlanner::start().await;
    let (app, admin, id, _) = connected_after_first_run(&planner).await;
    let path = format!("/api/v1/tenants/{TENANT}/installs/{id}");
    let (_, view) = get(&app, &admin, &path, None).await;
    assert_eq!(view["upgrade"], Value::Null, "{view}");

    // 0.2.0 also reads contact data and has one more field.
    let next = lockgate_tests::with_manifest(
        &crate::api_catalog::published_by(lockgate::demo::PLANNER_EXPORT, "Planner Co"),
        |toml| {
            toml.replace("version = \"0.1.0\"", "version = \"0.2.0\"")
                .replace(
                    "\"employees.basic\",",
                    "\"employees.basic\", \"employees.contact\",",
                )
                + "\n[[config]]\nkey = \"team\"\ntype = \"string\"\nlabel = { de = \"Team\", en = \"Team name\" }\n"
        },
    );
    crate::helpers::publish(&app, "planner-co", &next).await;
    let (_, view) = get(&app, &admin, &path, None).await;
    assert_eq!(view["upgrade_available"], "0.2.0", "{view}");
    assert_eq!(
        view["upgrade"],
        json!({
            "version": "0.2.0",
            "new_scopes": [lockgate_manifest::Scope::EmployeesContact.describe()],
            "new_hosts": [],
            "new_fields": ["Team name"],
        }),
        "{view}"
    );

    // Moving to it needs the new permission granted.
    let (status, body) = post_json(&app, &admin, &format!("{path}/upgrade"), "{}").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "grant_required", "{body}");
    let grant = |field: &str| -> Vec<String> {
        body["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == field)
            .and_then(|f| f["message"].as_str())
            .and_then(|m| m.strip_prefix("grant exactly: "))
            .unwrap_or_else(|| panic!("{field} in {body}"))
            .split(", ")
            .map(String::from)
            .collect()
    };
    let grant = json!({ "scopes": grant("grant.scopes"), "hosts": grant("grant.hosts") });
    assert!(
        grant["scopes"].to_string().contains("employees.contact"),
        "{grant}"
    );
    let (status, body) = post_json(
        &app,
        &admin,
        &format!("{path}/upgrade"),
        &json!({ "grant": grant }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "0.2.0");
    assert_eq!(body["upgrade"], Value::Null, "{body}");
}
