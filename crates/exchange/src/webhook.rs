//! The background sender of webhook and group-robot deliveries (`domain::webhook`): claims what
//! is due, writes each delivery in its endpoint's format, signs it, sends it, and records what
//! the receiver answered. Never called from a request: `serve` runs it every few seconds, and
//! several servers may run it at once (each delivery is claimed by one of them).
//!
//! A plain webhook's delivery is a POST of the JSON envelope with these headers:
//! `X-Yingpan-Event`, `X-Yingpan-Delivery` (the delivery's id; a retry repeats it),
//! `X-Yingpan-Timestamp` (Unix seconds) and `X-Yingpan-Signature: sha256=<hex>`, the
//! HMAC-SHA256 keyed with the endpoint's secret over `<timestamp>.<body>` ([`signature`]).

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use yingpan_domain::webhook::{
    dingtalk_string_to_sign, envelope, feishu_string_to_sign, is_public, robot_text,
    signed_content, EndpointUrl, Format,
};
use yingpan_store::{Attempt, OutgoingDelivery, Store, StoreError};

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `X-Yingpan-Signature` value of a plain webhook's delivery.
pub fn signature(secret: &str, timestamp_s: i64, body: &str) -> String {
    format!(
        "sha256={}",
        hex(&hmac(
            secret.as_bytes(),
            signed_content(timestamp_s, body).as_bytes()
        ))
    )
}

/// DingTalk's `sign` parameter (before URL encoding).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac(
        secret.as_bytes(),
        dingtalk_string_to_sign(timestamp_ms, secret).as_bytes(),
    ))
}

/// Feishu's `sign` field: the string to sign is the key, the message is empty.
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    base64::engine::general_purpose::STANDARD.encode(hmac(
        feishu_string_to_sign(timestamp_s, secret).as_bytes(),
        b"",
    ))
}

/// Resolves host names to public addresses only, so that a name pointing (or re-pointed) at
/// this network reaches nothing.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Sends deliveries. Redirects are not followed (a redirect could lead anywhere).
#[derive(Clone)]
pub struct Deliverer {
    public: reqwest::Client,
    private: reqwest::Client,
    /// Whether a paused endpoint's admins are told by e-mail (SMTP configured).
    pub email: bool,
}

impl Deliverer {
    pub fn new(email: bool) -> Self {
        let build = |public: bool| {
            let b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .user_agent("Yingpan-Webhook/1");
            let b = if public {
                b.dns_resolver(Arc::new(PublicOnly))
            } else {
                b
            };
            b.build().expect("the HTTP client builds")
        };
        Self {
            public: build(true),
            private: build(false),
            email,
        }
    }

    /// One round: overdue day plans announced (`Store::announce_overdue_plans`), then up to a
    /// batch of due deliveries sent, each recorded. Returns how many went through.
    pub async fn round(&self, store: &Store, now: DateTime<Utc>) -> Result<usize, StoreError> {
        store.announce_overdue_plans(now).await?;
        let mut delivered = 0;
        for d in store.claim_webhook_deliveries(now, 50).await? {
            let attempt = self.send(&d, now).await;
            if attempt.delivered {
                delivered += 1;
            } else {
                tracing::warn!(delivery = d.id, webhook = d.webhook_id, status = ?attempt.status,
                    error = ?attempt.error, "webhook delivery failed; will retry");
            }
            store
                .record_webhook_attempt(&d, &attempt, self.email, now)
                .await?;
        }
        Ok(delivered)
    }

    async fn send(&self, d: &OutgoingDelivery, now: DateTime<Utc>) -> Attempt {
        let failed = |error: String| Attempt {
            delivered: false,
            status: None,
            body: String::new(),
            error: Some(error),
        };
        // Checked again at sending: the address may have been written before a rule changed.
        let url = match EndpointUrl::parse(&d.url)
            .and_then(|u| u.check_reachable(d.allow_private).map(|_| u))
        {
            Ok(u) => u,
            Err(e) => return failed(e.message),
        };
        let client = if d.allow_private {
            &self.private
        } else {
            &self.public
        };
        let request = match d.format {
            Format::Json => {
                let body = envelope(d.id, d.event.as_str(), &d.occurred_at, d.org_id, &d.data);
                let at = now.timestamp();
                client
                    .post(url.as_str())
                    .header("Content-Type", "application/json")
                    .header("X-Yingpan-Event", d.event.as_str())
                    .header("X-Yingpan-Delivery", d.id.to_string())
                    .header("X-Yingpan-Timestamp", at.to_string())
                    .header("X-Yingpan-Signature", signature(&d.secret, at, &body))
                    .body(body)
            }
            format => {
                let mut message = format.robot_message(&robot_text(d.locale, d.event, &d.data));
                let mut target = url.as_str().to_string();
                if !d.secret.is_empty() {
                    match format {
                        Format::Dingtalk => {
                            let ms = now.timestamp_millis();
                            let sign: String = form_urlencoded::byte_serialize(
                                dingtalk_sign(&d.secret, ms).as_bytes(),
                            )
                            .collect();
                            let joiner = if target.contains('?') { '&' } else { '?' };
                            target = format!("{target}{joiner}timestamp={ms}&sign={sign}");
                        }
                        Format::Feishu => {
                            let s = now.timestamp();
                            message["timestamp"] = serde_json::json!(s.to_string());
                            message["sign"] = serde_json::json!(feishu_sign(&d.secret, s));
                        }
                        _ => {}
                    }
                }
                client.post(target).json(&message)
            }
        };
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                Attempt {
                    delivered: d.format.accepted(status, &body),
                    status: Some(status),
                    body,
                    error: None,
                }
            }
            // Without the URL: it may carry a robot's access token.
            Err(e) => failed(e.without_url().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_published_examples() {
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            signature("Jefe", 1_800_000_000, "{}"),
            format!("sha256={}", hex(&hmac(b"Jefe", b"1800000000.{}")))
        );
        assert_ne!(
            signature("Jefe", 1_800_000_001, "{}"),
            signature("Jefe", 1_800_000_000, "{}")
        );
        // Base64 of 32 bytes.
        assert_eq!(dingtalk_sign("SEC123", 1_700_000_000_000).len(), 44);
        assert_eq!(feishu_sign("SEC123", 1_700_000_000).len(), 44);
    }
}
