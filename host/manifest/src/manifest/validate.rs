//! Semantic validation of a parsed manifest: [`Manifest::problems`] and the
//! checks it is made of, each problem phrased so the partner knows what to fix
//! and placed at the key it is about (see [`ManifestProblem`]).

use std::collections::BTreeSet;

use super::{
    FieldType, Localized, Manifest, ManifestProblem, OAuth2, OAuthFlow, REQUIRED_LANGUAGES, Scope,
    check_value,
};
use crate::hosts::HostPattern;

/// Problems as they are found, each at its path.
#[derive(Default)]
pub(super) struct Found(pub(super) Vec<ManifestProblem>);

impl Found {
    pub(super) fn at(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ManifestProblem {
            path: path.into(),
            message: message.into(),
        });
    }
}

impl Manifest {
    /// Every semantic problem, each phrased so the partner knows what to fix.
    /// Oversized strings and lists come first (see `bounds`); messages that
    /// echo a value are clipped.
    pub fn problems(&self) -> Vec<String> {
        self.located_problems()
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    /// [`Manifest::problems`], each with the path of the key it is about
    /// (`config[1].default`, `hosts[0]`), so a tool can point at the line.
    pub fn located_problems(&self) -> Vec<ManifestProblem> {
        let mut out = Found::default();
        super::bounds::bound_problems(self, &mut out);
        self.semantic_problems(&mut out);
        for p in &mut out.0 {
            super::bounds::clip(&mut p.message);
        }
        out.0
    }

    fn semantic_problems(&self, out: &mut Found) {
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            out.at(
                "id",
                format!(
                    "id {:?} must be lower-case letters, digits and dashes",
                    self.id
                ),
            );
        }
        if !is_semver(&self.version) {
            out.at(
                "version",
                format!("version {:?} must look like 1.2.3", self.version),
            );
        }
        if self.publisher.trim().is_empty() {
            out.at("publisher", "publisher is empty");
        }
        check_localized(out, "name", "name", &self.name);
        check_localized(out, "description", "description", &self.description);
        if self.categories.is_empty() {
            out.at("categories", "categories is empty: list at least one");
        }
        if let Some(icon) = &self.icon
            && let Err(e) = super::decode_icon(icon)
        {
            out.at("icon", format!("icon: {e}"));
        }
        if let Some(schedule) = &self.triggers.schedule
            && let Err(e) = check_schedule(schedule)
        {
            out.at("triggers.schedule", format!("triggers.schedule: {e}"));
        }
        if self.triggers.schedule.is_none()
            && self.triggers.events.is_empty()
            && !self.triggers.webhook
            && !self.triggers.manual
        {
            out.at("triggers", "triggers: the connector can never run; declare a schedule, events, a webhook or manual");
        }
        let mut seen_scopes = BTreeSet::new();
        for (i, scope) in self.scopes.iter().enumerate() {
            if !seen_scopes.insert(*scope) {
                out.at(
                    format!("scopes[{i}]"),
                    format!("scopes: {} is listed twice", scope.as_str()),
                );
            }
        }
        let scope_at = |wanted: &[Scope]| {
            self.scopes
                .iter()
                .position(|s| wanted.contains(s))
                .map_or_else(|| "scopes".to_string(), |i| format!("scopes[{i}]"))
        };
        if self.scopes.contains(&Scope::AbsencesRead) && self.absence_window.is_none() {
            out.at(
                scope_at(&[Scope::AbsencesRead]),
                "absences.read needs an absence-window (past-days, future-days)",
            );
        }
        if let Some(window) = self.absence_window
            && (window.past_days > 3660 || window.future_days > 3660)
        {
            out.at(
                "absence-window",
                "absence-window: at most 3660 days each way",
            );
        }
        let attendance_scopes = [Scope::AttendancesRead, Scope::AttendancesWrite];
        let attendances = attendance_scopes.iter().any(|s| self.scopes.contains(s));
        if attendances && self.attendance_window.is_none() {
            out.at(
                scope_at(&attendance_scopes),
                "attendances.read and attendances.write need an attendance-window (past-days, future-days)",
            );
        }
        if let Some(window) = self.attendance_window
            && (window.past_days > 3660 || window.future_days > 3660)
        {
            out.at(
                "attendance-window",
                "attendance-window: at most 3660 days each way",
            );
        }
        if let Some(mb) = self.memory_mb
            && !(1..=super::MAX_MEMORY_MB).contains(&mb)
        {
            out.at(
                "memory-mb",
                format!(
                    "memory-mb: between 1 and {} (MiB), not {mb}",
                    super::MAX_MEMORY_MB
                ),
            );
        }
        for (i, event) in self.triggers.events.iter().enumerate() {
            let needs = event.needs();
            if matches!(needs, Scope::AttendancesRead) && !self.scopes.contains(&needs) {
                out.at(
                    format!("triggers.events[{i}]"),
                    format!(
                        "triggers.events: {} needs the scope {}",
                        serde_json::to_string(event)
                            .unwrap_or_default()
                            .trim_matches('"'),
                        needs.as_str()
                    ),
                );
            }
        }

        let mut keys = BTreeSet::new();
        for (i, field) in self.config.iter().enumerate() {
            let at = format!("config field {:?}", field.key);
            let path = |key: &str| format!("config[{i}].{key}");
            if !keys.insert(field.key.as_str()) {
                out.at(path("key"), format!("{at} is declared twice"));
            }
            if field.key.is_empty()
                || !field
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                out.at(
                    path("key"),
                    format!("{at}: key must be lower-case letters, digits and dashes"),
                );
            }
            check_localized(out, &path("label"), &format!("{at} label"), &field.label);
            if field.kind == FieldType::Enum {
                if field.options.is_empty() {
                    out.at(path("type"), format!("{at}: an enum needs options"));
                }
                let distinct: BTreeSet<_> = field.options.iter().collect();
                if distinct.len() != field.options.len() {
                    out.at(path("options"), format!("{at}: options must be distinct"));
                }
            } else if !field.options.is_empty() {
                out.at(
                    path("options"),
                    format!("{at}: options are only for enum fields"),
                );
            }
            if let Some(default) = &field.default {
                if field.secret {
                    out.at(
                        path("default"),
                        format!("{at}: a secret cannot have a default"),
                    );
                } else if let Err(e) = check_value(field, default) {
                    out.at(path("default"), format!("{at}: default {default:?}: {e}"));
                }
            }
            if let Some(inject) = &field.inject {
                if !field.secret {
                    out.at(
                        path("inject"),
                        format!("{at}: only secret fields can be injected"),
                    );
                }
                if !self.hosts.contains(&inject.host) {
                    out.at(
                        path("inject.host"),
                        format!(
                            "{at}: inject.host {:?} is not one of the manifest's hosts",
                            inject.host
                        ),
                    );
                }
                if http::HeaderName::try_from(inject.header.as_str()).is_err() {
                    out.at(
                        path("inject.header"),
                        format!(
                            "{at}: inject.header {:?} is not a header name",
                            inject.header
                        ),
                    );
                }
            }
        }

