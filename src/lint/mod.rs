//! `strata lint`: judging migrations before they run, by running them on a shadow database and
//! watching what PostgreSQL does (SPEC section 7).
//!
//! Owns: [`observe`] (the shadow run and its SQL), [`facts`] (what was seen), [`rules`] (one
//! finding kind per file, pure functions of the facts), [`allow`] (`-- strata:allow`), and the
//! typed outcome that `report::lint` renders. Must not: print, touch the live database (it only
//! reads history to know what is pending, and that is the caller's job), or guess from the SQL
//! text what running it shows.
//!
//! Why it is shaped so: a text linter has to guess whether `ALTER TABLE … ALTER COLUMN … TYPE`
//! rewrites the table, whether a DEFAULT is volatile, whether the table an index is built on
//! is new. PostgreSQL knows: the shadow shows the lock each statement took (`pg_locks`), new
//! storage (`relfilenode`), the rows it scanned (`pg_stat_xact_*`) and every catalog row it
//! wrote. The rules decide from those facts, so they are exact where a text linter is noisy,
//! and they are unit-tested on facts written by hand.

pub mod allow;
pub mod facts;
pub mod observe;
pub mod rules;
pub mod statement;

pub use observe::{observe, Observed, Plan};
pub use rules::{Finding, RuleId, Severity};

use crate::config::{AuthModel, Config};
use crate::project::{Migration, ProjectError, SourceFile};
use crate::sql::{self, LineIndex, TokenKind};
use facts::{LockMode, MigrationFacts};
use serde::Serialize;
use std::collections::BTreeSet;

/// What the rules need from `strata.toml` and `policies/`.
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    /// `[database] schemas`: schemas an API exposes.
    pub exposed_schemas: Vec<String>,
    /// `anon`, `authenticated` under `supabase`; the configured role under `setting`.
    pub api_roles: Vec<String>,
    /// `anon` under `supabase`.
    pub anon_role: Option<String>,
    /// `[database] lock_timeout`.
    pub lock_timeout: Option<String>,
    /// Tables (`schema.name`) whose row-level security `policies/` enables.
    pub rls_from_policies: BTreeSet<String>,
}

impl LintConfig {
    pub fn from_config(cfg: &Config, policies: &[SourceFile]) -> LintConfig {
        let (api_roles, anon_role) = match cfg.auth.model {
            AuthModel::Supabase => (
                vec!["anon".to_string(), "authenticated".to_string()],
                Some("anon".to_string()),
            ),
            AuthModel::Setting => (cfg.auth.role.iter().cloned().collect(), None),
        };
        LintConfig {
            exposed_schemas: cfg.database.schemas.clone(),
            api_roles,
            anon_role,
            lock_timeout: cfg.database.lock_timeout.clone(),
            rls_from_policies: rls_enabled_tables(policies),
        }
    }
}

/// Tables that `ALTER TABLE [ONLY] [IF EXISTS] name ENABLE|FORCE ROW LEVEL SECURITY` in these
/// files turns row-level security on for, as `schema.name` (unqualified names are taken to be
/// in `public`, the default search_path).
pub fn rls_enabled_tables(files: &[SourceFile]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in files {
        for span in sql::split(&f.text).unwrap_or_default() {
            let stmt = f.text.get(span.start..span.end).unwrap_or("");
            if let Some(name) = rls_enabled_table(stmt) {
                out.insert(name);
            }
        }
    }
    out
}

fn rls_enabled_table(stmt: &str) -> Option<String> {
    let toks: Vec<(TokenKind, &str)> = sql::tokens(stmt)
        .map_while(Result::ok)
        .filter(|t| !matches!(t.kind, TokenKind::LineComment | TokenKind::BlockComment))
        .map(|t| (t.kind, stmt.get(t.start..t.end).unwrap_or("")))
        .collect();
    let is = |i: usize, w: &str| {
        toks.get(i)
            .is_some_and(|(k, t)| *k == TokenKind::Word && t.eq_ignore_ascii_case(w))
    };
    if !(is(0, "alter") && is(1, "table")) {
        return None;
    }
    let mut i = 2;
    if is(i, "if") && is(i + 1, "exists") {
        i += 2;
    }
    if is(i, "only") {
        i += 1;
    }
    let part = |t: &(TokenKind, &str)| match t.0 {
        TokenKind::QuotedIdent => Some(t.1.trim_matches('"').replace("\"\"", "\"")),
        TokenKind::Word => Some(t.1.to_ascii_lowercase()),
        _ => None,
    };
    let first = part(toks.get(i)?)?;
    let (schema, name, next) = if toks.get(i + 1).is_some_and(|t| t.1 == ".") {
        (first, part(toks.get(i + 2)?)?, i + 3)
    } else {
        ("public".to_string(), first, i + 1)
    };
    let enables = (is(next, "enable") || is(next, "force"))
        && is(next + 1, "row")
        && is(next + 2, "level")
        && is(next + 3, "security");
    enables.then(|| format!("{}.{}", sql::quote_ident(&schema), sql::quote_ident(&name)))
}

