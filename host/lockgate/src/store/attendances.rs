//! Working time: the tenant's periods by their ids, and the periods
//! connectors write by their own (external) ids under the data rules of
//! [`Visibility`]. Every write checks and writes in one transaction that
//! holds the employee's row, so two writers cannot both pass the overlap
//! check with periods that overlap each other.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::sql::Sql;
use super::{Dialect, Result, Store, StoreError};
use crate::hr::attendance::{MINUTES_PER_DAY, minute_of_day};
use crate::hr::shape::{MAX_TEXT_CHARS, id_problem, required_text_problem, shown};
use crate::hr::{
    Attendance, AttendanceFilter, AttendancePeriod, AttendanceRefusal, AttendanceWrite, Visibility,
    WriteMode,
};

type Tx = sqlx::Transaction<'static, sqlx::Any>;
type Refused<T> = std::result::Result<T, AttendanceRefusal>;

const COLUMNS: &[&str] = &[
    "id",
    "external_id",
    "source_connector",
    "employee_id",
    "work_date",
    "start_time",
    "end_time",
    "duration_minutes",
    "break_minutes",
    "project",
    "comment",
    "status",
    "updated_at",
];

/// The columns, each prefixed with `alias.` when one is given.
fn columns(alias: &str) -> String {
    COLUMNS
        .iter()
        .map(|c| {
            if alias.is_empty() {
                (*c).to_string()
            } else {
                format!("{alias}.{c}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn minutes(row: &AnyRow, column: &str) -> Result<u32, sqlx::Error> {
    let n: i64 = row.try_get(column)?;
    u32::try_from(n).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    })
}

fn attendance_from(row: &AnyRow) -> Result<Attendance, sqlx::Error> {
    Ok(Attendance {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        source: row.try_get("source_connector")?,
        employee_id: row.try_get("employee_id")?,
        date: row.try_get("work_date")?,
        start_time: row.try_get("start_time")?,
        end_time: row.try_get("end_time")?,
        duration_minutes: minutes(row, "duration_minutes")?,
        break_minutes: minutes(row, "break_minutes")?,
        project: row.try_get("project")?,
        comment: row.try_get("comment")?,
        status: row.try_get("status")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Appends the filter's conditions and order for periods aliased `a`;
/// up to `limit + 1` rows.
fn push_filter(q: &mut Sql, filter: &AttendanceFilter) -> Result<()> {
    if let Some(from) = &filter.from {
        q.push(" AND a.work_date >= ").bind(from.clone());
    }
    if let Some(to) = &filter.to {
        q.push(" AND a.work_date <= ").bind(to.clone());
    }
    if let Some(employee) = &filter.employee_id {
        q.push(" AND a.employee_id = ").bind(employee.clone());
    }
    if let Some(since) = &filter.updated_since {
        q.push(" AND a.updated_at >= ").bind(since.clone());
    }
    if let Some(key) = filter.after_key() {
        let (date, id) = key.map_err(StoreError::Invalid)?;
        q.push(" AND (a.work_date > ").bind(date.to_string());
        q.push(" OR (a.work_date = ").bind(date.to_string());
        q.push(" AND a.id > ").bind(id.to_string()).push("))");
    }
    q.push(" ORDER BY a.work_date, a.id LIMIT ")
        .bind(i64::from(filter.limit.max(1)) + 1);
    Ok(())
}

/// The period stored under the tenant's `id`.
async fn by_id<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    tenant_id: &str,
    id: &str,
) -> Result<Option<Attendance>> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM attendances WHERE tenant_id = $1 AND id = $2",
        columns("")
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.as_ref().map(attendance_from).transpose()?)
}

/// The period `connector_id` wrote as `external_id`.
async fn by_external_id(
    tx: &mut Tx,
    tenant_id: &str,
    connector_id: &str,
    external_id: &str,
) -> Result<Option<Attendance>> {
    let row = sqlx::query(&format!(
        "SELECT {} FROM attendances WHERE tenant_id = $1 AND source_connector = $2 AND external_id = $3",
        columns("")
    ))
    .bind(tenant_id)
    .bind(connector_id)
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.as_ref().map(attendance_from).transpose()?)
}

/// The employment window (hire date, termination date) of an employee,
/// holding its row until the transaction ends (on PostgreSQL; SQLite's
/// write transaction holds the whole database). With `vis`, only an
/// employee the connector may see is found.
async fn lock_employee(
    tx: &mut Tx,
    dialect: Dialect,
    tenant_id: &str,
    employee_id: &str,
    vis: Option<&Visibility>,
) -> Result<Option<(String, Option<String>)>> {
    let mut q = Sql::new(
        Dialect::of(tx),
        "SELECT e.hire_date, e.termination_date FROM employees e WHERE",
    );
    match vis {
        Some(vis) => super::hr::push_visible(&mut q, vis),
        None => {
            q.push(" e.tenant_id = ").bind(tenant_id.to_string());
        }
    }
    q.push(" AND e.id = ").bind(employee_id.to_string());
    if dialect == Dialect::Postgres {
        q.push(" FOR UPDATE OF e");
    }
    let row = q.fetch_all(&mut **tx).await?.into_iter().next();
    Ok(row
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("hire_date")?, r.try_get("termination_date")?)))
        .transpose()?)
}

