//! Qualification (MAN, screening matrix, tier) and the due/overdue contact list, on both
//! backends, with servers whose clocks stand at chosen days.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;
use yingpan_web::Clock;

async fn qualification_and_due_contacts(backend: Backend) {
    let t0 = Utc::now();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let id = app
        .customer(&t.rep_a1.1, "成都博远电子有限公司", "13200000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let url = format!("/api/v1/customers/{id}/qualification");
    let put = |token: &str, body: serde_json::Value| {
        let app = app.clone();
        let token = token.to_string();
        let url = url.clone();
        async move { app.call(Method::PUT, &url, Some(&token), Some(body)).await }
    };

    let (s, e) = put(&t.rep_a1.1, json!({"tier": "vip", "version": 1})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("tier"))
    );
    let (s, e) = put(&t.rep_a1.1, json!({"attractiveness": "huge", "version": 1})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("attractiveness"))
    );
    assert_eq!(
        put(&t.rep_b1.1, json!({"tier": "priority", "version": 1}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (s, c) = put(
        &t.rep_a1.1,
        json!({"man_money": true, "man_authority": false, "man_need": true, "attractiveness": "high",
               "ability_to_win": "low", "tier": "priority", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["man_class"], "MaN");
    assert_eq!(c["man_action"], "find_decision_maker");
    assert_eq!(c["key_account_class"], "core_potential");
    assert_eq!(c["tier"], "priority");
    let day = |d: i64| (t0 + Duration::days(d)).format("%Y-%m-%d").to_string();
    assert!(
        c["next_call_due"].as_str().unwrap().starts_with(&day(30)),
        "{c}"
    );
    assert!(
        c["next_visit_due"].as_str().unwrap().starts_with(&day(90)),
        "{c}"
    );
    assert_eq!(
        put(&t.rep_a1.1, json!({"tier": "general", "version": 1}))
            .await
            .0,
        StatusCode::CONFLICT
    );

    // Nothing is due this week; on day 25 the call is due within the week; on day 31 it is overdue.
    let (_, due) = app
        .get("/api/v1/due-contacts?within_days=7", &t.rep_a1.1)
        .await;
    assert_eq!(due["total"], 0);
    let day25 = app.at(t0 + Duration::days(25)).await;
    let (_, due) = day25
        .get("/api/v1/due-contacts?within_days=7", &t.rep_a1.1)
        .await;
    assert_eq!(
        (
            due["total"].as_i64(),
            due["items"][0]["customer_id"].as_i64()
        ),
        (Some(1), Some(id))
    );
    let day31 = app.at(t0 + Duration::days(31)).await;
    // API tokens last 30 days: log in again on day 31.
    let (sup_a, sup_b, rep) = (
        day31.login("sup_a", common::PASSWORD).await,
        day31.login("sup_b", common::PASSWORD).await,
        day31.login("rep_a1", common::PASSWORD).await,
    );
    let (_, due) = day31
        .get("/api/v1/due-contacts?within_days=0", &sup_a)
        .await;
    assert_eq!(
        due["total"], 1,
        "the supervisor sees the team's overdue calls"
    );
    let (_, due) = day31
        .get("/api/v1/due-contacts?within_days=0", &sup_b)
        .await;
    assert_eq!(due["total"], 0, "another team's are not theirs");
    let (s, html) = {
        let r = day31
            .client
            .get(day31.url("/due?within_days=0"))
            .bearer_auth(&rep)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("成都博远电子有限公司") && html.contains("class=\"error\""),
        "overdue is marked"
    );

    // The call on day 31 schedules the next one a month later.
    let (s, _) = day31
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &rep,
            json!({"kind": "call", "summary": "月度回访"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, due) = day31.get("/api/v1/due-contacts?within_days=7", &rep).await;
    assert_eq!(due["total"], 0);
    let (_, c) = day31.get(&format!("/api/v1/customers/{id}"), &rep).await;
    assert!(
        c["next_call_due"].as_str().unwrap().starts_with(&day(61)),
        "{c}"
    );

    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    let changes = audit["items"][0]["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({"field": "tier", "before": null, "after": "priority"})),
        "{changes:?}"
    );
    let (s, e) = app
        .get("/api/v1/due-contacts?within_days=999", &t.rep_a1.1)
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("within_days"))
    );
    app.assert_audit_in_words().await;
}

async fn warning_before_recycling(backend: Backend) {
    let t0 = Utc::now();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let (_, rep) = app.person("rep", "sales", Some(app.admin_id)).await;
    app.customer(&rep, "快到期客户", "13200000002").await;
    let page = |server: TestApp| {
        let rep = rep.clone();
        async move {
            server
                .client
                .get(server.url("/"))
                .bearer_auth(rep)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert!(!page(app.clone()).await.contains("快到期客户"));
    // Day 5 of 7, with the default two-day warning: the owner is warned on the dashboard.
    assert!(
        page(app.at(t0 + Duration::days(5) + Duration::minutes(1)).await)
            .await
            .contains("快到期客户")
    );
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    assert_eq!(org["warning_days"], 2);
    let (s, _) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"warning_days": 1, "version": org["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !page(app.at(t0 + Duration::days(5) + Duration::minutes(1)).await)
            .await
            .contains("快到期客户")
    );
}

on_both_backends!(qualification_and_due_contacts, warning_before_recycling);
