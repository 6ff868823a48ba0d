//! Webhooks and group robots (issue 16): which events leave Yingpan, which endpoint receives
//! which event, where an endpoint may point, what a receiver gets, when a failed delivery is
//! tried again and when an endpoint that keeps failing is paused.
//!
//! An endpoint is either a plain webhook (`json`: the event as JSON, signed with the
//! endpoint's secret) or the robot of a group chat (`wecom`, `dingtalk`, `feishu`: a short text
//! in that platform's message format). Either may be limited to one team: it then receives
//! only the events of people in that team.

use crate::error::ValidationError;
use crate::person::Locale;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn invalid(field: &'static str, code: &'static str) -> ValidationError {
    let message = match code {
        "unknown_format" => "must be one of json, wecom, dingtalk, feishu",
        "url_not_http" => "must be an http or https address",
        "url_private" => "points at this server or a private network; allow private addresses to use it",
        "unknown_event" => "names an event that does not exist",
        "required" => "choose at least one",
        _ => "must be a full address such as https://example.com/hook, without a user name or password",
    };
    ValidationError::new(field, code, message)
}

/// What happened. The names are the stable `event` field of every delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    #[serde(rename = "customer.registered")]
    CustomerRegistered,
    /// Claimed from the pool, returned to it, or transferred (`data.reason`).
    #[serde(rename = "ownership.changed")]
    OwnershipChanged,
    #[serde(rename = "opportunity.won")]
    OpportunityWon,
    #[serde(rename = "opportunity.lost")]
    OpportunityLost,
    /// An order with its deposit (定金) or the whole sum agreed.
    #[serde(rename = "order.placed")]
    OrderPlaced,
    #[serde(rename = "payment.received")]
    PaymentReceived,
    /// A service ticket: complaint, repair, consultation … (`data.kind`).
    #[serde(rename = "ticket.filed")]
    TicketFiled,
    #[serde(rename = "ticket.overdue")]
    TicketOverdue,
    #[serde(rename = "escalation.raised")]
    EscalationRaised,
    /// A daily report handed in.
    #[serde(rename = "report.submitted")]
    ReportSubmitted,
    /// A salesperson's day plan not submitted by its deadline (09:00 China time, workdays).
    #[serde(rename = "plan.overdue")]
    PlanOverdue,
    /// Sent by hand from the endpoint's page, to try it.
    #[serde(rename = "ping")]
    Ping,
}

impl Event {
    /// Every event an endpoint may subscribe to (`ping` is always delivered when asked for).
    pub const SUBSCRIBABLE: [Event; 11] = [
        Event::CustomerRegistered,
        Event::OwnershipChanged,
        Event::OpportunityWon,
        Event::OpportunityLost,
        Event::OrderPlaced,
        Event::PaymentReceived,
        Event::TicketFiled,
        Event::TicketOverdue,
        Event::EscalationRaised,
        Event::ReportSubmitted,
        Event::PlanOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::CustomerRegistered => "customer.registered",
            Event::OwnershipChanged => "ownership.changed",
            Event::OpportunityWon => "opportunity.won",
            Event::OpportunityLost => "opportunity.lost",
            Event::OrderPlaced => "order.placed",
            Event::PaymentReceived => "payment.received",
            Event::TicketFiled => "ticket.filed",
            Event::TicketOverdue => "ticket.overdue",
            Event::EscalationRaised => "escalation.raised",
            Event::ReportSubmitted => "report.submitted",
            Event::PlanOverdue => "plan.overdue",
            Event::Ping => "ping",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([Event::Ping])
            .find(|e| e.as_str() == s)
    }
}

/// How deliveries are written for the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// The event as JSON, signed (`X-Yingpan-Signature`).
    Json,
    /// 企业微信 group robot.
    Wecom,
    /// 钉钉 group robot (with its optional signing secret).
    Dingtalk,
    /// 飞书 group robot (with its optional signing secret).
    Feishu,
}

