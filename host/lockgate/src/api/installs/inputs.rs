//! The bodies the install endpoints take.

use serde::Deserialize;
use serde_json::{Map, Value};

/// The scopes and hosts the admin grants: exactly those the configuration
/// resolves to (the preview shows them).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// `POST …/installs` and `…/installs/preview`: the connector, its
/// configuration (checked against the connector's schema), and the grant.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectInput {
    pub plugin: String,
    pub version: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    pub schedule: Option<String>,
    pub grant: Option<GrantInput>,
}

/// `PATCH …/installs/{id}`: configuration fields to change (the rest keep
/// their value) and the schedule.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconfigureInput {
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    /// A schedule, or `null` for the connector's default.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    pub grant: Option<GrantInput>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

/// `POST …/installs/{id}/upgrade`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpgradeInput {
    /// The approved version to move to; the listed one when absent.
    pub version: Option<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    pub grant: Option<GrantInput>,
}
