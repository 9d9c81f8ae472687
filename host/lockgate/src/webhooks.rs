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
}

impl Delivery {
    pub fn to_wit(&self) -> crate::bindings::WebhookRequest {
        crate::bindings::WebhookRequest {
            method: self.method.clone(),
            path: self.path.clone(),
            headers: self.headers.clone(),
            body: hex::decode(&self.body).unwrap_or_default(),
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

async fn secret(state: &App, install_id: &str) -> Option<String> {
    let sealed = state.store.webhook_secret(install_id).await.ok()??;
    state
        .secrets
        .open(&format!("{install_id}#webhook"), &sealed)
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
    let install = match state.store.install(install_id).await? {
        Some(i) if i.status != InstallStatus::Deleted => i,
        _ => return Err(DeliveryError::NotFound),
    };
    let Some(secret) = secret(state, install_id).await else {
        return Err(DeliveryError::NotFound);
    };
    if !authentic(&secret, headers, body) {
        return Err(DeliveryError::Unauthenticated);
    }
    if install.status != InstallStatus::Connected {
        return Err(DeliveryError::Inactive);
    }
    let digest = hex::encode(Sha256::digest(body));
    let replay = state.store.delivered_before(&install.id, &digest).await?;
    let delivery = Delivery {
        method: method.to_string(),
        path,
        // The credential stays with the host.
        headers: headers
            .iter()
            .filter(|(k, _)| *k != http::header::AUTHORIZATION && k.as_str() != SIGNATURE_HEADER)
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: hex::encode(body),
        digest,
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
            due_at: crate::time::now_text(),
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
}
