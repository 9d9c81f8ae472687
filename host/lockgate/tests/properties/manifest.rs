//! The manifest section: its TOML read ([`Manifest::parse`]) and checked
//! ([`Manifest::problems`]), and a component's bytes inspected
//! ([`lockgate_manifest::inspect`]). Inputs are the bundled planner
//! export's own manifest with values replaced, keys removed and keys added,
//! its bytes edited, and bytes of any kind.

use std::sync::LazyLock;

use lockgate_manifest::manifest::ParseError;
use lockgate_manifest::{Manifest, Problem, inspect};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseResult;
use toml::{Table, Value};

use crate::component::{manifest_of, manifest_range, with_manifest};
use crate::strategies::{edited, edits, host, text, url};
use crate::{Tally, check};

/// The bundled planner export's manifest.
pub static PLANNER_MANIFEST: LazyLock<Table> = LazyLock::new(|| {
    let text = std::str::from_utf8(manifest_of(lockgate::demo::PLANNER_EXPORT)).unwrap();
    toml::from_str(text).expect("the bundled manifest is TOML")
});

/// Words a problem names a manifest key by; every problem has one.
const KEYS: &[&str] = &[
    "id",
    "version",
    "publisher",
    "name",
    "description",
    "categories",
    "direction",
    "triggers",
    "scopes",
    "absence-window",
    "absences.read",
    "host",
    "config",
    "oauth2",
    "support-url",
    "price",
    "icon",
];

/// Manifest keys at every level, for keys to add.
const ALL_KEYS: &[&str] = &[
    "id",
    "version",
    "publisher",
    "name",
    "description",
    "categories",
    "direction",
    "triggers",
    "schedule",
    "events",
    "webhook",
    "manual",
    "scopes",
    "absence-window",
    "past-days",
    "future-days",
    "hosts",
    "config",
    "key",
    "type",
    "label",
    "help",
    "required",
    "default",
    "options",
    "secret",
    "inject",
    "header",
    "format",
    "host",
    "oauth2",
    "token-url",
    "client-id",
    "client-secret",
    "scope",
    "client-auth",
    "flow",
    "authorize-url",
    "revoke-url",
    "icon",
    "support-url",
    "price",
    "de",
    "en",
];

/// Values that mean something somewhere in a manifest.
const WORDS: &[&str] = &[
    "employees.basic",
    "employees.contact",
    "employees.compensation",
    "employees.create",
    "absences.read",
    "employee-created",
    "absence-cancelled",
    "daily",
    "hourly",
    "daily@03:00",
    "daily@24:00",
    "*/15 8-18 * * 1-5",
    "0 0 30 2 *",
    "string",
    "integer",
    "boolean",
    "date",
    "url",
    "hostname",
    "enum",
    "outbound",
    "inbound",
    "bidirectional",
    "1.0.0",
    "1.0",
    "Authorization",
    "Bearer {value}",
    "https://{planner-url}",
    "https://{api-key}",
    "https://{base-department}",
    "https://{nope}",
    "mailto:support@example.com",
    "planner-url",
    "api-key",
    "basic",
    "body",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(WORDS).prop_map(String::from),
        3 => text(),
        2 => (select(vec!["https://", "http://", ""]), host()).prop_map(|(s, h)| format!("{s}{h}")),
        1 => url(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(ALL_KEYS).prop_map(String::from),
        1 => "[a-z-]{1,10}",
    ]
}

/// A TOML value: mostly text, sometimes a number, a list or a table.
pub fn toml_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        8 => word().prop_map(Value::String),
        2 => any::<i64>().prop_map(Value::Integer),
        1 => (-5i64..5000).prop_map(Value::Integer),
        1 => any::<bool>().prop_map(Value::Boolean),
        1 => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Float),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((key(), inner), 0..4).prop_map(|kv| Value::Table(kv.into_iter().collect())),
        ]
    })
}

