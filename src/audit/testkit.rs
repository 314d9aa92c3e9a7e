//! Builders for the audit's unit tests: in-memory catalogs shaped like a Supabase project (the
//! three roles, `postgres` owning everything, Supabase's grants), policies, contracts, and the
//! rendering of findings that rule snapshots compare. Test-only.

use super::*;
use crate::catalog::{
    Column, Constraint, ConstraintKind, Function, Grant, Index, Policy, Role, Schema, Table, View,
};
use crate::config::{Auth, AuthModel, Config};

pub fn grant(grantee: &str, privilege: &str) -> Grant {
    Grant {
        grantee: grantee.into(),
        privilege: privilege.into(),
        grantable: false,
    }
}

pub fn all_grants(grantee: &str) -> Vec<Grant> {
    ["SELECT", "INSERT", "UPDATE", "DELETE"]
        .iter()
        .map(|p| grant(grantee, p))
        .collect()
}

pub fn col(name: &str, ty: &str) -> Column {
    Column {
        name: name.into(),
        data_type: ty.into(),
        not_null: false,
        default: None,
        generated: None,
        identity: None,
        collation: None,
        comment: None,
        acl: Vec::new(),
        ..Default::default()
    }
}

pub fn constraint(
    name: &str,
    kind: ConstraintKind,
    cols: &[&str],
    refs: Option<&str>,
) -> Constraint {
    Constraint {
        name: name.into(),
        kind,
        definition: String::new(),
        validated: true,
        deferrable: false,
        deferred: false,
        references: refs.map(str::to_string),
        columns: cols.iter().map(|c| c.to_string()).collect(),
        comment: None,
    }
}

/// `public.<name>` with id (PK) and user_id → auth.users, granted to the API roles as
/// Supabase does, RLS on.
pub fn user_table(name: &str) -> Table {
    let mut t = Table {
        owner: "postgres".into(),
        schema: "public".into(),
        name: name.into(),
        partitioned: false,
        partition_key: None,
        partition_of: None,
        partition_bound: None,
        inherits: Vec::new(),
        unlogged: false,
        options: Vec::new(),
        rls_enabled: true,
        rls_forced: false,
        columns: vec![
            col("id", "uuid"),
            col("user_id", "uuid"),
            col("body", "text"),
        ],
        constraints: Default::default(),
        comment: None,
        acl: [
            all_grants("(owner)"),
            all_grants("anon"),
            all_grants("authenticated"),
            all_grants("service_role"),
        ]
        .concat(),
    };
    t.constraints.insert(
        format!("{name}_pkey"),
        constraint(
            &format!("{name}_pkey"),
            ConstraintKind::PrimaryKey,
            &["id"],
            None,
        ),
    );
    t.constraints.insert(
        format!("{name}_user_id_fkey"),
        constraint(
            &format!("{name}_user_id_fkey"),
            ConstraintKind::ForeignKey,
            &["user_id"],
            Some("auth.users"),
        ),
    );
    t
}

pub fn policy(
    table: &str,
    name: &str,
    cmd: &str,
    roles: &[&str],
    using: Option<&str>,
    check: Option<&str>,
) -> Policy {
    Policy {
        name: name.into(),
        table: format!("public.{table}"),
        command: cmd.into(),
        permissive: true,
        roles: roles.iter().map(|r| r.to_string()).collect(),
        using: using.map(str::to_string),
        check: check.map(str::to_string),
        comment: None,
    }
}

pub fn index_on(table: &str, col: &str) -> Index {
    Index {
        schema: "public".into(),
        name: format!("{table}_{col}_idx"),
        table: format!("public.{table}"),
        definition: format!("CREATE INDEX {table}_{col}_idx ON public.{table} USING btree ({col})"),
        unique: false,
        valid: true,
        partial: false,
        expression: false,
        comment: None,
    }
}

/// A Supabase-like cluster: the three roles, a superuser `postgres` owning everything, USAGE
/// on public for everyone.
pub fn catalog() -> Catalog {
    let mut cat = Catalog::default();
    for (name, superuser, bypass_rls) in [
        ("anon", false, false),
        ("authenticated", false, false),
        ("service_role", false, true),
        ("postgres", true, true),
    ] {
        cat.roles.insert(
            name.into(),
            Role {
                name: name.into(),
                superuser,
                bypass_rls,
            },
        );
    }
    cat.schemas.insert(
        "public".into(),
        Schema {
            owner: "postgres".into(),
            name: "public".into(),
            comment: None,
            acl: vec![grant("PUBLIC", "USAGE"), grant("(owner)", "CREATE")],
        },
    );
    cat
}

pub fn add_table(cat: &mut Catalog, t: Table) {
    let key = format!("public.{}", t.name);
    cat.owners.insert(key.clone(), "postgres".into());
    cat.tables.insert(key, t);
}

pub fn add_policy(cat: &mut Catalog, p: Policy) {
    cat.policies.insert(format!("{}.{}", p.table, p.name), p);
}

pub fn supabase() -> AuditConfig {
    let cfg = Config {
        root: ".".into(),
        file: None,
        paths: Default::default(),
        database: Default::default(),
        auth: Auth::default(),
        policies: Default::default(),
        local: Default::default(),
        environments: Default::default(),
        dotenv: Default::default(),
    };
    AuditConfig::from_config(&cfg)
}

