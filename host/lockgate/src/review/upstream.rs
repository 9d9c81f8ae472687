//! Where the review partner forwards a connector's requests: the
//! partner's test API. On the partner's own machine (`plugin vet
//! --partner-url`) it is whatever the partner named. On the platform the
//! address comes from a submission, so it is reached the way the sandbox
//! reaches partners: HTTPS unless the operator allows that test API over
//! plain HTTP, the name resolved here and only globally reachable
//! addresses used (private and loopback ones only where the operator
//! allows that test API, metadata addresses never), and the connection
//! made to the vetted address so a second lookup cannot rebind it.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use crate::capabilities::addresses;
use crate::policy::PartnerPolicy;

/// How long resolving the test API's name may take.
const RESOLVE_TIME: Duration = Duration::from_secs(5);
/// How long one forwarded exchange may take.
const EXCHANGE_TIME: Duration = Duration::from_secs(30);

/// What the report calls the test API on the platform, in place of its
/// address.
pub const TEST_API: &str = "the partner's test API";

/// The partner's test API the review partner forwards to.
#[derive(Clone)]
pub struct Upstream {
    /// `scheme://host[:port][/path]`.
    pub base: String,
    /// On the platform: the `host:port` pairs of test APIs the operator
    /// allows over plain HTTP and at private addresses; the address is
    /// vetted ([`client`]) and never shown. `None` on the partner's own
    /// machine.
    pub platform: Option<BTreeSet<(String, u16)>>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.platform {
            Some(_) => write!(f, "Upstream({TEST_API}, address withheld)"),
            None => write!(f, "Upstream({})", self.base),
        }
    }
}

impl Upstream {
    /// The partner's own test API, as `plugin vet --partner-url` names it.
    pub fn local(base: String) -> Upstream {
        Upstream {
            base,
            platform: None,
        }
    }

    /// How the report names it.
    pub fn shown(&self) -> String {
        match self.platform {
            Some(_) => TEST_API.to_string(),
            None => self.base.clone(),
        }
    }
}

/// A client that reaches the test API at `base` only at vetted
/// addresses, for one exchange; the error says why not, without the
/// address.
pub async fn client(
    base: &str,
    allow_http: &BTreeSet<(String, u16)>,
) -> Result<reqwest::Client, String> {
    let policy = PartnerPolicy {
        insecure_test_hosts: allow_http.clone(),
        ..PartnerPolicy::default()
    };
    let url = policy
        .test_url(base)
        .map_err(|why| format!("{TEST_API} cannot be used: its address {why}"))?;
    let host = url.origin.host.clone();
    let allowed = policy.is_insecure_allowed(&host, url.origin.port);
    let found = tokio::time::timeout(
        RESOLVE_TIME,
        tokio::net::lookup_host((host.as_str(), url.origin.port)),
    )
    .await
    .map_err(|_| format!("the name of {TEST_API} did not resolve in time"))?
    .map_err(|_| format!("the name of {TEST_API} does not resolve"))?;
    let mut vetted: Vec<SocketAddr> = Vec::new();
    let mut refused = None;
    for addr in found {
        match addresses::check(addr.ip()) {
            Err(refusal) if refusal.metadata || !allowed => {
                refused.get_or_insert_with(|| refusal.to_string());
            }
            _ => vetted.push(addr),
        }
    }
    if vetted.is_empty() {
        return Err(format!(
            "{TEST_API} is at an address the platform does not reach {}; give a public https:// address",
            refused.unwrap_or_default()
        ));
    }
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(EXCHANGE_TIME)
        .connect_timeout(RESOLVE_TIME);
    // An IP literal is connected to as it is (it was vetted itself); a
    // name only at the addresses vetted here.
    if host.parse::<std::net::IpAddr>().is_err() {
        builder = builder.resolve_to_addrs(&host, &vetted);
    }
    builder
        .build()
        .map_err(|_| format!("{TEST_API} cannot be reached: no HTTP client"))
}
