//! Pure decisions: files × recorded history → the state of every migration, and the steps of
//! `up`/`down` or the reasons to refuse. No I/O; tested without a database.
//!
//! A no-transaction file that stopped midway ([`Recorded::Partial`]) is continued by the next
//! run in the same direction, after its last committed statement, provided the statements that
//! were committed are still the file's first statements (compared by the checksum of the text
//! up to their end). Everything else about it is a refusal that names the exact fix.

use super::inflight::{self, Check};
use crate::history::{Partial, Recorded, Way};
use crate::project::{Checksum, Migration, Project, SourceFile, Version};
use crate::sql;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationState {
    Applied,
    Pending,
    /// Applied, but the file's checksum differs from the one recorded.
    Changed,
    /// Applied, but no file has this version any more.
    Missing,
    /// A statement of a no-transaction file failed; the statements before it are committed.
    Failed,
    /// A no-transaction file (or its rollback) stopped midway without an error: killed, or the
    /// connection was lost. Its committed statements are recorded.
    Partial,
}

impl MigrationState {
    pub fn label(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Changed => "changed since applied",
            MigrationState::Missing => "applied, file missing",
            MigrationState::Failed => "failed",
            MigrationState::Partial => "partial",
        }
    }
}

/// One line of `strata status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusRow {
    pub version: String,
    pub name: String,
    pub state: MigrationState,
    pub rollback: bool,
    pub applied_at: Option<String>,
    pub duration_ms: Option<i64>,
    pub baselined: bool,
    pub note: Option<String>,
    /// A partial or failed no-transaction file: statements committed, of how many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committed_statements: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements: Option<usize>,
    /// `apply` or `rollback`: which file stopped midway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_in: Option<Way>,
    /// What to do next, as an exact command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<String>,
}

impl StatusRow {
    fn new(version: String, name: String, state: MigrationState, rollback: bool) -> StatusRow {
        StatusRow {
            version,
            name,
            state,
            rollback,
            applied_at: None,
            duration_ms: None,
            baselined: false,
            note: None,
            committed_statements: None,
            statements: None,
            stopped_in: None,
            recovery: None,
        }
    }
}

/// Every version known to the files or the database, in version order.
pub fn status(project: &Project, recorded: &BTreeMap<Version, Recorded>) -> Vec<StatusRow> {
    let mut rows = Vec::new();
    let mut files = project.migrations.iter().peekable();
    let mut recs = recorded.iter().peekable();
    loop {
        let next_file = files.peek().map(|m| m.version);
        let next_rec = recs.peek().map(|(v, _)| **v);
        let (m, r) = match (next_file, next_rec) {
            (None, None) => break,
            (Some(f), Some(rv)) if f == rv => (files.next(), recs.next().map(|(_, r)| r)),
            (Some(f), Some(rv)) if f < rv => (files.next(), None),
            (Some(_), None) => (files.next(), None),
            _ => (None, recs.next().map(|(_, r)| r)),
        };
        rows.push(status_row(
            m,
            r,
            next_file.min(next_rec).or(next_file).or(next_rec),
        ));
    }
    rows
}

fn status_row(m: Option<&Migration>, r: Option<&Recorded>, v: Option<Version>) -> StatusRow {
    let version_v = m.map(|m| m.version).or(v).unwrap_or(Version(0));
    let version = version_v.to_string();
    let rollback = m.is_some_and(|m| m.rollback.is_some());
    match (m, r) {
        (Some(m), None) => {
            StatusRow::new(version, m.name.clone(), MigrationState::Pending, rollback)
        }
        (
            m,
            Some(Recorded::Applied {
                name,
                checksum,
                applied_at,
                duration_ms,
                baselined,
            }),
        ) => {
            let state = match m {
                None => MigrationState::Missing,
                Some(m) => match checksum {
                    Some(c) if *c != m.file.checksum => MigrationState::Changed,
                    _ => MigrationState::Applied,
                },
            };
            let mut row = StatusRow::new(
                version,
                m.map_or_else(|| name.clone(), |m| m.name.clone()),
                state,
                rollback,
            );
            row.applied_at = Some(applied_at.clone());
            row.duration_ms = *duration_ms;
            row.baselined = *baselined;
            if state == MigrationState::Missing {
                row.recovery = Some(format!(
                    "restore its file, or if it was deleted on purpose, `strata repair --forget {version_v}`"
                ));
            }
            row
        }
        (m, Some(Recorded::Partial(p))) => partial_row(version_v, m, p, rollback),
        (None, None) => StatusRow::new(version, String::new(), MigrationState::Pending, false),
    }
}

