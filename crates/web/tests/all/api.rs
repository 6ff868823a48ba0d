//! The HTTP API over real HTTP, on SQLite and PostgreSQL.

use crate::common;

use crate::common::{Backend, Team, TestApp, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;
use yingpan_store::CustomerListQuery;

async fn login_and_me(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin", "password": "nope"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "bad_credentials");

    let (s, body) = app.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");
    let (s, _) = app
        .call(Method::GET, "/api/v1/me", Some("not-a-token"), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, me) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["id"], app.admin_id);
    assert!(me.get("superior_id").is_some());
    assert!(me.get("password_hash").is_none());

    // Logging out revokes the token.
    let token = app.login("admin", common::ADMIN_PASSWORD).await;
    let (s, _) = app
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (s, doc) = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
}

async fn login_throttling(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.person("rep", "sales", Some(app.admin_id)).await;
    for _ in 0..5 {
        let (s, _) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "rep", "password": "wrong-one"})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "rep", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "too_many_attempts");
    // Other accounts are unaffected.
    app.login("admin", common::ADMIN_PASSWORD).await;
}

async fn customer_lifecycle(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let team = Team::build(&app).await;
    let rep = &team.rep_a1.1;

    let c = app
        .customer(rep, "北京营盘科技有限公司", "+86 138-0013-8000")
        .await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["owner_id"], team.rep_a1.0);
    assert_eq!(c["kind"], "company");
    assert_eq!(c["version"], 1);
    let stored = app.store.customer(&app.all(), id).await.unwrap();
    assert_eq!(stored.name, "北京营盘科技有限公司");
    assert_eq!(stored.owner_id, Some(team.rep_a1.0));

    // Found by name, pinyin, initials and phone digits.
    for q in ["营盘", "yingpan", "bjypkj", "13800138000", "138-0013"] {
        let (s, list) = app
            .get(&format!("/api/v1/customers?q={}", urlencode(q)), rep)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list["total"], 1, "search {q}: {list}");
        assert_eq!(list["items"][0]["id"], id);
    }
    let (_, list) = app.get("/api/v1/customers?q=shanghai", rep).await;
    assert_eq!(list["total"], 0);

    // PATCH with the version read; a stale version is refused and changes nothing.
    let (s, updated) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            rep,
            json!({"version": 1, "region": "华北", "phone": "13900139000"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["region"], "华北");
    assert_eq!(updated["name"], "北京营盘科技有限公司");
    let (s, body) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            rep,
            json!({"version": 1, "region": "华南"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "version_conflict");
    assert_eq!(
        app.store
            .customer(&app.all(), id)
            .await
            .unwrap()
            .region
            .as_deref(),
        Some("华北")
    );
    let (s, body) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            rep,
            json!({"region": "华南"}),
        )
        .await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("version"))
    );

    // The audit log shows field-level before/after.
    let (s, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}"),
            &team.director.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let update = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "update")
        .expect("update entry");
    let changes = update["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({"field": "region", "before": null, "after": "华北"})),
        "{changes:?}"
    );
    assert!(changes.contains(
        &json!({"field": "phone", "before": "+86 138-0013-8000", "after": "13900139000"})
    ));
    assert_eq!(update["actor_id"], team.rep_a1.0);
    let (s, _) = app.get("/api/v1/audit", rep).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Salespeople cannot delete (the customer belongs to the company); their supervisor can.
    let (s, body) = app.delete(&format!("/api/v1/customers/{id}"), rep).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _) = app
        .delete(&format!("/api/v1/customers/{id}"), &team.sup_a.1)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/v1/customers/{id}"), rep).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let deleted = app
        .store
        .list_customers(
            &app.all(),
            &CustomerListQuery {
                deleted: true,
                per_page: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(deleted.1, 1, "soft delete keeps the row");

    // The recycle bin and restore are for admins and directors.
    let (s, _) = app
        .get("/api/v1/customers?deleted=true", &team.sup_a.1)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, bin) = app
        .get("/api/v1/customers?deleted=true", &team.director.1)
        .await;
    assert_eq!(bin["total"], 1);
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{id}/restore"),
            &team.sup_a.1,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, restored) = app
        .post(
            &format!("/api/v1/customers/{id}/restore"),
            &team.director.1,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(restored["deleted_at"], serde_json::Value::Null);
    let (s, _) = app.get(&format!("/api/v1/customers/{id}"), rep).await;
    assert_eq!(s, StatusCode::OK);
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
    assert_eq!(actions, ["restore", "delete", "update", "create"]);
    app.assert_tally_consistent().await;
}

use crate::common::urlencode;

