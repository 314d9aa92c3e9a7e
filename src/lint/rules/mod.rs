//! The lint's rules: one finding kind per file, each a plain function from the shared
//! [`Context`] (one migration's observed facts, its statements' text, the configuration) to its
//! findings. A file is named after its rule id in snake_case; the id itself is kebab-case and
//! round-trips through `Display`/`FromStr`, and is what text, JSON and `-- strata:allow` use.
//!
//! Rules decide from what PostgreSQL did on the shadow (locks, new storage, scans, catalog rows
//! before and after), and read the statement text only for what running it cannot show.

mod column_dropped;
mod column_renamed;
mod constraint_without_not_valid;
mod exclusive_lock_slow_work;
mod grant_to_anon_or_public;
mod index_not_concurrent;
mod migration_fails;
mod missing_lock_timeout;
mod not_null_without_check;
mod policy_always_true;
mod security_definer_search_path;
mod table_dropped;
mod table_renamed;
mod table_rewrite;
mod table_without_rls;
mod view_bypasses_rls;

#[cfg(test)]
pub(crate) mod testing;

use super::facts::{MigrationFacts, Oid, RelKind, StatementFacts};
use super::statement::Words;
use crate::project::SourceFile;
use serde::Serialize;
use std::collections::BTreeSet;

/// Every rule, in the order findings of one statement are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    MigrationFails,
    IndexNotConcurrent,
    TableRewrite,
    ConstraintWithoutNotValid,
    NotNullWithoutCheck,
    ExclusiveLockSlowWork,
    ColumnDropped,
    ColumnRenamed,
    TableDropped,
    TableRenamed,
    MissingLockTimeout,
    TableWithoutRls,
    GrantToAnonOrPublic,
    SecurityDefinerSearchPath,
    ViewBypassesRls,
    PolicyAlwaysTrue,
    AllowInvalid,
    AllowUnused,
}

impl RuleId {
    pub const ALL: [RuleId; 18] = [
        RuleId::MigrationFails,
        RuleId::IndexNotConcurrent,
        RuleId::TableRewrite,
        RuleId::ConstraintWithoutNotValid,
        RuleId::NotNullWithoutCheck,
        RuleId::ExclusiveLockSlowWork,
        RuleId::ColumnDropped,
        RuleId::ColumnRenamed,
        RuleId::TableDropped,
        RuleId::TableRenamed,
        RuleId::MissingLockTimeout,
        RuleId::TableWithoutRls,
        RuleId::GrantToAnonOrPublic,
        RuleId::SecurityDefinerSearchPath,
        RuleId::ViewBypassesRls,
        RuleId::PolicyAlwaysTrue,
        RuleId::AllowInvalid,
        RuleId::AllowUnused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::MigrationFails => "migration-fails",
            RuleId::IndexNotConcurrent => "index-not-concurrent",
            RuleId::TableRewrite => "table-rewrite",
            RuleId::ConstraintWithoutNotValid => "constraint-without-not-valid",
            RuleId::NotNullWithoutCheck => "not-null-without-check",
            RuleId::ExclusiveLockSlowWork => "exclusive-lock-slow-work",
            RuleId::ColumnDropped => "column-dropped",
            RuleId::ColumnRenamed => "column-renamed",
            RuleId::TableDropped => "table-dropped",
            RuleId::TableRenamed => "table-renamed",
            RuleId::MissingLockTimeout => "missing-lock-timeout",
            RuleId::TableWithoutRls => "table-without-rls",
            RuleId::GrantToAnonOrPublic => "grant-to-anon-or-public",
            RuleId::SecurityDefinerSearchPath => "security-definer-search-path",
            RuleId::ViewBypassesRls => "view-bypasses-rls",
            RuleId::PolicyAlwaysTrue => "policy-always-true",
            RuleId::AllowInvalid => "allow-invalid",
            RuleId::AllowUnused => "allow-unused",
        }
    }

    /// Locking and safety, or security (for the summary).
    pub fn category(self) -> &'static str {
        match self {
            RuleId::TableWithoutRls
            | RuleId::GrantToAnonOrPublic
            | RuleId::SecurityDefinerSearchPath
            | RuleId::ViewBypassesRls
            | RuleId::PolicyAlwaysTrue => "security",
            RuleId::AllowInvalid | RuleId::AllowUnused => "allow",
            _ => "safety",
        }
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RuleId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown rule `{s}`"))
    }
}

