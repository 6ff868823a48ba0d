//! The defects an independent probe found (issue 10), each kept away by a scenario over real
//! HTTP on both backends: bounded amounts, control characters, errors in the envelope,
//! security headers, login throttling per client, CSRF on cookie-authenticated API writes,
//! the staff directory, pools and claims.

use crate::common;

use crate::common::{Backend, Team, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;
use yingpan_web::{Clock, Config};

async fn count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.db_url).await.unwrap();
    let n: i64 = sqlx::query(sql).fetch_one(&pool).await.unwrap().get(0);
    pool.close().await;
    n
}

/// An answer's status, error code and field, to compare in one assertion.
fn refusal(s: StatusCode, e: &Value) -> (StatusCode, Option<&str>, Option<&str>) {
    (s, e["error"]["code"].as_str(), e["error"]["field"].as_str())
}

async fn amounts_are_bounded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35.50"}),
        )
        .await;
    let lamp = lamp["id"].as_i64().unwrap();
    let (s, e) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "BIG", "name": "天价", "unit": "个", "price": "1000000000000"}),
        )
        .await;
    assert_eq!(
        refusal(s, &e),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("out_of_range"),
            Some("price")
        ),
        "{e}"
    );
    let a = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    // The probe's quantities: one overflowed the multiplication (the handler panicked and the
    // connection dropped), the other was accepted and poisoned every report after it.
    for quantity in [
        "79228162514264337593543950335",
        "99999999999999999999999999",
    ] {
        let (s, e) = app
            .post(
                "/api/v1/orders",
                &t.rep_a1.1,
                json!({"customer_id": a, "lines": [{"product_id": lamp, "quantity": quantity}]}),
            )
            .await;
        assert_eq!(
            refusal(s, &e),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("out_of_range"),
                Some("quantity")
            ),
            "{e}"
        );
    }
    // Each line within bounds, the order past them.
    let (s, e) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            json!({"customer_id": a, "lines": [{"product_id": lamp, "quantity": "1000000000", "unit_price": "999999999999"}]}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lines")),
        "{e}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
    let (s, o) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            json!({"customer_id": a, "lines": [{"product_id": lamp, "quantity": "2"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (s, e) = app
        .post(
            &format!("/api/v1/orders/{}/payments", o["id"]),
            &t.rep_a1.1,
            json!({"kind": "payment", "amount": "79228162514264337593543950335"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("amount"))
    );

    // Rows written before the bounds existed: the reports still answer, with capped figures.
    app.sql("UPDATE orders SET total = '68000000000000000000000000000', paid = '0'")
        .await;
    app.post(
        &format!("/api/v1/orders/{}/payments", o["id"]),
        &t.rep_a1.1,
        json!({"kind": "payment", "amount": "1"}),
    )
    .await;
    let other = app.customer(&t.rep_a2.1, "乙客户", "12200000002").await["id"]
        .as_i64()
        .unwrap();
    let (s, o2) = app
        .post(
            "/api/v1/orders",
            &t.rep_a2.1,
            json!({"customer_id": other, "lines": [{"product_id": lamp, "quantity": "1"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o2}");
    app.sql(&format!(
        "UPDATE orders SET total = '68000000000000000000000000000' WHERE id = {}",
        o2["id"]
    ))
    .await;
    for path in [
        "/api/v1/reports/monthly",
        "/api/v1/receivables",
        "/api/v1/ledgers/sales",
    ] {
        let (s, body) = app.get(path, &t.director.1).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
    }
    for path in ["/monthly", "/ledgers"] {
        let (s, _) = app.page(path, &t.director.1).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
}

async fn control_characters_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (s, e) = app.get("/api/v1/customers?q=a%00b", &t.rep_a1.1).await;
    assert_eq!(
        refusal(s, &e),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("invalid_characters"),
            Some("q")
        ),
        "{e}"
    );
    let (s, e) = app
        .post(
            "/api/v1/customers",
            &t.rep_a1.1,
            json!({"name": "北京\u{0}营盘", "notes": "x"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
        "{e}"
    );
    let id = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    for body in [
        json!({"kind": "call", "summary": "电话\u{0}沟通"}),
        json!({"kind": "call", "summary": "ok", "next_step": "\u{7}"}),
    ] {
        let (s, e) = app
            .post(
                &format!("/api/v1/customers/{id}/activities"),
                &t.rep_a1.1,
                body,
            )
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_characters")),
            "{e}"
        );
    }
    let (s, e) = app
        .post(
            "/api/v1/escalations",
            &t.rep_a1.1,
            json!({"kind": "complaint", "subject": "投诉", "body": "内容\u{0}"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("body")),
        "{e}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM activities").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM escalations").await, 0);
    // A page refuses them with a page, naming the field in words, never by an internal key.
    let (s, page) = app.page("/customers?q=a%00b", &t.rep_a1.1).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("包含不允许的控制字符"), "{page}");
    assert!(!page.contains("field."), "{page}");
    // Line breaks and tabs are text, not control characters to refuse.
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.rep_a1.1,
            json!({"kind": "call", "summary": "第一行\n第二行\t完"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
}

async fn errors_stay_in_the_envelope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    for (path, code, field) in [
        (
            "/api/v1/customers/9223372036854775808",
            "invalid_path",
            "id",
        ),
        ("/api/v1/customers/abc", "invalid_path", "id"),
        ("/api/v1/pool?page=abc", "invalid_query", "page"),
        (
            "/api/v1/opportunities?owner_id=1.5",
            "invalid_query",
            "owner_id",
        ),
    ] {
        let resp = app
            .client
            .get(app.url(path))
            .bearer_auth(&t.rep_a1.1)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = resp.json().await.expect("a JSON body");
        assert_eq!(
            (
                body["error"]["code"].as_str(),
                body["error"]["field"].as_str()
            ),
            (Some(code), Some(field)),
            "{path}: {body}"
        );
    }
    // Absurd years are refused like any other bad date, naming the field.
    for day in ["0000-01-01", "9999-12-31"] {
        let (s, e) = app
            .post(
                "/api/v1/visit-plans",
                &t.rep_a1.1,
                json!({"plan_date": day, "items": []}),
            )
            .await;
        assert_eq!(
            refusal(s, &e),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("out_of_range"),
                Some("plan_date")
            ),
            "{day}: {e}"
        );
        let (s, e) = app
            .call(
                Method::PUT,
                &format!("/api/v1/daily-reports/by-date/{day}"),
                Some(&t.rep_a1.1),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("report_date")),
            "{day}: {e}"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM visit_plans").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM daily_reports").await, 0);
    // A page answers a page.
    let resp = app
        .client
        .get(app.url("/customers/abc"))
        .bearer_auth(&t.rep_a1.1)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("<html"));
}

async fn headers_on_every_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/login", "/api/v1/me", "/nowhere"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-request-id"].len(), 16, "{path}");
    }
    // A caller's own request id is kept (and a hostile one replaced).
    let resp = app
        .client
        .get(app.url("/login"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app
        .client
        .get(app.url("/login"))
        .header("x-request-id", "a b\"<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(resp.headers()["x-request-id"], "a b\"<script>");
}

async fn login(app: &TestApp, username: &str, password: &str, from: &str) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn throttle_is_per_client(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let proxied = app
        .instance(
            Clock::System,
            Config {
                trust_proxy: true,
                ..Config::default()
            },
        )
        .await;
    let (rep_id, _) = app.person("rep", "sales", Some(app.admin_id)).await;
    for _ in 0..5 {
        assert_eq!(
            login(&proxied, "rep", "wrong-one", "203.0.113.9").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (s, e) = login(&proxied, "rep", PASSWORD, "203.0.113.9").await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    // The guesser's address is locked out; the person, elsewhere, is not.
    assert_eq!(
        login(&proxied, "rep", PASSWORD, "198.51.100.7").await.0,
        StatusCode::OK
    );
    // Only an administrator lifts the lock, and then the address may log in at once.
    let rep_token = app.login("rep", PASSWORD).await;
    assert_eq!(
        app.post(
            &format!("/api/v1/users/{rep_id}/unlock"),
            &rep_token,
            json!({})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, body) = app
        .post(
            &format!("/api/v1/users/{rep_id}/unlock"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["cleared_attempts"], 5);
    assert_eq!(
        login(&proxied, "rep", PASSWORD, "203.0.113.9").await.0,
        StatusCode::OK
    );
    // The same from the person's page: a button, then a notice.
    let resp = app
        .client
        .post(app.url(&format!("/admin/users/{rep_id}/unlock")))
        .bearer_auth(&app.admin_token)
        .form(&[("csrf", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    let (s, page) = app.page(&to, &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"notice\""), "{page}");
    let (_, page) = app
        .page(&format!("/admin/users/{rep_id}"), &app.admin_token)
        .await;
    assert!(!page.contains("id=\"notice\""));

    // A device that logged in before keeps logging in while its address is locked out.
    let device = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let from_device = |password: &'static str| {
        let (device, url) = (device.clone(), proxied.url("/api/v1/auth/login"));
        async move {
            device
                .post(url)
                .header("x-forwarded-for", "192.0.2.1")
                .json(&json!({"username": "rep", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(from_device(PASSWORD).await, StatusCode::OK);
    for _ in 0..6 {
        login(&proxied, "rep", "wrong-one", "192.0.2.1").await;
    }
    assert_eq!(
        login(&proxied, "rep", PASSWORD, "192.0.2.1").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(from_device(PASSWORD).await, StatusCode::OK);

    // Clients that never keep the device cookie do not grow the table without end.
    for _ in 0..22 {
        assert_eq!(
            login(&app, "rep", PASSWORD, "unused").await.0,
            StatusCode::OK
        );
    }
    let kept = count(
        &app,
        &format!("SELECT COUNT(*) FROM known_devices WHERE user_id = {rep_id}"),
    )
    .await;
    assert_eq!(kept, 20);
}

async fn simultaneous_logins_check_at_most_five_passwords(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.person("rep", "sales", Some(app.admin_id)).await;
    let app = Arc::new(app);
    let mut handles = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        handles.push(tokio::spawn(async move {
            // The right password among the wrong ones.
            let pw = if i == 39 { PASSWORD } else { "wrong-one" };
            login(&app, "rep", pw, "unused").await.0
        }));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= 5, "{checked} passwords checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| [
            StatusCode::OK,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ]
        .contains(s)),
        "{statuses:?}"
    );
}

async fn cookie_api_writes_need_the_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let _ = &t;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf_of = |html: &str| {
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        html[start..start + html[start..].find('"').unwrap()].to_string()
    };
    let resp = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "rep_a1"),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    // Reading with the cookie is fine; writing needs the session's token.
    let resp = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let forged = browser
        .post(app.url("/api/v1/customers"))
        .json(&json!({"name": "伪造客户"}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf_failed");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM customers").await, 0);
    let form = browser
        .get(app.url("/customers/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let resp = browser
        .post(app.url("/api/v1/customers"))
        .header("x-csrf-token", csrf_of(&form))
        .json(&json!({"name": "真实客户"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

async fn directory_pools_and_claims(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    // Salespeople do not read the staff directory through the API either.
    assert_eq!(
        app.get("/api/v1/users", &t.rep_a1.1).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/api/v1/users/{}", t.rep_a2.0), &t.rep_a1.1)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, me) = app
        .get(&format!("/api/v1/users/{}", t.rep_a1.0), &t.rep_a1.1)
        .await;
    assert_eq!(
        (s, me["username"].as_str()),
        (StatusCode::OK, Some("rep_a1"))
    );
    for who in [&t.sup_a.1, &t.clerk.1, &t.director.1] {
        let (s, list) = app.get("/api/v1/users", who).await;
        assert_eq!(s, StatusCode::OK);
        assert!(list["total"].as_i64().unwrap() >= 8);
    }

    // Weak passwords are refused, naming the field, and create nobody.
    for weak in ["password", "12345678", "        ", "newcomer"] {
        let (s, e) = app
            .post(
                "/api/v1/users",
                &app.admin_token,
                json!({"username": "newcomer", "password": weak, "display_name": "新人", "role": "sales", "superior_id": t.sup_a.0}),
            )
            .await;
        assert_eq!(
            refusal(s, &e),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("weak_password"),
                Some("password")
            ),
            "{weak:?}: {e}"
        );
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM users WHERE username = 'newcomer'"
        )
        .await,
        0
    );

    // Someone else's customer and a missing id answer the same to a claimant.
    let theirs = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    let missing = app
        .post("/api/v1/customers/999999/claim", &t.rep_b1.1, json!({}))
        .await;
    let owned = app
        .post(
            &format!("/api/v1/customers/{theirs}/claim"),
            &t.rep_b1.1,
            json!({}),
        )
        .await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    assert_eq!(owned.0, missing.0);
    assert_eq!(owned.1["error"]["code"], missing.1["error"]["code"]);
    // Within scope it is plain that the customer has an owner.
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{theirs}/claim"),
            &t.sup_a.1,
            json!({})
        )
        .await
        .0,
        StatusCode::CONFLICT
    );

    // A members-only pool is closed to a clerk who reads every customer.
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    let (s, _) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"clerk_visibility": "all", "version": org["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, pool) = app
        .post(
            "/api/v1/pools",
            &app.admin_token,
            json!({"name": "甲队公海"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pool}");
    let pool_id = pool["id"].as_i64().unwrap();
    let (s, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/pools/{pool_id}/members"),
            Some(&app.admin_token),
            Some(json!({"members": [{"user_id": t.rep_a1.0}, {"user_id": t.rep_a2.0}]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let in_team_pool = app
        .post(
            "/api/v1/customers",
            &t.rep_a1.1,
            json!({"name": "甲队客户", "region": "华南"}),
        )
        .await
        .1["id"]
        .as_i64()
        .unwrap();
    app.store
        .recycle(chrono::Utc::now() + chrono::Duration::days(40))
        .await
        .unwrap();
    let (_, seen) = app.get("/api/v1/pool", &t.clerk.1).await;
    assert!(
        !seen["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == in_team_pool),
        "{seen}"
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{in_team_pool}/claim"),
            &t.clerk.1,
            json!({})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{in_team_pool}/claim"),
            &t.rep_a2.1,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
}

/// The dashboard warns of exactly what the recycle will do: pool and tier periods included
/// (it used the company's period for everyone). And every spelling of a landline meets.
async fn warnings_follow_the_recycle_rules(backend: Backend) {
    let t0 = chrono::Utc::now();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let (s, north) = app
        .post(
            "/api/v1/pools",
            &app.admin_token,
            json!({"name": "华北公海", "region": "华北", "protection_days": 10}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{north}");
    let reg = |body: Value| {
        let app = app.clone();
        let token = t.rep_a1.1.clone();
        async move {
            let (s, c) = app.post("/api/v1/customers", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            c["id"].as_i64().unwrap()
        }
    };
    reg(json!({"name": "华北长周期客户", "region": "华北", "phone": "+86 21 5888 1234"})).await;
    reg(json!({"name": "公司池短周期客户"})).await;
    let (s, e) = app
        .post(
            "/api/v1/customers",
            &t.rep_b1.1,
            json!({"name": "另一个名字", "phone": "021-5888 1234"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["duplicates"][0]["rule"].as_str()),
        (StatusCode::CONFLICT, Some("phone")),
        "{e}"
    );

    // Day 6, warned 2 days ahead: the company pool's 7 days end on day 7; 华北's 10 on day 10.
    let day6 = app.at(t0 + chrono::Duration::days(6)).await;
    let (s, page) = day6.page("/", &t.rep_a1.1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("公司池短周期客户"), "{page}");
    assert!(!page.contains("华北长周期客户"), "{page}");
    let day9 = app.at(t0 + chrono::Duration::days(9)).await;
    let (_, page) = day9.page("/", &t.rep_a1.1).await;
    assert!(page.contains("华北长周期客户"));
    // And the recycle agrees with the warning.
    assert_eq!(
        app.store
            .recycle(t0 + chrono::Duration::days(7) + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
}

/// A transfer takes the customer's open work with it: the old owner no longer reads or works
/// its open opportunity and unpaid order; the new owner does. What was earned stays.
async fn open_work_follows_the_customer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35.50"}),
        )
        .await;
    let c = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    let opp = |name: &str| {
        let (app, token) = (app.clone(), t.rep_a1.1.clone());
        let body = json!({"customer_id": c, "name": name, "amount": "5000"});
        async move {
            let (s, o) = app.post("/api/v1/opportunities", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
            o["id"].as_i64().unwrap()
        }
    };
    let open = opp("二期").await;
    let won = opp("一期").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/opportunities/{won}/won"),
            &t.rep_a1.1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, order) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            json!({"customer_id": c, "lines": [{"product_id": lamp["id"], "quantity": "10"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    let order = order["id"].as_i64().unwrap();

    let (s, r) = app
        .post(
            "/api/v1/customers/transfer",
            &t.sup_a.1,
            json!({"customer_ids": [c], "to_user_id": t.rep_a2.0, "reason": "区域调整"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");

    let (old, new) = (&t.rep_a1.1, &t.rep_a2.1);
    for path in [
        format!("/api/v1/opportunities/{open}"),
        format!("/api/v1/orders/{order}"),
    ] {
        assert_eq!(app.get(&path, old).await.0, StatusCode::NOT_FOUND, "{path}");
        let (s, body) = app.get(&path, new).await;
        assert_eq!(
            (s, body["owner_id"].as_i64()),
            (StatusCode::OK, Some(t.rep_a2.0)),
            "{path}"
        );
    }
    let (s, _) = app
        .post(
            &format!("/api/v1/orders/{order}/payments"),
            old,
            json!({"kind": "payment", "amount": "10"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app
        .post(
            &format!("/api/v1/orders/{order}/payments"),
            new,
            json!({"kind": "payment", "amount": "10"}),
        )
        .await;
    assert_eq!((s, p["paid"].as_str()), (StatusCode::OK, Some("10")), "{p}");
    let (_, theirs) = app.get("/api/v1/receivables", old).await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "{theirs}");
    let (_, mine) = app.get("/api/v1/receivables", new).await;
    assert_eq!(mine["items"][0]["id"], order, "{mine}");
    let (s, o) = app
        .post(
            &format!("/api/v1/opportunities/{open}/won"),
            new,
            json!({"version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    // The deal the old owner won stays theirs.
    let (s, w) = app.get(&format!("/api/v1/opportunities/{won}"), old).await;
    assert_eq!(
        (s, w["owner_id"].as_i64()),
        (StatusCode::OK, Some(t.rep_a1.0))
    );
}

/// Lookalike spellings do not get past the duplicate check (issue 10, defect 15).
async fn forged_spellings_are_duplicates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    for (name, email) in [
        ("北京营盘科技有限公司", None),
        ("Acme Trading", Some("info@acme.cn")),
    ] {
        let mut body = json!({"name": name});
        if let Some(e) = email {
            body["email"] = e.into();
        }
        let (s, c) = app.post("/api/v1/customers", &t.rep_a1.1, body).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    for forged in [
        "\u{F963}京营盘科技",
        "Аcme Trading",
        "𝐀cme Trading",
        "北京营\u{200B}盘科技",
    ] {
        let (s, e) = app
            .post("/api/v1/customers", &t.rep_b1.1, json!({"name": forged}))
            .await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("duplicate_customer")),
            "{forged}: {e}"
        );
    }
    let (s, e) = app
        .post(
            "/api/v1/customers",
            &t.rep_b1.1,
            json!({"name": "新公司", "email": "info\u{200B}@acme.cn"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
    let (s, e) = app
        .post(
            "/api/v1/customers",
            &t.rep_b1.1,
            json!({"name": "\u{200B}"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("required"))
    );
    let (_, all) = app.get("/api/v1/customers", &app.admin_token).await;
    assert_eq!(all["total"], 2, "refused registrations stored nothing");
}

/// A writer held elsewhere (a long import, a backup) makes a write wait within a bound and then
/// answer 503 with Retry-After, never 500; once the writer is free the same write succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_writer_answers_503() {
    use sqlx::Connection;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = Team::build(&app).await;
    let id = app.customer(&t.rep_a1.1, "甲客户", "12200000001").await["id"]
        .as_i64()
        .unwrap();
    let mut holder = sqlx::AnyConnection::connect(&app.db_url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/customers/{id}/activities")))
        .bearer_auth(&t.rep_a1.1)
        .json(&json!({"kind": "call", "summary": "电话"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().contains_key("retry-after"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy");
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.rep_a1.1,
            json!({"kind": "call", "summary": "电话"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM activities").await, 1);
}

/// Registrations lock the customer's keys, not the company: sixteen simultaneous registrations
/// of different customers all succeed, and sixteen of one customer (by its phone, its name or
/// its e-mail, differently spelled) register it exactly once — the others are told of it.
async fn simultaneous_registrations_lock_keys_not_the_company(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sup = app.person("boss", "supervisor", Some(app.admin_id)).await;
    let mut reps = Vec::new();
    for i in 0..16 {
        reps.push(app.person(&format!("rep{i}"), "sales", Some(sup.0)).await);
    }
    let register = |token: String, body: serde_json::Value| {
        let app = app.clone();
        tokio::spawn(async move { app.post("/api/v1/customers", &token, body).await })
    };
    let mut different = Vec::new();
    for (i, (_, token)) in reps.iter().enumerate() {
        different.push(register(
            token.clone(),
            json!({"kind": "company", "name": format!("并发客户{i}"), "phone": format!("1380000{i:04}")}),
        ));
    }
    for h in different {
        let (s, c) = h.await.unwrap();
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let mut same = Vec::new();
    for (i, (_, token)) in reps.iter().enumerate() {
        // One customer, met by sixteen people who write it each their own way.
        let body = match i % 3 {
            0 => {
                json!({"kind": "company", "name": "宁波恒达机械有限公司", "phone": "139 0000 7777"})
            }
            1 => {
                json!({"kind": "company", "name": "宁波恒达机械", "email": "Buy@HengDa.example.com"})
            }
            _ => {
                json!({"kind": "company", "name": "恒达机械（宁波）有限公司", "phone": "+86 13900007777", "email": "buy@hengda.example.com"})
            }
        };
        same.push(register(token.clone(), body));
    }
    let mut created = 0;
    for h in same {
        let (s, c) = h.await.unwrap();
        match s {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("{other}: {c}"),
        }
    }
    let (_, list) = app
        .get("/api/v1/customers?per_page=100", &app.admin_token)
        .await;
    assert_eq!(list["total"], 16 + created);
    assert!(created >= 1, "the customer was registered");
    // Variants sharing no key with each other may each register once; those that share one
    // never both do: at most one per distinct key set, and here every set shares a key.
    assert_eq!(created, 1, "{list}");
}

/// Sixteen simultaneous claims, ten rounds: each round every claimant races for its own pool
/// customer and, at the same time, half of them for one shared customer. No answer is a 500
/// (the probe saw `deadlock detected` on PostgreSQL), every customer ends with one owner.
async fn simultaneous_claims_never_deadlock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let sup = app.person("boss", "supervisor", Some(app.admin_id)).await;
    let mut reps = Vec::new();
    for i in 0..16 {
        reps.push(
            app.person(&format!("claimer{i}"), "sales", Some(sup.0))
                .await,
        );
    }
    for round in 0..10 {
        let mut ids = Vec::new();
        for i in 0..17 {
            let c = app
                .customer(
                    &sup.1,
                    &format!("公海客户{round}-{i}"),
                    &format!("1390{round:02}{i:05}"),
                )
                .await;
            ids.push(c["id"].as_i64().unwrap());
        }
        for id in &ids {
            let (s, e) = app
                .post(
                    &format!("/api/v1/customers/{id}/release"),
                    &sup.1,
                    json!({"reason": "压力测试"}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{e}");
        }
        let shared = ids[16];
        let mut tasks = Vec::new();
        for (i, (_, token)) in reps.iter().enumerate() {
            for id in [ids[i], shared] {
                if id == shared && i % 2 == 1 {
                    continue;
                }
                let (client, url, token) = (
                    app.client.clone(),
                    app.url(&format!("/api/v1/customers/{id}/claim")),
                    token.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    client
                        .post(url)
                        .bearer_auth(token)
                        .json(&json!({}))
                        .send()
                        .await
                        .unwrap()
                        .status()
                }));
            }
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert!(
            statuses
                .iter()
                .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
            "round {round}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            17,
            "round {round}: each customer claimed once: {statuses:?}"
        );
    }
    app.assert_tally_consistent().await;
}

on_both_backends!(
    simultaneous_claims_never_deadlock,
    simultaneous_registrations_lock_keys_not_the_company,
    forged_spellings_are_duplicates,
    open_work_follows_the_customer,
    warnings_follow_the_recycle_rules,
    amounts_are_bounded,
    control_characters_are_refused,
    errors_stay_in_the_envelope,
    headers_on_every_answer,
    throttle_is_per_client,
    simultaneous_logins_check_at_most_five_passwords,
    cookie_api_writes_need_the_csrf_token,
    directory_pools_and_claims,
);
