//! Budgets (预算): each team's monthly sales and expense budget against what it sold and spent,
//! with sales per yuan of expense. Directors set them; supervisors see their teams'.

use crate::described::{answer, Answer};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use yingpan_domain::permission::Action;
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;
use yingpan_store::{parse_month, TeamBudget};

fn month_or_this(raw: Option<&str>, state: &AppState) -> Result<Period, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => parse_month("month", m),
        None => Ok(Period::month_of(state.today())),
    }
}

fn optional_amount(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<Decimal>, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(r) => yingpan_domain::money::parse_amount(field, r).map(Some),
        None => Ok(None),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MonthQuery {
    month: Option<String>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<Budgets>, AppError> {
    let month = month_or_this(q.month.as_deref(), &state)?;
    let items = state.store.budgets(&me.viewer, month).await?;
    Ok(Json(Budgets {
        month: month.start.format("%Y-%m").to_string(),
        total: items.len(),
        items,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct BudgetRequest {
    sales: Option<String>,
    expenses: Option<String>,
    #[serde(default)]
    version: i64,
}

async fn set(
    state: &AppState,
    me: &CurrentUser,
    month: &str,
    supervisor: i64,
    req: &BudgetRequest,
) -> Result<TeamBudget, AppError> {
    me.may(Action::SetBudgets)?;
    let month = parse_month("month", month)?;
    let sales = optional_amount("sales", req.sales.as_deref())?;
    let expenses = optional_amount("expenses", req.expenses.as_deref())?;
    Ok(state
        .store
        .set_budget(
            &me.viewer,
            month,
            supervisor,
            sales,
            expenses,
            req.version,
            state.now(),
        )
        .await?)
}

async fn api_set(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((month, supervisor)): Path<(String, i64)>,
    JsonBody(req): JsonBody<BudgetRequest>,
) -> Result<Json<TeamBudget>, AppError> {
    Ok(Json(set(&state, &me, &month, supervisor, &req).await?))
}

#[derive(Template)]
#[template(path = "budgets.html")]
struct BudgetsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    month: String,
    budgets: Vec<TeamBudget>,
    can_set: bool,
}

async fn page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    let result = async {
        let month = month_or_this(q.month.as_deref(), &state)?;
        let budgets = state.store.budgets(&me.viewer, month).await?;
        Ok::<_, AppError>(BudgetsPage {
            month: month.start.format("%Y-%m").to_string(),
            budgets,
            can_set: me.can(Action::SetBudgets),
            tr: me.tr(),
            me: &me,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct BudgetForm {
    month: String,
    supervisor_id: i64,
    sales: Option<String>,
    expenses: Option<String>,
    #[serde(default)]
    version: i64,
}

async fn submit(State(state): State<AppState>, page: PageForm<BudgetForm>) -> Response {
    let PageForm { user: me, form } = page;
    let req = BudgetRequest {
        sales: form.sales.clone(),
        expenses: form.expenses.clone(),
        version: form.version,
    };
    match set(&state, &me, &form.month, form.supervisor_id, &req).await {
        Ok(_) => Redirect::to(&format!("/budgets?month={}", form.month)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

/// Each team's budget for a month.
#[derive(Serialize, utoipa::ToSchema)]
struct Budgets {
    /// YYYY-MM
    month: String,
    total: usize,
    items: Vec<yingpan_store::TeamBudget>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/budgets", api_list),
        answer("put", "/budgets/{month}/{supervisor_id}", api_set),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/budgets", get(api_list))
        .route("/api/v1/budgets/{month}/{supervisor_id}", put(api_set))
        .route("/budgets", get(page).post(submit))
}
