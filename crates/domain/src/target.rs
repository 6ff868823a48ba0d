//! Targets (目标分解): a year's targets set by the director and broken down over periods
//! (year → quarters → months), over people (the company → each level of the reporting line) and
//! over a dimension (product category or region), then tracked against what really happened.
//!
//! A breakdown adds up when every figure equals the sum of the figures directly below it on
//! each axis; [`check_breakdown`] lists every place where it does not, with the difference, and
//! [`check_publish`] refuses to publish such a plan unless the director accepts the differences.
//! Months without a figure of their own take an even share of what their quarter or year leaves
//! ([`month_target`]), and any other period (a week, month to date) a share by working days
//! ([`target_for`]).

use crate::error::ValidationError;
use crate::hierarchy::ReportingLine;
use crate::weekly_report::Period;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a target counts.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Orders taken, by the day the order was registered (CNY).
    Revenue,
    /// Revenue less the cost of what was sold, for orders whose every product had a cost.
    GrossMargin,
    /// Deposits and payments less refunds, by the day they were recorded (CNY).
    Collected,
    /// Customers registered.
    NewCustomers,
    /// Dealers and outlets registered (customers with dealer data).
    NewDealers,
    /// Effective visits (有效拜访, see `weekly_report::is_effective_visit`).
    EffectiveVisits,
}

impl Measure {
    pub const ALL: [Measure; 6] = [
        Measure::Revenue,
        Measure::GrossMargin,
        Measure::Collected,
        Measure::NewCustomers,
        Measure::NewDealers,
        Measure::EffectiveVisits,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Revenue => "revenue",
            Measure::GrossMargin => "gross_margin",
            Measure::Collected => "collected",
            Measure::NewCustomers => "new_customers",
            Measure::NewDealers => "new_dealers",
            Measure::EffectiveVisits => "effective_visits",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "measure",
                    "unknown_measure",
                    format!(
                        "unknown measure {raw:?}; expected one of {}",
                        Self::ALL.map(Measure::as_str).join(", ")
                    ),
                )
            })
    }

    /// Money (two decimals) rather than a count (whole numbers).
    pub fn is_money(self) -> bool {
        matches!(
            self,
            Measure::Revenue | Measure::GrossMargin | Measure::Collected
        )
    }

    /// Whether the measure can be broken down by `kind`: a region is the customer's, so every
    /// measure about customers has one; a product category only exists on order lines.
    pub fn allows(self, kind: DimensionKind) -> bool {
        match kind {
            DimensionKind::Total => true,
            DimensionKind::Region => matches!(
                self,
                Measure::Revenue
                    | Measure::GrossMargin
                    | Measure::Collected
                    | Measure::NewCustomers
                    | Measure::NewDealers
            ),
            DimensionKind::Category => matches!(self, Measure::Revenue | Measure::GrossMargin),
            // A dealer's own purchases: what it orders and pays.
            DimensionKind::Dealer => matches!(
                self,
                Measure::Revenue | Measure::GrossMargin | Measure::Collected
            ),
        }
    }

    /// Parses a target figure for this measure: money with two decimals or a whole count,
    /// never negative, within the amount bound.
    pub fn parse_amount(self, raw: &str) -> Result<Decimal, ValidationError> {
        let bounds = if self.is_money() {
            crate::money::AMOUNT
        } else {
            crate::money::Bounds {
                max: crate::money::MAX_QUANTITY,
                decimals: 0,
                example: "12",
            }
        };
        let raw = raw.trim();
        if raw.starts_with('-') {
            return Err(ValidationError::new(
                "amount",
                "negative_target",
                "a target cannot be negative",
            ));
        }
        crate::money::parse("amount", raw, bounds)
    }
}

/// The period a target covers: a calendar year, quarter or month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, utoipa::ToSchema)]
pub enum TargetPeriod {
    Year(i32),
    /// Quarter 1–4.
    Quarter(i32, u32),
    /// Month 1–12.
    Month(i32, u32),
}

