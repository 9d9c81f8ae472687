//! The typed manifest: what a connector is, what it asks for, how it is
//! configured. Parsing rejects unknown keys; [`Manifest::problems`] lists
//! every semantic problem at once so a partner can fix them in one go.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::hosts::HostPattern;

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
    /// Outbound host patterns, `scheme://host[:port]`, with `{config-key}`
    /// placeholders filled from the install's configuration.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The configuration form.
    #[serde(default)]
    pub config: Vec<ConfigField>,
    /// The host signs in to the partner with OAuth2 client credentials and
    /// sends the access token on the connector's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<ClientCredentials>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Localized>,
}

/// OAuth2 client credentials (RFC 6749 §4.4), handled by the host: it asks
/// the token endpoint for an access token, keeps it until it expires or the
/// partner answers 401, and sends it as `Authorization: Bearer …` on
/// requests to `host`. Neither the client secret nor the token ever reaches
/// the connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ClientCredentials {
    /// `scheme://host[:port]/path` of the token endpoint; its origin must be
    /// one of the manifest's hosts.
    pub token_url: String,
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    /// HTTP Basic with the URL-encoded id and secret (`client_secret_basic`).
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Body,
}

impl ClientCredentials {
    /// Splits `token-url` into its host pattern and path.
    pub fn token_origin_and_path(&self) -> Result<(String, String), String> {
        let scheme_end = self
            .token_url
            .find("://")
            .ok_or("token-url has no scheme: write https://host/path")?
            + 3;
        let (origin, path) = match self.token_url[scheme_end..].find('/') {
            Some(i) => self.token_url.split_at(scheme_end + i),
            None => return Err("token-url has no path: write https://host/path".into()),
        };
        if path.contains(['{', '}', '#']) {
            return Err("token-url: placeholders belong in the host, not the path".into());
        }
        Ok((origin.to_string(), path.to_string()))
    }
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
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::EmployeesBasic,
        Scope::EmployeesContact,
        Scope::EmployeesEmployment,
        Scope::EmployeesCompensation,
        Scope::EmployeesCreate,
        Scope::AbsencesRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::EmployeesBasic => "employees.basic",
            Scope::EmployeesContact => "employees.contact",
            Scope::EmployeesEmployment => "employees.employment",
            Scope::EmployeesCompensation => "employees.compensation",
            Scope::EmployeesCreate => "employees.create",
            Scope::AbsencesRead => "absences.read",
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConfigField {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    pub label: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<Localized>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Allowed values of an `enum` field.
    #[serde(default, rename = "options", skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Stored encrypted, never shown again, never readable by the connector.
    #[serde(default)]
    pub secret: bool,
    /// How the host hands a secret to the partner on the connector's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inject: Option<Injection>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    String,
    Integer,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// An absolute `https://` (or operator-allowed `http://`) URL.
    Url,
    /// A host name, optionally with `:port`.
    Hostname,
    Enum,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Url => "url",
            FieldType::Hostname => "hostname",
            FieldType::Enum => "enum",
        }
    }
}

/// A secret the host adds as a request header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Injection {
    /// Header name, e.g. `Authorization`.
    pub header: String,
    /// Header value with `{value}` standing for the secret; `{value}` alone
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// One of the manifest's host patterns: the secret goes only there.
    pub host: String,
}

/// Why a manifest could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("manifest is not UTF-8 text")]
    NotUtf8,
    #[error("manifest is not valid: {0}")]
    Syntax(String),
}

