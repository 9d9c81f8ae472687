//! The network policy against a hostile connector (`test-hostile-net`):
//! authorities with user information or odd spellings, a forged `Host`
//! header, IPv6 literals that carry an IPv4 address. Everything is refused
//! before a connection is made, and the partner only ever sees the granted
//! host.
//!
//! Nothing here may leave the machine: the partners are on 127.0.0.1, and
//! the cases that would reach another address if the policy were broken run
//! in a network namespace with no route (`unshare -rn`, which re-executes
//! this test binary for one `#[ignore]`d test).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;

use crate::helpers::*;

/// A partner on loopback that records the `Host` of every request and
/// answers with it.
struct Echo {
    addr: SocketAddr,
    /// The `Host` values of each request, joined with `, ` when several.
    seen: Arc<Mutex<Vec<String>>>,
}

impl Echo {
    async fn start() -> Echo {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let app = Router::new().fallback(echo_host).with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Echo { addr, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn echo_host(State(seen): State<Arc<Mutex<Vec<String>>>>, headers: HeaderMap) -> String {
    let hosts: Vec<&str> = headers
        .get_all("host")
        .iter()
        .map(|v| v.to_str().unwrap_or("(not text)"))
        .collect();
    let hosts = hosts.join(", ");
    seen.lock().unwrap().push(hosts.clone());
    format!("host={hosts}")
}

async fn attack(
    tenant: &Tenant,
    attack: &str,
    target: &str,
    authority: &str,
    scheme: &str,
    setup: RunSetup,
) -> lockgate::sync::RunSummary {
    tenant
        .run(
            &program("test-hostile-net"),
            &[
                ("attack", attack),
                ("target", target),
                ("authority", authority),
                ("scheme", scheme),
            ],
            setup,
        )
        .await
}

fn allow(host_port: &str) -> RunSetup {
    RunSetup {
        allow_http: vec![host_port.to_string()],
        ..RunSetup::default()
    }
}

fn steps(summary: &lockgate::sync::RunSummary) -> Vec<String> {
    summary
        .log
        .iter()
        .filter_map(|l| l.message.strip_prefix("step: "))
        .map(str::to_string)
        .collect()
}

/// The granted partner is `127.0.0.1:PORT`; each authority names it too,
/// so a grant check that looked only at the host would let it through.
#[tokio::test]
async fn authorities_with_user_information_or_odd_spellings_are_refused() {
    let tenant = Tenant::seeded(5, 61).await;
    let echo = Echo::start().await;
    let target = echo.addr.to_string();
    let port = echo.addr.port();
    let cases = [
        (
            format!("evil.example@{target}"),
            "the authority carries user information (\"evil.example@\"); only host[:port] is allowed",
        ),
        (
            format!("user:secret@{target}"),
            "the authority carries user information (\"user:secret@\")",
        ),
        (
            format!("evil.example:443@{target}"),
            "the authority carries user information",
        ),
        (
            format!("@{target}"),
            "the authority carries user information",
        ),
        (
            format!("127.0.0.1:+{port}"),
            "is not a number from 1 to 65535 in plain digits",
        ),
        (
            format!("127.0.0.1:0{port}"),
            "is not a number from 1 to 65535 in plain digits",
        ),
        (
            format!("127.0.0.1.:{port}"),
            "is not a host name or IPv4 address",
        ),
    ];
    for (authority, why) in &cases {
        let summary = attack(&tenant, "fetch", &target, authority, "http", allow(&target)).await;
        assert_eq!(summary.run.status, "failed", "{authority}");
        let reason = summary.run.failure_reason.clone().unwrap_or_default();
        assert_eq!(
            reason,
            format!("request to http://{authority} denied: {}", {
                // The expected text, completed where the case gave a part.
                let full =
                    lockgate::capabilities::transport::outgoing_authority(authority).unwrap_err();
                assert!(full.contains(why), "{authority}: {full}");
                full
            }),
            "{authority}"
        );
        assert!(
            steps(&summary).contains(&"refused: denied".to_string()),
            "the connector was told it was denied: {:?}",
            steps(&summary)
        );
    }
    assert!(echo.seen().is_empty(), "nothing reached the partner");

    // The same partner, asked plainly, answers: the refusals were about the
    // authority, not the partner.
    let summary = attack(&tenant, "fetch", &target, &target, "http", allow(&target)).await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    assert_eq!(echo.seen(), std::slice::from_ref(&target));
}

/// `wasi:http` forbids a guest-set `Host`; whatever gets through, the host
/// sets the granted one, so the partner sees exactly that.
#[tokio::test]
async fn the_partner_sees_only_the_granted_host() {
    let tenant = Tenant::seeded(5, 62).await;
    let echo = Echo::start().await;
    let port = echo.addr.port();

    let target = echo.addr.to_string();
    let summary = attack(
        &tenant,
        "host-header",
        &target,
        &target,
        "http",
        allow(&target),
    )
    .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    let steps = steps(&summary);
    for name in ["host", "Host", "HOST"] {
        assert!(
            steps.contains(&format!("from-list refused {name}: HeaderError::Forbidden")),
            "{steps:?}"
        );
    }
    assert!(steps.contains(&"append refused host: HeaderError::Forbidden".to_string()));
    assert!(steps.contains(&"set refused host: HeaderError::Forbidden".to_string()));
    assert!(steps.contains(&"host entries kept: 0".to_string()));
    assert!(
        steps.contains(&format!("answered 200 host={target}")),
        "{steps:?}"
    );
    assert_eq!(echo.seen(), std::slice::from_ref(&target));

    // A granted name, spelled differently by the connector: the partner
    // sees the granted spelling.
    let granted = format!("localhost:{port}");
    let summary = attack(
        &tenant,
        "host-header",
        &granted,
        &format!("LocalHost:{port}"),
        "http",
        allow(&granted),
    )
    .await;
    assert_eq!(
        summary.run.status, "successful",
        "{:?}",
        summary.run.failure_reason
    );
    assert_eq!(echo.seen(), [target, granted]);
}

/// The variable that tells the re-executed test binary it runs inside the
/// namespace.
const IN_NAMESPACE: &str = "LOCKGATE_TEST_IN_EMPTY_NETNS";

/// Runs [`embedded_ipv4_literals_in_an_empty_namespace`] in a new network
/// namespace that has only `lo` (down) and no route: had the policy let an
/// address through, the connection would fail there, not leave the machine.
#[test]
fn embedded_ipv4_literals_are_refused_before_connecting() {
    let exe = std::env::current_exe().expect("the test binary");
    let output = std::process::Command::new("unshare")
        .arg("-rn")
        .arg(exe)
        .args([
            "hostile_net::embedded_ipv4_literals_in_an_empty_namespace",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(IN_NAMESPACE, "1")
        // The namespace has no route to a PostgreSQL server: SQLite there.
        .env_remove(lockgate_tests::database::POSTGRES_URL_VAR)
        .output()
        .unwrap_or_else(|e| {
            panic!("this test needs `unshare` (util-linux) to make a network namespace: {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("test result: ok. 1 passed"),
        "the namespaced run failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// The network devices and routes this process sees.
fn network_of_this_process() -> (Vec<String>, Vec<String>) {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let devices = read("/proc/self/net/dev")
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|d| d.trim().to_string())
        .collect();
    let mut routes: Vec<String> = read("/proc/self/net/route")
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    routes.extend(
        read("/proc/self/net/ipv6_route")
            .lines()
            .filter(|l| !l.trim_end().ends_with(" lo"))
            .map(str::to_string),
    );
    (devices, routes)
}

#[tokio::test]
#[ignore = "run by embedded_ipv4_literals_are_refused_before_connecting under unshare -rn"]
async fn embedded_ipv4_literals_in_an_empty_namespace() {
    assert_eq!(
        std::env::var(IN_NAMESPACE).as_deref(),
        Ok("1"),
        "only runs inside the namespace made by embedded_ipv4_literals_are_refused_before_connecting"
    );
    let (devices, routes) = network_of_this_process();
    assert_eq!(devices, ["lo"], "an isolated network namespace");
    assert!(routes.is_empty(), "no route out: {routes:?}");

    let tenant = Tenant::seeded(5, 63).await;
    // (literal as the connector writes it, what the refusal names)
    let refused = [
        ("[::ffff:10.0.0.1]", "(IPv4-mapped 10.0.0.1)"),
        ("[::ffff:127.0.0.1]", "(IPv4-mapped 127.0.0.1)"),
        ("[::10.0.0.1]", "(IPv4-compatible 10.0.0.1)"),
        ("[::ffff:0:192.168.1.1]", "(IPv4-translated 192.168.1.1)"),
        ("[64:ff9b::a00:1]", "(NAT64-wrapped 10.0.0.1)"),
        ("[64:ff9b::7f00:1]", "(NAT64-wrapped 127.0.0.1)"),
        (
            "[64:ff9b:1::c0a8:101]",
            "(NAT64 (local-use) wrapped 192.168.1.1)",
        ),
        ("[2002:a00:1::1]", "(6to4 wrapped 10.0.0.1)"),
        ("[2002:7f00:1::1]", "(6to4 wrapped 127.0.0.1)"),
        ("[2002:6440:1::1]", "(6to4 wrapped 100.64.0.1)"),
        (
            "[2001:0:4136:e378:8000:63bf:f5ff:fffe]",
            "(Teredo wrapped 10.0.0.1)",
        ),
        ("[100::1]", "(discard-only): 100::/64"),
        ("[2001:db8::1]", "(documentation): 2001:db8::/32"),
        ("[3fff::1]", "(documentation): 3fff::/20"),
        ("[2001:2::1]", "(benchmarking): 2001:2::/48"),
        ("[5f00::1]", "(segment routing (SRv6) SIDs)"),
        ("[fd00::1]", "(unique-local)"),
        ("[fe80::1]", "(link-local)"),
        ("[4000::1]", "(outside global unicast)"),
        ("198.18.0.1", "(benchmarking): 198.18.0.0/15"),
        ("192.0.2.1", "(documentation (TEST-NET-1))"),
        ("100.64.0.1", "(shared address space (CGNAT))"),
        ("192.0.0.8", "(IPv4 dummy address)"),
    ];
    for (literal, names) in refused {
        let host = literal.trim_matches(['[', ']']);
        let summary = attack(
            &tenant,
            "fetch",
            literal,
            literal,
            "https",
            RunSetup::default(),
        )
        .await;
        assert_eq!(summary.run.status, "failed", "{literal}");
        let reason = summary.run.failure_reason.clone().unwrap_or_default();
        assert!(
            reason.starts_with(&format!(
                "request to https://{literal} denied: {host} resolves to"
            )),
            "{literal}: {reason}"
        );
        assert!(reason.contains(names), "{literal}: {reason}");
        assert!(
            steps(&summary).contains(&"refused: destination prohibited".to_string()),
            "{literal}: {:?}",
            steps(&summary)
        );
    }

    // The operator may allow one exact host: then the policy lets it
    // through (and here the connection fails, there being no route)...
    let literal = "[64:ff9b::a00:1]";
    let summary = attack(
        &tenant,
        "fetch",
        literal,
        literal,
        "https",
        allow("[64:ff9b::a00:1]:443"),
    )
    .await;
    let reason = summary.run.failure_reason.clone().unwrap_or_default();
    assert_eq!(summary.run.status, "failed");
    assert!(
        !reason.contains("resolves to"),
        "allowed by the operator: {reason}"
    );
    // ...but never to a metadata address, however it is wrapped.
    for literal in [
        "[::ffff:169.254.169.254]",
        "[fd00:ec2::254]",
        "[64:ff9b::a9fe:a9fe]",
    ] {
        let summary = attack(
            &tenant,
            "fetch",
            literal,
            literal,
            "https",
            allow(&format!("{literal}:443")),
        )
        .await;
        let reason = summary.run.failure_reason.clone().unwrap_or_default();
        assert!(
            reason.contains("cloud metadata address"),
            "{literal}: {reason}"
        );
    }
}
