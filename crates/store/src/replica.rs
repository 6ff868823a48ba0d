//! Read replicas (issue 17): PostgreSQL streaming standbys that serve the heavy reads — lists,
//! search, statistics, dashboards and reports — while everything else stays on the primary.
//!
//! Which requests may read from a standby is the web layer's decision, passed down as a
//! task-local [`Route`] around the request: a write, and every read inside it, runs with
//! `Route::Primary`; so does the page right after a write (see `web::request`). Which standby
//! is fit to serve is decided here by [`Store::check_replicas`], which a server runs every
//! second: a standby serves only while it has replayed everything the primary had written by
//! the previous check, so a lagging or vanished standby is passed over and the primary answers.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};

use crate::{Backend, Result, Store, StoreError};

/// Where the heavy reads of the current task may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A healthy standby, if there is one.
    Replica,
    /// The primary only.
    Primary,
}

struct RouteState {
    route: Route,
    /// The standby that served a read of this task, if any.
    used: Cell<Option<usize>>,
}

tokio::task_local! {
    static ROUTE: RouteState;
}

/// Runs `f` with its heavy reads routed as `route`; also answers which standby (if any) served
/// one of them, so that a failure there can be retried on the primary.
pub async fn route_reads<F: Future>(route: Route, f: F) -> (F::Output, Option<usize>) {
    ROUTE
        .scope(
            RouteState {
                route,
                used: Cell::new(None),
            },
            async move {
                let out = f.await;
                let used = ROUTE.with(|s| s.used.get());
                (out, used)
            },
        )
        .await
}

pub(crate) struct Replica {
    label: String,
    pool: AnyPool,
    healthy: AtomicBool,
}

#[derive(Default)]
pub(crate) struct Replicas {
    list: Vec<Replica>,
    /// The primary's write position at the previous check: a standby is fit while it has
    /// replayed at least this far.
    watermark: Mutex<Option<String>>,
    next: AtomicUsize,
}

/// One standby as the last check found it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaStatus {
    /// The standby's host and port (no credentials).
    pub label: String,
    pub healthy: bool,
    /// How far behind the primary's position at the previous check, in bytes of WAL (negative:
    /// ahead of it), when the standby answered.
    pub behind_bytes: Option<f64>,
    pub error: Option<String>,
}

/// `host:port/db` of a URL, without the user and password.
fn label_of(url: &str) -> String {
    let rest = url.split("://").nth(1).unwrap_or(url);
    rest.rsplit('@').next().unwrap_or(rest).to_string()
}

/// How long a check waits for a standby before counting it as gone.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

