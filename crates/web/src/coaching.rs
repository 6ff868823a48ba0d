//! Joint visits and coaching (`domain::coaching`): joining a planned visit (from the plan's
//! page), the review afterwards, and each salesperson's coaching record.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::coaching::{parse_note, parse_review, NoteKind};
use yingpan_domain::ValidationError;
use yingpan_store::{CoachingNote, JointVisit, User};

#[derive(Deserialize, utoipa::ToSchema)]
struct JoinRequest {
    plan_id: Option<i64>,
    item: Option<usize>,
}

async fn join(
    state: &AppState,
    me: &CurrentUser,
    req: &JoinRequest,
) -> Result<JointVisit, AppError> {
    let plan = req
        .plan_id
        .ok_or_else(|| ValidationError::new("plan_id", "required", "name the plan"))?;
    let item = req
        .item
        .ok_or_else(|| ValidationError::new("item", "required", "name the visit in the plan"))?;
    Ok(state
        .store
        .join_visit(&me.viewer, plan, item, state.today(), state.now())
        .await?)
}

async fn api_join(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<JoinRequest>,
) -> Result<crate::described::Created<JointVisit>, AppError> {
    Ok(crate::described::Created(join(&state, &me, &req).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ListQuery {
    salesperson_id: Option<i64>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<yingpan_store::JointVisit>>, AppError> {
    let items = state
        .store
        .joint_visits(&me.viewer, q.salesperson_id, 200)
        .await?;
    Ok(Json(Listing::all(items)))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<JointVisit>, AppError> {
    Ok(Json(state.store.joint_visit(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = CoachingReviewRequest)]
struct ReviewRequest {
    strengths: Option<String>,
    corrections: Option<String>,
    score: Option<i64>,
    version: Option<i64>,
}

async fn review(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &ReviewRequest,
) -> Result<JointVisit, AppError> {
    let r = parse_review(
        req.strengths.as_deref(),
        req.corrections.as_deref(),
        req.score,
    )?;
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(state
        .store
        .review_joint_visit(&me.viewer, id, &r, version, state.today(), state.now())
        .await?)
}

async fn api_review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> Result<Json<JointVisit>, AppError> {
    Ok(Json(review(&state, &me, id, &req).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NotesQuery {
    person_id: Option<i64>,
}

fn person_of(p: Option<i64>) -> Result<i64, ValidationError> {
    p.ok_or_else(|| ValidationError::new("person_id", "required", "name the person"))
}

async fn api_notes(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<NotesQuery>,
) -> Result<Json<Listing<yingpan_store::CoachingNote>>, AppError> {
    let items = state
        .store
        .coaching_notes(&me.viewer, person_of(q.person_id)?)
        .await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NoteRequest {
    person_id: Option<i64>,
    kind: Option<String>,
    note: Option<String>,
}

async fn add_note(state: &AppState, me: &CurrentUser, req: &NoteRequest) -> Result<i64, AppError> {
    let person = person_of(req.person_id)?;
    let kind = NoteKind::parse(req.kind.as_deref().unwrap_or("general"))?;
    let note = parse_note(req.note.as_deref())?;
    Ok(state
        .store
        .add_coaching_note(&me.viewer, person, kind, &note, state.now())
        .await?)
}

async fn api_add_note(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NoteRequest>,
) -> Result<crate::described::Created<crate::described::NewId>, AppError> {
    let id = add_note(&state, &me, &req).await?;
    Ok(crate::described::Created(crate::described::NewId { id }))
}

#[derive(Template)]
#[template(path = "joint_visits.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<JointVisit>,
    /// People below the viewer, for their coaching records.
    team: Vec<User>,
}

async fn list_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let items = state.store.joint_visits(&me.viewer, None, 200).await?;
        let team = below(&state, &me).await?;
        Ok::<_, AppError>((items, team))
    }
    .await;
    match result {
        Ok((items, team)) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                team,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

/// Everyone below the viewer in the reporting line.
async fn below(state: &AppState, me: &CurrentUser) -> Result<Vec<User>, AppError> {
    let users = state.store.users(me.viewer.org_id).await?;
    let line =
        yingpan_domain::hierarchy::ReportingLine::new(users.iter().map(|u| (u.id, u.superior_id)));
    Ok(users
        .into_iter()
        .filter(|u| {
            u.active && yingpan_domain::coaching::check_above(&line, me.user.id, u.id).is_ok()
        })
        .collect())
}

#[derive(Deserialize)]
struct JoinForm {
    plan_id: Option<String>,
    item: Option<String>,
}

async fn join_submit(State(state): State<AppState>, page: PageForm<JoinForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = JoinRequest {
            plan_id: crate::customer::parse_int("plan_id", form.plan_id.as_deref())?,
            item: form.item.as_deref().and_then(|i| i.trim().parse().ok()),
        };
        join(&state, &me, &req).await
    }
    .await;
    match result {
        Ok(jv) => done(&format!("/joint-visits/{}", jv.id), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "joint_visit.html")]
struct DetailPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    j: JointVisit,
    may_review: bool,
}

async fn detail_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.joint_visit(&me.viewer, id).await {
        Ok(j) => {
            let may_review = j.supervisor_id == me.user.id
                && j.reviewed_at.is_none()
                && j.visit_date <= state.today().to_string();
            render(
                &DetailPage {
                    tr: me.tr(),
                    me: &me,
                    j,
                    may_review,
                },
                me.locale(),
            )
        }
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    strengths: Option<String>,
    corrections: Option<String>,
    score: Option<String>,
    version: Option<String>,
}

async fn review_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ReviewForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = ReviewRequest {
            strengths: form.strengths,
            corrections: form.corrections,
            score: crate::customer::parse_int("score", form.score.as_deref())?,
            version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
        };
        review(&state, &me, id, &req).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/joint-visits/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "coaching.html")]
struct CoachingPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    person: User,
    notes: Vec<CoachingNote>,
    visits: Vec<JointVisit>,
}

async fn coaching_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(person): Path<i64>,
) -> Response {
    let result = async {
        let notes = state.store.coaching_notes(&me.viewer, person).await?;
        let visits = state
            .store
            .joint_visits(&me.viewer, Some(person), 100)
            .await?;
        let person = state
            .store
            .users(me.viewer.org_id)
            .await?
            .into_iter()
            .find(|u| u.id == person)
            .ok_or(AppError::NotFound)?;
        Ok::<_, AppError>((person, notes, visits))
    }
    .await;
    match result {
        Ok((person, notes, visits)) => render(
            &CoachingPage {
                tr: me.tr(),
                me: &me,
                person,
                notes,
                visits,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct NoteForm {
    kind: Option<String>,
    note: Option<String>,
}

async fn note_submit(
    State(state): State<AppState>,
    Path(person): Path<i64>,
    page: PageForm<NoteForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let req = NoteRequest {
        person_id: Some(person),
        kind: form.kind,
        note: form.note,
    };
    match add_note(&state, &me, &req).await {
        Ok(_) => done(&format!("/coaching/{person}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/joint-visits", api_list),
        answer("post", "/joint-visits", api_join),
        answer("get", "/joint-visits/{id}", api_get),
        answer("post", "/joint-visits/{id}/review", api_review),
        answer("get", "/coaching-notes", api_notes),
        answer("post", "/coaching-notes", api_add_note),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/joint-visits", get(api_list).post(api_join))
        .route("/api/v1/joint-visits/{id}", get(api_get))
        .route("/api/v1/joint-visits/{id}/review", post(api_review))
        .route("/api/v1/coaching-notes", get(api_notes).post(api_add_note))
        .route("/joint-visits", get(list_page).post(join_submit))
        .route("/joint-visits/{id}", get(detail_page))
        .route("/joint-visits/{id}/review", post(review_submit))
        .route("/coaching/{person}", get(coaching_page).post(note_submit))
}
