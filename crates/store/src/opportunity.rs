//! Opportunities and the pipeline, scoped by the opportunity's owner like customers.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::str::FromStr;
use yingpan_domain::audit::{diff, Snapshot};
use yingpan_domain::opportunity::{check_transition, weighted, Money, Stage, Status};
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Opportunity {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    pub name: String,
    pub stage: Stage,
    pub status: Status,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    pub probability: i64,
    /// amount × probability, for open opportunities.
    #[serde(with = "rust_decimal::serde::str")]
    pub weighted_amount: Decimal,
    pub expected_close: Option<String>,
    pub closed_at: Option<String>,
    pub lost_reason: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Opportunity {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let stage: String = r.try_get("stage")?;
        let status: String = r.try_get("status")?;
        let amount: String = r.try_get("amount")?;
        let probability: i64 = r.try_get("probability")?;
        let status = Status::parse(&status).map_err(|_| StoreError::Corrupt(status.clone()))?;
        let d = Decimal::from_str(&amount).map_err(|_| StoreError::Corrupt(amount.clone()))?;
        Ok(Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            owner_id: r.try_get("owner_id")?,
            owner_name: r.try_get("owner_name")?,
            name: r.try_get("name")?,
            stage: Stage::parse(&stage).map_err(|_| StoreError::Corrupt(stage.clone()))?,
            status,
            weighted_amount: match status {
                Status::Open => weighted(d, u8::try_from(probability).unwrap_or(0)),
                Status::Won => d,
                Status::Lost => Decimal::ZERO,
            },
            amount: d,
            currency: r.try_get("currency")?,
            probability,
            expected_close: r.try_get("expected_close")?,
            closed_at: r.try_get("closed_at")?,
            lost_reason: r.try_get("lost_reason")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }

    fn snapshot(&self) -> Snapshot {
        vec![
            ("name", Some(self.name.clone())),
            ("stage", Some(self.stage.as_str().to_string())),
            ("status", Some(self.status.as_str().to_string())),
            ("amount", Some(format!("{} {}", self.amount, self.currency))),
            ("probability", Some(self.probability.to_string())),
            ("expected_close", self.expected_close.clone()),
            ("lost_reason", self.lost_reason.clone()),
        ]
    }
}

/// A parsed opportunity as entered.
#[derive(Debug, Clone)]
pub struct OpportunityFields {
    pub name: String,
    pub stage: Stage,
    pub money: Money,
    pub probability: u8,
    pub expected_close: Option<NaiveDate>,
}

const COLUMNS: &str = "o.id, o.customer_id, c.name AS customer_name, o.owner_id, u.display_name AS owner_name, o.name, \
    o.stage, o.status, o.amount, o.currency, o.probability, o.expected_close, o.closed_at, o.lost_reason, o.version, \
    o.created_at, o.updated_at";
const FROM: &str = "FROM opportunities o JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id LEFT JOIN users u ON u.id = o.owner_id AND u.org_id = o.org_id WHERE";

#[derive(Debug, Clone, Default)]
pub struct OpportunityQuery {
    pub owner_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub status: Option<Status>,
}

/// One column of the pipeline board.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StageSummary {
    pub stage: Stage,
    pub count: usize,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub weighted_amount: Decimal,
}

