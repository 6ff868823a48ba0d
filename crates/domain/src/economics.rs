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
use serde::{Deserialize, Serialize};

/// One customer's purchases in the two periods and their spending estimates. Names are not
/// part of it: a million buyers are computed over, a page of them is shown, and only those are
/// named (`CustomerFigure::name`, filled by whoever shows them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub customer_id: i64,
    /// The segment the customer belongs to (a card field's value), for CLV per segment; shared,
    /// since a few values serve a million customers.
    pub segment: std::sync::Arc<str>,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CustomerFigure {
    pub customer_id: i64,
    /// Empty until the customers shown are named.
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Decile {
    pub customers: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub margin: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = EconomicsSegment)]
pub struct Segment {
    pub key: String,
    pub customers: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub lifetime_value: Decimal,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_lifetime_value: Option<Decimal>,
}

/// The lists of customers behind the figures, each in its own order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum List {
    /// Largest lost revenue (the previous period's) first.
    Churned,
    /// Largest fall of our share first.
    PartialDefectors,
    /// The top decile, highest revenue first.
    Top,
    /// The bottom decile, lowest revenue first.
    Bottom,
    /// Every buyer (once retention is measured), highest lifetime value first.
    LifetimeValues,
}

impl List {
    pub const ALL: [List; 5] = [
        List::Churned,
        List::PartialDefectors,
        List::Top,
        List::Bottom,
        List::LifetimeValues,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            List::Churned => "churned",
            List::PartialDefectors => "partial_defectors",
            List::Top => "top",
            List::Bottom => "bottom",
            List::LifetimeValues => "lifetime_values",
        }
    }

    pub fn parse(s: &str) -> Option<List> {
        List::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Economics {
    pub buyers: u32,
    pub previous_buyers: u32,
    /// The first `shown` churned customers; `churned_total` of them in all.
    pub churned: Vec<CustomerFigure>,
    pub churned_total: u32,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub churn_percent: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub retention_percent: Option<Decimal>,
    pub partial_defectors: Vec<CustomerFigure>,
    pub partial_defectors_total: u32,
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
    /// The first `shown` of each decile (all of it: `top_decile.customers`).
    pub top_customers: Vec<CustomerFigure>,
    pub bottom_customers: Vec<CustomerFigure>,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_percent: Decimal,
    /// The `shown` highest lifetime values; `lifetime_values_total` buyers are valued.
    pub lifetime_values: Vec<CustomerFigure>,
    pub lifetime_values_total: u32,
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

/// `items[offset..offset + limit]` in `order`, without sorting what lies past the window: a
/// page of a million buyers costs a selection, not a sort.
fn window<T>(
    mut items: Vec<T>,
    order: impl Fn(&T, &T) -> std::cmp::Ordering,
    offset: usize,
    limit: usize,
) -> Vec<T> {
    let end = offset.saturating_add(limit).min(items.len());
    if offset >= end {
        return Vec::new();
    }
    if end < items.len() {
        items.select_nth_unstable_by(end - 1, &order);
        items.truncate(end);
    }
    items.sort_unstable_by(&order);
    items.drain(..offset);
    items
}

/// Customers keyed by a figure, highest first (then by id): the list's length and its window.
fn by_key_desc(
    all: Vec<(Decimal, &History)>,
    offset: usize,
    limit: usize,
) -> (usize, Vec<&History>) {
    let order = |a: &(Decimal, &History), b: &(Decimal, &History)| {
        b.0.cmp(&a.0).then(a.1.customer_id.cmp(&b.1.customer_id))
    };
    let n = all.len();
    (
        n,
        window(all, order, offset, limit)
            .into_iter()
            .map(|p| p.1)
            .collect(),
    )
}

/// What every figure of one computation shares: the period's customers, the measured
/// retention and the rates.
struct Basis<'a> {
    customers: &'a [History],
    year_fraction: Decimal,
    discount: Decimal,
    /// `None` without buyers in the previous period.
    retention: Option<Decimal>,
    churn_percent: Option<Decimal>,
}

impl<'a> Basis<'a> {
    fn new(customers: &'a [History], year_fraction: Decimal, discount_percent: Decimal) -> Self {
        let previous_buyers = customers.iter().filter(|c| c.previous_orders > 0).count();
        let churned = customers
            .iter()
            .filter(|c| c.previous_orders > 0 && c.orders == 0)
            .count();
        let churn_percent = crate::money::percent(
            Decimal::from(churned as u64),
            Decimal::from(previous_buyers as u64),
        );
        Basis {
            customers,
            year_fraction,
            discount: discount_percent / Decimal::ONE_HUNDRED,
            // Without buyers in the previous period there is no retention to measure, and so
            // no lifetime value: none is shown rather than a value from a made-up rate.
            retention: churn_percent.map(|c| (Decimal::ONE_HUNDRED - c) / Decimal::ONE_HUNDRED),
            churn_percent,
        }
    }

    fn lifetime_value(&self, c: &History) -> Decimal {
        if c.orders == 0 || self.year_fraction <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        let annual = c
            .margin
            .checked_div(self.year_fraction)
            .unwrap_or(Decimal::ZERO);
        lifetime_value(
            annual,
            self.retention.unwrap_or(Decimal::ZERO),
            self.discount,
        )
    }

    fn figure(&self, c: &History) -> CustomerFigure {
        CustomerFigure {
            customer_id: c.customer_id,
            name: String::new(),
            owner_name: None,
            revenue: c.revenue,
            previous_revenue: c.previous_revenue,
            margin: c.margin,
            share_percent: History::share(c.revenue, c.estimate),
            previous_share_percent: History::share(c.previous_revenue, c.previous_estimate),
            lifetime_value: self.lifetime_value(c),
        }
    }

    fn buyers(&self) -> Vec<&'a History> {
        self.customers.iter().filter(|c| c.orders > 0).collect()
    }

    /// Buyers ranked: highest revenue first, then the customer id.
    fn rank(a: &&History, b: &&History) -> std::cmp::Ordering {
        b.revenue
            .cmp(&a.revenue)
            .then(a.customer_id.cmp(&b.customer_id))
    }

    /// The top and the bottom tenth of the buyers (at least one each, unordered).
    fn deciles(&self) -> (Vec<&'a History>, Vec<&'a History>) {
        let buyers = self.buyers();
        let n = buyers.len();
        if n == 0 {
            return (Vec::new(), Vec::new());
        }
        let tenth = n.div_ceil(10);
        let mut top = buyers.clone();
        top.select_nth_unstable_by(tenth - 1, Self::rank);
        top.truncate(tenth);
        let mut bottom = buyers;
        bottom.select_nth_unstable_by(n - tenth, Self::rank);
        bottom.drain(..n - tenth);
        (top, bottom)
    }

    /// A page of a decile: the top highest revenue first, the bottom lowest first.
    fn decile_page(
        &self,
        decile: &[&'a History],
        top: bool,
        offset: usize,
        limit: usize,
    ) -> Vec<CustomerFigure> {
        let page = if top {
            window(decile.to_vec(), Self::rank, offset, limit)
        } else {
            window(decile.to_vec(), |a, b| Self::rank(b, a), offset, limit)
        };
        page.into_iter().map(|c| self.figure(c)).collect()
    }

    /// One list's figures `[offset, offset + limit)` and how many the list holds.
    fn list(&self, which: List, offset: usize, limit: usize) -> (u32, Vec<CustomerFigure>) {
        let (total, picked): (usize, Vec<&History>) = match which {
            List::Churned => {
                let all: Vec<&History> = self
                    .customers
                    .iter()
                    .filter(|c| c.previous_orders > 0 && c.orders == 0)
                    .collect();
                let order = |a: &&History, b: &&History| {
                    b.previous_revenue
                        .cmp(&a.previous_revenue)
                        .then(a.customer_id.cmp(&b.customer_id))
                };
                (all.len(), window(all, order, offset, limit))
            }
            List::PartialDefectors => {
                let all: Vec<(Decimal, &History)> = self
                    .customers
                    .iter()
                    .filter(|c| {
                        c.orders > 0 && c.previous_orders > 0 && c.revenue >= c.previous_revenue
                    })
                    .filter_map(|c| {
                        match (
                            History::share(c.revenue, c.estimate),
                            History::share(c.previous_revenue, c.previous_estimate),
                        ) {
                            (Some(now), Some(before)) if now < before => Some((before - now, c)),
                            _ => None,
                        }
                    })
                    .collect();
                by_key_desc(all, offset, limit)
            }
            List::Top | List::Bottom => {
                let (top, bottom) = self.deciles();
                let decile = if which == List::Top { top } else { bottom };
                let page = self.decile_page(&decile, which == List::Top, offset, limit);
                return (decile.len() as u32, page);
            }
            List::LifetimeValues => {
                if self.retention.is_none() {
                    return (0, Vec::new());
                }
                let all: Vec<(Decimal, &History)> = self
                    .buyers()
                    .into_iter()
                    .map(|c| (self.lifetime_value(c), c))
                    .collect();
                by_key_desc(all, offset, limit)
            }
        };
        (
            total as u32,
            picked.into_iter().map(|c| self.figure(c)).collect(),
        )
    }
}

/// Computes the economics of `customers`; `year_fraction` is the period's length in years
/// (1 for a year, about 1/12 for a month), `discount_percent` the yearly discount rate, and
/// each list of customers holds its first `shown` (`list` pages through the rest).
pub fn compute(
    customers: &[History],
    year_fraction: Decimal,
    discount_percent: Decimal,
    shown: usize,
) -> Economics {
    let basis = Basis::new(customers, year_fraction, discount_percent);
    let previous_buyers = customers.iter().filter(|c| c.previous_orders > 0).count() as u32;
    let buyers = basis.buyers();
    let n = buyers.len();
    let repeat_buyers = buyers.iter().filter(|c| c.orders >= 2).count() as u32;
    let (top, bottom) = basis.deciles();
    let decile = |list: &[&History]| Decile {
        customers: list.len() as u32,
        revenue: crate::money::sum(list.iter().map(|c| c.revenue)),
        margin: crate::money::sum(list.iter().map(|c| c.margin)),
    };
    let (top_decile, bottom_decile) = (decile(&top), decile(&bottom));
    let ratio = |a: Decimal, b: Decimal| {
        (b > Decimal::ZERO)
            .then(|| a.checked_div(b))
            .flatten()
            .map(|r| r.round_dp(2))
    };

    let mut segments: std::collections::BTreeMap<&str, (u32, Decimal)> = Default::default();
    if basis.retention.is_some() {
        for c in &buyers {
            let s = segments.entry(&c.segment).or_default();
            s.0 += 1;
            s.1 = s.1.saturating_add(basis.lifetime_value(c));
        }
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

    let (churned_total, churned) = basis.list(List::Churned, 0, shown);
    let (partial_defectors_total, partial_defectors) = basis.list(List::PartialDefectors, 0, shown);
    let (lifetime_values_total, lifetime_values) = basis.list(List::LifetimeValues, 0, shown);
    Economics {
        buyers: n as u32,
        previous_buyers,
        churn_percent: basis.churn_percent,
        retention_percent: basis.churn_percent.map(|c| Decimal::ONE_HUNDRED - c),
        churned,
        churned_total,
        partial_defectors,
        partial_defectors_total,
        repeat_buyers,
        repeat_purchase_percent: crate::money::percent(
            Decimal::from(repeat_buyers),
            Decimal::from(n as u64),
        ),
        top_to_bottom_revenue: ratio(top_decile.revenue, bottom_decile.revenue),
        top_to_bottom_margin: ratio(top_decile.margin, bottom_decile.margin),
        top_customers: basis.decile_page(&top, true, 0, shown),
        bottom_customers: basis.decile_page(&bottom, false, 0, shown),
        top_decile,
        bottom_decile,
        discount_percent,
        lifetime_values,
        lifetime_values_total,
        segments,
    }
}

/// One page of one list: `[offset, offset + limit)` in the list's order, and the list's length.
pub fn list(
    customers: &[History],
    year_fraction: Decimal,
    discount_percent: Decimal,
    which: List,
    offset: usize,
    limit: usize,
) -> (u32, Vec<CustomerFigure>) {
    Basis::new(customers, year_fraction, discount_percent).list(which, offset, limit)
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
            segment: if id % 2 == 0 { "华东" } else { "华北" }.into(),
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
        let e = compute(&list, Decimal::ONE, d("10"), 100);
        // Previous buyers: 1, 2, 3, 4, 6–12 = 11; churned 2 → 18.18 %.
        assert_eq!(
            (e.previous_buyers, e.churned.len(), e.churned_total),
            (11, 2, 2)
        );
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
        let e = compute(&one, d("1") / d("12"), d("10"), 100);
        // Nobody churned: retention 1, CLV = 12 × 300 × 1 ÷ 0.1.
        assert_eq!(e.lifetime_values[0].lifetime_value, d("36000"));
        // New buyers only: no retention measured, no lifetime value.
        let e = compute(&[h(1, ("1200", 1), ("0", 0))], Decimal::ONE, d("10"), 100);
        assert_eq!(
            (
                e.retention_percent,
                e.lifetime_values.len(),
                e.segments.len()
            ),
            (None, 0, 0)
        );
        let e = compute(&[], Decimal::ONE, d("10"), 100);
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
            let e = compute(&list, Decimal::ONE, d("10"), 100);
            let total: Decimal = list.iter().map(|c| c.revenue).sum();
            prop_assert!(e.top_decile.revenue >= e.bottom_decile.revenue);
            prop_assert!(e.top_decile.revenue <= total);
            prop_assert_eq!(e.top_decile.customers as usize, list.len().div_ceil(10));
            prop_assert_eq!(e.repeat_buyers, 0);
        }

        /// Every list, read page by page, is the whole list sorted in its own order: the
        /// selection that spares sorting a million buyers drops and repeats no one.
        #[test]
        fn pages_join_into_the_sorted_list(
            rows in proptest::collection::vec((0u32..50, 0u32..3, 0u32..50, 0u32..3, 0u32..4), 0..80),
            per_page in 1usize..9,
        ) {
            let list: Vec<History> = rows.iter().enumerate().map(|(i, (r, o, pr, po, e))| History {
                // Few distinct amounts: ties are broken by the customer id.
                estimate: (*e > 0).then(|| Decimal::from(*e * 40)),
                previous_estimate: (*e > 0).then(|| Decimal::from(30)),
                ..h(i as i64, (&(r * (*o).min(1)).to_string(), *o), (&(pr * (*po).min(1)).to_string(), *po))
            }).collect();
            for which in List::ALL {
                let (total, everything) = super::list(&list, Decimal::ONE, d("10"), which, 0, usize::MAX);
                prop_assert_eq!(total as usize, everything.len());
                let mut paged = Vec::new();
                let mut offset = 0;
                loop {
                    let (t, page) = super::list(&list, Decimal::ONE, d("10"), which, offset, per_page);
                    prop_assert_eq!(t, total);
                    if page.is_empty() { break; }
                    offset += page.len();
                    paged.extend(page);
                }
                prop_assert_eq!(&paged, &everything);
                let key = |f: &CustomerFigure| match which {
                    List::Churned => (-f.previous_revenue, f.customer_id),
                    List::Top => (-f.revenue, f.customer_id),
                    List::Bottom => (f.revenue, -f.customer_id),
                    List::LifetimeValues => (-f.lifetime_value, f.customer_id),
                    List::PartialDefectors => (
                        f.share_percent.unwrap() - f.previous_share_percent.unwrap(),
                        f.customer_id,
                    ),
                };
                prop_assert!(everything.windows(2).all(|w| key(&w[0]) < key(&w[1])), "{:?} out of order", which);
            }
            // The lists agree with the report's counts.
            let e = compute(&list, Decimal::ONE, d("10"), 3);
            prop_assert_eq!(e.churned_total, super::list(&list, Decimal::ONE, d("10"), List::Churned, 0, 0).0);
            prop_assert!(e.churned.len() <= 3 && e.top_customers.len() <= 3);
            prop_assert_eq!(e.top_decile.customers, super::list(&list, Decimal::ONE, d("10"), List::Top, 0, 0).0);
            // A report kept as JSON (`report_snapshots`) reads back as the same report, and
            // answers the same JSON.
            let kept = serde_json::to_string(&e).unwrap();
            let back: Economics = serde_json::from_str(&kept).unwrap();
            prop_assert_eq!(&back, &e);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), kept);
        }
    }
}
