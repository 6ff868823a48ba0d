//! Opportunities through the stages, won/lost with reason, and the pipeline per salesperson
//! and per team — over HTTP on both backends.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn opportunities_and_pipeline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "杭州博远机械有限公司", "12800000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let new = |token: &str, body: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/opportunities", &token, body).await }
    };
    for (body, field) in [
        (json!({"customer_id": c, "name": "", "amount": "1"}), "name"),
        (
            json!({"customer_id": c, "name": "x", "amount": "-5"}),
            "amount",
        ),
        (
            json!({"customer_id": c, "name": "x", "amount": "5", "stage": "plan"}),
            "stage",
        ),
        (
            json!({"customer_id": c, "name": "x", "amount": "5", "probability": 120}),
            "probability",
        ),
        (
            json!({"customer_id": c, "name": "x", "amount": "5", "currency": "RMB1"}),
            "currency",
        ),
        (
            json!({"customer_id": c, "name": "x", "amount": "5", "expected_close": "下月"}),
            "expected_close",
        ),
    ] {
        let (s, e) = new(&t.rep_a1.1, body.clone()).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    assert_eq!(
        new(
            &t.rep_b1.1,
            json!({"customer_id": c, "name": "抢单", "amount": "1"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (s, o) = new(&t.rep_a1.1, json!({"customer_id": c, "name": "数控机床 20 台", "amount": "1,200,000", "stage": "presentation", "expected_close": "2026-12-31"})).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(
        (
            o["probability"].as_i64(),
            o["weighted_amount"].as_str(),
            o["owner_id"].as_i64()
        ),
        (Some(50), Some("600000"), Some(t.rep_a1.0))
    );
    let id = o["id"].as_i64().unwrap();
    let (_, o2) = new(
        &t.rep_a1.1,
        json!({"customer_id": c, "name": "配件年单", "amount": "80000.50"}),
    )
    .await;
    let id2 = o2["id"].as_i64().unwrap();
    // A supervisor may open one for a customer of their team; it belongs to the customer's owner.
    let (s, o3) = new(
        &t.sup_a.1,
        json!({"customer_id": c, "name": "售后维保", "amount": "30000", "stage": "closing"}),
    )
    .await;
    assert_eq!(
        (s, o3["owner_id"].as_i64()),
        (StatusCode::CREATED, Some(t.rep_a1.0))
    );

    assert_eq!(
        app.get(&format!("/api/v1/opportunities/{id}"), &t.rep_b1.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, theirs) = app.get("/api/v1/opportunities", &t.rep_b1.1).await;
    assert_eq!(theirs["total"], 0);
    let (_, pipe) = app.get("/api/v1/pipeline", &t.sup_a.1).await;
    let stages = pipe["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 5);
    assert_eq!(
        stages[0],
        json!({"stage": "prospecting", "count": 1, "amount": "80000.5", "weighted_amount": "8000.05"})
    );
    assert_eq!(stages[2]["weighted_amount"], "600000");
    assert_eq!(stages[3]["count"], 1);
    let (_, other_team) = app.get("/api/v1/pipeline", &t.sup_b.1).await;
    assert!(other_team["stages"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["count"] == 0));

    // Moving a stage takes its default probability; a stale version is refused.
    let (s, o) = app
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            &t.rep_a1.1,
            json!({"stage": "closing", "version": 1}),
        )
        .await;
    assert_eq!(
        (s, o["probability"].as_i64(), o["name"].as_str()),
        (StatusCode::OK, Some(80), Some("数控机床 20 台"))
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/opportunities/{id}"),
            &t.rep_a1.1,
            json!({"stage": "presentation", "version": 1})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    let (s, e) = app
        .post(
            &format!("/api/v1/opportunities/{id2}/lost"),
            &t.rep_a1.1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lost_reason"))
    );
    let (s, lost) = app
        .post(
            &format!("/api/v1/opportunities/{id2}/lost"),
            &t.rep_a1.1,
            json!({"version": 1, "reason": "价格高于竞品 15%"}),
        )
        .await;
    assert_eq!(
        (s, lost["status"].as_str(), lost["weighted_amount"].as_str()),
        (StatusCode::OK, Some("lost"), Some("0"))
    );
    let (s, reopened) = app
        .post(
            &format!("/api/v1/opportunities/{id2}/reopen"),
            &t.rep_a1.1,
            json!({"version": 2}),
        )
        .await;
    assert_eq!(
        (s, reopened["status"].as_str()),
        (StatusCode::OK, Some("open"))
    );

    let (s, won) = app
        .post(
            &format!("/api/v1/opportunities/{id}/won"),
            &t.rep_a1.1,
            json!({"version": 2}),
        )
        .await;
    assert_eq!(
        (s, won["status"].as_str(), won["stage"].as_str()),
        (StatusCode::OK, Some("won"), Some("after_sales"))
    );
    assert!(won["closed_at"].is_string());
    let (s, e) = app
        .post(
            &format!("/api/v1/opportunities/{id}/lost"),
            &t.rep_a1.1,
            json!({"version": 3, "reason": "x"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_transition"))
    );
    let (s, e) = app
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            &t.rep_a1.1,
            json!({"amount": "1", "version": 3}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("opportunity_closed"))
    );
    let (_, won_list) = app
        .get("/api/v1/opportunities?status=won", &t.director.1)
        .await;
    assert_eq!(won_list["total"], 1);

    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=opportunity&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["won", "update", "create"]);

    // Pool customers get no opportunities until claimed.
    app.store
        .recycle(chrono::Utc::now() + chrono::Duration::days(8))
        .await
        .unwrap();
    let (s, e) = new(
        &app.admin_token,
        json!({"customer_id": c, "name": "x", "amount": "1"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("customer_in_pool"))
    );

    for (path, token, status) in [
        ("/pipeline".to_string(), &t.sup_a.1, StatusCode::OK),
        (format!("/opportunities/{id2}"), &t.sup_a.1, StatusCode::OK),
        (
            format!("/opportunities/{id2}"),
            &t.rep_b1.1,
            StatusCode::NOT_FOUND,
        ),
    ] {
        let r = app
            .client
            .get(app.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
        if status == StatusCode::OK {
            assert!(r.text().await.unwrap().contains("配件年单"));
        }
    }
    app.assert_audit_in_words().await;
}

on_both_backends!(opportunities_and_pipeline);

async fn exemptions_keep_customers_with_opportunities_or_deals(backend: Backend) {
    let t0 = chrono::Utc::now();
    let app = TestApp::spawn_with_clock(backend, yingpan_web::Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let plain = app.customer(&t.rep_a1.1, "普通客户", "12700000001").await["id"]
        .as_i64()
        .unwrap();
    let open = app.customer(&t.rep_a1.1, "有商机客户", "12700000002").await["id"]
        .as_i64()
        .unwrap();
    let deal = app.customer(&t.rep_a1.1, "已成交客户", "12700000003").await["id"]
        .as_i64()
        .unwrap();
    app.post(
        "/api/v1/opportunities",
        &t.rep_a1.1,
        json!({"customer_id": open, "name": "商机", "amount": "100"}),
    )
    .await;
    let (_, o) = app
        .post(
            "/api/v1/opportunities",
            &t.rep_a1.1,
            json!({"customer_id": deal, "name": "单子", "amount": "100"}),
        )
        .await;
    app.post(
        &format!("/api/v1/opportunities/{}/won", o["id"]),
        &t.rep_a1.1,
        json!({"version": 1}),
    )
    .await;
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    assert_eq!(
        (
            org["exempt_open_opportunity"].as_bool(),
            org["exempt_with_deal"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let (s, _) = app
        .patch("/api/v1/organization", &app.admin_token, json!({"exempt_open_opportunity": true, "exempt_with_deal": true, "version": org["version"]}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.store
            .recycle(t0 + chrono::Duration::days(8))
            .await
            .unwrap(),
        1
    );
    let owner = |id: i64| {
        let app = app.clone();
        async move { app.store.customer(&app.all(), id).await.unwrap().owner_id }
    };
    assert_eq!(owner(plain).await, None);
    assert_eq!(owner(open).await, Some(t.rep_a1.0));
    assert_eq!(owner(deal).await, Some(t.rep_a1.0));
    // Without the exemptions, the rule applies to everyone.
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    app.patch("/api/v1/organization", &app.admin_token, json!({"exempt_open_opportunity": false, "exempt_with_deal": false, "version": org["version"]})).await;
    assert_eq!(
        app.store
            .recycle(t0 + chrono::Duration::days(8))
            .await
            .unwrap(),
        2
    );
}

on_both_backends!(exemptions_keep_customers_with_opportunities_or_deals);

async fn no_opportunity_and_no_deal_triggers(backend: Backend) {
    let t0 = chrono::Utc::now();
    let app = TestApp::spawn_with_clock(backend, yingpan_web::Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let idle = app
        .customer(&t.rep_a1.1, "只打电话的客户", "12600000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let busy = app
        .customer(&t.rep_a1.1, "有商机的客户", "12600000002")
        .await["id"]
        .as_i64()
        .unwrap();
    let vip = app.customer(&t.rep_a1.1, "重点客户", "12600000003").await["id"]
        .as_i64()
        .unwrap();
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/customers/{vip}/qualification"),
        Some(&t.rep_a1.1),
        Some(json!({"tier": "priority", "version": 1})),
    )
    .await;
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    let (s, e) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"no_deal_days": -1, "version": org["version"]}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_deal_days"))
    );
    let (s, _) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"protection_days": 365, "no_opportunity_days": 30, "no_opportunity_days_by_tier": {"priority": 60}, "version": org["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Day 20: an opportunity on one customer; both are called often (no silence).
    let day20 = app.at(t0 + chrono::Duration::days(20)).await;
    let (s, _) = day20
        .post(
            "/api/v1/opportunities",
            &t.rep_a1.1,
            json!({"customer_id": busy, "name": "试用订单", "amount": "5000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for c in [idle, busy, vip] {
        day20
            .post(
                &format!("/api/v1/customers/{c}/activities"),
                &t.rep_a1.1,
                json!({"kind": "call", "summary": "回访"}),
            )
            .await;
    }
    assert_eq!(
        app.store
            .recycle(t0 + chrono::Duration::days(29))
            .await
            .unwrap(),
        0
    );
    // Day 31: held 31 days, no opportunity in the last 30 → the idle one returns.
    assert_eq!(
        app.store
            .recycle(t0 + chrono::Duration::days(31))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.store.customer(&app.all(), idle).await.unwrap().owner_id,
        None
    );
    assert_eq!(
        app.store.customer(&app.all(), busy).await.unwrap().owner_id,
        Some(t.rep_a1.0)
    );
    let (_, h) = app
        .get(
            &format!("/api/v1/customers/{idle}/ownership"),
            &app.admin_token,
        )
        .await;
    assert_eq!(h["items"][1]["reason"], "recycle");
}

on_both_backends!(no_opportunity_and_no_deal_triggers);

async fn holding_cap_may_leave_out_deal_customers(backend: Backend) {
    let t0 = chrono::Utc::now();
    let app = TestApp::spawn_with_clock(backend, yingpan_web::Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let deal = app.customer(&t.rep_b1.1, "成交客户", "12500000001").await["id"]
        .as_i64()
        .unwrap();
    let (_, o) = app
        .post(
            "/api/v1/opportunities",
            &t.rep_b1.1,
            json!({"customer_id": deal, "name": "单", "amount": "1"}),
        )
        .await;
    app.post(
        &format!("/api/v1/opportunities/{}/won", o["id"]),
        &t.rep_b1.1,
        json!({"version": 1}),
    )
    .await;
    let pool = app.customer(&t.rep_a1.1, "公海客户", "12500000002").await["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/customers/{pool}/release"),
        &t.rep_a1.1,
        json!({"reason": "不再跟进"}),
    )
    .await;
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    app.patch(
        "/api/v1/organization",
        &app.admin_token,
        json!({"holding_cap": 1, "version": org["version"]}),
    )
    .await;
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{pool}/claim"),
            &t.rep_b1.1,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claim_limit"))
    );
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    app.patch(
        "/api/v1/organization",
        &app.admin_token,
        json!({"holding_cap_counts_deals": false, "version": org["version"]}),
    )
    .await;
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{pool}/claim"),
            &t.rep_b1.1,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
}

on_both_backends!(holding_cap_may_leave_out_deal_customers);
