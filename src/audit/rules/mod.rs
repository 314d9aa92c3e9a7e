//! The audit's rules: one finding kind per file, each a plain function from the shared
//! [`Context`] to its findings (squawk's `crates/squawk_linter/src/rules/` shape). A file is
//! named after its finding id in snake_case; the id itself is kebab-case and round-trips
//! through `Display`/`FromStr`, and is what text and JSON output show.

mod access_below_contract;
mod access_exceeds_contract;
mod access_unclassified;
mod anon_reads_user_rows;
mod api_role_bypasses_rls;
mod api_role_inherits_bypass;
mod api_role_owns_table;
mod auth_function_per_row;
mod auth_users_exposed;
mod contract_invalid;
mod multiple_permissive_policies;
mod owner_column_unindexed;
mod policy_always_true_write;
mod policy_rls_disabled;
mod rls_disabled;
mod rls_no_policy;
mod security_definer_search_path;
mod security_definer_untrusted;
mod sequence_granted;
mod user_metadata_trusted;
mod view_bypasses_rls;
mod view_over_contract_table;

pub use view_bypasses_rls::security_invoker;

use super::matrix::{Access, Command, MatrixRow};
use super::owner::OwnerColumn;
use super::{AuditConfig, PoliciesByTable, Reacher};
use crate::access::compare::Judgement;
use crate::access::{Contract, Reach};
use crate::catalog::{Catalog, Policy};
use serde::Serialize;
use std::collections::BTreeMap;

/// Every finding kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingId {
    RlsDisabled,
    RlsNoPolicy,
    PolicyRlsDisabled,
    PolicyAlwaysTrueWrite,
    MultiplePermissivePolicies,
    AuthFunctionPerRow,
    SecurityDefinerSearchPath,
    ViewBypassesRls,
    OwnerColumnUnindexed,
    AnonReadsUserRows,
    AccessExceedsContract,
    AccessBelowContract,
    AccessUnclassified,
    ContractInvalid,
    SecurityDefinerUntrusted,
    ViewOverContractTable,
    SequenceGranted,
    AuthUsersExposed,
    UserMetadataTrusted,
    ApiRoleOwnsTable,
    ApiRoleBypassesRls,
    ApiRoleInheritsBypass,
}

impl FindingId {
    pub const ALL: [FindingId; 22] = [
        FindingId::RlsDisabled,
        FindingId::RlsNoPolicy,
        FindingId::PolicyRlsDisabled,
        FindingId::PolicyAlwaysTrueWrite,
        FindingId::MultiplePermissivePolicies,
        FindingId::AuthFunctionPerRow,
        FindingId::SecurityDefinerSearchPath,
        FindingId::ViewBypassesRls,
        FindingId::OwnerColumnUnindexed,
        FindingId::AnonReadsUserRows,
        FindingId::AccessExceedsContract,
        FindingId::AccessBelowContract,
        FindingId::AccessUnclassified,
        FindingId::ContractInvalid,
        FindingId::SecurityDefinerUntrusted,
        FindingId::ViewOverContractTable,
        FindingId::SequenceGranted,
        FindingId::AuthUsersExposed,
        FindingId::UserMetadataTrusted,
        FindingId::ApiRoleOwnsTable,
        FindingId::ApiRoleBypassesRls,
        FindingId::ApiRoleInheritsBypass,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingId::RlsDisabled => "rls-disabled",
            FindingId::RlsNoPolicy => "rls-no-policy",
            FindingId::PolicyRlsDisabled => "policy-rls-disabled",
            FindingId::PolicyAlwaysTrueWrite => "policy-always-true-write",
            FindingId::MultiplePermissivePolicies => "multiple-permissive-policies",
            FindingId::AuthFunctionPerRow => "auth-function-per-row",
            FindingId::SecurityDefinerSearchPath => "security-definer-search-path",
            FindingId::ViewBypassesRls => "view-bypasses-rls",
            FindingId::OwnerColumnUnindexed => "owner-column-unindexed",
            FindingId::AnonReadsUserRows => "anon-reads-user-rows",
            FindingId::AccessExceedsContract => "access-exceeds-contract",
            FindingId::AccessBelowContract => "access-below-contract",
            FindingId::AccessUnclassified => "access-unclassified",
            FindingId::ContractInvalid => "contract-invalid",
            FindingId::SecurityDefinerUntrusted => "security-definer-untrusted",
            FindingId::ViewOverContractTable => "view-over-contract-table",
            FindingId::SequenceGranted => "sequence-granted",
            FindingId::AuthUsersExposed => "auth-users-exposed",
            FindingId::UserMetadataTrusted => "user-metadata-trusted",
            FindingId::ApiRoleOwnsTable => "api-role-owns-table",
            FindingId::ApiRoleBypassesRls => "api-role-bypasses-rls",
            FindingId::ApiRoleInheritsBypass => "api-role-inherits-bypass",
        }
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for FindingId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FindingId::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown finding `{s}`"))
    }
}

