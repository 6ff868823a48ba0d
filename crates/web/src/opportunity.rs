//! Opportunities and the pipeline board (per salesperson and per team).

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
use serde::{Deserialize, Serialize};
use yingpan_domain::opportunity::{parse_probability, Money, Stage, Status};
use yingpan_domain::person::{Role, Scope};
use yingpan_domain::ValidationError;
use yingpan_store::{Opportunity, OpportunityFields, OpportunityQuery, StageSummary, User};

/// Raw opportunity input (JSON or form); numbers may come as text from forms.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
struct OpportunityInput {
    customer_id: Option<i64>,
    name: Option<String>,
    stage: Option<String>,
    amount: Option<String>,
    currency: Option<String>,
    probability: Option<i64>,
    expected_close: Option<String>,
    version: Option<i64>,
}

impl OpportunityInput {
    fn merged(self, current: &Opportunity) -> Self {
        let stage_sent = self.stage.is_some();
        OpportunityInput {
            customer_id: Some(current.customer_id),
            name: self.name.or_else(|| Some(current.name.clone())),
            stage: self
                .stage
                .or_else(|| Some(current.stage.as_str().to_string())),
            amount: self.amount.or_else(|| Some(current.amount.to_string())),
            currency: self.currency.or_else(|| Some(current.currency.clone())),
            // A stage change without an explicit probability takes the new stage's default.
            probability: self.probability.or(if stage_sent {
                None
            } else {
                Some(current.probability)
            }),
            expected_close: self
                .expected_close
                .or_else(|| current.expected_close.clone()),
            version: self.version,
        }
    }

    fn parse(&self) -> Result<OpportunityFields, ValidationError> {
        let name = self.name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            return Err(ValidationError::new(
                "name",
                "required",
                "must not be empty",
            ));
        }
        if name.chars().count() > 200 {
            return Err(ValidationError::new(
                "name",
                "too_long",
                "must be at most 200 characters",
            ));
        }
        let stage = Stage::parse(self.stage.as_deref().unwrap_or("prospecting"))?;
        let money = Money::parse(
            "amount",
            self.amount.as_deref().unwrap_or("0"),
            self.currency.as_deref(),
        )?;
        let expected_close = match self.expected_close.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(yingpan_domain::day::parse("expected_close", s)?),
        };
        Ok(OpportunityFields {
            name: name.to_string(),
            probability: parse_probability(self.probability, stage)?,
            stage,
            money,
            expected_close,
        })
    }
}

