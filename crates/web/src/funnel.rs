//! The prospecting funnel (seed 004) per person, team and in total: calls → reached →
//! appointments → presentations → deals → revenue, with conversion at each step, sales per
//! call and commission per call. Definitions are the domain's (`funnel`).

use crate::described::{answer, Answer};

use crate::auth::CurrentUser;
use crate::chart;
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::render::render;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::funnel::{compute, Counts, Funnel};
use yingpan_domain::hierarchy::ReportingLine;
use yingpan_domain::person::Role;
use yingpan_domain::weekly_report::Period;
use yingpan_domain::ValidationError;

#[derive(Deserialize, Default, utoipa::ToSchema)]
struct FunnelQuery {
    period: Option<String>,
    group_by: Option<String>,
    commission_percent: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelRow {
    pub key: i64,
    pub label: String,
    pub counts: Counts,
    #[serde(flatten)]
    pub funnel: Funnel,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunnelReport {
    pub period: Period,
    pub group_by: &'static str,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub commission_percent: Option<Decimal>,
    pub items: Vec<FunnelRow>,
    pub total_counts: Counts,
    pub total: Funnel,
}

async fn load(
    state: &AppState,
    me: &CurrentUser,
    q: &FunnelQuery,
) -> Result<FunnelReport, AppError> {
    let period = crate::target::parse_period(q.period.as_deref(), state)?;
    let by_team = match q.group_by.as_deref().map(str::trim) {
        None | Some("") | Some("owner") => false,
        Some("team") => true,
        Some(_) => {
            return Err(
                ValidationError::new("group_by", "invalid_choice", "must be owner or team").into(),
            )
        }
    };
    let commission = yingpan_domain::money::parse_optional_percent(
        "commission_percent",
        q.commission_percent.as_deref(),
    )?;
    let per_person = state.store.funnel_counts(&me.viewer, period).await?;
    let users = state.store.users(me.viewer.org_id).await?;
    let line = ReportingLine::new(users.iter().map(|u| (u.id, u.superior_id)));
    let people: HashMap<i64, (Role, String)> = users
        .into_iter()
        .map(|u| (u.id, (u.role, u.display_name)))
        .collect();
    let mut groups: BTreeMap<i64, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for (person, counts) in &per_person {
        total.add(counts);
        let key = if by_team {
            line.first_up(*person, |p| {
                matches!(people.get(&p), Some((Role::Supervisor, _)))
            })
            .unwrap_or(0)
        } else {
            *person
        };
        groups.entry(key).or_default().add(counts);
    }
    let mut items: Vec<FunnelRow> = groups
        .into_iter()
        .map(|(key, counts)| FunnelRow {
            key,
            label: people.get(&key).map(|(_, n)| n.clone()).unwrap_or_default(),
            funnel: compute(&counts, commission),
            counts,
        })
        .collect();
    items.sort_by(|a, b| {
        b.counts
            .revenue
            .cmp(&a.counts.revenue)
            .then(a.key.cmp(&b.key))
    });
    Ok(FunnelReport {
        period,
        group_by: if by_team { "team" } else { "owner" },
        commission_percent: commission,
        items,
        total: compute(&total, commission),
        total_counts: total,
    })
}

async fn api_funnel(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<FunnelQuery>,
) -> Result<Json<FunnelReport>, AppError> {
    Ok(Json(load(&state, &me, &q).await?))
}

pub struct Shown {
    pub label: String,
    pub cells: Vec<String>,
}

fn shown(tr: &Tr, label: String, f: &Funnel, counts: &Counts) -> Shown {
    let mut cells: Vec<String> = f
        .steps
        .iter()
        .map(|s| match s.conversion_percent {
            Some(p) => format!("{} ({})", s.count, tr.percent(Some(p))),
            None => s.count.to_string(),
        })
        .collect();
    cells.push(tr.money(f.revenue));
    let opt = |v: Option<Decimal>| v.map(|d| tr.money(d)).unwrap_or_else(|| "—".into());
    cells.push(opt(f.sales_per_call));
    cells.push(opt(f.commission_per_call));
    cells.push(format!("{:.1}", counts.selling_minutes as f64 / 60.0));
    cells.push(opt(f.sales_per_hour));
    cells.push(tr.money(counts.expenses));
    cells.push(
        f.sales_per_expense
            .map(|d| d.to_string())
            .unwrap_or_else(|| "—".into()),
    );
    Shown { label, cells }
}

#[derive(Template)]
#[template(path = "funnel.html")]
struct Page<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    period: String,
    period_label: String,
    group_by: &'static str,
    commission: String,
    rows: Vec<Shown>,
    total: Shown,
    chart: String,
}

async fn page(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<FunnelQuery>,
) -> Response {
    let locale = me.locale();
    let result = async {
        let r = load(&state, &me, &q).await?;
        let tr = me.tr();
        let chart = chart::funnel(
            r.total
                .steps
                .iter()
                .map(|s| (tr.tp("funnel.step", s.step), Decimal::from(s.count)))
                .collect(),
        );
        Ok::<_, AppError>(Page {
            period: q
                .period
                .clone()
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| r.period.start.format("%Y-%m").to_string()),
            period_label: r.period.to_string(),
            group_by: r.group_by,
            commission: r
                .commission_percent
                .map(|c| c.to_string())
                .unwrap_or_default(),
            rows: r
                .items
                .iter()
                .map(|i| {
                    let label = if i.label.is_empty() {
                        tr.t("statistics.unset").to_string()
                    } else {
                        i.label.clone()
                    };
                    shown(&tr, label, &i.funnel, &i.counts)
                })
                .collect(),
            total: shown(
                &tr,
                tr.t("targets.total").to_string(),
                &r.total,
                &r.total_counts,
            ),
            chart,
            tr,
            me: &me,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, locale),
        Err(e) => e.into_page(locale),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![answer("get", "/funnel", api_funnel)]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/funnel", get(api_funnel))
        .route("/funnel", get(page))
}
