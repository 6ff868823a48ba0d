//! Pay (薪酬): plans, the monthly pay sheets (base + process + commission + rewards and
//! penalties), their review, approval and the closing of a month. The sheet is the domain's
//! (`pay::compute`), the facts and scope the store's; this module parses and shows.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use yingpan_domain::pay::{
    AttainmentStep, CategoryRate, PayPlan, PersonBase, ProcessItem, ProcessMeasure, ProductRate,
};
use yingpan_domain::permission::Action;
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;
use yingpan_store::{parse_month, StoredPayPlan, StoredSheet};

/// The month asked for; last month when blank (pay is settled after the month).
fn month_or_last(raw: Option<&str>, state: &AppState) -> Result<Period, ValidationError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(m) => parse_month("month", m),
        None => {
            let this = Period::month_of(state.today());
            Ok(Period::month_of(this.start - chrono::Duration::days(1)))
        }
    }
}

fn month_label(p: Period) -> String {
    p.start.format("%Y-%m").to_string()
}

#[derive(Deserialize, utoipa::ToSchema)]
struct MonthQuery {
    month: Option<String>,
    format: Option<String>,
}

async fn api_plans(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Listing<StoredPayPlan>>, AppError> {
    me.may(Action::ApprovePay)
        .or_else(|_| me.may(Action::ReviewPay))?;
    let items = state.store.pay_plans(me.viewer.org_id).await?;
    Ok(Json(Listing::all(items)))
}

async fn save_plan(
    state: &AppState,
    me: &CurrentUser,
    month: &str,
    version: Option<i64>,
    plan: &PayPlan,
) -> Result<StoredPayPlan, AppError> {
    me.may(Action::ManagePayPlans)?;
    let month = parse_month("effective_month", month)?;
    let people: Vec<i64> = state
        .store
        .users(me.viewer.org_id)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    let products: Vec<i64> = state
        .store
        .products(me.viewer.org_id, true)
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    if let Some(r) = plan
        .product_rates
        .iter()
        .find(|r| !products.contains(&r.product_id))
    {
        return Err(ValidationError::new(
            "product_rates",
            "unknown_product",
            format!("no product {} on the price list", r.product_id),
        )
        .into());
    }
    if let Some(id) = plan.base_by_person.keys().find(|id| !people.contains(id)) {
        return Err(ValidationError::new(
            "base_by_person",
            "unknown_person",
            format!("no person {id} in this company"),
        )
        .into());
    }
    Ok(state
        .store
        .save_pay_plan(
            &me.viewer,
            month,
            plan,
            version.filter(|v| *v > 0),
            state.now(),
        )
        .await?)
}

async fn api_save_plan(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(month): Path<String>,
    JsonBody(body): JsonBody<Value>,
) -> Result<Json<StoredPayPlan>, AppError> {
    let Value::Object(mut req) = body else {
        return Err(
            ValidationError::new("plan", "invalid_plan", "not a pay plan: not an object").into(),
        );
    };
    // The plan's fields and the stored plan's `version` (none or 0 for a new month), side by
    // side; read apart because serde's flatten cannot read the people's ids as map keys.
    let version = match req.remove("version") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64().ok_or_else(|| {
            ValidationError::new("version", "invalid_number", "must be a whole number")
        })?),
    };
    let plan: PayPlan = serde_json::from_value(Value::Object(req)).map_err(|e| {
        ValidationError::new("plan", "invalid_plan", format!("not a pay plan: {e}"))
    })?;
    Ok(Json(save_plan(&state, &me, &month, version, &plan).await?))
}

