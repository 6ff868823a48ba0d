//! Daily sales reports: filed (and revised until reviewed), prefilled from the day's activities,
//! reviewed by a superior; lateness recorded on first filing.

use crate::audit::Audit;
use crate::sql::{push_scope_on, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::daily_report::{
    check_refile, check_review, day_bounds, report_deadline, DailyReport, VisitOutcome,
};
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::Refusal;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredDailyReport {
    pub id: i64,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub report_date: String,
    #[serde(flatten)]
    pub content: DailyReport,
    /// Orders against target, percent.
    pub attainment_percent: Option<String>,
    pub submitted_at: String,
    pub late: bool,
    pub reviewed_by: Option<i64>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_comment: Option<String>,
    pub version: i64,
}

const COLUMNS: &str = "d.id, d.user_id, u.display_name AS user_name, d.report_date, d.content, d.submitted_at, d.late, \
    d.reviewed_by, r.display_name AS reviewer_name, d.reviewed_at, d.review_comment, d.version";
const FROM: &str = "FROM daily_reports d JOIN users u ON u.id = d.user_id AND u.org_id = d.org_id LEFT JOIN users r ON r.id = d.reviewed_by AND r.org_id = d.org_id WHERE";

impl StoredDailyReport {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let content: String = row.try_get("content")?;
        let content: DailyReport =
            serde_json::from_str(&content).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            user_name: row.try_get("user_name")?,
            report_date: row.try_get("report_date")?,
            attainment_percent: content.attainment_percent().map(|d| d.to_string()),
            content,
            submitted_at: row.try_get("submitted_at")?,
            late: row.try_get::<i64, _>("late")? != 0,
            reviewed_by: row.try_get("reviewed_by")?,
            reviewer_name: row.try_get("reviewer_name")?,
            reviewed_at: row.try_get("reviewed_at")?,
            review_comment: row.try_get("review_comment")?,
            version: row.try_get("version")?,
        })
    }
}

impl Store {
    /// The viewer's visits and their outcomes on a (China-time) day, to prefill the report.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn day_visits(&self, viewer: &Viewer, date: NaiveDate) -> Result<Vec<VisitOutcome>> {
        let (from, to) = day_bounds(date, china_offset());
        let rows = sqlx::query(
            "SELECT a.customer_id, c.name, a.kind, a.summary, a.outcome FROM activities a JOIN customers c ON c.id = a.customer_id AND c.org_id = a.org_id \
             WHERE a.org_id = $1 AND a.user_id = $2 AND a.occurred_at >= $3 AND a.occurred_at < $4 \
             AND a.kind IN ('visit', 'meeting') ORDER BY a.occurred_at",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(self.heavy_read())
        .await?;
        rows.iter()
            .map(|r| {
                let outcome: Option<String> = r.try_get("outcome")?;
                let summary: String = r.try_get("summary")?;
                Ok(VisitOutcome {
                    customer_id: r.try_get("customer_id")?,
                    customer_name: r.try_get("name")?,
                    outcome: outcome.unwrap_or(summary),
                })
            })
            .collect()
    }

    /// Files or revises the viewer's report for a day (not after it was reviewed).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn file_daily_report(
        &self,
        viewer: &Viewer,
        date: NaiveDate,
        content: &DailyReport,
        now: DateTime<Utc>,
    ) -> Result<StoredDailyReport> {
        let json = serde_json::to_string(content).expect("report serialises");
        let mut tx = self.write.begin().await?;
        let existing = sqlx::query("SELECT id, reviewed_at FROM daily_reports WHERE org_id = $1 AND user_id = $2 AND report_date = $3")
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .bind(date.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let id = match existing {
            Some(r) => {
                check_refile(r.try_get::<Option<String>, _>("reviewed_at")?.is_some())
                    .map_err(Refusal::from)?;
                let id: i64 = r.try_get("id")?;
                sqlx::query("UPDATE daily_reports SET content = $1, version = version + 1, updated_at = $2 WHERE id = $3")
                    .bind(&json)
                    .bind(ts(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Audit::by(viewer, now)
                    .record(&mut tx, "daily_report", id, "update", &[])
                    .await?;
                id
            }
            None => {
                let late = now > report_deadline(date, china_offset());
                let id: i64 = sqlx::query(
                    "INSERT INTO daily_reports (org_id, user_id, report_date, content, submitted_at, late, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $5, $5) RETURNING id",
                )
                .bind(viewer.org_id)
                .bind(viewer.user_id)
                .bind(date.to_string())
                .bind(&json)
                .bind(ts(now))
                .bind(i64::from(late))
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
                let changes = vec![FieldChange {
                    field: "late".into(),
                    before: None,
                    after: Some(late.to_string()),
                }];
                Audit::by(viewer, now)
                    .record(&mut tx, "daily_report", id, "submit", &changes)
                    .await?;
                crate::webhook::emit(
                    &mut tx,
                    viewer.org_id,
                    yingpan_domain::webhook::Event::ReportSubmitted,
                    Some(viewer.user_id),
                    None,
                    serde_json::json!({"report_id": id, "kind": "daily", "date": date.to_string(), "late": late}),
                    now,
                )
                .await?;
                id
            }
        };
        tx.commit().await?;
        self.daily_report(viewer, id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn daily_report(&self, viewer: &Viewer, id: i64) -> Result<StoredDailyReport> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
        push_scope_on(&mut sql, viewer, "d", "user_id");
        sql.push(" AND d.id = ").bind(id);
        let row = sql
            .query()
            .fetch_optional(self.heavy_read())
            .await?
            .ok_or(StoreError::NotFound)?;
        StoredDailyReport::from_row(&row)
    }

    /// Reports in scope; `unreviewed` lists what still awaits a comment.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn daily_reports(
        &self,
        viewer: &Viewer,
        user_id: Option<i64>,
        unreviewed: bool,
        limit: i64,
    ) -> Result<Vec<StoredDailyReport>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
        push_scope_on(&mut sql, viewer, "d", "user_id");
        if let Some(u) = user_id {
            sql.push(" AND d.user_id = ").bind(u);
        }
        if unreviewed {
            sql.push(" AND d.reviewed_at IS NULL AND d.user_id <> ")
                .bind(viewer.user_id);
        }
        sql.push(" ORDER BY d.report_date DESC, d.id DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        let rows = sql.query().fetch_all(self.heavy_read()).await?;
        rows.iter().map(StoredDailyReport::from_row).collect()
    }

    /// A superior of the author comments on the report.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn review_daily_report(
        &self,
        viewer: &Viewer,
        id: i64,
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredDailyReport> {
        let report = self.daily_report(viewer, id).await?;
        let superior = crate::org::is_superior(self.heavy_read(), viewer, report.user_id).await?;
        check_review(superior).map_err(Refusal::from)?;
        let comment = comment.trim();
        if comment.chars().count() > 2000 {
            return Err(yingpan_domain::ValidationError::new(
                "comment",
                "too_long",
                "must be at most 2000 characters",
            )
            .into());
        }
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE daily_reports SET reviewed_by = $1, reviewed_at = $2, review_comment = $3, version = version + 1 WHERE org_id = $5 AND id = $4")
            .bind(viewer.user_id)
            .bind(ts(now))
            .bind((!comment.is_empty()).then(|| comment.to_string()))
            .bind(id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let changes = vec![FieldChange {
            field: "review_comment".into(),
            before: report.review_comment.clone(),
            after: Some(comment.to_string()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "daily_report", id, "review", &changes)
            .await?;
        tx.commit().await?;
        self.daily_report(viewer, id).await
    }
}
