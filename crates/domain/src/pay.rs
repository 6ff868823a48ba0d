//! Pay (seed 002): base salary + process performance + commission + rewards and penalties, per
//! salesperson and month. The plan says how much each part is worth and how the process is
//! measured; the store loads the month's facts; [`compute`] makes the sheet. Every amount on a
//! sheet is rounded to the fen, half away from zero ([`fen`]), line by line, and the totals add
//! the rounded lines, so a sheet always adds up as printed.

use crate::error::ValidationError;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The rounding rule of every amount on a pay sheet: to the fen (0.01), half away from zero.
pub fn fen(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    // Always two decimals, as money is written.
    r.rescale(2);
    r
}

/// How part of the process is measured from the data.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ProcessMeasure {
    /// Customers registered in the month with a complete card (name, a phone or e-mail, region,
    /// industry, source), against the plan's norm per month.
    CompleteCards,
    /// Tiered customers owned who were called or visited as often as their tier's cadence asks
    /// in the month.
    CadenceKept,
    /// Working days with the visit plan submitted on time (by 09:00).
    PlansOnTime,
    /// Working days with the daily report filed on time (by midnight).
    ReportsOnTime,
    /// Working days with a complete daily report: every visit with its outcome, and the
    /// lessons of the day written.
    ReportsComplete,
    /// Weeks of the month whose published revenue target was met.
    WeeklyTargetsMet,
}

