//! Dealer data and new-customer development reports.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope, Sql};
use crate::{ts, Customer, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::development::{dealer_sales, DealerData, DevelopmentReport};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredDevelopmentReport {
    pub customer_id: i64,
    pub author_id: i64,
    pub author_name: Option<String>,
    #[serde(flatten)]
    pub report: DevelopmentReport,
    pub submitted_at: String,
    pub updated_at: String,
    pub reviewed_by: Option<i64>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_comment: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DealerStats {
    pub dealers: usize,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub average_monthly_sales: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_monthly_sales: Decimal,
}

fn json_changes(
    before: &serde_json::Value,
    after: &serde_json::Value,
    prefix: &str,
) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(other) => Some(other.to_string()),
    };
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (show(b.get(k)), show(a.get(k)));
            (x != y).then(|| FieldChange {
                field: format!("{prefix}{k}"),
                before: x,
                after: y,
            })
        })
        .collect()
}

impl Store {
    /// Records or clears (`None`) a customer's dealer data.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_dealer(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        dealer: Option<&DealerData>,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let mut tx = self.write.begin().await?;
        let before = load_customer(&mut tx, viewer, id, false).await?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        sqlx::query("UPDATE customers SET dealer = $1, version = version + 1, updated_at = $2 WHERE org_id = $3 AND id = $4")
            .bind(dealer.map(|d| serde_json::to_string(d).expect("dealer data serialises")))
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let after = load_customer(&mut tx, viewer, id, false).await?;
        if before.dealer.is_some() != after.dealer.is_some() {
            let sign = if after.dealer.is_some() { 1 } else { -1 };
            crate::rollup::dealer_changed(&mut tx, viewer.org_id, id, sign).await?;
        }
        let to_json = |d: &Option<DealerData>| {
            d.as_ref()
                .map(|d| serde_json::to_value(d).expect("serialises"))
                .unwrap_or_default()
        };
        let mut changes =
            json_changes(&to_json(&before.dealer), &to_json(&after.dealer), "dealer.");
        if before.dealer.is_some() != after.dealer.is_some() {
            changes.push(FieldChange {
                field: "is_dealer".into(),
                before: Some(before.dealer.is_some().to_string()),
                after: Some(after.dealer.is_some().to_string()),
            });
        }
        Audit::by(viewer, now)
            .record(&mut tx, "customer", id, "update", &changes)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Number of dealers in scope and their average monthly sales.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn dealer_stats(&self, viewer: &Viewer) -> Result<DealerStats> {
        let mut sql = Sql::new("SELECT c.dealer FROM customers c WHERE");
        push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.deleted_at IS NULL AND c.dealer IS NOT NULL");
        let dealers: Vec<DealerData> = sql
            .query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                let raw: String = r.try_get(0)?;
                serde_json::from_str(&raw).map_err(|e| StoreError::Corrupt(format!("dealer: {e}")))
            })
            .collect::<Result<_>>()?;
        let (count, average, total) = dealer_sales(&dealers);
        Ok(DealerStats {
            dealers: count,
            average_monthly_sales: average,
            total_monthly_sales: total,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn development_report(
        &self,
        viewer: &Viewer,
        customer_id: i64,
    ) -> Result<Option<StoredDevelopmentReport>> {
        let mut tx = self.read.begin().await?;
        load_customer(&mut tx, viewer, customer_id, false).await?;
        let row = sqlx::query(
            "SELECT r.customer_id, r.author_id, a.display_name AS author_name, r.report, r.submitted_at, r.updated_at, \
             r.reviewed_by, v.display_name AS reviewer_name, r.reviewed_at, r.review_comment, r.version \
             FROM development_reports r LEFT JOIN users a ON a.id = r.author_id AND a.org_id = r.org_id LEFT JOIN users v ON v.id = r.reviewed_by AND v.org_id = r.org_id \
             WHERE r.org_id = $1 AND r.customer_id = $2",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row.map(|r| {
            let report: String = r.try_get("report")?;
            Ok(StoredDevelopmentReport {
                customer_id: r.try_get("customer_id")?,
                author_id: r.try_get("author_id")?,
                author_name: r.try_get("author_name")?,
                report: serde_json::from_str(&report)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                submitted_at: r.try_get("submitted_at")?,
                updated_at: r.try_get("updated_at")?,
                reviewed_by: r.try_get("reviewed_by")?,
                reviewer_name: r.try_get("reviewer_name")?,
                reviewed_at: r.try_get("reviewed_at")?,
                review_comment: r.try_get("review_comment")?,
                version: r.try_get("version")?,
            })
        })
        .transpose()
    }

    /// Files or revises the report; a revision clears an earlier review.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn save_development_report(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        report: &DevelopmentReport,
        now: DateTime<Utc>,
    ) -> Result<StoredDevelopmentReport> {
        let before = self.development_report(viewer, customer_id).await?;
        let mut tx = self.write.begin().await?;
        load_customer(&mut tx, viewer, customer_id, false).await?;
        let json = serde_json::to_string(report).expect("report serialises");
        if before.is_some() {
            sqlx::query(
                "UPDATE development_reports SET report = $1, updated_at = $2, reviewed_by = NULL, reviewed_at = NULL, \
                 review_comment = NULL, version = version + 1 WHERE org_id = $3 AND customer_id = $4",
            )
            .bind(&json)
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO development_reports (org_id, customer_id, author_id, report, submitted_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(viewer.org_id)
            .bind(customer_id)
            .bind(viewer.user_id)
            .bind(&json)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        }
        let old = before
            .as_ref()
            .map(|b| serde_json::to_value(&b.report).expect("serialises"))
            .unwrap_or_default();
        let changes = json_changes(
            &old,
            &serde_json::to_value(report).expect("serialises"),
            "development.",
        );
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "customer",
                customer_id,
                if before.is_some() { "update" } else { "create" },
                &changes,
            )
            .await?;
        tx.commit().await?;
        self.development_report(viewer, customer_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A superior of the report's author comments on it. Anyone else: `Rule("not_a_superior")`.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn review_development_report(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredDevelopmentReport> {
        let current = self
            .development_report(viewer, customer_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let comment = comment.trim();
        if comment.chars().count() > 2000 {
            return Err(yingpan_domain::ValidationError::new(
                "review_comment",
                "too_long",
                "must be at most 2000 characters",
            )
            .into());
        }
        let superior = crate::org::is_superior(&self.read, viewer, current.author_id).await?;
        if !superior {
            return Err(StoreError::rule(
                "not_a_superior",
                "only a superior of the report's author may review it",
            ));
        }
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "UPDATE development_reports SET reviewed_by = $1, reviewed_at = $2, review_comment = $3, version = version + 1 \
             WHERE org_id = $4 AND customer_id = $5",
        )
        .bind(viewer.user_id)
        .bind(ts(now))
        .bind((!comment.is_empty()).then(|| comment.to_string()))
        .bind(viewer.org_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        let changes = vec![FieldChange {
            field: "development.review_comment".into(),
            before: current.review_comment.clone(),
            after: Some(comment.to_string()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "customer", customer_id, "review", &changes)
            .await?;
        tx.commit().await?;
        self.development_report(viewer, customer_id)
            .await?
            .ok_or(StoreError::NotFound)
    }
}
