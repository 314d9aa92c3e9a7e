//! `policies/`: the declared RLS settings, policies, triggers and their functions, and converging
//! the live database to them in one transaction.
//!
//! How: PostgreSQL reads the declarations, strata compares catalogs. Inside one transaction,
//! strata takes a catalog snapshot (the shared `catalog::introspect_in_transaction`), then in a
//! savepoint drops each declared policy (and each declared plain `CREATE TRIGGER`) if it exists
//! and runs the files in name order, optionally drops the undeclared policies and triggers of the
//! managed tables (`--prune`), and takes a second snapshot. The difference between the two
//! snapshots, restricted to RLS flags, policies, triggers and functions, is the plan. With no
//! difference (or `--dry-run`) the transaction is rolled back, so a converged database is not
//! touched; otherwise it commits, atomically.
//!
//! Why not parse the declarations into a model: PostgreSQL's own parser and deparsers make
//! "declared" and "live" print identically, the same reason the diff builds a shadow database.
//! Must not: introspect on its own (it uses `catalog`) or print.

use crate::catalog::{self, Catalog};
use crate::db::{self, DbError, PgFailure};
use crate::project::{ProjectError, SourceFile};
use crate::sql::{self, Token, TokenKind};
use sqlx::postgres::PgConnection;
use std::collections::BTreeSet;
use std::path::Path;

/// One change the convergence makes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyChange {
    pub kind: PolicyObject,
    pub object: String,
    pub change: PolicyAction,
}

/// What kind of object a convergence changes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum PolicyObject {
    /// A table's RLS flags.
    Rls,
    Policy,
    Trigger,
    Function,
}

/// What a convergence does to an object.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, strum::Display, strum::EnumString,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum PolicyAction {
    Create,
    Replace,
    Drop,
    Enable,
    Disable,
    Force,
    NoForce,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ConvergeReport {
    pub files: usize,
    pub changes: Vec<PolicyChange>,
    pub applied: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{} problem(s) in policies/", .0.len())]
    Files(Vec<ProjectError>),
    #[error("{} failed", .file.display)]
    Statement {
        file: SourceFile,
        offset: Option<usize>,
        failure: PgFailure,
    },
}

/// The `policies/*.sql` files in name order (none when the folder is absent).
pub fn load(root: &Path, dir: &Path) -> Result<Vec<SourceFile>, PolicyError> {
    let mut errors = Vec::new();
    let paths = crate::project::list_sql(root, dir, &mut errors);
    let mut files = Vec::new();
    for p in paths {
        match SourceFile::read(root, &p) {
            Ok(f) => files.push(f),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(PolicyError::Files(errors))
    }
}

/// What a declaration statement creates, as written (names not yet resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    Policy {
        name: String,
        table: String,
    },
    /// A plain `CREATE TRIGGER` (not `OR REPLACE`), which fails when the trigger exists.
    Trigger {
        name: String,
        table: String,
        replace: bool,
    },
    Other,
}

