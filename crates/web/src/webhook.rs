//! Webhooks and group robots (`domain::webhook`): an admin adds endpoints — a plain signed
//! webhook, or the robot of a 企业微信, 钉钉 or 飞书 group, for the company or one team —,
//! picks the events, tries one with a test message, reads the delivery log, pauses, resumes
//! and sends a delivery again. Sending is the background job's (`exchange::webhook`).

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
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use yingpan_domain::permission::Action;
use yingpan_domain::person::Locale;
use yingpan_domain::webhook::{EndpointUrl, Event, Format, Subscription};
use yingpan_domain::ValidationError;
use yingpan_store::{Delivery, User as Person, Webhook, WebhookFields};

/// An endpoint as written in the API or the form.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
struct WebhookInput {
    name: Option<String>,
    url: Option<String>,
    format: Option<String>,
    #[serde(default)]
    events: Vec<String>,
    team_head_id: Option<i64>,
    locale: Option<String>,
    /// A robot's signing secret from its platform (DingTalk 加签, Feishu 签名校验).
    secret: Option<String>,
    #[serde(default)]
    allow_private: bool,
}

impl WebhookInput {
    fn parse(&self) -> Result<WebhookFields, ValidationError> {
        let name = self.name.as_deref().map(str::trim).unwrap_or_default();
        if name.is_empty() {
            return Err(ValidationError::new(
                "name",
                "required",
                "give the endpoint a name",
            ));
        }
        if name.chars().count() > 100 {
            return Err(ValidationError::new(
                "name",
                "too_long",
                "at most 100 characters",
            ));
        }
        let url = EndpointUrl::parse(self.url.as_deref().unwrap_or_default())?;
        let format = Format::parse(self.format.as_deref().unwrap_or("json").trim())?;
        let events = Subscription::parse_events(&self.events)?;
        let locale = match self
            .locale
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Locale::ZhCn,
            Some(l) => Locale::parse(l)?,
        };
        let secret = self
            .secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if secret.is_some_and(|s| s.chars().count() > 200) {
            return Err(ValidationError::new(
                "secret",
                "too_long",
                "at most 200 characters",
            ));
        }
        if secret.is_some() && matches!(format, Format::Json | Format::Wecom) {
            return Err(ValidationError::new(
                "secret",
                "secret_not_used",
                "only DingTalk and Feishu robots take a signing secret; a plain webhook's is made for you",
            ));
        }
        Ok(WebhookFields {
            name: name.to_string(),
            url,
            format,
            events,
            team_head_id: self.team_head_id,
            locale,
            robot_secret: secret.map(str::to_string),
            allow_private: self.allow_private,
        })
    }
}

fn version_of(v: Option<i64>) -> Result<i64, ValidationError> {
    v.ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Webhooks>, AppError> {
    may_keep(&me)?;
    let items = state.store.webhooks(&me.viewer).await?;
    let events = Event::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect();
    Ok(Json(Webhooks { items, events }))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(input): JsonBody<WebhookInput>,
) -> Result<crate::described::Created<Created>, AppError> {
    may_keep(&me)?;
    let fields = input.parse()?;
    plain_needs_admin(&me, &fields)?;
    let (webhook, secret) = state
        .store
        .create_webhook(&me.viewer, &fields, state.now())
        .await?;
    // The secret is answered this once (a robot's is the admin's own, not repeated).
    let secret = (fields.format == Format::Json).then_some(secret);
    Ok(crate::described::Created(Created { webhook, secret }))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct DeliveryQuery {
    status: Option<String>,
    limit: Option<i64>,
}

fn status_filter(s: Option<&str>) -> Result<Option<&str>, ValidationError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s @ ("pending" | "delivered" | "failed")) => Ok(Some(s)),
        Some(_) => Err(ValidationError::new(
            "status",
            "invalid_status",
            "must be pending, delivered or failed",
        )),
    }
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<One>, AppError> {
    may_keep(&me)?;
    let webhook = state.store.webhook(&me.viewer, id).await?;
    Ok(Json(One { webhook }))
}

