//! Who an entry is for: the tool's employee number is compared with the HR
//! id first, then the tool's e-mail with the work e-mail (capitals do not
//! matter). Only employees this install may see can match.

use std::collections::{BTreeMap, BTreeSet};

use lockgate_sdk::prelude::*;

use crate::tool::given;

/// The outcome of matching one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The HR id.
    Found(String),
    /// No visible employee has this id or work e-mail.
    Unknown,
    /// Several visible employees share the work e-mail.
    Ambiguous(usize),
}

/// The visible employees' ids and work e-mails, for a sync that matches
/// many entries.
#[derive(Debug, Default)]
pub struct People {
    ids: BTreeSet<String>,
    emails: BTreeMap<String, Vec<String>>,
}

impl People {
    /// Every visible employee, read once.
    pub fn load() -> Result<People, HostError> {
        let mut people = People::default();
        for employee in hr::employees(EmployeeQuery::default()) {
            let employee = employee?;
            if let Some(email) = employee
                .contact
                .and_then(|c| c.work_email)
                .and_then(|e| given(Some(&e)))
            {
                people
                    .emails
                    .entry(email.to_lowercase())
                    .or_default()
                    .push(employee.id.clone());
            }
            people.ids.insert(employee.id);
        }
        Ok(people)
    }

    pub fn find(&self, number: Option<&str>, email: Option<&str>) -> Match {
        if let Some(number) = given(number)
            && self.ids.contains(&number)
        {
            return Match::Found(number);
        }
        self.by_email(email)
    }

    fn by_email(&self, email: Option<&str>) -> Match {
        let Some(email) = given(email) else {
            return Match::Unknown;
        };
        match self.emails.get(&email.to_lowercase()).map(Vec::as_slice) {
            Some([id]) => Match::Found(id.clone()),
            Some(ids) if ids.len() > 1 => Match::Ambiguous(ids.len()),
            _ => Match::Unknown,
        }
    }
}

/// Matches one person, as a webhook does: the HR id is looked up directly;
/// only when it does not match are the e-mails read.
pub fn find_one(number: Option<&str>, email: Option<&str>) -> Result<Match, HostError> {
    if let Some(number) = given(number) {
        match hr::employee(&number) {
            Ok(employee) => return Ok(Match::Found(employee.id)),
            // Not an id of a visible employee (or not shaped like an id).
            Err(HostError::NotFound(_) | HostError::InvalidArgument(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if given(email).is_none() {
        return Ok(Match::Unknown);
    }
    Ok(People::load()?.by_email(email))
}
