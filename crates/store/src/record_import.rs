//! Contacts and follow-ups imported from another system (`domain::record_import`): each row's
//! customer is found by name within the importer's scope, a known external id updates its
//! record instead of adding one, all in one transaction — all or nothing, or skipping the rows
//! that cannot be imported — or checked without writing anything (a dry run).

use crate::audit::Audit;
use crate::sql::{push_scope, Sql};
use crate::{ImportOptions, Result, Store, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use yingpan_domain::audit::diff;
use yingpan_domain::import::Rejected;
use yingpan_domain::record_import::{ActivityRow, ContactRow, ExternalId, OrderRows};

/// What an import of contacts or follow-ups did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RecordOutcome {
    pub created: usize,
    /// Rows whose external id was known and whose record changed.
    pub updated: usize,
    /// Rows whose external id was known and whose record was already so.
    pub unchanged: usize,
    pub rejected: Vec<Rejected>,
    pub aborted: bool,
    pub dry_run: bool,
}

fn refused(line: usize, field: &str, code: &str, message: &str) -> Rejected {
    Rejected {
        line,
        field: Some(field.into()),
        code: code.into(),
        message: message.into(),
        same_as: None,
        duplicate_of: None,
    }
}

/// Finds customers by name within the viewer's scope, once per name: exactly one, or why not.
struct Customers<'v> {
    viewer: &'v Viewer,
    seen: HashMap<String, std::result::Result<i64, &'static str>>,
}

impl<'v> Customers<'v> {
    fn new(viewer: &'v Viewer) -> Self {
        Self {
            viewer,
            seen: HashMap::new(),
        }
    }

    async fn find(
        &mut self,
        tx: &mut Transaction<'_, Any>,
        name: &str,
    ) -> Result<std::result::Result<i64, &'static str>> {
        if let Some(found) = self.seen.get(name) {
            return Ok(*found);
        }
        let mut sql = Sql::new("SELECT c.id FROM customers c WHERE");
        push_scope(&mut sql, self.viewer, "c");
        sql.push(" AND c.deleted_at IS NULL AND c.name = ")
            .bind(name.to_string())
            .push(" ORDER BY c.id LIMIT 2");
        let ids: Vec<i64> = sql
            .query()
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
        let found = match ids.as_slice() {
            [one] => Ok(*one),
            [] => Err("unknown_customer"),
            _ => Err("ambiguous_customer"),
        };
        self.seen.insert(name.to_string(), found);
        Ok(found)
    }
}

fn customer_refusal(line: usize, code: &'static str) -> Rejected {
    let message = if code == "ambiguous_customer" {
        "more than one customer you can see has this name"
    } else {
        "no customer you can see has this name"
    };
    refused(line, "customer", code, message)
}

/// What becomes of a row whose record may already exist.
enum Plan<T> {
    Create(i64, T),
    Update(i64, T),
    Unchanged,
}

