//! Customer economics (seed 004): who stopped buying (churn, 跳槽), who buys more from us while
//! giving us a smaller share of what they spend (partial defectors), how many buy again (repeat
//! purchase — the seed's measure of loyalty), how much the best tenth yields against the worst
//! tenth, and what a customer is worth over their life.
//!
//! Definitions, over a period and the period of equal length before it:
//! - *churned*: bought in the previous period, not in this one; churn rate = churned ÷ buyers of
//!   the previous period; retention = 1 − churn.
//! - *share of spending*: our revenue ÷ the customer's estimated spending in our category (an
//!   annual estimate kept on the card, pro rata for shorter periods). A *partial defector*'s
//!   revenue with us did not fall, yet their share did.
//! - *repeat-purchase rate*: buyers with two orders or more in the period ÷ buyers.
//! - *deciles*: buyers ranked by revenue; the top and bottom tenth (at least one customer each)
//!   with their revenue and margin.
//! - *lifetime value*: CLV = m × r ÷ (1 + d − r), with m the customer's gross margin over the
//!   period scaled to a year (lines without a cost count no margin), r the retention rate of
//!   the customers considered, d the yearly discount rate.

use rust_decimal::Decimal;
use serde::Serialize;

/// One customer's purchases in the two periods and their spending estimates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub customer_id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    /// The segment the customer belongs to (a card field's value), for CLV per segment.
    pub segment: String,
    pub revenue: Decimal,
    pub margin: Decimal,
    pub orders: u32,
    pub previous_revenue: Decimal,
    pub previous_orders: u32,
    /// Estimated spending in our category over the period (pro rata from the annual figure).
    pub estimate: Option<Decimal>,
    pub previous_estimate: Option<Decimal>,
}

