//! The employee CSV import, `POST …/employees/import`, with files as
//! spreadsheets write them and worse: `,`, `;` or tab separated, quoted
//! or not, CRLF or LF, UTF-8 with or without a byte order mark,
//! Windows-1252, UTF-16 with a mark, then bytes edited; and bytes of any
//! kind. A refusal names the line (and column) of each problem, and stores
//! nothing.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseResult;
use serde_json::Value;

use crate::config::marketplace;
use crate::strategies::{Edit, edited, edits, text};
use crate::{Answer, Api, Request, check, showing};

const COLUMNS: &[&str] = &[
    "id",
    "first_name",
    "last_name",
    "hire_date",
    "department",
    "position",
    "status",
    "work_email",
    "phone",
    "birth_date",
    "termination_date",
    "weekly_hours",
    "salary_minor",
    "currency",
    "supervisor_id",
    "attribute:Badge",
    "attribute:",
    "attribute:a\"b",
    "include:planner-export",
    "include:planer-export",
    "include:",
    "nickname",
    "ID",
    "",
];

/// A cell: one that fits its column, or any text.
#[derive(Debug, Clone)]
enum Cell {
    Fitting,
    Text(String),
}

#[derive(Debug, Clone)]
struct File {
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
    delimiter: char,
    /// Quote every cell, not only those that need it.
    quote_all: bool,
    crlf: bool,
    encoding: Encoding,
    edits: Vec<Edit>,
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
    Utf16LeBom,
    Utf16BeBom,
}

/// A value that fits `column` in row `row`.
fn fitting(column: &str, row: usize) -> String {
    match column {
        "id" | "ID" => format!("e-{}", row % 20),
        "first_name" => "Zoë".into(),
        "last_name" => "Müller-Lüdenscheidt".into(),
        "hire_date" => "2024-01-15".into(),
        "birth_date" => "1990-02-28".into(),
        "department" => "Vertrieb; Süd, \"Nord\"".into(),
        "weekly_hours" => "38,5".into(),
        "salary_minor" => "4200000".into(),
        "currency" => "EUR".into(),
        "status" => "active".into(),
        "work_email" => "zoe@example.com".into(),
        c if c.starts_with("include:") => "no".into(),
        c if c.starts_with("attribute:") => "B-17".into(),
        _ => String::new(),
    }
}

fn cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        4 => Just(Cell::Fitting),
        1 => select(vec!["", "yes", "2024-02-30", "38.5", "1e3", "-0", "e-1", "CON", "x\u{0}y"])
            .prop_map(|s| Cell::Text(s.into())),
        2 => text().prop_map(Cell::Text),
    ]
}

/// Columns a good file may have besides the required ones.
const GOOD_COLUMNS: &[&str] = &[
    "department",
    "status",
    "work_email",
    "birth_date",
    "weekly_hours",
    "salary_minor",
    "currency",
    "attribute:Badge",
    "include:planner-export",
    "",
];

const REQUIRED: [&str; 4] = ["id", "first_name", "last_name", "hire_date"];

fn file() -> impl Strategy<Value = File> {
    prop_oneof![
        3 => any_file(),
        1 => good_file(),
    ]
}

/// A file every cell of which fits, in any encoding and layout.
fn good_file() -> impl Strategy<Value = File> {
    let columns =
        vec(select(GOOD_COLUMNS), 0..4).prop_map(|extra| [REQUIRED.to_vec(), extra].concat());
    (columns, 1usize..6, any_file()).prop_map(|(columns, rows, file)| File {
        rows: vec![vec![Cell::Fitting; columns.len()]; rows],
        columns,
        edits: Vec::new(),
        ..file
    })
}

fn any_file() -> impl Strategy<Value = File> {
    let columns = prop_oneof![
        3 => vec(select(COLUMNS), 0..4).prop_map(|extra| [REQUIRED.to_vec(), extra].concat()),
        1 => vec(select(COLUMNS), 0..8),
    ];
    let encoding = prop_oneof![
        Just(Encoding::Utf8),
        Just(Encoding::Utf8Bom),
        Just(Encoding::Windows1252),
        Just(Encoding::Utf16LeBom),
        Just(Encoding::Utf16BeBom),
    ];
    let edits = prop_oneof![3 => Just(Vec::new()), 1 => edits(4)];
    (
        columns,
        vec(vec(cell(), 0..10), 0..6),
        select(vec![',', ';', '\t']),
        any::<bool>(),
        any::<bool>(),
        encoding,
        edits,
    )
        .prop_map(
            |(columns, rows, delimiter, quote_all, crlf, encoding, edits)| File {
                columns,
                rows,
                delimiter,
                quote_all,
                crlf,
                encoding,
                edits,
            },
        )
}

