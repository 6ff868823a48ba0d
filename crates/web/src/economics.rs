//! Customer economics (seed 004): churn, partial defectors, repeat purchase, top and bottom
//! deciles, lifetime value per customer and segment — each with the customers behind it; and
//! the estimate of each customer's category spending that partial defection needs.
//! Definitions are the domain's (`economics`).

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
use crate::chart::{self, Line};
use crate::error::AppError;
use crate::extract::{JsonBody, Path, Query};
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yingpan_domain::economics::{compute, CustomerFigure, Economics, History, List};
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;
use yingpan_store::{EconomicsBasis, SegmentBy, SpendEstimate};

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct EconomicsQuery {
    period: Option<String>,
    segment_by: Option<String>,
    discount_percent: Option<String>,
    /// The drill-down: which list, and which page of it.
    list: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// Customers each list of the report shows; the rest are a page away (`/economics/customers`).
const SHOWN: usize = 20;

/// The period of equal length just before: whole months go back by months (so that November's
/// previous period is October, all of it), anything else by days.
fn previous(p: Period) -> Period {
    let whole_months = p.start.day() == 1 && p.end.day() == 1;
    if whole_months {
        let months =
            (p.end.year() - p.start.year()) * 12 + p.end.month() as i32 - p.start.month() as i32;
        if let Some(start) = p
            .start
            .checked_sub_months(Months::new(months.max(1) as u32))
        {
            return Period {
                start,
                end: p.start,
            };
        }
    }
    let len = p.end - p.start;
    Period {
        start: p.start - len,
        end: p.start,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EconomicsReport {
    pub period: Period,
    pub previous_period: Period,
    pub segment_by: &'static str,
    #[serde(flatten)]
    pub economics: Economics,
}

/// The period, the one compared with, the segmentation and the discount a request asks for.
struct Asked {
    period: Period,
    before: Period,
    segment: SegmentBy,
    segment_name: &'static str,
    discount: Decimal,
}

fn asked(state: &AppState, q: &EconomicsQuery) -> Result<Asked, AppError> {
    let period = match q.period.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        // A year by default: churn and loyalty are read over years.
        None => Period {
            start: NaiveDate::from_ymd_opt(state.today().year(), 1, 1).expect("1 January"),
            end: NaiveDate::from_ymd_opt(state.today().year() + 1, 1, 1).expect("1 January"),
        },
        Some(p) => crate::target::parse_period(Some(p), state)?,
    };
    let (segment, segment_name) = match q.segment_by.as_deref().map(str::trim).unwrap_or("region") {
        "owner" => (SegmentBy::Owner, "owner"),
        "region" | "" => (SegmentBy::Region, "region"),
        "industry" => (SegmentBy::Industry, "industry"),
        "source" => (SegmentBy::Source, "source"),
        "tier" => (SegmentBy::Tier, "tier"),
        "dealer" => (SegmentBy::Dealer, "dealer"),
        "man_class" => (SegmentBy::ManClass, "man_class"),
        "key_account" => (SegmentBy::KeyAccount, "key_account"),
        _ => return Err(ValidationError::new(
            "segment_by",
            "invalid_choice",
            "must be one of owner, region, industry, source, tier, dealer, man_class, key_account",
        )
        .into()),
    };
    let discount = yingpan_domain::money::parse_optional_percent(
        "discount_percent",
        q.discount_percent.as_deref(),
    )?
    .unwrap_or(Decimal::TEN);
    Ok(Asked {
        period,
        before: previous(period),
        segment,
        segment_name,
        discount,
    })
}

impl Asked {
    fn year_fraction(&self) -> Decimal {
        Decimal::from((self.period.end - self.period.start).num_days()) / Decimal::from(365)
    }

    /// `compute` over the customers' histories; or, when nothing it is computed from has
    /// changed since, the answer kept from an earlier request (`report` names what is
    /// computed, with every parameter the histories do not already say). Ranking half a
    /// million buyers takes about a second; reading a kept answer, milliseconds.
    async fn kept<T: Serialize + DeserializeOwned>(
        &self,
        state: &AppState,
        me: &CurrentUser,
        report: &str,
        compute: impl FnOnce(&[History]) -> T,
    ) -> Result<T, AppError> {
        let store = &state.store;
        let basis = store
            .economics_basis(&me.viewer, self.period, self.before, self.segment, report)
            .await?;
        let (histories, snapshot) = match basis {
            EconomicsBasis::Saved(body) => match serde_json::from_str(&body) {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    // Kept by another version of the program: computed again.
                    tracing::warn!(error = %e, "kept economics report unreadable");
                    let histories = store
                        .economics_histories(&me.viewer, self.period, self.before, self.segment)
                        .await?;
                    (histories, None)
                }
            },
            EconomicsBasis::Fresh {
                histories,
                snapshot,
            } => (histories, snapshot),
        };
        let answer = compute(&histories);
        if let Some(snapshot) = snapshot {
            let body =
                serde_json::to_string(&answer).map_err(|e| AppError::Internal(Box::new(e)))?;
            // The answer is right either way; failing to keep it only costs the next request.
            if let Err(e) = store.save_economics(&snapshot, &body, state.now()).await {
                tracing::warn!(error = %e, "economics report not kept");
            }
        }
        Ok(answer)
    }
}

/// Names the customers shown (and their owners now).
async fn name(
    state: &AppState,
    me: &CurrentUser,
    lists: &mut [&mut Vec<CustomerFigure>],
) -> Result<(), AppError> {
    let mut ids: Vec<i64> = lists
        .iter()
        .flat_map(|l| l.iter().map(|f| f.customer_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let labels = state.store.customer_labels(&me.viewer, &ids).await?;
    for list in lists.iter_mut() {
        for f in list.iter_mut() {
            if let Some((name, owner)) = labels.get(&f.customer_id) {
                f.name = name.clone();
                f.owner_name = owner.clone();
            }
        }
    }
    Ok(())
}

async fn load(
    state: &AppState,
    me: &CurrentUser,
    q: &EconomicsQuery,
) -> Result<EconomicsReport, AppError> {
    let a = asked(state, q)?;
    let report = format!("report {} {SHOWN}", a.discount.normalize());
    let mut economics: Economics = a
        .kept(state, me, &report, |histories| {
            compute(histories, a.year_fraction(), a.discount, SHOWN)
        })
        .await?;
    let e = &mut economics;
    name(
        state,
        me,
        &mut [
            &mut e.churned,
            &mut e.partial_defectors,
            &mut e.top_customers,
            &mut e.bottom_customers,
            &mut e.lifetime_values,
        ],
    )
    .await?;
    Ok(EconomicsReport {
        period: a.period,
        previous_period: a.before,
        segment_by: a.segment_name,
        economics,
    })
}

#[derive(Serialize, utoipa::ToSchema)]
struct CustomersPage {
    list: List,
    period: Period,
    previous_period: Period,
    total: u32,
    page: i64,
    per_page: i64,
    items: Vec<CustomerFigure>,
}

/// One page of one of the report's lists of customers.
async fn load_list(
    state: &AppState,
    me: &CurrentUser,
    q: &EconomicsQuery,
) -> Result<CustomersPage, AppError> {
    let list = match q.list.as_deref().map(str::trim) {
        Some(l) => List::parse(l),
        None => None,
    }
    .ok_or_else(|| {
        ValidationError::new(
            "list",
            "invalid_choice",
            "must be one of churned, partial_defectors, top, bottom, lifetime_values",
        )
    })?;
    let page = crate::customer::parse_int("page", q.page.as_deref())?.unwrap_or(1);
    let per_page = crate::customer::parse_int("per_page", q.per_page.as_deref())?.unwrap_or(50);
    if page < 1 || !(1..=200).contains(&per_page) {
        return Err(ValidationError::new(
            if page < 1 { "page" } else { "per_page" },
            "out_of_range",
            "page starts at 1; per_page is between 1 and 200",
        )
        .into());
    }
    let a = asked(state, q)?;
    let offset = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let report = format!(
        "list {} {offset} {per_page} {}",
        list.as_str(),
        a.discount.normalize()
    );
    let (total, mut items): (u32, Vec<CustomerFigure>) = a
        .kept(state, me, &report, |histories| {
            yingpan_domain::economics::list(
                histories,
                a.year_fraction(),
                a.discount,
                list,
                offset,
                per_page as usize,
            )
        })
        .await?;
    name(state, me, &mut [&mut items]).await?;
    Ok(CustomersPage {
        list,
        period: a.period,
        previous_period: a.before,
        total,
        page,
        per_page,
        items,
    })
}

async fn api_customers(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<EconomicsQuery>,
) -> Result<Json<CustomersPage>, AppError> {
    Ok(Json(load_list(&state, &me, &q).await?))
}

#[derive(Template)]
#[template(path = "economics_customers.html")]
struct ListPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    r: CustomersPage,
    /// The query without the page: the report's parameters.
    back: String,
    pages: i64,
}

impl ListPage<'_> {
    fn link(&self, page: i64) -> String {
        format!(
            "/economics/customers?list={}&page={page}&per_page={}{}",
            self.r.list.as_str(),
            self.r.per_page,
            self.back
        )
    }
}

/// `&period=…&segment_by=…&discount_percent=…` as asked, escaped for a URL.
fn report_params(q: &EconomicsQuery) -> String {
    let mut out = String::new();
    for (k, v) in [
        ("period", &q.period),
        ("segment_by", &q.segment_by),
        ("discount_percent", &q.discount_percent),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
            let v: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            out.push_str(&format!("&{k}={v}"));
        }
    }
    out
}

