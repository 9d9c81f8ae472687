//! A manifest file checked the way a partner fixes it: every problem at
//! once, each at its line. TOML syntax comes first (the first error only:
//! after one, the parser's guesses about the rest are noise). Then the
//! shape: the file is deserialized into [`Manifest`], and each error serde
//! stops at (an unknown key, a wrong type or value, a missing key) is
//! recorded and set aside in the parsed document (the entry removed, or a
//! stand-in put in its place) before deserializing again, until it fits.
//! Last, the semantic checks of [`Manifest::located_problems`], placed by
//! the spans of the parsed document; none is reported about a stand-in.

use std::borrow::Cow;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeArray, DeInteger, DeTable, DeValue, Deserializer};

use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};

/// One problem of a manifest file and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// 1-based line of the key or value the problem is about.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The key it is about (`config[1].type`, `hosts[0]`; indexes count
    /// from 0); empty for the file as a whole.
    pub path: String,
    pub message: String,
}

/// What [`check_text`] found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The manifest, when the file has the manifest's shape (it may still
    /// have semantic problems).
    pub manifest: Option<Manifest>,
    /// Every problem, in the order of the file's lines.
    pub findings: Vec<Finding>,
}

impl Checked {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Rounds of "deserialize, set the error aside" before giving up; a
/// manifest within its size bound has far fewer problems of shape.
const MAX_SHAPE_ROUNDS: usize = 500;

/// Checks the text of a manifest file (`connector.toml`).
pub fn check_text(bytes: &[u8]) -> Checked {
    let whole = |message: String| Checked {
        manifest: None,
        findings: vec![Finding {
            line: 1,
            column: 1,
            path: String::new(),
            message,
        }],
    };
    if bytes.len() > MAX_MANIFEST_BYTES {
        return whole(crate::manifest::ParseError::TooLarge(bytes.len()).to_string());
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let text = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let (line, column) = line_col(&text, text.len());
            return Checked {
                manifest: None,
                findings: vec![Finding {
                    line,
                    column,
                    path: String::new(),
                    message: "the file is not UTF-8 text from here on; save it as UTF-8".into(),
                }],
            };
        }
    };
    let (document, syntax) = DeTable::parse_recoverable(text);
    if let Some(e) = syntax.first() {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        return Checked {
            manifest: None,
            findings: vec![Finding {
                line,
                column,
                path: String::new(),
                message: format!(
                    "TOML syntax: {}; the rest is checked once this parses",
                    e.message().trim_end_matches('\n')
                ),
            }],
        };
    }
    Shape::new(text, document).check()
}

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The steps of a path as [`Manifest::located_problems`] writes them.
fn parse_path(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        let key_end = rest.find('[').unwrap_or(rest.len());
        if key_end > 0 {
            out.push(Step::Key(rest[..key_end].to_string()));
        }
        rest = &rest[key_end..];
        while let Some(close) = rest.find(']') {
            match rest[1..close].parse() {
                Ok(i) => out.push(Step::Index(i)),
                Err(_) => return out,
            }
            rest = &rest[close + 1..];
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut start = offset.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

type Doc<'i> = Spanned<DeTable<'i>>;

/// A child of a table or array: its step, its key's span (table entries
/// only) and its value.
type Entry<'a, 'i> = (Step, Option<Range<usize>>, &'a Spanned<DeValue<'i>>);

/// A node of the document a span falls on.
struct Node {
    path: Vec<Step>,
    /// The key's span for a table entry, the value's for an array element.
    span: Range<usize>,
    /// Whether the span fell on the key itself.
    on_key: bool,
}

fn children<'a, 'i>(value: &'a DeValue<'i>) -> Vec<Entry<'a, 'i>> {
    match value {
        DeValue::Table(t) => t
            .iter()
            .map(|(k, v)| (Step::Key(k.get_ref().to_string()), Some(k.span()), v))
            .collect(),
        DeValue::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (Step::Index(i), None, v))
            .collect(),
        _ => Vec::new(),
    }
}

fn table_children<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    table
        .iter()
        .map(|(k, v)| (Step::Key(k.get_ref().to_string()), Some(k.span()), v))
        .collect()
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && !outer.is_empty()
}

