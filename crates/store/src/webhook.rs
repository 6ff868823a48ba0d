//! Webhooks and group robots (`domain::webhook`): endpoints kept by admins, deliveries queued
//! in the transaction of the change they report, claimed by one server at a time, retried with
//! back-off, logged with the receiver's answer; an endpoint that keeps failing is paused and
//! its company's admins told.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::{diff, FieldChange, Snapshot};
use yingpan_domain::person::Locale;
use yingpan_domain::webhook::{
    pauses, response_excerpt, retry_at, EndpointUrl, Event, Format, Subscription,
};
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub format: String,
    pub events: Vec<String>,
    pub team_head_id: Option<i64>,
    pub team_head_name: Option<String>,
    pub locale: String,
    /// Whether deliveries are signed (a plain webhook always is; a robot when its platform's
    /// secret was given). The secret itself is shown once, when it is made.
    pub signed: bool,
    pub allow_private: bool,
    /// Failed attempts in a row.
    pub failures: i64,
    pub paused_at: Option<String>,
    pub pause_reason: Option<String>,
    pub created_at: String,
    pub version: i64,
    pub pending: i64,
    pub failed: i64,
}

/// An endpoint as its admin writes it.
#[derive(Debug, Clone)]
pub struct WebhookFields {
    pub name: String,
    pub url: EndpointUrl,
    pub format: Format,
    pub events: Vec<Event>,
    pub team_head_id: Option<i64>,
    pub locale: Locale,
    /// For robots: the platform's signing secret (DingTalk 加签, Feishu 签名校验), if any.
    /// Ignored for plain webhooks, whose secret Yingpan makes.
    pub robot_secret: Option<String>,
    pub allow_private: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub event: String,
    pub occurred_at: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    pub response_status: Option<i64>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub delivered_at: Option<String>,
    pub data: Value,
}

/// A delivery claimed for sending, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct OutgoingDelivery {
    pub id: i64,
    pub org_id: i64,
    pub webhook_id: i64,
    pub event: Event,
    pub data: Value,
    pub occurred_at: String,
    pub attempts: i64,
    pub url: String,
    pub format: Format,
    pub secret: String,
    pub allow_private: bool,
    pub locale: Locale,
}

/// What came of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivered: bool,
    pub status: Option<u16>,
    pub body: String,
    pub error: Option<String>,
}

const COLUMNS: &str = "w.id, w.name, w.url, w.format, w.events, w.team_head_id, h.display_name AS team_head_name, \
    w.locale, w.secret, w.allow_private, w.failures, w.paused_at, w.pause_reason, w.created_at, w.version, \
    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.org_id = w.org_id AND d.webhook_id = w.id AND d.status = 'pending') AS pending, \
    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.org_id = w.org_id AND d.webhook_id = w.id AND d.status = 'failed') AS failed";
/// Whether the viewer keeps only their teams' robots (`Action::ManageTeamRobots`) rather than
/// every endpoint (`Action::ManageWebhooks`).
fn robots_only(viewer: &Viewer) -> bool {
    !yingpan_domain::permission::allows(
        viewer.role,
        yingpan_domain::permission::Action::ManageWebhooks,
        &Default::default(),
    )
}

/// The endpoints within the viewer's reach, as a query to continue.
fn reach(viewer: &Viewer) -> crate::sql::Sql {
    let mut sql = crate::sql::Sql::new(&format!(
        "SELECT {COLUMNS} FROM webhooks w LEFT JOIN users h ON h.id = w.team_head_id AND h.org_id = w.org_id WHERE w.org_id = "
    ));
    sql.bind(viewer.org_id).push(" AND w.deleted_at IS NULL");
    if robots_only(viewer) {
        sql.push(" AND w.format <> 'json' AND");
        crate::sql::push_in_scope(&mut sql, viewer, "w.team_head_id");
    }
    sql
}

