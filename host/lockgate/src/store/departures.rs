//! People leaving a connector's sight. Removing an employee erases the
//! record with everything hanging off it and keeps a removal record (ids,
//! instants and the two employment dates only). [`Store::departures`]
//! finds, for one connector, the employees it can no longer see and the
//! first instant each left its sight: the day after the termination date
//! (or when the termination was entered, if that was later), the start of
//! an exclusion, or the removal, whichever came first.

use sqlx::Row;

use super::sql::Sql;
use super::{Dialect, Result, Store, StoreError};
use crate::hr::{Departure, DepartureReason, Visibility};

/// The start of the day after the date in `column`, as a canonical instant.
fn day_after(dialect: Dialect, column: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("date({column}, '+1 day') || 'T00:00:00.000000Z'"),
        Dialect::Postgres => {
            format!("to_char(CAST({column} AS DATE) + 1, 'YYYY-MM-DD') || 'T00:00:00.000000Z'")
        }
    }
}

/// When a termination took someone out of sight: the start of the day
/// after the termination date, or when the termination was entered
/// (`recorded`, NULL when not known) if that was later. Until it was
/// entered the person was visible, and a connector that asked in between
/// must still hear of it.
fn terminated_at(dialect: Dialect, date: &str, recorded: &str) -> String {
    let end = day_after(dialect, date);
    format!("CASE WHEN {recorded} > {end} THEN {recorded} ELSE {end} END")
}

fn canonical(name: &str, value: &str) -> Result<String> {
    crate::time::canonical_instant(value).ok_or_else(|| {
        StoreError::Invalid(format!(
            "{name} {:?} is not an RFC 3339 instant (2026-11-23T08:00:00Z)",
            crate::hr::shape::shown(value)
        ))
    })
}

