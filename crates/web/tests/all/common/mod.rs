//! Test harness: a real server on a free loopback port, over a fresh SQLite file or a fresh
//! PostgreSQL database per test.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::Arc;
use yingpan_domain::person::{DisplayName, Role, Scope, Username};
use yingpan_store::{NewUser, Store, Viewer};
use yingpan_web::{AppState, Clock, Config};

pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "password-123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server for tests (`YINGPAN_TEST_PG_URL`, e.g. `postgres://yp@127.0.0.1:5439`,
/// without a database name; the role must be allowed to create databases). Without it PostgreSQL tests are skipped, unless
/// `YINGPAN_REQUIRE_PG` is set, as the test script and CI do.
pub fn pg_admin_url() -> Option<String> {
    match std::env::var("YINGPAN_TEST_PG_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                std::env::var("YINGPAN_REQUIRE_PG").is_err(),
                "YINGPAN_REQUIRE_PG is set but YINGPAN_TEST_PG_URL is not"
            );
            eprintln!("skipping PostgreSQL test: YINGPAN_TEST_PG_URL is not set");
            None
        }
    }
}

#[derive(Clone)]
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub org_id: i64,
    pub admin_id: i64,
    pub admin_token: String,
    /// The database URL, for tests that must shape data the API refuses (legacy rows).
    pub db_url: String,
    _dir: Option<Arc<tempfile::TempDir>>,
}

async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("test.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let server = pg_admin_url().expect("postgres url");
            let server = server.trim_end_matches('/');
            sqlx::any::install_default_drivers();
            let name = format!("yp_test_{}", yingpan_web_test_token());
            let mut conn =
                <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{server}/postgres"))
                    .await
                    .unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let url = format!("{server}/{name}");
            (url, None)
        }
    }
}

/// The URL the app itself connects with. With `YINGPAN_TEST_PG_APP_URL` (set by the test
/// script), the app works as its own role, so that PostgreSQL's record of its statements
/// (`pg_stat_statements`, checked by the store's tenancy test) is apart from the checks a test
/// runs on the stored rows.
pub fn app_url(url: &str) -> String {
    if !url.starts_with("postgres") {
        return url.to_string();
    }
    match (std::env::var("YINGPAN_TEST_PG_APP_URL"), pg_admin_url()) {
        (Ok(app), Some(admin)) if !app.is_empty() => {
            let admin = admin.trim_end_matches('/');
            format!("{}{}", app.trim_end_matches('/'), &url[admin.len()..])
        }
        _ => url.to_string(),
    }
}

