//! After-sales service: tickets and their history, the deadline sweep that tells superiors,
//! return visits, and the company's service settings (`domain::service`).
//!
//! A ticket is reached by whoever reaches its customer, its assignee, and whoever filed it: a
//! clerk who logged a call follows it, and so does the salesperson it was handed to.

use crate::audit::Audit;
use crate::sql::{push_in_scope, Sql};
use crate::{customer_scope_check, parse_ts, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::escalation::superiors_up_the_line;
use yingpan_domain::service::{
    deadlines, next_status, responds, return_visit_due, to_escalate, Deadline, Deadlines,
    ServiceSettings, Severity, Status, Step, StepFields, TicketClock, TicketFields, VisitResult,
    VisitSource,
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: Option<String>,
    pub customer_owner_id: Option<i64>,
    pub category: String,
    pub severity: String,
    pub status: String,
    pub subject: String,
    pub description: String,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub order_id: Option<i64>,
    pub order_number: Option<String>,
    pub assignee_id: i64,
    pub assignee_name: Option<String>,
    pub filed_by: i64,
    pub filed_by_name: Option<String>,
    pub response_due: String,
    pub resolution_due: String,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub resolution: Option<String>,
    /// The deadlines that have passed unmet at the time of reading (`response`, `resolution`).
    pub overdue: Vec<Deadline>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl Ticket {
    fn from_row(r: &AnyRow, now: DateTime<Utc>) -> Result<Self> {
        let mut t = Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            customer_name: r.try_get("customer_name")?,
            customer_owner_id: r.try_get("customer_owner_id")?,
            category: r.try_get("category")?,
            severity: r.try_get("severity")?,
            status: r.try_get("status")?,
            subject: r.try_get("subject")?,
            description: r.try_get("description")?,
            product_id: r.try_get("product_id")?,
            product_name: r.try_get("product_name")?,
            order_id: r.try_get("order_id")?,
            order_number: r
                .try_get::<Option<i64>, _>("order_id")?
                .map(|id| format!("SO-{id:06}")),
            assignee_id: r.try_get("assignee_id")?,
            assignee_name: r.try_get("assignee_name")?,
            filed_by: r.try_get("filed_by")?,
            filed_by_name: r.try_get("filed_by_name")?,
            response_due: r.try_get("response_due")?,
            resolution_due: r.try_get("resolution_due")?,
            first_response_at: r.try_get("first_response_at")?,
            resolved_at: r.try_get("resolved_at")?,
            closed_at: r.try_get("closed_at")?,
            resolution: r.try_get("resolution")?,
            overdue: Vec::new(),
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        };
        t.overdue = yingpan_domain::service::overdue(&t.clock(false, false)?, now);
        Ok(t)
    }

    fn status(&self) -> Result<Status> {
        Status::parse(&self.status)
            .map_err(|_| StoreError::Corrupt(format!("ticket status {:?}", self.status)))
    }

    fn clock(&self, escalated_response: bool, escalated_resolution: bool) -> Result<TicketClock> {
        Ok(TicketClock {
            status: self.status()?,
            deadlines: Deadlines {
                response_due: parse_ts(&self.response_due)?,
                resolution_due: parse_ts(&self.resolution_due)?,
            },
            responded: self.first_response_at.is_some(),
            escalated_response,
            escalated_resolution,
        })
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketEvent {
    pub id: i64,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub step: String,
    pub body: String,
    pub from_status: String,
    pub to_status: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub created_at: String,
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    /// New or in progress.
    pub open: bool,
    /// Open with a deadline passed at this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    pub severity: Option<Severity>,
    pub category: Option<yingpan_domain::service::Category>,
    pub assignee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReturnVisit {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: Option<String>,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    /// `order` or `ticket`: what the visit follows up.
    pub source: String,
    pub source_id: i64,
    pub due_at: String,
    pub done_at: Option<String>,
    pub result: Option<String>,
    /// Tries that reached nobody.
    pub attempts: i64,
    pub activity_id: Option<i64>,
}

const TICKET_COLUMNS: &str = "t.id, t.customer_id, c.name AS customer_name, c.owner_id AS customer_owner_id, \
    t.category, t.severity, t.status, t.subject, t.description, t.product_id, p.name AS product_name, \
    t.order_id, t.assignee_id, a.display_name AS assignee_name, t.filed_by, \
    f.display_name AS filed_by_name, t.response_due, t.resolution_due, t.first_response_at, t.resolved_at, \
    t.closed_at, t.resolution, t.version, t.created_at, t.updated_at";
const TICKET_FROM: &str = " FROM tickets t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id \
    LEFT JOIN products p ON p.id = t.product_id AND p.org_id = t.org_id \
    LEFT JOIN users a ON a.id = t.assignee_id AND a.org_id = t.org_id LEFT JOIN users f ON f.id = t.filed_by AND f.org_id = t.org_id WHERE";

/// The tickets the viewer reaches: their customer's owner, their assignee or who filed them.
fn push_ticket_scope(sql: &mut Sql, viewer: &Viewer) {
    sql.push(" t.org_id = ")
        .bind(viewer.org_id)
        .push(" AND (t.filed_by = ")
        .bind(viewer.user_id)
        .push(" OR");
    push_in_scope(sql, viewer, "t.assignee_id");
    sql.push(" OR");
    push_in_scope(sql, viewer, "c.owner_id");
    sql.push(")");
}

fn open_statuses() -> &'static str {
    "('new', 'in_progress')"
}

async fn load_ticket(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let mut sql = Sql::new(&format!("SELECT {TICKET_COLUMNS}{TICKET_FROM}"));
    push_ticket_scope(&mut sql, viewer);
    sql.push(" AND t.id = ").bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ticket::from_row(&row, now)
}

/// Whether `person` may be handed a ticket about a customer owned by `owner`: an active
/// colleague who is the customer's owner, the viewer, or someone in the viewer's scope.
async fn check_assignee(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    person: i64,
    owner: Option<i64>,
) -> Result<()> {
    let anyone = Some(person) == owner || person == viewer.user_id;
    if !crate::sql::active_person(tx, viewer, person, anyone).await? {
        return Err(yingpan_domain::ValidationError::new(
            "assignee_id",
            "unknown_person",
            "must be an active colleague you may hand work to (the customer's owner, yourself or someone in your team)",
        )
        .into());
    }
    Ok(())
}

pub(crate) async fn service_settings_in(
    exec: impl sqlx::Executor<'_, Database = Any>,
    org_id: i64,
) -> Result<ServiceSettings> {
    crate::org::settings_json(exec, org_id, "service_settings").await
}

/// Schedules the return visit after `source` (once per source: a second delivery of the same
/// order schedules nothing more).
pub(crate) async fn schedule_return_visit(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    customer_id: i64,
    source: VisitSource,
    source_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let settings = service_settings_in(&mut **tx, org_id).await?;
    let days = match source {
        VisitSource::Order => settings.return_visit_after_delivery_days,
        VisitSource::Ticket => settings.return_visit_after_ticket_days,
    };
    let Some(due) = return_visit_due(now, days) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO return_visits (org_id, customer_id, source, source_id, due_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (org_id, source, source_id) DO NOTHING",
    )
    .bind(org_id)
    .bind(customer_id)
    .bind(source.as_str())
    .bind(source_id)
    .bind(ts(due))
    .bind(ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn change(field: &str, before: Option<&str>, after: Option<&str>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before: before.map(Into::into),
        after: after.map(Into::into),
    }
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn service_settings(&self, org_id: i64) -> Result<ServiceSettings> {
        service_settings_in(&self.read, org_id).await
    }

    /// Replaces the service settings (checked by the caller); audited field by field.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_service_settings(
        &self,
        viewer: &Viewer,
        settings: &ServiceSettings,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let before = service_settings_in(&mut *tx, viewer.org_id).await?;
        sqlx::query("UPDATE organizations SET service_settings = $1 WHERE id = $2")
            .bind(serde_json::to_string(settings).expect("settings serialise"))
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        let mut changes = Vec::new();
        for &s in Severity::ALL {
            let (b, a) = (before.sla(s), settings.sla(s));
            let (response, resolution) = yingpan_domain::service::field_names(s);
            for (field, x, y) in [
                (response, b.response_hours, a.response_hours),
                (resolution, b.resolution_hours, a.resolution_hours),
            ] {
                if x != y {
                    changes.push(change(field, Some(&x.to_string()), Some(&y.to_string())));
                }
            }
        }
        for (field, x, y) in [
            (
                "return_visit_after_delivery_days",
                before.return_visit_after_delivery_days,
                settings.return_visit_after_delivery_days,
            ),
            (
                "return_visit_after_ticket_days",
                before.return_visit_after_ticket_days,
                settings.return_visit_after_ticket_days,
            ),
        ] {
            if x != y {
                changes.push(change(field, Some(&x.to_string()), Some(&y.to_string())));
            }
        }
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "organization", viewer.org_id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Files a ticket about a customer in the viewer's scope. Its deadlines come from the
    /// company's settings at this moment; it goes to the named assignee, else the customer's
    /// owner, else the person filing it.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn file_ticket(
        &self,
        viewer: &Viewer,
        f: &TicketFields,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        let mut tx = self.write.begin().await?;
        customer_scope_check(&mut tx, viewer, f.customer_id).await?;
        let owner: Option<i64> =
            sqlx::query("SELECT owner_id FROM customers WHERE org_id = $1 AND id = $2")
                .bind(viewer.org_id)
                .bind(f.customer_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let assignee = f.assignee_id.or(owner).unwrap_or(viewer.user_id);
        check_assignee(&mut tx, viewer, assignee, owner).await?;
        if let Some(p) = f.product_id {
            let refused = yingpan_domain::ValidationError::new(
                "product_id",
                "unknown_product",
                "no such product in the price list",
            );
            crate::sql::require_ref(&mut tx, viewer.org_id, "products", p, None, refused).await?;
        }
        if let Some(o) = f.order_id {
            let customer = Some(("customer_id", f.customer_id));
            let refused = crate::sql::unknown_order();
            crate::sql::require_ref(&mut tx, viewer.org_id, "orders", o, customer, refused).await?;
        }
        let settings = service_settings_in(&mut *tx, viewer.org_id).await?;
        let d = deadlines(now, settings.sla(f.severity));
        let id: i64 = sqlx::query(
            "INSERT INTO tickets (org_id, customer_id, category, severity, status, subject, description, product_id, order_id, \
             assignee_id, filed_by, response_due, resolution_due, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'new', $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(f.customer_id)
        .bind(f.category.as_str())
        .bind(f.severity.as_str())
        .bind(&f.subject)
        .bind(&f.description)
        .bind(f.product_id)
        .bind(f.order_id)
        .bind(assignee)
        .bind(viewer.user_id)
        .bind(ts(d.response_due))
        .bind(ts(d.resolution_due))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let assignee_text = assignee.to_string();
        let changes = [
            change("subject", None, Some(&f.subject)),
            change("category", None, Some(f.category.as_str())),
            change("severity", None, Some(f.severity.as_str())),
            change("assignee_id", None, Some(&assignee_text)),
        ];
        Audit::by(viewer, now)
            .record(&mut tx, "ticket", id, "create", &changes)
            .await?;
        crate::webhook::emit(
            &mut tx,
            viewer.org_id,
            yingpan_domain::webhook::Event::TicketFiled,
            Some(assignee),
            Some(f.customer_id),
            serde_json::json!({"ticket_id": id, "title": f.subject, "category": f.category.as_str(),
                "severity": f.severity.as_str(), "resolution_due": ts(d.resolution_due)}),
            now,
        )
        .await?;
        let ticket = load_ticket(&mut tx, viewer, id, now).await?;
        tx.commit().await?;
        Ok(ticket)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn ticket(&self, viewer: &Viewer, id: i64, now: DateTime<Utc>) -> Result<Ticket> {
        let mut tx = self.read.begin().await?;
        let t = load_ticket(&mut tx, viewer, id, now).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Tickets in the viewer's reach: open ones first, the nearest deadline first; then the
    /// rest, the latest first. With the total that matches.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn tickets(
        &self,
        viewer: &Viewer,
        filter: &TicketFilter,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Ticket>, i64)> {
        let build = |select: &str| {
            let mut sql = Sql::new(select);
            push_ticket_scope(&mut sql, viewer);
            if let Some(s) = filter.status {
                sql.push(" AND t.status = ").bind(s.as_str());
            }
            if filter.open {
                sql.push(&format!(" AND t.status IN {}", open_statuses()));
            }
            if let Some(at) = filter.overdue_at {
                let at = ts(at);
                sql.push(&format!(
                    " AND t.status IN {} AND (t.resolution_due < ",
                    open_statuses()
                ))
                .bind(at.clone())
                .push(" OR (t.first_response_at IS NULL AND t.response_due < ")
                .bind(at)
                .push("))");
            }
            if let Some(s) = filter.severity {
                sql.push(" AND t.severity = ").bind(s.as_str());
            }
            if let Some(c) = filter.category {
                sql.push(" AND t.category = ").bind(c.as_str());
            }
            if let Some(a) = filter.assignee_id {
                sql.push(" AND t.assignee_id = ").bind(a);
            }
            if let Some(c) = filter.customer_id {
                sql.push(" AND t.customer_id = ").bind(c);
            }
            sql
        };
        let total: i64 = build(&format!("SELECT COUNT(*){TICKET_FROM}"))
            .query()
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        let mut list = build(&format!("SELECT {TICKET_COLUMNS}{TICKET_FROM}"));
        list.push(&format!(
            " ORDER BY CASE WHEN t.status IN {} THEN 0 ELSE 1 END, \
             CASE WHEN t.status IN {} THEN t.resolution_due ELSE '' END, t.updated_at DESC, t.id DESC LIMIT ",
            open_statuses(),
            open_statuses()
        ))
        .bind(filter.limit.clamp(1, 200))
        .push(" OFFSET ")
        .bind(filter.offset.max(0));
        let rows = list.query().fetch_all(&self.read).await?;
        let items = rows
            .iter()
            .map(|r| Ticket::from_row(r, now))
            .collect::<Result<_>>()?;
        Ok((items, total))
    }

    /// A ticket's history, oldest first (the ticket must be in the viewer's reach).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn ticket_events(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<TicketEvent>> {
        let mut tx = self.read.begin().await?;
        load_ticket(&mut tx, viewer, id, now).await?;
        let rows = sqlx::query(
            "SELECT e.id, e.user_id, u.display_name AS user_name, e.step, e.body, e.from_status, e.to_status, \
             e.assignee_id, a.display_name AS assignee_name, e.created_at FROM ticket_events e \
             LEFT JOIN users u ON u.id = e.user_id AND u.org_id = e.org_id LEFT JOIN users a ON a.id = e.assignee_id AND a.org_id = e.org_id \
             WHERE e.org_id = $1 AND e.ticket_id = $2 ORDER BY e.id",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(TicketEvent {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    user_name: r.try_get("user_name")?,
                    step: r.try_get("step")?,
                    body: r.try_get("body")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    assignee_id: r.try_get("assignee_id")?,
                    assignee_name: r.try_get("assignee_name")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Takes a step on a ticket: the status the lifecycle allows, the first response stamped,
    /// the resolution kept, the return visit scheduled when it is resolved; one history entry
    /// and one audit entry. A stale `expected_version` is refused.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn ticket_step(
        &self,
        viewer: &Viewer,
        id: i64,
        s: &StepFields,
        expected_version: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<Ticket> {
        let mut tx = self.write.begin().await?;
        let t = load_ticket(&mut tx, viewer, id, now).await?;
        if expected_version.is_some_and(|v| v != t.version) {
            return Err(StoreError::VersionConflict { current: t.version });
        }
        let from = t.status()?;
        let to = next_status(from, s.step).map_err(yingpan_domain::Refusal::from)?;
        let at = ts(now);
        let mut assignee = t.assignee_id;
        if s.step == Step::Assign {
            let person = s
                .assignee_id
                .expect("parse_step requires a person to assign");
            check_assignee(&mut tx, viewer, person, t.customer_owner_id).await?;
            assignee = person;
        }
        let first_response = match (&t.first_response_at, responds(s.step)) {
            (None, true) => Some(at.clone()),
            (kept, _) => kept.clone(),
        };
        let (resolved_at, resolution, closed_at) = match s.step {
            Step::Resolve => (Some(at.clone()), Some(s.body.clone()), None),
            Step::Close => (
                t.resolved_at.clone(),
                t.resolution.clone(),
                Some(at.clone()),
            ),
            Step::Reopen => (None, None, None),
            _ => (
                t.resolved_at.clone(),
                t.resolution.clone(),
                t.closed_at.clone(),
            ),
        };
        let n = sqlx::query(
            "UPDATE tickets SET status = $1, assignee_id = $2, first_response_at = $3, resolved_at = $4, resolution = $5, \
             closed_at = $6, version = version + 1, updated_at = $7 WHERE org_id = $8 AND id = $9 AND version = $10",
        )
        .bind(to.as_str())
        .bind(assignee)
        .bind(first_response)
        .bind(resolved_at)
        .bind(resolution)
        .bind(closed_at)
        .bind(&at)
        .bind(viewer.org_id)
        .bind(id)
        .bind(t.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: t.version + 1,
            });
        }
        sqlx::query(
            "INSERT INTO ticket_events (org_id, ticket_id, user_id, step, body, from_status, to_status, assignee_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(viewer.org_id)
        .bind(id)
        .bind(viewer.user_id)
        .bind(s.step.as_str())
        .bind(&s.body)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind((s.step == Step::Assign).then_some(assignee))
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        let mut changes = Vec::new();
        if from != to {
            changes.push(change("status", Some(from.as_str()), Some(to.as_str())));
        }
        if assignee != t.assignee_id {
            changes.push(change(
                "assignee_id",
                Some(&t.assignee_id.to_string()),
                Some(&assignee.to_string()),
            ));
        }
        if s.step == Step::Resolve {
            changes.push(change("resolution", None, Some(&s.body)));
        }
        if changes.is_empty() {
            changes.push(change("reply", None, Some(&s.body)));
        }
        Audit::by(viewer, now)
            .record(&mut tx, "ticket", id, "update", &changes)
            .await?;
        if s.step == Step::Resolve {
            schedule_return_visit(
                &mut tx,
                viewer.org_id,
                t.customer_id,
                VisitSource::Ticket,
                id,
                now,
            )
            .await?;
        }
        let ticket = load_ticket(&mut tx, viewer, id, now).await?;
        tx.commit().await?;
        Ok(ticket)
    }

    /// Tells the superiors of each open ticket's assignee, through their inbox (and e-mail
    /// when `email`), about every deadline that passed unmet — once per deadline, even with
    /// several servers sweeping at once. The assignee is told instead when nobody is above.
    /// Returns how many deadlines were escalated.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn escalate_overdue_tickets(&self, email: bool, now: DateTime<Utc>) -> Result<usize> {
        let at = ts(now);
        let candidates = sqlx::query(
            "/* across organizations: ticket deadline sweep */ SELECT id, org_id FROM tickets WHERE status IN ('new', 'in_progress') AND \
             ((escalated_resolution_at IS NULL AND resolution_due < $1) OR \
              (escalated_response_at IS NULL AND first_response_at IS NULL AND response_due < $1)) \
             ORDER BY resolution_due LIMIT 500",
        )
        .bind(&at)
        .fetch_all(&self.read)
        .await?;
        let mut escalated = 0;
        for r in &candidates {
            let (id, org_id): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
            escalated += self.escalate_ticket(org_id, id, email, now).await?;
        }
        Ok(escalated)
    }

    async fn escalate_ticket(
        &self,
        org_id: i64,
        id: i64,
        email: bool,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let mut tx = self.write.begin().await?;
        // The sweep acts for nobody in particular: it reads the ticket company-wide.
        let system = Viewer {
            org_id,
            user_id: 0,
            role: yingpan_domain::person::Role::Admin,
            scope: yingpan_domain::person::Scope::All,
        };
        let t = load_ticket(&mut tx, &system, id, now).await?;
        let flags = sqlx::query(
            "SELECT escalated_response_at, escalated_resolution_at FROM tickets WHERE org_id = $2 AND id = $1",
        )
        .bind(id)
        .bind(org_id)
        .fetch_one(&mut *tx)
        .await?;
        let clock = t.clock(
            flags.try_get::<Option<String>, _>(0)?.is_some(),
            flags.try_get::<Option<String>, _>(1)?.is_some(),
        )?;
        let due = to_escalate(&clock, now);
        let line = crate::org::reporting_line(&mut tx, org_id).await?;
        let mut recipients = superiors_up_the_line(&line, t.assignee_id);
        if recipients.is_empty() {
            recipients.push(t.assignee_id);
        }
        let mut done = 0;
        for deadline in due {
            let column = match deadline {
                Deadline::Response => "escalated_response_at",
                Deadline::Resolution => "escalated_resolution_at",
            };
            // Whoever stamps the flag first escalates; another server's sweep finds it set.
            let n = sqlx::query(&format!(
                "UPDATE tickets SET {column} = $1 WHERE org_id = $3 AND id = $2 AND {column} IS NULL"
            ))
            .bind(ts(now))
            .bind(id)
            .bind(org_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                continue;
            }
            let escalation_id: i64 = sqlx::query(
                "INSERT INTO escalations (org_id, author_id, kind, customer_id, subject, body, created_at, ticket_id) \
                 VALUES ($1, $2, 'ticket_overdue', $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(org_id)
            .bind(t.assignee_id)
            .bind(t.customer_id)
            .bind(&t.subject)
            .bind(deadline.as_str())
            .bind(ts(now))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            crate::escalation::deliver(
                &mut tx,
                org_id,
                escalation_id,
                &recipients,
                email.then(|| crate::escalation::Mail::TicketOverdue {
                    ticket: &t.subject,
                    customer: t.customer_name.as_deref().unwrap_or(""),
                    deadline,
                    ticket_id: id,
                }),
                now,
            )
            .await?;
            crate::audit::record(
                &mut tx,
                org_id,
                None,
                "ticket",
                id,
                "escalate",
                &[change("deadline", None, Some(deadline.as_str()))],
                now,
            )
            .await?;
            crate::webhook::emit(
                &mut tx,
                org_id,
                yingpan_domain::webhook::Event::TicketOverdue,
                Some(t.assignee_id),
                Some(t.customer_id),
                serde_json::json!({"ticket_id": id, "title": t.subject, "deadline": deadline.as_str()}),
                now,
            )
            .await?;
            done += 1;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Return visits not yet done on customers in the viewer's scope that fall due before
    /// `until`, the most overdue first, with how many there are.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn return_visits_due(
        &self,
        viewer: &Viewer,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<(Vec<ReturnVisit>, i64)> {
        let build = |select: &str| {
            let mut sql = Sql::new(select);
            crate::sql::push_scope(&mut sql, viewer, "c");
            sql.push(" AND c.deleted_at IS NULL AND v.org_id = ")
                .bind(viewer.org_id)
                .push(" AND v.done_at IS NULL AND v.due_at < ")
                .bind(ts(until));
            sql
        };
        let from = " FROM return_visits v JOIN customers c ON c.id = v.customer_id AND c.org_id = v.org_id \
                    LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE";
        let total: i64 = build(&format!("SELECT COUNT(*){from}"))
            .query()
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        let mut list = build(&format!("SELECT {VISIT_COLUMNS}{from}"));
        list.push(" ORDER BY v.due_at, v.id LIMIT ")
            .bind(limit.clamp(1, 500));
        let rows = list.query().fetch_all(&self.read).await?;
        Ok((
            rows.iter().map(visit_from_row).collect::<Result<_>>()?,
            total,
        ))
    }

    /// A customer's return visits (done or not), the latest due first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn customer_return_visits(
        &self,
        viewer: &Viewer,
        customer_id: i64,
    ) -> Result<Vec<ReturnVisit>> {
        let mut sql = Sql::new(&format!(
            "SELECT {VISIT_COLUMNS} FROM return_visits v JOIN customers c ON c.id = v.customer_id AND c.org_id = v.org_id \
             LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE"
        ));
        crate::sql::push_scope(&mut sql, viewer, "c");
        sql.push(" AND v.org_id = ")
            .bind(viewer.org_id)
            .push(" AND v.customer_id = ")
            .bind(customer_id)
            .push(" ORDER BY v.due_at DESC, v.id DESC LIMIT 50");
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(visit_from_row).collect()
    }

    /// Records a return visit as a call on the customer (it restarts the protection clock like
    /// any contact) with what it found. A customer who could not be reached keeps the visit
    /// due and counts the attempt; a visit already done is refused.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_return_visit(
        &self,
        viewer: &Viewer,
        id: i64,
        result: VisitResult,
        summary: &str,
        now: DateTime<Utc>,
    ) -> Result<ReturnVisit> {
        let mut tx = self.write.begin().await?;
        let visit = load_visit(&mut tx, viewer, id).await?;
        if visit.done_at.is_some() {
            return Err(StoreError::Rule {
                code: "return_visit_done",
                message: "this return visit has already been recorded".into(),
            });
        }
        let details = crate::ActivityDetails {
            reached: Some(result != VisitResult::Unreachable),
            outcome: Some(result.as_str().into()),
            ..Default::default()
        };
        let activity = crate::activity::insert_activity(
            &mut tx,
            viewer,
            visit.customer_id,
            crate::ActivityKind::Call,
            summary,
            &details,
            now,
        )
        .await?;
        if result.completes() {
            sqlx::query(
                "UPDATE return_visits SET done_at = $1, done_by = $2, result = $3, activity_id = $4 WHERE org_id = $5 AND id = $6",
            )
            .bind(ts(now))
            .bind(viewer.user_id)
            .bind(result.as_str())
            .bind(activity)
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE return_visits SET attempts = attempts + 1, result = $1, activity_id = $2 WHERE org_id = $3 AND id = $4",
            )
            .bind(result.as_str())
            .bind(activity)
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "return_visit",
                id,
                "update",
                &[change("result", None, Some(result.as_str()))],
            )
            .await?;
        let visit = load_visit(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(visit)
    }
}

const VISIT_COLUMNS: &str =
    "v.id, v.customer_id, c.name AS customer_name, c.owner_id, o.display_name AS owner_name, \
    v.source, v.source_id, v.due_at, v.done_at, v.result, v.attempts, v.activity_id";

fn visit_from_row(r: &AnyRow) -> Result<ReturnVisit> {
    Ok(ReturnVisit {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        source: r.try_get("source")?,
        source_id: r.try_get("source_id")?,
        due_at: r.try_get("due_at")?,
        done_at: r.try_get("done_at")?,
        result: r.try_get("result")?,
        attempts: r.try_get("attempts")?,
        activity_id: r.try_get("activity_id")?,
    })
}

async fn load_visit(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
) -> Result<ReturnVisit> {
    let mut sql = Sql::new(&format!(
        "SELECT {VISIT_COLUMNS} FROM return_visits v JOIN customers c ON c.id = v.customer_id AND c.org_id = v.org_id \
         LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE"
    ));
    crate::sql::push_scope(&mut sql, viewer, "c");
    sql.push(" AND c.deleted_at IS NULL AND v.org_id = ")
        .bind(viewer.org_id)
        .push(" AND v.id = ")
        .bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    visit_from_row(&row)
}
