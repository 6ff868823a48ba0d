//! Message catalogs for zh-CN (default) and en, in `i18n/*.toml`.

use std::collections::HashMap;
use std::sync::LazyLock;
pub use yingpan_domain::person::Locale;

fn load(src: &str) -> HashMap<String, String> {
    let table: toml::Table = src.parse().expect("message catalog is valid TOML");
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            other => panic!("catalog entry {key} must be text, found {other:?}"),
        }
    }
}

static ZH_CN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/zh-CN.toml")));
static EN: LazyLock<HashMap<String, String>> =
    LazyLock::new(|| load(include_str!("../i18n/en.toml")));

/// Both catalogs, for tests and tooling.
pub struct Catalogs;

impl Catalogs {
    pub fn keys(locale: Locale) -> Vec<&'static str> {
        let map: &'static HashMap<String, String> = catalog(locale);
        map.keys().map(String::as_str).collect()
    }
}

fn catalog(locale: Locale) -> &'static HashMap<String, String> {
    match locale {
        Locale::ZhCn => &ZH_CN,
        Locale::En => &EN,
    }
}

/// The text for `key`; a missing key shows itself, so gaps are visible rather than blank.
pub fn t(locale: Locale, key: &str) -> &str {
    let map: &'static HashMap<String, String> = catalog(locale);
    let fallback: &'static HashMap<String, String> = &ZH_CN;
    map.get(key)
        .or_else(|| fallback.get(key))
        .map(String::as_str)
        .unwrap_or(key)
}

/// Handed to every template as `tr`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub locale: Locale,
    pub tz: chrono_tz::Tz,
}

impl Tr {
    /// Times are shown in the person's zone; China Standard Time when none is set.
    pub fn new(locale: Locale, time_zone: &str) -> Self {
        Self {
            locale,
            tz: time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
        }
    }
    /// A stored UTC instant in the reader's zone, to the minute.
    pub fn time(&self, stored: &str) -> String {
        match chrono::DateTime::parse_from_rfc3339(stored) {
            Ok(t) => t
                .with_timezone(&self.tz)
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            Err(_) => stored.to_string(),
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        t(self.locale, key)
    }
    /// The text for `prefix.value`, e.g. `tp("role", Role::Sales)`.
    pub fn tp(&self, prefix: &str, value: impl std::fmt::Display) -> String {
        let key = format!("{prefix}.{value}");
        t(self.locale, &key).to_string()
    }
    /// The text for `prefix.value` with `{n}` replaced by `n`, grouped.
    pub fn tn(&self, key: &str, n: impl std::borrow::Borrow<usize>) -> String {
        t(self.locale, key).replace("{n}", &self.int(*n.borrow() as i64))
    }
    pub fn lang(&self) -> &'static str {
        self.locale.as_str()
    }
}

/// The locale for a visitor who is not logged in: `?lang=`, then Accept-Language.
pub fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>) -> Locale {
    if let Some(l) = query_lang.and_then(|l| Locale::parse(l).ok()) {
        return l;
    }
    match accept_language {
        Some(a) if a.trim_start().to_ascii_lowercase().starts_with("en") => Locale::En,
        _ => Locale::ZhCn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_the_same_keys() {
        let mut zh = Catalogs::keys(Locale::ZhCn);
        let mut en = Catalogs::keys(Locale::En);
        zh.sort();
        en.sort();
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}, en only: {only_en:?}"
        );
        assert!(zh.len() > 50);
    }

    #[test]
    fn lookup_and_negotiation() {
        assert_eq!(t(Locale::ZhCn, "nav.customers"), "客户");
        assert_eq!(t(Locale::En, "nav.customers"), "Customers");
        assert_eq!(t(Locale::En, "no.such.key"), "no.such.key");
        assert_eq!(negotiate(None, Some("en-US,en;q=0.9")), Locale::En);
        assert_eq!(negotiate(Some("zh-CN"), Some("en")), Locale::ZhCn);
        assert_eq!(negotiate(None, None), Locale::ZhCn);
    }
}

/// Figures as people read them: thousands grouped, money with two decimals and its currency
/// sign (zh: ¥1,234,567.00; en: CNY 1,234,567.00), counts whole, percentages with one decimal.
impl Tr {
    pub fn money(&self, d: impl std::borrow::Borrow<rust_decimal::Decimal>) -> String {
        let body = group(*d.borrow(), 2);
        match self.locale {
            Locale::ZhCn => format!("¥{body}"),
            Locale::En => format!("CNY {body}"),
        }
    }

