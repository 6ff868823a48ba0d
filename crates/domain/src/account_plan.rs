//! Account plans (客户计划, seed 001) for core and core-potential customers: the seed's parts
//! (profile, performance profile, customer report card, opportunities and threats, goals /
//! strategy / resources / action timeline, long-term issues), each stamped with who filled it
//! and when. A plan runs as revisions: the account manager drafts and submits one, their own
//! superior approves or returns it, and a reviewed revision never changes — the plan is revised
//! into a new one. An approved revision's actions become the manager's tasks.

use crate::error::ValidationError;
use crate::money::parse_optional_amount;
use crate::qualification::KeyAccountClass;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The parts of a plan, in the seed's order; each is stamped when its content changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Profile,
    Performance,
    ReportCard,
    Opportunities,
    Goals,
    LongTerm,
}

impl Part {
    pub const ALL: [Part; 6] = [
        Part::Profile,
        Part::Performance,
        Part::ReportCard,
        Part::Opportunities,
        Part::Goals,
        Part::LongTerm,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Profile => "profile",
            Part::Performance => "performance",
            Part::ReportCard => "report_card",
            Part::Opportunities => "opportunities",
            Part::Goals => "goals",
            Part::LongTerm => "long_term",
        }
    }
    /// The text fields of the part, as named in the content.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Part::Profile => &["basics", "purchase_history", "needs", "decision_process"],
            Part::Performance => &["financials", "service", "penetration"],
            Part::ReportCard => &["service_scores", "problems"],
            Part::Opportunities => &["opportunities", "threats"],
            // The money fields and the actions belong here too (see `part_values`).
            Part::Goals => &["strategy", "resources"],
            Part::LongTerm => &["long_term"],
        }
    }
}

/// One step of the action timeline: what, by when, and (once approved) the task it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanAction {
    /// Stable across revisions, so an action becomes one task however often it is revised.
    #[serde(default)]
    pub key: String,
    pub title: String,
    pub due_on: NaiveDate,
}

/// What a revision says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanContent {
    /// Text fields by name (see [`Part::fields`]).
    pub text: BTreeMap<String, String>,
    /// 去年完成 and 今年目标, in yuan.
    pub last_year_result: Option<Decimal>,
    pub this_year_goal: Option<Decimal>,
    pub actions: Vec<PlanAction>,
}

impl PlanContent {
    pub fn get(&self, field: &str) -> &str {
        self.text.get(field).map(String::as_str).unwrap_or("")
    }

    /// Every field of a part as comparable text, in order.
    pub fn part_values(&self, part: Part) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = part
            .fields()
            .iter()
            .map(|f| (*f, self.get(f).to_string()))
            .collect();
        if part == Part::Goals {
            let money = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
            out.insert(0, ("last_year_result", money(self.last_year_result)));
            out.insert(1, ("this_year_goal", money(self.this_year_goal)));
            out.push((
                "actions",
                self.actions
                    .iter()
                    .map(|a| format!("{} {}", a.due_on, a.title))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ));
        }
        out
    }
}

/// Who filled a part, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stamp {
    pub user_id: i64,
    pub at: DateTime<Utc>,
}

/// The stamps after `after` replaces `before`: a part whose content changed is stamped by
/// `who` at `now`; the others keep theirs.
pub fn restamp(
    before: &PlanContent,
    after: &PlanContent,
    stamps: &BTreeMap<String, Stamp>,
    who: i64,
    now: DateTime<Utc>,
) -> BTreeMap<String, Stamp> {
    let mut out = stamps.clone();
    for part in Part::ALL {
        if before.part_values(part) != after.part_values(part) {
            out.insert(
                part.as_str().to_string(),
                Stamp {
                    user_id: who,
                    at: now,
                },
            );
        }
    }
    out
}

/// One field of two revisions side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Difference {
    pub part: &'static str,
    pub field: &'static str,
    pub a: String,
    pub b: String,
    pub changed: bool,
}

