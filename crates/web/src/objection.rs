//! The objection library (`domain::objection`): search it before a visit, see which answers
//! win, add an answer; managers keep the objections.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yingpan_domain::objection::{parse_answer, ObjectionInput};
use yingpan_domain::opportunity::Stage;
use yingpan_domain::permission::Action;
use yingpan_domain::ValidationError;
use yingpan_store::{Objection, ObjectionAnswer, ObjectionFilter, Product};

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ListQuery {
    q: Option<String>,
    product_id: Option<String>,
    stage: Option<String>,
    /// `1`: retired objections too.
    retired: Option<String>,
}

fn filter_of(q: &ListQuery) -> Result<ObjectionFilter, AppError> {
    let stage = match q.stage.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Stage::parse(s)?.as_str().to_string()),
    };
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 100) {
        return Err(ValidationError::new("q", "too_long", "at most 100 characters").into());
    }
    Ok(ObjectionFilter {
        q: q.q.clone(),
        product_id: crate::customer::parse_int("product_id", q.product_id.as_deref())?,
        stage,
        include_retired: matches!(q.retired.as_deref(), Some("1" | "true")),
    })
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<yingpan_store::Objection>>, AppError> {
    let items = state
        .store
        .objections(&me.viewer, &filter_of(&q)?, state.now())
        .await?;
    Ok(Json(Listing::all(items)))
}

/// An objection with the answers salespeople found for it.
#[derive(Serialize, utoipa::ToSchema)]
struct ObjectionDetail {
    objection: yingpan_store::Objection,
    answers: Vec<yingpan_store::ObjectionAnswer>,
}

