//! The catalogue over the API: partner submissions, the operator's review
//! queue and decisions, the marketplace a tenant admin browses.

use lockgate::auth::Role;
use lockgate_tests::http::{get, post_json, submit};
use lockgate_tests::{spawn_app, tenant_token, token};

/// `component` with its manifest's publisher set to `publisher`.
pub(crate) fn published_by(component: &[u8], publisher: &str) -> Vec<u8> {
    crate::helpers::with_manifest(component, |text| {
        text.lines()
            .map(|line| {
                if line.starts_with("publisher =") {
                    format!("publisher = \"{publisher}\"")
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// The planner export as the partner `planner-co` publishes it.
fn planner_by(publisher: &str) -> Vec<u8> {
    published_by(lockgate::demo::PLANNER_EXPORT, publisher)
}

#[tokio::test]
async fn a_partner_submission_is_reviewed_and_listed_in_the_marketplace() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let admin = tenant_token(&app, "t-1", true).await;

    let (status, submitted) = submit(&app, &partner, planner_by("Planner Co")).await;
    assert_eq!(status, 201, "{submitted}");
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["sha256"].as_str().unwrap().len(), 64);
    // Not listed before review.
    let (_, listed) = get(&app, &admin, "/api/v1/marketplace", None).await;
    assert_eq!(listed["items"], serde_json::json!([]));

    // The operator sees what it asks for.
    let (status, queue) = get(&app, &operator, "/api/v1/review/queue", None).await;
    assert_eq!(status, 200);
    let item = &queue["items"][0];
    assert_eq!(item["plugin_id"], "planner-export");
    assert_eq!(item["partner_id"], "planner-co");
    assert!(
        item["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i == "wasi:http/outgoing-handler@0.2.12")
    );
    assert_eq!(item["scopes"][0]["scope"], "employees.basic");
    assert_eq!(item["hosts"][0], "https://{planner-url}");
    assert_eq!(item["secrets_injected"][0]["header"], "Authorization");
    // Others do not.
    assert_eq!(
        get(&app, &partner, "/api/v1/review/queue", None).await.0,
        403
    );
    assert_eq!(get(&app, &admin, "/api/v1/review/queue", None).await.0, 403);

    // The automated review ran it in the sandbox, every host answered by
    // the review partner; the report shows what went where.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let report = loop {
        let (_, queue) = get(&app, &operator, "/api/v1/review/queue", None).await;
        let report = queue["items"][0]["review_report"].clone();
        if report.get("verdict").is_some() {
            break report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no review report: {queue}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_ne!(report["verdict"], "fail", "{report}");
    let check = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {report}"))
    };
    assert_eq!(
        check("validate-config accepts the sample")["verdict"],
        "pass"
    );
    assert_eq!(check("filter base-department")["verdict"], "pass");
    let exchanges = report["exchanges"].as_array().unwrap();
    let batch = exchanges
        .iter()
        .find(|e| {
            e["url"]
                .as_str()
                .unwrap()
                .ends_with("/api/v1/resources/batch")
        })
        .unwrap_or_else(|| panic!("no batch sent: {report}"));
    assert_eq!(batch["method"], "POST");
    assert!(
        batch["request_body"]
            .as_str()
            .unwrap()
            .contains("externalId")
    );
    assert!(
        batch["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h == "authorization"),
        "the host injected the key: {batch}"
    );
    assert!(
        !report.to_string().contains("review-api-key"),
        "secret in the report"
    );
    // The partner sees the same report on its own submission.
    let (_, mine) = get(&app, &partner, "/api/v1/partner/submissions", None).await;
    assert_eq!(
        mine["items"][0]["review_report"]["verdict"],
        report["verdict"]
    );

    // A bad decision is explained; a good one lists the connector.
    let path = "/api/v1/review/planner-export/0.1.0";
    let (status, err) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"gold"}"#,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["fields"][0]["field"], "tier");
    let (status, err) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"elite""#,
    )
    .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["code"], "bad_json");
    let (status, err) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"elite","colour":1}"#,
    )
    .await;
    assert!(status == 400 || status == 422, "{status} {err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("colour"),
        "{err}"
    );
    assert_eq!(
        get(&app, &operator, "/api/v1/review/queue", None).await.1["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, approved) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"approve","tier":"elite"}"#,
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["listed"], true);
    let (status, _) = post_json(
        &app,
        &operator,
        path,
        r#"{"decision":"reject","reasons":["late"]}"#,
    )
    .await;
    assert_eq!(status, 409, "a decided version stays decided");

    // Search and filters.
    let search = |q: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            get(app, &admin, &format!("/api/v1/marketplace?{q}"), None)
                .await
                .1["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(search("q=planner").await, 1);
    assert_eq!(search("q=PLANUNGSTOOL").await, 1);
    assert_eq!(search("q=payroll").await, 0);
    assert_eq!(search("category=planning").await, 1);
    assert_eq!(search("category=payroll").await, 0);
    assert_eq!(search("tier=elite").await, 1);
    assert_eq!(search("tier=premier").await, 0);
    assert_eq!(search("first_party=false").await, 1);
    assert_eq!(search("first_party=true").await, 0);
    assert_eq!(search("direction=outbound").await, 1);
    assert_eq!(search("direction=inbound").await, 0);
    assert_eq!(
        get(&app, &admin, "/api/v1/marketplace?sort=name", None)
            .await
            .0,
        400
    );

    // The detail speaks the caller's language.
    let (status, de) = get(
        &app,
        &admin,
        "/api/v1/marketplace/planner-export",
        Some("de-DE,de;q=0.9"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(de["name"], "Planungstool-Export");
    assert_eq!(
        de["configuration"][0]["label"],
        "Adresse Ihres Planungstools"
    );
    assert_eq!(de["price"], "Im Abonnement des Planungstools enthalten");
    assert_eq!(de["developer"], "Planner Co");
    assert_eq!(de["tier"], "elite");
    assert!(
        de["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().contains("absences"))
    );
    let (_, en) = get(&app, &admin, "/api/v1/marketplace/planner-export", None).await;
    assert_eq!(en["name"], "Planner export");
    assert_eq!(
        get(&app, &admin, "/api/v1/marketplace/nope", None).await.0,
        404
    );

    // A tenant admin without the marketplace right sees nothing.
    let limited = tenant_token(&app, "t-1", false).await;
    let (status, err) = get(&app, &limited, "/api/v1/marketplace", None).await;
    assert_eq!(status, 403);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("marketplace")
    );
}

#[tokio::test]
async fn a_rejected_submission_tells_the_partner_why() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("sneaky"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let bytes = std::fs::read(lockgate_tests::program("test-hostile")).unwrap();
    assert_eq!(
        submit(&app, &partner, published_by(&bytes, "Sneaky"))
            .await
            .0,
        201
    );
    let (status, _) = post_json(
        &app,
        &operator,
        "/api/v1/review/hostile/0.1.0",
        r#"{"decision":"reject","reasons":[]}"#,
    )
    .await;
    assert_eq!(status, 422, "a rejection needs reasons");
    let (status, _) = post_json(
        &app,
        &operator,
        "/api/v1/review/hostile/0.1.0",
        r#"{"decision":"reject","reasons":["asks for hosts it never needs"]}"#,
    )
    .await;
    assert_eq!(status, 200);
    let (_, mine) = get(&app, &partner, "/api/v1/partner/submissions", None).await;
    assert_eq!(mine["items"][0]["status"], "rejected");
    assert_eq!(
        mine["items"][0]["review_reasons"][0],
        "asks for hosts it never needs"
    );
    // Another partner sees none of it.
    let other = token(&app, Role::Partner, Some("other"), None).await;
    assert_eq!(
        get(&app, &other, "/api/v1/partner/submissions", None)
            .await
            .1["items"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn bad_uploads_are_refused_with_every_reason_and_store_nothing() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("p1"), None).await;
    let admin = tenant_token(&app, "t-1", true).await;

    // Random bytes (and text): what was expected, in plain words, not
    // the parser's dump of the bytes it wanted.
    let mut noise = vec![0u8; 4096];
    rand::Rng::fill(&mut rand::rng(), &mut noise[..]);
    for bytes in [noise, b"this is not wasm".to_vec()] {
        let (status, err) = submit(&app, &partner, bytes).await;
        assert_eq!(status, 422, "{err}");
        assert_eq!(err["error"]["code"], "invalid_connector");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("expected a WebAssembly component")
                && message.contains("lockgate-manifest"),
            "{message}"
        );
        assert_eq!(err["error"]["fields"][0]["field"], "component");
        let reason = err["error"]["fields"][0]["message"].as_str().unwrap();
        assert!(reason.contains("not a WebAssembly component"), "{reason}");
        for dump in ["expected=", "actual=", "0x", "[", "\n"] {
            assert!(!reason.contains(dump), "{dump:?} in {reason}");
        }
    }

    let (status, err) = submit(&app, &partner, vec![0u8; 33 << 20]).await;
    assert_eq!(status, 413);
    assert_eq!(err["error"]["code"], "too_large");

    assert_eq!(submit(&app, &partner, Vec::new()).await.0, 400);
    assert_eq!(
        submit(&app, &admin, lockgate::demo::PLANNER_EXPORT.to_vec())
            .await
            .0,
        403
    );
    assert!(
        app.store.partner_versions("p1").await.unwrap().is_empty(),
        "nothing was stored"
    );

    // The id belongs to whoever submitted it first.
    assert_eq!(submit(&app, &partner, planner_by("P1")).await.0, 201);
    let thief = token(&app, Role::Partner, Some("p2"), None).await;
    let (status, err) = submit(&app, &thief, planner_by("P2")).await;
    assert_eq!(status, 409);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to another partner")
    );
}

#[tokio::test]
async fn an_oversized_manifest_is_refused_with_the_field_and_the_limit() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("p-big"), None).await;
    let planner = &planner_by("P Big");
    let long = "d".repeat(5000);
    let bytes = crate::helpers::with_manifest(planner, |text| {
        text.replace("\nde = \"Überträgt", &format!("\nde = \"{long}Überträgt"))
    });
    let (status, err) = submit(&app, &partner, bytes).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["code"], "invalid_connector");
    let reasons: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        vec!["manifest: description.de: at most 4000 characters (has 5195)"]
    );

    // 10 MiB of description: refused unparsed, the size named.
    let huge = "d".repeat(10 << 20);
    let bytes = crate::helpers::with_manifest(planner, |text| {
        text.replace("\nde = \"Überträgt", &format!("\nde = \"{huge}Überträgt"))
    });
    let (status, err) = submit(&app, &partner, bytes).await;
    assert_eq!(status, 422, "{err}");
    let message = err["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("the manifest section is") && message.contains("at most 65536"),
        "{message}"
    );
    assert!(
        app.store
            .partner_versions("p-big")
            .await
            .unwrap()
            .is_empty(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_partner_publishes_only_under_its_own_name() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("planner-co"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;

    // The operator's name, another partner's, or none that fits: refused,
    // the field named, nothing stored.
    for (publisher, says) in [
        ("Lockgate", "is the operator's name"),
        ("LOCKGATE GmbH", "is the operator's name"),
        ("Other Co", "is not your name"),
        ("Planner Co GmbH", "is not your name"),
    ] {
        let (status, err) = submit(&app, &partner, planner_by(publisher)).await;
        assert_eq!(status, 422, "{publisher}: {err}");
        assert_eq!(err["error"]["code"], "invalid_connector");
        let fields = err["error"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 1, "{err}");
        assert_eq!(fields[0]["field"], "publisher");
        let message = fields[0]["message"].as_str().unwrap();
        assert!(
            message.contains(says) && message.contains("planner-co"),
            "{message}"
        );
    }
    assert!(
        app.store
            .partner_versions("planner-co")
            .await
            .unwrap()
            .is_empty(),
        "nothing was stored"
    );
    // Its own name, however written.
    let (status, body) = submit(&app, &partner, planner_by("PLANNER-CO")).await;
    assert_eq!(status, 201, "{body}");

    // No partner token is issued under the operator's id; one stored
    // before that rule submits nothing and sees nothing of the operator's.
    let refused = lockgate::auth::create_token(
        &app.store,
        lockgate::auth::NewToken {
            role: Role::Partner,
            partner_id: Some("lockgate".into()),
            tenant_id: None,
            marketplace_right: true,
            label: "impostor".into(),
        },
    )
    .await;
    assert!(refused.is_err());
    let impostor = &format!("lg_{}", "0b".repeat(32));
    let principal = lockgate::auth::Principal {
        token_id: "tok-impostor".into(),
        role: Role::Partner,
        partner_id: Some("lockgate".into()),
        tenant_id: None,
        marketplace_right: true,
        label: "impostor".into(),
    };
    app.store
        .insert_token(&lockgate::auth::hash_token(impostor), &principal)
        .await
        .unwrap();
    let (status, err) = submit(&app, impostor, planner_by("Lockgate")).await;
    assert_eq!(status, 403, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("reserved")
    );
    let (status, _) = get(&app, impostor, "/api/v1/partner/submissions", None).await;
    assert_eq!(status, 403);

    // The operator publishes first-party connectors as Lockgate, only.
    let ats = lockgate::demo::ATS_HIRE;
    let (status, err) = submit(&app, &operator, published_by(ats, "Planner Co")).await;
    assert_eq!(status, 422, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "publisher");
    let (status, body) = submit(&app, &operator, ats.to_vec()).await;
    assert_eq!(status, 201, "{body}");
    let (_, mine) = get(&app, &operator, "/api/v1/partner/submissions", None).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");
}

#[tokio::test]
async fn review_texts_are_bounded_and_name_the_field() {
    let app = spawn_app().await;
    let partner = token(&app, Role::Partner, Some("p-texts"), None).await;
    let operator = token(&app, Role::Operator, None, None).await;
    let admin = tenant_token(&app, "t-1", true).await;
    let bytes = std::fs::read(lockgate_tests::program("test-hostile")).unwrap();
    let (status, body) = submit(&app, &partner, published_by(&bytes, "P Texts")).await;
    assert_eq!(status, 201, "{body}");
    let path = "/api/v1/review/hostile/0.1.0";
    let max = lockgate::api::MAX_REASON_CHARS;
    let reject = |reasons: Vec<String>| {
        serde_json::json!({ "decision": "reject", "reasons": reasons }).to_string()
    };
    let long = "r".repeat(100_000);
    for (body, field, says) in [
        (reject(vec![long.clone()]), "reasons[0]", format!("at most {max} characters (has 100000)")),
        (
            reject(vec!["fine".into(), "line\u{0}break".into()]),
            "reasons[1]",
            "control character".to_string(),
        ),
        (
            reject(vec!["\u{202E}desrever".into()]),
            "reasons[0]",
            "bidirectional override".to_string(),
        ),
        (reject(vec!["x".into(); 21]), "reasons", "at most 20 reasons".to_string()),
        (
            serde_json::json!({ "decision": "approve", "tier": "select", "override": "o".repeat(max + 1) })
                .to_string(),
            "override",
            format!("at most {max} characters"),
        ),
    ] {
        let (status, err) = post_json(&app, &operator, path, &body).await;
        assert_eq!(status, 422, "{field}: {err}");
        assert_eq!(err["error"]["code"], "invalid_field");
        assert_eq!(err["error"]["fields"][0]["field"], field, "{err}");
        let message = err["error"]["fields"][0]["message"].as_str().unwrap();
        assert!(message.contains(&says), "{message}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(field),
            "{err}"
        );
    }
    // Nothing was decided or stored.
    let version = app
        .store
        .plugin_version("hostile", "0.1.0")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(version.status, "submitted");
    assert!(
        version.review_reasons.is_empty(),
        "{:?}",
        version.review_reasons
    );
    // At the limit it is taken.
    let (status, body) = post_json(&app, &operator, path, &reject(vec!["r".repeat(max)])).await;
    assert_eq!(status, 200, "{body}");

    // Marketplace searches and filters are bounded the same way.
    for query in [format!("q={}", "q".repeat(201)), "category=a%00b".into()] {
        let (status, err) = get(&app, &admin, &format!("/api/v1/marketplace?{query}"), None).await;
        assert_eq!(status, 422, "{query}: {err}");
        let field = query.split('=').next().unwrap();
        assert_eq!(err["error"]["fields"][0]["field"], field, "{err}");
    }
}
