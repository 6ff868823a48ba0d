//! Pool definitions (admin) and their members (admin or the pool's own admins).

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::Path;
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;
use yingpan_store::{Pool, PoolInput, User};

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct PoolRequest {
    name: Option<String>,
    region: Option<String>,
    protection_days: Option<i64>,
    priority_days: Option<i64>,
    general_days: Option<i64>,
    last_days: Option<i64>,
    active: Option<bool>,
    version: Option<i64>,
}

impl PoolRequest {
    fn input(&self, current: Option<&Pool>) -> PoolInput {
        let blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        PoolInput {
            name: self
                .name
                .clone()
                .or_else(|| current.map(|c| c.name.clone()))
                .unwrap_or_default(),
            region: if self.region.is_some() {
                blank(&self.region)
            } else {
                current.and_then(|c| c.region.clone())
            },
            protection_days: self
                .protection_days
                .or(current.and_then(|c| c.protection_days)),
            priority_days: self.priority_days.or(current.and_then(|c| c.priority_days)),
            general_days: self.general_days.or(current.and_then(|c| c.general_days)),
            last_days: self.last_days.or(current.and_then(|c| c.last_days)),
            active: self.active.or(current.map(|c| c.active)).unwrap_or(true),
        }
    }
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Pool>>, AppError> {
    let items = state.store.pools(me.viewer.org_id).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<PoolRequest>,
) -> Result<crate::described::Created<Pool>, AppError> {
    me.may(Action::ManageOrganization)?;
    Ok(crate::described::Created(
        state
            .store
            .create_pool(&me.viewer, &req.input(None), state.now())
            .await?,
    ))
}

async fn find(state: &AppState, me: &CurrentUser, id: i64) -> Result<Pool, AppError> {
    state
        .store
        .pools(me.viewer.org_id)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)
}

async fn api_patch(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PoolRequest>,
) -> Result<Json<Pool>, AppError> {
    me.may(Action::ManageOrganization)?;
    let current = find(&state, &me, id).await?;
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(Json(
        state
            .store
            .update_pool(
                &me.viewer,
                id,
                version,
                &req.input(Some(&current)),
                state.now(),
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MemberRequest {
    user_id: i64,
    #[serde(default)]
    is_admin: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MembersRequest {
    members: Vec<MemberRequest>,
}

/// Admins manage every pool's members; a pool's own admins manage theirs.
async fn set_members(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    members: Vec<(i64, bool)>,
) -> Result<Pool, AppError> {
    find(state, me, id).await?;
    if !me.can(Action::ManageOrganization) && !state.store.is_pool_admin(&me.viewer, id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(state
        .store
        .set_pool_members(&me.viewer, id, &members, state.now())
        .await?)
}

async fn api_members(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<MembersRequest>,
) -> Result<Json<Pool>, AppError> {
    let members = req
        .members
        .iter()
        .map(|m| (m.user_id, m.is_admin))
        .collect();
    Ok(Json(set_members(&state, &me, id, members).await?))
}

#[derive(Template)]
#[template(path = "pools.html")]
struct PoolsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    pools: Vec<Pool>,
    people: Vec<User>,
    error: Option<String>,
}

impl PoolsPage<'_> {
    fn member(&self, pool: &Pool, user: &i64) -> bool {
        pool.members.iter().any(|m| m.user_id == *user)
    }
    fn pool_admin(&self, pool: &Pool, user: &i64) -> bool {
        pool.members
            .iter()
            .any(|m| m.user_id == *user && m.is_admin)
    }
    fn days(&self, v: &Option<i64>) -> String {
        v.map(|d| d.to_string()).unwrap_or_default()
    }
}

async fn page_with(
    state: &AppState,
    me: &CurrentUser,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let result = async {
        let pools = state.store.pools(me.viewer.org_id).await?;
        let people = state
            .store
            .users(me.viewer.org_id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect();
        Ok::<_, AppError>((pools, people))
    }
    .await;
    match result {
        Ok((pools, people)) => crate::render::render_status(
            &PoolsPage {
                tr: me.tr(),
                me,
                pools,
                people,
                error,
            },
            me.locale(),
            status,
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn pools_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    if !me.sees_people() {
        return AppError::Forbidden.into_page(me.locale());
    }
    page_with(&state, &me, None, StatusCode::OK).await
}

fn form_days(field: &'static str, v: Option<&String>) -> Result<Option<i64>, ValidationError> {
    match v.map(|s| s.trim()) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ValidationError::new(field, "invalid_number", "must be a whole number")),
    }
}

/// Create (no `id`) or edit a pool from the form.
async fn save_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        me.may(Action::ManageOrganization)?;
        // The form sends every field, so a blank period means "inherit", not "keep".
        let input = PoolInput {
            name: form.get("name").cloned().unwrap_or_default(),
            region: form
                .get("region")
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
            protection_days: form_days("protection_days", form.get("protection_days"))?,
            priority_days: form_days("priority_days", form.get("priority_days"))?,
            general_days: form_days("general_days", form.get("general_days"))?,
            last_days: form_days("last_days", form.get("last_days"))?,
            active: form.contains_key("active"),
        };
        match form.get("id").and_then(|v| v.parse::<i64>().ok()) {
            Some(id) => {
                let version = form
                    .get("version")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                state
                    .store
                    .update_pool(&me.viewer, id, version, &input, state.now())
                    .await?;
            }
            None => {
                state
                    .store
                    .create_pool(&me.viewer, &input, state.now())
                    .await?;
            }
        }
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/admin/pools").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            page_with(&state, &me, Some(e.localized(me.locale())), e.status()).await
        }
        Err(e) => e.into_page(me.locale()),
    }
}

/// Members form: checkboxes `m_<user>` and `a_<user>` (pool admin).
async fn members_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let mut members: Vec<(i64, bool)> = form
        .keys()
        .filter_map(|k| k.strip_prefix("m_").and_then(|u| u.parse().ok()))
        .map(|u: i64| (u, form.contains_key(&format!("a_{u}"))))
        .collect();
    members.sort();
    match set_members(&state, &me, id, members).await {
        Ok(_) => Redirect::to("/admin/pools").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/pools", api_list),
        answer("post", "/pools", api_create),
        answer("patch", "/pools/{id}", api_patch),
        answer("put", "/pools/{id}/members", api_members),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pools", get(api_list).post(api_create))
        .route("/api/v1/pools/{id}", patch(api_patch))
        .route("/api/v1/pools/{id}/members", put(api_members))
        .route("/admin/pools", get(pools_page).post(save_submit))
        .route("/admin/pools/{id}/members", post(members_submit))
}
