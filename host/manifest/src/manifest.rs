//! The typed manifest: what a connector is, what it asks for, how it is
//! configured. This file holds the manifest types and parsing (which rejects
//! unknown keys); `config_fields` holds the configuration form's field types
//! and value checks, and `validate` holds [`Manifest::problems`], which lists
//! every semantic problem at once so a partner can fix them in one go.

mod bounds;
mod config_fields;
mod icon;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use bounds::MAX_MANIFEST_BYTES;
pub use config_fields::{ConfigField, FieldType, Injection, check_value, is_date};
pub use icon::{Icon, IconKind, MAX_ICON_BYTES, decode_icon};
pub use validate::check_schedule;

/// Text in several languages, keyed by language code (`de`, `en`, ...).
pub type Localized = BTreeMap<String, String>;

/// Languages every listed text must have.
pub const REQUIRED_LANGUAGES: [&str; 2] = ["de", "en"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manifest {
    /// Stable identifier: lower-case letters, digits and dashes.
    pub id: String,
    /// Semantic version of this build (`1.4.0`).
    pub version: String,
    /// Who builds and supports the connector.
    pub publisher: String,
    pub name: Localized,
    pub description: Localized,
    #[serde(default)]
    pub categories: Vec<String>,
    pub direction: Direction,
    #[serde(default)]
    pub triggers: Triggers,
    /// Data scopes the connector asks for.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// How far around today absences are visible; required with
    /// `absences.read`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub absence_window: Option<AbsenceWindow>,
    /// How far around today attendance periods are visible and writable;
    /// required with `attendances.read` or `attendances.write`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendance_window: Option<AbsenceWindow>,
    /// Outbound host patterns, `scheme://host[:port]`, with `{config-key}`
    /// placeholders filled from the install's configuration.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The configuration form.
    #[serde(default)]
    pub config: Vec<ConfigField>,
    /// The host signs in to the partner with OAuth2 (client credentials, or
    /// the admin's own sign-in by authorization code) and sends the access
    /// token on the connector's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Localized>,
    /// Linear memory the connector needs, in MiB, when the platform's
    /// default is too little (a Python or JavaScript guest carries its
    /// interpreter). The host gives the larger of this and its default,
    /// and refuses a connector asking for more than the operator allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u32>,
    /// The connector's logo in the marketplace: a `data:` URI of a PNG or
    /// SVG image, base64-encoded (`data:image/svg+xml;base64,…`), at most
    /// [`MAX_ICON_BYTES`] decoded. It travels inside the manifest, so the
    /// `.wasm` file stays the one thing a partner uploads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
}

/// The most memory a manifest may ask for, whatever the operator allows.
pub const MAX_MEMORY_MB: u32 = 4096;

/// OAuth2 done by the host. With client credentials (RFC 6749 §4.4) it
/// asks the token endpoint for an access token itself; with an
/// authorization code (§4.1, with PKCE) the tenant admin signs in at the
/// partner once, and the host keeps the refresh token sealed and renews the
/// access token before it expires. Either way the host sends the token as
/// `Authorization: Bearer …` on requests to `host` only, and neither the
/// client secret nor any token ever reaches the connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct OAuth2 {
    /// How the host obtains tokens.
    #[serde(default)]
    pub flow: OAuthFlow,
    /// `scheme://host[:port]/path` of the token endpoint; its origin must be
    /// one of the manifest's hosts.
    pub token_url: String,
    /// Where the admin signs in and grants access (authorization-code flow
    /// only); its origin must be one of the manifest's hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
    /// RFC 7009 revocation endpoint, called when the admin signs out
    /// (authorization-code flow only); its origin must be one of the hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_url: Option<String>,
    /// Config key holding the client id.
    pub client_id: String,
    /// Config key of the secret field holding the client secret.
    pub client_secret: String,
    /// One of the manifest's host patterns: the token goes only there.
    pub host: String,
    /// Space-separated scopes to ask for, if the partner wants any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// How the client authenticates at the token endpoint.
    #[serde(default)]
    pub client_auth: ClientAuth,
}

/// How the host obtains the partner's access tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OAuthFlow {
    /// With the client id and secret alone.
    #[default]
    ClientCredentials,
    /// The tenant admin signs in at the partner and grants access.
    AuthorizationCode,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// HTTP Basic with the URL-encoded id and secret (`client_secret_basic`).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Body,
}