fn version(v: Option<i64>) -> Result<i64, AppError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read").into())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListQuery {
    owner_id: Option<i64>,
    customer_id: Option<i64>,
    status: Option<String>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<Opportunity>>, AppError> {
    let status = q.status.as_deref().map(Status::parse).transpose()?;
    let items = state
        .store
        .opportunities(
            &me.viewer,
            &OpportunityQuery {
                owner_id: q.owner_id,
                customer_id: q.customer_id,
                status,
            },
            500,
        )
        .await?;
    Ok(Json(Listing::all(items)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<OpportunityInput>,
) -> Result<crate::described::Created<Opportunity>, AppError> {
    let customer = req
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
    let f = req.parse()?;
    Ok(crate::described::Created(
        state
            .store
            .create_opportunity(&me.viewer, customer, &f, state.now())
            .await?,
    ))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Opportunity>, AppError> {
    Ok(Json(state.store.opportunity(&me.viewer, id).await?))
}

async fn api_patch(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OpportunityInput>,
) -> Result<Json<Opportunity>, AppError> {
    let current = state.store.opportunity(&me.viewer, id).await?;
    let v = version(req.version)?;
    let f = req.merged(&current).parse()?;
    Ok(Json(
        state
            .store
            .update_opportunity(&me.viewer, id, v, &f, state.now())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OutcomeRequest {
    version: Option<i64>,
    reason: Option<String>,
}

async fn outcome(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    to: Status,
    req: &OutcomeRequest,
) -> Result<Opportunity, AppError> {
    let v = version(req.version)?;
    Ok(state
        .store
        .set_opportunity_status(&me.viewer, id, v, to, req.reason.as_deref(), state.now())
        .await?)
}

async fn api_won(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OutcomeRequest>,
) -> Result<Json<Opportunity>, AppError> {
    Ok(Json(outcome(&state, &me, id, Status::Won, &req).await?))
}
async fn api_lost(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OutcomeRequest>,
) -> Result<Json<Opportunity>, AppError> {
    Ok(Json(outcome(&state, &me, id, Status::Lost, &req).await?))
}
async fn api_reopen(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<OutcomeRequest>,
) -> Result<Json<Opportunity>, AppError> {
    Ok(Json(outcome(&state, &me, id, Status::Open, &req).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PipelineQuery {
    owner_id: Option<i64>,
}

async fn api_pipeline(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PipelineQuery>,
) -> Result<Json<Pipeline>, AppError> {
    let (stages, _) = state.store.pipeline(&me.viewer, q.owner_id).await?;
    Ok(Json(Pipeline { stages }))
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "pipeline.html")]
struct PipelinePage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    stages: Vec<StageSummary>,
    open: Vec<Opportunity>,
    owners: Vec<User>,
    owner_id: Option<i64>,
}

impl PipelinePage<'_> {
    fn in_stage(&self, stage: &Stage) -> Vec<&Opportunity> {
        self.open.iter().filter(|o| o.stage == *stage).collect()
    }
    fn owner_selected(&self, id: &i64) -> bool {
        self.owner_id == Some(*id)
    }
}

async fn pipeline_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PipelineQuery>,
) -> Response {
    let result = async {
        let (stages, open) = state.store.pipeline(&me.viewer, q.owner_id).await?;
        let owners = if me.viewer.scope == Scope::Own {
            Vec::new()
        } else {
            state
                .store
                .users(me.viewer.org_id)
                .await?
                .into_iter()
                .filter(|u| u.active && matches!(u.role, Role::Sales | Role::Supervisor))
                .collect()
        };
        Ok::<_, AppError>(PipelinePage {
            tr: me.tr(),
            me: &me,
            stages,
            open,
            owners,
            owner_id: q.owner_id,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "opportunity.html")]
struct OpportunityPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    o: Opportunity,
}

async fn opportunity_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.opportunity(&me.viewer, id).await {
        Ok(o) => render(
            &OpportunityPage {
                tr: me.tr(),
                me: &me,
                o,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

/// Forms send every field as text.
#[derive(Deserialize)]
struct OpportunityForm {
    customer_id: Option<String>,
    name: Option<String>,
    stage: Option<String>,
    amount: Option<String>,
    currency: Option<String>,
    probability: Option<String>,
    expected_close: Option<String>,
    version: Option<String>,
}

impl OpportunityForm {
    fn input(&self) -> Result<OpportunityInput, ValidationError> {
        let number = |field: &'static str, v: &Option<String>| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                ValidationError::new(field, "invalid_number", "must be a whole number")
            }),
        };
        Ok(OpportunityInput {
            customer_id: number("customer_id", &self.customer_id)?,
            name: self.name.clone(),
            stage: self.stage.clone(),
            amount: self.amount.clone(),
            currency: self.currency.clone(),
            probability: number("probability", &self.probability)?,
            expected_close: self.expected_close.clone(),
            version: number("version", &self.version)?,
        })
    }
}

async fn create_submit(State(state): State<AppState>, page: PageForm<OpportunityForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = form.input()?;
        let customer = input
            .customer_id
            .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
        let f = input.parse()?;
        Ok::<_, AppError>(
            state
                .store
                .create_opportunity(&me.viewer, customer, &f, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(o) => done(
            &format!("/opportunities/{}", o.id),
            "opportunity_created",
            None,
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn edit_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<OpportunityForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = form.input()?;
        let v = version(input.version)?;
        let f = input.parse()?;
        Ok::<_, AppError>(
            state
                .store
                .update_opportunity(&me.viewer, id, v, &f, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/opportunities/{id}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct OutcomeForm {
    outcome: Option<String>,
    reason: Option<String>,
    version: Option<String>,
}

async fn outcome_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<OutcomeForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let to = Status::parse(form.outcome.as_deref().unwrap_or(""))?;
        let req = OutcomeRequest {
            version: form.version.as_deref().and_then(|v| v.parse().ok()),
            reason: form.reason.clone(),
        };
        outcome(&state, &me, id, to, &req).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/opportunities/{id}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Pipeline {
    stages: Vec<yingpan_store::StageSummary>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/opportunities", api_list),
        answer("post", "/opportunities", api_create),
        answer("get", "/opportunities/{id}", api_get),
        answer("patch", "/opportunities/{id}", api_patch),
        answer("post", "/opportunities/{id}/won", api_won),
        answer("post", "/opportunities/{id}/lost", api_lost),
        answer("post", "/opportunities/{id}/reopen", api_reopen),
        answer("get", "/pipeline", api_pipeline),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/opportunities", get(api_list).post(api_create))
        .route("/api/v1/opportunities/{id}", get(api_get).patch(api_patch))
        .route("/api/v1/opportunities/{id}/won", post(api_won))
        .route("/api/v1/opportunities/{id}/lost", post(api_lost))
        .route("/api/v1/opportunities/{id}/reopen", post(api_reopen))
        .route("/api/v1/pipeline", get(api_pipeline))
        .route("/pipeline", get(pipeline_page))
        .route("/opportunities", post(create_submit))
        .route(
            "/opportunities/{id}",
            get(opportunity_page).post(edit_submit),
        )
        .route("/opportunities/{id}/outcome", post(outcome_submit))
}
