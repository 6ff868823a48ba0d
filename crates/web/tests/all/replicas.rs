//! Read replicas for real (issue 17): a PostgreSQL primary and a streaming standby made with
//! `pg_basebackup -R`, both started by the test on loopback; lists are served by the standby
//! while it keeps up, by the primary while it lags or after it is gone, and never with an error.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use yingpan_store::Store;
use yingpan_web::Clock;

use crate::common::{pg_admin_url, TestApp};

/// The newest installed PostgreSQL's programs.
fn pg_bin() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("pg_basebackup").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL program, run as the `postgres` user when the tests run as root (PostgreSQL
/// refuses to run as root).
fn pg_command(bin: &Path, program: &str, args: &[&str]) -> Command {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    };
    cmd.args(args);
    cmd
}

fn pg(bin: &Path, program: &str, args: &[&str]) {
    let out = pg_command(bin, program, args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Two clusters in a temporary directory, stopped when dropped.
struct Clusters {
    bin: PathBuf,
    dir: tempfile::TempDir,
    running: Vec<PathBuf>,
}

impl Clusters {
    fn start(&mut self, data: &Path, port: u16) {
        let log = data.with_extension("log");
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c wal_level=replica \
             -c max_wal_senders=4 -c max_connections=60",
            self.dir.path().display()
        );
        pg(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        );
        self.running.push(data.to_path_buf());
    }

    fn stop(&mut self, data: &Path) {
        pg(
            &self.bin,
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        self.running.retain(|d| d != data);
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        for d in std::mem::take(&mut self.running) {
            let args = ["-D", d.to_str().unwrap(), "-m", "immediate", "stop"];
            let _ = pg_command(&self.bin, "pg_ctl", &args).output();
        }
    }
}

async fn names(app: &TestApp) -> Vec<String> {
    let (s, body) = app
        .get("/api/v1/customers?per_page=50", &app.admin_token)
        .await;
    assert_eq!(s, 200, "a list is never an error: {body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

async fn register(app: &TestApp, name: &str, phone: &str) {
    let (st, body) = app
        .post(
            "/api/v1/customers",
            &app.admin_token,
            json!({"kind": "company", "name": name, "phone": phone}),
        )
        .await;
    assert_eq!(st, 201, "{body}");
}

async fn on_standby(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

/// Checks until the standby is fit, as a server does every second.
async fn until_fit(store: &Store) {
    for _ in 0..100 {
        let s = store.check_replicas().await.unwrap();
        if s[0].healthy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the standby never caught up: {:?}",
        store.check_replicas().await
    );
}

#[tokio::test]
async fn lists_come_from_the_standby_only_while_it_keeps_up() {
    if pg_admin_url().is_none() {
        return;
    }
    let bin = pg_bin().expect("PostgreSQL's programs (pg_basebackup) under /usr/lib/postgresql");
    let dir = tempfile::tempdir().unwrap();
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres", dir.path().to_str().unwrap()])
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let mut clusters = Clusters {
        bin: bin.clone(),
        dir,
        running: Vec::new(),
    };
    let primary_dir = clusters.dir.path().join("primary");
    let standby_dir = clusters.dir.path().join("standby");
    pg(
        &bin,
        "initdb",
        &[
            "-D",
            primary_dir.to_str().unwrap(),
            "-U",
            "yingpan",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
    );
    let (p, s) = (free_port(), free_port());
    clusters.start(&primary_dir, p);
    let server = format!("postgres://yingpan@127.0.0.1:{p}");
    on_standby(&format!("{server}/postgres"), "CREATE DATABASE app").await;
    let primary_url = format!("{server}/app");
    let store = Store::connect(&primary_url).await.unwrap();
    pg(
        &bin,
        "pg_basebackup",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &p.to_string(),
            "-U",
            "yingpan",
            "-D",
            standby_dir.to_str().unwrap(),
            "-R",
            "-X",
            "stream",
            // Not a spread checkpoint: that waits minutes on an idle server.
            "--checkpoint=fast",
        ],
    );
    clusters.start(&standby_dir, s);
    let standby_url = format!("postgres://yingpan@127.0.0.1:{s}/app");
    let store = store
        .with_replicas(std::slice::from_ref(&standby_url))
        .unwrap();
    let app = TestApp::spawn_on(store.clone(), primary_url, None, Clock::System).await;

    // Caught up: the standby serves the list, and has the first customer.
    register(&app, "第一家商贸公司", "13800000001").await;
    until_fit(&store).await;
    assert_eq!(names(&app).await, ["第一家商贸公司"]);

    // The standby stops replaying. Until the next check it is still in service, and a list
    // from it does not have what was written since: it really is the standby answering.
    on_standby(&standby_url, "SELECT pg_wal_replay_pause()").await;
    register(&app, "第二家商贸公司", "13800000002").await;
    assert_eq!(names(&app).await, ["第一家商贸公司"]);

    // The browser that wrote reads its next page from the primary.
    let resp = app
        .client
        .get(format!("{}/api/v1/customers?per_page=50", app.base))
        .bearer_auth(&app.admin_token)
        .header("Cookie", "yp_primary=1")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 2, "{body}");
    // A write answers with the cookie that does this.
    let resp = app
        .client
        .post(format!("{}/api/v1/customers", app.base))
        .bearer_auth(&app.admin_token)
        .json(&json!({"kind": "company", "name": "第三家商贸公司", "phone": "13800000003"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cookies: Vec<String> = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("yp_primary=1;")),
        "{cookies:?}"
    );

    // The next check finds it behind what the primary had at the one before (a server checks
    // every second): the primary answers, with everything.
    store.check_replicas().await.unwrap();
    let status = store.check_replicas().await.unwrap();
    assert!(!status[0].healthy, "{status:?}");
    assert!(status[0].behind_bytes.unwrap() > 0.0, "{status:?}");
    assert_eq!(names(&app).await.len(), 3);

    // Replaying again, it catches up and serves again, now with all three.
    on_standby(&standby_url, "SELECT pg_wal_replay_resume()").await;
    until_fit(&store).await;
    assert_eq!(names(&app).await.len(), 3);

    // The standby goes away while in service: the list is answered from the primary, not
    // with an error, and the standby is out until a check finds it again.
    on_standby(&standby_url, "SELECT pg_wal_replay_pause()").await;
    register(&app, "第四家商贸公司", "13800000004").await;
    clusters.stop(&standby_dir);
    assert_eq!(names(&app).await.len(), 4);
    assert_eq!(names(&app).await.len(), 4);
    let status = store.check_replicas().await.unwrap();
    assert!(
        !status[0].healthy && status[0].error.is_some(),
        "{status:?}"
    );
    assert_eq!(names(&app).await.len(), 4);
}
