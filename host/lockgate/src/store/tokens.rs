//! API tokens: only a token's hash is stored, with the caller it stands for.

use sqlx::Row;

use super::{Result, Store, StoreError};
use crate::principal::{Principal, Role};

impl Store {
    pub async fn insert_token(&self, hash: &str, p: &Principal) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, role, partner_id, tenant_id, marketplace_right, label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&p.token_id)
        .bind(hash)
        .bind(p.role.as_str())
        .bind(p.partner_id.clone())
        .bind(p.tenant_id.clone())
        .bind(i64::from(p.marketplace_right))
        .bind(&p.label)
        .bind(crate::time::now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn token(&self, hash: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT id, role, partner_id, tenant_id, marketplace_right, label FROM api_tokens WHERE token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let role: String = r.try_get("role")?;
        let Some(role) = Role::parse(&role) else {
            return Err(StoreError::Invalid(format!(
                "token with unknown role {role:?}"
            )));
        };
        Ok(Some(Principal {
            token_id: r.try_get("id")?,
            role,
            partner_id: r.try_get("partner_id")?,
            tenant_id: r.try_get("tenant_id")?,
            marketplace_right: r.try_get::<i64, _>("marketplace_right")? != 0,
            label: r.try_get("label")?,
        }))
    }
}
