//! Orders with lines, and the money that moves on them: deposits, payments, refunds.
//! An order's total always equals its lines; for a unique item the first deposit wins.

use crate::error::ValidationError;
use crate::money;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
}

impl OrderLine {
    /// Quantity × unit price. Parsed lines are bounded (`money`), so this cannot leave the
    /// decimal range; stored data from before the bounds saturates rather than panicking.
    pub fn amount(&self) -> Decimal {
        self.quantity.saturating_mul(self.unit_price).round_dp(2)
    }
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
    let quantity = money::parse("quantity", quantity.unwrap_or(""), money::QUANTITY)?;
    if quantity.is_zero() {
        return Err(ValidationError::new(
            "quantity",
            "out_of_range",
            "must be more than zero",
        ));
    }
    let unit_price = match unit_price.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => money::parse_amount("unit_price", p)?,
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
    money::sum(lines.iter().map(OrderLine::amount))
}

/// The total of a new order, which like every amount may not exceed [`money::MAX_AMOUNT`].
pub fn checked_total(lines: &[OrderLine]) -> Result<Decimal, ValidationError> {
    let t = total(lines);
    if t > money::MAX_AMOUNT {
        return Err(ValidationError::new(
            "lines",
            "out_of_range",
            format!("the order total must be at most {}", money::MAX_AMOUNT),
        ));
    }
    Ok(t)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// What the payment adds to the money collected: a refund takes it back.
    pub fn signed(self, amount: Decimal) -> Decimal {
        match self {
            Self::Refund => -amount,
            Self::Deposit | Self::Payment => amount,
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
    money::parse_positive_amount("amount", raw)
}

/// Payment terms when an order names no due date: net 30 days from the order day.
pub const DEFAULT_PAYMENT_DAYS: i64 = 30;

/// The due date of an order: as given (not before the order day), or net 30.
pub fn parse_due_date(
    raw: Option<&str>,
    order_day: NaiveDate,
) -> Result<NaiveDate, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(order_day + chrono::Duration::days(DEFAULT_PAYMENT_DAYS)),
        Some(s) => {
            let due = crate::day::parse("due_date", s)?;
            if due < order_day {
                return Err(ValidationError::new(
                    "due_date",
                    "out_of_range",
                    "cannot be before the order day",
                ));
            }
            Ok(due)
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Partial,
    Delivered,
    Returned,
}

impl DeliveryStatus {
    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Partial,
        Self::Delivered,
        Self::Returned,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Partial => "partial",
            Self::Delivered => "delivered",
            Self::Returned => "returned",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "delivery_status",
                    "invalid_choice",
                    "must be pending, partial, delivered or returned",
                )
            })
    }
}

/// Overdue ageing of a receivable (账龄), in days past the due date on the given day.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Ageing {
    NotDue,
    #[serde(rename = "days_1_30")]
    Days1To30,
    #[serde(rename = "days_31_60")]
    Days31To60,
    #[serde(rename = "days_61_90")]
    Days61To90,
    #[serde(rename = "over_90")]
    Over90,
}

impl Ageing {
    pub const ALL: [Self; 5] = [
        Self::NotDue,
        Self::Days1To30,
        Self::Days31To60,
        Self::Days61To90,
        Self::Over90,
    ];
    /// A receivable due today is not overdue yet; it is one day overdue tomorrow.
    pub fn of(due: NaiveDate, on: NaiveDate) -> Self {
        match (on - due).num_days() {
            d if d <= 0 => Self::NotDue,
            1..=30 => Self::Days1To30,
            31..=60 => Self::Days31To60,
            61..=90 => Self::Days61To90,
            _ => Self::Over90,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotDue => "not_due",
            Self::Days1To30 => "days_1_30",
            Self::Days31To60 => "days_31_60",
            Self::Days61To90 => "days_61_90",
            Self::Over90 => "over_90",
        }
    }
}

