//! The webhook credential headers: `Authorization: Bearer <secret>` and
//! `X-Lockgate-Signature: sha256=<hex HMAC>`, checked by
//! [`lockgate::webhooks::authentic`] and by a delivery to `/hooks/…`.

use http::{HeaderMap, HeaderValue};
use lockgate::webhooks::{SIGNATURE_HEADER, authentic, sign};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseResult;

use crate::strategies::text;
use crate::{Api, Request, check, showing};

/// A credential header's value, made from the delivery's secret and body
/// or not.
#[derive(Debug, Clone)]
enum Credential {
    /// Any bytes a header value may hold.
    Raw(Vec<u8>),
    /// `Bearer ` and text.
    BearerText(String),
    /// `Bearer <the secret>`, padded with blanks.
    BearerSecret {
        left: &'static str,
        right: &'static str,
    },
    /// The body's signature, in upper case or not, padded, maybe with one
    /// hex digit changed or cut short.
    Signed {
        upper: bool,
        left: &'static str,
        right: &'static str,
        change: Option<(usize, u8)>,
        cut: Option<usize>,
    },
    /// `sha256=` and text.
    SignedText(String),
}

impl Credential {
    /// The header value, and whether it carries the secret.
    fn value(&self, secret: &str, body: &[u8]) -> (Vec<u8>, bool) {
        match self {
            Credential::Raw(bytes) => (bytes.clone(), false),
            Credential::BearerText(t) => (format!("Bearer {t}").into_bytes(), false),
            Credential::BearerSecret { left, right } => {
                (format!("{left}Bearer {secret}{right}").into_bytes(), true)
            }
            Credential::Signed {
                upper,
                left,
                right,
                change,
                cut,
            } => {
                let signed = sign(secret, body);
                let mut hex = signed["sha256=".len()..].to_string();
                let mut genuine = true;
                if let Some((at, digit)) = change {
                    let at = at % hex.len();
                    let new = char::from(b"0123456789abcdef"[usize::from(*digit % 16)]);
                    genuine &= hex.as_bytes()[at] == new as u8;
                    hex.replace_range(at..at + 1, &new.to_string());
                }
                if let Some(cut) = cut {
                    let cut = cut % hex.len();
                    genuine = false;
                    hex.truncate(cut);
                }
                if *upper {
                    hex = hex.to_uppercase();
                }
                (format!("{left}sha256={hex}{right}").into_bytes(), genuine)
            }
            Credential::SignedText(t) => (format!("sha256={t}").into_bytes(), false),
        }
    }
}

fn blank() -> impl Strategy<Value = &'static str> {
    select(vec!["", " ", "\t", "  "])
}

fn credential() -> impl Strategy<Value = Credential> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..80).prop_map(Credential::Raw),
        1 => text().prop_map(Credential::BearerText),
        1 => (blank(), blank()).prop_map(|(left, right)| Credential::BearerSecret { left, right }),
        3 => (
            any::<bool>(),
            blank(),
            blank(),
            proptest::option::of((any::<usize>(), any::<u8>())),
            proptest::option::weighted(0.2, any::<usize>()),
        )
            .prop_map(|(upper, left, right, change, cut)| Credential::Signed {
                upper,
                left,
                right,
                change,
                cut,
            }),
        1 => text().prop_map(Credential::SignedText),
    ]
}

/// A delivery's credentials: an `Authorization` header, a signature
/// header, both or neither.
#[derive(Debug, Clone)]
struct Credentials {
    authorization: Option<Credential>,
    signature: Option<Credential>,
}

fn credentials() -> impl Strategy<Value = Credentials> {
    (
        proptest::option::of(credential()),
        proptest::option::of(credential()),
    )
        .prop_map(|(authorization, signature)| Credentials {
            authorization,
            signature,
        })
}

impl Credentials {
    /// The headers (values a header may hold; `trim`med of blanks as
    /// HTTP drops them), and whether the delivery carries the secret: a
    /// bearer token when one is sent (then the signature is not looked
    /// at), else a genuine signature.
    fn headers(
        &self,
        secret: &str,
        body: &[u8],
        trim: bool,
    ) -> (Vec<(&'static str, HeaderValue)>, bool) {
        let value = |c: &Credential| {
            let (bytes, genuine) = c.value(secret, body);
            let bytes = if trim { bytes.trim_ascii() } else { &bytes[..] };
            HeaderValue::from_bytes(bytes).ok().map(|v| (v, genuine))
        };
        let mut headers = Vec::new();
        let mut bearer = None;
        let mut signed = false;
        if let Some(c) = &self.authorization
            && let Some((value, genuine)) = value(c)
        {
            let text = value.to_str().ok().map(str::to_string);
            if text.is_some_and(|t| t.starts_with("Bearer ")) {
                bearer = Some(genuine && matches!(c, Credential::BearerSecret { .. }));
            }
            headers.push(("authorization", value));
        }
        if let Some(c) = &self.signature
            && let Some((value, genuine)) = value(c)
        {
            signed = genuine && matches!(c, Credential::Signed { .. });
            headers.push((SIGNATURE_HEADER, value));
        }
        (headers, bearer.unwrap_or(signed))
    }
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "whsec_[0-9a-f]{48}",
        1 => "[!-~]{1,40}",
    ]
}

