//! Customers, always read and written within the viewer's scope (their contacts are `contact`,
//! their qualification and due contacts `qualification`).

use crate::audit::Audit;
use crate::qualification::Qualification;
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use yingpan_domain::audit::{diff, Snapshot};
use yingpan_domain::customer::{CustomerFields, CustomerInput};
use yingpan_domain::development::DealerData;
use yingpan_domain::person::Scope;
use yingpan_domain::profile::Profile;
use yingpan_domain::search::{like_pattern, normalize_query, search_document, selective_trigrams};
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Customer {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub notes: Option<String>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub last_contact_at: String,
    pub created_by: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
    /// The prospect card's descriptive fields (see `yingpan_domain::profile`).
    pub profile: BTreeMap<String, String>,
    /// Admin-defined fields by key.
    pub custom: BTreeMap<String, String>,
    /// Present when the customer is a dealer (经销商).
    pub dealer: Option<DealerData>,
    #[serde(flatten)]
    pub qualification: Qualification,
    pub next_call_due: Option<String>,
    pub next_visit_due: Option<String>,
    /// The public pool the customer belongs to (by region or the owner's team), whose
    /// protection periods apply; none: the company's.
    pub pool_id: Option<i64>,
    /// When the customer asked for no more campaign messages.
    pub opted_out_at: Option<String>,
}

const CUSTOMER_COLUMNS: &str = "c.id, c.kind, c.name, c.phone, c.email, c.address, c.region, \
    c.industry, c.source, c.notes, c.owner_id, o.display_name AS owner_name, c.last_contact_at, \
    c.created_by, c.version, c.created_at, c.updated_at, c.deleted_at, c.man_money, c.man_authority, \
    c.man_need, c.attractiveness, c.ability_to_win, c.tier, c.next_call_due, c.next_visit_due, c.profile, c.dealer, c.pool_id, c.opted_out_at";