/// The file a partial state is about: the migration, or its rollback.
fn partial_file(m: &Migration, way: Way) -> Option<&SourceFile> {
    match way {
        Way::Apply => Some(&m.file),
        Way::Rollback => m.rollback.as_ref().map(|r| &r.file),
    }
}

/// The statement spans of a file (none when it does not split; `check` reports that).
fn spans_of(file: &SourceFile) -> Vec<sql::Span> {
    sql::split(&file.text).unwrap_or_default()
}

/// SHA-256 of the file's text up to the end of its `k`-th statement: what a partial state
/// records so that a later run knows the committed statements are unchanged.
pub fn committed_checksum(text: &str, spans: &[sql::Span], k: usize) -> Option<Checksum> {
    let end = match k {
        0 => 0,
        k => spans.get(k - 1)?.end,
    };
    Some(Checksum::of(text.get(..end)?.as_bytes()))
}

/// `statement 3 (line 12: CREATE INDEX CONCURRENTLY …)`.
pub fn describe_statement(file: &SourceFile, spans: &[sql::Span], n: usize) -> String {
    let Some(span) = n.checked_sub(1).and_then(|i| spans.get(i)) else {
        return format!("statement {n}");
    };
    let index = sql::LineIndex::new(&file.text);
    let (line, _) = index.line_col(&file.text, span.start);
    let text: String = span
        .text(&file.text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let short = if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    };
    format!("statement {n} (line {line}: {short})")
}

fn partial_row(version: Version, m: Option<&Migration>, p: &Partial, rollback: bool) -> StatusRow {
    let state = if p.failed.is_some() || p.committed.is_none() {
        MigrationState::Failed
    } else {
        MigrationState::Partial
    };
    let mut row = StatusRow::new(
        version.to_string(),
        m.map_or_else(|| p.name.clone(), |m| m.name.clone()),
        state,
        rollback,
    );
    row.applied_at = Some(p.at.clone());
    row.stopped_in = Some(p.way);
    row.committed_statements = p.committed;
    let (verb, command) = match p.way {
        Way::Apply => ("migration", "strata up"),
        Way::Rollback => ("rollback", "strata down"),
    };
    let file = m.and_then(|m| partial_file(m, p.way));
    let Some(committed) = p.committed else {
        // Written by an older strata: which statements committed is not known.
        row.note = p.failed.clone();
        row.recovery = Some("make the database and the file agree (finish or undo what the file's committed statements did), then `strata repair` clears the entry and `strata up` runs the file from its first statement".into());
        return row;
    };
    let Some(file) = file else {
        row.note = Some(format!(
            "the {verb} stopped after {committed} committed statement(s)"
        ));
        row.recovery = Some(format!(
            "restore the {verb} file, then `{command}` continues it after statement {committed}"
        ));
        return row;
    };
    let spans = spans_of(file);
    row.statements = Some(spans.len());
    let unchanged = committed_checksum(&file.text, &spans, committed)
        .is_some_and(|c| Some(&c) == p.committed_checksum.as_ref());
    let next = committed + 1;
    let what = format!(
        "{} of {} statement(s) of {} committed",
        committed,
        spans.len(),
        file.display
    );
    row.note = Some(match (&p.failed, p.running) {
        (Some(f), _) => format!("{f}; {what}"),
        (None, Some(r)) => format!(
            "{what}; {} was running when strata stopped",
            describe_statement(file, &spans, r)
        ),
        (None, None) => what,
    });
    row.recovery = Some(if !unchanged {
        format!("the file's first {committed} statement(s) are no longer the ones that were committed: restore them (only statements after {committed} may change), then `{command}` continues")
    } else if let Some(r) = p.running {
        let stmt = spans.get(r - 1).map(|s| s.text(&file.text)).unwrap_or("");
        match inflight::check_for(stmt) {
            Check::Unknown => format!(
                "strata cannot tell whether statement {r} took effect: look, then run `strata repair --resume-after {version}:{r}` if it did or `strata repair --resume-after {version}:{committed}` if it did not, and `{command}`"
            ),
            _ => format!(
                "`{command}` checks whether statement {r} took effect and continues from there"
            ),
        }
    } else if p.failed.is_some() {
        format!("fix statement {next} in the file ({} or the database, then `{command}` continues at statement {next}", keep_committed(committed))
    } else {
        format!("`{command}` continues at statement {next}")
    });
    row
}