/// How bad a finding is. `error` makes `strata lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding of one rule, located by statement and byte offset in the migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    /// 0-based index of the statement (what `-- strata:allow` attaches to).
    pub statement: usize,
    /// Byte offset in the file the caret points at.
    pub offset: usize,
    /// The object concerned (`table public.orders`), when there is one.
    pub object: Option<String>,
    pub message: String,
    /// What to write instead, spelled out.
    pub fix: String,
}

/// What the rules know about one migration.
pub struct Context<'a> {
    pub file: &'a SourceFile,
    pub facts: &'a MigrationFacts,
    /// The statements' leading words, by statement index.
    pub words: Vec<Words>,
    /// `[database] schemas`: the schemas an API exposes.
    pub exposed_schemas: &'a [String],
    /// Roles clients reach the database as (`anon`, `authenticated`; or the `setting` role).
    pub api_roles: &'a [String],
    /// The signed-out role (`anon` under the supabase model).
    pub anon_role: Option<&'a str>,
    /// A lock timeout applies to the whole file (its directive or `[database] lock_timeout`).
    pub lock_timeout: Option<&'a str>,
    /// Tables (`schema.name`) whose row-level security `policies/` enables.
    pub rls_from_policies: &'a BTreeSet<String>,
}

impl<'a> Context<'a> {
    pub fn new(
        file: &'a SourceFile,
        facts: &'a MigrationFacts,
        exposed_schemas: &'a [String],
        api_roles: &'a [String],
        anon_role: Option<&'a str>,
        lock_timeout: Option<&'a str>,
        rls_from_policies: &'a BTreeSet<String>,
    ) -> Context<'a> {
        let words = facts
            .statements
            .iter()
            .map(|s| Words::of(file.text.get(s.span.start..s.span.end).unwrap_or("")))
            .collect();
        Context {
            file,
            facts,
            words,
            exposed_schemas,
            api_roles,
            anon_role,
            lock_timeout,
            rls_from_policies,
        }
    }

    pub fn words(&self, s: &StatementFacts) -> Words {
        self.words.get(s.index).cloned().unwrap_or_default()
    }

    /// The statement's text, on one line, shortened for a message.
    pub fn statement_text(&self, s: &StatementFacts) -> &str {
        self.file.text.get(s.span.start..s.span.end).unwrap_or("")
    }

    /// A finding located at the start of statement `s`.
    pub fn finding(
        &self,
        rule: RuleId,
        severity: Severity,
        s: &StatementFacts,
        object: Option<String>,
        message: String,
        fix: String,
    ) -> Finding {
        Finding {
            rule,
            severity,
            statement: s.index,
            offset: s.span.start,
            object,
            message,
            fix,
        }
    }

    /// [`Context::finding`] with the caret on the first mention of `name` in the statement
    /// (an identifier, quoted or not), or on the statement's start when it is not named there.
    #[allow(clippy::too_many_arguments)]
    pub fn finding_at_name(
        &self,
        rule: RuleId,
        severity: Severity,
        s: &StatementFacts,
        name: &str,
        object: Option<String>,
        message: String,
        fix: String,
    ) -> Finding {
        let mut f = self.finding(rule, severity, s, object, message, fix);
        f.offset = self.name_offset(s, name).unwrap_or(s.span.start);
        f
    }

    /// Byte offset in the file of the first token of statement `s` that names `name`.
    pub fn name_offset(&self, s: &StatementFacts, name: &str) -> Option<usize> {
        let stmt = self.statement_text(s);
        crate::sql::tokens(stmt)
            .map_while(Result::ok)
            .find_map(|t| {
                let text = stmt.get(t.start..t.end)?;
                let hit = match t.kind {
                    crate::sql::TokenKind::Word => text.eq_ignore_ascii_case(name),
                    crate::sql::TokenKind::QuotedIdent => {
                        text.trim_matches('"').replace("\"\"", "\"") == name
                    }
                    _ => false,
                };
                hit.then_some(s.span.start + t.start)
            })
    }

    /// The relation had row-level security at the end of the migration, or `policies/`
    /// enables it.
    pub fn rls_at_end(&self, oid: Oid) -> bool {
        let rel = self
            .facts
            .final_state
            .relations
            .get(&oid)
            .or_else(|| self.facts.first_seen.get(&oid));
        rel.is_some_and(|r| r.rls || self.rls_from_policies.contains(&r.qualified()))
    }

    /// `anon` (when the model has one) and PUBLIC, as ACL grantees with their names.
    pub fn open_grantees(&self) -> Vec<(&str, &'static str)> {
        let mut out = Vec::new();
        if let Some(a) = self.anon_role {
            out.push((a, "anon"));
        }
        out.push(("", "PUBLIC"));
        out
    }

    /// API roles (and PUBLIC) holding any privilege in `acl`.
    pub fn api_roles_in(&self, acl: &[String]) -> Vec<String> {
        let mut out: Vec<String> = self
            .api_roles
            .iter()
            .filter(|r| !super::facts::acl_privileges(acl, r).is_empty())
            .cloned()
            .collect();
        if !super::facts::acl_privileges(acl, "").is_empty() {
            out.push("PUBLIC".into());
        }
        out
    }

    /// The relation is a table (or partitioned table) per what was seen of it.
    pub fn is_table(&self, oid: Oid) -> bool {
        self.facts.kind(oid).is_some_and(RelKind::is_table)
    }

    /// Line (1-based) of a statement, for messages that point back at an earlier one.
    pub fn line_of(&self, s: &StatementFacts) -> usize {
        crate::sql::LineIndex::new(&self.file.text)
            .line_col(&self.file.text, s.span.start)
            .0
    }
}

