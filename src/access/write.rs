//! `strata audit --write-contract`: a contract written from what the policies allow today, for
//! review (like a snapshot). Every audited table is listed with its level per command as the
//! audit computed it, its owner and tenant as the policies test them, admin extras, and a
//! comment where a level could not be fully classified; `[defaults]` are `none`, so a table
//! added later must be declared. The project satisfies the contract it gets by construction; a
//! later leak violates it.

use super::contract::{OwnerRef, TenantRef, TenantRelation};
use super::level::{Command, Level};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A table (or view) as it will be written.
#[derive(Debug, Clone, Default)]
pub struct DraftTable {
    pub key: String,
    pub view: bool,
    pub owner: Vec<OwnerRef>,
    pub tenant: Option<TenantRef>,
    /// Widest level per command (`Command::index`).
    pub levels: [Option<Level>; 4],
    /// `lo..hi` when the command was not fully classified.
    pub unclassified: [Option<String>; 4],
    pub admin: BTreeSet<Command>,
}

/// Everything the write-out needs.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// `supabase` or `setting (role app_user, setting app.current_user_id)`.
    pub model: String,
    pub users: Vec<String>,
    pub admins: Vec<String>,
    pub tenants: Vec<TenantRelation>,
    pub tables: Vec<DraftTable>,
    /// SECURITY DEFINER functions the policies call (written as trusted: they are part of what
    /// the policies do today).
    pub trusted: Vec<String>,
    /// Other SECURITY DEFINER functions API roles may call (written commented out, for review).
    pub untrusted: Vec<String>,
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(v: &[String]) -> String {
    format!(
        "[{}]",
        v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
    )
}

