//! Service tickets (`domain::service`): the API, the list and ticket pages, and the company's
//! service settings (deadlines per severity, when return visits fall due).

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
use std::collections::HashMap;
use yingpan_domain::permission::Action;
use yingpan_domain::service::{
    field_names, parse_step, Category, ServiceSettings, Severity, Sla, Status, Step, TicketInput,
};
use yingpan_domain::ValidationError;
use yingpan_store::{Activity, Order, OrderFilter, Ticket, TicketEvent, TicketFilter};

const PAGE: i64 = 50;

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct ListQuery {
    status: Option<String>,
    /// `1`: new or in progress only.
    open: Option<String>,
    /// `1`: open with a deadline passed.
    overdue: Option<String>,
    severity: Option<String>,
    category: Option<String>,
    /// A person's id, or `me`.
    assignee_id: Option<String>,
    customer_id: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

fn flag(field: &'static str, raw: Option<&str>) -> Result<bool, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") | Some("0") | Some("false") => Ok(false),
        Some("1") | Some("true") | Some("on") => Ok(true),
        Some(_) => Err(ValidationError::new(
            field,
            "invalid_flag",
            "must be 1 or 0",
        )),
    }
}

fn id(field: &'static str, raw: Option<&str>) -> Result<Option<i64>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                ValidationError::new(field, "invalid_id", "must be a positive whole number")
            }),
    }
}

fn choice<T>(
    raw: Option<&str>,
    parse: fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some),
    }
}

