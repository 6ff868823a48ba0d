//! Rollups: the additive part of the report figures, kept per person and day (and per person
//! and month) so that a company's month or year is read from a few rows per person instead of
//! every order, payment, registration and visit of the period.
//!
//! One definition serves both paths: [`Tally::of`] counts raw facts, and the store keeps each
//! person-day's tally by running it over that day's rows in the writing transaction. Figures
//! that are not additive over days (distinct customers visited, the transaction rate) are not
//! in a tally; they are counted from the raw rows where a report shows them.

use crate::order::PaymentKind;
use crate::weekly_report::{
    is_effective_visit, Figures, OrderFact, PaymentFact, Period, VisitFact, REPORTING_CURRENCY,
};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What one person did in a span: sums and counts that add up over days and people.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Orders in the reporting currency: their totals and how many.
    pub sales: Decimal,
    pub orders: u32,
    /// Gross margin of the orders whose every line had a cost.
    pub gross_margin: Decimal,
    pub orders_without_cost: u32,
    pub other_currency_orders: u32,
    /// Deposits and payments less refunds, reporting currency.
    pub collected: Decimal,
    pub new_customers: u32,
    pub new_dealers: u32,
    pub visits: u32,
    pub effective_visits: u32,
}

impl Tally {
    /// Counts orders (by their owner), money moved (by the order's owner) and visits (by the
    /// visitor); the caller passes one person's facts, or a team's.
    pub fn of<'a>(
        orders: impl IntoIterator<Item = &'a OrderFact>,
        payments: impl IntoIterator<Item = &'a PaymentFact>,
        visits: impl IntoIterator<Item = &'a VisitFact>,
    ) -> Tally {
        let mut t = Tally::default();
        for o in orders {
            if o.currency == REPORTING_CURRENCY {
                t.sales = t.sales.saturating_add(o.total);
                t.orders += 1;
                match o.margin {
                    Some(m) => t.gross_margin = t.gross_margin.saturating_add(m),
                    None => t.orders_without_cost += 1,
                }
            } else {
                t.other_currency_orders += 1;
            }
        }
        for p in payments
            .into_iter()
            .filter(|p| p.currency == REPORTING_CURRENCY)
        {
            t.collected = match p.kind {
                PaymentKind::Deposit | PaymentKind::Payment => t.collected.saturating_add(p.amount),
                PaymentKind::Refund => t.collected.saturating_sub(p.amount),
            };
        }
        for v in visits {
            t.visits += 1;
            if is_effective_visit(v, v.customer_ordered) {
                t.effective_visits += 1;
            }
        }
        t
    }

    pub fn add(&mut self, other: &Tally) {
        self.sales = self.sales.saturating_add(other.sales);
        self.orders += other.orders;
        self.gross_margin = self.gross_margin.saturating_add(other.gross_margin);
        self.orders_without_cost += other.orders_without_cost;
        self.other_currency_orders += other.other_currency_orders;
        self.collected = self.collected.saturating_add(other.collected);
        self.new_customers += other.new_customers;
        self.new_dealers += other.new_dealers;
        self.visits += other.visits;
        self.effective_visits += other.effective_visits;
    }

    /// Nothing happened: the store keeps no row for it.
    pub fn is_empty(&self) -> bool {
        *self == Tally::default()
    }

    /// Adds these sums and counts to a report's figures.
    pub fn add_to(&self, f: &mut Figures) {
        f.sales = f.sales.saturating_add(self.sales);
        f.orders += self.orders;
        f.gross_margin = f.gross_margin.saturating_add(self.gross_margin);
        f.orders_without_cost += self.orders_without_cost;
        f.other_currency_orders += self.other_currency_orders;
        f.collected = f.collected.saturating_add(self.collected);
        f.new_customers += self.new_customers;
        f.new_dealers += self.new_dealers;
        f.visits += self.visits;
        f.effective_visits += self.effective_visits;
    }
}

/// How a period is read from the rollups: the calendar months wholly inside it from the
/// monthly rows, the days left over from the daily rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cover {
    /// First day of each whole month.
    pub months: Vec<NaiveDate>,
    /// `[from, to)` spans of days outside the whole months.
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a first day")
}

fn next_month(first: NaiveDate) -> NaiveDate {
    Period::month_of(first).end
}

/// Splits `period` (`[start, end)`) into whole months and the days around them.
pub fn cover(period: Period) -> Cover {
    let mut c = Cover::default();
    if period.end <= period.start {
        return c;
    }
    let mut month = first_of_month(period.start);
    if month < period.start {
        month = next_month(month);
    }
    let lead_end = month.min(period.end);
    if period.start < lead_end {
        c.days.push((period.start, lead_end));
    }
    while month < period.end && next_month(month) <= period.end {
        c.months.push(month);
        month = next_month(month);
    }
    if month < period.end && month >= lead_end {
        c.days.push((month, period.end));
    }
    c
}

/// The rollup row keys: `YYYY-MM-DD` and `YYYY-MM`.
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

