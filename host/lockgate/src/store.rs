//! Persistence through sqlx: one schema and one set of migrations for SQLite
//! (the embedded default) and PostgreSQL. Queries use only what both share;
//! instants are canonical text so comparisons agree everywhere.
//!
//! Read rules that protect people's data are part of the queries here: a
//! "visible" employee is inside the employment window and not excluded from
//! the connector by the tenant's inclusion flag.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

pub mod catalog;
pub mod installs;
pub mod jobs;
mod sql;
use sql::Sql;

pub use installs::InstallRecord;

pub use jobs::{Job, NewJob};

use crate::hr::{Absence, AbsenceFilter, Employee, EmployeeFilter, Visibility};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    pub dialect: Dialect,
}

/// One monitoring row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub seq: i64,
    pub recorded_at: String,
    pub employee_id: Option<String>,
    pub operation: String,
    pub status: String,
    pub message: String,
    pub partner_status: Option<i64>,
    pub partner_body: Option<String>,
}

/// A run as monitoring shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    pub id: String,
    pub install_id: String,
    pub tenant_id: String,
    pub connector_id: String,
    pub plugin_version: String,
    pub kind: String,
    pub trigger: String,
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub failure_reason: Option<String>,
    pub requests: i64,
    pub peak_memory: i64,
    /// The queued job the run belongs to; `None` for runs from the CLI.
    pub job_id: Option<String>,
}

const EMPLOYEE_COLUMNS: &str = "id, first_name, last_name, preferred_name, department, position, \
    status, work_email, personal_email, phone, birth_date, hire_date, termination_date, \
    legal_entity, contract_type, weekly_hours, supervisor_id, cost_center, salary_minor, \
    hourly_wage_minor, currency, login, updated_at";

const ABSENCE_COLUMNS: &str = "id, employee_id, type_name, start_date, end_date, half_day_start, \
    half_day_end, status, updated_at";

const RUN_COLUMNS: &str = "id, install_id, tenant_id, connector_id, plugin_version, kind, \
    run_trigger, status, started_at, finished_at, duration_ms, failure_reason, requests, peak_memory, \
    job_id";

