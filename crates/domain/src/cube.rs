//! The statistics cube: each person's month of facts, pre-summed per value of every card field
//! and per product and category, so that a statistics query reads a few thousand summed cells
//! instead of every order line, payment and visit of the period.
//!
//! A cell is the sum of what each customer contributes to it. What one customer contributes
//! (`Contribution`) depends on that customer's rows alone, so a change to a customer (its card,
//! an order, a payment, a visit) is applied by taking back its old contribution and adding its new
//! one. Distinct counts (customers who ordered, customers visited) are sets of customer ids, so
//! they stay exact when cells are added together.

use crate::statistics::{CustomerCard, Dimension, Figures, Row};
use roaring::RoaringTreemap;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The card fields with a cell of their own, in the order `CardValues` keeps them. `""` is the
/// dimension of all facts together.
pub const CARD_DIMS: [&str; 8] = [
    "region",
    "industry",
    "source",
    "tier",
    "man_class",
    "key_account",
    "dealer",
    "kind",
];

/// A customer's value of each of `CARD_DIMS` (`""` for none), as statistics group them.
pub type CardValues = [String; 8];

pub fn card_values(card: &CustomerCard, kind: &str) -> CardValues {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        text(&card.region),
        text(&card.industry),
        text(&card.source),
        text(&card.tier),
        card.man_class().unwrap_or_default(),
        card.key_account().unwrap_or_default().to_string(),
        card.dealer.to_string(),
        kind.to_string(),
    ]
}

/// The cube dimension that groups or filters by `by`, if it has cells (named as the dimension;
/// person, team and month are in every cell's key instead).
pub fn dim_of(by: Dimension) -> Option<&'static str> {
    match by {
        Dimension::Owner | Dimension::Team | Dimension::Month => None,
        d => Some(d.as_str()),
    }
}

/// What one customer adds to one cell. Order lines give sales, margin and orders; the rest are
/// payments on the customer's orders, its registration and visits to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    #[serde(rename = "s", default, with = "rust_decimal::serde::str")]
    pub sales: Decimal,
    #[serde(rename = "m", default, with = "rust_decimal::serde::str")]
    pub margin: Decimal,
    #[serde(rename = "w", default)]
    pub lines_without_cost: u32,
    #[serde(rename = "o", default)]
    pub orders: u32,
    #[serde(rename = "c", default, with = "rust_decimal::serde::str")]
    pub collected: Decimal,
    #[serde(rename = "n", default)]
    pub new_customers: u32,
    #[serde(rename = "v", default)]
    pub visits: u32,
}

impl Share {
    pub fn add(&mut self, other: &Share) {
        self.sales = self.sales.saturating_add(other.sales);
        self.margin = self.margin.saturating_add(other.margin);
        self.lines_without_cost += other.lines_without_cost;
        self.orders += other.orders;
        self.collected = self.collected.saturating_add(other.collected);
        self.new_customers += other.new_customers;
        self.visits += other.visits;
    }
}

/// One order line in the reporting currency, as a customer's contribution counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFact {
    pub order_id: i64,
    /// The order's owner.
    pub person: i64,
    /// `YYYY-MM` of the order, in company time.
    pub month: String,
    pub amount: Decimal,
    /// `None`: the product had no cost.
    pub margin: Option<Decimal>,
    pub product: i64,
    pub category: Option<String>,
}

/// Money moved on one of the customer's orders (refunds negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFact {
    pub order_id: i64,
    pub person: i64,
    pub month: String,
    pub amount: Decimal,
}

/// Everything of one customer that statistics count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFacts {
    pub card: CardValues,
    pub lines: Vec<LineFact>,
    pub payments: Vec<PaymentFact>,
    /// Who registered it and the month, while it is not deleted.
    pub registration: Option<(i64, String)>,
    /// Visits: (visitor, month).
    pub visits: Vec<(i64, String)>,
}

