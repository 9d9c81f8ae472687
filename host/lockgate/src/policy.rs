//! What an install is granted and what one invocation may consume.
//!
//! A [`Grant`] is resolved once per install from the manifest, the tenant's
//! configuration and the operator's settings: the concrete hosts, the data
//! scopes, the secrets to inject. [`Limits`] are the per-invocation caps the
//! runtime enforces.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use lockgate_manifest::{
    AbsenceWindow, ClientAuth, HostPattern, Manifest, OAuthFlow, ResolvedHost, Scope,
};

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

/// Operator settings: what installs may reach beyond the public internet
/// over HTTPS, and the terms of the partner programme.
#[derive(Debug, Clone, Default)]
pub struct OperatorPolicy {
    /// `host:port` pairs reachable over plain HTTP, and allowed to resolve to
    /// private or loopback addresses (local partners, tests).
    pub insecure_hosts: BTreeSet<(String, u16)>,
    /// Review runs only: every granted host is answered by this loopback
    /// recorder over plain HTTP, so a connector under review never reaches
    /// a real partner.
    pub review_partner: Option<std::net::SocketAddr>,
    /// A partner's sandbox tenant: the only `host:port` pairs its installs
    /// may reach, whatever their configuration resolves to (the partner's
    /// declared test hosts). `None` everywhere else.
    pub confined_to: Option<BTreeSet<(String, u16)>>,
    pub partners: PartnerPolicy,
}

/// The partner programme's terms: how long a partner's sandbox tenant
/// lasts, and which of the partners' test APIs may be reached over plain
/// HTTP and at private addresses.
#[derive(Debug, Clone)]
pub struct PartnerPolicy {
    /// Days a sandbox tenant lasts from its creation.
    pub sandbox_days: u32,
    /// `host:port` pairs of partners' test APIs reachable over plain HTTP
    /// and at private or loopback addresses: by the sandbox of a partner
    /// that declared one as its test host, and by the review of a
    /// submission that names one as its test endpoint. Nothing else may
    /// use them; the operator's `insecure_hosts` do not apply to partners.
    pub insecure_test_hosts: BTreeSet<(String, u16)>,
}

/// How long a partner's sandbox tenant lasts unless the operator says
/// otherwise: the three months of a partner's test account.
pub const SANDBOX_DAYS: u32 = 90;

impl Default for PartnerPolicy {
    fn default() -> Self {
        PartnerPolicy {
            sandbox_days: SANDBOX_DAYS,
            insecure_test_hosts: BTreeSet::new(),
        }
    }
}

/// A partner's test API as the partner gave it: its origin, and the path
/// the API lives under (empty for the root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUrl {
    pub origin: ResolvedHost,
    pub path: String,
}

impl PartnerPolicy {
    /// Allows the partners' test API at `HOST:PORT` over plain HTTP and at
    /// a private address.
    pub fn allow(&mut self, host_port: &str) -> Result<(), String> {
        self.insecure_test_hosts.insert(parse_host_port(host_port)?);
        Ok(())
    }

    /// Whether plain HTTP and private addresses are allowed for a
    /// partner's test API at `host:port`.
    pub fn is_insecure_allowed(&self, host: &str, port: u16) -> bool {
        self.insecure_test_hosts.contains(&(host.to_string(), port))
    }

    /// Checks a partner's test API address: `https://host[:port][/path]`,
    /// or `http://` where the operator allows that `host:port`. No user
    /// information, query or fragment. The error says what to fix and
    /// does not repeat the address.
    pub fn test_url(&self, url: &str) -> Result<TestUrl, String> {
        let url = url.trim();
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (lockgate_manifest::hosts::Scheme::Https, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (lockgate_manifest::hosts::Scheme::Http, rest)
        } else {
            return Err("must start with https://".into());
        };
        if rest.contains(['?', '#']) {
            return Err("must have no query or fragment".into());
        }
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], rest[at..].trim_end_matches('/')),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err("must have no user information; give credentials as config values".into());
        }
        if authority.contains(['{', '}']) {
            return Err("must be a concrete address, without placeholders".into());
        }
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the path must have no spaces or control characters".into());
        }
        let (host, port) = lockgate_manifest::hosts::split_authority(authority, scheme)
            .map_err(|_| "must name a host (a DNS name or an IP address) and an optional port")?;
        if scheme == lockgate_manifest::hosts::Scheme::Http
            && !self.is_insecure_allowed(&host, port)
        {
            return Err(
                "plain HTTP is allowed only for test APIs the operator lists (partner-allow-http); use https://"
                    .into(),
            );
        }
        Ok(TestUrl {
            origin: ResolvedHost { scheme, host, port },
            path: path.to_string(),
        })
    }

    /// Checks a test host a sandbox may reach: [`PartnerPolicy::test_url`]
    /// without a path.
    pub fn test_origin(&self, origin: &str) -> Result<ResolvedHost, String> {
        let url = self.test_url(origin)?;
        if !url.path.is_empty() {
            return Err("must be an origin, scheme://host[:port], without a path".into());
        }
        Ok(url.origin)
    }
}

