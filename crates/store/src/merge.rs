//! Suspected duplicates already in the data, merging them, and undoing a merge.

use crate::audit::record;
use crate::customer::load_customer;
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::dedupe::DuplicateRule;
use yingpan_domain::search::search_document;

/// Customers in the viewer's scope that share a duplicate-check key.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuspectedGroup {
    pub rule: DuplicateRule,
    pub customers: Vec<crate::Customer>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Merge {
    pub id: i64,
    pub survivor_id: i64,
    pub survivor_name: String,
    pub merged_id: i64,
    pub merged_name: String,
    pub actor_id: i64,
    pub merged_at: String,
    pub undone_at: Option<String>,
}

/// Everything a merge moved or filled in, so that it can be put back.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Moved {
    contacts: Vec<i64>,
    activities: Vec<i64>,
    ownership_changes: Vec<i64>,
    /// Survivor fields that were empty and took the merged customer's value.
    filled: Vec<String>,
}

/// Card fields a merge may fill on the survivor when it has none.
const FILLABLE: &[&str] = &["phone", "email", "address", "region", "industry", "source"];

async fn ids(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    org_id: i64,
    customer_id: i64,
) -> Result<Vec<i64>> {
    let rows = sqlx::query(&format!(
        "SELECT id FROM {table} WHERE org_id = $1 AND customer_id = $2"
    ))
    .bind(org_id)
    .bind(customer_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

async fn move_rows(
    tx: &mut Transaction<'_, Any>,
    table: &str,
    org_id: i64,
    ids: &[i64],
    to: i64,
) -> Result<()> {
    for id in ids {
        sqlx::query(&format!(
            "UPDATE {table} SET customer_id = $1 WHERE org_id = $2 AND id = $3"
        ))
        .bind(to)
        .bind(org_id)
        .bind(*id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Recomputes the search text and duplicate keys after phone or e-mail changed.
async fn refresh_keys(tx: &mut Transaction<'_, Any>, org_id: i64, id: i64) -> Result<()> {
    let r =
        sqlx::query("SELECT name, phone_norm, email FROM customers WHERE org_id = $1 AND id = $2")
            .bind(org_id)
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
    let name: String = r.try_get("name")?;
    let phone: Option<String> = r.try_get("phone_norm")?;
    let email: Option<String> = r.try_get("email")?;
    sqlx::query(
        "UPDATE customers SET search_text = $1, email_norm = $2 WHERE org_id = $3 AND id = $4",
    )
    .bind(search_document(&name, phone.as_deref(), email.as_deref()))
    .bind(
        email
            .as_deref()
            .map(yingpan_domain::dedupe::normalize_email),
    )
    .bind(org_id)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Groups of live customers in scope sharing a company name, phone or e-mail.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn suspected_duplicates(
        &self,
        viewer: &Viewer,
        limit: i64,
    ) -> Result<Vec<SuspectedGroup>> {
        let mut groups = Vec::new();
        for (rule, column) in [
            (DuplicateRule::Name, "name_norm"),
            (DuplicateRule::Phone, "phone_norm"),
            (DuplicateRule::Email, "email_norm"),
        ] {
            let mut sql = Sql::new(&format!("SELECT c.{column} FROM customers c WHERE"));
            push_scope(&mut sql, viewer, "c");
            sql.push(&format!(
                " AND c.deleted_at IS NULL AND c.{column} IS NOT NULL AND c.{column} <> '' \
                 GROUP BY c.{column} HAVING COUNT(*) > 1 ORDER BY c.{column} LIMIT "
            ))
            .bind(limit);
            let keys: Vec<String> = sql
                .query()
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            for key in keys {
                let (customers, _) = self
                    .list_customers(
                        viewer,
                        &crate::CustomerListQuery {
                            duplicate_key: Some((column, key)),
                            sort: crate::CustomerSort::CreatedAsc,
                            per_page: 50,
                            ..Default::default()
                        },
                    )
                    .await?;
                if customers.len() > 1 {
                    groups.push(SuspectedGroup { rule, customers });
                }
            }
        }
        Ok(groups)
    }

    /// Merges `merged_id` into `survivor_id`: contacts, activities and ownership history move
    /// to the survivor, its empty card fields take the merged customer's values, and the merged
    /// customer is soft-deleted. Returns the merge, which [`Store::undo_merge`] reverses.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn merge_customers(
        &self,
        viewer: &Viewer,
        survivor_id: i64,
        merged_id: i64,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if survivor_id == merged_id {
            return Err(yingpan_domain::ValidationError::new(
                "merged_id",
                "same_customer",
                "a customer cannot be merged into itself",
            )
            .into());
        }
        let mut tx = self.write.begin().await?;
        let survivor = load_customer(&mut tx, viewer, survivor_id, false).await?;
        let merged = load_customer(&mut tx, viewer, merged_id, false).await?;
        let org = viewer.org_id;
        let mut moved = Moved {
            contacts: ids(&mut tx, "contacts", org, merged_id).await?,
            activities: ids(&mut tx, "activities", org, merged_id).await?,
            ownership_changes: ids(&mut tx, "ownership_changes", org, merged_id).await?,
            filled: Vec::new(),
        };
        move_rows(&mut tx, "contacts", org, &moved.contacts, survivor_id).await?;
        move_rows(&mut tx, "activities", org, &moved.activities, survivor_id).await?;
        crate::rollup::activities_moved(&mut tx, org, &moved.activities).await?;
        crate::activity::refresh_last_activity(&mut tx, org, &[survivor_id, merged_id]).await?;
        move_rows(
            &mut tx,
            "ownership_changes",
            org,
            &moved.ownership_changes,
            survivor_id,
        )
        .await?;
        let value = |c: &crate::Customer, f: &str| match f {
            "phone" => c.phone.clone(),
            "email" => c.email.clone(),
            "address" => c.address.clone(),
            "region" => c.region.clone(),
            "industry" => c.industry.clone(),
            _ => c.source.clone(),
        };
        let mut changes = vec![FieldChange {
            field: "merged_from".into(),
            before: None,
            after: Some(format!("{} #{}", merged.name, merged.id)),
        }];
        for f in FILLABLE {
            if let (None, Some(v)) = (value(&survivor, f), value(&merged, f)) {
                let mut q = if *f == "phone" {
                    sqlx::query(
                        "UPDATE customers SET phone = $1, phone_norm = (SELECT m.phone_norm FROM customers m WHERE m.id = $4) \
                         WHERE org_id = $2 AND id = $3",
                    )
                } else {
                    sqlx::query(match *f {
                        "email" => "UPDATE customers SET email = $1 WHERE org_id = $2 AND id = $3",
                        "address" => {
                            "UPDATE customers SET address = $1 WHERE org_id = $2 AND id = $3"
                        }
                        "region" => {
                            "UPDATE customers SET region = $1 WHERE org_id = $2 AND id = $3"
                        }
                        "industry" => {
                            "UPDATE customers SET industry = $1 WHERE org_id = $2 AND id = $3"
                        }
                        _ => "UPDATE customers SET source = $1 WHERE org_id = $2 AND id = $3",
                    })
                };
                q = q.bind(v.clone()).bind(org).bind(survivor_id);
                if *f == "phone" {
                    q = q.bind(merged_id);
                }
                q.execute(&mut *tx).await?;
                changes.push(FieldChange {
                    field: f.to_string(),
                    before: None,
                    after: Some(v),
                });
                moved.filled.push(f.to_string());
            }
        }
        // The survivor keeps the fresher protection clock.
        sqlx::query(
            "UPDATE customers SET last_contact_at = CASE WHEN last_contact_at < $1 THEN $1 ELSE last_contact_at END, \
             version = version + 1, updated_at = $2 WHERE org_id = $3 AND id = $4",
        )
        .bind(&merged.last_contact_at)
        .bind(ts(now))
        .bind(org)
        .bind(survivor_id)
        .execute(&mut *tx)
        .await?;
        refresh_keys(&mut tx, org, survivor_id).await?;
        sqlx::query("UPDATE customers SET deleted_at = $1, merged_into = $2, version = version + 1, updated_at = $1 WHERE org_id = $3 AND id = $4")
            .bind(ts(now))
            .bind(survivor_id)
            .bind(org)
            .bind(merged_id)
            .execute(&mut *tx)
            .await?;
        crate::rollup::customer_counted(&mut tx, org, merged_id, -1).await?;
        let merge_id: i64 = sqlx::query(
            "INSERT INTO customer_merges (org_id, survivor_id, merged_id, moved, actor_id, merged_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(org)
        .bind(survivor_id)
        .bind(merged_id)
        .bind(serde_json::to_string(&moved).expect("ids serialise"))
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        record(
            &mut tx,
            org,
            Some(viewer.user_id),
            "customer",
            survivor_id,
            "merge",
            &changes,
            now,
        )
        .await?;
        let into = [FieldChange {
            field: "merged_into".into(),
            before: None,
            after: Some(format!("{} #{}", survivor.name, survivor.id)),
        }];
        record(
            &mut tx,
            org,
            Some(viewer.user_id),
            "customer",
            merged_id,
            "merge",
            &into,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(merge_id)
    }

    /// Puts a merge back: the moved records return, filled fields empty again, the merged
    /// customer comes back.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn undo_merge(
        &self,
        viewer: &Viewer,
        merge_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "SELECT survivor_id, merged_id, moved, undone_at FROM customer_merges WHERE org_id = $1 AND id = $2",
        )
        .bind(viewer.org_id)
        .bind(merge_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let survivor_id: i64 = row.try_get("survivor_id")?;
        let merged_id: i64 = row.try_get("merged_id")?;
        // Only someone who may see the survivor may undo.
        load_customer(&mut tx, viewer, survivor_id, false).await?;
        if row.try_get::<Option<String>, _>("undone_at")?.is_some() {
            return Err(StoreError::rule(
                "already_undone",
                "this merge has already been undone",
            ));
        }
        let moved: Moved = serde_json::from_str(&row.try_get::<String, _>("moved")?)
            .map_err(|e| StoreError::Corrupt(format!("merge {merge_id}: {e}")))?;
        let org = viewer.org_id;
        move_rows(&mut tx, "contacts", org, &moved.contacts, merged_id).await?;
        move_rows(&mut tx, "activities", org, &moved.activities, merged_id).await?;
        crate::rollup::activities_moved(&mut tx, org, &moved.activities).await?;
        crate::activity::refresh_last_activity(&mut tx, org, &[survivor_id, merged_id]).await?;
        move_rows(
            &mut tx,
            "ownership_changes",
            org,
            &moved.ownership_changes,
            merged_id,
        )
        .await?;
        let mut changes = vec![FieldChange {
            field: "merged_from".into(),
            before: Some(format!("#{merged_id}")),
            after: None,
        }];
        for f in &moved.filled {
            if !FILLABLE.contains(&f.as_str()) {
                continue;
            }
            let extra = if f == "phone" {
                ", phone_norm = NULL"
            } else {
                ""
            };
            sqlx::query(&format!(
                "UPDATE customers SET {f} = NULL{extra} WHERE org_id = $1 AND id = $2"
            ))
            .bind(org)
            .bind(survivor_id)
            .execute(&mut *tx)
            .await?;
            changes.push(FieldChange {
                field: f.clone(),
                before: Some("(from merge)".into()),
                after: None,
            });
        }
        refresh_keys(&mut tx, org, survivor_id).await?;
        sqlx::query("UPDATE customers SET version = version + 1, updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(ts(now))
            .bind(org)
            .bind(survivor_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE customers SET deleted_at = NULL, merged_into = NULL, version = version + 1, updated_at = $1 WHERE org_id = $2 AND id = $3")
            .bind(ts(now))
            .bind(org)
            .bind(merged_id)
            .execute(&mut *tx)
            .await?;
        crate::rollup::customer_counted(&mut tx, org, merged_id, 1).await?;
        sqlx::query("UPDATE customer_merges SET undone_at = $1, undone_by = $2 WHERE org_id = $4 AND id = $3")
            .bind(ts(now))
            .bind(viewer.user_id)
            .bind(merge_id)
            .bind(viewer.org_id)
            .execute(&mut *tx)
            .await?;
        record(
            &mut tx,
            org,
            Some(viewer.user_id),
            "customer",
            survivor_id,
            "unmerge",
            &changes,
            now,
        )
        .await?;
        record(
            &mut tx,
            org,
            Some(viewer.user_id),
            "customer",
            merged_id,
            "restore",
            &[],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Merges whose survivor the viewer may see, newest first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn merges(&self, viewer: &Viewer, limit: i64) -> Result<Vec<Merge>> {
        let mut sql = Sql::new(
            "SELECT m.id, m.survivor_id, c.name AS survivor_name, m.merged_id, d.name AS merged_name, m.actor_id, \
             m.merged_at, m.undone_at FROM customer_merges m JOIN customers c ON c.id = m.survivor_id AND c.org_id = m.org_id \
             JOIN customers d ON d.id = m.merged_id AND d.org_id = m.org_id WHERE",
        );
        push_scope(&mut sql, viewer, "c");
        sql.push(" ORDER BY m.id DESC LIMIT ").bind(limit);
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(Merge {
                    id: r.try_get("id")?,
                    survivor_id: r.try_get("survivor_id")?,
                    survivor_name: r.try_get("survivor_name")?,
                    merged_id: r.try_get("merged_id")?,
                    merged_name: r.try_get("merged_name")?,
                    actor_id: r.try_get("actor_id")?,
                    merged_at: r.try_get("merged_at")?,
                    undone_at: r.try_get("undone_at")?,
                })
            })
            .collect()
    }
}
