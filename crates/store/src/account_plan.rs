//! Account plans (`domain::account_plan`): reached by the account manager and everyone whose
//! scope holds them; written by the manager as revisions, reviewed by the manager's own
//! superior; an approved revision's actions become the manager's tasks in the same
//! transaction.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope_on, Sql};
use crate::{parse_ts, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Datelike, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use yingpan_domain::account_plan::{
    action_due, assign_keys, check_edit, check_eligible, check_evaluation, check_evaluator,
    compare, next_status, restamp, Difference, PlanContent, Stamp, Status, Step,
};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::Refusal;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountPlan {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub manager_id: i64,
    pub manager_name: Option<String>,
    pub year: i64,
    pub latest_revision: i64,
    /// The latest revision's status.
    pub status: String,
    pub version: i64,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanRevision {
    pub number: i64,
    pub status: String,
    pub content: PlanContent,
    /// Part → who filled it and when.
    pub stamps: BTreeMap<String, Stamp>,
    pub submitted_at: Option<String>,
    pub reviewer_name: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_note: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanEvaluation {
    pub evaluator_name: Option<String>,
    pub management_score: i64,
    pub people_score: i64,
    pub note: String,
    pub created_at: String,
}

/// What the records say about the account, beside what the manager writes.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct PlanFacts {
    /// (year, orders' total) for the plan's year and the two before it.
    pub sales_by_year: Vec<(i32, Decimal)>,
    /// Products the customer bought: (name, amount), the largest first.
    pub bought: Vec<(String, Decimal)>,
    /// Products on sale the customer has not bought (product penetration).
    pub not_bought: Vec<String>,
    /// Tickets the customer raised: (id, subject, status), the latest first.
    pub tickets: Vec<(i64, String, String)>,
    /// Each approved action's task: action key → task id.
    pub tasks: BTreeMap<String, i64>,
    /// The customer's answered satisfaction surveys and their mean score (the report card).
    pub surveys_answered: i64,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub survey_mean: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanDetail {
    pub plan: AccountPlan,
    pub revision: PlanRevision,
    /// Every revision's number and status, the first first.
    pub revisions: Vec<(i64, String)>,
    pub evaluations: Vec<PlanEvaluation>,
    pub facts: PlanFacts,
}

const COLUMNS: &str =
    "p.id, p.customer_id, c.name AS customer_name, p.manager_id, u.display_name AS manager_name, \
    p.year, p.latest_revision, p.status, p.version, p.updated_at";
const FROM: &str =
    " FROM account_plans p JOIN customers c ON c.id = p.customer_id AND c.org_id = p.org_id \
    LEFT JOIN users u ON u.id = p.manager_id AND u.org_id = p.org_id WHERE";

fn from_row(r: &AnyRow) -> Result<AccountPlan> {
    Ok(AccountPlan {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        manager_id: r.try_get("manager_id")?,
        manager_name: r.try_get("manager_name")?,
        year: r.try_get("year")?,
        latest_revision: r.try_get("latest_revision")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("account plan {what}: {e}"))
}

async fn load(conn: &mut sqlx::AnyConnection, viewer: &Viewer, id: i64) -> Result<AccountPlan> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
    push_scope_on(&mut sql, viewer, "p", "manager_id");
    sql.push(" AND p.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

async fn revision(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    plan_id: i64,
    number: i64,
) -> Result<PlanRevision> {
    let r = sqlx::query(
        "SELECT r.number, r.status, r.content, r.stamps, r.submitted_at, u.display_name AS reviewer_name, r.reviewed_at, \
         r.review_note, r.created_at FROM account_plan_revisions r LEFT JOIN users u ON u.id = r.reviewer_id AND u.org_id = r.org_id \
         WHERE r.org_id = $1 AND r.plan_id = $2 AND r.number = $3",
    )
    .bind(org_id)
    .bind(plan_id)
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let content: String = r.try_get("content")?;
    let stamps: String = r.try_get("stamps")?;
    Ok(PlanRevision {
        number: r.try_get("number")?,
        status: r.try_get("status")?,
        content: serde_json::from_str(&content).map_err(|e| corrupt("content", e))?,
        stamps: serde_json::from_str(&stamps).map_err(|e| corrupt("stamps", e))?,
        submitted_at: r.try_get("submitted_at")?,
        reviewer_name: r.try_get("reviewer_name")?,
        reviewed_at: r.try_get("reviewed_at")?,
        review_note: r.try_get("review_note")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The orders' total of a customer per China-time year, for `years`.
async fn sales_by_year(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    customer_id: i64,
    years: std::ops::RangeInclusive<i32>,
) -> Result<Vec<(i32, Decimal)>> {
    let rows =
        sqlx::query("SELECT total, created_at FROM orders WHERE org_id = $1 AND customer_id = $2")
            .bind(org_id)
            .bind(customer_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut by_year: BTreeMap<i32, Decimal> = years.clone().map(|y| (y, Decimal::ZERO)).collect();
    for r in rows {
        let at = parse_ts(&r.try_get::<String, _>("created_at")?)?;
        let year = at.with_timezone(&china_offset()).year();
        let total: String = r.try_get("total")?;
        if let Some(sum) = by_year.get_mut(&year) {
            *sum += total
                .parse::<Decimal>()
                .map_err(|e| corrupt("order total", e))?;
        }
    }
    Ok(by_year.into_iter().rev().collect())
}

async fn facts(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    plan: &AccountPlan,
) -> Result<PlanFacts> {
    let year = plan.year as i32;
    let sales_by_year = sales_by_year(conn, org_id, plan.customer_id, year - 2..=year).await?;
    let rows = sqlx::query(
        "SELECT l.product_id, l.product_name, l.amount FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id \
         WHERE o.org_id = $1 AND o.customer_id = $2",
    )
    .bind(org_id)
    .bind(plan.customer_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut bought: BTreeMap<i64, (String, Decimal)> = BTreeMap::new();
    for r in rows {
        let amount: String = r.try_get("amount")?;
        let entry = bought
            .entry(r.try_get("product_id")?)
            .or_insert_with(|| (String::new(), Decimal::ZERO));
        entry.0 = r.try_get("product_name")?;
        entry.1 += amount
            .parse::<Decimal>()
            .map_err(|e| corrupt("line amount", e))?;
    }
    let products =
        sqlx::query("SELECT id, name FROM products WHERE org_id = $1 AND active = 1 ORDER BY code")
            .bind(org_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut not_bought = Vec::new();
    for r in products {
        if !bought.contains_key(&r.try_get::<i64, _>("id")?) {
            not_bought.push(r.try_get("name")?);
        }
    }
    let mut bought: Vec<(String, Decimal)> = bought.into_values().collect();
    bought.sort_by_key(|b| std::cmp::Reverse(b.1));
    let tickets = sqlx::query(
        "SELECT id, subject, status FROM tickets WHERE org_id = $1 AND customer_id = $2 ORDER BY id DESC LIMIT 20",
    )
    .bind(org_id)
    .bind(plan.customer_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("subject")?, r.try_get("status")?)))
    .collect::<Result<_>>()?;
    let tasks = sqlx::query(
        "SELECT action_key, task_id FROM account_plan_tasks WHERE org_id = $1 AND plan_id = $2",
    )
    .bind(org_id)
    .bind(plan.id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("action_key")?, r.try_get("task_id")?)))
    .collect::<Result<_>>()?;
    let scores = sqlx::query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(score_sum), 0) AS BIGINT), CAST(COALESCE(SUM(score_count), 0) AS BIGINT) FROM survey_invitations \
         WHERE org_id = $1 AND customer_id = $2 AND answered_at IS NOT NULL",
    )
    .bind(org_id)
    .bind(plan.customer_id)
    .fetch_one(&mut *conn)
    .await?;
    let (answered, sum, count): (i64, i64, i64) =
        (scores.try_get(0)?, scores.try_get(1)?, scores.try_get(2)?);
    Ok(PlanFacts {
        sales_by_year,
        bought,
        not_bought,
        tickets,
        tasks,
        surveys_answered: answered,
        survey_mean: (count > 0).then(|| (Decimal::from(sum) / Decimal::from(count)).round_dp(1)),
    })
}

/// The manager's own superior, read in `tx`.
async fn superior_of(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    person: i64,
) -> Result<Option<i64>> {
    Ok(
        sqlx::query("SELECT superior_id FROM users WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(person)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?,
    )
}

async fn touch(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    plan: &AccountPlan,
    latest: i64,
    status: Status,
    at: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE account_plans SET latest_revision = $1, status = $2, version = version + 1, updated_at = $3 \
         WHERE org_id = $6 AND id = $4 AND version = $5",
    )
    .bind(latest)
    .bind(status.as_str())
    .bind(at)
    .bind(plan.id)
    .bind(plan.version)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::VersionConflict {
            current: plan.version + 1,
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

impl Store {
    /// Starts a customer's plan for a year: the customer within the viewer's scope, a core or
    /// core-potential account with an owner, who becomes its account manager. The first
    /// revision is a draft with last year's sales filled in from the orders.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_account_plan(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        year: i32,
        now: DateTime<Utc>,
    ) -> Result<PlanDetail> {
        let mut tx = self.write.begin().await?;
        let customer = load_customer(&mut tx, viewer, customer_id, false).await?;
        check_eligible(customer.qualification.key_account_class).map_err(Refusal::from)?;
        let manager = customer.owner_id.ok_or(StoreError::Rule {
            code: "no_owner",
            message: "a customer in the pool has no account manager; assign it first".into(),
        })?;
        let exists: i64 = sqlx::query(
            "SELECT COUNT(*) FROM account_plans WHERE org_id = $1 AND customer_id = $2 AND year = $3",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(i64::from(year))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if exists > 0 {
            return Err(StoreError::Rule {
                code: "plan_exists",
                message: "this customer already has a plan for that year; revise it".into(),
            });
        }
        let last_year = sales_by_year(&mut tx, viewer.org_id, customer_id, year - 1..=year - 1)
            .await?
            .first()
            .map(|(_, d)| *d)
            .filter(|d| !d.is_zero());
        let content = PlanContent {
            last_year_result: last_year,
            ..Default::default()
        };
        let at = ts(now);
        let id: i64 = sqlx::query(
            "INSERT INTO account_plans (org_id, customer_id, manager_id, year, latest_revision, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 1, 'draft', $5, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(manager)
        .bind(i64::from(year))
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        insert_revision(
            &mut tx,
            viewer.org_id,
            id,
            1,
            &content,
            &BTreeMap::new(),
            &at,
        )
        .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "account_plan",
                id,
                "create",
                &[
                    change("customer", None, Some(customer.name.clone())),
                    change("year", None, Some(year.to_string())),
                ],
            )
            .await?;
        tx.commit().await?;
        self.account_plan(viewer, id, None).await
    }

    /// A plan with one revision (the latest unless `number` is given), the list of revisions,
    /// evaluations and the facts of the account.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn account_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        number: Option<i64>,
    ) -> Result<PlanDetail> {
        let mut conn = self.read.acquire().await?;
        let plan = load(&mut conn, viewer, id).await?;
        let rev = revision(
            &mut conn,
            viewer.org_id,
            id,
            number.unwrap_or(plan.latest_revision),
        )
        .await?;
        let revisions = sqlx::query(
            "SELECT number, status FROM account_plan_revisions WHERE org_id = $1 AND plan_id = $2 ORDER BY number",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("number")?, r.try_get("status")?)))
        .collect::<Result<_>>()?;
        let evaluations = sqlx::query(
            "SELECT u.display_name AS evaluator_name, e.management_score, e.people_score, e.note, e.created_at \
             FROM account_plan_evaluations e LEFT JOIN users u ON u.id = e.evaluator_id AND u.org_id = e.org_id \
             WHERE e.org_id = $1 AND e.plan_id = $2 ORDER BY e.id DESC",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(PlanEvaluation {
                evaluator_name: r.try_get("evaluator_name")?,
                management_score: r.try_get("management_score")?,
                people_score: r.try_get("people_score")?,
                note: r.try_get("note")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect::<Result<_>>()?;
        let facts = facts(&mut conn, viewer.org_id, &plan).await?;
        Ok(PlanDetail {
            plan,
            revision: rev,
            revisions,
            evaluations,
            facts,
        })
    }

    /// Plans within the viewer's scope, of one year or all, the latest changed first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn account_plans(
        &self,
        viewer: &Viewer,
        year: Option<i32>,
        status: Option<Status>,
        limit: i64,
    ) -> Result<(Vec<AccountPlan>, i64)> {
        let build = |select: &str| {
            let mut sql = Sql::new(select);
            push_scope_on(&mut sql, viewer, "p", "manager_id");
            if let Some(y) = year {
                sql.push(" AND p.year = ").bind(i64::from(y));
            }
            if let Some(s) = status {
                sql.push(" AND p.status = ").bind(s.as_str());
            }
            sql
        };
        let total: i64 = build("SELECT COUNT(*) FROM account_plans p WHERE")
            .query()
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        let mut list = build(&format!("SELECT {COLUMNS}{FROM}"));
        list.push(" ORDER BY p.updated_at DESC, p.id DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        let rows = list.query().fetch_all(&self.read).await?;
        Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
    }

    /// Key accounts within the viewer's scope (core and core potential, with an owner) that
    /// have no plan for `year` yet, by name.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn account_plan_candidates(
        &self,
        viewer: &Viewer,
        year: i32,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let mut sql = Sql::new("SELECT c.id, c.name FROM customers c WHERE");
        crate::sql::push_scope(&mut sql, viewer, "c");
        sql.push(
            " AND c.deleted_at IS NULL AND c.owner_id IS NOT NULL AND c.attractiveness = 'high' \
             AND c.ability_to_win IS NOT NULL AND NOT EXISTS (SELECT 1 FROM account_plans p \
             WHERE p.org_id = c.org_id AND p.customer_id = c.id AND p.year = ",
        )
        .bind(i64::from(year))
        .push(") ORDER BY c.name LIMIT ")
        .bind(limit.clamp(1, 500));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }

    /// Saves the latest revision's content: only the manager, only a draft, only at the
    /// version read. Changed parts are stamped; new actions get their keys.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn save_account_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        mut content: PlanContent,
        now: DateTime<Utc>,
    ) -> Result<PlanDetail> {
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        if plan.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: plan.version,
            });
        }
        let current = revision(&mut tx, viewer.org_id, id, plan.latest_revision).await?;
        check_edit(
            viewer.user_id,
            plan.manager_id,
            Status::parse(&current.status)?,
        )
        .map_err(Refusal::from)?;
        let used = used_keys(&mut tx, viewer.org_id, id).await?;
        assign_keys(&mut content.actions, &used);
        let stamps = restamp(
            &current.content,
            &content,
            &current.stamps,
            viewer.user_id,
            now,
        );
        let at = ts(now);
        sqlx::query(
            "UPDATE account_plan_revisions SET content = $1, stamps = $2, updated_at = $3 \
             WHERE org_id = $4 AND plan_id = $5 AND number = $6",
        )
        .bind(serde_json::to_string(&content).expect("content serialises"))
        .bind(serde_json::to_string(&stamps).expect("stamps serialise"))
        .bind(&at)
        .bind(viewer.org_id)
        .bind(id)
        .bind(plan.latest_revision)
        .execute(&mut *tx)
        .await?;
        touch(
            &mut tx,
            viewer.org_id,
            &plan,
            plan.latest_revision,
            Status::Draft,
            &at,
        )
        .await?;
        let changed: Vec<FieldChange> = compare(&current.content, &content)
            .into_iter()
            .filter(|d| d.changed)
            .map(|d| change(&format!("account_plan.{}", d.field), Some(d.a), Some(d.b)))
            .collect();
        if !changed.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "account_plan", id, "update", &changed)
                .await?;
        }
        tx.commit().await?;
        self.account_plan(viewer, id, None).await
    }

    /// A step on the latest revision: the manager submits or revises, the manager's own
    /// superior approves or returns (with a note). Approval turns the revision's actions into
    /// the manager's tasks, each action once across revisions.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn account_plan_step(
        &self,
        viewer: &Viewer,
        id: i64,
        step: Step,
        note: &str,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<PlanDetail> {
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        if plan.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: plan.version,
            });
        }
        let current = revision(&mut tx, viewer.org_id, id, plan.latest_revision).await?;
        let from = Status::parse(&current.status)?;
        let superior = superior_of(&mut tx, viewer.org_id, plan.manager_id).await?;
        let to = next_status(from, step, viewer.user_id, plan.manager_id, superior)
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
        let mut latest = plan.latest_revision;
        match step {
            Step::Revise => {
                latest += 1;
                insert_revision(
                    &mut tx,
                    viewer.org_id,
                    id,
                    latest,
                    &current.content,
                    &current.stamps,
                    &at,
                )
                .await?;
            }
            Step::Submit => {
                sqlx::query(
                    "UPDATE account_plan_revisions SET status = $1, submitted_at = $2, updated_at = $2 \
                     WHERE org_id = $3 AND plan_id = $4 AND number = $5",
                )
                .bind(to.as_str())
                .bind(&at)
                .bind(viewer.org_id)
                .bind(id)
                .bind(latest)
                .execute(&mut *tx)
                .await?;
            }
            Step::Approve | Step::Return => {
                sqlx::query(
                    "UPDATE account_plan_revisions SET status = $1, reviewer_id = $2, reviewed_at = $3, review_note = $4, \
                     updated_at = $3 WHERE org_id = $5 AND plan_id = $6 AND number = $7",
                )
                .bind(to.as_str())
                .bind(viewer.user_id)
                .bind(&at)
                .bind(note.trim())
                .bind(viewer.org_id)
                .bind(id)
                .bind(latest)
                .execute(&mut *tx)
                .await?;
                if step == Step::Approve {
                    actions_to_tasks(&mut tx, viewer, &plan, &current.content, &at).await?;
                }
            }
        }
        touch(&mut tx, viewer.org_id, &plan, latest, to, &at).await?;
        let mut changes = vec![change(
            "status",
            Some(from.as_str().into()),
            Some(to.as_str().into()),
        )];
        if step == Step::Revise {
            changes.push(change(
                "revision",
                Some((latest - 1).to_string()),
                Some(latest.to_string()),
            ));
        }
        if !note.trim().is_empty() {
            changes.push(change("review_note", None, Some(note.trim().into())));
        }
        Audit::by(viewer, now)
            .record(&mut tx, "account_plan", id, "update", &changes)
            .await?;
        tx.commit().await?;
        self.account_plan(viewer, id, None).await
    }

    /// Two revisions of a plan side by side.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn compare_account_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        a: i64,
        b: i64,
    ) -> Result<(AccountPlan, PlanRevision, PlanRevision, Vec<Difference>)> {
        let mut conn = self.read.acquire().await?;
        let plan = load(&mut conn, viewer, id).await?;
        let ra = revision(&mut conn, viewer.org_id, id, a).await?;
        let rb = revision(&mut conn, viewer.org_id, id, b).await?;
        let diff = compare(&ra.content, &rb.content);
        Ok((plan, ra, rb, diff))
    }

    /// Someone above the account manager scores the account's management and the people.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn evaluate_account_plan(
        &self,
        viewer: &Viewer,
        id: i64,
        management: i64,
        people: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<PlanDetail> {
        check_evaluation(management, people)?;
        let mut tx = self.write.begin().await?;
        let plan = load(&mut tx, viewer, id).await?;
        let line = crate::org::reporting_line(&mut tx, viewer.org_id).await?;
        check_evaluator(&line, viewer.user_id, plan.manager_id).map_err(Refusal::from)?;
        sqlx::query(
            "INSERT INTO account_plan_evaluations (org_id, plan_id, evaluator_id, management_score, people_score, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(viewer.org_id)
        .bind(id)
        .bind(viewer.user_id)
        .bind(management)
        .bind(people)
        .bind(note.trim())
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "account_plan",
                id,
                "update",
                &[change(
                    "evaluation",
                    None,
                    Some(format!("{management} / {people}")),
                )],
            )
            .await?;
        tx.commit().await?;
        self.account_plan(viewer, id, None).await
    }
}