/// The gross margin of an order line: its amount less what its quantity cost, or none when
/// the product had no cost when the order was taken. Saturates rather than panicking.
pub fn line_margin(
    amount: Decimal,
    quantity: Decimal,
    unit_cost: Option<Decimal>,
) -> Option<Decimal> {
    let cost = unit_cost?.checked_mul(quantity).unwrap_or(Decimal::MAX);
    Some(amount.saturating_sub(cost))
}

/// The gross margin of an order from its lines' margins: none when any line's cost is unknown,
/// so that an order never shows a margin its missing costs would inflate.
pub fn order_margin(lines: impl IntoIterator<Item = Option<Decimal>>) -> Option<Decimal> {
    lines
        .into_iter()
        .try_fold(Decimal::ZERO, |acc, m| m.map(|m| acc.saturating_add(m)))
}

/// What has been paid on an order (deposits and payments less refunds).
pub fn paid(payments: &[(PaymentKind, Decimal)]) -> Decimal {
    money::sum(payments.iter().map(|(k, a)| k.signed(*a)))
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
        PaymentKind::Deposit | PaymentKind::Payment if already.saturating_add(amount) > total => {
            Err(ValidationError::new(
                "amount",
                "over_payment",
                "cannot pay more than the order total",
            ))
        }
        _ => Ok(()),
    }
}

/// For a unique item the first deposit wins: a deposit on an order is refused while another
/// order for the same item holds a deposit that has not been paid back in full. `rivals` are
/// the payments of each other order for one of this order's unique items.
pub fn item_taken<'a>(
    kind: PaymentKind,
    rivals: impl IntoIterator<Item = &'a [(PaymentKind, Decimal)]>,
) -> bool {
    kind == PaymentKind::Deposit
        && rivals
            .into_iter()
            .any(|pays| commission_right(pays) && paid(pays) > Decimal::ZERO)
}

