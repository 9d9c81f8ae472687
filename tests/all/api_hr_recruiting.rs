//! Recruiting: the tenant's job positions over the HR API, applications
//! created through the store as a job board connector creates them (once
//! per idempotency key, to an open position by id or name, files capped),
//! and read back by the tenant's admins only, files as downloads.

use lockgate::Store;
use lockgate::auth::Role;
use lockgate::hr::recruiting::{MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS};
use lockgate::hr::{
    ApplicationFilter, ApplicationRefusal, Attachment, NewApplication, PositionInput,
};
use lockgate_tests::http::{get, post_json, put_json};
use lockgate_tests::{TempDir, spawn_app, tenant_token, test_store, token};
use serde_json::Value;

fn position(name: &str, open: bool) -> PositionInput {
    PositionInput {
        name: name.into(),
        department: Some("Engineering".into()),
        open,
    }
}

fn candidate(position: &str) -> NewApplication {
    NewApplication {
        first_name: "Zoë".into(),
        last_name: "Müller-Lüdenscheidt".into(),
        email: Some("zoe@example.org".into()),
        phone: Some("+49 30 1234567".into()),
        position: position.into(),
        source: Some("Jobboard".into()),
        message: Some("Guten Tag,\nanbei meine Unterlagen.".into()),
        attachments: vec![Attachment {
            file_name: "Lebenslauf.pdf".into(),
            media_type: "application/pdf".into(),
            content: b"%PDF-1.7 cv".to_vec(),
        }],
    }
}

fn file(size: usize) -> Attachment {
    Attachment {
        file_name: "scan.png".into(),
        media_type: "image/png".into(),
        content: vec![0x89; size],
    }
}

async fn all_applications(store: &Store, tenant: &str) -> Vec<lockgate::hr::Application> {
    let filter = ApplicationFilter {
        limit: 500,
        ..ApplicationFilter::default()
    };
    store.applications_page(tenant, &filter).await.unwrap().0
}