async fn api_deliveries(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    Query(q): Query<DeliveryQuery>,
) -> Result<Json<Listing<yingpan_store::Delivery>>, AppError> {
    may_keep(&me)?;
    let status = status_filter(q.status.as_deref())?;
    state.store.webhook(&me.viewer, id).await?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let items = state
        .store
        .webhook_deliveries(me.viewer.org_id, id, status, limit)
        .await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[schema(as = WebhookUpdateRequest)]
struct UpdateRequest {
    #[serde(flatten)]
    input: WebhookInput,
    version: Option<i64>,
}

async fn api_update(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> Result<Json<One>, AppError> {
    may_keep(&me)?;
    let fields = req.input.parse()?;
    plain_needs_admin(&me, &fields)?;
    let version = version_of(req.version)?;
    let webhook = state
        .store
        .update_webhook(&me.viewer, id, version, &fields, state.now())
        .await?;
    Ok(Json(One { webhook }))
}

async fn api_delete(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    may_keep(&me)?;
    state
        .store
        .delete_webhook(&me.viewer, id, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pause(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    paused: bool,
) -> Result<Webhook, AppError> {
    may_keep(me)?;
    Ok(state
        .store
        .set_webhook_paused(&me.viewer, id, paused, state.now())
        .await?)
}

async fn api_pause(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<One>, AppError> {
    let webhook = pause(&state, &me, id, true).await?;
    Ok(Json(One { webhook }))
}

async fn api_resume(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<One>, AppError> {
    let webhook = pause(&state, &me, id, false).await?;
    Ok(Json(One { webhook }))
}

async fn api_ping(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<crate::described::Accepted<Queued>, AppError> {
    may_keep(&me)?;
    let d = state
        .store
        .ping_webhook(&me.viewer, id, state.now())
        .await?;
    Ok(crate::described::Accepted(Queued { delivery_id: d }))
}

async fn api_redeliver(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, delivery)): Path<(i64, i64)>,
) -> Result<crate::described::Accepted<Queued>, AppError> {
    may_keep(&me)?;
    let d = state
        .store
        .redeliver(&me.viewer, id, delivery, state.now())
        .await?;
    Ok(crate::described::Accepted(Queued { delivery_id: d }))
}

/// Whether the person keeps endpoints: every one (`ManageWebhooks`), or their teams' group
/// robots (`ManageTeamRobots`, which the store's queries narrow to).
fn may_keep(me: &CurrentUser) -> Result<(), AppError> {
    if me.can(Action::ManageWebhooks) {
        Ok(())
    } else {
        me.may(Action::ManageTeamRobots)
    }
}

/// A plain webhook sends the company's data to any system: only for whoever manages webhooks
/// (403 for a manager who keeps team robots).
fn plain_needs_admin(me: &CurrentUser, fields: &WebhookFields) -> Result<(), AppError> {
    if fields.format.is_robot() {
        Ok(())
    } else {
        me.may(Action::ManageWebhooks)
    }
}

/// People who may head a team endpoint: everyone active with someone below them — for a
/// manager who keeps only their teams' robots, themselves and those below them.
async fn team_heads(state: &AppState, me: &CurrentUser) -> Result<Vec<Person>, AppError> {
    let people = state.store.users(me.viewer.org_id).await?;
    let everyone =
        me.can(Action::ManageWebhooks) || me.viewer.scope == yingpan_domain::person::Scope::All;
    let mut reach = vec![me.user.id];
    let mut i = 0;
    while !everyone && i < reach.len() {
        let head = reach[i];
        reach.extend(
            people
                .iter()
                .filter(|p| p.superior_id == Some(head))
                .map(|p| p.id),
        );
        i += 1;
    }
    let heads: Vec<Person> = people
        .iter()
        .filter(|p| {
            p.active
                && people
                    .iter()
                    .any(|q| q.active && q.superior_id == Some(p.id))
        })
        .filter(|p| everyone || reach.contains(&p.id))
        .cloned()
        .collect();
    Ok(heads)
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Webhook>,
    heads: Vec<Person>,
    events: Vec<&'static str>,
    formats: Vec<&'static str>,
}

async fn list_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        may_keep(&me)?;
        let items = state.store.webhooks(&me.viewer).await?;
        let heads = team_heads(&state, &me).await?;
        Ok::<_, AppError>((items, heads))
    }
    .await;
    match result {
        Ok((items, heads)) => render(
            &ListPage {
                tr: me.tr(),
                me: &me,
                items,
                heads,
                events: Event::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect(),
                formats: Format::ALL
                    .iter()
                    .filter(|f| f.is_robot() || me.can(Action::ManageWebhooks))
                    .map(|f| f.as_str())
                    .collect(),
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

/// The form's pairs: `events` repeats, one per ticked box.
fn form_input(pairs: &[(String, String)]) -> Result<(WebhookInput, Option<i64>), AppError> {
    let one = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let input = WebhookInput {
        name: one("name"),
        url: one("url"),
        format: one("format"),
        events: pairs
            .iter()
            .filter(|(k, _)| k == "events")
            .map(|(_, v)| v.clone())
            .collect(),
        team_head_id: crate::customer::parse_int("team_head_id", one("team_head_id").as_deref())?,
        locale: one("locale"),
        secret: one("secret"),
        allow_private: one("allow_private").is_some(),
    };
    let version = crate::customer::parse_int("version", one("version").as_deref())?;
    Ok((input, version))
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct DetailPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    w: Webhook,
    deliveries: Vec<Delivery>,
    heads: Vec<Person>,
    events: Vec<&'static str>,
    /// Just made: the signing secret, shown this once.
    secret: Option<String>,
}

impl DetailPage<'_> {
    fn subscribed(&self, e: &str) -> bool {
        self.w.events.iter().any(|x| x == e)
    }
    fn event_label(&self, e: &str) -> String {
        self.tr.tp("webhook_event", e).to_string()
    }
    fn data_text(&self, d: &Delivery) -> String {
        serde_json::to_string_pretty(&d.data).unwrap_or_default()
    }
}

async fn show(state: &AppState, me: &CurrentUser, id: i64, secret: Option<String>) -> Response {
    let result = async {
        may_keep(me)?;
        let w = state.store.webhook(&me.viewer, id).await?;
        let deliveries = state
            .store
            .webhook_deliveries(me.viewer.org_id, id, None, 100)
            .await?;
        let heads = team_heads(state, me).await?;
        Ok::<_, AppError>((w, deliveries, heads))
    }
    .await;
    match result {
        Ok((w, deliveries, heads)) => render(
            &DetailPage {
                tr: me.tr(),
                me,
                w,
                deliveries,
                heads,
                events: Event::SUBSCRIBABLE.iter().map(|e| e.as_str()).collect(),
                secret,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn detail_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    show(&state, &me, id, None).await
}

async fn create_submit(
    State(state): State<AppState>,
    page: PageForm<Vec<(String, String)>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        may_keep(&me)?;
        let (input, _) = form_input(&form)?;
        let fields = input.parse()?;
        plain_needs_admin(&me, &fields)?;
        let (w, secret) = state
            .store
            .create_webhook(&me.viewer, &fields, state.now())
            .await?;
        Ok::<_, AppError>((w.id, (fields.format == Format::Json).then_some(secret)))
    }
    .await;
    match result {
        Ok((id, secret)) => show(&state, &me, id, secret).await,
        Err(e) => e.into_page(me.locale()),
    }
}

async fn update_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<Vec<(String, String)>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        may_keep(&me)?;
        let (input, version) = form_input(&form)?;
        let fields = input.parse()?;
        plain_needs_admin(&me, &fields)?;
        Ok::<_, AppError>(
            state
                .store
                .update_webhook(&me.viewer, id, version_of(version)?, &fields, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => done(&format!("/admin/webhooks/{id}"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct Empty {}

async fn step_submit(
    State(state): State<AppState>,
    Path((id, step)): Path<(i64, String)>,
    page: PageForm<Empty>,
) -> Response {
    let PageForm { user: me, .. } = page;
    let result = async {
        may_keep(&me)?;
        let now = state.now();
        match step.as_str() {
            "ping" => {
                state.store.ping_webhook(&me.viewer, id, now).await?;
                Ok(format!("/admin/webhooks/{id}#deliveries"))
            }
            "pause" | "resume" => {
                pause(&state, &me, id, step == "pause").await?;
                Ok(format!("/admin/webhooks/{id}"))
            }
            "delete" => {
                state.store.delete_webhook(&me.viewer, id, now).await?;
                Ok("/admin/webhooks".to_string())
            }
            _ => Err(AppError::NotFound),
        }
    }
    .await;
    match result {
        Ok(to) => done(&to, "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn redeliver_submit(
    State(state): State<AppState>,
    Path((id, delivery)): Path<(i64, i64)>,
    page: PageForm<Empty>,
) -> Response {
    let PageForm { user: me, .. } = page;
    let result = async {
        may_keep(&me)?;
        Ok::<_, AppError>(
            state
                .store
                .redeliver(&me.viewer, id, delivery, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(_) => done(&format!("/admin/webhooks/{id}#deliveries"), "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct Webhooks {
    items: Vec<yingpan_store::Webhook>,
    /// The events an endpoint may subscribe to.
    events: Vec<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Created {
    webhook: yingpan_store::Webhook,
    /// The signing secret, answered this once (none for a group robot).
    secret: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookAnswer)]
struct One {
    webhook: yingpan_store::Webhook,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Queued {
    delivery_id: i64,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/webhooks", api_list),
        answer("post", "/webhooks", api_create),
        answer("get", "/webhooks/{id}", api_get),
        answer("put", "/webhooks/{id}", api_update),
        answer("delete", "/webhooks/{id}", api_delete),
        answer("get", "/webhooks/{id}/deliveries", api_deliveries),
        answer(
            "post",
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            api_redeliver,
        ),
        answer("post", "/webhooks/{id}/pause", api_pause),
        answer("post", "/webhooks/{id}/resume", api_resume),
        answer("post", "/webhooks/{id}/ping", api_ping),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/webhooks", get(api_list).post(api_create))
        .route(
            "/api/v1/webhooks/{id}",
            get(api_get).put(api_update).delete(api_delete),
        )
        .route("/api/v1/webhooks/{id}/deliveries", get(api_deliveries))
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(api_redeliver),
        )
        .route("/api/v1/webhooks/{id}/pause", post(api_pause))
        .route("/api/v1/webhooks/{id}/resume", post(api_resume))
        .route("/api/v1/webhooks/{id}/ping", post(api_ping))
        .route("/admin/webhooks", get(list_page).post(create_submit))
        .route("/admin/webhooks/{id}", get(detail_page).post(update_submit))
        .route("/admin/webhooks/{id}/{step}", post(step_submit))
        .route(
            "/admin/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(redeliver_submit),
        )
}
