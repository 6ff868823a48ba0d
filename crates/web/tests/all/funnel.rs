//! The prospecting funnel over HTTP on both backends: the seed's example (100 calls → 50
//! reached → 13 appointments → 13 presentations → 5 deals → ¥200,000) logged as a salesperson
//! would and computed by the server, per person and team, within scope.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;
use yingpan_web::Clock;

async fn the_seeds_funnel_is_computed_from_logged_work(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let rep = &t.rep_a1.1;
    let (_, item) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "M1", "name": "数控机床", "unit": "台", "price": "40000"}),
        )
        .await;
    let customers: Vec<i64> = {
        let mut ids = Vec::new();
        for i in 0..5 {
            let c = app
                .customer(rep, &format!("漏斗客户{i}"), &format!("1350000000{i}"))
                .await;
            ids.push(c["id"].as_i64().unwrap());
        }
        ids
    };
    let log = |body: serde_json::Value, customer: i64| {
        let (app, rep) = (app.clone(), rep.clone());
        async move {
            let (s, a) = app
                .post(
                    &format!("/api/v1/customers/{customer}/activities"),
                    &rep,
                    body,
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{a}");
        }
    };
    for i in 0..100 {
        log(
            json!({"kind": "call", "summary": "电话", "reached": i < 50}),
            customers[i % 5],
        )
        .await;
    }
    for i in 0..13 {
        log(
            json!({"kind": "visit", "summary": "约见", "purpose": "appointment"}),
            customers[i % 5],
        )
        .await;
        log(
            json!({"kind": "meeting", "summary": "推荐", "purpose": "presentation"}),
            customers[i % 5],
        )
        .await;
    }
    // A service visit is no step of the funnel.
    log(
        json!({"kind": "visit", "summary": "回访", "purpose": "service"}),
        customers[0],
    )
    .await;
    for c in &customers {
        let (s, o) = app
            .post(
                "/api/v1/orders",
                rep,
                json!({"customer_id": c, "lines": [{"product_id": item["id"], "quantity": "1"}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
    }
    // Expenses: 3,000 in a daily report, an advance of 6,000 of which 5,000 is settled.
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/daily-reports/by-date/2026-11-20",
            Some(rep),
            Some(json!({"attendance": "field", "expenses": "3000"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for (kind, amount) in [("advance", "6000"), ("settlement", "5000")] {
        let (s, v) = app
            .post(
                "/api/v1/expense-advances",
                &t.clerk.1,
                json!({"user_id": t.rep_a1.0, "kind": kind, "amount": amount, "purpose": "差旅"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    // Another team's salesperson calls twice and reaches nobody.
    let other = app.customer(&t.rep_b1.1, "丙客户", "13600000000").await;
    for _ in 0..2 {
        let (s, _) = app
            .post(
                &format!("/api/v1/customers/{}/activities", other["id"]),
                &t.rep_b1.1,
                json!({"kind": "call", "summary": "电话", "reached": false}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }

    let (s, f) = app
        .get(
            "/api/v1/funnel?period=2026-11&commission_percent=5",
            &t.sup_a.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    let steps: Vec<(u64, Option<&str>)> = f["total"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["count"].as_u64().unwrap(),
                s["conversion_percent"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (100, None),
            (50, Some("50")),
            (13, Some("26")),
            (13, Some("100")),
            (5, Some("38.46"))
        ]
    );
    assert_eq!(
        (
            &f["total"]["revenue"],
            &f["total"]["sales_per_call"],
            &f["total"]["commission_per_call"]
        ),
        (&json!("200000"), &json!("2000"), &json!("100"))
    );
    assert_eq!(
        f["items"].as_array().unwrap().len(),
        1,
        "only the supervisor's team: {f}"
    );

    // The director: both people, and by team.
    let (_, f) = app
        .get("/api/v1/funnel?period=2026-11&group_by=team", &t.director.1)
        .await;
    let items = f["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{f}");
    assert_eq!(
        (&items[0]["label"], &items[0]["counts"]["calls"]),
        (&json!("sup_a"), &json!(100))
    );
    assert_eq!(
        (&items[1]["label"], &items[1]["counts"]["calls"]),
        (&json!("sup_b"), &json!(2))
    );
    assert_eq!(f["total"]["steps"][0]["count"], 102);
    assert_eq!(
        f["total"]["commission_per_call"],
        serde_json::Value::Null,
        "no rate, no commission"
    );

    // Bad input is refused with its field, and nothing is logged.
    for (query, field) in [
        ("commission_percent=101", "commission_percent"),
        ("commission_percent=-1", "commission_percent"),
        ("group_by=region", "group_by"),
        ("period=2026-13", "period"),
    ] {
        let (s, e) = app
            .get(&format!("/api/v1/funnel?{query}"), &t.director.1)
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{query}"
        );
    }
    for (body, field) in [
        (
            json!({"kind": "visit", "summary": "x", "reached": true}),
            "reached",
        ),
        (
            json!({"kind": "call", "summary": "x", "purpose": "appointment"}),
            "purpose",
        ),
        (
            json!({"kind": "visit", "summary": "x", "purpose": "lunch"}),
            "purpose",
        ),
        (
            json!({"kind": "call", "summary": "x", "reached": "perhaps"}),
            "reached",
        ),
    ] {
        let (s, e) = app
            .post(
                &format!("/api/v1/customers/{}/activities", customers[0]),
                rep,
                body,
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{e}"
        );
    }
    let (_, f) = app.get("/api/v1/funnel?period=2026-11", rep).await;
    assert_eq!(
        f["total"]["steps"][0]["count"], 100,
        "the refused calls were not logged"
    );

    // The page: the chart and the table.
    let (s, html) = app
        .page("/funnel?period=2026-11&commission_percent=5", rep)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"funnel-chart\"><svg"), "{html}");
    assert!(
        html.contains("¥2,000.00") && html.contains("¥100.00") && html.contains("5 (38.5%)"),
        "{html}"
    );
    app.assert_rollups_consistent().await;
}

on_both_backends!(the_seeds_funnel_is_computed_from_logged_work);
