//! Statistics over HTTP on both backends: a hand-computed fixture grouped by every kind of
//! dimension, filters by card fields, the scope of each role, bad input, and the export with
//! its audit entry.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_web::Clock;

fn row<'a>(v: &'a Value, key: &str) -> &'a Value {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {v}"))
}

async fn statistics_group_filter_and_export_within_scope(backend: Backend) {
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 2, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let product = |code: &str, price: &str| {
        let (app, token) = (app.clone(), t.clerk.1.clone());
        // The lamp costs 70; the cable's cost is unknown. Each is a category of its own.
        let (cost, category) = if code == "LED" {
            (Some("70"), "照明")
        } else {
            (None, "线缆")
        };
        let body = json!({"code": code, "name": format!("产品{code}"), "unit": "件", "price": price,
                          "cost": cost, "category": category});
        async move {
            app.post("/api/v1/products", &token, body).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let (lamp, cable) = (product("LED", "100").await, product("CBL", "10").await);
    let customer = |token: &str, name: &str, phone: &str, region: &str, source: &str| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"kind": "company", "name": name, "phone": phone, "region": region, "source": source, "industry": "制造"});
        async move {
            let (s, c) = app.post("/api/v1/customers", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            c["id"].as_i64().unwrap()
        }
    };
    let (a1, a2, b1) = (&t.rep_a1.1, &t.rep_a2.1, &t.rep_b1.1);
    let c1 = customer(a1, "甲一机械", "12400000001", "华东", "展会").await;
    let c2 = customer(a1, "甲二电子", "12400000002", "华北", "转介绍").await;
    let c3 = customer(a2, "乙三贸易", "12400000003", "华东", "展会").await;
    let c4 = customer(b1, "丙四建材", "12400000004", "华南", "网络").await;
    // c2 is a dealer and a priority customer.
    let (s, _) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{c2}/dealer"),
            Some(a1),
            Some(json!({"credit_rating": "A", "version": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, q) = app
        .call(
            Method::PUT,
            &format!("/api/v1/customers/{c2}/qualification"),
            Some(a1),
            Some(json!({"tier": "priority", "man_money": true, "man_authority": true, "man_need": false, "version": 2})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    let order = |token: &str, customer: i64, lines: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (s, o) = app
                .post(
                    "/api/v1/orders",
                    &token,
                    json!({"customer_id": customer, "lines": lines}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            o
        }
    };
    // a1: 30,000 + 500 to c1 (one order, two products), 12,000 to c2; a2: 5,000 to c3;
    // b1: 1,000 to c4.
    let o1 = order(
        a1,
        c1,
        json!([{"product_id": lamp, "quantity": "300"}, {"product_id": cable, "quantity": "50"}]),
    )
    .await;
    order(a1, c2, json!([{"product_id": lamp, "quantity": "120"}])).await;
    order(a2, c3, json!([{"product_id": lamp, "quantity": "50"}])).await;
    order(b1, c4, json!([{"product_id": cable, "quantity": "100"}])).await;
    for (kind, amount) in [("deposit", "10000"), ("refund", "2000")] {
        let (s, _) = app
            .post(
                &format!("/api/v1/orders/{}/payments", o1["id"]),
                &t.clerk.1,
                json!({"kind": kind, "amount": amount}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    // Visits: a1 visits c1 (ordered) and c2 (ordered); a2 visits c3 (ordered) and a new
    // prospect c5 (did not).
    let c5 = customer(a2, "乙五食品", "12400000005", "华东", "展会").await;
    for (token, c) in [(a1, c1), (a1, c2), (a2, c3), (a2, c5)] {
        let (s, _) = app
            .post(
                &format!("/api/v1/customers/{c}/activities"),
                token,
                json!({"kind": "visit", "summary": "拜访"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }

    // By region, for the director: everything.
    let (s, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&group_by=region",
            &t.director.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let east = row(&r, "华东");
    assert_eq!(
        (
            &east["sales"],
            &east["orders"],
            &east["customers"],
            &east["new_customers"],
            &east["collected"]
        ),
        (
            &json!("35500"),
            &json!(2),
            &json!(2),
            &json!(3),
            &json!("8000")
        )
    );
    // East visits: c1, c3 (ordered), c5 (not): 66.67 %.
    assert_eq!(
        (&east["visits"], &east["conversion_percent"]),
        (&json!(3), &json!("66.67"))
    );
    assert_eq!(row(&r, "华南")["sales"], "1000");
    // Margin: 30 on each of 300 + 50 lamps in the east; the cable line has no cost.
    assert_eq!(
        (&east["gross_margin"], &east["lines_without_cost"]),
        (&json!("10500"), &json!(1))
    );
    assert_eq!(
        (
            &r["total"]["sales"],
            &r["total"]["orders"],
            &r["total"]["new_customers"],
            &r["total"]["visits"]
        ),
        (&json!("48500"), &json!(4), &json!(5), &json!(4))
    );

    // By team: supervisors' names; by product: order lines; by month: one.
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&group_by=team",
            &t.director.1,
        )
        .await;
    let team_a = row(&r, &t.sup_a.0.to_string());
    assert_eq!(
        (&team_a["label"], &team_a["sales"]),
        (&json!("sup_a"), &json!("47500"))
    );
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&group_by=product",
            &t.director.1,
        )
        .await;
    let lamp_row = row(&r, &lamp.to_string());
    assert_eq!(
        (&lamp_row["label"], &lamp_row["sales"], &lamp_row["orders"]),
        (&json!("产品LED"), &json!("47000"), &json!(3))
    );
    assert_eq!(row(&r, &cable.to_string())["sales"], "1500");
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&group_by=category",
            &t.director.1,
        )
        .await;
    assert_eq!(
        (&row(&r, "照明")["sales"], &row(&r, "照明")["gross_margin"]),
        (&json!("47000"), &json!("14100"))
    );
    assert_eq!(row(&r, "线缆")["lines_without_cost"], 2);
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026&group_by=month",
            &t.director.1,
        )
        .await;
    assert_eq!(
        (
            r["items"].as_array().unwrap().len(),
            &row(&r, "2026-11")["sales"]
        ),
        (1, &json!("48500"))
    );

    // Filters: dealers only; a tier; a MAN class; a product narrows orders and collections.
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&dealer=true",
            &t.director.1,
        )
        .await;
    assert_eq!(
        (&r["total"]["sales"], &r["total"]["new_customers"]),
        (&json!("12000"), &json!(1))
    );
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&tier=priority&group_by=tier",
            &t.director.1,
        )
        .await;
    assert_eq!(row(&r, "priority")["sales"], "12000");
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&man_class=MAn",
            &t.director.1,
        )
        .await;
    assert_eq!(r["total"]["sales"], "12000");
    let (_, r) = app
        .get(
            &format!("/api/v1/statistics?period=2026-11&product_id={cable}"),
            &t.director.1,
        )
        .await;
    assert_eq!(
        (&r["total"]["sales"], &r["total"]["collected"]),
        (&json!("1500"), &json!("8000"))
    );
    let (_, r) = app
        .get(
            "/api/v1/statistics?from=2026-11-01&to=2026-11-19",
            &t.director.1,
        )
        .await;
    assert_eq!(r["total"]["sales"], "0", "nothing happened before the 20th");

    // Scope: a supervisor sees their team, a salesperson themselves.
    let (_, r) = app
        .get("/api/v1/statistics?period=2026-11", &t.sup_b.1)
        .await;
    assert_eq!(
        (&r["total"]["sales"], r["items"].as_array().unwrap().len()),
        (&json!("1000"), 1)
    );
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&group_by=region",
            &t.rep_a2.1,
        )
        .await;
    assert_eq!(r["total"]["sales"], "5000");
    assert!(!r.to_string().contains("华北"), "{r}");
    let (_, r) = app
        .get(
            &format!("/api/v1/statistics?period=2026-11&owner_id={}", t.rep_a1.0),
            &t.rep_a2.1,
        )
        .await;
    assert_eq!(
        r["total"]["sales"], "0",
        "another rep's figures stay hidden"
    );

    // Bad input names the field.
    for (query, field) in [
        ("group_by=colour", "group_by"),
        ("indicators=sales,profit", "indicators"),
        ("man_class=XYZ", "man_class"),
        ("key_account=vip", "key_account"),
        ("dealer=maybe", "dealer"),
        ("tier=vip", "tier"),
        ("owner_id=abc", "owner_id"),
        ("from=2026-11-10&to=2026-11-01", "to"),
        ("from=2020-01-01&to=2026-11-01", "to"),
        ("from=2026-11-01", "to"),
        ("period=2026-13", "period"),
    ] {
        let (s, e) = app
            .get(&format!("/api/v1/statistics?{query}"), &t.director.1)
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{query}: {e}"
        );
    }

    // Export: CSV of the table, recorded; a salesperson may not.
    let resp = app
        .client
        .get(app.url("/api/v1/statistics/export?period=2026-11&group_by=region&indicators=sales,orders&format=csv"))
        .bearer_auth(&t.director.1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[0], "区域,销售额,订单数");
    assert!(lines.contains(&"华东,35500,2"), "{csv}");
    assert_eq!(lines.last(), Some(&"合计,48500,4"));
    let resp = app
        .client
        .get(app.url("/api/v1/statistics/export?period=2026-11&format=xlsx"))
        .bearer_auth(&t.director.1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
    let (_, audit) = app.get("/api/v1/audit", &app.admin_token).await;
    let exports = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "statistics_export" && e["actor_id"] == t.director.0)
        .count();
    assert_eq!(exports, 2);
    let (s, _) = app
        .get("/api/v1/statistics/export?period=2026-11", a1)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Admin-defined card fields filter too: c3's interest is central air conditioning.
    let (s, f) = app
        .post(
            "/api/v1/custom-fields",
            &app.admin_token,
            json!({"key": "interest", "label": "意向产品", "kind": "choice", "choices": ["节能灯具", "中央空调"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let (s, v) = app
        .patch(
            &format!("/api/v1/customers/{c3}"),
            a2,
            json!({"version": 1, "custom": {"interest": "中央空调"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&cf.interest=中央空调",
            &t.director.1,
        )
        .await;
    assert_eq!(
        (&r["total"]["sales"], &r["total"]["new_customers"]),
        (&json!("5000"), &json!(1)),
        "{r}"
    );
    let (s, e) = app
        .get(
            "/api/v1/statistics?period=2026-11&cf.colour=red",
            &t.director.1,
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );
    let (s, e) = app
        .get(
            "/api/v1/statistics?period=2026-11&cf.interest=冰箱",
            &t.director.1,
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str().is_some()),
        (StatusCode::UNPROCESSABLE_ENTITY, true),
        "{e}"
    );

    // The company's default indicators: set by an admin, checked, applied when none are named.
    let (s, e) = app
        .call(
            Method::PUT,
            "/api/v1/statistics/indicators",
            Some(&app.admin_token),
            Some(json!({"indicators": "sales,profit"})),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("indicators"))
    );
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/statistics/indicators",
            Some(&t.director.1),
            Some(json!({"indicators": "sales"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = app
        .call(
            Method::PUT,
            "/api/v1/statistics/indicators",
            Some(&app.admin_token),
            Some(json!({"indicators": "collected, sales"})),
        )
        .await;
    assert_eq!(
        (s, &v["indicators"]),
        (StatusCode::OK, &json!(["collected", "sales"]))
    );
    let (_, r) = app
        .get("/api/v1/statistics?period=2026-11", &t.director.1)
        .await;
    assert_eq!(r["indicators"], json!(["collected", "sales"]));
    let (_, r) = app
        .get(
            "/api/v1/statistics?period=2026-11&indicators=visits",
            &t.director.1,
        )
        .await;
    assert_eq!(r["indicators"], json!(["visits"]));
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/statistics/indicators",
            Some(&app.admin_token),
            Some(json!({"indicators": ""})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // The page: the table, the charts, money as people read it.
    let (s, html) = app
        .page("/statistics?period=2026-11&group_by=region", &t.director.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("¥35,500.00") && html.contains("66.7%"),
        "{html}"
    );
    assert!(
        html.contains("id=\"statistics-chart\"><svg") && html.contains("id=\"share-chart\"><svg"),
        "{html}"
    );
    // The cube answers as the raw rows do, with changes pending and once they are folded.
    let ids = (t.director.0, t.sup_a.0, t.rep_a1.0);
    cube_answers_as_raw_rows(&app, ids, lamp).await;
    app.store.fold_statistics().await.unwrap();
    cube_answers_as_raw_rows(&app, ids, lamp).await;
    app.assert_rollups_consistent().await;
}

/// For a director, a supervisor and a salesperson, every grouping with each kind of filter
/// and period: the report from the cube equals the report from the raw rows.
async fn cube_answers_as_raw_rows(
    app: &TestApp,
    (director, sup, rep): (i64, i64, i64),
    product: i64,
) {
    use yingpan_domain::person::{Role, Scope};
    use yingpan_domain::statistics::Dimension;
    use yingpan_domain::weekly_report::Period;
    use yingpan_store::{CardFilter, StatisticsFilter, Viewer};
    let viewer = |user_id, role, scope| Viewer {
        org_id: app.org_id,
        user_id,
        role,
        scope,
    };
    let viewers = [
        viewer(director, Role::Director, Scope::All),
        viewer(sup, Role::Supervisor, Scope::Subtree),
        viewer(rep, Role::Sales, Scope::Own),
    ];
    let day = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap();
    let periods = [
        Period::month_of(day(2026, 11)),
        Period {
            start: day(2026, 10),
            end: day(2027, 1),
        },
        Period {
            start: day(2026, 1),
            end: day(2027, 1),
        },
    ];
    let filters = [
        StatisticsFilter::default(),
        StatisticsFilter {
            card: CardFilter {
                region: Some("华东".into()),
                ..Default::default()
            },
            ..Default::default()
        },
        StatisticsFilter {
            product_id: Some(product),
            ..Default::default()
        },
        StatisticsFilter {
            category: Some("照明".into()),
            ..Default::default()
        },
        StatisticsFilter {
            dealer: Some(true),
            ..Default::default()
        },
        StatisticsFilter {
            owner_id: Some(rep),
            ..Default::default()
        },
        StatisticsFilter {
            team_id: Some(sup),
            ..Default::default()
        },
    ];
    let figures = |r: yingpan_store::StatisticsReport| {
        let rows: Vec<_> = r
            .rows
            .into_iter()
            .map(|row| (row.key, row.figures))
            .collect();
        (rows, r.total)
    };
    let mut compared = 0;
    for v in &viewers {
        for period in periods {
            for filter in &filters {
                for by in Dimension::ALL {
                    let cube = app.store.statistics(v, period, by, filter).await.unwrap();
                    let raw = app
                        .store
                        .statistics_raw(v, period, by, filter)
                        .await
                        .unwrap();
                    assert_eq!(
                        figures(cube),
                        figures(raw),
                        "{:?} by {by:?}, {period}, {filter:?}",
                        v.role
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 3 * 3 * 7 * 12);
}

on_both_backends!(statistics_group_filter_and_export_within_scope);
