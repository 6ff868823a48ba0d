//! Webhooks and group robots on both backends, delivered to HTTP servers the tests start on
//! loopback: a plain webhook's delivery is signed so that a receiver can check it, a failure
//! is retried with back-off by another server process reading the same queue, an endpoint that
//! keeps failing is paused (and sends what waited once resumed); team robots hear only their
//! team, in their platform's format, with DingTalk's and Feishu's signatures; bad addresses
//! and bad input are refused with nothing stored.

use crate::common;
use crate::common::{Backend, Team, TestApp};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use yingpan_exchange::webhook::Deliverer;
use yingpan_store::Store;
use yingpan_web::Clock;

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    path_and_query: String,
    headers: HashMap<String, String>,
    body: String,
}

/// A receiver on loopback: keeps every request; answers with the status set in `status` and
/// the body set per path prefix (robots answer a code in a 200).
struct Receiver {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    status: Arc<AtomicU16>,
    answer: Arc<Mutex<String>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let seen = Arc::new(Mutex::new(Vec::<Seen>::new()));
        let status = Arc::new(AtomicU16::new(200));
        let answer = Arc::new(Mutex::new(r#"{"errcode":0,"code":0}"#.to_string()));
        let (kept, st, ans) = (seen.clone(), status.clone(), answer.clone());
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: String| {
                let (kept, st, ans) = (kept.clone(), st.clone(), ans.clone());
                async move {
                    kept.lock().unwrap().push(Seen {
                        path_and_query: uri
                            .path_and_query()
                            .map(|p| p.to_string())
                            .unwrap_or_default(),
                        headers: headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect(),
                        body,
                    });
                    let code = axum::http::StatusCode::from_u16(st.load(Ordering::SeqCst)).unwrap();
                    (code, ans.lock().unwrap().clone())
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            base,
            seen,
            status,
            answer,
        }
    }

    fn requests(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.path_and_query.starts_with(path))
            .cloned()
            .collect()
    }
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
        .await
        .unwrap();
    sqlx::Row::try_get(&sqlx::query(sql).fetch_one(&mut conn).await.unwrap(), 0).unwrap()
}

async fn deliveries(app: &TestApp, webhook: i64) -> Vec<Value> {
    let (s, d) = app
        .get(
            &format!("/api/v1/webhooks/{webhook}/deliveries"),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{d}");
    d["items"].as_array().unwrap().clone()
}

fn t0() -> DateTime<Utc> {
    "2026-11-20T02:00:00Z".parse().unwrap()
}

async fn webhooks_are_signed_retried_across_a_restart_and_paused(backend: Backend) {
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0())).await;
    let t = Team::build(&app).await;
    let rx = Receiver::start().await;
    let hook_url = format!("{}/hook", rx.base);

