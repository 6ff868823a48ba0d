//! The daily visit plan (每日拜访计划表): customers and region to visit, time slots, purpose;
//! submitted to the supervisor, who approves it or returns it with a comment. An approved plan
//! is immutable: amendments are new revisions. Late submission is recorded (an appraisal item).

use crate::error::ValidationError;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Why a visit is planned (the seed's list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    DevelopNewCustomer,
    MarketResearch,
    CollectPayment,
    Service,
    ComplaintHandling,
    Order,
    Other,
}

impl Purpose {
    pub const ALL: [Purpose; 7] = [
        Purpose::DevelopNewCustomer,
        Purpose::MarketResearch,
        Purpose::CollectPayment,
        Purpose::Service,
        Purpose::ComplaintHandling,
        Purpose::Order,
        Purpose::Other,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::DevelopNewCustomer => "develop_new_customer",
            Purpose::MarketResearch => "market_research",
            Purpose::CollectPayment => "collect_payment",
            Purpose::Service => "service",
            Purpose::ComplaintHandling => "complaint_handling",
            Purpose::Order => "order",
            Purpose::Other => "other",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Purpose::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "purpose",
                    "invalid_choice",
                    "must be one of the visit purposes",
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Draft,
    Submitted,
    Approved,
    Returned,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Submitted => "submitted",
            PlanStatus::Approved => "approved",
            PlanStatus::Returned => "returned",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        [
            PlanStatus::Draft,
            PlanStatus::Submitted,
            PlanStatus::Approved,
            PlanStatus::Returned,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
    /// Only drafts and returned plans may be edited or submitted.
    pub fn editable(self) -> bool {
        matches!(self, PlanStatus::Draft | PlanStatus::Returned)
    }
}

/// What a person does to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum PlanAction {
    Edit,
    Submit,
    Approve,
    Return,
    /// An approved plan is never changed: an amendment is a new draft revision of the day.
    Amend,
}

/// Who acts, as the plan sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanActor {
    /// The salesperson whose plan it is.
    pub is_author: bool,
    /// Above the author in the reporting line.
    pub is_superior: bool,
}

/// Why a change to a plan is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    NotTheAuthor,
    NotASuperior,
    /// Submitted or approved: not editable.
    Locked,
    AlreadySubmitted,
    NotSubmitted,
    NotApproved,
}

impl PlanRefusal {
    /// Whether the refusal is about who acts (checked before the record's version).
    pub fn is_about_the_actor(self) -> bool {
        matches!(self, PlanRefusal::NotTheAuthor | PlanRefusal::NotASuperior)
    }
    pub fn code(self) -> &'static str {
        match self {
            PlanRefusal::NotTheAuthor => "not_the_author",
            PlanRefusal::NotASuperior => "not_a_superior",
            PlanRefusal::Locked | PlanRefusal::AlreadySubmitted => "plan_locked",
            PlanRefusal::NotSubmitted => "plan_not_submitted",
            PlanRefusal::NotApproved => "plan_not_approved",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            PlanRefusal::NotTheAuthor => {
                "only the salesperson whose plan it is may change or submit it"
            }
            PlanRefusal::NotASuperior => "only a superior of the salesperson may review the plan",
            PlanRefusal::Locked => {
                "a submitted or approved plan cannot be edited; an approved one can be amended"
            }
            PlanRefusal::AlreadySubmitted => "this plan has already been submitted",
            PlanRefusal::NotSubmitted => "only a submitted plan can be reviewed",
            PlanRefusal::NotApproved => "only an approved plan is amended; edit this one directly",
        }
    }
}

/// The status a plan has after `action` (for an amendment: the new revision's), or why the
/// action is refused. The author edits and submits drafts and returned plans and amends
/// approved ones; a superior approves or returns submitted ones.
pub fn transition(
    status: PlanStatus,
    action: PlanAction,
    actor: PlanActor,
) -> Result<PlanStatus, PlanRefusal> {
    match action {
        PlanAction::Edit | PlanAction::Submit | PlanAction::Amend if !actor.is_author => {
            Err(PlanRefusal::NotTheAuthor)
        }
        PlanAction::Approve | PlanAction::Return if !actor.is_superior => {
            Err(PlanRefusal::NotASuperior)
        }
        PlanAction::Edit if status.editable() => Ok(status),
        PlanAction::Edit => Err(PlanRefusal::Locked),
        PlanAction::Submit if status.editable() => Ok(PlanStatus::Submitted),
        PlanAction::Submit => Err(PlanRefusal::AlreadySubmitted),
        PlanAction::Approve | PlanAction::Return if status != PlanStatus::Submitted => {
            Err(PlanRefusal::NotSubmitted)
        }
        PlanAction::Approve => Ok(PlanStatus::Approved),
        PlanAction::Return => Ok(PlanStatus::Returned),
        PlanAction::Amend if status == PlanStatus::Approved => Ok(PlanStatus::Draft),
        PlanAction::Amend => Err(PlanRefusal::NotApproved),
    }
}

