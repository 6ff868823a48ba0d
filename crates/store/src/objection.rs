//! The objection library (`domain::objection`): the company's shared knowledge, read by
//! everyone in it; objections kept by managers, answers added by anyone who sells; encounters
//! recorded with the activity that met them (in its transaction).

use crate::audit::Audit;
use crate::sql::{require_ref, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::HashMap;
use yingpan_domain::audit::FieldChange;
use yingpan_domain::objection::{
    check_encounter, rank_answers, AnswerRecord, Encounter, ObjectionFields,
};
use yingpan_domain::ValidationError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Objection {
    pub id: i64,
    pub text: String,
    pub concern: String,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub stage: Option<String>,
    pub active: bool,
    pub version: i64,
    /// How often an activity met it, and the last 90 days of that.
    pub met: i64,
    pub met_recently: i64,
    /// The best answer so far, by win rate.
    pub best_answer: Option<String>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub best_win_rate: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectionAnswer {
    pub id: i64,
    pub text: String,
    pub author_name: Option<String>,
    pub active: bool,
    pub created_at: String,
    #[serde(flatten)]
    pub record: AnswerRecord,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub win_rate: Option<Decimal>,
}

/// A live objection for the follow-up form: its id and words, and its live answers.
pub type ObjectionChoice = (i64, String, Vec<(i64, String)>);

/// What a library list shows.
#[derive(Debug, Clone, Default)]
pub struct ObjectionFilter {
    pub q: Option<String>,
    pub product_id: Option<i64>,
    pub stage: Option<String>,
    pub include_retired: bool,
}

const COLUMNS: &str =
    "o.id, o.text, o.concern, o.product_id, p.name AS product_name, o.stage, o.active, o.version";
const FROM: &str =
    " FROM objections o LEFT JOIN products p ON p.id = o.product_id AND p.org_id = o.org_id WHERE o.org_id = ";

fn from_row(r: &AnyRow) -> Result<Objection> {
    Ok(Objection {
        id: r.try_get("id")?,
        text: r.try_get("text")?,
        concern: r.try_get("concern")?,
        product_id: r.try_get("product_id")?,
        product_name: r.try_get("product_name")?,
        stage: r.try_get("stage")?,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
        met: 0,
        met_recently: 0,
        best_answer: None,
        best_win_rate: None,
    })
}

/// Escapes LIKE's wildcards so a search for `50%` finds "50%".
fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Each answer's record over all encounters of the objections in `ids`.
async fn answer_records(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, AnswerRecord>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        "SELECT answer_id, COUNT(*) AS used, SUM(CASE WHEN worked IS NULL THEN 0 ELSE 1 END) AS judged, \
         SUM(CASE WHEN worked = 1 THEN 1 ELSE 0 END) AS wins FROM activity_objections WHERE org_id = ",
    );
    sql.bind(org_id)
        .push(" AND answer_id IS NOT NULL AND objection_id IN ")
        .bind_list(ids)
        .push(" GROUP BY answer_id");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("answer_id")?,
                AnswerRecord {
                    used: r.try_get("used")?,
                    judged: r.try_get::<Option<i64>, _>("judged")?.unwrap_or(0),
                    worked: r.try_get::<Option<i64>, _>("wins")?.unwrap_or(0),
                },
            ))
        })
        .collect()
}

/// The answers of the objections in `ids`, each objection's ranked best first (one query for
/// the answers and one for their records, however many objections).
async fn answers_of(
    conn: &mut sqlx::AnyConnection,
    org_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ObjectionAnswer>>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(
        "SELECT a.id, a.objection_id, a.text, u.display_name AS author_name, a.active, a.created_at FROM objection_answers a \
         LEFT JOIN users u ON u.id = a.created_by AND u.org_id = a.org_id WHERE a.org_id = ",
    );
    sql.bind(org_id)
        .push(" AND a.objection_id IN ")
        .bind_list(ids)
        .push(" ORDER BY a.id");
    let rows = sql.query().fetch_all(&mut *conn).await?;
    let records = answer_records(conn, org_id, ids).await?;
    let mut by_objection: HashMap<i64, Vec<ObjectionAnswer>> = HashMap::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let record = records.get(&id).copied().unwrap_or_default();
        by_objection
            .entry(r.try_get("objection_id")?)
            .or_default()
            .push(ObjectionAnswer {
                id,
                text: r.try_get("text")?,
                author_name: r.try_get("author_name")?,
                active: r.try_get::<i64, _>("active")? != 0,
                created_at: r.try_get("created_at")?,
                win_rate: record.win_rate(),
                record,
            });
    }
    for answers in by_objection.values_mut() {
        let order = rank_answers(&answers.iter().map(|a| a.record).collect::<Vec<_>>());
        *answers = order.into_iter().map(|i| answers[i].clone()).collect();
    }
    Ok(by_objection)
}

