//! Several public pools: definitions, members and pool admins, which pool a customer belongs
//! to, and who may see and claim from which pool.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::ownership::PoolPeriods;
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PoolMember {
    pub user_id: i64,
    pub display_name: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Pool {
    pub id: i64,
    pub name: String,
    /// Customers of this region belong to this pool.
    pub region: Option<String>,
    pub protection_days: Option<i64>,
    pub priority_days: Option<i64>,
    pub general_days: Option<i64>,
    pub last_days: Option<i64>,
    pub active: bool,
    pub version: i64,
    pub members: Vec<PoolMember>,
}

impl Pool {
    pub fn periods(&self) -> PoolPeriods {
        let d = |v: Option<i64>| v.and_then(|x| u32::try_from(x).ok());
        PoolPeriods {
            default_days: d(self.protection_days),
            priority_days: d(self.priority_days),
            general_days: d(self.general_days),
            last_days: d(self.last_days),
        }
    }
}

/// A pool's definition as an admin enters it.
#[derive(Debug, Clone, Default)]
pub struct PoolInput {
    pub name: String,
    pub region: Option<String>,
    pub protection_days: Option<i64>,
    pub priority_days: Option<i64>,
    pub general_days: Option<i64>,
    pub last_days: Option<i64>,
    pub active: bool,
}

impl PoolInput {
    pub fn validate(&self) -> Result<(), ValidationError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(ValidationError::new(
                "name",
                "required",
                "must not be empty",
            ));
        }
        if name.chars().count() > 60 {
            return Err(ValidationError::new(
                "name",
                "too_long",
                "must be at most 60 characters",
            ));
        }
        for (field, v) in [
            ("protection_days", self.protection_days),
            ("priority_days", self.priority_days),
            ("general_days", self.general_days),
            ("last_days", self.last_days),
        ] {
            if v.is_some_and(|d| !(1..=365).contains(&d)) {
                return Err(ValidationError::new(
                    field,
                    "out_of_range",
                    "must be between 1 and 365 days",
                ));
            }
        }
        Ok(())
    }
}

fn pool_from_row(r: &AnyRow) -> Result<Pool> {
    Ok(Pool {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        region: r.try_get("region")?,
        protection_days: r.try_get("protection_days")?,
        priority_days: r.try_get("priority_days")?,
        general_days: r.try_get("general_days")?,
        last_days: r.try_get("last_days")?,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
        members: Vec::new(),
    })
}

const POOL_COLUMNS: &str =
    "id, name, region, protection_days, priority_days, general_days, last_days, active, version";