/// The innermost key or value holding `span`. Every child is searched,
/// whatever its parent's span: an array of tables is spread over the file.
fn locate(root: &DeTable<'_>, span: &Range<usize>) -> Option<Node> {
    fn walk(
        entries: Vec<Entry<'_, '_>>,
        path: &mut Vec<Step>,
        span: &Range<usize>,
    ) -> Option<Node> {
        for (step, key_span, value) in entries {
            path.push(step);
            if let Some(k) = &key_span
                && contains(k, span)
            {
                let node = Node {
                    path: path.clone(),
                    span: k.clone(),
                    on_key: true,
                };
                path.pop();
                return Some(node);
            }
            if let Some(inner) = walk(children(value.get_ref()), path, span) {
                path.pop();
                return Some(inner);
            }
            if contains(&value.span(), span) {
                let node = Node {
                    path: path.clone(),
                    span: key_span.unwrap_or_else(|| value.span()),
                    on_key: false,
                };
                path.pop();
                return Some(node);
            }
            path.pop();
        }
        None
    }
    walk(table_children(root), &mut Vec::new(), span)
}

/// The value at `path`, if the document has it.
fn get<'a, 'i>(root: &'a DeTable<'i>, path: &[Step]) -> Option<&'a Spanned<DeValue<'i>>> {
    let (Step::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = root.get(first.as_str())?;
    for step in rest {
        value = match (step, value.get_ref()) {
            (Step::Key(k), DeValue::Table(t)) => t.get(k.as_str())?,
            (Step::Index(i), DeValue::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The table at `path` (the document itself for an empty path).
fn table_mut<'a, 'i>(root: &'a mut DeTable<'i>, path: &[Step]) -> Option<&'a mut DeTable<'i>> {
    let Some((Step::Key(first), rest)) = path.split_first() else {
        return if path.is_empty() { Some(root) } else { None };
    };
    let mut value = root.get_mut(first.as_str())?.get_mut();
    for step in rest {
        value = match (step, value) {
            (Step::Key(k), DeValue::Table(t)) => t.get_mut(k.as_str())?.get_mut(),
            (Step::Index(i), DeValue::Array(a)) => a.get_mut(*i)?.get_mut(),
            _ => return None,
        };
    }
    match value {
        DeValue::Table(t) => Some(t),
        _ => None,
    }
}

fn array_mut<'a, 'i>(root: &'a mut DeTable<'i>, path: &[Step]) -> Option<&'a mut DeArray<'i>> {
    let (last, parent) = path.split_last()?;
    let Step::Key(key) = last else { return None };
    match table_mut(root, parent)?.get_mut(key.as_str())?.get_mut() {
        DeValue::Array(a) => Some(a),
        _ => None,
    }
}

/// Removes the entry or array element at `path`.
fn remove(root: &mut DeTable<'_>, path: &[Step]) -> bool {
    match path.split_last() {
        Some((Step::Key(key), parent)) => table_mut(root, parent)
            .and_then(|t| t.remove(key.as_str()))
            .is_some(),
        Some((Step::Index(i), parent)) => {
            let Some(array) = array_mut(root, parent) else {
                return false;
            };
            let mut kept = DeArray::new();
            for (j, item) in array.iter().enumerate() {
                if j != *i {
                    kept.push(item.clone());
                }
            }
            let removed = kept.len() < array.len();
            *array = kept;
            removed
        }
        None => false,
    }
}

/// A value that fits a required key whose own value is missing or was set
/// aside, so the rest of its table can be checked.
fn stand_in(key: &str) -> Option<DeValue<'static>> {
    Some(match key {
        "id" | "version" | "publisher" | "key" | "token-url" | "client-id" | "client-secret"
        | "host" | "header" => DeValue::String(Cow::Borrowed("")),
        "name" | "description" | "label" => DeValue::Table(DeTable::new()),
        "direction" => DeValue::String(Cow::Borrowed("outbound")),
        "type" => DeValue::String(Cow::Borrowed("string")),
        "past-days" | "future-days" => DeValue::Integer(DeInteger::default()),
        _ => return None,
    })
}

/// What a serde error says, in parts.
enum Said<'a> {
    UnknownKey {
        key: &'a str,
        allowed: Vec<&'a str>,
    },
    Missing(&'a str),
    NotOneOf {
        value: &'a str,
        allowed: Vec<&'a str>,
    },
    WrongType {
        found: &'a str,
        expected: &'a str,
    },
    Other(&'a str),
}

fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn said(message: &str) -> Said<'_> {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = backticked(rest);
        if let Some((key, allowed)) = names.split_first() {
            return Said::UnknownKey {
                key,
                allowed: allowed.to_vec(),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("missing field ")
        && let [key] = backticked(rest)[..]
    {
        return Said::Missing(key);
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let names = backticked(rest);
        if let Some((value, allowed)) = names.split_first() {
            return Said::NotOneOf {
                value,
                allowed: allowed.to_vec(),
            };
        }
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            return Said::WrongType { found, expected };
        }
    }
    Said::Other(message)
}

struct Shape<'i> {
    text: &'i str,
    original: Doc<'i>,
    document: Doc<'i>,
    findings: Vec<Finding>,
    /// Where a stand-in took the place of a value: nothing is said about it.
    stand_ins: Vec<Vec<Step>>,
    /// Whether anything was set aside.
    reshaped: bool,
}

impl<'i> Shape<'i> {
    fn new(text: &'i str, document: Doc<'i>) -> Shape<'i> {
        Shape {
            text,
            original: document.clone(),
            document,
            findings: Vec::new(),
            stand_ins: Vec::new(),
            reshaped: false,
        }
    }

    fn check(mut self) -> Checked {
        let mut manifest = None;
        for _ in 0..MAX_SHAPE_ROUNDS {
            match Manifest::deserialize(Deserializer::from(self.document.clone())) {
                Ok(m) => {
                    manifest = Some(m);
                    break;
                }
                Err(e) => {
                    if !self.set_aside(&e) {
                        break;
                    }
                }
            }
        }
        if let Some(m) = &manifest {
            for problem in m.located_problems() {
                let path = parse_path(&problem.path);
                if self.stand_ins.iter().any(|s| path.starts_with(s)) {
                    continue;
                }
                self.place(&path, problem.message);
            }
        }
        self.findings.sort_by_key(|f| (f.line, f.column));
        // A manifest made to fit is not the partner's.
        let manifest = manifest.filter(|_| !self.reshaped);
        Checked {
            manifest,
            findings: self.findings,
        }
    }

    fn finding(&mut self, span: &Range<usize>, path: &[Step], message: String) {
        let (line, column) = line_col(self.text, span.start);
        self.findings.push(Finding {
            line,
            column,
            path: render(path),
            message,
        });
    }

    /// Records a semantic problem at the longest part of `path` the
    /// document has, named by its place in the file as written.
    fn place(&mut self, path: &[Step], message: String) {
        let found = (1..=path.len())
            .rev()
            .find_map(|n| get(self.document.get_ref(), &path[..n]).map(|v| (n, v.span())));
        let Some((n, value_span)) = found else {
            self.finding(&(0..0), &[], message);
            return;
        };
        // The key's line when the path ends at a key, and its path as the
        // file has it (an array element set aside moves the indexes).
        let key_span = match path[..n].split_last() {
            Some((Step::Key(key), parent)) => {
                let table = if parent.is_empty() {
                    Some(self.document.get_ref())
                } else {
                    get(self.document.get_ref(), parent).and_then(|v| v.get_ref().as_table())
                };
                table
                    .and_then(|t| t.get_key_value(key.as_str()))
                    .map(|(k, _)| k.span())
            }
            _ => None,
        };
        let span = key_span.unwrap_or(value_span);
        let written = locate(self.original.get_ref(), &span)
            .map(|node| node.path)
            .unwrap_or_else(|| path[..n].to_vec());
        self.finding(&span, &written, message);
    }

    /// How the file names the table at `path`, for a message's start.
    fn table_name(&self, path: &[Step]) -> String {
        match path {
            [] => String::new(),
            [Step::Key(c), Step::Index(i)] if c == "config" => {
                let key = get(
                    self.document.get_ref(),
                    &[
                        Step::Key("config".into()),
                        Step::Index(*i),
                        Step::Key("key".into()),
                    ],
                )
                .and_then(|v| v.get_ref().as_str().map(str::to_string))
                .filter(|k| !k.is_empty());
                match key {
                    Some(key) => format!("[[config]] key {key:?}"),
                    None => format!("[[config]] number {}", i + 1),
                }
            }
            [Step::Key(c), Step::Index(i), rest @ ..] if c == "config" => {
                let field = self.table_name(&path[..2]);
                format!("{field} {}", render(rest))
            }
            [Step::Key(k)] if matches!(k.as_str(), "triggers" | "oauth2") => format!("[{k}]"),
            _ => render(path),
        }
    }

    /// Records the error serde stopped at and sets it aside; `false`
    /// when it cannot be set aside.
    fn set_aside(&mut self, e: &toml::de::Error) -> bool {
        self.reshaped = true;
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim_end_matches('\n').to_string();
        match said(&message) {
            Said::Missing(key) => {
                // Serde points at the table that lacks the key.
                let table = locate(self.document.get_ref(), &span)
                    .filter(|n| {
                        !n.on_key
                            && get(self.document.get_ref(), &n.path)
                                .is_some_and(|v| v.get_ref().is_table())
                    })
                    .map(|n| n.path)
                    .unwrap_or_default();
                let name = self.table_name(&table);
                let text = if name.is_empty() {
                    format!("missing key {key:?}; add it at the top of the file")
                } else {
                    format!("{name}: missing key {key:?}")
                };
                let at = get(self.document.get_ref(), &table).map_or(0..0, |v| {
                    let s = v.span();
                    s.start..s.start
                });
                let mut path = table.clone();
                path.push(Step::Key(key.to_string()));
                self.finding(&at, &path, text);
                let Some(value) = stand_in(key) else {
                    return false;
                };
                let Some(t) = table_mut(self.document.get_mut(), &table) else {
                    return false;
                };
                t.insert(
                    Spanned::new(at.clone(), Cow::Owned(key.to_string())),
                    Spanned::new(at, value),
                );
                self.stand_ins.push(path);
                true
            }
            said => {
                let Some(node) = locate(self.document.get_ref(), &span) else {
                    self.finding(&span, &[], message);
                    return false;
                };
                let (parent, last) = node.path.split_at(node.path.len() - 1);
                let key = match last {
                    [Step::Key(k)] => k.clone(),
                    _ => match parent.last() {
                        Some(Step::Key(k)) => k.clone(),
                        _ => String::new(),
                    },
                };
                let owner = match last {
                    [Step::Key(_)] => parent,
                    _ => &parent[..parent.len().saturating_sub(1)],
                };
                let name = self.table_name(owner);
                let text = match said {
                    Said::UnknownKey {
                        key: unknown,
                        allowed,
                    } => {
                        let allowed = if allowed.is_empty() {
                            "none".to_string()
                        } else {
                            allowed.join(", ")
                        };
                        if name.is_empty() {
                            format!(
                                "unknown key {unknown:?} at the top level; allowed here: {allowed}"
                            )
                        } else {
                            format!("{name}: unknown key {unknown:?}; allowed here: {allowed}")
                        }
                    }
                    Said::NotOneOf { value, allowed } => {
                        format!("{key} {value:?} is not one of {}", allowed.join(", "))
                    }
                    Said::WrongType { found, expected } => {
                        format!("{key}: expected {}, found {found}", plain(expected))
                    }
                    Said::Other(why) => {
                        let found = get(self.document.get_ref(), &node.path)
                            .map(|v| v.get_ref().type_str())
                            .unwrap_or("value");
                        // An enum given something other than text.
                        let why = why.replace("wanted string or table", "expected a string");
                        format!("{key}: {why}, found {found}")
                    }
                    Said::Missing(_) => unreachable!("handled above"),
                };
                let text = match said_prefix(&name, &text) {
                    Some(prefix) => format!("{prefix}: {text}"),
                    None => text,
                };
                let at = if node.on_key {
                    node.span.clone()
                } else {
                    span.clone()
                };
                let written = locate(self.original.get_ref(), &at)
                    .map(|n| n.path)
                    .unwrap_or_else(|| node.path.clone());
                self.finding(&at, &written, text);
                // An unknown key goes; a bad value makes way for a stand-in
                // where its key is required, and goes otherwise.
                let stand_in = match (node.on_key, last) {
                    (false, [Step::Key(k)]) => stand_in(k),
                    _ => None,
                };
                match stand_in {
                    Some(value) => {
                        let Some(t) = table_mut(self.document.get_mut(), parent) else {
                            return false;
                        };
                        t.insert(
                            Spanned::new(node.span.clone(), Cow::Owned(key)),
                            Spanned::new(span, value),
                        );
                        self.stand_ins.push(node.path);
                        true
                    }
                    None => remove(self.document.get_mut(), &node.path),
                }
            }
        }
    }
}

/// Serde's name of an expected type, as a partner reads it.
fn plain(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        other => other,
    }
}

/// The table name to start a message with, unless the message already
/// starts with it (an unknown key names its table itself).
fn said_prefix<'a>(name: &'a str, text: &str) -> Option<&'a str> {
    (!name.is_empty() && !text.starts_with(name)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"id = "demo"
version = "1.0.0"
publisher = "Acme"
name = { de = "Demo", en = "Demo" }
description = { de = "Eine Demo", en = "A demo" }
categories = ["planning"]
direction = "outbound"
scopes = ["employees.basic", "absences.read"]
absence-window = { past-days = 0, future-days = 180 }
hosts = ["https://{account}.planner.example"]
[triggers]
schedule = "daily"
[[config]]
key = "account"
type = "hostname"
label = { de = "Konto", en = "Account" }
required = true
[[config]]
key = "api-url"
type = "url"
label = { de = "API", en = "API" }
"#;

    fn lines(checked: &Checked) -> Vec<(usize, String)> {
        checked
            .findings
            .iter()
            .map(|f| (f.line, f.message.clone()))
            .collect()
    }

    #[test]
    fn a_good_file_is_clean_and_gives_the_manifest() {
        let checked = check_text(GOOD.as_bytes());
        assert_eq!(lines(&checked), vec![]);
        let manifest = checked.manifest.expect("the manifest");
        assert_eq!((manifest.id.as_str(), manifest.config.len()), ("demo", 2));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_line() {
        let text = GOOD
            .replace("publisher = \"Acme\"\n", "")
            .replace("version = \"1.0.0\"", "version = \"1.0\"")
            .replace("\"employees.basic\"", "\"employees.bsic\"")
            .replace("past-days = 0", "past-days = -1")
            .replace("schedule = \"daily\"", "schedule = \"weekly\"")
            .replace("required = true", "required = \"yes\"")
            .replace("label = { de = \"API\", en = \"API\" }\n", "")
            .replace("type = \"url\"", "type = \"link\"");
        let checked = check_text(text.as_bytes());
        assert!(checked.manifest.is_none());
        let expected = [
            (
                1,
                "missing key \"publisher\"; add it at the top of the file",
            ),
            (2, "version \"1.0\" must look like 1.2.3"),
            (
                7,
                "scopes \"employees.bsic\" is not one of employees.basic, employees.contact, employees.employment, employees.compensation, employees.create, absences.read, attendances.read, attendances.write, recruiting.write",
            ),
            (
                8,
                "absence-window: past-days: expected a whole number, 0 or more, found integer `-1`",
            ),
            (
                11,
                "triggers.schedule: \"weekly\" is not daily, hourly, daily@HH:MM or a five-field cron expression",
            ),
            (
                16,
                "[[config]] key \"account\": required: expected a boolean, found string \"yes\"",
            ),
            (17, "[[config]] key \"api-url\": missing key \"label\""),
            (
                19,
                "[[config]] key \"api-url\": type \"link\" is not one of string, integer, boolean, date, url, hostname, enum",
            ),
        ];
        let found = lines(&checked);
        for (line, message) in expected {
            assert!(
                found.contains(&(line, message.to_string())),
                "{line}: {message}\nfound: {found:#?}"
            );
        }
        let paths: Vec<_> = checked.findings.iter().map(|f| f.path.as_str()).collect();
        for path in [
            "publisher",
            "scopes[0]",
            "config[1].type",
            "config[0].required",
        ] {
            assert!(paths.contains(&path), "{path}: {paths:?}");
        }
        // Nothing is said about the stand-ins put in place of what is missing.
        assert!(
            !found.iter().any(|(_, m)| m == "publisher is empty"),
            "{found:#?}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_the_keys_allowed_there() {
        let text = GOOD
            .replace(
                "schedule = \"daily\"",
                "schedule = \"daily\"\nscedule = \"hourly\"",
            )
            .replace("required = true", "required = true\nsecrte = true");
        let text = format!("surprise = 1\n{text}");
        let checked = check_text(text.as_bytes());
        let found = lines(&checked);
        assert_eq!(
            found,
            vec![
                (
                    1,
                    "unknown key \"surprise\" at the top level; allowed here: id, version, publisher, name, description, categories, direction, triggers, scopes, absence-window, attendance-window, hosts, config, oauth2, support-url, price, memory-mb, icon".to_string()
                ),
                (
                    14,
                    "[triggers]: unknown key \"scedule\"; allowed here: schedule, events, webhook, manual".to_string()
                ),
                (
                    20,
                    "[[config]] key \"account\": unknown key \"secrte\"; allowed here: key, type, label, help, required, default, options, secret, inject".to_string()
                ),
            ]
        );
        assert_eq!(checked.findings[2].path, "config[0].secrte");
        assert_eq!(checked.findings[2].column, 1);
    }

    #[test]
    fn a_syntax_error_is_reported_at_its_line() {
        let text = GOOD.replace("key = \"api-url\"", "key = \"api-url");
        let checked = check_text(text.as_bytes());
        assert_eq!(checked.findings.len(), 1, "{:?}", checked.findings);
        let f = &checked.findings[0];
        assert_eq!(f.line, 19);
        assert!(f.message.starts_with("TOML syntax: "), "{}", f.message);
        assert!(checked.manifest.is_none());
    }

    #[test]
    fn text_that_is_not_utf8_or_too_large_is_refused_whole() {
        let mut bytes = GOOD.as_bytes().to_vec();
        bytes.splice(20..20, [0xff]);
        let checked = check_text(&bytes);
        assert_eq!(checked.findings[0].line, 2);
        assert!(checked.findings[0].message.contains("UTF-8"));
        let big = format!("{GOOD}# {}\n", "x".repeat(MAX_MANIFEST_BYTES));
        let checked = check_text(big.as_bytes());
        assert!(checked.findings[0].message.contains("at most 65536"));
    }

    #[test]
    fn paths_are_read_back() {
        let path = parse_path("config[1].inject.host");
        assert_eq!(render(&path), "config[1].inject.host");
        assert_eq!(
            path,
            vec![
                Step::Key("config".into()),
                Step::Index(1),
                Step::Key("inject".into()),
                Step::Key("host".into())
            ]
        );
        assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
    }
}
