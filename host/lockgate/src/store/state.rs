//! The cursor a connector keeps between runs, per install.

use sqlx::Row;

use super::{Result, Store};

impl Store {
    pub async fn state(&self, install_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM install_state WHERE install_id = $1")
            .bind(install_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    pub async fn clear_state(&self, install_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM install_state WHERE install_id = $1")
            .bind(install_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_state(&self, install_id: &str, value: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        super::run_end::write_state(&mut tx, install_id, value).await?;
        tx.commit().await?;
        Ok(())
    }
}