fn employee_from(row: &AnyRow) -> Result<Employee, sqlx::Error> {
    Ok(Employee {
        id: row.try_get("id")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        preferred_name: row.try_get("preferred_name")?,
        department: row.try_get("department")?,
        position: row.try_get("position")?,
        status: row.try_get("status")?,
        work_email: row.try_get("work_email")?,
        personal_email: row.try_get("personal_email")?,
        phone: row.try_get("phone")?,
        birth_date: row.try_get("birth_date")?,
        hire_date: row.try_get("hire_date")?,
        termination_date: row.try_get("termination_date")?,
        legal_entity: row.try_get("legal_entity")?,
        contract_type: row.try_get("contract_type")?,
        weekly_hours: row.try_get("weekly_hours")?,
        supervisor_id: row.try_get("supervisor_id")?,
        cost_center: row.try_get("cost_center")?,
        salary_minor: row.try_get("salary_minor")?,
        hourly_wage_minor: row.try_get("hourly_wage_minor")?,
        currency: row.try_get("currency")?,
        login: row.try_get("login")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn absence_from(row: &AnyRow) -> Result<Absence, sqlx::Error> {
    Ok(Absence {
        id: row.try_get("id")?,
        employee_id: row.try_get("employee_id")?,
        type_name: row.try_get("type_name")?,
        start_date: row.try_get("start_date")?,
        end_date: row.try_get("end_date")?,
        half_day_start: row.try_get::<i64, _>("half_day_start")? != 0,
        half_day_end: row.try_get::<i64, _>("half_day_end")? != 0,
        status: row.try_get("status")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn run_from(row: &AnyRow) -> Result<RunRecord, sqlx::Error> {
    Ok(RunRecord {
        id: row.try_get("id")?,
        install_id: row.try_get("install_id")?,
        tenant_id: row.try_get("tenant_id")?,
        connector_id: row.try_get("connector_id")?,
        plugin_version: row.try_get("plugin_version")?,
        kind: row.try_get("kind")?,
        trigger: row.try_get("run_trigger")?,
        status: row.try_get("status")?,
        started_at: row.try_get("started_at")?,
        finished_at: row.try_get("finished_at")?,
        duration_ms: row.try_get("duration_ms")?,
        failure_reason: row.try_get("failure_reason")?,
        requests: row.try_get("requests")?,
        peak_memory: row.try_get("peak_memory")?,
        job_id: row.try_get("job_id")?,
    })
}

/// Appends the visibility conditions for employees aliased `e`.
fn push_visible(q: &mut Sql, vis: &Visibility) {
    let today = crate::time::date_text(vis.today);
    q.push(" e.tenant_id = ").bind(vis.tenant_id.clone());
    q.push(" AND e.hire_date <= ").bind(today.clone());
    q.push(" AND (e.termination_date IS NULL OR e.termination_date >= ")
        .bind(today);
    q.push(") AND NOT EXISTS (SELECT 1 FROM employee_exclusions x WHERE x.tenant_id = e.tenant_id")
        .push(" AND x.employee_id = e.id AND x.connector_id = ")
        .bind(vis.connector_id.clone())
        .push(")");
}

/// A random identifier with a prefix, e.g. `run-4f1c…`.
pub fn new_id(prefix: &str) -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    format!("{prefix}-{}", hex::encode(bytes))
}

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates.
    /// `url` is `sqlite://path`, `sqlite::memory:` or `postgres://…`.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_string())
        } else if url.starts_with("sqlite:") {
            let url = if url.contains('?') || url.contains(":memory:") {
                url.to_string()
            } else {
                format!("{url}?mode=rwc")
            };
            (Dialect::Sqlite, url)
        } else {
            return Err(StoreError::Invalid(format!(
                "database URL {url:?} must start with sqlite: or postgres://"
            )));
        };
        let memory = url.contains(":memory:");
        let options = AnyPoolOptions::new()
            // One connection keeps an in-memory database alive and shared.
            .max_connections(if memory { 1 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            });
        let pool = options.connect(&url).await?;
        if dialect == Dialect::Sqlite && !memory {
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, dialect })
    }

    /// A SQLite file at `path`.
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Store> {
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that will write. SQLite takes the write lock at the
    /// start (`BEGIN IMMEDIATE`): a transaction that read first and then
    /// tried to write could otherwise fail at once when another connection
    /// wrote in between, instead of waiting its turn.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    // ---- tenants and HR data -------------------------------------------

    pub async fn create_tenant(&self, id: &str, name: &str) -> Result<()> {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(name)
            .bind(crate::time::now_text())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn tenant_exists(&self, id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Inserts or replaces employees, in batches inside one transaction.
    pub async fn upsert_employees(&self, tenant_id: &str, employees: &[Employee]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_employees(&mut tx, tenant_id, employees).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes employees with their inclusion answers and (when given)
    /// their custom attributes, all or nothing.
    pub async fn write_employees(&self, tenant_id: &str, writes: &[EmployeeWrite]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let employees: Vec<Employee> = writes.iter().map(|w| w.employee.clone()).collect();
        insert_employees(&mut tx, tenant_id, &employees).await?;
        for w in writes {
            for (connector, included) in &w.include_in {
                sqlx::query(
                    "DELETE FROM employee_exclusions WHERE tenant_id = $1 AND employee_id = $2 AND connector_id = $3",
                )
                .bind(tenant_id)
                .bind(&w.employee.id)
                .bind(connector)
                .execute(&mut *tx)
                .await?;
                if !included {
                    sqlx::query(
                        "INSERT INTO employee_exclusions (tenant_id, employee_id, connector_id) VALUES ($1, $2, $3)",
                    )
                    .bind(tenant_id)
                    .bind(&w.employee.id)
                    .bind(connector)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            if let Some(attributes) = &w.attributes {
                sqlx::query(
                    "DELETE FROM employee_attributes WHERE tenant_id = $1 AND employee_id = $2",
                )
                .bind(tenant_id)
                .bind(&w.employee.id)
                .execute(&mut *tx)
                .await?;
                for (name, value) in attributes {
                    sqlx::query(
                        "INSERT INTO employee_attributes (tenant_id, employee_id, name, value) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(tenant_id)
                    .bind(&w.employee.id)
                    .bind(name)
                    .bind(value)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Custom attributes of the given employees, by employee id.
    pub async fn employee_attributes(
        &self,
        tenant_id: &str,
        ids: &[String],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for chunk in ids.chunks(400) {
            let mut q = Sql::new(
                "SELECT employee_id, name, value FROM employee_attributes WHERE tenant_id = ",
            );
            q.bind(tenant_id.to_string()).push(" AND employee_id IN ");
            q.list(chunk.iter().cloned());
            for r in q.fetch_all(&self.pool).await? {
                out.entry(r.try_get("employee_id")?)
                    .or_default()
                    .insert(r.try_get("name")?, r.try_get("value")?);
            }
        }
        Ok(out)
    }
}

/// What the host fills in when a connector creates an employee without
/// it, and how the login is formed (`{first_initial}{last_name}` when unset).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSettings {
    #[serde(default)]
    pub default_legal_entity: Option<String>,
    #[serde(default)]
    pub default_department: Option<String>,
    #[serde(default)]
    pub default_position: Option<String>,
    #[serde(default)]
    pub login_format: Option<String>,
}

/// One employee as a tenant writes it.
#[derive(Debug, Clone)]
pub struct EmployeeWrite {
    pub employee: Employee,
    /// "Include in transfer to <connector>?" answers given with it.
    pub include_in: BTreeMap<String, bool>,
    /// Replaces all custom attributes when `Some`.
    pub attributes: Option<BTreeMap<String, String>>,
}

async fn insert_employees(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    employees: &[Employee],
) -> Result<()> {
    {
        for chunk in employees.chunks(400) {
            let mut del = Sql::new("DELETE FROM employees WHERE tenant_id = ");
            del.bind(tenant_id.to_string()).push(" AND id IN ");
            del.list(chunk.iter().map(|e| e.id.clone()));
            del.execute(&mut **tx).await?;

            let mut q = Sql::new(format!(
                "INSERT INTO employees (tenant_id, {EMPLOYEE_COLUMNS}) "
            ));
            q.push("VALUES ").values(chunk, |b, e| {
                b.bind(tenant_id.to_string())
                    .bind(e.id.clone())
                    .bind(e.first_name.clone())
                    .bind(e.last_name.clone())
                    .bind(e.preferred_name.clone())
                    .bind(e.department.clone())
                    .bind(e.position.clone())
                    .bind(e.status.clone())
                    .bind(e.work_email.clone())
                    .bind(e.personal_email.clone())
                    .bind(e.phone.clone())
                    .bind(e.birth_date.clone())
                    .bind(e.hire_date.clone())
                    .bind(e.termination_date.clone())
                    .bind(e.legal_entity.clone())
                    .bind(e.contract_type.clone())
                    .bind(e.weekly_hours)
                    .bind(e.supervisor_id.clone())
                    .bind(e.cost_center.clone())
                    .bind(e.salary_minor)
                    .bind(e.hourly_wage_minor)
                    .bind(e.currency.clone())
                    .bind(e.login.clone())
                    .bind(e.updated_at.clone());
            });
            q.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

impl Store {
    pub async fn upsert_absences(&self, tenant_id: &str, absences: &[Absence]) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for chunk in absences.chunks(800) {
            let mut del = Sql::new("DELETE FROM absences WHERE tenant_id = ");
            del.bind(tenant_id.to_string()).push(" AND id IN ");
            del.list(chunk.iter().map(|a| a.id.clone()));
            del.execute(&mut *tx).await?;

            let mut q = Sql::new(format!(
                "INSERT INTO absences (tenant_id, {ABSENCE_COLUMNS}) "
            ));
            q.push("VALUES ").values(chunk, |b, a| {
                b.bind(tenant_id.to_string())
                    .bind(a.id.clone())
                    .bind(a.employee_id.clone())
                    .bind(a.type_name.clone())
                    .bind(a.start_date.clone())
                    .bind(a.end_date.clone())
                    .bind(i64::from(a.half_day_start))
                    .bind(i64::from(a.half_day_end))
                    .bind(a.status.clone())
                    .bind(a.updated_at.clone());
            });
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets the tenant's "include in transfer to `connector_id`?" answer.
    pub async fn set_included(
        &self,
        tenant_id: &str,
        employee_id: &str,
        connector_id: &str,
        included: bool,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM employee_exclusions WHERE tenant_id = $1 AND employee_id = $2 AND connector_id = $3",
        )
        .bind(tenant_id)
        .bind(employee_id)
        .bind(connector_id)
        .execute(&self.pool)
        .await?;
        if !included {
            sqlx::query(
                "INSERT INTO employee_exclusions (tenant_id, employee_id, connector_id) VALUES ($1, $2, $3)",
            )
            .bind(tenant_id)
            .bind(employee_id)
            .bind(connector_id)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    pub async fn set_exclusions(
        &self,
        tenant_id: &str,
        exclusions: &[(String, String)],
    ) -> Result<()> {
        for (employee_id, connector_id) in exclusions {
            self.set_included(tenant_id, employee_id, connector_id, false)
                .await?;
        }
        Ok(())
    }

    /// Every employee of a tenant, regardless of visibility (for the
    /// tenant's own views and tests).
    pub async fn all_employees(&self, tenant_id: &str) -> Result<Vec<Employee>> {
        let rows = sqlx::query(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(employee_from).collect::<Result<_, _>>()?)
    }

    pub async fn all_absences(&self, tenant_id: &str) -> Result<Vec<Absence>> {
        let rows = sqlx::query(&format!(
            "SELECT {ABSENCE_COLUMNS} FROM absences WHERE tenant_id = $1 ORDER BY id"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(absence_from).collect::<Result<_, _>>()?)
    }

    pub async fn exclusions(&self, tenant_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT employee_id, connector_id FROM employee_exclusions WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("employee_id")?, r.try_get("connector_id")?)))
            .collect()
    }

    /// One employee as stored, regardless of visibility.
    pub async fn employee(&self, tenant_id: &str, id: &str) -> Result<Option<Employee>> {
        let row = sqlx::query(&format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(employee_from).transpose()?)
    }

    /// The stored employees among `ids`, by id.
    pub async fn employees_by_id(
        &self,
        tenant_id: &str,
        ids: &[String],
    ) -> Result<BTreeMap<String, Employee>> {
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(400) {
            let mut q = Sql::new(format!(
                "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = "
            ));
            q.bind(tenant_id.to_string()).push(" AND id IN ");
            q.list(chunk.iter().cloned());
            for row in q.fetch_all(&self.pool).await? {
                let e = employee_from(&row)?;
                out.insert(e.id.clone(), e);
            }
        }
        Ok(out)
    }

    /// One absence as stored.
    pub async fn absence(&self, tenant_id: &str, id: &str) -> Result<Option<Absence>> {
        let row = sqlx::query(&format!(
            "SELECT {ABSENCE_COLUMNS} FROM absences WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(absence_from).transpose()?)
    }

    pub async fn employee_exists(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let row = sqlx::query("SELECT id FROM employees WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// A page of a tenant's employees in id order, each with the connectors
    /// the tenant excluded them from; the cursor is the last id.
    pub async fn employees_page(
        &self,
        tenant_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<serde_json::Value>, Option<String>)> {
        let mut q = Sql::new(format!(
            "SELECT {EMPLOYEE_COLUMNS} FROM employees WHERE tenant_id = "
        ));
        q.bind(tenant_id.to_string());
        if let Some(after) = after {
            q.push(" AND id > ").bind(after.to_string());
        }
        q.push(" ORDER BY id LIMIT ").bind(i64::from(limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        let employees: Vec<Employee> = rows.iter().map(employee_from).collect::<Result<_, _>>()?;
        let (employees, next) = crate::hr::split_page(employees, limit, |e| &e.id);
        let mut excluded: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (employee, connector) in self.exclusions(tenant_id).await? {
            excluded.entry(employee).or_default().push(connector);
        }
        let ids: Vec<String> = employees.iter().map(|e| e.id.clone()).collect();
        let mut attributes = self.employee_attributes(tenant_id, &ids).await?;
        let items = employees
            .into_iter()
            .map(|e| {
                let mut value = serde_json::json!(e);
                value["excluded_from"] =
                    serde_json::json!(excluded.remove(&e.id).unwrap_or_default());
                value["custom_attributes"] =
                    serde_json::json!(attributes.remove(&e.id).unwrap_or_default());
                value
            })
            .collect();
        Ok((items, next))
    }

    /// A page of a tenant's absences in id order; the cursor is the last id.
    pub async fn absences_page(
        &self,
        tenant_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Absence>, Option<String>)> {
        let mut q = Sql::new(format!(
            "SELECT {ABSENCE_COLUMNS} FROM absences WHERE tenant_id = "
        ));
        q.bind(tenant_id.to_string());
        if let Some(after) = after {
            q.push(" AND id > ").bind(after.to_string());
        }
        q.push(" ORDER BY id LIMIT ").bind(i64::from(limit) + 1);
        let rows = q.fetch_all(&self.pool).await?;
        let absences: Vec<Absence> = rows.iter().map(absence_from).collect::<Result<_, _>>()?;
        Ok(crate::hr::split_page(absences, limit, |a| &a.id))
    }

    /// Employees the connector may see, in id order.
    pub async fn visible_employees(
        &self,
        vis: &Visibility,
        filter: &EmployeeFilter,
    ) -> Result<Vec<Employee>> {
        let mut q = Sql::new(format!("SELECT {EMPLOYEE_COLUMNS} FROM employees e WHERE"));
        push_visible(&mut q, vis);
        if let Some(id) = &filter.id {
            q.push(" AND e.id = ").bind(id.clone());
        }
        if let Some(after) = &filter.after_id {
            q.push(" AND e.id > ").bind(after.clone());
        }
        if let Some(dept) = &filter.department {
            q.push(" AND e.department = ").bind(dept.clone());
        }
        if let Some(since) = &filter.updated_since {
            q.push(" AND e.updated_at >= ").bind(since.clone());
        }
        if let Some(status) = &filter.status {
            q.push(" AND e.status = ").bind(status.clone());
        }
        q.push(" ORDER BY e.id LIMIT ")
            .bind(i64::from(filter.limit.max(1)));
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(employee_from).collect::<Result<_, _>>()?)
    }

    /// Absences of visible employees overlapping `[from, to]`, in id order.
    pub async fn visible_absences(
        &self,
        vis: &Visibility,
        filter: &AbsenceFilter,
    ) -> Result<Vec<Absence>> {
        let cols = ABSENCE_COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = Sql::new(format!(
            "SELECT {cols} FROM absences a JOIN employees e ON e.tenant_id = a.tenant_id AND e.id = a.employee_id WHERE"
        ));
        push_visible(&mut q, vis);
        q.push(" AND a.start_date <= ").bind(filter.to.clone());
        q.push(" AND a.end_date >= ").bind(filter.from.clone());
        if let Some(id) = &filter.id {
            q.push(" AND a.id = ").bind(id.clone());
        }
        if let Some(after) = &filter.after_id {
            q.push(" AND a.id > ").bind(after.clone());
        }
        if let Some(emp) = &filter.employee_id {
            q.push(" AND a.employee_id = ").bind(emp.clone());
        }
        if let Some(ty) = &filter.type_name {
            q.push(" AND a.type_name = ").bind(ty.clone());
        }
        if !filter.statuses.is_empty() {
            q.push(" AND a.status IN ");
            q.list(filter.statuses.clone());
        }
        if let Some(since) = &filter.updated_since {
            q.push(" AND a.updated_at >= ").bind(since.clone());
        }
        q.push(" ORDER BY a.id LIMIT ")
            .bind(i64::from(filter.limit.max(1)));
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(absence_from).collect::<Result<_, _>>()?)
    }

    /// Creates an employee for a connector, once per idempotency key. The
    /// key is claimed first, in the same transaction, so two concurrent
    /// deliveries cannot both create one.
    pub async fn create_employee(
        &self,
        vis: &Visibility,
        new: &crate::bindings::hr::NewEmployee,
        key: &str,
    ) -> Result<String> {
        let existing = || async {
            sqlx::query(
                "SELECT employee_id FROM created_employees WHERE tenant_id = $1 AND connector_id = $2 AND idempotency_key = $3",
            )
            .bind(&vis.tenant_id)
            .bind(&vis.connector_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
        };
        if let Some(row) = existing().await? {
            return Ok(row.try_get("employee_id")?);
        }
        let id = new_id("e");
        let now = crate::time::now_text();
        let mut tx = self.begin_write().await?;
        let claimed = sqlx::query(
            "INSERT INTO created_employees (tenant_id, connector_id, idempotency_key, employee_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&vis.tenant_id)
        .bind(&vis.connector_id)
        .bind(key)
        .bind(&id)
        .bind(&now)
        .execute(&mut *tx)
        .await;
        if claimed.is_err() {
            drop(tx);
            return match existing().await? {
                Some(row) => Ok(row.try_get("employee_id")?),
                None => Err(StoreError::Invalid(
                    "could not claim the idempotency key".into(),
                )),
            };
        }
        let settings = sqlx::query(
            "SELECT default_legal_entity, default_department, default_position, login_format FROM tenant_settings WHERE tenant_id = $1",
        )
        .bind(&vis.tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
        let setting = |name: &str| -> Option<String> {
            settings
                .as_ref()
                .and_then(|r| r.try_get::<Option<String>, _>(name).ok().flatten())
        };
        let format =
            setting("login_format").unwrap_or_else(|| crate::hr::DEFAULT_LOGIN_FORMAT.to_string());
        let login = crate::hr::login_from(&format, &new.first_name, &new.last_name);
        let taken: Vec<String> =
            sqlx::query("SELECT login FROM employees WHERE tenant_id = $1 AND login LIKE $2")
                .bind(&vis.tenant_id)
                .bind(format!("{login}%"))
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .filter_map(|r| r.try_get::<Option<String>, _>("login").ok().flatten())
                .collect();
        let login = (1..)
            .map(|n| {
                if n == 1 {
                    login.clone()
                } else {
                    format!("{login}{n}")
                }
            })
            .find(|candidate| !taken.contains(candidate))
            .unwrap_or(login);
        let start = new
            .start_date
            .clone()
            .unwrap_or_else(|| crate::time::date_text(vis.today));
        sqlx::query(&format!(
            "INSERT INTO employees (tenant_id, {EMPLOYEE_COLUMNS}) VALUES ($1, $2, $3, $4, NULL, $5, $6, 'active', $7, $8, $9, NULL, $10, NULL, $11, $12, NULL, NULL, NULL, NULL, NULL, NULL, $13, $14)"
        ))
        .bind(&vis.tenant_id)
        .bind(&id)
        .bind(new.first_name.trim())
        .bind(new.last_name.trim())
        .bind(new.department.clone().or_else(|| setting("default_department")))
        .bind(new.position.clone().or_else(|| setting("default_position")))
        .bind(new.work_email.clone().or_else(|| new.personal_email.clone()))
        .bind(new.personal_email.clone())
        .bind(new.phone.clone())
        .bind(start)
        .bind(new.legal_entity.clone().or_else(|| setting("default_legal_entity")))
        .bind(new.contract_type.clone())
        .bind(login)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The tenant's defaults for created employees and its login format.
    pub async fn tenant_settings(&self, tenant_id: &str) -> Result<TenantSettings> {
        let row = sqlx::query(
            "SELECT default_legal_entity, default_department, default_position, login_format FROM tenant_settings WHERE tenant_id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => TenantSettings {
                default_legal_entity: r.try_get("default_legal_entity")?,
                default_department: r.try_get("default_department")?,
                default_position: r.try_get("default_position")?,
                login_format: r.try_get("login_format")?,
            },
            None => TenantSettings::default(),
        })
    }

    pub async fn set_tenant_settings(&self, tenant_id: &str, s: &TenantSettings) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM tenant_settings WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO tenant_settings (tenant_id, default_legal_entity, default_department, default_position, login_format, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant_id)
        .bind(&s.default_legal_entity)
        .bind(&s.default_department)
        .bind(&s.default_position)
        .bind(&s.login_format)
        .bind(crate::time::now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- API tokens -------------------------------------------------------

    pub async fn insert_token(&self, hash: &str, p: &crate::auth::Principal) -> Result<()> {
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

    pub async fn token(&self, hash: &str) -> Result<Option<crate::auth::Principal>> {
        let row = sqlx::query(
            "SELECT id, role, partner_id, tenant_id, marketplace_right, label FROM api_tokens WHERE token_hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let role: String = r.try_get("role")?;
        let Some(role) = crate::auth::Role::parse(&role) else {
            return Err(StoreError::Invalid(format!(
                "token with unknown role {role:?}"
            )));
        };
        Ok(Some(crate::auth::Principal {
            token_id: r.try_get("id")?,
            role,
            partner_id: r.try_get("partner_id")?,
            tenant_id: r.try_get("tenant_id")?,
            marketplace_right: r.try_get::<i64, _>("marketplace_right")? != 0,
            label: r.try_get("label")?,
        }))
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    // ---- install state ---------------------------------------------------

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
        sqlx::query("DELETE FROM install_state WHERE install_id = $1")
            .bind(install_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO install_state (install_id, value, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(install_id)
        .bind(value)
        .bind(crate::time::now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- runs -----------------------------------------------------------

    pub async fn create_run(&self, run: &RunRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO runs ({RUN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, NULL, 0, 0, $10)"
        ))
        .bind(&run.id)
        .bind(&run.install_id)
        .bind(&run.tenant_id)
        .bind(&run.connector_id)
        .bind(&run.plugin_version)
        .bind(&run.kind)
        .bind(&run.trigger)
        .bind(&run.status)
        .bind(&run.started_at)
        .bind(&run.job_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the end of a run.
    pub async fn finish_run(&self, run: &RunRecord) -> Result<()> {
        sqlx::query(
            "UPDATE runs SET status = $1, finished_at = $2, duration_ms = $3, failure_reason = $4, requests = $5, peak_memory = $6 WHERE id = $7",
        )
        .bind(&run.status)
        .bind(&run.finished_at)
        .bind(run.duration_ms)
        .bind(&run.failure_reason)
        .bind(run.requests)
        .bind(run.peak_memory)
        .bind(&run.id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn run(&self, id: &str) -> Result<Option<RunRecord>> {
        let row = sqlx::query(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(run_from).transpose()?)
    }

    pub async fn runs_of_install(&self, install_id: &str) -> Result<Vec<RunRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE install_id = $1 ORDER BY started_at DESC, id"
        ))
        .bind(install_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(run_from).collect::<Result<_, _>>()?)
    }

    /// Runs of an install, newest first, `limit` of them after the cursor
    /// `(started_at, id)` of the last run of the previous page.
    pub async fn runs_page(
        &self,
        install_id: &str,
        before: Option<(&str, &str)>,
        limit: i64,
    ) -> Result<Vec<RunRecord>> {
        let mut q = Sql::new(format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE install_id = "
        ));
        q.bind(install_id.to_string());
        if let Some((started_at, id)) = before {
            q.push(" AND (started_at < ")
                .bind(started_at.to_string())
                .push(" OR (started_at = ")
                .bind(started_at.to_string())
                .push(" AND id > ")
                .bind(id.to_string())
                .push("))");
        }
        q.push(" ORDER BY started_at DESC, id LIMIT ")
            .bind(limit.max(1));
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(run_from).collect::<Result<_, _>>()?)
    }

    /// Finished runs by status: (status, count, total duration in ms).
    pub async fn run_totals(&self) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n, CAST(SUM(COALESCE(duration_ms, 0)) AS BIGINT) AS ms FROM runs GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("status")?,
                    r.try_get("n")?,
                    r.try_get::<Option<i64>, _>("ms")?.unwrap_or(0),
                ))
            })
            .collect()
    }

    /// Appends monitoring rows in one transaction.
    pub async fn insert_rows(&self, run_id: &str, rows: &[RunRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for chunk in rows.chunks(500) {
            let mut q = Sql::new(
                "INSERT INTO run_rows (run_id, seq, recorded_at, employee_id, operation, status, message, partner_status, partner_body) ",
            );
            q.push("VALUES ").values(chunk, |b, r| {
                b.bind(run_id.to_string())
                    .bind(r.seq)
                    .bind(r.recorded_at.clone())
                    .bind(r.employee_id.clone())
                    .bind(r.operation.clone())
                    .bind(r.status.clone())
                    .bind(r.message.clone())
                    .bind(r.partner_status)
                    .bind(r.partner_body.clone());
            });
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Rows of a run in order, optionally only one status or employee.
    pub async fn run_rows(
        &self,
        run_id: &str,
        status: Option<&str>,
        employee_id: Option<&str>,
        after_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<RunRow>> {
        let mut q = Sql::new(
            "SELECT seq, recorded_at, employee_id, operation, status, message, partner_status, partner_body FROM run_rows WHERE run_id = ",
        );
        q.bind(run_id.to_string());
        if let Some(s) = status {
            q.push(" AND status = ").bind(s.to_string());
        }
        if let Some(e) = employee_id {
            q.push(" AND employee_id = ").bind(e.to_string());
        }
        if let Some(after) = after_seq {
            q.push(" AND seq > ").bind(after);
        }
        q.push(" ORDER BY seq LIMIT ").bind(limit.max(1));
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(RunRow {
                    seq: r.try_get("seq")?,
                    recorded_at: r.try_get("recorded_at")?,
                    employee_id: r.try_get("employee_id")?,
                    operation: r.try_get("operation")?,
                    status: r.try_get("status")?,
                    message: r.try_get("message")?,
                    partner_status: r.try_get("partner_status")?,
                    partner_body: r.try_get("partner_body")?,
                })
            })
            .collect()
    }

    /// Row counts of a run by (operation, status).
    pub async fn run_counts(&self, run_id: &str) -> Result<BTreeMap<(String, String), i64>> {
        let rows = sqlx::query(
            "SELECT operation, status, COUNT(*) AS n FROM run_rows WHERE run_id = $1 GROUP BY operation, status",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    (r.try_get("operation")?, r.try_get("status")?),
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    pub async fn insert_logs(
        &self,
        run_id: &str,
        lines: &[crate::capabilities::LogLine],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (chunk_no, chunk) in lines.chunks(500).enumerate() {
            let mut q = Sql::new("INSERT INTO run_logs (run_id, seq, at, level, message) ");
            q.push("VALUES ")
                .values(chunk.iter().enumerate(), |b, (i, l)| {
                    b.bind(run_id.to_string())
                        .bind((chunk_no * 500 + i) as i64)
                        .bind(l.at.clone())
                        .bind(l.level.clone())
                        .bind(l.message.clone());
                });
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records what a run read and wrote.
    pub async fn insert_audit(
        &self,
        run: &RunRecord,
        entries: &[crate::capabilities::hr::AuditEntry],
    ) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (chunk_no, chunk) in entries.chunks(200).enumerate() {
            let mut q = Sql::new(
                "INSERT INTO audit_log (tenant_id, install_id, run_id, seq, at, action, what, employee_ids, attribute_groups) ",
            );
            q.push("VALUES ")
                .values(chunk.iter().enumerate(), |b, (i, e)| {
                    b.bind(run.tenant_id.clone())
                        .bind(run.install_id.clone())
                        .bind(run.id.clone())
                        .bind((chunk_no * 200 + i) as i64)
                        .bind(e.at.clone())
                        .bind(e.action.to_string())
                        .bind(e.what.to_string())
                        .bind(serde_json::to_string(&e.employee_ids).unwrap_or_default())
                        .bind(serde_json::to_string(&e.attribute_groups).unwrap_or_default());
                });
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The audit trail of a tenant between two instants, oldest first,
    /// optionally of one install.
    pub async fn audit_trail(
        &self,
        tenant_id: &str,
        from: &str,
        to: &str,
        install_id: Option<&str>,
    ) -> Result<Vec<serde_json::Value>> {
        let mut q = Sql::new(
            "SELECT a.install_id, a.run_id, a.at, a.action, a.what, a.employee_ids, a.attribute_groups, r.connector_id \
             FROM audit_log a LEFT JOIN runs r ON r.id = a.run_id WHERE a.tenant_id = ",
        );
        q.bind(tenant_id.to_string());
        q.push(" AND a.at >= ").bind(from.to_string());
        q.push(" AND a.at < ").bind(to.to_string());
        if let Some(install) = install_id {
            q.push(" AND a.install_id = ").bind(install.to_string());
        }
        q.push(" ORDER BY a.at, a.run_id, a.seq");
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let ids: String = r.try_get("employee_ids")?;
                let groups: String = r.try_get("attribute_groups")?;
                Ok(serde_json::json!({
                    "at": r.try_get::<String, _>("at")?,
                    "install_id": r.try_get::<String, _>("install_id")?,
                    "connector_id": r.try_get::<Option<String>, _>("connector_id")?,
                    "run_id": r.try_get::<String, _>("run_id")?,
                    "action": r.try_get::<String, _>("action")?,
                    "what": r.try_get::<String, _>("what")?,
                    "employee_ids": serde_json::from_str::<serde_json::Value>(&ids).unwrap_or_default(),
                    "attribute_groups": serde_json::from_str::<serde_json::Value>(&groups).unwrap_or_default(),
                }))
            })
            .collect()
    }

    pub async fn run_logs(&self, run_id: &str) -> Result<Vec<crate::capabilities::LogLine>> {
        let rows =
            sqlx::query("SELECT at, level, message FROM run_logs WHERE run_id = $1 ORDER BY seq")
                .bind(run_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::capabilities::LogLine {
                    at: r.try_get("at")?,
                    level: r.try_get("level")?,
                    message: r.try_get("message")?,
                })
            })
            .collect()
    }
}
