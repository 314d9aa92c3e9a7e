//! Enum, composite, domain and range types.

use super::{hazard, Sql};
use crate::catalog::{TypeDef, TypeKind};
use crate::diff::HazardId;
use crate::sql::quote_literal;

pub fn create_sql(key: &str, t: &TypeDef) -> String {
    match t.kind {
        TypeKind::Enum => format!(
            "CREATE TYPE {key} AS ENUM ({});",
            t.labels
                .iter()
                .map(|l| quote_literal(l))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TypeKind::Composite => format!(
            "CREATE TYPE {key} AS (\n    {}\n);",
            t.attributes.join(",\n    ")
        ),
        TypeKind::Domain => {
            let mut s = format!(
                "CREATE DOMAIN {key} AS {}",
                t.base_type.as_deref().unwrap_or("text")
            );
            if let Some(d) = &t.default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if t.not_null {
                s.push_str(" NOT NULL");
            }
            for c in &t.constraints {
                s.push_str(&format!(" {c}"));
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

/// `DOMAIN` or `TYPE`, as `DROP` and `COMMENT ON` spell it.
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

/// In place: new enum values (one step each, in order). Anything else is a replacement.
pub fn alter(key: &str, a: &TypeDef, b: &TypeDef) -> Option<Vec<Sql>> {
    if a.kind != TypeKind::Enum || b.kind != TypeKind::Enum {
        return None;
    }
    // Only additions that keep the existing order can be made in place.
    let kept: Vec<&String> = b.labels.iter().filter(|l| a.labels.contains(l)).collect();
    if kept.len() != a.labels.len() || kept.iter().zip(&a.labels).any(|(p, q)| *p != q) {
        return None;
    }
    let mut steps = Vec::new();
    for (i, l) in b.labels.iter().enumerate() {
        if a.labels.contains(l) {
            continue;
        }
        let position = match i.checked_sub(1).and_then(|j| b.labels.get(j)) {
            Some(prev) => format!(" AFTER {}", quote_literal(prev)),
            None => match b.labels.get(i + 1) {
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
                "the new value cannot be used in the same transaction that adds it: this step commits on its own",
            )],
            transactional: false,
        });
    }
    Some(steps)
}
