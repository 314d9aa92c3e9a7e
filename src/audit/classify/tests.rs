//! The classifier on deparsed expressions, one test per shape.
use super::*;
use crate::catalog::{Catalog, Column, Constraint, ConstraintKind, Function, Table};

fn table(name: &str, cols: &[&str], pk: &str) -> Table {
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
        columns: cols
            .iter()
            .map(|c| Column {
                name: c.to_string(),
                data_type: "uuid".into(),
                not_null: false,
                default: None,
                generated: None,
                identity: None,
                collation: None,
                comment: None,
                acl: Vec::new(),
                ..Default::default()
            })
            .collect(),
        constraints: Default::default(),
        comment: None,
        acl: Vec::new(),
    };
    t.constraints.insert(
        format!("{name}_pkey"),
        Constraint {
            name: format!("{name}_pkey"),
            kind: ConstraintKind::PrimaryKey,
            definition: String::new(),
            validated: true,
            deferrable: false,
            deferred: false,
            references: None,
            columns: vec![pk.into()],
            comment: None,
        },
    );
    t
}

fn function(name: &str, args: &str, body: &str) -> Function {
    Function {
        owner: "postgres".into(),
        schema: "public".into(),
        name: name.into(),
        procedure: false,
        arguments: args.into(),
        identity_arguments: String::new(),
        result: Some("boolean".into()),
        language: "sql".into(),
        volatility: "stable".into(),
        security_definer: true,
        leakproof: false,
        strict: false,
        parallel: "unsafe".into(),
        config: Vec::new(),
        definition: format!(
            "CREATE OR REPLACE FUNCTION public.{name}({args})\n RETURNS boolean\n LANGUAGE sql\nAS $function$ {body} $function$\n"
        ),
        sql_body: false,
        comment: None,
        acl: Vec::new(),
    }
}

fn cat() -> Catalog {
    let mut c = Catalog::default();
    for t in [
        table(
            "notes",
            &["id", "user_id", "team_id", "is_public", "body"],
            "id",
        ),
        table("posts", &["id", "user_id"], "id"),
        table("team_members", &["id", "team_id", "user_id"], "id"),
        table("mentorships", &["id", "mentor_id", "mentee_id"], "id"),
    ] {
        c.tables.insert(format!("public.{}", t.name), t);
    }
    for f in [
        function(
            "is_admin",
            "",
            "SELECT EXISTS (SELECT 1 FROM public.users u WHERE u.id = (SELECT auth.uid()) AND u.role = 'admin')",
        ),
        function(
            "is_member",
            "p_team uuid",
            "SELECT EXISTS (SELECT 1 FROM public.team_members tm WHERE tm.team_id = p_team AND tm.user_id = (SELECT auth.uid()))",
        ),
        function(
            "member_role",
            "p_team uuid",
            "SELECT tm.role FROM team_members tm WHERE tm.team_id = p_team AND tm.user_id = auth.uid()",
        ),
        function("slug", "t text", "SELECT lower(t)"),
        function(
            "meta_admin",
            "",
            "SELECT (auth.jwt() -> 'user_metadata' ->> 'role') = 'admin'",
        ),
    ] {
        c.functions.insert(format!("public.{}()", f.name), f);
    }
    c
}

fn class(text: &str) -> String {
    let c = cat();
    let scope = Scope {
        catalog: &c,
        table_key: "public.notes",
        table_name: "notes",
        setting: Some("app.current_user_id"),
    };
    classify(&scope, text).describe()
}

#[test]
fn owner_tests_in_every_spelling() {
    for e in [
        "(user_id = ( SELECT auth.uid() AS uid))",
        "(( SELECT auth.uid() AS uid) = user_id)",
        "(auth.uid() = user_id)",
        "(notes.user_id = auth.uid())",
        "((user_id)::text = (auth.uid())::text)",
        "(user_id = (current_setting('app.current_user_id'::text, true))::uuid)",
        "(user_id = ( SELECT (current_setting('app.current_user_id'::text, true))::uuid AS current_setting))",
        "(user_id = ((auth.jwt() ->> 'sub'::text))::uuid)",
        "(user_id = ( SELECT (NULLIF(current_setting('app.current_user_id'::text, true), ''::text))::uuid AS \"nullif\"))",
    ] {
        assert_eq!(class(e), "owner test on user_id", "{e}");
    }
    assert_eq!(
        class("(( SELECT auth.uid() AS uid) = ANY (ARRAY[mentor_id, mentee_id]))"),
        "owner test on mentor_id/mentee_id"
    );
    assert_eq!(
        class("(user_id <> auth.uid())"),
        "rows NOT owned by the user (user_id)"
    );
    // another setting is not the user
    assert!(
        class("(user_id = (current_setting('app.tenant'::text))::uuid)")
            .starts_with("unclassified")
    );
}