    // Bad input: nothing stored.
    for (body, field, code) in [
        (
            json!({"name": "ERP", "url": "ftp://example.com/x", "events": ["customer.registered"]}),
            "url",
            "url_not_http",
        ),
        (
            json!({"name": "ERP", "url": hook_url, "events": ["customer.registered"]}),
            "url",
            "url_private",
        ),
        (
            json!({"name": "ERP", "url": "http://169.254.169.254/latest", "events": ["customer.registered"]}),
            "url",
            "url_private",
        ),
        (
            json!({"name": "ERP", "url": "https://example.com/h", "events": ["order.shipped"]}),
            "events",
            "unknown_event",
        ),
        (
            json!({"name": "ERP", "url": "https://example.com/h", "events": []}),
            "events",
            "required",
        ),
        (
            json!({"name": "", "url": "https://example.com/h", "events": ["ping"]}),
            "name",
            "required",
        ),
        (
            json!({"name": "ERP", "url": "https://example.com/h", "format": "slack", "events": ["customer.registered"]}),
            "format",
            "unknown_format",
        ),
        (
            json!({"name": "ERP", "url": "https://example.com/h", "secret": "x", "events": ["customer.registered"]}),
            "secret",
            "secret_not_used",
        ),
    ] {
        let (s, e) = app
            .post("/api/v1/webhooks", &app.admin_token, body.clone())
            .await;
        assert_eq!(
            (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field), Some(code)),
            "{body} → {e}"
        );
    }
    // Only an admin keeps endpoints.
    let (s, _) = app
        .post(
            "/api/v1/webhooks",
            &t.director.1,
            json!({"name": "ERP", "url": "https://example.com/h", "events": ["customer.registered"]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM webhooks").await, 0);

    let (s, created) = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token,
            json!({"name": "ERP", "url": hook_url, "allow_private": true,
                "events": ["customer.registered", "ownership.changed", "opportunity.won"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let id = created["webhook"]["id"].as_i64().unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    // The secret is never answered again.
    let (_, read) = app
        .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
        .await;
    assert!(!read.to_string().contains(&secret));
    assert_eq!(read["webhook"]["signed"], true);

    // A registration queues one delivery in its own transaction; nothing is sent yet.
    let c = app.customer(&t.rep_a1.1, "华联商厦", "13911112222").await;
    let customer_id = c["id"].as_i64().unwrap();
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'"
        )
        .await,
        1
    );
    assert!(rx.requests("/hook").is_empty());

    // The receiver is down (500): the attempt is logged and retried a minute later.
    rx.status.store(500, Ordering::SeqCst);
    let deliverer = Deliverer::new(false);
    assert_eq!(deliverer.round(&app.store, t0()).await.unwrap(), 0);
    let log = deliveries(&app, id).await;
    assert_eq!(
        (
            log[0]["status"].as_str(),
            log[0]["attempts"].as_i64(),
            log[0]["response_status"].as_i64()
        ),
        (Some("pending"), Some(1), Some(500))
    );
    let next: DateTime<Utc> = log[0]["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(next, t0() + Duration::minutes(1));
    // Not before its time.
    assert_eq!(
        deliverer
            .round(&app.store, t0() + Duration::seconds(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(rx.requests("/hook").len(), 1);

    // Another server process (its own connections, its own sender) finds the queue as it was.
    let restarted = Store::connect(&common::app_url(&app.db_url)).await.unwrap();
    rx.status.store(200, Ordering::SeqCst);
    let later = t0() + Duration::minutes(1);
    assert_eq!(
        Deliverer::new(false)
            .round(&restarted, later)
            .await
            .unwrap(),
        1
    );
    let sent = rx.requests("/hook");
    assert_eq!(sent.len(), 2);
    // The retry repeats the delivery's id, so a receiver can drop a duplicate.
    assert_eq!(
        sent[0].headers["x-yingpan-delivery"],
        sent[1].headers["x-yingpan-delivery"]
    );
    let last = &sent[1];
    let stamp: i64 = last.headers["x-yingpan-timestamp"].parse().unwrap();
    assert_eq!(stamp, later.timestamp());
    let expected: String = hmac(
        secret.as_bytes(),
        format!("{stamp}.{}", last.body).as_bytes(),
    )
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect();
    assert_eq!(
        last.headers["x-yingpan-signature"],
        format!("sha256={expected}")
    );
    assert_eq!(last.headers["x-yingpan-event"], "customer.registered");
    let body: Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!(body["event"], "customer.registered");
    assert_eq!(body["organization_id"], app.org_id);
    assert_eq!(body["data"]["customer"]["id"], customer_id);
    assert_eq!(body["data"]["customer"]["name"], "华联商厦");
    assert_eq!(body["data"]["person"]["id"], t.rep_a1.0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at IS NOT NULL").await,
        1
    );
    // Nothing is sent twice.
    assert_eq!(
        deliverer
            .round(&app.store, later + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(rx.requests("/hook").len(), 2);

    // A transfer is an ownership change; an event nobody subscribed to queues nothing.
    let (s, _) = app
        .post(
            "/api/v1/customers/transfer",
            &t.sup_a.1,
            json!({"customer_ids": [customer_id], "to_user_id": t.rep_a2.0, "reason": "区域调整"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .post(
            "/api/v1/tickets",
            &t.rep_a2.1,
            json!({"customer_id": customer_id, "category": "complaint", "subject": "送货晚了"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'"
        )
        .await,
        1
    );

    // The receiver keeps failing: after eight attempts the delivery is given up and the
    // endpoint paused, on the audit trail.
    rx.status.store(503, Ordering::SeqCst);
    let mut at = later;
    for _ in 0..8 {
        at += Duration::hours(3);
        deliverer.round(&app.store, at).await.unwrap();
    }
    let log = deliveries(&app, id).await;
    assert_eq!(
        (log[0]["status"].as_str(), log[0]["attempts"].as_i64()),
        (Some("failed"), Some(8))
    );
    assert_eq!(log[0]["data"]["reason"], "transfer");
    let (_, w) = app
        .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
        .await;
    assert!(w["webhook"]["paused_at"].is_string(), "{w}");
    assert_eq!(w["webhook"]["pause_reason"], "failing");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_log WHERE entity = 'webhook' AND action = 'pause' AND actor_id IS NULL").await,
        1
    );

    // While paused, events still queue and nothing is sent.
    rx.status.store(200, Ordering::SeqCst);
    let (_, opp) = app
        .post(
            "/api/v1/opportunities",
            &t.rep_a2.1,
            json!({"customer_id": customer_id, "name": "门店照明", "amount": "36000"}),
        )
        .await;
    let (s, _) = app
        .post(
            &format!("/api/v1/opportunities/{}/won", opp["id"]),
            &t.rep_a2.1,
            json!({"version": opp["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let before = rx.requests("/hook").len();
    assert_eq!(
        deliverer
            .round(&app.store, at + Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(rx.requests("/hook").len(), before);

    // Resumed: what waited goes at once; the given-up one is sent again by hand.
    let (s, _) = app
        .post(
            &format!("/api/v1/webhooks/{id}/resume"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let failed_id = log[0]["id"].as_i64().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/webhooks/{id}/deliveries/{failed_id}/redeliver"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(deliverer.round(&app.store, t0()).await.unwrap(), 2);
    let events: Vec<String> = rx.requests("/hook")[before..]
        .iter()
        .map(|s| s.headers["x-yingpan-event"].clone())
        .collect();
    assert!(
        events.contains(&"opportunity.won".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"ownership.changed".to_string()),
        "{events:?}"
    );
    let won: Value = rx.requests("/hook")[before..]
        .iter()
        .map(|s| serde_json::from_str::<Value>(&s.body).unwrap())
        .find(|b| b["event"] == "opportunity.won")
        .unwrap();
    assert_eq!(won["data"]["amount"], "36000");
    assert_eq!(won["data"]["person"]["id"], t.rep_a2.0);

    // A stale edit is refused; the page shows the log.
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/webhooks/{id}"),
            Some(&app.admin_token),
            Some(json!({"name": "ERP", "url": hook_url, "allow_private": true, "events": ["customer.registered"], "version": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, html) = app
        .page(&format!("/admin/webhooks/{id}"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("delivery-log") && html.contains("赢单"),
        "{html}"
    );
    app.assert_audit_in_words().await;
}

async fn team_robots_hear_their_team_in_their_format(backend: Backend) {
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0())).await;
    let t = Team::build(&app).await;
    let rx = Receiver::start().await;
    let add = |body: Value| {
        let app = app.clone();
        async move {
            let (s, c) = app.post("/api/v1/webhooks", &app.admin_token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            assert!(
                c["secret"].is_null(),
                "a robot's secret is the admin's own: {c}"
            );
            c["webhook"]["id"].as_i64().unwrap()
        }
    };
    let ding_secret = "SEC0123456789abcdef";
    let feishu_secret = "feishu-secret-1";
    add(json!({"name": "华东群", "format": "dingtalk", "url": format!("{}/robot/send?access_token=abc", rx.base),
        "secret": ding_secret, "team_head_id": t.sup_a.0, "allow_private": true, "events": ["opportunity.won", "ticket.filed"]})).await;
    add(json!({"name": "华南群", "format": "feishu", "url": format!("{}/open-apis/bot/v2/hook/x", rx.base),
        "secret": feishu_secret, "team_head_id": t.sup_b.0, "allow_private": true, "events": ["opportunity.won"]})).await;
    let wecom = add(json!({"name": "全公司", "format": "wecom", "url": format!("{}/cgi-bin/webhook/send?key=k", rx.base),
        "locale": "en", "allow_private": true, "events": ["opportunity.won"]})).await;

    let win = |token: String, name: &'static str, phone: &'static str| {
        let app = app.clone();
        async move {
            let c = app.customer(&token, name, phone).await;
            let (_, o) = app
                .post(
                    "/api/v1/opportunities",
                    &token,
                    json!({"customer_id": c["id"], "name": "年度合同", "amount": "120000"}),
                )
                .await;
            let (s, _) = app
                .post(
                    &format!("/api/v1/opportunities/{}/won", o["id"]),
                    &token,
                    json!({"version": o["version"]}),
                )
                .await;
            assert_eq!(s, StatusCode::OK);
        }
    };
    win(t.rep_a1.1.clone(), "东方百货", "13911110001").await;
    win(t.rep_b1.1.clone(), "南方超市", "13911110002").await;
    let deliverer = Deliverer::new(false);
    assert_eq!(deliverer.round(&app.store, t0()).await.unwrap(), 4);

    // DingTalk: rep_a1's win only, as text, signed in the URL.
    let ding = rx.requests("/robot/send");
    assert_eq!(ding.len(), 1, "{ding:?}");
    let body: Value = serde_json::from_str(&ding[0].body).unwrap();
    assert_eq!(body["msgtype"], "text");
    let text = body["text"]["content"].as_str().unwrap();
    assert!(
        text.contains("赢单") && text.contains("东方百货") && text.contains("120000"),
        "{text}"
    );
    let query: HashMap<String, String> =
        form_urlencoded::parse(ding[0].path_and_query.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(query["access_token"], "abc");
    let ms: i64 = query["timestamp"].parse().unwrap();
    assert_eq!(ms, t0().timestamp_millis());
    let sign = base64::engine::general_purpose::STANDARD.encode(hmac(
        ding_secret.as_bytes(),
        format!("{ms}\n{ding_secret}").as_bytes(),
    ));
    assert_eq!(query["sign"], sign);

    // Feishu: rep_b1's win only, signed in the body.
    let feishu = rx.requests("/open-apis/bot/v2/hook/x");
    assert_eq!(feishu.len(), 1);
    let body: Value = serde_json::from_str(&feishu[0].body).unwrap();
    assert_eq!(body["msg_type"], "text");
    assert!(body["content"]["text"]
        .as_str()
        .unwrap()
        .contains("南方超市"));
    let s: i64 = body["timestamp"].as_str().unwrap().parse().unwrap();
    let sign = base64::engine::general_purpose::STANDARD
        .encode(hmac(format!("{s}\n{feishu_secret}").as_bytes(), b""));
    assert_eq!(body["sign"], sign);

    // WeCom, company-wide, in English: both.
    let wecom_seen = rx.requests("/cgi-bin/webhook/send");
    assert_eq!(wecom_seen.len(), 2);
    assert!(wecom_seen
        .iter()
        .all(|s| s.body.contains("Deal won") && s.body.contains("\"msgtype\":\"text\"")));

    // A robot that refuses in a 200 (a wrong signature) is not counted as delivered.
    *rx.answer.lock().unwrap() = r#"{"errcode":310000,"errmsg":"sign not match"}"#.into();
    let (s, _) = app
        .post(
            &format!("/api/v1/webhooks/{wecom}/ping"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(deliverer.round(&app.store, t0()).await.unwrap(), 0);
    let log = deliveries(&app, wecom).await;
    assert_eq!(
        (
            log[0]["event"].as_str(),
            log[0]["status"].as_str(),
            log[0]["attempts"].as_i64()
        ),
        (Some("ping"), Some("pending"), Some(1))
    );
    assert!(log[0]["response_body"].as_str().unwrap().contains("310000"));

    // The admin's page lists them; a salesperson reaches neither page nor API.
    let (s, html) = app.page("/admin/webhooks", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("华东群") && html.contains("钉钉群机器人"));
    let (s, _) = app.get("/api/v1/webhooks", &t.rep_a1.1).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A supervisor keeps their team's robots; the company's are out of their reach.
    let (s, _) = app
        .get(&format!("/api/v1/webhooks/{wecom}/deliveries"), &t.sup_a.1)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// A team's robot hears of day plans not submitted by nine on a workday: once per salesperson
/// and day, nobody on leave, nobody outside the team, nothing before the deadline or at a
/// weekend.
async fn overdue_day_plans_reach_the_teams_robot(backend: Backend) {
    // Friday 2026-11-27, 08:30 China time.
    let before: DateTime<Utc> = "2026-11-27T00:30:00Z".parse().unwrap();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(before)).await;
    let t = Team::build(&app).await;
    let rx = Receiver::start().await;
    let (s, c) = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token,
            json!({"name": "华东群", "format": "wecom", "url": format!("{}/cgi-bin/webhook/send?key=k", rx.base),
                "team_head_id": t.sup_a.0, "allow_private": true, "events": ["plan.overdue"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, a) = app
        .post(
            "/api/v1/absences",
            &t.rep_a2.1,
            json!({"starts_on": "2026-11-27", "ends_on": "2026-11-27", "note": "请假"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let deliverer = Deliverer::new(false);
    assert_eq!(deliverer.round(&app.store, before).await.unwrap(), 0);
    let late = before + Duration::hours(1);
    assert_eq!(deliverer.round(&app.store, late).await.unwrap(), 1);
    assert_eq!(
        deliverer
            .round(&app.store, late + Duration::hours(2))
            .await
            .unwrap(),
        0,
        "once a day"
    );
    let seen = rx.requests("/cgi-bin/webhook/send");
    assert_eq!(seen.len(), 1);
    let body: Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        body["text"]["content"],
        "【营盘】日计划逾期未交：rep_a1，2026-11-27"
    );
    // Saturday: no plans are due.
    let saturday = late + Duration::days(1);
    assert_eq!(deliverer.round(&app.store, saturday).await.unwrap(), 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM plan_overdue_notices").await,
        2,
        "rep_a1 and rep_b1 (whose team has no robot) were both overdue once"
    );
}

/// A supervisor keeps their own team's group robots and nothing else: not another team's, not
/// a plain webhook, not a private address; they see only those; a salesperson sees none.
async fn managers_keep_their_own_teams_robots(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let robot = |head: i64| {
        json!({"name": "华东群", "format": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=x",
            "team_head_id": head, "events": ["opportunity.won"]})
    };
    let (s, mine) = app
        .post("/api/v1/webhooks", &t.sup_a.1, robot(t.sup_a.0))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let mine = mine["webhook"]["id"].as_i64().unwrap();
    let (s, e) = app
        .post("/api/v1/webhooks", &t.sup_a.1, robot(t.sup_b.0))
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("team_head_id")),
        "{e}"
    );
    let mut nobody = robot(t.sup_a.0);
    nobody["team_head_id"] = Value::Null;
    let (s, e) = app.post("/api/v1/webhooks", &t.sup_a.1, nobody).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("team_head_id")),
        "{e}"
    );
    let mut private = robot(t.sup_a.0);
    private["url"] = json!("http://10.0.0.8/robot");
    private["allow_private"] = json!(true);
    let (s, e) = app.post("/api/v1/webhooks", &t.sup_a.1, private).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("admin_only")),
        "{e}"
    );
    let plain =
        json!({"name": "ERP", "url": "https://example.com/h", "events": ["customer.registered"]});
    let (s, _) = app
        .post("/api/v1/webhooks", &t.sup_a.1, plain.clone())
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a plain webhook is the admin's");
    let (s, erp) = app.post("/api/v1/webhooks", &app.admin_token, plain).await;
    assert_eq!(s, StatusCode::CREATED);
    let erp = erp["webhook"]["id"].as_i64().unwrap();

    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        ids(&app.get("/api/v1/webhooks", &t.sup_a.1).await.1),
        [mine]
    );
    assert_eq!(
        ids(&app.get("/api/v1/webhooks", &t.sup_b.1).await.1),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&app.get("/api/v1/webhooks", &t.director.1).await.1),
        [mine]
    );
    assert_eq!(
        ids(&app.get("/api/v1/webhooks", &app.admin_token).await.1),
        [erp, mine]
    );
    for path in [
        format!("/api/v1/webhooks/{mine}"),
        format!("/api/v1/webhooks/{erp}"),
    ] {
        assert_eq!(
            app.get(&path, &t.sup_b.1).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{erp}"), &t.sup_a.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/webhooks", &t.rep_a1.1).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/webhooks/{mine}/pause"),
            &t.sup_a.1,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, page) = app.page("/admin/webhooks", &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains("华东群") && !page.contains("ERP") && !page.contains("value=\"json\""),
        "{page}"
    );
    app.assert_audit_in_words().await;
}

crate::on_both_backends!(
    managers_keep_their_own_teams_robots,
    overdue_day_plans_reach_the_teams_robot,
    webhooks_are_signed_retried_across_a_restart_and_paused,
    team_robots_hear_their_team_in_their_format,
);
