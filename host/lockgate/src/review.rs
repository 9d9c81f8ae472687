//! The review of a submission: the automated review runs on every
//! submitted version and its report is stored with it. A submission may
//! carry test access (the partner's test API and test credentials, sealed
//! like install secrets): the review then runs against that API, as
//! `plugin vet --partner-url` does, and the report shows neither.
//!
//! Layout: this file is the service (review a stored submission, store the
//! report, seal and open test access); [`partner`] is the loopback review
//! partner every exchange goes through, and the sample configuration;
//! [`upstream`] how it reaches the partner's test API; [`vet`] is the
//! review itself, its entry point [`vet::vet`] with one submodule per
//! report section.

pub mod partner;
pub mod upstream;
pub mod vet;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::app::App;
use crate::secrets::{SecretBox, SecretError};

/// A submission's test access: where the partner's test API is, and
/// configuration values (credentials included) to review against it.
#[derive(Clone)]
pub struct TestAccess {
    pub url: String,
    pub config: BTreeMap<String, String>,
}

impl std::fmt::Debug for TestAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TestAccess(address and {} value(s) withheld)",
            self.config.len()
        )
    }
}

/// The key in the sealed map that holds the address; config values are
/// under `config.<key>`.
const URL_KEY: &str = "url";

impl TestAccess {
    /// Whose the sealed value is: it opens for this version only.
    fn owner(plugin_id: &str, version: &str) -> String {
        format!("test-access:{plugin_id}@{version}")
    }

    pub fn seal(&self, secrets: &SecretBox, plugin_id: &str, version: &str) -> String {
        let mut values: BTreeMap<String, String> = self
            .config
            .iter()
            .map(|(k, v)| (format!("config.{k}"), v.clone()))
            .collect();
        values.insert(URL_KEY.into(), self.url.clone());
        secrets.seal(&TestAccess::owner(plugin_id, version), &values)
    }

    pub fn open(
        secrets: &SecretBox,
        plugin_id: &str,
        version: &str,
        sealed: &str,
    ) -> Result<TestAccess, SecretError> {
        let mut values = secrets.open(&TestAccess::owner(plugin_id, version), sealed)?;
        let url = values.remove(URL_KEY).unwrap_or_default();
        let config = values
            .into_iter()
            .filter_map(|(k, v)| k.strip_prefix("config.").map(|k| (k.to_string(), v)))
            .collect();
        Ok(TestAccess { url, config })
    }

    /// What the report must not show, longest first, each with what
    /// stands in its place: the address as given and as its origin, the
    /// secret values, and the addresses among the other values.
    fn concealed(&self, manifest: Option<&lockgate_manifest::Manifest>) -> Vec<(String, String)> {
        use lockgate_manifest::FieldType;
        let api = format!("({})", upstream::TEST_API);
        let mut out = vec![(self.url.clone(), api.clone())];
        let mut addresses = vec![self.url.as_str()];
        for (key, value) in &self.config {
            let field = manifest.and_then(|m| m.field(key));
            match field.map(|f| (f.secret, f.kind)) {
                Some((false, FieldType::Url | FieldType::Hostname)) => {
                    addresses.push(value.as_str())
                }
                Some((false, _)) => {}
                // A secret, or a value for no field the review knows.
                _ => out.push((value.clone(), "(withheld)".into())),
            }
        }
        for address in addresses {
            out.push((address.to_string(), api.clone()));
            let bare = address.trim_end_matches('/');
            out.push((bare.to_string(), api.clone()));
            if let Some(authority) = lockgate_manifest::hosts::url_authority(address) {
                out.push((authority.to_string(), api.clone()));
            }
        }
        // Short values would match by chance.
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|(value, _)| value.len() >= 4 && seen.insert(value.clone()));
        out.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        out
    }
}

