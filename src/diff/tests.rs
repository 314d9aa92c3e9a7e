//! Pure tests of compare and script on in-memory catalogs.

use super::*;
use crate::catalog::*;
use std::collections::BTreeMap;

fn col(name: &str, ty: &str) -> Column {
    Column {
        name: name.into(),
        data_type: ty.into(),
        ..Default::default()
    }
}

fn owner_acl(privs: &[&str]) -> Vec<Grant> {
    privs
        .iter()
        .map(|p| Grant {
            grantee: "(owner)".into(),
            privilege: (*p).into(),
            grantable: false,
        })
        .collect()
}

fn table(name: &str, cols: Vec<Column>) -> Table {
    Table {
        schema: "public".into(),
        name: name.into(),
        partitioned: false,
        partition_key: None,
        partition_of: None,
        partition_bound: None,
        inherits: vec![],
        unlogged: false,
        options: vec![],
        rls_enabled: false,
        rls_forced: false,
        columns: cols,
        constraints: BTreeMap::new(),
        comment: None,
        acl: owner_acl(&["SELECT", "INSERT"]),
        ..Default::default()
    }
}

fn base() -> Catalog {
    let mut c = Catalog::default();
    let mut id = col("id", "integer");
    id.not_null = true;
    c.tables
        .insert("public.t".into(), table("t", vec![id, col("name", "text")]));
    c
}

fn view(def: &str, cols: &[(&str, &str)]) -> View {
    View {
        schema: "public".into(),
        name: "v".into(),
        materialized: false,
        definition: def.into(),
        options: vec![],
        columns: cols
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        comment: None,
        acl: owner_acl(&["SELECT"]),
        column_comments: BTreeMap::new(),
        ..Default::default()
    }
}

fn policy(using: &str) -> Policy {
    Policy {
        name: "own rows".into(),
        table: "public.t".into(),
        command: "SELECT".into(),
        permissive: true,
        roles: vec!["authenticated".into()],
        using: Some(using.into()),
        check: None,
        comment: None,
    }
}

fn summary(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| format!("{} {} {}", c.kind, c.object, c.change))
        .collect()
}

fn sql(steps: &[Step]) -> Vec<String> {
    steps.iter().flat_map(|s| s.statements.clone()).collect()
}

#[test]
fn identical_catalogs_have_no_changes() {
    assert!(compare(&base(), &base()).is_empty());
    assert!(script(&base(), &base()).is_empty());
}

/// Equal objects read by two different roles are not equal items: what the reading role owns
/// is owned "by default", so the owner is compared (the shortcut for equal objects must not
/// skip it).
#[test]
fn equal_objects_read_by_different_roles_still_compare_their_owners() {
    let mut a = base();
    let mut b = base();
    a.current_role = "alice".into();
    b.current_role = "bob".into();
    for c in [&mut a, &mut b] {
        if let Some(t) = c.tables.get_mut("public.t") {
            t.owner = "alice".into();
        }
    }
    assert_eq!(a.tables, b.tables);
    let changes = compare(&a, &b);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].kind, ObjectKind::Owner);
    b.current_role = "alice".into();
    assert!(compare(&a, &b).is_empty());
}

#[test]
fn column_order_is_not_a_difference() {
    let a = base();
    let mut b = base();
    if let Some(t) = b.tables.get_mut("public.t") {
        t.columns.reverse();
    }
    assert!(compare(&a, &b).is_empty());
}

#[test]
fn added_column_is_one_change_and_one_alter() {
    let live = base();
    let mut declared = base();
    if let Some(t) = declared.tables.get_mut("public.t") {
        let mut c = col("age", "integer");
        c.default = Some("0".into());
        t.columns.push(c);
    }
    assert_eq!(
        summary(&compare(&live, &declared)),
        ["column public.t.age missing in live"]
    );
    assert_eq!(
        sql(&script(&live, &declared)),
        ["ALTER TABLE public.t ADD COLUMN age integer DEFAULT 0;"]
    );
}

#[test]
fn dropped_column_is_data_loss() {
    let live = base();
    let mut declared = base();
    if let Some(t) = declared.tables.get_mut("public.t") {
        t.columns.retain(|c| c.name != "name");
    }
    let changes = compare(&live, &declared);
    assert_eq!(summary(&changes), ["column public.t.name extra in live"]);
    assert!(changes[0]
        .hazards
        .iter()
        .any(|h| h.id == HazardId::DataLoss));
}

