//! Enum, composite, domain and range types, the attributes of composite types and the CHECK
//! constraints of domains (each an item of its own, so that they change in place).
//!
//! In place: enum values are added (`ADD VALUE … BEFORE/AFTER`) or renamed (`RENAME VALUE`,
//! when the old and new lists differ only by labels in the same positions); a domain's default
//! and NOT NULL are set or dropped, its constraints added, dropped or validated; a composite
//! type's attributes are added, dropped or retyped. Removing or reordering enum values is the
//! planner's type swap (`plan.rs`), never a drop that would fail on the columns using it.

use super::{hazard, Sql};
use crate::catalog::{Attribute, DomainConstraint, TypeDef, TypeKind};
use crate::diff::HazardId;
use crate::sql::{quote_ident, quote_literal};

fn attribute_def(a: &Attribute) -> String {
    let mut s = format!("{} {}", quote_ident(&a.name), a.data_type);
    if let Some(c) = &a.collation {
        s.push_str(&format!(" COLLATE {c}"));
    }
    s
}

fn labels(t: &TypeDef) -> String {
    t.labels
        .iter()
        .map(|l| quote_literal(l))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statement that creates the type (a domain without its constraints, which are items of
/// their own; a composite type with its attributes).
pub fn create_sql(key: &str, t: &TypeDef) -> String {
    match t.kind {
        TypeKind::Enum => format!("CREATE TYPE {key} AS ENUM ({});", labels(t)),
        TypeKind::Composite => {
            let attrs: Vec<String> = t.attributes.iter().map(attribute_def).collect();
            if attrs.is_empty() {
                format!("CREATE TYPE {key} AS ();")
            } else {
                format!("CREATE TYPE {key} AS (\n    {}\n);", attrs.join(",\n    "))
            }
        }
        TypeKind::Domain => {
            let mut s = format!(
                "CREATE DOMAIN {key} AS {}",
                t.base_type.as_deref().unwrap_or("text")
            );
            if let Some(c) = &t.collation {
                s.push_str(&format!(" COLLATE {c}"));
            }
            if let Some(d) = &t.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if t.not_null {
                s.push_str(" NOT NULL");
            }
            s.push(';');
            s
        }
        TypeKind::Range => format!(
            "CREATE TYPE {key} AS RANGE (SUBTYPE = {});",
            t.range_subtype.as_deref().unwrap_or("integer")
        ),
    }
}

/// What is compared of the type itself: a composite type's attributes are items of their own
/// (so only its name is left), the rest is its DDL.
pub fn signature(key: &str, t: &TypeDef) -> String {
    match t.kind {
        TypeKind::Composite => format!("CREATE TYPE {key} AS (…);"),
        _ => create_sql(key, t),
    }
}

/// `DOMAIN` or `TYPE`, as `DROP`, `ALTER`, `GRANT` and `COMMENT ON` spell it.
pub fn keyword(t: &TypeDef) -> &'static str {
    if t.kind == TypeKind::Domain {
        "DOMAIN"
    } else {
        "TYPE"
    }
}

pub fn drop(key: &str, t: &TypeDef) -> Sql {
    Sql::one(format!("DROP {} {key};", keyword(t)))
}

/// In place, or None for a replacement (or, for an enum, the planner's swap).
pub fn alter(key: &str, a: &TypeDef, b: &TypeDef) -> Option<Vec<Sql>> {
    if a.kind != b.kind {
        return None;
    }
    match b.kind {
        TypeKind::Enum => enum_change(key, &a.labels, &b.labels),
        TypeKind::Domain => domain_change(key, a, b).map(|s| vec![s]),
        // Attributes are items of their own: the type itself has nothing else to change.
        TypeKind::Composite => Some(Vec::new()),
        TypeKind::Range => None,
    }
}

/// How an enum's labels can change in place: values added at their position, or labels
/// renamed in the same positions. None when values go away or move (the swap).
pub fn enum_change(key: &str, from: &[String], to: &[String]) -> Option<Vec<Sql>> {
    let removed: Vec<&String> = from.iter().filter(|l| !to.contains(l)).collect();
    if removed.is_empty() {
        // Only additions that keep the existing order can be made in place.
        let kept: Vec<&String> = to.iter().filter(|l| from.contains(l)).collect();
        if kept.len() != from.len() || kept.iter().zip(from).any(|(p, q)| *p != q) {
            return None;
        }
        return Some(add_values(key, from, to));
    }
    // Renames: same length, and every position either keeps its label or swaps a removed one
    // for a new one.
    if from.len() != to.len() {
        return None;
    }
    let mut steps = Vec::new();
    for (old, new) in from.iter().zip(to) {
        if old == new {
            continue;
        }
        if to.contains(old) || from.contains(new) {
            return None;
        }
        steps.push(Sql::one(format!(
            "ALTER TYPE {key} RENAME VALUE {} TO {};",
            quote_literal(old),
            quote_literal(new)
        )));
    }
    Some(steps)
}

fn add_values(key: &str, from: &[String], to: &[String]) -> Vec<Sql> {
    let mut steps = Vec::new();
    for (i, l) in to.iter().enumerate() {
        if from.contains(l) {
            continue;
        }
        let position = match i.checked_sub(1).and_then(|j| to.get(j)) {
            Some(prev) => format!(" AFTER {}", quote_literal(prev)),
            None => match to.get(i + 1) {
                Some(next) => format!(" BEFORE {}", quote_literal(next)),
                None => String::new(),
            },
        };
        steps.push(Sql {
            statements: vec![format!(
                "ALTER TYPE {key} ADD VALUE IF NOT EXISTS {}{position};",
                quote_literal(l)
            )],
            hazards: vec![hazard(
                HazardId::NotTransactional,
                "a later step uses the new value, which PostgreSQL allows only once the value is committed: this step runs and commits on its own",
            )],
            transactional: true,
            commit_before: Some(quote_literal(l)),
        });
    }
    steps
}

/// A domain's default and NOT NULL; a new base type or collation is a replacement.
fn domain_change(key: &str, a: &TypeDef, b: &TypeDef) -> Option<Sql> {
    if a.base_type != b.base_type || a.collation != b.collation {
        return None;
    }
    let mut s = Vec::new();
    let mut hz = Vec::new();
    if a.default != b.default {
        s.push(match &b.default {
            Some(d) => format!("ALTER DOMAIN {key} SET DEFAULT {d};"),
            None => format!("ALTER DOMAIN {key} DROP DEFAULT;"),
        });
    }
    if a.not_null != b.not_null {
        if b.not_null {
            s.push(format!("ALTER DOMAIN {key} SET NOT NULL;"));
            hz.push(hazard(
                HazardId::MayFail,
                "fails if a column of this domain holds NULLs",
            ));
        } else {
            s.push(format!("ALTER DOMAIN {key} DROP NOT NULL;"));
        }
    }
    Some(Sql::new(s, hz))
}

// ---------------------------------------------------------------------------------------------
// The enum swap: values removed or reordered

/// The name the old enum takes while its columns move to the new one.
pub fn swap_old_name(t: &TypeDef) -> String {
    super::table::qualified(&t.schema, &format!("{}__strata_old", t.name))
}

/// First step of the swap: the old type steps aside and the new one is created.
pub fn swap_start(key: &str, to: &TypeDef) -> Sql {
    Sql::new(
        vec![
            format!(
                "ALTER TYPE {key} RENAME TO {};",
                quote_ident(&format!("{}__strata_old", to.name))
            ),
            create_sql(key, to),
        ],
        vec![hazard(
            HazardId::MayFail,
            "values are removed or reordered: the type is replaced and its columns converted through text, which fails if a row holds a value that goes away",
        )],
    )
}

/// A column of the swapped enum (or an array of it) moves to the new type, through text.
pub fn swap_column(
    table: &str,
    column: &str,
    data_type: &str,
    live_default: Option<&str>,
    declared_default: Option<&str>,
) -> Sql {
    let pre = format!("ALTER TABLE {table} ALTER COLUMN {}", quote_ident(column));
    let via = if data_type.ends_with("[]") {
        "text[]"
    } else {
        "text"
    };
    let mut s = Vec::new();
    if live_default.is_some() {
        s.push(format!("{pre} DROP DEFAULT;"));
    }
    s.push(format!(
        "{pre} TYPE {data_type} USING {}::{via}::{data_type};",
        quote_ident(column)
    ));
    if let Some(d) = declared_default {
        s.push(format!("{pre} SET DEFAULT {d};"));
    }
    Sql::new(
        s,
        vec![
            hazard(
                HazardId::TableRewrite,
                "the column moves to the new enum: the table is rewritten under an exclusive lock",
            ),
            hazard(
                HazardId::MayFail,
                "fails if a row holds a value the new enum does not have",
            ),
        ],
    )
}

/// Last step of the swap: the old type goes, once no column uses it.
pub fn swap_end(t: &TypeDef) -> Sql {
    Sql::one(format!("DROP TYPE {};", swap_old_name(t)))
}

// ---------------------------------------------------------------------------------------------
// Attributes of composite types

pub fn add_attribute_sql(key: &str, a: &Attribute) -> String {
    format!(
        "ALTER TYPE {key} ADD ATTRIBUTE {} CASCADE;",
        attribute_def(a)
    )
}

pub fn add_attribute(key: &str, a: &Attribute) -> Sql {
    Sql::one(add_attribute_sql(key, a))
}

pub fn drop_attribute(key: &str, a: &Attribute) -> Sql {
    Sql::new(
        vec![format!(
            "ALTER TYPE {key} DROP ATTRIBUTE IF EXISTS {} CASCADE;",
            quote_ident(&a.name)
        )],
        vec![hazard(
            HazardId::DataLoss,
            "the attribute's values in columns of this type are deleted",
        )],
    )
}

/// A new type or collation for an attribute.
pub fn alter_attribute(key: &str, b: &Attribute) -> Sql {
    let coll = b
        .collation
        .as_ref()
        .map(|c| format!(" COLLATE {c}"))
        .unwrap_or_default();
    Sql::new(
        vec![format!(
            "ALTER TYPE {key} ALTER ATTRIBUTE {} TYPE {}{coll} CASCADE;",
            quote_ident(&b.name),
            b.data_type
        )],
        vec![hazard(
            HazardId::MayFail,
            "PostgreSQL refuses while a table column uses the type",
        )],
    )
}

// ---------------------------------------------------------------------------------------------
// Domain constraints

pub fn add_constraint_sql(key: &str, c: &DomainConstraint) -> String {
    format!(
        "ALTER DOMAIN {key} ADD CONSTRAINT {} {};",
        quote_ident(&c.name),
        c.definition
    )
}

pub fn add_constraint(key: &str, c: &DomainConstraint) -> Sql {
    let hz = if c.validated {
        vec![hazard(
            HazardId::MayFail,
            "fails if a column of this domain holds a value that violates it; add it NOT VALID, then VALIDATE CONSTRAINT",
        )]
    } else {
        vec![]
    };
    Sql::new(vec![add_constraint_sql(key, c)], hz)
}

pub fn drop_constraint(key: &str, c: &DomainConstraint) -> Sql {
    Sql::one(format!(
        "ALTER DOMAIN {key} DROP CONSTRAINT IF EXISTS {};",
        quote_ident(&c.name)
    ))
}

/// In place: validating a constraint added `NOT VALID`. Anything else is a replacement.
pub fn alter_constraint(key: &str, a: &DomainConstraint, b: &DomainConstraint) -> Option<Sql> {
    let a_def = a.definition.trim_end_matches(" NOT VALID");
    if a_def == b.definition && !a.validated && b.validated {
        return Some(Sql::new(
            vec![format!(
                "ALTER DOMAIN {key} VALIDATE CONSTRAINT {};",
                quote_ident(&b.name)
            )],
            vec![hazard(
                HazardId::MayFail,
                "fails if a column of this domain holds a value that violates it",
            )],
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn sql(steps: Option<Vec<Sql>>) -> Option<Vec<String>> {
        steps.map(|v| v.into_iter().flat_map(|s| s.statements).collect())
    }

    #[test]
    fn enum_values_are_added_at_their_position() {
        assert_eq!(
            sql(enum_change("t", &l(&["a", "c"]), &l(&["a", "b", "c", "d"]))),
            Some(vec![
                "ALTER TYPE t ADD VALUE IF NOT EXISTS 'b' AFTER 'a';".to_string(),
                "ALTER TYPE t ADD VALUE IF NOT EXISTS 'd' AFTER 'c';".to_string()
            ])
        );
        assert_eq!(
            sql(enum_change("t", &l(&["b"]), &l(&["a", "b"]))),
            Some(vec![
                "ALTER TYPE t ADD VALUE IF NOT EXISTS 'a' BEFORE 'b';".to_string()
            ])
        );
    }

    #[test]
    fn enum_values_in_the_same_position_are_renamed() {
        assert_eq!(
            sql(enum_change("t", &l(&["a", "b", "c"]), &l(&["a", "x", "c"]))),
            Some(vec!["ALTER TYPE t RENAME VALUE 'b' TO 'x';".to_string()])
        );
    }

    #[test]
    fn removed_or_moved_enum_values_are_not_changed_in_place() {
        assert!(enum_change("t", &l(&["a", "b", "c"]), &l(&["a", "c"])).is_none());
        assert!(enum_change("t", &l(&["a", "b"]), &l(&["b", "a"])).is_none());
        assert!(enum_change("t", &l(&["a", "b"]), &l(&["b", "x"])).is_none());
    }

    #[test]
    fn a_domain_changes_default_and_not_null_in_place() {
        let a = TypeDef {
            kind: TypeKind::Domain,
            base_type: Some("integer".into()),
            ..Default::default()
        };
        let b = TypeDef {
            default: Some("0".into()),
            not_null: true,
            ..a.clone()
        };
        assert_eq!(
            sql(alter("public.d", &a, &b)),
            Some(vec![
                "ALTER DOMAIN public.d SET DEFAULT 0;".to_string(),
                "ALTER DOMAIN public.d SET NOT NULL;".to_string()
            ])
        );
        let c = TypeDef {
            base_type: Some("bigint".into()),
            ..a.clone()
        };
        assert!(alter("public.d", &a, &c).is_none());
    }
}
