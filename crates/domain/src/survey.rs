//! Satisfaction surveys (seed 004: opinion surveys, read beside repeat purchase — satisfaction
//! alone is a weak predictor of loyalty): a questionnaire of scored and free-text questions,
//! answered once through an expiring link or recorded by staff on the phone, and results per
//! customer, product or salesperson with the share of customers who bought again.

use crate::error::ValidationError;
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The highest score a scored question takes (scores are 1 to 5).
pub const MAX_SCORE: u8 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    Score,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Question {
    /// Stable within the questionnaire: `q1`, `q2`… in the order written.
    pub key: String,
    pub text: String,
    pub kind: QuestionKind,
    pub required: bool,
}

/// A questionnaire as written in a form: one question per line, `score:` or `text:` before it
/// (a bare line is a score question), `?` at the end of the prefix for an optional one
/// (`text?: 其他建议`).
pub fn parse_questions(raw: &str) -> Result<Vec<Question>, ValidationError> {
    let mut out = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (prefix, text) = match line.split_once([':', '：']) {
            Some((p, t)) if matches!(p.trim(), "score" | "text" | "score?" | "text?") => {
                (p.trim(), t.trim())
            }
            _ => ("score", line),
        };
        if text.is_empty() {
            return Err(ValidationError::new(
                "questions",
                "required",
                "every question needs its words",
            ));
        }
        if text.chars().count() > 200 {
            return Err(ValidationError::new(
                "questions",
                "too_long",
                "a question must be at most 200 characters",
            ));
        }
        out.push(Question {
            key: format!("q{}", out.len() + 1),
            text: text.to_string(),
            kind: if prefix.starts_with("text") {
                QuestionKind::Text
            } else {
                QuestionKind::Score
            },
            required: !prefix.ends_with('?'),
        });
    }
    if out.is_empty() {
        return Err(ValidationError::new(
            "questions",
            "required",
            "a survey needs at least one question",
        ));
    }
    if out.len() > 20 {
        return Err(ValidationError::new(
            "questions",
            "too_many",
            "a survey has at most 20 questions",
        ));
    }
    if !out.iter().any(|q| q.kind == QuestionKind::Score) {
        return Err(ValidationError::new(
            "questions",
            "no_score",
            "a survey needs at least one scored question",
        ));
    }
    Ok(out)
}

/// The questions back as a form shows them (the inverse of [`parse_questions`]).
pub fn questions_text(questions: &[Question]) -> String {
    questions
        .iter()
        .map(|q| {
            let kind = match q.kind {
                QuestionKind::Score => "score",
                QuestionKind::Text => "text",
            };
            let optional = if q.required { "" } else { "?" };
            format!("{kind}{optional}: {}", q.text)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A survey's name: 1–100 characters.
pub fn parse_name(raw: &str) -> Result<String, ValidationError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(ValidationError::new(
            "name",
            "required",
            "must not be empty",
        ));
    }
    if s.chars().count() > 100 {
        return Err(ValidationError::new(
            "name",
            "too_long",
            "must be at most 100 characters",
        ));
    }
    Ok(s.to_string())
}

/// Answers as checked: each scored question's score, each text question's words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Answers {
    pub scores: BTreeMap<String, u8>,
    pub texts: BTreeMap<String, String>,
}

impl Answers {
    pub fn score_sum(&self) -> i64 {
        self.scores.values().map(|s| i64::from(*s)).sum()
    }
    pub fn score_count(&self) -> i64 {
        self.scores.len() as i64
    }
}

/// Answers as submitted (question key → value), checked against the questions: a required
/// question answered, a score a whole number from 1 to 5, text at most 2,000 characters, no
/// answer to a question that does not exist. The field named in an error is the question's key.
pub fn parse_answers(
    questions: &[Question],
    raw: &BTreeMap<String, String>,
) -> Result<Answers, ValidationError> {
    if raw.keys().any(|k| !questions.iter().any(|q| &q.key == k)) {
        return Err(ValidationError::new(
            "answers",
            "unknown_question",
            "answers a question the survey does not have",
        ));
    }
    let mut out = Answers::default();
    for q in questions {
        let value = raw.get(&q.key).map(|v| v.trim()).unwrap_or("");
        let field = question_field(&q.key);
        if value.is_empty() {
            if q.required {
                return Err(ValidationError::new(field, "required", "needs an answer"));
            }
            continue;
        }
        match q.kind {
            QuestionKind::Score => {
                let score = value
                    .parse::<u8>()
                    .ok()
                    .filter(|s| (1..=MAX_SCORE).contains(s))
                    .ok_or_else(|| {
                        ValidationError::new(field, "out_of_range", "must be a score from 1 to 5")
                    })?;
                out.scores.insert(q.key.clone(), score);
            }
            QuestionKind::Text => {
                if value.chars().count() > 2000 {
                    return Err(ValidationError::new(
                        field,
                        "too_long",
                        "must be at most 2000 characters",
                    ));
                }
                out.texts.insert(q.key.clone(), value.to_string());
            }
        }
    }
    Ok(out)
}

