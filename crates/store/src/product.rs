//! Products and the price list.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yingpan_domain::audit::{diff, Snapshot};
use yingpan_domain::product::ProductFields;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Product {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: rust_decimal::Decimal,
    pub currency: String,
    pub unique_item: bool,
    pub active: bool,
    /// Unit cost (the base of gross margin); shown only to those who keep the price list.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub cost: Option<rust_decimal::Decimal>,
    pub category: Option<String>,
    pub version: i64,
}

const COLUMNS: &str =
    "id, code, name, unit, price, currency, unique_item, active, cost, category, version";

impl Product {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            unit: r.try_get("unit")?,
            price: crate::decimal(&r.try_get::<String, _>("price")?)?,
            currency: r.try_get("currency")?,
            unique_item: r.try_get::<i64, _>("unique_item")? != 0,
            active: r.try_get::<i64, _>("active")? != 0,
            cost: r
                .try_get::<Option<String>, _>("cost")?
                .map(|c| crate::decimal(&c))
                .transpose()?,
            category: r.try_get("category")?,
            version: r.try_get("version")?,
        })
    }
    fn snapshot(&self) -> Snapshot {
        vec![
            ("code", Some(self.code.clone())),
            ("name", Some(self.name.clone())),
            ("unit", Some(self.unit.clone())),
            ("price", Some(format!("{} {}", self.price, self.currency))),
            ("unique_item", Some(self.unique_item.to_string())),
            ("active", Some(self.active.to_string())),
            ("cost", self.cost.map(|c| format!("{c} {}", self.currency))),
            ("category", self.category.clone()),
        ]
    }
}

impl Store {
    /// The price list; retired products only when asked for.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn products(&self, org_id: i64, include_inactive: bool) -> Result<Vec<Product>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM products WHERE org_id = $1 {} ORDER BY code",
            if include_inactive {
                ""
            } else {
                "AND active = 1"
            }
        );
        let rows = sqlx::query(&sql).bind(org_id).fetch_all(&self.read).await?;
        rows.iter().map(Product::from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn product(&self, org_id: i64, id: i64) -> Result<Product> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM products WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        Product::from_row(&row)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_product(
        &self,
        viewer: &Viewer,
        f: &ProductFields,
        now: DateTime<Utc>,
    ) -> Result<Product> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO products (org_id, code, name, unit, price, currency, unique_item, active, created_at, updated_at, cost, category) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(&f.code)
        .bind(&f.name)
        .bind(&f.unit)
        .bind(f.price.amount.to_string())
        .bind(&f.price.currency)
        .bind(i64::from(f.unique_item))
        .bind(i64::from(f.active))
        .bind(ts(now))
        .bind(f.cost.map(|c| c.to_string()))
        .bind(f.category.clone())
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?
        .try_get(0)?;
        let created = load(&mut tx, viewer.org_id, id).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "product",
                id,
                "create",
                &diff(&[], &created.snapshot()),
            )
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_product(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        f: &ProductFields,
        now: DateTime<Utc>,
    ) -> Result<Product> {
        let before = self.product(viewer.org_id, id).await?;
        if before.version != version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let mut tx = self.write.begin().await?;
        let n = sqlx::query(
            "UPDATE products SET code = $1, name = $2, unit = $3, price = $4, currency = $5, unique_item = $6, active = $7, \
             version = version + 1, updated_at = $8, cost = $12, category = $13 WHERE org_id = $9 AND id = $10 AND version = $11",
        )
        .bind(&f.code)
        .bind(&f.name)
        .bind(&f.unit)
        .bind(f.price.amount.to_string())
        .bind(&f.price.currency)
        .bind(i64::from(f.unique_item))
        .bind(i64::from(f.active))
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(version)
        .bind(f.cost.map(|c| c.to_string()))
        .bind(f.category.clone())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let after = load(&mut tx, viewer.org_id, id).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "product",
                id,
                "update",
                &diff(&before.snapshot(), &after.snapshot()),
            )
            .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// One product of the organization, inside the transaction that just wrote it.
async fn load(tx: &mut sqlx::Transaction<'_, sqlx::Any>, org_id: i64, id: i64) -> Result<Product> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM products WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Product::from_row(&row)
}
