//! Statistics (统计分析): pick a period, filters and a grouping; see sales, orders, customers,
//! new customers, collections, visits and conversion per group, as a table, a chart, an API
//! answer and an export (CSV or Excel, under the export permission, recorded on the audit
//! trail). Grouping and definitions are the domain's (`statistics`), scope the store's.

use crate::described::{answer, Answer};

use crate::auth::CurrentUser;
use crate::chart::{self, Line};
use crate::customer::parse_int;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Duration;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use yingpan_domain::permission::Action;
use yingpan_domain::person::Role;
use yingpan_domain::qualification::{KeyAccountClass, Man, Tier};
use yingpan_domain::statistics::{Dimension, Figures, Indicator};
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;
use yingpan_store::{StatisticsFilter, StatisticsReport};

/// The longest period one query covers.
const MAX_DAYS: i64 = 3 * 366;

#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
pub struct StatsQuery {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    indicators: Option<String>,
    owner_id: Option<String>,
    team_id: Option<String>,
    region: Option<String>,
    industry: Option<String>,
    source: Option<String>,
    tier: Option<String>,
    man_class: Option<String>,
    key_account: Option<String>,
    dealer: Option<String>,
    product_id: Option<String>,
    category: Option<String>,
    format: Option<String>,
    /// `cf.<key>=value`: admin-defined card fields.
    #[serde(flatten)]
    extra: std::collections::HashMap<String, String>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

struct Parsed {
    /// Whether the caller named the indicators (else the company's default applies).
    named_indicators: bool,
    period: Period,
    by: Dimension,
    indicators: Vec<Indicator>,
    filter: StatisticsFilter,
}

impl StatsQuery {
    /// The `cf.<key>` filters as (field id, stored value), each checked as the field's type.
    async fn custom_filters(
        &self,
        state: &AppState,
        me: &CurrentUser,
    ) -> Result<Vec<(i64, String)>, AppError> {
        let mut out = Vec::new();
        let wanted: Vec<(&str, &String)> = self
            .extra
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("cf.")?, v)))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        if wanted.is_empty() {
            return Ok(out);
        }
        let defs = state.store.custom_fields(me.viewer.org_id).await?;
        for (key, value) in wanted {
            let def = defs.iter().find(|d| d.key == key).ok_or_else(|| {
                ValidationError::new(
                    "custom",
                    "unknown_field",
                    format!("{key}: no such custom field"),
                )
            })?;
            let value = yingpan_domain::custom::parse_value(
                def,
                &serde_json::Value::String(value.clone()),
            )?
            .unwrap_or_default();
            out.push((def.id, value));
        }
        Ok(out)
    }

    fn parse(&self, state: &AppState) -> Result<Parsed, AppError> {
        let period = match (text(&self.from), text(&self.to)) {
            (Some(f), Some(t)) => {
                let from = yingpan_domain::day::parse("from", &f)?;
                let to = yingpan_domain::day::parse("to", &t)?;
                if to < from {
                    return Err(ValidationError::new(
                        "to",
                        "before_from",
                        "must not be before from",
                    )
                    .into());
                }
                if (to - from).num_days() >= MAX_DAYS {
                    return Err(ValidationError::new(
                        "to",
                        "period_too_long",
                        "at most three years",
                    )
                    .into());
                }
                Period {
                    start: from,
                    end: to + Duration::days(1),
                }
            }
            (Some(_), None) => {
                return Err(ValidationError::new("to", "required", "give both from and to").into())
            }
            (None, Some(_)) => {
                return Err(
                    ValidationError::new("from", "required", "give both from and to").into(),
                )
            }
            (None, None) => crate::target::parse_period(self.period.as_deref(), state)?,
        };
        let by = match text(&self.group_by) {
            Some(g) => Dimension::parse(&g)?,
            None => Dimension::Owner,
        };
        let indicators = Indicator::parse_list(self.indicators.as_deref().unwrap_or(""))?;
        let man_class = text(&self.man_class)
            .map(|m| Man::parse_class("man_class", &m))
            .transpose()?;
        let key_account = text(&self.key_account)
            .map(|k| KeyAccountClass::parse("key_account", &k))
            .transpose()?;
        let dealer = match text(&self.dealer).as_deref() {
            None => None,
            Some("true" | "1") => Some(true),
            Some("false" | "0") => Some(false),
            Some(_) => {
                return Err(ValidationError::new(
                    "dealer",
                    "invalid_choice",
                    "must be true or false",
                )
                .into())
            }
        };
        let tier = match text(&self.tier) {
            None => None,
            Some(t) => Some(Tier::parse(&t)?.as_str().to_string()),
        };
        Ok(Parsed {
            named_indicators: text(&self.indicators).is_some(),
            period,
            by,
            indicators,
            filter: StatisticsFilter {
                owner_id: parse_int("owner_id", self.owner_id.as_deref())?,
                team_id: parse_int("team_id", self.team_id.as_deref())?,
                card: yingpan_store::CardFilter {
                    kind: None,
                    region: text(&self.region),
                    industry: text(&self.industry),
                    source: text(&self.source),
                    tier,
                    man_class,
                    key_account,
                },
                dealer,
                product_id: parse_int("product_id", self.product_id.as_deref())?,
                category: text(&self.category),
                custom: Vec::new(),
            },
        })
    }
}