/// What one customer adds to one person's cells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    pub card: CardValues,
    /// By month: the cells of all facts and of each card value.
    pub months: BTreeMap<String, Share>,
    /// (month, product id): the lines of that product, and payments on orders that include it.
    pub products: Vec<(String, i64, Share)>,
    /// (month, category, `""` for none): likewise for the lines of that category.
    pub categories: Vec<(String, String, Share)>,
}

/// Which cell: the dimension (`""`, a card field, `product` or `category`) and its value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    pub dim: &'static str,
    pub month: String,
    pub person: i64,
    pub value: String,
}

/// A customer's facts split by the person they count for.
pub fn contributions(facts: &CustomerFacts) -> BTreeMap<i64, Contribution> {
    #[derive(Default)]
    struct Acc {
        share: Share,
        orders: BTreeSet<i64>,
    }
    type Keyed<K> = BTreeMap<(i64, K), Acc>;
    let mut months: Keyed<String> = BTreeMap::new();
    let mut products: Keyed<(String, i64)> = BTreeMap::new();
    let mut categories: Keyed<(String, String)> = BTreeMap::new();
    fn line(acc: &mut Acc, l: &LineFact) {
        acc.share.sales = acc.share.sales.saturating_add(l.amount);
        match l.margin {
            Some(m) => acc.share.margin = acc.share.margin.saturating_add(m),
            None => acc.share.lines_without_cost += 1,
        }
        acc.orders.insert(l.order_id);
    }
    // Which products and categories each order includes, for the payments on it.
    let mut in_order: BTreeMap<i64, (BTreeSet<i64>, BTreeSet<String>)> = BTreeMap::new();
    for l in &facts.lines {
        let category = l.category.clone().unwrap_or_default();
        line(months.entry((l.person, l.month.clone())).or_default(), l);
        line(
            products
                .entry((l.person, (l.month.clone(), l.product)))
                .or_default(),
            l,
        );
        line(
            categories
                .entry((l.person, (l.month.clone(), category.clone())))
                .or_default(),
            l,
        );
        let e = in_order.entry(l.order_id).or_default();
        e.0.insert(l.product);
        e.1.insert(category);
    }
    for p in &facts.payments {
        let add =
            |acc: &mut Acc| acc.share.collected = acc.share.collected.saturating_add(p.amount);
        add(months.entry((p.person, p.month.clone())).or_default());
        if let Some((ps, cs)) = in_order.get(&p.order_id) {
            for product in ps {
                add(products
                    .entry((p.person, (p.month.clone(), *product)))
                    .or_default());
            }
            for category in cs {
                add(categories
                    .entry((p.person, (p.month.clone(), category.clone())))
                    .or_default());
            }
        }
    }
    if let Some((person, month)) = &facts.registration {
        months
            .entry((*person, month.clone()))
            .or_default()
            .share
            .new_customers += 1;
    }
    for (person, month) in &facts.visits {
        months
            .entry((*person, month.clone()))
            .or_default()
            .share
            .visits += 1;
    }

    let mut out: BTreeMap<i64, Contribution> = BTreeMap::new();
    let blank = || Contribution {
        card: facts.card.clone(),
        ..Default::default()
    };
    let finish = |acc: Acc| Share {
        orders: acc.orders.len() as u32,
        ..acc.share
    };
    for ((person, month), acc) in months {
        out.entry(person)
            .or_insert_with(blank)
            .months
            .insert(month, finish(acc));
    }
    for ((person, (month, product)), acc) in products {
        out.entry(person)
            .or_insert_with(blank)
            .products
            .push((month, product, finish(acc)));
    }
    for ((person, (month, category)), acc) in categories {
        out.entry(person)
            .or_insert_with(blank)
            .categories
            .push((month, category, finish(acc)));
    }
    out
}

impl Contribution {
    /// The cells this contribution adds to, with what it adds to each.
    pub fn cells(&self, person: i64) -> Vec<(CellKey, &Share)> {
        let mut out = Vec::new();
        for person in [person, COMPANY] {
            self.cells_of(person, &mut out);
        }
        out
    }

