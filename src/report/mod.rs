//! Every byte strata writes: diagnostics, tables, JSON, progress. No database, no decisions.
//!
//! Results go to stdout; progress, warnings and errors to stderr.

pub mod audit;
pub mod lint;
mod progress;
mod suite;

use crate::db::PgFailure;
use crate::engine::{Direction, EngineError, StatementFailure, StatusRow};
use crate::error::Error;
use crate::project::ProjectError;
use crate::sql::LineIndex;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

pub use progress::ProgressObserver;
pub use suite::{render_dropped, render_seed, render_test_run, SeedProgress};

/// `text` or `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

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

fn render_statement_failure(f: &StatementFailure) -> String {
    let what = match f.direction {
        Direction::Up => "migration",
        Direction::Down => "rollback of",
    };
    let mut out = format!("error: {what} {} ({}) failed\n", f.version, f.name);
    match f.offset {
        Some(o) => out.push_str(&render_snippet(&f.file.display, &f.file.text, o)),
        None => out.push_str(&format!("  --> {}\n", f.file.display)),
    }
    out.push_str(&render_pg_failure(&f.failure));
    if f.transactional {
        out.push_str(&format!(
            "Nothing of {} was applied: it ran in one transaction, which was rolled back.\n",
            f.file.display
        ));
    } else {
        out.push_str(&format!(
            "{} ran without a transaction: its first {} statement(s) were committed and it is recorded as failed. Fix the database or the file, then `strata repair` clears the entry and `strata up` runs it again.\n",
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

/// The one renderer for every error strata reports.
pub fn render_error(e: &Error) -> String {
    match e {
        Error::Project(p) => render_project_errors(&p.0),
        Error::Engine(EngineError::Files(errors)) => render_project_errors(errors),
        Error::Engine(EngineError::Statement(f)) => render_statement_failure(f),
        Error::Refused(refusals) => {
            let mut out = String::new();
            for r in refusals {
                out.push_str(&format!("error: {r}\n"));
            }
            out.push_str("Nothing was run.\n");
            out
        }
        Error::Policy(crate::policy::PolicyError::Files(errors)) => render_project_errors(errors),
        Error::Policy(crate::policy::PolicyError::Statement {
            file,
            offset,
            failure,
        }) => {
            let mut out = format!("error: {} failed\n", file.display);
            match offset {
                Some(o) => out.push_str(&render_snippet(&file.display, &file.text, *o)),
                None => out.push_str(&format!("  --> {}\n", file.display)),
            }
            out.push_str(&render_pg_failure(failure));
            out.push_str("Nothing from policies/ was applied: it runs in one transaction, which was rolled back.\n");
            out
        }
        Error::Validation(v) => suite::render_validation_error(v),
        Error::Seed(s) => suite::render_seed_error(s),
        Error::Failed(msg) if msg.is_empty() => String::new(),
        other => format!("error: {other}\n"),
    }
}

/// `strata status` as a table.
pub fn render_status(rows: &[StatusRow]) -> String {
    if rows.is_empty() {
        return "No migrations.\n".to_string();
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            "version",
            "name",
            "state",
            "rollback",
            "applied at (UTC)",
            "duration",
        ]);
    for r in rows {
        let mut state = r.state.label().to_string();
        if r.baselined {
            state.push_str(" (baseline)");
        }
        t.add_row(vec![
            r.version.clone(),
            r.name.clone(),
            state,
            if r.rollback { "yes" } else { "no" }.to_string(),
            r.applied_at.clone().unwrap_or_default(),
            r.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
        ]);
    }
    let mut out = t.to_string();
    out.push('\n');
    for r in rows.iter().filter(|r| r.note.is_some()) {
        out.push_str(&format!(
            "{} {}: {}\n",
            r.version,
            r.name,
            r.note.as_deref().unwrap_or("")
        ));
    }
    if rows
        .iter()
        .any(|r| r.state == crate::engine::MigrationState::Failed)
    {
        out.push_str("Next: make the database and the failed file agree (finish or undo the committed statements, fix the file), then `strata repair` clears the failed entry and `strata up` runs the file again.\n");
    }
    if rows
        .iter()
        .any(|r| r.state == crate::engine::MigrationState::Changed)
    {
        out.push_str(
            "Changed files block `strata up`: restore them, or accept them with `strata repair`.\n",
        );
    }
    out
}

/// A simple table from a header and rows.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for r in rows {
        t.add_row(r);
    }
    format!("{t}\n")
}

/// Serializes a report as pretty JSON with a trailing newline.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_string_pretty(value) {
        Ok(s) => s + "\n",
        Err(e) => format!("{{\"error\": \"cannot serialize report: {e}\"}}\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn row(v: &str, name: &str, state: crate::engine::MigrationState) -> StatusRow {
        StatusRow {
            version: v.into(),
            name: name.into(),
            state,
            rollback: v != "3",
            applied_at: (state != crate::engine::MigrationState::Pending)
                .then(|| "2026-11-23 09:00:00".to_string()),
            duration_ms: Some(12).filter(|_| state != crate::engine::MigrationState::Pending),
            baselined: v == "1",
            note: (state == crate::engine::MigrationState::Failed)
                .then(|| "statement 2 of 3 (line 4) failed: boom".to_string()),
        }
    }

    #[test]
    fn status_table_layout() {
        use crate::engine::MigrationState::*;
        let rows = vec![
            row("1", "init", Applied),
            row("2", "users", Changed),
            row("3", "index", Failed),
            row("4", "gone", Missing),
            row("5", "next", Pending),
        ];
        insta::assert_snapshot!("status_table", render_status(&rows));
    }

    #[test]
    fn migration_failure_diagnostic_layout() {
        use crate::engine::{Direction, StatementFailure};
        use crate::project::{Checksum, SourceFile, Version};
        let text = "CREATE TABLE tags (id int PRIMARY KEY);\nALTER TABLE posts\n  ADD COLUMN tag_id int REFERENCES tagz(id);\n";
        let f = StatementFailure {
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
        };
        let e = crate::Error::Engine(EngineError::Statement(Box::new(f)));
        insta::assert_snapshot!("migration_failure", render_error(&e));
    }
}
