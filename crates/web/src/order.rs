//! Orders with lines from the price list, and deposits / payments / refunds on them.

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
use serde::Deserialize;
use std::collections::HashMap;
use yingpan_domain::order::{
    parse_amount, parse_due_date, parse_line, DeliveryStatus, OrderLine, PaymentKind,
};
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;
use yingpan_store::{Order, OrderFilter};

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = OrderLineInput)]
pub(crate) struct LineInput {
    pub product_id: Option<i64>,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
}

/// Prices each line from the price list (active products only) and keeps name and unit.
pub(crate) async fn price_lines(
    state: &AppState,
    me: &CurrentUser,
    raw: &[LineInput],
) -> Result<Vec<(OrderLine, String, String, String)>, AppError> {
    if raw.len() > 100 {
        return Err(ValidationError::new("lines", "too_many", "at most 100 lines").into());
    }
    let products = state.store.products(me.viewer.org_id, false).await?;
    raw.iter()
        .map(|l| {
            let p = l
                .product_id
                .and_then(|id| products.iter().find(|p| p.id == id))
                .ok_or_else(|| {
                    ValidationError::new(
                        "product_id",
                        "unknown_product",
                        "choose a product from the price list",
                    )
                })?;
            let list_price = p.price;
            let line = parse_line(
                l.product_id,
                l.quantity.as_deref(),
                l.unit_price.as_deref(),
                list_price,
            )?;
            Ok((line, p.name.clone(), p.unit.clone(), p.currency.clone()))
        })
        .collect()
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewOrder {
    customer_id: Option<i64>,
    /// Defaults to net 30 days from today.
    due_date: Option<String>,
    #[serde(default)]
    lines: Vec<LineInput>,
    /// Signed for this absent owner (rule 4): the order is theirs.
    acting_for: Option<i64>,
}

async fn api_create(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewOrder>,
) -> Result<crate::described::Created<Order>, AppError> {
    let customer = req
        .customer_id
        .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
    let lines = price_lines(&state, &me, &req.lines).await?;
    let due = parse_due_date(req.due_date.as_deref(), state.today())?;
    Ok(crate::described::Created(
        state
            .store
            .create_order_for(
                &me.viewer,
                req.acting_for,
                customer,
                &lines,
                due,
                state.now(),
            )
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ListQuery {
    customer_id: Option<i64>,
    owner_id: Option<i64>,
    /// `YYYY-MM`: orders placed in that month (company time).
    month: Option<String>,
    /// Only orders with something still owed.
    open: Option<bool>,
}

/// `2026-11` → November 2026.
pub(crate) fn parse_month(raw: &str) -> Result<Period, ValidationError> {
    yingpan_domain::day::parse("month", &format!("{}-01", raw.trim()))
        .map(Period::month_of)
        .map_err(|e| match e.code {
            "out_of_range" => e,
            _ => ValidationError::new("month", "invalid_month", "must be a month like 2026-11"),
        })
}

fn filter_for(q: &ListQuery) -> Result<OrderFilter, ValidationError> {
    let (from, to) = match q.month.as_deref().filter(|m| !m.trim().is_empty()) {
        Some(m) => {
            let (f, t) = parse_month(m)?.bounds(china_offset());
            (Some(f), Some(t))
        }
        None => (None, None),
    };
    Ok(OrderFilter {
        customer_id: q.customer_id,
        owner_id: q.owner_id,
        from,
        to,
        open_only: q.open.unwrap_or(false),
        limit: 1000,
    })
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Listing<Order>>, AppError> {
    let items = state.store.orders(&me.viewer, &filter_for(&q)?).await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DeliveryInput {
    status: Option<String>,
    version: Option<i64>,
}

async fn deliver(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    d: &DeliveryInput,
) -> Result<Order, AppError> {
    let status = DeliveryStatus::parse(d.status.as_deref().unwrap_or(""))?;
    Ok(state
        .store
        .set_delivery_status(&me.viewer, id, status, d.version, state.now())
        .await?)
}

async fn api_delivery(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(d): JsonBody<DeliveryInput>,
) -> Result<Json<Order>, AppError> {
    Ok(Json(deliver(&state, &me, id, &d).await?))
}

async fn delivery_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<DeliveryInput>,
) -> Response {
    let PageForm { user: me, form } = page;
    match deliver(&state, &me, id, &form).await {
        Ok(_) => Redirect::to(&format!("/orders/{id}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn api_get(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Order>, AppError> {
    Ok(Json(state.store.order(&me.viewer, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PaymentInput {
    kind: Option<String>,
    amount: Option<String>,
    note: Option<String>,
    /// Taken for this absent owner (rule 4).
    acting_for: Option<i64>,
}

async fn pay(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    p: &PaymentInput,
) -> Result<Order, AppError> {
    let kind = PaymentKind::parse(p.kind.as_deref().unwrap_or(""))?;
    let amount = parse_amount(p.amount.as_deref().unwrap_or(""))?;
    Ok(state
        .store
        .record_payment_for(
            &me.viewer,
            p.acting_for,
            id,
            kind,
            amount,
            p.note.as_deref(),
            state.now(),
        )
        .await?)
}

async fn api_pay(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
    JsonBody(p): JsonBody<PaymentInput>,
) -> Result<Json<Order>, AppError> {
    Ok(Json(pay(&state, &me, id, &p).await?))
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    o: Order,
}

impl OrderPage<'_> {
    fn kind(&self, p: &yingpan_store::Payment) -> &'static str {
        p.kind.as_str()
    }
    fn delivery(&self) -> &'static str {
        self.o.delivery_status.as_str()
    }
}

async fn order_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Response {
    match state.store.order(&me.viewer, id).await {
        Ok(o) => render(
            &OrderPage {
                tr: me.tr(),
                me: &me,
                o,
            },
            me.locale(),
        ),
        Err(e) => AppError::from(e).into_page(me.locale()),
    }
}

/// The order form on the customer page: rows `p<n>` (product) and `q<n>` (quantity).
async fn create_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let customer: i64 = form
            .get("customer_id")
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
        let raw: Vec<LineInput> = (0..10)
            .filter_map(|n| {
                let product = form.get(&format!("p{n}")).filter(|v| !v.is_empty())?;
                Some(LineInput {
                    product_id: product.parse().ok(),
                    quantity: form.get(&format!("q{n}")).cloned(),
                    unit_price: None,
                })
            })
            .collect();
        let lines = price_lines(&state, &me, &raw).await?;
        let due = parse_due_date(form.get("due_date").map(String::as_str), state.today())?;
        Ok::<_, AppError>(
            state
                .store
                .create_order(&me.viewer, customer, &lines, due, state.now())
                .await?,
        )
    }
    .await;
    match result {
        Ok(o) => done(&format!("/orders/{}", o.id), "order_created", None),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn pay_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<PaymentInput>,
) -> Response {
    let PageForm { user: me, form } = page;
    match pay(&state, &me, id, &form).await {
        Ok(_) => Redirect::to(&format!("/orders/{id}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/orders", api_list),
        answer("post", "/orders", api_create),
        answer("get", "/orders/{id}", api_get),
        answer("post", "/orders/{id}/payments", api_pay),
        answer("post", "/orders/{id}/delivery", api_delivery),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orders", get(api_list).post(api_create))
        .route("/api/v1/orders/{id}", get(api_get))
        .route("/api/v1/orders/{id}/payments", post(api_pay))
        .route("/api/v1/orders/{id}/delivery", post(api_delivery))
        .route("/orders/{id}/delivery", post(delivery_submit))
        .route("/orders", post(create_submit))
        .route("/orders/{id}", get(order_page))
        .route("/orders/{id}/payments", post(pay_submit))
}
