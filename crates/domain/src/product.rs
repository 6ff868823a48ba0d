//! Products and the price list.

use crate::error::ValidationError;
use crate::opportunity::Money;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductFields {
    pub code: String,
    pub name: String,
    pub unit: String,
    pub price: Money,
    /// A unique item (a specific vehicle, a property…): the first deposit wins it.
    pub unique_item: bool,
    pub active: bool,
    /// What one unit costs the company, in the price's currency: the base of gross margin.
    pub cost: Option<rust_decimal::Decimal>,
    /// The product category targets and statistics may be broken down by.
    pub category: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ProductInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub unit: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub unique_item: Option<bool>,
    pub active: Option<bool>,
    /// Blank or missing: unknown.
    pub cost: Option<String>,
    pub category: Option<String>,
}

impl ProductInput {
    pub fn parse(&self) -> Result<ProductFields, ValidationError> {
        let code = self.code.as_deref().map(str::trim).unwrap_or("");
        if code.is_empty() || code.chars().count() > 40 || code.chars().any(char::is_whitespace) {
            return Err(ValidationError::new(
                "code",
                "invalid_format",
                "a product code of 1–40 characters without spaces",
            ));
        }
        let name = self.name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Err(ValidationError::new(
                "name",
                "required",
                "must not be empty",
            ));
        }
        if name.chars().count() > 200 {
            return Err(ValidationError::new(
                "name",
                "too_long",
                "must be at most 200 characters",
            ));
        }
        let unit = self
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or("件");
        if unit.chars().count() > 20 {
            return Err(ValidationError::new(
                "unit",
                "too_long",
                "must be at most 20 characters",
            ));
        }
        Ok(ProductFields {
            code: code.to_string(),
            name: name.to_string(),
            unit: unit.to_string(),
            price: Money::parse(
                "price",
                self.price.as_deref().unwrap_or(""),
                self.currency.as_deref(),
            )?,
            unique_item: self.unique_item.unwrap_or(false),
            active: self.active.unwrap_or(true),
            cost: crate::money::parse_optional_amount("cost", self.cost.as_deref())?,
            category: crate::customer::optional_text("category", self.category.as_deref(), 50)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_codes_are_short_and_without_spaces() {
        let with_code = |code: &str| ProductInput {
            code: Some(code.into()),
            name: Some("节能灯".into()),
            unit: Some("盏".into()),
            price: Some("1".into()),
            ..Default::default()
        };
        assert!(with_code(&"C".repeat(40)).parse().is_ok());
        for bad in ["", "LED 1", &"C".repeat(41)] {
            assert_eq!(with_code(bad).parse().unwrap_err().field, "code", "{bad:?}");
        }
        let named = |name: usize, unit: &str| ProductInput {
            name: Some("灯".repeat(name)),
            unit: Some(unit.into()),
            ..with_code("LED")
        };
        assert!(named(200, &"盏".repeat(20)).parse().is_ok());
        assert_eq!(named(201, "盏").parse().unwrap_err().field, "name");
        assert_eq!(
            named(1, &"盏".repeat(21)).parse().unwrap_err().field,
            "unit"
        );
        assert_eq!(
            named(1, "  ").parse().unwrap().unit,
            "件",
            "the default unit"
        );
    }

    #[test]
    fn products_parse() {
        let p = ProductInput {
            code: Some("LED-40W".into()),
            name: Some("节能灯 40W".into()),
            price: Some("35.50".into()),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(
            (
                p.unit.as_str(),
                p.price.amount.to_string().as_str(),
                p.active
            ),
            ("件", "35.5", true)
        );
        for (input, field) in [
            (
                ProductInput {
                    code: Some("LED 40".into()),
                    name: Some("x".into()),
                    price: Some("1".into()),
                    ..Default::default()
                },
                "code",
            ),
            (
                ProductInput {
                    code: Some("A".into()),
                    name: Some(" ".into()),
                    price: Some("1".into()),
                    ..Default::default()
                },
                "name",
            ),
            (
                ProductInput {
                    code: Some("A".into()),
                    name: Some("x".into()),
                    price: Some("-1".into()),
                    ..Default::default()
                },
                "price",
            ),
            (
                ProductInput {
                    code: Some("A".into()),
                    name: Some("x".into()),
                    price: None,
                    ..Default::default()
                },
                "price",
            ),
        ] {
            assert_eq!(input.parse().unwrap_err().field, field);
        }
    }
}
