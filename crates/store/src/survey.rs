//! Satisfaction surveys (`domain::survey`): questionnaires, invitations answered once by link
//! or recorded on the phone, and the facts the results are computed from — within the
//! reader's scope of customers.

use crate::audit::Audit;
use crate::sql::{push_scope, Sql};
use crate::{customer_scope_check, parse_ts, ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::FieldChange;
use yingpan_domain::survey::{check_link, Answers, Question, Response};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Survey {
    pub id: i64,
    pub name: String,
    pub questions: Vec<Question>,
    pub active: bool,
    pub created_at: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub survey_id: i64,
    pub customer_id: i64,
    pub customer_name: Option<String>,
    pub order_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// The customer's owner when the survey was sent: whom the answer speaks about.
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    /// `link` or `phone`.
    pub channel: String,
    pub created_at: String,
    pub expires_at: String,
    pub answered_at: Option<String>,
    pub answers: Option<Answers>,
    pub score_sum: i64,
    pub score_count: i64,
}

/// What a survey's results are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyGroup {
    Customer,
    Product,
    Salesperson,
}

impl SurveyGroup {
    pub fn parse(raw: &str) -> std::result::Result<Self, yingpan_domain::ValidationError> {
        match raw.trim() {
            "customer" => Ok(Self::Customer),
            "product" => Ok(Self::Product),
            "salesperson" => Ok(Self::Salesperson),
            _ => Err(yingpan_domain::ValidationError::new(
                "by",
                "invalid_choice",
                "must be customer, product or salesperson",
            )),
        }
    }
}