impl TargetPeriod {
    /// Parses `2027`, `2027-Q1` or `2027-03`, which must lie in `year` (the plan's).
    pub fn parse(raw: &str, year: i32) -> Result<Self, ValidationError> {
        let bad = |msg: String| ValidationError::new("period", "invalid_period", msg);
        let raw = raw.trim();
        let (y, rest) = match raw.split_once('-') {
            Some((_, "")) => {
                return Err(bad(format!(
                    "{raw:?} is not a period like 2027, 2027-Q1 or 2027-03"
                )))
            }
            Some(parts) => parts,
            None => (raw, ""),
        };
        let y: i32 = y.parse().ok().filter(|_| y.len() == 4).ok_or_else(|| {
            bad(format!(
                "{raw:?} is not a period like 2027, 2027-Q1 or 2027-03"
            ))
        })?;
        if y != year {
            return Err(ValidationError::new(
                "period",
                "period_outside_plan",
                format!("{raw} is not in the plan's year {year}"),
            ));
        }
        if rest.is_empty() {
            return Ok(TargetPeriod::Year(y));
        }
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            return match q.parse::<u32>() {
                Ok(n @ 1..=4) if q.len() == 1 => Ok(TargetPeriod::Quarter(y, n)),
                _ => Err(bad(format!("{raw:?}: a quarter is Q1 to Q4"))),
            };
        }
        match rest.parse::<u32>() {
            Ok(m @ 1..=12) if rest.len() == 2 => Ok(TargetPeriod::Month(y, m)),
            _ => Err(bad(format!("{raw:?}: a month is 01 to 12"))),
        }
    }

    pub fn year(self) -> i32 {
        match self {
            TargetPeriod::Year(y) | TargetPeriod::Quarter(y, _) | TargetPeriod::Month(y, _) => y,
        }
    }

    /// The months the period covers.
    pub fn months(self) -> std::ops::RangeInclusive<u32> {
        match self {
            TargetPeriod::Year(_) => 1..=12,
            TargetPeriod::Quarter(_, q) => (q - 1) * 3 + 1..=q * 3,
            TargetPeriod::Month(_, m) => m..=m,
        }
    }

    /// The calendar days covered.
    pub fn days(self) -> Period {
        let months = self.months();
        let first = |m: u32| NaiveDate::from_ymd_opt(self.year(), m, 1).expect("valid month");
        Period {
            start: first(*months.start()),
            end: Period::month_of(first(*months.end())).end,
        }
    }
}

impl fmt::Display for TargetPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetPeriod::Year(y) => write!(f, "{y}"),
            TargetPeriod::Quarter(y, q) => write!(f, "{y}-Q{q}"),
            TargetPeriod::Month(y, m) => write!(f, "{y}-{m:02}"),
        }
    }
}

impl Serialize for TargetPeriod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DimensionKind {
    /// Not broken down: the whole of the measure.
    Total,
    Category,
    Region,
    /// One dealer or outlet (a customer with dealer data), by its customer id.
    Dealer,
}

impl DimensionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DimensionKind::Total => "",
            DimensionKind::Category => "category",
            DimensionKind::Region => "region",
            DimensionKind::Dealer => "dealer",
        }
    }
}

/// Which part of a measure a line covers: all of it, one product category or one region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Dimension {
    pub kind: DimensionKind,
    /// Empty for `Total`.
    pub value: String,
}

impl Dimension {
    pub fn total() -> Self {
        Self {
            kind: DimensionKind::Total,
            value: String::new(),
        }
    }

    /// From the stored pair (`""`, `"category"` or `"region"`, and the value).
    pub fn from_parts(kind: &str, value: &str) -> Option<Self> {
        let kind = match kind {
            "" => DimensionKind::Total,
            "category" => DimensionKind::Category,
            "region" => DimensionKind::Region,
            "dealer" => DimensionKind::Dealer,
            _ => return None,
        };
        Some(Self {
            kind,
            value: value.to_string(),
        })
    }
}

