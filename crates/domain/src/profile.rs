//! The prospect card's descriptive fields (潜在客户资料卡): company size, sales status, relations
//! with other vendors, needs, purchase history, decision process… Validated here, stored as one
//! document per customer.

use crate::error::ValidationError;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileKind {
    /// A sum of money in yuan: a non-negative decimal with at most two decimals.
    Amount,
    /// A non-negative whole number.
    Count,
    /// Free text of at most this many characters.
    Text(usize),
}

/// The card's fields, in display order.
pub const PROFILE_FIELDS: &[(&str, ProfileKind)] = &[
    ("annual_revenue", ProfileKind::Amount),
    ("employees", ProfileKind::Count),
    ("net_assets", ProfileKind::Amount),
    ("sales_status", ProfileKind::Text(1000)),
    ("goods_display", ProfileKind::Text(1000)),
    ("vendor_relations", ProfileKind::Text(1000)),
    ("business_attitude", ProfileKind::Text(1000)),
    ("needs", ProfileKind::Text(2000)),
    ("purchase_history", ProfileKind::Text(2000)),
    ("decision_process", ProfileKind::Text(2000)),
];

fn static_key(key: &str) -> Option<&'static str> {
    PROFILE_FIELDS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(k, _)| *k)
}

/// Validated card values, keyed by field; absent = not filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile(BTreeMap<&'static str, String>);

impl Profile {
    /// Parses raw values (strings or JSON numbers; null or blank clears a field).
    pub fn parse(raw: &BTreeMap<String, Value>) -> Result<Self, ValidationError> {
        let mut out = BTreeMap::new();
        for (key, value) in raw {
            let Some((field, kind)) = PROFILE_FIELDS.iter().find(|(k, _)| k == key) else {
                return Err(ValidationError::new(
                    "profile",
                    "unknown_field",
                    format!("the card has no field {key:?}"),
                ));
            };
            let text = match value {
                Value::Null => continue,
                Value::String(s) => s.trim().to_string(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(ValidationError::new(
                        field,
                        "invalid_value",
                        "must be text or a number",
                    ))
                }
            };
            if text.is_empty() {
                continue;
            }
            let normalized = match kind {
                ProfileKind::Amount => {
                    // A company's size, not money that is summed: larger than a price may be.
                    let bounds = crate::money::Bounds {
                        max: Decimal::from(1_000_000_000_000_000i64),
                        decimals: 2,
                        example: "1200000.00",
                    };
                    crate::money::parse(field, &text, bounds)?
                        .normalize()
                        .to_string()
                }
                ProfileKind::Count => {
                    let n: u64 = text.parse().map_err(|_| {
                        ValidationError::new(field, "invalid_number", "must be a whole number")
                    })?;
                    n.to_string()
                }
                ProfileKind::Text(max) => {
                    if text.chars().count() > *max {
                        return Err(ValidationError::new(
                            field,
                            "too_long",
                            format!("must be at most {max} characters"),
                        ));
                    }
                    text
                }
            };
            out.insert(*field, normalized);
        }
        Ok(Profile(out))
    }

    /// Reads back a stored document (already validated when written).
    pub fn from_stored(map: BTreeMap<String, String>) -> Self {
        Profile(
            map.into_iter()
                .filter_map(|(k, v)| static_key(&k).map(|k| (k, v)))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).expect("a string map serialises")
    }

    pub fn as_map(&self) -> &BTreeMap<&'static str, String> {
        &self.0
    }

    /// Field/value pairs for the audit trail, every card field present.
    pub fn snapshot(&self) -> Vec<(&'static str, Option<String>)> {
        PROFILE_FIELDS
            .iter()
            .map(|(k, _)| (*k, self.0.get(k).cloned()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use std::str::FromStr;

    fn raw(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn parses_amounts_counts_and_text() {
        let p = Profile::parse(&raw(json!({"annual_revenue": "1,200,000.50", "employees": 35, "needs": " 节能设备 ", "net_assets": null, "sales_status": ""}))).unwrap();
        assert_eq!(p.get("annual_revenue"), Some("1200000.5"));
        assert_eq!(p.get("employees"), Some("35"));
        assert_eq!(p.get("needs"), Some("节能设备"));
        assert_eq!(p.get("net_assets"), None);
        assert_eq!(p.get("sales_status"), None);
    }

    #[test]
    fn stored_profiles_read_back_and_show_on_the_audit_trail() {
        let p = Profile::parse(&raw(json!({"needs": "节能设备", "employees": 35}))).unwrap();
        let stored: BTreeMap<String, String> = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(stored.get("needs").map(String::as_str), Some("节能设备"));
        let mut with_junk = stored.clone();
        with_junk.insert("not_a_field".into(), "x".into());
        let back = Profile::from_stored(with_junk);
        assert_eq!(back, p, "unknown keys are dropped, known ones kept");
        assert_eq!(back.as_map().len(), 2);
        let snap = p.snapshot();
        assert_eq!(
            snap.len(),
            PROFILE_FIELDS.len(),
            "every card field, present or not"
        );
        assert!(snap.contains(&("needs", Some("节能设备".to_string()))));
        assert!(snap.contains(&("annual_revenue", None)));
        // Text at its bound is kept; one more character is refused.
        let needs = |n: usize| raw(json!({ "needs": "需".repeat(n) }));
        assert!(Profile::parse(&needs(2000)).is_ok());
        assert_eq!(Profile::parse(&needs(2001)).unwrap_err().code, "too_long");
    }

    #[test]
    fn rejects_bad_values_naming_the_field() {
        for (v, field, code) in [
            (
                json!({"annual_revenue": "-5"}),
                "annual_revenue",
                "invalid_amount",
            ),
            (
                json!({"annual_revenue": "1.234"}),
                "annual_revenue",
                "invalid_amount",
            ),
            (
                json!({"net_assets": "lots"}),
                "net_assets",
                "invalid_amount",
            ),
            (json!({"employees": "3.5"}), "employees", "invalid_number"),
            (json!({"needs": "x".repeat(2001)}), "needs", "too_long"),
            (
                json!({"favourite_colour": "red"}),
                "profile",
                "unknown_field",
            ),
            (json!({"needs": [1]}), "needs", "invalid_value"),
        ] {
            let e = Profile::parse(&raw(v.clone())).unwrap_err();
            assert_eq!((e.field, e.code), (field, code), "{v}");
        }
    }

    proptest! {
        #[test]
        fn amounts_round_trip_exactly(units in 0u64..10_000_000_000, cents in 0u32..100) {
            let text = format!("{units}.{cents:02}");
            let p = Profile::parse(&raw(json!({"annual_revenue": text}))).unwrap();
            let back = Decimal::from_str(p.get("annual_revenue").unwrap()).unwrap();
            prop_assert_eq!(back, Decimal::from_str(&text).unwrap());
        }
    }
}