#[test]
fn constants_tautologies_and_row_filters() {
    assert_eq!(class("true"), "constant true");
    assert_eq!(class("false"), "constant false");
    assert_eq!(class("(1 = 1)"), "constant true");
    assert_eq!(
        class("((user_id = ( SELECT auth.uid() AS uid)) OR true)"),
        "owner test on user_id OR constant true"
    );
    assert_eq!(class("is_public"), "row filter");
    assert_eq!(class("(is_public = true)"), "row filter");
    assert_eq!(class("(body IS NOT NULL)"), "row filter");
    assert_eq!(class("(lower(body) = 'x'::text)"), "row filter");
    assert_eq!(
        class("((is_public = true) OR (user_id = ( SELECT auth.uid() AS uid)))"),
        "row filter OR owner test on user_id"
    );
}

#[test]
fn signed_in_out_and_roles() {
    assert_eq!(class("(auth.uid() IS NOT NULL)"), "signed-in test");
    assert_eq!(
        class("(( SELECT auth.uid() AS uid) IS NULL)"),
        "signed-out test"
    );
    assert_eq!(
        class("(auth.role() = 'authenticated'::text)"),
        "signed-in test"
    );
    assert_eq!(
        class("(auth.role() = 'service_role'::text)"),
        "role guard service_role"
    );
    assert_eq!(class("(auth.role() <> 'anon'::text)"), "signed-in test");
    assert_eq!(
        class("(current_setting('app.current_user_id'::text, true) IS NOT NULL)"),
        "signed-in test"
    );
    assert_eq!(
        class("(( SELECT current_setting('app.current_user_id'::text, true) AS current_setting) <> ''::text)"),
        "signed-in test"
    );
    assert_eq!(
        class("(current_setting('app.current_user_id'::text, true) = ''::text)"),
        "signed-out test"
    );
}

#[test]
fn guards_and_metadata() {
    assert_eq!(
        class("( SELECT public.is_admin() AS is_admin)"),
        "user guard public.is_admin()"
    );
    assert_eq!(class("public.is_admin()"), "user guard public.is_admin()");
    assert!(
        class("(((auth.jwt() -> 'app_metadata'::text) ->> 'role'::text) = 'admin'::text)")
            .starts_with("user guard")
    );
    assert!(
        class("(((auth.jwt() -> 'user_metadata'::text) ->> 'role'::text) = 'admin'::text)")
            .starts_with("user_metadata claim")
    );
    assert!(class("public.meta_admin()").starts_with("user_metadata claim"));
    assert_eq!(
        class("(EXISTS ( SELECT 1 FROM public.team_members m WHERE (m.user_id = ( SELECT auth.uid() AS uid))))"),
        "user guard a row of public.team_members for the user"
    );
}

#[test]
fn parents_tenants_and_visibility() {
    assert_eq!(
        class("(EXISTS ( SELECT 1\n   FROM public.posts p\n  WHERE ((p.id = notes.team_id) AND (p.user_id = ( SELECT auth.uid() AS uid)))))"),
        "owner through team_id -> public.posts.user_id"
    );
    assert_eq!(
        class("(EXISTS ( SELECT 1 FROM public.team_members m WHERE ((m.team_id = notes.team_id) AND (m.user_id = auth.uid()))))"),
        "tenant membership of team_id in public.team_members"
    );
    assert_eq!(
        class("(team_id IN ( SELECT m.team_id FROM public.team_members m WHERE (m.user_id = ( SELECT auth.uid() AS uid))))"),
        "tenant membership of team_id in public.team_members"
    );
    assert_eq!(
        class("public.is_member(team_id)"),
        "tenant membership of team_id via public.is_member() (public.team_members)"
    );
    assert_eq!(
        class("((public.member_role(team_id))::text = ANY ((ARRAY['leader'::character varying, 'moderator'::character varying])::text[]))"),
        "tenant membership of team_id via public.member_role() (public.team_members)"
    );
    assert_eq!(
        class("((team_id IS NOT NULL) AND public.is_member(team_id))"),
        "row filter AND tenant membership of team_id via public.is_member() (public.team_members)"
    );
    assert_eq!(
        class("(EXISTS ( SELECT 1 FROM public.posts p WHERE (p.id = notes.team_id)))"),
        "visible with public.posts"
    );
    assert_eq!(class("public.slug(body)"), "row filter");
}

#[test]
fn pinned_columns() {
    assert_eq!(
        pinned_column("(role = 'user'::text)"),
        Some(("role".into(), true))
    );
    assert_eq!(
        pinned_column("((role)::text = ( SELECT public.app_user_role() AS app_user_role))"),
        Some(("role".into(), true))
    );
    assert_eq!(
        pinned_column("(role = other)"),
        Some(("role".into(), false))
    );
    assert_eq!(pinned_column("(a > 1)"), None);
}

#[test]
fn tables_a_body_touches() {
    let c = cat();
    assert_eq!(
        body_tables(&c, "BEGIN DELETE FROM public.notes WHERE id = $1; SELECT * FROM posts p JOIN team_members m ON true; INSERT INTO nowhere VALUES (1); END"),
        vec!["public.notes".to_string(), "public.posts".into(), "public.team_members".into()]
    );
}

#[test]
fn the_rest_is_unclassified() {
    assert!(class("(user_id = some_schema.f())").starts_with("unclassified"));
    assert!(class("(body ~~ (auth.email() || '%'::text))").starts_with("unclassified"));
    assert!(
        class("(EXISTS ( SELECT 1 FROM public.posts p, public.notes n WHERE true))")
            .starts_with("unclassified")
    );
}