    fn cells_of<'a>(&'a self, person: i64, out: &mut Vec<(CellKey, &'a Share)>) {
        for (month, share) in &self.months {
            let key = |dim: &'static str, value: &str| CellKey {
                dim,
                month: month.clone(),
                person,
                value: value.to_string(),
            };
            out.push((key("", ""), share));
            for (dim, value) in CARD_DIMS.iter().zip(&self.card) {
                out.push((key(dim, value), share));
            }
        }
        for (month, product, share) in &self.products {
            out.push((
                CellKey {
                    dim: "product",
                    month: month.clone(),
                    person,
                    value: product.to_string(),
                },
                share,
            ));
        }
        for (month, category, share) in &self.categories {
            out.push((
                CellKey {
                    dim: "category",
                    month: month.clone(),
                    person,
                    value: category.clone(),
                },
                share,
            ));
        }
    }
}

/// The person of the company-wide cells: everyone's facts together, for a query over the whole
/// organization that groups by neither person nor team (no person has id 0).
pub const COMPANY: i64 = 0;

/// Each customer's share of each cell, its contributions for different people added together
/// (a company-wide cell holds one customer's facts for every person; its sets must hold the
/// customer while any of them counts it).
pub fn shares<'a>(
    contributions: impl IntoIterator<Item = &'a (i64, i64, Contribution)>,
) -> BTreeMap<(i64, CellKey), Share> {
    let mut out: BTreeMap<(i64, CellKey), Share> = BTreeMap::new();
    for (customer, person, c) in contributions {
        for (key, share) in c.cells(*person) {
            out.entry((*customer, key)).or_default().add(share);
        }
    }
    out
}

/// The sum of many customers' shares in one cell.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measures {
    pub sales: Decimal,
    pub margin: Decimal,
    pub lines_without_cost: i64,
    pub orders: i64,
    pub collected: Decimal,
    pub new_customers: i64,
    pub visits: i64,
    /// Customers with an order line in the cell.
    pub buyers: RoaringTreemap,
    pub visited: RoaringTreemap,
}

impl Measures {
    /// Adds (`sign` 1) or takes back (`sign` -1) one customer's share.
    pub fn apply(&mut self, customer: i64, share: &Share, sign: i64) {
        let d = Decimal::from(sign);
        self.sales += share.sales * d;
        self.margin += share.margin * d;
        self.lines_without_cost += i64::from(share.lines_without_cost) * sign;
        self.orders += i64::from(share.orders) * sign;
        self.collected += share.collected * d;
        self.new_customers += i64::from(share.new_customers) * sign;
        self.visits += i64::from(share.visits) * sign;
        let id = customer as u64;
        let (buyer, visitor) = (share.orders > 0, share.visits > 0);
        if sign > 0 {
            if buyer {
                self.buyers.insert(id);
            }
            if visitor {
                self.visited.insert(id);
            }
        } else {
            if buyer {
                self.buyers.remove(id);
            }
            if visitor {
                self.visited.remove(id);
            }
        }
    }

    /// Only the part that is not order lines.
    pub fn rest_only(mut self) -> Self {
        self.sales = Decimal::ZERO;
        self.margin = Decimal::ZERO;
        self.lines_without_cost = 0;
        self.orders = 0;
        self.buyers.clear();
        self
    }

    pub fn is_empty(&self) -> bool {
        self.sales.is_zero()
            && self.margin.is_zero()
            && self.lines_without_cost == 0
            && self.orders == 0
            && self.collected.is_zero()
            && self.new_customers == 0
            && self.visits == 0
            && self.buyers.is_empty()
            && self.visited.is_empty()
    }

    fn has_lines(&self) -> bool {
        self.orders != 0 || self.lines_without_cost != 0 || !self.sales.is_zero()
    }

