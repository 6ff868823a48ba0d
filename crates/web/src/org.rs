//! The organization: people, roles, the reporting line, deactivation with handover, settings.

use crate::described::{answer, Answer, Listing};

use crate::auth::{hash_password, user_json, CurrentUser, PageForm, UserView};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::{Path, Query};
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};
use yingpan_domain::ownership::TierDays;
use yingpan_domain::permission::Action;
use yingpan_domain::person::{ClerkVisibility, DisplayName, NewPassword, Role, Username};
use yingpan_domain::ValidationError;
use yingpan_store::{NewUser, OrgSettings, Organization, User, UserUpdate};

/// Tells a JSON `null` (clear the field) from an absent key (leave it).
fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CreateUser {
    username: Option<String>,
    password: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    superior_id: Option<i64>,
}

async fn create_user(
    state: &AppState,
    me: &CurrentUser,
    req: CreateUser,
) -> Result<User, AppError> {
    me.may(Action::ManageOrganization)?;
    let username = Username::parse(req.username.as_deref().unwrap_or(""))?;
    let display_name = DisplayName::parse(req.display_name.as_deref().unwrap_or(""))?;
    let role: Role = req.role.as_deref().unwrap_or("").parse()?;
    let password = NewPassword::parse_for(
        req.password.as_deref().unwrap_or(""),
        &[username.as_str(), display_name.as_str()],
    )?;
    let new = NewUser {
        username,
        password_hash: hash(password.expose().to_string()).await?,
        display_name,
        role,
        superior_id: req.superior_id,
    };
    Ok(state
        .store
        .create_user(&me.viewer, new, state.now())
        .await?)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct PatchUser {
    display_name: Option<String>,
    role: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    superior_id: Option<Option<i64>>,
    password: Option<String>,
    locale: Option<String>,
    email: Option<String>,
    version: Option<i64>,
}

async fn patch_user(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: PatchUser,
) -> Result<User, AppError> {
    me.may(Action::ManageOrganization)?;
    let password_hash = match req.password.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => {
            let user = state.store.user(me.viewer.org_id, id).await?;
            let new = NewPassword::parse_for(p, &[&user.username, &user.display_name])?;
            Some(hash(new.expose().to_string()).await?)
        }
        None => None,
    };
    let update = UserUpdate {
        display_name: req
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        role: req.role.as_deref().map(str::parse).transpose()?,
        superior_id: req.superior_id,
        locale: req
            .locale
            .as_deref()
            .map(yingpan_domain::person::Locale::parse)
            .transpose()?,
        password_hash,
        email: crate::auth::parse_email_change(req.email.as_deref())?,
    };
    Ok(state
        .store
        .update_user(&me.viewer, id, req.version, update, state.now())
        .await?)
}

