//! The contract held against what the catalog allows, cell by cell (table × command): access
//! wider than declared (`exceeds`, naming the role and the policy or grant that opens it),
//! narrower (`below`), or not decidable from the catalog (`unclassified`: an expression that
//! could not be read, left to the probe).
//!
//! Pure: contract and reaches in, judgements out. Views not listed in the contract are left to
//! the audit's `view-over-contract-table` rule, which knows what they read.

use super::contract::{Contract, Pos};
use super::level::{Command, Level};
use super::reach::{Reach, Source};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Some role certainly reaches more than the contract allows.
    Exceeds,
    /// Admins reach every row where the contract does not say they may.
    AdminExceeds,
    /// Some role may reach more: an expression could not be classified.
    Unclassified,
    /// Nobody reaches what the contract allows.
    Below,
}

/// One cell that does not match the contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub table: String,
    pub command: Command,
    pub verdict: Verdict,
    pub declared: Level,
    /// The cell as computed (`owner`, `owner..public`, `owner+admin`).
    pub effective: String,
    /// The sources responsible (for `below`: none).
    pub sources: Vec<Source>,
    /// The table's entry in the contract (line 0: covered by `[defaults]`).
    pub pos: Pos,
}

/// Judges every reach whose table is covered by the contract (tables always, views only when
/// listed); `is_view` tells views apart.
pub fn compare(
    contract: &Contract,
    reaches: &[Reach],
    is_view: impl Fn(&str) -> bool,
) -> Vec<Judgement> {
    let mut out = Vec::new();
    for r in reaches {
        let res = contract.resolve(&r.table);
        if !res.listed && is_view(&r.table) {
            continue;
        }
        let declared = res.level(r.command);
        let admin_ok = res.admin_any_row(r.command);
        let judge = |verdict: Verdict, sources: Vec<Source>| Judgement {
            table: r.table.clone(),
            command: r.command,
            verdict,
            declared,
            effective: r.label(),
            sources,
            pos: res.pos,
        };
        let exceeding: Vec<Source> = r
            .sources
            .iter()
            .filter(|s| s.lo > declared && !(s.admin && s.lo == Level::Admin && admin_ok))
            .cloned()
            .collect();
        let admin: Vec<Source> = r
            .sources
            .iter()
            .filter(|s| s.admin && !admin_ok && s.lo <= declared)
            .cloned()
            .collect();
        let unclassified: Vec<Source> = r
            .sources
            .iter()
            .filter(|s| s.hi > declared && s.lo <= declared && !(s.admin && s.hi == Level::Admin))
            .cloned()
            .collect();
        if !exceeding.is_empty() {
            out.push(judge(Verdict::Exceeds, exceeding));
        }
        if !admin.is_empty() {
            out.push(judge(Verdict::AdminExceeds, admin));
        }
        if !unclassified.is_empty() {
            out.push(judge(Verdict::Unclassified, unclassified));
        }
        if r.hi < declared && declared != Level::Admin {
            out.push(judge(Verdict::Below, Vec::new()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::reach::Via;

    fn src(role: &str, lo: Level, hi: Level, admin: bool, policy: &str) -> Source {
        Source {
            role: role.into(),
            lo,
            hi,
            admin,
            via: Via::Policy {
                name: policy.into(),
                clause: "USING".into(),
            },
            grant: String::new(),
            reading: String::new(),
        }
    }

    fn reach(table: &str, cmd: Command, sources: Vec<Source>) -> Reach {
        let mut r = Reach::none(table, cmd);
        for s in sources {
            r.lo = r.lo.max(s.lo);
            r.hi = r.hi.max(s.hi);
            r.admin_any_row |= s.admin;
            r.sources.push(s);
        }
        r
    }

    fn contract(text: &str) -> Contract {
        crate::access::parse::parse("a.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn exceeds_below_unclassified_and_admins() {
        let c = contract(
            "[defaults]\nread = \"none\"\nwrite = \"none\"\n\
             [tables.\"public.notes\"]\nowner = \"user_id\"\nread = \"owner\"\nwrite = \"owner\"\nadmin = [\"read\"]\n",
        );
        let rs = vec![
            // read: owner + admins (allowed by admin = ["read"])
            reach(
                "public.notes",
                Command::Select,
                vec![
                    src("authenticated", Level::Owner, Level::Owner, false, "own"),
                    src("authenticated", Level::Admin, Level::Admin, true, "adm"),
                ],
            ),
            // update: anyone signed in
            reach(
                "public.notes",
                Command::Update,
                vec![src(
                    "authenticated",
                    Level::SignedIn,
                    Level::SignedIn,
                    false,
                    "upd",
                )],
            ),
            // delete: admins, not allowed
            reach(
                "public.notes",
                Command::Delete,
                vec![
                    src("authenticated", Level::Owner, Level::Owner, false, "del"),
                    src("authenticated", Level::Admin, Level::Admin, true, "adm"),
                ],
            ),
            // insert: unknown expression
            reach(
                "public.notes",
                Command::Insert,
                vec![src(
                    "authenticated",
                    Level::None,
                    Level::SignedIn,
                    false,
                    "ins",
                )],
            ),
            // an unlisted table under defaults none: someone reads it
            reach(
                "public.other",
                Command::Select,
                vec![src("anon", Level::Public, Level::Public, false, "pub")],
            ),
            // listed, allowed, nobody can
            reach("public.notes", Command::Select, vec![]),
        ];
        let j = compare(&c, &rs, |_| false);
        let brief: Vec<(String, Command, Verdict)> = j
            .iter()
            .map(|j| (j.table.clone(), j.command, j.verdict))
            .collect();
        assert_eq!(
            brief,
            vec![
                ("public.notes".into(), Command::Update, Verdict::Exceeds),
                (
                    "public.notes".into(),
                    Command::Delete,
                    Verdict::AdminExceeds
                ),
                (
                    "public.notes".into(),
                    Command::Insert,
                    Verdict::Unclassified
                ),
                ("public.other".into(), Command::Select, Verdict::Exceeds),
                ("public.notes".into(), Command::Select, Verdict::Below),
            ]
        );
        assert_eq!(j[0].sources[0].role, "authenticated");
        assert_eq!(j[0].declared, Level::Owner);
        assert_eq!(j[0].effective, "signed-in");
        assert_eq!(j[3].pos.line, 0);
        assert_eq!(j[4].pos.line, 4);
    }

    #[test]
    fn unlisted_views_are_left_to_their_rule() {
        let c = contract("[defaults]\nread = \"none\"\n");
        let rs = vec![reach(
            "public.v",
            Command::Select,
            vec![src("anon", Level::Public, Level::Public, false, "x")],
        )];
        assert!(compare(&c, &rs, |k| k == "public.v").is_empty());
        assert_eq!(compare(&c, &rs, |_| false).len(), 1);
    }
}
