//! The OpenAPI document describes every body: the server serves the
//! document generated from its types, every JSON request body and the
//! error shape have a schema of their own, every reference resolves, and
//! every schema is valid JSON Schema.

use lockgate_tests::spawn_app;
use serde_json::Value;

fn generated() -> Value {
    serde_json::from_str(lockgate::api::openapi_document()).expect("the document is JSON")
}

/// Every `$ref` in `value`, with where it stands.
fn refs<'a>(value: &'a Value, at: &str, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                if key == "$ref"
                    && let Some(target) = v.as_str()
                {
                    out.push((at.to_string(), target));
                } else {
                    refs(v, &format!("{at}/{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn resolve<'a>(doc: &'a Value, target: &str) -> Option<&'a Value> {
    doc.pointer(target.strip_prefix('#')?)
}

#[tokio::test]
async fn the_served_document_is_the_one_generated_from_the_types() {
    let app = spawn_app().await;
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let served: Value = res.json().await.unwrap();
    assert_eq!(served, generated());
}

#[test]
fn every_reference_resolves_and_every_schema_is_json_schema() {
    let doc = generated();
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(!found.is_empty());
    for (at, target) in &found {
        assert!(resolve(&doc, target).is_some(), "{at}: {target} resolves");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for (name, schema) in schemas {
        assert!(
            jsonschema::meta::is_valid(schema),
            "{name} is valid JSON Schema: {schema}"
        );
    }
}

/// A JSON request body is described by a schema of its own (no more
/// `{"type": "object"}`), which names its properties and refuses others.
#[test]
fn every_json_request_body_names_its_fields() {
    let doc = generated();
    let mut bodies = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for (media, body) in content {
                let schema = &body["schema"];
                if media == "application/json" {
                    bodies += 1;
                    let target = schema["$ref"].as_str().unwrap_or_else(|| {
                        panic!("{method} {path}: the body refers to a schema: {schema}")
                    });
                    let named = resolve(&doc, target).unwrap();
                    assert!(
                        named["properties"]
                            .as_object()
                            .is_some_and(|p| !p.is_empty()),
                        "{method} {path}: {named}"
                    );
                    assert_eq!(
                        named["additionalProperties"], false,
                        "{method} {path}: unknown fields are refused, so the schema says so"
                    );
                } else {
                    assert!(schema.is_object(), "{method} {path} {media}");
                }
            }
        }
    }
    assert_eq!(bodies, 15, "the JSON bodies the API takes");
    let employee = &doc["components"]["schemas"]["EmployeeInput"];
    let required: Vec<&str> = employee["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        required,
        ["first_name", "last_name", "hire_date"],
        "{employee}"
    );
    for field in ["include_in", "custom_attributes", "weekly_hours", "status"] {
        assert!(employee["properties"].get(field).is_some(), "{field}");
    }
}

/// The import's columns are documented from the lists the import reads,
/// and they are the employee fields a single write takes.
#[test]
fn the_csv_import_documents_its_columns() {
    let doc = generated();
    let body = &doc["paths"]["/api/v1/tenants/{tenant}/employees/import"]["post"]["requestBody"];
    let csv = &body["content"]["text/csv"]["schema"];
    assert_eq!(csv["type"], "string");
    let row = resolve(&doc, csv["x-csv-row"]["$ref"].as_str().unwrap()).unwrap();
    let mut columns: Vec<&String> = row["properties"].as_object().unwrap().keys().collect();
    columns.sort();
    let employee = doc["components"]["schemas"]["EmployeeInput"]["properties"]
        .as_object()
        .unwrap();
    let mut fields: Vec<&String> = employee
        .keys()
        .filter(|k| !matches!(k.as_str(), "include_in" | "custom_attributes"))
        .collect();
    let id = "id".to_string();
    fields.push(&id);
    fields.sort();
    assert_eq!(columns, fields);
    assert!(row["patternProperties"].get("^attribute:").is_some());
    assert!(row["patternProperties"].get("^include:").is_some());
}

/// Errors are one shape, generated from the type the server answers with,
/// and every operation refers to it.
#[test]
fn the_error_shape_is_documented_and_used() {
    let doc = generated();
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], serde_json::json!(["error"]), "{error}");
    let detail = resolve(&doc, error["properties"]["error"]["$ref"].as_str().unwrap()).unwrap();
    let mut required: Vec<&str> = detail["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    required.sort();
    assert_eq!(required, ["code", "message"], "{detail}");
    assert!(detail["properties"].get("fields").is_some(), "{detail}");
    let validator = jsonschema::options()
        .build(&serde_json::json!({
            "$ref": "#/components/schemas/Error",
            "components": doc["components"],
        }))
        .unwrap();
    let answer = serde_json::json!({
        "error": {"code": "invalid_fields", "message": "1 field(s) need fixing",
                  "fields": [{"field": "first_name", "message": "required"}]}
    });
    assert!(validator.is_valid(&answer), "{answer}");
    assert!(!validator.is_valid(&serde_json::json!({"error": "x"})));
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert_eq!(
                op["responses"]["default"]["$ref"], "#/components/responses/Error",
                "{method} {path}"
            );
        }
    }
}

