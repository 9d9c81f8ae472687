//! What an install list shows beside each install, read for the whole list
//! in a fixed number of queries however many installs it holds: the
//! running and the listed version of each connector, the sealed secrets,
//! the sign-in at the partner and the last run.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::Row;

use super::super::catalog::{PluginVersion, VERSION_QUERY, version_from};
use super::super::runs::{RUN_COLUMNS, run_from};
use super::super::sql::Sql;
use super::super::{Result, Store};
use super::InstallRecord;
use crate::monitoring::RunRecord;

/// Installs per query: well below every database's parameter limit.
const CHUNK: usize = 200;

/// The facts of a set of installs, by install id (versions by connector
/// and version).
#[derive(Debug, Default)]
pub struct InstallFacts {
    /// The versions the installs run and the versions their connectors list.
    pub versions: BTreeMap<(String, String), PluginVersion>,
    /// Sealed secret configuration values.
    pub sealed_secrets: BTreeMap<String, String>,
    /// Who signed in at the partner and when, for installs signed in.
    pub signed_in: BTreeMap<String, (String, String)>,
    pub last_runs: BTreeMap<String, RunRecord>,
}

impl InstallFacts {
    /// The version `install` runs.
    pub fn running(&self, install: &InstallRecord) -> Option<&PluginVersion> {
        self.versions
            .get(&(install.connector_id.clone(), install.plugin_version.clone()))
    }

    /// The version the marketplace lists of `connector`.
    pub fn listed(&self, connector: &str) -> Option<&PluginVersion> {
        self.versions
            .range((connector.to_string(), String::new())..)
            .take_while(|((c, _), _)| c == connector)
            .map(|(_, v)| v)
            .find(|v| v.listed)
    }
}

impl Store {
    /// [`InstallFacts`] of `installs`: three queries per 200 installs.
    pub async fn install_facts(&self, installs: &[InstallRecord]) -> Result<InstallFacts> {
        let mut facts = InstallFacts::default();
        for chunk in installs.chunks(CHUNK) {
            let ids = || chunk.iter().map(|i| i.id.clone());

            let mut q = Sql::new(
                self.dialect,
                "SELECT id, secrets, CASE WHEN oauth_tokens IS NULL THEN NULL \
                 ELSE COALESCE(signed_in_at, '') END AS signed_in_at, signed_in_by \
                 FROM installs WHERE id IN ",
            );
            q.list(ids());
            for r in q.fetch_all(&self.pool).await? {
                let id: String = r.try_get("id")?;
                if let Some(sealed) = r.try_get::<Option<String>, _>("secrets")? {
                    facts.sealed_secrets.insert(id.clone(), sealed);
                }
                if let Some(at) = r.try_get::<Option<String>, _>("signed_in_at")? {
                    let by: Option<String> = r.try_get("signed_in_by")?;
                    facts.signed_in.insert(id, (at, by.unwrap_or_default()));
                }
            }

            let connectors: BTreeSet<String> =
                chunk.iter().map(|i| i.connector_id.clone()).collect();
            let versions: BTreeSet<String> =
                chunk.iter().map(|i| i.plugin_version.clone()).collect();
            let mut q = Sql::new(
                self.dialect,
                format!("{VERSION_QUERY} WHERE v.plugin_id IN "),
            );
            q.list(connectors);
            q.push(" AND (v.version = p.listed_version OR v.version IN ");
            q.list(versions);
            q.push(")");
            for r in q.fetch_all(&self.pool).await? {
                let v = version_from(&r)?;
                facts
                    .versions
                    .insert((v.plugin_id.clone(), v.version.clone()), v);
            }

            // Each install's newest run, found through the runs_install
            // index one install at a time inside the one statement.
            let mut q = Sql::new(
                self.dialect,
                format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE id IN (SELECT (SELECT x.id FROM runs x \
                 WHERE x.install_id = i.id ORDER BY x.started_at DESC, x.id LIMIT 1) \
                 FROM installs i WHERE i.id IN "
                ),
            );
            q.list(ids());
            q.push(")");
            for r in q.fetch_all(&self.pool).await? {
                let run = run_from(&r)?;
                facts.last_runs.insert(run.install_id.clone(), run);
            }
        }
        Ok(facts)
    }
}
