//! Weekly reports, the monthly summary, receivables with ageing, delivery tracking and the
//! clerk's ledgers, over HTTP on both backends. The weekly figures are the hand-computed fixture
//! of docs/reports.md.

use crate::common;

use crate::common::{Backend, Team, TestApp, PASSWORD};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_web::Clock;

async fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn weekly_report_matches_hand_computed_fixture(backend: Backend) {
    // Wednesday 2026-11-18, 10:00 China time: everything below happens in the week 16–22 Nov.
    let wed = Utc.with_ymd_and_hms(2026, 11, 18, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(wed)).await;
    let t = Team::build(&app).await;
    let (a1, a2, b1) = (&t.rep_a1.1, &t.rep_a2.1, &t.rep_b1.1);
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100"}),
        )
        .await;
    let lamp = id(&lamp).await;
    let c1 = id(&app.customer(a1, "甲一机械", "12400000001").await).await;
    let c2 = id(&app.customer(a1, "甲二电子", "12400000002").await).await;
    let c3 = id(&app.customer(a1, "甲三食品", "12400000003").await).await;
    let c4 = id(&app.customer(a2, "乙四贸易", "12400000004").await).await;
    let c5 = id(&app.customer(b1, "丙五建材", "12400000005").await).await;

    let order = |token: &str, customer: i64, qty: &str, due: Option<&str>| {
        let (app, token) = (app.clone(), token.to_string());
        let mut body =
            json!({"customer_id": customer, "lines": [{"product_id": lamp, "quantity": qty}]});
        if let Some(d) = due {
            body["due_date"] = d.into();
        }
        async move {
            let (s, o) = app.post("/api/v1/orders", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            o
        }
    };
    let o1 = order(a1, c1, "300", None).await;
    assert_eq!(o1["due_date"], "2026-12-18", "net 30 by default");
    let o2 = order(a1, c2, "120", Some("2026-11-18")).await;
    let o4 = order(a2, c4, "80", None).await;
    order(b1, c5, "10", None).await;
    let (s, e) = app
        .post(
            "/api/v1/orders",
            a1,
            json!({"customer_id": c1, "due_date": "2026-11-01", "lines": [{"product_id": lamp, "quantity": "1"}]}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("due_date"))
    );
    let pay = |order: &Value, kind: &str, amount: &str| {
        let (app, token, url) = (
            app.clone(),
            t.clerk.1.clone(),
            format!("/api/v1/orders/{}/payments", order["id"]),
        );
        let body = json!({"kind": kind, "amount": amount});
        async move {
            let (s, o) = app.post(&url, &token, body).await;
            assert_eq!(s, StatusCode::OK, "{o}");
        }
    };
    pay(&o1, "deposit", "5000").await;
    pay(&o1, "payment", "10000").await;
    pay(&o4, "payment", "2000").await;
    pay(&o4, "refund", "1000").await;

    let visit = |token: &str, customer: i64, outcome: Option<&str>, next: Option<&str>| {
        let (app, token) = (app.clone(), token.to_string());
        let body =
            json!({"kind": "visit", "summary": "拜访", "outcome": outcome, "next_step": next});
        async move {
            let (s, v) = app
                .post(
                    &format!("/api/v1/customers/{customer}/activities"),
                    &token,
                    body,
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
    };
    visit(a1, c3, Some("见到采购经理"), Some("下周送样")).await; // effective: next step
    visit(a1, c1, Some("签单"), None).await; // effective: c1 ordered
    visit(a1, c1, None, Some("回访")).await; // no outcome
    visit(a1, c3, Some("无人"), None).await; // neither next step nor order
    visit(a2, c4, Some("签单"), None).await; // effective: c4 ordered
    app.post(
        &format!("/api/v1/customers/{c4}/activities"),
        a2,
        json!({"kind": "call", "summary": "电话不是拜访"}),
    )
    .await;

    let report = |token: &str, day: &str, body: Value| {
        let (app, token, url) = (
            app.clone(),
            token.to_string(),
            format!("/api/v1/daily-reports/by-date/{day}"),
        );
        async move {
            let (s, r) = app.call(Method::PUT, &url, Some(&token), Some(body)).await;
            assert_eq!(s, StatusCode::OK, "{r}");
            r
        }
    };
    let (_, pre) = app
        .get("/api/v1/daily-reports/prefill?date=2026-11-18", a1)
        .await;
    assert_eq!(
        (
            pre["order_amount"].as_str(),
            pre["payment_collected"].as_str()
        ),
        (Some("42000"), Some("15000")),
        "the day's own orders and collections"
    );
    let filed = report(a1, "2026-11-18", json!({"target_amount": "40000"})).await;
    assert_eq!(
        (
            filed["order_amount"].as_str(),
            filed["payment_collected"].as_str(),
            filed["attainment_percent"].as_str()
        ),
        (Some("42000"), Some("15000"), Some("105")),
        "left blank, they are prefilled"
    );
    let late = report(a1, "2026-11-16", json!({})).await;
    assert_eq!(late["late"], true);
    report(
        a2,
        "2026-11-18",
        json!({"target_amount": "20000", "competitor_info": "对手降价 5%"}),
    )
    .await;
    let (s, _) = app
        .post(
            "/api/v1/escalations",
            a2,
            json!({"kind": "complaint", "subject": "灯具批次闪烁", "body": "客户要求换货", "customer_id": c4}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // Monday 2026-11-23, 09:00 China time.
    let monday = app
        .at(Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap())
        .await;
    let (s, e) = monday.post("/api/v1/weekly-reports", a1, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, w) = monday
        .post("/api/v1/weekly-reports", &t.sup_a.1, json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert_eq!(w["week_start"], "2026-11-16");
    let r = &w["report"];
    let team = &r["team"];
    assert_eq!(
        team["sales"], "50000",
        "30000 + 12000 + 8000; not 丙五's order"
    );
    assert_eq!(team["orders"], 3);
    assert_eq!(team["target"], "60000");
    assert_eq!(team["attainment_percent"], "83.33");
    assert_eq!(team["new_customers"], 4);
    assert_eq!(team["collected"], "16000", "5000 + 10000 + 2000 - 1000");
    assert_eq!(
        (team["visits"].as_i64(), team["effective_visits"].as_i64()),
        (Some(5), Some(3))
    );
    assert_eq!(team["effective_visit_rate_percent"], "60");
    assert_eq!(
        (
            team["visited_customers"].as_i64(),
            team["visited_customers_ordering"].as_i64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(team["transaction_rate_percent"], "66.67");
    assert_eq!(
        (
            team["daily_reports"].as_i64(),
            team["late_daily_reports"].as_i64(),
            team["expected_reports"].as_i64()
        ),
        (Some(3), Some(1), Some(10))
    );
    assert_eq!(r["average_sales_per_person"], "25000");
    assert_eq!(r["members"][0]["user_id"], t.rep_a1.0);
    let a1_figures = &r["members"][0]["figures"];
    assert_eq!(a1_figures["attainment_percent"], "105");
    assert_eq!(a1_figures["effective_visit_rate_percent"], "50");
    assert_eq!(a1_figures["transaction_rate_percent"], "50");
    assert_eq!(r["members"][1]["figures"]["collected"], "1000");
    assert_eq!(r["competitor_moves"][0]["text"], "对手降价 5%");
    assert_eq!(r["complaints"][0]["subject"], "灯具批次闪烁");
    let abnormal: Vec<(String, String)> = r["abnormal_customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["customer_name"].as_str().unwrap().to_string(),
                a["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        abnormal,
        vec![
            ("乙四贸易".to_string(), "complaint".to_string()),
            ("甲二电子".to_string(), "overdue".to_string())
        ]
    );
    let _ = o2;

    // Monday's job compiles the other supervisor's report, once.
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 1, 0, 0).unwrap();
    assert_eq!(app.store.compile_due_weekly_reports(now).await.unwrap(), 1);
    assert_eq!(app.store.compile_due_weekly_reports(now).await.unwrap(), 0);
    let (_, b_list) = monday.get("/api/v1/weekly-reports", &t.sup_b.1).await;
    assert_eq!(
        b_list["total"], 1,
        "a supervisor sees only their own team's: {b_list}"
    );
    assert_eq!(b_list["items"][0]["report"]["team"]["sales"], "1000");

    // Who may read and write what.
    let wid = w["id"].as_i64().unwrap();
    let (_, mine) = monday.get("/api/v1/weekly-reports", a1).await;
    assert_eq!(mine["total"], 0);
    for token in [a1, &t.sup_b.1] {
        let (s, _) = monday
            .get(&format!("/api/v1/weekly-reports/{wid}"), token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let (_, all) = monday.get("/api/v1/weekly-reports", &t.director.1).await;
    assert_eq!(all["total"], 2);
    let goals = |token: &str, version: i64| {
        let (app, token) = (monday.clone(), token.to_string());
        async move {
            app.patch(
                &format!("/api/v1/weekly-reports/{wid}"),
                &token,
                json!({"next_week_goals": "回款 3 万；拜访 20 家", "version": version}),
            )
            .await
        }
    };
    let version = w["version"].as_i64().unwrap();
    assert_eq!(
        goals(&t.director.1, version).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(goals(&t.sup_a.1, version + 5).await.0, StatusCode::CONFLICT);
    let (_, unchanged) = monday
        .get(&format!("/api/v1/weekly-reports/{wid}"), &t.sup_a.1)
        .await;
    assert_eq!(
        (
            unchanged["next_week_goals"].clone(),
            unchanged["version"].as_i64()
        ),
        (Value::Null, Some(version)),
        "refused writes change nothing"
    );
    let (s, g) = goals(&t.sup_a.1, version).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    assert_eq!(g["next_week_goals"], "回款 3 万；拜访 20 家");
    // Re-compiling keeps the goals.
    let (_, again) = monday
        .post(
            "/api/v1/weekly-reports",
            &t.director.1,
            json!({"supervisor_id": t.sup_a.0, "week_start": "2026-11-19"}),
        )
        .await;
    assert_eq!(again["id"].as_i64(), Some(wid));
    assert_eq!(again["next_week_goals"], "回款 3 万；拜访 20 家");
    let (s, e) = monday
        .post(
            "/api/v1/weekly-reports",
            &t.director.1,
            json!({"supervisor_id": t.rep_a1.0}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("supervisor_id"))
    );

    // The director's monthly summary: the company and each team.
    let (s, m) = monday
        .get("/api/v1/reports/monthly?month=2026-11", &t.director.1)
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["company"]["team"]["sales"], "51000");
    assert_eq!(m["company"]["team"]["new_customers"], 5);
    let teams = m["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 2);
    let a = teams
        .iter()
        .find(|x| x["supervisor_id"] == t.sup_a.0)
        .unwrap();
    assert_eq!(
        (a["sales"].as_str(), a["members"].as_i64()),
        (Some("50000"), Some(2))
    );
    for token in [&t.sup_a.1, a1, &t.clerk.1] {
        assert_eq!(
            monday.get("/api/v1/reports/monthly", token).await.0,
            StatusCode::FORBIDDEN,
            "directors and admins only"
        );
    }
    let (s, e) = monday
        .get("/api/v1/reports/monthly?month=2026-13", &t.director.1)
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("month"))
    );

    // The pages render the same report.
    let html = monday
        .client
        .get(monday.url(&format!("/weekly-reports/{wid}")))
        .bearer_auth(&t.sup_a.1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("83.33%") && html.contains("66.67%"), "{html}");
    app.assert_rollups_consistent().await;
}

async fn receivables_delivery_and_ledgers(backend: Backend) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 18, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let (a1, b1, clerk) = (&t.rep_a1.1, &t.rep_b1.1, &t.clerk.1);
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            clerk,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35.50"}),
        )
        .await;
    let lamp = id(&lamp).await;
    let c = id(&app.customer(a1, "温州光明灯饰", "12500000001").await).await;
    let d = id(&app.customer(b1, "台州远大五金", "12500000002").await).await;
    let (_, o) = app
        .post(
            "/api/v1/orders",
            a1,
            json!({"customer_id": c, "due_date": "2026-11-20", "lines": [{"product_id": lamp, "quantity": "100"}]}),
        )
        .await;
    let (_, o_b) = app
        .post(
            "/api/v1/orders",
            b1,
            json!({"customer_id": d, "lines": [{"product_id": lamp, "quantity": "10"}]}),
        )
        .await;
    let oid = id(&o).await;
    assert_eq!(
        (o["delivery_status"].as_str(), o["settled"].as_bool()),
        (Some("pending"), Some(false))
    );

    // Delivery: validated, versioned, scoped, audited.
    let deliver = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/orders/{oid}/delivery"), &token, body)
                .await
        }
    };
    let v = o["version"].as_i64().unwrap();
    let (s, e) = deliver(clerk, json!({"status": "shipped", "version": v})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("delivery_status"))
    );
    assert_eq!(
        deliver(b1, json!({"status": "delivered"})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        deliver(clerk, json!({"status": "delivered", "version": v + 1}))
            .await
            .0,
        StatusCode::CONFLICT
    );
    let (_, still) = app.get(&format!("/api/v1/orders/{oid}"), clerk).await;
    assert_eq!(
        (still["delivery_status"].as_str(), still["version"].as_i64()),
        (Some("pending"), Some(v)),
        "refused changes leave the order as it was"
    );
    let (s, delivered) = deliver(clerk, json!({"status": "delivered", "version": v})).await;
    assert_eq!(s, StatusCode::OK, "{delivered}");
    assert_eq!(delivered["delivery_status"], "delivered");
    assert!(delivered["delivered_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-18"));
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=order&entity_id={oid}"),
            &app.admin_token,
        )
        .await;
    assert!(audit.to_string().contains("delivery_status"), "{audit}");

    // 10 January 2027: 51 days past the due date.
    let later = app
        .at(Utc.with_ymd_and_hms(2027, 1, 10, 2, 0, 0).unwrap())
        .await;
    // Sessions of November have expired by January: log in again.
    let clerk = &later.login("clerk", PASSWORD).await;
    let a1 = &later.login("rep_a1", PASSWORD).await;
    let b1 = &later.login("rep_b1", PASSWORD).await;
    let (s, r) = later.get("/api/v1/receivables", clerk).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["as_of"], "2027-01-10");
    assert_eq!(r["total"], "3905", "3550 + 355");
    let bucket = |r: &Value, name: &str| {
        r["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["ageing"] == name)
            .unwrap()["amount"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(bucket(&r, "days_31_60"), "3550");
    assert_eq!(
        bucket(&r, "not_due"),
        "0",
        "o_b is due 2026-12-18: 23 days over"
    );
    assert_eq!(bucket(&r, "days_1_30"), "355");
    assert_eq!(r["items"][0]["id"].as_i64(), Some(oid), "oldest due first");
    let (_, mine) = later.get("/api/v1/receivables", a1).await;
    assert_eq!(mine["total"], "3550", "a salesperson sees their own");
    // A full payment settles the order; it leaves the receivables.
    let (s, paid) = later
        .post(
            &format!("/api/v1/orders/{oid}/payments"),
            clerk,
            json!({"kind": "payment", "amount": "3550"}),
        )
        .await;
    assert_eq!((s, paid["settled"].as_bool()), (StatusCode::OK, Some(true)));
    let (_, r) = later.get("/api/v1/receivables", clerk).await;
    assert_eq!(
        (r["total"].as_str(), r["items"].as_array().unwrap().len()),
        (Some("355"), 1)
    );
    let _ = o_b;

    // The month's sales ledger and sales per salesperson.
    let (s, l) = later
        .get("/api/v1/ledgers/sales?month=2026-11", clerk)
        .await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(
        (
            l["total"].as_str(),
            l["paid"].as_str(),
            l["receivable"].as_str()
        ),
        (Some("3905"), Some("3550"), Some("355"))
    );
    assert_eq!(l["by_salesperson"].as_array().unwrap().len(), 2);
    let (_, own) = later.get("/api/v1/ledgers/sales?month=2026-11", b1).await;
    assert_eq!(
        (
            own["total"].as_str(),
            own["orders"].as_array().unwrap().len()
        ),
        (Some("355"), 1)
    );
    let (_, dec) = later
        .get("/api/v1/ledgers/sales?month=2026-12", clerk)
        .await;
    assert_eq!(dec["total"], "0");

    // Expense advances: the clerk records, settlements never exceed the balance.
    let advance = |token: &str, body: Value| {
        let (app, token) = (later.clone(), token.to_string());
        async move { app.post("/api/v1/expense-advances", &token, body).await }
    };
    let (s, e) = advance(
        clerk,
        json!({"user_id": t.rep_a1.0, "kind": "advance", "amount": "3000", "purpose": " "}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("purpose"))
    );
    assert_eq!(advance(clerk, json!({"user_id": t.rep_a1.0, "kind": "advance", "amount": "3000", "purpose": "出差温州"})).await.0, StatusCode::CREATED);
    assert_eq!(advance(clerk, json!({"user_id": t.rep_a1.0, "kind": "settlement", "amount": "2500.50", "purpose": "发票报销"})).await.0, StatusCode::CREATED);
    let (s, e) = advance(
        clerk,
        json!({"user_id": t.rep_a1.0, "kind": "settlement", "amount": "600", "purpose": "发票"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("over_settlement"))
    );
    assert_eq!(
        advance(
            a1,
            json!({"user_id": t.rep_a1.0, "kind": "advance", "amount": "1", "purpose": "x"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (_, adv) = later.get("/api/v1/expense-advances", clerk).await;
    assert_eq!(adv["summary"][0]["outstanding"], "499.5");
    assert_eq!(adv["items"].as_array().unwrap().len(), 2);
    let (_, other) = later.get("/api/v1/expense-advances", b1).await;
    assert_eq!(
        other["items"].as_array().unwrap().len(),
        0,
        "only one's own"
    );

    let html = later
        .client
        .get(later.url("/ledgers?month=2026-11"))
        .bearer_auth(clerk)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("逾期 1–30 天") && html.contains("499.5"),
        "{html}"
    );
    app.assert_rollups_consistent().await;
}

/// A customer the recycle returned to the pool from a team member is one of the team's
/// abnormal customers of that week, named with whom it left; another team's is not.
async fn recycled_customers_are_the_teams_abnormal_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let ours = id(&app.customer(&t.rep_a1.1, "回收甲机械", "12500000001").await).await;
    let theirs = id(&app.customer(&t.rep_b1.1, "回收丙建材", "12500000002").await).await;
    // Eight silent days later both return to the pool.
    let later = Utc::now() + chrono::Duration::days(8);
    assert_eq!(app.store.recycle(later).await.unwrap(), 2);
    let week = yingpan_domain::weekly_report::Period::week_of(
        later
            .with_timezone(&yingpan_domain::visit_plan::china_offset())
            .date_naive(),
    );
    let abnormal = |root: Option<i64>| {
        let app = app.clone();
        async move {
            let facts = app
                .store
                .period_facts(app.org_id, root, week)
                .await
                .unwrap();
            facts
                .abnormal
                .into_iter()
                .filter(|a| a.reason == "recycled")
                .map(|a| (a.customer_id, a.customer_name, a.detail))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        abnormal(Some(t.sup_a.0)).await,
        vec![(ours, "回收甲机械".to_string(), "rep_a1".to_string())]
    );
    let mut everyone: Vec<i64> = abnormal(None).await.iter().map(|a| a.0).collect();
    everyone.sort_unstable();
    assert_eq!(everyone, vec![ours, theirs]);
    // The week before holds none.
    let before =
        yingpan_domain::weekly_report::Period::week_of(week.start - chrono::Duration::days(1));
    let facts = app
        .store
        .period_facts(app.org_id, None, before)
        .await
        .unwrap();
    assert!(facts.abnormal.iter().all(|a| a.reason != "recycled"));
}

on_both_backends!(
    weekly_report_matches_hand_computed_fixture,
    receivables_delivery_and_ledgers,
    recycled_customers_are_the_teams_abnormal_ones
);
