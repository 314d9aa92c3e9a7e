//! How history recognises a squashed migration (`strata squash`).
//!
//! A squashed migration keeps the version of the last file it replaces and names every file it
//! replaces in its header: `-- strata:replaces VERSION SHA256`, one line each. A database that
//! applied those files has applied it: [`recorded`] folds the history rows, then, for each such
//! migration, counts the replaced versions' entries as the squashed migration's (the replaced
//! versions disappear from the state, the squashed version is applied with the file's own
//! checksum). A database that applied the squashed file itself needs nothing of this.
//!
//! Owns: that decision, as a pure function of files and rows. Must not: write history (nothing
//! is rewritten in the database, so the files can be restored and history reads as before).
//!
//! Rolled back: when the squashed version's newest row is a rollback newer than a replaced
//! version's rows, that version went with it (the squashed rollback undoes every replaced file).

use crate::history::{self, HistoryRow, Kind, Recorded};
use crate::project::{Checksum, Migration, Project, Version};
use std::collections::BTreeMap;

/// Whether `checksum` (as recorded for `version`) is one of the files `m` replaces. A row
/// without a checksum (a baseline) counts.
fn replaced(m: &Migration, version: Version, checksum: Option<&Checksum>) -> bool {
    match checksum {
        None => true,
        Some(c) => m
            .directives
            .replaces
            .iter()
            .any(|(v, sum)| *v == version && sum == c),
    }
}

/// The state of every version, as [`history::fold`] gives it, with squashed migrations
/// recognised.
pub fn recorded(project: &Project, rows: &[HistoryRow]) -> BTreeMap<Version, Recorded> {
    let mut state = history::fold(rows);
    // Each version's newest row: (id, kind, success).
    let mut newest: BTreeMap<Version, (i64, Kind, bool)> = BTreeMap::new();
    for r in rows {
        newest.insert(r.version, (r.id, r.kind, r.success));
    }
    for m in &project.migrations {
        if m.directives.replaces.is_empty() {
            continue;
        }
        let own = m.version;
        let applied = match state.get_mut(&own) {
            Some(Recorded::Applied { name, checksum, .. }) => {
                if checksum.as_ref() != Some(&m.file.checksum)
                    && checksum.is_some()
                    && replaced(m, own, checksum.as_ref())
                {
                    *checksum = Some(m.file.checksum.clone());
                    name.clone_from(&m.name);
                }
                true
            }
            _ => false,
        };
        let rolled_back_at = match newest.get(&own) {
            Some((id, Kind::Rollback, true)) if !applied => Some(*id),
            _ => None,
        };
        let others: Vec<Version> = m
            .directives
            .replaces
            .iter()
            .map(|(v, _)| *v)
            .filter(|v| *v != own)
            .collect();
        for v in others {
            let Some(Recorded::Applied { checksum, .. }) = state.get(&v) else {
                continue;
            };
            if !replaced(m, v, checksum.as_ref()) {
                continue;
            }
            let gone = applied
                || rolled_back_at
                    .is_some_and(|at| newest.get(&v).is_some_and(|(id, _, _)| *id < at));
            if gone {
                state.remove(&v);
            }
        }
    }
    state
}

/// Versions a pending squashed migration replaces that the database applied: the database is
/// part of the way through the old files, and applying the squashed one would redo them.
pub fn partly_applied(m: &Migration, state: &BTreeMap<Version, Recorded>) -> Vec<Version> {
    let mut out: Vec<Version> = m
        .directives
        .replaces
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| *v != m.version && matches!(state.get(v), Some(Recorded::Applied { .. })))
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Directives, SourceFile};

    fn sum(s: &str) -> Checksum {
        Checksum::of(s.as_bytes())
    }

    fn row(id: i64, v: u128, kind: Kind, text: Option<&str>) -> HistoryRow {
        HistoryRow {
            id,
            version: Version(v),
            name: format!("m{v}"),
            kind,
            checksum: text.map(sum),
            applied_at: "t".into(),
            applied_by: "u".into(),
            duration_ms: None,
            success: true,
            note: None,
            step: None,
        }
    }

    fn squashed(v: u128, replaces: &[(u128, &str)]) -> Project {
        let text = "CREATE TABLE squashed ();";
        Project {
            migrations: vec![Migration {
                version: Version(v),
                name: "squashed".into(),
                file: SourceFile {
                    path: "x".into(),
                    display: "x".into(),
                    text: text.into(),
                    checksum: sum(text),
                },
                directives: Directives {
                    transactional: true,
                    replaces: replaces
                        .iter()
                        .map(|(v, t)| (Version(*v), sum(t)))
                        .collect(),
                    ..Default::default()
                },
                rollback: None,
            }],
        }
    }

    #[test]
    fn a_database_at_the_old_head_has_applied_the_squashed_migration() {
        let p = squashed(3, &[(1, "a"), (2, "b"), (3, "c")]);
        let rows = [
            row(1, 1, Kind::Apply, Some("a")),
            row(2, 2, Kind::Apply, Some("b")),
            row(3, 3, Kind::Apply, Some("c")),
        ];
        let s = recorded(&p, &rows);
        assert_eq!(s.len(), 1, "{s:?}");
        match &s[&Version(3)] {
            Recorded::Applied { checksum, name, .. } => {
                assert_eq!(checksum.as_ref(), Some(&p.migrations[0].file.checksum));
                assert_eq!(name, "squashed");
            }
            other => panic!("{other:?}"),
        }
        let status = crate::engine::status(&p, &s);
        assert_eq!(status.len(), 1);
        assert_eq!(status[0].state, crate::engine::MigrationState::Applied);
    }

    #[test]
    fn another_file_under_a_replaced_version_is_not_taken_for_it() {
        let p = squashed(3, &[(1, "a"), (2, "b"), (3, "c")]);
        let rows = [
            row(1, 1, Kind::Apply, Some("a")),
            row(2, 2, Kind::Apply, Some("b")),
            row(3, 3, Kind::Apply, Some("other")),
        ];
        let s = recorded(&p, &rows);
        let status = crate::engine::status(&p, &s);
        assert_eq!(status[0].state, crate::engine::MigrationState::Changed);
    }

    #[test]
    fn rolling_back_the_squashed_migration_takes_the_replaced_versions_with_it() {
        let p = squashed(3, &[(1, "a"), (2, "b"), (3, "c")]);
        let rows = [
            row(1, 1, Kind::Apply, Some("a")),
            row(2, 2, Kind::Apply, Some("b")),
            row(3, 3, Kind::Apply, Some("c")),
            row(4, 3, Kind::Rollback, None),
        ];
        assert!(recorded(&p, &rows).is_empty());
    }

    #[test]
    fn a_database_part_of_the_way_through_the_old_files_is_named() {
        let p = squashed(3, &[(1, "a"), (2, "b"), (3, "c")]);
        let rows = [row(1, 1, Kind::Apply, Some("a"))];
        let s = recorded(&p, &rows);
        assert_eq!(partly_applied(&p.migrations[0], &s), vec![Version(1)]);
    }
}
