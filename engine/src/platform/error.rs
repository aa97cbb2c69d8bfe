//! The engine's errors: what went wrong, in terms every adapter can map.

/// An error from a use case. Adapters map these to HTTP statuses, form
/// messages or OAuth error codes; `Unexpected` is logged and never shown.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Input was refused; `field` names the form field or JSON member.
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    /// The caller is not signed in, or the credentials are wrong.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing by that id that the caller may see.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with existing state (a slug taken, say).
    #[error("{message}")]
    Conflict {
        field: Option<&'static str>,
        message: String,
    },
    /// Too many attempts; try again after this many seconds.
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type EngineResult<T> = Result<T, EngineError>;

/// `value` when it lies in `range`; otherwise refused, naming the bounds.
/// For counts a caller asks for (a page size): a number out of range is
/// an error to fix, not something to quietly replace.
pub fn within(
    field: &'static str,
    value: u64,
    range: std::ops::RangeInclusive<u64>,
) -> EngineResult<u64> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(EngineError::invalid(
            field,
            format!(
                "`{field}` is a whole number from {} to {}.",
                range.start(),
                range.end()
            ),
        ))
    }
}

impl EngineError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field: Some(field),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    /// The form or JSON field this error belongs to, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } | Self::Conflict { field, .. } => *field,
            _ => None,
        }
    }
}

impl From<sea_orm::DbErr> for EngineError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("database operation failed"))
    }
}

impl From<sea_orm::TransactionError<EngineError>> for EngineError {
    fn from(err: sea_orm::TransactionError<EngineError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner,
        }
    }
}
