//! Admin-defined customer fields (text, number, date, yes/no, choice), which people filter and
//! group customers by — as the seeds' salespeople did with "products of interest" or "needs
//! another call?".

use crate::error::ValidationError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustomFieldKind {
    Text,
    Number,
    Date,
    YesNo,
    Choice,
}

impl CustomFieldKind {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "text" => Ok(Self::Text),
            "number" => Ok(Self::Number),
            "date" => Ok(Self::Date),
            "yes_no" => Ok(Self::YesNo),
            "choice" => Ok(Self::Choice),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be text, number, date, yes_no or choice",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Number => "number",
            Self::Date => "date",
            Self::YesNo => "yes_no",
            Self::Choice => "choice",
        }
    }
}

/// A field definition as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CustomFieldDef {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: CustomFieldKind,
    pub choices: Vec<String>,
    pub active: bool,
}

/// A validated value for one field of one customer; `None` clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomValue {
    pub field_id: i64,
    pub key: String,
    pub value: Option<String>,
}

/// A field key: lower-case letters, digits and underscores, starting with a letter.
pub fn parse_key(raw: &str) -> Result<String, ValidationError> {
    let k = raw.trim();
    let ok = !k.is_empty()
        && k.len() <= 40
        && k.starts_with(|c: char| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(k.to_string())
    } else {
        Err(ValidationError::new(
            "key",
            "invalid_format",
            "use lower-case letters, digits and _ (at most 40), starting with a letter",
        ))
    }
}

pub fn parse_label(raw: &str) -> Result<String, ValidationError> {
    let l = raw.trim();
    if l.is_empty() {
        return Err(ValidationError::new(
            "label",
            "required",
            "must not be empty",
        ));
    }
    if l.chars().count() > 60 {
        return Err(ValidationError::new(
            "label",
            "too_long",
            "must be at most 60 characters",
        ));
    }
    Ok(l.to_string())
}

/// Choices for a choice field: 1 to 50 distinct, non-empty, each at most 60 characters.
pub fn parse_choices(
    kind: CustomFieldKind,
    raw: &[String],
) -> Result<Vec<String>, ValidationError> {
    if kind != CustomFieldKind::Choice {
        return Ok(Vec::new());
    }
    let mut out: Vec<String> = Vec::new();
    for c in raw.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if c.chars().count() > 60 {
            return Err(ValidationError::new(
                "choices",
                "too_long",
                "each choice must be at most 60 characters",
            ));
        }
        if !out.iter().any(|o| o == c) {
            out.push(c.to_string());
        }
    }
    if out.is_empty() || out.len() > 50 {
        return Err(ValidationError::new(
            "choices",
            "required",
            "a choice field needs between 1 and 50 choices",
        ));
    }
    Ok(out)
}

/// The stored (canonical) form of one value, or an error naming the field's key.
pub fn parse_value(def: &CustomFieldDef, raw: &Value) -> Result<Option<String>, ValidationError> {
    // Field keys are data, not code, so errors name the generic field and say which key.
    let bad = |code: &'static str, what: &str| {
        ValidationError::new("custom", code, format!("{}: {what}", def.key))
    };
    let text = match raw {
        Value::Null => return Ok(None),
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        _ => return Err(bad("invalid_value", "must be text, a number or true/false")),
    };
    if text.is_empty() {
        return Ok(None);
    }
    let v = match def.kind {
        CustomFieldKind::Text => {
            if text.chars().count() > 500 {
                return Err(bad("too_long", "must be at most 500 characters"));
            }
            text
        }
        CustomFieldKind::Number => Decimal::from_str(&text)
            .map_err(|_| bad("invalid_number", "must be a number"))?
            .normalize()
            .to_string(),
        CustomFieldKind::Date => crate::day::parse("custom", &text)
            .map_err(|e| bad(e.code, &e.message))?
            .format("%Y-%m-%d")
            .to_string(),
        CustomFieldKind::YesNo => match text.as_str() {
            "yes" | "true" | "1" | "是" => "yes".to_string(),
            "no" | "false" | "0" | "否" => "no".to_string(),
            _ => return Err(bad("invalid_choice", "must be yes or no")),
        },
        CustomFieldKind::Choice => {
            if !def.choices.contains(&text) {
                return Err(bad(
                    "invalid_choice",
                    &format!("must be one of {}", def.choices.join(", ")),
                ));
            }
            text
        }
    };
    Ok(Some(v))
}

