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
    for j in cx.judgements.iter().filter(|j| j.verdict == Verdict::Unclassified) {
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
