//! Admin-defined customer fields: definitions (admin), and grouping customers by a field.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
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
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yingpan_domain::custom::{
    parse_choices, parse_key, parse_label, CustomFieldDef, CustomFieldKind,
};
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;

#[derive(Deserialize, utoipa::ToSchema)]
struct NewField {
    key: Option<String>,
    label: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    choices: Vec<String>,
}

async fn create(
    state: &AppState,
    me: &CurrentUser,
    req: NewField,
) -> Result<CustomFieldDef, AppError> {
    me.may(Action::ManageOrganization)?;
    let key = parse_key(req.key.as_deref().unwrap_or(""))?;
    let label = parse_label(req.label.as_deref().unwrap_or(""))?;
    let kind = CustomFieldKind::parse(req.kind.as_deref().unwrap_or(""))?;
    let choices = parse_choices(kind, &req.choices)?;
    Ok(state
        .store
        .create_custom_field(&me.viewer, &key, &label, kind, &choices, state.now())
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<CustomFieldDef>>, AppError> {
    let items = state.store.custom_fields(me.viewer.org_id).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewField>,
) -> Result<crate::described::Created<CustomFieldDef>, AppError> {
    Ok(crate::described::Created(create(&state, &me, req).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct FieldPatch {
    label: Option<String>,
    choices: Option<Vec<String>>,
    active: Option<bool>,
}

async fn api_patch(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<FieldPatch>,
) -> Result<Json<CustomFieldDef>, AppError> {
    me.may(Action::ManageOrganization)?;
    let current = state
        .store
        .custom_fields(me.viewer.org_id)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(AppError::NotFound)?;
    let label = parse_label(req.label.as_deref().unwrap_or(&current.label))?;
    let choices = parse_choices(
        current.kind,
        req.choices.as_ref().unwrap_or(&current.choices),
    )?;
    let active = req.active.unwrap_or(current.active);
    Ok(Json(
        state
            .store
            .update_custom_field(&me.viewer, id, &label, &choices, active, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct GroupQuery {
    field: Option<String>,
}

async fn groups(
    state: &AppState,
    me: &CurrentUser,
    key: Option<&str>,
) -> Result<(CustomFieldDef, Vec<(Option<String>, i64)>), AppError> {
    let key = key.ok_or_else(|| {
        ValidationError::new("field", "required", "name the custom field to group by")
    })?;
    let def = state
        .store
        .custom_fields(me.viewer.org_id)
        .await?
        .into_iter()
        .find(|d| d.key == key)
        .ok_or_else(|| {
            ValidationError::new(
                "field",
                "unknown_field",
                format!("{key}: no such custom field"),
            )
        })?;
    let counts = state.store.group_by_custom(&me.viewer, def.id).await?;
    Ok((def, counts))
}

async fn api_groups(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<GroupQuery>,
) -> Result<Json<Groups>, AppError> {
    let (def, counts) = groups(&state, &me, q.field.as_deref()).await?;
    let items: Vec<Group> = counts
        .iter()
        .map(|(v, n)| Group {
            value: v.clone(),
            count: *n,
        })
        .collect();
    Ok(Json(Groups {
        field: def.key,
        total: items.len(),
        items,
    }))
}

#[derive(Template)]
#[template(path = "custom_fields.html")]
struct FieldsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    fields: Vec<CustomFieldDef>,
    error: Option<String>,
}

async fn fields_page_with(
    state: &AppState,
    me: &CurrentUser,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if let Err(e) = me.may(Action::ManageOrganization) {
        return e.into_page(me.locale());
    }
    match state.store.custom_fields(me.viewer.org_id).await {
        Ok(fields) => crate::render::render_status(
            &FieldsPage {
                tr: me.tr(),
                me,
                fields,
                error,
            },
            me.locale(),
            status,
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn fields_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    fields_page_with(&state, &me, None, StatusCode::OK).await
}

#[derive(Deserialize)]
struct FieldForm {
    key: Option<String>,
    label: Option<String>,
    kind: Option<String>,
    /// One choice per line.
    choices: Option<String>,
}

async fn create_submit(State(state): State<AppState>, page: PageForm<FieldForm>) -> Response {
    let PageForm { user: me, form } = page;
    let req = NewField {
        key: form.key,
        label: form.label,
        kind: form.kind,
        choices: form
            .choices
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
    };
    match create(&state, &me, req).await {
        Ok(_) => Redirect::to("/admin/custom-fields").into_response(),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict { .. })) => {
            fields_page_with(&state, &me, Some(e.localized(me.locale())), e.status()).await
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ToggleForm {
    active: Option<String>,
}

async fn toggle_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ToggleForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        me.may(Action::ManageOrganization)?;
        let d = state
            .store
            .custom_fields(me.viewer.org_id)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .ok_or(AppError::NotFound)?;
        let active = form.active.as_deref() == Some("true");
        Ok::<_, AppError>(
            state
                .store
                .update_custom_field(&me.viewer, id, &d.label, &d.choices, active, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to("/admin/custom-fields").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    fields: Vec<CustomFieldDef>,
    field: Option<CustomFieldDef>,
    counts: Vec<(Option<String>, i64)>,
}

impl GroupsPage<'_> {
    fn link(&self, value: &Option<String>) -> String {
        match (&self.field, value) {
            (Some(f), Some(v)) => format!(
                "/customers?cf.{}={}",
                f.key,
                serde_urlencoded::to_string([("", v)])
                    .unwrap_or_default()
                    .trim_start_matches('=')
            ),
            _ => String::new(),
        }
    }
    fn shown(&self, value: &Option<String>) -> String {
        match (&self.field, value) {
            (_, None) => self.tr.t("groups.blank").to_string(),
            (Some(f), Some(v)) if f.kind == CustomFieldKind::YesNo => {
                self.tr.tp("qualification", v)
            }
            (_, Some(v)) => v.clone(),
        }
    }
}

async fn groups_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<GroupQuery>,
) -> Response {
    let result = async {
        let fields = state.store.custom_fields(me.viewer.org_id).await?;
        let key = q
            .field
            .clone()
            .or_else(|| fields.first().map(|f| f.key.clone()));
        let (field, counts) = match key {
            Some(k) => {
                let (d, c) = groups(&state, &me, Some(&k)).await?;
                (Some(d), c)
            }
            None => (None, Vec::new()),
        };
        Ok::<_, AppError>(GroupsPage {
            tr: me.tr(),
            me: &me,
            fields,
            field,
            counts,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

/// Customers in scope counted by a custom field's value.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CustomFieldGroups)]
struct Groups {
    field: String,
    items: Vec<Group>,
    total: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CustomFieldGroup)]
struct Group {
    /// None: customers without a value.
    value: Option<String>,
    count: i64,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/custom-fields", api_list),
        answer("post", "/custom-fields", api_create),
        answer("patch", "/custom-fields/{id}", api_patch),
        answer("get", "/customers/groups", api_groups),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/custom-fields", get(api_list).post(api_create))
        .route("/api/v1/custom-fields/{id}", patch(api_patch))
        .route("/api/v1/customers/groups", get(api_groups))
        .route("/admin/custom-fields", get(fields_page).post(create_submit))
        .route("/admin/custom-fields/{id}/active", post(toggle_submit))
        .route("/customers/groups", get(groups_page))
}