/// Replaces every concealed value in every text of `value`.
fn conceal(value: &mut Value, concealed: &[(String, String)]) {
    match value {
        Value::String(text) => {
            for (secret, stand_in) in concealed {
                if text.contains(secret.as_str()) {
                    *text = text.replace(secret.as_str(), stand_in);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| conceal(v, concealed)),
        Value::Object(map) => map.values_mut().for_each(|v| conceal(v, concealed)),
        _ => {}
    }
}

fn setup_failure(reason: String) -> Value {
    json!({
        "vetted_at": crate::time::now_text(),
        "verdict": "fail",
        "checks": [{ "section": "review", "name": "setup", "verdict": "fail", "reason": reason }],
    })
}

/// Runs the automated review of a stored submission and stores its
/// report. A new version is checked against the listed one for the
/// upgrade; with test access, against the partner's test API.
pub async fn review_submission(state: App, plugin_id: String, version: String) {
    let access = match state.store.test_access(&plugin_id, &version).await {
        Ok(access) => access,
        Err(e) => {
            tracing::error!("cannot read the test access of {plugin_id} {version}: {e}");
            return;
        }
    };
    let made_with = access.as_ref().map(|(_, at)| at.clone());
    let opened = access
        .map(|(sealed, _)| TestAccess::open(&state.secrets, &plugin_id, &version, &sealed))
        .transpose();
    let report = match (prepare(&state, &plugin_id, &version).await, opened) {
        (Ok(None), _) => return,
        (Err(e), _) => setup_failure(e),
        (Ok(Some(_)), Err(e)) => setup_failure(format!(
            "the test access given with the submission cannot be opened ({e}); give it again"
        )),
        (Ok(Some((bytes, previous))), Ok(access)) => {
            let manifest = lockgate_manifest::inspect(&bytes).manifest;
            let options = vet::VetOptions {
                config: access
                    .as_ref()
                    .map(|a| a.config.clone())
                    .unwrap_or_default(),
                partner_url: access.as_ref().map(|a| a.url.clone()),
                previous,
            };
            let report = vet::vet_submission(
                state.runtime.clone(),
                state.operator.clone(),
                &bytes,
                options,
            )
            .await;
            let mut report = serde_json::to_value(&report).unwrap_or_default();
            if let Some(access) = &access {
                conceal(&mut report, &access.concealed(manifest.as_ref()));
            }
            report
        }
    };
    match state
        .store
        .set_review_report(&plugin_id, &version, &report, made_with.as_deref())
        .await
    {
        Ok(true) => {}
        Ok(false) => tracing::info!(
            "the review of {plugin_id} {version} is not stored: its test access changed meanwhile, and the review with the new one stores its own"
        ),
        Err(e) => tracing::error!("cannot store the review of {plugin_id} {version}: {e}"),
    }
}

/// The submitted file and, when another version is listed, that one's.
async fn prepare(
    state: &App,
    plugin_id: &str,
    version: &str,
) -> Result<Option<(Vec<u8>, Option<Vec<u8>>)>, String> {
    let found = state
        .store
        .plugin_version(plugin_id, version)
        .await
        .map_err(|e| e.to_string())?;
    let Some(v) = found else {
        return Ok(None);
    };
    let bytes = state
        .artifacts
        .get(&v.sha256)
        .await
        .map_err(|e| format!("the submitted file cannot be read: {e}"))?;
    let listed = state
        .store
        .listed()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|l| l.plugin_id == plugin_id && l.version != version);
    let previous = match listed {
        Some(l) => Some(
            state
                .artifacts
                .get(&l.sha256)
                .await
                .map_err(|e| format!("the listed version cannot be read: {e}"))?,
        ),
        None => None,
    };
    Ok(Some((bytes, previous)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_access_opens_for_its_version_only_and_hides_its_values() {
        let secrets = SecretBox::from_hex(&SecretBox::generate_key()).unwrap();
        let access = TestAccess {
            url: "https://sandbox.partner.example/api/".into(),
            config: [("api-key".to_string(), "k-123456".to_string())].into(),
        };
        let sealed = access.seal(&secrets, "planner-export", "0.2.0");
        assert!(!sealed.contains("k-123456") && !sealed.contains("sandbox.partner"));
        let opened = TestAccess::open(&secrets, "planner-export", "0.2.0", &sealed).unwrap();
        assert_eq!(opened.url, access.url);
        assert_eq!(opened.config, access.config);
        assert!(TestAccess::open(&secrets, "planner-export", "0.2.1", &sealed).is_err());
        assert!(!format!("{opened:?}").contains("k-123456"));

        let mut report = json!({
            "partner": "x",
            "checks": [{ "reason": "failed: https://sandbox.partner.example/api answered 401 for k-123456" }],
            "exchanges": [{ "url": "sandbox.partner.example/api/v1/account" }],
        });
        conceal(&mut report, &opened.concealed(None));
        let text = report.to_string();
        assert!(!text.contains("k-123456"), "{text}");
        assert!(!text.contains("sandbox.partner.example"), "{text}");
        assert!(text.contains("(withheld)") && text.contains("(the partner's test API)"));
    }
}
