//! Qualification (MAN, screening matrix, tier) and the due/overdue contact list.

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
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::Duration;
use serde::Deserialize;
use yingpan_domain::qualification::{Level, Tier};
use yingpan_domain::ValidationError;
use yingpan_store::{Customer, DueContact, Qualification};

/// The whole qualification; an absent or null field means "not assessed".
#[derive(Deserialize, Default, utoipa::ToSchema)]
struct QualificationInput {
    man_money: Option<bool>,
    man_authority: Option<bool>,
    man_need: Option<bool>,
    attractiveness: Option<String>,
    ability_to_win: Option<String>,
    tier: Option<String>,
    version: Option<i64>,
}

impl QualificationInput {
    fn parse(&self) -> Result<(Qualification, i64), ValidationError> {
        let level = |field: &'static str, v: &Option<String>| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => Level::parse(field, s).map(Some),
        };
        let tier = match self.tier.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(Tier::parse(s)?),
        };
        let q = Qualification::new(
            (self.man_money, self.man_authority, self.man_need),
            level("attractiveness", &self.attractiveness)?,
            level("ability_to_win", &self.ability_to_win)?,
            tier,
        );
        let version = self.version.ok_or_else(|| {
            ValidationError::new("version", "required", "send the version you read")
        })?;
        Ok((q, version))
    }
}

async fn qualify(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    input: &QualificationInput,
) -> Result<Customer, AppError> {
    let (q, version) = input.parse()?;
    Ok(state
        .store
        .qualify(&me.viewer, id, version, &q, state.now())
        .await?)
}

async fn api_qualify(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<QualificationInput>,
) -> Result<Json<Customer>, AppError> {
    Ok(Json(qualify(&state, &me, id, &input).await?))
}

/// The qualification form: three-way selects ("", "yes", "no") for the MAN letters.
#[derive(Deserialize)]
struct QualificationForm {
    man_money: Option<String>,
    man_authority: Option<String>,
    man_need: Option<String>,
    attractiveness: Option<String>,
    ability_to_win: Option<String>,
    tier: Option<String>,
    version: Option<String>,
}

fn yes_no(field: &'static str, v: &Option<String>) -> Result<Option<bool>, ValidationError> {
    match v.as_deref() {
        None | Some("") => Ok(None),
        Some("yes") => Ok(Some(true)),
        Some("no") => Ok(Some(false)),
        Some(_) => Err(ValidationError::new(
            field,
            "invalid_choice",
            "must be yes or no",
        )),
    }
}

async fn qualify_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<QualificationForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = QualificationInput {
            man_money: yes_no("man_money", &form.man_money)?,
            man_authority: yes_no("man_authority", &form.man_authority)?,
            man_need: yes_no("man_need", &form.man_need)?,
            attractiveness: form.attractiveness.clone(),
            ability_to_win: form.ability_to_win.clone(),
            tier: form.tier.clone(),
            version: form.version.as_deref().and_then(|v| v.parse().ok()),
        };
        qualify(&state, &me, id, &input).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/customers/{id}#qualification")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DueQuery {
    within_days: Option<i64>,
    owner_id: Option<i64>,
}

async fn load_due(
    state: &AppState,
    me: &CurrentUser,
    q: &DueQuery,
) -> Result<(Vec<DueContact>, i64, i64), AppError> {
    let days = q.within_days.unwrap_or(7);
    if !(0..=365).contains(&days) {
        return Err(ValidationError::new(
            "within_days",
            "out_of_range",
            "must be between 0 and 365",
        )
        .into());
    }
    let until = state.now() + Duration::days(days);
    let (items, total) = state
        .store
        .due_contacts(&me.viewer, until, q.owner_id, 500)
        .await?;
    Ok((items, total, days))
}

async fn api_due(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<DueQuery>,
) -> Result<Json<Listing<DueContact>>, AppError> {
    let (items, total, _) = load_due(&state, &me, &q).await?;
    Ok(Json(Listing::counted(items, total)))
}

#[derive(Template)]
#[template(path = "due.html")]
struct DuePage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<DueContact>,
    total: i64,
    days: i64,
    now: String,
    /// Return visits due in the same window.
    visits: Vec<yingpan_store::ReturnVisit>,
    visits_total: i64,
    /// The viewer's open tasks due in the same window (written commands, plan actions).
    tasks: Vec<yingpan_store::Task>,
}

impl DuePage<'_> {
    /// What a return visit follows, as people name it: the order's number or the ticket's.
    fn source_ref(&self, v: &yingpan_store::ReturnVisit) -> String {
        match v.source.as_str() {
            "order" => format!("SO-{:06}", v.source_id),
            _ => format!("#{}", v.source_id),
        }
    }
    fn overdue(&self, due: &Option<String>) -> bool {
        due.as_deref().is_some_and(|d| d < self.now.as_str())
    }
    fn tier_key(&self, tier: &Option<String>) -> String {
        format!("tier.{}", tier.as_deref().unwrap_or("none"))
    }
}

async fn due_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<DueQuery>,
) -> Response {
    let result = async {
        let (items, total, days) = load_due(&state, &me, &q).await?;
        let (visits, visits_total) = crate::return_visit::due(&state, &me, days).await?;
        let tasks = state
            .store
            .tasks_due(
                &me.viewer,
                state.now() + Duration::days(days),
                100,
                state.now(),
            )
            .await?;
        Ok::<_, AppError>((items, total, days, visits, visits_total, tasks))
    }
    .await;
    match result {
        Ok((items, total, days, visits, visits_total, tasks)) => render(
            &DuePage {
                tr: me.tr(),
                me: &me,
                items,
                total,
                days,
                now: yingpan_store::ts(state.now()),
                visits,
                visits_total,
                tasks,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("put", "/customers/{id}/qualification", api_qualify),
        answer("get", "/due-contacts", api_due),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/customers/{id}/qualification", put(api_qualify))
        .route("/api/v1/due-contacts", get(api_due))
        .route("/customers/{id}/qualification", post(qualify_submit))
        .route("/due", get(due_page))
}
