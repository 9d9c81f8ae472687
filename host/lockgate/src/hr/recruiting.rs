//! Recruiting: the tenant's job positions and the applications job boards
//! send for them (contract `recruiting`, no read-back for connectors; the
//! tenant reads them through the HR data API). This file holds the records,
//! the rules an application must meet before the store sees it (texts as
//! [`super::shape`] says, at most [`MAX_ATTACHMENTS`] files of
//! [`MAX_ATTACHMENT_BYTES`] together) and the refusals a connector gets.

use serde::{Deserialize, Serialize};

use super::shape::{
    MAX_EMAIL_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, id_problem, is_forbidden_char,
    required_text_problem, shown, text_problem,
};
use crate::field::FieldProblem;

/// The most files one application carries.
pub const MAX_ATTACHMENTS: usize = 5;
/// The most bytes an application's files hold together (4 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 4 << 20;
/// The longest cover message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 10_000;
/// The longest attachment file name, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 255;
/// The longest media type (`type/subtype`, each at most 127 characters).
pub const MAX_MEDIA_TYPE_CHARS: usize = 255;
/// The longest idempotency key, in bytes (as for created employees).
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 200;

/// A job position of the tenant; applications name it by id or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Position {
    pub id: String,
    pub name: String,
    pub department: Option<String>,
    /// Whether the position takes new applications.
    pub open: bool,
    pub updated_at: String,
}

/// A position as the API takes it (the id is in the path).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionInput {
    /// The job title, as candidates see it; trimmed.
    pub name: String,
    #[serde(default)]
    pub department: Option<String>,
    /// Whether the position takes new applications (default: yes).
    #[serde(default = "yes")]
    pub open: bool,
}

fn yes() -> bool {
    true
}

impl PositionInput {
    /// Everything wrong with the position `id` about to be written, all
    /// at once, each naming its field.
    pub fn problems(&self, id: &str) -> Vec<FieldProblem> {
        let mut out = Vec::new();
        if let Some(p) = id_problem(id) {
            out.push(FieldProblem::new("id", p));
        }
        if let Some(p) = required_text_problem(self.name.trim(), MAX_TEXT_CHARS) {
            out.push(FieldProblem::new("name", p));
        }
        if let Some(p) = self
            .department
            .as_deref()
            .and_then(|d| text_problem(d.trim(), MAX_TEXT_CHARS))
        {
            out.push(FieldProblem::new("department", p));
        }
        out
    }
}

/// The form a position's name is found by: trimmed, lower case (Unicode,
/// the same on every database).
pub fn position_name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A file sent with an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    /// `type/subtype`, e.g. `application/pdf`.
    pub media_type: String,
    pub content: Vec<u8>,
}

/// An application as a connector sends it. Optional texts that are blank
/// count as not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewApplication {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The tenant's position id, or its name, case-insensitive.
    pub position: String,
    /// Where the candidate applied ("LinkedIn", the board's name, ...).
    pub source: Option<String>,
    /// The cover message; line breaks and tabs are kept.
    pub message: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// An optional text, trimmed, or `None` when blank.
pub fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

impl NewApplication {
    /// Everything wrong with the application, all at once, as (field,
    /// what to fix): `first_name`, `attachments`, `attachments[1].media_type`, ...
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut bad = |field: &str, message: String| out.push((field.to_string(), message));
        for (field, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
        ] {
            if let Some(p) = required_text_problem(value, MAX_NAME_CHARS) {
                bad(field, p);
            }
        }
        if let Some(p) = required_text_problem(&self.position, MAX_TEXT_CHARS) {
            bad("position", p);
        }
        if let Some(email) = given(&self.email) {
            if let Some(p) = text_problem(&email, MAX_EMAIL_CHARS) {
                bad("email", p);
            } else if !email.contains('@') || email.contains(char::is_whitespace) {
                bad("email", "is not an e-mail address".into());
            }
        }
        for (field, value) in [("phone", &self.phone), ("source", &self.source)] {
            if let Some(p) = given(value).and_then(|v| text_problem(&v, MAX_TEXT_CHARS)) {
                bad(field, p);
            }
        }
        if let Some(p) = self.message.as_deref().and_then(message_problem) {
            bad("message", p);
        }
        if self.attachments.len() > MAX_ATTACHMENTS {
            bad(
                "attachments",
                format!(
                    "at most {MAX_ATTACHMENTS} files (has {}); send fewer",
                    self.attachments.len()
                ),
            );
        }
        let total: usize = self.attachments.iter().map(|a| a.content.len()).sum();
        if total > MAX_ATTACHMENT_BYTES {
            bad(
                "attachments",
                format!(
                    "at most {} MiB together ({MAX_ATTACHMENT_BYTES} bytes; has {total}); send smaller files",
                    MAX_ATTACHMENT_BYTES >> 20
                ),
            );
        }
        for (i, a) in self.attachments.iter().enumerate() {
            if let Some(p) = file_name_problem(&a.file_name) {
                bad(&format!("attachments[{i}].file_name"), p);
            }
            if let Some(p) = media_type_problem(&a.media_type) {
                bad(&format!("attachments[{i}].media_type"), p);
            }
            if a.content.is_empty() {
                bad(
                    &format!("attachments[{i}].content"),
                    "is empty; send the file's bytes".into(),
                );
            }
        }
        out
    }
}