impl OAuth2 {
    /// Splits `token-url` into its host pattern and path.
    pub fn token_origin_and_path(&self) -> Result<(String, String), String> {
        origin_and_path("token-url", &self.token_url)
    }

    /// The endpoints the manifest names besides the token endpoint, by key.
    pub fn other_endpoints(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("authorize-url", self.authorize_url.as_deref()),
            ("revoke-url", self.revoke_url.as_deref()),
        ]
        .into_iter()
        .filter_map(|(key, url)| Some((key, url?)))
    }
}

/// Splits an endpoint URL into its host pattern and its path (with any
/// query); `key` names it in the error.
pub fn origin_and_path(key: &str, url: &str) -> Result<(String, String), String> {
    let scheme_end = url
        .find("://")
        .ok_or_else(|| format!("{key} has no scheme: write https://host/path"))?
        + 3;
    let (origin, path) = match url[scheme_end..].find('/') {
        Some(i) => url.split_at(scheme_end + i),
        None => return Err(format!("{key} has no path: write https://host/path")),
    };
    if path.contains(['{', '}', '#']) {
        return Err(format!(
            "{key}: placeholders belong in the host, not the path"
        ));
    }
    Ok((origin.to_string(), path.to_string()))
}

/// Which way data flows, seen from the HR platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// HR data goes out to the partner.
    Outbound,
    /// The partner sends data in (e.g. new hires).
    Inbound,
    Bidirectional,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Triggers {
    /// Default schedule: `daily`, `hourly`, or a five-field cron expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// HR events the connector wants delivered to `on-event`.
    #[serde(default)]
    pub events: Vec<EventKind>,
    /// The connector accepts inbound calls on a webhook URL.
    #[serde(default)]
    pub webhook: bool,
    /// "Sync now" is offered.
    #[serde(default = "yes")]
    pub manual: bool,
}

fn yes() -> bool {
    true
}

impl Default for Triggers {
    fn default() -> Self {
        Self {
            schedule: None,
            events: Vec::new(),
            webhook: false,
            manual: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    EmployeeCreated,
    EmployeeUpdated,
    EmployeeTerminated,
    AbsenceCreated,
    AbsenceUpdated,
    AbsenceCancelled,
    /// Contract 0.2.0 and later.
    AttendanceCreated,
    AttendanceUpdated,
    AttendanceDeleted,
}

impl EventKind {
    /// Every kind, in the contract's order.
    pub const ALL: [EventKind; 9] = [
        EventKind::EmployeeCreated,
        EventKind::EmployeeUpdated,
        EventKind::EmployeeTerminated,
        EventKind::AbsenceCreated,
        EventKind::AbsenceUpdated,
        EventKind::AbsenceCancelled,
        EventKind::AttendanceCreated,
        EventKind::AttendanceUpdated,
        EventKind::AttendanceDeleted,
    ];

    /// The scope a connector needs to receive the event.
    pub fn needs(self) -> Scope {
        match self {
            EventKind::EmployeeCreated
            | EventKind::EmployeeUpdated
            | EventKind::EmployeeTerminated => Scope::EmployeesBasic,
            EventKind::AbsenceCreated | EventKind::AbsenceUpdated | EventKind::AbsenceCancelled => {
                Scope::AbsencesRead
            }
            EventKind::AttendanceCreated
            | EventKind::AttendanceUpdated
            | EventKind::AttendanceDeleted => Scope::AttendancesRead,
        }
    }
}

/// A data permission. Employee attribute groups are granted one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    #[serde(rename = "employees.basic")]
    EmployeesBasic,
    #[serde(rename = "employees.contact")]
    EmployeesContact,
    #[serde(rename = "employees.employment")]
    EmployeesEmployment,
    #[serde(rename = "employees.compensation")]
    EmployeesCompensation,
    #[serde(rename = "employees.create")]
    EmployeesCreate,
    #[serde(rename = "absences.read")]
    AbsencesRead,
    #[serde(rename = "attendances.read")]
    AttendancesRead,
    #[serde(rename = "attendances.write")]
    AttendancesWrite,
    #[serde(rename = "recruiting.write")]
    RecruitingWrite,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::EmployeesBasic,
        Scope::EmployeesContact,
        Scope::EmployeesEmployment,
        Scope::EmployeesCompensation,
        Scope::EmployeesCreate,
        Scope::AbsencesRead,
        Scope::AttendancesRead,
        Scope::AttendancesWrite,
        Scope::RecruitingWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EmployeesBasic => "employees.basic",
            Scope::EmployeesContact => "employees.contact",
            Scope::EmployeesEmployment => "employees.employment",
            Scope::EmployeesCompensation => "employees.compensation",
            Scope::EmployeesCreate => "employees.create",
            Scope::AbsencesRead => "absences.read",
            Scope::AttendancesRead => "attendances.read",
            Scope::AttendancesWrite => "attendances.write",
            Scope::RecruitingWrite => "recruiting.write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s)
    }

