//! Developing new customers and dealers (000): the new-customer development report
//! (新客户开发报告表) and a dealer's data — credit evaluation, payment terms, contract,
//! technical assistance, average sales. Sales ≈ number of dealers × average sales per dealer.

use crate::error::ValidationError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

fn amount(field: &'static str, raw: Option<&str>) -> Result<Option<Decimal>, ValidationError> {
    crate::money::parse_optional_amount(field, raw)
}

fn date(field: &'static str, raw: Option<&str>) -> Result<Option<NaiveDate>, ValidationError> {
    crate::day::parse_optional(field, raw)
}

fn text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    crate::customer::optional_text(field, raw, max)
}

/// Credit evaluation of a dealer: A (best) to D.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub enum CreditRating {
    A,
    B,
    C,
    D,
}

impl CreditRating {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "A" | "a" => Ok(Self::A),
            "B" | "b" => Ok(Self::B),
            "C" | "c" => Ok(Self::C),
            "D" | "d" => Ok(Self::D),
            _ => Err(ValidationError::new(
                "credit_rating",
                "invalid_choice",
                "must be A, B, C or D",
            )),
        }
    }
}

/// What is recorded about a dealer (经销商/店) beyond the customer card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct DealerData {
    pub credit_rating: Option<CreditRating>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub credit_limit: Option<Decimal>,
    /// Days the dealer has to pay an invoice.
    pub payment_terms_days: Option<u32>,
    pub contract_no: Option<String>,
    pub contract_start: Option<NaiveDate>,
    pub contract_end: Option<NaiveDate>,
    pub technical_assistance: Option<String>,
    /// Average sales per month, in yuan.
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub average_monthly_sales: Option<Decimal>,
}

/// Raw dealer input (strings, as from a form or JSON).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DealerInput {
    pub credit_rating: Option<String>,
    pub credit_limit: Option<String>,
    pub payment_terms_days: Option<String>,
    pub contract_no: Option<String>,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    pub technical_assistance: Option<String>,
    pub average_monthly_sales: Option<String>,
}

impl DealerInput {
    pub fn parse(&self) -> Result<DealerData, ValidationError> {
        let d = DealerData {
            credit_rating: crate::customer::optional(
                self.credit_rating.as_deref(),
                CreditRating::parse,
            )?,
            credit_limit: amount("credit_limit", self.credit_limit.as_deref())?,
            payment_terms_days: match self.payment_terms_days.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(s) => Some(s.parse::<u32>().ok().filter(|d| *d <= 365).ok_or_else(|| {
                    ValidationError::new(
                        "payment_terms_days",
                        "out_of_range",
                        "must be between 0 and 365 days",
                    )
                })?),
            },
            contract_no: text("contract_no", self.contract_no.as_deref(), 60)?,
            contract_start: date("contract_start", self.contract_start.as_deref())?,
            contract_end: date("contract_end", self.contract_end.as_deref())?,
            technical_assistance: text(
                "technical_assistance",
                self.technical_assistance.as_deref(),
                1000,
            )?,
            average_monthly_sales: amount(
                "average_monthly_sales",
                self.average_monthly_sales.as_deref(),
            )?,
        };
        if let (Some(s), Some(e)) = (d.contract_start, d.contract_end) {
            if e < s {
                return Err(ValidationError::new(
                    "contract_end",
                    "before_start",
                    "the contract cannot end before it starts",
                ));
            }
        }
        Ok(d)
    }
}

/// Sales from dealers ≈ number of dealers × average sales per dealer; the figures that
/// formula needs, over the dealers with a known average.
pub fn dealer_sales<'a>(
    dealers: impl IntoIterator<Item = &'a DealerData>,
) -> (usize, Option<Decimal>, Decimal) {
    let mut count = 0usize;
    let mut with_sales = 0u32;
    let mut total = Decimal::ZERO;
    for d in dealers {
        count += 1;
        if let Some(s) = d.average_monthly_sales {
            with_sales += 1;
            total = total.saturating_add(s);
        }
    }
    let average = (with_sales > 0).then(|| (total / Decimal::from(with_sales)).round_dp(2));
    (count, average, total)
}

/// The new-customer development report (新客户开发报告表), filed by the salesperson who
/// developed the customer and reviewed by their supervisor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct DevelopmentReport {
    pub developed_on: Option<NaiveDate>,
    pub first_order_date: Option<NaiveDate>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub first_order_amount: Option<Decimal>,
    pub products: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option", default)]
    pub expected_monthly_sales: Option<Decimal>,
    pub competitors: Option<String>,
    pub how_developed: Option<String>,
    pub difficulties: Option<String>,
    pub next_steps: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct DevelopmentReportInput {
    pub developed_on: Option<String>,
    pub first_order_date: Option<String>,
    pub first_order_amount: Option<String>,
    pub products: Option<String>,
    pub expected_monthly_sales: Option<String>,
    pub competitors: Option<String>,
    pub how_developed: Option<String>,
    pub difficulties: Option<String>,
    pub next_steps: Option<String>,
}