async fn load(
    state: &AppState,
    me: &CurrentUser,
    q: &StatsQuery,
) -> Result<(Parsed, StatisticsReport), AppError> {
    let mut p = q.parse(state)?;
    p.filter.custom = q.custom_filters(state, me).await?;
    if !p.named_indicators {
        // A stored list was checked when it was saved; an unreadable one shows everything.
        let default = state.store.statistics_indicators(me.viewer.org_id).await?;
        p.indicators = Indicator::parse_list(&default).unwrap_or_else(|_| Indicator::ALL.to_vec());
    }
    let report = state
        .store
        .statistics(&me.viewer, p.period, p.by, &p.filter)
        .await?;
    Ok((p, report))
}

async fn api_statistics(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Statistics>, AppError> {
    let (p, report) = load(&state, &me, &q).await?;
    Ok(Json(Statistics {
        period: report.period,
        group_by: report.group_by,
        indicators: p.indicators,
        total: report.total,
        total_rows: report.rows.len(),
        items: report.rows,
    }))
}

/// A group's label in words: names for people and products, the catalog's words for classes.
fn label(tr: &Tr, by: Dimension, key: &str, label: &str) -> String {
    if key.is_empty() {
        return tr.t("statistics.unset").to_string();
    }
    match by {
        Dimension::Tier => tr.tp("tier", key),
        Dimension::KeyAccount => tr.tp("key_account", key),
        Dimension::Dealer => tr.tp("statistics.dealer", key),
        _ if label.is_empty() => key.to_string(),
        _ => label.to_string(),
    }
}

fn cell(tr: &Tr, f: &Figures, i: Indicator) -> String {
    match i {
        Indicator::Sales => tr.money(f.sales),
        Indicator::GrossMargin => tr.money(f.gross_margin),
        Indicator::Orders => f.orders.to_string(),
        Indicator::Customers => f.customers.to_string(),
        Indicator::NewCustomers => f.new_customers.to_string(),
        Indicator::Collected => tr.money(f.collected),
        Indicator::Visits => f.visits.to_string(),
        Indicator::Conversion => tr.percent(f.conversion_percent),
    }
}

/// Exact figures for a spreadsheet: plain decimals, no grouping or currency sign.
fn raw(f: &Figures, i: Indicator) -> String {
    match i {
        Indicator::Sales => f.sales.to_string(),
        Indicator::GrossMargin => f.gross_margin.to_string(),
        Indicator::Orders => f.orders.to_string(),
        Indicator::Customers => f.customers.to_string(),
        Indicator::NewCustomers => f.new_customers.to_string(),
        Indicator::Collected => f.collected.to_string(),
        Indicator::Visits => f.visits.to_string(),
        Indicator::Conversion => f
            .conversion_percent
            .map(|p| p.to_string())
            .unwrap_or_default(),
    }
}

async fn export(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> Result<Response, AppError> {
    me.may(Action::ExportCustomers)?;
    let format = q.format.clone().unwrap_or_else(|| "csv".into());
    if !matches!(format.as_str(), "csv" | "xlsx") {
        return Err(ValidationError::new("format", "unknown_format", "choose csv or xlsx").into());
    }
    let (p, report) = load(&state, &me, &q).await?;
    let tr = me.tr();
    let mut header = vec![tr.tp("statistics.by", p.by.as_str())];
    header.extend(
        p.indicators
            .iter()
            .map(|i| tr.tp("statistics.indicator", i.as_str())),
    );
    let mut rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![label(&tr, p.by, &r.key, &r.label)];
            row.extend(p.indicators.iter().map(|i| raw(&r.figures, *i)));
            row
        })
        .collect();
    let mut total = vec![tr.t("targets.total").to_string()];
    total.extend(p.indicators.iter().map(|i| raw(&report.total, *i)));
    rows.push(total);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    state
        .store
        .record_export_of(&me.viewer, "statistics_export", rows.len(), state.now())
        .await?;
    let name = format!("statistics-{}-{}", p.by.as_str(), p.period.start);
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
        let numeric: Vec<usize> = (1..header.len()).collect();
        let body = yingpan_exchange::export::table_xlsx("统计", &header, &rows, &numeric)?;
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

pub struct ShownRow {
    pub label: String,
    pub cells: Vec<String>,
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "statistics.html")]
struct Page<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    q: StatsQuery,
    period_label: String,
    by: &'static str,
    dimensions: Vec<&'static str>,
    indicators: Vec<&'static str>,
    rows: Vec<ShownRow>,
    total: Vec<String>,
    people: Vec<Choice>,
    teams: Vec<Choice>,
    products: Vec<Choice>,
    bar_chart: String,
    pie_chart: String,
    export_query: String,
    can_export: bool,
    /// Admins may make the indicators shown the company's default.
    can_set_default: bool,
    indicator_list: String,
}

