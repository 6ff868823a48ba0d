//! A customer's contacts and decision makers, read and written within the viewer's scope.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::{diff, Snapshot};
use yingpan_domain::customer::{ContactFields, ContactInput};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub is_decision_maker: bool,
    /// Asked not to receive campaign messages.
    pub do_not_contact: bool,
    pub notes: Option<String>,
    /// spouse, parent or child for a linked relative of an individual customer.
    pub relation: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

const CONTACT_COLUMNS: &str = "k.id, k.customer_id, k.name, k.title, k.phone, k.email, \
    k.is_decision_maker, k.notes, k.relation, k.version, k.created_at, k.updated_at, k.do_not_contact";

impl Contact {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: r.try_get("id")?,
            customer_id: r.try_get("customer_id")?,
            name: r.try_get("name")?,
            title: r.try_get("title")?,
            phone: r.try_get("phone")?,
            email: r.try_get("email")?,
            is_decision_maker: r.try_get::<i64, _>("is_decision_maker")? != 0,
            do_not_contact: r.try_get::<i64, _>("do_not_contact")? != 0,
            notes: r.try_get("notes")?,
            relation: r.try_get("relation")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        })
    }
    pub fn as_input(&self) -> ContactInput {
        ContactInput {
            name: Some(self.name.clone()),
            title: self.title.clone(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            is_decision_maker: Some(self.is_decision_maker),
            notes: self.notes.clone(),
            relation: self.relation.clone(),
        }
    }
    pub(crate) fn snapshot(&self) -> Snapshot {
        vec![
            ("name", Some(self.name.clone())),
            ("title", self.title.clone()),
            ("phone", self.phone.clone()),
            ("email", self.email.clone()),
            (
                "is_decision_maker",
                Some(self.is_decision_maker.to_string()),
            ),
            ("notes", self.notes.clone()),
            ("relation", self.relation.clone()),
        ]
    }
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn contacts(&self, viewer: &Viewer, customer_id: i64) -> Result<Vec<Contact>> {
        let mut tx = self.read.begin().await?;
        load_customer(&mut tx, viewer, customer_id, false).await?;
        let rows = sqlx::query(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts k WHERE k.org_id = $1 AND k.customer_id = $2 \
             AND k.deleted_at IS NULL ORDER BY k.is_decision_maker DESC, k.id"
        ))
        .bind(viewer.org_id)
        .bind(customer_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter().map(Contact::from_row).collect()
    }

    /// A contact, reachable only through a customer the viewer may see.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn contact(&self, viewer: &Viewer, id: i64) -> Result<Contact> {
        let mut tx = self.read.begin().await?;
        let c = load_contact(&mut tx, viewer, id).await?;
        tx.commit().await?;
        Ok(c)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_contact(
        &self,
        viewer: &Viewer,
        customer_id: i64,
        f: &ContactFields,
        now: DateTime<Utc>,
    ) -> Result<Contact> {
        let mut tx = self.write.begin().await?;
        load_customer(&mut tx, viewer, customer_id, false).await?;
        let created = insert_contact(&mut tx, viewer, customer_id, f, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_contact(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        f: &ContactFields,
        now: DateTime<Utc>,
    ) -> Result<Contact> {
        let mut tx = self.write.begin().await?;
        let before = load_contact(&mut tx, viewer, id).await?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let after = rewrite(&mut tx, viewer, &before, f, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn delete_contact(
        &self,
        viewer: &Viewer,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        let before = load_contact(&mut tx, viewer, id).await?;
        sqlx::query("UPDATE contacts SET deleted_at = $1, version = version + 1 WHERE org_id = $2 AND id = $3")
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "contact",
                id,
                "delete",
                &diff(&before.snapshot(), &[]),
            )
            .await?;
        tx.commit().await?;
        Ok(before.customer_id)
    }
}

impl Store {
    /// Contacts of live customers in the viewer's scope after contact `after`, by id, with
    /// their customer's name: an export reads them a page at a time.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn contacts_after(
        &self,
        viewer: &Viewer,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(Contact, String)>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_COLUMNS}, c.name AS customer_name FROM contacts k JOIN customers c ON c.id = k.customer_id AND c.org_id = k.org_id WHERE"
        ));
        push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.deleted_at IS NULL AND k.deleted_at IS NULL AND k.id > ")
            .bind(after)
            .push(" ORDER BY k.id LIMIT ")
            .bind(limit.clamp(1, 10_000));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| Ok((Contact::from_row(r)?, r.try_get("customer_name")?)))
            .collect()
    }
}

