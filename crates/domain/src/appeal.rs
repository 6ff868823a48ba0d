//! Skip-level appeals (越级申诉, seed 003): commands come down one line, but a person may appeal
//! past their own superior to someone higher up, with the reason; the appeal is seen by the
//! person appealed to (and the appellant), who answers it.

use crate::error::ValidationError;
use crate::hierarchy::ReportingLine;
use serde::Deserialize;

/// Why an appeal cannot go where it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealRefusal {
    /// Only someone above one's own superior hears a skip-level appeal (one's own superior is
    /// simply asked).
    NotSkipLevel,
    /// Only the person appealed to answers, once.
    NotYours,
}

impl AppealRefusal {
    pub fn code(self) -> &'static str {
        match self {
            AppealRefusal::NotSkipLevel => "not_skip_level",
            AppealRefusal::NotYours => "appeal_not_yours",
        }
    }
    pub fn message(self) -> String {
        match self {
            AppealRefusal::NotSkipLevel => {
                "an appeal goes to someone above one's own superior".into()
            }
            AppealRefusal::NotYours => "only the person appealed to answers an appeal, once".into(),
        }
    }
}

/// Whether `to` is above `appellant`'s own superior in the reporting line.
pub fn check_target(line: &ReportingLine, appellant: i64, to: i64) -> Result<(), AppealRefusal> {
    let above = crate::escalation::superiors_up_the_line(line, appellant);
    if above.iter().skip(1).any(|s| *s == to) {
        Ok(())
    } else {
        Err(AppealRefusal::NotSkipLevel)
    }
}

/// Whether `actor` may answer an appeal sent to `to` (not yet answered).
pub fn check_answer(actor: i64, to: i64, answered: bool) -> Result<(), AppealRefusal> {
    if actor == to && !answered {
        Ok(())
    } else {
        Err(AppealRefusal::NotYours)
    }
}

/// An appeal as filed, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealFields {
    pub to_id: i64,
    pub subject: String,
    pub reason: String,
    pub task_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct AppealInput {
    pub to_id: Option<i64>,
    pub subject: Option<String>,
    pub reason: Option<String>,
    pub task_id: Option<i64>,
}

fn text(field: &'static str, raw: Option<&str>, max: usize) -> Result<String, ValidationError> {
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

impl AppealInput {
    /// Whom, about what and why: all required.
    pub fn parse(&self) -> Result<AppealFields, ValidationError> {
        Ok(AppealFields {
            to_id: self.to_id.ok_or_else(|| {
                ValidationError::new("to_id", "required", "name whom to appeal to")
            })?,
            subject: text("subject", self.subject.as_deref(), 200)?,
            reason: text("reason", self.reason.as_deref(), 5000)?,
            task_id: self.task_id,
        })
    }
}

/// An answer's words: required, at most 5,000 characters.
pub fn parse_answer(raw: Option<&str>) -> Result<String, ValidationError> {
    text("answer", raw, 5000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_appeal_goes_past_ones_own_superior() {
        // 1 director ← 2 supervisor ← 3 salesperson; 4 another supervisor.
        let line = ReportingLine::new([(1, None), (2, Some(1)), (3, Some(2)), (4, Some(1))]);
        assert_eq!(check_target(&line, 3, 1), Ok(()));
        assert_eq!(
            check_target(&line, 3, 2),
            Err(AppealRefusal::NotSkipLevel),
            "one's own superior is asked, not appealed to"
        );
        assert_eq!(check_target(&line, 3, 4), Err(AppealRefusal::NotSkipLevel));
        assert_eq!(check_target(&line, 2, 1), Err(AppealRefusal::NotSkipLevel));
        assert_eq!(check_answer(1, 1, false), Ok(()));
        assert_eq!(check_answer(2, 1, false), Err(AppealRefusal::NotYours));
        assert_eq!(check_answer(1, 1, true), Err(AppealRefusal::NotYours));
    }

    #[test]
    fn an_appeal_needs_whom_what_and_why() {
        let input = AppealInput {
            to_id: Some(1),
            subject: Some("任务分配不公".into()),
            reason: Some("本月三个大客户都被划给了同组同事。".into()),
            task_id: None,
        };
        assert!(input.parse().is_ok());
        let e = AppealInput {
            reason: Some(" ".into()),
            ..input.clone()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.field, "reason");
        assert_eq!(
            AppealInput {
                to_id: None,
                ..input
            }
            .parse()
            .unwrap_err()
            .field,
            "to_id"
        );
        assert_eq!(parse_answer(None).unwrap_err().field, "answer");
    }
}
