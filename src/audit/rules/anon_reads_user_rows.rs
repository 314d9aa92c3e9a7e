//! `anon-reads-user-rows`: a permissive SELECT policy that applies to `anon` (named, or through
//! `public`) on a table whose rows belong to users (it has an owner column), while `anon` holds
//! the SELECT privilege: signed-out visitors can read users' rows. Policies that cannot hold for
//! `anon` (an `auth.uid() = …` or `auth.role() = 'authenticated'` conjunct) are not reported.
//! Only under the `supabase` model, which has an anonymous role.

use super::{policy_object, Context, Finding, FindingId, Severity};
use crate::audit::matrix::{applicability, Access, Applicability, Command};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(anon) = cx.config.anon_role.as_deref() else {
        return out;
    };
    let anon_roles = crate::audit::privilege::inherited(cx.catalog, anon);
    for (key, owners) in cx.owner_columns {
        let Some(first) = owners.first() else {
            continue;
        };
        if !matches!(
            cx.cell(key, anon, Command::Select),
            Some(Access::Allowed { .. })
        ) {
            continue;
        }
        for p in cx.policies_of(key) {
            if !p.permissive
                || applicability(p, anon, &anon_roles, Command::Select, cx.config)
                    != Applicability::Applies
            {
                continue;
            }
            out.push(Finding {
                id: FindingId::AnonReadsUserRows,
                severity: Severity::Error,
                object: policy_object(p),
                table: Some(key.clone()),
                message: format!(
                    "lets {anon} (signed-out visitors) read rows of {key}, which belong to users (owner column {}), when {}",
                    crate::sql::quote_ident(&first.column),
                    super::one_line(p.using.as_deref().unwrap_or("true"))
                ),
                fix: format!(
                    "restrict it with TO authenticated (and a condition on {}), or REVOKE SELECT ON {key} FROM {anon} if visitors must not read it",
                    crate::sql::quote_ident(&first.column)
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn signed_out_visitors_reading_owner_rows_without_a_contract() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_public",
                "SELECT",
                &["anon"],
                Some("true"),
                None,
            ),
        );
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::AnonReadsUserRows);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].object, "policy notes_public on public.notes");
        // With a contract that says public, it is intended: no heuristic finding.
        let public = NOTES_CONTRACT.replace("read = \"owner\"", "read = \"public\"");
        assert!(of(
            &audit(&cat, &supabase(), Some(&public)),
            FindingId::AnonReadsUserRows
        )
        .is_empty());
        insta::assert_snapshot!(render(&r.findings, FindingId::AnonReadsUserRows));
    }
}
