//! The statistics cube (`yingpan_domain::cube`, migration 0064): cells per person, month and
//! dimension value, each customer's contribution to them, and the customers changed since they
//! were folded in. Triggers mark a changed customer in the writing transaction; a reader adds
//! the marked customers' pending change (their new contribution from the raw rows, less the old
//! one) to the cells it read, so a figure is the raw data's at every moment; the fold
//! (`Store::fold_statistics`, every few seconds) writes those changes into the cells.

use crate::rollup::backend_of;
use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, Backend, Result, Store, StoreError, Viewer};
use base64::Engine;
use chrono::Datelike;
use roaring::RoaringTreemap;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use yingpan_domain::cube::{
    card_values, contributions, shares, CellKey, Contribution, CustomerFacts, LineFact, Measures,
    PaymentFact, COMPANY,
};
use yingpan_domain::order::line_margin;
use yingpan_domain::statistics::CustomerCard;
use yingpan_domain::weekly_report::{Period, REPORTING_CURRENCY};

/// Customers read and folded per round.
const BATCH: usize = 1000;
/// Past this many customers waiting to be folded (right after a large import), a query reads
/// the raw rows instead: adding that many pending changes would take longer.
const MAX_PENDING: usize = 20_000;

/// Whose facts a load counts: everyone's (the fold), or those within a viewer's scope and the
/// query's person filters.
#[derive(Clone, Copy)]
pub(crate) struct Persons<'a> {
    pub viewer: &'a Viewer,
    pub owner: Option<i64>,
    pub team: Option<i64>,
}

/// ` alias.org_id = …` and, for a viewer, the person column within their scope and filters.
pub(crate) fn push_persons(
    sql: &mut Sql,
    org_id: i64,
    persons: Option<Persons<'_>>,
    alias: &str,
    column: &str,
) {
    match persons {
        None => {
            sql.push(&format!(" {alias}.org_id = ")).bind(org_id);
        }
        Some(p) => {
            push_scope_on(sql, p.viewer, alias, column);
            if let Some(o) = p.owner {
                sql.push(&format!(" AND {alias}.{column} = ")).bind(o);
            }
            if let Some(t) = p.team {
                sql.push(&format!(" AND {alias}.{column} IN "));
                crate::sql::push_subtree(sql, org_id, t);
            }
        }
    }
}

type CardRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<String>,
    i64,
);

