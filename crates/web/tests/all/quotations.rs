//! Quotations on both backends: lines from the price list with discounts; a discount over the
//! limit waits for the salesperson's own superior; a submitted version never changes (it is
//! revised into a new one); an accepted quotation becomes an order at the quoted prices.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn a_quotation_becomes_an_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let product = |code: &str, name: &str, price: &str| {
        let app = app.clone();
        let token = t.clerk.1.clone();
        let body = json!({"code": code, "name": name, "unit": "套", "price": price});
        async move {
            app.post("/api/v1/products", &token, body).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let lamp = product("LED", "节能灯", "100").await;
    let panel = product("SOL", "太阳能板", "900").await;
    let a = app
        .customer(&t.rep_a1.1, "恒达机械有限公司", "13800000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let quote = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/quotations", &token, body).await }
    };
    let lines = |discount: &str| {
        json!([{"product_id": lamp, "quantity": "100", "discount_percent": discount},
               {"product_id": panel, "quantity": "2"}])
    };
    assert_eq!(
        quote(&t.rep_b1.1, json!({"customer_id": a, "lines": lines("0")}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = quote(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": [{"product_id": 999_999, "quantity": "1"}]}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_product")),
        "{e}"
    );
    let (s, e) = quote(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": lines("150")}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("discount_percent")),
        "{e}"
    );
    assert_eq!(
        app.get("/api/v1/quotations", &t.rep_a1.1).await.1["total"],
        0,
        "nothing written"
    );

    let (s, d) = quote(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": lines("15"), "terms": "预付 30%"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["quotation"]["id"].as_i64().unwrap();
    // 100 × 85.00 + 2 × 900.00
    assert_eq!(
        (d["quotation"]["total"].as_str(), d["over_limit"].as_bool()),
        (Some("10300"), Some(true)),
        "{d}"
    );
    let path = format!("/api/v1/quotations/{id}");
    let put = |token: &str, body: Value| {
        let (app, token, path) = (app.clone(), token.to_string(), path.clone());
        async move { app.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    let step = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/quotations/{id}/steps"), &token, body)
                .await
        }
    };
    assert_eq!(
        put(&t.sup_a.1, json!({"lines": lines("5"), "version": 1}))
            .await
            .1["error"]["code"],
        "quotation_not_yours"
    );

    let (_, d) = step(&t.rep_a1.1, json!({"step": "submit", "version": 1})).await;
    assert_eq!(d["quotation"]["status"], "pending_approval", "{d}");
    assert_eq!(
        step(&t.rep_a1.1, json!({"step": "accept", "version": 2}))
            .await
            .1["error"]["code"],
        "quotation_step_not_allowed",
        "a discount over the limit never reaches an order unapproved"
    );
    assert_eq!(
        step(&t.director.1, json!({"step": "approve", "version": 2}))
            .await
            .1["error"]["code"],
        "not_discount_approver"
    );
    assert_eq!(
        step(&t.sup_a.1, json!({"step": "return", "version": 2}))
            .await
            .1["error"]["field"],
        "note"
    );
    let (_, d) = step(
        &t.sup_a.1,
        json!({"step": "return", "note": "最多给九二折", "version": 2}),
    )
    .await;
    assert_eq!(
        (
            d["quotation"]["status"].as_str(),
            d["shown"]["note"].as_str()
        ),
        (Some("draft"), Some("最多给九二折"))
    );
    let (s, d) = put(
        &t.rep_a1.1,
        json!({"lines": lines("8"), "terms": "预付 30%", "version": 3}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (_, d) = step(&t.rep_a1.1, json!({"step": "submit", "version": 4})).await;
    assert_eq!(
        d["quotation"]["status"], "approved",
        "within the limit: no approval needed"
    );
    assert_eq!(
        put(&t.rep_a1.1, json!({"lines": lines("9"), "version": 5}))
            .await
            .1["error"]["code"],
        "quotation_locked"
    );

    // A new version for a deeper discount, which sup_a approves.
    let (_, d) = step(&t.rep_a1.1, json!({"step": "revise", "version": 5})).await;
    assert_eq!(
        (
            d["quotation"]["current_version"].as_i64(),
            d["quotation"]["status"].as_str()
        ),
        (Some(2), Some("draft"))
    );
    put(
        &t.rep_a1.1,
        json!({"lines": lines("12"), "terms": "预付 30%，余款 30 天", "version": 6}),
    )
    .await;
    let (_, d) = step(&t.rep_a1.1, json!({"step": "submit", "version": 7})).await;
    assert_eq!(d["quotation"]["status"], "pending_approval");
    let (_, d) = step(
        &t.sup_a.1,
        json!({"step": "approve", "note": "同意", "version": 8}),
    )
    .await;
    assert_eq!(d["quotation"]["status"], "approved");
    let (_, d) = step(&t.rep_a1.1, json!({"step": "send", "version": 9})).await;
    assert_eq!(d["quotation"]["status"], "sent");
    let due = (app.now() + Duration::days(45))
        .format("%Y-%m-%d")
        .to_string();
    let (s, d) = step(
        &t.rep_a1.1,
        json!({"step": "accept", "due_date": due, "version": 10}),
    )
    .await;
    assert_eq!(
        (s, d["quotation"]["status"].as_str()),
        (StatusCode::OK, Some("accepted")),
        "{d}"
    );
    let order_id = d["quotation"]["order_id"].as_i64().unwrap();
    let (_, order) = app
        .get(&format!("/api/v1/orders/{order_id}"), &t.sup_a.1)
        .await;
    // 100 × 88.00 + 2 × 900.00
    assert_eq!(
        (
            order["total"].as_str(),
            order["owner_id"].as_i64(),
            order["due_date"].as_str()
        ),
        (Some("10600"), Some(t.rep_a1.0), Some(due.as_str())),
        "{order}"
    );
    assert_eq!(order["lines"][0]["unit_price"], "88", "{order}");
    assert_eq!(
        step(&t.rep_a1.1, json!({"step": "accept", "version": 11}))
            .await
            .1["error"]["code"],
        "quotation_step_not_allowed"
    );
    let (_, first) = app.get(&format!("{path}?version=1"), &t.rep_a1.1).await;
    assert_eq!(
        (
            first["shown"]["lines"][0]["discount_percent"].as_str(),
            first["shown"]["total"].as_str()
        ),
        (Some("8"), Some("11000")),
        "version 1 as it was"
    );

    // The order goes out in the orders export like any other, under the export rule.
    let (s, orders) = app.page("/api/v1/orders/export", &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        orders.contains(&format!(
            "SO-{order_id:06},恒达机械有限公司,rep_a1,10600,0,10600,CNY,{due}"
        )),
        "{orders}"
    );
    assert_eq!(
        app.page("/orders/export", &t.rep_a1.1).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.page("/api/v1/orders/export", &t.sup_b.1)
            .await
            .1
            .lines()
            .count(),
        1,
        "another team's orders stay"
    );

    // The sheet for the customer: the accepted version clean, an old version marked.
    let (s, sheet) = app
        .page(&format!("/quotations/{id}/print"), &t.rep_a1.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        sheet.contains("¥10,600.00") && !sheet.contains("not-for-customer"),
        "{}",
        strip_tags(&sheet)
    );
    let (_, old) = app
        .page(&format!("/quotations/{id}/print?version=1"), &t.rep_a1.1)
        .await;
    assert!(
        old.contains("not-for-customer"),
        "a superseded version is not for the customer"
    );
    assert_eq!(
        app.page(&format!("/quotations/{id}/print"), &t.rep_b1.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (_, card) = app.page(&format!("/customers/{a}"), &t.rep_a1.1).await;
    assert!(
        card.contains(&format!("QT-{id:06}")),
        "the quotation is on the customer's timeline"
    );

    // Past its validity, a quotation neither goes out nor becomes an order.
    // Today in company time: between 16:00 and 24:00 UTC the UTC date is already yesterday.
    let today = app
        .now()
        .with_timezone(&yingpan_domain::visit_plan::china_offset())
        .format("%Y-%m-%d")
        .to_string();
    let (_, late) = quote(
        &t.rep_a1.1,
        json!({"customer_id": a, "lines": lines("0"), "valid_until": today}),
    )
    .await;
    let late_id = late["quotation"]["id"].as_i64().unwrap();
    let later = app.at(app.now() + Duration::days(3)).await;
    let (s, e) = later
        .post(
            &format!("/api/v1/quotations/{late_id}/steps"),
            &t.rep_a1.1,
            json!({"step": "submit", "version": 1}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("quotation_expired")),
        "{e}"
    );

    // The company's limit.
    let settings = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.call(
                Method::PUT,
                "/api/v1/quotation-settings",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        settings(
            &t.director.1,
            json!({"discount_limit": "20", "validity_days": 15})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        settings(
            &app.admin_token,
            json!({"discount_limit": "120", "validity_days": 15})
        )
        .await
        .1["error"]["field"],
        "discount_limit"
    );
    assert_eq!(
        settings(
            &app.admin_token,
            json!({"discount_limit": "20", "validity_days": 15})
        )
        .await
        .0,
        StatusCode::OK
    );
    let (_, d) = quote(&t.rep_a1.1, json!({"customer_id": a, "lines": lines("15")})).await;
    assert_eq!(d["over_limit"], false);

    for (token, status) in [
        (&t.rep_a1.1, StatusCode::OK),
        (&t.sup_a.1, StatusCode::OK),
        (&t.director.1, StatusCode::OK),
        (&t.rep_a2.1, StatusCode::NOT_FOUND),
        (&t.sup_b.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path, token).await.0, status);
    }
    let (s, page) = app.page(&format!("/quotations/{id}"), &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("客户已接受") && text.contains(&format!("SO-{order_id:06}")),
        "{text}"
    );
    app.assert_audit_in_words().await;
    app.assert_rollups_consistent().await;
}

on_both_backends!(a_quotation_becomes_an_order);
