//! Yingpan persistence: one API over SQLite (default) and PostgreSQL.
//!
//! Queries are written once in the SQL both backends understand, with `$n` placeholders, and
//! run through sqlx's `Any` driver. Permission scope is part of every query's WHERE clause.

mod absence;
mod account_plan;
mod activity;
mod appeal;
mod audit;
mod budget;
mod calendar;
mod campaign;
mod coaching;
mod contact;
mod cube;
mod custom;
mod customer;
mod daily_report;
mod dashboard;
mod dedupe;
mod development;
mod economics;
mod error;
mod escalation;
mod funnel;
mod import;
mod ledger;
mod meeting;
mod merge;
mod migrate;
mod objection;
mod opportunity;
mod order;
mod org;
mod outbox;
mod pay;
mod pool;
mod pool_definitions;
mod product;
mod qualification;
mod quotation;
mod record_import;
mod referral;
mod replica;
mod rollup;
mod screening;
mod segment;
mod service;
mod session;
mod setting;
mod sql;
mod statistics;
mod survey;
mod target;
mod task;
mod visit_plan;
mod webhook;
mod weekly_report;

pub use absence::Absence;
pub use account_plan::{
    plan_year, AccountPlan, PlanDetail, PlanEvaluation, PlanFacts, PlanRevision,
};
pub use activity::{Activity, ActivityDetails, ActivityKind, ActivityRow};
pub use appeal::Appeal;
pub use audit::AuditEntry;
pub use budget::TeamBudget;
pub use calendar::{CalendarFeed, FeedOwner};
pub use campaign::{Campaign, Outgoing, Recipient};
pub use coaching::{CoachingNote, JointVisit};
pub use contact::Contact;
pub use customer::{
    CardFilter, Customer, CustomerListQuery, CustomerSort, HistoryFilter, ReturningSoon, SizeFilter,
};
pub use daily_report::StoredDailyReport;
pub use dashboard::MonthFigures;
pub use dedupe::{DuplicateMatch, Keys as DuplicateKeys};
pub use development::{DealerStats, StoredDevelopmentReport};
pub use economics::{EconomicsBasis, SegmentBy, Snapshot, SpendEstimate};
pub use error::StoreError;
pub use escalation::{Escalation, InboxItem};
pub use import::{ImportOptions, ImportOutcome, ImportStep, NewRow, Progress as ImportProgress};
pub use ledger::{AdvanceLine, AdvanceSummary};
pub use meeting::{Meeting, MeetingDetail, MeetingMember};
pub use merge::{Merge, SuspectedGroup};
pub use objection::{Objection, ObjectionAnswer, ObjectionChoice, ObjectionFilter};
pub use opportunity::{Opportunity, OpportunityFields, OpportunityQuery, StageSummary};
pub use order::{Order, OrderFilter, OrderRow, Payment, StoredLine};
pub use org::{NewUser, OrgSettings, Organization, User, UserUpdate};
pub use outbox::OutboxMessage;
pub use pay::{parse_month, SheetStatus, StoredPayPlan, StoredSheet};
pub use pool::{OwnershipChange, PoolCustomer};
pub use pool_definitions::{Pool, PoolInput, PoolMember};
pub use product::Product;
pub use qualification::{DueContact, Qualification};
pub use quotation::{Quotation, QuotationDetail, QuotationFields, QuotationVersion};
pub use record_import::RecordOutcome;
pub use referral::{NewReferral, Referral};
pub use replica::{route_reads, ReplicaStatus, Route};
pub use screening::{MatrixCustomer, Quadrant, ScreeningRecord};
pub use segment::Segment;
pub use service::{ReturnVisit, Ticket, TicketEvent, TicketFilter};
pub use session::{SessionKind, SessionUser};
pub use setting::CompanySetting;
pub use statistics::{StatisticsFilter, StatisticsReport, StatisticsRow};
pub use survey::{Invitation, Survey, SurveyGroup};
pub use target::{AttainmentReport, AttainmentRow, PartAttainment, TargetPlan, TargetPublication};
pub use task::{Task, TaskEvent, TaskView};
pub use visit_plan::{PlanQuery, VisitPlan};
pub use webhook::{Attempt, Delivery, OutgoingDelivery, Webhook, WebhookFields};
pub use weekly_report::{StoredWeeklyReport, TeamFigures, TeamSummary};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Row;
use std::str::FromStr;
use std::time::Duration;
use yingpan_domain::person::{Role, Scope};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who is asking, with the visibility their role grants; every scoped query takes one.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub org_id: i64,
    pub user_id: i64,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Clone)]
