//! Scored screening of key accounts (seed 001, 客户的评估和筛选): the customer's attractiveness
//! and our ability to win it are each the weighted mean of factors scored 1–5; a score at or
//! above the company's threshold is "high", which places the customer in the screening matrix
//! (core, core potential, secondary, general). The factors of the ability to win are the seed's
//! (product, service and location advantage, the relationship, the competitor's position); the
//! seed names none for attractiveness, so the common ones of key-account practice are used.

use crate::error::ValidationError;
use crate::qualification::{key_account_class, KeyAccountClass, Level};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One side of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Axis {
    Attractiveness,
    AbilityToWin,
}

impl Axis {
    pub const ALL: [Axis; 2] = [Axis::Attractiveness, Axis::AbilityToWin];
    pub fn as_str(self) -> &'static str {
        match self {
            Axis::Attractiveness => "attractiveness",
            Axis::AbilityToWin => "ability_to_win",
        }
    }
    /// The factors scored on this axis, in the order forms show them.
    pub fn factors(self) -> &'static [&'static str] {
        match self {
            // 采购规模, 增长潜力, 利润贡献, 信用与回款, 战略价值
            Axis::Attractiveness => &["volume", "growth", "margin", "credit", "strategic"],
            // 产品优势, 服务优势, 位置优势, 客户关系, 竞争对手地位 (001)
            Axis::AbilityToWin => &[
                "product",
                "service",
                "location",
                "relationship",
                "competitor",
            ],
        }
    }
}

/// Every factor of both axes.
pub fn all_factors() -> impl Iterator<Item = &'static str> {
    Axis::ALL
        .into_iter()
        .flat_map(|a| a.factors().iter().copied())
}

/// The company's screening settings, kept by admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScreeningSettings {
    /// Factor → weight; the weights of each axis add up to 100.
    pub weights: BTreeMap<String, u32>,
    /// A score (0–100) at or above this is "high".
    pub threshold: u32,
    /// Matrix class (`core`, …) → the strategy the company set for it.
    pub strategies: BTreeMap<String, String>,
}

