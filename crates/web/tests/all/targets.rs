//! Targets over HTTP on both backends: the breakdown, who may set what, publication with and
//! without gaps, bad input that writes nothing, and attainment against published targets in
//! the API, the weekly report and the pages.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yingpan_web::Clock;

fn line(measure: &str, who: Option<i64>, period: &str, amount: &str) -> Value {
    json!({"measure": measure, "assignee_id": who, "period": period, "amount": amount})
}

async fn save(app: &TestApp, token: &str, version: i64, lines: Vec<Value>) -> (StatusCode, Value) {
    app.patch(
        "/api/v1/targets/2027",
        token,
        json!({"version": version, "lines": lines}),
    )
    .await
}

fn code(v: &Value) -> (&str, Option<&str>) {
    (
        v["error"]["code"].as_str().unwrap_or(""),
        v["error"]["field"].as_str(),
    )
}

async fn stored_lines(app: &TestApp) -> usize {
    app.store
        .target_plan(&app.all(), 2027)
        .await
        .unwrap()
        .lines
        .len()
}

async fn targets_break_down_publish_and_refuse_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let dir = &t.director.1;
    let (sup_a, sup_b) = (t.sup_a.0, t.sup_b.0);
    let (a1, a2, b1) = (t.rep_a1.0, t.rep_a2.0, t.rep_b1.0);

    // The director: the company's year, its quarters, and the two supervisors.
    let (s, plan) = save(
        &app,
        dir,
        0,
        vec![
            line("revenue", None, "2027", "1200000"),
            line("revenue", None, "2027-Q1", "300000"),
            line("revenue", None, "2027-Q2", "300000"),
            line("revenue", None, "2027-Q3", "300000"),
            line("revenue", None, "2027-Q4", "300000"),
            line("revenue", Some(sup_a), "2027", "700000"),
            line("revenue", Some(sup_b), "2027", "500000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    assert_eq!(plan["version"], 1);
    assert_eq!(plan["gaps"], json!([]), "company = quarters = supervisors");

    // Supervisor A breaks their 700,000 down to their own people only.
    let (s, e) = save(
        &app,
        &t.sup_a.1,
        1,
        vec![line("revenue", Some(b1), "2027", "1")],
    )
    .await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, "outside_team")
    );
    for who in [None, Some(sup_a)] {
        let (s, e) = save(&app, &t.sup_a.1, 1, vec![line("revenue", who, "2027", "1")]).await;
        assert_eq!(
            (s, code(&e).0),
            (StatusCode::UNPROCESSABLE_ENTITY, "outside_team"),
            "{who:?}"
        );
    }
    let (s, plan) = save(
        &app,
        &t.sup_a.1,
        1,
        vec![
            line("revenue", Some(a1), "2027", "400000"),
            line("revenue", Some(a2), "2027", "250000"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{plan}");
    // Supervisor A sees their own and their people's lines, and the gap on their own.
    let people: Vec<i64> = plan["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["assignee_id"].as_i64().unwrap())
        .collect();
    assert_eq!(people.len(), 3, "{plan}");
    assert!(!people.contains(&sup_b) && !people.contains(&0));
    let gaps = plan["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 1, "{plan}");
    assert_eq!(
        (
            &gaps[0]["axis"],
            &gaps[0]["assignee_id"],
            &gaps[0]["difference"]
        ),
        (&json!("people"), &json!(sup_a), &json!("50000"))
    );

    // A salesperson reads their own figure only, and sets none.
    let (s, mine) = app.get("/api/v1/targets?year=2027", &t.rep_a1.1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine["total"], 1, "{mine}");
    assert_eq!(mine["items"][0]["amount"], "400000");
    let (s, _) = save(
        &app,
        &t.rep_a1.1,
        2,
        vec![line("revenue", Some(a1), "2027", "1")],
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Bad input: a clear error naming the field, and nothing written.
    let before = stored_lines(&app).await;
    for (bad, field, expected) in [
        (
            line("revenue", Some(a1), "2027-01", "-5"),
            "amount",
            "negative_target",
        ),
        (
            line("revenue", Some(a1), "2027-13", "5"),
            "period",
            "invalid_period",
        ),
        (
            line("revenue", Some(a1), "2026-12", "5"),
            "period",
            "period_outside_plan",
        ),
        (
            line("profit", Some(a1), "2027", "5"),
            "measure",
            "unknown_measure",
        ),
        (
            line("new_customers", Some(a1), "2027", "2.5"),
            "amount",
            "invalid_amount",
        ),
        (
            line("revenue", Some(999_999), "2027", "5"),
            "assignee_id",
            "unknown_person",
        ),
    ] {
        // A valid line first: the save is all or nothing.
        let (s, e) = save(
            &app,
            dir,
            2,
            vec![line("revenue", Some(a2), "2027-01", "7"), bad],
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(code(&e), (expected, Some(field)), "{e}");
    }
    let (s, e) = app
        .patch(
            "/api/v1/targets/1999",
            dir,
            json!({"version": 0, "lines": []}),
        )
        .await;
    assert_eq!(code(&e), ("invalid_year", Some("year")), "{s} {e}");
    assert_eq!(stored_lines(&app).await, before, "nothing was written");
    // A stale version: 409, nothing written.
    let (s, _) = save(
        &app,
        dir,
        1,
        vec![line("revenue", Some(a2), "2027-01", "7")],
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(stored_lines(&app).await, before);

    // Publication: a supervisor may not; the director is refused while the gap stands.
    let publish = |token: &str, version: i64, accept: bool| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(
                "/api/v1/targets/2027/publish",
                &token,
                json!({"version": version, "accept_difference": accept, "note": "年度目标"}),
            )
            .await
        }
    };
    assert_eq!(publish(&t.sup_a.1, 2, false).await.0, StatusCode::FORBIDDEN);
    let (s, e) = publish(dir, 2, false).await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, "breakdown_gaps")
    );
    let (_, pubs) = app.get("/api/v1/targets/2027/publications", dir).await;
    assert_eq!(pubs["total"], 0);
    let (s, p) = publish(dir, 2, true).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(
        (&p["number"], &p["gaps"], &p["accepted_difference"]),
        (&json!(1), &json!(1), &json!(true))
    );
    let (s, e) = publish(dir, 2, true).await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_publish")
    );

    // Correcting the gap and publishing again keeps both versions.
    let (s, plan) = save(
        &app,
        &t.sup_a.1,
        2,
        vec![line("revenue", Some(a2), "2027", "300000")],
    )
    .await;
    assert_eq!(
        (s, &plan["gaps"], &plan["unpublished_changes"]),
        (StatusCode::OK, &json!([]), &json!(true))
    );
    let (s, p) = publish(dir, 3, false).await;
    assert_eq!(
        (s, &p["number"], &p["accepted_difference"]),
        (StatusCode::CREATED, &json!(2), &json!(false))
    );
    let (_, pubs) = app.get("/api/v1/targets/2027/publications", dir).await;
    assert_eq!(pubs["total"], 2);

    // Every change is on the audit trail, in words.
    let (_, audit) = app
        .get("/api/v1/audit?entity=target_plan", &app.admin_token)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "publish").count(),
        2,
        "{audit}"
    );
    assert!(
        audit.to_string().contains("revenue · rep_a2 · 2027"),
        "{audit}"
    );
    app.assert_audit_in_words().await;
}

async fn attainment_is_measured_against_published_targets(backend: Backend) {
    // Wednesday 2026-11-18, 10:00 China time.
    let wed = Utc.with_ymd_and_hms(2026, 11, 18, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(wed)).await;
    let t = Team::build(&app).await;
    let (a1, a2, b1) = (t.rep_a1.0, t.rep_a2.0, t.rep_b1.0);
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100", "cost": "60", "category": "照明"}),
        )
        .await;
    let c1 = app.customer(&t.rep_a1.1, "甲一机械", "12400000001").await;
    let c2 = app.customer(&t.rep_a1.1, "甲二电子", "12400000002").await;
    app.customer(&t.rep_b1.1, "丙五建材", "12400000005").await;
    for (customer, qty) in [(&c1, "300"), (&c2, "60")] {
        let (s, o) = app
            .post(
                "/api/v1/orders",
                &t.rep_a1.1,
                json!({"customer_id": customer["id"], "lines": [{"product_id": lamp["id"], "quantity": qty}]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
    }

    // 甲二电子 (c2, 6,000 of rep_a1's orders) is a dealer; 甲一机械 is not.
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/customers/{}/dealer", c2["id"]),
            Some(&t.rep_a1.1),
            Some(json!({"credit_rating": "B", "version": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for (dealer, token) in [(&c1["id"], &t.director.1), (&c2["id"], &t.sup_b.1)] {
        let (s, e) = app
            .patch(
                "/api/v1/targets/2026",
                token,
                json!({"version": 0, "lines": [{"measure": "revenue", "assignee_id": b1, "period": "2026-11", "dealer_id": dealer, "amount": "1"}]}),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("dealer_id")),
            "{e}"
        );
    }

    // A draft is not a target: nothing is measured against it until it is published.
    let (s, _) = app
        .patch(
            "/api/v1/targets/2026",
            &t.director.1,
            json!({"version": 0, "lines": [
                {"measure": "revenue", "assignee_id": a1, "period": "2026-11", "amount": "60000"},
                {"measure": "revenue", "assignee_id": a2, "period": "2026-Q4", "amount": "30000"},
                {"measure": "revenue", "assignee_id": b1, "period": "2026-11", "amount": "10000"},
                {"measure": "new_customers", "assignee_id": a1, "period": "2026-11", "amount": "4"},
                {"measure": "gross_margin", "assignee_id": a1, "period": "2026-11", "amount": "20000"},
                {"measure": "revenue", "assignee_id": null, "period": "2026-11", "category": "照明", "amount": "40000"},
                {"measure": "gross_margin", "assignee_id": a1, "period": "2026-11", "category": "照明", "amount": "10000"},
                {"measure": "revenue", "assignee_id": a1, "period": "2026-11", "dealer_id": c2["id"], "amount": "8000"},
            ]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = app
        .get("/api/v1/targets/attainment?period=2026-11", &t.rep_a1.1)
        .await;
    assert_eq!(r["rows"][0]["items"][0]["target"], Value::Null, "{r}");
    // The lamp category's margin is half of rep_a1's margin target: a gap, accepted.
    let (s, e) = app
        .post(
            "/api/v1/targets/2026/publish",
            &t.director.1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("breakdown_gaps"))
    );
    let (s, _) = app
        .post(
            "/api/v1/targets/2026/publish",
            &t.director.1,
            json!({"version": 1, "accept_difference": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // The salesperson: their own row only; 36,000 of 60,000 is 60 %; 2 of 4 new customers.
    let (s, r) = app
        .get("/api/v1/targets/attainment?period=2026-11", &t.rep_a1.1)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["rows"].as_array().unwrap().len(), 1, "{r}");
    let revenue = &r["rows"][0]["items"][0];
    assert_eq!(
        (
            &revenue["measure"],
            &revenue["target"],
            &revenue["actual"],
            &revenue["percent"]
        ),
        (
            &json!("revenue"),
            &json!("60000"),
            &json!("36000"),
            &json!("60")
        )
    );
    let item = |measure: &str| {
        r["rows"][0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["measure"] == measure)
            .unwrap()
            .clone()
    };
    let customers = item("new_customers");
    // The lamp costs 60: 360 lamps sold leave 14,400 of margin against 20,000.
    let margin = item("gross_margin");
    assert_eq!(
        (&margin["actual"], &margin["percent"]),
        (&json!("14400"), &json!("72"))
    );
    assert_eq!(
        (
            &customers["target"],
            &customers["actual"],
            &customers["percent"]
        ),
        (&json!("4"), &json!("2"), &json!("50"))
    );
    // 13 of November's 21 working days have passed by Wednesday the 18th.
    assert_eq!(r["elapsed_percent"], "61.90");

    // The supervisor: their two people (a quarter's target shared evenly: 10,000 in November)
    // and the sum; never the other team's.
    let (_, r) = app
        .get("/api/v1/targets/attainment?period=2026-11", &t.sup_a.1)
        .await;
    let ids: Vec<i64> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{r}");
    assert!(ids.contains(&a1) && ids.contains(&a2) && !ids.contains(&b1));
    let a2_row = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == a2)
        .unwrap();
    assert_eq!(a2_row["items"][0]["target"], "10000");
    assert_eq!(r["total"]["items"][0]["target"], "70000", "{r}");
    assert_eq!(r["total"]["items"][0]["actual"], "36000");

    // Targets by part: the company's lamps (36,000 of 40,000) — seen by the director only —
    // and rep_a1's lamp margin (14,400 of 10,000).
    let (_, r) = app
        .get("/api/v1/targets/attainment?period=2026-11", &t.director.1)
        .await;
    let parts = r["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3, "{r}");
    let company = parts.iter().find(|p| p["assignee_id"].is_null()).unwrap();
    assert_eq!(
        (
            &company["dimension"]["value"],
            &company["items"][0]["actual"],
            &company["items"][0]["percent"]
        ),
        (&json!("照明"), &json!("36000"), &json!("90"))
    );
    let (_, r) = app
        .get("/api/v1/targets/attainment?period=2026-11", &t.rep_a1.1)
        .await;
    let parts = r["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{r}");
    let lamps = parts
        .iter()
        .find(|p| p["dimension"]["kind"] == "category")
        .unwrap();
    assert_eq!(
        (
            &lamps["items"][0]["measure"],
            &lamps["items"][0]["actual"],
            &lamps["items"][0]["percent"]
        ),
        (&json!("gross_margin"), &json!("14400"), &json!("144"))
    );
    // The dealer's own purchases: 6,000 of 8,000.
    let dealer = parts
        .iter()
        .find(|p| p["dimension"]["kind"] == "dealer")
        .unwrap();
    assert_eq!(
        (
            &dealer["part"],
            &dealer["items"][0]["actual"],
            &dealer["items"][0]["percent"]
        ),
        (&json!("甲二电子"), &json!("6000"), &json!("75"))
    );

    // Bad periods name the field.
    for bad in ["2026-13", "1999-01", "next"] {
        let (s, e) = app
            .get(
                &format!("/api/v1/targets/attainment?period={bad}"),
                &t.sup_a.1,
            )
            .await;
        assert_eq!(
            (s, code(&e).1),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("period")),
            "{bad}: {e}"
        );
    }

    // The weekly report uses the assigned target, in the week's share of working days:
    // 60,000 × 5 / 21 for the week of 16–22 November.
    let (s, w) = app
        .post(
            "/api/v1/weekly-reports",
            &t.sup_a.1,
            json!({"week_start": "2026-11-16"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let members = w["report"]["members"].as_array().unwrap();
    let li = members.iter().find(|m| m["user_id"] == a1).unwrap();
    assert_eq!(li["figures"]["target"], "14285.71", "{w}");

    // The pages: the grid with the people's figures, the attainment with formatted money.
    let (s, html) = app.page("/targets?year=2026", &t.director.1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("name=\"a{a1}_2026-11\" value=\"60000\"")),
        "{html}"
    );
    let (s, html) = app
        .page("/targets/attainment?period=2026-11", &t.rep_a1.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("¥36,000.00") && html.contains("¥60,000.00") && html.contains("60.0%"),
        "{html}"
    );
    assert!(!html.contains("rep_b1"));

    // Saving the grid from the page: only changed cells are sent to the store.
    let resp = app
        .client
        .post(app.url("/targets"))
        .bearer_auth(&t.sup_a.1)
        .form(&[
            ("year", "2026"),
            ("measure", "revenue"),
            ("version", "1"),
            (&format!("a{a1}_2026-11"), "60000"),
            (&format!("a{a1}_2026-12"), "65,000"),
            (&format!("a{a2}_2026-Q4"), "30000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let plan = app.store.target_plan(&app.all(), 2026).await.unwrap();
    assert_eq!(plan.version, 2);
    let dec = plan
        .lines
        .iter()
        .find(|l| l.key.assignee_id == Some(a1) && l.key.period.to_string() == "2026-12")
        .unwrap();
    assert_eq!(dec.amount.to_string(), "65000");
    app.assert_rollups_consistent().await;
}

on_both_backends!(
    targets_break_down_publish_and_refuse_bad_input,
    attainment_is_measured_against_published_targets,
);