/// How bad a finding is. `error` makes `strata audit` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown severity `{s}`"))
    }
}

/// One problem found, on one object, with a one-line fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    /// `table public.notes`, `policy notes_all on public.notes`, `function public.f(uuid)`,
    /// `view public.v`.
    pub object: String,
    /// The table concerned, when there is one (for a policy, its table).
    pub table: Option<String>,
    pub message: String,
    pub fix: String,
}

/// What every rule reads.
pub struct Context<'a> {
    pub catalog: &'a Catalog,
    pub config: &'a AuditConfig,
    pub policies: &'a PoliciesByTable<'a>,
    pub owner_columns: &'a BTreeMap<String, Vec<OwnerColumn>>,
    /// Matrix rows by (table, role).
    pub matrix: BTreeMap<(&'a str, &'a str), &'a MatrixRow>,
    /// The access contract, when there is one: heuristic rules step aside for it.
    pub contract: Option<&'a Contract>,
    /// Reaches by (table, command).
    pub reaches: BTreeMap<(&'a str, Command), &'a Reach>,
    /// The contract comparison's cells that do not match.
    pub judgements: &'a [Judgement],
    pub reacher: Option<&'a Reacher<'a>>,
}

impl<'a> Context<'a> {
    pub fn new(
        catalog: &'a Catalog,
        config: &'a AuditConfig,
        policies: &'a PoliciesByTable<'a>,
        owner_columns: &'a BTreeMap<String, Vec<OwnerColumn>>,
        matrix: &'a [MatrixRow],
    ) -> Self {
        Context {
            catalog,
            config,
            policies,
            owner_columns,
            matrix: matrix
                .iter()
                .map(|r| ((r.table.as_str(), r.role.as_str()), r))
                .collect(),
            contract: None,
            reaches: BTreeMap::new(),
            judgements: &[],
            reacher: None,
        }
    }

    /// Adds the contract, the reaches and the comparison's judgements.
    pub fn with_contract(
        mut self,
        contract: Option<&'a Contract>,
        reaches: &'a [Reach],
        judgements: &'a [Judgement],
        reacher: &'a Reacher<'a>,
    ) -> Self {
        self.contract = contract;
        self.reaches = reaches
            .iter()
            .map(|r| ((r.table.as_str(), r.command), r))
            .collect();
        self.judgements = judgements;
        self.reacher = Some(reacher);
        self
    }

    /// The owner column a fix should name: the contract's, else the one found by foreign key or
    /// name, else a placeholder.
    pub fn owner_column(&self, table_key: &str) -> String {
        if let Some(c) = self.contract {
            if let Some(o) = c.resolve(table_key).owner.first() {
                return o.column().to_string();
            }
        }
        self.owner_columns
            .get(table_key)
            .and_then(|o| o.first())
            .map_or_else(|| "<owner column>".to_string(), |o| o.column.clone())
    }

    /// The expression of the current user's id under the configured model, as a fix writes it.
    pub fn user_expr(&self) -> String {
        match self.config.model {
            crate::config::AuthModel::Supabase => "(select auth.uid())".into(),
            crate::config::AuthModel::Setting => format!(
                "(select current_setting('{}', true)::uuid)",
                self.config
                    .setting
                    .as_deref()
                    .unwrap_or("app.current_user_id")
            ),
        }
    }

    /// A table covered by the contract (listed, or a table under `[defaults]`).
    pub fn contract_covers(&self, key: &str) -> bool {
        self.contract
            .is_some_and(|c| c.tables.contains_key(key) || self.catalog.tables.contains_key(key))
    }