impl ListQuery {
    fn filter(
        &self,
        me: &CurrentUser,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<TicketFilter, AppError> {
        let assignee_id = match self.assignee_id.as_deref().map(str::trim) {
            Some("me") => Some(me.user.id),
            other => id("assignee_id", other)?,
        };
        let limit = id("limit", self.limit.as_deref())?.unwrap_or(PAGE);
        let offset = match self.offset.as_deref().map(str::trim) {
            None | Some("") => 0,
            Some(s) => s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ValidationError::new("offset", "invalid_number", "must be 0 or more")
            })?,
        };
        Ok(TicketFilter {
            status: choice(self.status.as_deref(), Status::parse)?,
            open: flag("open", self.open.as_deref())?,
            overdue_at: flag("overdue", self.overdue.as_deref())?.then_some(now),
            severity: choice(self.severity.as_deref(), Severity::parse)?,
            category: choice(self.category.as_deref(), Category::parse)?,
            assignee_id,
            customer_id: id("customer_id", self.customer_id.as_deref())?,
            limit: limit.min(200),
            offset,
        })
    }

    /// The query string of this filter (without paging), for the pager's links.
    fn keep(&self) -> String {
        let mut out = String::new();
        for (k, v) in [
            ("status", &self.status),
            ("open", &self.open),
            ("overdue", &self.overdue),
            ("severity", &self.severity),
            ("category", &self.category),
            ("assignee_id", &self.assignee_id),
            ("customer_id", &self.customer_id),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.push_str(&format!("&{k}={}", crate::render::urlencode(v)));
            }
        }
        out
    }
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<Ticket>>, AppError> {
    let now = state.now();
    let filter = q.filter(&me, now)?;
    let (items, total) = state.store.tickets(&me.viewer, &filter, now).await?;
    Ok(Json(Listing::counted(items, total)))
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<TicketInput>,
) -> Result<crate::described::Created<Ticket>, AppError> {
    let f = req.parse()?;
    let t = state.store.file_ticket(&me.viewer, &f, state.now()).await?;
    Ok(crate::described::Created(t))
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<TicketDetail>, AppError> {
    let now = state.now();
    let ticket = state.store.ticket(&me.viewer, id, now).await?;
    let events = state.store.ticket_events(&me.viewer, id, now).await?;
    Ok(Json(TicketDetail { ticket, events }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TicketStepRequest)]
struct StepRequest {
    step: Option<String>,
    body: Option<String>,
    assignee_id: Option<i64>,
    version: Option<i64>,
}

async fn take_step(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    req: &StepRequest,
) -> Result<Ticket, AppError> {
    let step = parse_step(
        req.step.as_deref().unwrap_or(""),
        req.body.as_deref(),
        req.assignee_id,
    )?;
    let version = req
        .version
        .ok_or_else(|| ValidationError::new("version", "required", "send the version you read"))?;
    Ok(state
        .store
        .ticket_step(&me.viewer, id, &step, Some(version), state.now())
        .await?)
}

async fn api_step(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(req): JsonBody<StepRequest>,
) -> Result<Json<Ticket>, AppError> {
    Ok(Json(take_step(&state, &me, id, &req).await?))
}

async fn api_settings(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<ServiceSettings>, AppError> {
    Ok(Json(state.store.service_settings(me.viewer.org_id).await?))
}

async fn save_settings(
    state: &AppState,
    me: &CurrentUser,
    settings: ServiceSettings,
) -> Result<ServiceSettings, AppError> {
    me.may(Action::ManageOrganization)?;
    let settings = settings.check()?;
    state
        .store
        .set_service_settings(&me.viewer, &settings, state.now())
        .await?;
    Ok(settings)
}

async fn api_put_settings(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(settings): JsonBody<ServiceSettings>,
) -> Result<Json<ServiceSettings>, AppError> {
    Ok(Json(save_settings(&state, &me, settings).await?))
}

#[derive(Template)]
#[template(path = "tickets.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    items: Vec<Ticket>,
    total: i64,
    q: ListQuery,
    keep: String,
    offset: i64,
}

impl ListPage<'_> {
    fn is(&self, field: &str, value: &str) -> bool {
        let v = match field {
            "status" => &self.q.status,
            "severity" => &self.q.severity,
            "category" => &self.q.category,
            "assignee_id" => &self.q.assignee_id,
            "open" => &self.q.open,
            _ => &self.q.overdue,
        };
        v.as_deref() == Some(value)
    }
    fn next(&self) -> Option<i64> {
        (self.offset + PAGE < self.total).then_some(self.offset + PAGE)
    }
    fn prev(&self) -> Option<i64> {
        (self.offset > 0).then(|| (self.offset - PAGE).max(0))
    }
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Response {
    let now = state.now();
    let result = async {
        let filter = q.filter(&me, now)?;
        let offset = filter.offset;
        let (items, total) = state.store.tickets(&me.viewer, &filter, now).await?;
        Ok::<_, AppError>((items, total, offset))
    }
    .await;
    match result {
        Ok((items, total, offset)) => {
            let keep = q.keep();
            render(
                &ListPage {
                    tr: me.tr(),
                    me: &me,
                    items,
                    total,
                    q,
                    keep,
                    offset,
                },
                me.locale(),
            )
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "ticket.html")]
struct TicketPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    t: Ticket,
    events: Vec<TicketEvent>,
    /// The customer's story, when the viewer reaches the customer: latest contacts, orders,
    /// and the customer's other tickets.
    activities: Vec<Activity>,
    orders: Vec<Order>,
    others: Vec<Ticket>,
    /// People the ticket may be handed to.
    people: Vec<(i64, String)>,
}

impl TicketPage<'_> {
    fn allows(&self, step: &str) -> bool {
        match (Status::parse(&self.t.status), Step::parse(step)) {
            (Ok(from), Ok(step)) => yingpan_domain::service::next_status(from, step).is_ok(),
            _ => false,
        }
    }
    fn late(&self, deadline: &str) -> bool {
        self.t.overdue.iter().any(|d| d.as_str() == deadline)
    }
}

async fn ticket_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    let now = state.now();
    let result = async {
        let store = &state.store;
        let t = store.ticket(&me.viewer, id, now).await?;
        let events = store.ticket_events(&me.viewer, id, now).await?;
        // The assignee may reach the ticket without reaching its customer (someone else's
        // customer handed to the service desk): the story is then left out, not refused.
        let activities = match store.activities(&me.viewer, t.customer_id, 10).await {
            Ok((a, _)) => a,
            Err(yingpan_store::StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let orders = if activities.is_empty() && t.customer_owner_id != Some(me.user.id) {
            Vec::new()
        } else {
            store
                .orders(
                    &me.viewer,
                    &OrderFilter {
                        customer_id: Some(t.customer_id),
                        limit: 10,
                        ..OrderFilter::default()
                    },
                )
                .await?
        };
        let (others, _) = store
            .tickets(
                &me.viewer,
                &TicketFilter {
                    customer_id: Some(t.customer_id),
                    limit: 11,
                    ..TicketFilter::default()
                },
                now,
            )
            .await?;
        let others = others.into_iter().filter(|o| o.id != id).take(10).collect();
        let mut people: Vec<(i64, String)> = store
            .people_in_scope(&me.viewer)
            .await?
            .into_iter()
            .filter(|p| p.active)
            .map(|p| (p.id, p.display_name))
            .collect();
        for (pid, name) in [
            (Some(me.user.id), Some(me.user.display_name.clone())),
            (t.customer_owner_id, None),
        ] {
            if let Some(pid) = pid {
                if !people.iter().any(|(i, _)| *i == pid) {
                    people.push((pid, name.unwrap_or_else(|| format!("#{pid}"))));
                }
            }
        }
        Ok::<_, AppError>(TicketPage {
            tr: me.tr(),
            me: &me,
            t,
            events,
            activities,
            orders,
            others,
            people,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct StepForm {
    step: Option<String>,
    body: Option<String>,
    assignee_id: Option<String>,
    version: Option<String>,
}

async fn step_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<StepForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let req = StepRequest {
            step: form.step.clone(),
            body: form.body.clone(),
            assignee_id: crate::ticket::id("assignee_id", form.assignee_id.as_deref())?,
            version: form.version.as_deref().and_then(|v| v.trim().parse().ok()),
        };
        take_step(&state, &me, id, &req).await
    }
    .await;
    match result {
        Ok(_) => done(&format!("/tickets/{id}"), "ticket_updated", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "ticket_new.html")]
struct NewPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    customer: yingpan_store::Customer,
    orders: Vec<Order>,
    products: Vec<yingpan_store::Product>,
}

#[derive(Deserialize)]
struct NewQuery {
    customer_id: Option<String>,
}

async fn new_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<NewQuery>,
) -> Response {
    let result = async {
        let customer_id = id("customer_id", q.customer_id.as_deref())?.ok_or_else(|| {
            ValidationError::new(
                "customer_id",
                "required",
                "open the form from a customer's page",
            )
        })?;
        let customer = state.store.customer(&me.viewer, customer_id).await?;
        let orders = state
            .store
            .orders(
                &me.viewer,
                &OrderFilter {
                    customer_id: Some(customer_id),
                    limit: 50,
                    ..OrderFilter::default()
                },
            )
            .await?;
        let products = state.store.products(me.viewer.org_id, false).await?;
        Ok::<_, AppError>(NewPage {
            tr: me.tr(),
            me: &me,
            customer,
            orders,
            products,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct NewForm {
    customer_id: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    subject: Option<String>,
    description: Option<String>,
    product_id: Option<String>,
    order_id: Option<String>,
}

async fn create_submit(State(state): State<AppState>, page: PageForm<NewForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let input = TicketInput {
            customer_id: id("customer_id", form.customer_id.as_deref())?,
            category: form.category.clone(),
            severity: form.severity.clone(),
            subject: form.subject.clone(),
            description: form.description.clone(),
            product_id: id("product_id", form.product_id.as_deref())?,
            order_id: id("order_id", form.order_id.as_deref())?,
            assignee_id: None,
        };
        let f = input.parse()?;
        Ok::<_, AppError>(state.store.file_ticket(&me.viewer, &f, state.now()).await?)
    }
    .await;
    match result {
        Ok(t) => done(&format!("/tickets/{}", t.id), "ticket_filed", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "service_settings.html")]
struct SettingsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    /// (severity, response hours, resolution hours)
    rows: Vec<(&'static str, u32, u32)>,
    s: ServiceSettings,
}

async fn settings_page(State(state): State<AppState>, me: CurrentUser) -> Response {
    let result = async {
        me.may(Action::ManageOrganization)?;
        Ok::<_, AppError>(state.store.service_settings(me.viewer.org_id).await?)
    }
    .await;
    match result {
        Ok(s) => render(
            &SettingsPage {
                tr: me.tr(),
                me: &me,
                rows: Severity::ALL
                    .iter()
                    .map(|v| {
                        let sla = s.sla(*v);
                        (v.as_str(), sla.response_hours, sla.resolution_hours)
                    })
                    .collect(),
                s,
            },
            me.locale(),
        ),
        Err(e) => e.into_page(me.locale()),
    }
}

/// A whole number of hours or days as typed in the settings form.
fn hours(form: &HashMap<String, String>, field: &'static str) -> Result<u32, ValidationError> {
    form.get(field)
        .map(|v| v.trim())
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or_else(|| ValidationError::new(field, "invalid_number", "must be a whole number"))
}

async fn settings_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let sla = |s: Severity| -> Result<Sla, ValidationError> {
            let (response, resolution) = field_names(s);
            Ok(Sla {
                response_hours: hours(&form, response)?,
                resolution_hours: hours(&form, resolution)?,
            })
        };
        let settings = ServiceSettings {
            critical: sla(Severity::Critical)?,
            high: sla(Severity::High)?,
            normal: sla(Severity::Normal)?,
            low: sla(Severity::Low)?,
            return_visit_after_delivery_days: hours(&form, "return_visit_after_delivery_days")?,
            return_visit_after_ticket_days: hours(&form, "return_visit_after_ticket_days")?,
        };
        save_settings(&state, &me, settings).await
    }
    .await;
    match result {
        Ok(_) => done("/admin/service", "saved", None),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct TicketDetail {
    ticket: yingpan_store::Ticket,
    events: Vec<yingpan_store::TicketEvent>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/tickets", api_list),
        answer("post", "/tickets", api_create),
        answer("get", "/tickets/{id}", api_get),
        answer("post", "/tickets/{id}/steps", api_step),
        answer("get", "/service-settings", api_settings),
        answer("put", "/service-settings", api_put_settings),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/tickets", get(api_list).post(api_create))
        .route("/api/v1/tickets/{id}", get(api_get))
        .route("/api/v1/tickets/{id}/steps", post(api_step))
        .route(
            "/api/v1/service-settings",
            get(api_settings).put(api_put_settings),
        )
        .route("/tickets", get(list_page).post(create_submit))
        .route("/tickets/new", get(new_page))
        .route("/tickets/{id}", get(ticket_page))
        .route("/tickets/{id}/steps", post(step_submit))
        .route("/admin/service", get(settings_page).post(settings_submit))
}
