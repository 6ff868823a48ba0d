//! Sessions for the web UI and bearer tokens for the API, both kept in the database so that any
//! app server can answer any request. Only a SHA-256 digest of each token is stored.

use crate::org::User;
use crate::{ts, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sqlx::Row;
use yingpan_domain::permission::Policy;
use yingpan_domain::person::ClerkVisibility;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Web,
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Web => "web",
            SessionKind::Api => "api",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SessionUser {
    pub session_id: i64,
    pub user: User,
    pub csrf_token: String,
    pub kind: SessionKind,
    /// The organization's policy for clerks, needed to compute every request's scope.
    pub clerk_visibility: ClerkVisibility,
    /// The company settings that widen a role's actions (`domain::permission`).
    pub policy: Policy,
    /// Unread escalations in the person's inbox, shown in every page's menu.
    pub unread: i64,
}

/// Devices remembered per person (the most recent logins).
const KNOWN_DEVICES_KEPT: i64 = 20;

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_session(
        &self,
        user: &User,
        token_hash: &str,
        kind: SessionKind,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (org_id, user_id, token_hash, kind, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(user.org_id)
        .bind(user.id)
        .bind(token_hash)
        .bind(kind.as_str())
        .bind(csrf_token)
        .bind(ts(now))
        .bind(ts(expires_at))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The active user behind a token digest, if the session is live.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionUser>> {
        let row = sqlx::query(
            "SELECT s.id AS session_id, s.csrf_token, s.kind, u.id, u.org_id, u.username, u.display_name, \
             u.role, u.superior_id, u.active, u.locale, u.time_zone, u.email, u.version, u.created_at, \
             o.clerk_visibility, o.sales_may_import, (SELECT COUNT(*) FROM inbox i WHERE i.org_id = u.org_id AND i.user_id = u.id AND i.read_at IS NULL) AS unread \
             FROM sessions s JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id \
             JOIN organizations o ON o.id = u.org_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
        )
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let kind: String = r.try_get("kind")?;
            let cv: String = r.try_get("clerk_visibility")?;
            Ok(SessionUser {
                session_id: r.try_get("session_id")?,
                csrf_token: r.try_get("csrf_token")?,
                kind: if kind == "api" {
                    SessionKind::Api
                } else {
                    SessionKind::Web
                },
                user: User::from_row(&r)?,
                clerk_visibility: cv.parse().unwrap_or(ClerkVisibility::All),
                policy: Policy {
                    sales_may_import: r.try_get::<i64, _>("sales_may_import")? != 0,
                },
                unread: r.try_get("unread")?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn delete_session(&self, session_id: i64) -> Result<()> {
        sqlx::query("/* across organizations: session */ DELETE FROM sessions WHERE id = $1")
            .bind(session_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Counts a login attempt before the password is checked: the attempt is written first and
    /// then the attempts of its (username, client) are counted, so of any number of
    /// simultaneous attempts at most `limit` see a count within it. An attempt over the limit is
    /// taken back (it checked no password) and `None` returned; otherwise the attempt's id.
    /// Attempts older than `since` are dropped on the way.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn begin_login_attempt(
        &self,
        username: &str,
        client: &str,
        limit: i64,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let username = username.trim().to_lowercase();
        sqlx::query("DELETE FROM login_failures WHERE username = $1 AND failed_at <= $2")
            .bind(&username)
            .bind(ts(since))
            .execute(&self.write)
            .await?;
        let id: i64 = sqlx::query(
            "INSERT INTO login_failures (org_id, username, client, failed_at) VALUES (0, $1, $2, $3) RETURNING id",
        )
        .bind(&username)
        .bind(client)
        .bind(ts(now))
        .fetch_one(&self.write)
        .await?
        .try_get(0)?;
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND client = $2 AND failed_at > $3",
        )
        .bind(&username)
        .bind(client)
        .bind(ts(since))
        .fetch_one(&self.write)
        .await?
        .try_get(0)?;
        if n > limit {
            self.forget_login_attempt(id).await?;
            return Ok(None);
        }
        Ok(Some(id))
    }

    /// Attempts on a username from every client since `since` (the wider, softer limit).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn login_attempts_since(&self, username: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND failed_at > $2",
        )
        .bind(username.trim().to_lowercase())
        .bind(ts(since))
        .fetch_one(&self.write)
        .await?
        .try_get(0)?)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn forget_login_attempt(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE id = $1")
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// A successful login clears its client's attempts (other clients' stay).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn clear_login_attempts(&self, username: &str, client: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1 AND client = $2")
            .bind(username.trim().to_lowercase())
            .bind(client)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// An administrator lifts every throttle on one of the organization's people.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn unlock_login(&self, org_id: i64, user_id: i64) -> Result<u64> {
        let username: String =
            sqlx::query("SELECT username FROM users WHERE org_id = $1 AND id = $2")
                .bind(org_id)
                .bind(user_id)
                .fetch_optional(&self.read)
                .await?
                .ok_or(StoreError::NotFound)?
                .try_get(0)?;
        Ok(
            sqlx::query("DELETE FROM login_failures WHERE username = $1")
                .bind(username.to_lowercase())
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    /// Remembers a device that logged in as `user` (by its cookie's digest).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn remember_device(
        &self,
        user: &User,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO known_devices (org_id, user_id, token_hash, created_at, last_used_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(user.org_id)
        .bind(user.id)
        .bind(token_hash)
        .bind(ts(now))
        .execute(&self.write)
        .await?;
        // A person keeps their most recent devices; an API client that never keeps its cookie
        // would otherwise add a row at every login.
        sqlx::query(
            "DELETE FROM known_devices WHERE org_id = $3 AND user_id = $1 AND id NOT IN \
             (SELECT id FROM known_devices WHERE org_id = $3 AND user_id = $1 ORDER BY id DESC LIMIT $2)",
        )
        .bind(user.id)
        .bind(KNOWN_DEVICES_KEPT)
        .bind(user.org_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Whether the device (cookie digest) logged in as this person before.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn is_known_device(&self, user_id: i64, token_hash: &str) -> Result<bool> {
        Ok(
            sqlx::query("/* across organizations: login */ SELECT 1 FROM known_devices WHERE token_hash = $1 AND user_id = $2")
                .bind(token_hash)
                .bind(user_id)
                .fetch_optional(&self.read)
                .await?
                .is_some(),
        )
    }
}
