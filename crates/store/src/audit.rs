//! The audit trail: who changed what, when, field by field.

use crate::sql::Sql;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub changes: Vec<FieldChange>,
    pub at: String,
}

impl AuditEntry {
    fn from_row(r: &AnyRow) -> Result<Self> {
        let changes: String = r.try_get("changes")?;
        Ok(Self {
            id: r.try_get("id")?,
            actor_id: r.try_get("actor_id")?,
            actor_name: r.try_get("actor_name")?,
            entity: r.try_get("entity")?,
            entity_id: r.try_get("entity_id")?,
            action: r.try_get("action")?,
            changes: serde_json::from_str(&changes)
                .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
            at: r.try_get("at")?,
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    actor_id: Option<i64>,
    entity: &str,
    entity_id: i64,
    action: &str,
    changes: &[FieldChange],
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (org_id, actor_id, entity, entity_id, action, changes, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(org_id)
    .bind(actor_id)
    .bind(entity)
    .bind(entity_id)
    .bind(action)
    .bind(serde_json::to_string(changes).expect("field changes serialise"))
    .bind(crate::ts(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Who changes something, and when: the audit trail's entry for each change made in the
/// same transaction.
pub(crate) struct Audit<'a> {
    actor: &'a crate::Viewer,
    now: DateTime<Utc>,
}

impl<'a> Audit<'a> {
    pub(crate) fn by(actor: &'a crate::Viewer, now: DateTime<Utc>) -> Self {
        Self { actor, now }
    }

    /// Records `changes` to `entity` `entity_id` by the actor, in `tx`.
    pub(crate) async fn record(
        &self,
        tx: &mut Transaction<'_, Any>,
        entity: &str,
        entity_id: i64,
        action: &str,
        changes: &[FieldChange],
    ) -> Result<()> {
        record(
            tx,
            self.actor.org_id,
            Some(self.actor.user_id),
            entity,
            entity_id,
            action,
            changes,
            self.now,
        )
        .await
    }
}

impl Store {
    /// Records that `viewer` exported `rows` customers (entity `customer_export`, the exporting
    /// person's id), so that who took which data out stays on the audit trail.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_export(
        &self,
        viewer: &crate::Viewer,
        rows: usize,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.record_export_of(viewer, "customer_export", rows, now)
            .await
    }

    /// Records that `viewer` exported `rows` rows of `entity` (`customer_export`,
    /// `statistics_export`, …).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_export_of(
        &self,
        viewer: &crate::Viewer,
        entity: &str,
        rows: usize,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                entity,
                viewer.user_id,
                "export",
                &[FieldChange {
                    field: "rows".into(),
                    before: None,
                    after: Some(rows.to_string()),
                }],
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest entries first, optionally for one entity.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn audit_log(
        &self,
        org_id: i64,
        entity: Option<(&str, i64)>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditEntry>, i64)> {
        let mut count = Sql::new("SELECT COUNT(*) FROM audit_log a");
        let mut list = Sql::new(
            "SELECT a.id, a.actor_id, u.display_name AS actor_name, a.entity, a.entity_id, \
             a.action, a.changes, a.at FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id AND u.org_id = a.org_id",
        );
        // Rebuild the filter in each statement so placeholders are numbered from 1.
        for sql in [&mut count, &mut list] {
            sql.push(" WHERE a.org_id = ").bind(org_id);
            if let Some((e, id)) = entity {
                sql.push(" AND a.entity = ").bind(e);
                sql.push(" AND a.entity_id = ").bind(id);
            }
        }
        list.push(" ORDER BY a.id DESC LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        let total: i64 = count.query().fetch_one(&self.read).await?.try_get(0)?;
        let rows = list.query().fetch_all(&self.read).await?;
        let items = rows
            .iter()
            .map(AuditEntry::from_row)
            .collect::<Result<_>>()?;
        Ok((items, total))
    }
}

/// How each kind of audited record is named for a reader: the table, and the words that
/// identify a row of it (a customer's name, a report's author and day).
fn subject_sql(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "customer" => "SELECT t.id, t.name FROM customers t",
        "contact" => "SELECT t.id, t.name FROM contacts t",
        "user" | "pay_sheet" | "budget" | "customer_export" | "contacts_export" | "orders_export" | "activities_export" | "activities_import" | "pay_export"
        | "statistics_export" => "SELECT t.id, t.display_name FROM users t",
        "product" => "SELECT t.id, t.name FROM products t",
        "opportunity" => "SELECT t.id, t.name FROM opportunities t",
        "pool" => "SELECT t.id, t.name FROM pools t",
        "segment" => "SELECT t.id, t.name FROM segments t",
        "ticket" => "SELECT t.id, t.subject FROM tickets t",
        "survey" => "SELECT t.id, t.name FROM surveys t",
        "campaign" => "SELECT t.id, t.name FROM campaigns t",
        "task" => "SELECT t.id, t.title FROM tasks t",
        "appeal" => "SELECT t.id, t.subject FROM appeals t",
        "objection" => "SELECT t.id, t.text FROM objections t",
        "webhook" => "SELECT t.id, t.name FROM webhooks t",
        "joint_visit" => {
            "SELECT t.id, u.display_name || ' · ' || t.customer_name || ' · ' || t.visit_date FROM joint_visits t JOIN users u ON u.id = t.salesperson_id AND u.org_id = t.org_id"
        }
        "meeting" => {
            "SELECT t.id, u.display_name || ' · ' || t.held_on FROM meetings t JOIN users u ON u.id = t.organizer_id AND u.org_id = t.org_id"
        }
        "quotation" => {
            "SELECT t.id, c.name FROM quotations t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id"
        }
        "account_plan" => {
            "SELECT t.id, c.name || ' · ' || CAST(t.year AS TEXT) FROM account_plans t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id"
        }
        "survey_invitation" => {
            "SELECT t.id, s.name || ' · ' || c.name FROM survey_invitations t JOIN surveys s ON s.id = t.survey_id AND s.org_id = t.org_id JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id"
        }
        "return_visit" => {
            "SELECT t.id, c.name FROM return_visits t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id"
        }
        "custom_field" => "SELECT t.id, t.label FROM custom_fields t",
        "escalation" => "SELECT t.id, t.subject FROM escalations t",
        "referral" => "SELECT t.id, t.referred_name FROM referrals t",
        "order" => {
            "SELECT t.id, c.name FROM orders t JOIN customers c ON c.id = t.customer_id AND c.org_id = t.org_id"
        }
        "visit_plan" => {
            "SELECT t.id, u.display_name || ' · ' || t.plan_date FROM visit_plans t JOIN users u ON u.id = t.user_id AND u.org_id = t.org_id"
        }
        "daily_report" => {
            "SELECT t.id, u.display_name || ' · ' || t.report_date FROM daily_reports t JOIN users u ON u.id = t.user_id AND u.org_id = t.org_id"
        }
        "weekly_report" => {
            "SELECT t.id, u.display_name || ' · ' || t.week_start FROM weekly_reports t JOIN users u ON u.id = t.supervisor_id AND u.org_id = t.org_id"
        }
        "expense_advance" => {
            "SELECT t.id, u.display_name || ' · ' || t.occurred_on FROM expense_advances t JOIN users u ON u.id = t.user_id AND u.org_id = t.org_id"
        }
        "absence" => {
            "SELECT t.id, u.display_name FROM absences t JOIN users u ON u.id = t.user_id AND u.org_id = t.org_id"
        }
        "pay_adjustment" => {
            "SELECT t.id, u.display_name || ' · ' || t.month FROM pay_adjustments t JOIN users u ON u.id = t.user_id AND u.org_id = t.org_id"
        }
        "pay_plan" => "SELECT t.id, t.effective_month FROM pay_plans t",
        "target_plan" => "SELECT t.id, CAST(t.year AS TEXT) FROM target_plans t",
        "organization" => "SELECT t.id, t.name FROM organizations t",
        _ => return None,
    })
}

impl Store {
    /// The words naming each record (`(entity, id)` → name), read with one query per kind of
    /// record, so that the audit trail shows names rather than ids.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn audit_subjects(
        &self,
        org_id: i64,
        records: &[(&str, i64)],
    ) -> Result<std::collections::HashMap<(String, i64), String>> {
        let mut wanted: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
        for (entity, id) in records {
            wanted.entry(entity).or_default().push(*id);
        }
        let mut out = std::collections::HashMap::new();
        for (entity, mut ids) in wanted {
            let Some(select) = subject_sql(entity) else {
                continue;
            };
            ids.sort_unstable();
            ids.dedup();
            let mut sql = Sql::new(select);
            sql.push(" WHERE t.").push(if entity == "organization" {
                "id = "
            } else {
                "org_id = "
            });
            sql.bind(org_id).push(" AND t.id IN ").bind_list(&ids);
            for r in sql.query().fetch_all(&self.read).await? {
                let id: i64 = r.try_get(0)?;
                let name: Option<String> = r.try_get(1)?;
                if let Some(name) = name {
                    out.insert((entity.to_string(), id), name);
                }
            }
        }
        Ok(out)
    }
}
