//! Statistics (统计分析, seed 002's fourth function): the period's facts grouped by a dimension
//! the user picks — person, team, region, industry, source, tier, MAN class, key-account class,
//! dealer or not, product, month — with the same indicators in every group. The store loads the
//! facts within the viewer's scope and filters; this module groups and counts them, and defines
//! each indicator once (`docs/reports.md` says the same in words).

use crate::error::ValidationError;
use crate::qualification::{key_account_class, Level, Man};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = StatisticsDimension)]
pub enum Dimension {
    /// The salesperson credited (order owner, registering person, visitor).
    Owner,
    /// The supervisor above that person.
    Team,
    Region,
    Industry,
    Source,
    Tier,
    ManClass,
    KeyAccount,
    Dealer,
    Product,
    /// The product's category when the order was taken.
    Category,
    Month,
}

impl Dimension {
    pub const ALL: [Dimension; 12] = [
        Dimension::Owner,
        Dimension::Team,
        Dimension::Region,
        Dimension::Industry,
        Dimension::Source,
        Dimension::Tier,
        Dimension::ManClass,
        Dimension::KeyAccount,
        Dimension::Dealer,
        Dimension::Product,
        Dimension::Category,
        Dimension::Month,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Owner => "owner",
            Dimension::Team => "team",
            Dimension::Region => "region",
            Dimension::Industry => "industry",
            Dimension::Source => "source",
            Dimension::Tier => "tier",
            Dimension::ManClass => "man_class",
            Dimension::KeyAccount => "key_account",
            Dimension::Dealer => "dealer",
            Dimension::Product => "product",
            Dimension::Category => "category",
            Dimension::Month => "month",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "group_by",
                    "unknown_dimension",
                    format!(
                        "unknown dimension {raw:?}; expected one of {}",
                        Self::ALL.map(Dimension::as_str).join(", ")
                    ),
                )
            })
    }
}

/// The indicators every row carries; a company chooses which its pages show by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    Sales,
    GrossMargin,
    Orders,
    Customers,
    NewCustomers,
    Collected,
    Visits,
    Conversion,
}

impl Indicator {
    pub const ALL: [Indicator; 8] = [
        Indicator::Sales,
        Indicator::GrossMargin,
        Indicator::Orders,
        Indicator::Customers,
        Indicator::NewCustomers,
        Indicator::Collected,
        Indicator::Visits,
        Indicator::Conversion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Sales => "sales",
            Indicator::GrossMargin => "gross_margin",
            Indicator::Orders => "orders",
            Indicator::Customers => "customers",
            Indicator::NewCustomers => "new_customers",
            Indicator::Collected => "collected",
            Indicator::Visits => "visits",
            Indicator::Conversion => "conversion",
        }
    }

    /// A comma-separated list such as `sales,collected`; empty is every indicator.
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, ValidationError> {
        let mut out = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let i = Self::ALL
                .into_iter()
                .find(|i| i.as_str() == part)
                .ok_or_else(|| {
                    ValidationError::new(
                        "indicators",
                        "unknown_indicator",
                        format!(
                            "unknown indicator {part:?}; expected some of {}",
                            Self::ALL.map(Indicator::as_str).join(", ")
                        ),
                    )
                })?;
            if !out.contains(&i) {
                out.push(i);
            }
        }
        Ok(if out.is_empty() {
            Self::ALL.to_vec()
        } else {
            out
        })
    }
}

/// The card fields of the customer a fact is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CustomerCard {
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub tier: Option<String>,
    pub man_money: Option<i64>,
    pub man_authority: Option<i64>,
    pub man_need: Option<i64>,
    pub attractiveness: Option<String>,
    pub ability_to_win: Option<String>,
    pub dealer: bool,
}

impl CustomerCard {
    /// `MAn` and the like, once all three were assessed.
    pub fn man_class(&self) -> Option<String> {
        Some(
            Man {
                money: self.man_money? != 0,
                authority: self.man_authority? != 0,
                need: self.man_need? != 0,
            }
            .class(),
        )
    }

