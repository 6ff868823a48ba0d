//! Rendering a template into a page: the one place a template error becomes an error page.
//! Every page module uses it; it depends on no page module (so none imports another for it).

use crate::error::AppError;
use crate::i18n::Locale;
use askama::Template;
use axum::response::{Html, IntoResponse, Response};

pub fn render<T: Template>(page: &T, locale: Locale) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::Internal(Box::new(e)).into_page(locale),
    }
}

/// Renders a page answered with another status (a form returned with its errors: 409, 422…).
pub fn render_status<T: Template>(
    page: &T,
    locale: Locale,
    status: axum::http::StatusCode,
) -> Response {
    let mut resp = render(page, locale);
    if resp.status().is_success() {
        *resp.status_mut() = status;
    }
    resp
}
