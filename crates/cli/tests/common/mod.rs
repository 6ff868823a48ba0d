//! Helpers shared by the CLI test binaries: the binary itself and a fresh database per test.

#![allow(dead_code)]

use std::process::{Command, Output};

pub fn yingpan(args: &[&str], fake_now: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_yingpan"));
    cmd.args(args)
        .env_remove("YINGPAN_FAKE_NOW")
        .env("YINGPAN_LOG", "warn");
    if let Some(t) = fake_now {
        cmd.env("YINGPAN_FAKE_NOW", t);
    }
    cmd.output().unwrap()
}

/// A fresh SQLite file, and a fresh PostgreSQL database when `YINGPAN_TEST_PG_URL` is set.
pub fn databases() -> Vec<(String, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut dbs = vec![(
        format!("sqlite://{}", dir.path().join("cli.db").display()),
        Some(dir),
    )];
    match std::env::var("YINGPAN_TEST_PG_URL") {
        Ok(server) if !server.is_empty() => {
            let rt = tokio::runtime::Runtime::new().unwrap();
            // Tests run in parallel threads of one process: one database each.
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("yp_cli_{}_{n}", std::process::id());
            rt.block_on(async {
                sqlx::any::install_default_drivers();
                let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
                    "{server}/postgres"
                ))
                .await
                .unwrap();
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut c)
                    .await
                    .unwrap();
            });
            dbs.push((format!("{server}/{name}"), None));
        }
        _ => assert!(
            std::env::var("YINGPAN_REQUIRE_PG").is_err(),
            "YINGPAN_TEST_PG_URL is required"
        ),
    }
    dbs
}
