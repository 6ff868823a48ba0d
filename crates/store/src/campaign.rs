//! Campaigns (`domain::campaign`): written against a segment, launched — the segment's members
//! resolved within the sender's scope, each decided (queued, opted out, no address, capped)
//! in one transaction —, then sent by the background sender, which claims queued messages,
//! reports each one sent or failed, and retries with back-off.

use crate::audit::Audit;
use crate::customer::push_list_filters;
use crate::sql::{push_in_scope, Sql};
use crate::{customer_scope_check, ts, CustomerListQuery, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::campaign::{
    decide, CampaignFields, CampaignSettings, Channel, RecipientStatus,
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub segment_id: Option<i64>,
    pub segment_name: String,
    pub segment_query: String,
    pub subject: String,
    pub body: String,
    /// `draft`, `scheduled`, `sending`, `done`, `cancelled`.
    pub status: String,
    pub scheduled_at: Option<String>,
    pub created_by: i64,
    pub created_by_name: Option<String>,
    pub created_at: String,
    pub launched_at: Option<String>,
    pub finished_at: Option<String>,
    pub version: i64,
    /// Recipients by status (tests left out).
    pub counts: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recipient {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub address: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    pub attempts: i64,
    pub sent_at: Option<String>,
}

/// A message the sender claimed: where it goes and what fills its template.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub recipient_id: i64,
    pub org_id: i64,
    pub campaign_id: i64,
    pub channel: Channel,
    pub subject: String,
    pub body: String,
    pub address: String,
    pub attempts: i64,
    /// Merge field → value for this recipient.
    pub values: BTreeMap<&'static str, String>,
}

/// The columns that fill a template's merge fields, for a recipient `r` of customer `c`
/// (owner `o`, company `g`): the decision maker first among the contacts.
const MERGE_COLUMNS: &str = "c.name AS customer_name, c.region, c.industry, o.display_name AS owner_name, g.name AS company_name, \
    (SELECT k.name FROM contacts k WHERE k.org_id = r.org_id AND k.customer_id = r.customer_id AND k.deleted_at IS NULL ORDER BY k.is_decision_maker DESC, k.id LIMIT 1) AS contact_name, \
    (SELECT k.title FROM contacts k WHERE k.org_id = r.org_id AND k.customer_id = r.customer_id AND k.deleted_at IS NULL ORDER BY k.is_decision_maker DESC, k.id LIMIT 1) AS contact_title";

fn merge_values(r: &AnyRow) -> Result<BTreeMap<&'static str, String>> {
    let mut values = BTreeMap::new();
    for (field, column) in [
        ("customer.name", "customer_name"),
        ("customer.region", "region"),
        ("customer.industry", "industry"),
        ("contact.name", "contact_name"),
        ("contact.title", "contact_title"),
        ("owner.name", "owner_name"),
        ("company.name", "company_name"),
    ] {
        if let Some(v) = r.try_get::<Option<String>, _>(column)? {
            values.insert(field, v);
        }
    }
    Ok(values)
}

const COLUMNS: &str = "m.id, m.name, m.channel, m.segment_id, m.segment_name, m.segment_query, m.subject, m.body, \
    m.status, m.scheduled_at, m.created_by, u.display_name AS created_by_name, m.created_at, m.launched_at, \
    m.finished_at, m.version";
const FROM: &str =
    " FROM campaigns m LEFT JOIN users u ON u.id = m.created_by AND u.org_id = m.org_id WHERE";

fn from_row(r: &AnyRow) -> Result<Campaign> {
    Ok(Campaign {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        channel: r.try_get("channel")?,
        segment_id: r.try_get("segment_id")?,
        segment_name: r.try_get("segment_name")?,
        segment_query: r.try_get("segment_query")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        scheduled_at: r.try_get("scheduled_at")?,
        created_by: r.try_get("created_by")?,
        created_by_name: r.try_get("created_by_name")?,
        created_at: r.try_get("created_at")?,
        launched_at: r.try_get("launched_at")?,
        finished_at: r.try_get("finished_at")?,
        version: r.try_get("version")?,
        counts: BTreeMap::new(),
    })
}

