//! Quotations (`domain::quotation`): reached by their salesperson and everyone whose scope
//! holds them; each submission is a version that never changes; accepting one writes the
//! order in the same transaction, at the quoted prices.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope_on, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::order::OrderLine;
use yingpan_domain::quotation::{
    check_edit, max_discount, needs_approval, next_status, total, QuotationSettings, QuoteLine,
    Status, Step,
};
use yingpan_domain::Refusal;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quotation {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    pub current_version: i64,
    pub status: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: String,
    pub valid_until: String,
    pub order_id: Option<i64>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuotationVersion {
    pub number: i64,
    pub lines: Vec<QuoteLine>,
    pub valid_until: String,
    pub terms: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub max_discount: Decimal,
    pub approver_name: Option<String>,
    pub approved_at: Option<String>,
    pub note: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuotationDetail {
    pub quotation: Quotation,
    pub shown: QuotationVersion,
    /// Every version's number and total, the first first.
    pub versions: Vec<(i64, String)>,
    /// The company's limit, and whether the shown version goes over it.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount_limit: Decimal,
    pub over_limit: bool,
}

const COLUMNS: &str = "q.id, q.customer_id, c.name AS customer_name, q.owner_id, u.display_name AS owner_name, \
    q.current_version, q.status, q.total, q.currency, q.valid_until, q.order_id, q.version, q.created_at, q.updated_at";
const FROM: &str =
    " FROM quotations q JOIN customers c ON c.id = q.customer_id AND c.org_id = q.org_id \
    LEFT JOIN users u ON u.id = q.owner_id AND u.org_id = q.org_id WHERE";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("quotation {what}: {e}"))
}

fn decimal(r: &AnyRow, column: &str) -> Result<Decimal> {
    r.try_get::<String, _>(column)?
        .parse()
        .map_err(|e| corrupt(column, e))
}

