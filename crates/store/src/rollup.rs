//! The figures rollups (`figures_daily`, `figures_monthly`): each person's tally
//! (`yingpan_domain::rollup::Tally`) per day and per month, kept in the transaction that writes
//! the orders, payments, registrations and visits they count. Each write names the person-days
//! and the part it changed; the part is recounted from that person-day's raw rows with the same
//! loaders a full rebuild uses, so a rollup is always the raw data's count, never a running sum
//! that could drift.

use crate::sql::Sql;
use crate::{decimal as dec, ts, Backend, Result, Store, StoreError};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use yingpan_domain::order::{line_margin, order_margin, PaymentKind};
use yingpan_domain::rollup::{cover, day_key, month_key, Tally};
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::{OrderFact, PaymentFact, Period, VisitFact};

/// The backend behind a connection: the packed reads differ.
pub(crate) fn backend_of(conn: &AnyConnection) -> Backend {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// On PostgreSQL, waits for other transactions refreshing the same rollup row (or deciding the
/// same customer-month): a recount reads what they committed instead of overwriting it. SQLite
/// has one writer. Keys are taken in a fixed order (days, then months), so two transactions
/// cannot wait for each other.
async fn lock(conn: &mut AnyConnection, key: &str) -> Result<()> {
    if backend_of(conn) != Backend::Postgres {
        return Ok(());
    }
    // FNV-1a: stable across processes, unlike the standard library's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    sqlx::query("SELECT pg_advisory_xact_lock(5, CAST($1 AS INTEGER))")
        .bind(i64::from(h as i32))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Which part of a person-day's tally a write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Part {
    /// Orders by their owner and the day they were registered (sales, margin, counts).
    Orders,
    /// Money moved, by the order's owner and the day it was recorded.
    Payments,
    /// Customers registered, by who registered them and when (live ones only).
    Registrations,
    /// Visits, by the visitor and the day.
    Visits,
}

const PARTS: [Part; 4] = [
    Part::Orders,
    Part::Payments,
    Part::Registrations,
    Part::Visits,
];

/// Changes applied as differences rather than recounts: a day's registrations and payments
/// can be many (an import of a hundred thousand customers in one day), its orders and visits
/// per person are few.
#[derive(Debug, Default, Clone)]
pub(crate) struct Delta {
    pub new_customers: i64,
    pub new_dealers: i64,
    pub collected: Decimal,
}

/// The person-days a transaction changed: parts to recount, differences to add.
#[derive(Debug, Default)]
pub(crate) struct Touched {
    recount: BTreeMap<(i64, NaiveDate), BTreeSet<Part>>,
    deltas: BTreeMap<(i64, NaiveDate), Delta>,
}

impl Touched {
    /// Recount `part` (orders or visits) of the person's day of `stamp`.
    pub fn add(&mut self, user_id: i64, stamp: &str, part: Part) -> Result<()> {
        self.recount
            .entry((user_id, local_day(stamp)?))
            .or_default()
            .insert(part);
        Ok(())
    }

    /// Customers (and dealers among them) counted for, or taken from, their registrar's day.
    pub fn registered(
        &mut self,
        user_id: i64,
        stamp: &str,
        customers: i64,
        dealers: i64,
    ) -> Result<()> {
        let d = self.deltas.entry((user_id, local_day(stamp)?)).or_default();
        d.new_customers += customers;
        d.new_dealers += dealers;
        Ok(())
    }

    /// Money moved on an order in the reporting currency, signed as it counts (refunds
    /// negative), for the order owner's day of `stamp`.
    pub fn collected(&mut self, user_id: i64, stamp: &str, amount: Decimal) -> Result<()> {
        let d = self.deltas.entry((user_id, local_day(stamp)?)).or_default();
        d.collected = d.collected.saturating_add(amount);
        Ok(())
    }
}

pub(crate) fn local_day(stamp: &str) -> Result<NaiveDate> {
    Ok(crate::parse_ts(stamp)?
        .with_timezone(&china_offset())
        .date_naive())
}

type Tallies = BTreeMap<(i64, NaiveDate), Tally>;

/// `[from, to)` days as stored timestamps.
fn bounds(from: NaiveDate, to: NaiveDate) -> (String, String) {
    let (a, b) = Period {
        start: from,
        end: to,
    }
    .bounds(china_offset());
    (ts(a), ts(b))
}

/// ` AND <column> = user` when one person is recounted.
fn push_user(sql: &mut Sql, column: &str, user: Option<i64>) {
    if let Some(u) = user {
        sql.push(&format!(" AND {column} = ")).bind(u);
    }
}

fn span_sql(select: &str, org_id: i64, column: &str, from: &str, to: &str) -> Sql {
    let mut sql = Sql::new(select);
    sql.push(" WHERE o.org_id = ")
        .bind(org_id)
        .push(&format!(" AND {column} >= "))
        .bind(from.to_string())
        .push(&format!(" AND {column} < "))
        .bind(to.to_string());
    sql
}

/// Counts one part from the raw rows of `[from, to)`, for one person or everyone.
async fn count_part(
    conn: &mut AnyConnection,
    backend: Backend,
    org_id: i64,
    user: Option<i64>,
    (from, to): (NaiveDate, NaiveDate),
    part: Part,
) -> Result<Tallies> {
    let (lo, hi) = bounds(from, to);
    let mut out = Tallies::new();
    match part {
        Part::Orders => {
            let mut sql = span_sql(
                "SELECT l.order_id, l.quantity, l.amount, l.unit_cost FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id",
                org_id,
                "o.created_at",
                &lo,
                &hi,
            );
            push_user(&mut sql, "o.owner_id", user);
            let lines: Vec<(i64, String, String, Option<String>)> = sql
                .fetch_packed(
                    &mut *conn,
                    backend,
                    &["order_id", "quantity", "amount", "unit_cost"],
                )
                .await?;
            let mut margins: HashMap<i64, Vec<Option<Decimal>>> = HashMap::new();
            for (order, quantity, amount, cost) in lines {
                let cost = cost.map(|c| dec(&c)).transpose()?;
                margins.entry(order).or_default().push(line_margin(
                    dec(&amount)?,
                    dec(&quantity)?,
                    cost,
                ));
            }
            let mut sql = span_sql(
                "SELECT o.id, o.owner_id, o.customer_id, o.total, o.currency, o.created_at FROM orders o",
                org_id,
                "o.created_at",
                &lo,
                &hi,
            );
            push_user(&mut sql, "o.owner_id", user);
            let rows: Vec<(i64, i64, i64, String, String, String)> = sql
                .fetch_packed(
                    &mut *conn,
                    backend,
                    &[
                        "id",
                        "owner_id",
                        "customer_id",
                        "total",
                        "currency",
                        "created_at",
                    ],
                )
                .await?;
            let mut facts: BTreeMap<(i64, NaiveDate), Vec<OrderFact>> = BTreeMap::new();
            for (id, owner_id, customer_id, total, currency, at) in rows {
                facts
                    .entry((owner_id, local_day(&at)?))
                    .or_default()
                    .push(OrderFact {
                        owner_id,
                        customer_id,
                        total: dec(&total)?,
                        currency,
                        margin: order_margin(margins.remove(&id).unwrap_or_default()),
                    });
            }
            for (key, orders) in facts {
                out.insert(key, Tally::of(&orders, &[], &[]));
            }
        }
        Part::Payments => {
            let mut sql = span_sql(
                "SELECT o.owner_id, p.kind, p.amount, o.currency, p.recorded_at FROM order_payments p JOIN orders o ON o.id = p.order_id AND o.org_id = p.org_id",
                org_id,
                "p.recorded_at",
                &lo,
                &hi,
            );
            sql.push(" AND p.org_id = ").bind(org_id);
            push_user(&mut sql, "o.owner_id", user);
            let rows: Vec<(i64, String, String, String, String)> = sql
                .fetch_packed(
                    &mut *conn,
                    backend,
                    &["owner_id", "kind", "amount", "currency", "recorded_at"],
                )
                .await?;
            let mut facts: BTreeMap<(i64, NaiveDate), Vec<PaymentFact>> = BTreeMap::new();
            for (owner_id, kind, amount, currency, at) in rows {
                facts
                    .entry((owner_id, local_day(&at)?))
                    .or_default()
                    .push(PaymentFact {
                        owner_id,
                        kind: PaymentKind::parse(&kind).map_err(|_| StoreError::Corrupt(kind))?,
                        amount: dec(&amount)?,
                        currency,
                    });
            }
            for (key, payments) in facts {
                out.insert(key, Tally::of(&[], &payments, &[]));
            }
        }
        Part::Registrations => {
            let mut sql = span_sql(
                "SELECT o.created_by, o.created_at, CASE WHEN o.dealer IS NULL THEN 0 ELSE 1 END AS is_dealer FROM customers o",
                org_id,
                "o.created_at",
                &lo,
                &hi,
            );
            sql.push(" AND o.deleted_at IS NULL");
            push_user(&mut sql, "o.created_by", user);
            let rows: Vec<(i64, String, i64)> = sql
                .fetch_packed(
                    &mut *conn,
                    backend,
                    &["created_by", "created_at", "is_dealer"],
                )
                .await?;
            for (who, at, dealer) in rows {
                let t = out.entry((who, local_day(&at)?)).or_default();
                t.new_customers += 1;
                t.new_dealers += u32::from(dealer != 0);
            }
        }
        Part::Visits => {
            let mut sql = span_sql(
                "SELECT o.user_id, o.customer_id, o.outcome, o.next_step, o.customer_ordered, o.occurred_at FROM activities o",
                org_id,
                "o.occurred_at",
                &lo,
                &hi,
            );
            sql.push(" AND o.kind = 'visit'");
            push_user(&mut sql, "o.user_id", user);
            type VisitRow = (i64, i64, Option<String>, Option<String>, i64, String);
            let rows: Vec<VisitRow> = sql
                .fetch_packed(
                    &mut *conn,
                    backend,
                    &[
                        "user_id",
                        "customer_id",
                        "outcome",
                        "next_step",
                        "customer_ordered",
                        "occurred_at",
                    ],
                )
                .await?;
            let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
            let mut facts: BTreeMap<(i64, NaiveDate), Vec<VisitFact>> = BTreeMap::new();
            for (user_id, customer_id, outcome, next_step, ordered, at) in rows {
                facts
                    .entry((user_id, local_day(&at)?))
                    .or_default()
                    .push(VisitFact {
                        user_id,
                        customer_id,
                        outcome_recorded: filled(&outcome),
                        next_step_recorded: filled(&next_step),
                        customer_ordered: ordered != 0,
                    });
            }
            for (key, visits) in facts {
                out.insert(key, Tally::of(&[], &[], &visits));
            }
        }
    }
    Ok(out)
}

/// Copies one part's fields from `from` into `into`.
fn set_part(into: &mut Tally, from: &Tally, part: Part) {
    match part {
        Part::Orders => {
            into.sales = from.sales;
            into.orders = from.orders;
            into.gross_margin = from.gross_margin;
            into.orders_without_cost = from.orders_without_cost;
            into.other_currency_orders = from.other_currency_orders;
        }
        Part::Payments => into.collected = from.collected,
        Part::Registrations => {
            into.new_customers = from.new_customers;
            into.new_dealers = from.new_dealers;
        }
        Part::Visits => {
            into.visits = from.visits;
            into.effective_visits = from.effective_visits;
        }
    }
}

const COLUMNS: &str = "sales, orders, gross_margin, orders_without_cost, other_currency_orders, \
    collected, new_customers, new_dealers, visits, effective_visits";

/// `COLUMNS` set from the row an upsert proposed.
const UPDATE_COLUMNS: &str = "sales = excluded.sales, orders = excluded.orders, \
    gross_margin = excluded.gross_margin, orders_without_cost = excluded.orders_without_cost, \
    other_currency_orders = excluded.other_currency_orders, collected = excluded.collected, \
    new_customers = excluded.new_customers, new_dealers = excluded.new_dealers, \
    visits = excluded.visits, effective_visits = excluded.effective_visits";

fn tally_of_row(r: &sqlx::any::AnyRow) -> Result<Tally> {
    let n = |c: &str| -> Result<u32> { Ok(r.try_get::<i64, _>(c)? as u32) };
    Ok(Tally {
        sales: dec(&r.try_get::<String, _>("sales")?)?,
        orders: n("orders")?,
        gross_margin: dec(&r.try_get::<String, _>("gross_margin")?)?,
        orders_without_cost: n("orders_without_cost")?,
        other_currency_orders: n("other_currency_orders")?,
        collected: dec(&r.try_get::<String, _>("collected")?)?,
        new_customers: n("new_customers")?,
        new_dealers: n("new_dealers")?,
        visits: n("visits")?,
        effective_visits: n("effective_visits")?,
    })
}

/// Replaces one rollup row (none when nothing happened).
async fn write_row(
    conn: &mut AnyConnection,
    table: &str,
    key_column: &str,
    org_id: i64,
    user_id: i64,
    key: &str,
    t: &Tally,
) -> Result<()> {
    if t.is_empty() {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE org_id = $1 AND user_id = $2 AND {key_column} = $3"
        ))
        .bind(org_id)
        .bind(user_id)
        .bind(key)
        .execute(&mut *conn)
        .await?;
        return Ok(());
    }
    // One statement, not a delete and an insert: each is a round trip inside the writing
    // transaction (an order or a visit writes a day and a month).
    sqlx::query(&format!(
        "INSERT INTO {table} (org_id, user_id, {key_column}, {COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (org_id, user_id, {key_column}) DO UPDATE SET {UPDATE_COLUMNS}"
    ))
    .bind(org_id)
    .bind(user_id)
    .bind(key)
    .bind(t.sales.to_string())
    .bind(i64::from(t.orders))
    .bind(t.gross_margin.to_string())
    .bind(i64::from(t.orders_without_cost))
    .bind(i64::from(t.other_currency_orders))
    .bind(t.collected.to_string())
    .bind(i64::from(t.new_customers))
    .bind(i64::from(t.new_dealers))
    .bind(i64::from(t.visits))
    .bind(i64::from(t.effective_visits))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Each person's month from their days.
