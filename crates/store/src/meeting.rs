//! Sales meetings (`domain::meeting`): held by a superior for their direct reports; reached
//! by the organizer, the members and everyone above the organizer; the period's figures read
//! from the records each time the meeting is read.

use crate::audit::Audit;
use crate::sql::{push_in_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::meeting::{
    check_attendance, check_edit, period_instants, Attendance, Kind, MeetingRefusal,
};
use yingpan_domain::order::PaymentKind;
use yingpan_domain::task::TaskFields;
use yingpan_domain::Refusal;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Meeting {
    pub id: i64,
    pub organizer_id: i64,
    pub organizer_name: Option<String>,
    pub kind: String,
    pub held_on: String,
    /// The days it reviews (first, last).
    pub period: (String, String),
    pub minutes: String,
    pub closed_at: Option<String>,
    pub version: i64,
    pub created_at: String,
}

/// One member: attendance and the period's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingMember {
    pub user_id: i64,
    pub name: String,
    pub attendance: String,
    pub note: String,
    /// A daily report of the period exists (it may stand in for attendance).
    pub has_report: bool,
    pub visits: i64,
    pub orders: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub order_total: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub collected: Decimal,
    pub escalations: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub members: Vec<MeetingMember>,
    /// The decisions given as tasks: (task id, assignee, title, status).
    pub decisions: Vec<(i64, String, String, String)>,
}

const COLUMNS: &str =
    "m.id, m.organizer_id, u.display_name AS organizer_name, m.kind, m.held_on, m.minutes, \
    m.closed_at, m.version, m.created_at";
const FROM: &str =
    " FROM meetings m LEFT JOIN users u ON u.id = m.organizer_id AND u.org_id = m.org_id WHERE";

fn kind_of(raw: &str) -> Result<Kind> {
    Kind::parse(raw).map_err(|_| StoreError::Corrupt(format!("meeting kind {raw:?}")))
}

