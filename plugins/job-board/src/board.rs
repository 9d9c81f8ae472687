//! The job board's side: its application as the webhook and the list API
//! carry it, how one becomes the host's `NewApplication`, and the two read
//! calls of the backstop sync. The README documents the board's API.

use base64::Engine as _;
use lockgate_sdk::prelude::*;
use lockgate_sdk::recruiting::{Attachment, NewApplication};
use serde::Deserialize;

/// The only delivery type the connector acts on.
pub const CREATED: &str = "application.created";

/// What the board calls the webhook with.
#[derive(Deserialize)]
pub struct Delivery {
    #[serde(rename = "type")]
    pub kind: String,
    /// Absent on types other than `application.created`.
    pub application: Option<serde_json::Value>,
}

/// One application, as the webhook and the list API carry it.
#[derive(Deserialize)]
pub struct Application {
    pub id: String,
    pub job: Job,
    pub candidate: Candidate,
    pub cover_letter: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub attachments: Vec<File>,
}

#[derive(Deserialize)]
pub struct Job {
    /// The tenant's position id, when the ad was created with one.
    pub reference: Option<String>,
    pub title: Option<String>,
}

#[derive(Deserialize)]
pub struct Candidate {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Deserialize)]
pub struct File {
    pub file_name: String,
    pub content_type: Option<String>,
    pub data_base64: String,
}

/// One page of `GET /api/v1/applications`. The items are read one by one,
/// so a malformed application fails alone, not the page.
#[derive(Deserialize)]
pub struct Page {
    #[serde(default)]
    pub applications: Vec<serde_json::Value>,
    pub next_page: Option<u32>,
}

/// Pages a sync reads at most; a board that keeps answering `next_page`
/// beyond this is misbehaving.
const MAX_PAGES: u32 = 1000;

fn given(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl Application {
    /// Reads one application; the error says what is missing.
    pub fn parse(value: serde_json::Value) -> Result<Application, String> {
        let id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
        serde_json::from_value(value).map_err(|e| match id {
            Some(id) => format!("the board's application {id} is malformed: {e}"),
            None => format!("an application from the board is malformed: {e}"),
        })
    }

    /// The candidate's name for monitoring, or the board's id without one.
    pub fn candidate_name(&self) -> String {
        let name = format!(
            "{} {}",
            self.candidate.first_name.trim(),
            self.candidate.last_name.trim()
        );
        let name = name.trim();
        if name.is_empty() {
            format!("a candidate without a name (board application {})", self.id)
        } else {
            name.to_string()
        }
    }

    /// The position asked for: the job's reference when the ad has one,
    /// else its title. The host matches an id first, then a name ignoring
    /// case.
    pub fn position(&self) -> Option<String> {
        given(self.job.reference.as_deref()).or_else(|| given(self.job.title.as_deref()))
    }

    /// The application for the host. Fails on an attachment that is not
    /// base64; every other rule (names, sizes, how many files) is the
    /// host's, which names what is wrong.
    pub fn to_new(
        &self,
        position: String,
        default_source: Option<&str>,
    ) -> Result<NewApplication, String> {
        let engine = base64::engine::general_purpose::STANDARD;
        let mut attachments = Vec::with_capacity(self.attachments.len());
        for file in &self.attachments {
            let data: String = file.data_base64.split_ascii_whitespace().collect();
            let content = engine
                .decode(data.as_bytes())
                .map_err(|e| format!("attachment {:?} is not valid base64: {e}", file.file_name))?;
            attachments.push(Attachment {
                file_name: file.file_name.trim().to_string(),
                media_type: given(file.content_type.as_deref())
                    .unwrap_or_else(|| "application/octet-stream".into()),
                content,
            });
        }
        Ok(NewApplication {
            first_name: self.candidate.first_name.trim().to_string(),
            last_name: self.candidate.last_name.trim().to_string(),
            email: given(self.candidate.email.as_deref()),
            phone: given(self.candidate.phone.as_deref()),
            position,
            source: given(self.source.as_deref()).or_else(|| given(default_source)),
            message: given(self.cover_letter.as_deref()),
            attachments,
        })
    }
}

/// The board's address without a trailing slash.
pub fn base() -> Result<String, Error> {
    Ok(config::require("board-url")?
        .trim_end_matches('/')
        .to_string())
}

fn refused(res: &http::Response, what: &str) -> Error {
    let message = match res.status {
        401 | 403 => "the job board refused the API key".to_string(),
        _ => format!("the job board refused {what}"),
    };
    Error::partner(res.status, message, &res.body)
}

/// One page of applications received at or after `since`.
pub fn page(base: &str, since: &str, n: u32) -> Result<Page, Error> {
    if n > MAX_PAGES {
        return Err(Error::other(format!(
            "the job board still answered a next page after {MAX_PAGES} pages; it seems to loop"
        )));
    }
    let url = format!(
        "{base}/api/v1/applications?since={}&page={n}",
        http::encode(since)
    );
    let res = http::get(&url).retrying().send()?;
    if !res.is_success() {
        return Err(refused(&res, "the list of applications"));
    }
    res.json::<Page>().map_err(|e| {
        Error::partner(
            res.status,
            format!("the job board's list of applications is malformed: {e}"),
            &res.body,
        )
    })
}

/// One application by the board's id; `None` when the board no longer
/// has it (withdrawn or deleted).
pub fn one(base: &str, id: &str) -> Result<Option<serde_json::Value>, Error> {
    let url = format!("{base}/api/v1/applications/{}", http::encode(id));
    let res = http::get(&url).retrying().send()?;
    match res.status {
        404 | 410 => Ok(None),
        _ if res.is_success() => Ok(Some(res.json()?)),
        _ => Err(refused(&res, "an application")),
    }
}
