//! The inside-sales clerk's ledgers (内勤台账): the month's sales ledger, sales per salesperson,
//! receivables with overdue ageing, and expense advances. Every list is the viewer's scope.

use crate::described::{answer, Answer};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::JsonBody;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::order::parse_month;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use yingpan_domain::ledger::{parse_entry, sum_by};
use yingpan_domain::order::Ageing;
use yingpan_domain::permission::Action;
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::Period;
use yingpan_store::{AdvanceLine, AdvanceSummary, Order, OrderFilter};

fn money(d: Decimal) -> String {
    d.normalize().to_string()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonSales {
    pub user_id: i64,
    pub name: String,
    pub orders: usize,
    pub total: String,
    pub paid: String,
    pub receivable: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SalesLedger {
    pub month: String,
    pub orders: Vec<Order>,
    pub by_salesperson: Vec<PersonSales>,
    pub total: String,
    pub paid: String,
    pub receivable: String,
}

async fn sales_ledger(
    state: &AppState,
    me: &CurrentUser,
    month: Option<&str>,
) -> Result<SalesLedger, AppError> {
    let period = match month.filter(|m| !m.trim().is_empty()) {
        Some(m) => parse_month(m)?,
        None => Period::month_of(state.today()),
    };
    let month = period.start.format("%Y-%m").to_string();
    let (from, to) = period.bounds(china_offset());
    let filter = OrderFilter {
        from: Some(from),
        to: Some(to),
        limit: 1000,
        ..Default::default()
    };
    let mut orders = state.store.orders(&me.viewer, &filter).await?;
    orders.reverse();
    let name_of = |o: &Order| (o.owner_name.clone().unwrap_or_default(), o.owner_id);
    let totals = sum_by(orders.iter().map(|o| (name_of(o), o.total)));
    let paid = sum_by(orders.iter().map(|o| (name_of(o), o.paid)));
    let counts = sum_by(orders.iter().map(|o| (name_of(o), Decimal::ONE)));
    let by_salesperson = totals
        .iter()
        .map(|(k, t)| PersonSales {
            user_id: k.1,
            name: k.0.clone(),
            orders: counts[k].try_into().unwrap_or(0),
            total: money(*t),
            paid: money(paid[k]),
            receivable: money(t.saturating_sub(paid[k])),
        })
        .collect();
    let total = yingpan_domain::money::sum(totals.values().copied());
    let paid_all = yingpan_domain::money::sum(paid.values().copied());
    Ok(SalesLedger {
        month,
        orders,
        by_salesperson,
        total: money(total),
        paid: money(paid_all),
        receivable: money(total.saturating_sub(paid_all)),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceivableItem {
    #[serde(flatten)]
    pub order: Order,
    pub ageing: Ageing,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Bucket {
    pub ageing: Ageing,
    pub amount: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerOwing {
    pub customer_id: i64,
    pub customer_name: String,
    pub receivable: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receivables {
    pub as_of: String,
    pub total: String,
    pub buckets: Vec<Bucket>,
    pub by_customer: Vec<CustomerOwing>,
    pub items: Vec<ReceivableItem>,
}

async fn receivables(
    state: &AppState,
    me: &CurrentUser,
    owner_id: Option<i64>,
) -> Result<Receivables, AppError> {
    let on = state.today();
    let rows = state.store.receivables(&me.viewer, owner_id, on).await?;
    let owing: Vec<Decimal> = rows.iter().map(|(o, _)| o.receivable).collect();
    let per_bucket = sum_by(rows.iter().zip(&owing).map(|((_, a), r)| (*a, *r)));
    let per_customer = sum_by(
        rows.iter()
            .zip(&owing)
            .map(|((o, _), r)| ((o.customer_name.clone(), o.customer_id), *r)),
    );
    let mut per_customer: Vec<_> = per_customer.into_iter().collect();
    per_customer.sort_by_key(|(_, r)| std::cmp::Reverse(*r));
    let by_customer: Vec<CustomerOwing> = per_customer
        .into_iter()
        .map(|((name, id), r)| CustomerOwing {
            customer_id: id,
            customer_name: name,
            receivable: money(r),
        })
        .collect();
    Ok(Receivables {
        as_of: on.to_string(),
        total: money(yingpan_domain::money::sum(per_bucket.values().copied())),
        buckets: Ageing::ALL
            .iter()
            .map(|a| Bucket {
                ageing: *a,
                amount: money(per_bucket.get(a).copied().unwrap_or_default()),
            })
            .collect(),
        by_customer,
        items: rows
            .into_iter()
            .map(|(order, ageing)| ReceivableItem { order, ageing })
            .collect(),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MonthQuery {
    month: Option<String>,
}

async fn api_sales(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<SalesLedger>, AppError> {
    Ok(Json(sales_ledger(&state, &me, q.month.as_deref()).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OwnerQuery {
    owner_id: Option<i64>,
    user_id: Option<i64>,
}

async fn api_receivables(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<OwnerQuery>,
) -> Result<Json<Receivables>, AppError> {
    Ok(Json(receivables(&state, &me, q.owner_id).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Advances {
    summary: Vec<AdvanceSummary>,
    items: Vec<AdvanceLine>,
}

async fn api_advances(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<OwnerQuery>,
) -> Result<Json<Advances>, AppError> {
    Ok(Json(Advances {
        summary: state.store.advance_summary(&me.viewer).await?,
        items: state.store.advances(&me.viewer, q.user_id).await?,
    }))
}

#[derive(Deserialize)]
struct AdvanceInput {
    user_id: Option<String>,
    kind: Option<String>,
    amount: Option<String>,
    purpose: Option<String>,
    occurred_on: Option<String>,
}

async fn record(
    state: &AppState,
    me: &CurrentUser,
    a: &AdvanceInput,
) -> Result<AdvanceLine, AppError> {
    me.may(Action::RecordAdvances)?;
    let user_id: i64 = a
        .user_id
        .as_deref()
        .and_then(|u| u.trim().parse().ok())
        .ok_or_else(|| {
            yingpan_domain::ValidationError::new("user_id", "required", "choose the salesperson")
        })?;
    let entry = parse_entry(
        a.kind.as_deref().unwrap_or(""),
        a.amount.as_deref().unwrap_or(""),
        a.purpose.as_deref().unwrap_or(""),
        a.occurred_on.as_deref(),
        state.today(),
    )?;
    Ok(state
        .store
        .record_advance(&me.viewer, user_id, &entry, state.now())
        .await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AdvanceJson {
    user_id: Option<i64>,
    kind: Option<String>,
    amount: Option<String>,
    purpose: Option<String>,
    occurred_on: Option<String>,
}

async fn api_record(
    State(state): State<AppState>,
    me: CurrentUser,
    JsonBody(a): JsonBody<AdvanceJson>,
) -> Result<crate::described::Created<AdvanceLine>, AppError> {
    let input = AdvanceInput {
        user_id: a.user_id.map(|u| u.to_string()),
        kind: a.kind,
        amount: a.amount,
        purpose: a.purpose,
        occurred_on: a.occurred_on,
    };
    Ok(crate::described::Created(
        record(&state, &me, &input).await?,
    ))
}

#[derive(Template)]
#[template(path = "ledgers.html")]
struct LedgersPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    sales: SalesLedger,
    receivables: Receivables,
    advances: Vec<AdvanceSummary>,
    entries: Vec<AdvanceLine>,
    people: Vec<yingpan_store::User>,
    today: String,
}

impl LedgersPage<'_> {
    fn records_advances(&self) -> bool {
        self.me.can(Action::RecordAdvances)
    }
    fn ageing(&self, a: &Ageing) -> &'static str {
        a.as_str()
    }
    fn delivery(&self, o: &Order) -> &'static str {
        o.delivery_status.as_str()
    }
    fn kind(&self, l: &AdvanceLine) -> &'static str {
        l.kind.as_str()
    }
}

async fn ledgers_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    let result = async {
        let sales = sales_ledger(&state, &me, q.month.as_deref()).await?;
        let receivables = receivables(&state, &me, None).await?;
        let advances = state.store.advance_summary(&me.viewer).await?;
        let entries = state.store.advances(&me.viewer, None).await?;
        let people = state
            .store
            .users(me.viewer.org_id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect();
        Ok::<_, AppError>(LedgersPage {
            tr: me.tr(),
            me: &me,
            sales,
            receivables,
            advances,
            entries,
            people,
            today: state.today().to_string(),
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

async fn advance_submit(State(state): State<AppState>, page: PageForm<AdvanceInput>) -> Response {
    let PageForm { user: me, form } = page;
    match record(&state, &me, &form).await {
        Ok(_) => Redirect::to("/ledgers#advances").into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/ledgers/sales", api_sales),
        answer("get", "/receivables", api_receivables),
        answer("get", "/expense-advances", api_advances),
        answer("post", "/expense-advances", api_record),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ledgers/sales", get(api_sales))
        .route("/api/v1/receivables", get(api_receivables))
        .route(
            "/api/v1/expense-advances",
            get(api_advances).post(api_record),
        )
        .route("/ledgers", get(ledgers_page))
        .route("/ledgers/advances", axum::routing::post(advance_submit))
}
