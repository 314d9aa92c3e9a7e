//! The one renderer for every error: `file:line:col`, a few source lines with a caret, then
//! PostgreSQL's message, detail, hint and context; the same error as a JSON object (with its
//! position as fields) and as a GitHub annotation.

use super::{Annotation, AnnotationLevel};
use crate::access::AccessError;
use crate::config::ConfigError;
use crate::db::{DbError, PgFailure};
use crate::engine::{Direction, EngineError, StatementFailure};
use crate::error::Error;
use crate::policy::PolicyError;
use crate::project::{ProjectError, SourceFile};
use crate::seed::SeedError;
use crate::sql::LineIndex;
use crate::validation::ValidationError;
use serde::Serialize;

/// A source excerpt with a caret under `offset`, preceded by `path:line:col`.
pub fn render_snippet(path: &str, text: &str, offset: usize) -> String {
    let index = LineIndex::new(text);
    let (line, col) = index.line_col(text, offset);
    let first = line.saturating_sub(2).max(1);
    let width = (line + 1).to_string().len();
    let mut out = format!("  --> {path}:{line}:{col}\n");
    out.push_str(&format!("{:width$} |\n", ""));
    for l in first..=line {
        let (s, e) = index.line_range(text, l);
        let content = text.get(s..e).unwrap_or("").trim_end_matches('\r');
        out.push_str(&format!(
            "{l:>width$} | {}\n",
            content.replace('\t', "    ")
        ));
    }
    let (s, _) = index.line_range(text, line);
    let prefix = text.get(s..offset.min(text.len())).unwrap_or("");
    let pad: usize = prefix.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
    out.push_str(&format!("{:width$} | {}^\n", "", " ".repeat(pad)));
    out
}

