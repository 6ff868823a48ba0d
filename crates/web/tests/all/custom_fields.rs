//! Admin-defined customer fields: definitions, typed values, filtering and grouping, on both
//! backends.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn custom_fields_filter_and_group(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, rep) = app.person("rep", "sales", Some(app.admin_id)).await;
    let admin = app.admin_token.clone();
    let field = |body: serde_json::Value| app.post("/api/v1/custom-fields", &admin, body);

    assert_eq!(
        app.post(
            "/api/v1/custom-fields",
            &rep,
            json!({"key": "x", "label": "X", "kind": "text"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = field(json!({"key": "Bad Key", "label": "X", "kind": "text"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("key"))
    );
    let (s, e) = field(json!({"key": "interest", "label": "意向产品", "kind": "choice"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("choices"))
    );
    let (s, interest) = field(json!({"key": "interest", "label": "意向产品", "kind": "choice", "choices": ["节能灯具", "中央空调"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{interest}");
    let (s, e) = field(json!({"key": "interest", "label": "重复", "kind": "text"})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("key"))
    );
    field(json!({"key": "call_again", "label": "需再次致电", "kind": "yes_no"})).await;
    field(json!({"key": "budget", "label": "预算", "kind": "number"})).await;
    field(json!({"key": "next_fair", "label": "下次展会", "kind": "date"})).await;

    let (s, e) = app
        .post(
            "/api/v1/customers",
            &rep,
            json!({"name": "甲", "custom": {"interest": "冰箱"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("custom"),
            Some("invalid_choice")
        )
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("interest"));
    let (s, e) = app
        .post(
            "/api/v1/customers",
            &rep,
            json!({"name": "甲", "custom": {"budget": "lots"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_number"))
    );
    let (_, list) = app.get("/api/v1/customers", &rep).await;
    assert_eq!(list["total"], 0, "nothing stored on bad input");

    let mk = |name: &str, custom: serde_json::Value| {
        let body = json!({"name": name, "custom": custom});
        let app = app.clone();
        let rep = rep.clone();
        async move {
            let (s, c) = app.post("/api/v1/customers", &rep, body).await;
            assert_eq!(s, StatusCode::CREATED, "{c}");
            c
        }
    };
    let a = mk("甲公司", json!({"interest": "节能灯具", "call_again": true, "budget": "12000.50", "next_fair": "2027-03-01"})).await;
    assert_eq!(
        a["custom"],
        json!({"interest": "节能灯具", "call_again": "yes", "budget": "12000.5", "next_fair": "2027-03-01"})
    );
    mk(
        "乙公司",
        json!({"interest": "节能灯具", "call_again": false}),
    )
    .await;
    mk("丙公司", json!({"interest": "中央空调"})).await;
    mk("丁公司", json!({})).await;

    let (_, lamps) = app
        .get(
            "/api/v1/customers?cf.interest=%E8%8A%82%E8%83%BD%E7%81%AF%E5%85%B7",
            &rep,
        )
        .await;
    assert_eq!(lamps["total"], 2);
    let (_, call) = app
        .get(
            "/api/v1/customers?cf.call_again=yes&cf.interest=%E8%8A%82%E8%83%BD%E7%81%AF%E5%85%B7",
            &rep,
        )
        .await;
    assert_eq!(
        (call["total"].as_i64(), call["items"][0]["name"].as_str()),
        (Some(1), Some("甲公司"))
    );
    let (s, e) = app.get("/api/v1/customers?cf.shoe_size=42", &rep).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );

    let (s, groups) = app
        .get("/api/v1/customers/groups?field=interest", &rep)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        groups["items"],
        json!([{"value": "节能灯具", "count": 2}, {"value": "中央空调", "count": 1}, {"value": null, "count": 1}])
    );

    // A PATCH changes only the keys sent, and the change is audited.
    let id = a["id"].as_i64().unwrap();
    let (s, c) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &rep,
            json!({"version": 1, "custom": {"call_again": "no", "budget": null}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        c["custom"],
        json!({"interest": "节能灯具", "call_again": "no", "next_fair": "2027-03-01"})
    );
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}"),
            &admin,
        )
        .await;
    let changes = audit["items"][0]["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({"field": "custom.call_again", "before": "yes", "after": "no"})),
        "{changes:?}"
    );

    // A retired field keeps its values but takes no new ones.
    let fid = interest["id"].as_i64().unwrap();
    let (s, f) = app
        .patch(
            &format!("/api/v1/custom-fields/{fid}"),
            &admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!((s, f["active"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, e) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            &rep,
            json!({"version": 2, "custom": {"interest": "中央空调"}}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_field"))
    );

    for (path, token, status) in [
        ("/admin/custom-fields", &admin, StatusCode::OK),
        ("/admin/custom-fields", &rep, StatusCode::FORBIDDEN),
        ("/customers/groups?field=interest", &rep, StatusCode::OK),
        ("/customers/new", &rep, StatusCode::OK),
        (&format!("/customers/{id}") as &str, &rep, StatusCode::OK),
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
    app.assert_audit_in_words().await;
}

/// Picklists: admins keep the values of region, industry and source; registration, edits and
/// imports take only those (or 其他); an older record keeps its value through other edits.
async fn picklists_keep_region_industry_and_source_consistent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let legacy = app
        .customer(&t.rep_a1.1, "老客户机械厂", "13500000001")
        .await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/customers/{}", legacy["id"]),
            &t.rep_a1.1,
            json!({"version": legacy["version"], "industry": "机械"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let put = |token: &str, body: Value| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            app.call(Method::PUT, "/api/v1/picklists", Some(&token), Some(body))
                .await
        }
    };
    assert_eq!(
        put(&t.rep_a1.1, json!({"region": ["华东"]})).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, e) = put(&app.admin_token, json!({"owner": ["x"]})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field"))
    );
    let (s, lists) = put(
        &app.admin_token,
        json!({"region": ["华东", "华北"], "industry": ["电子", "化工"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{lists}");
    assert_eq!(lists["region"], json!(["华东", "华北", "其他"]));
    assert!(lists.get("source").is_none(), "no list: free text");
    let (_, read) = app.get("/api/v1/picklists", &t.rep_a1.1).await;
    assert_eq!(read, lists);

    let register = |region: &str, phone: &str| {
        let app = app.clone();
        let token = t.rep_a1.1.clone();
        let body = json!({"name": format!("{region}客户{phone}"), "phone": phone, "region": region, "source": "随便写"});
        async move { app.post("/api/v1/customers", &token, body).await }
    };
    let (s, e) = register("华东区", "13500000002").await;
    assert_eq!(
        (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("region"),
            Some("not_in_list")
        ),
        "{e}"
    );
    assert_eq!(register("华东", "13500000003").await.0, StatusCode::CREATED);
    assert_eq!(register("其他", "13500000004").await.0, StatusCode::CREATED);

    // The older record keeps 机械 while its phone changes; changing it to another off-list
    // value is refused.
    let (_, current) = app
        .get(&format!("/api/v1/customers/{}", legacy["id"]), &t.rep_a1.1)
        .await;
    let (s, c) = app
        .patch(
            &format!("/api/v1/customers/{}", legacy["id"]),
            &t.rep_a1.1,
            json!({"version": current["version"], "phone": "13500000009"}),
        )
        .await;
    assert_eq!(
        (s, c["industry"].as_str()),
        (StatusCode::OK, Some("机械")),
        "{c}"
    );
    let (s, e) = app
        .patch(
            &format!("/api/v1/customers/{}", legacy["id"]),
            &t.rep_a1.1,
            json!({"version": c["version"], "industry": "五金"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("industry"))
    );

    // An import names the row and the field, and takes the others.
    let csv = "名称,电话,区域\n甲厂,13500000011,华北\n乙厂,13500000012,东北\n";
    let r = app
        .client
        .post(app.url("/api/v1/customers/import?skip_rejected=true"))
        .bearer_auth(&t.sup_a.1)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["imported"], 1, "{r}");
    assert_eq!(
        (
            &r["rejected"][0]["line"],
            &r["rejected"][0]["field"],
            &r["rejected"][0]["code"]
        ),
        (&json!(3), &json!("region"), &json!("not_in_list")),
        "{r}"
    );

    // The form offers the lists; the admin page keeps them one per line.
    let (_, form) = app.page("/customers/new", &t.rep_a1.1).await;
    assert!(
        form.contains("<select name=\"region\"") && form.contains("<option value=\"华北\""),
        "{form}"
    );
    assert!(
        form.contains("<input name=\"source\""),
        "source stays free text"
    );
    let (_, admin) = app.page("/admin/picklists", &app.admin_token).await;
    assert!(admin.contains("华东\n华北"), "{admin}");
    assert_eq!(
        app.page("/admin/picklists", &t.rep_a1.1).await.0,
        StatusCode::FORBIDDEN
    );
    app.assert_audit_in_words().await;
}

on_both_backends!(
    custom_fields_filter_and_group,
    picklists_keep_region_industry_and_source_consistent
);