    pub fn key_account(&self) -> Option<&'static str> {
        let a = Level::parse("attractiveness", self.attractiveness.as_deref()?).ok()?;
        let w = Level::parse("ability_to_win", self.ability_to_win.as_deref()?).ok()?;
        Some(key_account_class(a, w).as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactKind {
    /// An order (its total); for the product dimension, one line (its amount).
    Order {
        order_id: i64,
        amount: Decimal,
        margin: Option<Decimal>,
    },
    /// Money moved on an order: deposits and payments positive, refunds negative.
    Collection(Decimal),
    /// This many customers registered (the store groups registrations with the same card).
    NewCustomers(u32),
    Visit,
}

/// Something that happened in the period, with everything it may be grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: FactKind,
    /// The person credited: order owner, registering person, visitor.
    pub person: i64,
    pub customer_id: i64,
    pub card: std::sync::Arc<CustomerCard>,
    /// `YYYY-MM` in company time.
    pub month: String,
    /// Only on order lines: (product id, product name).
    pub product: Option<(i64, String)>,
    /// Only on order lines: the product's category then.
    pub category: Option<String>,
}

/// The indicators of one group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = StatisticsFigures)]
pub struct Figures {
    #[serde(with = "rust_decimal::serde::str")]
    pub sales: Decimal,
    /// Gross margin of the lines whose product had a cost.
    #[serde(with = "rust_decimal::serde::str")]
    pub gross_margin: Decimal,
    /// Order lines outside `gross_margin` for want of a cost.
    pub lines_without_cost: u32,
    pub orders: u32,
    /// Customers who ordered.
    pub customers: u32,
    pub new_customers: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub collected: Decimal,
    pub visits: u32,
    pub visited_customers: u32,
    /// Of the customers visited, those who ordered in the period (from anyone in scope), as a
    /// percentage with two decimals: the transaction rate of the weekly report.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub conversion_percent: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The group's key (`""` for facts without a value, such as customers with no region).
    pub key: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The key a fact falls under; `team_of` gives a person's supervisor.
fn key_of(fact: &Fact, by: Dimension, team_of: &dyn Fn(i64) -> Option<i64>) -> Option<String> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Some(match by {
        Dimension::Owner => fact.person.to_string(),
        Dimension::Team => team_of(fact.person)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        Dimension::Region => text(&fact.card.region),
        Dimension::Industry => text(&fact.card.industry),
        Dimension::Source => text(&fact.card.source),
        Dimension::Tier => text(&fact.card.tier),
        Dimension::ManClass => fact.card.man_class().unwrap_or_default(),
        Dimension::KeyAccount => fact.card.key_account().unwrap_or_default().to_string(),
        Dimension::Dealer => fact.card.dealer.to_string(),
        Dimension::Month => fact.month.clone(),
        // Only order lines name a product: other facts are in the total alone.
        Dimension::Product => fact.product.as_ref()?.0.to_string(),
        Dimension::Category => {
            fact.product.as_ref()?;
            text(&fact.category)
        }
    })
}

fn figures<'a>(facts: impl Iterator<Item = &'a Fact>, ordering: &BTreeSet<i64>) -> Figures {
    let mut f = Figures::default();
    let (mut orders, mut buyers, mut visited) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for fact in facts {
        match &fact.kind {
            FactKind::Order {
                order_id,
                amount,
                margin,
            } => {
                f.sales = f.sales.saturating_add(*amount);
                match margin {
                    Some(m) => f.gross_margin = f.gross_margin.saturating_add(*m),
                    None => f.lines_without_cost += 1,
                }
                orders.insert(*order_id);
                buyers.insert(fact.customer_id);
            }
            FactKind::Collection(a) => f.collected = f.collected.saturating_add(*a),
            FactKind::NewCustomers(n) => f.new_customers += n,
            FactKind::Visit => {
                f.visits += 1;
                visited.insert(fact.customer_id);
            }
        }
    }
    f.orders = orders.len() as u32;
    f.customers = buyers.len() as u32;
    f.visited_customers = visited.len() as u32;
    let converted = visited.intersection(ordering).count();
    f.conversion_percent = crate::money::percent(
        Decimal::from(converted as u64),
        Decimal::from(visited.len() as u64),
    );
    f
}

/// The rows of each group (by key), and the total of every fact.
pub fn group(
    facts: &[Fact],
    by: Dimension,
    team_of: &dyn Fn(i64) -> Option<i64>,
) -> (Vec<Row>, Figures) {
    // A visit converts when its customer ordered in the period, whoever took the order.
    let ordering: BTreeSet<i64> = facts
        .iter()
        .filter(|f| matches!(f.kind, FactKind::Order { .. }))
        .map(|f| f.customer_id)
        .collect();
    let mut groups: BTreeMap<String, Vec<&Fact>> = BTreeMap::new();
    for fact in facts {
        if let Some(key) = key_of(fact, by, team_of) {
            groups.entry(key).or_default().push(fact);
        }
    }
    let mut rows: Vec<Row> = groups
        .into_iter()
        .map(|(key, list)| Row {
            key,
            figures: figures(list.into_iter(), &ordering),
        })
        .collect();
    sort_rows(&mut rows, by);
    let total = figures(facts.iter(), &ordering);
    (rows, total)
}