fn significant(stmt: &str) -> Vec<Token> {
    sql::tokens(stmt)
        .filter_map(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .collect()
}

fn word(stmt: &str, t: &Token) -> Option<String> {
    (t.kind == TokenKind::Word).then(|| stmt[t.start..t.end].to_ascii_uppercase())
}

/// A possibly qualified name starting at token `i`: its text as written and the next index.
fn name_at(stmt: &str, toks: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut text = String::new();
    loop {
        let t = toks.get(i)?;
        if !matches!(t.kind, TokenKind::Word | TokenKind::QuotedIdent) {
            return None;
        }
        text.push_str(&stmt[t.start..t.end]);
        i += 1;
        match toks.get(i) {
            Some(dot) if dot.kind == TokenKind::Other && &stmt[dot.start..dot.end] == "." => {
                text.push('.');
                i += 1;
            }
            _ => return Some((text, i)),
        }
    }
}

/// Recognises `CREATE POLICY name ON table` and `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER name
/// … ON table`.
pub fn classify(stmt: &str) -> Declared {
    let toks = significant(stmt);
    let w = |i: usize| toks.get(i).and_then(|t| word(stmt, t));
    if w(0).as_deref() != Some("CREATE") {
        return Declared::Other;
    }
    let mut i = 1;
    let mut replace = false;
    if w(1).as_deref() == Some("OR") && w(2).as_deref() == Some("REPLACE") {
        replace = true;
        i = 3;
    }
    if w(i).as_deref() == Some("CONSTRAINT") {
        i += 1;
    }
    match w(i).as_deref() {
        Some("POLICY") => {
            let Some((name, next)) = name_at(stmt, &toks, i + 1) else {
                return Declared::Other;
            };
            if w(next).as_deref() != Some("ON") {
                return Declared::Other;
            }
            match name_at(stmt, &toks, next + 1) {
                Some((table, _)) => Declared::Policy { name, table },
                None => Declared::Other,
            }
        }
        Some("TRIGGER") => {
            let Some((name, mut j)) = name_at(stmt, &toks, i + 1) else {
                return Declared::Other;
            };
            // the first ON at parenthesis depth 0 after the events introduces the table
            let mut depth = 0usize;
            while let Some(t) = toks.get(j) {
                match t.kind {
                    TokenKind::OpenParen => depth += 1,
                    TokenKind::CloseParen => depth = depth.saturating_sub(1),
                    _ => {}
                }
                if depth == 0 && word(stmt, t).as_deref() == Some("ON") {
                    return match name_at(stmt, &toks, j + 1) {
                        Some((table, _)) => Declared::Trigger {
                            name,
                            table,
                            replace,
                        },
                        None => Declared::Other,
                    };
                }
                j += 1;
            }
            Declared::Other
        }
        _ => Declared::Other,
    }
}

/// Unquotes an identifier as PostgreSQL would read it (`"A"` → `A`, `Ab` → `ab`).
fn ident_value(text: &str) -> String {
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        inner.replace("\"\"", "\"")
    } else {
        text.to_lowercase()
    }
}

async fn run(conn: &mut PgConnection, sql_text: &str, what: &str) -> Result<(), DbError> {
    db::execute_script(conn, sql_text)
        .await
        .map(|_| ())
        .map_err(|e| DbError::query(what.to_string(), &e))
}

/// The run lock a convergence takes for its transaction: the key and how long to wait.
#[derive(Debug, Clone, Copy)]
pub struct RunLock {
    pub key: i64,
    pub wait: std::time::Duration,
}

/// How a convergence runs: `prune` drops managed objects no file declares; `dry_run` rolls
/// back; with `lock`, the transaction takes the run lock first (see `db::lock`); `prelude`
/// runs next inside the same transaction (a dry run's auth shim, so that the plan sees what the
/// real run would have installed, and the rollback removes it again).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConvergeMode<'a> {
    pub prune: bool,
    pub dry_run: bool,
    pub lock: Option<RunLock>,
    pub prelude: Option<&'a str>,
}

/// Converges the live database to `files`. `schemas` are the managed schemas.
pub async fn converge(
    conn: &mut PgConnection,
    files: &[SourceFile],
    schemas: &[String],
    exclude: &[String],
    mode: ConvergeMode<'_>,
) -> Result<ConvergeReport, PolicyError> {
    // Split everything first: a broken file is reported before anything runs.
    split_all(files)?;
    run(conn, "BEGIN", "starting the policies transaction").await?;
    let result = async {
        if let Some(l) = mode.lock {
            db::lock(conn, l.key, l.wait, |_| {}).await?;
        }
        if let Some(sql_text) = mode.prelude {
            run(conn, sql_text, "preparing the dry run").await?;
        }
        converge_in_transaction(conn, files, schemas, exclude, mode.prune).await
    }
    .await;
    match result {
        Ok(changes) => {
            let apply = !mode.dry_run && !changes.is_empty();
            let end = if apply { "COMMIT" } else { "ROLLBACK" };
            run(conn, end, "ending the policies transaction").await?;
            Ok(ConvergeReport {
                files: files.len(),
                changes,
                applied: apply,
            })
        }
        Err(e) => {
            let _ = db::execute_script(conn, "ROLLBACK").await;
            Err(e)
        }
    }
}

/// What the files declared, as (table key, name) pairs.
#[derive(Debug, Default)]
pub struct DeclaredNames {
    pub policies: BTreeSet<(String, String)>,
    pub triggers: BTreeSet<(String, String)>,
}

/// Checks what can be checked of the files without a database (every broken one reported).
pub fn check(files: &[SourceFile]) -> Result<(), PolicyError> {
    split_all(files).map(|_| ())
}