/// Error fields must be static: the first twenty question keys are.
fn question_field(key: &str) -> &'static str {
    const KEYS: [&str; 20] = [
        "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "q11", "q12", "q13", "q14",
        "q15", "q16", "q17", "q18", "q19", "q20",
    ];
    KEYS.iter()
        .copied()
        .find(|k| *k == key)
        .unwrap_or("answers")
}

/// Why a survey link no longer takes answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    Answered,
    Expired,
}

impl LinkRefusal {
    pub fn code(self) -> &'static str {
        match self {
            LinkRefusal::Answered => "survey_answered",
            LinkRefusal::Expired => "survey_expired",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            LinkRefusal::Answered => "this survey has already been answered",
            LinkRefusal::Expired => "this survey link has expired",
        }
    }
}

/// Whether an invitation still takes answers at `now`: once, before it expires.
pub fn check_link(
    answered: bool,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), LinkRefusal> {
    if answered {
        Err(LinkRefusal::Answered)
    } else if now >= expires_at {
        Err(LinkRefusal::Expired)
    } else {
        Ok(())
    }
}

/// How long a link stays open.
pub fn expires_at(sent: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    sent + Duration::days(days.into())
}

/// Days a link may stay open: 1 to 90.
pub fn parse_valid_days(raw: Option<u32>) -> Result<u32, ValidationError> {
    match raw {
        None => Ok(14),
        Some(d) if (1..=90).contains(&d) => Ok(d),
        Some(_) => Err(ValidationError::new(
            "valid_days",
            "out_of_range",
            "must be between 1 and 90 days",
        )),
    }
}

/// One answered survey as the results read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// What the response is grouped under (a customer, a product, a salesperson).
    pub group: i64,
    pub customer_id: i64,
    pub score_sum: i64,
    pub score_count: i64,
    /// The customer has ordered more than once.
    pub repeat_buyer: bool,
}

/// One group's results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GroupResult {
    pub group: i64,
    pub responses: usize,
    pub customers: usize,
    /// The mean of every score given in the group's responses, two decimals; none without a
    /// score.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_score: Option<Decimal>,
    /// The share of the group's customers who ordered more than once, in percent with one
    /// decimal.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub repeat_purchase_pct: Option<Decimal>,
}

/// `d` rounded to `dp` decimals and written with exactly that many (`4.50`, `0.0`).
fn fixed(d: Decimal, dp: u32) -> Decimal {
    let mut d = d.round_dp(dp);
    d.rescale(dp);
    d
}

