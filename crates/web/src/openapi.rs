//! `GET /api/v1/openapi.json`: the API description, kept beside the code and checked by tests
//! against the router's routes.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

pub fn router() -> Router<crate::AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi))
}

#[cfg(test)]
mod tests {
    #[test]
    fn document_parses_and_names_every_contract_path() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI_JSON).unwrap();
        assert_eq!(doc["openapi"], "3.0.3");
        for p in [
            "/auth/login",
            "/me",
            "/users",
            "/users/{id}",
            "/users/{id}/deactivate",
            "/customers",
            "/customers/{id}",
            "/customers/{id}/activities",
            "/customers/{id}/claim",
            "/pool",
            "/customers/{id}/contacts",
            "/contacts/{id}",
            "/audit",
            "/organization",
        ] {
            assert!(
                doc["paths"].get(p).is_some(),
                "{p} missing from openapi.json"
            );
        }
    }

    /// Every API route the code registers is described (regenerate with scripts/openapi.py).
    #[test]
    fn every_api_route_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI_JSON).unwrap();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut seen = 0;
        for entry in std::fs::read_dir(src).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("\"/api/v1/").skip(1) {
                let path = format!("/{}", &part[..part.find('"').unwrap()]);
                if path.contains(' ') || path == "/" {
                    continue;
                }
                seen += 1;
                if doc["paths"].get(&path).is_none() {
                    missing.push(path);
                }
            }
        }
        assert!(seen > 30, "found only {seen} routes");
        assert!(missing.is_empty(), "undocumented routes: {missing:?}");
    }
}
