//! The admin's sign-in (authorization-code flow) as runs use it: the
//! tokens sealed for an install ([`Vault`]), and [`SignedIn`], which one
//! invocation holds and renews with the refresh token shortly before the
//! access token expires, storing what the partner hands back at once (the
//! partner may hand out a new refresh token and void the old).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{TokenError, renew_at, token_request};
use crate::capabilities::transport::Route;
use crate::policy::OAuthClient;
use crate::secrets::SecretBox;
use crate::store::Store;

/// The admin's tokens, as sealed for an install.
#[derive(Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the access token expires, in Unix seconds.
    pub expires_at: i64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens(redacted, expire at {})", self.expires_at)
    }
}

impl Tokens {
    pub fn granted(granted: super::Granted) -> Tokens {
        Tokens {
            expires_at: time::OffsetDateTime::now_utc().unix_timestamp()
                + granted.lifetime.as_secs() as i64,
            access_token: granted.access_token,
            refresh_token: granted.refresh_token,
        }
    }

    /// The tokens after a renewal with `refresh`: the partner's new
    /// refresh token if it rotated it, else the same.
    pub fn renewed(granted: super::Granted, refresh: String) -> Tokens {
        let mut tokens = Tokens::granted(granted);
        tokens.refresh_token = tokens.refresh_token.or(Some(refresh));
        tokens
    }

    fn to_map(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::from([
            ("access_token".to_string(), self.access_token.clone()),
            ("expires_at".to_string(), self.expires_at.to_string()),
        ]);
        if let Some(refresh) = &self.refresh_token {
            map.insert("refresh_token".into(), refresh.clone());
        }
        map
    }

    fn from_map(mut map: BTreeMap<String, String>) -> Option<Tokens> {
        Some(Tokens {
            access_token: map.remove("access_token")?,
            refresh_token: map.remove("refresh_token"),
            expires_at: map.remove("expires_at")?.parse().ok()?,
        })
    }
}

/// One install's sealed tokens in the store.
#[derive(Clone)]
pub struct Vault {
    store: Store,
    key: SecretBox,
    install_id: String,
}

impl Vault {
    pub fn new(store: Store, key: SecretBox, install_id: &str) -> Vault {
        Vault {
            store,
            key,
            install_id: install_id.to_string(),
        }
    }

    fn owner(&self) -> String {
        format!("{}#oauth", self.install_id)
    }

    pub fn seal(&self, tokens: &Tokens) -> String {
        self.key.seal(&self.owner(), &tokens.to_map())
    }

    /// The stored tokens and their sealed text, if an admin is signed in.
    pub async fn load(&self) -> Result<Option<(String, Tokens)>, String> {
        let Some(sealed) = self
            .store
            .sign_in_tokens(&self.install_id)
            .await
            .map_err(|e| format!("could not read the sign-in: {e}"))?
        else {
            return Ok(None);
        };
        let tokens = self
            .key
            .open(&self.owner(), &sealed)
            .ok()
            .and_then(Tokens::from_map)
            .ok_or("the stored sign-in cannot be opened with this host's key; sign in again")?;
        Ok(Some((sealed, tokens)))
    }

    /// Stores renewed tokens in place of `old`; `None` when the stored
    /// sign-in changed meanwhile.
    pub async fn replace(&self, old: &str, tokens: &Tokens) -> Result<Option<String>, String> {
        let sealed = self.seal(tokens);
        let replaced = self
            .store
            .replace_sign_in_tokens(&self.install_id, old, &sealed)
            .await
            .map_err(|e| format!("could not store the renewed sign-in: {e}"))?;
        Ok(replaced.then_some(sealed))
    }

    /// The partner refused the tokens `old`: they are forgotten and the
    /// install waits for an admin to sign in again.
    pub async fn lost(&self, old: &str, why: &str) {
        let reason = format!("sign in again: the partner no longer accepts the sign-in ({why})");
        if let Err(e) = self
            .store
            .sign_in_lost(&self.install_id, old, &reason)
            .await
        {
            tracing::warn!(install = %self.install_id, "could not record the lost sign-in: {e}");
        }
    }
}

/// The admin's sign-in as one run holds it: the tokens opened from the
/// install's sealed copy, renewed with the refresh token shortly before
/// the access token expires, each renewal stored again at once (the
/// partner may hand out a new refresh token and void the old).
pub struct SignedIn {
    /// Where the tokens are kept; `None` for a review run's stand-in token,
    /// which is never renewed.
    vault: Option<Vault>,
    held: tokio::sync::Mutex<Held>,
}

struct Held {
    /// The sealed text these tokens were opened from: another process's
    /// renewal changes it.
    sealed: String,
    tokens: Tokens,
    header: Option<http::HeaderValue>,
    renew_at: Instant,
}