/// The facts statistics count of each customer in `ids`, for `persons`.
async fn load_facts(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    persons: Option<Persons<'_>>,
) -> Result<BTreeMap<i64, CustomerFacts>> {
    let backend = backend_of(conn);
    let mut out: BTreeMap<i64, CustomerFacts> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let customers = crate::sql::customers_by_id(backend);
    let mut sql = Sql::new(&format!(
        "SELECT c.id AS id, c.kind AS kind, c.region AS region, c.industry AS industry, c.source AS source, \
         c.tier AS tier, c.man_money AS man_money, c.man_authority AS man_authority, c.man_need AS man_need, \
         c.attractiveness AS attractiveness, c.ability_to_win AS ability_to_win, \
         CASE WHEN c.dealer IS NULL THEN 0 ELSE 1 END AS is_dealer FROM {customers} WHERE c.org_id = "
    ));
    sql.bind(org_id).push(" AND c.id IN ").bind_list(ids);
    let cards: Vec<CardRow> = sql
        .fetch_packed(
            &mut *conn,
            backend,
            &[
                "id",
                "kind",
                "region",
                "industry",
                "source",
                "tier",
                "man_money",
                "man_authority",
                "man_need",
                "attractiveness",
                "ability_to_win",
                "is_dealer",
            ],
        )
        .await?;
    for r in cards {
        let card = CustomerCard {
            region: r.2,
            industry: r.3,
            source: r.4,
            tier: r.5,
            man_money: r.6,
            man_authority: r.7,
            man_need: r.8,
            attractiveness: r.9,
            ability_to_win: r.10,
            dealer: r.11 != 0,
        };
        out.insert(
            r.0,
            CustomerFacts {
                card: card_values(&card, &r.1),
                ..Default::default()
            },
        );
    }

    let mut sql = Sql::new(&format!(
        "SELECT c.id AS id, c.created_by AS person, c.created_at AS at FROM {customers} WHERE"
    ));
    push_persons(&mut sql, org_id, persons, "c", "created_by");
    sql.push(" AND c.deleted_at IS NULL AND c.id IN ")
        .bind_list(ids);
    let rows: Vec<(i64, i64, String)> = sql
        .fetch_packed(&mut *conn, backend, &["id", "person", "at"])
        .await?;
    for (id, person, at) in rows {
        if let Some(f) = out.get_mut(&id) {
            f.registration = Some((person, crate::local_month(&at)?));
        }
    }

    let mut sql = Sql::new(
        "SELECT o.customer_id AS cid, o.id AS oid, o.owner_id AS person, o.created_at AS at, l.amount AS amount, \
         l.quantity AS qty, l.unit_cost AS cost, l.product_id AS pid, l.category AS category \
         FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id WHERE",
    );
    push_persons(&mut sql, org_id, persons, "o", "owner_id");
    sql.push(" AND o.currency = ")
        .bind(REPORTING_CURRENCY)
        .push(" AND o.customer_id IN ")
        .bind_list(ids);
    type LineRow = (
        i64,
        i64,
        i64,
        String,
        String,
        String,
        Option<String>,
        i64,
        Option<String>,
    );
    let rows: Vec<LineRow> = sql
        .fetch_packed(
            &mut *conn,
            backend,
            &[
                "cid", "oid", "person", "at", "amount", "qty", "cost", "pid", "category",
            ],
        )
        .await?;
    for (cid, oid, person, at, amount, qty, cost, pid, category) in rows {
        let Some(f) = out.get_mut(&cid) else { continue };
        let amount = dec(&amount)?;
        let cost = cost.map(|c| dec(&c)).transpose()?;
        f.lines.push(LineFact {
            order_id: oid,
            person,
            month: crate::local_month(&at)?,
            amount,
            margin: line_margin(amount, dec(&qty)?, cost),
            product: pid,
            category,
        });
    }

    let mut sql = Sql::new(
        "SELECT o.customer_id AS cid, o.id AS oid, o.owner_id AS person, p.recorded_at AS at, p.kind AS kind, \
         p.amount AS amount FROM order_payments p JOIN orders o ON o.id = p.order_id AND o.org_id = p.org_id WHERE",
    );
    push_persons(&mut sql, org_id, persons, "o", "owner_id");
    sql.push(" AND o.currency = ")
        .bind(REPORTING_CURRENCY)
        .push(" AND o.customer_id IN ")
        .bind_list(ids);
    let rows: Vec<(i64, i64, i64, String, String, String)> = sql
        .fetch_packed(
            &mut *conn,
            backend,
            &["cid", "oid", "person", "at", "kind", "amount"],
        )
        .await?;
    for (cid, oid, person, at, kind, amount) in rows {
        let Some(f) = out.get_mut(&cid) else { continue };
        f.payments.push(PaymentFact {
            order_id: oid,
            person,
            month: crate::local_month(&at)?,
            amount: crate::signed_payment(&kind, &amount)?,
        });
    }

    let mut sql = Sql::new(
        "SELECT a.customer_id AS cid, a.user_id AS person, a.occurred_at AS at FROM activities a WHERE",
    );
    push_persons(&mut sql, org_id, persons, "a", "user_id");
    sql.push(" AND a.kind = 'visit' AND a.customer_id IN ")
        .bind_list(ids);
    let rows: Vec<(i64, i64, String)> = sql
        .fetch_packed(&mut *conn, backend, &["cid", "person", "at"])
        .await?;
    for (cid, person, at) in rows {
        if let Some(f) = out.get_mut(&cid) {
            f.visits.push((person, crate::local_month(&at)?));
        }
    }
    Ok(out)
}

/// Each (customer, person)'s contribution now, from the raw rows.
async fn contributions_now(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    persons: Option<Persons<'_>>,
) -> Result<Vec<(i64, i64, Contribution)>> {
    let facts = load_facts(conn, org_id, ids, persons).await?;
    let mut out = Vec::new();
    for (customer, f) in facts {
        for (person, c) in contributions(&f) {
            out.push((customer, person, c));
        }
    }
    Ok(out)
}

/// The contributions last folded in, for `persons`.
async fn contributions_folded(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    persons: Option<Persons<'_>>,
) -> Result<Vec<(i64, i64, Contribution)>> {
    let backend = backend_of(conn);
    let mut sql = Sql::new(
        "SELECT s.customer_id AS cid, s.person_id AS person, s.body AS body FROM stat_contrib s WHERE",
    );
    push_persons(&mut sql, org_id, persons, "s", "person_id");
    sql.push(" AND s.customer_id IN ").bind_list(ids);
    let rows: Vec<(i64, i64, String)> = sql
        .fetch_packed(&mut *conn, backend, &["cid", "person", "body"])
        .await?;
    rows.into_iter()
        .map(|(c, p, body)| {
            let parsed = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("stat_contrib {c}/{p}: {e}")))?;
            Ok((c, p, parsed))
        })
        .collect()
}