impl ProcessMeasure {
    pub const ALL: [ProcessMeasure; 6] = [
        ProcessMeasure::CompleteCards,
        ProcessMeasure::CadenceKept,
        ProcessMeasure::PlansOnTime,
        ProcessMeasure::ReportsOnTime,
        ProcessMeasure::ReportsComplete,
        ProcessMeasure::WeeklyTargetsMet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProcessMeasure::CompleteCards => "complete_cards",
            ProcessMeasure::CadenceKept => "cadence_kept",
            ProcessMeasure::PlansOnTime => "plans_on_time",
            ProcessMeasure::ReportsOnTime => "reports_on_time",
            ProcessMeasure::ReportsComplete => "reports_complete",
            ProcessMeasure::WeeklyTargetsMet => "weekly_targets_met",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProcessItem {
    pub measure: ProcessMeasure,
    /// Share of the process part, in percent; the items' weights add up to 100.
    #[serde(with = "rust_decimal::serde::str")]
    pub weight_percent: Decimal,
    /// For `complete_cards`: how many complete cards a month earn the full score.
    #[serde(default)]
    pub norm: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategoryRate {
    pub category: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
}

/// A product's own commission rate, ahead of its category's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductRate {
    pub product_id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
}

/// From this revenue attainment on, commission is multiplied by `multiplier_percent` / 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AttainmentStep {
    #[serde(with = "rust_decimal::serde::str")]
    pub from_percent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub multiplier_percent: Decimal,
}

/// What a month's pay is made of. Plans are kept by the month they take effect; a month is paid
/// by the latest plan that took effect on or before it ([`plan_for`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PayPlan {
    /// Base salary of everyone without their own.
    #[serde(with = "rust_decimal::serde::str")]
    pub base_salary: Decimal,
    /// Base salary of named people (by user id).
    #[serde(default)]
    pub base_by_person: BTreeMap<i64, PersonBase>,
    /// The process part at a full score.
    #[serde(with = "rust_decimal::serde::str")]
    pub process_amount: Decimal,
    #[serde(default)]
    pub process_items: Vec<ProcessItem>,
    /// Commission on order lines of a category the plan does not name.
    #[serde(with = "rust_decimal::serde::str")]
    pub default_rate_percent: Decimal,
    #[serde(default)]
    pub category_rates: Vec<CategoryRate>,
    /// Rates of single products, ahead of their category's.
    #[serde(default)]
    pub product_rates: Vec<ProductRate>,
    #[serde(default)]
    pub steps: Vec<AttainmentStep>,
    /// Paid to the owner of the referring customer for each referral that counts (rule 6),
    /// in the month the referred customer pays its first deposit.
    #[serde(default, with = "rust_decimal::serde::str")]
    pub referral_reward: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PersonBase(#[serde(with = "rust_decimal::serde::str")] pub Decimal);

fn bad(field: &'static str, code: &'static str, message: impl Into<String>) -> ValidationError {
    ValidationError::new(field, code, message)
}

/// Refuses a plan whose weights do not add up to 100 %, with a negative amount or rate, a rate
/// over 100 %, a category named twice, a norm of zero or steps out of order.
pub fn check_plan(p: &PayPlan) -> Result<(), ValidationError> {
    if p.base_salary.is_sign_negative() || p.base_by_person.values().any(|b| b.0.is_sign_negative())
    {
        return Err(bad(
            "base_salary",
            "negative",
            "a base salary cannot be negative",
        ));
    }
    if p.referral_reward.is_sign_negative() {
        return Err(bad(
            "referral_reward",
            "negative",
            "a reward cannot be negative",
        ));
    }
    if p.process_amount.is_sign_negative() {
        return Err(bad(
            "process_amount",
            "negative",
            "the process part cannot be negative",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for item in &p.process_items {
        if !seen.insert(item.measure) {
            return Err(bad(
                "process_items",
                "duplicate_measure",
                format!("{} is listed twice", item.measure.as_str()),
            ));
        }
        if item.weight_percent.is_sign_negative() {
            return Err(bad(
                "process_items",
                "negative",
                "a weight cannot be negative",
            ));
        }
        if item.measure == ProcessMeasure::CompleteCards && item.norm.unwrap_or(0) == 0 {
            return Err(bad(
                "process_items",
                "norm_required",
                "complete cards need a norm of at least one card a month",
            ));
        }
    }
    let weights: Decimal = p.process_items.iter().map(|i| i.weight_percent).sum();
    if !p.process_items.is_empty() && weights != Decimal::from(100) {
        return Err(bad(
            "process_items",
            "weights_not_100",
            format!("the weights add up to {weights} %, not 100 %"),
        ));
    }
    if p.process_items.is_empty() && !p.process_amount.is_zero() {
        return Err(bad(
            "process_items",
            "required",
            "a process part needs the items it is measured by",
        ));
    }
    let rate_ok = |r: Decimal| !r.is_sign_negative() && r <= Decimal::from(100);
    if !rate_ok(p.default_rate_percent) {
        return Err(bad(
            "default_rate_percent",
            "invalid_rate",
            "a rate is between 0 and 100 %",
        ));
    }
    let mut categories = std::collections::BTreeSet::new();
    for r in &p.category_rates {
        if r.category.trim().is_empty() {
            return Err(bad("category_rates", "required", "name the category"));
        }
        if !categories.insert(r.category.trim()) {
            return Err(bad(
                "category_rates",
                "duplicate_category",
                format!("{} is listed twice", r.category.trim()),
            ));
        }
        if !rate_ok(r.rate_percent) {
            return Err(bad(
                "category_rates",
                "invalid_rate",
                "a rate is between 0 and 100 %",
            ));
        }
    }
    let mut products = std::collections::BTreeSet::new();
    for r in &p.product_rates {
        if !products.insert(r.product_id) {
            return Err(bad(
                "product_rates",
                "duplicate_product",
                format!("product {} is listed twice", r.product_id),
            ));
        }
        if !rate_ok(r.rate_percent) {
            return Err(bad(
                "product_rates",
                "invalid_rate",
                "a rate is between 0 and 100 %",
            ));
        }
    }
    for w in p.steps.windows(2) {
        if w[1].from_percent <= w[0].from_percent {
            return Err(bad(
                "steps",
                "unordered",
                "steps go up by attainment, each from a higher percentage",
            ));
        }
    }
    if p.steps
        .iter()
        .any(|s| s.from_percent.is_sign_negative() || s.multiplier_percent.is_sign_negative())
    {
        return Err(bad("steps", "negative", "steps cannot be negative"));
    }
    Ok(())
}

/// The plan in force in `month` (`YYYY-MM`): the latest that took effect on or before it.
pub fn plan_for<'a>(plans: &'a [(String, PayPlan)], month: &str) -> Option<&'a PayPlan> {
    plans
        .iter()
        .filter(|(from, _)| from.as_str() <= month)
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, p)| p)
}

/// A tiered customer's month: contacts the cadence asks for, contacts made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CadenceFact {
    pub expected: u32,
    pub made: u32,
}

