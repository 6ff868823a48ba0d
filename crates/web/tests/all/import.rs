//! Customer import over HTTP: duplicate checking within the file and against the organization,
//! all-or-nothing by default, owners within the importer's team — on both backends.

use crate::common;

use crate::common::{urlencode, Backend, Team, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn post_csv(app: &TestApp, path: &str, token: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn count(app: &TestApp) -> i64 {
    let (_, list) = app
        .get("/api/v1/customers?per_page=1", &app.admin_token)
        .await;
    list["total"].as_i64().unwrap()
}

async fn import_checks_duplicates_and_is_all_or_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    app.customer(&t.rep_a1.1, "上海东方机械有限公司", "13811112222")
        .await;
    let before = count(&app).await;
    let csv = "客户名称,电话,邮箱,区域\n\
               杭州嘉禾食品有限公司,0571-8888 6666,,华东\n\
               宁波恒达贸易,13900000001,hengda@example.com,华东\n\
               苏州天成电子,打电话,,华东\n\
               杭州嘉禾食品,+86 571 88886666,,华东\n\
               上海东方机械,,,华东\n";
    let (s, r) = post_csv(&app, "/api/v1/customers/import", &t.sup_a.1, csv.into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["aborted"], true);
    let rejected: Vec<(i64, String, Option<String>)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["line"].as_i64().unwrap(),
                x["code"].as_str().unwrap().to_string(),
                x["field"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        rejected,
        vec![
            (4, "invalid_phone".into(), Some("phone".into())),
            (5, "duplicate_in_file".into(), None),
            (6, "duplicate_customer".into(), Some("name".into())),
        ]
    );
    assert_eq!(count(&app).await, before, "nothing was written");

    // Skipping the rejected rows imports the other two, owned by the importer.
    let (s, r) = post_csv(
        &app,
        "/api/v1/customers/import?skip_rejected=true",
        &t.sup_a.1,
        csv.into(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["imported"].as_i64(), r["aborted"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(count(&app).await, before + 2);
    let (_, found) = app.get("/api/v1/customers?q=jiahe", &t.sup_a.1).await;
    assert_eq!(
        found["total"], 1,
        "imported customers are searchable by pinyin"
    );
    let c = &found["items"][0];
    assert_eq!(c["owner_id"].as_i64(), Some(t.sup_a.0));
    let id = c["id"].as_i64().unwrap();
    let (_, history) = app
        .get(&format!("/api/v1/customers/{id}/ownership"), &t.sup_a.1)
        .await;
    assert_eq!(history["items"][0]["reason"], "import", "{history}");
    let (_, audit) = app
        .get(
            &format!("/api/v1/audit?entity=customer&entity_id={id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(audit["items"][0]["action"], "import", "{audit}");

    // Importing the same file again finds every row already registered.
    let (s, r) = post_csv(
        &app,
        "/api/v1/customers/import?skip_rejected=true",
        &t.sup_a.1,
        csv.into(),
    )
    .await;
    assert_eq!((s, r["imported"].as_i64()), (StatusCode::OK, Some(0)));

    // Owners: someone in the importer's team, not another team's salesperson.
    let other = "name,phone\n温州光明灯饰,13900000009\n".as_bytes().to_vec();
    let (s, e) = post_csv(
        &app,
        &format!("/api/v1/customers/import?owner_id={}", t.rep_b1.0),
        &t.sup_a.1,
        other.clone(),
    )
    .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("owner_id"))
    );
    let (s, r) = post_csv(
        &app,
        &format!("/api/v1/customers/import?owner_id={}", t.rep_a1.0),
        &t.sup_a.1,
        other,
    )
    .await;
    assert_eq!((s, r["imported"].as_i64()), (StatusCode::OK, Some(1)));
    let (_, mine) = app.get("/api/v1/customers?q=wenzhou", &t.rep_a1.1).await;
    assert_eq!(mine["total"], 1);

    // An owner column assigns rows to people of the importer's team, by username.
    let owned = "客户名称,电话,负责人\n\
                 丽水青山茶业,13900000020,rep_a2\n\
                 衢州金鼎化工,13900000021,rep_b1\n\
                 湖州白鹭丝绸,13900000022,nobody\n\
                 嘉兴南湖船舶,13900000023,\n";
    let (s, r) = post_csv(
        &app,
        "/api/v1/customers/import?skip_rejected=true",
        &t.sup_a.1,
        owned.into(),
    )
    .await;
    assert_eq!(
        (s, r["imported"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{r}"
    );
    let codes: Vec<(i64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_i64().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, vec![(3, "invalid_owner"), (4, "unknown_user")]);
    let (_, a2) = app.get("/api/v1/customers?q=lishui", &t.rep_a2.1).await;
    assert_eq!(a2["total"], 1, "rep_a2 owns 丽水青山茶业");
    let (_, sup) = app.get("/api/v1/customers?q=jiaxing", &t.sup_a.1).await;
    assert_eq!(
        sup["items"][0]["owner_id"].as_i64(),
        Some(t.sup_a.0),
        "blank owner: the importer"
    );

    // Excel's GBK, and a file without a name column.
    let (gbk, _, _) = encoding_rs::GBK.encode("客户名称,电话\n台州远大五金,13900000010\n");
    let (s, r) = post_csv(
        &app,
        "/api/v1/customers/import",
        &t.sup_a.1,
        gbk.into_owned(),
    )
    .await;
    assert_eq!(
        (s, r["imported"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    let (s, e) = post_csv(
        &app,
        "/api/v1/customers/import",
        &t.sup_a.1,
        "phone\n13900000011\n".into(),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("missing_name_column")
        )
    );

    // Export: the caller's scope, the columns import reads, formulas neutralised.
    let (s, _) = app
        .post(
            "/api/v1/customers",
            &t.rep_a1.1,
            serde_json::json!({"name": "金华火腿厂", "phone": "13900000030", "notes": "=HYPERLINK(\"http://x\")"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let export = |token: String| {
        let app = app.clone();
        async move {
            let r = app
                .client
                .get(app.url("/api/v1/customers/export"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            assert!(r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv"));
            r.text().await.unwrap()
        }
    };
    // Customer data belongs to the company: a salesperson cannot take it away as a file, and
    // the refusal leaves no export on the record.
    let r = app
        .client
        .get(app.url("/api/v1/customers/export"))
        .bearer_auth(&t.rep_a1.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Opened from a page link, the refusal is a page in Chinese, not the API's JSON.
    for path in ["/customers/export", "/statistics/export?period=2026-11"] {
        let (status, html) = app.page(path, &t.rep_a1.1).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            html.contains("<html") && html.contains("你没有权限") && !html.contains("{\"error\""),
            "{path}: {html}"
        );
    }
    let exports = |who: i64| {
        let app = app.clone();
        async move {
            let (entries, _) = app
                .store
                .audit_log(app.org_id, Some(("customer_export", who)), 10, 0)
                .await
                .unwrap();
            entries
                .iter()
                .map(|e| e.changes[0].after.clone().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert!(exports(t.rep_a1.0).await.is_empty());
    app.customer(&t.rep_b1.1, "宁波海纳贸易有限公司", "13900000031")
        .await;
    let mine = export(t.sup_a.1.clone()).await;
    let lines: Vec<&str> = mine.lines().collect();
    assert!(
        lines[0]
            .trim_start_matches('\u{feff}')
            .starts_with("客户名称,类型,电话"),
        "{mine}"
    );
    assert!(
        mine.contains("金华火腿厂") && mine.contains("上海东方机械有限公司"),
        "{mine}"
    );
    assert!(
        mine.contains("台州远大五金") && !mine.contains("宁波海纳贸易"),
        "the supervisor's team only: {mine}"
    );
    assert!(mine.contains("'=HYPERLINK"), "a formula stays text: {mine}");
    let all = export(app.admin_token.clone()).await;
    assert_eq!(all.lines().count() as i64 - 1, count(&app).await);
    // Each export is on the audit trail with the number of customers it took out.
    assert_eq!(
        exports(t.sup_a.0).await,
        vec![(mine.lines().count() - 1).to_string()]
    );
    assert_eq!(
        exports(app.admin_id).await,
        vec![count(&app).await.to_string()]
    );
    let (_, trail) = app.page("/audit", &app.admin_token).await;
    assert!(trail.contains("客户导出"), "the audit page names exports");
    app.assert_audit_in_words().await;

    let (status, _) = app.page("/customers/import", &t.sup_a.1).await;
    assert_eq!(status, StatusCode::OK);
    // The list page offers the export to those who may export, and only to them.
    for (token, offered) in [(&t.sup_a.1, true), (&t.rep_a1.1, false)] {
        let (_, list) = app.page("/customers", token).await;
        assert_eq!(list.contains("id=\"export-customers\""), offered);
    }
    app.assert_tally_consistent().await;
}

/// Excel workbooks in and out: an `.xlsx` (numbers in number cells, as Excel stores phones) is
/// imported like the CSV, a broken one is refused naming the file and changes nothing, and the
/// export as a workbook holds the caller's scope as text cells.
async fn excel_workbooks_in_and_out(backend: Backend) {
    use calamine::Reader;
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in ["客户名称", "电话", "区域"].iter().enumerate() {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    sheet.write_string(1, 0, "绍兴黄酒有限公司").unwrap();
    sheet.write_number(1, 1, 13900000041.0).unwrap();
    sheet.write_string(1, 2, "华东").unwrap();
    sheet.write_string(2, 0, "=SUM(1,2)商行").unwrap();
    sheet.write_number(2, 1, 13900000042.0).unwrap();
    let xlsx = book.save_to_buffer().unwrap();

    let before = count(&app).await;
    let mut broken = xlsx.clone();
    broken.truncate(200);
    let (s, e) = post_csv(&app, "/api/v1/customers/import", &t.sup_a.1, broken).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["code"], "invalid_xlsx");
    assert_eq!(e["error"]["field"], "file");
    assert_eq!(
        count(&app).await,
        before,
        "a broken workbook changes nothing"
    );

    let (s, r) = post_csv(&app, "/api/v1/customers/import", &t.sup_a.1, xlsx).await;
    assert_eq!(
        (s, r["imported"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{r}"
    );
    let (_, found) = app.get("/api/v1/customers?q=13900000041", &t.sup_a.1).await;
    assert_eq!(found["items"][0]["name"], "绍兴黄酒有限公司", "{found}");
    assert_eq!(found["items"][0]["region"], "华东");

    let export = |token: String, format: &'static str| {
        let app = app.clone();
        async move {
            let r = app
                .client
                .get(app.url(&format!("/api/v1/customers/export?format={format}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let kind = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            (status, kind, r.bytes().await.unwrap().to_vec())
        }
    };
    app.customer(&t.rep_b1.1, "宁波海纳贸易有限公司", "13900000043")
        .await;
    let (status, kind, bytes) = export(t.sup_a.1.clone(), "xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.unwrap().contains("spreadsheetml"));
    let mut read = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = read.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(&rows[0][..3], ["客户名称", "类型", "电话"]);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert!(names.contains(&"绍兴黄酒有限公司"), "{names:?}");
    assert!(
        names.contains(&"=SUM(1,2)商行"),
        "a formula-like name stays text"
    );
    assert!(
        !names.contains(&"宁波海纳贸易有限公司"),
        "another team's customer"
    );
    assert!(
        range
            .used_cells()
            .all(|(_, _, c)| !matches!(c, calamine::Data::Error(_))),
        "every cell is plain text"
    );

    let (status, _, _) = export(t.rep_a1.1.clone(), "xlsx").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = export(t.sup_a.1.clone(), "pdf").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (e["error"]["field"].as_str(), e["error"]["code"].as_str()),
        (Some("format"), Some("unknown_format"))
    );
}

/// Export → import gives back the same customers in a new company: names, kinds, phones,
/// e-mails, addresses, card fields, notes and owners (the export names them by username, as
/// the import reads them); registration times are in the exporter's zone, to the second.
async fn an_export_imports_back_the_same_customers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let fields = |app: TestApp| async move {
        for body in [
            serde_json::json!({"key": "interest", "label": "意向产品", "kind": "choice", "choices": ["节能灯具", "中央空调"]}),
            serde_json::json!({"key": "budget", "label": "预算", "kind": "number"}),
        ] {
            let (s, f) = app
                .post("/api/v1/custom-fields", &app.admin_token, body)
                .await;
            assert_eq!(s, StatusCode::CREATED, "{f}");
        }
    };
    fields(app.clone()).await;
    for (token, body) in [
        (
            &t.rep_a1.1,
            serde_json::json!({"name": "杭州嘉禾食品有限公司", "kind": "company", "phone": "0571-8888 6666", "email": "jiahe@example.com", "address": "杭州市文三路 8 号", "region": "华东", "notes": "二期扩产, 需节能改造",
                "custom": {"interest": "节能灯具", "budget": "250000.5"}}),
        ),
        (
            &t.rep_b1.1,
            serde_json::json!({"name": "王小明", "kind": "individual", "phone": "13900000031"}),
        ),
        (
            &t.rep_a2.1,
            serde_json::json!({"name": "宁波恒达贸易", "phone": "13900000032", "industry": "制造业", "source": "展会", "custom": {"interest": "中央空调"}}),
        ),
    ] {
        let (s, c) = app.post("/api/v1/customers", token, body).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let csv = app
        .client
        .get(app.url("/api/v1/customers/export"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap().trim_start_matches('\u{feff}');
    assert_eq!(
        header,
        "客户名称,类型,电话,邮箱,地址,区域,行业,来源,备注,负责人,负责人姓名,登记时间,最近跟进,意向产品,预算"
    );
    let second = csv.lines().nth(1).unwrap();
    assert!(
        second.contains("企业客户") || second.contains("个人客户"),
        "the kind as the pages say it: {second}"
    );
    // The last columns: registered, last follow-up, then the two custom fields.
    let stamp = second.rsplit(',').nth(3).unwrap();
    let followed = second.rsplit(',').nth(2).unwrap();
    assert_eq!(followed.len(), 19, "{second}");
    assert_eq!(
        stamp.len(),
        19,
        "a time to the second in the exporter's zone: {stamp}"
    );

    let fresh = TestApp::spawn(backend).await;
    Team::build(&fresh).await;
    fields(fresh.clone()).await;
    let (s, r) = post_csv(
        &fresh,
        "/api/v1/customers/import",
        &fresh.admin_token,
        csv.into_bytes(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let cards = |app: TestApp| async move {
        let (_, list) = app
            .get("/api/v1/customers?per_page=100", &app.admin_token)
            .await;
        let mut out: Vec<Vec<String>> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                [
                    "name",
                    "kind",
                    "phone",
                    "email",
                    "address",
                    "region",
                    "industry",
                    "source",
                    "notes",
                    "owner_name",
                ]
                .iter()
                .map(|f| c[*f].as_str().unwrap_or("").to_string())
                .chain([c["custom"].to_string()])
                .collect()
            })
            .collect();
        out.sort();
        out
    };
    let (before, after) = (cards(app.clone()).await, cards(fresh.clone()).await);
    assert_eq!(before.len(), 3);
    assert!(
        before
            .iter()
            .any(|c| c.last().unwrap().contains("250000.5")),
        "{before:?}"
    );
    assert_eq!(
        before, after,
        "the same customers, owners and custom fields"
    );
}

/// A customer's contacts go to a phone as vCards (3.0 by default, 4.0 on request), read back
/// with an independent parser: names, phones, e-mails, organisation and title. Only those who
/// may export take them, within their scope, on the audit trail.
async fn contacts_go_to_phones_as_vcards(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "宁波恒达机械有限公司", "13800000001")
        .await["id"]
        .as_i64()
        .unwrap();
    for body in [
        serde_json::json!({"name": "王建国", "title": "采购部经理", "phone": "13800000009", "email": "wang@example.com", "notes": "二期扩产; 需节能改造, 预算 300 万"}),
        serde_json::json!({"name": "李娜", "phone": "13800000010"}),
    ] {
        let (s, k) = app
            .post(
                &format!("/api/v1/customers/{c}/contacts"),
                &t.rep_a1.1,
                body,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
    }
    let get = |token: &str, query: &str| {
        let (app, token, url) = (
            app.clone(),
            token.to_string(),
            app.url(&format!("/api/v1/customers/{c}/contacts.vcf{query}")),
        );
        async move {
            let r = app.client.get(url).bearer_auth(token).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    assert_eq!(
        get(&t.rep_a1.1, "").await.0,
        StatusCode::FORBIDDEN,
        "a salesperson does not take contacts away"
    );
    assert_eq!(get(&t.sup_b.1, "").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&t.sup_a.1, "?version=2.1").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    for (query, version) in [("", "3.0"), ("?version=4.0", "4.0")] {
        let (s, text) = get(&t.sup_a.1, query).await;
        assert_eq!(s, StatusCode::OK);
        let cards: Vec<_> = ical::VcardParser::new(std::io::BufReader::new(text.as_bytes()))
            .map(|c| c.expect("a card that parses"))
            .collect();
        assert_eq!(cards.len(), 2, "{text}");
        let value = |card: &ical::parser::vcard::component::VcardContact, name: &str| {
            card.properties
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.value.clone())
                .unwrap_or_default()
        };
        let wang = cards
            .iter()
            .find(|k| value(k, "FN") == "王建国")
            .expect("王建国");
        assert_eq!(
            ["VERSION", "ORG", "TITLE", "TEL", "EMAIL"].map(|n| value(wang, n)),
            [
                version,
                "宁波恒达机械有限公司",
                "采购部经理",
                "13800000009",
                "wang@example.com"
            ]
            .map(String::from),
            "{text}"
        );
        assert!(
            value(wang, "NOTE").contains("二期扩产\\; 需节能改造\\, 预算"),
            "escaped: {text}"
        );
    }
    // The contacts as a table, under the same rule: the caller's scope, on the audit trail.
    let table = |token: &str| {
        let (app, token) = (app.clone(), token.to_string());
        async move {
            let r = app
                .client
                .get(app.url("/api/v1/contacts/export"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    assert_eq!(table(&t.rep_a1.1).await.0, StatusCode::FORBIDDEN);
    let (s, csv) = table(&t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0].trim_start_matches('\u{feff}'),
        "客户名称,联系人,职务,电话,邮箱,决策人,备注"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        csv.contains("宁波恒达机械有限公司,王建国,采购部经理,13800000009,wang@example.com"),
        "{csv}"
    );
    assert_eq!(
        app.page("/contacts/export", &t.sup_a.1).await.0,
        StatusCode::OK,
        "the page's button"
    );
    let (_, none) = table(&t.sup_b.1).await;
    assert_eq!(
        none.lines().count(),
        1,
        "another team's contacts stay: {none}"
    );
    app.assert_audit_in_words().await;
}

/// Follow-ups go out as a table, in the exporter's zone and words, only for customers within
/// their scope, under the export permission and on the audit trail.
async fn follow_ups_export_within_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let mine = app.customer(&t.rep_a1.1, "东方百货", "13900000041").await;
    let theirs = app.customer(&t.rep_b1.1, "南方超市", "13900000042").await;
    for (token, customer, body) in [
        (
            &t.rep_a1.1,
            &mine,
            serde_json::json!({"kind": "call", "summary": "约下周面谈, 对方在开会", "reached": false, "duration_minutes": 3}),
        ),
        (
            &t.rep_a1.1,
            &mine,
            serde_json::json!({"kind": "meeting", "summary": "方案讲解", "purpose": "presentation", "outcome": "有意向", "next_step": "报价"}),
        ),
        (
            &t.rep_b1.1,
            &theirs,
            serde_json::json!({"kind": "visit", "summary": "南方拜访"}),
        ),
    ] {
        let (s, a) = app
            .post(
                &format!("/api/v1/customers/{}/activities", customer["id"]),
                token,
                body,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
    }
    let (s, csv) = app.page("/api/v1/activities/export", &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0].trim_start_matches('\u{feff}'),
        "客户名称,跟进方式,跟进人,时间,内容,结果,下一步,地点,已接通,目的,用时（分钟）"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1].starts_with("东方百货,电话,rep_a1,"), "{csv}");
    assert!(
        lines[1].ends_with(",\"约下周面谈, 对方在开会\",,,,否,,3"),
        "{csv}"
    );
    assert!(
        lines[2].ends_with(",方案讲解,有意向,报价,,,产品推荐,"),
        "{csv}"
    );
    assert!(
        !csv.contains("南方"),
        "another team's follow-ups stay: {csv}"
    );
    let (_, everything) = app.page("/api/v1/activities/export", &t.director.1).await;
    assert_eq!(everything.lines().count(), 4);
    assert_eq!(
        app.page("/activities/export", &t.rep_a1.1).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, trail) = app.get("/api/v1/audit", &app.admin_token).await;
    let exports: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entity"] == "activities_export")
        .collect();
    assert_eq!(exports.len(), 2, "{trail}");
    assert_eq!(
        exports[1]["changes"][0]["after"], "2",
        "sup_a took two rows"
    );
    app.assert_audit_in_words().await;
}

/// Cards from phones and Outlook import through the customers' duplicate check: a company's
/// cards become one customer and its contacts (names, phones, e-mails, organisation, title as
/// exported), a card without an organisation an individual; the same file twice imports
/// nothing; a file in an undeclared encoding is refused with nothing written.
async fn vcards_import_through_the_duplicate_check(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "宁波恒达机械有限公司", "13800000001")
        .await["id"]
        .as_i64()
        .unwrap();
    for body in [
        serde_json::json!({"name": "王建国", "title": "采购部经理", "phone": "13800000009", "email": "wang@example.com"}),
        serde_json::json!({"name": "李娜", "title": "财务", "phone": "13800000010"}),
    ] {
        let (s, k) = app
            .post(
                &format!("/api/v1/customers/{c}/contacts"),
                &t.rep_a1.1,
                body,
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{k}");
    }
    let vcf = app
        .client
        .get(app.url(&format!("/api/v1/customers/{c}/contacts.vcf?version=4.0")))
        .bearer_auth(&t.sup_a.1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // An Android phone's card (vCard 2.1, quoted-printable, bare types) for an individual.
    let android = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=B8=89;;;\r\n\
                   FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=B8=89\r\nTEL;CELL:139 0000 0077\r\nTEL;HOME:0571-88880077\r\nEND:VCARD\r\n";

    let fresh = TestApp::spawn(backend).await;
    let ft = Team::build(&fresh).await;
    let file = format!("{vcf}{android}").into_bytes();
    let (s, r) = post_csv(
        &fresh,
        "/api/v1/customers/import",
        &ft.sup_a.1,
        file.clone(),
    )
    .await;
    assert_eq!(
        (s, r["imported"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{r}"
    );
    let (_, list) = fresh
        .get("/api/v1/customers?per_page=10", &ft.sup_a.1)
        .await;
    let items = list["items"].as_array().unwrap();
    let company = items.iter().find(|c| c["kind"] == "company").unwrap();
    assert_eq!(company["name"], "宁波恒达机械有限公司");
    assert_eq!(company["owner_name"], "sup_a");
    let person = items.iter().find(|c| c["kind"] == "individual").unwrap();
    assert_eq!(person["name"], "张三");
    assert_eq!(person["phone"], "139 0000 0077");
    assert!(person["notes"].as_str().unwrap().contains("0571-88880077"));
    let (_, contacts) = fresh
        .get(
            &format!("/api/v1/customers/{}/contacts", company["id"]),
            &ft.sup_a.1,
        )
        .await;
    let mut got: Vec<(String, String, String, String)> = contacts["items"]
        .as_array()
        .unwrap_or_else(|| contacts.as_array().unwrap())
        .iter()
        .map(|k| {
            let s = |f: &str| k[f].as_str().unwrap_or("").to_string();
            (s("name"), s("title"), s("phone"), s("email"))
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "李娜".to_string(),
                "财务".to_string(),
                "13800000010".to_string(),
                String::new()
            ),
            (
                "王建国".into(),
                "采购部经理".into(),
                "13800000009".into(),
                "wang@example.com".into()
            ),
        ]
    );

    // The same file again: every customer is already there, nothing is written.
    let (s, r) = post_csv(&fresh, "/api/v1/customers/import", &ft.sup_a.1, file).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert_eq!(r["rejected"].as_array().map(Vec::len), Some(2), "{r}");
    assert_eq!(count(&fresh).await, 2);

    // Latin-1 bytes in a card that declares no charset: refused, nothing written.
    let latin1 = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ren\xe9\r\nEND:VCARD\r\n".to_vec();
    let (s, e) = post_csv(&fresh, "/api/v1/customers/import", &ft.sup_a.1, latin1).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_encoding")),
        "{e}"
    );
    assert_eq!(count(&fresh).await, 2);
    fresh.assert_audit_in_words().await;
}

/// The API's dry run and column mapping: every row's outcome (new, a repeat of an earlier
/// line, a duplicate of a named registered customer, refused and why) with nothing written; a
/// mapping that fills one field twice or names no such field is refused; the mapping is
/// remembered for the next file with the same columns.
async fn dry_runs_and_column_mappings_over_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let (s, _) = app
        .post(
            "/api/v1/custom-fields",
            &app.admin_token,
            serde_json::json!({"key": "interest", "label": "意向产品", "kind": "text"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    app.customer(&t.rep_a1.1, "已登记商行", "13900000071").await;
    let file = "单位全称,手机号码,座机,意向\n东方百货,13900000072,0571-1,空调\n南方超市,13900000071,,\n东方百货,13900000073,,\n西部商行,not-a-phone,,\n";
    let map = |m: serde_json::Value| {
        format!(
            "/api/v1/customers/import?dry_run=true&map={}",
            common::urlencode(&m.to_string())
        )
    };
    let good = serde_json::json!({"单位全称": "name", "手机号码": "phone", "座机": "", "意向": "custom.interest"});
    let (s, r) = post_csv(&app, &map(good.clone()), &t.sup_a.1, file.into()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["dry_run"].as_bool(), r["aborted"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        r["new"],
        serde_json::json!([{"line": 2, "name": "东方百货"}])
    );
    let rejected = r["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 3, "{r}");
    assert_eq!(rejected[0]["line"], 3);
    assert_eq!(rejected[0]["duplicate_of"]["name"], "已登记商行");
    assert_eq!(rejected[0]["duplicate_of"]["owner_name"], "rep_a1");
    assert_eq!(
        (
            rejected[1]["line"].as_u64(),
            rejected[1]["same_as"].as_u64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(
        (rejected[2]["line"].as_u64(), rejected[2]["field"].as_str()),
        (Some(5), Some("phone"))
    );
    assert_eq!(count(&app).await, 1, "a dry run writes nothing");

    for (bad, code) in [
        (
            serde_json::json!({"单位全称": "name", "手机号码": "phone", "座机": "phone"}),
            "mapped_twice",
        ),
        (
            serde_json::json!({"单位全称": "name", "意向": "custom.budget"}),
            "unknown_field",
        ),
        (
            serde_json::json!({"单位全称": "name", "传真": "phone"}),
            "unknown_column",
        ),
    ] {
        let (s, e) = post_csv(&app, &map(bad), &t.sup_a.1, file.into()).await;
        assert_eq!(
            (s, e["error"]["field"].as_str(), e["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("map"), Some(code)),
            "{e}"
        );
    }
    let (s, e) = post_csv(
        &app,
        "/api/v1/customers/import?map=%5B1%5D",
        &t.sup_a.1,
        file.into(),
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_map"))
    );

    // The same columns again, without a mapping: the remembered one applies.
    let (s, r) = post_csv(
        &app,
        "/api/v1/customers/import?skip_rejected=true",
        &t.sup_a.1,
        file.into(),
    )
    .await;
    assert_eq!(
        (s, r["imported"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    let (_, list) = app.get("/api/v1/customers?q=东方百货", &t.sup_a.1).await;
    assert_eq!(list["items"][0]["custom"]["interest"], "空调", "{list}");
    assert_eq!(count(&app).await, 2);
}

/// Contacts and follow-ups from another system: each row finds its customer by name within the
/// importer's scope; all or nothing, a dry run, or skipping bad rows; the same file twice
/// changes nothing and a changed row updates its record (by external id); follow-ups count as
/// their author's, at their own time, in the figures.
async fn contacts_and_follow_ups_import_once(backend: Backend) {
    let t0: chrono::DateTime<chrono::Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
    let app = TestApp::spawn_with_clock(backend, yingpan_web::Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    app.customer(&t.rep_a1.1, "东方百货", "13900000091").await;
    app.customer(&t.rep_a2.1, "南方超市", "13900000092").await;
    app.customer(&t.rep_b1.1, "西部商行", "13900000093").await;
    for phone in ["13900000094", "13900000095"] {
        let (s, _) = app
            .post(
                "/api/v1/customers",
                &t.rep_a1.1,
                serde_json::json!({"kind": "individual", "name": "王小明", "phone": phone}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let contacts = |app: TestApp| async move {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
            .await
            .unwrap();
        let n: i64 = sqlx::Row::try_get(
            &sqlx::query("SELECT COUNT(*) FROM contacts")
                .fetch_one(&mut conn)
                .await
                .unwrap(),
            0,
        )
        .unwrap();
        n
    };
    let file = "外部编号,客户名称,联系人,职务,电话,邮箱,决策人,备注\n\
                C-1,东方百货,王建国,采购经理,13800000009,wang@example.com,是,\n\
                C-2,南方超市,李娜,,13800000010,,,\n\
                C-3,西部商行,赵六,,,,,\n\
                C-4,王小明,张三,,,,,\n";
    let post = |path: &'static str, body: String| {
        let app = app.clone();
        let token = t.sup_a.1.clone();
        async move { post_csv(&app, path, &token, body.into_bytes()).await }
    };
    let (s, r) = post("/api/v1/contacts/import", file.to_string()).await;
    assert_eq!(
        (s, r["aborted"].as_bool()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(true)),
        "{r}"
    );
    let codes: Vec<(u64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [(4, "unknown_customer"), (5, "ambiguous_customer")]);
    assert_eq!(contacts(app.clone()).await, 0);
    let (s, r) = post(
        "/api/v1/contacts/import?skip_rejected=true&dry_run=true",
        file.to_string(),
    )
    .await;
    assert_eq!(
        (s, r["created"].as_u64(), r["dry_run"].as_bool()),
        (StatusCode::OK, Some(2), Some(true)),
        "{r}"
    );
    assert_eq!(contacts(app.clone()).await, 0, "a dry run writes nothing");
    let (_, r) = post(
        "/api/v1/contacts/import?skip_rejected=true",
        file.to_string(),
    )
    .await;
    assert_eq!(
        (r["created"].as_u64(), r["unchanged"].as_u64()),
        (Some(2), Some(0)),
        "{r}"
    );
    let (_, r) = post(
        "/api/v1/contacts/import?skip_rejected=true",
        file.to_string(),
    )
    .await;
    assert_eq!(
        (r["created"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "the same file twice: {r}"
    );
    let changed = file.replace("采购经理", "采购总监");
    let (_, r) = post("/api/v1/contacts/import?skip_rejected=true", changed).await;
    assert_eq!(
        (r["updated"].as_u64(), r["unchanged"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(contacts(app.clone()).await, 2);
    let (_, list) = app.get("/api/v1/customers?q=东方百货", &t.sup_a.1).await;
    let (_, cs) = app
        .get(
            &format!("/api/v1/customers/{}/contacts", list["items"][0]["id"]),
            &t.sup_a.1,
        )
        .await;
    let wang = cs["items"]
        .as_array()
        .unwrap_or_else(|| cs.as_array().unwrap())[0]
        .clone();
    assert_eq!(
        (wang["title"].as_str(), wang["is_decision_maker"].as_bool()),
        (Some("采购总监"), Some(true))
    );

    let follow_ups = "外部编号,客户名称,跟进方式,跟进人,时间,内容,结果\n\
                      A-1,东方百货,拜访,rep_a1,2026-11-20 14:30,演示方案,有意向\n\
                      A-2,南方超市,电话,,2026-11-21,电话回访,\n\
                      A-3,东方百货,电话,rep_b1,2026-11-21 10:00,越权,\n\
                      A-4,东方百货,传真,,2026-11-21 10:00,x,\n";
    let (s, r) = post(
        "/api/v1/activities/import?skip_rejected=true",
        follow_ups.to_string(),
    )
    .await;
    assert_eq!((s, r["created"].as_u64()), (StatusCode::OK, Some(2)), "{r}");
    let codes: Vec<(u64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [(4, "invalid_owner"), (5, "invalid_choice")]);
    let (_, acts) = app
        .get(
            &format!("/api/v1/customers/{}/activities", list["items"][0]["id"]),
            &t.sup_a.1,
        )
        .await;
    let visit = &acts["items"][0];
    assert_eq!(
        (
            visit["kind"].as_str(),
            visit["user_id"].as_i64(),
            visit["occurred_at"].as_str()
        ),
        (
            Some("visit"),
            Some(t.rep_a1.0),
            Some("2026-11-20T06:30:00.000000Z")
        ),
        "{acts}"
    );
    let (_, r) = post(
        "/api/v1/activities/import?skip_rejected=true",
        follow_ups.to_string(),
    )
    .await;
    assert_eq!(
        (r["created"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{r}"
    );
    app.assert_rollups_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(
    contacts_and_follow_ups_import_once,
    dry_runs_and_column_mappings_over_the_api,
    vcards_import_through_the_duplicate_check,
    follow_ups_export_within_scope,
    import_checks_duplicates_and_is_all_or_nothing,
    excel_workbooks_in_and_out,
    an_export_imports_back_the_same_customers,
    contacts_go_to_phones_as_vcards
);

/// Orders from another system: one row per line held together by the order number; each to the
/// customer its rows name (within scope, owned), priced from the price list by product code
/// unless the row gives the price, counted at its own time, with what was paid; a bad line
/// keeps its whole order out; the same file twice changes nothing.
async fn orders_import_once(backend: Backend) {
    let t0: chrono::DateTime<chrono::Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
    let app = TestApp::spawn_with_clock(backend, yingpan_web::Clock::Fixed(t0)).await;
    let t = Team::build(&app).await;
    let east = app.customer(&t.rep_a1.1, "东方百货", "13900000091").await;
    app.customer(&t.rep_b1.1, "西部商行", "13900000093").await;
    for (code, price, cost) in [("LED-1", "100", "60"), ("LED-2", "30", "20")] {
        let (s, p) = app
            .post(
                "/api/v1/products",
                &t.clerk.1,
                serde_json::json!({"code": code, "name": code, "unit": "套", "price": price, "cost": cost}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
    }
    let file = "订单号,客户名称,下单时间,产品编码,数量,单价,到期日,已收\n\
                SO-1,东方百货,2026/03/02 10:00,LED-1,10,,,500\n\
                SO-1,东方百货,2026/03/02 10:00,LED-2,2,25,,\n\
                SO-2,东方百货,2026-04-05,LED-1,1,,2026-06-30,\n\
                SO-3,西部商行,2026-04-06,LED-1,1,,,\n\
                SO-4,东方百货,2026-04-07,LED-9,1,,,\n\
                SO-4,东方百货,2026-04-07,LED-1,1,,,\n";
    let post = |path: &'static str, body: String| {
        let app = app.clone();
        let token = t.sup_a.1.clone();
        async move { post_csv(&app, path, &token, body.into_bytes()).await }
    };
    let orders = |app: TestApp| async move {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.db_url)
            .await
            .unwrap();
        sqlx::query(
            "SELECT external_id, total, paid, created_at, due_date, owner_id FROM orders ORDER BY external_id",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            use sqlx::Row;
            (
                r.try_get::<Option<String>, _>(0).unwrap().unwrap_or_default(),
                r.try_get::<String, _>(1).unwrap(),
                r.try_get::<String, _>(2).unwrap(),
                r.try_get::<String, _>(3).unwrap(),
                r.try_get::<String, _>(4).unwrap(),
                r.try_get::<i64, _>(5).unwrap(),
            )
        })
        .collect::<Vec<_>>()
    };
    // All or nothing: SO-3's customer is outside the supervisor's team, SO-4 names no product.
    let (s, r) = post("/api/v1/orders/import", file.to_string()).await;
    assert_eq!(
        (s, r["aborted"].as_bool()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some(true)),
        "{r}"
    );
    let codes: Vec<(u64, &str)> = r["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            (5, "unknown_customer"),
            (6, "unknown_product"),
            (7, "order_incomplete")
        ]
    );
    assert!(orders(app.clone()).await.is_empty());
    let (s, r) = post(
        "/api/v1/orders/import?skip_rejected=true&dry_run=true",
        file.to_string(),
    )
    .await;
    assert_eq!(
        (s, r["created"].as_u64(), r["dry_run"].as_bool()),
        (StatusCode::OK, Some(2), Some(true)),
        "{r}"
    );
    assert!(
        orders(app.clone()).await.is_empty(),
        "a dry run writes nothing"
    );
    let (s, r) = post("/api/v1/orders/import?skip_rejected=true", file.to_string()).await;
    assert_eq!((s, r["created"].as_u64()), (StatusCode::OK, Some(2)), "{r}");
    let got = orders(app.clone()).await;
    // SO-1: 10 × 100 + 2 × 25 = 1,050, 500 paid, placed 10:00 Beijing time, net 30;
    // SO-2: the given due date. Both the customer's owner's.
    assert_eq!(
        got.iter()
            .map(|o| (
                o.0.as_str(),
                o.1.as_str(),
                o.2.as_str(),
                &o.3[..16],
                o.4.as_str(),
                o.5
            ))
            .collect::<Vec<_>>(),
        vec![
            (
                "SO-1",
                "1050",
                "500",
                "2026-03-02T02:00",
                "2026-04-01",
                t.rep_a1.0
            ),
            (
                "SO-2",
                "100",
                "0",
                "2026-04-05T01:00",
                "2026-06-30",
                t.rep_a1.0
            ),
        ]
    );
    let (s, r) = post("/api/v1/orders/import?skip_rejected=true", file.to_string()).await;
    assert_eq!(
        (s, r["created"].as_u64(), r["unchanged"].as_u64()),
        (StatusCode::OK, Some(0), Some(2)),
        "the same file twice: {r}"
    );
    assert_eq!(orders(app.clone()).await.len(), 2);
    // The figures count them in their own months: March's revenue and what was collected.
    let (_, stats) = app
        .get(
            "/api/v1/statistics?period=2026-03&group_by=owner",
            &t.director.1,
        )
        .await;
    let row = &stats["items"][0];
    assert_eq!(
        (&row["sales"], &row["collected"], &row["customers"]),
        (
            &serde_json::json!("1050"),
            &serde_json::json!("500"),
            &serde_json::json!(1)
        ),
        "{stats}"
    );
    let (_, o) = app
        .get(
            &format!("/api/v1/orders?customer_id={}", east["id"]),
            &t.rep_a1.1,
        )
        .await;
    assert!(o.to_string().contains("LED-2"), "{o}");

    // The page takes the same file and says why a row was refused.
    let (s, html) = app.page("/customers/import", &t.sup_a.1).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("value=\"orders\""), "{html}");
    assert!(
        !html.contains("<title>导入</title><form"),
        "the title holds no form"
    );
    app.assert_rollups_consistent().await;
    app.assert_audit_in_words().await;
}

on_both_backends!(orders_import_once);

/// A broad search counts its matches up to 1,000 and says there are more: the list holds the
/// 1,000 most recently registered matches in the caller's scope, sorted as asked; a narrower
/// search, or a narrower scope, is counted exactly.
async fn broad_search_is_capped_and_says_so(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    let rows = |range: std::ops::Range<usize>| {
        let mut csv = String::from("客户名称,电话\n");
        for i in range {
            csv.push_str(&format!("恒达机械{i}号,139{i:08}\n"));
        }
        csv.into_bytes()
    };
    // The oldest thirty are the salesperson's, the next thousand their supervisor's.
    let (s, r) = post_csv(
        &app,
        &format!("/api/v1/customers/import?owner_id={}", t.rep_a1.0),
        &t.sup_a.1,
        rows(0..30),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, r) = post_csv(&app, "/api/v1/customers/import", &t.sup_a.1, rows(30..1030)).await;
    assert_eq!(
        (s, r["imported"].as_i64()),
        (StatusCode::OK, Some(1000)),
        "{r}"
    );
    let stored = app
        .store
        .list_customers(
            &app.all(),
            &yingpan_store::CustomerListQuery {
                q: Some("恒达机械".into()),
                per_page: 1,
                page: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .1;
    assert_eq!(stored, 1030, "every match, counted without a cap");
    // A list that searches nothing is counted exactly, however long.
    let (_, all) = app.get("/api/v1/customers?per_page=1", &t.director.1).await;
    assert_eq!(
        (&all["total"], all.get("total_capped")),
        (&json!(1030), None),
        "{all}"
    );

    // Four characters go through the trigram index on SQLite, two through a scan.
    for q in ["恒达机械", "恒达", "hengdajixie"] {
        let search = |page: i64, token: &str| {
            let path = format!(
                "/api/v1/customers?q={}&per_page=20&page={page}",
                urlencode(q)
            );
            let token = token.to_string();
            let app = &app;
            async move { app.get(&path, &token).await }
        };
        let (s, first) = search(1, &t.director.1).await;
        assert_eq!(s, StatusCode::OK, "{first}");
        assert_eq!(
            (&first["total"], &first["total_capped"]),
            (&json!(1000), &json!(true)),
            "{q}"
        );
        let updated: Vec<&str> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["updated_at"].as_str().unwrap())
            .collect();
        assert_eq!(updated.len(), 20);
        assert!(
            updated.windows(2).all(|w| w[0] >= w[1]),
            "sorted: {updated:?}"
        );
        // The last page of the thousand is full and holds none of the oldest thirty.
        let (_, last) = search(50, &t.director.1).await;
        let owners: Vec<i64> = last["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["owner_id"].as_i64().unwrap())
            .collect();
        assert_eq!(owners, vec![t.sup_a.0; 20], "{q}: {last}");
        let (_, past) = search(51, &t.director.1).await;
        assert_eq!(past["items"], json!([]));
        assert_eq!(
            (&past["total"], &past["total_capped"]),
            (&json!(1000), &json!(true))
        );
        // The salesperson's scope holds thirty: counted exactly, nothing capped.
        let (_, mine) = search(1, &t.rep_a1.1).await;
        assert_eq!(mine["total"], 30, "{q}: {mine}");
        assert!(mine.get("total_capped").is_none(), "{mine}");
        // Their supervisor's team holds all of them, read through the owner index.
        let (_, team) = search(50, &t.sup_a.1).await;
        assert_eq!(
            (&team["total"], &team["total_capped"]),
            (&json!(1000), &json!(true))
        );
        assert_eq!(team["items"], last["items"], "{q}: the same thousand");
    }
    // A narrower search is exact.
    let (_, one) = app
        .get(
            &format!("/api/v1/customers?q={}", urlencode("恒达机械1029号")),
            &t.director.1,
        )
        .await;
    assert_eq!(
        (&one["total"], one.get("total_capped")),
        (&json!(1), None),
        "{one}"
    );

    // The page says so, in the user's words.
    let (s, html) = app
        .page(
            &format!("/customers?q={}", urlencode("恒达机械")),
            &t.director.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("(1,000+)"), "{html}");
    assert!(html.contains("id=\"search-capped\""), "{html}");
    assert!(html.contains("最近登记的 1,000 位"), "{html}");
}

on_both_backends!(broad_search_is_capped_and_says_so);

/// A region's page when the company's newest customers are all of no region: however the list
/// reads it (walking the company newest first, or the region's customers sorted), every page
/// holds the region's newest, in order, each customer once.
async fn filtered_page_behind_newer_customers_of_another_kind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    // `count` customers named `name{i}号` with phones `prefix{i:08}`, of `region` if any.
    let import =
        |name: &'static str, prefix: &'static str, region: Option<&'static str>, count: i64| {
            let (app, token) = (app.clone(), t.sup_a.1.clone());
            async move {
                let mut csv = String::from(if region.is_some() {
                    "客户名称,电话,地区\n"
                } else {
                    "客户名称,电话\n"
                });
                for i in 0..count {
                    csv.push_str(&format!("{name}{i}号,{prefix}{i:08}"));
                    if let Some(r) = region {
                        csv.push_str(&format!(",{r}"));
                    }
                    csv.push('\n');
                }
                let (s, r) =
                    post_csv(&app, "/api/v1/customers/import", &token, csv.into_bytes()).await;
                assert_eq!(
                    (s, r["imported"].as_i64()),
                    (StatusCode::OK, Some(count)),
                    "{r}"
                );
            }
        };
    import("华东老客", "136", Some("华东"), 300).await;
    import("新进无区", "135", None, 1500).await;
    let region = urlencode("华东");
    let page = |n: i64| {
        let (app, token) = (app.clone(), t.director.1.clone());
        let path = format!("/api/v1/customers?region={region}&per_page=20&page={n}");
        async move {
            let (s, list) = app.get(&path, &token).await;
            assert_eq!(s, StatusCode::OK, "{list}");
            list
        }
    };
    let mut seen = Vec::new();
    for n in 1..=15 {
        let list = page(n).await;
        assert_eq!(list["total"], 300, "page {n}");
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 20, "page {n} is full");
        for c in items {
            assert_eq!(c["region"], "华东", "{c}");
            seen.push(c["id"].as_i64().unwrap());
        }
    }
    // Newest first (one import: the same time, then the id), each customer once.
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted);
    assert_eq!(page(16).await["items"].as_array().unwrap().len(), 0);
}

on_both_backends!(filtered_page_behind_newer_customers_of_another_kind);
