//! Orders with lines, and the money that moves on them: deposits, payments, refunds.
//! An order's total always equals its lines; for a unique item the first deposit wins.

use crate::error::ValidationError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

impl OrderLine {
    pub fn amount(&self) -> Decimal {
        (self.quantity * self.unit_price).round_dp(2)
    }
}

fn decimal(field: &'static str, raw: &str, scale: u32) -> Result<Decimal, ValidationError> {
    let d = Decimal::from_str(raw.trim().replace([',', '，'], "").as_str()).map_err(|_| {
        ValidationError::new(field, "invalid_amount", "must be a number like 12.50")
    })?;
    if d.is_sign_negative() || d.scale() > scale {
        return Err(ValidationError::new(
            field,
            "invalid_amount",
            format!("must be non-negative with at most {scale} decimals"),
        ));
    }
    Ok(d.normalize())
}

/// Parses an order line; the unit price defaults to the price list's.
pub fn parse_line(
    product_id: Option<i64>,
    quantity: Option<&str>,
    unit_price: Option<&str>,
    list_price: Decimal,
) -> Result<OrderLine, ValidationError> {
    let product_id = product_id
        .ok_or_else(|| ValidationError::new("product_id", "required", "choose a product"))?;
    let quantity = decimal("quantity", quantity.unwrap_or(""), 3)?;
    if quantity.is_zero() {
        return Err(ValidationError::new(
            "quantity",
            "out_of_range",
            "must be more than zero",
        ));
    }
    let unit_price = match unit_price.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => decimal("unit_price", p, 2)?,
        None => list_price,
    };
    Ok(OrderLine {
        product_id,
        quantity,
        unit_price,
    })
}

/// The order total: always the sum of its lines.
pub fn total(lines: &[OrderLine]) -> Decimal {
    lines.iter().map(OrderLine::amount).sum()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    Deposit,
    Payment,
    Refund,
}

impl PaymentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Payment => "payment",
            Self::Refund => "refund",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "deposit" => Ok(Self::Deposit),
            "payment" => Ok(Self::Payment),
            "refund" => Ok(Self::Refund),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be deposit, payment or refund",
            )),
        }
    }
}

pub fn parse_amount(raw: &str) -> Result<Decimal, ValidationError> {
    let d = decimal("amount", raw, 2)?;
    if d.is_zero() {
        return Err(ValidationError::new(
            "amount",
            "out_of_range",
            "must be more than zero",
        ));
    }
    Ok(d)
}

/// What has been paid on an order (deposits and payments less refunds).
pub fn paid(payments: &[(PaymentKind, Decimal)]) -> Decimal {
    payments
        .iter()
        .map(|(k, a)| match k {
            PaymentKind::Refund => -*a,
            _ => *a,
        })
        .sum()
}

/// Checks a new payment against the order: nothing is paid beyond the total, and no more is
/// refunded than was paid.
pub fn check_payment(
    total: Decimal,
    payments: &[(PaymentKind, Decimal)],
    kind: PaymentKind,
    amount: Decimal,
) -> Result<(), ValidationError> {
    let already = paid(payments);
    match kind {
        PaymentKind::Refund if amount > already => Err(ValidationError::new(
            "amount",
            "over_refund",
            "cannot refund more than has been paid",
        )),
        PaymentKind::Deposit | PaymentKind::Payment if already + amount > total => {
            Err(ValidationError::new(
                "amount",
                "over_payment",
                "cannot pay more than the order total",
            ))
        }
        _ => Ok(()),
    }
}

/// The commission right arises with the first deposit and stays even if it is refunded later.
pub fn commission_right(payments: &[(PaymentKind, Decimal)]) -> bool {
    payments.iter().any(|(k, _)| *k == PaymentKind::Deposit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn lines_and_totals() {
        let l = parse_line(Some(1), Some("3"), None, d("35.5")).unwrap();
        assert_eq!(l.amount(), d("106.5"));
        let l2 = parse_line(Some(2), Some("1.5"), Some("10"), d("99")).unwrap();
        assert_eq!(total(&[l, l2]), d("121.5"));
        assert_eq!(
            parse_line(Some(1), Some("0"), None, d("1"))
                .unwrap_err()
                .field,
            "quantity"
        );
        assert_eq!(
            parse_line(None, Some("1"), None, d("1")).unwrap_err().field,
            "product_id"
        );
        assert_eq!(
            parse_line(Some(1), Some("1"), Some("-3"), d("1"))
                .unwrap_err()
                .field,
            "unit_price"
        );
    }

    #[test]
    fn payments() {
        let p = vec![
            (PaymentKind::Deposit, d("100")),
            (PaymentKind::Refund, d("100")),
        ];
        assert_eq!(paid(&p), d("0"));
        assert!(commission_right(&p), "the right stays after the refund");
        assert_eq!(
            check_payment(d("500"), &p, PaymentKind::Refund, d("1"))
                .unwrap_err()
                .code,
            "over_refund"
        );
        assert_eq!(
            check_payment(d("500"), &[], PaymentKind::Payment, d("501"))
                .unwrap_err()
                .code,
            "over_payment"
        );
        assert!(check_payment(d("500"), &[], PaymentKind::Payment, d("500")).is_ok());
    }

    proptest! {
        /// The total is exactly the sum of the lines' amounts, and accepted payments never take
        /// what is paid below zero or above the total.
        #[test]
        fn totals_and_balances(lines in proptest::collection::vec((1u32..100, 0u32..100_000), 1..10),
                               pays in proptest::collection::vec((0u8..3, 1u32..50_000), 0..20)) {
            let lines: Vec<OrderLine> = lines.iter().map(|(q, p)| OrderLine { product_id: 1, quantity: Decimal::from(*q), unit_price: Decimal::new(i64::from(*p), 2) }).collect();
            let t = total(&lines);
            prop_assert_eq!(t, lines.iter().map(|l| l.quantity * l.unit_price).sum::<Decimal>());
            let mut accepted = Vec::new();
            for (k, a) in pays {
                let kind = [PaymentKind::Deposit, PaymentKind::Payment, PaymentKind::Refund][k as usize];
                let amount = Decimal::new(i64::from(a), 2);
                if check_payment(t, &accepted, kind, amount).is_ok() {
                    accepted.push((kind, amount));
                }
                let p = paid(&accepted);
                prop_assert!(p >= Decimal::ZERO && p <= t);
            }
        }
    }
}