/// The place a figure has in the plan: what, for whom, when and which part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct TargetKey {
    pub measure: Measure,
    /// `None` is the company.
    pub assignee_id: Option<i64>,
    pub period: TargetPeriod,
    pub dimension: Dimension,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TargetLine {
    #[serde(flatten)]
    pub key: TargetKey,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// A line as typed: every field text, checked by [`TargetLineInput::parse`].
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TargetLineInput {
    pub measure: String,
    pub assignee_id: Option<i64>,
    pub period: String,
    pub category: Option<String>,
    pub region: Option<String>,
    /// A dealer (customer id): the target is that dealer's purchases.
    pub dealer_id: Option<i64>,
    /// Blank or missing removes the line.
    pub amount: Option<String>,
}

/// Longest category or region name accepted on a target.
const MAX_DIMENSION_CHARS: usize = 100;

impl TargetLineInput {
    /// The line's key and its figure (`None`: remove the line).
    pub fn parse(&self, year: i32) -> Result<(TargetKey, Option<Decimal>), ValidationError> {
        let measure = Measure::parse(&self.measure)?;
        let period = TargetPeriod::parse(&self.period, year)?;
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let given = [
            self.category
                .as_deref()
                .map(str::trim)
                .is_some_and(|s| !s.is_empty()),
            self.region
                .as_deref()
                .map(str::trim)
                .is_some_and(|s| !s.is_empty()),
            self.dealer_id.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(ValidationError::new(
                "region",
                "one_dimension",
                "a target line is broken down by one of a category, a region or a dealer",
            ));
        }
        if matches!(self.dealer_id, Some(id) if id <= 0) {
            return Err(ValidationError::new(
                "dealer_id",
                "unknown_dealer",
                "no such dealer",
            ));
        }
        let dimension = match (clean(&self.category), clean(&self.region)) {
            (None, None) => match self.dealer_id {
                Some(id) => Dimension {
                    kind: DimensionKind::Dealer,
                    value: id.to_string(),
                },
                None => Dimension::total(),
            },
            (Some(_), Some(_)) => unreachable!("refused above"),
            (Some(c), None) => Dimension {
                kind: DimensionKind::Category,
                value: c,
            },
            (None, Some(r)) => Dimension {
                kind: DimensionKind::Region,
                value: r,
            },
        };
        if dimension.value.chars().count() > MAX_DIMENSION_CHARS {
            let field = match dimension.kind {
                DimensionKind::Category => "category",
                _ => "region",
            };
            return Err(ValidationError::new(
                field,
                "too_long",
                format!("at most {MAX_DIMENSION_CHARS} characters"),
            ));
        }
        if !measure.allows(dimension.kind) {
            let field = match dimension.kind {
                DimensionKind::Category => "category",
                DimensionKind::Dealer => "dealer_id",
                _ => "region",
            };
            return Err(ValidationError::new(
                field,
                "dimension_not_available",
                format!(
                    "{} cannot be broken down by {}",
                    measure.as_str(),
                    dimension.kind.as_str()
                ),
            ));
        }
        if matches!(self.assignee_id, Some(id) if id <= 0) {
            return Err(ValidationError::new(
                "assignee_id",
                "unknown_person",
                "no such person",
            ));
        }
        let amount = match self.amount.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => Some(measure.parse_amount(raw)?),
        };
        Ok((
            TargetKey {
                measure,
                assignee_id: self.assignee_id,
                period,
                dimension,
            },
            amount,
        ))
    }
}

/// Which axis a gap is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// A year against its quarters, or a quarter against its months.
    Periods,
    /// A person (or the company) against the people directly below who have a figure.
    People,
    /// A whole against its categories, or against its regions.
    Categories,
    Regions,
    /// A whole against its dealers' targets: dealers are some of the customers, so their
    /// targets may add up to less than the whole, never to more.
    Dealers,
}

/// A figure that does not equal the sum of the figures below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Gap {
    pub axis: Axis,
    /// The figure broken down.
    #[serde(flatten)]
    pub key: TargetKey,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub parts: Decimal,
    /// `amount − parts`: positive when the parts fall short.
    #[serde(with = "rust_decimal::serde::str")]
    pub difference: Decimal,
}

