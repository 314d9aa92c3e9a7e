//! History changes that run no migration: `repair` (accept changed checksums, clear failed
//! entries of an older strata), `repair --forget V` (accept a deliberately deleted applied
//! migration), `repair --resume-after V:K` (say how far a stopped no-transaction file got),
//! and `baseline`. Each records a row saying what it changed, so history stays auditable; all
//! rows of one command commit together, under the run lock, and only if the history is still
//! the one the command read.

use super::guard::{self, Refused};
use super::plan::committed_checksum;
use super::{EngineError, Settings};
use crate::db::{self, DbError};
use crate::history::{self, HistoryRow, Kind, NewRow, Recorded, Way};
use crate::project::{self, Migration, SourceFile, Version};
use crate::sql;
use sqlx::postgres::PgConnection;

/// What `repair` changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RepairAction {
    pub version: String,
    pub name: String,
    pub action: String,
}

/// A repair that does not fit the database (exit 2: nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("version {version} is not applied, so there is nothing to forget; `strata status` lists what is")]
    ForgetNotApplied { version: Version },
    #[error("migration {version} still has its file ({path}); --forget is for an applied migration whose file was deleted on purpose: delete the file first, or roll the migration back with `strata down`")]
    ForgetFileExists { version: Version, path: String },
    #[error("version {version} did not stop midway; --resume-after is for a no-transaction migration or rollback that did (`strata status` shows them as partial or failed)")]
    ResumeNotPartial { version: Version },
    #[error("migration {version} has no file to continue; restore it first")]
    ResumeNoFile { version: Version },
    #[error(
        "{file} has {statements} statement(s); {committed} is not a number of committed statements"
    )]
    ResumeBeyond {
        file: String,
        committed: usize,
        statements: usize,
    },
    #[error("--resume-after {text}: expected VERSION:STATEMENTS, e.g. 20240101120000:3 (the migration's version and how many of its statements are committed)")]
    BadResumeAfter { text: String },
}

/// `no statement` / `statement 1` / `statements 1–3`.
fn first(k: usize) -> String {
    match k {
        0 => "no statement".to_string(),
        1 => "statement 1".to_string(),
        k => format!("statements 1–{k}"),
    }
}

/// Parses `V:K` of `--resume-after`.
pub fn parse_resume_after(text: &str) -> Result<(Version, usize), RepairError> {
    let bad = || RepairError::BadResumeAfter {
        text: text.to_string(),
    };
    let (v, k) = text.split_once(':').ok_or_else(bad)?;
    let version: Version = v.parse().map_err(|_| bad())?;
    let k: usize = k.trim().parse().map_err(|_| bad())?;
    Ok((version, k))
}

/// Records `rows` in one transaction under the run lock, if the history is still the one that
/// was read (its newest row `expect_all`).
async fn record_all(
    conn: &mut PgConnection,
    settings: &Settings,
    rows: &[NewRow<'_>],
    expect_all: i64,
    what: &str,
) -> Result<(), EngineError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut guard = settings.guard(None, None);
    guard.expect_all = Some(expect_all);
    let mut text = format!("BEGIN;\n{}", guard.sql());
    for r in rows {
        text.push_str(&history::insert_sql(&settings.history_schema, r));
        text.push_str(";\n");
    }
    text.push_str("COMMIT;");
    guard::send(conn, &text, guard.key, settings.lock_wait, &mut |_| {})
        .await
        .map(|_| ())
        .map_err(|r| match r {
            Refused::Lock(d) => EngineError::Db(d),
            Refused::Failed(e) => EngineError::Db(DbError::query(what, &e)),
            Refused::Stale | Refused::Moved => EngineError::Db(DbError::Query {
                context: what.to_string(),
                failure: db::PgFailure {
                    message: "another strata run changed the history meanwhile; nothing was recorded, run the command again".into(),
                    ..db::PgFailure::default()
                },
            }),
        })
}