/// Every rule's findings for one migration, ordered by position then rule.
pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in [
        migration_fails::check,
        index_not_concurrent::check,
        table_rewrite::check,
        constraint_without_not_valid::check,
        not_null_without_check::check,
        exclusive_lock_slow_work::check,
        column_dropped::check,
        column_renamed::check,
        table_dropped::check,
        table_renamed::check,
        missing_lock_timeout::check,
        table_without_rls::check,
        grant_to_anon_or_public::check,
        security_definer_search_path::check,
        view_bypasses_rls::check,
        policy_always_true::check,
    ] {
        out.extend(rule(cx));
    }
    out.sort_by_key(|f| (f.offset, f.rule));
    out
}

/// A statement on one line, at most `max` characters, for messages and fixes.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_round_trip() {
        for r in RuleId::ALL {
            assert_eq!(r.as_str().parse::<RuleId>(), Ok(r));
            assert_eq!(
                serde_json::to_value(r).ok(),
                Some(serde_json::Value::String(r.as_str().into()))
            );
        }
        assert!("no-such-rule".parse::<RuleId>().is_err());
    }

    #[test]
    fn rule_files_are_named_after_their_ids() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lint/rules");
        for r in RuleId::ALL {
            if r.category() == "allow" {
                continue;
            }
            let file = dir.join(format!("{}.rs", r.as_str().replace('-', "_")));
            assert!(file.exists(), "{} has no rule file {file:?}", r.as_str());
        }
    }

    #[test]
    fn statements_shorten_to_one_line() {
        assert_eq!(
            one_line("ALTER TABLE t\n   ADD c int", 80),
            "ALTER TABLE t ADD c int"
        );
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