/// `HOST:PORT`, as the command line gives it.
fn parse_host_port(host_port: &str) -> Result<(String, u16), String> {
    let (host, port) = lockgate_manifest::hosts::split_authority(
        host_port,
        lockgate_manifest::hosts::Scheme::Http,
    )
    .map_err(|e| format!("{host_port:?}: {e}"))?;
    if !host_port.contains(':') || host_port.ends_with(']') {
        return Err(format!("{host_port:?}: give HOST:PORT"));
    }
    Ok((host, port))
}

impl OperatorPolicy {
    /// The origin a browser visits for `host`: a local partner this
    /// policy allows over plain HTTP is visited so, like the host's
    /// requests go there.
    pub fn browser_origin(&self, host: &ResolvedHost) -> String {
        let origin = host.to_string();
        if self.is_insecure_allowed(&host.host, host.port) {
            origin.replacen("https://", "http://", 1)
        } else {
            origin
        }
    }

    /// Parses `HOST:PORT` as given on the command line.
    pub fn allow(&mut self, host_port: &str) -> Result<(), String> {
        self.insecure_hosts.insert(parse_host_port(host_port)?);
        Ok(())
    }

    pub fn is_insecure_allowed(&self, host: &str, port: u16) -> bool {
        self.insecure_hosts.contains(&(host.to_string(), port))
    }

