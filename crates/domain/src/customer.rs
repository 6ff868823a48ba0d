//! Customers and contacts: the parsed shapes that enter the system.

use crate::custom::CustomValue;
use crate::error::ValidationError;
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    Company,
    Individual,
}

impl CustomerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Company => "company",
            CustomerKind::Individual => "individual",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "company" => Ok(Self::Company),
            "individual" => Ok(Self::Individual),
            _ => Err(ValidationError::new(
                "kind",
                "invalid_choice",
                "must be company or individual",
            )),
        }
    }
}

fn required_text(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    // Invisible characters (zero-width spaces and the like) are dropped: a name made of them
    // alone is empty, and one hidden inside a name cannot make it look new.
    let cleaned = crate::text::strip_invisible(raw);
    let s = cleaned.trim();
    if s.is_empty() {
        return Err(ValidationError::new(field, "required", "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(ValidationError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(ValidationError::new(
            field,
            "invalid_characters",
            "must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

/// Optional free text: blank becomes `None`; over-long is an error, never silently cut.
pub fn optional_text(
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > max => Err(ValidationError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        )),
        Some(s) => Ok(Some(s.to_string())),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName(String);

impl CustomerName {
    pub const MAX_CHARS: usize = 200;
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        required_text("name", raw, Self::MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        required_text("name", raw, 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as entered (kept for display) plus its digits-only normal form, used for
/// search and duplicate checks: `+86 138-0013-8000`, `0086 13800138000` and `13800138000` are
/// one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    display: String,
    normalized: String,
}

impl Phone {
    pub fn parse_field(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let display = raw.trim();
        let invalid = || {
            ValidationError::new(
                field,
                "invalid_phone",
                "must be a phone number: digits, optionally with +, spaces, dashes or parentheses",
            )
        };
        if display.is_empty() {
            return Err(ValidationError::new(field, "required", "must not be empty"));
        }
        if display.len() > 40 {
            return Err(invalid());
        }
        let mut digits = String::new();
        for (i, c) in display.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(invalid()),
            }
        }
        let normalized = normalize_phone_digits(&digits);
        if !(5..=15).contains(&normalized.len()) {
            return Err(invalid());
        }
        Ok(Self {
            display: display.to_string(),
            normalized,
        })
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::parse_field("phone", raw)
    }
    pub fn display(&self) -> &str {
        &self.display
    }
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// One normal form for every spelling of a mainland China number: the national form, as
/// dialled inside China. The country code (`+86`, `0086`, `86` before a full number) is
/// dropped, and a landline written internationally gets back its domestic trunk `0`, so
/// `+86 21 5888 1234`, `+86 (0)21 5888 1234` and `021-5888 1234` are one number, as are
/// `+86 138 0013 8000` and `13800138000`.
fn normalize_phone_digits(digits: &str) -> String {
    let national = match digits.strip_prefix("0086") {
        Some(rest) => Some(rest),
        // 86 + an 11-digit mobile number, or 86 + area code and landline (nine digits or
        // more); a shorter number that starts with 86 is a local one.
        None => digits.strip_prefix("86").filter(|rest| rest.len() >= 9),
    };
    match national {
        Some(n) if is_mobile(n) || n.starts_with('0') => n.to_string(),
        Some(n) => format!("0{n}"),
        None => digits.to_string(),
    }
}

/// Mainland mobile numbers: eleven digits starting with 1 (area codes never start with 1
/// except Beijing's 10, whose numbers are shorter).
fn is_mobile(national: &str) -> bool {
    national.len() == 11 && national.starts_with('1')
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse_field(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let s = raw.trim();
        let invalid = || {
            ValidationError::new(
                field,
                "invalid_email",
                "must be an e-mail address like name@example.com",
            )
        };
        if s.is_empty() {
            return Err(ValidationError::new(field, "required", "must not be empty"));
        }
        if s.len() > 254
            || s.chars()
                .any(|c| c.is_whitespace() || c.is_control() || crate::text::is_invisible(c))
        {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::parse_field("email", raw)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses an optional field with `parse`, treating blank as absent.
pub fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

/// Everything a customer record holds besides its owner and bookkeeping columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFields {
    pub kind: CustomerKind,
    pub name: CustomerName,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    pub profile: Profile,
    /// Admin-defined fields; parsed against the organization's definitions by the caller
    /// (`custom::parse_values`), since they are data, not code.
    pub custom: Vec<CustomValue>,
}

/// Raw input for a customer, from a form or JSON, before parsing.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct CustomerInput {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    /// The prospect card's descriptive fields; in a PATCH only the keys sent change.
    pub profile: Option<BTreeMap<String, serde_json::Value>>,
    /// Admin-defined fields by key; in a PATCH only the keys sent change.
    pub custom: Option<BTreeMap<String, serde_json::Value>>,
}

impl CustomerInput {
    /// Parses a full record; the first bad field is reported.
    pub fn parse(&self) -> Result<CustomerFields, ValidationError> {
        Ok(CustomerFields {
            kind: CustomerKind::parse(self.kind.as_deref().unwrap_or("company"))?,
            name: CustomerName::parse(self.name.as_deref().unwrap_or(""))?,
            phone: optional(self.phone.as_deref(), Phone::parse)?,
            email: optional(self.email.as_deref(), Email::parse)?,
            address: optional_text("address", self.address.as_deref(), 300)?,
            region: optional_text("region", self.region.as_deref(), 100)?,
            industry: optional_text("industry", self.industry.as_deref(), 100)?,
            source: optional_text("source", self.source.as_deref(), 100)?,
            notes: optional_text("notes", self.notes.as_deref(), 5000)?,
            profile: Profile::parse(self.profile.as_ref().unwrap_or(&BTreeMap::new()))?,
            custom: Vec::new(),
        })
    }

    /// Applies the fields present in `self` on top of `current` (a PATCH).
    pub fn merge_into(&self, current: &CustomerInput) -> CustomerInput {
        fn pick(new: &Option<String>, old: &Option<String>) -> Option<String> {
            new.clone().or_else(|| old.clone())
        }
        CustomerInput {
            kind: pick(&self.kind, &current.kind),
            name: pick(&self.name, &current.name),
            phone: pick(&self.phone, &current.phone),
            email: pick(&self.email, &current.email),
            address: pick(&self.address, &current.address),
            region: pick(&self.region, &current.region),
            industry: pick(&self.industry, &current.industry),
            source: pick(&self.source, &current.source),
            notes: pick(&self.notes, &current.notes),
            profile: merge_maps(&self.profile, &current.profile),
            custom: merge_maps(&self.custom, &current.custom),
        }
    }
}

fn merge_maps(
    new: &Option<BTreeMap<String, serde_json::Value>>,
    old: &Option<BTreeMap<String, serde_json::Value>>,
) -> Option<BTreeMap<String, serde_json::Value>> {
    match (new, old) {
        (Some(new), Some(old)) => {
            let mut merged = old.clone();
            merged.extend(new.clone());
            Some(merged)
        }
        (new, old) => new.clone().or_else(|| old.clone()),
    }
}

/// How a linked relative relates to an individual customer: a deal in a spouse's, parent's or
/// child's name counts as the same customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Parent,
    Child,
}

impl Relation {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "spouse" => Ok(Relation::Spouse),
            "parent" => Ok(Relation::Parent),
            "child" => Ok(Relation::Child),
            _ => Err(ValidationError::new(
                "relation",
                "invalid_choice",
                "must be spouse, parent or child",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Spouse => "spouse",
            Relation::Parent => "parent",
            Relation::Child => "child",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFields {
    pub name: PersonName,
    pub title: Option<String>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub is_decision_maker: bool,
    pub notes: Option<String>,
    pub relation: Option<Relation>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ContactInput {
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_decision_maker: Option<bool>,
    pub notes: Option<String>,
    /// Blank for an ordinary contact; spouse, parent or child for a linked relative.
    pub relation: Option<String>,
}

impl ContactInput {
    pub fn parse(&self) -> Result<ContactFields, ValidationError> {
        Ok(ContactFields {
            name: PersonName::parse(self.name.as_deref().unwrap_or(""))?,
            title: optional_text("title", self.title.as_deref(), 100)?,
            phone: optional(self.phone.as_deref(), Phone::parse)?,
            email: optional(self.email.as_deref(), Email::parse)?,
            is_decision_maker: self.is_decision_maker.unwrap_or(false),
            notes: optional_text("notes", self.notes.as_deref(), 2000)?,
            relation: optional(self.relation.as_deref(), Relation::parse)?,
        })
    }
    pub fn merge_into(&self, current: &ContactInput) -> ContactInput {
        ContactInput {
            name: self.name.clone().or_else(|| current.name.clone()),
            title: self.title.clone().or_else(|| current.title.clone()),
            phone: self.phone.clone().or_else(|| current.phone.clone()),
            email: self.email.clone().or_else(|| current.email.clone()),
            is_decision_maker: self.is_decision_maker.or(current.is_decision_maker),
            notes: self.notes.clone().or_else(|| current.notes.clone()),
            relation: self.relation.clone().or_else(|| current.relation.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_patch_keeps_what_it_does_not_name() {
        let map = |pairs: &[(&str, &str)]| {
            Some(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                    .collect::<BTreeMap<_, _>>(),
            )
        };
        let current = CustomerInput {
            name: Some("甲".into()),
            phone: Some("13800138000".into()),
            profile: map(&[("employees", "10"), ("annual_revenue", "100")]),
            custom: map(&[("intent", "空调")]),
            ..Default::default()
        };
        let patch = CustomerInput {
            name: Some("乙".into()),
            profile: map(&[("employees", "20")]),
            ..Default::default()
        };
        let merged = patch.merge_into(&current);
        assert_eq!(merged.name.as_deref(), Some("乙"));
        assert_eq!(merged.phone.as_deref(), Some("13800138000"));
        assert_eq!(
            merged.profile,
            map(&[("employees", "20"), ("annual_revenue", "100")])
        );
        assert_eq!(merged.custom, map(&[("intent", "空调")]));
        assert_eq!(
            CustomerInput::default()
                .merge_into(&CustomerInput::default())
                .profile,
            None
        );
    }

    #[test]
    fn relations_and_contact_patches() {
        for (r, text) in [
            (Relation::Spouse, "spouse"),
            (Relation::Parent, "parent"),
            (Relation::Child, "child"),
        ] {
            assert_eq!(r.as_str(), text);
            assert_eq!(Relation::parse(text), Ok(r));
        }
        assert_eq!(Relation::parse("cousin").unwrap_err().field, "relation");
        let current = ContactInput {
            name: Some("王经理".into()),
            phone: Some("13800138000".into()),
            is_decision_maker: Some(true),
            ..Default::default()
        };
        let patch = ContactInput {
            title: Some("总经理".into()),
            ..Default::default()
        };
        let merged = patch.merge_into(&current);
        assert_eq!(merged.name.as_deref(), Some("王经理"));
        assert_eq!(merged.title.as_deref(), Some("总经理"));
        assert_eq!(merged.phone.as_deref(), Some("13800138000"));
        assert_eq!(merged.is_decision_maker, Some(true));
    }

    #[test]
    fn emails_at_their_bounds() {
        let at = |local: usize| format!("{}@yingpan.cn", "a".repeat(local));
        assert_eq!(at(243).len(), 254);
        assert!(Email::parse(&at(243)).is_ok());
        assert_eq!(Email::parse(&at(244)).unwrap_err().code, "invalid_email");
        for bad in ["a@b@c.cn", "a@.cn", "a@cn.", "a@c..cn", "@c.cn", "a@cn"] {
            assert_eq!(
                Email::parse(bad).unwrap_err().code,
                "invalid_email",
                "{bad}"
            );
        }
    }

    #[test]
    fn kinds_and_optional_text() {
        for (k, text) in [
            (CustomerKind::Company, "company"),
            (CustomerKind::Individual, "individual"),
        ] {
            assert_eq!(k.as_str(), text);
            assert_eq!(CustomerKind::parse(text), Ok(k));
        }
        assert!(CustomerKind::parse("dealer").is_err());
        assert_eq!(optional_text("notes", None, 5).unwrap(), None);
        assert_eq!(optional_text("notes", Some("  "), 5).unwrap(), None);
        assert_eq!(
            optional_text("notes", Some(" 五个字正好 "), 5)
                .unwrap()
                .as_deref(),
            Some("五个字正好")
        );
        let e = optional_text("notes", Some("六个字超出了"), 5).unwrap_err();
        assert_eq!((e.field, e.code), ("notes", "too_long"));
        assert_eq!(PersonName::parse(" 王五 ").unwrap().as_str(), "王五");
        // Phone length: 40 characters as typed at most.
        let typed = |gap: usize| format!("138{}00138000", " ".repeat(gap));
        assert_eq!(typed(29).len(), 40);
        assert_eq!(
            Phone::parse(&typed(29)).unwrap().normalized(),
            "13800138000"
        );
        assert_eq!(Phone::parse(&typed(30)).unwrap_err().code, "invalid_phone");
        assert_eq!(
            Phone::parse(" +86 138-0013-8000 ").unwrap().display(),
            "+86 138-0013-8000"
        );
    }

    #[test]
    fn phone_spellings_normalise_to_one_number() {
        let a = Phone::parse("+86 138-0013-8000").unwrap();
        let b = Phone::parse("0086 13800138000").unwrap();
        let c = Phone::parse("13800138000").unwrap();
        assert_eq!(a.normalized(), "13800138000");
        assert_eq!(a.normalized(), b.normalized());
        assert_eq!(b.normalized(), c.normalized());
        assert_eq!(
            Phone::parse("(010) 6552-1234").unwrap().normalized(),
            "01065521234"
        );
    }

    #[test]
    fn landlines_meet_in_the_national_form() {
        for spelling in [
            "+86 21 5888 1234",
            "021-5888 1234",
            "+86 (0)21 5888 1234",
            "0086 21 58881234",
            "86 21 5888 1234",
            "(021) 58881234",
        ] {
            assert_eq!(
                Phone::parse(spelling).unwrap().normalized(),
                "02158881234",
                "{spelling}"
            );
        }
        for spelling in ["+86 10 6552 1234", "010-6552-1234", "0086 010 65521234"] {
            assert_eq!(
                Phone::parse(spelling).unwrap().normalized(),
                "01065521234",
                "{spelling}"
            );
        }
        // A local number without area code is left alone, and so are foreign numbers.
        assert_eq!(Phone::parse("8612 3456").unwrap().normalized(), "86123456");
        assert_eq!(
            Phone::parse("+1 415 555 0100").unwrap().normalized(),
            "14155550100"
        );
    }

    #[test]
    fn invisible_characters_make_no_name_and_no_email() {
        for raw in ["\u{200B}", " \u{200B}\u{FEFF} ", "\u{2060}"] {
            let e = CustomerName::parse(raw).unwrap_err();
            assert_eq!((e.field, e.code), ("name", "required"), "{raw:?}");
        }
        assert_eq!(
            CustomerName::parse("营\u{200B}盘").unwrap().as_str(),
            "营盘"
        );
        let e = Email::parse("info\u{200B}@yingpan.cn").unwrap_err();
        assert_eq!(e.code, "invalid_email");
    }

    #[test]
    fn malformed_phones_are_rejected_with_the_field() {
        for bad in [
            "abc",
            "12",
            "138x0013",
            "+",
            "1+38001380000",
            &"1".repeat(41),
        ] {
            let e = Phone::parse(bad).unwrap_err();
            assert_eq!((e.field, e.code), ("phone", "invalid_phone"), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Wang@Example.COM ").unwrap().as_str(),
            "Wang@example.com"
        );
        for bad in [
            "wang", "wang@", "@x.cn", "a@b", "a b@c.cn", "a@b..cn", "a@@b.cn",
        ] {
            assert_eq!(
                Email::parse(bad).unwrap_err().code,
                "invalid_email",
                "{bad}"
            );
        }
    }

    #[test]
    fn customer_name_limits() {
        assert_eq!(CustomerName::parse("   ").unwrap_err().code, "required");
        assert_eq!(
            CustomerName::parse(&"营".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert!(CustomerName::parse(&"营".repeat(200)).is_ok());
    }

    #[test]
    fn patch_keeps_absent_fields() {
        let current = CustomerInput {
            name: Some("北京营盘科技有限公司".into()),
            phone: Some("13800138000".into()),
            ..Default::default()
        };
        let patch = CustomerInput {
            phone: Some("13900139000".into()),
            ..Default::default()
        };
        let merged = patch.merge_into(&current).parse().unwrap();
        assert_eq!(merged.name.as_str(), "北京营盘科技有限公司");
        assert_eq!(merged.phone.unwrap().normalized(), "13900139000");
    }

    proptest! {
        #[test]
        fn every_spelling_of_a_landline_meets(area in "(10|2[0-9]|[3-9][0-9]{2})", local in "[2-8][0-9]{6,7}") {
            let domestic = Phone::parse(&format!("0{area}-{local}")).unwrap();
            for intl in [format!("+86 {area} {local}"), format!("0086{area}{local}"), format!("+86 (0){area} {local}")] {
                let p = Phone::parse(&intl).unwrap();
                prop_assert_eq!(p.normalized(), domestic.normalized(), "{}", intl);
            }
        }

        #[test]
        fn separators_never_change_a_phone(digits in "1[3-9][0-9]{9}", sep in "[ -]{0,2}") {
            let spaced: String = digits.chars().enumerate().flat_map(|(i, c)| {
                let mut s = String::new();
                if i == 3 || i == 7 { s.push_str(&sep); }
                s.push(c);
                s.chars().collect::<Vec<_>>()
            }).collect();
            let plain = Phone::parse(&digits).unwrap();
            let fancy = Phone::parse(&format!("+86 {spaced}")).unwrap();
            prop_assert_eq!(plain.normalized(), fancy.normalized());
        }

        #[test]
        fn valid_names_round_trip(name in "[\\p{Han}a-zA-Z0-9]{1,200}") {
            let parsed = CustomerName::parse(&name).unwrap();
            prop_assert_eq!(parsed.as_str(), name.as_str());
        }
    }
}