/// A store with the tenant `acme`, its open `pos-be` "Backend Engineer"
/// and closed `pos-old` "Office Manager".
async fn recruiting_store(dir: &TempDir) -> Store {
    let store = test_store(dir).await;
    store.create_tenant("acme", "Acme").await.unwrap();
    store
        .put_position("acme", "pos-be", &position("Backend Engineer", true))
        .await
        .unwrap();
    store
        .put_position("acme", "pos-old", &position("Office Manager", false))
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn applications_find_open_positions_by_id_or_name_once_per_key() {
    let dir = TempDir::new();
    let store = recruiting_store(&dir).await;

    let (by_id, created) = store
        .create_application("acme", "jobboard", "k-1", &candidate("pos-be"))
        .await
        .unwrap()
        .unwrap();
    assert!(created);
    let (by_name, created) = store
        .create_application("acme", "jobboard", "k-2", &candidate("  backend ENGINEER "))
        .await
        .unwrap()
        .unwrap();
    assert!(created);
    assert_ne!(by_id, by_name);
    let stored = store.application("acme", &by_name).await.unwrap().unwrap();
    assert_eq!(stored.position_id, "pos-be");
    assert_eq!(stored.position_name, "Backend Engineer");
    assert_eq!(stored.connector_id.as_deref(), Some("jobboard"));
    assert_eq!(stored.first_name, "Zoë");
    assert_eq!(
        stored.message.as_deref(),
        Some("Guten Tag,\nanbei meine Unterlagen.")
    );
    assert_eq!(stored.attachments.len(), 1);
    assert_eq!(stored.attachments[0].seq, 1);
    assert_eq!(stored.attachments[0].size, 11);

    // The same key again: the first id, nothing new, even with other content.
    let mut other = candidate("pos-be");
    other.first_name = "Someone".into();
    other.attachments.push(file(10));
    let again = store
        .create_application("acme", "jobboard", "k-1", &other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again, (by_id.clone(), false));
    let first = store.application("acme", &by_id).await.unwrap().unwrap();
    assert_eq!(first.first_name, "Zoë");
    assert_eq!(first.attachments.len(), 1);
    // Also once the position is closed: a retry is not a new application.
    store
        .put_position("acme", "pos-be", &position("Backend Engineer", false))
        .await
        .unwrap();
    let retry = store
        .create_application("acme", "jobboard", "k-2", &candidate("pos-be"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retry, (by_name.clone(), false));
    assert_eq!(all_applications(&store, "acme").await.len(), 2);

    // The key is the connector's: another connector's k-1 is its own.
    store
        .put_position("acme", "pos-be", &position("Backend Engineer", true))
        .await
        .unwrap();
    let (theirs, created) = store
        .create_application("acme", "other-board", "k-1", &candidate("pos-be"))
        .await
        .unwrap()
        .unwrap();
    assert!(created);
    assert_ne!(theirs, by_id);
    assert_eq!(all_applications(&store, "acme").await.len(), 3);
}

#[tokio::test]
async fn unknown_closed_and_ambiguous_positions_are_refused_and_nothing_is_written() {
    let dir = TempDir::new();
    let store = recruiting_store(&dir).await;

    let refusal = store
        .create_application("acme", "jobboard", "k-1", &candidate("Frontend Engineer"))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        refusal,
        ApplicationRefusal::NotFound(
            "no open position \"Frontend Engineer\" (by id or name) in this tenant".into()
        )
    );
    for closed in ["pos-old", "office manager"] {
        let ApplicationRefusal::NotFound(message) = store
            .create_application("acme", "jobboard", "k-1", &candidate(closed))
            .await
            .unwrap()
            .unwrap_err()
        else {
            panic!("a closed position is not found");
        };
        assert!(
            message.contains(&format!("no open position \"{closed}\""))
                && message.contains("\"Office Manager\" (id pos-old) is closed"),
            "{message}"
        );
    }

    // Two open positions of one name: only the id finds one.
    store
        .put_position("acme", "pos-be-2", &position("backend engineer", true))
        .await
        .unwrap();
    let ApplicationRefusal::Invalid(message) = store
        .create_application("acme", "jobboard", "k-1", &candidate("Backend Engineer"))
        .await
        .unwrap()
        .unwrap_err()
    else {
        panic!("an ambiguous name is invalid");
    };
    assert!(
        message.contains("pos-be, pos-be-2") && message.contains("give the position's id"),
        "{message}"
    );
    assert!(
        store
            .create_application("acme", "jobboard", "k-1", &candidate("pos-be-2"))
            .await
            .unwrap()
            .is_ok()
    );

    // A refused call does not use up its key: the same key later creates.
    assert_eq!(all_applications(&store, "acme").await.len(), 1);
    let (_, created) = store
        .create_application("acme", "jobboard", "k-9", &candidate("pos-be"))
        .await
        .unwrap()
        .unwrap();
    assert!(created);
}

#[tokio::test]
async fn attachments_past_the_caps_are_refused_naming_the_field() {
    let dir = TempDir::new();
    let store = recruiting_store(&dir).await;

    let mut six = candidate("pos-be");
    six.attachments = (0..=MAX_ATTACHMENTS).map(|_| file(1)).collect();
    let mut heavy = candidate("pos-be");
    heavy.attachments = vec![
        file(MAX_ATTACHMENT_BYTES / 2),
        file(MAX_ATTACHMENT_BYTES / 2 + 1),
    ];
    let mut bad = candidate("pos-be");
    bad.first_name = String::new();
    bad.email = Some("not an address".into());
    bad.attachments[0].file_name = "../../cv.pdf".into();
    bad.attachments[0].media_type = "pdf".into();
    for (application, fields) in [
        (&six, vec!["attachments: at most 5 files (has 6)"]),
        (&heavy, vec!["attachments: at most 4 MiB together"]),
        (
            &bad,
            vec![
                "first_name: is required",
                "email: is not an e-mail address",
                "attachments[0].file_name:",
                "attachments[0].media_type:",
            ],
        ),
    ] {
        let refusal = store
            .create_application("acme", "jobboard", "k-1", application)
            .await
            .unwrap()
            .unwrap_err();
        let ApplicationRefusal::Invalid(message) = refusal else {
            panic!("invalid: {refusal:?}");
        };
        for field in fields {
            assert!(message.contains(field), "{field} in {message}");
        }
    }
    for key in ["", &"k".repeat(201)] {
        assert!(matches!(
            store
                .create_application("acme", "jobboard", key, &candidate("pos-be"))
                .await
                .unwrap(),
            Err(ApplicationRefusal::Invalid(m)) if m.contains("idempotency-key")
        ));
    }
    assert!(all_applications(&store, "acme").await.is_empty());
    let orphans = sqlx::query("SELECT seq FROM application_attachments")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(orphans.is_empty(), "no file was written");

    // Right at the caps: accepted, every byte kept.
    let mut full = candidate("pos-be");
    full.attachments = (0..MAX_ATTACHMENTS)
        .map(|i| Attachment {
            file_name: format!("part-{i}.bin"),
            media_type: "application/octet-stream".into(),
            content: vec![i as u8; MAX_ATTACHMENT_BYTES / MAX_ATTACHMENTS],
        })
        .collect();
    let (id, _) = store
        .create_application("acme", "jobboard", "k-1", &full)
        .await
        .unwrap()
        .unwrap();
    let (name, media, bytes) = store.attachment("acme", &id, 5).await.unwrap().unwrap();
    assert_eq!(
        (name.as_str(), media.as_str()),
        ("part-4.bin", "application/octet-stream")
    );
    assert_eq!(bytes, full.attachments[4].content);
    assert!(store.attachment("acme", &id, 6).await.unwrap().is_none());
}

#[tokio::test]
async fn admins_write_and_read_positions_with_every_problem_named() {
    let app = spawn_app().await;
    let operator = token(&app, Role::Operator, None, None).await;
    for body in [
        r#"{"id":"acme","name":"Acme"}"#,
        r#"{"id":"globex","name":"Globex"}"#,
    ] {
        assert_eq!(
            post_json(&app, &operator, "/api/v1/tenants", body).await.0,
            201
        );
    }
    let acme = tenant_token(&app, "acme", false).await;
    let globex = tenant_token(&app, "globex", true).await;
    let t = "/api/v1/tenants/acme";

    let (status, saved) = put_json(
        &app,
        &acme,
        &format!("{t}/positions/pos-be"),
        r#"{"name":"  Backend Engineer ","department":"Engineering"}"#,
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["name"], "Backend Engineer");
    assert_eq!(saved["open"], true, "open by default");
    let (status, replaced) = put_json(
        &app,
        &acme,
        &format!("{t}/positions/pos-be"),
        r#"{"name":"Backend Engineer","open":false}"#,
    )
    .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["department"], Value::Null, "replaced, not merged");
    let (status, got) = get(&app, &acme, &format!("{t}/positions/pos-be"), None).await;
    assert_eq!(status, 200);
    assert_eq!(got, replaced);
    put_json(
        &app,
        &acme,
        &format!("{t}/positions/pos-a"),
        r#"{"name":"Accountant"}"#,
    )
    .await;

    let (status, err) = put_json(
        &app,
        &acme,
        &format!("{t}/positions/bad.id."),
        r#"{"name":" ","department":"Sales\u0000"}"#,
    )
    .await;
    assert_eq!(status, 422, "{err}");
    let fields: Vec<&str> = err["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "name", "department"]);
    let (status, _) = put_json(
        &app,
        &acme,
        &format!("{t}/positions/pos-x"),
        r#"{"name":"X","salary":1}"#,
    )
    .await;
    assert_eq!(status, 400, "unknown fields are refused");
    assert!(
        app.store
            .position("acme", "bad.id.")
            .await
            .unwrap()
            .is_none()
    );

    let (status, page) = get(&app, &acme, &format!("{t}/positions?limit=1"), None).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["id"], "pos-a");
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = get(
        &app,
        &acme,
        &format!("{t}/positions?limit=1&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(page["items"][0]["id"], "pos-be");
    assert_eq!(page["next_cursor"], Value::Null);

    // What is no id or no cursor is answered, on every database (PostgreSQL
    // text cannot hold the NUL).
    for (path, want) in [
        (format!("{t}/positions/a%00b"), 404),
        (format!("{t}/positions?cursor=00"), 400),
        (format!("{t}/applications?cursor=617c00"), 400),
        (format!("{t}/applications/a%00b"), 404),
        (format!("{t}/applications/a%00b/attachments/1"), 404),
        (format!("{t}/applications?position_id=%00"), 422),
    ] {
        assert_eq!(get(&app, &acme, &path, None).await.0, want, "{path}");
    }
    let (status, err) = get(&app, &acme, &format!("{t}/positions/nope"), None).await;
    assert_eq!(status, 404);
    assert_eq!(
        err["error"]["message"],
        "no position with the id \"nope\" in this tenant"
    );
    // Another tenant's admin learns nothing.
    for path in [
        format!("{t}/positions"),
        format!("{t}/positions/pos-be"),
        format!("{t}/applications"),
    ] {
        assert_eq!(get(&app, &globex, &path, None).await.0, 404, "{path}");
    }
    assert_eq!(
        put_json(
            &app,
            &globex,
            &format!("{t}/positions/pos-be"),
            r#"{"name":"Mine now"}"#
        )
        .await
        .0,
        404
    );
    assert_eq!(
        app.store
            .position("acme", "pos-be")
            .await
            .unwrap()
            .unwrap()
            .name,
        "Backend Engineer"
    );
}

#[tokio::test]
async fn admins_read_applications_and_download_their_files() {
    let app = spawn_app().await;
    for (id, name) in [("acme", "Acme"), ("globex", "Globex")] {
        app.store.create_tenant(id, name).await.unwrap();
    }
    for (tenant, id, name) in [
        ("acme", "pos-be", "Backend Engineer"),
        ("acme", "pos-ops", "Dispatcher"),
        ("globex", "pos-be", "Backend Engineer"),
    ] {
        app.store
            .put_position(tenant, id, &position(name, true))
            .await
            .unwrap();
    }
    let mut with_files = candidate("pos-be");
    let photo: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    with_files.attachments.push(Attachment {
        file_name: "Foto \"Zoë\";inline.png".into(),
        media_type: "Image/PNG".into(),
        content: photo.clone(),
    });
    let (first, _) = app
        .store
        .create_application("acme", "jobboard", "k-1", &with_files)
        .await
        .unwrap()
        .unwrap();
    let mut ids = vec![first.clone()];
    for (key, to) in [("k-2", "dispatcher"), ("k-3", "pos-be")] {
        let mut plain = candidate(to);
        plain.attachments.clear();
        plain.email = None;
        let (id, _) = app
            .store
            .create_application("acme", "jobboard", key, &plain)
            .await
            .unwrap()
            .unwrap();
        ids.push(id);
    }
    let (secret, _) = app
        .store
        .create_application("globex", "jobboard", "k-1", &candidate("pos-be"))
        .await
        .unwrap()
        .unwrap();
    let admin = tenant_token(&app, "acme", true).await;
    let t = "/api/v1/tenants/acme";

    // Newest first, page by page.
    let (status, page) = get(&app, &admin, &format!("{t}/applications?limit=2"), None).await;
    assert_eq!(status, 200, "{page}");
    let mut listed: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (status, page) = get(
        &app,
        &admin,
        &format!("{t}/applications?limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["next_cursor"], Value::Null);
    listed.extend(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string()),
    );
    let mut sorted = ids.clone();
    sorted.sort();
    let mut seen = listed.clone();
    seen.sort();
    assert_eq!(seen, sorted, "every application once, none of globex's");
    let item = &page["items"][0];
    assert_eq!(
        item["id"],
        first.as_str(),
        "the first is the oldest, listed last"
    );
    assert_eq!(item["attachments"][1]["media_type"], "image/png");
    assert_eq!(item["attachments"][1]["size"], 70_000);

    let (status, filtered) = get(
        &app,
        &admin,
        &format!("{t}/applications?position_id=pos-ops"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(filtered["items"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["items"][0]["position_name"], "Dispatcher");
    let (status, err) = get(
        &app,
        &admin,
        &format!("{t}/applications?position_id=pos-nope"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{err}");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pos-nope"),
        "{err}"
    );
    assert_eq!(
        get(&app, &admin, &format!("{t}/applications?cursor=zz"), None)
            .await
            .0,
        400
    );

    let (status, one) = get(&app, &admin, &format!("{t}/applications/{first}"), None).await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["last_name"], "Müller-Lüdenscheidt");
    assert_eq!(one["connector_id"], "jobboard");
    assert_eq!(one["attachments"][0]["file_name"], "Lebenslauf.pdf");

    let client = reqwest::Client::new();
    let download = |path: String| {
        client
            .get(format!("{}{path}", app.url))
            .bearer_auth(&admin)
            .send()
    };
    let res = download(format!("{t}/applications/{first}/attachments/2"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        "attachment; filename=\"Foto _Zo___inline.png\"; filename*=UTF-8''Foto%20%22Zo%C3%AB%22%3Binline.png"
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), photo);
    let res = download(format!("{t}/applications/{first}/attachments/1"))
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"%PDF-1.7 cv");
    for seq in ["3", "0", "x"] {
        let (status, err) = get(
            &app,
            &admin,
            &format!("{t}/applications/{first}/attachments/{seq}"),
            None,
        )
        .await;
        assert_eq!(status, 404, "{seq}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no attachment with that number"),
            "{err}"
        );
    }

    // Globex's application is not in acme, and globex's admin sees none of acme's.
    for path in [
        format!("{t}/applications/{secret}"),
        format!("{t}/applications/{secret}/attachments/1"),
    ] {
        let (status, err) = get(&app, &admin, &path, None).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no application with the id"),
            "{err}"
        );
    }
    let globex = tenant_token(&app, "globex", true).await;
    for path in [
        format!("{t}/applications/{first}"),
        format!("{t}/applications/{first}/attachments/1"),
        format!("/api/v1/tenants/globex/applications/{first}"),
        format!("/api/v1/tenants/globex/applications/{first}/attachments/1"),
    ] {
        let res = client
            .get(format!("{}{path}", app.url))
            .bearer_auth(&globex)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("Zoë") && !body.contains("PDF"), "{body}");
    }
    let (status, theirs) = get(&app, &globex, "/api/v1/tenants/globex/applications", None).await;
    assert_eq!(status, 200);
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1);
    assert_eq!(theirs["items"][0]["id"], secret.as_str());
}

