//! The sandbox run attached to every submission in the review queue: the
//! connector is configured with sample values, checked with its own
//! `validate-config` and `check-connection`, and synced once against a
//! synthetic tenant. Every host it was granted is answered by the review
//! partner, a recorder on loopback that replies `200 {}` to everything, so
//! a connector under review never reaches a real partner. The report shows
//! what it sent where, what it read, the rows it reported, its log, memory
//! and time.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use lockgate_manifest::{FieldType, Manifest};
use serde::Serialize;
use serde_json::{Value, json};

use crate::api::AppState;
use crate::bindings::Trigger;
use crate::installs::CheckedConfig;
use crate::runtime::Plugin;
use crate::store::{InstallRecord, Store};
use crate::sync::{RunRequest, run_sync};

/// Employees of the synthetic tenant a submission is run against.
pub const SANDBOX_EMPLOYEES: usize = 50;

/// Request bodies kept per exchange.
const BODY_BYTES: usize = 2048;

/// One request the connector made, as the review partner saw it, and
/// the answer it got.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    pub method: String,
    /// The host the connector addressed, and the path.
    pub url: String,
    /// Header names; values are left out, they may carry injected secrets.
    pub headers: Vec<String>,
    pub request_bytes: usize,
    /// The start of the body, as text.
    pub request_body: String,
    pub response_status: u16,
    /// The start of the answer, as text.
    pub response_body: String,
    /// Where the answer came from: the partner, or the recorder itself.
    pub answered_by: String,
}

#[derive(Clone)]
struct Partner {
    recording: Arc<Mutex<Vec<Exchange>>>,
    /// The partner's sandbox to forward to; `None` answers `200 {}`.
    upstream: Option<String>,
    client: reqwest::Client,
}

