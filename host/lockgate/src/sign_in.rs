//! The admin's sign-in at a partner (OAuth2 authorization code with PKCE,
//! RFC 6749 §4.1 and RFC 7636), for connectors whose manifest declares
//! `flow = "authorization-code"`.
//!
//! [`start`] records a sign-in under way and gives the address at the
//! partner to send the admin to, with a fresh `state` and a PKCE
//! challenge; the admin's browser is bound to it by a cookie. The partner
//! sends the admin back to `/oauth/callback`, where [`finish`] takes the
//! sign-in (once), checks the browser binding and exchanges the code
//! through the install's vetted egress. The tokens are sealed like the
//! install's other secrets; runs open them ([`Vault`]) and renew the
//! access token before it expires. [`sign_out`] revokes where the partner
//! offers it and forgets the tokens. No token is ever shown, logged or
//! given to the connector.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::app::App;
use crate::capabilities::Recorder;
use crate::capabilities::oauth::{self, Tokens, Vault};
use crate::capabilities::transport::{Route, Timeouts};
use crate::policy::{Grant, OAuthClient};
use crate::store::InstallRecord;
use crate::store::installs::PendingSignIn;
use crate::vocabulary::InstallStatus;

/// How long the admin has to sign in at the partner and come back.
const SIGN_IN_MINUTES: i64 = 10;
/// The cookie binding a sign-in under way to the browser that started it.
pub const BINDING_COOKIE: &str = "lockgate_sign_in";
/// Where the partner sends the admin back to.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// Why a sign-in could not start or finish, in words for the admin.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn random_text() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The install's OAuth2 client with its grant, for the authorization-code
/// flow; the error says why there is none.
async fn client_of(
    state: &App,
    install: &InstallRecord,
) -> Result<(Arc<Grant>, Arc<OAuthClient>, Arc<crate::runtime::Plugin>), String> {
    let plugin = state
        .load_plugin(&install.plugin_sha256)
        .await
        .map_err(|e| e.to_string())?;
    if plugin.manifest.oauth2.as_ref().map(|o| o.flow)
        != Some(lockgate_manifest::OAuthFlow::AuthorizationCode)
    {
        return Err("this connector does not sign in at the partner".into());
    }
    let secrets = state
        .install_secrets(&install.id)
        .await
        .map_err(|e| e.to_string())?;
    let mut config = install.config.clone();
    config.extend(secrets);
    let operator = state
        .policy_for(&install.tenant_id)
        .await
        .map_err(|e| e.to_string())??;
    let grant = Grant::resolve(&plugin.manifest, &config, operator)
        .map_err(|problems| format!("configuration: {}", problems.join("; ")))?;
    let client = grant
        .oauth
        .clone()
        .ok_or("the connector's sign-in is not configured")?;
    Ok((Arc::new(grant), client, plugin))
}

/// A route to the partner outside any run, under the same policy and
/// limits as the install's requests.
fn route(state: &App, grant: Arc<Grant>) -> Route {
    Route {
        grant,
        recorder: Recorder::new(16 << 10),
        tls: state.runtime.tls.clone(),
        timeouts: Timeouts {
            connect: state.limits.connect_timeout,
            first_byte: state.limits.first_byte_timeout,
            between_bytes: state.limits.between_bytes_timeout,
        },
        max_response_bytes: state.limits.max_response_bytes,
    }
}

/// A sign-in started: where to send the admin, and the value of the
/// binding cookie to set in their browser.
pub struct Started {
    pub authorize_url: String,
    pub binding: String,
}

/// Starts a sign-in for `install` by `who`; the partner sends the admin
/// back to `redirect_uri`.
pub async fn start(
    state: &App,
    install: &InstallRecord,
    who: &str,
    redirect_uri: &str,
) -> Result<Started, SignInError> {
    let (grant, client, _) = client_of(state, install)
        .await
        .map_err(SignInError::Invalid)?;
    let Some((origin, path)) = &client.authorize else {
        return Err(SignInError::Invalid(
            "the connector names no address to sign in at".into(),
        ));
    };
    let origin = grant.operator.browser_origin(origin);
    let sign_in_state = random_text();
    let verifier = random_text();
    let binding = random_text();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    let expires = time::OffsetDateTime::now_utc() + time::Duration::minutes(SIGN_IN_MINUTES);
    state
        .store
        .begin_sign_in(&PendingSignIn {
            state_hash: hash(&sign_in_state),
            install_id: install.id.clone(),
            tenant_id: install.tenant_id.clone(),
            binding_hash: hash(&binding),
            verifier: state.secrets.seal(
                &format!("{}#sign-in", install.id),
                &BTreeMap::from([("verifier".to_string(), verifier)]),
            ),
            redirect_uri: redirect_uri.to_string(),
            started_by: who.to_string(),
            expires_at: crate::time::instant(expires),
        })
        .await?;
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", &sign_in_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(scope) = &client.scope {
        query.append_pair("scope", scope);
    }
    let separator = if path.contains('?') { '&' } else { '?' };
    Ok(Started {
        authorize_url: format!("{origin}{path}{separator}{}", query.finish()),
        binding,
    })
}