/// A finding as reported: located by line and column, with the allow that silenced it.
#[derive(Debug, Clone, Serialize)]
pub struct LintFinding {
    pub rule: RuleId,
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub message: String,
    pub fix: String,
    /// The reason given by the `-- strata:allow` that silenced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<String>,
    /// Byte offset in the file (for the source excerpt).
    #[serde(skip)]
    pub offset: usize,
}

impl LintFinding {
    /// An error nobody allowed: it fails the run.
    pub fn fails(&self) -> bool {
        self.severity == Severity::Error && self.allowed.is_none()
    }
}

/// A lock one statement took on a relation that existed before the migration.
#[derive(Debug, Clone, Serialize)]
pub struct ObservedLock {
    pub relation: String,
    pub mode: String,
}

/// What one statement did to relations that existed before the migration (shown with `-v`).
#[derive(Debug, Clone, Serialize)]
pub struct ObservedStatement {
    pub line: usize,
    pub statement: String,
    pub locks: Vec<ObservedLock>,
    pub rewritten: Vec<String>,
    pub scanned: Vec<String>,
}

/// The size on the shadow of a table the migration locked.
#[derive(Debug, Clone, Serialize)]
pub struct ShadowSize {
    pub table: String,
    pub bytes: i64,
}

/// Whether a migration was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LintStatus {
    /// Ran on the shadow and judged.
    Linted,
    /// Not run: an earlier migration failed on the shadow.
    NotRun,
}

/// One migration's result.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationLint {
    pub version: String,
    pub name: String,
    pub file: String,
    pub status: LintStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    pub findings: Vec<LintFinding>,
    pub statements: Vec<ObservedStatement>,
    pub shadow_sizes: Vec<ShadowSize>,
    /// The file's text (for source excerpts).
    #[serde(skip)]
    pub text: String,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub migrations: usize,
    pub errors: usize,
    pub warnings: usize,
    pub allowed: usize,
    pub not_run: usize,
}

/// What `strata lint` found.
#[derive(Debug, Clone, Serialize)]
pub struct LintOutcome {
    pub migrations: Vec<MigrationLint>,
    pub summary: Summary,
    /// How long each phase took (shown with `-v`).
    #[serde(skip)]
    pub timings: observe::Timings,
}

impl LintOutcome {
    pub fn new(migrations: Vec<MigrationLint>) -> LintOutcome {
        let mut summary = Summary {
            migrations: migrations.len(),
            ..Summary::default()
        };
        for m in &migrations {
            if m.status == LintStatus::NotRun {
                summary.not_run += 1;
            }
            for f in &m.findings {
                match (f.allowed.is_some(), f.severity) {
                    (true, _) => summary.allowed += 1,
                    (false, Severity::Error) => summary.errors += 1,
                    (false, Severity::Warning) => summary.warnings += 1,
                }
            }
        }
        LintOutcome {
            migrations,
            summary,
            timings: Vec::new(),
        }
    }

    /// An error-severity finding nobody allowed, or a migration that could not be judged.
    pub fn failed(&self) -> bool {
        self.summary.errors > 0 || self.summary.not_run > 0
    }
}

fn locate(migration: &Migration, index: &LineIndex, offset: usize) -> (usize, usize) {
    index.line_col(&migration.file.text, offset)
}

/// Lints `targets` (versions of `project`'s migrations) on a shadow built on `server`: files
/// that cannot run are reported from their problems, the others are run and judged.
pub async fn lint_migrations(
    server: &crate::config::ConnInfo,
    plan: &Plan<'_>,
    cfg: &LintConfig,
) -> Result<LintOutcome, crate::shadow::ShadowError> {
    let mut timings = Vec::new();
    let mut o = lint_timed(server, plan, cfg, &mut timings).await?;
    o.timings = timings;
    Ok(o)
}