/// Every place where the breakdown does not add up, in a stable order.
///
/// Only figures that exist are compared: a year with no quarter or month figure has nothing to
/// add up to, but once one part is set, the parts must reach the whole. People are compared
/// with their nearest superior who has a figure for the same measure, period and part (so a
/// level may be skipped), and the company with the people nobody above has a figure for.
pub fn check_breakdown(lines: &[TargetLine], line: &ReportingLine) -> Vec<Gap> {
    let amounts: BTreeMap<&TargetKey, Decimal> = lines.iter().map(|l| (&l.key, l.amount)).collect();
    let mut gaps = Vec::new();
    let mut compare = |axis: Axis, key: &TargetKey, parts: Decimal| {
        let amount = amounts[key];
        if amount != parts {
            gaps.push(Gap {
                axis,
                key: key.clone(),
                amount,
                parts,
                difference: amount.saturating_sub(parts),
            });
        }
    };

    // Periods: a quarter against its months; a year against each quarter's figure (or, for a
    // quarter without one, the months set in it).
    for key in amounts.keys() {
        let at = |period: TargetPeriod| TargetKey {
            period,
            ..(*key).clone()
        };
        let months_of = |p: TargetPeriod| -> Vec<Decimal> {
            p.months()
                .filter_map(|m| amounts.get(&at(TargetPeriod::Month(p.year(), m))).copied())
                .collect()
        };
        match key.period {
            TargetPeriod::Quarter(..) => {
                let months = months_of(key.period);
                if !months.is_empty() {
                    compare(Axis::Periods, key, crate::money::sum(months));
                }
            }
            TargetPeriod::Year(y) => {
                let mut parts = Vec::new();
                for q in 1..=4 {
                    match amounts.get(&at(TargetPeriod::Quarter(y, q))) {
                        Some(a) => parts.push(*a),
                        None => parts.extend(months_of(TargetPeriod::Quarter(y, q))),
                    }
                }
                if !parts.is_empty() {
                    compare(Axis::Periods, key, crate::money::sum(parts));
                }
            }
            TargetPeriod::Month(..) => {}
        }
    }

    // People: each figure counts towards its nearest superior with a figure for the same
    // measure, period and part, or the company's.
    let mut children: BTreeMap<TargetKey, Decimal> = BTreeMap::new();
    for key in amounts.keys() {
        let Some(person) = key.assignee_id else {
            continue;
        };
        let with = |a: Option<i64>| TargetKey {
            assignee_id: a,
            ..(*key).clone()
        };
        let mut seen = BTreeSet::from([person]);
        let mut up = line.superior_of(person);
        let parent = loop {
            match up {
                Some(s) if seen.insert(s) => {
                    if amounts.contains_key(&with(Some(s))) {
                        break Some(with(Some(s)));
                    }
                    up = line.superior_of(s);
                }
                // The top of the line (or a stored loop): the company's figure, if any.
                _ => break amounts.contains_key(&with(None)).then(|| with(None)),
            }
        };
        if let Some(parent) = parent {
            let sum = children.entry(parent).or_default();
            *sum = sum.saturating_add(amounts[key]);
        }
    }
    for (parent, parts) in &children {
        compare(Axis::People, parent, *parts);
    }

    // Dimensions: the whole against its categories, against its regions, against its dealers.
    let mut by_kind: BTreeMap<(TargetKey, Axis), Decimal> = BTreeMap::new();
    for (key, amount) in &amounts {
        let axis = match key.dimension.kind {
            DimensionKind::Total => continue,
            DimensionKind::Category => Axis::Categories,
            DimensionKind::Region => Axis::Regions,
            DimensionKind::Dealer => Axis::Dealers,
        };
        let whole = TargetKey {
            dimension: Dimension::total(),
            ..(*key).clone()
        };
        if amounts.contains_key(&whole) {
            let sum = by_kind.entry((whole, axis)).or_default();
            *sum = sum.saturating_add(*amount);
        }
    }
    for ((whole, axis), parts) in &by_kind {
        if *axis != Axis::Dealers || *parts > amounts[whole] {
            compare(*axis, whole, *parts);
        }
    }

    gaps.sort_by(|a, b| (a.axis, &a.key).cmp(&(b.axis, &b.key)));
    gaps
}

/// Why a target plan or line is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRefusal {
    /// The breakdown has this many gaps and the difference was not accepted.
    Gaps(usize),
    /// The figure is for someone outside the setter's team (or for the company, which only a
    /// director sets).
    OutsideTeam,
    /// Nothing changed since the last publication.
    NothingToPublish,
}

impl TargetRefusal {
    pub fn code(self) -> &'static str {
        match self {
            TargetRefusal::Gaps(_) => "breakdown_gaps",
            TargetRefusal::OutsideTeam => "outside_team",
            TargetRefusal::NothingToPublish => "nothing_to_publish",
        }
    }

    pub fn message(self) -> String {
        match self {
            TargetRefusal::Gaps(n) => format!(
                "the breakdown does not add up in {n} place(s); correct it or accept the difference"
            ),
            TargetRefusal::OutsideTeam => {
                "targets can only be set for people below you (the company's by a director)".into()
            }
            TargetRefusal::NothingToPublish => "nothing changed since the last publication".into(),
        }
    }
}

/// Whether a plan may be published: when it adds up, or when the director accepts the
/// differences explicitly.
pub fn check_publish(gaps: &[Gap], accept_difference: bool) -> Result<(), TargetRefusal> {
    if gaps.is_empty() || accept_difference {
        Ok(())
    } else {
        Err(TargetRefusal::Gaps(gaps.len()))
    }
}

/// Who sets a figure for whom: a director or admin for anyone and the company; a supervisor for
/// the people below them (not themselves: their own target comes from above).
pub fn check_setter(
    setter_sets_company: bool,
    below_setter: &dyn Fn(i64) -> bool,
    assignee_id: Option<i64>,
) -> Result<(), TargetRefusal> {
    match assignee_id {
        _ if setter_sets_company => Ok(()),
        Some(person) if below_setter(person) => Ok(()),
        _ => Err(TargetRefusal::OutsideTeam),
    }
}