async fn write_months(
    conn: &mut AnyConnection,
    org_id: i64,
    months: BTreeSet<(i64, NaiveDate)>,
) -> Result<()> {
    for (user_id, first) in months {
        lock(conn, &format!("{org_id}/{user_id}/{}", month_key(first))).await?;
        let next = Period::month_of(first).end;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM figures_daily WHERE org_id = $1 AND user_id = $2 AND day >= $3 AND day < $4"
        ))
        .bind(org_id)
        .bind(user_id)
        .bind(day_key(first))
        .bind(day_key(next))
        .fetch_all(&mut *conn)
        .await?;
        let mut month = Tally::default();
        for r in &rows {
            month.add(&tally_of_row(r)?);
        }
        write_row(
            conn,
            "figures_monthly",
            "month",
            org_id,
            user_id,
            &month_key(first),
            &month,
        )
        .await?;
    }
    Ok(())
}

/// Recounts the touched parts of each touched person-day, then their months.
pub(crate) async fn refresh(conn: &mut AnyConnection, org_id: i64, touched: Touched) -> Result<()> {
    let backend = backend_of(conn);
    let mut months = BTreeSet::new();
    let mut keys: BTreeMap<(i64, NaiveDate), (BTreeSet<Part>, Option<Delta>)> = BTreeMap::new();
    for (key, parts) in touched.recount {
        keys.entry(key).or_default().0 = parts;
    }
    for (key, delta) in touched.deltas {
        keys.entry(key).or_default().1 = Some(delta);
    }
    for ((user_id, day), (parts, delta)) in keys {
        let key = day_key(day);
        lock(conn, &format!("{org_id}/{user_id}/{key}")).await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM figures_daily WHERE org_id = $1 AND user_id = $2 AND day = $3"
        ))
        .bind(org_id)
        .bind(user_id)
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await?;
        let mut tally = row
            .as_ref()
            .map(tally_of_row)
            .transpose()?
            .unwrap_or_default();
        for part in parts {
            let counted = count_part(
                conn,
                backend,
                org_id,
                Some(user_id),
                (day, day + Duration::days(1)),
                part,
            )
            .await?;
            let fresh = counted.get(&(user_id, day)).cloned().unwrap_or_default();
            set_part(&mut tally, &fresh, part);
        }
        if let Some(d) = delta {
            let shift = |n: u32, by: i64| -> Result<u32> {
                u32::try_from(i64::from(n) + by)
                    .map_err(|_| StoreError::Corrupt(format!("rollup count {n} {by:+}")))
            };
            tally.new_customers = shift(tally.new_customers, d.new_customers)?;
            tally.new_dealers = shift(tally.new_dealers, d.new_dealers)?;
            tally.collected = tally.collected.saturating_add(d.collected);
        }
        write_row(conn, "figures_daily", "day", org_id, user_id, &key, &tally).await?;
        months.insert((user_id, Period::month_of(day).start));
    }
    write_months(conn, org_id, months).await
}

