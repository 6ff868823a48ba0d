//! Logged contacts with a customer (calls, visits, e-mails, meetings). Each one restarts the
//! owner's protection clock, at the server's time of logging.

use crate::customer_scope_check;
use crate::{ts, Result, Store, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Call,
    Visit,
    Email,
    Meeting,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 4] = [Self::Call, Self::Visit, Self::Email, Self::Meeting];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Visit => "visit",
            Self::Email => "email",
            Self::Meeting => "meeting",
        }
    }
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "kind",
                    "invalid_choice",
                    "must be one of call, visit, email, meeting",
                )
            })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub id: i64,
    pub customer_id: i64,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub kind: String,
    pub summary: String,
    pub outcome: Option<String>,
    pub next_step: Option<String>,
    /// Where a visit checked in (text, e.g. an address or a place name).
    pub location: Option<String>,
    /// A call: whether it reached the person called.
    pub reached: Option<bool>,
    /// A visit or meeting: what it was for (`domain::funnel::Purpose`).
    pub purpose: Option<String>,
    /// How long a call, visit or meeting took.
    pub duration_minutes: Option<i64>,
    /// The browser's position at check-in, decimal degrees.
    pub latitude: Option<String>,
    pub longitude: Option<String>,
    pub occurred_at: String,
}

/// What else is recorded with an activity.
#[derive(Debug, Clone, Default)]
pub struct ActivityDetails {
    pub outcome: Option<String>,
    pub next_step: Option<String>,
    pub location: Option<String>,
    pub reached: Option<bool>,
    pub purpose: Option<String>,
    pub duration_minutes: Option<i64>,
    pub position: Option<yingpan_domain::geo::Position>,
    /// Objections met on the contact (`domain::objection`), at most a few.
    pub objections: Vec<yingpan_domain::objection::Encounter>,
    /// Who followed up, when not the person recording it (an import of another system's
    /// history); within the recorder's team.
    pub author: Option<i64>,
    /// The other system's id of an imported follow-up.
    pub external_id: Option<String>,
}

