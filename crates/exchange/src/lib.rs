//! Yingpan's exchanges with the outside: customer import and export (CSV, Excel) and e-mail
//! notifications. Shared by the web layer and the `yingpan` command; speaks no HTTP.

pub mod campaign;
pub mod export;
pub mod import;
pub mod mailer;
pub mod vcard;
pub mod webhook;

use yingpan_domain::ValidationError;
use yingpan_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The person's role may not import or export (`domain::permission`).
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing a file failed (CSV or workbook encoding): a fault of ours, not of the input.
    #[error("{0}")]
    Internal(String),
}

impl ExchangeError {
    pub(crate) fn internal(e: impl std::fmt::Display) -> Self {
        ExchangeError::Internal(e.to_string())
    }
}
