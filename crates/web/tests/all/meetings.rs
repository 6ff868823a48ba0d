//! Sales meetings on both backends: a superior meets their direct reports; the figures of the
//! period come from the records; attendance by report needs a report; decisions become tasks;
//! a closed meeting keeps its minutes.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_web::Clock;

async fn a_morning_meeting_reviews_yesterday(backend: Backend) {
    // Wednesday 2026-11-25, 10:00 China time; yesterday is Tuesday the 24th.
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let yesterday = app
        .at(Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).unwrap())
        .await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100"}),
        )
        .await;
    let c1 = app.customer(&t.rep_a1.1, "恒达机械", "13800000001").await["id"]
        .as_i64()
        .unwrap();
    let c2 = app.customer(&t.rep_a2.1, "远航物流", "13800000002").await["id"]
        .as_i64()
        .unwrap();
    let visit = |app: &TestApp, token: &str, c: i64| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (s, _) = app
                .post(
                    &format!("/api/v1/customers/{c}/activities"),
                    &token,
                    json!({"kind": "visit", "summary": "拜访"}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED);
        }
    };
    visit(&yesterday, &t.rep_a1.1, c1).await;
    visit(&yesterday, &t.rep_a1.1, c1).await;
    visit(&app, &t.rep_a1.1, c1).await; // today: not yesterday's figure
    let (_, order) = yesterday
        .post(
            "/api/v1/orders",
            &t.rep_a2.1,
            json!({"customer_id": c2, "lines": [{"product_id": lamp["id"], "quantity": "30"}]}),
        )
        .await;
    yesterday
        .post(
            &format!("/api/v1/orders/{}/payments", order["id"]),
            &t.clerk.1,
            json!({"kind": "deposit", "amount": "1000"}),
        )
        .await;
    yesterday
        .post(
            "/api/v1/escalations",
            &t.rep_a1.1,
            json!({"kind": "market_situation", "subject": "竞品降价", "body": "降价 10%"}),
        )
        .await;

    let (s, e) = app
        .post("/api/v1/meetings", &t.rep_a1.1, json!({"kind": "morning"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_team"))
    );
    let (s, d) = app
        .post("/api/v1/meetings", &t.sup_a.1, json!({"kind": "morning"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["meeting"]["id"].as_i64().unwrap();
    assert_eq!(d["meeting"]["period"], json!(["2026-11-24", "2026-11-24"]));
    let member = |d: &Value, who: i64| {
        d["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == who)
            .unwrap()
            .clone()
    };
    let a1 = member(&d, t.rep_a1.0);
    let a2 = member(&d, t.rep_a2.0);
    assert_eq!(
        (
            a1["visits"].as_i64(),
            a1["escalations"].as_i64(),
            a1["attendance"].as_str()
        ),
        (Some(2), Some(1), Some("present")),
        "{a1}"
    );
    assert_eq!(
        (
            a2["orders"].as_i64(),
            a2["order_total"].as_str(),
            a2["collected"].as_str()
        ),
        (Some(1), Some("3000"), Some("1000")),
        "{a2}"
    );
    assert_eq!(
        d["members"].as_array().unwrap().len(),
        2,
        "sup_a's direct reports only"
    );

    let path = format!("/api/v1/meetings/{id}");
    let put = |token: &str, body: Value| {
        let (app, token, path) = (app.clone(), token.to_string(), path.clone());
        async move { app.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    let by_report = json!({"minutes": "昨日拜访 2 家", "attendance": [{"user_id": t.rep_a2.0, "status": "by_report", "note": "在宁波出差"}], "version": 1});
    assert_eq!(
        put(&t.rep_a1.1, by_report.clone()).await.1["error"]["code"],
        "not_organizer"
    );
    let (s, e) = put(&t.sup_a.1, by_report.clone()).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("no_report_for_period")
        ),
        "{e}"
    );
    assert_eq!(
        put(
            &t.sup_a.1,
            json!({"attendance": [{"user_id": t.rep_b1.0, "status": "absent"}], "version": 1})
        )
        .await
        .1["error"]["code"],
        "not_a_member"
    );
    let (s, r) = app
        .call(
            Method::PUT,
            "/api/v1/daily-reports/by-date/2026-11-24",
            Some(&t.rep_a2.1),
            Some(json!({"order_amount": "3000"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, d) = put(&t.sup_a.1, by_report).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        (
            member(&d, t.rep_a2.0)["attendance"].as_str(),
            d["meeting"]["minutes"].as_str()
        ),
        (Some("by_report"), Some("昨日拜访 2 家"))
    );
    assert_eq!(
        put(&t.sup_a.1, json!({"minutes": "x", "version": 1}))
            .await
            .0,
        StatusCode::CONFLICT
    );

    let decide = |token: &str, who: i64| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"assignee_id": who, "title": "今天回访远航物流", "due_at": "2026-11-25T10:00:00Z"});
        async move {
            app.post(&format!("/api/v1/meetings/{id}/decisions"), &token, body)
                .await
        }
    };
    assert_eq!(
        decide(&t.sup_a.1, t.rep_b1.0).await.1["error"]["code"],
        "not_a_member"
    );
    let (s, d) = decide(&t.sup_a.1, t.rep_a2.0).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, tasks) = app.get("/api/v1/tasks", &t.rep_a2.1).await;
    assert_eq!(
        (
            tasks["total"].as_i64(),
            tasks["items"][0]["assigner_id"].as_i64()
        ),
        (Some(1), Some(t.sup_a.0))
    );

    for (token, status) in [
        (&t.rep_a1.1, StatusCode::OK),
        (&t.director.1, StatusCode::OK),
        (&t.sup_b.1, StatusCode::NOT_FOUND),
        (&t.rep_b1.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path, token).await.0, status);
    }
    let (s, d) = app
        .post(
            &format!("/api/v1/meetings/{id}/close"),
            &t.sup_a.1,
            json!({"version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert!(d["meeting"]["closed_at"].is_string());
    assert_eq!(
        put(&t.sup_a.1, json!({"minutes": "改", "version": 3}))
            .await
            .1["error"]["code"],
        "meeting_closed"
    );
    assert_eq!(
        decide(&t.sup_a.1, t.rep_a2.0).await.1["error"]["code"],
        "meeting_closed"
    );

    // The evening meeting of the same day counts today's visit.
    let (_, evening) = app
        .post("/api/v1/meetings", &t.sup_a.1, json!({"kind": "evening"}))
        .await;
    assert_eq!(member(&evening, t.rep_a1.0)["visits"], 1);
    let (_, weekly) = app
        .post("/api/v1/meetings", &t.sup_a.1, json!({"kind": "weekly"}))
        .await;
    assert_eq!(
        (
            weekly["meeting"]["period"][0].as_str(),
            member(&weekly, t.rep_a1.0)["visits"].as_i64()
        ),
        (Some("2026-11-23"), Some(3))
    );

    let (s, page) = app.page(&format!("/meetings/{id}"), &t.rep_a1.1).await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("以报告代出席")
            && text.contains("昨日拜访 2 家")
            && text.contains("今天回访远航物流"),
        "{text}"
    );
    app.assert_audit_in_words().await;
}

on_both_backends!(a_morning_meeting_reviews_yesterday);