fn from_row(r: &AnyRow) -> Result<Quotation> {
    Ok(Quotation {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        current_version: r.try_get("current_version")?,
        status: r.try_get("status")?,
        total: decimal(r, "total")?,
        currency: r.try_get("currency")?,
        valid_until: r.try_get("valid_until")?,
        order_id: r.try_get("order_id")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

async fn load(conn: &mut sqlx::AnyConnection, viewer: &Viewer, id: i64) -> Result<Quotation> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
    push_scope_on(&mut sql, viewer, "q", "owner_id");
    sql.push(" AND q.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

async fn load_version(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    id: i64,
    number: i64,
) -> Result<QuotationVersion> {
    let r = sqlx::query(
        "SELECT v.number, v.lines, v.valid_until, v.terms, v.total, v.max_discount, u.display_name AS approver_name, \
         v.approved_at, v.note, v.created_at FROM quotation_versions v LEFT JOIN users u ON u.id = v.approver_id AND u.org_id = v.org_id \
         WHERE v.org_id = $1 AND v.quotation_id = $2 AND v.number = $3",
    )
    .bind(org_id)
    .bind(id)
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let lines: String = r.try_get("lines")?;
    Ok(QuotationVersion {
        number: r.try_get("number")?,
        lines: serde_json::from_str(&lines).map_err(|e| corrupt("lines", e))?,
        valid_until: r.try_get("valid_until")?,
        terms: r.try_get("terms")?,
        total: decimal(&r, "total")?,
        max_discount: decimal(&r, "max_discount")?,
        approver_name: r.try_get("approver_name")?,
        approved_at: r.try_get("approved_at")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// What a version says, as the caller checked it.
pub struct QuotationFields<'a> {
    pub lines: &'a [QuoteLine],
    pub valid_until: NaiveDate,
    pub terms: &'a str,
}

async fn write_version(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    id: i64,
    number: i64,
    f: &QuotationFields<'_>,
    at: &str,
    insert: bool,
) -> Result<()> {
    let sql = if insert {
        "INSERT INTO quotation_versions (lines, valid_until, terms, total, max_discount, updated_at, created_at, org_id, quotation_id, number) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)"
    } else {
        "UPDATE quotation_versions SET lines = $1, valid_until = $2, terms = $3, total = $4, max_discount = $5, updated_at = $6 \
         WHERE org_id = $7 AND quotation_id = $8 AND number = $9"
    };
    sqlx::query(sql)
        .bind(serde_json::to_string(f.lines).expect("lines serialise"))
        .bind(f.valid_until.to_string())
        .bind(f.terms)
        .bind(total(f.lines).normalize().to_string())
        .bind(max_discount(f.lines).normalize().to_string())
        .bind(at)
        .bind(org_id)
        .bind(id)
        .bind(number)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE quotations SET total = $1, currency = $2, valid_until = $3 WHERE org_id = $4 AND id = $5",
    )
    .bind(total(f.lines).normalize().to_string())
    .bind(f.lines.first().map(|l| l.currency.as_str()).unwrap_or("CNY"))
    .bind(f.valid_until.to_string())
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn touch(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    q: &Quotation,
    current: i64,
    status: Status,
    order_id: Option<i64>,
    at: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE quotations SET current_version = $1, status = $2, order_id = COALESCE($3, order_id), version = version + 1, \
         updated_at = $4 WHERE org_id = $7 AND id = $5 AND version = $6",
    )
    .bind(current)
    .bind(status.as_str())
    .bind(order_id)
    .bind(at)
    .bind(q.id)
    .bind(q.version)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::VersionConflict {
            current: q.version + 1,
        });
    }
    Ok(())
}

fn change(field: &str, before: Option<String>, after: Option<String>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before,
        after,
    }
}

fn summary(lines: &[QuoteLine]) -> String {
    lines
        .iter()
        .map(|l| {
            format!(
                "{} × {} @ {} (-{}%)",
                l.product_name,
                l.quantity.normalize(),
                l.list_price.normalize(),
                l.discount_percent.normalize()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Store {
    /// A new quotation (version 1, a draft) by the viewer for a customer within their scope.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_quotation(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        f: &QuotationFields<'_>,
        now: DateTime<Utc>,
    ) -> Result<QuotationDetail> {
        let mut tx = self.write.begin().await?;
        let customer = load_customer(&mut tx, viewer, customer_id, false).await?;
        let at = ts(now);
        let id: i64 = sqlx::query(
            "INSERT INTO quotations (org_id, customer_id, owner_id, current_version, status, total, currency, valid_until, \
             created_at, updated_at) VALUES ($1, $2, $3, 1, 'draft', '0', 'CNY', $4, $5, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(viewer.user_id)
        .bind(f.valid_until.to_string())
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        write_version(&mut tx, viewer.org_id, id, 1, f, &at, true).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "quotation",
                id,
                "create",
                &[
                    change("customer", None, Some(customer.name.clone())),
                    change("lines", None, Some(summary(f.lines))),
                ],
            )
            .await?;
        tx.commit().await?;
        self.quotation(viewer, id, None).await
    }

    /// A quotation with one of its versions (the current by default).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn quotation(
        &self,
        viewer: &Viewer,
        id: i64,
        number: Option<i64>,
    ) -> Result<QuotationDetail> {
        let mut conn = self.read.acquire().await?;
        let q = load(&mut conn, viewer, id).await?;
        let shown = load_version(
            &mut conn,
            viewer.org_id,
            id,
            number.unwrap_or(q.current_version),
        )
        .await?;
        let versions = sqlx::query(
            "SELECT number, total FROM quotation_versions WHERE org_id = $1 AND quotation_id = $2 ORDER BY number",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("number")?, r.try_get("total")?)))
        .collect::<Result<_>>()?;
        let settings = crate::setting::read::<QuotationSettings>(&mut *conn, viewer.org_id).await?;
        Ok(QuotationDetail {
            over_limit: shown.max_discount > settings.discount_limit,
            discount_limit: settings.discount_limit,
            quotation: q,
            shown,
            versions,
        })
    }

    /// Quotations within the viewer's scope, the latest changed first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn quotations(
        &self,
        viewer: &Viewer,
        customer_id: Option<i64>,
        status: Option<Status>,
        limit: i64,
    ) -> Result<(Vec<Quotation>, i64)> {
        let build = |select: &str| {
            let mut sql = Sql::new(select);
            push_scope_on(&mut sql, viewer, "q", "owner_id");
            if let Some(c) = customer_id {
                sql.push(" AND q.customer_id = ").bind(c);
            }
            if let Some(s) = status {
                sql.push(" AND q.status = ").bind(s.as_str());
            }
            sql
        };
        let total: i64 = build("SELECT COUNT(*) FROM quotations q WHERE")
            .query()
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        let mut list = build(&format!("SELECT {COLUMNS}{FROM}"));
        list.push(" ORDER BY q.updated_at DESC, q.id DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        let rows = list.query().fetch_all(&self.read).await?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Changes the current version while it is a draft (its salesperson only).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn save_quotation(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        f: &QuotationFields<'_>,
        now: DateTime<Utc>,
    ) -> Result<QuotationDetail> {
        let mut tx = self.write.begin().await?;
        let q = load(&mut tx, viewer, id).await?;
        if q.version != expected_version {
            return Err(StoreError::VersionConflict { current: q.version });
        }
        check_edit(viewer.user_id, q.owner_id, Status::parse(&q.status)?).map_err(Refusal::from)?;
        let before = load_version(&mut tx, viewer.org_id, id, q.current_version).await?;
        let at = ts(now);
        write_version(&mut tx, viewer.org_id, id, q.current_version, f, &at, false).await?;
        touch(
            &mut tx,
            viewer.org_id,
            &q,
            q.current_version,
            Status::Draft,
            None,
            &at,
        )
        .await?;
        let mut changes = Vec::new();
        if before.lines != f.lines {
            changes.push(change(
                "lines",
                Some(summary(&before.lines)),
                Some(summary(f.lines)),
            ));
        }
        if before.valid_until != f.valid_until.to_string() {
            changes.push(change(
                "valid_until",
                Some(before.valid_until),
                Some(f.valid_until.to_string()),
            ));
        }
        if before.terms != f.terms {
            changes.push(change(
                "terms",
                Some(before.terms),
                Some(f.terms.to_string()),
            ));
        }
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "quotation", id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        self.quotation(viewer, id, None).await
    }

    /// A step on the current version (`domain::quotation::next_status` decides who and when).
    /// `accept` writes the order at the quoted prices, due on `due_date`, in the same
    /// transaction; `revise` copies the version into a new draft.
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn quotation_step(
        &self,
        viewer: &Viewer,
        id: i64,
        step: Step,
        note: &str,
        due_date: NaiveDate,
        expected_version: i64,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<QuotationDetail> {
        let mut tx = self.write.begin().await?;
        let q = load(&mut tx, viewer, id).await?;
        if q.version != expected_version {
            return Err(StoreError::VersionConflict { current: q.version });
        }
        let current = load_version(&mut tx, viewer.org_id, id, q.current_version).await?;
        let settings = crate::setting::read::<QuotationSettings>(&mut *tx, viewer.org_id).await?;
        let superior: Option<i64> =
            sqlx::query("SELECT superior_id FROM users WHERE org_id = $1 AND id = $2")
                .bind(viewer.org_id)
                .bind(q.owner_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let from = Status::parse(&q.status)?;
        let expired = crate::parse_day(&current.valid_until)? < today;
        let to = next_status(
            from,
            step,
            viewer.user_id,
            q.owner_id,
            superior,
            needs_approval(&current.lines, settings.discount_limit, superior.is_some()),
            expired,
        )
        .map_err(Refusal::from)?;
        if step == Step::Return && note.trim().is_empty() {
            return Err(yingpan_domain::ValidationError::new(
                "note",
                "required",
                "say what to change",
            )
            .into());
        }
        let at = ts(now);
        let mut number = q.current_version;
        let mut order_id = None;
        match step {
            Step::Approve | Step::Return => {
                sqlx::query(
                    "UPDATE quotation_versions SET approver_id = $1, approved_at = $2, note = $3, updated_at = $2 \
                     WHERE org_id = $4 AND quotation_id = $5 AND number = $6",
                )
                .bind(viewer.user_id)
                .bind(&at)
                .bind(note.trim())
                .bind(viewer.org_id)
                .bind(id)
                .bind(number)
                .execute(&mut *tx)
                .await?;
            }
            Step::Revise => {
                number += 1;
                let valid_until = crate::parse_day(&current.valid_until)?;
                let f = QuotationFields {
                    lines: &current.lines,
                    valid_until,
                    terms: &current.terms,
                };
                write_version(&mut tx, viewer.org_id, id, number, &f, &at, true).await?;
            }
            Step::Accept => {
                let customer = load_customer(&mut tx, viewer, q.customer_id, false).await?;
                let owner = customer.owner_id.ok_or(StoreError::Rule {
                    code: "customer_in_pool",
                    message: "claim the customer from the pool before taking an order".into(),
                })?;
                let lines: Vec<(OrderLine, String, String, String)> = current
                    .lines
                    .iter()
                    .map(|l| {
                        (
                            OrderLine {
                                product_id: l.product_id,
                                quantity: l.quantity,
                                unit_price: l.unit_price(),
                            },
                            l.product_name.clone(),
                            l.unit.clone(),
                            l.currency.clone(),
                        )
                    })
                    .collect();
                let extra = vec![change(
                    "quotation",
                    None,
                    Some(format!("QT-{id:06} v{number}")),
                )];
                order_id = Some(
                    crate::order::insert_order(
                        &mut tx,
                        viewer,
                        owner,
                        q.customer_id,
                        &lines,
                        due_date,
                        now,
                        extra,
                    )
                    .await?,
                );
            }
            Step::Submit | Step::Send | Step::Decline => {}
        }
        touch(&mut tx, viewer.org_id, &q, number, to, order_id, &at).await?;
        let mut changes = vec![change(
            "status",
            Some(from.as_str().into()),
            Some(to.as_str().into()),
        )];
        if step == Step::Revise {
            changes.push(change(
                "revision",
                Some((number - 1).to_string()),
                Some(number.to_string()),
            ));
        }
        if !note.trim().is_empty() {
            changes.push(change("review_note", None, Some(note.trim().into())));
        }
        Audit::by(viewer, now)
            .record(&mut tx, "quotation", id, "update", &changes)
            .await?;
        tx.commit().await?;
        self.quotation(viewer, id, None).await
    }
}