async fn api_users(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<UserView>>, AppError> {
    // The staff directory is for those who manage or support people, as on the page.
    if !me.sees_people() {
        return Err(AppError::Forbidden);
    }
    let users = state.store.users(me.viewer.org_id).await?;
    let items = users.iter().map(user_json).collect();
    Ok(Json(Listing::all(items)))
}

async fn api_create_user(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<CreateUser>,
) -> Result<crate::described::Created<UserView>, AppError> {
    let u = create_user(&state, &me, req).await?;
    Ok(crate::described::Created(user_json(&u)))
}

async fn api_user(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<UserView>, AppError> {
    if !me.sees_people() && id != me.user.id {
        return Err(AppError::Forbidden);
    }
    Ok(Json(user_json(
        &state.store.user(me.viewer.org_id, id).await?,
    )))
}

/// An administrator lifts the login throttle on a person (every client's failed attempts).
async fn api_unlock(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Unlocked>, AppError> {
    me.may(Action::ManageOrganization)?;
    let cleared_attempts = state.store.unlock_login(me.viewer.org_id, id).await?;
    Ok(Json(Unlocked { cleared_attempts }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Unlocked {
    /// Failed logins forgotten.
    cleared_attempts: u64,
}

async fn unlock_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<CsrfOnly>,
) -> Response {
    let PageForm { user: me, .. } = page;
    let result = async {
        me.may(Action::ManageOrganization)?;
        Ok::<_, AppError>(state.store.unlock_login(me.viewer.org_id, id).await?)
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/admin/users/{id}?unlocked=1")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[allow(dead_code)]
    csrf: Option<String>,
}

async fn api_patch_user(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PatchUser>,
) -> Result<Json<UserView>, AppError> {
    Ok(Json(user_json(&patch_user(&state, &me, id, req).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Deactivate {
    handover_to: Option<i64>,
}

async fn api_deactivate(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<Deactivate>,
) -> Result<Json<Deactivated>, AppError> {
    me.may(Action::ManageOrganization)?;
    let moved = state
        .store
        .deactivate_user(&me.viewer, id, req.handover_to, state.now())
        .await?;
    let u = state.store.user(me.viewer.org_id, id).await?;
    Ok(Json(Deactivated {
        user: user_json(&u),
        customers_moved: moved,
        handover_to: req.handover_to,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
struct Deactivated {
    user: UserView,
    /// Customers handed over (to `handover_to`, or to the pool).
    customers_moved: u64,
    handover_to: Option<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OrgSettingsPatch {
    protection_days: Option<i64>,
    clerk_visibility: Option<String>,
    claim_daily_limit: Option<i64>,
    holding_cap: Option<i64>,
    reclaim_cooldown_days: Option<i64>,
    warning_days: Option<i64>,
    exempt_open_opportunity: Option<bool>,
    exempt_with_deal: Option<bool>,
    holding_cap_counts_deals: Option<bool>,
    sales_may_import: Option<bool>,
    no_opportunity_days: Option<i64>,
    no_deal_days: Option<i64>,
    no_opportunity_days_by_tier: Option<TierDays>,
    no_deal_days_by_tier: Option<TierDays>,
    version: Option<i64>,
}

async fn save_settings(
    state: &AppState,
    me: &CurrentUser,
    req: OrgSettingsPatch,
) -> Result<Organization, AppError> {
    me.may(Action::ManageOrganization)?;
    let current = state.store.organization(me.viewer.org_id).await?.settings;
    let clerk_visibility: ClerkVisibility = match req.clerk_visibility.as_deref() {
        Some(s) => s.parse()?,
        None => current.clerk_visibility,
    };
    let settings = OrgSettings {
        protection_days: req.protection_days.unwrap_or(current.protection_days),
        clerk_visibility,
        claim_daily_limit: req.claim_daily_limit.unwrap_or(current.claim_daily_limit),
        holding_cap: req.holding_cap.unwrap_or(current.holding_cap),
        reclaim_cooldown_days: req
            .reclaim_cooldown_days
            .unwrap_or(current.reclaim_cooldown_days),
        warning_days: req.warning_days.unwrap_or(current.warning_days),
        exempt_open_opportunity: req
            .exempt_open_opportunity
            .unwrap_or(current.exempt_open_opportunity),
        exempt_with_deal: req.exempt_with_deal.unwrap_or(current.exempt_with_deal),
        holding_cap_counts_deals: req
            .holding_cap_counts_deals
            .unwrap_or(current.holding_cap_counts_deals),
        sales_may_import: req.sales_may_import.unwrap_or(current.sales_may_import),
        no_opportunity_days: req
            .no_opportunity_days
            .unwrap_or(current.no_opportunity_days),
        no_deal_days: req.no_deal_days.unwrap_or(current.no_deal_days),
        no_opportunity_days_by_tier: req
            .no_opportunity_days_by_tier
            .unwrap_or(current.no_opportunity_days_by_tier),
        no_deal_days_by_tier: req
            .no_deal_days_by_tier
            .unwrap_or(current.no_deal_days_by_tier),
    };
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(state
        .store
        .update_org_settings(&me.viewer, &settings, version, state.now())
        .await?)
}

async fn api_org(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Organization>, AppError> {
    Ok(Json(state.store.organization(me.viewer.org_id).await?))
}

async fn api_patch_org(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<OrgSettingsPatch>,
) -> Result<Json<Organization>, AppError> {
    Ok(Json(save_settings(&state, &me, req).await?))
}

// ---------------------------------------------------------------- pages

/// People in reporting-line order, with their depth for indentation.
fn tree(users: &[User]) -> Vec<(usize, &User)> {
    fn walk<'a>(
        users: &'a [User],
        parent: Option<i64>,
        depth: usize,
        out: &mut Vec<(usize, &'a User)>,
    ) {
        for u in users.iter().filter(|u| u.superior_id == parent) {
            out.push((depth, u));
            walk(users, Some(u.id), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(users, None, 0, &mut out);
    // Anyone whose superior is missing from the list still appears.
    for u in users {
        if !out.iter().any(|(_, x)| x.id == u.id) {
            out.push((0, u));
        }
    }
    out
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    rows: Vec<(usize, &'a User)>,
    active: Vec<&'a User>,
    roles: [Role; 5],
    error: Option<String>,
}

impl UsersPage<'_> {
    fn indent(&self, depth: &usize) -> String {
        "　".repeat(*depth * 2)
    }
}

async fn users_page_with(
    state: &AppState,
    me: &CurrentUser,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if !me.sees_people() {
        return AppError::Forbidden.into_page(me.locale());
    }
    let users = match state.store.users(me.viewer.org_id).await {
        Ok(u) => u,
        Err(e) => return AppError::from(e).into_page(me.locale()),
    };
    let page = UsersPage {
        tr: me.tr(),
        me,
        rows: tree(&users),
        active: users.iter().filter(|u| u.active).collect(),
        roles: Role::ALL,
        error,
    };
    crate::render::render_status(&page, me.locale(), status)
}

async fn users_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    users_page_with(&state, &me, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct UserForm {
    username: Option<String>,
    password: Option<String>,
    display_name: Option<String>,
    role: Option<String>,
    superior_id: Option<String>,
    email: Option<String>,
    version: Option<String>,
}

fn form_superior(raw: Option<&str>) -> Result<Option<i64>, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| {
            ValidationError::new(
                "superior_id",
                "unknown_superior",
                "choose a superior from the list",
            )
            .into()
        }),
    }
}

async fn create_user_submit(State(state): State<AppState>, page: PageForm<UserForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = CreateUser {
            username: form.username,
            password: form.password,
            display_name: form.display_name,
            role: form.role,
            superior_id: form_superior(form.superior_id.as_deref())?,
        };
        create_user(&state, &me, req).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            users_page_with(&state, &me, Some(e.localized(me.locale())), e.status()).await
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserEditPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    u: User,
    others: Vec<User>,
    roles: [Role; 5],
    error: Option<String>,
    /// The login throttle was just lifted.
    unlocked: bool,
}

impl UserEditPage<'_> {
    fn is_superior(&self, id: &i64) -> bool {
        self.u.superior_id == Some(*id)
    }
}

async fn user_edit_with(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    user_edit_page_with(state, me, id, error, status, false).await
}

async fn user_edit_page_with(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    error: Option<String>,
    status: StatusCode,
    unlocked: bool,
) -> Response {
    let result = async {
        me.may(Action::ManageOrganization)?;
        let u = state.store.user(me.viewer.org_id, id).await?;
        let others = state
            .store
            .users(me.viewer.org_id)
            .await?
            .into_iter()
            .filter(|o| o.active && o.id != id)
            .collect();
        Ok::<_, AppError>(UserEditPage {
            tr: me.tr(),
            me,
            u,
            others,
            roles: Role::ALL,
            error,
            unlocked,
        })
    }
    .await;
    match result {
        Ok(page) => crate::render::render_status(&page, me.locale(), status),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct UnlockedQuery {
    unlocked: Option<String>,
}

async fn user_edit_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<UnlockedQuery>,
) -> Response {
    let unlocked = q.unlocked.is_some();
    user_edit_page_with(&state, &me, id, None, StatusCode::OK, unlocked).await
}

async fn user_edit_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<UserForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = PatchUser {
            display_name: form.display_name,
            role: form.role,
            superior_id: Some(form_superior(form.superior_id.as_deref())?),
            password: form.password,
            locale: None,
            email: form.email,
            version: form.version.as_deref().and_then(|v| v.parse().ok()),
        };
        patch_user(&state, &me, id, req).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            user_edit_with(&state, &me, id, Some(e.localized(me.locale())), e.status()).await
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct DeactivateForm {
    handover_to: Option<String>,
}

async fn deactivate_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<DeactivateForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        me.may(Action::ManageOrganization)?;
        let to = match form.handover_to.as_deref().map(str::trim) {
            None | Some("") | Some("pool") => None,
            Some(s) => Some(s.parse::<i64>().map_err(|_| {
                ValidationError::new(
                    "handover_to",
                    "unknown_user",
                    "choose a colleague from the list",
                )
            })?),
        };
        Ok::<_, AppError>(
            state
                .store
                .deactivate_user(&me.viewer, id, to, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Rule { .. })) => {
            user_edit_with(&state, &me, id, Some(e.localized(me.locale())), e.status()).await
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrgPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    org: Organization,
    error: Option<String>,
}

impl OrgPage<'_> {
    /// A per-tier override as the form shows it (blank = the company-wide value).
    fn tier_days(&self, trigger: &str, tier: &str) -> String {
        let d = if trigger == "opp" {
            self.org.settings.no_opportunity_days_by_tier
        } else {
            self.org.settings.no_deal_days_by_tier
        };
        match tier {
            "priority" => d.priority,
            "general" => d.general,
            _ => d.last,
        }
        .map(|v| v.to_string())
        .unwrap_or_default()
    }
}

async fn org_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    if let Err(e) = me.may(Action::ManageOrganization) {
        return e.into_page(me.locale());
    }
    match state.store.organization(me.viewer.org_id).await {
        Ok(org) => render(
            &OrgPage {
                tr: me.tr(),
                me: &me,
                org,
                error: None,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct OrgForm {
    protection_days: Option<String>,
    clerk_visibility: Option<String>,
    claim_daily_limit: Option<String>,
    holding_cap: Option<String>,
    reclaim_cooldown_days: Option<String>,
    warning_days: Option<String>,
    exempt_open_opportunity: Option<String>,
    exempt_with_deal: Option<String>,
    holding_cap_counts_deals: Option<String>,
    sales_may_import: Option<String>,
    no_opportunity_days: Option<String>,
    no_deal_days: Option<String>,
    no_opportunity_days_priority: Option<String>,
    no_opportunity_days_general: Option<String>,
    no_opportunity_days_last: Option<String>,
    no_deal_days_priority: Option<String>,
    no_deal_days_general: Option<String>,
    no_deal_days_last: Option<String>,
    version: Option<String>,
}

fn form_number(field: &'static str, raw: Option<&str>) -> Result<Option<i64>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ValidationError::new(field, "invalid_number", "must be a whole number")),
    }
}

async fn org_submit(State(state): State<AppState>, page: PageForm<OrgForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = OrgSettingsPatch {
            protection_days: form_number("protection_days", form.protection_days.as_deref())?,
            clerk_visibility: form.clerk_visibility,
            claim_daily_limit: form_number("claim_daily_limit", form.claim_daily_limit.as_deref())?,
            holding_cap: form_number("holding_cap", form.holding_cap.as_deref())?,
            reclaim_cooldown_days: form_number(
                "reclaim_cooldown_days",
                form.reclaim_cooldown_days.as_deref(),
            )?,
            warning_days: form_number("warning_days", form.warning_days.as_deref())?,
            // Unticked checkboxes send nothing: the form always says both.
            exempt_open_opportunity: Some(form.exempt_open_opportunity.is_some()),
            exempt_with_deal: Some(form.exempt_with_deal.is_some()),
            holding_cap_counts_deals: Some(form.holding_cap_counts_deals.is_some()),
            sales_may_import: Some(form.sales_may_import.is_some()),
            no_opportunity_days: form_number(
                "no_opportunity_days",
                form.no_opportunity_days.as_deref(),
            )?,
            no_deal_days: form_number("no_deal_days", form.no_deal_days.as_deref())?,
            no_opportunity_days_by_tier: Some(TierDays {
                priority: form_number(
                    "no_opportunity_days_by_tier",
                    form.no_opportunity_days_priority.as_deref(),
                )?,
                general: form_number(
                    "no_opportunity_days_by_tier",
                    form.no_opportunity_days_general.as_deref(),
                )?,
                last: form_number(
                    "no_opportunity_days_by_tier",
                    form.no_opportunity_days_last.as_deref(),
                )?,
            }),
            no_deal_days_by_tier: Some(TierDays {
                priority: form_number(
                    "no_deal_days_by_tier",
                    form.no_deal_days_priority.as_deref(),
                )?,
                general: form_number("no_deal_days_by_tier", form.no_deal_days_general.as_deref())?,
                last: form_number("no_deal_days_by_tier", form.no_deal_days_last.as_deref())?,
            }),
            version: form.version.as_deref().and_then(|v| v.parse().ok()),
        };
        save_settings(&state, &me, req).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/organization").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            match state.store.organization(me.viewer.org_id).await {
                Ok(org) => {
                    let status = e.status();
                    crate::render::render_status(
                        &OrgPage {
                            tr: me.tr(),
                            me: &me,
                            org,
                            error: Some(e.localized(me.locale())),
                        },
                        me.locale(),
                        status,
                    )
                }
                Err(e) => AppError::from(e).into_page(me.locale()),
            }
        }
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/users", api_users),
        answer("post", "/users", api_create_user),
        answer("get", "/users/{id}", api_user),
        answer("patch", "/users/{id}", api_patch_user),
        answer("post", "/users/{id}/deactivate", api_deactivate),
        answer("post", "/users/{id}/unlock", api_unlock),
        answer("get", "/organization", api_org),
        answer("patch", "/organization", api_patch_org),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(api_users).post(api_create_user))
        .route("/api/v1/users/{id}", get(api_user).patch(api_patch_user))
        .route("/api/v1/users/{id}/deactivate", post(api_deactivate))
        .route("/api/v1/users/{id}/unlock", post(api_unlock))
        .route("/admin/users/{id}/unlock", post(unlock_submit))
        .route("/api/v1/organization", get(api_org).patch(api_patch_org))
        .route("/admin/users", get(users_page).post(create_user_submit))
        .route(
            "/admin/users/{id}",
            get(user_edit_page).post(user_edit_submit),
        )
        .route("/admin/users/{id}/deactivate", post(deactivate_submit))
        .route("/admin/organization", get(org_page).post(org_submit))
}
