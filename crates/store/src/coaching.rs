//! Joint visits and coaching notes (`domain::coaching`): a joint visit is reached by its
//! supervisor, its salesperson and everyone whose scope holds the salesperson; coaching notes
//! by those above the person only.

use crate::audit::Audit;
use crate::sql::{push_in_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::coaching::{check_above, check_join, check_review, NoteKind, Review};
use yingpan_domain::meeting::period_instants;
use yingpan_domain::Refusal;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JointVisit {
    pub id: i64,
    pub plan_id: i64,
    pub salesperson_id: i64,
    pub salesperson_name: Option<String>,
    pub supervisor_id: i64,
    pub supervisor_name: Option<String>,
    pub customer_id: Option<i64>,
    pub customer_name: String,
    pub visit_date: String,
    pub start_time: String,
    pub strengths: String,
    pub corrections: String,
    pub score: Option<i64>,
    /// The salesperson's visit on the customer that day, linked at review.
    pub activity_id: Option<i64>,
    pub activity_summary: Option<String>,
    pub reviewed_at: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoachingNote {
    pub id: i64,
    pub author_name: Option<String>,
    pub kind: String,
    pub note: String,
    pub created_at: String,
}

const COLUMNS: &str = "j.id, j.plan_id, j.salesperson_id, s.display_name AS salesperson_name, j.supervisor_id, \
    v.display_name AS supervisor_name, j.customer_id, j.customer_name, j.visit_date, j.start_time, j.strengths, \
    j.corrections, j.score, j.activity_id, a.summary AS activity_summary, j.reviewed_at, j.version";
const FROM: &str = " FROM joint_visits j LEFT JOIN users s ON s.id = j.salesperson_id AND s.org_id = j.org_id LEFT JOIN users v ON v.id = j.supervisor_id AND v.org_id = j.org_id \
    LEFT JOIN activities a ON a.id = j.activity_id AND a.org_id = j.org_id WHERE";

fn from_row(r: &AnyRow) -> Result<JointVisit> {
    Ok(JointVisit {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        salesperson_id: r.try_get("salesperson_id")?,
        salesperson_name: r.try_get("salesperson_name")?,
        supervisor_id: r.try_get("supervisor_id")?,
        supervisor_name: r.try_get("supervisor_name")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        visit_date: r.try_get("visit_date")?,
        start_time: r.try_get("start_time")?,
        strengths: r.try_get("strengths")?,
        corrections: r.try_get("corrections")?,
        score: r.try_get("score")?,
        activity_id: r.try_get("activity_id")?,
        activity_summary: r.try_get("activity_summary")?,
        reviewed_at: r.try_get("reviewed_at")?,
        version: r.try_get("version")?,
    })
}

fn push_reach(sql: &mut Sql, viewer: &Viewer) {
    sql.push(" j.org_id = ")
        .bind(viewer.org_id)
        .push(" AND (j.supervisor_id = ")
        .bind(viewer.user_id)
        .push(" OR j.salesperson_id = ")
        .bind(viewer.user_id)
        .push(" OR");
    push_in_scope(sql, viewer, "j.salesperson_id");
    sql.push(")");
}

async fn load(conn: &mut sqlx::AnyConnection, viewer: &Viewer, id: i64) -> Result<JointVisit> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
    push_reach(&mut sql, viewer);
    sql.push(" AND j.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// The viewer must be above `person` in the reporting line.
async fn require_above(tx: &mut Transaction<'_, Any>, viewer: &Viewer, person: i64) -> Result<()> {
    let line = crate::org::reporting_line(tx, viewer.org_id).await?;
    check_above(&line, viewer.user_id, person).map_err(Refusal::from)?;
    Ok(())
}

impl Store {
    /// The viewer joins one visit (`item`) of a salesperson's submitted or approved plan.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn join_visit(
        &self,
        viewer: &Viewer,
        plan_id: i64,
        item: usize,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<JointVisit> {
        let mut tx = self.write.begin().await?;
        let plan = crate::visit_plan::load(&mut tx, viewer, plan_id).await?;
        require_above(&mut tx, viewer, plan.user_id).await?;
        let date = crate::parse_day(&plan.plan_date)?;
        check_join(plan.status.as_str(), date, today).map_err(Refusal::from)?;
        let it = plan.items.get(item).ok_or_else(|| {
            yingpan_domain::ValidationError::new(
                "item",
                "unknown_item",
                "no such visit in the plan",
            )
        })?;
        let taken: i64 = sqlx::query(
            "SELECT COUNT(*) FROM joint_visits WHERE org_id = $1 AND plan_id = $2 AND item_index = $3 AND supervisor_id = $4",
        )
        .bind(viewer.org_id)
        .bind(plan_id)
        .bind(item as i64)
        .bind(viewer.user_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if taken > 0 {
            return Err(StoreError::Rule {
                code: "already_joined",
                message: "you already join this visit".into(),
            });
        }
        let at = ts(now);
        let id: i64 = sqlx::query(
            "INSERT INTO joint_visits (org_id, plan_id, item_index, salesperson_id, supervisor_id, customer_id, customer_name, \
             visit_date, start_time, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(plan_id)
        .bind(item as i64)
        .bind(plan.user_id)
        .bind(viewer.user_id)
        .bind(it.customer_id)
        .bind(&it.customer_name)
        .bind(&plan.plan_date)
        .bind(it.start.format("%H:%M").to_string())
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "joint_visit",
                id,
                "create",
                &[FieldChange {
                    field: "customer".into(),
                    before: None,
                    after: Some(it.customer_name.clone()),
                }],
            )
            .await?;
        let jv = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(jv)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn joint_visit(&self, viewer: &Viewer, id: i64) -> Result<JointVisit> {
        let mut conn = self.read.acquire().await?;
        load(&mut conn, viewer, id).await
    }

    /// Joint visits the viewer reaches (of one salesperson if given), upcoming first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn joint_visits(
        &self,
        viewer: &Viewer,
        salesperson: Option<i64>,
        limit: i64,
    ) -> Result<Vec<JointVisit>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        push_reach(&mut sql, viewer);
        if let Some(p) = salesperson {
            sql.push(" AND j.salesperson_id = ").bind(p);
        }
        sql.push(" ORDER BY CASE WHEN j.reviewed_at IS NULL THEN 0 ELSE 1 END, j.visit_date DESC, j.id DESC LIMIT ")
            .bind(limit.clamp(1, 200));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The supervisor's review, from the visit's day, once; the salesperson's visit on the
    /// customer that day is linked so the record shows both.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn review_joint_visit(
        &self,
        viewer: &Viewer,
        id: i64,
        review: &Review,
        expected_version: i64,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<JointVisit> {
        let mut tx = self.write.begin().await?;
        let jv = load(&mut tx, viewer, id).await?;
        if jv.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: jv.version,
            });
        }
        let day = crate::parse_day(&jv.visit_date)?;
        check_review(
            viewer.user_id,
            jv.supervisor_id,
            jv.reviewed_at.is_some(),
            day,
            today,
        )
        .map_err(Refusal::from)?;
        let activity: Option<i64> = match jv.customer_id {
            Some(c) => {
                let (from, to) = period_instants(day, day);
                sqlx::query(
                    "SELECT id FROM activities WHERE org_id = $1 AND customer_id = $2 AND user_id = $3 AND kind = 'visit' \
                     AND occurred_at >= $4 AND occurred_at < $5 ORDER BY occurred_at DESC LIMIT 1",
                )
                .bind(viewer.org_id)
                .bind(c)
                .bind(jv.salesperson_id)
                .bind(ts(from))
                .bind(ts(to))
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
            }
            None => None,
        };
        let at = ts(now);
        sqlx::query(
            "UPDATE joint_visits SET strengths = $1, corrections = $2, score = $3, activity_id = $4, reviewed_at = $5, \
             updated_at = $5, version = version + 1 WHERE org_id = $6 AND id = $7 AND version = $8",
        )
        .bind(&review.strengths)
        .bind(&review.corrections)
        .bind(review.score)
        .bind(activity)
        .bind(&at)
        .bind(viewer.org_id)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "joint_visit",
                id,
                "update",
                &[FieldChange {
                    field: "corrections".into(),
                    before: None,
                    after: Some(review.corrections.clone()),
                }],
            )
            .await?;
        let jv = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(jv)
    }

    /// A person's coaching notes, the latest first: for those above them only.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn coaching_notes(&self, viewer: &Viewer, person: i64) -> Result<Vec<CoachingNote>> {
        let mut tx = self.read.begin().await?;
        require_above(&mut tx, viewer, person).await?;
        let rows = sqlx::query(
            "SELECT n.id, u.display_name AS author_name, n.kind, n.note, n.created_at FROM coaching_notes n \
             LEFT JOIN users u ON u.id = n.author_id AND u.org_id = n.org_id WHERE n.org_id = $1 AND n.person_id = $2 ORDER BY n.id DESC LIMIT 200",
        )
        .bind(viewer.org_id)
        .bind(person)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(CoachingNote {
                    id: r.try_get("id")?,
                    author_name: r.try_get("author_name")?,
                    kind: r.try_get("kind")?,
                    note: r.try_get("note")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn add_coaching_note(
        &self,
        viewer: &Viewer,
        person: i64,
        kind: NoteKind,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        require_above(&mut tx, viewer, person).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO coaching_notes (org_id, person_id, author_id, kind, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(person)
        .bind(viewer.user_id)
        .bind(kind.as_str())
        .bind(note)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "user",
                person,
                "update",
                &[FieldChange {
                    field: "coaching_note".into(),
                    before: None,
                    after: Some(note.to_string()),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }
}
