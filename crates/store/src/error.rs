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
    /// A rule of the domain refused the change.
    #[error(transparent)]
    Refused(#[from] yingpan_domain::Refusal),
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
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate {
                field: unique_field(db.constraint(), db.message()),
            },
            sqlx::Error::PoolTimedOut => StoreError::Busy(e),
            sqlx::Error::Database(db) if is_sqlite_busy(db.code().as_deref()) => {
                StoreError::Busy(e)
            }
            _ => StoreError::Database(e),
        }
    }
}

/// The unique indexes a person's input can run into, by name (PostgreSQL reports the index)
/// and by columns (SQLite reports `UNIQUE constraint failed: table.column, …`), and the field
/// the error names.
const UNIQUE_FIELDS: &[(&str, &str, &str)] = &[
    ("users_username", "users.username", "username"),
    ("products_code", "products.org_id, products.code", "code"),
    (
        "custom_fields_key",
        "custom_fields.org_id, custom_fields.field_key",
        "key",
    ),
];

fn unique_field(constraint: Option<&str>, message: &str) -> &'static str {
    let columns = message
        .strip_prefix("UNIQUE constraint failed: ")
        .unwrap_or("");
    UNIQUE_FIELDS
        .iter()
        .find(|(index, cols, _)| constraint == Some(*index) || columns == *cols)
        .map_or("id", |(_, _, field)| field)
}

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes (`code & 0xff`).
fn is_sqlite_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|n| matches!(n & 0xff, 5 | 6))
}

impl From<yingpan_domain::target::TargetRefusal> for StoreError {
    fn from(r: yingpan_domain::target::TargetRefusal) -> Self {
        StoreError::Refused(r.into())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unique_violations_name_their_field_on_both_backends() {
        use super::unique_field;
        assert_eq!(
            unique_field(Some("users_username"), "duplicate key value"),
            "username"
        );
        assert_eq!(
            unique_field(None, "UNIQUE constraint failed: users.username"),
            "username"
        );
        assert_eq!(
            unique_field(
                None,
                "UNIQUE constraint failed: products.org_id, products.code"
            ),
            "code"
        );
        assert_eq!(unique_field(Some("products_code"), ""), "code");
        assert_eq!(unique_field(Some("custom_fields_key"), ""), "key");
        assert_eq!(
            unique_field(None, "username is mentioned in some other text"),
            "id"
        );
    }

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
