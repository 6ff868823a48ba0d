//! Crash safety: the server is killed with SIGKILL at a random moment while it writes —
//! activities, transfers and a 2,000-row import at once — and restarted, twenty times over
//! (bounded in time). After every kill the database must be intact (SQLite's integrity check,
//! the per-owner tally), every write the server acknowledged must be there, an import must be
//! all or nothing, and a transfer must have the owner it was acknowledged with (or the one in
//! flight). On SQLite, and on PostgreSQL when `YINGPAN_TEST_PG_URL` is set (as in CI).

mod common;

use common::{databases, yingpan};
use rand::Rng;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TRIALS: usize = 20;
/// The whole run stops after this, however many trials it managed (at least five).
const BUDGET: Duration = Duration::from_secs(120);
const IMPORT_ROWS: usize = 2000;
const PASSWORD: &str = "yingpan2026";

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_yingpan"))
            .args([
                "serve",
                "--db",
                db,
                "--listen",
                "127.0.0.1:0",
                "--recycle-every-minutes",
                "0",
            ])
            .env_remove("YINGPAN_FAKE_NOW")
            .env("YINGPAN_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split("http://")
            .nth(1)
            .map(|s| format!("http://{}", s.trim().trim_end_matches('/')))
            .unwrap_or_else(|| panic!("unexpected server output {line:?}"));
        Server { child, base }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

async fn login(c: &reqwest::Client, base: &str, who: &str) -> String {
    let r: Value = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": who, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_string()
}

async fn get(c: &reqwest::Client, url: String, token: &str) -> Value {
    c.get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What the server acknowledged before it died.
#[derive(Default)]
struct Acked {
    activities: Vec<String>,
    import: Option<bool>,
    /// (customer, owner acknowledged last, owner of the transfer in flight)
    transfer: Option<(i64, i64, Option<i64>)>,
}

async fn one_trial(db: &str, trial: usize) -> Acked {
    let server = Server::start(db);
    let c = reqwest::Client::new();
    let base = server.base.clone();
    let rep = login(&c, &base, "sales01").await;
    let sup = login(&c, &base, "sup1").await;
    let mine = get(&c, format!("{base}/api/v1/customers?per_page=50"), &rep).await;
    let ids: Vec<i64> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert!(ids.len() >= 3, "sales01 owns customers: {mine}");
    let users = get(&c, format!("{base}/api/v1/users"), &sup).await;
    let sup_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "sup1")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let reps: Vec<i64> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["superior_id"] == sup_id && u["role"] == "sales" && u["active"] == true)
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert!(reps.len() >= 2);
    let acked = Arc::new(Mutex::new(Acked::default()));

    // Activities on sales01's customers (all but the first, which is transferred back and forth).
    let activities = {
        let (c, base, rep, acked, ids) = (
            c.clone(),
            base.clone(),
            rep.clone(),
            acked.clone(),
            ids.clone(),
        );
        tokio::spawn(async move {
            for i in 0.. {
                let summary = format!("crash-{trial}-{i}");
                let id = ids[1 + i % (ids.len() - 1)];
                let r = c
                    .post(format!("{base}/api/v1/customers/{id}/activities"))
                    .bearer_auth(&rep)
                    .json(&json!({"kind": "call", "summary": summary}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().activities.push(summary),
                    Ok(r) => panic!("activity answered {}", r.status()),
                    Err(_) => return,
                }
            }
        })
    };
    // The first customer moves between two of sup1's salespeople.
    let transfers = {
        let (c, base, sup, acked, cid) =
            (c.clone(), base.clone(), sup.clone(), acked.clone(), ids[0]);
        let (a, b) = (reps[0], reps[1]);
        let start_owner = get(&c, format!("{base}/api/v1/customers/{cid}"), &sup).await["owner_id"]
            .as_i64()
            .unwrap();
        acked.lock().unwrap().transfer = Some((cid, start_owner, None));
        tokio::spawn(async move {
            let mut owner = start_owner;
            loop {
                let to = if owner == a { b } else { a };
                acked.lock().unwrap().transfer = Some((cid, owner, Some(to)));
                let r = c
                    .post(format!("{base}/api/v1/customers/transfer"))
                    .bearer_auth(&sup)
                    .json(&json!({"customer_ids": [cid], "to_user_id": to, "reason": "崩溃测试"}))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        owner = to;
                        acked.lock().unwrap().transfer = Some((cid, owner, None));
                    }
                    Ok(r) => panic!("transfer answered {}", r.status()),
                    Err(_) => return,
                }
            }
        })
    };
    // An import of 2,000 new customers, all or nothing.
    let import = {
        let (c, base, sup, acked) = (c.clone(), base.clone(), sup.clone(), acked.clone());
        let mut csv = String::from("客户名称,电话\n");
        for k in 0..IMPORT_ROWS {
            csv.push_str(&format!(
                "崩溃导入{trial}号{k}公司,0{}{:07}\n",
                20 + trial,
                k
            ));
        }
        tokio::spawn(async move {
            let r = c
                .post(format!("{base}/api/v1/customers/import"))
                .bearer_auth(&sup)
                .body(csv)
                .send()
                .await;
            if let Ok(r) = r {
                let status = r.status();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                assert_eq!(status, 200, "{body}");
                acked.lock().unwrap().import = Some(true);
            }
        })
    };
    let wait = rand::thread_rng().gen_range(10..400);
    tokio::time::sleep(Duration::from_millis(wait)).await;
    server.kill();
    for t in [activities, transfers, import] {
        t.await.unwrap();
    }
    Arc::try_unwrap(acked)
        .ok()
        .expect("tasks ended")
        .into_inner()
        .unwrap()
}