impl File {
    fn text(&self) -> String {
        let quote = |value: &str| {
            let needs = value.contains([self.delimiter, '"', '\n', '\r']);
            if self.quote_all || needs {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value.to_string()
            }
        };
        let end = if self.crlf { "\r\n" } else { "\n" };
        let mut lines = vec![
            self.columns
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(&self.delimiter.to_string()),
        ];
        for (n, row) in self.rows.iter().enumerate() {
            // A row has a cell per column, give or take what was generated.
            let cells: Vec<String> = (0..self.columns.len().max(row.len()))
                .map(|i| match (row.get(i), self.columns.get(i)) {
                    (Some(Cell::Text(t)), _) => t.clone(),
                    (_, Some(column)) => fitting(column, n),
                    (_, None) => String::new(),
                })
                .map(|v| quote(&v))
                .collect();
            let cells = if row.len() < self.columns.len() && row.len() % 3 == 2 {
                &cells[..row.len()]
            } else {
                &cells[..]
            };
            lines.push(cells.join(&self.delimiter.to_string()));
        }
        lines.join(end) + end
    }

    fn bytes(&self) -> Vec<u8> {
        let text = self.text();
        let bytes = match self.encoding {
            Encoding::Utf8 => text.into_bytes(),
            Encoding::Utf8Bom => [&b"\xef\xbb\xbf"[..], text.as_bytes()].concat(),
            Encoding::Windows1252 => encoding_rs::WINDOWS_1252.encode(&text).0.into_owned(),
            Encoding::Utf16LeBom => [0xff, 0xfe]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            Encoding::Utf16BeBom => [0xfe, 0xff]
                .into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
        };
        edited(&bytes, &self.edits)
    }
}

#[derive(Debug, Clone)]
enum Import {
    File(File),
    Bytes(Vec<u8>),
}

fn employees(api: &Api, token: &str) -> Result<Value, TestCaseError> {
    let answer = api
        .send(Request::get("/api/v1/tenants/t-1/employees?limit=500").bearer(token))?
        .checked()?;
    prop_assert_eq!(answer.status, 200, "{}", answer.text);
    Ok(answer.body["items"].clone())
}

/// A refusal of an import names the line of each problem.
fn check_refusal(answer: &Answer, bytes: &[u8]) -> TestCaseResult {
    let lines = 1 + bytes
        .iter()
        .filter(|b| **b == b'\n' || **b == b'\r')
        .count();
    match (answer.status, answer.code()) {
        (422, "invalid_fields") => {
            for (field, message) in answer.fields() {
                let line = field
                    .strip_prefix("line ")
                    .and_then(|rest| rest.split_once(": "))
                    .and_then(|(n, column)| Some((n.parse::<usize>().ok()?, column)));
                prop_assert!(
                    line.is_some_and(|(n, column)| (1..=lines).contains(&n) && !column.is_empty()),
                    "{field:?} does not name a line of the file and a column: {message}"
                );
            }
        }
        (400, "bad_csv") => prop_assert!(
            answer.message().contains("line") || answer.message().contains("header"),
            "names no line: {:?}",
            answer.message()
        ),
        (422, "empty_import") => {}
        _ => prop_assert!(false, "unexpected refusal {}", answer.text),
    }
    Ok(())
}

#[test]
fn csv_imports_are_all_or_nothing_and_name_the_line() {
    let (api, token) = marketplace();
    let imports = prop_oneof![
        4 => file().prop_map(Import::File),
        1 => vec(any::<u8>(), 0..512).prop_map(Import::Bytes),
    ];
    check("csv: the import", 256, imports, |import, tally| {
        let bytes = match &import {
            Import::File(file) => file.bytes(),
            Import::Bytes(bytes) => bytes.clone(),
        };
        let shown = format!("b\"{}\"", bytes.escape_ascii());
        showing(import_once(&api, &token, bytes, tally), shown)
    });
}

fn import_once(api: &Api, token: &str, bytes: Vec<u8>, tally: &crate::Tally) -> TestCaseResult {
    let before = employees(api, token)?;
    let request = Request::post("/api/v1/tenants/t-1/employees/import", bytes.clone())
        .bearer(token)
        .header("content-type", "text/csv".parse().unwrap());
    let answer = api.send(request)?.checked()?;
    tally.add(answer.outcome());
    if answer.status == 200 {
        prop_assert!(
            answer.body["imported"].as_u64() >= Some(1),
            "{}",
            answer.text
        );
        tally.add(format!(
            "read as {} separated by {}",
            answer.body["encoding"], answer.body["delimiter"]
        ));
        return Ok(());
    }
    check_refusal(&answer, &bytes)?;
    prop_assert_eq!(
        before,
        employees(api, token)?,
        "a refused import changed employees"
    );
    Ok(())
}
