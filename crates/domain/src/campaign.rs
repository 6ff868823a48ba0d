//! Campaigns to a segment (seed 002: developing customer value by SMS, e-mail and letters —
//! without several people of one company pestering the same customer): templates with merge
//! fields, who of a segment receives a message (opted out, no address, over the company's
//! frequency cap), retries, and the SMS gateway's request and answer.

use crate::error::ValidationError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    /// A printable mail-merge page, one letter per sheet.
    Letter,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Letter];
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Letter => "letter",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new("channel", "invalid_choice", "must be email, sms or letter")
            })
    }
}

/// What became of one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientStatus {
    /// Waiting for the sender (or the scheduled time).
    Queued,
    Sent,
    /// Given up after the last retry, with the reason.
    Failed,
    /// The customer or the contact asked not to be contacted.
    OptedOut,
    /// The company's frequency cap would be exceeded.
    Capped,
    /// No e-mail address, mobile number or postal address to send to.
    NoAddress,
}

impl RecipientStatus {
    pub const ALL: [RecipientStatus; 6] = [
        RecipientStatus::Queued,
        RecipientStatus::Sent,
        RecipientStatus::Failed,
        RecipientStatus::OptedOut,
        RecipientStatus::Capped,
        RecipientStatus::NoAddress,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientStatus::Queued => "queued",
            RecipientStatus::Sent => "sent",
            RecipientStatus::Failed => "failed",
            RecipientStatus::OptedOut => "opted_out",
            RecipientStatus::Capped => "capped",
            RecipientStatus::NoAddress => "no_address",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "status",
                    "invalid_choice",
                    "must be queued, sent, failed, opted_out, capped or no_address",
                )
            })
    }
}

/// The merge fields a template may use, as `{{customer.name}}`.
pub const MERGE_FIELDS: [&str; 7] = [
    "customer.name",
    "customer.region",
    "customer.industry",
    "contact.name",
    "contact.title",
    "owner.name",
    "company.name",
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(&'static str),
}

/// A subject or body with its merge fields found and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `raw`, refusing an unknown field or an unclosed `{{` (named by `field`).
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after.find("}}").ok_or_else(|| {
                ValidationError::new(
                    field,
                    "unclosed_merge_field",
                    "a {{ is never closed with }}",
                )
            })?;
            let name = after[..end].trim();
            let known = MERGE_FIELDS
                .iter()
                .copied()
                .find(|f| *f == name)
                .ok_or_else(|| {
                    ValidationError::new(
                        field,
                        "unknown_merge_field",
                        format!(
                            "{{{{{name}}}}} is not a merge field; use one of {}",
                            MERGE_FIELDS.join(", ")
                        ),
                    )
                })?;
            parts.push(Part::Field(known));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Self { parts })
    }

    /// The text for one recipient; a value missing for them renders empty.
    pub fn render(&self, value: &dyn Fn(&str) -> Option<String>) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Field(f) => value(f).unwrap_or_default(),
            })
            .collect()
    }
}

/// A campaign as written, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignFields {
    pub name: String,
    pub channel: Channel,
    pub segment_id: i64,
    /// E-mail only.
    pub subject: String,
    pub body: String,
    /// Sent from this instant instead of at once.
    pub scheduled_at: Option<DateTime<Utc>>,
}

/// The longest SMS body the company may write (several segments; the gateway splits them).
pub const SMS_MAX: usize = 500;

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CampaignInput {
    pub name: Option<String>,
    pub channel: Option<String>,
    pub segment_id: Option<i64>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub scheduled_at: Option<DateTime<Utc>>,
}

impl CampaignInput {
    /// Checks the campaign: a name, a segment, a body whose merge fields exist (and a subject
    /// for e-mail), an SMS short enough, a schedule not in the past.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<CampaignFields, ValidationError> {
        let name = required_text("name", self.name.as_deref(), 100)?;
        let channel = Channel::parse(self.channel.as_deref().unwrap_or(""))?;
        let segment_id = self
            .segment_id
            .ok_or_else(|| ValidationError::new("segment_id", "required", "pick a segment"))?;
        let max = match channel {
            Channel::Sms => SMS_MAX,
            _ => 10_000,
        };
        let body = required_text("body", self.body.as_deref(), max)?;
        Template::parse("body", &body)?;
        let subject = match channel {
            Channel::Email => {
                let s = required_text("subject", self.subject.as_deref(), 200)?;
                Template::parse("subject", &s)?;
                s
            }
            _ => String::new(),
        };
        if let Some(at) = self.scheduled_at {
            if at < now {
                return Err(ValidationError::new(
                    "scheduled_at",
                    "in_the_past",
                    "must not be in the past",
                ));
            }
        }
        Ok(CampaignFields {
            name,
            channel,
            segment_id,
            subject,
            body,
            scheduled_at: self.scheduled_at,
        })
    }
}

