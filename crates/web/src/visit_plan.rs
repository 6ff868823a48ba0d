//! Daily visit plans: the salesperson drafts and submits; a superior approves or returns.

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
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use yingpan_domain::visit_plan::{parse_items, PlanItemInput, PlanStatus, Purpose};
use yingpan_domain::ValidationError;
use yingpan_store::{PlanQuery, VisitPlan};

fn date(raw: Option<&str>) -> Result<NaiveDate, ValidationError> {
    yingpan_domain::day::parse("plan_date", raw.unwrap_or(""))
}

fn version(v: Option<i64>) -> Result<i64, AppError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read").into())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListQuery {
    user_id: Option<i64>,
    date: Option<String>,
    status: Option<String>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<VisitPlan>>, AppError> {
    let query = PlanQuery {
        user_id: q.user_id,
        date: q.date.as_deref().map(|d| date(Some(d))).transpose()?,
        status: match q.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(PlanStatus::parse(s).ok_or_else(|| {
                ValidationError::new(
                    "status",
                    "invalid_choice",
                    "draft, submitted, approved or returned",
                )
            })?),
        },
    };
    let items = state.store.plans(&me.viewer, &query, 200).await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VisitPlanNewPlan)]
struct NewPlan {
    plan_date: Option<String>,
    #[serde(default)]
    items: Vec<PlanItemInput>,
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewPlan>,
) -> Result<crate::described::Created<VisitPlan>, AppError> {
    let d = date(req.plan_date.as_deref())?;
    let items = parse_items(&req.items)?;
    Ok(crate::described::Created(
        state
            .store
            .create_plan(&me.viewer, d, &items, state.now())
            .await?,
    ))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<VisitPlan>, AppError> {
    Ok(Json(state.store.plan(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EditPlan {
    #[serde(default)]
    items: Vec<PlanItemInput>,
    version: Option<i64>,
}

async fn api_edit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<EditPlan>,
) -> Result<Json<VisitPlan>, AppError> {
    let items = parse_items(&req.items)?;
    Ok(Json(
        state
            .store
            .update_plan_items(&me.viewer, id, version(req.version)?, &items, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = VisitPlanStepRequest)]
struct StepRequest {
    version: Option<i64>,
    comment: Option<String>,
}

async fn api_submit(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<VisitPlan>, AppError> {
    Ok(Json(
        state
            .store
            .submit_plan(&me.viewer, id, version(req.version)?, state.now())
            .await?,
    ))
}
async fn api_approve(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<VisitPlan>, AppError> {
    Ok(Json(
        state
            .store
            .review_plan(
                &me.viewer,
                id,
                version(req.version)?,
                true,
                req.comment.as_deref(),
                state.now(),
            )
            .await?,
    ))
}
async fn api_return(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<VisitPlan>, AppError> {
    Ok(Json(
        state
            .store
            .review_plan(
                &me.viewer,
                id,
                version(req.version)?,
                false,
                req.comment.as_deref(),
                state.now(),
            )
            .await?,
    ))
}
async fn api_amend(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<crate::described::Created<VisitPlan>, AppError> {
    Ok(crate::described::Created(
        state.store.amend_plan(&me.viewer, id, state.now()).await?,
    ))
}

// ---------------------------------------------------------------- pages

/// Form rows `i<n>_<field>`; rows with neither customer nor times are ignored.
fn form_items(form: &HashMap<String, String>) -> Vec<PlanItemInput> {
    let mut rows: Vec<(usize, PlanItemInput)> = Vec::new();
    for n in 0..30 {
        let get = |f: &str| {
            form.get(&format!("i{n}_{f}"))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let (name, start, end) = (get("customer_name"), get("start"), get("end"));
        if name.is_none() && start.is_none() && end.is_none() {
            continue;
        }
        rows.push((
            n,
            PlanItemInput {
                customer_id: get("customer_id").and_then(|v| v.parse().ok()),
                customer_name: name,
                region: get("region"),
                start,
                end,
                purpose: get("purpose"),
                notes: get("notes"),
            },
        ));
    }
    rows.into_iter().map(|(_, r)| r).collect()
}

/// A form row as shown; `customer_id` is empty for a customer named in text only.
#[derive(Default)]
struct Row {
    customer_id: String,
    name: String,
    region: String,
    start: String,
    end: String,
    purpose: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "plans.html")]
struct PlansPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    mine: Vec<VisitPlan>,
    to_review: Vec<VisitPlan>,
    today: String,
    purposes: Vec<&'static str>,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    p: VisitPlan,
    editable: bool,
    reviewable: bool,
    purposes: Vec<&'static str>,
    rows: Vec<Row>,
    /// A superior may join the plan's visits (协同访问): submitted or approved, not past.
    joinable: bool,
}

fn purposes() -> Vec<&'static str> {
    Purpose::ALL.iter().map(|p| p.as_str()).collect()
}

fn blank_rows(n: usize) -> Vec<Row> {
    (0..n).map(|_| Default::default()).collect()
}

async fn plans_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let mine = state
            .store
            .plans(
                &me.viewer,
                &PlanQuery {
                    user_id: Some(me.user.id),
                    ..Default::default()
                },
                30,
            )
            .await?;
        let to_review = if me.sees_people() {
            state
                .store
                .plans(
                    &me.viewer,
                    &PlanQuery {
                        status: Some(PlanStatus::Submitted),
                        ..Default::default()
                    },
                    100,
                )
                .await?
                .into_iter()
                .filter(|p| p.user_id != me.user.id)
                .collect()
        } else {
            Vec::new()
        };
        let today = state
            .now()
            .with_timezone(&yingpan_domain::visit_plan::china_offset())
            .date_naive()
            .to_string();
        Ok::<_, AppError>(PlansPage {
            tr: me.tr(),
            me: &me,
            mine,
            to_review,
            today,
            purposes: purposes(),
            rows: blank_rows(3),
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn plan_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.plan(&me.viewer, id).await {
        Ok(p) => {
            let editable = p.user_id == me.user.id && p.status.editable();
            let reviewable =
                p.user_id != me.user.id && p.status == PlanStatus::Submitted && me.sees_people();
            let mut rows: Vec<Row> = p
                .items
                .iter()
                .map(|i| Row {
                    customer_id: i.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                    name: i.customer_name.clone(),
                    region: i.region.clone().unwrap_or_default(),
                    start: i.start.format("%H:%M").to_string(),
                    end: i.end.format("%H:%M").to_string(),
                    purpose: i.purpose.as_str().to_string(),
                    notes: i.notes.clone().unwrap_or_default(),
                })
                .collect();
            rows.extend(blank_rows(1));
            let joinable = p.user_id != me.user.id
                && me.sees_people()
                && matches!(p.status, PlanStatus::Submitted | PlanStatus::Approved)
                && p.plan_date >= state.today().to_string();
            render(
                &PlanPage {
                    tr: me.tr(),
                    me: &me,
                    p,
                    editable,
                    reviewable,
                    purposes: purposes(),
                    rows,
                    joinable,
                },
                me.locale(),
            )
        }
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

async fn create_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let d = date(form.get("plan_date").map(String::as_str))?;
        let items = parse_items(&form_items(&form))?;
        Ok::<_, AppError>(
            state
                .store
                .create_plan(&me.viewer, d, &items, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(p) => Redirect::to(&format!("/plans/{}", p.id)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

/// Save, submit, approve, return or amend, by the button pressed (`step`).
async fn step_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let v = form
            .get("version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let comment = form.get("comment").map(String::as_str);
        let now = state.now();
        let step = form.get("step").map(String::as_str).unwrap_or("");
        let plan = match form.get("step").map(String::as_str) {
            Some("save") | Some("submit") => {
                let items = parse_items(&form_items(&form))?;
                let saved = state
                    .store
                    .update_plan_items(&me.viewer, id, v, &items, now)
                    .await?;
                if form.get("step").map(String::as_str) == Some("submit") {
                    state
                        .store
                        .submit_plan(&me.viewer, id, saved.version, now)
                        .await?
                } else {
                    saved
                }
            }
            Some("approve") => {
                state
                    .store
                    .review_plan(&me.viewer, id, v, true, comment, now)
                    .await?
            }
            Some("return") => {
                state
                    .store
                    .review_plan(&me.viewer, id, v, false, comment, now)
                    .await?
            }
            Some("amend") => state.store.amend_plan(&me.viewer, id, now).await?,
            _ => {
                return Err(ValidationError::new("step", "invalid_choice", "unknown action").into())
            }
        };
        Ok::<_, AppError>((plan, step))
    }
    .await;
    match result {
        Ok((p, step)) => done(
            &format!("/plans/{}", p.id),
            match step {
                "submit" => "plan_submitted",
                "approve" => "plan_approved",
                "return" => "plan_returned",
                "amend" => "plan_amended",
                _ => "saved",
            },
            None,
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/visit-plans", api_list),
        answer("post", "/visit-plans", api_create),
        answer("get", "/visit-plans/{id}", api_get),
        answer("put", "/visit-plans/{id}", api_edit),
        answer("post", "/visit-plans/{id}/submit", api_submit),
        answer("post", "/visit-plans/{id}/approve", api_approve),
        answer("post", "/visit-plans/{id}/return", api_return),
        answer("post", "/visit-plans/{id}/amend", api_amend),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/visit-plans", get(api_list).post(api_create))
        .route("/api/v1/visit-plans/{id}", get(api_get).put(api_edit))
        .route("/api/v1/visit-plans/{id}/submit", post(api_submit))
        .route("/api/v1/visit-plans/{id}/approve", post(api_approve))
        .route("/api/v1/visit-plans/{id}/return", post(api_return))
        .route("/api/v1/visit-plans/{id}/amend", post(api_amend))
        .route("/plans", get(plans_page).post(create_submit))
        .route("/plans/{id}", get(plan_page).post(step_submit))
}
