//! The supervisor's weekly report (销售周报, every Monday for the previous week) and the
//! director's monthly summary: the same figures over a different period, compiled from facts the
//! store loads. Every rate is defined here once; `docs/reports.md` states the same definitions.

use crate::order::PaymentKind;
use crate::rollup::Tally;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Figures are summed in this currency; orders in another currency are counted apart, never
/// added at a made-up rate.
pub const REPORTING_CURRENCY: &str = "CNY";

/// A report period in the company's local time: `[start, end)` as calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
}

impl Period {
    /// The Monday-to-Sunday week containing `day`.
    pub fn week_of(day: NaiveDate) -> Self {
        let start = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
        Self {
            start,
            end: start + Duration::days(7),
        }
    }

    /// The week before the one containing `now` (local time): what Monday's report covers.
    pub fn previous_week(now: DateTime<Utc>, offset: FixedOffset) -> Self {
        let today = now.with_timezone(&offset).date_naive();
        Self::week_of(today - Duration::days(7))
    }

    pub fn month_of(day: NaiveDate) -> Self {
        let start = day.with_day(1).expect("day 1 exists");
        let end = if start.month() == 12 {
            NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
        }
        .expect("first of next month exists");
        Self { start, end }
    }

    /// UTC instants bounding the period.
    pub fn bounds(&self, offset: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
        let at = |d: NaiveDate| {
            offset
                .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
                .single()
                .expect("fixed offsets are unambiguous")
                .with_timezone(&Utc)
        };
        (at(self.start), at(self.end))
    }

    /// Monday to Friday inside the period: the days a daily report and a plan are expected.
    pub fn working_days(&self) -> u32 {
        self.start
            .iter_days()
            .take_while(|d| *d < self.end)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .count() as u32
    }
}

/// First and last day, as a page heads a period: `2026-11-01 – 2026-11-30`.
impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let last = self.end.pred_opt().unwrap_or(self.end).max(self.start);
        write!(f, "{} – {}", self.start, last)
    }
}

/// One salesperson counted in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFact {
    pub owner_id: i64,
    pub customer_id: i64,
    pub total: Decimal,
    pub currency: String,
    /// Gross margin (`order::order_margin`): none when a line's cost is unknown.
    pub margin: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFact {
    /// The owner of the order the money moved on.
    pub owner_id: i64,
    pub kind: PaymentKind,
    pub amount: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFact {
    pub user_id: i64,
    pub customer_id: i64,
    pub outcome_recorded: bool,
    pub next_step_recorded: bool,
    /// The visited customer placed an order (with anyone) in the calendar month of the visit,
    /// company time: kept on the visit by the store, so that a visit's effectiveness is the
    /// same in every report and rollup.
    pub customer_ordered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyReportFact {
    pub user_id: i64,
    pub late: bool,
    pub target: Option<Decimal>,
    pub competitor_info: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFact {
    pub user_id: i64,
    pub late: bool,
}

/// A market-situation or complaint report filed in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EscalationFact {
    pub author_id: i64,
    pub author_name: String,
    pub kind: String,
    pub subject: String,
    pub customer_name: Option<String>,
    pub filed_on: NaiveDate,
}

/// A customer that needs a manager's attention, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AbnormalCustomer {
    pub customer_id: i64,
    pub customer_name: String,
    /// `complaint`, `recycled` (returned to the pool from a team member) or `overdue`
    /// (a receivable past its due date at the end of the period).
    pub reason: String,
    pub detail: String,
    /// For `overdue`: the ageing bucket at the end of the period (`days_1_30`, …).
    #[serde(default)]
    pub ageing: Option<String>,
}

/// Everything the store loaded for one team and period.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub orders: Vec<OrderFact>,
    pub payments: Vec<PaymentFact>,
    pub visits: Vec<VisitFact>,
    /// (creator, customer) for customers registered in the period.
    pub new_customers: Vec<(i64, i64)>,
    /// (creator, customer) for the dealers and outlets among them.
    pub new_dealers: Vec<(i64, i64)>,
    /// Each person's published revenue target for the period (`target::target_for`); a person
    /// without one falls back to the targets typed in their daily reports.
    pub assigned_targets: BTreeMap<i64, Decimal>,
    pub daily_reports: Vec<DailyReportFact>,
    pub plans: Vec<PlanFact>,
    pub escalations: Vec<EscalationFact>,
    pub abnormal: Vec<AbnormalCustomer>,
    /// Figures read from the rollups instead of raw orders, payments, registrations and visits
    /// (the dashboards): each person's tally for the period.
    pub tallies: Vec<(i64, Tally)>,
}