    /// What the scope lets a connector do, in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::EmployeesBasic => "read employees' names, department, position and status",
            Scope::EmployeesContact => {
                "read employees' e-mail addresses, phone number and birth date"
            }
            Scope::EmployeesEmployment => {
                "read hire and termination dates, contract, hours, legal entity and supervisor"
            }
            Scope::EmployeesCompensation => "read fixed salary and hourly wage",
            Scope::EmployeesCreate => "create new employees",
            Scope::AbsencesRead => "read absences inside the granted window",
            Scope::AttendancesRead => "read working times inside the granted window",
            Scope::AttendancesWrite => {
                "record, change and remove working times inside the granted window"
            }
            Scope::RecruitingWrite => "create job applications for the tenant's positions",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct AbsenceWindow {
    /// Days before today that stay visible.
    pub past_days: u32,
    /// Days after today that are visible.
    pub future_days: u32,
}

/// A semantic problem of a manifest and the key it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestProblem {
    /// Dotted keys with 0-based indexes: `config[1].default`, `hosts[0]`,
    /// `triggers.schedule`; the nearest key the manifest has when the
    /// problem is something missing (`scopes[2]` for a missing window).
    pub path: String,
    pub message: String,
}

/// Why a manifest could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("manifest is not UTF-8 text")]
    NotUtf8,
    #[error("the manifest section is {0} bytes; at most {max} ({kib} KiB)", max = MAX_MANIFEST_BYTES, kib = MAX_MANIFEST_BYTES >> 10)]
    TooLarge(usize),
    #[error("manifest is not valid: {0}")]
    Syntax(String),
}

/// A TOML error with the line and column it points at, so that a
/// refusal says where to look even when the message names no key.
fn located(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let mut start = span.start.min(text.len());
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

impl Manifest {
    /// Parses the TOML text of a manifest, rejecting unknown keys.
    /// A section over [`MAX_MANIFEST_BYTES`] is refused unread.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ParseError> {
        if bytes.len() > MAX_MANIFEST_BYTES {
            return Err(ParseError::TooLarge(bytes.len()));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotUtf8)?;
        toml::from_str(text).map_err(|e| ParseError::Syntax(located(text, &e)))
    }

    pub fn field(&self, key: &str) -> Option<&ConfigField> {
        self.config.iter().find(|f| f.key == key)
    }

    /// The name in `lang`, falling back to English.
    pub fn name_in(&self, lang: &str) -> &str {
        localized(&self.name, lang)
    }

    /// Whether the host sends this secret field to the partner: injected as
    /// a header or used as the OAuth2 client secret.
    pub fn secret_is_used(&self, field: &ConfigField) -> bool {
        field.inject.is_some()
            || self
                .oauth2
                .as_ref()
                .is_some_and(|o| o.client_secret == field.key)
    }
}

/// Text in `lang`, else English, else any.
pub fn localized<'a>(texts: &'a Localized, lang: &str) -> &'a str {
    texts
        .get(lang)
        .or_else(|| texts.get("en"))
        .or_else(|| texts.values().next())
        .map(String::as_str)
        .unwrap_or("")
}

#[cfg(test)]
pub(in crate::manifest) mod tests {
    use super::*;

    pub(in crate::manifest) const GOOD: &str = r#"
id = "demo"
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
key = "api-key"
type = "string"
label = { de = "API-Schlüssel", en = "API key" }
secret = true
inject = { header = "Authorization", format = "Bearer {value}", host = "https://{account}.planner.example" }
"#;

    #[test]
    fn unknown_keys_are_rejected() {
        let text = format!("{GOOD}\nsurprise = 1\n");
        let err = Manifest::parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("surprise"), "{err}");
    }
}