impl DevelopmentReportInput {
    pub fn parse(&self) -> Result<DevelopmentReport, ValidationError> {
        let r = DevelopmentReport {
            developed_on: date("developed_on", self.developed_on.as_deref())?,
            first_order_date: date("first_order_date", self.first_order_date.as_deref())?,
            first_order_amount: amount("first_order_amount", self.first_order_amount.as_deref())?,
            products: text("products", self.products.as_deref(), 500)?,
            expected_monthly_sales: amount(
                "expected_monthly_sales",
                self.expected_monthly_sales.as_deref(),
            )?,
            competitors: text("competitors", self.competitors.as_deref(), 1000)?,
            how_developed: text("how_developed", self.how_developed.as_deref(), 2000)?,
            difficulties: text("difficulties", self.difficulties.as_deref(), 2000)?,
            next_steps: text("next_steps", self.next_steps.as_deref(), 2000)?,
        };
        if r.developed_on.is_none() {
            return Err(ValidationError::new(
                "developed_on",
                "required",
                "say when the customer was developed",
            ));
        }
        if let (Some(d), Some(f)) = (r.developed_on, r.first_order_date) {
            if f < d {
                return Err(ValidationError::new(
                    "first_order_date",
                    "before_start",
                    "the first order cannot precede the development date",
                ));
            }
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_dates_and_texts_of_dealers_and_reports() {
        for (raw, r) in [
            ("A", CreditRating::A),
            ("b", CreditRating::B),
            (" C ", CreditRating::C),
            ("d", CreditRating::D),
        ] {
            assert_eq!(CreditRating::parse(raw), Ok(r));
        }
        assert_eq!(CreditRating::parse("E").unwrap_err().field, "credit_rating");
        let dealer = |start: &str, end: &str| DealerInput {
            contract_start: Some(start.into()),
            contract_end: Some(end.into()),
            technical_assistance: Some(" 每月培训一次 ".into()),
            ..Default::default()
        };
        let d = dealer("2026-01-01", "2026-01-01").parse().unwrap();
        assert_eq!(d.technical_assistance.as_deref(), Some("每月培训一次"));
        assert_eq!(
            dealer("2026-01-02", "2026-01-01")
                .parse()
                .unwrap_err()
                .field,
            "contract_end"
        );
        let report = |developed: &str, first: &str| DevelopmentReportInput {
            developed_on: Some(developed.into()),
            first_order_date: Some(first.into()),
            next_steps: Some("下周回访".into()),
            ..Default::default()
        };
        let r = report("2026-11-02", "2026-11-02").parse().unwrap();
        assert_eq!(r.next_steps.as_deref(), Some("下周回访"));
        assert_eq!(
            report("2026-11-02", "2026-11-01")
                .parse()
                .unwrap_err()
                .field,
            "first_order_date"
        );
    }
    use proptest::prelude::*;

    #[test]
    fn dealer_data_parses_and_checks() {
        let d = DealerInput {
            credit_rating: Some("b".into()),
            credit_limit: Some("200,000".into()),
            payment_terms_days: Some("45".into()),
            contract_start: Some("2026-01-01".into()),
            contract_end: Some("2026-12-31".into()),
            average_monthly_sales: Some("38000.50".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(d.credit_rating, Some(CreditRating::B));
        assert_eq!(d.credit_limit, Some(Decimal::from(200_000)));
        assert_eq!(d.payment_terms_days, Some(45));
        for (input, field) in [
            (
                DealerInput {
                    credit_rating: Some("E".into()),
                    ..Default::default()
                },
                "credit_rating",
            ),
            (
                DealerInput {
                    credit_limit: Some("-1".into()),
                    ..Default::default()
                },
                "credit_limit",
            ),
            (
                DealerInput {
                    payment_terms_days: Some("400".into()),
                    ..Default::default()
                },
                "payment_terms_days",
            ),
            (
                DealerInput {
                    contract_start: Some("2026-05-01".into()),
                    contract_end: Some("2026-04-01".into()),
                    ..Default::default()
                },
                "contract_end",
            ),
        ] {
            assert_eq!(input.parse().unwrap_err().field, field);
        }
    }

    #[test]
    fn development_report_needs_a_date_and_an_order_after_it() {
        assert_eq!(
            DevelopmentReportInput::default().parse().unwrap_err().field,
            "developed_on"
        );
        let e = DevelopmentReportInput {
            developed_on: Some("2026-11-10".into()),
            first_order_date: Some("2026-11-01".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.field, "first_order_date");
    }

    proptest! {
        /// Dealer sales: the average times the number of dealers with sales is the total
        /// (up to rounding of the average).
        #[test]
        fn dealer_average_times_count_is_total(sales in proptest::collection::vec(proptest::option::of(0u32..1_000_000), 0..30)) {
            let dealers: Vec<DealerData> = sales.iter().map(|s| DealerData { average_monthly_sales: s.map(Decimal::from), ..Default::default() }).collect();
            let (count, average, total) = dealer_sales(&dealers);
            prop_assert_eq!(count, sales.len());
            let with: Vec<u32> = sales.iter().flatten().copied().collect();
            prop_assert_eq!(total, Decimal::from(with.iter().map(|s| u64::from(*s)).sum::<u64>()));
            match average {
                None => prop_assert!(with.is_empty()),
                Some(a) => prop_assert!((a * Decimal::from(with.len() as u32) - total).abs() <= Decimal::from(with.len() as u32)),
            }
        }
    }
}
