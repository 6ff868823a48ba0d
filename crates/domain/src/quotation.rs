//! Quotations (报价方案, seeds 003 and DOMAIN "a solution is a product mix, a price and a
//! service"): lines from the price list with a discount each, a validity and terms. A discount
//! beyond the company's limit needs the salesperson's own superior to approve before the
//! quotation goes to the customer. Every change after submission is a new version; an accepted
//! quotation becomes an order in one step, at the quoted prices.

use crate::error::ValidationError;
use crate::money;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A line as quoted: the price list's price when quoted, and the discount on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuoteLine {
    pub product_id: i64,
    pub product_name: String,
    pub unit: String,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub list_price: Decimal,
    /// Percent off the list price, 0–100.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_percent: Decimal,
}

impl QuoteLine {
    /// The list price less the discount, to the fen.
    pub fn unit_price(&self) -> Decimal {
        (self.list_price * (Decimal::ONE_HUNDRED - self.discount_percent) / Decimal::ONE_HUNDRED)
            .round_dp(2)
    }
    pub fn amount(&self) -> Decimal {
        self.quantity.saturating_mul(self.unit_price()).round_dp(2)
    }
}

pub fn total(lines: &[QuoteLine]) -> Decimal {
    money::sum(lines.iter().map(QuoteLine::amount))
}

/// The deepest discount of a quotation.
pub fn max_discount(lines: &[QuoteLine]) -> Decimal {
    lines
        .iter()
        .map(|l| l.discount_percent)
        .max()
        .unwrap_or(Decimal::ZERO)
}

/// The company's quotation settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct QuotationSettings {
    /// A discount above this percent needs the superior's approval.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_limit: Decimal,
    /// Days a quotation is valid when it names no date.
    pub validity_days: u32,
}

impl Default for QuotationSettings {
    fn default() -> Self {
        Self {
            discount_limit: Decimal::TEN,
            validity_days: 30,
        }
    }
}

impl QuotationSettings {
    pub fn check(self) -> Result<Self, ValidationError> {
        if self.discount_limit.is_sign_negative() || self.discount_limit > Decimal::ONE_HUNDRED {
            return Err(ValidationError::new(
                "discount_limit",
                "out_of_range",
                "must be between 0 and 100",
            ));
        }
        if !(1..=365).contains(&self.validity_days) {
            return Err(ValidationError::new(
                "validity_days",
                "out_of_range",
                "must be between 1 and 365",
            ));
        }
        Ok(self)
    }
}