impl Activity {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            user_id: r.try_get("user_id")?,
            user_name: r.try_get("user_name")?,
            kind: r.try_get("kind")?,
            summary: r.try_get("summary")?,
            outcome: r.try_get("outcome")?,
            next_step: r.try_get("next_step")?,
            location: r.try_get("location")?,
            reached: r.try_get::<Option<i64>, _>("reached")?.map(|r| r != 0),
            purpose: r.try_get("purpose")?,
            duration_minutes: r.try_get("duration_minutes")?,
            latitude: r.try_get("latitude")?,
            longitude: r.try_get("longitude")?,
            occurred_at: r.try_get("occurred_at")?,
        })
    }
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn log_activity(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        kind: ActivityKind,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<Activity> {
        self.log_activity_with(
            viewer,
            customer_id,
            kind,
            summary,
            &ActivityDetails::default(),
            now,
        )
        .await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn log_activity_with(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        kind: ActivityKind,
        summary: &str,
        details: &ActivityDetails,
        now: DateTime<Utc>,
    ) -> Result<Activity> {
        let mut tx = self.write.begin().await?;
        let id = insert_activity(&mut tx, viewer, customer_id, kind, summary, details, now).await?;
        let row = sqlx::query(
            "SELECT a.id, a.customer_id, a.user_id, u.display_name AS user_name, a.kind, a.summary, a.outcome, a.next_step, a.location, a.reached, a.purpose, a.duration_minutes, a.latitude, a.longitude, a.occurred_at \
             FROM activities a LEFT JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id WHERE a.id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Activity::from_row(&row)
    }
}

/// Recomputes the latest follow-up kept on `customers` (migration 0049) from their activities:
/// after activities move between customers (a merge, its undo), which the insert trigger does
/// not see.
pub(crate) async fn refresh_last_activity(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    customers: &[i64],
) -> Result<()> {
    for id in customers {
        sqlx::query(
            "UPDATE customers SET \
             last_activity_at = COALESCE((SELECT MAX(a.occurred_at) FROM activities a WHERE a.org_id = $1 AND a.customer_id = $2), ''), \
             last_activity_kind = (SELECT a.kind FROM activities a WHERE a.org_id = $1 AND a.customer_id = $2 ORDER BY a.occurred_at DESC, a.id DESC LIMIT 1) \
             WHERE org_id = $1 AND id = $2",
        )
        .bind(org_id)
        .bind(*id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes a contact with a customer in the viewer's scope inside `tx`, with all it sets off:
/// the protection clock, the tier's next call or visit, the visit rollup. Returns its id.
pub(crate) async fn insert_activity(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    viewer: &Viewer,
    customer_id: i64,
    kind: ActivityKind,
    summary: &str,
    details: &ActivityDetails,
    now: DateTime<Utc>,
) -> Result<i64> {
    let outcome =
        yingpan_domain::customer::optional_text("outcome", details.outcome.as_deref(), 2000)?;
    let next_step =
        yingpan_domain::customer::optional_text("next_step", details.next_step.as_deref(), 1000)?;
    let location =
        yingpan_domain::customer::optional_text("location", details.location.as_deref(), 300)?;
    let purpose = yingpan_domain::funnel::check_details(
        kind.as_str(),
        details.reached,
        details.purpose.as_deref(),
    )?;
    let duration = yingpan_domain::funnel::check_duration(kind.as_str(), details.duration_minutes)?;
    let summary = summary.trim();
    if summary.is_empty() {
        return Err(ValidationError::new("summary", "required", "must not be empty").into());
    }
    if summary.chars().count() > 2000 {
        return Err(
            ValidationError::new("summary", "too_long", "must be at most 2000 characters").into(),
        );
    }
    customer_scope_check(tx, viewer, customer_id).await?;
    let author = details.author.unwrap_or(viewer.user_id);
    // Recorded after the fact (an import): the cadence's next due date only moves forward.
    let backdated = details.author.is_some() || details.external_id.is_some();
    let at = ts(now);
    let visit = kind == ActivityKind::Visit;
    let ordered =
        visit && crate::rollup::ordered_in_month(tx, viewer.org_id, customer_id, &at).await?;
    let id: i64 = sqlx::query(
            "INSERT INTO activities (org_id, customer_id, user_id, kind, summary, occurred_at, outcome, next_step, location, reached, purpose, duration_minutes, customer_ordered, latitude, longitude, external_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(author)
        .bind(kind.as_str())
        .bind(summary)
        .bind(&at)
        .bind(outcome)
        .bind(next_step)
        .bind(location)
        .bind(details.reached.map(i64::from))
        .bind(purpose.map(|p| p.as_str()))
        .bind(duration)
        .bind(i64::from(ordered))
        .bind(details.position.map(|p| p.latitude.to_string()))
        .bind(details.position.map(|p| p.longitude.to_string()))
        .bind(details.external_id.clone())
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    crate::objection::record_encounters(tx, viewer, id, &details.objections, &at).await?;
    if visit {
        let mut touched = crate::rollup::Touched::default();
        touched.add(author, &at, crate::rollup::Part::Visits)?;
        crate::rollup::refresh(tx, viewer.org_id, touched).await?;
    }
    let facts = sqlx::query("SELECT owner_id, tier FROM customers WHERE org_id = $1 AND id = $2")
        .bind(viewer.org_id)
        .bind(customer_id)
        .fetch_one(&mut **tx)
        .await?;
    let owner: Option<i64> = facts.try_get(0)?;
    let tier: Option<String> = facts.try_get(1)?;
    if yingpan_domain::ownership::contact_protects(author, owner) {
        // The clock only moves forward (domain::ownership::next_last_contact).
        sqlx::query(
                "UPDATE customers SET last_contact_at = $1 WHERE org_id = $2 AND id = $3 AND last_contact_at < $1",
            )
            .bind(&at)
            .bind(viewer.org_id)
            .bind(customer_id)
            .execute(&mut **tx)
            .await?;
    }
    // A call or visit on a tiered customer schedules the next one by the tier's cadence,
    // whoever made it: the customer was contacted.
    if let Some(tier) = tier.and_then(|t| yingpan_domain::qualification::Tier::parse(&t).ok()) {
        let cadence = tier.cadence();
        let column = match kind {
            ActivityKind::Call => Some(("next_call_due", cadence.call_every)),
            ActivityKind::Visit | ActivityKind::Meeting => {
                Some(("next_visit_due", cadence.visit_every))
            }
            ActivityKind::Email => None,
        };
        if let Some((column, every)) = column {
            let forward = if backdated {
                format!(" AND ({column} IS NULL OR {column} < $1)")
            } else {
                String::new()
            };
            sqlx::query(&format!(
                "UPDATE customers SET {column} = $1 WHERE org_id = $2 AND id = $3{forward}"
            ))
            .bind(ts(now + every))
            .bind(viewer.org_id)
            .bind(customer_id)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(id)
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn activities(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        limit: i64,
    ) -> Result<(Vec<Activity>, i64)> {
        let mut tx = self.read.begin().await?;
        customer_scope_check(&mut tx, viewer, customer_id).await?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) FROM activities WHERE org_id = $1 AND customer_id = $2")
                .bind(viewer.org_id)
                .bind(customer_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let rows = sqlx::query(
            "SELECT a.id, a.customer_id, a.user_id, u.display_name AS user_name, a.kind, a.summary, a.outcome, a.next_step, a.location, a.reached, a.purpose, a.duration_minutes, a.latitude, a.longitude, a.occurred_at \
             FROM activities a LEFT JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id \
             WHERE a.org_id = $1 AND a.customer_id = $2 ORDER BY a.occurred_at DESC, a.id DESC LIMIT $3",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((
            rows.iter().map(Activity::from_row).collect::<Result<_>>()?,
            total,
        ))
    }
}

/// A follow-up as an export lists it.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub customer_name: String,
    pub activity: Activity,
}

impl Store {
    /// Follow-ups on the live customers in the viewer's scope with ids above `after`, in id
    /// order: an export reads them all in pages without OFFSET.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn activities_after(
        &self,
        viewer: &Viewer,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ActivityRow>> {
        let mut sql = crate::sql::Sql::new(
            "SELECT a.id, a.customer_id, a.user_id, u.display_name AS user_name, a.kind, a.summary, a.outcome, \
             a.next_step, a.location, a.reached, a.purpose, a.duration_minutes, a.latitude, a.longitude, a.occurred_at, \
             c.name AS customer_name FROM activities a JOIN customers c ON c.id = a.customer_id AND c.org_id = a.org_id \
             LEFT JOIN users u ON u.id = a.user_id AND u.org_id = a.org_id WHERE",
        );
        crate::sql::push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.deleted_at IS NULL AND a.org_id = ")
            .bind(viewer.org_id)
            .push(" AND a.id > ")
            .bind(after)
            .push(" ORDER BY a.id LIMIT ")
            .bind(limit.clamp(1, 10_000));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(ActivityRow {
                    customer_name: r.try_get("customer_name")?,
                    activity: Activity::from_row(r)?,
                })
            })
            .collect()
    }
}
