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
/// person, or the referral was registered before the referred customer was (rule 6); otherwise
/// the customer is a new customer like any other. `referred_registered_at` is none while the
/// referred customer is not registered yet.
pub fn referral_counts(
    referral_registered_at: DateTime<Utc>,
    brought_in_person: bool,
    referred_registered_at: Option<DateTime<Utc>>,
) -> bool {
    brought_in_person || referred_registered_at.is_none_or(|c| referral_registered_at < c)
}

/// [`referral_counts`] as a refusal naming the field, for the register; a customer cannot
/// refer itself.
pub fn check_referral(
    referrer: i64,
    referred: Option<i64>,
    referral_registered_at: DateTime<Utc>,
    brought_in_person: bool,
    referred_registered_at: Option<DateTime<Utc>>,
) -> Result<(), crate::error::ValidationError> {
    use crate::error::ValidationError;
    if referred == Some(referrer) {
        return Err(ValidationError::new(
            "referred_id",
            "same_customer",
            "a customer does not refer itself",
        ));
    }
    if !referral_counts(
        referral_registered_at,
        brought_in_person,
        referred_registered_at,
    ) {
        return Err(ValidationError::new(
            "referred_id",
            "registered_after",
            "the customer was registered before the referral and was not brought in person: a new customer, not a referral",
        ));
    }
    Ok(())
}

/// Someone signing an order or taking a payment for an absent owner (rule 4), and how they
/// stand to the owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActFor {
    pub actor: i64,
    pub actor_role: crate::person::Role,
    pub actor_superior: Option<i64>,
    pub owner: i64,
    pub owner_superior: Option<i64>,
    /// The owner is somewhere below the actor in the reporting line.
    pub owner_below_actor: bool,
    /// The owner is away today (an absence covers it).
    pub owner_away: bool,
}

/// Whether the actor may sign and collect for the owner: the owner is away, and the actor is
/// the clerk, someone who runs the company, the owner's manager (anywhere above), or a colleague
/// with the same superior. The owner keeps the credit (the order stays theirs).
pub fn check_act_for(a: &ActFor) -> Result<(), crate::error::ValidationError> {
    use crate::error::ValidationError;
    use crate::person::Role;
    if a.actor == a.owner {
        return Err(ValidationError::new(
            "acting_for",
            "self",
            "you act for someone else, not for yourself",
        ));
    }
    if !a.owner_away {
        return Err(ValidationError::new(
            "acting_for",
            "owner_not_away",
            "the owner is not away today: they sign and collect themselves",
        ));
    }
    let allowed = crate::permission::covers_for_anyone(a.actor_role)
        || match a.actor_role {
            Role::Supervisor => a.owner_below_actor,
            Role::Sales => a.actor_superior.is_some() && a.actor_superior == a.owner_superior,
            Role::Clerk | Role::Admin | Role::Director => false,
        };
    if !allowed {
        return Err(ValidationError::new(
            "acting_for",
            "outside_scope",
            "only the owner's colleagues on their team, their managers and the clerk cover for them",
        ));
    }
    Ok(())
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
    fn who_may_cover_for_an_absent_owner() {
        use crate::person::Role;
        let base = ActFor {
            actor: 2,
            actor_role: Role::Sales,
            actor_superior: Some(10),
            owner: 1,
            owner_superior: Some(10),
            owner_below_actor: false,
            owner_away: true,
        };
        let code = |a: ActFor| check_act_for(&a).err().map(|e| e.code);
        assert_eq!(code(base), None, "a colleague on the team");
        assert_eq!(
            code(ActFor {
                owner_away: false,
                ..base
            }),
            Some("owner_not_away")
        );
        assert_eq!(code(ActFor { actor: 1, ..base }), Some("self"));
        assert_eq!(
            code(ActFor {
                actor_superior: Some(11),
                ..base
            }),
            Some("outside_scope"),
            "a salesperson of another team"
        );
        assert_eq!(
            code(ActFor {
                actor_superior: None,
                owner_superior: None,
                ..base
            }),
            Some("outside_scope")
        );
        assert_eq!(
            code(ActFor {
                actor_role: Role::Clerk,
                actor_superior: None,
                ..base
            }),
            None
        );
        assert_eq!(
            code(ActFor {
                actor_role: Role::Director,
                ..base
            }),
            None
        );
        assert_eq!(
            code(ActFor {
                actor_role: Role::Supervisor,
                actor_superior: Some(99),
                ..base
            }),
            Some("outside_scope"),
            "a supervisor of another team"
        );
        assert_eq!(
            code(ActFor {
                actor_role: Role::Supervisor,
                owner_below_actor: true,
                ..base
            }),
            None
        );
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
        assert_eq!(
            check_referral(1, Some(2), t(3), false, Some(t(2)))
                .unwrap_err()
                .code,
            "registered_after"
        );
        assert!(check_referral(1, Some(2), t(3), true, Some(t(2))).is_ok());
        assert!(check_referral(1, None, t(3), false, None).is_ok());
        assert_eq!(
            check_referral(1, Some(1), t(1), true, Some(t(2)))
                .unwrap_err()
                .code,
            "same_customer"
        );
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
