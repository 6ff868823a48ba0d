//! Targets: the draft plan of a year, its publications, and attainment against the latest one.
//! What adds up, who may set what and how a month's share is found are the domain's
//! (`yingpan_domain::target`); this module keeps the figures and applies the viewer's scope.

use crate::audit::Audit;
use crate::sql::{push_scope_on, Sql};
use crate::{decimal as dec, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, HashMap};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::hierarchy::ReportingLine;
use yingpan_domain::person::Scope;
use yingpan_domain::target::{
    check_breakdown, check_publish, check_setter, elapsed_percent, target_for, Attainment,
    Dimension, Gap, Measure, TargetKey, TargetLine, TargetPeriod, TargetRefusal,
};
use yingpan_domain::weekly_report::{compile, Member, Period};

/// A year's plan as one viewer sees it: the draft lines within their scope and the gaps among
/// them, and where the plan stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetPlan {
    pub year: i32,
    /// 0 until the first line is saved; every save adds one. Saves and publications carry it.
    pub version: i64,
    /// The number of the latest publication (1, 2, …), none before the first.
    pub publication: Option<i64>,
    pub published_at: Option<String>,
    pub published_by_name: Option<String>,
    /// Lines changed since the latest publication (or never published).
    pub unpublished_changes: bool,
    pub lines: Vec<TargetLine>,
    pub gaps: Vec<Gap>,
    /// Names of the people the lines and gaps name.
    pub names: BTreeMap<i64, String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetPublication {
    pub number: i64,
    pub plan_version: i64,
    pub gaps: i64,
    pub accepted_difference: bool,
    pub note: Option<String>,
    pub published_by_name: Option<String>,
    pub published_at: String,
}

/// One person's (or the team's) targets beside what they achieved in a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttainmentRow {
    /// None for the total of everyone shown.
    pub user_id: Option<i64>,
    pub name: String,
    pub items: Vec<Attainment>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttainmentReport {
    pub period: Period,
    /// Working days gone by today, percent: the pace to read the figures against.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub elapsed_percent: Option<Decimal>,
    /// The publication the targets come from (of the period's first year).
    pub publication: Option<i64>,
    pub rows: Vec<AttainmentRow>,
    pub total: AttainmentRow,
    /// Targets set for a product category or a region, against what happened in it (the
    /// person's team: themselves and everyone below; the company for company targets).
    pub parts: Vec<PartAttainment>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PartAttainment {
    /// None for the company.
    pub assignee_id: Option<i64>,
    pub name: String,
    pub dimension: Dimension,
    /// The part in words: the category, the region, or the dealer's name.
    pub part: String,
    pub items: Vec<Attainment>,
}

fn line_from_row(r: &AnyRow, year: i32) -> Result<TargetLine> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let measure: String = r.try_get("measure")?;
    let period: String = r.try_get("period")?;
    let (kind, value): (String, String) = (r.try_get("dim_kind")?, r.try_get("dim_value")?);
    let assignee: i64 = r.try_get("assignee_id")?;
    Ok(TargetLine {
        key: TargetKey {
            measure: Measure::parse(&measure).map_err(|_| corrupt(measure))?,
            assignee_id: (assignee != 0).then_some(assignee),
            period: TargetPeriod::parse(&period, year).map_err(|_| corrupt(period))?,
            dimension: Dimension::from_parts(&kind, &value).ok_or(corrupt(kind))?,
        },
        amount: dec(&r.try_get::<String, _>("amount")?)?,
    })
}

/// How a line reads on the audit trail: measure · person · period · part.
fn label(key: &TargetKey, names: &HashMap<i64, String>) -> String {
    let who = match key.assignee_id {
        None => "company".to_string(),
        Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
    };
    let mut out = format!("{} · {who} · {}", key.measure.as_str(), key.period);
    if !key.dimension.value.is_empty() {
        out.push_str(&format!(
            " · {}: {}",
            key.dimension.kind.as_str(),
            key.dimension.value
        ));
    }
    out
}

const LINE_COLUMNS: &str = "measure, assignee_id, period, dim_kind, dim_value, amount";

