//! Supervisors find suspected duplicates already in the data and merge them; merges can be
//! undone.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::Path;
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;
use yingpan_store::{Merge, SuspectedGroup};

async fn api_suspected(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<yingpan_store::SuspectedGroup>>, AppError> {
    me.may(Action::MergeCustomers)?;
    let groups = state.store.suspected_duplicates(&me.viewer, 100).await?;
    Ok(Json(Listing::all(groups)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MergeRequest {
    merged_id: Option<i64>,
}

async fn merge(
    state: &AppState,
    me: &CurrentUser,
    survivor: i64,
    merged: Option<i64>,
) -> Result<i64, AppError> {
    me.may(Action::MergeCustomers)?;
    let merged = merged.ok_or_else(|| {
        ValidationError::new(
            "merged_id",
            "required",
            "choose the customer to merge into this one",
        )
    })?;
    Ok(state
        .store
        .merge_customers(&me.viewer, survivor, merged, state.now())
        .await?)
}

async fn api_merge(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<MergeRequest>,
) -> Result<Json<Merged>, AppError> {
    let merge_id = merge(&state, &me, id, req.merged_id).await?;
    Ok(Json(Merged {
        merge_id,
        survivor_id: id,
        merged_id: req.merged_id,
    }))
}

async fn api_merges(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Merge>>, AppError> {
    me.may(Action::MergeCustomers)?;
    let items = state.store.merges(&me.viewer, 200).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_undo(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Undone>, AppError> {
    me.may(Action::MergeCustomers)?;
    state.store.undo_merge(&me.viewer, id, state.now()).await?;
    Ok(Json(Undone {
        merge_id: id,
        undone: true,
    }))
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct DuplicatesPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    groups: Vec<SuspectedGroup>,
    merges: Vec<Merge>,
}

impl DuplicatesPage<'_> {
    fn rule_key(&self, g: &SuspectedGroup) -> String {
        format!(
            "dup.rule_{}",
            serde_json::to_value(g.rule)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        )
    }
}

async fn page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        me.may(Action::MergeCustomers)?;
        let groups = state.store.suspected_duplicates(&me.viewer, 100).await?;
        let merges = state.store.merges(&me.viewer, 50).await?;
        Ok::<_, AppError>(DuplicatesPage {
            tr: me.tr(),
            me: &me,
            groups,
            merges,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct MergeForm {
    survivor_id: Option<String>,
    merged_id: Option<String>,
}

async fn merge_submit(State(state): State<AppState>, form: PageForm<MergeForm>) -> Response {
    let PageForm { user: me, form } = form;
    let survivor = form
        .survivor_id
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let merged = form.merged_id.as_deref().and_then(|v| v.parse().ok());
    match merge(&state, &me, survivor, merged).await {
        Ok(_) => done("/customers/duplicates", "merged", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn undo_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: PageForm<Empty>,
) -> Response {
    let me = form.user;
    let result = async {
        me.may(Action::MergeCustomers)?;
        Ok::<_, AppError>(state.store.undo_merge(&me.viewer, id, state.now()).await?)
    }
    .await;
    match result {
        Ok(()) => done("/customers/duplicates", "unmerged", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Merged {
    merge_id: i64,
    /// The customer that stays.
    survivor_id: i64,
    /// The customer merged into it (now deleted).
    merged_id: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Undone {
    merge_id: i64,
    undone: bool,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/customers/suspected-duplicates", api_suspected),
        answer("post", "/customers/{id}/merge", api_merge),
        answer("get", "/merges", api_merges),
        answer("post", "/merges/{id}/undo", api_undo),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/suspected-duplicates", get(api_suspected))
        .route("/api/v1/customers/{id}/merge", post(api_merge))
        .route("/api/v1/merges", get(api_merges))
        .route("/api/v1/merges/{id}/undo", post(api_undo))
        .route("/customers/duplicates", get(page))
        .route("/customers/merge", post(merge_submit))
        .route("/merges/{id}/undo", post(undo_submit))
}