async fn lint_timed(
    server: &crate::config::ConnInfo,
    plan: &Plan<'_>,
    cfg: &LintConfig,
    timings: &mut observe::Timings,
) -> Result<LintOutcome, crate::shadow::ShadowError> {
    let mut runnable = Vec::new();
    let mut reports: Vec<(crate::project::Version, MigrationLint)> = Vec::new();
    for v in plan.targets {
        let Some(m) = plan.project.get(*v) else {
            continue;
        };
        match crate::project::analyze(&m.file, &m.directives) {
            Ok(_) => runnable.push(*v),
            Err(problems) => reports.push((*v, file_problems(m, &problems))),
        }
    }
    let observed = observe(
        server,
        &Plan {
            targets: &runnable,
            ..*plan
        },
        timings,
    )
    .await?;
    for (v, o) in observed {
        let Some(m) = plan.project.get(v) else {
            continue;
        };
        reports.push((
            v,
            match o {
                Observed::Ran(facts) => judge(m, &facts, cfg),
                Observed::NotRun { blocked_by } => not_run(m, &blocked_by),
            },
        ));
    }
    reports.sort_by_key(|(v, _)| *v);
    Ok(LintOutcome::new(
        reports.into_iter().map(|(_, r)| r).collect(),
    ))
}

/// Judges one migration from its observed facts: every rule, then the allows.
pub fn judge(migration: &Migration, facts: &MigrationFacts, cfg: &LintConfig) -> MigrationLint {
    let lock_timeout = migration
        .directives
        .lock_timeout
        .as_deref()
        .or(cfg.lock_timeout.as_deref());
    let cx = rules::Context::new(
        &migration.file,
        facts,
        &cfg.exposed_schemas,
        &cfg.api_roles,
        cfg.anon_role.as_deref(),
        lock_timeout,
        &cfg.rls_from_policies,
    );
    let found = rules::check(&cx);
    let spans = sql::split(&migration.file.text).unwrap_or_default();
    let allows = allow::parse(&migration.file.text, &spans);
    let ran = facts.statements.len() + usize::from(facts.failure.is_some());
    let judged = allow::apply(found, &allows, ran);
    let index = LineIndex::new(&migration.file.text);
    let findings = judged
        .into_iter()
        .map(|(f, allowed)| {
            let (line, column) = locate(migration, &index, f.offset);
            LintFinding {
                rule: f.rule,
                severity: f.severity,
                file: migration.file.display.clone(),
                line,
                column,
                object: f.object,
                message: f.message,
                fix: f.fix,
                allowed,
                offset: f.offset,
            }
        })
        .collect();
    MigrationLint {
        version: migration.version.to_string(),
        name: migration.name.clone(),
        file: migration.file.display.clone(),
        status: LintStatus::Linted,
        blocked_by: None,
        findings,
        statements: observed_statements(migration, facts, &index),
        shadow_sizes: facts
            .sizes
            .iter()
            .map(|(oid, bytes)| ShadowSize {
                table: facts.name(*oid),
                bytes: *bytes,
            })
            .collect(),
        text: migration.file.text.clone(),
    }
}

/// A migration that could not run because an earlier one failed on the shadow.
pub fn not_run(migration: &Migration, blocked_by: &str) -> MigrationLint {
    MigrationLint {
        version: migration.version.to_string(),
        name: migration.name.clone(),
        file: migration.file.display.clone(),
        status: LintStatus::NotRun,
        blocked_by: Some(blocked_by.to_string()),
        findings: Vec::new(),
        statements: Vec::new(),
        shadow_sizes: Vec::new(),
        text: migration.file.text.clone(),
    }
}

