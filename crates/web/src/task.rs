//! Written commands (`domain::task`): the API, the task list with the form to give one, and
//! the task's page where the assignee reports and the assigner withdraws.

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
use serde::{Deserialize, Serialize};
use yingpan_domain::task::{parse_note, Step, TaskInput};
use yingpan_domain::ValidationError;
use yingpan_store::{Task, TaskEvent, TaskView, User};

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ListQuery {
    /// `mine` (default), `given`, `team`.
    view: Option<String>,
    /// `1`: open ones past their time only.
    overdue: Option<String>,
}

fn view_of(raw: Option<&str>) -> Result<TaskView, ValidationError> {
    match raw.unwrap_or("mine") {
        "mine" | "" => Ok(TaskView::Mine),
        "given" => Ok(TaskView::Given),
        "team" => Ok(TaskView::Team),
        _ => Err(ValidationError::new(
            "view",
            "invalid_choice",
            "must be mine, given or team",
        )),
    }
}

fn view_name(v: TaskView) -> &'static str {
    match v {
        TaskView::Mine => "mine",
        TaskView::Given => "given",
        TaskView::Team => "team",
    }
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<Task>>, AppError> {
    let view = view_of(q.view.as_deref())?;
    let overdue = matches!(q.overdue.as_deref(), Some("1" | "true"));
    let (items, total) = state
        .store
        .tasks(&me.viewer, view, overdue, 200, state.now())
        .await?;
    Ok(Json(Listing::counted(items, total)))
}

async fn give(state: &AppState, me: &CurrentUser, input: &TaskInput) -> Result<Task, AppError> {
    let f = input.parse(state.now())?;
    Ok(state.store.give_task(&me.viewer, &f, state.now()).await?)
}

async fn api_give(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(input): JsonBody<TaskInput>,
) -> Result<crate::described::Created<Task>, AppError> {
    Ok(crate::described::Created(give(&state, &me, &input).await?))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<TaskDetail>, AppError> {
    let (task, events) = state.store.task(&me.viewer, id, state.now()).await?;
    Ok(Json(TaskDetail { task, events }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TaskStepRequest)]
struct StepRequest {
    step: Option<String>,
    body: Option<String>,
    version: Option<i64>,
}

async fn take_step(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &StepRequest,
) -> Result<Task, AppError> {
    let step = Step::parse(req.step.as_deref().unwrap_or(""))?;
    let note = parse_note(step, req.body.as_deref())?;
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(state
        .store
        .task_step(&me.viewer, id, step, &note, version, state.now())
        .await?)
}

async fn api_step(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<Task>, AppError> {
    Ok(Json(take_step(&state, &me, id, &req).await?))
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Task>,
    total: i64,
    view: &'static str,
    overdue: bool,
    /// Whom the viewer may command: their own reports (everyone in scope for the clerk).
    reports: Vec<User>,
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let result = async {
        let view = view_of(q.view.as_deref())?;
        let overdue = matches!(q.overdue.as_deref(), Some("1" | "true"));
        let (items, total) = state
            .store
            .tasks(&me.viewer, view, overdue, 200, state.now())
            .await?;
        let clerk = me.role() == yingpan_domain::person::Role::Clerk;
        let reports = state
            .store
            .people_in_scope(&me.viewer)
            .await?
            .into_iter()
            .filter(|u| {
                u.active && u.id != me.user.id && (clerk || u.superior_id == Some(me.user.id))
            })
            .collect();
        Ok::<_, AppError>(ListPage {
            tr: me.tr(),
            me: &me,
            items,
            total,
            view: view_name(view),
            overdue,
            reports,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct GiveForm {
    assignee_id: Option<String>,
    title: Option<String>,
    place: Option<String>,
    plan: Option<String>,
    check: Option<String>,
    /// `YYYY-MM-DDTHH:MM` in company time.
    due_at: Option<String>,
}

async fn give_submit(State(state): State<AppState>, page: PageForm<GiveForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = TaskInput {
            assignee_id: crate::customer::parse_int("assignee_id", form.assignee_id.as_deref())?,
            title: form.title.clone(),
            place: form.place.clone(),
            plan: form.plan.clone(),
            check: form.check.clone(),
            due_at: crate::campaign::local_instant("due_at", form.due_at.as_deref())?,
            customer_id: None,
        };
        give(&state, &me, &input).await
    }
    .await;
    match result {
        Ok(t) => done(&format!("/tasks/{}", t.id), "task_given", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "task.html")]
struct TaskPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    t: Task,
    events: Vec<TaskEvent>,
}

impl TaskPage<'_> {
    fn open(&self) -> bool {
        matches!(self.t.status.as_str(), "assigned" | "acknowledged")
    }
    fn mine(&self) -> bool {
        self.t.assignee_id == self.me.user.id
    }
    fn given(&self) -> bool {
        self.t.assigner_id == self.me.user.id
    }
}

async fn task_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.task(&me.viewer, id, state.now()).await {
        Ok((t, events)) => render(
            &TaskPage {
                tr: me.tr(),
                me: &me,
                t,
                events,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct StepForm {
    step: Option<String>,
    body: Option<String>,
    version: Option<String>,
}

async fn step_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<StepForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let req = StepRequest {
        step: form.step,
        body: form.body,
        version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
    };
    match take_step(&state, &me, id, &req).await {
        Ok(_) => done(&format!("/tasks/{id}"), "task_updated", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct TaskDetail {
    task: yingpan_store::Task,
    events: Vec<yingpan_store::TaskEvent>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/tasks", api_list),
        answer("post", "/tasks", api_give),
        answer("get", "/tasks/{id}", api_get),
        answer("post", "/tasks/{id}/steps", api_step),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tasks", get(api_list).post(api_give))
        .route("/api/v1/tasks/{id}", get(api_get))
        .route("/api/v1/tasks/{id}/steps", post(api_step))
        .route("/tasks", get(list_page).post(give_submit))
        .route("/tasks/{id}", get(task_page))
        .route("/tasks/{id}/steps", post(step_submit))
}