/// One planned visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanItem {
    pub customer_id: Option<i64>,
    /// A customer not yet registered (developing a new customer) is named in text.
    pub customer_name: String,
    pub region: Option<String>,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub purpose: Purpose,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PlanItemInput {
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub region: Option<String>,
    /// "09:30"
    pub start: Option<String>,
    pub end: Option<String>,
    pub purpose: Option<String>,
    pub notes: Option<String>,
}

fn time(field: &'static str, raw: Option<&str>) -> Result<NaiveTime, ValidationError> {
    NaiveTime::parse_from_str(raw.unwrap_or("").trim(), "%H:%M")
        .map_err(|_| ValidationError::new(field, "invalid_time", "must be a time like 09:30"))
}

impl PlanItemInput {
    pub fn parse(&self) -> Result<PlanItem, ValidationError> {
        let name = self.customer_name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() && self.customer_id.is_none() {
            return Err(ValidationError::new(
                "customer_name",
                "required",
                "name the customer to visit",
            ));
        }
        if name.chars().count() > 200 {
            return Err(ValidationError::new(
                "customer_name",
                "too_long",
                "must be at most 200 characters",
            ));
        }
        let start = time("start", self.start.as_deref())?;
        let end = time("end", self.end.as_deref())?;
        if end <= start {
            return Err(ValidationError::new(
                "end",
                "before_start",
                "a visit must end after it starts",
            ));
        }
        Ok(PlanItem {
            customer_id: self.customer_id,
            customer_name: name.to_string(),
            region: crate::customer::optional_text("region", self.region.as_deref(), 100)?,
            start,
            end,
            purpose: Purpose::parse(self.purpose.as_deref().unwrap_or(""))?,
            notes: crate::customer::optional_text("notes", self.notes.as_deref(), 1000)?,
        })
    }
}

/// Parses a day's items: at most 30, and no two time slots overlapping.
pub fn parse_items(raw: &[PlanItemInput]) -> Result<Vec<PlanItem>, ValidationError> {
    if raw.len() > 30 {
        return Err(ValidationError::new(
            "items",
            "too_many",
            "at most 30 visits a day",
        ));
    }
    let mut items = raw
        .iter()
        .map(PlanItemInput::parse)
        .collect::<Result<Vec<_>, _>>()?;
    items.sort_by_key(|i| i.start);
    if items.windows(2).any(|w| w[1].start < w[0].end) {
        return Err(ValidationError::new(
            "items",
            "overlapping_slots",
            "two visits overlap in time",
        ));
    }
    Ok(items)
}

/// A plan must reach the supervisor before its working day starts: 09:00 local time on the plan
/// date (China Standard Time, UTC+8, unless the caller passes another offset).
pub fn submission_deadline(plan_date: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    offset
        .from_local_datetime(&plan_date.and_hms_opt(9, 0, 0).expect("09:00 exists"))
        .single()
        .expect("a fixed offset has no gaps")
        .with_timezone(&Utc)
}

pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is valid")
}

/// Whether, at `now`, a salesperson without a submitted plan for `plan_date` is overdue: a
/// workday (Monday to Friday) whose deadline has passed.
pub fn plan_overdue(plan_date: NaiveDate, now: DateTime<Utc>, offset: FixedOffset) -> bool {
    use chrono::Datelike;
    !matches!(
        plan_date.weekday(),
        chrono::Weekday::Sat | chrono::Weekday::Sun
    ) && now > submission_deadline(plan_date, offset)
}

