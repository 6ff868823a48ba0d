//! The inside-sales clerk's expense advances (费用借支): money advanced to a salesperson for
//! travel and entertainment, later settled by receipts or repaid. The balance is what the
//! salesperson still has to account for.

use crate::error::ValidationError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdvanceKind {
    /// Money handed to the salesperson.
    Advance,
    /// Receipts accepted or cash returned against earlier advances.
    Settlement,
}

impl AdvanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advance => "advance",
            Self::Settlement => "settlement",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "advance" => Ok(Self::Advance),
            "settlement" => Ok(Self::Settlement),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be advance or settlement",
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceEntry {
    pub kind: AdvanceKind,
    pub amount: Decimal,
    pub purpose: String,
    pub occurred_on: NaiveDate,
}

/// Parses an entry; the day may not lie in the future (`today` comes from the caller's clock).
pub fn parse_entry(
    kind: &str,
    amount: &str,
    purpose: &str,
    occurred_on: Option<&str>,
    today: NaiveDate,
) -> Result<AdvanceEntry, ValidationError> {
    let kind = AdvanceKind::parse(kind)?;
    let amount = crate::order::parse_amount(amount)?;
    let purpose = purpose.trim();
    if purpose.is_empty() {
        return Err(ValidationError::new(
            "purpose",
            "required",
            "say what the money is for",
        ));
    }
    if purpose.chars().count() > 500 {
        return Err(ValidationError::new(
            "purpose",
            "too_long",
            "must be at most 500 characters",
        ));
    }
    let occurred_on = match occurred_on.map(str::trim).filter(|s| !s.is_empty()) {
        None => today,
        Some(s) => crate::day::parse("occurred_on", s)?,
    };
    if occurred_on > today {
        return Err(ValidationError::new(
            "occurred_on",
            "out_of_range",
            "cannot be in the future",
        ));
    }
    Ok(AdvanceEntry {
        kind,
        amount,
        purpose: purpose.to_string(),
        occurred_on,
    })
}

/// Outstanding advances: advances less settlements.
pub fn balance(entries: &[(AdvanceKind, Decimal)]) -> Decimal {
    crate::money::sum(entries.iter().map(|(k, a)| match k {
        AdvanceKind::Advance => *a,
        AdvanceKind::Settlement => -*a,
    }))
}

/// A settlement may not exceed what is outstanding.
pub fn check_entry(
    entries: &[(AdvanceKind, Decimal)],
    entry: &AdvanceEntry,
) -> Result<(), ValidationError> {
    if entry.kind == AdvanceKind::Settlement && entry.amount > balance(entries) {
        return Err(ValidationError::new(
            "amount",
            "over_settlement",
            "cannot settle more than is outstanding",
        ));
    }
    Ok(())
}

/// Sums amounts per key (per ageing bucket, per salesperson, per customer…), keys in order.
pub fn sum_by<K: Ord>(
    items: impl IntoIterator<Item = (K, Decimal)>,
) -> std::collections::BTreeMap<K, Decimal> {
    let mut out = std::collections::BTreeMap::new();
    for (k, a) in items {
        let sum = out.entry(k).or_insert(Decimal::ZERO);
        *sum = sum.saturating_add(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn kinds_purposes_and_exact_settlements() {
        for k in [AdvanceKind::Advance, AdvanceKind::Settlement] {
            assert_eq!(AdvanceKind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(AdvanceKind::Advance.as_str(), "advance");
        assert!(parse_entry("advance", "1", &"途".repeat(500), None, today()).is_ok());
        assert_eq!(
            parse_entry("advance", "1", &"途".repeat(501), None, today())
                .unwrap_err()
                .code,
            "too_long"
        );
        let ledger = [
            (AdvanceKind::Advance, Decimal::from(3000)),
            (AdvanceKind::Settlement, Decimal::from(1000)),
        ];
        assert_eq!(balance(&ledger), Decimal::from(2000));
        let settle =
            |amount: &str| parse_entry("settlement", amount, "报销", None, today()).unwrap();
        assert!(
            check_entry(&ledger, &settle("2000")).is_ok(),
            "settling exactly what is out"
        );
        assert_eq!(
            check_entry(&ledger, &settle("2000.01")).unwrap_err().code,
            "over_settlement"
        );
    }

    #[test]
    fn entries_parse_and_settle() {
        let a = parse_entry("advance", "3000", "出差上海", None, today()).unwrap();
        assert_eq!(a.occurred_on, today());
        let err = parse_entry("advance", "-5", "x", None, today()).unwrap_err();
        assert_eq!(err.field, "amount");
        assert_eq!(
            parse_entry("advance", "5", " ", None, today())
                .unwrap_err()
                .field,
            "purpose"
        );
        assert_eq!(
            parse_entry("advance", "5", "x", Some("2026-11-24"), today())
                .unwrap_err()
                .code,
            "out_of_range"
        );
        let ledger = vec![(AdvanceKind::Advance, a.amount)];
        let settle = parse_entry("settlement", "2500.50", "发票", None, today()).unwrap();
        check_entry(&ledger, &settle).unwrap();
        let too_much = parse_entry("settlement", "3000.01", "发票", None, today()).unwrap();
        assert_eq!(
            check_entry(&ledger, &too_much).unwrap_err().code,
            "over_settlement"
        );
    }

    proptest! {
        /// Accepting only checked entries keeps every balance non-negative.
        #[test]
        fn balance_never_goes_negative(steps in proptest::collection::vec((any::<bool>(), 1u32..10_000), 0..40)) {
            let mut ledger = Vec::new();
            for (advance, cents) in steps {
                let entry = AdvanceEntry {
                    kind: if advance { AdvanceKind::Advance } else { AdvanceKind::Settlement },
                    amount: Decimal::new(i64::from(cents), 2),
                    purpose: "x".into(),
                    occurred_on: today(),
                };
                if check_entry(&ledger, &entry).is_ok() {
                    ledger.push((entry.kind, entry.amount));
                }
                prop_assert!(balance(&ledger) >= Decimal::ZERO);
            }
        }
    }
}
