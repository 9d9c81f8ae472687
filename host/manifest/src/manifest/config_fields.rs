//! The configuration form's fields: their types, how a secret is injected,
//! and the check a value must pass before it is stored.

use serde::{Deserialize, Serialize};

use super::Localized;

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

    #[test]
    fn dates() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2023-13-01"));
        assert!(!is_date("23-01-01"));
    }
}
