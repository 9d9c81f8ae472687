//! Size bounds of every manifest string and list. A manifest is shown in
//! the review queue, the marketplace and every configuration form, and is
//! stored with each version, so nothing in it may be unbounded, nor hold a
//! control character or a bidirectional override (only descriptions, help
//! texts and prices may break lines). Each problem names the field and the
//! limit; all are reported at once.

use super::validate::Found;
use super::{Localized, Manifest};

/// The manifest section as a whole, checked before it is parsed.
pub const MAX_MANIFEST_BYTES: usize = 64 << 10;

/// Short identifiers: the connector id, config keys, language codes.
pub const MAX_ID_CHARS: usize = 64;
pub const MAX_VERSION_CHARS: usize = 64;
pub const MAX_PUBLISHER_CHARS: usize = 200;
/// Names and labels: one line in a list or a form.
pub const MAX_NAME_CHARS: usize = 100;
/// Descriptions: a few paragraphs on a marketplace page.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// A field's help text and a price.
pub const MAX_HELP_CHARS: usize = 1000;
/// Categories and enum options.
pub const MAX_WORD_CHARS: usize = 100;
/// Host patterns, URLs, header formats and OAuth2 scopes.
pub const MAX_URL_CHARS: usize = 500;
/// Header names.
pub const MAX_HEADER_CHARS: usize = 100;
/// Defaults and schedules.
pub const MAX_VALUE_CHARS: usize = 1000;

pub const MAX_LANGUAGES: usize = 10;
pub const MAX_CATEGORIES: usize = 10;
pub const MAX_HOSTS: usize = 20;
pub const MAX_CONFIG_FIELDS: usize = 50;
pub const MAX_OPTIONS: usize = 100;
/// Each event kind once.
pub const MAX_EVENTS: usize = super::EventKind::ALL.len();
pub const MAX_SCOPES: usize = 10;

/// Problem messages echo values; none is longer than this.
pub const MAX_PROBLEM_CHARS: usize = 300;

struct Bounds<'a> {
    out: &'a mut Found,
}