fn from_row(r: &AnyRow) -> Result<Meeting> {
    let kind: String = r.try_get("kind")?;
    let held_on: String = r.try_get("held_on")?;
    let (first, last) = kind_of(&kind)?.period(crate::parse_day(&held_on)?);
    Ok(Meeting {
        id: r.try_get("id")?,
        organizer_id: r.try_get("organizer_id")?,
        organizer_name: r.try_get("organizer_name")?,
        kind,
        held_on,
        period: (first.to_string(), last.to_string()),
        minutes: r.try_get("minutes")?,
        closed_at: r.try_get("closed_at")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Meetings the viewer reaches: organized by them or anyone in their scope, or attended.
fn push_reach(sql: &mut Sql, viewer: &Viewer) {
    sql.push(" m.org_id = ")
        .bind(viewer.org_id)
        .push(" AND (m.organizer_id = ")
        .bind(viewer.user_id)
        .push(" OR EXISTS (SELECT 1 FROM meeting_attendance a WHERE a.org_id = m.org_id AND a.meeting_id = m.id AND a.user_id = ")
        .bind(viewer.user_id)
        .push(") OR");
    push_in_scope(sql, viewer, "m.organizer_id");
    sql.push(")");
}

async fn load(conn: &mut sqlx::AnyConnection, viewer: &Viewer, id: i64) -> Result<Meeting> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
    push_reach(&mut sql, viewer);
    sql.push(" AND m.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

async fn members(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    m: &Meeting,
) -> Result<Vec<MeetingMember>> {
    let rows = sqlx::query(
        "SELECT a.user_id, u.display_name, a.status, a.note FROM meeting_attendance a JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id \
         WHERE a.org_id = $1 AND a.meeting_id = $2 ORDER BY u.display_name",
    )
    .bind(org_id)
    .bind(m.id)
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("user_id"))
        .collect::<std::result::Result<_, _>>()?;
    let first = crate::parse_day(&m.period.0)?;
    let last = crate::parse_day(&m.period.1)?;
    let (from, to) = period_instants(first, last);
    let (from, to) = (ts(from), ts(to));
    let mut visits: HashMap<i64, i64> = HashMap::new();
    let mut orders: HashMap<i64, (i64, Decimal)> = HashMap::new();
    let mut collected: HashMap<i64, Decimal> = HashMap::new();
    let mut escalations: HashMap<i64, i64> = HashMap::new();
    let mut reports: HashMap<i64, bool> = HashMap::new();
    // Each figure in its own query keeps them simple and index-friendly.
    if !ids.is_empty() {
        let in_list = |sql: &mut Sql, column: &str| {
            sql.push(&format!(" AND {column} IN ")).bind_list(&ids);
        };
        let mut sql = Sql::new("SELECT user_id, COUNT(*) FROM activities WHERE org_id = ");
        sql.bind(org_id)
            .push(" AND kind = 'visit' AND occurred_at >= ")
            .bind(from.clone())
            .push(" AND occurred_at < ")
            .bind(to.clone());
        in_list(&mut sql, "user_id");
        sql.push(" GROUP BY user_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            visits.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let mut sql = Sql::new("SELECT owner_id, total FROM orders WHERE org_id = ");
        sql.bind(org_id)
            .push(" AND created_at >= ")
            .bind(from.clone())
            .push(" AND created_at < ")
            .bind(to.clone());
        in_list(&mut sql, "owner_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let e = orders.entry(r.try_get(0)?).or_insert((0, Decimal::ZERO));
            e.0 += 1;
            e.1 += r
                .try_get::<String, _>(1)?
                .parse::<Decimal>()
                .map_err(|e| StoreError::Corrupt(format!("order total: {e}")))?;
        }
        let mut sql = Sql::new(
            "SELECT o.owner_id, p.kind, p.amount FROM order_payments p JOIN orders o ON o.id = p.order_id AND o.org_id = p.org_id WHERE p.org_id = ",
        );
        sql.bind(org_id)
            .push(" AND p.recorded_at >= ")
            .bind(from.clone())
            .push(" AND p.recorded_at < ")
            .bind(to.clone());
        in_list(&mut sql, "o.owner_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            let kind: String = r.try_get(1)?;
            let amount: Decimal = r
                .try_get::<String, _>(2)?
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("payment amount: {e}")))?;
            let signed = PaymentKind::parse(&kind)
                .map_err(|_| StoreError::Corrupt(format!("payment kind {kind:?}")))?
                .signed(amount);
            *collected.entry(r.try_get(0)?).or_insert(Decimal::ZERO) += signed;
        }
        let mut sql = Sql::new("SELECT author_id, COUNT(*) FROM escalations WHERE org_id = ");
        sql.bind(org_id)
            .push(" AND created_at >= ")
            .bind(from.clone())
            .push(" AND created_at < ")
            .bind(to.clone());
        in_list(&mut sql, "author_id");
        sql.push(" GROUP BY author_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            escalations.insert(r.try_get(0)?, r.try_get(1)?);
        }
        let mut sql = Sql::new("SELECT DISTINCT user_id FROM daily_reports WHERE org_id = ");
        sql.bind(org_id)
            .push(" AND report_date >= ")
            .bind(m.period.0.clone())
            .push(" AND report_date <= ")
            .bind(m.period.1.clone());
        in_list(&mut sql, "user_id");
        for r in sql.query().fetch_all(&mut *conn).await? {
            reports.insert(r.try_get(0)?, true);
        }
    }
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("user_id")?;
            let (n, total) = orders.get(&id).copied().unwrap_or((0, Decimal::ZERO));
            Ok(MeetingMember {
                user_id: id,
                name: r.try_get("display_name")?,
                attendance: r.try_get("status")?,
                note: r.try_get("note")?,
                has_report: reports.contains_key(&id),
                visits: visits.get(&id).copied().unwrap_or(0),
                orders: n,
                order_total: total,
                collected: collected.get(&id).copied().unwrap_or(Decimal::ZERO),
                escalations: escalations.get(&id).copied().unwrap_or(0),
            })
        })
        .collect()
}

async fn touch(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    m: &Meeting,
    closed: Option<&str>,
    at: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE meetings SET version = version + 1, updated_at = $1, closed_at = COALESCE($2, closed_at) \
         WHERE org_id = $5 AND id = $3 AND version = $4",
    )
    .bind(at)
    .bind(closed)
    .bind(m.id)
    .bind(m.version)
    .bind(org_id)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::VersionConflict {
            current: m.version + 1,
        });
    }
    Ok(())
}

fn change(field: &str, before: Option<String>, after: Option<String>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before,
        after,
    }
}

