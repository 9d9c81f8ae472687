//! HR data over the API: tenants, employees, absences, CSV import; each
//! tenant's admins see their own data and nobody else's.

use lockgate::auth::Role;
use lockgate_tests::http::{get, post_json, put_json};
use lockgate_tests::{TestApp, spawn_app, tenant_token, token};
use serde_json::Value;

#[tokio::test]
async fn tenant_admins_keep_their_own_hr_data_and_nobody_elses() {
    let app = spawn_app().await;
    // Inclusion answers name connectors the catalog knows.
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let operator = token(&app, Role::Operator, None, None).await;
    for (id, name) in [("acme", "Acme"), ("globex", "Globex")] {
        let (status, _) = post_json(
            &app,
            &operator,
            "/api/v1/tenants",
            &format!(r#"{{"id":"{id}","name":"{name}"}}"#),
        )
        .await;
        assert_eq!(status, 201);
    }
    assert_eq!(
        post_json(
            &app,
            &operator,
            "/api/v1/tenants",
            r#"{"id":"acme","name":"Again"}"#
        )
        .await
        .0,
        409
    );
    let acme = tenant_token(&app, "acme", true).await;
    let globex = tenant_token(&app, "globex", true).await;
    let partner = token(&app, Role::Partner, Some("p"), None).await;
    assert_eq!(
        post_json(
            &app,
            &acme,
            "/api/v1/tenants",
            r#"{"id":"mine","name":"Mine"}"#
        )
        .await
        .0,
        403
    );

    let employee = r#"{"first_name":"Zoë","last_name":"Müller-Lüdenscheidt","department":"Sales",
        "hire_date":"2020-03-01","work_email":"zoe@acme.example","include_in":{"planner-export":false}}"#;
    let (status, saved) =
        put_json(&app, &acme, "/api/v1/tenants/acme/employees/e-1", employee).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["last_name"], "Müller-Lüdenscheidt");

    // A mistyped connector id would protect no one: refused, naming the
    // field and the ids that exist, and nothing is stored.
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-typo",
        r#"{"first_name":"Ann","last_name":"Typo","hire_date":"2020-03-01","include_in":{"planer-export":false}}"#,
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        err["error"]["fields"][0]["field"],
        "include_in.planer-export"
    );
    let message = err["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("no connector has the id \"planer-export\"")
            && message.contains("planner-export"),
        "{message}"
    );
    assert!(
        app.store
            .employee("acme", "e-typo")
            .await
            .unwrap()
            .is_none()
    );

    // Every problem at once, and nothing stored.
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-2",
        r#"{"first_name":"","last_name":"X","hire_date":"2020-13-01","status":"retired","work_email":"nope"}"#,
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["first_name", "status", "hire_date", "work_email"]
    );
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-2",
        r#"{"first_name":"A","last_name":"B","hire_date":"2020-01-01","shoe_size":44}"#,
    )
    .await;
    assert!(status == 400 || status == 422, "{status}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shoe_size")
    );
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/employees/e-2",
        r#"{"first_name":1}"#,
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {err}");

    let absence = r#"{"employee_id":"e-1","type_name":"Vacation","start_date":"2026-12-21","end_date":"2026-12-31"}"#;
    assert_eq!(
        put_json(&app, &acme, "/api/v1/tenants/acme/absences/a-1", absence)
            .await
            .0,
        200
    );
    let (status, err) = put_json(
        &app,
        &acme,
        "/api/v1/tenants/acme/absences/a-2",
        r#"{"employee_id":"e-9","type_name":"Vacation","start_date":"2026-12-21","end_date":"2026-12-01"}"#,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"].as_array().unwrap().len(), 2, "{err}");

    let (status, list) = get(&app, &acme, "/api/v1/tenants/acme/employees", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        list["items"][0]["excluded_from"],
        serde_json::json!(["planner-export"])
    );
    let (_, absences) = get(&app, &acme, "/api/v1/tenants/acme/absences", None).await;
    assert_eq!(absences["items"][0]["id"], "a-1");

    // Other tenants, partners and unknown tenants all see the same 404.
    for (who, path) in [
        (&globex, "/api/v1/tenants/acme/employees"),
        (&partner, "/api/v1/tenants/acme/employees"),
        (&acme, "/api/v1/tenants/globex/employees"),
        (&acme, "/api/v1/tenants/nowhere/employees"),
    ] {
        let (status, err) = get(&app, who, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(err["error"]["message"], "tenant not found");
    }
    assert_eq!(
        put_json(
            &app,
            &globex,
            "/api/v1/tenants/acme/employees/e-1",
            employee
        )
        .await
        .0,
        404
    );
    // The operator may look.
    assert_eq!(
        get(&app, &operator, "/api/v1/tenants/acme/employees", None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn employee_lists_page_with_a_cursor() {
    let app = spawn_app().await;
    let operator = token(&app, Role::Operator, None, None).await;
    post_json(
        &app,
        &operator,
        "/api/v1/tenants",
        r#"{"id":"acme","name":"Acme"}"#,
    )
    .await;
    let admin = tenant_token(&app, "acme", true).await;
    for i in 0..7 {
        let body = format!(r#"{{"first_name":"P{i}","last_name":"L","hire_date":"2021-01-01"}}"#);
        assert_eq!(
            put_json(
                &app,
                &admin,
                &format!("/api/v1/tenants/acme/employees/e-{i}"),
                &body
            )
            .await
            .0,
            200
        );
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/tenants/acme/employees?limit=3".to_string();
    loop {
        let (_, page) = get(&app, &admin, &path, None).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/tenants/acme/employees?limit=3&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("e-{i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn employees_are_found_by_a_part_of_their_id_or_name_and_paged() {
    let app = spawn_app().await;
    let operator = token(&app, Role::Operator, None, None).await;
    post_json(
        &app,
        &operator,
        "/api/v1/tenants",
        r#"{"id":"acme","name":"Acme"}"#,
    )
    .await;
    let admin = tenant_token(&app, "acme", true).await;
    for (id, first, last, preferred) in [
        ("e-1", "Anna", "Müller", None),
        ("e-2", "Jonas", "Annaberg", None),
        ("e-3", "Katharina", "Weiss", Some("Kati")),
        ("e-4", "Ben", "Ort", None),
        ("x_5", "Ida", "Percent%", None),
    ] {
        let mut body = serde_json::json!({ "first_name": first, "last_name": last, "hire_date": "2021-01-01" });
        if let Some(p) = preferred {
            body["preferred_name"] = p.into();
        }
        let (status, answer) = put_json(
            &app,
            &admin,
            &format!("/api/v1/tenants/acme/employees/{id}"),
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
    }
    let found = |q: &'static str| {
        let (app, admin) = (&app, &admin);
        async move {
            let q = q.replace('%', "%25").replace(' ', "%20");
            let (status, page) = get(
                app,
                admin,
                &format!("/api/v1/tenants/acme/employees?q={q}"),
                None,
            )
            .await;
            assert_eq!(status, 200, "{page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    // First or last name, ignoring case; "first last"; the preferred name; the id.
    assert_eq!(found("anna").await, ["e-1", "e-2"]);
    assert_eq!(found("ANNA M").await, ["e-1"]);
    assert_eq!(found("kati weiss").await, ["e-3"]);
    assert_eq!(found("e-4").await, ["e-4"]);
    // % and _ are plain characters, not patterns.
    assert_eq!(found("%").await, ["x_5"]);
    assert_eq!(found("_").await, ["x_5"]);
    assert!(found("nobody").await.is_empty());
    // An empty search lists everyone; a search pages like the list.
    assert_eq!(found("").await.len(), 5);
    let (_, page) = get(
        &app,
        &admin,
        "/api/v1/tenants/acme/employees?q=nn&limit=1",
        None,
    )
    .await;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let (_, next) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/acme/employees?q=nn&limit=1&cursor={cursor}"),
        None,
    )
    .await;
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(next["items"].as_array().unwrap())
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e-1", "e-2"]);
    assert_eq!(next["next_cursor"], Value::Null);
    // Too long a search is refused, saying what to fix.
    let (status, answer) = get(
        &app,
        &admin,
        &format!("/api/v1/tenants/acme/employees?q={}", "a".repeat(101)),
        None,
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["fields"][0]["field"], "q", "{answer}");
}

async fn post_csv(app: &TestApp, token: &str, tenant: &str, csv: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/tenants/{tenant}/employees/import",
            app.url
        ))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_csv_import_writes_all_rows_or_none() {
    let app = spawn_app().await;
    lockgate::demo::publish_bundled(&app).await.unwrap();
    app.store.create_tenant("t-1", "Acme").await.unwrap();
    let admin = tenant_token(&app, "t-1", true).await;

    // Every problem, by line; nothing is written.
    let bad = "id,first_name,last_name,hire_date,weekly_hours,include:planner-export,attribute:Badge\n\
               e-1,Zoë,Müller-Lüdenscheidt,2024-01-15,38.5,yes,B-17\n\
               e-2,,Dupont,2024-13-01,lots,maybe,\n\
               e-1,Anna,Jansen,2023-05-02,,,\n";
    let (status, body) = post_csv(&app, &admin, "t-1", bad).await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<String> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect();
    for expected in [
        "line 3: weekly_hours",
        "line 3: include:planner-export",
        "line 3: first_name",
        "line 3: hire_date",
        "line 4: id",
    ] {
        assert!(
            fields.iter().any(|f| f == expected),
            "{expected} in {fields:?}"
        );
    }
    assert!(app.store.all_employees("t-1").await.unwrap().is_empty());

    // An inclusion column for a connector that does not exist.
    let typo = "id,first_name,last_name,hire_date,include:planer-export\n\
                e-1,Zoë,Müller,2024-01-15,no\n";
    let (status, body) = post_csv(&app, &admin, "t-1", typo).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["fields"][0]["field"],
        "line 1: include:planer-export"
    );
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("known ids: absence-mirror, account-provisioning, ats-hire, job-board, payroll-export, planner-export, time-tracking"),
        "{body}"
    );
    assert!(app.store.all_employees("t-1").await.unwrap().is_empty());

    let (status, body) = post_csv(&app, &admin, "t-1", "id,shoe_size\ne-1,42\n").await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown column")
    );

    let good = "id,first_name,last_name,hire_date,weekly_hours,include:planner-export,attribute:Badge\n\
                e-1,Zoë,Müller-Lüdenscheidt,2024-01-15,38.5,yes,B-17\n\
                e-2,Jean,Dupont,2024-03-01,,no,\n";
    let (status, body) = post_csv(&app, &admin, "t-1", good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], 2);
    let (_, page) = get(&app, &admin, "/api/v1/tenants/t-1/employees", None).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["last_name"], "Müller-Lüdenscheidt");
    assert_eq!(items[0]["weekly_hours"], 38.5);
    assert_eq!(
        items[0]["custom_attributes"],
        serde_json::json!({ "Badge": "B-17" })
    );
    assert_eq!(
        items[1]["excluded_from"],
        serde_json::json!(["planner-export"])
    );
    assert_eq!(items[1]["custom_attributes"], serde_json::json!({}));

    // Custom attributes through the single-employee endpoint too.
    let (status, body) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/t-1/employees/e-2",
        r#"{"first_name":"Jean","last_name":"Dupont","hire_date":"2024-03-01","custom_attributes":{"T-shirt":"L"}}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["custom_attributes"],
        serde_json::json!({ "T-shirt": "L" })
    );

    // Another tenant's admin imports nothing here.
    let other = tenant_token(&app, "t-2", true).await;
    let (status, _) = post_csv(&app, &other, "t-1", good).await;
    assert_eq!(status, 404);
}
