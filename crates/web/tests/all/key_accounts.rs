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

on_both_backends!(screening_places_customers_in_the_matrix);