impl Default for ScreeningSettings {
    fn default() -> Self {
        let weights = all_factors().map(|f| (f.to_string(), 20)).collect();
        let strategies = [
            (
                "core",
                "重点投入：客户经理专人负责，制订客户计划，高层定期拜访",
            ),
            (
                "core_potential",
                "提升赢得能力：补齐产品与服务短板，建立关系，削弱竞争对手",
            ),
            ("secondary", "高效服务：标准化方案，控制成本，保持份额"),
            ("general", "常规对待：电话与群发维护，按节奏跟进"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Self {
            weights,
            threshold: 60,
            strategies,
        }
    }
}

/// The longest strategy text kept for a quadrant.
const MAX_STRATEGY_CHARS: usize = 500;

impl ScreeningSettings {
    fn weight(&self, factor: &str) -> u32 {
        self.weights.get(factor).copied().unwrap_or(0)
    }

    /// Settings as an admin submitted them: a known factor's weight only, each axis's weights
    /// adding up to 100, a threshold between 1 and 100, a strategy for known classes only.
    pub fn check(self) -> Result<Self, ValidationError> {
        if let Some(unknown) = self
            .weights
            .keys()
            .find(|k| !all_factors().any(|f| f == k.as_str()))
        {
            return Err(ValidationError::new(
                "weights",
                "unknown_factor",
                format!("{unknown} is not a screening factor"),
            ));
        }
        for axis in Axis::ALL {
            let sum: u32 = axis.factors().iter().map(|f| self.weight(f)).sum();
            if sum != 100 {
                return Err(ValidationError::new(
                    axis_weights_field(axis),
                    "weights_not_100",
                    format!("the weights of {} add up to {sum}, not 100", axis.as_str()),
                ));
            }
        }
        if !(1..=100).contains(&self.threshold) {
            return Err(ValidationError::new(
                "threshold",
                "out_of_range",
                "must be between 1 and 100",
            ));
        }
        for (class, text) in &self.strategies {
            if KeyAccountClass::ALL.iter().all(|c| c.as_str() != class) {
                return Err(ValidationError::new(
                    "strategies",
                    "invalid_choice",
                    format!("{class} is not a matrix class"),
                ));
            }
            if text.chars().count() > MAX_STRATEGY_CHARS {
                return Err(ValidationError::new(
                    "strategies",
                    "too_long",
                    format!("at most {MAX_STRATEGY_CHARS} characters"),
                ));
            }
        }
        Ok(self)
    }

    pub fn strategy(&self, class: KeyAccountClass) -> &str {
        self.strategies
            .get(class.as_str())
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn axis_weights_field(axis: Axis) -> &'static str {
    match axis {
        Axis::Attractiveness => "weights.attractiveness",
        Axis::AbilityToWin => "weights.ability_to_win",
    }
}

/// The field a factor's score is named by in a form and in errors.
pub fn score_field(factor: &str) -> &'static str {
    const FIELDS: [&str; 10] = [
        "scores.volume",
        "scores.growth",
        "scores.margin",
        "scores.credit",
        "scores.strategic",
        "scores.product",
        "scores.service",
        "scores.location",
        "scores.relationship",
        "scores.competitor",
    ];
    FIELDS
        .into_iter()
        .find(|f| f.strip_prefix("scores.") == Some(factor))
        .unwrap_or("scores")
}

/// A screening's outcome: both scores (0–100), their levels and the matrix class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Screening {
    pub attractiveness_score: u32,
    pub ability_score: u32,
    pub attractiveness: Level,
    pub ability_to_win: Level,
    pub class: KeyAccountClass,
}

/// Scores a customer: every factor of both axes scored 1–5, nothing else.
pub fn score(
    settings: &ScreeningSettings,
    scores: &BTreeMap<String, u8>,
) -> Result<Screening, ValidationError> {
    if let Some(unknown) = scores
        .keys()
        .find(|k| !all_factors().any(|f| f == k.as_str()))
    {
        return Err(ValidationError::new(
            "scores",
            "unknown_factor",
            format!("{unknown} is not a screening factor"),
        ));
    }
    let axis_score = |axis: Axis| -> Result<u32, ValidationError> {
        let mut weighted = 0u32;
        let mut total = 0u32;
        for factor in axis.factors() {
            let s = *scores.get(*factor).ok_or_else(|| {
                ValidationError::new(score_field(factor), "required", "score every factor 1–5")
            })?;
            if !(1..=5).contains(&s) {
                return Err(ValidationError::new(
                    score_field(factor),
                    "out_of_range",
                    "must be between 1 and 5",
                ));
            }
            let w = settings.weight(factor);
            // 1 → 0 and 5 → 100 points, so "every factor middling" is exactly 50.
            weighted += w * (u32::from(s) - 1) * 25;
            total += w;
        }
        // Weights that are all zero (only through a hand-edited setting) score nothing.
        Ok((weighted + total / 2).checked_div(total).unwrap_or(0))
    };
    let a = axis_score(Axis::Attractiveness)?;
    let w = axis_score(Axis::AbilityToWin)?;
    let level = |s: u32| {
        if s >= settings.threshold {
            Level::High
        } else {
            Level::Low
        }
    };
    Ok(Screening {
        attractiveness_score: a,
        ability_score: w,
        attractiveness: level(a),
        ability_to_win: level(w),
        class: key_account_class(level(a), level(w)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all(s: u8) -> BTreeMap<String, u8> {
        all_factors().map(|f| (f.to_string(), s)).collect()
    }

    #[test]
    fn equal_weights_place_the_customer_by_its_mean() {
        let settings = ScreeningSettings::default();
        let mut scores = all(5);
        let s = score(&settings, &scores).unwrap();
        assert_eq!((s.attractiveness_score, s.ability_score), (100, 100));
        assert_eq!(s.class, KeyAccountClass::Core);
        // Ability: 2,2,2,2,5 → (1+1+1+1+4)*25/5 = 40 → low: attractive but hard to win.
        for f in ["product", "service", "location", "relationship"] {
            scores.insert(f.into(), 2);
        }
        let s = score(&settings, &scores).unwrap();
        assert_eq!(s.ability_score, 40);
        assert_eq!(s.class, KeyAccountClass::CorePotential);
        assert_eq!(
            score(&settings, &all(1)).unwrap().class,
            KeyAccountClass::General
        );
        let mut at = all(1);
        for f in Axis::AbilityToWin.factors() {
            at.insert(f.to_string(), 4);
        }
        for f in ["volume", "growth"] {
            at.insert(f.to_string(), 5);
        }
        at.insert("margin".into(), 3);
        // (4+4+2+0+0)*25/5 = 50 → low; ability (3*5)*25/5 = 75 → high.
        let s = score(&settings, &at).unwrap();
        assert_eq!((s.attractiveness_score, s.ability_score), (50, 75));
        assert_eq!(s.class, KeyAccountClass::Secondary);
        let lower = ScreeningSettings {
            threshold: 50,
            ..settings
        };
        // Exactly at the threshold is high.
        assert_eq!(score(&lower, &at).unwrap().class, KeyAccountClass::Core);
    }

    #[test]
    fn weights_decide_which_factor_counts() {
        let mut settings = ScreeningSettings::default();
        for (f, w) in [
            ("product", 60),
            ("service", 10),
            ("location", 10),
            ("relationship", 10),
            ("competitor", 10),
        ] {
            settings.weights.insert(f.into(), w);
        }
        let mut scores = all(1);
        scores.insert("product".into(), 5);
        // 60 × 100 / 100 = 60 → high on the product advantage alone.
        let s = score(&settings.clone().check().unwrap(), &scores).unwrap();
        assert_eq!(s.ability_score, 60);
        assert_eq!(s.ability_to_win, Level::High);
    }

    #[test]
    fn incomplete_or_out_of_range_scores_name_the_factor() {
        let settings = ScreeningSettings::default();
        let mut scores = all(3);
        scores.remove("location");
        let e = score(&settings, &scores).unwrap_err();
        assert_eq!((e.field, e.code), ("scores.location", "required"));
        let mut scores = all(3);
        scores.insert("credit".into(), 6);
        let e = score(&settings, &scores).unwrap_err();
        assert_eq!((e.field, e.code), ("scores.credit", "out_of_range"));
        let mut scores = all(3);
        scores.insert("charm".into(), 3);
        assert_eq!(
            score(&settings, &scores).unwrap_err().code,
            "unknown_factor"
        );
    }

    #[test]
    fn settings_must_add_up() {
        assert!(ScreeningSettings::default().check().is_ok());
        let mut s = ScreeningSettings::default();
        s.weights.insert("growth".into(), 25);
        let e = s.check().unwrap_err();
        assert_eq!(
            (e.field, e.code),
            ("weights.attractiveness", "weights_not_100")
        );
        let s = ScreeningSettings {
            threshold: 0,
            ..Default::default()
        };
        assert_eq!(s.check().unwrap_err().field, "threshold");
        let mut s = ScreeningSettings::default();
        s.strategies.insert("vip".into(), "x".into());
        assert_eq!(s.check().unwrap_err().field, "strategies");
        let mut s = ScreeningSettings::default();
        s.weights.insert("charm".into(), 0);
        assert_eq!(s.check().unwrap_err().code, "unknown_factor");
        // A partial stored document keeps the defaults for what it omits.
        let partial: ScreeningSettings = serde_json::from_str(r#"{"threshold": 70}"#).unwrap();
        assert_eq!(partial.threshold, 70);
        assert_eq!(partial.weights.len(), 10);
    }

    proptest! {
        /// Scores stay within 0–100, and raising one factor never lowers the class.
        #[test]
        fn raising_a_factor_never_demotes(
            raw in proptest::collection::vec(1u8..=5, 10),
            which in 0usize..10,
            threshold in 1u32..=100,
        ) {
            let settings = ScreeningSettings { threshold, ..Default::default() };
            let names: Vec<&str> = all_factors().collect();
            let scores: BTreeMap<String, u8> =
                names.iter().zip(&raw).map(|(f, s)| (f.to_string(), *s)).collect();
            let before = score(&settings, &scores).unwrap();
            prop_assert!(before.attractiveness_score <= 100 && before.ability_score <= 100);
            let mut higher = scores.clone();
            let f = names[which].to_string();
            higher.insert(f.clone(), (scores[&f] + 1).min(5));
            let after = score(&settings, &higher).unwrap();
            prop_assert!(after.attractiveness_score >= before.attractiveness_score);
            prop_assert!(after.ability_score >= before.ability_score);
            let rank = |l: Level| matches!(l, Level::High) as u8;
            prop_assert!(rank(after.attractiveness) >= rank(before.attractiveness));
            prop_assert!(rank(after.ability_to_win) >= rank(before.ability_to_win));
        }
    }
}
