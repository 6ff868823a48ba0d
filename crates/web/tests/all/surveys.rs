//! Satisfaction surveys on both backends: questionnaires kept by directors, a link answered
//! once and never after it expires, answers taken on the phone, results within scope beside
//! repeat purchase.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn public_form(app: &TestApp, url: &str, pairs: &[(&str, &str)]) -> (StatusCode, String) {
    let resp = app.client.post(url).form(pairs).send().await.unwrap();
    let status = resp.status();
    (status, resp.text().await.unwrap())
}

async fn surveys_are_answered_once_and_read_beside_repeat_purchase(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (a1, b1, director) = (&t.rep_a1.1, &t.rep_b1.1, &t.director.1);
    let questions = "score: 您对产品质量的满意度\nscore: 交货是否及时\ntext?: 其他意见和建议";

    // Questionnaires: directors write them, checked whole.
    assert_eq!(
        app.post(
            "/api/v1/surveys",
            a1,
            json!({"name": "x", "questions": questions})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = app
        .post(
            "/api/v1/surveys",
            director,
            json!({"name": "回访问卷", "questions": "text: 建议"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_score"))
    );
    let (s, survey) = app
        .post(
            "/api/v1/surveys",
            director,
            json!({"name": "交货满意度", "questions": questions}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{survey}");
    let sid = survey["id"].as_i64().unwrap();
    assert_eq!(survey["questions"].as_array().unwrap().len(), 3);
    assert_eq!(survey["questions"][2]["required"], false);

    // Customers: rep_a1's with two orders (a repeat buyer), rep_b1's with none.
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35"}),
        )
        .await;
    let c = app.customer(a1, "满意客户", "12600000001").await["id"]
        .as_i64()
        .unwrap();
    let other = app.customer(b1, "别队客户", "12600000002").await["id"]
        .as_i64()
        .unwrap();
    let mut order_id = 0;
    for _ in 0..2 {
        let (_, o) = app
            .post(
                "/api/v1/orders",
                a1,
                json!({"customer_id": c, "lines": [{"product_id": lamp["id"], "quantity": "2"}]}),
            )
            .await;
        order_id = o["id"].as_i64().unwrap();
    }

    // A link, for a customer in scope only.
    let invite = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/surveys/{sid}/invitations"), &token, body)
                .await
        }
    };
    assert_eq!(
        invite(b1, json!({"customer_id": c})).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = invite(a1, json!({"customer_id": c, "valid_days": 0})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("valid_days"))
    );
    let (s, sent) = invite(a1, json!({"customer_id": c, "order_id": order_id})).await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    let url = sent["url"].as_str().unwrap().to_string();
    let path = url
        .split_once("/s/")
        .map(|(_, t)| format!("/s/{t}"))
        .unwrap();
    let token = path.trim_start_matches("/s/").to_string();
    assert!(token.len() >= 32, "an unguessable token: {url}");
    let stored = common_count(
        &app,
        &format!("SELECT COUNT(*) FROM survey_invitations WHERE token_digest = '{token}'"),
    )
    .await;
    assert_eq!(stored, 0, "only the token's digest is kept");

    // The customer opens it without logging in; a bad answer changes nothing.
    let (s, page) = app.page(&path, "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("您对产品质量的满意度") && page.contains("测试公司"));
    let (s, page) = app.page("/s/not-a-token", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{}", strip_tags(&page));
    let (s, page) = public_form(&app, &app.url(&path), &[("q1", "9"), ("q2", "4")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        strip_tags(&page).contains("1 到 5") || page.contains("id=\"error\""),
        "{}",
        strip_tags(&page)
    );
    let answered = |app: TestApp| async move {
        common_count(
            &app,
            "SELECT COUNT(*) FROM survey_invitations WHERE answered_at IS NOT NULL",
        )
        .await
    };
    assert_eq!(answered(app.clone()).await, 0);
    let (s, page) = public_form(
        &app,
        &app.url(&path),
        &[("q1", "5"), ("q2", "4"), ("q3", "希望送货前先电话")],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", strip_tags(&page));
    assert!(page.contains("谢谢"));
    // Sent twice (a double click, a replay): stored once.
    let (s, page) = public_form(&app, &app.url(&path), &[("q1", "1"), ("q2", "1")]).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("已经提交过"), "{}", strip_tags(&page));
    assert_eq!(app.page(&path, "").await.0, StatusCode::GONE);
    assert_eq!(answered(app.clone()).await, 1);

    // A link past its days takes nothing.
    let (_, short) = invite(a1, json!({"customer_id": c, "valid_days": 1})).await;
    let short_path = format!(
        "/s/{}",
        short["url"].as_str().unwrap().rsplit('/').next().unwrap()
    );
    let later = app.at(app.now() + Duration::days(2)).await;
    let (s, page) = later.page(&short_path, "").await;
    assert_eq!(s, StatusCode::GONE);
    assert!(page.contains("已过期"));
    let (s, _) = public_form(&later, &later.url(&short_path), &[("q1", "5"), ("q2", "5")]).await;
    assert_eq!(s, StatusCode::GONE);
    assert_eq!(answered(app.clone()).await, 1);

    // The clerk takes answers on the phone, for rep_b1's customer too.
    let phone = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/surveys/{sid}/responses"), &token, body)
                .await
        }
    };
    let (s, e) = phone(
        &t.clerk.1,
        json!({"customer_id": other, "answers": {"q1": "3"}}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("q2"))
    );
    let (s, r) = phone(
        &t.clerk.1,
        json!({"customer_id": other, "answers": {"q1": "2", "q2": "3"}}),
    )
    .await;
    assert_eq!(
        (s, r["channel"].as_str()),
        (StatusCode::CREATED, Some("phone"))
    );
    assert_eq!(
        phone(
            a1,
            json!({"customer_id": other, "answers": {"q1": "5", "q2": "5"}})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );

    // Results within scope: the director sees both salespeople, the lowest average first;
    // rep_a1 only their own customer.
    let (s, res) = app
        .get(
            &format!("/api/v1/surveys/{sid}/results?by=salesperson"),
            director,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{res}");
    let rows = res["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{res}");
    assert_eq!(
        (
            rows[0]["name"].as_str(),
            rows[0]["average_score"].as_str(),
            rows[0]["repeat_purchase_pct"].as_str()
        ),
        (Some("rep_b1"), Some("2.50"), Some("0.0"))
    );
    assert_eq!(
        (
            rows[1]["name"].as_str(),
            rows[1]["average_score"].as_str(),
            rows[1]["repeat_purchase_pct"].as_str()
        ),
        (Some("rep_a1"), Some("4.50"), Some("100.0"))
    );
    let (_, mine) = app
        .get(&format!("/api/v1/surveys/{sid}/results?by=customer"), a1)
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["name"], "满意客户");
    let (_, products) = app
        .get(
            &format!("/api/v1/surveys/{sid}/results?by=product"),
            director,
        )
        .await;
    assert_eq!(
        (
            products["items"].as_array().unwrap().len(),
            products["items"][0]["name"].as_str()
        ),
        (1, Some("节能灯")),
        "only the answer about an order counts for its product"
    );
    let (s, e) = app
        .get(
            &format!("/api/v1/surveys/{sid}/results?by=region"),
            director,
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("by"))
    );
    let (_, page) = app.page(&format!("/surveys/{sid}"), director).await;
    let text = strip_tags(&page);
    assert!(
        text.contains("希望送货前先电话") && text.contains("100.0%"),
        "{text}"
    );
    let (_, page) = app.page(&format!("/customers/{c}"), a1).await;
    assert!(
        page.contains("id=\"survey-answers\""),
        "the customer's page lists the answers"
    );

    // Retired, it is sent no more.
    let (s, retired) = app
        .post(
            &format!("/api/v1/surveys/{sid}/active"),
            director,
            json!({"active": false, "version": 1}),
        )
        .await;
    assert_eq!(
        (s, retired["active"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    let (s, e) = invite(a1, json!({"customer_id": c})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("survey_retired"))
    );
    app.assert_audit_in_words().await;
}

async fn common_count(app: &TestApp, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
        .await
        .unwrap();
    sqlx::Row::try_get(&sqlx::query(sql).fetch_one(&mut conn).await.unwrap(), 0).unwrap()
}

on_both_backends!(surveys_are_answered_once_and_read_beside_repeat_purchase);