fn from_row(r: &AnyRow) -> Result<Webhook> {
    let events: String = r.try_get("events")?;
    Ok(Webhook {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        format: r.try_get("format")?,
        events: events.split_whitespace().map(str::to_string).collect(),
        team_head_id: r.try_get("team_head_id")?,
        team_head_name: r.try_get("team_head_name")?,
        locale: r.try_get("locale")?,
        signed: !r.try_get::<String, _>("secret")?.is_empty(),
        allow_private: r.try_get::<i64, _>("allow_private")? != 0,
        failures: r.try_get("failures")?,
        paused_at: r.try_get("paused_at")?,
        pause_reason: r.try_get("pause_reason")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
        pending: r.try_get("pending")?,
        failed: r.try_get("failed")?,
    })
}

fn events_column(events: &[Event]) -> String {
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    format!(" {} ", names.join(" "))
}

fn snapshot(w: &WebhookFields) -> Snapshot {
    vec![
        ("name", Some(w.name.clone())),
        ("url", Some(w.url.as_str().to_string())),
        ("format", Some(w.format.as_str().to_string())),
        ("events", Some(events_column(&w.events).trim().to_string())),
        ("team_head_id", w.team_head_id.map(|v| v.to_string())),
        ("locale", Some(w.locale.as_str().to_string())),
        ("allow_private", Some(w.allow_private.to_string())),
    ]
}

fn stored_snapshot(w: &Webhook) -> Snapshot {
    vec![
        ("name", Some(w.name.clone())),
        ("url", Some(w.url.clone())),
        ("format", Some(w.format.clone())),
        ("events", Some(w.events.join(" "))),
        ("team_head_id", w.team_head_id.map(|v| v.to_string())),
        ("locale", Some(w.locale.clone())),
        ("allow_private", Some(w.allow_private.to_string())),
    ]
}

/// A fresh signing secret for a plain webhook.
fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("whsec_{hex}")
}