async fn insert_revision(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    plan_id: i64,
    number: i64,
    content: &PlanContent,
    stamps: &BTreeMap<String, Stamp>,
    at: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_plan_revisions (org_id, plan_id, number, content, stamps, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'draft', $6, $6)",
    )
    .bind(org_id)
    .bind(plan_id)
    .bind(number)
    .bind(serde_json::to_string(content).expect("content serialises"))
    .bind(serde_json::to_string(stamps).expect("stamps serialise"))
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every action key a plan has used in any revision.
async fn used_keys(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    plan_id: i64,
) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT content FROM account_plan_revisions WHERE org_id = $1 AND plan_id = $2",
    )
    .bind(org_id)
    .bind(plan_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut keys = Vec::new();
    for r in rows {
        let c: PlanContent =
            serde_json::from_str(&r.try_get::<String, _>(0)?).map_err(|e| corrupt("content", e))?;
        keys.extend(c.actions.into_iter().map(|a| a.key));
    }
    Ok(keys)
}

/// The approved actions not yet tasks become tasks from the reviewer (the manager's own
/// superior) to the manager, on the customer, due at the end of the action's day.
async fn actions_to_tasks(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    plan: &AccountPlan,
    content: &PlanContent,
    at: &str,
) -> Result<()> {
    let done: Vec<String> =
        sqlx::query("SELECT action_key FROM account_plan_tasks WHERE org_id = $1 AND plan_id = $2")
            .bind(viewer.org_id)
            .bind(plan.id)
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
    for action in content.actions.iter().filter(|a| !done.contains(&a.key)) {
        let task_id: i64 = sqlx::query(
            "INSERT INTO tasks (org_id, assigner_id, assignee_id, title, place, plan, check_method, customer_id, due_at, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, '', $5, '', $6, $7, 'assigned', $8, $8) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(plan.manager_id)
        .bind(&action.title)
        .bind(format!("{} · {}", plan.customer_name, plan.year))
        .bind(plan.customer_id)
        .bind(ts(action_due(action.due_on)))
        .bind(at)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        sqlx::query("INSERT INTO account_plan_tasks (org_id, plan_id, action_key, task_id) VALUES ($1, $2, $3, $4)")
            .bind(viewer.org_id)
            .bind(plan.id)
            .bind(&action.key)
            .bind(task_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Today's date in China, for a plan's default year.
pub fn plan_year(now: DateTime<Utc>) -> i32 {
    now.with_timezone(&china_offset()).year()
}
