//! Qualifying customers (MAN analysis, the key-account screening inputs, the tier) and the
//! calls and visits their tier's cadence makes due, within the viewer's scope.

use crate::audit::Audit;
use crate::customer::{load_customer, Customer};
use crate::sql::{push_scope, Sql};
use crate::{ts, Result, Store, StoreError, Viewer};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use yingpan_domain::audit::{diff, Snapshot};
use yingpan_domain::qualification::{
    key_account_class, next_due, KeyAccountClass, Level, Man, ManAction, Tier,
};

/// MAN analysis, screening-matrix inputs and tier, plus what follows from them.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Qualification {
    pub man_money: Option<bool>,
    pub man_authority: Option<bool>,
    pub man_need: Option<bool>,
    pub attractiveness: Option<Level>,
    pub ability_to_win: Option<Level>,
    pub tier: Option<Tier>,
    /// Derived: e.g. `MAn`, when all three letters are assessed.
    pub man_class: Option<String>,
    pub man_action: Option<ManAction>,
    pub key_account_class: Option<KeyAccountClass>,
}

impl Qualification {
    /// Fills in the derived fields from the assessed ones.
    pub fn new(
        man: (Option<bool>, Option<bool>, Option<bool>),
        attractiveness: Option<Level>,
        ability_to_win: Option<Level>,
        tier: Option<Tier>,
    ) -> Self {
        let assessed = match man {
            (Some(money), Some(authority), Some(need)) => Some(Man {
                money,
                authority,
                need,
            }),
            _ => None,
        };
        Qualification {
            man_money: man.0,
            man_authority: man.1,
            man_need: man.2,
            attractiveness,
            ability_to_win,
            tier,
            man_class: assessed.map(|m| m.class()),
            man_action: assessed.map(|m| m.action()),
            key_account_class: attractiveness
                .zip(ability_to_win)
                .map(|(a, b)| key_account_class(a, b)),
        }
    }

    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        let flag = |c: &str| -> Result<Option<bool>> {
            Ok(r.try_get::<Option<i64>, _>(c)?.map(|v| v != 0))
        };
        let level = |c: &str| -> Result<Option<Level>> {
            Ok(r.try_get::<Option<String>, _>(c)?
                .and_then(|v| Level::parse("level", &v).ok()))
        };
        let tier: Option<String> = r.try_get("tier")?;
        Ok(Self::new(
            (
                flag("man_money")?,
                flag("man_authority")?,
                flag("man_need")?,
            ),
            level("attractiveness")?,
            level("ability_to_win")?,
            tier.and_then(|t| Tier::parse(&t).ok()),
        ))
    }

    fn snapshot(&self) -> Snapshot {
        let b = |v: Option<bool>| v.map(|x| x.to_string());
        vec![
            ("man_money", b(self.man_money)),
            ("man_authority", b(self.man_authority)),
            ("man_need", b(self.man_need)),
            (
                "attractiveness",
                self.attractiveness.map(|l| l.as_str().to_string()),
            ),
            (
                "ability_to_win",
                self.ability_to_win.map(|l| l.as_str().to_string()),
            ),
            ("tier", self.tier.map(|t| t.as_str().to_string())),
        ]
    }
}

/// A customer whose next call or visit is due.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DueContact {
    pub customer_id: i64,
    pub name: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub tier: Option<String>,
    pub next_call_due: Option<String>,
    pub next_visit_due: Option<String>,
}