impl Customer {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            address: r.try_get("address")?,
            region: r.try_get("region")?,
            industry: r.try_get("industry")?,
            source: r.try_get("source")?,
            notes: r.try_get("notes")?,
            owner_id: r.try_get("owner_id")?,
            owner_name: r.try_get("owner_name")?,
            pool_id: r.try_get("pool_id")?,
            opted_out_at: r.try_get("opted_out_at")?,
            last_contact_at: r.try_get("last_contact_at")?,
            created_by: r.try_get("created_by")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            deleted_at: r.try_get("deleted_at")?,
            profile: {
                let raw: String = r.try_get("profile")?;
                serde_json::from_str(&raw)
                    .map_err(|e| StoreError::Corrupt(format!("profile: {e}")))?
            },
            custom: BTreeMap::new(),
            dealer: r
                .try_get::<Option<String>, _>("dealer")?
                .map(|d| {
                    serde_json::from_str(&d)
                        .map_err(|e| StoreError::Corrupt(format!("dealer: {e}")))
                })
                .transpose()?,
            qualification: Qualification::from_row(r)?,
            next_call_due: r.try_get("next_call_due")?,
            next_visit_due: r.try_get("next_visit_due")?,
        })
    }

    /// The stored fields in the raw-input shape, for merging a partial update.
    pub fn as_input(&self) -> CustomerInput {
        CustomerInput {
            kind: Some(self.kind.clone()),
            name: Some(self.name.clone()),
            phone: self.phone.clone(),
            email: self.email.clone(),
            address: self.address.clone(),
            region: self.region.clone(),
            industry: self.industry.clone(),
            source: self.source.clone(),
            notes: self.notes.clone(),
            profile: Some(
                self.profile
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            ),
            custom: Some(
                self.custom
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            ),
        }
    }

    fn snapshot(&self) -> Snapshot {
        let profile = Profile::from_stored(self.profile.clone());
        let mut snap = self.card_snapshot();
        snap.extend(profile.snapshot());
        snap
    }

    fn card_snapshot(&self) -> Snapshot {
        vec![
            ("kind", Some(self.kind.clone())),
            ("name", Some(self.name.clone())),
            ("phone", self.phone.clone()),
            ("email", self.email.clone()),
            ("address", self.address.clone()),
            ("region", self.region.clone()),
            ("industry", self.industry.clone()),
            ("source", self.source.clone()),
            ("notes", self.notes.clone()),
            ("owner_id", self.owner_id.map(|o| o.to_string())),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CustomerSort {
    #[default]
    UpdatedDesc,
    NameAsc,
    NameDesc,
    CreatedDesc,
    CreatedAsc,
    LastContactAsc,
    LastContactDesc,
}

impl CustomerSort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "updated" | "-updated" | "" => Self::UpdatedDesc,
            "name" => Self::NameAsc,
            "-name" => Self::NameDesc,
            "-created" => Self::CreatedDesc,
            "created" => Self::CreatedAsc,
            "last_contact" => Self::LastContactAsc,
            "-last_contact" => Self::LastContactDesc,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UpdatedDesc => "-updated",
            Self::NameAsc => "name",
            Self::NameDesc => "-name",
            Self::CreatedDesc => "-created",
            Self::CreatedAsc => "created",
            Self::LastContactAsc => "last_contact",
            Self::LastContactDesc => "-last_contact",
        }
    }
    /// The same order with its first term kept off any index (SQLite's unary `+`): the
    /// filter's index finds the rows, then they are sorted.
    fn order_by_unindexed(self) -> String {
        format!("+{}", self.order_by())
    }
    fn order_by(self) -> &'static str {
        match self {
            Self::UpdatedDesc => "c.updated_at DESC, c.id DESC",
            Self::NameAsc => "c.name ASC, c.id ASC",
            Self::NameDesc => "c.name DESC, c.id DESC",
            Self::CreatedDesc => "c.created_at DESC, c.id DESC",
            Self::CreatedAsc => "c.created_at ASC, c.id ASC",
            Self::LastContactAsc => "c.last_contact_at ASC, c.id ASC",
            Self::LastContactDesc => "c.last_contact_at DESC, c.id DESC",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CustomerListQuery {
    pub q: Option<String>,
    pub owner_id: Option<i64>,
    pub sort: CustomerSort,
    pub page: i64,
    pub per_page: i64,
    /// The recycle bin: deleted customers instead of live ones.
    pub deleted: bool,
    /// Only owned customers the silence rule returns to the pool soon (the owner's warning).
    pub returning_soon: Option<ReturningSoon>,
    /// Only customers with this duplicate-check key (column, value).
    pub duplicate_key: Option<(&'static str, String)>,
    /// Only customers whose custom field (id) has this value.
    pub custom_filters: Vec<(i64, String)>,
    /// Card fields: region, industry, source, tier, kind, MAN class, key-account class.
    pub card: CardFilter,
    /// Follow-ups and purchases.
    pub history: HistoryFilter,
    /// Size bands of the card: annual revenue, employees, net assets.
    pub size: SizeFilter,
    /// Only customers owned by this person or anyone below them.
    pub team_of: Option<i64>,
    /// Only customers whose latest follow-up was of this kind (`call`, `visit`, `email`,
    /// `meeting`).
    pub last_activity: Option<&'static str>,
    /// Only dealers.
    pub dealers_only: bool,
    /// Leave the total out (reported as -1) when only the first rows matter.
    pub skip_count: bool,
    /// A search (`q`) considers at most this many matches, the most recently registered; the
    /// total is then at most `cap + 1`, which means "more than `cap`". Without it every match
    /// is counted and sorted (campaigns and segments need them all).
    pub search_cap: Option<i64>,
}

/// The owner's warning as a list filter: per (pool, tier) scope, the last contact before which
/// the customer returns to the pool soon (`domain::ownership::warning_cutoff`), and the
/// company's exemptions, exactly as the recycle applies them.
#[derive(Debug, Clone, Default)]
pub struct ReturningSoon {
    pub cutoffs: Vec<(
        Option<i64>,
        Option<yingpan_domain::qualification::Tier>,
        DateTime<Utc>,
    )>,
    pub exempt_open: bool,
    pub exempt_deal: bool,
}

impl CustomerListQuery {
    /// The cap on the total, when the list is a search with one (`search_cap`).
    pub fn total_cap(&self) -> Option<i64> {
        self.search_cap
            .filter(|_| self.q.as_deref().and_then(normalize_query).is_some() && !self.skip_count)
    }

    /// Whether the total is a plain count of live customers by owner, which SQLite keeps in
    /// `customer_tally` (migration 0027) instead of counting rows.
    fn counts_from_tally(&self) -> bool {
        !self.deleted
            && !self.dealers_only
            && self.custom_filters.is_empty()
            && self.card.is_empty()
            && self.history.is_empty()
            && self.size.is_empty()
            && self.team_of.is_none()
            && self.last_activity.is_none()
            && self.duplicate_key.is_none()
            && self.returning_soon.is_none()
            && self.q.as_deref().and_then(normalize_query).is_none()
    }
}

/// The customer list's conditions after `WHERE`: the viewer's scope, live (or deleted)
/// customers, and every filter of `q` — shared by the list and by anything that acts on a
/// list's members (a campaign's recipients).
pub(crate) fn push_list_filters(
    sql: &mut Sql,
    viewer: &Viewer,
    q: &CustomerListQuery,
    backend: crate::Backend,
    needle: Option<&str>,
    trigram_search: bool,
    team: Option<&[i64]>,
) {
    match team {
        // The viewer's subtree, already read: a list of ids the planner can estimate.
        Some(ids) if !ids.is_empty() => {
            sql.push(" c.org_id = ")
                .bind(viewer.org_id)
                .push(" AND c.owner_id IN ")
                .bind_list(ids);
        }
        _ => push_scope(sql, viewer, "c"),
    }
    sql.push(if q.deleted {
        " AND c.deleted_at IS NOT NULL"
    } else {
        " AND c.deleted_at IS NULL"
    });
    q.card.push(sql, "c");
    q.history.push(sql, backend);
    q.size.push(sql, backend);
    if let Some(lead) = q.team_of {
        sql.push(" AND c.owner_id IN ");
        crate::sql::push_subtree(sql, viewer.org_id, lead);
    }
    if let Some(kind) = q.last_activity {
        sql.push(" AND c.last_activity_kind = ").bind(kind);
    }
    if q.dealers_only {
        sql.push(" AND c.dealer IS NOT NULL");
    }
    for (field_id, value) in &q.custom_filters {
        sql.push(" AND c.id IN (SELECT v.customer_id FROM custom_values v WHERE v.org_id = c.org_id AND v.field_id = ")
                .bind(*field_id)
                .push(" AND v.value = ")
                .bind(value.clone())
                .push(")");
    }
    if let Some((column, key)) = &q.duplicate_key {
        sql.push(&format!(" AND c.{column} = ")).bind(key.clone());
    }
    if let Some(r) = &q.returning_soon {
        sql.push(" AND c.owner_id IS NOT NULL AND (1 = 0");
        for (pool, tier, cutoff) in &r.cutoffs {
            match pool {
                Some(p) => sql.push(" OR (c.pool_id = ").bind(*p),
                None => sql.push(" OR (c.pool_id IS NULL"),
            };
            match tier {
                Some(t) => sql.push(" AND c.tier = ").bind(t.as_str()),
                None => sql.push(" AND c.tier IS NULL"),
            };
            sql.push(" AND c.last_contact_at < ")
                .bind(ts(*cutoff))
                .push(")");
        }
        sql.push(")");
        // The latest cutoff bounds the walk of the contact-order index: without it a company
        // where few customers are due scans every owned customer (SQLite, 1 M: 270 ms).
        if let Some(latest) = r.cutoffs.iter().map(|c| c.2).max() {
            sql.push(" AND c.last_contact_at < ").bind(ts(latest));
        }
        if r.exempt_open {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.org_id = c.org_id AND x.customer_id = c.id AND x.status = 'open')");
        }
        if r.exempt_deal {
            sql.push(" AND NOT EXISTS (SELECT 1 FROM opportunities x WHERE x.org_id = c.org_id AND x.customer_id = c.id AND x.status = 'won')");
        }
    }
    if let Some(owner) = q.owner_id {
        sql.push(" AND c.owner_id = ").bind(owner);
    }
    if let Some(needle) = needle {
        push_search(sql, needle, trigram_search, backend);
    }
}

pub(crate) fn search_text(f: &CustomerFields) -> String {
    search_document(
        f.name.as_str(),
        f.phone.as_ref().map(|p| p.normalized()),
        f.email.as_ref().map(|e| e.as_str()),
    )
}

pub(crate) async fn load_customer(
    conn: &mut sqlx::AnyConnection,
    viewer: &Viewer,
    id: i64,
    deleted: bool,
) -> Result<Customer> {
    // The customer with its custom values in one statement (one row per value, at least one):
    // reading a customer is the most frequent request, and every statement is a round trip.
    let mut sql = Sql::new(&format!(
        "SELECT {CUSTOMER_COLUMNS}, f.field_key AS custom_key, v.value AS custom_value \
         FROM customers c LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id \
         LEFT JOIN custom_values v ON v.org_id = c.org_id AND v.org_id = c.org_id AND v.customer_id = c.id \
         LEFT JOIN custom_fields f ON f.id = v.field_id AND f.org_id = v.org_id WHERE"
    ));
    push_scope(&mut sql, viewer, "c");
    sql.push(" AND c.id = ").bind(id);
    sql.push(if deleted {
        " AND c.deleted_at IS NOT NULL"
    } else {
        " AND c.deleted_at IS NULL"
    });
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let mut c = Customer::from_row(rows.first().ok_or(StoreError::NotFound)?)?;
    for r in &rows {
        if let (Some(key), Some(value)) = (
            r.try_get::<Option<String>, _>("custom_key")?,
            r.try_get::<Option<String>, _>("custom_value")?,
        ) {
            c.custom.insert(key, value);
        }
    }
    Ok(c)
}

/// Whether `user_id` is an active person the viewer may assign customers to.
/// `SELECT <what> FROM users o WHERE` the person is active and within the viewer's scope.
/// Exact values of the customer card to narrow a list or a statistic to; empty fields match
/// everything.
#[derive(Debug, Clone, Default)]
pub struct CardFilter {
    pub kind: Option<String>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub source: Option<String>,
    pub tier: Option<String>,
    pub man_class: Option<yingpan_domain::qualification::Man>,
    pub key_account: Option<yingpan_domain::qualification::KeyAccountClass>,
}

impl CardFilter {
    /// The card index that finds this filter's customers (SQLite), the most selective field
    /// first as companies use them: industry, region, source, tier.
    pub(crate) fn index_hint(&self) -> Option<&'static str> {
        if self.industry.is_some() {
            Some("customers c INDEXED BY customers_card_industry")
        } else if self.region.is_some() {
            Some("customers c INDEXED BY customers_card_region")
        } else if self.source.is_some() {
            Some("customers c INDEXED BY customers_card_source")
        } else if self.tier.is_some() {
            Some("customers c INDEXED BY customers_card_tier")
        } else {
            None
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kind.is_none()
            && self.region.is_none()
            && self.industry.is_none()
            && self.source.is_none()
            && self.tier.is_none()
            && self.man_class.is_none()
            && self.key_account.is_none()
    }

    /// The conditions on customers `alias`.
    pub(crate) fn push(&self, sql: &mut Sql, alias: &str) {
        for (column, value) in [
            ("kind", &self.kind),
            ("region", &self.region),
            ("industry", &self.industry),
            ("source", &self.source),
            ("tier", &self.tier),
        ] {
            if let Some(v) = value {
                sql.push(&format!(" AND {alias}.{column} = "))
                    .bind(v.clone());
            }
        }
        if let Some(m) = self.man_class {
            sql.push(&format!(" AND {alias}.man_money = "))
                .bind(i64::from(m.money))
                .push(&format!(" AND {alias}.man_authority = "))
                .bind(i64::from(m.authority))
                .push(&format!(" AND {alias}.man_need = "))
                .bind(i64::from(m.need));
        }
        if let Some(k) = self.key_account {
            let (a, w) = k.levels();
            sql.push(&format!(" AND {alias}.attractiveness = "))
                .bind(a.as_str())
                .push(&format!(" AND {alias}.ability_to_win = "))
                .bind(w.as_str());
        }
    }
}

/// What a customer did, to narrow a list to (all conditions together; empty matches all).
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    /// No follow-up logged by anyone since this instant.
    pub quiet_since: Option<DateTime<Utc>>,
    /// Bought this product (a line of any order).
    pub bought_product: Option<i64>,
    /// Has ordered, but not since this instant.
    pub last_order_before: Option<DateTime<Utc>>,
    /// Total of the customer's orders in the reporting currency, in fen, at least / at most.
    pub spent_min_fen: Option<i64>,
    pub spent_max_fen: Option<i64>,
}

