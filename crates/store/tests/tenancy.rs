//! Ready to distribute by organization (issue 17): every statement the test suite sent to
//! PostgreSQL that touches a tenant table must name that table's `org_id` in an equality — the
//! key a distributed PostgreSQL (Citus) routes by, and the join condition it needs between two
//! tenant tables to keep a join on one shard.
//!
//! The statements are PostgreSQL's own record of what it ran (`pg_stat_statements`, which
//! `scripts/test.sh` loads into its private cluster), so this runs after the rest of the suite:
//! `scripts/test.sh` calls `cargo test -p yingpan-store --test tenancy -- --ignored`. The app
//! under test connects as its own role (`YINGPAN_TEST_PG_APP_URL`), so the tests' own queries on
//! the stored rows are not counted.
//! Statements that work across organizations on purpose (background jobs that loop over
//! companies, the login by username, migrations) carry a `/* across organizations: … */`
//! comment and are listed by that name.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, Expr, FromTable, JoinConstraint, JoinOperator, Query, SetExpr, Statement,
    TableFactor, TableObject, TableWithJoins, Visit, Visitor,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// Tables every organization shares or that are the organizations themselves: Citus reference
/// tables, not distributed ones.
/// `login_failures` belongs to no organization either: a failed login names a username, not a
/// company (its rows carry organization 0), and the throttle is read before anyone is known.
const REFERENCE: &[&str] = &["organizations", "schema_migrations", "login_failures"];

/// Lower case, literals and placeholders as `?`, comments dropped, spaces collapsed: the form in
/// which a statement PostgreSQL recorded is found in the migration files.
fn normalized(sql: &str) -> String {
    let mut out = String::new();
    for line in sql.lines() {
        let line = line.split("--").next().unwrap_or("");
        out.push_str(line);
        out.push(' ');
    }
    let quoted = literals_as_placeholders(&out.to_lowercase());
    quoted.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `'text'`, `$n` and numbers become `?`; so does a negative number where an operand starts
/// (after `(`, `,` or `=`), which PostgreSQL records as one constant with its sign.
fn literals_as_placeholders(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut prev_word = false;
    while let Some(c) = chars.next() {
        let operand_starts = out.trim_end().ends_with(['(', ',', '=']);
        if c == '-' && operand_starts && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
            prev_word = false;
        } else if c == '\'' {
            for d in chars.by_ref() {
                if d == '\'' {
                    break;
                }
            }
            out.push('?');
            prev_word = false;
        } else if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit())
            || c.is_ascii_digit() && !prev_word
        {
            while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                chars.next();
            }
            out.push('?');
            prev_word = false;
        } else {
            prev_word = c.is_alphanumeric() || c == '_';
            out.push(c);
        }
    }
    out
}

/// Every migration file, normalized: statements run by a migration are schema changes and
/// backfills over the whole table, which Citus runs on every shard.
fn migrations() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut all = String::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        all.push_str(&normalized(&std::fs::read_to_string(f).unwrap()));
        all.push(' ');
    }
    all
}

/// The marker that exempts a statement, followed by the job's name.
const ACROSS: &str = "across organizations:";

/// A table reference in one query scope: the name the statement uses for it and the table.
struct Scope {
    tables: Vec<(String, String)>,
    conditions: Vec<Expr>,
}

fn ident_name(name: &impl ToString) -> String {
    name.to_string().trim_matches('"').to_ascii_lowercase()
}

fn collect_factor(f: &TableFactor, tenant: &BTreeSet<String>, scope: &mut Scope) {
    match f {
        TableFactor::Table { name, alias, .. } => {
            let table = ident_name(name);
            let table = table.rsplit('.').next().unwrap_or(&table).to_string();
            if tenant.contains(&table) {
                let used = alias
                    .as_ref()
                    .map(|a| ident_name(&a.name))
                    .unwrap_or_else(|| table.clone());
                scope.tables.push((used, table));
            }
        }
        TableFactor::NestedJoin {
            table_with_joins, ..
        } => collect_joins(table_with_joins, tenant, scope),
        // A derived table or a function is a query of its own, checked where it is visited.
        _ => {}
    }
}

