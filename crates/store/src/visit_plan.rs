//! Daily visit plans: drafting, submission (with lateness), review by a superior, amendments.

use crate::audit::Audit;
use crate::sql::{push_scope, push_scope_on, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::visit_plan::{
    china_offset, is_late, transition, PlanAction, PlanActor, PlanItem, PlanRefusal, PlanStatus,
};
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitPlan {
    pub id: i64,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub plan_date: String,
    pub revision: i64,
    pub items: Vec<PlanItem>,
    pub status: PlanStatus,
    pub submitted_at: Option<String>,
    pub late: bool,
    pub reviewed_by: Option<i64>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_comment: Option<String>,
    pub version: i64,
}

const COLUMNS: &str = "p.id, p.user_id, u.display_name AS user_name, p.plan_date, p.revision, p.items, p.status, \
    p.submitted_at, p.late, p.reviewed_by, r.display_name AS reviewer_name, p.reviewed_at, p.review_comment, p.version";
const FROM: &str = "FROM visit_plans p JOIN users u ON u.id = p.user_id AND u.org_id = p.org_id LEFT JOIN users r ON r.id = p.reviewed_by AND r.org_id = p.org_id WHERE";

impl VisitPlan {
    fn from_row(row: &AnyRow) -> Result<Self> {
        let items: String = row.try_get("items")?;
        let status: String = row.try_get("status")?;
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            user_name: row.try_get("user_name")?,
            plan_date: row.try_get("plan_date")?,
            revision: row.try_get("revision")?,
            items: serde_json::from_str(&items).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            status: PlanStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(status.clone()))?,
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

#[derive(Debug, Clone, Default, utoipa::ToSchema)]
pub struct PlanQuery {
    pub user_id: Option<i64>,
    pub date: Option<NaiveDate>,
    pub status: Option<PlanStatus>,
}

pub(crate) async fn load(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
) -> Result<VisitPlan> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
    push_scope_on(&mut sql, viewer, "p", "user_id");
    sql.push(" AND p.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    VisitPlan::from_row(&row)
}

fn items_json(items: &[PlanItem]) -> String {
    serde_json::to_string(items).expect("plan items serialise")
}

fn check_version(plan: &VisitPlan, version: i64) -> Result<()> {
    if plan.version != version {
        return Err(StoreError::VersionConflict {
            current: plan.version,
        });
    }
    Ok(())
}

fn refused(r: PlanRefusal) -> StoreError {
    yingpan_domain::Refusal::from(r).into()
}

/// The domain's decision on `action`, checked as before: who acts, then the version the
/// client read, then the plan's status.
fn decide(
    plan: &VisitPlan,
    action: PlanAction,
    actor: PlanActor,
    version: Option<i64>,
) -> Result<PlanStatus> {
    let next = transition(plan.status, action, actor);
    if let Err(r) = next {
        if r.is_about_the_actor() {
            return Err(refused(r));
        }
    }
    if let Some(v) = version {
        check_version(plan, v)?;
    }
    next.map_err(refused)
}

fn author(plan: &VisitPlan, viewer: &Viewer) -> PlanActor {
    PlanActor {
        is_author: plan.user_id == viewer.user_id,
        is_superior: false,
    }
}

/// A planned visit may name a registered customer: one the planner may see, or one in the pool
/// (a visit to win it). Anything else is refused naming the row, so a plan cannot point at
/// another salesperson's customer.
async fn check_linked_customers(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    items: &[PlanItem],
) -> Result<()> {
    let mut ids: Vec<i64> = items.iter().filter_map(|i| i.customer_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new("SELECT c.id FROM customers c WHERE");
    push_scope(&mut sql, viewer, "c");
    sql.push(" AND c.deleted_at IS NULL AND c.id IN ")
        .bind_list(&ids)
        .push(" UNION SELECT p.id FROM customers p WHERE p.org_id = ")
        .bind(viewer.org_id)
        .push(" AND p.owner_id IS NULL AND p.deleted_at IS NULL AND p.id IN ")
        .bind_list(&ids);
    let found: std::collections::HashSet<i64> =
        crate::sql::first_ids(&sql.query().fetch_all(&mut **tx).await?)?;
    if let Some(row) = items
        .iter()
        .position(|i| i.customer_id.is_some_and(|id| !found.contains(&id)))
    {
        return Err(ValidationError::new(
            "items",
            "unknown_customer",
            format!(
                "row {}: choose one of your customers or a customer in the pool",
                row + 1
            ),
        )
        .into());
    }
    Ok(())
}

impl Store {
    /// A new draft plan for the viewer's day; one plan per day (amend an approved one instead).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_plan(
        &self,
        viewer: &Viewer,
        date: NaiveDate,
        items: &[PlanItem],
        now: DateTime<Utc>,
    ) -> Result<VisitPlan> {
        let mut tx = self.write.begin().await?;
        let exists: i64 = sqlx::query("SELECT COUNT(*) FROM visit_plans WHERE org_id = $1 AND user_id = $2 AND plan_date = $3")
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .bind(date.to_string())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if exists > 0 {
            return Err(StoreError::rule(
                "plan_exists",
                "there is already a plan for this day; edit or amend it",
            ));
        }
        check_linked_customers(&mut tx, viewer, items).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO visit_plans (org_id, user_id, plan_date, items, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(date.to_string())
        .bind(items_json(items))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let changes = vec![FieldChange {
            field: "plan_date".into(),
            before: None,
            after: Some(date.to_string()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "visit_plan", id, "create", &changes)
            .await?;
        let plan = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn plan(&self, viewer: &Viewer, id: i64) -> Result<VisitPlan> {
        let mut tx = self.read.begin().await?;
        let p = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Plans of the people in the viewer's scope, newest day first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn plans(
        &self,
        viewer: &Viewer,
        q: &PlanQuery,
        limit: i64,
    ) -> Result<Vec<VisitPlan>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} {FROM}"));
        push_scope_on(&mut sql, viewer, "p", "user_id");
        if let Some(u) = q.user_id {
            sql.push(" AND p.user_id = ").bind(u);
        }
        if let Some(d) = q.date {
            sql.push(" AND p.plan_date = ").bind(d.to_string());
        }
        if let Some(s) = q.status {
            sql.push(" AND p.status = ").bind(s.as_str());
        }
        sql.push(" ORDER BY p.plan_date DESC, p.user_id, p.revision DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(VisitPlan::from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_plan_items(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        items: &[PlanItem],
        now: DateTime<Utc>,
    ) -> Result<VisitPlan> {
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        decide(
            &plan,
            PlanAction::Edit,
            author(&plan, viewer),
            Some(version),
        )?;
        check_linked_customers(&mut tx, viewer, items).await?;
        sqlx::query("UPDATE visit_plans SET items = $1, version = version + 1, updated_at = $2 WHERE org_id = $4 AND id = $3")
            .bind(items_json(items))
            .bind(ts(now))
            .bind(id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let changes = vec![FieldChange {
            field: "items".into(),
            before: Some(plan.items.len().to_string()),
            after: Some(items.len().to_string()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "visit_plan", id, "update", &changes)
            .await?;
        let plan = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// Sends the plan to the supervisor; records whether it came after the day's deadline.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn submit_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<VisitPlan> {
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        decide(
            &plan,
            PlanAction::Submit,
            author(&plan, viewer),
            Some(version),
        )?;
        if plan.items.is_empty() {
            return Err(
                ValidationError::new("items", "required", "plan at least one visit").into(),
            );
        }
        let date = NaiveDate::parse_from_str(&plan.plan_date, "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let late = is_late(date, now, china_offset());
        sqlx::query(
            "UPDATE visit_plans SET status = 'submitted', submitted_at = $1, late = $2, version = version + 1, updated_at = $1 WHERE org_id = $4 AND id = $3",
        )
        .bind(ts(now))
        .bind(i64::from(late))
        .bind(id)
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        let changes = vec![
            FieldChange {
                field: "status".into(),
                before: Some(plan.status.as_str().into()),
                after: Some("submitted".into()),
            },
            FieldChange {
                field: "late".into(),
                before: None,
                after: Some(late.to_string()),
            },
        ];
        Audit::by(viewer, now)
            .record(&mut tx, "visit_plan", id, "submit", &changes)
            .await?;
        let plan = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// A superior of the author approves or returns (with a comment) a submitted plan.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn review_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        approve: bool,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<VisitPlan> {
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        let actor = PlanActor {
            is_author: plan.user_id == viewer.user_id,
            is_superior: crate::org::is_superior(&mut *tx, viewer, plan.user_id).await?,
        };
        let action = if approve {
            PlanAction::Approve
        } else {
            PlanAction::Return
        };
        let status = decide(&plan, action, actor, Some(version))?;
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if !approve && comment.is_none() {
            return Err(ValidationError::new(
                "comment",
                "required",
                "say why the plan is returned",
            )
            .into());
        }
        if comment.is_some_and(|c| c.chars().count() > 2000) {
            return Err(ValidationError::new(
                "comment",
                "too_long",
                "must be at most 2000 characters",
            )
            .into());
        }
        sqlx::query(
            "UPDATE visit_plans SET status = $1, reviewed_by = $2, reviewed_at = $3, review_comment = $4, version = version + 1, \
             updated_at = $3 WHERE org_id = $6 AND id = $5",
        )
        .bind(status.as_str())
        .bind(viewer.user_id)
        .bind(ts(now))
        .bind(comment.map(str::to_string))
        .bind(id)
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        let changes = vec![FieldChange {
            field: "status".into(),
            before: Some("submitted".into()),
            after: Some(status.as_str().into()),
        }];
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "visit_plan",
                id,
                if approve { "approve" } else { "return" },
                &changes,
            )
            .await?;
        let plan = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// An approved plan stays as it was; an amendment is a new draft revision of the same day.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn amend_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<VisitPlan> {
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        decide(&plan, PlanAction::Amend, author(&plan, viewer), None)?;
        let latest: i64 = sqlx::query("SELECT MAX(revision) FROM visit_plans WHERE org_id = $1 AND user_id = $2 AND plan_date = $3")
            .bind(viewer.org_id)
            .bind(plan.user_id)
            .bind(&plan.plan_date)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if latest != plan.revision {
            return Err(StoreError::rule(
                "plan_superseded",
                "a newer revision of this plan exists",
            ));
        }
        let new_id: i64 = sqlx::query(
            "INSERT INTO visit_plans (org_id, user_id, plan_date, revision, items, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(plan.user_id)
        .bind(&plan.plan_date)
        .bind(plan.revision + 1)
        .bind(items_json(&plan.items))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let changes = vec![FieldChange {
            field: "revision".into(),
            before: Some(plan.revision.to_string()),
            after: Some((plan.revision + 1).to_string()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "visit_plan", new_id, "amend", &changes)
            .await?;
        let plan = load(&mut tx, viewer, new_id).await?;
        tx.commit().await?;
        Ok(plan)
    }
}
