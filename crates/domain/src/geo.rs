//! Where a visit checked in, as the browser's geolocation reported it (with the person's
//! consent): a latitude and a longitude, both or neither.

use crate::error::ValidationError;
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub latitude: Decimal,
    pub longitude: Decimal,
}

/// Six decimals is about ten centimetres: more than any phone knows.
const PLACES: u32 = 6;

fn coordinate(field: &'static str, raw: &str, limit: i64) -> Result<Decimal, ValidationError> {
    let d = Decimal::from_str(raw.trim()).map_err(|_| {
        ValidationError::new(field, "invalid_number", "must be a number of degrees")
    })?;
    if d.abs() > Decimal::from(limit) {
        return Err(ValidationError::new(
            field,
            "out_of_range",
            format!("must be between -{limit} and {limit} degrees"),
        ));
    }
    Ok(d.round_dp(PLACES).normalize())
}

impl Position {
    /// Both coordinates, or neither (no position recorded).
    pub fn parse(
        latitude: Option<&str>,
        longitude: Option<&str>,
    ) -> Result<Option<Self>, ValidationError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (present(latitude), present(longitude)) {
            (None, None) => Ok(None),
            (Some(lat), Some(lng)) => Ok(Some(Self {
                latitude: coordinate("latitude", lat, 90)?,
                longitude: coordinate("longitude", lng, 180)?,
            })),
            (None, Some(_)) => Err(ValidationError::new(
                "latitude",
                "required",
                "a position needs both latitude and longitude",
            )),
            (Some(_), None) => Err(ValidationError::new(
                "longitude",
                "required",
                "a position needs both latitude and longitude",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn both_or_neither_within_range() {
        let p = Position::parse(Some("31.2304162"), Some(" 121.4737 "))
            .unwrap()
            .unwrap();
        assert_eq!(p.latitude.to_string(), "31.230416");
        assert_eq!(p.longitude.to_string(), "121.4737");
        assert_eq!(Position::parse(None, Some("")).unwrap(), None);
        let e = Position::parse(Some("31.2"), None).unwrap_err();
        assert_eq!((e.field, e.code), ("longitude", "required"));
        let e = Position::parse(Some("91"), Some("0")).unwrap_err();
        assert_eq!((e.field, e.code), ("latitude", "out_of_range"));
        let e = Position::parse(Some("0"), Some("东经121")).unwrap_err();
        assert_eq!((e.field, e.code), ("longitude", "invalid_number"));
    }

    proptest! {
        #[test]
        fn any_position_on_earth_is_kept(lat in -90.0f64..=90.0, lng in -180.0f64..=180.0) {
            let (lat, lng) = (format!("{lat:.5}"), format!("{lng:.5}"));
            let p = Position::parse(Some(&lat), Some(&lng)).unwrap().unwrap();
            prop_assert_eq!(p.latitude, Decimal::from_str(&lat).unwrap().normalize());
            prop_assert_eq!(p.longitude, Decimal::from_str(&lng).unwrap().normalize());
        }
    }
}
