//! The `lockgate` command as a person runs it: the built binary, the
//! bundled planner export, the built-in demo planner as the partner. (The
//! rest of the end-to-end suite is in `tests/all`; this lives here because
//! only the package that owns the binary can run it.)

use std::process::Command;

use lockgate::demo::{DEMO_API_KEY as PLANNER_KEY, DemoPlanner};
use lockgate_tests::{TempDir, closed_port, eventually, jobs_settled, test_database_url};

fn lockgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
}

#[test]
fn inspect_refuses_a_bad_component_with_its_reason() {
    // The planner export with its manifest section renamed away.
    let name = lockgate_manifest::MANIFEST_SECTION.as_bytes();
    let mut bytes = lockgate::demo::PLANNER_EXPORT.to_vec();
    let at = bytes
        .windows(name.len())
        .position(|w| w == name)
        .expect("a manifest section");
    bytes[at] = b'X';
    let dir = TempDir::named("cli-inspect");
    let file = dir.0.join("no-manifest.wasm");
    std::fs::write(&file, bytes).unwrap();
    let out = lockgate()
        .args(["plugin", "inspect", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["acceptable"], false);
    let texts = report["problems_text"].as_array().unwrap();
    assert!(
        texts
            .iter()
            .any(|t| t.as_str().unwrap().contains("has no manifest")),
        "{texts:?}"
    );
}

/// `plugin inspect` names the contract version a connector was built
/// against: 0.1.0 for the connector kept from then
/// (`tests/programs/contract-0-1`), 0.2.0 for a bundled one, in the text
/// and in the JSON.
#[test]
fn inspect_names_the_contract_version_a_connector_was_built_against() {
    let dir = TempDir::named("cli-contract");
    let planner = dir.0.join("planner.wasm");
    std::fs::write(&planner, lockgate::demo::PLANNER_EXPORT).unwrap();
    for (file, version) in [
        (lockgate_tests::program("test-contract-0-1"), "0.1.0"),
        (planner, "0.2.0"),
    ] {
        let out = lockgate()
            .args(["plugin", "inspect"])
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(
            text.lines()
                .any(|l| l == format!("contract: lockgate:connector@{version}")),
            "{text}"
        );
        assert!(text.contains("verdict: acceptable"), "{text}");
        let out = lockgate()
            .args(["plugin", "inspect", "--json"])
            .arg(&file)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["contract"], version, "{report}");
    }
}

#[tokio::test]
async fn plugin_run_seeds_a_sandbox_runs_and_prints_one_json_document() {
    let planner = DemoPlanner::start().await.unwrap();
    let dir = TempDir::named("cli-json");
    let db = dir.0.join("cli.db");
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let mut cmd = lockgate();
    cmd.args(["plugin", "run"])
        .arg(&wasm)
        .args(["--sandbox", "--seed", "3", "--db"])
        .arg(&db);
    cmd.args(["--config", &format!("planner-url={}", planner.url())]);
    cmd.args(["--config", &format!("api-key={PLANNER_KEY}")]);
    cmd.args(["--allow-http", &planner.authority(), "--json"]);
    // The fake planner runs on this test's runtime: wait off it.
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status_label"], "Successful");
    assert!(summary["counts"]["provision"]["success"].as_i64().unwrap() > 50);
    assert!(planner.resource_count() > 50);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(PLANNER_KEY),
        "the secret is not echoed"
    );
}

