//! The `yingpan` binary as an operator uses it: init, the pool recycle under YINGPAN_FAKE_NOW,
//! serve, demo — on SQLite and (when configured) PostgreSQL.

mod common;

use common::{databases, yingpan};
use std::process::{Command, Output};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `yingpan export` of what `who` may see, into `out`.
fn export_as(db: &str, who: &str, out: &std::path::Path) -> Output {
    yingpan(
        &[
            "export",
            "--db",
            db,
            "--as",
            who,
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    )
}

fn assert_succeeded(o: &Output) {
    assert!(
        o.status.success(),
        "{}\n{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn init_refuses_a_second_time_and_recycle_is_idempotent() {
    for (db, _dir) in databases() {
        let out = yingpan(
            &[
                "init",
                "--db",
                &db,
                "--org",
                "演示公司",
                "--admin",
                "boss",
                "--password",
                "boss-password",
            ],
            Some("2026-11-01T00:00:00Z"),
        );
        assert!(out.status.success(), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("YINGPAN_FAKE_NOW"),
            "a loud warning"
        );
        let again = yingpan(
            &[
                "init",
                "--db",
                &db,
                "--org",
                "x",
                "--admin",
                "boss2",
                "--password",
                "boss-password",
            ],
            None,
        );
        assert!(!again.status.success());
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already holds"),
            "{again:?}"
        );
        let bad = yingpan(
            &[
                "init",
                "--db",
                "mysql://x",
                "--org",
                "x",
                "--admin",
                "b",
                "--password",
                "boss-password",
            ],
            None,
        );
        assert!(!bad.status.success());
        let out = yingpan(
            &["pool", "recycle", "--db", &db],
            Some("2026-11-20T00:00:00Z"),
        );
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            stdout(&out).trim(),
            "Returned 0 customers to the public pool."
        );
    }
}

#[test]
fn demo_loads_a_realistic_organization_and_recycles_silent_customers() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    let now = "2026-11-23T08:00:00Z";
    let out = yingpan(
        &["demo", "--db", &db, "--customers", "120", "--no-serve"],
        Some(now),
    );
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.contains("sales01") && text.contains("yingpan2026"),
        "{text}"
    );
    // Everything past its protection period already went back at load time...
    let out = yingpan(&["pool", "recycle", "--db", &db], Some(now));
    assert_eq!(
        stdout(&out).trim(),
        "Returned 0 customers to the public pool."
    );
    // ...and a month of silence returns the rest, once.
    let later = "2026-12-30T08:00:00Z";
    let out = yingpan(&["pool", "recycle", "--db", &db], Some(later));
    let moved: u64 = stdout(&out)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(moved > 50, "{moved}");
    let out = yingpan(&["pool", "recycle", "--db", &db], Some(later));
    assert_eq!(
        stdout(&out).trim(),
        "Returned 0 customers to the public pool."
    );
    // A second demo run reuses the data instead of failing.
    let out = yingpan(&["demo", "--db", &db, "--no-serve"], Some(now));
    assert!(stdout(&out).contains("Reusing"), "{out:?}");
}

