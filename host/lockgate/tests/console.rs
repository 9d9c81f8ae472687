//! The web console in a real browser: `lockgate serve --demo` as a person
//! starts it, and `tests/browser/journeys.mjs` driving Debian's headless
//! Chromium through each role's main journeys (Playwright, pinned in
//! `tests/browser/package-lock.json`). Screenshots of the main screens land
//! in `target/browser-screenshots/`.
//!
//! Without `/usr/bin/chromium` (or Node.js) the test says why and passes,
//! unless `LOCKGATE_TEST_BROWSER=1` demands the browser, as CI does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use lockgate_tests::{TempDir, test_database_url};

const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether the browser tests can run here; if not, whether that fails.
fn browser_available() -> bool {
    let demanded = std::env::var("LOCKGATE_TEST_BROWSER").is_ok_and(|v| v == "1");
    let missing = if !Path::new(CHROMIUM).exists() {
        Some(format!("{CHROMIUM} is missing (apt-get install chromium)"))
    } else if Command::new("node").arg("--version").output().is_err() {
        Some("node is missing".to_string())
    } else {
        None
    };
    match missing {
        None => true,
        Some(why) if demanded => panic!("LOCKGATE_TEST_BROWSER=1 but {why}"),
        Some(why) => {
            eprintln!(
                "skipping the console's browser journeys: {why}; set LOCKGATE_TEST_BROWSER=1 to make this fail"
            );
            false
        }
    }
}

/// A `lockgate serve` that ends with the test.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What `serve --demo` prints: its address and a token per role.
#[derive(Default)]
struct Demo {
    url: String,
    operator: String,
    partner: String,
    admin: String,
}

/// `serve --demo`, also reaching the fake partner at `partner` over
/// plain HTTP.
fn serve_demo(dir: &TempDir, db: &str, partner: &str) -> (Server, Demo) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db,
            "--allow-http",
            partner,
        ])
        .env("LOCKGATE_CACHE_DIR", dir.0.join("cache"))
        .env("LOCKGATE_DATA_DIR", dir.0.join("data"))
        .env_remove("LOCKGATE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(dir.0.join("serve.log")).expect("log file"),
        ))
        .spawn()
        .expect("lockgate serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut demo = Demo::default();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref().map_while(Result::ok) {
        let line = line.trim();
        if let Some(token) = line.strip_prefix("export OPERATOR=") {
            demo.operator = token.into();
        } else if let Some(token) = line.strip_prefix("export PARTNER=") {
            demo.partner = token.into();
        } else if let Some(token) = line.strip_prefix("export ADMIN=") {
            demo.admin = token.into();
        } else if let Some(url) = line.strip_prefix("lockgate listening on ") {
            demo.url = url.into();
            break;
        }
    }
    // The rest of what it prints is not needed, but must not fill the pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let log = std::fs::read_to_string(dir.0.join("serve.log")).unwrap_or_default();
    assert!(!demo.url.is_empty(), "serve --demo did not start: {log}");
    assert!(
        !demo.admin.is_empty() && !demo.operator.is_empty() && !demo.partner.is_empty(),
        "serve --demo printed no tokens: {log}"
    );
    (server, demo)
}

/// `tests/browser`, with its pinned packages installed.
fn browser_tests() -> PathBuf {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    if !folder.join("node_modules/playwright-core").exists() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&folder)
            .output()
            .expect("npm runs");
        assert!(
            out.status.success(),
            "npm ci in {}: {}{}",
            folder.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    folder
}

