//! Scored screening (`domain::screening`): each screening of a customer is kept with its factor
//! scores and sets the customer's matrix levels; the matrix lists each quadrant within the
//! viewer's scope.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::qualification::KeyAccountClass;
use yingpan_domain::screening::{score, ScreeningSettings};

/// One screening as it was done.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScreeningRecord {
    pub id: i64,
    pub customer_id: i64,
    pub user_name: Option<String>,
    pub scores: BTreeMap<String, u8>,
    pub attractiveness_score: i64,
    pub ability_score: i64,
    pub class: String,
    pub note: String,
    pub created_at: String,
}

/// A customer in a quadrant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatrixCustomer {
    pub id: i64,
    pub name: String,
    pub owner_name: Option<String>,
    /// Absent when the levels were picked by hand rather than scored.
    pub attractiveness_score: Option<i64>,
    pub ability_score: Option<i64>,
}

/// One cell of the screening matrix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Quadrant {
    pub class: &'static str,
    pub strategy: String,
    pub total: i64,
    /// The best-scored first, at most the page's share.
    pub customers: Vec<MatrixCustomer>,
}

impl Store {
    /// Screens a customer the viewer may see: the scores decide its levels and class by the
    /// company's settings; the screening is kept and the customer's card changes (new version).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn screen_customer(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        scores: &BTreeMap<String, u8>,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<ScreeningRecord> {
        let mut tx = self.write.begin().await?;
        let before = load_customer(&mut tx, viewer, customer_id, false).await?;
        let settings = crate::setting::read::<ScreeningSettings>(&mut *tx, viewer.org_id).await?;
        let s = score(&settings, scores)?;
        let at = ts(now);
        let id: i64 = sqlx::query(
            "INSERT INTO screenings (org_id, customer_id, user_id, scores, attractiveness_score, ability_score, class, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(viewer.user_id)
        .bind(serde_json::to_string(scores).expect("scores serialise"))
        .bind(i64::from(s.attractiveness_score))
        .bind(i64::from(s.ability_score))
        .bind(s.class.as_str())
        .bind(note)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "UPDATE customers SET attractiveness = $1, ability_to_win = $2, attractiveness_score = $3, ability_score = $4, \
             version = version + 1, updated_at = $5 WHERE org_id = $6 AND id = $7",
        )
        .bind(s.attractiveness.as_str())
        .bind(s.ability_to_win.as_str())
        .bind(i64::from(s.attractiveness_score))
        .bind(i64::from(s.ability_score))
        .bind(&at)
        .bind(viewer.org_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        let was = before.qualification.key_account_class.map(|c| c.as_str());
        let mut changes = vec![FieldChange {
            field: "screening".into(),
            before: None,
            after: Some(format!("{} / {}", s.attractiveness_score, s.ability_score)),
        }];
        if was != Some(s.class.as_str()) {
            changes.push(FieldChange {
                field: "key_account".into(),
                before: was.map(Into::into),
                after: Some(s.class.as_str().into()),
            });
        }
        Audit::by(viewer, now)
            .record(&mut tx, "customer", customer_id, "update", &changes)
            .await?;
        tx.commit().await?;
        Ok(ScreeningRecord {
            id,
            customer_id,
            user_name: None,
            scores: scores.clone(),
            attractiveness_score: s.attractiveness_score.into(),
            ability_score: s.ability_score.into(),
            class: s.class.as_str().into(),
            note: note.into(),
            created_at: at,
        })
    }

    /// A customer's screenings, the latest first (the customer within the viewer's scope).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn screenings(
        &self,
        viewer: &Viewer,
        customer_id: i64,
    ) -> Result<Vec<ScreeningRecord>> {
        let mut conn = self.read.acquire().await?;
        load_customer(&mut conn, viewer, customer_id, false).await?;
        let rows = sqlx::query(
            "SELECT s.id, s.customer_id, u.display_name AS user_name, s.scores, s.attractiveness_score, s.ability_score, \
             s.class, s.note, s.created_at FROM screenings s LEFT JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id \
             WHERE s.org_id = $1 AND s.customer_id = $2 ORDER BY s.id DESC LIMIT 50",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                let raw: String = r.try_get("scores")?;
                Ok(ScreeningRecord {
                    id: r.try_get("id")?,
                    customer_id: r.try_get("customer_id")?,
                    user_name: r.try_get("user_name")?,
                    scores: serde_json::from_str(&raw)
                        .map_err(|e| StoreError::Corrupt(format!("screening scores: {e}")))?,
                    attractiveness_score: r.try_get("attractiveness_score")?,
                    ability_score: r.try_get("ability_score")?,
                    class: r.try_get("class")?,
                    note: r.try_get("note")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The screening matrix within the viewer's scope: each quadrant's count and its
    /// best-scored customers (`per_quadrant` at most), with the company's strategy.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn key_account_matrix(
        &self,
        viewer: &Viewer,
        per_quadrant: i64,
    ) -> Result<Vec<Quadrant>> {
        let settings = crate::setting::read::<ScreeningSettings>(&self.read, viewer.org_id).await?;
        let mut out = Vec::new();
        for class in KeyAccountClass::ALL {
            let (a, w) = class.levels();
            let build = |select: &str| {
                let mut sql = Sql::new(select);
                push_scope(&mut sql, viewer, "c");
                sql.push(" AND c.deleted_at IS NULL AND c.attractiveness = ")
                    .bind(a.as_str())
                    .push(" AND c.ability_to_win = ")
                    .bind(w.as_str());
                sql
            };
            let total: i64 = build("SELECT COUNT(*) FROM customers c WHERE")
                .query()
                .fetch_one(&self.read)
                .await?
                .try_get(0)?;
            let mut list = build(
                "SELECT c.id, c.name, u.display_name AS owner_name, c.attractiveness_score, c.ability_score \
                 FROM customers c LEFT JOIN users u ON u.id = c.owner_id AND u.org_id = c.org_id WHERE",
            );
            list.push(
                " ORDER BY COALESCE(c.attractiveness_score, -1) + COALESCE(c.ability_score, -1) DESC, c.id LIMIT ",
            )
            .bind(per_quadrant.clamp(1, 200));
            let customers = list
                .query()
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| {
                    Ok(MatrixCustomer {
                        id: r.try_get("id")?,
                        name: r.try_get("name")?,
                        owner_name: r.try_get("owner_name")?,
                        attractiveness_score: r.try_get("attractiveness_score")?,
                        ability_score: r.try_get("ability_score")?,
                    })
                })
                .collect::<Result<_>>()?;
            out.push(Quadrant {
                class: class.as_str(),
                strategy: settings.strategy(class).to_string(),
                total,
                customers,
            });
        }
        Ok(out)
    }
}