impl HistoryFilter {
    pub fn is_empty(&self) -> bool {
        self.quiet_since.is_none()
            && self.bought_product.is_none()
            && self.last_order_before.is_none()
            && self.spent_min_fen.is_none()
            && self.spent_max_fen.is_none()
    }

    /// The conditions on customers `c`: the latest follow-up kept on the customer, purchases
    /// through the orders' per-customer indexes.
    pub(crate) fn push(&self, sql: &mut Sql, backend: crate::Backend) {
        if let Some(t) = self.quiet_since {
            // Kept by a trigger on every logged activity (migration 0049); '' is never.
            sql.push(" AND c.last_activity_at < ").bind(crate::ts(t));
        }
        if let Some(p) = self.bought_product {
            sql.push(" AND EXISTS (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id AND l.org_id = o.org_id WHERE o.org_id = c.org_id AND o.customer_id = c.id AND l.product_id = ")
                .bind(p)
                .push(")");
        }
        if let Some(t) = self.last_order_before {
            sql.push(" AND EXISTS (SELECT 1 FROM orders o WHERE o.org_id = c.org_id AND o.customer_id = c.id) \
                 AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.org_id = c.org_id AND o.customer_id = c.id AND o.created_at >= ")
                .bind(crate::ts(t))
                .push(")");
        }
        // Every amount has at most two decimals: summed exactly in integer fen.
        let fen = match backend {
            crate::Backend::Sqlite => "CAST(ROUND(CAST(o.total AS REAL) * 100) AS INTEGER)",
            crate::Backend::Postgres => "CAST(ROUND(CAST(o.total AS NUMERIC) * 100) AS BIGINT)",
        };
        for (bound, op) in [(self.spent_min_fen, ">="), (self.spent_max_fen, "<=")] {
            if let Some(b) = bound {
                sql.push(&format!(
                    " AND (SELECT COALESCE(SUM({fen}), 0) FROM orders o WHERE o.org_id = c.org_id AND o.customer_id = c.id AND o.currency = "
                ))
                .bind(yingpan_domain::weekly_report::REPORTING_CURRENCY)
                .push(&format!(") {op} "))
                .bind(b);
            }
        }
    }
}

/// Size bands of the card, from the profile: revenue and net assets in fen (compared exactly
/// as whole fen), employees as a count. A customer without the figure matches no band.
#[derive(Debug, Clone, Default)]
pub struct SizeFilter {
    pub revenue_min_fen: Option<i64>,
    pub revenue_max_fen: Option<i64>,
    pub employees_min: Option<i64>,
    pub employees_max: Option<i64>,
    pub net_assets_min_fen: Option<i64>,
    pub net_assets_max_fen: Option<i64>,
}

impl SizeFilter {
    pub fn is_empty(&self) -> bool {
        self.bounds().iter().all(|(_, _, _, b)| b.is_none())
    }

    /// (profile key, is money, operator, bound)
    fn bounds(&self) -> [(&'static str, bool, &'static str, Option<i64>); 6] {
        [
            ("annual_revenue", true, ">=", self.revenue_min_fen),
            ("annual_revenue", true, "<=", self.revenue_max_fen),
            ("employees", false, ">=", self.employees_min),
            ("employees", false, "<=", self.employees_max),
            ("net_assets", true, ">=", self.net_assets_min_fen),
            ("net_assets", true, "<=", self.net_assets_max_fen),
        ]
    }

    pub(crate) fn push(&self, sql: &mut Sql, backend: crate::Backend) {
        for (key, money, op, bound) in self.bounds() {
            let Some(b) = bound else { continue };
            let value = match backend {
                crate::Backend::Sqlite => format!("json_extract(c.profile, '$.{key}')"),
                crate::Backend::Postgres => format!("(c.profile::jsonb ->> '{key}')"),
            };
            let expr = match (backend, money) {
                (crate::Backend::Sqlite, true) => {
                    format!("CAST(ROUND(CAST({value} AS REAL) * 100) AS INTEGER)")
                }
                (crate::Backend::Sqlite, false) => format!("CAST({value} AS INTEGER)"),
                (crate::Backend::Postgres, true) => {
                    format!("CAST(ROUND(CAST({value} AS NUMERIC) * 100) AS BIGINT)")
                }
                (crate::Backend::Postgres, false) => {
                    format!("CAST(CAST({value} AS NUMERIC) AS BIGINT)")
                }
            };
            sql.push(&format!(" AND {expr} {op} ")).bind(b);
        }
    }
}

