//! Satisfaction surveys (`domain::survey`): questionnaires kept by directors, links a
//! customer answers once without logging in, answers taken on the phone, and results per
//! salesperson, product or customer beside repeat purchase.

use crate::described::{answer, Answer, Listing};

use crate::auth::{digest, random_token, CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{FormBody, JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::{done, render, render_status};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use yingpan_domain::permission::Action;
use yingpan_domain::person::Locale;
use yingpan_domain::survey::{
    expires_at, parse_answers, parse_name, parse_questions, parse_valid_days, results, GroupResult,
    Question, QuestionKind,
};
use yingpan_domain::ValidationError;
use yingpan_store::{Invitation, StoreError, Survey, SurveyGroup};

#[derive(Deserialize, utoipa::ToSchema)]
struct NewSurvey {
    name: Option<String>,
    /// One question per line (`score: …`, `text?: …`), or a list of
    /// `{"text", "kind": "score"|"text", "required"}`.
    questions: Option<Value>,
}

fn questions_of(raw: Option<&Value>) -> Result<Vec<Question>, ValidationError> {
    let text = match raw {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|q| {
                let kind = q["kind"].as_str().unwrap_or("score");
                let optional = if q["required"].as_bool() == Some(false) {
                    "?"
                } else {
                    ""
                };
                format!("{kind}{optional}: {}", q["text"].as_str().unwrap_or(""))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    parse_questions(&text)
}

async fn create(state: &AppState, me: &CurrentUser, req: &NewSurvey) -> Result<Survey, AppError> {
    me.may(Action::ManageSurveys)?;
    let name = parse_name(req.name.as_deref().unwrap_or(""))?;
    let questions = questions_of(req.questions.as_ref())?;
    Ok(state
        .store
        .create_survey(&me.viewer, &name, &questions, state.now())
        .await?)
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<Survey>>, AppError> {
    let items = state.store.surveys(me.viewer.org_id).await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewSurvey>,
) -> Result<crate::described::Created<Survey>, AppError> {
    Ok(crate::described::Created(create(&state, &me, &req).await?))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Survey>, AppError> {
    Ok(Json(state.store.survey(me.viewer.org_id, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ActiveRequest {
    active: Option<bool>,
    version: Option<i64>,
}

async fn set_active(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    active: Option<bool>,
    version: Option<i64>,
) -> Result<Survey, AppError> {
    me.may(Action::ManageSurveys)?;
    let active = active
        .ok_or_else(|| ValidationError::new("active", "required", "must be true or false"))?;
    let version = version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(state
        .store
        .set_survey_active(&me.viewer, id, active, version, state.now())
        .await?)
}

async fn api_active(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<ActiveRequest>,
) -> Result<Json<Survey>, AppError> {
    Ok(Json(
        set_active(&state, &me, id, req.active, req.version).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct InviteRequest {
    customer_id: Option<i64>,
    order_id: Option<i64>,
    valid_days: Option<u32>,
}

/// The link's absolute address as the customer will open it.
fn link(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    crate::render::absolute_url(state, headers, &format!("/s/{token}"))
}

async fn invite(
    state: &AppState,
    me: &CurrentUser,
    survey_id: i64,
    req: &InviteRequest,
) -> Result<(Invitation, String), AppError> {
    let customer_id = req
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "must be given"))?;
    let days = parse_valid_days(req.valid_days)?;
    let token = random_token();
    let now = state.now();
    let inv = state
        .store
        .invite_to_survey(
            &me.viewer,
            survey_id,
            customer_id,
            req.order_id,
            &digest(&token),
            expires_at(now, days),
            now,
        )
        .await?;
    Ok((inv, token))
}

async fn api_invite(
    State(state): State<AppState>,
    me: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<InviteRequest>,
) -> Result<crate::described::Created<Invited>, AppError> {
    let (inv, token) = invite(&state, &me, id, &req).await?;
    Ok(crate::described::Created(Invited {
        invitation: inv,
        url: link(&state, &headers, &token),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PhoneRequest {
    customer_id: Option<i64>,
    order_id: Option<i64>,
    answers: Option<BTreeMap<String, String>>,
}

async fn record_phone(
    state: &AppState,
    me: &CurrentUser,
    survey_id: i64,
    req: &PhoneRequest,
) -> Result<Invitation, AppError> {
    let customer_id = req
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "must be given"))?;
    let survey = state.store.survey(me.viewer.org_id, survey_id).await?;
    let answers = parse_answers(&survey.questions, &req.answers.clone().unwrap_or_default())?;
    Ok(state
        .store
        .record_survey_by_phone(
            &me.viewer,
            survey_id,
            customer_id,
            req.order_id,
            &answers,
            state.now(),
        )
        .await?)
}

async fn api_phone(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<PhoneRequest>,
) -> Result<crate::described::Created<Invitation>, AppError> {
    Ok(crate::described::Created(
        record_phone(&state, &me, id, &req).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
struct ResultRow {
    #[serde(flatten)]
    result: GroupResult,
    name: String,
}

async fn load_results(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    by: SurveyGroup,
) -> Result<Vec<ResultRow>, AppError> {
    state.store.survey(me.viewer.org_id, id).await?;
    let (responses, names) = state.store.survey_responses(&me.viewer, id, by).await?;
    Ok(results(&responses)
        .into_iter()
        .map(|r| ResultRow {
            name: names.get(&r.group).cloned().unwrap_or_default(),
            result: r,
        })
        .collect())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ResultsQuery {
    by: Option<String>,
}

fn group_of(raw: Option<&str>) -> Result<(SurveyGroup, &'static str), ValidationError> {
    let by = raw.unwrap_or("salesperson");
    let g = SurveyGroup::parse(by)?;
    Ok((
        g,
        match g {
            SurveyGroup::Customer => "customer",
            SurveyGroup::Product => "product",
            SurveyGroup::Salesperson => "salesperson",
        },
    ))
}

async fn api_results(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ResultsQuery>,
) -> Result<Json<Results>, AppError> {
    let (by, name) = group_of(q.by.as_deref())?;
    let items = load_results(&state, &me, id, by).await?;
    Ok(Json(Results { by: name, items }))
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Survey>,
    may_manage: bool,
}

async fn list_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    match state.store.surveys(me.viewer.org_id).await {
        Ok(items) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                may_manage: me.can(Action::ManageSurveys),
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct NewForm {
    name: Option<String>,
    questions: Option<String>,
}

async fn create_submit(State(state): State<AppState>, page: PageForm<NewForm>) -> Response {
    let PageForm { user: me, form } = page;
    let req = NewSurvey {
        name: form.name,
        questions: form.questions.map(Value::String),
    };
    match create(&state, &me, &req).await {
        Ok(s) => done(&format!("/surveys/{}", s.id), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    s: Survey,
    by: &'static str,
    rows: Vec<ResultRow>,
    recent: Vec<Invitation>,
    may_manage: bool,
}

impl SurveyPage<'_> {
    fn kind(&self, q: &Question) -> &'static str {
        match q.kind {
            QuestionKind::Score => "score",
            QuestionKind::Text => "text",
        }
    }
    fn question(&self, key: &str) -> String {
        self.s
            .questions
            .iter()
            .find(|q| q.key == key)
            .map(|q| q.text.clone())
            .unwrap_or_default()
    }
    fn average(&self, i: &Invitation) -> String {
        if i.score_count == 0 {
            return "—".into();
        }
        (rust_decimal::Decimal::from(i.score_sum) / rust_decimal::Decimal::from(i.score_count))
            .round_dp(2)
            .to_string()
    }
}

async fn survey_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<ResultsQuery>,
) -> Response {
    let result = async {
        let (group, by) = group_of(q.by.as_deref())?;
        let s = state.store.survey(me.viewer.org_id, id).await?;
        let rows = load_results(&state, &me, id, group).await?;
        let recent = state
            .store
            .survey_invitations(&me.viewer, id, None, 30)
            .await?
            .into_iter()
            .filter(|i| i.answered_at.is_some())
            .collect();
        Ok::<_, AppError>(SurveyPage {
            tr: me.tr(),
            me: &me,
            s,
            by,
            rows,
            recent,
            may_manage: me.can(Action::ManageSurveys),
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    active: Option<String>,
    version: Option<String>,
}

async fn active_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<ActiveForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let active = form.active.as_deref().map(|a| a == "true");
    let version = form.version.as_deref().and_then(|v| v.trim().parse().ok());
    match set_active(&state, &me, id, active, version).await {
        Ok(_) => done(&format!("/surveys/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "survey_send.html")]
struct SendPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    s: Survey,
    customer: yingpan_store::Customer,
    /// The link just made (shown once: only its digest is kept).
    url: Option<String>,
}

impl SendPage<'_> {
    fn is_score(&self, q: &Question) -> bool {
        q.kind == QuestionKind::Score
    }
}

#[derive(Deserialize)]
struct SendQuery {
    customer_id: Option<i64>,
}

/// The page a salesperson or clerk sends a survey from: a link for the customer, or the
/// questions to ask on the phone.
async fn send_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<SendQuery>,
) -> Response {
    let result = async {
        let customer_id = q
            .customer_id
            .ok_or_else(|| ValidationError::new("customer_id", "required", "must be given"))?;
        let customer = state.store.customer(&me.viewer, customer_id).await?;
        let s = state.store.survey(me.viewer.org_id, id).await?;
        Ok::<_, AppError>(SendPage {
            tr: me.tr(),
            me: &me,
            s,
            customer,
            url: None,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    customer_id: Option<String>,
}

async fn link_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    page: PageForm<LinkForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let customer_id = form
            .customer_id
            .as_deref()
            .and_then(|c| c.trim().parse().ok());
        let (inv, token) = invite(
            &state,
            &me,
            id,
            &InviteRequest {
                customer_id,
                order_id: None,
                valid_days: None,
            },
        )
        .await?;
        let customer = state.store.customer(&me.viewer, inv.customer_id).await?;
        let s = state.store.survey(me.viewer.org_id, id).await?;
        Ok::<_, AppError>(SendPage {
            tr: me.tr(),
            me: &me,
            s,
            customer,
            url: Some(link(&state, &headers, &token)),
        })
    }
    .await;
    match result {
        Ok(p) => render_status(&p, me.locale(), StatusCode::CREATED),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn phone_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<BTreeMap<String, String>>,
) -> Response {
    let PageForm { user: me, mut form } = page;
    form.remove("csrf");
    let customer_id = form
        .remove("customer_id")
        .and_then(|c| c.trim().parse().ok());
    let req = PhoneRequest {
        customer_id,
        order_id: None,
        answers: Some(form),
    };
    match record_phone(&state, &me, id, &req).await {
        Ok(inv) => done(
            &format!("/customers/{}", inv.customer_id),
            "survey_recorded",
            None,
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "survey_public.html")]
struct PublicPage {
    tr: Tr,
    org: String,
    s: Option<Survey>,
    /// Why the link takes no answers, or the thanks after answering.
    message: Option<String>,
    error: Option<String>,
    /// Answers as sent, kept when the form comes back with an error.
    sent: BTreeMap<String, String>,
}

impl PublicPage {
    fn is_score(&self, q: &Question) -> bool {
        q.kind == QuestionKind::Score
    }
    fn sent(&self, key: &str) -> &str {
        self.sent.get(key).map(String::as_str).unwrap_or("")
    }
    fn checked(&self, key: &str, value: &str) -> bool {
        self.sent(key) == value
    }
    fn scores(&self) -> [&'static str; 5] {
        ["1", "2", "3", "4", "5"]
    }
}

/// The customer's language is unknown: the page speaks the company's (Chinese first).
const PUBLIC_LOCALE: Locale = Locale::ZhCn;

fn public(page: &PublicPage, status: StatusCode) -> Response {
    render_status(page, PUBLIC_LOCALE, status)
}

async fn public_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let tr = Tr::new(PUBLIC_LOCALE, "Asia/Shanghai");
    match state.store.invitation_by_token(&digest(&token)).await {
        Ok((inv, s, org)) => {
            let expires = yingpan_store::parse_ts(&inv.expires_at);
            let refusal = match expires {
                Ok(e) => {
                    yingpan_domain::survey::check_link(inv.answered_at.is_some(), e, state.now())
                        .err()
                }
                Err(_) => None,
            };
            let (message, s, status) = match refusal {
                Some(r) => (
                    Some(tr.t(&format!("error.{}", r.code())).to_string()),
                    None,
                    StatusCode::GONE,
                ),
                None => (None, Some(s), StatusCode::OK),
            };
            public(
                &PublicPage {
                    tr,
                    org,
                    s,
                    message,
                    error: None,
                    sent: BTreeMap::new(),
                },
                status,
            )
        }
        Err(StoreError::NotFound) => public(
            &PublicPage {
                message: Some(tr.t("survey.no_such_link").to_string()),
                tr,
                org: String::new(),
                s: None,
                error: None,
                sent: BTreeMap::new(),
            },
            StatusCode::NOT_FOUND,
        ),
        Err(e) => AppError::from(e).into_page(PUBLIC_LOCALE),
    }
}

async fn public_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    FormBody(form): FormBody<BTreeMap<String, String>>,
) -> Response {
    let tr = Tr::new(PUBLIC_LOCALE, "Asia/Shanghai");
    let key = digest(&token);
    let (inv, s, org) = match state.store.invitation_by_token(&key).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => {
            return public(
                &PublicPage {
                    message: Some(tr.t("survey.no_such_link").to_string()),
                    tr,
                    org: String::new(),
                    s: None,
                    error: None,
                    sent: BTreeMap::new(),
                },
                StatusCode::NOT_FOUND,
            )
        }
        Err(e) => return AppError::from(e).into_page(PUBLIC_LOCALE),
    };
    let _ = inv;
    let answers = match parse_answers(&s.questions, &form) {
        Ok(a) => a,
        Err(e) => {
            let e = AppError::from(e);
            return public(
                &PublicPage {
                    error: Some(e.localized(PUBLIC_LOCALE)),
                    tr,
                    org,
                    s: Some(s),
                    message: None,
                    sent: form,
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match state.store.answer_survey(&key, &answers, state.now()).await {
        Ok(_) => public(
            &PublicPage {
                message: Some(tr.t("survey.thanks").to_string()),
                tr,
                org,
                s: None,
                error: None,
                sent: BTreeMap::new(),
            },
            StatusCode::OK,
        ),
        Err(StoreError::Rule { code, .. }) => public(
            &PublicPage {
                message: Some(tr.t(&format!("error.{code}")).to_string()),
                tr,
                org,
                s: None,
                error: None,
                sent: BTreeMap::new(),
            },
            StatusCode::GONE,
        ),
        Err(e) => AppError::from(e).into_page(PUBLIC_LOCALE),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Invited {
    invitation: yingpan_store::Invitation,
    /// The answer page's address for the customer, answered this once.
    url: String,
}

/// A survey's results, grouped as asked.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SurveyResults)]
struct Results {
    by: &'static str,
    items: Vec<ResultRow>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/surveys", api_list),
        answer("post", "/surveys", api_create),
        answer("get", "/surveys/{id}", api_get),
        answer("post", "/surveys/{id}/active", api_active),
        answer("post", "/surveys/{id}/invitations", api_invite),
        answer("post", "/surveys/{id}/responses", api_phone),
        answer("get", "/surveys/{id}/results", api_results),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/surveys", get(api_list).post(api_create))
        .route("/api/v1/surveys/{id}", get(api_get))
        .route("/api/v1/surveys/{id}/active", post(api_active))
        .route("/api/v1/surveys/{id}/invitations", post(api_invite))
        .route("/api/v1/surveys/{id}/responses", post(api_phone))
        .route("/api/v1/surveys/{id}/results", get(api_results))
        .route("/surveys", get(list_page).post(create_submit))
        .route("/surveys/{id}", get(survey_page))
        .route("/surveys/{id}/active", post(active_submit))
        .route("/surveys/{id}/send", get(send_page))
        .route("/surveys/{id}/link", post(link_submit))
        .route("/surveys/{id}/phone", post(phone_submit))
        .route("/s/{token}", get(public_page).post(public_submit))
}