impl History {
    fn share(revenue: Decimal, estimate: Option<Decimal>) -> Option<Decimal> {
        estimate.and_then(|e| crate::money::percent(revenue, e))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerFigure {
    pub customer_id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub previous_revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub margin: Decimal,
    /// Our share of the customer's spending, percent (with an estimate).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub share_percent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub previous_share_percent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub lifetime_value: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Decile {
    pub customers: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub margin: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub key: String,
    pub customers: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub lifetime_value: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_lifetime_value: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Economics {
    pub buyers: u32,
    pub previous_buyers: u32,
    pub churned: Vec<CustomerFigure>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub churn_percent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub retention_percent: Option<Decimal>,
    pub partial_defectors: Vec<CustomerFigure>,
    pub repeat_buyers: u32,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub repeat_purchase_percent: Option<Decimal>,
    pub top_decile: Decile,
    pub bottom_decile: Decile,
    /// Top decile's revenue ÷ bottom decile's, two decimals.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub top_to_bottom_revenue: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub top_to_bottom_margin: Option<Decimal>,
    pub top_customers: Vec<CustomerFigure>,
    pub bottom_customers: Vec<CustomerFigure>,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_percent: Decimal,
    /// Every buyer's lifetime value, highest first.
    pub lifetime_values: Vec<CustomerFigure>,
    pub segments: Vec<Segment>,
}

/// `m × r ÷ (1 + d − r)` with `r` and `d` as fractions; zero when the denominator is not
/// positive (a retention above 1 + d cannot happen, but bad data must not divide by zero).
pub fn lifetime_value(annual_margin: Decimal, retention: Decimal, discount: Decimal) -> Decimal {
    let denominator = Decimal::ONE + discount - retention;
    if denominator <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    annual_margin
        .checked_mul(retention)
        .and_then(|v| v.checked_div(denominator))
        .unwrap_or(Decimal::ZERO)
        .round_dp(2)
}

/// Computes the economics of `customers`; `year_fraction` is the period's length in years
/// (1 for a year, about 1/12 for a month) and `discount_percent` the yearly discount rate.
pub fn compute(
    customers: &[History],
    year_fraction: Decimal,
    discount_percent: Decimal,
) -> Economics {
    let previous_buyers = customers.iter().filter(|c| c.previous_orders > 0).count() as u32;
    let churned_ids: Vec<&History> = customers
        .iter()
        .filter(|c| c.previous_orders > 0 && c.orders == 0)
        .collect();
    let churn_percent = crate::money::percent(
        Decimal::from(churned_ids.len() as u64),
        Decimal::from(previous_buyers),
    );
    // Without buyers in the previous period there is no retention to measure, and so no
    // lifetime value: none is shown rather than a value computed from a made-up rate.
    let measured_retention =
        churn_percent.map(|c| (Decimal::ONE_HUNDRED - c) / Decimal::ONE_HUNDRED);
    let retention = measured_retention.unwrap_or(Decimal::ZERO);
    let discount = discount_percent / Decimal::ONE_HUNDRED;
    let annual = |m: Decimal| {
        if year_fraction > Decimal::ZERO {
            m.checked_div(year_fraction).unwrap_or(Decimal::ZERO)
        } else {
            Decimal::ZERO
        }
    };
    let figure = |c: &History| CustomerFigure {
        customer_id: c.customer_id,
        name: c.name.clone(),
        owner_name: c.owner_name.clone(),
        revenue: c.revenue,
        previous_revenue: c.previous_revenue,
        margin: c.margin,
        share_percent: History::share(c.revenue, c.estimate),
        previous_share_percent: History::share(c.previous_revenue, c.previous_estimate),
        lifetime_value: if c.orders > 0 {
            lifetime_value(annual(c.margin), retention, discount)
        } else {
            Decimal::ZERO
        },
    };
    let mut churned: Vec<CustomerFigure> = churned_ids.iter().map(|c| figure(c)).collect();
    churned.sort_by(|a, b| {
        b.previous_revenue
            .cmp(&a.previous_revenue)
            .then(a.customer_id.cmp(&b.customer_id))
    });

    let mut partial_defectors: Vec<CustomerFigure> = customers
        .iter()
        .filter(|c| c.orders > 0 && c.previous_orders > 0 && c.revenue >= c.previous_revenue)
        .map(figure)
        .filter(|f| matches!((f.share_percent, f.previous_share_percent), (Some(now), Some(before)) if now < before))
        .collect();
    partial_defectors.sort_by(|a, b| {
        let drop = |f: &CustomerFigure| {
            f.previous_share_percent.unwrap_or_default() - f.share_percent.unwrap_or_default()
        };
        drop(b)
            .cmp(&drop(a))
            .then(a.customer_id.cmp(&b.customer_id))
    });

    let mut buyers: Vec<&History> = customers.iter().filter(|c| c.orders > 0).collect();
    buyers.sort_by(|a, b| {
        b.revenue
            .cmp(&a.revenue)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let n = buyers.len();
    let repeat_buyers = buyers.iter().filter(|c| c.orders >= 2).count() as u32;
    let tenth = n.div_ceil(10);
    let decile = |list: &[&History]| Decile {
        customers: list.len() as u32,
        revenue: crate::money::sum(list.iter().map(|c| c.revenue)),
        margin: crate::money::sum(list.iter().map(|c| c.margin)),
    };
    let (top, bottom) = if n == 0 {
        (&buyers[..0], &buyers[..0])
    } else {
        (&buyers[..tenth], &buyers[n - tenth..])
    };
    let (top_decile, bottom_decile) = (decile(top), decile(bottom));
    let ratio = |a: Decimal, b: Decimal| {
        (b > Decimal::ZERO)
            .then(|| a.checked_div(b))
            .flatten()
            .map(|r| r.round_dp(2))
    };

    let valued: &[&History] = if measured_retention.is_some() {
        &buyers
    } else {
        &[]
    };
    let mut lifetime_values: Vec<CustomerFigure> = valued.iter().map(|c| figure(c)).collect();
    lifetime_values.sort_by(|a, b| {
        b.lifetime_value
            .cmp(&a.lifetime_value)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    let mut segments: std::collections::BTreeMap<&str, (u32, Decimal)> = Default::default();
    for (c, f) in valued.iter().zip(valued.iter().map(|c| figure(c))) {
        let s = segments.entry(c.segment.as_str()).or_default();
        s.0 += 1;
        s.1 = s.1.saturating_add(f.lifetime_value);
    }
    let mut segments: Vec<Segment> = segments
        .into_iter()
        .map(|(key, (count, total))| Segment {
            key: key.to_string(),
            customers: count,
            lifetime_value: total,
            average_lifetime_value: (count > 0).then(|| (total / Decimal::from(count)).round_dp(2)),
        })
        .collect();
    segments.sort_by(|a, b| {
        b.lifetime_value
            .cmp(&a.lifetime_value)
            .then(a.key.cmp(&b.key))
    });

    Economics {
        buyers: n as u32,
        previous_buyers,
        churn_percent,
        retention_percent: churn_percent.map(|c| Decimal::ONE_HUNDRED - c),
        churned,
        partial_defectors,
        repeat_buyers,
        repeat_purchase_percent: crate::money::percent(
            Decimal::from(repeat_buyers),
            Decimal::from(n as u64),
        ),
        top_to_bottom_revenue: ratio(top_decile.revenue, bottom_decile.revenue),
        top_to_bottom_margin: ratio(top_decile.margin, bottom_decile.margin),
        top_customers: top.iter().map(|c| figure(c)).collect(),
        bottom_customers: bottom.iter().map(|c| figure(c)).collect(),
        top_decile,
        bottom_decile,
        discount_percent,
        lifetime_values,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn h(id: i64, now: (&str, u32), before: (&str, u32)) -> History {
        History {
            customer_id: id,
            name: format!("c{id}"),
            segment: if id % 2 == 0 {
                "华东".into()
            } else {
                "华北".into()
            },
            revenue: d(now.0),
            margin: d(now.0) / d("4"),
            orders: now.1,
            previous_revenue: d(before.0),
            previous_orders: before.1,
            ..Default::default()
        }
    }

    #[test]
    fn churn_defection_repeat_and_deciles_by_hand() {
        let mut list = vec![
            // Bought last year, not this year: churned.
            h(1, ("0", 0), ("5000", 1)),
            h(2, ("0", 0), ("3000", 2)),
            // Bought more from us (10,000 → 12,000) while their category spending grew from
            // 20,000 to 60,000: our share fell from 50 % to 20 % — a partial defector.
            History {
                estimate: Some(d("60000")),
                previous_estimate: Some(d("20000")),
                ..h(3, ("12000", 3), ("10000", 2))
            },
            // Grew and kept the share (30 % → 40 %): loyal.
            History {
                estimate: Some(d("30000")),
                previous_estimate: Some(d("30000")),
                ..h(4, ("12000", 1), ("9000", 1))
            },
            // New this year.
            h(5, ("1000", 1), ("0", 0)),
        ];
        for i in 6..=12 {
            list.push(h(i, ("2000", 2), ("2000", 1)));
        }
        let e = compute(&list, Decimal::ONE, d("10"));
        // Previous buyers: 1, 2, 3, 4, 6–12 = 11; churned 2 → 18.18 %.
        assert_eq!((e.previous_buyers, e.churned.len()), (11, 2));
        assert_eq!(e.churn_percent, Some(d("18.18")));
        assert_eq!(e.churned[0].customer_id, 1, "largest lost revenue first");
        assert_eq!(e.partial_defectors.len(), 1);
        let p = &e.partial_defectors[0];
        assert_eq!(
            (p.customer_id, p.previous_share_percent, p.share_percent),
            (3, Some(d("50")), Some(d("20")))
        );
        // Buyers: 3, 4, 5, 6–12 = 10; repeat (≥ 2 orders): 3 and 6–12 = 8.
        assert_eq!(
            (e.buyers, e.repeat_buyers, e.repeat_purchase_percent),
            (10, 8, Some(d("80")))
        );
        // A tenth of 10 buyers is one: the top is 3 (12,000, id before 4), the bottom 5 (1,000).
        assert_eq!(
            (
                e.top_customers[0].customer_id,
                e.bottom_customers[0].customer_id
            ),
            (3, 5)
        );
        assert_eq!(
            (e.top_decile.revenue, e.bottom_decile.revenue),
            (d("12000"), d("1000"))
        );
        assert_eq!(e.top_to_bottom_revenue, Some(d("12")));
        // CLV of customer 3: margin 3,000 × r 0.8182 ÷ (1 + 0.1 − 0.8182).
        let r = (d("100") - d("18.18")) / d("100");
        assert_eq!(
            e.lifetime_values[0].lifetime_value,
            lifetime_value(d("3000"), r, d("0.1"))
        );
        assert_eq!(
            lifetime_value(d("3000"), r, d("0.1")),
            (d("3000") * r / (d("1.1") - r)).round_dp(2)
        );
        let east: &Segment = e.segments.iter().find(|s| s.key == "华东").unwrap();
        assert_eq!(east.customers, 5, "4, 6, 8, 10, 12");
    }

    #[test]
    fn a_month_is_scaled_to_a_year_and_nothing_divides_by_zero() {
        let one = vec![h(1, ("1200", 1), ("1000", 1))];
        let e = compute(&one, d("1") / d("12"), d("10"));
        // Nobody churned: retention 1, CLV = 12 × 300 × 1 ÷ 0.1.
        assert_eq!(e.lifetime_values[0].lifetime_value, d("36000"));
        // New buyers only: no retention measured, no lifetime value.
        let e = compute(&[h(1, ("1200", 1), ("0", 0))], Decimal::ONE, d("10"));
        assert_eq!(
            (
                e.retention_percent,
                e.lifetime_values.len(),
                e.segments.len()
            ),
            (None, 0, 0)
        );
        let e = compute(&[], Decimal::ONE, d("10"));
        assert_eq!(
            (e.churn_percent, e.top_to_bottom_revenue, e.buyers),
            (None, None, 0)
        );
        assert_eq!(lifetime_value(d("100"), d("1.2"), d("0.1")), Decimal::ZERO);
    }

    proptest! {
        /// Deciles never overlap beyond a single buyer, never exceed the whole, and the top
        /// tenth yields at least as much as the bottom.
        #[test]
        fn deciles_are_ordered(revenues in proptest::collection::vec(1u32..1_000_000, 1..60)) {
            let list: Vec<History> = revenues.iter().enumerate()
                .map(|(i, r)| h(i as i64, (&r.to_string(), 1), ("0", 0))).collect();
            let e = compute(&list, Decimal::ONE, d("10"));
            let total: Decimal = list.iter().map(|c| c.revenue).sum();
            prop_assert!(e.top_decile.revenue >= e.bottom_decile.revenue);
            prop_assert!(e.top_decile.revenue <= total);
            prop_assert_eq!(e.top_decile.customers as usize, list.len().div_ceil(10));
            prop_assert_eq!(e.repeat_buyers, 0);
        }
    }
}
