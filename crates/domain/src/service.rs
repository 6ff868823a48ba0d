//! After-sales service (seeds 003, 004): tickets — complaints, after-sales requests, inquiries —
//! answered and resolved within deadlines set per severity (the SLA), a superior told when a
//! deadline passes; and return visits (回访) scheduled after each delivered order and each
//! resolved ticket.
//!
//! Deadlines run on calendar hours from the moment the ticket is filed: a complaint does not
//! wait for Monday. A reopened ticket keeps its original deadlines, so reopening cannot reset a
//! late ticket's clock.

use crate::error::ValidationError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

macro_rules! choice {
    ($(#[$m:meta])* $name:ident, $field:literal, $($(#[$vm:meta])* $variant:ident = $text:literal),+) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                let raw = raw.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    ValidationError::new(
                        $field,
                        "invalid_choice",
                        format!("must be one of {}", [$($text),+].join(", ")),
                    )
                })
            }
        }
    };
}

choice!(
    /// What the customer came with.
    Category, "category",
    Complaint = "complaint",
    AfterSales = "after_sales",
    Inquiry = "inquiry"
);

choice!(
    /// How urgent the ticket is; each severity has its own deadlines.
    Severity, "severity",
    Critical = "critical",
    High = "high",
    Normal = "normal",
    Low = "low"
);

choice!(
    /// Where a ticket stands: new → in progress → resolved → closed; a resolved or closed
    /// ticket can be reopened.
    Status, "status",
    New = "new",
    InProgress = "in_progress",
    Resolved = "resolved",
    Closed = "closed"
);

choice!(
    /// What someone does to a ticket.
    Step, "step",
    /// Take it up (counts as the first response).
    Start = "start",
    /// Write to the ticket (a reply or a note; counts as a response).
    Reply = "reply",
    /// Record how it was resolved.
    Resolve = "resolve",
    /// Close a resolved ticket (the customer confirmed, or it stayed quiet).
    Close = "close",
    /// Take a resolved or closed ticket up again.
    Reopen = "reopen",
    /// Hand it to someone else.
    Assign = "assign"
);

choice!(
    /// What a return visit found.
    VisitResult, "result",
    Satisfied = "satisfied",
    Neutral = "neutral",
    Dissatisfied = "dissatisfied",
    /// Nobody could be reached; the visit stays due.
    Unreachable = "unreachable"
);

choice!(
    /// What a return visit follows up.
    VisitSource, "source",
    Order = "order",
    Ticket = "ticket"
);

impl Status {
    /// Still waiting for someone to resolve it.
    pub fn is_open(self) -> bool {
        matches!(self, Status::New | Status::InProgress)
    }
}

impl VisitResult {
    /// Whether the visit is done (an unreachable customer stays on the due list).
    pub fn completes(self) -> bool {
        self != VisitResult::Unreachable
    }
}

/// A step the ticket's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRefusal {
    NotAllowed { from: Status, step: Step },
}

impl TicketRefusal {
    pub fn code(self) -> &'static str {
        "ticket_step_not_allowed"
    }
    pub fn message(self) -> String {
        match self {
            TicketRefusal::NotAllowed { from, step } => format!(
                "a {} ticket cannot take the step {}",
                from.as_str(),
                step.as_str()
            ),
        }
    }
}

/// The status after `step`, or the refusal. Writing to a closed ticket needs a reopen first;
/// only a resolved ticket is closed, and only an open one is resolved.
pub fn next_status(from: Status, step: Step) -> Result<Status, TicketRefusal> {
    use Status::*;
    let to = match (from, step) {
        (New, Step::Start) => Some(InProgress),
        (New | InProgress, Step::Reply) => Some(InProgress),
        (Resolved, Step::Reply) => Some(Resolved),
        (New | InProgress, Step::Resolve) => Some(Resolved),
        (Resolved, Step::Close) => Some(Closed),
        (Resolved | Closed, Step::Reopen) => Some(InProgress),
        (New | InProgress | Resolved, Step::Assign) => Some(from),
        _ => None,
    };
    to.ok_or(TicketRefusal::NotAllowed { from, step })
}