/// Narrows customers `c` to those whose search text contains `needle` (already normalized).
pub(crate) fn push_search(sql: &mut Sql, needle: &str, trigram: bool, backend: crate::Backend) {
    if trigram {
        // A quoted phrase over the FTS5 trigram table matches exactly the documents containing
        // the needle as a substring, answered from the index's position lists alone; LIKE on
        // the same table would re-read every candidate's text. Shorter needles have no trigram
        // and scan search_text instead.
        let (expr, verify) = fts_match(needle);
        sql.push(" AND c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ")
            .bind(expr)
            .push(")");
        if verify {
            push_contains(sql, needle, backend);
        }
    } else if let Some(trigrams) = selective_trigrams(needle)
        .filter(|t| backend == crate::Backend::Postgres && t.len() >= PG_SELECTIVE_TRIGRAMS)
    {
        // pg_trgm looks up every trigram of a LIKE pattern; these few are the rare ones, and the
        // whole needle is tested on the rows they find (strpos is not indexed).
        for t in trigrams {
            sql.push(" AND c.search_text LIKE ")
                .bind(like_pattern(t))
                .push(" ESCAPE '\\'");
        }
        push_contains(sql, needle, backend);
    } else {
        sql.push(" AND c.search_text LIKE ")
            .bind(like_pattern(needle))
            .push(" ESCAPE '\\'");
    }
}

/// How many rare trigrams a pinyin search needs on PostgreSQL to look them up instead of the
/// whole needle's. PostgreSQL rechecks every candidate on its heap row, so the superset two
/// trigrams find costs more there than the common trigrams they skip ("dajixie" among a
/// million customers: 15,646 candidates for 10,452 matches, 30 → 44 ms); FTS5's cost is the
/// position lists, and there two are enough.
const PG_SELECTIVE_TRIGRAMS: usize = 3;

/// What a search asks SQLite's trigram index, and whether the documents it answers must then
/// be tested for the whole needle: one phrase, or for pinyin the rare trigrams across its
/// syllables (`selective_trigrams`) — "hengdajixie" among a million customers: 25 → 4 ms in
/// the index, where the phrase reads "eng", in a third of all documents, with its positions.
fn fts_match(needle: &str) -> (String, bool) {
    match selective_trigrams(needle) {
        Some(trigrams) => (
            trigrams
                .iter()
                .map(|t| fts_phrase(t))
                .collect::<Vec<_>>()
                .join(" AND "),
            true,
        ),
        None => (fts_phrase(needle), false),
    }
}

/// Customers `c` whose search text contains `needle`, tested on the row (no index).
fn push_contains(sql: &mut Sql, needle: &str, backend: crate::Backend) {
    sql.push(match backend {
        crate::Backend::Sqlite => " AND instr(c.search_text, ",
        crate::Backend::Postgres => " AND strpos(c.search_text, ",
    })
    .bind(needle.to_string())
    .push(") > 0");
}

/// How a capped search finds its matches (`Store::search_capped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matching {
    /// The trigram index yields its matches newest first, each tested against the scope,
    /// until one more than the cap are found: a broad query reads part of its position lists
    /// (SQLite, "恒达机械" among a million customers: 34 → 8 ms).
    Newest,
    /// Every match of the trigram index, then tested against the scope: when the scope holds
    /// a small share of the company, few of the matches are in it and the index would be read
    /// to the end anyway — which it reads faster forwards (SQLite, "hengdajixie": 25 against
    /// 36 ms). Counted exactly first; capped only when the scope holds more than the cap.
    All,
    /// The scope's customers through the owner index, each one's text tested: a salesperson's
    /// thousand customers in 4 ms, where the trigram index would yield every match of the
    /// company to find the few in scope (35 ms).
    Owned,
    /// One or two characters, which have no trigram: the customers newest first, each tested.
    Scan,
    /// The trigram index (pg_trgm), every match, then the newest.
    Postgres,
}

impl Matching {
    /// On SQLite, for a scope of `in_scope` live customers out of `in_org`.
    fn for_share(in_scope: i64, in_org: i64, deleted: bool) -> Self {
        const SMALL_SCOPE: i64 = 3_000;
        if !deleted && in_scope <= SMALL_SCOPE {
            Matching::Owned
        } else if in_scope.saturating_mul(2) < in_org {
            Matching::All
        } else {
            Matching::Newest
        }
    }
}

/// `needle` as one FTS5 phrase: the documents containing it as a substring.
fn fts_phrase(needle: &str) -> String {
    format!("\"{}\"", needle.replace('"', "\"\""))
}

/// Whether a search for `needle` uses SQLite's trigram index (three characters or more).
pub(crate) fn uses_trigrams(backend: crate::Backend, needle: &str) -> bool {
    backend == crate::Backend::Sqlite && needle.chars().count() >= 3
}

fn assignable_sql(viewer: &Viewer, what: &str) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {what} FROM users o WHERE o.org_id = "));
    sql.bind(viewer.org_id).push(" AND o.active = 1");
    match viewer.scope {
        Scope::All => {}
        Scope::Own => {
            sql.push(" AND o.id = ").bind(viewer.user_id);
        }
        Scope::Subtree => {
            sql.push(" AND o.id IN ");
            crate::sql::push_subtree(&mut sql, viewer.org_id, viewer.user_id);
        }
    }
    sql
}

pub(crate) async fn assignable_owner(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    user_id: i64,
) -> Result<bool> {
    let mut sql = assignable_sql(viewer, "COUNT(*)");
    sql.push(" AND o.id = ").bind(user_id);
    let n: i64 = sql.query().fetch_one(&mut **tx).await?.try_get(0)?;
    Ok(n > 0)
}

/// Everyone the viewer may make an owner (active people in their scope), in one query.
pub(crate) async fn assignable_people(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
) -> Result<std::collections::HashSet<i64>> {
    crate::sql::first_ids(
        &assignable_sql(viewer, "o.id")
            .query()
            .fetch_all(&mut **tx)
            .await?,
    )
}

