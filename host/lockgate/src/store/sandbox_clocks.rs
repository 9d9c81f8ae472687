//! A sandbox tenant's own clock: how far ahead of the system clock it runs.
//! Only the `lockgate` command's sandbox sets one; a tenant without one
//! follows the system clock.

use sqlx::Row;

use super::{Result, Store};
use crate::time::Clock;

impl Store {
    /// The tenant's clock: ahead of the system clock as set, or the
    /// system clock.
    pub async fn sandbox_clock(&self, tenant_id: &str) -> Result<Clock> {
        Ok(match self.sandbox_clock_ahead(tenant_id).await? {
            Some(ahead) => Clock::ahead(ahead),
            None => Clock::system(),
        })
    }

    /// How far ahead of the system clock the tenant's clock runs, if it was
    /// set (to the millisecond).
    pub async fn sandbox_clock_ahead(&self, tenant_id: &str) -> Result<Option<time::Duration>> {
        let row = sqlx::query("SELECT ahead_ms FROM sandbox_clocks WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("ahead_ms"))
            .transpose()?
            .map(time::Duration::milliseconds))
    }

    /// Sets the tenant's clock `ahead` of the system clock (behind when
    /// negative); `None` makes it follow the system clock again.
    pub async fn set_sandbox_clock(
        &self,
        tenant_id: &str,
        ahead: Option<time::Duration>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sandbox_clocks WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        if let Some(ahead) = ahead {
            let ms = i64::try_from(ahead.whole_milliseconds()).unwrap_or(i64::MAX);
            sqlx::query(
                "INSERT INTO sandbox_clocks (tenant_id, ahead_ms, updated_at) VALUES ($1, $2, $3)",
            )
            .bind(tenant_id)
            .bind(ms)
            .bind(crate::time::now_text())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