/// Whether the quotation needs approval: a discount over the limit, unless the salesperson
/// has nobody above them (the head of the line decides alone).
pub fn needs_approval(lines: &[QuoteLine], limit: Decimal, has_superior: bool) -> bool {
    has_superior && max_discount(lines) > limit
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Status {
    Draft,
    PendingApproval,
    Approved,
    Sent,
    Accepted,
    Declined,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Draft,
        Status::PendingApproval,
        Status::Approved,
        Status::Sent,
        Status::Accepted,
        Status::Declined,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::PendingApproval => "pending_approval",
            Status::Approved => "approved",
            Status::Sent => "sent",
            Status::Accepted => "accepted",
            Status::Declined => "declined",
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
                    "must be draft, pending_approval, approved, sent, accepted or declined",
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
pub enum Step {
    /// The salesperson finishes the draft: approved at once within the limit.
    Submit,
    /// The superior clears a discount over the limit.
    Approve,
    /// The superior sends it back (with a note).
    Return,
    /// Given to the customer.
    Send,
    /// The customer accepted: an order is made.
    Accept,
    /// The customer declined.
    Decline,
    /// A new version from this one.
    Revise,
}

impl Step {
    pub const ALL: [Step; 7] = [
        Step::Submit,
        Step::Approve,
        Step::Return,
        Step::Send,
        Step::Accept,
        Step::Decline,
        Step::Revise,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Approve => "approve",
            Step::Return => "return",
            Step::Send => "send",
            Step::Accept => "accept",
            Step::Decline => "decline",
            Step::Revise => "revise",
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
                    "must be submit, approve, return, send, accept, decline or revise",
                )
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotationRefusal {
    /// Only the salesperson who quotes edits, submits, sends, records the answer and revises.
    NotYours,
    /// Only the salesperson's own superior approves or returns.
    NotTheApprover,
    /// A submitted version does not change.
    Locked,
    /// The step does not apply to the status.
    NotAllowed,
    /// Past its validity: revise it with a new date.
    Expired,
}

impl QuotationRefusal {
    pub fn code(self) -> &'static str {
        match self {
            QuotationRefusal::NotYours => "quotation_not_yours",
            QuotationRefusal::NotTheApprover => "not_discount_approver",
            QuotationRefusal::Locked => "quotation_locked",
            QuotationRefusal::NotAllowed => "quotation_step_not_allowed",
            QuotationRefusal::Expired => "quotation_expired",
        }
    }
    pub fn message(self) -> String {
        match self {
            QuotationRefusal::NotYours => {
                "only the salesperson who made the quotation changes it or records the answer"
                    .into()
            }
            QuotationRefusal::NotTheApprover => {
                "only the salesperson's own superior approves a discount over the limit".into()
            }
            QuotationRefusal::Locked => {
                "a submitted quotation does not change; revise it into a new version".into()
            }
            QuotationRefusal::NotAllowed => {
                "the quotation's status does not allow this step".into()
            }
            QuotationRefusal::Expired => {
                "the quotation is past its validity; revise it with a new date".into()
            }
        }
    }
}

/// Only the owner edits, only a draft.
pub fn check_edit(actor: i64, owner: i64, status: Status) -> Result<(), QuotationRefusal> {
    if actor != owner {
        Err(QuotationRefusal::NotYours)
    } else if status != Status::Draft {
        Err(QuotationRefusal::Locked)
    } else {
        Ok(())
    }
}

/// The status after `step` by `actor`. `approval_needed` is [`needs_approval`] of the
/// version; `expired` whether today is past its validity.
pub fn next_status(
    from: Status,
    step: Step,
    actor: i64,
    owner: i64,
    owner_superior: Option<i64>,
    approval_needed: bool,
    expired: bool,
) -> Result<Status, QuotationRefusal> {
    use Status::*;
    let by_owner = actor == owner;
    match step {
        Step::Approve | Step::Return => {
            if owner_superior != Some(actor) {
                Err(QuotationRefusal::NotTheApprover)
            } else if from != PendingApproval {
                Err(QuotationRefusal::NotAllowed)
            } else if step == Step::Approve {
                Ok(Approved)
            } else {
                Ok(Draft)
            }
        }
        _ if !by_owner => Err(QuotationRefusal::NotYours),
        Step::Submit if from == Draft && expired => Err(QuotationRefusal::Expired),
        Step::Submit if from == Draft => Ok(if approval_needed {
            PendingApproval
        } else {
            Approved
        }),
        Step::Send if from == Approved => {
            if expired {
                Err(QuotationRefusal::Expired)
            } else {
                Ok(Sent)
            }
        }
        Step::Accept if matches!(from, Approved | Sent) => {
            if expired {
                Err(QuotationRefusal::Expired)
            } else {
                Ok(Accepted)
            }
        }
        Step::Decline if matches!(from, Approved | Sent) => Ok(Declined),
        Step::Revise if matches!(from, PendingApproval | Approved | Sent | Declined) => Ok(Draft),
        _ => Err(QuotationRefusal::NotAllowed),
    }
}

/// A line as typed: a product of the price list, a quantity, a discount.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct LineInput {
    pub product_id: Option<i64>,
    pub quantity: Option<String>,
    pub discount_percent: Option<String>,
}

/// A product as the price list has it now.
#[derive(Debug, Clone)]
pub struct ListedProduct {
    pub id: i64,
    pub name: String,
    pub unit: String,
    pub currency: String,
    pub price: Decimal,
}

/// The most lines a quotation holds.
const MAX_LINES: usize = 100;

/// Prices the lines from the price list (active products only), in one currency.
pub fn price_lines(
    input: &[LineInput],
    products: &[ListedProduct],
) -> Result<Vec<QuoteLine>, ValidationError> {
    if input.is_empty() {
        return Err(ValidationError::new(
            "lines",
            "required",
            "a quotation needs at least one line",
        ));
    }
    if input.len() > MAX_LINES {
        return Err(ValidationError::new(
            "lines",
            "too_many",
            format!("at most {MAX_LINES} lines"),
        ));
    }
    let mut out: Vec<QuoteLine> = Vec::with_capacity(input.len());
    for l in input {
        let p = l
            .product_id
            .and_then(|id| products.iter().find(|p| p.id == id))
            .ok_or_else(|| {
                ValidationError::new(
                    "product_id",
                    "unknown_product",
                    "choose a product from the price list",
                )
            })?;
        let quantity = money::parse(
            "quantity",
            l.quantity.as_deref().unwrap_or(""),
            money::QUANTITY,
        )?;
        if quantity.is_zero() {
            return Err(ValidationError::new(
                "quantity",
                "out_of_range",
                "must be more than zero",
            ));
        }
        let discount_percent =
            money::parse_optional_percent("discount_percent", l.discount_percent.as_deref())?
                .unwrap_or(Decimal::ZERO);
        if out.first().is_some_and(|f| f.currency != p.currency) {
            return Err(ValidationError::new(
                "lines",
                "mixed_currency",
                "all lines of a quotation must be in one currency",
            ));
        }
        out.push(QuoteLine {
            product_id: p.id,
            product_name: p.name.clone(),
            unit: p.unit.clone(),
            currency: p.currency.clone(),
            quantity,
            list_price: p.price,
            discount_percent,
        });
    }
    if total(&out) > money::MAX_AMOUNT {
        return Err(ValidationError::new(
            "lines",
            "out_of_range",
            format!("the total must be at most {}", money::MAX_AMOUNT),
        ));
    }
    Ok(out)
}

/// The validity as typed (not before today), or the company's default from today.
pub fn parse_valid_until(
    raw: Option<&str>,
    today: NaiveDate,
    settings: &QuotationSettings,
) -> Result<NaiveDate, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today + chrono::Duration::days(i64::from(settings.validity_days))),
        Some(s) => {
            let d = crate::day::parse("valid_until", s)?;
            if d < today {
                return Err(ValidationError::new(
                    "valid_until",
                    "out_of_range",
                    "cannot be in the past",
                ));
            }
            Ok(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lamp() -> ListedProduct {
        ListedProduct {
            id: 1,
            name: "节能灯".into(),
            unit: "盏".into(),
            currency: "CNY".into(),
            price: Decimal::new(9990, 2),
        }
    }

    fn line(qty: &str, discount: &str) -> LineInput {
        LineInput {
            product_id: Some(1),
            quantity: Some(qty.into()),
            discount_percent: Some(discount.into()),
        }
    }

    #[test]
    fn lines_are_priced_from_the_list_with_their_discount() {
        let lines = price_lines(&[line("10", "15")], &[lamp()]).unwrap();
        // 99.90 × 0.85 = 84.915 → 84.92 (to the fen), × 10.
        assert_eq!(lines[0].unit_price(), Decimal::new(8492, 2));
        assert_eq!(total(&lines), Decimal::new(84920, 2));
        assert_eq!(max_discount(&lines), Decimal::from(15));
        assert!(needs_approval(&lines, Decimal::TEN, true));
        assert!(!needs_approval(&lines, Decimal::TEN, false));
        assert!(
            !needs_approval(&lines, Decimal::from(15), true),
            "at the limit is within it"
        );
        let e = price_lines(
            &[LineInput {
                product_id: Some(9),
                ..line("1", "0")
            }],
            &[lamp()],
        )
        .unwrap_err();
        assert_eq!(e.code, "unknown_product");
        assert_eq!(
            price_lines(&[line("1", "120")], &[lamp()])
                .unwrap_err()
                .field,
            "discount_percent"
        );
        assert_eq!(
            price_lines(&[line("0", "0")], &[lamp()]).unwrap_err().field,
            "quantity"
        );
        assert_eq!(price_lines(&[], &[lamp()]).unwrap_err().field, "lines");
        let mut usd = lamp();
        usd.id = 2;
        usd.currency = "USD".into();
        let e = price_lines(
            &[
                line("1", "0"),
                LineInput {
                    product_id: Some(2),
                    ..line("1", "0")
                },
            ],
            &[lamp(), usd],
        )
        .unwrap_err();
        assert_eq!(e.code, "mixed_currency");
    }

    #[test]
    fn the_flow_of_a_quotation() {
        use Status::*;
        let (rep, sup, other) = (1, 2, 3);
        let s = |from, step, actor, needs, expired| {
            next_status(from, step, actor, rep, Some(sup), needs, expired)
        };
        assert_eq!(s(Draft, Step::Submit, rep, false, false), Ok(Approved));
        assert_eq!(
            s(Draft, Step::Submit, rep, true, false),
            Ok(PendingApproval)
        );
        assert_eq!(
            s(Draft, Step::Submit, rep, false, true),
            Err(QuotationRefusal::Expired)
        );
        assert_eq!(
            s(Draft, Step::Submit, sup, false, false),
            Err(QuotationRefusal::NotYours)
        );
        assert_eq!(
            s(PendingApproval, Step::Approve, rep, true, false),
            Err(QuotationRefusal::NotTheApprover),
            "nobody approves their own discount"
        );
        assert_eq!(
            s(PendingApproval, Step::Approve, other, true, false),
            Err(QuotationRefusal::NotTheApprover)
        );
        assert_eq!(
            s(PendingApproval, Step::Approve, sup, true, false),
            Ok(Approved)
        );
        assert_eq!(
            s(PendingApproval, Step::Return, sup, true, false),
            Ok(Draft)
        );
        assert_eq!(
            s(PendingApproval, Step::Accept, rep, true, false),
            Err(QuotationRefusal::NotAllowed),
            "an unapproved discount never reaches an order"
        );
        assert_eq!(s(Approved, Step::Send, rep, true, false), Ok(Sent));
        assert_eq!(
            s(Sent, Step::Accept, rep, true, true),
            Err(QuotationRefusal::Expired)
        );
        assert_eq!(s(Sent, Step::Accept, rep, true, false), Ok(Accepted));
        assert_eq!(
            s(Accepted, Step::Revise, rep, true, false),
            Err(QuotationRefusal::NotAllowed)
        );
        assert_eq!(s(Declined, Step::Revise, rep, true, false), Ok(Draft));
        assert_eq!(
            check_edit(rep, rep, Approved),
            Err(QuotationRefusal::Locked)
        );
        assert_eq!(check_edit(sup, rep, Draft), Err(QuotationRefusal::NotYours));
    }

    #[test]
    fn validity_and_settings() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let s = QuotationSettings::default();
        assert_eq!(
            parse_valid_until(None, today, &s).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()
        );
        assert_eq!(
            parse_valid_until(Some("2026-11-27"), today, &s)
                .unwrap_err()
                .field,
            "valid_until"
        );
        assert!(QuotationSettings {
            discount_limit: Decimal::from(101),
            ..s
        }
        .check()
        .is_err());
        assert!(QuotationSettings {
            validity_days: 0,
            ..s
        }
        .check()
        .is_err());
    }

    proptest! {
        /// A discount never raises a price, and the total is the sum of its lines.
        #[test]
        fn discounts_only_lower(price in 1i64..10_000_000, qty in 1i64..1000, d in 0u32..=100) {
            let l = QuoteLine {
                product_id: 1,
                product_name: String::new(),
                unit: String::new(),
                currency: "CNY".into(),
                quantity: Decimal::from(qty),
                list_price: Decimal::new(price, 2),
                discount_percent: Decimal::from(d),
            };
            prop_assert!(l.unit_price() <= l.list_price);
            prop_assert!(l.unit_price() >= Decimal::ZERO);
            prop_assert_eq!(total(std::slice::from_ref(&l)), l.amount());
        }
    }
}
