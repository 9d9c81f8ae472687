//! Who a caller is: the role a bearer token carries (the operator, a
//! partner, a tenant admin) and what it is bound to. The store keeps these;
//! [`crate::auth`] issues and checks the tokens.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Operator,
    Partner,
    TenantAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Partner => "partner",
            Role::TenantAdmin => "tenant-admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [Role::Operator, Role::Partner, Role::TenantAdmin]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Principal {
    pub token_id: String,
    pub role: Role,
    pub partner_id: Option<String>,
    pub tenant_id: Option<String>,
    /// A tenant admin may connect and manage integrations only with it.
    pub marketplace_right: bool,
    pub label: String,
}

/// Who publishes the operator's own connectors; a partner may not.
pub const OPERATOR_PUBLISHER: &str = "Lockgate";

/// A name as publishers are compared: its letters and digits, lower case
/// (`Planner Co`, `planner-co` and `PLANNER_CO` are one name).
pub fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `name` claims to be the operator (`Lockgate`, `Lockgate GmbH`).
pub fn names_the_operator(name: &str) -> bool {
    name_key(name).starts_with(&name_key(OPERATOR_PUBLISHER))
}
