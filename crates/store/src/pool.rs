//! The public pool (公海): customers without an owner, claiming under the company's rules,
//! recycling, releasing, transfers and handover — each kept as ownership history.

use crate::audit::Audit;
use crate::sql::{push_scope, Sql};
use crate::{ts, Backend, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::ownership::{check_claim, recycle_rules, ClaimFacts, PoolPeriods, TierDays};
use yingpan_domain::qualification::Tier;
use yingpan_domain::webhook::Event;
use yingpan_domain::ValidationError;

/// How long a lost claim race is answered 409 `already_owned` (rather than 404) to someone
/// who cannot see the customer: long enough for a claim made from a stale pool page.
const JUST_CLAIMED_MINUTES: i64 = 10;

/// A pool customer as any salesperson may see it: no contact details.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PoolCustomer {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub last_contact_at: String,
    pub pool_id: Option<i64>,
    pub pool_name: Option<String>,
}

/// One change of owner, with its reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnershipChange {
    pub from_user_id: Option<i64>,
    pub from_name: Option<String>,
    pub to_user_id: Option<i64>,
    pub to_name: Option<String>,
    /// register, claim, recycle, release, transfer, deactivation
    pub reason: String,
    pub note: Option<String>,
    pub actor_id: Option<i64>,
    pub changed_at: String,
}

fn owner_change(from: Option<i64>, to: Option<i64>) -> Vec<FieldChange> {
    vec![FieldChange {
        field: "owner_id".into(),
        before: from.map(|f| f.to_string()),
        after: to.map(|t| t.to_string()),
    }]
}

fn reason_note(note: &str) -> Result<String> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ValidationError::new("reason", "required", "say why the owner changes").into());
    }
    if note.chars().count() > 500 {
        return Err(
            ValidationError::new("reason", "too_long", "must be at most 500 characters").into(),
        );
    }
    Ok(note.to_string())
}

