//! The prospecting funnel (seed 004): calls → reached → appointments → presentations → deals
//! → revenue, with the conversion at each step, sales per call and commission per call.
//!
//! Each step is counted from what salespeople log: a *call* is a logged call; it *reached*
//! someone when the caller ticked that they spoke to the person they called; an *appointment*
//! and a *presentation* are visits or meetings logged with that purpose; a *deal* is an order
//! registered; *revenue* is those orders' total. The seed's example — 100 calls, 50 reached,
//! 13 appointments, 13 presentations, 5 deals, ¥200,000 — gives ¥2,000 of sales per call and, at
//! 5 % commission, ¥100 per call (the seed prints ¥200 and ¥10: its arithmetic is off).

use crate::error::ValidationError;
use rust_decimal::Decimal;
use serde::Serialize;

/// Why a visit or meeting was held: the stages of a sale it served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// 约见面谈: the first meeting the call set up.
    Appointment,
    /// 产品推荐: presenting the solution.
    Presentation,
    /// 成交: negotiating and signing.
    Closing,
    /// 售后服务.
    Service,
    Other,
}

impl Purpose {
    pub const ALL: [Purpose; 5] = [
        Purpose::Appointment,
        Purpose::Presentation,
        Purpose::Closing,
        Purpose::Service,
        Purpose::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Appointment => "appointment",
            Purpose::Presentation => "presentation",
            Purpose::Closing => "closing",
            Purpose::Service => "service",
            Purpose::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "purpose",
                    "invalid_choice",
                    "must be one of appointment, presentation, closing, service, other",
                )
            })
    }
}

/// The longest contact logged in one go: a working day.
pub const MAX_DURATION_MINUTES: i64 = 24 * 60;

/// Checks how long a contact took: a call, visit or meeting of 1 minute to a day (an e-mail
/// has no duration).
pub fn check_duration(kind: &str, minutes: Option<i64>) -> Result<Option<i64>, ValidationError> {
    match minutes {
        None => Ok(None),
        Some(_) if kind == "email" => Err(ValidationError::new(
            "duration_minutes",
            "not_timed",
            "an e-mail has no duration",
        )),
        Some(m) if (1..=MAX_DURATION_MINUTES).contains(&m) => Ok(Some(m)),
        Some(_) => Err(ValidationError::new(
            "duration_minutes",
            "out_of_range",
            format!("between 1 and {MAX_DURATION_MINUTES} minutes"),
        )),
    }
}

/// Checks the funnel details an activity of `kind` (`call`, `visit`, `email`, `meeting`) may
/// carry: only a call reaches someone or not, only a visit or meeting has a purpose.
pub fn check_details(
    kind: &str,
    reached: Option<bool>,
    purpose: Option<&str>,
) -> Result<Option<Purpose>, ValidationError> {
    if reached.is_some() && kind != "call" {
        return Err(ValidationError::new(
            "reached",
            "not_a_call",
            "only a call reaches someone or not",
        ));
    }
    match purpose.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(None),
        Some(_) if !matches!(kind, "visit" | "meeting") => Err(ValidationError::new(
            "purpose",
            "not_a_meeting",
            "only a visit or a meeting has a purpose",
        )),
        Some(p) => Purpose::parse(p).map(Some),
    }
}

/// What was counted for one person, team or company over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub calls: u32,
    pub reached: u32,
    pub appointments: u32,
    pub presentations: u32,
    pub deals: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    /// Minutes of logged calls, visits and meetings: the time spent selling.
    pub selling_minutes: i64,
    /// Expenses reported in daily reports plus advances settled, CNY.
    #[serde(with = "rust_decimal::serde::str")]
    pub expenses: Decimal,
}

