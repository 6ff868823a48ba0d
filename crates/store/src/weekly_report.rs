//! Period reports: the facts of a period loaded in a handful of queries, compiled by the domain
//! (`yingpan_domain::weekly_report`), and the weekly reports kept per supervisor and week.

use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::daily_report::DailyReport;
use yingpan_domain::hierarchy::ReportingLine;
use yingpan_domain::order::{line_margin, order_margin, Ageing, PaymentKind};
use yingpan_domain::person::Role;
use yingpan_domain::target::{target_for, Dimension, Measure, TargetKey, TargetPeriod};
use yingpan_domain::visit_plan::china_offset;
use yingpan_domain::weekly_report::{
    compile, AbnormalCustomer, DailyReportFact, EscalationFact, Facts, Figures, Member, OrderFact,
    PaymentFact, Period, PlanFact, VisitFact, WeeklyReport,
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredWeeklyReport {
    pub id: i64,
    pub supervisor_id: i64,
    pub supervisor_name: Option<String>,
    pub week_start: String,
    pub report: WeeklyReport,
    pub next_week_goals: Option<String>,
    pub compiled_at: String,
    pub version: i64,
}

/// The director's monthly summary: the company and each supervisor's team.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamSummary {
    pub company: WeeklyReport,
    pub teams: Vec<TeamFigures>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TeamFigures {
    pub supervisor_id: i64,
    pub supervisor_name: String,
    pub members: usize,
    #[serde(flatten)]
    pub figures: Figures,
}

fn day_of(stamp: &str) -> Result<NaiveDate> {
    Ok(crate::parse_ts(stamp)?
        .with_timezone(&china_offset())
        .date_naive())
}

/// ` AND <column> IN (<root's subtree>)`, or nothing for the whole company.
pub(crate) fn push_team(sql: &mut Sql, org_id: i64, column: &str, root: Option<i64>) {
    if let Some(root) = root {
        sql.push(&format!(" AND {column} IN "));
        crate::sql::push_subtree(sql, org_id, root);
    }
}

/// `<alias>.<column> >= from AND <alias>.<column> < to AND <alias>.org_id = org` on sortable text.
fn period_sql(select: &str, org_id: i64, alias: &str, column: &str, from: &str, to: &str) -> Sql {
    let col = |c: &str| {
        if alias.is_empty() {
            c.to_string()
        } else {
            format!("{alias}.{c}")
        }
    };
    let mut sql = Sql::new(select);
    sql.push(&format!(" WHERE {} = ", col("org_id")))
        .bind(org_id)
        .push(&format!(" AND {} >= ", col(column)))
        .bind(from.to_string())
        .push(&format!(" AND {} < ", col(column)))
        .bind(to.to_string());
    sql
}

impl Store {
    /// Salespeople below `root` (everyone in the company for `None`), active, by name.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn team_members(&self, org_id: i64, root: Option<i64>) -> Result<Vec<Member>> {
        // Only the team's people: a leaf supervisor's report must not read a thousand users.
        let users = match root {
            Some(root) => self.subtree_users(org_id, root).await?,
            None => self.users(org_id).await?,
        };
        let line = ReportingLine::new(users.iter().map(|u| (u.id, u.superior_id)));
        Ok(sales_members(
            &users,
            root.map(|r| line.subordinates(r)).as_deref(),
        ))
    }

    /// Loads what happened in a period for the people below `root` (or the whole company).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn period_facts(
        &self,
        org_id: i64,
        root: Option<i64>,
        period: Period,
    ) -> Result<Facts> {
        let (_, targets) = self.published_targets(org_id, period).await?;
        self.load_facts(org_id, root, period, true, &targets).await
    }

    /// The facts the figures need, without the report's lists (competitor moves, complaints,
    /// abnormal customers): what attainment and the dashboards read. `targets` are the
    /// published ones the caller loaded (`published_targets`).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn figure_facts(
        &self,
        org_id: i64,
        root: Option<i64>,
        period: Period,
        targets: &std::collections::BTreeMap<TargetKey, rust_decimal::Decimal>,
    ) -> Result<Facts> {
        self.load_facts(org_id, root, period, false, targets).await
    }

    async fn load_facts(
        &self,
        org_id: i64,
        root: Option<i64>,
        period: Period,
        with_lists: bool,
        targets: &std::collections::BTreeMap<TargetKey, rust_decimal::Decimal>,
    ) -> Result<Facts> {
        let (from, to) = period.bounds(china_offset());
        let (from, to) = (ts(from), ts(to));
        let mut facts = Facts::default();
        if with_lists {
            self.load_raw_figures(org_id, root, (&from, &to), &mut facts)
                .await?;
        } else {
            // The figures alone: from the rollups, a few rows per person.
            facts.tallies = self.period_tallies(org_id, root, period).await?;
        }
        self.load_reports_and_targets(org_id, root, period, with_lists, targets, &mut facts)
            .await?;
        Ok(facts)
    }

    /// The period's orders, payments, visits and registrations, row by row: what the reports
    /// count distinct customers from.
    async fn load_raw_figures(
        &self,
        org_id: i64,
        root: Option<i64>,
        (from, to): (&str, &str),
        facts: &mut Facts,
    ) -> Result<()> {
        let (from, to) = (from.to_string(), to.to_string());
        // Each order's margin from its lines (`order::order_margin`).
        let mut sql = period_sql(
            "SELECT l.order_id, l.quantity, l.amount, l.unit_cost FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id",
            org_id,
            "o",
            "created_at",
            &from,
            &to,
        );
        push_team(&mut sql, org_id, "o.owner_id", root);
        let lines: Vec<(i64, String, String, Option<String>)> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &["order_id", "quantity", "amount", "unit_cost"],
            )
            .await?;
        let mut margins: std::collections::HashMap<i64, Vec<Option<rust_decimal::Decimal>>> =
            std::collections::HashMap::new();
        for (order, quantity, amount, cost) in lines {
            let cost = cost.map(|c| dec(&c)).transpose()?;
            margins.entry(order).or_default().push(line_margin(
                dec(&amount)?,
                dec(&quantity)?,
                cost,
            ));
        }
        let mut sql = period_sql(
            "SELECT id, owner_id, customer_id, total, currency FROM orders",
            org_id,
            "",
            "created_at",
            &from,
            &to,
        );
        push_team(&mut sql, org_id, "owner_id", root);
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let id: i64 = r.try_get("id")?;
            facts.orders.push(OrderFact {
                owner_id: r.try_get("owner_id")?,
                customer_id: r.try_get("customer_id")?,
                total: dec(&r.try_get::<String, _>("total")?)?,
                currency: r.try_get("currency")?,
                margin: order_margin(margins.remove(&id).unwrap_or_default()),
            });
        }

        let mut sql = period_sql(
            "SELECT o.owner_id, p.kind, p.amount, o.currency FROM order_payments p JOIN orders o ON o.id = p.order_id AND o.org_id = p.org_id",
            org_id,
            "p",
            "recorded_at",
            &from,
            &to,
        );
        push_team(&mut sql, org_id, "o.owner_id", root);
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let kind: String = r.try_get("kind")?;
            facts.payments.push(PaymentFact {
                owner_id: r.try_get("owner_id")?,
                kind: PaymentKind::parse(&kind).map_err(|_| StoreError::Corrupt(kind))?,
                amount: dec(&r.try_get::<String, _>("amount")?)?,
                currency: r.try_get("currency")?,
            });
        }

        let mut sql = period_sql(
            "SELECT user_id, customer_id, outcome, next_step, customer_ordered FROM activities",
            org_id,
            "",
            "occurred_at",
            &from,
            &to,
        );
        sql.push(" AND kind = 'visit'");
        push_team(&mut sql, org_id, "user_id", root);
        let filled = |s: Option<String>| s.is_some_and(|s| !s.trim().is_empty());
        // A team's week has thousands of visits: packed into one row.
        type VisitRow = (i64, i64, Option<String>, Option<String>, i64);
        let visits: Vec<VisitRow> = sql
            .fetch_packed(
                self.heavy_read(),
                self.backend,
                &[
                    "user_id",
                    "customer_id",
                    "outcome",
                    "next_step",
                    "customer_ordered",
                ],
            )
            .await?;
        for (user_id, customer_id, outcome, next_step, ordered) in visits {
            facts.visits.push(VisitFact {
                user_id,
                customer_id,
                outcome_recorded: filled(outcome),
                next_step_recorded: filled(next_step),
                customer_ordered: ordered != 0,
            });
        }

        let mut sql = period_sql(
            "SELECT created_by, id, dealer FROM customers",
            org_id,
            "",
            "created_at",
            &from,
            &to,
        );
        sql.push(" AND deleted_at IS NULL");
        push_team(&mut sql, org_id, "created_by", root);
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let entry = (r.try_get("created_by")?, r.try_get("id")?);
            if r.try_get::<Option<String>, _>("dealer")?.is_some() {
                facts.new_dealers.push(entry);
            }
            facts.new_customers.push(entry);
        }
        Ok(())
    }

    async fn load_reports_and_targets(
        &self,
        org_id: i64,
        root: Option<i64>,
        period: Period,
        with_lists: bool,
        targets: &std::collections::BTreeMap<TargetKey, rust_decimal::Decimal>,
        facts: &mut Facts,
    ) -> Result<()> {
        let (from, to) = period.bounds(china_offset());
        let (from, to) = (ts(from), ts(to));

        let people: std::collections::BTreeSet<i64> = targets
            .keys()
            .filter(|k| k.measure == Measure::Revenue)
            .filter_map(|k| k.assignee_id)
            .collect();
        for person in people {
            let key = TargetKey {
                measure: Measure::Revenue,
                assignee_id: Some(person),
                period: TargetPeriod::Year(period.start.year()),
                dimension: Dimension::total(),
            };
            if let Some(t) = target_for(targets, &key, period) {
                facts.assigned_targets.insert(person, t);
            }
        }

        let (first, last) = (period.start.to_string(), period.end.to_string());
        let mut sql = period_sql(
            "SELECT user_id, late, content FROM daily_reports",
            org_id,
            "",
            "report_date",
            &first,
            &last,
        );
        push_team(&mut sql, org_id, "user_id", root);
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let content: DailyReport = serde_json::from_str(&r.try_get::<String, _>("content")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            facts.daily_reports.push(DailyReportFact {
                user_id: r.try_get("user_id")?,
                late: r.try_get::<i64, _>("late")? != 0,
                target: content.target_amount,
                competitor_info: content.competitor_info,
            });
        }

        // A plan counts once, by its first revision, which carries the lateness.
        let mut sql = period_sql(
            "SELECT user_id, late FROM visit_plans",
            org_id,
            "",
            "plan_date",
            &first,
            &last,
        );
        sql.push(" AND revision = 1 AND submitted_at IS NOT NULL");
        push_team(&mut sql, org_id, "user_id", root);
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            facts.plans.push(PlanFact {
                user_id: r.try_get("user_id")?,
                late: r.try_get::<i64, _>("late")? != 0,
            });
        }

        if !with_lists {
            return Ok(());
        }
        let mut sql = period_sql(
            "SELECT e.author_id, u.display_name, e.kind, e.subject, e.customer_id, c.name AS customer_name, e.created_at \
             FROM escalations e JOIN users u ON u.id = e.author_id AND u.org_id = e.org_id LEFT JOIN customers c ON c.id = e.customer_id AND c.org_id = e.org_id",
            org_id,
            "e",
            "created_at",
            &from,
            &to,
        );
        push_team(&mut sql, org_id, "e.author_id", root);
        sql.push(" ORDER BY e.created_at, e.id");
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let e = EscalationFact {
                author_id: r.try_get("author_id")?,
                author_name: r.try_get("display_name")?,
                kind: r.try_get("kind")?,
                subject: r.try_get("subject")?,
                customer_name: r.try_get("customer_name")?,
                filed_on: day_of(&r.try_get::<String, _>("created_at")?)?,
            };
            if let (Some(id), Some(name), "complaint") = (
                r.try_get::<Option<i64>, _>("customer_id")?,
                e.customer_name.clone(),
                e.kind.as_str(),
            ) {
                facts.abnormal.push(AbnormalCustomer {
                    customer_id: id,
                    customer_name: name,
                    reason: "complaint".into(),
                    detail: e.subject.clone(),
                    ageing: None,
                });
            }
            facts.escalations.push(e);
        }

        // `CROSS JOIN`: SQLite then always starts from the week's recycle entries of the team
        // (an index on them), whatever its statistics say. With a million customers sampled
        // as a thousand per company it walked every customer instead (2.3 s). PostgreSQL
        // plans the same joins freely.
        let mut sql = period_sql(
            "SELECT oc.customer_id, c.name, u.display_name FROM ownership_changes oc CROSS JOIN customers c \
             LEFT JOIN users u ON u.id = oc.from_user_id AND u.org_id = oc.org_id",
            org_id,
            "oc",
            "changed_at",
            &from,
            &to,
        );
        sql.push(" AND c.id = oc.customer_id AND c.org_id = oc.org_id AND oc.reason = 'recycle'");
        push_team(&mut sql, org_id, "oc.from_user_id", root);
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            facts.abnormal.push(AbnormalCustomer {
                customer_id: r.try_get("customer_id")?,
                customer_name: r.try_get("name")?,
                reason: "recycled".into(),
                detail: r
                    .try_get::<Option<String>, _>("display_name")?
                    .unwrap_or_default(),
                ageing: None,
            });
        }

        // Receivables past due at the end of the period (still unsettled today).
        let last_day = period.end.pred_opt().expect("periods are not empty");
        let mut sql = Sql::new(
            "SELECT o.id, o.customer_id, c.name, o.total, o.paid, o.due_date, o.currency FROM orders o \
             JOIN customers c ON c.id = o.customer_id AND c.org_id = o.org_id WHERE o.org_id = ",
        );
        sql.bind(org_id)
            .push(" AND o.settled = 0 AND o.due_date < ")
            .bind(last_day.to_string());
        push_team(&mut sql, org_id, "o.owner_id", root);
        sql.push(" ORDER BY o.due_date LIMIT 200");
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let due = NaiveDate::parse_from_str(&r.try_get::<String, _>("due_date")?, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let owed =
                dec(&r.try_get::<String, _>("total")?)? - dec(&r.try_get::<String, _>("paid")?)?;
            let id: i64 = r.try_get("id")?;
            facts.abnormal.push(AbnormalCustomer {
                customer_id: r.try_get("customer_id")?,
                customer_name: r.try_get("name")?,
                reason: "overdue".into(),
                detail: format!(
                    "SO-{id:06} {} {} · {}",
                    owed.normalize(),
                    r.try_get::<String, _>("currency")?,
                    due,
                ),
                ageing: Some(Ageing::of(due, last_day).as_str().to_string()),
            });
        }
        Ok(())
    }

    /// One salesperson's own sales and net collections on a (company-time) day, by the weekly
    /// report's definitions: what the daily report is prefilled with.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn day_figures(&self, viewer: &Viewer, day: NaiveDate) -> Result<Figures> {
        let period = Period {
            start: day,
            end: day.succ_opt().expect("a next day"),
        };
        let facts = self
            .period_facts(viewer.org_id, Some(viewer.user_id), period)
            .await?;
        let me = [Member {
            user_id: viewer.user_id,
            name: String::new(),
        }];
        Ok(compile(period, &me, &facts).team)
    }

    /// A team's report for a period, compiled live.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn compile_weekly_figures(
        &self,
        org_id: i64,
        root: Option<i64>,
        period: Period,
    ) -> Result<WeeklyReport> {
        let members = self.team_members(org_id, root).await?;
        let facts = self.period_facts(org_id, root, period).await?;
        Ok(compile(period, &members, &facts))
    }

    /// The director's summary: the company, then each supervisor's team, from one load of facts.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn team_summary(&self, org_id: i64, period: Period) -> Result<TeamSummary> {
        self.summarise_teams(org_id, period, true).await
    }

    async fn summarise_teams(
        &self,
        org_id: i64,
        period: Period,
        with_lists: bool,
    ) -> Result<TeamSummary> {
        let users = self.users(org_id).await?;
        let everyone = sales_members(&users, None);
        let (_, targets) = self.published_targets(org_id, period).await?;
        let facts = self
            .load_facts(org_id, None, period, with_lists, &targets)
            .await?;
        Ok(TeamSummary {
            teams: self.teams_of(org_id, period, &facts).await?,
            company: compile(period, &everyone, &facts),
        })
    }

    /// Each supervisor's team figures from the company's facts of the period.
    pub(crate) async fn teams_of(
        &self,
        org_id: i64,
        period: Period,
        facts: &Facts,
    ) -> Result<Vec<TeamFigures>> {
        let users = self.users(org_id).await?;
        let line = ReportingLine::new(users.iter().map(|u| (u.id, u.superior_id)));
        // Each person's facts once; a team compiles from its members' only, instead of every
        // team scanning the whole company's facts.
        let by_person = facts.by_person(&|_| true);
        Ok(users
            .iter()
            .filter(|u| u.active && u.role == Role::Supervisor)
            .map(|s| {
                let members = sales_members(&users, Some(&line.subordinates(s.id)));
                let mut team = Facts::default();
                for f in members.iter().filter_map(|m| by_person.get(&m.user_id)) {
                    team.absorb(f);
                }
                TeamFigures {
                    supervisor_id: s.id,
                    supervisor_name: s.display_name.clone(),
                    members: members.len(),
                    figures: compile(period, &members, &team).team,
                }
            })
            .collect())
    }

    /// Compiles (or re-compiles, keeping the supervisor's goals) one supervisor's weekly report.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn compile_weekly_report(
        &self,
        org_id: i64,
        supervisor_id: i64,
        week: Period,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let report = self
            .compile_weekly_figures(org_id, Some(supervisor_id), week)
            .await?;
        let json = serde_json::to_string(&report).expect("report serialises");
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO weekly_reports (org_id, supervisor_id, week_start, content, compiled_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5, $5) \
             ON CONFLICT (org_id, supervisor_id, week_start) DO UPDATE SET content = excluded.content, \
             compiled_at = excluded.compiled_at, updated_at = excluded.updated_at, version = weekly_reports.version + 1 \
             RETURNING id",
        )
        .bind(org_id)
        .bind(supervisor_id)
        .bind(week.start.to_string())
        .bind(&json)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        crate::audit::record(
            &mut tx,
            org_id,
            None,
            "weekly_report",
            id,
            "compile",
            &[],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Monday's job: last week's report for every active supervisor who has none yet.
    /// Idempotent, so several servers may run it.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn compile_due_weekly_reports(&self, now: DateTime<Utc>) -> Result<usize> {
        let week = Period::previous_week(now, china_offset());
        let due = sqlx::query(
            "/* across organizations: weekly compilation */ SELECT u.org_id, u.id FROM users u WHERE u.role = 'supervisor' AND u.active = 1 \
             AND NOT EXISTS (SELECT 1 FROM weekly_reports w WHERE w.org_id = u.org_id AND w.supervisor_id = u.id AND w.week_start = $1) \
             ORDER BY u.id",
        )
        .bind(week.start.to_string())
        .fetch_all(self.heavy_read())
        .await?;
        for r in &due {
            self.compile_weekly_report(r.try_get(0)?, r.try_get(1)?, week, now)
                .await?;
        }
        Ok(due.len())
    }

    /// Weekly reports of supervisors in the viewer's scope, newest week first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn weekly_reports(
        &self,
        viewer: &Viewer,
        week_start: Option<NaiveDate>,
        limit: i64,
    ) -> Result<Vec<StoredWeeklyReport>> {
        let mut sql = Sql::new(
            "SELECT w.id, w.supervisor_id, u.display_name, w.week_start, w.content, w.next_week_goals, w.compiled_at, w.version \
             FROM weekly_reports w JOIN users u ON u.id = w.supervisor_id AND u.org_id = w.org_id WHERE",
        );
        push_scope_on(&mut sql, viewer, "w", "supervisor_id");
        if let Some(w) = week_start {
            sql.push(" AND w.week_start = ").bind(w.to_string());
        }
        sql.push(" ORDER BY w.week_start DESC, u.display_name LIMIT ")
            .bind(limit.clamp(1, 500));
        sql.query()
            .fetch_all(self.heavy_read())
            .await?
            .iter()
            .map(weekly_from_row)
            .collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn weekly_report(&self, viewer: &Viewer, id: i64) -> Result<StoredWeeklyReport> {
        let mut sql = Sql::new(
            "SELECT w.id, w.supervisor_id, u.display_name, w.week_start, w.content, w.next_week_goals, w.compiled_at, w.version \
             FROM weekly_reports w JOIN users u ON u.id = w.supervisor_id AND u.org_id = w.org_id WHERE",
        );
        push_scope_on(&mut sql, viewer, "w", "supervisor_id");
        sql.push(" AND w.id = ").bind(id);
        let row = sql
            .query()
            .fetch_optional(self.heavy_read())
            .await?
            .ok_or(StoreError::NotFound)?;
        weekly_from_row(&row)
    }

    /// The supervisor writes next week's goals and plans on their own report.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_weekly_goals(
        &self,
        viewer: &Viewer,
        id: i64,
        goals: &str,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<StoredWeeklyReport> {
        let report = self.weekly_report(viewer, id).await?;
        if report.supervisor_id != viewer.user_id {
            return Err(StoreError::rule(
                "not_the_supervisor",
                "only the supervisor of the team writes next week's goals",
            ));
        }
        if expected_version.is_some_and(|v| v != report.version) {
            return Err(StoreError::VersionConflict {
                current: report.version,
            });
        }
        let goals = yingpan_domain::customer::optional_text("next_week_goals", Some(goals), 5000)?;
        let mut tx = self.write.begin().await?;
        let done = sqlx::query(
            "UPDATE weekly_reports SET next_week_goals = $1, version = version + 1, updated_at = $2 WHERE org_id = $5 AND id = $3 AND version = $4",
        )
        .bind(&goals)
        .bind(ts(now))
        .bind(id)
        .bind(report.version)
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::VersionConflict {
                current: report.version + 1,
            });
        }
        let changes = vec![FieldChange {
            field: "next_week_goals".into(),
            before: report.next_week_goals.clone(),
            after: goals,
        }];
        crate::audit::Audit::by(viewer, now)
            .record(&mut tx, "weekly_report", id, "update", &changes)
            .await?;
        tx.commit().await?;
        self.weekly_report(viewer, id).await
    }

    /// Open receivables in scope with their ageing on `on` (company-time day).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    /// What is still owed on the open orders in the viewer's scope, by ageing on `on`:
    /// (bucket, orders, amount), from the open receivables kept per owner and due date in
    /// integer fen (migration 0066): a company with a hundred thousand open orders reads a few
    /// hundred rows.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn receivables_by_ageing(
        &self,
        viewer: &Viewer,
        on: NaiveDate,
    ) -> Result<Vec<(Ageing, u32, rust_decimal::Decimal)>> {
        // From the open receivables per owner and due date (migration 0066).
        let mut sql = Sql::new(
            "SELECT o.due_date, CAST(SUM(o.n) AS BIGINT) AS n, CAST(SUM(o.fen) AS BIGINT) AS fen FROM ",
        );
        crate::sql::push_counted(
            &mut sql,
            self.backend,
            viewer.org_id,
            "receivables_open",
            "receivables_changes",
            "org_id, owner_id, due_date, n, fen",
            "o",
        );
        sql.push(" WHERE");
        crate::sql::push_scope(&mut sql, viewer, "o");
        sql.push(" GROUP BY o.due_date HAVING SUM(o.n) <> 0");
        let mut buckets: Vec<(Ageing, u32, rust_decimal::Decimal)> = Ageing::ALL
            .iter()
            .map(|a| (*a, 0, rust_decimal::Decimal::ZERO))
            .collect();
        for r in sql.query().fetch_all(self.heavy_read()).await? {
            let due: String = r.try_get("due_date")?;
            let due = NaiveDate::parse_from_str(&due, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let ageing = Ageing::of(due, on);
            if let Some(b) = buckets.iter_mut().find(|b| b.0 == ageing) {
                b.1 += r.try_get::<i64, _>("n")? as u32;
                b.2 =
                    (b.2 + rust_decimal::Decimal::new(r.try_get::<i64, _>("fen")?, 2)).normalize();
            }
        }
        Ok(buckets)
    }

    pub async fn receivables(
        &self,
        viewer: &Viewer,
        owner_id: Option<i64>,
        on: NaiveDate,
    ) -> Result<Vec<(crate::Order, Ageing)>> {
        let orders = self
            .orders(
                viewer,
                &crate::OrderFilter {
                    owner_id,
                    open_only: true,
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        orders
            .into_iter()
            .map(|o| {
                let due = NaiveDate::parse_from_str(&o.due_date, "%Y-%m-%d")
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((o, Ageing::of(due, on)))
            })
            .collect()
    }
}

/// Active salespeople among `users`, limited to `below` when given.
fn sales_members(users: &[crate::User], below: Option<&[i64]>) -> Vec<Member> {
    users
        .iter()
        .filter(|u| u.active && u.role == Role::Sales)
        .filter(|u| below.is_none_or(|b| b.contains(&u.id)))
        .map(|u| Member {
            user_id: u.id,
            name: u.display_name.clone(),
        })
        .collect()
}

fn weekly_from_row(r: &AnyRow) -> Result<StoredWeeklyReport> {
    let content: String = r.try_get("content")?;
    Ok(StoredWeeklyReport {
        id: r.try_get("id")?,
        supervisor_id: r.try_get("supervisor_id")?,
        supervisor_name: r.try_get("display_name")?,
        week_start: r.try_get("week_start")?,
        report: serde_json::from_str(&content).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        next_week_goals: r.try_get("next_week_goals")?,
        compiled_at: r.try_get("compiled_at")?,
        version: r.try_get("version")?,
    })
}
