//! Escalations: a report filed by anyone reaches every superior up the line at once.

use crate::audit::Audit;
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::escalation::{notification_email, superiors_up_the_line, EscalationFields};
use yingpan_domain::person::Locale;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Escalation {
    pub id: i64,
    pub author_id: i64,
    pub author_name: Option<String>,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub subject: String,
    pub body: String,
    pub created_at: String,
    /// A deadline escalation's ticket (its `body` names the deadline: `response`, `resolution`).
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    pub id: i64,
    pub read_at: Option<String>,
    pub escalation: Escalation,
}

const COLUMNS: &str = "e.id, e.author_id, a.display_name AS author_name, e.kind, e.customer_id, c.name AS customer_name, \
    e.subject, e.body, e.created_at, e.ticket_id";
const FROM: &str = "FROM escalations e LEFT JOIN users a ON a.id = e.author_id AND a.org_id = e.org_id LEFT JOIN customers c ON c.id = e.customer_id AND c.org_id = e.org_id";

impl Escalation {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            author_id: r.try_get("author_id")?,
            author_name: r.try_get("author_name")?,
            kind: r.try_get("kind")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            subject: r.try_get("subject")?,
            body: r.try_get("body")?,
            created_at: r.try_get("created_at")?,
            ticket_id: r.try_get("ticket_id")?,
        })
    }
}

/// The e-mail that goes with an escalation, written for each recipient's language.
pub(crate) enum Mail<'a> {
    Report {
        author: &'a str,
        customer: Option<&'a str>,
        fields: &'a EscalationFields,
    },
    TicketOverdue {
        ticket: &'a str,
        customer: &'a str,
        deadline: yingpan_domain::service::Deadline,
        ticket_id: i64,
    },
}