impl Format {
    pub const ALL: [Format; 4] = [
        Format::Json,
        Format::Wecom,
        Format::Dingtalk,
        Format::Feishu,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Wecom => "wecom",
            Format::Dingtalk => "dingtalk",
            Format::Feishu => "feishu",
        }
    }

    pub fn parse(s: &str) -> Result<Format, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| invalid("format", "unknown_format"))
    }

    pub fn is_robot(self) -> bool {
        self != Format::Json
    }

    /// The robot's own text message around `text`, without any signature (see
    /// [`dingtalk_string_to_sign`], [`feishu_string_to_sign`]).
    pub fn robot_message(self, text: &str) -> serde_json::Value {
        match self {
            Format::Json => serde_json::Value::Null,
            Format::Wecom | Format::Dingtalk => {
                serde_json::json!({"msgtype": "text", "text": {"content": text}})
            }
            Format::Feishu => serde_json::json!({"msg_type": "text", "content": {"text": text}}),
        }
    }

    /// Whether the receiver took the message. Robots answer 200 with an error code in the body
    /// when they refuse one (a wrong signature, a keyword missing, too many messages).
    pub fn accepted(self, status: u16, body: &str) -> bool {
        if !(200..300).contains(&status) {
            return false;
        }
        if self == Format::Json {
            return true;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else {
            return false;
        };
        let code = match self {
            Format::Feishu => v.get("code").or_else(|| v.get("StatusCode")),
            _ => v.get("errcode"),
        };
        code.and_then(serde_json::Value::as_i64) == Some(0)
    }
}

/// DingTalk's signed robots: the URL gains `timestamp` (milliseconds) and `sign`, the Base64 of
/// HMAC-SHA256 keyed with the secret over this string.
pub fn dingtalk_string_to_sign(timestamp_ms: i64, secret: &str) -> String {
    format!("{timestamp_ms}\n{secret}")
}

/// Feishu's signed robots: the body gains `timestamp` (seconds) and `sign`, the Base64 of
/// HMAC-SHA256 keyed with this string over nothing.
pub fn feishu_string_to_sign(timestamp_s: i64, secret: &str) -> String {
    format!("{timestamp_s}\n{secret}")
}

/// What a plain webhook's signature covers: the timestamp header, a dot, then the raw body.
/// Binding the time in stops a captured delivery from being replayed later.
pub fn signed_content(timestamp_s: i64, body: &str) -> String {
    format!("{timestamp_s}.{body}")
}

/// How old a signed delivery's timestamp may be before a receiver should refuse it.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// An endpoint's address: http or https, a host, no credentials in it, at most 2,000
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(url::Url);

impl EndpointUrl {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let bad = || invalid("url", "invalid_url");
        if raw.is_empty() || raw.len() > 2000 {
            return Err(bad());
        }
        let url = url::Url::parse(raw).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("url", "url_not_http"));
        }
        if url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
            return Err(bad());
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(80)
    }

    /// Refuses an address that names this network rather than the internet (loopback, a
    /// private range, link-local, `localhost`) unless the admin allowed private addresses. A
    /// host name is checked again against what it resolves to when a delivery is sent.
    pub fn check_reachable(&self, allow_private: bool) -> Result<(), ValidationError> {
        if allow_private {
            return Ok(());
        }
        let private = match self.0.host() {
            Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost") || d.ends_with(".local")
            }
            None => true,
        };
        if private {
            Err(invalid("url", "url_private"))
        } else {
            Ok(())
        }
    }
}

/// Whether an address is on the public internet — not this machine, not a private or shared
/// range, not link-local, documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // Shared address space (carrier-grade NAT) and benchmarking ranges.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// Which events an endpoint takes, and from whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub events: Vec<Event>,
    /// Only events of people in this person's team (the person and everyone below).
    pub team_head: Option<i64>,
}