pub fn month_key(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn days_of(c: &Cover) -> Vec<NaiveDate> {
        let mut out = Vec::new();
        for m in &c.months {
            let mut d = *m;
            while d < next_month(*m) {
                out.push(d);
                d = d.succ_opt().unwrap();
            }
        }
        for (from, to) in &c.days {
            let mut d = *from;
            while d < *to {
                out.push(d);
                d = d.succ_opt().unwrap();
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_month_is_one_monthly_row_and_a_week_is_days() {
        let nov = Period::month_of(day("2026-11-27"));
        assert_eq!(
            cover(nov),
            Cover {
                months: vec![day("2026-11-01")],
                days: vec![]
            }
        );
        let week = Period::week_of(day("2026-11-27"));
        assert_eq!(cover(week).months, Vec::<NaiveDate>::new());
        assert_eq!(cover(week).days, vec![(week.start, week.end)]);
        // A quarter to date: two whole months and the days of the third.
        let q = Period {
            start: day("2026-10-01"),
            end: day("2026-12-15"),
        };
        assert_eq!(
            cover(q),
            Cover {
                months: vec![day("2026-10-01"), day("2026-11-01")],
                days: vec![(day("2026-12-01"), day("2026-12-15"))]
            }
        );
        // Across a year's end, starting mid-month.
        let span = Period {
            start: day("2026-12-20"),
            end: day("2027-02-01"),
        };
        assert_eq!(
            cover(span),
            Cover {
                months: vec![day("2027-01-01")],
                days: vec![(day("2026-12-20"), day("2027-01-01"))]
            }
        );
    }

    #[test]
    fn a_tally_counts_what_the_report_counts() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let order = |total: &str, currency: &str, margin: Option<&str>| OrderFact {
            owner_id: 1,
            customer_id: 5,
            total: d(total),
            currency: currency.into(),
            margin: margin.map(d),
        };
        let pay = |kind, amount: &str| PaymentFact {
            owner_id: 1,
            kind,
            amount: d(amount),
            currency: "CNY".into(),
        };
        let visit = |o, n, ordered| VisitFact {
            user_id: 1,
            customer_id: 5,
            outcome_recorded: o,
            next_step_recorded: n,
            customer_ordered: ordered,
        };
        let t = Tally::of(
            &[
                order("100.50", "CNY", Some("40.125")),
                order("200", "CNY", None),
                order("999", "USD", None),
            ],
            &[
                pay(PaymentKind::Deposit, "50"),
                pay(PaymentKind::Payment, "70"),
                pay(PaymentKind::Refund, "20.5"),
            ],
            &[
                visit(true, true, false),
                visit(true, false, true),
                visit(true, false, false),
                visit(false, true, true),
            ],
        );
        assert_eq!(t.sales, d("300.50"));
        assert_eq!(
            (t.orders, t.orders_without_cost, t.other_currency_orders),
            (2, 1, 1)
        );
        assert_eq!(t.gross_margin, d("40.125"));
        assert_eq!(t.collected, d("99.5"));
        assert_eq!((t.visits, t.effective_visits), (4, 2));
        assert!(!t.is_empty());
        assert!(Tally::default().is_empty());
    }

    proptest! {
        /// Every day of the period is covered exactly once, and nothing outside it.
        #[test]
        fn cover_is_exact(start in 0i64..800, len in 0i64..500) {
            let start = day("2026-01-01") + chrono::Duration::days(start);
            let period = Period { start, end: start + chrono::Duration::days(len) };
            let c = cover(period);
            let mut want = Vec::new();
            let mut d = period.start;
            while d < period.end {
                want.push(d);
                d = d.succ_opt().unwrap();
            }
            prop_assert_eq!(days_of(&c), want);
            for m in &c.months {
                prop_assert_eq!(m.day(), 1);
            }
        }

        /// Tallies of parts add up to the tally of the whole.
        #[test]
        fn tallies_add_up(orders in proptest::collection::vec((0u32..100_000, any::<bool>()), 0..20),
                          visits in proptest::collection::vec((any::<bool>(), any::<bool>(), any::<bool>()), 0..20),
                          split in 0usize..20) {
            let orders: Vec<OrderFact> = orders.iter().map(|&(t, m)| OrderFact {
                owner_id: 1, customer_id: 1, total: Decimal::new(i64::from(t), 2),
                currency: "CNY".into(), margin: m.then(|| Decimal::new(i64::from(t), 3)) }).collect();
            let visits: Vec<VisitFact> = visits.iter().map(|&(o, n, c)| VisitFact {
                user_id: 1, customer_id: 1, outcome_recorded: o, next_step_recorded: n, customer_ordered: c }).collect();
            let (oa, ob) = orders.split_at(split.min(orders.len()));
            let (va, vb) = visits.split_at(split.min(visits.len()));
            let mut parts = Tally::of(oa, &[], va);
            parts.add(&Tally::of(ob, &[], vb));
            prop_assert_eq!(parts, Tally::of(&orders, &[], &visits));
        }
    }
}