/// Records the objections an activity met, each a live objection of the organization with,
/// if given, one of its own answers.
pub(crate) async fn record_encounters(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    activity_id: i64,
    encounters: &[Encounter],
    at: &str,
) -> Result<()> {
    if encounters.len() > 10 {
        return Err(ValidationError::new("objections", "too_many", "at most 10 objections").into());
    }
    for e in encounters {
        check_encounter(e)?;
        let unknown = || {
            ValidationError::new(
                "objection_id",
                "unknown_objection",
                "no such objection in the library",
            )
        };
        require_ref(
            tx,
            viewer.org_id,
            "objections",
            e.objection_id,
            Some(("active", 1)),
            unknown(),
        )
        .await?;
        if let Some(a) = e.answer_id {
            require_ref(
                tx,
                viewer.org_id,
                "objection_answers",
                a,
                Some(("objection_id", e.objection_id)),
                ValidationError::new(
                    "answer_id",
                    "unknown_answer",
                    "no such answer to this objection",
                ),
            )
            .await?;
        }
        sqlx::query(
            "INSERT INTO activity_objections (org_id, activity_id, objection_id, answer_id, worked, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(viewer.org_id)
        .bind(activity_id)
        .bind(e.objection_id)
        .bind(e.answer_id)
        .bind(e.worked.map(i64::from))
        .bind(viewer.user_id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// The library, the most often met first; `q` searches objections and their answers.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn objections(
        &self,
        viewer: &Viewer,
        f: &ObjectionFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<Objection>> {
        let mut conn = self.read.acquire().await?;
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS}, (SELECT COUNT(*) FROM activity_objections e WHERE e.org_id = o.org_id AND e.objection_id = o.id) AS met, \
             (SELECT COUNT(*) FROM activity_objections e WHERE e.org_id = o.org_id AND e.objection_id = o.id AND e.created_at >= "
        ));
        sql.bind(ts(now - chrono::Duration::days(90)))
            .push(&format!(") AS met_recently{FROM}"))
            .bind(viewer.org_id);
        if !f.include_retired {
            sql.push(" AND o.active = 1");
        }
        if let Some(p) = f.product_id {
            sql.push(" AND o.product_id = ").bind(p);
        }
        if let Some(s) = &f.stage {
            sql.push(" AND o.stage = ").bind(s.clone());
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = like_pattern(q);
            sql.push(" AND (o.text LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\' OR o.concern LIKE ")
                .bind(pattern.clone())
                .push(" ESCAPE '\\' OR EXISTS (SELECT 1 FROM objection_answers a WHERE a.org_id = o.org_id AND a.objection_id = o.id AND a.active = 1 AND a.text LIKE ")
                .bind(pattern)
                .push(" ESCAPE '\\'))");
        }
        sql.push(" ORDER BY met DESC, o.id LIMIT 500");
        let rows = sql.query().fetch_all(&mut *conn).await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let mut o = from_row(r)?;
                o.met = r.try_get("met")?;
                o.met_recently = r.try_get("met_recently")?;
                Ok(o)
            })
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<i64> = out.iter().map(|o| o.id).collect();
        let mut answers = answers_of(&mut conn, viewer.org_id, &ids).await?;
        for o in &mut out {
            if let Some(best) = answers
                .remove(&o.id)
                .and_then(|a| a.into_iter().find(|a| a.active))
            {
                o.best_win_rate = best.win_rate;
                o.best_answer = Some(best.text);
            }
        }
        Ok(out)
    }

    /// One objection with its answers, the best first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn objection(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> Result<(Objection, Vec<ObjectionAnswer>)> {
        let mut conn = self.read.acquire().await?;
        let mut sql = Sql::new(&format!("SELECT {COLUMNS}{FROM}"));
        sql.bind(viewer.org_id).push(" AND o.id = ").bind(id);
        let row = sql
            .query()
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut o = from_row(&row)?;
        o.met = sqlx::query(
            "SELECT COUNT(*) FROM activity_objections WHERE org_id = $1 AND objection_id = $2",
        )
        .bind(viewer.org_id)
        .bind(id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let answers = answers_of(&mut conn, viewer.org_id, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        Ok((o, answers))
    }

    /// Adds an objection to the library (the caller checked the permission).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_objection(
        &self,
        viewer: &Viewer,
        f: &ObjectionFields,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        if let Some(p) = f.product_id {
            require_ref(
                &mut tx,
                viewer.org_id,
                "products",
                p,
                None,
                unknown_product(),
            )
            .await?;
        }
        let at = ts(now);
        let id: i64 = sqlx::query(
            "INSERT INTO objections (org_id, text, concern, product_id, stage, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(&f.text)
        .bind(&f.concern)
        .bind(f.product_id)
        .bind(f.stage.map(|s| s.as_str()))
        .bind(viewer.user_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "objection",
                id,
                "create",
                &[change("text", None, Some(f.text.clone()))],
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Rewrites an objection, or retires it (`active` false) or brings it back; stale versions
    /// are refused.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn update_objection(
        &self,
        viewer: &Viewer,
        id: i64,
        f: &ObjectionFields,
        active: bool,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let (before, _) = self.objection(viewer, id).await?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        if let Some(p) = f.product_id {
            require_ref(
                &mut tx,
                viewer.org_id,
                "products",
                p,
                None,
                unknown_product(),
            )
            .await?;
        }
        let done = sqlx::query(
            "UPDATE objections SET text = $1, concern = $2, product_id = $3, stage = $4, active = $5, version = version + 1, \
             updated_at = $6 WHERE org_id = $7 AND id = $8 AND version = $9",
        )
        .bind(&f.text)
        .bind(&f.concern)
        .bind(f.product_id)
        .bind(f.stage.map(|s| s.as_str()))
        .bind(i64::from(active))
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::VersionConflict {
                current: expected_version + 1,
            });
        }
        let mut changes = Vec::new();
        for (field, b, a) in [
            ("text", before.text.clone(), f.text.clone()),
            ("concern", before.concern.clone(), f.concern.clone()),
            (
                "stage",
                before.stage.clone().unwrap_or_default(),
                f.stage.map(|s| s.as_str().to_string()).unwrap_or_default(),
            ),
            ("active", before.active.to_string(), active.to_string()),
        ] {
            if b != a {
                changes.push(change(field, Some(b), Some(a)));
            }
        }
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "objection", id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds a prepared answer to a live objection.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn add_objection_answer(
        &self,
        viewer: &Viewer,
        objection_id: i64,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        let live: i64 = sqlx::query(
            "SELECT COUNT(*) FROM objections WHERE org_id = $1 AND id = $2 AND active = 1",
        )
        .bind(viewer.org_id)
        .bind(objection_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if live == 0 {
            return Err(StoreError::NotFound);
        }
        let id: i64 = sqlx::query(
            "INSERT INTO objection_answers (org_id, objection_id, text, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(objection_id)
        .bind(text)
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "objection",
                objection_id,
                "update",
                &[change("answer", None, Some(text.to_string()))],
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Retires an answer (kept with its record; no longer offered).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn retire_objection_answer(
        &self,
        viewer: &Viewer,
        objection_id: i64,
        answer_id: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT text FROM objection_answers WHERE org_id = $1 AND objection_id = $2 AND id = $3 AND active = 1")
            .bind(viewer.org_id)
            .bind(objection_id)
            .bind(answer_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let text: String = row.try_get(0)?;
        sqlx::query("UPDATE objection_answers SET active = 0 WHERE org_id = $1 AND id = $2")
            .bind(viewer.org_id)
            .bind(answer_id)
            .execute(&mut *tx)
            .await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "objection",
                objection_id,
                "update",
                &[change("answer", Some(text), None)],
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Live objections with their live answers, for the activity form.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn live_objection_choices(&self, org_id: i64) -> Result<Vec<ObjectionChoice>> {
        let rows = sqlx::query(
            "SELECT o.id, o.text, a.id AS answer_id, a.text AS answer FROM objections o \
             LEFT JOIN objection_answers a ON a.org_id = o.org_id AND a.org_id = o.org_id AND a.objection_id = o.id AND a.active = 1 \
             WHERE o.org_id = $1 AND o.active = 1 ORDER BY o.id, a.id",
        )
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        let mut out: Vec<ObjectionChoice> = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            if out.last().map(|o| o.0) != Some(id) {
                out.push((id, r.try_get("text")?, Vec::new()));
            }
            if let Some(a) = r.try_get::<Option<i64>, _>("answer_id")? {
                out.last_mut()
                    .expect("pushed")
                    .2
                    .push((a, r.try_get("answer")?));
            }
        }
        Ok(out)
    }
}

fn unknown_product() -> ValidationError {
    ValidationError::new(
        "product_id",
        "unknown_product",
        "choose a product from the price list",
    )
}

fn change(field: &str, before: Option<String>, after: Option<String>) -> FieldChange {
    FieldChange {
        field: field.into(),
        before,
        after,
    }
}