/// Puts escalation `id` in each recipient's inbox and, with `mail`, queues an e-mail to those
/// who have an address — in the caller's transaction.
pub(crate) async fn deliver(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    id: i64,
    recipients: &[i64],
    mail: Option<Mail<'_>>,
    now: DateTime<Utc>,
) -> Result<()> {
    for r in recipients {
        sqlx::query("INSERT INTO inbox (org_id, user_id, escalation_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id)
            .bind(*r)
            .bind(id)
            .bind(ts(now))
            .execute(&mut **tx)
            .await?;
        let Some(mail) = &mail else { continue };
        let row = sqlx::query(
            "SELECT email, locale FROM users WHERE org_id = $2 AND id = $1 AND active = 1",
        )
        .bind(*r)
        .bind(org_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(row) = row else { continue };
        let Some(address) = row.try_get::<Option<String>, _>("email")? else {
            continue;
        };
        let locale = Locale::parse(&row.try_get::<String, _>("locale")?).unwrap_or(Locale::ZhCn);
        let (subject, body) = match mail {
            Mail::Report {
                author,
                customer,
                fields,
            } => notification_email(
                locale,
                fields.kind,
                author,
                *customer,
                fields,
                &format!("/escalations/{id}"),
            ),
            Mail::TicketOverdue {
                ticket,
                customer,
                deadline,
                ticket_id,
            } => yingpan_domain::service::overdue_email(
                locale,
                ticket,
                customer,
                *deadline,
                &format!("/tickets/{ticket_id}"),
            ),
        };
        crate::outbox::enqueue(tx, org_id, &address, &subject, &body, now).await?;
    }
    Ok(())
}

impl Store {
    /// Files a report and delivers it to every superior's inbox in one transaction.
    /// Returns the report and how many people it reached.
    /// With `email`, superiors who have an address also get an e-mail through the outbox,
    /// written in the same transaction.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn file_escalation(
        &self,
        viewer: &Viewer,
        f: &EscalationFields,
        email: bool,
        now: DateTime<Utc>,
    ) -> Result<(Escalation, usize)> {
        let customer_name = match f.customer_id {
            // The customer must be one the author may see.
            Some(c) => Some(self.customer(viewer, c).await?.name),
            None => None,
        };
        let mut tx = self.write.begin().await?;
        let line = crate::org::reporting_line(&mut tx, viewer.org_id).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO escalations (org_id, author_id, kind, customer_id, subject, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(f.kind.as_str())
        .bind(f.customer_id)
        .bind(&f.subject)
        .bind(&f.body)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let recipients = superiors_up_the_line(&line, viewer.user_id);
        let author: String =
            sqlx::query("SELECT display_name FROM users WHERE org_id = $2 AND id = $1")
                .bind(viewer.user_id)
                .bind(viewer.org_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        deliver(
            &mut tx,
            viewer.org_id,
            id,
            &recipients,
            email.then_some(Mail::Report {
                author: &author,
                customer: customer_name.as_deref(),
                fields: f,
            }),
            now,
        )
        .await?;
        let changes = vec![FieldChange {
            field: "subject".into(),
            before: None,
            after: Some(f.subject.clone()),
        }];
        Audit::by(viewer, now)
            .record(&mut tx, "escalation", id, "create", &changes)
            .await?;
        crate::webhook::emit(
            &mut tx,
            viewer.org_id,
            yingpan_domain::webhook::Event::EscalationRaised,
            Some(viewer.user_id),
            f.customer_id,
            serde_json::json!({"escalation_id": id, "kind": f.kind.as_str(), "title": f.subject}),
            now,
        )
        .await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE e.id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((Escalation::from_row(&row)?, recipients.len()))
    }

    /// A report the viewer wrote or received.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn escalation(&self, viewer: &Viewer, id: i64) -> Result<Escalation> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} {FROM} WHERE e.org_id = $1 AND e.id = $2 AND (e.author_id = $3 OR EXISTS \
             (SELECT 1 FROM inbox i WHERE i.org_id = e.org_id AND i.user_id = $3 AND i.escalation_id = e.id))"
        ))
        .bind(viewer.org_id)
        .bind(id)
        .bind(viewer.user_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        Escalation::from_row(&row)
    }

    /// Escalations about a customer that the viewer wrote or received (the same rule as
    /// reading one), newest first: the customer's timeline shows complaints beside the visits.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn customer_escalations(
        &self,
        viewer: &Viewer,
        customer_id: i64,
    ) -> Result<Vec<Escalation>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} {FROM} WHERE e.org_id = $1 AND e.customer_id = $2 AND (e.author_id = $3 OR EXISTS \
             (SELECT 1 FROM inbox i WHERE i.org_id = e.org_id AND i.user_id = $3 AND i.escalation_id = e.id)) \
             ORDER BY e.id DESC LIMIT 50"
        ))
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(viewer.user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(Escalation::from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn sent_escalations(&self, viewer: &Viewer, limit: i64) -> Result<Vec<Escalation>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE e.org_id = $1 AND e.author_id = $2 ORDER BY e.id DESC LIMIT $3"))
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(Escalation::from_row).collect()
    }

    /// The viewer's inbox, newest first, and how many are unread.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn inbox(&self, viewer: &Viewer, limit: i64) -> Result<(Vec<InboxItem>, i64)> {
        let rows = sqlx::query(&format!(
            "SELECT i.id AS inbox_id, i.read_at, {COLUMNS} FROM inbox i JOIN escalations e ON e.id = i.escalation_id AND e.org_id = i.org_id \
             LEFT JOIN users a ON a.id = e.author_id AND a.org_id = e.org_id LEFT JOIN customers c ON c.id = e.customer_id AND c.org_id = e.org_id \
             WHERE i.org_id = $1 AND i.user_id = $2 ORDER BY i.id DESC LIMIT $3"
        ))
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(InboxItem {
                    id: r.try_get("inbox_id")?,
                    read_at: r.try_get("read_at")?,
                    escalation: Escalation::from_row(r)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((items, self.unread(viewer).await?))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn unread(&self, viewer: &Viewer) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM inbox WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .fetch_one(&self.read)
        .await?
        .try_get(0)?)
    }

    /// Marks one of the viewer's inbox items read (idempotent).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn mark_read(
        &self,
        viewer: &Viewer,
        inbox_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = sqlx::query("UPDATE inbox SET read_at = COALESCE(read_at, $1) WHERE org_id = $2 AND user_id = $3 AND id = $4")
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .bind(inbox_id)
            .execute(&self.write)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
