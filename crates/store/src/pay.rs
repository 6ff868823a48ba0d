//! Pay: plans, the month's facts of each salesperson (`yingpan_domain::pay::PayFacts`), the
//! sheets computed from them by the domain, rewards and penalties, review, approval and the
//! closing of a month (its sheets frozen as they were approved).

use crate::audit::Audit;
use crate::{decimal as dec, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::daily_report::DailyReport;
use yingpan_domain::error::ValidationError;
use yingpan_domain::pay::{
    check_plan, compute, contacts_expected, plan_for, Adjustment, CadenceFact, CommissionOrder,
    PayFacts, PayPlan, PaySheet, SoldLine,
};
use yingpan_domain::person::{Role, Scope};
use yingpan_domain::qualification::Tier;
use yingpan_domain::target::{target_for, Dimension, Measure, TargetKey, TargetPeriod};
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::Period;

struct MonthContext {
    closed: bool,
    plan: Option<PayPlan>,
    /// The month's facts of the people whose sheets are computed live.
    facts: HashMap<i64, PayFacts>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredPayPlan {
    pub effective_month: String,
    pub plan: PayPlan,
    pub version: i64,
    pub updated_at: String,
}

/// Where a sheet stands: computed live (`open`), reviewed by the supervisor, approved by the
/// director, or frozen with its month (`closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SheetStatus {
    Open,
    Reviewed,
    Approved,
    Closed,
}

impl SheetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SheetStatus::Open => "open",
            SheetStatus::Reviewed => "reviewed",
            SheetStatus::Approved => "approved",
            SheetStatus::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredSheet {
    pub month: String,
    pub user_id: i64,
    pub name: String,
    pub status: SheetStatus,
    pub reviewed_by: Option<String>,
    pub approved_by: Option<String>,
    /// None when no pay plan is in force for the month.
    pub sheet: Option<PaySheet>,
}

/// `YYYY-MM` → the month's period.
pub fn parse_month(field: &'static str, raw: &str) -> std::result::Result<Period, ValidationError> {
    let bad = || ValidationError::new(field, "invalid_month", "must be a month like 2026-11");
    let (y, m) = raw.trim().split_once('-').ok_or_else(bad)?;
    if m.len() != 2 {
        return Err(bad());
    }
    let (y, m) = (
        y.parse::<i32>().map_err(|_| bad())?,
        m.parse::<u32>().map_err(|_| bad())?,
    );
    if !(2000..=2100).contains(&y) {
        return Err(bad());
    }
    let first = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    Ok(Period::month_of(first))
}

fn month_key(p: Period) -> String {
    p.start.format("%Y-%m").to_string()
}

impl Store {
    pub async fn pay_plans(&self, org_id: i64) -> Result<Vec<StoredPayPlan>> {
        let rows = sqlx::query(
            "SELECT effective_month, plan, version, updated_at FROM pay_plans WHERE org_id = $1 ORDER BY effective_month",
        )
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredPayPlan {
                    effective_month: r.try_get("effective_month")?,
                    plan: serde_json::from_str(&r.try_get::<String, _>("plan")?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    version: r.try_get("version")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    async fn month_closed(
        &self,
        conn: &mut sqlx::AnyConnection,
        org_id: i64,
        month: &str,
    ) -> Result<bool> {
        Ok(
            sqlx::query("SELECT 1 FROM pay_months WHERE org_id = $1 AND month = $2")
                .bind(org_id)
                .bind(month)
                .fetch_optional(&mut *conn)
                .await?
                .is_some(),
        )
    }

    /// Saves the plan that takes effect in `month`. `expected_version` is the stored plan's
    /// version (none for a new one). A month already closed, or a plan that would change one
    /// (a closed month later than `month`), is refused.
    pub async fn save_pay_plan(
        &self,
        viewer: &Viewer,
        month: Period,
        plan: &PayPlan,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredPayPlan> {
        check_plan(plan)?;
        let key = month_key(month);
        let mut tx = self.write.begin().await?;
        let closed: Option<String> =
            sqlx::query("SELECT MAX(month) AS m FROM pay_months WHERE org_id = $1 AND month >= $2")
                .bind(viewer.org_id)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await?
                .try_get("m")?;
        if let Some(closed) = closed {
            return Err(ValidationError::new(
                "effective_month",
                "month_closed",
                format!("pay for {closed} is closed; a plan can take effect after it only"),
            )
            .into());
        }
        let current = sqlx::query(
            "SELECT version, plan FROM pay_plans WHERE org_id = $1 AND effective_month = $2",
        )
        .bind(viewer.org_id)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let json = serde_json::to_string(plan).expect("a plan serialises");
        let stored_version = current
            .as_ref()
            .map(|r| r.try_get::<i64, _>("version"))
            .transpose()?;
        if stored_version != expected_version {
            return Err(StoreError::VersionConflict {
                current: stored_version.unwrap_or(0),
            });
        }
        let before: Option<String> = current.as_ref().map(|r| r.try_get("plan")).transpose()?;
        let version = match stored_version {
            Some(v) => {
                sqlx::query("UPDATE pay_plans SET plan = $1, version = version + 1, updated_by = $2, updated_at = $3 WHERE org_id = $4 AND effective_month = $5")
                    .bind(&json)
                    .bind(viewer.user_id)
                    .bind(ts(now))
                    .bind(viewer.org_id)
                    .bind(&key)
                    .execute(&mut *tx)
                    .await?;
                v + 1
            }
            None => {
                sqlx::query("INSERT INTO pay_plans (org_id, effective_month, plan, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(viewer.org_id)
                    .bind(&key)
                    .bind(&json)
                    .bind(viewer.user_id)
                    .bind(ts(now))
                    .execute(&mut *tx)
                    .await?;
                1
            }
        };
        let id: i64 =
            sqlx::query("SELECT id FROM pay_plans WHERE org_id = $1 AND effective_month = $2")
                .bind(viewer.org_id)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "pay_plan",
                id,
                if before.is_some() { "update" } else { "create" },
                &[FieldChange {
                    field: format!("plan {key}"),
                    before,
                    after: Some(json),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok(StoredPayPlan {
            effective_month: key,
            plan: plan.clone(),
            version,
            updated_at: ts(now),
        })
    }

    /// The salespeople whose sheets the viewer sees: their own, their team's, everyone's.
    /// Pay is private: those who do not review pay see their own sheet only, whatever else
    /// their scope lets them read (a clerk reads every customer, not everyone's pay).
    async fn paid_people(&self, viewer: &Viewer) -> Result<Vec<crate::User>> {
        use yingpan_domain::permission::{allows, Action, Policy};
        let people = if allows(viewer.role, Action::ReviewPay, &Policy::default()) {
            self.people_in_scope(viewer).await?
        } else {
            vec![self.user(viewer.org_id, viewer.user_id).await?]
        };
        Ok(people
            .into_iter()
            .filter(|u| u.role == Role::Sales)
            .collect())
    }

    /// The month's facts of each of `people`, with one query per kind of fact for all of them
    /// (the director's pay page reads every salesperson's month at once).
    async fn pay_facts(
        &self,
        org_id: i64,
        people: &[i64],
        month: Period,
        targets: &BTreeMap<TargetKey, Decimal>,
    ) -> Result<HashMap<i64, PayFacts>> {
        let mut out: HashMap<i64, PayFacts> = people
            .iter()
            .map(|p| {
                (
                    *p,
                    PayFacts {
                        working_days: month.working_days(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        if people.is_empty() {
            return Ok(out);
        }
        // Ids are integers from the store, written into the statement: a parameter per person
        // would pass SQLite's limit in a large company.
        let ids = people
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let (from, to) = month.bounds(china_offset());
        let (from, to) = (ts(from), ts(to));
        let (first, next) = (month.start.to_string(), month.end.to_string());
        let filled = |c: &str| format!("{c} IS NOT NULL AND TRIM({c}) <> ''");
        let rows = sqlx::query(&format!(
            "SELECT created_by AS who, COUNT(*) AS n FROM customers WHERE org_id = $1 AND created_by IN ({ids}) \
             AND created_at >= $2 AND created_at < $3 AND deleted_at IS NULL AND {} AND ({} OR {}) AND {} AND {} AND {} \
             GROUP BY created_by",
            filled("name"),
            filled("phone"),
            filled("email"),
            filled("region"),
            filled("industry"),
            filled("source"),
        ))
        .bind(org_id)
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.read)
        .await?;
        for r in &rows {
            if let Some(f) = out.get_mut(&r.try_get::<i64, _>("who")?) {
                f.complete_cards = r.try_get::<i64, _>("n")? as u32;
            }
        }

        let days = (month.end - month.start).num_days() as u32;
        let rows = sqlx::query(&format!(
            "SELECT c.owner_id AS who, c.tier, (SELECT COUNT(*) FROM activities a WHERE a.org_id = c.org_id AND a.customer_id = c.id \
             AND a.user_id = c.owner_id AND a.kind IN ('call', 'visit', 'meeting') AND a.occurred_at >= $2 AND a.occurred_at < $3) AS made \
             FROM customers c WHERE c.org_id = $1 AND c.owner_id IN ({ids}) AND c.tier IS NOT NULL AND c.deleted_at IS NULL"
        ))
        .bind(org_id)
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.read)
        .await?;
        for r in &rows {
            let Ok(tier) = Tier::parse(&r.try_get::<String, _>("tier")?) else {
                continue;
            };
            let every = tier.cadence().call_every.num_days().max(1) as u32;
            if let Some(f) = out.get_mut(&r.try_get::<i64, _>("who")?) {
                f.cadence.push(CadenceFact {
                    expected: contacts_expected(days, every),
                    made: r.try_get::<i64, _>("made")? as u32,
                });
            }
        }

        let rows = sqlx::query(&format!(
            "SELECT user_id AS who, COUNT(DISTINCT plan_date) AS n FROM visit_plans WHERE org_id = $1 AND user_id IN ({ids}) \
             AND plan_date >= $2 AND plan_date < $3 AND revision = 1 AND submitted_at IS NOT NULL AND late = 0 GROUP BY user_id"
        ))
        .bind(org_id)
        .bind(&first)
        .bind(&next)
        .fetch_all(&self.read)
        .await?;
        for r in &rows {
            if let Some(f) = out.get_mut(&r.try_get::<i64, _>("who")?) {
                f.plans_on_time = r.try_get::<i64, _>("n")? as u32;
            }
        }
        let reports = sqlx::query(&format!(
            "SELECT user_id AS who, late, content FROM daily_reports WHERE org_id = $1 AND user_id IN ({ids}) \
             AND report_date >= $2 AND report_date < $3"
        ))
        .bind(org_id)
        .bind(&first)
        .bind(&next)
        .fetch_all(&self.read)
        .await?;
        for r in &reports {
            let Some(f) = out.get_mut(&r.try_get::<i64, _>("who")?) else {
                continue;
            };
            if r.try_get::<i64, _>("late")? == 0 {
                f.reports_on_time += 1;
            }
            let content: DailyReport = serde_json::from_str(&r.try_get::<String, _>("content")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if content.is_complete() {
                f.reports_complete += 1;
            }
        }

        let target = |person: i64, period: Period| {
            target_for(
                targets,
                &TargetKey {
                    measure: Measure::Revenue,
                    assignee_id: Some(person),
                    period: TargetPeriod::Year(period.start.year()),
                    dimension: Dimension::total(),
                },
                period,
            )
        };
        // Sales per person from the rollups: one person's rows for one sheet, the whole
        // company's rows of the span (read once) for a list.
        let root = match people {
            [one] => Some(*one),
            _ => None,
        };
        let sales = |tallies: Vec<(i64, yingpan_domain::rollup::Tally)>| -> HashMap<i64, Decimal> {
            tallies.into_iter().map(|(who, t)| (who, t.sales)).collect()
        };
        // Each week that starts in the month.
        let mut week = Period::week_of(month.start);
        if week.start < month.start {
            week = Period::week_of(week.end);
        }
        while week.start < month.end {
            let s = sales(self.period_tallies(org_id, root, week).await?);
            for (p, f) in out.iter_mut() {
                f.weeks
                    .push((s.get(p).copied().unwrap_or_default(), target(*p, week)));
            }
            week = Period::week_of(week.end);
        }
        let s = sales(self.period_tallies(org_id, root, month).await?);
        for (p, f) in out.iter_mut() {
            f.revenue = s.get(p).copied().unwrap_or_default();
            f.revenue_target = target(*p, month);
        }

        let orders = sqlx::query(&format!(
            "SELECT o.id, o.commission_owner_id AS who, c.name AS customer_name, o.commission_at, o.created_by, u.display_name AS taker \
             FROM orders o JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id LEFT JOIN users u ON u.id = o.created_by AND u.org_id = o.org_id \
             WHERE o.org_id = $1 AND o.commission_owner_id IN ({ids}) AND o.commission_at >= $2 AND o.commission_at < $3 \
             ORDER BY o.commission_at, o.id"
        ))
        .bind(org_id)
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.read)
        .await?;
        let order_ids = orders
            .iter()
            .map(|r| r.try_get::<i64, _>("id").map(|i| i.to_string()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut lines: HashMap<i64, Vec<SoldLine>> = HashMap::new();
        for chunk in order_ids.chunks(500) {
            let rows = sqlx::query(&format!(
                "SELECT order_id, product_id, product_name, category, amount FROM order_lines \
                 WHERE org_id = $1 AND order_id IN ({}) ORDER BY id",
                chunk.join(",")
            ))
            .bind(org_id)
            .fetch_all(&self.read)
            .await?;
            for l in &rows {
                lines
                    .entry(l.try_get("order_id")?)
                    .or_default()
                    .push(SoldLine {
                        product_id: l.try_get("product_id")?,
                        product: l.try_get("product_name")?,
                        category: l.try_get("category")?,
                        amount: dec(&l.try_get::<String, _>("amount")?)?,
                    });
            }
        }
        for r in &orders {
            let id: i64 = r.try_get("id")?;
            let who: i64 = r.try_get("who")?;
            let Some(f) = out.get_mut(&who) else { continue };
            let at: String = r.try_get("commission_at")?;
            f.commission_orders.push(CommissionOrder {
                order_id: id,
                customer_name: r.try_get("customer_name")?,
                deposit_on: crate::rollup::local_day(&at)?.to_string(),
                taken_by: (r.try_get::<i64, _>("created_by")? != who)
                    .then(|| r.try_get("taker"))
                    .transpose()?,
                lines: lines.remove(&id).unwrap_or_default(),
            });
        }

        // Referrals that count (checked when registered or linked), credited to the person,
        // whose referred customer paid its first deposit this month.
        let referrals = sqlx::query(&format!(
            "SELECT r.credited_to AS who, c.name AS referred, rc.name AS referrer FROM referrals r \
             JOIN customers rc ON rc.id = r.referrer_id AND rc.org_id = r.org_id JOIN customers c ON c.id = r.referred_customer_id AND c.org_id = r.org_id \
             WHERE r.org_id = $1 AND r.credited_to IN ({ids}) AND \
             (SELECT MIN(o.commission_at) FROM orders o WHERE o.org_id = r.org_id AND o.customer_id = r.referred_customer_id) >= $2 AND \
             (SELECT MIN(o.commission_at) FROM orders o WHERE o.org_id = r.org_id AND o.customer_id = r.referred_customer_id) < $3 \
             ORDER BY r.id"
        ))
        .bind(org_id)
        .bind(&from)
        .bind(&to)
        .fetch_all(&self.read)
        .await?;
        for r in &referrals {
            if let Some(f) = out.get_mut(&r.try_get::<i64, _>("who")?) {
                f.referrals
                    .push((r.try_get("referred")?, r.try_get("referrer")?));
            }
        }

        let adjustments = sqlx::query(&format!(
            "SELECT a.id, a.user_id AS who, a.amount, a.reason, u.display_name FROM pay_adjustments a \
             JOIN users u ON u.id = a.entered_by AND u.org_id = a.org_id \
             WHERE a.org_id = $1 AND a.month = $2 AND a.user_id IN ({ids}) ORDER BY a.id"
        ))
        .bind(org_id)
        .bind(month_key(month))
        .fetch_all(&self.read)
        .await?;
        for r in &adjustments {
            if let Some(f) = out.get_mut(&r.try_get::<i64, _>("who")?) {
                f.adjustments.push(Adjustment {
                    id: r.try_get("id")?,
                    amount: dec(&r.try_get::<String, _>("amount")?)?,
                    reason: r.try_get("reason")?,
                    entered_by: r.try_get("display_name")?,
                });
            }
        }
        Ok(out)
    }

    /// The sheets of the month the viewer sees, each computed by the domain from the month's
    /// facts — or, once the month is closed, as frozen then.
    pub async fn pay_sheets(&self, viewer: &Viewer, month: Period) -> Result<Vec<StoredSheet>> {
        let people: Vec<crate::User> = self
            .paid_people(viewer)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect();
        let ids: Vec<i64> = people.iter().map(|u| u.id).collect();
        let ctx = self.month_context(viewer.org_id, month, &ids).await?;
        let mut out = Vec::new();
        for u in &people {
            out.push(self.sheet_of(viewer.org_id, u, month, &ctx).await?);
        }
        Ok(out)
    }

    /// The person whose pay the viewer may see (404 otherwise).
    async fn paid_person(&self, viewer: &Viewer, person: i64) -> Result<crate::User> {
        self.paid_people(viewer)
            .await?
            .into_iter()
            .find(|u| u.id == person)
            .ok_or(StoreError::NotFound)
    }

    /// One person's sheet, if the viewer may see it.
    pub async fn pay_sheet(
        &self,
        viewer: &Viewer,
        month: Period,
        person: i64,
    ) -> Result<StoredSheet> {
        let u = self.paid_person(viewer, person).await?;
        let ctx = self.month_context(viewer.org_id, month, &[u.id]).await?;
        self.sheet_of(viewer.org_id, &u, month, &ctx).await
    }

    /// What every sheet of the month shares: whether it is closed, the plan in force, the
    /// published targets — read once for a list of sheets.
    async fn month_context(
        &self,
        org_id: i64,
        month: Period,
        people: &[i64],
    ) -> Result<MonthContext> {
        let key = month_key(month);
        let closed = {
            let mut conn = self.read.acquire().await?;
            self.month_closed(&mut conn, org_id, &key).await?
        };
        let plans: Vec<(String, PayPlan)> = self
            .pay_plans(org_id)
            .await?
            .into_iter()
            .map(|p| (p.effective_month, p.plan))
            .collect();
        let plan = plan_for(&plans, &key).cloned();
        let facts = if plan.is_some() && !closed {
            let targets = self.published_targets(org_id, month).await?.1;
            self.pay_facts(org_id, people, month, &targets).await?
        } else {
            HashMap::new()
        };
        Ok(MonthContext {
            closed,
            plan,
            facts,
        })
    }

    async fn sheet_of(
        &self,
        org_id: i64,
        u: &crate::User,
        month: Period,
        ctx: &MonthContext,
    ) -> Result<StoredSheet> {
        let key = month_key(month);
        let review = sqlx::query(
            "SELECT r.reviewed_at, r.approved_at, ru.display_name AS reviewer, au.display_name AS approver \
             FROM pay_reviews r LEFT JOIN users ru ON ru.id = r.reviewed_by AND ru.org_id = r.org_id LEFT JOIN users au ON au.id = r.approved_by AND au.org_id = r.org_id \
             WHERE r.org_id = $1 AND r.month = $2 AND r.user_id = $3",
        )
        .bind(org_id)
        .bind(&key)
        .bind(u.id)
        .fetch_optional(&self.read)
        .await?;
        let (reviewed_by, approved_by) = match &review {
            Some(r) => (
                r.try_get::<Option<String>, _>("reviewer")?,
                r.try_get::<Option<String>, _>("approver")?,
            ),
            None => (None, None),
        };
        let frozen = sqlx::query(
            "SELECT sheet FROM pay_sheets WHERE org_id = $1 AND month = $2 AND user_id = $3",
        )
        .bind(org_id)
        .bind(&key)
        .bind(u.id)
        .fetch_optional(&self.read)
        .await?;
        let closed = ctx.closed;
        let sheet = match frozen {
            Some(r) => Some(
                serde_json::from_str(&r.try_get::<String, _>("sheet")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ),
            None if closed => None,
            None => match &ctx.plan {
                Some(plan) => {
                    let facts = ctx.facts.get(&u.id).cloned().unwrap_or_default();
                    Some(compute(plan, u.id, &facts))
                }
                None => None,
            },
        };
        let status = if closed {
            SheetStatus::Closed
        } else if approved_by.is_some() {
            SheetStatus::Approved
        } else if reviewed_by.is_some() {
            SheetStatus::Reviewed
        } else {
            SheetStatus::Open
        };
        Ok(StoredSheet {
            month: key,
            user_id: u.id,
            name: u.display_name.clone(),
            status,
            reviewed_by,
            approved_by,
            sheet,
        })
    }

    /// The supervisor (or a director) reviews a sheet of their team; a director approves it.
    pub async fn sign_pay_sheet(
        &self,
        viewer: &Viewer,
        month: Period,
        person: i64,
        approve: bool,
        now: DateTime<Utc>,
    ) -> Result<StoredSheet> {
        // Within scope, and not one's own sheet.
        let sheet = self.pay_sheet(viewer, month, person).await?;
        if person == viewer.user_id {
            return Err(StoreError::rule(
                "own_sheet",
                "nobody reviews or approves their own pay",
            ));
        }
        let key = month_key(month);
        let mut tx = self.write.begin().await?;
        if self.month_closed(&mut tx, viewer.org_id, &key).await? {
            return Err(StoreError::rule(
                "month_closed",
                "pay for this month is closed",
            ));
        }
        if sheet.sheet.is_none() {
            return Err(StoreError::rule(
                "no_pay_plan",
                "no pay plan is in force for this month",
            ));
        }
        if approve && sheet.reviewed_by.is_none() {
            return Err(StoreError::rule(
                "not_reviewed",
                "the supervisor reviews a sheet before it is approved",
            ));
        }
        let exists = sqlx::query(
            "SELECT 1 FROM pay_reviews WHERE org_id = $1 AND month = $2 AND user_id = $3",
        )
        .bind(viewer.org_id)
        .bind(&key)
        .bind(person)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
        if !exists {
            sqlx::query("INSERT INTO pay_reviews (org_id, month, user_id) VALUES ($1, $2, $3)")
                .bind(viewer.org_id)
                .bind(&key)
                .bind(person)
                .execute(&mut *tx)
                .await?;
        }
        let column = if approve { "approved" } else { "reviewed" };
        sqlx::query(&format!(
            "UPDATE pay_reviews SET {column}_by = $1, {column}_at = $2 WHERE org_id = $3 AND month = $4 AND user_id = $5"
        ))
        .bind(viewer.user_id)
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(&key)
        .bind(person)
        .execute(&mut *tx)
        .await?;
        let total = sheet.sheet.as_ref().map(|s| s.total.to_string());
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "pay_sheet",
                person,
                if approve { "approve" } else { "review" },
                &[FieldChange {
                    field: format!("pay {key}"),
                    before: None,
                    after: total,
                }],
            )
            .await?;
        tx.commit().await?;
        self.pay_sheet(viewer, month, person).await
    }

    /// Enters a reward (positive) or penalty (negative) on a team member's sheet.
    pub async fn add_pay_adjustment(
        &self,
        viewer: &Viewer,
        month: Period,
        person: i64,
        amount: Decimal,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredSheet> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ValidationError::new("reason", "required", "say why").into());
        }
        if reason.chars().count() > 500 {
            return Err(
                ValidationError::new("reason", "too_long", "at most 500 characters").into(),
            );
        }
        if amount.is_zero() {
            return Err(
                ValidationError::new("amount", "zero", "a reward or penalty is not zero").into(),
            );
        }
        if person == viewer.user_id {
            return Err(StoreError::rule(
                "own_sheet",
                "nobody rewards or penalises themselves",
            ));
        }
        self.paid_person(viewer, person).await?;
        let key = month_key(month);
        let mut tx = self.write.begin().await?;
        if self.month_closed(&mut tx, viewer.org_id, &key).await? {
            return Err(ValidationError::new(
                "month",
                "month_closed",
                "pay for this month is closed; enter the correction in the next month",
            )
            .into());
        }
        let id: i64 = sqlx::query(
            "INSERT INTO pay_adjustments (org_id, month, user_id, amount, reason, entered_by, entered_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(&key)
        .bind(person)
        .bind(amount.normalize().to_string())
        .bind(reason)
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        // A changed sheet is reviewed and approved again.
        sqlx::query("DELETE FROM pay_reviews WHERE org_id = $1 AND month = $2 AND user_id = $3")
            .bind(viewer.org_id)
            .bind(&key)
            .bind(person)
            .execute(&mut *tx)
            .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "pay_adjustment",
                id,
                "create",
                &[FieldChange {
                    field: format!("pay {key}"),
                    before: None,
                    after: Some(format!("{} {reason}", amount.normalize())),
                }],
            )
            .await?;
        tx.commit().await?;
        self.pay_sheet(viewer, month, person).await
    }

    /// Closes the month: every sheet must be approved; each is frozen as computed now.
    pub async fn close_pay_month(
        &self,
        viewer: &Viewer,
        month: Period,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let key = month_key(month);
        if month.end > now.with_timezone(&china_offset()).date_naive() + Duration::days(1) {
            return Err(StoreError::rule(
                "month_not_over",
                "a month is closed after it ends",
            ));
        }
        let all = Viewer {
            scope: Scope::All,
            ..*viewer
        };
        let sheets = self.pay_sheets(&all, month).await?;
        if let Some(s) = sheets.iter().find(|s| s.status == SheetStatus::Closed) {
            return Err(StoreError::rule(
                "month_closed",
                format!("pay for {} is already closed", s.month),
            ));
        }
        let waiting: Vec<&str> = sheets
            .iter()
            .filter(|s| s.status != SheetStatus::Approved)
            .map(|s| s.name.as_str())
            .collect();
        if !waiting.is_empty() {
            return Err(StoreError::rule(
                "not_approved",
                format!("not yet approved: {}", waiting.join(", ")),
            ));
        }
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO pay_months (org_id, month, closed_by, closed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(viewer.org_id)
        .bind(&key)
        .bind(viewer.user_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        for s in &sheets {
            let Some(sheet) = &s.sheet else { continue };
            sqlx::query(
                "INSERT INTO pay_sheets (org_id, month, user_id, sheet) VALUES ($1, $2, $3, $4)",
            )
            .bind(viewer.org_id)
            .bind(&key)
            .bind(s.user_id)
            .bind(serde_json::to_string(sheet).expect("a sheet serialises"))
            .execute(&mut *tx)
            .await?;
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "pay_month",
                0,
                "close",
                &[FieldChange {
                    field: format!("pay {key}"),
                    before: None,
                    after: Some(format!("{} sheets", sheets.len())),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok(sheets.len())
    }
}
