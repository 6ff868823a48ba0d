//! The clerk's expense-advance ledger: advances to salespeople and their settlements.

use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::ledger::{balance, check_entry, AdvanceEntry, AdvanceKind};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdvanceLine {
    pub id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub kind: AdvanceKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub purpose: String,
    pub occurred_on: String,
    pub recorded_by: i64,
    pub recorded_at: String,
}

/// Per salesperson: advanced, settled and still outstanding.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdvanceSummary {
    pub user_id: i64,
    pub user_name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub advanced: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub settled: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub outstanding: Decimal,
}

impl Store {
    /// Entries on people in the viewer's scope, newest first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn advances(
        &self,
        viewer: &Viewer,
        user_id: Option<i64>,
    ) -> Result<Vec<AdvanceLine>> {
        let mut sql = Sql::new(
            "SELECT a.id, a.user_id, u.display_name, a.kind, a.amount, a.purpose, a.occurred_on, a.recorded_by, a.recorded_at \
             FROM expense_advances a JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id WHERE",
        );
        push_scope_on(&mut sql, viewer, "a", "user_id");
        if let Some(u) = user_id {
            sql.push(" AND a.user_id = ").bind(u);
        }
        sql.push(" ORDER BY a.occurred_on DESC, a.id DESC LIMIT 1000");
        sql.query()
            .fetch_all(self.heavy_read())
            .await?
            .iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(AdvanceLine {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    user_name: r.try_get("display_name")?,
                    kind: AdvanceKind::parse(&kind).map_err(|_| StoreError::Corrupt(kind))?,
                    amount: dec(&r.try_get::<String, _>("amount")?)?,
                    purpose: r.try_get("purpose")?,
                    occurred_on: r.try_get("occurred_on")?,
                    recorded_by: r.try_get("recorded_by")?,
                    recorded_at: r.try_get("recorded_at")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn advance_summary(&self, viewer: &Viewer) -> Result<Vec<AdvanceSummary>> {
        let mut per: BTreeMap<(String, i64), (Decimal, Decimal)> = BTreeMap::new();
        for l in self.advances(viewer, None).await? {
            let e = per.entry((l.user_name.clone(), l.user_id)).or_default();
            match l.kind {
                AdvanceKind::Advance => e.0 = e.0.saturating_add(l.amount),
                AdvanceKind::Settlement => e.1 = e.1.saturating_add(l.amount),
            }
        }
        Ok(per
            .into_iter()
            .map(|((name, id), (a, s))| AdvanceSummary {
                user_id: id,
                user_name: name,
                advanced: a.normalize(),
                settled: s.normalize(),
                outstanding: a.saturating_sub(s).normalize(),
            })
            .collect())
    }

    /// The clerk (or an admin/director) records an advance or a settlement for a salesperson.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_advance(
        &self,
        viewer: &Viewer,
        user_id: i64,
        entry: &AdvanceEntry,
        now: DateTime<Utc>,
    ) -> Result<AdvanceLine> {
        use yingpan_domain::permission::{allows, Action, Policy};
        if !allows(viewer.role, Action::RecordAdvances, &Policy::default()) {
            return Err(StoreError::rule(
                "clerk_only",
                "expense advances are recorded by the inside-sales clerk",
            ));
        }
        let person = self.user(viewer.org_id, user_id).await?;
        if !person.active {
            return Err(yingpan_domain::ValidationError::new(
                "user_id",
                "inactive",
                "the person is no longer active",
            )
            .into());
        }
        let mut tx = self.write.begin().await?;
        let rows = sqlx::query(
            "SELECT kind, amount FROM expense_advances WHERE org_id = $1 AND user_id = $2",
        )
        .bind(viewer.org_id)
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        let ledger = rows
            .iter()
            .map(|r| {
                let k: String = r.try_get("kind")?;
                Ok((
                    AdvanceKind::parse(&k).map_err(|_| StoreError::Corrupt(k))?,
                    dec(&r.try_get::<String, _>("amount")?)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        check_entry(&ledger, entry)?;
        let id: i64 = sqlx::query(
            "INSERT INTO expense_advances (org_id, user_id, kind, amount, purpose, occurred_on, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(user_id)
        .bind(entry.kind.as_str())
        .bind(entry.amount.normalize().to_string())
        .bind(&entry.purpose)
        .bind(entry.occurred_on.to_string())
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let mut after = ledger;
        after.push((entry.kind, entry.amount));
        let changes = vec![
            FieldChange {
                field: entry.kind.as_str().into(),
                before: None,
                after: Some(entry.amount.normalize().to_string()),
            },
            FieldChange {
                field: "outstanding".into(),
                before: None,
                after: Some(balance(&after).normalize().to_string()),
            },
        ];
        crate::audit::Audit::by(viewer, now)
            .record(&mut tx, "expense_advance", id, "create", &changes)
            .await?;
        tx.commit().await?;
        Ok(AdvanceLine {
            id,
            user_id,
            user_name: person.display_name,
            kind: entry.kind,
            amount: entry.amount.normalize(),
            purpose: entry.purpose.clone(),
            occurred_on: entry.occurred_on.to_string(),
            recorded_by: viewer.user_id,
            recorded_at: ts(now),
        })
    }
}