/// A month's target for one measure, person and part, from the published lines of its year:
/// the month's own figure; else an even share of what its quarter leaves after the months that
/// have one; else an even share of what the year leaves after the quarters and months that have
/// one. Never negative; shares keep two decimals (counts too), so that they add back to the
/// whole within a cent each.
pub fn month_target(lines: &BTreeMap<TargetKey, Decimal>, key: &TargetKey) -> Option<Decimal> {
    let TargetPeriod::Month(year, month) = key.period else {
        return lines.get(key).copied();
    };
    let at = |period| TargetKey {
        period,
        ..key.clone()
    };
    if let Some(a) = lines.get(key) {
        return Some(*a);
    }
    let quarter = (month - 1) / 3 + 1;
    let share = |whole: Decimal, taken: Decimal, open: u32| {
        (open > 0).then(|| {
            (whole.saturating_sub(taken).max(Decimal::ZERO) / Decimal::from(open)).round_dp(2)
        })
    };
    let month_figures = |q: u32| -> Vec<Decimal> {
        TargetPeriod::Quarter(year, q)
            .months()
            .filter_map(|m| lines.get(&at(TargetPeriod::Month(year, m))).copied())
            .collect()
    };
    if let Some(q) = lines.get(&at(TargetPeriod::Quarter(year, quarter))) {
        let set = month_figures(quarter);
        return share(
            *q,
            crate::money::sum(set.iter().copied()),
            3 - set.len() as u32,
        );
    }
    let y = lines.get(&at(TargetPeriod::Year(year)))?;
    let (mut taken, mut covered) = (Decimal::ZERO, 0u32);
    for q in 1..=4 {
        if let Some(a) = lines.get(&at(TargetPeriod::Quarter(year, q))) {
            taken = taken.saturating_add(*a);
            covered += 3;
        } else {
            let set = month_figures(q);
            covered += set.len() as u32;
            taken = taken.saturating_add(crate::money::sum(set));
        }
    }
    share(*y, taken, 12 - covered)
}

/// The target of any period (a week, a month to date, a year to date): each month's target
/// ([`month_target`]) in the share of its working days (Monday–Friday) the period covers.
/// `key.period` is ignored; `None` when no month touched has a target.
pub fn target_for(
    lines: &BTreeMap<TargetKey, Decimal>,
    key: &TargetKey,
    period: Period,
) -> Option<Decimal> {
    let mut total: Option<Decimal> = None;
    let mut month = Period::month_of(period.start);
    while month.start < period.end {
        let at = TargetKey {
            period: TargetPeriod::Month(month.start.year(), month.start.month()),
            ..key.clone()
        };
        if let Some(t) = month_target(lines, &at) {
            let overlap = Period {
                start: month.start.max(period.start),
                end: month.end.min(period.end),
            };
            let (part, whole) = (overlap.working_days(), month.working_days());
            let share = if part == whole {
                t
            } else {
                (t * Decimal::from(part) / Decimal::from(whole.max(1))).round_dp(2)
            };
            let sum = total.get_or_insert(Decimal::ZERO);
            *sum = sum.saturating_add(share);
        }
        month = Period::month_of(month.end);
    }
    total
}

/// What was achieved on `measure`, from a period's compiled figures.
pub fn actual(f: &crate::weekly_report::Figures, measure: Measure) -> Decimal {
    match measure {
        Measure::Revenue => f.sales,
        Measure::GrossMargin => f.gross_margin,
        Measure::Collected => f.collected,
        Measure::NewCustomers => Decimal::from(f.new_customers),
        Measure::NewDealers => Decimal::from(f.new_dealers),
        Measure::EffectiveVisits => Decimal::from(f.effective_visits),
    }
}

/// A target beside what was achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attainment {
    pub measure: Measure,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub target: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub actual: Decimal,
    /// actual / target × 100, two decimals; none without a (non-zero) target.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub percent: Option<Decimal>,
}

impl Attainment {
    pub fn new(measure: Measure, target: Option<Decimal>, actual: Decimal) -> Self {
        Self {
            measure,
            target,
            actual,
            percent: target.and_then(|t| crate::money::percent(actual, t)),
        }
    }
}

