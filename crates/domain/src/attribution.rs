//! Who gets the credit for a deal (业绩归属), from the registration rule of the seeds:
//! a deal closed by a colleague while the customer is within its owner's protection period is
//! credited to the owner — colleagues cover for an absent owner without taking the credit.

use chrono::{DateTime, Utc};

/// The customer's ownership at the moment a deal closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnershipAtClose {
    pub owner: Option<i64>,
    /// End of the owner's protection period (last logged contact + the period).
    pub protected_until: Option<DateTime<Utc>>,
}

/// The salesperson credited with a deal (performance and commission).
pub fn credited_salesperson(
    closed_by: i64,
    closed_at: DateTime<Utc>,
    at_close: OwnershipAtClose,
) -> i64 {
    match (at_close.owner, at_close.protected_until) {
        (Some(owner), Some(until)) if closed_at <= until => owner,
        _ => closed_by,
    }
}

/// A referral by an existing customer counts only when the referred customer was brought in
/// person or registered as a referral before its first deal; otherwise it is a new customer.
pub fn referral_counts(
    referral_registered_at: DateTime<Utc>,
    brought_in_person: bool,
    referred_first_deal_at: Option<DateTime<Utc>>,
) -> bool {
    brought_in_person || referred_first_deal_at.is_none_or(|deal| referral_registered_at < deal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn a_colleague_covering_for_the_owner_does_not_take_the_credit() {
        let protected = OwnershipAtClose {
            owner: Some(1),
            protected_until: Some(t(100)),
        };
        assert_eq!(credited_salesperson(2, t(50), protected), 1);
        assert_eq!(
            credited_salesperson(2, t(101), protected),
            2,
            "protection had lapsed"
        );
        assert_eq!(
            credited_salesperson(
                2,
                t(50),
                OwnershipAtClose {
                    owner: None,
                    protected_until: None
                }
            ),
            2
        );
        assert_eq!(credited_salesperson(1, t(50), protected), 1);
    }

    #[test]
    fn referrals_must_come_first() {
        assert!(referral_counts(t(1), false, Some(t(2))));
        assert!(!referral_counts(t(3), false, Some(t(2))));
        assert!(referral_counts(t(3), true, Some(t(2))));
        assert!(referral_counts(t(3), false, None));
        assert!(
            !referral_counts(t(2), false, Some(t(2))),
            "registered at the very moment of the deal is not before it"
        );
    }

    proptest! {
        /// The credit always goes to the closer or the owner, and to the owner exactly when
        /// the deal closed within protection.
        #[test]
        fn credit_goes_to_owner_or_closer(closer in 1i64..5, owner in proptest::option::of(1i64..5), closed in 0i64..200, until in proptest::option::of(0i64..200)) {
            let at = OwnershipAtClose { owner, protected_until: until.map(t) };
            let credited = credited_salesperson(closer, t(closed), at);
            let within = owner.is_some() && until.is_some_and(|u| closed <= u);
            prop_assert_eq!(credited, if within { owner.unwrap() } else { closer });
        }
    }
}