/// One change to the manifest; `usize`s pick among its values (tables
/// and lists included) modulo their number.
#[derive(Debug, Clone)]
pub enum Mutation {
    Set(usize, Value),
    Remove(usize),
    Add(usize, String, Value),
    /// Text at one of the [`TARGETS`], where values are parsed further
    /// (host patterns, schedules, defaults checked against their type).
    Put(&'static str, Vec<String>),
}

/// Keys (`.`-separated, list entries by number) whose values the manifest
/// check parses; `hosts` takes a list.
const TARGETS: &[&str] = &[
    "hosts",
    "triggers.schedule",
    "support-url",
    "config.0.default",
    "config.3.default",
    "config.4.default",
    "config.1.inject.host",
    "config.1.inject.header",
];

pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let one = prop_oneof![
        6 => (any::<usize>(), toml_value()).prop_map(|(at, v)| Mutation::Set(at, v)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        2 => (any::<usize>(), key(), toml_value()).prop_map(|(at, k, v)| Mutation::Add(at, k, v)),
        3 => (select(TARGETS), vec(word(), 1..3)).prop_map(|(at, v)| Mutation::Put(at, v)),
    ];
    vec(one, 1..4)
}

/// Puts `words` at `target` (a list for `hosts`), creating the key.
fn put(root: &mut Value, target: &str, words: &[String]) {
    let value = match target {
        "hosts" => Value::Array(words.iter().cloned().map(Value::String).collect()),
        _ => Value::String(words[0].clone()),
    };
    let mut at = root;
    let segments: Vec<&str> = target.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        at = match at {
            Value::Array(a) => match seg.parse::<usize>() {
                Ok(n) if n < a.len() => &mut a[n],
                _ => return,
            },
            Value::Table(t) if last => {
                t.insert(seg.to_string(), value);
                return;
            }
            Value::Table(t) => match t.get_mut(*seg) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Every path to a value below `value`.
fn paths(value: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    let children: Vec<(Seg, &Value)> = match value {
        Value::Table(t) => t.iter().map(|(k, v)| (Seg::Key(k.clone()), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (Seg::Index(i), v))
            .collect(),
        _ => return,
    };
    for (seg, child) in children {
        prefix.push(seg);
        out.push(prefix.clone());
        paths(child, prefix, out);
        prefix.pop();
    }
}

fn at<'a>(root: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(root, |v, seg| match (seg, v) {
        (Seg::Key(k), Value::Table(t)) => t.get_mut(k).expect("a path of the value"),
        (Seg::Index(i), Value::Array(a)) => &mut a[*i],
        _ => unreachable!("paths follow the value"),
    })
}

/// The manifest with `mutations` applied, and the keys they touched.
pub fn mutate(manifest: &Table, mutations: &[Mutation]) -> (Table, Vec<String>) {
    let mut root = Value::Table(manifest.clone());
    let mut touched = Vec::new();
    for mutation in mutations {
        if let Mutation::Put(target, words) = mutation {
            put(&mut root, target, words);
            touched.extend(target.split('.').map(String::from));
            continue;
        }
        let mut all = vec![Vec::new()];
        paths(&root, &mut Vec::new(), &mut all);
        let pick = |n: usize| all[n % all.len()].clone();
        let (path, key) = match mutation {
            Mutation::Set(n, _) | Mutation::Remove(n) => (pick(*n), None),
            Mutation::Add(n, key, _) => (pick(*n), Some(key.clone())),
            Mutation::Put(..) => unreachable!("put above"),
        };
        touched.extend(path.iter().filter_map(|s| match s {
            Seg::Key(k) => Some(k.clone()),
            Seg::Index(_) => None,
        }));
        touched.extend(key.clone());
        match mutation {
            Mutation::Set(_, value) if !path.is_empty() => *at(&mut root, &path) = value.clone(),
            Mutation::Remove(_) if !path.is_empty() => {
                let (last, parent) = path.split_last().expect("not the root");
                match (last, at(&mut root, parent)) {
                    (Seg::Key(k), Value::Table(t)) => {
                        t.remove(k);
                    }
                    (Seg::Index(i), Value::Array(a)) => {
                        a.remove(*i);
                    }
                    _ => unreachable!("paths follow the value"),
                }
            }
            Mutation::Add(_, key, value) => match at(&mut root, &path) {
                Value::Table(t) => {
                    t.insert(key.clone(), value.clone());
                }
                Value::Array(a) => a.push(value.clone()),
                other => *other = value.clone(),
            },
            _ => {}
        }
    }
    match root {
        Value::Table(t) => (t, touched),
        _ => unreachable!("the root stays a table"),
    }
}

/// Whether a refusal names one of the touched keys, or a line.
fn names_key(message: &str, touched: &[String]) -> bool {
    message.contains("line ") || touched.iter().any(|k| message.contains(k.as_str()))
}

/// Checks the problems of a manifest that parsed: each names its key and
/// stays short.
fn check_problems(problems: &[String], text: &str) -> TestCaseResult {
    for p in problems {
        prop_assert!(
            KEYS.iter().any(|k| p.contains(k)),
            "problem {p:?} names no manifest key, for\n{text}"
        );
        prop_assert!(p.chars().count() <= 301, "problem too long: {p:?}");
        prop_assert!(!p.contains('\n'), "problem on several lines: {p:?}");
    }
    Ok(())
}

fn tally_parse(tally: &Tally, problems: &Result<Vec<String>, String>) {
    tally.add(match problems {
        Err(_) => "not parsed",
        Ok(p) if p.is_empty() => "valid",
        Ok(_) => "problems",
    });
}

#[test]
fn manifest_refusals_name_the_key() {
    check(
        "manifest: a changed manifest is refused naming its key",
        256,
        mutations(),
        |mutations, tally| {
            let (table, touched) = mutate(&PLANNER_MANIFEST, &mutations);
            let Ok(text) = toml::to_string(&table) else {
                tally.add("not TOML");
                return Ok(());
            };
            let parsed = Manifest::parse(text.as_bytes());
            let problems = parsed
                .as_ref()
                .map(Manifest::problems)
                .map_err(|e| e.to_string());
            tally_parse(tally, &problems);
            match parsed {
                Ok(_) => check_problems(&problems.unwrap_or_default(), &text)?,
                Err(ParseError::Syntax(message)) => prop_assert!(
                    names_key(&message, &touched),
                    "{message:?} names neither a line nor any of the keys changed, {touched:?}, in\n{text}"
                ),
                Err(e) => prop_assert!(false, "{e}, for\n{text}"),
            }
            Ok(())
        },
    );
}

#[test]
fn inspection_reports_what_the_manifest_check_finds() {
    check(
        "inspect: a component with a changed manifest",
        64,
        mutations(),
        |mutations, tally| {
            let (table, _) = mutate(&PLANNER_MANIFEST, &mutations);
            let Ok(text) = toml::to_string(&table) else {
                return Ok(());
            };
            let expected = match Manifest::parse(text.as_bytes()) {
                Ok(m) => m.problems(),
                Err(e) => vec![e.to_string()],
            };
            tally.add(if expected.is_empty() {
                "valid"
            } else {
                "refused"
            });
            let bytes = with_manifest(lockgate::demo::PLANNER_EXPORT, text.as_bytes());
            let found: Vec<String> = inspect(&bytes)
                .problems
                .into_iter()
                .map(|p| match p {
                    Problem::InvalidManifest(why) => why,
                    other => format!("unexpected: {other}"),
                })
                .collect();
            prop_assert_eq!(found, expected, "for\n{}", text);
            Ok(())
        },
    );
}

#[test]
fn manifest_bytes_of_any_kind_are_read_without_panicking() {
    let toml = manifest_of(lockgate::demo::PLANNER_EXPORT).to_vec();
    let input = prop_oneof![
        3 => edits(8).prop_map(move |e| edited(&toml, &e)),
        1 => vec(any::<u8>(), 0..2048),
    ];
    check("manifest: edited bytes", 256, input, |bytes, tally| {
        match Manifest::parse(&bytes) {
            Ok(m) => {
                let problems = m.problems();
                tally_parse(tally, &Ok(problems.clone()));
                check_problems(&problems, &String::from_utf8_lossy(&bytes))?;
            }
            Err(e) => {
                tally.add("not parsed");
                prop_assert!(!e.to_string().contains('\n'), "{e}");
            }
        }
        Ok(())
    });
}

/// Component bytes: anything, a header and anything, or the planner export
/// with its bytes edited anywhere or inside the manifest section.
fn component_bytes() -> impl Strategy<Value = Vec<u8>> {
    let planner = lockgate::demo::PLANNER_EXPORT;
    let section = manifest_range(planner);
    prop_oneof![
        1 => vec(any::<u8>(), 0..1024),
        1 => (select(vec![&b"\0asm\x0d\0\x01\0"[..], &b"\0asm\x01\0\0\0"[..], &b"\0asm"[..]]), vec(any::<u8>(), 0..512))
            .prop_map(|(head, rest)| [head, &rest[..]].concat()),
        3 => edits(8).prop_map(move |e| edited(planner, &e)),
        2 => edits(6).prop_map(move |e| {
            let toml = edited(&planner[section.clone()], &e);
            with_manifest(planner, &toml)
        }),
    ]
}

/// What a refusal of a component says, one line per problem, short.
pub fn check_component_problems(problems: &[Problem]) -> TestCaseResult {
    for p in problems {
        let said = p.to_string();
        prop_assert!(!said.contains('\n'), "problem on several lines: {said:?}");
        prop_assert!(said.chars().count() <= 500, "problem too long: {said:?}");
    }
    Ok(())
}

#[test]
fn inspection_takes_any_bytes() {
    check(
        "inspect: any bytes",
        128,
        component_bytes(),
        |bytes, tally| {
            let inspection = inspect(&bytes);
            tally.add(match inspection.problems.first() {
                None => "acceptable",
                Some(Problem::NotAComponent(_)) => "not a component",
                Some(_) => "refused",
            });
            check_component_problems(&inspection.problems)?;
            prop_assert_eq!(inspection.size, bytes.len() as u64);
            Ok(())
        },
    );
}
