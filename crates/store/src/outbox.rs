//! The e-mail outbox: messages are written in the transaction that causes them and sent later
//! by whichever server claims them. A claim expires after five minutes, so a message claimed by a
//! server that died is sent by another; after five failed attempts a message is left alone.

use crate::{ts, Result, Store};
use chrono::{DateTime, Duration, Utc};
use sqlx::{Any, Row, Transaction};

pub const MAX_ATTEMPTS: i64 = 5;

#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body: String,
}

pub(crate) async fn enqueue(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    to: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_outbox (org_id, to_address, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org_id)
    .bind(to)
    .bind(subject)
    .bind(body)
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Claims up to `limit` unsent messages for this server. The conditional UPDATE is the lock:
    /// of two servers claiming one row, only one sees it updated.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn claim_outbox(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxMessage>> {
        let stale = ts(now - Duration::minutes(5));
        let candidates = sqlx::query(
            "/* across organizations: e-mail outbox */ SELECT id, to_address, subject, body, claimed_at FROM email_outbox \
             WHERE sent_at IS NULL AND attempts < $1 AND (claimed_at IS NULL OR claimed_at < $2) ORDER BY id LIMIT $3",
        )
        .bind(MAX_ATTEMPTS)
        .bind(&stale)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let mut claimed = Vec::new();
        for r in candidates {
            let id: i64 = r.try_get("id")?;
            let n = sqlx::query(
                "/* across organizations: e-mail outbox */ UPDATE email_outbox SET claimed_at = $1, attempts = attempts + 1 \
                 WHERE id = $2 AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < $3)",
            )
            .bind(ts(now))
            .bind(id)
            .bind(&stale)
            .execute(&self.write)
            .await?
            .rows_affected();
            if n == 1 {
                claimed.push(OutboxMessage {
                    id,
                    to_address: r.try_get("to_address")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                });
            }
        }
        Ok(claimed)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn outbox_sent(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        sqlx::query("/* across organizations: e-mail outbox */ UPDATE email_outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
            .bind(ts(now))
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Records a failure and releases the claim so the next round retries.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn outbox_failed(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query("/* across organizations: e-mail outbox */ UPDATE email_outbox SET claimed_at = NULL, last_error = $1 WHERE id = $2")
            .bind(error.chars().take(1000).collect::<String>())
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
