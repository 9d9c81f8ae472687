//! Who is calling the API. Bearer tokens carry a role: the operator (runs
//! the marketplace and reviews), a partner (its own connectors only) or a
//! tenant admin (its own tenant only, and only with the right to manage
//! marketplace integrations). Only a token's SHA-256 is stored.

use rand::Rng;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

use crate::principal::{OPERATOR_PUBLISHER, names_the_operator};
pub use crate::principal::{Principal, Role};

/// What a new token is for.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub role: Role,
    pub partner_id: Option<String>,
    pub tenant_id: Option<String>,
    pub marketplace_right: bool,
    pub label: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a token and returns it; this is the only time it is visible.
pub async fn create_token(store: &Store, new: NewToken) -> Result<(String, Principal), TokenError> {
    match new.role {
        Role::Operator if new.partner_id.is_some() || new.tenant_id.is_some() => {
            return Err(TokenError::Invalid(
                "an operator token belongs to no partner or tenant".into(),
            ));
        }
        Role::Partner
            if new.partner_id.as_deref().is_none_or(str::is_empty) || new.tenant_id.is_some() =>
        {
            return Err(TokenError::Invalid(
                "a partner token needs --partner ID and no tenant".into(),
            ));
        }
        Role::Partner if new.partner_id.as_deref().is_some_and(names_the_operator) => {
            return Err(TokenError::Invalid(format!(
                "partner ids that read as {OPERATOR_PUBLISHER} are the operator's own; give the partner its own id"
            )));
        }
        Role::TenantAdmin
            if new.tenant_id.as_deref().is_none_or(str::is_empty) || new.partner_id.is_some() =>
        {
            return Err(TokenError::Invalid(
                "a tenant-admin token needs --tenant ID and no partner".into(),
            ));
        }
        _ => {}
    }
    if let (Role::TenantAdmin, Some(tenant)) = (new.role, &new.tenant_id)
        && store.sandbox_of_tenant(tenant).await?.is_some()
    {
        return Err(TokenError::Invalid(format!(
            "tenant {tenant} is a partner's sandbox; only that partner's token opens it"
        )));
    }
    let secret: [u8; 32] = rand::rng().random();
    let token = format!("lg_{}", hex::encode(secret));
    let principal = Principal {
        token_id: crate::store::new_id("tok"),
        role: new.role,
        partner_id: new.partner_id,
        tenant_id: new.tenant_id,
        marketplace_right: new.role != Role::TenantAdmin || new.marketplace_right,
        label: new.label,
    };
    store.insert_token(&hash_token(&token), &principal).await?;
    Ok((token, principal))
}

/// The caller a bearer token stands for, if any.
pub async fn authenticate(store: &Store, token: &str) -> Result<Option<Principal>, StoreError> {
    if !token.starts_with("lg_") || token.len() != 67 {
        return Ok(None);
    }
    store.token(&hash_token(token)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_partner_token_reads_as_the_operator() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        for id in ["lockgate", "Lockgate GmbH", "lock-gate"] {
            let new = NewToken {
                role: Role::Partner,
                partner_id: Some(id.into()),
                tenant_id: None,
                marketplace_right: true,
                label: "test".into(),
            };
            let refused = create_token(&store, new).await;
            assert!(
                matches!(&refused, Err(TokenError::Invalid(why)) if why.contains("operator")),
                "{id}"
            );
        }
        let new = NewToken {
            role: Role::Partner,
            partner_id: Some("planner-co".into()),
            tenant_id: None,
            marketplace_right: true,
            label: "test".into(),
        };
        assert!(create_token(&store, new).await.is_ok());
    }

    #[tokio::test]
    async fn no_tenant_admin_token_opens_a_partners_sandbox() {
        let store = Store::open("sqlite::memory:").await.unwrap();
        let now = crate::time::now_text();
        let sandbox = crate::store::PartnerSandbox {
            partner_id: "planner-co".into(),
            tenant_id: "sandbox-plannerco-1".into(),
            test_hosts: Vec::new(),
            employees: 1,
            seed: 1,
            created_at: now.clone(),
            expires_at: "2999-01-01T00:00:00.000000Z".into(),
            removed_at: None,
        };
        store.claim_partner_sandbox(&sandbox, &now).await.unwrap();
        let admin = |tenant: &str| NewToken {
            role: Role::TenantAdmin,
            partner_id: None,
            tenant_id: Some(tenant.into()),
            marketplace_right: true,
            label: "test".into(),
        };
        let refused = create_token(&store, admin("sandbox-plannerco-1")).await;
        assert!(
            matches!(&refused, Err(TokenError::Invalid(why)) if why.contains("partner's sandbox")),
            "{refused:?}"
        );
        assert!(create_token(&store, admin("t-1")).await.is_ok());
    }
}
