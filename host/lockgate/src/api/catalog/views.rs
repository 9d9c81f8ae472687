//! What the catalog endpoints answer: a submission as its partner sees it,
//! the operator's review item, a marketplace listing and its detail.

use std::collections::BTreeMap;

use lockgate_manifest::manifest::localized;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::api::answers::AbsenceWindowDoc;
use crate::store::catalog::PluginVersion;

/// A version as its partner and the operator see it.
#[derive(Serialize, ToSchema)]
pub struct Submission {
    pub plugin_id: String,
    pub version: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    pub review_reasons: Vec<String>,
    pub sha256: String,
    pub size: i64,
    pub submitted_at: String,
    pub reviewed_at: Option<String>,
    pub tier: Option<String>,
    pub listed: bool,
    /// The automated review's report (as `lockgate plugin vet --json`
    /// prints it), or `{"pending": true}` while it is being made.
    #[schema(value_type = Object)]
    pub review_report: Value,
    /// When the partner gave test access (its test API and credentials)
    /// for the review, while the version waits for a decision; the values
    /// are never shown.
    pub test_access_at: Option<String>,
}

/// A list of submissions.
#[derive(Serialize, ToSchema)]
pub struct Submissions {
    pub items: Vec<Submission>,
}

pub fn submission_view(v: &PluginVersion) -> Submission {
    Submission {
        plugin_id: v.plugin_id.clone(),
        version: v.version.clone(),
        status: v.status.clone(),
        review_reasons: v.review_reasons.clone(),
        sha256: v.sha256.clone(),
        size: v.size,
        submitted_at: v.submitted_at.clone(),
        reviewed_at: v.reviewed_at.clone(),
        tier: v.tier.clone(),
        listed: v.listed,
        review_report: v
            .review_report
            .clone()
            .unwrap_or_else(|| json!({ "pending": true })),
        test_access_at: v.test_access_at.clone(),
    }
}

/// A scope a connector asks for, and what it means.
#[derive(Serialize, ToSchema)]
pub struct ScopeAsked {
    pub scope: &'static str,
    pub means: &'static str,
}

/// A secret the host puts into a header for a host.
#[derive(Serialize, ToSchema)]
pub struct InjectedSecret {
    pub field: String,
    pub header: String,
    pub host: String,
}

/// How the host signs in to the partner for the connector.
#[derive(Serialize, ToSchema)]
pub struct OAuth2View {
    pub token_url: String,
    pub client_id_field: String,
    pub client_secret_field: String,
    pub host: String,
}

/// What the operator reviews: the submission plus what it asks for.
#[derive(Serialize, ToSchema)]
pub struct ReviewItem {
    #[serde(flatten)]
    pub submission: Submission,
    pub partner_id: String,
    /// The connector's name by language.
    pub name: BTreeMap<String, String>,
    pub imports: Vec<String>,
    pub scopes: Vec<ScopeAsked>,
    #[schema(value_type = Option<AbsenceWindowDoc>)]
    pub absence_window: Option<lockgate_manifest::AbsenceWindow>,
    /// Days of working times around today the connector may read or write.
    #[schema(value_type = Option<AbsenceWindowDoc>)]
    pub attendance_window: Option<lockgate_manifest::AbsenceWindow>,
    pub hosts: Vec<String>,
    pub secrets_injected: Vec<InjectedSecret>,
    pub oauth2: Option<OAuth2View>,
}

/// The operator's review queue.
#[derive(Serialize, ToSchema)]
pub struct ReviewQueue {
    pub items: Vec<ReviewItem>,
}

pub fn review_view(v: &PluginVersion) -> ReviewItem {
    let m = &v.manifest;
    ReviewItem {
        submission: submission_view(v),
        partner_id: v.partner_id.clone(),
        name: m.name.clone(),
        imports: v.imports.clone(),
        scopes: m
            .scopes
            .iter()
            .map(|s| ScopeAsked {
                scope: s.as_str(),
                means: s.describe(),
            })
            .collect(),
        absence_window: m.absence_window,
        attendance_window: m.attendance_window,
        hosts: m.hosts.clone(),
        secrets_injected: m
            .config
            .iter()
            .filter_map(|f| {
                f.inject.as_ref().map(|i| InjectedSecret {
                    field: f.key.clone(),
                    header: i.header.clone(),
                    host: i.host.clone(),
                })
            })
            .collect(),
        oauth2: m.oauth2.as_ref().map(|o| OAuth2View {
            token_url: o.token_url.clone(),
            client_id_field: o.client_id.clone(),
            client_secret_field: o.client_secret.clone(),
            host: o.host.clone(),
        }),
    }
}

/// Which way data flows, seen from the HR platform.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = Direction)]
#[allow(dead_code)] // describes lockgate_manifest::Direction in the document
pub enum DirectionDoc {
    Outbound,
    Inbound,
    Bidirectional,
}