/// Why a cover message is not accepted, or `None`: like any text, but
/// line breaks and tabs may be in it, and it may be long.
pub fn message_problem(message: &str) -> Option<String> {
    let inside = |c: char| matches!(c, '\n' | '\r' | '\t');
    if let Some((i, c)) = message
        .chars()
        .enumerate()
        .find(|(_, c)| is_forbidden_char(*c) && !inside(*c))
    {
        let shown = format!("U+{:04X}", c as u32);
        let what = if c.is_control() {
            "a control character"
        } else {
            "a bidirectional override"
        };
        return Some(format!(
            "contains {what} ({shown}) at character {}; remove it",
            i + 1
        ));
    }
    let n = message.chars().count();
    (n > MAX_MESSAGE_CHARS).then(|| format!("at most {MAX_MESSAGE_CHARS} characters (has {n})"))
}

/// Why a file name is not accepted, or `None`: a name, not a path.
pub fn file_name_problem(name: &str) -> Option<String> {
    if let Some(p) = required_text_problem(name, MAX_FILE_NAME_CHARS) {
        return Some(p);
    }
    if name.contains(['/', '\\']) {
        return Some("is a path; give the file's name only, without '/' or '\\'".into());
    }
    if matches!(name.trim(), "." | "..") {
        return Some("is no file name; give the file's name, e.g. cv.pdf".into());
    }
    None
}

/// Why a media type is not accepted, or `None`: `type/subtype`, each of
/// letters, digits and `! # $ & - ^ _ . +`, starting with a letter or digit
/// (RFC 6838), without parameters.
pub fn media_type_problem(media_type: &str) -> Option<String> {
    let rule = "give a media type as type/subtype, e.g. application/pdf, without parameters";
    let name_ok = |s: &str| {
        (1..=127).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    if media_type.len() > MAX_MEDIA_TYPE_CHARS {
        return Some(format!("at most {MAX_MEDIA_TYPE_CHARS} characters; {rule}"));
    }
    match media_type.split_once('/') {
        Some((kind, sub)) if name_ok(kind) && name_ok(sub) => None,
        _ => Some(format!("\"{}\" is not one; {rule}", shown(media_type))),
    }
}

/// Why an idempotency key is not accepted, or `None`.
pub fn idempotency_key_problem(key: &str) -> Option<String> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
        return Some(format!(
            "idempotency-key must be 1 to {MAX_IDEMPOTENCY_KEY_BYTES} bytes"
        ));
    }
    key.contains(is_forbidden_char).then(|| {
        "idempotency-key contains a control character or bidirectional override; remove it".into()
    })
}

/// A file of an application, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    /// Its number within the application, from 1; the download's address.
    pub seq: i64,
    pub file_name: String,
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// An application as the tenant reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Application {
    pub id: String,
    pub position_id: String,
    /// The position's current name.
    pub position_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: Option<String>,
    pub message: Option<String>,
    /// The connector that created it.
    pub connector_id: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
    pub created_at: String,
}

/// Filters for a page of applications, newest first.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub position_id: Option<String>,
    /// The (created_at, id) of the last application of the previous page.
    pub after: Option<(String, String)>,
    pub limit: u32,
}

/// Why an application was not created; the text says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplicationRefusal {
    /// No open position by that id or name.
    #[error("{0}")]
    NotFound(String),
    /// The application is malformed, or its position ambiguous.
    #[error("{0}")]
    Invalid(String),
}

impl ApplicationRefusal {
    /// Problems from [`NewApplication::problems`] as one refusal.
    pub fn from_problems(problems: &[(String, String)]) -> ApplicationRefusal {
        let text: Vec<String> = problems
            .iter()
            .map(|(field, message)| format!("{field}: {message}"))
            .collect();
        ApplicationRefusal::Invalid(text.join("; "))
    }

    /// No open position is `position`; `closed` are closed positions it
    /// names (by id or name), which the message mentions.
    pub fn unknown_position(position: &str, closed: &[Position]) -> ApplicationRefusal {
        let mut message = format!(
            "no open position \"{}\" (by id or name) in this tenant",
            shown(position)
        );
        if let Some(p) = closed.first() {
            message.push_str(&format!(
                "; the position \"{}\" (id {}) is closed and takes no new applications",
                shown(&p.name),
                p.id
            ));
        }
        ApplicationRefusal::NotFound(message)
    }