impl Page<'_> {
    fn value<'b>(&self, v: &'b Option<String>) -> &'b str {
        v.as_deref().unwrap_or("")
    }
}

async fn page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<StatsQuery>,
) -> Response {
    let locale = me.locale();
    let result = async {
        let (p, report) = load(&state, &me, &q).await?;
        let tr = me.tr();
        let rows: Vec<ShownRow> = report
            .rows
            .iter()
            .map(|r| ShownRow {
                label: label(&tr, p.by, &r.key, &r.label),
                cells: p
                    .indicators
                    .iter()
                    .map(|i| cell(&tr, &r.figures, *i))
                    .collect(),
            })
            .collect();
        let total = p
            .indicators
            .iter()
            .map(|i| cell(&tr, &report.total, *i))
            .collect();
        // The twenty largest groups; the table has them all.
        let top: Vec<_> = report.rows.iter().take(20).collect();
        let names: Vec<String> = top
            .iter()
            .map(|r| label(&tr, p.by, &r.key, &r.label))
            .collect();
        let bar_chart = if top.is_empty() {
            String::new()
        } else {
            chart::horizontal_bars(
                names.clone(),
                vec![
                    Line {
                        name: tr.tp("statistics.indicator", "sales"),
                        values: top.iter().map(|r| r.figures.sales).collect(),
                    },
                    Line {
                        name: tr.tp("statistics.indicator", "collected"),
                        values: top
                            .iter()
                            .map(|r| r.figures.collected.max(Decimal::ZERO))
                            .collect(),
                    },
                ],
            )
        };
        let shares: Vec<(String, Decimal)> = names
            .into_iter()
            .zip(top.iter().map(|r| r.figures.sales))
            .filter(|(_, s)| *s > Decimal::ZERO)
            .collect();
        let pie_chart = if shares.is_empty() {
            String::new()
        } else {
            chart::pie(shares)
        };
        let people = state.store.people_in_scope(&me.viewer).await?;
        let choices = |role: Option<Role>| -> Vec<Choice> {
            people
                .iter()
                .filter(|u| u.active && role.is_none_or(|r| u.role == r))
                .map(|u| Choice {
                    value: u.id.to_string(),
                    label: u.display_name.clone(),
                })
                .collect()
        };
        let products = state
            .store
            .products(me.viewer.org_id, true)
            .await?
            .into_iter()
            .map(|p| Choice {
                value: p.id.to_string(),
                label: format!("{} {}", p.code, p.name),
            })
            .collect();
        let mut export_q = q.clone();
        export_q.format = None;
        let export_query =
            serde_urlencoded::to_string(ExportParams::from(&export_q)).unwrap_or_default();
        Ok::<_, AppError>(Page {
            period_label: p.period.to_string(),
            by: p.by.as_str(),
            dimensions: Dimension::ALL.iter().map(|d| d.as_str()).collect(),
            indicators: p.indicators.iter().map(|i| i.as_str()).collect(),
            rows,
            total,
            people: choices(None),
            teams: choices(Some(Role::Supervisor)),
            products,
            bar_chart,
            pie_chart,
            export_query,
            can_export: me.can(Action::ExportCustomers),
            can_set_default: me.can(Action::ManageOrganization),
            indicator_list: p
                .indicators
                .iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(","),
            tr,
            me: &me,
            q,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, locale),
        Err(e) => e.into_page(locale),
    }
}

/// The query again, for the export links (only what was given).
#[derive(serde::Serialize)]
struct ExportParams<'a>(Vec<(String, &'a str)>);

