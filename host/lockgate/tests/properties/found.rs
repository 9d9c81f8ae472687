//! Inputs the properties found, shrunk, kept as fixed cases: a random run
//! may miss them, these runs do not.

use lockgate::auth::Role;
use lockgate::installs::{CheckedConfig, check_config};
use lockgate_manifest::manifest::ParseError;
use lockgate_manifest::{Manifest, inspect};
use serde_json::{Map, Value, json};

use crate::component::{manifest_of, with_manifest};
use crate::config::{every_type, marketplace, preview};
use crate::{Api, Request};

/// The planner export's manifest with `from` replaced by `to`.
fn planner_manifest_with(from: &str, to: &str) -> String {
    let text = std::str::from_utf8(manifest_of(lockgate::demo::PLANNER_EXPORT)).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

/// A bracketed IPv6 host with a character of two or more bytes after it
/// (`hosts.rs`, `check_authority`: `after[1..]`) made every check of a
/// host or URL panic: a config value, a manifest host, a URL field's
/// default.
#[test]
fn a_multibyte_character_after_an_ipv6_literal_is_refused() {
    let config: Map<String, Value> = [
        ("text", "x"),
        ("token", "t"),
        ("url", "https://[::1]¡"),
        ("host", "[::1]é"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), json!(v)))
    .collect();
    let problems = check_config(&every_type(), &config, &CheckedConfig::default()).unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["config.host", "config.url"], "{problems:?}");

    for (from, to) in [
        (
            r#"hosts = ["https://{planner-url}"]"#,
            r#"hosts = ["https://{planner-url}", "https://[::1]¡"]"#,
        ),
        (
            r#"key = "planner-url""#,
            "key = \"planner-url\"\ndefault = \"https://[::1]\u{202e}\"",
        ),
    ] {
        let text = planner_manifest_with(from, to);
        let problems = Manifest::parse(text.as_bytes()).unwrap().problems();
        assert!(
            problems.iter().any(|p| p.contains("[::1]")),
            "{to}: {problems:?}"
        );
        let bytes = with_manifest(lockgate::demo::PLANNER_EXPORT, text.as_bytes());
        assert!(!inspect(&bytes).is_acceptable());
    }
}

/// The same through the API: the handler panicked, so the connection
/// closed without an answer.
#[test]
fn the_api_answers_a_multibyte_character_after_an_ipv6_literal() {
    let (api, token) = marketplace();
    let config = json!({ "planner-url": "https://[::1]¡", "api-key": "k" });
    let answer = api.send(preview(&token, config, None)).unwrap();
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(
        answer.fields()[0].0,
        "config.planner-url",
        "{}",
        answer.text
    );

    let text = planner_manifest_with(
        r#"hosts = ["https://{planner-url}"]"#,
        r#"hosts = ["https://[::1]¡"]"#,
    );
    let bytes = with_manifest(lockgate::demo::PLANNER_EXPORT, text.as_bytes());
    let partner = submitter(&api);
    let upload = Request::post("/api/v1/partner/submissions", bytes).bearer(&partner);
    let answer = api.send(upload).unwrap();
    assert_eq!(answer.status, 422, "{}", answer.text);
}

fn submitter(api: &Api) -> String {
    api.block_on(lockgate_tests::token(
        api.app(),
        Role::Partner,
        Some("acme"),
        None,
    ))
}

/// A value of the wrong type was refused with serde's words alone
/// (`invalid type: sequence, expected a string`): neither the key nor the
/// line (`manifest.rs`, `Manifest::parse`, `e.message()`).
#[test]
fn a_manifest_value_of_the_wrong_type_is_refused_naming_its_key_or_line() {
    for (from, to, key) in [
        (r#"key = "planner-url""#, "key = []", "key"),
        ("future-days = 184", r#"future-days = "184""#, "future-days"),
        (r#"id = "planner-export""#, "id = 5", "id"),
    ] {
        let text = planner_manifest_with(from, to);
        match Manifest::parse(text.as_bytes()) {
            Err(ParseError::Syntax(message)) => assert!(
                message.contains("line ") || message.contains(key),
                "{to}: {message:?} names neither {key} nor a line"
            ),
            other => panic!("{to}: {other:?}"),
        }
    }
}