pub fn compare(a: &PlanContent, b: &PlanContent) -> Vec<Difference> {
    Part::ALL
        .into_iter()
        .flat_map(|part| {
            a.part_values(part)
                .into_iter()
                .zip(b.part_values(part))
                .map(move |((field, x), (_, y))| Difference {
                    part: part.as_str(),
                    field,
                    changed: x != y,
                    a: x,
                    b: y,
                })
        })
        .collect()
}

/// A revision's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Status {
    Draft,
    Submitted,
    Approved,
    Returned,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Draft,
        Status::Submitted,
        Status::Approved,
        Status::Returned,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Returned => "returned",
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
                    "must be draft, submitted, approved or returned",
                )
            })
    }
    pub fn is_reviewed(self) -> bool {
        matches!(self, Status::Approved | Status::Returned)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Step {
    Submit,
    Approve,
    Return,
    /// Start a new revision from the latest reviewed one.
    Revise,
}

impl Step {
    pub const ALL: [Step; 4] = [Step::Submit, Step::Approve, Step::Return, Step::Revise];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Approve => "approve",
            Step::Return => "return",
            Step::Revise => "revise",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "step",
                    "invalid_choice",
                    "must be submit, approve, return or revise",
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountPlanRefusal {
    /// Plans are for core and core-potential customers.
    NotKeyAccount,
    /// Only the account manager writes, submits and revises the plan.
    NotTheManager,
    /// Only the manager's own superior reviews.
    NotTheReviewer,
    /// A submitted or reviewed revision does not change.
    RevisionLocked,
    /// The step does not apply to the revision's status.
    NotAllowed,
    /// The manager has no superior to review the plan.
    NoReviewer,
    /// Only someone above the manager evaluates.
    NotAbove,
}

impl AccountPlanRefusal {
    pub fn code(self) -> &'static str {
        match self {
            AccountPlanRefusal::NotKeyAccount => "not_key_account",
            AccountPlanRefusal::NotTheManager => "not_account_manager",
            AccountPlanRefusal::NotTheReviewer => "not_plan_reviewer",
            AccountPlanRefusal::RevisionLocked => "revision_locked",
            AccountPlanRefusal::NotAllowed => "plan_step_not_allowed",
            AccountPlanRefusal::NoReviewer => "no_reviewer",
            AccountPlanRefusal::NotAbove => "not_above_manager",
        }
    }
    pub fn message(self) -> String {
        match self {
            AccountPlanRefusal::NotKeyAccount => {
                "account plans are for core and core-potential customers (screen the customer first)"
                    .into()
            }
            AccountPlanRefusal::NotTheManager => {
                "only the account manager writes, submits and revises the plan".into()
            }
            AccountPlanRefusal::NotTheReviewer => "only the account manager's own superior reviews".into(),
            AccountPlanRefusal::RevisionLocked => {
                "a submitted or reviewed revision does not change; revise the plan instead".into()
            }
            AccountPlanRefusal::NotAllowed => "the revision's status does not allow this step".into(),
            AccountPlanRefusal::NoReviewer => "the account manager has no superior to review".into(),
            AccountPlanRefusal::NotAbove => "only someone above the account manager evaluates".into(),
        }
    }
}

/// Whether a customer of this class gets an account plan.
pub fn check_eligible(class: Option<KeyAccountClass>) -> Result<(), AccountPlanRefusal> {
    match class {
        Some(KeyAccountClass::Core | KeyAccountClass::CorePotential) => Ok(()),
        _ => Err(AccountPlanRefusal::NotKeyAccount),
    }
}

/// Only the manager edits, and only a draft.
pub fn check_edit(actor: i64, manager: i64, status: Status) -> Result<(), AccountPlanRefusal> {
    if actor != manager {
        Err(AccountPlanRefusal::NotTheManager)
    } else if status != Status::Draft {
        Err(AccountPlanRefusal::RevisionLocked)
    } else {
        Ok(())
    }
}

/// What a step does to the latest revision: its new status, or for `Revise` the status of the
/// new revision (a draft). `manager_superior` is the manager's own superior.
pub fn next_status(
    from: Status,
    step: Step,
    actor: i64,
    manager: i64,
    manager_superior: Option<i64>,
) -> Result<Status, AccountPlanRefusal> {
    match step {
        Step::Submit | Step::Revise if actor != manager => Err(AccountPlanRefusal::NotTheManager),
        Step::Submit if manager_superior.is_none() => Err(AccountPlanRefusal::NoReviewer),
        Step::Submit if from == Status::Draft => Ok(Status::Submitted),
        Step::Revise if from.is_reviewed() => Ok(Status::Draft),
        Step::Approve | Step::Return if manager_superior != Some(actor) => {
            Err(AccountPlanRefusal::NotTheReviewer)
        }
        Step::Approve if from == Status::Submitted => Ok(Status::Approved),
        Step::Return if from == Status::Submitted => Ok(Status::Returned),
        _ => Err(AccountPlanRefusal::NotAllowed),
    }
}

/// Gives every action without a key the next free one (`a1`, `a2`, …), so keys never repeat
/// within a plan even when actions are removed and added.
pub fn assign_keys(actions: &mut [PlanAction], used: &[String]) {
    let mut next = used
        .iter()
        .chain(actions.iter().map(|a| &a.key))
        .filter_map(|k| k.strip_prefix('a')?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    for a in actions.iter_mut().filter(|a| a.key.is_empty()) {
        next += 1;
        a.key = format!("a{next}");
    }
}

/// When an action's task falls due: the end of the working day (18:00, China time).
pub fn action_due(due_on: NaiveDate) -> DateTime<Utc> {
    due_on
        .and_time(NaiveTime::from_hms_opt(18, 0, 0).expect("valid time"))
        .and_local_timezone(crate::visit_plan::china_offset())
        .single()
        .expect("a fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The longest text a field keeps, and the most actions a revision holds.
const MAX_CHARS: usize = 5000;
const MAX_ACTIONS: usize = 50;

/// A revision's content as submitted: known fields only, bounded text, money in yuan, actions
/// with a title and a date within a couple of years of the plan's year.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContentInput {
    pub text: BTreeMap<String, String>,
    pub last_year_result: Option<String>,
    pub this_year_goal: Option<String>,
    pub actions: Vec<ActionInput>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema, serde::Serialize)]
#[serde(default)]
pub struct ActionInput {
    pub key: String,
    pub title: String,
    pub due_on: String,
}

impl ContentInput {
    pub fn parse(&self, year: i32) -> Result<PlanContent, ValidationError> {
        let known = |f: &str| Part::ALL.iter().any(|p| p.fields().contains(&f));
        let mut text = BTreeMap::new();
        for (k, v) in &self.text {
            if !known(k) {
                return Err(ValidationError::new(
                    "text",
                    "unknown_field",
                    format!("{k} is not a part of an account plan"),
                ));
            }
            let v = v.trim();
            if v.chars().count() > MAX_CHARS {
                return Err(ValidationError::new(
                    "text",
                    "too_long",
                    format!("{k}: at most {MAX_CHARS} characters"),
                ));
            }
            if !v.is_empty() {
                text.insert(k.clone(), v.to_string());
            }
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(ValidationError::new(
                "actions",
                "too_many",
                format!("at most {MAX_ACTIONS} actions"),
            ));
        }
        let mut actions = Vec::new();
        for a in &self.actions {
            let title = a.title.trim();
            if title.is_empty() && a.due_on.trim().is_empty() {
                continue;
            }
            if title.is_empty() || title.chars().count() > 200 {
                return Err(ValidationError::new(
                    "actions.title",
                    "required",
                    "each action needs a title of at most 200 characters",
                ));
            }
            let due_on = NaiveDate::parse_from_str(a.due_on.trim(), "%Y-%m-%d").map_err(|_| {
                ValidationError::new("actions.due_on", "invalid_date", "must be a date")
            })?;
            if !(year - 1..=year + 1).contains(&chrono::Datelike::year(&due_on)) {
                return Err(ValidationError::new(
                    "actions.due_on",
                    "out_of_range",
                    "must fall within a year of the plan's year",
                ));
            }
            actions.push(PlanAction {
                key: a.key.trim().to_string(),
                title: title.to_string(),
                due_on,
            });
        }
        let money = |field: &'static str, raw: &Option<String>| {
            parse_optional_amount(field, raw.as_deref())
        };
        Ok(PlanContent {
            text,
            last_year_result: money("last_year_result", &self.last_year_result)?,
            this_year_goal: money("this_year_goal", &self.this_year_goal)?,
            actions,
        })
    }
}

/// A plan's year: this year, the last or the next.
pub fn check_year(year: i32, today: NaiveDate) -> Result<i32, ValidationError> {
    let now = chrono::Datelike::year(&today);
    if (now - 1..=now + 1).contains(&year) {
        Ok(year)
    } else {
        Err(ValidationError::new(
            "year",
            "out_of_range",
            format!("must be between {} and {}", now - 1, now + 1),
        ))
    }
}

/// Whether `actor` is above the account manager in the reporting line (and so evaluates).
pub fn check_evaluator(
    line: &crate::hierarchy::ReportingLine,
    actor: i64,
    manager: i64,
) -> Result<(), AccountPlanRefusal> {
    if crate::escalation::superiors_up_the_line(line, manager).contains(&actor) {
        Ok(())
    } else {
        Err(AccountPlanRefusal::NotAbove)
    }
}

/// An evaluation of the account's management and of the people (1–5 each).
pub fn check_evaluation(management: i64, people: i64) -> Result<(), ValidationError> {
    for (field, v) in [("management_score", management), ("people_score", people)] {
        if !(1..=5).contains(&v) {
            return Err(ValidationError::new(
                field,
                "out_of_range",
                "must be between 1 and 5",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn content(needs: &str, goal: Option<i64>) -> PlanContent {
        let mut c = PlanContent::default();
        c.text.insert("needs".into(), needs.into());
        c.this_year_goal = goal.map(Decimal::from);
        c
    }

    #[test]
    fn the_flow_of_a_revision() {
        let (mgr, sup, other) = (1, 2, 3);
        let s = |from, step, actor| next_status(from, step, actor, mgr, Some(sup));
        assert_eq!(s(Status::Draft, Step::Submit, mgr), Ok(Status::Submitted));
        assert_eq!(
            s(Status::Draft, Step::Submit, sup),
            Err(AccountPlanRefusal::NotTheManager)
        );
        assert_eq!(
            s(Status::Submitted, Step::Approve, other),
            Err(AccountPlanRefusal::NotTheReviewer)
        );
        assert_eq!(
            s(Status::Submitted, Step::Approve, mgr),
            Err(AccountPlanRefusal::NotTheReviewer),
            "nobody approves their own plan"
        );
        assert_eq!(
            s(Status::Submitted, Step::Approve, sup),
            Ok(Status::Approved)
        );
        assert_eq!(
            s(Status::Submitted, Step::Return, sup),
            Ok(Status::Returned)
        );
        assert_eq!(
            s(Status::Draft, Step::Approve, sup),
            Err(AccountPlanRefusal::NotAllowed)
        );
        assert_eq!(
            s(Status::Submitted, Step::Revise, mgr),
            Err(AccountPlanRefusal::NotAllowed),
            "a revision under review is not revised"
        );
        assert_eq!(s(Status::Returned, Step::Revise, mgr), Ok(Status::Draft));
        assert_eq!(s(Status::Approved, Step::Revise, mgr), Ok(Status::Draft));
        assert_eq!(
            next_status(Status::Draft, Step::Submit, mgr, mgr, None),
            Err(AccountPlanRefusal::NoReviewer)
        );
        assert_eq!(
            check_edit(mgr, mgr, Status::Approved),
            Err(AccountPlanRefusal::RevisionLocked)
        );
        assert_eq!(
            check_edit(sup, mgr, Status::Draft),
            Err(AccountPlanRefusal::NotTheManager)
        );
        assert!(check_edit(mgr, mgr, Status::Draft).is_ok());
        assert!(check_eligible(Some(KeyAccountClass::CorePotential)).is_ok());
        assert_eq!(
            check_eligible(Some(KeyAccountClass::Secondary)),
            Err(AccountPlanRefusal::NotKeyAccount)
        );
        assert_eq!(check_eligible(None), Err(AccountPlanRefusal::NotKeyAccount));
    }

    #[test]
    fn only_changed_parts_are_stamped() {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).unwrap();
        let a = content("扩产", None);
        let stamps = restamp(&PlanContent::default(), &a, &BTreeMap::new(), 1, t0);
        assert_eq!(stamps.keys().collect::<Vec<_>>(), ["profile"]);
        let b = content("扩产", Some(5_000_000));
        let stamps = restamp(&a, &b, &stamps, 2, t1);
        assert_eq!(stamps["profile"].at, t0, "the profile did not change");
        assert_eq!((stamps["goals"].user_id, stamps["goals"].at), (2, t1));
        let diff = compare(&a, &b);
        let changed: Vec<&str> = diff.iter().filter(|d| d.changed).map(|d| d.field).collect();
        assert_eq!(changed, ["this_year_goal"]);
        assert_eq!(diff.len(), 17, "every field of every part, side by side");
    }

    #[test]
    fn actions_keep_their_keys() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let act = |key: &str| PlanAction {
            key: key.into(),
            title: "x".into(),
            due_on: d,
        };
        let mut actions = vec![act("a2"), act(""), act("")];
        assign_keys(&mut actions, &["a5".into()]);
        let keys: Vec<&str> = actions.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["a2", "a6", "a7"]);
        assert_eq!(
            action_due(d),
            Utc.with_ymd_and_hms(2027, 3, 1, 10, 0, 0).unwrap()
        );
    }

    #[test]
    fn bad_content_names_the_field() {
        let mut input = ContentInput::default();
        input.text.insert("gossip".into(), "x".into());
        assert_eq!(input.parse(2027).unwrap_err().code, "unknown_field");
        let input = ContentInput {
            this_year_goal: Some("很多".into()),
            ..Default::default()
        };
        assert_eq!(input.parse(2027).unwrap_err().field, "this_year_goal");
        let input = ContentInput {
            actions: vec![ActionInput {
                key: String::new(),
                title: "高层拜访".into(),
                due_on: "2031-01-01".into(),
            }],
            ..Default::default()
        };
        assert_eq!(
            input.parse(2027).unwrap_err().field,
            "actions.due_on",
            "an action years away is a typo"
        );
        let input = ContentInput {
            actions: vec![
                ActionInput::default(),
                ActionInput {
                    key: String::new(),
                    title: " 高层拜访 ".into(),
                    due_on: "2027-02-01".into(),
                },
            ],
            last_year_result: Some("1,200,000".into()),
            ..Default::default()
        };
        let c = input.parse(2027).unwrap();
        assert_eq!(c.actions.len(), 1, "an empty row of the form is no action");
        assert_eq!(c.actions[0].title, "高层拜访");
        assert_eq!(c.last_year_result, Some(Decimal::from(1_200_000)));
        assert!(check_year(2030, NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()).is_err());
        assert!(check_evaluation(5, 0).is_err());
    }
}