    /// The indicators; `ordering`: every customer who ordered within the whole query, for the
    /// conversion of the visited.
    pub fn figures(&self, ordering: &RoaringTreemap) -> Figures {
        let zero = |d: Decimal| if d.is_zero() { Decimal::ZERO } else { d };
        let count = |n: i64| u32::try_from(n).unwrap_or(0);
        let visited = self.visited.len();
        Figures {
            sales: zero(self.sales),
            gross_margin: zero(self.margin),
            lines_without_cost: count(self.lines_without_cost),
            orders: count(self.orders),
            customers: self.buyers.len() as u32,
            new_customers: count(self.new_customers),
            collected: zero(self.collected),
            visits: count(self.visits),
            visited_customers: visited as u32,
            conversion_percent: crate::money::percent(
                Decimal::from(self.visited.intersection_len(ordering)),
                Decimal::from(visited),
            ),
        }
    }
}

/// A summed cell as a query reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub person: i64,
    pub month: String,
    /// The cell's card, product or category value (`""` in the cells of all facts).
    pub value: String,
    pub measures: Measures,
}

/// Rows grouped `by`, and the total, from the cells a query selected. For product and category
/// only order lines have a group (as with raw facts); `total`, when given, sums instead of
/// `cells` (an order with lines of two products is in two product cells but one order).
pub fn group_cells(
    cells: &[Cell],
    total: Option<&[Cell]>,
    by: Dimension,
    team_of: &dyn Fn(i64) -> Option<i64>,
) -> (Vec<Row>, Figures) {
    let lines_only = matches!(by, Dimension::Product | Dimension::Category);
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for c in cells {
        if lines_only && !c.measures.has_lines() && c.measures.buyers.is_empty() {
            continue;
        }
        let key = match by {
            Dimension::Owner => c.person.to_string(),
            Dimension::Team => team_of(c.person).map(|t| t.to_string()).unwrap_or_default(),
            Dimension::Month => c.month.clone(),
            _ => c.value.clone(),
        };
        groups.entry(key).or_default().add(&c.measures, !lines_only);
    }
    let groups: Vec<(String, Measures)> = groups
        .into_iter()
        .map(|(key, g)| (key, g.finish()))
        .collect();
    let mut sum = Group::default();
    match total {
        // Every cell is in exactly one group: the total is the groups'.
        None if !lines_only => groups.iter().for_each(|(_, m)| sum.add(m, true)),
        _ => total
            .unwrap_or(cells)
            .iter()
            .for_each(|c| sum.add(&c.measures, true)),
    }
    let sum = sum.finish();
    let ordering = &sum.buyers;
    let mut rows: Vec<Row> = groups
        .into_iter()
        .map(|(key, m)| Row {
            key,
            figures: m.figures(ordering),
        })
        .collect();
    crate::statistics::sort_rows(&mut rows, by);
    (rows, sum.figures(ordering))
}

/// Cells being added up: the sets are united once at the end (adding thousands of small sets
/// to a growing one, one by one, copies the growing one each time).
#[derive(Default)]
struct Group<'a> {
    numbers: Measures,
    buyers: Vec<&'a RoaringTreemap>,
    visited: Vec<&'a RoaringTreemap>,
}

impl<'a> Group<'a> {
    fn add(&mut self, m: &'a Measures, rest: bool) {
        let n = &mut self.numbers;
        n.sales += m.sales;
        n.margin += m.margin;
        n.lines_without_cost += m.lines_without_cost;
        n.orders += m.orders;
        self.buyers.push(&m.buyers);
        if rest {
            n.collected += m.collected;
            n.new_customers += m.new_customers;
            n.visits += m.visits;
            self.visited.push(&m.visited);
        }
    }

