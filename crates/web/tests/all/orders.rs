//! Orders: totals equal their lines, payments never exceed the total, refunds never exceed
//! what was paid, and for a unique item the first deposit wins — on both backends.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn orders_payments_and_unique_items(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35.50"}),
        )
        .await;
    let (_, car) = app.post("/api/v1/products", &t.clerk.1, json!({"code": "CAR-001", "name": "展车 1 号", "unit": "辆", "price": "180000", "unique_item": true})).await;
    let (lamp, car) = (lamp["id"].as_i64().unwrap(), car["id"].as_i64().unwrap());
    let a = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    let b = app.customer(&t.rep_b1.1, "乙客户", "12200000002").await["id"]
        .as_i64()
        .unwrap();

    let order = |token: &str, body: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/orders", &token, body).await }
    };
    let (s, e) = order(&t.rep_a1.1, json!({"customer_id": a, "lines": []})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lines"))
    );
    let (s, e) = order(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": [{"product_id": 9999, "quantity": "1"}]}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("product_id"))
    );
    let (s, e) = order(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": [{"product_id": lamp, "quantity": "0"}]}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quantity"))
    );
    assert_eq!(
        order(
            &t.rep_b1.1,
            json!({"customer_id": a, "lines": [{"product_id": lamp, "quantity": "1"}]})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (s, o) = order(&t.rep_a1.1, json!({"customer_id": a, "lines": [{"product_id": lamp, "quantity": "100"}, {"product_id": lamp, "quantity": "3", "unit_price": "30"}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(
        (o["total"].as_str(), o["receivable"].as_str()),
        (Some("3640"), Some("3640")),
        "3550 + 90"
    );
    let oid = o["id"].as_i64().unwrap();
    let pay = |token: &str, id: i64, body: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/orders/{id}/payments"), &token, body)
                .await
        }
    };
    let (s, e) = pay(
        &t.rep_a1.1,
        oid,
        json!({"kind": "payment", "amount": "4000"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("over_payment"))
    );
    let (s, e) = pay(&t.rep_a1.1, oid, json!({"kind": "refund", "amount": "1"})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("over_refund"))
    );
    let (_, o) = pay(
        &t.clerk.1,
        oid,
        json!({"kind": "deposit", "amount": "1000"}),
    )
    .await;
    assert_eq!(
        (
            o["paid"].as_str(),
            o["receivable"].as_str(),
            o["commission_right"].as_bool()
        ),
        (Some("1000"), Some("2640"), Some(true))
    );
    let (_, o) = pay(
        &t.rep_a1.1,
        oid,
        json!({"kind": "refund", "amount": "1000", "note": "客户改期"}),
    )
    .await;
    assert_eq!(
        (o["paid"].as_str(), o["commission_right"].as_bool()),
        (Some("0"), Some(true)),
        "the commission right stays after a refund"
    );

    // Two customers want the same unique car: the first deposit wins.
    let (_, ca) = order(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": [{"product_id": car, "quantity": "1"}]}),
    )
    .await;
    let (_, cb) = order(
        &t.rep_b1.1,
        json!({"customer_id": b, "lines": [{"product_id": car, "quantity": "1"}]}),
    )
    .await;
    let (ca, cb) = (ca["id"].as_i64().unwrap(), cb["id"].as_i64().unwrap());
    let (s, _) = pay(
        &t.rep_b1.1,
        cb,
        json!({"kind": "deposit", "amount": "20000"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = pay(
        &t.rep_a1.1,
        ca,
        json!({"kind": "deposit", "amount": "30000"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("item_taken")),
        "{e}"
    );
    let (_, stored) = app
        .get(&format!("/api/v1/orders/{ca}"), &app.admin_token)
        .await;
    assert_eq!(stored["paid"], "0", "the refused deposit changed nothing");
    // Once the winner's deposit is refunded, the car is free again.
    pay(
        &t.rep_b1.1,
        cb,
        json!({"kind": "refund", "amount": "20000"}),
    )
    .await;
    assert_eq!(
        pay(
            &t.rep_a1.1,
            ca,
            json!({"kind": "deposit", "amount": "30000"})
        )
        .await
        .0,
        StatusCode::OK
    );

    let (_, mine) = app.get("/api/v1/orders", &t.rep_a1.1).await;
    assert_eq!(mine["total"], 2);
    let (_, theirs) = app.get(&format!("/api/v1/orders/{oid}"), &t.rep_b1.1).await;
    assert_eq!(theirs["error"]["code"], "not_found");
    for path in [format!("/orders/{oid}"), format!("/customers/{a}")] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(&t.rep_a1.1)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    app.assert_rollups_consistent().await;
    // A rebuild from the raw rows (what the migration and the benchmark's generator run) gives
    // the same rows the writes kept.
    app.store.rebuild_rollups(app.org_id).await.unwrap();
    app.assert_rollups_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(orders_payments_and_unique_items);
