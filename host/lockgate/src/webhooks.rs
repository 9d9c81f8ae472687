//! Inbound webhooks. An install whose connector declares a webhook trigger
//! gets its own address, `/hooks/{install}` (anything below it is passed on
//! as the path), and a secret that is shown to the admin once. A delivery
//! must carry the secret: `Authorization: Bearer <secret>`, or an
//! HMAC-SHA256 of the raw body keyed with it in `X-Lockgate-Signature:
//! sha256=<hex>`. Otherwise it is refused with 401 and nothing is stored.
//!
//! An accepted delivery (at most 1 MiB) is stored as a job and answered at
//! once with `202 Accepted` and its delivery id; a worker hands it to the
//! connector's `handle-webhook`, and the run shows in monitoring. The
//! connector's own answer is recorded there, not returned to the caller:
//! deliveries are always queued. A delivery whose body was delivered
//! before is marked as a replay in monitoring and still handed over (the
//! connector's idempotency keys keep it harmless).
//!
//! The instant the host received a delivery (by the app's clock) travels
//! with it through the queue: the connector gets it as the request header
//! `x-lockgate-received-at` (RFC 3339, UTC, e.g.
//! `2026-03-28T23:59:59.000000Z`), however late a worker runs the job. A
//! header of that name sent by the caller is dropped. This is how a
//! connector dates what the delivery reports, such as a hire whose start
//! date the tracker left open. Contract 0.2.0 also carries it as the
//! request's `received-at`; the header stays for 0.1.0 connectors, whose
//! `webhook-request` has no such field.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::store::{NewJob, StoreError};
use crate::vocabulary::{InstallStatus, JobKind, RunTrigger};

/// The largest delivery body accepted.
pub const MAX_DELIVERY_BYTES: usize = 1 << 20;

/// The header carrying `sha256=<hex HMAC of the body>`.
pub const SIGNATURE_HEADER: &str = "x-lockgate-signature";

/// The header the connector finds the delivery's receipt instant in.
pub const RECEIVED_AT_HEADER: &str = "x-lockgate-received-at";

/// A delivery as stored for the worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// The body, hex-encoded.
    pub body: String,
    /// SHA-256 of the body, to recognise replays.
    pub digest: String,
    /// When the host received it, by the app's clock (canonical instant);
    /// `None` for deliveries queued before hosts recorded it.
    #[serde(default)]
    pub received_at: Option<String>,
}

impl Delivery {
    /// The request the connector's `handle-webhook` gets: the caller's
    /// headers (without credentials) and [`RECEIVED_AT_HEADER`].
    pub fn to_wit(&self) -> crate::bindings::WebhookRequest {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(RECEIVED_AT_HEADER))
            .cloned()
            .collect();
        if let Some(at) = &self.received_at {
            headers.push((RECEIVED_AT_HEADER.to_string(), at.clone()));
        }
        crate::bindings::WebhookRequest {
            method: self.method.clone(),
            path: self.path.clone(),
            headers,
            body: hex::decode(&self.body).unwrap_or_default(),
            // A delivery queued before hosts recorded the receipt is dated
            // by its run, as it always was.
            received_at: self
                .received_at
                .clone()
                .unwrap_or_else(crate::time::now_text),
        }
    }
}

/// The path an install's deliveries go to.
pub fn path(install_id: &str) -> String {
    format!("/hooks/{install_id}")
}

/// Makes, seals and stores a new secret for the install; returns it. This
/// is the only time it is visible.
pub async fn issue_secret(state: &App, install_id: &str) -> Result<String, StoreError> {
    let bytes: [u8; 24] = rand::rng().random();
    let secret = format!("whsec_{}", hex::encode(bytes));
    let sealed = state.secrets.seal(
        &format!("{install_id}#webhook"),
        &[("secret".to_string(), secret.clone())].into(),
    );
    state
        .store
        .set_webhook_secret(install_id, Some(&sealed))
        .await?;
    Ok(secret)
}

fn open_secret(state: &App, install_id: &str, sealed: &str) -> Option<String> {
    state
        .secrets
        .open(&format!("{install_id}#webhook"), sealed)
        .ok()?
        .remove("secret")
}