/// How many contacts a cadence of `every_days` asks for in a month of `days` days: at least one.
pub fn contacts_expected(days: u32, every_days: u32) -> u32 {
    days.checked_div(every_days).unwrap_or(1).max(1)
}

/// One order whose commission right arose this month (its first deposit), credited to the person
/// who owned the customer then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommissionOrder {
    pub order_id: i64,
    pub customer_name: String,
    /// The deposit's day (company time), `YYYY-MM-DD`.
    pub deposit_on: String,
    /// Who took the order and the deposit, when not the person credited (a colleague, the
    /// manager or the clerk acting for the owner).
    pub taken_by: Option<String>,
    pub lines: Vec<SoldLine>,
}

/// An order line as commission sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldLine {
    pub product_id: Option<i64>,
    pub product: String,
    pub category: Option<String>,
    pub amount: Decimal,
}

/// A reward (positive) or penalty (negative) a manager entered, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Adjustment {
    pub id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub reason: String,
    pub entered_by: String,
}

/// What the store loaded for one person and month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayFacts {
    pub working_days: u32,
    pub complete_cards: u32,
    pub cadence: Vec<CadenceFact>,
    pub plans_on_time: u32,
    pub reports_on_time: u32,
    pub reports_complete: u32,
    /// Each week of the month: (sales, published revenue target).
    pub weeks: Vec<(Decimal, Option<Decimal>)>,
    /// The month's revenue and its published target: the attainment the steps use.
    pub revenue: Decimal,
    pub revenue_target: Option<Decimal>,
    pub commission_orders: Vec<CommissionOrder>,
    /// Referrals by the person's customers whose referred customer paid a first deposit this
    /// month: (referred customer, referring customer).
    pub referrals: Vec<(String, String)>,
    pub adjustments: Vec<Adjustment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProcessLine {
    pub measure: ProcessMeasure,
    #[serde(with = "rust_decimal::serde::str")]
    pub weight_percent: Decimal,
    /// What was counted against what was asked: (done, asked). None when there was nothing to
    /// ask (no tiered customers, no weekly targets): the item counts as met.
    pub counted: Option<(u32, u32)>,
    /// Score in percent (0–100, two decimals).
    #[serde(with = "rust_decimal::serde::str")]
    pub score_percent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CommissionLine {
    pub order_id: i64,
    pub customer_name: String,
    pub deposit_on: String,
    pub taken_by: Option<String>,
    pub category: Option<String>,
    /// The product, when its own rate applied.
    #[serde(default)]
    pub product: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub basis: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub rate_percent: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReferralLine {
    pub referred: String,
    pub referrer: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PaySheet {
    #[serde(with = "rust_decimal::serde::str")]
    pub base: Decimal,
    pub process: Vec<ProcessLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub process_total: Decimal,
    /// The month's revenue attainment in percent, when a target was published.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub attainment_percent: Option<Decimal>,
    /// Commission multiplier from the plan's steps, in percent (100 without steps or target).
    #[serde(with = "rust_decimal::serde::str")]
    pub multiplier_percent: Decimal,
    pub commission: Vec<CommissionLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub commission_total: Decimal,
    #[serde(default)]
    pub referrals: Vec<ReferralLine>,
    #[serde(default, with = "rust_decimal::serde::str")]
    pub referrals_total: Decimal,
    pub adjustments: Vec<Adjustment>,
    #[serde(with = "rust_decimal::serde::str")]
    pub adjustments_total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
}

fn ratio(done: u32, asked: u32) -> Decimal {
    if asked == 0 {
        return Decimal::ONE;
    }
    (Decimal::from(done) / Decimal::from(asked)).min(Decimal::ONE)
}

/// The score of one process item, as a fraction (0–1), and what was counted.
pub fn score(item: &ProcessItem, f: &PayFacts) -> (Decimal, Option<(u32, u32)>) {
    let of = |done: u32, asked: u32| (ratio(done, asked), Some((done.min(asked), asked)));
    match item.measure {
        ProcessMeasure::CompleteCards => {
            let norm = item.norm.unwrap_or(1).max(1);
            (
                ratio(f.complete_cards, norm),
                Some((f.complete_cards, norm)),
            )
        }
        ProcessMeasure::CadenceKept => {
            if f.cadence.is_empty() {
                return (Decimal::ONE, None);
            }
            let kept = f.cadence.iter().filter(|c| c.made >= c.expected).count() as u32;
            of(kept, f.cadence.len() as u32)
        }
        ProcessMeasure::PlansOnTime => of(f.plans_on_time, f.working_days),
        ProcessMeasure::ReportsOnTime => of(f.reports_on_time, f.working_days),
        ProcessMeasure::ReportsComplete => of(f.reports_complete, f.working_days),
        ProcessMeasure::WeeklyTargetsMet => {
            let targeted: Vec<_> = f
                .weeks
                .iter()
                .filter_map(|(s, t)| t.map(|t| (*s, t)))
                .collect();
            if targeted.is_empty() {
                return (Decimal::ONE, None);
            }
            let met = targeted.iter().filter(|(s, t)| s >= t).count() as u32;
            of(met, targeted.len() as u32)
        }
    }
}

/// The commission multiplier (percent) for an attainment: the highest step reached, 100 %
/// below the first step or without a target.
pub fn multiplier(steps: &[AttainmentStep], attainment: Option<Decimal>) -> Decimal {
    let Some(a) = attainment else {
        return Decimal::from(100);
    };
    steps
        .iter()
        .filter(|s| s.from_percent <= a)
        .max_by(|x, y| x.from_percent.cmp(&y.from_percent))
        .map(|s| s.multiplier_percent)
        .unwrap_or(Decimal::from(100))
}

/// A product's own rate, if the plan gives it one.
pub fn product_rate(plan: &PayPlan, product: Option<i64>) -> Option<Decimal> {
    let product = product?;
    plan.product_rates
        .iter()
        .find(|r| r.product_id == product)
        .map(|r| r.rate_percent)
}

/// The rate of an order line's category.
pub fn rate_for(plan: &PayPlan, category: Option<&str>) -> Decimal {
    category
        .and_then(|c| {
            plan.category_rates
                .iter()
                .find(|r| r.category.trim() == c.trim())
        })
        .map(|r| r.rate_percent)
        .unwrap_or(plan.default_rate_percent)
}

/// The month's pay sheet of `person`.
pub fn compute(plan: &PayPlan, person: i64, f: &PayFacts) -> PaySheet {
    let hundred = Decimal::from(100);
    let base = fen(plan
        .base_by_person
        .get(&person)
        .map(|b| b.0)
        .unwrap_or(plan.base_salary));
    let process: Vec<ProcessLine> = plan
        .process_items
        .iter()
        .map(|item| {
            let (s, counted) = score(item, f);
            ProcessLine {
                measure: item.measure,
                weight_percent: item.weight_percent,
                counted,
                score_percent: (s * hundred).round_dp(2),
                amount: fen(plan.process_amount * item.weight_percent / hundred * s),
            }
        })
        .collect();
    let process_total = process.iter().map(|l| l.amount).sum();
    let attainment_percent = f
        .revenue_target
        .and_then(|t| crate::money::percent(f.revenue, t));
    let multiplier_percent = multiplier(&plan.steps, attainment_percent);
    let mut commission = Vec::new();
    for o in &f.commission_orders {
        // One line per rate of the order: a product with its own rate, else its category.
        type Basis = (Option<String>, Option<String>);
        let mut by_rate: BTreeMap<Basis, (Decimal, Decimal)> = BTreeMap::new();
        for l in &o.lines {
            let (key, rate) = match product_rate(plan, l.product_id) {
                Some(r) => ((Some(l.product.clone()), l.category.clone()), r),
                None => (
                    (None, l.category.clone()),
                    rate_for(plan, l.category.as_deref()),
                ),
            };
            let e = by_rate.entry(key).or_insert((Decimal::ZERO, rate));
            e.0 = e.0.saturating_add(l.amount);
        }
        for ((product, category), (basis, rate)) in by_rate {
            commission.push(CommissionLine {
                order_id: o.order_id,
                customer_name: o.customer_name.clone(),
                deposit_on: o.deposit_on.clone(),
                taken_by: o.taken_by.clone(),
                category,
                product,
                basis,
                rate_percent: rate,
                amount: fen(basis * rate / hundred * multiplier_percent / hundred),
            });
        }
    }
    let commission_total = commission.iter().map(|l| l.amount).sum();
    let referrals: Vec<ReferralLine> = f
        .referrals
        .iter()
        .map(|(referred, referrer)| ReferralLine {
            referred: referred.clone(),
            referrer: referrer.clone(),
            amount: fen(plan.referral_reward),
        })
        .collect();
    let referrals_total = fen(referrals.iter().map(|l| l.amount).sum());
    let adjustments: Vec<Adjustment> = f
        .adjustments
        .iter()
        .map(|a| Adjustment {
            amount: fen(a.amount),
            ..a.clone()
        })
        .collect();
    let adjustments_total = adjustments.iter().map(|a| a.amount).sum();
    PaySheet {
        base,
        total: base + process_total + commission_total + referrals_total + adjustments_total,
        process,
        process_total,
        attainment_percent,
        multiplier_percent,
        commission,
        commission_total,
        referrals,
        referrals_total,
        adjustments,
        adjustments_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn item(measure: ProcessMeasure, w: &str) -> ProcessItem {
        ProcessItem {
            measure,
            weight_percent: d(w),
            norm: (measure == ProcessMeasure::CompleteCards).then_some(20),
        }
    }

    fn sold(product: i64, category: Option<&str>, amount: &str) -> SoldLine {
        SoldLine {
            product_id: Some(product),
            product: format!("p{product}"),
            category: category.map(str::to_string),
            amount: d(amount),
        }
    }

    fn plan() -> PayPlan {
        PayPlan {
            base_salary: d("3000"),
            base_by_person: [(7, PersonBase(d("3500")))].into(),
            process_amount: d("2000"),
            process_items: vec![
                item(ProcessMeasure::CompleteCards, "30"),
                item(ProcessMeasure::CadenceKept, "30"),
                item(ProcessMeasure::ReportsOnTime, "20"),
                item(ProcessMeasure::WeeklyTargetsMet, "20"),
            ],
            default_rate_percent: d("3"),
            category_rates: vec![CategoryRate {
                category: "灯具".into(),
                rate_percent: d("5"),
            }],
            steps: vec![
                AttainmentStep {
                    from_percent: d("0"),
                    multiplier_percent: d("80"),
                },
                AttainmentStep {
                    from_percent: d("100"),
                    multiplier_percent: d("120"),
                },
            ],
            referral_reward: Decimal::ZERO,
            product_rates: vec![],
        }
    }

    #[test]
    fn rounding_is_to_the_fen_half_away_from_zero() {
        assert_eq!(fen(d("1.005")), d("1.01"));
        assert_eq!(fen(d("1.004999")), d("1.00"));
        assert_eq!(fen(d("-1.005")), d("-1.01"));
        assert_eq!(fen(d("2.675")), d("2.68"));
        assert_eq!(fen(d("500")).to_string(), "500.00");
    }

    /// A month computed by hand: base 3,000; cards 15 of 20 (75 % × 30 % × 2,000 = 450);
    /// cadence 3 of 4 customers kept (75 % × 600 = 450); reports on time 21 of 21 (400); weekly
    /// targets met 1 of 2 (50 % × 400 = 200): process 1,500. Revenue 110,000 against 100,000
    /// (110 %: multiplier 120 %). Order 1: 10,000 of 灯具 at 5 % and 2,000 uncategorised at 3 %
    /// → 600 + 72 = 672; order 2 (refunded deposit: still paid) 3,333.33 of 灯具 → 3,333.33 ×
    /// 5 % × 1.2 = 199.9998 → 200.00. Commission 872. A penalty of −50. Total 5,322.
    #[test]
    fn a_month_by_hand() {
        let f = PayFacts {
            working_days: 21,
            complete_cards: 15,
            cadence: vec![
                CadenceFact {
                    expected: 4,
                    made: 4,
                },
                CadenceFact {
                    expected: 4,
                    made: 5,
                },
                CadenceFact {
                    expected: 1,
                    made: 1,
                },
                CadenceFact {
                    expected: 4,
                    made: 3,
                },
            ],
            plans_on_time: 0,
            reports_on_time: 21,
            reports_complete: 0,
            weeks: vec![
                (d("30000"), Some(d("25000"))),
                (d("20000"), Some(d("25000"))),
                (d("60000"), None),
            ],
            revenue: d("110000"),
            revenue_target: Some(d("100000")),
            commission_orders: vec![
                CommissionOrder {
                    order_id: 1,
                    customer_name: "甲".into(),
                    deposit_on: "2026-11-03".into(),
                    taken_by: None,
                    lines: vec![
                        sold(1, Some("灯具"), "6000"),
                        sold(2, None, "2000"),
                        sold(3, Some("灯具"), "4000"),
                    ],
                },
                CommissionOrder {
                    order_id: 2,
                    customer_name: "乙".into(),
                    deposit_on: "2026-11-20".into(),
                    taken_by: Some("王芳".into()),
                    lines: vec![sold(1, Some("灯具"), "3333.33")],
                },
            ],
            referrals: vec![],
            adjustments: vec![Adjustment {
                id: 1,
                amount: d("-50"),
                reason: "迟交周报".into(),
                entered_by: "主管".into(),
            }],
        };
        let s = compute(&plan(), 1, &f);
        assert_eq!(s.base, d("3000"));
        let amounts: Vec<Decimal> = s.process.iter().map(|l| l.amount).collect();
        assert_eq!(amounts, [d("450"), d("450"), d("400"), d("200")]);
        assert_eq!(s.process[1].counted, Some((3, 4)));
        assert_eq!(s.process_total, d("1500"));
        assert_eq!(s.attainment_percent, Some(d("110")));
        assert_eq!(s.multiplier_percent, d("120"));
        let lines: Vec<(i64, Option<&str>, Decimal)> = s
            .commission
            .iter()
            .map(|l| (l.order_id, l.category.as_deref(), l.amount))
            .collect();
        assert_eq!(
            lines,
            [
                (1, None, d("72")),
                (1, Some("灯具"), d("600")),
                (2, Some("灯具"), d("200.00"))
            ]
        );
        assert_eq!(s.commission_total, d("872"));
        assert_eq!(s.adjustments_total, d("-50"));
        assert_eq!(s.total, d("5322"));
        // A named person's own base.
        assert_eq!(compute(&plan(), 7, &f).base, d("3500"));
        // Product 3 at its own 10 %: 4,000 × 10 % × 1.2 = 480 on its own line; the rest of the
        // 灯具 (6,000) stays at 5 %: 360.
        let p = PayPlan {
            product_rates: vec![ProductRate {
                product_id: 3,
                rate_percent: d("10"),
            }],
            ..plan()
        };
        let s = compute(&p, 1, &f);
        let order1: Vec<(Option<&str>, Decimal)> = s
            .commission
            .iter()
            .filter(|l| l.order_id == 1)
            .map(|l| (l.product.as_deref(), l.amount))
            .collect();
        assert_eq!(
            order1,
            [(None, d("72")), (None, d("360")), (Some("p3"), d("480"))]
        );
        // Two referrals that count, at 88.5 each.
        let with = PayFacts {
            referrals: vec![("丙".into(), "甲".into()), ("丁".into(), "甲".into())],
            ..f.clone()
        };
        let p = PayPlan {
            referral_reward: d("88.5"),
            ..plan()
        };
        let s = compute(&p, 1, &with);
        assert_eq!(s.referrals_total, d("177"));
        assert_eq!(s.total, d("5499"));
    }

    #[test]
    fn nothing_to_ask_counts_as_met_and_no_target_pays_the_plain_rate() {
        let f = PayFacts {
            working_days: 20,
            ..Default::default()
        };
        let s = compute(&plan(), 1, &f);
        assert_eq!(s.process[1].counted, None);
        assert_eq!(s.process[1].amount, d("600"));
        assert_eq!(s.process[3].counted, None);
        assert_eq!(s.multiplier_percent, d("100"));
        assert_eq!(s.process[0].amount, d("0"));
    }

    #[test]
    fn bad_plans_are_refused_with_the_field() {
        let field = |p: PayPlan| check_plan(&p).unwrap_err().field;
        assert!(check_plan(&plan()).is_ok());
        let mut p = plan();
        p.process_items[0].weight_percent = d("25");
        assert_eq!(field(p), "process_items");
        let mut p = plan();
        p.default_rate_percent = d("-1");
        assert_eq!(field(p), "default_rate_percent");
        let mut p = plan();
        p.category_rates[0].rate_percent = d("101");
        assert_eq!(field(p), "category_rates");
        let mut p = plan();
        p.steps.reverse();
        assert_eq!(field(p), "steps");
        let mut p = plan();
        p.base_salary = d("-1");
        assert_eq!(field(p), "base_salary");
        let mut p = plan();
        p.product_rates = vec![
            ProductRate {
                product_id: 1,
                rate_percent: d("5"),
            },
            ProductRate {
                product_id: 1,
                rate_percent: d("6"),
            },
        ];
        assert_eq!(field(p), "product_rates");
        let mut p = plan();
        p.process_items[0].norm = Some(0);
        assert_eq!(check_plan(&p).unwrap_err().code, "norm_required");
    }

    #[test]
    fn the_plan_in_force_is_the_latest_before_the_month() {
        let a = PayPlan::default();
        let b = PayPlan {
            base_salary: d("1"),
            ..Default::default()
        };
        let plans = vec![
            ("2026-01".to_string(), a.clone()),
            ("2026-07".to_string(), b.clone()),
        ];
        assert_eq!(plan_for(&plans, "2025-12"), None);
        assert_eq!(plan_for(&plans, "2026-06"), Some(&a));
        assert_eq!(plan_for(&plans, "2026-07"), Some(&b));
        assert_eq!(plan_for(&plans, "2027-01"), Some(&b));
    }

    #[test]
    fn cadence_asks_at_least_one_contact() {
        assert_eq!(contacts_expected(30, 7), 4);
        assert_eq!(contacts_expected(30, 45), 1);
        assert_eq!(contacts_expected(31, 0), 1);
    }

    proptest! {
        /// A sheet adds up as printed, and the process part never exceeds the plan's amount.
        #[test]
        fn a_sheet_adds_up(cards in 0u32..40, reports in 0u32..25, days in 1u32..25,
                           amounts in proptest::collection::vec(0i64..10_000_000, 0..8),
                           adj in proptest::collection::vec(-100_000i64..100_000, 0..4),
                           revenue in 0i64..1_000_000) {
            let f = PayFacts {
                working_days: days,
                complete_cards: cards,
                reports_on_time: reports,
                revenue: Decimal::new(revenue, 0),
                revenue_target: Some(d("500000")),
                commission_orders: amounts.iter().enumerate().map(|(i, a)| CommissionOrder {
                    order_id: i as i64, customer_name: String::new(), deposit_on: String::new(), taken_by: None,
                    lines: vec![SoldLine { product_id: Some(i as i64), product: String::new(), category: (i % 2 == 0).then(|| "灯具".into()), amount: Decimal::new(*a, 2) }],
                }).collect(),
                adjustments: adj.iter().enumerate().map(|(i, a)| Adjustment { id: i as i64, amount: Decimal::new(*a, 3), reason: String::new(), entered_by: String::new() }).collect(),
                ..Default::default()
            };
            let s = compute(&plan(), 1, &f);
            prop_assert_eq!(s.total, s.base + s.process_total + s.commission_total + s.referrals_total + s.adjustments_total);
            prop_assert_eq!(s.process_total, s.process.iter().map(|l| l.amount).sum::<Decimal>());
            prop_assert!(s.process_total <= plan().process_amount);
            for l in &s.commission {
                prop_assert_eq!(l.amount, fen(l.amount));
            }
        }
    }
}
