//! After-sales service on both backends: tickets follow their lifecycle within scope, a passed
//! deadline reaches the assignee's superiors once, return visits follow deliveries and
//! resolutions and are recorded as calls.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
        .await
        .unwrap();
    sqlx::Row::try_get(&sqlx::query(sql).fetch_one(&mut conn).await.unwrap(), 0).unwrap()
}

async fn tickets_follow_their_lifecycle_and_deadlines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (a1, a2, b1, sup_a) = (&t.rep_a1.1, &t.rep_a2.1, &t.rep_b1.1, &t.sup_a.1);

    // Settings: admins only, refused whole when a deadline is zero or the response comes later
    // than the resolution.
    let (s, settings) = app.get("/api/v1/service-settings", a1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(settings["high"]["response_hours"], 4, "the default");
    let mut wanted = settings.clone();
    wanted["high"] = json!({"response_hours": 2, "resolution_hours": 10});
    let put = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/service-settings",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(put(sup_a, wanted.clone()).await.0, StatusCode::FORBIDDEN);
    let mut zero = wanted.clone();
    zero["low"]["resolution_hours"] = json!(0);
    let (s, e) = put(&app.admin_token, zero).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("low.resolution_hours")
        )
    );
    let mut late = wanted.clone();
    late["normal"] = json!({"response_hours": 80, "resolution_hours": 72});
    let (s, e) = put(&app.admin_token, late).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("after_resolution"))
    );
    assert_eq!(app.get("/api/v1/service-settings", a1).await.1, settings);
    let (s, saved) = put(&app.admin_token, wanted.clone()).await;
    assert_eq!((s, &saved), (StatusCode::OK, &wanted));

    let c = app.customer(a1, "售后客户", "12500000001").await["id"]
        .as_i64()
        .unwrap();
    let other = app.customer(b1, "别队客户", "12500000002").await["id"]
        .as_i64()
        .unwrap();
    let file = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/tickets", &token, body).await }
    };
    for (body, field) in [
        (
            json!({"customer_id": c, "category": "complaint"}),
            "subject",
        ),
        (
            json!({"customer_id": c, "category": "praise", "subject": "x"}),
            "category",
        ),
        (
            json!({"customer_id": c, "category": "complaint", "severity": "urgent", "subject": "x"}),
            "severity",
        ),
        (
            json!({"customer_id": c, "category": "complaint", "subject": "x", "assignee_id": t.rep_b1.0}),
            "assignee_id",
        ),
        (
            json!({"customer_id": c, "category": "complaint", "subject": "x", "order_id": 999999}),
            "order_id",
        ),
    ] {
        let (s, e) = file(a1, body.clone()).await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body} → {e}"
        );
    }
    assert_eq!(
        file(
            a1,
            json!({"customer_id": other, "category": "complaint", "subject": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND,
        "a customer outside the scope"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tickets").await, 0);

    // The clerk logs a call; the ticket goes to the customer's owner with the high deadlines.
    let (s, ticket) = file(
        &t.clerk.1,
        json!({"customer_id": c, "category": "complaint", "severity": "high", "subject": "设备异响", "description": "客户来电：第二批设备运行有异响。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    let filed = at(&ticket["created_at"]);
    assert_eq!(
        (
            ticket["status"].as_str(),
            ticket["assignee_id"].as_i64(),
            at(&ticket["response_due"]) - filed,
            at(&ticket["resolution_due"]) - filed,
        ),
        (
            Some("new"),
            Some(t.rep_a1.0),
            Duration::hours(2),
            Duration::hours(10)
        )
    );

    // Reached by the owner, the owner's superiors and who filed it; nobody else.
    let path = format!("/api/v1/tickets/{id}");
    for (token, status) in [
        (a1, StatusCode::OK),
        (sup_a, StatusCode::OK),
        (&t.director.1, StatusCode::OK),
        (&t.clerk.1, StatusCode::OK),
        (a2, StatusCode::NOT_FOUND),
        (b1, StatusCode::NOT_FOUND),
        (&t.sup_b.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path, token).await.0, status);
    }
    let (_, list) = app.get("/api/v1/tickets", b1).await;
    assert_eq!(list["total"], 0);
    let (_, list) = app.get("/api/v1/tickets?assignee_id=me&open=1", a1).await;
    assert_eq!(
        (list["total"].as_i64(), list["items"][0]["id"].as_i64()),
        (Some(1), Some(id))
    );
    let (s, e) = app.get("/api/v1/tickets?severity=urgent", a1).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("severity"))
    );

    let step = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/tickets/{id}/steps"), &token, body)
                .await
        }
    };
    assert_eq!(
        step(b1, json!({"step": "start", "version": 1})).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = step(a1, json!({"step": "close", "version": 1})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("ticket_step_not_allowed")
        )
    );
    assert_eq!(
        step(a1, json!({"step": "start", "version": 7})).await.0,
        StatusCode::CONFLICT
    );

    // Three hours on, nobody answered: the sweep tells rep_a1's superiors, once.
    let sweep = |hours: i64| {
        let store = app.store.clone();
        async move {
            store
                .escalate_overdue_tickets(true, filed + Duration::hours(hours))
                .await
                .unwrap()
        }
    };
    app.sql("UPDATE users SET email = 'sup_a@example.com' WHERE username = 'sup_a'")
        .await;
    assert_eq!(sweep(1).await, 0, "within the deadline");
    assert_eq!(sweep(3).await, 1);
    assert_eq!(sweep(3).await, 0, "each deadline escalates once");
    for (token, n) in [(sup_a, 1), (&t.director.1, 1), (a1, 0), (&t.sup_b.1, 0)] {
        let (_, inbox) = app.get("/api/v1/inbox", token).await;
        assert_eq!(inbox["total"], n, "{inbox}");
        if n == 1 {
            let e = &inbox["items"][0]["escalation"];
            assert_eq!(
                (
                    e["kind"].as_str(),
                    e["ticket_id"].as_i64(),
                    e["body"].as_str()
                ),
                (Some("ticket_overdue"), Some(id), Some("response"))
            );
        }
    }
    // The escalation page says which deadline passed, in words, and links the ticket.
    let (_, inbox) = app.get("/api/v1/inbox", sup_a).await;
    let eid = inbox["items"][0]["escalation"]["id"].as_i64().unwrap();
    let (_, page) = app.page(&format!("/escalations/{eid}"), sup_a).await;
    assert!(
        page.contains("已超过响应时限") && page.contains(&format!("/tickets/{id}")),
        "{}",
        strip_tags(&page)
    );
    // Seen from eleven hours on, both deadlines have passed.
    let later = app.at(filed + Duration::hours(11)).await;
    let (_, overdue) = later.get("/api/v1/tickets?overdue=1", sup_a).await;
    assert_eq!(overdue["total"], 1);
    assert_eq!(
        overdue["items"][0]["overdue"],
        json!(["response", "resolution"])
    );
    assert_eq!(sweep(11).await, 1, "the resolution deadline, once");
    assert_eq!(app.get("/api/v1/inbox", sup_a).await.1["total"], 2);

    // The owner answers, resolves (which needs the resolution), the clerk closes, then reopens.
    let (s, started) = step(a1, json!({"step": "start", "version": 1})).await;
    assert_eq!(s, StatusCode::OK, "{started}");
    assert_eq!(started["status"], "in_progress");
    assert!(started["first_response_at"].is_string());
    let (s, e) = step(a1, json!({"step": "resolve", "body": " ", "version": 2})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body"))
    );
    let (s, resolved) = step(
        a1,
        json!({"step": "resolve", "body": "更换轴承，试机正常。", "version": 2}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{resolved}");
    assert_eq!(
        (resolved["status"].as_str(), resolved["resolution"].as_str()),
        (Some("resolved"), Some("更换轴承，试机正常。"))
    );
    assert_eq!(
        resolved["overdue"],
        json!([]),
        "a resolved ticket is never late"
    );
    // Resolving scheduled a return visit three days on (the default).
    let (_, visits) = app.get("/api/v1/return-visits?within_days=2", a1).await;
    assert_eq!(visits["total"], 0);
    let (_, visits) = app.get("/api/v1/return-visits?within_days=4", a1).await;
    assert_eq!(
        (
            visits["total"].as_i64(),
            visits["items"][0]["source"].as_str()
        ),
        (Some(1), Some("ticket"))
    );
    let (s, closed) = step(&t.clerk.1, json!({"step": "close", "version": 3})).await;
    assert_eq!(
        (s, closed["status"].as_str()),
        (StatusCode::OK, Some("closed"))
    );
    let (_, reopened) = step(
        sup_a,
        json!({"step": "reopen", "body": "客户又来电", "version": 4}),
    )
    .await;
    assert_eq!(
        (reopened["status"].as_str(), reopened["resolution"].as_str()),
        (Some("in_progress"), None)
    );
    // Handed to a colleague in the supervisor's team: rep_a2 now reaches it.
    let (s, handed) = step(
        sup_a,
        json!({"step": "assign", "assignee_id": t.rep_a2.0, "version": 5}),
    )
    .await;
    assert_eq!(
        (s, handed["assignee_id"].as_i64()),
        (StatusCode::OK, Some(t.rep_a2.0))
    );
    assert_eq!(app.get(&path, a2).await.0, StatusCode::OK);
    let (_, full) = app.get(&path, a2).await;
    let steps: Vec<&str> = full["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["start", "resolve", "close", "reopen", "assign"]);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM return_visits WHERE source = 'ticket' AND source_id = {id}"
            )
        )
        .await,
        1,
        "resolving again would not schedule a second visit"
    );

    // The pages: the list, the ticket with its history, the customer's timeline.
    let (s, page) = app.page("/tickets?open=1", sup_a).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("设备异响"), "{}", strip_tags(&page));
    assert!(
        !page.contains("days-left urgent"),
        "not late yet when read now"
    );
    let (_, page) = later.page("/tickets?open=1", sup_a).await;
    assert!(
        page.contains("days-left urgent"),
        "late when read eleven hours on"
    );
    let (s, page) = app.page(&format!("/tickets/{id}"), a2).await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("更换轴承") && text.contains("重新打开") && text.contains("处理中"),
        "{text}"
    );
    let (_, page) = app.page(&format!("/customers/{c}"), a1).await;
    assert!(
        page.contains(&format!("/tickets/{id}")),
        "the customer's timeline"
    );
    assert_eq!(
        app.page(&format!("/tickets/{id}"), b1).await.0,
        StatusCode::NOT_FOUND
    );
    // Each escalation e-mailed the superiors who have an address: sup_a, twice.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM email_outbox WHERE to_address = 'sup_a@example.com' AND subject LIKE '%工单超时%设备异响%'"
        )
        .await,
        2
    );
    app.assert_audit_in_words().await;
}

