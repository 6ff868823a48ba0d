//! Qualifying prospects: MAN analysis (潜在客户分析), the key-account screening matrix, and tiers
//! with their call and visit cadence.

use crate::error::ValidationError;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Money (purchasing power), Authority (decision power), Need. Upper case = has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Man {
    pub money: bool,
    pub authority: bool,
    pub need: bool,
}

/// What to do next with a prospect of a MAN class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ManAction {
    /// MAN: the ideal target — pursue now.
    PursueNow,
    /// mAN: no purchasing power — check business status and credit, consider financing.
    CheckCreditOrFinancing,
    /// MaN: no decision power — find the person with authority.
    FindDecisionMaker,
    /// MAn: no need yet — contact, sell with skill, nurture long-term.
    NurtureNeed,
    /// Two of three missing — observe and cultivate.
    ObserveAndCultivate,
    /// man: not a customer — stop contact.
    StopContact,
}

impl Man {
    /// A class as written, e.g. `MAn`: a capital letter for each quality the prospect has.
    pub fn parse_class(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let letters: Vec<char> = raw.trim().chars().collect();
        match letters.as_slice() {
            [a, b, c]
                if a.eq_ignore_ascii_case(&'m')
                    && b.eq_ignore_ascii_case(&'a')
                    && c.eq_ignore_ascii_case(&'n') =>
            {
                Ok(Man {
                    money: a.is_ascii_uppercase(),
                    authority: b.is_ascii_uppercase(),
                    need: c.is_ascii_uppercase(),
                })
            }
            _ => Err(ValidationError::new(
                field,
                "invalid_choice",
                "a MAN class such as MAN, MAn or man",
            )),
        }
    }

    /// The class as the seed writes it, e.g. `MAn`.
    pub fn class(&self) -> String {
        let letter = |has: bool, c: char| if has { c } else { c.to_ascii_lowercase() };
        [
            letter(self.money, 'M'),
            letter(self.authority, 'A'),
            letter(self.need, 'N'),
        ]
        .iter()
        .collect()
    }

    pub fn action(&self) -> ManAction {
        match (self.money, self.authority, self.need) {
            (true, true, true) => ManAction::PursueNow,
            (false, true, true) => ManAction::CheckCreditOrFinancing,
            (true, false, true) => ManAction::FindDecisionMaker,
            (true, true, false) => ManAction::NurtureNeed,
            (false, false, false) => ManAction::StopContact,
            _ => ManAction::ObserveAndCultivate,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    High,
    Low,
}

impl Level {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "high" => Ok(Level::High),
            "low" => Ok(Level::Low),
            _ => Err(ValidationError::new(
                field,
                "invalid_choice",
                "must be high or low",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Low => "low",
        }
    }
}

/// The screening matrix for key accounts (001): customer attractiveness × our ability to win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyAccountClass {
    /// 核心顾客: attractive and winnable — invest most.
    Core,
    /// 核心潜在顾客: attractive, but our position is weak — build the ability to win.
    CorePotential,
    /// 兼顾顾客: winnable but less attractive — serve efficiently.
    Secondary,
    /// 一般顾客: neither — standard treatment.
    General,
}

impl KeyAccountClass {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == raw.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    field,
                    "invalid_choice",
                    "must be core, core_potential, secondary or general",
                )
            })
    }

    pub const ALL: [KeyAccountClass; 4] = [
        KeyAccountClass::Core,
        KeyAccountClass::CorePotential,
        KeyAccountClass::Secondary,
        KeyAccountClass::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAccountClass::Core => "core",
            KeyAccountClass::CorePotential => "core_potential",
            KeyAccountClass::Secondary => "secondary",
            KeyAccountClass::General => "general",
        }
    }

    /// The matrix cell of the class: (attractiveness, ability to win).
    pub fn levels(self) -> (Level, Level) {
        match self {
            KeyAccountClass::Core => (Level::High, Level::High),
            KeyAccountClass::CorePotential => (Level::High, Level::Low),
            KeyAccountClass::Secondary => (Level::Low, Level::High),
            KeyAccountClass::General => (Level::Low, Level::Low),
        }
    }
}

pub fn key_account_class(attractiveness: Level, ability_to_win: Level) -> KeyAccountClass {
    match (attractiveness, ability_to_win) {
        (Level::High, Level::High) => KeyAccountClass::Core,
        (Level::High, Level::Low) => KeyAccountClass::CorePotential,
        (Level::Low, Level::High) => KeyAccountClass::Secondary,
        (Level::Low, Level::Low) => KeyAccountClass::General,
    }
}

/// Customer tiers (004) and how often each is called and visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Priority,
    General,
    Last,
}

