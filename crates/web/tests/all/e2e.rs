//! End-to-end: a real headless Chromium driven over WebDriver (chromedriver) against the real
//! server on SQLite. Skipped when chromedriver is missing, unless `YINGPAN_REQUIRE_E2E` is set.

use crate::common::{Backend, TestApp, PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    shots: Option<std::path::PathBuf>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn browser() -> Option<Browser> {
    let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = free_port();
    let driver = match Command::new(&driver_path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("YINGPAN_REQUIRE_E2E").is_err(),
                "cannot start {driver_path}: {e}"
            );
            eprintln!("skipping browser test: cannot start {driver_path}: {e}");
            return None;
        }
    };
    let profile = tempfile::tempdir().unwrap();
    let mut opts = serde_json::json!({
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync",
                 "--window-size=1200,900", "--lang=zh-CN", format!("--user-data-dir={}", profile.path().display())],
        "prefs": {"intl.accept_languages": "zh-CN,zh"},
    });
    if let Ok(bin) = std::env::var("CHROMIUM") {
        opts["binary"] = bin.into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), opts);
    let url = format!("http://127.0.0.1:{port}");
    let mut last_err = None;
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                let shots = std::env::var("YINGPAN_E2E_SCREENSHOTS")
                    .ok()
                    .map(Into::into);
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                    shots,
                });
            }
            Err(e) => {
                last_err = Some(e);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    panic!("chromedriver did not start a session: {last_err:?}");
}