/// A character no manifest text may hold: a control character (a line
/// break only where `lines`) or a bidirectional override or isolate, which
/// would make a name read as something else.
fn forbidden(c: char, lines: bool) -> bool {
    (c.is_control() && !(lines && c == '\n'))
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Each check takes the `path` of the key it is about (where a tool
/// points) and the `field` as the message names it.
impl Bounds<'_> {
    /// One line of text.
    fn text(&mut self, path: &str, field: &str, text: &str, max: usize) {
        self.texts(path, field, text, max, false);
    }

    fn texts(&mut self, path: &str, field: &str, text: &str, max: usize, lines: bool) {
        // Counting stops early: a 10 MiB string costs no more than needed.
        let chars = text.chars().take(max + 1).count();
        if chars > max {
            let has = text.chars().count();
            self.out.at(
                path,
                format!("{field}: at most {max} characters (has {has})"),
            );
        }
        if let Some((at, c)) = text.chars().enumerate().find(|(_, c)| forbidden(*c, lines)) {
            let what = if c.is_control() {
                "a control character"
            } else {
                "a bidirectional override"
            };
            self.out.at(
                path,
                format!(
                    "{field}: contains {what} (U+{:04X}) at character {}; remove it",
                    c as u32,
                    at + 1
                ),
            );
        }
    }

    fn list(&mut self, path: &str, field: &str, len: usize, max: usize) {
        if len > max {
            self.out
                .at(path, format!("{field}: at most {max} entries (has {len})"));
        }
    }

    /// A text per language; `lines` where it may break lines.
    fn localized(&mut self, path: &str, field: &str, texts: &Localized, max: usize, lines: bool) {
        self.list(path, field, texts.len(), MAX_LANGUAGES);
        for (lang, text) in texts {
            if lang.chars().count() > MAX_ID_CHARS {
                self.text(path, &format!("{field} language code"), lang, MAX_ID_CHARS);
                continue;
            }
            self.texts(
                &format!("{path}.{lang}"),
                &format!("{field}.{lang}"),
                text,
                max,
                lines,
            );
        }
    }

    fn words(
        &mut self,
        path: &str,
        field: &str,
        words: &[String],
        max_entries: usize,
        max_chars: usize,
    ) {
        self.list(path, field, words.len(), max_entries);
        for (i, word) in words.iter().enumerate() {
            self.text(
                &format!("{path}[{i}]"),
                &format!("{field}[{i}]"),
                word,
                max_chars,
            );
        }
    }
}

/// Every bound the manifest exceeds.
pub(super) fn bound_problems(m: &Manifest, out: &mut Found) {
    let mut b = Bounds { out };
    b.text("id", "id", &m.id, MAX_ID_CHARS);
    b.text("version", "version", &m.version, MAX_VERSION_CHARS);
    b.text("publisher", "publisher", &m.publisher, MAX_PUBLISHER_CHARS);
    b.localized("name", "name", &m.name, MAX_NAME_CHARS, false);
    b.localized(
        "description",
        "description",
        &m.description,
        MAX_DESCRIPTION_CHARS,
        true,
    );
    b.words(
        "categories",
        "categories",
        &m.categories,
        MAX_CATEGORIES,
        MAX_WORD_CHARS,
    );
    if let Some(schedule) = &m.triggers.schedule {
        b.text(
            "triggers.schedule",
            "triggers.schedule",
            schedule,
            MAX_VALUE_CHARS,
        );
    }
    b.list(
        "triggers.events",
        "triggers.events",
        m.triggers.events.len(),
        MAX_EVENTS,
    );
    b.list("scopes", "scopes", m.scopes.len(), MAX_SCOPES);
    b.words("hosts", "hosts", &m.hosts, MAX_HOSTS, MAX_URL_CHARS);
    b.list("config", "config", m.config.len(), MAX_CONFIG_FIELDS);
    for (i, field) in m.config.iter().enumerate() {
        let path = |key: &str| format!("config[{i}].{key}");
        // Named by key when the key itself is sane.
        let at = if field.key.chars().count() <= MAX_ID_CHARS {
            format!("config field {:?}", field.key)
        } else {
            b.text(
                &path("key"),
                &format!("config[{i}].key"),
                &field.key,
                MAX_ID_CHARS,
            );
            format!("config[{i}]")
        };
        b.localized(
            &path("label"),
            &format!("{at} label"),
            &field.label,
            MAX_NAME_CHARS,
            false,
        );
        if let Some(help) = &field.help {
            b.localized(
                &path("help"),
                &format!("{at} help"),
                help,
                MAX_HELP_CHARS,
                true,
            );
        }
        if let Some(default) = &field.default {
            b.text(
                &path("default"),
                &format!("{at} default"),
                default,
                MAX_VALUE_CHARS,
            );
        }
        b.words(
            &path("options"),
            &format!("{at} options"),
            &field.options,
            MAX_OPTIONS,
            MAX_WORD_CHARS,
        );
        if let Some(inject) = &field.inject {
            b.text(
                &path("inject.header"),
                &format!("{at} inject.header"),
                &inject.header,
                MAX_HEADER_CHARS,
            );
            if let Some(format) = &inject.format {
                b.text(
                    &path("inject.format"),
                    &format!("{at} inject.format"),
                    format,
                    MAX_URL_CHARS,
                );
            }
            b.text(
                &path("inject.host"),
                &format!("{at} inject.host"),
                &inject.host,
                MAX_URL_CHARS,
            );
        }
    }
    if let Some(oauth) = &m.oauth2 {
        for (key, value, max) in [
            ("token-url", &oauth.token_url, MAX_URL_CHARS),
            ("client-id", &oauth.client_id, MAX_ID_CHARS),
            ("client-secret", &oauth.client_secret, MAX_ID_CHARS),
            ("host", &oauth.host, MAX_URL_CHARS),
        ] {
            let path = format!("oauth2.{key}");
            b.text(&path, &path, value, max);
        }
        if let Some(scope) = &oauth.scope {
            b.text("oauth2.scope", "oauth2.scope", scope, MAX_URL_CHARS);
        }
    }
    if let Some(url) = &m.support_url {
        b.text("support-url", "support-url", url, MAX_URL_CHARS);
    }
    if let Some(price) = &m.price {
        b.localized("price", "price", price, MAX_HELP_CHARS, true);
    }
}

/// Cuts a problem message that echoes an oversized value.
pub(super) fn clip(problem: &mut String) {
    if let Some((at, _)) = problem.char_indices().nth(MAX_PROBLEM_CHARS) {
        problem.truncate(at);
        problem.push('…');
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::GOOD;
    use super::*;

    #[test]
    fn every_oversized_field_is_named_with_its_limit() {
        let huge = "x".repeat(10 << 20);
        let options: Vec<String> = (0..150).map(|i| format!("\"o{i}\"")).collect();
        let text = GOOD
            .replace("en = \"A demo\"", &format!("en = \"{huge}\""))
            .replace(
                "publisher = \"Acme\"",
                &format!("publisher = \"{}\"", "p".repeat(201)),
            )
            .replace(
                "categories = [\"planning\"]",
                &format!("categories = [\"planning\", \"{}\"]", "c".repeat(101)),
            );
        let text = format!(
            "{text}\n[[config]]\nkey = \"{}\"\ntype = \"enum\"\nlabel = {{ de = \"A\", en = \"A\" }}\noptions = [{}]\n",
            "K".repeat(65),
            options.join(", ")
        );
        let m: Manifest = toml::from_str(&text).unwrap();
        let problems = m.problems();
        for expected in [
            "description.en: at most 4000 characters (has 10485760)".to_string(),
            "publisher: at most 200 characters (has 201)".to_string(),
            "categories[1]: at most 100 characters (has 101)".to_string(),
            "config[2].key: at most 64 characters (has 65)".to_string(),
            "config[2] options: at most 100 entries (has 150)".to_string(),
        ] {
            assert!(problems.contains(&expected), "{expected}: {problems:?}");
        }
        // Other checks still run, and no message echoes the huge value.
        assert!(
            problems
                .iter()
                .any(|p| p.contains("key must be lower-case")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .all(|p| p.chars().count() <= MAX_PROBLEM_CHARS + 1)
        );
    }

    #[test]
    fn control_characters_and_overrides_are_refused_with_the_field() {
        let text = GOOD
            .replace("publisher = \"Acme\"", "publisher = \"Ac\\u202Eme\"")
            .replace("en = \"A demo\"", "en = \"Line one\\nline two\\u0000\"");
        let m: Manifest = toml::from_str(&text).unwrap();
        let problems = m.problems();
        for expected in [
            "publisher: contains a bidirectional override (U+202E) at character 3; remove it",
            "description.en: contains a control character (U+0000) at character 18; remove it",
        ] {
            assert!(
                problems.iter().any(|p| p == expected),
                "{expected}: {problems:?}"
            );
        }
        // A description may break lines; a publisher may not.
        let text = GOOD.replace("en = \"A demo\"", "en = \"Line one\\nline two\"");
        let m: Manifest = toml::from_str(&text).unwrap();
        assert!(m.problems().is_empty(), "{:?}", m.problems());
        let text = GOOD.replace("publisher = \"Acme\"", "publisher = \"Ac\\nme\"");
        let m: Manifest = toml::from_str(&text).unwrap();
        assert!(
            m.problems()
                .iter()
                .any(|p| p.starts_with("publisher: contains a control")),
            "{:?}",
            m.problems()
        );
    }

    #[test]
    fn the_section_is_bounded_before_parsing() {
        let big = format!("{GOOD}\n# {}\n", "x".repeat(MAX_MANIFEST_BYTES));
        let err = Manifest::parse(big.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "the manifest section is {} bytes; at most 65536 (64 KiB)",
                big.len()
            )
        );
        assert!(Manifest::parse(GOOD.as_bytes()).is_ok());
    }
}
