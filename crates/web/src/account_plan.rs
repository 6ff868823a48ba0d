//! Account plans (`domain::account_plan`): the API, the list with the form to start one, the
//! plan's page (the facts of the account, the manager's form, review and evaluation) and two
//! revisions side by side.

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
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::account_plan::{
    check_year, ActionInput, ContentInput, Difference, Part, Status, Step,
};
use yingpan_domain::ValidationError;
use yingpan_store::{plan_year, AccountPlan, PlanDetail, PlanRevision};

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ListQuery {
    year: Option<String>,
    status: Option<String>,
}

fn parse_year(raw: Option<&str>) -> Result<Option<i32>, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ValidationError::new("year", "invalid_number", "must be a year")),
    }
}

async fn list(
    state: &AppState,
    me: &CurrentUser,
    q: &ListQuery,
) -> Result<(Vec<AccountPlan>, i64), AppError> {
    let year = parse_year(q.year.as_deref())?;
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Status::parse(s)?),
    };
    Ok(state
        .store
        .account_plans(&me.viewer, year, status, 200)
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<AccountPlan>>, AppError> {
    let (items, total) = list(&state, &me, &q).await?;
    Ok(Json(Listing::counted(items, total)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPlanNewPlan)]
struct NewPlan {
    customer_id: Option<i64>,
    year: Option<i32>,
}

async fn create(state: &AppState, me: &CurrentUser, p: &NewPlan) -> Result<PlanDetail, AppError> {
    let customer_id = p
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "choose the customer"))?;
    let now = state.now();
    let year = check_year(
        p.year.unwrap_or_else(|| plan_year(now)),
        now.with_timezone(&yingpan_domain::visit_plan::china_offset())
            .date_naive(),
    )?;
    Ok(state
        .store
        .create_account_plan(&me.viewer, customer_id, year, now)
        .await?)
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(p): JsonBody<NewPlan>,
) -> Result<crate::described::Created<PlanDetail>, AppError> {
    Ok(crate::described::Created(create(&state, &me, &p).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct RevisionQuery {
    revision: Option<i64>,
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<RevisionQuery>,
) -> Result<Json<PlanDetail>, AppError> {
    Ok(Json(
        state.store.account_plan(&me.viewer, id, q.revision).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPlanSaveRequest)]
struct SaveRequest {
    #[serde(flatten)]
    content: ContentInput,
    version: Option<i64>,
}

fn version_of(v: Option<i64>) -> Result<i64, ValidationError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))
}

async fn save(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &SaveRequest,
) -> Result<PlanDetail, AppError> {
    let version = version_of(req.version)?;
    let plan = state.store.account_plan(&me.viewer, id, None).await?.plan;
    let content = req.content.parse(plan.year as i32)?;
    Ok(state
        .store
        .save_account_plan(&me.viewer, id, version, content, state.now())
        .await?)
}

async fn api_save(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<SaveRequest>,
) -> Result<Json<PlanDetail>, AppError> {
    Ok(Json(save(&state, &me, id, &req).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = AccountPlanStepRequest)]
struct StepRequest {
    step: Option<String>,
    note: Option<String>,
    version: Option<i64>,
}

async fn take_step(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &StepRequest,
) -> Result<PlanDetail, AppError> {
    let step = Step::parse(req.step.as_deref().unwrap_or(""))?;
    let note = req.note.as_deref().unwrap_or("").trim();
    if note.chars().count() > 2000 {
        return Err(ValidationError::new("note", "too_long", "at most 2000 characters").into());
    }
    let version = version_of(req.version)?;
    Ok(state
        .store
        .account_plan_step(&me.viewer, id, step, note, version, state.now())
        .await?)
}

async fn api_step(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<PlanDetail>, AppError> {
    Ok(Json(take_step(&state, &me, id, &req).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CompareQuery {
    a: Option<i64>,
    b: Option<i64>,
}

async fn compare(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    q: &CompareQuery,
) -> Result<(AccountPlan, PlanRevision, PlanRevision, Vec<Difference>), AppError> {
    let need = |field: &'static str, v: Option<i64>| {
        v.ok_or_else(|| ValidationError::new(field, "required", "name a revision"))
    };
    Ok(state
        .store
        .compare_account_plan(&me.viewer, id, need("a", q.a)?, need("b", q.b)?)
        .await?)
}

async fn api_compare(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<Comparison>, AppError> {
    let (_, a, b, differences) = compare(&state, &me, id, &q).await?;
    Ok(Json(Comparison { a, b, differences }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EvaluationRequest {
    management_score: Option<i64>,
    people_score: Option<i64>,
    note: Option<String>,
}

async fn evaluate(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &EvaluationRequest,
) -> Result<PlanDetail, AppError> {
    let score = |field: &'static str, v: Option<i64>| {
        v.ok_or_else(|| ValidationError::new(field, "required", "score 1 to 5"))
    };
    let note = req.note.as_deref().unwrap_or("");
    if note.chars().count() > 2000 {
        return Err(ValidationError::new("note", "too_long", "at most 2000 characters").into());
    }
    Ok(state
        .store
        .evaluate_account_plan(
            &me.viewer,
            id,
            score("management_score", req.management_score)?,
            score("people_score", req.people_score)?,
            note,
            state.now(),
        )
        .await?)
}

async fn api_evaluate(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<EvaluationRequest>,
) -> Result<crate::described::Created<PlanDetail>, AppError> {
    Ok(crate::described::Created(
        evaluate(&state, &me, id, &req).await?,
    ))
}

#[derive(Template)]
#[template(path = "account_plans.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<AccountPlan>,
    total: i64,
    year: String,
    /// Key accounts without a plan this year.
    candidates: Vec<(i64, String)>,
    this_year: i32,
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let this_year = plan_year(state.now());
    let result = async {
        let (items, total) = list(&state, &me, &q).await?;
        let candidates = state
            .store
            .account_plan_candidates(&me.viewer, this_year, 200)
            .await?;
        Ok::<_, AppError>((items, total, candidates))
    }
    .await;
    match result {
        Ok((items, total, candidates)) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                total,
                year: q.year.clone().unwrap_or_default(),
                candidates,
                this_year,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct NewForm {
    customer_id: Option<String>,
    year: Option<String>,
}

async fn create_submit(State(state): State<AppState>, page: PageForm<NewForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let p = NewPlan {
            customer_id: crate::customer::parse_int("customer_id", form.customer_id.as_deref())?,
            year: parse_year(form.year.as_deref())?,
        };
        create(&state, &me, &p).await
    }
    .await;
    match result {
        Ok(d) => done(&format!("/account-plans/{}", d.plan.id), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

/// A part of the plan as the page shows it: its fields and who filled it when.
struct PartView {
    part: &'static str,
    /// (field, value)
    fields: Vec<(&'static str, String)>,
    stamp: Option<(String, String)>,
}

/// Blank action rows the form offers beyond the plan's own.
const BLANK_ACTIONS: usize = 3;

#[derive(Template)]
#[template(path = "account_plan.html")]
struct PlanPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    d: PlanDetail,
    parts: Vec<PartView>,
    /// The form's action rows: (key, title, date), the plan's then blank ones.
    action_rows: Vec<(String, String, String)>,
    editable: bool,
    /// The viewer is the manager's own superior and the revision awaits review.
    reviews: bool,
    evaluates: bool,
}

impl PlanPage<'_> {
    fn manager(&self) -> bool {
        self.d.plan.manager_id == self.me.user.id
    }
    fn latest(&self) -> bool {
        self.d.revision.number == self.d.plan.latest_revision
    }
    fn part_fields(&self, part: &str) -> &'static [&'static str] {
        Part::ALL
            .into_iter()
            .find(|p| p.as_str() == part)
            .map(|p| p.fields())
            .unwrap_or(&[])
    }
    fn task_of(&self, key: &str) -> Option<i64> {
        self.d.facts.tasks.get(key).copied()
    }
    fn text(&self, field: &str) -> String {
        self.d.revision.content.get(field).to_string()
    }
    fn money(&self, v: &Option<rust_decimal::Decimal>) -> String {
        v.map(|d| d.to_string()).unwrap_or_default()
    }
}

async fn plan_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<RevisionQuery>,
) -> Response {
    let result = async {
        let d = state.store.account_plan(&me.viewer, id, q.revision).await?;
        let users = state.store.users(me.viewer.org_id).await?;
        Ok::<_, AppError>((d, users))
    }
    .await;
    match result {
        Ok((d, users)) => {
            let names: HashMap<i64, String> = users
                .iter()
                .map(|u| (u.id, u.display_name.clone()))
                .collect();
            let line = yingpan_domain::hierarchy::ReportingLine::new(
                users.iter().map(|u| (u.id, u.superior_id)),
            );
            let superior = line.superior_of(d.plan.manager_id);
            let tr = me.tr();
            let parts = Part::ALL
                .into_iter()
                .map(|p| PartView {
                    part: p.as_str(),
                    fields: d.revision.content.part_values(p),
                    stamp: d.revision.stamps.get(p.as_str()).map(|s| {
                        (
                            names.get(&s.user_id).cloned().unwrap_or_default(),
                            tr.time(&yingpan_store::ts(s.at)),
                        )
                    }),
                })
                .collect();
            let latest = d.revision.number == d.plan.latest_revision;
            let status = Status::parse(&d.revision.status).ok();
            let editable =
                latest && status == Some(Status::Draft) && d.plan.manager_id == me.user.id;
            let reviews =
                latest && status == Some(Status::Submitted) && superior == Some(me.user.id);
            let evaluates =
                yingpan_domain::account_plan::check_evaluator(&line, me.user.id, d.plan.manager_id)
                    .is_ok();
            let mut action_rows: Vec<(String, String, String)> = d
                .revision
                .content
                .actions
                .iter()
                .map(|a| (a.key.clone(), a.title.clone(), a.due_on.to_string()))
                .collect();
            action_rows.extend((0..BLANK_ACTIONS).map(|_| Default::default()));
            render(
                &PlanPage {
                    tr,
                    me: &me,
                    d,
                    parts,
                    action_rows,
                    editable,
                    reviews,
                    evaluates,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

/// The plan form's fields: `text.<field>`, the two figures, and numbered action rows.
fn content_from_form(form: &HashMap<String, String>) -> ContentInput {
    let text: BTreeMap<String, String> = Part::ALL
        .iter()
        .flat_map(|p| p.fields().iter())
        .filter_map(|f| {
            form.get(&format!("text.{f}"))
                .map(|v| (f.to_string(), v.clone()))
        })
        .collect();
    let mut actions = Vec::new();
    for i in 0.. {
        let get = |k: &str| form.get(&format!("actions.{i}.{k}")).cloned();
        let (Some(title), Some(due_on)) = (get("title"), get("due_on")) else {
            break;
        };
        actions.push(ActionInput {
            key: get("key").unwrap_or_default(),
            title,
            due_on,
        });
    }
    ContentInput {
        text,
        last_year_result: form.get("last_year_result").cloned(),
        this_year_goal: form.get("this_year_goal").cloned(),
        actions,
    }
}

async fn save_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let req = SaveRequest {
        content: content_from_form(&form),
        version: form.get("version").and_then(|v| v.trim().parse().ok()),
    };
    match save(&state, &me, id, &req).await {
        Ok(_) => done(&format!("/account-plans/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct StepForm {
    step: Option<String>,
    note: Option<String>,
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
        note: form.note,
        version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
    };
    match take_step(&state, &me, id, &req).await {
        Ok(_) => done(&format!("/account-plans/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct EvaluationForm {
    management_score: Option<String>,
    people_score: Option<String>,
    note: Option<String>,
}

async fn evaluate_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<EvaluationForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = EvaluationRequest {
            management_score: crate::customer::parse_int(
                "management_score",
                form.management_score.as_deref(),
            )?,
            people_score: crate::customer::parse_int("people_score", form.people_score.as_deref())?,
            note: form.note,
        };
        evaluate(&state, &me, id, &req).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/account-plans/{id}#evaluations"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "account_plan_compare.html")]
struct ComparePage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    plan: AccountPlan,
    a: PlanRevision,
    b: PlanRevision,
    differences: Vec<Difference>,
}

impl ComparePage<'_> {
    /// A value as people read it: the two figures as money.
    fn shown(&self, field: &str, raw: &str) -> String {
        match field {
            "last_year_result" | "this_year_goal" if !raw.is_empty() => self.tr.money_text(raw),
            _ => raw.to_string(),
        }
    }
}

async fn compare_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> Response {
    match compare(&state, &me, id, &q).await {
        Ok((plan, a, b, differences)) => render(
            &ComparePage {
                tr: me.tr(),
                me: &me,
                plan,
                a,
                b,
                differences,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

/// Two revisions of a plan and what changed between them.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PlanComparison)]
struct Comparison {
    a: PlanRevision,
    b: PlanRevision,
    differences: Vec<Difference>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/account-plans", api_list),
        answer("post", "/account-plans", api_create),
        answer("get", "/account-plans/{id}", api_get),
        answer("put", "/account-plans/{id}", api_save),
        answer("post", "/account-plans/{id}/steps", api_step),
        answer("get", "/account-plans/{id}/compare", api_compare),
        answer("post", "/account-plans/{id}/evaluations", api_evaluate),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/account-plans", get(api_list).post(api_create))
        .route("/api/v1/account-plans/{id}", get(api_get).put(api_save))
        .route("/api/v1/account-plans/{id}/steps", post(api_step))
        .route("/api/v1/account-plans/{id}/compare", get(api_compare))
        .route("/api/v1/account-plans/{id}/evaluations", post(api_evaluate))
        .route("/account-plans", get(list_page).post(create_submit))
        .route("/account-plans/{id}", get(plan_page).post(save_submit))
        .route("/account-plans/{id}/steps", post(step_submit))
        .route("/account-plans/{id}/evaluations", post(evaluate_submit))
        .route("/account-plans/{id}/compare", get(compare_page))
}