        if let Some(oauth) = &self.oauth2 {
            self.check_oauth2(out, oauth);
        }

        for (i, host) in self.hosts.iter().enumerate() {
            let path = format!("hosts[{i}]");
            match HostPattern::parse(host) {
                Ok(pattern) => {
                    for key in pattern.placeholders() {
                        match self.field(key) {
                            None => out.at(
                                &path,
                                format!(
                                    "host {host:?}: placeholder {{{key}}} is not a config field"
                                ),
                            ),
                            Some(f) if f.secret => out.at(
                                &path,
                                format!("host {host:?}: placeholder {{{key}}} is a secret field"),
                            ),
                            Some(f) if !f.required && f.default.is_none() => out.at(
                                &path,
                                format!(
                                    "host {host:?}: placeholder {{{key}}} must be required or have a default"
                                ),
                            ),
                            Some(_) => {}
                        }
                    }
                }
                Err(e) => out.at(&path, format!("host {host:?}: {e}")),
            }
        }
        if let Some(url) = &self.support_url
            && !(url.starts_with("https://") || url.starts_with("mailto:"))
        {
            out.at(
                "support-url",
                "support-url must start with https:// or mailto:",
            );
        }
    }

    fn check_oauth2(&self, out: &mut Found, oauth: &OAuth2) {
        let endpoints =
            std::iter::once(("token-url", oauth.token_url.as_str())).chain(oauth.other_endpoints());
        for (key, url) in endpoints {
            match super::origin_and_path(key, url) {
                Ok((origin, _)) if !self.hosts.contains(&origin) => out.at(
                    format!("oauth2.{key}"),
                    format!("oauth2.{key}: {origin:?} is not one of the manifest's hosts"),
                ),
                Ok(_) => {}
                Err(e) => out.at(format!("oauth2.{key}"), format!("oauth2.{e}")),
            }
        }
        let signs_in = oauth.flow == OAuthFlow::AuthorizationCode;
        if signs_in && oauth.authorize_url.is_none() {
            out.at(
                "oauth2.authorize-url",
                "oauth2.authorize-url: the authorization-code flow needs the address where the admin signs in",
            );
        }
        if !signs_in && oauth.authorize_url.is_some() {
            out.at(
                "oauth2.authorize-url",
                "oauth2.authorize-url: only the authorization-code flow signs in; set flow = \"authorization-code\" or remove it",
            );
        }
        if !signs_in && oauth.revoke_url.is_some() {
            out.at(
                "oauth2.revoke-url",
                "oauth2.revoke-url: only the authorization-code flow keeps tokens to revoke; set flow = \"authorization-code\" or remove it",
            );
        }
        if !self.hosts.contains(&oauth.host) {
            out.at(
                "oauth2.host",
                format!(
                    "oauth2.host {:?} is not one of the manifest's hosts",
                    oauth.host
                ),
            );
        }
        match self.field(&oauth.client_id) {
            None => out.at(
                "oauth2.client-id",
                format!(
                    "oauth2.client-id: {:?} is not a config field",
                    oauth.client_id
                ),
            ),
            Some(f) if !f.required => out.at(
                "oauth2.client-id",
                format!(
                    "oauth2.client-id: config field {:?} must be required",
                    oauth.client_id
                ),
            ),
            Some(_) => {}
        }
        match self.field(&oauth.client_secret) {
            None => out.at(
                "oauth2.client-secret",
                format!(
                    "oauth2.client-secret: {:?} is not a config field",
                    oauth.client_secret
                ),
            ),
            Some(f) if !f.secret || !f.required => out.at(
                "oauth2.client-secret",
                format!(
                    "oauth2.client-secret: config field {:?} must be secret and required",
                    oauth.client_secret
                ),
            ),
            Some(f) if f.inject.is_some() => out.at(
                "oauth2.client-secret",
                format!(
                    "oauth2.client-secret: config field {:?} goes to the token endpoint only; remove its inject",
                    oauth.client_secret
                ),
            ),
            Some(_) => {}
        }
        if let Some(scope) = &oauth.scope
            && scope
                .chars()
                .any(|c| c.is_control() || c == '"' || c == '\\')
        {
            out.at(
                "oauth2.scope",
                "oauth2.scope: only printable characters other than \" and \\",
            );
        }
        if self.config.iter().any(|f| {
            f.inject.as_ref().is_some_and(|i| {
                i.host == oauth.host && i.header.eq_ignore_ascii_case("authorization")
            })
        }) {
            out.at(
                "oauth2.host",
                format!(
                    "oauth2.host {:?} already gets an Authorization header from an injected field",
                    oauth.host
                ),
            );
        }
    }
}