/// Accepts changed checksums of applied files and clears failed entries recorded by an older
/// strata (whose committed statements are unknown); records each change.
pub async fn repair(
    conn: &mut PgConnection,
    project: &project::Project,
    rows: &[HistoryRow],
    settings: &Settings,
) -> Result<Vec<RepairAction>, EngineError> {
    // (version, name, kind, file whose checksum is accepted, note)
    let mut planned: Vec<(Version, &str, Kind, Option<&SourceFile>, String)> = Vec::new();
    let state = history::fold(rows);
    for (v, r) in &state {
        match r {
            Recorded::Applied {
                checksum: Some(old),
                name,
                ..
            } => {
                if let Some(m) = project.get(*v).filter(|m| *old != m.file.checksum) {
                    let note = format!(
                        "accepted checksum {} (was {})",
                        m.file.checksum.short(),
                        old.short()
                    );
                    planned.push((*v, name, Kind::Accept, Some(&m.file), note));
                }
            }
            Recorded::Partial(p) if p.committed.is_none() => {
                let note = "cleared the failed entry; `strata up` will run it again".to_string();
                planned.push((*v, &p.name, Kind::Clear, None, note));
            }
            _ => {}
        }
    }
    let new_rows: Vec<NewRow<'_>> = planned
        .iter()
        .map(|(version, name, kind, file, note)| NewRow {
            version: *version,
            name,
            kind: *kind,
            checksum: file.map(|f| &f.checksum),
            sql: file.map(|f| f.text.as_str()),
            success: true,
            note: Some(note),
            duration_from_txn_start: false,
            duration_ms: None,
            step: None,
        })
        .collect();
    record_all(
        conn,
        settings,
        &new_rows,
        history::last_id(rows),
        "recording repair",
    )
    .await?;
    Ok(planned
        .into_iter()
        .map(|(version, name, _, _, note)| RepairAction {
            version: version.to_string(),
            name: name.to_string(),
            action: note,
        })
        .collect())
}

/// `repair --forget V`: an applied migration whose file was deleted on purpose stops being
/// "applied, file missing"; the row says when it had been applied.
pub async fn forget(
    conn: &mut PgConnection,
    project: &project::Project,
    rows: &[HistoryRow],
    version: Version,
    settings: &Settings,
) -> Result<Result<RepairAction, RepairError>, EngineError> {
    let state = history::fold(rows);
    let (name, applied_at) = match state.get(&version) {
        Some(Recorded::Applied {
            name, applied_at, ..
        }) => (name.clone(), applied_at.clone()),
        _ => return Ok(Err(RepairError::ForgetNotApplied { version })),
    };
    if let Some(m) = project.get(version) {
        return Ok(Err(RepairError::ForgetFileExists {
            version,
            path: m.file.display.clone(),
        }));
    }
    let note = format!(
        "forgot: applied at {applied_at}, its file deleted on purpose; what it created stays in the database"
    );
    let row = NewRow {
        version,
        name: &name,
        kind: Kind::Forget,
        checksum: None,
        sql: None,
        success: true,
        note: Some(&note),
        duration_from_txn_start: false,
        duration_ms: None,
        step: None,
    };
    record_all(
        conn,
        settings,
        &[row],
        history::last_id(rows),
        "recording repair --forget",
    )
    .await?;
    Ok(Ok(RepairAction {
        version: version.to_string(),
        name,
        action: note,
    }))
}

