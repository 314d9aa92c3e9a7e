//! The authorization delta between two states (`strata audit --compare`): per table and
//! command, who gains and who loses access, from the reaches of a base state (the live
//! database, or the `--compare URL` database) to a new one (the declared state, or the audited
//! database).
//!
//! A cell is the widest level ordinary users may reach (`hi`) and whether admins reach every
//! row; a cell that changed either is listed, nothing else, so the list is exactly what a
//! pull-request reviewer has to look at.

use super::level::{Command, Level};
use super::reach::Reach;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    Gained,
    Lost,
}

/// One changed cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    pub table: String,
    pub command: Command,
    pub direction: Direction,
    /// The cell before and after (`owner`, `signed-in`, `owner+admin`, `none`).
    pub before: String,
    pub after: String,
    /// Who gains or loses it: `any signed-in user, on any row`, `admins, on every row`.
    pub who: String,
    /// The sources of the wider side (what opens it).
    pub via: Vec<String>,
}

/// `--compare`: the base and new states and the cells that changed from one to the other.
#[derive(Debug, Clone, Serialize)]
pub struct DeltaReport {
    /// The base state (`the live database`, or the URL given, masked).
    pub base: String,
    /// The new state (`the declared state …`, or `the audited database`).
    pub new: String,
    pub changes: Vec<CellChange>,
}

type Cell<'a> = (Level, bool, &'a Reach);

fn cells(rs: &[Reach]) -> BTreeMap<(&str, Command), Cell<'_>> {
    rs.iter()
        .map(|r| {
            (
                (r.table.as_str(), r.command),
                (r.hi, r.admin_any_row && !r.hi.any_row(), r),
            )
        })
        .collect()
}

/// The cells that differ between `before` and `after`, in table and command order.
pub fn delta(before: &[Reach], after: &[Reach]) -> Vec<CellChange> {
    let b = cells(before);
    let a = cells(after);
    let mut keys: Vec<(&str, Command)> = b.keys().chain(a.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let mut out = Vec::new();
    for k in keys {
        let none = |k: (&str, Command)| Reach::none(k.0, k.1);
        let (bn, an);
        let (bl, badm, br) = match b.get(&k) {
            Some(c) => *c,
            None => {
                bn = none(k);
                (Level::None, false, &bn)
            }
        };
        let (al, aadm, ar) = match a.get(&k) {
            Some(c) => *c,
            None => {
                an = none(k);
                (Level::None, false, &an)
            }
        };
        let via = |r: &Reach| r.sources.iter().map(|s| s.describe()).collect::<Vec<_>>();
        let change = |direction, who: String, wider: &Reach| CellChange {
            table: k.0.to_string(),
            command: k.1,
            direction,
            before: br.label(),
            after: ar.label(),
            who,
            via: via(wider),
        };
        if al > bl {
            out.push(change(Direction::Gained, al.describe().to_string(), ar));
        } else if al < bl {
            out.push(change(Direction::Lost, bl.describe().to_string(), br));
        }
        if aadm && !badm && al == bl {
            out.push(change(Direction::Gained, "admins, on every row".into(), ar));
        } else if badm && !aadm && al == bl {
            out.push(change(Direction::Lost, "admins, on every row".into(), br));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(table: &str, cmd: Command, hi: Level, admin: bool) -> Reach {
        Reach {
            lo: hi,
            hi,
            admin_any_row: admin,
            ..Reach::none(table, cmd)
        }
    }

    #[test]
    fn lists_exactly_the_changed_cells() {
        let before = vec![
            r("public.a", Command::Select, Level::Owner, false),
            r("public.a", Command::Update, Level::Owner, false),
            r("public.b", Command::Select, Level::Public, false),
            r("public.c", Command::Delete, Level::Owner, false),
        ];
        let after = vec![
            r("public.a", Command::Select, Level::Owner, false),
            r("public.a", Command::Update, Level::SignedIn, false),
            r("public.b", Command::Select, Level::Owner, false),
            r("public.c", Command::Delete, Level::Owner, true),
            r("public.d", Command::Select, Level::Tenant, false),
        ];
        let d = delta(&before, &after);
        let brief: Vec<(String, Command, Direction, String, String)> = d
            .iter()
            .map(|c| {
                (
                    c.table.clone(),
                    c.command,
                    c.direction,
                    c.before.clone(),
                    c.after.clone(),
                )
            })
            .collect();
        assert_eq!(
            brief,
            vec![
                (
                    "public.a".into(),
                    Command::Update,
                    Direction::Gained,
                    "owner".into(),
                    "signed-in".into()
                ),
                (
                    "public.b".into(),
                    Command::Select,
                    Direction::Lost,
                    "public".into(),
                    "owner".into()
                ),
                (
                    "public.c".into(),
                    Command::Delete,
                    Direction::Gained,
                    "owner".into(),
                    "owner+admin".into()
                ),
                (
                    "public.d".into(),
                    Command::Select,
                    Direction::Gained,
                    "none".into(),
                    "tenant".into()
                ),
            ]
        );
        assert_eq!(d[0].who, "any signed-in user, on any row");
        assert_eq!(d[2].who, "admins, on every row");
        assert!(delta(&before, &before).is_empty());
    }
}