/// Counts a live customer for (`sign` 1: registered, restored) or takes it from (`sign` -1:
/// deleted, merged away) the day it was registered, by who registered it.
pub(crate) async fn customer_counted(
    conn: &mut AnyConnection,
    org_id: i64,
    customer_id: i64,
    sign: i64,
) -> Result<()> {
    shift_registration(conn, org_id, customer_id, sign, |dealer| {
        sign * i64::from(dealer)
    })
    .await
}

/// A customer just registered by `registrar` at `created_at`, not a dealer: one more for the
/// registrar's day and month, each counted up in one statement. Registration is the most
/// frequent write of all; the general path reads the day back and re-sums the month from its
/// days (four statements instead of two). Adding one to both keeps the month the sum of its
/// days; `rollup_differences`, which the tests' rollup check runs, compares both with a
/// recount of the raw rows.
pub(crate) async fn registration_counted(
    conn: &mut AnyConnection,
    org_id: i64,
    registrar: i64,
    created_at: &str,
) -> Result<()> {
    let day = local_day(created_at)?;
    for (table, key_column, key) in [
        ("figures_daily", "day", day_key(day)),
        (
            "figures_monthly",
            "month",
            month_key(Period::month_of(day).start),
        ),
    ] {
        // The key `refresh` and `write_months` lock: a recount of this row waits for us.
        lock(conn, &format!("{org_id}/{registrar}/{key}")).await?;
        sqlx::query(&format!(
            "INSERT INTO {table} (org_id, user_id, {key_column}, {COLUMNS}) \
             VALUES ($1, $2, $3, '0', 0, '0', 0, 0, '0', 1, 0, 0, 0) \
             ON CONFLICT (org_id, user_id, {key_column}) DO UPDATE SET new_customers = {table}.new_customers + 1"
        ))
        .bind(org_id)
        .bind(registrar)
        .bind(&key)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A live customer became a dealer (`sign` 1) or stopped being one (-1).
pub(crate) async fn dealer_changed(
    conn: &mut AnyConnection,
    org_id: i64,
    customer_id: i64,
    sign: i64,
) -> Result<()> {
    shift_registration(conn, org_id, customer_id, 0, |_| sign).await
}

/// Adds `customers` (and `dealers(is a dealer now)`) to the registrar's day of the customer.
async fn shift_registration(
    conn: &mut AnyConnection,
    org_id: i64,
    customer_id: i64,
    customers: i64,
    dealers: impl FnOnce(bool) -> i64,
) -> Result<()> {
    let r = sqlx::query(
        "SELECT created_by, created_at, CASE WHEN dealer IS NULL THEN 0 ELSE 1 END AS is_dealer \
         FROM customers WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(customer_id)
    .fetch_one(&mut *conn)
    .await?;
    let mut touched = Touched::default();
    touched.registered(
        r.try_get("created_by")?,
        &r.try_get::<String, _>("created_at")?,
        customers,
        dealers(r.try_get::<i64, _>("is_dealer")? != 0),
    )?;
    refresh(conn, org_id, touched).await
}

/// After activities moved to another customer (a merge or its undoing): their
/// `customer_ordered` follows the customer they are on now.
pub(crate) async fn activities_moved(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
) -> Result<()> {
    let mut touched = Touched::default();
    for id in ids {
        let r = sqlx::query(
            "SELECT user_id, customer_id, occurred_at, customer_ordered FROM activities \
             WHERE org_id = $1 AND id = $2 AND kind = 'visit'",
        )
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(r) = r else { continue };
        let at: String = r.try_get("occurred_at")?;
        let now = ordered_in_month(conn, org_id, r.try_get("customer_id")?, &at).await?;
        if now != (r.try_get::<i64, _>("customer_ordered")? != 0) {
            sqlx::query(
                "UPDATE activities SET customer_ordered = $1 WHERE org_id = $2 AND id = $3",
            )
            .bind(i64::from(now))
            .bind(org_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            touched.add(r.try_get("user_id")?, &at, Part::Visits)?;
        }
    }
    refresh(conn, org_id, touched).await
}

/// Sets `customer_ordered` on the visits of `customer_id` in the month (company time) of an
/// order registered at `stamp`, and names the person-days whose effective visits may change.
pub(crate) async fn order_placed(
    conn: &mut AnyConnection,
    org_id: i64,
    customer_id: i64,
    stamp: &str,
    touched: &mut Touched,
) -> Result<()> {
    let month = Period::month_of(local_day(stamp)?);
    lock(
        conn,
        &format!("{org_id}/c{customer_id}/{}", month_key(month.start)),
    )
    .await?;
    let (lo, hi) = bounds(month.start, month.end);
    let rows = sqlx::query(
        "SELECT user_id, occurred_at FROM activities WHERE org_id = $1 AND customer_id = $2 \
         AND occurred_at >= $3 AND occurred_at < $4 AND kind = 'visit' AND customer_ordered = 0",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(&lo)
    .bind(&hi)
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    for r in &rows {
        touched.add(
            r.try_get("user_id")?,
            &r.try_get::<String, _>("occurred_at")?,
            Part::Visits,
        )?;
    }
    sqlx::query(
        "UPDATE activities SET customer_ordered = 1 WHERE org_id = $1 AND customer_id = $2 \
         AND occurred_at >= $3 AND occurred_at < $4 AND kind = 'visit' AND customer_ordered = 0",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(&lo)
    .bind(&hi)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the customer placed an order in the month (company time) of `stamp`: what a new
/// activity stores as `customer_ordered`.
pub(crate) async fn ordered_in_month(
    conn: &mut AnyConnection,
    org_id: i64,
    customer_id: i64,
    stamp: &str,
) -> Result<bool> {
    let month = Period::month_of(local_day(stamp)?);
    lock(
        conn,
        &format!("{org_id}/c{customer_id}/{}", month_key(month.start)),
    )
    .await?;
    let (lo, hi) = bounds(month.start, month.end);
    Ok(sqlx::query(
        "SELECT 1 FROM orders WHERE org_id = $1 AND customer_id = $2 AND created_at >= $3 AND created_at < $4 LIMIT 1",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(lo)
    .bind(hi)
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}

/// Visits of `[first, end)` (whole months) whose stored `customer_ordered` disagrees with
/// the orders of their month, with the value it should have: one pass over the span.
async fn wrong_flags(
    conn: &mut AnyConnection,
    backend: Backend,
    org_id: i64,
    (first, end): (NaiveDate, NaiveDate),
) -> Result<Vec<(i64, bool)>> {
    let (lo, hi) = bounds(first, end);
    let orders: Vec<(i64, String)> = span_sql(
        "SELECT o.customer_id, o.created_at FROM orders o",
        org_id,
        "o.created_at",
        &lo,
        &hi,
    )
    .fetch_packed(&mut *conn, backend, &["customer_id", "created_at"])
    .await?;
    let mut ordering: HashSet<(i64, String)> = HashSet::new();
    for (customer, at) in orders {
        ordering.insert((customer, crate::local_month(&at)?));
    }
    let mut sql = span_sql(
        "SELECT o.id, o.customer_id, o.customer_ordered, o.occurred_at FROM activities o",
        org_id,
        "o.occurred_at",
        &lo,
        &hi,
    );
    sql.push(" AND o.kind = 'visit'");
    let visits: Vec<(i64, i64, i64, String)> = sql
        .fetch_packed(
            &mut *conn,
            backend,
            &["id", "customer_id", "customer_ordered", "occurred_at"],
        )
        .await?;
    let mut out = Vec::new();
    for (id, customer, stored, at) in visits {
        let now = ordering.contains(&(customer, crate::local_month(&at)?));
        if now != (stored != 0) {
            out.push((id, now));
        }
    }
    Ok(out)
}

/// The months (first days) in which the organization has any counted row.
async fn months_with_data(conn: &mut AnyConnection, org_id: i64) -> Result<Vec<NaiveDate>> {
    let mut first: Option<NaiveDate> = None;
    let mut last: Option<NaiveDate> = None;
    for (table, column) in [
        ("orders", "created_at"),
        ("order_payments", "recorded_at"),
        ("customers", "created_at"),
        ("activities", "occurred_at"),
    ] {
        let r = sqlx::query(&format!(
            "SELECT MIN({column}) AS lo, MAX({column}) AS hi FROM {table} WHERE org_id = $1"
        ))
        .bind(org_id)
        .fetch_one(&mut *conn)
        .await?;
        for (c, pick_min) in [("lo", true), ("hi", false)] {
            if let Some(stamp) = r.try_get::<Option<String>, _>(c)? {
                let d = local_day(&stamp)?;
                let slot = if pick_min { &mut first } else { &mut last };
                *slot = Some(match *slot {
                    Some(x) if pick_min => x.min(d),
                    Some(x) => x.max(d),
                    None => d,
                });
            }
        }
    }
    let mut out = Vec::new();
    if let (Some(first), Some(last)) = (first, last) {
        let mut m = Period::month_of(first).start;
        while m <= last {
            out.push(m);
            m = Period::month_of(m).end;
        }
    }
    Ok(out)
}

/// Every person-day and person-month of one month, counted from the raw rows.
async fn count_month(
    conn: &mut AnyConnection,
    backend: Backend,
    org_id: i64,
    first: NaiveDate,
) -> Result<Tallies> {
    let span = (first, Period::month_of(first).end);
    let mut days = Tallies::new();
    for part in PARTS {
        for (key, t) in count_part(conn, backend, org_id, None, span, part).await? {
            days.entry(key).or_default().add(&t);
        }
    }
    Ok(days)
}

/// Recomputes every visit's `customer_ordered` and every rollup row of one organization from
/// the raw rows: for data written by other means (the benchmark's generator) and the
/// migration that introduced the rollups.
pub(crate) async fn rebuild(conn: &mut AnyConnection, org_id: i64) -> Result<()> {
    let backend = backend_of(conn);
    for table in ["figures_daily", "figures_monthly"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1"))
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
    }
    let months = months_with_data(conn, org_id).await?;
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(());
    };
    // The whole span in one pass per table: a month at a time would scan the activities once
    // per month (their index is by person and by customer, not by time).
    let span = (*first, Period::month_of(*last).end);
    let mut flips: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    for (id, now) in wrong_flags(conn, backend, org_id, span).await? {
        flips[usize::from(now)].push(id);
    }
    for (value, ids) in flips.iter_mut().enumerate() {
        // In id order the updates walk the table's pages once, front to back.
        ids.sort_unstable();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            sqlx::query(&format!(
                "UPDATE activities SET customer_ordered = {value} WHERE org_id = $1 AND id IN ({})",
                list.join(",")
            ))
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
        }
    }
    let mut days = Tallies::new();
    for part in PARTS {
        for (key, t) in count_part(conn, backend, org_id, None, span, part).await? {
            days.entry(key).or_default().add(&t);
        }
    }
    let mut months: BTreeMap<(i64, NaiveDate), Tally> = BTreeMap::new();
    for ((user_id, day), t) in &days {
        months
            .entry((*user_id, Period::month_of(*day).start))
            .or_default()
            .add(t);
        write_row(
            conn,
            "figures_daily",
            "day",
            org_id,
            *user_id,
            &day_key(*day),
            t,
        )
        .await?;
    }
    for ((user_id, first), t) in months {
        write_row(
            conn,
            "figures_monthly",
            "month",
            org_id,
            user_id,
            &month_key(first),
            &t,
        )
        .await?;
    }
    Ok(())
}

async fn stored_rows(
    conn: &mut AnyConnection,
    org_id: i64,
    table: &str,
    key: &str,
) -> Result<BTreeMap<(i64, String), Tally>> {
    let rows = sqlx::query(&format!(
        "SELECT user_id, {key} AS k, {COLUMNS} FROM {table} WHERE org_id = $1"
    ))
    .bind(org_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        out.insert((r.try_get("user_id")?, r.try_get("k")?), tally_of_row(r)?);
    }
    Ok(out)
}

impl Store {
    /// Rebuilds one organization's rollups from the raw rows, in one transaction.
    /// [`Store::rebuild_rollups`] for every organization; how many there were.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn rebuild_all_rollups(&self) -> Result<usize> {
        let orgs: Vec<i64> = crate::sql::first_ids(
            &sqlx::query("SELECT id FROM organizations ORDER BY id")
                .fetch_all(self.heavy_read())
                .await?,
        )?;
        for org in &orgs {
            self.rebuild_rollups(*org).await?;
        }
        Ok(orgs.len())
    }

    /// Recounts the figures rollups and the statistics cube from the raw rows.
    pub async fn rebuild_rollups(&self, org_id: i64) -> Result<()> {
        // A rebuild reads and rewrites pages all over the activities: the import's cache (the
        // writer's everyday one thrashed, each flag update a random read at a million).
        let sqlite = self.backend == crate::Backend::Sqlite;
        if sqlite {
            sqlx::raw_sql(&format!("PRAGMA cache_size = -{}", crate::IMPORT_CACHE_KIB))
                .execute(&self.write)
                .await?;
        }
        let rebuilt = async {
            let mut tx = self.write.begin().await?;
            rebuild(&mut tx, org_id).await?;
            crate::cube::rebuild(&mut tx, self.backend, org_id).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if sqlite {
            sqlx::raw_sql(&format!("PRAGMA cache_size = -{}", crate::WRITER_CACHE_KIB))
                .execute(&self.write)
                .await?;
        }
        rebuilt
    }

    /// Where the stored rollups (visits' `customer_ordered`, customers' latest follow-up) differ
    /// from a count of the raw rows: empty when they agree. What the tests assert after each
    /// scenario.
    pub async fn rollup_differences(&self, org_id: i64) -> Result<Vec<String>> {
        let mut conn = self.read.acquire().await?;
        let mut diffs = Vec::new();
        for first in months_with_data(&mut conn, org_id).await? {
            let span = (first, Period::month_of(first).end);
            for (id, now) in wrong_flags(&mut conn, self.backend, org_id, span).await? {
                diffs.push(format!("visit {id}: customer_ordered should be {now}"));
            }
        }
        // Each customer's latest follow-up (migration 0049's trigger) against the activities.
        let stale = sqlx::query(
            "SELECT c.id FROM customers c WHERE c.org_id = $1 AND c.last_activity_at <> \
             COALESCE((SELECT MAX(a.occurred_at) FROM activities a WHERE a.org_id = c.org_id AND a.customer_id = c.id), '')",
        )
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
        for r in stale {
            diffs.push(format!(
                "customer {}: last_activity_at differs from its activities",
                r.try_get::<i64, _>(0)?
            ));
        }
        // The funnel's activity counts per person and day (migration 0065) against the
        // activities, their day reckoned in Rust.
        type ActivityKey = (i64, String, String, i64, String);
        let mut want: BTreeMap<ActivityKey, (i64, i64)> = BTreeMap::new();
        type ActivityRow = (
            i64,
            String,
            String,
            Option<i64>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<ActivityRow> =
            Sql::new("SELECT a.user_id, a.occurred_at, a.kind, a.reached, a.purpose, a.duration_minutes FROM activities a WHERE a.org_id = ")
                .bind(org_id)
                .clone()
                .fetch_packed(
                    &mut *conn,
                    self.backend,
                    &["user_id", "occurred_at", "kind", "reached", "purpose", "duration_minutes"],
                )
                .await?;
        for (user, at, kind, reached, purpose, minutes) in rows {
            let key = (
                user,
                local_day(&at)?.to_string(),
                kind,
                reached.unwrap_or(-1),
                purpose.unwrap_or_default(),
            );
            let e = want.entry(key).or_default();
            e.0 += 1;
            e.1 += minutes.unwrap_or(0);
        }
        let rows: Vec<(i64, String, String, i64, String, i64, i64)> = Sql::new(
            "SELECT d.user_id, d.day, d.kind, d.reached, d.purpose, d.n, d.minutes FROM activity_daily d WHERE d.n <> 0 AND d.org_id = ",
        )
        .bind(org_id)
        .clone()
        .fetch_packed(
            &mut *conn,
            self.backend,
            &["user_id", "day", "kind", "reached", "purpose", "n", "minutes"],
        )
        .await?;
        let have: BTreeMap<ActivityKey, (i64, i64)> = rows
            .into_iter()
            .map(|(u, d, k, r, p, n, m)| ((u, d, k, r, p), (n, m)))
            .collect();
        if have != want {
            diffs.push(format!("activity_daily {have:?} ≠ raw {want:?}"));
        }
        let daily = stored_rows(&mut conn, org_id, "figures_daily", "day").await?;
        let monthly = stored_rows(&mut conn, org_id, "figures_monthly", "month").await?;
        let mut want_daily = BTreeMap::new();
        let mut want_monthly: BTreeMap<(i64, String), Tally> = BTreeMap::new();
        for first in months_with_data(&mut conn, org_id).await? {
            for ((user_id, day), t) in count_month(&mut conn, self.backend, org_id, first).await? {
                if t.is_empty() {
                    continue;
                }
                want_monthly
                    .entry((user_id, month_key(first)))
                    .or_default()
                    .add(&t);
                want_daily.insert((user_id, day_key(day)), t);
            }
        }
        // The per-day ownership counts (migrations 0041, 0066) and the open receivables (0066)
        // against the rows they count, reckoned in Rust.
        {
            let rows: Vec<(String, String)> = Sql::new(
                "SELECT o.changed_at, o.reason FROM ownership_changes o WHERE o.org_id = ",
            )
            .bind(org_id)
            .clone()
            .fetch_packed(&mut *conn, self.backend, &["changed_at", "reason"])
            .await?;
            let mut want: BTreeMap<(String, String), i64> = BTreeMap::new();
            for (at, reason) in rows {
                *want
                    .entry((local_day(&at)?.to_string(), reason))
                    .or_default() += 1;
            }
            let mut sql = Sql::new("SELECT d.day, d.reason, CAST(SUM(d.n) AS BIGINT) AS n FROM ");
            crate::sql::push_counted(
                &mut sql,
                self.backend,
                org_id,
                "ownership_daily",
                "ownership_daily_changes",
                "org_id, day, reason, n",
                "d",
            );
            sql.push(" WHERE d.org_id = ")
                .bind(org_id)
                .push(" GROUP BY d.day, d.reason HAVING SUM(d.n) <> 0");
            let rows: Vec<(String, String, i64)> = sql
                .fetch_packed(&mut *conn, self.backend, &["day", "reason", "n"])
                .await?;
            let have: BTreeMap<(String, String), i64> =
                rows.into_iter().map(|(d, r, n)| ((d, r), n)).collect();
            if have != want {
                diffs.push(format!("ownership_daily {have:?} ≠ raw {want:?}"));
            }

            let rows: Vec<(i64, String, String, String)> = Sql::new(
                "SELECT o.owner_id, o.due_date, o.total, o.paid FROM orders o WHERE o.settled = 0 AND o.org_id = ",
            )
            .bind(org_id)
            .clone()
            .fetch_packed(&mut *conn, self.backend, &["owner_id", "due_date", "total", "paid"])
            .await?;
            let mut want: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
            for (owner, due, total, paid) in rows {
                // Each amount in fen, at most 10^14 either way (migration 0066).
                let fen = |a: &str| -> Result<i64> {
                    let cap = Decimal::from(100_000_000_000_000i64);
                    let f = (dec(a)?.saturating_mul(Decimal::ONE_HUNDRED))
                        .round()
                        .clamp(-cap, cap);
                    i64::try_from(f).map_err(|e| StoreError::Corrupt(format!("fen {f}: {e}")))
                };
                let fen = fen(&total)? - fen(&paid)?;
                let e = want.entry((owner, due)).or_default();
                e.0 += 1;
                e.1 += fen;
            }
            let mut sql = Sql::new(
                "SELECT o.owner_id, o.due_date, CAST(SUM(o.n) AS BIGINT) AS n, CAST(SUM(o.fen) AS BIGINT) AS fen FROM ",
            );
            crate::sql::push_counted(
                &mut sql,
                self.backend,
                org_id,
                "receivables_open",
                "receivables_changes",
                "org_id, owner_id, due_date, n, fen",
                "o",
            );
            sql.push(" WHERE o.org_id = ")
                .bind(org_id)
                .push(" GROUP BY o.owner_id, o.due_date HAVING SUM(o.n) <> 0 OR SUM(o.fen) <> 0");
            let rows: Vec<(i64, String, i64, i64)> = sql
                .fetch_packed(
                    &mut *conn,
                    self.backend,
                    &["owner_id", "due_date", "n", "fen"],
                )
                .await?;
            let have: BTreeMap<(i64, String), (i64, i64)> = rows
                .into_iter()
                .map(|(o, d, n, f)| ((o, d), (n, f)))
                .collect();
            if have != want {
                diffs.push(format!("receivables_open {have:?} ≠ raw {want:?}"));
            }
        }
        for (name, have, want) in [
            ("daily", &daily, &want_daily),
            ("monthly", &monthly, &want_monthly),
        ] {
            for key in have.keys().chain(want.keys()).collect::<BTreeSet<_>>() {
                if have.get(key) != want.get(key) {
                    diffs.push(format!(
                        "{name} {key:?}: stored {:?}, raw {:?}",
                        have.get(key),
                        want.get(key)
                    ));
                }
            }
        }
        Ok(diffs)
    }

    /// Each person's tally for the period, for the people below `root` (everyone for `None`):
    /// whole months from the monthly rows, the other days from the daily rows.
    pub(crate) async fn period_tallies(
        &self,
        org_id: i64,
        root: Option<i64>,
        period: Period,
    ) -> Result<Vec<(i64, Tally)>> {
        self.tallies_of(org_id, period, &|sql| {
            crate::weekly_report::push_team(sql, org_id, "user_id", root)
        })
        .await
    }

    /// Each person's tally for the period, for the people within the viewer's scope.
    pub(crate) async fn tallies_in_scope(
        &self,
        viewer: &crate::Viewer,
        period: Period,
    ) -> Result<Vec<(i64, Tally)>> {
        self.tallies_of(viewer.org_id, period, &|sql| {
            sql.push(" AND");
            crate::sql::push_in_scope(sql, viewer, "user_id");
        })
        .await
    }

    /// Whole months from the monthly rows, the other days from the daily rows, for the people
    /// `people` narrows to.
    async fn tallies_of(
        &self,
        org_id: i64,
        period: Period,
        people: &(dyn Fn(&mut Sql) + Sync),
    ) -> Result<Vec<(i64, Tally)>> {
        let c = cover(period);
        let mut sums: BTreeMap<i64, Tally> = BTreeMap::new();
        let mut batches = Vec::new();
        if let (Some(first), Some(last)) = (c.months.first(), c.months.last()) {
            let mut sql = Sql::new(&format!(
                "SELECT user_id, {COLUMNS} FROM figures_monthly WHERE org_id = "
            ));
            sql.bind(org_id)
                .push(" AND month >= ")
                .bind(month_key(*first))
                .push(" AND month <= ")
                .bind(month_key(*last));
            people(&mut sql);
            batches.push(
                sql.fetch_packed::<Vec<serde_json::Value>, _>(
                    self.heavy_read(),
                    self.backend,
                    &PACKED,
                )
                .await?,
            );
        }
        for (from, to) in c.days {
            let mut sql = Sql::new(&format!(
                "SELECT user_id, {COLUMNS} FROM figures_daily WHERE org_id = "
            ));
            sql.bind(org_id)
                .push(" AND day >= ")
                .bind(day_key(from))
                .push(" AND day < ")
                .bind(day_key(to));
            people(&mut sql);
            batches.push(
                sql.fetch_packed::<Vec<serde_json::Value>, _>(
                    self.heavy_read(),
                    self.backend,
                    &PACKED,
                )
                .await?,
            );
        }
        for row in batches.into_iter().flatten() {
            let (user_id, t) = tally_of_packed(&row)?;
            sums.entry(user_id).or_default().add(&t);
        }
        Ok(sums.into_iter().collect())
    }
}

const PACKED: [&str; 11] = [
    "user_id",
    "sales",
    "orders",
    "gross_margin",
    "orders_without_cost",
    "other_currency_orders",
    "collected",
    "new_customers",
    "new_dealers",
    "visits",
    "effective_visits",
];

fn tally_of_packed(row: &[serde_json::Value]) -> Result<(i64, Tally)> {
    let bad = || StoreError::Corrupt(format!("rollup row {row:?}"));
    let int = |i: usize| -> Result<i64> { row.get(i).and_then(|v| v.as_i64()).ok_or_else(bad) };
    let text =
        |i: usize| -> Result<Decimal> { dec(row.get(i).and_then(|v| v.as_str()).ok_or_else(bad)?) };
    Ok((
        int(0)?,
        Tally {
            sales: text(1)?,
            orders: int(2)? as u32,
            gross_margin: text(3)?,
            orders_without_cost: int(4)? as u32,
            other_currency_orders: int(5)? as u32,
            collected: text(6)?,
            new_customers: int(7)? as u32,
            new_dealers: int(8)? as u32,
            visits: int(9)? as u32,
            effective_visits: int(10)? as u32,
        },
    ))
}