/// A connector in the marketplace, in the caller's language.
#[derive(Serialize, ToSchema)]
pub struct Listing {
    pub id: String,
    pub name: String,
    pub description: String,
    pub categories: Vec<String>,
    #[schema(value_type = DirectionDoc)]
    pub direction: lockgate_manifest::Direction,
    pub tier: Option<String>,
    pub first_party: bool,
    pub developer: String,
    pub version: String,
    /// Where the connector's icon is served, if its manifest has one
    /// (`/api/v1/marketplace/{id}/icon`); without one the console shows a
    /// tile with the name's initials.
    pub icon_url: Option<String>,
}

/// The marketplace's connectors.
#[derive(Serialize, ToSchema)]
pub struct Listings {
    pub items: Vec<Listing>,
}

pub fn listing(v: &PluginVersion, lang: &str) -> Listing {
    Listing {
        id: v.plugin_id.clone(),
        name: localized(&v.manifest.name, lang).to_string(),
        description: localized(&v.manifest.description, lang).to_string(),
        categories: v.manifest.categories.clone(),
        direction: v.manifest.direction,
        tier: v.tier.clone(),
        first_party: v.first_party,
        developer: v.manifest.publisher.clone(),
        version: v.version.clone(),
        icon_url: v
            .manifest
            .icon
            .is_some()
            .then(|| format!("/api/v1/marketplace/{}/icon", v.plugin_id)),
    }
}

/// A field of the connector's configuration form.
#[derive(Serialize, ToSchema)]
pub struct ConfigFieldView {
    pub key: String,
    pub label: String,
    pub help: Option<String>,
    /// `string`, `secret`, `url`, `number`, `boolean`, `enum`, …
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub required: bool,
    pub default: Option<String>,
    pub options: Vec<String>,
    pub secret: bool,
}

/// What a tenant admin reads before connecting.
#[derive(Serialize, ToSchema)]
pub struct ListingDetail {
    #[serde(flatten)]
    pub listing: Listing,
    /// The language the texts are in.
    pub language: String,
    pub configuration: Vec<ConfigFieldView>,
    /// What each scope the connector asks for lets it do, in words.
    pub permissions: Vec<&'static str>,
    #[schema(value_type = Option<AbsenceWindowDoc>)]
    pub absence_window: Option<lockgate_manifest::AbsenceWindow>,
    /// Days of working times around today the connector may read or write.
    #[schema(value_type = Option<AbsenceWindowDoc>)]
    pub attendance_window: Option<lockgate_manifest::AbsenceWindow>,
    pub hosts: Vec<String>,
    pub price: Option<String>,
    pub support_url: Option<String>,
    /// The default schedule, if the connector has one.
    pub schedule: Option<String>,
}

pub fn detail(v: &PluginVersion, lang: &str) -> ListingDetail {
    let m = &v.manifest;
    ListingDetail {
        listing: listing(v, lang),
        language: lang.to_string(),
        configuration: m
            .config
            .iter()
            .map(|f| ConfigFieldView {
                key: f.key.clone(),
                label: localized(&f.label, lang).to_string(),
                help: f.help.as_ref().map(|h| localized(h, lang).to_string()),
                kind: f.kind.as_str(),
                required: f.required,
                default: f.default.clone(),
                options: f.options.clone(),
                secret: f.secret,
            })
            .collect(),
        permissions: m.scopes.iter().map(|s| s.describe()).collect(),
        absence_window: m.absence_window,
        attendance_window: m.attendance_window,
        hosts: m.hosts.clone(),
        price: m.price.as_ref().map(|p| localized(p, lang).to_string()),
        support_url: m.support_url.clone(),
        schedule: m.triggers.schedule.clone(),
    }
}

/// A version's listing as an admin reading in one language sees it.
#[derive(Serialize, ToSchema)]
pub struct ListingPreview {
    #[serde(flatten)]
    pub detail: ListingDetail,
    /// Whether the marketplace requires this language (de, en).
    pub required: bool,
    /// The texts without this language, by manifest path (`name`,
    /// `description`, `price`, `config.<key>.label`, `config.<key>.help`);
    /// the admin reads them in English or another language the manifest
    /// has.
    pub missing: Vec<String>,
    /// Where the version's icon is served for its partner, if it has one.
    pub preview_icon_url: Option<String>,
}

pub fn preview(v: &PluginVersion, lang: &str) -> ListingPreview {
    let m = &v.manifest;
    let mut missing = Vec::new();
    let mut lacks = |path: String, texts: &lockgate_manifest::Localized| {
        if !texts.contains_key(lang) {
            missing.push(path);
        }
    };
    lacks("name".into(), &m.name);
    lacks("description".into(), &m.description);
    if let Some(price) = &m.price {
        lacks("price".into(), price);
    }
    for f in &m.config {
        lacks(format!("config.{}.label", f.key), &f.label);
        if let Some(help) = &f.help {
            lacks(format!("config.{}.help", f.key), help);
        }
    }
    ListingPreview {
        detail: detail(v, lang),
        required: lockgate_manifest::manifest::REQUIRED_LANGUAGES.contains(&lang),
        missing,
        preview_icon_url: m.icon.is_some().then(|| {
            format!(
                "/api/v1/partner/submissions/{}/{}/icon",
                v.plugin_id, v.version
            )
        }),
    }
}
