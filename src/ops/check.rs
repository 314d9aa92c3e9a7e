//! `strata check`: offline checks of every migration and rollback (names, pairing, directives,
//! SQL lexically), and, when a database is reachable without starting anything, PostgreSQL's
//! parser on every statement and the checksums of applied files.

use super::{target_label, Event, Note, Sink, Workspace, LOCAL_DATABASE};
use crate::config::{ConnInfo, Target};
use crate::engine::{self, MigrationState};
use crate::error::Result;
use crate::history;
use crate::project::{self, ProjectError};
use serde::Serialize;

/// One problem, with its position when it has one (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// Found in the files without a database.
    File,
    /// PostgreSQL's parser rejected a statement.
    Syntax,
    /// An applied file changed after it was applied.
    Checksum,
}

impl Problem {
    pub fn from_project(e: &ProjectError) -> Problem {
        let (file, line, column) = e.location();
        Problem {
            kind: ProblemKind::File,
            file: Some(file).filter(|f| !f.is_empty()),
            line,
            column,
            message: e.message(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub files: usize,
    pub problems: Vec<Problem>,
    /// PostgreSQL parsed the SQL and the checksums were compared with the database.
    pub database_checked: bool,
}

impl CheckOutcome {
    pub fn failed(&self) -> bool {
        !self.problems.is_empty()
    }
}

pub async fn check(ws: &Workspace, sink: &mut dyn Sink) -> Result<CheckOutcome> {
    // Problems in the files themselves (names, pairing, directives) are this command's findings.
    let project = match ws.load_project() {
        Ok(p) => p,
        Err(crate::Error::Project(errors)) => {
            return Ok(CheckOutcome {
                files: 0,
                problems: errors.0.iter().map(Problem::from_project).collect(),
                database_checked: false,
            })
        }
        Err(e) => return Err(e),
    };
    let mut problems = Vec::new();
    // every file that analyses cleanly, with its statements, for the server-side syntax check
    let mut analysed = Vec::new();
    let mut files = 0;
    for m in &project.migrations {
        let mut files_of_m = vec![(&m.file, &m.directives)];
        if let Some(r) = &m.rollback {
            files_of_m.push((&r.file, &r.directives));
        }
        for (f, d) in files_of_m {
            files += 1;
            match project::analyze(f, d) {
                Ok(spans) => analysed.push((f, spans)),
                Err(errs) => problems.extend(errs.iter().map(Problem::from_project)),
            }
        }
    }
    // With a reachable database (never started for this): PostgreSQL's parser on every
    // statement, and the checksums of applied files.
    let target = ws.target()?;
    let info = match &target {
        Target::Url { info, .. } => Some(info.clone()),
        Target::Local { .. } => crate::localdb::status(&ws.cfg.root)
            .ok()
            .flatten()
            .and_then(|s| ConnInfo::parse(&s.url_for(LOCAL_DATABASE)).ok()),
    };
    let Some(info) = info else {
        sink.event(&Event::Note(Note::CheckedLexicallyOnly));
        return Ok(CheckOutcome {
            files,
            problems,
            database_checked: false,
        });
    };
    let mut conn = match crate::db::connect(&info).await {
        Ok(c) => c,
        Err(e) => {
            sink.event(&Event::Note(Note::ServerCheckSkipped {
                reason: e.to_string(),
            }));
            return Ok(CheckOutcome {
                files,
                problems,
                database_checked: false,
            });
        }
    };
    let checked = async {
        for (f, spans) in &analysed {
            let errors = engine::syntax::check_file(&mut conn, f, spans).await?;
            if errors.is_empty() {
                continue;
            }
            for e in errors {
                let (line, col) = f.line_col(e.offset);
                problems.push(Problem {
                    kind: ProblemKind::Syntax,
                    file: Some(f.display.clone()),
                    line: Some(line),
                    column: Some(col),
                    message: e.message,
                });
            }
        }
        history::read(&mut conn, &ws.cfg.database.history_schema).await
    }
    .await;
    crate::db::close(conn).await;
    let rows = checked?;
    for r in engine::status(&project, &engine::squash::recorded(&project, &rows)) {
        if r.state == MigrationState::Changed {
            let file = project
                .migrations
                .iter()
                .find(|m| m.version.to_string() == r.version)
                .map(|m| m.file.display.clone());
            problems.push(Problem {
                kind: ProblemKind::Checksum,
                file,
                line: None,
                column: None,
                message: format!(
                    "migration {} ({}) was changed after it was applied to {}; restore it or run `strata repair`",
                    r.version,
                    r.name,
                    target_label(&target)
                ),
            });
        }
    }
    Ok(CheckOutcome {
        files,
        problems,
        database_checked: true,
    })
}
