//! The objection library on both backends: managers keep objections, anyone adds answers;
//! follow-ups record the objection met, the answer given and whether it worked; the library
//! ranks answers by how often they win and finds objections by their words or their answers.

use crate::common;

use crate::common::{strip_tags, Backend, Team, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn the_library_learns_which_answers_win(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "恒达机械有限公司", "13800000001")
        .await["id"]
        .as_i64()
        .unwrap();
    let new = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move { app.post("/api/v1/objections", &token, body).await }
    };
    assert_eq!(
        new(&t.rep_a1.1, json!({"text": "价格太高"})).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = new(&t.sup_a.1, json!({"text": "价格太高", "stage": "someday"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("stage"))
    );
    let (s, price) = new(
        &t.sup_a.1,
        json!({"text": "价格太高，别家便宜 15%", "concern": "怕买贵了被问责", "stage": "closing"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{price}");
    let price_id = price["objection"]["id"].as_i64().unwrap();
    let (_, other) = new(
        &t.sup_a.1,
        json!({"text": "已经有固定供应商了", "stage": "appointment"}),
    )
    .await;
    let other_id = other["objection"]["id"].as_i64().unwrap();
    let answer = |token: &str, id: i64, text: &str| {
        let (app, token, text) = (app.clone(), token.to_string(), text.to_string());
        async move {
            app.post(
                &format!("/api/v1/objections/{id}/answers"),
                &token,
                json!({"text": text}),
            )
            .await
        }
    };
    assert_eq!(
        answer(&t.rep_a1.1, price_id, " ").await.1["error"]["field"],
        "text"
    );
    let (s, d) = answer(&t.rep_a1.1, price_id, "分期付款：首付 30%").await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, d) = answer(&t.rep_a2.1, price_id, "算总账：节省的电费一年抵掉差价").await;
    let ids: Vec<(i64, String)> = d["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let installments = ids.iter().find(|(_, t)| t.starts_with("分期")).unwrap().0;
    let total_cost = ids.iter().find(|(_, t)| t.starts_with("算总账")).unwrap().0;
    let (_, d) = answer(&t.rep_a1.1, other_id, "先做一个车间试点").await;
    let pilot = d["answers"][0]["id"].as_i64().unwrap();

    let visit = |objections: Value| {
        let app = app.clone();
        let token = t.rep_a1.1.clone();
        async move {
            app.post(
                &format!("/api/v1/customers/{c}/activities"),
                &token,
                json!({"kind": "visit", "summary": "拜访", "objections": objections}),
            )
            .await
        }
    };
    for (answer, worked) in [
        (total_cost, true),
        (total_cost, true),
        (installments, false),
        (total_cost, false),
        (installments, true),
    ] {
        let (s, a) =
            visit(json!([{"objection_id": price_id, "answer_id": answer, "worked": worked}])).await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
    }
    visit(json!([{"objection_id": price_id}])).await;
    let activities = || {
        let (app, token) = (app.clone(), t.rep_a1.1.clone());
        async move {
            app.get(&format!("/api/v1/customers/{c}/activities"), &token)
                .await
                .1["total"]
                .as_i64()
                .unwrap()
        }
    };
    let before = activities().await;
    let (s, e) =
        visit(json!([{"objection_id": price_id, "answer_id": pilot, "worked": true}])).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_answer")),
        "another objection's answer"
    );
    let (s, e) = visit(json!([{"objection_id": price_id, "worked": true}])).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("answer_id"))
    );
    assert_eq!(
        activities().await,
        before,
        "a refused follow-up writes nothing"
    );

    let (_, d) = app
        .get(&format!("/api/v1/objections/{price_id}"), &t.rep_b1.1)
        .await;
    assert_eq!(d["objection"]["met"], 6, "{d}");
    let ranked: Vec<(i64, &str, i64)> = d["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["win_rate"].as_str().unwrap_or("-"),
                a["used"].as_i64().unwrap(),
            )
        })
        .collect();
    // Total cost: 2 of 3 (66.7%); installments: 1 of 2 (50%).
    assert_eq!(ranked, [(total_cost, "66.7", 3), (installments, "50", 2)]);
    let (_, list) = app.get("/api/v1/objections", &t.rep_b1.1).await;
    let order: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_i64().unwrap())
        .collect();
    assert_eq!(order, [price_id, other_id], "the most often met first");
    assert_eq!(
        list["items"][0]["best_answer"],
        "算总账：节省的电费一年抵掉差价"
    );

    // Search: by the objection's words, by an answer's words; wildcards are text.
    for (q, expect) in [
        ("固定供应商", vec![other_id]),
        ("试点", vec![other_id]),
        ("电费", vec![price_id]),
        ("%", vec![price_id]),
        ("_", vec![]),
        ("闲聊", vec![]),
    ] {
        let (s, found) = app
            .get(
                &format!("/api/v1/objections?q={}", common::urlencode(q)),
                &t.rep_a1.1,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let got: Vec<i64> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got, expect, "q={q}");
    }
    let (_, by_stage) = app
        .get("/api/v1/objections?stage=appointment", &t.rep_a1.1)
        .await;
    assert_eq!(by_stage["items"].as_array().unwrap().len(), 1);

    // Managers retire answers and objections; a retired objection is no longer recorded.
    assert_eq!(
        app.delete(
            &format!("/api/v1/objections/{price_id}/answers/{installments}"),
            &t.rep_a1.1
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(
            &format!("/api/v1/objections/{price_id}/answers/{installments}"),
            &t.sup_a.1
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let (s, e) = app
        .call(Method::PUT, &format!("/api/v1/objections/{other_id}"), Some(&t.sup_a.1), Some(json!({"text": "已经有固定供应商了", "stage": "appointment", "active": false, "version": 1})))
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        app.call(
            Method::PUT,
            &format!("/api/v1/objections/{other_id}"),
            Some(&t.sup_a.1),
            Some(json!({"text": "x", "version": 1}))
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    let (s, e) = visit(json!([{"objection_id": other_id}])).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_objection"))
    );
    let (_, list) = app.get("/api/v1/objections", &t.rep_a1.1).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, list) = app.get("/api/v1/objections?retired=1", &t.rep_a1.1).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);

    let (s, page) = app
        .page(&format!("/objections/{price_id}"), &t.rep_a1.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(strip_tags(&page).contains("66.7%"), "{}", strip_tags(&page));
    let (_, page) = app.page(&format!("/customers/{c}"), &t.rep_a1.1).await;
    assert!(
        page.contains(&format!("value=\"{price_id}:{total_cost}\"")),
        "the follow-up form offers the live answers"
    );
    assert!(
        !page.contains(&format!("value=\"{price_id}:{installments}\"")),
        "not the retired one"
    );
    app.assert_audit_in_words().await;
}

on_both_backends!(the_library_learns_which_answers_win);
