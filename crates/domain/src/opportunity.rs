//! Opportunities through the seed's stages of a sale (003): prospecting (客户开发), appointment
//! (约见面谈), presentation (产品推荐), closing (成交), after-sales service (售后服务).

use crate::error::ValidationError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Prospecting,
    Appointment,
    Presentation,
    Closing,
    AfterSales,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Prospecting,
        Stage::Appointment,
        Stage::Presentation,
        Stage::Closing,
        Stage::AfterSales,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Prospecting => "prospecting",
            Stage::Appointment => "appointment",
            Stage::Presentation => "presentation",
            Stage::Closing => "closing",
            Stage::AfterSales => "after_sales",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Stage::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "stage",
                    "invalid_choice",
                    "must be prospecting, appointment, presentation, closing or after_sales",
                )
            })
    }

    /// The default win probability of an open opportunity at this stage, in percent.
    pub fn default_probability(self) -> u8 {
        match self {
            Stage::Prospecting => 10,
            Stage::Appointment => 25,
            Stage::Presentation => 50,
            Stage::Closing => 80,
            Stage::AfterSales => 100,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Won,
    Lost,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Won => "won",
            Status::Lost => "lost",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "open" => Ok(Status::Open),
            "won" => Ok(Status::Won),
            "lost" => Ok(Status::Lost),
            _ => Err(ValidationError::new(
                "status",
                "invalid_choice",
                "must be open, won or lost",
            )),
        }
    }
}

/// A sum of money with its currency; never negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
}

impl Money {
    pub fn parse(
        field: &'static str,
        amount: &str,
        currency: Option<&str>,
    ) -> Result<Self, ValidationError> {
        let d = crate::money::parse_amount(field, amount)?;
        let currency = currency
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .unwrap_or("CNY")
            .to_ascii_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ValidationError::new(
                "currency",
                "invalid_currency",
                "must be a three-letter currency code such as CNY",
            ));
        }
        Ok(Money {
            amount: d.normalize(),
            currency,
        })
    }
}

pub fn parse_probability(raw: Option<i64>, stage: Stage) -> Result<u8, ValidationError> {
    match raw {
        None => Ok(stage.default_probability()),
        Some(p) if (0..=100).contains(&p) => Ok(p as u8),
        Some(_) => Err(ValidationError::new(
            "probability",
            "out_of_range",
            "must be between 0 and 100",
        )),
    }
}

/// A status change the rules allow: open → won or lost (lost needs a reason); a lost
/// opportunity may be reopened; a won one is final (after-sales continues on it).
pub fn check_transition(
    from: Status,
    to: Status,
    reason: Option<&str>,
) -> Result<(), ValidationError> {
    match (from, to) {
        (Status::Open, Status::Won) => Ok(()),
        (Status::Open, Status::Lost) | (Status::Lost, Status::Lost) => {
            match reason.map(str::trim) {
                Some(r) if !r.is_empty() => Ok(()),
                _ => Err(ValidationError::new(
                    "lost_reason",
                    "required",
                    "say why the opportunity was lost",
                )),
            }
        }
        (Status::Lost, Status::Open) => Ok(()),
        (a, b) if a == b => Ok(()),
        _ => Err(ValidationError::new(
            "status",
            "invalid_transition",
            "a won opportunity cannot change its outcome",
        )),
    }
}

/// Amount × probability: what the pipeline expects from an open opportunity.
pub fn weighted(amount: Decimal, probability: u8) -> Decimal {
    (amount.saturating_mul(Decimal::from(probability)) / Decimal::ONE_HUNDRED).round_dp(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_probabilities_and_same_status_changes() {
        for (st, text) in [
            (Status::Open, "open"),
            (Status::Won, "won"),
            (Status::Lost, "lost"),
        ] {
            assert_eq!(st.as_str(), text);
            assert_eq!(Status::parse(text), Ok(st));
        }
        assert_eq!(Status::parse("maybe").unwrap_err().field, "status");
        assert_eq!(parse_probability(Some(0), Stage::Closing), Ok(0));
        assert_eq!(parse_probability(Some(100), Stage::Closing), Ok(100));
        assert_eq!(
            parse_probability(Some(101), Stage::Closing)
                .unwrap_err()
                .code,
            "out_of_range"
        );
        assert_eq!(
            parse_probability(Some(-1), Stage::Closing)
                .unwrap_err()
                .code,
            "out_of_range"
        );
        // Saving an opportunity without changing its outcome is no transition at all.
        assert!(check_transition(Status::Open, Status::Open, None).is_ok());
        assert!(check_transition(Status::Won, Status::Won, None).is_ok());
        assert!(check_transition(Status::Won, Status::Open, None).is_err());
    }
    use proptest::prelude::*;

    #[test]
    fn stages_and_defaults() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()).unwrap(), s);
        }
        assert!(Stage::Prospecting < Stage::Closing);
        assert_eq!(Stage::Presentation.default_probability(), 50);
        assert_eq!(Stage::parse("plan").unwrap_err().field, "stage");
    }

    #[test]
    fn money_and_probability() {
        let m = Money::parse("amount", "120,000.50", None).unwrap();
        assert_eq!(
            (m.amount.to_string(), m.currency.as_str()),
            ("120000.5".into(), "CNY")
        );
        assert_eq!(
            Money::parse("amount", "-1", None).unwrap_err().code,
            "invalid_amount"
        );
        assert_eq!(
            Money::parse("amount", "1", Some("yuan")).unwrap_err().field,
            "currency"
        );
        assert_eq!(parse_probability(None, Stage::Closing).unwrap(), 80);
        assert_eq!(
            parse_probability(Some(101), Stage::Closing)
                .unwrap_err()
                .field,
            "probability"
        );
    }

    #[test]
    fn outcomes() {
        assert!(check_transition(Status::Open, Status::Won, None).is_ok());
        assert_eq!(
            check_transition(Status::Open, Status::Lost, Some(" "))
                .unwrap_err()
                .field,
            "lost_reason"
        );
        assert!(check_transition(Status::Open, Status::Lost, Some("价格")).is_ok());
        assert!(check_transition(Status::Lost, Status::Open, None).is_ok());
        assert_eq!(
            check_transition(Status::Won, Status::Lost, Some("x"))
                .unwrap_err()
                .code,
            "invalid_transition"
        );
    }

    proptest! {
        #[test]
        fn weighted_never_exceeds_amount(units in 0u64..1_000_000_000, p in 0u8..=100) {
            let a = Decimal::from(units);
            let w = weighted(a, p);
            prop_assert!(w >= Decimal::ZERO && w <= a);
            prop_assert_eq!(weighted(a, 100), a);
        }
    }
}