/// Whether the step answers the customer (stops the response clock).
pub fn responds(step: Step) -> bool {
    matches!(step, Step::Start | Step::Reply | Step::Resolve)
}

/// A severity's deadlines, in hours from filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sla {
    pub response_hours: u32,
    pub resolution_hours: u32,
}

/// The company's service settings, kept by admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ServiceSettings {
    pub critical: Sla,
    pub high: Sla,
    pub normal: Sla,
    pub low: Sla,
    /// Days after delivery a return visit falls due; 0: none is scheduled.
    pub return_visit_after_delivery_days: u32,
    /// Days after a ticket is resolved; 0: none.
    pub return_visit_after_ticket_days: u32,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        let sla = |response_hours, resolution_hours| Sla {
            response_hours,
            resolution_hours,
        };
        Self {
            critical: sla(1, 8),
            high: sla(4, 24),
            normal: sla(8, 72),
            low: sla(24, 168),
            return_visit_after_delivery_days: 7,
            return_visit_after_ticket_days: 3,
        }
    }
}

/// The longest deadline and the latest return visit a company may set (a year).
const MAX_HOURS: u32 = 8760;
const MAX_DAYS: u32 = 365;

impl ServiceSettings {
    pub fn sla(&self, severity: Severity) -> Sla {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Normal => self.normal,
            Severity::Low => self.low,
        }
    }

    /// Settings as an admin submitted them: every deadline between 1 hour and a year, a
    /// response no later than the resolution, return visits within a year (0 turns them off).
    pub fn check(self) -> Result<Self, ValidationError> {
        for &severity in Severity::ALL {
            let sla = self.sla(severity);
            let (response, resolution) = field_names(severity);
            for (field, hours) in [
                (response, sla.response_hours),
                (resolution, sla.resolution_hours),
            ] {
                if hours == 0 || hours > MAX_HOURS {
                    return Err(ValidationError::new(
                        field,
                        "out_of_range",
                        format!("must be between 1 and {MAX_HOURS} hours"),
                    ));
                }
            }
            if sla.response_hours > sla.resolution_hours {
                return Err(ValidationError::new(
                    response,
                    "after_resolution",
                    "the response deadline must not be later than the resolution deadline",
                ));
            }
        }
        for (field, days) in [
            (
                "return_visit_after_delivery_days",
                self.return_visit_after_delivery_days,
            ),
            (
                "return_visit_after_ticket_days",
                self.return_visit_after_ticket_days,
            ),
        ] {
            if days > MAX_DAYS {
                return Err(ValidationError::new(
                    field,
                    "out_of_range",
                    format!("must be between 0 and {MAX_DAYS} days"),
                ));
            }
        }
        Ok(self)
    }
}

/// The names of a severity's two deadline fields, as forms and the API spell them.
pub fn field_names(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Critical => ("critical.response_hours", "critical.resolution_hours"),
        Severity::High => ("high.response_hours", "high.resolution_hours"),
        Severity::Normal => ("normal.response_hours", "normal.resolution_hours"),
        Severity::Low => ("low.response_hours", "low.resolution_hours"),
    }
}

/// When a ticket filed at `opened` must be answered and resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub response_due: DateTime<Utc>,
    pub resolution_due: DateTime<Utc>,
}

pub fn deadlines(opened: DateTime<Utc>, sla: Sla) -> Deadlines {
    Deadlines {
        response_due: opened + Duration::hours(sla.response_hours.into()),
        resolution_due: opened + Duration::hours(sla.resolution_hours.into()),
    }
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    Response,
    Resolution,
}

impl Deadline {
    pub fn as_str(self) -> &'static str {
        match self {
            Deadline::Response => "response",
            Deadline::Resolution => "resolution",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "response" => Some(Deadline::Response),
            "resolution" => Some(Deadline::Resolution),
            _ => None,
        }
    }
}

/// What the deadline check needs to know about a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketClock {
    pub status: Status,
    pub deadlines: Deadlines,
    pub responded: bool,
    pub escalated_response: bool,
    pub escalated_resolution: bool,
}