/// Records one change of owner (history + audit) and applies it. The new owner's protection
/// period starts now; a customer returned to the pool keeps its last-contact time.
#[allow(clippy::too_many_arguments)]
async fn change_owner(
    tx: &mut Transaction<'_, Any>,
    actor: &Viewer,
    customer_id: i64,
    from: Option<i64>,
    to: Option<i64>,
    reason: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = ts(now);
    sqlx::query(
        "INSERT INTO ownership_changes (org_id, customer_id, from_user_id, to_user_id, reason, note, actor_id, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(actor.org_id)
    .bind(customer_id)
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(note.map(str::to_string))
    .bind(actor.user_id)
    .bind(&at)
    .execute(&mut **tx)
    .await?;
    let sql = if to.is_some() {
        "UPDATE customers SET owner_id = $1, last_contact_at = $2, version = version + 1, updated_at = $2 \
         WHERE org_id = $3 AND id = $4"
    } else {
        "UPDATE customers SET owner_id = $1, version = version + 1, updated_at = $2 WHERE org_id = $3 AND id = $4"
    };
    sqlx::query(sql)
        .bind(to)
        .bind(&at)
        .bind(actor.org_id)
        .bind(customer_id)
        .execute(&mut **tx)
        .await?;
    if let Some(new_owner) = to {
        move_open_work(tx, actor.org_id, customer_id, new_owner, &at).await?;
    }
    let action = match reason {
        "claim" => "claim",
        "release" => "release",
        _ => "transfer",
    };
    crate::webhook::emit(
        tx,
        actor.org_id,
        Event::OwnershipChanged,
        to.or(from),
        Some(customer_id),
        serde_json::json!({"reason": reason, "from_user_id": from, "to_user_id": to}),
        now,
    )
    .await?;
    Audit::by(actor, now)
        .record(tx, "customer", customer_id, action, &owner_change(from, to))
        .await
}

/// Moves the customer's open work to its new owner, as `domain::ownership` says what follows a
/// customer: open opportunities and orders with something still owed.
async fn move_open_work(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    customer_id: i64,
    new_owner: i64,
    at: &str,
) -> Result<()> {
    use yingpan_domain::opportunity::Status;
    use yingpan_domain::ownership::{opportunity_follows_customer, order_follows_customer};
    let open: Vec<&str> = [Status::Open, Status::Won, Status::Lost]
        .into_iter()
        .filter(|s| opportunity_follows_customer(*s))
        .map(Status::as_str)
        .collect();
    for status in open {
        sqlx::query(
            "UPDATE opportunities SET owner_id = $1, version = version + 1, updated_at = $2 \
             WHERE org_id = $3 AND customer_id = $4 AND status = $5 AND owner_id <> $1",
        )
        .bind(new_owner)
        .bind(at)
        .bind(org_id)
        .bind(customer_id)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    }
    for settled in [false, true]
        .into_iter()
        .filter(|s| order_follows_customer(*s))
    {
        // The orders' figures (and the money moved on them) go with them to the new owner.
        let mut touched = crate::rollup::Touched::default();
        let moving = sqlx::query(
            "SELECT o.owner_id, o.created_at, o.currency, p.recorded_at, p.kind, p.amount FROM orders o \
             LEFT JOIN order_payments p ON p.order_id = o.id AND p.org_id = o.org_id \
             WHERE o.org_id = $1 AND o.customer_id = $2 AND o.settled = $3 AND o.owner_id <> $4",
        )
        .bind(org_id)
        .bind(customer_id)
        .bind(i64::from(settled))
        .bind(new_owner)
        .fetch_all(&mut **tx)
        .await?;
        for r in &moving {
            let created: String = r.try_get("created_at")?;
            let from: i64 = r.try_get("owner_id")?;
            touched.add(from, &created, crate::rollup::Part::Orders)?;
            touched.add(new_owner, &created, crate::rollup::Part::Orders)?;
            let currency: String = r.try_get("currency")?;
            if let Some(paid) = r.try_get::<Option<String>, _>("recorded_at")? {
                if currency == yingpan_domain::weekly_report::REPORTING_CURRENCY {
                    let amount = crate::signed_payment(
                        &r.try_get::<String, _>("kind")?,
                        &r.try_get::<String, _>("amount")?,
                    )?;
                    touched.collected(from, &paid, -amount)?;
                    touched.collected(new_owner, &paid, amount)?;
                }
            }
        }
        sqlx::query(
            "UPDATE orders SET owner_id = $1, version = version + 1, updated_at = $2 \
             WHERE org_id = $3 AND customer_id = $4 AND settled = $5 AND owner_id <> $1",
        )
        .bind(new_owner)
        .bind(at)
        .bind(org_id)
        .bind(customer_id)
        .bind(i64::from(settled))
        .execute(&mut **tx)
        .await?;
        crate::rollup::refresh(tx, org_id, touched).await?;
    }
    Ok(())
}

/// Moves every live customer of `from` to `to` (or the pool), with history and audit.
pub(crate) async fn move_all_customers(
    tx: &mut Transaction<'_, Any>,
    actor: &Viewer,
    from: i64,
    to: Option<i64>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let rows = sqlx::query(
        "SELECT id FROM customers WHERE org_id = $1 AND owner_id = $2 AND deleted_at IS NULL",
    )
    .bind(actor.org_id)
    .bind(from)
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        change_owner(tx, actor, r.try_get(0)?, Some(from), to, reason, None, now).await?;
    }
    Ok(rows.len() as u64)
}