impl Counts {
    pub fn add(&mut self, other: &Counts) {
        self.calls += other.calls;
        self.reached += other.reached;
        self.appointments += other.appointments;
        self.presentations += other.presentations;
        self.deals += other.deals;
        self.revenue = self.revenue.saturating_add(other.revenue);
        self.selling_minutes = self.selling_minutes.saturating_add(other.selling_minutes);
        self.expenses = self.expenses.saturating_add(other.expenses);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// `calls`, `reached`, `appointments`, `presentations`, `deals`.
    pub step: &'static str,
    pub count: u32,
    /// This step over the one before, percent with two decimals (none for the first step or
    /// after an empty one).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub conversion_percent: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Funnel {
    pub steps: Vec<Step>,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    /// Revenue per call, two decimals.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sales_per_call: Option<Decimal>,
    /// Sales per call × the commission rate, when a rate is given.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub commission_per_call: Option<Decimal>,
    /// Revenue per deal.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_deal: Option<Decimal>,
    /// Return on selling time: revenue per hour of logged selling time.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sales_per_hour: Option<Decimal>,
    /// Selling efficiency: revenue per yuan of expenses.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sales_per_expense: Option<Decimal>,
}

/// Computes the funnel of `counts`; `commission_percent` (such as 5) gives commission per call.
pub fn compute(counts: &Counts, commission_percent: Option<Decimal>) -> Funnel {
    let values = [
        ("calls", counts.calls),
        ("reached", counts.reached),
        ("appointments", counts.appointments),
        ("presentations", counts.presentations),
        ("deals", counts.deals),
    ];
    let steps = values
        .iter()
        .enumerate()
        .map(|(i, (step, count))| Step {
            step,
            count: *count,
            conversion_percent: i.checked_sub(1).and_then(|p| {
                crate::money::percent(Decimal::from(*count), Decimal::from(values[p].1))
            }),
        })
        .collect();
    let per = |whole: Decimal, n: u32| {
        (n > 0)
            .then(|| whole.checked_div(Decimal::from(n)))
            .flatten()
            .map(|d| d.round_dp(2))
    };
    let sales_per_call = per(counts.revenue, counts.calls);
    Funnel {
        steps,
        revenue: counts.revenue,
        commission_per_call: sales_per_call
            .zip(commission_percent)
            .and_then(|(s, c)| s.checked_mul(c))
            .map(|v| (v / Decimal::ONE_HUNDRED).round_dp(2)),
        sales_per_call,
        average_deal: per(counts.revenue, counts.deals),
        sales_per_hour: (counts.selling_minutes > 0)
            .then(|| {
                counts
                    .revenue
                    .checked_mul(Decimal::from(60))
                    .and_then(|v| v.checked_div(Decimal::from(counts.selling_minutes)))
            })
            .flatten()
            .map(|d| d.round_dp(2)),
        sales_per_expense: (counts.expenses > Decimal::ZERO)
            .then(|| counts.revenue.checked_div(counts.expenses))
            .flatten()
            .map(|d| d.round_dp(2)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seeds_example_computed_not_copied() {
        let counts = Counts {
            calls: 100,
            reached: 50,
            appointments: 13,
            presentations: 13,
            deals: 5,
            revenue: Decimal::new(200_000, 0),
            ..Default::default()
        };
        let f = compute(&counts, Some(Decimal::new(5, 0)));
        let conv: Vec<Option<String>> = f
            .steps
            .iter()
            .map(|s| s.conversion_percent.map(|p| p.to_string()))
            .collect();
        assert_eq!(
            conv,
            vec![
                None,
                Some("50".into()),
                Some("26".into()),
                Some("100".into()),
                Some("38.46".into())
            ]
        );
        assert_eq!(f.sales_per_call, Some(Decimal::new(2000, 0)));
        assert_eq!(f.commission_per_call, Some(Decimal::new(100, 0)));
        assert_eq!(f.average_deal, Some(Decimal::new(40_000, 0)));
        assert_eq!((f.sales_per_hour, f.sales_per_expense), (None, None));
        // 200,000 over 50 hours of selling and 8,000 of expenses: 4,000 an hour, 25 per yuan.
        let timed = Counts {
            selling_minutes: 3000,
            expenses: Decimal::new(8000, 0),
            ..counts
        };
        let f = compute(&timed, None);
        assert_eq!(
            (f.sales_per_hour, f.sales_per_expense),
            (Some(Decimal::new(4000, 0)), Some(Decimal::new(25, 0)))
        );
        let none = compute(&Counts::default(), None);
        assert_eq!(
            (none.sales_per_call, none.steps[1].conversion_percent),
            (None, None)
        );
    }

    #[test]
    fn durations_are_for_timed_contacts_of_a_day_at_most() {
        assert_eq!(check_duration("visit", Some(90)), Ok(Some(90)));
        assert_eq!(check_duration("call", None), Ok(None));
        assert_eq!(
            check_duration("email", Some(5)).unwrap_err().code,
            "not_timed"
        );
        assert_eq!(
            check_duration("meeting", Some(0)).unwrap_err().field,
            "duration_minutes"
        );
        assert_eq!(
            check_duration("meeting", Some(1441)).unwrap_err().code,
            "out_of_range"
        );
    }

    #[test]
    fn details_belong_to_their_kind() {
        assert_eq!(check_details("call", Some(true), None), Ok(None));
        assert_eq!(
            check_details("visit", None, Some("presentation")),
            Ok(Some(Purpose::Presentation))
        );
        assert_eq!(check_details("meeting", None, Some(" ")), Ok(None));
        assert_eq!(
            check_details("visit", Some(false), None).unwrap_err().field,
            "reached"
        );
        assert_eq!(
            check_details("call", None, Some("appointment"))
                .unwrap_err()
                .code,
            "not_a_meeting"
        );
        assert_eq!(
            check_details("visit", None, Some("lunch"))
                .unwrap_err()
                .code,
            "invalid_choice"
        );
    }

    proptest! {
        /// Sales per call times calls gives back the revenue within rounding, and commission
        /// per call is the rate's share of it.
        #[test]
        fn per_call_figures_add_back(calls in 1u32..100_000, revenue in 0u64..10_000_000_000, rate in 0u32..50) {
            let c = Counts { calls, revenue: Decimal::from(revenue), ..Default::default() };
            let f = compute(&c, Some(Decimal::from(rate)));
            let spc = f.sales_per_call.unwrap();
            prop_assert!((spc * Decimal::from(calls) - Decimal::from(revenue)).abs() <= Decimal::from(calls) / Decimal::from(200));
            let cpc = f.commission_per_call.unwrap();
            prop_assert!((cpc - spc * Decimal::from(rate) / Decimal::ONE_HUNDRED).abs() <= Decimal::new(5, 3));
        }
    }
}
