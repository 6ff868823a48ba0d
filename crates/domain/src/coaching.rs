//! Joint visits and coaching (协同访问, seed 003): a superior joins a salesperson's planned
//! visit, and afterwards writes what went well and what to correct; coaching notes on weak and
//! new salespeople are kept per person. Only someone above the salesperson joins, reviews and
//! writes notes; the salesperson reads the reviews of their visits.

use crate::error::ValidationError;
use crate::hierarchy::ReportingLine;
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoachingRefusal {
    /// Only someone above the salesperson joins their visits or coaches them.
    NotAbove,
    /// The visit's day has passed; it can no longer be joined.
    VisitPassed,
    /// Only a submitted or approved plan's visits are joined.
    PlanNotSubmitted,
    /// Only the superior who joined reviews, once, from the visit's day.
    NotYours,
    Reviewed,
    TooEarly,
}

impl CoachingRefusal {
    pub fn code(self) -> &'static str {
        match self {
            CoachingRefusal::NotAbove => "not_above_salesperson",
            CoachingRefusal::VisitPassed => "visit_passed",
            CoachingRefusal::PlanNotSubmitted => "plan_not_submitted",
            CoachingRefusal::NotYours => "joint_visit_not_yours",
            CoachingRefusal::Reviewed => "joint_visit_reviewed",
            CoachingRefusal::TooEarly => "visit_not_yet",
        }
    }
    pub fn message(self) -> String {
        match self {
            CoachingRefusal::NotAbove => {
                "only someone above the salesperson joins their visits or coaches them".into()
            }
            CoachingRefusal::VisitPassed => "the visit's day has passed".into(),
            CoachingRefusal::PlanNotSubmitted => {
                "only visits of a submitted or approved plan are joined".into()
            }
            CoachingRefusal::NotYours => "only the superior who joined the visit reviews it".into(),
            CoachingRefusal::Reviewed => "the joint visit is already reviewed".into(),
            CoachingRefusal::TooEarly => "a visit is reviewed from its day on".into(),
        }
    }
}

/// Whether `actor` is above `person` in the reporting line.
pub fn check_above(line: &ReportingLine, actor: i64, person: i64) -> Result<(), CoachingRefusal> {
    if crate::escalation::superiors_up_the_line(line, person).contains(&actor) {
        Ok(())
    } else {
        Err(CoachingRefusal::NotAbove)
    }
}

/// Whether a planned visit may be joined: the plan submitted or approved, its day not past.
pub fn check_join(
    plan_status: &str,
    visit_date: NaiveDate,
    today: NaiveDate,
) -> Result<(), CoachingRefusal> {
    if !matches!(plan_status, "submitted" | "approved") {
        Err(CoachingRefusal::PlanNotSubmitted)
    } else if visit_date < today {
        Err(CoachingRefusal::VisitPassed)
    } else {
        Ok(())
    }
}

pub fn check_review(
    actor: i64,
    supervisor: i64,
    reviewed: bool,
    visit_date: NaiveDate,
    today: NaiveDate,
) -> Result<(), CoachingRefusal> {
    if actor != supervisor {
        Err(CoachingRefusal::NotYours)
    } else if reviewed {
        Err(CoachingRefusal::Reviewed)
    } else if today < visit_date {
        Err(CoachingRefusal::TooEarly)
    } else {
        Ok(())
    }
}

/// A review as written: what went well, what to correct (at least one), a score 1–5 if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub strengths: String,
    pub corrections: String,
    pub score: Option<i64>,
}

fn text(field: &'static str, raw: Option<&str>, max: usize) -> Result<String, ValidationError> {
    let t = raw.unwrap_or("").trim();
    if t.chars().count() > max {
        return Err(ValidationError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    Ok(t.to_string())
}

pub fn parse_review(
    strengths: Option<&str>,
    corrections: Option<&str>,
    score: Option<i64>,
) -> Result<Review, ValidationError> {
    let strengths = text("strengths", strengths, 5000)?;
    let corrections = text("corrections", corrections, 5000)?;
    if strengths.is_empty() && corrections.is_empty() {
        return Err(ValidationError::new(
            "corrections",
            "required",
            "write what went well or what to correct",
        ));
    }
    if let Some(s) = score {
        if !(1..=5).contains(&s) {
            return Err(ValidationError::new(
                "score",
                "out_of_range",
                "must be between 1 and 5",
            ));
        }
    }
    Ok(Review {
        strengths,
        corrections,
        score,
    })
}

/// Why a salesperson is coached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteKind {
    /// 新业务员
    New,
    /// 弱势业务员
    Weak,
    General,
}

impl NoteKind {
    pub const ALL: [NoteKind; 3] = [NoteKind::New, NoteKind::Weak, NoteKind::General];
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::New => "new",
            NoteKind::Weak => "weak",
            NoteKind::General => "general",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new("kind", "invalid_choice", "must be new, weak or general")
            })
    }
}

pub fn parse_note(raw: Option<&str>) -> Result<String, ValidationError> {
    let t = text("note", raw, 5000)?;
    if t.is_empty() {
        return Err(ValidationError::new(
            "note",
            "required",
            "must not be empty",
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn joining_and_reviewing() {
        // 1 director → 2 supervisor → 3 salesperson; 4 another salesperson under 1.
        let line = ReportingLine::new([(1, None), (2, Some(1)), (3, Some(2)), (4, Some(1))]);
        assert!(check_above(&line, 2, 3).is_ok());
        assert!(
            check_above(&line, 1, 3).is_ok(),
            "a skip-level superior may join too"
        );
        assert_eq!(check_above(&line, 4, 3), Err(CoachingRefusal::NotAbove));
        assert_eq!(check_above(&line, 3, 3), Err(CoachingRefusal::NotAbove));
        assert_eq!(
            check_join("draft", day(28), day(27)),
            Err(CoachingRefusal::PlanNotSubmitted)
        );
        assert_eq!(
            check_join("approved", day(26), day(27)),
            Err(CoachingRefusal::VisitPassed)
        );
        assert!(check_join("submitted", day(27), day(27)).is_ok());
        assert_eq!(
            check_review(2, 2, false, day(28), day(27)),
            Err(CoachingRefusal::TooEarly)
        );
        assert_eq!(
            check_review(1, 2, false, day(27), day(27)),
            Err(CoachingRefusal::NotYours)
        );
        assert_eq!(
            check_review(2, 2, true, day(27), day(27)),
            Err(CoachingRefusal::Reviewed)
        );
        assert!(check_review(2, 2, false, day(27), day(29)).is_ok());
    }

    #[test]
    fn a_review_says_something() {
        assert_eq!(
            parse_review(Some(" "), None, None).unwrap_err().field,
            "corrections"
        );
        assert_eq!(
            parse_review(Some("开场好"), None, Some(6))
                .unwrap_err()
                .field,
            "score"
        );
        let r = parse_review(None, Some("先问需求再介绍产品"), Some(3)).unwrap();
        assert_eq!(
            (r.corrections.as_str(), r.score),
            ("先问需求再介绍产品", Some(3))
        );
        assert!(parse_note(Some("")).is_err());
        assert_eq!(NoteKind::parse("weak").unwrap(), NoteKind::Weak);
    }
}
