//! Absences, and acting for an absent owner (rule 4): a colleague on the team, a manager above
//! or the clerk signs the order and takes the payment; the order stays the owner's, and the
//! act is on the audit trail with who did it.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::Row;
use yingpan_domain::attribution::{check_act_for, ActFor};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::error::ValidationError;
use yingpan_domain::hierarchy::ReportingLine;
use yingpan_domain::person::Scope;
use yingpan_domain::visit_plan::china_offset;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Absence {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub note: Option<String>,
}

fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china_offset()).date_naive()
}

/// Whether `user` is away on `day`.
async fn away(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    user: i64,
    day: NaiveDate,
) -> Result<bool> {
    let day = day.to_string();
    Ok(sqlx::query(
        "SELECT 1 FROM absences WHERE org_id = $1 AND user_id = $2 AND starts_on <= $3 AND ends_on >= $3",
    )
    .bind(org_id)
    .bind(user)
    .bind(&day)
    .fetch_optional(&mut *conn)
    .await?
    .is_some())
}

/// The viewer, widened to the whole company for one act for `owner`, once the domain allows it
/// (`attribution::check_act_for`); what the act touches is then checked to be the owner's.
pub(crate) async fn act_for(
    conn: &mut sqlx::AnyConnection,
    viewer: &Viewer,
    owner: i64,
    now: DateTime<Utc>,
) -> Result<Viewer> {
    let people =
        sqlx::query("SELECT id, superior_id, role FROM users WHERE org_id = $1 AND active = 1")
            .bind(viewer.org_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut line = Vec::new();
    let (mut actor, mut owner_row) = (None, None);
    for r in &people {
        let id: i64 = r.try_get("id")?;
        let superior: Option<i64> = r.try_get("superior_id")?;
        line.push((id, superior));
        if id == viewer.user_id {
            actor = Some(superior);
        }
        if id == owner {
            owner_row = Some(superior);
        }
    }
    let Some(owner_superior) = owner_row else {
        return Err(ValidationError::new(
            "acting_for",
            "unknown_person",
            "no active person with that id in this company",
        )
        .into());
    };
    let line = ReportingLine::new(line);
    check_act_for(&ActFor {
        actor: viewer.user_id,
        actor_role: viewer.role,
        actor_superior: actor.flatten(),
        owner,
        owner_superior,
        owner_below_actor: line.subordinates(viewer.user_id).contains(&owner),
        owner_away: away(conn, viewer.org_id, owner, today(now)).await?,
    })?;
    Ok(Viewer {
        scope: Scope::All,
        ..*viewer
    })
}

/// The audit line naming whom an act was for.
pub(crate) async fn acting_change(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    owner: i64,
) -> Result<FieldChange> {
    let name: String = sqlx::query("SELECT display_name FROM users WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(owner)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(FieldChange {
        field: "acting_for".into(),
        before: None,
        after: Some(name),
    })
}

impl Store {
    /// Records an absence of `user_id`: the person themselves, or someone above them.
    pub async fn add_absence(
        &self,
        viewer: &Viewer,
        user_id: i64,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Absence> {
        if ends_on < starts_on {
            return Err(ValidationError::new(
                "ends_on",
                "before_start",
                "the absence ends before it starts",
            )
            .into());
        }
        if (ends_on - starts_on).num_days() > 366 {
            return Err(
                ValidationError::new("ends_on", "too_long", "at most a year at a time").into(),
            );
        }
        let note = yingpan_domain::customer::optional_text("note", note, 500)?;
        if user_id != viewer.user_id {
            let below = self.subtree_users(viewer.org_id, viewer.user_id).await?;
            let reaches = viewer.scope == Scope::All || below.iter().any(|u| u.id == user_id);
            if !reaches || self.user(viewer.org_id, user_id).await.is_err() {
                return Err(StoreError::NotFound);
            }
        }
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO absences (org_id, user_id, starts_on, ends_on, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(user_id)
        .bind(starts_on.to_string())
        .bind(ends_on.to_string())
        .bind(note.clone())
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "absence",
                id,
                "create",
                &[FieldChange {
                    field: "absence".into(),
                    before: None,
                    after: Some(format!("{starts_on} – {ends_on}")),
                }],
            )
            .await?;
        tx.commit().await?;
        let name = self.user(viewer.org_id, user_id).await?.display_name;
        Ok(Absence {
            id,
            user_id,
            name,
            starts_on: starts_on.to_string(),
            ends_on: ends_on.to_string(),
            note,
        })
    }

    /// Who is away on `day` or later: colleagues need to know whom to cover for.
    pub async fn absences(&self, org_id: i64, day: NaiveDate) -> Result<Vec<Absence>> {
        let rows = sqlx::query(
            "SELECT a.id, a.user_id, u.display_name, a.starts_on, a.ends_on, a.note FROM absences a \
             JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id WHERE a.org_id = $1 AND a.ends_on >= $2 AND u.active = 1 \
             ORDER BY a.starts_on, u.display_name",
        )
        .bind(org_id)
        .bind(day.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Absence {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    name: r.try_get("display_name")?,
                    starts_on: r.try_get("starts_on")?,
                    ends_on: r.try_get("ends_on")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// The absent owner's orders with something still owed, for one who may act for them now.
    pub async fn act_for_orders(
        &self,
        viewer: &Viewer,
        owner: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::Order>> {
        let reach = {
            let mut conn = self.read.acquire().await?;
            act_for(&mut conn, viewer, owner, now).await?
        };
        self.orders(
            &reach,
            &crate::OrderFilter {
                owner_id: Some(owner),
                open_only: true,
                limit: 200,
                ..Default::default()
            },
        )
        .await
    }

    /// The absent owner's live customers, for one who may act for them now: what an order can
    /// be signed for.
    pub async fn act_for_customers(
        &self,
        viewer: &Viewer,
        owner: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>> {
        let mut conn = self.read.acquire().await?;
        act_for(&mut conn, viewer, owner, now).await?;
        let rows = sqlx::query(
            "SELECT id, name FROM customers WHERE org_id = $1 AND owner_id = $2 AND deleted_at IS NULL ORDER BY name, id LIMIT 500",
        )
        .bind(viewer.org_id)
        .bind(owner)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }
}