/// The person first, then each superior up to the top.
async fn line_of(tx: &mut Transaction<'_, Any>, org_id: i64, person: i64) -> Result<Vec<i64>> {
    let mut line = vec![person];
    let mut at = person;
    // The reporting line is acyclic (checked when it is written); the bound is a guard.
    for _ in 0..64 {
        let up: Option<i64> =
            sqlx::query("SELECT superior_id FROM users WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(at)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .flatten();
        match up {
            Some(s) if !line.contains(&s) => {
                line.push(s);
                at = s;
            }
            _ => break,
        }
    }
    Ok(line)
}

/// Queues `event` for every endpoint of the organization that takes it, in the transaction of
/// the change it reports. `person` is whose event it is (the owner, the salesperson, the
/// author), for team endpoints; `customer`, when given, is named in the data. Costs one
/// indexed query when no endpoint takes the event.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn emit(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    event: Event,
    person: Option<i64>,
    customer: Option<i64>,
    mut data: Value,
    now: DateTime<Utc>,
) -> Result<()> {
    let hooks = sqlx::query(
        "SELECT id, team_head_id FROM webhooks WHERE org_id = $1 AND deleted_at IS NULL AND events LIKE $2",
    )
    .bind(org_id)
    .bind(format!("% {} %", event.as_str()))
    .fetch_all(&mut **tx)
    .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let line = match person {
        Some(p) => line_of(tx, org_id, p).await?,
        None => Vec::new(),
    };
    let mut targets = Vec::new();
    for h in &hooks {
        let sub = Subscription {
            events: vec![event],
            team_head: h.try_get("team_head_id")?,
        };
        if sub.wants(event, &line) {
            targets.push(h.try_get::<i64, _>("id")?);
        }
    }
    if targets.is_empty() {
        return Ok(());
    }
    if !data.is_object() {
        data = json!({});
    }
    for (key, id, sql) in [
        (
            "person",
            person,
            "SELECT display_name FROM users WHERE org_id = $1 AND id = $2",
        ),
        (
            "customer",
            customer,
            "SELECT name FROM customers WHERE org_id = $1 AND id = $2",
        ),
    ] {
        let Some(id) = id else { continue };
        let name: Option<String> = sqlx::query(sql)
            .bind(org_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        data[key] = json!({"id": id, "name": name});
    }
    for id in targets {
        queue(tx, org_id, id, event, &data, now).await?;
    }
    Ok(())
}

/// After a recycle run: one `ownership.changed` per customer it returned to the pool at `now`,
/// read back only when some endpoint takes the event.
pub(crate) async fn emit_recycled(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let any = sqlx::query(
        "SELECT COUNT(*) FROM webhooks WHERE org_id = $1 AND deleted_at IS NULL AND events LIKE $2",
    )
    .bind(org_id)
    .bind(format!("% {} %", Event::OwnershipChanged.as_str()))
    .fetch_one(&mut **tx)
    .await?
    .try_get::<i64, _>(0)?;
    if any == 0 {
        return Ok(());
    }
    let moved = sqlx::query(
        "SELECT customer_id, from_user_id FROM ownership_changes WHERE org_id = $1 AND reason = 'recycle' AND changed_at = $2",
    )
    .bind(org_id)
    .bind(ts(now))
    .fetch_all(&mut **tx)
    .await?;
    for r in moved {
        let from: Option<i64> = r.try_get("from_user_id")?;
        emit(
            tx,
            org_id,
            Event::OwnershipChanged,
            from,
            Some(r.try_get("customer_id")?),
            json!({"reason": "recycle", "from_user_id": from, "to_user_id": null}),
            now,
        )
        .await?;
    }
    Ok(())
}

async fn queue(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    webhook_id: i64,
    event: Event,
    data: &Value,
    now: DateTime<Utc>,
) -> Result<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO webhook_deliveries (org_id, webhook_id, event, data, occurred_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(org_id)
    .bind(webhook_id)
    .bind(event.as_str())
    .bind(data.to_string())
    .bind(ts(now))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(id)
}

impl Store {
    /// The endpoints the viewer keeps, newest first: all of them for whoever manages webhooks,
    /// otherwise the group robots of teams within the viewer's scope.
    pub async fn webhooks(&self, viewer: &Viewer) -> Result<Vec<Webhook>> {
        let mut sql = reach(viewer);
        sql.push(" ORDER BY w.id DESC");
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    pub async fn webhook(&self, viewer: &Viewer, id: i64) -> Result<Webhook> {
        let mut sql = reach(viewer);
        sql.push(" AND w.id = ").bind(id);
        let r = sql
            .query()
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&r)
    }

    async fn check_fields(
        &self,
        tx: &mut Transaction<'_, Any>,
        viewer: &Viewer,
        w: &WebhookFields,
    ) -> Result<()> {
        let org_id = viewer.org_id;
        w.url.check_reachable(w.allow_private)?;
        if robots_only(viewer) {
            // A manager keeps the robots of their own teams, on the internet.
            if !w.format.is_robot() {
                return Err(ValidationError::new(
                    "format",
                    "robots_only",
                    "you may add the group robots of your teams; webhooks are the admin's",
                )
                .into());
            }
            if w.allow_private {
                return Err(ValidationError::new(
                    "allow_private",
                    "admin_only",
                    "only an admin may allow private addresses",
                )
                .into());
            }
            let in_reach = match w.team_head_id {
                Some(head) => crate::sql::active_person(tx, viewer, head, false).await?,
                None => false,
            };
            if !in_reach {
                return Err(ValidationError::new(
                    "team_head_id",
                    "invalid_owner",
                    "choose a team within your own",
                )
                .into());
            }
        }
        if let Some(head) = w.team_head_id {
            crate::sql::require_ref(
                tx,
                org_id,
                "users",
                head,
                Some(("active", 1)),
                ValidationError::new("team_head_id", "unknown_person", "no such active person"),
            )
            .await?;
        }
        Ok(())
    }

    /// Adds an endpoint; returns it with its signing secret (shown this once for a plain
    /// webhook).
    pub async fn create_webhook(
        &self,
        viewer: &Viewer,
        w: &WebhookFields,
        now: DateTime<Utc>,
    ) -> Result<(Webhook, String)> {
        let mut tx = self.write.begin().await?;
        self.check_fields(&mut tx, viewer, w).await?;
        let secret = match w.format {
            Format::Json => new_secret(),
            _ => w.robot_secret.clone().unwrap_or_default(),
        };
        let id: i64 = sqlx::query(
            "INSERT INTO webhooks (org_id, name, url, format, events, team_head_id, locale, secret, allow_private, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(&w.name)
        .bind(w.url.as_str())
        .bind(w.format.as_str())
        .bind(events_column(&w.events))
        .bind(w.team_head_id)
        .bind(w.locale.as_str())
        .bind(&secret)
        .bind(i64::from(w.allow_private))
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(&mut tx, "webhook", id, "create", &diff(&[], &snapshot(w)))
            .await?;
        tx.commit().await?;
        Ok((self.webhook(viewer, id).await?, secret))
    }

    /// Changes an endpoint written at `version`. A robot's secret changes only when a new one
    /// is given.
    pub async fn update_webhook(
        &self,
        viewer: &Viewer,
        id: i64,
        version: i64,
        w: &WebhookFields,
        now: DateTime<Utc>,
    ) -> Result<Webhook> {
        let before = self.webhook(viewer, id).await?;
        let mut tx = self.write.begin().await?;
        self.check_fields(&mut tx, viewer, w).await?;
        if before.format != w.format.as_str()
            && (w.format == Format::Json || before.format == "json")
        {
            return Err(ValidationError::new(
                "format",
                "format_fixed",
                "a plain webhook and a robot cannot turn into each other; add a new endpoint",
            )
            .into());
        }
        let secret = w.robot_secret.clone().filter(|_| w.format.is_robot());
        let n = sqlx::query(
            "UPDATE webhooks SET name = $1, url = $2, format = $3, events = $4, team_head_id = $5, locale = $6, \
             allow_private = $7, secret = COALESCE($8, secret), updated_at = $9, version = version + 1 \
             WHERE org_id = $10 AND id = $11 AND version = $12 AND deleted_at IS NULL",
        )
        .bind(&w.name)
        .bind(w.url.as_str())
        .bind(w.format.as_str())
        .bind(events_column(&w.events))
        .bind(w.team_head_id)
        .bind(w.locale.as_str())
        .bind(i64::from(w.allow_private))
        .bind(secret)
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "webhook",
                id,
                "update",
                &diff(&stored_snapshot(&before), &snapshot(w)),
            )
            .await?;
        tx.commit().await?;
        self.webhook(viewer, id).await
    }

    /// Removes an endpoint (kept, with its log, for the audit trail); what it had not sent is
    /// not sent.
    pub async fn delete_webhook(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<()> {
        let before = self.webhook(viewer, id).await?;
        let mut tx = self.write.begin().await?;
        sqlx::query("UPDATE webhooks SET deleted_at = $1, version = version + 1 WHERE org_id = $2 AND id = $3")
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "webhook",
                id,
                "delete",
                &diff(&stored_snapshot(&before), &[]),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Pauses an endpoint by hand, or resumes one: a resumed endpoint starts its failure count
    /// afresh and sends what waited at once.
    pub async fn set_webhook_paused(
        &self,
        viewer: &Viewer,
        id: i64,
        paused: bool,
        now: DateTime<Utc>,
    ) -> Result<Webhook> {
        let before = self.webhook(viewer, id).await?;
        let mut tx = self.write.begin().await?;
        if paused {
            sqlx::query(
                "UPDATE webhooks SET paused_at = COALESCE(paused_at, $1), pause_reason = COALESCE(pause_reason, 'manual'), version = version + 1 \
                 WHERE org_id = $2 AND id = $3",
            )
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE webhooks SET paused_at = NULL, pause_reason = NULL, failures = 0, version = version + 1 \
                 WHERE org_id = $1 AND id = $2",
            )
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_at = $1 WHERE org_id = $2 AND webhook_id = $3 AND status = 'pending'",
            )
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "webhook",
                id,
                if paused { "pause" } else { "resume" },
                &[FieldChange {
                    field: "paused".into(),
                    before: Some(before.paused_at.is_some().to_string()),
                    after: Some(paused.to_string()),
                }],
            )
            .await?;
        tx.commit().await?;
        self.webhook(viewer, id).await
    }

    /// Queues a test message to one endpoint.
    pub async fn ping_webhook(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<i64> {
        self.webhook(viewer, id).await?;
        let mut tx = self.write.begin().await?;
        let data = json!({"person": {"id": viewer.user_id}});
        let d = queue(&mut tx, viewer.org_id, id, Event::Ping, &data, now).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Sends a delivery again, as a new delivery of the same event and data (the log keeps
    /// both).
    pub async fn redeliver(
        &self,
        viewer: &Viewer,
        webhook_id: i64,
        delivery_id: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        self.webhook(viewer, webhook_id).await?;
        let mut tx = self.write.begin().await?;
        let r = sqlx::query(
            "SELECT event, data FROM webhook_deliveries WHERE org_id = $1 AND webhook_id = $2 AND id = $3",
        )
        .bind(viewer.org_id)
        .bind(webhook_id)
        .bind(delivery_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let event = Event::parse(&r.try_get::<String, _>("event")?)
            .ok_or_else(|| StoreError::Corrupt("webhook delivery event".into()))?;
        let data: Value = serde_json::from_str(&r.try_get::<String, _>("data")?)
            .map_err(|e| StoreError::Corrupt(format!("webhook delivery data: {e}")))?;
        let d = queue(&mut tx, viewer.org_id, webhook_id, event, &data, now).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// An endpoint's deliveries, newest first; `status` narrows to pending, delivered or failed.
    pub async fn webhook_deliveries(
        &self,
        org_id: i64,
        webhook_id: i64,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Delivery>> {
        let mut sql = crate::sql::Sql::new(
            "SELECT id, event, data, occurred_at, status, attempts, next_attempt_at, last_attempt_at, response_status, \
             response_body, error, delivered_at FROM webhook_deliveries WHERE org_id = ",
        );
        sql.bind(org_id).push(" AND webhook_id = ").bind(webhook_id);
        if let Some(s) = status {
            sql.push(" AND status = ").bind(s.to_string());
        }
        sql.push(" ORDER BY id DESC LIMIT ").bind(limit);
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(Delivery {
                    id: r.try_get("id")?,
                    event: r.try_get("event")?,
                    occurred_at: r.try_get("occurred_at")?,
                    next_attempt_at: r
                        .try_get::<Option<String>, _>("next_attempt_at")?
                        .filter(|_| status == "pending"),
                    status,
                    attempts: r.try_get("attempts")?,
                    last_attempt_at: r.try_get("last_attempt_at")?,
                    response_status: r.try_get("response_status")?,
                    response_body: r.try_get("response_body")?,
                    error: r.try_get("error")?,
                    delivered_at: r.try_get("delivered_at")?,
                    data: serde_json::from_str(&r.try_get::<String, _>("data")?)
                        .unwrap_or(Value::Null),
                })
            })
            .collect()
    }

    /// Announces the day plans that are overdue (`domain::visit_plan::plan_overdue`): once per
    /// salesperson and day, to the organizations that have an endpoint for `plan.overdue`;
    /// someone absent that day is not announced. Returns how many were.
    pub async fn announce_overdue_plans(&self, now: DateTime<Utc>) -> Result<usize> {
        use yingpan_domain::visit_plan::{china_offset, plan_overdue};
        let today = now.with_timezone(&china_offset()).date_naive();
        if !plan_overdue(today, now, china_offset()) {
            return Ok(0);
        }
        let day = today.to_string();
        let orgs: Vec<i64> = sqlx::query(
            "/* across organizations: overdue-plan sweep */ SELECT DISTINCT org_id FROM webhooks WHERE deleted_at IS NULL AND events LIKE $1",
        )
        .bind(format!("% {} %", Event::PlanOverdue.as_str()))
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()?;
        let mut announced = 0;
        for org in orgs {
            let mut tx = self.write.begin().await?;
            let people: Vec<i64> = sqlx::query(
                "SELECT u.id FROM users u WHERE u.org_id = $1 AND u.active = 1 AND u.role = 'sales' \
                 AND NOT EXISTS (SELECT 1 FROM visit_plans p WHERE p.org_id = u.org_id AND p.user_id = u.id AND p.plan_date = $2 AND p.status <> 'draft') \
                 AND NOT EXISTS (SELECT 1 FROM absences a WHERE a.org_id = u.org_id AND a.user_id = u.id AND a.starts_on <= $2 AND a.ends_on >= $2) \
                 ORDER BY u.id",
            )
            .bind(org)
            .bind(&day)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?;
            for person in people {
                // Several servers may sweep at once: whoever writes the notice announces.
                let n = sqlx::query(
                    "INSERT INTO plan_overdue_notices (org_id, user_id, plan_date, created_at) \
                     SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM plan_overdue_notices \
                     WHERE org_id = $1 AND user_id = $2 AND plan_date = $3)",
                )
                .bind(org)
                .bind(person)
                .bind(&day)
                .bind(ts(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 1 {
                    emit(
                        &mut tx,
                        org,
                        Event::PlanOverdue,
                        Some(person),
                        None,
                        json!({"date": day}),
                        now,
                    )
                    .await?;
                    announced += 1;
                }
            }
            tx.commit().await?;
        }
        Ok(announced)
    }

    /// Claims up to `limit` deliveries that are due, of endpoints neither paused nor removed,
    /// for this server. A claim older than five minutes (its server died) is taken over.
    pub async fn claim_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutgoingDelivery>> {
        let at = ts(now);
        let stale = ts(now - Duration::minutes(5));
        let mut tx = self.write.begin().await?;
        let rows = sqlx::query(
            "/* across organizations: webhook sender */ SELECT d.id, d.org_id, d.webhook_id, d.event, d.data, d.occurred_at, d.attempts, w.url, w.format, w.secret, \
             w.allow_private, w.locale FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.org_id = d.org_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_at IS NULL OR d.claimed_at < $2) \
             AND w.paused_at IS NULL AND w.deleted_at IS NULL ORDER BY d.next_attempt_at, d.id LIMIT $3",
        )
        .bind(&at)
        .bind(&stale)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let n = sqlx::query(
                "/* across organizations: webhook sender */ UPDATE webhook_deliveries SET claimed_at = $1 WHERE id = $2 AND status = 'pending' AND (claimed_at IS NULL OR claimed_at < $3)",
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
            let corrupt =
                |what: &str| StoreError::Corrupt(format!("webhook delivery {id}: {what}"));
            out.push(OutgoingDelivery {
                id,
                org_id: r.try_get("org_id")?,
                webhook_id: r.try_get("webhook_id")?,
                event: Event::parse(&r.try_get::<String, _>("event")?)
                    .ok_or_else(|| corrupt("event"))?,
                data: serde_json::from_str(&r.try_get::<String, _>("data")?)
                    .map_err(|_| corrupt("data"))?,
                occurred_at: r.try_get("occurred_at")?,
                attempts: r.try_get("attempts")?,
                url: r.try_get("url")?,
                format: Format::parse(&r.try_get::<String, _>("format")?)
                    .map_err(|_| corrupt("format"))?,
                secret: r.try_get("secret")?,
                allow_private: r.try_get::<i64, _>("allow_private")? != 0,
                locale: Locale::parse(&r.try_get::<String, _>("locale")?).unwrap_or(Locale::ZhCn),
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records an attempt: delivered, to be retried (`domain::webhook::retry_at`), or given up.
    /// A failure counts against the endpoint; one failure too many pauses it, on the audit
    /// trail, with an e-mail to the company's admins when `email`.
    pub async fn record_webhook_attempt(
        &self,
        d: &OutgoingDelivery,
        attempt: &Attempt,
        email: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let attempts = d.attempts + 1;
        let mut tx = self.write.begin().await?;
        let (status, next) = if attempt.delivered {
            ("delivered", None)
        } else {
            match retry_at(attempts as u32, now) {
                Some(at) => ("pending", Some(at)),
                None => ("failed", None),
            }
        };
        sqlx::query(
            "/* across organizations: webhook sender */ UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = COALESCE($3, next_attempt_at), \
             claimed_at = NULL, last_attempt_at = $4, response_status = $5, response_body = $6, error = $7, \
             delivered_at = $8 WHERE id = $9",
        )
        .bind(status)
        .bind(attempts)
        .bind(next.map(ts))
        .bind(ts(now))
        .bind(attempt.status.map(i64::from))
        .bind(response_excerpt(&attempt.body))
        .bind(attempt.error.clone())
        .bind(attempt.delivered.then(|| ts(now)))
        .bind(d.id)
        .execute(&mut *tx)
        .await?;
        if attempt.delivered {
            sqlx::query("/* across organizations: webhook sender */ UPDATE webhooks SET failures = 0 WHERE id = $1")
                .bind(d.webhook_id)
                .execute(&mut *tx)
                .await?;
        } else {
            let r = sqlx::query(
                "/* across organizations: webhook sender */ UPDATE webhooks SET failures = failures + 1 WHERE id = $1 RETURNING failures, paused_at, name",
            )
            .bind(d.webhook_id)
            .fetch_one(&mut *tx)
            .await?;
            let failures: i64 = r.try_get("failures")?;
            let paused: Option<String> = r.try_get("paused_at")?;
            if paused.is_none() && pauses(failures as u32) {
                let name: String = r.try_get("name")?;
                self.pause_failing(&mut tx, d, &name, failures, email, now)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn pause_failing(
        &self,
        tx: &mut Transaction<'_, Any>,
        d: &OutgoingDelivery,
        name: &str,
        failures: i64,
        email: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "/* across organizations: webhook sender */ UPDATE webhooks SET paused_at = $1, pause_reason = 'failing', version = version + 1 WHERE id = $2",
        )
        .bind(ts(now))
        .bind(d.webhook_id)
        .execute(&mut **tx)
        .await?;
        crate::audit::record(
            tx,
            d.org_id,
            None,
            "webhook",
            d.webhook_id,
            "pause",
            &[FieldChange {
                field: "failures".into(),
                before: None,
                after: Some(failures.to_string()),
            }],
            now,
        )
        .await?;
        if email {
            let admins = sqlx::query(
                "SELECT email, locale FROM users WHERE org_id = $1 AND role = 'admin' AND active = 1 AND email IS NOT NULL AND email <> ''",
            )
            .bind(d.org_id)
            .fetch_all(&mut **tx)
            .await?;
            for a in admins {
                let address: String = a.try_get("email")?;
                let zh = a.try_get::<String, _>("locale")? != "en";
                let (subject, body) = if zh {
                    (
                        format!("营盘：推送地址「{name}」已暂停"),
                        format!(
                            "推送地址「{name}」连续 {failures} 次投递失败，已暂停；未发送的消息会保留。\n\
                             请检查接收方后在 /admin/webhooks/{} 恢复推送。",
                            d.webhook_id
                        ),
                    )
                } else {
                    (
                        format!("Yingpan: webhook \"{name}\" paused"),
                        format!(
                            "The webhook \"{name}\" failed {failures} times in a row and was paused; \
                             what it has not sent is kept.\nCheck the receiver, then resume it at /admin/webhooks/{}.",
                            d.webhook_id
                        ),
                    )
                };
                crate::outbox::enqueue(tx, d.org_id, &address, &subject, &body, now).await?;
            }
        }
        Ok(())
    }
}
