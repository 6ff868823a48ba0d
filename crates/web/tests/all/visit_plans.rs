//! Daily visit plans: draft, submit (lateness), return with a comment, approve, amend — over
//! HTTP on both backends, with servers at chosen instants.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{Duration, TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;
use yingpan_web::Clock;

fn item(name: &str, start: &str, end: &str, purpose: &str) -> serde_json::Value {
    json!({"customer_name": name, "region": "华东", "start": start, "end": end, "purpose": purpose})
}

async fn plan_review_cycle(backend: Backend) {
    // 2026-11-24 08:00 in China (00:00 UTC): the plan for that day is due by 09:00.
    let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let rep = &t.rep_a1.1;
    let create = |body: serde_json::Value| app.post("/api/v1/visit-plans", rep, body);

    let (s, e) = create(json!({"plan_date": "2026-11-24", "items": [item("甲", "09:00", "10:30", "service"), item("乙", "10:00", "11:00", "order")]})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("overlapping_slots"))
    );
    let (s, e) = create(
        json!({"plan_date": "2026-11-24", "items": [item("甲", "09:00", "10:00", "party")]}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("purpose"))
    );
    let (s, e) = create(json!({"plan_date": "24/11", "items": []})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_date"))
    );
    let (s, p) = create(json!({"plan_date": "2026-11-24", "items": [item("杭州嘉禾食品", "14:00", "15:00", "collect_payment"), item("宁波恒达", "09:30", "11:00", "develop_new_customer")]})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        (
            p["status"].as_str(),
            p["items"][0]["customer_name"].as_str()
        ),
        (Some("draft"), Some("宁波恒达")),
        "sorted by time"
    );
    let id = p["id"].as_i64().unwrap();
    let (s, e) = create(json!({"plan_date": "2026-11-24", "items": []})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_exists"))
    );

    let url = format!("/api/v1/visit-plans/{id}");
    assert_eq!(app.get(&url, &t.rep_a2.1).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&url, &t.sup_b.1).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&url, &t.sup_a.1).await.0, StatusCode::OK);

    let (s, p) = app
        .post(&format!("{url}/submit"), rep, json!({"version": 1}))
        .await;
    assert_eq!(
        (s, p["status"].as_str(), p["late"].as_bool()),
        (StatusCode::OK, Some("submitted"), Some(false)),
        "{p}"
    );
    let (s, e) = app
        .call(
            Method::PUT,
            &url,
            Some(rep),
            Some(json!({"items": [], "version": 2})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_locked"))
    );
    let (s, e) = app
        .post(&format!("{url}/approve"), rep, json!({"version": 2}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_superior"))
    );
    assert_eq!(
        app.post(&format!("{url}/approve"), &t.sup_b.1, json!({"version": 2}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = app
        .post(&format!("{url}/return"), &t.sup_a.1, json!({"version": 2}))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("comment"))
    );
    let (s, p) = app
        .post(
            &format!("{url}/return"),
            &t.sup_a.1,
            json!({"version": 2, "comment": "下午先去宁波"}),
        )
        .await;
    assert_eq!(
        (s, p["status"].as_str(), p["review_comment"].as_str()),
        (StatusCode::OK, Some("returned"), Some("下午先去宁波"))
    );

    // Edited and resubmitted after 09:00 China time: approved, but recorded as late.
    let later = app.at(t0 + Duration::hours(2)).await;
    let (s, p) = later
        .call(Method::PUT, &url, Some(rep), Some(json!({"items": [item("宁波恒达", "13:00", "14:00", "develop_new_customer")], "version": 3})))
        .await;
    assert_eq!(
        (s, p["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1)),
        "{p}"
    );
    let (_, p) = later
        .post(&format!("{url}/submit"), rep, json!({"version": 4}))
        .await;
    assert_eq!(p["late"], true);
    let (s, p) = later
        .post(&format!("{url}/approve"), &t.sup_a.1, json!({"version": 5}))
        .await;
    assert_eq!(
        (s, p["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );
    assert_eq!(
        later
            .call(
                Method::PUT,
                &url,
                Some(rep),
                Some(json!({"items": [], "version": 6}))
            )
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Amending keeps the approved plan and opens revision 2.
    let (s, r2) = later.post(&format!("{url}/amend"), rep, json!({})).await;
    assert_eq!(
        (s, r2["revision"].as_i64(), r2["status"].as_str()),
        (StatusCode::CREATED, Some(2), Some("draft"))
    );
    let (_, r1) = later.get(&url, rep).await;
    assert_eq!(
        (r1["status"].as_str(), r1["items"].as_array().map(Vec::len)),
        (Some("approved"), Some(1))
    );
    let (s, e) = later.post(&format!("{url}/amend"), rep, json!({})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("plan_superseded"))
    );

    let (_, team) = later
        .get("/api/v1/visit-plans?date=2026-11-24", &t.sup_a.1)
        .await;
    assert_eq!(team["total"], 2);
    let (_, audit) = later
        .get(
            &format!("/api/v1/audit?entity=visit_plan&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["approve", "submit", "update", "return", "submit", "create"]
    );
    for (path, token) in [
        ("/plans".to_string(), &t.sup_a.1),
        (format!("/plans/{id}"), &t.sup_a.1),
        (format!("/plans/{}", r2["id"]), rep),
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

on_both_backends!(plan_review_cycle);