pub(crate) async fn load_contact(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
) -> Result<Contact> {
    let mut sql = Sql::new(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts k JOIN customers c ON c.id = k.customer_id AND c.org_id = k.org_id WHERE"
    ));
    push_scope(&mut sql, viewer, "c");
    sql.push(" AND c.deleted_at IS NULL AND k.deleted_at IS NULL AND k.id = ")
        .bind(id);
    let row = sql
        .query()
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    Contact::from_row(&row)
}

/// Adds a contact to a customer the caller has already reached, in `tx`, on the audit trail.
pub(crate) async fn insert_contact(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    viewer: &Viewer,
    customer_id: i64,
    f: &ContactFields,
    now: DateTime<Utc>,
) -> Result<Contact> {
    let id: i64 = sqlx::query(
            "INSERT INTO contacts (org_id, customer_id, name, title, phone, phone_norm, email, is_decision_maker, notes, created_at, updated_at, relation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(customer_id)
        .bind(f.name.as_str())
        .bind(f.title.clone())
        .bind(f.phone.as_ref().map(|p| p.display().to_string()))
        .bind(f.phone.as_ref().map(|p| p.normalized().to_string()))
        .bind(f.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(i64::from(f.is_decision_maker))
        .bind(f.notes.clone())
        .bind(ts(now))
        .bind(f.relation.map(|r| r.as_str()))
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let created = load_contact(tx, viewer, id).await?;
    Audit::by(viewer, now)
        .record(tx, "contact", id, "create", &diff(&[], &created.snapshot()))
        .await?;
    Ok(created)
}

/// What a contact would be with these fields, as [`Contact`]'s audit snapshot reads it.
pub(crate) fn fields_snapshot(f: &ContactFields) -> Snapshot {
    vec![
        ("name", Some(f.name.as_str().to_string())),
        ("title", f.title.clone()),
        ("phone", f.phone.as_ref().map(|p| p.display().to_string())),
        ("email", f.email.as_ref().map(|e| e.as_str().to_string())),
        ("is_decision_maker", Some(f.is_decision_maker.to_string())),
        ("notes", f.notes.clone()),
        ("relation", f.relation.map(|r| r.as_str().to_string())),
    ]
}

/// Rewrites a contact read as `before` in `tx` (its version guards the write), on the audit
/// trail when anything changed.
async fn rewrite(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    before: &Contact,
    f: &ContactFields,
    now: DateTime<Utc>,
) -> Result<Contact> {
    let (id, expected_version) = (before.id, before.version);
    sqlx::query(
            "UPDATE contacts SET name = $1, title = $2, phone = $3, phone_norm = $4, email = $5, \
             is_decision_maker = $6, notes = $7, version = version + 1, updated_at = $8, relation = $12 \
             WHERE org_id = $9 AND id = $10 AND version = $11",
        )
        .bind(f.name.as_str())
        .bind(f.title.clone())
        .bind(f.phone.as_ref().map(|p| p.display().to_string()))
        .bind(f.phone.as_ref().map(|p| p.normalized().to_string()))
        .bind(f.email.as_ref().map(|e| e.as_str().to_string()))
        .bind(i64::from(f.is_decision_maker))
        .bind(f.notes.clone())
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(expected_version)
        .bind(f.relation.map(|r| r.as_str()))
        .execute(&mut **tx)
        .await?;
    let after = load_contact(tx, viewer, id).await?;
    let changes = diff(&before.snapshot(), &after.snapshot());
    if !changes.is_empty() {
        Audit::by(viewer, now)
            .record(tx, "contact", id, "update", &changes)
            .await?;
    }
    Ok(after)
}

/// Rewrites the contact `id` (an import that knows it by its external id).
pub(crate) async fn rewrite_contact(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    id: i64,
    f: &ContactFields,
    now: DateTime<Utc>,
) -> Result<Contact> {
    let before = load_contact(tx, viewer, id).await?;
    rewrite(tx, viewer, &before, f, now).await
}