/// What the partner sent the admin back with.
pub struct Callback {
    pub state: String,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// How a callback ended.
#[derive(Debug)]
pub enum Finished {
    /// Signed in; the install is checked again (Connected or Pending).
    SignedIn {
        tenant_id: String,
        install_id: String,
    },
    /// The sign-in did not complete; the install says why.
    NotSignedIn {
        tenant_id: String,
        install_id: String,
    },
    /// No sign-in under way matches: expired, used, or from another browser.
    Unknown(String),
}

/// Finishes the sign-in the partner sent the admin back for. `binding` is
/// the cookie of the browser that came back.
pub async fn finish(
    state: &App,
    back: Callback,
    binding: Option<&str>,
) -> Result<Finished, crate::store::StoreError> {
    let Some(pending) = state.store.take_sign_in(&hash(&back.state)).await? else {
        return Ok(Finished::Unknown(
            "This sign-in link is unknown or was already used. Start the sign-in again from the integration's page."
                .into(),
        ));
    };
    if crate::time::parse_instant(&pending.expires_at)
        .is_none_or(|at| at < time::OffsetDateTime::now_utc())
    {
        return Ok(Finished::Unknown(format!(
            "This sign-in took longer than {SIGN_IN_MINUTES} minutes. Start it again from the integration's page."
        )));
    }
    if binding.map(hash).as_deref() != Some(pending.binding_hash.as_str()) {
        return Ok(Finished::Unknown(
            "This sign-in was started in another browser. Start it again from the integration's page in this one."
                .into(),
        ));
    }
    let Some(mut install) = state
        .store
        .install(&pending.install_id)
        .await?
        .filter(|i| i.status != InstallStatus::Deleted && i.tenant_id == pending.tenant_id)
    else {
        return Ok(Finished::Unknown(
            "The integration this sign-in was for no longer exists.".into(),
        ));
    };
    let ids = (install.tenant_id.clone(), install.id.clone());
    let not_signed_in = |ids: (String, String)| Finished::NotSignedIn {
        tenant_id: ids.0,
        install_id: ids.1,
    };
    let outcome = exchange(state, &install, &pending, &back).await;
    match outcome {
        Ok((tokens, plugin)) => {
            let vault = Vault::new(state.store.clone(), state.secrets.clone(), &install.id);
            state
                .store
                .set_sign_in(
                    &install.id,
                    Some(&vault.seal(&tokens)),
                    Some(&pending.started_by),
                )
                .await?;
            let secrets = state.install_secrets(&install.id).await.unwrap_or_default();
            crate::installs::settle(state, &plugin, &mut install, &secrets).await?;
            Ok(Finished::SignedIn {
                tenant_id: ids.0,
                install_id: ids.1,
            })
        }
        Err(why) => {
            install.status = InstallStatus::Pending;
            install.status_reason = Some(format!("not signed in: {why}"));
            install.next_run_at = None;
            state.store.update_install(&install).await?;
            Ok(not_signed_in(ids))
        }
    }
}

async fn exchange(
    state: &App,
    install: &InstallRecord,
    pending: &PendingSignIn,
    back: &Callback,
) -> Result<(Tokens, Arc<crate::runtime::Plugin>), String> {
    if let Some(error) = &back.error {
        let mut why = format!("the partner answered {}", clean(error, 80));
        if let Some(text) = &back.error_description {
            why.push_str(&format!(" ({})", clean(text, 160)));
        }
        if error == "access_denied" {
            why.push_str("; access was not granted");
        }
        return Err(why);
    }
    let code = back
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or("the partner sent no authorization code")?;
    let verifier = state
        .secrets
        .open(&format!("{}#sign-in", install.id), &pending.verifier)
        .ok()
        .and_then(|mut m| m.remove("verifier"))
        .ok_or("the sign-in cannot be opened with this host's key; start it again")?;
    let (grant, client, plugin) = client_of(state, install).await?;
    let route = route(state, grant);
    let granted = oauth::token_request(
        &client,
        &route,
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &pending.redirect_uri),
            ("code_verifier", &verifier),
        ],
    )
    .await
    .map_err(|e| with_denials(e.into_reason(), &route))?;
    Ok((Tokens::granted(granted), plugin))
}

/// A failure to reach the partner explained by the policy's denial, if
/// one caused it.
fn with_denials(why: String, route: &Route) -> String {
    match route.recorder.denials().first() {
        Some(denial) => format!("{why}: {denial}"),
        None => why,
    }
}

fn clean(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// What signing out did at the partner.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SignedOut {
    /// Whether the partner confirmed the revocation.
    pub revoked: bool,
    /// Why not, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_note: Option<String>,
}

/// Signs `install` out: revokes the tokens where the partner offers it,
/// forgets them, and leaves the install Pending until someone signs in.
pub async fn sign_out(
    state: &App,
    install: &mut InstallRecord,
    who: &str,
) -> Result<SignedOut, SignInError> {
    let vault = Vault::new(state.store.clone(), state.secrets.clone(), &install.id);
    let stored = vault.load().await.ok().flatten();
    let mut out = SignedOut {
        revoked: false,
        revoke_note: None,
    };
    if let Some((_, tokens)) = &stored {
        match client_of(state, install).await {
            Ok((grant, client, _)) => {
                let route = route(state, grant);
                let (token, hint) = match &tokens.refresh_token {
                    Some(refresh) => (refresh.as_str(), "refresh_token"),
                    None => (tokens.access_token.as_str(), "access_token"),
                };
                match oauth::revoke(&client, &route, token, hint).await {
                    Ok(()) => out.revoked = true,
                    Err(why) => out.revoke_note = Some(with_denials(why, &route)),
                }
            }
            Err(why) => out.revoke_note = Some(why),
        }
    } else {
        out.revoke_note = Some("nobody was signed in".into());
    }
    state.store.set_sign_in(&install.id, None, None).await?;
    if install.status != InstallStatus::Deleted {
        install.status = InstallStatus::Pending;
        install.status_reason = Some(format!(
            "signed out by {who}; sign in at the partner to resume"
        ));
        install.next_run_at = None;
        state.store.update_install(install).await?;
    }
    Ok(out)
}
