//! The parts of an employee write besides the record, batched so that a
//! file of a hundred thousand employees is a few hundred statements: the
//! inclusion answers and the custom attributes.

use std::collections::BTreeMap;

use sqlx::Row;

use super::super::sql::Sql;
use super::super::{Dialect, Result};

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Rows per statement: each binds at most four values, well below every
/// database's parameter limit.
const CHUNK: usize = 500;

/// Records "include in transfer to `connector`?" answers `(employee,
/// connector, included)` given at `at`. An exclusion keeps the instant it
/// started (a repeated No does not move it: the connector lost sight of
/// the person then); a Yes that ends an exclusion records when the person
/// became visible again.
pub(super) async fn set_inclusions(
    tx: &mut Tx,
    tenant_id: &str,
    answers: &[(&str, &str, bool)],
    at: &str,
) -> Result<()> {
    let excluded: Vec<(&str, &str)> = answers
        .iter()
        .filter(|(_, _, included)| !included)
        .map(|(employee, connector, _)| (*employee, *connector))
        .collect();
    for chunk in excluded.chunks(CHUNK) {
        let mut q = Sql::new(
            Dialect::of(tx),
            "INSERT INTO employee_exclusions (tenant_id, employee_id, connector_id, excluded_at) VALUES ",
        );
        q.values(chunk, |b, (employee, connector)| {
            b.bind(tenant_id.to_string())
                .bind(employee.to_string())
                .bind(connector.to_string())
                .bind(at.to_string());
        });
        q.push(" ON CONFLICT (tenant_id, employee_id, connector_id) DO NOTHING");
        q.execute(&mut **tx).await?;
    }

    let mut included: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (employee, connector, yes) in answers {
        if *yes {
            included.entry(*connector).or_default().push(*employee);
        }
    }
    for (connector, employees) in included {
        for chunk in employees.chunks(CHUNK) {
            let mut q = Sql::new(
                Dialect::of(tx),
                "DELETE FROM employee_exclusions WHERE tenant_id = ",
            );
            q.bind(tenant_id.to_string())
                .push(" AND connector_id = ")
                .bind(connector.to_string())
                .push(" AND employee_id IN ");
            q.list(chunk.iter().map(|e| e.to_string()));
            q.push(" RETURNING employee_id");
            let ended: Vec<String> = q
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| r.try_get("employee_id"))
                .collect::<Result<_, _>>()?;
            if ended.is_empty() {
                continue;
            }
            let mut q = Sql::new(
                Dialect::of(tx),
                "INSERT INTO employee_inclusions (tenant_id, employee_id, connector_id, included_at) VALUES ",
            );
            q.values(&ended, |b, employee| {
                b.bind(tenant_id.to_string())
                    .bind(employee.clone())
                    .bind(connector.to_string())
                    .bind(at.to_string());
            });
            q.push(
                " ON CONFLICT (tenant_id, employee_id, connector_id) \
                 DO UPDATE SET included_at = excluded.included_at",
            );
            q.execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Replaces all custom attributes of each `(employee, attributes)`.
pub(super) async fn replace_attributes(
    tx: &mut Tx,
    tenant_id: &str,
    writes: &[(&str, &BTreeMap<String, String>)],
) -> Result<()> {
    for chunk in writes.chunks(CHUNK) {
        let mut q = Sql::new(
            Dialect::of(tx),
            "DELETE FROM employee_attributes WHERE tenant_id = ",
        );
        q.bind(tenant_id.to_string()).push(" AND employee_id IN ");
        q.list(chunk.iter().map(|(employee, _)| employee.to_string()));
        q.execute(&mut **tx).await?;
    }
    let rows: Vec<(&str, &String, &String)> = writes
        .iter()
        .flat_map(|(employee, attributes)| {
            attributes
                .iter()
                .map(move |(name, value)| (*employee, name, value))
        })
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let mut q = Sql::new(
            Dialect::of(tx),
            "INSERT INTO employee_attributes (tenant_id, employee_id, name, value) VALUES ",
        );
        q.values(chunk, |b, (employee, name, value)| {
            b.bind(tenant_id.to_string())
                .bind(employee.to_string())
                .bind((*name).clone())
                .bind((*value).clone());
        });
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