#[test]
fn new_table_is_created_with_its_columns_and_not_reported_per_column() {
    let live = Catalog::default();
    let declared = base();
    assert_eq!(
        summary(&compare(&live, &declared)),
        ["table public.t missing in live"]
    );
    let s = sql(&script(&live, &declared));
    assert_eq!(
        s,
        ["CREATE TABLE public.t (\n    id integer NOT NULL,\n    name text\n);"]
    );
}

#[test]
fn type_change_recreates_dependent_view_around_the_alter() {
    let mut live = base();
    live.views.insert(
        "public.v".into(),
        view(" SELECT t.name FROM public.t;", &[("name", "text")]),
    );
    let dep = (
        ObjectRef {
            kind: ObjectKind::View,
            key: "public.v".into(),
        },
        ObjectRef {
            kind: ObjectKind::Column,
            key: "public.t.name".into(),
        },
    );
    live.dependencies.push(dep.clone());
    let mut declared = live.clone();
    if let Some(t) = declared.tables.get_mut("public.t") {
        t.columns[1].data_type = "character varying(20)".into();
    }
    if let Some(v) = declared.views.get_mut("public.v") {
        v.columns[0].1 = "character varying(20)".into();
    }
    // The view's output type changes too, so it is reported (and cannot be replaced in place).
    let changes = compare(&live, &declared);
    assert_eq!(
        summary(&changes),
        ["column public.t.name changed", "view public.v changed"]
    );
    let s = sql(&script(&live, &declared));
    assert_eq!(s[0], "DROP VIEW IF EXISTS public.v;");
    assert!(s[1].starts_with("ALTER TABLE public.t ALTER COLUMN name TYPE character varying(20)"));
    assert!(s[2].starts_with("CREATE VIEW public.v AS"));
}

#[test]
fn policy_expression_change_is_an_alter_policy() {
    let mut live = base();
    live.policies
        .insert("public.t.\"own rows\"".into(), policy("(id = 1)"));
    let mut declared = live.clone();
    if let Some(p) = declared.policies.get_mut("public.t.\"own rows\"") {
        p.using = Some("(id = 2)".into());
    }
    let changes = compare(&live, &declared);
    assert_eq!(summary(&changes), ["policy public.t.\"own rows\" changed"]);
    assert!(changes[0]
        .hazards
        .iter()
        .any(|h| h.id == HazardId::AuthzChange));
    assert_eq!(
        sql(&script(&live, &declared)),
        ["ALTER POLICY \"own rows\" ON public.t TO authenticated\n    USING ((id = 2));"]
    );
}

#[test]
fn removing_a_policy_check_needs_drop_and_create() {
    let mut live = base();
    let mut p = policy("true");
    p.check = Some("true".into());
    p.command = "ALL".into();
    live.policies.insert("public.t.p".into(), p);
    let mut declared = live.clone();
    if let Some(p) = declared.policies.get_mut("public.t.p") {
        p.check = None;
    }
    let s = sql(&script(&live, &declared));
    assert!(s[0].starts_with("DROP POLICY IF EXISTS"), "{s:?}");
    assert!(s[1].starts_with("CREATE POLICY"), "{s:?}");
}

#[test]
fn enum_value_added_in_place_commits_alone_only_when_used_later() {
    let mut live = base();
    let t = TypeDef {
        schema: "public".into(),
        name: "mood".into(),
        kind: TypeKind::Enum,
        labels: vec!["sad".into(), "happy".into()],
        ..Default::default()
    };
    live.types.insert("public.mood".into(), t);
    let mut declared = live.clone();
    if let Some(t) = declared.types.get_mut("public.mood") {
        t.labels.insert(1, "ok".into());
    }
    let steps = script(&live, &declared);
    assert_eq!(
        sql(&steps),
        ["ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'ok' AFTER 'sad';"]
    );
    assert!(steps[0].transactional);
    let text = render_script(&steps);
    assert!(
        text.contains("\nBEGIN;\n") && text.ends_with("COMMIT;\n"),
        "{text}"
    );
    // A new column whose default is the new value needs it committed first.
    if let Some(t) = declared.tables.get_mut("public.t") {
        let mut c = col("m", "public.mood");
        c.default = Some("'ok'::public.mood".into());
        t.columns.push(c);
    }
    let steps = script(&live, &declared);
    assert!(!steps[0].transactional, "{steps:?}");
    assert!(steps[0]
        .hazards
        .iter()
        .any(|h| h.id == HazardId::NotTransactional));
    let text = render_script(&steps);
    let add = text.find("ADD VALUE").unwrap_or(0);
    let begin = text.find("BEGIN;").unwrap_or(0);
    assert!(
        add < begin,
        "the new value is committed before the transaction:\n{text}"
    );
    assert!(text.contains("-- not transactional"), "{text}");
}