/// The contract's text.
pub fn write(d: &Draft) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# policies/access.toml: the access contract (SPEC 4a), written by `strata audit --write-contract`\n\
         # from what the policies allow today (auth model {}). Review every level: strata judges the\n\
         # policies against this file from now on (`strata audit`, `strata audit --probe`).\n\
         #\n\
         # Levels, widest first: public, signed-in, tenant, owner, admin, none.",
        d.model
    );
    o.push_str("\n[principals]\n");
    if d.users.is_empty() {
        o.push_str("# users = [\"<id of a user with rows>\", \"<id of another>\"]  # who the probe acts as\nusers = []\n");
    } else {
        let _ = writeln!(o, "users = {}   # who the probe acts as", list(&d.users));
    }
    if d.admins.is_empty() {
        o.push_str("admins = []\n");
    } else {
        let _ = writeln!(
            o,
            "admins = {}   # never used as attackers",
            list(&d.admins)
        );
    }
    for t in &d.tenants {
        let _ = writeln!(o, "\n[tenants.{}]", t.name);
        let _ = writeln!(o, "table = {}", q(&t.table));
        let _ = writeln!(o, "tenant = {}", q(&t.tenant));
        if t.users.len() == 1 {
            let _ = writeln!(o, "user = {}", q(&t.users[0]));
        } else {
            let _ = writeln!(o, "user = {}", list(&t.users));
        }
    }
    o.push_str(
        "\n[defaults]   # tables added later must be declared below before API roles reach them\nread = \"none\"\nwrite = \"none\"\n",
    );
    for t in &d.tables {
        let _ = writeln!(
            o,
            "\n[tables.{}]{}",
            q(&t.key),
            if t.view { "   # a view" } else { "" }
        );
        let mut levels = t.levels.map(|l| l.unwrap_or(Level::None));
        let mut notes = Vec::new();
        for c in Command::ALL {
            let i = c.index();
            if levels[i] == Level::Owner && t.owner.is_empty() {
                notes.push(format!(
                    "{}: the policies allow the row's owner, but strata could not name the owner column; set `owner` and narrow to \"owner\"",
                    c.contract_word()
                ));
                levels[i] = Level::SignedIn;
            }
            if levels[i] == Level::Tenant && t.tenant.is_none() {
                notes.push(format!(
                    "{}: the policies allow members of the row's tenant, reached through another table; declare a tenant relation and narrow to \"tenant\"",
                    c.contract_word()
                ));
                levels[i] = Level::SignedIn;
            }
            if let Some(u) = &t.unclassified[i] {
                notes.push(format!(
                    "{}: not fully classified ({u}); written as the widest it may be, review it",
                    c.contract_word()
                ));
            }
        }
        for n in notes {
            let _ = writeln!(o, "# {n}");
        }
        let uses_owner = levels.contains(&Level::Owner);
        if !t.owner.is_empty() && (uses_owner || !t.view) {
            let refs: Vec<String> = t.owner.iter().map(|r| r.to_string()).collect();
            if refs.len() == 1 {
                let _ = writeln!(o, "owner = {}", q(&refs[0]));
            } else {
                let _ = writeln!(o, "owner = {}", list(&refs));
            }
        }
        if let Some(tn) = &t.tenant {
            let _ = writeln!(
                o,
                "tenant = {}",
                q(&format!("{}.{}", tn.relation, tn.column))
            );
        }
        let _ = writeln!(o, "read = {}", q(levels[0].as_str()));
        if levels[1] == levels[2] && levels[2] == levels[3] {
            let _ = writeln!(o, "write = {}", q(levels[1].as_str()));
        } else {
            for c in [Command::Insert, Command::Update, Command::Delete] {
                let _ = writeln!(
                    o,
                    "{} = {}",
                    c.contract_word(),
                    q(levels[c.index()].as_str())
                );
            }
        }
        let extras: Vec<String> = Command::ALL
            .iter()
            .filter(|c| {
                t.admin.contains(c)
                    && !levels[c.index()].any_row()
                    && levels[c.index()] != Level::Admin
            })
            .map(|c| c.contract_word().to_string())
            .collect();
        if !extras.is_empty() {
            let _ = writeln!(o, "admin = {}   # admins reach every row", list(&extras));
        }
    }
    o.push_str("\n[functions]\n");
    if d.trusted.is_empty() {
        o.push_str("trusted = []\n");
    } else {
        o.push_str("# SECURITY DEFINER functions the policies call; trusted to reveal or change nothing beyond this contract\n");
        let _ = writeln!(o, "trusted = {}", list(&d.trusted));
    }
    if !d.untrusted.is_empty() {
        o.push_str("# Other SECURITY DEFINER functions API roles may call: review them before trusting them\n");
        for f in &d.untrusted {
            let _ = writeln!(o, "#   {f}");
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_parser() {
        let mut notes = DraftTable {
            key: "public.notes".into(),
            owner: vec![OwnerRef::Column {
                column: "user_id".into(),
            }],
            ..Default::default()
        };
        notes.levels = [
            Some(Level::Public),
            Some(Level::Owner),
            Some(Level::Owner),
            Some(Level::Owner),
        ];
        notes.admin = BTreeSet::from([Command::Delete, Command::Select]);
        let mut docs = DraftTable {
            key: "public.docs".into(),
            tenant: Some(TenantRef {
                relation: "team".into(),
                column: "team_id".into(),
            }),
            ..Default::default()
        };
        docs.levels = [
            Some(Level::Tenant),
            Some(Level::Owner),
            None,
            Some(Level::Tenant),
        ];
        docs.unclassified[2] = Some("none..signed-in".into());
        let d = Draft {
            model: "supabase".into(),
            users: vec!["u1".into(), "u2".into()],
            admins: vec!["a1".into()],
            tenants: vec![TenantRelation {
                name: "team".into(),
                table: "public.team_members".into(),
                tenant: "team_id".into(),
                users: vec!["user_id".into()],
                pos: Default::default(),
            }],
            tables: vec![notes, docs],
            trusted: vec!["public.is_admin()".into()],
            untrusted: vec!["public.leak(uuid)".into()],
        };
        let text = write(&d);
        let c = crate::access::parse::parse("access.toml", &text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let n = c.resolve("public.notes");
        assert_eq!(
            n.levels,
            [Level::Public, Level::Owner, Level::Owner, Level::Owner]
        );
        assert_eq!(n.admin, BTreeSet::from([Command::Delete]));
        let docs = c.resolve("public.docs");
        // insert: owner without an owner column is written wider, with a note
        assert_eq!(
            docs.levels,
            [Level::Tenant, Level::SignedIn, Level::None, Level::Tenant]
        );
        assert!(
            text.contains("# insert: the policies allow the row's owner"),
            "{text}"
        );
        assert!(
            text.contains("# update: not fully classified (none..signed-in)"),
            "{text}"
        );
        assert!(text.contains("#   public.leak(uuid)"), "{text}");
        assert_eq!(c.resolve("public.other").levels, [Level::None; 4]);
        assert_eq!(c.principals.admins, vec!["a1".to_string()]);
        assert_eq!(c.trusted, vec!["public.is_admin()".to_string()]);
    }
}