pub fn is_late(plan_date: NaiveDate, submitted_at: DateTime<Utc>, offset: FixedOffset) -> bool {
    submitted_at > submission_deadline(plan_date, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_lifecycle() {
        use PlanAction::*;
        use PlanStatus::*;
        let author = PlanActor {
            is_author: true,
            is_superior: false,
        };
        let boss = PlanActor {
            is_author: false,
            is_superior: true,
        };
        let stranger = PlanActor::default();
        assert_eq!(transition(Draft, Edit, author), Ok(Draft));
        assert_eq!(transition(Draft, Submit, author), Ok(Submitted));
        assert_eq!(transition(Returned, Submit, author), Ok(Submitted));
        assert_eq!(transition(Submitted, Approve, boss), Ok(Approved));
        assert_eq!(transition(Submitted, Return, boss), Ok(Returned));
        assert_eq!(transition(Approved, Amend, author), Ok(Draft));
        assert_eq!(
            transition(Submitted, Edit, author),
            Err(PlanRefusal::Locked)
        );
        assert_eq!(transition(Approved, Edit, author), Err(PlanRefusal::Locked));
        assert_eq!(
            transition(Submitted, Submit, author),
            Err(PlanRefusal::AlreadySubmitted)
        );
        assert_eq!(
            transition(Draft, Approve, boss),
            Err(PlanRefusal::NotSubmitted)
        );
        assert_eq!(
            transition(Draft, Amend, author),
            Err(PlanRefusal::NotApproved)
        );
        // The actor is judged first, whatever the status.
        for status in [Draft, Submitted, Approved, Returned] {
            for action in [Edit, Submit, Amend] {
                assert_eq!(
                    transition(status, action, boss),
                    Err(PlanRefusal::NotTheAuthor)
                );
            }
            for action in [Approve, Return] {
                assert_eq!(
                    transition(status, action, author),
                    Err(PlanRefusal::NotASuperior)
                );
                assert_eq!(
                    transition(status, action, stranger),
                    Err(PlanRefusal::NotASuperior)
                );
            }
        }
        assert_eq!(PlanRefusal::AlreadySubmitted.code(), "plan_locked");
        assert!(PlanRefusal::NotTheAuthor.is_about_the_actor());
        assert!(!PlanRefusal::Locked.is_about_the_actor());
    }
    use proptest::prelude::*;

    fn item(start: &str, end: &str) -> PlanItemInput {
        PlanItemInput {
            customer_name: Some("杭州嘉禾".into()),
            start: Some(start.into()),
            end: Some(end.into()),
            purpose: Some("collect_payment".into()),
            ..Default::default()
        }
    }

    #[test]
    fn bounds_of_a_day_plan() {
        // Back to back is not an overlap.
        assert!(parse_items(&[item("09:00", "10:00"), item("10:00", "11:00")]).is_ok());
        let day: Vec<PlanItemInput> = (0..30)
            .map(|i| item(&format!("{:02}:00", i % 24), &format!("{:02}:30", i % 24)))
            .collect();
        assert_ne!(parse_items(&day[..24]).map_err(|e| e.code), Err("too_many"));
        assert_ne!(parse_items(&day).map_err(|e| e.code), Err("too_many"));
        let mut too_many = day.clone();
        too_many.push(item("23:40", "23:50"));
        assert_eq!(parse_items(&too_many).unwrap_err().code, "too_many");
        let named = |n: usize| PlanItemInput {
            customer_name: Some("客".repeat(n)),
            ..item("09:00", "10:00")
        };
        assert!(named(200).parse().is_ok());
        assert_eq!(named(201).parse().unwrap_err().code, "too_long");
    }

    #[test]
    fn statuses_round_trip_and_refusals_explain_themselves() {
        use PlanStatus::*;
        for (s, text) in [
            (Draft, "draft"),
            (Submitted, "submitted"),
            (Approved, "approved"),
            (Returned, "returned"),
        ] {
            assert_eq!(s.as_str(), text);
            assert_eq!(PlanStatus::parse(text), Some(s));
        }
        assert_eq!(PlanStatus::parse("archived"), None);
        assert!(PlanRefusal::NotApproved.message().contains("approved"));
        assert!(PlanRefusal::NotTheAuthor.message().contains("salesperson"));
    }

    #[test]
    fn items_parse_and_refuse_overlaps() {
        let items = parse_items(&[item("14:00", "15:00"), item("09:00", "10:30")]).unwrap();
        assert_eq!(items[0].start, NaiveTime::from_hms_opt(9, 0, 0).unwrap());
        assert_eq!(
            parse_items(&[item("09:00", "10:30"), item("10:00", "11:00")])
                .unwrap_err()
                .code,
            "overlapping_slots"
        );
        assert_eq!(item("10:00", "09:00").parse().unwrap_err().field, "end");
        assert_eq!(item("25:00", "26:00").parse().unwrap_err().field, "start");
        assert_eq!(
            PlanItemInput {
                purpose: Some("party".into()),
                ..item("09:00", "10:00")
            }
            .parse()
            .unwrap_err()
            .field,
            "purpose"
        );
        assert_eq!(
            PlanItemInput {
                customer_name: None,
                ..item("09:00", "10:00")
            }
            .parse()
            .unwrap_err()
            .field,
            "customer_name"
        );
    }

    #[test]
    fn a_missing_plan_is_overdue_after_nine_on_workdays() {
        let friday = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let deadline = submission_deadline(friday, china_offset());
        assert!(!plan_overdue(friday, deadline, china_offset()));
        assert!(plan_overdue(
            friday,
            deadline + chrono::Duration::minutes(1),
            china_offset()
        ));
        let saturday = friday.succ_opt().unwrap();
        let later = submission_deadline(saturday, china_offset()) + chrono::Duration::hours(3);
        assert!(!plan_overdue(saturday, later, china_offset()));
    }

    #[test]
    fn lateness_is_nine_in_the_morning_china_time() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let deadline = submission_deadline(d, china_offset());
        assert_eq!(deadline.to_rfc3339(), "2026-11-24T01:00:00+00:00");
        assert!(!is_late(d, deadline, china_offset()));
        assert!(is_late(
            d,
            deadline + chrono::Duration::seconds(1),
            china_offset()
        ));
    }

    proptest! {
        /// Accepted plans never contain overlapping visits.
        #[test]
        fn accepted_plans_have_no_overlaps(slots in proptest::collection::vec((6u32..20, 0u32..4, 1u32..3), 0..8)) {
            let raw: Vec<PlanItemInput> = slots.iter().map(|(h, q, len)| {
                let start = format!("{h:02}:{:02}", q * 15);
                let end = format!("{:02}:{:02}", h + len, q * 15);
                item(&start, &end)
            }).collect();
            if let Ok(items) = parse_items(&raw) {
                for w in items.windows(2) {
                    prop_assert!(w[0].end <= w[1].start);
                }
            }
        }
    }
}