/// The campaigns the viewer reaches: those written by someone in their scope.
fn push_campaign_scope(sql: &mut Sql, viewer: &Viewer) {
    sql.push(" m.org_id = ").bind(viewer.org_id).push(" AND");
    push_in_scope(sql, viewer, "m.created_by");
}

async fn load(conn: &mut sqlx::AnyConnection, viewer: &Viewer, id: i64) -> Result<Campaign> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
    push_campaign_scope(&mut sql, viewer);
    sql.push(" AND m.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut c = from_row(&row)?;
    let rows = sqlx::query(
        "SELECT status, COUNT(*) FROM campaign_recipients WHERE org_id = $2 AND campaign_id = $1 AND test = 0 GROUP BY status",
    )
    .bind(id)
    .bind(viewer.org_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        c.counts.insert(r.try_get(0)?, r.try_get(1)?);
    }
    Ok(c)
}

pub(crate) async fn settings_in(
    exec: impl sqlx::Executor<'_, Database = Any>,
    org_id: i64,
) -> Result<CampaignSettings> {
    crate::org::settings_json(exec, org_id, "campaign_settings").await
}

/// The address a channel uses: the card's own, else the first contact's who may be contacted.
fn address_sql(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => {
            "COALESCE(NULLIF(c.email, ''), (SELECT k.email FROM contacts k WHERE k.org_id = c.org_id AND k.customer_id = c.id \
             AND k.deleted_at IS NULL AND k.do_not_contact = 0 AND k.email IS NOT NULL AND k.email <> '' ORDER BY k.id LIMIT 1))"
        }
        Channel::Sms => {
            "COALESCE(NULLIF(c.phone, ''), (SELECT k.phone FROM contacts k WHERE k.org_id = c.org_id AND k.customer_id = c.id \
             AND k.deleted_at IS NULL AND k.do_not_contact = 0 AND k.phone IS NOT NULL AND k.phone <> '' ORDER BY k.id LIMIT 1))"
        }
        Channel::Letter => "NULLIF(c.address, '')",
    }
}

/// Whether every contact with an address on this channel asked not to be contacted (and the
/// card has none of its own): the customer is then out of reach by the contact's wish.
fn contacts_opted_out_sql(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => {
            "(NULLIF(c.email, '') IS NULL AND EXISTS (SELECT 1 FROM contacts k WHERE k.org_id = c.org_id AND k.customer_id = c.id \
             AND k.deleted_at IS NULL AND k.do_not_contact = 1 AND k.email IS NOT NULL AND k.email <> ''))"
        }
        Channel::Sms => {
            "(NULLIF(c.phone, '') IS NULL AND EXISTS (SELECT 1 FROM contacts k WHERE k.org_id = c.org_id AND k.customer_id = c.id \
             AND k.deleted_at IS NULL AND k.do_not_contact = 1 AND k.phone IS NOT NULL AND k.phone <> ''))"
        }
        Channel::Letter => "(1 = 0)",
    }
}

fn channel_of(c: &Campaign) -> Result<Channel> {
    Channel::parse(&c.channel).map_err(|_| StoreError::Corrupt(format!("channel {:?}", c.channel)))
}

fn change(field: &str, after: impl Into<String>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before: None,
        after: Some(after.into()),
    }
}

