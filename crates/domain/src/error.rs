use thiserror::Error;

/// Bad input, named by the field it concerns and a stable code.
///
/// The code doubles as the message-catalog key for the UI (`error.<code>`), so the
/// English `message` here is only what API clients see.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// A decision of a business rule that refuses a request, as the rule gave it: carried
/// unchanged through the store to the one place that answers HTTP (422 with its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("{}", .0.message())]
    Claim(crate::ownership::ClaimRefusal),
    #[error("{}", .0.message())]
    Plan(crate::visit_plan::PlanRefusal),
    #[error("{}", .0.message())]
    Report(crate::daily_report::ReportRefusal),
    #[error("{}", .0.message())]
    Target(crate::target::TargetRefusal),
    #[error("{}", .0.message())]
    Ticket(crate::service::TicketRefusal),
    #[error("{}", .0.message())]
    Task(crate::task::TaskRefusal),
    #[error("{}", .0.message())]
    Appeal(crate::appeal::AppealRefusal),
    #[error("{}", .0.message())]
    AccountPlan(crate::account_plan::AccountPlanRefusal),
    #[error("{}", .0.message())]
    Quotation(crate::quotation::QuotationRefusal),
    #[error("{}", .0.message())]
    Meeting(crate::meeting::MeetingRefusal),
    #[error("{}", .0.message())]
    Coaching(crate::coaching::CoachingRefusal),
}

impl Refusal {
    /// The stable code API clients and the message catalogs key on.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Claim(r) => r.code(),
            Refusal::Plan(r) => r.code(),
            Refusal::Report(r) => r.code(),
            Refusal::Target(r) => r.code(),
            Refusal::Ticket(r) => r.code(),
            Refusal::Task(r) => r.code(),
            Refusal::Appeal(r) => r.code(),
            Refusal::AccountPlan(r) => r.code(),
            Refusal::Quotation(r) => r.code(),
            Refusal::Meeting(r) => r.code(),
            Refusal::Coaching(r) => r.code(),
        }
    }
}

impl From<crate::ownership::ClaimRefusal> for Refusal {
    fn from(r: crate::ownership::ClaimRefusal) -> Self {
        Refusal::Claim(r)
    }
}

impl From<crate::visit_plan::PlanRefusal> for Refusal {
    fn from(r: crate::visit_plan::PlanRefusal) -> Self {
        Refusal::Plan(r)
    }
}

impl From<crate::daily_report::ReportRefusal> for Refusal {
    fn from(r: crate::daily_report::ReportRefusal) -> Self {
        Refusal::Report(r)
    }
}

impl From<crate::target::TargetRefusal> for Refusal {
    fn from(r: crate::target::TargetRefusal) -> Self {
        Refusal::Target(r)
    }
}

impl From<crate::service::TicketRefusal> for Refusal {
    fn from(r: crate::service::TicketRefusal) -> Self {
        Refusal::Ticket(r)
    }
}

impl From<crate::task::TaskRefusal> for Refusal {
    fn from(r: crate::task::TaskRefusal) -> Self {
        Refusal::Task(r)
    }
}

impl From<crate::account_plan::AccountPlanRefusal> for Refusal {
    fn from(r: crate::account_plan::AccountPlanRefusal) -> Self {
        Refusal::AccountPlan(r)
    }
}

impl From<crate::quotation::QuotationRefusal> for Refusal {
    fn from(r: crate::quotation::QuotationRefusal) -> Self {
        Refusal::Quotation(r)
    }
}

impl From<crate::meeting::MeetingRefusal> for Refusal {
    fn from(r: crate::meeting::MeetingRefusal) -> Self {
        Refusal::Meeting(r)
    }
}

impl From<crate::coaching::CoachingRefusal> for Refusal {
    fn from(r: crate::coaching::CoachingRefusal) -> Self {
        Refusal::Coaching(r)
    }
}

impl From<crate::appeal::AppealRefusal> for Refusal {
    fn from(r: crate::appeal::AppealRefusal) -> Self {
        Refusal::Appeal(r)
    }
}

/// A rule of the business that a request would break.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Conflict(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_its_rules_code_and_words() {
        let r: Refusal = crate::ownership::ClaimRefusal::Cooldown { days: 3 }.into();
        assert_eq!(r.code(), "claim_cooldown");
        assert!(r.to_string().contains("3 days"));
        let r: Refusal = crate::visit_plan::PlanRefusal::Locked.into();
        assert_eq!(r.code(), "plan_locked");
        let r: Refusal = crate::daily_report::ReportRefusal::Reviewed.into();
        assert_eq!(
            (r.code(), r.to_string().as_str()),
            ("report_reviewed", "a reviewed report cannot be changed")
        );
    }
}
