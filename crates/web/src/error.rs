//! One place that turns every failure into an HTTP answer.

use crate::i18n::{t, Locale};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use serde_json::json;
use yingpan_domain::dedupe::{DuplicateRule, DuplicateStanding};
use yingpan_domain::ValidationError;
use yingpan_store::{DuplicateMatch, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not logged in")]
    Unauthorized,
    /// A page asked for without a session: answered with a redirect to the login form.
    #[error("not logged in")]
    LoginRequired,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("not allowed")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        field: Option<&'static str>,
    },
    #[error("{message}")]
    Rule { code: &'static str, message: String },
    #[error("the customer is already registered")]
    DuplicateCustomer(Vec<DuplicateMatch>),
    /// Text with control characters, refused at the edge before any handler sees it.
    #[error("must not contain control characters")]
    InvalidText { field: String },
    /// A path or query parameter that does not parse.
    #[error("{message}")]
    InvalidParameter {
        code: &'static str,
        field: String,
        message: String,
    },
    #[error("too many failed logins; try again later")]
    TooManyAttempts,
    /// The server is saturated (password hashing, a busy database writer): retry shortly.
    #[error("the server is busy; try again in a moment")]
    Busy { retry_after_secs: u32 },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<yingpan_exchange::ExchangeError> for AppError {
    fn from(e: yingpan_exchange::ExchangeError) -> Self {
        use yingpan_exchange::ExchangeError;
        match e {
            ExchangeError::Invalid(v) => AppError::Invalid(v),
            ExchangeError::Forbidden => AppError::Forbidden,
            ExchangeError::Store(e) => e.into(),
            e @ ExchangeError::Internal(_) => AppError::Internal(Box::new(e)),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::VersionConflict { current } => AppError::Conflict {
                code: "version_conflict",
                message: format!(
                    "the record was changed by someone else since you read it (current version {current}); reload and try again"
                ),
                field: Some("version"),
            },
            StoreError::Duplicate { field } => AppError::Conflict {
                code: "duplicate",
                message: format!("{field} is already taken"),
                field: Some(field),
            },
            StoreError::Invalid(v) => AppError::Invalid(v),
            StoreError::DuplicateCustomer(m) => AppError::DuplicateCustomer(m),
            StoreError::Taken { code, message } => AppError::Conflict {
                code,
                message,
                field: None,
            },
            StoreError::Rule { code, message } => AppError::Rule { code, message },
            StoreError::Refused(r) => AppError::Rule {
                code: r.code(),
                message: r.to_string(),
            },
            StoreError::Busy(e) => {
                tracing::warn!(error = %e, "database busy; answered 503");
                AppError::Busy {
                    retry_after_secs: 2,
                }
            }
            e => AppError::Internal(Box::new(e)),
        }
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized | AppError::LoginRequired | AppError::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) | AppError::Rule { .. } | AppError::InvalidText { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::BadRequest { code, .. } if *code == "payload_too_large" => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Conflict { .. } | AppError::DuplicateCustomer(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthorized | AppError::LoginRequired => "unauthorized",
            AppError::BadCredentials => "bad_credentials",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid(v) => v.code,
            AppError::BadRequest { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Rule { code, .. } => code,
            AppError::TooManyAttempts => "too_many_attempts",
            AppError::InvalidText { .. } => "invalid_characters",
            AppError::InvalidParameter { code, .. } => code,
            AppError::Busy { .. } => "busy",
            AppError::DuplicateCustomer(_) => "duplicate_customer",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid(v) => Some(v.field),
            AppError::Conflict { field, .. } => *field,
            AppError::InvalidText { field } | AppError::InvalidParameter { field, .. } => {
                Some(field.as_str()).filter(|f| !f.is_empty())
            }
            _ => None,
        }
    }

    fn log_if_internal(&self) {
        if let AppError::Internal(e) = self {
            let mut chain = e.to_string();
            let mut src = e.source();
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            tracing::error!(error = %chain, "internal error");
        }
    }

    /// The message in the user's language, naming the field.
    pub fn localized(&self, locale: Locale) -> String {
        let key = format!("error.{}", self.code());
        let text = t(locale, &key);
        let text = if text == key {
            self.to_string()
        } else {
            text.to_string()
        };
        let sep = if locale == Locale::En { ": " } else { "：" };
        match self.field() {
            Some(f) if f != "version" => {
                // A field without a catalog name (a query parameter, a JSON path) is named as
                // sent rather than by an internal key.
                let key = format!("field.{f}");
                let name = match t(locale, &key) {
                    n if n == key => f.to_string(),
                    n => n.to_string(),
                };
                format!("{name}{sep}{text}")
            }
            _ => text,
        }
    }

    /// Renders the error as a page (for the HTML side).
    pub fn into_page(self, locale: Locale) -> Response {
        self.log_if_internal();
        if matches!(self, AppError::Unauthorized | AppError::LoginRequired) {
            return Redirect::to("/login").into_response();
        }
        let status = self.status();
        let title = t(locale, "error.title");
        let body = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
             <body><main class=\"narrow\"><h1>{status}</h1><p class=\"error\" id=\"error\">{msg}</p>\
             <p><a href=\"/\">{home}</a></p></main></body></html>",
            lang = locale.as_str(),
            status = status.as_u16(),
            msg = askama::filters::escape(self.localized(locale), askama::filters::Html)
                .map(|e| e.to_string())
                .unwrap_or_default(),
            home = t(locale, "nav.home"),
        );
        (status, Html(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::LoginRequired) {
            return Redirect::to("/login").into_response();
        }
        self.log_if_internal();
        let request_id = crate::request::current_id();
        let message = match &self {
            AppError::Internal(_) => format!(
                "internal error; it has been logged (request {})",
                request_id.as_deref().unwrap_or("-")
            ),
            AppError::InvalidText { field } => {
                format!("{field}: must not contain control characters")
            }
            AppError::Invalid(v) => format!("{}: {}", v.field, v.message),
            e => e.to_string(),
        };
        let message = match &self {
            AppError::DuplicateCustomer(m) => m.first().map(duplicate_message).unwrap_or(message),
            _ => message,
        };
        let mut body =
            json!({"error": {"code": self.code(), "message": message, "field": self.field()}});
        if let AppError::DuplicateCustomer(m) = &self {
            body["error"]["duplicates"] = json!(m.iter().map(disclose).collect::<Vec<_>>());
        }
        if let (AppError::Internal(_), Some(id)) = (&self, request_id) {
            body["error"]["request_id"] = id.into();
        }
        let mut resp = (self.status(), axum::Json(body)).into_response();
        if matches!(self, AppError::Unauthorized) {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let AppError::Busy { retry_after_secs } = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
        }
        resp
    }
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::NotFound.into_response()
    } else {
        AppError::NotFound.into_page(Locale::ZhCn)
    }
}

/// What the registrant may learn about a duplicate: who owns it and since when, never the
/// contact details or even the id of a customer they may not open.
/// A registered customer a new one repeats, as much as the caller may know of it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Disclosed {
    pub rule: DuplicateRule,
    pub standing: DuplicateStanding,
    /// Whose customer it is (null: in the pool).
    pub owner_name: Option<String>,
    /// Since when, when it is someone else's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_since: Option<String>,
    /// The customer, when it is the caller's own or in the pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
}

pub fn disclose(m: &DuplicateMatch) -> Disclosed {
    let own_or_pool = m.standing != DuplicateStanding::OwnedByOther;
    Disclosed {
        rule: m.rule,
        standing: m.standing,
        owner_name: m.owner_name.clone(),
        owned_since: m.owned_since.clone().filter(|_| !own_or_pool),
        customer_id: Some(m.customer_id).filter(|_| own_or_pool),
        customer_name: Some(m.customer_name.clone()).filter(|_| own_or_pool),
    }
}

fn duplicate_message(m: &DuplicateMatch) -> String {
    let rule = serde_json::to_value(m.rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    match m.standing {
        DuplicateStanding::OwnedByOther => format!(
            "already registered (same {rule}): owned by {} since {}",
            m.owner_name.as_deref().unwrap_or("?"),
            m.owned_since.as_deref().unwrap_or("?")
        ),
        DuplicateStanding::InPool => format!(
            "already registered (same {rule}) and in the public pool: claim customer {} instead",
            m.customer_id
        ),
        DuplicateStanding::Own => format!(
            "you already own this customer (same {rule}): customer {}",
            m.customer_id
        ),
    }
}
