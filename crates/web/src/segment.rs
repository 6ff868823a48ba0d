//! Saved segments of the customer list (`domain::segment`): the API and the page's forms.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path};
use crate::render::done;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use yingpan_domain::segment::{parse_name, parse_query};
use yingpan_store::Segment;

#[derive(Deserialize, utoipa::ToSchema)]
struct NewSegment {
    name: Option<String>,
    query: Option<String>,
    /// Shared with the team (a form sends "on").
    shared: Option<Value>,
}

fn shared(raw: Option<&Value>) -> bool {
    match raw {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "on" | "true" | "1"),
        _ => false,
    }
}

async fn create(state: &AppState, me: &CurrentUser, req: &NewSegment) -> Result<Segment, AppError> {
    let name = parse_name(req.name.as_deref().unwrap_or(""))?;
    let query = parse_query(req.query.as_deref().unwrap_or(""))?;
    Ok(state
        .store
        .create_segment(
            &me.viewer,
            &name,
            &query,
            shared(req.shared.as_ref()),
            state.now(),
        )
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Segment>>, AppError> {
    let items = state.store.segments(&me.viewer).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewSegment>,
) -> Result<crate::described::Created<Segment>, AppError> {
    Ok(crate::described::Created(create(&state, &me, &req).await?))
}

async fn api_delete(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .delete_segment(&me.viewer, id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_submit(State(state): State<AppState>, page: PageForm<NewSegment>) -> Response {
    let PageForm { user: me, form } = page;
    match create(&state, &me, &form).await {
        Ok(s) => done(&format!("/customers?{}", s.query), "segment_saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn delete_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Empty>,
) -> Response {
    let me = page.user;
    match state
        .store
        .delete_segment(&me.viewer, id, state.now())
        .await
    {
        Ok(()) => done("/customers", "segment_deleted", None),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/segments", api_list),
        answer("post", "/segments", api_create),
        answer("delete", "/segments/{id}", api_delete),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/segments", get(api_list).post(api_create))
        .route("/api/v1/segments/{id}", delete(api_delete))
        .route("/segments", post(create_submit))
        .route("/segments/{id}/delete", post(delete_submit))
}
