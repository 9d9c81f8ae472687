//! Job positions and applications. Positions are written by the tenant's
//! admins; applications by connectors, once per idempotency key, with
//! their files in the same transaction; both are read by the tenant.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::Sql;
use super::{Result, Store, new_id};
use crate::hr::recruiting::{given, idempotency_key_problem, position_name_key};
use crate::hr::{
    Application, ApplicationFilter, ApplicationRefusal, AttachmentInfo, NewApplication, Position,
    PositionInput,
};

const POSITION_COLUMNS: &str = "id, name, department, is_open, updated_at";

const APPLICATION_COLUMNS: &str = "a.id, a.position_id, COALESCE(p.name, a.position_id) AS position_name, \
    a.first_name, a.last_name, a.email, a.phone, a.source, a.message, a.connector_id, a.created_at";

const APPLICATION_FROM: &str = "FROM applications a LEFT JOIN positions p \
    ON p.tenant_id = a.tenant_id AND p.id = a.position_id WHERE a.tenant_id = ";

fn position_from(row: &AnyRow) -> Result<Position, sqlx::Error> {
    Ok(Position {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        department: row.try_get("department")?,
        open: row.try_get::<i64, _>("is_open")? != 0,
        updated_at: row.try_get("updated_at")?,
    })
}

fn application_from(row: &AnyRow) -> Result<Application, sqlx::Error> {
    Ok(Application {
        id: row.try_get("id")?,
        position_id: row.try_get("position_id")?,
        position_name: row.try_get("position_name")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        source: row.try_get("source")?,
        message: row.try_get("message")?,
        connector_id: row.try_get("connector_id")?,
        attachments: Vec::new(),
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Creates or replaces the position `id` (checked by
    /// [`PositionInput::problems`]); texts are stored trimmed.
    pub async fn put_position(
        &self,
        tenant_id: &str,
        id: &str,
        input: &PositionInput,
    ) -> Result<Position> {
        let position = Position {
            id: id.to_string(),
            name: input.name.trim().to_string(),
            department: given(&input.department),
            open: input.open,
            updated_at: crate::time::now_text(),
        };
        self.upsert_positions(tenant_id, std::slice::from_ref(&position))
            .await?;
        Ok(position)
    }

    /// Creates or replaces positions as given, in one transaction.
    pub async fn upsert_positions(&self, tenant_id: &str, positions: &[Position]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for p in positions {
            sqlx::query(
                "INSERT INTO positions (tenant_id, id, name, name_key, department, is_open, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, id) DO UPDATE SET \
                 name = excluded.name, name_key = excluded.name_key, department = excluded.department, \
                 is_open = excluded.is_open, updated_at = excluded.updated_at",
            )
            .bind(tenant_id)
            .bind(&p.id)
            .bind(&p.name)
            .bind(position_name_key(&p.name))
            .bind(&p.department)
            .bind(i64::from(p.open))
            .bind(&p.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One position.
    pub async fn position(&self, tenant_id: &str, id: &str) -> Result<Option<Position>> {
        let row = sqlx::query(&format!(
            "SELECT {POSITION_COLUMNS} FROM positions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(position_from).transpose()?)
    }

    /// Every position of the tenant, in id order.
    pub async fn positions(&self, tenant_id: &str) -> Result<Vec<Position>> {
        let rows = sqlx::query(&format!(
            "SELECT {POSITION_COLUMNS} FROM positions WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(position_from).collect::<Result<_, _>>()?)
    }

    /// A page of the tenant's positions in id order; the cursor is the
    /// last id.
    pub async fn positions_page(
        &self,
        tenant_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Position>, Option<String>)> {
        let mut q = Sql::new(
            self.dialect,
            format!("SELECT {POSITION_COLUMNS} FROM positions WHERE tenant_id = "),
        );
        q.bind(tenant_id.to_string());
        if let Some(after) = after {
            q.push(" AND id > ").bind(after.to_string());
        }
        q.push(" ORDER BY id LIMIT ").bind(i64::from(limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        let positions: Vec<Position> = rows.iter().map(position_from).collect::<Result<_, _>>()?;
        Ok(crate::hr::split_page(positions, limit, |p| &p.id))
    }

    /// Creates an application for `connector_id`, once per idempotency
    /// key: the same key again answers the first application's id and
    /// `false`, and writes nothing, whatever the second call carried. The
    /// position is the open one with that exact id, else the one open
    /// position with that name (any case). The application and its files
    /// are written in one transaction; a refusal writes nothing.
    pub async fn create_application(
        &self,
        tenant_id: &str,
        connector_id: &str,
        idempotency_key: &str,
        application: &NewApplication,
    ) -> Result<Result<(String, bool), ApplicationRefusal>> {
        if let Some(p) = idempotency_key_problem(idempotency_key) {
            return Ok(Err(ApplicationRefusal::Invalid(p)));
        }
        let problems = application.problems();
        if !problems.is_empty() {
            return Ok(Err(ApplicationRefusal::from_problems(&problems)));
        }
        if let Some(id) = self
            .application_by_key(tenant_id, connector_id, idempotency_key)
            .await?
        {
            return Ok(Ok((id, false)));
        }
        let mut tx = self.begin_write().await?;
        let wanted = application.position.trim();
        let rows = sqlx::query(&format!(
            "SELECT {POSITION_COLUMNS} FROM positions WHERE tenant_id = $1 AND (id = $2 OR name_key = $3) ORDER BY id"
        ))
        .bind(tenant_id)
        .bind(wanted)
        .bind(position_name_key(wanted))
        .fetch_all(&mut *tx)
        .await?;
        let candidates: Vec<Position> = rows.iter().map(position_from).collect::<Result<_, _>>()?;
        let by_name: Vec<&Position> = candidates
            .iter()
            .filter(|p| p.open && position_name_key(&p.name) == position_name_key(wanted))
            .collect();
        let position = match candidates.iter().find(|p| p.open && p.id == wanted) {
            Some(p) => p,
            None => match by_name.as_slice() {
                [one] => *one,
                [] => {
                    let closed: Vec<Position> =
                        candidates.into_iter().filter(|p| !p.open).collect();
                    return Ok(Err(ApplicationRefusal::unknown_position(wanted, &closed)));
                }
                many => {
                    let ids: Vec<String> = many.iter().map(|p| p.id.clone()).collect();
                    return Ok(Err(ApplicationRefusal::ambiguous_position(wanted, &ids)));
                }
            },
        };
        let id = new_id("app");
        let inserted = sqlx::query(
            "INSERT INTO applications (tenant_id, id, position_id, first_name, last_name, email, \
             phone, source, message, connector_id, idempotency_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (tenant_id, connector_id, idempotency_key) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(&id)
        .bind(&position.id)
        .bind(application.first_name.trim())
        .bind(application.last_name.trim())
        .bind(given(&application.email))
        .bind(given(&application.phone))
        .bind(given(&application.source))
        .bind(application.message.clone().filter(|m| !m.trim().is_empty()))
        .bind(connector_id)
        .bind(idempotency_key)
        .bind(crate::time::now_text())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // Another call with the same key committed in between.
            tx.rollback().await?;
            return match self
                .application_by_key(tenant_id, connector_id, idempotency_key)
                .await?
            {
                Some(id) => Ok(Ok((id, false))),
                None => Err(super::StoreError::Invalid(
                    "could not claim the idempotency key".into(),
                )),
            };
        }
        for (seq, a) in (1i64..).zip(&application.attachments) {
            sqlx::query(
                "INSERT INTO application_attachments (tenant_id, application_id, seq, file_name, \
                 media_type, size, content) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(tenant_id)
            .bind(&id)
            .bind(seq)
            .bind(a.file_name.trim())
            .bind(a.media_type.to_ascii_lowercase())
            .bind(a.content.len() as i64)
            .bind(a.content.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok((id, true)))
    }

    async fn application_by_key(
        &self,
        tenant_id: &str,
        connector_id: &str,
        key: &str,
    ) -> Result<Option<String>> {
        let row = sqlx::query(
            "SELECT id FROM applications WHERE tenant_id = $1 AND connector_id = $2 AND idempotency_key = $3",
        )
        .bind(tenant_id)
        .bind(connector_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// A page of the tenant's applications, newest first; the cursor is
    /// the last one's (created_at, id).
    pub async fn applications_page(
        &self,
        tenant_id: &str,
        filter: &ApplicationFilter,
    ) -> Result<(Vec<Application>, Option<(String, String)>)> {
        let mut q = Sql::new(
            self.dialect,
            format!("SELECT {APPLICATION_COLUMNS} {APPLICATION_FROM}"),
        );
        q.bind(tenant_id.to_string());
        if let Some(position) = &filter.position_id {
            q.push(" AND a.position_id = ").bind(position.clone());
        }
        if let Some((at, id)) = &filter.after {
            q.push(" AND (a.created_at < ").bind(at.clone());
            q.push(" OR (a.created_at = ").bind(at.clone());
            q.push(" AND a.id < ").bind(id.clone()).push("))");
        }
        q.push(" ORDER BY a.created_at DESC, a.id DESC LIMIT ")
            .bind(i64::from(filter.limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        let mut items: Vec<Application> = rows
            .iter()
            .map(application_from)
            .collect::<Result<_, _>>()?;
        let more = items.len() > filter.limit as usize;
        items.truncate(filter.limit as usize);
        let next = items
            .last()
            .filter(|_| more)
            .map(|a| (a.created_at.clone(), a.id.clone()));
        self.with_attachment_infos(tenant_id, &mut items).await?;
        Ok((items, next))
    }

    /// One application with its files' names, types and sizes.
    pub async fn application(&self, tenant_id: &str, id: &str) -> Result<Option<Application>> {
        let mut q = Sql::new(
            self.dialect,
            format!("SELECT {APPLICATION_COLUMNS} {APPLICATION_FROM}"),
        );
        q.bind(tenant_id.to_string())
            .push(" AND a.id = ")
            .bind(id.to_string());
        let rows = q.fetch_all(&self.pool).await?;
        let mut items: Vec<Application> = rows
            .iter()
            .map(application_from)
            .collect::<Result<_, _>>()?;
        self.with_attachment_infos(tenant_id, &mut items).await?;
        Ok(items.pop())
    }

    /// One file of an application: its name, media type and bytes.
    pub async fn attachment(
        &self,
        tenant_id: &str,
        application_id: &str,
        seq: i64,
    ) -> Result<Option<(String, String, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT file_name, media_type, content FROM application_attachments \
             WHERE tenant_id = $1 AND application_id = $2 AND seq = $3",
        )
        .bind(tenant_id)
        .bind(application_id)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row
            .map(|r| -> Result<_, sqlx::Error> {
                Ok((
                    r.try_get("file_name")?,
                    r.try_get("media_type")?,
                    r.try_get("content")?,
                ))
            })
            .transpose()?)
    }

    async fn with_attachment_infos(
        &self,
        tenant_id: &str,
        applications: &mut [Application],
    ) -> Result<()> {
        let ids: Vec<String> = applications.iter().map(|a| a.id.clone()).collect();
        let mut infos: BTreeMap<String, Vec<AttachmentInfo>> = BTreeMap::new();
        for chunk in ids.chunks(400) {
            let mut q = Sql::new(
                self.dialect,
                "SELECT application_id, seq, file_name, media_type, size FROM application_attachments WHERE tenant_id = ",
            );
            q.bind(tenant_id.to_string())
                .push(" AND application_id IN ");
            q.list(chunk.iter().cloned());
            q.push(" ORDER BY application_id, seq");
            for r in q.fetch_all(&self.pool).await? {
                infos
                    .entry(r.try_get("application_id")?)
                    .or_default()
                    .push(AttachmentInfo {
                        seq: r.try_get("seq")?,
                        file_name: r.try_get("file_name")?,
                        media_type: r.try_get("media_type")?,
                        size: r.try_get("size")?,
                    });
            }
        }
        for a in applications {
            a.attachments = infos.remove(&a.id).unwrap_or_default();
        }
        Ok(())
    }
}