/// A stored period of the same employee that `period` would overlap.
async fn overlapping(
    tx: &mut Tx,
    tenant_id: &str,
    period: &Attendance,
) -> Result<Option<Attendance>> {
    if period.interval().is_none() {
        return Ok(None);
    }
    // A period is at most a day long: only the day before, the day and
    // the day after can hold one it overlaps.
    let Some(day) = crate::time::parse_date(&period.date) else {
        return Ok(None);
    };
    let mut q = Sql::new(
        Dialect::of(tx),
        format!(
            "SELECT {} FROM attendances a WHERE a.tenant_id = ",
            columns("a")
        ),
    );
    q.bind(tenant_id.to_string());
    q.push(" AND a.employee_id = ")
        .bind(period.employee_id.clone());
    q.push(" AND a.id <> ").bind(period.id.clone());
    q.push(" AND a.start_minute IS NOT NULL AND a.work_date >= ")
        .bind(crate::time::date_text(crate::time::add_days(day, -1)));
    q.push(" AND a.work_date <= ")
        .bind(crate::time::date_text(crate::time::add_days(day, 1)));
    q.push(" ORDER BY a.work_date, a.start_minute, a.id");
    for row in q.fetch_all(&mut **tx).await? {
        let other = attendance_from(&row)?;
        if period.overlaps(&other) {
            return Ok(Some(other));
        }
    }
    Ok(None)
}

/// Replaces whatever is stored under the period's id with it.
async fn write(tx: &mut Tx, tenant_id: &str, a: &Attendance) -> Result<()> {
    sqlx::query("DELETE FROM attendances WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(&a.id)
        .execute(&mut **tx)
        .await?;
    let start = a.start_time.as_deref().and_then(minute_of_day);
    let end = a.end_time.as_deref().and_then(minute_of_day);
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (
            Some(i64::from(s)),
            Some(i64::from(if e <= s { e + MINUTES_PER_DAY } else { e })),
        ),
        _ => (None, None),
    };
    let mut q = Sql::new(
        Dialect::of(tx),
        format!(
            "INSERT INTO attendances (tenant_id, {}, start_minute, end_minute) VALUES ",
            columns("")
        ),
    );
    q.values([a], |b, a| {
        b.bind(tenant_id.to_string())
            .bind(a.id.clone())
            .bind(a.external_id.clone())
            .bind(a.source.clone())
            .bind(a.employee_id.clone())
            .bind(a.date.clone())
            .bind(a.start_time.clone())
            .bind(a.end_time.clone())
            .bind(i64::from(a.duration_minutes))
            .bind(i64::from(a.break_minutes))
            .bind(a.project.clone())
            .bind(a.comment.clone())
            .bind(a.status.clone())
            .bind(a.updated_at.clone())
            .bind(start)
            .bind(end);
    });
    q.execute(&mut **tx).await?;
    Ok(())
}

fn no_employee(employee_id: &str) -> AttendanceRefusal {
    AttendanceRefusal::NotFound(format!(
        "no employee with the id \"{}\"",
        shown(employee_id)
    ))
}

