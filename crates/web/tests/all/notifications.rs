//! E-mail notifications of escalations: queued in the filing transaction only when SMTP is
//! configured, sent to every superior with an address, in their language, once — on both
//! backends, against a minimal SMTP server on loopback.

use crate::common;

use crate::common::{Backend, Team, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use yingpan_web::mailer::{send_pending, SmtpSettings};
use yingpan_web::{Clock, Config};

/// Accepts SMTP sessions and keeps (recipients, message) of each mail.
pub(crate) async fn fake_smtp() -> (u16, Arc<Mutex<Vec<(Vec<String>, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut rcpt = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-fake\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 ok\r\n"
                    } else if upper == "DATA" {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        kept.lock().unwrap().push((std::mem::take(&mut rcpt), data));
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, mails)
}

async fn escalation_emails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = Team::build(&app).await;
    // The supervisor reads English and has an address; so has the director.
    let (s, _) = app
        .patch(
            "/api/v1/me",
            &t.sup_a.1,
            json!({"email": "sup_a@example.com", "locale": "en"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = app
        .patch(
            "/api/v1/me",
            &t.director.1,
            json!({"email": "not an address"}),
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
    let (_, me) = app.get("/api/v1/me", &t.director.1).await;
    assert_eq!(me["email"], serde_json::Value::Null, "nothing stored");
    app.patch(
        "/api/v1/me",
        &t.director.1,
        json!({"email": "director@example.com"}),
    )
    .await;

    // Without SMTP nothing is queued.
    let report =
        json!({"kind": "market_situation", "subject": "对手降价 15%", "body": "华东区全线降价"});
    let (s, _) = app
        .post("/api/v1/escalations", &t.rep_a1.1, report.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (port, mails) = fake_smtp().await;
    let smtp = SmtpSettings {
        url: format!("smtp://127.0.0.1:{port}"),
        from: "营盘 <noreply@example.com>".into(),
    };
    assert_eq!(send_pending(&app.store, &smtp, app.now()).await.unwrap(), 0);

    // With SMTP, one e-mail per superior with an address, sent once.
    let configured = app
        .instance(
            Clock::System,
            Config {
                smtp: Some(smtp.clone()),
                ..Config::default()
            },
        )
        .await;
    let (s, r) = configured
        .post("/api/v1/escalations", &t.rep_a1.1, report)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["recipients"], 2, "inbox: supervisor and director");
    assert_eq!(send_pending(&app.store, &smtp, app.now()).await.unwrap(), 2);
    assert_eq!(send_pending(&app.store, &smtp, app.now()).await.unwrap(), 0);
    let mails = mails.lock().unwrap().clone();
    let mut to: Vec<&str> = mails.iter().map(|(r, _)| r[0].as_str()).collect();
    to.sort();
    assert_eq!(to, ["director@example.com", "sup_a@example.com"]);
    let english = &mails
        .iter()
        .find(|(r, _)| r[0] == "sup_a@example.com")
        .unwrap()
        .1;
    assert!(english.contains("Subject:"), "{english}");
    assert!(
        english.contains("Market situation report") || english.contains("=?utf-8?"),
        "{english}"
    );
    let rows = app
        .store
        .claim_outbox(app.now() + chrono::Duration::hours(1), 10)
        .await
        .unwrap();
    assert!(rows.is_empty(), "sent messages are never claimed again");

    // A server that is down: the message stays queued and is retried.
    let (s, _) = configured
        .post(
            "/api/v1/escalations",
            &t.rep_b1.1,
            json!({"kind": "complaint", "subject": "投诉", "body": "货损"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let down = SmtpSettings {
        url: "smtp://127.0.0.1:9".into(),
        from: "noreply@example.com".into(),
    };
    assert_eq!(send_pending(&app.store, &down, app.now()).await.unwrap(), 0);
    assert_eq!(send_pending(&app.store, &smtp, app.now()).await.unwrap(), 1);
}

on_both_backends!(escalation_emails);
