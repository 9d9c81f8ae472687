//! What an install is granted and what one invocation may consume.
//!
//! A [`Grant`] is resolved once per install from the manifest, the tenant's
//! configuration and the operator's settings: the concrete hosts, the data
//! scopes, the secrets to inject. [`Limits`] are the per-invocation caps the
//! runtime enforces.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use lockgate_manifest::{AbsenceWindow, ClientAuth, HostPattern, Manifest, ResolvedHost, Scope};

/// Per-invocation resource caps.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Linear memory per instance, unless the manifest asks for more.
    pub memory_bytes: u64,
    /// The most a manifest's `memory-mb` may ask for (the operator's
    /// ceiling); the runtime's pool slots are sized to it.
    pub max_memory_bytes: u64,
    /// Wall-clock budget of one invocation, host calls and HTTP included.
    pub deadline: Duration,
    pub max_requests: u32,
    /// Response body bytes over all requests of the invocation.
    pub max_response_bytes: u64,
    pub max_outcome_rows: u64,
    /// Message and partner-body bytes over all rows of a run; past it rows
    /// are kept with their texts cut, and one log line says how many.
    pub max_row_bytes: u64,
    /// Log, stdout and stderr together; more is dropped with a marker line.
    pub max_log_bytes: usize,
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub between_bytes_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            max_memory_bytes: 256 << 20,
            deadline: Duration::from_secs(30),
            max_requests: 10_000,
            max_response_bytes: 256 << 20,
            max_outcome_rows: 250_000,
            max_row_bytes: 32 << 20,
            max_log_bytes: 1 << 20,
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(30),
            between_bytes_timeout: Duration::from_secs(15),
        }
    }
}

impl Limits {
    /// These limits for a connector whose manifest asks for `memory_mb`:
    /// the larger of the default and the request, never past the ceiling.
    pub fn for_connector(&self, memory_mb: Option<u32>) -> Limits {
        let asked = u64::from(memory_mb.unwrap_or(0)) << 20;
        Limits {
            memory_bytes: self.memory_bytes.max(asked.min(self.max_memory_bytes)),
            ..self.clone()
        }
    }

    /// "64 MiB" / "512 KiB" / "300 B".
    pub fn human_bytes(bytes: u64) -> String {
        if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
            format!("{} MiB", bytes >> 20)
        } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
            format!("{} KiB", bytes >> 10)
        } else {
            format!("{bytes} B")
        }
    }

    /// "30 s" / "250 ms".
    pub fn human_duration(d: Duration) -> String {
        if d.subsec_millis() == 0 {
            format!("{} s", d.as_secs())
        } else {
            format!("{} ms", d.as_millis())
        }
    }
}

/// Operator settings that widen what installs may reach.
#[derive(Debug, Clone, Default)]
pub struct OperatorPolicy {
    /// `host:port` pairs reachable over plain HTTP, and allowed to resolve to
    /// private or loopback addresses (local partners, tests).
    pub insecure_hosts: BTreeSet<(String, u16)>,
    /// Review runs only: every granted host is answered by this loopback
    /// recorder over plain HTTP, so a connector under review never reaches
    /// a real partner.
    pub review_partner: Option<std::net::SocketAddr>,
}

impl OperatorPolicy {
    /// Parses `HOST:PORT` as given on the command line.
    pub fn allow(&mut self, host_port: &str) -> Result<(), String> {
        let (host, port) = lockgate_manifest::hosts::split_authority(
            host_port,
            lockgate_manifest::hosts::Scheme::Http,
        )
        .map_err(|e| format!("{host_port:?}: {e}"))?;
        if !host_port.contains(':') || host_port.ends_with(']') {
            return Err(format!("{host_port:?}: give HOST:PORT"));
        }
        self.insecure_hosts.insert((host, port));
        Ok(())
    }

    pub fn is_insecure_allowed(&self, host: &str, port: u16) -> bool {
        self.insecure_hosts.contains(&(host.to_string(), port))
    }
}

/// A secret header the host adds to requests for one host.
#[derive(Clone)]
pub struct SecretHeader {
    pub host: String,
    pub port: u16,
    pub header: http::HeaderName,
    pub value: http::HeaderValue,
}

impl std::fmt::Debug for SecretHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretHeader({} for {}:{}, value redacted)",
            self.header, self.host, self.port
        )
    }
}

/// OAuth2 client credentials the host uses on the install's behalf.
#[derive(Clone)]
pub struct OAuthClient {
    pub token_host: ResolvedHost,
    /// Path (and query) of the token endpoint on `token_host`.
    pub token_path: String,
    /// Where the access token is sent.
    pub api_host: ResolvedHost,
    pub client_id: String,
    pub client_secret: String,
    pub scope: Option<String>,
    pub client_auth: ClientAuth,
    /// Names these credentials in the token cache without holding the
    /// secret: a change of id, secret, endpoint or scope is a new entry.
    pub cache_key: [u8; 32],
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OAuthClient({} at {}, token for {}, secret redacted)",
            self.client_id,
            self.token_url(),
            self.api_host
        )
    }
}

