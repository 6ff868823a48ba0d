//! Admin-defined customer fields: definitions, values, filtering and grouping.

use crate::audit::Audit;
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::BTreeMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::custom::{CustomFieldDef, CustomFieldKind, CustomValue};

fn def_from_row(r: &AnyRow) -> Result<CustomFieldDef> {
    let kind: String = r.try_get("kind")?;
    let choices: String = r.try_get("choices")?;
    Ok(CustomFieldDef {
        id: r.try_get("id")?,
        key: r.try_get("field_key")?,
        label: r.try_get("label")?,
        kind: CustomFieldKind::parse(&kind).map_err(|_| StoreError::Corrupt(kind.clone()))?,
        choices: serde_json::from_str(&choices).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

const DEF_COLUMNS: &str = "id, field_key, label, kind, choices, active";

/// Writes a customer's custom values; returns what changed, for the audit trail.
pub(crate) async fn write_values(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    customer_id: i64,
    values: &[CustomValue],
) -> Result<Vec<FieldChange>> {
    let mut changes = Vec::new();
    for v in values {
        let old: Option<String> = sqlx::query("SELECT value FROM custom_values WHERE org_id = $1 AND customer_id = $2 AND field_id = $3")
            .bind(org_id)
            .bind(customer_id)
            .bind(v.field_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if old == v.value {
            continue;
        }
        sqlx::query(
            "DELETE FROM custom_values WHERE org_id = $1 AND customer_id = $2 AND field_id = $3",
        )
        .bind(org_id)
        .bind(customer_id)
        .bind(v.field_id)
        .execute(&mut **tx)
        .await?;
        if let Some(value) = &v.value {
            sqlx::query("INSERT INTO custom_values (org_id, customer_id, field_id, value) VALUES ($1, $2, $3, $4)")
                .bind(org_id)
                .bind(customer_id)
                .bind(v.field_id)
                .bind(value)
                .execute(&mut **tx)
                .await?;
        }
        changes.push(FieldChange {
            field: format!("custom.{}", v.key),
            before: old,
            after: v.value.clone(),
        });
    }
    Ok(changes)
}

/// The custom values of several customers, by customer id and field key.
pub(crate) async fn values_for<'e, E>(
    exec: E,
    org_id: i64,
    ids: &[i64],
) -> Result<BTreeMap<i64, BTreeMap<String, String>>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let mut out: BTreeMap<i64, BTreeMap<String, String>> = BTreeMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut sql = Sql::new(
        "SELECT v.customer_id, f.field_key, v.value FROM custom_values v JOIN custom_fields f ON f.id = v.field_id AND f.org_id = v.org_id \
         WHERE v.org_id = ",
    );
    sql.bind(org_id)
        .push(" AND v.customer_id IN ")
        .bind_list(ids);
    for r in sql.query().fetch_all(exec).await? {
        out.entry(r.try_get("customer_id")?)
            .or_default()
            .insert(r.try_get("field_key")?, r.try_get("value")?);
    }
    Ok(out)
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn custom_fields(&self, org_id: i64) -> Result<Vec<CustomFieldDef>> {
        let rows = sqlx::query(&format!(
            "SELECT {DEF_COLUMNS} FROM custom_fields WHERE org_id = $1 ORDER BY position, id"
        ))
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(def_from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_custom_field(
        &self,
        viewer: &Viewer,
        key: &str,
        label: &str,
        kind: CustomFieldKind,
        choices: &[String],
        now: DateTime<Utc>,
    ) -> Result<CustomFieldDef> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO custom_fields (org_id, field_key, label, kind, choices, position, created_at) \
             VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(position), 0) + 1 FROM custom_fields WHERE org_id = $1), $6) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(key)
        .bind(label)
        .bind(kind.as_str())
        .bind(serde_json::to_string(choices).expect("strings serialise"))
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let changes = vec![
            FieldChange {
                field: "key".into(),
                before: None,
                after: Some(key.to_string()),
            },
            FieldChange {
                field: "label".into(),
                before: None,
                after: Some(label.to_string()),
            },
            FieldChange {
                field: "kind".into(),
                before: None,
                after: Some(kind.as_str().to_string()),
            },
        ];
        Audit::by(viewer, now)
            .record(&mut tx, "custom_field", id, "create", &changes)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {DEF_COLUMNS} FROM custom_fields WHERE org_id = $2 AND id = $1"
        ))
        .bind(id)
        .bind(viewer.org_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        def_from_row(&row)
    }

    /// Renames a field, changes its choices, or retires it (`active = false` hides it from
    /// forms; stored values stay).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_custom_field(
        &self,
        viewer: &Viewer,
        id: i64,
        label: &str,
        choices: &[String],
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<CustomFieldDef> {
        let mut tx = self.write.begin().await?;
        let before = sqlx::query(&format!(
            "SELECT {DEF_COLUMNS} FROM custom_fields WHERE org_id = $1 AND id = $2"
        ))
        .bind(viewer.org_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)
        .and_then(|r| def_from_row(&r))?;
        sqlx::query("UPDATE custom_fields SET label = $1, choices = $2, active = $3, version = version + 1 WHERE org_id = $4 AND id = $5")
            .bind(label)
            .bind(serde_json::to_string(choices).expect("strings serialise"))
            .bind(i64::from(active))
            .bind(viewer.org_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let changes: Vec<FieldChange> = [
            ("label", before.label.clone(), label.to_string()),
            ("choices", before.choices.join(", "), choices.join(", ")),
            ("active", before.active.to_string(), active.to_string()),
        ]
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(f, b, a)| FieldChange {
            field: f.into(),
            before: Some(b),
            after: Some(a),
        })
        .collect();
        Audit::by(viewer, now)
            .record(&mut tx, "custom_field", id, "update", &changes)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {DEF_COLUMNS} FROM custom_fields WHERE org_id = $2 AND id = $1"
        ))
        .bind(id)
        .bind(viewer.org_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        def_from_row(&row)
    }

    /// How many live customers in scope have each value of a field (`None` = not filled in).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn group_by_custom(
        &self,
        viewer: &Viewer,
        field_id: i64,
    ) -> Result<Vec<(Option<String>, i64)>> {
        let mut sql = Sql::new("SELECT v.value, COUNT(*) FROM customers c LEFT JOIN custom_values v ON v.customer_id = c.id AND v.org_id = c.org_id AND v.field_id = ");
        sql.bind(field_id).push(" WHERE");
        push_scope(&mut sql, viewer, "c");
        sql.push(" AND c.deleted_at IS NULL GROUP BY v.value ORDER BY COUNT(*) DESC, CASE WHEN v.value IS NULL THEN 1 ELSE 0 END, v.value");
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}
