//! Inspection of connector files: what the CLI and the review show, and
//! what is refused.

use lockgate_manifest::{Problem, inspect};

use crate::helpers::*;

#[test]
fn the_planner_export_is_acceptable_and_fully_described() {
    let report = inspect(lockgate::demo::PLANNER_EXPORT);
    assert!(report.is_acceptable(), "{:?}", report.problems);
    let manifest = report.manifest.unwrap();
    assert_eq!(manifest.id, "planner-export");
    assert!(manifest.name.contains_key("de") && manifest.name.contains_key("en"));
    assert!(
        report
            .imports
            .contains(&"wasi:http/outgoing-handler@0.2.12".to_string())
    );
    assert!(
        report
            .imports
            .contains(&"lockgate:connector/hr@0.2.0".to_string())
    );
    assert_eq!(report.contract.as_deref(), Some("0.2.0"));
    for export in [
        "validate-config",
        "check-connection",
        "sync",
        "on-event",
        "handle-webhook",
    ] {
        assert!(report.exports.iter().any(|e| e == export), "{export}");
    }
    assert_eq!(report.sha256.len(), 64);
}

/// A released contract version is frozen: connectors built against it
/// keep linking only while its text stays exactly as released.
#[test]
fn the_released_contract_0_1_0_is_kept_byte_for_byte() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/deps/connector-0.1.0.wit");
    let text = std::fs::read(&path).unwrap();
    assert_eq!(
        // The inspection's digest is the file's SHA-256, whatever it holds.
        inspect(&text).sha256,
        // The digest of wit/connector.wit as 0.1.0 was released.
        "3b1988c0bb70ec96946b3ec90f8faeb4ccf995dcd3df227abdb9e4e4a4591294",
        "wit/deps/connector-0.1.0.wit changed; a released contract is never edited, add a new version instead"
    );
}

/// Language runtimes import `wasi:sockets` whether or not a connector uses
/// it (CPython's C library does), so the import is accepted; the host
/// links it with TCP, UDP and name lookup off, and a connector that tries
/// a socket anyway reaches nothing, even a host the operator allows.
#[tokio::test]
async fn a_component_importing_raw_sockets_is_accepted_but_opens_none() {
    let bytes = std::fs::read(lockgate_tests::program("test-raw-socket")).unwrap();
    let report = inspect(&bytes);
    assert!(report.is_acceptable(), "{:?}", report.problems);
    assert!(
        report
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:sockets/tcp@")),
        "{:?}",
        report.imports
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let tenant = Tenant::seeded(5, 71).await;
    let setup = RunSetup {
        allow_http: vec![target.clone()],
        ..RunSetup::default()
    };
    let summary = tenant
        .run(&program("test-raw-socket"), &[("target", &target)], setup)
        .await;
    assert_eq!(summary.run.status, "failed");
    let reason = summary.run.failure_reason.clone().unwrap_or_default();
    assert!(reason.starts_with("partner unreachable: tcp: "), "{reason}");
    let log: Vec<&str> = summary.log.iter().map(|l| l.message.as_str()).collect();
    assert!(
        log.iter().any(|l| l.starts_with("name lookup: refused")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.starts_with("udp: refused")), "{log:?}");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "nothing connected"
    );
}

#[test]
fn a_file_without_a_manifest_is_refused() {
    // The planner with its manifest section renamed.
    let mut bytes = lockgate::demo::PLANNER_EXPORT.to_vec();
    let name = lockgate_manifest::MANIFEST_SECTION.as_bytes();
    let at = bytes.windows(name.len()).position(|w| w == name).unwrap();
    bytes[at] = b'X';
    let report = inspect(&bytes);
    assert!(
        report.problems.contains(&Problem::MissingManifest),
        "{:?}",
        report.problems
    );
}

#[test]
fn oversized_manifests_are_refused_with_each_field_and_limit() {
    let planner = lockgate::demo::PLANNER_EXPORT;
    // Unchanged, the rebuilt component is still acceptable.
    let same = with_manifest(planner, str::to_string);
    assert!(
        inspect(&same).is_acceptable(),
        "{:?}",
        inspect(&same).problems
    );

    let long = "d".repeat(5000);
    let bytes = with_manifest(planner, |text| {
        text.replace("\nde = \"Überträgt", &format!("\nde = \"{long}Überträgt"))
            .replace(
                "categories = [",
                &format!("categories = [\"{}\", ", "c".repeat(101)),
            )
    });
    let problems: Vec<String> = inspect(&bytes)
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect();
    for expected in [
        "manifest: description.de: at most 4000 characters (has 5195)",
        "manifest: categories[0]: at most 100 characters (has 101)",
    ] {
        assert!(
            problems.iter().any(|p| p == expected),
            "{expected}: {problems:?}"
        );
    }

    // A 10 MiB description: the section is refused before it is parsed.
    let huge = "d".repeat(10 << 20);
    let bytes = with_manifest(planner, |text| {
        text.replace("\nde = \"Überträgt", &format!("\nde = \"{huge}Überträgt"))
    });
    let problems: Vec<String> = inspect(&bytes)
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("manifest: the manifest section is 104")
            && problems[0].ends_with("bytes; at most 65536 (64 KiB)"),
        "{problems:?}"
    );
}