impl Facts {
    /// The figures' facts of each person `keep` accepts, apart (the report's lists are left
    /// out): one pass, so that figures per person need not scan everyone's facts.
    pub fn by_person(&self, keep: &dyn Fn(i64) -> bool) -> BTreeMap<i64, Facts> {
        let mut own: BTreeMap<i64, Facts> = BTreeMap::new();
        // The same three lines for each list of facts, by whose it is.
        macro_rules! split {
            ($list:ident, $who:expr, $take:expr) => {
                for x in self.$list.iter().filter(|x| keep($who(x))) {
                    own.entry($who(x)).or_default().$list.push($take(x));
                }
            };
        }
        split!(orders, |o: &OrderFact| o.owner_id, |o: &OrderFact| o
            .clone());
        split!(payments, |p: &PaymentFact| p.owner_id, |p: &PaymentFact| p
            .clone());
        split!(visits, |v: &VisitFact| v.user_id, |v: &VisitFact| v.clone());
        split!(new_customers, |c: &(i64, i64)| c.0, |c: &(i64, i64)| *c);
        split!(new_dealers, |c: &(i64, i64)| c.0, |c: &(i64, i64)| *c);
        split!(
            daily_reports,
            |r: &DailyReportFact| r.user_id,
            |r: &DailyReportFact| r.clone()
        );
        split!(plans, |p: &PlanFact| p.user_id, |p: &PlanFact| p.clone());
        split!(tallies, |t: &(i64, Tally)| t.0, |t: &(i64, Tally)| t
            .clone());
        for (person, t) in self.assigned_targets.iter().filter(|(p, _)| keep(**p)) {
            own.entry(*person)
                .or_default()
                .assigned_targets
                .insert(*person, *t);
        }
        own
    }

    /// Adds `other`'s figures' facts to these (a team gathered from its members').
    pub fn absorb(&mut self, other: &Facts) {
        self.orders.extend(other.orders.iter().cloned());
        self.payments.extend(other.payments.iter().cloned());
        self.visits.extend(other.visits.iter().cloned());
        self.new_customers
            .extend(other.new_customers.iter().copied());
        self.new_dealers.extend(other.new_dealers.iter().copied());
        self.assigned_targets.extend(other.assigned_targets.iter());
        self.daily_reports
            .extend(other.daily_reports.iter().cloned());
        self.plans.extend(other.plans.iter().cloned());
        self.tallies.extend(other.tallies.iter().cloned());
    }
}