/// `repair --resume-after V:K`: statements 1–K of the stopped file are taken as committed (the
/// user looked); the next `up` (or `down`) continues at statement K+1. K equal to the number of
/// statements records the file as done.
pub async fn resume_after(
    conn: &mut PgConnection,
    project: &project::Project,
    rows: &[HistoryRow],
    version: Version,
    committed: usize,
    settings: &Settings,
) -> Result<Result<RepairAction, RepairError>, EngineError> {
    let state = history::fold(rows);
    let Some(Recorded::Partial(p)) = state.get(&version) else {
        return Ok(Err(RepairError::ResumeNotPartial { version }));
    };
    let Some(m): Option<&Migration> = project.get(version) else {
        return Ok(Err(RepairError::ResumeNoFile { version }));
    };
    let file = match p.way {
        Way::Apply => &m.file,
        Way::Rollback => match &m.rollback {
            Some(r) => &r.file,
            None => return Ok(Err(RepairError::ResumeNoFile { version })),
        },
    };
    let spans = sql::split(&file.text).unwrap_or_default();
    if committed > spans.len() {
        return Ok(Err(RepairError::ResumeBeyond {
            file: file.display.clone(),
            committed,
            statements: spans.len(),
        }));
    }
    let all = committed == spans.len();
    let prefix = committed_checksum(&file.text, &spans, committed);
    let (kind, note) = match (p.way, all) {
        (Way::Apply, true) => (
            Kind::Apply,
            format!("repair --resume-after {version}:{committed}: every statement taken as committed; the migration is applied"),
        ),
        (Way::Rollback, true) => (
            Kind::Rollback,
            format!("repair --resume-after {version}:{committed}: every rollback statement taken as committed; the migration is rolled back"),
        ),
        (Way::Apply, false) => (
            Kind::Progress,
            format!("repair --resume-after {version}:{committed}: {} taken as committed; `strata up` continues at statement {}", first(committed), committed + 1),
        ),
        (Way::Rollback, false) => (
            Kind::RollbackProgress,
            format!("repair --resume-after {version}:{committed}: the rollback's {} taken as committed; `strata down` continues at statement {}", first(committed), committed + 1),
        ),
    };
    let row = NewRow {
        version,
        name: &m.name,
        kind,
        checksum: if all {
            Some(&file.checksum)
        } else {
            prefix.as_ref()
        },
        sql: all.then_some(file.text.as_str()),
        success: true,
        note: Some(&note),
        duration_from_txn_start: false,
        duration_ms: None,
        step: (!all).then_some(committed),
    };
    record_all(
        conn,
        settings,
        &[row],
        history::last_id(rows),
        "recording repair --resume-after",
    )
    .await?;
    Ok(Ok(RepairAction {
        version: version.to_string(),
        name: m.name.clone(),
        action: note,
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("the database already has applied migrations ({0}); baseline is for a database strata has not managed yet")]
    AlreadyManaged(String),
    #[error(
        "no migration file has a version at or below {0}; baseline marks existing files as applied"
    )]
    NothingToMark(Version),
}

/// Marks every migration file with a version ≤ `to` as applied, without running it.
pub async fn baseline(
    conn: &mut PgConnection,
    project: &project::Project,
    rows: &[HistoryRow],
    to: Version,
    settings: &Settings,
) -> Result<Result<Vec<Version>, BaselineError>, EngineError> {
    let state = history::fold(rows);
    if !state.is_empty() {
        let list: Vec<String> = state.keys().map(|v| v.to_string()).collect();
        return Ok(Err(BaselineError::AlreadyManaged(list.join(", "))));
    }
    let marked: Vec<&Migration> = project
        .migrations
        .iter()
        .filter(|m| m.version <= to)
        .collect();
    if marked.is_empty() {
        return Ok(Err(BaselineError::NothingToMark(to)));
    }
    let note = format!("baseline at version {to}: marked as applied without running");
    let new_rows: Vec<NewRow<'_>> = marked
        .iter()
        .map(|m| NewRow {
            version: m.version,
            name: &m.name,
            kind: Kind::Baseline,
            checksum: Some(&m.file.checksum),
            sql: None,
            success: true,
            note: Some(&note),
            duration_from_txn_start: false,
            duration_ms: None,
            step: None,
        })
        .collect();
    record_all(
        conn,
        settings,
        &new_rows,
        history::last_id(rows),
        "recording the baseline",
    )
    .await?;
    Ok(Ok(marked.iter().map(|m| m.version).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_after_takes_version_and_count() {
        assert_eq!(
            parse_resume_after("20240101120000:3").unwrap(),
            (Version(20240101120000), 3)
        );
        for bad in ["3", "x:1", "2:", "2:-1", ":1"] {
            let e = parse_resume_after(bad).unwrap_err();
            assert!(
                e.to_string().contains("expected VERSION:STATEMENTS"),
                "{bad}"
            );
        }
    }
}
