//! Every JSON answer the end-to-end suites read through [`crate::http`]
//! is checked against the OpenAPI document the server serves: the schema
//! the document gives for the path, method and status (or `default`) must
//! accept the body (`jsonschema`), and every field the body has must be
//! one the schema names. A mismatch fails the test that made the request.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// The document, as `lockgate` generates and serves it.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(lockgate::api::openapi_document()).expect("the document is JSON")
    })
}

/// The documented path template `path` (without its query) falls under,
/// for `method`: literal segments before parameters.
pub fn template(method: &str, path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let method = method.to_ascii_lowercase();
    let mut best: Option<(&'static str, usize)> = None;
    for (template, ops) in document()["paths"].as_object()? {
        if ops.get(&method).is_none() {
            continue;
        }
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                !s.is_empty()
            } else {
                literal += 1;
                t == s
            }
        });
        if fits && best.is_none_or(|(_, n)| literal > n) {
            best = Some((template.as_str(), literal));
        }
    }
    best.map(|(t, _)| t)
}

fn resolve(target: &str) -> &'static Value {
    document()
        .pointer(target.strip_prefix('#').expect("a local reference"))
        .unwrap_or_else(|| panic!("{target} is in the document"))
}

/// The JSON schema the document gives an answer, if it gives one.
pub fn answer_schema(method: &str, template: &str, status: u16) -> Option<&'static Value> {
    let responses = &document()["paths"][template][method.to_ascii_lowercase()]["responses"];
    let mut response = responses
        .get(status.to_string())
        .or_else(|| responses.get("default"))?;
    if let Some(target) = response["$ref"].as_str() {
        response = resolve(target);
    }
    response["content"]["application/json"]
        .get("schema")
        .filter(|s| s.as_object().is_some_and(|o| !o.is_empty()))
}

fn validator(schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let key = schema.to_string();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    cache
        .entry(key)
        .or_insert_with(|| {
            let mut root = schema.clone();
            root["components"] = document()["components"].clone();
            Arc::new(
                jsonschema::options()
                    .build(&root)
                    .unwrap_or_else(|e| panic!("the schema {schema} compiles: {e}")),
            )
        })
        .clone()
}

/// The property names a schema documents for an object (through `$ref`,
/// `allOf`, `oneOf` and `anyOf`), or `None` when it takes any name (a map).
fn documented(schema: &Value, names: &mut BTreeSet<String>) -> bool {
    if let Some(target) = schema["$ref"].as_str() {
        return documented(resolve(target), names);
    }
    let mut closed = false;
    if let Some(properties) = schema["properties"].as_object() {
        names.extend(properties.keys().cloned());
        closed = true;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            if part["type"] == "null" {
                continue;
            }
            closed |= documented(part, names);
        }
    }
    closed
        && !schema["additionalProperties"].is_object()
        && schema.get("patternProperties").is_none()
}

/// The schema that describes `value`, one level down: an object's
/// property, or an array's items.
fn below<'a>(schema: &'a Value, key: Option<&str>) -> Vec<&'a Value> {
    if let Some(target) = schema["$ref"].as_str() {
        return below(resolve(target), key);
    }
    let mut out = Vec::new();
    match key {
        Some(key) => {
            if let Some(p) = schema["properties"].get(key) {
                out.push(p);
            } else if schema["additionalProperties"].is_object() {
                out.push(&schema["additionalProperties"]);
            }
        }
        None => {
            if schema["items"].is_object() {
                out.push(&schema["items"]);
            }
        }
    }
    for part in ["allOf", "oneOf", "anyOf"] {
        for s in schema[part].as_array().into_iter().flatten() {
            out.extend(below(s, key));
        }
    }
    out
}

/// Fields `value` has that `schema` does not name, as paths.
pub fn undocumented(schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            let mut names = BTreeSet::new();
            let closed = documented(schema, &mut names);
            for (key, v) in map {
                if closed && !names.contains(key) {
                    out.push(format!("{at}.{key}"));
                    continue;
                }
                for s in below(schema, Some(key)) {
                    undocumented(s, v, &format!("{at}.{key}"), out);
                }
            }
        }
        Value::Array(items) => {
            for s in below(schema, None) {
                for (i, v) in items.iter().enumerate() {
                    undocumented(s, v, &format!("{at}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

/// Every answer checked so far: method, path template and status.
pub fn checked() -> BTreeSet<(String, String, u16)> {
    seen().lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn seen() -> &'static Mutex<BTreeSet<(String, String, u16)>> {
    static SEEN: OnceLock<Mutex<BTreeSet<(String, String, u16)>>> = OnceLock::new();
    SEEN.get_or_init(Default::default)
}

/// Checks one answer against the document; panics with what does not fit.
/// Answers that are not JSON (`Null` here) and paths the document has no
/// template for (webhook sub-paths, made-up endpoints) are not checked.
pub fn check_answer(method: &str, path: &str, status: u16, body: &Value) {
    if body.is_null() {
        return;
    }
    let Some(template) = template(method, path) else {
        return;
    };
    let schema = answer_schema(method, template, status).unwrap_or_else(|| {
        panic!("{method} {path} answered {status} with JSON, but the document gives no schema for it: {body}")
    });
    let validator = validator(schema);
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with a body the document does not allow ({schema}):\n{}\n{body}",
        errors.join("\n")
    );
    let mut extra = Vec::new();
    undocumented(schema, body, "", &mut extra);
    assert!(
        extra.is_empty(),
        "{method} {path} answered {status} with fields the document does not name: {extra:?}\n{body}"
    );
    seen().lock().unwrap_or_else(|e| e.into_inner()).insert((
        method.to_ascii_lowercase(),
        template.to_string(),
        status,
    ));
}