/// Splits the files (reporting every broken one before anything runs).
fn split_all(files: &[SourceFile]) -> Result<Vec<Vec<sql::Span>>, PolicyError> {
    let mut split = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        let d = crate::project::Directives {
            transactional: true,
            ..Default::default()
        };
        match crate::project::analyze(f, &d) {
            Ok(spans) => split.push(spans),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(split)
    } else {
        Err(PolicyError::Files(errors))
    }
}

/// Runs the declarations inside the caller's transaction: each declared policy (and plain
/// `CREATE TRIGGER`) is dropped first if it exists, so declaring is idempotent. Used by
/// `converge` on the live database and by the shadow database, so both read `policies/` the
/// same way.
pub async fn apply_files(
    conn: &mut PgConnection,
    files: &[SourceFile],
) -> Result<DeclaredNames, PolicyError> {
    let split = split_all(files)?;
    let mut declared = DeclaredNames::default();
    for (file, spans) in files.iter().zip(&split) {
        for span in spans {
            let stmt = &file.text[span.start..span.end];
            let (kind, name, table, drop_first) = match classify(stmt) {
                Declared::Policy { name, table } => ("POLICY", name, table, true),
                Declared::Trigger {
                    name,
                    table,
                    replace,
                } => ("TRIGGER", name, table, !replace),
                Declared::Other => {
                    exec_declaration(conn, file, span, stmt).await?;
                    continue;
                }
            };
            let key = resolve_table(conn, &table).await?;
            // IF EXISTS on a table that does not exist still fails: let the CREATE report it.
            if drop_first && key.is_some() {
                let drop = format!("DROP {kind} IF EXISTS {name} ON {table}");
                exec_declaration(conn, file, span, &drop).await?;
            }
            exec_declaration(conn, file, span, stmt).await?;
            let key = match key {
                Some(k) => k,
                None => resolve_table(conn, &table).await?.unwrap_or(table),
            };
            let set = if kind == "POLICY" {
                &mut declared.policies
            } else {
                &mut declared.triggers
            };
            set.insert((key, ident_value(&name)));
        }
    }
    Ok(declared)
}

async fn converge_in_transaction(
    conn: &mut PgConnection,
    files: &[SourceFile],
    schemas: &[String],
    exclude: &[String],
    prune: bool,
) -> Result<Vec<PolicyChange>, PolicyError> {
    let before = catalog::introspect_in_transaction(conn, schemas, exclude).await?;
    run(conn, "SAVEPOINT strata_policies", "savepoint").await?;
    let declared = apply_files(conn, files).await?;
    let declared_policies = declared.policies;
    let declared_triggers = declared.triggers;
    if prune {
        let mid = catalog::introspect_in_transaction(conn, schemas, exclude).await?;
        let mut drops = String::new();
        for p in mid.policies.values() {
            if !declared_policies.contains(&(p.table.clone(), p.name.clone())) {
                drops.push_str(&format!(
                    "DROP POLICY {} ON {};\n",
                    sql::quote_ident(&p.name),
                    p.table
                ));
            }
        }
        for t in mid.triggers.values() {
            if !t.constraint_trigger
                && !declared_triggers.contains(&(t.table.clone(), t.name.clone()))
            {
                drops.push_str(&format!(
                    "DROP TRIGGER {} ON {};\n",
                    sql::quote_ident(&t.name),
                    t.table
                ));
            }
        }
        if !drops.is_empty() {
            run(conn, &drops, "pruning undeclared policies and triggers").await?;
        }
    }
    let after = catalog::introspect_in_transaction(conn, schemas, exclude).await?;
    let changes = compare(&before, &after);
    if changes.is_empty() {
        // Leave the live objects exactly as they were (same oids, no new catalog rows).
        run(conn, "ROLLBACK TO SAVEPOINT strata_policies", "savepoint").await?;
    }
    Ok(changes)
}

async fn exec_declaration(
    conn: &mut PgConnection,
    file: &SourceFile,
    span: &sql::Span,
    stmt: &str,
) -> Result<(), PolicyError> {
    match db::execute_script(conn, stmt).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let failure = PgFailure::from_sqlx(&e);
            if failure.code.is_empty() || db::connection_lost(&e) {
                return Err(DbError::query(format!("running {}", file.display), &e).into());
            }
            let here = &file.text[span.start..span.end];
            let offset = match failure.position {
                // positions refer to what was sent; only map them when that was the file's text
                Some(p) if here == stmt => span.start + sql::char_pos_to_byte(stmt, p),
                _ => span.start,
            };
            Err(PolicyError::Statement {
                file: file.clone(),
                offset: Some(offset),
                failure,
            })
        }
    }
}