impl Store {
    /// Sets the qualification of a customer the viewer may see; the tier's cadence sets when
    /// the next call and visit are due.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn qualify(
        &self,
        viewer: &Viewer,
        id: i64,
        expected_version: i64,
        q: &Qualification,
        now: DateTime<Utc>,
    ) -> Result<Customer> {
        let mut tx = self.write.begin().await?;
        let before = load_customer(&mut tx, viewer, id, false).await?;
        if before.version != expected_version {
            return Err(StoreError::VersionConflict {
                current: before.version,
            });
        }
        let (call_due, visit_due) = match q.tier {
            Some(tier) => {
                let since = crate::parse_ts(&before.created_at)?;
                let (call, visit) = last_call_and_visit(&mut tx, viewer.org_id, id).await?;
                let (c, v) = next_due(tier, since, call, visit);
                (Some(ts(c)), Some(ts(v)))
            }
            None => (None, None),
        };
        let flag = |v: Option<bool>| v.map(i64::from);
        sqlx::query(
            "UPDATE customers SET man_money = $1, man_authority = $2, man_need = $3, attractiveness = $4, \
             ability_to_win = $5, tier = $6, next_call_due = $7, next_visit_due = $8, version = version + 1, \
             updated_at = $9, attractiveness_score = CASE WHEN $13 = 1 THEN attractiveness_score END, \
             ability_score = CASE WHEN $14 = 1 THEN ability_score END \
             WHERE org_id = $10 AND id = $11 AND version = $12",
        )
        .bind(flag(q.man_money))
        .bind(flag(q.man_authority))
        .bind(flag(q.man_need))
        .bind(q.attractiveness.map(|l| l.as_str()))
        .bind(q.ability_to_win.map(|l| l.as_str()))
        .bind(q.tier.map(|t| t.as_str()))
        .bind(call_due)
        .bind(visit_due)
        .bind(ts(now))
        .bind(viewer.org_id)
        .bind(id)
        .bind(expected_version)
        // A level picked by hand over a scored one drops the score it no longer matches.
        .bind(i64::from(before.qualification.attractiveness == q.attractiveness))
        .bind(i64::from(before.qualification.ability_to_win == q.ability_to_win))
        .execute(&mut *tx)
        .await?;
        let after = load_customer(&mut tx, viewer, id, false).await?;
        let changes = diff(
            &before.qualification.snapshot(),
            &after.qualification.snapshot(),
        );
        if !changes.is_empty() {
            Audit::by(viewer, now)
                .record(&mut tx, "customer", id, "update", &changes)
                .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Customers in scope whose next call or visit is due before `until`, most overdue first.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn due_contacts(
        &self,
        viewer: &Viewer,
        until: DateTime<Utc>,
        owner_id: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<DueContact>, i64)> {
        let build = |select: &str| {
            let mut sql = Sql::new(select);
            push_scope(&mut sql, viewer, "c");
            sql.push(
                " AND c.deleted_at IS NULL AND c.owner_id IS NOT NULL AND (c.next_call_due < ",
            )
            .bind(ts(until))
            .push(" OR c.next_visit_due < ")
            .bind(ts(until))
            .push(")");
            if let Some(o) = owner_id {
                sql.push(" AND c.owner_id = ").bind(o);
            }
            sql
        };
        let total: i64 = build("SELECT COUNT(*) FROM customers c WHERE")
            .query()
            .fetch_one(&self.read)
            .await?
            .try_get(0)?;
        let mut list = build(
            "SELECT c.id, c.name, c.owner_id, o.display_name AS owner_name, c.tier, c.next_call_due, c.next_visit_due \
             FROM customers c LEFT JOIN users o ON o.id = c.owner_id AND o.org_id = c.org_id WHERE",
        );
        list.push(
            " ORDER BY CASE WHEN c.next_call_due < c.next_visit_due THEN c.next_call_due ELSE c.next_visit_due END, c.id LIMIT ",
        )
        .bind(limit.clamp(1, 500));
        let rows = list.query().fetch_all(&self.read).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(DueContact {
                    customer_id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    owner_id: r.try_get("owner_id")?,
                    owner_name: r.try_get("owner_name")?,
                    tier: r.try_get("tier")?,
                    next_call_due: r.try_get("next_call_due")?,
                    next_visit_due: r.try_get("next_visit_due")?,
                })
            })
            .collect::<Result<_>>()?;
        Ok((items, total))
    }
}

async fn last_call_and_visit(
    tx: &mut Transaction<'_, Any>,
    org_id: i64,
    id: i64,
) -> Result<(Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let row = sqlx::query(
        "SELECT MAX(CASE WHEN kind = 'call' THEN occurred_at END) AS last_call, \
         MAX(CASE WHEN kind IN ('visit', 'meeting') THEN occurred_at END) AS last_visit \
         FROM activities WHERE org_id = $1 AND customer_id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let parse = |v: Option<String>| v.map(|s| crate::parse_ts(&s)).transpose();
    Ok((
        parse(row.try_get("last_call")?)?,
        parse(row.try_get("last_visit")?)?,
    ))
}
