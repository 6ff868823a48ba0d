//! The daily sales report (每日销售报告表): filed at the end of the day, prefilled from the day's
//! activities, reviewed and commented by the supervisor. Lateness is an appraisal item.

use crate::error::ValidationError;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Present,
    Field,
    Leave,
}

/// One visit of the day and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VisitOutcome {
    pub customer_id: Option<i64>,
    pub customer_name: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DailyReport {
    pub attendance: Attendance,
    pub visits: Vec<VisitOutcome>,
    pub complaints_handled: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub payment_collected: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub order_amount: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub target_amount: Option<Decimal>,
    pub competitor_info: Option<String>,
    pub customer_opinions: Option<String>,
    pub customer_news: Option<String>,
    pub lessons: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub expenses: Option<Decimal>,
}

impl DailyReport {
    /// Complete (for pay's process part): every visit listed with its outcome, and the lessons
    /// of the day written.
    pub fn is_complete(&self) -> bool {
        let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
        self.visits.iter().all(|v| !v.outcome.trim().is_empty()) && filled(&self.lessons)
    }

    /// Orders against the day's target, in percent (two decimals), when both are known.
    pub fn attainment_percent(&self) -> Option<Decimal> {
        match (self.order_amount, self.target_amount) {
            // No ratio against a zero target (`percent` gives none).
            (Some(o), Some(t)) => crate::money::percent(o, t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DailyReportInput {
    pub attendance: Option<String>,
    #[serde(default)]
    pub visits: Vec<VisitOutcome>,
    pub complaints_handled: Option<String>,
    pub payment_collected: Option<String>,
    pub order_amount: Option<String>,
    pub target_amount: Option<String>,
    pub competitor_info: Option<String>,
    pub customer_opinions: Option<String>,
    pub customer_news: Option<String>,
    pub lessons: Option<String>,
    pub expenses: Option<String>,
}

fn amount(field: &'static str, raw: Option<&str>) -> Result<Option<Decimal>, ValidationError> {
    crate::money::parse_optional_amount(field, raw)
}

impl DailyReportInput {
    pub fn parse(&self) -> Result<DailyReport, ValidationError> {
        let text = |f: &'static str, v: &Option<String>| {
            crate::customer::optional_text(f, v.as_deref(), 5000)
        };
        if self.visits.len() > 50 {
            return Err(ValidationError::new(
                "visits",
                "too_many",
                "at most 50 visits a day",
            ));
        }
        for v in &self.visits {
            if v.customer_name.trim().is_empty()
                || v.customer_name.chars().count() > 200
                || v.outcome.chars().count() > 2000
            {
                return Err(ValidationError::new(
                    "visits",
                    "invalid_value",
                    "each visit needs a customer name (≤ 200) and an outcome (≤ 2000)",
                ));
            }
        }
        Ok(DailyReport {
            attendance: match self.attendance.as_deref().map(str::trim) {
                None | Some("") | Some("present") => Attendance::Present,
                Some("field") => Attendance::Field,
                Some("leave") => Attendance::Leave,
                Some(_) => {
                    return Err(ValidationError::new(
                        "attendance",
                        "invalid_choice",
                        "must be present, field or leave",
                    ))
                }
            },
            visits: self.visits.clone(),
            complaints_handled: text("complaints_handled", &self.complaints_handled)?,
            payment_collected: amount("payment_collected", self.payment_collected.as_deref())?,
            order_amount: amount("order_amount", self.order_amount.as_deref())?,
            target_amount: amount("target_amount", self.target_amount.as_deref())?,
            competitor_info: text("competitor_info", &self.competitor_info)?,
            customer_opinions: text("customer_opinions", &self.customer_opinions)?,
            customer_news: text("customer_news", &self.customer_news)?,
            lessons: text("lessons", &self.lessons)?,
            expenses: amount("expenses", self.expenses.as_deref())?,
        })
    }
}

/// The report for a day is due by the end of that day (local midnight).
/// Why a daily report may not be filed again or reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportRefusal {
    /// A superior has commented on it: it stays as it was reviewed.
    Reviewed,
    NotASuperior,
}

impl ReportRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ReportRefusal::Reviewed => "report_reviewed",
            ReportRefusal::NotASuperior => "not_a_superior",
        }
    }
    pub fn message(self) -> &'static str {
        match self {
            ReportRefusal::Reviewed => "a reviewed report cannot be changed",
            ReportRefusal::NotASuperior => {
                "only a superior of the salesperson may review the report"
            }
        }
    }
}

/// Whether the author may file the day's report again: until it is reviewed.
pub fn check_refile(reviewed: bool) -> Result<(), ReportRefusal> {
    if reviewed {
        Err(ReportRefusal::Reviewed)
    } else {
        Ok(())
    }
}

