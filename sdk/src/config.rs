//! The install's configuration, with typed access. Secret fields are not
//! readable here: the host injects them into requests to the partner.
//!
//! A typed reader returns `Ok(None)` for a key without a value (a blank
//! value counts as none) and a [`Error::Config`] naming the field and the
//! form it expects for a malformed one; `require_*` also fails on a
//! missing value. [`Config`] reads the same way from the entries
//! [`crate::Connector::validate_config`] is given.
//!
//! ```ignore
//! let url = config::require_string("planner-url")?;
//! let batch = config::integer("batch-size")?.unwrap_or(100);
//! let pending = config::boolean("include-pending")?.unwrap_or(false);
//! ```

use crate::Error;
use crate::imports::config as raw;

/// The value of a non-secret field (or its default), as the host has it.
pub fn get(key: &str) -> Option<String> {
    raw::get(key)
}

/// The value of a field the connector cannot work without.
pub fn require(key: &str) -> Result<String, Error> {
    get(key).ok_or_else(|| Error::config(key, "is required"))
}

/// Every non-secret field with a value.
pub fn all() -> Vec<(String, String)> {
    raw::get_all()
}

/// The value, trimmed; `None` when missing or blank.
pub fn string(key: &str) -> Option<String> {
    trimmed(get(key))
}

/// A whole number (`integer` fields).
pub fn integer(key: &str) -> Result<Option<i64>, Error> {
    parse_integer(key, string(key))
}

/// A number, decimals allowed (`number` fields).
pub fn number(key: &str) -> Result<Option<f64>, Error> {
    parse_number(key, string(key))
}

/// `true` or `false` (`boolean` fields; case does not matter).
pub fn boolean(key: &str) -> Result<Option<bool>, Error> {
    parse_boolean(key, string(key))
}

/// The trimmed value of a field the connector cannot work without; blank
/// counts as missing.
pub fn require_string(key: &str) -> Result<String, Error> {
    required(key, Ok(string(key)))
}

pub fn require_integer(key: &str) -> Result<i64, Error> {
    required(key, integer(key))
}

pub fn require_number(key: &str) -> Result<f64, Error> {
    required(key, number(key))
}

pub fn require_boolean(key: &str) -> Result<bool, Error> {
    required(key, boolean(key))
}

/// Configuration entries read with the same typed accessors, typically
/// those [`crate::Connector::validate_config`] receives. An [`Error`]
/// converts into the field errors `validate_config` returns, so `?` works
/// there.
///
/// ```ignore
/// fn validate_config(entries: &[(String, String)]) -> Result<(), Vec<FieldError>> {
///     let config = config::Config::of(entries);
///     if config.require_integer("batch-size")? > 200 {
///         return Err(vec![FieldError::new("batch-size", "is at most 200")]);
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Config<'a> {
    entries: &'a [(String, String)],
}

impl<'a> Config<'a> {
    pub fn of(entries: &'a [(String, String)]) -> Self {
        Config { entries }
    }

    /// The value as given, untrimmed.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value, trimmed; `None` when missing or blank.
    pub fn string(&self, key: &str) -> Option<String> {
        trimmed(self.get(key).map(str::to_string))
    }

    pub fn integer(&self, key: &str) -> Result<Option<i64>, Error> {
        parse_integer(key, self.string(key))
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, Error> {
        parse_number(key, self.string(key))
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, Error> {
        parse_boolean(key, self.string(key))
    }

    pub fn require_string(&self, key: &str) -> Result<String, Error> {
        required(key, Ok(self.string(key)))
    }

    pub fn require_integer(&self, key: &str) -> Result<i64, Error> {
        required(key, self.integer(key))
    }

    pub fn require_number(&self, key: &str) -> Result<f64, Error> {
        required(key, self.number(key))
    }

    pub fn require_boolean(&self, key: &str) -> Result<bool, Error> {
        required(key, self.boolean(key))
    }
}

fn trimmed(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn required<T>(key: &str, value: Result<Option<T>, Error>) -> Result<T, Error> {
    value?.ok_or_else(|| Error::config(key, "is required"))
}

fn parse_integer(key: &str, value: Option<String>) -> Result<Option<i64>, Error> {
    let Some(value) = value else { return Ok(None) };
    value
        .parse::<i64>()
        .map(Some)
        .map_err(|_| Error::config(key, format!("{value:?} is not a whole number")))
}

fn parse_number(key: &str, value: Option<String>) -> Result<Option<f64>, Error> {
    let Some(value) = value else { return Ok(None) };
    // Decimal notation only: Rust would also read "inf" and "NaN".
    let decimal = value.bytes().any(|b| b.is_ascii_digit())
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match value.parse::<f64>() {
        Ok(n) if decimal && n.is_finite() => Ok(Some(n)),
        _ => Err(Error::config(key, format!("{value:?} is not a number"))),
    }
}

fn parse_boolean(key: &str, value: Option<String>) -> Result<Option<bool>, Error> {
    let Some(value) = value else { return Ok(None) };
    if value.eq_ignore_ascii_case("true") {
        Ok(Some(true))
    } else if value.eq_ignore_ascii_case("false") {
        Ok(Some(false))
    } else {
        Err(Error::config(
            key,
            format!("{value:?} is neither true nor false"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn field_of(error: Error) -> (String, String) {
        match error {
            Error::Config(mut fields) if fields.len() == 1 => {
                let f = fields.remove(0);
                (f.field, f.message)
            }
            other => panic!("not one field error: {other:?}"),
        }
    }

    #[test]
    fn typed_values_and_errors_that_name_the_field() {
        let given = entries(&[
            ("n", " 42 "),
            ("x", "1.5"),
            ("b", "TRUE"),
            ("bad", "yes"),
            ("blank", "  "),
            ("inf", "inf"),
        ]);
        let c = Config::of(&given);
        assert_eq!(c.integer("n").unwrap(), Some(42));
        assert_eq!(c.number("x").unwrap(), Some(1.5));
        assert_eq!(c.number("n").unwrap(), Some(42.0));
        assert_eq!(c.boolean("b").unwrap(), Some(true));
        assert_eq!(c.integer("missing").unwrap(), None);
        assert_eq!(c.string("blank"), None);
        assert_eq!(c.get("blank"), Some("  "));
        assert_eq!(
            field_of(c.boolean("bad").unwrap_err()),
            ("bad".into(), "\"yes\" is neither true nor false".into())
        );
        assert_eq!(
            field_of(c.integer("x").unwrap_err()),
            ("x".into(), "\"1.5\" is not a whole number".into())
        );
        assert_eq!(
            field_of(c.number("inf").unwrap_err()),
            ("inf".into(), "\"inf\" is not a number".into())
        );
        assert_eq!(
            field_of(c.require_boolean("blank").unwrap_err()),
            ("blank".into(), "is required".into())
        );
        assert_eq!(
            field_of(c.require_integer("x").unwrap_err()).1,
            "\"1.5\" is not a whole number",
            "a malformed value is reported as such, not as missing"
        );
    }

    #[test]
    fn an_error_becomes_the_field_errors_validate_config_returns() {
        fn validate(entries: &[(String, String)]) -> Result<(), Vec<crate::FieldError>> {
            Config::of(entries).require_integer("batch-size")?;
            Ok(())
        }
        let problems = validate(&entries(&[("batch-size", "lots")])).unwrap_err();
        assert_eq!(
            problems,
            vec![crate::FieldError::new(
                "batch-size",
                "\"lots\" is not a whole number"
            )]
        );
        assert!(validate(&entries(&[("batch-size", "7")])).is_ok());
    }
}
