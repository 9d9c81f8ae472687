//! Dynamic SQL for both databases. sqlx's `QueryBuilder` writes `?`
//! placeholders for the `Any` driver, which PostgreSQL rejects; this writes
//! numbered `$1` placeholders for PostgreSQL and plain `?` for SQLite.
//! SQLite takes `$1` too, but sqlx then looks each parameter up by name,
//! and SQLite finds a name by walking the statement's list of names: a
//! multi-row insert of ten thousand values spent 80% of its time there.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, Arguments, Encode, Executor, Type};

use super::Dialect;

pub struct Sql {
    dialect: Dialect,
    text: String,
    args: AnyArguments<'static>,
    count: usize,
    /// Whether the connection keeps the prepared statement for reuse.
    cached: bool,
}

impl Sql {
    pub fn new(dialect: Dialect, text: impl Into<String>) -> Sql {
        Sql {
            dialect,
            text: text.into(),
            args: AnyArguments::default(),
            count: 0,
            cached: true,
        }
    }

    /// Prepares the statement for this one run only. For statements whose
    /// text varies with their input (a VALUES list of any length), which
    /// would otherwise push the statements that are used over and over
    /// out of the connection's cache.
    pub fn once(&mut self) -> &mut Sql {
        self.cached = false;
        self
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        self.count += 1;
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                let _ = write!(self.text, "${}", self.count);
            }
        }
        if let Err(e) = self.args.add(value) {
            // Encoding into the Any buffer only fails for unsupported types,
            // which is a programming error caught by the first test.
            panic!("cannot bind a value: {e}");
        }
        self
    }

    /// `(…, …), (…, …)` for a multi-row VALUES list.
    pub fn values<I, F>(&mut self, items: I, mut row: F) -> &mut Sql
    where
        I: IntoIterator,
        F: FnMut(&mut Row<'_>, I::Item),
    {
        for (i, item) in items.into_iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            let mut r = Row {
                sql: self,
                first: true,
            };
            row(&mut r, item);
            self.push(")");
        }
        self
    }

    /// `(…, …)` for an IN list.
    pub fn list<T, I>(&mut self, items: I) -> &mut Sql
    where
        I: IntoIterator<Item = T>,
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        self.push("(");
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(item);
        }
        self.push(")")
    }

    /// Starts a query that answers in one row: the records the rest of the
    /// statement selects, as a JSON array of objects with one key per
    /// column of `alias` (`columns` as in a column list), ordered by `key`.
    /// A page of 500 employees then crosses from the database as one value
    /// instead of 500 rows of two dozen values, which the driver copies
    /// and hands over one by one: reading a page costs a fifth. Continue
    /// with `FROM …` and the conditions, then [`Sql::fetch_json`].
    pub fn json_records(dialect: Dialect, alias: &str, columns: &str, key: &str) -> Sql {
        let pairs = columns
            .split(", ")
            .map(|c| format!("'{c}', {alias}.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Both order inside the aggregate by the same key the inner query
        // orders and pages by, in the column's own collation.
        let text = match dialect {
            Dialect::Sqlite => format!(
                "SELECT json_group_array(json(j) ORDER BY k) AS page FROM \
                 (SELECT json_object({pairs}) AS j, {key} AS k "
            ),
            Dialect::Postgres => format!(
                "SELECT COALESCE(json_agg(j ORDER BY k), '[]')::text AS page FROM \
                 (SELECT json_build_object({pairs}) AS j, {key} AS k "
            ),
        };
        Sql::new(dialect, text)
    }

    /// The records of a query begun with [`Sql::json_records`].
    pub async fn fetch_json<'e, T, E>(mut self, executor: E) -> Result<Vec<T>, sqlx::Error>
    where
        T: serde::de::DeserializeOwned,
        E: Executor<'e, Database = Any>,
    {
        self.push(") AS records");
        let row = sqlx::query_with(&self.text, self.args)
            .persistent(self.cached)
            .fetch_one(executor)
            .await?;
        let page: String = sqlx::Row::try_get(&row, "page")?;
        serde_json::from_str(&page).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }

    pub async fn execute<'e, E>(self, executor: E) -> Result<AnyQueryResult, sqlx::Error>
    where
        E: Executor<'e, Database = Any>,
    {
        sqlx::query_with(&self.text, self.args)
            .persistent(self.cached)
            .execute(executor)
            .await
    }

    pub async fn fetch_all<'e, E>(self, executor: E) -> Result<Vec<AnyRow>, sqlx::Error>
    where
        E: Executor<'e, Database = Any>,
    {
        sqlx::query_with(&self.text, self.args)
            .persistent(self.cached)
            .fetch_all(executor)
            .await
    }
}

/// Runs `statements` in order on one connection (a transaction, through
/// `Deref`), building each next statement while the database runs the one
/// before: binding thousands of values costs about as much as storing
/// them. Returns the rows affected in all.
pub async fn execute_all(
    connection: &mut sqlx::AnyConnection,
    // Boxed: a generic iterator of closures that borrow would make the
    // callers' futures `Send` only for some lifetimes.
    mut statements: Box<dyn Iterator<Item = Sql> + Send + '_>,
) -> Result<u64, sqlx::Error> {
    let mut affected = 0;
    let mut next = statements.next();
    while let Some(statement) = next {
        // `join!` polls the statement first, which hands it to the
        // database, then builds the next one on this thread.
        let (done, following) = tokio::join!(statement.execute(&mut *connection), async {
            statements.next()
        });
        affected += done?.rows_affected();
        next = following;
    }
    Ok(affected)
}

/// One row of a VALUES list.
pub struct Row<'a> {
    sql: &'a mut Sql,
    first: bool,
}

impl Row<'_> {
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Encode<'static, Any> + Type<Any>,
    {
        if !self.first {
            self.sql.push(", ");
        }
        self.first = false;
        self.sql.bind(value);
        self
    }
}
