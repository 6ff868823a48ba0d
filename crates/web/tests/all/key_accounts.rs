//! Key accounts on both backends: scored screening places a customer in the matrix by the
//! company's weights and threshold; the matrix shows each quadrant within one's scope.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

/// Every factor scored `n`, then the named ones overridden.
fn scores(n: u8, overrides: &[(&str, u8)]) -> Value {
    let mut m = Map::new();
    for f in [
        "volume",
        "growth",
        "margin",
        "credit",
        "strategic",
        "product",
        "service",
        "location",
        "relationship",
        "competitor",
    ] {
        m.insert(f.into(), json!(n));
    }
    for (f, v) in overrides {
        m.insert((*f).into(), json!(v));
    }
    Value::Object(m)
}

async fn screening_places_customers_in_the_matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let a = app
        .customer(&t.rep_a1.1, "恒达机械有限公司", "13800000001")
        .await;
    let b = app
        .customer(&t.rep_b1.1, "远航物流有限公司", "13800000002")
        .await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let screen = |token: &str, id: i64, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(&format!("/api/v1/customers/{id}/screenings"), &token, body)
                .await
        }
    };
    let (s, first) = screen(
        &t.rep_a1.1,
        a_id,
        json!({"scores": scores(5, &[]), "note": "年采购额过千万"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(
        (
            first["attractiveness_score"].as_i64(),
            first["ability_score"].as_i64(),
            first["class"].as_str()
        ),
        (Some(100), Some(100), Some("core"))
    );
    let (_, card) = app
        .get(&format!("/api/v1/customers/{a_id}"), &t.rep_a1.1)
        .await;
    assert_eq!(card["key_account_class"], "core", "{card}");
    assert_eq!(
        card["version"],
        a["version"].as_i64().unwrap() + 1,
        "the card changed"
    );

    // Another team's customer is out of reach; an incomplete or out-of-range screening names
    // the factor and writes nothing.
    assert_eq!(
        screen(&t.rep_b1.1, a_id, json!({"scores": scores(3, &[])}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let mut partial = scores(3, &[]);
    partial.as_object_mut().unwrap().remove("location");
    let (s, e) = screen(&t.rep_a1.1, a_id, json!({ "scores": partial })).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scores.location")),
        "{e}"
    );
    let (s, e) = screen(
        &t.rep_a1.1,
        a_id,
        json!({"scores": scores(3, &[("credit", 9)])}),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("scores.credit")),
        "{e}"
    );
    assert_eq!(
        app.store.screenings(&app.all(), a_id).await.unwrap().len(),
        1
    );

    // The company's weights: only an admin sets them, and each side must add up to 100.
    let put = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.call(
                Method::PUT,
                "/api/v1/screening-settings",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let (_, mut settings) = app.get("/api/v1/screening-settings", &t.rep_a1.1).await;
    assert_eq!(settings["threshold"], 60);
    settings["weights"]["product"] = json!(60);
    for f in ["service", "location", "relationship", "competitor"] {
        settings["weights"][f] = json!(10);
    }
    settings["strategies"]["core_potential"] = json!("补齐产品短板，高层拜访");
    assert_eq!(
        put(&t.director.1, settings.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let mut wrong = settings.clone();
    wrong["weights"]["growth"] = json!(30);
    let (s, e) = put(&app.admin_token, wrong).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("weights.attractiveness")
        ),
        "{e}"
    );
    let (s, saved) = put(&app.admin_token, settings.clone()).await;
    assert_eq!(s, StatusCode::OK, "{saved}");

    // A weak product position now weighs 60%: ability (0.6×0 + 0.4×100) = 40 → core potential.
    let (_, second) = screen(
        &t.rep_a1.1,
        a_id,
        json!({"scores": scores(5, &[("product", 1)])}),
    )
    .await;
    assert_eq!(
        (second["ability_score"].as_i64(), second["class"].as_str()),
        (Some(40), Some("core_potential")),
        "{second}"
    );
    let (_, third) = screen(&t.rep_b1.1, b_id, json!({"scores": scores(2, &[])})).await;
    assert_eq!(third["class"], "general");
    let history = app.store.screenings(&app.all(), a_id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.class.as_str()).collect::<Vec<_>>(),
        ["core_potential", "core"],
        "every screening is kept, the latest first"
    );

    // The matrix, within each one's scope.
    let count = |m: &Value, class: &str| {
        m["quadrants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["class"] == class)
            .unwrap()["total"]
            .as_i64()
            .unwrap()
    };
    for (token, potential, general) in [
        (&t.rep_a1.1, 1, 0),
        (&t.sup_a.1, 1, 0),
        (&t.sup_b.1, 0, 1),
        (&t.director.1, 1, 1),
    ] {
        let (_, m) = app.get("/api/v1/key-accounts", token).await;
        assert_eq!(
            (
                count(&m, "core_potential"),
                count(&m, "general"),
                count(&m, "core")
            ),
            (potential, general, 0),
            "{m}"
        );
    }
    let (_, m) = app.get("/api/v1/key-accounts", &t.sup_a.1).await;
    let cell = m["quadrants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["class"] == "core_potential")
        .unwrap()
        .clone();
    assert_eq!(
        (
            cell["customers"][0]["name"].as_str(),
            cell["strategy"].as_str()
        ),
        (Some("恒达机械有限公司"), Some("补齐产品短板，高层拜访"))
    );
    let (s, page) = app.page("/key-accounts", &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("恒达机械有限公司") && text.contains("补齐产品短板"),
        "{text}"
    );
    let (_, page) = app.page("/key-accounts", &t.sup_b.1).await;
    assert!(!page.contains("恒达机械有限公司"));
    let (s, page) = app
        .page(&format!("/customers/{a_id}/screening"), &t.rep_a1.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(strip_tags(&page).contains("年采购额过千万"));
    assert_eq!(
        app.page(&format!("/customers/{a_id}/screening"), &t.rep_b1.1)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // Picking a level by hand drops the score it no longer matches.
    let (_, card) = app
        .get(&format!("/api/v1/customers/{a_id}"), &t.rep_a1.1)
        .await;
    let (s, _) = app
        .call(Method::PUT, &format!("/api/v1/customers/{a_id}/qualification"), Some(&t.rep_a1.1),
            Some(json!({"attractiveness": "high", "ability_to_win": "high", "version": card["version"]})))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, m) = app.get("/api/v1/key-accounts", &t.rep_a1.1).await;
    let core = m["quadrants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["class"] == "core")
        .unwrap()
        .clone();
    assert_eq!(
        (
            core["customers"][0]["attractiveness_score"].as_i64(),
            core["customers"][0]["ability_score"].is_null()
        ),
        (Some(100), true),
        "{core}"
    );
    app.assert_audit_in_words().await;
}

/// An account plan runs as revisions: the manager drafts and submits, the manager's own
/// superior returns or approves, a reviewed revision never changes, approved actions become
/// tasks once, two revisions compare side by side, and those above evaluate.
async fn account_plans_are_revised_and_reviewed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100"}),
        )
        .await;
    app.post(
        "/api/v1/products",
        &t.clerk.1,
        json!({"code": "SOL", "name": "太阳能板", "unit": "块", "price": "900"}),
    )
    .await;
    let a = app
        .customer(&t.rep_a1.1, "恒达机械有限公司", "13800000001")
        .await;
    let b = app
        .customer(&t.rep_b1.1, "远航物流有限公司", "13800000002")
        .await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let (s, o) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            json!({"customer_id": a_id, "lines": [{"product_id": lamp["id"], "quantity": "30"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    for (token, id, n) in [(&t.rep_a1.1, a_id, 5), (&t.rep_b1.1, b_id, 2)] {
        let (s, _) = app
            .post(
                &format!("/api/v1/customers/{id}/screenings"),
                token,
                json!({"scores": scores(n, &[])}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    // The clerk took a satisfaction survey by phone: it scores the report card.
    let (_, survey) = app
        .post(
            "/api/v1/surveys",
            &t.director.1,
            json!({"name": "服务满意度", "questions": "score: 服务态度\nscore: 交货及时"}),
        )
        .await;
    let (s, r) = app
        .post(
            &format!("/api/v1/surveys/{}/responses", survey["id"]),
            &t.clerk.1,
            json!({"customer_id": a_id, "answers": {"q1": "5", "q2": "4"}}),
        )
        .await;
    assert!(s.is_success(), "{r}");
    let year = chrono::Datelike::year(
        &app.now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()),
    );

    // Only a key account within one's scope gets a plan.
    let create = |token: &str, id: i64| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(
                "/api/v1/account-plans",
                &token,
                json!({"customer_id": id, "year": year}),
            )
            .await
        }
    };
    assert_eq!(create(&t.rep_b1.1, a_id).await.0, StatusCode::NOT_FOUND);
    let (s, e) = create(&t.rep_b1.1, b_id).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_key_account")),
        "{e}"
    );
    let (s, d) = create(&t.rep_a1.1, a_id).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let id = d["plan"]["id"].as_i64().unwrap();
    assert_eq!(
        (
            d["plan"]["manager_id"].as_i64(),
            d["revision"]["number"].as_i64(),
            d["revision"]["status"].as_str()
        ),
        (Some(t.rep_a1.0), Some(1), Some("draft"))
    );
    assert_eq!(d["facts"]["bought"][0][0], "节能灯", "{d}");
    assert_eq!(
        (
            d["facts"]["surveys_answered"].as_i64(),
            d["facts"]["survey_mean"].as_str()
        ),
        (Some(1), Some("4.5")),
        "the report card's service score"
    );
    assert_eq!(
        d["facts"]["not_bought"],
        json!(["太阳能板"]),
        "product penetration: what they could buy"
    );
    assert_eq!(
        create(&t.rep_a1.1, a_id).await.1["error"]["code"],
        "plan_exists"
    );

    let path = format!("/api/v1/account-plans/{id}");
    let put = |token: &str, body: Value| {
        let (app, token, path) = (app.clone(), token.to_string(), path.clone());
        async move { app.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    let content = |goal: &str, actions: Value, version: i64| {
        json!({"text": {"needs": "二期扩产，需要节能改造", "decision_process": "采购部初选，总经理拍板", "threats": "竞品低价"},
               "this_year_goal": goal, "actions": actions, "version": version})
    };
    let actions = json!([{"title": "拜访总经理，介绍节能方案", "due_on": format!("{year}-12-20")},
                         {"title": "提交二期报价", "due_on": format!("{year}-12-28")}]);
    assert_eq!(
        put(&t.sup_a.1, content("2000000", actions.clone(), 1))
            .await
            .1["error"]["code"],
        "not_account_manager"
    );
    let (s, e) = put(
        &t.rep_a1.1,
        content("2000000", json!([{"title": "x", "due_on": "明天"}]), 1),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("actions.due_on")),
        "{e}"
    );
    let (s, d) = put(&t.rep_a1.1, content("2000000", actions.clone(), 1)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["plan"]["version"], 2, "the refused saves wrote nothing");
    let stamps = d["revision"]["stamps"].as_object().unwrap();
    assert_eq!(
        stamps.keys().collect::<Vec<_>>(),
        ["goals", "opportunities", "profile"]
    );
    assert_eq!(stamps["profile"]["user_id"].as_i64(), Some(t.rep_a1.0));
    assert_eq!(d["revision"]["content"]["actions"][1]["key"], "a2");
    assert_eq!(
        put(&t.rep_a1.1, content("1", actions.clone(), 1)).await.0,
        StatusCode::CONFLICT
    );

    let step = |token: &str, step: &str, note: &str, version: i64| {
        let (app, token) = (app.clone(), token.to_string());
        let body = json!({"step": step, "note": note, "version": version});
        async move {
            app.post(&format!("/api/v1/account-plans/{id}/steps"), &token, body)
                .await
        }
    };
    let (s, d) = step(&t.rep_a1.1, "submit", "", 2).await;
    assert_eq!(
        (s, d["revision"]["status"].as_str()),
        (StatusCode::OK, Some("submitted")),
        "{d}"
    );
    assert_eq!(
        put(&t.rep_a1.1, content("1", actions.clone(), 3)).await.1["error"]["code"],
        "revision_locked"
    );
    assert_eq!(
        step(&t.director.1, "approve", "", 3).await.1["error"]["code"],
        "not_plan_reviewer",
        "a skip-level superior does not review"
    );
    assert_eq!(
        step(&t.sup_a.1, "return", " ", 3).await.1["error"]["field"],
        "note"
    );
    let (_, d) = step(&t.sup_a.1, "return", "目标偏低，至少 300 万", 3).await;
    assert_eq!(
        (
            d["revision"]["status"].as_str(),
            d["revision"]["review_note"].as_str()
        ),
        (Some("returned"), Some("目标偏低，至少 300 万"))
    );
    assert_eq!(
        put(&t.rep_a1.1, content("3000000", actions.clone(), 4))
            .await
            .1["error"]["code"],
        "revision_locked",
        "a reviewed revision never changes"
    );

    let (_, d) = step(&t.rep_a1.1, "revise", "", 4).await;
    assert_eq!(
        (
            d["revision"]["number"].as_i64(),
            d["revision"]["status"].as_str()
        ),
        (Some(2), Some("draft"))
    );
    let kept = d["revision"]["content"]["actions"].clone();
    let (_, d) = put(&t.rep_a1.1, content("3000000", kept, 5)).await;
    assert_eq!(d["revision"]["content"]["this_year_goal"], "3000000");
    step(&t.rep_a1.1, "submit", "", 6).await;
    let (s, d) = step(&t.sup_a.1, "approve", "同意", 7).await;
    assert_eq!(
        (s, d["revision"]["status"].as_str()),
        (StatusCode::OK, Some("approved")),
        "{d}"
    );
    assert_eq!(d["facts"]["tasks"].as_object().unwrap().len(), 2);
    let (_, tasks) = app.get("/api/v1/tasks", &t.rep_a1.1).await;
    assert_eq!(tasks["total"], 2, "{tasks}");
    assert_eq!(
        (
            tasks["items"][0]["assigner_id"].as_i64(),
            tasks["items"][0]["customer_id"].as_i64()
        ),
        (Some(t.sup_a.0), Some(a_id))
    );

    let (_, due) = app.page("/due?within_days=365", &t.rep_a1.1).await;
    assert!(
        strip_tags(&due).contains("拜访总经理，介绍节能方案"),
        "plan actions are on the account manager's due list"
    );
    // A third revision adds one action: approving it adds one task, not three.
    step(&t.rep_a1.1, "revise", "", 8).await;
    let mut more = d["revision"]["content"]["actions"]
        .as_array()
        .unwrap()
        .clone();
    more.push(json!({"title": "回访使用效果", "due_on": format!("{}-01-15", year + 1)}));
    let (_, d) = put(&t.rep_a1.1, content("3000000", Value::Array(more), 9)).await;
    assert_eq!(d["revision"]["content"]["actions"][2]["key"], "a3");
    step(&t.rep_a1.1, "submit", "", 10).await;
    step(&t.sup_a.1, "approve", "", 11).await;
    let (_, tasks) = app.get("/api/v1/tasks", &t.rep_a1.1).await;
    assert_eq!(tasks["total"], 3);

    let (s, cmp) = app
        .get(
            &format!("/api/v1/account-plans/{id}/compare?a=1&b=2"),
            &t.sup_a.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let changed: Vec<&str> = cmp["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["changed"] == true)
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["this_year_goal"], "{cmp}");
    let (_, first) = app.get(&format!("{path}?revision=1"), &t.rep_a1.1).await;
    assert_eq!(
        (
            first["revision"]["status"].as_str(),
            first["revision"]["content"]["this_year_goal"].as_str()
        ),
        (Some("returned"), Some("2000000")),
        "every revision is kept as it was"
    );

    // Evaluation by those above the manager.
    let evaluate = |token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.post(
                &format!("/api/v1/account-plans/{id}/evaluations"),
                &token,
                json!({"management_score": 4, "people_score": 5, "note": "计划执行到位"}),
            )
            .await
        }
    };
    assert_eq!(
        evaluate(&t.rep_a1.1).await.1["error"]["code"],
        "not_above_manager"
    );
    assert_eq!(evaluate(&t.sup_b.1).await.0, StatusCode::NOT_FOUND);
    let (s, d) = evaluate(&t.director.1).await;
    assert_eq!(
        (s, d["evaluations"][0]["people_score"].as_i64()),
        (StatusCode::CREATED, Some(5))
    );

    for (token, status) in [
        (&t.rep_a1.1, StatusCode::OK),
        (&t.director.1, StatusCode::OK),
        (&t.rep_a2.1, StatusCode::NOT_FOUND),
        (&t.sup_b.1, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(app.get(&path, token).await.0, status);
    }
    let (_, list) = app
        .get(&format!("/api/v1/account-plans?year={year}"), &t.sup_a.1)
        .await;
    assert_eq!(list["total"], 1);
    let (_, list) = app.get("/api/v1/account-plans", &t.sup_b.1).await;
    assert_eq!(list["total"], 0);
    let (s, page) = app.page(&format!("/account-plans/{id}"), &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    let text = strip_tags(&page);
    assert!(
        text.contains("二期扩产") && text.contains("回访使用效果") && text.contains("太阳能板"),
        "{text}"
    );
    let (_, page) = app
        .page(&format!("/account-plans/{id}/compare?a=1&b=2"), &t.rep_a1.1)
        .await;
    assert!(page.contains("class=\"changed\""), "{page}");
    app.assert_audit_in_words().await;
}

on_both_backends!(
    screening_places_customers_in_the_matrix,
    account_plans_are_revised_and_reviewed
);
