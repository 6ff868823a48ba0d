//! Organizations and their people: roles, the reporting line, deactivation with handover.

use crate::audit::{record, Audit};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::{diff, Snapshot};
use yingpan_domain::customer::Email;
use yingpan_domain::hierarchy::ReportingLine;
use yingpan_domain::ownership::TierDays;
use yingpan_domain::person::{leaves_no_admin, DisplayName, Locale, Role, Username};
pub use yingpan_domain::policy::OrgSettings;
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    #[serde(flatten)]
    pub settings: OrgSettings,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub superior_id: Option<i64>,
    pub active: bool,
    pub locale: Locale,
    pub time_zone: String,
    /// Where notifications go when SMTP is configured.
    pub email: Option<String>,
    pub version: i64,
    pub created_at: String,
}

const USER_COLUMNS: &str = "id, org_id, username, display_name, role, superior_id, active, \
                            locale, time_zone, email, version, created_at";

impl User {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        let role: String = r.try_get("role")?;
        let locale: String = r.try_get("locale")?;
        Ok(Self {
            id: r.try_get("id")?,
            org_id: r.try_get("org_id")?,
            username: r.try_get("username")?,
            display_name: r.try_get("display_name")?,
            role: role
                .parse()
                .map_err(|_| StoreError::Corrupt(role.clone()))?,
            superior_id: r.try_get("superior_id")?,
            active: r.try_get::<i64, _>("active")? != 0,
            locale: Locale::parse(&locale).unwrap_or(Locale::ZhCn),
            time_zone: r.try_get("time_zone")?,
            email: r.try_get("email")?,
            version: r.try_get("version")?,
            created_at: r.try_get("created_at")?,
        })
    }

    fn snapshot(&self) -> Snapshot {
        vec![
            ("username", Some(self.username.clone())),
            ("display_name", Some(self.display_name.clone())),
            ("role", Some(self.role.to_string())),
            ("superior_id", self.superior_id.map(|s| s.to_string())),
            ("active", Some(self.active.to_string())),
            ("locale", Some(self.locale.as_str().to_string())),
            ("email", self.email.clone()),
        ]
    }
}

pub struct NewUser {
    pub username: Username,
    pub password_hash: String,
    pub display_name: DisplayName,
    pub role: Role,
    pub superior_id: Option<i64>,
}

/// A change to a person; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserUpdate {
    pub display_name: Option<DisplayName>,
    pub role: Option<Role>,
    pub superior_id: Option<Option<i64>>,
    pub locale: Option<Locale>,
    pub password_hash: Option<String>,
    /// `Some(None)` removes the address.
    pub email: Option<Option<Email>>,
}

async fn load_user(tx: &mut Transaction<'_, Any>, org_id: i64, id: i64) -> Result<User> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    User::from_row(&row)
}

/// A company setting kept as a JSON object in a column of `organizations` (picklists,
/// service and campaign settings); `column` is the caller's constant.
pub(crate) async fn settings_json<T: serde::de::DeserializeOwned>(
    exec: impl sqlx::Executor<'_, Database = Any>,
    org_id: i64,
    column: &'static str,
) -> Result<T> {
    let raw: String = sqlx::query(&format!("SELECT {column} FROM organizations WHERE id = $1"))
        .bind(org_id)
        .fetch_one(exec)
        .await?
        .try_get(0)?;
    serde_json::from_str(&raw).map_err(|e| crate::StoreError::Corrupt(format!("{column}: {e}")))
}

/// The organization's reporting line (who reports to whom), read in `tx`.
pub(crate) async fn reporting_line(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
) -> Result<ReportingLine> {
    let rows = sqlx::query("SELECT id, superior_id FROM users WHERE org_id = $1")
        .bind(org_id)
        .fetch_all(&mut **tx)
        .await?;
    let edges = rows
        .iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("superior_id")?)))
        .collect::<Result<Vec<(i64, Option<i64>)>>>()?;
    Ok(ReportingLine::new(edges))
}

