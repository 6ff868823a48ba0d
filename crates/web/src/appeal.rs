//! Skip-level appeals (`domain::appeal`): the API and the page where one files an appeal to
//! someone above one's own superior, and the person appealed to answers.

use crate::described::{answer as answered_by, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use yingpan_domain::appeal::{parse_answer, AppealInput};
use yingpan_store::{Appeal, User};

async fn file(state: &AppState, me: &CurrentUser, input: &AppealInput) -> Result<Appeal, AppError> {
    let f = input.parse()?;
    Ok(state.store.file_appeal(&me.viewer, &f, state.now()).await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Appeal>>, AppError> {
    let items = state.store.appeals(&me.viewer).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_file(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(input): JsonBody<AppealInput>,
) -> Result<crate::described::Created<Appeal>, AppError> {
    Ok(crate::described::Created(file(&state, &me, &input).await?))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Appeal>, AppError> {
    Ok(Json(state.store.appeal(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AnswerBody {
    answer: Option<String>,
}

async fn answer(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    raw: Option<&str>,
) -> Result<Appeal, AppError> {
    let text = parse_answer(raw)?;
    Ok(state
        .store
        .answer_appeal(&me.viewer, id, &text, state.now())
        .await?)
}

async fn api_answer(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<AnswerBody>,
) -> Result<Json<Appeal>, AppError> {
    Ok(Json(answer(&state, &me, id, req.answer.as_deref()).await?))
}

#[derive(Template)]
#[template(path = "appeals.html")]
struct Page<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Appeal>,
    /// Those above one's own superior: whom one may appeal to.
    above: Vec<User>,
}

async fn page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        let items = state.store.appeals(&me.viewer).await?;
        let users = state.store.users(me.viewer.org_id).await?;
        let superior_of = |id: i64| {
            users
                .iter()
                .find(|u| u.id == id)
                .and_then(|u| u.superior_id)
        };
        // Up the line from one's own superior's superior.
        let mut above = Vec::new();
        let mut cur = superior_of(me.user.id).and_then(superior_of);
        while let Some(id) = cur {
            if above.iter().any(|u: &User| u.id == id) || id == me.user.id {
                break;
            }
            if let Some(u) = users.iter().find(|u| u.id == id) {
                above.push(u.clone());
            }
            cur = superior_of(id);
        }
        Ok::<_, AppError>(Page {
            tr: me.tr(),
            me: &me,
            items,
            above,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct FileForm {
    to_id: Option<String>,
    subject: Option<String>,
    reason: Option<String>,
}

async fn file_submit(State(state): State<AppState>, form: PageForm<FileForm>) -> Response {
    let PageForm { user: me, form } = form;
    let result = async {
        let input = AppealInput {
            to_id: crate::customer::parse_int("to_id", form.to_id.as_deref())?,
            subject: form.subject.clone(),
            reason: form.reason.clone(),
            task_id: None,
        };
        file(&state, &me, &input).await
    }
    .await;
    match result {
        Ok(_) => done("/appeals", "appeal_filed", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn answer_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: PageForm<AnswerBody>,
) -> Response {
    let PageForm { user: me, form } = form;
    match answer(&state, &me, id, form.answer.as_deref()).await {
        Ok(_) => done("/appeals", "appeal_answered", None),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answered_by("get", "/appeals", api_list),
        answered_by("post", "/appeals", api_file),
        answered_by("get", "/appeals/{id}", api_get),
        answered_by("post", "/appeals/{id}/answer", api_answer),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/appeals", get(api_list).post(api_file))
        .route("/api/v1/appeals/{id}", get(api_get))
        .route("/api/v1/appeals/{id}/answer", post(api_answer))
        .route("/appeals", get(page).post(file_submit))
        .route("/appeals/{id}/answer", post(answer_submit))
}
