//! Search keys for Chinese names: the name itself, its pinyin and its pinyin initials, so that
//! 张伟, "zhangwei" and "zw" all find the same customer.

use pinyin::ToPinyin;

/// Full pinyin without tones or spaces, and the initials; other characters pass through
/// lower-cased.
pub fn pinyin_keys(text: &str) -> (String, String) {
    let mut full = String::new();
    let mut initials = String::new();
    for (c, p) in text.chars().zip(text.to_pinyin()) {
        match p {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if c.is_alphanumeric() => {
                for l in c.to_lowercase() {
                    full.push(l);
                    initials.push(l);
                }
            }
            None => {}
        }
    }
    (full, initials)
}

/// The text a customer is found by: name, pinyin, initials, phone digits and e-mail, lower-cased
/// and separated by a character no query contains.
pub fn search_document(name: &str, phone_digits: Option<&str>, email: Option<&str>) -> String {
    let (full, initials) = pinyin_keys(name);
    let mut doc = format!("{}|{}|{}", name.to_lowercase(), full, initials);
    if let Some(p) = phone_digits {
        doc.push('|');
        doc.push_str(p);
    }
    if let Some(e) = email {
        doc.push('|');
        doc.push_str(&e.to_lowercase());
    }
    doc
}

/// Normalises what a person typed into the search box. Spaces are dropped (pinyin is stored
/// without them) and a phone-looking query is reduced to its digits.
pub fn normalize_query(q: &str) -> Option<String> {
    let q = q.trim().to_lowercase();
    if q.is_empty() {
        return None;
    }
    let looks_like_phone = q.chars().any(|c| c.is_ascii_digit())
        && q.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c));
    let cleaned: String = if looks_like_phone {
        q.chars().filter(char::is_ascii_digit).collect()
    } else {
        q.chars()
            .filter(|c| !c.is_whitespace() && *c != '|')
            .collect()
    };
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Escapes LIKE wildcards so a query matches literally (`ESCAPE '\'`).
pub fn like_pattern(normalized: &str) -> String {
    let mut p = String::with_capacity(normalized.len() + 2);
    p.push('%');
    for c in normalized.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_are_found_by_pinyin_and_initials() {
        let doc = search_document("张伟贸易", Some("13800138000"), Some("ZW@x.cn"));
        for q in [
            "张伟",
            "zhangwei",
            "zwmy",
            "weimao",
            "13800138000",
            "zw@x.cn",
        ] {
            let n = normalize_query(q).unwrap();
            assert!(doc.contains(&n), "{q} not in {doc}");
        }
        assert!(!doc.contains(&normalize_query("lisi").unwrap()));
    }

    #[test]
    fn phone_queries_ignore_separators() {
        assert_eq!(normalize_query("138-0013 8000").unwrap(), "13800138000");
        assert_eq!(normalize_query("   "), None);
        assert_eq!(normalize_query("Zhang Wei").unwrap(), "zhangwei");
    }

    #[test]
    fn latin_letters_and_digits_are_kept_and_punctuation_dropped_in_keys() {
        let (full, initials) = pinyin_keys("A1营盘-CRM");
        assert_eq!(full, "a1yingpancrm");
        assert_eq!(initials, "a1ypcrm");
        // Digits alone with letters are not a phone: "3M中国" searches as text.
        assert_eq!(normalize_query("3M 中国").unwrap(), "3m中国");
        assert_eq!(normalize_query("(0571) 8888").unwrap(), "05718888");
    }

    #[test]
    fn wildcards_are_literal() {
        assert_eq!(like_pattern("a%b_"), "%a\\%b\\_%");
    }
}