async fn customer_validation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, rep) = app.person("rep", "sales", Some(app.admin_id)).await;
    let cases = [
        (json!({"name": ""}), "name", "required"),
        (json!({"name": "   "}), "name", "required"),
        (json!({"name": "营".repeat(201)}), "name", "too_long"),
        (
            json!({"name": "甲", "phone": "call me"}),
            "phone",
            "invalid_phone",
        ),
        (
            json!({"name": "甲", "phone": "12"}),
            "phone",
            "invalid_phone",
        ),
        (
            json!({"name": "甲", "email": "wang@"}),
            "email",
            "invalid_email",
        ),
        (
            json!({"name": "甲", "kind": "alien"}),
            "kind",
            "invalid_choice",
        ),
        (
            json!({"name": "甲", "notes": "x".repeat(5001)}),
            "notes",
            "too_long",
        ),
    ];
    for (body, field, code) in cases {
        let (s, err) = app.post("/api/v1/customers", &rep, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(err["error"]["field"], field, "{body}");
        assert_eq!(err["error"]["code"], code, "{body}");
        assert!(err["error"]["message"].as_str().unwrap().contains(field));
    }
    let (s, list) = app.get("/api/v1/customers", &rep).await;
    assert_eq!(
        (s, list["total"].as_i64()),
        (StatusCode::OK, Some(0)),
        "bad input changed nothing"
    );

    // Bodies that are not JSON, not UTF-8, too large or mistyped.
    let raw = |body: Vec<u8>, ctype: &'static str| {
        app.client
            .post(app.url("/api/v1/customers"))
            .bearer_auth(&rep)
            .header("content-type", ctype)
            .body(body)
            .send()
    };
    let r = raw(b"{\"name\": \"\xff\xfe\"}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );
    let r = raw(b"{\"name\": 5}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = raw(b"name=x".to_vec(), "text/plain").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "unsupported_media_type"
    );
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    // A fresh client: the server closes the connection after refusing an unread body.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&rep)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "payload_too_large"
    );
    let (s, err) = app.get("/api/v1/customers?per_page=1000", &rep).await;
    assert_eq!(
        (s, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("per_page"))
    );
    let (s, err) = app.get("/api/v1/customers?sort=password", &rep).await;
    assert_eq!(
        (s, err["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sort"))
    );
    let (_, list) = app.get("/api/v1/customers", &rep).await;
    assert_eq!(list["total"], 0);
}