impl Store {
    /// The ids of everyone the viewer may make an owner: the same rule a transfer, an
    /// assignment or an import checks, so a form offers no one the store would refuse.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn assignable_ids(&self, viewer: &Viewer) -> Result<std::collections::HashSet<i64>> {
        let mut tx = self.read.begin().await?;
        let ids = assignable_people(&mut tx, viewer).await?;
        tx.commit().await?;
        Ok(ids)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn list_customers(
        &self,
        viewer: &Viewer,
        q: &CustomerListQuery,
    ) -> Result<(Vec<Customer>, i64)> {
        let needle = q.q.as_deref().and_then(normalize_query);
        // SQLite answers substrings of three or more characters from the FTS5 trigram table.
        let trigram_search = needle
            .as_ref()
            .is_some_and(|n| uses_trigrams(self.backend, n));
        if let (Some(cap), Some(needle)) = (q.total_cap(), needle.as_deref()) {
            return self.search_capped(viewer, q, needle, cap).await;
        }
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        // The tally (migrations 0027 and 0063) gives the exact total, and with it the share of
        // the organization the scope holds, before the page is read.
        let tally = if q.counts_from_tally() {
            Some(self.tally_sizes_owned(viewer, q.owner_id).await?)
        } else {
            None
        };
        // A salesperson's or a supervisor's scope holds no pool customer: their walk skips the
        // pool (recycled customers are the most recently updated).
        let owned_walk = matches!(
            viewer.scope,
            yingpan_domain::person::Scope::Own | yingpan_domain::person::Scope::Subtree
        ) && !q.deleted;
        // A page in the default order either walks the organization's customers in that order
        // and keeps the scope's (expected entries walked: offset × organization / scope), or
        // sorts the whole scope. The planner cannot know a subtree's size and sorted a quarter
        // of a million customers for a top supervisor's first page; the tally knows. Walking
        // tests an index entry (about 0.15 µs); sorting reads each row (about 1.7 µs).
        const SORT_COST_PER_WALKED_ENTRY: i64 = 8;
        let walk_in_order = match tally {
            Some((in_scope, in_org, owned))
                if self.backend == crate::Backend::Sqlite
                    && q.sort == CustomerSort::UpdatedDesc
                    && in_scope > 0 =>
            {
                let walked = if owned_walk { owned } else { in_org };
                (page * per_page).saturating_mul(walked) / in_scope
                    < in_scope.saturating_mul(SORT_COST_PER_WALKED_ENTRY)
            }
            _ => false,
        };
        let tally = tally.map(|(in_scope, in_org, _)| (in_scope, in_org));
        // With a trigram search the matches (a few thousand at most) drive the query: each is
        // looked up by id. Left to itself SQLite's planner walked a million customers through the
        // organization's index and tested each against the match list (160 ms instead of 5).
        // One person's customers about to return to the pool: their few rows through the owner
        // index, then sorted. Left to itself SQLite walked every owned customer of the
        // organization in contact order looking for that person's (20 ms at 100,000 customers
        // for a salesperson's workbench, whatever they own).
        let one_owner = (viewer.scope == yingpan_domain::person::Scope::Own
            || q.owner_id.is_some())
            && q.returning_soon.is_some()
            && !q.deleted
            && !trigram_search
            && self.backend == crate::Backend::Sqlite;
        let customers = if trigram_search {
            "customers c NOT INDEXED"
        } else if one_owner {
            "customers c INDEXED BY customers_owner"
        } else if walk_in_order && owned_walk {
            "customers c INDEXED BY customers_owned_updated"
        } else if walk_in_order {
            "customers c INDEXED BY customers_live_updated"
        } else {
            "customers c"
        };
        // A supervisor's people, read first on PostgreSQL. Given the recursive subquery, the
        // planner cannot estimate the team and chose to read and sort every customer of the
        // organization (a top supervisor's page 500 at a million customers: 670 ms); given
        // their ids, it walks the live customers' index in list order (10 ms).
        let team = self.team_read_first(viewer).await?;
        let build_on = |table: &str, select: &str| {
            let mut sql = Sql::new(&select.replace("{customers}", table));
            push_list_filters(
                &mut sql,
                viewer,
                q,
                self.backend,
                needle.as_deref(),
                trigram_search,
                team.as_deref(),
            );
            if table.ends_with("customers_owned_updated") {
                // What the partial index holds, said so that SQLite may use it.
                sql.push(" AND c.owner_id IS NOT NULL");
            }
            sql
        };
        let build = |select: &str| build_on(customers, select);
        // A search counts its matches in the same pass that sorts them (a window count), so the
        // trigram index is read once per request, not twice.
        let count_in_page = trigram_search && !q.skip_count;
        // A narrow filter (a card field's rare value, a region of a large company) on SQLite:
        // the count first, through the filter's index, then at most a few thousand matches
        // sorted — instead of SQLite's own plan, which walks the whole organization in list
        // order looking for twenty matches (all of it when there are none: 110 ms at 100,000
        // customers, a second at a million).
        let filtered = !q.card.is_empty()
            || !q.history.is_empty()
            || !q.size.is_empty()
            || q.team_of.is_some()
            || q.last_activity.is_some()
            || !q.custom_filters.is_empty();
        // Which index finds a filtered list's rows, not left to the planner (its statistics
        // change which one it takes, and a wrong one costs a hundredfold): one person's
        // customers through the owner index; a team's or the company's through the filtered
        // card field's, which carries the owner for the scope.
        let filter_index = if q.deleted {
            customers
        } else if viewer.scope == yingpan_domain::person::Scope::Own || q.owner_id.is_some() {
            "customers c INDEXED BY customers_owner"
        } else if let Some(card) = q.card.index_hint() {
            card
        } else if q.history.quiet_since.is_some() {
            "customers c INDEXED BY customers_last_activity"
        } else {
            customers
        };
        let counted_first = if self.backend == crate::Backend::Sqlite
            && filtered
            && tally.is_none()
            && !trigram_search
            && !q.skip_count
        {
            let count = build_on(filter_index, "SELECT COUNT(*) FROM {customers} WHERE");
            let n: i64 = count
                .query()
                .fetch_one(self.heavy_read())
                .await?
                .try_get(0)?;
            if n == 0 {
                return Ok((Vec::new(), 0));
            }
            Some(n)
        } else {
            None
        };
        // Then the page: walking the organization in list order finds twenty of `n` matches
        // after about page × 20 × organization / n entries; sorting reads the `n` rows. The
        // same costs as the unfiltered list's (SORT_COST_PER_WALKED_ENTRY).
        let narrow = match counted_first {
            Some(n) => {
                let (_, in_org) = self.tally_sizes(viewer, None).await?;
                q.sort != CustomerSort::UpdatedDesc
                    || (page * per_page).saturating_mul(in_org) / n
                        >= n.saturating_mul(SORT_COST_PER_WALKED_ENTRY)
            }
            None => false,
        };
        let page_table = match counted_first {
            Some(_) if narrow => filter_index,
            Some(_) => "customers c INDEXED BY customers_live_updated",
            None => customers,
        };
        let order_by = if narrow {
            q.sort.order_by_unindexed()
        } else {
            q.sort.order_by().to_string()
        };
        let list = if trigram_search {
            let mut list = build(&format!(
                "SELECT {CUSTOMER_COLUMNS}{} FROM {{customers}} LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE",
                if count_in_page { ", COUNT(*) OVER () AS total_rows" } else { "" }
            ));
            list.push(" ORDER BY ")
                .push(q.sort.order_by())
                .push(" LIMIT ")
                .bind(per_page)
                .push(" OFFSET ")
                .bind((page - 1) * per_page);
            list
        } else {
            // The page's ids first, from the indexes alone where they cover the order, then
            // the page's rows: sorting or skipping thousands of narrow (order, id) entries
            // instead of whole customer rows (PostgreSQL, 100 k customers, a top supervisor's
            // page 500: 65 → 20 ms).
            let mut ids = build_on(page_table, "SELECT c.id FROM {customers} WHERE");
            ids.push(" ORDER BY ")
                .push(&order_by)
                .push(" LIMIT ")
                .bind(per_page)
                .push(" OFFSET ")
                .bind((page - 1) * per_page);
            // The page's rows by id: SQLite would otherwise walk the order index to avoid
            // sorting twenty rows, testing every customer against the list.
            let by_id = crate::sql::customers_by_id(self.backend);
            ids.wrap(
                &format!(
                    "SELECT {CUSTOMER_COLUMNS} FROM {by_id} LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE c.id IN ("
                ),
                &format!(") ORDER BY {}", q.sort.order_by()),
            )
        };
        let rows = list
            .query_planned(self.backend, needle.is_some())
            .fetch_all(self.heavy_read())
            .await?;
        let counted_in_page = match rows.first() {
            Some(r) if count_in_page => Some(r.try_get::<i64, _>("total_rows")?),
            _ => None,
        };
        let total: i64 = if q.skip_count {
            -1
        } else if let Some(total) = counted_in_page.or(counted_first) {
            total
        } else if let Some((in_scope, _)) = tally {
            in_scope
        } else {
            let count = build("SELECT COUNT(*) FROM {customers} WHERE");
            count
                .query_planned(self.backend, needle.is_some())
                .fetch_one(self.heavy_read())
                .await?
                .try_get(0)?
        };
        Ok((self.with_custom_values(viewer, &rows).await?, total))
    }

