//! Joint visits and coaching on both backends: a superior joins a submitted plan's visit,
//! reviews it from its day on (linked to the salesperson's visit log), and keeps coaching notes
//! that only those above the person read.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::json;
use yingpan_web::Clock;

async fn a_supervisor_joins_reviews_and_coaches(backend: Backend) {
    // Tuesday 2026-11-24, 08:00 China time.
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let c = app.customer(&t.rep_a1.1, "宁波恒达", "13800000001").await["id"]
        .as_i64()
        .unwrap();
    let (_, plan) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            json!({"plan_date": "2026-11-24", "items": [{"customer_id": c, "customer_name": "宁波恒达", "start": "10:00", "end": "11:30", "purpose": "develop_new_customer"}]}),
        )
        .await;
    let plan_id = plan["id"].as_i64().unwrap();
    let join = |token: &str, item: usize| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(
                "/api/v1/joint-visits",
                &token,
                json!({"plan_id": plan_id, "item": item}),
            )
            .await
        }
    };
    assert_eq!(
        join(&t.sup_a.1, 0).await.1["error"]["code"],
        "plan_not_submitted",
        "a draft is not yet a plan"
    );
    app.post(
        &format!("/api/v1/visit-plans/{plan_id}/submit"),
        &t.rep_a1.1,
        json!({"version": 1}),
    )
    .await;
    assert_eq!(
        join(&t.rep_a2.1, 0).await.0,
        StatusCode::NOT_FOUND,
        "a peer does not reach the plan"
    );
    assert_eq!(join(&t.sup_b.1, 0).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        join(&t.clerk.1, 0).await.1["error"]["code"],
        "not_above_salesperson"
    );
    assert_eq!(join(&t.sup_a.1, 3).await.1["error"]["field"], "item");
    let (s, jv) = join(&t.sup_a.1, 0).await;
    assert_eq!(s, StatusCode::CREATED, "{jv}");
    let id = jv["id"].as_i64().unwrap();
    assert_eq!(
        (jv["customer_id"].as_i64(), jv["start_time"].as_str()),
        (Some(c), Some("10:00"))
    );
    assert_eq!(
        join(&t.sup_a.1, 0).await.1["error"]["code"],
        "already_joined"
    );
    let (s, _) = join(&t.director.1, 0).await;
    assert_eq!(s, StatusCode::CREATED, "a skip-level superior may come too");

    // The salesperson logs the visit; the supervisor reviews it the same day.
    app.post(
        &format!("/api/v1/customers/{c}/activities"),
        &t.rep_a1.1,
        json!({"kind": "visit", "summary": "介绍节能方案，客户要报价"}),
    )
    .await;
    let review = |token: &str, body: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/joint-visits/{id}/review"), &token, body)
                .await
        }
    };
    assert_eq!(
        review(&t.director.1, json!({"corrections": "x", "version": 1}))
            .await
            .1["error"]["code"],
        "joint_visit_not_yours"
    );
    assert_eq!(
        review(&t.sup_a.1, json!({"strengths": " ", "version": 1}))
            .await
            .1["error"]["field"],
        "corrections"
    );
    let (s, done) = review(&t.sup_a.1, json!({"strengths": "开场自然", "corrections": "先问需求再讲产品", "score": 4, "version": 1})).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(
        (done["activity_summary"].as_str(), done["score"].as_i64()),
        (Some("介绍节能方案，客户要报价"), Some(4)),
        "the visit records both"
    );
    assert_eq!(
        review(&t.sup_a.1, json!({"corrections": "再改", "version": 2}))
            .await
            .1["error"]["code"],
        "joint_visit_reviewed"
    );
    let (s, seen) = app
        .get(&format!("/api/v1/joint-visits/{id}"), &t.rep_a1.1)
        .await;
    assert_eq!(
        (s, seen["corrections"].as_str()),
        (StatusCode::OK, Some("先问需求再讲产品")),
        "the salesperson reads the review"
    );
    assert_eq!(
        app.get(&format!("/api/v1/joint-visits/{id}"), &t.rep_a2.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Coaching notes: written and read by those above the person only.
    let note = |token: &str, person: i64| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(
                "/api/v1/coaching-notes",
                &token,
                json!({"person_id": person, "kind": "new", "note": "第一个月：每天跟两次电话演练"}),
            )
            .await
        }
    };
    assert_eq!(
        note(&t.rep_a2.1, t.rep_a1.0).await.1["error"]["code"],
        "not_above_salesperson"
    );
    assert_eq!(
        note(&t.sup_b.1, t.rep_a1.0).await.1["error"]["code"],
        "not_above_salesperson"
    );
    assert_eq!(note(&t.sup_a.1, t.rep_a1.0).await.0, StatusCode::CREATED);
    let (_, notes) = app
        .get(
            &format!("/api/v1/coaching-notes?person_id={}", t.rep_a1.0),
            &t.director.1,
        )
        .await;
    assert_eq!(notes["items"][0]["note"], "第一个月：每天跟两次电话演练");
    assert_eq!(
        app.get(
            &format!("/api/v1/coaching-notes?person_id={}", t.rep_a1.0),
            &t.rep_a1.1
        )
        .await
        .1["error"]["code"],
        "not_above_salesperson"
    );

    let (s, page) = app
        .page(&format!("/coaching/{}", t.rep_a1.0), &t.sup_a.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("电话演练") && text.contains("先问需求再讲产品"),
        "{text}"
    );
    let (_, page) = app.page(&format!("/plans/{plan_id}"), &t.sup_a.1).await;
    assert!(
        page.contains("join-visit"),
        "the plan offers joining its visits"
    );
    let (_, page) = app.page(&format!("/plans/{plan_id}"), &t.rep_a1.1).await;
    assert!(!page.contains("join-visit"), "not to its own author");
    app.assert_audit_in_words().await;
}

on_both_backends!(a_supervisor_joins_reviews_and_coaches);
