//! The referral register (rule 6): who referred whom, whether they came in person, and when it
//! was registered — the domain decides whether it counts (`attribution::check_referral`); the
//! salesperson credited is who owned the referring customer then.

use crate::audit::Audit;
use crate::customer::load_customer;
use crate::{parse_ts, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use yingpan_domain::attribution::check_referral;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::error::ValidationError;
use yingpan_domain::person::Scope;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub id: i64,
    pub referrer_id: i64,
    pub referrer_name: String,
    pub referred_customer_id: Option<i64>,
    pub referred_name: String,
    pub referred_phone: Option<String>,
    pub brought_in_person: bool,
    pub credited_to: Option<i64>,
    pub credited_name: Option<String>,
    pub note: Option<String>,
    pub registered_at: String,
    pub linked_at: Option<String>,
}

/// What the register is asked to record.
#[derive(Debug, Clone, Default)]
pub struct NewReferral {
    pub referrer_id: i64,
    /// A customer already registered (only when brought in person, or registered after now —
    /// impossible — so in practice: brought in person).
    pub referred_id: Option<i64>,
    /// Otherwise the person to come: their name (and phone).
    pub referred_name: Option<String>,
    pub referred_phone: Option<String>,
    pub brought_in_person: bool,
    pub note: Option<String>,
}

const COLUMNS: &str = "r.id, r.referrer_id, rc.name AS referrer_name, r.referred_customer_id, r.referred_name, \
    r.referred_phone, r.brought_in_person, r.credited_to, u.display_name AS credited_name, r.note, r.registered_at, r.linked_at";
const FROM: &str = "FROM referrals r JOIN customers rc ON rc.id = r.referrer_id AND rc.org_id = r.org_id LEFT JOIN users u ON u.id = r.credited_to AND u.org_id = r.org_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Referral> {
    Ok(Referral {
        id: r.try_get("id")?,
        referrer_id: r.try_get("referrer_id")?,
        referrer_name: r.try_get("referrer_name")?,
        referred_customer_id: r.try_get("referred_customer_id")?,
        referred_name: r.try_get("referred_name")?,
        referred_phone: r.try_get("referred_phone")?,
        brought_in_person: r.try_get::<i64, _>("brought_in_person")? != 0,
        credited_to: r.try_get("credited_to")?,
        credited_name: r.try_get("credited_name")?,
        note: r.try_get("note")?,
        registered_at: r.try_get("registered_at")?,
        linked_at: r.try_get("linked_at")?,
    })
}

