//! `access-below-contract`: the contract allows a command at some level, and no API role
//! reaches it (no grant, no policy, or narrower ones). Not a leak, so a warning: either the
//! contract promises more than the policies give (tighten it), or a policy is missing. Only
//! with a contract.

use super::access_exceeds_contract::contract_place;
use super::{Context, Finding, FindingId, Severity};
use crate::access::compare::Verdict;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(contract) = cx.contract else {
        return Vec::new();
    };
    cx.judgements
        .iter()
        .filter(|j| j.verdict == Verdict::Below)
        .map(|j| Finding {
            id: FindingId::AccessBelowContract,
            severity: Severity::Warning,
            object: format!("table {}", j.table),
            table: Some(j.table.clone()),
            message: format!(
                "{}: the contract ({}) allows {} ({}), but the policies and grants give {}",
                j.command,
                contract_place(&contract.path, j.pos.line),
                j.declared,
                j.declared.describe(),
                j.effective
            ),
            fix: format!(
                "add the {} policy (and grant) the contract promises, or narrow `{}` in {} to what is intended",
                j.command,
                j.command.contract_word(),
                contract.path
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::{FindingId, Severity};

    #[test]
    fn a_missing_delete_policy_is_below_the_contract() {
        let cat = notes_with("notes_delete", None);
        let r = audit(&cat, &supabase(), Some(NOTES_CONTRACT));
        let f = of(&r, FindingId::AccessBelowContract);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.starts_with("DELETE:"), "{}", f[0].message);
        assert!(!r.failed());
        insta::assert_snapshot!(render(&r.findings, FindingId::AccessBelowContract));
        // With every policy there, nothing is below.
        let mut full = catalog();
        good_notes(&mut full);
        assert!(of(
            &audit(&full, &supabase(), Some(NOTES_CONTRACT)),
            FindingId::AccessBelowContract
        )
        .is_empty());
    }
}
