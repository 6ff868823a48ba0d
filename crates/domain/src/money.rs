//! Amounts and quantities: one parser with documented bounds, and arithmetic that cannot panic.
//!
//! Every amount a person types (prices, order lines, payments, advances, opportunity and report
//! figures) is at most [`MAX_AMOUNT`] and every quantity at most [`MAX_QUANTITY`], so a line
//! (quantity × price), an order and any sum over many orders stay far inside the decimal type's
//! range (about 7.9 × 10²⁸). Aggregates still saturate instead of panicking: a figure outside
//! the range could only come from data stored before these bounds existed, and a report that
//! shows a capped figure is better than a report nobody can open.

use crate::error::ValidationError;
use rust_decimal::Decimal;
use std::str::FromStr;

/// The largest amount accepted anywhere: 999,999,999,999.99 (just under one trillion).
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0x107A_3FFF, 0x5AF3, 0, false, 2);
/// The largest quantity on an order line: 1,000,000,000.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// What a figure may look like: how many decimals and how large.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max: Decimal,
    pub decimals: u32,
    /// An example the message shows, such as `"12.50"`.
    pub example: &'static str,
}

/// Amounts of money: two decimals, at most [`MAX_AMOUNT`].
pub const AMOUNT: Bounds = Bounds {
    max: MAX_AMOUNT,
    decimals: 2,
    example: "12.50",
};

/// Quantities on an order line: three decimals, at most [`MAX_QUANTITY`].
pub const QUANTITY: Bounds = Bounds {
    max: MAX_QUANTITY,
    decimals: 3,
    example: "2.5",
};

/// Parses a non-negative figure written with optional thousands separators (`1,200.50`,
/// `1，200`), within `bounds`. The error names `field`.
pub fn parse(field: &'static str, raw: &str, bounds: Bounds) -> Result<Decimal, ValidationError> {
    let cleaned = raw.trim().replace([',', '，'], "");
    let d = Decimal::from_str(&cleaned).map_err(|_| {
        ValidationError::new(
            field,
            "invalid_amount",
            format!("must be a number like {}", bounds.example),
        )
    })?;
    if d.is_sign_negative() || d.scale() > bounds.decimals {
        return Err(ValidationError::new(
            field,
            "invalid_amount",
            format!(
                "must be non-negative with at most {} decimals",
                bounds.decimals
            ),
        ));
    }
    if d > bounds.max {
        return Err(ValidationError::new(
            field,
            "out_of_range",
            format!("must be at most {}", bounds.max),
        ));
    }
    Ok(d.normalize())
}

/// Parses an amount of money (see [`AMOUNT`]).
pub fn parse_amount(field: &'static str, raw: &str) -> Result<Decimal, ValidationError> {
    parse(field, raw, AMOUNT)
}

/// An optional amount: missing or blank is `None`.
pub fn parse_optional_amount(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<Decimal>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse_amount(field, s).map(Some),
    }
}

/// A positive amount (payments, advances): zero is refused.
pub fn parse_positive_amount(field: &'static str, raw: &str) -> Result<Decimal, ValidationError> {
    let d = parse_amount(field, raw)?;
    if d.is_zero() {
        return Err(ValidationError::new(
            field,
            "out_of_range",
            "must be more than zero",
        ));
    }
    Ok(d)
}

/// An optional rate in percent (0 to 100, two decimals); missing or blank is `None`.
pub fn parse_optional_percent(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<Decimal>, ValidationError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let p = parse(field, raw, AMOUNT)?;
    if p > Decimal::ONE_HUNDRED {
        return Err(ValidationError::new(field, "out_of_range", "at most 100"));
    }
    Ok(Some(p))
}

/// Sum that saturates at the decimal range instead of panicking.
pub fn sum(items: impl IntoIterator<Item = Decimal>) -> Decimal {
    items
        .into_iter()
        .fold(Decimal::ZERO, |acc, x| acc.saturating_add(x))
}