/// Months in calendar order (the groups come keyed, so already sorted); anything else by sales,
/// largest first, then by key so that the order is stable.
pub(crate) fn sort_rows(rows: &mut [Row], by: Dimension) {
    if by != Dimension::Month {
        rows.sort_by(|a, b| {
            b.figures
                .sales
                .cmp(&a.figures.sales)
                .then(a.key.cmp(&b.key))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;
    use std::sync::Arc;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn card(region: &str, dealer: bool) -> Arc<CustomerCard> {
        Arc::new(CustomerCard {
            region: (!region.is_empty()).then(|| region.to_string()),
            dealer,
            man_money: Some(1),
            man_authority: Some(0),
            man_need: Some(1),
            attractiveness: Some("high".into()),
            ability_to_win: Some("low".into()),
            ..Default::default()
        })
    }

    fn fact(kind: FactKind, person: i64, customer: i64, card: &Arc<CustomerCard>) -> Fact {
        Fact {
            kind,
            person,
            customer_id: customer,
            card: card.clone(),
            month: "2026-11".into(),
            product: None,
            category: None,
        }
    }

    #[test]
    fn groups_count_each_indicator_once() {
        let east = card("华东", false);
        let north = card("华北", true);
        let blank = card("", false);
        let order = |id: i64, amount: &str| FactKind::Order {
            order_id: id,
            amount: d(amount),
            margin: (id != 3).then(|| d(amount) / d("10")),
        };
        let facts = vec![
            fact(order(1, "30000"), 1, 100, &east),
            fact(order(2, "12000.50"), 1, 100, &east),
            fact(order(3, "8000"), 2, 200, &north),
            fact(FactKind::Collection(d("5000")), 1, 100, &east),
            fact(FactKind::Collection(d("-1000")), 2, 200, &north),
            fact(FactKind::NewCustomers(1), 1, 101, &east),
            fact(FactKind::NewCustomers(1), 2, 300, &blank),
            // Visits: 100 (ordered) twice, 101 (did not), 200 (ordered, from another person).
            fact(FactKind::Visit, 1, 100, &east),
            fact(FactKind::Visit, 1, 100, &east),
            fact(FactKind::Visit, 1, 101, &east),
            fact(FactKind::Visit, 3, 200, &north),
        ];
        let team = |p: i64| if p == 3 { Some(9) } else { Some(8) };
        let (rows, total) = group(&facts, Dimension::Region, &team);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, vec!["华东", "华北", ""]);
        let east = &rows[0].figures;
        assert_eq!(
            (
                east.sales,
                east.orders,
                east.customers,
                east.new_customers,
                east.collected
            ),
            (d("42000.50"), 2, 1, 1, d("5000"))
        );
        // Visited 100 and 101; 100 ordered: 50 %.
        assert_eq!(
            (east.visits, east.visited_customers, east.conversion_percent),
            (3, 2, Some(d("50")))
        );
        let north = &rows[1].figures;
        assert_eq!(
            (north.collected, north.conversion_percent),
            (d("-1000"), Some(d("100")))
        );
        assert_eq!(
            (
                rows[2].figures.new_customers,
                rows[2].figures.conversion_percent
            ),
            (1, None)
        );
        assert_eq!(
            (
                total.sales,
                total.orders,
                total.customers,
                total.new_customers,
                total.visits
            ),
            (d("50000.50"), 3, 2, 2, 4)
        );

        let (rows, _) = group(&facts, Dimension::Team, &team);
        let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys, vec!["8", "9"]);
        let (rows, _) = group(&facts, Dimension::Dealer, &team);
        assert_eq!(rows[0].key, "false");
        let (rows, _) = group(&facts, Dimension::ManClass, &team);
        assert_eq!((rows.len(), rows[0].key.as_str()), (1, "MaN"));
        let (rows, _) = group(&facts, Dimension::KeyAccount, &team);
        assert_eq!(rows[0].key, "core_potential");
    }

    #[test]
    fn products_group_order_lines_only() {
        let c = card("华东", false);
        let line = |order: i64, product: i64, amount: &str| Fact {
            product: Some((product, format!("P{product}"))),
            category: Some(if product == 7 { "灯具" } else { "线缆" }.into()),
            ..fact(
                FactKind::Order {
                    order_id: order,
                    amount: d(amount),
                    margin: None,
                },
                1,
                100,
                &c,
            )
        };
        let facts = vec![
            line(1, 7, "100"),
            line(1, 8, "50"),
            line(2, 7, "30"),
            fact(FactKind::Collection(d("80")), 1, 100, &c),
        ];
        let (rows, total) = group(&facts, Dimension::Product, &|_| None);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (
                rows[0].key.as_str(),
                rows[0].figures.sales,
                rows[0].figures.orders
            ),
            ("7", d("130"), 2)
        );
        assert_eq!(
            (total.sales, total.orders, total.collected),
            (d("180"), 2, d("80"))
        );
    }

    #[test]
    fn bad_names_are_refused_with_their_field() {
        assert_eq!(Dimension::parse("colour").unwrap_err().field, "group_by");
        assert_eq!(
            Indicator::parse_list("sales, nope").unwrap_err().code,
            "unknown_indicator"
        );
        assert_eq!(Indicator::parse_list("").unwrap(), Indicator::ALL.to_vec());
        assert_eq!(
            Indicator::parse_list("collected,sales,collected").unwrap(),
            vec![Indicator::Collected, Indicator::Sales]
        );
    }
}