    /// A list's rows as customers, with their custom values.
    async fn with_custom_values(&self, viewer: &Viewer, rows: &[AnyRow]) -> Result<Vec<Customer>> {
        let mut items = rows
            .iter()
            .map(Customer::from_row)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
        let mut custom = crate::custom::values_for(self.heavy_read(), viewer.org_id, &ids).await?;
        for c in &mut items {
            c.custom = custom.remove(&c.id).unwrap_or_default();
        }
        Ok(items)
    }

    /// A supervisor's people, read first on PostgreSQL. Given the recursive subquery, the
    /// planner cannot estimate the team and chose to read and sort every customer of the
    /// organization (a top supervisor's page 500 at a million customers: 670 ms); given
    /// their ids, it walks the live customers' index in list order (10 ms).
    async fn team_read_first(&self, viewer: &Viewer) -> Result<Option<Vec<i64>>> {
        if self.backend == crate::Backend::Postgres
            && viewer.scope == yingpan_domain::person::Scope::Subtree
        {
            Ok(Some(
                crate::sql::subtree_ids(
                    self.heavy_read(),
                    self.backend,
                    viewer.org_id,
                    viewer.user_id,
                )
                .await?,
            ))
        } else {
            Ok(None)
        }
    }

    /// A search with a cap: the `cap` most recently registered matches in the viewer's scope
    /// (and the list's filters), sorted and paged as asked, and their number — `cap + 1` when
    /// there are more. Counting and sorting every match of a broad query costs one row read
    /// per match (5,151 for "恒达机械" at a million customers: 20 ms on SQLite); the cap
    /// bounds that. On SQLite the trigram index yields its matches newest first and stops
    /// after `cap + 1` in scope, so a broad query also reads only part of its position lists.
    async fn search_capped(
        &self,
        viewer: &Viewer,
        q: &CustomerListQuery,
        needle: &str,
        cap: i64,
    ) -> Result<(Vec<Customer>, i64)> {
        let per_page = q.per_page.clamp(1, 200);
        let page = q.page.max(1);
        let team = self.team_read_first(viewer).await?;
        let how = if self.backend == crate::Backend::Postgres {
            Matching::Postgres
        } else if viewer.scope == yingpan_domain::person::Scope::All && q.owner_id.is_none() {
            Matching::Newest
        } else {
            let (in_scope, in_org, _) = self.tally_sizes_owned(viewer, q.owner_id).await?;
            Matching::for_share(in_scope, in_org, q.deleted)
        };
        let how = match how {
            Matching::Newest | Matching::All if !uses_trigrams(self.backend, needle) => {
                Matching::Scan
            }
            how => how,
        };
        if matches!(how, Matching::Newest | Matching::All) {
            // Few matches in the whole index (a phone number, a full name), or a scope that
            // holds few of the many: every match counted and sorted exactly, as without a cap,
            // costs least. Whether the index holds more than the cap is read from the start of
            // its position lists alone.
            let few = match how {
                Matching::All => true,
                _ => {
                    let mut probe = Sql::new(
                        "SELECT COUNT(*) FROM (SELECT rowid FROM customer_search WHERE customer_search MATCH ",
                    );
                    probe
                        .bind(fts_match(needle).0)
                        .push(" LIMIT ")
                        .bind(cap + 1)
                        .push(")");
                    let in_index: i64 = probe
                        .query()
                        .fetch_one(self.heavy_read())
                        .await?
                        .try_get(0)?;
                    in_index <= cap
                }
            };
            if few {
                let exact = CustomerListQuery {
                    search_cap: None,
                    ..q.clone()
                };
                let (items, total) = Box::pin(self.list_customers(viewer, &exact)).await?;
                if total <= cap {
                    return Ok((items, total));
                }
            }
        }
        let (table, search) = match how {
            Matching::Newest => ("customers c", None),
            Matching::All => ("customers c NOT INDEXED", Some(true)),
            Matching::Owned => ("customers c INDEXED BY customers_owner", Some(false)),
            Matching::Scan => ("customers c NOT INDEXED", Some(false)),
            Matching::Postgres => ("customers c", Some(false)),
        };
        let mut hits = Sql::new(&format!("SELECT c.id FROM {table} WHERE"));
        if how == Matching::Newest {
            // The index drives: its matches in descending id order, each customer looked up
            // by id and tested against the scope and filters, until enough are found.
            hits = Sql::new(
                "SELECT c.id FROM customer_search s CROSS JOIN customers c ON c.id = s.rowid WHERE s.customer_search MATCH ",
            );
            let (expr, verify) = fts_match(needle);
            hits.bind(expr);
            if verify {
                push_contains(&mut hits, needle, self.backend);
            }
            hits.push(" AND");
        }
        push_list_filters(
            &mut hits,
            viewer,
            q,
            self.backend,
            search.map(|_| needle),
            search.unwrap_or(false),
            team.as_deref(),
        );
        let mut hits = match how {
            Matching::Newest => hits.wrap("", " ORDER BY s.rowid DESC LIMIT "),
            // `OFFSET 0` keeps PostgreSQL from walking the primary key backwards in search of
            // matches, a walk of the whole company for a rare needle.
            Matching::Postgres => hits.wrap(
                "SELECT m.id FROM (",
                " OFFSET 0) m ORDER BY m.id DESC LIMIT ",
            ),
            _ => hits.wrap("", " ORDER BY c.id DESC LIMIT "),
        };
        hits.bind(cap + 1);
        let by_id = crate::sql::customers_by_id(self.backend);
        let mut list = hits.clone().wrap(
            "WITH hits AS MATERIALIZED (",
            ") , kept AS (SELECT id FROM hits ORDER BY id DESC LIMIT ",
        );
        list.bind(cap)
            .push(&format!(
                ") SELECT {CUSTOMER_COLUMNS}, (SELECT COUNT(*) FROM hits) AS total_rows FROM {by_id} LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE c.org_id = "
            ))
            .bind(viewer.org_id)
            .push(" AND c.id IN (SELECT id FROM kept) ORDER BY ")
            .push(q.sort.order_by())
            .push(" LIMIT ")
            .bind(per_page)
            .push(" OFFSET ")
            .bind((page - 1) * per_page);
        let rows = list
            .query_planned(self.backend, true)
            .fetch_all(self.heavy_read())
            .await?;
        let total = match rows.first() {
            Some(r) => r.try_get::<i64, _>("total_rows")?,
            // A page past the matches: their number alone.
            None => hits
                .wrap("SELECT COUNT(*) FROM (", ") h")
                .query_planned(self.backend, true)
                .fetch_one(self.heavy_read())
                .await?
                .try_get(0)?,
        };
        Ok((self.with_custom_values(viewer, &rows).await?, total))
    }