/// `statement 1 must stay as it is)` / `statements 1–3 must stay as they are)`.
fn keep_committed(k: usize) -> String {
    match k {
        0 => "nothing before it was committed)".to_string(),
        1 => "statement 1 must stay as it is)".to_string(),
        k => format!("statements 1–{k} must stay as they are)"),
    }
}

/// Why `up` or `down` will not start. Each says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Changed {
        version: Version,
        name: String,
    },
    /// A failed no-transaction migration recorded by an older strata (which statements
    /// committed is unknown).
    Failed {
        version: Version,
        name: String,
        note: Option<String>,
    },
    OutOfOrder {
        version: Version,
        name: String,
        latest: Version,
    },
    NoRollback {
        version: Version,
        name: String,
    },
    FileMissing {
        version: Version,
        name: String,
    },
    UnknownTarget {
        version: Version,
    },
    /// The committed statements of a partial file are no longer the file's first statements.
    PartialChanged {
        version: Version,
        name: String,
        way: Way,
        committed: usize,
    },
    /// A partial no-transaction file that is now transactional.
    PartialNowTransactional {
        version: Version,
        name: String,
        committed: usize,
    },
    /// A statement was running when a run stopped and strata cannot tell whether it took
    /// effect (see `engine::inflight`).
    InterruptedUnknown {
        version: Version,
        name: String,
        /// `statement 3 (line 7: …)`.
        statement: String,
        number: usize,
        way: Way,
    },
    /// `up` found a rollback that stopped midway, or `down` a migration that did.
    OtherWayInProgress {
        version: Version,
        name: String,
        way: Way,
        committed: usize,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Changed { version, name } => write!(
                f,
                "migration {version} ({name}) was changed after it was applied; restore the file, or run `strata repair` to accept the new checksum"
            ),
            Refusal::Failed { version, name, note } => write!(
                f,
                "migration {version} ({name}) is recorded as failed{}; fix the database or the file, then run `strata repair` to clear the entry and `strata up` to run it again",
                note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
            ),
            Refusal::OutOfOrder { version, name, latest } => write!(
                f,
                "migration {version} ({name}) is pending but {latest} is already applied; give it a version above {latest}, or run `strata up --out-of-order` to apply it anyway"
            ),
            Refusal::NoRollback { version, name } => write!(
                f,
                "migration {version} ({name}) has no rollback file; write rollbacks/ for it (or its .down.sql) before rolling back across it"
            ),
            Refusal::FileMissing { version, name } => write!(
                f,
                "migration {version} ({name}) is applied but its files are missing, so it cannot be rolled back; restore the migration and its rollback"
            ),
            Refusal::UnknownTarget { version } => write!(
                f,
                "version {version} is neither a migration file nor applied; use a version from `strata status` (or 0 for everything)"
            ),
            Refusal::PartialChanged { version, name, way, committed } => write!(
                f,
                "{} {version} ({name}) stopped after {committed} committed statement(s), but the file's first {committed} statement(s) are no longer the ones that ran; restore them (only statements after {committed} may change), or, if the database already matches the file as it is now, record that with `strata repair --resume-after {version}:{committed}`",
                match way { Way::Apply => "migration", Way::Rollback => "the rollback of" }
            ),
            Refusal::PartialNowTransactional { version, name, committed } => write!(
                f,
                "migration {version} ({name}) stopped after {committed} committed statement(s) as a no-transaction file, but the file no longer starts with `-- strata:no-transaction`; put the directive back so that `strata up` continues it after statement {committed}"
            ),
            Refusal::InterruptedUnknown { version, name, statement, number, way } => write!(
                f,
                "{statement} of {} {version} ({name}) was running when strata stopped, and strata cannot tell whether it took effect: look, then run `strata repair --resume-after {version}:{number}` if it did, or `strata repair --resume-after {version}:{}` if it did not; then `{}` again",
                match way { Way::Apply => "migration", Way::Rollback => "the rollback of" },
                number - 1,
                match way { Way::Apply => "strata up", Way::Rollback => "strata down" },
            ),
            Refusal::OtherWayInProgress { version, name, way: Way::Rollback, committed } => write!(
                f,
                "the rollback of {version} ({name}) stopped after {committed} committed statement(s); finish it with `strata down` (it continues after statement {committed}) before applying"
            ),
            Refusal::OtherWayInProgress { version, name, way: Way::Apply, committed } => write!(
                f,
                "migration {version} ({name}) stopped after {committed} committed statement(s); finish it with `strata up` (it continues after statement {committed}) before rolling back"
            ),
        }
    }
}

