//! Campaigns on both backends, against a real SMTP server and a real HTTP SMS gateway on
//! loopback: a campaign reaches exactly the opted-in, non-capped customers of the segment
//! within the sender's scope; failures are retried; an unsubscribe link works once asked;
//! scheduled sending waits; tests count nowhere; letters print.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use axum::http::StatusCode as AxumStatus;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use yingpan_exchange::campaign::Sender;
use yingpan_web::mailer::SmtpSettings;
use yingpan_web::{Clock, Config};

/// The mobile number whose first message the gateway refuses (a busy provider).
const FLAKY: &str = "13900000002";

/// An SMS provider on loopback: keeps every request body; answers `{"code": 0}`, except a 500
/// to the first message for [`FLAKY`].
async fn fake_gateway() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::<Value>::new()));
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                let mut seen = kept.lock().unwrap();
                seen.push(body.clone());
                let tries = seen
                    .iter()
                    .filter(|v| v["mobile"] == body["mobile"])
                    .count();
                if body["mobile"] == FLAKY && tries == 1 {
                    (AxumStatus::INTERNAL_SERVER_ERROR, "busy".to_string())
                } else {
                    (AxumStatus::OK, r#"{"code": 0, "msg": "ok"}"#.to_string())
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
        .await
        .unwrap();
    sqlx::Row::try_get(&sqlx::query(sql).fetch_one(&mut conn).await.unwrap(), 0).unwrap()
}

async fn customer(app: &TestApp, token: &str, body: Value) -> i64 {
    let (s, c) = app.post("/api/v1/customers", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

fn statuses(c: &Value) -> Value {
    c["counts"].clone()
}

async fn campaigns_reach_the_segment_within_scope_and_the_cap(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (a1, b1) = (&t.rep_a1.1, &t.rep_b1.1);
    let (gateway, seen) = fake_gateway().await;
    let (smtp_port, mails) = crate::notifications::fake_smtp().await;
    let smtp = SmtpSettings {
        url: format!("smtp://127.0.0.1:{smtp_port}"),
        from: "营盘 <noreply@example.com>".into(),
    };
    let sender = Sender {
        smtp: Some(smtp.clone()),
        public_url: app.base.clone(),
        http: reqwest::Client::new(),
    };
    let settings = |cap: u32| {
        json!({"cap": {"messages": cap, "days": 30}, "sms": {"url": gateway, "method": "POST",
            "body_template": "{\"mobile\": \"{{phone}}\", \"content\": \"{{text}}\"}",
            "success_pointer": "/code", "success_value": "0", "per_second": 100}})
    };
    let put = |body: Value| {
        let app = app.clone();
        async move {
            app.call(
                reqwest::Method::PUT,
                "/api/v1/campaign-settings",
                Some(&app.admin_token),
                Some(body),
            )
            .await
        }
    };
    let mut bad = settings(2);
    bad["sms"]["body_template"] = json!("{\"mobile\": \"{{phone}}\"}");
    let (s, e) = put(bad).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sms.body_template"))
    );
    assert_eq!(put(settings(2)).await.0, StatusCode::OK);

    // rep_a1's customers in 华东: two reachable, one opted out, one without any address, one
    // whose only contact asked not to be contacted; rep_b1's in 华东 is outside rep_a1's scope.
    let reach = customer(&app, a1, json!({"kind": "company", "name": "甲商行", "phone": "13900000001", "email": "jia@example.com", "region": "华东", "address": "上海市浦东新区世纪大道 1 号"})).await;
    let flaky = customer(&app, a1, json!({"kind": "company", "name": "乙商行", "phone": FLAKY, "region": "华东", "address": "杭州市西湖区文三路 2 号"})).await;
    let refuses = customer(
        &app,
        a1,
        json!({"kind": "company", "name": "丙商行", "phone": "13900000003", "region": "华东"}),
    )
    .await;
    let _silent = customer(
        &app,
        a1,
        json!({"kind": "company", "name": "丁商行", "region": "华东"}),
    )
    .await;
    let via_contact = customer(
        &app,
        a1,
        json!({"kind": "company", "name": "戊商行", "region": "华东"}),
    )
    .await;
    customer(
        &app,
        b1,
        json!({"kind": "company", "name": "己商行", "phone": "13900000009", "region": "华东"}),
    )
    .await;
    let (_, k) = app
        .post(
            &format!("/api/v1/customers/{via_contact}/contacts"),
            a1,
            json!({"name": "钱经理", "phone": "13900000005"}),
        )
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/contacts/{}/do-not-contact", k["id"]),
            a1,
            json!({"do_not_contact": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{refuses}/opt-out"),
            b1,
            json!({"opted_out": true})
        )
        .await
        .0,
        StatusCode::NOT_FOUND,
        "another team's customer"
    );
    app.post(
        &format!("/api/v1/customers/{refuses}/opt-out"),
        a1,
        json!({"opted_out": true}),
    )
    .await;
    let (_, segment) = app
        .post(
            "/api/v1/segments",
            &t.sup_a.1,
            json!({"name": "华东客户", "query": "region=华东", "shared": true}),
        )
        .await;
    let seg = segment["id"].as_i64().unwrap();

    // Written: merge fields checked, a segment one may use.
    let write = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/campaigns", &token, body).await }
    };
    let (s, e) = write(
        a1,
        json!({"name": "x", "channel": "sms", "segment_id": seg, "body": "{{customer.phone}}您好"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("unknown_merge_field")
        )
    );
    let (_, private) = app
        .post(
            "/api/v1/segments",
            b1,
            json!({"name": "乙的私有分组", "query": "region=华东"}),
        )
        .await;
    let (s, e) = write(
        a1,
        json!({"name": "x", "channel": "sms", "segment_id": private["id"], "body": "您好"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("segment_id"))
    );

    // E-mail cannot launch on a server without SMTP: refused, nothing written.
    let (_, mail) = write(
        a1,
        json!({"name": "年终邮件", "channel": "email", "segment_id": seg, "subject": "{{customer.name}}：年终回馈", "body": "{{contact.name}}您好，{{company.name}}祝您新年快乐。"}),
    )
    .await;
    let mail_id = mail["id"].as_i64().unwrap();
    let (s, e) = app
        .post(
            &format!("/api/v1/campaigns/{mail_id}/launch"),
            a1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("channel_not_configured")
        )
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM campaign_recipients").await,
        0
    );

    // An SMS campaign: exactly the reachable customers of the segment within rep_a1's scope.
    let (s, sms) = write(
        a1,
        json!({"name": "双十二短信", "channel": "sms", "segment_id": seg, "body": "{{customer.name}}您好，{{owner.name}}提醒您：双十二订货享九折。"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sms}");
    let sms_id = sms["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/campaigns/{sms_id}"), b1).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/api/v1/campaigns/{sms_id}"), &t.sup_a.1)
            .await
            .0,
        StatusCode::OK
    );
    // A test to oneself goes through the same gateway and counts nowhere.
    let (s, _) = app
        .post(
            &format!("/api/v1/campaigns/{sms_id}/test"),
            a1,
            json!({"phone": "13911112222"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    // The draft's test goes out at once: nothing waits for the launch.
    assert_eq!(sender.round(&app.store, app.now()).await.unwrap(), 1);
    assert_eq!(seen.lock().unwrap()[0]["mobile"], "13911112222");
    let (_, draft) = app.get(&format!("/api/v1/campaigns/{sms_id}"), a1).await;
    assert_eq!(
        (draft["status"].as_str(), statuses(&draft)),
        (Some("draft"), json!({})),
        "a test counts nowhere"
    );
    let (s, launched) = app
        .post(
            &format!("/api/v1/campaigns/{sms_id}/launch"),
            a1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{launched}");
    assert_eq!(launched["status"], "sending");
    assert_eq!(
        statuses(&launched),
        json!({"queued": 2, "opted_out": 2, "no_address": 1}),
        "甲、乙 queued; 丙 and 戊 opted out; 丁 has no address; 己 is not rep_a1's"
    );
    let (s, again) = app
        .post(
            &format!("/api/v1/campaigns/{sms_id}/launch"),
            a1,
            json!({"version": 2}),
        )
        .await;
    assert_eq!(
        (s, again["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("campaign_launched"))
    );

    let now = app.now();
    assert_eq!(sender.round(&app.store, now).await.unwrap(), 2);
    {
        let seen = seen.lock().unwrap();
        let phones: Vec<&str> = seen.iter().map(|v| v["mobile"].as_str().unwrap()).collect();
        assert_eq!(phones.len(), 3, "{seen:?}");
        assert!(
            phones.contains(&"13911112222")
                && phones.contains(&"13900000001")
                && phones.contains(&FLAKY)
        );
        let to_jia = seen.iter().find(|v| v["mobile"] == "13900000001").unwrap();
        assert_eq!(
            to_jia["content"],
            "甲商行您好，rep_a1提醒您：双十二订货享九折。 回T退订"
        );
    }
    let (_, c) = app.get(&format!("/api/v1/campaigns/{sms_id}"), a1).await;
    assert_eq!(
        statuses(&c),
        json!({"sent": 1, "queued": 1, "opted_out": 2, "no_address": 1})
    );
    let (_, failed) = app
        .get(
            &format!("/api/v1/campaigns/{sms_id}/recipients?status=queued"),
            a1,
        )
        .await;
    assert_eq!(failed["items"][0]["customer_id"].as_i64(), Some(flaky));
    assert!(failed["items"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("HTTP 500"));
    // Retried after its back-off, not before.
    assert_eq!(sender.round(&app.store, now).await.unwrap(), 0);
    sender
        .round(&app.store, now + Duration::minutes(2))
        .await
        .unwrap();
    let (_, c) = app.get(&format!("/api/v1/campaigns/{sms_id}"), a1).await;
    assert_eq!(
        (c["status"].as_str(), statuses(&c)),
        (
            Some("done"),
            json!({"sent": 2, "opted_out": 2, "no_address": 1})
        )
    );

    // The cap lowered to one message in 30 days: a second SMS reaches nobody.
    assert_eq!(put(settings(1)).await.0, StatusCode::OK);
    let (_, second) = write(
        a1,
        json!({"name": "再次提醒", "channel": "sms", "segment_id": seg, "body": "别忘了双十二"}),
    )
    .await;
    let (_, second) = app
        .post(
            &format!("/api/v1/campaigns/{}/launch", second["id"]),
            a1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(
        statuses(&second),
        json!({"capped": 2, "opted_out": 2, "no_address": 1})
    );

    // E-mail on a server with SMTP, scheduled an hour on: nothing before, then the mail with
    // its unsubscribe link; following the link asks first, and only then opts out.
    assert_eq!(put(settings(5)).await.0, StatusCode::OK);
    let with_smtp = app
        .instance(
            Clock::System,
            Config {
                smtp: Some(smtp.clone()),
                ..Config::default()
            },
        )
        .await;
    let (_, scheduled) = with_smtp
        .post(
            "/api/v1/campaigns",
            a1,
            json!({"name": "新年邮件", "channel": "email", "segment_id": seg,
                   "subject": "{{customer.name}}：新年回馈", "body": "尊敬的客户，{{company.name}}祝您新年快乐。",
                   "scheduled_at": (now + Duration::hours(1)).to_rfc3339()}),
        )
        .await;
    let sid = scheduled["id"].as_i64().unwrap();
    let (s, launched) = with_smtp
        .post(
            &format!("/api/v1/campaigns/{sid}/launch"),
            a1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{launched}");
    assert_eq!(
        (launched["status"].as_str(), statuses(&launched)),
        (
            Some("scheduled"),
            json!({"queued": 1, "opted_out": 1, "no_address": 3})
        ),
        "only 甲 has an e-mail address"
    );
    sender.round(&app.store, now).await.unwrap();
    assert!(mails.lock().unwrap().is_empty(), "not before its time");
    sender
        .round(&app.store, now + Duration::hours(2))
        .await
        .unwrap();
    let (to, raw) = mails.lock().unwrap()[0].clone();
    assert_eq!(to, ["jia@example.com"]);
    let text = {
        use base64::Engine;
        let encoded: String = raw
            .split_once("\n\n")
            .map(|(_, b)| b)
            .unwrap_or("")
            .split_whitespace()
            .collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap(),
        )
        .unwrap()
    };
    assert!(text.contains("测试公司祝您新年快乐"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/u/"))
        .unwrap_or_else(|| panic!("no unsubscribe link in {text}"))
        .to_string();
    let path = format!("/u/{}", link.rsplit("/u/").next().unwrap());
    let (s, page) = app.page(&path, "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"unsubscribe\""), "{}", strip_tags(&page));
    let stored = |app: TestApp| async move {
        count(
            &app,
            &format!(
                "SELECT COUNT(*) FROM customers WHERE id = {reach} AND opted_out_at IS NOT NULL"
            ),
        )
        .await
    };
    assert_eq!(
        stored(app.clone()).await,
        0,
        "opening the link opts nobody out"
    );
    let resp = app.client.post(app.url(&path)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("已退订"));
    assert_eq!(stored(app.clone()).await, 1);
    assert_eq!(
        app.page("/u/not-a-token", "").await.0,
        StatusCode::NOT_FOUND
    );

    // Letters: the reachable addresses, one letter per sheet.
    let (_, letters) = write(
        a1,
        json!({"name": "客户答谢信", "channel": "letter", "segment_id": seg, "body": "{{customer.name}}：感谢您一年来的支持。"}),
    )
    .await;
    let lid = letters["id"].as_i64().unwrap();
    let (_, done) = app
        .post(
            &format!("/api/v1/campaigns/{lid}/launch"),
            a1,
            json!({"version": 1}),
        )
        .await;
    assert_eq!(done["status"], "done");
    let (s, page) = app.page(&format!("/campaigns/{lid}/letters"), a1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        page.matches("class=\"letter\"").count(),
        1,
        "乙 only: 甲 opted out, the rest have no address"
    );
    assert!(page.contains("乙商行：感谢您一年来的支持。"));
    let (s, page) = app.page(&format!("/campaigns/{sms_id}"), a1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(strip_tags(&page).contains("已发送"));
    app.assert_audit_in_words().await;
}

on_both_backends!(campaigns_reach_the_segment_within_scope_and_the_cap);
