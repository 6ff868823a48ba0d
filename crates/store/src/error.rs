use thiserror::Error;
use yingpan_domain::ValidationError;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("the record was changed by someone else (current version {current})")]
    VersionConflict { current: i64 },
    #[error("{field} is already taken")]
    Duplicate { field: &'static str },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A business rule refused the change; `code` is stable for API clients.
    #[error("{message}")]
    Rule { code: &'static str, message: String },
    /// The change lost a race for something only one may have (a customer's ownership, a
    /// unique item): someone else got it first.
    #[error("{message}")]
    Taken { code: &'static str, message: String },
    /// Registration refused: the duplicate check found existing customers.
    #[error("the customer is already registered")]
    DuplicateCustomer(Vec<crate::DuplicateMatch>),
    #[error("configuration: {0}")]
    Config(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database could not take the request in time (every connection busy, or SQLite's
    /// single writer held past the busy timeout): nothing was written; try again shortly.
    #[error("the database is busy")]
    Busy(#[source] sqlx::Error),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// A deadlock or serialization failure: the transaction was rolled back and may be run
    /// again as it was.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db))
            if matches!(db.code().as_deref(), Some("40P01") | Some("40001")))
    }

    pub fn taken(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Taken {
            code,
            message: message.into(),
        }
    }

    pub fn rule(code: &'static str, message: impl Into<String>) -> Self {
        StoreError::Rule {
            code,
            message: message.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                let msg = db.message();
                let field = if msg.contains("username") {
                    "username"
                } else {
                    "id"
                };
                StoreError::Duplicate { field }
            }
            sqlx::Error::PoolTimedOut => StoreError::Busy(e),
            sqlx::Error::Database(db) if is_sqlite_busy(db.code().as_deref()) => {
                StoreError::Busy(e)
            }
            _ => StoreError::Database(e),
        }
    }
}

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (`code & 0xff`).
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|n| matches!(n & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_busy_codes() {
        for c in ["5", "6", "261", "517", "773"] {
            assert!(super::is_sqlite_busy(Some(c)), "{c}");
        }
        for c in ["19", "2067", "23505", "40P01"] {
            assert!(!super::is_sqlite_busy(Some(c)), "{c}");
        }
        assert!(!super::is_sqlite_busy(None));
    }
}