fn survey_from_row(r: &AnyRow) -> Result<Survey> {
    let questions: String = r.try_get("questions")?;
    Ok(Survey {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        questions: serde_json::from_str(&questions)
            .map_err(|e| StoreError::Corrupt(format!("survey questions: {e}")))?,
        active: r.try_get::<i64, _>("active")? != 0,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

const INVITATION_COLUMNS: &str = "i.id, i.survey_id, i.customer_id, c.name AS customer_name, i.order_id, i.ticket_id, \
    i.owner_id, o.display_name AS owner_name, i.channel, i.created_at, i.expires_at, i.answered_at, i.answers, \
    i.score_sum, i.score_count";
const INVITATION_FROM: &str =
    " FROM survey_invitations i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id \
    LEFT JOIN users o ON o.id = i.owner_id AND o.org_id = i.org_id";

fn invitation_from_row(r: &AnyRow) -> Result<Invitation> {
    let answers: Option<String> = r.try_get("answers")?;
    Ok(Invitation {
        id: r.try_get("id")?,
        survey_id: r.try_get("survey_id")?,
        customer_id: r.try_get("customer_id")?,
        customer_name: r.try_get("customer_name")?,
        order_id: r.try_get("order_id")?,
        ticket_id: r.try_get("ticket_id")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        channel: r.try_get("channel")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        answered_at: r.try_get("answered_at")?,
        answers: answers
            .map(|a| serde_json::from_str(&a))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("survey answers: {e}")))?,
        score_sum: r.try_get("score_sum")?,
        score_count: r.try_get("score_count")?,
    })
}

async fn load_survey(
    exec: impl sqlx::Executor<'_, Database = Any>,
    org_id: i64,
    id: i64,
) -> Result<Survey> {
    let row = sqlx::query(
        "SELECT id, name, questions, active, created_at, version FROM surveys WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(exec)
    .await?
    .ok_or(StoreError::NotFound)?;
    survey_from_row(&row)
}

async fn load_invitation(tx: &mut Transaction<'_, Any>, id: i64) -> Result<Invitation> {
    let row = sqlx::query(&format!(
        "SELECT {INVITATION_COLUMNS}{INVITATION_FROM} WHERE i.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    invitation_from_row(&row)
}

/// A new invitation to survey `survey_id` for a customer in the viewer's scope (an order must
/// be the customer's). `token_digest` is set for a link, none for a phone record.
#[allow(clippy::too_many_arguments)]
async fn insert_invitation(
    tx: &mut Transaction<'_, Any>,
    viewer: &Viewer,
    survey_id: i64,
    customer_id: i64,
    order_id: Option<i64>,
    channel: &str,
    token_digest: Option<&str>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64> {
    customer_scope_check(tx, viewer, customer_id).await?;
    let survey = load_survey(&mut **tx, viewer.org_id, survey_id).await?;
    if !survey.active {
        return Err(StoreError::Rule {
            code: "survey_retired",
            message: "this survey is no longer sent".into(),
        });
    }
    if let Some(o) = order_id {
        let customer = Some(("customer_id", customer_id));
        let refused = crate::sql::unknown_order();
        crate::sql::require_ref(tx, viewer.org_id, "orders", o, customer, refused).await?;
    }
    let owner: Option<i64> =
        sqlx::query("SELECT owner_id FROM customers WHERE org_id = $2 AND id = $1")
            .bind(customer_id)
            .bind(viewer.org_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
    let id: i64 = sqlx::query(
        "INSERT INTO survey_invitations (org_id, survey_id, customer_id, order_id, owner_id, token_digest, channel, \
         created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(viewer.org_id)
    .bind(survey_id)
    .bind(customer_id)
    .bind(order_id)
    .bind(owner)
    .bind(token_digest)
    .bind(channel)
    .bind(viewer.user_id)
    .bind(ts(now))
    .bind(ts(expires_at))
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(id)
}

async fn store_answers(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    answers: &Answers,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = sqlx::query(
        "/* across organizations: survey link */ UPDATE survey_invitations SET answered_at = $1, answers = $2, score_sum = $3, score_count = $4 \
         WHERE id = $5 AND answered_at IS NULL",
    )
    .bind(ts(now))
    .bind(serde_json::to_string(answers).expect("answers serialise"))
    .bind(answers.score_sum())
    .bind(answers.score_count())
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

fn answered_change(answers: &Answers) -> Vec<FieldChange> {
    vec![FieldChange {
        field: "score".into(),
        before: None,
        after: (answers.score_count() > 0).then(|| {
            (rust_decimal::Decimal::from(answers.score_sum())
                / rust_decimal::Decimal::from(answers.score_count()))
            .round_dp(2)
            .to_string()
        }),
    }]
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn create_survey(
        &self,
        viewer: &Viewer,
        name: &str,
        questions: &[Question],
        now: DateTime<Utc>,
    ) -> Result<Survey> {
        let mut tx = self.write.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO surveys (org_id, name, questions, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(viewer.org_id)
        .bind(name)
        .bind(serde_json::to_string(questions).expect("questions serialise"))
        .bind(viewer.user_id)
        .bind(ts(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "survey",
                id,
                "create",
                &[FieldChange {
                    field: "name".into(),
                    before: None,
                    after: Some(name.into()),
                }],
            )
            .await?;
        let survey = load_survey(&mut *tx, viewer.org_id, id).await?;
        tx.commit().await?;
        Ok(survey)
    }

    /// The company's questionnaires, those still sent first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn surveys(&self, org_id: i64) -> Result<Vec<Survey>> {
        let rows = sqlx::query(
            "SELECT id, name, questions, active, created_at, version FROM surveys WHERE org_id = $1 ORDER BY active DESC, id DESC",
        )
        .bind(org_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(survey_from_row).collect()
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn survey(&self, org_id: i64, id: i64) -> Result<Survey> {
        load_survey(&self.read, org_id, id).await
    }

    /// Stops (or resumes) sending a questionnaire; its answers stay. A stale version is refused.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn set_survey_active(
        &self,
        viewer: &Viewer,
        id: i64,
        active: bool,
        expected_version: i64,
        now: DateTime<Utc>,
    ) -> Result<Survey> {
        let mut tx = self.write.begin().await?;
        let before = load_survey(&mut *tx, viewer.org_id, id).await?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        sqlx::query("UPDATE surveys SET active = $1, version = version + 1 WHERE org_id = $2 AND id = $3 AND version = $4")
            .bind(i64::from(active))
            .bind(viewer.org_id)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
        if before.active != active {
            Audit::by(viewer, now)
                .record(
                    &mut tx,
                    "survey",
                    id,
                    "update",
                    &[FieldChange {
                        field: "active".into(),
                        before: Some(before.active.to_string()),
                        after: Some(active.to_string()),
                    }],
                )
                .await?;
        }
        let survey = load_survey(&mut *tx, viewer.org_id, id).await?;
        tx.commit().await?;
        Ok(survey)
    }

    /// Sends a survey to a customer in the viewer's scope as a link, whose token only the caller
    /// knows (its digest is kept).
    #[allow(clippy::too_many_arguments)]
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn invite_to_survey(
        &self,
        viewer: &Viewer,
        survey_id: i64,
        customer_id: i64,
        order_id: Option<i64>,
        token_digest: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Invitation> {
        let mut tx = self.write.begin().await?;
        let id = insert_invitation(
            &mut tx,
            viewer,
            survey_id,
            customer_id,
            order_id,
            "link",
            Some(token_digest),
            expires_at,
            now,
        )
        .await?;
        Audit::by(viewer, now)
            .record(&mut tx, "survey_invitation", id, "create", &[])
            .await?;
        let inv = load_invitation(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// Answers taken by staff on the phone (the answers already checked against the survey).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn record_survey_by_phone(
        &self,
        viewer: &Viewer,
        survey_id: i64,
        customer_id: i64,
        order_id: Option<i64>,
        answers: &Answers,
        now: DateTime<Utc>,
    ) -> Result<Invitation> {
        let mut tx = self.write.begin().await?;
        let id = insert_invitation(
            &mut tx,
            viewer,
            survey_id,
            customer_id,
            order_id,
            "phone",
            None,
            now,
            now,
        )
        .await?;
        store_answers(&mut tx, id, answers, now).await?;
        Audit::by(viewer, now)
            .record(
                &mut tx,
                "survey_invitation",
                id,
                "answer",
                &answered_change(answers),
            )
            .await?;
        let inv = load_invitation(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// The invitation behind a link and its questionnaire, with the company's name, for the
    /// customer's page (no login: the token is the key).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn invitation_by_token(
        &self,
        token_digest: &str,
    ) -> Result<(Invitation, Survey, String)> {
        let row = sqlx::query(&format!(
            "SELECT {INVITATION_COLUMNS}, i.org_id, g.name AS org_name{INVITATION_FROM} \
             JOIN organizations g ON g.id = i.org_id WHERE i.token_digest = $1"
        ))
        .bind(token_digest)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let inv = invitation_from_row(&row)?;
        let org_id: i64 = row.try_get("org_id")?;
        let survey = load_survey(&self.read, org_id, inv.survey_id).await?;
        Ok((inv, survey, row.try_get("org_name")?))
    }

    /// Stores the customer's answers through their link: once, before it expires, even when
    /// the form is sent twice at the same moment.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn answer_survey(
        &self,
        token_digest: &str,
        answers: &Answers,
        now: DateTime<Utc>,
    ) -> Result<Invitation> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(
            "/* across organizations: survey link */ SELECT id, org_id, answered_at, expires_at FROM survey_invitations WHERE token_digest = $1",
        )
        .bind(token_digest)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (id, org_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        let answered = row.try_get::<Option<String>, _>(2)?.is_some();
        let expires = parse_ts(&row.try_get::<String, _>(3)?)?;
        let refused = |r: yingpan_domain::survey::LinkRefusal| StoreError::Rule {
            code: r.code(),
            message: r.message().into(),
        };
        check_link(answered, expires, now).map_err(refused)?;
        if !store_answers(&mut tx, id, answers, now).await? {
            return Err(refused(yingpan_domain::survey::LinkRefusal::Answered));
        }
        crate::audit::record(
            &mut tx,
            org_id,
            None,
            "survey_invitation",
            id,
            "answer",
            &answered_change(answers),
            now,
        )
        .await?;
        let inv = load_invitation(&mut tx, id).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// A survey's invitations (`survey_id` 0: every survey's) on customers in the viewer's scope,
    /// the latest answered or sent first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn survey_invitations(
        &self,
        viewer: &Viewer,
        survey_id: i64,
        customer_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Invitation>> {
        let mut sql = Sql::new(&format!(
            "SELECT {INVITATION_COLUMNS}{INVITATION_FROM} WHERE"
        ));
        push_scope(&mut sql, viewer, "c");
        sql.push(" AND i.org_id = ").bind(viewer.org_id);
        if survey_id > 0 {
            sql.push(" AND i.survey_id = ").bind(survey_id);
        }
        if let Some(c) = customer_id {
            sql.push(" AND i.customer_id = ").bind(c);
        }
        sql.push(" ORDER BY COALESCE(i.answered_at, i.created_at) DESC, i.id DESC LIMIT ")
            .bind(limit.clamp(1, 500));
        let rows = sql.query().fetch_all(&self.read).await?;
        rows.iter().map(invitation_from_row).collect()
    }

    /// The answered invitations of a survey on customers in the viewer's scope, as facts for
    /// `domain::survey::results`, and each group's name. By product, a response counts for each
    /// product of the order it was sent about (responses about no order are left out).
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn survey_responses(
        &self,
        viewer: &Viewer,
        survey_id: i64,
        by: SurveyGroup,
    ) -> Result<(Vec<Response>, std::collections::BTreeMap<i64, String>)> {
        let (group, name, join) = match by {
            SurveyGroup::Customer => ("i.customer_id", "c.name", ""),
            SurveyGroup::Salesperson => (
                "COALESCE(i.owner_id, 0)",
                "COALESCE(o.display_name, '')",
                " LEFT JOIN users o ON o.id = i.owner_id AND o.org_id = i.org_id",
            ),
            SurveyGroup::Product => (
                "p.id",
                "p.name",
                " JOIN products p ON p.org_id = i.org_id AND p.id IN \
                 (SELECT l.product_id FROM order_lines l WHERE l.org_id = i.org_id AND l.order_id = i.order_id)",
            ),
        };
        let mut sql = Sql::new(&format!(
            "SELECT {group} AS grp, {name} AS grp_name, i.customer_id, i.score_sum, i.score_count, \
             (SELECT COUNT(*) FROM orders x WHERE x.org_id = i.org_id AND x.customer_id = i.customer_id) AS orders \
             FROM survey_invitations i JOIN customers c ON c.id = i.customer_id AND c.org_id = i.org_id{join} WHERE"
        ));
        push_scope(&mut sql, viewer, "c");
        sql.push(" AND i.org_id = ")
            .bind(viewer.org_id)
            .push(" AND i.survey_id = ")
            .bind(survey_id)
            .push(" AND i.answered_at IS NOT NULL");
        let rows = sql.query().fetch_all(&self.read).await?;
        let mut names = std::collections::BTreeMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let group: i64 = r.try_get("grp")?;
            names.insert(group, r.try_get::<String, _>("grp_name")?);
            out.push(Response {
                group,
                customer_id: r.try_get("customer_id")?,
                score_sum: r.try_get("score_sum")?,
                score_count: r.try_get("score_count")?,
                repeat_buyer: r.try_get::<i64, _>("orders")? > 1,
            });
        }
        Ok((out, names))
    }
}