impl Held {
    fn new(sealed: String, tokens: Tokens) -> Held {
        let header = http::HeaderValue::try_from(format!("Bearer {}", tokens.access_token))
            .ok()
            .map(|mut h| {
                h.set_sensitive(true);
                h
            });
        let left = tokens.expires_at - time::OffsetDateTime::now_utc().unix_timestamp();
        let renew_at = if left > 0 {
            renew_at(Duration::from_secs(left as u64))
        } else {
            Instant::now()
        };
        Held {
            sealed,
            tokens,
            header,
            renew_at,
        }
    }

    fn current(&self) -> Option<http::HeaderValue> {
        self.header
            .clone()
            .filter(|_| Instant::now() < self.renew_at)
    }
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignedIn(tokens redacted)")
    }
}

impl SignedIn {
    pub fn new(vault: Vault, sealed: String, tokens: Tokens) -> SignedIn {
        SignedIn {
            vault: Some(vault),
            held: tokio::sync::Mutex::new(Held::new(sealed, tokens)),
        }
    }

    /// A sign-in that holds `access_token` for an hour and is never
    /// renewed: what a review run sends to the review partner.
    pub fn fixed(access_token: &str) -> SignedIn {
        let tokens = Tokens {
            access_token: access_token.to_string(),
            refresh_token: None,
            expires_at: time::OffsetDateTime::now_utc().unix_timestamp() + 3600,
        };
        SignedIn {
            vault: None,
            held: tokio::sync::Mutex::new(Held::new(String::new(), tokens)),
        }
    }

    pub(super) async fn bearer(
        &self,
        client: &OAuthClient,
        route: &Route,
    ) -> Result<http::HeaderValue, String> {
        let mut held = self.held.lock().await;
        if let Some(header) = held.current() {
            return Ok(header);
        }
        let Some(vault) = &self.vault else {
            return Err("the access token expired".into());
        };
        // Twice at most: once more when another process renewed first.
        for _ in 0..2 {
            let Some(refresh) = held.tokens.refresh_token.clone() else {
                let why = "the access token expired and the partner gave no refresh token";
                vault.lost(&held.sealed, why).await;
                return Err(format!("{why}; sign in again"));
            };
            let answer = token_request(
                client,
                route,
                vec![("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await;
            match answer {
                Ok(granted) => {
                    let tokens = Tokens::renewed(granted, refresh);
                    match vault.replace(&held.sealed, &tokens).await? {
                        Some(sealed) => *held = Held::new(sealed, tokens),
                        // Signed out or renewed elsewhere meanwhile: the
                        // stored sign-in wins.
                        None => match vault.load().await? {
                            Some((sealed, stored)) => *held = Held::new(sealed, stored),
                            None => return Err("the admin signed out meanwhile".into()),
                        },
                    }
                    if let Some(header) = held.current() {
                        return Ok(header);
                    }
                }
                Err(TokenError::Refused(why)) => {
                    // Another process may have used the refresh token
                    // first and stored its successor.
                    if let Some((sealed, stored)) = vault.load().await?
                        && sealed != held.sealed
                    {
                        *held = Held::new(sealed, stored);
                        if let Some(header) = held.current() {
                            return Ok(header);
                        }
                        continue;
                    }
                    vault.lost(&held.sealed, &why).await;
                    return Err(format!(
                        "the partner no longer accepts the sign-in ({why}); an admin must sign in again"
                    ));
                }
                Err(TokenError::Failed(why)) => return Err(why),
            }
        }
        Err("the sign-in keeps changing under this run; try again".into())
    }

    /// The API host refused `used`: the next request renews it.
    pub(super) async fn expire(&self, used: &http::HeaderValue) {
        let mut held = self.held.lock().await;
        if held.header.as_ref() == Some(used) {
            held.renew_at = Instant::now();
        }
    }
}

/// Why a connector that signs in by authorization code cannot run yet.
pub const NOT_SIGNED_IN: &str =
    "nobody has signed in at the partner for this integration; an admin must sign in from its page";

/// The admin's sign-in for `install`, opened for an invocation, if there
/// is one (and a key to open it with); `Err` when it cannot be opened.
pub async fn session(
    store: &Store,
    key: Option<&SecretBox>,
    install_id: &str,
) -> Result<Option<Arc<SignedIn>>, String> {
    let Some(key) = key else {
        return Ok(None);
    };
    let vault = Vault::new(store.clone(), key.clone(), install_id);
    Ok(vault
        .load()
        .await?
        .map(|(sealed, tokens)| Arc::new(SignedIn::new(vault, sealed, tokens))))
}