impl Store {
    /// Erases an employee of the tenant with their absences, custom
    /// attributes and inclusion answers, and records the removal at `at`
    /// (canonical instant), all in one transaction. `false` when the
    /// tenant has no employee `id`.
    pub async fn remove_employee(&self, tenant_id: &str, id: &str, at: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let Some(row) = sqlx::query(
            "SELECT hire_date, termination_date, termination_recorded_at FROM employees \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(false);
        };
        let hire_date: String = row.try_get("hire_date")?;
        let termination_date: Option<String> = row.try_get("termination_date")?;
        let termination_recorded_at: Option<String> = row.try_get("termination_recorded_at")?;
        for statement in [
            "DELETE FROM employee_removals WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM employee_removal_exclusions WHERE tenant_id = $1 AND employee_id = $2",
            // Which connectors had already lost sight of them, and since when.
            "INSERT INTO employee_removal_exclusions (tenant_id, employee_id, connector_id, excluded_at) \
             SELECT tenant_id, employee_id, connector_id, excluded_at FROM employee_exclusions \
             WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM absences WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM attendances WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM employee_attributes WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM employee_exclusions WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM employee_inclusions WHERE tenant_id = $1 AND employee_id = $2",
            "DELETE FROM employees WHERE tenant_id = $1 AND id = $2",
        ] {
            sqlx::query(statement)
                .bind(tenant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO employee_removals (tenant_id, employee_id, removed_at, hire_date, \
             termination_date, termination_recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(at)
        .bind(hire_date)
        .bind(termination_date)
        .bind(termination_recorded_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Employees the connector of `vis` could see and no longer can, each
    /// with the first instant they were out of its sight (`left_at`): the
    /// start of the day after the termination date (once that day is
    /// `vis.today` or earlier), or when the termination was entered if
    /// that was later; the start of an exclusion from this connector; or
    /// the removal. The earliest counts and gives the reason. Listed when
    /// `left_at` is at or after both `since` and `not_before` (when the
    /// install was connected) and the employee was hired on or before the
    /// day they went out of sight (for a termination, the day after the
    /// termination date); an employee visible now (included again,
    /// rehired) is never listed.
    ///
    /// Oldest first by `(left_at, employee_id)`, starting behind `after`
    /// (a [`Departure::cursor`]). Returns up to `limit + 1` rows: cut them
    /// to a page with [`crate::hr::split_page_by`] and
    /// [`Departure::cursor`].
    pub async fn departures(
        &self,
        vis: &Visibility,
        not_before: &str,
        since: &str,
        after: Option<String>,
        limit: u32,
    ) -> Result<Vec<Departure>> {
        let after = after
            .map(|c| Departure::parse_cursor(&c).map_err(StoreError::Invalid))
            .transpose()?;
        // Every way out of sight that applies is at or after `bound`, or the
        // earliest one is before it and the employee is not listed; so each
        // branch below reads only an index range from `bound` on.
        let mut bound = canonical("since", since)?.max(canonical("not_before", not_before)?);
        if let Some((left_at, _)) = &after {
            bound = bound.max(left_at.clone());
        }
        let first_day = crate::time::first_day_from(&bound)
            .ok_or_else(|| StoreError::Invalid(format!("{bound:?} is no instant")))?;
        // The earliest termination date whose next day starts at or after `bound`.
        let first_termination = crate::time::date_text(crate::time::add_days(first_day, -1));
        let today = crate::time::date_text(vis.today);
        let tenant = || vis.tenant_id.clone();
        let connector = || vis.connector_id.clone();

        let t_first = "c.t_at IS NOT NULL AND (c.x_at IS NULL OR c.t_at <= c.x_at) \
                       AND (c.r_at IS NULL OR c.t_at <= c.r_at)";
        let x_first = "c.x_at IS NOT NULL AND (c.r_at IS NULL OR c.x_at <= c.r_at)";
        // `ended_at` is when the data took them out of sight (for a
        // termination, the day after the termination date): the hire date
        // is held against it.
        let mut q = Sql::new(
            self.dialect,
            format!(
                "SELECT d.employee_id, d.left_at, d.reason FROM (SELECT c.employee_id, c.hire_date, \
             CASE WHEN {t_first} THEN c.t_at WHEN {x_first} THEN c.x_at ELSE c.r_at END AS left_at, \
             CASE WHEN {t_first} THEN c.t_end WHEN {x_first} THEN c.x_at ELSE c.r_at END AS ended_at, \
             CASE WHEN {t_first} THEN 'terminated' WHEN {x_first} THEN 'excluded' \
             ELSE 'out_of_scope' END AS reason FROM ("
            ),
        );
        // Terminated before today (and perhaps excluded too): those whose
        // next day starts at or after `bound`, then those terminated earlier
        // whose termination was entered at or after `bound`.
        let ranges = [
            ("e.termination_date", first_termination.clone(), false),
            ("e.termination_recorded_at", bound.clone(), true),
        ];
        for (i, (column, from, terminated_earlier)) in ranges.into_iter().enumerate() {
            if i > 0 {
                q.push(" UNION ALL ");
            }
            q.push(&format!(
                "SELECT e.id AS employee_id, e.hire_date AS hire_date, {} AS t_end, {} AS t_at, \
                 x.excluded_at AS x_at, CAST(NULL AS TEXT) AS r_at \
                 FROM employees e LEFT JOIN employee_exclusions x ON x.tenant_id = e.tenant_id \
                 AND x.employee_id = e.id AND x.connector_id = ",
                day_after(self.dialect, "e.termination_date"),
                terminated_at(
                    self.dialect,
                    "e.termination_date",
                    "e.termination_recorded_at"
                )
            ))
            .bind(connector());
            q.push(" WHERE e.tenant_id = ").bind(tenant());
            q.push(&format!(" AND {column} >= ")).bind(from);
            if terminated_earlier {
                q.push(" AND e.termination_date < ")
                    .bind(first_termination.clone());
            }
            q.push(" AND e.termination_date < ").bind(today.clone());
            q.push(" AND (x.employee_id IS NULL OR x.excluded_at >= ")
                .bind(bound.clone());
            q.push(")");
        }
        // Excluded from this connector, and not terminated before today.
        q.push(
            " UNION ALL SELECT e.id, e.hire_date, CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
             x.excluded_at, CAST(NULL AS TEXT) FROM employee_exclusions x JOIN employees e \
             ON e.tenant_id = x.tenant_id AND e.id = x.employee_id WHERE x.tenant_id = ",
        )
        .bind(tenant());
        q.push(" AND x.connector_id = ").bind(connector());
        q.push(" AND x.excluded_at >= ").bind(bound.clone());
        q.push(" AND (e.termination_date IS NULL OR e.termination_date >= ")
            .bind(today.clone());
        // Removed, with what applied to them before.
        q.push(") UNION ALL SELECT r.employee_id, r.hire_date, CASE WHEN r.termination_date < ")
            .bind(today.clone());
        q.push(&format!(
            " THEN {} END, CASE WHEN r.termination_date < ",
            day_after(self.dialect, "r.termination_date")
        ))
        .bind(today.clone());
        q.push(&format!(
            " THEN {} END, rx.excluded_at, r.removed_at FROM employee_removals r \
             LEFT JOIN employee_removal_exclusions rx ON rx.tenant_id = r.tenant_id \
             AND rx.employee_id = r.employee_id AND rx.connector_id = ",
            terminated_at(
                self.dialect,
                "r.termination_date",
                "r.termination_recorded_at"
            )
        ))
        .bind(connector());
        q.push(" WHERE r.tenant_id = ").bind(tenant());
        q.push(" AND r.removed_at >= ").bind(bound.clone());
        q.push(" AND (r.termination_date IS NULL OR r.termination_date >= ")
            .bind(first_termination);
        q.push(" OR r.termination_date >= ").bind(today);
        q.push(" OR r.termination_recorded_at >= ")
            .bind(bound.clone());
        q.push(") AND (rx.employee_id IS NULL OR rx.excluded_at >= ")
            .bind(bound);
        q.push(
            ") AND NOT EXISTS (SELECT 1 FROM employees e \
             WHERE e.tenant_id = r.tenant_id AND e.id = r.employee_id)) c) d \
             WHERE SUBSTR(d.ended_at, 1, 10) >= d.hire_date",
        );
        if let Some((left_at, id)) = after {
            q.push(" AND (d.left_at > ").bind(left_at.clone());
            q.push(" OR (d.left_at = ").bind(left_at);
            q.push(" AND d.employee_id > ").bind(id);
            q.push("))");
        }
        q.push(" ORDER BY d.left_at, d.employee_id LIMIT ")
            .bind(i64::from(limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let reason: String = row.try_get("reason")?;
                Ok(Departure {
                    employee_id: row.try_get("employee_id")?,
                    left_at: row.try_get("left_at")?,
                    reason: match reason.as_str() {
                        "terminated" => DepartureReason::Terminated,
                        "excluded" => DepartureReason::Excluded,
                        "out_of_scope" => DepartureReason::OutOfScope,
                        other => {
                            return Err(StoreError::Invalid(format!(
                                "the departures query gave an unknown reason {other:?}"
                            )));
                        }
                    },
                })
            })
            .collect()
    }
}