/// The review partner: records every request and either answers `200 {}`
/// itself or forwards to the partner's sandbox and records its answer.
pub struct ReviewPartner {
    pub addr: SocketAddr,
    partner: Partner,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReviewPartner {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Hop-by-hop and routing headers that are not forwarded.
const NOT_FORWARDED: &[&str] = &["host", "connection", "content-length", "transfer-encoding"];

async fn answer(
    axum::extract::State(partner): axum::extract::State<Partner>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 << 20)
        .await
        .unwrap_or_default();
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let (status, content_type, answer, answered_by) = match &partner.upstream {
        None => (
            200,
            "application/json".to_string(),
            b"{}".to_vec(),
            "the review partner".to_string(),
        ),
        Some(base) => {
            let mut forward = partner
                .client
                .request(
                    parts.method.clone(),
                    format!("{}{path}", base.trim_end_matches('/')),
                )
                .body(bytes.to_vec());
            for (name, value) in &parts.headers {
                if !NOT_FORWARDED.contains(&name.as_str()) {
                    forward = forward.header(name, value);
                }
            }
            match forward.send().await {
                Ok(res) => {
                    let status = res.status().as_u16();
                    let content_type = res
                        .headers()
                        .get(reqwest::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("application/octet-stream")
                        .to_string();
                    let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
                    (status, content_type, body, base.clone())
                }
                Err(e) => (
                    502,
                    "text/plain".to_string(),
                    format!("the partner's sandbox did not answer: {e}").into_bytes(),
                    "the review partner".to_string(),
                ),
            }
        }
    };
    let exchange = Exchange {
        method: parts.method.to_string(),
        url: format!("{host}{path}"),
        headers: parts.headers.keys().map(|k| k.to_string()).collect(),
        request_bytes: bytes.len(),
        request_body: crate::capabilities::outcomes::truncate(
            &String::from_utf8_lossy(&bytes),
            BODY_BYTES,
        ),
        response_status: status,
        response_body: crate::capabilities::outcomes::truncate(
            &String::from_utf8_lossy(&answer),
            BODY_BYTES,
        ),
        answered_by,
    };
    if let Ok(mut r) = partner.recording.lock() {
        r.push(exchange);
    }
    (
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::BAD_GATEWAY),
        [(axum::http::header::CONTENT_TYPE, content_type)],
        answer,
    )
        .into_response()
}

impl ReviewPartner {
    /// Starts on loopback; `upstream` is the partner's sandbox, if any.
    pub async fn start(upstream: Option<String>) -> std::io::Result<ReviewPartner> {
        let partner = Partner {
            recording: Arc::default(),
            upstream,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .map_err(std::io::Error::other)?,
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(partner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ReviewPartner {
            addr,
            partner,
            task,
        })
    }

    /// Everything recorded so far, and a fresh start.
    pub fn take(&self) -> Vec<Exchange> {
        self.partner
            .recording
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }
}

/// Sample values for every field: defaults where given, the review
/// partner's address for addresses, test values for secrets.
pub fn sample_config(manifest: &Manifest, partner: SocketAddr) -> CheckedConfig {
    let mut config = CheckedConfig::default();
    for field in &manifest.config {
        let value = match (&field.default, field.kind) {
            (Some(default), _) => default.clone(),
            (None, FieldType::Url) => format!("http://{partner}"),
            (None, FieldType::Hostname) => partner.to_string(),
            (None, FieldType::Boolean) => "false".into(),
            (None, FieldType::Integer) => "1".into(),
            (None, FieldType::Date) => {
                crate::time::date_text(crate::time::add_days(crate::time::today(), -30))
            }
            (None, FieldType::Enum) => field.options.first().cloned().unwrap_or_default(),
            (None, FieldType::String) if field.secret => format!("review-{}", field.key),
            (None, FieldType::String) if field.required => "review".into(),
            (None, FieldType::String) => continue,
        };
        if field.secret {
            config.secrets.insert(field.key.clone(), value);
        } else {
            config.public.insert(field.key.clone(), value);
        }
    }
    config
}

/// Runs a submitted build in the review sandbox and reports what it did.
pub async fn sandbox_run(state: &AppState, plugin: &Plugin) -> Value {
    match sandbox_run_inner(state, plugin).await {
        Ok(report) => report,
        Err(e) => json!({
            "ran_at": crate::time::now_text(),
            "error": format!("the sandbox run could not be set up: {e}"),
        }),
    }
}

async fn sandbox_run_inner(state: &AppState, plugin: &Plugin) -> anyhow::Result<Value> {
    let partner = ReviewPartner::start(None).await?;
    let store = Store::open("sqlite::memory:").await?;
    crate::sandbox::ensure_tenant(&store, "review", SANDBOX_EMPLOYEES, 1).await?;
    let mut operator = state.operator.clone();
    operator.review_partner = Some(partner.addr);
    let sandbox = AppState {
        store: store.clone(),
        operator: operator.clone(),
        ..state.clone()
    };
    let manifest = &plugin.manifest;
    let config = sample_config(manifest, partner.addr);
    let install = InstallRecord {
        id: "review".into(),
        tenant_id: "review".into(),
        connector_id: manifest.id.clone(),
        plugin_version: manifest.version.clone(),
        plugin_sha256: plugin.sha256.clone(),
        config: config.public.clone(),
        status: crate::store::installs::CONNECTED.into(),
        ..Default::default()
    };
    store.create_install(&install).await?;

    let validate = match crate::installs::guest_validate(&sandbox, plugin, &install, &config).await
    {
        Ok(problems) if problems.is_empty() => json!({ "passed": true }),
        Ok(problems) => json!({ "passed": false, "fields": problems }),
        Err(e) => json!({ "passed": false, "error": e }),
    };
    let check = match crate::installs::check_connection(&sandbox, plugin, &install, &config.secrets)
        .await
    {
        Ok(()) => json!({ "passed": true }),
        Err(reason) => json!({ "passed": false, "reason": reason }),
    };
    let summary = run_sync(
        &state.runtime,
        RunRequest {
            store: &store,
            plugin,
            install: &install,
            secrets: &config.secrets,
            operator,
            limits: state.limits.clone(),
            trigger: Trigger::Initial,
        },
    )
    .await?;
    let shown_config: BTreeMap<String, String> = config
        .public
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(
            config
                .secrets
                .keys()
                .map(|k| (k.clone(), "(test secret)".into())),
        )
        .collect();
    Ok(json!({
        "ran_at": crate::time::now_text(),
        "partner": "the review partner: every granted host is answered on loopback with 200 and {}",
        "tenant": format!("synthetic, {SANDBOX_EMPLOYEES} employees"),
        "config": shown_config,
        "validate_config": validate,
        "check_connection": check,
        "sync": {
            "status": summary.run.status,
            "status_label": summary.status_label(),
            "failure_reason": summary.run.failure_reason,
            "counts": summary.counts,
            "rows": summary.rows.iter().take(20).collect::<Vec<_>>(),
            "total_rows": summary.total_rows,
            "requests": summary.run.requests,
            "peak_memory": summary.run.peak_memory,
            "duration_ms": summary.run.duration_ms,
            "log": summary.log.iter().take(50).collect::<Vec<_>>(),
            "denials": summary.denials,
        },
        "exchanges": partner.take(),
    }))
}

/// Runs the sandbox run of a stored submission and stores the report.
pub async fn review_submission(state: AppState, plugin_id: String, version: String) {
    let report = match state.store.plugin_version(&plugin_id, &version).await {
        Ok(Some(v)) => match crate::installs::plugin(&state, &v.sha256) {
            Ok(plugin) => sandbox_run(&state, &plugin).await,
            Err(e) => json!({ "ran_at": crate::time::now_text(), "error": e }),
        },
        Ok(None) => return,
        Err(e) => {
            tracing::error!("review of {plugin_id} {version}: {e}");
            return;
        }
    };
    if let Err(e) = state
        .store
        .set_sandbox_report(&plugin_id, &version, &report)
        .await
    {
        tracing::error!("cannot store the review of {plugin_id} {version}: {e}");
    }
}
