//! Bulk import of customers: one transaction (a failure leaves the database as it was), the
//! duplicate check against the file itself and against the organization, and set-based writes so
//! that a large file imports at tens of thousands of rows per second.

use crate::customer::{assignable_owner, assignable_people, search_text};
use crate::dedupe::{lock_registrations, Keys};
use crate::{ts, Backend, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use std::collections::HashSet;
use yingpan_domain::customer::{ContactFields, CustomerFields};
use yingpan_domain::import::{dedupe_within, DuplicateOf, Rejected};
use yingpan_domain::ValidationError;

/// Keys per duplicate lookup.
const CHUNK: usize = 200;
/// Rows per INSERT statement (21 parameters each, within both databases' limits).
const INSERT_CHUNK: usize = 200;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportOutcome {
    pub imported: usize,
    pub rejected: Vec<Rejected>,
    /// True when rejections stopped the whole import (nothing was written) — in a dry run,
    /// that they would.
    pub aborted: bool,
    /// A dry run: nothing was written; `new` says what would have been.
    pub dry_run: bool,
    /// In a dry run, the rows that would become new customers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new: Vec<NewRow>,
}

/// A row an import would register.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NewRow {
    pub line: usize,
    pub name: String,
}

/// How an import runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Owner of rows that name none (default: the importer).
    pub owner: Option<i64>,
    /// Import the good rows and report the others (default: all or nothing).
    pub skip_rejected: bool,
    /// Check everything, write nothing, and say what would happen to each row.
    pub dry_run: bool,
}

fn tagged(keys: &Keys) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = &keys.name_norm {
        out.push(format!("n:{n}"));
    }
    if let Some(p) = &keys.phone_norm {
        out.push(format!("p:{p}"));
    }
    if let Some(e) = &keys.email_norm {
        out.push(format!("e:{e}"));
    }
    out
}

/// The n-th (1-based) placeholder. SQLite looks a `$n` parameter's name up by a linear scan,
/// which makes binding quadratic in the number of parameters; plain `?` has no name to scan.
fn placeholder(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => "?".to_string(),
        Backend::Postgres => format!("${n}"),
    }
}

/// Which of `values` already exist in `column` (customers, or contacts' phones).
async fn existing(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    org_id: i64,
    table: &str,
    column: &str,
    values: &[&str],
) -> Result<HashSet<String>> {
    if values.is_empty() {
        return Ok(HashSet::new());
    }
    let placeholders: Vec<String> = (0..values.len())
        .map(|i| placeholder(backend, i + 2))
        .collect();
    let sql = format!(
        "SELECT {column} FROM {table} WHERE org_id = {} AND deleted_at IS NULL AND {column} IN ({})",
        placeholder(backend, 1),
        placeholders.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(org_id);
    for v in values {
        q = q.bind(*v);
    }
    Ok(q.fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<std::result::Result<_, _>>()?)
}

/// How far an import has come: rows checked for duplicates, rows written (of each total).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    Checked(usize, usize),
    Written(usize, usize),
}

/// Told of each step of a long import (the CLI draws a progress bar; the web ignores it).
pub type Progress<'a> = dyn Fn(ImportStep) + Send + Sync + 'a;

