//! The prospecting funnel's counts per person: calls, calls that reached someone, visits and
//! meetings by purpose, orders and their total, within the viewer's scope.

use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, Result, Store, Viewer};
use sqlx::Row;
use std::collections::BTreeMap;
use yingpan_domain::daily_report::DailyReport;
use yingpan_domain::funnel::Counts;
use yingpan_domain::weekly_report::Period;

impl Store {
    /// Each person's funnel counts over `period` (people without any are absent).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn funnel_counts(
        &self,
        viewer: &Viewer,
        period: Period,
    ) -> Result<BTreeMap<i64, Counts>> {
        let mut out: BTreeMap<i64, Counts> = BTreeMap::new();
        // Activities from their daily rollup (migration 0065), kept by triggers.
        let mut sql = Sql::new(
            "SELECT a.user_id, a.kind, a.reached, a.purpose, CAST(SUM(a.n) AS BIGINT) AS n, CAST(SUM(a.minutes) AS BIGINT) AS minutes \
             FROM activity_daily a WHERE",
        );
        push_scope_on(&mut sql, viewer, "a", "user_id");
        sql.push(" AND a.day >= ")
            .bind(period.start.to_string())
            .push(" AND a.day < ")
            .bind(period.end.to_string())
            .push(" AND a.kind IN ('call', 'visit', 'meeting') GROUP BY a.user_id, a.kind, a.reached, a.purpose");
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let n = u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
            if n == 0 {
                continue;
            }
            let c = out.entry(r.try_get("user_id")?).or_default();
            let kind: String = r.try_get("kind")?;
            c.selling_minutes = c
                .selling_minutes
                .saturating_add(r.try_get::<i64, _>("minutes")?);
            let purpose: String = r.try_get("purpose")?;
            match (kind.as_str(), purpose.as_str()) {
                ("call", _) => {
                    c.calls += n;
                    if r.try_get::<i64, _>("reached")? == 1 {
                        c.reached += n;
                    }
                }
                (_, "appointment") => c.appointments += n,
                (_, "presentation") => c.presentations += n,
                _ => {}
            }
        }
        // Deals and revenue: orders in the reporting currency, from the figures rollups.
        for (owner, t) in self.tallies_in_scope(viewer, period).await? {
            if t.orders == 0 {
                continue;
            }
            let c = out.entry(owner).or_default();
            c.deals += t.orders;
            c.revenue = c.revenue.saturating_add(t.sales);
        }

        for (user, spent) in self.expenses_by_person(viewer, period).await? {
            let c = out.entry(user).or_default();
            c.expenses = c.expenses.saturating_add(spent);
        }
        Ok(out)
    }

    /// What each person in the viewer's scope spent in the period: expenses reported in daily
    /// reports, and expense advances settled.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub(crate) async fn expenses_by_person(
        &self,
        viewer: &Viewer,
        period: Period,
    ) -> Result<BTreeMap<i64, rust_decimal::Decimal>> {
        let mut out: BTreeMap<i64, rust_decimal::Decimal> = BTreeMap::new();
        // Expenses: reported day by day, and advances settled.
        let (first, last) = (period.start.to_string(), period.end.to_string());
        let mut sql = Sql::new("SELECT d.user_id, d.content FROM daily_reports d WHERE");
        push_scope_on(&mut sql, viewer, "d", "user_id");
        sql.push(" AND d.report_date >= ")
            .bind(first.clone())
            .push(" AND d.report_date < ")
            .bind(last.clone());
        let rows: Vec<(i64, String)> = sql
            .fetch_packed(self.heavy_read(), self.backend, &["user_id", "content"])
            .await?;
        for (user, content) in rows {
            let report: DailyReport = serde_json::from_str(&content)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
            if let Some(e) = report.expenses {
                let c = out.entry(user).or_default();
                *c = c.saturating_add(e);
            }
        }
        let mut sql = Sql::new("SELECT x.user_id, x.amount FROM expense_advances x WHERE");
        push_scope_on(&mut sql, viewer, "x", "user_id");
        sql.push(" AND x.kind = 'settlement' AND x.occurred_on >= ")
            .bind(first)
            .push(" AND x.occurred_on < ")
            .bind(last);
        let rows: Vec<(i64, String)> = sql
            .fetch_packed(self.heavy_read(), self.backend, &["user_id", "amount"])
            .await?;
        for (user, amount) in rows {
            let c = out.entry(user).or_default();
            *c = c.saturating_add(dec(&amount)?);
        }
        Ok(out)
    }
}
