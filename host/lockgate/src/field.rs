//! A problem with one field of an input. Every check that reads outside
//! input (configuration, HR records, manifests) reports its refusals as a
//! list of these, all at once, so the caller can fix everything in one go.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// The field, as a path into the input (`config.api-key`, `first_name`).
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field: field.into(),
            message: message.into(),
        }
    }
}