impl Store {
    /// Registers a referral by a customer the viewer may see.
    pub async fn create_referral(
        &self,
        viewer: &Viewer,
        input: &NewReferral,
        now: DateTime<Utc>,
    ) -> Result<Referral> {
        let note = yingpan_domain::customer::optional_text("note", input.note.as_deref(), 500)?;
        let phone = yingpan_domain::customer::optional_text(
            "referred_phone",
            input.referred_phone.as_deref(),
            40,
        )?;
        let mut tx = self.write.begin().await?;
        let referrer = load_customer(&mut tx, viewer, input.referrer_id, false)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ValidationError::new(
                    "referrer_id",
                    "unknown_customer",
                    "no such customer among yours",
                )
                .into(),
                e => e,
            })?;
        let (referred_id, referred_name, referred_at) = match input.referred_id {
            Some(id) => {
                // The referred customer may be anyone's: the register only names it.
                let all = Viewer {
                    scope: Scope::All,
                    ..*viewer
                };
                let c = load_customer(&mut tx, &all, id, false)
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound => ValidationError::new(
                            "referred_id",
                            "unknown_customer",
                            "no such customer",
                        )
                        .into(),
                        e => e,
                    })?;
                (Some(id), c.name.clone(), Some(parse_ts(&c.created_at)?))
            }
            None => {
                let name = yingpan_domain::customer::optional_text(
                    "referred_name",
                    input.referred_name.as_deref(),
                    200,
                )?
                .ok_or_else(|| {
                    ValidationError::new("referred_name", "required", "name the person referred")
                })?;
                (None, name, None)
            }
        };
        check_referral(
            referrer.id,
            referred_id,
            now,
            input.brought_in_person,
            referred_at,
        )?;
        if let Some(id) = referred_id {
            already_referred(&mut tx, viewer.org_id, id).await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO referrals (org_id, referrer_id, referred_customer_id, referred_name, referred_phone, \
             brought_in_person, credited_to, note, registered_by, registered_at, linked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(referrer.id)
        .bind(referred_id)
        .bind(&referred_name)
        .bind(phone)
        .bind(i64::from(input.brought_in_person))
        .bind(referrer.owner_id)
        .bind(note)
        .bind(viewer.user_id)
        .bind(ts(now))
        .bind(referred_id.map(|_| ts(now)))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "referral",
                id,
                "create",
                &[FieldChange {
                    field: "referral".into(),
                    before: None,
                    after: Some(format!("{} → {referred_name}", referrer.name)),
                }],
            )
            .await?;
        let r = one(&mut tx, viewer.org_id, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Links a registered referral to the customer the referred person became: refused when the
    /// customer was registered before the referral and was not brought in person.
    pub async fn link_referral(
        &self,
        viewer: &Viewer,
        id: i64,
        customer_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Referral> {
        let mut tx = self.write.begin().await?;
        let r = self.referral_in_scope(&mut tx, viewer, id).await?;
        if r.referred_customer_id.is_some() {
            return Err(StoreError::rule(
                "already_linked",
                "this referral is already linked to a customer",
            ));
        }
        let all = Viewer {
            scope: Scope::All,
            ..*viewer
        };
        let c = load_customer(&mut tx, &all, customer_id, false)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    ValidationError::new("customer_id", "unknown_customer", "no such customer")
                        .into()
                }
                e => e,
            })?;
        check_referral(
            r.referrer_id,
            Some(customer_id),
            parse_ts(&r.registered_at)?,
            r.brought_in_person,
            Some(parse_ts(&c.created_at)?),
        )
        .map_err(|mut e| {
            e.field = "customer_id";
            e
        })?;
        already_referred(&mut tx, viewer.org_id, customer_id).await?;
        sqlx::query("UPDATE referrals SET referred_customer_id = $1, linked_at = $2 WHERE org_id = $3 AND id = $4")
            .bind(customer_id)
            .bind(ts(now))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "referral",
                id,
                "link",
                &[FieldChange {
                    field: "referred_customer_id".into(),
                    before: None,
                    after: Some(c.name.clone()),
                }],
            )
            .await?;
        let r = one(&mut tx, viewer.org_id, id).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn referral_in_scope(
        &self,
        conn: &mut sqlx::AnyConnection,
        viewer: &Viewer,
        id: i64,
    ) -> Result<Referral> {
        let r = one(conn, viewer.org_id, id).await?;
        // In scope when the referring customer is.
        load_customer(conn, viewer, r.referrer_id, false).await?;
        Ok(r)
    }

    /// Referrals by customers in the viewer's scope, newest first.
    pub async fn referrals(&self, viewer: &Viewer, limit: i64) -> Result<Vec<Referral>> {
        let mut sql = crate::sql::Sql::new(&format!("SELECT {COLUMNS} {FROM} WHERE"));
        crate::sql::push_scope(&mut sql, viewer, "rc");
        sql.push(" AND r.org_id = ")
            .bind(viewer.org_id)
            .push(" ORDER BY r.id DESC LIMIT ")
            .bind(limit.clamp(1, 1000));
        sql.query()
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(from_row)
            .collect()
    }
}

async fn one(conn: &mut sqlx::AnyConnection, org_id: i64, id: i64) -> Result<Referral> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE r.org_id = $1 AND r.id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

async fn already_referred(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    customer: i64,
) -> Result<()> {
    if sqlx::query("SELECT 1 FROM referrals WHERE org_id = $1 AND referred_customer_id = $2")
        .bind(org_id)
        .bind(customer)
        .fetch_optional(&mut *conn)
        .await?
        .is_some()
    {
        return Err(ValidationError::new(
            "referred_id",
            "already_referred",
            "this customer is already registered as someone's referral",
        )
        .into());
    }
    Ok(())
}