impl Store {
    /// Adds PostgreSQL streaming standbys (URLs of the same database on each) for the heavy
    /// reads. They are connected lazily and serve nothing until [`Store::check_replicas`]
    /// finds them caught up.
    pub fn with_replicas(mut self, urls: &[String]) -> Result<Store> {
        if urls.is_empty() {
            return Ok(self);
        }
        if self.backend != Backend::Postgres {
            return Err(StoreError::Config(
                "--read-db needs PostgreSQL: SQLite has no standbys".into(),
            ));
        }
        let mut list = Vec::new();
        for url in urls {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err(StoreError::Config(format!(
                    "--read-db {:?}: use postgres://… (a streaming standby of the primary)",
                    label_of(url)
                )));
            }
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(CHECK_TIMEOUT)
                .connect_lazy(url)?;
            list.push(Replica {
                label: label_of(url),
                pool,
                healthy: AtomicBool::new(false),
            });
        }
        self.replicas = std::sync::Arc::new(Replicas {
            list,
            ..Default::default()
        });
        Ok(self)
    }

    /// The pool for a heavy read: a healthy standby when the current task may use one
    /// (round-robin among them), else the primary's read pool.
    pub(crate) fn heavy_read(&self) -> &AnyPool {
        let list = &self.replicas.list;
        if list.is_empty() {
            return &self.read;
        }
        let allowed = ROUTE
            .try_with(|s| s.route == Route::Replica)
            .unwrap_or(false);
        if !allowed {
            return &self.read;
        }
        let start = self.replicas.next.fetch_add(1, Ordering::Relaxed);
        for k in 0..list.len() {
            let i = (start + k) % list.len();
            if list[i].healthy.load(Ordering::Relaxed) {
                let _ = ROUTE.try_with(|s| s.used.set(Some(i)));
                return &list[i].pool;
            }
        }
        &self.read
    }

    /// Takes standby `index` out of service until the next check finds it fit again (a read
    /// on it failed).
    pub fn replica_failed(&self, index: usize) {
        if let Some(r) = self.replicas.list.get(index) {
            r.healthy.store(false, Ordering::Relaxed);
            tracing::warn!(replica = %r.label, "read replica failed; reads go to the primary");
        }
    }

    /// Whether standbys are configured.
    pub fn has_replicas(&self) -> bool {
        !self.replicas.list.is_empty()
    }

    /// Checks every standby against the primary's write position: fit when it is a standby
    /// (still in recovery) and has replayed what the primary had written at the previous check.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn check_replicas(&self) -> Result<Vec<ReplicaStatus>> {
        if self.replicas.list.is_empty() {
            return Ok(Vec::new());
        }
        let now: String = sqlx::query("SELECT CAST(pg_current_wal_lsn() AS TEXT)")
            .fetch_one(&self.write)
            .await?
            .try_get(0)?;
        let watermark = self
            .replicas
            .watermark
            .lock()
            .map(|w| w.clone())
            .unwrap_or(None)
            .unwrap_or_else(|| now.clone());
        let mut out = Vec::new();
        for r in &self.replicas.list {
            let probe = async {
                let row = sqlx::query(
                    "SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END, \
                     CAST(pg_wal_lsn_diff(CAST($1 AS pg_lsn), pg_last_wal_replay_lsn()) AS DOUBLE PRECISION)",
                )
                .bind(&watermark)
                .fetch_one(&r.pool)
                .await?;
                let standby: i32 = row.try_get(0)?;
                let behind: Option<f64> = row.try_get(1)?;
                Ok::<_, StoreError>((standby == 1, behind))
            };
            let status = match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
                Ok(Ok((standby, behind))) => {
                    let fit = standby && behind.is_some_and(|b| b <= 0.0);
                    ReplicaStatus {
                        label: r.label.clone(),
                        healthy: fit,
                        behind_bytes: behind,
                        error: (!standby).then(|| "not a standby (promoted?)".to_string()),
                    }
                }
                Ok(Err(e)) => ReplicaStatus {
                    label: r.label.clone(),
                    healthy: false,
                    behind_bytes: None,
                    error: Some(e.to_string()),
                },
                Err(_) => ReplicaStatus {
                    label: r.label.clone(),
                    healthy: false,
                    behind_bytes: None,
                    error: Some("no answer within 2 s".into()),
                },
            };
            let was = r.healthy.swap(status.healthy, Ordering::Relaxed);
            if was != status.healthy {
                tracing::info!(replica = %r.label, healthy = status.healthy, behind_bytes = ?status.behind_bytes, error = ?status.error, "read replica");
            }
            out.push(status);
        }
        if let Ok(mut w) = self.replicas.watermark.lock() {
            *w = Some(now);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::label_of;

    #[test]
    fn a_standby_is_named_without_its_credentials() {
        assert_eq!(
            label_of("postgres://app:s3cret@standby1:5432/yingpan"),
            "standby1:5432/yingpan"
        );
        assert_eq!(label_of("postgres://standby2/yingpan"), "standby2/yingpan");
        // An @ in the password does not leak the rest of it.
        assert_eq!(
            label_of("postgresql://app:p@ss@standby3/yingpan"),
            "standby3/yingpan"
        );
    }
}
