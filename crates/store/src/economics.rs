//! Customer economics: each customer's purchases in a period and the one before, with their
//! estimated category spending, for `yingpan_domain::economics`; and the estimates themselves.

use crate::audit::Audit;
use crate::sql::{push_scope_on, Sql};
use crate::{customer_scope_check, decimal as dec, ts, Result, Store, Viewer};
use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
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
    /// Its place in `cube::CARD_DIMS`; `None` for the owner.
    fn card_index(self) -> Option<usize> {
        let name = match self {
            SegmentBy::Owner => return None,
            SegmentBy::Region => "region",
            SegmentBy::Industry => "industry",
            SegmentBy::Source => "source",
            SegmentBy::Tier => "tier",
            SegmentBy::Dealer => "dealer",
            SegmentBy::ManClass => "man_class",
            SegmentBy::KeyAccount => "key_account",
        };
        yingpan_domain::cube::CARD_DIMS
            .iter()
            .position(|d| *d == name)
    }

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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
            crate::cube::bump_economics(&mut tx, viewer.org_id).await?;
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
    /// `period` or `previous`, with revenue, margin and orders in each and the estimates. Read
    /// from the customer months the statistics fold keeps (with the changes not folded yet),
    /// or from the raw order lines right after a large import.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn economics_histories(
        &self,
        viewer: &Viewer,
        period: Period,
        previous: Period,
        segment: SegmentBy,
    ) -> Result<Vec<History>> {
        match self
            .basis(viewer, period, previous, segment, None, false)
            .await?
        {
            EconomicsBasis::Fresh { histories, .. } => Ok(histories),
            EconomicsBasis::Saved(_) => unreachable!("no report was asked for"),
        }
    }

    /// What a report over `economics_histories` (named by `report`: the report and every
    /// parameter besides these) is computed from: the histories, or the answer saved by
    /// `save_economics` from the very same inputs — the same folded months and estimates
    /// (`report_generations`), no change waiting to be folded that touches them, and the same
    /// people in the viewer's scope.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn economics_basis(
        &self,
        viewer: &Viewer,
        period: Period,
        previous: Period,
        segment: SegmentBy,
        report: &str,
    ) -> Result<EconomicsBasis> {
        self.basis(viewer, period, previous, segment, Some(report), false)
            .await
    }

    /// Keeps a report computed from `EconomicsBasis::Fresh` for the requests that follow. A
    /// report of inputs that have changed since is not kept (its generation is older).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn save_economics(
        &self,
        snapshot: &Snapshot,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let current = generation(&mut tx, snapshot.org_id).await?;
        if current != snapshot.generation {
            return Ok(());
        }
        sqlx::query("DELETE FROM report_snapshots WHERE org_id = $1 AND generation <> $2")
            .bind(snapshot.org_id)
            .bind(snapshot.generation)
            .execute(&mut *tx)
            .await?;
        let kept: i64 = sqlx::query("SELECT COUNT(*) FROM report_snapshots WHERE org_id = $1")
            .bind(snapshot.org_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if kept >= MAX_SNAPSHOTS {
            // Parameters asked once each (every discount rate there is) must not grow the
            // table without end: start over.
            sqlx::query("DELETE FROM report_snapshots WHERE org_id = $1")
                .bind(snapshot.org_id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO report_snapshots (org_id, key, generation, computed_at, body) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (org_id, key) DO UPDATE SET generation = excluded.generation, \
             computed_at = excluded.computed_at, body = excluded.body",
        )
        .bind(snapshot.org_id)
        .bind(&snapshot.key)
        .bind(snapshot.generation)
        .bind(ts(now))
        .bind(body)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `economics_histories` from the raw order lines always (what the months must equal;
    /// for the tests).
    #[doc(hidden)]
    pub async fn economics_histories_raw(
        &self,
        viewer: &Viewer,
        period: Period,
        previous: Period,
        segment: SegmentBy,
    ) -> Result<Vec<History>> {
        match self
            .basis(viewer, period, previous, segment, None, true)
            .await?
        {
            EconomicsBasis::Fresh { histories, .. } => Ok(histories),
            EconomicsBasis::Saved(_) => unreachable!("no report was asked for"),
        }
    }

    async fn basis(
        &self,
        viewer: &Viewer,
        period: Period,
        previous: Period,
        segment: SegmentBy,
        report: Option<&str>,
        raw: bool,
    ) -> Result<EconomicsBasis> {
        let mut tx = self.heavy_read().begin().await?;
        if self.backend == crate::Backend::Postgres {
            // One snapshot for the generation, the folded months, the pending marks and the
            // raw rows.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let whole_months = [period.start, period.end, previous.start, previous.end]
            .iter()
            .all(|d| d.day() == 1);
        let mut snapshot = None;
        let mut folded = None;
        if whole_months && !raw {
            let generation = generation(&mut tx, viewer.org_id).await?;
            if let Some(pending) = crate::cube::pending_customers(&mut tx, viewer.org_id).await? {
                let range = Months::of(period, previous);
                let persons = crate::cube::Persons {
                    viewer,
                    owner: None,
                    team: None,
                };
                let mut now = Vec::new();
                for ids in pending.chunks(1000) {
                    for r in
                        crate::cube::customer_months_now(&mut tx, viewer.org_id, ids, Some(persons))
                            .await?
                    {
                        if r.month >= range.from && r.month < range.to {
                            now.push(r);
                        }
                    }
                }
                // The owner segments are the owners now, which no generation follows.
                if let (Some(report), true) = (report, segment != SegmentBy::Owner) {
                    now.sort_unstable();
                    let untouched = crate::cube::customer_months_folded(
                        &mut tx,
                        viewer.org_id,
                        &pending,
                        Some(persons),
                        (&range.from, &range.to),
                    )
                    .await?
                        == now;
                    if untouched {
                        let key = snapshot_key(&mut tx, viewer, period, previous, segment, report)
                            .await?;
                        let saved: Option<String> = sqlx::query(
                            "SELECT body FROM report_snapshots WHERE org_id = $1 AND key = $2 AND generation = $3",
                        )
                        .bind(viewer.org_id)
                        .bind(&key)
                        .bind(generation)
                        .fetch_optional(&mut *tx)
                        .await?
                        .map(|r| r.try_get(0))
                        .transpose()?;
                        if let Some(body) = saved {
                            tx.commit().await?;
                            return Ok(EconomicsBasis::Saved(body));
                        }
                        snapshot = Some(Snapshot {
                            org_id: viewer.org_id,
                            key,
                            generation,
                        });
                    }
                }
                folded =
                    Some(histories_folded(&mut tx, viewer, &range, segment, &pending, now).await?);
            }
        }
        // Sorted by customer.
        let mut histories = match folded {
            Some(h) => h,
            None => {
                let mut h: Vec<History> = histories_raw(&mut tx, viewer, period, previous, segment)
                    .await?
                    .into_values()
                    .collect();
                h.sort_unstable_by_key(|h| h.customer_id);
                h
            }
        };
        let years: Vec<i64> = (previous.start.year()
            ..=period.end.pred_opt().unwrap_or(period.end).year())
            .map(i64::from)
            .collect();
        let mut estimates: HashMap<(i64, i32), Decimal> = HashMap::new();
        if !histories.is_empty() {
            let mut sql = Sql::new(
                "SELECT customer_id, year, amount FROM customer_spend_estimates WHERE org_id = ",
            );
            sql.bind(viewer.org_id)
                .push(" AND year >= ")
                .bind(years[0])
                .push(" AND year <= ")
                .bind(*years.last().unwrap_or(&years[0]));
            let rows: Vec<(i64, i64, String)> = sql
                .fetch_packed(&mut *tx, self.backend, &["customer_id", "year", "amount"])
                .await?;
            for (c, y, a) in rows {
                if let Ok(i) = histories.binary_search_by_key(&c, |h| h.customer_id) {
                    estimates.insert((c, i32::try_from(y).unwrap_or_default()), dec(&a)?);
                    // Marked; computed below, once the customer's every year is read.
                    histories[i].estimate = Some(Decimal::ZERO);
                }
            }
        }
        tx.commit().await?;
        for h in histories.iter_mut().filter(|h| h.estimate.is_some()) {
            h.estimate = pro_rata(&estimates, h.customer_id, period);
            h.previous_estimate = pro_rata(&estimates, h.customer_id, previous);
        }
        Ok(EconomicsBasis::Fresh {
            histories,
            snapshot,
        })
    }

    /// The names of `ids` and of their owners, for the customers a page shows.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn customer_labels(
        &self,
        viewer: &Viewer,
        ids: &[i64],
    ) -> Result<HashMap<i64, (String, Option<String>)>> {
        let mut out = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new(&format!(
            "SELECT c.id AS id, c.name AS name, u.display_name AS owner FROM {} \
             LEFT JOIN users u ON u.id = c.owner_id AND u.org_id = c.org_id WHERE c.org_id = ",
            crate::sql::customers_by_id(self.backend)
        ));
        sql.bind(viewer.org_id).push(" AND c.id IN ").bind_list(ids);
        let rows: Vec<(i64, String, Option<String>)> = sql
            .fetch_packed(&self.read, self.backend, &["id", "name", "owner"])
            .await?;
        for (id, name, owner) in rows {
            out.insert(id, (name, owner));
        }
        Ok(out)
    }
}

/// One shared text per segment value. A card field mostly has a few values, found by
/// comparing rather than hashing half a million times; a field of many values goes to a map.
#[derive(Default)]
struct Segments<'a> {
    few: Vec<(&'a str, Arc<str>)>,
    many: HashMap<&'a str, Arc<str>>,
}

impl<'a> Segments<'a> {
    fn shared(&mut self, value: &'a str) -> Arc<str> {
        if let Some((_, shared)) = self.few.iter().find(|(s, _)| *s == value) {
            return shared.clone();
        }
        if self.few.len() < 32 {
            let shared: Arc<str> = Arc::from(value);
            self.few.push((value, shared.clone()));
            return shared;
        }
        self.many
            .entry(value)
            .or_insert_with(|| Arc::from(value))
            .clone()
    }
}

/// The next value of a column read as one text.
fn field<'a>(values: &mut impl Iterator<Item = &'a [u8]>) -> Result<&'a [u8]> {
    values
        .next()
        .ok_or_else(|| crate::StoreError::Corrupt("stat_customer_months row".into()))
}

