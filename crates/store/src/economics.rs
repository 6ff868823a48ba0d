//! Customer economics: each customer's purchases in a period and the one before, with their
//! estimated category spending, for `yingpan_domain::economics`; and the estimates themselves.

use crate::audit::Audit;
use crate::sql::{push_scope_on, Sql};
use crate::{customer_scope_check, decimal as dec, ts, Result, Store, Viewer};
use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::economics::History;
use yingpan_domain::order::line_margin;
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::{Period, REPORTING_CURRENCY};

/// What customers are grouped by for lifetime value per segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentBy {
    Owner,
    Region,
    Industry,
    Source,
    Tier,
    Dealer,
    ManClass,
    KeyAccount,
}

impl SegmentBy {
    fn column(self) -> &'static str {
        match self {
            SegmentBy::Owner => "COALESCE(u.display_name, '')",
            SegmentBy::Region => "COALESCE(c.region, '')",
            SegmentBy::Industry => "COALESCE(c.industry, '')",
            SegmentBy::Source => "COALESCE(c.source, '')",
            SegmentBy::Tier => "COALESCE(c.tier, '')",
            SegmentBy::Dealer => "CASE WHEN c.dealer IS NULL THEN 'false' ELSE 'true' END",
            // As `qualification::Man::class` spells it (`MAn`), once all three are assessed.
            SegmentBy::ManClass => {
                "CASE WHEN c.man_money IS NULL OR c.man_authority IS NULL OR c.man_need IS NULL THEN '' \
                 ELSE (CASE WHEN c.man_money = 1 THEN 'M' ELSE 'm' END) || (CASE WHEN c.man_authority = 1 THEN 'A' ELSE 'a' END) \
                 || (CASE WHEN c.man_need = 1 THEN 'N' ELSE 'n' END) END"
            }
            // As `qualification::key_account_class` names the cells of the matrix.
            SegmentBy::KeyAccount => {
                "CASE WHEN c.attractiveness = 'high' AND c.ability_to_win = 'high' THEN 'core' \
                 WHEN c.attractiveness = 'high' AND c.ability_to_win = 'low' THEN 'core_potential' \
                 WHEN c.attractiveness = 'low' AND c.ability_to_win = 'high' THEN 'secondary' \
                 WHEN c.attractiveness = 'low' AND c.ability_to_win = 'low' THEN 'general' ELSE '' END"
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SpendEstimate {
    pub year: i32,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub updated_by_name: Option<String>,
    pub updated_at: String,
}

/// The share of `year` that `period` covers, in days.
fn days_in(period: Period, year: i32) -> (i64, i64) {
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January");
    let end = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("1 January");
    let from = period.start.max(start);
    let to = period.end.min(end);
    ((to - from).num_days().max(0), (end - start).num_days())
}

/// A yearly estimate pro rata over `period` (which may span two years).
fn pro_rata(
    estimates: &HashMap<(i64, i32), Decimal>,
    customer: i64,
    period: Period,
) -> Option<Decimal> {
    let mut total = None::<Decimal>;
    for year in period.start.year()..=period.end.pred_opt()?.year() {
        let (part, whole) = days_in(period, year);
        if let Some(e) = estimates.get(&(customer, year)) {
            let share = (*e * Decimal::from(part) / Decimal::from(whole)).round_dp(2);
            total = Some(total.unwrap_or_default().saturating_add(share));
        } else if part > 0 {
            // A year of the period without an estimate: no share can be computed.
            return None;
        }
    }
    total
}

impl Store {
    /// Sets (or, with `None`, removes) a customer's estimated spending in our category for a
    /// year; recorded on the audit trail.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_spend_estimate(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        year: i32,
        amount: Option<Decimal>,
        now: DateTime<Utc>,
    ) -> Result<Vec<SpendEstimate>> {
        let mut tx = self.write.begin().await?;
        customer_scope_check(&mut tx, viewer, customer_id).await?;
        let before: Option<String> = sqlx::query(
            "SELECT amount FROM customer_spend_estimates WHERE org_id = $1 AND customer_id = $2 AND year = $3",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(i64::from(year))
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
        sqlx::query(
            "DELETE FROM customer_spend_estimates WHERE org_id = $1 AND customer_id = $2 AND year = $3",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(i64::from(year))
        .execute(&mut *tx)
        .await?;
        if let Some(a) = amount {
            sqlx::query(
                "INSERT INTO customer_spend_estimates (org_id, customer_id, year, amount, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(viewer.org_id)
            .bind(customer_id)
            .bind(i64::from(year))
            .bind(a.normalize().to_string())
            .bind(viewer.user_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        }
        let after = amount.map(|a| a.normalize().to_string());
        if before != after {
            Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "customer",
                    customer_id,
                    "update",
                    &[FieldChange {
                        field: format!("category_spend_estimate.{year}"),
                        before,
                        after,
                    }],
                )
                .await?;
        }
        tx.commit().await?;
        self.spend_estimates(viewer, customer_id).await
    }

    /// A customer's estimates, newest year first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn spend_estimates(
        &self,
        viewer: &Viewer,
        customer_id: i64,
    ) -> Result<Vec<SpendEstimate>> {
        let mut tx = self.read.begin().await?;
        customer_scope_check(&mut tx, viewer, customer_id).await?;
        let rows = sqlx::query(
            "SELECT e.year, e.amount, e.updated_at, u.display_name FROM customer_spend_estimates e \
             LEFT JOIN users u ON u.id = e.updated_by AND u.org_id = e.org_id WHERE e.org_id = $1 AND e.customer_id = $2 ORDER BY e.year DESC",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .fetch_all(&mut *tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SpendEstimate {
                    year: i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or_default(),
                    amount: dec(&r.try_get::<String, _>("amount")?)?,
                    updated_by_name: r.try_get("display_name")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// Every customer who bought (in the viewer's scope: orders owned by people in it) in
    /// `period` or `previous`, with revenue, margin and orders in each and the estimates.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn economics_histories(
        &self,
        viewer: &Viewer,
        period: Period,
        previous: Period,
        segment: SegmentBy,
    ) -> Result<Vec<History>> {
        let (from, _) = previous.bounds(china_offset());
        let (split, to) = period.bounds(china_offset());
        let mut sql = Sql::new(&format!(
            "SELECT o.customer_id AS cid, o.id AS oid, o.created_at AS at, l.amount AS amount, l.quantity AS qty, \
             l.unit_cost AS cost, c.name AS name, u.display_name AS owner, {} AS segment \
             FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id \
             LEFT JOIN users u ON u.id = c.owner_id AND u.org_id = c.org_id WHERE",
            segment.column()
        ));
        push_scope_on(&mut sql, viewer, "o", "owner_id");
        sql.push(" AND o.currency = ")
            .bind(REPORTING_CURRENCY)
            .push(" AND o.created_at >= ")
            .bind(ts(from))
            .push(" AND o.created_at < ")
            .bind(ts(to));
        type Line = (
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            String,
        );
        let rows: Vec<Line> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &[
                    "cid", "oid", "at", "amount", "qty", "cost", "name", "owner", "segment",
                ],
            )
            .await?;
        let split = ts(split);
        let mut by_customer: HashMap<
            i64,
            (
                History,
                std::collections::HashSet<i64>,
                std::collections::HashSet<i64>,
            ),
        > = HashMap::new();
        for (cid, oid, at, amount, qty, cost, name, owner, seg) in rows {
            let entry = by_customer.entry(cid).or_insert_with(|| {
                (
                    History {
                        customer_id: cid,
                        name,
                        owner_name: owner,
                        segment: seg,
                        ..Default::default()
                    },
                    Default::default(),
                    Default::default(),
                )
            });
            let amount = dec(&amount)?;
            let cost = cost.map(|c| dec(&c)).transpose()?;
            // Stored instants share one format, so they compare as text.
            if at >= split {
                entry.0.revenue = entry.0.revenue.saturating_add(amount);
                // A line without a cost adds no margin (documented in the domain).
                if let Some(m) = line_margin(amount, dec(&qty)?, cost) {
                    entry.0.margin = entry.0.margin.saturating_add(m);
                }
                entry.1.insert(oid);
            } else {
                entry.0.previous_revenue = entry.0.previous_revenue.saturating_add(amount);
                entry.2.insert(oid);
            }
        }
        let years: Vec<i64> = (previous.start.year()
            ..=period.end.pred_opt().unwrap_or(period.end).year())
            .map(i64::from)
            .collect();
        let mut estimates: HashMap<(i64, i32), Decimal> = HashMap::new();
        if !by_customer.is_empty() {
            let mut sql = Sql::new(
                "SELECT customer_id, year, amount FROM customer_spend_estimates WHERE org_id = ",
            );
            sql.bind(viewer.org_id)
                .push(" AND year >= ")
                .bind(years[0])
                .push(" AND year <= ")
                .bind(*years.last().unwrap_or(&years[0]));
            let rows: Vec<(i64, i64, String)> = sql
                .fetch_packed(
                    self.heavy_read(),
                    self.backend,
                    &["customer_id", "year", "amount"],
                )
                .await?;
            for (c, y, a) in rows {
                if by_customer.contains_key(&c) {
                    estimates.insert((c, i32::try_from(y).unwrap_or_default()), dec(&a)?);
                }
            }
        }
        let mut out: Vec<History> = by_customer
            .into_values()
            .map(|(mut h, now, before)| {
                h.orders = now.len() as u32;
                h.previous_orders = before.len() as u32;
                h.estimate = pro_rata(&estimates, h.customer_id, period);
                h.previous_estimate = pro_rata(&estimates, h.customer_id, previous);
                h
            })
            .collect();
        out.sort_by_key(|h| h.customer_id);
        Ok(out)
    }
}
