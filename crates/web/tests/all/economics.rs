//! Customer economics over HTTP on both backends: a two-year fixture with a churned pair, a
//! partial defector, repeat buyers, deciles and lifetime values computed by hand; the spending
//! estimates behind the share; scope and bad input.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_web::Clock;

async fn churn_defection_deciles_and_lifetime_value(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let last_year = app
        .at(Utc.with_ymd_and_hms(2025, 6, 10, 2, 0, 0).unwrap())
        .await;
    let t = Team::build(&app).await;
    let rep = &t.rep_a1.1;
    // Each machine sells at 1,000 and costs 750: a quarter is margin.
    let (_, m) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "M", "name": "机器", "unit": "台", "price": "1000", "cost": "750"}),
        )
        .await;
    let order = |app: &TestApp, customer: i64, qty: u32| {
        let (app, rep, m) = (app.clone(), rep.clone(), m["id"].clone());
        async move {
            let (s, o) = app
                .post(
                    "/api/v1/orders",
                    &rep,
                    json!({"customer_id": customer, "lines": [{"product_id": m, "quantity": qty.to_string()}]}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
        }
    };
    let customer = |app: &TestApp, name: &str, phone: &str, region: &str| {
        let (app, rep) = (app.clone(), rep.clone());
        let body = json!({"kind": "company", "name": name, "phone": phone, "region": region});
        async move {
            app.post("/api/v1/customers", &rep, body).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    // 2025: A 5, B 1 + 2, C 10, D 9 machines.
    let a = customer(&last_year, "甲", "13900000001", "华东").await;
    let b = customer(&last_year, "乙", "13900000002", "华东").await;
    let c = customer(&last_year, "丙", "13900000003", "华北").await;
    let d = customer(&last_year, "丁", "13900000004", "华北").await;
    for (cust, qty) in [(a, 5), (b, 1), (b, 2), (c, 10), (d, 9)] {
        order(&last_year, cust, qty).await;
    }
    // 2026: C 4 + 4 + 4 (three orders), D 12, E (new) 1. A and B buy nothing.
    let e = customer(&app, "戊", "13900000005", "华东").await;
    for (cust, qty) in [(c, 4), (c, 4), (c, 4), (d, 12), (e, 1)] {
        order(&app, cust, qty).await;
    }
    // C's category spending grew from 20,000 to 60,000 (our share 50 % → 20 %); D's stayed at
    // 30,000 (30 % → 40 %).
    let estimate = |cust: i64, year: u32, amount: &str| {
        let (app, rep) = (app.clone(), rep.clone());
        let url = format!("/api/v1/customers/{cust}/spend-estimates/{year}");
        let body = json!({"amount": amount});
        async move { app.call(Method::PUT, &url, Some(&rep), Some(body)).await }
    };
    for (cust, year, amount) in [
        (c, 2025, "20000"),
        (c, 2026, "60000"),
        (d, 2025, "30000"),
        (d, 2026, "30000"),
    ] {
        let (s, v) = estimate(cust, year, amount).await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    let (s, r) = app.get("/api/v1/economics?period=2026", &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (&r["previous_period"]["start"], &r["previous_period"]["end"]),
        (&json!("2025-01-01"), &json!("2026-01-01"))
    );
    // Churn: A and B of four previous buyers.
    assert_eq!(
        (
            &r["previous_buyers"],
            &r["churn_percent"],
            &r["retention_percent"]
        ),
        (&json!(4), &json!("50"), &json!("50"))
    );
    let churned: Vec<&str> = r["churned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(churned, vec!["甲", "乙"], "largest lost revenue first");
    // C bought more (10,000 → 12,000) but our share fell: the one partial defector.
    let defectors = r["partial_defectors"].as_array().unwrap();
    assert_eq!(defectors.len(), 1, "{r}");
    assert_eq!(
        (
            &defectors[0]["name"],
            &defectors[0]["previous_share_percent"],
            &defectors[0]["share_percent"]
        ),
        (&json!("丙"), &json!("50"), &json!("20"))
    );
    // Repeat purchase: C of C, D, E.
    assert_eq!(
        (
            &r["buyers"],
            &r["repeat_buyers"],
            &r["repeat_purchase_percent"]
        ),
        (&json!(3), &json!(1), &json!("33.33"))
    );
    // Deciles of three buyers: one each; C (12,000, registered before D) against E (1,000).
    assert_eq!(
        (
            &r["top_customers"][0]["name"],
            &r["bottom_customers"][0]["name"]
        ),
        (&json!("丙"), &json!("戊"))
    );
    assert_eq!(
        (&r["top_to_bottom_revenue"], &r["top_to_bottom_margin"]),
        (&json!("12"), &json!("12"))
    );
    // CLV of C: margin 3,000 × 0.5 ÷ (1 + 0.1 − 0.5) = 2,500.
    let clv = r["lifetime_values"].as_array().unwrap();
    let c_clv = clv.iter().find(|x| x["name"] == "丙").unwrap();
    assert_eq!(c_clv["lifetime_value"], "2500");
    let north = r["segments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "华北")
        .unwrap();
    assert_eq!(
        (&north["customers"], &north["lifetime_value"]),
        (&json!(2), &json!("5000"))
    );

    // Segments by a qualification class: C is a core account (attractive, winnable), MAn.
    let (s, q) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{c}/qualification"),
            Some(rep),
            Some(json!({"attractiveness": "high", "ability_to_win": "high", "man_money": true, "man_authority": true, "man_need": false, "version": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    for (by, key) in [("key_account", "core"), ("man_class", "MAn")] {
        let (_, r) = app
            .get(
                &format!("/api/v1/economics?period=2026&segment_by={by}"),
                &t.director.1,
            )
            .await;
        let seg = r["segments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("{by}: {r}"));
        assert_eq!(
            (&seg["customers"], &seg["lifetime_value"]),
            (&json!(1), &json!("2500")),
            "{by}"
        );
    }

    // Another team sees none of it; a month compares with the month before.
    let (_, r) = app.get("/api/v1/economics?period=2026", &t.sup_b.1).await;
    assert_eq!(
        (&r["buyers"], &r["previous_buyers"]),
        (&json!(0), &json!(0))
    );
    let (_, r) = app
        .get("/api/v1/economics?period=2026-11", &t.director.1)
        .await;
    assert_eq!(
        (&r["previous_period"]["start"], &r["buyers"]),
        (&json!("2026-10-01"), &json!(3))
    );

    // Each list page by page, named, in its order; the report's counts agree.
    let (s, p) = app
        .get(
            "/api/v1/economics/customers?list=churned&period=2026&per_page=1&page=2",
            &t.sup_a.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (
            &p["total"],
            &p["items"][0]["name"],
            p["items"].as_array().unwrap().len()
        ),
        (&json!(2), &json!("乙"), 1),
        "{p}"
    );
    let (_, p) = app
        .get(
            "/api/v1/economics/customers?list=lifetime_values&period=2026",
            &t.director.1,
        )
        .await;
    let names: Vec<&str> = p["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // C and D 2,500 each (C first by id), E 1,000 × 0.25 × 0.5 ÷ 0.6 = 208.33.
    assert_eq!(names, vec!["丙", "丁", "戊"], "{p}");
    assert_eq!(p["items"][2]["lifetime_value"], "208.33");
    for (q, field) in [
        ("list=everyone", "list"),
        ("list=top&per_page=0", "per_page"),
        ("list=top&page=0", "page"),
        ("list=top&period=2026-13", "period"),
    ] {
        let (s, e) = app
            .get(&format!("/api/v1/economics/customers?{q}"), &t.director.1)
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{q}: {e}"
        );
    }
    let (s, html) = app
        .page(
            "/economics/customers?list=lifetime_values&period=2026&per_page=1",
            &t.director.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/customers/{c}\"")) && html.contains("rel=\"next\""),
        "{html}"
    );

    // The same answers from the raw order lines, from the months with the changes pending,
    // and from the months once folded.
    let reports = |app: &TestApp| {
        let (app, t) = (
            app.clone(),
            (t.director.1.clone(), t.sup_a.1.clone(), t.rep_a1.1.clone()),
        );
        async move {
            let mut out = Vec::new();
            for who in [&t.0, &t.1, &t.2] {
                for q in [
                    "period=2026",
                    "period=2026&segment_by=owner",
                    "period=2026-Q4&segment_by=key_account",
                    "period=2026-06&segment_by=dealer",
                    "period=2025&segment_by=tier",
                ] {
                    let (s, r) = app.get(&format!("/api/v1/economics?{q}"), who).await;
                    assert_eq!(s, StatusCode::OK, "{r}");
                    out.push(r);
                }
            }
            out
        }
    };
    let pending = reports(&app).await;
    for (user, scope) in [
        (t.director.0, yingpan_domain::person::Scope::All),
        (t.sup_a.0, yingpan_domain::person::Scope::Subtree),
    ] {
        let viewer = yingpan_store::Viewer {
            org_id: app.org_id,
            user_id: user,
            role: yingpan_domain::person::Role::Supervisor,
            scope,
        };
        let period = yingpan_domain::weekly_report::Period {
            start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            end: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        };
        let previous = yingpan_domain::weekly_report::Period {
            start: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            end: period.start,
        };
        for segment in [
            yingpan_store::SegmentBy::Region,
            yingpan_store::SegmentBy::Owner,
        ] {
            let months = app
                .store
                .economics_histories(&viewer, period, previous, segment)
                .await
                .unwrap();
            let raw = app
                .store
                .economics_histories_raw(&viewer, period, previous, segment)
                .await
                .unwrap();
            let by_id = |mut h: Vec<yingpan_domain::economics::History>| {
                h.sort_by_key(|h| h.customer_id);
                h
            };
            assert_eq!(by_id(months), by_id(raw), "{segment:?}");
        }
    }
    app.store.fold_statistics().await.unwrap();
    assert_eq!(
        reports(&app).await,
        pending,
        "folded months answer as pending ones"
    );
    // Migration 0068 fills the months from the folded contributions: the same rows.
    app.store.refill_customer_months(app.org_id).await.unwrap();
    assert_eq!(
        app.store
            .statistics_cube_differences(app.org_id)
            .await
            .unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(reports(&app).await, pending, "refilled months answer alike");
    assert_eq!(reports(&app).await, pending, "kept reports answer alike");

    // The estimates: within scope only, checked, recorded.
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{c}/spend-estimates/2026"),
            Some(&t.rep_b1.1),
            Some(json!({"amount": "1"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for (year, amount, field) in [
        (2026, "-5", "amount"),
        (1999, "5", "year"),
        (2026, "abc", "amount"),
    ] {
        let (s, e) = estimate(c, year, amount).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{e}"
        );
    }
    let (_, list) = app
        .get(&format!("/api/v1/customers/{c}/spend-estimates"), rep)
        .await;
    let years: Vec<(Value, Value)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["year"].clone(), e["amount"].clone()))
        .collect();
    assert_eq!(
        years,
        vec![(json!(2026), json!("60000")), (json!(2025), json!("20000"))]
    );
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={c}"),
            &app.admin_token,
        )
        .await;
    assert!(
        audit.to_string().contains("category_spend_estimate.2026"),
        "{audit}"
    );

    let (s, e) = app
        .get("/api/v1/economics?segment_by=colour", &t.director.1)
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("segment_by"))
    );
    let (s, e) = app
        .get("/api/v1/economics?discount_percent=500", &t.director.1)
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("discount_percent"))
    );

    // The page names the customers behind each figure.
    let (s, html) = app.page("/economics?period=2026", &t.director.1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/customers/{a}\""))
            && html.contains("50.0%")
            && html.contains("¥2,500.00"),
        "{html}"
    );
    assert!(html.contains("id=\"decile-chart\"><svg"));
    let (s, html) = app.page(&format!("/customers/{c}"), rep).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("¥60,000.00"), "the card shows the estimates");
    app.assert_rollups_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(churn_defection_deciles_and_lifetime_value);

/// A computed report is kept and answered again while what it counts stays as it was: the
/// folded months, the estimates, the people in the viewer's scope, and no change waiting to be
/// folded that touches them. Each change below must give a fresh answer.
async fn a_kept_report_answers_until_what_it_counts_changes(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let (_, m) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "M", "name": "机器", "unit": "台", "price": "1000", "cost": "750"}),
        )
        .await;
    let last_year = app
        .at(Utc.with_ymd_and_hms(2025, 6, 10, 2, 0, 0).unwrap())
        .await;
    let order_at = |app: &TestApp, customer: i64, rep: &str, qty: u32| {
        let (app, rep, m) = (app.clone(), rep.to_string(), m["id"].clone());
        async move {
            let (s, o) = app
                .post(
                    "/api/v1/orders",
                    &rep,
                    json!({"customer_id": customer, "lines": [{"product_id": m, "quantity": qty.to_string()}]}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
        }
    };
    let order = |customer: i64, rep: &str, qty: u32| order_at(&app, customer, rep, qty);
    // X bought last year too: retention is measured, and lifetime values per segment shown.
    let x = last_year.customer(&t.rep_a1.1, "星辰", "13900000011").await["id"]
        .as_i64()
        .unwrap();
    let y = app.customer(&t.rep_b1.1, "远航", "13900000012").await["id"]
        .as_i64()
        .unwrap();
    order_at(&last_year, x, &t.rep_a1.1, 1).await;
    order(x, &t.rep_a1.1, 2).await;
    order(y, &t.rep_b1.1, 1).await;
    app.store.fold_statistics().await.unwrap();

    // What a kept answer would say if it were served: its discount rate altered in place.
    let tamper = || {
        app.sql(
            "UPDATE report_snapshots SET body = replace(body, '\"discount_percent\":\"10\"', '\"discount_percent\":\"77\"')",
        )
    };
    let report = |token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (s, r) = app.get("/api/v1/economics?period=2026", &token).await;
            assert_eq!(s, StatusCode::OK, "{r}");
            let kept = r["discount_percent"] == "77";
            (r, kept)
        }
    };
    let money = |v: &Value| -> rust_decimal::Decimal { v.as_str().unwrap().parse().unwrap() };
    let (first, kept) = report(&t.director.1).await;
    assert!(!kept);
    assert_eq!(first["buyers"], 2, "{first}");
    assert_eq!(money(&first["top_decile"]["revenue"]), 2000.into());
    assert_eq!(app.count("SELECT COUNT(*) FROM report_snapshots").await, 1);
    tamper().await;
    let (again, kept) = report(&t.director.1).await;
    assert!(kept, "the kept answer is served: {again}");
    assert_eq!(again["buyers"], 2);
    // Names are read per request, not kept.
    assert_eq!(again["top_customers"][0]["name"], "星辰");

    // Another scope is another report.
    let (team, kept) = report(&t.sup_a.1).await;
    assert!(!kept);
    assert_eq!(team["buyers"], 1, "{team}");

    // A registration waiting to be folded touches no month: the kept answer stands.
    app.customer(&t.rep_a1.1, "新客", "13900000013").await;
    tamper().await;
    assert!(
        report(&t.director.1).await.1,
        "an untouched pending customer"
    );

    // An order waiting to be folded, then folded.
    order(y, &t.rep_b1.1, 3).await;
    let (r, kept) = report(&t.director.1).await;
    assert!(!kept);
    assert_eq!(money(&r["top_decile"]["revenue"]), 4000.into(), "{r}");
    app.store.fold_statistics().await.unwrap();
    tamper().await;
    let (r, kept) = report(&t.director.1).await;
    assert!(!kept, "the fold changed the months");
    assert_eq!(money(&r["top_decile"]["revenue"]), 4000.into(), "{r}");
    tamper().await;
    assert!(report(&t.director.1).await.1);

    // A card change: the segments move, before and after the fold.
    let (_, card) = app
        .get(&format!("/api/v1/customers/{x}"), &t.rep_a1.1)
        .await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{x}"),
            &t.rep_a1.1,
            json!({"region": "西南", "version": card["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for _ in 0..2 {
        let (r, kept) = report(&t.director.1).await;
        assert!(!kept);
        assert!(r["segments"].to_string().contains("西南"), "{r}");
        app.store.fold_statistics().await.unwrap();
        tamper().await;
    }

    // An estimate of spending: partial defection reads it.
    let (s, v) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{x}/spend-estimates/2026"),
            Some(&t.rep_a1.1),
            Some(json!({"amount": "8000"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (r, kept) = report(&t.director.1).await;
    assert!(!kept);
    assert_eq!(
        money(&r["bottom_customers"][0]["share_percent"]),
        25.into(),
        "{r}"
    );

    // The supervisor's team gains a salesperson, and with them a buyer.
    report(&t.sup_a.1).await;
    tamper().await;
    assert!(report(&t.sup_a.1).await.1);
    let (_, person) = app
        .get(&format!("/api/v1/users/{}", t.rep_b1.0), &app.admin_token)
        .await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/users/{}", t.rep_b1.0),
            &app.admin_token,
            json!({"superior_id": t.sup_a.0, "version": person["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (r, kept) = report(&t.sup_a.1).await;
    assert!(!kept);
    assert_eq!(r["buyers"], 2, "{r}");

    // The list pages are kept alike.
    let list = "/api/v1/economics/customers?list=top&period=2026";
    let (_, p1) = app.get(list, &t.director.1).await;
    app.sql("UPDATE report_snapshots SET body = replace(body, '\"previous_revenue\":\"0\"', '\"previous_revenue\":\"5\"')")
        .await;
    let (_, p2) = app.get(list, &t.director.1).await;
    assert_eq!(p1["items"][0]["previous_revenue"], "0", "{p1}");
    assert_eq!(p2["items"][0]["previous_revenue"], "5", "kept: {p2}");
    assert_eq!(p2["items"][0]["name"], "远航");
}

on_both_backends!(a_kept_report_answers_until_what_it_counts_changes);