    pub fn policies_of(&self, table_key: &str) -> &[&'a Policy] {
        self.policies
            .get(table_key)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn cell(&self, table_key: &str, role: &str, cmd: Command) -> Option<&Access> {
        self.matrix.get(&(table_key, role)).map(|r| r.get(cmd))
    }

    /// The API roles (anon/authenticated, or the `setting` role) holding a privilege on the
    /// table for some command, with those commands: `anon (SELECT, INSERT)`.
    pub fn api_roles_with_privilege(&self, table_key: &str) -> Vec<String> {
        let Some(table) = self.catalog.tables.get(table_key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for role in &self.config.api_roles {
            if !self
                .catalog
                .roles
                .contains_key(&crate::sql::quote_ident(role))
                || !super::matrix::has_schema_usage(self.catalog, &table.schema, role)
            {
                continue;
            }
            let cmds: Vec<&str> = Command::ALL
                .into_iter()
                .filter(|c| {
                    super::matrix::has_table_privilege(self.catalog, table_key, table, role, *c)
                })
                .map(Command::as_str)
                .collect();
            if !cmds.is_empty() {
                out.push(format!("{role} ({})", cmds.join(", ")));
            }
        }
        out
    }

    /// Roles that skip RLS on every table (superuser or BYPASSRLS).
    pub fn bypasses_everywhere(&self, role: &str) -> bool {
        self.catalog
            .roles
            .get(&crate::sql::quote_ident(role))
            .is_some_and(|r| r.superuser || r.bypass_rls)
    }
}

/// An expression on one line (PostgreSQL's deparser breaks sub-SELECTs over several).
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `policy NAME on TABLE`.
pub fn policy_object(p: &Policy) -> String {
    format!("policy {} on {}", crate::sql::quote_ident(&p.name), p.table)
}

/// Runs every rule; findings sorted by severity, table, id, object. Heuristic rules run only
/// without a contract (intent unknown), contract rules only with one.
pub fn run_all(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(rls_disabled::check(cx));
    out.extend(rls_no_policy::check(cx));
    out.extend(policy_rls_disabled::check(cx));
    out.extend(multiple_permissive_policies::check(cx));
    out.extend(auth_function_per_row::check(cx));
    out.extend(security_definer_search_path::check(cx));
    out.extend(owner_column_unindexed::check(cx));
    out.extend(security_definer_untrusted::check(cx));
    out.extend(sequence_granted::check(cx));
    out.extend(auth_users_exposed::check(cx));
    out.extend(user_metadata_trusted::check(cx));
    out.extend(api_role_owns_table::check(cx));
    out.extend(api_role_bypasses_rls::check(cx));
    out.extend(api_role_inherits_bypass::check(cx));
    if cx.contract.is_some() {
        out.extend(access_exceeds_contract::check(cx));
        out.extend(access_below_contract::check(cx));
        out.extend(access_unclassified::check(cx));
        out.extend(contract_invalid::check(cx));
        out.extend(view_over_contract_table::check(cx));
    } else {
        out.extend(policy_always_true_write::check(cx));
        out.extend(view_bypasses_rls::check(cx));
        out.extend(anon_reads_user_rows::check(cx));
    }
    out.sort_by(|a, b| {
        (a.severity, &a.table, a.id, &a.object).cmp(&(b.severity, &b.table, b.id, &b.object))
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_ids_round_trip() {
        for id in FindingId::ALL {
            assert_eq!(id.as_str().parse::<FindingId>(), Ok(id));
            assert_eq!(id.to_string(), id.as_str());
            assert_eq!(
                serde_json::to_string(&id).unwrap_or_default(),
                format!("\"{}\"", id.as_str())
            );
        }
        assert!("rls-disable".parse::<FindingId>().is_err());
    }

    #[test]
    fn severities_round_trip() {
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>(), Ok(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap_or_default(),
                format!("\"{}\"", s.as_str())
            );
        }
    }

    #[test]
    fn rule_files_are_named_after_their_ids() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/audit/rules");
        for id in FindingId::ALL {
            let file = dir.join(format!("{}.rs", id.as_str().replace('-', "_")));
            assert!(file.is_file(), "missing rule file {}", file.display());
        }
    }
}
