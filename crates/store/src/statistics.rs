//! Statistics: the period's orders, collections, registrations and visits within the viewer's
//! scope and the user's filters, each with its customer's card, grouped by the domain
//! (`yingpan_domain::statistics`).

use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, ts, Result, Store, Viewer};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use yingpan_domain::hierarchy::ReportingLine;
use yingpan_domain::order::line_margin;
use yingpan_domain::person::Role;
use yingpan_domain::statistics::{group, CustomerCard, Dimension, Fact, FactKind, Figures};
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::{Period, REPORTING_CURRENCY};

/// What narrows the facts, besides the viewer's scope. Every card field is exact.
#[derive(Debug, Clone, Default)]
pub struct StatisticsFilter {
    pub owner_id: Option<i64>,
    /// Everyone below (and including) this person.
    pub team_id: Option<i64>,
    /// Region, industry, source, tier, MAN and key-account class.
    pub card: crate::CardFilter,
    pub dealer: Option<bool>,
    /// Orders (and the money collected on them) that include this product.
    pub product_id: Option<i64>,
    /// Order lines of this product category (and money collected on such orders).
    pub category: Option<String>,
    /// Admin-defined card fields: (field id, stored value) each to match exactly.
    pub custom: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatisticsRow {
    pub key: String,
    /// The person, supervisor or product named; the value itself for card fields.
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatisticsReport {
    pub period: Period,
    pub group_by: Dimension,
    pub rows: Vec<StatisticsRow>,
    pub total: Figures,
}

const CARD: &str =
    "c.region, c.industry, c.source, c.tier, c.man_money, c.man_authority, c.man_need, \
    c.attractiveness, c.ability_to_win, CASE WHEN c.dealer IS NULL THEN 0 ELSE 1 END AS is_dealer";
/// The card's columns as a GROUP BY list (the dealer flag by its expression).
const CARD_GROUP: &str =
    "c.region, c.industry, c.source, c.tier, c.man_money, c.man_authority, c.man_need, \
    c.attractiveness, c.ability_to_win, CASE WHEN c.dealer IS NULL THEN 0 ELSE 1 END";
const CARD_COLUMNS: [&str; 10] = [
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
];

type CardRow = (
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

/// The card's columns at the end of a packed row, read straight into a struct (a JSON array
/// fills a struct's fields in order), without an intermediate JSON tree per row.
macro_rules! packed_row {
    ($name:ident { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(serde::Deserialize)]
        struct $name {
            $($field: $ty,)*
            region: Option<String>,
            industry: Option<String>,
            source: Option<String>,
            tier: Option<String>,
            man_money: Option<i64>,
            man_authority: Option<i64>,
            man_need: Option<i64>,
            attractiveness: Option<String>,
            ability_to_win: Option<String>,
            is_dealer: i64,
        }
        impl $name {
            fn card(&mut self) -> CardRow {
                (
                    self.region.take(),
                    self.industry.take(),
                    self.source.take(),
                    self.tier.take(),
                    self.man_money,
                    self.man_authority,
                    self.man_need,
                    self.attractiveness.take(),
                    self.ability_to_win.take(),
                    self.is_dealer,
                )
            }
        }
    };
}

packed_row!(LineRow { oid: i64, person: i64, cid: i64, amount: String, qty: String, cost: Option<String>, at: String, pid: i64, pname: String, category: Option<String> });
packed_row!(PaymentRow {
    kind: String,
    amount: String,
    at: String,
    person: i64,
    cid: i64
});
packed_row!(VisitRow {
    person: i64,
    cid: i64,
    at: String
});
packed_row!(RegistrationRow {
    person: i64,
    hour: String,
    n: i64
});

/// Customers appear in many facts: one shared card each.
#[derive(Default)]
struct Cards(HashMap<i64, Arc<CustomerCard>>);

impl Cards {
    fn build(r: CardRow) -> CustomerCard {
        CustomerCard {
            region: r.0,
            industry: r.1,
            source: r.2,
            tier: r.3,
            man_money: r.4,
            man_authority: r.5,
            man_need: r.6,
            attractiveness: r.7,
            ability_to_win: r.8,
            dealer: r.9 != 0,
        }
    }

    fn get(&mut self, customer: i64, r: CardRow) -> Arc<CustomerCard> {
        self.0
            .entry(customer)
            .or_insert_with(|| Arc::new(Self::build(r)))
            .clone()
    }
}

fn push_filters(sql: &mut Sql, org_id: i64, f: &StatisticsFilter, person: &str) {
    if let Some(o) = f.owner_id {
        sql.push(&format!(" AND {person} = ")).bind(o);
    }
    if let Some(t) = f.team_id {
        sql.push(&format!(" AND {person} IN "));
        crate::sql::push_subtree(sql, org_id, t);
    }
    f.card.push(sql, "c");
    for (field, value) in &f.custom {
        sql.push(" AND c.id IN (SELECT v.customer_id FROM custom_values v WHERE v.org_id = c.org_id AND v.field_id = ")
            .bind(*field)
            .push(" AND v.value = ")
            .bind(value.clone())
            .push(")");
    }
    match f.dealer {
        Some(true) => {
            sql.push(" AND c.dealer IS NOT NULL");
        }
        Some(false) => {
            sql.push(" AND c.dealer IS NULL");
        }
        None => {}
    }
}

fn push_range(sql: &mut Sql, column: &str, period: Period) {
    let (from, to) = period.bounds(china_offset());
    sql.push(&format!(" AND {column} >= "))
        .bind(ts(from))
        .push(&format!(" AND {column} < "))
        .bind(ts(to));
}

fn columns(first: &[&'static str]) -> Vec<&'static str> {
    let mut c = first.to_vec();
    c.extend(CARD_COLUMNS);
    c
}

impl Store {
    /// The company's picklists for region, industry and source (`domain::picklist`).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn picklists(&self, org_id: i64) -> Result<yingpan_domain::picklist::Picklists> {
        crate::org::settings_json(self.heavy_read(), org_id, "picklists").await
    }

    /// Replaces the picklists (already checked by the caller); recorded on the audit trail.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_picklists(
        &self,
        viewer: &Viewer,
        lists: &yingpan_domain::picklist::Picklists,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let before = self.picklists(viewer.org_id).await?;
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE organizations SET picklists = $1 WHERE id = $2")
            .bind(serde_json::to_string(lists).expect("picklists serialise"))
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let changes: Vec<_> = yingpan_domain::picklist::FIELDS
            .iter()
            .filter_map(|f| {
                let (b, a) = (before.values(f).join("、"), lists.values(f).join("、"));
                (b != a).then(|| yingpan_domain::audit::FieldChange {
                    field: format!("picklist {f}"),
                    before: (!b.is_empty()).then_some(b),
                    after: (!a.is_empty()).then_some(a),
                })
            })
            .collect();
        if !changes.is_empty() {
            crate::audit::Audit::by(viewer, now)
                .record(&mut tx, "organization", viewer.org_id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The indicators the company shows by default (`""`: all of them).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn statistics_indicators(&self, org_id: i64) -> Result<String> {
        let row = sqlx::query("SELECT statistics_indicators FROM organizations WHERE id = $1")
            .bind(org_id)
            .fetch_one(self.heavy_read())
            .await?;
        Ok(sqlx::Row::try_get(&row, 0)?)
    }

    /// Sets the default indicators (already checked by the caller); recorded on the audit trail.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_statistics_indicators(
        &self,
        viewer: &Viewer,
        list: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let before = self.statistics_indicators(viewer.org_id).await?;
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE organizations SET statistics_indicators = $1 WHERE id = $2")
            .bind(list)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        if before != list {
            crate::audit::Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "organization",
                    viewer.org_id,
                    "update",
                    &[yingpan_domain::audit::FieldChange {
                        field: "statistics_indicators".into(),
                        before: Some(before),
                        after: Some(list.to_string()),
                    }],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The period's facts within the viewer's scope and `filter`, grouped `by`: from the cube
    /// (`crate::cube`) for whole months and at most one card, product or category dimension,
    /// otherwise from the raw rows.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn statistics(
        &self,
        viewer: &Viewer,
        period: Period,
        by: Dimension,
        filter: &StatisticsFilter,
    ) -> Result<StatisticsReport> {
        if let Some(plan) = crate::cube::Plan::of(viewer, period, by, filter) {
            let persons = crate::cube::Persons {
                viewer,
                owner: filter.owner_id,
                team: filter.team_id,
            };
            if let Some((cells, total)) = self.statistics_cells(persons, &plan).await? {
                let products: BTreeMap<i64, String> = if by == Dimension::Product {
                    let ids: Vec<i64> = cells
                        .iter()
                        .filter_map(|c| c.value.parse().ok())
                        .collect::<std::collections::BTreeSet<i64>>()
                        .into_iter()
                        .collect();
                    self.product_names(viewer.org_id, &ids).await?
                } else {
                    BTreeMap::new()
                };
                return self
                    .label(viewer, period, by, products, |team_of| {
                        yingpan_domain::cube::group_cells(&cells, total.as_deref(), by, team_of)
                    })
                    .await;
            }
        }
        self.statistics_raw(viewer, period, by, filter).await
    }

    /// Products' current names by id.
    async fn product_names(&self, org_id: i64, ids: &[i64]) -> Result<BTreeMap<i64, String>> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut sql =
            Sql::new("SELECT p.id AS id, p.name AS name FROM products p WHERE p.org_id = ");
        sql.bind(org_id).push(" AND p.id IN ").bind_list(ids);
        let rows: Vec<(i64, String)> = sql
            .fetch_packed(self.heavy_read(), self.backend, &["id", "name"])
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The same report from the raw rows alone (what the cube must equal).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn statistics_raw(
        &self,
        viewer: &Viewer,
        period: Period,
        by: Dimension,
        filter: &StatisticsFilter,
    ) -> Result<StatisticsReport> {
        let mut cards = Cards::default();
        let mut facts = Vec::new();
        let mut products: BTreeMap<i64, String> = BTreeMap::new();

        // Orders line by line: products, categories and margins are the lines'.
        let mut sql = Sql::new(&format!(
            "SELECT o.id AS oid, o.owner_id AS person, o.customer_id AS cid, l.amount AS amount, l.quantity AS qty, \
             l.unit_cost AS cost, o.created_at AS at, l.product_id AS pid, l.product_name AS pname, l.category AS category, \
             {CARD} FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id WHERE"
        ));
        push_scope_on(&mut sql, viewer, "o", "owner_id");
        sql.push(" AND o.currency = ").bind(REPORTING_CURRENCY);
        push_range(&mut sql, "o.created_at", period);
        push_filters(&mut sql, viewer.org_id, filter, "o.owner_id");
        if let Some(p) = filter.product_id {
            sql.push(" AND l.product_id = ").bind(p);
        }
        if let Some(c) = &filter.category {
            sql.push(" AND l.category = ").bind(c.clone());
        }
        let rows: Vec<LineRow> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &columns(&[
                    "oid", "person", "cid", "amount", "qty", "cost", "at", "pid", "pname",
                    "category",
                ]),
            )
            .await?;
        for mut r in rows {
            let card = r.card();
            let LineRow {
                oid,
                person,
                cid,
                amount,
                qty,
                cost,
                at,
                pid,
                pname,
                category,
                ..
            } = r;
            products.insert(pid, pname.clone());
            let amount = dec(&amount)?;
            let cost = cost.map(|c| dec(&c)).transpose()?;
            facts.push(Fact {
                kind: FactKind::Order {
                    order_id: oid,
                    amount,
                    margin: line_margin(amount, dec(&qty)?, cost),
                },
                person,
                customer_id: cid,
                card: cards.get(cid, card),
                month: crate::local_month(&at)?,
                product: Some((pid, pname)),
                category,
            });
        }

        let mut sql = Sql::new(&format!(
            "SELECT p.kind AS kind, p.amount AS amount, p.recorded_at AS at, o.owner_id AS person, o.customer_id AS cid, {CARD} \
             FROM order_payments p JOIN orders o ON o.id = p.order_id AND o.org_id = p.org_id JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id WHERE"
        ));
        push_scope_on(&mut sql, viewer, "o", "owner_id");
        sql.push(" AND o.currency = ").bind(REPORTING_CURRENCY);
        push_range(&mut sql, "p.recorded_at", period);
        push_filters(&mut sql, viewer.org_id, filter, "o.owner_id");
        if let Some(p) = filter.product_id {
            sql.push(" AND EXISTS (SELECT 1 FROM order_lines l WHERE l.org_id = o.org_id AND l.order_id = o.id AND l.product_id = ")
                .bind(p)
                .push(")");
        }
        if let Some(c) = &filter.category {
            sql.push(" AND EXISTS (SELECT 1 FROM order_lines l WHERE l.org_id = o.org_id AND l.order_id = o.id AND l.category = ")
                .bind(c.clone())
                .push(")");
        }
        let rows: Vec<PaymentRow> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &columns(&["kind", "amount", "at", "person", "cid"]),
            )
            .await?;
        for r in rows {
            let mut r = r;
            let card = r.card();
            let PaymentRow {
                kind,
                amount,
                at,
                person,
                cid,
                ..
            } = r;
            facts.push(Fact {
                kind: FactKind::Collection(crate::signed_payment(&kind, &amount)?),
                person,
                customer_id: cid,
                card: cards.get(cid, card),
                month: crate::local_month(&at)?,
                product: None,
                category: None,
            });
        }

        // Registrations only count: grouped by person, card and hour (the month is the hour's in
        // company time), so a month of many registrations reads as few rows.
        let mut sql = Sql::new(&format!(
            "SELECT c.created_by AS person, substr(c.created_at, 1, 13) AS hour, COUNT(*) AS n, {CARD} FROM customers c WHERE"
        ));
        push_scope_on(&mut sql, viewer, "c", "created_by");
        sql.push(" AND c.deleted_at IS NULL");
        push_range(&mut sql, "c.created_at", period);
        push_filters(&mut sql, viewer.org_id, filter, "c.created_by");
        sql.push(&format!(
            " GROUP BY c.created_by, substr(c.created_at, 1, 13), {}",
            CARD_GROUP
        ));
        let rows: Vec<RegistrationRow> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &columns(&["person", "hour", "n"]),
            )
            .await?;
        for mut r in rows {
            let card = r.card();
            facts.push(Fact {
                kind: FactKind::NewCustomers(u32::try_from(r.n).unwrap_or(u32::MAX)),
                person: r.person,
                customer_id: 0,
                card: Arc::new(Cards::build(card)),
                month: crate::local_month(&format!("{}:00:00Z", r.hour))?,
                product: None,
                category: None,
            });
        }

        let mut sql = Sql::new(&format!(
            "SELECT a.user_id AS person, a.customer_id AS cid, a.occurred_at AS at, {CARD} \
             FROM activities a JOIN customers c ON c.id = a.customer_id AND c.org_id = a.org_id WHERE"
        ));
        push_scope_on(&mut sql, viewer, "a", "user_id");
        sql.push(" AND a.kind = 'visit'");
        push_range(&mut sql, "a.occurred_at", period);
        push_filters(&mut sql, viewer.org_id, filter, "a.user_id");
        let rows: Vec<VisitRow> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &columns(&["person", "cid", "at"]),
            )
            .await?;
        for mut r in rows {
            let card = r.card();
            let VisitRow {
                person, cid, at, ..
            } = r;
            facts.push(Fact {
                kind: FactKind::Visit,
                person,
                customer_id: cid,
                card: cards.get(cid, card),
                month: crate::local_month(&at)?,
                product: None,
                category: None,
            });
        }

        self.label(viewer, period, by, products, |team_of| {
            group(&facts, by, team_of)
        })
        .await
    }

    /// Groups with the people's teams (`grouping`) and names the rows.
    async fn label(
        &self,
        viewer: &Viewer,
        period: Period,
        by: Dimension,
        products: BTreeMap<i64, String>,
        grouping: impl FnOnce(
            &dyn Fn(i64) -> Option<i64>,
        ) -> (Vec<yingpan_domain::statistics::Row>, Figures),
    ) -> Result<StatisticsReport> {
        let users = self.users(viewer.org_id).await?;
        let line = ReportingLine::new(users.iter().map(|u| (u.id, u.superior_id)));
        let roles: HashMap<i64, (Role, String)> = users
            .into_iter()
            .map(|u| (u.id, (u.role, u.display_name)))
            .collect();
        // A person's team is their nearest superior who is a supervisor (a supervisor's own
        // figures count to their own team).
        let team_of = |person: i64| {
            line.first_up(person, |p| {
                matches!(roles.get(&p), Some((Role::Supervisor, _)))
            })
        };
        let (rows, total) = grouping(&team_of);
        let name = |id: &str| {
            id.parse::<i64>()
                .ok()
                .and_then(|id| roles.get(&id))
                .map(|(_, n)| n.clone())
        };
        let rows = rows
            .into_iter()
            .map(|r| StatisticsRow {
                label: match by {
                    Dimension::Owner | Dimension::Team => name(&r.key).unwrap_or_default(),
                    Dimension::Product => r
                        .key
                        .parse::<i64>()
                        .ok()
                        .and_then(|id| products.get(&id).cloned())
                        .unwrap_or_default(),
                    _ => r.key.clone(),
                },
                key: r.key,
                figures: r.figures,
            })
            .collect();
        Ok(StatisticsReport {
            period,
            group_by: by,
            rows,
            total,
        })
    }
}