    /// Folds PostgreSQL's counter changes (the customer tally, migration 0063; open receivables
    /// and ownership changes per day, 0066) into the counters, one organization per
    /// transaction; readers see the same sums before and after. Nothing to do on SQLite, whose
    /// triggers update the counters themselves. Returns the change rows folded.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn compact_tally(&self) -> Result<u64> {
        if self.backend != crate::Backend::Postgres {
            return Ok(0);
        }
        let orgs: Vec<i64> = sqlx::query("SELECT id FROM organizations")
            .fetch_all(&self.write)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<std::result::Result<_, _>>()?;
        // (changes, counters, key columns, summed columns): the counters that readers add their
        // pending changes to (migrations 0063, 0066).
        const COUNTERS: [(&str, &str, &str, &[&str]); 3] = [
            (
                "customer_tally_changes",
                "customer_tally",
                "org_id, owner_id, pool_id",
                &["live"],
            ),
            (
                "receivables_changes",
                "receivables_open",
                "org_id, owner_id, due_date",
                &["n", "fen"],
            ),
            (
                "ownership_daily_changes",
                "ownership_daily",
                "org_id, day, reason",
                &["n"],
            ),
        ];
        let mut folded = 0;
        for org in orgs {
            let mut tx = self.write.begin().await?;
            for (changes, counters, keys, sums) in COUNTERS {
                let moved: i64 =
                    sqlx::query(&format!("SELECT COUNT(*) FROM {changes} WHERE org_id = $1"))
                        .bind(org)
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get(0)?;
                if moved == 0 {
                    continue;
                }
                let list = sums.join(", ");
                let summed: Vec<String> = sums.iter().map(|c| format!("SUM({c})")).collect();
                let add: Vec<String> = sums
                    .iter()
                    .map(|c| format!("{c} = {counters}.{c} + EXCLUDED.{c}"))
                    .collect();
                sqlx::query(&format!(
                    "WITH moved AS (DELETE FROM {changes} WHERE org_id = $1 RETURNING {keys}, {list}) \
                     INSERT INTO {counters} ({keys}, {list}) SELECT {keys}, {} FROM moved GROUP BY {keys} \
                     ON CONFLICT ({keys}) DO UPDATE SET {}",
                    summed.join(", "),
                    add.join(", ")
                ))
                .bind(org)
                .execute(&mut *tx)
                .await?;
                folded += moved as u64;
            }
            tx.commit().await?;
        }
        Ok(folded)
    }

    /// (live customers in the viewer's scope, optionally of one owner; live customers of the
    /// organization) from the tally — on PostgreSQL with the changes not yet folded into it.
    async fn tally_sizes(&self, viewer: &Viewer, owner: Option<i64>) -> Result<(i64, i64)> {
        let (in_scope, in_org, _) = self.tally_sizes_owned(viewer, owner).await?;
        Ok((in_scope, in_org))
    }

    /// Live customers in the scope, in the organization, and owned by someone.
    async fn tally_sizes_owned(
        &self,
        viewer: &Viewer,
        owner: Option<i64>,
    ) -> Result<(i64, i64, i64)> {
        let mut sql = Sql::new("SELECT CAST(COALESCE(SUM(CASE WHEN");
        push_scope(&mut sql, viewer, "c");
        if let Some(owner) = owner {
            sql.push(" AND c.owner_id = ").bind(owner);
        }
        sql.push(
            " THEN c.live ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(c.live), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN c.owner_id IS NOT NULL THEN c.live ELSE 0 END), 0) AS BIGINT) FROM ",
        );
        crate::sql::push_counted(
            &mut sql,
            self.backend,
            viewer.org_id,
            "customer_tally",
            "customer_tally_changes",
            "org_id, owner_id, pool_id, live",
            "c",
        );
        sql.push(" WHERE c.org_id = ").bind(viewer.org_id);
        let row = sql.query().fetch_one(self.heavy_read()).await?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }

    /// Live customers in the viewer's scope with ids above `after`, in id order: an export reads
    /// the whole scope in pages of `limit` without OFFSET.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn customers_after(
        &self,
        viewer: &Viewer,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Customer>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers c LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE"
        ));
        push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.deleted_at IS NULL AND c.id > ")
            .bind(after)
            .push(" ORDER BY c.id LIMIT ")
            .bind(limit.clamp(1, 10_000));
        let mut items = sql
            .query()
            .fetch_all(self.heavy_read())
            .await?
            .iter()
            .map(Customer::from_row)
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = items.iter().map(|c| c.id).collect();
        let mut custom = crate::custom::values_for(self.heavy_read(), viewer.org_id, &ids).await?;
        for c in &mut items {
            c.custom = custom.remove(&c.id).unwrap_or_default();
        }
        Ok(items)
    }

    /// A live customer within the viewer's scope; anything else is `NotFound`.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn customer(&self, viewer: &Viewer, id: i64) -> Result<Customer> {
        // Two reads on one connection without BEGIN/COMMIT: the most frequent request of all
        // saves two round trips to the database.
        let mut conn = self.read.acquire().await?;
        load_customer(&mut conn, viewer, id, false).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_customer(
        &self,
        viewer: &Viewer,
        fields: &CustomerFields,
        owner_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let owner = owner_id.unwrap_or(viewer.user_id);
        let keys = crate::dedupe::Keys::of(fields);
        let mut tx = self.write.begin().await?;
        crate::dedupe::lock_keys(&mut tx, self.backend, viewer.org_id, &keys).await?;
        crate::dedupe::refuse_if_any(
            crate::dedupe::find(&mut tx, viewer.org_id, owner, &keys, None).await?,
        )?;
        if owner != viewer.user_id && !assignable_owner(&mut tx, viewer, owner).await? {
            return Err(ValidationError::new(
                "owner_id",
                "invalid_owner",
                "the owner must be an active person in your team",
            )
            .into());
        }
        // The pool it would return to, written with the row: a second write of the row would
        // update its indexes and the tally again.
        let pool = crate::pool_definitions::pool_for(
            &mut tx,
            viewer.org_id,
            fields.region.as_deref(),
            Some(owner),
        )
        .await?;
        let id: i64 = sqlx::query(
            "INSERT INTO customers (org_id, kind, name, phone, phone_norm, email, address, region, \
             industry, source, notes, owner_id, search_text, last_contact_at, created_by, created_at, updated_at, \
             name_norm, email_norm, profile, pool_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14, $14, $16, $17, $18, $19) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(fields.kind.as_str())
        .bind(fields.name.as_str())
        .bind(fields.phone.as_ref().map(|p| p.display().to_string()))
        .bind(fields.phone.as_ref().map(|p| p.normalized().to_string()))
        .bind(fields.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(fields.address.clone())
        .bind(fields.region.clone())
        .bind(fields.industry.clone())
        .bind(fields.source.clone())
        .bind(fields.notes.clone())
        .bind(owner)
        .bind(search_text(fields))
        .bind(ts(now))
        .bind(viewer.user_id)
        .bind(keys.name_norm.clone())
        .bind(keys.email_norm.clone())
        .bind(fields.profile.to_json())
        .bind(pool)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO ownership_changes (org_id, customer_id, from_user_id, to_user_id, reason, actor_id, changed_at) \
             VALUES ($1, $2, NULL, $3, 'register', $4, $5)",
        )
        .bind(viewer.org_id)
        .bind(id)
        .bind(owner)
        .bind(viewer.user_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        // The creator may have assigned it to a subordinate, so read it back with full scope.
        let all = Viewer {
            scope: Scope::All,
            ..*viewer
        };
        let custom_changes =
            crate::custom::write_values(&mut tx, viewer.org_id, id, &fields.custom).await?;
        crate::rollup::registration_counted(&mut tx, viewer.org_id, viewer.user_id, &ts(now))
            .await?;
        let created = load_customer(&mut tx, &all, id, false).await?;
        let mut changes = diff(&[], &created.snapshot());
        changes.extend(custom_changes);
        Audit::by(viewer, now)
            .record(&mut tx, "customer", id, "create", &changes)
            .await?;
        crate::webhook::emit(
            &mut tx,
            viewer.org_id,
            yingpan_domain::webhook::Event::CustomerRegistered,
            Some(owner),
            Some(id),
            serde_json::json!({"region": created.region, "source": created.source, "registered_by": viewer.user_id}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_customer(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        fields: &CustomerFields,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let keys = crate::dedupe::Keys::of(fields);
        let mut tx = self.write.begin().await?;
        crate::dedupe::lock_keys(&mut tx, self.backend, viewer.org_id, &keys).await?;
        let before = load_customer(&mut tx, viewer, id, false).await?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let registrant = before.owner_id.unwrap_or(viewer.user_id);
        crate::dedupe::refuse_if_any(
            crate::dedupe::find(&mut tx, viewer.org_id, registrant, &keys, Some(id)).await?,
        )?;
        let n = sqlx::query(
            "UPDATE customers SET kind = $1, name = $2, phone = $3, phone_norm = $4, email = $5, \
             address = $6, region = $7, industry = $8, source = $9, notes = $10, search_text = $11, \
             version = version + 1, updated_at = $12, name_norm = $16, email_norm = $17, profile = $18 \
             WHERE org_id = $13 AND id = $14 AND version = $15",
        )
        .bind(fields.kind.as_str())
        .bind(fields.name.as_str())
        .bind(fields.phone.as_ref().map(|p| p.display().to_string()))
        .bind(fields.phone.as_ref().map(|p| p.normalized().to_string()))
        .bind(fields.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(fields.address.clone())
        .bind(fields.region.clone())
        .bind(fields.industry.clone())
        .bind(fields.source.clone())
        .bind(fields.notes.clone())
        .bind(search_text(fields))
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(expected_version)
        .bind(keys.name_norm.clone())
        .bind(keys.email_norm.clone())
        .bind(fields.profile.to_json())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let custom_changes =
            crate::custom::write_values(&mut tx, viewer.org_id, id, &fields.custom).await?;
        if fields.region != before.region {
            let pool = crate::pool_definitions::pool_for(
                &mut tx,
                viewer.org_id,
                fields.region.as_deref(),
                before.owner_id,
            )
            .await?;
            sqlx::query("UPDATE customers SET pool_id = $1 WHERE org_id = $3 AND id = $2")
                .bind(pool)
                .bind(id)
                .bind(viewer.org_id)
                .execute(&mut *tx)
                .await?;
        }
        let after = load_customer(&mut tx, viewer, id, false).await?;
        let mut changes = diff(&before.snapshot(), &after.snapshot());
        changes.extend(custom_changes);
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "customer", id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Soft delete: the row stays, hidden, and can be restored by an admin or director.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn delete_customer(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let before = load_customer(&mut tx, viewer, id, false).await?;
        if expected_version.is_some_and(|v| v != before.version) {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        sqlx::query("UPDATE customers SET deleted_at = $1, version = version + 1, updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::rollup::customer_counted(&mut tx, viewer.org_id, id, -1).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "customer",
                id,
                "delete",
                &diff(&before.snapshot(), &[]),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn restore_customer(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let mut tx = self.write.begin().await?;
        let before = load_customer(&mut tx, viewer, id, true).await?;
        sqlx::query("UPDATE customers SET deleted_at = NULL, version = version + 1, updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        crate::rollup::customer_counted(&mut tx, viewer.org_id, id, 1).await?;
        let after = load_customer(&mut tx, viewer, id, false).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "customer",
                id,
                "restore",
                &diff(&[], &before.snapshot()),
            )
            .await?;
        tx.commit().await?;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::Matching;

    #[test]
    fn a_capped_search_reads_what_its_scope_makes_cheapest() {
        // A salesperson's customers are read and tested, however large the company.
        assert_eq!(
            Matching::for_share(1_093, 1_000_000, false),
            Matching::Owned
        );
        assert_eq!(Matching::for_share(3_000, 3_000, false), Matching::Owned);
        // The recycle bin is not in the owner index.
        assert_eq!(Matching::for_share(10, 1_000_000, true), Matching::All);
        // A top supervisor's fifth of the company: every match, then the scope's.
        assert_eq!(
            Matching::for_share(183_601, 1_000_000, false),
            Matching::All
        );
        // Half the company or more: the newest matches, until the cap.
        assert_eq!(
            Matching::for_share(500_000, 1_000_000, false),
            Matching::Newest
        );
        assert_eq!(Matching::for_share(3_001, 3_001, false), Matching::Newest);
    }
}