/// Results per group, the lowest average first (where service needs attention).
pub fn results(responses: &[Response]) -> Vec<GroupResult> {
    #[derive(Default)]
    struct Acc {
        responses: usize,
        sum: i64,
        count: i64,
        customers: BTreeSet<i64>,
        repeat: BTreeSet<i64>,
    }
    let mut groups: BTreeMap<i64, Acc> = BTreeMap::new();
    for r in responses {
        let a = groups.entry(r.group).or_default();
        a.responses += 1;
        a.sum += r.score_sum;
        a.count += r.score_count;
        a.customers.insert(r.customer_id);
        if r.repeat_buyer {
            a.repeat.insert(r.customer_id);
        }
    }
    let mut out: Vec<GroupResult> = groups
        .into_iter()
        .map(|(group, a)| GroupResult {
            group,
            responses: a.responses,
            customers: a.customers.len(),
            average_score: (a.count > 0)
                .then(|| fixed(Decimal::from(a.sum) / Decimal::from(a.count), 2)),
            repeat_purchase_pct: (!a.customers.is_empty()).then(|| {
                fixed(
                    Decimal::from(a.repeat.len() as i64) * Decimal::from(100)
                        / Decimal::from(a.customers.len() as i64),
                    1,
                )
            }),
        })
        .collect();
    out.sort_by(|x, y| {
        x.average_score
            .cmp(&y.average_score)
            .then(x.group.cmp(&y.group))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn questions_are_written_one_per_line() {
        let q = parse_questions("score: 您对产品质量的满意度\n\n交货是否及时\ntext?：其他建议\n")
            .unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(
            (q[0].key.as_str(), q[0].kind, q[0].required),
            ("q1", QuestionKind::Score, true)
        );
        assert_eq!(
            (q[1].text.as_str(), q[1].kind),
            ("交货是否及时", QuestionKind::Score)
        );
        assert_eq!(
            (q[2].key.as_str(), q[2].kind, q[2].required),
            ("q3", QuestionKind::Text, false)
        );
        assert_eq!(parse_questions(&questions_text(&q)).unwrap(), q);
        assert_eq!(parse_questions(" \n").unwrap_err().code, "required");
        assert_eq!(parse_questions("text: 建议").unwrap_err().code, "no_score");
        assert_eq!(
            parse_questions(&"score: x\n".repeat(21)).unwrap_err().code,
            "too_many"
        );
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let q = parse_questions("score: 质量\ntext?: 建议").unwrap();
        let raw = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        let a = parse_answers(&q, &raw(&[("q1", "4"), ("q2", " 希望送货前电话 ")])).unwrap();
        assert_eq!((a.score_sum(), a.score_count()), (4, 1));
        assert_eq!(a.texts["q2"], "希望送货前电话");
        assert!(
            parse_answers(&q, &raw(&[("q1", "5")])).is_ok(),
            "q2 is optional"
        );
        let e = parse_answers(&q, &raw(&[("q2", "x")])).unwrap_err();
        assert_eq!((e.field, e.code), ("q1", "required"));
        for bad in ["0", "6", "4.5", "好"] {
            let e = parse_answers(&q, &raw(&[("q1", bad)])).unwrap_err();
            assert_eq!((e.field, e.code), ("q1", "out_of_range"), "{bad}");
        }
        let e = parse_answers(&q, &raw(&[("q1", "3"), ("q9", "x")])).unwrap_err();
        assert_eq!(e.code, "unknown_question");
    }

    #[test]
    fn a_link_takes_answers_once_before_it_expires() {
        let exp = expires_at(t("2026-11-01T00:00:00Z"), 14);
        assert_eq!(exp, t("2026-11-15T00:00:00Z"));
        assert_eq!(check_link(false, exp, t("2026-11-14T23:59:59Z")), Ok(()));
        assert_eq!(
            check_link(false, exp, exp),
            Err(LinkRefusal::Expired),
            "expired at the instant"
        );
        assert_eq!(
            check_link(true, exp, t("2026-11-02T00:00:00Z")),
            Err(LinkRefusal::Answered)
        );
        assert_eq!(parse_valid_days(None), Ok(14));
        assert_eq!(parse_valid_days(Some(0)).unwrap_err().field, "valid_days");
    }

    #[test]
    fn results_put_scores_beside_repeat_purchase() {
        let r = |group, customer_id, score_sum, score_count, repeat_buyer| Response {
            group,
            customer_id,
            score_sum,
            score_count,
            repeat_buyer,
        };
        let out = results(&[
            // Salesperson 1: two customers, one bought again; scores 5+4 and 3.
            r(1, 10, 9, 2, true),
            r(1, 11, 3, 1, false),
            // Salesperson 2: one customer answering twice, never bought again.
            r(2, 20, 2, 1, false),
            r(2, 20, 2, 2, false),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].group, 2, "the lowest average first");
        assert_eq!(out[0].average_score, Some(Decimal::new(133, 2)));
        assert_eq!(
            (out[0].responses, out[0].customers),
            (2, 1),
            "a customer counts once"
        );
        assert_eq!(out[0].repeat_purchase_pct, Some(Decimal::ZERO));
        assert_eq!(out[1].average_score.unwrap().to_string(), "4.00");
        assert_eq!(out[0].repeat_purchase_pct.unwrap().to_string(), "0.0");
        assert_eq!(out[1].repeat_purchase_pct, Some(Decimal::new(500, 1)));
        assert!(results(&[]).is_empty());
        assert_eq!(results(&[r(3, 1, 0, 0, true)])[0].average_score, None);
    }

    proptest! {
        /// An average score always lies between 1 and 5, and the repeat share between 0 and
        /// 100, whatever the responses.
        #[test]
        fn averages_stay_in_range(rows in proptest::collection::vec((0i64..3, 0i64..5, 1i64..6, 1i64..4, any::<bool>()), 1..40)) {
            let responses: Vec<Response> = rows.iter().map(|(g, c, s, n, rb)| Response {
                group: *g, customer_id: *c, score_sum: s * n, score_count: *n, repeat_buyer: *rb,
            }).collect();
            for g in results(&responses) {
                let avg = g.average_score.unwrap();
                prop_assert!(avg >= Decimal::ONE && avg <= Decimal::from(5));
                let pct = g.repeat_purchase_pct.unwrap();
                prop_assert!(pct >= Decimal::ZERO && pct <= Decimal::from(100));
            }
        }
    }
}
