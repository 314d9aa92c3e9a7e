//! `sequence-granted`: an API role holds a privilege on a sequence that nothing in the contract
//! needs. `SELECT` lets it read `last_value` (how many orders, users, invoices exist),
//! `UPDATE` lets it `setval` (every later insert collides) and `USAGE` lets it burn values; the
//! only one a client needs is `USAGE`, and only on the sequence behind a column of a table it
//! may insert into. Supabase's default privileges grant all three to `anon` and
//! `authenticated` on every new sequence. An error with a contract, a warning without.
//! (Identity columns' sequences are part of their column in the catalog and are not judged.)

use super::{Context, Finding, FindingId, Severity};
use crate::access::Command;
use crate::audit::privilege;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, seq) in &cx.catalog.sequences {
        let table = seq
            .owned_by
            .as_deref()
            .and_then(|o| o.rsplit_once('.'))
            .map(|(t, _)| t.to_string());
        let mut extra: Vec<String> = Vec::new();
        let mut roles_hit: Vec<String> = Vec::new();
        for role in &cx.config.api_roles {
            if !cx
                .catalog
                .roles
                .contains_key(&crate::sql::quote_ident(role))
            {
                continue;
            }
            let roles = privilege::inherited(cx.catalog, role);
            let inserts = table.as_deref().is_some_and(|t| {
                cx.reaches
                    .get(&(t, Command::Insert))
                    .is_some_and(|r| r.sources.iter().any(|s| &s.role == role))
            });
            let held: Vec<&str> = ["USAGE", "SELECT", "UPDATE"]
                .into_iter()
                .filter(|p| privilege::granted(&seq.acl, p, &roles, None))
                .filter(|p| !(*p == "USAGE" && inserts))
                .collect();
            if !held.is_empty() {
                extra.push(format!("{role} ({})", held.join(", ")));
                roles_hit.push(role.clone());
            }
        }
        if extra.is_empty() {
            continue;
        }
        out.push(Finding {
            id: FindingId::SequenceGranted,
            severity: if cx.contract.is_some() {
                Severity::Error
            } else {
                Severity::Warning
            },
            object: format!("sequence {key}"),
            table: table.clone(),
            message: format!(
                "{} hold privileges on it that no insert they may make needs: SELECT reads last_value (how many rows exist), UPDATE allows setval (later inserts collide), USAGE burns values",
                extra.join(", ")
            ),
            fix: format!(
                "REVOKE ALL ON SEQUENCE {key} FROM {}; then GRANT USAGE ON SEQUENCE {key} only to roles that insert into {}",
                roles_hit.join(", "),
                table.as_deref().unwrap_or("its table")
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;
    use crate::catalog::Sequence;

    #[test]
    fn privileges_no_insert_needs() {
        let mut cat = catalog();
        good_notes(&mut cat);
        cat.sequences.insert(
            "public.notes_no_seq".into(),
            Sequence {
                owner: "postgres".into(),
                schema: "public".into(),
                name: "notes_no_seq".into(),
                data_type: "bigint".into(),
                start: 1,
                increment: 1,
                min_value: 1,
                max_value: i64::MAX,
                cache: 1,
                cycle: false,
                owned_by: Some("public.notes.no".into()),
                comment: None,
                acl: [
                    vec![
                        grant("anon", "SELECT"),
                        grant("anon", "USAGE"),
                        grant("anon", "UPDATE"),
                    ],
                    vec![grant("authenticated", "USAGE")],
                ]
                .concat(),
            },
        );
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::SequenceGranted);
        assert_eq!(f.len(), 1, "{f:#?}");
        // authenticated inserts notes, so its USAGE is needed; anon's privileges are not.
        assert!(
            f[0].message
                .starts_with("anon (USAGE, SELECT, UPDATE) hold"),
            "{}",
            f[0].message
        );
        insta::assert_snapshot!(render(&r.findings, FindingId::SequenceGranted));
    }
}
