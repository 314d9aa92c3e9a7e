//! `security-definer-search-path`: a SECURITY DEFINER function without a fixed `search_path`
//! runs with its owner's rights but resolves names through the caller's search_path, so a
//! caller who can create objects earlier in that path can make it run their code (PostgreSQL
//! docs, "Writing SECURITY DEFINER Functions Safely"; Supabase's `function_search_path_mutable`).

use super::{Context, Finding, FindingId, Severity};

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (key, f) in &cx.catalog.functions {
        if !f.security_definer || f.config.iter().any(|c| c.starts_with("search_path=")) {
            continue;
        }
        let kind = if f.procedure { "procedure" } else { "function" };
        out.push(Finding {
            id: FindingId::SecurityDefinerSearchPath,
            severity: Severity::Error,
            object: format!("{kind} {key}"),
            table: None,
            message: format!(
                "SECURITY DEFINER {kind} without a fixed search_path: it resolves names through the caller's search_path while running with its owner's rights"
            ),
            fix: format!(
                "ALTER {} {key} SET search_path = ''; and schema-qualify every name it uses",
                kind.to_ascii_uppercase()
            ),
        });
    }
    out
}
