//! Pure decisions: files × recorded history → the state of every migration, and the steps of
//! `up`/`down` or the reasons to refuse. No I/O; tested without a database.

use crate::history::Recorded;
use crate::project::{Migration, Project, Version};
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
    /// Recorded as failed (a no-transaction migration that stopped midway).
    Failed,
}

impl MigrationState {
    pub fn label(self) -> &'static str {
        match self {
            MigrationState::Applied => "applied",
            MigrationState::Pending => "pending",
            MigrationState::Changed => "changed since applied",
            MigrationState::Missing => "applied, file missing",
            MigrationState::Failed => "failed",
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
    let version = m
        .map(|m| m.version)
        .or(v)
        .map(|v| v.to_string())
        .unwrap_or_default();
    let rollback = m.is_some_and(|m| m.rollback.is_some());
    match (m, r) {
        (Some(m), None) => StatusRow {
            version,
            name: m.name.clone(),
            state: MigrationState::Pending,
            rollback,
            applied_at: None,
            duration_ms: None,
            baselined: false,
            note: None,
        },
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
            StatusRow {
                version,
                name: m.map_or_else(|| name.clone(), |m| m.name.clone()),
                state,
                rollback,
                applied_at: Some(applied_at.clone()),
                duration_ms: *duration_ms,
                baselined: *baselined,
                note: None,
            }
        }
        (
            m,
            Some(Recorded::Failed {
                name,
                applied_at,
                note,
            }),
        ) => StatusRow {
            version,
            name: m.map_or_else(|| name.clone(), |m| m.name.clone()),
            state: MigrationState::Failed,
            rollback,
            applied_at: Some(applied_at.clone()),
            duration_ms: None,
            baselined: false,
            note: note.clone(),
        },
        (None, None) => StatusRow {
            version,
            name: String::new(),
            state: MigrationState::Pending,
            rollback: false,
            applied_at: None,
            duration_ms: None,
            baselined: false,
            note: None,
        },
    }
}

/// Why `up` or `down` will not start. Each says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Changed {
        version: Version,
        name: String,
    },
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
        }
    }
}

/// The migrations `up` applies, in order, or every reason it refuses.
pub fn plan_up<'p>(
    project: &'p Project,
    recorded: &BTreeMap<Version, Recorded>,
    to: Option<Version>,
    out_of_order: bool,
) -> Result<Vec<&'p Migration>, Vec<Refusal>> {
    let mut refusals = Vec::new();
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
            (Recorded::Failed { name, note, .. }, _) => refusals.push(Refusal::Failed {
                version: *v,
                name: name.clone(),
                note: note.clone(),
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
        if recorded.contains_key(&m.version) {
            continue;
        }
        if to.is_some_and(|t| m.version > t) {
            continue;
        }
        if let Some(l) = latest {
            if m.version < l && !out_of_order {
                refusals.push(Refusal::OutOfOrder {
                    version: m.version,
                    name: m.name.clone(),
                    latest: l,
                });
                continue;
            }
        }
        steps.push(m);
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
        let name = match r {
            Recorded::Applied { name, .. } | Recorded::Failed { name, .. } => name.clone(),
        };
        if let Recorded::Failed { note, .. } = r {
            refusals.push(Refusal::Failed {
                version: v,
                name,
                note: note.clone(),
            });
            continue;
        }
        match project.get(v) {
            None => refusals.push(Refusal::FileMissing { version: v, name }),
            Some(m) if m.rollback.is_none() => refusals.push(Refusal::NoRollback {
                version: v,
                name: m.name.clone(),
            }),
            Some(m) => steps.push(m),
        }
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
    use crate::project::{Checksum, Directives, Rollback, SourceFile};

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
            Recorded::Failed {
                name: "m1".into(),
                applied_at: "t".into(),
                note: None,
            },
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