fn join_condition(op: &JoinOperator) -> Option<&Expr> {
    let c = match op {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c) => c,
        _ => return None,
    };
    match c {
        JoinConstraint::On(e) => Some(e),
        _ => None,
    }
}

fn collect_joins(t: &TableWithJoins, tenant: &BTreeSet<String>, scope: &mut Scope) {
    collect_factor(&t.relation, tenant, scope);
    for j in &t.joins {
        collect_factor(&j.relation, tenant, scope);
        if let Some(e) = join_condition(&j.join_operator) {
            scope.conditions.push(e.clone());
        }
    }
}

/// The names (aliases) whose `org_id` an AND-ed equality of `e` pins; `""` for a bare `org_id`.
fn pinned(e: &Expr, out: &mut BTreeSet<String>) {
    match e {
        Expr::Nested(inner) => pinned(inner, out),
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            pinned(left, out);
            pinned(right, out);
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } => {
            for side in [left, right] {
                match side.as_ref() {
                    Expr::Identifier(i) if ident_name(i) == "org_id" => {
                        out.insert(String::new());
                    }
                    Expr::CompoundIdentifier(parts)
                        if parts.len() >= 2 && ident_name(&parts[parts.len() - 1]) == "org_id" =>
                    {
                        out.insert(ident_name(&parts[parts.len() - 2]));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// What in `scope` is not pinned to one organization.
fn unpinned(scope: &Scope) -> Vec<String> {
    let mut names = BTreeSet::new();
    for c in &scope.conditions {
        pinned(c, &mut names);
    }
    // A bare `org_id` can only belong to the scope's one tenant table (two would make it
    // ambiguous to PostgreSQL itself).
    let bare = names.contains("") && scope.tables.len() == 1;
    scope
        .tables
        .iter()
        .filter(|(used, _)| !bare && !names.contains(used))
        .map(|(used, table)| {
            if used == table {
                table.clone()
            } else {
                format!("{table} {used}")
            }
        })
        .collect()
}

struct Checker<'a> {
    tenant: &'a BTreeSet<String>,
    problems: Vec<String>,
    touches_tenant: bool,
}

impl Checker<'_> {
    fn check(&mut self, scope: Scope) {
        if !scope.tables.is_empty() {
            self.touches_tenant = true;
        }
        for t in unpinned(&scope) {
            self.problems.push(t);
        }
    }

    fn check_set(&mut self, body: &SetExpr) {
        match body {
            SetExpr::Select(s) => {
                let mut scope = Scope {
                    tables: Vec::new(),
                    conditions: Vec::new(),
                };
                for t in &s.from {
                    collect_joins(t, self.tenant, &mut scope);
                }
                if let Some(w) = &s.selection {
                    scope.conditions.push(w.clone());
                }
                self.check(scope);
            }
            SetExpr::SetOperation { left, right, .. } => {
                self.check_set(left);
                self.check_set(right);
            }
            // Nested queries and statements are visited on their own.
            _ => {}
        }
    }
}

impl Visitor for Checker<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.check_set(&query.body);
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        let mut scope = Scope {
            tables: Vec::new(),
            conditions: Vec::new(),
        };
        match statement {
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    let table = ident_name(name);
                    if self.tenant.contains(&table) {
                        self.touches_tenant = true;
                        if !insert.columns.iter().any(|c| ident_name(c) == "org_id") {
                            self.problems
                                .push(format!("{table} (insert without org_id)"));
                        }
                    }
                }
                return ControlFlow::Continue(());
            }
            Statement::Update(update) => {
                collect_joins(&update.table, self.tenant, &mut scope);
                if let Some(w) = &update.selection {
                    scope.conditions.push(w.clone());
                }
            }
            Statement::Delete(delete) => {
                let (FromTable::WithFromKeyword(ts) | FromTable::WithoutKeyword(ts)) = &delete.from;
                for t in ts {
                    collect_joins(t, self.tenant, &mut scope);
                }
                if let Some(w) = &delete.selection {
                    scope.conditions.push(w.clone());
                }
            }
            _ => return ControlFlow::Continue(()),
        }
        self.check(scope);
        ControlFlow::Continue(())
    }
}

