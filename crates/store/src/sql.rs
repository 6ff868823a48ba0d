//! A tiny builder for dynamic SQL with numbered placeholders, so that optional filters and scope
//! clauses stay parameterised on both backends.

use sqlx::any::{Any, AnyArguments};
use sqlx::query::Query;

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_string))
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }
    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }
    /// Appends `(…)` with a placeholder for each id, for `IN` lists; the caller keeps the list
    /// non-empty (`IN ()` is no SQL).
    pub fn bind_list(&mut self, ids: &[i64]) -> &mut Self {
        self.text.push('(');
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(*id);
        }
        self.text.push(')');
        self
    }
    /// This query as a subquery: `before`, this text, `after`, with this query's parameters.
    pub fn wrap(self, before: &str, after: &str) -> Sql {
        Sql {
            text: format!("{before}{}{after}", self.text),
            args: self.args,
        }
    }

    /// The query's rows packed into one JSON array of arrays (the `columns` of each row, in
    /// order) and decoded as `T`. SQLite's driver hands every row across threads on its own
    /// (about 15 µs each on the benchmark machine); a report reading thousands of rows reads
    /// one this way.
    #[tracing::instrument(level = "debug", skip_all, err(level = tracing::Level::DEBUG))]
    pub async fn fetch_packed<'e, T, E>(
        &self,
        exec: E,
        backend: crate::Backend,
        columns: &[&str],
    ) -> crate::Result<Vec<T>>
    where
        T: serde::de::DeserializeOwned,
        E: sqlx::Executor<'e, Database = Any>,
    {
        use sqlx::Row;
        let cells: Vec<String> = columns.iter().map(|c| format!("t.{c}")).collect();
        let cells = cells.join(", ");
        let packed = Sql {
            text: match backend {
                crate::Backend::Sqlite => format!(
                    "SELECT json_group_array(json_array({cells})) FROM ({}) t",
                    self.text
                ),
                crate::Backend::Postgres => format!(
                    "SELECT COALESCE(json_agg(json_build_array({cells})), '[]'::json)::text FROM ({}) t",
                    self.text
                ),
            },
            args: self.args.clone(),
        };
        let json: String = packed.query().fetch_one(exec).await?.try_get(0)?;
        serde_json::from_str(&json)
            .map_err(|e| crate::StoreError::Corrupt(format!("packed rows: {e}")))
    }

    /// `query()`, planned on PostgreSQL with this call's values rather than prepared once when
    /// `per_call`: a search's best plan depends on its patterns and the team's ids, and after
    /// five runs of a prepared statement PostgreSQL may switch to a generic plan that cannot
    /// see them (a team's pinyin search: its 261 owner ids rebuilt into an array for every
    /// candidate row, 28 → 68 ms). SQLite plans nothing generically and keeps its prepared
    /// statements.
    pub fn query_planned(
        &self,
        backend: crate::Backend,
        per_call: bool,
    ) -> Query<'_, Any, AnyArguments<'_>> {
        self.query()
            .persistent(!per_call || backend == crate::Backend::Sqlite)
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

/// `table` for a statement that names its rows by id (`id IN (…)`): on SQLite with
/// `NOT INDEXED`, which leaves the lookups by rowid. SQLite's sampled statistics put about a
/// thousand rows behind any `org_id`, so for a long list its planner took an index on `org_id`
/// and walked the whole company testing each row against the list: a statistics fold's 250
/// customers among a million, 95–115 ms instead of under 1 ms; a campaign's 500 recipients
/// among four million, 530 ms instead of 3 ms.
pub(crate) fn rows_by_id(backend: crate::Backend, table: &str) -> String {
    match backend {
        crate::Backend::Sqlite => format!("{table} NOT INDEXED"),
        crate::Backend::Postgres => table.to_string(),
    }
}

/// `customers c`, read by id (see [`rows_by_id`]).
pub(crate) fn customers_by_id(backend: crate::Backend) -> String {
    rows_by_id(backend, "customers c")
}

/// Restricts `alias.owner_id` to what the viewer may see.
pub(crate) fn push_scope(sql: &mut Sql, viewer: &crate::Viewer, alias: &str) {
    push_scope_on(sql, viewer, alias, "owner_id");
}

/// `(<root and everyone below them>)`, a subquery of user ids. Both steps of the walk name
/// the organization, so that a distributed PostgreSQL keeps it on the organization's shard.
pub(crate) fn push_subtree(sql: &mut Sql, org_id: i64, root: i64) {
    sql.push("(WITH RECURSIVE sub(id) AS (SELECT id FROM users WHERE org_id = ")
        .bind(org_id)
        .push(" AND id = ")
        .bind(root)
        .push(" UNION ALL SELECT u.id FROM users u JOIN sub ON u.superior_id = sub.id WHERE u.org_id = ")
        .bind(org_id)
        .push(") SELECT id FROM sub)");
}

/// The ids of `root` and everyone below them, sorted.
pub(crate) async fn subtree_ids<'e, E>(
    exec: E,
    backend: crate::Backend,
    org_id: i64,
    root: i64,
) -> crate::Result<Vec<i64>>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let mut sql = Sql::new("SELECT id FROM users WHERE org_id = ");
    sql.bind(org_id).push(" AND id IN ");
    push_subtree(&mut sql, org_id, root);
    let ids: Vec<(i64,)> = sql.fetch_packed(exec, backend, &["id"]).await?;
    let mut ids: Vec<i64> = ids.into_iter().map(|i| i.0).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Restricts `alias.person_column` (the person a record belongs to) to the viewer's scope.
