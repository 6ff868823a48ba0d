//! Saved segments: a customer-list filter kept under a name, personal or shared with the team.
//! A segment keeps the filter, not the customers: its members are whoever matches when it is
//! used, within the user's own scope.

use crate::error::ValidationError;

/// The list parameters a segment may keep (`cf.<key>` for custom fields besides these).
pub const FILTERS: [&str; 24] = [
    "q",
    "owner_id",
    "dealers",
    "kind",
    "region",
    "industry",
    "source",
    "tier",
    "man_class",
    "key_account",
    "inactive_days",
    "bought_product",
    "last_order_before",
    "spent_min",
    "spent_max",
    "revenue_min",
    "revenue_max",
    "employees_min",
    "employees_max",
    "net_assets_min",
    "net_assets_max",
    "team",
    "last_activity",
    "sort",
];

/// A segment's name: 1–50 characters after trimming.
pub fn parse_name(raw: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ValidationError::new(
            "name",
            "required",
            "must not be empty",
        ));
    }
    if name.chars().count() > 50 {
        return Err(ValidationError::new(
            "name",
            "too_long",
            "must be at most 50 characters",
        ));
    }
    Ok(name.to_string())
}

/// A list query string as a segment keeps it: only filter parameters (paging is dropped), at
/// least one of them, at most 2,000 characters. Values are checked when the segment is used,
/// by the list itself.
pub fn parse_query(raw: &str) -> Result<String, ValidationError> {
    let raw = raw.trim().trim_start_matches('?');
    if raw.len() > 2000 {
        return Err(ValidationError::new(
            "query",
            "too_long",
            "must be at most 2000 characters",
        ));
    }
    let mut kept = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        if key == "page" || key == "per_page" {
            continue;
        }
        if !FILTERS.contains(&key) && !key.starts_with("cf.") {
            return Err(ValidationError::new(
                "query",
                "unknown_filter",
                format!("{key} is not a customer-list filter"),
            ));
        }
        if !value.is_empty() {
            kept.push(part);
        }
    }
    if kept.iter().all(|p| p.starts_with("sort=")) {
        return Err(ValidationError::new(
            "query",
            "required",
            "a segment needs at least one filter",
        ));
    }
    Ok(kept.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_keeps_filters_only() {
        assert_eq!(
            parse_query("?region=%E5%8D%8E%E4%B8%9C&page=3&tier=priority&per_page=50&source=")
                .unwrap(),
            "region=%E5%8D%8E%E4%B8%9C&tier=priority"
        );
        assert_eq!(
            parse_query("cf.interest=x&sort=name").unwrap(),
            "cf.interest=x&sort=name"
        );
        let e = parse_query("region=a&password=x").unwrap_err();
        assert_eq!((e.field, e.code), ("query", "unknown_filter"));
        assert_eq!(
            parse_query("page=2&sort=name").unwrap_err().code,
            "required"
        );
        assert_eq!(
            parse_query(&"q=a&".repeat(600)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(parse_name("  华东重点  ").unwrap(), "华东重点");
        assert_eq!(parse_name(" ").unwrap_err().code, "required");
        assert_eq!(parse_name(&"名".repeat(51)).unwrap_err().code, "too_long");
    }
}
