//! The company's policy as data, with its validation: the protection period, the public
//! pool's claim and recycle rules, who the clerk sees, what salespeople may import. Stored by
//! the store, edited by an administrator, read by the rules in `ownership` and `permission`.

use crate::audit::Snapshot;
use crate::ownership::{ClaimRules, ProtectionPolicy, TierDays};
use crate::permission::Policy;
use crate::person::ClerkVisibility;
use crate::ValidationError;
use serde::Serialize;

/// Company policy, as data: the protection period and the public pool's rules.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct OrgSettings {
    /// Days without a logged contact after which a customer returns to the pool.
    pub protection_days: i64,
    pub clerk_visibility: ClerkVisibility,
    /// Claims per salesperson in any 24 hours; 0 = no limit.
    pub claim_daily_limit: i64,
    /// Most customers one salesperson may own at once when claiming; 0 = no limit.
    pub holding_cap: i64,
    /// Whether customers with a deal count towards the holding cap.
    pub holding_cap_counts_deals: bool,
    /// Whether salespeople may import customers (managers and the clerk always may).
    pub sales_may_import: bool,
    /// Days after losing a customer before its previous owner may claim it again.
    pub reclaim_cooldown_days: i64,
    /// Days before a silent customer returns to the pool that its owner is warned.
    pub warning_days: i64,
    /// Customers with an open opportunity are not recycled.
    pub exempt_open_opportunity: bool,
    /// Customers with a deal (a won opportunity) are not recycled.
    pub exempt_with_deal: bool,
    /// Recycle when the owner has opened no opportunity on the customer for this many days (0 = off).
    pub no_opportunity_days: i64,
    /// Recycle when the owner has won no deal with the customer for this many days (0 = off).
    pub no_deal_days: i64,
    /// Per-tier overrides of `no_opportunity_days`.
    pub no_opportunity_days_by_tier: TierDays,
    /// Per-tier overrides of `no_deal_days`.
    pub no_deal_days_by_tier: TierDays,
}

