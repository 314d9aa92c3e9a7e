//! `access-unclassified`: a policy expression strata cannot classify (an owner test, tenant
//! membership, role or user guard, row filter or constant) may open more than the contract
//! allows. The catalog cannot decide it, so it is said so and left to the probe
//! (`strata audit --probe`), never silently passed. Only with a contract.

use super::access_exceeds_contract::contract_place;
use super::{Context, Finding, FindingId, Severity};
use crate::access::compare::Verdict;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(contract) = cx.contract else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for j in cx
        .judgements
        .iter()
        .filter(|j| j.verdict == Verdict::Unclassified)
    {
        for s in &j.sources {
            out.push(Finding {
                id: FindingId::AccessUnclassified,
                severity: Severity::Warning,
                object: format!("table {}", j.table),
                table: Some(j.table.clone()),
                message: format!(
                    "{}: cannot tell whether {} stays within the contract ({}: {}): strata reads it as {}, which may reach up to {}; the probe (`strata audit --probe`) tests it on live rows",
                    j.command,
                    s.describe(),
                    contract_place(&contract.path, j.pos.line),
                    j.declared,
                    if s.reading.is_empty() { "unknown".to_string() } else { s.reading.clone() },
                    s.hi
                ),
                fix: "run `strata audit --probe` on a database with rows of two users; or rewrite the condition in one of the shapes strata reads (owner test, tenant membership, role guard, row filter)".into(),
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
    fn an_unreadable_condition_is_said_so_and_left_to_the_probe() {
        let cat = notes_with(
            "notes_select",
            Some(policy(
                "notes",
                "notes_select",
                "SELECT",
                &["authenticated"],
                Some("((body ~~ (auth.email() || '%'::text)) OR (user_id = ( SELECT auth.uid() AS uid)))"),
                None,
            )),
        );
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::AccessUnclassified);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(f[0].message.contains("strata audit --probe"));
        assert!(
            of(&r, FindingId::AccessExceedsContract).is_empty(),
            "not a definite error"
        );
        insta::assert_snapshot!(render(&r.findings, FindingId::AccessUnclassified));
    }
}
