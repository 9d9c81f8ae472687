//! What the replicas share besides the domain tables: connector files by
//! digest and the settings they must agree on. The digest is checked by
//! the caller ([`crate::artifacts`]); the store only keeps bytes.

use std::collections::BTreeSet;

use sqlx::Row;

use super::{Result, Store};

impl Store {
    /// Stores a connector file under its digest; storing it again (from
    /// any replica, at the same time or later) keeps the first copy.
    pub async fn put_connector_file(&self, sha256: &str, bytes: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO connector_files (sha256, size, bytes, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(sha256)
        .bind(bytes.len() as i64)
        .bind(bytes.to_vec())
        .bind(crate::time::now_text())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The bytes stored under `sha256`, unchecked.
    pub async fn connector_file(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT bytes FROM connector_files WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("bytes")).transpose()?)
    }

    /// The digests of every stored connector file.
    pub async fn connector_file_digests(&self) -> Result<BTreeSet<String>> {
        let rows = sqlx::query("SELECT sha256 FROM connector_files")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("sha256"))
            .collect::<Result<_, _>>()?)
    }

    /// The shared setting `name`, set to `value` when it has none yet; the
    /// first writer wins.
    pub async fn shared_setting_or_insert(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO shared_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query("SELECT value FROM shared_settings WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("value")?)
    }
}