#[test]
fn grants_are_revoked_and_granted_by_difference() {
    let mut live = base();
    let mut declared = base();
    let g = |who: &str, p: &str| Grant {
        grantee: who.into(),
        privilege: p.into(),
        grantable: false,
    };
    if let Some(t) = live.tables.get_mut("public.t") {
        t.acl.push(g("anon", "SELECT"));
        t.acl.push(g("authenticated", "SELECT"));
    }
    if let Some(t) = declared.tables.get_mut("public.t") {
        t.acl.push(g("authenticated", "SELECT"));
        t.acl.push(g("authenticated", "UPDATE"));
    }
    assert_eq!(
        summary(&compare(&live, &declared)),
        ["grant public.t changed"]
    );
    assert_eq!(
        sql(&script(&live, &declared)),
        [
            "REVOKE SELECT ON TABLE public.t FROM anon;",
            "GRANT UPDATE ON TABLE public.t TO authenticated;"
        ]
    );
}

#[test]
fn rls_disabled_is_a_change_with_authz_hazard() {
    let mut declared = base();
    if let Some(t) = declared.tables.get_mut("public.t") {
        t.rls_enabled = true;
    }
    let changes = compare(&base(), &declared);
    assert_eq!(summary(&changes), ["rls public.t changed"]);
    assert_eq!(
        sql(&script(&base(), &declared)),
        ["ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;"]
    );
}

#[test]
fn dropping_a_function_drops_its_trigger_first_and_recreates_in_order() {
    let f = |body: &str, args: &str| {
        Function {
        schema: "public".into(),
        name: "touch".into(),
        procedure: false,
        arguments: args.into(),
        identity_arguments: args.into(),
        result: Some("trigger".into()),
        language: "plpgsql".into(),
        volatility: "volatile".into(),
        security_definer: false,
        leakproof: false,
        strict: false,
        parallel: "unsafe".into(),
        config: vec![],
        definition: format!("CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger\n LANGUAGE plpgsql\nAS $function${body}$function$\n"),
        sql_body: false,
        comment: None,
        acl: vec![
            Grant {
                grantee: "(owner)".into(),
                privilege: "EXECUTE".into(),
                grantable: false,
            },
            Grant {
                grantee: "PUBLIC".into(),
                privilege: "EXECUTE".into(),
                grantable: false,
            },
        ],
        ..Default::default()
    }
    };
    let trig = Trigger {
        name: "t_touch".into(),
        table: "public.t".into(),
        definition: "CREATE TRIGGER t_touch BEFORE UPDATE ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch()".into(),
        enabled: "enabled".into(),
        function: Some("public.touch()".into()),
        constraint_trigger: false,
        comment: None,
    };
    let mut live = base();
    live.functions
        .insert("public.touch()".into(), f("begin return new; end", ""));
    live.triggers
        .insert("public.t.t_touch".into(), trig.clone());
    live.dependencies.push((
        ObjectRef {
            kind: ObjectKind::Trigger,
            key: "public.t.t_touch".into(),
        },
        ObjectRef {
            kind: ObjectKind::Function,
            key: "public.touch()".into(),
        },
    ));
    // Same signature, new result type: cannot be replaced in place.
    let mut declared = live.clone();
    if let Some(func) = declared.functions.get_mut("public.touch()") {
        func.result = Some("SETOF record".into());
        func.definition = func
            .definition
            .replace("RETURNS trigger", "RETURNS SETOF record");
    }
    let steps = script(&live, &declared);
    let kinds: Vec<String> = steps
        .iter()
        .map(|s| format!("{} {}", s.action, s.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            "drop trigger",
            "drop function",
            "create function",
            "create trigger"
        ]
    );
}

#[test]
fn disabled_trigger_is_enabled_by_alter() {
    let trig = Trigger {
        name: "tr".into(),
        table: "public.t".into(),
        definition:
            "CREATE TRIGGER tr AFTER INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.f()"
                .into(),
        enabled: "disabled".into(),
        function: None,
        constraint_trigger: false,
        comment: None,
    };
    let mut live = base();
    live.triggers.insert("public.t.tr".into(), trig.clone());
    let mut declared = base();
    let mut on = trig;
    on.enabled = "enabled".into();
    declared.triggers.insert("public.t.tr".into(), on);
    assert_eq!(
        sql(&script(&live, &declared)),
        ["ALTER TABLE public.t ENABLE TRIGGER tr;"]
    );
}