impl Store {
    /// Imports contacts: each to the customer its row names; a known external id updates that
    /// contact (on the audit trail) or leaves it as it is.
    pub async fn import_contacts(
        &self,
        viewer: &Viewer,
        rows: Vec<ContactRow>,
        mut rejected: Vec<Rejected>,
        options: ImportOptions,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome> {
        let mut tx = self.write.begin().await?;
        let mut customers = Customers::new(viewer);
        let mut plans = Vec::new();
        for row in rows {
            let customer = match customers.find(&mut tx, &row.customer).await? {
                Ok(id) => id,
                Err(code) => {
                    rejected.push(customer_refusal(row.line, code));
                    continue;
                }
            };
            let existing = match &row.external_id {
                Some(id) => existing_contact(&mut tx, viewer, id).await?,
                None => None,
            };
            let plan = match existing {
                None => Plan::Create(customer, row),
                Some(Err(())) => {
                    rejected.push(refused(
                        row.line,
                        "external_id",
                        "external_id_taken",
                        "this external id belongs to a contact of another customer",
                    ));
                    continue;
                }
                Some(Ok(current)) if current.customer_id != customer => {
                    rejected.push(refused(
                        row.line,
                        "external_id",
                        "external_id_taken",
                        "this external id belongs to a contact of another customer",
                    ));
                    continue;
                }
                Some(Ok(current)) => {
                    let wanted = crate::contact::fields_snapshot(&row.contact);
                    if current.snapshot() == wanted {
                        Plan::Unchanged
                    } else {
                        Plan::Update(current.id, row)
                    }
                }
            };
            plans.push(plan);
        }
        rejected.sort_by_key(|r| r.line);
        let mut outcome = tally(&plans, rejected, options);
        if outcome.aborted || options.dry_run {
            tx.rollback().await?;
            return Ok(outcome);
        }
        for plan in plans {
            match plan {
                Plan::Create(customer, row) => {
                    let c = crate::contact::insert_contact(
                        &mut tx,
                        viewer,
                        customer,
                        &row.contact,
                        now,
                    )
                    .await?;
                    set_external_id(
                        &mut tx,
                        viewer.org_id,
                        "contacts",
                        c.id,
                        row.external_id.as_ref(),
                    )
                    .await?;
                }
                Plan::Update(id, row) => {
                    crate::contact::rewrite_contact(&mut tx, viewer, id, &row.contact, now).await?;
                }
                Plan::Unchanged => {}
            }
        }
        tx.commit().await?;
        outcome.dry_run = false;
        Ok(outcome)
    }

    /// Imports follow-ups, each by the person its row names (someone in the importer's team;
    /// none: the importer) at its time: the protection clock, the cadence and the visit
    /// figures follow as for one logged now. A known external id updates what was said.
    pub async fn import_activities(
        &self,
        viewer: &Viewer,
        rows: Vec<(ActivityRow, DateTime<Utc>)>,
        mut rejected: Vec<Rejected>,
        options: ImportOptions,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome> {
        let mut tx = self.write.begin().await?;
        let mut customers = Customers::new(viewer);
        let mut team = crate::customer::assignable_people(&mut tx, viewer).await?;
        team.insert(viewer.user_id);
        let people: HashMap<String, i64> =
            sqlx::query("SELECT id, username FROM users WHERE org_id = $1 AND active = 1")
                .bind(viewer.org_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?)))
                .collect::<Result<_>>()?;
        let mut plans = Vec::new();
        for (row, at) in rows {
            let customer = match customers.find(&mut tx, &row.customer).await? {
                Ok(id) => id,
                Err(code) => {
                    rejected.push(customer_refusal(row.line, code));
                    continue;
                }
            };
            let author = match &row.by {
                None => viewer.user_id,
                Some(u) => match people.get(u) {
                    Some(id) if team.contains(id) => *id,
                    Some(_) => {
                        rejected.push(refused(
                            row.line,
                            "by",
                            "invalid_owner",
                            "the person must be in your team",
                        ));
                        continue;
                    }
                    None => {
                        rejected.push(refused(
                            row.line,
                            "by",
                            "unknown_user",
                            "no active person has this username",
                        ));
                        continue;
                    }
                },
            };
            let existing = match &row.external_id {
                Some(id) => existing_activity(&mut tx, viewer, id).await?,
                None => None,
            };
            let plan = match existing {
                None => Plan::Create(customer, (row, at, author)),
                Some((id, cust, said)) => {
                    if cust != customer {
                        rejected.push(refused(
                            row.line,
                            "external_id",
                            "external_id_taken",
                            "this external id belongs to a follow-up of another customer",
                        ));
                        continue;
                    }
                    let wanted = (
                        row.summary.clone(),
                        row.outcome.clone(),
                        row.next_step.clone(),
                        row.location.clone(),
                    );
                    if said == wanted {
                        Plan::Unchanged
                    } else {
                        Plan::Update(id, (row, at, author))
                    }
                }
            };
            plans.push(plan);
        }
        rejected.sort_by_key(|r| r.line);
        let mut outcome = tally(&plans, rejected, options);
        if outcome.aborted || options.dry_run {
            tx.rollback().await?;
            return Ok(outcome);
        }
        for plan in plans {
            match plan {
                Plan::Create(customer, (row, at, author)) => {
                    let kind = crate::ActivityKind::parse(row.kind)?;
                    let details = crate::ActivityDetails {
                        outcome: row.outcome.clone(),
                        next_step: row.next_step.clone(),
                        location: row.location.clone(),
                        author: Some(author),
                        external_id: row.external_id.as_ref().map(|e| e.as_str().to_string()),
                        ..Default::default()
                    };
                    crate::activity::insert_activity(
                        &mut tx,
                        viewer,
                        customer,
                        kind,
                        &row.summary,
                        &details,
                        at,
                    )
                    .await?;
                }
                Plan::Update(id, (row, _, _)) => {
                    // What was said may be corrected; who, when and how stay as recorded, as
                    // the figures counted them.
                    sqlx::query(
                        "UPDATE activities SET summary = $1, outcome = $2, next_step = $3, location = $4 \
                         WHERE org_id = $5 AND id = $6",
                    )
                    .bind(&row.summary)
                    .bind(&row.outcome)
                    .bind(&row.next_step)
                    .bind(&row.location)
                    .bind(viewer.org_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                Plan::Unchanged => {}
            }
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "activities_import",
                viewer.user_id,
                "import",
                &diff(
                    &[],
                    &[
                        ("created", Some(outcome.created.to_string())),
                        ("updated", Some(outcome.updated.to_string())),
                    ],
                ),
            )
            .await?;
        tx.commit().await?;
        outcome.dry_run = false;
        Ok(outcome)
    }
}

/// An order ready to be written.
struct NewOrder {
    order_no: ExternalId,
    customer: i64,
    owner: i64,
    lines: Vec<(yingpan_domain::order::OrderLine, String, String, String)>,
    total: rust_decimal::Decimal,
    due: chrono::NaiveDate,
    paid: Option<rust_decimal::Decimal>,
    placed: DateTime<Utc>,
}

impl Store {
    /// Imports orders from another system: each to the customer its rows name (within the
    /// importer's scope, owned by someone: the order is the owner's, as one placed today
    /// would be), each line priced from the price list by the product's code unless the row
    /// gives its price, placed at its own time (the figures count it then), and what was
    /// already paid recorded as one payment at that time. An order number already imported
    /// leaves that order as it is.
    pub async fn import_orders(
        &self,
        viewer: &Viewer,
        orders: Vec<(OrderRows, DateTime<Utc>)>,
        mut rejected: Vec<Rejected>,
        options: ImportOptions,
        now: DateTime<Utc>,
    ) -> Result<RecordOutcome> {
        use yingpan_domain::order::{checked_total, OrderLine};
        let mut tx = self.write.begin().await?;
        let mut customers = Customers::new(viewer);
        let products: HashMap<String, (i64, String, String, String, rust_decimal::Decimal)> =
            sqlx::query(
                "SELECT id, code, name, unit, currency, price FROM products WHERE org_id = $1 AND active = 1",
            )
            .bind(viewer.org_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("code")?,
                    (
                        r.try_get("id")?,
                        r.try_get("name")?,
                        r.try_get("unit")?,
                        r.try_get("currency")?,
                        crate::decimal(&r.try_get::<String, _>("price")?)?,
                    ),
                ))
            })
            .collect::<Result<_>>()?;
        let mut plans: Vec<Plan<NewOrder>> = Vec::new();
        for (order, placed) in orders {
            let first = order.lines[0];
            // One refusal for the order, on `line`; its other lines go with it.
            let mut refuse = |line: usize, field: &str, code: &str, message: &str| {
                rejected.push(refused(line, field, code, message));
                for l in order.lines.iter().filter(|l| **l != line) {
                    rejected.push(Rejected {
                        same_as: Some(line),
                        ..refused(
                            *l,
                            "order_no",
                            "order_incomplete",
                            &format!("line {line} of the same order was rejected"),
                        )
                    });
                }
            };
            let customer = match customers.find(&mut tx, &order.customer).await? {
                Ok(id) => id,
                Err(code) => {
                    let r = customer_refusal(first, code);
                    refuse(first, "customer", code, &r.message);
                    continue;
                }
            };
            let known: Option<(i64, i64)> = sqlx::query(
                "SELECT id, customer_id FROM orders WHERE org_id = $1 AND external_id = $2",
            )
            .bind(viewer.org_id)
            .bind(order.order_no.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| Ok::<_, crate::StoreError>((r.try_get(0)?, r.try_get(1)?)))
            .transpose()?;
            if let Some((_, of)) = known {
                if of == customer {
                    plans.push(Plan::Unchanged);
                } else {
                    refuse(
                        first,
                        "order_no",
                        "external_id_taken",
                        "this order number belongs to an order of another customer",
                    );
                }
                continue;
            }
            let owner: Option<i64> =
                sqlx::query("SELECT owner_id FROM customers WHERE org_id = $1 AND id = $2")
                    .bind(viewer.org_id)
                    .bind(customer)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get(0)?;
            let Some(owner) = owner else {
                refuse(
                    first,
                    "customer",
                    "customer_in_pool",
                    "the customer is in the pool: claim it before importing its orders",
                );
                continue;
            };
            let mut lines = Vec::new();
            let mut bad_item = None;
            for item in &order.items {
                match products.get(&item.product) {
                    None => {
                        bad_item = Some((
                            item.line,
                            "product",
                            "unknown_product",
                            "no active product in the price list has this code",
                        ));
                        break;
                    }
                    Some((id, name, unit, currency, price)) => {
                        if lines
                            .first()
                            .is_some_and(|l: &(OrderLine, String, String, String)| &l.3 != currency)
                        {
                            bad_item = Some((
                                item.line,
                                "product",
                                "mixed_currency",
                                "all lines of an order must be in one currency",
                            ));
                            break;
                        }
                        lines.push((
                            OrderLine {
                                product_id: *id,
                                quantity: item.quantity,
                                unit_price: item.unit_price.unwrap_or(*price),
                            },
                            name.clone(),
                            unit.clone(),
                            currency.clone(),
                        ));
                    }
                }
            }
            if let Some((line, field, code, message)) = bad_item {
                refuse(line, field, code, message);
                continue;
            }
            let order_lines: Vec<OrderLine> = lines.iter().map(|l| l.0.clone()).collect();
            let total = match checked_total(&order_lines) {
                Ok(t) => t,
                Err(e) => {
                    refuse(first, "quantity", e.code, &e.message);
                    continue;
                }
            };
            if order.paid.is_some_and(|p| p > total) {
                refuse(
                    first,
                    "paid",
                    "out_of_range",
                    "cannot be more than the order's total",
                );
                continue;
            }
            let local_day = placed
                .with_timezone(&yingpan_domain::visit_plan::china_offset())
                .date_naive();
            plans.push(Plan::Create(
                customer,
                NewOrder {
                    due: order.due_date.unwrap_or(
                        local_day
                            + chrono::Duration::days(yingpan_domain::order::DEFAULT_PAYMENT_DAYS),
                    ),
                    order_no: order.order_no,
                    customer,
                    owner,
                    lines,
                    total,
                    paid: order.paid,
                    placed,
                },
            ));
        }
        rejected.sort_by_key(|r| r.line);
        let mut outcome = tally(&plans, rejected, options);
        if outcome.aborted || options.dry_run {
            tx.rollback().await?;
            return Ok(outcome);
        }
        for plan in plans {
            let Plan::Create(_, o) = plan else { continue };
            let id = crate::order::insert_order_placed(
                &mut tx,
                viewer,
                o.owner,
                o.customer,
                &o.lines,
                o.due,
                o.placed,
                now,
                vec![yingpan_domain::audit::FieldChange {
                    field: "external_id".into(),
                    before: None,
                    after: Some(o.order_no.as_str().to_string()),
                }],
            )
            .await?;
            set_external_id(&mut tx, viewer.org_id, "orders", id, Some(&o.order_no)).await?;
            if let Some(paid) = o.paid {
                crate::order::insert_imported_payment(
                    &mut tx,
                    viewer,
                    id,
                    o.owner,
                    &o.lines[0].3,
                    o.total,
                    paid,
                    o.placed,
                    now,
                )
                .await?;
            }
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "orders_import",
                viewer.user_id,
                "import",
                &diff(&[], &[("created", Some(outcome.created.to_string()))]),
            )
            .await?;
        tx.commit().await?;
        outcome.dry_run = false;
        Ok(outcome)
    }
}