fn check_localized(out: &mut Found, path: &str, what: &str, texts: &Localized) {
    for lang in REQUIRED_LANGUAGES {
        match texts.get(lang) {
            Some(text) if !text.trim().is_empty() => {}
            Some(_) => out.at(
                format!("{path}.{lang}"),
                format!("{what} has no {lang} text"),
            ),
            None => out.at(path, format!("{what} has no {lang} text")),
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

#[cfg(test)]
mod tests {
    use super::super::tests::GOOD;
    use super::*;
    use crate::manifest::ClientAuth;

    #[test]
    fn a_complete_manifest_has_no_problems() {
        let m = Manifest::parse(GOOD.as_bytes()).unwrap();
        assert_eq!(m.problems(), Vec::<String>::new());
        assert_eq!(m.scopes, vec![Scope::EmployeesBasic, Scope::AbsencesRead]);
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

    #[test]
    fn the_icon_is_checked_in_the_manifest() {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let with = |icon: String| {
            let text = GOOD.replacen(
                "direction = ",
                &format!("icon = \"{icon}\"\ndirection = "),
                1,
            );
            Manifest::parse(text.as_bytes()).unwrap().problems()
        };
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><circle r=\"4\"/></svg>";
        assert_eq!(
            with(format!("data:image/svg+xml;base64,{}", b64(svg.as_bytes()))),
            Vec::<String>::new()
        );
        let big = format!("<svg>{}</svg>", " ".repeat(40 << 10));
        let problems = with(format!("data:image/svg+xml;base64,{}", b64(big.as_bytes())));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("icon: ") && p.contains("at most 32 KiB")),
            "{problems:?}"
        );
        let problems = with(format!("data:image/gif;base64,{}", b64(b"GIF89a")));
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("icon: ") && p.contains("PNG or SVG")),
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
    fn oauth2_authorization_code() {
        let good = GOOD
            .replace("Authorization", "X-Api-Key")
            .replace("Bearer {value}", "{value}");
        let signed_in = OAUTH.replace(
            "[oauth2]\n",
            "[oauth2]\nflow = \"authorization-code\"\nauthorize-url = \"https://{account}.planner.example/oauth/authorize\"\nrevoke-url = \"https://{account}.planner.example/oauth/revoke\"\n",
        );
        let m = Manifest::parse(format!("{good}{signed_in}").as_bytes()).unwrap();
        assert_eq!(m.problems(), Vec::<String>::new());
        assert_eq!(
            m.oauth2.as_ref().unwrap().flow,
            OAuthFlow::AuthorizationCode
        );

        // Without the sign-in address; an address elsewhere; sign-in
        // addresses on a client-credentials manifest.
        let problems = |oauth: String| {
            Manifest::parse(format!("{good}{oauth}").as_bytes())
                .unwrap()
                .problems()
        };
        let without = problems(signed_in.replace(
            "authorize-url = \"https://{account}.planner.example/oauth/authorize\"\n",
            "",
        ));
        assert!(
            without.iter().any(|p| p.starts_with(
                "oauth2.authorize-url: the authorization-code flow needs the address"
            )),
            "{without:?}"
        );
        let elsewhere = problems(signed_in.replace(
            "https://{account}.planner.example/oauth/authorize",
            "https://login.elsewhere.example/authorize",
        ));
        assert!(
            elsewhere.contains(
                &"oauth2.authorize-url: \"https://login.elsewhere.example\" is not one of the manifest's hosts"
                    .to_string()
            ),
            "{elsewhere:?}"
        );
        let mixed = problems(signed_in.replace("flow = \"authorization-code\"\n", ""));
        assert!(
            mixed
                .iter()
                .any(|p| p.starts_with("oauth2.authorize-url: only"))
                && mixed
                    .iter()
                    .any(|p| p.starts_with("oauth2.revoke-url: only")),
            "{mixed:?}"
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
}