async fn list_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<EconomicsQuery>,
) -> Response {
    let locale = me.locale();
    match load_list(&state, &me, &q).await {
        Ok(r) => {
            let pages = (i64::from(r.total) + r.per_page - 1) / r.per_page;
            render(
                &ListPage {
                    tr: me.tr(),
                    me: &me,
                    back: report_params(&q),
                    pages: pages.max(1),
                    r,
                },
                locale,
            )
        }
        Err(e) => e.into_page(locale),
    }
}

async fn api_economics(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<EconomicsQuery>,
) -> Result<Json<EconomicsReport>, AppError> {
    Ok(Json(load(&state, &me, &q).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct EstimateInput {
    amount: Option<String>,
}

async fn api_estimates(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Json<Listing<SpendEstimate>>, AppError> {
    let items = state.store.spend_estimates(&me.viewer, id).await?;
    Ok(Json(Listing::all(items)))
}

async fn set_estimate(
    state: &AppState,
    me: &CurrentUser,
    id: i64,
    year: i64,
    amount: Option<&str>,
) -> Result<Vec<SpendEstimate>, AppError> {
    let year = yingpan_domain::day::parse_year("year", year)?;
    let amount = yingpan_domain::money::parse_optional_amount("amount", amount)?;
    Ok(state
        .store
        .set_spend_estimate(&me.viewer, id, year, amount, state.now())
        .await?)
}

async fn api_set_estimate(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((id, year)): Path<(i64, i64)>,
    JsonBody(req): JsonBody<EstimateInput>,
) -> Result<Json<Listing<SpendEstimate>>, AppError> {
    let items = set_estimate(&state, &me, id, year, req.amount.as_deref()).await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize)]
struct EstimateForm {
    year: Option<String>,
    amount: Option<String>,
}

async fn estimate_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    page: PageForm<EstimateForm>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let year = form
            .year
            .as_deref()
            .and_then(|y| y.trim().parse::<i64>().ok())
            .ok_or_else(|| {
                ValidationError::new(
                    "year",
                    "invalid_year",
                    "must be a year between 2000 and 2100",
                )
            })?;
        set_estimate(&state, &me, id, year, form.amount.as_deref()).await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/customers/{id}#spend")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

#[derive(Template)]
#[template(path = "economics.html")]
struct Page<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    r: EconomicsReport,
    period: String,
    period_label: String,
    previous_label: String,
    discount: String,
    decile_chart: String,
    segment_chart: String,
    /// The report's parameters, for the links to its lists.
    params: String,
}

impl Page<'_> {
    /// "All N →" and its link to the list's own pages, when the list holds more than the
    /// report shows.
    fn more(&self, list: &str, total: &u32, shown: usize) -> Option<(String, String)> {
        ((*total as usize) > shown).then(|| {
            (
                format!("/economics/customers?list={list}{}", self.params),
                self.tr.tn("economics.all", *total as usize),
            )
        })
    }

    fn segment_label(&self, key: &str) -> String {
        if key.is_empty() {
            return self.tr.t("statistics.unset").to_string();
        }
        match self.r.segment_by {
            "tier" => self.tr.tp("tier", key),
            "dealer" => self.tr.tp("statistics.dealer", key),
            "key_account" => self.tr.tp("key_account", key),
            _ => key.to_string(),
        }
    }
}

async fn page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<EconomicsQuery>,
) -> Response {
    let locale = me.locale();
    let result = async {
        let r = load(&state, &me, &q).await?;
        let tr = me.tr();
        let e = &r.economics;
        let decile_chart = chart::bars(
            vec![
                tr.t("economics.top_decile").to_string(),
                tr.t("economics.bottom_decile").to_string(),
            ],
            vec![
                Line {
                    name: tr.tp("measure", "revenue"),
                    values: vec![e.top_decile.revenue, e.bottom_decile.revenue],
                },
                Line {
                    name: tr.tp("measure", "gross_margin"),
                    values: vec![e.top_decile.margin, e.bottom_decile.margin],
                },
            ],
        );
        let top: Vec<_> = e.segments.iter().take(15).collect();
        let segment_chart = if top.is_empty() {
            String::new()
        } else {
            chart::horizontal_bars(
                top.iter()
                    .map(|s| {
                        if s.key.is_empty() {
                            tr.t("statistics.unset").to_string()
                        } else {
                            s.key.clone()
                        }
                    })
                    .collect(),
                vec![Line {
                    name: tr.t("economics.clv").to_string(),
                    values: top.iter().map(|s| s.lifetime_value).collect(),
                }],
            )
        };
        Ok::<_, AppError>(Page {
            period: q.period.clone().unwrap_or_default(),
            period_label: r.period.to_string(),
            previous_label: r.previous_period.to_string(),
            discount: e.discount_percent.to_string(),
            decile_chart,
            segment_chart,
            params: report_params(&q),
            tr,
            me: &me,
            r,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, locale),
        Err(e) => e.into_page(locale),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/economics", api_economics),
        answer("get", "/economics/customers", api_customers),
        answer("get", "/customers/{id}/spend-estimates", api_estimates),
        answer(
            "put",
            "/customers/{id}/spend-estimates/{year}",
            api_set_estimate,
        ),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/economics", get(api_economics))
        .route("/api/v1/economics/customers", get(api_customers))
        .route("/api/v1/customers/{id}/spend-estimates", get(api_estimates))
        .route(
            "/api/v1/customers/{id}/spend-estimates/{year}",
            axum::routing::put(api_set_estimate),
        )
        .route("/economics", get(page))
        .route("/economics/customers", get(list_page))
        .route("/customers/{id}/spend-estimates", post(estimate_submit))
}
