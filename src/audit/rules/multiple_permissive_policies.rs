//! `multiple-permissive-policies`: more than one permissive policy applies to the same role and
//! command on a table. PostgreSQL evaluates and ORs every one of them for every row, which is
//! slow, and each new one silently widens access (Supabase's `multiple_permissive_policies`).
//! Read from the access matrix, so policies that cannot apply to a role (another role,
//! `auth.role() = 'x'` guards) are not counted, and roles that skip RLS are left out.

use super::{Context, Finding, FindingId, Severity};
use crate::audit::matrix::{Access, Command};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for key in cx.catalog.tables.keys() {
        let mut parts = Vec::new();
        for role in &cx.config.roles {
            for cmd in Command::ALL {
                if let Some(Access::Allowed { policies, .. }) = cx.cell(key, role, cmd) {
                    if policies.len() > 1 {
                        parts.push(format!("{role} {cmd} ({})", policies.join(", ")));
                    }
                }
            }
        }
        if parts.is_empty() {
            continue;
        }
        out.push(Finding {
            id: FindingId::MultiplePermissivePolicies,
            severity: Severity::Warning,
            object: format!("table {key}"),
            table: Some(key.clone()),
            message: format!(
                "several permissive policies apply to the same role and command, and each is evaluated for every row: {}",
                parts.join("; ")
            ),
            fix: "merge them into one policy per role and command whose condition ORs theirs (or make the narrowing ones AS RESTRICTIVE)".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn two_permissive_select_policies_for_one_role() {
        let mut cat = catalog();
        good_notes(&mut cat);
        add_policy(
            &mut cat,
            policy(
                "notes",
                "notes_debug",
                "SELECT",
                &["authenticated"],
                Some("(body IS NOT NULL)"),
                None,
            ),
        );
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::MultiplePermissivePolicies);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .contains("authenticated SELECT (notes_debug, notes_select)"),
            "{}",
            f[0].message
        );
        insta::assert_snapshot!(render(&r.findings, FindingId::MultiplePermissivePolicies));
    }
}