#[tokio::test]
async fn plugin_run_exits_non_zero_when_the_run_fails() {
    let port = closed_port().await;
    let dir = TempDir::named("cli-fails");
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let db = dir.0.join("cli.db");
    let out = tokio::task::spawn_blocking(move || {
        lockgate()
            .args(["plugin", "run"])
            .arg(&wasm)
            .args(["--sandbox", "--db"])
            .arg(&db)
            .args([
                "--config",
                &format!("planner-url=http://127.0.0.1:{port}"),
                "--config",
                "api-key=x",
            ])
            .args(["--allow-http", &format!("127.0.0.1:{port}")])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("status:   Failed"), "{text}");
    assert!(text.contains("refused"), "{text}");
}

#[test]
fn plugin_run_rejects_config_that_does_not_fit_the_schema() {
    let dir = TempDir::named("cli-schema");
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let out = lockgate()
        .args(["plugin", "run"])
        .arg(&wasm)
        .args(["--sandbox", "--db"])
        .arg(dir.0.join("cli.db"))
        .args(["--config", "planner-url=ftp://x", "--config", "colour=blue"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("planner-url: must start with https://"),
        "{err}"
    );
    assert!(
        err.contains("colour: the connector has no such field"),
        "{err}"
    );
    assert!(err.contains("api-key: required"), "{err}");
}

#[test]
fn sandbox_seed_reports_what_it_created_and_refuses_to_overwrite() {
    let dir = TempDir::named("cli-seed");
    let db = dir.0.join("seed.db");
    let seed = || {
        lockgate()
            .args([
                "sandbox",
                "seed",
                "--employees",
                "120",
                "--seed",
                "4",
                "--json",
                "--db",
            ])
            .arg(&db)
            .output()
            .unwrap()
    };
    let out = seed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["employees"], 120);
    assert!(report["future_hires"].as_u64().unwrap() >= 1);
    assert!(report["past_leavers"].as_u64().unwrap() >= 1);
    assert!(report["exclusions"].as_u64().unwrap() >= 1);
    let again = seed();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[tokio::test]
async fn serve_starts_on_a_fresh_sqlite_file_and_accepts_a_created_token() {
    use std::io::{BufRead, BufReader};
    let dir = TempDir::named("cli-serve");
    let db = format!("sqlite://{}/data/lockgate.db", dir.0.display());
    let out = lockgate()
        .args([
            "token",
            "create",
            "--role",
            "operator",
            "--database-url",
            &db,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("lg_"));

    let mut child = lockgate()
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db])
        .env("LOCKGATE_CACHE_DIR", dir.0.join("cache"))
        .env("LOCKGATE_DATA_DIR", dir.0.join("data"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("lockgate listening on ")
        .expect(&line)
        .to_string();
    let me: serde_json::Value = reqwest_get(&format!("{url}/api/v1/me"), &token).await;
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(me["role"], "operator");
}

/// `bytes` with a custom section added: another build of the same
/// connector and version, as a new compiler would make it.
fn rebuilt(bytes: &[u8]) -> Vec<u8> {
    let name = b"rebuilt";
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(b"by another compiler");
    let mut out = bytes.to_vec();
    // Custom section (id 0); its length fits one LEB128 byte.
    out.push(0);
    out.push(u8::try_from(section.len()).unwrap());
    out.extend(section);
    out
}

/// `serve --demo` on a database where an earlier host listed another build
/// of a bundled connector's version (rebuilt without raising the version)
/// starts all the same: the stored build stays listed and connected, and a
/// warning names the connector and version and says how to publish the new
/// build.
#[tokio::test]
async fn serve_demo_keeps_the_stored_build_of_a_bundled_version_and_says_so() {
    use std::io::{BufRead, BufReader, Read};

    use lockgate::app::{App, AppConfig};

    let dir = TempDir::named("cli-demo-rebuilt");
    let db = test_database_url(&dir).await;
    let earlier = rebuilt(lockgate::demo::PLANNER_EXPORT);
    let inspection = lockgate_manifest::inspect(&earlier);
    assert!(inspection.is_acceptable(), "{:?}", inspection.problems);
    let manifest = inspection.manifest.clone().unwrap();
    {
        let app = App::build(AppConfig::new(&db, dir.0.join("data")))
            .await
            .unwrap();
        lockgate::demo::publish_build(&app, &earlier).await.unwrap();
    }

    let mut child = lockgate()
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db,
        ])
        .env("LOCKGATE_CACHE_DIR", dir.0.join("cache"))
        .env("LOCKGATE_DATA_DIR", dir.0.join("data"))
        .env_remove("LOCKGATE_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listening = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.starts_with("lockgate listening on "))
    })
    .await
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(listening, "serve --demo did not start: {stderr}");
    let warning = stderr
        .lines()
        .find(|l| l.contains("another build"))
        .unwrap_or_else(|| panic!("no warning: {stderr}"));
    for word in [
        "planner-export",
        manifest.version.as_str(),
        inspection.sha256.as_str(),
        "stays listed",
        "raise the version in the connector's connector.toml",
    ] {
        assert!(warning.contains(word), "{word:?} missing: {warning}");
    }

    let store = lockgate::Store::open(&db).await.unwrap();
    let stored = store
        .plugin_version(&manifest.id, &manifest.version)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.sha256, inspection.sha256, "the stored build stays");
    assert!(stored.listed);
    let installs = store.tenant_installs("demo").await.unwrap();
    let planner = installs
        .iter()
        .find(|i| i.connector_id == "planner-export")
        .expect("the demo connected the planner export");
    assert_eq!(planner.plugin_sha256, inspection.sha256);
    // The other bundled connectors, unchanged, are listed as always.
    let listed = store.listed().await.unwrap();
    assert!(
        listed.iter().any(|v| v.plugin_id == "ats-hire"),
        "{listed:?}"
    );
}

