//! Configuration values against a connector's schema:
//! [`lockgate::installs::check_config`] with a form of every field type,
//! and the connect wizard's preview (`POST …/installs/preview`) with the
//! planner export's form.

use std::collections::BTreeSet;

use lockgate::installs::{CheckedConfig, check_config};
use lockgate_manifest::Manifest;
use lockgate_manifest::manifest::check_value;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use crate::strategies::{date, host, json_value, text, url};
use crate::{Api, Request, check};

/// A form with a field of every type.
const EVERY_TYPE: &str = r#"
id = "every-type"
version = "1.0.0"
publisher = "Acme"
name = { de = "Alle", en = "All" }
description = { de = "Alle Typen", en = "Every type" }
categories = ["testing"]
direction = "outbound"
hosts = ["https://{host}", "https://{url}"]
[[config]]
key = "text"
type = "string"
required = true
label = { de = "Text", en = "Text" }
[[config]]
key = "number"
type = "integer"
label = { de = "Zahl", en = "Number" }
[[config]]
key = "flag"
type = "boolean"
default = "false"
label = { de = "Schalter", en = "Flag" }
[[config]]
key = "day"
type = "date"
label = { de = "Tag", en = "Day" }
[[config]]
key = "url"
type = "url"
required = true
label = { de = "Adresse", en = "Address" }
[[config]]
key = "host"
type = "hostname"
default = "api.example.com"
label = { de = "Host", en = "Host" }
[[config]]
key = "choice"
type = "enum"
options = ["a", "b", "ä b"]
label = { de = "Wahl", en = "Choice" }
[[config]]
key = "token"
type = "string"
secret = true
required = true
label = { de = "Token", en = "Token" }
inject = { header = "Authorization", format = "Bearer {value}", host = "https://{host}" }
"#;

pub fn every_type() -> Manifest {
    Manifest::parse(EVERY_TYPE.as_bytes()).expect("the form parses")
}

/// A value for the field `key` of the form: shaped like its type or not.
fn value_for(key: &str) -> BoxedStrategy<Value> {
    let shaped: BoxedStrategy<String> = match key {
        "number" => prop_oneof![any::<i64>().prop_map(|n| n.to_string()), text()].boxed(),
        "flag" | "include-pending" => select(vec!["true", "false", "True", "1", " true "])
            .prop_map(String::from)
            .boxed(),
        "day" | "initial-sync-from" => date().boxed(),
        "url" | "planner-url" => url().boxed(),
        "host" => host().boxed(),
        "choice" => select(vec!["a", "b", "ä b", "A", "c"])
            .prop_map(String::from)
            .boxed(),
        _ => text().boxed(),
    };
    prop_oneof![
        3 => shaped.prop_map(Value::String),
        2 => json_value(),
    ]
    .boxed()
}

/// A configuration: a complete one (`valid`) or none, with up to three
/// values of `keys` (the form's fields) or of other keys set over it.
fn config_input(
    keys: &'static [&'static str],
    valid: &'static [(&'static str, &'static str)],
) -> impl Strategy<Value = Map<String, Value>> {
    let known = select(keys).prop_flat_map(|k| (Just(k.to_string()), value_for(k)));
    let other = (text(), json_value());
    let changes = vec(prop_oneof![5 => known, 1 => other], 0..4);
    (any::<bool>(), changes).prop_map(move |(complete, changes)| {
        let mut config = Map::new();
        if complete {
            config.extend(valid.iter().map(|(k, v)| (k.to_string(), json!(v))));
        }
        config.extend(changes);
        config
    })
}

const EVERY_TYPE_KEYS: &[&str] = &[
    "text", "number", "flag", "day", "url", "host", "choice", "token",
];

const EVERY_TYPE_VALID: &[(&str, &str)] = &[
    ("text", "x"),
    ("url", "https://api.example.com"),
    ("token", "t"),
];

