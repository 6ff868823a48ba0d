//! Orders: lines priced from the price list, totals that always equal the lines, and deposits,
//! payments and refunds — with "first deposit wins" for unique items.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope, Sql};
use crate::{decimal as dec, ts, Backend, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::order::{
    check_payment, checked_total, commission_right, item_taken, paid, DeliveryStatus, OrderLine,
    PaymentKind,
};
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredLine {
    pub product_id: i64,
    pub product_name: String,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: i64,
    pub kind: PaymentKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub note: Option<String>,
    pub recorded_by: i64,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Order {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub paid: Decimal,
    /// What the customer still owes.
    #[serde(with = "rust_decimal::serde::str")]
    pub receivable: Decimal,
    /// A deposit was paid at some point: the owner's commission right (kept after refunds).
    pub commission_right: bool,
    /// The day the receivable falls due (company time).
    pub due_date: String,
    /// Nothing is owed any more.
    pub settled: bool,
    pub delivery_status: DeliveryStatus,
    pub delivered_at: Option<String>,
    pub lines: Vec<StoredLine>,
    pub payments: Vec<Payment>,
    pub version: i64,
    pub created_at: String,
}

/// Which orders a list shows; scope is always the viewer's.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub customer_id: Option<i64>,
    pub owner_id: Option<i64>,
    /// Placed at or after / before these instants.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only orders with something still owed, oldest due date first.
    pub open_only: bool,
    pub limit: i64,
}

const COLUMNS: &str = "o.id, o.customer_id, c.name AS customer_name, o.owner_id, u.display_name AS owner_name, o.total, \
    o.currency, o.due_date, o.settled, o.delivery_status, o.delivered_at, o.version, o.created_at";
const FROM: &str = "FROM orders o JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id LEFT JOIN users u ON u.id = o.owner_id AND u.org_id = o.org_id WHERE";

/// An order as an export lists it: no lines, no payments.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: i64,
    pub customer_name: String,
    pub owner_name: Option<String>,
    pub total: Decimal,
    pub paid: Decimal,
    pub currency: String,
    pub due_date: String,
    pub delivery_status: String,
    pub created_at: String,
}

fn decimal(r: &AnyRow, column: &str) -> Result<Decimal> {
    r.try_get::<String, _>(column)?
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("order {column}: {e}")))
}