fn required_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<String, ValidationError> {
    let s = raw.unwrap_or("").trim();
    if s.is_empty() {
        return Err(ValidationError::new(field, "required", "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ValidationError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_string())
}

/// No customer receives more than `messages` campaign messages in `days` days, whatever the
/// channel and whoever sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrequencyCap {
    pub messages: u32,
    pub days: u32,
}

impl Default for FrequencyCap {
    fn default() -> Self {
        Self {
            messages: 2,
            days: 30,
        }
    }
}

impl FrequencyCap {
    pub fn check(self) -> Result<Self, ValidationError> {
        if !(1..=100).contains(&self.messages) {
            return Err(ValidationError::new(
                "cap.messages",
                "out_of_range",
                "must be between 1 and 100",
            ));
        }
        if !(1..=365).contains(&self.days) {
            return Err(ValidationError::new(
                "cap.days",
                "out_of_range",
                "must be between 1 and 365 days",
            ));
        }
        Ok(self)
    }
    /// Messages sent after this instant count against the cap at `now`.
    pub fn window_start(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(self.days.into())
    }
}

/// What happens to one member of the segment: opted out first (their wish wins), then no
/// address, then the cap — counting what was sent in the window and what other campaigns
/// have queued for them.
pub fn decide(
    opted_out: bool,
    has_address: bool,
    sent_or_queued_in_window: u32,
    cap: FrequencyCap,
) -> RecipientStatus {
    if opted_out {
        RecipientStatus::OptedOut
    } else if !has_address {
        RecipientStatus::NoAddress
    } else if sent_or_queued_in_window >= cap.messages {
        RecipientStatus::Capped
    } else {
        RecipientStatus::Queued
    }
}

/// The opt-out every campaign SMS ends with (required of marketing SMS in China).
pub const SMS_OPT_OUT: &str = "回T退订";

pub fn sms_text(body: &str) -> String {
    if body.contains(SMS_OPT_OUT) {
        body.to_string()
    } else {
        format!("{body} {SMS_OPT_OUT}")
    }
}

/// Tries before a message is given up.
pub const MAX_ATTEMPTS: u32 = 5;

/// When a message that failed its `attempts`-th try is tried again: 1, 2, 4, 8 minutes on;
/// none after the last.
pub fn retry_at(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (attempts < MAX_ATTEMPTS).then(|| now + Duration::minutes(1 << (attempts.max(1) - 1)))
}

/// How the company's SMS provider is called: an HTTP request whose body (POST) or URL (GET)
/// carries `{{phone}}` and `{{text}}`, and how its answer tells success — a 2xx status and,
/// when `success_pointer` is set, that JSON value (RFC 6901 pointer) equal to
/// `success_value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SmsGateway {
    pub url: String,
    pub method: String,
    #[serde(default)]
    pub body_template: String,
    #[serde(default)]
    pub success_pointer: String,
    #[serde(default)]
    pub success_value: String,
    /// Messages per second the provider allows.
    #[serde(default = "default_rate")]
    pub per_second: u32,
}

fn default_rate() -> u32 {
    10
}

impl SmsGateway {
    pub fn check(self) -> Result<Self, ValidationError> {
        let url = self.url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ValidationError::new(
                "sms.url",
                "invalid_url",
                "must start with http:// or https://",
            ));
        }
        match self.method.as_str() {
            "POST" => {
                if !(self.body_template.contains("{{phone}}")
                    && self.body_template.contains("{{text}}"))
                {
                    return Err(ValidationError::new(
                        "sms.body_template",
                        "missing_merge_field",
                        "must contain {{phone}} and {{text}}",
                    ));
                }
                serde_json::from_str::<serde_json::Value>(&self.render_body("13800000000", "x"))
                    .map_err(|_| {
                        ValidationError::new(
                            "sms.body_template",
                            "invalid_json",
                            "must be JSON once {{phone}} and {{text}} are filled in",
                        )
                    })?;
            }
            "GET" => {
                if !(url.contains("{{phone}}") && url.contains("{{text}}")) {
                    return Err(ValidationError::new(
                        "sms.url",
                        "missing_merge_field",
                        "a GET gateway's URL must contain {{phone}} and {{text}}",
                    ));
                }
            }
            _ => {
                return Err(ValidationError::new(
                    "sms.method",
                    "invalid_choice",
                    "must be POST or GET",
                ))
            }
        }
        if !self.success_pointer.is_empty() && !self.success_pointer.starts_with('/') {
            return Err(ValidationError::new(
                "sms.success_pointer",
                "invalid_pointer",
                "must be a JSON pointer such as /code",
            ));
        }
        if !(1..=1000).contains(&self.per_second) {
            return Err(ValidationError::new(
                "sms.per_second",
                "out_of_range",
                "must be between 1 and 1000",
            ));
        }
        Ok(Self {
            url: url.to_string(),
            ..self
        })
    }

    /// The POST body for one message: the values escaped as JSON string content.
    pub fn render_body(&self, phone: &str, text: &str) -> String {
        let esc = |v: &str| {
            let quoted = serde_json::to_string(v).expect("a string serialises");
            quoted[1..quoted.len() - 1].to_string()
        };
        self.body_template
            .replace("{{phone}}", &esc(phone))
            .replace("{{text}}", &esc(text))
    }

    /// The URL for one message (GET: the values percent-encoded into it).
    pub fn render_url(&self, phone: &str, text: &str) -> String {
        if self.method != "GET" {
            return self.url.clone();
        }
        let enc = |v: &str| {
            v.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        self.url
            .replace("{{phone}}", &enc(phone))
            .replace("{{text}}", &enc(text))
    }

    /// Whether the provider accepted the message; the reason when not.
    pub fn judge(&self, status: u16, body: &str) -> Result<(), String> {
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status}: {}", snippet(body)));
        }
        if self.success_pointer.is_empty() {
            return Ok(());
        }
        let json: serde_json::Value = serde_json::from_str(body)
            .map_err(|_| format!("the answer is not JSON: {}", snippet(body)))?;
        let got = match json.pointer(&self.success_pointer) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => {
                return Err(format!(
                    "{} missing: {}",
                    self.success_pointer,
                    snippet(body)
                ))
            }
        };
        if got == self.success_value {
            Ok(())
        } else {
            Err(format!(
                "{} = {got}: {}",
                self.success_pointer,
                snippet(body)
            ))
        }
    }
}