#[test]
fn config_values_are_checked_field_by_field() {
    let manifest = every_type();
    let required: BTreeSet<String> = manifest
        .config
        .iter()
        .filter(|f| f.required)
        .map(|f| f.key.clone())
        .collect();
    let current = CheckedConfig::default();
    check(
        "config: check_config",
        256,
        config_input(EVERY_TYPE_KEYS, EVERY_TYPE_VALID),
        |input, tally| {
            match check_config(&manifest, &input, &current) {
                Ok(config) => {
                    tally.add("accepted");
                    for (key, value) in config.public.iter().chain(&config.secrets) {
                        let field = manifest.field(key);
                        prop_assert!(field.is_some(), "stored unknown field {key}");
                        let field = field.unwrap();
                        prop_assert_eq!(field.secret, config.secrets.contains_key(key));
                        prop_assert_eq!(check_value(field, value), Ok(()), "stored {:?}", value);
                    }
                }
                Err(problems) => {
                    tally.add("refused");
                    prop_assert!(!problems.is_empty());
                    for p in &problems {
                        let key = p.field.strip_prefix("config.");
                        prop_assert!(
                            key.is_some_and(|k| input.contains_key(k) || required.contains(k)),
                            "{p:?} names no field of the input or the form"
                        );
                        prop_assert!(!p.message.trim().is_empty(), "{p:?}");
                    }
                    // Every unknown key and every list or object is named.
                    for (key, value) in &input {
                        let bad =
                            manifest.field(key).is_none() || value.is_array() || value.is_object();
                        prop_assert!(
                            !bad || problems.iter().any(|p| p.field == format!("config.{key}")),
                            "{key:?} = {value} is not named in {problems:?}"
                        );
                    }
                }
            }
            Ok(())
        },
    );
}

const PLANNER_KEYS: &[&str] = &[
    "planner-url",
    "api-key",
    "base-department",
    "initial-sync-from",
    "include-pending",
];

const PLANNER_VALID: &[(&str, &str)] =
    &[("planner-url", "https://planner.example"), ("api-key", "k")];

/// A host with the bundled connectors listed, a tenant `t-1` and its
/// admin's token.
pub fn marketplace() -> (Api, String) {
    let api = Api::start();
    let token = api.block_on(async {
        lockgate::demo::publish_bundled(api.app())
            .await
            .expect("the bundled connectors are listed");
        api.app().store.create_tenant("t-1", "Acme").await.unwrap();
        lockgate_tests::tenant_token(api.app(), "t-1", true).await
    });
    (api, token)
}

/// The wizard's preview of the planner export with `config` and `schedule`.
pub fn preview(token: &str, config: Value, schedule: Option<&str>) -> Request {
    let mut body = json!({ "plugin": "planner-export", "config": config });
    if let Some(schedule) = schedule {
        body["schedule"] = json!(schedule);
    }
    Request::post("/api/v1/tenants/t-1/installs/preview", body.to_string())
        .bearer(token)
        .header("content-type", "application/json".parse().unwrap())
}

#[test]
fn the_preview_names_every_field_it_refuses() {
    let (api, token) = marketplace();
    check(
        "config: the connect preview",
        256,
        config_input(PLANNER_KEYS, PLANNER_VALID),
        |input, tally| {
            let answer = api
                .send(preview(&token, Value::Object(input.clone()), None))?
                .checked()?;
            tally.add(answer.outcome());
            match answer.status {
                200 => {}
                422 => {
                    prop_assert_eq!(answer.code(), "invalid_config", "{}", answer.text);
                    for (field, message) in answer.fields() {
                        let named = field
                            .strip_prefix("config.")
                            .is_some_and(|k| input.contains_key(k) || PLANNER_KEYS.contains(&k));
                        // A configuration that does not resolve to hosts
                        // is named as a whole, with the key in its message.
                        let whole =
                            field == "config" && PLANNER_KEYS.iter().any(|k| message.contains(k));
                        prop_assert!(named || whole, "{field:?}: {message:?}");
                    }
                }
                _ => prop_assert!(false, "{} {}", answer.status, answer.text),
            }
            Ok(())
        },
    );
}
