//! Skip-level appeals (`domain::appeal`): filed past one's own superior, seen only by the
//! appellant and the person appealed to, answered once.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yingpan_domain::appeal::{check_answer, check_target, AppealFields};
use yingpan_domain::audit::FieldChange;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Appeal {
    pub id: i64,
    pub appellant_id: i64,
    pub appellant_name: Option<String>,
    pub to_id: i64,
    pub to_name: Option<String>,
    pub subject: String,
    pub reason: String,
    pub task_id: Option<i64>,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub created_at: String,
}

const SELECT: &str = "SELECT p.id, p.appellant_id, a.display_name AS appellant_name, p.to_id, t.display_name AS to_name, \
    p.subject, p.reason, p.task_id, p.answer, p.answered_at, p.created_at FROM appeals p \
    LEFT JOIN users a ON a.id = p.appellant_id AND a.org_id = p.org_id LEFT JOIN users t ON t.id = p.to_id AND t.org_id = p.org_id";

fn from_row(r: &AnyRow) -> Result<Appeal> {
    Ok(Appeal {
        id: r.try_get("id")?,
        appellant_id: r.try_get("appellant_id")?,
        appellant_name: r.try_get("appellant_name")?,
        to_id: r.try_get("to_id")?,
        to_name: r.try_get("to_name")?,
        subject: r.try_get("subject")?,
        reason: r.try_get("reason")?,
        task_id: r.try_get("task_id")?,
        answer: r.try_get("answer")?,
        answered_at: r.try_get("answered_at")?,
        created_at: r.try_get("created_at")?,
    })
}

async fn load(conn: &mut sqlx::AnyConnection, viewer: &Viewer, id: i64) -> Result<Appeal> {
    let row = sqlx::query(&format!(
        "{SELECT} WHERE p.org_id = $1 AND p.id = $2 AND (p.appellant_id = $3 OR p.to_id = $3)"
    ))
    .bind(viewer.org_id)
    .bind(id)
    .bind(viewer.user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

impl Store {
    /// Files an appeal to someone above the viewer's own superior; a task it is about must be
    /// the viewer's.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn file_appeal(
        &self,
        viewer: &Viewer,
        f: &AppealFields,
        now: DateTime<Utc>,
    ) -> Result<Appeal> {
        let mut tx = self.write.begin().await?;
        let line = crate::org::reporting_line(&mut tx, viewer.org_id).await?;
        check_target(&line, viewer.user_id, f.to_id).map_err(yingpan_domain::Refusal::from)?;
        if let Some(task) = f.task_id {
            let mine = Some(("assignee_id", viewer.user_id));
            let refused = yingpan_domain::ValidationError::new(
                "task_id",
                "unknown_task",
                "no such task of yours",
            );
            crate::sql::require_ref(&mut tx, viewer.org_id, "tasks", task, mine, refused).await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO appeals (org_id, appellant_id, to_id, subject, reason, task_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(f.to_id)
        .bind(&f.subject)
        .bind(&f.reason)
        .bind(f.task_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "appeal",
                id,
                "create",
                &[FieldChange {
                    field: "subject".into(),
                    before: None,
                    after: Some(f.subject.clone()),
                }],
            )
            .await?;
        let appeal = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(appeal)
    }

    /// An appeal the viewer filed or received.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn appeal(&self, viewer: &Viewer, id: i64) -> Result<Appeal> {
        let mut conn = self.read.acquire().await?;
        load(&mut conn, viewer, id).await
    }

    /// Appeals the viewer filed or received, unanswered first, then the latest.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn appeals(&self, viewer: &Viewer) -> Result<Vec<Appeal>> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE p.org_id = $1 AND (p.appellant_id = $2 OR p.to_id = $2) \
             ORDER BY CASE WHEN p.answered_at IS NULL THEN 0 ELSE 1 END, p.id DESC LIMIT 200"
        ))
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The person appealed to answers, once.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn answer_appeal(
        &self,
        viewer: &Viewer,
        id: i64,
        answer: &str,
        now: DateTime<Utc>,
    ) -> Result<Appeal> {
        let mut tx = self.write.begin().await?;
        let appeal = load(&mut tx, viewer, id).await?;
        check_answer(viewer.user_id, appeal.to_id, appeal.answered_at.is_some())
            .map_err(yingpan_domain::Refusal::from)?;
        sqlx::query(
            "UPDATE appeals SET answer = $1, answered_at = $2 WHERE org_id = $4 AND id = $3 AND answered_at IS NULL",
        )
        .bind(answer)
        .bind(ts(now))
        .bind(id)
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "appeal",
                id,
                "update",
                &[FieldChange {
                    field: "answer".into(),
                    before: None,
                    after: Some(answer.to_string()),
                }],
            )
            .await?;
        let appeal = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(appeal)
    }
}
