//! Sends the e-mail outbox over SMTP when the company has configured a server
//! (`YINGPAN_SMTP_URL`, e.g. `smtps://user:password@smtp.example.com` or
//! `smtp://127.0.0.1:25`, and `YINGPAN_SMTP_FROM`). Without one, nothing is queued.

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use yingpan_store::Store;

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// lettre's connection URL: `smtp://` (plain or STARTTLS with `?tls=required`) or `smtps://`.
    pub url: String,
    pub from: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SMTP configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] yingpan_store::StoreError),
}

impl SmtpSettings {
    /// Reads the settings from the environment; `None` when no server is configured.
    pub fn from_env() -> Result<Option<Self>, MailError> {
        match std::env::var("YINGPAN_SMTP_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let from = std::env::var("YINGPAN_SMTP_FROM").map_err(|_| {
                    MailError::Config("YINGPAN_SMTP_FROM is required with YINGPAN_SMTP_URL".into())
                })?;
                let settings = Self { url, from };
                settings.transport()?;
                settings.mailbox()?;
                Ok(Some(settings))
            }
            _ => Ok(None),
        }
    }

    pub(crate) fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
        Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(&self.url)
            .map_err(|e| MailError::Config(e.to_string()))?
            .build())
    }

    pub(crate) fn mailbox(&self) -> Result<lettre::message::Mailbox, MailError> {
        self.from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Config(e.to_string()))
    }
}

/// Sends what is waiting, one batch; returns how many were sent. A message that fails is
/// retried on a later round (at most five attempts in all).
pub async fn send_pending(
    store: &Store,
    smtp: &SmtpSettings,
    now: DateTime<Utc>,
) -> Result<usize, MailError> {
    let transport = smtp.transport()?;
    let from = smtp.mailbox()?;
    let mut sent = 0;
    for m in store.claim_outbox(now, 50).await? {
        let message = m
            .to_address
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())
            .and_then(|to| {
                Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(m.subject.clone())
                    .header(ContentType::TEXT_PLAIN)
                    .body(m.body.clone())
                    .map_err(|e| e.to_string())
            });
        let result = match message {
            Ok(message) => transport.send(message).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => {
                store.outbox_sent(m.id, now).await?;
                sent += 1;
            }
            Err(e) => {
                tracing::warn!(outbox_id = m.id, error = %e, "e-mail not sent; will retry");
                store.outbox_failed(m.id, &e).await?;
            }
        }
    }
    Ok(sent)
}
