//! The background sender of campaign messages: claims what is queued, fills each template for
//! its recipient, sends e-mail over the company's SMTP server (with an unsubscribe link) and
//! SMS through the company's HTTP gateway (ending in 回T退订), reports each message sent or
//! failed, and retries with back-off (`domain::campaign::retry_at`). Never called from a
//! request: `serve` runs it every few seconds, and several servers may run it at once.

use crate::mailer::{MailError, SmtpSettings};
use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::{AsyncTransport, Message};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use yingpan_domain::campaign::{retry_at, sms_text, Channel, SmsGateway, Template};
use yingpan_store::{Outgoing, Store};

/// Where the sender sends from and how links back to the server are written.
#[derive(Debug, Clone)]
pub struct Sender {
    pub smtp: Option<SmtpSettings>,
    /// The server's address as customers reach it (`YINGPAN_PUBLIC_URL`), for opt-out links.
    pub public_url: String,
    pub http: reqwest::Client,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh opt-out token and the digest that is kept of it.
fn opt_out_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex(&bytes);
    let digest = hex(&Sha256::digest(token.as_bytes()));
    (token, digest)
}

fn render(template: &str, m: &Outgoing) -> String {
    // Templates were checked when the campaign was written; one that no longer parses is
    // sent as written rather than not at all.
    match Template::parse("body", template) {
        Ok(t) => t.render(&|f| m.values.get(f).cloned()),
        Err(_) => template.to_string(),
    }
}

/// The e-mail's text: the filled body, then how to opt out.
pub fn email_body(body: &str, unsubscribe_url: &str) -> String {
    format!("{body}\n\n——\n如不希望再收到此类邮件，请点击退订 / Unsubscribe: {unsubscribe_url}\n")
}

impl Sender {
    /// One round: campaigns whose time came start, then up to a batch of e-mail and of SMS is
    /// sent. Returns how many messages went out.
    pub async fn round(&self, store: &Store, now: DateTime<Utc>) -> Result<usize, MailError> {
        store.advance_campaigns(now).await?;
        let mut sent = 0;
        if let Some(smtp) = &self.smtp {
            sent += self.emails(store, smtp, now).await?;
        }
        sent += self.sms(store, now).await?;
        store.advance_campaigns(now).await?;
        Ok(sent)
    }

    async fn emails(
        &self,
        store: &Store,
        smtp: &SmtpSettings,
        now: DateTime<Utc>,
    ) -> Result<usize, MailError> {
        let transport = smtp.transport()?;
        let from = smtp.mailbox()?;
        let mut sent = 0;
        for m in store
            .claim_campaign_messages(Channel::Email, now, 100)
            .await?
        {
            let (token, digest) = opt_out_token();
            let url = format!("{}/u/{token}", self.public_url.trim_end_matches('/'));
            let message = m
                .address
                .parse()
                .map_err(|e: lettre::address::AddressError| e.to_string())
                .and_then(|to| {
                    Message::builder()
                        .from(from.clone())
                        .to(to)
                        .subject(render(&m.subject, &m))
                        .header(ContentType::TEXT_PLAIN)
                        .body(email_body(&render(&m.body, &m), &url))
                        .map_err(|e| e.to_string())
                });
            let result = match message {
                Ok(message) => transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            self.report(store, &m, result, Some(&digest), now).await?;
            sent += 1;
        }
        Ok(sent)
    }

    async fn sms(&self, store: &Store, now: DateTime<Utc>) -> Result<usize, MailError> {
        let mut gateways: HashMap<i64, Option<SmsGateway>> = HashMap::new();
        let mut sent = 0;
        for m in store.claim_campaign_messages(Channel::Sms, now, 50).await? {
            if let std::collections::hash_map::Entry::Vacant(e) = gateways.entry(m.org_id) {
                e.insert(store.campaign_settings(m.org_id).await?.sms);
            }
            let result = match &gateways[&m.org_id] {
                None => Err("no SMS gateway is configured".to_string()),
                Some(g) => {
                    let text = sms_text(&render(&m.body, &m));
                    let outcome = self.call_gateway(g, &m.address, &text).await;
                    // The provider's rate: a pause between messages, not a burst.
                    tokio::time::sleep(std::time::Duration::from_millis(
                        1000 / u64::from(g.per_second.max(1)),
                    ))
                    .await;
                    outcome
                }
            };
            self.report(store, &m, result, None, now).await?;
            sent += 1;
        }
        Ok(sent)
    }

    async fn call_gateway(&self, g: &SmsGateway, phone: &str, text: &str) -> Result<(), String> {
        let request = if g.method == "GET" {
            self.http.get(g.render_url(phone, text))
        } else {
            self.http
                .post(&g.url)
                .header("content-type", "application/json")
                .body(g.render_body(phone, text))
        };
        let response = request
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("gateway unreachable: {e}"))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        g.judge(status, &body)
    }

    async fn report(
        &self,
        store: &Store,
        m: &Outgoing,
        result: Result<(), String>,
        digest: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), MailError> {
        match result {
            Ok(()) => {
                store
                    .campaign_message_sent(m.recipient_id, digest, now)
                    .await?
            }
            Err(reason) => {
                let attempts = u32::try_from(m.attempts + 1).unwrap_or(u32::MAX);
                tracing::warn!(recipient = m.recipient_id, campaign = m.campaign_id, %reason, "campaign message failed");
                store
                    .campaign_message_failed(m.recipient_id, &reason, retry_at(attempts, now))
                    .await?
            }
        }
        Ok(())
    }
}
