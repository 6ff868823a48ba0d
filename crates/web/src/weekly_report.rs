//! Weekly reports (every Monday, per supervisor's team) and the director's monthly summary.
//! The figures come from the domain's `weekly_report::compile`; this module only shows them.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::{Path, Query};
use crate::i18n::Tr;
use crate::order::parse_month;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use yingpan_domain::permission::Action;
use yingpan_domain::person::Role;
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::{Figures, Period};
use yingpan_domain::ValidationError;
use yingpan_store::{StoredWeeklyReport, TeamSummary};

fn week_of(raw: Option<&str>, state: &AppState) -> Result<Period, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Period::previous_week(state.now(), china_offset())),
        Some(s) => yingpan_domain::day::parse("week_start", s).map(Period::week_of),
    }
}

fn this_month(state: &AppState) -> Period {
    Period::month_of(state.today())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CompileRequest {
    week_start: Option<String>,
    supervisor_id: Option<i64>,
}

/// A supervisor compiles their own team's report; a director or admin any supervisor's.
async fn compile(
    state: &AppState,
    me: &CurrentUser,
    req: &CompileRequest,
) -> Result<StoredWeeklyReport, AppError> {
    let week = week_of(req.week_start.as_deref(), state)?;
    let supervisor = match (me.role(), req.supervisor_id) {
        (Role::Supervisor, None) => me.user.id,
        (Role::Supervisor, Some(id)) if id == me.user.id => id,
        (Role::Admin | Role::Director, Some(id)) => {
            let person = state.store.user(me.viewer.org_id, id).await?;
            if person.role != Role::Supervisor {
                return Err(ValidationError::new(
                    "supervisor_id",
                    "not_a_supervisor",
                    "weekly reports are compiled for supervisors' teams",
                )
                .into());
            }
            id
        }
        (Role::Admin | Role::Director, None) => {
            return Err(ValidationError::new(
                "supervisor_id",
                "required",
                "name the supervisor whose team to report on",
            )
            .into())
        }
        _ => return Err(AppError::Forbidden),
    };
    let id = state
        .store
        .compile_weekly_report(me.viewer.org_id, supervisor, week, state.now())
        .await?;
    Ok(state.store.weekly_report(&me.viewer, id).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListQuery {
    week: Option<String>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<StoredWeeklyReport>>, AppError> {
    let week = match q.week.as_deref() {
        Some(w) => Some(week_of(Some(w), &state)?.start),
        None => None,
    };
    let items = state.store.weekly_reports(&me.viewer, week, 200).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_compile(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<CompileRequest>,
) -> Result<crate::described::Created<StoredWeeklyReport>, AppError> {
    Ok(crate::described::Created(compile(&state, &me, &req).await?))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<StoredWeeklyReport>, AppError> {
    Ok(Json(state.store.weekly_report(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct GoalsInput {
    next_week_goals: Option<String>,
    version: Option<i64>,
}

async fn api_goals(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(g): JsonBody<GoalsInput>,
) -> Result<Json<StoredWeeklyReport>, AppError> {
    Ok(Json(
        state
            .store
            .set_weekly_goals(
                &me.viewer,
                id,
                g.next_week_goals.as_deref().unwrap_or(""),
                g.version,
                state.now(),
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MonthQuery {
    month: Option<String>,
}

async fn monthly(
    state: &AppState,
    me: &CurrentUser,
    month: Option<&str>,
) -> Result<TeamSummary, AppError> {
    me.may(Action::ReadMonthlySummary)?;
    let period = match month.filter(|m| !m.trim().is_empty()) {
        Some(m) => parse_month(m)?,
        None => this_month(state),
    };
    Ok(state.store.team_summary(me.viewer.org_id, period).await?)
}

async fn api_monthly(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<TeamSummary>, AppError> {
    Ok(Json(monthly(&state, &me, q.month.as_deref()).await?))
}

/// One table row of figures, already formatted.
pub struct FigureRow {
    pub label: String,
    pub cells: Vec<String>,
}

fn opt(v: Option<Decimal>, suffix: &str) -> String {
    v.map(|d| format!("{}{suffix}", d.normalize()))
        .unwrap_or_else(|| "—".into())
}

fn row(label: String, f: &Figures) -> FigureRow {
    FigureRow {
        label,
        cells: vec![
            f.sales.normalize().to_string(),
            f.orders.to_string(),
            opt(f.target, ""),
            opt(f.attainment_percent, "%"),
            f.new_customers.to_string(),
            f.collected.normalize().to_string(),
            format!("{} / {}", f.effective_visits, f.visits),
            opt(f.effective_visit_rate_percent, "%"),
            format!("{} / {}", f.visited_customers_ordering, f.visited_customers),
            opt(f.transaction_rate_percent, "%"),
            format!(
                "{} ({}) / {}",
                f.daily_reports, f.late_daily_reports, f.expected_reports
            ),
            format!("{} ({}) / {}", f.plans, f.late_plans, f.expected_reports),
        ],
    }
}

/// Column keys in the message catalog (`report_col.<key>`), in `row`'s order.
const COLUMNS: [&str; 12] = [
    "sales",
    "orders",
    "target",
    "attainment",
    "new_customers",
    "collected",
    "effective_visits",
    "effective_visit_rate",
    "visited_ordering",
    "transaction_rate",
    "daily_reports",
    "plans",
];

#[derive(Template)]
#[template(path = "weekly_reports.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<StoredWeeklyReport>,
    last_week: String,
    supervisors: Vec<yingpan_store::User>,
}

async fn list_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let items = state.store.weekly_reports(&me.viewer, None, 100).await?;
        let supervisors = if me.manages() {
            state
                .store
                .users(me.viewer.org_id)
                .await?
                .into_iter()
                .filter(|u| u.active && u.role == Role::Supervisor)
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, AppError>(ListPage {
            tr: me.tr(),
            me: &me,
            items,
            last_week: Period::previous_week(state.now(), china_offset())
                .start
                .to_string(),
            supervisors,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "weekly_report.html")]
struct ReportPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    w: StoredWeeklyReport,
    columns: &'static [&'static str],
    rows: Vec<FigureRow>,
    week_end: String,
}

impl ReportPage<'_> {
    fn average(&self) -> String {
        opt(self.w.report.average_sales_per_person, "")
    }
}

async fn report_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.weekly_report(&me.viewer, id).await {
        Ok(w) => {
            let tr = me.tr();
            let mut rows: Vec<FigureRow> = w
                .report
                .members
                .iter()
                .map(|m| row(m.name.clone(), &m.figures))
                .collect();
            rows.push(row(tr.t("weekly.team_total").to_string(), &w.report.team));
            let week_end = w
                .report
                .period
                .end
                .pred_opt()
                .map(|d| d.to_string())
                .unwrap_or_default();
            render(
                &ReportPage {
                    tr,
                    me: &me,
                    w,
                    columns: &COLUMNS,
                    rows,
                    week_end,
                },
                me.locale(),
            )
        }
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn compile_submit(State(state): State<AppState>, page: PageForm<CompileRequest>) -> Response {
    let PageForm { user: me, form } = page;
    match compile(&state, &me, &form).await {
        Ok(w) => Redirect::to(&format!("/weekly-reports/{}", w.id)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn goals_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<GoalsInput>,
) -> Response {
    let PageForm { user: me, form } = page;
    match state
        .store
        .set_weekly_goals(
            &me.viewer,
            id,
            form.next_week_goals.as_deref().unwrap_or(""),
            form.version,
            state.now(),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/weekly-reports/{id}")).into_response(),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "monthly.html")]
struct MonthlyPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    month: String,
    columns: &'static [&'static str],
    rows: Vec<FigureRow>,
    summary: TeamSummary,
}

async fn monthly_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    match monthly(&state, &me, q.month.as_deref()).await {
        Ok(summary) => {
            let tr = me.tr();
            let mut rows: Vec<FigureRow> = summary
                .teams
                .iter()
                .map(|t| row(format!("{} ({})", t.supervisor_name, t.members), &t.figures))
                .collect();
            rows.push(row(
                tr.t("monthly.company").to_string(),
                &summary.company.team,
            ));
            render(
                &MonthlyPage {
                    tr,
                    me: &me,
                    month: summary.company.period.start.format("%Y-%m").to_string(),
                    columns: &COLUMNS,
                    rows,
                    summary,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/weekly-reports", api_list),
        answer("post", "/weekly-reports", api_compile),
        answer("get", "/weekly-reports/{id}", api_get),
        answer("patch", "/weekly-reports/{id}", api_goals),
        answer("get", "/reports/monthly", api_monthly),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/weekly-reports", get(api_list).post(api_compile))
        .route("/api/v1/weekly-reports/{id}", get(api_get).patch(api_goals))
        .route("/api/v1/reports/monthly", get(api_monthly))
        .route("/weekly-reports", get(list_page).post(compile_submit))
        .route("/weekly-reports/{id}", get(report_page))
        .route("/weekly-reports/{id}/goals", post(goals_submit))
        .route("/monthly", get(monthly_page))
}