pub struct Store {
    /// SQLite allows one writer at a time; funnelling writes through a one-connection pool makes
    /// them queue in-process instead of failing with SQLITE_BUSY. On PostgreSQL both are one pool.
    write: AnyPool,
    read: AnyPool,
    backend: Backend,
    /// PostgreSQL standbys for the heavy reads (`replica`), shared by the store's clones.
    replicas: std::sync::Arc<replica::Replicas>,
}

/// Page cache of SQLite's one writer connection, in KiB.
pub(crate) const WRITER_CACHE_KIB: i64 = 32 * 1024;
/// Page cache of each of SQLite's eight reader connections, in KiB.
const READER_CACHE_KIB: i64 = 4 * 1024;
/// Page cache of the writer while it runs a bulk import, in KiB: the import's index and search
/// pages stay in memory for the whole transaction instead of being re-read from the file.
pub(crate) const IMPORT_CACHE_KIB: i64 = 256 * 1024;

impl Store {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    /// Connects to a database that must already exist: a mistyped SQLite path is an error, not
    /// a new empty database (only `init` and `demo` create one, through [`Store::connect`]).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn open(url: &str) -> Result<Self> {
        if let Some(path) = sqlite_path(url) {
            if !std::path::Path::new(&path).exists() {
                return Err(StoreError::Config(format!(
                    "no database at {path}: check --db, or create one with `yingpan init`"
                )));
            }
        }
        Self::connect(url).await
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL {url:?}: use sqlite://path/to/file.db or postgres://…"
            )));
        };
        let store = match backend {
            Backend::Sqlite => {
                let url = sqlite_url(url);
                // SQLite's default page cache is 2 MB per connection: at a million customers
                // nearly every index page of an insert was then re-read from the operating
                // system (60 % of an import's time in the profile). The one writer gets a larger
                // cache; the readers, of which there are eight, a moderate one.
                let opts = |cache_kib: i64| {
                    AnyPoolOptions::new()
                        .after_connect(move |conn, _| {
                            Box::pin(async move {
                                for pragma in [
                                    "PRAGMA foreign_keys = ON".to_string(),
                                    "PRAGMA busy_timeout = 10000".to_string(),
                                    "PRAGMA synchronous = NORMAL".to_string(),
                                    format!("PRAGMA cache_size = -{cache_kib}"),
                                ] {
                                    sqlx::query(&pragma).execute(&mut *conn).await?;
                                }
                                Ok(())
                            })
                        })
                        // Waiting for the one writer is bounded: past it the request is
                        // answered 503 with Retry-After (StoreError::Busy), not left hanging.
                        .acquire_timeout(Duration::from_secs(10))
                        // A pooled connection to a local file cannot have gone away; the default
                        // ping before every use doubled the round trips of each query.
                        .test_before_acquire(false)
                };
                let write = opts(WRITER_CACHE_KIB)
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                sqlx::raw_sql("PRAGMA journal_mode = WAL;")
                    .execute(&write)
                    .await?;
                let read = opts(READER_CACHE_KIB)
                    .max_connections(8)
                    .connect(&url)
                    .await?;
                Store {
                    write,
                    read,
                    backend,
                    replicas: Default::default(),
                }
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                Store {
                    write: pool.clone(),
                    read: pool,
                    backend,
                    replicas: Default::default(),
                }
            }
        };
        migrate::run(&store.write, backend).await?;
        if backend == Backend::Sqlite {
            // SQLite plans by statistics only once ANALYZE has run; without them it may count a
            // million customers through the wrong index. Once per database, then `optimize`.
            let has_stats: i64 =
                sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
                    .fetch_one(&store.write)
                    .await?
                    .try_get(0)?;
            if has_stats == 0 {
                sqlx::raw_sql("ANALYZE").execute(&store.write).await?;
            }
        }
        Ok(store)
    }

    /// Writes a consistent copy of a SQLite database to `path` while it is in use.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn backup_to(&self, path: &str) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(&self.write)
                    .await?;
                Ok(())
            }
            Backend::Postgres => Err(StoreError::Config(
                "back up PostgreSQL with pg_dump (or continuous archiving)".into(),
            )),
        }
    }

    /// Replaces a SQLite database with a backup made by [`Store::backup_to`]. The backup is
    /// checked first (SQLite's integrity check, and that it holds an organization); the copy is
    /// written beside the target and renamed over it, and the target's write-ahead log is
    /// removed, so a failure at any point leaves the target as it was or fully restored. The
    /// server must be stopped; an existing target is replaced only when `overwrite` is set.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn restore_sqlite(
        backup: &std::path::Path,
        target_url: &str,
        overwrite: bool,
    ) -> Result<()> {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let target = sqlite_path(target_url).ok_or_else(|| {
            StoreError::Config(
                "restore replaces SQLite databases; restore PostgreSQL with pg_restore".into(),
            )
        })?;
        let not_a_backup = |why: String| {
            StoreError::Config(format!(
                "{} is not a Yingpan backup: {why}",
                backup.display()
            ))
        };
        if !backup.is_file() {
            return Err(not_a_backup("no such file".into()));
        }
        let mut conn =
            sqlx::AnyConnection::connect(&format!("sqlite://{}?mode=ro", backup.display()))
                .await
                .map_err(|e| not_a_backup(e.to_string()))?;
        let check: Result<(String, i64)> = async {
            let ok: String = sqlx::query("PRAGMA integrity_check")
                .fetch_one(&mut conn)
                .await?
                .try_get(0)?;
            let orgs: i64 = sqlx::query("SELECT COUNT(*) FROM organizations")
                .fetch_one(&mut conn)
                .await?
                .try_get(0)?;
            Ok((ok, orgs))
        }
        .await;
        let _ = conn.close().await;
        match check {
            Ok((ok, orgs)) if ok == "ok" && orgs > 0 => {}
            Ok((ok, _)) if ok != "ok" => return Err(not_a_backup(format!("damaged ({ok})"))),
            Ok(_) => return Err(not_a_backup("it holds no organization".into())),
            Err(e) => return Err(not_a_backup(e.to_string())),
        }
        let target = std::path::PathBuf::from(target);
        if target.exists() && !overwrite {
            return Err(StoreError::Config(format!(
                "{} exists; stop the server and pass --force to replace it",
                target.display()
            )));
        }
        let io = |e: std::io::Error| StoreError::Config(format!("{}: {e}", target.display()));
        let mut tmp = target.clone().into_os_string();
        tmp.push(".restoring");
        let tmp = std::path::PathBuf::from(tmp);
        std::fs::copy(backup, &tmp).map_err(io)?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(io)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = target.clone().into_os_string();
            side.push(suffix);
            match std::fs::remove_file(&side) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
        }
        std::fs::rename(&tmp, &target).map_err(io)?;
        Ok(())
    }

    /// Keeps the query planner's statistics current (SQLite: `PRAGMA optimize` re-analyses the
    /// tables that changed a lot; PostgreSQL's autovacuum does this by itself).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn optimize(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::raw_sql("PRAGMA optimize")
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// An amount stored as decimal text by this program.
pub(crate) fn decimal(s: &str) -> Result<rust_decimal::Decimal> {
    use std::str::FromStr;
    rust_decimal::Decimal::from_str(s).map_err(|_| StoreError::Corrupt(format!("amount {s:?}")))
}