impl OAuthClient {
    pub fn token_url(&self) -> String {
        format!("{}{}", self.token_host, self.token_path)
    }

    fn key(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut hash = sha2::Sha256::new();
        for part in [
            self.token_url().as_str(),
            self.client_id.as_str(),
            self.client_secret.as_str(),
            self.scope.as_deref().unwrap_or(""),
            &self.api_host.to_string(),
        ] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize().into()
    }
}

/// Everything one install may use.
#[derive(Debug, Clone)]
pub struct Grant {
    pub hosts: Vec<ResolvedHost>,
    pub operator: OperatorPolicy,
    pub scopes: Vec<Scope>,
    pub absence_window: Option<AbsenceWindow>,
    pub attendance_window: Option<AbsenceWindow>,
    pub secrets: Vec<SecretHeader>,
    pub oauth: Option<Arc<OAuthClient>>,
}

impl Grant {
    /// Plain HTTP goes only to hosts the operator allowed, or to the review
    /// partner standing in for every host.
    pub fn plain_http_allowed(&self, host: &str, port: u16) -> bool {
        self.operator.review_partner.is_some() || self.operator.is_insecure_allowed(host, port)
    }

    /// Resolves the manifest's requests against a configuration. `config`
    /// holds every value, secrets included; secrets end up only in headers.
    pub fn resolve(
        manifest: &Manifest,
        config: &BTreeMap<String, String>,
        operator: OperatorPolicy,
    ) -> Result<Grant, Vec<String>> {
        let mut problems = Vec::new();
        let mut hosts = Vec::new();
        let mut by_pattern = BTreeMap::new();
        for pattern in &manifest.hosts {
            match HostPattern::parse(pattern).and_then(|p| p.resolve(manifest, config)) {
                Ok(host) => {
                    by_pattern.insert(pattern.clone(), host.clone());
                    if !hosts.contains(&host) {
                        hosts.push(host);
                    }
                }
                Err(e) => problems.push(format!("host {pattern}: {e}")),
            }
        }
        let mut secrets = Vec::new();
        for field in manifest.config.iter().filter(|f| f.secret) {
            let (Some(inject), Some(value)) = (&field.inject, config.get(&field.key)) else {
                continue;
            };
            let Some(host) = by_pattern.get(&inject.host) else {
                continue;
            };
            let text = inject
                .format
                .as_deref()
                .unwrap_or("{value}")
                .replace("{value}", value);
            let header = http::HeaderName::try_from(inject.header.as_str());
            let value = http::HeaderValue::try_from(text);
            match (header, value) {
                (Ok(header), Ok(mut value)) => {
                    value.set_sensitive(true);
                    secrets.push(SecretHeader {
                        host: host.host.clone(),
                        port: host.port,
                        header,
                        value,
                    });
                }
                _ => problems.push(format!(
                    "config field {}: the value cannot be sent as a header",
                    field.key
                )),
            }
        }
        let oauth = match &manifest.oauth2 {
            None => None,
            Some(spec) => {
                let value = |key: &str| {
                    config
                        .get(key)
                        .or(manifest.field(key).and_then(|f| f.default.as_ref()))
                        .filter(|v| !v.is_empty())
                        .cloned()
                };
                let token = spec.token_origin_and_path().and_then(|(origin, path)| {
                    let host = by_pattern
                        .get(&origin)
                        .ok_or_else(|| format!("{origin} is not one of the hosts"))?;
                    Ok((host.clone(), path))
                });
                match (
                    token,
                    by_pattern.get(&spec.host),
                    value(&spec.client_id),
                    value(&spec.client_secret),
                ) {
                    (Ok((token_host, token_path)), Some(api_host), Some(id), Some(secret)) => {
                        let mut client = OAuthClient {
                            token_host,
                            token_path,
                            api_host: api_host.clone(),
                            client_id: id,
                            client_secret: secret,
                            scope: spec.scope.clone(),
                            client_auth: spec.client_auth,
                            cache_key: [0; 32],
                        };
                        client.cache_key = client.key();
                        Some(Arc::new(client))
                    }
                    (Err(e), ..) => {
                        problems.push(format!("oauth2 token-url: {e}"));
                        None
                    }
                    (_, None, ..) => {
                        problems.push(format!("oauth2 host {} is not one of the hosts", spec.host));
                        None
                    }
                    (_, _, None, _) => {
                        problems.push(format!("config field {} has no value", spec.client_id));
                        None
                    }
                    (_, _, _, None) => {
                        problems.push(format!("config field {} has no value", spec.client_secret));
                        None
                    }
                }
            }
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Grant {
            hosts,
            operator,
            scopes: manifest.scopes.clone(),
            absence_window: manifest.absence_window,
            attendance_window: manifest.attendance_window,
            secrets,
            oauth,
        })
    }
}
