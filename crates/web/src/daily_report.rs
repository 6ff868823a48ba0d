//! Daily sales reports: filed by the salesperson at the end of the day, prefilled from the day's
//! visits, reviewed and commented by a superior.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::{Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use yingpan_domain::daily_report::{DailyReportInput, VisitOutcome};
use yingpan_domain::ValidationError;
use yingpan_store::StoredDailyReport;

fn date(raw: &str) -> Result<NaiveDate, ValidationError> {
    yingpan_domain::day::parse("report_date", raw)
}

/// Files the report; without visits listed, the day's logged visits are used.
async fn file(
    state: &AppState,
    me: &CurrentUser,
    d: NaiveDate,
    mut input: DailyReportInput,
) -> Result<StoredDailyReport, AppError> {
    if input.visits.is_empty() {
        input.visits = state.store.day_visits(&me.viewer, d).await?;
    }
    // Orders and collections left blank come from the day's orders and payments.
    if input.order_amount.is_none() || input.payment_collected.is_none() {
        let day = state.store.day_figures(&me.viewer, d).await?;
        input
            .order_amount
            .get_or_insert_with(|| day.sales.normalize().to_string());
        input
            .payment_collected
            .get_or_insert_with(|| day.collected.max(Decimal::ZERO).normalize().to_string());
    }
    let content = input.parse()?;
    Ok(state
        .store
        .file_daily_report(&me.viewer, d, &content, state.now())
        .await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListQuery {
    user_id: Option<i64>,
    unreviewed: Option<bool>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<StoredDailyReport>>, AppError> {
    let items = state
        .store
        .daily_reports(&me.viewer, q.user_id, q.unreviewed.unwrap_or(false), 200)
        .await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DateQuery {
    date: Option<String>,
}

async fn api_prefill(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<DateQuery>,
) -> Result<Json<Prefill>, AppError> {
    let d = date(q.date.as_deref().unwrap_or(""))?;
    let visits = state.store.day_visits(&me.viewer, d).await?;
    let day = state.store.day_figures(&me.viewer, d).await?;
    Ok(Json(Prefill {
        date: d.to_string(),
        visits,
        order_amount: day.sales.normalize().to_string(),
        payment_collected: day.collected.max(Decimal::ZERO).normalize().to_string(),
    }))
}

async fn api_file(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(d): Path<String>,
    JsonBody(input): JsonBody<DailyReportInput>,
) -> Result<Json<StoredDailyReport>, AppError> {
    Ok(Json(file(&state, &me, date(&d)?, input).await?))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<StoredDailyReport>, AppError> {
    Ok(Json(state.store.daily_report(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = DailyReportReviewRequest)]
struct ReviewRequest {
    comment: Option<String>,
}

async fn api_review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> Result<Json<StoredDailyReport>, AppError> {
    Ok(Json(
        state
            .store
            .review_daily_report(
                &me.viewer,
                id,
                req.comment.as_deref().unwrap_or(""),
                state.now(),
            )
            .await?,
    ))
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    mine: Vec<StoredDailyReport>,
    to_review: Vec<StoredDailyReport>,
    today: String,
    visits: Vec<VisitOutcome>,
    /// Today's own orders and net collections, as the form's starting values.
    order_amount: String,
    payment_collected: String,
}

impl ReportsPage<'_> {
    fn prefill(&self, field: &str) -> &str {
        match field {
            "order_amount" => &self.order_amount,
            "payment_collected" => &self.payment_collected,
            _ => "",
        }
    }
}

async fn reports_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let today = state.today();
        let mine = state
            .store
            .daily_reports(&me.viewer, Some(me.user.id), false, 30)
            .await?;
        let to_review = if me.sees_people() {
            state
                .store
                .daily_reports(&me.viewer, None, true, 100)
                .await?
        } else {
            Vec::new()
        };
        let visits = state.store.day_visits(&me.viewer, today).await?;
        let day = state.store.day_figures(&me.viewer, today).await?;
        Ok::<_, AppError>(ReportsPage {
            tr: me.tr(),
            me: &me,
            mine,
            to_review,
            today: today.to_string(),
            visits,
            order_amount: day.sales.normalize().to_string(),
            payment_collected: day.collected.max(Decimal::ZERO).normalize().to_string(),
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    r: StoredDailyReport,
}

impl ReportPage<'_> {
    fn attendance(&self) -> String {
        serde_json::to_value(self.r.content.attendance)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
    fn amount(&self, v: &Option<rust_decimal::Decimal>) -> String {
        v.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
    }
}

async fn report_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.daily_report(&me.viewer, id).await {
        Ok(r) => render(
            &ReportPage {
                tr: me.tr(),
                me: &me,
                r,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ReportForm {
    report_date: Option<String>,
    #[serde(flatten)]
    input: DailyReportFormFields,
}

#[derive(Deserialize)]
struct DailyReportFormFields {
    attendance: Option<String>,
    complaints_handled: Option<String>,
    payment_collected: Option<String>,
    order_amount: Option<String>,
    target_amount: Option<String>,
    competitor_info: Option<String>,
    customer_opinions: Option<String>,
    customer_news: Option<String>,
    lessons: Option<String>,
    expenses: Option<String>,
}

async fn file_submit(State(state): State<AppState>, page: PageForm<ReportForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let d = date(form.report_date.as_deref().unwrap_or(""))?;
        let f = form.input;
        let input = DailyReportInput {
            attendance: f.attendance,
            visits: Vec::new(),
            complaints_handled: f.complaints_handled,
            payment_collected: f.payment_collected,
            order_amount: f.order_amount,
            target_amount: f.target_amount,
            competitor_info: f.competitor_info,
            customer_opinions: f.customer_opinions,
            customer_news: f.customer_news,
            lessons: f.lessons,
            expenses: f.expenses,
        };
        file(&state, &me, d, input).await
    }
    .await;
    match result {
        Ok(r) => done(&format!("/reports/{}", r.id), "report_filed", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn review_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ReviewRequest>,
) -> Response {
    let PageForm { user: me, form } = page;
    match state
        .store
        .review_daily_report(
            &me.viewer,
            id,
            form.comment.as_deref().unwrap_or(""),
            state.now(),
        )
        .await
    {
        Ok(_) => done(&format!("/reports/{id}"), "report_reviewed", None),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

/// What the day's report can be filled with: its visits and the day's figures.
#[derive(Serialize, utoipa::ToSchema)]
struct Prefill {
    date: String,
    visits: Vec<yingpan_domain::daily_report::VisitOutcome>,
    /// CNY, decimal text
    order_amount: String,
    /// CNY, decimal text
    payment_collected: String,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/daily-reports", api_list),
        answer("get", "/daily-reports/prefill", api_prefill),
        answer("put", "/daily-reports/by-date/{date}", api_file),
        answer("get", "/daily-reports/{id}", api_get),
        answer("post", "/daily-reports/{id}/review", api_review),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/daily-reports", get(api_list))
        .route("/api/v1/daily-reports/prefill", get(api_prefill))
        .route("/api/v1/daily-reports/by-date/{date}", put(api_file))
        .route("/api/v1/daily-reports/{id}", get(api_get))
        .route("/api/v1/daily-reports/{id}/review", post(api_review))
        .route("/reports", get(reports_page).post(file_submit))
        .route("/reports/{id}", get(report_page))
        .route("/reports/{id}/review", post(review_submit))
}