/// Where a partly run file stands, for the run that continues it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    /// Statements already committed (the run starts after them).
    pub committed: usize,
    /// A statement that was sent and whose outcome is not recorded.
    pub running: Option<usize>,
}

/// One migration a run applies or rolls back, with what the run saw of its history.
#[derive(Debug, Clone, Copy)]
pub struct Step<'p> {
    pub migration: &'p Migration,
    /// The id of the version's newest history row when the run planned (0: none). The change
    /// is made only if that is still the newest row.
    pub last_id: i64,
    /// Continue a no-transaction file after its committed statements.
    pub resume: Option<Resume>,
}

/// Checks that a partial file can be continued: same way, still no-transaction, committed
/// statements unchanged.
fn resumable(m: &Migration, p: &Partial, way: Way) -> Result<Option<Resume>, Refusal> {
    let (version, name) = (m.version, m.name.clone());
    let Some(committed) = p.committed else {
        return Err(Refusal::Failed {
            version,
            name,
            note: p.failed.clone(),
        });
    };
    if p.way != way {
        return Err(Refusal::OtherWayInProgress {
            version,
            name,
            way: p.way,
            committed,
        });
    }
    let (file, transactional) = match way {
        Way::Apply => (&m.file, m.directives.transactional),
        Way::Rollback => match &m.rollback {
            Some(r) => (&r.file, r.directives.transactional),
            None => return Err(Refusal::NoRollback { version, name }),
        },
    };
    if transactional {
        if committed == 0 && p.running.is_none() {
            // Nothing of it ran: it can start over as a transactional file.
            return Ok(None);
        }
        return Err(Refusal::PartialNowTransactional {
            version,
            name,
            committed,
        });
    }
    let spans = spans_of(file);
    let same = committed_checksum(&file.text, &spans, committed)
        .is_some_and(|c| Some(&c) == p.committed_checksum.as_ref());
    if !same {
        return Err(Refusal::PartialChanged {
            version,
            name,
            way,
            committed,
        });
    }
    Ok(Some(Resume {
        committed,
        running: p.running,
    }))
}