/// What is wrong with one statement: `Ok(None)` when it touches no tenant table.
fn examine(sql: &str, tenant: &BTreeSet<String>) -> Result<Option<Vec<String>>, String> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).map_err(|e| e.to_string())?;
    let mut checker = Checker {
        tenant,
        problems: Vec::new(),
        touches_tenant: false,
    };
    for s in &statements {
        let _ = s.visit(&mut checker);
    }
    Ok(checker.touches_tenant.then_some(checker.problems))
}

fn tenant_tables() -> BTreeSet<String> {
    [
        "customers",
        "contacts",
        "activities",
        "users",
        "orders",
        "order_lines",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

#[test]
fn the_checker_reads_statements_as_citus_would() {
    let tenant = tenant_tables();
    let bad = |sql: &str| examine(sql, &tenant).unwrap().unwrap();
    assert!(bad("SELECT name FROM customers WHERE org_id = $1 AND id = $2").is_empty());
    assert_eq!(bad("UPDATE orders SET paid = $1 WHERE id = $2"), ["orders"]);
    assert!(bad("UPDATE orders SET paid = $1 WHERE org_id = $3 AND id = $2").is_empty());
    assert_eq!(
        bad("SELECT c.name FROM customers c JOIN users u ON u.id = c.owner_id WHERE c.org_id = $1"),
        ["users u"],
        "a join between tenant tables needs the organization on both sides"
    );
    assert!(bad(
        "SELECT c.name FROM customers c JOIN users u ON u.id = c.owner_id AND u.org_id = c.org_id \
         WHERE c.org_id = $1"
    )
    .is_empty());
    assert_eq!(
        bad("SELECT id FROM customers c WHERE c.org_id = $1 AND EXISTS \
             (SELECT 1 FROM activities a WHERE a.customer_id = c.id)"),
        ["activities a"],
        "a correlated subquery is a scope of its own"
    );
    assert_eq!(
        bad("SELECT id FROM customers WHERE org_id = $1 OR id = $2"),
        ["customers"],
        "an OR does not pin"
    );
    assert_eq!(
        bad("INSERT INTO contacts (customer_id, name) VALUES ($1, $2)"),
        ["contacts (insert without org_id)"]
    );
    assert!(bad(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM users WHERE org_id = $1 AND id = $2 \
         UNION ALL SELECT u.id FROM users u JOIN sub ON u.superior_id = sub.id \
         WHERE u.org_id = $1) SELECT COUNT(*) FROM sub"
    )
    .is_empty());
    assert_eq!(
        bad("DELETE FROM contacts WHERE customer_id = $1"),
        ["contacts"]
    );
    assert!(examine("SELECT 1", &tenant).unwrap().is_none());
    assert_eq!(
        normalized("UPDATE customers SET a = 'x' -- note\n  WHERE b = 10"),
        normalized("update customers set a = $1 where b = $2")
    );
    assert!(
        migrations().contains(&normalized(
            "UPDATE customers SET last_activity_at = COALESCE((SELECT MAX(a.occurred_at) FROM activities a"
        )),
        "a backfill from a migration file is recognised"
    );
    assert_eq!(
        normalized("COALESCE(reached, -1), n - 1"),
        normalized("COALESCE(reached, $1), n - $2"),
        "a negative constant is one literal, a subtraction is not"
    );
}

#[test]
#[ignore = "reads what the whole suite ran on PostgreSQL; scripts/test.sh runs it last"]
fn every_statement_on_a_tenant_table_names_its_organization() {
    let base = std::env::var("YINGPAN_TEST_PG_URL")
        .expect("YINGPAN_TEST_PG_URL: the PostgreSQL server the suite ran on");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&format!("{base}/postgres"))
            .await
            .unwrap();
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&admin)
            .await
            .unwrap();
        // Only what the app sent: the tests' own checks on stored rows run as another role.
        let app = std::env::var("YINGPAN_TEST_PG_APP_URL")
            .expect("YINGPAN_TEST_PG_APP_URL: the role the app under test connected as");
        let role = app
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('@').next())
            .and_then(|user| user.split(':').next())
            .expect("a user in YINGPAN_TEST_PG_APP_URL")
            .to_string();
        let seen: Vec<(String,)> = sqlx::query_as(
            "SELECT query FROM pg_stat_statements \
             WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        )
        .bind(role)
        .fetch_all(&admin)
        .await
        .expect(
            "pg_stat_statements must be loaded (shared_preload_libraries), as scripts/test.sh does",
        );
        let evicted: Option<i64> =
            sqlx::query_scalar("SELECT dealloc FROM pg_stat_statements_info")
                .fetch_optional(&admin)
                .await
                .unwrap();

        // The tenant tables are those of a freshly migrated database that carry org_id.
        let name = format!("yp_tenancy_{}", std::process::id());
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&admin)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        let url = format!("{base}/{name}");
        let store = yingpan_store::Store::connect(&url).await.unwrap();
        drop(store);
        let fresh = sqlx::AnyPool::connect(&url).await.unwrap();
        let tenant: BTreeSet<String> = sqlx::query_scalar::<_, String>(
            "SELECT table_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name = 'org_id'",
        )
        .fetch_all(&fresh)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| !REFERENCE.contains(&t.as_str()))
        .collect();
        fresh.close().await;
        sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .execute(&admin)
            .await
            .unwrap();
        assert!(tenant.len() > 40, "tenant tables found: {tenant:?}");

        let mut checked = 0;
        let mut exempt: BTreeMap<String, usize> = BTreeMap::new();
        let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut unreadable = Vec::new();
        let distinct: BTreeSet<String> = seen.into_iter().map(|(q,)| q).collect();
        let migrations = migrations();
        for sql in &distinct {
            if migrations.contains(&normalized(sql)) {
                *exempt.entry("migration file".to_string()).or_default() += 1;
                continue;
            }
            if let Some(at) = sql.find(ACROSS) {
                let job = sql[at + ACROSS.len()..]
                    .split("*/")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                *exempt.entry(job).or_default() += 1;
                continue;
            }
            match examine(sql, &tenant) {
                Ok(None) => {}
                Ok(Some(problems)) => {
                    checked += 1;
                    if !problems.is_empty() {
                        wrong.insert(sql.clone(), problems);
                    }
                }
                Err(e) => unreadable.push(format!("{e}: {sql}")),
            }
        }
        println!(
            "{} distinct statements, {checked} on tenant tables; exempt by name: {exempt:?}; \
             evicted by pg_stat_statements: {evicted:?}",
            distinct.len()
        );
        assert!(
            checked >= 300,
            "only {checked} statements on tenant tables were recorded: run the whole suite on \
             PostgreSQL first (scripts/test.sh)"
        );
        assert!(
            unreadable.is_empty(),
            "statements the checker cannot read:\n{}",
            unreadable.join("\n")
        );
        let report: Vec<String> = wrong
            .iter()
            .map(|(sql, tables)| format!("- {} — {sql}", tables.join(", ")))
            .collect();
        assert!(
            wrong.is_empty(),
            "{} statements touch a tenant table without its org_id:\n{}",
            wrong.len(),
            report.join("\n")
        );
    });
}