fn yingpan_web_test_token() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().gen();
    format!("{n:016x}")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with_clock(backend, Clock::System).await
    }

    pub async fn spawn_with_clock(backend: Backend, clock: Clock) -> TestApp {
        let (url, dir) = fresh_database(backend).await;
        let store = Store::connect(&app_url(&url)).await.expect("connect store");
        Self::spawn_on(store, url, dir, clock).await
    }

    /// The app over a store the test made (a database of its own cluster, read replicas).
    pub async fn spawn_on(
        store: Store,
        url: String,
        dir: Option<tempfile::TempDir>,
        clock: Clock,
    ) -> TestApp {
        let db_url = url.clone();
        let (org, admin) = store
            .init_organization(
                "测试公司",
                NewUser {
                    username: Username::parse("admin").unwrap(),
                    password_hash: yingpan_web::hash_password(ADMIN_PASSWORD),
                    display_name: DisplayName::parse("管理员").unwrap(),
                    role: Role::Admin,
                    superior_id: None,
                },
                clock.now(),
            )
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState {
            store: store.clone(),
            clock,
            config: Arc::new(Config::default()),
        };
        tokio::spawn(async move { yingpan_web::serve(listener, state).await.unwrap() });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut app = TestApp {
            base,
            client,
            store,
            org_id: org.id,
            admin_id: admin.id,
            admin_token: String::new(),
            db_url,
            _dir: dir.map(Arc::new),
        };
        app.admin_token = app.login("admin", ADMIN_PASSWORD).await;
        app
    }

    /// A second server over the same database whose clock stands at `t`, as another
    /// instance started with `YINGPAN_FAKE_NOW` would. Tokens work on both.
    pub async fn at(&self, t: DateTime<Utc>) -> TestApp {
        self.instance(Clock::Fixed(t), Config::default()).await
    }

    /// Another server over the same database with its own clock and configuration.
    pub async fn instance(&self, clock: Clock, config: Config) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState {
            store: self.store.clone(),
            clock,
            config: Arc::new(config),
        };
        tokio::spawn(async move { yingpan_web::serve(listener, state).await.unwrap() });
        TestApp {
            base,
            client: self.client.clone(),
            store: self.store.clone(),
            org_id: self.org_id,
            admin_id: self.admin_id,
            admin_token: self.admin_token.clone(),
            db_url: self.db_url.clone(),
            _dir: self._dir.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends JSON (or nothing) with a bearer token; returns the status and the JSON body
    /// (`Null` when the body is empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// A page (HTML) as `token`'s holder sees it: the status and the text.
    pub async fn page(&self, path: &str, token: &str) -> (StatusCode, String) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    /// Creates a person through the API and returns (id, token).
    pub async fn person(&self, username: &str, role: &str, superior: Option<i64>) -> (i64, String) {
        let (s, body) = self
            .post(
                "/api/v1/users",
                &self.admin_token,
                json!({"username": username, "password": PASSWORD, "display_name": username, "role": role, "superior_id": superior}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "create {username}: {body}");
        let id = body["id"].as_i64().unwrap();
        (id, self.login(username, PASSWORD).await)
    }

    pub async fn customer(&self, token: &str, name: &str, phone: &str) -> Value {
        let (s, body) = self
            .post(
                "/api/v1/customers",
                token,
                json!({"kind": "company", "name": name, "phone": phone}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "create customer {name}: {body}");
        body
    }

    /// A viewer that sees the whole organization, for asserting on stored rows.
    pub fn all(&self) -> Viewer {
        Viewer {
            org_id: self.org_id,
            user_id: self.admin_id,
            role: Role::Admin,
            scope: Scope::All,
        }
    }

    /// Runs raw SQL against the test database (to create what the API would refuse).
    pub async fn sql(&self, statement: &str) {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db_url)
            .await
            .unwrap();
        sqlx::query(statement).execute(&mut conn).await.unwrap();
    }

    /// One number from raw SQL against the test database.
    pub async fn count(&self, statement: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db_url)
            .await
            .unwrap();
        let n: i64 = sqlx::query(statement)
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        n
    }

    /// The audit trail as the admin reads it shows every field, value and record in words: no
    /// catalog key (`field.…`, `audit.…`), no bare id (`#26`), no raw flag (`true`/`false`).
    pub async fn assert_audit_in_words(&self) {
        let (status, page) = self.page("/audit", &self.admin_token).await;
        assert_eq!(status, StatusCode::OK);
        let table = page
            .split_once("id=\"audit\"")
            .map(|(_, t)| t)
            .unwrap_or(&page);
        let text = strip_tags(table);
        for raw in [
            "field.", "audit.", ">true<", ">false<", "entity_", "action_",
        ] {
            assert!(!table.contains(raw), "the audit page shows `{raw}`: {text}");
        }
        let bare_id = text
            .char_indices()
            .any(|(i, c)| c == '#' && text[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
        assert!(!bare_id, "the audit page shows a bare id: {text}");
    }

    /// The figures rollups (per person and day, per person and month) and each visit's
    /// `customer_ordered` must equal a count of the raw rows after any scenario, on both backends.
    pub async fn assert_rollups_consistent(&self) {
        let diffs = self.store.rollup_differences(self.org_id).await.unwrap();
        assert!(
            diffs.is_empty(),
            "rollups differ from the raw rows: {diffs:#?}"
        );
        // The statistics cube: its cells with the changes not yet folded, then once folded.
        for when in ["before folding", "after folding"] {
            let diffs = self
                .store
                .statistics_cube_differences(self.org_id)
                .await
                .unwrap();
            assert!(
                diffs.is_empty(),
                "statistics cells differ from the raw rows {when}: {diffs:#?}"
            );
            self.store.fold_statistics().await.unwrap();
        }
    }

    /// On SQLite, the per-owner tally of live customers (migration 0027, which list totals and
    /// the pool count read) must equal a count of the customers themselves after any scenario.
    pub async fn assert_tally_consistent(&self) {
        self.assert_rollups_consistent().await;
        sqlx::any::install_default_drivers();
        if !self.db_url.starts_with("sqlite:") {
            // PostgreSQL's tally is the folded rows plus the changes not yet folded (migration
            // 0063): equal to the rows before folding, and after.
            self.assert_pg_tally_equals_rows().await;
            let pending = self.pg_tally_changes().await;
            let folded = self.store.compact_tally().await.unwrap();
            assert_eq!(folded, pending, "every pending change is folded");
            assert_eq!(self.pg_tally_changes().await, 0);
            self.assert_pg_tally_equals_rows().await;
            return;
        }
        self.assert_tally_equals_rows(
            "SELECT org_id, owner_id, pool_id, live FROM customer_tally WHERE live <> 0 ORDER BY 1, 2, 3",
        )
        .await;
    }

    async fn pg_tally_changes(&self) -> u64 {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db_url)
            .await
            .unwrap();
        let n: i64 = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM customer_tally_changes) + (SELECT COUNT(*) FROM receivables_changes) \
             + (SELECT COUNT(*) FROM ownership_daily_changes)",
        )
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .get(0);
        n as u64
    }

    async fn assert_pg_tally_equals_rows(&self) {
        self.assert_tally_equals_rows(
            "SELECT org_id, owner_id, pool_id, CAST(SUM(live) AS BIGINT) FROM \
             (SELECT org_id, owner_id, pool_id, live FROM customer_tally \
              UNION ALL SELECT org_id, owner_id, pool_id, live FROM customer_tally_changes) t \
             GROUP BY 1, 2, 3 HAVING SUM(live) <> 0 ORDER BY 1, 2, 3",
        )
        .await;
    }

    /// The tally as `tally_sql` reads it (org, owner, pool, live) equals a count of the live
    /// customers themselves.
    async fn assert_tally_equals_rows(&self, tally_sql: &str) {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db_url)
            .await
            .unwrap();
        let four = |r: &sqlx::any::AnyRow| -> (i64, i64, i64, i64) {
            (r.get(0), r.get(1), r.get(2), r.get(3))
        };
        let counted: Vec<(i64, i64, i64, i64)> = sqlx::query(
            "SELECT org_id, COALESCE(owner_id, 0), COALESCE(pool_id, 0), COUNT(*) FROM customers \
             WHERE deleted_at IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(four)
        .collect();
        let tally: Vec<(i64, i64, i64, i64)> = sqlx::query(tally_sql)
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(four)
            .collect();
        assert!(
            !counted.is_empty(),
            "the scenario left no live customers to count"
        );
        assert_eq!(
            tally, counted,
            "customer_tally differs from the customers it counts"
        );
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A standard team: director → two supervisors → two salespeople each, plus a clerk.
pub struct Team {
    pub director: (i64, String),
    pub sup_a: (i64, String),
    pub sup_b: (i64, String),
    pub rep_a1: (i64, String),
    pub rep_a2: (i64, String),
    pub rep_b1: (i64, String),
    pub clerk: (i64, String),
}

impl Team {
    pub async fn build(app: &TestApp) -> Team {
        let director = app.person("director", "director", None).await;
        let sup_a = app.person("sup_a", "supervisor", Some(director.0)).await;
        let sup_b = app.person("sup_b", "supervisor", Some(director.0)).await;
        let rep_a1 = app.person("rep_a1", "sales", Some(sup_a.0)).await;
        let rep_a2 = app.person("rep_a2", "sales", Some(sup_a.0)).await;
        let rep_b1 = app.person("rep_b1", "sales", Some(sup_b.0)).await;
        let clerk = app.person("clerk", "clerk", Some(director.0)).await;
        Team {
            director,
            sup_a,
            sup_b,
            rep_a1,
            rep_a2,
            rep_b1,
            clerk,
        }
    }
}

/// Runs an async scenario against SQLite and PostgreSQL as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if super::common::pg_admin_url().is_some() {
                        super::$name(super::common::Backend::Postgres).await
                    }
                }
            }
        )*
    };
}

/// A page's text without its tags, for messages and for looking at what a reader sees.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    // Askama escapes quotes as numeric references; a reader sees the characters.
    let out = out
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes everything but ASCII letters and digits (query values with Chinese text).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