impl OrgSettings {
    pub fn validate(&self) -> Result<(), ValidationError> {
        let checks: [(&'static str, i64, std::ops::RangeInclusive<i64>); 7] = [
            ("no_opportunity_days", self.no_opportunity_days, 0..=3650),
            ("no_deal_days", self.no_deal_days, 0..=3650),
            ("warning_days", self.warning_days, 0..=365),
            ("protection_days", self.protection_days, 1..=365),
            ("claim_daily_limit", self.claim_daily_limit, 0..=10_000),
            ("holding_cap", self.holding_cap, 0..=1_000_000),
            ("reclaim_cooldown_days", self.reclaim_cooldown_days, 0..=365),
        ];
        for (field, days) in [
            (
                "no_opportunity_days_by_tier",
                self.no_opportunity_days_by_tier,
            ),
            ("no_deal_days_by_tier", self.no_deal_days_by_tier),
        ] {
            if [days.priority, days.general, days.last]
                .iter()
                .flatten()
                .any(|d| !(0..=3650).contains(d))
            {
                return Err(ValidationError::new(
                    field,
                    "out_of_range",
                    "must be between 0 and 3650 days",
                ));
            }
        }
        for (field, value, range) in checks {
            if !range.contains(&value) {
                return Err(ValidationError::new(
                    field,
                    "out_of_range",
                    format!("must be between {} and {}", range.start(), range.end()),
                ));
            }
        }
        Ok(())
    }

    pub fn snapshot(&self) -> Snapshot {
        vec![
            ("protection_days", Some(self.protection_days.to_string())),
            (
                "clerk_visibility",
                Some(self.clerk_visibility.as_str().to_string()),
            ),
            (
                "claim_daily_limit",
                Some(self.claim_daily_limit.to_string()),
            ),
            ("holding_cap", Some(self.holding_cap.to_string())),
            (
                "reclaim_cooldown_days",
                Some(self.reclaim_cooldown_days.to_string()),
            ),
            ("warning_days", Some(self.warning_days.to_string())),
            (
                "exempt_open_opportunity",
                Some(self.exempt_open_opportunity.to_string()),
            ),
            ("exempt_with_deal", Some(self.exempt_with_deal.to_string())),
            (
                "holding_cap_counts_deals",
                Some(self.holding_cap_counts_deals.to_string()),
            ),
            ("sales_may_import", Some(self.sales_may_import.to_string())),
            (
                "no_opportunity_days",
                Some(self.no_opportunity_days.to_string()),
            ),
            ("no_deal_days", Some(self.no_deal_days.to_string())),
            (
                "no_opportunity_days_by_tier",
                Some(serde_json::to_string(&self.no_opportunity_days_by_tier).expect("serialises")),
            ),
            (
                "no_deal_days_by_tier",
                Some(serde_json::to_string(&self.no_deal_days_by_tier).expect("serialises")),
            ),
        ]
    }
}

impl OrgSettings {
    /// The claim rules of `ownership::check_claim`.
    pub fn claim_rules(&self) -> ClaimRules {
        ClaimRules {
            cooldown_days: self.reclaim_cooldown_days,
            holding_cap: self.holding_cap,
            daily_limit: self.claim_daily_limit,
        }
    }
    /// The company-wide protection period (pools and tiers may set their own).
    pub fn protection(&self) -> ProtectionPolicy {
        ProtectionPolicy {
            protection_days: u32::try_from(self.protection_days).unwrap_or(7),
        }
    }
    /// The settings that widen a role's actions (`permission::allows`).
    pub fn permission_policy(&self) -> Policy {
        Policy {
            sales_may_import: self.sales_may_import,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OrgSettings {
        OrgSettings {
            protection_days: 7,
            clerk_visibility: ClerkVisibility::All,
            claim_daily_limit: 20,
            holding_cap: 0,
            holding_cap_counts_deals: true,
            sales_may_import: false,
            reclaim_cooldown_days: 0,
            warning_days: 2,
            exempt_open_opportunity: true,
            exempt_with_deal: true,
            no_opportunity_days: 0,
            no_deal_days: 0,
            no_opportunity_days_by_tier: TierDays::default(),
            no_deal_days_by_tier: TierDays::default(),
        }
    }

    #[test]
    fn out_of_range_settings_name_their_field() {
        assert_eq!(settings().validate(), Ok(()));
        let refused = |s: OrgSettings| s.validate().unwrap_err().field;
        assert_eq!(
            refused(OrgSettings {
                protection_days: 0,
                ..settings()
            }),
            "protection_days"
        );
        assert_eq!(
            refused(OrgSettings {
                warning_days: 366,
                ..settings()
            }),
            "warning_days"
        );
        assert_eq!(
            refused(OrgSettings {
                claim_daily_limit: -1,
                ..settings()
            }),
            "claim_daily_limit"
        );
        assert_eq!(
            refused(OrgSettings {
                no_deal_days_by_tier: TierDays {
                    priority: Some(3651),
                    ..TierDays::default()
                },
                ..settings()
            }),
            "no_deal_days_by_tier"
        );
        assert!(OrgSettings {
            protection_days: 365,
            holding_cap: 1_000_000,
            ..settings()
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn the_rules_read_the_settings() {
        let s = OrgSettings {
            protection_days: 10,
            reclaim_cooldown_days: 3,
            holding_cap: 50,
            sales_may_import: true,
            ..settings()
        };
        assert_eq!(
            s.claim_rules(),
            ClaimRules {
                cooldown_days: 3,
                holding_cap: 50,
                daily_limit: 20
            }
        );
        assert_eq!(s.protection().protection_days, 10);
        let snapshot = s.snapshot();
        assert!(snapshot.contains(&("protection_days", Some("10".to_string()))));
        assert!(snapshot.contains(&("sales_may_import", Some("true".to_string()))));
        assert!(s.permission_policy().sales_may_import);
    }
}