/// `part / whole × 100` rounded to two decimals; none when `whole` is zero or the quotient
/// leaves the decimal range.
pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    if whole.is_zero() {
        return None;
    }
    let p = match part.checked_mul(Decimal::ONE_HUNDRED) {
        Some(scaled) => scaled.checked_div(whole),
        None => part
            .checked_div(whole)
            .and_then(|q| q.checked_mul(Decimal::ONE_HUNDRED)),
    };
    p.map(|p| p.round_dp(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_zero_to_a_hundred() {
        assert_eq!(
            parse_optional_percent("rate", Some(" 5 ")),
            Ok(Some(Decimal::new(5, 0)))
        );
        assert_eq!(parse_optional_percent("rate", Some("")), Ok(None));
        assert_eq!(parse_optional_percent("rate", None), Ok(None));
        assert_eq!(
            parse_optional_percent("rate", Some("100")),
            Ok(Some(Decimal::ONE_HUNDRED))
        );
        let e = parse_optional_percent("rate", Some("100.01")).unwrap_err();
        assert_eq!((e.field, e.code), ("rate", "out_of_range"));
        assert_eq!(
            parse_optional_percent("rate", Some("-1"))
                .unwrap_err()
                .field,
            "rate"
        );
    }
    use proptest::prelude::*;

    #[test]
    fn bounds_are_what_the_docs_say() {
        assert_eq!(MAX_AMOUNT.to_string(), "999999999999.99");
        assert_eq!(MAX_QUANTITY.to_string(), "1000000000");
    }

    #[test]
    fn parses_separators_and_refuses_bad_figures_naming_the_field() {
        assert_eq!(
            parse_amount("amount", " 1,200.50 ").unwrap(),
            Decimal::new(120050, 2)
        );
        assert_eq!(
            parse_amount("amount", "1，200").unwrap(),
            Decimal::from(1200)
        );
        for (raw, code) in [
            ("abc", "invalid_amount"),
            ("-1", "invalid_amount"),
            ("1.234", "invalid_amount"),
            ("1000000000000", "out_of_range"),
            ("79228162514264337593543950335", "out_of_range"),
            ("99999999999999999999999999", "out_of_range"),
        ] {
            let e = parse_amount("price", raw).unwrap_err();
            assert_eq!((e.field, e.code), ("price", code), "{raw}");
        }
        assert!(parse_amount("a", "999999999999.99").is_ok());
        assert!(parse("q", "1000000000", QUANTITY).is_ok());
        assert_eq!(
            parse("q", "1000000000.001", QUANTITY).unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(
            parse_positive_amount("amount", "0").unwrap_err().code,
            "out_of_range"
        );
        assert_eq!(parse_optional_amount("a", Some("  ")).unwrap(), None);
        assert_eq!(parse_optional_amount("a", None).unwrap(), None);
    }

    #[test]
    fn sums_and_percentages_do_not_panic_at_the_edge() {
        assert_eq!(sum([Decimal::MAX, Decimal::MAX]), Decimal::MAX);
        assert_eq!(sum([Decimal::ONE, Decimal::TWO]), Decimal::from(3));
        assert_eq!(percent(Decimal::MAX, Decimal::new(1, 2)), None);
        assert_eq!(percent(Decimal::ONE, Decimal::ZERO), None);
        assert_eq!(
            percent(Decimal::ONE, Decimal::from(3)),
            Some(Decimal::new(3333, 2))
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(raw in "\\PC{0,40}") {
            let _ = parse_amount("amount", &raw);
            let _ = parse("quantity", &raw, QUANTITY);
        }

        #[test]
        fn a_bounded_line_and_many_of_them_stay_in_range(
            units in 0i64..=99_999_999_999_999, q in 0u64..=1_000_000_000
        ) {
            let price = Decimal::new(units, 2);
            let line = price.checked_mul(Decimal::from(q));
            prop_assert!(line.is_some());
            // A million such lines summed still fit.
            prop_assert!(line.unwrap().checked_mul(Decimal::from(1_000_000)).is_some());
        }

        #[test]
        fn accepted_amounts_round_trip(units in 0i64..=99_999_999_999_999) {
            let d = Decimal::new(units, 2);
            prop_assert_eq!(parse_amount("a", &d.to_string()).unwrap(), d.normalize());
        }

        #[test]
        fn percent_is_part_over_whole(part in 0u32..1_000_000, whole in 1u32..1_000_000) {
            let p = percent(Decimal::from(part), Decimal::from(whole)).unwrap();
            let exact = Decimal::from(part) * Decimal::ONE_HUNDRED / Decimal::from(whole);
            prop_assert!((p - exact).abs() <= Decimal::new(5, 3));
        }
    }
}