impl Manifest {
    /// Parses the TOML text of a manifest, rejecting unknown keys.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ParseError> {
        let text = std::str::from_utf8(bytes).map_err(|_| ParseError::NotUtf8)?;
        toml::from_str(text).map_err(|e| ParseError::Syntax(e.message().to_string()))
    }

    pub fn field(&self, key: &str) -> Option<&ConfigField> {
        self.config.iter().find(|f| f.key == key)
    }

    /// The name in `lang`, falling back to English.
    pub fn name_in(&self, lang: &str) -> &str {
        localized(&self.name, lang)
    }

    /// Every semantic problem, each phrased so the partner knows what to fix.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            out.push(format!(
                "id {:?} must be lower-case letters, digits and dashes",
                self.id
            ));
        }
        if !is_semver(&self.version) {
            out.push(format!("version {:?} must look like 1.2.3", self.version));
        }
        if self.publisher.trim().is_empty() {
            out.push("publisher is empty".into());
        }
        check_localized(&mut out, "name", &self.name);
        check_localized(&mut out, "description", &self.description);
        if self.categories.is_empty() {
            out.push("categories is empty: list at least one".into());
        }
        if let Some(schedule) = &self.triggers.schedule
            && let Err(e) = crate::manifest::check_schedule(schedule)
        {
            out.push(format!("triggers.schedule: {e}"));
        }
        if self.triggers.schedule.is_none()
            && self.triggers.events.is_empty()
            && !self.triggers.webhook
            && !self.triggers.manual
        {
            out.push("triggers: the connector can never run; declare a schedule, events, a webhook or manual".into());
        }
        let mut seen_scopes = BTreeSet::new();
        for scope in &self.scopes {
            if !seen_scopes.insert(*scope) {
                out.push(format!("scopes: {} is listed twice", scope.as_str()));
            }
        }
        if self.scopes.contains(&Scope::AbsencesRead) && self.absence_window.is_none() {
            out.push("absences.read needs an absence-window (past-days, future-days)".into());
        }
        if let Some(window) = self.absence_window
            && (window.past_days > 3660 || window.future_days > 3660)
        {
            out.push("absence-window: at most 3660 days each way".into());
        }

        let mut keys = BTreeSet::new();
        for field in &self.config {
            let at = format!("config field {:?}", field.key);
            if !keys.insert(field.key.as_str()) {
                out.push(format!("{at} is declared twice"));
            }
            if field.key.is_empty()
                || !field
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                out.push(format!(
                    "{at}: key must be lower-case letters, digits and dashes"
                ));
            }
            check_localized(&mut out, &format!("{at} label"), &field.label);
            if field.kind == FieldType::Enum {
                if field.options.is_empty() {
                    out.push(format!("{at}: an enum needs options"));
                }
                let distinct: BTreeSet<_> = field.options.iter().collect();
                if distinct.len() != field.options.len() {
                    out.push(format!("{at}: options must be distinct"));
                }
            } else if !field.options.is_empty() {
                out.push(format!("{at}: options are only for enum fields"));
            }
            if let Some(default) = &field.default {
                if field.secret {
                    out.push(format!("{at}: a secret cannot have a default"));
                } else if let Err(e) = check_value(field, default) {
                    out.push(format!("{at}: default {default:?}: {e}"));
                }
            }
            if let Some(inject) = &field.inject {
                if !field.secret {
                    out.push(format!("{at}: only secret fields can be injected"));
                }
                if !self.hosts.contains(&inject.host) {
                    out.push(format!(
                        "{at}: inject.host {:?} is not one of the manifest's hosts",
                        inject.host
                    ));
                }
                if http::HeaderName::try_from(inject.header.as_str()).is_err() {
                    out.push(format!(
                        "{at}: inject.header {:?} is not a header name",
                        inject.header
                    ));
                }
            }
        }

        if let Some(oauth) = &self.oauth2 {
            self.check_oauth2(&mut out, oauth);
        }

        for host in &self.hosts {
            match HostPattern::parse(host) {
                Ok(pattern) => {
                    for key in pattern.placeholders() {
                        match self.field(key) {
                            None => out.push(format!(
                                "host {host:?}: placeholder {{{key}}} is not a config field"
                            )),
                            Some(f) if f.secret => out.push(format!(
                                "host {host:?}: placeholder {{{key}}} is a secret field"
                            )),
                            Some(f) if !f.required && f.default.is_none() => out.push(format!(
                                "host {host:?}: placeholder {{{key}}} must be required or have a default"
                            )),
                            Some(_) => {}
                        }
                    }
                }
                Err(e) => out.push(format!("host {host:?}: {e}")),
            }
        }
        if let Some(url) = &self.support_url
            && !(url.starts_with("https://") || url.starts_with("mailto:"))
        {
            out.push("support-url must start with https:// or mailto:".into());
        }
        out
    }
}