pub(crate) fn push_scope_on(
    sql: &mut Sql,
    viewer: &crate::Viewer,
    alias: &str,
    person_column: &str,
) {
    use yingpan_domain::person::Scope;
    sql.push(&format!(" {alias}.org_id = ")).bind(viewer.org_id);
    match viewer.scope {
        Scope::All => {}
        Scope::Own => {
            sql.push(&format!(" AND {alias}.{person_column} = "))
                .bind(viewer.user_id);
        }
        Scope::Subtree => {
            sql.push(&format!(" AND {alias}.{person_column} IN "));
            push_subtree(sql, viewer.org_id, viewer.user_id);
        }
    }
}

/// A condition (no organization, no leading `AND`): the person in `expr` is within the
/// viewer's scope. For records reached through more than one person (a ticket: its customer's
/// owner, its assignee, who filed it).
pub(crate) fn push_in_scope(sql: &mut Sql, viewer: &crate::Viewer, expr: &str) {
    use yingpan_domain::person::Scope;
    match viewer.scope {
        Scope::All => {
            sql.push(&format!(" {expr} IS NOT NULL"));
        }
        Scope::Own => {
            sql.push(&format!(" {expr} = ")).bind(viewer.user_id);
        }
        Scope::Subtree => {
            sql.push(&format!(" {expr} IN "));
            push_subtree(sql, viewer.org_id, viewer.user_id);
        }
    }
}

/// Whether `person` is an active colleague within the viewer's scope (`anyone`: whatever the
/// scope, only active and of the organization).
pub(crate) async fn active_person(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    viewer: &crate::Viewer,
    person: i64,
    anyone: bool,
) -> crate::Result<bool> {
    use sqlx::Row;
    let mut sql = Sql::new("SELECT COUNT(*) FROM users u WHERE u.org_id = ");
    sql.bind(viewer.org_id)
        .push(" AND u.active = 1 AND u.id = ")
        .bind(person);
    if !anyone {
        sql.push(" AND");
        push_in_scope(&mut sql, viewer, "u.id");
    }
    let n: i64 = sql.query().fetch_one(&mut **tx).await?.try_get(0)?;
    Ok(n > 0)
}

/// Refuses a reference (`field` names it) to a row of `table` that is not the
/// organization's, or — with `belongs` (column, value) — not of that value: an order of
/// another customer, a task of someone else. Table and column names are the callers' own
/// constants, never user text.
pub(crate) async fn require_ref(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org_id: i64,
    table: &'static str,
    id: i64,
    belongs: Option<(&'static str, i64)>,
    refused: yingpan_domain::ValidationError,
) -> crate::Result<()> {
    use sqlx::Row;
    let mut sql = Sql::new(&format!("SELECT COUNT(*) FROM {table} WHERE org_id = "));
    sql.bind(org_id).push(" AND id = ").bind(id);
    if let Some((column, value)) = belongs {
        sql.push(&format!(" AND {column} = ")).bind(value);
    }
    let n: i64 = sql.query().fetch_one(&mut **tx).await?.try_get(0)?;
    if n == 0 {
        return Err(refused.into());
    }
    Ok(())
}

/// The refusal of an order that is not the customer's.
pub(crate) fn unknown_order() -> yingpan_domain::ValidationError {
    yingpan_domain::ValidationError::new(
        "order_id",
        "unknown_order",
        "no such order of this customer",
    )
}

/// The first column of `rows` as ids, into any collection (a list, a set).
pub(crate) fn first_ids<C: FromIterator<i64>>(rows: &[sqlx::any::AnyRow]) -> crate::Result<C> {
    use sqlx::Row;
    rows.iter()
        .map(|r| r.try_get::<i64, _>(0).map_err(Into::into))
        .collect()
}

/// Appends the rows of a counter table as a reader must sum them: on PostgreSQL the folded rows
/// plus the changes appended since (`<table>_changes`, or `changes`), which
/// `Store::compact_tally` folds in; on SQLite the table, kept in place by its triggers.
pub(crate) fn push_counted(
    sql: &mut Sql,
    backend: crate::Backend,
    org_id: i64,
    table: &str,
    changes: &str,
    columns: &str,
    alias: &str,
) {
    match backend {
        crate::Backend::Sqlite => {
            sql.push(&format!("{table} {alias}"));
        }
        crate::Backend::Postgres => {
            sql.push(&format!("(SELECT {columns} FROM {table} WHERE org_id = "))
                .bind(org_id)
                .push(&format!(
                    " UNION ALL SELECT {columns} FROM {changes} WHERE org_id = "
                ))
                .bind(org_id)
                .push(&format!(") {alias}"));
        }
    }
}