impl Store {
    /// Calls a meeting of the viewer's direct reports (all present until marked otherwise).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_meeting(
        &self,
        viewer: &Viewer,
        kind: Kind,
        held_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<MeetingDetail> {
        let mut tx = self.write.begin().await?;
        let team: Vec<i64> = sqlx::query(
            "SELECT id FROM users WHERE org_id = $1 AND superior_id = $2 AND active = 1",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        if team.is_empty() {
            return Err(Refusal::from(MeetingRefusal::NoTeam).into());
        }
        let at = ts(now);
        let id: i64 = sqlx::query(
            "INSERT INTO meetings (org_id, organizer_id, kind, held_on, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(kind.as_str())
        .bind(held_on.to_string())
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        for member in &team {
            sqlx::query("INSERT INTO meeting_attendance (org_id, meeting_id, user_id, status) VALUES ($1, $2, $3, 'present')")
                .bind(viewer.org_id)
                .bind(id)
                .bind(member)
                .execute(&mut *tx)
                .await?;
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "meeting",
                id,
                "create",
                &[change("kind", None, Some(kind.as_str().into()))],
            )
            .await?;
        tx.commit().await?;
        self.meeting(viewer, id).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn meeting(&self, viewer: &Viewer, id: i64) -> Result<MeetingDetail> {
        let mut conn = self.read.acquire().await?;
        let meeting = load(&mut conn, viewer, id).await?;
        let members = members(&mut conn, viewer.org_id, &meeting).await?;
        let decisions = sqlx::query(
            "SELECT t.id, u.display_name, t.title, t.status FROM meeting_tasks mt JOIN tasks t ON t.id = mt.task_id AND t.org_id = mt.org_id \
             JOIN users u ON u.id = t.assignee_id AND u.org_id = t.org_id WHERE mt.org_id = $1 AND mt.meeting_id = $2 ORDER BY t.id",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect::<Result<_>>()?;
        Ok(MeetingDetail {
            meeting,
            members,
            decisions,
        })
    }

    /// Meetings the viewer reaches, the latest first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn meetings(&self, viewer: &Viewer, limit: i64) -> Result<Vec<Meeting>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        push_reach(&mut sql, viewer);
        sql.push(" ORDER BY m.held_on DESC, m.id DESC LIMIT ")
            .bind(limit.clamp(1, 200));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// Records the minutes and the attendance (members only; by report only with a report of
    /// the period), while open, by the organizer, at the version read.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_meeting(
        &self,
        viewer: &Viewer,
        id: i64,
        minutes: &str,
        attendance: &[(i64, Attendance, String)],
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<MeetingDetail> {
        let mut tx = self.write.begin().await?;
        let m = load(&mut tx, viewer, id).await?;
        if m.version != expected_version {
            return Err(StoreError::VersionConflict { current: m.version });
        }
        check_edit(viewer.user_id, m.organizer_id, m.closed_at.is_some()).map_err(Refusal::from)?;
        let current = members(&mut tx, viewer.org_id, &m).await?;
        let mut changes = Vec::new();
        for (user, status, note) in attendance {
            let member = current
                .iter()
                .find(|c| c.user_id == *user)
                .ok_or(Refusal::from(MeetingRefusal::NotAMember))?;
            check_attendance(*status, member.has_report).map_err(Refusal::from)?;
            if member.attendance != status.as_str() || member.note != *note {
                sqlx::query("UPDATE meeting_attendance SET status = $1, note = $2 WHERE org_id = $3 AND meeting_id = $4 AND user_id = $5")
                    .bind(status.as_str())
                    .bind(note)
                    .bind(viewer.org_id)
                    .bind(id)
                    .bind(user)
                    .execute(&mut *tx)
                    .await?;
                changes.push(change(
                    &format!("attendance · {}", member.name),
                    Some(member.attendance.clone()),
                    Some(status.as_str().into()),
                ));
            }
        }
        if m.minutes != minutes {
            sqlx::query("UPDATE meetings SET minutes = $1 WHERE org_id = $2 AND id = $3")
                .bind(minutes)
                .bind(viewer.org_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            changes.push(change(
                "minutes",
                Some(m.minutes.clone()),
                Some(minutes.into()),
            ));
        }
        let at = ts(now);
        touch(&mut tx, viewer.org_id, &m, None, &at).await?;
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "meeting", id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        self.meeting(viewer, id).await
    }

    /// A decision of the meeting, given as a task to a member (the task rules apply).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn meeting_decision(
        &self,
        viewer: &Viewer,
        id: i64,
        f: &TaskFields,
        now: DateTime<Utc>,
    ) -> Result<MeetingDetail> {
        let mut tx = self.write.begin().await?;
        let m = load(&mut tx, viewer, id).await?;
        check_edit(viewer.user_id, m.organizer_id, m.closed_at.is_some()).map_err(Refusal::from)?;
        let member: i64 = sqlx::query("SELECT COUNT(*) FROM meeting_attendance WHERE org_id = $1 AND meeting_id = $2 AND user_id = $3")
            .bind(viewer.org_id)
            .bind(id)
            .bind(f.assignee_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if member == 0 {
            return Err(Refusal::from(MeetingRefusal::NotAMember).into());
        }
        let task = crate::task::insert_task(&mut tx, viewer, f, now).await?;
        sqlx::query("INSERT INTO meeting_tasks (org_id, meeting_id, task_id) VALUES ($1, $2, $3)")
            .bind(viewer.org_id)
            .bind(id)
            .bind(task)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.meeting(viewer, id).await
    }

    /// Closes the meeting: its minutes and attendance are kept as they are.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn close_meeting(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<MeetingDetail> {
        let mut tx = self.write.begin().await?;
        let m = load(&mut tx, viewer, id).await?;
        if m.version != expected_version {
            return Err(StoreError::VersionConflict { current: m.version });
        }
        check_edit(viewer.user_id, m.organizer_id, m.closed_at.is_some()).map_err(Refusal::from)?;
        let at = ts(now);
        touch(&mut tx, viewer.org_id, &m, Some(&at), &at).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "meeting",
                id,
                "update",
                &[change("closed", None, Some("true".into()))],
            )
            .await?;
        tx.commit().await?;
        self.meeting(viewer, id).await
    }
}