impl<'a> From<&'a StatsQuery> for ExportParams<'a> {
    fn from(q: &'a StatsQuery) -> Self {
        let fields: [(&'static str, &'a Option<String>); 16] = [
            ("period", &q.period),
            ("from", &q.from),
            ("to", &q.to),
            ("group_by", &q.group_by),
            ("indicators", &q.indicators),
            ("owner_id", &q.owner_id),
            ("team_id", &q.team_id),
            ("region", &q.region),
            ("industry", &q.industry),
            ("source", &q.source),
            ("tier", &q.tier),
            ("man_class", &q.man_class),
            ("key_account", &q.key_account),
            ("dealer", &q.dealer),
            ("product_id", &q.product_id),
            ("category", &q.category),
        ];
        let mut out: Vec<(String, &'a str)> = fields
            .into_iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.is_empty())
                    .map(|v| (k.to_string(), v))
            })
            .collect();
        let mut custom: Vec<(String, &'a str)> = q
            .extra
            .iter()
            .filter(|(k, v)| k.starts_with("cf.") && !v.is_empty())
            .map(|(k, v)| (k.clone(), v.as_str()))
            .collect();
        custom.sort();
        out.extend(custom);
        ExportParams(out)
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct IndicatorsInput {
    indicators: Option<String>,
}

async fn set_indicators(
    state: &AppState,
    me: &CurrentUser,
    raw: Option<&str>,
) -> Result<String, AppError> {
    me.may(Action::ManageOrganization)?;
    let raw = raw.unwrap_or("").trim();
    // Parsed to refuse unknown names, stored as written in canonical order.
    let list = if raw.is_empty() {
        String::new()
    } else {
        Indicator::parse_list(raw)?
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    state
        .store
        .set_statistics_indicators(&me.viewer, &list, state.now())
        .await?;
    Ok(list)
}

async fn api_get_indicators(
    State(state): State<AppState>,
    me: CurrentUser,
) -> Result<Json<Indicators>, AppError> {
    let list = state.store.statistics_indicators(me.viewer.org_id).await?;
    let indicators = Indicator::parse_list(&list).unwrap_or_else(|_| Indicator::ALL.to_vec());
    Ok(Json(Indicators { indicators }))
}

async fn api_set_indicators(
    State(state): State<AppState>,
    me: CurrentUser,
    crate::extract::JsonBody(req): crate::extract::JsonBody<IndicatorsInput>,
) -> Result<Json<Indicators>, AppError> {
    let list = set_indicators(&state, &me, req.indicators.as_deref()).await?;
    let indicators = Indicator::parse_list(&list).unwrap_or_else(|_| Indicator::ALL.to_vec());
    Ok(Json(Indicators { indicators }))
}

#[derive(Deserialize)]
struct IndicatorsForm {
    indicators: Option<String>,
    back: Option<String>,
}

async fn indicators_submit(
    State(state): State<AppState>,
    page: crate::auth::PageForm<IndicatorsForm>,
) -> Response {
    let crate::auth::PageForm { user: me, form } = page;
    match set_indicators(&state, &me, form.indicators.as_deref()).await {
        // Only back to the statistics page itself: never an arbitrary address.
        Ok(_) => axum::response::Redirect::to(&format!(
            "/statistics?{}",
            form.back
                .as_deref()
                .unwrap_or("")
                .trim_start_matches('?')
                .replace(['\r', '\n'], "")
        ))
        .into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

/// The export from a page link: a refusal or a bad parameter is a page in the person's
/// language, not the API's JSON.
async fn export_page(state: State<AppState>, me: CurrentUser, q: Query<StatsQuery>) -> Response {
    let locale = me.locale();
    export(state, me, q)
        .await
        .unwrap_or_else(|e| e.into_page(locale))
}

/// Figures of a period grouped by one dimension, with the whole scope's total.
#[derive(Serialize, utoipa::ToSchema)]
struct Statistics {
    period: Period,
    group_by: yingpan_domain::statistics::Dimension,
    indicators: Vec<Indicator>,
    total: yingpan_domain::statistics::Figures,
    items: Vec<yingpan_store::StatisticsRow>,
    total_rows: usize,
}

/// The indicators the company's statistics show, in order.
#[derive(Serialize, utoipa::ToSchema)]
struct Indicators {
    indicators: Vec<Indicator>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/statistics/indicators", api_get_indicators),
        answer("put", "/statistics/indicators", api_set_indicators),
        answer("get", "/statistics", api_statistics),
        answer("get", "/statistics/export", export),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/statistics/indicators",
            get(api_get_indicators).put(api_set_indicators),
        )
        .route(
            "/statistics/indicators",
            axum::routing::post(indicators_submit),
        )
        .route("/api/v1/statistics", get(api_statistics))
        .route("/api/v1/statistics/export", get(export))
        .route("/statistics", get(page))
        .route("/statistics/export", get(export_page))
}
