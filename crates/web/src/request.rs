//! What wraps every request: an id that follows it through the logs and back to the client,
//! security headers, and a panic turned into a 500 that names the request instead of a
//! dropped connection.

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde_json::json;
use std::any::Any;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone)]
struct Current {
    id: String,
    api: bool,
}

tokio::task_local! {
    static CURRENT: Current;
}

/// The id of the request being handled, when called inside one.
pub fn current_id() -> Option<String> {
    CURRENT.try_with(|c| c.id.clone()).ok()
}

/// A client-supplied id is kept when it is short and plain (so it can be logged verbatim);
/// otherwise a new one is made.
fn request_id(req: &Request) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| {
            let mut bytes = [0u8; 8];
            rand::thread_rng().fill_bytes(&mut bytes);
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
}

/// Pages are rendered on the server with no inline script or style, so the policy can forbid
/// both, and framing (clickjacking) altogether.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Wraps the whole application: panics caught inside, the request id and headers outside.
pub fn wrap<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .layer(axum::middleware::from_fn(layer))
}

/// Outermost layer: the request id (task-local, tracing span, response header), one log line
/// per request, and the security headers on every answer.
pub async fn layer(req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let span =
        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let started = std::time::Instant::now();
    let current = Current {
        id: id.clone(),
        api: req.uri().path().starts_with("/api/"),
    };
    let mut resp = CURRENT
        .scope(current, next.run(req).instrument(span.clone()))
        .await;
    let status = resp.status();
    let _enter = span.enter();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if status.is_server_error() {
        tracing::warn!(status = status.as_u16(), ms, "answered");
    } else {
        tracing::debug!(status = status.as_u16(), ms, "answered");
    }
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, v);
    }
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    resp
}

/// What a panic inside a handler answers: the API's error envelope with the request id, so a
/// user can quote it and an operator can find the panic in the log.
pub fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    let (id, api) = CURRENT
        .try_with(|c| (c.id.clone(), c.api))
        .unwrap_or_default();
    tracing::error!(request_id = %id, panic = %detail, "handler panicked");
    if !api {
        return crate::error::AppError::Internal(format!("panic: {detail}").into())
            .into_page(crate::i18n::Locale::ZhCn);
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        axum::Json(json!({"error": {
            "code": "internal",
            "message": format!("internal error; it has been logged (request {id})"),
            "field": null,
            "request_id": id,
        }})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_with_its_request_id() {
        async fn boom() -> &'static str {
            panic!("deliberate test panic")
        }
        let app = super::wrap(
            axum::Router::new()
                .route("/api/test/boom", get(boom))
                .route("/boom", get(boom))
                .route("/fine", get(|| async { "fine" })),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = reqwest::Client::new();

        let resp = client
            .get(format!("{base}/api/test/boom"))
            .header("x-request-id", "probe-1")
            .send()
            .await
            .expect("an answer, not a dropped connection");
        assert_eq!(resp.status(), 500);
        assert_eq!(resp.headers()["x-request-id"], "probe-1");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(body["error"]["request_id"], "probe-1");
        assert!(
            !body.to_string().contains("deliberate"),
            "no panic text to the client"
        );

        let resp = client.get(format!("{base}/boom")).send().await.unwrap();
        assert_eq!(resp.status(), 500);
        assert!(resp.text().await.unwrap().contains("<html"));
        // The server goes on serving.
        let resp = client.get(format!("{base}/fine")).send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), "fine");
    }
}
