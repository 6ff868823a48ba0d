//! Picklists: the values a company allows for a customer's region, industry and source, so
//! that "华东", "华东区" and "east China" do not split one region three ways. Kept by admins;
//! a field without a list stays free text, and every list offers "other" (其他) last.

use crate::customer::CustomerFields;
use crate::error::ValidationError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The card fields a company may restrict to a list.
pub const FIELDS: [&str; 3] = ["region", "industry", "source"];

/// The value every list accepts besides its own: the customer fits none of them.
pub const OTHER: &str = "其他";

const MAX_VALUES: usize = 200;
const MAX_LEN: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picklists(BTreeMap<String, Vec<String>>);

impl Picklists {
    /// Checks lists as an admin sends them: known fields, values trimmed, none empty, none
    /// repeated, at most 200 of at most 100 characters. An empty list removes the field's list.
    pub fn parse(raw: &BTreeMap<String, Vec<String>>) -> Result<Self, ValidationError> {
        let mut out = BTreeMap::new();
        for (field, values) in raw {
            let field = FIELDS.iter().find(|f| **f == field).ok_or_else(|| {
                ValidationError::new(
                    "field",
                    "unknown_field",
                    format!("{field}: only region, industry and source have lists"),
                )
            })?;
            let mut list: Vec<String> = Vec::new();
            for v in values {
                let v = v.trim();
                if v.is_empty() || v == OTHER {
                    continue;
                }
                if v.chars().count() > MAX_LEN {
                    return Err(ValidationError::new(
                        field,
                        "too_long",
                        format!("{v}: at most {MAX_LEN} characters"),
                    ));
                }
                if list.iter().any(|x| x == v) {
                    return Err(ValidationError::new(
                        field,
                        "duplicate",
                        format!("{v} is listed twice"),
                    ));
                }
                list.push(v.to_string());
            }
            if list.len() > MAX_VALUES {
                return Err(ValidationError::new(
                    field,
                    "too_many",
                    format!("at most {MAX_VALUES} values"),
                ));
            }
            if !list.is_empty() {
                out.insert(field.to_string(), list);
            }
        }
        Ok(Self(out))
    }

    /// The allowed values of `field`, "other" last; empty when the field is free text.
    pub fn values(&self, field: &str) -> Vec<&str> {
        match self.0.get(field) {
            Some(list) => list
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(OTHER))
                .collect(),
            None => Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Refuses a customer whose region, industry or source is not on its field's list.
    pub fn check(&self, fields: &CustomerFields) -> Result<(), ValidationError> {
        self.check_changes(fields, [None; 3])
    }

    /// [`Picklists::check`] for an edit: a value the record already had (`before`: region,
    /// industry, source) stays acceptable, so a list added later does not block unrelated
    /// edits of older records; a changed value must be on the list.
    pub fn check_changes(
        &self,
        fields: &CustomerFields,
        before: [Option<&str>; 3],
    ) -> Result<(), ValidationError> {
        for ((field, value), old) in [
            ("region", &fields.region),
            ("industry", &fields.industry),
            ("source", &fields.source),
        ]
        .into_iter()
        .zip(before)
        {
            let (Some(v), Some(list)) = (value, self.0.get(field)) else {
                continue;
            };
            if Some(v.as_str()) != old && v != OTHER && !list.iter().any(|x| x == v) {
                return Err(ValidationError::new(
                    FIELDS
                        .iter()
                        .find(|f| **f == field)
                        .expect("a listed field"),
                    "not_in_list",
                    format!("{v}: choose one of {}, or {OTHER}", list.join("、")),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerInput;

    fn lists(pairs: &[(&str, &[&str])]) -> Result<Picklists, ValidationError> {
        Picklists::parse(
            &pairs
                .iter()
                .map(|(f, v)| (f.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
        )
    }

    fn customer(region: &str, source: &str) -> CustomerFields {
        CustomerInput {
            name: Some("甲公司".into()),
            region: Some(region.into()),
            source: Some(source.into()),
            ..Default::default()
        }
        .parse()
        .unwrap()
    }

    #[test]
    fn values_on_the_list_or_other_pass() {
        let l = lists(&[("region", &[" 华东 ", "华北", "", "其他"])]).unwrap();
        assert_eq!(l.values("region"), ["华东", "华北", "其他"]);
        assert!(l.values("industry").is_empty(), "no list: free text");
        assert!(l.check(&customer("华东", "展会")).is_ok());
        assert!(l.check(&customer("其他", "随便")).is_ok());
        let e = l.check(&customer("华东区", "展会")).unwrap_err();
        assert_eq!((e.field, e.code), ("region", "not_in_list"));
        assert!(e.message.contains("华东、华北"), "{}", e.message);
        // An older record keeps its value through an edit; changing it to another off-list
        // value is refused.
        assert!(l
            .check_changes(&customer("华东区", "展会"), [Some("华东区"), None, None])
            .is_ok());
        assert!(l
            .check_changes(&customer("华南区", "展会"), [Some("华东区"), None, None])
            .is_err());
    }

    #[test]
    fn bad_lists_are_refused_naming_the_field() {
        let e = lists(&[("owner", &["x"])]).unwrap_err();
        assert_eq!((e.field, e.code), ("field", "unknown_field"));
        let e = lists(&[("source", &["展会", "展会 "])]).unwrap_err();
        assert_eq!((e.field, e.code), ("source", "duplicate"));
        let long = "长".repeat(101);
        let e = lists(&[("industry", &[long.as_str()])]).unwrap_err();
        assert_eq!((e.field, e.code), ("industry", "too_long"));
        assert!(
            lists(&[("region", &[])]).unwrap().is_empty(),
            "an empty list removes it"
        );
    }
}