fn tally<T>(plans: &[Plan<T>], rejected: Vec<Rejected>, options: ImportOptions) -> RecordOutcome {
    let mut o = RecordOutcome {
        aborted: !options.skip_rejected && !rejected.is_empty(),
        dry_run: options.dry_run,
        rejected,
        ..RecordOutcome::default()
    };
    for p in plans {
        match p {
            Plan::Create(..) => o.created += 1,
            Plan::Update(..) => o.updated += 1,
            Plan::Unchanged => o.unchanged += 1,
        }
    }
    if o.aborted {
        (o.created, o.updated, o.unchanged) = (0, 0, 0);
    }
    o
}

async fn set_external_id(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    table: &str,
    id: i64,
    external: Option<&ExternalId>,
) -> Result<()> {
    if let Some(e) = external {
        sqlx::query(&format!(
            "UPDATE {table} SET external_id = $1 WHERE org_id = $3 AND id = $2"
        ))
        .bind(e.as_str())
        .bind(id)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The live contact with this external id: within the viewer's scope, or `Err` when someone
/// else's.
async fn existing_contact(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    external: &ExternalId,
) -> Result<Option<std::result::Result<crate::Contact, ()>>> {
    let id: Option<i64> = sqlx::query(
        "SELECT id FROM contacts WHERE org_id = $1 AND external_id = $2 AND deleted_at IS NULL",
    )
    .bind(viewer.org_id)
    .bind(external.as_str())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get(0))
    .transpose()?;
    let Some(id) = id else { return Ok(None) };
    match crate::contact::load_contact(tx, viewer, id).await {
        Ok(c) => Ok(Some(Ok(c))),
        Err(crate::StoreError::NotFound) => Ok(Some(Err(()))),
        Err(e) => Err(e),
    }
}

/// The follow-up with this external id: (id, customer, what was said).
#[allow(clippy::type_complexity)]
async fn existing_activity(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    external: &ExternalId,
) -> Result<
    Option<(
        i64,
        i64,
        (String, Option<String>, Option<String>, Option<String>),
    )>,
> {
    let row = sqlx::query(
        "SELECT id, customer_id, summary, outcome, next_step, location FROM activities WHERE org_id = $1 AND external_id = $2",
    )
    .bind(viewer.org_id)
    .bind(external.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("customer_id")?,
            (
                r.try_get("summary")?,
                r.try_get("outcome")?,
                r.try_get("next_step")?,
                r.try_get("location")?,
            ),
        ))
    })
    .transpose()
}