/// Whether the delivery carries the secret, as a bearer token or as the
/// body's HMAC. Both comparisons take the same time whatever matches.
pub fn authentic(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    if let Some(given) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        let a = Sha256::digest(given.trim().as_bytes());
        let b = Sha256::digest(secret.as_bytes());
        // Equal digests of equal length; the fold does not stop early.
        return a
            .iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0;
    }
    let Some(signature) = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// `sha256=<hex>` for a body, as a partner tool would send it.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Why a delivery was refused; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// No install with a webhook at this address.
    #[error("webhook not found")]
    NotFound,
    #[error(
        "send the install's webhook secret as Authorization: Bearer <secret>, or sign the body: {SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256>"
    )]
    Unauthenticated,
    #[error("the integration is not active; deliveries are refused until it is reconnected")]
    Inactive,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A delivery stored for the connector.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The delivery's id (its job's).
    pub id: String,
    /// The same body was delivered before.
    pub replay: bool,
}

/// Checks a delivery for `install_id` and queues it for the connector.
pub async fn accept(
    state: &App,
    install_id: &str,
    method: &str,
    path: String,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Accepted, DeliveryError> {
    let digest = hex::encode(Sha256::digest(body));
    let target = match state.store.webhook_target(install_id, &digest).await? {
        Some(t) if t.install.status != InstallStatus::Deleted => t,
        _ => return Err(DeliveryError::NotFound),
    };
    let (install, replay) = (target.install, target.delivered_before);
    let Some(sealed) = target.sealed_secret else {
        return Err(DeliveryError::NotFound);
    };
    let Some(secret) = open_secret(state, install_id, &sealed) else {
        return Err(DeliveryError::NotFound);
    };
    if !authentic(&secret, headers, body) {
        return Err(DeliveryError::Unauthenticated);
    }
    if install.status != InstallStatus::Connected {
        return Err(DeliveryError::Inactive);
    }
    let received_at = state.clock.now_text();
    let delivery = Delivery {
        method: method.to_string(),
        path,
        // The credential stays with the host; the receipt is the host's to say.
        headers: headers
            .iter()
            .filter(|(k, _)| {
                *k != http::header::AUTHORIZATION
                    && k.as_str() != SIGNATURE_HEADER
                    && k.as_str() != RECEIVED_AT_HEADER
            })
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: hex::encode(body),
        digest,
        received_at: Some(received_at.clone()),
    };
    let id = state
        .enqueue(&NewJob {
            install_id: install.id.clone(),
            tenant_id: install.tenant_id.clone(),
            kind: JobKind::Webhook,
            trigger: if replay {
                RunTrigger::WebhookReplay
            } else {
                RunTrigger::Webhook
            },
            payload: serde_json::to_string(&delivery).ok(),
            dedupe_key: None,
            delivery_digest: Some(delivery.digest.clone()),
            due_at: received_at,
        })
        .await?
        .unwrap_or_default();
    Ok(Accepted { id, replay })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_signature() {
        let mut headers = HeaderMap::new();
        assert!(!authentic("s3", &headers, b"{}"), "nothing sent");
        headers.insert("authorization", "Bearer s3".parse().unwrap());
        assert!(authentic("s3", &headers, b"{}"));
        headers.insert("authorization", "Bearer s4".parse().unwrap());
        assert!(!authentic("s3", &headers, b"{}"));
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, sign("s3", b"{\"a\":1}").parse().unwrap());
        assert!(authentic("s3", &headers, b"{\"a\":1}"));
        assert!(!authentic("s3", &headers, b"{\"a\":2}"), "another body");
        assert!(!authentic("s4", &headers, b"{\"a\":1}"), "another secret");
    }

    #[test]
    fn the_receipt_travels_with_the_delivery() {
        let delivery = Delivery {
            method: "POST".into(),
            path: "/".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                (
                    "X-Lockgate-Received-At".into(),
                    "1999-01-01T00:00:00Z".into(),
                ),
            ],
            body: hex::encode(b"{}"),
            digest: String::new(),
            received_at: Some("2026-03-28T23:59:59.000000Z".into()),
        };
        let stored = serde_json::to_string(&delivery).unwrap();
        let request = serde_json::from_str::<Delivery>(&stored).unwrap().to_wit();
        assert_eq!(
            request.headers,
            [
                ("content-type".to_string(), "application/json".to_string()),
                (
                    RECEIVED_AT_HEADER.to_string(),
                    "2026-03-28T23:59:59.000000Z".to_string()
                ),
            ]
        );
        // Queued before receipts were recorded: no header at all.
        let old = r#"{"method":"POST","path":"/","headers":[],"body":"","digest":""}"#;
        let request = serde_json::from_str::<Delivery>(old).unwrap().to_wit();
        assert!(request.headers.is_empty());
    }
}