    /// The policy of a partner's sandbox tenant that declared `test_hosts`:
    /// its installs reach those hosts only, and plain HTTP or private
    /// addresses only where the operator allows that test host
    /// ([`PartnerPolicy::insecure_test_hosts`]); the operator's other
    /// allowances do not apply.
    pub fn for_sandbox(&self, test_hosts: &[ResolvedHost]) -> OperatorPolicy {
        let confined: BTreeSet<(String, u16)> = test_hosts
            .iter()
            .map(|h| (h.host.clone(), h.port))
            .collect();
        OperatorPolicy {
            insecure_hosts: confined
                .iter()
                .filter(|(host, port)| self.partners.is_insecure_allowed(host, *port))
                .cloned()
                .collect(),
            review_partner: None,
            confined_to: Some(confined),
            partners: self.partners.clone(),
        }
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

/// The OAuth2 client the host is on the install's behalf.
#[derive(Clone)]
pub struct OAuthClient {
    pub flow: OAuthFlow,
    pub token_host: ResolvedHost,
    /// Path (and query) of the token endpoint on `token_host`.
    pub token_path: String,
    /// Where the admin signs in (authorization-code flow): origin and path.
    pub authorize: Option<(ResolvedHost, String)>,
    /// Where tokens are revoked on sign-out, if the partner says.
    pub revoke: Option<(ResolvedHost, String)>,
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
                let endpoint = |key: &str, url: &str| {
                    lockgate_manifest::manifest::origin_and_path(key, url).and_then(
                        |(origin, path)| {
                            let host = by_pattern
                                .get(&origin)
                                .ok_or_else(|| format!("{origin} is not one of the hosts"))?;
                            Ok((host.clone(), path))
                        },
                    )
                };
                let token = endpoint("token-url", &spec.token_url);
                let mut other = |key: &str, url: &Option<String>| {
                    url.as_deref().and_then(|url| match endpoint(key, url) {
                        Ok(found) => Some(found),
                        Err(e) => {
                            problems.push(format!("oauth2 {key}: {e}"));
                            None
                        }
                    })
                };
                let authorize = other("authorize-url", &spec.authorize_url);
                let revoke = other("revoke-url", &spec.revoke_url);
                match (
                    token,
                    by_pattern.get(&spec.host),
                    value(&spec.client_id),
                    value(&spec.client_secret),
                ) {
                    (Ok((token_host, token_path)), Some(api_host), Some(id), Some(secret)) => {
                        let mut client = OAuthClient {
                            flow: spec.flow,
                            token_host,
                            token_path,
                            authorize,
                            revoke,
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
        if let Some(allowed) = &operator.confined_to {
            for host in &hosts {
                if !allowed.contains(&(host.host.clone(), host.port)) {
                    let mut declared: Vec<String> =
                        allowed.iter().map(|(h, p)| format!("{h}:{p}")).collect();
                    declared.sort();
                    problems.push(format!(
                        "host {host}: a partner sandbox reaches only its declared test hosts ({}); point the configuration at one of them or declare this one",
                        if declared.is_empty() {
                            "none declared".to_string()
                        } else {
                            declared.join(", ")
                        }
                    ));
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn planner() -> Manifest {
        Manifest::parse(include_bytes!(
            "../../../plugins/planner-export/connector.toml"
        ))
        .expect("the bundled manifest parses")
    }

    #[test]
    fn a_test_api_is_https_unless_the_operator_lists_it() {
        let mut partners = PartnerPolicy::default();
        partners.allow("127.0.0.1:9100").unwrap();
        let url = partners.test_url("https://Sandbox.Example/api/").unwrap();
        assert_eq!(url.origin.to_string(), "https://sandbox.example");
        assert_eq!(url.path, "/api");
        assert!(partners.test_url("http://127.0.0.1:9100").is_ok());
        for (bad, says) in [
            ("http://127.0.0.1:9101", "partner-allow-http"),
            ("ftp://sandbox.example", "https://"),
            ("https://me:secret@sandbox.example", "user information"),
            ("https://sandbox.example/?key=1", "query"),
            ("https://{tenant}.example", "placeholders"),
            ("https://sand box.example", "host"),
        ] {
            let why = partners.test_url(bad).unwrap_err();
            assert!(why.contains(says), "{bad}: {why}");
            assert!(
                !why.contains("secret") && !why.contains("sand box"),
                "{why}"
            );
        }
        assert!(partners.test_origin("https://sandbox.example/api").is_err());
    }

    #[test]
    fn a_sandbox_reaches_only_its_declared_hosts() {
        let mut operator = OperatorPolicy::default();
        operator.allow("127.0.0.1:9200").unwrap();
        operator.partners.allow("127.0.0.1:9100").unwrap();
        let declared = [
            PartnerPolicy::default()
                .test_origin("https://sandbox.planner.example")
                .unwrap(),
            ResolvedHost {
                scheme: lockgate_manifest::hosts::Scheme::Http,
                host: "127.0.0.1".into(),
                port: 9100,
            },
        ];
        let sandbox = operator.for_sandbox(&declared);
        // The partners' allowance applies to the declared test host only;
        // the operator's own allowance not at all.
        assert!(sandbox.is_insecure_allowed("127.0.0.1", 9100));
        assert!(!sandbox.is_insecure_allowed("127.0.0.1", 9200));
        let config = |url: &str| -> BTreeMap<String, String> {
            [
                ("planner-url".to_string(), url.to_string()),
                ("api-key".to_string(), "k".to_string()),
            ]
            .into()
        };
        let grant = Grant::resolve(
            &planner(),
            &config("https://sandbox.planner.example"),
            sandbox.clone(),
        )
        .unwrap();
        assert_eq!(grant.hosts[0].host, "sandbox.planner.example");
        let refused =
            Grant::resolve(&planner(), &config("https://planner.example"), sandbox).unwrap_err();
        assert!(
            refused[0].contains("reaches only its declared test hosts"),
            "{refused:?}"
        );
        // A real tenant is not confined.
        assert!(Grant::resolve(&planner(), &config("https://planner.example"), operator).is_ok());
    }
}