/// The file behind a SQLite URL (`sqlite://x.db?mode=rwc` → `x.db`); none for PostgreSQL or an
/// in-memory database.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| path.to_string())
}

/// `sqlite://x.db` → a URL that creates the file when missing.
fn sqlite_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// Formats an instant the way every time column stores it.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A stored payment's effect on the money collected (`PaymentKind::signed`).
pub(crate) fn signed_payment(kind: &str, amount: &str) -> Result<rust_decimal::Decimal> {
    let kind = yingpan_domain::order::PaymentKind::parse(kind)
        .map_err(|_| StoreError::Corrupt(format!("payment kind {kind:?}")))?;
    Ok(kind.signed(decimal(amount)?))
}

/// `YYYY-MM` of a stored instant in company time: the month reports group it by.
pub(crate) fn local_month(stamp: &str) -> Result<String> {
    Ok(parse_ts(stamp)?
        .with_timezone(&yingpan_domain::visit_plan::china_offset())
        .format("%Y-%m")
        .to_string())
}

/// A stored day (`YYYY-MM-DD`).
pub fn parse_day(s: &str) -> Result<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("bad day {s:?}: {e}")))
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::<Utc>::from_str(s)
        .map_err(|e| StoreError::Corrupt(format!("bad timestamp {s:?}: {e}")))
}

/// `NotFound` unless the live customer is within the viewer's scope.
pub(crate) async fn customer_scope_check(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    viewer: &Viewer,
    customer_id: i64,
) -> Result<()> {
    let mut sql = sql::Sql::new("SELECT COUNT(*) FROM customers c WHERE");
    sql::push_scope(&mut sql, viewer, "c");
    sql.push(" AND c.deleted_at IS NULL AND c.id = ")
        .bind(customer_id);
    let n: i64 = sqlx::Row::try_get(&sql.query().fetch_one(&mut **tx).await?, 0)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