async fn api_sheets(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Result<Json<PaySheets>, AppError> {
    let month = month_or_last(q.month.as_deref(), &state)?;
    let items = state.store.pay_sheets(&me.viewer, month).await?;
    Ok(Json(PaySheets {
        month: month_label(month),
        total: items.len(),
        items,
    }))
}

async fn api_sheet(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((month, user_id)): Path<(String, i64)>,
) -> Result<Json<StoredSheet>, AppError> {
    let month = parse_month("month", &month)?;
    Ok(Json(
        state.store.pay_sheet(&me.viewer, month, user_id).await?,
    ))
}

async fn sign(
    state: &AppState,
    me: &CurrentUser,
    month: &str,
    user_id: i64,
    approve: bool,
) -> Result<StoredSheet, AppError> {
    me.may(if approve {
        Action::ApprovePay
    } else {
        Action::ReviewPay
    })?;
    let month = parse_month("month", month)?;
    Ok(state
        .store
        .sign_pay_sheet(&me.viewer, month, user_id, approve, state.now())
        .await?)
}

async fn api_review(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((month, user_id)): Path<(String, i64)>,
) -> Result<Json<StoredSheet>, AppError> {
    Ok(Json(sign(&state, &me, &month, user_id, false).await?))
}

async fn api_approve(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((month, user_id)): Path<(String, i64)>,
) -> Result<Json<StoredSheet>, AppError> {
    Ok(Json(sign(&state, &me, &month, user_id, true).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AdjustmentRequest {
    amount: String,
    reason: String,
}

async fn adjust(
    state: &AppState,
    me: &CurrentUser,
    month: &str,
    user_id: i64,
    req: &AdjustmentRequest,
) -> Result<StoredSheet, AppError> {
    me.may(Action::ReviewPay)?;
    let month = parse_month("month", month)?;
    let raw = req.amount.trim();
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let amount = yingpan_domain::money::parse_amount("amount", digits)?;
    let amount = if negative { -amount } else { amount };
    Ok(state
        .store
        .add_pay_adjustment(&me.viewer, month, user_id, amount, &req.reason, state.now())
        .await?)
}

async fn api_adjust(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((month, user_id)): Path<(String, i64)>,
    JsonBody(req): JsonBody<AdjustmentRequest>,
) -> Result<crate::described::Created<StoredSheet>, AppError> {
    Ok(crate::described::Created(
        adjust(&state, &me, &month, user_id, &req).await?,
    ))
}

async fn close(state: &AppState, me: &CurrentUser, month: &str) -> Result<usize, AppError> {
    me.may(Action::ApprovePay)?;
    let month = parse_month("month", month)?;
    Ok(state
        .store
        .close_pay_month(&me.viewer, month, state.now())
        .await?)
}

async fn api_close(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(month): Path<String>,
) -> Result<Json<Closed>, AppError> {
    let sheets = close(&state, &me, &month).await?;
    Ok(Json(Closed { month, sheets }))
}

async fn api_export(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    me.may(Action::ExportCustomers)?;
    me.may(Action::ReviewPay)?;
    let format = q.format.clone().unwrap_or_else(|| "xlsx".into());
    if !matches!(format.as_str(), "csv" | "xlsx") {
        return Err(ValidationError::new("format", "unknown_format", "choose csv or xlsx").into());
    }
    let month = month_or_last(q.month.as_deref(), &state)?;
    let sheets = state.store.pay_sheets(&me.viewer, month).await?;
    let tr = me.tr();
    let header: Vec<String> = [
        "pay.person",
        "pay.base",
        "pay.process",
        "pay.commission",
        "pay.referrals",
        "pay.adjustments",
        "pay.total",
        "pay.state",
    ]
    .iter()
    .map(|k| tr.t(k).to_string())
    .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = sheets
        .iter()
        .map(|s| {
            let n = |f: fn(&yingpan_domain::pay::PaySheet) -> Decimal| {
                s.sheet
                    .as_ref()
                    .map(|x| f(x).to_string())
                    .unwrap_or_default()
            };
            vec![
                s.name.clone(),
                n(|x| x.base),
                n(|x| x.process_total),
                n(|x| x.commission_total),
                n(|x| x.referrals_total),
                n(|x| x.adjustments_total),
                n(|x| x.total),
                tr.tp("pay.status", s.status.as_str()),
            ]
        })
        .collect();
    state
        .store
        .record_export_of(&me.viewer, "pay_export", rows.len(), state.now())
        .await?;
    let name = format!("pay-{}", month_label(month));
    Ok(if format == "csv" {
        let body = yingpan_exchange::export::table_csv(&header, &rows)?;
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            body,
        )
            .into_response()
    } else {
        let body =
            yingpan_exchange::export::table_xlsx("工资", &header, &rows, &[1, 2, 3, 4, 5, 6])?;
        (
            [
                (
                    CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
                ),
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.xlsx\""),
                ),
            ],
            body,
        )
            .into_response()
    })
}

// ----- pages -----

pub struct SheetRow {
    pub user_id: i64,
    pub name: String,
    pub base: String,
    pub process: String,
    pub commission: String,
    pub adjustments: String,
    pub total: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "pay_sheets.html")]
