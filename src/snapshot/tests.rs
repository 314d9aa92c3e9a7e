//! The pure parts of incremental snapshots: which objects changed, and cutting and patching a
//! catalog by top-level keys. (The SQL side is checked end to end by `verify-rollbacks
//! --crosscheck` in tests/verify_rollbacks.rs.)

use super::*;
use crate::catalog::{Extension, Schema};

fn print(oid: i64, rows: &str) -> Print {
    Print {
        oid,
        rows: rows.to_string(),
        written: false,
    }
}

fn written(oid: i64, rows: &str) -> Print {
    Print {
        written: true,
        ..print(oid, rows)
    }
}

fn key(kind: TopKind, k: &str) -> TopKey {
    (kind, k.to_string())
}

fn schema(name: &str, comment: Option<&str>) -> Schema {
    Schema {
        name: name.to_string(),
        comment: comment.map(str::to_string),
        acl: Vec::new(),
        ..Schema::default()
    }
}

fn extension(name: &str) -> Extension {
    Extension {
        name: name.to_string(),
        schema: "public".to_string(),
        version: "1.0".to_string(),
        comment: None,
        ..Extension::default()
    }
}

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.schemas.insert("a".into(), schema("a", None));
    c.schemas.insert("b".into(), schema("b", None));
    c.extensions.insert("x".into(), extension("x"));
    c
}

#[test]
fn changed_names_objects_that_appear_disappear_lose_rows_or_were_written() {
    let mut before = Fingerprints::new();
    before.insert(key(TopKind::Schema, "a"), print(1, "1"));
    before.insert(key(TopKind::Schema, "b"), print(2, "2"));
    before.insert(key(TopKind::Relation, "a.t"), print(3, "9"));
    before.insert(key(TopKind::Relation, "a.u"), print(5, "4"));
    let mut after = before.clone();
    assert!(changed(&before, &after).is_empty());
    after.remove(&key(TopKind::Schema, "b"));
    // a row removed (a policy dropped): fewer rows, nothing written
    after.insert(key(TopKind::Relation, "a.t"), print(3, "8"));
    after.insert(key(TopKind::Function, "a.f()"), print(4, "1"));
    // the same number of rows, one of them written since the earlier reading
    after.insert(key(TopKind::Relation, "a.u"), written(5, "4"));
    // a new oid alone is no change (the oid is only where to read it; a recreated object's
    // rows are written, which the reading marks)
    after.insert(key(TopKind::Schema, "a"), print(9, "1"));
    let got: Vec<TopKey> = changed(&before, &after).into_iter().collect();
    assert_eq!(
        got,
        vec![
            key(TopKind::Schema, "b"),
            key(TopKind::Relation, "a.t"),
            key(TopKind::Relation, "a.u"),
            key(TopKind::Function, "a.f()"),
        ]
    );
}

#[test]
fn restrict_keeps_only_the_named_objects_of_the_named_kind() {
    let c = catalog();
    let keys: BTreeSet<TopKey> = [key(TopKind::Schema, "b"), key(TopKind::Relation, "x")].into();
    let r = restrict(&c, &keys);
    assert_eq!(r.schemas.keys().collect::<Vec<_>>(), vec!["b"]);
    // `x` is an extension, not a relation
    assert!(r.extensions.is_empty());
    assert!(restrict(&c, &BTreeSet::new()).schemas.is_empty());
}

#[test]
fn patch_replaces_removes_and_adds_exactly_the_named_objects() {
    let mut model = catalog();
    let keys: BTreeSet<TopKey> = [
        key(TopKind::Schema, "a"),
        key(TopKind::Schema, "b"),
        key(TopKind::Schema, "c"),
    ]
    .into();
    // now: a has a comment, b is gone, c is new
    let mut fresh = Catalog::default();
    fresh.schemas.insert("a".into(), schema("a", Some("hi")));
    fresh.schemas.insert("c".into(), schema("c", None));
    patch(&mut model, &keys, fresh);
    assert_eq!(model.schemas.keys().collect::<Vec<_>>(), vec!["a", "c"]);
    assert_eq!(model.schemas["a"].comment.as_deref(), Some("hi"));
    // objects not named are untouched
    assert_eq!(model.extensions.keys().collect::<Vec<_>>(), vec!["x"]);
}

fn rule(name: &str, relation: &str) -> crate::catalog::Rule {
    crate::catalog::Rule {
        name: name.to_string(),
        relation: relation.to_string(),
        relation_kind: crate::catalog::ObjectKind::Table,
        definition: String::new(),
        enabled: "enabled".to_string(),
        comment: None,
    }
}

#[test]
fn rules_follow_their_relation_and_database_wide_kinds_are_cut_whole() {
    let mut c = catalog();
    c.current_role = "me".into();
    c.rules.insert("a.t.r".into(), rule("r", "a.t"));
    c.rules.insert("a.u.r".into(), rule("r", "a.u"));
    c.default_privileges
        .insert("ON TABLES".into(), Default::default());
    let keys: BTreeSet<TopKey> = [key(TopKind::Relation, "a.t")].into();
    let r = restrict(&c, &keys);
    assert_eq!(r.rules.keys().collect::<Vec<_>>(), vec!["a.t.r"]);
    assert!(r.default_privileges.is_empty());
    // the role that read the catalog decides default owners: it is kept
    assert_eq!(r.current_role, "me");
    let keys: BTreeSet<TopKey> = [key(TopKind::DefaultPrivileges, "")].into();
    let r = restrict(&c, &keys);
    assert_eq!(r.default_privileges.len(), 1);
    assert!(r.rules.is_empty());
    // patched with a read in which the entries are gone: they go; rules stay
    patch(&mut c, &keys, Catalog::default());
    assert!(c.default_privileges.is_empty());
    assert_eq!(c.rules.len(), 2);
    assert_eq!(c.current_role, "me");
}