impl Store {
    /// A tenant's periods matching `filter` in (date, id) order, up to
    /// `filter.limit + 1` of them (cut with
    /// [`crate::hr::attendance::split_attendance_page`]).
    pub async fn attendances_page(
        &self,
        tenant_id: &str,
        filter: &AttendanceFilter,
    ) -> Result<Vec<Attendance>> {
        let mut q = Sql::new(
            self.dialect,
            format!(
                "SELECT {} FROM attendances a WHERE a.tenant_id = ",
                columns("a")
            ),
        );
        q.bind(tenant_id.to_string());
        push_filter(&mut q, filter)?;
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(attendance_from).collect::<Result<_, _>>()?)
    }

    /// One period of the tenant's.
    pub async fn attendance(&self, tenant_id: &str, id: &str) -> Result<Option<Attendance>> {
        by_id(&self.pool, tenant_id, id).await
    }

    /// Creates or replaces the tenant's period `id`. Writing the values
    /// stored already changes nothing (`updated_at` stays). A period a
    /// connector wrote keeps its source and external id.
    pub async fn put_attendance(
        &self,
        tenant_id: &str,
        id: &str,
        period: &AttendancePeriod,
    ) -> Result<Refused<AttendanceWrite>> {
        let mut tx = self.begin_write().await?;
        let done = put_in(&mut tx, self.dialect, tenant_id, id, period).await?;
        if done.is_ok() {
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Writes several of the tenant's periods, all or none: every refusal
    /// comes back with the position of its period, and then nothing is
    /// stored. Later periods are checked against earlier ones.
    pub async fn put_attendances(
        &self,
        tenant_id: &str,
        periods: &[(String, AttendancePeriod)],
    ) -> Result<std::result::Result<Vec<AttendanceWrite>, Vec<(usize, AttendanceRefusal)>>> {
        let mut tx = self.begin_write().await?;
        let mut writes = Vec::new();
        let mut refusals = Vec::new();
        for (n, (id, period)) in periods.iter().enumerate() {
            match put_in(&mut tx, self.dialect, tenant_id, id, period).await? {
                Ok(w) => writes.push(w),
                Err(r) => refusals.push((n, r)),
            }
        }
        if !refusals.is_empty() {
            return Ok(Err(refusals));
        }
        tx.commit().await?;
        Ok(Ok(writes))
    }

    /// Removes the tenant's period `id`; the period removed, if there was one.
    pub async fn delete_attendance(&self, tenant_id: &str, id: &str) -> Result<Option<Attendance>> {
        let mut tx = self.begin_write().await?;
        let Some(gone) = by_id(&mut *tx, tenant_id, id).await? else {
            return Ok(None);
        };
        sqlx::query("DELETE FROM attendances WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(gone))
    }

    /// Periods a connector may read: of visible employees, on days inside
    /// their employment, the granted window and `[from, to]`; in (date,
    /// id) order, up to `filter.limit + 1` of them. None without an
    /// attendance window.
    pub async fn visible_attendances(
        &self,
        vis: &Visibility,
        filter: &AttendanceFilter,
    ) -> Result<Vec<Attendance>> {
        self.visible(vis, filter, None).await
    }

    /// One period a connector may read, by the host's id.
    pub async fn visible_attendance(
        &self,
        vis: &Visibility,
        id: &str,
    ) -> Result<Option<Attendance>> {
        let filter = AttendanceFilter {
            limit: 1,
            ..AttendanceFilter::default()
        };
        Ok(self.visible(vis, &filter, Some(id)).await?.pop())
    }

    async fn visible(
        &self,
        vis: &Visibility,
        filter: &AttendanceFilter,
        id: Option<&str>,
    ) -> Result<Vec<Attendance>> {
        let Some((from, to)) = vis.attendance_range() else {
            return Ok(Vec::new());
        };
        let mut q = Sql::new(
            self.dialect,
            format!(
                "SELECT {} FROM attendances a JOIN employees e ON e.tenant_id = a.tenant_id AND e.id = a.employee_id WHERE",
                columns("a")
            ),
        );
        super::hr::push_visible(&mut q, vis);
        q.push(" AND a.work_date >= e.hire_date")
            .push(" AND (e.termination_date IS NULL OR a.work_date <= e.termination_date)");
        q.push(" AND a.work_date >= ").bind(from);
        q.push(" AND a.work_date <= ").bind(to);
        if let Some(id) = id {
            q.push(" AND a.id = ").bind(id.to_string());
        }
        push_filter(&mut q, filter)?;
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(attendance_from).collect::<Result<_, _>>()?)
    }

    /// A connector writes the period it knows as `external_id`.
    ///
    /// Create answers the period recorded first under that id, unchanged,
    /// whatever the values now (a retried webhook or a re-run sync never
    /// duplicates a period); Update replaces it, or is `NotFound` when
    /// there is none, and the same values again change nothing. Refused:
    /// an employee the connector may not see (`NotFound`, saying no more
    /// than that), a day outside the employee's employment or the granted
    /// attendance window, a period that overlaps another (`Invalid`).
    pub async fn connector_write_attendance(
        &self,
        vis: &Visibility,
        external_id: &str,
        period: &AttendancePeriod,
        mode: WriteMode,
    ) -> Result<Refused<AttendanceWrite>> {
        if let Some(p) = required_text_problem(external_id, MAX_TEXT_CHARS) {
            return Ok(Err(AttendanceRefusal::Invalid(format!("external id: {p}"))));
        }
        let tenant = vis.tenant_id.as_str();
        let mut tx = self.begin_write().await?;
        let existing = by_external_id(&mut tx, tenant, &vis.connector_id, external_id).await?;
        if let Some(e) = &existing
            && lock_employee(&mut tx, self.dialect, tenant, &e.employee_id, Some(vis))
                .await?
                .is_none()
        {
            return Ok(Err(no_period(external_id)));
        }
        let existing = match (mode, existing) {
            (WriteMode::Create, Some(e)) => {
                return Ok(Ok(AttendanceWrite {
                    before: Some(e.clone()),
                    after: e,
                }));
            }
            (WriteMode::Update, None) => return Ok(Err(no_period(external_id))),
            (_, existing) => existing,
        };
        if let Some(problems) = period.problems_text() {
            return Ok(Err(AttendanceRefusal::Invalid(problems)));
        }
        let Some((hire, termination)) = lock_employee(
            &mut tx,
            self.dialect,
            tenant,
            &period.employee_id,
            Some(vis),
        )
        .await?
        else {
            return Ok(Err(no_employee(&period.employee_id)));
        };
        let date = period.date.as_str();
        if date < hire.as_str() || termination.as_deref().is_some_and(|t| date > t) {
            return Ok(Err(AttendanceRefusal::Invalid(format!(
                "{date} is outside the employment of {} (from {hire} {}); give a day inside it",
                shown(&period.employee_id),
                termination.map_or("on".to_string(), |t| format!("to {t}"))
            ))));
        }
        let Some((from, to)) = vis.attendance_range() else {
            return Ok(Err(AttendanceRefusal::Invalid(
                "the install is granted no attendance window".into(),
            )));
        };
        if date < from.as_str() || date > to.as_str() {
            return Ok(Err(AttendanceRefusal::Invalid(format!(
                "{date} is outside the granted attendance window ({from} to {to})"
            ))));
        }
        let id = existing
            .as_ref()
            .map_or_else(|| super::new_id("att"), |e| e.id.clone());
        let Some(after) = period.to_attendance(
            &id,
            Some(external_id.to_string()),
            Some(vis.connector_id.clone()),
            crate::time::now_text(),
        ) else {
            return Ok(Err(AttendanceRefusal::Invalid(
                "the period is not valid".into(),
            )));
        };
        if let Some(before) = &existing
            && before.same_values(&after)
        {
            return Ok(Ok(AttendanceWrite {
                before: Some(before.clone()),
                after: before.clone(),
            }));
        }
        if let Some(other) = overlapping(&mut tx, tenant, &after).await? {
            return Ok(Err(other.overlap_refusal()));
        }
        write(&mut tx, tenant, &after).await?;
        tx.commit().await?;
        Ok(Ok(AttendanceWrite {
            before: existing,
            after,
        }))
    }

    /// A connector removes the period it wrote as `external_id`; the
    /// period removed, or `None` when it has none (or no longer may see
    /// its employee).
    pub async fn connector_delete_attendance(
        &self,
        vis: &Visibility,
        external_id: &str,
    ) -> Result<Option<Attendance>> {
        let tenant = vis.tenant_id.as_str();
        let mut tx = self.begin_write().await?;
        let Some(gone) = by_external_id(&mut tx, tenant, &vis.connector_id, external_id).await?
        else {
            return Ok(None);
        };
        if lock_employee(&mut tx, self.dialect, tenant, &gone.employee_id, Some(vis))
            .await?
            .is_none()
        {
            return Ok(None);
        }
        sqlx::query("DELETE FROM attendances WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(&gone.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(gone))
    }
}

fn no_period(external_id: &str) -> AttendanceRefusal {
    AttendanceRefusal::NotFound(format!(
        "no period with the external id \"{}\"",
        shown(external_id)
    ))
}

/// The tenant's write of period `id`, inside `tx`.
async fn put_in(
    tx: &mut Tx,
    dialect: Dialect,
    tenant_id: &str,
    id: &str,
    period: &AttendancePeriod,
) -> Result<Refused<AttendanceWrite>> {
    if let Some(p) = id_problem(id) {
        return Ok(Err(AttendanceRefusal::Invalid(format!("id: {p}"))));
    }
    if let Some(problems) = period.problems_text() {
        return Ok(Err(AttendanceRefusal::Invalid(problems)));
    }
    if lock_employee(tx, dialect, tenant_id, &period.employee_id, None)
        .await?
        .is_none()
    {
        return Ok(Err(no_employee(&period.employee_id)));
    }
    let before = by_id(&mut **tx, tenant_id, id).await?;
    let (external_id, source) = before
        .as_ref()
        .map_or((None, None), |b| (b.external_id.clone(), b.source.clone()));
    let Some(after) = period.to_attendance(id, external_id, source, crate::time::now_text()) else {
        return Ok(Err(AttendanceRefusal::Invalid(
            "the period is not valid".into(),
        )));
    };
    if let Some(b) = &before
        && b.same_values(&after)
    {
        return Ok(Ok(AttendanceWrite {
            before: Some(b.clone()),
            after: b.clone(),
        }));
    }
    if let Some(other) = overlapping(tx, tenant_id, &after).await? {
        return Ok(Err(other.overlap_refusal()));
    }
    write(tx, tenant_id, &after).await?;
    Ok(Ok(AttendanceWrite { before, after }))
}