/// The main flows, every answer checked against the document by the
/// request helpers: submit, approve, marketplace, connect, runs and rows,
/// employees (one, a page, an import), absences, settings, sync now,
/// errors of every kind; then the answers checked cover each of them.
#[tokio::test]
async fn the_main_flows_answer_as_the_document_says() {
    use lockgate_tests::http::{get, post_json, put_json, send_json};

    use crate::helpers::{FakePlanner, PLANNER_KEY};
    use crate::platform::{TENANT, connect, finished_runs, listed_app};

    let planner = FakePlanner::start().await;
    let (app, admin) = listed_app(&planner).await;
    let op = lockgate_tests::token(&app, lockgate::auth::Role::Operator, None, None).await;
    let t = format!("/api/v1/tenants/{TENANT}");
    let (status, _) = get(&app, &admin, "/api/v1/me", None).await;
    assert_eq!(status, 200);
    let (status, _) = get(&app, &admin, "/api/v1/marketplace?q=planner", Some("de")).await;
    assert_eq!(status, 200);
    let (status, _) = get(&app, &admin, "/api/v1/marketplace/planner-export", None).await;
    assert_eq!(status, 200);
    let (status, _) = get(&app, &op, "/api/v1/review/queue", None).await;
    assert_eq!(status, 200);

    let install = connect(&app, &admin, &planner, PLANNER_KEY).await;
    let id = install["id"].as_str().unwrap().to_string();
    let run = finished_runs(&app, &admin, &id, 1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("{t}/installs"),
        format!("{t}/installs/{id}"),
        format!("{t}/runs/{run}"),
        format!("{t}/runs/{run}/rows?limit=2"),
        format!("{t}/employees?limit=2"),
        format!("{t}/absences?limit=2"),
        format!("{t}/settings"),
    ] {
        let (status, body) = get(&app, &admin, &path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, body) = post_json(&app, &admin, &format!("{t}/installs/{id}/sync"), "").await;
    assert_eq!(status, 202, "{body}");
    let employee = r#"{"first_name": "Ada", "last_name": "Lovelace", "hire_date": "2020-01-01",
        "include_in": {"planner-export": false}, "custom_attributes": {"Badge": "B-17"}}"#;
    let (status, body) = put_json(&app, &admin, &format!("{t}/employees/e-tour"), employee).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&app, &admin, &format!("{t}/employees/e-tour"), None).await;
    assert_eq!(status, 200, "{body}");
    let absence = r#"{"employee_id": "e-tour", "type_name": "Vacation",
        "start_date": "2026-12-01", "end_date": "2026-12-02"}"#;
    let (status, body) = put_json(&app, &admin, &format!("{t}/absences/a-tour"), absence).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&app, &admin, &format!("{t}/absences/a-tour"), None).await;
    assert_eq!(status, 200, "{body}");
    let attendance = r#"{"employee_id": "e-tour", "date": "2026-12-01",
        "start_time": "22:00", "end_time": "06:00", "break_minutes": 30}"#;
    let (status, body) =
        put_json(&app, &admin, &format!("{t}/attendances/w-tour"), attendance).await;
    assert_eq!(status, 200, "{body}");
    for path in [
        format!("{t}/attendances/w-tour"),
        format!("{t}/attendances?limit=1&from=2026-12-01"),
    ] {
        let (status, body) = get(&app, &admin, &path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    let (status, body) = put_json(
        &app,
        &admin,
        &format!("{t}/settings"),
        r#"{"login_format": "{first_name}.{last_name}"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The import and the health check, read without the helpers.
    let client = reqwest::Client::new();
    let import = format!("{t}/employees/import");
    let res = client
        .post(format!("{}{import}", app.url))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("id;first_name;last_name;hire_date\ne-csv;Zoë;Gruber;2021-03-01\n")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    lockgate_tests::openapi::check_answer("post", &import, status, &body);
    let import = format!("{t}/attendances/import");
    let res = client
        .post(format!("{}{import}", app.url))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body("id;employee_id;date;duration_minutes\nw-csv;e-tour;2026-12-02;90\n")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    lockgate_tests::openapi::check_answer("post", &import, status, &body);
    let res = client
        .get(format!("{}/healthz", app.url))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    lockgate_tests::openapi::check_answer("get", "/healthz", status, &body);

    // Errors: every one is the documented error shape.
    let (status, _) = get(&app, "not-a-token", "/api/v1/me", None).await;
    assert_eq!(status, 401);
    let (status, _) = get(&app, &admin, &format!("{t}/employees/nobody"), None).await;
    assert_eq!(status, 404);
    let (status, _) = put_json(&app, &admin, &format!("{t}/employees/e-x"), "[null]").await;
    assert_eq!(status, 400);
    let (status, body) = put_json(
        &app,
        &admin,
        &format!("{t}/employees/e-x"),
        r#"{"first_name": "", "last_name": "X", "hire_date": "2020-13-45"}"#,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = get(&app, &admin, &format!("{t}/employees?cursor=zz"), None).await;
    assert_eq!(status, 400);
    let (status, _) = get(&app, &admin, &format!("{t}/audit?from=x&to=y"), None).await;
    assert_eq!(status, 422);
    let (status, _) = send_json(&app, reqwest::Method::POST, &admin, "/api/v1/tenants", "{}").await;
    assert_eq!(status, 403);

    let checked = lockgate_tests::openapi::checked();
    let has = |method: &str, template: &str, status: u16| {
        checked.contains(&(method.to_string(), template.to_string(), status))
    };
    for (method, template, status) in [
        ("post", "/api/v1/partner/submissions", 201),
        ("post", "/api/v1/review/{plugin}/{version}", 200),
        ("get", "/api/v1/review/queue", 200),
        ("get", "/api/v1/marketplace", 200),
        ("get", "/api/v1/marketplace/{id}", 200),
        ("post", "/api/v1/tenants/{tenant}/installs/preview", 200),
        ("post", "/api/v1/tenants/{tenant}/installs", 201),
        ("get", "/api/v1/tenants/{tenant}/installs", 200),
        ("get", "/api/v1/tenants/{tenant}/installs/{id}", 200),
        ("get", "/api/v1/tenants/{tenant}/installs/{id}/runs", 200),
        ("post", "/api/v1/tenants/{tenant}/installs/{id}/sync", 202),
        ("get", "/api/v1/tenants/{tenant}/runs/{run}", 200),
        ("get", "/api/v1/tenants/{tenant}/runs/{run}/rows", 200),
        ("get", "/api/v1/tenants/{tenant}/employees", 200),
        ("put", "/api/v1/tenants/{tenant}/employees/{id}", 200),
        ("get", "/api/v1/tenants/{tenant}/employees/{id}", 200),
        ("get", "/api/v1/tenants/{tenant}/absences", 200),
        ("put", "/api/v1/tenants/{tenant}/absences/{id}", 200),
        ("get", "/api/v1/tenants/{tenant}/absences/{id}", 200),
        ("put", "/api/v1/tenants/{tenant}/settings", 200),
        ("get", "/api/v1/me", 200),
        ("post", "/api/v1/tenants/{tenant}/employees/import", 200),
        ("get", "/api/v1/tenants/{tenant}/attendances", 200),
        ("put", "/api/v1/tenants/{tenant}/attendances/{id}", 200),
        ("get", "/api/v1/tenants/{tenant}/attendances/{id}", 200),
        ("post", "/api/v1/tenants/{tenant}/attendances/import", 200),
        ("get", "/healthz", 200),
        ("get", "/api/v1/me", 401),
        ("get", "/api/v1/tenants/{tenant}/employees/{id}", 404),
        ("put", "/api/v1/tenants/{tenant}/employees/{id}", 400),
        ("put", "/api/v1/tenants/{tenant}/employees/{id}", 422),
        ("get", "/api/v1/tenants/{tenant}/employees", 400),
        ("get", "/api/v1/tenants/{tenant}/audit", 422),
        ("post", "/api/v1/tenants", 403),
    ] {
        assert!(
            has(method, template, status),
            "{method} {template} {status} was checked"
        );
    }
}
