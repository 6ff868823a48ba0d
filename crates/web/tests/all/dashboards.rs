//! The dashboard of each level over HTTP on both backends: what each shows, within whose
//! scope, and that every page renders its charts.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use yingpan_web::Clock;

async fn each_level_sees_its_own_granularity_and_scope(backend: Backend) {
    // Tuesday 2026-11-24, 08:00 China time.
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100"}),
        )
        .await;
    let order = |token: &str, customer: &Value, qty: &str| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"customer_id": customer["id"], "lines": [{"product_id": lamp["id"], "quantity": qty}]});
        async move {
            let (s, o) = app.post("/api/v1/orders", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            o
        }
    };
    let c1 = app.customer(&t.rep_a1.1, "甲一机械", "12400000001").await;
    let c5 = app.customer(&t.rep_b1.1, "丙五建材", "12400000005").await;
    let o1 = order(&t.rep_a1.1, &c1, "300").await;
    order(&t.rep_b1.1, &c5, "10").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/orders/{}/payments", o1["id"]),
            &t.clerk.1,
            json!({"kind": "deposit", "amount": "5000"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.patch(
        "/api/v1/targets/2026",
        &t.director.1,
        json!({"version": 0, "lines": [{"measure": "revenue", "assignee_id": t.rep_a1.0, "period": "2026-11", "amount": "50000"}]}),
    )
    .await;
    let (s, _) = app
        .post(
            "/api/v1/targets/2026/publish",
            &t.director.1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // The salesperson's day: no plan yet; then a submitted plan; their own attainment only.
    let (s, d) = app.get("/api/v1/dashboard", &t.rep_a1.1).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(
        (&d["view"], &d["plan_today"]),
        (&json!("today"), &Value::Null)
    );
    assert_eq!(d["attainment"]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(d["attainment"]["rows"][0]["items"][0]["actual"], "30000");
    assert_eq!(d["attainment"]["rows"][0]["items"][0]["percent"], "60");
    let (s, p) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            json!({"plan_date": "2026-11-24", "items": [{"customer_name": "甲一机械", "region": "华东", "start": "09:30", "end": "10:30", "purpose": "service"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, _) = app
        .post(
            &format!("/api/v1/visit-plans/{}/submit", p["id"]),
            &t.rep_a1.1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, d) = app.get("/api/v1/dashboard", &t.rep_a1.1).await;
    assert_eq!(d["plan_today"]["status"], "submitted", "{d}");
    assert_eq!(d["plan_today"]["items"], 1);

    // The supervisor's week: the plan waits for them, not for the other supervisor; the
    // daily report too; receivables of their team only (30,000 − 5,000 not yet due).
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/daily-reports/by-date/2026-11-24",
            Some(&t.rep_a1.1),
            Some(json!({"attendance": "field"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, d) = app.get("/api/v1/dashboard", &t.sup_a.1).await;
    assert_eq!(d["view"], "week");
    assert_eq!(
        (&d["plans_to_review"], &d["reports_to_review"]),
        (&json!(1), &json!(1)),
        "{d}"
    );
    assert_eq!(d["receivables"][0]["ageing"], "not_due");
    assert_eq!(d["receivables"][0]["amount"], "25000", "{d}");
    let (_, d) = app.get("/api/v1/dashboard", &t.sup_b.1).await;
    assert_eq!(
        (&d["plans_to_review"], &d["reports_to_review"]),
        (&json!(0), &json!(0))
    );
    assert_eq!(d["receivables"][0]["amount"], "1000", "{d}");
    let ids: Vec<i64> = d["attainment"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![t.rep_b1.0]);

    // The director's month: both teams, the pipeline's five stages, the registrations.
    let (_, d) = app.get("/api/v1/dashboard", &t.director.1).await;
    assert_eq!(d["view"], "month");
    assert_eq!(d["teams"].as_array().unwrap().len(), 2, "{d}");
    assert_eq!(d["pipeline"].as_array().unwrap().len(), 5);
    assert_eq!(d["ownership_flow"]["register"], 2, "{d}");
    assert_eq!(d["attainment"]["total"]["items"][0]["actual"], "31000");

    // Results: twelve months to this one; a supervisor's trend is their team's.
    let (_, d) = app.get("/api/v1/dashboard?view=results", &t.sup_b.1).await;
    let trend = d["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12, "{d}");
    assert_eq!(
        (&trend[0]["month"], &trend[11]["month"]),
        (&json!("2025-12"), &json!("2026-11"))
    );
    assert_eq!(
        (&trend[11]["revenue"], &trend[11]["orders"]),
        (&json!("1000"), &json!(1))
    );
    let (_, d) = app
        .get("/api/v1/dashboard?view=results", &t.director.1)
        .await;
    assert_eq!(
        (&d["trend"][11]["revenue"], &d["trend"][11]["collected"]),
        (&json!("31000"), &json!("5000"))
    );
    let (s, e) = app.get("/api/v1/dashboard?view=year", &t.director.1).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("view"))
    );

    // Each level's page carries its charts (server-drawn SVG) beside the tables.
    for (token, view, chart) in [
        (&t.rep_a1.1, "today", "attainment-chart"),
        (&t.sup_a.1, "week", "ageing-chart"),
        (&t.director.1, "month", "pipeline-chart"),
        (&t.director.1, "results", "trend-chart"),
    ] {
        let (s, html) = app.page(&format!("/?view={view}"), token).await;
        assert_eq!(s, StatusCode::OK, "{view}");
        let at = html
            .find(&format!("id=\"{chart}\""))
            .unwrap_or_else(|| panic!("{view}: {html}"));
        assert!(
            html[at..]
                .trim_start_matches(|c| c != '>')
                .starts_with("><svg"),
            "{view}"
        );
    }
    let (_, html) = app.page("/", &t.rep_a1.1).await;
    assert!(
        html.contains("¥30,000.00") && !html.contains("丙五建材"),
        "{html}"
    );
    app.assert_rollups_consistent().await;
}

/// The workbench's to-do list: a salesperson's own plan and report, a supervisor's reviews and
/// who has not filed (their team only), customers about to return with the days left; each
/// line goes away once done.
async fn the_workbench_lists_what_waits(backend: Backend) {
    // Tuesday 2026-11-24, 08:00 China time: Monday's report is due, today's plan too.
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(now)).await;
    let t = Team::build(&app).await;
    let waiting = |token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (s, d) = app.get("/api/v1/dashboard", &token).await;
            assert_eq!(s, StatusCode::OK, "{d}");
            d["waiting"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| {
                    let items: Vec<String> = w["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["label"].as_str().unwrap().to_string())
                        .collect();
                    (
                        w["kind"].as_str().unwrap().to_string(),
                        w["count"].as_u64().unwrap(),
                        items,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let kinds =
        |w: &[(String, u64, Vec<String>)]| w.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    let find = |w: &[(String, u64, Vec<String>)], kind: &str| {
        w.iter().find(|x| x.0 == kind).map(|x| (x.1, x.2.clone()))
    };

    let rep = waiting(&t.rep_a1.1).await;
    assert_eq!(kinds(&rep), ["plan_missing", "report_missing"], "{rep:?}");
    assert_eq!(find(&rep, "report_missing").unwrap().1, ["2026-11-23"]);
    let sup = waiting(&t.sup_a.1).await;
    assert_eq!(
        find(&sup, "plans_not_filed"),
        Some((2, vec!["rep_a1".to_string(), "rep_a2".to_string()])),
        "only the supervisor's own team: {sup:?}"
    );
    assert_eq!(find(&sup, "reports_not_filed").unwrap().0, 2);
    assert_eq!(
        find(&waiting(&t.director.1).await, "plans_not_filed")
            .unwrap()
            .0,
        3
    );
    assert!(
        waiting(&t.clerk.1).await.is_empty(),
        "the clerk files no plans"
    );

    // A drafted plan still waits; once submitted it waits for the supervisor instead.
    let (s, p) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            json!({"plan_date": "2026-11-24", "items": [{"customer_name": "甲一机械", "region": "华东", "start": "09:30", "end": "10:30", "purpose": "service"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(kinds(&waiting(&t.rep_a1.1).await)[0], "plan_draft");
    app.post(
        &format!("/api/v1/visit-plans/{}/submit", p["id"]),
        &t.rep_a1.1,
        json!({"version": 1}),
    )
    .await;
    let (s, _) = app
        .call(
            Method::PUT,
            "/api/v1/daily-reports/by-date/2026-11-23",
            Some(&t.rep_a1.1),
            Some(json!({"attendance": "field"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(kinds(&waiting(&t.rep_a1.1).await).is_empty());
    let sup = waiting(&t.sup_a.1).await;
    assert_eq!(
        find(&sup, "plans_to_review"),
        Some((1, vec!["rep_a1 · 2026-11-24".to_string()]))
    );
    assert_eq!(
        find(&sup, "reports_to_review"),
        Some((1, vec!["rep_a1（1）".to_string()]))
    );
    assert_eq!(
        find(&sup, "plans_not_filed"),
        Some((1, vec!["rep_a2".to_string()]))
    );
    assert!(find(&waiting(&t.sup_b.1).await, "plans_to_review").is_none());

    // A customer last contacted six days ago has one day of its seven left.
    let before = app.at(now - chrono::Duration::days(6)).await;
    let c = before
        .customer(&t.rep_a2.1, "乙二商贸", "12400000002")
        .await;
    let (_, d) = app.get("/api/v1/dashboard", &t.rep_a2.1).await;
    assert_eq!(d["days_left"][c["id"].to_string()], 1, "{d}");
    assert!(kinds(&waiting(&t.rep_a2.1).await).contains(&"returning".to_string()));
    let (_, html) = app.page("/", &t.rep_a2.1).await;
    assert!(html.contains("class=\"days-left urgent\">1 天"), "{html}");
    assert!(html.contains("位客户即将掉入公海"), "{html}");
    let (_, html) = app.page("/", &t.clerk.1).await;
    assert!(html.contains("id=\"todo-empty\""), "{html}");

    // The customer page says the same in its header; registering is not a follow-up, and the
    // registration is on the timeline. A logged call is a follow-up and restarts the period.
    let page = format!("/customers/{}", c["id"]);
    let (_, html) = app.page(&page, &t.rep_a2.1).await;
    let head = html.split("id=\"activity-form\"").next().unwrap();
    assert!(
        head.contains("id=\"days-left\"") && head.contains("1 天"),
        "{head}"
    );
    assert!(head.contains("尚无跟进记录"), "{head}");
    let timeline = html.split("id=\"activity-list\"").nth(1).unwrap();
    assert!(timeline.contains("登记"), "{timeline}");
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{}/activities", c["id"]),
            &t.rep_a2.1,
            json!({"kind": "call", "summary": "约了下周见面"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, html) = app.page(&page, &t.rep_a2.1).await;
    let head = html.split("id=\"activity-form\"").next().unwrap();
    assert!(
        head.contains("7 天") && !head.contains("尚无跟进记录"),
        "{head}"
    );
    let timeline = html.split("id=\"activity-list\"").nth(1).unwrap();
    assert!(
        timeline.find("约了下周见面").unwrap() < timeline.find("登记").unwrap(),
        "newest first: {timeline}"
    );
}

on_both_backends!(each_level_sees_its_own_granularity_and_scope);
on_both_backends!(the_workbench_lists_what_waits);