#[tokio::test]
async fn sandbox_tenants_have_open_positions_to_apply_to() {
    let dir = TempDir::new();
    let store = test_store(&dir).await;
    lockgate::sandbox::ensure_tenant(&store, "demo", 20, 7)
        .await
        .unwrap();
    let positions = store.positions("demo").await.unwrap();
    assert!(
        positions.iter().filter(|p| p.open).count() >= 5,
        "{positions:?}"
    );
    let closed = positions.iter().find(|p| !p.open).unwrap();
    let (id, created) = store
        .create_application("demo", "jobboard", "k-1", &candidate("software engineer"))
        .await
        .unwrap()
        .unwrap();
    assert!(created);
    assert_eq!(
        store
            .application("demo", &id)
            .await
            .unwrap()
            .unwrap()
            .position_id,
        "pos-software-engineer"
    );
    assert!(matches!(
        store
            .create_application("demo", "jobboard", "k-2", &candidate(&closed.name))
            .await
            .unwrap(),
        Err(ApplicationRefusal::NotFound(_))
    ));
    // Seeded again elsewhere: the same positions.
    let other_dir = TempDir::new();
    let again = test_store(&other_dir).await;
    lockgate::sandbox::ensure_tenant(&again, "demo", 20, 7)
        .await
        .unwrap();
    let names = |ps: &[lockgate::hr::Position]| -> Vec<(String, String, bool)> {
        ps.iter()
            .map(|p| (p.id.clone(), p.name.clone(), p.open))
            .collect()
    };
    assert_eq!(
        names(&again.positions("demo").await.unwrap()),
        names(&positions)
    );
}

/// Deliveries retried at the same time: one application, every call
/// answered with its id.
#[tokio::test]
async fn concurrent_calls_with_one_key_create_one_application() {
    let dir = TempDir::new();
    let store = recruiting_store(&dir).await;
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .create_application("acme", "jobboard", "same", &candidate("pos-be"))
                    .await
                    .unwrap()
                    .unwrap()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    assert_eq!(answers.iter().filter(|(_, created)| *created).count(), 1);
    assert!(answers.iter().all(|(id, _)| *id == answers[0].0));
    let stored = all_applications(&store, "acme").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].attachments.len(), 1);
}