/// The share of a period's working days that has passed by the end of `today` (the pace a
/// month-to-date figure is read against), percent with two decimals.
pub fn elapsed_percent(period: Period, today: NaiveDate) -> Option<Decimal> {
    let done = Period {
        start: period.start,
        end: (today + chrono::Duration::days(1)).clamp(period.start, period.end),
    };
    crate::money::percent(
        Decimal::from(done.working_days()),
        Decimal::from(period.working_days()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn key(assignee: Option<i64>, period: TargetPeriod) -> TargetKey {
        TargetKey {
            measure: Measure::Revenue,
            assignee_id: assignee,
            period,
            dimension: Dimension::total(),
        }
    }
    fn line(assignee: Option<i64>, period: TargetPeriod, amount: &str) -> TargetLine {
        TargetLine {
            key: key(assignee, period),
            amount: d(amount),
        }
    }
    use TargetPeriod::{Month, Quarter, Year};

    /// 1 director → 2, 3 supervisors; 2 → 4, 5 salespeople; 3 → 6.
    fn company() -> ReportingLine {
        ReportingLine::new([
            (1, None),
            (2, Some(1)),
            (3, Some(1)),
            (4, Some(2)),
            (5, Some(2)),
            (6, Some(3)),
        ])
    }

    #[test]
    fn periods_parse_within_the_plans_year_only() {
        assert_eq!(TargetPeriod::parse("2027", 2027).unwrap(), Year(2027));
        assert_eq!(
            TargetPeriod::parse("2027-Q3", 2027).unwrap(),
            Quarter(2027, 3)
        );
        assert_eq!(
            TargetPeriod::parse("2027-03", 2027).unwrap(),
            Month(2027, 3)
        );
        for bad in [
            "2027-13", "2027-00", "2027-Q5", "2027-Q0", "2027-3", "27", "2027-", "x",
        ] {
            let e = TargetPeriod::parse(bad, 2027).unwrap_err();
            assert_eq!((e.field, e.code), ("period", "invalid_period"), "{bad}");
        }
        let e = TargetPeriod::parse("2026-12", 2027).unwrap_err();
        assert_eq!(e.code, "period_outside_plan");
        assert_eq!(Month(2027, 3).to_string(), "2027-03");
        assert_eq!(Quarter(2027, 4).to_string(), "2027-Q4");
        let q = Quarter(2027, 4).days();
        assert_eq!(
            (q.start.to_string(), q.end.to_string()),
            ("2027-10-01".into(), "2028-01-01".into())
        );
    }

    #[test]
    fn bad_lines_name_their_field() {
        let input = |f: fn(&mut TargetLineInput)| {
            let mut i = TargetLineInput {
                measure: "revenue".into(),
                period: "2027-01".into(),
                amount: Some("100".into()),
                ..Default::default()
            };
            f(&mut i);
            i.parse(2027).map(|_| ()).unwrap_err()
        };
        let e = input(|i| i.amount = Some("-5".into()));
        assert_eq!((e.field, e.code), ("amount", "negative_target"));
        let e = input(|i| i.measure = "profit".into());
        assert_eq!((e.field, e.code), ("measure", "unknown_measure"));
        let e = input(|i| i.period = "2026-13".into());
        assert_eq!(e.field, "period");
        let e = input(|i| {
            i.measure = "new_customers".into();
            i.amount = Some("2.5".into())
        });
        assert_eq!((e.field, e.code), ("amount", "invalid_amount"));
        let e = input(|i| {
            i.measure = "effective_visits".into();
            i.category = Some("机床".into())
        });
        assert_eq!((e.field, e.code), ("category", "dimension_not_available"));
        let e = input(|i| {
            i.category = Some("机床".into());
            i.region = Some("华东".into())
        });
        assert_eq!(e.code, "one_dimension");
        let (k, a) = TargetLineInput {
            measure: "collected".into(),
            assignee_id: Some(4),
            period: "2027-Q2".into(),
            region: Some(" 华东 ".into()),
            amount: Some("1,200.50".into()),
            ..Default::default()
        }
        .parse(2027)
        .unwrap();
        assert_eq!(a, Some(d("1200.5")));
        assert_eq!(k.dimension.value, "华东");
        let (_, none) = TargetLineInput {
            measure: "revenue".into(),
            period: "2027".into(),
            amount: Some(" ".into()),
            ..Default::default()
        }
        .parse(2027)
        .unwrap();
        assert_eq!(none, None, "a blank figure removes the line");
    }

    #[test]
    fn a_breakdown_that_adds_up_has_no_gaps() {
        let mut lines = vec![line(None, Year(2027), "1200")];
        for q in 1..=4 {
            lines.push(line(None, Quarter(2027, q), "300"));
        }
        for m in 1..=3 {
            lines.push(line(None, Month(2027, m), "100"));
        }
        // Company year → supervisors 2 and 3 → salespeople.
        lines.push(line(Some(2), Year(2027), "700"));
        lines.push(line(Some(3), Year(2027), "500"));
        lines.push(line(Some(4), Year(2027), "400"));
        lines.push(line(Some(5), Year(2027), "300"));
        lines.push(line(Some(6), Year(2027), "500"));
        assert_eq!(check_breakdown(&lines, &company()), vec![]);
    }

    #[test]
    fn each_gap_is_named_with_its_difference() {
        let lines = vec![
            line(None, Year(2027), "1200"),
            line(None, Quarter(2027, 1), "300"),
            line(None, Month(2027, 1), "100"),
            line(None, Month(2027, 2), "100"),
            // Supervisor 2 gets 700 but its people only 650; supervisor 3 is not set at all, so
            // its salesperson 6 counts straight towards the company.
            line(Some(2), Year(2027), "700"),
            line(Some(4), Year(2027), "400"),
            line(Some(5), Year(2027), "250"),
            line(Some(6), Year(2027), "400"),
        ];
        let gaps = check_breakdown(&lines, &company());
        let found: Vec<(Axis, Option<i64>, String, String)> = gaps
            .iter()
            .map(|g| {
                (
                    g.axis,
                    g.key.assignee_id,
                    g.key.period.to_string(),
                    g.difference.to_string(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                // The quarter's months reach 200 of 300; the year's quarters (Q1 only) 300.
                (Axis::Periods, None, "2027".into(), "900".into()),
                (Axis::Periods, None, "2027-Q1".into(), "100".into()),
                // The company: 700 (supervisor 2) + 400 (salesperson 6) = 1100.
                (Axis::People, None, "2027".into(), "100".into()),
                (Axis::People, Some(2), "2027".into(), "50".into()),
            ]
        );
        assert_eq!(check_publish(&gaps, false), Err(TargetRefusal::Gaps(4)));
        assert_eq!(check_publish(&gaps, true), Ok(()));
        assert_eq!(TargetRefusal::Gaps(4).code(), "breakdown_gaps");
    }

    #[test]
    fn parts_by_category_and_region_add_up_to_the_whole_separately() {
        let part = |kind, value: &str, amount: &str| TargetLine {
            key: TargetKey {
                dimension: Dimension {
                    kind,
                    value: value.into(),
                },
                ..key(Some(4), Year(2027))
            },
            amount: d(amount),
        };
        let lines = vec![
            line(Some(4), Year(2027), "100"),
            part(DimensionKind::Category, "机床", "60"),
            part(DimensionKind::Category, "刀具", "40"),
            part(DimensionKind::Region, "华东", "70"),
        ];
        let gaps = check_breakdown(&lines, &company());
        assert_eq!(gaps.len(), 1);
        assert_eq!((gaps[0].axis, gaps[0].difference), (Axis::Regions, d("30")));
    }

    #[test]
    fn dealers_may_take_part_of_the_whole_but_not_more() {
        let dealer = |id: i64, amount: &str| TargetLine {
            key: TargetKey {
                dimension: Dimension {
                    kind: DimensionKind::Dealer,
                    value: id.to_string(),
                },
                ..key(Some(4), Year(2027))
            },
            amount: d(amount),
        };
        let mut lines = vec![
            line(Some(4), Year(2027), "100"),
            dealer(31, "30"),
            dealer(32, "50"),
        ];
        assert_eq!(check_breakdown(&lines, &company()), vec![]);
        lines.push(dealer(33, "40"));
        let gaps = check_breakdown(&lines, &company());
        assert_eq!(gaps.len(), 1);
        assert_eq!(
            (gaps[0].axis, gaps[0].difference),
            (Axis::Dealers, d("-20"))
        );
        let (k, _) = TargetLineInput {
            measure: "collected".into(),
            period: "2027".into(),
            dealer_id: Some(31),
            amount: Some("5".into()),
            ..Default::default()
        }
        .parse(2027)
        .unwrap();
        assert_eq!(
            (k.dimension.kind, k.dimension.value.as_str()),
            (DimensionKind::Dealer, "31")
        );
        let e = TargetLineInput {
            measure: "new_customers".into(),
            period: "2027".into(),
            dealer_id: Some(31),
            ..Default::default()
        }
        .parse(2027)
        .unwrap_err();
        assert_eq!((e.field, e.code), ("dealer_id", "dimension_not_available"));
        let e = TargetLineInput {
            measure: "revenue".into(),
            period: "2027".into(),
            dealer_id: Some(31),
            region: Some("华东".into()),
            ..Default::default()
        }
        .parse(2027)
        .unwrap_err();
        assert_eq!(e.code, "one_dimension");
    }

    #[test]
    fn setters_reach_their_team_only() {
        let line = company();
        let below_2 = |p: i64| line.subordinates(2).contains(&p);
        assert_eq!(check_setter(false, &below_2, Some(4)), Ok(()));
        assert_eq!(
            check_setter(false, &below_2, Some(6)),
            Err(TargetRefusal::OutsideTeam)
        );
        assert_eq!(
            check_setter(false, &below_2, Some(2)),
            Err(TargetRefusal::OutsideTeam)
        );
        assert_eq!(
            check_setter(false, &below_2, None),
            Err(TargetRefusal::OutsideTeam)
        );
        assert_eq!(check_setter(true, &below_2, None), Ok(()));
    }

    fn map(lines: &[TargetLine]) -> BTreeMap<TargetKey, Decimal> {
        lines.iter().map(|l| (l.key.clone(), l.amount)).collect()
    }

    #[test]
    fn months_without_a_figure_share_what_is_left() {
        let lines = map(&[
            line(Some(4), Year(2027), "1300"),
            line(Some(4), Quarter(2027, 1), "400"),
            line(Some(4), Month(2027, 1), "100"),
            line(Some(4), Month(2027, 5), "90"),
        ]);
        let at = |m| month_target(&lines, &key(Some(4), Month(2027, m)));
        assert_eq!(at(1), Some(d("100")));
        // Q1 leaves 300 for February and March.
        assert_eq!(at(2), Some(d("150")));
        // The year leaves 1300 − 400 − 90 = 810 for the eight open months.
        assert_eq!(at(4), Some(d("101.25")));
        assert_eq!(at(5), Some(d("90")));
        assert_eq!(month_target(&lines, &key(Some(5), Month(2027, 1))), None);
        // A full month is its target; a week across two months takes each month's share.
        let nov = Period::month_of(NaiveDate::from_ymd_opt(2027, 4, 1).unwrap());
        assert_eq!(
            target_for(&lines, &key(Some(4), Year(2027)), nov),
            Some(d("101.25"))
        );
        // 2027-03-29 (Mon) .. 2027-04-05: three March days of 23, two April days of 22.
        let week = Period::week_of(NaiveDate::from_ymd_opt(2027, 3, 29).unwrap());
        let expected = (d("150") * d("3") / d("23")).round_dp(2)
            + (d("101.25") * d("2") / d("22")).round_dp(2);
        assert_eq!(
            target_for(&lines, &key(Some(4), Year(2027)), week),
            Some(expected)
        );
    }

    #[test]
    fn pace_is_the_share_of_working_days_gone() {
        let nov = Period::month_of(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        // November 2026: 21 weekdays; by Friday the 13th, 10 have passed.
        assert_eq!(
            elapsed_percent(nov, NaiveDate::from_ymd_opt(2026, 11, 13).unwrap()),
            Some(d("47.62"))
        );
        assert_eq!(
            elapsed_percent(nov, NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()),
            Some(d("100"))
        );
        assert_eq!(
            elapsed_percent(nov, NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()),
            Some(d("0"))
        );
        let a = Attainment::new(Measure::Revenue, Some(d("200")), d("50"));
        assert_eq!(a.percent, Some(d("25")));
        assert_eq!(
            Attainment::new(Measure::Revenue, Some(d("0")), d("5")).percent,
            None
        );
    }

    proptest! {
        /// A year set alone (or with some quarters and months) spreads so that the months add
        /// back to the year, up to a cent per month of rounding.
        #[test]
        fn months_add_back_to_the_year(
            year_amount in 0u64..10_000_000,
            quarters in proptest::collection::vec(proptest::option::of(0u64..1_000_000), 4),
            months in proptest::collection::vec(proptest::option::of(0u64..300_000), 12),
        ) {
            let mut ls = vec![line(Some(4), Year(2027), &year_amount.to_string())];
            for (q, a) in quarters.iter().enumerate() {
                if let Some(a) = a { ls.push(line(Some(4), Quarter(2027, q as u32 + 1), &a.to_string())); }
            }
            for (m, a) in months.iter().enumerate() {
                if let Some(a) = a { ls.push(line(Some(4), Month(2027, m as u32 + 1), &a.to_string())); }
            }
            let lines = map(&ls);
            let sum: Decimal = (1..=12).filter_map(|m| month_target(&lines, &key(Some(4), Month(2027, m)))).sum();
            // When the breakdown adds up, the months are exactly the year.
            if check_breakdown(&ls, &company()).is_empty() {
                prop_assert!((sum - Decimal::from(year_amount)).abs() <= d("0.12"), "{sum} vs {year_amount}");
            }
            // Never a negative month.
            for m in 1..=12 {
                prop_assert!(month_target(&lines, &key(Some(4), Month(2027, m))).unwrap_or_default() >= Decimal::ZERO);
            }
            let whole = target_for(&lines, &key(Some(4), Year(2027)), Year(2027).days());
            prop_assert_eq!(whole.unwrap_or_default(), sum);
        }

        /// However people are arranged, a people breakdown that copies each person's figure as
        /// the sum of their reports' has no gap on the people axis.
        #[test]
        fn sums_up_the_line_have_no_people_gap(leaves in proptest::collection::vec(0u64..1_000_000, 3)) {
            let (a, b, c) = (leaves[0], leaves[1], leaves[2]);
            let ls = vec![
                line(None, Year(2027), &(a + b + c).to_string()),
                line(Some(2), Year(2027), &(a + b).to_string()),
                line(Some(4), Year(2027), &a.to_string()),
                line(Some(5), Year(2027), &b.to_string()),
                line(Some(6), Year(2027), &c.to_string()),
            ];
            prop_assert!(check_breakdown(&ls, &company()).is_empty());
        }
    }
}
