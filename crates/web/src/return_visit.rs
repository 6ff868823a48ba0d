//! Return visits (回访) after a delivery or a resolved ticket: the API to list the due ones
//! and record them; the due page lists them beside the due contacts.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::render::done;
use crate::AppState;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Duration;
use serde::Deserialize;
use yingpan_domain::service::parse_visit;
use yingpan_domain::ValidationError;
use yingpan_store::ReturnVisit;

/// Return visits due within `days` from now (0–365), in the viewer's scope.
pub async fn due(
    state: &AppState,
    me: &CurrentUser,
    days: i64,
) -> Result<(Vec<ReturnVisit>, i64), AppError> {
    if !(0..=365).contains(&days) {
        return Err(ValidationError::new(
            "within_days",
            "out_of_range",
            "must be between 0 and 365",
        )
        .into());
    }
    Ok(state
        .store
        .return_visits_due(&me.viewer, state.now() + Duration::days(days), 500)
        .await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DueQuery {
    within_days: Option<i64>,
}

async fn api_due(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<DueQuery>,
) -> Result<Json<Listing<ReturnVisit>>, AppError> {
    let (items, total) = due(&state, &me, q.within_days.unwrap_or(7)).await?;
    Ok(Json(Listing::counted(items, total)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ReturnVisitRecord)]
struct Record {
    result: Option<String>,
    summary: Option<String>,
}

async fn record(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &Record,
) -> Result<ReturnVisit, AppError> {
    let (result, summary) =
        parse_visit(req.result.as_deref().unwrap_or(""), req.summary.as_deref())?;
    Ok(state
        .store
        .record_return_visit(&me.viewer, id, result, &summary, state.now())
        .await?)
}

async fn api_record(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<Record>,
) -> Result<Json<ReturnVisit>, AppError> {
    Ok(Json(record(&state, &me, id, &req).await?))
}

async fn record_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Record>,
) -> Response {
    let PageForm { user: me, form } = page;
    match record(&state, &me, id, &form).await {
        Ok(_) => done("/due#return-visits", "return_visit_recorded", None),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/return-visits", api_due),
        answer("post", "/return-visits/{id}", api_record),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/return-visits", get(api_due))
        .route("/api/v1/return-visits/{id}", post(api_record))
        .route("/return-visits/{id}", post(record_submit))
}