async fn resolve_table(conn: &mut PgConnection, table: &str) -> Result<Option<String>, DbError> {
    sqlx::query_scalar::<_, Option<String>>(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.oid = to_regclass($1)",
    )
    .bind(table)
    .fetch_optional(&mut *conn)
    .await
    .map(Option::flatten)
    .map_err(|e| DbError::query(format!("resolving table {table}"), &e))
}

/// The policy-relevant differences between two catalogs: RLS flags, policies, triggers, functions.
pub fn compare(before: &Catalog, after: &Catalog) -> Vec<PolicyChange> {
    let mut out = Vec::new();
    let ch = |kind: PolicyObject, object: &str, change: PolicyAction| PolicyChange {
        kind,
        object: object.into(),
        change,
    };
    for (key, t) in &after.tables {
        let Some(b) = before.tables.get(key) else {
            continue;
        };
        if b.rls_enabled != t.rls_enabled {
            out.push(ch(
                PolicyObject::Rls,
                key,
                if t.rls_enabled {
                    PolicyAction::Enable
                } else {
                    PolicyAction::Disable
                },
            ));
        }
        if b.rls_forced != t.rls_forced {
            out.push(ch(
                PolicyObject::Rls,
                key,
                if t.rls_forced {
                    PolicyAction::Force
                } else {
                    PolicyAction::NoForce
                },
            ));
        }
    }
    diff_map(
        &mut out,
        PolicyObject::Policy,
        &before.policies,
        &after.policies,
        |p| format!("{} on {}", p.name, p.table),
    );
    diff_map(
        &mut out,
        PolicyObject::Trigger,
        &before.triggers,
        &after.triggers,
        |t| format!("{} on {}", t.name, t.table),
    );
    diff_map(
        &mut out,
        PolicyObject::Function,
        &before.functions,
        &after.functions,
        |f| format!("{}.{}({})", f.schema, f.name, f.identity_arguments),
    );
    out
}

fn diff_map<T: PartialEq>(
    out: &mut Vec<PolicyChange>,
    kind: PolicyObject,
    before: &std::collections::BTreeMap<String, T>,
    after: &std::collections::BTreeMap<String, T>,
    label: impl Fn(&T) -> String,
) {
    for (k, a) in after {
        match before.get(k) {
            None => out.push(PolicyChange {
                kind,
                object: label(a),
                change: PolicyAction::Create,
            }),
            Some(b) if b != a => out.push(PolicyChange {
                kind,
                object: label(a),
                change: PolicyAction::Replace,
            }),
            _ => {}
        }
    }
    for (k, b) in before {
        if !after.contains_key(k) {
            out.push(PolicyChange {
                kind,
                object: label(b),
                change: PolicyAction::Drop,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_declarations() {
        assert_eq!(
            classify("CREATE POLICY \"Own rows\" ON public.t FOR SELECT USING (true)"),
            Declared::Policy {
                name: "\"Own rows\"".into(),
                table: "public.t".into()
            }
        );
        assert_eq!(
            classify(
                "-- c\ncreate trigger trg before update on t for each row execute function f()"
            ),
            Declared::Trigger {
                name: "trg".into(),
                table: "t".into(),
                replace: false
            }
        );
        assert_eq!(
            classify("CREATE OR REPLACE TRIGGER trg AFTER INSERT OR UPDATE OF a ON s.t FOR EACH ROW EXECUTE FUNCTION f()"),
            Declared::Trigger {
                name: "trg".into(),
                table: "s.t".into(),
                replace: true
            }
        );
        assert_eq!(
            classify("ALTER TABLE t ENABLE ROW LEVEL SECURITY"),
            Declared::Other
        );
        assert_eq!(
            classify("CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql"),
            Declared::Other
        );
    }

    #[test]
    fn identifiers_fold_like_postgres() {
        assert_eq!(ident_value("Own"), "own");
        assert_eq!(ident_value("\"Own \"\"x\"\"\""), "Own \"x\"");
    }
}
