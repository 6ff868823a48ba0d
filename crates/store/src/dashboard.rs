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
use yingpan_domain::weekly_report::Period;

/// Revenue and collections of one calendar month (company time).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
        let mut out = BTreeMap::new();
        if viewer.scope == Scope::All {
            // The whole company: from the per-day counts (migrations 0041, 0066).
            let mut sql = Sql::new("SELECT d.reason, CAST(SUM(d.n) AS BIGINT) AS n FROM ");
            crate::sql::push_counted(
                &mut sql,
                self.backend,
                viewer.org_id,
                "ownership_daily",
                "ownership_daily_changes",
                "org_id, day, reason, n",
                "d",
            );
            sql.push(" WHERE d.org_id = ")
                .bind(viewer.org_id)
                .push(" AND d.day >= ")
                .bind(period.start.to_string())
                .push(" AND d.day < ")
                .bind(period.end.to_string())
                .push(" GROUP BY d.reason");
            let rows = sql.query().fetch_all(self.heavy_read()).await?;
            for r in rows {
                let n: i64 = r.try_get("n")?;
                if n != 0 {
                    out.insert(r.try_get::<String, _>("reason")?, n);
                }
            }
            return Ok(out);
        }
        let (from, to) = period.bounds(china_offset());
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
            for r in sql.query().fetch_all(self.heavy_read()).await? {
                let n: i64 = r.try_get("n")?;
                *out.entry(r.try_get::<String, _>("reason")?).or_insert(0) += n;
            }
        }
        Ok(out)
    }

    /// Revenue (orders by the day registered) and collections (deposits and payments less
    /// refunds, by the day recorded) of each month, from the rollups, from `first` to `last`, in the viewer's
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

        // From the monthly rollups: a few rows per person and month.
        let mut sql =
            Sql::new("SELECT f.month, f.sales, f.orders, f.collected FROM figures_monthly f WHERE");
        push_scope_on(&mut sql, viewer, "f", "user_id");
        sql.push(" AND f.month >= ")
            .bind(yingpan_domain::rollup::month_key(span.start))
            .push(" AND f.month < ")
            .bind(yingpan_domain::rollup::month_key(span.end));
        let rows: Vec<(String, String, i64, String)> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &["month", "sales", "orders", "collected"],
            )
            .await?;
        for (month, sales, orders, collected) in rows {
            if let Some(f) = months.get_mut(&month) {
                f.revenue = f.revenue.saturating_add(dec(&sales)?);
                f.orders += orders as u32;
                f.collected = f.collected.saturating_add(dec(&collected)?);
            }
        }
        Ok(months.into_values().collect())
    }
}

impl Store {
    /// Who within the viewer's scope has filed a visit plan for `plan_day` (submitted, whatever
    /// its review) and who a daily report for `report_day`: the workbench's "not yet filed".
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn filed(
        &self,
        viewer: &Viewer,
        plan_day: NaiveDate,
        report_day: NaiveDate,
    ) -> Result<(
        std::collections::HashSet<i64>,
        std::collections::HashSet<i64>,
    )> {
        let mut sql = Sql::new("SELECT DISTINCT p.user_id FROM visit_plans p WHERE");
        push_scope_on(&mut sql, viewer, "p", "user_id");
        sql.push(" AND p.plan_date = ")
            .bind(plan_day.to_string())
            .push(" AND p.status <> 'draft'");
        let plans = crate::sql::first_ids(&sql.query().fetch_all(self.heavy_read()).await?)?;
        let mut sql = Sql::new("SELECT DISTINCT d.user_id FROM daily_reports d WHERE");
        push_scope_on(&mut sql, viewer, "d", "user_id");
        sql.push(" AND d.report_date = ")
            .bind(report_day.to_string());
        let reports = crate::sql::first_ids(&sql.query().fetch_all(self.heavy_read()).await?)?;
        Ok((plans, reports))
    }
}