#[test]
fn serve_answers_on_the_given_port_and_logins_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("serve.db").display());
    assert!(yingpan(
        &[
            "init",
            "--db",
            &db,
            "--org",
            "公司",
            "--admin",
            "boss",
            "--password",
            "boss-password"
        ],
        None
    )
    .status
    .success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yingpan"))
        .args(["serve", "--db", &db, "--listen", &listen])
        .env("YINGPAN_LOG", "warn")
        .spawn()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let result = rt.block_on(async {
        let client = reqwest::Client::new();
        let started = std::time::Instant::now();
        loop {
            if let Ok(r) = client.get(format!("http://{listen}/healthz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(started.elapsed().as_secs() < 20, "server did not start");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let r = client
            .post(format!("http://{listen}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": "boss", "password": "boss-password"}))
            .send()
            .await
            .unwrap();
        r.status()
    });
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(result, reqwest::StatusCode::OK);
}

/// The benchmark at toy sizes on both backends: it generates, imports through HTTP, measures and
/// writes a JSON result with every operation. (Figures are not asserted: timing belongs in the
/// benchmark's report, not in a test.)
#[test]
fn bench_runs_end_to_end_and_writes_its_result() {
    let mut pg_done = false;
    let dir = tempfile::tempdir().unwrap();
    for (db, _keep) in databases() {
        let is_pg = db.starts_with("postgres");
        if is_pg && pg_done {
            continue;
        }
        let out_file = dir
            .path()
            .join(if is_pg { "pg.json" } else { "sqlite.json" });
        let mut args = vec![
            "bench",
            "--people",
            "40",
            "--customers",
            "800",
            "--requests",
            "10",
            "--concurrency",
            "4",
            "--soak-seconds",
            "3",
            "--soak-clients",
            "4",
            "--out",
            out_file.to_str().unwrap(),
        ];
        args.extend(["--db", db.as_str()]);
        pg_done |= is_pg;
        let out = yingpan(&args, None);
        assert_succeeded(&out);
        let result: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
        assert_eq!(result["sizes"]["customers"], 800);
        assert_eq!(result["backend"], if is_pg { "postgres" } else { "sqlite" });
        let ops = result["operations"].as_array().unwrap();
        let names: Vec<&str> = ops.iter().map(|o| o["name"].as_str().unwrap()).collect();
        for expected in [
            "search by name",
            "search by pinyin",
            "search by phone",
            "salesperson list, page 1",
            "supervisor subtree list, page 1",
            "customer page",
            "log an activity",
            "register a customer",
            "register customers, 16 salespeople at once",
            "weekly report (compile)",
            "dashboard: salesperson, today",
            "dashboard: director, month",
            "dashboard: director, results",
            "statistics: month by person",
            "funnel: month by team",
            "economics: this year",
            "pay sheets: director, every salesperson",
            "pay sheet: one salesperson",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
        assert!(ops.iter().all(|o| o["app"]["count"].as_u64().unwrap() > 0));
        assert!(result["import"]["rows_per_second"].as_f64().unwrap() > 0.0);
        assert!(
            result["recycle"]["moved"].as_u64().unwrap() > 0,
            "30 % silent customers"
        );
        // The soak: a login flood all refused, then mixed load without a single error.
        let soak = &result["soak"];
        assert_eq!(soak["login_flood"]["refused"], 128, "{soak}");
        assert!(soak["requests"].as_u64().unwrap() > 0, "{soak}");
        assert_eq!(soak["errors"], 0, "{soak}");

        // A filled database is refused unless reused; reusing measures it again as it is.
        let again = yingpan(&args, None);
        assert!(
            !again.status.success(),
            "bench must not fill a used database"
        );
        args.push("--reuse");
        let out = yingpan(&args, None);
        assert_succeeded(&out);
        let reused: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
        assert_eq!(reused["sizes"]["customers"], 800);
        assert!(
            reused["import"].is_null(),
            "no import is measured on --reuse"
        );
        assert!(
            reused["recycle"].is_null(),
            "--reuse leaves the owners as they are"
        );
        assert_eq!(
            reused["operations"].as_array().unwrap().len(),
            ops.len(),
            "the same operations are measured"
        );
    }
}

/// An operator's backup of a live SQLite database, and an export of what a person may see.
#[test]
fn backup_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("live.db").display());
    let out = yingpan(
        &["demo", "--db", &db, "--customers", "30", "--no-serve"],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let copy = dir.path().join("copy.db");
    let out = yingpan(
        &["backup", "--db", &db, "--out", copy.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{out:?}");
    let again = yingpan(
        &["backup", "--db", &db, "--out", copy.to_str().unwrap()],
        None,
    );
    assert!(!again.status.success(), "never overwrites a backup");
    let csv = dir.path().join("customers.csv");
    let copy_url = format!("sqlite://{}", copy.display());
    let out = export_as(&copy_url, "director", &csv);
    assert!(out.status.success(), "{out:?}");
    let all = std::fs::read_to_string(&csv).unwrap();
    let out = export_as(&copy_url, "sales01", &csv);
    assert!(!out.status.success(), "a salesperson may not export");
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not export"));
    let out = export_as(&copy_url, "sup1", &csv);
    assert!(out.status.success(), "{out:?}");
    let own = std::fs::read_to_string(&csv).unwrap();
    assert!(all.lines().count() > own.lines().count() && own.lines().count() > 1);
    assert!(
        all.starts_with('\u{feff}'),
        "a BOM so that Excel reads UTF-8"
    );
    let book = dir.path().join("customers.xlsx");
    let out = export_as(&copy_url, "director", &book);
    assert_succeeded(&out);
    assert!(
        std::fs::read(&book).unwrap().starts_with(b"PK\x03\x04"),
        "an .xlsx name writes an Excel workbook"
    );
    assert!(stdout(&out).contains(&format!("Exported {} customers", all.lines().count() - 1)));
}

/// `yingpan restore` puts a backup back (never over a database without --force, never from a
/// file that is not a backup), and a mistyped --db is an error, not a new empty database.
#[test]
fn restore_round_trip_and_mistyped_paths() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.db");
    let db = format!("sqlite://{}", live.display());
    assert_succeeded(&yingpan(
        &["demo", "--db", &db, "--customers", "20", "--no-serve"],
        None,
    ));
    let copy = dir.path().join("copy.db");
    assert_succeeded(&yingpan(
        &["backup", "--db", &db, "--out", copy.to_str().unwrap()],
        None,
    ));
    let names = |url: String| {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let rows: Vec<String> = sqlx::query_scalar("SELECT name FROM customers ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
            pool.close().await;
            rows
        })
    };
    let before = names(db.clone());
    assert_eq!(before.len(), 20, "--customers 20 makes twenty customers");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::AnyPool::connect(&db).await.unwrap();
        sqlx::query("UPDATE customers SET name = '改坏了'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let from = copy.to_str().unwrap();
    let refused = yingpan(&["restore", "--from", from, "--db", &db], None);
    assert!(
        !refused.status.success(),
        "an existing database needs --force"
    );
    assert!(names(db.clone()).iter().all(|n| n == "改坏了"));
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    let refused = yingpan(
        &[
            "restore",
            "--from",
            junk.to_str().unwrap(),
            "--db",
            &db,
            "--force",
        ],
        None,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not a Yingpan backup"));
    assert_succeeded(&yingpan(
        &["restore", "--from", from, "--db", &db, "--force"],
        None,
    ));
    assert_eq!(names(db.clone()), before, "every row as backed up");
    // Restoring to a new path needs no --force.
    let fresh = format!("sqlite://{}", dir.path().join("fresh.db").display());
    assert_succeeded(&yingpan(&["restore", "--from", from, "--db", &fresh], None));
    assert_eq!(names(fresh), before);

    let typo = dir.path().join("typo.db");
    let typo_url = format!("sqlite://{}", typo.display());
    for args in [
        vec!["pool", "recycle", "--db", &typo_url],
        vec!["migrate", "--db", &typo_url],
        vec!["backup", "--db", &typo_url, "--out", "/tmp/never.db"],
    ] {
        let out = yingpan(&args, None);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("no database at"),
            "{args:?}: {out:?}"
        );
    }
    assert!(!typo.exists(), "no empty database was created");
}

/// `migrate --rebuild-rollups` recounts the figures rollups from the raw rows: rows damaged or
/// lost outside Yingpan come back exactly as they were.
#[test]
fn migrate_rebuilds_the_rollups() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.db").display());
    assert_succeeded(&yingpan(
        &["demo", "--db", &db, "--customers", "60", "--no-serve"],
        Some("2026-11-23T08:00:00Z"),
    ));
    let run = |sql: &'static str| {
        let db = db.clone();
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&db).await.unwrap();
            let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        })
    };
    let figures =
        "SELECT user_id || ' ' || month || ' ' || sales || ' ' || visits || ' ' || collected \
                   FROM figures_monthly ORDER BY user_id, month";
    let before = run(figures);
    assert!(before.len() > 5, "{before:?}");
    run("DELETE FROM figures_monthly WHERE user_id IN (SELECT MIN(user_id) FROM figures_monthly) RETURNING month");
    run("UPDATE figures_daily SET sales = '0' RETURNING day");
    assert_ne!(run(figures), before);
    let out = yingpan(&["migrate", "--db", &db, "--rebuild-rollups"], None);
    assert_succeeded(&out);
    assert!(
        stdout(&out).contains("Rollups of 1 organization(s) rebuilt"),
        "{}",
        stdout(&out)
    );
    assert_eq!(run(figures), before);
}