/// PostgreSQL's message, detail, hint and context, one per line.
pub fn render_pg_failure(f: &PgFailure) -> String {
    let mut out = if f.code.is_empty() {
        format!("error: {}\n", f.message)
    } else {
        format!("ERROR {}: {}\n", f.code, f.message)
    };
    if let Some(d) = &f.detail {
        out.push_str(&format!("  detail: {d}\n"));
    }
    if let Some(h) = &f.hint {
        out.push_str(&format!("  hint: {h}\n"));
    }
    if let (Some(q), Some(p)) = (&f.internal_query, f.internal_position) {
        out.push_str("  in the function body query:\n");
        out.push_str(&render_snippet(
            "(internal query)",
            q,
            crate::sql::char_pos_to_byte(q, p),
        ));
    }
    if let Some(c) = &f.context {
        for (i, l) in c.lines().enumerate() {
            out.push_str(if i == 0 { "  context: " } else { "           " });
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// A failed migration or rollback: where, the source, PostgreSQL's report, and what state the
/// database is in now.
pub(super) fn render_statement_failure(f: &StatementFailure) -> String {
    let what = match f.direction {
        Direction::Up => "migration",
        Direction::Down => "rollback of",
    };
    let mut out = format!("error: {what} {} ({}) failed\n", f.version, f.name);
    out.push_str(&located(&f.file, f.offset));
    out.push_str(&render_pg_failure(&f.failure));
    if f.transactional {
        out.push_str(&format!(
            "Nothing of {} was applied: it ran in one transaction, which was rolled back.\n",
            f.file.display
        ));
    } else {
        let (command, next) = match f.direction {
            Direction::Up => ("strata up", f.committed_statements + 1),
            Direction::Down => ("strata down", f.committed_statements + 1),
        };
        out.push_str(&format!(
            "{} ran without a transaction: its first {} statement(s) are committed, and it is recorded as failed at statement {next}. Fix statement {next} in the file (the statements before it must stay as they are) or the database, then `{command}` continues at statement {next}.\n",
            f.file.display, f.committed_statements
        ));
    }
    if !f.done_before.is_empty() {
        out.push_str(&format!(
            "Completed before it in this run: {}.\n",
            version_list(&f.done_before)
        ));
    }
    out
}

fn located(file: &SourceFile, offset: Option<usize>) -> String {
    match offset {
        Some(o) => render_snippet(&file.display, &file.text, o),
        None => format!("  --> {}\n", file.display),
    }
}

/// `1, 2, 3` or, for long lists, `1000 migrations (1 … 1000)`.
fn version_list(versions: &[crate::project::Version]) -> String {
    match versions {
        [first, .., last] if versions.len() > 10 => {
            format!("{} migrations ({first} … {last})", versions.len())
        }
        _ => versions
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn render_project_errors(errors: &[ProjectError]) -> String {
    let mut out = String::new();
    for e in errors {
        out.push_str(&format!("error: {e}\n"));
    }
    out
}

/// The one renderer for every error strata reports (text, on stderr).
pub fn render_error(e: &Error) -> String {
    match e {
        Error::Project(p) => render_project_errors(&p.0),
        Error::Engine(EngineError::Files(errors)) => render_project_errors(errors),
        Error::Engine(EngineError::Statement(f)) => render_statement_failure(f),
        Error::Engine(EngineError::Refused(r)) => format!("error: {r}\n"),
        Error::Refused(refusals) => {
            let mut out = String::new();
            for r in refusals {
                out.push_str(&format!("error: {r}\n"));
            }
            out.push_str("Nothing was run.\n");
            out
        }
        Error::Policy(PolicyError::Files(errors)) => render_project_errors(errors),
        Error::Policy(PolicyError::Statement {
            file,
            offset,
            failure,
        }) => {
            let mut out = format!("error: {} failed\n", file.display);
            out.push_str(&located(file, *offset));
            out.push_str(&render_pg_failure(failure));
            out.push_str("Nothing from policies/ was applied: it runs in one transaction, which was rolled back.\n");
            out
        }
        Error::Validation(v) => super::suite::render_validation_error(v),
        Error::Seed(s) => super::suite::render_seed_error(s),
        other => format!("error: {other}\n"),
    }
}

/// An error as data: `kind` (a stable kebab-case id), the message, and where it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorReport {
    pub kind: &'static str,
    pub exit_code: i32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Every problem, when the error is a list of them (file problems, refusals).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ErrorReport>,
}

impl ErrorReport {
    fn at(mut self, file: &SourceFile, offset: Option<usize>) -> Self {
        self.file = Some(file.display.clone());
        if let Some((l, c)) = offset.map(|o| file.line_col(o)) {
            self.line = Some(l);
            self.column = Some(c);
        }
        self
    }

    fn pg(mut self, f: &PgFailure) -> Self {
        self.sqlstate = Some(f.code.clone()).filter(|c| !c.is_empty());
        self.detail = f.detail.clone();
        self.hint = f.hint.clone();
        self
    }

    fn project(kind: &'static str, e: &ProjectError) -> Self {
        let (file, line, column) = e.location();
        ErrorReport {
            kind,
            message: e.message(),
            file: Some(file).filter(|f| !f.is_empty()),
            line,
            column,
            ..ErrorReport::default()
        }
    }

    fn problems(mut self, kind: &'static str, errors: &[ProjectError]) -> Self {
        self.problems = errors.iter().map(|e| Self::project(kind, e)).collect();
        if let Some(first) = self.problems.first() {
            self.file = first.file.clone();
            self.line = first.line;
            self.column = first.column;
        }
        self
    }
}

/// The stable id of an error's kind (JSON `error.kind`).
fn kind(e: &Error) -> &'static str {
    match e {
        Error::Config(ConfigError::Protected { .. }) => "protected",
        Error::Config(_) => "config",
        Error::Project(_) => "files",
        Error::Db(d)
        | Error::Engine(EngineError::Db(d))
        | Error::Policy(PolicyError::Db(d))
        | Error::Seed(SeedError::Db(d))
        | Error::Reset(crate::seed::reset::ResetRefusal::Db(d)) => db_kind(d),
        Error::Reset(_) => "shared-database",
        Error::LocalDb(_) => "local-database",
        Error::Engine(EngineError::Statement(_)) => "migration-failed",
        Error::Engine(EngineError::Files(_)) => "files",
        Error::Engine(EngineError::Stale { .. }) => "concurrent-change",
        Error::Engine(EngineError::Refused(_)) => "refused",
        Error::Repair(_) => "repair",
        Error::Refused(_) => "refused",
        Error::Baseline(_) => "baseline",
        Error::Policy(_) => "policy-failed",
        Error::Usage(crate::error::UsageError::NeedsYes { .. }) => "confirmation-required",
        Error::Usage(crate::error::UsageError::Declined { .. }) => "declined",
        Error::Usage(_) | Error::BadVersion { .. } => "usage",
        Error::Access(_) => "contract",
        Error::Scope(crate::ops::scope::ScopeError::NotAProject { .. }) => "not-a-project",
        Error::Scope(_) => "folder",
        Error::Io { .. } => "io",
        Error::Validation(ValidationError::NoMatch { .. }) => "usage",
        Error::Validation(_) => "validation",
        Error::Seed(_) => "seed-failed",
        Error::LocalNotRunning { .. } => "not-running",
        Error::Internal(_) => "internal",
    }
}

fn db_kind(d: &DbError) -> &'static str {
    match d {
        DbError::Connect { .. } => "connection",
        DbError::Query { .. } => "query",
        DbError::ConnectionLost { .. } => "connection-lost",
        DbError::LockTimeout { .. } => "lock-timeout",
        DbError::PoolerDetected { .. } => "pooler",
    }
}

/// The error as the `error` object of a JSON document.
pub fn error_report(e: &Error) -> ErrorReport {
    let base = ErrorReport {
        kind: kind(e),
        exit_code: e.exit_code(),
        message: e.to_string(),
        ..ErrorReport::default()
    };
    match e {
        Error::Project(p) => base.problems("file", &p.0),
        Error::Engine(EngineError::Files(errors)) | Error::Policy(PolicyError::Files(errors)) => {
            base.problems("file", errors)
        }
        Error::Engine(EngineError::Statement(f)) => ErrorReport {
            message: f.failure.message.clone(),
            ..base.at(&f.file, f.offset).pg(&f.failure)
        },
        Error::Policy(PolicyError::Statement {
            file,
            offset,
            failure,
        }) => ErrorReport {
            message: failure.message.clone(),
            ..base.at(file, *offset).pg(failure)
        },
        Error::Seed(SeedError::Statement(f)) => ErrorReport {
            message: f.failure.message.clone(),
            ..base.at(&f.file, f.offset).pg(&f.failure)
        },
        Error::Seed(SeedError::Copy(c)) => ErrorReport {
            file: Some(c.file.clone()),
            line: c.line,
            ..base.pg(&c.failure)
        },
        Error::Db(DbError::Query { failure, .. }) => base.pg(failure),
        Error::Config(ConfigError::Toml {
            path, line, col, ..
        }) => ErrorReport {
            file: Some(path.display().to_string()),
            line: Some(*line),
            column: Some(*col),
            ..base
        },
        Error::Access(
            AccessError::Toml {
                path, line, col, ..
            }
            | AccessError::Invalid {
                path, line, col, ..
            },
        ) => ErrorReport {
            file: Some(path.clone()),
            line: Some(*line),
            column: Some(*col),
            ..base
        },
        Error::Access(
            AccessError::Read { path, .. }
            | AccessError::Write { path, .. }
            | AccessError::Exists { path },
        ) => ErrorReport {
            file: Some(path.clone()),
            ..base
        },
        Error::Config(ConfigError::EnvFile { path, line, .. }) => ErrorReport {
            file: Some(path.display().to_string()),
            line: Some(*line),
            ..base
        },
        Error::Validation(ValidationError::Malformed(list)) => {
            let problems: Vec<ErrorReport> = list
                .iter()
                .map(|m| ErrorReport {
                    kind: "suite",
                    message: m.message.clone(),
                    file: Some(m.file.clone()),
                    line: m.line,
                    ..ErrorReport::default()
                })
                .collect();
            ErrorReport {
                file: problems.first().and_then(|p| p.file.clone()),
                line: problems.first().and_then(|p| p.line),
                problems,
                ..base
            }
        }
        Error::Refused(refusals) => ErrorReport {
            problems: refusals
                .iter()
                .map(|r| ErrorReport {
                    kind: "refusal",
                    message: r.to_string(),
                    ..ErrorReport::default()
                })
                .collect(),
            ..base
        },
        _ => base,
    }
}

/// `{"error": {...}}`, the JSON document of a failed command.
pub fn error_json(e: &Error) -> serde_json::Value {
    serde_json::json!({ "error": error_report(e) })
}

/// The error as one GitHub annotation.
pub(super) fn error_annotation(e: &Error) -> Annotation {
    let r = error_report(e);
    Annotation {
        level: AnnotationLevel::Error,
        file: r.file,
        line: r.line,
        column: r.column,
        title: Some(format!("strata: {}", r.kind)),
        message: r.message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Checksum, SourceFile, Version};

    #[test]
    fn snippet_points_at_the_column() {
        let text = "select 1;\nselect 2;\ncreate tabel x();\n";
        let offset = text.find("tabel").unwrap();
        let s = render_snippet("m.sql", text, offset);
        insta::assert_snapshot!(s, @r"
          --> m.sql:3:8
          |
        1 | select 1;
        2 | select 2;
        3 | create tabel x();
          |        ^
        ");
    }

    fn failure() -> StatementFailure {
        let text = "CREATE TABLE tags (id int PRIMARY KEY);\nALTER TABLE posts\n  ADD COLUMN tag_id int REFERENCES tagz(id);\n";
        StatementFailure {
            direction: Direction::Up,
            version: Version(4),
            name: "tags".into(),
            file: SourceFile {
                path: "migrations/004_tags.sql".into(),
                display: "migrations/004_tags.sql".into(),
                text: text.into(),
                checksum: Checksum::of(text.as_bytes()),
            },
            offset: text.find("tagz"),
            failure: PgFailure {
                code: "42P01".into(),
                message: "relation \"tagz\" does not exist".into(),
                hint: Some("Did you mean \"tags\"?".into()),
                ..PgFailure::default()
            },
            transactional: true,
            committed_statements: 0,
            done_before: vec![Version(3)],
        }
    }

    #[test]
    fn migration_failure_diagnostic_layout() {
        let e = Error::Engine(EngineError::Statement(Box::new(failure())));
        insta::assert_snapshot!("migration_failure", render_error(&e));
    }

    #[test]
    fn migration_failure_as_json_has_its_position() {
        let e = Error::Engine(EngineError::Statement(Box::new(failure())));
        let v = error_json(&e);
        assert_eq!(v["error"]["kind"], "migration-failed");
        assert_eq!(v["error"]["file"], "migrations/004_tags.sql");
        assert_eq!(v["error"]["line"], 3);
        assert_eq!(v["error"]["column"], 36);
        assert_eq!(v["error"]["sqlstate"], "42P01");
        assert_eq!(v["error"]["exit_code"], 1);
    }
}