impl Store {
    /// Orders in the viewer's scope after order `after`, by id: an export reads them a page at
    /// a time.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn orders_after(
        &self,
        viewer: &Viewer,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OrderRow>> {
        let mut sql = Sql::new(
            "SELECT o.id, c.name AS customer_name, u.display_name AS owner_name, o.total, o.paid, o.currency, o.due_date, \
             o.delivery_status, o.created_at FROM orders o JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id \
             LEFT JOIN users u ON u.id = o.owner_id AND u.org_id = o.org_id WHERE",
        );
        push_scope(&mut sql, viewer, "o");
        sql.push(" AND o.id > ")
            .bind(after)
            .push(" ORDER BY o.id LIMIT ")
            .bind(limit.clamp(1, 10_000));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(OrderRow {
                    id: r.try_get("id")?,
                    customer_name: r.try_get("customer_name")?,
                    owner_name: r.try_get("owner_name")?,
                    total: decimal(r, "total")?,
                    paid: decimal(r, "paid")?,
                    currency: r.try_get("currency")?,
                    due_date: r.try_get("due_date")?,
                    delivery_status: r.try_get("delivery_status")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}

/// `SQL … WHERE org_id = $1 AND order_id IN ($2, …)` for a batch of orders.
fn for_orders(select: &str, org_id: i64, ids: &[i64]) -> Sql {
    let mut sql = Sql::new(select);
    sql.push(" WHERE org_id = ")
        .bind(org_id)
        .push(" AND order_id IN ")
        .bind_list(ids)
        .push(" ORDER BY id");
    sql
}

/// Completes order rows with their lines and payments: three queries for any number of orders.
async fn details(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    rows: &[AnyRow],
) -> Result<Vec<Order>> {
    let ids = rows
        .iter()
        .map(|r| r.try_get::<i64, _>("id").map_err(Into::into))
        .collect::<Result<Vec<i64>>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut lines: Vec<(i64, StoredLine)> = Vec::new();
    let line_sql = for_orders("SELECT order_id, product_id, product_name, unit, quantity, unit_price, amount FROM order_lines", org_id, &ids);
    for r in line_sql.query().fetch_all(&mut **tx).await? {
        lines.push((
            r.try_get("order_id")?,
            StoredLine {
                product_id: r.try_get("product_id")?,
                product_name: r.try_get("product_name")?,
                unit: r.try_get("unit")?,
                quantity: dec(&r.try_get::<String, _>("quantity")?)?,
                unit_price: dec(&r.try_get::<String, _>("unit_price")?)?,
                amount: dec(&r.try_get::<String, _>("amount")?)?,
            },
        ));
    }
    let mut payments: Vec<(i64, Payment)> = Vec::new();
    let pay_sql = for_orders(
        "SELECT order_id, id, kind, amount, note, recorded_by, recorded_at FROM order_payments",
        org_id,
        &ids,
    );
    for r in pay_sql.query().fetch_all(&mut **tx).await? {
        let kind: String = r.try_get("kind")?;
        payments.push((
            r.try_get("order_id")?,
            Payment {
                id: r.try_get("id")?,
                kind: PaymentKind::parse(&kind).map_err(|_| StoreError::Corrupt(kind.clone()))?,
                amount: dec(&r.try_get::<String, _>("amount")?)?,
                note: r.try_get("note")?,
                recorded_by: r.try_get("recorded_by")?,
                recorded_at: r.try_get("recorded_at")?,
            },
        ));
    }
    rows.iter()
        .zip(ids)
        .map(|(row, id)| {
            let lines: Vec<StoredLine> = lines
                .iter()
                .filter(|(o, _)| *o == id)
                .map(|(_, l)| l.clone())
                .collect();
            let payments: Vec<Payment> = payments
                .iter()
                .filter(|(o, _)| *o == id)
                .map(|(_, p)| p.clone())
                .collect();
            let flows = payments
                .iter()
                .map(|p| (p.kind, p.amount))
                .collect::<Vec<_>>();
            let total_d = dec(&row.try_get::<String, _>("total")?)?;
            let paid_d = paid(&flows);
            Ok(Order {
                id,
                number: format!("SO-{id:06}"),
                customer_id: row.try_get("customer_id")?,
                customer_name: row.try_get("customer_name")?,
                owner_id: row.try_get("owner_id")?,
                owner_name: row.try_get("owner_name")?,
                total: total_d,
                currency: row.try_get("currency")?,
                paid: paid_d.normalize(),
                receivable: total_d.saturating_sub(paid_d).normalize(),
                commission_right: commission_right(&flows),
                due_date: row.try_get("due_date")?,
                settled: row.try_get::<i64, _>("settled")? != 0,
                delivery_status: {
                    let s: String = row.try_get("delivery_status")?;
                    DeliveryStatus::parse(&s).map_err(|_| StoreError::Corrupt(s))?
                },
                delivered_at: row.try_get("delivered_at")?,
                lines,
                payments,
                version: row.try_get("version")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

async fn load(tx: &mut Transaction<'_, Any>, viewer: &Viewer, id: i64) -> Result<Order> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
    push_scope(&mut sql, viewer, "o");
    sql.push(" AND o.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut orders = details(tx, viewer.org_id, std::slice::from_ref(&row)).await?;
    Ok(orders.remove(0))
}

impl Store {
    /// Places an order for a customer the viewer may see; it belongs to the customer's owner.
    /// `lines` carry the product's name and unit as they were when ordered.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_order(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        lines: &[(OrderLine, String, String, String)],
        due_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Order> {
        self.create_order_for(viewer, None, customer_id, lines, due_date, now)
            .await
    }

    /// [`Store::create_order`], or, with `acting_for`, signed for that absent owner by someone
    /// who may cover for them (`attribution::check_act_for`): the order is the owner's.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_order_for(
        &self,
        viewer: &Viewer,
        acting_for: Option<i64>,
        customer_id: i64,
        lines: &[(OrderLine, String, String, String)],
        due_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Order> {
        if lines.is_empty() {
            return Err(ValidationError::new(
                "lines",
                "required",
                "an order needs at least one line",
            )
            .into());
        }
        let currency = &lines[0].3;
        if lines.iter().any(|l| &l.3 != currency) {
            return Err(ValidationError::new(
                "lines",
                "mixed_currency",
                "all lines of an order must be in one currency",
            )
            .into());
        }
        let mut tx = self.write.begin().await?;
        let reach = match acting_for {
            Some(owner) => crate::absence::act_for(&mut tx, viewer, owner, now).await?,
            None => *viewer,
        };
        let customer = load_customer(&mut tx, &reach, customer_id, false).await?;
        if acting_for.is_some_and(|owner| customer.owner_id != Some(owner)) {
            return Err(ValidationError::new(
                "acting_for",
                "not_owner",
                "the customer is not the absent person's",
            )
            .into());
        }
        let Some(owner) = customer.owner_id else {
            return Err(StoreError::rule(
                "customer_in_pool",
                "claim the customer from the pool before taking an order",
            ));
        };
        let mut extra = Vec::new();
        if let Some(owner) = acting_for {
            extra.push(crate::absence::acting_change(&mut tx, viewer.org_id, owner).await?);
        }
        let id = insert_order(
            &mut tx,
            viewer,
            owner,
            customer_id,
            lines,
            due_date,
            now,
            extra,
        )
        .await?;
        let all = Viewer {
            scope: yingpan_domain::person::Scope::All,
            ..*viewer
        };
        let order = load(&mut tx, &all, id).await?;
        tx.commit().await?;
        Ok(order)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn order(&self, viewer: &Viewer, id: i64) -> Result<Order> {
        let mut tx = self.read.begin().await?;
        let o = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(o)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn orders(&self, viewer: &Viewer, filter: &OrderFilter) -> Result<Vec<Order>> {
        let mut tx = self.read.begin().await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
        push_scope(&mut sql, viewer, "o");
        if let Some(c) = filter.customer_id {
            sql.push(" AND o.customer_id = ").bind(c);
        }
        if let Some(u) = filter.owner_id {
            sql.push(" AND o.owner_id = ").bind(u);
        }
        if let Some(from) = filter.from {
            sql.push(" AND o.created_at >= ").bind(ts(from));
        }
        if let Some(to) = filter.to {
            sql.push(" AND o.created_at < ").bind(ts(to));
        }
        if filter.open_only {
            sql.push(" AND o.settled = 0 ORDER BY o.due_date, o.id");
        } else {
            sql.push(" ORDER BY o.id DESC");
        }
        sql.push(" LIMIT ").bind(filter.limit.clamp(1, 1000));
        let rows = sql.query().fetch_all(&mut *tx).await?;
        let out = details(&mut tx, viewer.org_id, &rows).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Records a deposit, payment or refund. A deposit on an order with a unique item is refused
    /// when another order already holds a deposit on that item (first deposit wins).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_payment(
        &self,
        viewer: &Viewer,
        id: i64,
        kind: PaymentKind,
        amount: Decimal,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Order> {
        self.record_payment_for(viewer, None, id, kind, amount, note, now)
            .await
    }

    /// [`Store::record_payment`], or, with `acting_for`, taken for that absent owner: the
    /// money and any commission right stay the owner's.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_payment_for(
        &self,
        viewer: &Viewer,
        acting_for: Option<i64>,
        id: i64,
        kind: PaymentKind,
        amount: Decimal,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Order> {
        let note = yingpan_domain::customer::optional_text("note", note, 500)?;
        let mut tx = self.write.begin().await?;
        if self.backend == Backend::Postgres {
            // Deposits on unique items are decided one at a time per organization.
            sqlx::query("SELECT pg_advisory_xact_lock(3, CAST($1 AS INTEGER))")
                .bind(viewer.org_id)
                .execute(&mut *tx)
                .await?;
        }
        let reach = match acting_for {
            Some(owner) => crate::absence::act_for(&mut tx, viewer, owner, now).await?,
            None => *viewer,
        };
        let order = load(&mut tx, &reach, id).await?;
        if acting_for.is_some_and(|owner| order.owner_id != owner) {
            return Err(ValidationError::new(
                "acting_for",
                "not_owner",
                "the order is not the absent person's",
            )
            .into());
        }
        let flows: Vec<(PaymentKind, Decimal)> =
            order.payments.iter().map(|p| (p.kind, p.amount)).collect();
        check_payment(order.total, &flows, kind, amount)?;
        if kind == PaymentKind::Deposit {
            // The payments of every other order for one of this order's unique items; the
            // domain decides whether one of them holds the item.
            let rows = sqlx::query(
                "SELECT p.order_id, p.kind, p.amount FROM order_payments p WHERE p.org_id = $1 AND p.order_id IN (\
                 SELECT DISTINCT l2.order_id FROM order_lines l JOIN products pr ON pr.id = l.product_id AND pr.org_id = l.org_id AND pr.unique_item = 1 \
                 JOIN order_lines l2 ON l2.org_id = l.org_id AND l2.product_id = l.product_id AND l2.order_id <> l.order_id \
                 WHERE l.org_id = $1 AND l.order_id = $2) ORDER BY p.order_id",
            )
            .bind(viewer.org_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let mut rivals: std::collections::BTreeMap<i64, Vec<(PaymentKind, Decimal)>> =
                Default::default();
            for p in &rows {
                let k: String = p.try_get("kind")?;
                let a: String = p.try_get("amount")?;
                rivals.entry(p.try_get("order_id")?).or_default().push((
                    PaymentKind::parse(&k).map_err(|_| StoreError::Corrupt(k.clone()))?,
                    dec(&a)?,
                ));
            }
            if item_taken(kind, rivals.values().map(Vec::as_slice)) {
                return Err(StoreError::taken(
                    "item_taken",
                    "another customer has already paid a deposit on this unique item",
                ));
            }
        }
        sqlx::query(
            "INSERT INTO order_payments (org_id, order_id, kind, amount, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(viewer.org_id)
        .bind(id)
        .bind(kind.as_str())
        .bind(amount.to_string())
        .bind(note)
        .bind(viewer.user_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        if kind == PaymentKind::Deposit {
            // Rule 7: the right to the commission arises with the first deposit, for the owner
            // of the order then; nothing later (a refund, a new owner) takes it away.
            sqlx::query(
                "UPDATE orders SET commission_owner_id = owner_id, commission_at = $1 WHERE org_id = $3 AND id = $2 AND commission_at IS NULL",
            )
            .bind(ts(now))
            .bind(id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        }
        let mut touched = crate::rollup::Touched::default();
        if order.currency == yingpan_domain::weekly_report::REPORTING_CURRENCY {
            touched.collected(order.owner_id, &ts(now), kind.signed(amount))?;
        }
        crate::rollup::refresh(&mut tx, viewer.org_id, touched).await?;
        let mut flows = flows;
        flows.push((kind, amount));
        let paid_now = paid(&flows);
        sqlx::query("UPDATE orders SET paid = $1, settled = $2, version = version + 1, updated_at = $3 WHERE org_id = $5 AND id = $4")
            .bind(paid_now.normalize().to_string())
            .bind(i64::from(paid_now >= order.total))
            .bind(ts(now))
            .bind(id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let mut changes = vec![FieldChange {
            field: kind.as_str().into(),
            before: None,
            after: Some(amount.to_string()),
        }];
        if let Some(owner) = acting_for {
            changes.push(crate::absence::acting_change(&mut tx, viewer.org_id, owner).await?);
        }
        Audit::by(viewer, now)
            .record(&mut tx, "order", id, "payment", &changes)
            .await?;
        crate::webhook::emit(
            &mut tx,
            viewer.org_id,
            yingpan_domain::webhook::Event::PaymentReceived,
            Some(order.owner_id),
            Some(order.customer_id),
            serde_json::json!({"order_id": id, "kind": kind.as_str(), "amount": amount.to_string(),
                "currency": order.currency, "paid": paid_now.normalize().to_string(), "total": order.total.normalize().to_string()}),
            now,
        )
        .await?;
        let order = load(&mut tx, &reach, id).await?;
        tx.commit().await?;
        Ok(order)
    }

    /// Delivery tracking by the clerk or the order's salesperson; a stale version is refused.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_delivery_status(
        &self,
        viewer: &Viewer,
        id: i64,
        status: DeliveryStatus,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Order> {
        let mut tx = self.write.begin().await?;
        let order = load(&mut tx, viewer, id).await?;
        if expected_version.is_some_and(|v| v != order.version) {
            return Err(StoreError::VersionConflict {
                current: order.version,
            });
        }
        if order.delivery_status == status {
            tx.commit().await?;
            return Ok(order);
        }
        let delivered_at = match status {
            DeliveryStatus::Delivered => Some(ts(now)),
            _ => None,
        };
        sqlx::query("UPDATE orders SET delivery_status = $1, delivered_at = $2, version = version + 1, updated_at = $3 WHERE org_id = $6 AND id = $4 AND version = $5")
            .bind(status.as_str())
            .bind(delivered_at)
            .bind(ts(now))
            .bind(id)
            .bind(order.version)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let changes = vec![FieldChange {
            field: "delivery_status".into(),
            before: Some(order.delivery_status.as_str().into()),
            after: Some(status.as_str().into()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "order", id, "update", &changes)
            .await?;
        if status == DeliveryStatus::Delivered {
            crate::service::schedule_return_visit(
                &mut tx,
                viewer.org_id,
                order.customer_id,
                yingpan_domain::service::VisitSource::Order,
                id,
                now,
            )
            .await?;
        }
        let order = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(order)
    }
}

/// Money received on an imported order before it was imported: one payment at the order's
/// time (no deposit, so no commission right arises), counted in the figures then.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_imported_payment(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
    owner: i64,
    currency: &str,
    total: Decimal,
    amount: Decimal,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_payments (org_id, order_id, kind, amount, note, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(viewer.org_id)
    .bind(id)
    .bind(PaymentKind::Payment.as_str())
    .bind(amount.to_string())
    .bind("导入 / imported")
    .bind(viewer.user_id)
    .bind(ts(at))
    .execute(&mut **tx)
    .await?;
    let mut touched = crate::rollup::Touched::default();
    if currency == yingpan_domain::weekly_report::REPORTING_CURRENCY {
        touched.collected(owner, &ts(at), amount)?;
    }
    crate::rollup::refresh(tx, viewer.org_id, touched).await?;
    sqlx::query("UPDATE orders SET paid = $1, settled = $2, version = version + 1 WHERE org_id = $4 AND id = $3")
        .bind(amount.normalize().to_string())
        .bind(i64::from(amount >= total))
        .bind(id)
        .bind(viewer.org_id)
        .execute(&mut **tx)
        .await?;
    Audit::by(viewer, now)
        .record(
            tx,
            "order",
            id,
            "payment",
            &[FieldChange {
                field: PaymentKind::Payment.as_str().into(),
                before: None,
                after: Some(amount.to_string()),
            }],
        )
        .await?;
    Ok(())
}

/// Writes an order with its lines, audit and rollups in `tx`: the customer's `owner` owns it.
/// The caller has checked the lines (one currency, at least one) and the customer's reach.
/// It was placed `now`, unless imported with its own time (`placed`): the figures count it
/// then, the audit trail says when it was recorded.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_order(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    owner: i64,
    customer_id: i64,
    lines: &[(OrderLine, String, String, String)],
    due_date: NaiveDate,
    now: DateTime<Utc>,
    extra: Vec<FieldChange>,
) -> Result<i64> {
    insert_order_placed(
        tx,
        viewer,
        owner,
        customer_id,
        lines,
        due_date,
        now,
        now,
        extra,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_order_placed(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    owner: i64,
    customer_id: i64,
    lines: &[(OrderLine, String, String, String)],
    due_date: NaiveDate,
    placed: DateTime<Utc>,
    now: DateTime<Utc>,
    extra: Vec<FieldChange>,
) -> Result<i64> {
    let currency = &lines[0].3;
    let order_lines: Vec<OrderLine> = lines.iter().map(|l| l.0.clone()).collect();
    let order_total = checked_total(&order_lines)?;
    let id: i64 = sqlx::query(
            "INSERT INTO orders (org_id, customer_id, owner_id, total, currency, created_by, due_date, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(owner)
        .bind(order_total.normalize().to_string())
        .bind(currency)
        .bind(viewer.user_id)
        .bind(due_date.to_string())
        .bind(ts(placed))
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    for (line, name, unit, _) in lines {
        sqlx::query(
                // The product's cost and category as they are now: a later price-list change
                // does not rewrite the margin of orders already taken.
                "INSERT INTO order_lines (org_id, order_id, product_id, product_name, unit, quantity, unit_price, amount, unit_cost, category) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 (SELECT p.cost FROM products p WHERE p.org_id = $1 AND p.id = $3), \
                 (SELECT p.category FROM products p WHERE p.org_id = $1 AND p.id = $3))",
            )
            .bind(viewer.org_id)
            .bind(id)
            .bind(line.product_id)
            .bind(name)
            .bind(unit)
            .bind(line.quantity.to_string())
            .bind(line.unit_price.to_string())
            .bind(line.amount().normalize().to_string())
            .execute(&mut **tx)
            .await?;
    }
    let mut changes = vec![FieldChange {
        field: "total".into(),
        before: None,
        after: Some(format!("{} {currency}", order_total)),
    }];
    changes.extend(extra);
    Audit::by(viewer, now)
        .record(tx, "order", id, "create", &changes)
        .await?;
    let at = ts(placed);
    let mut touched = crate::rollup::Touched::default();
    touched.add(owner, &at, crate::rollup::Part::Orders)?;
    crate::rollup::order_placed(tx, viewer.org_id, customer_id, &at, &mut touched).await?;
    crate::rollup::refresh(tx, viewer.org_id, touched).await?;
    crate::webhook::emit(
        tx,
        viewer.org_id,
        yingpan_domain::webhook::Event::OrderPlaced,
        Some(owner),
        Some(customer_id),
        serde_json::json!({"order_id": id, "amount": order_total.normalize().to_string(), "currency": currency,
            "due_date": due_date.to_string()}),
        now,
    )
    .await?;
    Ok(id)
}
