//! Versioned migrations, one source for both backends, applied on start.

use crate::{Backend, Result};
use sqlx::AnyPool;
use sqlx::Row;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../migrations/0001_foundation.sql"),
    ),
    (
        2,
        "ownership_rules",
        include_str!("../migrations/0002_ownership_rules.sql"),
    ),
    (
        3,
        "qualification",
        include_str!("../migrations/0003_qualification.sql"),
    ),
    (
        4,
        "card_and_relatives",
        include_str!("../migrations/0004_card_and_relatives.sql"),
    ),
    (5, "merges", include_str!("../migrations/0005_merges.sql")),
    (
        6,
        "custom_fields",
        include_str!("../migrations/0006_custom_fields.sql"),
    ),
    (7, "pools", include_str!("../migrations/0007_pools.sql")),
    (
        8,
        "dealers_and_development",
        include_str!("../migrations/0008_dealers_and_development.sql"),
    ),
    (
        9,
        "recycle_index",
        include_str!("../migrations/0009_recycle_index.sql"),
    ),
    (
        10,
        "opportunities",
        include_str!("../migrations/0010_opportunities.sql"),
    ),
    (
        11,
        "recycle_exemptions",
        include_str!("../migrations/0011_recycle_exemptions.sql"),
    ),
    (
        12,
        "recycle_triggers",
        include_str!("../migrations/0012_recycle_triggers.sql"),
    ),
    (
        13,
        "trigger_days_by_tier",
        include_str!("../migrations/0013_trigger_days_by_tier.sql"),
    ),
    (
        14,
        "holding_cap_deals",
        include_str!("../migrations/0014_holding_cap_deals.sql"),
    ),
    (
        15,
        "activity_details",
        include_str!("../migrations/0015_activity_details.sql"),
    ),
    (
        16,
        "visit_plans",
        include_str!("../migrations/0016_visit_plans.sql"),
    ),
    (
        17,
        "escalations",
        include_str!("../migrations/0017_escalations.sql"),
    ),
    (
        18,
        "daily_reports",
        include_str!("../migrations/0018_daily_reports.sql"),
    ),
    (
        19,
        "products",
        include_str!("../migrations/0019_products.sql"),
    ),
    (20, "orders", include_str!("../migrations/0020_orders.sql")),
    (
        21,
        "reports_and_ledgers",
        include_str!("../migrations/0021_reports_and_ledgers.sql"),
    ),
    (22, "email", include_str!("../migrations/0022_email.sql")),
    (
        23,
        "partial_indexes",
        include_str!("../migrations/0023_partial_indexes.sql"),
    ),
    (
        24,
        "search_index",
        include_str!("../migrations/0024_search_index.sql"),
    ),
    (
        25,
        "list_index",
        include_str!("../migrations/0025_list_index.sql"),
    ),
    (
        26,
        "owner_index",
        include_str!("../migrations/0026_owner_index.sql"),
    ),
    (
        27,
        "customer_tally",
        include_str!("../migrations/0027_customer_tally.sql"),
    ),
    (
        28,
        "login_throttle",
        include_str!("../migrations/0028_login_throttle.sql"),
    ),
    (
        29,
        "sales_import",
        include_str!("../migrations/0029_sales_import.sql"),
    ),
    (
        30,
        "targets",
        include_str!("../migrations/0030_targets.sql"),
    ),
    (
        31,
        "activity_funnel",
        include_str!("../migrations/0031_activity_funnel.sql"),
    ),
    (
        32,
        "gross_margin",
        include_str!("../migrations/0032_gross_margin.sql"),
    ),
    (
        33,
        "spend_estimates",
        include_str!("../migrations/0033_spend_estimates.sql"),
    ),
    (
        34,
        "activity_duration",
        include_str!("../migrations/0034_activity_duration.sql"),
    ),
    (
        35,
        "statistics_indicators",
        include_str!("../migrations/0035_statistics_indicators.sql"),
    ),
    (
        36,
        "rollups",
        include_str!("../migrations/0036_rollups.sql"),
    ),
    (37, "pay", include_str!("../migrations/0037_pay.sql")),
    (
        38,
        "absences",
        include_str!("../migrations/0038_absences.sql"),
    ),
    (
        39,
        "referrals",
        include_str!("../migrations/0039_referrals.sql"),
    ),
    (
        40,
        "budgets",
        include_str!("../migrations/0040_budgets.sql"),
    ),
    (
        41,
        "ownership_daily",
        include_str!("../migrations/0041_ownership_daily.sql"),
    ),
    (
        42,
        "picklists",
        include_str!("../migrations/0042_picklists.sql"),
    ),
    (
        43,
        "activity_position",
        include_str!("../migrations/0043_activity_position.sql"),
    ),
    (
        44,
        "segments",
        include_str!("../migrations/0044_segments.sql"),
    ),
    (
        45,
        "service",
        include_str!("../migrations/0045_service.sql"),
    ),
    (
        46,
        "surveys",
        include_str!("../migrations/0046_surveys.sql"),
    ),
    (
        47,
        "campaigns",
        include_str!("../migrations/0047_campaigns.sql"),
    ),
    (
        48,
        "card_indexes",
        include_str!("../migrations/0048_card_indexes.sql"),
    ),
    (
        49,
        "last_activity",
        include_str!("../migrations/0049_last_activity.sql"),
    ),
    (50, "tasks", include_str!("../migrations/0050_tasks.sql")),
    (
        51,
        "appeals",
        include_str!("../migrations/0051_appeals.sql"),
    ),
    (
        52,
        "screening",
        include_str!("../migrations/0052_screening.sql"),
    ),
    (
        53,
        "account_plans",
        include_str!("../migrations/0053_account_plans.sql"),
    ),
    (
        54,
        "quotations",
        include_str!("../migrations/0054_quotations.sql"),
    ),
    (
        55,
        "objections",
        include_str!("../migrations/0055_objections.sql"),
    ),
    (
        56,
        "meetings",
        include_str!("../migrations/0056_meetings.sql"),
    ),
    (
        57,
        "coaching",
        include_str!("../migrations/0057_coaching.sql"),
    ),
    (
        58,
        "calendar_feeds",
        include_str!("../migrations/0058_calendar_feeds.sql"),
    ),
    (
        59,
        "webhooks",
        include_str!("../migrations/0059_webhooks.sql"),
    ),
    (
        60,
        "import_mapping",
        include_str!("../migrations/0060_import_mapping.sql"),
    ),
    (
        61,
        "external_ids",
        include_str!("../migrations/0061_external_ids.sql"),
    ),
    (
        62,
        "plan_overdue_notices",
        include_str!("../migrations/0062_plan_overdue_notices.sql"),
    ),
    (
        63,
        "customer_tally_postgres",
        include_str!("../migrations/0063_customer_tally_postgres.sql"),
    ),
    (
        64,
        "statistics_cube",
        include_str!("../migrations/0064_statistics_cube.sql"),
    ),
    (
        65,
        "activity_daily",
        include_str!("../migrations/0065_activity_daily.sql"),
    ),
    (
        66,
        "dashboard_rollups_postgres",
        include_str!("../migrations/0066_dashboard_rollups_postgres.sql"),
    ),
    (
        67,
        "ownership_changes_from_reason",
        include_str!("../migrations/0067_ownership_changes_from_reason.sql"),
    ),
    (
        68,
        "customer_months",
        include_str!("../migrations/0068_customer_months.sql"),
    ),
    (
        69,
        "order_external_ids",
        include_str!("../migrations/0069_order_external_ids.sql"),
    ),
    (
        70,
        "owned_updated_index",
        include_str!("../migrations/0070_owned_updated_index.sql"),
    ),
    (
        71,
        "report_snapshots",
        include_str!("../migrations/0071_report_snapshots.sql"),
    ),
    (
        72,
        "campaign_recipients_by_org",
        include_str!("../migrations/0072_campaign_recipients_by_org.sql"),
    ),
];

