//! Refusal preparation (拒绝准备, 话术库; DOMAIN "before a visit, prepare answers to the
//! customer's likely refusals"): a library of typical objections with prepared answers, by
//! product and sales stage. An activity records which objection was met, which answer was
//! given and whether it worked; the library ranks objections by how often they are met and
//! answers by how often they win.

use crate::error::ValidationError;
use crate::opportunity::Stage;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An objection as a manager writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionFields {
    pub text: String,
    /// Why customers say it: what they care about behind the words.
    pub concern: String,
    pub product_id: Option<i64>,
    pub stage: Option<Stage>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ObjectionInput {
    pub text: Option<String>,
    pub concern: Option<String>,
    pub product_id: Option<i64>,
    pub stage: Option<String>,
}

fn bounded(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
    required: bool,
) -> Result<String, ValidationError> {
    let t = raw.unwrap_or("").trim();
    if required && t.is_empty() {
        return Err(ValidationError::new(field, "required", "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(ValidationError::new(
            field,
            "too_long",
            format!("at most {max} characters"),
        ));
    }
    Ok(t.to_string())
}

impl ObjectionInput {
    pub fn parse(&self) -> Result<ObjectionFields, ValidationError> {
        let stage = match self
            .stage
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(Stage::parse(s)?),
        };
        Ok(ObjectionFields {
            text: bounded("text", self.text.as_deref(), 500, true)?,
            concern: bounded("concern", self.concern.as_deref(), 2000, false)?,
            product_id: self.product_id,
            stage,
        })
    }
}

/// A prepared answer's text.
pub fn parse_answer(raw: Option<&str>) -> Result<String, ValidationError> {
    bounded("text", raw, 5000, true)
}

/// An objection met on an activity: which, the answer given, whether it worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Encounter {
    pub objection_id: i64,
    pub answer_id: Option<i64>,
    pub worked: Option<bool>,
}

/// Whether the answer worked only means something when an answer was given.
pub fn check_encounter(e: &Encounter) -> Result<(), ValidationError> {
    if e.answer_id.is_none() && e.worked.is_some() {
        return Err(ValidationError::new(
            "answer_id",
            "required",
            "say which answer was given before whether it worked",
        ));
    }
    Ok(())
}

/// How an answer fared: given `used` times, of which `worked` times it worked and
/// `judged` times anyone said either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct AnswerRecord {
    pub used: i64,
    pub judged: i64,
    pub worked: i64,
}

impl AnswerRecord {
    /// Percent of the judged uses that worked, one decimal; none before anyone judged it.
    pub fn win_rate(&self) -> Option<Decimal> {
        (self.judged > 0).then(|| {
            (Decimal::from(self.worked) * Decimal::ONE_HUNDRED / Decimal::from(self.judged))
                .round_dp(1)
        })
    }
}

/// Orders answers best first: by win rate (an answer nobody judged last), then by how often
/// it worked, then by how often it was used. Returns the indexes into `records`.
pub fn rank_answers(records: &[AnswerRecord]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..records.len()).collect();
    idx.sort_by(|&a, &b| {
        let (ra, rb) = (&records[a], &records[b]);
        rb.win_rate()
            .is_some()
            .cmp(&ra.win_rate().is_some())
            .then(rb.win_rate().cmp(&ra.win_rate()))
            .then(rb.worked.cmp(&ra.worked))
            .then(rb.used.cmp(&ra.used))
            .then(a.cmp(&b))
    });
    idx
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec(used: i64, judged: i64, worked: i64) -> AnswerRecord {
        AnswerRecord {
            used,
            judged,
            worked,
        }
    }

    #[test]
    fn answers_that_win_come_first() {
        let records = [rec(10, 10, 3), rec(4, 4, 3), rec(2, 0, 0), rec(8, 8, 6)];
        // 30%, 75%, unjudged, 75% (more wins than the other 75%).
        assert_eq!(rank_answers(&records), [3, 1, 0, 2]);
        assert_eq!(records[0].win_rate(), Some(Decimal::from(30)));
        assert_eq!(rec(3, 3, 1).win_rate(), Some(Decimal::new(333, 1)));
        assert_eq!(records[2].win_rate(), None);
    }

    #[test]
    fn input_names_the_field() {
        let e = ObjectionInput::default().parse().unwrap_err();
        assert_eq!((e.field, e.code), ("text", "required"));
        let e = ObjectionInput {
            text: Some("太贵了".into()),
            stage: Some("someday".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.field, "stage");
        let f = ObjectionInput {
            text: Some(" 太贵了 ".into()),
            stage: Some("closing".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!((f.text.as_str(), f.stage), ("太贵了", Some(Stage::Closing)));
        assert!(check_encounter(&Encounter {
            objection_id: 1,
            answer_id: None,
            worked: Some(true)
        })
        .is_err());
        assert_eq!(parse_answer(Some("  ")).unwrap_err().code, "required");
    }

    proptest! {
        /// The ranking is a permutation, and a strictly higher win rate always ranks higher.
        #[test]
        fn ranking_is_consistent(raw in proptest::collection::vec((0i64..20, 0i64..20, 0i64..20), 0..12)) {
            let records: Vec<AnswerRecord> = raw
                .into_iter()
                .map(|(u, j, w)| { let judged = j.min(u); rec(u, judged, w.min(judged)) })
                .collect();
            let order = rank_answers(&records);
            let mut sorted = order.clone();
            sorted.sort();
            prop_assert_eq!(sorted, (0..records.len()).collect::<Vec<_>>());
            for pair in order.windows(2) {
                let (a, b) = (&records[pair[0]], &records[pair[1]]);
                if let (Some(x), Some(y)) = (a.win_rate(), b.win_rate()) {
                    prop_assert!(x >= y);
                }
                prop_assert!(!(a.win_rate().is_none() && b.win_rate().is_some()));
            }
        }
    }
}