    fn finish(self) -> Measures {
        use roaring::MultiOps;
        Measures {
            buyers: self.buyers.into_iter().union(),
            visited: self.visited.into_iter().union(),
            ..self.numbers
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::{group, Fact, FactKind};
    use proptest::prelude::*;
    use std::sync::Arc;

    /// Raw facts of one customer, as the statistics' raw path reads them.
    fn raw_facts(id: i64, card: &CustomerCard, f: &CustomerFacts) -> Vec<Fact> {
        let card = Arc::new(card.clone());
        let fact = |kind, person, month: &str| Fact {
            kind,
            person,
            customer_id: id,
            card: card.clone(),
            month: month.to_string(),
            product: None,
            category: None,
        };
        let mut out = Vec::new();
        for l in &f.lines {
            out.push(Fact {
                product: Some((l.product, format!("p{}", l.product))),
                category: l.category.clone(),
                ..fact(
                    FactKind::Order {
                        order_id: l.order_id,
                        amount: l.amount,
                        margin: l.margin,
                    },
                    l.person,
                    &l.month,
                )
            });
        }
        for p in &f.payments {
            out.push(fact(FactKind::Collection(p.amount), p.person, &p.month));
        }
        if let Some((person, month)) = &f.registration {
            out.push(fact(FactKind::NewCustomers(1), *person, month));
        }
        for (person, month) in &f.visits {
            out.push(fact(FactKind::Visit, *person, month));
        }
        out
    }

    /// The cells of `dim` summed from every customer's contribution, as the store keeps them:
    /// per person, or the company's.
    fn cube(customers: &[(i64, CustomerFacts)], dim: &str, company: bool) -> Vec<Cell> {
        let all: Vec<(i64, i64, Contribution)> = customers
            .iter()
            .flat_map(|(id, f)| contributions(f).into_iter().map(|(p, c)| (*id, p, c)))
            .collect();
        let mut cells: BTreeMap<CellKey, Measures> = BTreeMap::new();
        for ((id, key), share) in shares(&all) {
            if key.dim == dim && (key.person == COMPANY) == company {
                cells.entry(key).or_default().apply(id, &share, 1);
            }
        }
        cells
            .into_iter()
            .map(|(k, measures)| Cell {
                person: k.person,
                month: k.month,
                value: k.value,
                measures,
            })
            .collect()
    }

    fn arb_customer() -> impl Strategy<Value = (CustomerCard, String, CustomerFacts)> {
        let month = prop_oneof![Just("2026-10".to_string()), Just("2026-11".to_string())];
        let person = 1i64..4;
        let money = (0i64..50_000).prop_map(|c| Decimal::new(c, 2));
        let line = (
            0i64..6,
            person.clone(),
            month.clone(),
            money.clone(),
            proptest::option::of(money.clone()),
            1i64..4,
            proptest::option::of(prop_oneof![Just("a".to_string()), Just("b".to_string())]),
        );
        (
            proptest::option::of(prop_oneof![
                Just("华东".to_string()),
                Just("华北".to_string())
            ]),
            proptest::option::of(0i64..2),
            any::<bool>(),
            prop_oneof![Just("company".to_string()), Just("individual".to_string())],
            proptest::collection::vec(line, 0..6),
            proptest::collection::vec((0i64..6, money), 0..4),
            proptest::option::of((person.clone(), month.clone())),
            proptest::collection::vec((person, month), 0..5),
        )
            .prop_map(
                |(region, man, dealer, kind, lines, payments, registration, visits)| {
                    let card = CustomerCard {
                        region,
                        man_money: man,
                        man_authority: man,
                        man_need: Some(1),
                        dealer,
                        ..Default::default()
                    };
                    // An order belongs to one owner and month: its first line's.
                    let mut heads: BTreeMap<i64, (i64, String)> = BTreeMap::new();
                    let lines: Vec<LineFact> = lines
                        .into_iter()
                        .map(
                            |(order, person, month, amount, margin, product, category)| {
                                let (person, month) =
                                    heads.entry(order).or_insert((person, month)).clone();
                                LineFact {
                                    order_id: order,
                                    person,
                                    month,
                                    amount,
                                    margin,
                                    product,
                                    category,
                                }
                            },
                        )
                        .collect();
                    let payments = payments
                        .into_iter()
                        .filter_map(|(order, amount)| {
                            let (person, month) = heads.get(&order)?.clone();
                            Some(PaymentFact {
                                order_id: order,
                                person,
                                month,
                                amount,
                            })
                        })
                        .collect();
                    let facts = CustomerFacts {
                        card: card_values(&card, &kind),
                        lines,
                        payments,
                        registration,
                        visits,
                    };
                    (card, kind, facts)
                },
            )
    }

    proptest! {
        /// Summed cells give exactly what the raw facts give, for every grouping.
        #[test]
        fn cells_group_as_the_raw_facts_do(raw in proptest::collection::vec(arb_customer(), 1..6)) {
            // Order ids are per customer in the strategy: make them unique across customers.
            let customers: Vec<(i64, CustomerFacts)> = raw
                .iter()
                .enumerate()
                .map(|(i, (_, _, f))| {
                    let mut f = f.clone();
                    let base = 100 * i as i64;
                    for l in &mut f.lines { l.order_id += base; }
                    for p in &mut f.payments { p.order_id += base; }
                    (i as i64 + 1, f)
                })
                .collect();
            let mut facts = Vec::new();
            for ((id, f), (card, _, _)) in customers.iter().zip(&raw) {
                facts.extend(raw_facts(*id, card, f));
            }
            let team_of = |p: i64| (p > 1).then_some(1);
            for by in Dimension::ALL {
                let (want_rows, want_total) = group(&facts, by, &team_of);
                // The company's cells serve any grouping but by person.
                for company in [false, true] {
                    if company && matches!(by, Dimension::Owner | Dimension::Team) {
                        continue;
                    }
                    let (rows, total) = match dim_of(by) {
                        Some(dim @ ("product" | "category")) => {
                            let all = cube(&customers, "", company);
                            group_cells(&cube(&customers, dim, company), Some(&all), by, &team_of)
                        }
                        Some(dim) => group_cells(&cube(&customers, dim, company), None, by, &team_of),
                        None => group_cells(&cube(&customers, "", company), None, by, &team_of),
                    };
                    prop_assert_eq!(&total, &want_total, "total by {:?}, company {}", by, company);
                    prop_assert_eq!(&rows, &want_rows, "rows by {:?}, company {}", by, company);
                }
            }
        }

        /// Taking a customer's contribution back leaves the cells as if it never was.
        #[test]
        fn taking_back_a_contribution_restores_the_cells(raw in proptest::collection::vec(arb_customer(), 2..5)) {
            let mut cells: BTreeMap<CellKey, Measures> = BTreeMap::new();
            let mut without_last: BTreeMap<CellKey, Measures> = BTreeMap::new();
            let last = raw.len() - 1;
            let of = |i: usize| -> Vec<(i64, i64, Contribution)> {
                contributions(&raw[i].2).into_iter().map(|(p, c)| (i as i64, p, c)).collect()
            };
            for i in 0..raw.len() {
                for ((id, key), share) in shares(&of(i)) {
                    cells.entry(key.clone()).or_default().apply(id, &share, 1);
                    if i != last {
                        without_last.entry(key).or_default().apply(id, &share, 1);
                    }
                }
            }
            for ((id, key), share) in shares(&of(last)) {
                cells.get_mut(&key).unwrap().apply(id, &share, -1);
            }
            cells.retain(|_, m| !m.is_empty());
            without_last.retain(|_, m| !m.is_empty());
            prop_assert_eq!(cells, without_last);
        }
    }

    #[test]
    fn a_payment_counts_for_each_product_of_its_order() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let line = |product, category: &str| LineFact {
            order_id: 7,
            person: 2,
            month: "2026-11".into(),
            amount: d("100"),
            margin: None,
            product,
            category: Some(category.into()),
        };
        let facts = CustomerFacts {
            lines: vec![line(1, "a"), line(2, "a")],
            payments: vec![PaymentFact {
                order_id: 7,
                person: 2,
                month: "2026-11".into(),
                amount: d("50"),
            }],
            ..Default::default()
        };
        let c = &contributions(&facts)[&2];
        assert_eq!(c.months["2026-11"].orders, 1);
        assert_eq!(c.months["2026-11"].collected, d("50"));
        assert_eq!(c.products.len(), 2);
        for (_, _, s) in &c.products {
            assert_eq!((s.orders, s.collected, s.sales), (1, d("50"), d("100")));
        }
        assert_eq!(c.categories.len(), 1);
        assert_eq!(c.categories[0].2.sales, d("200"));
        assert_eq!(
            c.categories[0].2.collected,
            d("50"),
            "once per order, not per line"
        );
    }
}
