//! Pay over HTTP on both backends: a plan and its bad inputs, a month's sheets computed by hand
//! (a complete card, a customer kept at its cadence, commission by category that survives a
//! refunded deposit, a penalty), who sees which sheet, review → approve → close, and what a
//! closed month refuses.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_web::Clock;

fn plan(rep_a2: i64) -> Value {
    json!({
        "base_salary": "3000",
        "base_by_person": {rep_a2.to_string(): "3200"},
        "process_amount": "1000",
        "process_items": [
            {"measure": "complete_cards", "weight_percent": "50", "norm": 2},
            {"measure": "cadence_kept", "weight_percent": "50"}
        ],
        "default_rate_percent": "2",
        "category_rates": [{"category": "灯具", "rate_percent": "5"}],
        "steps": []
    })
}

fn code(v: &Value) -> (Option<&str>, Option<&str>) {
    (v["error"]["code"].as_str(), v["error"]["field"].as_str())
}

async fn put(app: &TestApp, token: &str, month: &str, body: Value) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/v1/pay-plans/{month}"),
        Some(token),
        Some(body),
    )
    .await
}

fn total_of(sheets: &Value, user: i64) -> String {
    sheets["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["user_id"] == user)
        .unwrap_or_else(|| panic!("no sheet of {user} in {sheets}"))["sheet"]["total"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn pay_sheets_by_hand_review_approve_close(backend: Backend) {
    // 15 October 2026, 10:00 in China.
    let now = Utc.with_ymd_and_hms(2026, 10, 15, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let (a1, a2, b1) = (&t.rep_a1.1, &t.rep_a2.1, &t.rep_b1.1);

    // The plan, and what it refuses.
    let (s, _) = put(&app, a1, "2026-10", plan(t.rep_a2.0)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let mut bad = plan(t.rep_a2.0);
    bad["process_items"][1]["weight_percent"] = json!("40");
    let (s, e) = put(&app, &t.director.1, "2026-10", bad).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("weights_not_100"), Some("process_items"))
        )
    );
    let mut bad = plan(t.rep_a2.0);
    bad["default_rate_percent"] = json!("-1");
    let (s, e) = put(&app, &t.director.1, "2026-10", bad).await;
    assert_eq!(
        (s, code(&e).1),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("default_rate_percent")
        )
    );
    let mut bad = plan(t.rep_a2.0);
    bad["base_by_person"] = json!({"999999": "1"});
    let (s, e) = put(&app, &t.director.1, "2026-10", bad).await;
    assert_eq!(
        (s, code(&e).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("base_by_person"))
    );
    let (s, e) = put(&app, &t.director.1, "2026-13", plan(t.rep_a2.0)).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("invalid_month"), Some("effective_month"))
        )
    );
    let (_, plans) = app.get("/api/v1/pay-plans", &t.director.1).await;
    assert_eq!(plans["total"], 0, "nothing written by a refused plan");
    let (s, p) = put(&app, &t.director.1, "2026-10", plan(t.rep_a2.0)).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["version"], 1);
    // A stale version is a conflict.
    let mut again = plan(t.rep_a2.0);
    again["version"] = json!(7);
    let (s, _) = put(&app, &t.director.1, "2026-10", again).await;
    assert_eq!(s, StatusCode::CONFLICT);

    // rep_a1's month: one complete card of the two asked, one tiered customer called as its
    // cadence asks, an order of 1,000 of lamps (灯具, 5 %) and 200 of cable (2 %) whose deposit
    // was refunded, and a penalty of 50.
    let product = |code: &str, price: &str, category: Option<&str>| {
        let (app, token) = (app.clone(), t.clerk.1.clone());
        let body =
            json!({"code": code, "name": code, "unit": "件", "price": price, "category": category});
        async move {
            app.post("/api/v1/products", &token, body).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let lamp = product("LED", "100", Some("灯具")).await;
    let cable = product("CBL", "10", None).await;
    let (s, c1) = app
        .post(
            "/api/v1/customers",
            a1,
            json!({"kind": "company", "name": "甲一机械", "phone": "12500000001", "region": "华东", "industry": "制造", "source": "展会"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c1}");
    let c1 = c1["id"].as_i64().unwrap();
    app.customer(a1, "甲二电子", "12500000002").await;
    let (s, q) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{c1}/qualification"),
            Some(a1),
            Some(json!({"tier": "priority", "man_money": true, "man_authority": true, "man_need": true, "version": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{c1}/activities"),
            a1,
            json!({"kind": "call", "summary": "回访"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, o) = app
        .post(
            "/api/v1/orders",
            a1,
            json!({"customer_id": c1, "lines": [{"product_id": lamp, "quantity": "10"}, {"product_id": cable, "quantity": "20"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let order = o["id"].as_i64().unwrap();
    for (kind, amount) in [("deposit", "300"), ("refund", "300")] {
        let (s, r) = app
            .post(
                &format!("/api/v1/orders/{order}/payments"),
                a1,
                json!({"kind": kind, "amount": amount}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{kind}: {r}");
    }
    let adjust = |token: &str, user: i64, amount: &str| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"amount": amount, "reason": "迟交周报"});
        async move {
            app.post(
                &format!("/api/v1/pay-sheets/2026-10/{user}/adjustments"),
                &token,
                body,
            )
            .await
        }
    };
    assert_eq!(
        adjust(a2, t.rep_a1.0, "-50").await.0,
        StatusCode::FORBIDDEN,
        "a salesperson enters no penalties"
    );
    assert_eq!(
        adjust(&t.sup_b.1, t.rep_a1.0, "-50").await.0,
        StatusCode::NOT_FOUND,
        "another team's supervisor does not reach rep_a1"
    );
    let (s, e) = adjust(&t.sup_a.1, t.rep_a1.0, "abc").await;
    assert_eq!(
        (s, code(&e).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("amount"))
    );
    let (s, sheet) = adjust(&t.sup_a.1, t.rep_a1.0, "-50").await;
    assert_eq!(s, StatusCode::CREATED, "{sheet}");

    let (s, mine) = app
        .get(&format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a1.0), a1)
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let sh = &mine["sheet"];
    assert_eq!(sh["base"], "3000.00");
    assert_eq!(sh["process"][0]["counted"], json!([1, 2]));
    assert_eq!(sh["process"][0]["amount"], "250.00");
    assert_eq!(sh["process"][1]["counted"], json!([1, 1]));
    assert_eq!(sh["process"][1]["amount"], "500.00");
    let commission: Vec<(Option<&str>, &str)> = sh["commission"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["category"].as_str(), l["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(commission, [(None, "4.00"), (Some("灯具"), "50.00")]);
    assert_eq!(sh["adjustments_total"], "-50.00");
    assert_eq!(sh["total"], "3754.00");
    assert_eq!(mine["status"], "open");

    // Who sees which sheet.
    let (_, own) = app.get("/api/v1/pay-sheets?month=2026-10", a1).await;
    assert_eq!(own["total"], 1);
    for (token, other) in [
        (a2, t.rep_a1.0),
        (a1, t.rep_a2.0),
        (&t.sup_b.1, t.rep_a1.0),
        (&t.clerk.1, t.rep_a1.0),
    ] {
        let (s, _) = app
            .get(&format!("/api/v1/pay-sheets/2026-10/{other}"), token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{token} reads {other}'s pay");
    }
    let (_, clerk) = app
        .get("/api/v1/pay-sheets?month=2026-10", &t.clerk.1)
        .await;
    assert_eq!(
        clerk["total"], 0,
        "a clerk is paid but not a salesperson here"
    );
    let (_, team) = app
        .get("/api/v1/pay-sheets?month=2026-10", &t.sup_a.1)
        .await;
    assert_eq!(team["total"], 2);
    let (_, all) = app
        .get("/api/v1/pay-sheets?month=2026-10", &t.director.1)
        .await;
    assert_eq!(all["total"], 3);
    assert_eq!(total_of(&all, t.rep_a1.0), "3754.00");
    // rep_a2: own base 3,200, no card (0), no tiered customer (full 500).
    assert_eq!(total_of(&all, t.rep_a2.0), "3700.00");
    assert_eq!(total_of(&all, t.rep_b1.0), "3500.00");

    // Review, approve, close.
    let sign = |token: &str, user: i64, what: &str| {
        let (app, token, what) = (app.clone(), token.to_string(), what.to_string());
        async move {
            app.post(
                &format!("/api/v1/pay-sheets/2026-10/{user}/{what}"),
                &token,
                json!({}),
            )
            .await
        }
    };
    assert_eq!(
        sign(a1, t.rep_a1.0, "review").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        sign(&t.sup_a.1, t.rep_a1.0, "approve").await.0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = sign(&t.director.1, t.rep_a1.0, "approve").await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_reviewed"))
    );
    assert_eq!(
        sign(&t.sup_a.1, t.rep_b1.0, "review").await.0,
        StatusCode::NOT_FOUND
    );
    let (s, r) = sign(&t.sup_a.1, t.rep_a1.0, "review").await;
    assert_eq!(
        (s, r["status"].as_str()),
        (StatusCode::OK, Some("reviewed"))
    );
    let (s, e) = app
        .post("/api/v1/pay-months/2026-10/close", &t.director.1, json!({}))
        .await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("month_not_over"))
    );
    let later = app
        .at(Utc.with_ymd_and_hms(2026, 11, 3, 2, 0, 0).unwrap())
        .await;
    let (s, e) = later
        .post("/api/v1/pay-months/2026-10/close", &t.director.1, json!({}))
        .await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_approved"))
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("rep_a2"));
    for (reviewer, user) in [(&t.sup_a.1, t.rep_a2.0), (&t.sup_b.1, t.rep_b1.0)] {
        assert_eq!(sign(reviewer, user, "review").await.0, StatusCode::OK);
    }
    for user in [t.rep_a1.0, t.rep_a2.0, t.rep_b1.0] {
        let (s, r) = sign(&t.director.1, user, "approve").await;
        assert_eq!(
            (s, r["status"].as_str()),
            (StatusCode::OK, Some("approved")),
            "{r}"
        );
    }
    let (s, c) = later
        .post("/api/v1/pay-months/2026-10/close", &t.director.1, json!({}))
        .await;
    assert_eq!((s, c["sheets"].as_i64()), (StatusCode::OK, Some(3)), "{c}");

    // A closed month changes no more: a penalty goes into the next month, a plan takes effect
    // after it, and a deposit in November is November's commission.
    let (s, e) = later
        .post(
            &format!("/api/v1/pay-sheets/2026-10/{}/adjustments", t.rep_a1.0),
            &t.sup_a.1,
            json!({"amount": "-10", "reason": "补扣"}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("month_closed"), Some("month"))
        )
    );
    for month in ["2026-10", "2026-09"] {
        let (s, e) = put(&later, &t.director.1, month, plan(t.rep_a2.0)).await;
        assert_eq!(
            (s, code(&e).0),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("month_closed")),
            "{month}"
        );
    }
    let mut november = plan(t.rep_a2.0);
    november["default_rate_percent"] = json!("10");
    let (s, _) = put(&later, &t.director.1, "2026-11", november).await;
    assert_eq!(s, StatusCode::OK);
    let (s, o2) = later
        .post(
            "/api/v1/orders",
            a1,
            json!({"customer_id": c1, "lines": [{"product_id": cable, "quantity": "100"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = later
        .post(
            &format!("/api/v1/orders/{}/payments", o2["id"]),
            a1,
            json!({"kind": "deposit", "amount": "100"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, closed) = later
        .get(&format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a1.0), a1)
        .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["sheet"]["total"], "3754.00", "frozen as approved");
    // The correction of October goes into November.
    let (s, _) = later
        .post(
            &format!("/api/v1/pay-sheets/2026-11/{}/adjustments", t.rep_a1.0),
            &t.sup_a.1,
            json!({"amount": "-10", "reason": "10月补扣"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, nov) = later
        .get(&format!("/api/v1/pay-sheets/2026-11/{}", t.rep_a1.0), a1)
        .await;
    assert_eq!(nov["sheet"]["adjustments"][0]["reason"], "10月补扣");
    assert_eq!(nov["sheet"]["adjustments_total"], "-10.00");
    let lines = nov["sheet"]["commission"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{nov}");
    assert_eq!(
        lines[0]["amount"], "100.00",
        "1,000 of cable at November's 10 %"
    );
    let (s, e) = later
        .post(
            &format!("/api/v1/pay-sheets/2026-10/{}/review", t.rep_a1.0),
            &t.sup_a.1,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("month_closed"))
    );

    // The export is for those who may export and review pay, and it is recorded.
    let r = app
        .client
        .get(app.url("/api/v1/pay-sheets/export?month=2026-10&format=xlsx"))
        .bearer_auth(&t.director.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let (s, _) = app.get("/api/v1/pay-sheets/export?month=2026-10", a1).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, audit) = app
        .get("/api/v1/audit?entity=pay_plan", &app.admin_token)
        .await;
    assert!(audit["total"].as_i64().unwrap() >= 2, "{audit}");

    // The pages: the list, one sheet, the plans.
    for path in [
        "/pay-sheets?month=2026-10".to_string(),
        format!("/pay-sheets/2026-10/{}", t.rep_a1.0),
        "/pay-plans".to_string(),
    ] {
        let (s, html) = app.page(&path, &t.director.1).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(html.contains("3,754.00") || path == "/pay-plans", "{path}");
    }
    let (s, _) = app
        .page(&format!("/pay-sheets/2026-10/{}", t.rep_a1.0), b1)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.assert_rollups_consistent().await;
    app.assert_audit_in_words().await;
}

/// Rule 4: when the owner is away, a colleague on the team, a manager above or the clerk signs
/// the order and takes the deposit for them; the order, the sales and the commission stay the
/// owner's, and who signed is recorded. Nobody else, and not while the owner is present.
async fn act_for_an_absent_owner(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 10, 15, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let (a1, a2, b1) = (&t.rep_a1.1, &t.rep_a2.1, &t.rep_b1.1);
    let (s, _) = put(&app, &t.director.1, "2026-10", plan(t.rep_a2.0)).await;
    assert_eq!(s, StatusCode::OK);
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100", "category": "灯具"}),
        )
        .await;
    let c1 = app.customer(a1, "甲一机械", "12600000001").await["id"]
        .as_i64()
        .unwrap();
    let cb = app.customer(b1, "丙客户", "12600000002").await["id"]
        .as_i64()
        .unwrap();
    let order = |token: &str, customer: i64, acting_for: Option<i64>| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"customer_id": customer, "acting_for": acting_for,
                          "lines": [{"product_id": lamp["id"], "quantity": "10"}]});
        async move { app.post("/api/v1/orders", &token, body).await }
    };
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c1}"), a2).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = order(a2, c1, Some(t.rep_a1.0)).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("owner_not_away"), Some("acting_for"))
        )
    );

    // rep_a1 is away from today to the 17th; sup_a registers rep_a2's leave next week.
    let (s, a) = app
        .post(
            "/api/v1/absences",
            a1,
            json!({"starts_on": "2026-10-15", "ends_on": "2026-10-17", "note": "出差"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, _) = app
        .post(
            "/api/v1/absences",
            a2,
            json!({"user_id": t.rep_a1.0, "starts_on": "2026-10-15", "ends_on": "2026-10-16"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "a colleague does not enter another's absence"
    );
    let (s, e) = app
        .post(
            "/api/v1/absences",
            &t.sup_a.1,
            json!({"user_id": t.rep_a2.0, "starts_on": "2026-10-22", "ends_on": "2026-10-20"}),
        )
        .await;
    assert_eq!(
        (s, code(&e).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ends_on"))
    );
    let (s, _) = app
        .post(
            "/api/v1/absences",
            &t.sup_a.1,
            json!({"user_id": t.rep_a2.0, "starts_on": "2026-10-20", "ends_on": "2026-10-22"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, away) = app.get("/api/v1/absences", b1).await;
    assert_eq!(away["total"], 2);

    // Who may cover: not another team's salesperson or supervisor, not the owner themselves.
    for (token, why) in [
        (b1, "outside_scope"),
        (&t.sup_b.1, "outside_scope"),
        (a1, "self"),
    ] {
        let (s, e) = order(token, c1, Some(t.rep_a1.0)).await;
        assert_eq!(
            (s, code(&e).0),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(why)),
            "{e}"
        );
    }
    let (s, e) = order(a2, c1, Some(t.rep_a2.0)).await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("self"))
    );
    let (s, e) = order(a2, cb, Some(t.rep_a1.0)).await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_owner"))
    );
    let (s, list) = app
        .get(&format!("/api/v1/act-for/{}/customers", t.rep_a1.0), a2)
        .await;
    assert_eq!(
        (s, list["total"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{list}"
    );
    assert_eq!(list["items"][0]["name"], "甲一机械");
    let (s, _) = app
        .get(&format!("/api/v1/act-for/{}/customers", t.rep_a1.0), b1)
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The colleague signs; the clerk takes the deposit; everything stays rep_a1's.
    let (s, o) = order(a2, c1, Some(t.rep_a1.0)).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    assert_eq!(o["owner_id"], t.rep_a1.0);
    let id = o["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/orders/{id}/payments"),
            a2,
            json!({"kind": "deposit", "amount": "200"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "without acting_for the order is not theirs"
    );
    let (s, paid) = app
        .post(
            &format!("/api/v1/orders/{id}/payments"),
            &t.clerk.1,
            json!({"kind": "deposit", "amount": "200", "acting_for": t.rep_a1.0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{paid}");
    assert!(paid["commission_right"].as_bool().unwrap());
    let (_, sheet) = app
        .get(&format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a1.0), a1)
        .await;
    let line = &sheet["sheet"]["commission"][0];
    assert_eq!(line["order_id"], id);
    assert_eq!(
        line["amount"], "50.00",
        "1,000 of 灯具 at 5 % for the owner"
    );
    assert_eq!(line["taken_by"], "rep_a2");
    let (_, theirs) = app
        .get(
            &format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a2.0),
            &t.sup_a.1,
        )
        .await;
    assert_eq!(theirs["sheet"]["commission"].as_array().unwrap().len(), 0);
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=order&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    let text = audit.to_string();
    assert!(text.contains("acting_for"), "{audit}");
    assert_eq!(audit["total"], 2, "the order and the deposit: {audit}");

    // The page: the colleague sees the customer and the open order; another team is told why not.
    let (s, html) = app
        .page(&format!("/act-for?owner={}", t.rep_a1.0), a2)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("甲一机械") && html.contains("act-for-order"),
        "{html}"
    );
    let (s, html) = app
        .page(&format!("/act-for?owner={}", t.rep_a1.0), b1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"refused\"") && !html.contains("甲一机械"));
    app.assert_rollups_consistent().await;
    app.assert_audit_in_words().await;
}

/// Rule 6: a referral counts when registered before the referred customer, or when the old
/// customer brought them in person; the owner of the referring customer is rewarded in the
/// month the new customer pays its first deposit.
async fn referrals_count_only_when_registered_first(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 10, 15, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let (a1, a2, b1) = (&t.rep_a1.1, &t.rep_a2.1, &t.rep_b1.1);
    let mut with_reward = plan(t.rep_a2.0);
    with_reward["referral_reward"] = json!("-5");
    let (s, e) = put(&app, &t.director.1, "2026-10", with_reward.clone()).await;
    assert_eq!(
        (s, code(&e).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("referral_reward"))
    );
    with_reward["referral_reward"] = json!("100");
    assert_eq!(
        put(&app, &t.director.1, "2026-10", with_reward).await.0,
        StatusCode::OK
    );
    let old = app.customer(a1, "老客户甲", "12700000001").await["id"]
        .as_i64()
        .unwrap();
    let early = app.customer(a2, "早登记的丙", "12700000003").await["id"]
        .as_i64()
        .unwrap();
    let theirs = app.customer(b1, "别组客户", "12700000004").await["id"]
        .as_i64()
        .unwrap();
    let refer = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/referrals", &token, body).await }
    };

    // Registered first: counts once linked.
    let (s, r) = refer(
        a1,
        json!({"referrer_id": old, "referred_name": "新客户乙", "referred_phone": "12700000002"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["credited_to"], t.rep_a1.0);
    assert!(r["referred_customer_id"].is_null());
    let later = app.at(now + chrono::Duration::hours(1)).await;
    let new = later.customer(a2, "新客户乙", "12700000002").await["id"]
        .as_i64()
        .unwrap();
    let (s, linked) = later
        .post(
            &format!("/api/v1/referrals/{}/link", r["id"]),
            a1,
            json!({"customer_id": new}),
        )
        .await;
    assert_eq!(
        (s, linked["referred_customer_id"].as_i64()),
        (StatusCode::OK, Some(new)),
        "{linked}"
    );

    // Registered after the customer, not in person: a new customer, not a referral.
    let (s, e) = refer(a1, json!({"referrer_id": old, "referred_id": early})).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("registered_after"), Some("referred_id"))
        )
    );
    let (s, pending) = refer(a1, json!({"referrer_id": old, "referred_name": "迟到的丙"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = later
        .post(
            &format!("/api/v1/referrals/{}/link", pending["id"]),
            a1,
            json!({"customer_id": early}),
        )
        .await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("registered_after"), Some("customer_id"))
        )
    );
    let (s, e) = later
        .post(
            &format!("/api/v1/referrals/{}/link", pending["id"]),
            a1,
            json!({"customer_id": new}),
        )
        .await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_referred"))
    );
    // Brought in person: counts whenever it is registered.
    let (s, _) = refer(
        a1,
        json!({"referrer_id": old, "referred_id": early, "brought_in_person": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // Only one's own customers refer; nobody refers themselves.
    let (s, e) = refer(a1, json!({"referrer_id": theirs, "referred_name": "某人"})).await;
    assert_eq!(
        (s, code(&e).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("referrer_id"))
    );
    let (s, e) = refer(
        a1,
        json!({"referrer_id": old, "referred_id": old, "brought_in_person": true}),
    )
    .await;
    assert_eq!(
        (s, code(&e).0),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("same_customer"))
    );
    let (_, list) = app.get("/api/v1/referrals", a1).await;
    assert_eq!(list["total"], 3);
    let (_, none) = app.get("/api/v1/referrals", b1).await;
    assert_eq!(none["total"], 0, "another team's referrals are not theirs");

    // The new customer's first deposit (rep_a2's order) pays rep_a1 the reward this month; the
    // in-person referral has bought nothing yet.
    let (_, cable) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "CBL", "name": "线缆", "unit": "米", "price": "10"}),
        )
        .await;
    let (s, o) = later
        .post(
            "/api/v1/orders",
            a2,
            json!({"customer_id": new, "lines": [{"product_id": cable["id"], "quantity": "10"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (s, _) = later
        .post(
            &format!("/api/v1/orders/{}/payments", o["id"]),
            a2,
            json!({"kind": "deposit", "amount": "50"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, sheet) = later
        .get(&format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a1.0), a1)
        .await;
    let lines = sheet["sheet"]["referrals"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{sheet}");
    assert_eq!(
        (lines[0]["referred"].as_str(), lines[0]["referrer"].as_str()),
        (Some("新客户乙"), Some("老客户甲"))
    );
    assert_eq!(sheet["sheet"]["referrals_total"], "100.00");
    let (_, theirs) = later
        .get(&format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a2.0), a2)
        .await;
    assert_eq!(theirs["sheet"]["referrals"].as_array().unwrap().len(), 0);
    assert_eq!(
        theirs["sheet"]["commission"][0]["amount"], "2.00",
        "100 of cable at 2 %"
    );
    let (s, html) = app.page("/referrals", a1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("新客户乙") && html.contains("new-referral"));
    app.assert_audit_in_words().await;
}

/// Budgets (seed 003): a director sets each team's month; the team's sales (its people's
/// orders) and expenses (daily reports, settled advances) are set against it, with sales per
/// yuan of expense, on the budget page and the supervisor's and director's dashboards.
async fn budgets_against_sales_and_expenses(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 10, 15, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let set = |token: &str, who: i64, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/budgets/2026-10/{who}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let budget = json!({"sales": "2000", "expenses": "100", "version": 0});
    assert_eq!(
        set(&t.sup_a.1, t.sup_a.0, budget.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = set(&t.director.1, t.rep_a1.0, budget.clone()).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("not_a_team"), Some("supervisor_id"))
        )
    );
    let (s, e) = set(
        &t.director.1,
        t.sup_a.0,
        json!({"sales": "-1", "version": 0}),
    )
    .await;
    assert_eq!(
        (s, code(&e).1),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sales"))
    );
    let (s, b) = set(&t.director.1, t.sup_a.0, budget.clone()).await;
    assert_eq!((s, b["version"].as_i64()), (StatusCode::OK, Some(1)), "{b}");
    assert_eq!(
        set(&t.director.1, t.sup_a.0, budget).await.0,
        StatusCode::CONFLICT
    );

    // Team A sells 1,000 and spends 150 (a settled advance); team B sells nothing.
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100"}),
        )
        .await;
    let c = app.customer(&t.rep_a1.1, "甲客户", "12800000001").await;
    let (s, _) = app
        .post("/api/v1/orders", &t.rep_a1.1, json!({"customer_id": c["id"], "lines": [{"product_id": lamp["id"], "quantity": "10"}]}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    for (kind, amount) in [("advance", "200"), ("settlement", "150")] {
        let (s, v) = app
            .post(
                "/api/v1/expense-advances",
                &t.clerk.1,
                json!({"user_id": t.rep_a2.0, "kind": kind, "amount": amount, "purpose": "差旅"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (_, mine) = app.get("/api/v1/budgets?month=2026-10", &t.sup_a.1).await;
    assert_eq!(mine["total"], 1, "{mine}");
    let a = &mine["items"][0];
    assert_eq!(
        (a["sales"].as_str(), a["expenses"].as_str()),
        (Some("1000"), Some("150"))
    );
    assert_eq!(a["sales_percent"], "50");
    assert_eq!(a["expense_percent"], "150");
    assert_eq!(a["sales_per_expense"], "6.67");
    assert_eq!(a["over_budget"], true);
    let (_, all) = app
        .get("/api/v1/budgets?month=2026-10", &t.director.1)
        .await;
    assert_eq!(all["total"], 2);
    let (_, none) = app.get("/api/v1/budgets?month=2026-10", &t.rep_a1.1).await;
    assert_eq!(none["total"], 0);
    let (_, dash) = app.get("/api/v1/dashboard?view=week", &t.sup_a.1).await;
    assert_eq!(dash["budgets"][0]["sales_per_expense"], "6.67", "{dash}");
    for (path, token) in [
        ("/budgets?month=2026-10", &t.director.1),
        ("/?view=month", &t.director.1),
    ] {
        let (s, html) = app.page(path, token).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            html.contains("id=\"budgets\"") && html.contains("¥6.67"),
            "{path}"
        );
    }
    app.assert_audit_in_words().await;
}

/// Rule 3 and product rates: the spouse of a customer cannot be registered apart (a duplicate by
/// relative), so the spouse's purchase is an order on the customer, credited to its owner; a
/// product with its own rate is paid at it, ahead of its category.
async fn a_relatives_purchase_and_product_rates(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 10, 15, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let (a1, b1) = (&t.rep_a1.1, &t.rep_b1.1);
    let product = |code: &str| {
        let (app, token) = (app.clone(), t.clerk.1.clone());
        let body =
            json!({"code": code, "name": code, "unit": "件", "price": "100", "category": "灯具"});
        async move {
            app.post("/api/v1/products", &token, body).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (lamp, premium) = (product("LED").await, product("LED-PRO").await);
    let mut p = plan(t.rep_a2.0);
    p["product_rates"] = json!([{"product_id": 999999, "rate_percent": "8"}]);
    let (s, e) = put(&app, &t.director.1, "2026-10", p.clone()).await;
    assert_eq!(
        (s, code(&e)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("unknown_product"), Some("product_rates"))
        )
    );
    p["product_rates"] = json!([{"product_id": premium, "rate_percent": "8"}]);
    assert_eq!(
        put(&app, &t.director.1, "2026-10", p).await.0,
        StatusCode::OK
    );

    let (s, w) = app
        .post(
            "/api/v1/customers",
            a1,
            json!({"name": "王建军", "kind": "individual", "phone": "13200000001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{}/contacts", w["id"]),
            a1,
            json!({"name": "李秀英", "relation": "spouse", "phone": "13200000002"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = app
        .post(
            "/api/v1/customers",
            b1,
            json!({"name": "李秀英", "kind": "individual", "phone": "13200000002"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "the spouse is the customer: {e}");
    // The spouse buys: an order on the customer, by its owner.
    let (s, o) = app
        .post(
            "/api/v1/orders",
            a1,
            json!({"customer_id": w["id"], "lines": [{"product_id": lamp, "quantity": "10"}, {"product_id": premium, "quantity": "10"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (s, _) = app
        .post(
            &format!("/api/v1/orders/{}/payments", o["id"]),
            a1,
            json!({"kind": "deposit", "amount": "100"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, sheet) = app
        .get(&format!("/api/v1/pay-sheets/2026-10/{}", t.rep_a1.0), a1)
        .await;
    let lines: Vec<(Option<&str>, &str, &str)> = sheet["sheet"]["commission"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["product"].as_str(),
                l["rate_percent"].as_str().unwrap(),
                l["amount"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [(None, "5", "50.00"), (Some("LED-PRO"), "8", "80.00")],
        "{sheet}"
    );
}

on_both_backends!(
    pay_sheets_by_hand_review_approve_close,
    act_for_an_absent_owner,
    referrals_count_only_when_registered_first,
    budgets_against_sales_and_expenses,
    a_relatives_purchase_and_product_rates
);
