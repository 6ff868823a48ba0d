//! Market situation and complaint reports reach every superior up the line, with an unread
//! count; on both backends.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn reports_reach_every_superior(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c = app.customer(&t.rep_a1.1, "投诉客户", "12400000001").await["id"]
        .as_i64()
        .unwrap();
    let file = |token: &str, body: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/escalations", &token, body).await }
    };
    let (s, e) = file(
        &t.rep_a1.1,
        json!({"kind": "rumour", "subject": "x", "body": "y"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    let (s, e) = file(
        &t.rep_a1.1,
        json!({"kind": "complaint", "subject": "", "body": "y"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("subject"))
    );
    // Another team's customer cannot be attached.
    let other = app.customer(&t.rep_b1.1, "别人的客户", "12400000002").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        file(
            &t.rep_a1.1,
            json!({"kind": "complaint", "subject": "x", "body": "y", "customer_id": other})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    let (s, r) = file(&t.rep_a1.1, json!({"kind": "complaint", "subject": "产品漏水", "body": "客户反映第二批货漏水，要求退换。", "customer_id": c})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["recipients"], 2, "supervisor and director");
    let id = r["escalation"]["id"].as_i64().unwrap();

    for (token, unread) in [
        (&t.sup_a.1, 1),
        (&t.director.1, 1),
        (&t.sup_b.1, 0),
        (&t.rep_a2.1, 0),
    ] {
        let (_, inbox) = app.get("/api/v1/inbox", token).await;
        assert_eq!(inbox["unread"], unread);
    }
    assert_eq!(
        app.get(&format!("/api/v1/escalations/{id}"), &t.sup_b.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // The complaint is on the customer's timeline for its author and the superiors it reached.
    for token in [&t.rep_a1.1, &t.sup_a.1, &t.director.1] {
        let (_, html) = app.page(&format!("/customers/{c}"), token).await;
        let timeline = html.split("id=\"activity-list\"").nth(1).unwrap_or("");
        assert!(
            timeline.contains("产品漏水") && timeline.contains(&format!("/escalations/{id}")),
            "{html}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/escalations/{id}"), &t.director.1)
            .await
            .0,
        StatusCode::OK
    );
    let (_, inbox) = app.get("/api/v1/inbox", &t.sup_a.1).await;
    let item = inbox["items"][0]["id"].as_i64().unwrap();
    assert_eq!(inbox["items"][0]["escalation"]["customer_name"], "投诉客户");
    assert_eq!(
        app.post(
            &format!("/api/v1/inbox/{item}/read"),
            &t.director.1,
            json!({})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (s, r) = app
        .post(&format!("/api/v1/inbox/{item}/read"), &t.sup_a.1, json!({}))
        .await;
    assert_eq!((s, r["unread"].as_i64()), (StatusCode::OK, Some(0)));
    // The menu of every page shows the unread count.
    let html = app
        .client
        .get(app.url("/"))
        .bearer_auth(&t.director.1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("class=\"badge\">1<"), "unread badge");
    let r = app
        .client
        .get(app.url("/inbox"))
        .bearer_auth(&t.director.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("产品漏水"));
}

on_both_backends!(reports_reach_every_superior);