async fn return_visits_follow_deliveries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (a1, b1) = (&t.rep_a1.1, &t.rep_b1.1);
    let (_, settings) = app.get("/api/v1/service-settings", a1).await;
    let mut s2 = settings.clone();
    s2["return_visit_after_delivery_days"] = json!(2);
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/service-settings",
            Some(&app.admin_token),
            Some(s2),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35.50"}),
        )
        .await;
    let c = app.customer(a1, "回访客户", "12500000011").await["id"]
        .as_i64()
        .unwrap();
    let (s, o) = app
        .post(
            "/api/v1/orders",
            a1,
            json!({"customer_id": c, "lines": [{"product_id": lamp["id"], "quantity": "4"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let oid = o["id"].as_i64().unwrap();
    let deliver = |status: &str, version: i64| {
        let app = app.clone();
        let token = t.clerk.1.clone();
        let body = json!({"status": status, "version": version});
        async move {
            app.post(&format!("/api/v1/orders/{oid}/delivery"), &token, body)
                .await
        }
    };
    let (_, visits) = app.get("/api/v1/return-visits?within_days=30", a1).await;
    assert_eq!(visits["total"], 0, "nothing before delivery");
    let (s, d) = deliver("delivered", 1).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    // Delivered again after a return: still one visit.
    deliver("returned", 2).await;
    deliver("delivered", 3).await;
    let (_, soon) = app.get("/api/v1/return-visits?within_days=1", a1).await;
    assert_eq!(soon["total"], 0, "due two days after delivery");
    let (_, visits) = app.get("/api/v1/return-visits?within_days=3", a1).await;
    assert_eq!(visits["total"], 1, "{visits}");
    let v = &visits["items"][0];
    assert_eq!(
        (
            v["source"].as_str(),
            v["source_id"].as_i64(),
            v["customer_id"].as_i64()
        ),
        (Some("order"), Some(oid), Some(c))
    );
    let vid = v["id"].as_i64().unwrap();
    let (_, none) = app.get("/api/v1/return-visits?within_days=3", b1).await;
    assert_eq!(none["total"], 0, "another team's customer");
    let (s, e) = app.get("/api/v1/return-visits?within_days=400", a1).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("within_days"))
    );

    let record = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/return-visits/{vid}"), &token, body)
                .await
        }
    };
    assert_eq!(
        record(b1, json!({"result": "satisfied", "summary": "x"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = record(a1, json!({"result": "happy", "summary": "x"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("result"))
    );
    let (s, e) = record(a1, json!({"result": "satisfied"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("summary"))
    );
    let activities = |app: TestApp, token: String| async move {
        app.get(&format!("/api/v1/customers/{c}/activities"), &token)
            .await
            .1["total"]
            .as_i64()
            .unwrap()
    };
    let before = activities(app.clone(), a1.clone()).await;
    // Nobody answered: the try is logged as a call, the visit stays due.
    let (s, tried) = record(a1, json!({"result": "unreachable", "summary": "无人接听"})).await;
    assert_eq!(s, StatusCode::OK, "{tried}");
    assert_eq!(
        (tried["attempts"].as_i64(), tried["done_at"].is_null()),
        (Some(1), true)
    );
    // The due page lists it with its record form.
    let (s, page) = app.page("/due?within_days=3", a1).await;
    assert_eq!(s, StatusCode::OK);
    let list = page
        .split_once("id=\"return-visit-list\"")
        .map(|x| x.1)
        .unwrap_or("");
    assert!(
        list.contains("回访客户") && list.contains(&format!("/return-visits/{vid}")),
        "{}",
        strip_tags(&page)
    );
    let (s, done) = record(
        a1,
        json!({"result": "satisfied", "summary": "客户对交货满意"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(
        (done["result"].as_str(), done["done_at"].is_string()),
        (Some("satisfied"), true)
    );
    assert_eq!(activities(app.clone(), a1.clone()).await, before + 2);
    let (s, e) = record(a1, json!({"result": "neutral", "summary": "again"})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("return_visit_done"))
    );
    assert_eq!(
        activities(app.clone(), a1.clone()).await,
        before + 2,
        "nothing written"
    );
    let (_, left) = app.get("/api/v1/return-visits?within_days=3", a1).await;
    assert_eq!(left["total"], 0);
    app.assert_audit_in_words().await;
}

on_both_backends!(
    tickets_follow_their_lifecycle_and_deadlines,
    return_visits_follow_deliveries
);