impl Subscription {
    /// Parses the chosen event names: at least one, each known, none twice.
    pub fn parse_events(names: &[String]) -> Result<Vec<Event>, ValidationError> {
        let mut events = Vec::new();
        for n in names {
            let e = Event::parse(n.trim())
                .filter(|e| *e != Event::Ping)
                .ok_or_else(|| invalid("events", "unknown_event"))?;
            if !events.contains(&e) {
                events.push(e);
            }
        }
        if events.is_empty() {
            return Err(invalid("events", "required"));
        }
        Ok(events)
    }

    /// Whether the endpoint receives `event` about `person`, given that person's reporting
    /// line (the person first, then each superior up). A team endpoint receives nothing about
    /// nobody in particular.
    pub fn wants(&self, event: Event, line: &[i64]) -> bool {
        if event != Event::Ping && !self.events.contains(&event) {
            return false;
        }
        match self.team_head {
            None => true,
            Some(head) => line.contains(&head),
        }
    }
}

/// Tries before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// Failed attempts in a row, across deliveries, after which an endpoint is paused. Equal to a
/// delivery's tries, so a delivery given up always pauses its endpoint.
pub const PAUSE_AFTER_FAILURES: u32 = MAX_ATTEMPTS;

/// When a delivery that failed its `attempts`-th try is tried again: 1, 2, 4 … 64 minutes on
/// (about two hours in all), none after the last.
pub fn retry_at(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (attempts < MAX_ATTEMPTS).then(|| now + Duration::minutes(1 << (attempts.clamp(1, 7) - 1)))
}

/// Whether an endpoint with this many failures in a row is paused.
pub fn pauses(consecutive_failures: u32) -> bool {
    consecutive_failures >= PAUSE_AFTER_FAILURES
}