async fn plan_row(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    year: i32,
) -> Result<Option<(i64, i64, Option<i64>, i64)>> {
    let row = sqlx::query(
        "SELECT id, version, published_plan_version, publications FROM target_plans WHERE org_id = $1 AND year = $2",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            r.try_get("version")?,
            r.try_get("published_plan_version")?,
            r.try_get("publications")?,
        ))
    })
    .transpose()
}

async fn all_lines(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    plan_id: i64,
    year: i32,
) -> Result<Vec<TargetLine>> {
    let rows = sqlx::query(&format!(
        "SELECT {LINE_COLUMNS} FROM target_lines WHERE org_id = $1 AND plan_id = $2"
    ))
    .bind(org_id)
    .bind(plan_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter().map(|r| line_from_row(r, year)).collect()
}

impl Store {
    /// Live dealers among the viewer's customers, by name: (id, name).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn dealers_in_scope(
        &self,
        viewer: &Viewer,
        limit: i64,
    ) -> Result<Vec<(i64, String)>> {
        let mut sql = Sql::new("SELECT c.id, c.name FROM customers c WHERE");
        crate::sql::push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.deleted_at IS NULL AND c.dealer IS NOT NULL ORDER BY c.name, c.id LIMIT ")
            .bind(limit.clamp(1, 5000));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    async fn reporting_line(&self, org_id: i64) -> Result<(ReportingLine, HashMap<i64, String>)> {
        let users = self.users(org_id).await?;
        let line = ReportingLine::new(users.iter().map(|u| (u.id, u.superior_id)));
        let names = users.into_iter().map(|u| (u.id, u.display_name)).collect();
        Ok((line, names))
    }

    /// The viewer's part of a year's plan: lines for the people in their scope (and the
    /// company's for those who see the whole company), with the gaps among them.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn target_plan(&self, viewer: &Viewer, year: i32) -> Result<TargetPlan> {
        let mut tx = self.read.begin().await?;
        let Some((plan_id, version, published, _)) = plan_row(&mut tx, viewer.org_id, year).await?
        else {
            return Ok(TargetPlan {
                year,
                version: 0,
                publication: None,
                published_at: None,
                published_by_name: None,
                unpublished_changes: false,
                lines: Vec::new(),
                gaps: Vec::new(),
                names: BTreeMap::new(),
            });
        };
        let mut sql = Sql::new(&format!("SELECT {LINE_COLUMNS} FROM target_lines t WHERE"));
        push_scope_on(&mut sql, viewer, "t", "assignee_id");
        sql.push(" AND t.plan_id = ").bind(plan_id);
        sql.push(" ORDER BY t.measure, t.dim_kind, t.dim_value, t.assignee_id, t.period");
        let lines = sql
            .query()
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| line_from_row(r, year))
            .collect::<Result<Vec<_>>>()?;
        // Whether a figure adds up depends on figures the viewer may not see (the parts of a
        // supervisor's target, the company's): the check runs on the whole plan, and only the
        // gaps of the viewer's own lines are shown.
        let everything = all_lines(&mut tx, viewer.org_id, plan_id, year).await?;
        let (reporting, names) = self.reporting_line(viewer.org_id).await?;
        let visible: std::collections::BTreeSet<&TargetKey> =
            lines.iter().map(|l| &l.key).collect();
        let gaps: Vec<Gap> = check_breakdown(&everything, &reporting)
            .into_iter()
            .filter(|g| visible.contains(&g.key))
            .collect();
        let last = sqlx::query(
            "SELECT p.number, p.published_at, u.display_name FROM target_publications p \
             LEFT JOIN users u ON u.id = p.published_by AND u.org_id = p.org_id WHERE p.org_id = $1 AND p.plan_id = $2 \
             ORDER BY p.number DESC LIMIT 1",
        )
        .bind(viewer.org_id)
        .bind(plan_id)
        .fetch_optional(&mut *tx)
        .await?;
        let named: BTreeMap<i64, String> = lines
            .iter()
            .filter_map(|l| l.key.assignee_id)
            .filter_map(|id| names.get(&id).map(|n| (id, n.clone())))
            .collect();
        Ok(TargetPlan {
            year,
            version,
            publication: last.as_ref().map(|r| r.try_get("number")).transpose()?,
            published_at: last
                .as_ref()
                .map(|r| r.try_get("published_at"))
                .transpose()?,
            published_by_name: last
                .as_ref()
                .map(|r| r.try_get::<Option<String>, _>("display_name"))
                .transpose()?
                .flatten(),
            unpublished_changes: published != Some(version),
            lines,
            gaps,
            names: named,
        })
    }

    /// Saves figures (`None` removes one) into the year's draft, all or nothing: each must be
    /// for someone the viewer may set targets for, and `version` must be the plan's (0 for a
    /// year without a plan yet).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn save_target_lines(
        &self,
        viewer: &Viewer,
        year: i32,
        version: i64,
        changes: &[(TargetKey, Option<Decimal>)],
        now: DateTime<Utc>,
    ) -> Result<TargetPlan> {
        let (reporting, names) = self.reporting_line(viewer.org_id).await?;
        let below = reporting.subordinates(viewer.user_id);
        let sets_company = yingpan_domain::permission::sets_every_target(viewer.role);
        for (key, _) in changes {
            if let Some(id) = key.assignee_id {
                if !names.contains_key(&id) {
                    return Err(yingpan_domain::ValidationError::new(
                        "assignee_id",
                        "unknown_person",
                        format!("no person #{id} in this organization"),
                    )
                    .into());
                }
            }
            check_setter(sets_company, &|p| below.contains(&p), key.assignee_id)?;
        }
        let mut tx = self.write.begin().await?;
        for (key, _) in changes {
            if key.dimension.kind == yingpan_domain::target::DimensionKind::Dealer {
                let id: i64 = key.dimension.value.parse().unwrap_or(0);
                let mut sql = Sql::new("SELECT COUNT(*) FROM customers c WHERE");
                crate::sql::push_scope(&mut sql, viewer, "c");
                sql.push(" AND c.deleted_at IS NULL AND c.dealer IS NOT NULL AND c.id = ")
                    .bind(id);
                let n: i64 = sql.query().fetch_one(&mut *tx).await?.try_get(0)?;
                if n == 0 {
                    return Err(yingpan_domain::ValidationError::new(
                        "dealer_id",
                        "unknown_dealer",
                        format!("no dealer #{id} among your customers"),
                    )
                    .into());
                }
            }
        }
        let plan_id = match plan_row(&mut tx, viewer.org_id, year).await? {
            Some((id, current, _, _)) if current == version => id,
            Some((_, current, _, _)) => return Err(StoreError::VersionConflict { current }),
            None if version == 0 => sqlx::query(
                "INSERT INTO target_plans (org_id, year, version, created_at, updated_at) \
                 VALUES ($1, $2, 0, $3, $3) RETURNING id",
            )
            .bind(viewer.org_id)
            .bind(i64::from(year))
            .bind(ts(now))
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?
            .try_get(0)?,
            None => return Err(StoreError::VersionConflict { current: 0 }),
        };
        let mut audit = Vec::new();
        for (key, amount) in changes {
            let bind_key = |sql: &'static str| {
                sqlx::query(sql)
                    .bind(viewer.org_id)
                    .bind(plan_id)
                    .bind(key.measure.as_str())
                    .bind(key.assignee_id.unwrap_or(0))
                    .bind(key.period.to_string())
                    .bind(key.dimension.kind.as_str())
                    .bind(key.dimension.value.clone())
            };
            let before: Option<String> = bind_key(
                "SELECT amount FROM target_lines WHERE org_id = $1 AND plan_id = $2 AND measure = $3 \
                 AND assignee_id = $4 AND period = $5 AND dim_kind = $6 AND dim_value = $7",
            )
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            let after = amount.map(|a| a.normalize().to_string());
            if before == after {
                continue;
            }
            bind_key(
                "DELETE FROM target_lines WHERE org_id = $1 AND plan_id = $2 AND measure = $3 \
                 AND assignee_id = $4 AND period = $5 AND dim_kind = $6 AND dim_value = $7",
            )
            .execute(&mut *tx)
            .await?;
            if let Some(a) = &after {
                bind_key(
                    "INSERT INTO target_lines (org_id, plan_id, measure, assignee_id, period, dim_kind, dim_value, amount) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(a.clone())
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            }
            audit.push(FieldChange {
                field: label(key, &names),
                before,
                after,
            });
        }
        if !audit.is_empty() {
            sqlx::query(
                "UPDATE target_plans SET version = version + 1, updated_at = $1 WHERE org_id = $2 AND id = $3",
            )
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(plan_id)
            .execute(&mut *tx)
            .await?;
            Audit::by(viewer, now)
                .record(&mut tx, "target_plan", plan_id, "update", &audit)
                .await?;
        }
        tx.commit().await?;
        self.target_plan(viewer, year).await
    }

    /// Publishes the year's draft as the targets attainment is measured against: refused while
    /// the breakdown has gaps unless `accept_difference`, and when nothing changed.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn publish_targets(
        &self,
        viewer: &Viewer,
        year: i32,
        version: i64,
        accept_difference: bool,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TargetPublication> {
        let (reporting, _) = self.reporting_line(viewer.org_id).await?;
        let mut tx = self.write.begin().await?;
        let Some((plan_id, current, published, count)) =
            plan_row(&mut tx, viewer.org_id, year).await?
        else {
            return Err(TargetRefusal::NothingToPublish.into());
        };
        if current != version {
            return Err(StoreError::VersionConflict { current });
        }
        if published == Some(current) {
            return Err(TargetRefusal::NothingToPublish.into());
        }
        let lines = all_lines(&mut tx, viewer.org_id, plan_id, year).await?;
        let gaps = check_breakdown(&lines, &reporting);
        check_publish(&gaps, accept_difference)?;
        let number = count + 1;
        let publication_id: i64 = sqlx::query(
            "INSERT INTO target_publications (org_id, plan_id, number, plan_version, gaps, accepted_difference, note, published_by, published_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(plan_id)
        .bind(number)
        .bind(current)
        .bind(gaps.len() as i64)
        .bind(i64::from(accept_difference && !gaps.is_empty()))
        .bind(note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_string))
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO published_target_lines (org_id, publication_id, measure, assignee_id, period, dim_kind, dim_value, amount) \
             SELECT org_id, $1, measure, assignee_id, period, dim_kind, dim_value, amount FROM target_lines \
             WHERE org_id = $2 AND plan_id = $3",
        )
        .bind(publication_id)
        .bind(viewer.org_id)
        .bind(plan_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE target_plans SET published_plan_version = $1, publications = $2, updated_at = $3 \
             WHERE org_id = $4 AND id = $5",
        )
        .bind(current)
        .bind(number)
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(plan_id)
        .execute(&mut *tx)
        .await?;
        let change = |field: &str, after: String| FieldChange {
            field: field.into(),
            before: None,
            after: Some(after),
        };
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "target_plan",
                plan_id,
                "publish",
                &[
                    change("publication", number.to_string()),
                    change("gaps", gaps.len().to_string()),
                    change(
                        "accepted_difference",
                        (accept_difference && !gaps.is_empty()).to_string(),
                    ),
                ],
            )
            .await?;
        tx.commit().await?;
        self.target_publications(viewer.org_id, year)
            .await?
            .into_iter()
            .find(|p| p.number == number)
            .ok_or(StoreError::NotFound)
    }

    /// Every publication of a year, newest first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn target_publications(
        &self,
        org_id: i64,
        year: i32,
    ) -> Result<Vec<TargetPublication>> {
        let rows = sqlx::query(
            "SELECT p.number, p.plan_version, p.gaps, p.accepted_difference, p.note, p.published_at, u.display_name \
             FROM target_publications p JOIN target_plans t ON t.id = p.plan_id AND t.org_id = p.org_id LEFT JOIN users u ON u.id = p.published_by AND u.org_id = p.org_id \
             WHERE p.org_id = $1 AND t.year = $2 ORDER BY p.number DESC",
        )
        .bind(org_id)
        .bind(i64::from(year))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TargetPublication {
                    number: r.try_get("number")?,
                    plan_version: r.try_get("plan_version")?,
                    gaps: r.try_get("gaps")?,
                    accepted_difference: r.try_get::<i64, _>("accepted_difference")? != 0,
                    note: r.try_get("note")?,
                    published_by_name: r.try_get("display_name")?,
                    published_at: r.try_get("published_at")?,
                })
            })
            .collect()
    }

    /// The latest published figures of the years `period` touches (for everyone: the caller
    /// picks the people), and the number of the first year's publication.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn published_targets(
        &self,
        org_id: i64,
        period: Period,
    ) -> Result<(Option<i64>, BTreeMap<TargetKey, Decimal>)> {
        let last = period.end.pred_opt().unwrap_or(period.end);
        let mut out = BTreeMap::new();
        let mut first = None;
        for year in period.start.year()..=last.year() {
            let row = sqlx::query(
                "SELECT p.id, p.number FROM target_publications p JOIN target_plans t ON t.id = p.plan_id AND t.org_id = p.org_id \
                 WHERE p.org_id = $1 AND t.year = $2 ORDER BY p.number DESC LIMIT 1",
            )
            .bind(org_id)
            .bind(i64::from(year))
            .fetch_optional(&self.read)
            .await?;
            let Some(row) = row else { continue };
            let id: i64 = row.try_get("id")?;
            if year == period.start.year() {
                first = Some(row.try_get("number")?);
            }
            let rows = sqlx::query(&format!(
                "SELECT {LINE_COLUMNS} FROM published_target_lines WHERE org_id = $1 AND publication_id = $2"
            ))
            .bind(org_id)
            .bind(id)
            .fetch_all(&self.read)
            .await?;
            for r in &rows {
                let l = line_from_row(r, year)?;
                out.insert(l.key, l.amount);
            }
        }
        Ok((first, out))
    }

    /// Targets against achievement over `period` for each salesperson in the viewer's scope and
    /// for all of them together (whose target is the viewer's own — the company's for those
    /// who see it all — or else the sum of the people's).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn attainment(
        &self,
        viewer: &Viewer,
        period: Period,
        today: NaiveDate,
    ) -> Result<AttainmentReport> {
        let (root, members) = match viewer.scope {
            Scope::All => (None, self.team_members(viewer.org_id, None).await?),
            Scope::Subtree => (
                Some(viewer.user_id),
                self.team_members(viewer.org_id, Some(viewer.user_id))
                    .await?,
            ),
            Scope::Own => {
                let me = self.user(viewer.org_id, viewer.user_id).await?;
                (
                    Some(viewer.user_id),
                    vec![Member {
                        user_id: me.id,
                        name: me.display_name,
                    }],
                )
            }
        };
        let targets = self.published_targets(viewer.org_id, period).await?;
        let facts = self
            .figure_facts(viewer.org_id, root, period, &targets.1)
            .await?;
        self.attainment_of(viewer, period, today, &members, &facts, targets)
            .await
    }

    /// The director's month: attainment and the teams compared, from one load of the facts.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn attainment_and_teams(
        &self,
        viewer: &Viewer,
        period: Period,
        today: NaiveDate,
    ) -> Result<(AttainmentReport, Vec<crate::TeamFigures>)> {
        if viewer.scope != Scope::All {
            return Ok((self.attainment(viewer, period, today).await?, Vec::new()));
        }
        let members = self.team_members(viewer.org_id, None).await?;
        let targets = self.published_targets(viewer.org_id, period).await?;
        let facts = self
            .figure_facts(viewer.org_id, None, period, &targets.1)
            .await?;
        let teams = self.teams_of(viewer.org_id, period, &facts).await?;
        let report = self
            .attainment_of(viewer, period, today, &members, &facts, targets)
            .await?;
        Ok((report, teams))
    }

    async fn attainment_of(
        &self,
        viewer: &Viewer,
        period: Period,
        today: NaiveDate,
        members: &[Member],
        facts: &yingpan_domain::weekly_report::Facts,
        (publication, lines): (Option<i64>, BTreeMap<TargetKey, Decimal>),
    ) -> Result<AttainmentReport> {
        let report = compile(period, members, facts);
        let target = |who: Option<i64>, measure: Measure| {
            target_for(
                &lines,
                &TargetKey {
                    measure,
                    assignee_id: who,
                    period: TargetPeriod::Year(period.start.year()),
                    dimension: Dimension::total(),
                },
                period,
            )
        };
        let rows: Vec<AttainmentRow> = report
            .members
            .iter()
            .map(|m| AttainmentRow {
                user_id: Some(m.user_id),
                name: m.name.clone(),
                items: Measure::ALL
                    .into_iter()
                    .map(|measure| {
                        Attainment::new(
                            measure,
                            target(Some(m.user_id), measure),
                            yingpan_domain::target::actual(&m.figures, measure),
                        )
                    })
                    .collect(),
            })
            .collect();
        let own = match viewer.scope {
            Scope::All => None,
            _ => Some(viewer.user_id),
        };
        let total = AttainmentRow {
            user_id: None,
            name: String::new(),
            items: Measure::ALL
                .into_iter()
                .enumerate()
                .map(|(i, measure)| {
                    let summed = rows
                        .iter()
                        .filter_map(|r| r.items[i].target)
                        .reduce(|a, b| a.saturating_add(b));
                    Attainment::new(
                        measure,
                        target(own, measure).or(summed),
                        yingpan_domain::target::actual(&report.team, measure),
                    )
                })
                .collect(),
        };
        let parts = self.part_attainment(viewer, period, &lines).await?;
        Ok(AttainmentReport {
            period,
            elapsed_percent: elapsed_percent(period, today),
            publication,
            rows,
            total,
            parts,
        })
    }

    /// Attainment of the targets set for a category or a region, for the people in scope (and
    /// the company for those who see it all).
    async fn part_attainment(
        &self,
        viewer: &Viewer,
        period: Period,
        lines: &BTreeMap<TargetKey, Decimal>,
    ) -> Result<Vec<PartAttainment>> {
        use yingpan_domain::statistics::Dimension as By;
        use yingpan_domain::target::DimensionKind;
        let users = self.people_in_scope(viewer).await?;
        let names: HashMap<i64, String> =
            users.into_iter().map(|u| (u.id, u.display_name)).collect();
        let visible = |a: Option<i64>| match a {
            None => viewer.scope == Scope::All,
            Some(id) => names.contains_key(&id),
        };
        // (assignee, part) → the measures targeted for it.
        let mut wanted: BTreeMap<(Option<i64>, Dimension), Vec<Measure>> = BTreeMap::new();
        for key in lines.keys() {
            if key.dimension.kind != DimensionKind::Total && visible(key.assignee_id) {
                let list = wanted
                    .entry((key.assignee_id, key.dimension.clone()))
                    .or_default();
                if !list.contains(&key.measure) {
                    list.push(key.measure);
                }
            }
        }
        let mut out = Vec::new();
        let mut cache: HashMap<(Option<i64>, DimensionKind, bool), Vec<crate::StatisticsRow>> =
            HashMap::new();
        for ((assignee, dimension), measures) in wanted {
            let mut items = Vec::new();
            if dimension.kind == DimensionKind::Dealer {
                let dealer: i64 = dimension.value.parse().unwrap_or(0);
                let (name, revenue, margin, collected) =
                    self.dealer_figures(viewer, dealer, period).await?;
                for measure in measures {
                    let actual = match measure {
                        Measure::GrossMargin => margin,
                        Measure::Collected => collected,
                        _ => revenue,
                    };
                    let key = TargetKey {
                        measure,
                        assignee_id: assignee,
                        period: TargetPeriod::Year(period.start.year()),
                        dimension: dimension.clone(),
                    };
                    items.push(Attainment::new(
                        measure,
                        target_for(lines, &key, period),
                        actual,
                    ));
                }
                out.push(PartAttainment {
                    assignee_id: assignee,
                    name: assignee
                        .and_then(|a| names.get(&a).cloned())
                        .unwrap_or_default(),
                    part: name,
                    dimension,
                    items,
                });
                continue;
            }
            for measure in measures {
                let dealers = measure == Measure::NewDealers;
                let by = if dimension.kind == DimensionKind::Category {
                    By::Category
                } else {
                    By::Region
                };
                let cache_key = (assignee, dimension.kind, dealers);
                if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(cache_key) {
                    let filter = crate::StatisticsFilter {
                        team_id: assignee,
                        dealer: dealers.then_some(true),
                        ..Default::default()
                    };
                    slot.insert(self.statistics(viewer, period, by, &filter).await?.rows);
                }
                let row = cache[&cache_key].iter().find(|r| r.key == dimension.value);
                let f = row.map(|r| r.figures.clone()).unwrap_or_default();
                let actual = match measure {
                    Measure::Revenue => f.sales,
                    Measure::GrossMargin => f.gross_margin,
                    Measure::Collected => f.collected,
                    Measure::NewCustomers | Measure::NewDealers => Decimal::from(f.new_customers),
                    Measure::EffectiveVisits => Decimal::ZERO,
                };
                let key = TargetKey {
                    measure,
                    assignee_id: assignee,
                    period: TargetPeriod::Year(period.start.year()),
                    dimension: dimension.clone(),
                };
                items.push(Attainment::new(
                    measure,
                    target_for(lines, &key, period),
                    actual,
                ));
            }
            out.push(PartAttainment {
                assignee_id: assignee,
                name: assignee
                    .and_then(|a| names.get(&a).cloned())
                    .unwrap_or_default(),
                part: dimension.value.clone(),
                dimension,
                items,
            });
        }
        Ok(out)
    }

    /// A dealer's name and purchases over `period`: orders (revenue and margin) and money paid
    /// on them, whoever owns it; nothing for a dealer outside the viewer's scope.
    async fn dealer_figures(
        &self,
        viewer: &Viewer,
        dealer: i64,
        period: Period,
    ) -> Result<(String, Decimal, Decimal, Decimal)> {
        let mut sql = Sql::new("SELECT c.name FROM customers c WHERE");
        crate::sql::push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.id = ").bind(dealer);
        let Some(row) = sql.query().fetch_optional(&self.read).await? else {
            return Ok((String::new(), Decimal::ZERO, Decimal::ZERO, Decimal::ZERO));
        };
        let name: String = row.try_get(0)?;
        let (from, to) = period.bounds(yingpan_domain::visit_plan::china_offset());
        let lines: Vec<(String, String, Option<String>)> = {
            let mut sql = Sql::new(
                "SELECT l.amount, l.quantity, l.unit_cost FROM order_lines l JOIN orders o ON o.id = l.order_id AND o.org_id = l.org_id WHERE o.org_id = ",
            );
            sql.bind(viewer.org_id)
                .push(" AND o.customer_id = ")
                .bind(dealer)
                .push(" AND o.currency = 'CNY' AND o.created_at >= ")
                .bind(ts(from))
                .push(" AND o.created_at < ")
                .bind(ts(to));
            sql.fetch_packed(
                &self.read,
                self.backend,
                &["amount", "quantity", "unit_cost"],
            )
            .await?
        };
        let (mut revenue, mut margin) = (Decimal::ZERO, Decimal::ZERO);
        for (amount, qty, cost) in lines {
            let amount = dec(&amount)?;
            revenue = revenue.saturating_add(amount);
            let cost = cost.map(|c| dec(&c)).transpose()?;
            if let Some(m) = yingpan_domain::order::line_margin(amount, dec(&qty)?, cost) {
                margin = margin.saturating_add(m);
            }
        }
        let mut sql = Sql::new(
            "SELECT p.kind, p.amount FROM order_payments p JOIN orders o ON o.id = p.order_id AND o.org_id = p.org_id WHERE o.org_id = ",
        );
        sql.bind(viewer.org_id)
            .push(" AND o.customer_id = ")
            .bind(dealer)
            .push(" AND o.currency = 'CNY' AND p.recorded_at >= ")
            .bind(ts(from))
            .push(" AND p.recorded_at < ")
            .bind(ts(to));
        let pays: Vec<(String, String)> = sql
            .fetch_packed(&self.read, self.backend, &["kind", "amount"])
            .await?;
        let mut collected = Decimal::ZERO;
        for (kind, amount) in pays {
            collected = collected.saturating_add(crate::signed_payment(&kind, &amount)?);
        }
        Ok((name, revenue, margin, collected))
    }
}
