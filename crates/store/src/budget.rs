//! Budgets: each team's monthly sales and expense budget, against the team's sales (from the
//! rollups) and expenses (daily reports and settled advances); the figures are the domain's
//! (`budget::figures`).

use crate::audit::Audit;
use crate::{decimal as dec, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::Row;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::budget::{figures, BudgetFacts, BudgetFigures};
use yingpan_domain::person::{Role, Scope};
use yingpan_domain::weekly_report::Period;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamBudget {
    pub supervisor_id: i64,
    pub supervisor_name: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub sales_budget: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub expense_budget: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub sales: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub expenses: Decimal,
    #[serde(flatten)]
    pub figures: BudgetFigures,
    /// The stored budget's version (0: none set).
    pub version: i64,
}

fn month_key(p: Period) -> String {
    p.start.format("%Y-%m").to_string()
}

impl Store {
    /// The month's budget of every team in the viewer's scope (a supervisor: their own team and
    /// the teams below; a director: every team).
    pub async fn budgets(&self, viewer: &Viewer, month: Period) -> Result<Vec<TeamBudget>> {
        let people = self.people_in_scope(viewer).await?;
        let supervisors: Vec<&crate::User> = people
            .iter()
            .filter(|u| u.active && u.role == Role::Supervisor)
            .collect();
        if supervisors.is_empty() {
            return Ok(Vec::new());
        }
        // Everyone's sales and expenses in scope, read once; each team adds up its own people.
        let root = (viewer.scope != Scope::All).then_some(viewer.user_id);
        let sales_of: std::collections::HashMap<i64, Decimal> = self
            .period_tallies(viewer.org_id, root, month)
            .await?
            .into_iter()
            .map(|(who, t)| (who, t.sales))
            .collect();
        let spent_of = self.expenses_by_person(viewer, month).await?;
        let line = yingpan_domain::hierarchy::ReportingLine::new(
            people.iter().map(|u| (u.id, u.superior_id)),
        );
        let mut out = Vec::new();
        for s in supervisors {
            let stored = sqlx::query(
                "SELECT sales, expenses, version FROM budgets WHERE org_id = $1 AND supervisor_id = $2 AND month = $3",
            )
            .bind(viewer.org_id)
            .bind(s.id)
            .bind(month_key(month))
            .fetch_optional(&self.read)
            .await?;
            let (sales_budget, expense_budget, version) = match &stored {
                Some(r) => (
                    r.try_get::<Option<String>, _>("sales")?
                        .map(|v| dec(&v))
                        .transpose()?,
                    r.try_get::<Option<String>, _>("expenses")?
                        .map(|v| dec(&v))
                        .transpose()?,
                    r.try_get("version")?,
                ),
                None => (None, None, 0),
            };
            let mut team = line.subordinates(s.id);
            team.push(s.id);
            team.sort_unstable();
            team.dedup();
            let sales = team.iter().filter_map(|p| sales_of.get(p)).copied().sum();
            let expenses = team.iter().filter_map(|p| spent_of.get(p)).copied().sum();
            let facts = BudgetFacts {
                sales_budget,
                expense_budget,
                sales,
                expenses,
            };
            out.push(TeamBudget {
                supervisor_id: s.id,
                supervisor_name: s.display_name.clone(),
                figures: figures(&facts),
                sales_budget,
                expense_budget,
                sales,
                expenses,
                version,
            });
        }
        Ok(out)
    }

    /// Sets a team's budget for the month (blank: none). `expected_version` 0 for a new one.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_budget(
        &self,
        viewer: &Viewer,
        month: Period,
        supervisor_id: i64,
        sales: Option<Decimal>,
        expenses: Option<Decimal>,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<TeamBudget> {
        let supervisor = self
            .user(viewer.org_id, supervisor_id)
            .await
            .ok()
            .filter(|u| u.role == Role::Supervisor && u.active)
            .ok_or_else(|| {
                yingpan_domain::ValidationError::new(
                    "supervisor_id",
                    "not_a_team",
                    "a budget is set for a team, named by its supervisor",
                )
            })?;
        let key = month_key(month);
        let mut tx = self.write.begin().await?;
        let current = sqlx::query(
            "SELECT sales, expenses, version FROM budgets WHERE org_id = $1 AND supervisor_id = $2 AND month = $3",
        )
        .bind(viewer.org_id)
        .bind(supervisor_id)
        .bind(&key)
        .fetch_optional(&mut *tx)
        .await?;
        let version: i64 = current
            .as_ref()
            .map(|r| r.try_get("version"))
            .transpose()?
            .unwrap_or(0);
        if version != expected_version {
            return Err(StoreError::VersionConflict { current: version });
        }
        let text = |d: Option<Decimal>| d.map(|d| d.normalize().to_string());
        let before = current
            .as_ref()
            .map(|r| -> Result<String> {
                Ok(format!(
                    "{} / {}",
                    r.try_get::<Option<String>, _>("sales")?.unwrap_or_default(),
                    r.try_get::<Option<String>, _>("expenses")?
                        .unwrap_or_default()
                ))
            })
            .transpose()?;
        if current.is_some() {
            sqlx::query(
                "UPDATE budgets SET sales = $1, expenses = $2, version = version + 1, updated_by = $3, updated_at = $4 \
                 WHERE org_id = $5 AND supervisor_id = $6 AND month = $7",
            )
            .bind(text(sales))
            .bind(text(expenses))
            .bind(viewer.user_id)
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(supervisor_id)
            .bind(&key)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO budgets (org_id, supervisor_id, month, sales, expenses, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(viewer.org_id)
            .bind(supervisor_id)
            .bind(&key)
            .bind(text(sales))
            .bind(text(expenses))
            .bind(viewer.user_id)
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "budget",
                supervisor_id,
                if current.is_some() {
                    "update"
                } else {
                    "create"
                },
                &[FieldChange {
                    field: format!("budget {key} · {}", supervisor.display_name),
                    before,
                    after: Some(format!(
                        "{} / {}",
                        text(sales).unwrap_or_default(),
                        text(expenses).unwrap_or_default()
                    )),
                }],
            )
            .await?;
        tx.commit().await?;
        let all = Viewer {
            scope: Scope::All,
            ..*viewer
        };
        self.budgets(&all, month)
            .await?
            .into_iter()
            .find(|b| b.supervisor_id == supervisor_id)
            .ok_or(StoreError::NotFound)
    }
}