/// The deadlines that have passed at `now`, unanswered or unresolved.
pub fn overdue(clock: &TicketClock, now: DateTime<Utc>) -> Vec<Deadline> {
    let mut out = Vec::new();
    if clock.status.is_open() && !clock.responded && now > clock.deadlines.response_due {
        out.push(Deadline::Response);
    }
    if clock.status.is_open() && now > clock.deadlines.resolution_due {
        out.push(Deadline::Resolution);
    }
    out
}

/// The passed deadlines nobody has been told about yet: each one escalates once.
pub fn to_escalate(clock: &TicketClock, now: DateTime<Utc>) -> Vec<Deadline> {
    overdue(clock, now)
        .into_iter()
        .filter(|d| match d {
            Deadline::Response => !clock.escalated_response,
            Deadline::Resolution => !clock.escalated_resolution,
        })
        .collect()
}

/// When the return visit after an event (a delivery, a resolution) falls due; none when the
/// company turned them off.
pub fn return_visit_due(event_at: DateTime<Utc>, days: u32) -> Option<DateTime<Utc>> {
    (days > 0).then(|| event_at + Duration::days(days.into()))
}

/// A ticket as filed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFields {
    pub customer_id: i64,
    pub category: Category,
    pub severity: Severity,
    pub subject: String,
    pub description: String,
    pub product_id: Option<i64>,
    pub order_id: Option<i64>,
    pub assignee_id: Option<i64>,
}

/// A ticket as submitted.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TicketInput {
    pub customer_id: Option<i64>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub product_id: Option<i64>,
    pub order_id: Option<i64>,
    pub assignee_id: Option<i64>,
}

impl TicketInput {
    pub fn parse(&self) -> Result<TicketFields, ValidationError> {
        let customer_id = self
            .customer_id
            .ok_or_else(|| ValidationError::new("customer_id", "required", "must be given"))?;
        let category = Category::parse(self.category.as_deref().unwrap_or(""))?;
        let severity = match self.severity.as_deref().map(str::trim) {
            None | Some("") => Severity::Normal,
            Some(s) => Severity::parse(s)?,
        };
        let subject = text("subject", self.subject.as_deref(), 200, true)?;
        let description = text("description", self.description.as_deref(), 5000, false)?;
        Ok(TicketFields {
            customer_id,
            category,
            severity,
            subject,
            description,
            product_id: self.product_id,
            order_id: self.order_id,
            assignee_id: self.assignee_id,
        })
    }
}

/// A step as submitted: a resolution needs its text, an assignment its person, a reply its
/// words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFields {
    pub step: Step,
    pub body: String,
    pub assignee_id: Option<i64>,
}

pub fn parse_step(
    step: &str,
    body: Option<&str>,
    assignee_id: Option<i64>,
) -> Result<StepFields, ValidationError> {
    let step = Step::parse(step)?;
    let needs_body = matches!(step, Step::Reply | Step::Resolve);
    let body = text("body", body, 5000, needs_body)?;
    if step == Step::Assign && assignee_id.is_none() {
        return Err(ValidationError::new(
            "assignee_id",
            "required",
            "must name the person to hand the ticket to",
        ));
    }
    Ok(StepFields {
        step,
        body,
        assignee_id,
    })
}

