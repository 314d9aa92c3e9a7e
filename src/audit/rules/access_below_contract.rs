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