/// Parses the `custom` object of a customer against the organization's active fields.
pub fn parse_values(
    defs: &[CustomFieldDef],
    raw: &BTreeMap<String, Value>,
) -> Result<Vec<CustomValue>, ValidationError> {
    raw.iter()
        .map(|(key, value)| {
            let def = defs
                .iter()
                .find(|d| &d.key == key && d.active)
                .ok_or_else(|| {
                    ValidationError::new(
                        "custom",
                        "unknown_field",
                        format!("{key}: no such custom field"),
                    )
                })?;
            Ok(CustomValue {
                field_id: def.id,
                key: key.clone(),
                value: parse_value(def, value)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn def(kind: CustomFieldKind) -> CustomFieldDef {
        CustomFieldDef {
            id: 1,
            key: "f".into(),
            label: "F".into(),
            kind,
            choices: vec!["节能灯".into(), "空调".into()],
            active: true,
        }
    }

    #[test]
    fn kinds_labels_and_choices_at_their_bounds() {
        for (k, text) in [
            (CustomFieldKind::Text, "text"),
            (CustomFieldKind::Number, "number"),
            (CustomFieldKind::Date, "date"),
            (CustomFieldKind::YesNo, "yes_no"),
            (CustomFieldKind::Choice, "choice"),
        ] {
            assert_eq!(k.as_str(), text);
            assert_eq!(CustomFieldKind::parse(&format!(" {text} ")), Ok(k));
        }
        assert_eq!(CustomFieldKind::parse("colour").unwrap_err().field, "kind");
        assert_eq!(parse_label("  意向产品 ").unwrap(), "意向产品");
        assert!(parse_label(&"字".repeat(60)).is_ok());
        assert_eq!(parse_label(&"字".repeat(61)).unwrap_err().code, "too_long");
        assert_eq!(parse_label("  ").unwrap_err().code, "required");
        let choices = |n: usize, len: usize| -> Vec<String> {
            (0..n).map(|i| format!("{i:0>len$}")).collect()
        };
        assert_eq!(
            parse_choices(CustomFieldKind::Choice, &choices(50, 60))
                .unwrap()
                .len(),
            50
        );
        assert_eq!(
            parse_choices(CustomFieldKind::Choice, &choices(51, 3))
                .unwrap_err()
                .code,
            "required"
        );
        assert_eq!(
            parse_choices(CustomFieldKind::Choice, &choices(1, 61))
                .unwrap_err()
                .code,
            "too_long"
        );
        let text = def(CustomFieldKind::Text);
        assert!(parse_value(&text, &json!("字".repeat(500))).is_ok());
        assert_eq!(
            parse_value(&text, &json!("字".repeat(501)))
                .unwrap_err()
                .code,
            "too_long"
        );
    }

    #[test]
    fn values_are_canonical() {
        assert_eq!(
            parse_value(&def(CustomFieldKind::Number), &json!("12.50"))
                .unwrap()
                .as_deref(),
            Some("12.5")
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::Number), &json!(3))
                .unwrap()
                .as_deref(),
            Some("3")
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::Date), &json!("2026-11-23"))
                .unwrap()
                .as_deref(),
            Some("2026-11-23")
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::YesNo), &json!(true))
                .unwrap()
                .as_deref(),
            Some("yes")
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::YesNo), &json!("否"))
                .unwrap()
                .as_deref(),
            Some("no")
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::Choice), &json!("空调"))
                .unwrap()
                .as_deref(),
            Some("空调")
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::Text), &json!("  ")).unwrap(),
            None
        );
        assert_eq!(
            parse_value(&def(CustomFieldKind::Text), &Value::Null).unwrap(),
            None
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        for (kind, v, code) in [
            (CustomFieldKind::Number, json!("many"), "invalid_number"),
            (CustomFieldKind::Date, json!("23/11/2026"), "invalid_date"),
            (CustomFieldKind::YesNo, json!("maybe"), "invalid_choice"),
            (CustomFieldKind::Choice, json!("冰箱"), "invalid_choice"),
            (CustomFieldKind::Text, json!("x".repeat(501)), "too_long"),
            (CustomFieldKind::Text, json!([1]), "invalid_value"),
        ] {
            let e = parse_value(&def(kind), &v).unwrap_err();
            assert_eq!((e.field, e.code), ("custom", code), "{kind:?} {v}");
            assert!(e.message.starts_with("f:"));
        }
        let e = parse_values(
            &[def(CustomFieldKind::Text)],
            &[("nope".to_string(), json!("x"))].into_iter().collect(),
        )
        .unwrap_err();
        assert_eq!(e.code, "unknown_field");
    }

    #[test]
    fn keys_labels_and_choices() {
        assert_eq!(parse_key("needs_call").unwrap(), "needs_call");
        for bad in ["", "1abc", "Needs", "需要", "a-b", &"a".repeat(41)] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_choices(
                CustomFieldKind::Choice,
                &[" a ".into(), "a".into(), "".into(), "b".into()]
            )
            .unwrap(),
            ["a", "b"]
        );
        assert!(parse_choices(CustomFieldKind::Choice, &[]).is_err());
        assert!(parse_choices(CustomFieldKind::Text, &[])
            .unwrap()
            .is_empty());
    }

    proptest! {
        #[test]
        fn canonical_values_parse_to_themselves(n in -1_000_000i64..1_000_000, d in 0u32..3650) {
            let num = def(CustomFieldKind::Number);
            let once = parse_value(&num, &json!(n.to_string())).unwrap().unwrap();
            prop_assert_eq!(parse_value(&num, &json!(once.clone())).unwrap().unwrap(), once);
            let date = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(d.into());
            let text = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(parse_value(&def(CustomFieldKind::Date), &json!(text.clone())).unwrap().unwrap(), text);
        }
    }
}