async fn active_admin_ids(tx: &mut Transaction<'_, Any>, org_id: i64) -> Result<Vec<i64>> {
    let rows =
        sqlx::query("SELECT id FROM users WHERE org_id = $1 AND role = 'admin' AND active = 1")
            .bind(org_id)
            .fetch_all(&mut **tx)
            .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

/// The superior must exist in the organization, be active, and not close a loop.
async fn check_superior(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    person: i64,
    role: Role,
    superior: Option<i64>,
) -> Result<()> {
    match superior {
        None if role.requires_superior() => {
            return Err(ValidationError::new(
                "superior_id",
                "required",
                "every person in this role reports to exactly one superior",
            )
            .into())
        }
        None => return Ok(()),
        Some(s) => {
            let sup = load_user(tx, org_id, s).await.map_err(|e| match e {
                StoreError::NotFound => ValidationError::new(
                    "superior_id",
                    "unknown_superior",
                    "the superior does not exist in this organization",
                )
                .into(),
                e => e,
            })?;
            if !sup.active {
                return Err(ValidationError::new(
                    "superior_id",
                    "inactive_superior",
                    "the superior has been deactivated",
                )
                .into());
            }
        }
    }
    reporting_line(tx, org_id)
        .await?
        .check_superior(person, superior)?;
    Ok(())
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn has_data(&self) -> Result<bool> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM organizations")
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        Ok(n > 0)
    }

    /// Creates the organization and its first admin; refuses a database that holds data.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn init_organization(
        &self,
        name: &str,
        admin: NewUser,
        now: DateTime<Utc>,
    ) -> Result<(Organization, User)> {
        let name = yingpan_domain::customer::CustomerName::parse(name).map_err(|_| {
            ValidationError::new("org", "required", "organization name must not be empty")
        })?;
        let mut tx = self.write.begin().await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM organizations")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if n > 0 {
            return Err(StoreError::rule(
                "database_not_empty",
                "the database already holds an organization; refusing to initialise it again",
            ));
        }
        let org_id: i64 = sqlx::query(
            "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(name.as_str())
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query("UPDATE organizations SET org_id = id WHERE id = $1")
            .bind(org_id)
            .execute(&mut *tx)
            .await?;
        let user = insert_user(&mut tx, org_id, &admin, now).await?;
        record(
            &mut tx,
            org_id,
            None,
            "user",
            user.id,
            "create",
            &diff(&[], &user.snapshot()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((self.organization(org_id).await?, user))
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn organization(&self, org_id: i64) -> Result<Organization> {
        let r = sqlx::query(
            "SELECT id, name, protection_days, clerk_visibility, claim_daily_limit, holding_cap, \
             reclaim_cooldown_days, warning_days, exempt_open_opportunity, exempt_with_deal, no_opportunity_days, no_deal_days, \
             no_opportunity_days_priority, no_opportunity_days_general, no_opportunity_days_last, \
             no_deal_days_priority, no_deal_days_general, no_deal_days_last, holding_cap_counts_deals, sales_may_import, version \
             FROM organizations WHERE id = $1",
        )
        .bind(org_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let cv: String = r.try_get("clerk_visibility")?;
        Ok(Organization {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            settings: OrgSettings {
                protection_days: r.try_get("protection_days")?,
                clerk_visibility: cv.parse().map_err(|_| StoreError::Corrupt(cv.clone()))?,
                claim_daily_limit: r.try_get("claim_daily_limit")?,
                holding_cap: r.try_get("holding_cap")?,
                holding_cap_counts_deals: r.try_get::<i64, _>("holding_cap_counts_deals")? != 0,
                sales_may_import: r.try_get::<i64, _>("sales_may_import")? != 0,
                reclaim_cooldown_days: r.try_get("reclaim_cooldown_days")?,
                warning_days: r.try_get("warning_days")?,
                exempt_open_opportunity: r.try_get::<i64, _>("exempt_open_opportunity")? != 0,
                exempt_with_deal: r.try_get::<i64, _>("exempt_with_deal")? != 0,
                no_opportunity_days: r.try_get("no_opportunity_days")?,
                no_deal_days: r.try_get("no_deal_days")?,
                no_opportunity_days_by_tier: TierDays {
                    priority: r.try_get("no_opportunity_days_priority")?,
                    general: r.try_get("no_opportunity_days_general")?,
                    last: r.try_get("no_opportunity_days_last")?,
                },
                no_deal_days_by_tier: TierDays {
                    priority: r.try_get("no_deal_days_priority")?,
                    general: r.try_get("no_deal_days_general")?,
                    last: r.try_get("no_deal_days_last")?,
                },
            },
            version: r.try_get("version")?,
        })
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_org_settings(
        &self,
        actor: &Viewer,
        settings: &OrgSettings,
        version: i64,
        now: DateTime<Utc>,
    ) -> Result<Organization> {
        settings.validate()?;
        let before = self.organization(actor.org_id).await?;
        let mut tx = self.write.begin().await?;
        let n = sqlx::query(
            "UPDATE organizations SET protection_days = $1, clerk_visibility = $2, claim_daily_limit = $3, \
             holding_cap = $4, reclaim_cooldown_days = $5, warning_days = $8, exempt_open_opportunity = $9, exempt_with_deal = $10, no_opportunity_days = $11, no_deal_days = $12, \
             no_opportunity_days_priority = $13, no_opportunity_days_general = $14, no_opportunity_days_last = $15, \
             no_deal_days_priority = $16, no_deal_days_general = $17, no_deal_days_last = $18, \
             holding_cap_counts_deals = $19, sales_may_import = $20, \
             version = version + 1 \
             WHERE id = $6 AND version = $7",
        )
        .bind(settings.protection_days)
        .bind(settings.clerk_visibility.as_str())
        .bind(settings.claim_daily_limit)
        .bind(settings.holding_cap)
        .bind(settings.reclaim_cooldown_days)
        .bind(actor.org_id)
        .bind(version)
        .bind(settings.warning_days)
        .bind(i64::from(settings.exempt_open_opportunity))
        .bind(i64::from(settings.exempt_with_deal))
        .bind(settings.no_opportunity_days)
        .bind(settings.no_deal_days)
        .bind(settings.no_opportunity_days_by_tier.priority)
        .bind(settings.no_opportunity_days_by_tier.general)
        .bind(settings.no_opportunity_days_by_tier.last)
        .bind(settings.no_deal_days_by_tier.priority)
        .bind(settings.no_deal_days_by_tier.general)
        .bind(settings.no_deal_days_by_tier.last)
        .bind(i64::from(settings.holding_cap_counts_deals))
        .bind(i64::from(settings.sales_may_import))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let changes = diff(&before.settings.snapshot(), &settings.snapshot());
        Audit::by(actor, now)
            .record(&mut tx, "organization", actor.org_id, "update", &changes)
            .await?;
        tx.commit().await?;
        self.organization(actor.org_id).await
    }

    /// The user and password hash for a login name, whatever their organization.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn user_for_login(&self, username: &str) -> Result<Option<(User, String)>> {
        let Ok(name) = Username::parse(username) else {
            return Ok(None);
        };
        let row = sqlx::query(&format!(
            "/* across organizations: login */ SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"
        ))
        .bind(name.as_str())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| Ok((User::from_row(&r)?, r.try_get("password_hash")?)))
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn user(&self, org_id: i64, id: i64) -> Result<User> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        User::from_row(&row)
    }

    /// The people within the viewer's scope: everyone, their subtree (themselves included), or
    /// themselves.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn people_in_scope(&self, viewer: &crate::Viewer) -> Result<Vec<User>> {
        use yingpan_domain::person::Scope;
        match viewer.scope {
            Scope::All => self.users(viewer.org_id).await,
            Scope::Subtree => self.subtree_users(viewer.org_id, viewer.user_id).await,
            Scope::Own => Ok(vec![self.user(viewer.org_id, viewer.user_id).await?]),
        }
    }

    /// `root` and everyone below them.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn subtree_users(&self, org_id: i64, root: i64) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id IN \
             (WITH RECURSIVE sub(id) AS (SELECT id FROM users WHERE org_id = $1 AND id = $2 \
              UNION ALL SELECT u.id FROM users u JOIN sub ON u.superior_id = sub.id WHERE u.org_id = $1) SELECT id FROM sub) \
             ORDER BY active DESC, role, display_name, id"
        ))
        .bind(org_id)
        .bind(root)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(User::from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn users(&self, org_id: i64) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY active DESC, role, display_name, id"
        ))
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(User::from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_user(
        &self,
        actor: &Viewer,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let mut tx = self.write.begin().await?;
        // A new person has no id yet, so no loop is possible; 0 never matches a row.
        check_superior(&mut tx, actor.org_id, 0, new.role, new.superior_id).await?;
        let user = insert_user(&mut tx, actor.org_id, &new, now).await?;
        Audit::by(actor, now)
            .record(
                &mut tx,
                "user",
                user.id,
                "create",
                &diff(&[], &user.snapshot()),
            )
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_user(
        &self,
        actor: &Viewer,
        id: i64,
        version: Option<i64>,
        update: UserUpdate,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let mut tx = self.write.begin().await?;
        let before = load_user(&mut tx, actor.org_id, id).await?;
        if let Some(v) = version {
            if v != before.version {
                return Err(StoreError::VersionConflict {
                    current: before.version,
                });
            }
        }
        let role = update.role.unwrap_or(before.role);
        let superior = update.superior_id.unwrap_or(before.superior_id);
        if role != before.role || superior != before.superior_id {
            check_superior(&mut tx, actor.org_id, id, role, superior).await?;
        }
        if before.role == Role::Admin
            && role != Role::Admin
            && before.active
            && leaves_no_admin(&active_admin_ids(&mut tx, actor.org_id).await?, id)
        {
            return Err(ValidationError::new(
                "role",
                "last_admin",
                "the organization must keep at least one active admin",
            )
            .into());
        }
        let display_name = update
            .display_name
            .map(|d| d.as_str().to_string())
            .unwrap_or_else(|| before.display_name.clone());
        let locale = update.locale.unwrap_or(before.locale);
        let email = match update.email {
            Some(e) => e.map(|e| e.as_str().to_string()),
            None => before.email.clone(),
        };
        let n = sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, superior_id = $3, locale = $4, \
             password_hash = COALESCE($5, password_hash), email = $6, version = version + 1, updated_at = $7 \
             WHERE org_id = $8 AND id = $9 AND version = $10",
        )
        .bind(&display_name)
        .bind(role.as_str())
        .bind(superior)
        .bind(locale.as_str())
        .bind(update.password_hash.clone())
        .bind(email)
        .bind(ts(now))
        .bind(actor.org_id)
        .bind(id)
        .bind(before.version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let after = load_user(&mut tx, actor.org_id, id).await?;
        let mut changes = diff(&before.snapshot(), &after.snapshot());
        if update.password_hash.is_some() {
            changes.push(yingpan_domain::audit::FieldChange {
                field: "password".into(),
                before: None,
                after: Some("(changed)".into()),
            });
        }
        if !changes.is_empty() {
            Audit::by(actor, now)
                .record(&mut tx, "user", id, "update", &changes)
                .await?;
        }
        if update.password_hash.is_some() {
            sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
                .bind(actor.org_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Deactivates a person: their customers go to `handover_to` (or the public pool when
    /// `None`), their direct reports move up to their own superior, their sessions end.
    /// Nothing of theirs is deleted. Returns how many customers moved.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn deactivate_user(
        &self,
        actor: &Viewer,
        id: i64,
        handover_to: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let before = load_user(&mut tx, actor.org_id, id).await?;
        if !before.active {
            return Err(StoreError::rule(
                "already_inactive",
                "this person is already deactivated",
            ));
        }
        if before.role == Role::Admin
            && leaves_no_admin(&active_admin_ids(&mut tx, actor.org_id).await?, id)
        {
            return Err(ValidationError::new(
                "id",
                "last_admin",
                "the organization must keep at least one active admin",
            )
            .into());
        }
        if let Some(h) = handover_to {
            let target = load_user(&mut tx, actor.org_id, h)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => ValidationError::new(
                        "handover_to",
                        "unknown_user",
                        "the colleague to hand over to does not exist",
                    )
                    .into(),
                    e => e,
                })?;
            if !target.active || target.id == id {
                return Err(ValidationError::new(
                    "handover_to",
                    "inactive_user",
                    "customers can only be handed over to another active colleague",
                )
                .into());
            }
        }
        let moved =
            crate::pool::move_all_customers(&mut tx, actor, id, handover_to, "deactivation", now)
                .await?;
        let reports = sqlx::query("SELECT id FROM users WHERE org_id = $1 AND superior_id = $2")
            .bind(actor.org_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        for r in &reports {
            let report: i64 = r.try_get(0)?;
            sqlx::query("UPDATE users SET superior_id = $1, version = version + 1, updated_at = $2 WHERE org_id = $4 AND id = $3")
                .bind(before.superior_id)
                .bind(ts(now))
                .bind(report)
                .bind(actor.org_id)
                .execute(&mut *tx)
                .await?;
            let changes = diff(
                &[("superior_id", Some(id.to_string()))],
                &[("superior_id", before.superior_id.map(|s| s.to_string()))],
            );
            Audit::by(actor, now)
                .record(&mut tx, "user", report, "update", &changes)
                .await?;
        }
        sqlx::query(
            "UPDATE users SET active = 0, version = version + 1, updated_at = $1 WHERE org_id = $3 AND id = $2",
        )
        .bind(ts(now))
        .bind(id)
        .bind(actor.org_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
            .bind(actor.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut changes = vec![yingpan_domain::audit::FieldChange {
            field: "active".into(),
            before: Some("true".into()),
            after: Some("false".into()),
        }];
        changes.push(yingpan_domain::audit::FieldChange {
            field: "customers_handed_over_to".into(),
            before: None,
            after: Some(handover_to.map_or("pool".to_string(), |h| h.to_string())),
        });
        Audit::by(actor, now)
            .record(&mut tx, "user", id, "deactivate", &changes)
            .await?;
        tx.commit().await?;
        Ok(moved)
    }
}

async fn insert_user(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    new: &NewUser,
    now: DateTime<Utc>,
) -> Result<User> {
    let id: i64 = sqlx::query(
        "INSERT INTO users (org_id, username, password_hash, display_name, role, superior_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(org_id)
    .bind(new.username.as_str())
    .bind(&new.password_hash)
    .bind(new.display_name.as_str())
    .bind(new.role.as_str())
    .bind(new.superior_id)
    .bind(ts(now))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    load_user(tx, org_id, id).await
}

/// Whether `viewer` stands above `person` in the reporting line and may therefore review their
/// plans and reports. The clerk may see them (company policy) but is nobody's superior.
pub(crate) async fn is_superior<'e, E>(exec: E, viewer: &Viewer, person: i64) -> Result<bool>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    if person == viewer.user_id || viewer.role == Role::Clerk {
        return Ok(false);
    }
    match viewer.scope {
        yingpan_domain::person::Scope::All => Ok(true),
        yingpan_domain::person::Scope::Own => Ok(false),
        yingpan_domain::person::Scope::Subtree => {
            let n: i64 = sqlx::query(
                "WITH RECURSIVE sub(id) AS (SELECT id FROM users WHERE org_id = $3 AND superior_id = $1 \
                 UNION ALL SELECT u.id FROM users u JOIN sub ON u.superior_id = sub.id WHERE u.org_id = $3) SELECT COUNT(*) FROM sub WHERE id = $2",
            )
            .bind(viewer.user_id)
            .bind(person)
            .bind(viewer.org_id)
            .fetch_one(exec)
            .await?
            .try_get(0)?;
            Ok(n > 0)
        }
    }
}
