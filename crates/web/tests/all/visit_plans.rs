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

/// A planned visit may be linked to one's own customer or to one in the pool, never to a
/// colleague's: refused naming the field, nothing written.
async fn plan_rows_link_only_customers_one_may_visit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let mine = app.customer(&t.rep_a1.1, "自己的客户", "13600000001").await;
    let theirs = app.customer(&t.rep_a2.1, "同事的客户", "13600000002").await;
    let pooled = app.customer(&t.rep_a2.1, "公海的客户", "13600000003").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{}/release", pooled["id"]),
            &t.rep_a2.1,
            json!({"reason": "不再跟进"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // The plan's picker finds pool customers by name or pinyin (short and long queries), and
    // never a colleague's customer.
    for (q, expected) in [
        ("公海", vec![pooled["id"].clone()]),
        ("公海的客户", vec![pooled["id"].clone()]),
        ("gonghaide", vec![pooled["id"].clone()]),
        ("同事", vec![]),
    ] {
        let (s, found) = app
            .get(
                &format!("/api/v1/pool?q={}", common::urlencode(q)),
                &t.rep_a1.1,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let ids: Vec<serde_json::Value> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].clone())
            .collect();
        assert_eq!(ids, expected, "{q}: {found}");
    }
    let linked = |c: &serde_json::Value| {
        // One hour each, in the order the customers were registered.
        let h = 8 + c["id"].as_i64().unwrap() % 8;
        let (start, end) = (format!("{h:02}:00"), format!("{h:02}:50"));
        let mut i = item(c["name"].as_str().unwrap(), &start, &end, "service");
        i["customer_id"] = c["id"].clone();
        i
    };
    let (s, e) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            json!({"plan_date": "2026-12-01", "items": [linked(&mine), linked(&theirs)]}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("items"),
            Some("unknown_customer")
        ),
        "{e}"
    );
    let (_, list) = app.get("/api/v1/visit-plans", &t.rep_a1.1).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing written"
    );
    let (s, p) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            json!({"plan_date": "2026-12-01", "items": [linked(&mine), linked(&pooled)]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(p["items"][1]["customer_id"], pooled["id"]);
    // Editing the draft is checked the same way.
    let (s, e) = app
        .call(
            Method::PUT,
            &format!("/api/v1/visit-plans/{}", p["id"]),
            Some(&t.rep_a1.1),
            Some(json!({"version": p["version"], "items": [linked(&theirs)]})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_customer")),
        "{e}"
    );
}

on_both_backends!(
    plan_review_cycle,
    plan_rows_link_only_customers_one_may_visit
);
