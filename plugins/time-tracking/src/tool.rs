//! The time-tracking tool as this connector sees it: its time entries, the
//! checks an entry must pass to become a working time, and the three calls
//! of its API (account, entries of a day, one entry). The API is described
//! in this crate's README.

use lockgate_sdk::dates;
use lockgate_sdk::prelude::*;
use serde::Deserialize;

/// More pages than this for one day is a tool that never stops paging.
const MAX_PAGES: u32 = 1000;

/// A time entry: a clock-in, and the clock-out once there is one.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub id: String,
    #[serde(default)]
    pub employee_number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub date: String,
    pub start: String,
    /// `None` while the person is still clocked in.
    #[serde(default)]
    pub end: Option<String>,
    #[serde(default)]
    pub break_minutes: u32,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// What a deletion names: the entry's id, and whom it was for if the tool
/// says so.
#[derive(Debug, Clone, Deserialize)]
pub struct EntryRef {
    pub id: String,
    #[serde(default)]
    pub employee_number: Option<String>,
}

impl Entry {
    /// What is wrong with the entry's fields, all at once, in the tool's
    /// field names; empty when it can become a working time.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.id.trim().is_empty() {
            out.push("id is empty".to_string());
        }
        if dates::to_days(&self.date).is_none() || self.date.len() != 10 {
            out.push(format!("date {:?} is not a date (YYYY-MM-DD)", self.date));
        }
        if !is_time(&self.start) {
            out.push(format!(
                "start {:?} is not a time of day (HH:MM)",
                self.start
            ));
        }
        if let Some(end) = &self.end
            && !is_time(end)
        {
            out.push(format!("end {end:?} is not a time of day (HH:MM)"));
        }
        out
    }

    /// The person, as the tool names them, for messages.
    pub fn who(&self) -> String {
        who(self.employee_number.as_deref(), self.email.as_deref())
    }

    /// The project, if the tool gave one.
    pub fn project(&self) -> Option<String> {
        given(self.project.as_deref())
    }

    pub fn note(&self) -> Option<String> {
        given(self.note.as_deref())
    }
}

/// The person behind an employee number and an e-mail, for messages.
pub fn who(number: Option<&str>, email: Option<&str>) -> String {
    match (given(number), given(email)) {
        (Some(n), Some(e)) => format!("employee number {n:?} ({e})"),
        (Some(n), None) => format!("employee number {n:?}"),
        (None, Some(e)) => format!("e-mail {e}"),
        (None, None) => "a person without employee number or e-mail".to_string(),
    }
}

/// `text` trimmed, `None` when blank.
pub fn given(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// `HH:MM` on a 24-hour clock.
fn is_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && [b[0], b[1], b[3], b[4]].iter().all(u8::is_ascii_digit)
        && text[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && text[3..].parse::<u8>().is_ok_and(|m| m < 60)
}

#[derive(Deserialize)]
struct EntryPage {
    entries: Vec<Entry>,
    #[serde(default)]
    next_page: Option<u32>,
}

/// The tool's address from the configuration, without a trailing slash.
pub fn base_url() -> Result<String, Error> {
    Ok(config::require("tool-url")?
        .trim()
        .trim_end_matches('/')
        .to_string())
}

/// An answer that ends the run: a refused token, or the tool failing.
fn refused(res: &http::Response, what: &str) -> Error {
    if res.status == 401 || res.status == 403 {
        Error::partner(
            res.status,
            "the time-tracking tool refused the API token",
            &res.body,
        )
    } else {
        Error::partner(
            res.status,
            format!("the time-tracking tool answered {} {what}", res.status),
            &res.body,
        )
    }
}

/// `GET /api/v1/me`: the token is accepted.
pub fn check_account(base: &str) -> Result<(), Error> {
    let res = http::get(&format!("{base}/api/v1/me")).retrying().send()?;
    if res.is_success() {
        Ok(())
    } else {
        Err(refused(&res, "to the account check"))
    }
}

/// `GET /api/v1/entries?date=…&page=…`, every page: the tool's entries of
/// one day.
pub fn entries_of(base: &str, day: &str) -> Result<Vec<Entry>, Error> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let url = format!(
            "{base}/api/v1/entries?date={}&page={page}",
            http::encode(day)
        );
        let res = http::get(&url).retrying().send()?;
        if !res.is_success() {
            return Err(refused(&res, &format!("for the entries of {day}")));
        }
        let parsed: EntryPage = res.json().map_err(|e| {
            Error::partner(
                res.status,
                format!("unreadable list of entries of {day}: {e}"),
                &res.body,
            )
        })?;
        out.extend(parsed.entries);
        match parsed.next_page {
            Some(next) if next > page && next <= MAX_PAGES => page = next,
            Some(next) => {
                return Err(Error::Other(format!(
                    "the tool's entries of {day}: page {page} points to page {next}; expected a later page, at most {MAX_PAGES}"
                )));
            }
            None => return Ok(out),
        }
    }
}

/// `GET /api/v1/entries/{id}`: the entry, or `None` when the tool no
/// longer has it (404).
pub fn entry(base: &str, id: &str) -> Result<Option<Entry>, Error> {
    let url = format!("{base}/api/v1/entries/{}", http::encode(id));
    let res = http::get(&url).retrying().send()?;
    match res.status {
        404 | 410 => Ok(None),
        s if (200..300).contains(&s) => res
            .json()
            .map(Some)
            .map_err(|e| Error::partner(s, format!("unreadable entry {id}: {e}"), &res.body)),
        _ => Err(refused(&res, &format!("for entry {id}"))),
    }
}
