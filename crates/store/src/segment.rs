//! Saved segments: a named customer-list filter, personal or shared with the owner's team.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use yingpan_domain::audit::FieldChange;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub id: i64,
    pub owner_id: i64,
    pub owner_name: Option<String>,
    pub name: String,
    /// The list's query string (`region=华东&tier=priority`).
    pub query: String,
    pub shared: bool,
    pub created_at: String,
}

/// Segments the viewer may use: their own, and those shared by someone in their team — a
/// colleague with the same superior, someone below them, or one of their superiors.
const VISIBLE: &str = "s.org_id = $1 AND s.deleted_at IS NULL AND (s.owner_id = $2 OR (s.shared = 1 AND (\
     s.owner_id IN (SELECT c.id FROM users c JOIN users me ON me.id = $2 AND me.org_id = $1 WHERE c.org_id = $1 AND c.superior_id = me.superior_id) \
     OR s.owner_id IN (WITH RECURSIVE down(id) AS (SELECT id FROM users WHERE org_id = $1 AND superior_id = $2 \
        UNION ALL SELECT u.id FROM users u JOIN down ON u.superior_id = down.id WHERE u.org_id = $1) SELECT id FROM down) \
     OR s.owner_id IN (WITH RECURSIVE up(id) AS (SELECT superior_id FROM users WHERE org_id = $1 AND id = $2 AND superior_id IS NOT NULL \
        UNION ALL SELECT u.superior_id FROM users u JOIN up ON u.id = up.id WHERE u.org_id = $1 AND u.superior_id IS NOT NULL) SELECT id FROM up))))";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Segment> {
    Ok(Segment {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        name: r.try_get("name")?,
        query: r.try_get("query")?,
        shared: r.try_get::<i64, _>("shared")? != 0,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// The segments the viewer may use, their own first, then by name.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn segments(&self, viewer: &Viewer) -> Result<Vec<Segment>> {
        let rows = sqlx::query(&format!(
            "SELECT s.id, s.owner_id, u.display_name AS owner_name, s.name, s.query, s.shared, s.created_at \
             FROM segments s LEFT JOIN users u ON u.id = s.owner_id AND u.org_id = s.org_id WHERE {VISIBLE} \
             ORDER BY CASE WHEN s.owner_id = $2 THEN 0 ELSE 1 END, s.name, s.id"
        ))
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Saves a segment (name and query already checked by the domain).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_segment(
        &self,
        viewer: &Viewer,
        name: &str,
        query: &str,
        shared: bool,
        now: DateTime<Utc>,
    ) -> Result<Segment> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO segments (org_id, owner_id, name, query, shared, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(name)
        .bind(query)
        .bind(i64::from(shared))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "segment",
                id,
                "create",
                &[
                    FieldChange {
                        field: "name".into(),
                        before: None,
                        after: Some(name.to_string()),
                    },
                    FieldChange {
                        field: "shared".into(),
                        before: None,
                        after: Some(shared.to_string()),
                    },
                ],
            )
            .await?;
        tx.commit().await?;
        self.segments(viewer)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or(StoreError::NotFound)
    }

    /// Deletes one of the viewer's own segments (soft, audited); anyone else's is not found.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn delete_segment(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let n = sqlx::query(
            "UPDATE segments SET deleted_at = $1 WHERE org_id = $2 AND id = $3 AND owner_id = $4 AND deleted_at IS NULL",
        )
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(viewer.user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Audit::by(viewer, now)
            .record(&mut tx, "segment", id, "delete", &[])
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
