//! Catalog codes: the one-letter values PostgreSQL stores (`relkind`, `contype`, `tgenabled`,
//! `polcmd`, …) decoded into the model's enums.
//!
//! Owns: the mapping from each code to its meaning, strictly. Must not: guess. A value that is
//! not listed here is an error naming the catalog column and the value, never a silent default
//! (a new PostgreSQL release adds codes; strata must say it does not know one, not compare the
//! wrong thing).
//!
//! Each code type is a newtype over the model's value with `TryFrom<String>`, so a row struct
//! reads it with `#[sqlx(try_from = "String")]` and the decode error carries the column name.

use super::model::{ConstraintKind, DefaultObjects, NotComparedReason, ObjectKind, TypeKind};

/// A catalog value strata does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected value `{value}` in {column}: this version of strata does not know it (a newer PostgreSQL?); please report it")]
pub struct UnexpectedCode {
    /// `pg_catalog` table and column, e.g. `pg_constraint.contype`.
    pub column: &'static str,
    pub value: String,
}

/// Declares a code newtype: `name(model type) from "table.column" { "code" => value, … }`.
macro_rules! catalog_code {
    ($(#[$doc:meta])* $name:ident($ty:ty) from $column:literal { $($code:literal => $value:expr),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $ty);

        impl $name {
            /// Every code and what it means (for tests and documentation).
            pub const CODES: &'static [(&'static str, $ty)] = &[$(($code, $value)),+];
        }

        impl TryFrom<String> for $name {
            type Error = UnexpectedCode;
            fn try_from(code: String) -> Result<Self, UnexpectedCode> {
                Self::CODES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, v)| $name(*v))
                    .ok_or(UnexpectedCode { column: $column, value: code })
            }
        }
    };
}

catalog_code! {
    /// A table's `relkind`: ordinary (`r`) or partitioned (`p`).
    TableKind(bool) from "pg_class.relkind" {
        "r" => false,
        "p" => true,
    }
}

catalog_code! {
    /// A view's `relkind`: view (`v`) or materialized view (`m`).
    ViewKind(ObjectKind) from "pg_class.relkind" {
        "v" => ObjectKind::View,
        "m" => ObjectKind::MaterializedView,
    }
}

catalog_code! {
    /// `pg_type.typtype` of the types strata models.
    TypeCode(TypeKind) from "pg_type.typtype" {
        "e" => TypeKind::Enum,
        "c" => TypeKind::Composite,
        "d" => TypeKind::Domain,
        "r" => TypeKind::Range,
    }
}

catalog_code! {
    /// `pg_constraint.contype` of table constraints.
    ConstraintCode(ConstraintKind) from "pg_constraint.contype" {
        "p" => ConstraintKind::PrimaryKey,
        "f" => ConstraintKind::ForeignKey,
        "u" => ConstraintKind::Unique,
        "c" => ConstraintKind::Check,
        "x" => ConstraintKind::Exclusion,
    }
}

catalog_code! {
    /// `pg_trigger.tgenabled` (also `pg_rewrite.ev_enabled`, `pg_event_trigger.evtenabled`).
    Enabled(&'static str) from "pg_trigger.tgenabled" {
        "O" => "enabled",
        "D" => "disabled",
        "R" => "replica",
        "A" => "always",
    }
}

catalog_code! {
    /// `pg_proc.prokind` of functions and procedures (`w`: window function).
    ProcKind(bool) from "pg_proc.prokind" {
        "f" => false,
        "w" => false,
        "p" => true,
    }
}

catalog_code! {
    /// `pg_proc.provolatile`.
    Volatility(&'static str) from "pg_proc.provolatile" {
        "i" => "immutable",
        "s" => "stable",
        "v" => "volatile",
    }
}

catalog_code! {
    /// `pg_proc.proparallel`.
    Parallel(&'static str) from "pg_proc.proparallel" {
        "s" => "safe",
        "r" => "restricted",
        "u" => "unsafe",
    }
}

catalog_code! {
    /// `pg_policy.polcmd`.
    PolicyCommand(&'static str) from "pg_policy.polcmd" {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        "*" => "ALL",
    }
}

catalog_code! {
    /// `pg_attribute.attidentity` (empty: not an identity column).
    Identity(Option<&'static str>) from "pg_attribute.attidentity" {
        "" => None,
        "a" => Some("always"),
        "d" => Some("by default"),
    }
}

catalog_code! {
    /// `pg_attribute.attgenerated` (empty: not generated; `v`: virtual, PostgreSQL 18).
    Generated(Option<&'static str>) from "pg_attribute.attgenerated" {
        "" => None,
        "s" => Some("STORED"),
        "v" => Some("VIRTUAL"),
    }
}

catalog_code! {
    /// `pg_rewrite.ev_enabled`.
    RuleEnabled(&'static str) from "pg_rewrite.ev_enabled" {
        "O" => "enabled",
        "D" => "disabled",
        "R" => "replica",
        "A" => "always",
    }
}

catalog_code! {
    /// `pg_event_trigger.evtenabled`.
    EventTriggerEnabled(&'static str) from "pg_event_trigger.evtenabled" {
        "O" => "enabled",
        "D" => "disabled",
        "R" => "replica",
        "A" => "always",
    }
}

catalog_code! {
    /// `pg_class.relkind` of a relation that has rules.
    RelationKind(ObjectKind) from "pg_class.relkind" {
        "r" => ObjectKind::Table,
        "p" => ObjectKind::Table,
        "v" => ObjectKind::View,
        "m" => ObjectKind::MaterializedView,
    }
}

catalog_code! {
    /// `pg_default_acl.defaclobjtype` (`L`: large objects, PostgreSQL 18).
    DefaultObjectsCode(DefaultObjects) from "pg_default_acl.defaclobjtype" {
        "r" => DefaultObjects::Tables,
        "S" => DefaultObjects::Sequences,
        "f" => DefaultObjects::Functions,
        "T" => DefaultObjects::Types,
        "n" => DefaultObjects::Schemas,
        "L" => DefaultObjects::LargeObjects,
    }
}

catalog_code! {
    /// `pg_collation.collprovider` (`b`: builtin, PostgreSQL 17).
    CollationProvider(&'static str) from "pg_collation.collprovider" {
        "c" => "libc",
        "i" => "icu",
        "b" => "builtin",
    }
}

catalog_code! {
    /// Why `not_compared.sql` lists an object.
    Reason(NotComparedReason) from "not_compared.reason" {
        "unmodelled" => NotComparedReason::Unmodelled,
        "out-of-scope" => NotComparedReason::OutOfScope,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_decode() {
        assert_eq!(
            ConstraintCode::try_from("f".to_string()),
            Ok(ConstraintCode(ConstraintKind::ForeignKey))
        );
        assert_eq!(
            PolicyCommand::try_from("*".to_string()),
            Ok(PolicyCommand("ALL"))
        );
        assert_eq!(Identity::try_from(String::new()), Ok(Identity(None)));
    }

    #[test]
    fn an_unknown_code_is_an_error_naming_column_and_value() {
        let e = ConstraintCode::try_from("n".to_string()).err();
        assert_eq!(
            e,
            Some(UnexpectedCode {
                column: "pg_constraint.contype",
                value: "n".into()
            })
        );
        let text = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("`n`") && text.contains("pg_constraint.contype"));
        assert!(TypeCode::try_from("m".to_string()).is_err());
        assert!(Enabled::try_from("o".to_string()).is_err());
    }
}
