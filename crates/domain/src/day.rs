//! Calendar days as people type them: `YYYY-MM-DD`, within the years a business record can
//! concern. Year 0, negative years or 9999 are typing accidents that would sort and age
//! every report wrongly, so they are refused like any other bad date.

use crate::error::ValidationError;
use chrono::{Datelike, NaiveDate};

/// The first and last years a date may fall in.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2100;

/// Parses `YYYY-MM-DD` within [`FIRST_YEAR`]..=[`LAST_YEAR`]; errors name `field`.
/// A plan or estimate year: 2000 to 2100.
pub fn parse_year(field: &'static str, raw: i64) -> Result<i32, ValidationError> {
    match i32::try_from(raw) {
        Ok(y @ 2000..=2100) => Ok(y),
        _ => Err(ValidationError::new(
            field,
            "invalid_year",
            "must be a year between 2000 and 2100",
        )),
    }
}

pub fn parse(field: &'static str, raw: &str) -> Result<NaiveDate, ValidationError> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
        ValidationError::new(field, "invalid_date", "must be a date like 2026-11-23")
    })?;
    if !(FIRST_YEAR..=LAST_YEAR).contains(&d.year()) {
        return Err(ValidationError::new(
            field,
            "out_of_range",
            format!("must be between {FIRST_YEAR}-01-01 and {LAST_YEAR}-12-31"),
        ));
    }
    Ok(d)
}

/// An optional day: missing or blank is `None`.
pub fn parse_optional(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<NaiveDate>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(field, s).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn absurd_years_are_refused_naming_the_field() {
        for raw in [
            "0000-01-01",
            "-0001-01-01",
            "9999-12-31",
            "1899-12-31",
            "2101-01-01",
        ] {
            let e = parse("plan_date", raw).unwrap_err();
            assert_eq!((e.field, e.code), ("plan_date", "out_of_range"), "{raw}");
        }
        for raw in ["2026-02-30", "abc", "2026/11/23", ""] {
            assert_eq!(parse("d", raw).unwrap_err().code, "invalid_date", "{raw}");
        }
        assert_eq!(
            parse("d", " 2026-11-23 ").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        assert!(parse("d", "1900-01-01").is_ok() && parse("d", "2100-12-31").is_ok());
        assert_eq!(parse_optional("d", Some(" ")).unwrap(), None);
    }

    proptest! {
        #[test]
        fn never_panics_and_round_trips(raw in "\\PC{0,20}", y in 1900i32..=2100, m in 1u32..=12, d in 1u32..=28) {
            let _ = parse("d", &raw);
            let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            prop_assert_eq!(parse("d", &day.format("%Y-%m-%d").to_string()).unwrap(), day);
        }
    }
}
