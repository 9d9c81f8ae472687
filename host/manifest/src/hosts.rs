//! Outbound host patterns: `scheme://host[:port]` with `{config-key}`
//! placeholders, and their resolution against an install's configuration.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::manifest::{FieldType, Manifest};

/// A parsed host pattern from a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    pub scheme: Scheme,
    /// Host and optional port, possibly with placeholders.
    pub authority: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A concrete origin an install may call.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResolvedHost {
    pub scheme: Scheme,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl fmt::Display for ResolvedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            write!(f, "{}://{}", self.scheme.as_str(), host)
        } else {
            write!(f, "{}://{}:{}", self.scheme.as_str(), host, self.port)
        }
    }
}

impl HostPattern {
    pub fn parse(pattern: &str) -> Result<HostPattern, String> {
        let (scheme, rest) = if let Some(rest) = pattern.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else if let Some(rest) = pattern.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else {
            return Err("has no scheme: write https://host (or http://host)".into());
        };
        if rest.is_empty() {
            return Err("has no host".into());
        }
        if rest.contains(['/', '?', '#', '@', '*']) {
            return Err("must be scheme://host[:port] with no path, user or wildcard".into());
        }
        let pattern = HostPattern {
            scheme,
            authority: rest.to_string(),
        };
        let mut depth = 0i32;
        for c in rest.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if !(0..=1).contains(&depth) {
                return Err("has unbalanced braces".into());
            }
        }
        if depth != 0 {
            return Err("has unbalanced braces".into());
        }
        if pattern.placeholders().is_empty() {
            check_authority(rest)?;
        }
        Ok(pattern)
    }

    /// The config keys the pattern refers to.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = self.authority.as_str();
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            out.push(&rest[start + 1..start + len]);
            rest = &rest[start + len + 1..];
        }
        out
    }

    /// Fills the placeholders from `config`. A `url` field contributes its
    /// host and port; any other field its value.
    pub fn resolve(
        &self,
        manifest: &Manifest,
        config: &BTreeMap<String, String>,
    ) -> Result<ResolvedHost, String> {
        let mut authority = self.authority.clone();
        for key in self.placeholders() {
            let field = manifest
                .field(key)
                .ok_or_else(|| format!("no config field {key}"))?;
            let value = config
                .get(key)
                .or(field.default.as_ref())
                .ok_or_else(|| format!("config field {key} has no value"))?;
            let value = if field.kind == FieldType::Url {
                url_authority(value)
                    .ok_or_else(|| format!("{key} is not a URL"))?
                    .to_string()
            } else {
                value.clone()
            };
            if value.contains(['/', '?', '#', '@', '{', '}']) || value.is_empty() {
                return Err(format!(
                    "config field {key} cannot be used as a host: {value:?}"
                ));
            }
            authority = authority.replace(&format!("{{{key}}}"), &value);
        }
        let (host, port) = split_authority(&authority, self.scheme)?;
        Ok(ResolvedHost {
            scheme: self.scheme,
            host,
            port,
        })
    }
}

/// The `host[:port]` of an absolute http(s) URL.
pub fn url_authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then_some(authority)
}

/// Splits `host[:port]` (IPv6 in brackets) and lower-cases the host.
pub fn split_authority(authority: &str, scheme: Scheme) -> Result<(String, u16), String> {
    check_authority(authority)?;
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("has an unclosed [")?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .map_err(|_| format!("port {p:?} is not a number"))?,
        None => scheme.default_port(),
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// Checks `host[:port]`: DNS name characters or an IP literal.
pub fn check_authority(authority: &str) -> Result<(), String> {
    if authority.is_empty() {
        return Err("is empty".into());
    }
    let host = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("has an unclosed [")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        let port_ok = after
            .strip_prefix(':')
            .is_some_and(|p| p.parse::<u16>().is_ok());
        if !(after.is_empty() || port_ok) {
            return Err(format!("{authority:?} has a bad port"));
        }
        return Ok(());
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => {
                p.parse::<u16>()
                    .map_err(|_| format!("{authority:?} has a bad port"))?;
                h
            }
            None => authority,
        }
    };
    let ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("{host:?} is not a host name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_need_a_scheme() {
        assert!(
            HostPattern::parse("api.example.com")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            HostPattern::parse("ftp://api.example.com")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(HostPattern::parse("https://api.example.com/path").is_err());
        assert!(HostPattern::parse("https://*.example.com").is_err());
        let p = HostPattern::parse("https://{account}.example.com:8443").unwrap();
        assert_eq!(p.placeholders(), vec!["account"]);
    }

    #[test]
    fn authorities() {
        assert_eq!(
            split_authority("Api.Example.com", Scheme::Https).unwrap(),
            ("api.example.com".into(), 443)
        );
        assert_eq!(
            split_authority("127.0.0.1:8080", Scheme::Http).unwrap(),
            ("127.0.0.1".into(), 8080)
        );
        assert_eq!(
            split_authority("[::1]:9", Scheme::Http).unwrap(),
            ("::1".into(), 9)
        );
        assert!(split_authority("a b", Scheme::Http).is_err());
        assert!(split_authority("host:99999", Scheme::Http).is_err());
    }
}