/// The migrations `up` applies, in order, or every reason it refuses.
pub fn plan_up<'p>(
    project: &'p Project,
    recorded: &BTreeMap<Version, Recorded>,
    to: Option<Version>,
    out_of_order: bool,
) -> Result<Vec<&'p Migration>, Vec<Refusal>> {
    Ok(
        plan_up_steps(project, recorded, &BTreeMap::new(), to, out_of_order)?
            .into_iter()
            .map(|s| s.migration)
            .collect(),
    )
}

/// The steps of `up`, in order, with the history each was planned from, or every reason it
/// refuses. A partial no-transaction migration is a step that continues it.
pub fn plan_up_steps<'p>(
    project: &'p Project,
    recorded: &BTreeMap<Version, Recorded>,
    last_ids: &BTreeMap<Version, i64>,
    to: Option<Version>,
    out_of_order: bool,
) -> Result<Vec<Step<'p>>, Vec<Refusal>> {
    let mut refusals = Vec::new();
    let mut resumes: BTreeMap<Version, Option<Resume>> = BTreeMap::new();
    for (v, r) in recorded {
        match (r, project.get(*v)) {
            (
                Recorded::Applied {
                    checksum: Some(c), ..
                },
                Some(m),
            ) if *c != m.file.checksum => refusals.push(Refusal::Changed {
                version: *v,
                name: m.name.clone(),
            }),
            (Recorded::Partial(p), Some(m)) => match resumable(m, p, Way::Apply) {
                Ok(resume) => {
                    resumes.insert(*v, resume);
                }
                Err(r) => refusals.push(r),
            },
            (Recorded::Partial(p), None) => refusals.push(match p.committed {
                None => Refusal::Failed {
                    version: *v,
                    name: p.name.clone(),
                    note: p.failed.clone(),
                },
                Some(_) => Refusal::FileMissing {
                    version: *v,
                    name: p.name.clone(),
                },
            }),
            _ => {}
        }
    }
    if let Some(t) = to {
        if project.get(t).is_none() && !recorded.contains_key(&t) {
            refusals.push(Refusal::UnknownTarget { version: t });
        }
    }
    let latest = recorded
        .iter()
        .filter(|(_, r)| matches!(r, Recorded::Applied { .. }))
        .map(|(v, _)| *v)
        .next_back();
    let mut steps = Vec::new();
    for m in &project.migrations {
        let resume = match recorded.get(&m.version) {
            Some(Recorded::Applied { .. }) => continue,
            Some(Recorded::Partial(_)) => match resumes.get(&m.version) {
                Some(r) => *r,
                None => continue, // refused above
            },
            None => None,
        };
        if to.is_some_and(|t| m.version > t) {
            continue;
        }
        if let Some(l) = latest {
            if m.version < l
                && !out_of_order
                && resume.is_none()
                && !recorded.contains_key(&m.version)
            {
                refusals.push(Refusal::OutOfOrder {
                    version: m.version,
                    name: m.name.clone(),
                    latest: l,
                });
                continue;
            }
        }
        steps.push(Step {
            migration: m,
            last_id: last_ids.get(&m.version).copied().unwrap_or(0),
            resume,
        });
    }
    if refusals.is_empty() {
        Ok(steps)
    } else {
        Err(refusals)
    }
}

/// How far `down` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownTarget {
    /// Roll back everything above this version (0 = everything).
    To(Version),
    Steps(usize),
}

/// The applied migrations `down` rolls back, newest first, or every reason it refuses (checked
/// for the whole way before anything runs).
pub fn plan_down<'p>(
    project: &'p Project,
    recorded: &BTreeMap<Version, Recorded>,
    target: DownTarget,
) -> Result<Vec<&'p Migration>, Vec<Refusal>> {
    Ok(
        plan_down_steps(project, recorded, &BTreeMap::new(), target)?
            .into_iter()
            .map(|s| s.migration)
            .collect(),
    )
}

