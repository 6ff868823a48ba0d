//! One customer, one owner: the protection period (保护期) of the registration rule.
//!
//! The registering salesperson keeps the customer while contact is logged at least every
//! `protection_days` days; after that the customer returns to the public pool (公海).

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtectionPolicy {
    pub protection_days: u32,
}

impl Default for ProtectionPolicy {
    /// The seed's rule: seven days without contact ends the confirmation.
    fn default() -> Self {
        Self { protection_days: 7 }
    }
}

impl ProtectionPolicy {
    /// The instant until which an owner keeps the customer, counted from the last logged contact
    /// (or from registration when nothing was logged yet).
    pub fn protected_until(&self, last_contact_at: DateTime<Utc>) -> DateTime<Utc> {
        last_contact_at + Duration::days(i64::from(self.protection_days))
    }

    pub fn has_expired(&self, last_contact_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now > self.protected_until(last_contact_at)
    }

    /// Whole days the owner has left to log a contact before the customer may return to the
    /// pool, rounded up (half a day left is one day); 0 once the period is over.
    pub fn days_left(&self, last_contact_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
        let left = (self.protected_until(last_contact_at) - now).num_seconds();
        if left <= 0 {
            0
        } else {
            (left + 86_399) / 86_400
        }
    }

    /// Customers whose last contact is before this instant are due to return to the pool.
    pub fn recycle_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.protection_days))
    }
}

/// A pool's protection periods: its own default and one per customer tier, each falling back
/// to the next more general rule (tier → pool → company).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolPeriods {
    pub default_days: Option<u32>,
    pub priority_days: Option<u32>,
    pub general_days: Option<u32>,
    pub last_days: Option<u32>,
}

/// The protection period that applies to a customer of `tier` in a pool with `periods`.
pub fn protection_for(
    company: ProtectionPolicy,
    periods: Option<&PoolPeriods>,
    tier: Option<crate::qualification::Tier>,
) -> ProtectionPolicy {
    use crate::qualification::Tier;
    let Some(p) = periods else { return company };
    let by_tier = match tier {
        Some(Tier::Priority) => p.priority_days,
        Some(Tier::General) => p.general_days,
        Some(Tier::Last) => p.last_days,
        None => None,
    };
    ProtectionPolicy {
        protection_days: by_tier
            .or(p.default_days)
            .unwrap_or(company.protection_days),
    }
}

/// Days for one tier of a trigger that can differ by customer tier; `None` = the general value.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub struct TierDays {
    pub priority: Option<i64>,
    pub general: Option<i64>,
    pub last: Option<i64>,
}

impl TierDays {
    /// The days that apply to `tier`, falling back to `default`; 0 means the trigger is off.
    pub fn for_tier(&self, default: i64, tier: Option<crate::qualification::Tier>) -> i64 {
        use crate::qualification::Tier;
        match tier {
            Some(Tier::Priority) => self.priority,
            Some(Tier::General) => self.general,
            Some(Tier::Last) => self.last,
            None => None,
        }
        .unwrap_or(default)
    }
}

/// Which pool a customer belongs to: the pool for its region, else the first pool of its
/// owner's team, else the company pool (`None`).
pub fn assign_pool(
    region_pools: &[(i64, String)],
    region: Option<&str>,
    owner_pools: &[i64],
) -> Option<i64> {
    region
        .and_then(|r| {
            region_pools
                .iter()
                .find(|(_, pr)| pr == r)
                .map(|(id, _)| *id)
        })
        .or_else(|| owner_pools.first().copied())
}

/// A logged contact only ever moves the protection clock forward: it uses the server's time of
/// logging, and an older clock value never replaces a newer one.
pub fn next_last_contact(current: DateTime<Utc>, logged_at: DateTime<Utc>) -> DateTime<Utc> {
    current.max(logged_at)
}

/// One scope of the silence rule: customers of a pool (or of no pool) with a tier (or none),
/// and the protection period that applies to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SilenceRule {
    pub pool_id: Option<i64>,
    pub tier: Option<crate::qualification::Tier>,
    pub policy: ProtectionPolicy,
}

/// Every (pool, tier) scope with its period (tier → pool → company), so that the recycle and
/// the owner's warning read the same rules: customers of no pool, then each pool's.
pub fn recycle_rules(company: ProtectionPolicy, pools: &[(i64, PoolPeriods)]) -> Vec<SilenceRule> {
    use crate::qualification::Tier;
    let tiers = [
        None,
        Some(Tier::Priority),
        Some(Tier::General),
        Some(Tier::Last),
    ];
    std::iter::once((None, None))
        .chain(pools.iter().map(|(id, p)| (Some(*id), Some(p))))
        .flat_map(|(pool_id, periods)| {
            tiers.into_iter().map(move |tier| SilenceRule {
                pool_id,
                tier,
                policy: protection_for(company, periods, tier),
            })
        })
        .collect()
}

