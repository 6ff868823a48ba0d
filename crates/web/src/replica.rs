//! Which requests read from a standby (`store::replica`): a GET or HEAD from someone who has
//! not just written anything. A write, and every read inside it, stays on the primary; so does
//! every page for a few seconds after a write from the same browser (the `yp_primary` cookie),
//! so that a saved record is on the next page. A read that fails on a standby is answered again
//! from the primary, and the standby is taken out of service until it is found fit again.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use yingpan_store::{route_reads, Route};

use crate::AppState;

/// The cookie that sends a browser's reads to the primary right after it wrote.
const FRESH: &str = "yp_primary";
/// How long after a write: longer than a healthy standby may trail (two checks, a second
/// apart).
const FRESH_SECONDS: u32 = 5;

fn just_wrote(req: &Request) -> bool {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim().starts_with(FRESH) && c.trim()[FRESH.len()..].starts_with('='))
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !state.store.has_replicas() {
        return next.run(req).await;
    }
    let reading = matches!(*req.method(), Method::GET | Method::HEAD);
    if !reading {
        let (mut resp, _) = route_reads(Route::Primary, next.run(req)).await;
        let secure = if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{FRESH}=1; Max-Age={FRESH_SECONDS}; Path=/; HttpOnly; SameSite=Lax{secure}"
        )) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
        return resp;
    }
    if just_wrote(&req) {
        return route_reads(Route::Primary, next.run(req)).await.0;
    }
    // A GET has no body: what is needed to ask again is its head.
    let (parts, body) = req.into_parts();
    let again = {
        let mut r = Request::new(axum::body::Body::empty());
        *r.method_mut() = parts.method.clone();
        *r.uri_mut() = parts.uri.clone();
        *r.version_mut() = parts.version;
        *r.headers_mut() = parts.headers.clone();
        *r.extensions_mut() = parts.extensions.clone();
        r
    };
    let (resp, used) = route_reads(
        Route::Replica,
        next.clone().run(Request::from_parts(parts, body)),
    )
    .await;
    match used {
        Some(standby) if resp.status().is_server_error() => {
            state.store.replica_failed(standby);
            route_reads(Route::Primary, next.run(again)).await.0
        }
        _ => resp,
    }
}