/// The steps of `down`, newest first; a rollback that stopped midway is continued.
pub fn plan_down_steps<'p>(
    project: &'p Project,
    recorded: &BTreeMap<Version, Recorded>,
    last_ids: &BTreeMap<Version, i64>,
    target: DownTarget,
) -> Result<Vec<Step<'p>>, Vec<Refusal>> {
    let applied: Vec<(Version, &Recorded)> = recorded.iter().rev().map(|(v, r)| (*v, r)).collect();
    let chosen: Vec<(Version, &Recorded)> = match target {
        DownTarget::To(t) => {
            if t.0 != 0 && project.get(t).is_none() && !recorded.contains_key(&t) {
                return Err(vec![Refusal::UnknownTarget { version: t }]);
            }
            applied.into_iter().filter(|(v, _)| *v > t).collect()
        }
        DownTarget::Steps(n) => applied.into_iter().take(n).collect(),
    };
    let mut refusals = Vec::new();
    let mut steps = Vec::new();
    for (v, r) in chosen {
        let name = r.name().to_string();
        let Some(m) = project.get(v) else {
            refusals.push(match r {
                Recorded::Partial(p) if p.committed.is_none() => Refusal::Failed {
                    version: v,
                    name,
                    note: p.failed.clone(),
                },
                _ => Refusal::FileMissing { version: v, name },
            });
            continue;
        };
        let resume = match r {
            Recorded::Applied { .. } => None,
            Recorded::Partial(p) => match resumable(m, p, Way::Rollback) {
                Ok(resume) => resume,
                Err(r) => {
                    refusals.push(r);
                    continue;
                }
            },
        };
        if m.rollback.is_none() {
            refusals.push(Refusal::NoRollback {
                version: v,
                name: m.name.clone(),
            });
            continue;
        }
        steps.push(Step {
            migration: m,
            last_id: last_ids.get(&v).copied().unwrap_or(0),
            resume,
        });
    }
    if refusals.is_empty() {
        Ok(steps)
    } else {
        Err(refusals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Directives, Rollback};

    fn file(text: &str) -> SourceFile {
        SourceFile {
            path: "x.sql".into(),
            display: "x.sql".into(),
            text: text.into(),
            checksum: Checksum::of(text.as_bytes()),
        }
    }

    fn mig(v: u128, text: &str, rollback: bool) -> Migration {
        Migration {
            version: Version(v),
            name: format!("m{v}"),
            file: file(text),
            directives: Directives {
                transactional: true,
                ..Default::default()
            },
            rollback: rollback.then(|| Rollback {
                file: file("--"),
                directives: Directives::default(),
            }),
        }
    }

    fn applied(text: &str) -> Recorded {
        Recorded::Applied {
            name: "x".into(),
            checksum: Some(Checksum::of(text.as_bytes())),
            applied_at: "t".into(),
            duration_ms: Some(1),
            baselined: false,
        }
    }

    fn project(ms: Vec<Migration>) -> Project {
        Project { migrations: ms }
    }

    #[test]
    fn up_applies_pending_in_order_and_respects_to() {
        let p = project(vec![
            mig(1, "a", true),
            mig(2, "b", true),
            mig(3, "c", true),
        ]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(1), applied("a"));
        let steps = plan_up(&p, &rec, None, false).unwrap();
        assert_eq!(
            steps.iter().map(|m| m.version.0).collect::<Vec<_>>(),
            vec![2, 3]
        );
        let steps = plan_up(&p, &rec, Some(Version(2)), false).unwrap();
        assert_eq!(steps.len(), 1);
    }

    #[test]
    fn up_refuses_changed_failed_and_out_of_order() {
        let p = project(vec![
            mig(1, "a2", true),
            mig(2, "b", true),
            mig(3, "c", true),
        ]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(1), applied("a"));
        rec.insert(Version(3), applied("c"));
        let err = plan_up(&p, &rec, None, false).unwrap_err();
        assert!(err.iter().any(|r| matches!(
            r,
            Refusal::Changed {
                version: Version(1),
                ..
            }
        )));
        assert!(err.iter().any(|r| matches!(
            r,
            Refusal::OutOfOrder {
                version: Version(2),
                ..
            }
        )));
        let mut rec2 = BTreeMap::new();
        rec2.insert(
            Version(1),
            Recorded::Partial(Partial {
                name: "m1".into(),
                way: Way::Apply,
                committed: None,
                running: None,
                failed: Some("boom".into()),
                committed_checksum: None,
                at: "t".into(),
            }),
        );
        assert!(matches!(
            plan_up(&p, &rec2, None, false).unwrap_err()[0],
            Refusal::Failed { .. }
        ));
    }

    #[test]
    fn out_of_order_flag_allows_it() {
        let p = project(vec![mig(1, "a", true), mig(2, "b", true)]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(2), applied("b"));
        assert_eq!(plan_up(&p, &rec, None, true).unwrap().len(), 1);
    }

    #[test]
    fn down_refuses_before_anything_when_a_rollback_is_missing() {
        let p = project(vec![
            mig(1, "a", true),
            mig(2, "b", false),
            mig(3, "c", true),
        ]);
        let mut rec = BTreeMap::new();
        for (v, t) in [(1, "a"), (2, "b"), (3, "c")] {
            rec.insert(Version(v), applied(t));
        }
        let err = plan_down(&p, &rec, DownTarget::To(Version(0))).unwrap_err();
        assert_eq!(
            err,
            vec![Refusal::NoRollback {
                version: Version(2),
                name: "m2".into()
            }]
        );
        let steps = plan_down(&p, &rec, DownTarget::Steps(1)).unwrap();
        assert_eq!(steps[0].version, Version(3));
    }

    fn no_tx(v: u128, text: &str) -> Migration {
        let mut m = mig(v, text, true);
        m.directives.transactional = false;
        if let Some(r) = m.rollback.as_mut() {
            r.file = file("DROP INDEX CONCURRENTLY i2;\nDROP INDEX CONCURRENTLY i1;\n");
        }
        m
    }

    fn partial(text: &str, way: Way, committed: usize, running: Option<usize>) -> Recorded {
        let spans = sql::split(text).unwrap();
        Recorded::Partial(Partial {
            name: "x".into(),
            way,
            committed: Some(committed),
            running,
            failed: None,
            committed_checksum: committed_checksum(text, &spans, committed),
            at: "t".into(),
        })
    }

    const NO_TX: &str = "-- strata:no-transaction\nCREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY i1 ON t (a);\nCREATE INDEX CONCURRENTLY i2 ON t (a);\n";

    #[test]
    fn a_partial_no_transaction_migration_is_continued_after_its_committed_statements() {
        let p = project(vec![mig(1, "a", true), no_tx(2, NO_TX), mig(3, "c", true)]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(1), applied("a"));
        rec.insert(Version(2), partial(NO_TX, Way::Apply, 2, None));
        let ids: BTreeMap<Version, i64> = [(Version(2), 9)].into_iter().collect();
        let steps = plan_up_steps(&p, &rec, &ids, None, false).unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].migration.version, Version(2));
        assert_eq!(steps[0].last_id, 9);
        assert_eq!(
            steps[0].resume,
            Some(Resume {
                committed: 2,
                running: None
            })
        );
        assert_eq!(steps[1].resume, None);
        // status names it and the recovery
        let rows = status(&p, &rec);
        assert_eq!(rows[1].state, MigrationState::Partial);
        assert_eq!(rows[1].committed_statements, Some(2));
        assert_eq!(rows[1].statements, Some(3));
        assert_eq!(
            rows[1].recovery.as_deref(),
            Some("`strata up` continues at statement 3")
        );
        // a later statement may change; the committed ones may not
        let edited = NO_TX.replace("i2 ON t (a)", "i2 ON t (a, a)");
        let p2 = project(vec![mig(1, "a", true), no_tx(2, &edited)]);
        assert!(plan_up_steps(&p2, &rec, &ids, None, false).is_ok());
        let broken = NO_TX.replace("i1 ON t (a)", "i1 ON t (a, a)");
        let p3 = project(vec![mig(1, "a", true), no_tx(2, &broken)]);
        let err = plan_up_steps(&p3, &rec, &ids, None, false).unwrap_err();
        assert!(
            matches!(err[0], Refusal::PartialChanged { committed: 2, .. }),
            "{err:?}"
        );
        assert!(err[0]
            .to_string()
            .contains("strata repair --resume-after 2:2"));
        // the file lost its directive
        let p4 = project(vec![mig(1, "a", true), mig(2, NO_TX, true)]);
        let err = plan_up_steps(&p4, &rec, &ids, None, false).unwrap_err();
        assert!(matches!(err[0], Refusal::PartialNowTransactional { .. }));
    }

    #[test]
    fn an_interrupted_index_build_is_checked_by_up_and_a_partial_rollback_by_down() {
        let p = project(vec![no_tx(1, NO_TX)]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(1), partial(NO_TX, Way::Apply, 1, Some(2)));
        let rows = status(&p, &rec);
        assert_eq!(rows[0].state, MigrationState::Partial);
        assert!(rows[0].note.as_deref().unwrap_or("").contains(
            "statement 2 (line 3: CREATE INDEX CONCURRENTLY i1 ON t (a)) was running when strata stopped"
        ), "{:?}", rows[0].note);
        assert_eq!(
            rows[0].recovery.as_deref(),
            Some("`strata up` checks whether statement 2 took effect and continues from there")
        );
        let steps = plan_up_steps(&p, &rec, &BTreeMap::new(), None, false).unwrap();
        assert_eq!(steps[0].resume.map(|r| r.running), Some(Some(2)));
        // down refuses a migration that stopped midway
        let err = plan_down_steps(&p, &rec, &BTreeMap::new(), DownTarget::Steps(1)).unwrap_err();
        assert!(
            err[0].to_string().contains("finish it with `strata up`"),
            "{err:?}"
        );
        // a rollback that stopped midway: down continues it, up refuses
        let rb = "DROP INDEX CONCURRENTLY i2;\nDROP INDEX CONCURRENTLY i1;\n";
        rec.insert(Version(1), partial(rb, Way::Rollback, 1, None));
        let steps = plan_down_steps(&p, &rec, &BTreeMap::new(), DownTarget::Steps(1)).unwrap();
        assert_eq!(steps[0].resume.map(|r| r.committed), Some(1));
        let err = plan_up_steps(&p, &rec, &BTreeMap::new(), None, false).unwrap_err();
        assert!(
            err[0].to_string().contains("finish it with `strata down`"),
            "{err:?}"
        );
    }

    #[test]
    fn an_unknown_interrupted_statement_names_both_repairs() {
        let text = "-- strata:no-transaction\nCREATE TABLE t (a int);\nCREATE DATABASE other;\n";
        let p = project(vec![no_tx(4, text)]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(4), partial(text, Way::Apply, 1, Some(2)));
        let rows = status(&p, &rec);
        let rec_text = rows[0].recovery.clone().unwrap_or_default();
        assert!(
            rec_text.contains("`strata repair --resume-after 4:2` if it did"),
            "{rec_text}"
        );
        assert!(
            rec_text.contains("`strata repair --resume-after 4:1` if it did not"),
            "{rec_text}"
        );
    }

    #[test]
    fn status_merges_files_and_history() {
        let p = project(vec![mig(1, "a-changed", true), mig(3, "c", false)]);
        let mut rec = BTreeMap::new();
        rec.insert(Version(1), applied("a"));
        rec.insert(Version(2), applied("b"));
        let s = status(&p, &rec);
        let states: Vec<_> = s.iter().map(|r| (r.version.as_str(), r.state)).collect();
        assert_eq!(
            states,
            vec![
                ("1", MigrationState::Changed),
                ("2", MigrationState::Missing),
                ("3", MigrationState::Pending)
            ]
        );
    }
}