/// Adapts a migration to the backend: `ID_PK` becomes its auto-increment key, and lines between
/// `-- sqlite:begin`/`-- sqlite:end` (or `-- postgres:begin`/`-- postgres:end`) are kept only
/// for that backend.
fn dialect(sql: &str, backend: Backend) -> String {
    let id_pk = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let mine = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let mut keep = true;
    let mut out = String::with_capacity(sql.len());
    for line in sql.lines() {
        let marker = line.trim();
        if let Some(which) = marker
            .strip_prefix("-- ")
            .and_then(|m| m.strip_suffix(":begin"))
        {
            keep = which == mine;
            continue;
        }
        if marker.starts_with("-- ") && marker.ends_with(":end") {
            keep = true;
            continue;
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.replace("ID_PK", id_pk)
}

pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let mut tx = pool.begin().await?;
    if backend == Backend::Postgres {
        // Two servers starting at once must not both migrate.
        sqlx::query("SELECT pg_advisory_xact_lock(7262701)")
            .execute(&mut *tx)
            .await?;
    }
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    let mut newly = Vec::new();
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tracing::debug!(version, name, "applying migration");
        newly.push(*version);
        sqlx::raw_sql(&dialect(sql, backend))
            .execute(&mut *tx)
            .await?;
        if *version == 2 {
            backfill_duplicate_keys(&mut tx).await?;
        }
        // Migrations that build a rollup from the rows already there, for every organization.
        if matches!(*version, 36 | 64 | 68) {
            let orgs: Vec<i64> = sqlx::query("SELECT id FROM organizations")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get::<i64, _>(0))
                .collect::<Result<_, _>>()?;
            for org in orgs {
                match *version {
                    36 => crate::rollup::rebuild(&mut tx, org).await?,
                    64 => crate::cube::rebuild(&mut tx, backend, org).await?,
                    _ => crate::cube::fill_customer_months(&mut tx, org).await?,
                }
            }
        }
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(*version)
            .bind(*name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    // One line for a start that changed the schema, none for one that did not.
    if let (Some(first), Some(last)) = (newly.first(), newly.last()) {
        tracing::info!(
            applied = newly.len(),
            from = first,
            to = last,
            "database schema migrated"
        );
    }
    Ok(())
}

/// Computes the duplicate-check keys of customers registered before they existed; the
/// normalisation lives in the domain crate, not in SQL.
async fn backfill_duplicate_keys(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
    use yingpan_domain::dedupe::{normalize_company_name, normalize_email};
    let rows = sqlx::query(
        "/* across organizations: migration */ SELECT id, kind, name, email FROM customers",
    )
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let kind: String = r.try_get("kind")?;
        let name: String = r.try_get("name")?;
        let email: Option<String> = r.try_get("email")?;
        sqlx::query("/* across organizations: migration */ UPDATE customers SET name_norm = $1, email_norm = $2 WHERE id = $3")
            .bind((kind == "company").then(|| normalize_company_name(&name)))
            .bind(email.as_deref().map(normalize_email))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    /// Every file in migrations/ is registered, in order, exactly once.
    #[test]
    fn every_migration_file_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len(), "{files:?}");
        for (i, (version, _, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version, i as i64 + 1);
            assert!(
                files[i].starts_with(&format!("{:04}_", version)),
                "{}",
                files[i]
            );
        }
    }

    #[test]
    fn backend_sections_are_kept_only_for_their_backend() {
        use super::{dialect, Backend};
        let sql = "CREATE TABLE t (id ID_PK);\n-- sqlite:begin\nSQLITE ONLY;\n-- sqlite:end\n-- postgres:begin\nPG ONLY;\n-- postgres:end\nBOTH;\n";
        let lite = dialect(sql, Backend::Sqlite);
        assert!(
            lite.contains("INTEGER PRIMARY KEY")
                && lite.contains("SQLITE ONLY")
                && !lite.contains("PG ONLY")
                && lite.contains("BOTH")
        );
        let pg = dialect(sql, Backend::Postgres);
        assert!(
            pg.contains("BIGSERIAL")
                && !pg.contains("SQLITE ONLY")
                && pg.contains("PG ONLY")
                && pg.contains("BOTH")
        );
    }
}
