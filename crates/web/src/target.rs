//! Targets (目标分解): the year's plan as a grid of people × periods, its gaps and publications,
//! and attainment against the published targets. Rules are the domain's (`target`), scope the
//! store's; this module parses and shows.

use crate::described::{answer, Answer, Listing};

use crate::auth::{CurrentUser, PageForm};
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
use chrono::Datelike;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::permission::Action;
use yingpan_domain::person::{Role, Scope};
use yingpan_domain::target::{
    Attainment, DimensionKind, Gap, Measure, TargetKey, TargetLineInput, TargetPeriod,
};
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;
use yingpan_store::{AttainmentReport, TargetPlan, TargetPublication, User};

fn parse_year(raw: i64) -> Result<i32, ValidationError> {
    yingpan_domain::day::parse_year("year", raw)
}

/// `2026-11`, `2026-Q4` or `2026` as the days it covers; this month when blank.
pub(crate) fn parse_period(raw: Option<&str>, state: &AppState) -> Result<Period, ValidationError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(Period::month_of(state.today()));
    };
    let year = raw
        .get(..4)
        .and_then(|y| y.parse::<i64>().ok())
        .ok_or_else(|| {
            ValidationError::new(
                "period",
                "invalid_period",
                "must be a period like 2026, 2026-Q4 or 2026-11",
            )
        })?;
    let year = parse_year(year).map_err(|_| {
        ValidationError::new(
            "period",
            "invalid_period",
            "must be a year between 2000 and 2100",
        )
    })?;
    Ok(TargetPeriod::parse(raw, year)?.days())
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct PlanQuery {
    year: Option<i64>,
    measure: Option<String>,
    category: Option<String>,
    region: Option<String>,
    dealer_id: Option<String>,
}

impl PlanQuery {
    fn year(&self, state: &AppState) -> Result<i32, ValidationError> {
        parse_year(self.year.unwrap_or_else(|| i64::from(state.today().year())))
    }
    fn measure(&self) -> Result<Option<Measure>, ValidationError> {
        self.measure
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .map(Measure::parse)
            .transpose()
    }
    fn dimension(&self) -> (DimensionKind, String) {
        let clean = |s: &Option<String>| s.as_deref().map(str::trim).unwrap_or("").to_string();
        match (
            clean(&self.category),
            clean(&self.region),
            clean(&self.dealer_id),
        ) {
            (c, _, _) if !c.is_empty() => (DimensionKind::Category, c),
            (_, r, _) if !r.is_empty() => (DimensionKind::Region, r),
            (_, _, d) if !d.is_empty() => (DimensionKind::Dealer, d),
            _ => (DimensionKind::Total, String::new()),
        }
    }
}

