//! Daily sales reports: prefilled from the day's visits, lateness, review by a superior only.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;
use yingpan_web::Clock;

async fn daily_report_cycle(backend: Backend) {
    // 2026-11-24 17:00 China time.
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let rep = &t.rep_a1.1;
    let c = app.customer(rep, "宁波恒达贸易", "12300000001").await["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/api/v1/customers/{c}/activities"),
        rep,
        json!({"kind": "visit", "summary": "拜访", "outcome": "签下 3 万订单"}),
    )
    .await;
    app.post(
        &format!("/api/v1/customers/{c}/activities"),
        rep,
        json!({"kind": "call", "summary": "电话确认"}),
    )
    .await;

    let (_, pre) = app
        .get("/api/v1/daily-reports/prefill?date=2026-11-24", rep)
        .await;
    assert_eq!(
        pre["visits"],
        json!([{"customer_id": c, "customer_name": "宁波恒达贸易", "outcome": "签下 3 万订单"}]),
        "visits only"
    );
    let put = |token: &str, d: &str, body: serde_json::Value| {
        let (app, token, url) = (
            app.clone(),
            token.to_string(),
            format!("/api/v1/daily-reports/by-date/{d}"),
        );
        async move { app.call(Method::PUT, &url, Some(&token), Some(body)).await }
    };
    let (s, e) = put(rep, "2026-11-24", json!({"order_amount": "-1"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("order_amount"))
    );
    let (s, r) = put(rep, "2026-11-24", json!({"order_amount": "30000", "target_amount": "40000", "payment_collected": "12000", "competitor_info": "对手降价 5%"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["attainment_percent"].as_str(), r["late"].as_bool()),
        (Some("75"), Some(false))
    );
    assert_eq!(r["visits"][0]["outcome"], "签下 3 万订单");
    let id = r["id"].as_i64().unwrap();

    // Yesterday's report filed today is late.
    let (_, late) = put(rep, "2026-11-23", json!({"attendance": "field"})).await;
    assert_eq!(late["late"], true);

    assert_eq!(
        app.get(&format!("/api/v1/daily-reports/{id}"), &t.rep_a2.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/daily-reports/{id}/review"),
            rep,
            json!({"comment": "自评"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_superior"))
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/daily-reports/{id}/review"),
            &t.clerk.1,
            json!({"comment": "内勤"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_superior")),
        "the clerk sees but is nobody's superior"
    );
    let (_, waiting) = app
        .get("/api/v1/daily-reports?unreviewed=true", &t.sup_a.1)
        .await;
    assert_eq!(waiting["total"], 2);
    let (s, r) = app
        .post(
            &format!("/api/v1/daily-reports/{id}/review"),
            &t.sup_a.1,
            json!({"comment": "明天跟进回款"}),
        )
        .await;
    assert_eq!(
        (s, r["review_comment"].as_str()),
        (StatusCode::OK, Some("明天跟进回款"))
    );
    let (s, e) = put(rep, "2026-11-24", json!({"lessons": "改"})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("report_reviewed"))
    );
    let later = app.at(t0 + Duration::hours(1)).await;
    for (path, token) in [
        ("/reports".to_string(), rep),
        (format!("/reports/{id}"), &t.sup_a.1),
    ] {
        let r = later
            .client
            .get(later.url(&path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    app.assert_audit_in_words().await;
}

on_both_backends!(daily_report_cycle);
