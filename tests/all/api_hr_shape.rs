//! What a tenant may write, and reading it back: ids and texts have one
//! shape on every store (refused with the field named, nothing stored),
//! one employee or absence by id, and list cursors the server did not
//! hand out are refused.

use lockgate::auth::Role;
use lockgate_tests::http::{get, post_json, put_json};
use lockgate_tests::{TestApp, spawn_app, tenant_token, token};
use serde_json::{Value, json};

/// The fields a refusal names, in order.
fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no fields in {err}"))
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

/// The message for `field` in a refusal.
fn message<'a>(err: &'a Value, field: &str) -> &'a str {
    err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == field)
        .unwrap_or_else(|| panic!("{field} not in {err}"))["message"]
        .as_str()
        .unwrap()
}

fn employee(extra: Value) -> String {
    let mut body = json!({ "first_name": "Ann", "last_name": "Lee", "hire_date": "2024-01-15" });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body.to_string()
}

async fn tenant(app: &TestApp, id: &str) -> String {
    let operator = token(app, Role::Operator, None, None).await;
    let body = json!({ "id": id, "name": "Acme" }).to_string();
    let (status, answer) = post_json(app, &operator, "/api/v1/tenants", &body).await;
    assert_eq!(status, 201, "{answer}");
    tenant_token(app, id, true).await
}