async fn api_plan(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PlanQuery>,
) -> Result<Json<Targets>, AppError> {
    let year = q.year(&state)?;
    let measure = q.measure()?;
    let plan = state.store.target_plan(&me.viewer, year).await?;
    let (kind, value) = q.dimension();
    let filtered = q.category.is_some() || q.region.is_some() || q.dealer_id.is_some();
    let keep = |k: &TargetKey| {
        measure.is_none_or(|m| k.measure == m)
            && (!filtered || (k.dimension.kind == kind && k.dimension.value == value))
    };
    let items: Vec<_> = plan
        .lines
        .iter()
        .filter(|l| keep(&l.key))
        .cloned()
        .collect();
    let gaps: Vec<_> = plan.gaps.iter().filter(|g| keep(&g.key)).cloned().collect();
    Ok(Json(Targets {
        year: plan.year,
        version: plan.version,
        publication: plan.publication,
        published_at: plan.published_at,
        published_by_name: plan.published_by_name,
        unpublished_changes: plan.unpublished_changes,
        total: items.len(),
        items,
        gaps,
        names: plan.names,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TargetSaveRequest)]
struct SaveRequest {
    version: i64,
    lines: Vec<TargetLineInput>,
}

/// Longest list of figures one save takes: a full grid of a thousand people.
const MAX_LINES: usize = 20_000;

async fn save(
    state: &AppState,
    me: &CurrentUser,
    year: i32,
    version: i64,
    lines: &[TargetLineInput],
) -> Result<TargetPlan, AppError> {
    me.may(Action::SetTargets)?;
    if lines.len() > MAX_LINES {
        return Err(ValidationError::new(
            "lines",
            "too_many",
            format!("at most {MAX_LINES} figures per save"),
        )
        .into());
    }
    let changes = lines
        .iter()
        .map(|l| l.parse(year))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(state
        .store
        .save_target_lines(&me.viewer, year, version, &changes, state.now())
        .await?)
}

async fn api_save(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(year): Path<i64>,
    JsonBody(req): JsonBody<SaveRequest>,
) -> Result<Json<TargetPlan>, AppError> {
    let year = parse_year(year)?;
    Ok(Json(
        save(&state, &me, year, req.version, &req.lines).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct PublishRequest {
    version: i64,
    #[serde(default)]
    accept_difference: bool,
    note: Option<String>,
}

async fn publish(
    state: &AppState,
    me: &CurrentUser,
    year: i32,
    req: &PublishRequest,
) -> Result<TargetPublication, AppError> {
    me.may(Action::PublishTargets)?;
    if req
        .note
        .as_deref()
        .is_some_and(|n| n.chars().count() > 2000)
    {
        return Err(ValidationError::new("note", "too_long", "at most 2000 characters").into());
    }
    Ok(state
        .store
        .publish_targets(
            &me.viewer,
            year,
            req.version,
            req.accept_difference,
            req.note.as_deref(),
            state.now(),
        )
        .await?)
}

async fn api_publish(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(year): Path<i64>,
    JsonBody(req): JsonBody<PublishRequest>,
) -> Result<crate::described::Created<TargetPublication>, AppError> {
    let year = parse_year(year)?;
    Ok(crate::described::Created(
        publish(&state, &me, year, &req).await?,
    ))
}

async fn api_publications(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(year): Path<i64>,
) -> Result<Json<Listing<TargetPublication>>, AppError> {
    let year = parse_year(year)?;
    let items = state
        .store
        .target_publications(me.viewer.org_id, year)
        .await?;
    Ok(Json(Listing::all(items)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AttainmentQuery {
    period: Option<String>,
}

async fn api_attainment(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AttainmentQuery>,
) -> Result<Json<AttainmentReport>, AppError> {
    let period = parse_period(q.period.as_deref(), &state)?;
    Ok(Json(
        state
            .store
            .attainment(&me.viewer, period, state.today())
            .await?,
    ))
}

/// One row of the grid: a person (or the company) and a cell per period.
pub struct GridRow {
    pub assignee: i64,
    pub name: String,
    pub depth: usize,
    pub editable: bool,
    pub cells: Vec<GridCell>,
}

pub struct GridCell {
    pub name: String,
    pub value: String,
    /// The difference to the parts below, formatted, when the figure does not add up.
    pub gap: Option<String>,
}

/// The people shown in the grid, in reporting-line order with their depth: everyone in the
/// viewer's scope except the clerks and admins (who carry no sales target).
fn people_in_order(users: &[User]) -> Vec<(User, usize)> {
    let mut children: BTreeMap<Option<i64>, Vec<&User>> = BTreeMap::new();
    let ids: std::collections::HashSet<i64> = users.iter().map(|u| u.id).collect();
    for u in users
        .iter()
        .filter(|u| u.active && matches!(u.role, Role::Director | Role::Supervisor | Role::Sales))
    {
        // Someone whose superior is not shown starts a tree of their own.
        let parent = u.superior_id.filter(|s| ids.contains(s));
        children.entry(parent).or_default().push(u);
    }
    for list in children.values_mut() {
        let rank = |r: Role| match r {
            Role::Director => 0,
            Role::Supervisor => 1,
            _ => 2,
        };
        list.sort_by(|a, b| (rank(a.role), &a.display_name).cmp(&(rank(b.role), &b.display_name)));
    }
    let mut out = Vec::new();
    let mut stack: Vec<(&User, usize)> = children
        .get(&None)
        .map(|l| l.iter().rev().map(|u| (*u, 0)).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    while let Some((u, depth)) = stack.pop() {
        if !seen.insert(u.id) {
            continue;
        }
        out.push((u.clone(), depth));
        if let Some(kids) = children.get(&Some(u.id)) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out
}

fn periods(year: i32) -> Vec<TargetPeriod> {
    let mut p = vec![TargetPeriod::Year(year)];
    p.extend((1..=4).map(|q| TargetPeriod::Quarter(year, q)));
    p.extend((1..=12).map(|m| TargetPeriod::Month(year, m)));
    p
}

fn gap_words(tr: &Tr, g: &Gap, names: &BTreeMap<i64, String>) -> String {
    let money = g.key.measure.is_money();
    let who = match g.key.assignee_id {
        None => tr.t("targets.company").to_string(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
    };
    let part = if g.key.dimension.value.is_empty() {
        String::new()
    } else {
        format!(" · {}", g.key.dimension.value)
    };
    format!(
        "{} · {who} · {}{part}: {} {} ≠ {} {} ({} {})",
        tr.tp("measure", g.key.measure.as_str()),
        g.key.period,
        tr.t("targets.figure"),
        tr.figure(g.amount, money),
        tr.tp(
            "axis",
            serde_json::to_value(g.axis)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        ),
        tr.figure(g.parts, money),
        tr.t("targets.difference"),
        tr.figure(g.difference, money),
    )
}

#[derive(Template)]
#[template(path = "targets.html")]
struct PlanPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    plan: TargetPlan,
    year: i32,
    measure: &'static str,
    measures: Vec<&'static str>,
    category: String,
    region: String,
    dealer_id: String,
    /// Dealers the viewer may set targets for: (id, name).
    dealers: Vec<(i64, String)>,
    headers: Vec<String>,
    rows: Vec<GridRow>,
    gaps: Vec<String>,
    publications: Vec<TargetPublication>,
    can_set: bool,
    can_publish: bool,
}

async fn plan_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<PlanQuery>,
) -> Response {
    let result = async {
        let year = q.year(&state)?;
        let measure = q.measure()?.unwrap_or(Measure::Revenue);
        let (kind, value) = q.dimension();
        let plan = state.store.target_plan(&me.viewer, year).await?;
        let users = state.store.people_in_scope(&me.viewer).await?;
        let tr = me.tr();
        let money = measure.is_money();
        let here = |k: &TargetKey| {
            k.measure == measure && k.dimension.kind == kind && k.dimension.value == value
        };
        let values: HashMap<(i64, TargetPeriod), Decimal> = plan
            .lines
            .iter()
            .filter(|l| here(&l.key))
            .map(|l| ((l.key.assignee_id.unwrap_or(0), l.key.period), l.amount))
            .collect();
        let gaps_here: HashMap<(i64, TargetPeriod), Decimal> = plan
            .gaps
            .iter()
            .filter(|g| here(&g.key))
            .map(|g| ((g.key.assignee_id.unwrap_or(0), g.key.period), g.difference))
            .collect();
        let can_set = me.can(Action::SetTargets);
        let below: std::collections::HashSet<i64> = users
            .iter()
            .filter(|u| u.id != me.user.id)
            .map(|u| u.id)
            .collect();
        let sets_company = yingpan_domain::permission::sets_every_target(me.role());
        let ps = periods(year);
        let row = |assignee: i64, name: String, depth: usize, editable: bool| GridRow {
            assignee,
            name,
            depth,
            editable,
            cells: ps
                .iter()
                .map(|p| GridCell {
                    name: format!("a{assignee}_{p}"),
                    value: values
                        .get(&(assignee, *p))
                        .map(|d| d.normalize().to_string())
                        .unwrap_or_default(),
                    gap: gaps_here.get(&(assignee, *p)).map(|d| tr.figure(*d, money)),
                })
                .collect(),
        };
        let mut rows = Vec::new();
        if me.viewer.scope == Scope::All {
            rows.push(row(
                0,
                tr.t("targets.company").to_string(),
                0,
                can_set && sets_company,
            ));
        }
        let offset = usize::from(me.viewer.scope == Scope::All);
        for (u, depth) in people_in_order(&users) {
            let editable = can_set && (sets_company || below.contains(&u.id));
            rows.push(row(u.id, u.display_name.clone(), depth + offset, editable));
        }
        let gaps = plan
            .gaps
            .iter()
            .map(|g| gap_words(&tr, g, &plan.names))
            .collect();
        let publications = state
            .store
            .target_publications(me.viewer.org_id, year)
            .await?;
        Ok::<_, AppError>(PlanPage {
            headers: ps
                .iter()
                .map(|p| match p {
                    TargetPeriod::Year(_) => tr.t("targets.full_year").to_string(),
                    TargetPeriod::Quarter(_, q) => format!("Q{q}"),
                    TargetPeriod::Month(_, m) => tr.tp("month", m),
                })
                .collect(),
            tr,
            me: &me,
            plan,
            year,
            measure: measure.as_str(),
            measures: Measure::ALL.iter().map(|m| m.as_str()).collect(),
            category: if kind == DimensionKind::Category {
                value.clone()
            } else {
                String::new()
            },
            region: if kind == DimensionKind::Region {
                value.clone()
            } else {
                String::new()
            },
            dealer_id: if kind == DimensionKind::Dealer {
                value
            } else {
                String::new()
            },
            dealers: state.store.dealers_in_scope(&me.viewer, 500).await?,
            rows,
            gaps,
            publications,
            can_set,
            can_publish: me.can(Action::PublishTargets),
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

/// The grid as posted: `a{person}_{period}` cells (0 is the company) besides the plan's
/// coordinates. Only cells whose value changed are saved, so a cell the viewer may not set
/// but did not touch is not refused.
async fn plan_submit(
    State(state): State<AppState>,
    page: PageForm<HashMap<String, String>>,
) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let get = |k: &str| form.get(k).map(String::as_str);
        let q = PlanQuery {
            year: get("year").and_then(|y| y.trim().parse().ok()),
            measure: get("measure").map(str::to_string),
            category: get("category").map(str::to_string),
            region: get("region").map(str::to_string),
            dealer_id: get("dealer_id").map(str::to_string),
        };
        let year = q.year(&state)?;
        let measure = q.measure()?.unwrap_or(Measure::Revenue);
        let (kind, value) = q.dimension();
        let version: i64 = get("version")
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| {
                ValidationError::new("version", "required", "the plan's version is missing")
            })?;
        let plan = state.store.target_plan(&me.viewer, year).await?;
        let current: HashMap<(i64, String), Decimal> = plan
            .lines
            .iter()
            .filter(|l| {
                l.key.measure == measure
                    && l.key.dimension.kind == kind
                    && l.key.dimension.value == value
            })
            .map(|l| {
                (
                    (l.key.assignee_id.unwrap_or(0), l.key.period.to_string()),
                    l.amount,
                )
            })
            .collect();
        let mut lines = Vec::new();
        for (name, raw) in &form {
            let Some((who, period)) = name.strip_prefix('a').and_then(|n| n.split_once('_')) else {
                continue;
            };
            let Ok(who) = who.parse::<i64>() else {
                continue;
            };
            let raw = raw.trim();
            let before = current.get(&(who, period.to_string()));
            let unchanged = match (before, raw) {
                (None, "") => true,
                (Some(b), r) => measure.parse_amount(r).is_ok_and(|a| a == *b),
                _ => false,
            };
            if unchanged {
                continue;
            }
            lines.push(TargetLineInput {
                measure: measure.as_str().into(),
                assignee_id: (who != 0).then_some(who),
                period: period.to_string(),
                category: (kind == DimensionKind::Category).then(|| value.clone()),
                region: (kind == DimensionKind::Region).then(|| value.clone()),
                dealer_id: (kind == DimensionKind::Dealer)
                    .then(|| value.parse().ok())
                    .flatten(),
                amount: Some(raw.to_string()),
            });
        }
        save(&state, &me, year, version, &lines).await?;
        Ok::<_, AppError>(grid_url(year, measure, kind, &value))
    }
    .await;
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

fn grid_url(year: i32, measure: Measure, kind: DimensionKind, value: &str) -> String {
    let mut url = format!("/targets?year={year}&measure={}", measure.as_str());
    if kind != DimensionKind::Total {
        let name = if kind == DimensionKind::Dealer {
            "dealer_id"
        } else {
            kind.as_str()
        };
        url.push_str(&format!("&{name}={}", urlencoding_lite(value)));
    }
    url
}

/// Percent-encodes a query value (names may be Chinese).
fn urlencoding_lite(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)])
        .map(|e| e.trim_start_matches("v=").to_string())
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct PublishForm {
    year: i64,
    version: i64,
    accept_difference: Option<String>,
    note: Option<String>,
}

async fn publish_submit(State(state): State<AppState>, page: PageForm<PublishForm>) -> Response {
    let PageForm { user: me, form } = page;
    let result = async {
        let year = parse_year(form.year)?;
        publish(
            &state,
            &me,
            year,
            &PublishRequest {
                version: form.version,
                accept_difference: form.accept_difference.is_some(),
                note: form.note.clone(),
            },
        )
        .await?;
        Ok::<_, AppError>(year)
    }
    .await;
    match result {
        Ok(year) => Redirect::to(&format!("/targets?year={year}")).into_response(),
        Err(e) => e.into_page(me.locale()),
    }
}

/// One measure of one row on the attainment page, formatted, with the bar's width.
pub struct AttainmentCell {
    pub target: String,
    pub actual: String,
    pub percent: String,
    /// 0–100: how much of the bar is filled.
    pub bar: u32,
    /// Behind the pace of the period (only with a target).
    pub behind: bool,
}

pub struct AttainmentLine {
    pub user_id: Option<i64>,
    pub name: String,
    pub cells: Vec<AttainmentCell>,
}

/// A target for a category or region: who, which part, and each measure's figures.
pub struct PartLine {
    pub name: String,
    pub part: String,
    pub cells: Vec<(String, AttainmentCell)>,
}

pub(crate) fn attainment_cells(
    tr: &Tr,
    items: &[Attainment],
    pace: Option<Decimal>,
) -> Vec<AttainmentCell> {
    items
        .iter()
        .map(|a| {
            let money = a.measure.is_money();
            let bar = a
                .percent
                .map(|p| p.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED))
                .and_then(|p| u32::try_from(p.round().mantissa()).ok())
                .unwrap_or(0);
            AttainmentCell {
                target: a
                    .target
                    .map(|t| tr.figure(t, money))
                    .unwrap_or_else(|| "—".into()),
                actual: tr.figure(a.actual, money),
                percent: tr.percent(a.percent),
                bar,
                behind: matches!((a.percent, pace), (Some(p), Some(pace)) if p < pace),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "attainment.html")]
struct AttainmentPage<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    period: String,
    report: AttainmentReport,
    pace: String,
    measures: Vec<&'static str>,
    lines: Vec<AttainmentLine>,
    parts: Vec<PartLine>,
}

async fn attainment_page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<AttainmentQuery>,
) -> Response {
    let result = async {
        let period = parse_period(q.period.as_deref(), &state)?;
        let report = state
            .store
            .attainment(&me.viewer, period, state.today())
            .await?;
        let tr = me.tr();
        let mut lines: Vec<AttainmentLine> = report
            .rows
            .iter()
            .map(|r| AttainmentLine {
                user_id: r.user_id,
                name: r.name.clone(),
                cells: attainment_cells(&tr, &r.items, report.elapsed_percent),
            })
            .collect();
        if report.rows.len() != 1 {
            lines.push(AttainmentLine {
                user_id: None,
                name: tr.t("targets.total").to_string(),
                cells: attainment_cells(&tr, &report.total.items, report.elapsed_percent),
            });
        }
        let parts = report
            .parts
            .iter()
            .map(|p| {
                let cells = attainment_cells(&tr, &p.items, report.elapsed_percent);
                PartLine {
                    name: if p.assignee_id.is_none() {
                        tr.t("targets.company").to_string()
                    } else {
                        p.name.clone()
                    },
                    part: format!(
                        "{} · {}",
                        tr.tp("targets", format!("part_{}", p.dimension.kind.as_str())),
                        p.part
                    ),
                    cells: p
                        .items
                        .iter()
                        .map(|a| tr.tp("measure", a.measure.as_str()))
                        .zip(cells)
                        .collect(),
                }
            })
            .collect();
        Ok::<_, AppError>(AttainmentPage {
            parts,
            period: q
                .period
                .clone()
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| period.start.format("%Y-%m").to_string()),
            pace: tr.percent(report.elapsed_percent),
            tr,
            me: &me,
            report,
            measures: Measure::ALL.iter().map(|m| m.as_str()).collect(),
            lines,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, me.locale()),
        Err(e) => e.into_page(me.locale()),
    }
}

/// A year's targets (the lines the filters keep) and where they fall short.
#[derive(Serialize, utoipa::ToSchema)]
struct Targets {
    year: i32,
    /// Send it back with a save or a publication.
    version: i64,
    publication: Option<i64>,
    published_at: Option<String>,
    published_by_name: Option<String>,
    unpublished_changes: bool,
    total: usize,
    items: Vec<yingpan_domain::target::TargetLine>,
    gaps: Vec<yingpan_domain::target::Gap>,
    /// Names of the people the lines and gaps name, by id.
    names: std::collections::BTreeMap<i64, String>,
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![
        answer("get", "/targets", api_plan),
        answer("get", "/targets/attainment", api_attainment),
        answer("patch", "/targets/{year}", api_save),
        answer("post", "/targets/{year}/publish", api_publish),
        answer("get", "/targets/{year}/publications", api_publications),
    ]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/targets", get(api_plan))
        .route("/api/v1/targets/attainment", get(api_attainment))
        .route("/api/v1/targets/{year}", axum::routing::patch(api_save))
        .route("/api/v1/targets/{year}/publish", post(api_publish))
        .route("/api/v1/targets/{year}/publications", get(api_publications))
        .route("/targets", get(plan_page).post(plan_submit))
        .route("/targets/publish", post(publish_submit))
        .route("/targets/attainment", get(attainment_page))
}
