//! Written commands (书面指挥, seed 003): a superior's task that names who does what, by when,
//! where, with which plan and how it is checked. One superior: only a person's own superior
//! commands them (a skip-level superior inspects, and commands through the line); the clerk
//! issues task notices (任务通知单) after contract review to anyone she serves. The assignee
//! acknowledges, reports progress and completion; a task past its time is overdue on both
//! dashboards.

use crate::error::ValidationError;
use crate::person::Role;
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Status {
    Assigned,
    Acknowledged,
    Done,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Assigned,
        Status::Acknowledged,
        Status::Done,
        Status::Cancelled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Assigned => "assigned",
            Status::Acknowledged => "acknowledged",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
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
                    "must be assigned, acknowledged, done or cancelled",
                )
            })
    }
    pub fn is_open(self) -> bool {
        matches!(self, Status::Assigned | Status::Acknowledged)
    }
}

/// What someone does to a task, and who may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Step {
    /// The assignee confirms they have the command.
    Acknowledge,
    /// The assignee reports how it goes.
    Progress,
    /// The assignee reports it done.
    Complete,
    /// The assigner withdraws it.
    Cancel,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Step::Acknowledge,
        Step::Progress,
        Step::Complete,
        Step::Cancel,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Acknowledge => "acknowledge",
            Step::Progress => "progress",
            Step::Complete => "complete",
            Step::Cancel => "cancel",
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
                    "must be acknowledge, progress, complete or cancel",
                )
            })
    }
}

/// Why a command or a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskRefusal {
    /// The assigner is not the assignee's own superior (nor the clerk issuing a notice).
    NotYourReport,
    /// Only the assignee reports on a task; only the assigner withdraws it.
    NotYours,
    /// The task's status does not allow the step.
    NotAllowed,
}

impl TaskRefusal {
    pub fn code(self) -> &'static str {
        match self {
            TaskRefusal::NotYourReport => "not_your_report",
            TaskRefusal::NotYours => "task_not_yours",
            TaskRefusal::NotAllowed => "task_step_not_allowed",
        }
    }
    pub fn message(self) -> String {
        match self {
            TaskRefusal::NotYourReport => {
                "only a person's own superior commands them (the clerk issues task notices)".into()
            }
            TaskRefusal::NotYours => {
                "only the assignee reports on a task, and only the assigner withdraws it".into()
            }
            TaskRefusal::NotAllowed => "the task's status does not allow this step".into(),
        }
    }
}

/// Whether `assigner` (of `role`) may command someone whose superior is `assignee_superior`:
/// their own superior, or the clerk with a task notice. A skip-level superior commands through
/// the line.
pub fn check_assigner(
    assigner: i64,
    role: Role,
    assignee_superior: Option<i64>,
) -> Result<(), TaskRefusal> {
    if assignee_superior == Some(assigner) || role == Role::Clerk {
        Ok(())
    } else {
        Err(TaskRefusal::NotYourReport)
    }
}

/// The status after `step` taken by `actor` on a task from `assigner` to `assignee`.
pub fn next_status(
    from: Status,
    step: Step,
    actor: i64,
    assigner: i64,
    assignee: i64,
) -> Result<Status, TaskRefusal> {
    let by_assignee = actor == assignee;
    match step {
        Step::Acknowledge | Step::Progress | Step::Complete if !by_assignee => {
            Err(TaskRefusal::NotYours)
        }
        Step::Cancel if actor != assigner => Err(TaskRefusal::NotYours),
        Step::Acknowledge if from == Status::Assigned => Ok(Status::Acknowledged),
        Step::Progress if from.is_open() => Ok(Status::Acknowledged),
        Step::Complete if from.is_open() => Ok(Status::Done),
        Step::Cancel if from.is_open() => Ok(Status::Cancelled),
        _ => Err(TaskRefusal::NotAllowed),
    }
}

/// Still open after its time.
pub fn is_overdue(status: Status, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status.is_open() && now > due_at
}

/// A command as written, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFields {
    pub assignee_id: i64,
    /// What is to be done.
    pub title: String,
    /// Where.
    pub place: String,
    /// The action plan.
    pub plan: String,
    /// How it is checked.
    pub check: String,
    pub due_at: DateTime<Utc>,
    pub customer_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TaskInput {
    pub assignee_id: Option<i64>,
    pub title: Option<String>,
    pub place: Option<String>,
    pub plan: Option<String>,
    pub check: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    pub customer_id: Option<i64>,
}

impl TaskInput {
    /// Who, what and by when are required; the time must not have passed.
    pub fn parse(&self, now: DateTime<Utc>) -> Result<TaskFields, ValidationError> {
        let assignee_id = self
            .assignee_id
            .ok_or_else(|| ValidationError::new("assignee_id", "required", "name who does it"))?;
        let text = |field: &'static str, raw: &Option<String>, max: usize, required: bool| {
            let s = raw.as_deref().unwrap_or("").trim();
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
        };
        let due_at = self
            .due_at
            .ok_or_else(|| ValidationError::new("due_at", "required", "say by when"))?;
        if due_at <= now {
            return Err(ValidationError::new(
                "due_at",
                "in_the_past",
                "must be later than now",
            ));
        }
        Ok(TaskFields {
            assignee_id,
            title: text("title", &self.title, 200, true)?,
            place: text("place", &self.place, 200, false)?,
            plan: text("plan", &self.plan, 5000, false)?,
            check: text("check", &self.check, 1000, false)?,
            due_at,
            customer_id: self.customer_id,
        })
    }
}

