//! `view-over-contract-table`: a view or materialized view that the contract does not list,
//! which an API role can read, and which shows more of its base tables than the contract lets
//! that role read from them (a view without `security_invoker` reads as its owner; a
//! materialized view is a copy without row-level security). The finding names the view. Only
//! with a contract; a listed view is compared like a table (`access-exceeds-contract`).

use super::{Context, Finding, FindingId, Severity};
use crate::access::{Command, Level};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(c) = cx.contract else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, v) in &cx.catalog.views {
        if c.tables.contains_key(key) {
            continue;
        }
        let Some(reach) = cx.reaches.get(&(key.as_str(), Command::Select)) else {
            continue;
        };
        if reach.hi == Level::None {
            continue;
        }
        let bases: Vec<&String> = cx
            .catalog
            .view_reads
            .get(key)
            .map(|b| {
                b.iter()
                    .filter(|t| cx.catalog.tables.contains_key(*t))
                    .collect()
            })
            .unwrap_or_default();
        if bases.is_empty() {
            continue;
        }
        let allowed = bases
            .iter()
            .map(|t| c.resolve(t).level(Command::Select))
            .max()
            .unwrap_or(Level::None);
        if reach.hi <= allowed {
            continue;
        }
        let kind = if v.materialized {
            "materialized view"
        } else {
            "view"
        };
        let how: Vec<String> = reach.sources.iter().map(|s| s.describe()).collect();
        out.push(Finding {
            id: FindingId::ViewOverContractTable,
            severity: Severity::Error,
            object: format!("{kind} {key}"),
            table: Some(key.clone()),
            message: format!(
                "is not in the access contract, shows rows of {} to {} ({}: {}), while the contract lets readers of those tables see {} at most",
                bases.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", "),
                reach.sources.iter().map(|s| s.role.as_str()).collect::<Vec<_>>().join(", "),
                reach.label(),
                how.join("; "),
                allowed
            ),
            fix: if v.materialized {
                format!("REVOKE SELECT ON {key} FROM anon, authenticated; or list it under [tables] in {} if everyone may read it", c.path)
            } else {
                format!("ALTER VIEW {key} SET (security_invoker = true); or list it under [tables] in {} with the level intended", c.path)
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn an_unlisted_definer_view_names_the_view() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_view(
            &mut cat,
            "note_bodies",
            " SELECT notes.id, notes.body FROM public.notes;",
            &["public.notes"],
            &[],
            false,
        );
        add_view(
            &mut cat,
            "safe",
            " SELECT notes.id FROM public.notes;",
            &["public.notes"],
            &["security_invoker=true"],
            false,
        );
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::ViewOverContractTable);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "view public.note_bodies");
        assert_eq!(f[0].table.as_deref(), Some("public.note_bodies"));
        insta::assert_snapshot!(render(&r.findings, FindingId::ViewOverContractTable));
    }
}