fn snippet(s: &str) -> String {
    s.chars().take(200).collect()
}

/// The company's campaign settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CampaignSettings {
    pub cap: FrequencyCap,
    pub sms: Option<SmsGateway>,
}

impl CampaignSettings {
    pub fn check(self) -> Result<Self, ValidationError> {
        Ok(Self {
            cap: self.cap.check()?,
            sms: self.sms.map(SmsGateway::check).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn templates_know_their_merge_fields() {
        let tpl = Template::parse("body", "{{ customer.name }}您好，我是{{owner.name}}。").unwrap();
        let text = tpl.render(&|f| match f {
            "customer.name" => Some("上海恒达".into()),
            "owner.name" => Some("王芳".into()),
            _ => None,
        });
        assert_eq!(text, "上海恒达您好，我是王芳。");
        let e = Template::parse("subject", "{{customer.phone}}").unwrap_err();
        assert_eq!((e.field, e.code), ("subject", "unknown_merge_field"));
        assert!(e.message.contains("customer.phone"), "{}", e.message);
        let e = Template::parse("body", "你好 {{customer.name").unwrap_err();
        assert_eq!(e.code, "unclosed_merge_field");
        assert_eq!(
            Template::parse("body", "{{contact.name}}")
                .unwrap()
                .render(&|_| None),
            "",
            "a missing value renders empty"
        );
    }

    #[test]
    fn a_campaign_is_checked_whole() {
        let now = t("2026-11-28T00:00:00Z");
        let input = CampaignInput {
            name: Some("双十二促销".into()),
            channel: Some("email".into()),
            segment_id: Some(3),
            subject: Some("{{customer.name}}：年终优惠".into()),
            body: Some("尊敬的{{contact.name}}……".into()),
            scheduled_at: None,
        };
        assert_eq!(input.parse(now).unwrap().channel, Channel::Email);
        let e = CampaignInput {
            subject: None,
            ..input.clone()
        }
        .parse(now)
        .unwrap_err();
        assert_eq!(e.field, "subject");
        let sms = CampaignInput {
            channel: Some("sms".into()),
            subject: None,
            body: Some("x".repeat(SMS_MAX + 1)),
            ..input.clone()
        };
        assert_eq!(sms.parse(now).unwrap_err().code, "too_long");
        let e = CampaignInput {
            scheduled_at: Some(t("2026-11-27T00:00:00Z")),
            ..input.clone()
        }
        .parse(now)
        .unwrap_err();
        assert_eq!((e.field, e.code), ("scheduled_at", "in_the_past"));
        let e = CampaignInput {
            segment_id: None,
            ..input
        }
        .parse(now)
        .unwrap_err();
        assert_eq!(e.field, "segment_id");
    }

    #[test]
    fn who_receives_a_message() {
        let cap = FrequencyCap {
            messages: 2,
            days: 30,
        };
        assert_eq!(decide(true, true, 0, cap), RecipientStatus::OptedOut);
        assert_eq!(decide(false, false, 0, cap), RecipientStatus::NoAddress);
        assert_eq!(decide(false, true, 2, cap), RecipientStatus::Capped);
        assert_eq!(decide(false, true, 1, cap), RecipientStatus::Queued);
        assert_eq!(
            cap.window_start(t("2026-11-28T00:00:00Z")),
            t("2026-10-29T00:00:00Z")
        );
        assert_eq!(
            FrequencyCap {
                messages: 0,
                days: 30
            }
            .check()
            .unwrap_err()
            .field,
            "cap.messages"
        );
    }

    #[test]
    fn sms_end_with_the_opt_out_once() {
        assert_eq!(sms_text("年终优惠"), "年终优惠 回T退订");
        assert_eq!(sms_text("年终优惠，回T退订"), "年终优惠，回T退订");
    }

    #[test]
    fn retries_back_off_and_stop() {
        let now = t("2026-11-28T00:00:00Z");
        assert_eq!(retry_at(1, now), Some(now + Duration::minutes(1)));
        assert_eq!(retry_at(3, now), Some(now + Duration::minutes(4)));
        assert_eq!(retry_at(MAX_ATTEMPTS, now), None);
    }

    fn gateway() -> SmsGateway {
        SmsGateway {
            url: "https://sms.example.com/send".into(),
            method: "POST".into(),
            body_template: r#"{"mobile": "{{phone}}", "content": "{{text}}"}"#.into(),
            success_pointer: "/code".into(),
            success_value: "0".into(),
            per_second: 10,
        }
    }

    #[test]
    fn the_gateway_is_called_and_judged_as_configured() {
        let g = gateway().check().unwrap();
        let body = g.render_body("13800000000", "他说\"好\"\n");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["content"], "他说\"好\"\n", "values are escaped");
        assert_eq!(g.judge(200, r#"{"code": 0}"#), Ok(()));
        assert_eq!(g.judge(200, r#"{"code": "0"}"#), Ok(()));
        assert!(g
            .judge(200, r#"{"code": 17, "msg": "余额不足"}"#)
            .unwrap_err()
            .contains("余额不足"));
        assert!(g.judge(500, "oops").unwrap_err().starts_with("HTTP 500"));
        let bad = SmsGateway {
            body_template: r#"{"mobile": "{{phone}}"}"#.into(),
            ..gateway()
        };
        assert_eq!(bad.check().unwrap_err().code, "missing_merge_field");
        let get = SmsGateway {
            url: "http://gw.local/send?to={{phone}}&msg={{text}}".into(),
            method: "GET".into(),
            success_pointer: String::new(),
            ..gateway()
        }
        .check()
        .unwrap();
        assert_eq!(
            get.render_url("138", "好 ok"),
            "http://gw.local/send?to=138&msg=%E5%A5%BD%20ok"
        );
        assert_eq!(get.judge(204, ""), Ok(()));
        let e = SmsGateway {
            url: "ftp://x".into(),
            ..gateway()
        }
        .check()
        .unwrap_err();
        assert_eq!(e.field, "sms.url");
    }

    proptest! {
        /// Whatever a recipient's values, a rendered template is the template's text with each
        /// field replaced by exactly its value.
        #[test]
        fn rendering_replaces_fields_only(name in "[^{}]{0,20}", before in "[^{}]{0,20}", after in "[^{}]{0,20}") {
            let tpl = Template::parse("body", &format!("{before}{{{{customer.name}}}}{after}")).unwrap();
            let out = tpl.render(&|f| (f == "customer.name").then(|| name.clone()));
            prop_assert_eq!(out, format!("{before}{name}{after}"));
        }
    }
}