    pub fn count(&self, d: impl std::borrow::Borrow<rust_decimal::Decimal>) -> String {
        group(*d.borrow(), 0)
    }

    /// A number with `decimals` places, grouped, without a currency (a foreign amount).
    pub fn count_dp(&self, d: rust_decimal::Decimal, decimals: u32) -> String {
        group(d, decimals)
    }

    /// An amount in its currency: the reporting currency as money (¥1,234.00), any other with
    /// its code (USD 1,234.00).
    pub fn amount(
        &self,
        currency: &str,
        d: impl std::borrow::Borrow<rust_decimal::Decimal>,
    ) -> String {
        if currency == yingpan_domain::weekly_report::REPORTING_CURRENCY {
            self.money(d)
        } else {
            format!("{currency} {}", group(*d.borrow(), 2))
        }
    }

    /// An amount kept as text (an API figure) as money; text that is not a number as it is.
    pub fn money_text(&self, raw: &str) -> String {
        raw.trim()
            .parse::<rust_decimal::Decimal>()
            .map(|d| self.money(d))
            .unwrap_or_else(|_| raw.to_string())
    }

    /// A whole number, grouped.
    pub fn int(&self, n: impl std::borrow::Borrow<i64>) -> String {
        group(rust_decimal::Decimal::from(*n.borrow()), 0)
    }

    /// A money figure or a count, as the measure is.
    pub fn figure(&self, d: rust_decimal::Decimal, money: bool) -> String {
        if money {
            self.money(d)
        } else {
            self.count(d)
        }
    }

    pub fn percent(&self, d: impl std::borrow::Borrow<Option<rust_decimal::Decimal>>) -> String {
        match *d.borrow() {
            Some(p) => format!("{}%", group(p, 1)),
            None => "—".into(),
        }
    }
}

/// `d` with `decimals` places and its integer part grouped by thousands.
fn group(d: rust_decimal::Decimal, decimals: u32) -> String {
    // Half away from zero, as people round money by hand (not banker's rounding).
    let mut d = d.round_dp_with_strategy(
        decimals,
        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
    );
    d.rescale(decimals);
    let s = d.abs().to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if d.is_sign_negative() && !d.is_zero() {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod figure_tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn figures_read_as_people_write_them() {
        let d = |s: &str| rust_decimal::Decimal::from_str(s).unwrap();
        let zh = Tr::new(Locale::ZhCn, "Asia/Shanghai");
        let en = Tr::new(Locale::En, "Asia/Shanghai");
        assert_eq!(zh.money(d("149972000")), "¥149,972,000.00");
        assert_eq!(en.money(d("562543.335")), "CNY 562,543.34");
        assert_eq!(zh.money(d("-1280.5")), "¥-1,280.50");
        assert_eq!(zh.money(d("0")), "¥0.00");
        assert_eq!(zh.count(d("6750520")), "6,750,520");
        assert_eq!(zh.count(d("999")), "999");
        assert_eq!(zh.percent(Some(d("83.34"))), "83.3%");
        assert_eq!(zh.percent(Some(d("1234.56"))), "1,234.6%");
        assert_eq!(zh.percent(None), "—");
        assert_eq!(zh.amount("CNY", d("68000")), "¥68,000.00");
        assert_eq!(en.amount("CNY", d("217600")), "CNY 217,600.00");
        assert_eq!(zh.amount("USD", d("1234.5")), "USD 1,234.50");
        assert_eq!(en.money_text("68000"), "CNY 68,000.00");
        assert_eq!(en.money_text("n/a"), "n/a");
        assert_eq!(zh.tn("protection.days", 1234usize), "1,234 天");
        // Times are stored in UTC and shown in the reader's zone, to the minute.
        assert_eq!(zh.time("2026-11-02T01:30:00Z"), "2026-11-02 09:30");
        let berlin = Tr::new(Locale::En, "Europe/Berlin");
        assert_eq!(berlin.time("2026-11-02T01:30:00Z"), "2026-11-02 02:30");
        assert_eq!(
            Tr::new(Locale::En, "no/such_zone").time("2026-11-02T16:30:00Z"),
            "2026-11-03 00:30"
        );
    }
}