/// The well-behaved `notes`: own rows for authenticated, indexed owner column.
pub fn good_notes(cat: &mut Catalog) {
    add_table(cat, user_table("notes"));
    cat.indexes.insert(
        "public.notes_user_id_idx".into(),
        index_on("notes", "user_id"),
    );
    let own = "(user_id = ( SELECT auth.uid() AS uid))";
    add_policy(
        cat,
        policy(
            "notes",
            "notes_select",
            "SELECT",
            &["authenticated"],
            Some(own),
            None,
        ),
    );
    add_policy(
        cat,
        policy(
            "notes",
            "notes_insert",
            "INSERT",
            &["authenticated"],
            None,
            Some(own),
        ),
    );
    add_policy(
        cat,
        policy(
            "notes",
            "notes_update",
            "UPDATE",
            &["authenticated"],
            Some(own),
            Some(own),
        ),
    );
    add_policy(
        cat,
        policy(
            "notes",
            "notes_delete",
            "DELETE",
            &["authenticated"],
            Some(own),
            None,
        ),
    );
}

/// A contract parsed from text (panics on a parse error: a test's own input).
pub fn contract(text: &str) -> crate::access::Contract {
    crate::access::parse::parse("policies/access.toml", text).unwrap_or_else(|e| panic!("{e}"))
}

/// The `setting` model with role `app_user`.
pub fn setting_model() -> AuditConfig {
    let mut auth = Auth {
        model: AuthModel::Setting,
        ..Auth::default()
    };
    auth.role = Some("app_user".into());
    auth.setting = Some("app.current_user_id".into());
    let cfg = Config {
        root: ".".into(),
        file: None,
        paths: Default::default(),
        database: Default::default(),
        auth,
        policies: Default::default(),
        local: Default::default(),
        environments: Default::default(),
        dotenv: Default::default(),
    };
    AuditConfig::from_config(&cfg)
}

/// A function of the catalog (SECURITY DEFINER unless said otherwise), owned by `postgres`,
/// executable by PUBLIC.
pub fn add_function(
    cat: &mut Catalog,
    name: &str,
    args: &str,
    result: &str,
    definer: bool,
    body: &str,
) {
    let key = format!(
        "public.{name}({})",
        args.split_whitespace().last().unwrap_or("")
    );
    let key = if args.is_empty() {
        format!("public.{name}()")
    } else {
        key
    };
    cat.function_owners.insert(key.clone(), "postgres".into());
    cat.functions.insert(
        key,
        Function {
            owner: "postgres".into(),
            schema: "public".into(),
            name: name.into(),
            procedure: false,
            arguments: args.into(),
            identity_arguments: args.into(),
            result: Some(result.into()),
            language: "plpgsql".into(),
            volatility: "volatile".into(),
            security_definer: definer,
            leakproof: false,
            strict: false,
            parallel: "unsafe".into(),
            config: vec!["search_path=\"\"".into()],
            definition: format!(
                "CREATE OR REPLACE FUNCTION public.{name}({args})\n RETURNS {result}\n LANGUAGE plpgsql\nAS $function$ {body} $function$\n"
            ),
            sql_body: false,
            comment: None,
            acl: vec![grant("PUBLIC", "EXECUTE"), grant("(owner)", "EXECUTE")],
        },
    );
}

/// A view owned by `postgres`, granted like Supabase does, reading `reads`.
pub fn add_view(
    cat: &mut Catalog,
    name: &str,
    definition: &str,
    reads: &[&str],
    options: &[&str],
    materialized: bool,
) {
    let key = format!("public.{name}");
    cat.owners.insert(key.clone(), "postgres".into());
    cat.view_reads
        .insert(key.clone(), reads.iter().map(|r| r.to_string()).collect());
    cat.views.insert(
        key,
        View {
            owner: "postgres".into(),
            schema: "public".into(),
            name: name.into(),
            materialized,
            definition: definition.into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            columns: Vec::new(),
            comment: None,
            acl: [
                all_grants("(owner)"),
                all_grants("anon"),
                all_grants("authenticated"),
            ]
            .concat(),
            column_comments: Default::default(),
        },
    );
}

/// Findings of one id, rendered as the text report shows them (for snapshots).
pub fn render(findings: &[Finding], id: FindingId) -> String {
    let only: Vec<Finding> = findings.iter().filter(|f| f.id == id).cloned().collect();
    crate::report::audit::render_findings_list(&only)
}

/// Runs the audit with a contract and returns its findings.
pub fn audit(cat: &Catalog, cfg: &AuditConfig, contract_text: Option<&str>) -> AuditReport {
    match contract_text {
        Some(t) => check_with(cat, cfg, Some(&contract(t))),
        None => check(cat, cfg),
    }
}

/// The contract of `good_notes`: owner-only notes, nothing else.
pub const NOTES_CONTRACT: &str = "[defaults]\nread = \"none\"\nwrite = \"none\"\n\n[tables.\"public.notes\"]\nowner = \"user_id\"\nread = \"owner\"\nwrite = \"owner\"\n";

/// `good_notes` with the policy `name` replaced by `replacement` (or removed with `None`).
pub fn notes_with(name: &str, replacement: Option<Policy>) -> Catalog {
    let mut cat = catalog();
    good_notes(&mut cat);
    cat.policies.remove(&format!("public.notes.{name}"));
    if let Some(p) = replacement {
        add_policy(&mut cat, p);
    }
    cat
}

/// Adds a role (not a superuser) to the catalog.
pub fn add_role(cat: &mut Catalog, name: &str, bypass_rls: bool) {
    cat.roles.insert(
        crate::sql::quote_ident(name),
        Role {
            name: name.into(),
            superuser: false,
            bypass_rls,
        },
    );
}

/// The findings of one id.
pub fn of(r: &AuditReport, id: FindingId) -> Vec<Finding> {
    r.findings.iter().filter(|f| f.id == id).cloned().collect()
}