/// A robot's line in the group chat: what happened, to which customer, by whom, and the
/// figure or reason that matters. Reads the fields every event's data may carry (`customer`,
/// `person`, `amount`, `reason`, `title`).
pub fn robot_text(locale: Locale, event: Event, data: &serde_json::Value) -> String {
    let zh = locale == Locale::ZhCn;
    let label = match (event, zh) {
        (Event::CustomerRegistered, true) => "新客户登记",
        (Event::CustomerRegistered, false) => "Customer registered",
        (Event::OwnershipChanged, true) => "客户归属变更",
        (Event::OwnershipChanged, false) => "Ownership changed",
        (Event::OpportunityWon, true) => "赢单",
        (Event::OpportunityWon, false) => "Deal won",
        (Event::OpportunityLost, true) => "丢单",
        (Event::OpportunityLost, false) => "Deal lost",
        (Event::OrderPlaced, true) => "新订单",
        (Event::OrderPlaced, false) => "Order placed",
        (Event::PaymentReceived, true) => "回款到账",
        (Event::PaymentReceived, false) => "Payment received",
        (Event::TicketFiled, true) => "新服务工单",
        (Event::TicketFiled, false) => "Service ticket filed",
        (Event::TicketOverdue, true) => "服务工单超时",
        (Event::TicketOverdue, false) => "Service ticket overdue",
        (Event::EscalationRaised, true) => "问题上报",
        (Event::EscalationRaised, false) => "Escalation raised",
        (Event::ReportSubmitted, true) => "日报已提交",
        (Event::ReportSubmitted, false) => "Daily report submitted",
        (Event::PlanOverdue, true) => "日计划逾期未交",
        (Event::PlanOverdue, false) => "Day plan overdue",
        (Event::Ping, true) => "测试消息：营盘已连接本群",
        (Event::Ping, false) => "Test message: Yingpan reaches this group",
    };
    let text = |k: &str| {
        data.pointer(k)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let mut line = format!("【营盘】{label}");
    let sep = if zh { "：" } else { ": " };
    let mut parts = Vec::new();
    if let Some(c) = text("/customer/name") {
        parts.push(c.to_string());
    }
    if let Some(t) = text("/title") {
        parts.push(t.to_string());
    }
    if let Some(p) = text("/person/name") {
        // Beside a customer the person is its owner; alone, the event is theirs.
        parts.push(match (text("/customer/name").is_some(), zh) {
            (true, true) => format!("负责人 {p}"),
            (true, false) => format!("by {p}"),
            (false, _) => p.to_string(),
        });
    }
    if let Some(d) = text("/date") {
        parts.push(d.to_string());
    }
    if let Some(a) = text("/amount") {
        parts.push(if zh {
            format!("金额 ¥{a}")
        } else {
            format!("amount ¥{a}")
        });
    }
    if let Some(r) = text("/reason") {
        let r = match (r, zh) {
            ("claim", true) => "从公海领取",
            ("recycle", true) => "退回公海",
            ("release", true) => "放回公海",
            ("transfer", true) => "转移",
            ("assign", true) => "分配",
            (other, _) => other,
        };
        parts.push(r.to_string());
    }
    if !parts.is_empty() {
        line.push_str(sep);
        line.push_str(&parts.join(if zh { "，" } else { ", " }));
    }
    line
}

/// The body of a plain webhook's delivery.
pub fn envelope(
    delivery_id: i64,
    event: &str,
    occurred_at: &str,
    org_id: i64,
    data: &serde_json::Value,
) -> String {
    serde_json::json!({
        "id": delivery_id,
        "event": event,
        "occurred_at": occurred_at,
        "organization_id": org_id,
        "data": data,
    })
    .to_string()
}

/// What is kept of a receiver's answer: its first 2,000 characters.
pub fn response_excerpt(body: &str) -> String {
    body.chars().take(2000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn addresses_on_this_network_need_the_admins_leave() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "https://10.1.2.3/x",
            "http://192.168.0.5/",
            "http://172.16.9.9/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.1.1/",
            "http://printer.local/",
        ] {
            let u = EndpointUrl::parse(url).unwrap();
            assert_eq!(
                u.check_reachable(false).unwrap_err().code,
                "url_private",
                "{url}"
            );
            assert!(u.check_reachable(true).is_ok(), "{url}");
        }
        for url in [
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
            "https://oapi.dingtalk.com/robot/send?access_token=x",
            "http://8.8.8.8/hook",
            "https://[2400:3200::1]/hook",
        ] {
            assert!(
                EndpointUrl::parse(url)
                    .unwrap()
                    .check_reachable(false)
                    .is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn only_http_urls_without_credentials() {
        assert_eq!(
            EndpointUrl::parse("ftp://example.com/x").unwrap_err().code,
            "url_not_http"
        );
        assert_eq!(
            EndpointUrl::parse("file:///etc/passwd").unwrap_err().code,
            "url_not_http"
        );
        for bad in [
            "",
            "example.com/hook",
            "https://user:pw@example.com/",
            "http://",
        ] {
            assert_eq!(
                EndpointUrl::parse(bad).unwrap_err().code,
                "invalid_url",
                "{bad}"
            );
        }
    }

    #[test]
    fn a_team_endpoint_hears_only_its_team() {
        let s = Subscription {
            events: vec![Event::OpportunityWon],
            team_head: Some(7),
        };
        assert!(s.wants(Event::OpportunityWon, &[12, 7, 1]));
        assert!(!s.wants(Event::OpportunityWon, &[13, 8, 1]));
        assert!(!s.wants(Event::OpportunityLost, &[12, 7, 1]));
        assert!(!s.wants(Event::OpportunityWon, &[]));
        assert!(s.wants(Event::Ping, &[7]));
        let all = Subscription {
            events: vec![Event::CustomerRegistered],
            team_head: None,
        };
        assert!(all.wants(Event::CustomerRegistered, &[]));
    }

    #[test]
    fn events_parse_by_their_names() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Subscription::parse_events(&names(&[
                "opportunity.won",
                "customer.registered",
                "opportunity.won"
            ]))
            .unwrap(),
            vec![Event::OpportunityWon, Event::CustomerRegistered]
        );
        assert_eq!(
            Subscription::parse_events(&names(&["order.shipped"]))
                .unwrap_err()
                .code,
            "unknown_event"
        );
        assert_eq!(
            Subscription::parse_events(&names(&["ping"]))
                .unwrap_err()
                .code,
            "unknown_event"
        );
        assert_eq!(
            Subscription::parse_events(&[]).unwrap_err().code,
            "required"
        );
        for e in Event::SUBSCRIBABLE {
            assert_eq!(Event::parse(e.as_str()), Some(e));
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::json!(e.as_str())
            );
        }
    }

    #[test]
    fn robots_refuse_with_a_code_in_a_200() {
        assert!(Format::Wecom.accepted(200, r#"{"errcode":0,"errmsg":"ok"}"#));
        assert!(!Format::Dingtalk.accepted(200, r#"{"errcode":310000,"errmsg":"sign not match"}"#));
        assert!(Format::Feishu.accepted(200, r#"{"code":0,"msg":"success"}"#));
        assert!(Format::Feishu.accepted(200, r#"{"StatusCode":0}"#));
        assert!(!Format::Feishu.accepted(200, r#"{"code":19021,"msg":"sign match fail"}"#));
        assert!(!Format::Wecom.accepted(200, "not json"));
        assert!(Format::Json.accepted(204, ""));
        assert!(!Format::Json.accepted(500, ""));
        assert!(!Format::Json.accepted(301, ""));
        assert_eq!(
            Format::Feishu.robot_message("赢单"),
            serde_json::json!({"msg_type": "text", "content": {"text": "赢单"}})
        );
        assert_eq!(
            Format::Wecom.robot_message("赢单")["text"]["content"],
            "赢单"
        );
    }

    #[test]
    fn robots_say_what_happened_to_whom() {
        let data = serde_json::json!({"customer": {"id": 3, "name": "华联商厦"},
            "person": {"id": 9, "name": "王芳"}, "amount": "12000.00"});
        assert_eq!(
            robot_text(Locale::ZhCn, Event::OpportunityWon, &data),
            "【营盘】赢单：华联商厦，负责人 王芳，金额 ¥12000.00"
        );
        assert_eq!(
            robot_text(Locale::En, Event::OpportunityWon, &data),
            "【营盘】Deal won: 华联商厦, by 王芳, amount ¥12000.00"
        );
        let moved = serde_json::json!({"customer": {"name": "华联商厦"}, "reason": "recycle"});
        assert_eq!(
            robot_text(Locale::ZhCn, Event::OwnershipChanged, &moved),
            "【营盘】客户归属变更：华联商厦，退回公海"
        );
        assert_eq!(
            robot_text(Locale::ZhCn, Event::Ping, &serde_json::Value::Null),
            "【营盘】测试消息：营盘已连接本群"
        );
    }

    proptest! {
        #[test]
        fn retries_back_off_and_end(attempts in 1u32..20) {
            let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
            match retry_at(attempts, now) {
                Some(at) => {
                    prop_assert!(attempts < MAX_ATTEMPTS);
                    prop_assert!(at > now);
                    if let Some(next) = retry_at(attempts + 1, now) {
                        prop_assert!(next - now >= at - now);
                    }
                }
                None => {
                    prop_assert!(attempts >= MAX_ATTEMPTS);
                    // A delivery given up has failed often enough to pause its endpoint.
                    prop_assert!(pauses(attempts));
                }
            }
        }

        #[test]
        fn public_v4_addresses_are_outside_every_reserved_range(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255, d in 0u8..=255) {
            let ip = Ipv4Addr::new(a, b, c, d);
            if is_public(IpAddr::V4(ip)) {
                prop_assert!(!ip.is_private() && !ip.is_loopback() && !ip.is_link_local());
                prop_assert!(is_public(IpAddr::V6(ip.to_ipv6_mapped())));
            }
        }
    }
}
