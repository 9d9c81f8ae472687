//! `lockgate:connector/config`: non-secret values only. A secret field reads
//! as absent, whatever the connector asks.

use std::collections::BTreeMap;

use lockgate_manifest::Manifest;

use crate::bindings::config::Host;
use crate::capabilities::Invocation;

/// The values a connector may read: non-secret fields, defaults filled in.
pub fn visible_config(
    manifest: &Manifest,
    config: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    manifest
        .config
        .iter()
        .filter(|f| !f.secret)
        .filter_map(|f| {
            let value = config.get(&f.key).or(f.default.as_ref())?;
            Some((f.key.clone(), value.clone()))
        })
        .collect()
}

impl Host for Invocation {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<String>> {
        Ok(self.config.get(&key).cloned())
    }

    async fn get_all(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self
            .config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}