/// The last contact before which a customer of this scope returns to the pool within the
/// next `warning_days`: what the owner is warned about.
pub fn warning_cutoff(
    policy: ProtectionPolicy,
    now: DateTime<Utc>,
    warning_days: i64,
) -> DateTime<Utc> {
    policy.recycle_cutoff(now + Duration::days(warning_days.max(0)))
}

/// What follows a customer to its new owner (transfer, claim, deactivation handover): the
/// work still to do on it. Open opportunities and orders not yet paid in full (receivables)
/// go with the customer, so the new owner can work them and the old one no longer reaches
/// them; won or lost opportunities and settled orders stay where they were earned. A customer
/// returned to the pool takes nothing with it: its open work waits for whoever claims it.
pub fn opportunity_follows_customer(status: crate::opportunity::Status) -> bool {
    status == crate::opportunity::Status::Open
}

/// See [`opportunity_follows_customer`]: an order follows while something is still owed on it.
pub fn order_follows_customer(settled: bool) -> bool {
    !settled
}

/// The company's rules for claiming from the pool (0 = the rule is off).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimRules {
    /// Days after losing a customer before its previous owner may claim it again.
    pub cooldown_days: i64,
    /// Most customers one person may own when claiming.
    pub holding_cap: i64,
    /// Claims per person in any rolling window of [`CLAIM_WINDOW_HOURS`].
    pub daily_limit: i64,
}

/// The daily claim limit counts a rolling 24 hours, not the calendar day.
pub const CLAIM_WINDOW_HOURS: i64 = 24;

impl ClaimRules {
    /// From when a loss of the customer by the claimant counts (none: the rule is off).
    pub fn cooldown_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.cooldown_days > 0).then(|| now - Duration::days(self.cooldown_days))
    }
    /// Whether the claimant's holdings must be counted.
    pub fn caps_holdings(&self) -> bool {
        self.holding_cap > 0
    }
    /// From when the claimant's claims count towards the daily limit (none: no limit).
    pub fn window_since(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.daily_limit > 0).then(|| now - Duration::hours(CLAIM_WINDOW_HOURS))
    }
}

/// What the store found for one claim; a fact is only looked up while its rule is on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimFacts {
    /// The claimant lost this customer to the pool since [`ClaimRules::cooldown_since`].
    pub lost_within_cooldown: bool,
    /// Customers the claimant owns now (as the holding cap counts them).
    pub held: i64,
    /// Claims by the claimant since [`ClaimRules::window_since`].
    pub claimed_in_window: i64,
}

/// Why a claim is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefusal {
    Cooldown { days: i64 },
    HoldingCap { held: i64, cap: i64 },
    DailyLimit { claimed: i64 },
}

impl ClaimRefusal {
    /// The stable API code.
    pub fn code(self) -> &'static str {
        match self {
            ClaimRefusal::Cooldown { .. } => "claim_cooldown",
            ClaimRefusal::HoldingCap { .. } | ClaimRefusal::DailyLimit { .. } => "claim_limit",
        }
    }
    pub fn message(self) -> String {
        match self {
            ClaimRefusal::Cooldown { days } => format!(
                "you lost this customer less than {days} days ago; a colleague may claim it first"
            ),
            ClaimRefusal::HoldingCap { held, cap } => format!(
                "you already own {held} customers, the most the company allows ({cap})"
            ),
            ClaimRefusal::DailyLimit { claimed } => format!(
                "you have claimed {claimed} customers in the last {CLAIM_WINDOW_HOURS} hours, the most the company allows"
            ),
        }
    }
}

/// Whether a claim from the pool may go ahead: the cool-down after losing the customer, the
/// holding cap, then the daily limit.
pub fn check_claim(rules: &ClaimRules, facts: &ClaimFacts) -> Result<(), ClaimRefusal> {
    if rules.cooldown_days > 0 && facts.lost_within_cooldown {
        return Err(ClaimRefusal::Cooldown {
            days: rules.cooldown_days,
        });
    }
    if rules.holding_cap > 0 && facts.held >= rules.holding_cap {
        return Err(ClaimRefusal::HoldingCap {
            held: facts.held,
            cap: rules.holding_cap,
        });
    }
    if rules.daily_limit > 0 && facts.claimed_in_window >= rules.daily_limit {
        return Err(ClaimRefusal::DailyLimit {
            claimed: facts.claimed_in_window,
        });
    }
    Ok(())
}

