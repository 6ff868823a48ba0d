//! Figures the level dashboards add to the period reports: how customers moved between owners
//! and the pool, and month-by-month results.

use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, ts, Result, Store, Viewer};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;
use yingpan_domain::person::Scope;
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::{Period, REPORTING_CURRENCY};

/// Revenue and collections of one calendar month (company time).
#[derive(Debug, Clone, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub revenue: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub collected: Decimal,
    pub orders: u32,
}

impl Store {
    /// Ownership changes in the period by reason (`claim`, `recycle`, `transfer`, `release`,
    /// `register`, …): the pool's intake and what was taken from it. Changes to or from people
    /// in the viewer's scope.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn ownership_flow(
        &self,
        viewer: &Viewer,
        period: Period,
    ) -> Result<BTreeMap<String, i64>> {
        let (from, to) = period.bounds(china_offset());
        let mut out = BTreeMap::new();
        // A change counts once: by its new owner when they are in scope, else by the previous
        // owner (a customer recycled or transferred out of the team).
        let passes: &[(&str, &str)] = if viewer.scope == Scope::All {
            &[("to_user_id", "")]
        } else {
            &[("to_user_id", ""), ("from_user_id", "to_user_id")]
        };
        for (column, not_in) in passes {
            let mut sql =
                Sql::new("SELECT oc.reason, COUNT(*) AS n FROM ownership_changes oc WHERE");
            if viewer.scope == Scope::All {
                sql.push(" oc.org_id = ").bind(viewer.org_id);
            } else {
                push_scope_on(&mut sql, viewer, "oc", column);
            }
            sql.push(" AND oc.changed_at >= ")
                .bind(ts(from))
                .push(" AND oc.changed_at < ")
                .bind(ts(to));
            if !not_in.is_empty() {
                sql.push(&format!(" AND (oc.{not_in} IS NULL OR NOT ("));
                push_scope_on(&mut sql, viewer, "oc", not_in);
                sql.push("))");
            }
            sql.push(" GROUP BY oc.reason");
            for r in sql.query().fetch_all(&self.read).await? {
                let n: i64 = r.try_get("n")?;
                *out.entry(r.try_get::<String, _>("reason")?).or_insert(0) += n;
            }
        }
        Ok(out)
    }

    /// Revenue (orders by the day registered) and collections (deposits and payments less
    /// refunds, by the day recorded) of each month from `first` to `last`, in the viewer's
    /// scope (the order's owner), in the reporting currency.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn monthly_trend(
        &self,
        viewer: &Viewer,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<MonthFigures>> {
        let span = Period {
            start: Period::month_of(first).start,
            end: Period::month_of(last).end,
        };
        let (from, to) = span.bounds(china_offset());
        let mut months: BTreeMap<String, MonthFigures> = BTreeMap::new();
        let mut m = span.start;
        while m < span.end {
            let key = m.format("%Y-%m").to_string();
            months.insert(
                key.clone(),
                MonthFigures {
                    month: key,
                    revenue: Decimal::ZERO,
                    collected: Decimal::ZERO,
                    orders: 0,
                },
            );
            m = Period::month_of(m).end;
        }

        let mut sql = Sql::new("SELECT o.created_at, o.total FROM orders o WHERE");
        push_scope_on(&mut sql, viewer, "o", "owner_id");
        sql.push(" AND o.currency = ")
            .bind(REPORTING_CURRENCY)
            .push(" AND o.created_at >= ")
            .bind(ts(from))
            .push(" AND o.created_at < ")
            .bind(ts(to));
        let rows: Vec<(String, String)> = sql
            .fetch_packed(&self.read, self.backend, &["created_at", "total"])
            .await?;
        for (at, total) in rows {
            if let Some(f) = months.get_mut(&crate::local_month(&at)?) {
                f.revenue = f.revenue.saturating_add(dec(&total)?);
                f.orders += 1;
            }
        }

        let mut sql = Sql::new(
            "SELECT p.recorded_at, p.kind, p.amount FROM order_payments p JOIN orders o ON o.id = p.order_id WHERE",
        );
        push_scope_on(&mut sql, viewer, "o", "owner_id");
        sql.push(" AND o.currency = ")
            .bind(REPORTING_CURRENCY)
            .push(" AND p.org_id = ")
            .bind(viewer.org_id)
            .push(" AND p.recorded_at >= ")
            .bind(ts(from))
            .push(" AND p.recorded_at < ")
            .bind(ts(to));
        let rows: Vec<(String, String, String)> = sql
            .fetch_packed(&self.read, self.backend, &["recorded_at", "kind", "amount"])
            .await?;
        for (at, kind, amount) in rows {
            if let Some(f) = months.get_mut(&crate::local_month(&at)?) {
                f.collected = f
                    .collected
                    .saturating_add(crate::signed_payment(&kind, &amount)?);
            }
        }
        Ok(months.into_values().collect())
    }
}