#[tokio::test]
async fn ids_and_texts_have_one_shape_on_every_store() {
    let app = spawn_app().await;
    let operator = token(&app, Role::Operator, None, None).await;
    let admin = tenant(&app, "acme").await;

    // Tenants: an id of lower-case letters, digits and dashes; a name
    // without control characters. Both named at once; nothing opened.
    for (body, named) in [
        (json!({ "id": "con", "name": "Console" }), vec!["id"]),
        (json!({ "id": "-x", "name": "A\u{0}B" }), vec!["id", "name"]),
        (
            json!({ "id": "Acme2", "name": "x".repeat(201) }),
            vec!["id", "name"],
        ),
        (json!({ "id": "a".repeat(65), "name": "Ok" }), vec!["id"]),
    ] {
        let (status, err) = post_json(&app, &operator, "/api/v1/tenants", &body.to_string()).await;
        assert_eq!(status, 422, "{body}: {err}");
        assert_eq!(err["error"]["code"], "invalid_fields");
        assert_eq!(fields(&err), named, "{body}");
        let id = body["id"].as_str().unwrap();
        assert!(!app.store.tenant_exists(id).await.unwrap(), "{id} opened");
    }
    assert!(
        message(
            &post_json(
                &app,
                &operator,
                "/api/v1/tenants",
                r#"{"id":"con","name":"C"}"#
            )
            .await
            .1,
            "id"
        )
        .contains("reserved device name")
    );

    // Employee ids, in the path (percent-encoded as a client sends them).
    for id in [
        "%20",
        "CON",
        "nul.txt",
        "Com7",
        ".hidden",
        "-dash",
        "e.",
        "e%E2%80%AE1",
        "e%001",
        "M%C3%BCller",
        &"x".repeat(65),
    ] {
        let path = format!("/api/v1/tenants/acme/employees/{id}");
        let (status, err) = put_json(&app, &admin, &path, &employee(json!({}))).await;
        assert_eq!(status, 422, "{id}: {err}");
        assert_eq!(fields(&err), ["id"], "{id}");
        assert!(!message(&err, "id").is_empty());
    }
    let long = message(
        &put_json(
            &app,
            &admin,
            &format!("/api/v1/tenants/acme/employees/{}", "x".repeat(65)),
            &employee(json!({})),
        )
        .await
        .1,
        "id",
    )
    .to_string();
    assert_eq!(long, "at most 64 characters (has 65)");

    // Texts: no NUL (PostgreSQL cannot hold it, so SQLite must not
    // either), no other control character, no bidirectional override,
    // and a cap; every problem at once, each naming its field.
    let (status, err) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/acme/employees/e-1",
        &employee(json!({
            "first_name": "A".repeat(1_500_000),
            "last_name": "Nul\u{0}",
            "preferred_name": "\u{202E}nnA",
            "department": "Sales\nEast",
            "position": "p".repeat(201),
            "work_email": format!("{}@acme.example", "a".repeat(250)),
            "phone": "\u{2066}+49",
            "supervisor_id": "..",
            "custom_attributes": { "Badge": "B\u{7}17", "": "x", "Note": "n".repeat(1001) },
        })),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(
        fields(&err),
        [
            "first_name",
            "last_name",
            "work_email",
            "preferred_name",
            "department",
            "position",
            "phone",
            "supervisor_id",
            "custom_attributes.",
            "custom_attributes.Badge",
            "custom_attributes.Note",
        ]
    );
    assert_eq!(
        message(&err, "first_name"),
        "at most 200 characters (has 1500000)"
    );
    assert!(message(&err, "last_name").contains("control character (U+0000) at character 4"));
    assert!(message(&err, "preferred_name").contains("bidirectional override (U+202E)"));
    assert!(message(&err, "department").contains("U+000A"));
    assert_eq!(
        message(&err, "position"),
        "at most 200 characters (has 201)"
    );
    assert_eq!(
        message(&err, "work_email"),
        "at most 254 characters (has 263)"
    );
    assert!(message(&err, "phone").contains("U+2066"));
    assert!(message(&err, "custom_attributes.Badge").contains("U+0007"));
    assert_eq!(
        message(&err, "custom_attributes.Note"),
        "at most 1000 characters (has 1001)"
    );
    assert!(app.store.all_employees("acme").await.unwrap().is_empty());

    // At the caps, in any script: stored exactly as sent.
    let name = "é".repeat(200);
    let department = "Ü".repeat(200);
    let email = format!("{}@acme.example", "a".repeat(240));
    let (status, saved) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/acme/employees/E_1.x-2",
        &employee(json!({
            "first_name": name, "department": department, "work_email": email,
            "supervisor_id": "e-0",
        })),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let stored = app
        .store
        .employee("acme", "E_1.x-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.first_name, name);
    assert_eq!(stored.department.as_deref(), Some(department.as_str()));
    assert_eq!(stored.work_email.as_deref(), Some(email.as_str()));

    // Absences: their id, the employee id and the type, named at once.
    let (status, err) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/acme/absences/PRN",
        &json!({
            "employee_id": " ", "type_name": "Vacation\u{202D}",
            "start_date": "2026-01-01", "end_date": "2026-01-02",
        })
        .to_string(),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(fields(&err), ["id", "employee_id", "type_name"]);
    let (status, err) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/acme/absences/a-1",
        &json!({
            "employee_id": "E_1.x-2", "type_name": "t".repeat(201),
            "start_date": "2026-01-01", "end_date": "2026-01-02",
        })
        .to_string(),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(fields(&err), ["type_name"]);
    assert!(app.store.all_absences("acme").await.unwrap().is_empty());

    // The tenant's defaults are texts too.
    let (status, err) = put_json(
        &app,
        &admin,
        "/api/v1/tenants/acme/settings",
        &json!({ "default_department": "Ops\u{0}", "default_position": "p".repeat(201) })
            .to_string(),
    )
    .await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(fields(&err), ["default_department", "default_position"]);
    let (_, settings) = get(&app, &admin, "/api/v1/tenants/acme/settings", None).await;
    assert_eq!(settings["default_department"], Value::Null, "{settings}");
}

#[tokio::test]
async fn one_employee_or_absence_by_id_and_only_cursors_the_server_gave() {
    let app = spawn_app().await;
    lockgate::demo::publish_bundled(&app).await.unwrap();
    let admin = tenant(&app, "acme").await;
    let other = tenant(&app, "globex").await;
    let partner = token(&app, Role::Partner, Some("p"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    for i in 0..5 {
        let extra = if i == 1 {
            json!({ "include_in": { "planner-export": false }, "custom_attributes": { "Badge": "B-17" } })
        } else {
            json!({})
        };
        let path = format!("/api/v1/tenants/acme/employees/e-{i}");
        assert_eq!(put_json(&app, &admin, &path, &employee(extra)).await.0, 200);
    }
    let absence = json!({
        "employee_id": "e-1", "type_name": "Vacation",
        "start_date": "2026-12-21", "end_date": "2026-12-31",
    })
    .to_string();
    for id in ["a-1", "a-2", "a-3"] {
        let path = format!("/api/v1/tenants/acme/absences/{id}");
        assert_eq!(put_json(&app, &admin, &path, &absence).await.0, 200);
    }

    // One employee reads as the list shows it.
    let (status, one) = get(&app, &admin, "/api/v1/tenants/acme/employees/e-1", None).await;
    assert_eq!(status, 200, "{one}");
    let (_, list) = get(&app, &admin, "/api/v1/tenants/acme/employees", None).await;
    assert_eq!(one, list["items"][1]);
    assert_eq!(one["excluded_from"], json!(["planner-export"]));
    assert_eq!(one["custom_attributes"], json!({ "Badge": "B-17" }));
    assert_eq!(one["first_name"], "Ann");
    let (status, _) = get(&app, &operator, "/api/v1/tenants/acme/employees/e-1", None).await;
    assert_eq!(status, 200);

    // An id the tenant has nothing under: 404, naming the id.
    let (status, err) = get(&app, &admin, "/api/v1/tenants/acme/employees/e-9", None).await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "not_found");
    assert_eq!(
        err["error"]["message"],
        "no employee with the id \"e-9\" in this tenant"
    );
    let (status, err) = get(
        &app,
        &admin,
        "/api/v1/tenants/acme/employees/e%E2%80%AE",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        err["error"]["message"],
        "no employee with this id in this tenant"
    );

    // Others see what they see for the list: the tenant is not found.
    for (who, path) in [
        (&other, "/api/v1/tenants/acme/employees/e-1"),
        (&partner, "/api/v1/tenants/acme/employees/e-1"),
        (&admin, "/api/v1/tenants/globex/employees/e-1"),
        (&admin, "/api/v1/tenants/nowhere/employees/e-1"),
        (&other, "/api/v1/tenants/acme/absences/a-1"),
    ] {
        let (status, err) = get(&app, who, path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(err["error"]["message"], "tenant not found", "{path}");
    }

    let (status, one) = get(&app, &admin, "/api/v1/tenants/acme/absences/a-2", None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["employee_id"], "e-1");
    let (status, err) = get(&app, &admin, "/api/v1/tenants/acme/absences/a-9", None).await;
    assert_eq!(status, 404);
    assert_eq!(
        err["error"]["message"],
        "no absence with the id \"a-9\" in this tenant"
    );

    // Both lists page with the cursors they hand out, and refuse others
    // the way the run lists do.
    for list in ["employees", "absences"] {
        let mut seen = Vec::new();
        let mut path = format!("/api/v1/tenants/acme/{list}?limit=2");
        loop {
            let (status, page) = get(&app, &admin, &path, None).await;
            assert_eq!(status, 200, "{page}");
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_str().unwrap().to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => path = format!("/api/v1/tenants/acme/{list}?limit=2&cursor={c}"),
                None => break,
            }
        }
        let all = if list == "employees" { 5 } else { 3 };
        assert_eq!(seen.len(), all, "{list}: {seen:?}");
        for cursor in ["e-1", "garbage", "zz", "ff", "", "%FF"] {
            let path = format!("/api/v1/tenants/acme/{list}?cursor={cursor}");
            let (status, err) = get(&app, &admin, &path, None).await;
            assert_eq!(status, 400, "{list} {cursor}: {err}");
            assert_eq!(err["error"]["code"], "bad_cursor");
            assert_eq!(
                err["error"]["message"],
                "cursor: pass the next_cursor of the previous page unchanged"
            );
        }
    }
}