/// The owner of a live customer within the viewer's scope.
async fn scoped_owner(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
) -> Result<Option<i64>> {
    let mut sql = Sql::new("SELECT c.owner_id FROM customers c WHERE");
    push_scope(&mut sql, viewer, "c");
    sql.push(" AND c.deleted_at IS NULL AND c.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.try_get(0)?)
}

async fn count(
    tx: &mut Transaction<'_, Any>,
    sql: &str,
    org: i64,
    user: i64,
    extra: Option<String>,
) -> Result<i64> {
    let mut q = sqlx::query(sql).bind(org).bind(user);
    if let Some(e) = extra {
        q = q.bind(e);
    }
    Ok(q.fetch_one(&mut **tx).await?.try_get(0)?)
}

fn pool_customer(r: &sqlx::any::AnyRow) -> Result<PoolCustomer> {
    Ok(PoolCustomer {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        region: r.try_get("region")?,
        industry: r.try_get("industry")?,
        last_contact_at: r.try_get("last_contact_at")?,
        pool_id: r.try_get("pool_id")?,
        pool_name: r.try_get("pool_name")?,
    })
}

impl Store {
    /// Unowned customers in the pools the viewer may see (optionally one pool: `Some(None)`
    /// is the company pool).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    /// Pool customers the viewer may see and claim whose name, pinyin, phone or e-mail contains
    /// `q` (as the customer search reads it), for a picker: at most `limit`, latest contact first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn pool_search(
        &self,
        viewer: &Viewer,
        q: &str,
        limit: i64,
    ) -> Result<Vec<PoolCustomer>> {
        let Some(needle) = yingpan_domain::search::normalize_query(q) else {
            return Ok(Vec::new());
        };
        let mut sql = Sql::new(
            "SELECT c.id, c.kind, c.name, c.region, c.industry, c.last_contact_at, c.pool_id, p.name AS pool_name \
             FROM customers c LEFT JOIN pools p ON p.id = c.pool_id AND p.org_id = c.org_id WHERE c.org_id = ",
        );
        sql.bind(viewer.org_id)
            .push(" AND c.owner_id IS NULL AND c.deleted_at IS NULL");
        crate::pool_definitions::visible_pools_condition(viewer, &mut sql);
        crate::customer::push_search(
            &mut sql,
            &needle,
            crate::customer::uses_trigrams(self.backend, &needle),
            self.backend,
        );
        sql.push(" ORDER BY c.last_contact_at DESC, c.id DESC LIMIT ")
            .bind(limit.clamp(1, 50));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(pool_customer)
            .collect()
    }

    pub async fn pool(
        &self,
        viewer: &Viewer,
        pool: Option<Option<i64>>,
        page: i64,
        per_page: i64,
    ) -> Result<(Vec<PoolCustomer>, i64)> {
        // The same filter over the customers or over their tally (migration 0027, SQLite),
        // where owner 0 is the pool and pool 0 is "no pool".
        let build_on = |mut sql: Sql, unowned: &str, no_pool: &str| {
            sql.push(" WHERE c.org_id = ")
                .bind(viewer.org_id)
                .push(unowned);
            crate::pool_definitions::visible_pools_condition(viewer, &mut sql);
            match pool {
                Some(Some(p)) => {
                    sql.push(" AND c.pool_id = ").bind(p);
                }
                Some(None) => {
                    sql.push(no_pool);
                }
                None => {}
            }
            sql
        };
        let build = |select: &str, unowned: &str, no_pool: &str| {
            build_on(Sql::new(select), unowned, no_pool)
        };
        const UNOWNED: &str = " AND c.owner_id IS NULL AND c.deleted_at IS NULL";
        const NO_POOL: &str = " AND c.pool_id IS NULL";
        // PostgreSQL's tally is its folded rows plus the changes not folded yet (migration 0063).
        let mut tally = Sql::new("SELECT CAST(COALESCE(SUM(c.live), 0) AS BIGINT) FROM ");
        crate::sql::push_counted(
            &mut tally,
            self.backend,
            viewer.org_id,
            "customer_tally",
            "customer_tally_changes",
            "org_id, owner_id, pool_id, live",
            "c",
        );
        let count = build_on(tally, " AND c.owner_id = 0", " AND c.pool_id = 0");
        let total: i64 = count.query().fetch_one(&self.read).await?.try_get(0)?;
        let per_page = per_page.clamp(1, 200);
        let mut list = build(
            "SELECT c.id, c.kind, c.name, c.region, c.industry, c.last_contact_at, c.pool_id, p.name AS pool_name \
             FROM customers c LEFT JOIN pools p ON p.id = c.pool_id AND p.org_id = c.org_id",
            UNOWNED,
            NO_POOL,
        );
        list.push(" ORDER BY c.last_contact_at DESC, c.id DESC LIMIT ")
            .bind(per_page)
            .push(" OFFSET ")
            .bind((page.max(1) - 1) * per_page);
        let rows = list.query().fetch_all(&self.read).await?;
        let items = rows.iter().map(pool_customer).collect::<Result<_>>()?;
        Ok((items, total))
    }

    /// Makes the viewer the owner of a pool customer, within the company's claim rules. Of two
    /// simultaneous claims exactly one wins: the update only applies while the customer is
    /// still unowned.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn claim(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<()> {
        match self.claim_once(viewer, id, now).await {
            Err(e) if e.is_retryable() => {
                tracing::warn!(error = ?e, "claim rolled back by the database; retrying once");
                self.claim_once(viewer, id, now).await
            }
            other => other,
        }
    }

    async fn claim_once(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<()> {
        let org = self.organization(viewer.org_id).await?.settings;
        let mut tx = self.write.begin().await?;
        if self.backend == Backend::Postgres {
            // One salesperson's claims are counted and made one at a time. An advisory lock,
            // not a row lock on the user: `FOR UPDATE` on users conflicts with the key-share
            // locks that foreign keys to users take in every other transaction, and concurrent
            // claims deadlocked on it (customers row vs users row).
            sqlx::query("SELECT pg_advisory_xact_lock(4, CAST($1 AS INTEGER))")
                .bind(viewer.user_id)
                .execute(&mut *tx)
                .await?;
        }
        // A customer in a pool the viewer may not see does not exist for them.
        let mut visible = Sql::new("SELECT c.owner_id FROM customers c WHERE c.org_id = ");
        visible
            .bind(viewer.org_id)
            .push(" AND c.id = ")
            .bind(id)
            .push(" AND c.deleted_at IS NULL");
        crate::pool_definitions::visible_pools_condition(viewer, &mut visible);
        let row = visible
            .query()
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let owner: Option<i64> = row.try_get(0)?;
        if owner.is_some() {
            // Someone else's customer is as unknown as a missing id, unless the caller could
            // see it anyway: in scope, or taken from a pool open to them a moment ago (the
            // race the caller lost).
            let in_scope = scoped_owner(&mut tx, viewer, id).await.is_ok();
            let just_claimed: i64 = sqlx::query(
                "SELECT COUNT(*) FROM ownership_changes WHERE org_id = $1 AND customer_id = $2 \
                 AND reason = 'claim' AND changed_at > $3",
            )
            .bind(viewer.org_id)
            .bind(id)
            .bind(ts(now - Duration::minutes(JUST_CLAIMED_MINUTES)))
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if !in_scope && just_claimed == 0 {
                return Err(StoreError::NotFound);
            }
            return Err(StoreError::taken(
                "already_owned",
                "this customer already has an owner",
            ));
        }
        // The facts the company's claim rules need (each only while its rule is on); the
        // decision is the domain's.
        let rules = org.claim_rules();
        let mut facts = ClaimFacts::default();
        if let Some(since) = rules.cooldown_since(now) {
            let lost: i64 = sqlx::query(
                "SELECT COUNT(*) FROM ownership_changes WHERE org_id = $1 AND customer_id = $2 \
                 AND from_user_id = $3 AND to_user_id IS NULL AND changed_at > $4",
            )
            .bind(viewer.org_id)
            .bind(id)
            .bind(viewer.user_id)
            .bind(ts(since))
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            facts.lost_within_cooldown = lost > 0;
        }
        if rules.caps_holdings() {
            facts.held = count(&mut tx, if org.holding_cap_counts_deals {
                    "SELECT COUNT(*) FROM customers WHERE org_id = $1 AND owner_id = $2 AND deleted_at IS NULL"
                } else {
                    "SELECT COUNT(*) FROM customers WHERE org_id = $1 AND owner_id = $2 AND deleted_at IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.org_id = customers.org_id AND x.customer_id = customers.id AND x.status = 'won')"
                }, viewer.org_id, viewer.user_id, None).await?;
        }
        if let Some(since) = rules.window_since(now) {
            facts.claimed_in_window = count(
                &mut tx,
                "SELECT COUNT(*) FROM ownership_changes WHERE org_id = $1 AND to_user_id = $2 AND reason = 'claim' AND changed_at > $3",
                viewer.org_id,
                viewer.user_id,
                Some(ts(since)),
            )
            .await?;
        }
        check_claim(&rules, &facts).map_err(yingpan_domain::Refusal::from)?;
        let n = sqlx::query(
            "UPDATE customers SET owner_id = $1 WHERE org_id = $2 AND id = $3 AND owner_id IS NULL",
        )
        .bind(viewer.user_id)
        .bind(viewer.org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::taken(
                "already_owned",
                "this customer already has an owner",
            ));
        }
        change_owner(
            &mut tx,
            viewer,
            id,
            None,
            Some(viewer.user_id),
            "claim",
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts a customer back into the pool by hand, with a reason: its owner, or a manager
    /// within scope (the web layer checks the role).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn release(
        &self,
        viewer: &Viewer,
        id: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let note = reason_note(reason)?;
        let mut tx = self.write.begin().await?;
        let owner = scoped_owner(&mut tx, viewer, id).await?;
        let Some(owner) = owner else {
            return Err(StoreError::rule(
                "already_in_pool",
                "this customer is already in the public pool",
            ));
        };
        change_owner(
            &mut tx,
            viewer,
            id,
            Some(owner),
            None,
            "release",
            Some(&note),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Transfers customers (all or nothing) to an active person the viewer may assign to.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn transfer(
        &self,
        viewer: &Viewer,
        ids: &[i64],
        to: i64,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let note = reason_note(reason)?;
        if ids.is_empty() || ids.len() > 1000 {
            return Err(ValidationError::new(
                "customer_ids",
                "out_of_range",
                "give between 1 and 1000 customers",
            )
            .into());
        }
        let mut tx = self.write.begin().await?;
        if !crate::customer::assignable_owner(&mut tx, viewer, to).await? {
            return Err(ValidationError::new(
                "to_user_id",
                "invalid_owner",
                "the new owner must be an active person in your team",
            )
            .into());
        }
        let mut moved = 0;
        for &id in ids {
            let from = scoped_owner(&mut tx, viewer, id).await?;
            if from == Some(to) {
                continue;
            }
            change_owner(
                &mut tx,
                viewer,
                id,
                from,
                Some(to),
                "transfer",
                Some(&note),
                now,
            )
            .await?;
            moved += 1;
        }
        tx.commit().await?;
        Ok(moved)
    }

    /// Every change of owner of a customer the viewer may see, oldest first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn ownership_history(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> Result<Vec<OwnershipChange>> {
        let mut tx = self.read.begin().await?;
        crate::customer_scope_check(&mut tx, viewer, id).await?;
        let rows = sqlx::query(
            "SELECT h.from_user_id, f.display_name AS from_name, h.to_user_id, t.display_name AS to_name, \
             h.reason, h.note, h.actor_id, h.changed_at FROM ownership_changes h \
             LEFT JOIN users f ON f.id = h.from_user_id AND f.org_id = h.org_id LEFT JOIN users t ON t.id = h.to_user_id AND t.org_id = h.org_id \
             WHERE h.org_id = $1 AND h.customer_id = $2 ORDER BY h.changed_at, h.id",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(OwnershipChange {
                    from_user_id: r.try_get("from_user_id")?,
                    from_name: r.try_get("from_name")?,
                    to_user_id: r.try_get("to_user_id")?,
                    to_name: r.try_get("to_name")?,
                    reason: r.try_get("reason")?,
                    note: r.try_get("note")?,
                    actor_id: r.try_get("actor_id")?,
                    changed_at: r.try_get("changed_at")?,
                })
            })
            .collect()
    }

    /// Returns every customer past its protection period to the pool, in every organization.
    /// Idempotent: a second run at the same instant finds nothing left to move. Two set-based
    /// statements per organization, so it scales with the database, not with round trips.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn recycle(&self, now: DateTime<Utc>) -> Result<u64> {
        let orgs = sqlx::query("SELECT id FROM organizations")
            .fetch_all(&self.read)
            .await?;
        let mut moved = 0;
        for o in &orgs {
            let org_id: i64 = o.try_get(0)?;
            let rules = self.organization(org_id).await?.settings;
            let (exempt_open, exempt_deal) =
                (rules.exempt_open_opportunity, rules.exempt_with_deal);
            let company = rules.protection();
            let pools = self.pools(org_id).await?;
            let mut tx = self.write.begin().await?;
            if self.backend == Backend::Postgres {
                // Several app servers may run the schedule; one recycles an organization at a time.
                sqlx::query("SELECT pg_advisory_xact_lock(2, CAST($1 AS INTEGER))")
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
            }
            // One pair of set-based statements per pool and tier, each with its own period.
            let periods: Vec<(i64, PoolPeriods)> =
                pools.iter().map(|p| (p.id, p.periods())).collect();
            for rule in recycle_rules(company, &periods) {
                let cutoff = ts(rule.policy.recycle_cutoff(now));
                let condition = |sql: &mut Sql| {
                    sql.push(" WHERE org_id = ")
                            .bind(org_id)
                            .push(" AND owner_id IS NOT NULL AND deleted_at IS NULL AND last_contact_at < ")
                            .bind(cutoff.clone());
                    match rule.pool_id {
                        Some(p) => sql.push(" AND pool_id = ").bind(p),
                        None => sql.push(" AND pool_id IS NULL"),
                    };
                    match rule.tier {
                        Some(t) => sql.push(" AND tier = ").bind(t.as_str()),
                        None => sql.push(" AND tier IS NULL"),
                    };
                    if exempt_open {
                        sql.push(" AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.org_id = customers.org_id AND x.customer_id = customers.id AND x.status = 'open')");
                    }
                    if exempt_deal {
                        sql.push(" AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.org_id = customers.org_id AND x.customer_id = customers.id AND x.status = 'won')");
                    }
                };
                let mut history = Sql::new(
                        "INSERT INTO ownership_changes (org_id, customer_id, from_user_id, to_user_id, reason, actor_id, changed_at) \
                         SELECT org_id, id, owner_id, NULL, 'recycle', NULL, ",
                    );
                history.bind(ts(now)).push(" FROM customers");
                condition(&mut history);
                history.query().execute(&mut *tx).await?;
                let mut update = Sql::new(
                    "UPDATE customers SET owner_id = NULL, version = version + 1, updated_at = ",
                );
                update.bind(ts(now));
                condition(&mut update);
                moved += update.query().execute(&mut *tx).await?.rows_affected();
            }
            // Activity triggers: held for N days without opening an opportunity / winning a deal.
            let triggers = [
                (
                    rules.no_opportunity_days,
                    rules.no_opportunity_days_by_tier,
                    "x.created_at >= ",
                ),
                (
                    rules.no_deal_days,
                    rules.no_deal_days_by_tier,
                    "x.status = 'won' AND x.closed_at >= ",
                ),
            ];
            let mut combos: Vec<(Option<Tier>, i64, TierDays, &'static str)> = Vec::new();
            for tier in [
                None,
                Some(Tier::Priority),
                Some(Tier::General),
                Some(Tier::Last),
            ] {
                for (default_days, by_tier, evidence) in triggers {
                    combos.push((tier, default_days, by_tier, evidence));
                }
            }
            for (tier, default_days, by_tier, evidence) in combos {
                let days = by_tier.for_tier(default_days, tier);
                if days <= 0 {
                    continue;
                }
                let cutoff = ts(now - chrono::Duration::days(days));
                let condition = |sql: &mut Sql| {
                    sql.push(" WHERE org_id = ")
                        .bind(org_id)
                        .push(
                            " AND owner_id IS NOT NULL AND deleted_at IS NULL \
                             AND (SELECT MAX(h.changed_at) FROM ownership_changes h WHERE h.org_id = customers.org_id \
                             AND h.customer_id = customers.id AND h.to_user_id = customers.owner_id) < ",
                        )
                        .bind(cutoff.clone())
                        .push(" AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.org_id = customers.org_id AND x.customer_id = customers.id AND ")
                        .push(evidence)
                        .bind(cutoff.clone())
                        .push(")");
                    match tier {
                        Some(t) => sql.push(" AND tier = ").bind(t.as_str()),
                        None => sql.push(" AND tier IS NULL"),
                    };
                    if exempt_open {
                        sql.push(" AND NOT EXISTS (SELECT 1 FROM opportunities y WHERE y.customer_id = customers.id AND y.status = 'open')");
                    }
                    if exempt_deal {
                        sql.push(" AND NOT EXISTS (SELECT 1 FROM opportunities y WHERE y.customer_id = customers.id AND y.status = 'won')");
                    }
                };
                let mut history = Sql::new(
                    "INSERT INTO ownership_changes (org_id, customer_id, from_user_id, to_user_id, reason, actor_id, changed_at) \
                     SELECT org_id, id, owner_id, NULL, 'recycle', NULL, ",
                );
                history.bind(ts(now)).push(" FROM customers");
                condition(&mut history);
                history.query().execute(&mut *tx).await?;
                let mut update = Sql::new(
                    "UPDATE customers SET owner_id = NULL, version = version + 1, updated_at = ",
                );
                update.bind(ts(now));
                condition(&mut update);
                moved += update.query().execute(&mut *tx).await?.rows_affected();
            }
            crate::webhook::emit_recycled(&mut tx, org_id, now).await?;
            tx.commit().await?;
        }
        Ok(moved)
    }
}