/// Active pools that take customers by region, oldest first.
async fn regional_pools(tx: &mut Transaction<'_, Any>, org_id: i64) -> Result<Vec<(i64, String)>> {
    sqlx::query("SELECT id, region FROM pools WHERE org_id = $1 AND active = 1 AND region IS NOT NULL ORDER BY id")
        .bind(org_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// The pool a customer of this region and owner belongs to.
pub(crate) async fn pool_for(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    region: Option<&str>,
    owner: Option<i64>,
) -> Result<Option<i64>> {
    // The regional pools and the owner's in one statement: it runs inside a registration's
    // write transaction, where each round trip counts.
    let rows = sqlx::query(
        "SELECT CAST(0 AS BIGINT) AS k, id, region FROM pools WHERE org_id = $1 AND active = 1 AND region IS NOT NULL \
         UNION ALL SELECT CAST(1 AS BIGINT), m.pool_id, NULL FROM pool_members m JOIN pools p ON p.id = m.pool_id AND p.org_id = m.org_id \
         WHERE m.org_id = $1 AND m.user_id = $2 AND p.active = 1 \
         ORDER BY 1, 2",
    )
    .bind(org_id)
    .bind(owner.unwrap_or(0))
    .fetch_all(&mut **tx)
    .await?;
    let (mut regions, mut owner_pools) = (Vec::new(), Vec::new());
    for r in &rows {
        let id: i64 = r.try_get(1)?;
        if r.try_get::<i64, _>(0)? == 0 {
            regions.push((id, r.try_get::<String, _>(2)?));
        } else {
            owner_pools.push(id);
        }
    }
    Ok(yingpan_domain::ownership::assign_pool(
        &regions,
        region,
        &owner_pools,
    ))
}

/// Every pool assignment rule of an organization loaded at once, for bulk work (imports).
pub(crate) struct PoolResolver {
    regions: Vec<(i64, String)>,
    memberships: std::collections::HashMap<i64, Vec<i64>>,
}

impl PoolResolver {
    pub(crate) async fn load(tx: &mut Transaction<'_, Any>, org_id: i64) -> Result<Self> {
        let regions = regional_pools(tx, org_id).await?;
        let mut memberships: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        for r in sqlx::query(
            "SELECT m.user_id, m.pool_id FROM pool_members m JOIN pools p ON p.id = m.pool_id AND p.org_id = m.org_id \
             WHERE m.org_id = $1 AND p.active = 1 ORDER BY m.pool_id",
        )
        .bind(org_id)
        .fetch_all(&mut **tx)
        .await?
        {
            memberships
                .entry(r.try_get(0)?)
                .or_default()
                .push(r.try_get(1)?);
        }
        Ok(Self {
            regions,
            memberships,
        })
    }

    /// The same answer as `pool_for`, without a query.
    pub(crate) fn pool_for(&self, region: Option<&str>, owner: i64) -> Option<i64> {
        let owner_pools = self
            .memberships
            .get(&owner)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        yingpan_domain::ownership::assign_pool(&self.regions, region, owner_pools)
    }
}

/// SQL condition (on `c.pool_id`) for the pools a viewer may see and claim from: the company
/// pool, pools without members (open to all), and pools the viewer belongs to; managers of the
/// whole company see every pool.
pub(crate) fn visible_pools_condition(viewer: &Viewer, sql: &mut crate::sql::Sql) {
    // Every pool is open to those who run the company; a clerk who reads every customer
    // (scope "all") still claims only from the pools open to them (docs/permissions.md).
    if yingpan_domain::permission::opens_every_pool(viewer.role) {
        return;
    }
    sql.push(
        " AND (c.pool_id IS NULL OR NOT EXISTS (SELECT 1 FROM pool_members m WHERE m.org_id = c.org_id AND m.pool_id = c.pool_id) \
         OR EXISTS (SELECT 1 FROM pool_members m WHERE m.org_id = c.org_id AND m.pool_id = c.pool_id AND m.user_id = ",
    )
    .bind(viewer.user_id)
    .push("))");
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn pools(&self, org_id: i64) -> Result<Vec<Pool>> {
        let mut pools = sqlx::query(&format!(
            "SELECT {POOL_COLUMNS} FROM pools WHERE org_id = $1 ORDER BY id"
        ))
        .bind(org_id)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(pool_from_row)
        .collect::<Result<Vec<_>>>()?;
        let members = sqlx::query(
            "SELECT m.pool_id, m.user_id, u.display_name, m.is_admin FROM pool_members m JOIN users u ON u.id = m.user_id AND u.org_id = m.org_id \
             WHERE m.org_id = $1 ORDER BY m.is_admin DESC, u.display_name",
        )
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        for r in &members {
            let pool_id: i64 = r.try_get("pool_id")?;
            if let Some(p) = pools.iter_mut().find(|p| p.id == pool_id) {
                p.members.push(PoolMember {
                    user_id: r.try_get("user_id")?,
                    display_name: r.try_get("display_name")?,
                    is_admin: r.try_get::<i64, _>("is_admin")? != 0,
                });
            }
        }
        Ok(pools)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_pool(
        &self,
        viewer: &Viewer,
        input: &PoolInput,
        now: DateTime<Utc>,
    ) -> Result<Pool> {
        input.validate()?;
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO pools (org_id, name, region, protection_days, priority_days, general_days, last_days, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(input.name.trim())
        .bind(input.region.clone())
        .bind(input.protection_days)
        .bind(input.priority_days)
        .bind(input.general_days)
        .bind(input.last_days)
        .bind(i64::from(input.active))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let changes = vec![FieldChange {
            field: "name".into(),
            before: None,
            after: Some(input.name.trim().to_string()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "pool", id, "create", &changes)
            .await?;
        tx.commit().await?;
        self.pools(viewer.org_id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_pool(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        input: &PoolInput,
        now: DateTime<Utc>,
    ) -> Result<Pool> {
        input.validate()?;
        let before = self
            .pools(viewer.org_id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.write.begin().await?;
        let n = sqlx::query(
            "UPDATE pools SET name = $1, region = $2, protection_days = $3, priority_days = $4, general_days = $5, \
             last_days = $6, active = $7, version = version + 1 WHERE org_id = $8 AND id = $9 AND version = $10",
        )
        .bind(input.name.trim())
        .bind(input.region.clone())
        .bind(input.protection_days)
        .bind(input.priority_days)
        .bind(input.general_days)
        .bind(input.last_days)
        .bind(i64::from(input.active))
        .bind(viewer.org_id)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let show = |v: Option<i64>| v.map(|d| d.to_string());
        let changes: Vec<FieldChange> = [
            (
                "name",
                Some(before.name.clone()),
                Some(input.name.trim().to_string()),
            ),
            ("region", before.region.clone(), input.region.clone()),
            (
                "protection_days",
                show(before.protection_days),
                show(input.protection_days),
            ),
            (
                "priority_days",
                show(before.priority_days),
                show(input.priority_days),
            ),
            (
                "general_days",
                show(before.general_days),
                show(input.general_days),
            ),
            ("last_days", show(before.last_days), show(input.last_days)),
            (
                "active",
                Some(before.active.to_string()),
                Some(input.active.to_string()),
            ),
        ]
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(f, b, a)| FieldChange {
            field: f.into(),
            before: b,
            after: a,
        })
        .collect();
        Audit::by(viewer, now)
            .record(&mut tx, "pool", id, "update", &changes)
            .await?;
        tx.commit().await?;
        self.pools(viewer.org_id)
            .await?
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Replaces a pool's members; `(user_id, is_admin)`. Callers check that the viewer is an
    /// admin or one of the pool's admins.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_pool_members(
        &self,
        viewer: &Viewer,
        pool_id: i64,
        members: &[(i64, bool)],
        now: DateTime<Utc>,
    ) -> Result<Pool> {
        let before = self
            .pools(viewer.org_id)
            .await?
            .into_iter()
            .find(|p| p.id == pool_id)
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.write.begin().await?;
        for (user, _) in members {
            let ok: i64 = sqlx::query(
                "SELECT COUNT(*) FROM users WHERE org_id = $1 AND id = $2 AND active = 1",
            )
            .bind(viewer.org_id)
            .bind(*user)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if ok == 0 {
                return Err(ValidationError::new(
                    "members",
                    "unknown_user",
                    "every member must be an active person of the company",
                )
                .into());
            }
        }
        sqlx::query("DELETE FROM pool_members WHERE org_id = $1 AND pool_id = $2")
            .bind(viewer.org_id)
            .bind(pool_id)
            .execute(&mut *tx)
            .await?;
        for (user, admin) in members {
            sqlx::query("INSERT INTO pool_members (org_id, pool_id, user_id, is_admin) VALUES ($1, $2, $3, $4)")
                .bind(viewer.org_id)
                .bind(pool_id)
                .bind(*user)
                .bind(i64::from(*admin))
                .execute(&mut *tx)
                .await?;
        }
        let show = |ms: Vec<(i64, bool)>| {
            let mut v: Vec<String> = ms
                .iter()
                .map(|(u, a)| if *a { format!("{u}*") } else { u.to_string() })
                .collect();
            v.sort();
            v.join(",")
        };
        let changes = vec![FieldChange {
            field: "members".into(),
            before: Some(show(
                before
                    .members
                    .iter()
                    .map(|m| (m.user_id, m.is_admin))
                    .collect(),
            )),
            after: Some(show(members.to_vec())),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "pool", pool_id, "update", &changes)
            .await?;
        tx.commit().await?;
        self.pools(viewer.org_id)
            .await?
            .into_iter()
            .find(|p| p.id == pool_id)
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn is_pool_admin(&self, viewer: &Viewer, pool_id: i64) -> Result<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM pool_members WHERE org_id = $1 AND pool_id = $2 AND user_id = $3 AND is_admin = 1")
            .bind(viewer.org_id)
            .bind(pool_id)
            .bind(viewer.user_id)
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }
}
