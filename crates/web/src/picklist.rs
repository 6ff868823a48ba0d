//! Picklists for a customer's region, industry and source, kept by admins
//! (`domain::picklist`): the API to read and replace them and the admin page.

use crate::described::{answer, Answer};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::permission::Action;
use yingpan_domain::picklist::{Picklists, FIELDS};

/// Every field's list, "other" last; a field without one is absent (free text).
fn as_json(lists: &Picklists) -> BTreeMap<&'static str, Vec<&str>> {
    FIELDS
        .iter()
        .map(|f| (*f, lists.values(f)))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<BTreeMap<&'static str, Vec<String>>>, AppError> {
    let lists = state.store.picklists(me.viewer.org_id).await?;
    Ok(Json(
        as_json(&lists)
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(str::to_string).collect()))
            .collect(),
    ))
}

async fn save(
    state: &AppState,
    me: &CurrentUser,
    raw: &BTreeMap<String, Vec<String>>,
) -> Result<Picklists, AppError> {
    me.may(Action::ManageOrganization)?;
    let lists = Picklists::parse(raw)?;
    state
        .store
        .set_picklists(&me.viewer, &lists, state.now())
        .await?;
    Ok(lists)
}

async fn api_put(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(raw): JsonBody<BTreeMap<String, Vec<String>>>,
) -> Result<Json<BTreeMap<&'static str, Vec<String>>>, AppError> {
    let lists = save(&state, &me, &raw).await?;
    Ok(Json(
        as_json(&lists)
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().map(str::to_string).collect()))
            .collect(),
    ))
}

#[derive(Template)]
#[template(path = "picklists.html")]
struct Page<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    /// (field, one value per line)
    fields: Vec<(&'static str, String)>,
    error: Option<String>,
}

fn page_fields(lists: &Picklists) -> Vec<(&'static str, String)> {
    FIELDS
        .iter()
        .map(|f| {
            let values: Vec<&str> = lists
                .values(f)
                .into_iter()
                .filter(|v| *v != yingpan_domain::picklist::OTHER)
                .collect();
            (*f, values.join("\n"))
        })
        .collect()
}

async fn page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        me.may(Action::ManageOrganization)?;
        Ok::<_, AppError>(state.store.picklists(me.viewer.org_id).await?)
    }
    .await;
    match result {
        Ok(lists) => render(
            &Page {
                tr: me.tr(),
                me: &me,
                fields: page_fields(&lists),
                error: None,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn submit(
    State(state): State<AppState>,
    form: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = form;
    let raw: BTreeMap<String, Vec<String>> = FIELDS
        .iter()
        .map(|f| {
            let text = form.get(*f).map(String::as_str).unwrap_or("");
            (f.to_string(), text.lines().map(str::to_string).collect())
        })
        .collect();
    match save(&state, &me, &raw).await {
        Ok(_) => done("/admin/picklists", "saved", None),
        Err(e @ AppError::Invalid(_)) => {
            let error = Some(e.localized(me.locale()));
            let fields = FIELDS
                .iter()
                .map(|f| (*f, form.get(*f).cloned().unwrap_or_default()))
                .collect();
            crate::render::render_status(
                &Page {
                    tr: me.tr(),
                    me: &me,
                    fields,
                    error,
                },
                me.locale(),
                e.status(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/picklists", api_get),
        answer("put", "/picklists", api_put),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/picklists", get(api_get).put(api_put))
        .route("/admin/picklists", get(page).post(submit))
}