async fn detail(state: &AppState, me: &CurrentUser, id: i64) -> Result<ObjectionDetail, AppError> {
    let (objection, answers) = state.store.objection(&me.viewer, id).await?;
    Ok(ObjectionDetail { objection, answers })
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<ObjectionDetail>, AppError> {
    Ok(Json(detail(&state, &me, id).await?))
}

async fn create(
    state: &AppState,
    me: &CurrentUser,
    input: &ObjectionInput,
) -> Result<i64, AppError> {
    me.may(Action::ManageObjections)?;
    let f = input.parse()?;
    Ok(state
        .store
        .create_objection(&me.viewer, &f, state.now())
        .await?)
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(input): JsonBody<ObjectionInput>,
) -> Result<crate::described::Created<ObjectionDetail>, AppError> {
    let id = create(&state, &me, &input).await?;
    Ok(crate::described::Created(detail(&state, &me, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ObjectionUpdateRequest)]
struct UpdateRequest {
    #[serde(flatten)]
    input: ObjectionInput,
    active: Option<bool>,
    version: Option<i64>,
}

async fn update(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &UpdateRequest,
) -> Result<(), AppError> {
    me.may(Action::ManageObjections)?;
    let f = req.input.parse()?;
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(state
        .store
        .update_objection(
            &me.viewer,
            id,
            &f,
            req.active.unwrap_or(true),
            version,
            state.now(),
        )
        .await?)
}

async fn api_update(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> Result<Json<ObjectionDetail>, AppError> {
    update(&state, &me, id, &req).await?;
    Ok(Json(detail(&state, &me, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AnswerRequest {
    text: Option<String>,
}

async fn api_answer(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<AnswerRequest>,
) -> Result<crate::described::Created<ObjectionDetail>, AppError> {
    let text = parse_answer(req.text.as_deref())?;
    state
        .store
        .add_objection_answer(&me.viewer, id, &text, state.now())
        .await?;
    Ok(crate::described::Created(detail(&state, &me, id).await?))
}

async fn api_retire_answer(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, answer)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    me.may(Action::ManageObjections)?;
    state
        .store
        .retire_objection_answer(&me.viewer, id, answer, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "objections.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Objection>,
    q: String,
    stage: String,
    may_manage: bool,
    products: Vec<Product>,
}

impl ListPage<'_> {
    fn rate(&self, r: &Option<rust_decimal::Decimal>) -> String {
        r.map(|d| format!("{d:.1}%")).unwrap_or_else(|| "—".into())
    }
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let result = async {
        let items = state
            .store
            .objections(&me.viewer, &filter_of(&q)?, state.now())
            .await?;
        let products = state.store.products(me.viewer.org_id, false).await?;
        Ok::<_, AppError>((items, products))
    }
    .await;
    match result {
        Ok((items, products)) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                q: q.q.clone().unwrap_or_default(),
                stage: q.stage.clone().unwrap_or_default(),
                may_manage: me.can(Action::ManageObjections),
                products,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ObjectionForm {
    text: Option<String>,
    concern: Option<String>,
    product_id: Option<String>,
    stage: Option<String>,
    active: Option<String>,
    version: Option<String>,
}

impl ObjectionForm {
    fn input(&self) -> Result<ObjectionInput, AppError> {
        Ok(ObjectionInput {
            text: self.text.clone(),
            concern: self.concern.clone(),
            product_id: crate::customer::parse_int("product_id", self.product_id.as_deref())?,
            stage: self.stage.clone(),
        })
    }
}

async fn create_submit(State(state): State<AppState>, page: PageForm<ObjectionForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async { create(&state, &me, &form.input()?).await }.await;
    match result {
        Ok(id) => done(&format!("/objections/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "objection.html")]
struct DetailPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    o: Objection,
    answers: Vec<ObjectionAnswer>,
    may_manage: bool,
    products: Vec<Product>,
}

impl DetailPage<'_> {
    fn rate(&self, r: &Option<rust_decimal::Decimal>) -> String {
        r.map(|d| format!("{d:.1}%")).unwrap_or_else(|| "—".into())
    }
    fn stage_is(&self, s: &str) -> bool {
        self.o.stage.as_deref() == Some(s)
    }
}

async fn detail_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        let (o, answers) = state.store.objection(&me.viewer, id).await?;
        let products = state.store.products(me.viewer.org_id, false).await?;
        Ok::<_, AppError>((o, answers, products))
    }
    .await;
    match result {
        Ok((o, answers, products)) => render(
            &DetailPage {
                tr: me.tr(),
                me: &me,
                o,
                answers,
                may_manage: me.can(Action::ManageObjections),
                products,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn update_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ObjectionForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = UpdateRequest {
            input: form.input()?,
            active: Some(form.active.as_deref() != Some("0")),
            version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
        };
        update(&state, &me, id, &req).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/objections/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct AnswerForm {
    text: Option<String>,
}

async fn answer_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<AnswerForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let text = parse_answer(form.text.as_deref())?;
        Ok::<_, AppError>(
            state
                .store
                .add_objection_answer(&me.viewer, id, &text, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => done(&format!("/objections/{id}#answers"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn retire_submit(
    State(state): State<AppState>,
    Path((id, answer)): Path<(i64, i64)>,
    page: PageForm<Empty>,
) -> Response {
    let PageForm { user: me, .. } = page;
    let result = async {
        me.may(Action::ManageObjections)?;
        Ok::<_, AppError>(
            state
                .store
                .retire_objection_answer(&me.viewer, id, answer, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => done(&format!("/objections/{id}#answers"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/objections", api_list),
        answer("post", "/objections", api_create),
        answer("get", "/objections/{id}", api_get),
        answer("put", "/objections/{id}", api_update),
        answer("post", "/objections/{id}/answers", api_answer),
        answer(
            "delete",
            "/objections/{id}/answers/{answer}",
            api_retire_answer,
        ),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/objections", get(api_list).post(api_create))
        .route("/api/v1/objections/{id}", get(api_get).put(api_update))
        .route("/api/v1/objections/{id}/answers", post(api_answer))
        .route(
            "/api/v1/objections/{id}/answers/{answer}",
            delete(api_retire_answer),
        )
        .route("/objections", get(list_page).post(create_submit))
        .route("/objections/{id}", get(detail_page).post(update_submit))
        .route("/objections/{id}/answers", post(answer_submit))
        .route(
            "/objections/{id}/answers/{answer}/retire",
            post(retire_submit),
        )
}