async fn load(tx: &mut Transaction<'_, Any>, viewer: &Viewer, id: i64) -> Result<Opportunity> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
    push_scope(&mut sql, viewer, "o");
    sql.push(" AND c.deleted_at IS NULL AND o.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    Opportunity::from_row(&row)
}

impl Store {
    /// Opens an opportunity on a customer the viewer may see; it belongs to the customer's owner.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_opportunity(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        f: &OpportunityFields,
        now: DateTime<Utc>,
    ) -> Result<Opportunity> {
        let mut tx = self.write.begin().await?;
        let customer = load_customer(&mut tx, viewer, customer_id, false).await?;
        let Some(owner) = customer.owner_id else {
            return Err(StoreError::rule(
                "customer_in_pool",
                "claim the customer from the pool before opening an opportunity",
            ));
        };
        let id: i64 = sqlx::query(
            "INSERT INTO opportunities (org_id, customer_id, owner_id, name, stage, amount, currency, probability, expected_close, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(owner)
        .bind(&f.name)
        .bind(f.stage.as_str())
        .bind(f.money.amount.to_string())
        .bind(&f.money.currency)
        .bind(i64::from(f.probability))
        .bind(f.expected_close.map(|d| d.to_string()))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let all = Viewer {
            scope: yingpan_domain::person::Scope::All,
            ..*viewer
        };
        let created = load(&mut tx, &all, id).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "opportunity",
                id,
                "create",
                &diff(&[], &created.snapshot()),
            )
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn opportunity(&self, viewer: &Viewer, id: i64) -> Result<Opportunity> {
        let mut tx = self.read.begin().await?;
        let o = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(o)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn opportunities(
        &self,
        viewer: &Viewer,
        q: &OpportunityQuery,
        limit: i64,
    ) -> Result<Vec<Opportunity>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
        push_scope(&mut sql, viewer, "o");
        sql.push(" AND c.deleted_at IS NULL");
        if let Some(o) = q.owner_id {
            sql.push(" AND o.owner_id = ").bind(o);
        }
        if let Some(c) = q.customer_id {
            sql.push(" AND o.customer_id = ").bind(c);
        }
        if let Some(s) = q.status {
            sql.push(" AND o.status = ").bind(s.as_str());
        }
        sql.push(" ORDER BY o.expected_close IS NULL, o.expected_close, o.id LIMIT ")
            .bind(limit.clamp(1, 2000));
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(Opportunity::from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_opportunity(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        f: &OpportunityFields,
        now: DateTime<Utc>,
    ) -> Result<Opportunity> {
        let mut tx = self.write.begin().await?;
        let before = load(&mut tx, viewer, id).await?;
        if before.version != version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        if before.status != Status::Open {
            return Err(StoreError::rule(
                "opportunity_closed",
                "reopen the opportunity before changing it",
            ));
        }
        sqlx::query(
            "UPDATE opportunities SET name = $1, stage = $2, amount = $3, currency = $4, probability = $5, expected_close = $6, \
             version = version + 1, updated_at = $7 WHERE org_id = $8 AND id = $9 AND version = $10",
        )
        .bind(&f.name)
        .bind(f.stage.as_str())
        .bind(f.money.amount.to_string())
        .bind(&f.money.currency)
        .bind(i64::from(f.probability))
        .bind(f.expected_close.map(|d| d.to_string()))
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, viewer, id).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "opportunity",
                id,
                "update",
                &diff(&before.snapshot(), &after.snapshot()),
            )
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Won, lost (with a reason) or reopened.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_opportunity_status(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        to: Status,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Opportunity> {
        let mut tx = self.write.begin().await?;
        let before = load(&mut tx, viewer, id).await?;
        if before.version != version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        check_transition(before.status, to, reason)?;
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > 500) {
            return Err(ValidationError::new(
                "lost_reason",
                "too_long",
                "must be at most 500 characters",
            )
            .into());
        }
        let (stage, probability) = match to {
            Status::Won => (Stage::AfterSales, 100),
            Status::Lost => (before.stage, 0),
            Status::Open => (before.stage, i64::from(before.stage.default_probability())),
        };
        sqlx::query(
            "UPDATE opportunities SET status = $1, stage = $2, probability = $3, closed_at = $4, lost_reason = $5, \
             version = version + 1, updated_at = $6 WHERE org_id = $7 AND id = $8",
        )
        .bind(to.as_str())
        .bind(stage.as_str())
        .bind(probability)
        .bind((to != Status::Open).then(|| ts(now)))
        .bind(if to == Status::Lost { reason.map(str::to_string) } else { None })
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let after = load(&mut tx, viewer, id).await?;
        let action = match to {
            Status::Won => "won",
            Status::Lost => "lost",
            Status::Open => "reopen",
        };
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "opportunity",
                id,
                action,
                &diff(&before.snapshot(), &after.snapshot()),
            )
            .await?;
        let event = match to {
            Status::Won => Some(yingpan_domain::webhook::Event::OpportunityWon),
            Status::Lost => Some(yingpan_domain::webhook::Event::OpportunityLost),
            Status::Open => None,
        };
        if let Some(event) = event {
            crate::webhook::emit(
                &mut tx,
                viewer.org_id,
                event,
                Some(after.owner_id),
                Some(after.customer_id),
                serde_json::json!({"opportunity_id": id, "title": after.name,
                    "amount": after.amount.to_string(), "currency": after.currency, "lost_reason": after.lost_reason}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Open opportunities in scope, summed per stage.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn pipeline(
        &self,
        viewer: &Viewer,
        owner_id: Option<i64>,
    ) -> Result<(Vec<StageSummary>, Vec<Opportunity>)> {
        let open = self
            .opportunities(
                viewer,
                &OpportunityQuery {
                    owner_id,
                    status: Some(Status::Open),
                    ..Default::default()
                },
                2000,
            )
            .await?;
        let summary = Stage::ALL
            .iter()
            .map(|stage| {
                let items: Vec<&Opportunity> = open.iter().filter(|o| o.stage == *stage).collect();
                let sum = |f: fn(&Opportunity) -> Decimal| {
                    yingpan_domain::money::sum(items.iter().map(|o| f(o)))
                };
                StageSummary {
                    stage: *stage,
                    count: items.len(),
                    amount: sum(|o| o.amount),
                    weighted_amount: sum(|o| o.weighted_amount),
                }
            })
            .collect();
        Ok((summary, open))
    }
}