#[test]
fn serve_rejects_unknown_settings() {
    let out = lockgate()
        .args(["serve"])
        .env("LOCKGATE_DATABSE_URL", "sqlite://x.db")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting LOCKGATE_DATABSE_URL"));
}

/// A GET with a bearer token over plain HTTP/1.1, without an HTTP client
/// dependency in the host's tests.
async fn reqwest_get(url: &str, token: &str) -> serde_json::Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str(body).unwrap()
}

/// A planner that answers the first batch of a run and holds every later
/// one until released: a run that is stopped half-way.
#[derive(Clone, Default)]
struct HoldingPlanner {
    batches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    release: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl HoldingPlanner {
    async fn start(self) -> String {
        use axum::routing::{get, post};
        async fn account() -> axum::Json<serde_json::Value> {
            axum::Json(serde_json::json!({ "name": "Holding planner" }))
        }
        async fn batch(
            axum::extract::State(p): axum::extract::State<HoldingPlanner>,
            axum::Json(body): axum::Json<serde_json::Value>,
        ) -> axum::Json<serde_json::Value> {
            use std::sync::atomic::Ordering::SeqCst;
            if p.batches.fetch_add(1, SeqCst) >= 1 {
                while !p.release.load(SeqCst) {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
            let results: Vec<_> = body["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| serde_json::json!({ "externalId": r["externalId"], "code": 201, "result": "created" }))
                .collect();
            axum::Json(serde_json::json!({ "results": results }))
        }
        let app = axum::Router::new()
            .route("/api/v1/account", get(account))
            .route("/api/v1/resources/batch", post(batch))
            .with_state(self);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }
}

/// Starts `lockgate serve` on `db` with its data and cache folders in
/// `home` (each replica its own, as on separate machines); returns the
/// process and its URL.
async fn start_serve(
    home: &std::path::Path,
    db: &str,
    allow: &str,
) -> (std::process::Child, String) {
    start_serve_with(home, db, allow, &[]).await
}

/// [`start_serve`] with settings of its own (`LOCKGATE_…` variables).
async fn start_serve_with(
    home: &std::path::Path,
    db: &str,
    allow: &str,
    settings: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = lockgate()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            db,
            "--allow-http",
            allow,
        ])
        .env("LOCKGATE_CACHE_DIR", home.join("cache"))
        .env("LOCKGATE_DATA_DIR", home.join("data"))
        .env("LOCKGATE_LEASE_SECONDS", "2")
        .env("LOCKGATE_SECRET_KEY", SECRET_KEY)
        .envs(settings.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let url = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if let Some(url) = line.strip_prefix("lockgate listening on ") {
                // Keep draining so the process never blocks on a full pipe.
                std::thread::spawn(move || lines.for_each(drop));
                return url.to_string();
            }
        }
    })
    .await
    .unwrap();
    (child, url)
}

/// The key both replicas seal install secrets with.
const SECRET_KEY: &str = "4c6f636b676174652d746573742d6b65792d30313233343536373839616263ff";