/// The commission right arises with the first deposit and stays even if it is refunded later.
pub fn commission_right(payments: &[(PaymentKind, Decimal)]) -> bool {
    payments.iter().any(|(k, _)| *k == PaymentKind::Deposit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_need_every_cost() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(
            line_margin(d("1000"), d("10"), Some(d("60"))),
            Some(d("400"))
        );
        assert_eq!(
            line_margin(d("1000"), d("10"), Some(d("120"))),
            Some(d("-200"))
        );
        assert_eq!(line_margin(d("1000"), d("10"), None), None);
        assert_eq!(
            order_margin([Some(d("400")), Some(d("-50"))]),
            Some(d("350"))
        );
        assert_eq!(order_margin([Some(d("400")), None]), None);
        assert_eq!(order_margin(std::iter::empty()), Some(Decimal::ZERO));
    }
    use proptest::prelude::*;
    use std::str::FromStr;

    #[test]
    fn an_order_total_is_bounded() {
        let line = |q: &str, p: &str| OrderLine {
            product_id: 1,
            quantity: d(q),
            unit_price: d(p),
        };
        let at_bound = [line("1", "999999999999.99")];
        assert_eq!(checked_total(&at_bound).unwrap(), money::MAX_AMOUNT);
        let over = [line("1", "999999999999.99"), line("1", "0.01")];
        let e = checked_total(&over).unwrap_err();
        assert_eq!((e.field, e.code), ("lines", "out_of_range"));
        assert_eq!(checked_total(&[line("2", "1.5")]).unwrap(), d("3"));
    }

    #[test]
    fn payment_kinds_round_trip() {
        for k in [
            PaymentKind::Deposit,
            PaymentKind::Payment,
            PaymentKind::Refund,
        ] {
            assert_eq!(PaymentKind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(PaymentKind::Deposit.as_str(), "deposit");
        assert_eq!(PaymentKind::parse("gift").unwrap_err().field, "kind");
    }

    #[test]
    fn paid_and_refund_limits() {
        use PaymentKind::*;
        let flows = [(Deposit, d("100")), (Payment, d("50")), (Refund, d("30"))];
        assert_eq!(paid(&flows), d("120"));
        assert_eq!(paid(&[]), Decimal::ZERO);
        assert!(check_payment(d("500"), &flows, Refund, d("120")).is_ok());
        assert_eq!(
            check_payment(d("500"), &flows, Refund, d("120.01"))
                .unwrap_err()
                .code,
            "over_refund"
        );
        assert!(check_payment(d("500"), &flows, Payment, d("380")).is_ok());
        assert_eq!(
            check_payment(d("500"), &flows, Payment, d("380.01"))
                .unwrap_err()
                .code,
            "over_payment"
        );
    }

    #[test]
    fn the_first_deposit_on_a_unique_item_wins() {
        use PaymentKind::*;
        let deposit = [(Deposit, Decimal::from(5000))];
        let refunded = [
            (Deposit, Decimal::from(5000)),
            (Refund, Decimal::from(5000)),
        ];
        let paid_only = [(Payment, Decimal::from(100))];
        let none: [(PaymentKind, Decimal); 0] = [];
        assert!(item_taken(Deposit, [&deposit[..]]));
        assert!(item_taken(Deposit, [&none[..], &deposit[..]]));
        assert!(
            !item_taken(Deposit, [&refunded[..]]),
            "a deposit paid back frees the item"
        );
        assert!(
            !item_taken(Deposit, [&paid_only[..]]),
            "a payment without a deposit holds nothing"
        );
        assert!(!item_taken(Deposit, [&none[..]]));
        assert!(
            !item_taken(Payment, [&deposit[..]]),
            "only a rival deposit is refused"
        );
        assert!(!item_taken(Refund, [&deposit[..]]));
    }

    #[test]
    fn the_commission_right_comes_with_a_deposit_only() {
        use PaymentKind::*;
        assert!(!commission_right(&[(Payment, Decimal::from(10))]));
        assert!(!commission_right(&[]));
        assert!(commission_right(&[
            (Payment, Decimal::ONE),
            (Deposit, Decimal::ONE)
        ]));
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn due_dates_and_ageing() {
        let ordered = day("2026-11-10");
        assert_eq!(parse_due_date(None, ordered).unwrap(), day("2026-12-10"));
        assert_eq!(
            parse_due_date(Some("2026-11-10"), ordered).unwrap(),
            ordered
        );
        assert_eq!(
            parse_due_date(Some("2026-11-09"), ordered)
                .unwrap_err()
                .code,
            "out_of_range"
        );
        assert_eq!(
            parse_due_date(Some("11/30"), ordered).unwrap_err().field,
            "due_date"
        );
        let due = day("2026-12-10");
        assert_eq!(Ageing::of(due, day("2026-12-10")), Ageing::NotDue);
        assert_eq!(Ageing::of(due, day("2026-12-11")), Ageing::Days1To30);
        assert_eq!(Ageing::of(due, day("2027-01-09")), Ageing::Days1To30);
        assert_eq!(Ageing::of(due, day("2027-01-10")), Ageing::Days31To60);
        assert_eq!(Ageing::of(due, day("2027-03-10")), Ageing::Days61To90);
        assert_eq!(Ageing::of(due, day("2027-03-11")), Ageing::Over90);
        for a in Ageing::ALL {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                a.as_str(),
                "JSON uses the catalog keys"
            );
        }
        assert_eq!(
            DeliveryStatus::parse("delivered").unwrap(),
            DeliveryStatus::Delivered
        );
        assert_eq!(
            DeliveryStatus::parse("shipped").unwrap_err().field,
            "delivery_status"
        );
    }

    proptest! {
        /// Ageing never gets younger as days pass.
        #[test]
        fn ageing_is_monotonic(due in 0i64..1000, a in 0i64..1000, b in 0i64..1000) {
            let base = day("2026-01-01");
            let due = base + chrono::Duration::days(due);
            let (early, late) = (a.min(b), a.max(b));
            prop_assert!(Ageing::of(due, base + chrono::Duration::days(early)) <= Ageing::of(due, base + chrono::Duration::days(late)));
        }
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
