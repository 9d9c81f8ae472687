//! Generators the properties share: text glued from the pieces parsers
//! trip over, edits of a byte string, and values shaped like each
//! configuration type (hosts, URLs, dates, numbers).

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Pieces that parsers of ids, hosts, dates, numbers and expressions trip
/// over: separators, brackets, escapes, limits, multi-byte characters.
pub const PIECES: &[&str] = &[
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\0",
    "\u{7f}",
    "\u{202e}",
    "\u{feff}",
    "\u{200b}",
    "é",
    "ß",
    "€",
    "ü",
    "日本",
    "🙂",
    "\u{10ffff}",
    "[",
    "]",
    "::1",
    "::",
    ":",
    "@",
    "/",
    "?",
    "#",
    "{",
    "}",
    "%",
    "%00",
    "%zz",
    "\"",
    "'",
    "\\",
    ";",
    ",",
    ".",
    "..",
    "-",
    "_",
    "*",
    "+",
    "0",
    "00",
    "1",
    "-1",
    "7",
    "24",
    "59",
    "60",
    "255",
    "65535",
    "65536",
    "2147483648",
    "9223372036854775808",
    "1e309",
    "NaN",
    "0x1f",
    "true",
    "false",
    "yes",
    "null",
    "https://",
    "http://",
    "mailto:",
    "localhost",
    "example.com",
    "127.0.0.1",
    "daily",
    "hourly",
    "daily@",
    "L",
    "W",
    "2024-02-29",
    "2023-02-29",
    "CON",
    "planner-export",
];

/// One piece, a short word, or any character.
pub fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(PIECES).prop_map(String::from),
        1 => "[a-zA-Z0-9]{1,6}",
        1 => any::<char>().prop_map(String::from),
    ]
}

/// Text a parser might get: pieces glued together, or any string.
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => vec(piece(), 0..8).prop_map(|p| p.concat()),
        1 => any::<String>(),
    ]
}

/// One change to a byte string; positions wrap around its length.
#[derive(Debug, Clone)]
pub enum Edit {
    Set(usize, u8),
    FlipBit(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, u8),
    Truncate(usize),
}

pub fn edits(max: usize) -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::FlipBit(at, bit)),
        2 => (any::<usize>(), vec(any::<u8>(), 1..16)).prop_map(|(at, b)| Edit::Insert(at, b)),
        2 => (any::<usize>(), 1u8..32).prop_map(|(at, n)| Edit::Delete(at, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ];
    vec(edit, 1..max)
}

/// `bytes` with `edits` applied, each at its position modulo the length.
pub fn edited(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let at = |i: usize, extra: usize| i % (out.len() + extra).max(1);
        match edit {
            Edit::Set(i, b) if !out.is_empty() => {
                let i = at(*i, 0);
                out[i] = *b;
            }
            Edit::FlipBit(i, bit) if !out.is_empty() => {
                let i = at(*i, 0);
                out[i] ^= 1 << bit;
            }
            Edit::Insert(i, bytes) => {
                let i = at(*i, 1);
                out.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete(i, n) if !out.is_empty() => {
                let i = at(*i, 0);
                let end = (i + usize::from(*n)).min(out.len());
                out.drain(i..end);
            }
            Edit::Truncate(i) => {
                let i = at(*i, 1);
                out.truncate(i);
            }
            _ => {}
        }
    }
    out
}

/// A host, `host[:port]`: DNS names, IPv4 and bracketed IPv6 literals,
/// each with a port or something else after it.
pub fn host() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        4 => "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?",
        1 => piece(),
    ];
    let name = vec(label, 1..4).prop_map(|labels| labels.join("."));
    let ipv6 = prop_oneof![
        select(vec![
            "::1",
            "::",
            "fe80::1",
            "1:2:3:4:5:6:7:8",
            "::ffff:127.0.0.1"
        ])
        .prop_map(String::from),
        piece(),
    ];
    let bracketed = (ipv6, piece()).prop_map(|(ip, after)| format!("[{ip}]{after}"));
    let port = prop_oneof![
        Just(String::new()),
        (0u32..70000).prop_map(|p| format!(":{p}")),
        piece().prop_map(|p| format!(":{p}")),
    ];
    prop_oneof![
        3 => (name, port).prop_map(|(n, p)| format!("{n}{p}")),
        1 => (0u16..300, 0u16..300, 0u16..300, 0u16..300)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        2 => bracketed,
        1 => text(),
    ]
}

/// An absolute URL (or nearly one): a scheme, a host, maybe a path.
pub fn url() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just("https://"),
        Just("http://"),
        Just("HTTPS://"),
        Just("ftp://"),
        Just(""),
    ];
    let rest = prop_oneof![Just(String::new()), text().prop_map(|t| format!("/{t}"))];
    prop_oneof![
        4 => (scheme, host(), rest).prop_map(|(s, h, r)| format!("{s}{h}{r}")),
        1 => text(),
    ]
}

/// `YYYY-MM-DD` with any numbers in it, or text.
pub fn date() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u32..10000, 0u32..14, 0u32..33)
            .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => text(),
    ]
}

/// A JSON value as a client might send it for a field.
pub fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let scalar = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        text().prop_map(Value::String),
        url().prop_map(Value::String),
        host().prop_map(Value::String),
        date().prop_map(Value::String),
    ];
    prop_oneof![
        8 => scalar.clone(),
        1 => vec(scalar.clone(), 0..3).prop_map(Value::Array),
        1 => vec((text(), scalar), 0..3)
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
    ]
}
