//! The price list: everyone reads; admins, directors and the clerk keep it.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn price_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let body = json!({"code": "LED-40W", "name": "节能灯 40W", "unit": "盏", "price": "35.50"});
    assert_eq!(
        app.post("/api/v1/products", &t.rep_a1.1, body.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post("/api/v1/products", &t.sup_a.1, body.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "X 1", "name": "x", "price": "1"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("code"))
    );
    let (s, e) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "X1", "name": "x", "price": "-1"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("price"))
    );
    let (s, p) = app.post("/api/v1/products", &t.clerk.1, body.clone()).await;
    assert_eq!(
        (s, p["price"].as_str(), p["unit"].as_str()),
        (StatusCode::CREATED, Some("35.5"), Some("盏")),
        "{p}"
    );
    let (s, e) = app.post("/api/v1/products", &t.director.1, body).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("code"))
    );
    let id = p["id"].as_i64().unwrap();
    let (s, p) = app
        .patch(
            &format!("/api/v1/products/{id}"),
            &t.director.1,
            json!({"price": "33", "version": 1}),
        )
        .await;
    assert_eq!(
        (s, p["price"].as_str(), p["name"].as_str()),
        (StatusCode::OK, Some("33"), Some("节能灯 40W"))
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/products/{id}"),
            &t.director.1,
            json!({"price": "30", "version": 1})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    app.patch(
        &format!("/api/v1/products/{id}"),
        &t.director.1,
        json!({"active": false, "version": 2}),
    )
    .await;
    let (_, list) = app.get("/api/v1/products", &t.rep_a1.1).await;
    assert_eq!(list["total"], 0, "retired products leave the price list");
    let (_, all) = app.get("/api/v1/products?all=true", &t.clerk.1).await;
    assert_eq!(all["total"], 1);
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=product&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(
        audit["items"][1]["changes"][0],
        json!({"field": "price", "before": "35.5 CNY", "after": "33 CNY"})
    );
    for token in [&t.rep_a1.1, &t.clerk.1] {
        let r = app
            .client
            .get(app.url("/products"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

on_both_backends!(price_list);
