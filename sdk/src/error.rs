//! The error a connector returns from its entry points.

use crate::bindings::ConnectorError;
use crate::bindings::contract::types::{HostError, PartnerError};
use crate::http::HttpError;

/// Why a connector call failed. Converts from the SDK's other errors with
/// `?`, and into what the host shows the tenant admin.
#[derive(Debug, Clone)]
pub enum Error {
    /// The configuration is unusable: one entry per field.
    Config(Vec<crate::FieldError>),
    /// The partner answered with an error status.
    Partner {
        status: u16,
        message: String,
        body: Option<String>,
    },
    /// The partner could not be reached, or the host refused the request.
    Unreachable(String),
    /// A host call failed.
    Host(HostError),
    /// Anything else.
    Other(String),
}

impl Error {
    pub fn other(message: impl Into<String>) -> Self {
        Error::Other(message.into())
    }

    /// A configuration problem with one field.
    pub fn config(field: &str, message: impl Into<String>) -> Self {
        Error::Config(vec![crate::FieldError::new(field, message)])
    }

    /// An error response from the partner; the body is truncated to 4 KiB.
    pub fn partner(status: u16, message: impl Into<String>, body: &[u8]) -> Self {
        Error::Partner {
            status,
            message: message.into(),
            body: (!body.is_empty()).then(|| crate::outcomes::truncate_body(body)),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Config(fields) => {
                write!(f, "configuration:")?;
                for e in fields {
                    write!(f, " {}: {};", e.field, e.message)?;
                }
                Ok(())
            }
            Error::Partner {
                status, message, ..
            } => write!(f, "partner answered {status}: {message}"),
            Error::Unreachable(why) => write!(f, "partner unreachable: {why}"),
            Error::Host(e) => write!(f, "host: {e:?}"),
            Error::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

impl crate::FieldError {
    /// One problem with one configuration field, in words a tenant admin
    /// can act on: `FieldError::new("planner-url", "give the address without a path")`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        crate::FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What [`crate::Connector::validate_config`] returns for an error, so `?`
/// works there: a configuration error's fields as they are, anything else
/// as one problem not tied to a field.
impl From<Error> for Vec<crate::FieldError> {
    fn from(e: Error) -> Self {
        match e {
            Error::Config(fields) => fields,
            other => vec![crate::FieldError::new("", other.to_string())],
        }
    }
}

impl From<HostError> for Error {
    fn from(e: HostError) -> Self {
        Error::Host(e)
    }
}

impl From<HttpError> for Error {
    fn from(e: HttpError) -> Self {
        Error::Unreachable(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Other(format!("JSON: {e}"))
    }
}

impl From<Error> for ConnectorError {
    fn from(e: Error) -> Self {
        match e {
            Error::Config(fields) => ConnectorError::Config(fields),
            Error::Partner {
                status,
                message,
                body,
            } => ConnectorError::Partner(PartnerError {
                status,
                message,
                body,
            }),
            Error::Unreachable(why) => ConnectorError::Unreachable(why),
            Error::Host(e) => ConnectorError::Host(e),
            Error::Other(why) => ConnectorError::Other(why),
        }
    }
}