struct SheetsPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    month: String,
    rows: Vec<SheetRow>,
    total: String,
    no_plan: bool,
    can_close: bool,
    can_export: bool,
    closed: bool,
}

async fn sheets_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    let result = async {
        let month = month_or_last(q.month.as_deref(), &state)?;
        let sheets = state.store.pay_sheets(&me.viewer, month).await?;
        let tr = me.tr();
        let money = |d: Option<Decimal>| d.map(|d| tr.money(d)).unwrap_or_else(|| "—".into());
        let rows = sheets
            .iter()
            .map(|s| SheetRow {
                user_id: s.user_id,
                name: s.name.clone(),
                base: money(s.sheet.as_ref().map(|x| x.base)),
                process: money(s.sheet.as_ref().map(|x| x.process_total)),
                commission: money(s.sheet.as_ref().map(|x| x.commission_total)),
                adjustments: money(s.sheet.as_ref().map(|x| x.adjustments_total)),
                total: money(s.sheet.as_ref().map(|x| x.total)),
                status: tr.tp("pay.status", s.status.as_str()),
            })
            .collect();
        let total: Decimal = sheets
            .iter()
            .filter_map(|s| s.sheet.as_ref().map(|x| x.total))
            .sum();
        Ok::<_, AppError>(SheetsPage {
            month: month_label(month),
            rows,
            total: tr.money(total),
            no_plan: !sheets.is_empty() && sheets.iter().all(|s| s.sheet.is_none()),
            can_close: me.can(Action::ApprovePay),
            can_export: me.can(Action::ExportCustomers) && me.can(Action::ReviewPay),
            closed: sheets
                .iter()
                .any(|s| s.status == yingpan_store::SheetStatus::Closed),
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

pub struct Line {
    pub label: String,
    /// The record behind the line (an order).
    pub href: Option<String>,
    pub detail: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "pay_sheet.html")]
struct SheetPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    month: String,
    stored: StoredSheet,
    status: String,
    base: String,
    process: Vec<Line>,
    process_total: String,
    attainment: String,
    multiplier: String,
    commission: Vec<Line>,
    commission_total: String,
    referrals: Vec<Line>,
    referrals_total: String,
    adjustments: Vec<Line>,
    adjustments_total: String,
    total: String,
    can_review: bool,
    can_approve: bool,
}

async fn sheet_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((month, user_id)): Path<(String, i64)>,
) -> Response {
    let result = async {
        let month = parse_month("month", &month)?;
        let stored = state.store.pay_sheet(&me.viewer, month, user_id).await?;
        let tr = me.tr();
        let open = !matches!(stored.status, yingpan_store::SheetStatus::Closed);
        let others = user_id != me.user.id;
        let (mut base, mut process, mut process_total) = (String::new(), Vec::new(), String::new());
        let (mut attainment, mut multiplier) = (String::new(), String::new());
        let (mut commission, mut commission_total) = (Vec::new(), String::new());
        let (mut referrals, mut referrals_total) = (Vec::new(), String::new());
        let (mut adjustments, mut adjustments_total, mut total) =
            (Vec::new(), String::new(), String::new());
        if let Some(s) = &stored.sheet {
            base = tr.money(s.base);
            process = s
                .process
                .iter()
                .map(|l| Line {
                    href: None,
                    label: format!(
                        "{} · {}",
                        tr.tp("pay.measure", l.measure.as_str()),
                        tr.percent(Some(l.weight_percent))
                    ),
                    detail: match l.counted {
                        Some((done, asked)) => {
                            format!("{done} / {asked} = {}", tr.percent(Some(l.score_percent)))
                        }
                        None => tr.t("pay.nothing_to_ask").to_string(),
                    },
                    amount: tr.money(l.amount),
                })
                .collect();
            process_total = tr.money(s.process_total);
            attainment = tr.percent(s.attainment_percent);
            multiplier = tr.percent(Some(s.multiplier_percent));
            commission = s
                .commission
                .iter()
                .map(|l| Line {
                    href: Some(format!("/orders/{}", l.order_id)),
                    label: format!(
                        "#{} {} · {}",
                        l.order_id,
                        l.customer_name,
                        l.product
                            .clone()
                            .or_else(|| l.category.clone())
                            .unwrap_or_else(|| tr.t("pay.no_category").to_string())
                    ),
                    detail: format!(
                        "{} × {} · {} {}{}",
                        tr.money(l.basis),
                        tr.percent(Some(l.rate_percent)),
                        tr.t("pay.deposit_on"),
                        l.deposit_on,
                        l.taken_by
                            .as_ref()
                            .map(|t| format!(" · {} {t}", tr.t("pay.taken_by")))
                            .unwrap_or_default()
                    ),
                    amount: tr.money(l.amount),
                })
                .collect();
            commission_total = tr.money(s.commission_total);
            referrals = s
                .referrals
                .iter()
                .map(|l| Line {
                    href: None,
                    label: l.referred.clone(),
                    detail: format!("{} {}", tr.t("referrals.referrer"), l.referrer),
                    amount: tr.money(l.amount),
                })
                .collect();
            referrals_total = tr.money(s.referrals_total);
            adjustments = s
                .adjustments
                .iter()
                .map(|a| Line {
                    href: None,
                    label: a.reason.clone(),
                    detail: a.entered_by.clone(),
                    amount: tr.money(a.amount),
                })
                .collect();
            adjustments_total = tr.money(s.adjustments_total);
            total = tr.money(s.total);
        }
        Ok::<_, AppError>(SheetPage {
            month: month_label(month),
            status: tr.tp("pay.status", stored.status.as_str()),
            can_review: open && others && me.can(Action::ReviewPay) && stored.sheet.is_some(),
            can_approve: open
                && others
                && me.can(Action::ApprovePay)
                && stored.reviewed_by.is_some()
                && stored.sheet.is_some(),
            stored,
            base,
            process,
            process_total,
            attainment,
            multiplier,
            commission,
            commission_total,
            referrals,
            referrals_total,
            adjustments,
            adjustments_total,
            total,
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
struct SignForm {
    month: String,
    user_id: i64,
    approve: Option<String>,
}

async fn sign_submit(State(state): State<AppState>, page: PageForm<SignForm>) -> Response {
    let PageForm { user: me, form } = page;
    match sign(
        &state,
        &me,
        &form.month,
        form.user_id,
        form.approve.is_some(),
    )
    .await
    {
        Ok(_) => {
            Redirect::to(&format!("/pay-sheets/{}/{}", form.month, form.user_id)).into_response()
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct AdjustForm {
    month: String,
    user_id: i64,
    amount: String,
    reason: String,
}

async fn adjust_submit(State(state): State<AppState>, page: PageForm<AdjustForm>) -> Response {
    let PageForm { user: me, form } = page;
    let req = AdjustmentRequest {
        amount: form.amount.clone(),
        reason: form.reason.clone(),
    };
    match adjust(&state, &me, &form.month, form.user_id, &req).await {
        Ok(_) => {
            Redirect::to(&format!("/pay-sheets/{}/{}", form.month, form.user_id)).into_response()
        }
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Deserialize)]
struct CloseForm {
    month: String,
}

async fn close_submit(State(state): State<AppState>, page: PageForm<CloseForm>) -> Response {
    let PageForm { user: me, form } = page;
    match close(&state, &me, &form.month).await {
        Ok(_) => Redirect::to(&format!("/pay-sheets?month={}", form.month)).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

pub struct MeasureField {
    pub measure: &'static str,
    pub label: String,
    pub weight: String,
    pub norm: String,
}

#[derive(Template)]
#[template(path = "pay_plans.html")]
struct PlansPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    plans: Vec<StoredPayPlan>,
    /// The form: the month being edited and its plan (the latest one, or empty).
    month: String,
    version: i64,
    base_salary: String,
    process_amount: String,
    measures: Vec<MeasureField>,
    default_rate: String,
    category_rates: String,
    steps: String,
    product_rates: String,
    referral_reward: String,
    bases: String,
    can_edit: bool,
}

#[derive(Deserialize)]
struct PlansQuery {
    month: Option<String>,
}

async fn plans_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PlansQuery>,
) -> Response {
    let result = async {
        if !me.can(Action::ReviewPay) {
            me.may(Action::ManagePayPlans)?;
        }
        let plans = state.store.pay_plans(me.viewer.org_id).await?;
        let users = state.store.users(me.viewer.org_id).await?;
        let products = state.store.products(me.viewer.org_id, true).await?;
        let month = match q.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            Some(m) => month_label(parse_month("month", m)?),
            None => month_label(Period::month_of(state.today())),
        };
        let current = plans.iter().rev().find(|p| p.effective_month <= month);
        let plan = current.map(|p| p.plan.clone()).unwrap_or_default();
        let version = plans
            .iter()
            .find(|p| p.effective_month == month)
            .map(|p| p.version)
            .unwrap_or(0);
        let tr = me.tr();
        let measures = ProcessMeasure::ALL
            .iter()
            .map(|m| {
                let item = plan.process_items.iter().find(|i| i.measure == *m);
                MeasureField {
                    measure: m.as_str(),
                    label: tr.tp("pay.measure", m.as_str()),
                    weight: item
                        .map(|i| i.weight_percent.to_string())
                        .unwrap_or_default(),
                    norm: item
                        .and_then(|i| i.norm)
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                }
            })
            .collect();
        let username = |id: &i64| {
            users
                .iter()
                .find(|u| u.id == *id)
                .map(|u| u.username.clone())
                .unwrap_or_else(|| id.to_string())
        };
        Ok::<_, AppError>(PlansPage {
            can_edit: me.can(Action::ManagePayPlans),
            month,
            version,
            base_salary: plan.base_salary.to_string(),
            process_amount: plan.process_amount.to_string(),
            measures,
            default_rate: plan.default_rate_percent.to_string(),
            category_rates: plan
                .category_rates
                .iter()
                .map(|r| format!("{}={}", r.category, r.rate_percent))
                .collect::<Vec<_>>()
                .join("\n"),
            referral_reward: plan.referral_reward.to_string(),
            product_rates: plan
                .product_rates
                .iter()
                .map(|r| {
                    let code = products
                        .iter()
                        .find(|p| p.id == r.product_id)
                        .map(|p| p.code.clone())
                        .unwrap_or_else(|| r.product_id.to_string());
                    format!("{code}={}", r.rate_percent)
                })
                .collect::<Vec<_>>()
                .join("\n"),
            steps: plan
                .steps
                .iter()
                .map(|s| format!("{}={}", s.from_percent, s.multiplier_percent))
                .collect::<Vec<_>>()
                .join("\n"),
            bases: plan
                .base_by_person
                .iter()
                .map(|(id, b)| format!("{}={}", username(id), b.0))
                .collect::<Vec<_>>()
                .join("\n"),
            plans,
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

/// `key=value` lines; blank lines skipped.
fn pairs(field: &'static str, raw: &str) -> Result<Vec<(String, String)>, ValidationError> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split_once(['=', '＝'])
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    ValidationError::new(
                        field,
                        "invalid_line",
                        format!("\"{l}\" is not name=value"),
                    )
                })
        })
        .collect()
}

fn percent(field: &'static str, raw: &str) -> Result<Decimal, ValidationError> {
    yingpan_domain::money::parse("field", raw, yingpan_domain::money::AMOUNT)
        .map_err(|_| ValidationError::new(field, "invalid_number", "must be a non-negative number"))
}

async fn plan_submit(
    State(state): State<AppState>,
    page: PageForm<BTreeMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("").trim();
        let month = get("month").to_string();
        let mut items = Vec::new();
        for m in ProcessMeasure::ALL {
            let weight = get(&format!("weight.{}", m.as_str()));
            if weight.is_empty() {
                continue;
            }
            let norm = get(&format!("norm.{}", m.as_str()));
            items.push(ProcessItem {
                measure: m,
                weight_percent: percent("process_items", weight)?,
                norm: if norm.is_empty() {
                    None
                } else {
                    Some(norm.parse().map_err(|_| {
                        ValidationError::new(
                            "process_items",
                            "invalid_number",
                            "a norm is a whole number",
                        )
                    })?)
                },
            });
        }
        let users = state.store.users(me.viewer.org_id).await?;
        let mut bases = BTreeMap::new();
        for (who, amount) in pairs("base_by_person", get("bases"))? {
            let user = users
                .iter()
                .find(|u| u.username == who || u.display_name == who)
                .ok_or_else(|| {
                    ValidationError::new(
                        "base_by_person",
                        "unknown_person",
                        format!("no person \"{who}\""),
                    )
                })?;
            bases.insert(
                user.id,
                PersonBase(yingpan_domain::money::parse_amount(
                    "base_by_person",
                    &amount,
                )?),
            );
        }
        let plan = PayPlan {
            base_salary: yingpan_domain::money::parse_amount("base_salary", get("base_salary"))?,
            base_by_person: bases,
            process_amount: yingpan_domain::money::parse_amount(
                "process_amount",
                get("process_amount"),
            )?,
            process_items: items,
            default_rate_percent: percent("default_rate_percent", get("default_rate"))?,
            category_rates: pairs("category_rates", get("category_rates"))?
                .into_iter()
                .map(|(category, rate)| {
                    Ok(CategoryRate {
                        category,
                        rate_percent: percent("category_rates", &rate)?,
                    })
                })
                .collect::<Result<_, ValidationError>>()?,
            steps: pairs("steps", get("steps"))?
                .into_iter()
                .map(|(from, m)| {
                    Ok(AttainmentStep {
                        from_percent: percent("steps", &from)?,
                        multiplier_percent: percent("steps", &m)?,
                    })
                })
                .collect::<Result<_, ValidationError>>()?,
            product_rates: {
                let products = state.store.products(me.viewer.org_id, true).await?;
                pairs("product_rates", get("product_rates"))?
                    .into_iter()
                    .map(|(code, rate)| {
                        let p = products.iter().find(|p| p.code == code).ok_or_else(|| {
                            ValidationError::new(
                                "product_rates",
                                "unknown_product",
                                format!("no product with the code \"{code}\""),
                            )
                        })?;
                        Ok(ProductRate {
                            product_id: p.id,
                            rate_percent: percent("product_rates", &rate)?,
                        })
                    })
                    .collect::<Result<_, ValidationError>>()?
            },
            referral_reward: if get("referral_reward").is_empty() {
                Decimal::ZERO
            } else {
                yingpan_domain::money::parse_amount("referral_reward", get("referral_reward"))?
            },
        };
        let version: i64 = get("version").parse().unwrap_or(0);
        save_plan(&state, &me, &month, Some(version), &plan).await?;
        Ok::<_, AppError>(month)
    }
    .await;
    match result {
        Ok(month) => Redirect::to(&format!("/pay-plans?month={month}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

/// A month's pay sheets in the caller's scope.
#[derive(Serialize, utoipa::ToSchema)]
struct PaySheets {
    /// YYYY-MM
    month: String,
    total: usize,
    items: Vec<yingpan_store::StoredSheet>,
}

/// A closed pay month: its sheets are final.
#[derive(Serialize, utoipa::ToSchema)]
struct Closed {
    month: String,
    /// Sheets closed.
    sheets: usize,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/pay-plans", api_plans),
        answer("put", "/pay-plans/{month}", api_save_plan),
        answer("get", "/pay-sheets", api_sheets),
        answer("get", "/pay-sheets/export", api_export),
        answer("get", "/pay-sheets/{month}/{user_id}", api_sheet),
        answer("post", "/pay-sheets/{month}/{user_id}/review", api_review),
        answer("post", "/pay-sheets/{month}/{user_id}/approve", api_approve),
        answer(
            "post",
            "/pay-sheets/{month}/{user_id}/adjustments",
            api_adjust,
        ),
        answer("post", "/pay-months/{month}/close", api_close),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/pay-plans", get(api_plans))
        .route("/api/v1/pay-plans/{month}", put(api_save_plan))
        .route("/api/v1/pay-sheets", get(api_sheets))
        .route("/api/v1/pay-sheets/export", get(api_export))
        .route("/api/v1/pay-sheets/{month}/{user_id}", get(api_sheet))
        .route(
            "/api/v1/pay-sheets/{month}/{user_id}/review",
            post(api_review),
        )
        .route(
            "/api/v1/pay-sheets/{month}/{user_id}/approve",
            post(api_approve),
        )
        .route(
            "/api/v1/pay-sheets/{month}/{user_id}/adjustments",
            post(api_adjust),
        )
        .route("/api/v1/pay-months/{month}/close", post(api_close))
        .route("/pay-sheets", get(sheets_page))
        .route("/pay-sheets/{month}/{user_id}", get(sheet_page))
        .route("/pay-sheets/sign", post(sign_submit))
        .route("/pay-sheets/adjustments", post(adjust_submit))
        .route("/pay-sheets/close", post(close_submit))
        .route("/pay-plans", get(plans_page).post(plan_submit))
}
