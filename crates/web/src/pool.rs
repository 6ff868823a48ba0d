//! The public pool (公海): list unowned customers and claim them.

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
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;
use yingpan_store::PoolCustomer;

#[derive(Deserialize, utoipa::ToSchema)]
struct PoolQuery {
    page: Option<i64>,
    per_page: Option<i64>,
    /// A pool id, or `company` for the company pool; absent = every pool one may see.
    pool_id: Option<String>,
    /// Name, pinyin, phone or e-mail: the first matches (`per_page`, at most 50), no total
    /// beyond them — for a picker.
    q: Option<String>,
}

impl PoolQuery {
    fn pool(&self) -> Result<Option<Option<i64>>, AppError> {
        match self.pool_id.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some("company") => Ok(Some(None)),
            Some(v) => v.parse().map(|id| Some(Some(id))).map_err(|_| {
                ValidationError::new("pool_id", "invalid_number", "must be a pool id or company")
                    .into()
            }),
        }
    }
}

async fn api_pool(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PoolQuery>,
) -> Result<Json<Listing<PoolCustomer>>, AppError> {
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        let items = state
            .store
            .pool_search(&me.viewer, text, q.per_page.unwrap_or(10))
            .await?;
        return Ok(Json(Listing::all(items)));
    }
    let (items, total) = state
        .store
        .pool(
            &me.viewer,
            q.pool()?,
            q.page.unwrap_or(1),
            q.per_page.unwrap_or(20),
        )
        .await?;
    Ok(Json(Listing::counted(items, total)))
}

async fn api_claim(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Owned>, AppError> {
    state.store.claim(&me.viewer, id, state.now()).await?;
    Ok(Json(Owned {
        id,
        owner_id: Some(me.user.id),
    }))
}

#[derive(Template)]
#[template(path = "pool.html")]
struct PoolPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    pools: Vec<yingpan_store::Pool>,
    selected: String,
    items: Vec<PoolCustomer>,
    total: i64,
    page: i64,
    next: bool,
}

async fn pool_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PoolQuery>,
) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    let filter = match q.pool() {
        Ok(f) => f,
        Err(e) => return e.into_page(me.locale()),
    };
    let pools = match state.store.pools(me.viewer.org_id).await {
        Ok(p) => p,
        Err(e) => return AppError::from(e).into_page(me.locale()),
    };
    match state.store.pool(&me.viewer, filter, page, 50).await {
        Ok((items, total)) => render(
            &PoolPage {
                tr: me.tr(),
                me: &me,
                pools,
                selected: q.pool_id.clone().unwrap_or_default(),
                items,
                total,
                page,
                next: page * 50 < total,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn claim_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Empty>,
) -> Response {
    let me = page.user;
    match state.store.claim(&me.viewer, id, state.now()).await {
        Ok(()) => done(&format!("/customers/{id}"), "claimed", Some(1)),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

/// A customer's owner after a claim (the caller) or a release (none: the pool).
#[derive(Serialize, utoipa::ToSchema)]
struct Owned {
    id: i64,
    owner_id: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Transferred {
    /// Customers moved.
    moved: u64,
    to_user_id: Option<i64>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/pool", api_pool),
        answer("post", "/customers/{id}/claim", api_claim),
        answer("post", "/customers/{id}/release", api_release),
        answer("get", "/customers/{id}/ownership", api_history),
        answer("post", "/customers/transfer", api_transfer),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pool", get(api_pool))
        .route("/api/v1/customers/{id}/claim", post(api_claim))
        .route("/pool", get(pool_page))
        .route("/pool/{id}/claim", post(claim_submit))
        .merge(ownership_router())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ReleaseRequest {
    reason: Option<String>,
}

/// Back to the pool by hand: the owner, or a manager within scope.
async fn release(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    reason: &str,
) -> Result<(), AppError> {
    let c = state.store.customer(&me.viewer, id).await?;
    if c.owner_id != Some(me.user.id) {
        me.may(Action::TransferCustomers)?;
    }
    Ok(state
        .store
        .release(&me.viewer, id, reason, state.now())
        .await?)
}

async fn api_release(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ReleaseRequest>,
) -> Result<Json<Owned>, AppError> {
    release(&state, &me, id, req.reason.as_deref().unwrap_or("")).await?;
    Ok(Json(Owned { id, owner_id: None }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct TransferRequest {
    customer_ids: Option<Vec<i64>>,
    to_user_id: Option<i64>,
    reason: Option<String>,
}

async fn transfer(
    state: &AppState,
    me: &CurrentUser,
    ids: &[i64],
    to: Option<i64>,
    reason: &str,
) -> Result<u64, AppError> {
    me.may(Action::TransferCustomers)?;
    let to =
        to.ok_or_else(|| ValidationError::new("to_user_id", "required", "choose the new owner"))?;
    Ok(state
        .store
        .transfer(&me.viewer, ids, to, reason, state.now())
        .await?)
}

async fn api_transfer(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<TransferRequest>,
) -> Result<Json<Transferred>, AppError> {
    let ids = req.customer_ids.unwrap_or_default();
    let moved = transfer(
        &state,
        &me,
        &ids,
        req.to_user_id,
        req.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(Transferred {
        moved,
        to_user_id: req.to_user_id,
    }))
}

async fn api_history(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Listing<yingpan_store::OwnershipChange>>, AppError> {
    let items = state.store.ownership_history(&me.viewer, id).await?;
    Ok(Json(Listing::all(items)))
}

async fn release_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ReleaseRequest>,
) -> Response {
    let PageForm { user: me, form } = page;
    match release(&state, &me, id, form.reason.as_deref().unwrap_or("")).await {
        Ok(()) => done("/customers", "released", None),
        Err(e) => e.into_page(me.locale()),
    }
}

/// The bulk transfer form on the customer list: checkboxes named `c_<id>`.
async fn transfer_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let ids: Vec<i64> = form
        .keys()
        .filter_map(|k| k.strip_prefix("c_").and_then(|id| id.parse().ok()))
        .collect();
    let to = form.get("to_user_id").and_then(|v| v.parse().ok());
    let reason = form.get("reason").map(String::as_str).unwrap_or("");
    match transfer(&state, &me, &ids, to, reason).await {
        Ok(moved) => done(
            form.get("back")
                .map(String::as_str)
                .filter(|b| b.starts_with("/customers"))
                .unwrap_or("/customers"),
            "transferred",
            Some(moved),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

pub fn ownership_router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{id}/release", post(api_release))
        .route("/api/v1/customers/{id}/ownership", get(api_history))
        .route("/api/v1/customers/transfer", post(api_transfer))
        .route("/customers/{id}/release", post(release_submit))
        .route("/customers/transfer", post(transfer_submit))
}
