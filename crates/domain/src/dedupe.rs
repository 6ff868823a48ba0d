//! Duplicate check (客户查重): the normal forms under which two registrations are the same
//! customer.

/// Legal-form suffixes that do not tell two companies apart, longest first. Short Latin forms
/// such as "co" or "inc" are left out: they end too many real names (Costco, Zinc).
const SUFFIXES: &[&str] = &[
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
    "集团股份公司",
    "有限公司",
    "股份公司",
    "集团公司",
    "分公司",
    "总公司",
    "集团",
    "公司",
    "corporation",
    "colimited",
    "limited",
    "coltd",
    "company",
    "ltd",
];

/// The company name a duplicate check compares: compatibility forms, width, case and Latin
/// lookalikes unified (`text::comparison_key`), no spaces, punctuation or invisible
/// characters, legal-form suffixes removed (`北京 营盘科技（有限公司）` = `北京营盘科技有限公司`
/// = `北京营盘科技`). A name that is nothing but a suffix keeps its letters.
pub fn normalize_company_name(name: &str) -> String {
    let mut s: String = crate::text::comparison_key(name)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    loop {
        let before = s.len();
        for suffix in SUFFIXES {
            if s.len() > suffix.len() && s.ends_with(suffix) {
                s.truncate(s.len() - suffix.len());
                break;
            }
        }
        if s.len() == before {
            return s;
        }
    }
}

/// The e-mail key: compatibility forms unified and lower case (invisible characters never get
/// this far: `Email` refuses them).
pub fn normalize_email(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    email.trim().nfkc().flat_map(char::to_lowercase).collect()
}

/// Which rule found the duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateRule {
    Name,
    Phone,
    Email,
    /// The phone of a linked relative (spouse, parent, child).
    Relative,
}

/// What the person registering may do about a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateStanding {
    /// Someone else owns it: registration is refused.
    OwnedByOther,
    /// Nobody owns it: offer to claim it from the pool.
    InPool,
    /// The registrant already owns it: open it.
    Own,
}

pub fn standing(owner: Option<i64>, registrant: i64) -> DuplicateStanding {
    match owner {
        None => DuplicateStanding::InPool,
        Some(o) if o == registrant => DuplicateStanding::Own,
        Some(_) => DuplicateStanding::OwnedByOther,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn company_names_ignore_width_spacing_punctuation_and_legal_form() {
        let base = normalize_company_name("北京营盘科技有限公司");
        assert_eq!(base, "北京营盘科技");
        for same in [
            "北京营盘科技",
            " 北京 营盘 科技 有限公司 ",
            "北京营盘科技股份有限公司",
            "北京营盘科技（有限公司）",
            "北京营盘科技有限责任公司",
            "北京营盘科技集团有限公司",
        ] {
            assert_eq!(normalize_company_name(same), base, "{same}");
        }
        assert_eq!(
            normalize_company_name("ＡＢＣ Trading Co., Ltd."),
            "abctrading"
        );
        assert_eq!(
            normalize_company_name("abc trading company limited"),
            "abctrading"
        );
        assert_ne!(
            normalize_company_name("北京营盘科技"),
            normalize_company_name("上海营盘科技")
        );
        assert_eq!(normalize_company_name("公司"), "公司");
    }

    #[test]
    fn forged_names_and_emails_meet_the_original() {
        let key = normalize_company_name("北京营盘科技");
        for forged in [
            "\u{F963}京营盘科技有限公司",
            "北京营\u{200B}盘科技",
            "北京营盘科技（有限公司）",
        ] {
            assert_eq!(normalize_company_name(forged), key, "{forged}");
        }
        assert_eq!(
            normalize_company_name("Аcme Trading Co., Ltd."),
            normalize_company_name("ACME trading")
        );
        assert_eq!(normalize_company_name("𝐀cme"), "acme");
        assert_eq!(normalize_email("ＩＮＦＯ@Yingpan.cn"), "info@yingpan.cn");
    }

    #[test]
    fn standing_of_a_duplicate() {
        assert_eq!(standing(None, 1), DuplicateStanding::InPool);
        assert_eq!(standing(Some(1), 1), DuplicateStanding::Own);
        assert_eq!(standing(Some(2), 1), DuplicateStanding::OwnedByOther);
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(name in "[\\p{Han}a-zA-Z0-9 （）().,，]{0,40}") {
            let once = normalize_company_name(&name);
            prop_assert_eq!(normalize_company_name(&once), once.clone());
        }

        #[test]
        fn legal_forms_never_matter(core in "[\u{4e00}-\u{9fa5}]{2,10}", suffix in prop::sample::select(vec!["有限公司", "股份有限公司", " Co., Ltd.", "集团", ""])) {
            prop_assert_eq!(normalize_company_name(&format!("{core}{suffix}")), normalize_company_name(&core));
        }
    }
}
