//! `user-metadata-trusted`: a policy decides on JWT `user_metadata` (or `raw_user_meta_data`),
//! directly or through a function it calls. Every user can set their own metadata
//! (`supabase.auth.updateUser({ data })`), so a check such as
//! `auth.jwt() -> 'user_metadata' ->> 'role' = 'admin'` lets anyone in. Always an error
//! (Supabase's `rls_references_user_metadata`).

use super::{policy_object, Context, Finding, FindingId, Severity};
use crate::audit::classify::Atom;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(reacher) = cx.reacher else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in cx.catalog.policies.values() {
        let mut what = Vec::new();
        for e in [&p.using, &p.check].into_iter().flatten() {
            for a in reacher.classify(&p.table, e).atoms() {
                if let Atom::UserMetadata { what: w } = a {
                    if !what.contains(w) {
                        what.push(w.clone());
                    }
                }
            }
        }
        if what.is_empty() {
            continue;
        }
        out.push(Finding {
            id: FindingId::UserMetadataTrusted,
            severity: Severity::Error,
            object: policy_object(p),
            table: Some(p.table.clone()),
            message: format!(
                "trusts user_metadata, which every user can set for themselves: {}",
                what.join("; ")
            ),
            fix: "decide on app_metadata (only the server can set it: auth.jwt() -> 'app_metadata'), or on a table users cannot write".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn a_policy_deciding_on_user_metadata() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_admin",
                "SELECT",
                &["authenticated"],
                Some("(((auth.jwt() -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)"),
                None,
            ),
        );
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_app_admin",
                "SELECT",
                &["authenticated"],
                Some("(((auth.jwt() -> 'app_metadata'::text) ->> 'role'::text) = 'admin'::text)"),
                None,
            ),
        );
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::UserMetadataTrusted);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "policy notes_admin on public.notes");
        insta::assert_snapshot!(render(&r.findings, FindingId::UserMetadataTrusted));
    }
}