impl Browser {
    async fn fill(&self, css: &str, text: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }
    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }
    async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .unwrap()
    }
    /// Waits for an element of the next page (clicks return before navigation finishes).
    async fn wait_for(&self, css: &str) {
        if let Err(e) = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
        {
            panic!(
                "{css} never appeared ({e}); page:\n{}",
                self.client.source().await.unwrap_or_default()
            );
        }
    }
    /// Polls until the element's text contains `needle`. A click that submits a form returns
    /// before the next page replaces the current one, so an element found on the old page can go
    /// stale between `find` and `text`; retrying covers both.
    async fn wait_for_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..100 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = el.text().await {
                    if text.contains(needle) {
                        return text;
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never contained {needle:?}; last text: {last:?}");
    }
    async fn wait_for_query(&self, part: &str) {
        for _ in 0..100 {
            if self
                .client
                .current_url()
                .await
                .unwrap()
                .query()
                .unwrap_or("")
                .contains(part)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the URL never contained {part}");
    }
    async fn set(&self, css: &str, value: &str) {
        let script = format!("document.querySelector({css:?}).value = {value:?};");
        self.client.execute(&script, vec![]).await.unwrap();
    }
    /// How far the page scrolls sideways, in CSS pixels (0 when it fits the window).
    async fn sideways_overflow(&self) -> f64 {
        self.client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap_or(f64::INFINITY)
    }
    /// Runs axe-core (`YINGPAN_AXE`: the path of `axe.min.js`, which `scripts/test.sh` installs
    /// from npm) on the current page and returns its critical and serious violations.
    async fn axe(&self) -> Vec<String> {
        let Ok(path) = std::env::var("YINGPAN_AXE") else {
            assert!(
                std::env::var("YINGPAN_REQUIRE_E2E").is_err(),
                "YINGPAN_AXE is not set"
            );
            return Vec::new();
        };
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        self.client.execute(&source, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']}).then(r => done(
                   r.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
                     .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(found).unwrap()
    }
    async fn login(&self, base: &str, username: &str) {
        self.client.goto(&format!("{base}/login")).await.unwrap();
        self.fill("#username", username).await;
        let password = if username == "admin" {
            crate::common::ADMIN_PASSWORD
        } else {
            PASSWORD
        };
        self.fill("#password", password).await;
        self.click("#login").await;
        self.wait_for("#customer-total").await;
    }
    async fn logout(&self) {
        // On a phone the button sits in the collapsed menu; the form is what matters.
        self.client
            .execute("document.getElementById('logout').click();", vec![])
            .await
            .unwrap();
        self.wait_for("#login").await;
    }
    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_string()
    }
    async fn shot(&self, name: &str) {
        if let Some(dir) = &self.shots {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(
                dir.join(format!("{name}.png")),
                self.client.screenshot().await.unwrap(),
            )
            .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_create_a_customer_and_find_it() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, wang) = app.person("wang", "sales", Some(app.admin_id)).await;
    app.customer(&wang, "上海东方机械有限公司", "13811112222")
        .await;

    // A wrong password shows a Chinese error on the login page.
    b.client.goto(&app.url("/login")).await.unwrap();
    b.fill("#username", "wang").await;
    b.fill("#password", "wrong-password").await;
    b.click("#login").await;
    let error = b.wait_for_text("#error", "用户名或密码错误").await;
    assert_eq!(error, "用户名或密码错误");

    b.fill("#username", "wang").await;
    b.fill("#password", PASSWORD).await;
    b.click("#login").await;
    b.wait_for("#customer-total").await;
    assert_eq!(b.path().await, "/");
    b.shot("dashboard").await;

    // Bad input: the form comes back with the field named and nothing is stored.
    b.client.goto(&app.url("/customers/new")).await.unwrap();
    b.fill("#name", "杭州嘉禾食品有限公司").await;
    b.fill("#phone", "打电话").await;
    b.click("#save").await;
    let error = b.wait_for_text("#error", "电话").await;
    assert_eq!(error, "电话：不是有效的电话号码");
    b.shot("customer-form-error").await;
    let (_, list) = app.get("/api/v1/customers", &app.admin_token).await;
    assert_eq!(list["total"], 1);

    b.fill("#phone", "0571-8888 6666").await;
    b.fill("#region", "华东").await;
    b.click("#save").await;
    b.wait_for("#customer-name").await;
    assert!(
        b.path().await.starts_with("/customers/"),
        "{}",
        b.path().await
    );
    assert!(b
        .text("#customer-name")
        .await
        .contains("杭州嘉禾食品有限公司"));
    b.shot("customer").await;

    // Find it by pinyin initials through the search box.
    b.client.goto(&app.url("/customers")).await.unwrap();
    b.fill("#q", "hzjh").await;
    b.click("#search").await;
    b.wait_for_query("q=hzjh").await;
    let table = b.text("#customers").await;
    assert!(table.contains("杭州嘉禾食品有限公司"), "{table}");
    assert!(!table.contains("上海东方机械有限公司"), "{table}");
    assert_eq!(b.text("#total").await, "(1)");
    b.shot("customers").await;

    let (_, list) = app.get("/api/v1/customers?q=jiahe", &app.admin_token).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["phone"], "0571-8888 6666");

    // Switching the language to English takes effect on the next page.
    b.client.goto(&app.url("/settings")).await.unwrap();
    b.client
        .find(Locator::Css("#locale"))
        .await
        .unwrap()
        .select_by_value("en")
        .await
        .unwrap();
    b.click("#save").await;
    b.wait_for(".notice").await;
    b.client.goto(&app.url("/customers")).await.unwrap();
    let html = b.client.source().await.unwrap();
    assert!(html.contains("New customer"), "English UI after switching");

    // On a phone-sized screen the menu collapses behind a button.
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&app.url("/customers")).await.unwrap();
    b.shot("customers-phone").await;
    assert!(!b
        .client
        .find(Locator::Css("header nav"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());
    b.click(".menu-button").await;
    assert!(b
        .client
        .find(Locator::Css("header nav"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());

    b.client.clone().close().await.unwrap();
}

/// Issue 4's daily cycle in a real browser: plan → approval → visit → report → review.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_approval_visit_report_review() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (sup, _) = app.person("zhang", "supervisor", Some(app.admin_id)).await;
    let (_, rep) = app.person("li", "sales", Some(sup)).await;
    let c = app
        .customer(&rep, "苏州天成电子有限公司", "13955556666")
        .await["id"]
        .as_i64()
        .unwrap();
    let base = app.base.clone();

    // The salesperson plans the day and submits it.
    b.login(&base, "li").await;
    b.client.goto(&format!("{base}/plans")).await.unwrap();
    // Typing the name finds the salesperson's own customer: the row is linked to the record
    // (its id kept in the form) and the region filled from the card.
    b.fill("input[name=i0_customer_name]", "苏州天成电子有限公司")
        .await;
    let mut linked = String::new();
    for _ in 0..50 {
        linked = b
            .client
            .execute(
                "return document.querySelector('input[name=i0_customer_id]').value;",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !linked.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(linked, c.to_string(), "the plan row links to the customer");
    b.set("input[name=i0_start]", "10:00").await;
    b.set("input[name=i0_end]", "11:30").await;
    b.client
        .find(Locator::Css("select[name=i0_purpose]"))
        .await
        .unwrap()
        .select_by_value("collect_payment")
        .await
        .unwrap();
    b.click("#plan-form button[type=submit]").await;
    b.wait_for("#submit-plan").await;
    let (_, plans) = app.get("/api/v1/visit-plans", &rep).await;
    assert_eq!(plans["items"][0]["items"][0]["customer_id"], c, "{plans}");
    b.click("#submit-plan").await;
    b.wait_for_text("#plan-status", "待审批").await;
    b.shot("plan-submitted").await;
    b.logout().await;

    // The supervisor finds it on the workbench's to-do list, approves it, is told so, and the
    // line is gone from the list.
    b.login(&base, "zhang").await;
    let todo = b.text(".todo-plans_to_review").await;
    assert!(
        todo.contains("1 份拜访计划待审批") && todo.contains("li"),
        "{todo}"
    );
    b.click(".todo-plans_to_review .todo-items a").await;
    b.wait_for("#approve-plan").await;
    b.click("#approve-plan").await;
    b.wait_for_text("#plan-status", "已批准").await;
    assert_eq!(b.text("#done").await, "已批准该拜访计划。");
    b.client.goto(&format!("{base}/")).await.unwrap();
    b.wait_for("#todo").await;
    assert!(b
        .client
        .find(Locator::Css(".todo-plans_to_review"))
        .await
        .is_err());
    b.logout().await;

    // The salesperson visits, logs the outcome, and files the daily report.
    b.login(&base, "li").await;
    b.client
        .goto(&format!("{base}/customers/{c}"))
        .await
        .unwrap();
    b.client
        .find(Locator::Css("#activity-form select[name=kind]"))
        .await
        .unwrap()
        .select_by_value("visit")
        .await
        .unwrap();
    b.fill("#activity-form textarea[name=summary]", "上门对账")
        .await;
    b.fill("#activity-form input[name=outcome]", "收回货款两万元")
        .await;
    b.click("#activity-form button[type=submit]").await;
    b.wait_for_text("#activity-list", "收回货款两万元").await;
    b.wait_for_text("#done", "已记录跟进").await;
    b.client.goto(&format!("{base}/reports")).await.unwrap();
    let prefilled = b.text("#prefilled-visits").await;
    assert!(
        prefilled.contains("苏州天成电子有限公司") && prefilled.contains("收回货款两万元"),
        "{prefilled}"
    );
    b.fill("#report-form input[name=payment_collected]", "20000")
        .await;
    b.click("#report-form button[type=submit]").await;
    b.wait_for("#attainment").await;
    b.shot("daily-report").await;
    b.logout().await;

    // The supervisor reviews the report.
    b.login(&base, "zhang").await;
    b.click(".todo-reports_to_review .todo-items a").await;
    b.wait_for("#review-report").await;
    b.fill("input[name=comment]", "回款及时，继续跟进").await;
    b.click("#review-report").await;
    b.wait_for_text("#review", "回款及时").await;
    b.wait_for_text("#done", "已批阅该日报").await;
    // On a phone the workbench keeps its to-do list readable without sideways scrolling.
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&format!("{base}/")).await.unwrap();
    b.wait_for("#todo").await;
    let overflow = b.sideways_overflow().await;
    assert!(
        overflow <= 0.0,
        "the workbench scrolls sideways by {overflow}px"
    );
    b.shot("workbench-phone").await;

    let (_, reports) = app.get("/api/v1/daily-reports", &app.admin_token).await;
    assert_eq!(reports["items"][0]["review_comment"], "回款及时，继续跟进");
    assert_eq!(reports["items"][0]["payment_collected"], "20000");
    b.client.clone().close().await.unwrap();
}

/// Each level opens its own dashboard and finds its charts drawn (server-side SVG with a size),
/// the director sets a target in the grid and sees the gap it leaves, and the analysis pages
/// draw theirs; on a phone-sized window the dashboard does not scroll sideways.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_level_finds_its_dashboard_and_charts() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = crate::common::Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            serde_json::json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100", "cost": "60"}),
        )
        .await;
    let c = app.customer(&t.rep_a1.1, "甲一机械", "12400000001").await;
    let (s, _) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"], "lines": [{"product_id": lamp["id"], "quantity": "30"}]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let (s, _) = app
        .patch(
            &format!("/api/v1/targets/{year}"),
            &t.director.1,
            serde_json::json!({"version": 0, "lines": [{"measure": "revenue", "assignee_id": t.rep_a1.0, "period": year.to_string(), "amount": "120000"}]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    let (s, _) = app
        .post(
            &format!("/api/v1/targets/{year}/publish"),
            &t.director.1,
            serde_json::json!({"version": 1}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    let chart_width = |css: &'static str| {
        let client = b.client.clone();
        async move {
            let v = client
                .execute(
                    &format!("const s = document.querySelector('{css} svg'); return s ? s.getBoundingClientRect().width : 0;"),
                    vec![],
                )
                .await
                .unwrap();
            v.as_f64().unwrap_or(0.0)
        }
    };

    b.login(&app.base, "rep_a1").await;
    b.wait_for("#attainment-chart svg").await;
    assert!(chart_width("#attainment-chart").await > 100.0);
    assert!(b.text("#plan-today").await.contains("未填写"));
    b.shot("dashboard-today").await;
    b.logout().await;

    b.login(&app.base, "sup_a").await;
    b.wait_for("#ageing-chart svg").await;
    assert!(chart_width("#ageing-chart").await > 100.0);
    assert!(b.text("nav.tabs a.current").await.contains("本周"));
    b.shot("dashboard-week").await;
    b.logout().await;

    b.login(&app.base, "director").await;
    b.wait_for("#pipeline-chart svg").await;
    assert!(chart_width("#pipeline-chart").await > 100.0);
    b.click("nav.tabs a[href='/?view=results']").await;
    b.wait_for("#trend-chart svg").await;
    assert!(chart_width("#trend-chart").await > 100.0);
    b.shot("dashboard-results").await;

    // The target grid: the company's year without its people is a gap, named in words.
    b.client
        .goto(&app.url(&format!("/targets?year={year}&measure=revenue")))
        .await
        .unwrap();
    b.wait_for("#target-grid").await;
    b.fill(&format!("input[name='a0_{year}']"), "1200000").await;
    b.fill(&format!("input[name='a{}_{year}']", t.sup_a.0), "700000")
        .await;
    b.click("#target-grid button[type='submit']").await;
    let gaps = b.wait_for_text("#gaps", "下级之和").await;
    assert!(gaps.contains("¥500,000.00"), "{gaps}");
    b.shot("targets-grid").await;

    for (path, chart) in [
        ("/statistics?group_by=owner", "#statistics-chart"),
        ("/funnel", "#funnel-chart"),
        ("/targets/attainment", "#attainment"),
    ] {
        b.client.goto(&app.url(path)).await.unwrap();
        b.wait_for(chart).await;
    }
    b.client
        .goto(&app.url("/statistics?group_by=owner"))
        .await
        .unwrap();
    b.wait_for("#statistics-chart svg").await;
    assert!(chart_width("#statistics-chart").await > 100.0);
    b.shot("statistics").await;

    // A phone: the dashboard fits the width (wide tables and charts scroll or shrink inside).
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&app.url("/?view=month")).await.unwrap();
    b.wait_for("#pipeline-chart svg").await;
    let overflow = b.sideways_overflow().await;
    assert!(overflow <= 0.0, "the page scrolls sideways by {overflow}");
    b.shot("dashboard-phone").await;
}

/// Pay in the browser: the director sets a plan in the form, the supervisor enters a penalty
/// and reviews the sheet, the director approves it; the sheet fits a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pay_sheet_is_planned_reviewed_and_approved() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = crate::common::Team::build(&app).await;
    let (_, lamp) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            serde_json::json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100", "category": "照明"}),
        )
        .await;
    let c = app.customer(&t.rep_a1.1, "甲一机械", "12400000001").await;
    let (s, o) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"], "lines": [{"product_id": lamp["id"], "quantity": "10"}]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    let (s, _) = app
        .post(
            &format!("/api/v1/orders/{}/payments", o["id"]),
            &t.rep_a1.1,
            serde_json::json!({"kind": "deposit", "amount": "100"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    let month = chrono::Utc::now()
        .with_timezone(&yingpan_domain::visit_plan::china_offset())
        .format("%Y-%m")
        .to_string();

    // The director's plan: base 3,000, 3 % by default and 5 % on 照明.
    b.login(&app.base, "director").await;
    b.client.goto(&app.url("/pay-plans")).await.unwrap();
    b.wait_for("form[action='/pay-plans']").await;
    b.fill("input[name='base_salary']", "3000").await;
    b.fill("input[name='process_amount']", "0").await;
    b.fill("input[name='default_rate']", "3").await;
    b.fill("textarea[name='category_rates']", "照明=5").await;
    b.click("form[action='/pay-plans'] button[type='submit']")
        .await;
    b.wait_for_text("#pay-plans", &month).await;
    b.client
        .goto(&app.url(&format!("/pay-sheets?month={month}")))
        .await
        .unwrap();
    let sheets = b.wait_for_text("#pay-sheets", "rep_a1").await;
    assert!(sheets.contains("¥3,050.00"), "{sheets}");
    b.logout().await;

    // The supervisor: a penalty with its reason, then the review.
    b.login(&app.base, "sup_a").await;
    b.client
        .goto(&app.url(&format!("/pay-sheets/{month}/{}", t.rep_a1.0)))
        .await
        .unwrap();
    b.wait_for("#pay-sheet").await;
    b.fill("input[name='amount']", "-50").await;
    b.fill("input[name='reason']", "周报迟交").await;
    b.click("form[action='/pay-sheets/adjustments'] button")
        .await;
    b.wait_for_text("#pay-total", "¥3,000.00").await;
    b.click("form[action='/pay-sheets/sign'] button").await;
    b.wait_for_text("h1", "已审核").await;
    b.logout().await;

    b.login(&app.base, "director").await;
    b.client
        .goto(&app.url(&format!("/pay-sheets/{month}/{}", t.rep_a1.0)))
        .await
        .unwrap();
    b.wait_for("input[name='approve']").await;
    b.click("input[name='approve'] ~ button").await;
    b.wait_for_text("h1", "已批准").await;
    b.shot("pay-sheet").await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.refresh().await.unwrap();
    b.wait_for("#pay-sheet").await;
    let overflow = b.sideways_overflow().await;
    assert!(overflow <= 0.0, "the sheet scrolls sideways by {overflow}");
    b.shot("pay-sheet-phone").await;
}

/// Accessibility: axe-core finds no critical or serious problem on any page a role opens, on a
/// desktop and on a phone-sized window.
/// The clerk logs a customer's call as a ticket from the customer's page; the owner finds it on
/// the workbench, answers and resolves it; the return visit the resolution scheduled is
/// recorded from the due page — each through the real forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaint_is_filed_resolved_and_followed_up() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = crate::common::Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "杭州明光照明有限公司", "13755550000")
        .await["id"]
        .as_i64()
        .unwrap();
    // Return visits right after a resolution, so the due page lists it today.
    let (_, mut settings) = app.get("/api/v1/service-settings", &t.rep_a1.1).await;
    settings["return_visit_after_ticket_days"] = serde_json::json!(1);
    app.call(
        reqwest::Method::PUT,
        "/api/v1/service-settings",
        Some(&app.admin_token),
        Some(settings),
    )
    .await;
    let base = app.base.clone();

    b.login(&base, "clerk").await;
    b.client
        .goto(&format!("{base}/customers/{c}"))
        .await
        .unwrap();
    b.click("#new-ticket").await;
    b.wait_for("#ticket-form").await;
    b.client
        .find(Locator::Css("select[name=severity]"))
        .await
        .unwrap()
        .select_by_value("high")
        .await
        .unwrap();
    b.fill("input[name=subject]", "灯具频繁闪烁").await;
    b.fill("textarea[name=description]", "客户来电：三楼灯具频繁闪烁。")
        .await;
    b.click("#ticket-form button[type=submit]").await;
    b.wait_for("#ticket-subject").await;
    assert!(
        b.text("#ticket-assignee").await.contains("rep_a1"),
        "goes to the owner"
    );
    assert_eq!(b.text("#ticket-status").await, "新建");
    b.logout().await;

    b.login(&base, "rep_a1").await;
    let todo = b.text(".todo-tickets_assigned").await;
    assert!(todo.contains("灯具频繁闪烁"), "{todo}");
    b.click(".todo-tickets_assigned .todo-items a").await;
    b.wait_for("#ticket-reply").await;
    b.fill("#ticket-reply textarea[name=body]", "已安排明天上门检修。")
        .await;
    b.click("#step-start").await;
    b.wait_for_text("#ticket-status", "处理中").await;
    assert_eq!(b.text("#done").await, "工单已更新。");
    b.fill(
        "#ticket-reply textarea[name=body]",
        "更换镇流器，已恢复正常。",
    )
    .await;
    b.click("#step-resolve").await;
    b.wait_for_text("#ticket-status", "已解决").await;
    assert!(b.text("#ticket-resolution").await.contains("更换镇流器"));
    b.shot("ticket-resolved").await;

    b.client.goto(&format!("{base}/due")).await.unwrap();
    b.wait_for("#return-visit-list").await;
    b.client
        .find(Locator::Css("#return-visit-list select[name=result]"))
        .await
        .unwrap()
        .select_by_value("satisfied")
        .await
        .unwrap();
    b.fill(
        "#return-visit-list input[name=summary]",
        "客户确认灯具正常，表示满意。",
    )
    .await;
    b.click("#return-visit-list button[type=submit]").await;
    b.wait_for("#no-return-visits").await;
    assert_eq!(b.text("#done").await, "回访已记录。");
    let (_, acts) = app
        .get(&format!("/api/v1/customers/{c}/activities"), &t.rep_a1.1)
        .await;
    assert!(
        acts.to_string().contains("客户确认灯具正常"),
        "the return visit is a logged call: {acts}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_account_is_screened_planned_and_approved() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = crate::common::Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "宁波恒达机械有限公司", "13755551111")
        .await["id"]
        .as_i64()
        .unwrap();
    let base = app.base.clone();

    b.login(&base, "rep_a1").await;
    b.client
        .goto(&format!("{base}/customers/{c}"))
        .await
        .unwrap();
    b.click("#screening-link").await;
    b.wait_for("#screening-form").await;
    for select in b
        .client
        .find_all(Locator::Css("#screening-form select"))
        .await
        .unwrap()
    {
        select.select_by_value("5").await.unwrap();
    }
    b.click("#screening-form button[type=submit]").await;
    b.wait_for_text("#screening-history", "核心顾客").await;
    assert_eq!(b.text("#key-account").await, "核心顾客");
    b.client
        .goto(&format!("{base}/key-accounts"))
        .await
        .unwrap();
    assert!(b
        .text("#quadrant-core")
        .await
        .contains("宁波恒达机械有限公司"));
    assert!(!b
        .text("#quadrant-general")
        .await
        .contains("宁波恒达机械有限公司"));
    b.shot("key-account-matrix").await;

    b.client
        .goto(&format!("{base}/account-plans"))
        .await
        .unwrap();
    b.click("#new-plan button[type=submit]").await;
    b.wait_for("#plan-form").await;
    b.fill("textarea[name='text.needs']", "二期扩产，需要节能改造")
        .await;
    b.fill("input[name=this_year_goal]", "3,000,000").await;
    b.fill("input[name='actions.0.title']", "拜访总经理，介绍节能方案")
        .await;
    // Early next year: within the plan's reach, and still ahead when the task is made.
    let next_year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    b.set(
        "input[name='actions.0.due_on']",
        &format!("{next_year}-01-20"),
    )
    .await;
    b.click("#save-plan").await;
    b.wait_for_text("#done", "已保存").await;
    assert!(
        b.text("#part-profile legend").await.contains("rep_a1"),
        "the profile is stamped with who filled it"
    );
    b.click("#submit-plan").await;
    b.wait_for_text("#revision-status", "待审批").await;
    b.shot("account-plan-submitted").await;
    b.logout().await;

    b.login(&base, "sup_a").await;
    b.client
        .goto(&format!("{base}/account-plans"))
        .await
        .unwrap();
    b.click("#plan-list a").await;
    b.wait_for("#review-form").await;
    assert!(b.text("#part-goals").await.contains("¥3,000,000"));
    b.fill("#review-form textarea[name=note]", "同意，注意回款")
        .await;
    b.click("#approve-plan").await;
    b.wait_for_text("#revision-status", "已批准").await;
    assert!(b.text("#review-note").await.contains("注意回款"));
    b.click("#part-goals a[href^='/tasks/']").await;
    b.wait_for_text("#task-title", "拜访总经理").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quotation_is_approved_and_becomes_an_order() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = crate::common::Team::build(&app).await;
    app.post(
        "/api/v1/products",
        &t.clerk.1,
        serde_json::json!({"code": "LED", "name": "节能灯", "unit": "盏", "price": "100"}),
    )
    .await;
    let c = app
        .customer(&t.rep_a1.1, "宁波恒达机械有限公司", "13755552222")
        .await["id"]
        .as_i64()
        .unwrap();
    let base = app.base.clone();

    b.login(&base, "rep_a1").await;
    b.client
        .goto(&format!("{base}/customers/{c}"))
        .await
        .unwrap();
    b.click("#new-quotation").await;
    b.wait_for("#quotation-form").await;
    b.client
        .find(Locator::Css("select[name='lines.0.product_id']"))
        .await
        .unwrap()
        .select_by_index(1)
        .await
        .unwrap();
    b.fill("input[name='lines.0.quantity']", "50").await;
    b.fill("input[name='lines.0.discount_percent']", "15").await;
    b.fill("textarea[name=terms]", "预付 30%，到货验收后 30 天付清")
        .await;
    b.click("#save-quotation").await;
    b.wait_for_text("#quotation-total", "4,250").await;
    assert!(b.text("#over-limit").await.contains("10"));
    b.click("#submit-quotation").await;
    b.wait_for_text("#quotation-status", "待审批").await;
    b.logout().await;

    b.login(&base, "sup_a").await;
    b.client.goto(&format!("{base}/quotations")).await.unwrap();
    b.click("#quotation-list a").await;
    b.wait_for("#approval-form").await;
    b.click("#approve-quotation").await;
    b.wait_for_text("#quotation-status", "可报给客户").await;
    b.logout().await;

    b.login(&base, "rep_a1").await;
    b.client.goto(&format!("{base}/quotations")).await.unwrap();
    b.click("#quotation-list a").await;
    b.wait_for("#accept-quotation").await;
    b.click("#accept-quotation").await;
    b.wait_for_text("#quotation-status", "客户已接受").await;
    b.click("#quotation-order").await;
    b.wait_for_text("main", "4,250").await;
    b.shot("quotation-order").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_axe() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let t = crate::common::Team::build(&app).await;
    let c = app
        .customer(&t.rep_a1.1, "无障碍科技有限公司", "13700001111")
        .await;
    let base = app.base.clone();
    let customer = format!("/customers/{}", c["id"]);
    // A record of each kind with a page of its own: an order, an opportunity, a plan.
    let (_, product) = app
        .post(
            "/api/v1/products",
            &t.clerk.1,
            serde_json::json!({"code": "A1", "name": "节能灯", "unit": "盏", "price": "35"}),
        )
        .await;
    let (_, order) = app
        .post(
            "/api/v1/orders",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"], "lines": [{"product_id": product["id"], "quantity": "4"}]}),
        )
        .await;
    let (_, opportunity) = app
        .post(
            "/api/v1/opportunities",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"], "name": "灯具改造", "amount": "50000"}),
        )
        .await;
    let (_, plan) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            serde_json::json!({"plan_date": "2026-12-01", "items": [{"customer_name": "无障碍科技有限公司", "start": "09:00", "end": "10:00", "purpose": "service"}]}),
        )
        .await;
    // Delivered, so the due page carries a return visit and its form; and a ticket.
    app.post(
        &format!("/api/v1/orders/{}/delivery", order["id"]),
        &t.clerk.1,
        serde_json::json!({"status": "delivered", "version": order["version"]}),
    )
    .await;
    let (_, ticket) = app
        .post(
            "/api/v1/tickets",
            &t.clerk.1,
            serde_json::json!({"customer_id": c["id"], "category": "complaint", "subject": "灯具闪烁"}),
        )
        .await;
    let (_, survey) = app
        .post(
            "/api/v1/surveys",
            &t.director.1,
            serde_json::json!({"name": "交货满意度", "questions": "score: 质量\ntext?: 建议"}),
        )
        .await;
    let (_, invited) = app
        .post(
            &format!("/api/v1/surveys/{}/invitations", survey["id"]),
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"]}),
        )
        .await;
    let (_, segment) = app
        .post(
            "/api/v1/segments",
            &t.rep_a1.1,
            serde_json::json!({"name": "全部客户", "query": "kind=company"}),
        )
        .await;
    let (_, campaign) = app
        .post(
            "/api/v1/campaigns",
            &t.rep_a1.1,
            serde_json::json!({"name": "年终答谢", "channel": "letter", "segment_id": segment["id"], "body": "{{customer.name}}：感谢您的支持。"}),
        )
        .await;
    let (_, task) = app
        .post(
            "/api/v1/tasks",
            &t.sup_a.1,
            serde_json::json!({"assignee_id": t.rep_a1.0, "title": "拜访无障碍科技", "due_at": "2099-01-01T02:00:00Z"}),
        )
        .await;
    let all_fives: serde_json::Map<String, serde_json::Value> = [
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
    ]
    .iter()
    .map(|f| (f.to_string(), serde_json::json!(5)))
    .collect();
    app.post(
        &format!("/api/v1/customers/{}/screenings", c["id"]),
        &t.rep_a1.1,
        serde_json::json!({ "scores": all_fives }),
    )
    .await;
    let (_, account_plan) = app
        .post(
            "/api/v1/account-plans",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"]}),
        )
        .await;
    let plan_id = account_plan["plan"]["id"].clone();
    app.post(
        &format!("/api/v1/account-plans/{plan_id}/steps"),
        &t.rep_a1.1,
        serde_json::json!({"step": "submit", "version": 1}),
    )
    .await;
    let (_, quotation) = app
        .post(
            "/api/v1/quotations",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"], "lines": [{"product_id": product["id"], "quantity": "10", "discount_percent": "20"}]}),
        )
        .await;
    let (_, pending) = app
        .post(
            "/api/v1/quotations",
            &t.rep_a1.1,
            serde_json::json!({"customer_id": c["id"], "lines": [{"product_id": product["id"], "quantity": "10", "discount_percent": "20"}]}),
        )
        .await;
    app.post(
        &format!("/api/v1/quotations/{}/steps", pending["quotation"]["id"]),
        &t.rep_a1.1,
        serde_json::json!({"step": "submit", "version": 1}),
    )
    .await;
    let (_, objection) = app
        .post(
            "/api/v1/objections",
            &t.sup_a.1,
            serde_json::json!({"text": "价格太高", "concern": "怕买贵了", "stage": "closing"}),
        )
        .await;
    app.post(
        &format!(
            "/api/v1/objections/{}/answers",
            objection["objection"]["id"]
        ),
        &t.rep_a1.1,
        serde_json::json!({"text": "算总账：一年省下的电费抵掉差价"}),
    )
    .await;
    let (_, meeting) = app
        .post(
            "/api/v1/meetings",
            &t.sup_a.1,
            serde_json::json!({"kind": "morning"}),
        )
        .await;
    // A submitted plan ten days ahead that sup_a joins (coaching pages).
    let ahead = (chrono::Utc::now() + chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    let (_, ahead_plan) = app
        .post(
            "/api/v1/visit-plans",
            &t.rep_a1.1,
            serde_json::json!({"plan_date": ahead, "items": [{"customer_id": c["id"], "customer_name": "无障碍科技有限公司", "start": "09:00", "end": "10:00", "purpose": "service"}]}),
        )
        .await;
    app.post(
        &format!("/api/v1/visit-plans/{}/submit", ahead_plan["id"]),
        &t.rep_a1.1,
        serde_json::json!({"version": 1}),
    )
    .await;
    let (_, joint) = app
        .post(
            "/api/v1/joint-visits",
            &t.sup_a.1,
            serde_json::json!({"plan_id": ahead_plan["id"], "item": 0}),
        )
        .await;
    let (_, webhook) = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token,
            serde_json::json!({"name": "华东群", "format": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=demo",
                "team_head_id": t.sup_a.0, "events": ["opportunity.won", "ticket.filed"]}),
        )
        .await;
    app.post(
        &format!("/api/v1/webhooks/{}/ping", webhook["webhook"]["id"]),
        &app.admin_token,
        serde_json::json!({}),
    )
    .await;
    let link = format!(
        "/s/{}",
        invited["url"].as_str().unwrap().rsplit('/').next().unwrap()
    );
    let draft = app
        .store
        .create_import_draft(
            &app.all(),
            "客户.csv",
            "单位全称,手机号码,备注\n东方百货,13900000081,老客户\n",
            app.now(),
        )
        .await
        .unwrap();
    let records = [
        format!("/orders/{}", order["id"]),
        format!("/opportunities/{}", opportunity["id"]),
        format!("/plans/{}", plan["id"]),
        format!("{customer}/edit"),
        format!("/tickets/{}", ticket["id"]),
        format!("/tickets/new?customer_id={}", c["id"]),
        format!("/surveys/{}", survey["id"]),
        format!("/surveys/{}/send?customer_id={}", survey["id"], c["id"]),
        link,
        format!("/campaigns/{}", campaign["id"]),
        format!("/tasks/{}", task["id"]),
        format!("{customer}/screening"),
        format!("/account-plans/{plan_id}"),
        format!("/account-plans/{plan_id}/compare?a=1&b=1"),
        format!("/quotations/{}", quotation["quotation"]["id"]),
        format!("/quotations/new?customer_id={}", c["id"]),
        format!("/quotations/{}", pending["quotation"]["id"]),
        format!("/objections/{}", objection["objection"]["id"]),
        format!("/meetings/{}", meeting["meeting"]["id"]),
        format!("/plans/{}", ahead_plan["id"]),
        format!("/joint-visits/{}", joint["id"]),
        format!("/coaching/{}", t.rep_a1.0),
        format!("/quotations/{}/print", quotation["quotation"]["id"]),
        format!("/admin/webhooks/{}", webhook["webhook"]["id"]),
        format!("/customers/import/{draft}"),
    ];
    let pages: Vec<(&str, Vec<&str>)> = vec![
        (
            "admin",
            vec![
                "/admin/organization",
                "/admin/custom-fields",
                "/admin/picklists",
                "/admin/service",
                "/admin/campaigns",
                "/admin/screening",
                "/admin/webhooks",
                "/api/docs",
                &records[23],
                &records[24],
                "/quotations",
                "/admin/users",
            ],
        ),
        (
            "rep_a1",
            vec![
                "/",
                "/customers",
                "/customers/new",
                &customer,
                &records[0],
                &records[1],
                &records[2],
                &records[3],
                &records[4],
                &records[5],
                &records[6],
                &records[7],
                &records[8],
                &records[9],
                &records[10],
                &records[11],
                &records[12],
                &records[13],
                &records[14],
                &records[15],
                "/quotations",
                &records[22],
                "/objections",
                &records[17],
                "/key-accounts",
                "/account-plans",
                "/calendar",
                "/tasks",
                "/appeals",
                "/campaigns",
                "/tickets",
                "/surveys",
                "/due",
                "/pipeline",
                "/pool",
                "/plans",
                "/reports",
                "/targets/attainment",
                "/statistics",
                "/funnel",
                "/pay-sheets",
                "/referrals",
                "/act-for",
                "/inbox",
                "/settings",
            ],
        ),
        (
            "sup_a",
            vec![
                "/",
                "/?view=month",
                "/?view=results",
                "/weekly-reports",
                "/tasks?view=team",
                &records[12],
                &records[16],
                "/objections",
                &records[17],
                "/meetings",
                &records[18],
                &records[19],
                "/joint-visits",
                "/admin/webhooks",
                &records[20],
                &records[21],
                "/budgets",
                "/economics",
                "/economics/customers?list=top",
                "/customers/duplicates",
                "/customers/import",
                "/admin/users",
            ],
        ),
        (
            "director",
            vec![
                "/?view=month",
                "/monthly",
                "/targets",
                "/pay-plans",
                "/audit",
                "/customers/deleted",
                "/admin/pools",
            ],
        ),
        ("clerk", vec!["/", "/products", "/ledgers"]),
    ];
    // The check itself works: an image without a text alternative is reported.
    b.login(&base, "rep_a1").await;
    b.client
        .execute(
            "document.querySelector('main').appendChild(document.createElement('img'));",
            vec![],
        )
        .await
        .unwrap();
    let found = b.axe().await;
    if std::env::var("YINGPAN_AXE").is_ok() {
        assert!(
            found.iter().any(|v| v.contains("image-alt")),
            "axe did not run: {found:?}"
        );
    }
    b.logout().await;
    let mut problems = Vec::new();
    for (width, height) in [(1200, 900), (390, 844)] {
        b.client.set_window_size(width, height).await.unwrap();
        for (user, paths) in &pages {
            b.login(&base, user).await;
            for path in paths {
                b.client.goto(&format!("{base}{path}")).await.unwrap();
                b.wait_for("main").await;
                let name: String = path
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                b.shot(&format!("{user}{name}-{width}")).await;
                for v in b.axe().await {
                    problems.push(format!("{user} {path} @{width}px: {v}"));
                }
            }
            b.logout().await;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    b.client.clone().close().await.unwrap();
}