/// The figures of one salesperson, or of the whole team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figures {
    #[serde(with = "rust_decimal::serde::str")]
    pub sales: Decimal,
    pub orders: u32,
    /// Gross margin of the orders whose every line had a cost.
    #[serde(default, with = "rust_decimal::serde::str")]
    pub gross_margin: Decimal,
    /// Orders with a line whose product had no cost: outside `gross_margin`.
    #[serde(default)]
    pub orders_without_cost: u32,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub target: Option<Decimal>,
    /// sales / target × 100, two decimals; none without a target.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub attainment_percent: Option<Decimal>,
    pub new_customers: u32,
    #[serde(default)]
    pub new_dealers: u32,
    /// Deposits + payments − refunds recorded in the period.
    #[serde(with = "rust_decimal::serde::str")]
    pub collected: Decimal,
    pub visits: u32,
    pub effective_visits: u32,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub effective_visit_rate_percent: Option<Decimal>,
    pub visited_customers: u32,
    pub visited_customers_ordering: u32,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub transaction_rate_percent: Option<Decimal>,
    pub daily_reports: u32,
    pub late_daily_reports: u32,
    pub plans: u32,
    pub late_plans: u32,
    /// Daily reports and plans expected: one each per working day and salesperson.
    pub expected_reports: u32,
    pub other_currency_orders: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberFigures {
    pub user_id: i64,
    pub name: String,
    /// Nested rather than flattened: serde cannot read flattened `str_option` decimals back.
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WeeklyReport {
    pub period: Period,
    pub currency: String,
    pub team: Figures,
    /// Team sales divided by the number of salespeople, two decimals.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_sales_per_person: Option<Decimal>,
    pub members: Vec<MemberFigures>,
    pub competitor_moves: Vec<CompetitorMove>,
    pub complaints: Vec<EscalationFact>,
    pub abnormal_customers: Vec<AbnormalCustomer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetitorMove {
    pub author_name: String,
    /// `market_report` (a filed market-situation report) or `daily_report` (competitor
    /// information written in a daily report).
    pub source: String,
    pub text: String,
    pub filed_on: Option<NaiveDate>,
}

/// `part / whole × 100` with two decimals, none when `whole` is zero.
pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    crate::money::percent(part, whole)
}

fn count_percent(part: u32, whole: u32) -> Option<Decimal> {
    percent(Decimal::from(part), Decimal::from(whole))
}

/// Compiles the report. Facts about people outside `members` are ignored, so a store query that
/// over-fetches cannot inflate the figures.
pub fn compile(period: Period, members: &[Member], facts: &Facts) -> WeeklyReport {
    let names: BTreeMap<i64, &str> = members
        .iter()
        .map(|m| (m.user_id, m.name.as_str()))
        .collect();
    let in_team = |id: i64| names.contains_key(&id);
    let working_days = period.working_days();

    // Customers that ordered in the period, per salesperson and for the team: a visit counts
    // as leading to a transaction when the visited customer ordered from anyone on the team.
    let ordering: BTreeSet<i64> = facts
        .orders
        .iter()
        .filter(|o| in_team(o.owner_id))
        .map(|o| o.customer_id)
        .collect();

    // Each person's own facts, partitioned once: a company of a thousand people and a hundred
    // thousand facts would otherwise scan every fact for every person.
    let own = facts.by_person(&in_team);
    let nothing = Facts::default();

    let figures_for = |who: Option<i64>| -> Figures {
        let facts = match who {
            Some(id) => own.get(&id).unwrap_or(&nothing),
            None => facts,
        };
        let mine = |id: i64| in_team(id) && who.is_none_or(|w| w == id);
        let mut f = Figures::default();
        let mut tally = Tally::of(
            facts.orders.iter().filter(|o| mine(o.owner_id)),
            facts.payments.iter().filter(|p| mine(p.owner_id)),
            facts.visits.iter().filter(|v| mine(v.user_id)),
        );
        tally.new_customers = facts
            .new_customers
            .iter()
            .filter(|(creator, _)| mine(*creator))
            .count() as u32;
        tally.new_dealers = facts
            .new_dealers
            .iter()
            .filter(|(creator, _)| mine(*creator))
            .count() as u32;
        for (_, t) in facts.tallies.iter().filter(|(who, _)| mine(*who)) {
            tally.add(t);
        }
        tally.add_to(&mut f);
        let visited: BTreeSet<i64> = facts
            .visits
            .iter()
            .filter(|v| mine(v.user_id))
            .map(|v| v.customer_id)
            .collect();
        f.visited_customers = visited.len() as u32;
        f.visited_customers_ordering = visited.intersection(&ordering).count() as u32;
        let mut target: Option<Decimal> = None;
        let mut add = |t: Decimal| {
            let sum = target.get_or_insert(Decimal::ZERO);
            *sum = sum.saturating_add(t);
        };
        for (person, t) in &facts.assigned_targets {
            if mine(*person) {
                add(*t);
            }
        }
        for r in facts.daily_reports.iter().filter(|r| mine(r.user_id)) {
            f.daily_reports += 1;
            f.late_daily_reports += u32::from(r.late);
            if let Some(t) = r.target {
                if !facts.assigned_targets.contains_key(&r.user_id) {
                    add(t);
                }
            }
        }
        for p in facts.plans.iter().filter(|p| mine(p.user_id)) {
            f.plans += 1;
            f.late_plans += u32::from(p.late);
        }
        f.target = target;
        f.attainment_percent = target.and_then(|t| percent(f.sales, t));
        f.effective_visit_rate_percent = count_percent(f.effective_visits, f.visits);
        f.transaction_rate_percent =
            count_percent(f.visited_customers_ordering, f.visited_customers);
        let people = if who.is_some() {
            1
        } else {
            members.len() as u32
        };
        f.expected_reports = working_days * people;
        f
    };

    let team = figures_for(None);
    let average_sales_per_person = (!members.is_empty())
        .then(|| (team.sales / Decimal::from(members.len() as u64)).round_dp(2));
    let mut competitor_moves: Vec<CompetitorMove> = facts
        .escalations
        .iter()
        .filter(|e| in_team(e.author_id) && e.kind == "market_situation")
        .map(|e| CompetitorMove {
            author_name: e.author_name.clone(),
            source: "market_report".into(),
            text: e.subject.clone(),
            filed_on: Some(e.filed_on),
        })
        .collect();
    competitor_moves.extend(
        facts
            .daily_reports
            .iter()
            .filter(|r| in_team(r.user_id))
            .filter_map(|r| {
                let text = r.competitor_info.as_deref()?.trim();
                (!text.is_empty()).then(|| CompetitorMove {
                    author_name: names[&r.user_id].to_string(),
                    source: "daily_report".into(),
                    text: text.to_string(),
                    filed_on: None,
                })
            }),
    );
    let complaints = facts
        .escalations
        .iter()
        .filter(|e| in_team(e.author_id) && e.kind == "complaint")
        .cloned()
        .collect();
    let mut abnormal = facts.abnormal.clone();
    abnormal.sort_by(|a, b| (&a.reason, a.customer_id).cmp(&(&b.reason, b.customer_id)));
    abnormal.dedup_by(|a, b| a.reason == b.reason && a.customer_id == b.customer_id);

    WeeklyReport {
        period,
        currency: REPORTING_CURRENCY.into(),
        members: members
            .iter()
            .map(|m| MemberFigures {
                user_id: m.user_id,
                name: m.name.clone(),
                figures: figures_for(Some(m.user_id)),
            })
            .collect(),
        team,
        average_sales_per_person,
        competitor_moves,
        complaints,
        abnormal_customers: abnormal,
    }
}

/// An effective visit (有效拜访) moved the sale: its outcome was written down, and it either named
/// a next step or its customer ordered in the same period.
pub fn is_effective_visit(visit: &VisitFact, customer_ordered: bool) -> bool {
    visit.outcome_recorded && (visit.next_step_recorded || customer_ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-11-25 is a Wednesday.
        let w = Period::week_of(day("2026-11-25"));
        assert_eq!((w.start, w.end), (day("2026-11-23"), day("2026-11-30")));
        assert_eq!(w.working_days(), 5);
        let nov = Period::month_of(day("2026-11-25"));
        assert_eq!((nov.start, nov.end), (day("2026-11-01"), day("2026-12-01")));
        let m = Period::month_of(day("2026-12-31"));
        assert_eq!((m.start, m.end), (day("2026-12-01"), day("2027-01-01")));
        // December 2026 has 23 weekdays.
        assert_eq!(m.working_days(), 23);
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        // Monday 2026-11-23 01:00 in China is Sunday 17:00 UTC: the previous week is 16–22 Nov.
        let now = DateTime::parse_from_rfc3339("2026-11-22T17:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Period::previous_week(now, offset).start, day("2026-11-16"));
        let (from, _) = Period::week_of(day("2026-11-23")).bounds(offset);
        assert_eq!(nov.to_string(), "2026-11-01 – 2026-11-30");
        assert_eq!(from.to_rfc3339(), "2026-11-22T16:00:00+00:00");
    }

    #[test]
    fn market_reports_and_complaints_of_the_team_only() {
        let members = vec![Member {
            user_id: 1,
            name: "甲".into(),
        }];
        let esc = |author_id: i64, kind: &str, subject: &str| EscalationFact {
            author_id,
            author_name: format!("p{author_id}"),
            kind: kind.into(),
            subject: subject.into(),
            customer_name: None,
            filed_on: day("2026-11-24"),
        };
        let facts = Facts {
            escalations: vec![
                esc(1, "market_situation", "对手降价"),
                esc(1, "complaint", "交货慢"),
                esc(2, "market_situation", "别队的消息"),
                esc(2, "complaint", "别队的投诉"),
            ],
            ..Default::default()
        };
        let r = compile(Period::week_of(day("2026-11-25")), &members, &facts);
        let moves: Vec<&str> = r.competitor_moves.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(moves, ["对手降价"]);
        let complaints: Vec<&str> = r.complaints.iter().map(|c| c.subject.as_str()).collect();
        assert_eq!(complaints, ["交货慢"]);
    }

    #[test]
    fn abnormal_customers_once_per_customer_and_reason() {
        let ab = |customer_id: i64, reason: &str| AbnormalCustomer {
            customer_id,
            customer_name: format!("c{customer_id}"),
            reason: reason.into(),
            detail: String::new(),
            ageing: None,
        };
        let facts = Facts {
            abnormal: vec![
                ab(7, "overdue"),
                ab(7, "overdue"),
                ab(7, "complaint"),
                ab(8, "overdue"),
            ],
            ..Default::default()
        };
        let r = compile(Period::week_of(day("2026-11-25")), &[], &facts);
        let seen: Vec<(i64, &str)> = r
            .abnormal_customers
            .iter()
            .map(|a| (a.customer_id, a.reason.as_str()))
            .collect();
        assert_eq!(seen, [(7, "complaint"), (7, "overdue"), (8, "overdue")]);
    }

    /// The fixture of docs/reports.md, computed by hand there.
    #[test]
    fn hand_computed_week() {
        let members = vec![
            Member {
                user_id: 1,
                name: "李明".into(),
            },
            Member {
                user_id: 2,
                name: "王芳".into(),
            },
        ];
        let order = |owner_id, customer_id, total: &str| OrderFact {
            owner_id,
            customer_id,
            total: d(total),
            currency: "CNY".into(),
            margin: Some(d(total) / d("4")),
        };
        // Customers 100 and 200 ordered this month.
        let visit = |user_id, customer_id, o, n| VisitFact {
            user_id,
            customer_id,
            outcome_recorded: o,
            next_step_recorded: n,
            customer_ordered: [100, 200].contains(&customer_id),
        };
        let mut facts = Facts {
            orders: vec![
                order(1, 100, "30000"),
                order(1, 101, "12000.50"),
                order(2, 200, "8000"),
                // Not on the team: ignored.
                order(9, 900, "99999"),
                OrderFact {
                    owner_id: 2,
                    customer_id: 201,
                    total: d("500"),
                    currency: "USD".into(),
                    margin: None,
                },
            ],
            payments: vec![
                PaymentFact {
                    owner_id: 1,
                    kind: PaymentKind::Deposit,
                    amount: d("5000"),
                    currency: "CNY".into(),
                },
                PaymentFact {
                    owner_id: 1,
                    kind: PaymentKind::Payment,
                    amount: d("10000"),
                    currency: "CNY".into(),
                },
                PaymentFact {
                    owner_id: 2,
                    kind: PaymentKind::Refund,
                    amount: d("1000"),
                    currency: "CNY".into(),
                },
            ],
            visits: vec![
                // 李明: 4 visits to 3 customers; effective: the 1st (next step), the 2nd
                // (customer 100 ordered); the 3rd has no outcome; the 4th neither next step nor order.
                visit(1, 102, true, true),
                visit(1, 100, true, false),
                visit(1, 100, false, true),
                visit(1, 103, true, false),
                // 王芳: 1 visit to 200, which ordered.
                visit(2, 200, true, false),
            ],
            new_customers: vec![(1, 102), (1, 103), (2, 202), (9, 999)],
            new_dealers: vec![(1, 103), (9, 999)],
            assigned_targets: BTreeMap::new(),
            daily_reports: vec![
                DailyReportFact {
                    user_id: 1,
                    late: false,
                    target: Some(d("40000")),
                    competitor_info: Some("对手降价 5%".into()),
                },
                DailyReportFact {
                    user_id: 1,
                    late: true,
                    target: None,
                    competitor_info: None,
                },
                DailyReportFact {
                    user_id: 2,
                    late: false,
                    target: Some(d("20000")),
                    competitor_info: Some("  ".into()),
                },
            ],
            plans: vec![
                PlanFact {
                    user_id: 1,
                    late: true,
                },
                PlanFact {
                    user_id: 2,
                    late: false,
                },
            ],
            escalations: vec![],
            abnormal: vec![],
            tallies: vec![],
        };
        let r = compile(Period::week_of(day("2026-11-16")), &members, &facts);
        let t = &r.team;
        assert_eq!(t.sales, d("50000.50"));
        assert_eq!(t.orders, 3);
        assert_eq!(t.other_currency_orders, 1);
        assert_eq!(t.target, Some(d("60000")));
        // 50000.50 / 60000 = 83.334…%
        assert_eq!(t.attainment_percent, Some(d("83.33")));
        assert_eq!(t.collected, d("14000"));
        assert_eq!(t.new_customers, 3);
        assert_eq!((t.visits, t.effective_visits), (5, 3));
        assert_eq!(t.effective_visit_rate_percent, Some(d("60")));
        // Visited 102, 100, 103, 200; 100 and 200 ordered.
        assert_eq!((t.visited_customers, t.visited_customers_ordering), (4, 2));
        assert_eq!(t.transaction_rate_percent, Some(d("50")));
        assert_eq!((t.daily_reports, t.late_daily_reports), (3, 1));
        assert_eq!((t.plans, t.late_plans, t.expected_reports), (2, 1, 10));
        assert_eq!(r.average_sales_per_person, Some(d("25000.25")));

        let li = &r.members[0].figures;
        assert_eq!(li.sales, d("42000.50"));
        assert_eq!(li.attainment_percent, Some(d("105.00")));
        assert_eq!(li.effective_visit_rate_percent, Some(d("50")));
        assert_eq!(li.transaction_rate_percent, Some(d("33.33")));
        assert_eq!(li.expected_reports, 5);
        let wang = &r.members[1].figures;
        assert_eq!(wang.collected, d("-1000"));
        assert_eq!(wang.attainment_percent, Some(d("40")));
        assert_eq!(wang.transaction_rate_percent, Some(d("100")));
        assert_eq!(r.competitor_moves.len(), 1);
        assert_eq!(r.competitor_moves[0].text, "对手降价 5%");
        assert_eq!((li.new_dealers, t.new_dealers), (1, 1));
        // A quarter of each CNY order is margin here; the USD order is outside both.
        assert_eq!((t.gross_margin, t.orders_without_cost), (d("12500.125"), 0));

        // An assigned target replaces what the person typed; the others keep theirs.
        facts.assigned_targets.insert(2, d("10000"));
        let r = compile(Period::week_of(day("2026-11-16")), &members, &facts);
        assert_eq!(r.members[1].figures.target, Some(d("10000")));
        assert_eq!(r.members[1].figures.attainment_percent, Some(d("80")));
        assert_eq!(r.members[0].figures.target, Some(d("40000")));
        assert_eq!(r.team.target, Some(d("50000")));
    }

    #[test]
    fn no_visits_and_no_target_give_no_rate_rather_than_zero() {
        let members = vec![Member {
            user_id: 1,
            name: "a".into(),
        }];
        let r = compile(
            Period::week_of(day("2026-11-16")),
            &members,
            &Facts::default(),
        );
        assert_eq!(r.team.effective_visit_rate_percent, None);
        assert_eq!(r.team.transaction_rate_percent, None);
        assert_eq!(r.team.attainment_percent, None);
        assert_eq!(r.average_sales_per_person, Some(Decimal::ZERO));
        let none = compile(Period::week_of(day("2026-11-16")), &[], &Facts::default());
        assert_eq!(none.average_sales_per_person, None);
        // Stored as JSON and read back unchanged, rates that are "none" included.
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<WeeklyReport>(&json).unwrap(), r);
    }

    proptest! {
        /// The team's figures are the sums of its members' figures.
        #[test]
        fn team_is_the_sum_of_its_members(
            orders in proptest::collection::vec((1i64..4, 1i64..20, 0u32..100_000), 0..30),
            visits in proptest::collection::vec((1i64..4, 1i64..20, any::<bool>(), any::<bool>()), 0..30),
        ) {
            let members: Vec<Member> = (1..4).map(|i| Member { user_id: i, name: i.to_string() }).collect();
            let facts = Facts {
                orders: orders.iter().map(|&(o, c, t)| OrderFact { owner_id: o, customer_id: c, total: Decimal::from(t), currency: "CNY".into(), margin: None }).collect(),
                visits: visits.iter().map(|&(u, c, o, n)| VisitFact { user_id: u, customer_id: c, outcome_recorded: o, next_step_recorded: n, customer_ordered: c % 2 == 0 }).collect(),
                ..Default::default()
            };
            let r = compile(Period::week_of(day("2026-11-16")), &members, &facts);
            let sum = |f: fn(&Figures) -> u32| r.members.iter().map(|m| f(&m.figures)).sum::<u32>();
            prop_assert_eq!(r.team.sales, r.members.iter().map(|m| m.figures.sales).sum::<Decimal>());
            prop_assert_eq!(r.team.visits, sum(|f| f.visits));
            prop_assert_eq!(r.team.effective_visits, sum(|f| f.effective_visits));
            prop_assert!(r.team.effective_visits <= r.team.visits);
            prop_assert!(r.team.visited_customers_ordering <= r.team.visited_customers);
            if let Some(rate) = r.team.effective_visit_rate_percent {
                prop_assert!(rate >= Decimal::ZERO && rate <= Decimal::from(100));
            }
        }
    }
}