/// Only the owner's own follow-up protects a customer for them (seed 003, rule 1: the
/// salesperson's own records are the basis of ownership). A colleague's, a manager's or the
/// clerk's contact is recorded on the customer but does not restart the owner's clock.
pub fn contact_protects(actor_id: i64, owner_id: Option<i64>) -> bool {
    owner_id == Some(actor_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn recycle_and_warning_read_the_same_periods() {
        use crate::qualification::Tier;
        let company = ProtectionPolicy { protection_days: 7 };
        let north = PoolPeriods {
            default_days: Some(10),
            priority_days: Some(30),
            ..Default::default()
        };
        let rules = recycle_rules(company, &[(5, north)]);
        assert_eq!(rules.len(), 8, "no pool and one pool, four tier cases each");
        let days = |pool: Option<i64>, tier: Option<Tier>| {
            rules
                .iter()
                .find(|r| r.pool_id == pool && r.tier == tier)
                .unwrap()
                .policy
                .protection_days
        };
        assert_eq!(days(None, Some(Tier::Priority)), 7);
        assert_eq!(days(Some(5), None), 10);
        assert_eq!(days(Some(5), Some(Tier::Priority)), 30);
        assert_eq!(days(Some(5), Some(Tier::Last)), 10);
        // Warned 3 days ahead: a 30-day customer silent for 28 days, not one silent for 26.
        let now = t(27, 12);
        let cutoff = warning_cutoff(
            ProtectionPolicy {
                protection_days: 30,
            },
            now,
            3,
        );
        assert!(now - Duration::days(28) < cutoff);
        assert!(now - Duration::days(26) > cutoff);
        assert_eq!(
            warning_cutoff(company, now, -5),
            company.recycle_cutoff(now)
        );
    }

    #[test]
    fn open_work_follows_the_customer_and_earned_work_stays() {
        use crate::opportunity::Status;
        assert!(opportunity_follows_customer(Status::Open));
        assert!(!opportunity_follows_customer(Status::Won));
        assert!(!opportunity_follows_customer(Status::Lost));
        assert!(order_follows_customer(false));
        assert!(!order_follows_customer(true));
    }

    #[test]
    fn claims_within_the_rules() {
        let rules = ClaimRules {
            cooldown_days: 3,
            holding_cap: 10,
            daily_limit: 2,
        };
        let fine = ClaimFacts {
            lost_within_cooldown: false,
            held: 9,
            claimed_in_window: 1,
        };
        assert_eq!(check_claim(&rules, &fine), Ok(()));
        let refused = |f: ClaimFacts| check_claim(&rules, &f).unwrap_err();
        assert_eq!(
            refused(ClaimFacts {
                lost_within_cooldown: true,
                ..fine
            }),
            ClaimRefusal::Cooldown { days: 3 }
        );
        assert_eq!(
            refused(ClaimFacts { held: 10, ..fine }),
            ClaimRefusal::HoldingCap { held: 10, cap: 10 }
        );
        let daily = refused(ClaimFacts {
            claimed_in_window: 2,
            ..fine
        });
        assert_eq!(daily, ClaimRefusal::DailyLimit { claimed: 2 });
        assert_eq!(daily.code(), "claim_limit");
        // Rules at 0 are off, whatever the facts.
        let off = ClaimRules::default();
        let heavy = ClaimFacts {
            lost_within_cooldown: true,
            held: 1_000,
            claimed_in_window: 1_000,
        };
        assert_eq!(check_claim(&off, &heavy), Ok(()));
        assert_eq!(off.cooldown_since(t(27, 0)), None);
        assert_eq!(off.window_since(t(27, 0)), None);
        assert!(!off.caps_holdings());
        assert_eq!(rules.window_since(t(27, 12)), Some(t(26, 12)));
        assert!(rules.caps_holdings());
        assert!(daily.message().contains("2 customers in the last 24 hours"));
        assert!(ClaimRefusal::HoldingCap { held: 10, cap: 10 }
            .message()
            .contains("own 10 customers"));
        assert!(ClaimRefusal::Cooldown { days: 3 }
            .message()
            .contains("3 days"));
        assert_eq!(rules.cooldown_since(t(27, 12)), Some(t(24, 12)));
    }

    #[test]
    fn days_left_count_down_to_the_end_of_protection() {
        let p = ProtectionPolicy { protection_days: 7 };
        let last = t(1, 10);
        assert_eq!(p.days_left(last, t(1, 10)), 7);
        assert_eq!(
            p.days_left(last, t(1, 11)),
            7,
            "six days and 23 hours is still 7"
        );
        assert_eq!(p.days_left(last, t(7, 10)), 1);
        assert_eq!(p.days_left(last, t(8, 9)), 1, "one hour left");
        assert_eq!(p.days_left(last, t(8, 10)), 0);
        assert_eq!(p.days_left(last, t(20, 10)), 0);
    }

    proptest! {
        #[test]
        fn no_days_are_left_exactly_when_protection_has_ended(
            days in 1u32..60, last_h in 0i64..2000, now_h in 0i64..3000,
        ) {
            let p = ProtectionPolicy { protection_days: days };
            let start = t(1, 0);
            let last = start + Duration::hours(last_h);
            // The last contact is never after now.
            let now = last + Duration::hours(now_h);
            let left = p.days_left(last, now);
            prop_assert!(left >= 0 && left <= i64::from(days));
            // Zero days left once the period is over (the recycle may take it from that instant).
            prop_assert_eq!(left == 0, now >= p.protected_until(last));
            // A day later, one day fewer (never below zero).
            prop_assert_eq!(p.days_left(last, now + Duration::days(1)), (left - 1).max(0));
        }

        #[test]
        fn a_claim_is_refused_exactly_when_a_rule_is_reached(
            cooldown in 0i64..5, cap in 0i64..5, limit in 0i64..5,
            lost: bool, held in 0i64..8, claimed in 0i64..8,
        ) {
            let rules = ClaimRules { cooldown_days: cooldown, holding_cap: cap, daily_limit: limit };
            let facts = ClaimFacts { lost_within_cooldown: lost, held, claimed_in_window: claimed };
            let reached = (cooldown > 0 && lost) || (cap > 0 && held >= cap) || (limit > 0 && claimed >= limit);
            prop_assert_eq!(check_claim(&rules, &facts).is_err(), reached);
        }
    }

    #[test]
    fn only_the_owners_own_contact_protects() {
        assert!(contact_protects(7, Some(7)));
        assert!(!contact_protects(8, Some(7)), "a colleague or manager");
        assert!(
            !contact_protects(7, None),
            "a pool customer has no clock to restart"
        );
    }
    use proptest::prelude::*;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn seven_days_of_silence_end_protection() {
        let p = ProtectionPolicy::default();
        assert!(!p.has_expired(t(1, 9), t(8, 9)));
        assert!(p.has_expired(t(1, 9), t(8, 10)));
    }

    #[test]
    fn tier_rules_fall_back_to_pool_then_company() {
        use crate::qualification::Tier;
        let company = ProtectionPolicy { protection_days: 7 };
        let pool = PoolPeriods {
            default_days: Some(10),
            priority_days: Some(30),
            ..Default::default()
        };
        assert_eq!(
            protection_for(company, None, Some(Tier::Priority)).protection_days,
            7
        );
        assert_eq!(
            protection_for(company, Some(&pool), Some(Tier::Priority)).protection_days,
            30
        );
        assert_eq!(
            protection_for(company, Some(&pool), Some(Tier::Last)).protection_days,
            10
        );
        assert_eq!(
            protection_for(company, Some(&pool), None).protection_days,
            10
        );
        assert_eq!(
            protection_for(company, Some(&PoolPeriods::default()), None).protection_days,
            7
        );
    }

    #[test]
    fn trigger_days_by_tier() {
        use crate::qualification::Tier;
        let d = TierDays {
            priority: Some(90),
            general: None,
            last: Some(0),
        };
        assert_eq!(d.for_tier(30, Some(Tier::Priority)), 90);
        assert_eq!(d.for_tier(30, Some(Tier::General)), 30);
        assert_eq!(d.for_tier(30, Some(Tier::Last)), 0);
        assert_eq!(d.for_tier(30, None), 30);
    }

    #[test]
    fn pools_by_region_then_team() {
        let regions = vec![(1, "华北".to_string()), (2, "华东".to_string())];
        assert_eq!(assign_pool(&regions, Some("华东"), &[9]), Some(2));
        assert_eq!(assign_pool(&regions, Some("西南"), &[9, 8]), Some(9));
        assert_eq!(assign_pool(&regions, None, &[]), None);
    }

    proptest! {
        #[test]
        fn cutoff_and_expiry_agree(days in 1u32..400, last in 0i64..10_000_000, delta in -1_000_000i64..100_000_000) {
            let p = ProtectionPolicy { protection_days: days };
            let last = Utc.timestamp_opt(1_700_000_000 + last, 0).unwrap();
            let now = last + Duration::seconds(delta);
            prop_assert_eq!(p.has_expired(last, now), last < p.recycle_cutoff(now));
        }

        #[test]
        fn contact_clock_never_goes_back(a in 0i64..1_000_000_000, b in 0i64..1_000_000_000) {
            let (a, b) = (Utc.timestamp_opt(a, 0).unwrap(), Utc.timestamp_opt(b, 0).unwrap());
            let next = next_last_contact(a, b);
            prop_assert!(next >= a && next >= b);
        }
    }
}