fn encode(b: &RoaringTreemap) -> String {
    let mut bytes = Vec::with_capacity(b.serialized_size());
    b.serialize_into(&mut bytes)
        .expect("writing to a vector cannot fail");
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

fn decode(s: &str) -> Result<RoaringTreemap> {
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(s)
        .map_err(|e| StoreError::Corrupt(format!("stat_cells bitmap: {e}")))?;
    RoaringTreemap::deserialize_from(&bytes[..])
        .map_err(|e| StoreError::Corrupt(format!("stat_cells bitmap: {e}")))
}

/// A stored cell's key and measures, as read.
type StoredKey = (String, String, i64, String);

const CELL_COLUMNS: [&str; 13] = [
    "dim",
    "month",
    "person_id",
    "value",
    "sales",
    "margin",
    "lines_without_cost",
    "orders",
    "collected",
    "new_customers",
    "visits",
    "buyers",
    "visited",
];

type CellRow = (
    String,
    String,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    String,
    i64,
    i64,
    String,
    String,
);

fn measures_of(r: &CellRow) -> Result<Measures> {
    Ok(Measures {
        sales: dec(&r.4)?,
        margin: dec(&r.5)?,
        lines_without_cost: r.6,
        orders: r.7,
        collected: dec(&r.8)?,
        new_customers: r.9,
        visits: r.10,
        buyers: decode(&r.11)?,
        visited: decode(&r.12)?,
    })
}

async fn read_cells(conn: &mut AnyConnection, sql: &Sql) -> Result<HashMap<StoredKey, Measures>> {
    let backend = backend_of(conn);
    let rows: Vec<CellRow> = sql.fetch_packed(&mut *conn, backend, &CELL_COLUMNS).await?;
    let mut out = HashMap::with_capacity(rows.len());
    for r in &rows {
        out.insert(
            (r.0.clone(), r.1.clone(), r.2, r.3.clone()),
            measures_of(r)?,
        );
    }
    Ok(out)
}

fn select_cells() -> Sql {
    Sql::new(&format!(
        "SELECT {} FROM stat_cells s WHERE",
        CELL_COLUMNS
            .iter()
            .map(|c| format!("s.{c} AS {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Writes cells back (an empty cell is deleted).
async fn write_cells(
    conn: &mut AnyConnection,
    org_id: i64,
    cells: impl IntoIterator<Item = (StoredKey, Measures)>,
) -> Result<()> {
    for ((dim, month, person, value), m) in cells {
        if m.is_empty() {
            sqlx::query("DELETE FROM stat_cells WHERE org_id = $1 AND dim = $2 AND month = $3 AND person_id = $4 AND value = $5")
                .bind(org_id)
                .bind(dim)
                .bind(month)
                .bind(person)
                .bind(value)
                .execute(&mut *conn)
                .await?;
            continue;
        }
        sqlx::query(
            "INSERT INTO stat_cells (org_id, dim, month, person_id, value, sales, margin, lines_without_cost, orders, \
             collected, new_customers, visits, buyers, visited) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (org_id, dim, month, person_id, value) DO UPDATE SET sales = excluded.sales, margin = excluded.margin, \
             lines_without_cost = excluded.lines_without_cost, orders = excluded.orders, collected = excluded.collected, \
             new_customers = excluded.new_customers, visits = excluded.visits, buyers = excluded.buyers, visited = excluded.visited",
        )
        .bind(org_id)
        .bind(dim)
        .bind(month)
        .bind(person)
        .bind(value)
        .bind(m.sales.normalize().to_string())
        .bind(m.margin.normalize().to_string())
        .bind(m.lines_without_cost)
        .bind(m.orders)
        .bind(m.collected.normalize().to_string())
        .bind(m.new_customers)
        .bind(m.visits)
        .bind(encode(&m.buyers))
        .bind(encode(&m.visited))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn stored_key(k: &CellKey) -> StoredKey {
    (
        k.dim.to_string(),
        k.month.clone(),
        k.person,
        k.value.clone(),
    )
}

/// Takes back `old` and adds `new` to `cells`, for the keys `keep` accepts; missing cells start
/// empty.
fn apply_change(
    cells: &mut HashMap<StoredKey, Measures>,
    old: &[(i64, i64, Contribution)],
    new: &[(i64, i64, Contribution)],
    keep: &dyn Fn(&CellKey) -> bool,
) {
    for (list, sign) in [(old, -1), (new, 1)] {
        for ((customer, key), share) in shares(list) {
            if keep(&key) {
                cells
                    .entry(stored_key(&key))
                    .or_default()
                    .apply(customer, &share, sign);
            }
        }
    }
}

async fn write_contributions(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    list: &[(i64, i64, Contribution)],
) -> Result<()> {
    if !ids.is_empty() {
        let mut sql = Sql::new("DELETE FROM stat_contrib WHERE org_id = ");
        sql.bind(org_id).push(" AND customer_id IN ").bind_list(ids);
        sql.query().execute(&mut *conn).await?;
    }
    for chunk in list.chunks(200) {
        let mut sql =
            Sql::new("INSERT INTO stat_contrib (org_id, customer_id, person_id, body) VALUES ");
        for (i, (customer, person, c)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(org_id)
                .push(", ")
                .bind(*customer)
                .push(", ")
                .bind(*person)
                .push(", ")
                .bind(serde_json::to_string(c).expect("a contribution serialises"))
                .push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Folds up to `limit` changed customers of the organization into the cells; how many.
pub(crate) async fn fold(conn: &mut AnyConnection, org_id: i64, limit: usize) -> Result<usize> {
    if backend_of(conn) == Backend::Postgres {
        // One folder per organization at a time; the others leave it to that one.
        let got: bool = sqlx::query("SELECT pg_try_advisory_xact_lock(6, CAST($1 AS INTEGER))")
            .bind(org_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if !got {
            return Ok(0);
        }
    }
    let dirty: Vec<(i64, i64)> = sqlx::query(
        "SELECT customer_id, seq FROM stat_dirty WHERE org_id = $1 ORDER BY customer_id LIMIT $2",
    )
    .bind(org_id)
    .bind(limit as i64)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
    .collect::<Result<_>>()?;
    if dirty.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = dirty.iter().map(|d| d.0).collect();
    let old = contributions_folded(conn, org_id, &ids, None).await?;
    let new = contributions_now(conn, org_id, &ids, None).await?;
    let mut touched: BTreeSet<StoredKey> = BTreeSet::new();
    for (_, person, c) in old.iter().chain(&new) {
        for (key, _) in c.cells(*person) {
            touched.insert(stored_key(&key));
        }
    }
    let mut cells: HashMap<StoredKey, Measures> = HashMap::new();
    for (dim, month, person, value) in &touched {
        let mut sql = select_cells();
        sql.push(" s.org_id = ")
            .bind(org_id)
            .push(" AND s.dim = ")
            .bind(dim.clone())
            .push(" AND s.month = ")
            .bind(month.clone())
            .push(" AND s.person_id = ")
            .bind(*person)
            .push(" AND s.value = ")
            .bind(value.clone());
        cells.extend(read_cells(conn, &sql).await?);
    }
    apply_change(&mut cells, &old, &new, &|_| true);
    write_cells(conn, org_id, cells).await?;
    write_contributions(conn, org_id, &ids, &new).await?;
    let (mut before, mut after) = (customer_months(&old), customer_months(&new));
    before.sort_unstable();
    after.sort_unstable();
    write_customer_months(conn, org_id, &ids, &after).await?;
    if before != after {
        bump_economics(conn, org_id).await?;
    }
    for (customer, seq) in &dirty {
        // A customer changed again since it was read stays marked (its seq moved on).
        sqlx::query("DELETE FROM stat_dirty WHERE org_id = $1 AND customer_id = $2 AND seq = $3")
            .bind(org_id)
            .bind(*customer)
            .bind(*seq)
            .execute(&mut *conn)
            .await?;
    }
    Ok(dirty.len())
}

/// Every cell of the organization summed from its customers' raw rows (and their
/// contributions): what the cells must equal once folded.
async fn from_raw(
    conn: &mut AnyConnection,
    org_id: i64,
    mut each: impl FnMut(&[i64], &[(i64, i64, Contribution)]),
) -> Result<HashMap<StoredKey, Measures>> {
    let mut cells: HashMap<StoredKey, Measures> = HashMap::new();
    let mut after = 0i64;
    loop {
        let ids: Vec<i64> = sqlx::query(
            "SELECT id FROM customers WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(org_id)
        .bind(after)
        .bind(BATCH as i64)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        let Some(last) = ids.last() else { break };
        after = *last;
        let new = contributions_now(conn, org_id, &ids, None).await?;
        apply_change(&mut cells, &[], &new, &|_| true);
        each(&ids, &new);
    }
    Ok(cells)
}

/// Fills `stat_customer_months` from the contributions already folded (migration 0068): the
/// months each holds, without recomputing the cube from the raw rows (27 minutes at a million
/// customers on SQLite; this reads one row per customer and person).
pub(crate) async fn fill_customer_months(conn: &mut AnyConnection, org_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM stat_customer_months WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *conn)
        .await?;
    let mut after = (0i64, i64::MIN);
    loop {
        let rows: Vec<(i64, i64, String)> = sqlx::query(
            "SELECT customer_id, person_id, body FROM stat_contrib WHERE org_id = $1 \
             AND (customer_id > $2 OR (customer_id = $2 AND person_id > $3)) \
             ORDER BY customer_id, person_id LIMIT $4",
        )
        .bind(org_id)
        .bind(after.0)
        .bind(after.1)
        .bind((BATCH * 5) as i64)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<_>>()?;
        let Some(last) = rows.last() else { break };
        after = (last.0, last.1);
        let list = rows
            .into_iter()
            .map(|(c, p, body)| {
                let parsed = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("stat_contrib {c}/{p}: {e}")))?;
                Ok((c, p, parsed))
            })
            .collect::<Result<Vec<_>>>()?;
        write_customer_months(conn, org_id, &[], &customer_months(&list)).await?;
    }
    bump_economics(conn, org_id).await
}

/// Marks every kept economics report of the organization out of date (`report_snapshots`):
/// its customer months or spending estimates changed.
pub(crate) async fn bump_economics(conn: &mut AnyConnection, org_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO report_generations (org_id, economics) VALUES ($1, 1) \
         ON CONFLICT (org_id) DO UPDATE SET economics = report_generations.economics + 1",
    )
    .bind(org_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recomputes the organization's cube from the raw rows (the migration, the benchmark's
/// generator).
pub(crate) async fn rebuild(conn: &mut AnyConnection, backend: Backend, org_id: i64) -> Result<()> {
    if backend == Backend::Postgres {
        // The folders of a running server keep off until the rebuild commits (`fold`).
        sqlx::query("SELECT pg_advisory_xact_lock(6, CAST($1 AS INTEGER))")
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
    }
    for table in [
        "stat_cells",
        "stat_contrib",
        "stat_customer_months",
        "stat_dirty",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE org_id = $1"))
            .bind(org_id)
            .execute(&mut *conn)
            .await?;
    }
    let mut contribs = Vec::new();
    let cells = from_raw(conn, org_id, |_, new| contribs.extend_from_slice(new)).await?;
    for chunk in contribs.chunks(BATCH * 4) {
        write_contributions(conn, org_id, &[], chunk).await?;
        write_customer_months(conn, org_id, &[], &customer_months(chunk)).await?;
    }
    write_cells(conn, org_id, cells).await?;
    bump_economics(conn, org_id).await
}

/// What a statistics query reads from the cube.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// `""`, a card field, `product` or `category`.
    pub dim: &'static str,
    /// Only this value of `dim` (a filter).
    pub value: Option<String>,
    /// `YYYY-MM` months `[from, to)`.
    pub from: String,
    pub to: String,
    /// From the company-wide cells (`COMPANY`): a viewer who sees everyone, no person or team
    /// filter, no grouping by person or team.
    pub company: bool,
}

impl Plan {
    /// The cube's plan for a query, unless the query needs the raw rows: a period that is not
    /// whole months, custom card fields, or two different dimensions at once.
    pub fn of(
        viewer: &Viewer,
        period: Period,
        by: yingpan_domain::statistics::Dimension,
        filter: &crate::statistics::StatisticsFilter,
    ) -> Option<Plan> {
        use yingpan_domain::statistics::Dimension;
        if period.start.day() != 1 || period.end.day() != 1 || !filter.custom.is_empty() {
            return None;
        }
        let c = &filter.card;
        let mut wanted: Vec<(&'static str, Option<String>)> = Vec::new();
        for (dim, v) in [
            ("kind", c.kind.clone()),
            ("region", c.region.clone()),
            ("industry", c.industry.clone()),
            ("source", c.source.clone()),
            ("tier", c.tier.clone()),
            ("man_class", c.man_class.map(|m| m.class())),
            ("key_account", c.key_account.map(|k| k.as_str().to_string())),
            ("dealer", filter.dealer.map(|d| d.to_string())),
            ("product", filter.product_id.map(|p| p.to_string())),
            ("category", filter.category.clone()),
        ] {
            if v.is_some() {
                wanted.push((dim, v));
            }
        }
        if let Some(dim) = yingpan_domain::cube::dim_of(by) {
            if !wanted.iter().any(|(d, _)| *d == dim) {
                wanted.push((dim, None));
            }
        }
        let (dim, value) = match wanted.len() {
            0 => ("", None),
            1 => wanted.pop()?,
            _ => return None,
        };
        Some(Plan {
            dim,
            value,
            from: period.start.format("%Y-%m").to_string(),
            to: period.end.format("%Y-%m").to_string(),
            company: viewer.scope == yingpan_domain::person::Scope::All
                && filter.owner_id.is_none()
                && filter.team_id.is_none()
                && !matches!(by, Dimension::Owner | Dimension::Team),
        })
    }

    fn lines_dim(&self) -> bool {
        matches!(self.dim, "product" | "category")
    }
}

/// The customers marked changed and not folded yet; `None` past `MAX_PENDING` (the reader
/// should read the raw rows).
pub(crate) async fn pending_customers(
    conn: &mut AnyConnection,
    org_id: i64,
) -> Result<Option<Vec<i64>>> {
    let pending: Vec<i64> = sqlx::query(
        "SELECT customer_id FROM stat_dirty WHERE org_id = $1 ORDER BY customer_id LIMIT $2",
    )
    .bind(org_id)
    .bind(MAX_PENDING as i64 + 1)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<std::result::Result<_, _>>()?;
    Ok((pending.len() <= MAX_PENDING).then_some(pending))
}

/// One customer's month of orders taken by one person (`stat_customer_months`), with the
/// customer's card.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CustomerMonth {
    pub customer: i64,
    pub person: i64,
    pub month: String,
    pub sales: rust_decimal::Decimal,
    pub margin: rust_decimal::Decimal,
    pub orders: i64,
    pub card: yingpan_domain::cube::CardValues,
}

/// The months with an order in each contribution.
fn customer_months(list: &[(i64, i64, Contribution)]) -> Vec<CustomerMonth> {
    let mut out = Vec::new();
    for (customer, person, c) in list {
        for (month, share) in &c.months {
            if share.orders > 0 {
                out.push(CustomerMonth {
                    customer: *customer,
                    person: *person,
                    month: month.clone(),
                    sales: share.sales,
                    margin: share.margin,
                    orders: i64::from(share.orders),
                    card: c.card.clone(),
                });
            }
        }
    }
    out
}

/// The customer months of `ids` now, from the raw rows, for `persons`.
pub(crate) async fn customer_months_now(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    persons: Option<Persons<'_>>,
) -> Result<Vec<CustomerMonth>> {
    Ok(customer_months(
        &contributions_now(conn, org_id, ids, persons).await?,
    ))
}

async fn write_customer_months(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    rows: &[CustomerMonth],
) -> Result<()> {
    if !ids.is_empty() {
        let mut sql = Sql::new("DELETE FROM stat_customer_months WHERE org_id = ");
        sql.bind(org_id).push(" AND customer_id IN ").bind_list(ids);
        sql.query().execute(&mut *conn).await?;
    }
    for chunk in rows.chunks(100) {
        let mut sql = Sql::new(&format!(
            "INSERT INTO stat_customer_months (org_id, month, person_id, customer_id, sales, margin, orders, {}) VALUES ",
            yingpan_domain::cube::CARD_DIMS.join(", ")
        ));
        for (i, r) in chunk.iter().enumerate() {
            sql.push(if i > 0 { ", (" } else { "(" })
                .bind(org_id)
                .push(", ")
                .bind(r.month.clone())
                .push(", ")
                .bind(r.person)
                .push(", ")
                .bind(r.customer)
                .push(", ")
                .bind(r.sales.normalize().to_string())
                .push(", ")
                .bind(r.margin.normalize().to_string())
                .push(", ")
                .bind(r.orders);
            for v in &r.card {
                sql.push(", ").bind(v.clone());
            }
            sql.push(")");
        }
        sql.query().execute(&mut *conn).await?;
    }
    Ok(())
}

const MONTH_COLUMNS: [&str; 14] = [
    "customer_id",
    "person_id",
    "month",
    "sales",
    "margin",
    "orders",
    "region",
    "industry",
    "source",
    "tier",
    "man_class",
    "key_account",
    "dealer",
    "kind",
];

type MonthRow = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn month_of(r: MonthRow) -> Result<CustomerMonth> {
    Ok(CustomerMonth {
        customer: r.0,
        person: r.1,
        month: r.2,
        sales: dec(&r.3)?,
        margin: dec(&r.4)?,
        orders: r.5,
        card: [r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13],
    })
}

/// The folded months of `ids` within `persons`, in the months `[from, to)`, sorted.
pub(crate) async fn customer_months_folded(
    conn: &mut AnyConnection,
    org_id: i64,
    ids: &[i64],
    persons: Option<Persons<'_>>,
    (from, to): (&str, &str),
) -> Result<Vec<CustomerMonth>> {
    let backend = backend_of(conn);
    let mut out = Vec::new();
    for chunk in ids.chunks(BATCH) {
        let mut sql = Sql::new(&format!(
            "SELECT {} FROM stat_customer_months s WHERE",
            MONTH_COLUMNS.map(|c| format!("s.{c} AS {c}")).join(", ")
        ));
        push_persons(&mut sql, org_id, persons, "s", "person_id");
        sql.push(" AND s.customer_id IN ")
            .bind_list(chunk)
            .push(" AND s.month >= ")
            .bind(from.to_string())
            .push(" AND s.month < ")
            .bind(to.to_string());
        let rows: Vec<MonthRow> = sql
            .fetch_packed(&mut *conn, backend, &MONTH_COLUMNS)
            .await?;
        for r in rows {
            out.push(month_of(r)?);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Every folded customer month of the organization, the pending customers' replaced by their
/// rows now (for the consistency check).
async fn customer_months_stored(
    conn: &mut AnyConnection,
    org_id: i64,
    pending: &[i64],
) -> Result<Vec<CustomerMonth>> {
    let backend = backend_of(conn);
    let mut sql = Sql::new(&format!(
        "SELECT {} FROM stat_customer_months s WHERE s.org_id = ",
        MONTH_COLUMNS.join(", ")
    ));
    sql.bind(org_id);
    let rows: Vec<MonthRow> = sql
        .fetch_packed(&mut *conn, backend, &MONTH_COLUMNS)
        .await?;
    let skip: BTreeSet<i64> = pending.iter().copied().collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        if skip.contains(&r.0) {
            continue;
        }
        out.push(month_of(r)?);
    }
    for ids in pending.chunks(BATCH) {
        out.extend(customer_months_now(conn, org_id, ids, None).await?);
    }
    Ok(out)
}

/// The cells a query needs, with the pending changes added: the plan's cells, and for product
/// and category the cells of all facts (visits and registrations have no product). Keys: the
/// stored dimension first.
async fn query_cells(
    conn: &mut AnyConnection,
    persons: Persons<'_>,
    plan: &Plan,
) -> Result<Option<HashMap<StoredKey, Measures>>> {
    let org_id = persons.viewer.org_id;
    let Some(pending) = pending_customers(conn, org_id).await? else {
        return Ok(None);
    };
    let mut dims = vec![plan.dim];
    if plan.lines_dim() {
        dims.push("");
    }
    let mut cells = HashMap::new();
    for dim in &dims {
        let mut sql = select_cells();
        push_persons(&mut sql, org_id, Some(persons), "s", "person_id");
        sql.push(if plan.company {
            " AND s.person_id = "
        } else {
            " AND s.person_id <> "
        })
        .bind(COMPANY);
        sql.push(" AND s.dim = ")
            .bind(dim.to_string())
            .push(" AND s.month >= ")
            .bind(plan.from.clone())
            .push(" AND s.month < ")
            .bind(plan.to.clone());
        if let (Some(v), true) = (&plan.value, *dim == plan.dim) {
            sql.push(" AND s.value = ").bind(v.clone());
        }
        cells.extend(read_cells(conn, &sql).await?);
    }
    let keep = |k: &CellKey| {
        (k.person == COMPANY) == plan.company
            && dims.contains(&k.dim)
            && k.month >= plan.from
            && k.month < plan.to
            && (k.dim != plan.dim || plan.value.as_ref().is_none_or(|v| *v == k.value))
    };
    for ids in pending.chunks(BATCH) {
        let old = contributions_folded(conn, org_id, ids, Some(persons)).await?;
        let new = contributions_now(conn, org_id, ids, Some(persons)).await?;
        apply_change(&mut cells, &old, &new, &keep);
    }
    Ok(Some(cells))
}

/// The domain's cells for grouping, and the cells of the total when they differ (product or
/// category grouping without a filter on it: an order of two products is one order).
pub(crate) type PlannedCells = (
    Vec<yingpan_domain::cube::Cell>,
    Option<Vec<yingpan_domain::cube::Cell>>,
);

impl Store {
    /// The cube's cells for a statistics query; `None` when too many changes wait to be folded.
    pub(crate) async fn statistics_cells(
        &self,
        persons: Persons<'_>,
        plan: &Plan,
    ) -> Result<Option<PlannedCells>> {
        let mut tx = self.heavy_read().begin().await?;
        if self.backend == Backend::Postgres {
            // One snapshot for the cells, the pending marks and the raw rows.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let cells = query_cells(&mut tx, persons, plan).await?;
        tx.commit().await?;
        let Some(cells) = cells else { return Ok(None) };
        let cell = |(dim, month, person, value): StoredKey, measures: Measures| {
            (
                dim,
                yingpan_domain::cube::Cell {
                    person,
                    month,
                    value,
                    measures,
                },
            )
        };
        let cells: Vec<(String, yingpan_domain::cube::Cell)> = cells
            .into_iter()
            .filter(|(_, m)| !m.is_empty())
            .map(|(k, m)| cell(k, m))
            .collect();
        if !plan.lines_dim() {
            return Ok(Some((cells.into_iter().map(|(_, c)| c).collect(), None)));
        }
        let (lines, all): (Vec<_>, Vec<_>) = cells.into_iter().partition(|(d, _)| d == plan.dim);
        let lines: Vec<_> = lines.into_iter().map(|(_, c)| c).collect();
        let all: Vec<_> = all.into_iter().map(|(_, c)| c).collect();
        Ok(Some(match plan.value {
            // Only orders with that product (and what was paid on them); visits and
            // registrations from the cells of all facts.
            Some(_) => {
                let mut out = lines;
                out.extend(all.into_iter().map(|mut c| {
                    c.measures = c.measures.rest_only();
                    c.measures.collected = rust_decimal::Decimal::ZERO;
                    c
                }));
                (out, None)
            }
            None => (lines, Some(all)),
        }))
    }

    /// Folds every organization's changed customers into the cube; how many customers.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn fold_statistics(&self) -> Result<usize> {
        let orgs: Vec<i64> = sqlx::query(
            "SELECT DISTINCT org_id FROM stat_dirty /* across organizations: statistics fold */",
        )
        .fetch_all(&self.write)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        let mut total = 0;
        for org in orgs {
            loop {
                let mut tx = self.write.begin().await?;
                let n = fold(&mut tx, org, BATCH).await?;
                tx.commit().await?;
                total += n;
                if n < BATCH {
                    break;
                }
            }
        }
        Ok(total)
    }

    /// Refills the customer months from the folded contributions, as migration 0068 does (for
    /// the tests).
    #[doc(hidden)]
    pub async fn refill_customer_months(&self, org_id: i64) -> Result<()> {
        let mut tx = self.write.begin().await?;
        fill_customer_months(&mut tx, org_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Cells whose stored sum, with the pending changes added, differs from the raw rows'
    /// (none, always; for the tests).
    pub async fn statistics_cube_differences(&self, org_id: i64) -> Result<Vec<String>> {
        let mut tx = self.write.begin().await?;
        let mut want_months = Vec::new();
        let want = from_raw(&mut tx, org_id, |_, new| {
            want_months.extend(customer_months(new))
        })
        .await?;
        let mut sql = select_cells();
        sql.push(" s.org_id = ").bind(org_id);
        let mut have = read_cells(&mut tx, &sql).await?;
        let pending: Vec<i64> = sqlx::query("SELECT customer_id FROM stat_dirty WHERE org_id = $1")
            .bind(org_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        for ids in pending.chunks(BATCH) {
            let old = contributions_folded(&mut tx, org_id, ids, None).await?;
            let new = contributions_now(&mut tx, org_id, ids, None).await?;
            apply_change(&mut have, &old, &new, &|_| true);
        }
        let mut have_months = customer_months_stored(&mut tx, org_id, &pending).await?;
        tx.rollback().await?;
        have.retain(|_, m| !m.is_empty());
        let mut out = Vec::new();
        want_months.sort();
        have_months.sort();
        if want_months != have_months {
            out.push(format!(
                "customer months: raw {want_months:?}, stored {have_months:?}"
            ));
        }
        for (k, m) in &want {
            if have.get(k) != Some(m) {
                out.push(format!("{k:?}: raw {m:?}, cube {:?}", have.get(k)));
            }
        }
        for k in have.keys() {
            if !want.contains_key(k) {
                out.push(format!("{k:?}: only in the cube {:?}", have[k]));
            }
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    /// The months' card columns are the cube's card dimensions, in order (`month_of`).
    #[test]
    fn month_columns_end_with_the_card_dimensions() {
        assert_eq!(
            super::MONTH_COLUMNS[6..],
            yingpan_domain::cube::CARD_DIMS[..]
        );
    }
}