impl Store {
    /// Imports parsed rows for `owner` (default: the importer). Rows duplicating an earlier row
    /// or an existing customer are rejected with their line. With `skip_rejected` the others are
    /// imported; without it any rejection (including `rejected` passed in from parsing) aborts
    /// the import and nothing is written.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    #[allow(clippy::too_many_arguments)]
    pub async fn import_customers(
        &self,
        viewer: &Viewer,
        rows: Vec<(usize, CustomerFields, Option<i64>)>,
        rejected: Vec<Rejected>,
        contacts: HashMap<usize, Vec<ContactFields>>,
        options: ImportOptions,
        progress: &Progress<'_>,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let large = rows.len() >= 1000;
        if large && self.backend == Backend::Sqlite {
            sqlx::raw_sql(&format!("PRAGMA cache_size = -{}", crate::IMPORT_CACHE_KIB))
                .execute(&self.write)
                .await?;
        }
        let outcome = self
            .import_in_one_transaction(viewer, rows, rejected, &contacts, options, progress, now)
            .await;
        if large && self.backend == Backend::Sqlite {
            // Back to the writer's everyday cache: the import's pages are released.
            sqlx::raw_sql(&format!("PRAGMA cache_size = -{}", crate::WRITER_CACHE_KIB))
                .execute(&self.write)
                .await?;
        }
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn import_in_one_transaction(
        &self,
        viewer: &Viewer,
        rows: Vec<(usize, CustomerFields, Option<i64>)>,
        mut rejected: Vec<Rejected>,
        contacts: &HashMap<usize, Vec<ContactFields>>,
        options: ImportOptions,
        progress: &Progress<'_>,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let ImportOptions {
            owner,
            skip_rejected,
            dry_run,
        } = options;
        let default_owner = owner.unwrap_or(viewer.user_id);
        let mut tx = self.write.begin().await?;
        lock_registrations(&mut tx, self.backend, viewer.org_id).await?;
        if default_owner != viewer.user_id
            && !assignable_owner(&mut tx, viewer, default_owner).await?
        {
            return Err(ValidationError::new(
                "owner_id",
                "invalid_owner",
                "the owner must be an active person in your team",
            )
            .into());
        }
        // Owners named in the file must be in the importer's team too; their rows are rejected
        // otherwise.
        let mut allowed = assignable_people(&mut tx, viewer).await?;
        allowed.insert(default_owner);
        allowed.insert(viewer.user_id);
        let mut rows_ok = Vec::with_capacity(rows.len());
        for (line, f, row_owner) in rows {
            let o = row_owner.unwrap_or(default_owner);
            if allowed.contains(&o) {
                rows_ok.push((line, f, o));
            } else {
                rejected.push(Rejected {
                    line,
                    field: Some("owner".into()),
                    code: "invalid_owner".into(),
                    message: "the owner must be an active person in your team".into(),
                    same_as: None,
                    duplicate_of: None,
                });
            }
        }
        let rows = rows_ok;

        let keys: Vec<Keys> = rows.iter().map(|(_, f, _)| Keys::of(f)).collect();
        let lines: Vec<usize> = rows.iter().map(|(l, _, _)| *l).collect();
        let tags: Vec<Vec<String>> = keys.iter().map(tagged).collect();
        let (keep, in_file) = dedupe_within(&lines, &tags);
        rejected.extend(in_file);

        // Against the organization, a chunk of rows at a time through the key indexes.
        let mut accepted: Vec<usize> = Vec::with_capacity(keep.len());
        let mut checked = 0;
        for chunk in keep.chunks(CHUNK) {
            checked += chunk.len();
            progress(ImportStep::Checked(checked, keep.len()));
            let pick = |f: fn(&Keys) -> Option<&str>| -> Vec<&str> {
                chunk.iter().filter_map(|&i| f(&keys[i])).collect()
            };
            let names = pick(|k| k.name_norm.as_deref());
            let phones = pick(|k| k.phone_norm.as_deref());
            let emails = pick(|k| k.email_norm.as_deref());
            let org = viewer.org_id;
            let taken_names =
                existing(&mut tx, self.backend, org, "customers", "name_norm", &names).await?;
            let mut taken_phones = existing(
                &mut tx,
                self.backend,
                org,
                "customers",
                "phone_norm",
                &phones,
            )
            .await?;
            taken_phones.extend(
                existing(
                    &mut tx,
                    self.backend,
                    org,
                    "contacts",
                    "phone_norm",
                    &phones,
                )
                .await?,
            );
            let taken_emails = existing(
                &mut tx,
                self.backend,
                org,
                "customers",
                "email_norm",
                &emails,
            )
            .await?;
            for &i in chunk {
                let k = &keys[i];
                let hit = |v: &Option<String>, set: &HashSet<String>| {
                    v.as_ref().is_some_and(|v| set.contains(v))
                };
                let rule = if hit(&k.name_norm, &taken_names) {
                    Some("name")
                } else if hit(&k.phone_norm, &taken_phones) {
                    Some("phone")
                } else if hit(&k.email_norm, &taken_emails) {
                    Some("email")
                } else {
                    None
                };
                match rule {
                    Some(field) => rejected.push(Rejected {
                        line: lines[i],
                        field: Some(field.into()),
                        code: "duplicate_customer".into(),
                        message: "the customer is already registered".into(),
                        same_as: None,
                        duplicate_of: None,
                    }),
                    None => accepted.push(i),
                }
            }
        }
        rejected.sort_by_key(|r| r.line);
        if dry_run {
            name_duplicates(&mut tx, viewer.org_id, &mut rejected, &rows, &lines).await?;
            tx.rollback().await?;
            return Ok(ImportOutcome {
                imported: 0,
                aborted: !skip_rejected && !rejected.is_empty(),
                rejected,
                dry_run: true,
                new: accepted
                    .iter()
                    .map(|&i| NewRow {
                        line: rows[i].0,
                        name: rows[i].1.name.as_str().to_string(),
                    })
                    .collect(),
            });
        }
        if !skip_rejected && !rejected.is_empty() {
            tx.rollback().await?;
            return Ok(ImportOutcome {
                imported: 0,
                rejected,
                aborted: true,
                dry_run: false,
                new: Vec::new(),
            });
        }

        // New rows are recognised afterwards by id, creator and instant: the registration lock
        // keeps other registrations of this organization out until the commit.
        let before: i64 =
            sqlx::query("SELECT COALESCE(MAX(id), 0) FROM customers WHERE org_id = $1")
                .bind(viewer.org_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
        let pools = crate::pool_definitions::PoolResolver::load(&mut tx, viewer.org_id).await?;
        let stamp = ts(now);
        let mut written = 0;
        for chunk in accepted.chunks(INSERT_CHUNK) {
            written += chunk.len();
            progress(ImportStep::Written(written, accepted.len()));
            const COLUMNS: usize = 21;
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let cols: Vec<String> = (1..=COLUMNS)
                        .map(|c| placeholder(self.backend, r * COLUMNS + c))
                        .collect();
                    format!("({})", cols.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO customers (org_id, kind, name, phone, phone_norm, email, address, region, industry, source, notes, \
                 owner_id, search_text, last_contact_at, created_by, created_at, updated_at, name_norm, email_norm, profile, pool_id) \
                 VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for &i in chunk {
                let (f, owner) = (&rows[i].1, rows[i].2);
                let k = &keys[i];
                q = q
                    .bind(viewer.org_id)
                    .bind(f.kind.as_str())
                    .bind(f.name.as_str().to_string())
                    .bind(f.phone.as_ref().map(|p| p.display().to_string()))
                    .bind(k.phone_norm.clone())
                    .bind(f.email.as_ref().map(|e| e.as_str().to_string()))
                    .bind(f.address.clone())
                    .bind(f.region.clone())
                    .bind(f.industry.clone())
                    .bind(f.source.clone())
                    .bind(f.notes.clone())
                    .bind(owner)
                    .bind(search_text(f))
                    .bind(stamp.clone())
                    .bind(viewer.user_id)
                    .bind(stamp.clone())
                    .bind(stamp.clone())
                    .bind(k.name_norm.clone())
                    .bind(k.email_norm.clone())
                    .bind(f.profile.to_json())
                    .bind(pools.pool_for(f.region.as_deref(), owner));
            }
            q.execute(&mut *tx).await?;
        }
        let new_rows =
            "FROM customers WHERE org_id = $1 AND id > $2 AND created_by = $3 AND created_at = $4";
        // Each new customer's first owner and its audit entry, in one statement per table.
        for insert in [
            "INSERT INTO ownership_changes (org_id, customer_id, from_user_id, to_user_id, reason, actor_id, changed_at) \
             SELECT org_id, id, NULL, owner_id, 'import', created_by, created_at",
            "INSERT INTO audit_log (org_id, actor_id, entity, entity_id, action, changes, at) \
             SELECT org_id, created_by, 'customer', id, 'import', '[]', created_at",
        ] {
            sqlx::query(&format!("{insert} {new_rows}"))
                .bind(viewer.org_id)
                .bind(before)
                .bind(viewer.user_id)
                .bind(&stamp)
                .execute(&mut *tx)
                .await?;
        }
        if accepted
            .iter()
            .any(|&i| !rows[i].1.custom.is_empty() || contacts.contains_key(&rows[i].0))
        {
            // Rows take ids in the order they were inserted (one statement per chunk, rows in
            // order), so the new ids in order are the accepted rows in order.
            let ids: Vec<i64> = sqlx::query(&format!("SELECT id {new_rows} ORDER BY id"))
                .bind(viewer.org_id)
                .bind(before)
                .bind(viewer.user_id)
                .bind(&stamp)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<std::result::Result<_, _>>()?;
            if ids.len() != accepted.len() {
                return Err(StoreError::Corrupt(format!(
                    "import wrote {} customers for {} rows",
                    ids.len(),
                    accepted.len()
                )));
            }
            for (&i, id) in accepted.iter().zip(ids) {
                crate::custom::write_values(&mut tx, viewer.org_id, id, &rows[i].1.custom).await?;
                for c in contacts.get(&rows[i].0).into_iter().flatten() {
                    crate::contact::insert_contact(&mut tx, viewer, id, c, now).await?;
                }
            }
        }
        if !accepted.is_empty() {
            let mut touched = crate::rollup::Touched::default();
            touched.registered(viewer.user_id, &stamp, accepted.len() as i64, 0)?;
            crate::rollup::refresh(&mut tx, viewer.org_id, touched).await?;
        }
        tx.commit().await?;
        if accepted.len() >= 1000 {
            // A bulk load changes the table's statistics; without fresh ones PostgreSQL plans the
            // next import's duplicate lookups as scans of a "small" table (seen: 350 rows/s).
            match self.backend {
                Backend::Postgres => {
                    sqlx::raw_sql("ANALYZE customers")
                        .execute(&self.write)
                        .await?;
                }
                Backend::Sqlite => {
                    sqlx::raw_sql("PRAGMA optimize")
                        .execute(&self.write)
                        .await?;
                }
            }
        }
        Ok(ImportOutcome {
            imported: accepted.len(),
            rejected,
            aborted: false,
            dry_run: false,
            new: Vec::new(),
        })
    }
}

impl Store {
    /// The mapping last chosen in the company for files with this layout
    /// (`domain::import::layout_signature`), as (header, field) pairs.
    pub async fn import_layout(
        &self,
        org_id: i64,
        signature: &str,
    ) -> Result<Option<Vec<(String, String)>>> {
        let row =
            sqlx::query("SELECT mapping FROM import_layouts WHERE org_id = $1 AND signature = $2")
                .bind(org_id)
                .bind(signature)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| {
            let raw: String = r.try_get(0)?;
            serde_json::from_str(&raw)
                .map_err(|e| StoreError::Corrupt(format!("import layout: {e}")))
        })
        .transpose()
    }

    /// Remembers the mapping chosen for a layout, for the next file that has it.
    pub async fn save_import_layout(
        &self,
        viewer: &Viewer,
        signature: &str,
        mapping: &[(String, String)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let json = serde_json::to_string(mapping).expect("pairs serialise");
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM import_layouts WHERE org_id = $1 AND signature = $2")
            .bind(viewer.org_id)
            .bind(signature)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO import_layouts (org_id, signature, mapping, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(viewer.org_id)
        .bind(signature)
        .bind(json)
        .bind(viewer.user_id)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps an uploaded file while its columns are mapped; drafts older than a day go.
    pub async fn create_import_draft(
        &self,
        viewer: &Viewer,
        file_name: &str,
        content: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        sqlx::query("/* across organizations: import draft cleanup */ DELETE FROM import_drafts WHERE created_at < $1")
            .bind(ts(now - chrono::Duration::days(1)))
            .execute(&mut *tx)
            .await?;
        let id: i64 = sqlx::query(
            "INSERT INTO import_drafts (org_id, user_id, file_name, content, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(file_name)
        .bind(content)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    /// One's own draft: (file name, content); anyone else's is not found.
    pub async fn import_draft(&self, viewer: &Viewer, id: i64) -> Result<(String, String)> {
        let r = sqlx::query(
            "SELECT file_name, content FROM import_drafts WHERE org_id = $1 AND user_id = $2 AND id = $3",
        )
        .bind(viewer.org_id)
        .bind(viewer.user_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok((r.try_get(0)?, r.try_get(1)?))
    }

    pub async fn drop_import_draft(&self, viewer: &Viewer, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM import_drafts WHERE org_id = $1 AND user_id = $2 AND id = $3")
            .bind(viewer.org_id)
            .bind(viewer.user_id)
            .bind(id)
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

/// Names the registered customer each of the first rows rejected as a duplicate repeats (a dry
/// run shows whom), looking it up by the key that matched.
async fn name_duplicates(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    rejected: &mut [Rejected],
    rows: &[(usize, CustomerFields, i64)],
    lines: &[usize],
) -> Result<()> {
    const NAMED: usize = 500;
    for r in rejected
        .iter_mut()
        .filter(|r| r.code == "duplicate_customer")
        .take(NAMED)
    {
        let Some(i) = lines.iter().position(|l| *l == r.line) else {
            continue;
        };
        let k = Keys::of(&rows[i].1);
        let (sql, value) = match r.field.as_deref() {
            Some("name") => ("c.name_norm = $2", k.name_norm),
            Some("phone") => (
                "(c.phone_norm = $2 OR c.id IN (SELECT x.customer_id FROM contacts x WHERE x.org_id = $1 AND x.phone_norm = $2 AND x.deleted_at IS NULL))",
                k.phone_norm,
            ),
            Some("email") => ("c.email_norm = $2", k.email_norm),
            _ => continue,
        };
        let Some(value) = value else { continue };
        let found = sqlx::query(&format!(
            "SELECT c.id, c.name, u.display_name FROM customers c LEFT JOIN users u ON u.id = c.owner_id AND u.org_id = c.org_id \
             WHERE c.org_id = $1 AND c.deleted_at IS NULL AND {sql} ORDER BY c.id LIMIT 1"
        ))
        .bind(org_id)
        .bind(value)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(f) = found {
            r.duplicate_of = Some(DuplicateOf {
                customer_id: f.try_get(0)?,
                name: f.try_get(1)?,
                owner_name: f.try_get(2)?,
            });
        }
    }
    Ok(())
}