/// A migration whose file has problems found before running it (syntax, directives): each is a
/// `migration-fails` finding.
pub fn file_problems(migration: &Migration, problems: &[ProjectError]) -> MigrationLint {
    let index = LineIndex::new(&migration.file.text);
    let findings = problems
        .iter()
        .map(|p| {
            let (line, column) = match p {
                ProjectError::Syntax { line, col, .. }
                | ProjectError::NeedsNoTransaction { line, col, .. }
                | ProjectError::TransactionControl { line, col, .. } => (*line, *col),
                ProjectError::UnknownDirective { line, .. }
                | ProjectError::BadDirective { line, .. }
                | ProjectError::DirectiveAfterSql { line, .. } => (*line, 1),
                _ => (1, 1),
            };
            let (start, _) = index.line_range(&migration.file.text, line);
            let offset = migration.file.text[start..]
                .char_indices()
                .nth(column.saturating_sub(1))
                .map_or(migration.file.text.len(), |(i, _)| start + i);
            let text = p.to_string();
            let message = text
                .split_once(": ")
                .filter(|(head, _)| head.starts_with(&migration.file.display))
                .map_or(text.clone(), |(_, rest)| rest.to_string());
            LintFinding {
                rule: RuleId::MigrationFails,
                severity: Severity::Error,
                file: migration.file.display.clone(),
                line,
                column,
                object: None,
                message: format!("cannot run: {message}"),
                fix: "fix the file (`strata check` lists every problem)".to_string(),
                allowed: None,
                offset,
            }
        })
        .collect();
    MigrationLint {
        version: migration.version.to_string(),
        name: migration.name.clone(),
        file: migration.file.display.clone(),
        status: LintStatus::Linted,
        blocked_by: None,
        findings,
        statements: Vec::new(),
        shadow_sizes: Vec::new(),
        text: migration.file.text.clone(),
    }
}

fn observed_statements(
    migration: &Migration,
    facts: &MigrationFacts,
    index: &LineIndex,
) -> Vec<ObservedStatement> {
    let text = &migration.file.text;
    facts
        .statements
        .iter()
        .map(|s| {
            let mut locks: Vec<ObservedLock> = s
                .locks_taken
                .iter()
                .filter(|l| facts.existed(l.relation) && l.mode > LockMode::AccessShareLock)
                .filter(|l| facts.kind(l.relation).is_some_and(|k| !k.is_index()))
                .map(|l| ObservedLock {
                    relation: facts.name(l.relation),
                    mode: l.mode.as_sql().to_string(),
                })
                .collect();
            locks.sort_by(|a, b| a.relation.cmp(&b.relation));
            ObservedStatement {
                line: index.line_col(text, s.span.start).0,
                statement: rules::one_line(text.get(s.span.start..s.span.end).unwrap_or(""), 80),
                locks,
                rewritten: s
                    .rewritten()
                    .filter(|(b, _)| facts.existed(b.oid) && b.kind.has_rows())
                    .map(|(b, _)| b.qualified())
                    .collect(),
                scanned: s
                    .scans
                    .iter()
                    .filter(|x| x.seq > 0 && facts.existed(x.relation))
                    .map(|x| facts.name(x.relation))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::Checksum;

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "policies/x.sql".into(),
            display: "policies/x.sql".into(),
            text: text.into(),
            checksum: Checksum::of(text.as_bytes()),
        }
    }

    #[test]
    fn policies_that_enable_rls_are_found() {
        let set = rls_enabled_tables(&[file(
            "ALTER TABLE notes ENABLE ROW LEVEL SECURITY;\n\
             alter table if exists only app.\"Jobs\" force row level security;\n\
             ALTER TABLE other DISABLE ROW LEVEL SECURITY;\n\
             CREATE POLICY p ON notes USING (true);",
        )]);
        let names: Vec<&str> = set.iter().map(String::as_str).collect();
        assert_eq!(names, vec!["app.\"Jobs\"", "public.notes"]);
    }

    #[test]
    fn outcome_fails_on_unallowed_errors_only() {
        let finding = |severity, allowed: Option<&str>| LintFinding {
            rule: RuleId::TableDropped,
            severity,
            file: "f".into(),
            line: 1,
            column: 1,
            object: None,
            message: "m".into(),
            fix: "x".into(),
            allowed: allowed.map(str::to_string),
            offset: 0,
        };
        let m = |findings| MigrationLint {
            version: "1".into(),
            name: "a".into(),
            file: "f".into(),
            status: LintStatus::Linted,
            blocked_by: None,
            findings,
            statements: Vec::new(),
            shadow_sizes: Vec::new(),
            text: String::new(),
        };
        let ok = LintOutcome::new(vec![m(vec![
            finding(Severity::Error, Some("nobody reads it")),
            finding(Severity::Warning, None),
        ])]);
        assert!(!ok.failed());
        assert_eq!((ok.summary.allowed, ok.summary.warnings), (1, 1));
        let bad = LintOutcome::new(vec![m(vec![finding(Severity::Error, None)])]);
        assert!(bad.failed());
    }
}
