//! `security-definer-search-path`: a SECURITY DEFINER function created or changed by the
//! migration without a fixed `search_path`. It runs with its owner's rights but resolves names
//! through the caller's `search_path`, so a caller who can create objects in a schema on that
//! path can make it call their code (CVE-2018-1058 class; Supabase's
//! `function_search_path_mutable`). Judged on the function as the migration leaves it: a later
//! `ALTER FUNCTION … SET search_path` in the same migration is enough.

use super::{Context, Finding, RuleId, Severity};
use crate::lint::facts::StatementFacts;
use std::collections::BTreeMap;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    // Where each function became SECURITY DEFINER without a search_path (created so, made a
    // definer, or had its search_path reset); a statement that changes something else (a
    // REVOKE) does not move the finding.
    let mut became: BTreeMap<u32, &StatementFacts> = BTreeMap::new();
    for s in &cx.facts.statements {
        for c in &s.functions {
            let Some(a) = &c.after else { continue };
            let bad =
                |f: &crate::lint::facts::Function| f.security_definer && !f.fixed_search_path();
            if bad(a) && !c.before.as_ref().is_some_and(bad) {
                became.insert(a.oid, s);
            }
        }
    }
    let mut out = Vec::new();
    for (oid, s) in became {
        let Some(end) = cx.facts.final_state.functions.get(&oid) else {
            continue;
        };
        if !end.security_definer || end.fixed_search_path() {
            continue;
        }
        out.push(cx.finding(
            RuleId::SecurityDefinerSearchPath,
            Severity::Error,
            s,
            Some(format!("function {}", end.signature)),
            format!(
                "{} is SECURITY DEFINER without a fixed search_path: it runs with its owner's rights but finds tables and functions through the caller's search_path",
                end.signature
            ),
            format!(
                "add SET search_path = '' to the function (ALTER FUNCTION {} SET search_path = '';) and qualify every name in its body with its schema",
                end.signature
            ),
        ));
    }
    out.sort_by_key(|f| f.offset);
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn definer_without_search_path_is_an_error() {
        let mut s = Sample::new(
            "CREATE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql SECURITY DEFINER AS $$ SELECT true $$;",
        );
        let mut f = function(20, "is_admin()");
        f.security_definer = true;
        s.facts.final_state.functions.insert(20, f.clone());
        s.stmt(0).functions.push(changed(None, Some(f)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        insta::assert_snapshot!(s.render(&found));
    }

    #[test]
    fn a_later_revoke_does_not_move_the_finding() {
        let mut s = Sample::new(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\nREVOKE EXECUTE ON FUNCTION f() FROM PUBLIC;",
        );
        let mut f = function(20, "f()");
        f.security_definer = true;
        let mut revoked = f.clone();
        revoked.acl = vec!["postgres=X/postgres".into()];
        s.facts.final_state.functions.insert(20, revoked.clone());
        s.stmt(0).functions.push(changed(None, Some(f.clone())));
        s.stmt(1).functions.push(changed(Some(f), Some(revoked)));
        let found = s.check(check);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].statement, 0);
    }

    #[test]
    fn pinned_search_path_or_invoker_is_fine() {
        let mut s = Sample::new(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS $$ SELECT 1 $$;",
        );
        let mut f = function(20, "f()");
        f.security_definer = true;
        f.config = vec!["search_path=\"\"".into()];
        s.facts.final_state.functions.insert(20, f.clone());
        s.stmt(0).functions.push(changed(None, Some(f)));
        assert!(s.check(check).is_empty());

        let mut s = Sample::new("CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;");
        let g = function(21, "g()");
        s.facts.final_state.functions.insert(21, g.clone());
        s.stmt(0).functions.push(changed(None, Some(g)));
        assert!(s.check(check).is_empty());
    }

    #[test]
    fn fixed_later_in_the_migration_is_fine() {
        let mut s = Sample::new(
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$;\nALTER FUNCTION f() SET search_path = '';",
        );
        let mut f = function(20, "f()");
        f.security_definer = true;
        let mut fixed = f.clone();
        fixed.config = vec!["search_path=\"\"".into()];
        s.facts.final_state.functions.insert(20, fixed.clone());
        s.stmt(0).functions.push(changed(None, Some(f.clone())));
        s.stmt(1).functions.push(changed(Some(f), Some(fixed)));
        assert!(s.check(check).is_empty());
    }
}
