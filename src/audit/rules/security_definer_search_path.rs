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

#[cfg(test)]
mod tests {
    use crate::audit::testkit::*;
    use crate::audit::FindingId;

    #[test]
    fn definer_without_search_path() {
        let mut cat = catalog();
        add_function(
            &mut cat,
            "count_notes",
            "",
            "bigint",
            true,
            "SELECT count(*) FROM notes",
        );
        if let Some(f) = cat.functions.get_mut("public.count_notes()") {
            f.config.clear();
        }
        add_function(&mut cat, "safe", "", "bigint", true, "SELECT 1");
        let r = audit(&cat, &supabase(), None);
        let f = of(&r, FindingId::SecurityDefinerSearchPath);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].object, "function public.count_notes()");
        insta::assert_snapshot!(render(&r.findings, FindingId::SecurityDefinerSearchPath));
    }
}