impl Manifest {
    fn check_oauth2(&self, out: &mut Vec<String>, oauth: &ClientCredentials) {
        match oauth.token_origin_and_path() {
            Ok((origin, _)) if !self.hosts.contains(&origin) => out.push(format!(
                "oauth2.token-url: {origin:?} is not one of the manifest's hosts"
            )),
            Ok(_) => {}
            Err(e) => out.push(format!("oauth2.{e}")),
        }
        if !self.hosts.contains(&oauth.host) {
            out.push(format!(
                "oauth2.host {:?} is not one of the manifest's hosts",
                oauth.host
            ));
        }
        match self.field(&oauth.client_id) {
            None => out.push(format!(
                "oauth2.client-id: {:?} is not a config field",
                oauth.client_id
            )),
            Some(f) if !f.required => out.push(format!(
                "oauth2.client-id: config field {:?} must be required",
                oauth.client_id
            )),
            Some(_) => {}
        }
        match self.field(&oauth.client_secret) {
            None => out.push(format!(
                "oauth2.client-secret: {:?} is not a config field",
                oauth.client_secret
            )),
            Some(f) if !f.secret || !f.required => out.push(format!(
                "oauth2.client-secret: config field {:?} must be secret and required",
                oauth.client_secret
            )),
            Some(f) if f.inject.is_some() => out.push(format!(
                "oauth2.client-secret: config field {:?} goes to the token endpoint only; remove its inject",
                oauth.client_secret
            )),
            Some(_) => {}
        }
        if let Some(scope) = &oauth.scope
            && scope
                .chars()
                .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            out.push("oauth2.scope: only printable characters other than \" and \\".into());
        }
        if self.config.iter().any(|f| {
            f.inject.as_ref().is_some_and(|i| {
                i.host == oauth.host && i.header.eq_ignore_ascii_case("authorization")
            })
        }) {
            out.push(format!(
                "oauth2.host {:?} already gets an Authorization header from an injected field",
                oauth.host
            ));
        }
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

fn check_localized(out: &mut Vec<String>, what: &str, texts: &Localized) {
    for lang in REQUIRED_LANGUAGES {
        match texts.get(lang) {
            Some(text) if !text.trim().is_empty() => {}
            _ => out.push(format!("{what} has no {lang} text")),
        }
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// Accepts `daily`, `hourly`, `daily@HH:MM`, or a five-field cron expression.
pub fn check_schedule(s: &str) -> Result<(), String> {
    crate::schedule::Schedule::parse(s).map(|_| ())
}

/// Checks one configuration value against its field's type.
pub fn check_value(field: &ConfigField, value: &str) -> Result<(), String> {
    match field.kind {
        FieldType::String => Ok(()),
        FieldType::Integer => value
            .trim()
            .parse::<i64>()
            .map(|_| ())
            .map_err(|_| "must be a whole number".to_string()),
        FieldType::Boolean => match value {
            "true" | "false" => Ok(()),
            _ => Err("must be true or false".into()),
        },
        FieldType::Date => {
            if is_date(value) {
                Ok(())
            } else {
                Err("must be a date, YYYY-MM-DD".into())
            }
        }
        FieldType::Url => {
            let rest = value
                .strip_prefix("https://")
                .or_else(|| value.strip_prefix("http://"))
                .ok_or("must start with https://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            crate::hosts::check_authority(authority).map_err(|e| format!("host {e}"))
        }
        FieldType::Hostname => crate::hosts::check_authority(value),
        FieldType::Enum => {
            if field.options.iter().any(|o| o == value) {
                Ok(())
            } else {
                Err(format!("must be one of {}", field.options.join(", ")))
            }
        }
    }
}

/// `YYYY-MM-DD` with a real month and day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
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
    fn a_complete_manifest_has_no_problems() {
        let m = Manifest::parse(GOOD.as_bytes()).unwrap();
        assert_eq!(m.problems(), Vec::<String>::new());
        assert_eq!(m.scopes, vec![Scope::EmployeesBasic, Scope::AbsencesRead]);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let text = format!("{GOOD}\nsurprise = 1\n");
        let err = Manifest::parse(text.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("surprise"), "{err}");
    }

    #[test]
    fn every_problem_is_listed() {
        let text = GOOD
            .replace("en = \"Demo\"", "fr = \"Démo\"")
            .replace("https://{account}", "{account}")
            .replace("\"daily\"", "\"every tuesday\"");
        let problems = Manifest::parse(text.as_bytes()).unwrap().problems();
        assert!(
            problems.iter().any(|p| p == "name has no en text"),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("scheme")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("triggers.schedule")),
            "{problems:?}"
        );
    }

    const OAUTH: &str = r#"
[[config]]
key = "client-id"
type = "string"
label = { de = "Client-ID", en = "Client id" }
required = true
[[config]]
key = "client-secret"
type = "string"
label = { de = "Client-Secret", en = "Client secret" }
required = true
secret = true
[oauth2]
token-url = "https://{account}.planner.example/oauth/token"
client-id = "client-id"
client-secret = "client-secret"
host = "https://{account}.planner.example"
"#;

    #[test]
    fn oauth2_client_credentials() {
        let good = GOOD
            .replace("Authorization", "X-Api-Key")
            .replace("Bearer {value}", "{value}");
        let m = Manifest::parse(format!("{good}{OAUTH}").as_bytes()).unwrap();
        assert_eq!(m.problems(), Vec::<String>::new());
        let oauth = m.oauth2.as_ref().unwrap();
        assert_eq!(oauth.client_auth, ClientAuth::Basic);
        assert_eq!(
            oauth.token_origin_and_path().unwrap(),
            (
                "https://{account}.planner.example".into(),
                "/oauth/token".into()
            )
        );
        assert!(m.secret_is_used(m.field("client-secret").unwrap()));

        let bad = OAUTH
            .replace(
                "https://{account}.planner.example/oauth",
                "https://auth.elsewhere.example/oauth",
            )
            .replace("required = true\nsecret = true", "required = true")
            .replace(
                "host = \"https://{account}.planner.example\"",
                "host = \"https://other.example\"",
            );
        let problems = Manifest::parse(format!("{good}{bad}").as_bytes())
            .unwrap()
            .problems();
        for expected in [
            "oauth2.token-url: \"https://auth.elsewhere.example\" is not one of the manifest's hosts",
            "oauth2.host \"https://other.example\" is not one of the manifest's hosts",
            "oauth2.client-secret: config field \"client-secret\" must be secret and required",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
        // An injected Authorization header and an OAuth2 token for the same host clash.
        let problems = Manifest::parse(format!("{GOOD}{OAUTH}").as_bytes())
            .unwrap()
            .problems();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("already gets an Authorization header")),
            "{problems:?}"
        );
    }

    #[test]
    fn schedules() {
        for ok in [
            "daily",
            "hourly",
            "daily@06:30",
            "0 3 * * *",
            "*/15 8-18 * * 1-5",
        ] {
            assert_eq!(check_schedule(ok), Ok(()), "{ok}");
        }
        for bad in [
            "weekly",
            "daily@25:00",
            "0 3 * *",
            "61 * * * *",
            "*/0 * * * *",
        ] {
            assert!(check_schedule(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2023-13-01"));
        assert!(!is_date("23-01-01"));
    }
}
