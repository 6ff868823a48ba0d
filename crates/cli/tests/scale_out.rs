//! Two `yingpan serve` processes on one PostgreSQL database behind nginx (round robin) behave as
//! one server: tokens, web sessions and CSRF, login throttling, concurrent claims and the recycle
//! are shared through the database, not held in a process.
//! Needs PostgreSQL (`YINGPAN_TEST_PG_URL`) and nginx (`NGINX`, default /usr/sbin/nginx); skipped
//! without them unless `YINGPAN_REQUIRE_NGINX` is set (scripts/test.sh sets it).

use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_yingpan");

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx's workers outlive a killed master, so it is stopped the way nginx expects.
struct Nginx {
    child: Child,
    args: Vec<String>,
}
impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new(&self.args[0])
            .args(&self.args[1..])
            .args(["-s", "stop"])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
    }
}

fn serve(db: &str) -> (Proc, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .env("YINGPAN_LOG", "error")
        .env_remove("YINGPAN_FAKE_NOW")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = format!(
        "http://{}",
        line.split("http://")
            .nth(1)
            .unwrap()
            .trim()
            .trim_end_matches('/')
    );
    (Proc(child), base)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_behind_nginx_act_as_one() {
    let Ok(pg) = std::env::var("YINGPAN_TEST_PG_URL") else {
        assert!(std::env::var("YINGPAN_REQUIRE_PG").is_err());
        return;
    };
    let nginx = std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
    if !std::path::Path::new(&nginx).exists() {
        assert!(
            std::env::var("YINGPAN_REQUIRE_NGINX").is_err(),
            "nginx not found at {nginx}"
        );
        eprintln!("skipping: no nginx");
        return;
    }
    sqlx::any::install_default_drivers();
    let name = format!("yp_scale_{}", std::process::id());
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!("{pg}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let db = format!("{pg}/{name}");
    let init = Command::new(BIN)
        .args([
            "init",
            "--db",
            &db,
            "--org",
            "两台服务器",
            "--admin",
            "boss",
            "--password",
            "boss-password",
        ])
        .env_remove("YINGPAN_FAKE_NOW")
        .output()
        .unwrap();
    assert!(init.status.success(), "{init:?}");
    let (_a, a) = serve(&db);
    let (_b, b) = serve(&db);

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{ access_log off; client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           upstream yingpan {{ server {}; server {}; }}\n\
           server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://yingpan; proxy_set_header Host $host; }} }} }}\n",
        a.trim_start_matches("http://"),
        b.trim_start_matches("http://"),
    );
    std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
    let _nginx = Nginx {
        child: Command::new(&nginx)
            .args(["-c", &format!("{d}/nginx.conf"), "-p", &d.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        args: vec![
            nginx.clone(),
            "-c".into(),
            format!("{d}/nginx.conf"),
            "-p".into(),
            d.to_string(),
        ],
    };
    let lb = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let probe = client.clone();
    for _ in 0..100 {
        if probe
            .get(format!("{lb}/api/v1/openapi.json"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let call =
        move |method: reqwest::Method, url: String, token: Option<String>, body: Option<Value>| {
            let client = client.clone();
            async move {
                let mut req = client.request(method, url);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let r = req.send().await.unwrap();
                let s = r.status();
                (s, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
    let login = |base: String, user: &'static str, password: &'static str| {
        let call = call.clone();
        async move {
            call(
                reqwest::Method::POST,
                format!("{base}/api/v1/auth/login"),
                None,
                Some(json!({"username": user, "password": password})),
            )
            .await
        }
    };

    // A token from one server works on the other and through the balancer.
    let (s, t) = login(a.clone(), "boss", "boss-password").await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let boss = t["token"].as_str().unwrap().to_string();
    for base in [&a, &b, &lb, &lb, &lb, &lb] {
        let (s, me) = call(
            reqwest::Method::GET,
            format!("{base}/api/v1/me"),
            Some(boss.clone()),
            None,
        )
        .await;
        assert_eq!((s, me["username"].as_str()), (StatusCode::OK, Some("boss")));
    }
    let (_, me) = call(
        reqwest::Method::GET,
        format!("{lb}/api/v1/me"),
        Some(boss.clone()),
        None,
    )
    .await;
    let boss_id = me["id"].as_i64().unwrap();
    for (user, role) in [("rep1", "sales"), ("rep2", "sales")] {
        let (s, _) = call(
            reqwest::Method::POST,
            format!("{lb}/api/v1/users"),
            Some(boss.clone()),
            Some(json!({"username": user, "password": "rep-password", "display_name": user, "role": role, "superior_id": boss_id})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "create {user}");
    }

    // Login throttling counts failures on both servers together.
    for i in 0..5 {
        let base = if i % 2 == 0 { a.clone() } else { b.clone() };
        assert_eq!(
            login(base, "rep2", "wrong-password").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(lb.clone(), "rep2", "rep-password").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Two salespeople claim one pool customer through the balancer: exactly one wins.
    let rep1 = login(lb.clone(), "rep1", "rep-password").await.1["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, c) = call(
        reqwest::Method::POST,
        format!("{lb}/api/v1/customers"),
        Some(boss.clone()),
        Some(json!({"name": "宁波恒达贸易有限公司", "phone": "13900001111"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    let (s, _) = call(
        reqwest::Method::POST,
        format!("{lb}/api/v1/customers/{id}/release"),
        Some(boss.clone()),
        Some(json!({"reason": "放回公海测试"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let mut claims = Vec::new();
    for i in 0..8 {
        let (call, url, token) = (
            call.clone(),
            format!(
                "{}/api/v1/customers/{id}/claim",
                if i % 2 == 0 { &a } else { &b }
            ),
            if i % 2 == 0 {
                rep1.clone()
            } else {
                boss.clone()
            },
        );
        claims.push(tokio::spawn(async move {
            call(reqwest::Method::POST, url, Some(token), None).await.0
        }));
    }
    let mut won = 0;
    for c in claims {
        if c.await.unwrap() == StatusCode::OK {
            won += 1;
        }
    }
    assert_eq!(won, 1, "one owner");

    // A browser session started on one server submits a CSRF-protected form on the other.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(format!("{a}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = browser
        .post(format!("{b}/login"))
        .form(&[
            ("username", "boss"),
            ("password", "boss-password"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "login on the other server"
    );
    let settings = browser
        .get(format!("{a}/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form_csrf = settings
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = browser
        .post(format!("{b}/settings"))
        .form(&[
            ("csrf", form_csrf.as_str()),
            ("display_name", "老板"),
            ("locale", "zh-CN"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me) = call(
        reqwest::Method::GET,
        format!("{lb}/api/v1/me"),
        Some(boss.clone()),
        None,
    )
    .await;
    assert_eq!(me["display_name"], "老板");

    // The recycle run from two places at once returns each customer once.
    let recycle = || {
        Command::new(BIN)
            .args(["pool", "recycle", "--db", &db])
            .env("YINGPAN_FAKE_NOW", "2027-06-01T00:00:00Z")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (r1, r2) = (recycle(), recycle());
    let (o1, o2) = (
        r1.wait_with_output().unwrap(),
        r2.wait_with_output().unwrap(),
    );
    assert!(o1.status.success() && o2.status.success());
    let (_, history) = call(
        reqwest::Method::GET,
        format!("{lb}/api/v1/customers/{id}/ownership"),
        Some(boss.clone()),
        None,
    )
    .await;
    let recycled = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["reason"] == "recycle")
        .count();
    assert_eq!(recycled, 1, "{history}");
}