/// A whole number as the database writes it.
fn integer(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some(if negative { -n } else { n })
}

/// An amount as stored (`1234.5`): whole amounts, most of them, without the decimal parser.
fn amount(text: &[u8]) -> Result<Decimal> {
    match integer(text) {
        Some(n) => Ok(Decimal::from(n)),
        None => dec(std::str::from_utf8(text)
            .map_err(|_| crate::StoreError::Corrupt("stat_customer_months amount".into()))?),
    }
}

/// Reports kept per organization at most; past it, the kept ones are dropped.
const MAX_SNAPSHOTS: i64 = 500;

/// What a report of the customer economics is computed from.
#[derive(Debug)]
pub enum EconomicsBasis {
    /// The report as `save_economics` was given it, computed from the same inputs.
    Saved(String),
    /// The customers' histories; and where to keep the report computed from them, unless
    /// changes waiting to be folded touch them (the report would outlive them unnoticed).
    Fresh {
        histories: Vec<History>,
        snapshot: Option<Snapshot>,
    },
}

/// A report's place in `report_snapshots`, valid for one generation of its inputs.
#[derive(Debug, Clone)]
pub struct Snapshot {
    org_id: i64,
    key: String,
    generation: i64,
}

/// The generation of the organization's customer months and estimates.
async fn generation(conn: &mut sqlx::AnyConnection, org_id: i64) -> Result<i64> {
    Ok(
        sqlx::query("SELECT economics FROM report_generations WHERE org_id = $1")
            .bind(org_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?
            .unwrap_or(0),
    )
}

/// What was asked, hashed: the report, the periods, the segmentation and the people in the
/// viewer's scope (a supervisor's team changes without any order changing).
async fn snapshot_key(
    conn: &mut sqlx::AnyConnection,
    viewer: &Viewer,
    period: Period,
    previous: Period,
    segment: SegmentBy,
    report: &str,
) -> Result<String> {
    use sha2::Digest;
    use yingpan_domain::person::Scope;
    let people = match viewer.scope {
        Scope::All => "all".to_string(),
        Scope::Own => format!("own {}", viewer.user_id),
        Scope::Subtree => {
            let backend = crate::rollup::backend_of(conn);
            let ids =
                crate::sql::subtree_ids(&mut *conn, backend, viewer.org_id, viewer.user_id).await?;
            let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!("team {}", ids.join(","))
        }
    };
    let asked = format!(
        "economics\n{report}\n{}..{}\n{}..{}\n{segment:?}\n{people}",
        period.start, period.end, previous.start, previous.end
    );
    let digest = sha2::Sha256::digest(asked.as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

fn history(customer_id: i64, segment: Arc<str>) -> History {
    History {
        customer_id,
        segment,
        ..Default::default()
    }
}

/// Adds one customer month's orders to the period it falls in.
fn add_month(h: &mut History, current: bool, sales: Decimal, margin: Decimal, orders: i64) {
    let orders = u32::try_from(orders).unwrap_or(u32::MAX);
    if current {
        h.revenue = h.revenue.saturating_add(sales);
        h.margin = h.margin.saturating_add(margin);
        h.orders = h.orders.saturating_add(orders);
    } else {
        h.previous_revenue = h.previous_revenue.saturating_add(sales);
        h.previous_orders = h.previous_orders.saturating_add(orders);
    }
}

/// The current owner's name of each customer in `ids`.
async fn owner_names(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, String>> {
    let backend = crate::rollup::backend_of(conn);
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        let mut sql = Sql::new(&format!(
            "SELECT c.id AS id, {} AS segment FROM {} LEFT JOIN users u ON u.id = c.owner_id AND u.org_id = c.org_id \
             WHERE c.org_id = ",
            SegmentBy::Owner.column(),
            crate::sql::customers_by_id(backend)
        ));
        sql.bind(org_id).push(" AND c.id IN ").bind_list(chunk);
        let rows: Vec<(i64, String)> = sql
            .fetch_packed(&mut *conn, backend, &["id", "segment"])
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The months `[from, to)` of a period and the one before it, split where the period starts.
struct Months {
    from: String,
    split: String,
    to: String,
}

impl Months {
    fn of(period: Period, previous: Period) -> Months {
        let month = |d: chrono::NaiveDate| d.format("%Y-%m").to_string();
        Months {
            from: month(previous.start),
            split: month(period.start),
            to: month(period.end),
        }
    }
}

/// From `stat_customer_months`: the folded months in scope, but the `pending` customers' from
/// `now` (their months in scope and range from the raw rows).
async fn histories_folded(
    conn: &mut sqlx::AnyConnection,
    viewer: &Viewer,
    range: &Months,
    segment: SegmentBy,
    pending: &[i64],
    now: Vec<crate::cube::CustomerMonth>,
) -> Result<Vec<History>> {
    let org_id = viewer.org_id;
    let Months { from, split, to } = range;
    let card_index = segment.card_index();
    let segment_column = match card_index {
        Some(i) => format!("s.{}", yingpan_domain::cube::CARD_DIMS[i]),
        None => "''".into(),
    };
    // One text per column, values apart by commas (the segment's by U+001F: no card value
    // holds a control character): half a million rows parse from slices of them, without a
    // JSON value or a string per field. Column by column, because joining each row's fields
    // into one text first costs SQLite twice the scan (0.8 s against 0.4 s at 500,000 rows).
    let backend = crate::rollup::backend_of(conn);
    let (concat, cast, unit) = match backend {
        crate::Backend::Sqlite => ("group_concat", "", "char(31)"),
        crate::Backend::Postgres => ("string_agg", "::text", "chr(31)"),
    };
    let mut sql = Sql::new(&format!(
        "SELECT {concat}(t.cid{cast}, ','), {concat}(t.cur{cast}, ','), {concat}(t.sales, ','), \
         {concat}(t.margin, ','), {concat}(t.orders{cast}, ','), {concat}(t.seg, {unit}) \
         FROM (SELECT s.customer_id AS cid, CASE WHEN s.month >= "
    ));
    sql.bind(split.clone()).push(&format!(
        " THEN 1 ELSE 0 END AS cur, s.sales AS sales, s.margin AS margin, s.orders AS orders, \
         {segment_column} AS seg FROM stat_customer_months s WHERE"
    ));
    let persons = crate::cube::Persons {
        viewer,
        owner: None,
        team: None,
    };
    crate::cube::push_persons(&mut sql, org_id, Some(persons), "s", "person_id");
    sql.push(" AND s.month >= ")
        .bind(from.clone())
        .push(" AND s.month < ")
        .bind(to.clone())
        .push(") t");
    let row = sql.query().fetch_one(&mut *conn).await?;
    let mut columns: Vec<String> = Vec::with_capacity(6);
    for i in 0..6 {
        columns.push(row.try_get::<Option<String>, _>(i)?.unwrap_or_default());
    }
    let skip: HashSet<i64> = pending.iter().copied().collect();
    let corrupt = || crate::StoreError::Corrupt("stat_customer_months row".into());
    let count = if columns[0].is_empty() {
        0
    } else {
        columns[0].bytes().filter(|b| *b == b',').count() + 1
    };
    // One month of one customer, taken by one person.
    struct Month<'a> {
        customer: i64,
        current: bool,
        sales: Decimal,
        margin: Decimal,
        orders: i64,
        segment: &'a str,
    }
    let mut months: Vec<Month> = Vec::with_capacity(count + now.len());
    let values = |i: usize, sep: u8| columns[i].as_bytes().split(move |b| *b == sep);
    let (mut ids, mut current, mut sales, mut margins, mut orders, mut segs) = (
        values(0, b','),
        values(1, b','),
        values(2, b','),
        values(3, b','),
        values(4, b','),
        values(5, 0x1f),
    );
    for _ in 0..count {
        let customer = integer(field(&mut ids)?).ok_or_else(corrupt)?;
        let current = field(&mut current)? == b"1";
        let sales = amount(field(&mut sales)?)?;
        let margin = amount(field(&mut margins)?)?;
        let orders = integer(field(&mut orders)?).ok_or_else(corrupt)?;
        let segment = std::str::from_utf8(field(&mut segs)?).map_err(|_| corrupt())?;
        if skip.is_empty() || !skip.contains(&customer) {
            months.push(Month {
                customer,
                current,
                sales,
                margin,
                orders,
                segment,
            });
        }
    }
    // Every column holds as many values (an empty one splits into one empty value).
    if count > 0 && (ids.next().is_some() || segs.next().is_some()) {
        return Err(corrupt());
    }
    for r in &now {
        months.push(Month {
            customer: r.customer,
            current: r.month >= *split,
            sales: r.sales,
            margin: r.margin,
            orders: r.orders,
            segment: card_index.map(|i| r.card[i].as_str()).unwrap_or(""),
        });
    }
    // By customer: a sort of the ids and their places is cheaper than a map of half a million
    // customers (no hashing, no table to grow).
    let mut order: Vec<(i64, u32)> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.customer, i as u32))
        .collect();
    order.sort_unstable();
    let mut segments = Segments::default();
    let mut out: Vec<History> = Vec::with_capacity(order.len());
    for (customer, i) in order {
        let m = &months[i as usize];
        if out.last().map(|h| h.customer_id) != Some(customer) {
            out.push(history(customer, segments.shared(m.segment)));
        }
        if let Some(h) = out.last_mut() {
            add_month(h, m.current, m.sales, m.margin, m.orders);
        }
    }
    if card_index.is_none() {
        // By owner: the customers' owners now, which the months do not keep (an owner changes
        // with every claim and recycle; the orders keep who took them).
        let ids: Vec<i64> = out.iter().map(|h| h.customer_id).collect();
        let names = owner_names(conn, org_id, &ids).await?;
        for h in out.iter_mut() {
            h.segment = names
                .get(&h.customer_id)
                .map(|n| Arc::from(n.as_str()))
                .unwrap_or_default();
        }
    }
    Ok(out)
}

/// From the raw order lines.
async fn histories_raw(
    conn: &mut sqlx::AnyConnection,
    viewer: &Viewer,
    period: Period,
    previous: Period,
    segment: SegmentBy,
) -> Result<HashMap<i64, History>> {
    let (from, _) = previous.bounds(china_offset());
    let (split, to) = period.bounds(china_offset());
    let mut sql = Sql::new(&format!(
        "SELECT o.customer_id AS cid, o.id AS oid, o.created_at AS at, l.amount AS amount, l.quantity AS qty, \
         l.unit_cost AS cost, {} AS segment \
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
    let backend = crate::rollup::backend_of(conn);
    type Line = (i64, i64, String, String, String, Option<String>, String);
    let rows: Vec<Line> = sql
        .fetch_packed(
            &mut *conn,
            backend,
            &["cid", "oid", "at", "amount", "qty", "cost", "segment"],
        )
        .await?;
    let split = ts(split);
    let mut by_customer: HashMap<i64, (History, HashSet<i64>, HashSet<i64>)> = HashMap::new();
    for (cid, oid, at, amount, qty, cost, seg) in rows {
        let entry = by_customer.entry(cid).or_insert_with(|| {
            (
                history(cid, seg.into()),
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
    Ok(by_customer
        .into_iter()
        .map(|(cid, (mut h, now, before))| {
            h.orders = now.len() as u32;
            h.previous_orders = before.len() as u32;
            (cid, h)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{amount, integer};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn amounts_read_as_the_decimal_parser_reads_them() {
        for text in ["0", "29920", "-15", "1234.5", "0.01", "-0.5", "99999999999"] {
            assert_eq!(
                amount(text.as_bytes()).unwrap(),
                Decimal::from_str(text).unwrap(),
                "{text}"
            );
        }
        for bad in ["", "-", "1,5", "abc"] {
            assert!(amount(bad.as_bytes()).is_err(), "{bad}");
        }
        assert_eq!(integer(b"9223372036854775808"), None, "past i64");
    }
}
