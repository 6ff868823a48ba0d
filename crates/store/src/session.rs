//! Sessions for the web UI and bearer tokens for the API, both kept in the database so that any
//! app server can answer any request. Only a SHA-256 digest of each token is stored.

use crate::org::User;
use crate::{ts, Result, Store};
use chrono::{DateTime, Utc};
use sqlx::Row;
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
    /// Unread escalations in the person's inbox, shown in every page's menu.
    pub unread: i64,
}

impl Store {
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
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionUser>> {
        let row = sqlx::query(
            "SELECT s.id AS session_id, s.csrf_token, s.kind, u.id, u.org_id, u.username, u.display_name, \
             u.role, u.superior_id, u.active, u.locale, u.time_zone, u.email, u.version, u.created_at, \
             o.clerk_visibility, (SELECT COUNT(*) FROM inbox i WHERE i.org_id = u.org_id AND i.user_id = u.id AND i.read_at IS NULL) AS unread \
             FROM sessions s JOIN users u ON u.id = s.user_id \
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
                unread: r.try_get("unread")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, session_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(session_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn record_login_failure(
        &self,
        org_id: Option<i64>,
        username: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (org_id, username, failed_at) VALUES ($1, $2, $3)")
            .bind(org_id.unwrap_or(0))
            .bind(username.trim().to_lowercase())
            .bind(ts(now))
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn login_failures_since(&self, username: &str, since: DateTime<Utc>) -> Result<i64> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND failed_at > $2",
        )
        .bind(username.trim().to_lowercase())
        .bind(ts(since))
        .fetch_one(&self.read)
        .await?
        .try_get(0)?)
    }

    pub async fn clear_login_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username.trim().to_lowercase())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
