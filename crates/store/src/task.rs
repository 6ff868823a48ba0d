//! Written commands (`domain::task`): given by a person's own superior (or the clerk's task
//! notices), reached by the assigner, the assignee and everyone above the assignee (a
//! skip-level superior inspects), reported on by the assignee.

use crate::audit::Audit;
use crate::sql::{push_in_scope, Sql};
use crate::{customer_scope_check, parse_ts, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::task::{check_assigner, is_overdue, next_status, Status, Step, TaskFields};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Task {
    pub id: i64,
    pub assigner_id: i64,
    pub assigner_name: Option<String>,
    pub assignee_id: i64,
    pub assignee_name: Option<String>,
    pub title: String,
    pub place: String,
    pub plan: String,
    pub check: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub due_at: String,
    pub status: String,
    pub acknowledged_at: Option<String>,
    pub done_at: Option<String>,
    /// Open past its time, at the moment of reading.
    pub overdue: bool,
    pub version: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskEvent {
    pub user_name: Option<String>,
    pub step: String,
    pub body: String,
    pub created_at: String,
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskView {
    /// Assigned to the viewer.
    #[default]
    Mine,
    /// Given by the viewer.
    Given,
    /// Assigned to anyone below the viewer (inspection).
    Team,
}

const COLUMNS: &str = "t.id, t.assigner_id, g.display_name AS assigner_name, t.assignee_id, a.display_name AS assignee_name, \
    t.title, t.place, t.plan, t.check_method, t.customer_id, c.name AS customer_name, t.due_at, t.status, \
    t.acknowledged_at, t.done_at, t.version, t.created_at";
const FROM: &str = " FROM tasks t LEFT JOIN users g ON g.id = t.assigner_id AND g.org_id = t.org_id LEFT JOIN users a ON a.id = t.assignee_id AND a.org_id = t.org_id \
    LEFT JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id WHERE";

fn from_row(r: &AnyRow, now: DateTime<Utc>) -> Result<Task> {
    let status: String = r.try_get("status")?;
    let due_at: String = r.try_get("due_at")?;
    let parsed = Status::parse(&status)
        .map_err(|_| StoreError::Corrupt(format!("task status {status:?}")))?;
    Ok(Task {
        id: r.try_get("id")?,
        assigner_id: r.try_get("assigner_id")?,
        assigner_name: r.try_get("assigner_name")?,
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        title: r.try_get("title")?,
        place: r.try_get("place")?,
        plan: r.try_get("plan")?,
        check: r.try_get("check_method")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        overdue: is_overdue(parsed, parse_ts(&due_at)?, now),
        due_at,
        status,
        acknowledged_at: r.try_get("acknowledged_at")?,
        done_at: r.try_get("done_at")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Tasks the viewer reaches: given by them, or assigned to them or anyone below them.
fn push_reach(sql: &mut Sql, viewer: &Viewer) {
    sql.push(" t.org_id = ")
        .bind(viewer.org_id)
        .push(" AND (t.assigner_id = ")
        .bind(viewer.user_id)
        .push(" OR");
    push_in_scope(sql, viewer, "t.assignee_id");
    sql.push(")");
}

async fn load(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Task> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
    push_reach(&mut sql, viewer);
    sql.push(" AND t.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row, now)
}

impl Store {
    /// Gives a command: to one's own report (or, for the clerk, a task notice to anyone in her
    /// scope); a customer named must be within the assigner's scope.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn give_task(
        &self,
        viewer: &Viewer,
        f: &TaskFields,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let mut tx = self.write.begin().await?;
        let id = insert_task(&mut tx, viewer, f, now).await?;
        let task = load(&mut tx, viewer, id, now).await?;
        tx.commit().await?;
        Ok(task)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn task(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<(Task, Vec<TaskEvent>)> {
        let mut tx = self.read.begin().await?;
        let task = load(&mut tx, viewer, id, now).await?;
        let rows = sqlx::query(
            "SELECT u.display_name AS user_name, e.step, e.body, e.created_at FROM task_events e \
             LEFT JOIN users u ON u.id = e.user_id AND u.org_id = e.org_id WHERE e.org_id = $1 AND e.task_id = $2 ORDER BY e.id",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let events = rows
            .iter()
            .map(|r| {
                Ok(TaskEvent {
                    user_name: r.try_get("user_name")?,
                    step: r.try_get("step")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((task, events))
    }

    /// Tasks of one view, open ones first by their time, then the latest finished; `overdue`
    /// keeps the open ones past their time.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn tasks(
        &self,
        viewer: &Viewer,
        view: TaskView,
        overdue_only: bool,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Task>, i64)> {
        let build = |select: &str| {
            let mut sql = Sql::new(select);
            push_reach(&mut sql, viewer);
            match view {
                TaskView::Mine => sql.push(" AND t.assignee_id = ").bind(viewer.user_id),
                TaskView::Given => sql.push(" AND t.assigner_id = ").bind(viewer.user_id),
                TaskView::Team => sql.push(" AND t.assignee_id <> ").bind(viewer.user_id),
            };
            if overdue_only {
                sql.push(" AND t.status IN ('assigned', 'acknowledged') AND t.due_at < ")
                    .bind(ts(now));
            }
            sql
        };
        let total: i64 = build(&format!("SELECT COUNT(*){FROM}"))
            .query()
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        let mut list = build(&format!("SELECT {COLUMNS}{FROM}"));
        list.push(
            " ORDER BY CASE WHEN t.status IN ('assigned', 'acknowledged') THEN 0 ELSE 1 END, \
             CASE WHEN t.status IN ('assigned', 'acknowledged') THEN t.due_at ELSE '' END, t.updated_at DESC, t.id DESC LIMIT ",
        )
        .bind(limit.clamp(1, 200));
        let rows = list.query().fetch_all(&self.read).await?;
        Ok((
            rows.iter()
                .map(|r| from_row(r, now))
                .collect::<Result<_>>()?,
            total,
        ))
    }

    /// The viewer's open tasks due before `until`, the nearest first (the due list).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn tasks_due(
        &self,
        viewer: &Viewer,
        until: DateTime<Utc>,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Task>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        push_reach(&mut sql, viewer);
        sql.push(" AND t.assignee_id = ")
            .bind(viewer.user_id)
            .push(" AND t.status IN ('assigned', 'acknowledged') AND t.due_at < ")
            .bind(ts(until))
            .push(" ORDER BY t.due_at, t.id LIMIT ")
            .bind(limit.clamp(1, 200));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| from_row(r, now))
            .collect()
    }

    /// A step on a task by the viewer: the assignee acknowledges, reports progress and
    /// completion; the assigner withdraws it. A stale version is refused.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn task_step(
        &self,
        viewer: &Viewer,
        id: i64,
        step: Step,
        note: &str,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let mut tx = self.write.begin().await?;
        let task = load(&mut tx, viewer, id, now).await?;
        if task.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: task.version,
            });
        }
        let from = Status::parse(&task.status)?;
        let to = next_status(
            from,
            step,
            viewer.user_id,
            task.assigner_id,
            task.assignee_id,
        )
        .map_err(yingpan_domain::Refusal::from)?;
        let at = ts(now);
        sqlx::query(
            "UPDATE tasks SET status = $1, acknowledged_at = COALESCE(acknowledged_at, $2), done_at = $3, \
             version = version + 1, updated_at = $4 WHERE org_id = $7 AND id = $5 AND version = $6",
        )
        .bind(to.as_str())
        .bind((step != Step::Cancel).then(|| at.clone()))
        .bind((to == Status::Done).then(|| at.clone()))
        .bind(&at)
        .bind(id)
        .bind(task.version)
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO task_events (org_id, task_id, user_id, step, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(viewer.org_id)
        .bind(id)
        .bind(viewer.user_id)
        .bind(step.as_str())
        .bind(note)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let change = if from == to {
            FieldChange {
                field: "progress".into(),
                before: None,
                after: Some(note.to_string()),
            }
        } else {
            FieldChange {
                field: "status".into(),
                before: Some(from.as_str().into()),
                after: Some(to.as_str().into()),
            }
        };
        Audit::by(viewer, now)
            .record(&mut tx, "task", id, "update", &[change])
            .await?;
        let task = load(&mut tx, viewer, id, now).await?;
        tx.commit().await?;
        Ok(task)
    }
}

/// Gives a command in `tx` (see [`Store::give_task`]): checked, written and audited.
pub(crate) async fn insert_task(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    f: &TaskFields,
    now: DateTime<Utc>,
) -> Result<i64> {
    let row =
        sqlx::query("SELECT superior_id FROM users WHERE org_id = $1 AND id = $2 AND active = 1")
            .bind(viewer.org_id)
            .bind(f.assignee_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| {
                yingpan_domain::ValidationError::new(
                    "assignee_id",
                    "unknown_person",
                    "no such active colleague",
                )
            })?;
    let superior: Option<i64> = row.try_get(0)?;
    check_assigner(viewer.user_id, viewer.role, superior).map_err(yingpan_domain::Refusal::from)?;
    if viewer.role == yingpan_domain::person::Role::Clerk && superior != Some(viewer.user_id) {
        // A notice goes to someone the clerk serves: within her scope.
        if !crate::sql::active_person(tx, viewer, f.assignee_id, false).await? {
            return Err(yingpan_domain::Refusal::from(
                yingpan_domain::task::TaskRefusal::NotYourReport,
            )
            .into());
        }
    }
    if let Some(c) = f.customer_id {
        customer_scope_check(tx, viewer, c).await?;
    }
    let at = ts(now);
    let id: i64 = sqlx::query(
            "INSERT INTO tasks (org_id, assigner_id, assignee_id, title, place, plan, check_method, customer_id, due_at, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'assigned', $10, $10) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(f.assignee_id)
        .bind(&f.title)
        .bind(&f.place)
        .bind(&f.plan)
        .bind(&f.check)
        .bind(f.customer_id)
        .bind(ts(f.due_at))
        .bind(&at)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    Audit::by(viewer, now)
        .record(
            tx,
            "task",
            id,
            "create",
            &[
                FieldChange {
                    field: "title".into(),
                    before: None,
                    after: Some(f.title.clone()),
                },
                FieldChange {
                    field: "assignee_id".into(),
                    before: None,
                    after: Some(f.assignee_id.to_string()),
                },
            ],
        )
        .await?;
    Ok(id)
}
