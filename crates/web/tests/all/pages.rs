//! The HTML side over real HTTP: login form, session cookie, CSRF, escaping, scope on pages.

use crate::common;

use crate::common::{Backend, TestApp, PASSWORD};
use reqwest::StatusCode;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn browser_login(
    app: &TestApp,
    username: &str,
    password: &str,
) -> (reqwest::Client, reqwest::Response) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let resp = client
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    (client, resp)
}

async fn session_cookie_and_csrf(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.person("rep", "sales", Some(app.admin_id)).await;

    // A login form posted without the token from the login page is refused.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = bare
        .post(app.url("/login"))
        .form(&[
            ("username", "rep"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap().starts_with("yp_session=")));

    let (client, resp) = browser_login(&app, "rep", PASSWORD).await;
    if resp.status() != StatusCode::SEE_OTHER {
        panic!("{}", resp.text().await.unwrap());
    }
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("yp_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");

    // A state-changing form without the session's CSRF token changes nothing.
    let r = client
        .post(app.url("/customers"))
        .form(&[("name", "伪造客户"), ("kind", "company"), ("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = client
        .post(app.url("/customers"))
        .form(&[("name", "伪造客户")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (_, list) = app.get("/api/v1/customers", &app.admin_token).await;
    assert_eq!(list["total"], 0);

    let form = client
        .get(app.url("/customers/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form, "csrf");
    let r = client
        .post(app.url("/customers"))
        .form(&[
            ("name", "真实客户"),
            ("kind", "company"),
            ("phone", "13800001111"),
            ("profile.employees", "48"),
            ("profile.needs", "节能改造"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app
        .get("/api/v1/customers?q=zhenshi", &app.admin_token)
        .await;
    assert_eq!(list["items"][0]["profile"]["employees"], "48");
    assert_eq!(list["items"][0]["profile"]["needs"], "节能改造");
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/customers/"));

    // Validation errors come back on the form, in Chinese, naming the field.
    let r = client
        .post(app.url("/customers"))
        .form(&[("name", ""), ("kind", "company"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("名称：不能为空"));
    let (_, list) = app.get("/api/v1/customers", &app.admin_token).await;
    assert_eq!(list["total"], 1);

    // Logging out ends the session.
    let r = client
        .post(app.url("/logout"))
        .form(&[("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = client.get(app.url("/customers")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
}

async fn pages_escape_and_respect_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, a) = app.person("rep_a", "sales", Some(app.admin_id)).await;
    let (_, b) = app.person("rep_b", "sales", Some(app.admin_id)).await;
    let evil = app
        .customer(&a, "<script>alert(1)</script>公司", "13800002222")
        .await["id"]
        .as_i64()
        .unwrap();

    let page = |path: String, token: String| {
        let client = app.client.clone();
        let url = app.url(&path);
        async move {
            let r = client.get(url).bearer_auth(token).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = page(format!("/customers/{evil}"), a.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"),
        "escaped"
    );
    assert!(!html.contains("<script>alert(1)"));
    let (s, html) = page("/customers".into(), a.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains("<script>alert(1)"));

    let (s, _) = page(format!("/customers/{evil}"), b.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = page(format!("/customers/{evil}/edit"), b.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, html) = page("/customers".into(), b.clone()).await;
    assert!(
        !html.contains("alert(1)"),
        "another rep's customer is not listed"
    );

    // Admin-only pages.
    for path in ["/admin/organization", "/audit", "/customers/deleted"] {
        let (s, _) = page(path.into(), a.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
        let (s, _) = page(path.into(), app.admin_token.clone()).await;
        assert_eq!(s, StatusCode::OK, "{path}");
    }
    let (s, html) = page("/admin/users".into(), app.admin_token.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("rep_a") && html.contains("rep_b"));
    let (s, _) = page("/".into(), b.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = page("/pool".into(), b.clone()).await;
    assert_eq!(s, StatusCode::OK);
    let r = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// An action answers with a message on the page it lands on, carried by the redirect; only the
/// catalog's messages are shown, so a crafted link puts no words on the page.
async fn actions_answer_with_a_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.person("rep", "sales", Some(app.admin_id)).await;
    let (client, _) = browser_login(&app, "rep", PASSWORD).await;
    let get = |path: String| {
        let client = client.clone();
        let url = app.url(&path);
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let form = get("/customers/new".into()).await;
    let csrf = hidden(&form, "csrf");
    let r = client
        .post(app.url("/customers"))
        .form(&[
            ("name", "回声科技"),
            ("kind", "company"),
            ("phone", "13800002222"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let page = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = page.trim_start_matches("/customers/").parse().unwrap();

    let post = |path: String, form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = app.url(&path);
        async move {
            let r = client.post(url).form(&form).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER);
            r.headers()["location"].to_str().unwrap().to_string()
        }
    };
    let to = post(
        format!("/customers/{id}/release"),
        vec![("reason", "不再跟进".into()), ("csrf", csrf.clone())],
    )
    .await;
    assert_eq!(to, "/customers?done=released");
    assert!(get(to).await.contains("id=\"done\">已放回公海。"));
    let to = post(format!("/pool/{id}/claim"), vec![("csrf", csrf.clone())]).await;
    assert_eq!(to, format!("/customers/{id}?done=claimed&n=1"));
    assert!(get(to).await.contains("已认领 1 位客户。"));
    let (_, c) = app
        .get(&format!("/api/v1/customers/{id}"), &app.admin_token)
        .await;
    assert!(c["owner_id"].is_i64(), "claimed: {c}");

    for crafted in [
        "%3Cscript%3Ealert(1)%3C/script%3E",
        "no_such_message",
        "claimed%20you%20won",
    ] {
        let html = get(format!("/customers?done={crafted}&n=5")).await;
        assert!(!html.contains("id=\"done\""), "{crafted}");
        assert!(!html.contains("alert(1)"), "{crafted}");
    }
}

/// The import page: an upload waits as a draft, its columns are matched to fields (any header),
/// a check shows each row's outcome and writes nothing, the import writes the new rows, and the
/// next file with the same columns gets the same matching.
async fn imports_map_columns_and_check_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.person("sup", "supervisor", Some(app.admin_id)).await;
    let (client, _) = browser_login(&app, "sup", PASSWORD).await;
    let token = app.login("sup", PASSWORD).await;
    app.customer(&token, "已有客户", "13900000055").await;
    let page = client
        .get(app.url("/customers/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let file = "单位全称,手机号码,座机,说明\n东方百货,13900000051,0571-1,老客户介绍\n南方超市,13900000055,,\n东方百货,13900000052,,\n";
    let upload = |csrf: String, file: &'static str| {
        let (client, url) = (client.clone(), app.url("/customers/import"));
        async move {
            let boundary = "yingpanboundary";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"客户.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
            );
            client
                .post(url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = upload(csrf.clone(), file).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let draft = r.headers()["location"].to_str().unwrap().to_string();
    assert!(draft.starts_with("/customers/import/"), "{draft}");
    let map = client
        .get(app.url(&draft))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Nothing matched 单位全称 by name; the sample shows the first rows.
    assert!(
        map.contains("东方百货") && map.contains("name=\"col.0\""),
        "{map}"
    );
    assert!(!map.contains("id=\"remembered\""));

    let post = |fields: Vec<(&'static str, &'static str)>| {
        let (client, url, csrf) = (client.clone(), app.url(&draft), csrf.clone());
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            let r = client.post(url).form(&form).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // Two columns to one field: refused in words, the choice kept on the page.
    let (s, html) = post(vec![
        ("col.0", "name"),
        ("col.1", "phone"),
        ("col.2", "phone"),
        ("step", "preview"),
    ])
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("两列填入了同一个字段"), "{html}");
    // The check: one new customer, a duplicate of a registered one (named), a repeat of line 2.
    let mapping = vec![
        ("col.0", "name"),
        ("col.1", "phone"),
        ("col.2", ""),
        ("col.3", "notes"),
    ];
    let mut step = mapping.clone();
    step.push(("step", "preview"));
    step.push(("skip_rejected", "1"));
    let (s, html) = post(step).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    let text = common::strip_tags(&html);
    assert!(text.contains("可导入 1 个新客户"), "{text}");
    assert!(
        text.contains("与已登记的客户「已有客户」重复（负责人：sup）"),
        "{text}"
    );
    assert!(text.contains("与第 2 行是同一客户"), "{text}");
    let (_, list) = app.get("/api/v1/customers?per_page=10", &token).await;
    assert_eq!(list["total"], 1, "a check writes nothing");

    let mut step = mapping.clone();
    step.push(("step", "import"));
    step.push(("skip_rejected", "1"));
    let (s, html) = post(step).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"import-result\""), "{html}");
    let (_, list) = app.get("/api/v1/customers?q=东方百货", &token).await;
    assert_eq!(list["items"][0]["notes"], "老客户介绍", "{list}");
    // The draft is gone; the next file with these columns is matched as before.
    assert_eq!(
        client.get(app.url(&draft)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let r = upload(
        csrf.clone(),
        "单位全称,手机号码,座机,说明\n西部商行,13900000061,,\n",
    )
    .await;
    let next = r.headers()["location"].to_str().unwrap().to_string();
    let map = client
        .get(app.url(&next))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(map.contains("id=\"remembered\""), "{map}");
    assert!(map.contains("<option value=\"name\" selected>"), "{map}");
    // Another person's draft is not reachable.
    app.person("other", "supervisor", Some(app.admin_id)).await;
    let (stranger, _) = browser_login(&app, "other", PASSWORD).await;
    assert_eq!(
        stranger.get(app.url(&next)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

on_both_backends!(
    imports_map_columns_and_check_first,
    session_cookie_and_csrf,
    pages_escape_and_respect_scope,
    actions_answer_with_a_message
);

/// A long import on the page answers as it runs: a progress line per step (the stylesheet
/// shows the latest), then the outcome and the rest of the page; a refused file says so and
/// keeps its draft, with nothing written.
async fn a_long_page_import_shows_its_progress(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.person("sup", "supervisor", Some(app.admin_id)).await;
    let (client, _) = browser_login(&app, "sup", PASSWORD).await;
    let token = app.login("sup", PASSWORD).await;
    let page = client
        .get(app.url("/customers/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf");
    let rows = 2_500;
    let mut file = String::from("客户名称,电话\n");
    for i in 0..rows {
        file.push_str(&format!("长单客户{i},139{i:08}\n"));
    }
    let import = |file: String, skip: bool| {
        let (client, url, csrf) = (client.clone(), app.url("/customers/import"), csrf.clone());
        let app = app.clone();
        async move {
            let boundary = "yingpanboundary";
            let body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"long.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
            );
            let r = client
                .post(url)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
                .await
                .unwrap();
            let draft = r.headers()["location"].to_str().unwrap().to_string();
            let mut form = vec![
                ("csrf", csrf.as_str()),
                ("col.0", "name"),
                ("col.1", "phone"),
                ("step", "import"),
            ];
            if skip {
                form.push(("skip_rejected", "1"));
            }
            let r = client
                .post(app.url(&draft))
                .form(&form)
                .send()
                .await
                .unwrap();
            (draft, r.status(), r.text().await.unwrap())
        }
    };
    // A repeated row, all or nothing: refused, said so, the draft kept, nothing written.
    let mut refused = file.clone();
    refused.push_str("长单客户0,13900000000\n");
    let (draft, s, html) = import(refused, false).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("<progress"), "{html}");
    assert!(
        html.contains("id=\"import-result\"") && html.contains(&format!("href=\"{draft}\"")),
        "{html}"
    );
    assert!(html.trim_end().ends_with("</html>"));
    let (_, list) = app.get("/api/v1/customers?per_page=1", &token).await;
    assert_eq!(list["total"], 0, "{list}");
    assert_eq!(
        client.get(app.url(&draft)).send().await.unwrap().status(),
        StatusCode::OK,
        "the refused file's draft stays to be mapped again"
    );

    let (draft, s, html) = import(file, false).await;
    assert_eq!(s, StatusCode::OK);
    let steps = html.matches("<progress").count();
    assert!(steps >= 4, "a line per step: {steps}");
    let text = common::strip_tags(&html);
    assert!(text.contains("已写入 2,500 / 2,500 行"), "{text}");
    assert!(text.contains("已导入客户数： 2500"), "{text}");
    assert!(html.contains("class=\"import-steps\""));
    let (_, list) = app.get("/api/v1/customers?per_page=1", &token).await;
    assert_eq!(list["total"], rows, "{list}");
    assert_eq!(
        client.get(app.url(&draft)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "an imported draft is gone"
    );
}

on_both_backends!(a_long_page_import_shows_its_progress);