async fn set_status(
    tx: &mut Transaction<'_, Any>,
    backend: crate::Backend,
    org_id: i64,
    ids: &[i64],
    status: RecipientStatus,
    next_attempt: Option<&str>,
) -> Result<()> {
    let table = crate::sql::rows_by_id(backend, "campaign_recipients");
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // The ids come from this transaction's own query: numbers only, never user text.
        sqlx::query(&format!(
            "UPDATE {table} SET status = $1, next_attempt_at = $2 WHERE org_id = $3 AND id IN ({list})"
        ))
        .bind(status.as_str())
        .bind(next_attempt)
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn campaign_settings(&self, org_id: i64) -> Result<CampaignSettings> {
        settings_in(&self.read, org_id).await
    }

    /// Replaces the campaign settings (checked by the caller); audited.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_campaign_settings(
        &self,
        viewer: &Viewer,
        settings: &CampaignSettings,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let before = settings_in(&mut *tx, viewer.org_id).await?;
        sqlx::query("UPDATE organizations SET campaign_settings = $1 WHERE id = $2")
            .bind(serde_json::to_string(settings).expect("settings serialise"))
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let mut changes = Vec::new();
        if before.cap != settings.cap {
            changes.push(FieldChange {
                field: "frequency_cap".into(),
                before: Some(format!("{} / {}", before.cap.messages, before.cap.days)),
                after: Some(format!("{} / {}", settings.cap.messages, settings.cap.days)),
            });
        }
        if before.sms != settings.sms {
            changes.push(FieldChange {
                field: "sms_gateway".into(),
                before: before.sms.as_ref().map(|g| g.url.clone()),
                after: settings.sms.as_ref().map(|g| g.url.clone()),
            });
        }
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "organization", viewer.org_id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Writes a campaign (a draft) against a segment the viewer may use, keeping the segment's
    /// filter as it stands.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_campaign(
        &self,
        viewer: &Viewer,
        f: &CampaignFields,
        now: DateTime<Utc>,
    ) -> Result<Campaign> {
        let segment = self
            .segments(viewer)
            .await?
            .into_iter()
            .find(|s| s.id == f.segment_id)
            .ok_or_else(|| {
                yingpan_domain::ValidationError::new(
                    "segment_id",
                    "unknown_segment",
                    "no such segment among yours and your team's",
                )
            })?;
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO campaigns (org_id, name, channel, segment_id, segment_name, segment_query, subject, body, status, \
             scheduled_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10, $11) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(&f.name)
        .bind(f.channel.as_str())
        .bind(segment.id)
        .bind(&segment.name)
        .bind(&segment.query)
        .bind(&f.subject)
        .bind(&f.body)
        .bind(f.scheduled_at.map(ts))
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "campaign",
                id,
                "create",
                &[change("name", &f.name)],
            )
            .await?;
        let c = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(c)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn campaign(&self, viewer: &Viewer, id: i64) -> Result<Campaign> {
        let mut conn = self.read.acquire().await?;
        load(&mut conn, viewer, id).await
    }

    /// Campaigns written by people in the viewer's scope, the latest first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn campaigns(&self, viewer: &Viewer, limit: i64) -> Result<Vec<Campaign>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        push_campaign_scope(&mut sql, viewer);
        sql.push(" ORDER BY m.id DESC LIMIT ")
            .bind(limit.clamp(1, 200));
        let rows = sql.query().fetch_all(&self.read).await?;
        let mut out: Vec<Campaign> = rows.iter().map(from_row).collect::<Result<_>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        let ids = out
            .iter()
            .map(|c| c.id.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let counts = sqlx::query(&format!(
            "SELECT campaign_id, status, COUNT(*) FROM campaign_recipients WHERE org_id = $1 AND campaign_id IN ({ids}) AND test = 0 \
             GROUP BY campaign_id, status"
        ))
        .bind(viewer.org_id)
        .fetch_all(&self.read)
        .await?;
        for r in counts {
            let (id, status, n): (i64, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            if let Some(c) = out.iter_mut().find(|c| c.id == id) {
                c.counts.insert(status, n);
            }
        }
        Ok(out)
    }

    /// A campaign's recipients, in the order they were resolved, optionally of one status.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn campaign_recipients(
        &self,
        viewer: &Viewer,
        id: i64,
        status: Option<RecipientStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Recipient>> {
        self.campaign(viewer, id).await?;
        let mut sql = Sql::new(
            "SELECT r.id, r.customer_id, c.name AS customer_name, r.address, r.status, r.reason, r.attempts, r.sent_at \
             FROM campaign_recipients r LEFT JOIN customers c ON c.id = r.customer_id AND c.org_id = r.org_id WHERE r.org_id = ",
        );
        sql.bind(viewer.org_id)
            .push(" AND r.campaign_id = ")
            .bind(id)
            .push(" AND r.test = 0");
        if let Some(s) = status {
            sql.push(" AND r.status = ").bind(s.as_str());
        }
        sql.push(" ORDER BY r.id LIMIT ")
            .bind(limit.clamp(1, 500))
            .push(" OFFSET ")
            .bind(offset.max(0));
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(Recipient {
                    id: r.try_get("id")?,
                    customer_id: r.try_get("customer_id")?,
                    customer_name: r.try_get("customer_name")?,
                    address: r.try_get("address")?,
                    status: r.try_get("status")?,
                    reason: r.try_get("reason")?,
                    attempts: r.try_get("attempts")?,
                    sent_at: r.try_get("sent_at")?,
                })
            })
            .collect()
    }

    /// Launches a draft: the members of its segment (`members`, the segment's filter as the
    /// list parses it) within the viewer's scope become recipients, each decided by
    /// `domain::campaign::decide` against the company's frequency cap — all in one
    /// transaction, so a campaign is queued whole or not at all. Letters are "sent" at once:
    /// the mail-merge page prints them. Returns the campaign with its counts.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn launch_campaign(
        &self,
        viewer: &Viewer,
        id: i64,
        members: &CustomerListQuery,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<Campaign> {
        let mut tx = self.write.begin().await?;
        let c = load(&mut tx, viewer, id).await?;
        if c.version != expected_version {
            return Err(StoreError::VersionConflict { current: c.version });
        }
        if c.status != "draft" {
            return Err(StoreError::Rule {
                code: "campaign_launched",
                message: "this campaign has already been launched".into(),
            });
        }
        let channel = channel_of(&c)?;
        let settings = settings_in(&mut *tx, viewer.org_id).await?;
        let at = ts(now);
        let needle = members
            .q
            .as_deref()
            .and_then(yingpan_domain::search::normalize_query);
        let trigram = needle
            .as_deref()
            .is_some_and(|n| crate::customer::uses_trigrams(self.backend, n));
        let mut insert = Sql::new(&format!(
            "INSERT INTO campaign_recipients (org_id, campaign_id, customer_id, address, status, created_at) \
             SELECT c.org_id, {id}, c.id, {}, 'pending', ",
            address_sql(channel)
        ));
        insert.bind(at.clone()).push(" FROM customers c WHERE");
        push_list_filters(
            &mut insert,
            viewer,
            members,
            self.backend,
            needle.as_deref(),
            trigram,
            None,
        );
        insert.query().execute(&mut *tx).await?;
        // The facts each decision needs, read in one pass.
        let window = ts(settings.cap.window_start(now));
        let facts = sqlx::query(&format!(
            "SELECT r.id, CAST(CASE WHEN c.opted_out_at IS NOT NULL OR {} THEN 1 ELSE 0 END AS BIGINT) AS opted, \
             CAST(CASE WHEN r.address IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) AS has_address, \
             (SELECT COUNT(*) FROM campaign_recipients x WHERE x.org_id = r.org_id AND x.customer_id = r.customer_id \
              AND x.status IN ('sent', 'queued') AND x.test = 0 AND x.campaign_id <> r.campaign_id \
              AND ((x.status = 'sent' AND x.sent_at > $2) OR x.status = 'queued')) AS recent \
             FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id AND c.org_id = r.org_id \
             WHERE r.org_id = $3 AND r.campaign_id = $1 AND r.status = 'pending' ORDER BY r.id",
            contacts_opted_out_sql(channel)
        ))
        .bind(id)
        .bind(&window)
        .bind(viewer.org_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut by_status: BTreeMap<RecipientStatus, Vec<i64>> = BTreeMap::new();
        for r in &facts {
            let opted = r.try_get::<i64, _>(1)? != 0;
            let has_address = r.try_get::<i64, _>(2)? != 0;
            let recent: i64 = r.try_get(3)?;
            let status = decide(
                opted,
                has_address,
                u32::try_from(recent).unwrap_or(u32::MAX),
                settings.cap,
            );
            by_status.entry(status).or_default().push(r.try_get(0)?);
        }
        let start = c.scheduled_at.clone().unwrap_or_else(|| at.clone());
        for (status, ids) in &by_status {
            match (status, channel) {
                (RecipientStatus::Queued, Channel::Letter) => {
                    set_status(
                        &mut tx,
                        self.backend,
                        viewer.org_id,
                        ids,
                        RecipientStatus::Sent,
                        None,
                    )
                    .await?;
                }
                (RecipientStatus::Queued, _) => {
                    set_status(
                        &mut tx,
                        self.backend,
                        viewer.org_id,
                        ids,
                        *status,
                        Some(&start),
                    )
                    .await?;
                }
                _ => set_status(&mut tx, self.backend, viewer.org_id, ids, *status, None).await?,
            }
        }
        if channel == Channel::Letter {
            sqlx::query("UPDATE campaign_recipients SET sent_at = $1 WHERE org_id = $3 AND campaign_id = $2 AND status = 'sent'")
                .bind(&at)
                .bind(id)
                .bind(viewer.org_id)
                .execute(&mut *tx)
                .await?;
        }
        let status = match (channel, &c.scheduled_at) {
            (Channel::Letter, _) => "done",
            (_, Some(s)) if s.as_str() > at.as_str() => "scheduled",
            _ => "sending",
        };
        sqlx::query(
            "UPDATE campaigns SET status = $1, launched_at = $2, finished_at = $3, version = version + 1 WHERE org_id = $5 AND id = $4",
        )
        .bind(status)
        .bind(&at)
        .bind((status == "done").then_some(at.clone()))
        .bind(id)
        .bind(viewer.org_id)
        .execute(&mut *tx)
        .await?;
        let counts: Vec<String> = by_status
            .iter()
            .map(|(s, ids)| format!("{} {}", s.as_str(), ids.len()))
            .collect();
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "campaign",
                id,
                "launch",
                &[change("recipients", counts.join(", "))],
            )
            .await?;
        let c = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Stops a campaign: what is still queued is not sent.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn cancel_campaign(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Campaign> {
        let mut tx = self.write.begin().await?;
        let c = load(&mut tx, viewer, id).await?;
        if matches!(c.status.as_str(), "done" | "cancelled") {
            return Err(StoreError::Rule {
                code: "campaign_finished",
                message: "this campaign has finished".into(),
            });
        }
        sqlx::query("UPDATE campaign_recipients SET status = 'failed', reason = 'cancelled' WHERE org_id = $2 AND campaign_id = $1 AND status = 'queued'")
            .bind(id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE campaigns SET status = 'cancelled', finished_at = $1, version = version + 1 WHERE org_id = $3 AND id = $2")
            .bind(ts(now))
            .bind(id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "campaign",
                id,
                "cancel",
                &[change("status", "cancelled")],
            )
            .await?;
        let c = load(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Queues one message of the campaign to the sender's own address (a test: it counts
    /// against no cap and in no figure).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn queue_campaign_test(
        &self,
        viewer: &Viewer,
        id: i64,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        load(&mut tx, viewer, id).await?;
        sqlx::query(
            "INSERT INTO campaign_recipients (org_id, campaign_id, customer_id, address, status, next_attempt_at, test, created_at) \
             VALUES ($1, $2, NULL, $3, 'queued', $4, 1, $4)",
        )
        .bind(viewer.org_id)
        .bind(id)
        .bind(address)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Claims up to `limit` queued messages due at `now` on `channel` — a launched campaign's,
    /// or a test of any campaign, a draft's included (claims older than five minutes are taken
    /// over: their server died), with what fills their templates.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn claim_campaign_messages(
        &self,
        channel: Channel,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Outgoing>> {
        let at = ts(now);
        let stale = ts(now - Duration::minutes(5));
        let mut tx = self.write.begin().await?;
        let ids: Vec<i64> = sqlx::query(
            "SELECT r.id FROM campaign_recipients r JOIN campaigns m ON m.id = r.campaign_id AND m.org_id = r.org_id \
             WHERE r.status = 'queued' AND r.next_attempt_at <= $1 AND (r.claimed_at IS NULL OR r.claimed_at < $2) \
             AND m.channel = $3 AND (m.status IN ('sending', 'scheduled') OR r.test = 1) \
             ORDER BY r.next_attempt_at, r.id LIMIT $4",
        )
        .bind(&at)
        .bind(&stale)
        .bind(channel.as_str())
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            // Claimed only if nobody else claimed it in between (several servers).
            let n = sqlx::query(
                "/* across organizations: campaign sender */ UPDATE campaign_recipients SET claimed_at = $1 WHERE id = $2 AND status = 'queued' AND (claimed_at IS NULL OR claimed_at < $3)",
            )
            .bind(&at)
            .bind(id)
            .bind(&stale)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                continue;
            }
            let r = sqlx::query(
                &format!("/* across organizations: campaign sender */ SELECT r.id, r.org_id, r.campaign_id, r.address, r.attempts, m.subject, m.body, {MERGE_COLUMNS} \
                 FROM campaign_recipients r JOIN campaigns m ON m.id = r.campaign_id AND m.org_id = r.org_id JOIN organizations g ON g.id = r.org_id \
                 LEFT JOIN customers c ON c.id = r.customer_id AND c.org_id = r.org_id LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE r.id = $1"),
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let values = merge_values(&r)?;
            out.push(Outgoing {
                recipient_id: id,
                org_id: r.try_get("org_id")?,
                campaign_id: r.try_get("campaign_id")?,
                channel,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
                address: r
                    .try_get::<Option<String>, _>("address")?
                    .unwrap_or_default(),
                attempts: r.try_get("attempts")?,
                values,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// One message went out; `unsubscribe_digest` is the digest of the opt-out link it carried.
    pub async fn campaign_message_sent(
        &self,
        recipient_id: i64,
        unsubscribe_digest: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "/* across organizations: campaign sender */ UPDATE campaign_recipients SET status = 'sent', sent_at = $1, attempts = attempts + 1, claimed_at = NULL, \
             reason = NULL, unsubscribe_digest = $2 WHERE id = $3",
        )
        .bind(ts(now))
        .bind(unsubscribe_digest)
        .bind(recipient_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// One try failed: tried again at `retry_at`, or given up (failed) without one.
    pub async fn campaign_message_failed(
        &self,
        recipient_id: i64,
        reason: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let reason: String = reason.chars().take(500).collect();
        sqlx::query(
            "/* across organizations: campaign sender */ UPDATE campaign_recipients SET status = $1, reason = $2, attempts = attempts + 1, claimed_at = NULL, \
             next_attempt_at = COALESCE($3, next_attempt_at) WHERE id = $4",
        )
        .bind(if retry_at.is_some() { "queued" } else { "failed" })
        .bind(reason)
        .bind(retry_at.map(ts))
        .bind(recipient_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Campaigns whose time came start sending; those with nothing left queued are done.
    pub async fn advance_campaigns(&self, now: DateTime<Utc>) -> Result<()> {
        let at = ts(now);
        sqlx::query("/* across organizations: campaign scheduler */ UPDATE campaigns SET status = 'sending' WHERE status = 'scheduled' AND scheduled_at <= $1")
            .bind(&at)
            .execute(&self.write)
            .await?;
        sqlx::query(
            "/* across organizations: campaign scheduler */ UPDATE campaigns SET status = 'done', finished_at = $1 WHERE status = 'sending' AND NOT EXISTS \
             (SELECT 1 FROM campaign_recipients r WHERE r.org_id = campaigns.org_id AND r.campaign_id = campaigns.id AND r.status = 'queued')",
        )
        .bind(&at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The customer behind an opt-out link, with the company's name (no login: the token is
    /// the key).
    pub async fn unsubscribe_target(&self, digest: &str) -> Result<(String, String, bool)> {
        let row = sqlx::query(
            "/* across organizations: unsubscribe link */ SELECT c.name, g.name, c.opted_out_at FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id AND c.org_id = r.org_id \
             JOIN organizations g ON g.id = r.org_id WHERE r.unsubscribe_digest = $1",
        )
        .bind(digest)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get::<Option<String>, _>(2)?.is_some(),
        ))
    }

    /// The customer opts out of every campaign through their link (idempotent); audited.
    pub async fn unsubscribe(&self, digest: &str, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "/* across organizations: unsubscribe link */ SELECT r.org_id, r.customer_id FROM campaign_recipients r WHERE r.unsubscribe_digest = $1",
        )
        .bind(digest)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (org_id, customer_id): (i64, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
        let customer_id = customer_id.ok_or(StoreError::NotFound)?;
        let n = sqlx::query(
            "UPDATE customers SET opted_out_at = $1 WHERE org_id = $3 AND id = $2 AND opted_out_at IS NULL",
        )
        .bind(ts(now))
        .bind(customer_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // Nothing more goes to them from campaigns already queued.
        sqlx::query("UPDATE campaign_recipients SET status = 'opted_out' WHERE org_id = $2 AND customer_id = $1 AND status = 'queued'")
            .bind(customer_id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        if n == 1 {
            crate::audit::record(
                &mut tx,
                org_id,
                None,
                "customer",
                customer_id,
                "update",
                &[FieldChange {
                    field: "opted_out".into(),
                    before: Some("false".into()),
                    after: Some("true".into()),
                }],
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Staff record a customer's wish (given on the phone, or "T" replied to an SMS): no more
    /// campaign messages, or again.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_customer_opt_out(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        opted_out: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        customer_scope_check(&mut tx, viewer, customer_id).await?;
        let before: Option<String> =
            sqlx::query("SELECT opted_out_at FROM customers WHERE org_id = $2 AND id = $1")
                .bind(customer_id)
                .bind(viewer.org_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        if before.is_some() != opted_out {
            sqlx::query("UPDATE customers SET opted_out_at = $1 WHERE org_id = $3 AND id = $2")
                .bind(opted_out.then(|| ts(now)))
                .bind(customer_id)
                .bind(viewer.org_id)
                .execute(&mut *tx)
                .await?;
            if opted_out {
                sqlx::query("UPDATE campaign_recipients SET status = 'opted_out' WHERE org_id = $2 AND customer_id = $1 AND status = 'queued'")
                    .bind(customer_id)
                    .bind(viewer.org_id)
                    .execute(&mut *tx)
                    .await?;
            }
            Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "customer",
                    customer_id,
                    "update",
                    &[FieldChange {
                        field: "opted_out".into(),
                        before: Some(before.is_some().to_string()),
                        after: Some(opted_out.to_string()),
                    }],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A contact asked not to be contacted by campaigns (or again may be).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_contact_do_not_contact(
        &self,
        viewer: &Viewer,
        contact_id: i64,
        flag: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "SELECT customer_id, do_not_contact FROM contacts WHERE org_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(viewer.org_id)
        .bind(contact_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let customer_id: i64 = row.try_get(0)?;
        customer_scope_check(&mut tx, viewer, customer_id).await?;
        let before = row.try_get::<i64, _>(1)? != 0;
        if before != flag {
            sqlx::query("UPDATE contacts SET do_not_contact = $1 WHERE org_id = $3 AND id = $2")
                .bind(i64::from(flag))
                .bind(contact_id)
                .bind(viewer.org_id)
                .execute(&mut *tx)
                .await?;
            Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "contact",
                    contact_id,
                    "update",
                    &[FieldChange {
                        field: "do_not_contact".into(),
                        before: Some(before.to_string()),
                        after: Some(flag.to_string()),
                    }],
                )
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Letters of a campaign, a page at a time, with what fills them.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn campaign_letters(
        &self,
        viewer: &Viewer,
        id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<(String, BTreeMap<&'static str, String>)>> {
        self.campaign(viewer, id).await?;
        let rows = sqlx::query(
            &format!("SELECT r.address, {MERGE_COLUMNS} \
             FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id AND c.org_id = r.org_id JOIN organizations g ON g.id = r.org_id \
             LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE r.org_id = $4 AND r.campaign_id = $1 AND r.status = 'sent' AND r.test = 0 \
             ORDER BY r.id LIMIT $2 OFFSET $3"),
        )
        .bind(id)
        .bind(limit.clamp(1, 500))
        .bind(offset.max(0))
        .bind(viewer.org_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<String>, _>("address")?
                        .unwrap_or_default(),
                    merge_values(r)?,
                ))
            })
            .collect()
    }
}
