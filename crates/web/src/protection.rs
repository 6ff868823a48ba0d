//! How long an owner keeps each customer: the company's period, or its pool's and tier's
//! (`domain::ownership::protection_for`), read once per page for every customer on it.

use crate::error::AppError;
use crate::AppState;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use yingpan_domain::ownership::{protection_for, PoolPeriods, ProtectionPolicy};
use yingpan_store::Customer;

pub struct Protection {
    company: ProtectionPolicy,
    pools: HashMap<i64, PoolPeriods>,
    now: DateTime<Utc>,
}

impl Protection {
    pub async fn load(state: &AppState, org_id: i64) -> Result<Self, AppError> {
        let org = state.store.organization(org_id).await?;
        let pools = state
            .store
            .pools(org_id)
            .await?
            .iter()
            .map(|p| (p.id, p.periods()))
            .collect();
        Ok(Self {
            company: org.settings.protection(),
            pools,
            now: state.now(),
        })
    }

    /// Whole days the owner has left before the customer may return to the pool; none for a
    /// customer in the pool.
    pub fn days_left(&self, c: &Customer) -> Option<i64> {
        c.owner_id?;
        let last = DateTime::parse_from_rfc3339(&c.last_contact_at)
            .ok()?
            .with_timezone(&Utc);
        let policy = protection_for(
            self.company,
            c.pool_id.and_then(|p| self.pools.get(&p)),
            c.qualification.tier,
        );
        Some(policy.days_left(last, self.now))
    }
}
