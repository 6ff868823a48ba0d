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

/// The redirect after an action, carrying its confirmation (`done.<key>` in the catalogs, with
/// `{n}` for a count) to the page it lands on.
pub fn done(to: &str, key: &str, n: Option<u64>) -> Response {
    let (path, fragment) = match to.split_once('#') {
        Some((p, f)) => (p, Some(f)),
        None => (to, None),
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{sep}done={key}");
    if let Some(n) = n {
        url.push_str(&format!("&n={n}"));
    }
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(f);
    }
    axum::response::Redirect::to(&url).into_response()
}

/// A value as it goes into a query string.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_string()
}

/// An absolute address of `path` on this server, as the request reached it (for links that
/// leave the browser: survey links, calendar subscriptions).
pub fn absolute_url(
    state: &crate::AppState,
    headers: &axum::http::HeaderMap,
    path: &str,
) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_confirmation_rides_on_the_redirect() {
        let loc =
            |r: axum::response::Response| r.headers()["location"].to_str().unwrap().to_string();
        assert_eq!(
            loc(super::done("/pool", "claimed", Some(3))),
            "/pool?done=claimed&n=3"
        );
        assert_eq!(
            loc(super::done(
                "/customers?owner_id=4#x",
                "transferred",
                Some(2)
            )),
            "/customers?owner_id=4&done=transferred&n=2#x"
        );
        assert_eq!(
            loc(super::done("/plans/7", "approved", None)),
            "/plans/7?done=approved"
        );
    }
}