/// The operator submits the planner export and approves it; returns the
/// approved version.
async fn list_planner_export(
    http: &reqwest::Client,
    url: &str,
    operator: &str,
) -> serde_json::Value {
    let res = http
        .post(format!("{url}/api/v1/partner/submissions"))
        .bearer_auth(operator)
        .body(lockgate::demo::PLANNER_EXPORT.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = http
        .post(format!("{url}/api/v1/review/planner-export/0.1.0"))
        .bearer_auth(operator)
        .json(&serde_json::json!({ "decision": "approve", "tier": "select" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Connects the planner export for `t-1` through the API at `url`;
/// returns the install's id.
async fn connect_planner(
    http: &reqwest::Client,
    url: &str,
    admin: &str,
    planner_url: &str,
) -> String {
    let connect = serde_json::json!({
        "plugin": "planner-export",
        "config": { "planner-url": planner_url, "api-key": PLANNER_KEY },
    });
    let installs = format!("{url}/api/v1/tenants/t-1/installs");
    let send = |path: String, body: &serde_json::Value| {
        http.post(path).bearer_auth(admin).json(body).send()
    };
    let preview: serde_json::Value = send(format!("{installs}/preview"), &connect)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut body = connect.clone();
    body["grant"] = preview["grant"].clone();
    let install: serde_json::Value = send(installs, &body).await.unwrap().json().await.unwrap();
    assert_eq!(install["status"], "connected", "{install}");
    install["id"].as_str().unwrap().to_string()
}

fn token_for(db: &str, args: &[&str]) -> String {
    let out = lockgate()
        .args(["token", "create", "--database-url", db])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A database with tenant `t-1`, tokens for the operator and its admin,
/// and a planner that holds the second batch of a run until released.
struct Held {
    db: String,
    store: lockgate::Store,
    operator: String,
    admin: String,
    planner: HoldingPlanner,
    planner_addr: String,
}

impl Held {
    async fn start(dir: &TempDir) -> Held {
        let db = test_database_url(dir).await;
        let store = lockgate::Store::open(&db).await.unwrap();
        lockgate::sandbox::ensure_tenant(&store, "t-1", 600, 1)
            .await
            .unwrap();
        let operator = token_for(&db, &["--role", "operator"]);
        let admin = token_for(&db, &["--role", "tenant-admin", "--tenant", "t-1"]);
        let planner = HoldingPlanner::default();
        let planner_addr = planner.clone().start().await;
        Held {
            db,
            store,
            operator,
            admin,
            planner,
            planner_addr,
        }
    }
}

#[tokio::test]
async fn a_host_killed_mid_run_keeps_its_rows_and_the_run_is_resolved_on_restart() {
    use std::sync::atomic::Ordering::SeqCst;
    let dir = TempDir::named("cli-kill");
    let Held {
        db,
        store,
        operator,
        admin,
        planner,
        planner_addr,
    } = Held::start(&dir).await;

    let (mut first, url) = start_serve(&dir.0.join("a"), &db, &planner_addr).await;
    let http = reqwest::Client::new();
    list_planner_export(&http, &url, &operator).await;
    let id = connect_planner(&http, &url, &admin, &format!("http://{planner_addr}")).await;

    // The initial run gets its first batch through, then hangs: kill -9.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while planner.batches.load(SeqCst) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never reached its second batch"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    first.kill().unwrap(); // SIGKILL
    let _ = first.wait();
    let runs = store.runs_of_install(&id).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "running");
    let committed = store.run_counts(&runs[0].id).await.unwrap();
    let committed: i64 = committed.values().sum();
    assert!(
        committed >= 200,
        "the first batch's rows were committed: {committed}"
    );

    // A new host, with its own data folder, takes the job over once the
    // lease runs out.
    planner.release.store(true, SeqCst);
    let (mut second, _url) = start_serve(&dir.0.join("b"), &db, &planner_addr).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let runs = loop {
        let runs = store.runs_of_install(&id).await.unwrap();
        if runs.len() == 2 && runs.iter().all(|r| r.status != "running") {
            break runs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not resolved: {runs:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    second.kill().unwrap();
    let _ = second.wait();
    let killed = runs
        .iter()
        .find(|r| r.status == "failed")
        .expect("the killed run failed");
    assert_eq!(
        killed.failure_reason.as_deref(),
        Some("host stopped during run")
    );
    let kept: i64 = store.run_counts(&killed.id).await.unwrap().values().sum();
    assert_eq!(kept, committed, "no committed row was lost");
    let retried = runs.iter().find(|r| r.id != killed.id).unwrap();
    assert_eq!(retried.status, "successful", "{retried:?}");
    assert_eq!(retried.job_id, killed.job_id, "the same job ran again");
}

#[tokio::test]
async fn two_serve_replicas_run_every_due_job_exactly_once() {
    let dir = TempDir::named("cli-replicas");
    let db = test_database_url(&dir).await;
    let store = lockgate::Store::open(&db).await.unwrap();
    let operator = token_for(&db, &["--role", "operator"]);
    let planner = DemoPlanner::start().await.unwrap();
    // Each with its own data folder, as on two machines: the second never
    // saw the upload, and its workers run the jobs they lease all the same.
    let (mut one, url) = start_serve(&dir.0.join("a"), &db, &planner.authority()).await;
    let (mut two, _) = start_serve(&dir.0.join("b"), &db, &planner.authority()).await;

    let version = list_planner_export(&reqwest::Client::new(), &url, &operator).await;
    let sha256 = version["sha256"].as_str().unwrap().to_string();

    // Forty installs in forty tenants, all due now.
    let sealer = lockgate::secrets::SecretBox::from_hex(SECRET_KEY).unwrap();
    let due = lockgate::time::now_text();
    let mut ids = Vec::new();
    for n in 0..40u64 {
        let tenant = format!("r-{n}");
        lockgate::sandbox::ensure_tenant(&store, &tenant, 5, n)
            .await
            .unwrap();
        let install = lockgate::store::InstallRecord {
            id: format!("inst-{n}"),
            tenant_id: tenant,
            connector_id: "planner-export".into(),
            plugin_version: "0.1.0".into(),
            plugin_sha256: sha256.clone(),
            config: [("planner-url".to_string(), planner.url())].into(),
            status: lockgate::vocabulary::InstallStatus::Connected,
            next_run_at: Some(due.clone()),
            ..Default::default()
        };
        let sealed = sealer.seal(
            &install.id,
            &[("api-key".to_string(), PLANNER_KEY.to_string())].into(),
        );
        store
            .create_install_sealed(&install, Some(&sealed))
            .await
            .unwrap();
        ids.push(install.id);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    for id in &ids {
        loop {
            let runs = store.runs_of_install(id).await.unwrap();
            if runs.iter().any(|r| r.status != "running") {
                assert_eq!(runs[0].status, "successful", "{:?}", runs[0]);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{id} never ran");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    // Nothing more can run: each install's due slot is claimed (its next
    // run moved on, so neither scheduler enqueues it again) and none of its
    // jobs is queued or leased. Only then stop the hosts and count.
    for id in &ids {
        eventually("the due slot to be claimed", || async {
            let record = store.install(id).await.unwrap().unwrap();
            (record.next_run_at.as_deref() != Some(due.as_str())).then_some(())
        })
        .await;
        jobs_settled(&store, id).await;
    }
    one.kill().unwrap();
    two.kill().unwrap();
    let _ = (one.wait(), two.wait());
    for id in &ids {
        assert_eq!(store.runs_of_install(id).await.unwrap().len(), 1, "{id}");
        let jobs = store.install_jobs(id, 10).await.unwrap();
        assert_eq!(jobs.len(), 1, "{id}: {jobs:?}");
        assert_eq!(jobs[0].attempts, 1, "{id}");
        assert_eq!(jobs[0].status, "done", "{id}: {jobs:?}");
    }
}

/// Replicas on separate machines: a connector uploaded and connected
/// through one syncs on demand through the other, whichever runs the job.
#[tokio::test]
async fn a_connector_uploaded_through_one_replica_syncs_through_another() {
    let dir = TempDir::named("cli-machines");
    let db = test_database_url(&dir).await;
    let store = lockgate::Store::open(&db).await.unwrap();
    lockgate::sandbox::ensure_tenant(&store, "t-1", 40, 2)
        .await
        .unwrap();
    let operator = token_for(&db, &["--role", "operator"]);
    let admin = token_for(&db, &["--role", "tenant-admin", "--tenant", "t-1"]);
    let planner = DemoPlanner::start().await.unwrap();
    let (mut a, url_a) = start_serve(&dir.0.join("a"), &db, &planner.authority()).await;
    let (mut b, url_b) = start_serve(&dir.0.join("b"), &db, &planner.authority()).await;
    let http = reqwest::Client::new();
    list_planner_export(&http, &url_a, &operator).await;
    let id = connect_planner(&http, &url_a, &admin, &planner.url()).await;
    let settled = |runs: usize| {
        let (store, id) = (&store, &id);
        eventually("the runs to finish", move || async move {
            let found = store.runs_of_install(id).await.unwrap();
            (found.len() == runs && found.iter().all(|r| r.status != "running")).then_some(found)
        })
    };
    settled(1).await;
    for n in 2..=4 {
        let res = http
            .post(format!("{url_b}/api/v1/tenants/t-1/installs/{id}/sync"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202, "{}", res.text().await.unwrap());
        settled(n).await;
    }
    a.kill().unwrap();
    b.kill().unwrap();
    let _ = (a.wait(), b.wait());
    for run in store.runs_of_install(&id).await.unwrap() {
        assert_eq!(run.status, "successful", "{run:?}");
    }
}

#[tokio::test]
async fn plugin_vet_passes_the_planner_export_and_fails_a_flawed_connector() {
    let planner = DemoPlanner::start().await.unwrap();
    let dir = TempDir::named("cli-vet");
    let planner_export = dir.0.join("planner_export.wasm");
    std::fs::write(&planner_export, lockgate::demo::PLANNER_EXPORT).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        lockgate()
            .args(["plugin", "vet", "--json", "--config"])
            .arg(format!("api-key={PLANNER_KEY}"))
            .arg("--partner-url")
            .arg(planner.url())
            .arg(planner_export)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{report:#}");
    assert_ne!(report["verdict"], "fail");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(PLANNER_KEY));

    let partner = DemoPlanner::start().await.unwrap();
    let url = partner.url();
    let out = tokio::task::spawn_blocking(move || {
        lockgate()
            .args(["plugin", "vet", "--config"])
            .arg(format!("api-key={PLANNER_KEY}"))
            .arg("--partner-url")
            .arg(url)
            .arg(lockgate_tests::program("test-flawed-stateless"))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAIL  incremental: not incremental"),
        "{text}"
    );
    assert!(text.contains("verdict: fail"), "{text}");
}

#[tokio::test]
async fn a_replica_stopped_with_sigterm_hands_its_run_to_another_at_once() {
    use std::sync::atomic::Ordering::SeqCst;
    let dir = TempDir::named("cli-sigterm");
    let Held {
        db,
        store,
        operator,
        admin,
        planner,
        planner_addr,
    } = Held::start(&dir).await;
    // A lease far longer than the test: only a hand-back lets the second
    // replica take the job soon.
    let settings = [
        ("LOCKGATE_LEASE_SECONDS", "600"),
        ("LOCKGATE_SHUTDOWN_GRACE_SECONDS", "1"),
    ];
    let (mut first, url) = start_serve_with(&dir.0.join("a"), &db, &planner_addr, &settings).await;
    let http = reqwest::Client::new();
    list_planner_export(&http, &url, &operator).await;
    let id = connect_planner(&http, &url, &admin, &format!("http://{planner_addr}")).await;
    eventually("the run to reach its second batch", || async {
        (planner.batches.load(SeqCst) >= 2).then_some(())
    })
    .await;
    let running = store.runs_of_install(&id).await.unwrap();
    assert_eq!(running.len(), 1);
    let job_id = running[0].job_id.clone().expect("a queued run");
    let job = store.job(&job_id).await.unwrap().unwrap();
    assert_eq!(
        job.run_id.as_deref(),
        Some(running[0].id.as_str()),
        "the job shows its run"
    );

    // SIGTERM: the host stops within its grace period and exits cleanly.
    let term = Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || first.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
    let job = store.job(&job_id).await.unwrap().unwrap();
    assert_eq!(job.status, "queued", "handed back: {job:?}");
    let stopped = store.run(&running[0].id).await.unwrap().unwrap();
    assert_eq!(stopped.status, "failed");
    assert!(
        stopped
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("handed to another host"),
        "{stopped:?}"
    );

    // Another replica takes it at once (its lease had 10 minutes to go).
    planner.release.store(true, SeqCst);
    let started = std::time::Instant::now();
    let (mut second, _url) =
        start_serve_with(&dir.0.join("b"), &db, &planner_addr, &settings).await;
    let runs = eventually("the job to run on the second replica", || async {
        let runs = store.runs_of_install(&id).await.unwrap();
        (runs.len() == 2 && runs.iter().all(|r| r.status != "running")).then_some(runs)
    })
    .await;
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    let _ = second.kill();
    let _ = second.wait();
    let retried = runs.iter().find(|r| r.id != stopped.id).unwrap();
    assert_eq!(retried.status, "successful", "{retried:?}");
    assert_eq!(retried.job_id.as_deref(), Some(job_id.as_str()));
    assert_ne!(retried.host, stopped.host, "another replica ran it");
}

#[test]
fn manifest_check_reports_every_problem_with_its_line() {
    let dir = TempDir::named("cli-manifest-check");
    let good = include_str!("../../scaffold/templates/common/connector.toml.in")
        .replace("{{id}}", "acme-sync")
        .replace("{{publisher}}", "Acme")
        .replace("{{title}}", "Acme sync")
        .replace("{{memory}}", "");
    std::fs::write(dir.0.join("connector.toml"), &good).unwrap();
    // The default file, in the current folder.
    let out = lockgate()
        .args(["manifest", "check"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        said.trim(),
        "connector.toml: OK: acme-sync 0.1.0, 2 config fields"
    );

    // A typo'd key, an unknown type and a bad schedule, all at once.
    let bad = good
        .replace("manual = true", "manual = true\nwebhok = true")
        .replace("type = \"url\"", "type = \"link\"")
        .replace("daily@02:00", "daily@25:00");
    let file = dir.0.join("bad.toml");
    std::fs::write(&file, &bad).unwrap();
    let line_of = |text: &str| bad.lines().position(|l| l.contains(text)).unwrap() + 1;
    let out = lockgate()
        .args(["manifest", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    let name = file.display();
    for expected in [
        format!(
            "{name}:{}:1: [triggers]: unknown key \"webhok\"; allowed here: schedule, events, webhook, manual",
            line_of("webhok")
        ),
        format!(
            "{name}:{}:8: [[config]] key \"api-url\": type \"link\" is not one of string, integer, boolean, date, url, hostname, enum",
            line_of("\"link\"")
        ),
        format!("{name}: 3 problems"),
    ] {
        assert!(said.contains(&expected), "{expected}\n{said}");
    }
    assert!(said.contains("triggers.schedule"), "{said}");

    let out = lockgate()
        .args(["manifest", "check", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 3, "{found:?}");
    let link = found
        .iter()
        .find(|f| f["path"] == "config[0].type")
        .expect("the type is named by its path");
    assert_eq!(link["line"], line_of("\"link\""));
    assert_eq!(link["column"], 8);

    // A file that is not there says what to give.
    let out = lockgate()
        .args(["manifest", "check", "missing.toml"])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot read missing.toml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The employees a `plugin run --json` reported rows for.
fn row_employees(out: &std::process::Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["status_label"], "Successful", "{summary}");
    summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["employee_id"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn sandbox_hire_change_and_the_clock_reach_the_next_plugin_run() {
    let planner = DemoPlanner::start().await.unwrap();
    let dir = TempDir::named("cli-sandbox-edits");
    let db = dir.0.join("sandbox.db");
    let wasm = dir.0.join("planner.wasm");
    std::fs::write(&wasm, lockgate::demo::PLANNER_EXPORT).unwrap();
    let sandbox = |args: &[&str]| {
        lockgate()
            .arg("sandbox")
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap()
    };
    let said = |out: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let run = || {
        let mut cmd = lockgate();
        cmd.args(["plugin", "run"])
            .arg(&wasm)
            .arg("--db")
            .arg(&db)
            .args(["--config", &format!("planner-url={}", planner.url())])
            .args(["--config", &format!("api-key={PLANNER_KEY}")])
            .args(["--allow-http", &planner.authority(), "--json"])
            .env("LOCKGATE_CACHE_DIR", dir.0.join("cache"));
        // The fake planner runs on this test's runtime: wait off it.
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };

    // Nothing to change before `sandbox seed`: each command says so.
    let out = sandbox(&["hire", "--first-name", "Ada", "--last-name", "Lovelace"]);
    assert!(!out.status.success());
    assert!(
        said(&out).contains("lockgate sandbox seed --db"),
        "{}",
        said(&out)
    );
    assert!(sandbox(&["seed", "--employees", "20"]).status.success());
    let out = sandbox(&["clock", "show", "--tenant", "elsewhere"]);
    assert!(!out.status.success());
    assert!(
        said(&out).contains("tenant \"elsewhere\" is not in"),
        "{}",
        said(&out)
    );

    let today = lockgate::time::today();
    let tomorrow = lockgate::time::date_text(lockgate::time::add_days(today, 1));
    let hire = |extra: &[&str]| {
        let mut args = vec!["hire", "--first-name", "Ada", "--last-name", "Lovelace"];
        args.extend(extra);
        let out = sandbox(&args);
        assert!(out.status.success(), "{}", said(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let ada = hire(&["--department", "Research"]);
    let grace = hire(&["--hire-date", &tomorrow]);
    assert!(ada.starts_with("e-") && grace.starts_with("e-") && ada != grace);

    let first = row_employees(&run().await.unwrap());
    assert!(first.contains(&ada), "the first run sends everyone");
    assert!(!first.contains(&grace), "not hired yet");

    // A change moves Ada's stamp: the incremental run sends her alone of
    // the two.
    let out = sandbox(&["change", &ada, "--department", "Engineering"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("department \"Research\" -> \"Engineering\""),
        "{}",
        said(&out)
    );
    let second = row_employees(&run().await.unwrap());
    assert!(second.contains(&ada), "{second:?}");
    assert!(!second.contains(&grace), "{second:?}");

    // A day later by the sandbox clock, Grace is hired.
    let out = sandbox(&["clock", "advance", "1d"]);
    assert!(
        said(&out).contains("1d ahead of the system clock"),
        "{}",
        said(&out)
    );
    let third = row_employees(&run().await.unwrap());
    assert!(third.contains(&grace), "{third:?}");

    // Terminated on her first day: the store holds the date.
    let out = sandbox(&["terminate", &grace, "--date", &tomorrow]);
    assert!(out.status.success(), "{}", said(&out));
    let store = lockgate::store::Store::open_sqlite(&db).await.unwrap();
    let stored = store.employee("sandbox", &grace).await.unwrap().unwrap();
    assert_eq!(stored.termination_date.as_deref(), Some(tomorrow.as_str()));

    // Bad input names what to fix.
    for (args, says) in [
        (
            vec!["change", "nobody", "--position", "x"],
            "has no employee \"nobody\"",
        ),
        (vec!["change", &ada], "nothing to change"),
        (
            vec!["change", &ada, "--status", "gone"],
            "--status: give active or inactive",
        ),
        (
            vec!["terminate", &ada, "--date", "2026-13-01"],
            "--date \"2026-13-01\" is not a date",
        ),
        (
            vec!["terminate", &ada, "--date", "1990-01-01"],
            "--date: is before the hire date",
        ),
        (
            vec!["hire", "--first-name", "", "--last-name", "X"],
            "--first-name:",
        ),
        (vec!["clock", "advance", "3x"], "is not a span of time"),
        (
            vec!["clock", "set", "tomorrow"],
            "neither an instant nor a date",
        ),
    ] {
        let out = sandbox(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(said(&out).contains(says), "{args:?}: {}", said(&out));
    }

    let out = sandbox(&["clock", "set", "2030-01-01"]);
    assert!(said(&out).contains(": 2030-01-01T00:00:"), "{}", said(&out));
    let out = sandbox(&["clock", "advance", "-12h"]);
    assert!(said(&out).contains(": 2029-12-31T12:00:"), "{}", said(&out));
    let out = sandbox(&["clock", "reset"]);
    assert!(
        said(&out).contains("follows the system clock"),
        "{}",
        said(&out)
    );
}