/// Whether the person may review the report: a superior of its author (the clerk, who reads
/// reports by company policy, reviews none).
pub fn check_review(reviewer_is_superior: bool) -> Result<(), ReportRefusal> {
    if reviewer_is_superior {
        Ok(())
    } else {
        Err(ReportRefusal::NotASuperior)
    }
}

pub fn report_deadline(date: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    offset
        .from_local_datetime(
            &(date + Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists"),
        )
        .single()
        .expect("fixed offsets have no gaps")
        .with_timezone(&Utc)
}

/// The UTC instants bounding a local day, for collecting its activities.
pub fn day_bounds(date: NaiveDate, offset: FixedOffset) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = offset
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("fixed offsets have no gaps")
        .with_timezone(&Utc);
    (start, start + Duration::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_and_attainment_at_their_bounds() {
        let visit = |name: &str, outcome: &str| VisitOutcome {
            customer_id: None,
            customer_name: name.into(),
            outcome: outcome.into(),
        };
        let with = |visits: Vec<VisitOutcome>| DailyReportInput {
            visits,
            ..Default::default()
        };
        assert!(with(vec![visit("甲", "谈妥")]).parse().is_ok());
        assert!(with((0..50).map(|_| visit("甲", "x")).collect())
            .parse()
            .is_ok());
        assert_eq!(
            with((0..51).map(|_| visit("甲", "x")).collect())
                .parse()
                .unwrap_err()
                .code,
            "too_many"
        );
        for bad in [
            visit(" ", "x"),
            visit(&"名".repeat(201), "x"),
            visit("甲", &"果".repeat(2001)),
        ] {
            assert_eq!(with(vec![bad]).parse().unwrap_err().field, "visits");
        }
        assert!(with(vec![visit(&"名".repeat(200), &"果".repeat(2000))])
            .parse()
            .is_ok());
        let report = |o: &str, t: &str| {
            DailyReportInput {
                order_amount: Some(o.into()),
                target_amount: Some(t.into()),
                ..Default::default()
            }
            .parse()
            .unwrap()
        };
        assert_eq!(
            report("50", "200").attainment_percent(),
            Some(Decimal::from(25))
        );
        assert_eq!(
            report("50", "0").attainment_percent(),
            None,
            "no target, no ratio"
        );
        let offset = FixedOffset::east_opt(8 * 3600).unwrap();
        let (from, to) = day_bounds(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(), offset);
        assert_eq!(from.to_rfc3339(), "2026-11-26T16:00:00+00:00");
        assert_eq!(to - from, Duration::days(1));
    }

    #[test]
    fn reports_are_refiled_until_reviewed_and_reviewed_by_superiors() {
        assert_eq!(check_refile(false), Ok(()));
        assert_eq!(check_refile(true), Err(ReportRefusal::Reviewed));
        assert_eq!(check_review(true), Ok(()));
        let e = check_review(false).unwrap_err();
        assert_eq!(e.code(), "not_a_superior");
        assert!(e.message().contains("superior"));
        assert_eq!(ReportRefusal::Reviewed.code(), "report_reviewed");
        assert!(ReportRefusal::Reviewed.message().contains("reviewed"));
    }
    use crate::visit_plan::china_offset;
    use proptest::prelude::*;

    #[test]
    fn attainment_and_deadline() {
        let r = DailyReportInput {
            order_amount: Some("45000".into()),
            target_amount: Some("60000".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(r.attainment_percent().unwrap().to_string(), "75");
        let d = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(
            report_deadline(d, china_offset()).to_rfc3339(),
            "2026-11-24T16:00:00+00:00"
        );
        assert_eq!(
            day_bounds(d, china_offset()).0.to_rfc3339(),
            "2026-11-23T16:00:00+00:00"
        );
        assert_eq!(
            DailyReportInput {
                attendance: Some("sick".into()),
                ..Default::default()
            }
            .parse()
            .unwrap_err()
            .field,
            "attendance"
        );
        assert_eq!(
            DailyReportInput {
                expenses: Some("-3".into()),
                ..Default::default()
            }
            .parse()
            .unwrap_err()
            .field,
            "expenses"
        );
    }

    proptest! {
        #[test]
        fn attainment_is_orders_over_target(orders in 0u32..10_000_000, target in 1u32..10_000_000) {
            let r = DailyReportInput { order_amount: Some(orders.to_string()), target_amount: Some(target.to_string()), ..Default::default() }.parse().unwrap();
            let a = r.attainment_percent().unwrap();
            let exact = Decimal::from(orders) * Decimal::from(100) / Decimal::from(target);
            prop_assert!((a - exact).abs() <= Decimal::new(5, 3));
        }
    }
}