/// Each role signs in and lands on its own home; the admin's deep link
/// survives a reload and the back button; an action's confirmation stays;
/// a partner's submission reaches the operator's queue with its checks,
/// is rejected there with a reason the partner then reads; the German
/// switch changes the text and the page's `lang`; nothing asks the API for
/// a tenant called `null`, and the policy blocks nothing the console needs.
#[tokio::test]
async fn each_role_walks_its_main_journeys_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let dir = TempDir::named("console-browser");
    let db = test_database_url(&dir).await;
    // The fake partner of the sign-in journey (started by the journeys).
    let partner_port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("its address").port()
    };
    let (_server, demo) = serve_demo(&dir, &db, &format!("127.0.0.1:{partner_port}"));
    // A connector published by the operator, which a partner may not submit.
    let foreign = dir.0.join("planner-export.wasm");
    std::fs::write(&foreign, lockgate::demo::PLANNER_EXPORT).expect("write the connector");
    // A second partner, with a connector whose automated review finds a
    // problem: it goes through the review queue.
    let store = lockgate::Store::open(&db).await.expect("the database");
    let (vendor, _) = lockgate::auth::create_token(
        &store,
        lockgate::auth::NewToken {
            role: lockgate::auth::Role::Partner,
            partner_id: Some("flawed-co".into()),
            tenant_id: None,
            marketplace_right: false,
            label: "Flawed Co".into(),
        },
    )
    .await
    .expect("a partner token");
    let flawed = dir.0.join("flawed-department.wasm");
    let bytes = std::fs::read(lockgate_tests::program("test-flawed-department"))
        .expect("the test connector");
    let bytes = lockgate_tests::with_manifest(&bytes, |text| {
        text.lines()
            .map(|line| {
                if line.starts_with("publisher =") {
                    "publisher = \"Flawed Co\"".to_string()
                } else {
                    line.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    // The catalog journeys: another connector of theirs, with an icon and
    // a price only in English, which the operator approves with a tier.
    let elite = dir.0.join("flawed-elite.wasm");
    let icon = format!(
        "data:image/svg+xml;base64,{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><rect width=\"64\" height=\"64\" rx=\"14\" fill=\"#8a3fc7\"/><circle cx=\"32\" cy=\"32\" r=\"16\" fill=\"#ffd76a\"/></svg>"
        )
    );
    let elite_bytes = lockgate_tests::with_manifest(&bytes, |text| {
        text.lines()
            .map(|line| match line {
                l if l.starts_with("id =") => "id = \"flawed-elite\"".to_string(),
                l if l.starts_with("hosts =") => format!(
                    "{l}\nicon = \"{icon}\"\nprice = {{ en = \"From 2 EUR per employee and month\" }}"
                ),
                "de = \"Fehlerhafter Export\"" => "de = \"Elite-Export\"".to_string(),
                "en = \"Flawed export\"" => "en = \"Elite export\"".to_string(),
                l => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    std::fs::write(&elite, elite_bytes).expect("write the connector");
    std::fs::write(&flawed, bytes).expect("write the connector");
    list_signing_in_connector(&store).await;
    list_planner_export_upgrade(&store).await;
    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("browser-screenshots");
    let folder = browser_tests();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("journeys.mjs")
            .current_dir(folder)
            .env("LOCKGATE_URL", &demo.url)
            .env("LOCKGATE_ADMIN", &demo.admin)
            .env("LOCKGATE_OPERATOR", &demo.operator)
            .env("LOCKGATE_PARTNER", &demo.partner)
            .env("LOCKGATE_WASM", &foreign)
            .env("LOCKGATE_VENDOR", &vendor)
            .env("LOCKGATE_VENDOR_WASM", &flawed)
            .env("LOCKGATE_SIGN_IN_PORT", partner_port.to_string())
            .env("LOCKGATE_VENDOR_WASM_2", &elite)
            .env("SCREENSHOTS", &screenshots)
            .env("CHROMIUM", CHROMIUM)
            .output()
            .expect("node runs")
    })
    .await
    .expect("the journeys ran");
    let log = std::fs::read_to_string(dir.0.join("serve.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "the console's journeys failed:\n{}{}\n--- lockgate serve:\n{log}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{}", String::from_utf8_lossy(&out.stdout));
}

/// Lists a connector whose admin signs in at the partner (the OAuth probe,
/// declaring the authorization-code flow), as the operator would after
/// its review.
async fn list_signing_in_connector(store: &lockgate::Store) {
    let wasm = std::fs::read(lockgate_tests::program("test-oauth-probe")).expect("the probe");
    let wasm = lockgate_tests::with_manifest(&wasm, |toml| {
        toml.replace(
            "[oauth2]\n",
            "[oauth2]\nflow = \"authorization-code\"\nauthorize-url = \"https://{api-url}/oauth/authorize\"\nrevoke-url = \"https://{api-url}/oauth/revoke\"\n",
        )
    });
    publish(store, "probe-co", false, &wasm, "premier").await;
}

/// Lists planner export 0.2.0, which asks for the employees' contact data
/// beyond what 0.1.0 has: the admin's integration then offers the upgrade
/// with what it asks for.
async fn list_planner_export_upgrade(store: &lockgate::Store) {
    let wasm = lockgate_tests::with_manifest(lockgate::demo::PLANNER_EXPORT, |toml| {
        toml.replace("version = \"0.1.0\"", "version = \"0.2.0\"")
            .replace(
                "scopes = [\"employees.basic\", \"absences.read\"]",
                "scopes = [\"employees.basic\", \"employees.contact\", \"absences.read\"]",
            )
    });
    publish(store, "lockgate", true, &wasm, "select").await;
}

/// Lists `wasm` as `partner`'s, approved with `tier`.
async fn publish(
    store: &lockgate::Store,
    partner: &str,
    first_party: bool,
    wasm: &[u8],
    tier: &str,
) {
    let found = lockgate_manifest::inspect(wasm);
    let manifest = found.manifest.as_ref().expect("a manifest");
    assert!(found.problems.is_empty(), "{:?}", found.problems);
    let sha = lockgate::artifacts::Artifacts::new(store.clone())
        .put(wasm)
        .await
        .expect("stored");
    store
        .submit_version(
            partner,
            first_party,
            manifest,
            &sha,
            found.size,
            &found.imports,
        )
        .await
        .expect("submitted");
    store
        .review(
            &manifest.id,
            &manifest.version,
            lockgate::store::catalog::Decision::Approve {
                tier: tier.into(),
                note: None,
            },
        )
        .await
        .expect("approved");
}
