//! Calendar feeds (`domain::calendar`): the subscription behind a secret token, and what it
//! carries — read with the owner's own viewer, so a feed never shows more than its owner sees.

use crate::audit::Audit;
use crate::org::User;
use crate::sql::{push_scope_on, Sql};
use crate::{ts, Result, Store, Viewer};
use chrono::{DateTime, Utc};
use sqlx::Row;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::calendar::{self, Event, Words};
use yingpan_domain::person::ClerkVisibility;
use yingpan_domain::visit_plan::PlanItem;

/// A person's subscription, as the settings page shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    pub include_team: bool,
    pub created_at: String,
}

/// Whom a feed token belongs to.
pub struct FeedOwner {
    pub user: User,
    pub include_team: bool,
    pub clerk_visibility: ClerkVisibility,
}

impl Store {
    /// Starts (or replaces: the old URL stops working) the viewer's feed under a new digest.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_calendar_feed(
        &self,
        viewer: &Viewer,
        digest: &str,
        include_team: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM calendar_feeds WHERE org_id = $1 AND user_id = $2")
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO calendar_feeds (org_id, user_id, token_digest, include_team, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(digest)
        .bind(i64::from(include_team))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "user",
                viewer.user_id,
                "update",
                &[FieldChange {
                    field: "calendar_feed".into(),
                    before: None,
                    after: Some(if include_team { "team" } else { "own" }.into()),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops the viewer's feed: its URL answers 404 from now on.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn drop_calendar_feed(&self, viewer: &Viewer, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("DELETE FROM calendar_feeds WHERE org_id = $1 AND user_id = $2")
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() > 0 {
            Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "user",
                    viewer.user_id,
                    "update",
                    &[FieldChange {
                        field: "calendar_feed".into(),
                        before: Some("on".into()),
                        after: None,
                    }],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn calendar_feed(&self, viewer: &Viewer) -> Result<Option<CalendarFeed>> {
        let row = sqlx::query("SELECT include_team, created_at FROM calendar_feeds WHERE org_id = $1 AND user_id = $2")
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(CalendarFeed {
                include_team: r.try_get::<i64, _>(0)? != 0,
                created_at: r.try_get(1)?,
            })
        })
        .transpose()
    }

    /// The active person a feed token's digest belongs to.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn calendar_feed_owner(&self, digest: &str) -> Result<Option<FeedOwner>> {
        let row = sqlx::query(
            "SELECT u.id, u.org_id, u.username, u.display_name, u.role, u.superior_id, u.active, u.locale, u.time_zone, \
             u.email, u.version, u.created_at, f.include_team, o.clerk_visibility FROM calendar_feeds f \
             JOIN users u ON u.id = f.user_id AND u.org_id = f.org_id JOIN organizations o ON o.id = f.org_id \
             WHERE f.token_digest = $1 AND u.active = 1",
        )
        .bind(digest)
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let cv: String = r.try_get("clerk_visibility")?;
            Ok(FeedOwner {
                user: User::from_row(&r)?,
                include_team: r.try_get::<i64, _>("include_team")? != 0,
                clerk_visibility: cv.parse().unwrap_or(ClerkVisibility::All),
            })
        })
        .transpose()
    }

    /// The feed's events within the window: the owner's approved visit plans (and, with
    /// `team`, those of everyone in their scope), due calls and visits of their customers, and
    /// their open tasks.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn calendar_events(
        &self,
        viewer: &Viewer,
        team: bool,
        words: &Words,
        purpose: impl Fn(&str) -> String,
        now: DateTime<Utc>,
    ) -> Result<Vec<Event>> {
        let (from, to) = calendar::window(now);
        let china = yingpan_domain::visit_plan::china_offset();
        let (first, last) = (
            from.with_timezone(&china).date_naive(),
            to.with_timezone(&china).date_naive(),
        );
        let mut out = Vec::new();
        // The latest approved revision of each person's day.
        let mut sql = Sql::new(
            "SELECT p.id, p.user_id, u.display_name, p.plan_date, p.items FROM visit_plans p JOIN users u ON u.id = p.user_id AND u.org_id = p.org_id WHERE",
        );
        push_scope_on(&mut sql, viewer, "p", "user_id");
        if !team {
            sql.push(" AND p.user_id = ").bind(viewer.user_id);
        }
        sql.push(" AND p.status = 'approved' AND p.plan_date >= ")
            .bind(first.to_string())
            .push(" AND p.plan_date <= ")
            .bind(last.to_string())
            .push(
                " AND p.revision = (SELECT MAX(q.revision) FROM visit_plans q WHERE q.org_id = p.org_id \
                 AND q.user_id = p.user_id AND q.plan_date = p.plan_date AND q.status = 'approved') \
                 ORDER BY p.plan_date LIMIT 2000",
            );
        for r in sql.query().fetch_all(&self.read).await? {
            let plan_id: i64 = r.try_get(0)?;
            let user: i64 = r.try_get(1)?;
            let name: String = r.try_get(2)?;
            let date = crate::parse_day(&r.try_get::<String, _>(3)?)?;
            let items: Vec<PlanItem> = serde_json::from_str(&r.try_get::<String, _>(4)?)
                .map_err(|e| crate::StoreError::Corrupt(format!("plan items: {e}")))?;
            for (i, item) in items.iter().enumerate() {
                let who = (user != viewer.user_id).then_some(name.as_str());
                let slot = calendar::PlanSlot {
                    org_id: viewer.org_id,
                    plan_id,
                    index: i,
                    date,
                    item,
                };
                out.push(calendar::visit(
                    &slot,
                    &purpose(item.purpose.as_str()),
                    who,
                    words,
                ));
            }
        }
        // Due calls and visits of the owner's own customers.
        let rows = sqlx::query(
            "SELECT id, name, next_call_due, next_visit_due FROM customers WHERE org_id = $1 AND owner_id = $2 \
             AND deleted_at IS NULL AND ((next_call_due >= $3 AND next_call_due < $4) OR (next_visit_due >= $3 AND next_visit_due < $4)) \
             LIMIT 2000",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(ts(from))
        .bind(ts(to))
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let name: String = r.try_get(1)?;
            for (kind, column) in [("call", 2), ("visit", 3)] {
                if let Some(at) = r.try_get::<Option<String>, _>(column)? {
                    let at = crate::parse_ts(&at)?;
                    if at >= from && at < to {
                        out.push(calendar::due(viewer.org_id, id, &name, kind, at, words));
                    }
                }
            }
        }
        for t in self.tasks_due(viewer, to, 200, now).await? {
            out.push(calendar::task(
                viewer.org_id,
                t.id,
                &t.title,
                t.assigner_name.as_deref().unwrap_or(""),
                crate::parse_ts(&t.due_at)?,
                words,
            ));
        }
        Ok(out)
    }
}
