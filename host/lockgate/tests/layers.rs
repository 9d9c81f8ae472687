//! The host's layers, checked from its source: arrows point down only
//! (api → services → app → sync → runtime → capabilities → policy and store
//! → the model), nothing outside `api/` reaches into it, no two files
//! import each other in a cycle, and no hand-written file grows past the
//! size one concept needs.
//!
//! `LOCKGATE_LAYERS_SRC=<dir> cargo test -p lockgate --test layers -- --nocapture`
//! prints the same report for another checkout (to compare before/after).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of the library by layer, lowest first. A module may
/// use its own layer and those below it.
const LAYERS: &[&[&str]] = &[
    // The model: plain types with no services behind them.
    &[
        "field",
        "hr",
        "monitoring",
        "principal",
        "time",
        "vocabulary",
    ],
    &["artifacts", "config", "policy", "secrets", "store"],
    // The generated contract belongs to the sandbox's side, not the store's.
    &["auth", "bindings", "capabilities", "sandbox"],
    &["runtime"],
    &["sync"],
    &["app"],
    // Services: what the API and the CLI ask for.
    &[
        "demo",
        "events",
        "installs",
        "partner_sandbox",
        "review",
        "sign_in",
        "webhooks",
        "worker",
    ],
    &["api"],
];

/// Files longer than this hold more than one concept.
const MAX_LINES: usize = 650;

/// A source file as a module path: `api/installs.rs` → `["api", "installs"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts == ["lib"] {
        parts.clear();
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without comments and string or char literals, so that paths
/// in docs and messages do not count as imports.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '/' if c.get(i + 1) == Some(&'/') => {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
            '/' if c.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < c.len() && !(c[i] == '*' && c[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            // Raw strings: r"…", r#"…"#, br#"…"#.
            'r' if (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
                && (i == 0
                    || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_')
                    || c[i - 1] == 'b') =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while c.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if c.get(j) != Some(&'"') {
                    out.push(c[i]);
                    i += 1;
                    continue;
                }
                j += 1;
                loop {
                    if j >= c.len() {
                        break;
                    }
                    if c[j] == '"' && (0..hashes).all(|h| c.get(j + 1 + h) == Some(&'#')) {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
            }
            '"' => {
                i += 1;
                while i < c.len() && c[i] != '"' {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            // Char literals ('"', '\'') but not lifetimes ('a).
            '\'' if c.get(i + 2) == Some(&'\'') => i += 3,
            '\'' if c.get(i + 1) == Some(&'\\') => {
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            ch => {
                out.push(ch);
                i += 1;
            }
        }
    }
    out
}

/// Every module path the file names through `crate::` or `super::`,
/// including the branches of grouped `use` trees.
fn references(code: &str, own: &[String]) -> BTreeSet<Vec<String>> {
    let tokens = tokenize(code);
    let mut found = BTreeSet::new();
    let mut i = 0;
    while i < tokens.len() {
        let start: Option<Vec<String>> = match tokens[i].as_str() {
            "crate" => Some(Vec::new()),
            "super" => {
                // `super::super::x` climbs one module per `super`.
                let mut base = own.to_vec();
                let mut j = i;
                while tokens.get(j).map(String::as_str) == Some("super") {
                    base.pop();
                    if tokens.get(j + 1).map(String::as_str) == Some("::")
                        && tokens.get(j + 2).map(String::as_str) == Some("super")
                    {
                        j += 2;
                    } else {
                        break;
                    }
                }
                i = j;
                Some(base)
            }
            _ => None,
        };
        let Some(base) = start else {
            i += 1;
            continue;
        };
        if tokens.get(i + 1).map(String::as_str) != Some("::") {
            i += 1;
            continue;
        }
        i = walk(&tokens, i + 2, base, &mut found);
    }
    found
}

/// Reads one path (or use tree) from `tokens[i]`, recording each full path.
fn walk(
    tokens: &[String],
    mut i: usize,
    base: Vec<String>,
    found: &mut BTreeSet<Vec<String>>,
) -> usize {
    let mut path = base;
    loop {
        match tokens.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match tokens.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        None => return i,
                        Some(_) => i = walk(tokens, i, path.clone(), found),
                    }
                }
            }
            Some(t)
                if t.chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_') =>
            {
                if t != "self" {
                    path.push(t.to_string());
                }
                if tokens.get(i + 1).map(String::as_str) == Some("::") {
                    i += 2;
                } else {
                    found.insert(path);
                    return i + 1;
                }
            }
            _ => {
                found.insert(path);
                return i;
            }
        }
    }
}

fn tokenize(code: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            tokens.push("::".into());
        } else if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// The longest prefix of `path` that is a module with a file.
