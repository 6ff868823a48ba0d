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

/// Every syllable the pinyin table gives a character (without tones): the units a pinyin query
/// is typed in.
fn syllables() -> &'static std::collections::HashSet<&'static str> {
    static SYLLABLES: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SYLLABLES.get_or_init(|| {
        ('\u{4e00}'..='\u{9fff}')
            .filter_map(|c| c.to_pinyin().map(|p| p.plain()))
            .collect()
    })
}

/// Where the syllables of a pinyin query begin (byte offsets, the first at 0), the last one
/// allowed to be typed in part; `None` when the query is not pinyin. Of several readings
/// ("xian", "xi an") one is chosen: the offsets only guide which trigrams to look up.
fn syllable_starts(q: &str) -> Option<Vec<usize>> {
    const LONGEST: usize = 6; // "zhuang"
    if q.is_empty() || !q.bytes().all(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let table = syllables();
    let n = q.len();
    // prev[i]: where the syllable ending at i began, for a reading of q[..i] as whole syllables.
    let mut prev: Vec<Option<usize>> = vec![None; n + 1];
    let mut reached = vec![false; n + 1];
    reached[0] = true;
    for start in 0..n {
        if !reached[start] {
            continue;
        }
        for end in start + 1..=(start + LONGEST).min(n) {
            if !reached[end] && table.contains(&q[start..end]) {
                reached[end] = true;
                prev[end] = Some(start);
            }
        }
    }
    // The whole query, or whole syllables then the beginning of one.
    let last = (0..=n)
        .rev()
        .find(|&i| reached[i] && (i == n || table.iter().any(|s| s.starts_with(&q[i..]))))?;
    let mut starts = if last < n { vec![last] } else { Vec::new() };
    let mut i = last;
    while let Some(p) = prev[i] {
        starts.push(p);
        i = p;
    }
    starts.reverse();
    Some(starts)
}

/// A few trigrams of a pinyin query that every document containing it contains, chosen to be
/// rare: the ones across a syllable boundary ("hengdajixie": "gda", "aji", "ixi"), where a
/// trigram inside a syllable ("eng") occurs in a third of all names. A search asks the index
/// for documents with all of them, then tests each for the whole query — an exact answer from
/// short position lists. `None` (search by the whole phrase) unless the query has at least two
/// such boundaries.
pub fn selective_trigrams(normalized: &str) -> Option<Vec<&str>> {
    let starts = syllable_starts(normalized)?;
    let mut picked: Vec<&str> = Vec::new();
    for &b in starts.iter().skip(1) {
        if let Some(t) = normalized.get(b - 1..b + 2) {
            if !picked.contains(&t) {
                picked.push(t);
            }
        }
    }
    (picked.len() >= 2).then_some(picked)
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
    fn pinyin_queries_are_looked_up_by_the_trigrams_across_their_syllables() {
        assert_eq!(
            selective_trigrams("hengdajixie").unwrap(),
            ["gda", "aji", "ixi"]
        );
        // The last syllable typed in part.
        assert_eq!(selective_trigrams("zhangweimaoy").unwrap(), ["gwe", "ima"]);
        // Too short, not pinyin, or not letters: the whole phrase.
        for q in [
            "hengda",
            "hdjx",
            "恒达机械",
            "13800138000",
            "zw@x.cn",
            "qqqqqq",
            "",
        ] {
            assert_eq!(selective_trigrams(q), None, "{q}");
        }
    }

    proptest::proptest! {
        /// Whatever the reading, a document containing the query contains every trigram chosen.
        #[test]
        fn chosen_trigrams_are_in_every_match(q in "[a-z]{0,24}") {
            if let Some(picked) = selective_trigrams(&q) {
                proptest::prop_assert!(picked.len() >= 2);
                for t in picked {
                    proptest::prop_assert_eq!(t.len(), 3);
                    proptest::prop_assert!(q.contains(t));
                }
            }
        }

        /// Names typed as their full pinyin are always read as syllables.
        #[test]
        fn full_pinyin_of_names_is_read(name in "[\\u{4e00}-\\u{9fa5}]{3,8}") {
            let (full, _) = pinyin_keys(&name);
            let ascii = full.bytes().all(|b| b.is_ascii_lowercase());
            if ascii && !full.is_empty() {
                proptest::prop_assert!(syllable_starts(&full).is_some(), "{}", full);
            }
        }
    }

    #[test]
    fn wildcards_are_literal() {
        assert_eq!(like_pattern("a%b_"), "%a\\%b\\_%");
    }
}