fn text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
    required: bool,
) -> Result<String, ValidationError> {
    let s = raw.unwrap_or("").trim();
    if required && s.is_empty() {
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

/// A return visit's record, checked: what it found, and what was said (required, as for any
/// logged contact).
pub fn parse_visit(
    result: &str,
    summary: Option<&str>,
) -> Result<(VisitResult, String), ValidationError> {
    Ok((
        VisitResult::parse(result)?,
        text("summary", summary, 2000, true)?,
    ))
}

/// The e-mail a superior receives when a ticket's deadline passes, in their language. The
/// link is the ticket's path; the mailer prefixes the server's public address when it knows it.
pub fn overdue_email(
    locale: crate::person::Locale,
    ticket: &str,
    customer: &str,
    deadline: Deadline,
    path: &str,
) -> (String, String) {
    use crate::person::Locale;
    let (label, customer_label, what, open) = match (locale, deadline) {
        (Locale::ZhCn, Deadline::Response) => {
            ("工单超时", "客户", "已超过响应时限，仍无人答复。", "查看")
        }
        (Locale::ZhCn, Deadline::Resolution) => {
            ("工单超时", "客户", "已超过解决时限，仍未解决。", "查看")
        }
        (Locale::En, Deadline::Response) => (
            "Ticket past its deadline",
            "Customer",
            "passed its response deadline with no answer.",
            "Open",
        ),
        (Locale::En, Deadline::Resolution) => (
            "Ticket past its deadline",
            "Customer",
            "passed its resolution deadline unresolved.",
            "Open",
        ),
    };
    let subject = format!("[营盘] {label}: {ticket}");
    let body = format!("{customer_label}: {customer}\n\n{ticket} — {what}\n\n{open}: {path}\n");
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-02T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::hours(h)
    }

    fn clock(status: Status, responded: bool) -> TicketClock {
        TicketClock {
            status,
            deadlines: deadlines(at(0), ServiceSettings::default().high),
            responded,
            escalated_response: false,
            escalated_resolution: false,
        }
    }

    #[test]
    fn the_status_follows_the_ticket_lifecycle() {
        use Status::*;
        assert_eq!(next_status(New, Step::Start), Ok(InProgress));
        assert_eq!(next_status(New, Step::Reply), Ok(InProgress));
        assert_eq!(next_status(InProgress, Step::Resolve), Ok(Resolved));
        assert_eq!(next_status(Resolved, Step::Close), Ok(Closed));
        assert_eq!(next_status(Closed, Step::Reopen), Ok(InProgress));
        assert_eq!(next_status(Resolved, Step::Reopen), Ok(InProgress));
        for (from, step) in [
            (New, Step::Close),
            (InProgress, Step::Close),
            (Closed, Step::Reply),
            (Closed, Step::Resolve),
            (Closed, Step::Assign),
            (New, Step::Reopen),
            (Resolved, Step::Resolve),
        ] {
            let refusal = next_status(from, step).unwrap_err();
            assert_eq!(refusal.code(), "ticket_step_not_allowed");
            assert!(refusal.message().contains(step.as_str()));
        }
    }

    #[test]
    fn deadlines_pass_once_each_and_only_while_the_ticket_is_open() {
        // High: answer within 4 hours, resolve within 24.
        let c = clock(Status::New, false);
        assert!(
            overdue(&c, at(4)).is_empty(),
            "exactly at the deadline is in time"
        );
        assert_eq!(overdue(&c, at(5)), vec![Deadline::Response]);
        assert_eq!(
            overdue(&c, at(25)),
            vec![Deadline::Response, Deadline::Resolution]
        );
        let answered = clock(Status::InProgress, true);
        assert!(overdue(&answered, at(5)).is_empty());
        assert_eq!(overdue(&answered, at(25)), vec![Deadline::Resolution]);
        assert!(overdue(&clock(Status::Resolved, false), at(100)).is_empty());
        assert!(overdue(&clock(Status::Closed, false), at(100)).is_empty());
        let told = TicketClock {
            escalated_response: true,
            ..c
        };
        assert_eq!(to_escalate(&told, at(25)), vec![Deadline::Resolution]);
        let told_both = TicketClock {
            escalated_resolution: true,
            ..told
        };
        assert!(to_escalate(&told_both, at(25)).is_empty());
    }

    #[test]
    fn settings_refuse_zero_hours_late_responses_and_long_waits() {
        let ok = ServiceSettings::default();
        assert_eq!(ok.check(), Ok(ok));
        let zero = ServiceSettings {
            high: Sla {
                response_hours: 0,
                resolution_hours: 24,
            },
            ..ok
        };
        let e = zero.check().unwrap_err();
        assert_eq!((e.field, e.code), ("high.response_hours", "out_of_range"));
        let late = ServiceSettings {
            low: Sla {
                response_hours: 48,
                resolution_hours: 24,
            },
            ..ok
        };
        let e = late.check().unwrap_err();
        assert_eq!(
            (e.field, e.code),
            ("low.response_hours", "after_resolution")
        );
        let far = ServiceSettings {
            return_visit_after_ticket_days: 400,
            ..ok
        };
        assert_eq!(
            far.check().unwrap_err().field,
            "return_visit_after_ticket_days"
        );
        // Stored settings missing a field (older versions) take the default for it.
        let partial: ServiceSettings =
            serde_json::from_str(r#"{"return_visit_after_delivery_days": 0}"#).unwrap();
        assert_eq!(partial.return_visit_after_delivery_days, 0);
        assert_eq!(partial.critical, ok.critical);
    }

    #[test]
    fn the_overdue_email_names_the_ticket_the_deadline_and_the_link() {
        use crate::person::Locale;
        let (subject, body) = overdue_email(
            Locale::ZhCn,
            "设备异响",
            "上海恒达",
            Deadline::Resolution,
            "/tickets/7",
        );
        assert_eq!(subject, "[营盘] 工单超时: 设备异响");
        assert!(
            body.contains("上海恒达") && body.contains("解决时限") && body.contains("/tickets/7")
        );
        let (_, body) = overdue_email(
            Locale::En,
            "Noise",
            "Hengda",
            Deadline::Response,
            "/tickets/7",
        );
        assert!(body.contains("response deadline"));
    }

    #[test]
    fn return_visits_fall_due_after_the_configured_days_or_not_at_all() {
        assert_eq!(return_visit_due(at(0), 7), Some(at(7 * 24)));
        assert_eq!(return_visit_due(at(0), 0), None);
    }

    #[test]
    fn tickets_and_steps_are_parsed_naming_the_field() {
        let input = TicketInput {
            customer_id: Some(3),
            category: Some("complaint".into()),
            subject: Some("  设备异响 ".into()),
            ..TicketInput::default()
        };
        let t = input.parse().unwrap();
        assert_eq!(
            (t.subject.as_str(), t.severity, t.category),
            ("设备异响", Severity::Normal, Category::Complaint)
        );
        let e = TicketInput {
            subject: None,
            ..input.clone()
        }
        .parse()
        .unwrap_err();
        assert_eq!((e.field, e.code), ("subject", "required"));
        let e = TicketInput {
            severity: Some("urgent".into()),
            ..input.clone()
        }
        .parse()
        .unwrap_err();
        assert_eq!((e.field, e.code), ("severity", "invalid_choice"));
        let e = TicketInput {
            customer_id: None,
            ..input
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.field, "customer_id");
        assert_eq!(
            parse_step("resolve", Some(" "), None).unwrap_err().field,
            "body"
        );
        assert_eq!(
            parse_step("assign", None, None).unwrap_err().field,
            "assignee_id"
        );
        assert!(parse_step("start", None, None).is_ok());
        assert_eq!(parse_step("archive", None, None).unwrap_err().field, "step");
        assert_eq!(parse_visit("happy", Some("x")).unwrap_err().field, "result");
        assert_eq!(parse_visit("satisfied", None).unwrap_err().field, "summary");
        assert!(!VisitResult::Unreachable.completes());
    }

    proptest! {
        /// Whatever the steps, a ticket is only ever in a known status, only a resolved ticket
        /// gets closed, and an open ticket is never overdue before its response deadline.
        #[test]
        fn any_sequence_of_steps_keeps_the_lifecycle(steps in proptest::collection::vec(0usize..6, 0..30), hours in 0i64..4) {
            let mut status = Status::New;
            for i in steps {
                let step = Step::ALL[i];
                if let Ok(to) = next_status(status, step) {
                    if to == Status::Closed { prop_assert_eq!(status, Status::Resolved); }
                    if step == Step::Resolve { prop_assert!(status.is_open()); }
                    status = to;
                }
                let c = TicketClock { status, ..clock(status, false) };
                prop_assert!(overdue(&c, at(hours)).is_empty());
            }
        }
    }
}