fn resolve(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

struct Report {
    upward: BTreeSet<String>,
    into_api: BTreeSet<String>,
    cycles: Vec<Vec<String>>,
    largest: Vec<(usize, String)>,
    unplaced: BTreeSet<String>,
}

fn analyse(src: &Path) -> Report {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.retain(|f| {
        let m = module_of(src, f);
        // The binary's modules are not part of the library's layers.
        !matches!(m.first().map(String::as_str), Some("main" | "cli"))
    });
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let layer_of = |top: &str| LAYERS.iter().position(|l| l.contains(&top));
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut report = Report {
        upward: BTreeSet::new(),
        into_api: BTreeSet::new(),
        cycles: Vec::new(),
        largest: Vec::new(),
        unplaced: BTreeSet::new(),
    };
    for file in &files {
        let own = module_of(src, file);
        let text = std::fs::read_to_string(file).expect("readable");
        report.largest.push((
            text.lines().count(),
            file.strip_prefix(src).unwrap().display().to_string(),
        ));
        let Some(top) = own.first().cloned() else {
            continue;
        };
        if layer_of(&top).is_none() {
            report.unplaced.insert(top.clone());
        }
        for path in references(&code_only(&text), &own) {
            let Some(target) = resolve(&path, &modules) else {
                continue;
            };
            // A module and its own parents and children belong together.
            if target.starts_with(&own) || own.starts_with(&target) {
                continue;
            }
            edges.entry(own.clone()).or_default().insert(target.clone());
            let to = &target[0];
            if to == "api" && top != "api" {
                report
                    .into_api
                    .insert(format!("{} → {}", own.join("::"), target.join("::")));
            }
            if let (Some(from), Some(into)) = (layer_of(&top), layer_of(to))
                && into > from
            {
                report
                    .upward
                    .insert(format!("{} → {}", own.join("::"), target.join("::")));
            }
        }
    }
    report.cycles = cycles(&edges);
    report.largest.sort_by(|a, b| b.cmp(a));
    report.largest.truncate(6);
    report
}

/// Strongly connected groups of more than one file (Tarjan).
fn cycles(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<Vec<String>, usize>,
        low: BTreeMap<Vec<String>, usize>,
        stack: Vec<Vec<String>>,
        on_stack: BTreeSet<Vec<String>>,
        groups: Vec<Vec<String>>,
    }
    fn visit(s: &mut State<'_>, v: &Vec<String>) {
        let n = s.index.len();
        s.index.insert(v.clone(), n);
        s.low.insert(v.clone(), n);
        s.stack.push(v.clone());
        s.on_stack.insert(v.clone());
        for w in s.edges.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v.clone(), low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v.clone(), low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = &w == v;
                group.push(w.join("::"));
                if done {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.groups.push(group);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    let nodes: Vec<_> = edges.keys().cloned().collect();
    for v in &nodes {
        if !state.index.contains_key(v) {
            visit(&mut state, v);
        }
    }
    state.groups
}

#[test]
fn arrows_point_down_and_files_hold_one_concept() {
    let src = std::env::var_os("LOCKGATE_LAYERS_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let report = analyse(&src);
    println!("import cycles: {}", report.cycles.len());
    for group in &report.cycles {
        println!("  {}", group.join(" ↔ "));
    }
    println!(
        "arrows from a lower layer to a higher one: {}",
        report.upward.len()
    );
    for arrow in &report.upward {
        println!("  {arrow}");
    }
    println!(
        "imports of the API from outside it: {}",
        report.into_api.len()
    );
    println!("largest files:");
    for (lines, file) in &report.largest {
        println!("  {lines:5} {file}");
    }
    assert!(
        report.unplaced.is_empty(),
        "modules in no layer: {:?}",
        report.unplaced
    );
    assert!(
        report.cycles.is_empty(),
        "import cycles: {:?}",
        report.cycles
    );
    assert!(
        report.upward.is_empty(),
        "upward arrows: {:#?}",
        report.upward
    );
    assert!(
        report.into_api.is_empty(),
        "into the API: {:#?}",
        report.into_api
    );
    let (lines, file) = &report.largest[0];
    assert!(
        *lines <= MAX_LINES,
        "{file} has {lines} lines; split it by concept"
    );
}

#[test]
fn the_checker_sees_grouped_imports_and_ignores_comments_and_strings() {
    let code = code_only(
        "use crate::{app::App, store::{Store, jobs::Job}};\n// crate::api::x\nlet q = '\"';\nlet s = \"crate::api\";\nlet r = r#\"crate::api \"x\" \"#;\nsuper::sibling::f();",
    );
    let found = references(&code, &["services".into(), "child".into()]);
    let paths: BTreeSet<String> = found.iter().map(|p| p.join("::")).collect();
    assert!(paths.contains("app::App"), "{paths:?}");
    assert!(paths.contains("store::Store"), "{paths:?}");
    assert!(paths.contains("store::jobs::Job"), "{paths:?}");
    assert!(paths.contains("services::sibling::f"), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("api")), "{paths:?}");
}
