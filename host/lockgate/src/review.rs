//! The review of a submission: the automated review runs on every
//! submitted version and its report is stored with it.
//!
//! Layout: this file is the service (review a stored submission, store the
//! report); [`partner`] is the loopback review partner every exchange goes
//! through, and the sample configuration; [`vet`] is the review itself, its
//! entry point [`vet::vet`] with one submodule per report section.

pub mod partner;
pub mod vet;

use serde_json::json;

use crate::app::App;

/// Runs the automated review of a stored submission and stores its
/// report. A new version is checked against the listed one for the
/// upgrade.
pub async fn review_submission(state: App, plugin_id: String, version: String) {
    let report = match prepare(&state, &plugin_id, &version).await {
        Ok(Some((bytes, previous))) => {
            let report = vet::vet(
                state.runtime.clone(),
                state.operator.clone(),
                &bytes,
                vet::VetOptions {
                    previous,
                    ..Default::default()
                },
                &|_| {},
            )
            .await;
            serde_json::to_value(&report).unwrap_or_default()
        }
        Ok(None) => return,
        Err(e) => json!({
            "vetted_at": crate::time::now_text(),
            "verdict": "fail",
            "checks": [{ "section": "review", "name": "setup", "verdict": "fail", "reason": e }],
        }),
    };
    if let Err(e) = state
        .store
        .set_review_report(&plugin_id, &version, &report)
        .await
    {
        tracing::error!("cannot store the review of {plugin_id} {version}: {e}");
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