impl Tier {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.trim() {
            "priority" => Ok(Tier::Priority),
            "general" => Ok(Tier::General),
            "last" => Ok(Tier::Last),
            _ => Err(ValidationError::new(
                "tier",
                "invalid_choice",
                "must be priority, general or last",
            )),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Priority => "priority",
            Tier::General => "general",
            Tier::Last => "last",
        }
    }
    /// The seed's example cadence: priority — call monthly, visit quarterly; general — call
    /// quarterly, visit half-yearly; last — call half-yearly, visit yearly.
    pub fn cadence(self) -> Cadence {
        let (call, visit) = match self {
            Tier::Priority => (30, 90),
            Tier::General => (90, 182),
            Tier::Last => (182, 365),
        };
        Cadence {
            call_every: Duration::days(call),
            visit_every: Duration::days(visit),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    pub call_every: Duration,
    pub visit_every: Duration,
}

/// When the next call and visit are due: one cadence after the last one, or after `since`
/// (registration, or when the tier was set) if there was none.
pub fn next_due(
    tier: Tier,
    since: DateTime<Utc>,
    last_call: Option<DateTime<Utc>>,
    last_visit: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let c = tier.cadence();
    (
        last_call.unwrap_or(since) + c.call_every,
        last_visit.unwrap_or(since) + c.visit_every,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_tiers_round_trip_as_stored() {
        for (l, text) in [(Level::High, "high"), (Level::Low, "low")] {
            assert_eq!(l.as_str(), text);
            assert_eq!(Level::parse("attractiveness", text), Ok(l));
        }
        assert_eq!(
            Level::parse("attractiveness", "medium").unwrap_err().field,
            "attractiveness"
        );
        for (t, text) in [
            (Tier::Priority, "priority"),
            (Tier::General, "general"),
            (Tier::Last, "last"),
        ] {
            assert_eq!(t.as_str(), text);
            assert_eq!(Tier::parse(text), Ok(t));
        }
        assert!(Tier::parse("vip").is_err());
    }
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn man_classes_and_actions() {
        let m = |money, authority, need| Man {
            money,
            authority,
            need,
        };
        assert_eq!(
            (m(true, true, true).class(), m(true, true, true).action()),
            ("MAN".into(), ManAction::PursueNow)
        );
        assert_eq!(m(true, true, false).class(), "MAn");
        assert_eq!(
            m(false, true, true).action(),
            ManAction::CheckCreditOrFinancing
        );
        assert_eq!(m(true, false, true).action(), ManAction::FindDecisionMaker);
        assert_eq!(m(true, true, false).action(), ManAction::NurtureNeed);
        assert_eq!(
            m(false, false, true).action(),
            ManAction::ObserveAndCultivate
        );
        assert_eq!(m(false, false, false).class(), "man");
        assert_eq!(m(false, false, false).action(), ManAction::StopContact);
    }

    #[test]
    fn screening_matrix() {
        assert_eq!(
            key_account_class(Level::High, Level::High),
            KeyAccountClass::Core
        );
        assert_eq!(
            key_account_class(Level::High, Level::Low),
            KeyAccountClass::CorePotential
        );
        assert_eq!(
            key_account_class(Level::Low, Level::High),
            KeyAccountClass::Secondary
        );
        assert_eq!(
            key_account_class(Level::Low, Level::Low),
            KeyAccountClass::General
        );
    }

    #[test]
    fn cadence_from_the_seed() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let (call, visit) = next_due(Tier::Priority, t0, None, None);
        assert_eq!((call - t0).num_days(), 30);
        assert_eq!((visit - t0).num_days(), 90);
        let (call, _) = next_due(Tier::Last, t0, Some(t0 + Duration::days(10)), None);
        assert_eq!((call - t0).num_days(), 192);
    }

    proptest! {
        /// Every class has exactly one action, and the action depends only on which letters
        /// are missing.
        #[test]
        fn class_letters_match_the_flags(money: bool, authority: bool, need: bool) {
            let m = Man { money, authority, need };
            let class = m.class();
            prop_assert_eq!(class.chars().filter(|c| c.is_uppercase()).count(), [money, authority, need].iter().filter(|b| **b).count());
            let missing = 3 - [money, authority, need].iter().filter(|b| **b).count();
            let action = m.action();
            prop_assert_eq!(missing == 0, action == ManAction::PursueNow);
            prop_assert_eq!(missing == 3, action == ManAction::StopContact);
            prop_assert_eq!(missing == 2, action == ManAction::ObserveAndCultivate);
        }

        /// Higher tiers are never contacted less often, and the next due date is never before
        /// the last contact.
        #[test]
        fn due_dates_follow_contacts(last in 0i64..1000, since in 0i64..1000) {
            let t = |d: i64| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(d);
            let mut previous = None;
            for tier in [Tier::Priority, Tier::General, Tier::Last] {
                let (call, visit) = next_due(tier, t(since), Some(t(last)), Some(t(last)));
                prop_assert!(call > t(last) && visit > t(last));
                if let Some((pc, pv)) = previous {
                    prop_assert!(call >= pc && visit >= pv);
                }
                previous = Some((call, visit));
            }
        }
    }

    #[test]
    fn classes_are_read_as_written() {
        let m = Man::parse_class("man_class", " MAn ").unwrap();
        assert_eq!((m.money, m.authority, m.need), (true, true, false));
        assert_eq!(m.class(), "MAn");
        assert_eq!(
            Man::parse_class("man_class", "mXn").unwrap_err().code,
            "invalid_choice"
        );
        assert_eq!(
            KeyAccountClass::parse("key_account", "core_potential").unwrap(),
            KeyAccountClass::CorePotential
        );
        assert_eq!(
            KeyAccountClass::parse("key_account", "vip")
                .unwrap_err()
                .field,
            "key_account"
        );
    }
}