/// A step's note: required to report progress or completion (what was done), at most 5,000
/// characters.
pub fn parse_note(step: Step, raw: Option<&str>) -> Result<String, ValidationError> {
    let s = raw.unwrap_or("").trim();
    if matches!(step, Step::Progress | Step::Complete) && s.is_empty() {
        return Err(ValidationError::new(
            "body",
            "required",
            "say what was done",
        ));
    }
    if s.chars().count() > 5000 {
        return Err(ValidationError::new(
            "body",
            "too_long",
            "must be at most 5000 characters",
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn only_ones_own_superior_commands() {
        assert_eq!(check_assigner(2, Role::Supervisor, Some(2)), Ok(()));
        assert_eq!(
            check_assigner(1, Role::Director, Some(2)),
            Err(TaskRefusal::NotYourReport),
            "a skip-level superior commands through the line"
        );
        assert_eq!(
            check_assigner(5, Role::Sales, Some(2)),
            Err(TaskRefusal::NotYourReport)
        );
        assert_eq!(
            check_assigner(9, Role::Clerk, Some(2)),
            Ok(()),
            "a task notice"
        );
        assert_eq!(TaskRefusal::NotYourReport.code(), "not_your_report");
    }

    #[test]
    fn the_assignee_reports_and_the_assigner_withdraws() {
        use Status::*;
        let (boss, rep) = (2, 5);
        assert_eq!(
            next_status(Assigned, Step::Acknowledge, rep, boss, rep),
            Ok(Acknowledged)
        );
        assert_eq!(
            next_status(Assigned, Step::Progress, rep, boss, rep),
            Ok(Acknowledged)
        );
        assert_eq!(
            next_status(Acknowledged, Step::Complete, rep, boss, rep),
            Ok(Done)
        );
        assert_eq!(
            next_status(Acknowledged, Step::Cancel, boss, boss, rep),
            Ok(Cancelled)
        );
        assert_eq!(
            next_status(Assigned, Step::Complete, boss, boss, rep),
            Err(TaskRefusal::NotYours)
        );
        assert_eq!(
            next_status(Assigned, Step::Cancel, rep, boss, rep),
            Err(TaskRefusal::NotYours)
        );
        assert_eq!(
            next_status(Done, Step::Progress, rep, boss, rep),
            Err(TaskRefusal::NotAllowed)
        );
        assert_eq!(
            next_status(Acknowledged, Step::Acknowledge, rep, boss, rep),
            Err(TaskRefusal::NotAllowed)
        );
    }

    #[test]
    fn a_command_names_who_what_and_when() {
        let now = t("2026-11-28T01:00:00Z");
        let input = TaskInput {
            assignee_id: Some(5),
            title: Some(" 拜访恒达，确认二期需求 ".into()),
            due_at: Some(t("2026-11-30T10:00:00Z")),
            ..TaskInput::default()
        };
        assert_eq!(input.parse(now).unwrap().title, "拜访恒达，确认二期需求");
        let e = TaskInput {
            due_at: Some(t("2026-11-27T10:00:00Z")),
            ..input.clone()
        }
        .parse(now)
        .unwrap_err();
        assert_eq!((e.field, e.code), ("due_at", "in_the_past"));
        assert_eq!(
            TaskInput {
                title: None,
                ..input.clone()
            }
            .parse(now)
            .unwrap_err()
            .field,
            "title"
        );
        assert_eq!(
            TaskInput {
                assignee_id: None,
                ..input
            }
            .parse(now)
            .unwrap_err()
            .field,
            "assignee_id"
        );
        assert_eq!(
            parse_note(Step::Complete, Some(" ")).unwrap_err().field,
            "body"
        );
        assert_eq!(parse_note(Step::Acknowledge, None), Ok(String::new()));
        assert!(is_overdue(
            Status::Acknowledged,
            now,
            t("2026-11-28T01:00:01Z")
        ));
        assert!(!is_overdue(Status::Done, now, t("2026-12-28T01:00:00Z")));
    }

    proptest! {
        /// Whoever acts and whatever the steps, a finished task stays finished and only the
        /// assignee finishes one.
        #[test]
        fn finished_tasks_stay_finished(steps in proptest::collection::vec((0usize..4, 0i64..3), 0..20)) {
            let (boss, rep) = (1, 2);
            let mut status = Status::Assigned;
            for (s, actor) in steps {
                let step = Step::ALL[s];
                if let Ok(next) = next_status(status, step, actor, boss, rep) {
                    prop_assert!(status.is_open());
                    if next == Status::Done { prop_assert_eq!(actor, rep); }
                    status = next;
                }
            }
        }
    }
}