    /// More than one open position has the name `position`.
    pub fn ambiguous_position(position: &str, ids: &[String]) -> ApplicationRefusal {
        ApplicationRefusal::Invalid(format!(
            "position: {} open positions are named \"{}\" (ids {}); give the position's id",
            ids.len(),
            shown(position),
            ids.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn application() -> NewApplication {
        NewApplication {
            first_name: "Zoë".into(),
            last_name: "Gruber".into(),
            email: Some("zoe@example.org".into()),
            position: "Backend Engineer".into(),
            message: Some("Hallo,\r\n\tich bewerbe mich.".into()),
            attachments: vec![Attachment {
                file_name: "Lebenslauf Zoë.pdf".into(),
                media_type: "application/pdf".into(),
                content: b"%PDF-1.7".to_vec(),
            }],
            ..NewApplication::default()
        }
    }

    fn fields(a: &NewApplication) -> Vec<String> {
        a.problems().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_plain_application_passes() {
        assert_eq!(application().problems(), Vec::<(String, String)>::new());
        let mut blank = application();
        blank.email = Some("  ".into());
        blank.phone = Some(String::new());
        assert!(
            blank.problems().is_empty(),
            "blank optional texts are absent"
        );
    }

    #[test]
    fn every_problem_names_its_field() {
        let mut a = application();
        a.first_name = " ".into();
        a.email = Some("no-at-sign".into());
        a.source = Some("x".repeat(201));
        a.message = Some(format!("{}\u{202E}", "m".repeat(10)));
        a.attachments[0].file_name = "../etc/passwd".into();
        a.attachments[0].media_type = "pdf".into();
        assert_eq!(
            fields(&a),
            [
                "first_name",
                "email",
                "source",
                "message",
                "attachments[0].file_name",
                "attachments[0].media_type"
            ]
        );
        a = application();
        a.message = Some("m".repeat(MAX_MESSAGE_CHARS + 1));
        assert_eq!(fields(&a), ["message"]);
        a.message = Some("m".repeat(MAX_MESSAGE_CHARS));
        assert!(a.problems().is_empty());
    }

    #[test]
    fn attachments_are_capped_in_number_and_bytes() {
        let file = |n: usize| Attachment {
            file_name: "f.bin".into(),
            media_type: "application/octet-stream".into(),
            content: vec![7; n],
        };
        let mut a = application();
        a.attachments = (0..MAX_ATTACHMENTS).map(|_| file(1)).collect();
        assert!(a.problems().is_empty());
        a.attachments.push(file(1));
        assert_eq!(fields(&a), ["attachments"]);
        a.attachments = vec![
            file(MAX_ATTACHMENT_BYTES / 2),
            file(MAX_ATTACHMENT_BYTES / 2),
        ];
        assert!(a.problems().is_empty());
        a.attachments[1].content.push(0);
        let problems = a.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "attachments");
        assert!(problems[0].1.contains("4 MiB"), "{}", problems[0].1);
        a.attachments = vec![file(0)];
        assert_eq!(fields(&a), ["attachments[0].content"]);
    }

    #[test]
    fn file_names_and_media_types() {
        for good in ["cv.pdf", "Lebenslauf Zoë (2).pdf", ".profile"] {
            assert_eq!(file_name_problem(good), None, "{good}");
        }
        for bad in ["", " ", "a/b", "a\\b", "..", "a\u{0}b", "x\u{202E}fdp.exe"] {
            assert!(file_name_problem(bad).is_some(), "{bad:?}");
        }
        for good in [
            "application/pdf",
            "image/svg+xml",
            "application/vnd.ms-excel",
        ] {
            assert_eq!(media_type_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "pdf",
            "application/",
            "/pdf",
            "text/plain; charset=utf-8",
            "a/b/c",
            "text/ html",
            "text/pl\u{0}ain",
        ] {
            assert!(media_type_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn refusals_say_what_to_fix() {
        let closed = Position {
            id: "pos-1".into(),
            name: "Backend Engineer".into(),
            department: None,
            open: false,
            updated_at: String::new(),
        };
        let ApplicationRefusal::NotFound(m) =
            ApplicationRefusal::unknown_position("Backend Engineer", &[closed])
        else {
            panic!("not found");
        };
        assert!(
            m.starts_with("no open position \"Backend Engineer\" (by id or name) in this tenant")
                && m.contains("closed"),
            "{m}"
        );
        assert_eq!(position_name_key("  Ärztin "), "ärztin");
        assert!(idempotency_key_problem("").is_some());
        assert!(idempotency_key_problem(&"k".repeat(201)).is_some());
        assert!(idempotency_key_problem("k\u{0}").is_some());
        assert_eq!(idempotency_key_problem("delivery-42"), None);
    }
}
