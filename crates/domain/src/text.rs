//! Text as people type it and as lookalikes forge it: the invisible characters and the
//! compatibility and confusable forms that must not tell two customers apart.

use unicode_normalization::UnicodeNormalization;

/// Characters that render as nothing (zero-width spaces and joiners, direction marks, soft
/// hyphens, variation selectors, tags): Unicode's default-ignorable code points.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Lower-case Cyrillic and Greek letters drawn like Latin ones, folded to the Latin letter
/// (`Аcme` with a Cyrillic А is `acme`). Only for comparison keys, never for display.
fn latin_lookalike(c: char) -> char {
    match c {
        'а' | 'α' => 'a',
        'в' | 'β' => 'b',
        // NFKC turns the lunate sigma ϲ into ς.
        'с' | 'ϲ' | 'ς' => 'c',
        'ԁ' => 'd',
        'е' | 'ё' | 'ε' => 'e',
        'һ' | 'н' => 'h',
        'і' | 'ї' | 'ι' | 'ӏ' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'п' | 'η' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'υ' | 'μ' => 'u',
        'ν' => 'v',
        'ԝ' | 'ω' => 'w',
        'х' | 'χ' => 'x',
        'у' | 'γ' => 'y',
        _ => c,
    }
}

/// The form under which two spellings of one name compare equal: compatibility forms
/// unified (NFKC: `\u{F963}京` is `北京`, `𝐀` is `A`, full-width is half-width), invisible
/// characters removed, lower case, Latin lookalikes folded.
pub fn comparison_key(s: &str) -> String {
    s.nfkc()
        .filter(|c| !is_invisible(*c))
        .flat_map(char::to_lowercase)
        .map(latin_lookalike)
        .collect()
}

/// Removes invisible characters from text that is stored and shown (names).
pub fn strip_invisible(s: &str) -> String {
    s.chars().filter(|c| !is_invisible(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forged_spellings_share_a_key() {
        assert_eq!(
            comparison_key("\u{F963}京营盘科技"),
            comparison_key("北京营盘科技")
        );
        assert_eq!(comparison_key("Аcme"), comparison_key("Acme"), "Cyrillic А");
        assert_eq!(comparison_key("𝐀cme"), "acme", "mathematical bold A");
        assert_eq!(comparison_key("Ac\u{200B}me"), "acme", "zero-width space");
        assert_eq!(comparison_key("ＡＣＭＥ　"), "acme ", "full width");
        assert_ne!(comparison_key("北京"), comparison_key("南京"));
    }

    #[test]
    fn every_lookalike_folds_to_its_latin_letter() {
        for (forged, latin) in [
            ("аα", "aa"),
            ("вβ", "bb"),
            ("сϲ", "cc"),
            ("ԁ", "d"),
            ("еёε", "eee"),
            ("һн", "hh"),
            ("іїιӏ", "iiii"),
            ("ј", "j"),
            ("кκ", "kk"),
            ("м", "m"),
            ("пη", "nn"),
            ("оοσ", "ooo"),
            ("рρ", "pp"),
            ("ԛ", "q"),
            ("ѕ", "s"),
            ("тτ", "tt"),
            ("υμ", "uu"),
            ("ν", "v"),
            ("ԝω", "ww"),
            ("хχ", "xx"),
            ("уγ", "yy"),
        ] {
            assert_eq!(comparison_key(forged), latin, "{forged}");
        }
    }

    #[test]
    fn invisible_characters_are_found() {
        for c in [
            '\u{200B}',
            '\u{200D}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2060}',
            '\u{E0041}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', '北', ' ', '\n', '·'] {
            assert!(!is_invisible(c), "{c:?}");
        }
        assert_eq!(strip_invisible("营\u{200B}盘"), "营盘");
    }

    proptest! {
        #[test]
        fn keys_are_stable(s in "\\PC{0,30}") {
            let k = comparison_key(&s);
            prop_assert_eq!(comparison_key(&k), k.clone());
            prop_assert!(!k.chars().any(is_invisible));
        }
    }
}