/// `yingpan import` speaks the page's words in the chosen language: a duplicate within the file
/// names the line it repeats; all or nothing unless `--skip-rejected`.
#[test]
fn import_speaks_the_users_language() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("import.db").display());
    assert_succeeded(&yingpan(
        &[
            "init",
            "--db",
            &db,
            "--org",
            "公司",
            "--admin",
            "boss",
            "--password",
            "boss-password",
        ],
        None,
    ));
    let file = dir.path().join("customers.csv");
    std::fs::write(
        &file,
        "客户名称,电话\n杭州嘉禾食品有限公司,0571-88886666\n杭州嘉禾食品,+86 571 88886666\n",
    )
    .unwrap();
    let import = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "--db",
            &db,
            "--as",
            "boss",
            "--file",
            file.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        yingpan(&args, None)
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let zh = import(&["--lang", "zh-CN"]);
    assert!(!zh.status.success());
    assert!(
        stderr(&zh).contains("第 3 行：与第 2 行是同一客户"),
        "{}",
        stderr(&zh)
    );
    assert!(
        stderr(&zh).contains("本次没有导入任何客户"),
        "{}",
        stderr(&zh)
    );
    // A check writes nothing and says what would happen; a mapping names the columns.
    let checked = import(&[
        "--lang",
        "zh-CN",
        "--dry-run",
        "--skip-rejected",
        "--map",
        "客户名称=name",
        "--map",
        "电话=phone",
    ]);
    assert_succeeded(&checked);
    assert!(
        stdout(&checked).contains("预检：可导入 1 个客户；没有写入任何数据。"),
        "{}",
        stdout(&checked)
    );
    let twice = import(&["--map", "客户名称=name", "--map", "电话=name"]);
    assert!(!twice.status.success());
    assert!(
        stderr(&twice).contains("both fill name"),
        "{}",
        stderr(&twice)
    );
    let en = import(&["--lang", "en"]);
    assert!(
        stderr(&en).contains("Line 3: the same customer as line 2"),
        "{}",
        stderr(&en)
    );
    let skipped = import(&["--lang", "zh-CN", "--skip-rejected"]);
    assert_succeeded(&skipped);
    assert!(
        stdout(&skipped).contains("已导入 1 个客户"),
        "{}",
        stdout(&skipped)
    );
    assert!(
        stdout(&skipped).contains("另有 1 行未导入"),
        "{}",
        stdout(&skipped)
    );
    let bad = import(&["--lang", "fr"]);
    assert!(stderr(&bad).contains("--lang"), "{}", stderr(&bad));
}