#[test]
fn the_credential_headers_are_checked_exactly() {
    let input = (secret(), vec(any::<u8>(), 0..256), credentials());
    check(
        "webhook: authentic",
        256,
        input,
        |(secret, body, credentials), tally| {
            let (headers, expected) = credentials.headers(&secret, &body, false);
            let mut map = HeaderMap::new();
            for (name, value) in &headers {
                map.append(*name, value.clone());
            }
            let got = authentic(&secret, &map, &body);
            tally.add(if got { "authentic" } else { "refused" });
            prop_assert_eq!(got, expected, "headers {:?}", headers);
            Ok(())
        },
    );
}

/// An install of the events test connector, which takes webhooks, with
/// its webhook secret; its partner is a closed port.
fn webhook_install(api: &Api) -> String {
    api.block_on(async {
        let app = api.app();
        lockgate::sandbox::ensure_tenant(&app.store, "t-1", 5, 3)
            .await
            .unwrap();
        let bytes = std::fs::read(lockgate_tests::program("test-events")).unwrap();
        let sha = app.artifacts.put(&bytes).await.unwrap();
        let partner = format!("http://127.0.0.1:{}", lockgate_tests::closed_port().await);
        app.store
            .create_install(&lockgate::store::InstallRecord {
                id: "inst-events".into(),
                tenant_id: "t-1".into(),
                connector_id: "test-events".into(),
                plugin_version: "0.1.0".into(),
                plugin_sha256: sha,
                config: [("partner-url".to_string(), partner)].into(),
                status: lockgate::vocabulary::InstallStatus::Connected,
                ..Default::default()
            })
            .await
            .unwrap();
        lockgate::webhooks::issue_secret(app, "inst-events")
            .await
            .unwrap()
    })
}

/// `text` as one path segment. Clients resolve `.` and `..` (also
/// escaped) before sending, so those become other segments.
fn segment(text: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
    match encoded.to_ascii_lowercase().replace("%2e", ".").as_str() {
        "." | ".." => format!("{encoded}x"),
        _ => encoded,
    }
}

#[test]
fn deliveries_are_refused_naming_both_credential_headers() {
    let api = Api::start();
    let secret = webhook_install(&api);
    let input = (
        prop_oneof![4 => Just("inst-events".to_string()), 1 => text()],
        proptest::option::of(text()),
        select(vec!["POST", "PUT", "GET", "PATCH", "DELETE"]),
        vec(any::<u8>(), 0..256),
        credentials(),
    );
    check(
        "webhook: deliveries",
        256,
        input,
        |(install, sub, method, body, credentials), tally| {
            let (headers, genuine) = credentials.headers(&secret, &body, true);
            let mut path = format!("/hooks/{}", segment(&install));
            if let Some(sub) = sub {
                path = format!("{path}/{}?q={}", segment(&sub), segment(&sub));
            }
            let mut request = Request::new(method.parse().unwrap(), path.clone());
            request.body = body;
            for (name, value) in &headers {
                request = request.header(name, value.clone());
            }
            let result = (|| -> TestCaseResult {
                let answer = api.send(request)?.checked()?;
                tally.add(answer.outcome());
                match answer.status {
                    404 => prop_assert!(install != "inst-events", "{}", answer.text),
                    401 => {
                        prop_assert!(!genuine || install != "inst-events", "{}", answer.text);
                        let message = answer.message().to_ascii_lowercase();
                        prop_assert!(
                            message.contains("authorization") && message.contains(SIGNATURE_HEADER),
                            "{:?} names not both headers",
                            answer.message()
                        );
                    }
                    // Accepted, or refused once the install turned inactive.
                    202 | 409 => prop_assert!(genuine, "{}", answer.text),
                    _ => prop_assert!(false, "{}", answer.text),
                }
                Ok(())
            })();
            showing(result, format!("{method} {path} {headers:?}"))
        },
    );
}
