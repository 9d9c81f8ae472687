//! Reading a CSV file as spreadsheets export it, for the imports: UTF-8
//! (with or without a byte order mark), UTF-16 with a byte order mark, or
//! Windows-1252; separated by `,`, `;` or tabs, as the header line shows;
//! line breaks of any system. Problems are named by line and column.

use std::borrow::Cow;

use axum::http::StatusCode;

use crate::api::{ApiError, FieldProblem};

/// The largest CSV file an import takes: an export of 100 000 employees
/// with a dozen columns is about 13 MB.
pub const MAX_IMPORT_BYTES: usize = 32 << 20;

/// An import stops reading after this many problems: enough to fix a file
/// in a few rounds, and a bounded answer.
pub(super) const MAX_PROBLEMS: usize = 200;

/// A data row with its line number, or why it is not one.
pub(super) type Row = Result<(u64, csv::StringRecord), FieldProblem>;

/// An import file, decoded.
pub(super) struct CsvFile {
    /// The text, with every line break a `\n`.
    text: String,
    /// The encoding it was read in (`UTF-8`, `windows-1252`, …).
    pub encoding: &'static str,
    /// The delimiter the header line uses.
    pub delimiter: u8,
}

impl CsvFile {
    /// The request body as an import file: too large or unreadable bodies
    /// and undecodable text are refused with what to do.
    pub fn read(
        body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    ) -> Result<CsvFile, ApiError> {
        let body = body.map_err(|e| {
            crate::api::body_error(
                e,
                format!(
                    "an import file may be at most {} MiB",
                    MAX_IMPORT_BYTES >> 20
                ),
            )
        })?;
        let (text, encoding) = decode(&body)?;
        // Line breaks as `\n` only, so the reader's line numbers are the
        // file's (it counts a CRLF's `\n` to the next record). A cell with a
        // line break is refused as a control character either way.
        let text = if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text.into_owned()
        };
        let delimiter = delimiter(&text);
        Ok(CsvFile {
            text,
            encoding,
            delimiter,
        })
    }

    /// A reader of the file's records: cells trimmed, rows of any length
    /// (the import says which row has too few or too many).
    pub fn reader(&self) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(self.text.as_bytes())
    }

    /// The delimiter as the answers name it.
    pub fn delimiter_name(&self) -> &'static str {
        delimiter_name(self.delimiter)
    }

    /// The data rows left in `reader` (after its header), in file order,
    /// each with its line number. Empty lines, which spreadsheets write for
    /// rows left blank, are skipped; a row with another number of cells
    /// than the header's `columns` comes as the problem to report.
    pub fn rows(
        &self,
        reader: &mut csv::Reader<&[u8]>,
        columns: usize,
    ) -> Result<Vec<Row>, ApiError> {
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| bad_csv(format!("unreadable CSV: {e}")))?;
            let line = record.position().map_or(0, |p| p.line());
            if record.iter().all(str::is_empty) {
                continue;
            }
            rows.push(if record.len() == columns {
                Ok((line, record))
            } else {
                Err(import_problem(
                    line,
                    "row",
                    format!(
                        "has {} fields, the header has {columns}; the file is read as separated by {}",
                        record.len(),
                        self.delimiter_name()
                    ),
                ))
            });
        }
        Ok(rows)
    }
}

pub(super) fn import_problem(line: u64, field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: format!("line {line}: {field}"),
        message: message.into(),
    }
}

pub(super) fn bad_csv(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_csv", message)
}

/// The file as text, and the name of its encoding: a byte order mark
/// decides (UTF-8, UTF-16LE, UTF-16BE; the mark itself is dropped);
/// without one, valid UTF-8 is UTF-8 and anything else Windows-1252, the
/// encoding of Western European spreadsheet exports (every byte is a
/// character there, so it always decodes; a stray control character is
/// then refused with its field like any other). A file with both UTF-8
/// letters and bytes that are not UTF-8 is refused: either reading would
/// garble half of it.
pub(super) fn decode(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), ApiError> {
    use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
    let (encoding, bom) = Encoding::for_bom(bytes).unwrap_or((UTF_8, 0));
    let body = &bytes[bom..];
    if encoding != UTF_8 {
        let (text, broken) = encoding.decode_without_bom_handling(body);
        if broken {
            let at = text.find('\u{FFFD}').unwrap_or(text.len());
            let line = 1 + text[..at].matches('\n').count();
            return Err(bad_csv(format!(
                "the file starts with a {} byte order mark but line {line} is not {0}; save it again as UTF-8",
                encoding.name()
            )));
        }
        return Ok((text, encoding.name()));
    }
    let e = match std::str::from_utf8(body) {
        Ok(text) => return Ok((Cow::Borrowed(text), "UTF-8")),
        Err(e) => e,
    };
    let line = 1 + body[..e.valid_up_to()]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    if bom > 0 {
        return Err(bad_csv(format!(
            "the file starts with a UTF-8 byte order mark but line {line} is not UTF-8; save it again as UTF-8"
        )));
    }
    // Letters written as UTF-8 beside bytes that are not: a file edited
    // in two encodings, which neither reading would get right.
    if body.utf8_chunks().any(|chunk| !chunk.valid().is_ascii()) {
        return Err(bad_csv(format!(
            "line {line} is not UTF-8 but other letters in the file are: it mixes two encodings; save it again as UTF-8"
        )));
    }
    Ok((
        WINDOWS_1252.decode_without_bom_handling(body).0,
        "windows-1252",
    ))
}

/// The delimiter the header line uses: the most frequent of `,`, `;` and
/// tab outside quotes (`,` on a tie or when there is none, a file of one
/// column).
pub(super) fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [(b',', 0), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(count) = counts.iter_mut().find(|(d, _)| *d == b) {
            count.1 += 1;
        }
    }
    // The first of the most frequent: `max_by_key` keeps the last.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

pub(super) fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => ";",
        b'\t' => "tab",
        _ => ",",
    }
}

/// A number cell: `38.5`, or `38,5` as German and French spreadsheets
/// write it.
pub(super) fn number(value: &str) -> Option<f64> {
    let value = if value.matches(',').count() == 1 && !value.contains('.') {
        Cow::Owned(value.replace(',', "."))
    } else {
        Cow::Borrowed(value)
    };
    value.parse::<f64>().ok().filter(|n| n.is_finite())
}
