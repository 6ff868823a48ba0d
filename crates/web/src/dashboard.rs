//! The home page: a dashboard for each level at its own granularity (seed 004). A salesperson
//! looks at today (the day's plan, due contacts, customers about to return to the pool,
//! month-to-date attainment), a supervisor at this week (each person's attainment, plans and
//! reports waiting for review, overdue receivables), a director at this month (teams compared,
//! pipeline by stage, collections and ageing, pool intake and claims), and anyone may open the
//! results view (year to date against target, twelve-month trend). Every figure is the
//! viewer's scope, and links to the records behind it.

use crate::described::{answer, Answer};

use crate::auth::CurrentUser;
use crate::chart::{self, Line};
use crate::error::AppError;
use crate::extract::Query;
use crate::i18n::Tr;
use crate::render::render;
use crate::target::{attainment_cells, AttainmentLine};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use yingpan_domain::order::Ageing;
use yingpan_domain::ownership::{recycle_rules, warning_cutoff, PoolPeriods};
use yingpan_domain::permission;
use yingpan_domain::person::Role;
use yingpan_domain::visit_plan::{china_offset, PlanStatus};
use yingpan_domain::weekly_report::Period;
use yingpan_domain::workbench::{is_working_day, not_filed, previous_working_day};
use yingpan_domain::ValidationError;
use yingpan_store::{
    AttainmentReport, Customer, CustomerListQuery, CustomerSort, MonthFigures, PlanQuery,
    ReturningSoon, StageSummary, TeamFigures,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum View {
    Today,
    Week,
    Month,
    Results,
}

impl View {
    const ALL: [View; 4] = [View::Today, View::Week, View::Month, View::Results];

    fn as_str(self) -> &'static str {
        match self {
            View::Today => "today",
            View::Week => "week",
            View::Month => "month",
            View::Results => "results",
        }
    }

    /// The level's own granularity.
    fn default_for(role: Role) -> Self {
        match role {
            Role::Admin | Role::Director => View::Month,
            Role::Supervisor => View::Week,
            Role::Sales | Role::Clerk => View::Today,
        }
    }

    fn parse(raw: Option<&str>, role: Role) -> Result<Self, ValidationError> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(Self::default_for(role)),
            Some(s) => Self::ALL
                .into_iter()
                .find(|v| v.as_str() == s)
                .ok_or_else(|| {
                    ValidationError::new(
                        "view",
                        "invalid_choice",
                        "must be one of today, week, month, results",
                    )
                }),
        }
    }

    /// The period attainment is measured over.
    fn period(self, today: NaiveDate) -> Period {
        match self {
            View::Today | View::Month => Period::month_of(today),
            View::Week => Period::week_of(today),
            View::Results => Period {
                start: NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("1 January"),
                end: today + Duration::days(1),
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgeingAmount {
    pub ageing: Ageing,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub orders: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanToday {
    pub id: i64,
    pub status: PlanStatus,
    pub items: usize,
}

/// One line of the workbench's to-do list: what waits, how many, where to act, and the records
/// or people behind it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Waiting {
    /// `plan_missing`, `plan_draft`, `plan_returned`, `report_missing`, `due_contacts`,
    /// `returning`, `unread`, `plans_to_review`, `reports_to_review`, `plans_not_filed`,
    /// `reports_not_filed`, `tickets_assigned`, `tickets_overdue`, `return_visits`,
    /// `tasks_mine`, `tasks_team_overdue`.
    pub kind: &'static str,
    pub count: usize,
    pub link: String,
    pub items: Vec<WaitingItem>,
    /// How many more there are than the items listed.
    pub more: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitingItem {
    pub label: String,
    pub link: Option<String>,
}

/// Names listed under one to-do line; the count says how many there are in all.
const LISTED: usize = 12;

/// Everything one dashboard shows (the API answers the same).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DashboardData {
    pub view: View,
    pub today: NaiveDate,
    pub customer_total: i64,
    pub pool_total: i64,
    pub attainment: AttainmentReport,
    pub returning_soon: Vec<Customer>,
    /// Whole days each of those customers' owner has left (customer id → days).
    pub days_left: BTreeMap<i64, i64>,
    /// What waits for the viewer, on every view: their own plan and report, due contacts,
    /// customers about to return, unread messages; for those with a team, what waits for review
    /// and who has not filed.
    pub waiting: Vec<Waiting>,
    /// Today: the viewer's plan for the day, if filed.
    pub plan_today: Option<PlanToday>,
    pub due_contacts: i64,
    /// Week: what waits for the viewer's review.
    pub plans_to_review: usize,
    pub reports_to_review: usize,
    /// Week and month: receivables in scope by ageing (today).
    pub receivables: Vec<AgeingAmount>,
    /// Month: teams compared (directors), open pipeline by stage, ownership moves.
    pub teams: Vec<TeamFigures>,
    pub pipeline: Vec<StageSummary>,
    pub ownership_flow: BTreeMap<String, i64>,
    /// Results: the last twelve months.
    pub trend: Vec<MonthFigures>,
    /// Week and month: this month's budget of each team in scope (supervisors and directors).
    pub budgets: Vec<yingpan_store::TeamBudget>,
}

async fn returning_soon(state: &AppState, me: &CurrentUser) -> Result<Vec<Customer>, AppError> {
    // Customers the recycle returns to the pool within the warning period unless their owner
    // logs a contact: the recycle's own rules (pool and tier periods, exemptions).
    let org = state.store.organization(me.viewer.org_id).await?;
    let now = state.now();
    let company = org.settings.protection();
    let periods: Vec<(i64, PoolPeriods)> = state
        .store
        .pools(me.viewer.org_id)
        .await?
        .iter()
        .map(|p| (p.id, p.periods()))
        .collect();
    let returning = ReturningSoon {
        cutoffs: recycle_rules(company, &periods)
            .into_iter()
            .map(|r| {
                let cutoff = warning_cutoff(r.policy, now, org.settings.warning_days);
                (r.pool_id, r.tier, cutoff)
            })
            .collect(),
        exempt_open: org.settings.exempt_open_opportunity,
        exempt_deal: org.settings.exempt_with_deal,
    };
    let (expiring, _) = state
        .store
        .list_customers(
            &me.viewer,
            &CustomerListQuery {
                returning_soon: Some(returning),
                sort: CustomerSort::LastContactAsc,
                per_page: 10,
                skip_count: true,
                ..Default::default()
            },
        )
        .await?;
    Ok(expiring)
}

async fn load(state: &AppState, me: &CurrentUser, view: View) -> Result<DashboardData, AppError> {
    let today = state.today();
    let store = &state.store;
    let v = &me.viewer;
    let (_, customer_total) = store
        .list_customers(
            v,
            &CustomerListQuery {
                per_page: 1,
                ..Default::default()
            },
        )
        .await?;
    let (_, pool_total) = store.pool(v, None, 1, 1).await?;
    // The director's month reads the period's facts once for attainment and the teams.
    let (attainment, teams) = if view == View::Month {
        store
            .attainment_and_teams(v, view.period(today), today)
            .await?
    } else {
        (
            store.attainment(v, view.period(today), today).await?,
            Vec::new(),
        )
    };
    let mut data = DashboardData {
        view,
        today,
        customer_total,
        pool_total,
        attainment,
        returning_soon: returning_soon(state, me).await?,
        days_left: BTreeMap::new(),
        waiting: Vec::new(),
        plan_today: None,
        due_contacts: 0,
        plans_to_review: 0,
        reports_to_review: 0,
        receivables: Vec::new(),
        teams,
        pipeline: Vec::new(),
        ownership_flow: BTreeMap::new(),
        trend: Vec::new(),
        budgets: Vec::new(),
    };
    let shared = Shared::load(state, me, view, today).await?;
    if let Some((plans, reports)) = &shared.reviews {
        data.plans_to_review = plans.len();
        data.reports_to_review = reports.len();
    }
    match view {
        View::Today => {
            data.plan_today = shared.own_plan.as_ref().map(|p| PlanToday {
                id: p.id,
                status: p.status,
                items: p.items.len(),
            });
            data.due_contacts = shared.due.as_ref().map_or(0, |d| d.1);
        }
        View::Week | View::Month => {
            data.budgets = store.budgets(v, Period::month_of(today)).await?;
            data.receivables = store
                .receivables_by_ageing(v, today)
                .await?
                .into_iter()
                .map(|(ageing, orders, amount)| AgeingAmount {
                    ageing,
                    orders: orders as usize,
                    amount,
                })
                .collect();
            if view == View::Month {
                // The teams came with the attainment, from the same facts.
                data.pipeline = store.pipeline(v, None).await?.0;
                data.ownership_flow = store.ownership_flow(v, view.period(today)).await?;
            }
        }
        View::Results => {
            let mut first = Period::month_of(today).start;
            for _ in 0..11 {
                first = Period::month_of(first - Duration::days(1)).start;
            }
            data.trend = store.monthly_trend(v, first, today).await?;
        }
    }
    let protection = crate::protection::Protection::load(state, v.org_id).await?;
    data.days_left = data
        .returning_soon
        .iter()
        .filter_map(|c| protection.days_left(c).map(|d| (c.id, d)))
        .collect();
    data.waiting = waiting(state, me, today, &data, shared).await?;
    Ok(data)
}

/// Lists a view's figures and the to-do list both need, read once per request.
struct Shared {
    /// The viewer's own plan for today (today's view, and those who file plans).
    own_plan: Option<yingpan_store::VisitPlan>,
    /// Contacts due by the end of today: the first few, and how many (those who sell, and
    /// today's view).
    due: Option<(Vec<yingpan_store::DueContact>, i64)>,
    /// Plans (others') and daily reports waiting for the viewer's review (the week's view, and
    /// those who review).
    reviews: Option<(
        Vec<yingpan_store::VisitPlan>,
        Vec<yingpan_store::StoredDailyReport>,
    )>,
}

impl Shared {
    async fn load(
        state: &AppState,
        me: &CurrentUser,
        view: View,
        today: NaiveDate,
    ) -> Result<Self, AppError> {
        let store = &state.store;
        let v = &me.viewer;
        let own_plan = if view == View::Today || permission::files_daily_process(me.role()) {
            store
                .plans(
                    v,
                    &PlanQuery {
                        user_id: Some(me.user.id),
                        date: Some(today),
                        status: None,
                    },
                    1,
                )
                .await?
                .into_iter()
                .next()
        } else {
            None
        };
        let due = if view == View::Today || me.sells() {
            let end_of_day = Period {
                start: today,
                end: today + Duration::days(1),
            }
            .bounds(china_offset())
            .1;
            Some(
                store
                    .due_contacts(v, end_of_day, None, LISTED as i64)
                    .await?,
            )
        } else {
            None
        };
        let reviews = if view == View::Week || (me.sees_people() && me.keeps_daily_process()) {
            let plans = store
                .plans(
                    v,
                    &PlanQuery {
                        user_id: None,
                        date: None,
                        status: Some(PlanStatus::Submitted),
                    },
                    500,
                )
                .await?
                .into_iter()
                .filter(|p| p.user_id != me.user.id)
                .collect();
            Some((plans, store.daily_reports(v, None, true, 500).await?))
        } else {
            None
        };
        Ok(Self {
            own_plan,
            due,
            reviews,
        })
    }
}

/// What waits for the viewer (see [`DashboardData::waiting`]).
async fn waiting(
    state: &AppState,
    me: &CurrentUser,
    today: NaiveDate,
    data: &DashboardData,
    shared: Shared,
) -> Result<Vec<Waiting>, AppError> {
    let store = &state.store;
    let v = &me.viewer;
    let mut out = Vec::new();
    // `of`: how many things the items stand for (people listed for a count of reports).
    let mut push = |kind, count: usize, link: String, items: Vec<WaitingItem>, of: usize| {
        if count > 0 {
            out.push(Waiting {
                kind,
                count,
                link,
                more: of.saturating_sub(items.len()),
                items,
            });
        }
    };
    let report_day = previous_working_day(today);
    if permission::files_daily_process(me.role()) {
        if is_working_day(today) {
            match shared.own_plan {
                None => push("plan_missing", 1, "/plans".into(), Vec::new(), 0),
                Some(p) if p.status == PlanStatus::Draft => {
                    push("plan_draft", 1, format!("/plans/{}", p.id), Vec::new(), 0)
                }
                Some(p) if p.status == PlanStatus::Returned => {
                    let items = p
                        .review_comment
                        .iter()
                        .map(|c| WaitingItem {
                            label: c.clone(),
                            link: None,
                        })
                        .collect();
                    push("plan_returned", 1, format!("/plans/{}", p.id), items, 0)
                }
                Some(_) => {}
            }
        }
        let (_, reports) = store.filed(v, today, report_day).await?;
        if !reports.contains(&me.user.id) {
            push(
                "report_missing",
                1,
                "/reports".into(),
                vec![WaitingItem {
                    label: report_day.to_string(),
                    link: None,
                }],
                0,
            );
        }
    }
    if let (true, Some((due, count))) = (me.sells(), &shared.due) {
        let count = *count;
        push(
            "due_contacts",
            usize::try_from(count).unwrap_or(0),
            "/due".into(),
            due.iter()
                .map(|d| WaitingItem {
                    label: d.name.clone(),
                    link: Some(format!("/customers/{}", d.customer_id)),
                })
                .collect(),
            usize::try_from(count).unwrap_or(0),
        );
        push(
            "returning",
            data.returning_soon.len(),
            "#expiring".into(),
            Vec::new(),
            0,
        );
    }
    if let (true, Some((plans, reports))) = (
        me.sees_people() && me.keeps_daily_process(),
        &shared.reviews,
    ) {
        push(
            "plans_to_review",
            plans.len(),
            "/plans".into(),
            plans
                .iter()
                .take(LISTED)
                .map(|p| WaitingItem {
                    label: format!("{} · {}", p.user_name.as_deref().unwrap_or(""), p.plan_date),
                    link: Some(format!("/plans/{}", p.id)),
                })
                .collect(),
            plans.len(),
        );
        // Grouped by author: "王芳（3）", linked to the oldest one waiting.
        let mut by_author: BTreeMap<String, (usize, i64)> = BTreeMap::new();
        for r in reports {
            let e = by_author
                .entry(r.user_name.clone().unwrap_or_default())
                .or_insert((0, r.id));
            e.0 += 1;
            e.1 = r.id;
        }
        let authors = by_author.len();
        push(
            "reports_to_review",
            reports.len(),
            "/reports".into(),
            by_author
                .into_iter()
                .take(LISTED)
                .map(|(name, (n, id))| WaitingItem {
                    label: format!("{name}（{n}）"),
                    link: Some(format!("/reports/{id}")),
                })
                .collect(),
            authors,
        );
        let people: Vec<_> = store
            .people_in_scope(v)
            .await?
            .into_iter()
            .filter(|p| p.active && p.id != me.user.id && permission::files_daily_process(p.role))
            .collect();
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        let names: BTreeMap<i64, &str> = people
            .iter()
            .map(|p| (p.id, p.display_name.as_str()))
            .collect();
        let (plans_filed, reports_filed) = store.filed(v, today, report_day).await?;
        let listed = |missing: Vec<i64>| {
            missing
                .iter()
                .take(LISTED)
                .map(|id| WaitingItem {
                    label: names.get(id).copied().unwrap_or_default().to_string(),
                    link: Some(format!("/customers?owner_id={id}")),
                })
                .collect::<Vec<_>>()
        };
        if is_working_day(today) {
            let missing = not_filed(&ids, &plans_filed);
            let n = missing.len();
            push("plans_not_filed", n, "/plans".into(), listed(missing), n);
        }
        let missing = not_filed(&ids, &reports_filed);
        let n = missing.len();
        push(
            "reports_not_filed",
            n,
            "/reports".into(),
            listed(missing),
            n,
        );
    }
    let now = state.now();
    let (mine, mine_total) = store
        .tickets(
            v,
            &yingpan_store::TicketFilter {
                assignee_id: Some(me.user.id),
                open: true,
                limit: LISTED as i64,
                ..Default::default()
            },
            now,
        )
        .await?;
    let ticket_items = |list: &[yingpan_store::Ticket]| -> Vec<WaitingItem> {
        list.iter()
            .map(|t| WaitingItem {
                label: format!(
                    "#{} {} · {}",
                    t.id,
                    t.subject,
                    t.customer_name.as_deref().unwrap_or("")
                ),
                link: Some(format!("/tickets/{}", t.id)),
            })
            .collect()
    };
    let n = usize::try_from(mine_total).unwrap_or(0);
    push(
        "tickets_assigned",
        n,
        "/tickets?assignee_id=me&open=1".into(),
        ticket_items(&mine),
        n,
    );
    if me.sees_people() {
        let (late, late_total) = store
            .tickets(
                v,
                &yingpan_store::TicketFilter {
                    overdue_at: Some(now),
                    limit: LISTED as i64,
                    ..Default::default()
                },
                now,
            )
            .await?;
        let n = usize::try_from(late_total).unwrap_or(0);
        push(
            "tickets_overdue",
            n,
            "/tickets?overdue=1".into(),
            ticket_items(&late),
            n,
        );
    }
    let task_items = |list: &[yingpan_store::Task]| -> Vec<WaitingItem> {
        list.iter()
            .take(LISTED)
            .map(|t| WaitingItem {
                label: format!("{} · {}", t.title, t.assignee_name.as_deref().unwrap_or("")),
                link: Some(format!("/tasks/{}", t.id)),
            })
            .collect()
    };
    let (mine, _) = store
        .tasks(v, yingpan_store::TaskView::Mine, false, 200, now)
        .await?;
    let open: Vec<_> = mine
        .into_iter()
        .filter(|t| matches!(t.status.as_str(), "assigned" | "acknowledged"))
        .collect();
    push(
        "tasks_mine",
        open.len(),
        "/tasks".into(),
        task_items(&open),
        open.len(),
    );
    if me.sees_people() {
        let (late, total) = store
            .tasks(v, yingpan_store::TaskView::Team, true, LISTED as i64, now)
            .await?;
        let n = usize::try_from(total).unwrap_or(0);
        push(
            "tasks_team_overdue",
            n,
            "/tasks?view=team&overdue=1".into(),
            task_items(&late),
            n,
        );
    }
    if me.sells() {
        let end_of_day = Period {
            start: today,
            end: today + Duration::days(1),
        }
        .bounds(china_offset())
        .1;
        let (visits, total) = store
            .return_visits_due(v, end_of_day, LISTED as i64)
            .await?;
        let n = usize::try_from(total).unwrap_or(0);
        push(
            "return_visits",
            n,
            "/due#return-visits".into(),
            visits
                .iter()
                .map(|r| WaitingItem {
                    label: r.customer_name.clone().unwrap_or_default(),
                    link: Some(format!("/customers/{}", r.customer_id)),
                })
                .collect(),
            n,
        );
    }
    if me.unread > 0 {
        push(
            "unread",
            usize::try_from(me.unread).unwrap_or(0),
            "/inbox".into(),
            Vec::new(),
            0,
        );
    }
    Ok(out)
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ViewQuery {
    view: Option<String>,
}

async fn api_dashboard(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ViewQuery>,
) -> Result<Json<DashboardData>, AppError> {
    let view = View::parse(q.view.as_deref(), me.role())?;
    Ok(Json(load(&state, &me, view).await?))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Page<'a> {
    tr: Tr,
    me: &'a CurrentUser,
    d: DashboardData,
    views: Vec<&'static str>,
    view: &'static str,
    pace: String,
    measures: Vec<&'static str>,
    lines: Vec<AttainmentLine>,
    /// SVG charts, drawn from the figures shown beside them.
    attainment_chart: String,
    /// This month's team budgets (the shared table reads `budgets`).
    budgets: Vec<yingpan_store::TeamBudget>,
    side_chart: String,
    trend_chart: String,
    receivable_total: String,
    /// The period's first and last day.
    period_label: String,
}

impl Page<'_> {
    /// A customer's days of protection left, as a colour class and words.
    fn days_left(&self, id: &i64) -> (&'static str, String) {
        days_left_text(&self.tr, self.d.days_left.get(id).copied())
    }
}

/// Days of protection left in words, with the colour class: red in the last day.
pub fn days_left_text(tr: &Tr, days: Option<i64>) -> (&'static str, String) {
    match days {
        None => ("", String::new()),
        Some(0) => ("urgent", tr.t("protection.ended").to_string()),
        Some(n) => (
            if n <= 1 {
                "urgent"
            } else if n <= 3 {
                "soon"
            } else {
                "calm"
            },
            tr.tn("protection.days", usize::try_from(n).unwrap_or(0)),
        ),
    }
}

/// People on a dashboard's attainment table and chart.
const SHOWN_PEOPLE: usize = 20;

fn attainment_chart(tr: &Tr, report: &AttainmentReport) -> String {
    // Revenue against target per person (or the one person's measures in percent).
    if report.rows.len() <= 1 {
        let row = report.rows.first().unwrap_or(&report.total);
        // Percentages need targets: without any, the table says it all.
        if row.items.iter().all(|a| a.percent.is_none()) {
            return String::new();
        }
        let names = row
            .items
            .iter()
            .map(|a| tr.tp("measure", a.measure.as_str()))
            .collect();
        let pct = row
            .items
            .iter()
            .map(|a| a.percent.unwrap_or_default())
            .collect();
        return chart::horizontal_bars(
            names,
            vec![Line {
                name: tr.t("targets.attainment").to_string(),
                values: pct,
            }],
        );
    }
    let mut rows: Vec<&yingpan_store::AttainmentRow> = report.rows.iter().collect();
    rows.sort_by(|a, b| b.items[0].actual.cmp(&a.items[0].actual));
    rows.truncate(SHOWN_PEOPLE);
    let names = rows.iter().map(|r| r.name.clone()).collect();
    let target = rows
        .iter()
        .map(|r| r.items[0].target.unwrap_or_default())
        .collect();
    let actual = rows.iter().map(|r| r.items[0].actual).collect();
    chart::horizontal_bars(
        names,
        vec![
            Line {
                name: tr.t("targets.figure").to_string(),
                values: target,
            },
            Line {
                name: tr.tp("measure", "revenue"),
                values: actual,
            },
        ],
    )
}

async fn dashboard(
    State(state): State<AppState>,
    me: CurrentUser,
    Query(q): Query<ViewQuery>,
) -> Response {
    let locale = me.locale();
    let result = async {
        let view = View::parse(q.view.as_deref(), me.role())?;
        let d = load(&state, &me, view).await?;
        let tr = me.tr();
        // A dashboard shows the twenty people with the most revenue (and the total); the
        // attainment page lists everyone.
        let mut shown: Vec<&yingpan_store::AttainmentRow> = d.attainment.rows.iter().collect();
        shown.sort_by(|a, b| b.items[0].actual.cmp(&a.items[0].actual));
        shown.truncate(SHOWN_PEOPLE);
        let mut lines: Vec<AttainmentLine> = shown
            .iter()
            .map(|r| AttainmentLine {
                user_id: r.user_id,
                name: r.name.clone(),
                cells: attainment_cells(&tr, &r.items, d.attainment.elapsed_percent),
            })
            .collect();
        if d.attainment.rows.len() != 1 {
            lines.push(AttainmentLine {
                user_id: None,
                name: tr.t("targets.total").to_string(),
                cells: attainment_cells(
                    &tr,
                    &d.attainment.total.items,
                    d.attainment.elapsed_percent,
                ),
            });
        }
        let side_chart = match view {
            View::Week => chart::bars(
                Ageing::ALL
                    .iter()
                    .map(|a| tr.tp("ageing", a.as_str()))
                    .collect(),
                vec![Line {
                    name: tr.t("dashboard.receivables").to_string(),
                    values: d.receivables.iter().map(|r| r.amount).collect(),
                }],
            ),
            View::Month => chart::funnel(
                d.pipeline
                    .iter()
                    .map(|s| (tr.tp("stage", s.stage.as_str()), s.amount))
                    .collect(),
            ),
            _ => String::new(),
        };
        let trend_chart = if d.trend.is_empty() {
            String::new()
        } else {
            chart::trend(
                d.trend.iter().map(|m| m.month.clone()).collect(),
                vec![
                    Line {
                        name: tr.tp("measure", "revenue"),
                        values: d.trend.iter().map(|m| m.revenue).collect(),
                    },
                    Line {
                        name: tr.tp("measure", "collected"),
                        values: d.trend.iter().map(|m| m.collected).collect(),
                    },
                ],
            )
        };
        Ok::<_, AppError>(Page {
            attainment_chart: attainment_chart(&tr, &d.attainment),
            receivable_total: tr.money(yingpan_domain::money::sum(
                d.receivables.iter().map(|r| r.amount),
            )),
            pace: tr.percent(d.attainment.elapsed_percent),
            period_label: d.attainment.period.to_string(),
            views: View::ALL.iter().map(|v| v.as_str()).collect(),
            view: view.as_str(),
            measures: yingpan_domain::target::Measure::ALL
                .iter()
                .map(|m| m.as_str())
                .collect(),
            side_chart,
            trend_chart,
            lines,
            budgets: d.budgets.clone(),
            tr,
            me: &me,
            d,
        })
    }
    .await;
    match result {
        Ok(p) => render(&p, locale),
        Err(e) => e.into_page(locale),
    }
}

pub(crate) fn answers() -> Vec<Answer> {
    vec![answer("get", "/dashboard", api_dashboard)]
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/api/v1/dashboard", get(api_dashboard))
}
