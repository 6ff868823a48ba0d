//! Dealer data and the new-customer development report, with the supervisor's review.

use crate::described::{answer, Answer};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::{Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::development::{DealerInput, DevelopmentReportInput};
use yingpan_domain::ValidationError;
use yingpan_store::{Customer, StoredDevelopmentReport};

#[derive(Deserialize, utoipa::ToSchema)]
struct DealerRequest {
    #[serde(flatten)]
    dealer: DealerInput,
    version: Option<i64>,
}

fn version(v: Option<i64>) -> Result<i64, AppError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read").into())
}

async fn api_set_dealer(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<DealerRequest>,
) -> Result<Json<Customer>, AppError> {
    let data = req.dealer.parse()?;
    Ok(Json(
        state
            .store
            .set_dealer(
                &me.viewer,
                id,
                version(req.version)?,
                Some(&data),
                state.now(),
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct VersionQuery {
    version: Option<i64>,
}

async fn api_clear_dealer(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<VersionQuery>,
) -> Result<Json<Customer>, AppError> {
    Ok(Json(
        state
            .store
            .set_dealer(&me.viewer, id, version(q.version)?, None, state.now())
            .await?,
    ))
}

async fn api_dealer_stats(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<yingpan_store::DealerStats>, AppError> {
    Ok(Json(state.store.dealer_stats(&me.viewer).await?))
}

async fn api_report(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<StoredDevelopmentReport>, AppError> {
    state
        .store
        .development_report(&me.viewer, id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

async fn api_save_report(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<DevelopmentReportInput>,
) -> Result<Json<StoredDevelopmentReport>, AppError> {
    let report = req.parse()?;
    Ok(Json(
        state
            .store
            .save_development_report(&me.viewer, id, &report, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = DevelopmentReviewRequest)]
struct ReviewRequest {
    comment: Option<String>,
}

async fn api_review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> Result<Json<StoredDevelopmentReport>, AppError> {
    let r = state
        .store
        .review_development_report(
            &me.viewer,
            id,
            req.comment.as_deref().unwrap_or(""),
            state.now(),
        )
        .await?;
    Ok(Json(r))
}

// ---------------------------------------------------------------- forms on the customer page

#[derive(Deserialize)]
struct DealerForm {
    #[serde(flatten)]
    dealer: DealerInput,
    version: Option<String>,
    /// "clear" removes the dealer data.
    action: Option<String>,
}

async fn dealer_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<DealerForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let v = form
            .version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if form.action.as_deref() == Some("clear") {
            state
                .store
                .set_dealer(&me.viewer, id, v, None, state.now())
                .await?;
        } else {
            let data = form.dealer.parse()?;
            state
                .store
                .set_dealer(&me.viewer, id, v, Some(&data), state.now())
                .await?;
        }
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/customers/{id}#dealer")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn report_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<DevelopmentReportInput>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let report = form.parse()?;
        Ok::<_, AppError>(
            state
                .store
                .save_development_report(&me.viewer, id, &report, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/customers/{id}#development")).into_response(),
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
        .review_development_report(
            &me.viewer,
            id,
            form.comment.as_deref().unwrap_or(""),
            state.now(),
        )
        .await
    {
        Ok(_) => Redirect::to(&format!("/customers/{id}#development")).into_response(),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("put", "/customers/{id}/dealer", api_set_dealer),
        answer("delete", "/customers/{id}/dealer", api_clear_dealer),
        answer("get", "/dealers/stats", api_dealer_stats),
        answer("get", "/customers/{id}/development-report", api_report),
        answer("put", "/customers/{id}/development-report", api_save_report),
        answer(
            "post",
            "/customers/{id}/development-report/review",
            api_review,
        ),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/customers/{id}/dealer",
            put(api_set_dealer).delete(api_clear_dealer),
        )
        .route("/api/v1/dealers/stats", get(api_dealer_stats))
        .route(
            "/api/v1/customers/{id}/development-report",
            get(api_report).put(api_save_report),
        )
        .route(
            "/api/v1/customers/{id}/development-report/review",
            post(api_review),
        )
        .route("/customers/{id}/dealer", post(dealer_submit))
        .route("/customers/{id}/development-report", post(report_submit))
        .route(
            "/customers/{id}/development-report/review",
            post(review_submit),
        )
}