async fn check(db: &str, trial: usize, acked: &Acked) {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(db).await.unwrap();
    let sqlite = db.starts_with("sqlite:");
    if sqlite {
        let ok: String = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(ok, "ok", "trial {trial}");
        let drift: i64 = sqlx::query(
            "SELECT COUNT(*) FROM (SELECT org_id, COALESCE(owner_id, 0) AS o, COALESCE(pool_id, 0) AS p, COUNT(*) AS n \
             FROM customers WHERE deleted_at IS NULL GROUP BY 1, 2, 3) c \
             FULL OUTER JOIN (SELECT org_id, owner_id AS o, pool_id AS p, live AS n FROM customer_tally WHERE live <> 0) t \
             ON c.org_id = t.org_id AND c.o = t.o AND c.p = t.p WHERE c.n IS NOT t.n",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
        assert_eq!(drift, 0, "trial {trial}: the tally matches the customers");
    }
    let prefix = format!("crash-{trial}-%");
    let stored: Vec<String> = sqlx::query("SELECT summary FROM activities WHERE summary LIKE $1")
        .bind(prefix)
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for s in &acked.activities {
        assert!(stored.contains(s), "trial {trial}: acknowledged {s} lost");
    }
    let imported: i64 = sqlx::query("SELECT COUNT(*) FROM customers WHERE name LIKE $1")
        .bind(format!("崩溃导入{trial}号%"))
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    match acked.import {
        Some(true) => assert_eq!(imported, IMPORT_ROWS as i64, "trial {trial}"),
        _ => assert!(
            imported == 0 || imported == IMPORT_ROWS as i64,
            "trial {trial}: a killed import left {imported} rows"
        ),
    }
    if let Some((cid, owner, in_flight)) = acked.transfer {
        let now: i64 = sqlx::query("SELECT owner_id FROM customers WHERE id = $1")
            .bind(cid)
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        assert!(
            now == owner || Some(now) == in_flight,
            "trial {trial}: owner {now}, acknowledged {owner}, in flight {in_flight:?}"
        );
    }
    pool.close().await;
}

#[test]
fn sigkill_while_writing_loses_nothing_acknowledged() {
    for (db, _dir) in databases() {
        let out = yingpan(
            &["demo", "--db", &db, "--customers", "300", "--no-serve"],
            None,
        );
        assert!(out.status.success(), "{out:?}");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let started = Instant::now();
        let mut trials = 0;
        let mut imports_done = 0;
        let mut acked_writes = 0;
        while trials < TRIALS && (trials < 5 || started.elapsed() < BUDGET) {
            let acked = rt.block_on(one_trial(&db, trials));
            rt.block_on(check(&db, trials, &acked));
            acked_writes += acked.activities.len();
            imports_done += usize::from(acked.import == Some(true));
            trials += 1;
        }
        eprintln!(
            "{db}: {trials} kills, {acked_writes} acknowledged activities all kept, {imports_done} imports completed, the rest absent"
        );
        assert!(trials >= 5);
    }
}