async fn visibility_follows_hierarchy(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let a1 = app.customer(&t.rep_a1.1, "甲一客户", "13800000001").await["id"]
        .as_i64()
        .unwrap();
    let a2 = app.customer(&t.rep_a2.1, "甲二客户", "13800000002").await["id"]
        .as_i64()
        .unwrap();
    let b1 = app.customer(&t.rep_b1.1, "乙一客户", "13800000003").await["id"]
        .as_i64()
        .unwrap();

    // A salesperson cannot read, edit, delete, annotate or list another salesperson's customer.
    let other = format!("/api/v1/customers/{a2}");
    assert_eq!(app.get(&other, &t.rep_a1.1).await.0, StatusCode::NOT_FOUND);
    let (s, body) = app
        .patch(&other, &t.rep_a1.1, json!({"version": 1, "name": "抢走"}))
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        app.delete(&other, &t.rep_a1.1).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{other}/contacts"), &t.rep_a1.1).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("{other}/contacts"),
            &t.rep_a1.1,
            json!({"name": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            &format!("{other}/activities"),
            &t.rep_a1.1,
            json!({"kind": "call", "summary": "x"})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/customers/{a2}"), &t.rep_a1.1).await.0,
        StatusCode::NOT_FOUND
    );
    let stored = app.store.customer(&app.all(), a2).await.unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.version),
        ("甲二客户", 1),
        "nothing changed"
    );

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
    assert_eq!(
        ids(&app.get("/api/v1/customers", &t.rep_a1.1).await.1),
        vec![a1]
    );
    assert_eq!(
        ids(&app.get("/api/v1/customers", &t.sup_a.1).await.1),
        vec![a1, a2]
    );
    assert_eq!(
        ids(&app.get("/api/v1/customers", &t.sup_b.1).await.1),
        vec![b1]
    );
    assert_eq!(
        ids(&app.get("/api/v1/customers", &t.director.1).await.1),
        vec![a1, a2, b1]
    );
    assert_eq!(
        ids(&app.get("/api/v1/customers", &app.admin_token).await.1),
        vec![a1, a2, b1]
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{b1}"), &t.sup_a.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ids(&app
            .get(
                &format!("/api/v1/customers?owner_id={}", t.rep_a2.0),
                &t.sup_a.1
            )
            .await
            .1),
        vec![a2]
    );

    // Clerks see what the company policy grants.
    assert_eq!(
        ids(&app.get("/api/v1/customers", &t.clerk.1).await.1),
        vec![a1, a2, b1]
    );
    let (_, org) = app.get("/api/v1/organization", &app.admin_token).await;
    let (s, org) = app
        .patch(
            "/api/v1/organization",
            &app.admin_token,
            json!({"clerk_visibility": "own", "version": org["version"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{org}");
    assert!(ids(&app.get("/api/v1/customers", &t.clerk.1).await.1).is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/customers/{a1}"), &t.clerk.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, _) = app
        .patch(
            "/api/v1/organization",
            &t.director.1,
            json!({"clerk_visibility": "all", "version": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // A supervisor may register a customer for someone in their team, not for another team.
    let (s, c) = app
        .post(
            "/api/v1/customers",
            &t.sup_a.1,
            json!({"name": "分派客户", "owner_id": t.rep_a2.0}),
        )
        .await;
    assert_eq!(
        (s, c["owner_id"].as_i64()),
        (StatusCode::CREATED, Some(t.rep_a2.0))
    );
    let (s, e) = app
        .post(
            "/api/v1/customers",
            &t.sup_a.1,
            json!({"name": "越权客户", "owner_id": t.rep_b1.0}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("owner_id"))
    );
    app.assert_tally_consistent().await;
}

async fn contacts_crud(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, rep) = app.person("rep", "sales", Some(app.admin_id)).await;
    let id = app
        .customer(&rep, "上海恒达贸易有限公司", "021-55550000")
        .await["id"]
        .as_i64()
        .unwrap();
    let (s, k) = app
        .post(&format!("/api/v1/customers/{id}/contacts"), &rep, json!({"name": "张伟", "title": "采购经理", "phone": "13912345678", "is_decision_maker": true}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    let kid = k["id"].as_i64().unwrap();
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{id}/contacts"),
            &rep,
            json!({"name": "李四", "email": "bad"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
    let (s, k2) = app
        .patch(
            &format!("/api/v1/contacts/{kid}"),
            &rep,
            json!({"version": 1, "title": "总经理"}),
        )
        .await;
    assert_eq!(
        (s, k2["title"].as_str(), k2["name"].as_str()),
        (StatusCode::OK, Some("总经理"), Some("张伟"))
    );
    let (s, _) = app
        .patch(
            &format!("/api/v1/contacts/{kid}"),
            &rep,
            json!({"version": 1, "title": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, list) = app
        .get(&format!("/api/v1/customers/{id}/contacts"), &rep)
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(
        app.delete(&format!("/api/v1/contacts/{kid}"), &rep).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, list) = app
        .get(&format!("/api/v1/customers/{id}/contacts"), &rep)
        .await;
    assert_eq!(list["total"], 0);
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=contact&entity_id={kid}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(audit["total"], 3);
}

async fn people_and_reporting_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let create = |body: serde_json::Value| app.post("/api/v1/users", &app.admin_token, body);

    let (s, e) = create(json!({"username": "x1", "password": PASSWORD, "display_name": "X", "role": "boss", "superior_id": t.director.0})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("unknown_role"),
            Some("role")
        )
    );
    let (s, e) = create(
        json!({"username": "x2", "password": PASSWORD, "display_name": "X", "role": "sales"}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("superior_id"))
    );
    let (s, e) = create(json!({"username": "x3", "password": "short", "display_name": "X", "role": "sales", "superior_id": t.sup_a.0})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
    let (s, e) = create(json!({"username": "rep_a1", "password": PASSWORD, "display_name": "X", "role": "sales", "superior_id": t.sup_a.0})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("username"))
    );
    let (s, e) = create(json!({"username": "x4", "password": PASSWORD, "display_name": "", "role": "sales", "superior_id": t.sup_a.0})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("display_name"))
    );
    let (s, e) = create(json!({"username": "x5", "password": PASSWORD, "display_name": "X", "role": "sales", "superior_id": 999999})).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_superior"))
    );
    // Only admins manage people.
    let (s, _) = app
        .post("/api/v1/users", &t.director.1, json!({"username": "x6", "password": PASSWORD, "display_name": "X", "role": "sales", "superior_id": t.sup_a.0}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, users) = app.get("/api/v1/users", &app.admin_token).await;
    assert_eq!(users["total"], 8, "no bad request created anyone");

    // A superior cycle is refused.
    let (s, e) = app
        .patch(
            &format!("/api/v1/users/{}", t.sup_a.0),
            &app.admin_token,
            json!({"superior_id": t.rep_a1.0}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("superior_cycle"))
    );
    let (s, e) = app
        .patch(
            &format!("/api/v1/users/{}", t.sup_a.0),
            &app.admin_token,
            json!({"superior_id": t.sup_a.0}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("superior_cycle"))
    );
    assert_eq!(
        app.store
            .user(app.org_id, t.sup_a.0)
            .await
            .unwrap()
            .superior_id,
        Some(t.director.0)
    );
    // Moving a salesperson to another team works and changes what the supervisors see.
    let c = app.customer(&t.rep_a1.1, "转组客户", "13800000009").await["id"]
        .as_i64()
        .unwrap();
    let (s, _) = app
        .patch(
            &format!("/api/v1/users/{}", t.rep_a1.0),
            &app.admin_token,
            json!({"superior_id": t.sup_b.0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}"), &t.sup_b.1)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/v1/customers/{c}"), &t.sup_a.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // The last admin cannot be removed.
    let (s, e) = app
        .patch(
            &format!("/api/v1/users/{}", app.admin_id),
            &app.admin_token,
            json!({"role": "director"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("last_admin"))
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", app.admin_id),
            &app.admin_token,
            json!({"handover_to": null}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("last_admin"))
    );
    let (admin2, _) = app.person("admin2", "admin", None).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/users/{}", app.admin_id),
            &app.admin_token,
            json!({"role": "director"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .post(
            &format!("/api/v1/users/{admin2}/deactivate"),
            &app.admin_token,
            json!({"handover_to": null}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "a director is no longer an admin: {e}"
    );

    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=user&entity_id={}", t.rep_a1.0),
            &t.director.1,
        )
        .await;
    let change = &audit["items"][0]["changes"][0];
    assert_eq!(change["field"], "superior_id");
    assert_eq!(change["before"], t.sup_a.0.to_string());
    assert_eq!(change["after"], t.sup_b.0.to_string());
}

async fn deactivation_hands_customers_over(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c1 = app.customer(&t.rep_a1.1, "交接客户一", "13800000011").await["id"]
        .as_i64()
        .unwrap();
    let c2 = app.customer(&t.rep_a1.1, "交接客户二", "13800000012").await["id"]
        .as_i64()
        .unwrap();
    let c3 = app
        .customer(&t.rep_a2.1, "退回公海客户", "13800000013")
        .await["id"]
        .as_i64()
        .unwrap();

    let (s, e) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", t.rep_a1.0),
            &app.admin_token,
            json!({"handover_to": t.rep_a1.0}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("handover_to"))
    );
    let (s, body) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", t.rep_a1.0),
            &app.admin_token,
            json!({"handover_to": t.rep_b1.0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["customers_moved"], 2);
    for c in [c1, c2] {
        assert_eq!(
            app.store.customer(&app.all(), c).await.unwrap().owner_id,
            Some(t.rep_b1.0)
        );
    }
    // The deactivated person's token is dead and they cannot log in; their account still exists.
    assert_eq!(
        app.get("/api/v1/me", &t.rep_a1.1).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "rep_a1", "password": PASSWORD})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let u = app.store.user(app.org_id, t.rep_a1.0).await.unwrap();
    assert!(!u.active);

    let (s, body) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", t.rep_a2.0),
            &app.admin_token,
            json!({"handover_to": null}),
        )
        .await;
    assert_eq!(
        (s, body["customers_moved"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    assert_eq!(
        app.store.customer(&app.all(), c3).await.unwrap().owner_id,
        None
    );
    let (_, pool) = app.get("/api/v1/pool", &t.rep_b1.1).await;
    assert_eq!(pool["total"], 1);
    assert!(
        pool["items"][0].get("phone").is_none(),
        "the pool shows no contact details"
    );

    // A supervisor's deactivation moves their reports up to their own superior.
    let (s, _) = app
        .post(
            &format!("/api/v1/users/{}/deactivate", t.sup_b.0),
            &app.admin_token,
            json!({"handover_to": t.director.0}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.store
            .user(app.org_id, t.rep_b1.0)
            .await
            .unwrap()
            .superior_id,
        Some(t.director.0)
    );
    app.assert_tally_consistent().await;
    app.assert_audit_in_words().await;
}

async fn activities_pool_and_claims(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let id = app
        .customer(&t.rep_a1.1, "公海测试客户", "13800000021")
        .await["id"]
        .as_i64()
        .unwrap();
    let (s, a) = app
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.rep_a1.1,
            json!({"kind": "visit", "summary": "上门拜访", "occurred_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert!(
        a["occurred_at"].as_str().unwrap() > "2026",
        "server time is used, not the client's"
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.rep_a1.1,
            json!({"kind": "fax", "summary": "x"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.rep_a1.1,
            json!({"kind": "visit", "summary": "现场演示", "outcome": "同意试用", "next_step": "下周送样", "location": "杭州市西湖区文三路 90 号"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (
            v["outcome"].as_str(),
            v["next_step"].as_str(),
            v["location"].as_str()
        ),
        (
            Some("同意试用"),
            Some("下周送样"),
            Some("杭州市西湖区文三路 90 号")
        )
    );
    let (s, e) = app
        .post(
            &format!("/api/v1/customers/{id}/activities"),
            &t.rep_a1.1,
            json!({"kind": "visit", "summary": "x", "location": "地".repeat(301)}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("location"))
    );
    let (_, list) = app
        .get(&format!("/api/v1/customers/{id}/activities"), &t.rep_a1.1)
        .await;
    assert_eq!(list["total"], 2);

    // Eight silent days later the recycle returns it to the pool, once.
    let later = chrono::Utc::now() + chrono::Duration::days(8);
    assert_eq!(app.store.recycle(later).await.unwrap(), 1);
    assert_eq!(app.store.recycle(later).await.unwrap(), 0);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{id}"), &t.rep_a1.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Two simultaneous claims: exactly one owner.
    let claim = |token: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/customers/{id}/claim"));
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    let mut handles = Vec::new();
    for token in [&t.rep_a2.1, &t.rep_b1.1, &t.rep_a2.1, &t.rep_b1.1] {
        handles.push(claim(token.clone()));
    }
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
    let owner = app
        .store
        .customer(&app.all(), id)
        .await
        .unwrap()
        .owner_id
        .unwrap();
    assert!(owner == t.rep_a2.0 || owner == t.rep_b1.0);
    let (_, pool) = app.get("/api/v1/pool", &t.rep_a2.1).await;
    assert_eq!(pool["total"], 0);
    app.assert_tally_consistent().await;
}

/// Paging through the default order gives every customer in the scope exactly once, in order,
/// whether a page is read by walking the organization in that order (a large share of it in
/// scope, early pages) or by sorting the scope (SQLite picks between the two from the tally).
async fn default_order_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let mut a_ids = Vec::new();
    for i in 0..12 {
        let c = app
            .customer(
                &t.rep_a1.1,
                &format!("分页客户A{i}"),
                &format!("1390000{i:04}"),
            )
            .await;
        a_ids.push(c["id"].as_i64().unwrap());
        // Team B holds most of the company, so that team A's later pages are sorted, not walked.
        for j in 0..8 {
            let n = i * 8 + j;
            let c = app
                .customer(
                    &t.rep_b1.1,
                    &format!("分页客户B{n}"),
                    &format!("1380000{n:04}"),
                )
                .await;
            a_ids.push(-c["id"].as_i64().unwrap());
        }
    }
    let everyone: Vec<i64> = a_ids.iter().rev().map(|id| id.abs()).collect();
    let team_a: Vec<i64> = a_ids.iter().rev().filter(|id| **id > 0).copied().collect();
    for (token, expected) in [(&t.director.1, &everyone), (&t.sup_a.1, &team_a)] {
        let mut seen = Vec::new();
        for page in 1..=expected.len().div_ceil(4) {
            let (s, body) = app
                .get(&format!("/api/v1/customers?per_page=4&page={page}"), token)
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
            assert_eq!(body["total"].as_i64(), Some(expected.len() as i64));
            seen.extend(
                body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["id"].as_i64().unwrap()),
            );
        }
        assert_eq!(&seen, expected, "pages in the default order, newest first");
    }
}

/// Search is a literal substring match: wildcards and quotes in what people type match only
/// themselves, on the trigram index (SQLite, three characters or more) and without it.
async fn search_is_literal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let team = Team::build(&app).await;
    let rep = &team.rep_a1.1;
    let mut ids = Vec::new();
    for (name, phone) in [
        ("百分之100%贸易有限公司", "13700000001"),
        ("甲乙100x贸易有限公司", "13700000002"),
        ("下划_线科技有限公司", "13700000003"),
        ("下划x线科技有限公司", "13700000004"),
        ("双引号\"星\"商行", "13700000005"),
    ] {
        ids.push(app.customer(rep, name, phone).await["id"].as_i64().unwrap());
    }
    for (q, expected) in [
        ("100%", vec![ids[0]]),
        ("%", vec![ids[0]]),
        ("100", vec![ids[0], ids[1]]),
        ("划_线", vec![ids[2]]),
        ("_", vec![ids[2]]),
        ("\"星\"", vec![ids[4]]),
        ("号\"", vec![ids[4]]),
    ] {
        assert_search_finds(&app, rep, q, &expected).await;
    }
}

/// The customer list searched for `q` as `token` holds exactly `expected` (any order), and its
/// total says so.
async fn assert_search_finds(app: &TestApp, token: &str, q: &str, expected: &[i64]) {
    let (s, list) = app
        .get(&format!("/api/v1/customers?q={}", urlencode(q)), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let mut found: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    found.sort();
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(found, expected, "search {q}");
    assert_eq!(list["total"], expected.len(), "total of {q}");
}

/// A pinyin query is looked up by the rare trigrams across its syllables, then each candidate
/// is tested for the whole query: a name holding those trigrams apart ("广达吉西": guangdajixi)
/// is not a match, and each scope gets exactly its own matches, on both backends.
async fn pinyin_search_is_exact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let team = Team::build(&app).await;
    let ours = app
        .customer(&team.rep_a1.1, "恒达机械有限公司", "13700000011")
        .await["id"]
        .as_i64()
        .unwrap();
    app.customer(&team.rep_a1.1, "广达吉西贸易有限公司", "13700000012")
        .await;
    let theirs = app
        .customer(&team.rep_b1.1, "宁波恒达机械厂", "13700000013")
        .await["id"]
        .as_i64()
        .unwrap();
    let director = &team.director.1;
    for (who, q, expected) in [
        (director, "hengdajixie", vec![ours, theirs]),
        (director, "dajixie", vec![ours, theirs]),
        (director, "hengdajixieyou", vec![ours]),
        (director, "ningbohengdaji", vec![theirs]),
        (&team.rep_a1.1, "hengdajixie", vec![ours]),
        (&team.sup_b.1, "dajixie", vec![theirs]),
        (&team.rep_b1.1, "guangdajixi", vec![]),
    ] {
        assert_search_finds(&app, who, q, &expected).await;
    }
    // The store's uncapped list (segments, campaigns) reads the same way.
    let (items, total) = app
        .store
        .list_customers(
            &app.all(),
            &CustomerListQuery {
                q: Some("hengdajixie".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert!(items.iter().all(|c| c.name.contains("恒达机械")));
}

/// A check-in may carry the browser's position: both coordinates within range, kept with the
/// follow-up and shown on its timeline; half a position or an impossible one is refused naming
/// the field, and nothing is logged.
async fn check_in_keeps_the_position(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "定位测试商行", "13300000001")
        .await;
    let path = format!("/api/v1/customers/{}/activities", c["id"]);
    let visit = |extra: serde_json::Value| {
        let mut body = json!({"kind": "visit", "summary": "上门拜访", "location": "上海市"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (extra, field, code) in [
        (json!({"latitude": 31.23}), "longitude", "required"),
        (
            json!({"latitude": "95", "longitude": "121"}),
            "latitude",
            "out_of_range",
        ),
        (
            json!({"latitude": 31.2, "longitude": "东经"}),
            "longitude",
            "invalid_number",
        ),
    ] {
        let (s, e) = app.post(&path, &t.rep_a1.1, visit(extra)).await;
        assert_eq!(
            (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field), Some(code)),
            "{e}"
        );
    }
    let (_, list) = app.get(&path, &t.rep_a1.1).await;
    assert_eq!(list["total"], 0, "nothing logged");
    let (s, a) = app
        .post(
            &path,
            &t.rep_a1.1,
            visit(json!({"latitude": 31.2304162, "longitude": 121.4737})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(
        (&a["latitude"], &a["longitude"]),
        (&json!("31.230416"), &json!("121.4737"))
    );
    let (_, html) = app
        .page(&format!("/customers/{}", c["id"]), &t.rep_a1.1)
        .await;
    assert!(html.contains("定位：31.230416, 121.4737"), "{html}");
}

/// The names a customer-list query answers (sorted), checking that the total agrees.
async fn listed(app: &TestApp, token: String, query: String) -> Vec<String> {
    let (s, list) = app.get(&format!("/api/v1/customers?{query}"), &token).await;
    assert_eq!(s, StatusCode::OK, "{query}: {list}");
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(list["total"], names.len(), "{query}");
    names
}

/// A customer-list query refused with 422 naming `field`.
async fn refused(app: &TestApp, token: &str, query: &str, field: &str) {
    let (s, e) = app.get(&format!("/api/v1/customers?{query}"), token).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
        "{query}: {e}"
    );
}

/// The list filters by every card field, within the caller's scope, and refuses an unknown
/// tier or class naming the parameter; the page keeps the filters across pages.
async fn the_list_filters_by_card_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let make = |token: &str, name: &str, phone: &str, region: &str, source: &str| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"name": name, "phone": phone, "region": region, "industry": "机械", "source": source});
        async move {
            let (s, c) = app.post("/api/v1/customers", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            c
        }
    };
    let a = make(&t.rep_a1.1, "华东展会甲", "13200000001", "华东", "展会").await;
    let b = make(&t.rep_a1.1, "华东名录乙", "13200000002", "华东", "名录").await;
    make(&t.rep_a1.1, "华南展会丙", "13200000003", "华南", "展会").await;
    make(&t.rep_b1.1, "华东展会丁", "13200000004", "华东", "展会").await;
    let qualify = |c: &serde_json::Value, body: serde_json::Value| {
        let app = app.clone();
        let token = t.rep_a1.1.clone();
        let url = format!("/api/v1/customers/{}/qualification", c["id"]);
        async move {
            let (s, r) = app.call(Method::PUT, &url, Some(&token), Some(body)).await;
            assert_eq!(s, StatusCode::OK, "{r}");
        }
    };
    qualify(&a, json!({"version": a["version"], "tier": "priority", "man_money": true, "man_authority": true, "man_need": false, "attractiveness": "high", "ability_to_win": "high"})).await;
    qualify(&b, json!({"version": b["version"], "tier": "general"})).await;

    let names = |token: &str, query: &str| listed(&app, token.to_string(), query.to_string());
    let r = |q: &str| format!("region={}&{q}", urlencode("华东"));
    assert_eq!(
        names(&t.rep_a1.1, &r("")).await,
        ["华东名录乙", "华东展会甲"]
    );
    assert_eq!(
        names(&t.director.1, &r("")).await,
        ["华东名录乙", "华东展会丁", "华东展会甲"],
        "the director's scope"
    );
    assert_eq!(
        names(&t.director.1, &r(&format!("source={}", urlencode("展会")))).await,
        ["华东展会丁", "华东展会甲"]
    );
    assert_eq!(names(&t.rep_a1.1, "tier=priority").await, ["华东展会甲"]);
    assert_eq!(names(&t.rep_a1.1, "man_class=MAn").await, ["华东展会甲"]);
    assert_eq!(names(&t.rep_a1.1, "key_account=core").await, ["华东展会甲"]);
    assert_eq!(
        names(
            &t.rep_a1.1,
            &format!("industry={}&tier=general", urlencode("机械"))
        )
        .await,
        ["华东名录乙"]
    );
    for (query, field) in [
        ("tier=vip", "tier"),
        ("man_class=MX", "man_class"),
        ("key_account=big", "key_account"),
        ("kind=robot", "kind"),
    ] {
        refused(&app, &t.rep_a1.1, query, field).await;
    }
    // The page filters the same way and its pager keeps the filter.
    let (_, html) = app
        .page(&format!("/customers?per_page=1&{}", r("")), &t.rep_a1.1)
        .await;
    assert!(html.contains("id=\"total\">(2)"), "{html}");
    assert!(
        html.contains(&format!("region={}", urlencode("华东"))),
        "the pager keeps it: {html}"
    );
}

/// The list filters by what customers did: no follow-up for N days, bought a product, ordered
/// but not since a day, total spent within a range (exact, in fen) — and refuses bad values.
async fn the_list_filters_by_history(backend: Backend) {
    use chrono::TimeZone;
    // Tuesday 2026-11-24, 08:00 China time; a second server stands 20 days earlier.
    let now = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
    let app = TestApp::spawn_with_clock(backend, yingpan_web::Clock::Fixed(now)).await;
    let before = app.at(now - chrono::Duration::days(20)).await;
    let t = Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "L1", "name": "节能灯", "unit": "盏", "price": "100.25"}),
        )
        .await;
    let (_, desk) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "D1", "name": "办公桌", "unit": "张", "price": "999.99"}),
        )
        .await;
    let old = before.customer(&t.rep_a1.1, "老客户", "13100000001").await;
    let lamp_buyer = before.customer(&t.rep_a1.1, "买灯的", "13100000002").await;
    let fresh = app.customer(&t.rep_a1.1, "新客户", "13100000003").await;
    let order = |server: &TestApp,
                 c: &serde_json::Value,
                 product: &serde_json::Value,
                 qty: &str| {
        let server = server.clone();
        let token = t.rep_a1.1.clone();
        let body = json!({"customer_id": c["id"], "lines": [{"product_id": product["id"], "quantity": qty}]});
        async move {
            let (s, o) = server.post("/api/v1/orders", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{o}");
        }
    };
    order(&before, &lamp_buyer, &lamp, "2").await; // 200.50, twenty days ago
    order(&before, &old, &desk, "1").await; // 999.99, twenty days ago
    order(&app, &fresh, &lamp, "1").await; // 100.25, today
    let (s, _) = app
        .post(
            &format!("/api/v1/customers/{}/activities", fresh["id"]),
            &t.rep_a1.1,
            json!({"kind": "call", "summary": "回访"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    let names = |query: &str| listed(&app, t.rep_a1.1.clone(), query.to_string());
    assert_eq!(names("inactive_days=10").await, ["买灯的", "老客户"]);
    assert_eq!(
        names(&format!("bought_product={}", lamp["id"])).await,
        ["买灯的", "新客户"]
    );
    assert_eq!(
        names("last_order_before=2026-11-20").await,
        ["买灯的", "老客户"]
    );
    // 200.50 is at least 200.50 and at most 999.98; 999.99 is not.
    assert_eq!(names("spent_min=200.5").await, ["买灯的", "老客户"]);
    assert_eq!(names("spent_min=200.5&spent_max=999.98").await, ["买灯的"]);
    assert_eq!(names("spent_max=100.25").await, ["新客户"]);
    for (query, field) in [
        ("inactive_days=0", "inactive_days"),
        ("last_order_before=2026-13-01", "last_order_before"),
        ("spent_min=lots", "spent_min"),
        ("bought_product=x", "bought_product"),
    ] {
        refused(&app, &t.rep_a1.1, query, field).await;
    }
    let (_, html) = app
        .page("/customers?per_page=1&inactive_days=10", &t.rep_a1.1)
        .await;
    assert!(
        html.contains("id=\"total\">(2)") && html.contains("inactive_days=10"),
        "{html}"
    );
}

/// The list filters by the card's size bands (revenue and net assets exact to the fen,
/// employees), by team (a supervisor and everyone below) and by the kind of the latest
/// follow-up — within scope, many pages deep, and refusing bad values.
async fn the_list_filters_by_size_team_and_last_activity(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let make = |token: &str, name: &str, phone: &str, profile: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"name": name, "phone": phone, "region": "华北", "profile": profile});
        async move {
            let (s, c) = app.post("/api/v1/customers", &token, body).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            c
        }
    };
    let small = make(
        &t.rep_a1.1,
        "小厂",
        "13300000001",
        json!({"annual_revenue": "999999.99", "employees": 12}),
    )
    .await;
    make(
        &t.rep_a2.1,
        "中厂",
        "13300000002",
        json!({"annual_revenue": "1000000", "employees": 120, "net_assets": "5000000"}),
    )
    .await;
    make(
        &t.rep_b1.1,
        "大厂",
        "13300000003",
        json!({"annual_revenue": "80000000.5", "employees": 900}),
    )
    .await;
    make(&t.rep_b1.1, "没填规模", "13300000004", json!({})).await;
    let names = |token: &str, query: &str| listed(&app, token.to_string(), query.to_string());
    let d = &t.director.1;
    assert_eq!(
        names(d, "revenue_min=1000000").await,
        ["中厂", "大厂"],
        "exact at the boundary"
    );
    assert_eq!(names(d, "revenue_max=999999.99").await, ["小厂"]);
    assert_eq!(
        names(d, "employees_min=100&employees_max=900").await,
        ["中厂", "大厂"]
    );
    assert_eq!(
        names(d, "net_assets_min=1").await,
        ["中厂"],
        "no figure, no band"
    );
    assert_eq!(
        names(&t.rep_a1.1, "employees_min=1").await,
        ["小厂"],
        "the caller's scope"
    );
    assert_eq!(
        names(d, &format!("team={}", t.sup_a.0)).await,
        ["中厂", "小厂"]
    );
    assert_eq!(
        names(&t.sup_b.1, &format!("team={}", t.sup_a.0)).await,
        Vec::<String>::new(),
        "another team's customers stay out of reach"
    );
    // The latest follow-up decides: a visit, then a call, is a call.
    for (kind, summary) in [("visit", "上门"), ("call", "电话回访")] {
        let (s, _) = app
            .post(
                &format!("/api/v1/customers/{}/activities", small["id"]),
                &t.rep_a1.1,
                json!({"kind": kind, "summary": summary}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    assert_eq!(names(d, "last_activity=call").await, ["小厂"]);
    assert_eq!(names(d, "last_activity=visit").await, Vec::<String>::new());
    for (query, field) in [
        ("revenue_min=lots", "revenue_min"),
        ("employees_min=-1", "employees_min"),
        ("employees_min=10&employees_max=5", "employees_min"),
        ("last_activity=fax", "last_activity"),
        ("team=x", "team"),
    ] {
        refused(&app, d, query, field).await;
    }
    // A segment keeps these filters too.
    let (s, seg) = app
        .post(
            "/api/v1/segments",
            d,
            json!({"name": "大中型", "query": "employees_min=100&last_activity=&revenue_min=1000000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{seg}");
    let (_, html) = app.page("/customers?employees_min=100", d).await;
    assert!(
        html.contains("id=\"total\">(2)")
            && html.contains("<details class=\"inline-details\" open>"),
        "{html}"
    );
}

/// Saved segments: a filter kept under a name, personal or shared with the team (colleagues
/// with the same superior, people above); whoever uses one sees only their own scope's members.
async fn segments_keep_filters_and_share_them_with_the_team(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    for (token, name, phone) in [
        (&t.rep_a1.1, "华东甲", "13000000101"),
        (&t.rep_a2.1, "华东乙", "13000000102"),
        (&t.rep_b1.1, "华东丙", "13000000103"),
    ] {
        let (s, c) = app
            .post(
                "/api/v1/customers",
                token,
                json!({"name": name, "phone": phone, "region": "华东"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let region = format!("region={}", urlencode("华东"));
    let save = |token: &str, body: serde_json::Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/segments", &token, body).await }
    };
    for (body, field, code) in [
        (json!({"name": " ", "query": region}), "name", "required"),
        (
            json!({"name": "x", "query": "region=a&password=b"}),
            "query",
            "unknown_filter",
        ),
        (json!({"name": "x", "query": "page=2"}), "query", "required"),
    ] {
        let (s, e) = save(&t.rep_a1.1, body).await;
        assert_eq!(
            (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field), Some(code)),
            "{e}"
        );
    }
    let (s, shared) = save(
        &t.rep_a1.1,
        json!({"name": "华东客户", "query": format!("{region}&page=3"), "shared": true}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{shared}");
    assert_eq!(shared["query"], region, "paging is not kept");
    let (_, mine) = save(&t.rep_a1.1, json!({"name": "我的", "query": region})).await;

    let seen = |token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let (_, list) = app.get("/api/v1/segments", &token).await;
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(seen(&t.rep_a1.1).await, ["华东客户", "我的"]);
    assert_eq!(seen(&t.rep_a2.1).await, ["华东客户"], "a colleague");
    assert_eq!(seen(&t.sup_a.1).await, ["华东客户"], "the superior");
    assert_eq!(
        seen(&t.director.1).await,
        ["华东客户"],
        "above the superior"
    );
    assert!(seen(&t.rep_b1.1).await.is_empty(), "another team");

    // Used by a colleague, the segment lists the colleague's own customers only.
    let (_, list) = app
        .get(
            &format!("/api/v1/customers?{}", shared["query"].as_str().unwrap()),
            &t.rep_a2.1,
        )
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "华东乙");

    // Only the owner deletes; the page shows what is left.
    assert_eq!(
        app.delete(&format!("/api/v1/segments/{}", shared["id"]), &t.rep_a2.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/v1/segments/{}", mine["id"]), &t.rep_a1.1)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(seen(&t.rep_a1.1).await, ["华东客户"]);
    let (_, html) = app.page(&format!("/customers?{region}"), &t.rep_a1.1).await;
    assert!(
        html.contains("华东客户") && html.contains("id=\"segment-form\""),
        "{html}"
    );
    app.assert_audit_in_words().await;
}

on_both_backends!(
    search_is_literal,
    pinyin_search_is_exact,
    default_order_pages,
    login_and_me,
    login_throttling,
    customer_lifecycle,
    customer_validation,
    visibility_follows_hierarchy,
    contacts_crud,
    people_and_reporting_line,
    deactivation_hands_customers_over,
    activities_pool_and_claims,
    check_in_keeps_the_position,
    the_list_filters_by_card_fields,
    the_list_filters_by_history,
    the_list_filters_by_size_team_and_last_activity,
    segments_keep_filters_and_share_them_with_the_team,
);
