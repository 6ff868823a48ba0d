//! The iron camp: duplicate check, the protection period, the pool's rules, transfers and
//! history — scenario tests over HTTP on SQLite and PostgreSQL, with servers whose clocks stand
//! at chosen instants (as with `YINGPAN_FAKE_NOW`).

use crate::common;

use crate::common::{Backend, Team, TestApp};
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use yingpan_web::Clock;

fn dup(body: &Value) -> &Value {
    assert_eq!(body["error"]["code"], "duplicate_customer", "{body}");
    &body["error"]["duplicates"][0]
}

async fn duplicate_check_by_every_rule(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (a, b) = (&t.rep_a1.1, &t.rep_b1.1);
    let (s, c) = app
        .post("/api/v1/customers", a, json!({"name": "北京营盘科技有限公司", "phone": "13800138000", "email": "info@yingpan.cn"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = c["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/customers/{id}/contacts"),
        a,
        json!({"name": "王总", "phone": "139-1111-2222"}),
    )
    .await;

    let attempts = [
        (json!({"name": "北京 营盘科技"}), "name"),
        (
            json!({"name": "ＡＢＣ", "phone": "+86 138 0013 8000"}),
            "phone",
        ),
        (
            json!({"name": "另一家公司", "email": "INFO@YINGPAN.CN"}),
            "email",
        ),
        (
            json!({"name": "联系人电话", "phone": "13911112222"}),
            "phone",
        ),
        (
            json!({"name": "王五", "kind": "individual", "phone": "0086 13800138000"}),
            "phone",
        ),
    ];
    for (body, rule) in attempts {
        let (s, e) = app.post("/api/v1/customers", b, body.clone()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let d = dup(&e);
        assert_eq!(d["rule"], rule, "{body}");
        assert_eq!(d["standing"], "owned_by_other");
        assert_eq!(d["owner_name"], "rep_a1");
        assert!(d["owned_since"].as_str().unwrap().starts_with("20"));
        assert!(
            d.get("customer_id").is_none(),
            "no id of a customer the registrant may not open"
        );
        let text = e.to_string();
        assert!(
            !text.contains("13800138000") && !text.contains("info@"),
            "no contact details leak: {text}"
        );
    }
    // Individuals share names: a name alone never makes a duplicate.
    for phone in ["13700000001", "13700000002"] {
        let (s, _) = app
            .post(
                "/api/v1/customers",
                b,
                json!({"name": "张伟", "kind": "individual", "phone": phone}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    // A duplicate of one's own customer points at it.
    let (s, e) = app
        .post(
            "/api/v1/customers",
            a,
            json!({"name": "北京营盘科技股份有限公司"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        (
            dup(&e)["standing"].as_str(),
            dup(&e)["customer_id"].as_i64()
        ),
        (Some("own"), Some(id))
    );

    // The on-demand check.
    let (s, found) = app.get("/api/v1/customers/duplicates?name=%E5%8C%97%E4%BA%AC%E8%90%A5%E7%9B%98%E7%A7%91%E6%8A%80", b).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["standing"], "owned_by_other");
    let (s, _) = app
        .get(
            "/api/v1/customers/duplicates?name=%E6%96%B0%E5%85%AC%E5%8F%B8",
            b,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app.get("/api/v1/customers/duplicates", b).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("name"))
    );

    // Editing into a duplicate is refused too.
    let other = app.customer(a, "天津恒达贸易", "13600000000").await;
    let (s, e) = app
        .patch(
            &format!("/api/v1/customers/{}", other["id"]),
            a,
            json!({"version": 1, "name": "北京营盘科技"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(dup(&e)["customer_id"], id);
    let (_, all) = app.get("/api/v1/customers", &app.admin_token).await;
    assert_eq!(all["total"], 4, "refused registrations stored nothing");

    // Once it is back in the pool, a duplicate is offered for claiming instead.
    app.store
        .recycle(Utc::now() + Duration::days(8))
        .await
        .unwrap();
    let (s, e) = app
        .post("/api/v1/customers", b, json!({"name": "北京营盘科技"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(
        (
            dup(&e)["standing"].as_str(),
            dup(&e)["customer_id"].as_i64()
        ),
        (Some("in_pool"), Some(id))
    );
    let (s, _) = app
        .post(&format!("/api/v1/customers/{id}/claim"), b, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
}

async fn protection_period_scenario(backend: Backend) {
    let t0 = Utc::now();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let id = app.customer(&t.rep_a1.1, "沉默客户", "13500000001").await["id"]
        .as_i64()
        .unwrap();

    // A contact logged on day 3 (the server's day 3, whatever the client claims)...
    let day3 = app.at(t0 + Duration::days(3)).await;
    let (s, a) = day3
        .post(&format!("/api/v1/customers/{id}/activities"), &t.rep_a1.1, json!({"kind": "call", "summary": "回访", "occurred_at": (t0 + Duration::days(30)).to_rfc3339()}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(a["occurred_at"]
        .as_str()
        .unwrap()
        .starts_with(&(t0 + Duration::days(3)).format("%Y-%m-%d").to_string()));
    // ...and one logged later but through a server whose clock is earlier does not move it back.
    app.post(
        &format!("/api/v1/customers/{id}/activities"),
        &t.rep_a1.1,
        json!({"kind": "call", "summary": "早"}),
    )
    .await;
    // A manager's contact on day 5 is recorded, but only the owner's own follow-up protects
    // the customer for them (seed 003, rule 1).
    let day5 = app.at(t0 + Duration::days(5)).await;
    let (s, _) = day5
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.sup_a.1,
            json!({"kind": "meeting", "summary": "主管陪访"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let stored = app.store.customer(&app.all(), id).await.unwrap();
    assert!(stored
        .last_contact_at
        .starts_with(&(t0 + Duration::days(3)).format("%Y-%m-%d").to_string()));

    // ...keeps it protected until day 10.
    assert_eq!(
        app.store
            .recycle(t0 + Duration::days(10) - Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.store
            .recycle(t0 + Duration::days(10) + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app.store
            .recycle(t0 + Duration::days(10) + Duration::seconds(1))
            .await
            .unwrap(),
        0
    );

    let day11 = app.at(t0 + Duration::days(11)).await;
    let (_, pool) = day11.get("/api/v1/pool", &t.rep_b1.1).await;
    assert_eq!(pool["items"][0]["id"], id);
    let (s, _) = day11
        .post(
            &format!("/api/v1/customers/{id}/claim"),
            &t.rep_b1.1,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = day11
        .get(&format!("/api/v1/customers/{id}"), &t.rep_b1.1)
        .await;
    assert_eq!(
        (s, c["owner_id"].as_i64()),
        (StatusCode::OK, Some(t.rep_b1.0))
    );
    assert_eq!(
        day11
            .get(&format!("/api/v1/customers/{id}"), &t.rep_a1.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let (_, history) = day11
        .get(&format!("/api/v1/customers/{id}/ownership"), &t.rep_b1.1)
        .await;
    let reasons: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["register", "recycle", "claim"]);
    assert_eq!(history["items"][1]["from_user_id"], t.rep_a1.0);
    assert_eq!(history["items"][2]["to_user_id"], t.rep_b1.0);
    app.assert_tally_consistent().await;
}

async fn claim_rules(backend: Backend) {
    let t0 = Utc::now();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.customer(
                &t.rep_a1.1,
                &format!("公海客户{i}"),
                &format!("1350000010{i}"),
            )
            .await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.store.recycle(t0 + Duration::days(8)).await.unwrap();
    let set = |body: Value| async {
        let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
        let mut body = body;
        body["version"] = org["version"].clone();
        let (s, org) = app
            .patch("/api/v1/organization", &app.admin_token, body)
            .await;
        assert_eq!(s, StatusCode::OK, "{org}");
        org
    };
    let (s, e) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"claim_daily_limit": -1, "version": 1}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claim_daily_limit"))
    );
    let org = set(json!({"claim_daily_limit": 2, "reclaim_cooldown_days": 3})).await;
    assert_eq!(
        (
            org["claim_daily_limit"].as_i64(),
            org["reclaim_cooldown_days"].as_i64()
        ),
        (Some(2), Some(3))
    );

    let day8 = app.at(t0 + Duration::days(8)).await;
    let claim = |server: &TestApp, token: &str, id: i64| {
        let url = format!("/api/v1/customers/{id}/claim");
        let token = token.to_string();
        let server = server.clone();
        async move { server.post(&url, &token, json!({})).await }
    };
    // The previous owner must wait out the cool-down.
    let (s, e) = claim(&day8, &t.rep_a1.1, ids[0]).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claim_cooldown"))
    );
    // Two claims a day.
    assert_eq!(claim(&day8, &t.rep_b1.1, ids[0]).await.0, StatusCode::OK);
    assert_eq!(claim(&day8, &t.rep_b1.1, ids[1]).await.0, StatusCode::OK);
    let (s, e) = claim(&day8, &t.rep_b1.1, ids[2]).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claim_limit"))
    );
    assert_eq!(
        app.store
            .customer(&app.all(), ids[2])
            .await
            .unwrap()
            .owner_id,
        None,
        "refused claim changed nothing"
    );
    let day9 = app.at(t0 + Duration::days(9) + Duration::minutes(1)).await;
    assert_eq!(claim(&day9, &t.rep_b1.1, ids[2]).await.0, StatusCode::OK);
    // After the cool-down the previous owner may claim again.
    let day12 = app.at(t0 + Duration::days(12)).await;
    assert_eq!(claim(&day12, &t.rep_a1.1, ids[3]).await.0, StatusCode::OK);

    // A holding cap counts what one already owns.
    set(json!({"claim_daily_limit": 0, "holding_cap": 3})).await;
    let (s, e) = claim(&day12, &t.rep_b1.1, ids[4]).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("claim_limit"))
    );
    set(json!({"holding_cap": 0})).await;
    assert_eq!(claim(&day12, &t.rep_b1.1, ids[4]).await.0, StatusCode::OK);
    let (_, audit) = app
        .get(
            "/api/v1/audit?entity=organization&entity_id=1",
            &app.admin_token,
        )
        .await;
    assert!(
        audit["total"].as_i64().unwrap() >= 3,
        "settings changes are audited"
    );
    app.assert_tally_consistent().await;
}

async fn transfers_releases_and_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c1 = app.customer(&t.rep_a1.1, "移交一", "13300000001").await["id"]
        .as_i64()
        .unwrap();
    let c2 = app.customer(&t.rep_a1.1, "移交二", "13300000002").await["id"]
        .as_i64()
        .unwrap();
    let b1 = app.customer(&t.rep_b1.1, "乙队客户", "13300000003").await["id"]
        .as_i64()
        .unwrap();
    let transfer = |token: &str, ids: Vec<i64>, to: i64, reason: &str| {
        let body = json!({"customer_ids": ids, "to_user_id": to, "reason": reason});
        let token = token.to_string();
        let app = app.clone();
        async move { app.post("/api/v1/customers/transfer", &token, body).await }
    };

    assert_eq!(
        transfer(&t.rep_a1.1, vec![c1], t.rep_a2.0, "休假").await.0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = transfer(&t.sup_a.1, vec![c1], t.rep_a2.0, " ").await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, e) = transfer(&t.sup_a.1, vec![c1], t.rep_b1.0, "跨组").await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to_user_id"))
    );
    // The list page offers a supervisor only the people the store would accept; the director
    // may move customers across teams.
    let offered = |page: &str| {
        let select = page
            .split_once("name=\"to_user_id\"")
            .and_then(|(_, rest)| rest.split_once("</select>"))
            .map(|(options, _)| options.to_string())
            .unwrap_or_default();
        [&t.rep_a2, &t.rep_b1].map(|p| select.contains(&format!("value=\"{}\"", p.0)))
    };
    assert_eq!(
        offered(&app.page("/customers", &t.sup_a.1).await.1),
        [true, false]
    );
    assert_eq!(
        offered(&app.page("/customers", &t.director.1).await.1),
        [true, true]
    );
    // All or nothing: one customer outside the supervisor's team stops the whole batch.
    let (s, _) = transfer(&t.sup_a.1, vec![c1, c2, b1], t.rep_a2.0, "调整").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(
        app.store.customer(&app.all(), c1).await.unwrap().owner_id,
        Some(t.rep_a1.0)
    );
    let (s, r) = transfer(&t.sup_a.1, vec![c1, c2], t.rep_a2.0, "区域调整").await;
    assert_eq!((s, r["moved"].as_i64()), (StatusCode::OK, Some(2)));
    for c in [c1, c2] {
        assert_eq!(
            app.store.customer(&app.all(), c).await.unwrap().owner_id,
            Some(t.rep_a2.0)
        );
    }

    // Releasing: the owner may, with a reason; another salesperson cannot even see it.
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{c1}/release"),
            &t.rep_b1.1,
            json!({"reason": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{c1}/release"),
            &t.rep_a2.1,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{c1}/release"),
            &t.rep_a2.1,
            json!({"reason": "客户已转行"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.store.customer(&app.all(), c1).await.unwrap().owner_id,
        None
    );
    // Pool customers lie outside a supervisor's team; the admin sees it is already there.
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{c1}/release"),
            &t.sup_a.1,
            json!({"reason": "again"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{c1}/release"),
            &app.admin_token,
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_in_pool"))
    );

    let (_, h) = app
        .get(
            &format!("/api/v1/customers/{c1}/ownership"),
            &app.admin_token,
        )
        .await;
    let items = h["items"].as_array().unwrap();
    let reasons: Vec<&str> = items
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["register", "transfer", "release"]);
    assert_eq!(items[1]["note"], "区域调整");
    assert_eq!(items[1]["actor_id"], t.sup_a.0);
    assert_eq!(items[2]["note"], "客户已转行");
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={c1}"),
            &app.admin_token,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["release", "transfer", "create"]);
    app.assert_tally_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(
    duplicate_check_by_every_rule,
    protection_period_scenario,
    claim_rules,
    transfers_releases_and_history,
);

async fn prospect_card_and_relatives(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (a, b) = (&t.rep_a1.1, &t.rep_b1.1);

    let (s, e) = app
        .post(
            "/api/v1/customers",
            a,
            json!({"name": "资料卡客户", "profile": {"annual_revenue": "-1"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("annual_revenue"))
    );
    let (s, e) = app
        .post(
            "/api/v1/customers",
            a,
            json!({"name": "资料卡客户", "profile": {"shoe_size": "42"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );
    let (s, c) = app
        .post(
            "/api/v1/customers",
            a,
            json!({"name": "资料卡客户", "profile": {"annual_revenue": "12,000,000.50", "employees": 120,
                   "needs": "节能改造", "decision_process": "采购经理初选，总经理拍板"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["profile"]["annual_revenue"], "12000000.5");
    assert_eq!(c["profile"]["employees"], "120");
    let id = c["id"].as_i64().unwrap();
    let (s, c) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            a,
            json!({"version": 1, "profile": {"needs": "扩充产能", "employees": null}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["profile"]["needs"], "扩充产能");
    assert_eq!(
        c["profile"]["annual_revenue"], "12000000.5",
        "keys not sent are kept"
    );
    assert!(c["profile"].get("employees").is_none(), "null clears a key");
    let stored = app.store.customer(&app.all(), id).await.unwrap();
    assert_eq!(
        stored.profile.get("decision_process").map(String::as_str),
        Some("采购经理初选，总经理拍板")
    );
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    let changes = audit["items"][0]["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({"field": "needs", "before": "节能改造", "after": "扩充产能"})),
        "{changes:?}"
    );

    // A spouse registered as a relative makes a registration in the spouse's name a duplicate.
    let (s, w) = app
        .post(
            "/api/v1/customers",
            a,
            json!({"name": "王建军", "kind": "individual", "phone": "13100000001"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let wid = w["id"].as_i64().unwrap();
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{wid}/contacts"),
            a,
            json!({"name": "李秀英", "relation": "cousin"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("relation"))
    );
    let (s, k) = app
        .post(
            &format!("/api/v1/customers/{wid}/contacts"),
            a,
            json!({"name": "李秀英", "relation": "spouse", "phone": "13100000002"}),
        )
        .await;
    assert_eq!(
        (s, k["relation"].as_str()),
        (StatusCode::CREATED, Some("spouse"))
    );
    let (s, e) = app
        .post(
            "/api/v1/customers",
            b,
            json!({"name": "李秀英", "kind": "individual", "phone": "131-0000-0002"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(dup(&e)["rule"], "relative");
    assert_eq!(dup(&e)["owner_name"], "rep_a1");
    app.assert_audit_in_words().await;
}

on_both_backends!(prospect_card_and_relatives);

async fn suspected_duplicates_merge_and_undo(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let a = app
        .customer(&t.rep_a1.1, "北京营盘科技有限公司", "13000000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let (_, b) = app
        .post(
            "/api/v1/customers",
            &t.rep_a2.1,
            json!({"name": "营盘科技（北京）", "email": "buy@yingpan.cn"}),
        )
        .await;
    let b = b["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/customers/{b}/contacts"),
        &t.rep_a2.1,
        json!({"name": "赵采购"}),
    )
    .await;
    app.post(
        &format!("/api/v1/customers/{b}/activities"),
        &t.rep_a2.1,
        json!({"kind": "visit", "summary": "拜访", "outcome": "谈了需求"}),
    )
    .await;
    // The survivor ordered this month: once merged, the visit is on a customer that ordered
    // (effective), and undoing the merge takes that back — in the rollups too.
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "35.50"}),
        )
        .await;
    let (s, o) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            json!({"customer_id": a, "lines": [{"product_id": lamp["id"], "quantity": "2"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    app.assert_rollups_consistent().await;
    // Legacy data from before the duplicate check: make the two share a name key.
    app.sql(&format!(
        "UPDATE customers SET name_norm = '北京营盘科技' WHERE id = {b}"
    ))
    .await;

    assert_eq!(
        app.get("/api/v1/customers/suspected-duplicates", &t.rep_a1.1)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (_, other) = app
        .get("/api/v1/customers/suspected-duplicates", &t.sup_b.1)
        .await;
    assert_eq!(
        other["total"], 0,
        "another team's duplicates are not theirs"
    );
    let (s, groups) = app
        .get("/api/v1/customers/suspected-duplicates", &t.sup_a.1)
        .await;
    assert_eq!(
        (s, groups["total"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{groups}"
    );
    assert_eq!(groups["items"][0]["rule"], "name");
    assert_eq!(groups["items"][0]["customers"].as_array().unwrap().len(), 2);

    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{a}/merge"),
            &t.sup_a.1,
            json!({"merged_id": a}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("same_customer"))
    );
    let (s, m) = app
        .post(
            &format!("/api/v1/customers/{a}/merge"),
            &t.sup_a.1,
            json!({"merged_id": b}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let merge_id = m["merge_id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/customers/{b}"), &app.admin_token)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, contacts) = app
        .get(&format!("/api/v1/customers/{a}/contacts"), &t.sup_a.1)
        .await;
    assert_eq!(contacts["total"], 1);
    let (_, acts) = app
        .get(&format!("/api/v1/customers/{a}/activities"), &t.sup_a.1)
        .await;
    assert_eq!(acts["total"], 1);
    let (_, survivor) = app.get(&format!("/api/v1/customers/{a}"), &t.sup_a.1).await;
    assert_eq!(
        survivor["email"], "buy@yingpan.cn",
        "the survivor's empty field took the merged value"
    );
    let (_, history) = app
        .get(&format!("/api/v1/customers/{a}/ownership"), &t.sup_a.1)
        .await;
    assert_eq!(
        history["total"], 2,
        "both registrations now stand in the survivor's history"
    );
    let (_, groups) = app
        .get("/api/v1/customers/suspected-duplicates", &t.sup_a.1)
        .await;
    assert_eq!(groups["total"], 0);
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={a}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(audit["items"][0]["action"], "merge");
    app.assert_rollups_consistent().await;

    // Undo puts everything back.
    let (s, _) = app
        .post(
            &format!("/api/v1/merges/{merge_id}/undo"),
            &t.sup_a.1,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, back) = app
        .get(&format!("/api/v1/customers/{b}"), &t.rep_a2.1)
        .await;
    assert_eq!(
        (s, back["owner_id"].as_i64()),
        (StatusCode::OK, Some(t.rep_a2.0))
    );
    let (_, contacts) = app
        .get(&format!("/api/v1/customers/{b}/contacts"), &t.rep_a2.1)
        .await;
    assert_eq!(contacts["total"], 1);
    let (_, acts) = app
        .get(&format!("/api/v1/customers/{a}/activities"), &t.rep_a1.1)
        .await;
    assert_eq!(acts["total"], 0);
    let (_, survivor) = app
        .get(&format!("/api/v1/customers/{a}"), &t.rep_a1.1)
        .await;
    assert_eq!(survivor["email"], serde_json::Value::Null);
    let (s, e) = app
        .post(
            &format!("/api/v1/merges/{merge_id}/undo"),
            &t.sup_a.1,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("already_undone"))
    );
    let (_, merges) = app.get("/api/v1/merges", &t.sup_a.1).await;
    assert!(merges["items"][0]["undone_at"].is_string());
    let r = app
        .client
        .get(app.url("/customers/duplicates"))
        .bearer_auth(&t.sup_a.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.assert_tally_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(suspected_duplicates_merge_and_undo);

async fn pools_by_region_and_team_with_tier_periods(backend: Backend) {
    let t0 = Utc::now();
    let app = TestApp::spawn_with_clock(backend, Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let admin = app.admin_token.clone();
    assert_eq!(
        app.post("/api/v1/pools", &t.director.1, json!({"name": "x"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = app
        .post(
            "/api/v1/pools",
            &admin,
            json!({"name": "坏", "priority_days": 0}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("priority_days"))
    );
    let (s, north) = app
        .post("/api/v1/pools", &admin, json!({"name": "华北公海", "region": "华北", "protection_days": 10, "priority_days": 30}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{north}");
    let (_, team) = app
        .post("/api/v1/pools", &admin, json!({"name": "甲队公海"}))
        .await;
    let team_id = team["id"].as_i64().unwrap();
    let members = json!({"members": [{"user_id": t.rep_a1.0}, {"user_id": t.rep_a2.0}, {"user_id": t.sup_a.0, "is_admin": true}]});
    let (s, team) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/pools/{team_id}/members"),
            Some(&admin),
            Some(members.clone()),
        )
        .await;
    assert_eq!(
        (s, team["members"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(3))
    );
    // The pool's own admin may manage it; another supervisor may not.
    assert_eq!(
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/pools/{team_id}/members"),
            Some(&t.sup_a.1),
            Some(members.clone())
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        app.call(
            reqwest::Method::PUT,
            &format!("/api/v1/pools/{team_id}/members"),
            Some(&t.sup_b.1),
            Some(members)
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let reg = |token: &str, name: &str, region: &str| {
        let body = json!({"name": name, "region": region});
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post("/api/v1/customers", &token, body).await.1["id"]
                .as_i64()
                .unwrap()
        }
    };
    let c1 = reg(&t.rep_b1.1, "华北客户", "华北").await;
    let c2 = reg(&t.rep_a1.1, "甲队客户", "华南").await;
    let c3 = reg(&t.rep_b1.1, "公司公海客户", "西南").await;
    let c4 = reg(&t.rep_b1.1, "华北重点客户", "华北").await;
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/customers/{c4}/qualification"),
        Some(&t.rep_b1.1),
        Some(json!({"tier": "priority", "version": 1})),
    )
    .await;

    // Company pool and the team pool (no own period) use 7 days; 华北 10; its priority tier 30.
    assert_eq!(app.store.recycle(t0 + Duration::days(8)).await.unwrap(), 2);
    assert_eq!(app.store.recycle(t0 + Duration::days(11)).await.unwrap(), 1);
    assert_eq!(app.store.recycle(t0 + Duration::days(29)).await.unwrap(), 0);
    assert_eq!(app.store.recycle(t0 + Duration::days(31)).await.unwrap(), 1);

    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let (_, seen_b) = app.get("/api/v1/pool", &t.rep_b1.1).await;
    assert_eq!(
        ids(&seen_b),
        {
            let mut v = vec![c1, c3, c4];
            v.sort();
            v
        },
        "a team pool is only for its members"
    );
    let (_, seen_a) = app.get("/api/v1/pool", &t.rep_a1.1).await;
    assert!(ids(&seen_a).contains(&c2));
    let (_, company) = app.get("/api/v1/pool?pool_id=company", &t.rep_a1.1).await;
    assert_eq!(ids(&company), vec![c3]);
    assert_eq!(company["items"][0].get("phone"), None);
    let (_, by_pool) = app
        .get(
            &format!("/api/v1/pool?pool_id={}", north["id"]),
            &t.rep_a1.1,
        )
        .await;
    assert_eq!(by_pool["items"][0]["pool_name"], "华北公海");
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{c2}/claim"),
            &t.rep_b1.1,
            json!({})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/customers/{c2}/claim"),
            &t.rep_a2.1,
            json!({})
        )
        .await
        .0,
        StatusCode::OK
    );
    for (path, token, status) in [
        ("/admin/pools", &admin, StatusCode::OK),
        ("/admin/pools", &t.rep_a1.1, StatusCode::FORBIDDEN),
        ("/pool?pool_id=company", &t.rep_a1.1, StatusCode::OK),
    ] {
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{path}");
    }
    app.assert_tally_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(pools_by_region_and_team_with_tier_periods);

async fn dealers_and_development_reports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let id = app
        .customer(&t.rep_a1.1, "西安永盛建材商行", "12900000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let url = format!("/api/v1/customers/{id}/dealer");
    let put = |token: &str, body: serde_json::Value| {
        let (app, token, url) = (app.clone(), token.to_string(), url.clone());
        async move {
            app.call(reqwest::Method::PUT, &url, Some(&token), Some(body))
                .await
        }
    };
    let (s, e) = put(&t.rep_a1.1, json!({"credit_rating": "E", "version": 1})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("credit_rating"))
    );
    let (s, e) = put(
        &t.rep_a1.1,
        json!({"contract_start": "2026-06-01", "contract_end": "2026-01-01", "version": 1}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("contract_end"))
    );
    assert_eq!(
        put(&t.rep_b1.1, json!({"version": 1})).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, c) = put(
        &t.rep_a1.1,
        json!({"credit_rating": "A", "credit_limit": "200000", "payment_terms_days": "30", "contract_no": "HT-2026-018",
               "average_monthly_sales": "38000.50", "version": 1}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["dealer"]["credit_rating"], "A");
    assert_eq!(c["dealer"]["average_monthly_sales"], "38000.5");
    assert_eq!(
        put(&t.rep_a1.1, json!({"version": 1})).await.0,
        StatusCode::CONFLICT
    );
    let other = app
        .customer(&t.rep_a2.1, "咸阳瑞丰五金店", "12900000002")
        .await["id"]
        .as_i64()
        .unwrap();
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/customers/{other}/dealer"),
        Some(&t.rep_a2.1),
        Some(json!({"average_monthly_sales": "12000", "version": 1})),
    )
    .await;
    let (_, stats) = app.get("/api/v1/dealers/stats", &t.sup_a.1).await;
    assert_eq!(
        stats,
        json!({"dealers": 2, "average_monthly_sales": "25000.25", "total_monthly_sales": "50000.5"})
    );
    let (_, mine) = app.get("/api/v1/dealers/stats", &t.rep_a1.1).await;
    assert_eq!(mine["dealers"], 1);
    let (_, dealers) = app.get("/api/v1/customers?dealers=true", &t.sup_a.1).await;
    assert_eq!(dealers["total"], 2);

    // The development report: filed by the salesperson, reviewed by a superior only.
    let report = format!("/api/v1/customers/{id}/development-report");
    assert_eq!(app.get(&report, &t.rep_a1.1).await.0, StatusCode::NOT_FOUND);
    let save = |token: &str, body: serde_json::Value| {
        let (app, token, url) = (app.clone(), token.to_string(), report.clone());
        async move {
            app.call(reqwest::Method::PUT, &url, Some(&token), Some(body))
                .await
        }
    };
    let (s, e) = save(&t.rep_a1.1, json!({"products": "瓷砖"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("developed_on"))
    );
    let (s, r) = save(
        &t.rep_a1.1,
        json!({"developed_on": "2026-11-02", "first_order_date": "2026-11-15", "first_order_amount": "56,000", "products": "瓷砖、卫浴",
               "how_developed": "展会结识，三次拜访后签约"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["author_id"].as_i64(), r["first_order_amount"].as_str()),
        (Some(t.rep_a1.0), Some("56000"))
    );
    let review = format!("{report}/review");
    let (s, e) = app
        .post(&review, &t.rep_a1.1, json!({"comment": "我自己批"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_a_superior"))
    );
    assert_eq!(
        app.post(&review, &t.sup_b.1, json!({"comment": "x"}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, r) = app
        .post(&review, &t.sup_a.1, json!({"comment": "很好，注意回款"}))
        .await;
    assert_eq!(
        (s, r["review_comment"].as_str(), r["reviewed_by"].as_i64()),
        (StatusCode::OK, Some("很好，注意回款"), Some(t.sup_a.0))
    );
    // A revision clears the review, so the supervisor sees it again.
    let (_, r) = save(
        &t.rep_a1.1,
        json!({"developed_on": "2026-11-02", "next_steps": "推新品"}),
    )
    .await;
    assert!(r["reviewed_at"].is_null());
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"review"), "{actions:?}");
    let page = app
        .client
        .get(app.url(&format!("/customers/{id}")))
        .bearer_auth(&t.sup_a.1)
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("HT-2026-018") && html.contains("推新品"),
        "the page shows dealer data and the report"
    );
    app.assert_audit_in_words().await;
}

on_both_backends!(dealers_and_development_reports);
