//! Absences and acting for an absent owner (代签代收, rule 4): who is away, and — for those the
//! domain lets cover for them — the owner's customers to sign an order for and open orders to
//! take a payment on. The order and the money stay the owner's.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::order::{price_lines, LineInput};
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use yingpan_domain::order::{parse_amount, parse_due_date, PaymentKind};
use yingpan_domain::ValidationError;
use yingpan_store::{Absence, Order, Product};

fn day(field: &'static str, raw: Option<&str>) -> Result<NaiveDate, ValidationError> {
    yingpan_domain::day::parse(field, raw.unwrap_or(""))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OnQuery {
    on: Option<String>,
}

async fn api_list(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<OnQuery>,
) -> Result<Json<Listing<Absence>>, AppError> {
    let on = match q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => day("on", Some(raw))?,
        None => state.today(),
    };
    let items = state.store.absences(me.viewer.org_id, on).await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewAbsence {
    /// Someone below the caller; the caller when absent.
    user_id: Option<i64>,
    starts_on: Option<String>,
    ends_on: Option<String>,
    note: Option<String>,
}

async fn add(state: &AppState, me: &CurrentUser, req: &NewAbsence) -> Result<Absence, AppError> {
    let starts = day("starts_on", req.starts_on.as_deref())?;
    let ends = day("ends_on", req.ends_on.as_deref())?;
    Ok(state
        .store
        .add_absence(
            &me.viewer,
            req.user_id.unwrap_or(me.user.id),
            starts,
            ends,
            req.note.as_deref().filter(|n| !n.trim().is_empty()),
            state.now(),
        )
        .await?)
}

async fn api_add(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(req): JsonBody<NewAbsence>,
) -> Result<crate::described::Created<Absence>, AppError> {
    Ok(crate::described::Created(add(&state, &me, &req).await?))
}

async fn api_customers(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(owner): Path<i64>,
) -> Result<Json<ActFor>, AppError> {
    let customers = state
        .store
        .act_for_customers(&me.viewer, owner, state.now())
        .await?;
    let orders = state
        .store
        .act_for_orders(&me.viewer, owner, state.now())
        .await?;
    let items: Vec<NamedCustomer> = customers
        .into_iter()
        .map(|(id, name)| NamedCustomer { id, name })
        .collect();
    Ok(Json(ActFor {
        total: items.len(),
        items,
        open_orders: orders,
    }))
}

/// What a colleague may do for an absent owner: their customers and open orders.
#[derive(Serialize, utoipa::ToSchema)]
struct ActFor {
    total: usize,
    items: Vec<NamedCustomer>,
    open_orders: Vec<yingpan_store::Order>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct NamedCustomer {
    id: i64,
    name: String,
}

#[derive(Template)]
#[template(path = "act_for.html")]
struct ActForPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    today: String,
    absences: Vec<Absence>,
    /// The absent owner chosen, with their customers, open orders and the price list.
    owner: Option<(i64, String)>,
    customers: Vec<(i64, String)>,
    orders: Vec<Order>,
    products: Vec<Product>,
    /// Why the viewer may not act for the chosen owner.
    refused: Option<String>,
}

#[derive(Deserialize)]
struct PageQuery {
    owner: Option<i64>,
}

async fn page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PageQuery>,
) -> Response {
    let result = async {
        let today = state.today();
        let absences = state.store.absences(me.viewer.org_id, today).await?;
        let tr = me.tr();
        let (mut customers, mut orders, mut products, mut refused, mut owner) =
            (Vec::new(), Vec::new(), Vec::new(), None, None);
        if let Some(id) = q.owner {
            let name = state.store.user(me.viewer.org_id, id).await?.display_name;
            owner = Some((id, name));
            match state
                .store
                .act_for_customers(&me.viewer, id, state.now())
                .await
            {
                Ok(c) => {
                    customers = c;
                    orders = state
                        .store
                        .act_for_orders(&me.viewer, id, state.now())
                        .await?;
                    products = state.store.products(me.viewer.org_id, false).await?;
                }
                // Not allowed to cover for them (not away, another team): said on the page.
                Err(e @ yingpan_store::StoreError::Invalid(_)) => {
                    refused = Some(AppError::from(e).localized(me.locale()).to_string());
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok::<_, AppError>(ActForPage {
            today: today.to_string(),
            absences,
            owner,
            customers,
            orders,
            products,
            refused,
            tr,
            me: &me,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct AbsenceForm {
    starts_on: Option<String>,
    ends_on: Option<String>,
    note: Option<String>,
}

async fn absence_submit(State(state): State<AppState>, page: PageForm<AbsenceForm>) -> Response {
    let PageForm { user: me, form } = page;
    let req = NewAbsence {
        user_id: None,
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        note: form.note.clone(),
    };
    match add(&state, &me, &req).await {
        Ok(_) => Redirect::to("/act-for").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct OrderForm {
    owner: i64,
    customer_id: Option<i64>,
    product_id: Option<i64>,
    quantity: Option<String>,
}

async fn order_submit(State(state): State<AppState>, page: PageForm<OrderForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let customer = form
            .customer_id
            .ok_or_else(|| ValidationError::new("customer_id", "required", "name the customer"))?;
        let lines = price_lines(
            &state,
            &me,
            &[LineInput {
                product_id: form.product_id,
                quantity: form.quantity.clone(),
                unit_price: None,
            }],
        )
        .await?;
        let due = parse_due_date(None, state.today())?;
        let order = state
            .store
            .create_order_for(
                &me.viewer,
                Some(form.owner),
                customer,
                &lines,
                due,
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(order)
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/act-for?owner={}", form.owner)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct PaymentForm {
    owner: i64,
    order_id: i64,
    kind: Option<String>,
    amount: Option<String>,
}

async fn payment_submit(State(state): State<AppState>, page: PageForm<PaymentForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let kind = PaymentKind::parse(form.kind.as_deref().unwrap_or(""))?;
        let amount = parse_amount(form.amount.as_deref().unwrap_or(""))?;
        state
            .store
            .record_payment_for(
                &me.viewer,
                Some(form.owner),
                form.order_id,
                kind,
                amount,
                None,
                state.now(),
            )
            .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/act-for?owner={}", form.owner)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/absences", api_list),
        answer("post", "/absences", api_add),
        answer("get", "/act-for/{owner_id}/customers", api_customers),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/absences", get(api_list).post(api_add))
        .route("/api/v1/act-for/{owner_id}/customers", get(api_customers))
        .route("/act-for", get(page))
        .route("/act-for/absences", axum::routing::post(absence_submit))
        .route("/act-for/orders", axum::routing::post(order_submit))
        .route("/act-for/payments", axum::routing::post(payment_submit))
}
